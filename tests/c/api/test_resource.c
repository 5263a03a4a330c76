// SPDX-License-Identifier: Apache-2.0
/*
 * Resources on local sessions (spec §8.1 item 5, §8.2, §10, §20 "resource").
 * Run with VACCEL_PLUGINS=libvaccel-noop.so.
 */
#include "check.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <vaccel.h>

static char img_path[PATH_MAX];
static char csv_path[PATH_MAX];
static char dir_path[PATH_MAX];
static char tmpdir[] = "/tmp/vaccel-resource-test.XXXXXX";

static char *expected_rundir(vaccel_id_t id)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s/resource.%lld", vaccel_rundir(),
		 (long long)id);
	return buf;
}

static bool file_equals(const char *path, const void *data, size_t size)
{
	size_t n = 0;
	char *c = test_read_file(path, &n);
	bool eq = c != NULL && n == size && memcmp(c, data, size) == 0;

	free(c);
	return eq;
}

static void test_file_resource(struct vaccel_session *sess)
{
	struct vaccel_resource res = { .id = 0 };
	struct vaccel_resource *p = NULL;
	char rundir[PATH_MAX] = "";
	char want[PATH_MAX + 64];
	char *out;

	capture_begin();
	CHECK_INT(vaccel_resource_init(&res, img_path, VACCEL_RESOURCE_DATA),
		  VACCEL_OK);
	out = capture_end();
	/* first resource of the process */
	CHECK_INT(res.id, 1);
	CHECK_HAS(out, "Path does not seem to have a `<prefix>://`");
	snprintf(want, sizeof(want), "Assuming %s is a local path", img_path);
	CHECK_HAS(out, want);
	CHECK_HAS(out, "Initialized resource 1\n");
	free(out);
	CHECK_INT(res.remote_id, 0);
	CHECK_INT(res.type, VACCEL_RESOURCE_DATA);
	CHECK_INT(res.path_type, VACCEL_PATH_LOCAL_FILE);
	CHECK_INT(res.nr_paths, 1);
	CHECK(res.paths != NULL && res.paths[0] != img_path);
	if (res.paths)
		CHECK_STR(res.paths[0], img_path);
	/* nothing read and no rundir before registration */
	CHECK_INT(res.nr_blobs, 0);
	CHECK(res.blobs == NULL);
	CHECK(res.rundir == NULL);
	CHECK_INT(vaccel_resource_refcount(&res), 0);
	CHECK(res.plugin_priv == NULL);

	CHECK_INT(vaccel_resource_get_by_id(&p, res.id), VACCEL_OK);
	CHECK(p == &res);
	CHECK_INT(vaccel_resource_get_by_id(&p, 12345), VACCEL_ENOENT);

	capture_begin();
	CHECK_INT(vaccel_resource_register(&res, sess), VACCEL_OK);
	out = capture_end();
	snprintf(want, sizeof(want), "New rundir for resource 1: %s\n",
		 expected_rundir(1));
	CHECK_HAS(out, want);
	snprintf(want, sizeof(want), "session:%lld Registered resource 1\n",
		 (long long)sess->id);
	CHECK_HAS(out, want);
	free(out);
	CHECK_INT(vaccel_resource_refcount(&res), 1);
	CHECK_STR(res.rundir, expected_rundir(1));
	CHECK(test_is_dir(res.rundir));
	if (res.rundir)
		test_strlcpy(rundir, res.rundir, sizeof(rundir));
	CHECK_INT(res.nr_blobs, 1);
	if (res.nr_blobs == 1 && res.blobs && res.blobs[0]) {
		struct vaccel_blob *b = res.blobs[0];

		CHECK_INT(b->type, VACCEL_BLOB_FILE);
		CHECK_STR(b->path, img_path);
		CHECK_STR(b->name, "example.jpg");
		CHECK(!b->path_owned);
		CHECK(b->data == NULL);
		CHECK(!b->data_owned);
	}
	/* registering again: warning, nothing changes */
	capture_begin();
	CHECK_INT(vaccel_resource_register(&res, sess), VACCEL_OK);
	out = capture_end();
	snprintf(want, sizeof(want), "session:%lld Resource 1 already registered",
		 (long long)sess->id);
	CHECK_HAS(out, want);
	free(out);
	CHECK_INT(vaccel_resource_refcount(&res), 1);
	CHECK_INT(res.nr_blobs, 1);

	/* directory lookups are for directory resources */
	{
		char buf[PATH_MAX];
		char *alloc = NULL;

		CHECK_INT(vaccel_resource_directory(&res, buf, sizeof(buf),
						    NULL),
			  VACCEL_ENOTSUP);
		CHECK_INT(vaccel_resource_directory(&res, NULL, 0, &alloc),
			  VACCEL_ENOTSUP);
		free(alloc);
	}

	capture_begin();
	CHECK_INT(vaccel_resource_release(&res), VACCEL_OK);
	out = capture_end();
	snprintf(want, sizeof(want), "session:%lld Unregistered resource 1\n",
		 (long long)sess->id);
	CHECK_HAS(out, want);
	CHECK_HAS(out, "Released resource 1\n");
	free(out);
	CHECK(!vaccel_session_has_resource(sess, &res));
	CHECK_INT(res.id, 0);
	CHECK(res.rundir == NULL);
	CHECK(res.blobs == NULL);
	CHECK(res.paths == NULL);
	CHECK_INT(res.nr_blobs, 0);
	CHECK_INT(res.nr_paths, 0);
	CHECK(res.plugin_priv == NULL);
	CHECK(rundir[0] && !test_path_exists(rundir));
	/* the user's file is untouched */
	CHECK(test_path_exists(img_path));
	CHECK_INT(vaccel_resource_get_by_id(&p, 1), VACCEL_ENOENT);

	capture_begin();
	CHECK_INT(vaccel_resource_release(&res), VACCEL_EINVAL);
	out = capture_end();
	CHECK_HAS(out, "Cannot release uninitialized resource");
	free(out);
	CHECK_INT(vaccel_resource_release(NULL), VACCEL_EINVAL);
}

static void test_dir_resource(struct vaccel_session *sess)
{
	struct vaccel_resource res = { .id = 0 };
	const char *names[] = { "keras_metadata.pb", "saved_model.pb",
				"variables.data-00000-of-00001",
				"variables.index" };
	char buf[PATH_MAX];
	char small[8];
	char *alloc = NULL;

	CHECK_INT(vaccel_resource_init(&res, dir_path, VACCEL_RESOURCE_MODEL),
		  VACCEL_OK);
	CHECK_INT(res.path_type, VACCEL_PATH_LOCAL_DIR);
	CHECK_INT(vaccel_resource_register(&res, sess), VACCEL_OK);
	/* no rundir for directories */
	CHECK(res.rundir == NULL);
	CHECK_INT(res.nr_blobs, 4);
	for (size_t i = 0; i < 4; i++) {
		bool found = false;

		for (size_t j = 0; j < res.nr_blobs; j++) {
			struct vaccel_blob *b = res.blobs[j];

			if (b && b->name && strcmp(b->name, names[i]) == 0) {
				found = true;
				CHECK_INT(b->type, VACCEL_BLOB_FILE);
				CHECK(b->path != NULL &&
				      strncmp(b->path, dir_path,
					      strlen(dir_path)) == 0);
				CHECK(test_path_exists(b->path));
				CHECK(!b->path_owned);
			}
		}
		if (!found)
			printf("blob %s not found\n", names[i]);
		CHECK(found);
	}

	CHECK_INT(vaccel_resource_directory(&res, buf, sizeof(buf), NULL),
		  VACCEL_OK);
	CHECK_STR(buf, dir_path);
	CHECK_INT(vaccel_resource_directory(&res, NULL, 0, &alloc), VACCEL_OK);
	CHECK_STR(alloc, dir_path);
	free(alloc);
	/* size-bounded copy */
	memset(small, 'x', sizeof(small));
	CHECK_INT(vaccel_resource_directory(&res, small, sizeof(small), NULL),
		  VACCEL_OK);
	CHECK(memchr(small, '\0', sizeof(small)) != NULL);
	CHECK(strncmp(small, dir_path, strlen(small)) == 0);
	CHECK_INT(vaccel_resource_directory(NULL, buf, sizeof(buf), NULL),
		  VACCEL_EINVAL);

	CHECK_INT(vaccel_resource_unregister(&res, sess), VACCEL_OK);
	CHECK_INT(vaccel_resource_release(&res), VACCEL_OK);
	/* the user's directory is untouched */
	CHECK(test_is_dir(dir_path));
}

static void test_init_errors(struct vaccel_session *sess)
{
	struct vaccel_resource res = { .id = 0 };
	char two_dirs_b[PATH_MAX + 16];
	char file_url[PATH_MAX + 16];
	char *out;

	CHECK_INT(vaccel_resource_init(NULL, img_path, VACCEL_RESOURCE_DATA),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_resource_init(&res, NULL, VACCEL_RESOURCE_DATA),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_resource_init(&res, img_path, VACCEL_RESOURCE_MAX),
		  VACCEL_EINVAL);

	capture_begin();
	CHECK_INT(vaccel_resource_init(&res, "/nonexistent/file.bin",
				       VACCEL_RESOURCE_DATA),
		  VACCEL_EINVAL);
	out = capture_end();
	CHECK_HAS(out, "Invalid path /nonexistent/file.bin");
	free(out);

	capture_begin();
	CHECK_INT(vaccel_resource_init(&res, "foo://bar/baz",
				       VACCEL_RESOURCE_DATA),
		  VACCEL_EINVAL);
	out = capture_end();
	CHECK_HAS(out, "Unsupported URI prefix for foo://bar/baz");
	free(out);

	/* multi-path */
	{
		const char *paths[] = { img_path, csv_path };
		const char *mixed[] = { img_path, dir_path };
		const char *dirs[] = { dir_path, two_dirs_b };

		snprintf(two_dirs_b, sizeof(two_dirs_b), "%s/variables",
			 dir_path);
		CHECK_INT(vaccel_resource_init_multi(&res, paths, 0,
						     VACCEL_RESOURCE_DATA),
			  VACCEL_EINVAL);
		CHECK_INT(vaccel_resource_init_multi(&res, NULL, 2,
						     VACCEL_RESOURCE_DATA),
			  VACCEL_EINVAL);

		capture_begin();
		CHECK_INT(vaccel_resource_init_multi(&res, mixed, 2,
						     VACCEL_RESOURCE_DATA),
			  VACCEL_EINVAL);
		out = capture_end();
		CHECK_HAS(out, "Resource paths cannot be of different types");
		free(out);

		CHECK_INT(vaccel_resource_init_multi(&res, dirs, 2,
						     VACCEL_RESOURCE_DATA),
			  VACCEL_ENOTSUP);

		CHECK_INT(vaccel_resource_init_multi(&res, paths, 2,
						     VACCEL_RESOURCE_DATA),
			  VACCEL_OK);
		CHECK_INT(res.nr_paths, 2);
		CHECK_INT(res.path_type, VACCEL_PATH_LOCAL_FILE);
		if (res.nr_paths == 2) {
			CHECK_STR(res.paths[0], img_path);
			CHECK_STR(res.paths[1], csv_path);
		}
		CHECK_INT(vaccel_resource_register(&res, sess), VACCEL_OK);
		CHECK_INT(res.nr_blobs, 2);
		if (res.nr_blobs == 2) {
			CHECK_STR(res.blobs[0]->name, "example.jpg");
			CHECK_STR(res.blobs[1]->name, "input_2048.csv");
			CHECK_INT(res.blobs[0]->type, VACCEL_BLOB_FILE);
			CHECK_INT(res.blobs[1]->type, VACCEL_BLOB_FILE);
		}
		CHECK_INT(vaccel_resource_release(&res), VACCEL_OK);
	}

	/* file:// prefix */
	snprintf(file_url, sizeof(file_url), "file://%s", img_path);
	CHECK_INT(vaccel_resource_init(&res, file_url, VACCEL_RESOURCE_DATA),
		  VACCEL_OK);
	CHECK_INT(res.path_type, VACCEL_PATH_LOCAL_FILE);
	CHECK_INT(vaccel_resource_register(&res, sess), VACCEL_OK);
	CHECK_INT(res.nr_blobs, 1);
	if (res.nr_blobs == 1)
		CHECK_STR(res.blobs[0]->path, img_path);
	CHECK_INT(vaccel_resource_release(&res), VACCEL_OK);

	/* a URL: accepted at init, fails at registration on a local session
	 * without a downloader */
	CHECK_INT(vaccel_resource_init(&res, "http://localhost:1/model.pt",
				       VACCEL_RESOURCE_MODEL),
		  VACCEL_OK);
	CHECK_INT(res.path_type, VACCEL_PATH_REMOTE_FILE);
	capture_begin();
	CHECK_INT(vaccel_resource_register(&res, sess), VACCEL_ENOTSUP);
	out = capture_end();
	CHECK_HAS(out, "Could not download file from http://localhost:1/model.pt");
	free(out);
	CHECK(!vaccel_session_has_resource(sess, &res));
	CHECK_INT(vaccel_resource_refcount(&res), 0);
	CHECK_INT(vaccel_resource_release(&res), VACCEL_OK);

	/* new / multi_new / delete */
	{
		struct vaccel_resource *p = NULL;
		const char *paths[] = { img_path, csv_path };

		CHECK_INT(vaccel_resource_new(&p, img_path,
					      VACCEL_RESOURCE_DATA),
			  VACCEL_OK);
		CHECK(p != NULL && p->id > 0);
		CHECK_INT(vaccel_resource_register(p, sess), VACCEL_OK);
		CHECK_INT(vaccel_resource_delete(p), VACCEL_OK);
		p = NULL;
		CHECK_INT(vaccel_resource_multi_new(&p, paths, 2,
						    VACCEL_RESOURCE_DATA),
			  VACCEL_OK);
		CHECK(p != NULL && p->nr_paths == 2);
		CHECK_INT(vaccel_resource_delete(p), VACCEL_OK);
		CHECK_INT(vaccel_resource_new(NULL, img_path,
					      VACCEL_RESOURCE_DATA),
			  VACCEL_EINVAL);
		CHECK_INT(vaccel_resource_delete(NULL), VACCEL_EINVAL);
	}
	CHECK_INT(vaccel_resource_refcount(NULL), -VACCEL_EINVAL);
}

static void test_from_buf(struct vaccel_session *sess)
{
	struct vaccel_resource res = { .id = 0 };
	char data[] = "0123456789abcdef";
	char rundir[PATH_MAX] = "";
	char path[PATH_MAX + 64] = "";
	char want[2 * PATH_MAX];
	char *out;

	CHECK_INT(vaccel_resource_init_from_buf(&res, NULL, 4,
						VACCEL_RESOURCE_DATA, "x",
						true),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_resource_init_from_buf(&res, data, 0,
						VACCEL_RESOURCE_DATA, "x",
						true),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_resource_init_from_buf(NULL, data, 4,
						VACCEL_RESOURCE_DATA, "x",
						true),
		  VACCEL_EINVAL);

	/* memory only: references the caller's buffer */
	CHECK_INT(vaccel_resource_init_from_buf(&res, data, sizeof(data),
						VACCEL_RESOURCE_DATA,
						"mem.bin", true),
		  VACCEL_OK);
	CHECK(res.rundir == NULL);
	CHECK(res.paths == NULL);
	CHECK_INT(res.nr_paths, 0);
	CHECK_INT(res.path_type, VACCEL_PATH_LOCAL_FILE);
	CHECK_INT(res.nr_blobs, 1);
	if (res.nr_blobs == 1) {
		struct vaccel_blob *b = res.blobs[0];

		CHECK_INT(b->type, VACCEL_BLOB_BUFFER);
		CHECK(b->data == (uint8_t *)data);
		CHECK_INT(b->size, sizeof(data));
		CHECK(!b->data_owned);
		CHECK(b->path == NULL);
	}
	CHECK_INT(vaccel_resource_register(&res, sess), VACCEL_OK);
	CHECK(res.rundir == NULL);
	/* sync rules */
	CHECK_INT(vaccel_resource_sync(&res, sess), VACCEL_OK);
	CHECK_INT(vaccel_resource_release(&res), VACCEL_OK);
	CHECK_STR(data, "0123456789abcdef");

	/* persisted into <rundir>/<filename>, mapped */
	capture_begin();
	CHECK_INT(vaccel_resource_init_from_buf(&res, data, sizeof(data),
						VACCEL_RESOURCE_LIB, "lib.so",
						false),
		  VACCEL_OK);
	out = capture_end();
	CHECK_STR(res.rundir, expected_rundir(res.id));
	snprintf(want, sizeof(want), "Persisting file lib.so to %s/lib.so\n",
		 expected_rundir(res.id));
	CHECK_HAS(out, want);
	free(out);
	CHECK_INT(res.nr_blobs, 1);
	if (res.nr_blobs == 1) {
		struct vaccel_blob *b = res.blobs[0];

		CHECK_INT(b->type, VACCEL_BLOB_MAPPED);
		snprintf(want, sizeof(want), "%s/lib.so", expected_rundir(res.id));
		CHECK_STR(b->path, want);
		CHECK_STR(b->name, "lib.so");
		CHECK(b->path_owned);
		CHECK(b->data_owned);
		CHECK(b->data != NULL && b->data != (uint8_t *)data);
		CHECK_INT(b->size, sizeof(data));
		if (b->data)
			CHECK(memcmp(b->data, data, sizeof(data)) == 0);
		CHECK(file_equals(want, data, sizeof(data)));
		test_strlcpy(path, want, sizeof(path));
	}
	if (res.rundir)
		test_strlcpy(rundir, res.rundir, sizeof(rundir));
	CHECK_INT(vaccel_resource_register(&res, sess), VACCEL_OK);
	/* sync: non-buffer resources are rejected */
	capture_begin();
	CHECK_INT(vaccel_resource_sync(&res, sess), VACCEL_EINVAL);
	out = capture_end();
	CHECK_HAS(out, "Cannot synchronize non-buffer resources");
	free(out);
	capture_begin();
	CHECK_INT(vaccel_resource_release(&res), VACCEL_OK);
	out = capture_end();
	snprintf(want, sizeof(want), "Removing file %s\n", path);
	CHECK_HAS(out, want);
	free(out);
	CHECK(path[0] && !test_path_exists(path));
	CHECK(rundir[0] && !test_path_exists(rundir));

	/* no filename: file_XXXXXX */
	CHECK_INT(vaccel_resource_init_from_buf(&res, data, sizeof(data),
						VACCEL_RESOURCE_DATA, NULL,
						false),
		  VACCEL_OK);
	CHECK_INT(res.nr_blobs, 1);
	if (res.nr_blobs == 1) {
		const char *n = res.blobs[0]->name;

		CHECK(n != NULL && strncmp(n, "file_", 5) == 0 &&
		      strlen(n) == 11);
		CHECK(test_path_exists(res.blobs[0]->path));
	}
	CHECK_INT(vaccel_resource_release(&res), VACCEL_OK);

	/* new / delete */
	{
		struct vaccel_resource *p = NULL;

		CHECK_INT(vaccel_resource_from_buf(&p, data, sizeof(data),
						   VACCEL_RESOURCE_DATA, "n",
						   true),
			  VACCEL_OK);
		CHECK(p != NULL && p->nr_blobs == 1);
		CHECK_INT(vaccel_resource_delete(p), VACCEL_OK);
	}
}

static void test_from_blobs(struct vaccel_session *sess)
{
	struct vaccel_resource res = { .id = 0 };
	struct vaccel_blob file_blob, buf_blob, owned_blob, mapped_blob;
	uint8_t bytes[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	char rundir[PATH_MAX] = "";

	CHECK_INT(vaccel_blob_init(&file_blob, csv_path), VACCEL_OK);
	CHECK_INT(vaccel_blob_init_from_buf(&buf_blob, bytes, sizeof(bytes),
					    false, "buf.bin", NULL, false),
		  VACCEL_OK);
	CHECK_INT(vaccel_blob_init_from_buf(&owned_blob, bytes, sizeof(bytes),
					    true, "owned.bin", NULL, false),
		  VACCEL_OK);
	CHECK_INT(vaccel_blob_init_from_buf(&mapped_blob, bytes, sizeof(bytes),
					    true, "mapped.bin", tmpdir, false),
		  VACCEL_OK);
	CHECK_INT(mapped_blob.type, VACCEL_BLOB_MAPPED);

	/* memory only */
	{
		const struct vaccel_blob *blobs[] = { &buf_blob, &owned_blob };

		CHECK_INT(vaccel_resource_init_from_blobs(&res, blobs, 2,
							  VACCEL_RESOURCE_DATA),
			  VACCEL_OK);
		CHECK(res.rundir == NULL);
		CHECK_INT(res.nr_blobs, 2);
		if (res.nr_blobs == 2) {
			CHECK(res.blobs[0] != &buf_blob);
			CHECK_INT(res.blobs[0]->type, VACCEL_BLOB_BUFFER);
			CHECK_STR(res.blobs[0]->name, "buf.bin");
			CHECK(!res.blobs[0]->data_owned);
			CHECK_INT(res.blobs[0]->size, sizeof(bytes));
			CHECK(res.blobs[0]->data &&
			      memcmp(res.blobs[0]->data, bytes,
				     sizeof(bytes)) == 0);
			CHECK_INT(res.blobs[1]->type, VACCEL_BLOB_BUFFER);
			CHECK_STR(res.blobs[1]->name, "owned.bin");
			CHECK(res.blobs[1]->data_owned);
			CHECK(res.blobs[1]->data != owned_blob.data);
			CHECK(res.blobs[1]->data &&
			      memcmp(res.blobs[1]->data, bytes,
				     sizeof(bytes)) == 0);
		}
		CHECK_INT(vaccel_resource_register(&res, sess), VACCEL_OK);
		CHECK_INT(vaccel_resource_sync(&res, sess), VACCEL_OK);
		CHECK_INT(vaccel_resource_release(&res), VACCEL_OK);
	}

	/* a file */
	{
		const struct vaccel_blob *blobs[] = { &file_blob };

		CHECK_INT(vaccel_resource_init_from_blobs(&res, blobs, 1,
							  VACCEL_RESOURCE_DATA),
			  VACCEL_OK);
		CHECK_INT(res.nr_blobs, 1);
		if (res.nr_blobs == 1) {
			CHECK(res.blobs[0] != &file_blob);
			CHECK_INT(res.blobs[0]->type, VACCEL_BLOB_FILE);
			CHECK_STR(res.blobs[0]->path, csv_path);
			CHECK(!res.blobs[0]->path_owned);
		}
		CHECK_INT(vaccel_resource_register(&res, sess), VACCEL_OK);
		CHECK_INT(vaccel_resource_release(&res), VACCEL_OK);
		CHECK(test_path_exists(csv_path));
	}

	/* mixed: the mapped blob is persisted into the resource rundir */
	{
		const struct vaccel_blob *blobs[] = { &file_blob, &buf_blob,
						      &mapped_blob };

		CHECK_INT(vaccel_resource_init_from_blobs(&res, blobs, 3,
							  VACCEL_RESOURCE_DATA),
			  VACCEL_OK);
		CHECK(res.rundir != NULL && test_is_dir(res.rundir));
		if (res.rundir)
			test_strlcpy(rundir, res.rundir, sizeof(rundir));
		CHECK_INT(res.nr_blobs, 3);
		if (res.nr_blobs == 3) {
			CHECK_INT(res.blobs[0]->type, VACCEL_BLOB_FILE);
			CHECK_INT(res.blobs[1]->type, VACCEL_BLOB_BUFFER);
			CHECK_INT(res.blobs[2]->type, VACCEL_BLOB_MAPPED);
			CHECK(res.blobs[2]->path != NULL && res.rundir &&
			      strncmp(res.blobs[2]->path, res.rundir,
				      strlen(res.rundir)) == 0);
			CHECK_STR(res.blobs[2]->name, "mapped.bin");
			CHECK(res.blobs[2]->path &&
			      file_equals(res.blobs[2]->path, bytes,
					  sizeof(bytes)));
		}
		CHECK_INT(vaccel_resource_register(&res, sess), VACCEL_OK);
		CHECK_INT(vaccel_resource_release(&res), VACCEL_OK);
		CHECK(rundir[0] && !test_path_exists(rundir));
		/* the source blobs are untouched */
		CHECK(test_path_exists(mapped_blob.path));
		CHECK(vaccel_blob_valid(&mapped_blob));
	}

	/* invalid input */
	{
		struct vaccel_blob released;
		const struct vaccel_blob *blobs[] = { &buf_blob, &released };

		CHECK_INT(vaccel_blob_init(&released, csv_path), VACCEL_OK);
		CHECK_INT(vaccel_blob_release(&released), VACCEL_OK);
		CHECK_INT(vaccel_resource_init_from_blobs(&res, blobs, 2,
							  VACCEL_RESOURCE_DATA),
			  VACCEL_EINVAL);
		CHECK_INT(vaccel_resource_init_from_blobs(&res, NULL, 1,
							  VACCEL_RESOURCE_DATA),
			  VACCEL_EINVAL);
		CHECK_INT(vaccel_resource_init_from_blobs(&res, blobs, 0,
							  VACCEL_RESOURCE_DATA),
			  VACCEL_EINVAL);
	}

	/* new / delete */
	{
		struct vaccel_resource *p = NULL;
		const struct vaccel_blob *blobs[] = { &buf_blob };

		CHECK_INT(vaccel_resource_from_blobs(&p, blobs, 1,
						     VACCEL_RESOURCE_DATA),
			  VACCEL_OK);
		CHECK(p != NULL && p->nr_blobs == 1);
		CHECK_INT(vaccel_resource_delete(p), VACCEL_OK);
	}

	CHECK_INT(vaccel_blob_release(&file_blob), VACCEL_OK);
	CHECK_INT(vaccel_blob_release(&buf_blob), VACCEL_OK);
	CHECK_INT(vaccel_blob_release(&owned_blob), VACCEL_OK);
	CHECK_INT(vaccel_blob_release(&mapped_blob), VACCEL_OK);
}

static void test_sessions(void)
{
	struct vaccel_session s1 = { .id = 0 };
	struct vaccel_session s2 = { .id = 0 };
	struct vaccel_resource res = { .id = 0 };
	struct vaccel_resource other = { .id = 0 };
	char want[128];
	char *out;

	CHECK_INT(vaccel_session_init(&s1, 0), VACCEL_OK);
	CHECK_INT(vaccel_session_init(&s2, 0), VACCEL_OK);
	CHECK_INT(vaccel_resource_init(&res, img_path, VACCEL_RESOURCE_DATA),
		  VACCEL_OK);
	CHECK_INT(vaccel_resource_init(&other, csv_path, VACCEL_RESOURCE_DATA),
		  VACCEL_OK);

	/* unregister / sync when not registered */
	capture_begin();
	CHECK_INT(vaccel_resource_unregister(&res, &s1), VACCEL_EINVAL);
	out = capture_end();
	snprintf(want, sizeof(want), "session:%lld Resource %lld not registered",
		 (long long)s1.id, (long long)res.id);
	CHECK_HAS(out, want);
	free(out);
	CHECK_INT(vaccel_resource_sync(&res, &s1), VACCEL_EPERM);
	CHECK_INT(vaccel_resource_register(NULL, &s1), VACCEL_EINVAL);
	CHECK_INT(vaccel_resource_register(&res, NULL), VACCEL_EINVAL);

	/* refcount across two sessions */
	CHECK_INT(vaccel_resource_register(&res, &s1), VACCEL_OK);
	CHECK_INT(vaccel_resource_register(&res, &s2), VACCEL_OK);
	CHECK_INT(vaccel_resource_refcount(&res), 2);
	CHECK_INT(res.nr_blobs, 1);
	CHECK(vaccel_session_has_resource(&s1, &res));
	CHECK(vaccel_session_has_resource(&s2, &res));
	CHECK_INT(vaccel_resource_unregister(&res, &s1), VACCEL_OK);
	CHECK_INT(vaccel_resource_refcount(&res), 1);
	CHECK(!vaccel_session_has_resource(&s1, &res));
	CHECK(vaccel_session_has_resource(&s2, &res));
	CHECK_INT(vaccel_resource_unregister(&res, &s1), VACCEL_EINVAL);
	CHECK_INT(vaccel_resource_register(&res, &s1), VACCEL_OK);
	CHECK_INT(vaccel_resource_refcount(&res), 2);

	/* global lookups */
	{
		struct vaccel_resource *p = NULL;
		struct vaccel_resource **all = NULL;
		size_t n = 0;

		CHECK_INT(vaccel_resource_get_by_type(&p, VACCEL_RESOURCE_DATA),
			  VACCEL_OK);
		CHECK(p == &res);
		CHECK_INT(vaccel_resource_get_by_type(&p, VACCEL_RESOURCE_LIB),
			  VACCEL_ENOENT);
		CHECK_INT(vaccel_resource_get_all_by_type(&all, &n,
							  VACCEL_RESOURCE_DATA),
			  VACCEL_OK);
		CHECK_INT(n, 2);
		if (all && n == 2)
			CHECK((all[0] == &res && all[1] == &other) ||
			      (all[0] == &other && all[1] == &res));
		free(all);
		all = NULL;
		CHECK_INT(vaccel_resource_get_all_by_type(&all, &n,
							  VACCEL_RESOURCE_MODEL),
			  VACCEL_ENOENT);
		free(all);
	}

	/* release unregisters from every session */
	CHECK_INT(vaccel_resource_release(&res), VACCEL_OK);
	CHECK(!vaccel_session_has_resource(&s1, &res));
	CHECK(!vaccel_session_has_resource(&s2, &res));
	{
		struct vaccel_resource *p = NULL;

		CHECK_INT(vaccel_session_resource_by_type(&s1, &p,
							  VACCEL_RESOURCE_DATA),
			  VACCEL_ENOENT);
	}
	/* unregister of a released resource */
	capture_begin();
	CHECK_INT(vaccel_resource_unregister(&res, &s1), VACCEL_EINVAL);
	out = capture_end();
	CHECK_HAS(out, "Cannot unregister uninitialized resource");
	free(out);

	CHECK_INT(vaccel_resource_release(&other), VACCEL_OK);
	CHECK_INT(vaccel_session_release(&s1), VACCEL_OK);
	CHECK_INT(vaccel_session_release(&s2), VACCEL_OK);
}

/* --- concurrency ------------------------------------------------------ */

enum { NR_THREADS = 8, NR_ROUNDS = 25 };
static atomic_int reg_failures;
static struct vaccel_resource *race_res;
static pthread_barrier_t race_barrier;

/* Every thread registers the same fresh resource with its own session */
static void *register_worker(void *arg)
{
	struct vaccel_session s = { .id = 0 };
	int ret;

	(void)arg;
	if (vaccel_session_init(&s, 0) != VACCEL_OK) {
		atomic_fetch_add(&reg_failures, 1);
		return NULL;
	}
	pthread_barrier_wait(&race_barrier);
	ret = vaccel_resource_register(race_res, &s);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "concurrent register returned %d\n", ret);
		atomic_fetch_add(&reg_failures, 1);
	}
	pthread_barrier_wait(&race_barrier);
	if (vaccel_session_release(&s) != VACCEL_OK)
		atomic_fetch_add(&reg_failures, 1);
	return NULL;
}

static void test_concurrent_first_registration(void)
{
	struct vaccel_resource res;
	pthread_t th[NR_THREADS];
	int bad_blobs = 0, bad_refcount = 0;
	char *out;

	pthread_barrier_init(&race_barrier, NULL, NR_THREADS);
	race_res = &res;
	capture_begin();
	for (int round = 0; round < NR_ROUNDS; round++) {
		CHECK_INT(vaccel_resource_init(&res, img_path,
					       VACCEL_RESOURCE_DATA),
			  VACCEL_OK);
		for (int i = 0; i < NR_THREADS; i++)
			pthread_create(&th[i], NULL, register_worker, NULL);
		for (int i = 0; i < NR_THREADS; i++)
			pthread_join(th[i], NULL);
		if (res.nr_blobs != 1)
			bad_blobs++;
		if (vaccel_resource_refcount(&res) != 0)
			bad_refcount++;
		CHECK_INT(vaccel_resource_release(&res), VACCEL_OK);
	}
	out = capture_end();
	free(out);
	pthread_barrier_destroy(&race_barrier);
	/* §10.4: data is loaded once per resource; every registration OK */
	{
		int concurrent_first_registration_failures =
			atomic_load(&reg_failures);
		int rounds_with_wrong_nr_blobs = bad_blobs;
		int rounds_with_wrong_refcount = bad_refcount;

		CHECK_INT(concurrent_first_registration_failures, 0);
		CHECK_INT(rounds_with_wrong_nr_blobs, 0);
		CHECK_INT(rounds_with_wrong_refcount, 0);
	}
}

static void *lifecycle_worker(void *arg)
{
	char buf[32] = "per-thread data";
	int fails = 0;

	(void)arg;
	for (int i = 0; i < 50; i++) {
		struct vaccel_resource r = { .id = 0 };
		struct vaccel_resource *p = NULL;

		fails += vaccel_resource_init_from_buf(&r, buf, sizeof(buf),
						       VACCEL_RESOURCE_DATA,
						       "p.bin", false) !=
			 VACCEL_OK;
		fails += vaccel_resource_get_by_id(&p, r.id) != VACCEL_OK ||
			 p != &r;
		fails += vaccel_resource_release(&r) != VACCEL_OK;
	}
	atomic_fetch_add(&reg_failures, fails);
	return NULL;
}

static void test_concurrent_lifecycle(void)
{
	pthread_t th[NR_THREADS];
	char *out;

	atomic_store(&reg_failures, 0);
	capture_begin();
	for (int i = 0; i < NR_THREADS; i++)
		pthread_create(&th[i], NULL, lifecycle_worker, NULL);
	for (int i = 0; i < NR_THREADS; i++)
		pthread_join(th[i], NULL);
	out = capture_end();
	free(out);
	{
		int concurrent_lifecycle_failures = atomic_load(&reg_failures);

		CHECK_INT(concurrent_lifecycle_failures, 0);
	}
}

/* --- id pool (spec §8.2): 2048 resources -------------------------------- */

static void test_id_pool(void)
{
	enum { MAX = 2048 };
	struct vaccel_resource *rs = calloc(MAX + 1, sizeof(*rs));
	char *seen = calloc(MAX + 1, 1);
	char buf[4] = "abc";
	vaccel_id_t first = 0, prev = 0;
	bool increasing = true, unique = true;
	size_t n = 0;
	int ret = VACCEL_OK;
	char *out;

	CHECK(rs != NULL && seen != NULL);
	if (rs == NULL || seen == NULL)
		goto out;
	capture_begin();
	while (n < MAX) {
		ret = vaccel_resource_init_from_buf(&rs[n], buf, sizeof(buf),
						    VACCEL_RESOURCE_DATA, "b",
						    true);
		if (ret != VACCEL_OK)
			break;
		if (n == 0)
			first = rs[n].id;
		if (rs[n].id <= prev)
			increasing = false;
		prev = rs[n].id;
		n++;
		if (prev >= MAX)
			break;
	}
	if (ret == VACCEL_OK)
		ret = vaccel_resource_init_from_buf(&rs[n], buf, sizeof(buf),
						    VACCEL_RESOURCE_DATA, "b",
						    true);
	out = capture_end();
	CHECK_INT(ret, VACCEL_OK);
	CHECK_INT(prev, MAX);
	CHECK(increasing);
	if (ret == VACCEL_OK) {
		CHECK(rs[n].id >= 1 && rs[n].id < first);
		n++;
	}
	CHECK_HAS(out, "Reached max ID (2048)");
	CHECK_HAS(out, "Trying to reclaim lower IDs");
	free(out);

	capture_begin();
	while (n < MAX) {
		ret = vaccel_resource_init_from_buf(&rs[n], buf, sizeof(buf),
						    VACCEL_RESOURCE_DATA, "b",
						    true);
		if (ret != VACCEL_OK)
			break;
		n++;
	}
	CHECK_INT(n, MAX);
	CHECK_INT(vaccel_resource_init_from_buf(&rs[MAX], buf, sizeof(buf),
						VACCEL_RESOURCE_DATA, "b",
						true),
		  VACCEL_EUSERS);
	for (size_t i = 0; i < n; i++) {
		vaccel_id_t id = rs[i].id;

		if (id < 1 || id > MAX || seen[id])
			unique = false;
		else
			seen[id] = 1;
	}
	CHECK(unique);
	for (size_t i = 0; i < n; i++)
		if (vaccel_resource_release(&rs[i]) != VACCEL_OK)
			ret = -1;
	out = capture_end();
	free(out);
	CHECK_INT(ret, VACCEL_OK);
out:
	free(rs);
	free(seen);
}

int main(void)
{
	const char *data = test_env("VACCEL_TEST_DATA");
	struct vaccel_session sess = { .id = 0 };

	snprintf(img_path, sizeof(img_path), "%s/images/example.jpg", data);
	snprintf(csv_path, sizeof(csv_path), "%s/input/input_2048.csv", data);
	snprintf(dir_path, sizeof(dir_path), "%s/models/tf/lstm2", data);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}

	CHECK_INT(vaccel_session_init(&sess, 0), VACCEL_OK);
	test_file_resource(&sess);
	test_dir_resource(&sess);
	test_init_errors(&sess);
	test_from_buf(&sess);
	test_from_blobs(&sess);
	CHECK_INT(vaccel_session_release(&sess), VACCEL_OK);
	test_sessions();
	test_concurrent_first_registration();
	test_concurrent_lifecycle();
	test_id_pool();

	CHECK(rmdir(tmpdir) == 0);
	return CHECK_DONE();
}
