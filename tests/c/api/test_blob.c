// SPDX-License-Identifier: Apache-2.0
/*
 * Blobs (spec §11, §20 "blob"). Run with VACCEL_PLUGINS=libvaccel-noop.so.
 */
#include "check.h"

#include <limits.h>
#include <vaccel.h>

static char csv_path[PATH_MAX];
static char tmpdir[] = "/tmp/vaccel-blob-test.XXXXXX";

static bool file_equals(const char *path, const void *data, size_t size)
{
	size_t n = 0;
	char *c = test_read_file(path, &n);
	bool eq = c != NULL && n == size && memcmp(c, data, size) == 0;

	free(c);
	return eq;
}

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

/* "<stem>_XXXXXX<ext>" with six [A-Za-z0-9] characters */
static bool is_randomized(const char *name, const char *stem, const char *ext)
{
	size_t ls = strlen(stem), le = strlen(ext);

	if (name == NULL || strlen(name) != ls + 7 + le)
		return false;
	if (strncmp(name, stem, ls) != 0 || name[ls] != '_' ||
	    strcmp(name + ls + 7, ext) != 0)
		return false;
	for (size_t i = ls + 1; i < ls + 7; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

static void test_from_path(void)
{
	struct vaccel_blob b;
	struct vaccel_blob *p = NULL;
	size_t file_size = 0;
	char *contents = test_read_file(csv_path, &file_size);
	char empty[PATH_MAX + 16];
	uint8_t *data;
	size_t size = 0;
	char *out;
	FILE *f;

	CHECK_INT(vaccel_blob_init(&b, csv_path), VACCEL_OK);
	CHECK_INT(b.type, VACCEL_BLOB_FILE);
	CHECK_STR(b.name, "input_2048.csv");
	CHECK_STR(b.path, csv_path);
	CHECK(b.path != csv_path);
	CHECK(!b.path_owned);
	CHECK(b.data == NULL);
	CHECK_INT(b.size, 0);
	CHECK(!b.data_owned);
	CHECK(vaccel_blob_valid(&b));
	CHECK_STR(vaccel_blob_path(&b), csv_path);

	/* data read on demand (mapped, not owned) */
	data = vaccel_blob_data(&b, &size);
	CHECK(data != NULL);
	CHECK_INT(size, file_size);
	CHECK(data && contents && memcmp(data, contents, file_size) == 0);
	CHECK_INT(b.type, VACCEL_BLOB_MAPPED);
	CHECK(!b.data_owned);
	CHECK(!b.path_owned);
	CHECK_INT(vaccel_blob_read(&b), VACCEL_OK);
	CHECK(b.data == data);

	CHECK_INT(vaccel_blob_release(&b), VACCEL_OK);
	CHECK_INT(b.type, VACCEL_BLOB_MAX);
	CHECK(!vaccel_blob_valid(&b));
	/* the user's file is kept */
	CHECK(test_path_exists(csv_path));
	capture_begin();
	CHECK_INT(vaccel_blob_release(&b), VACCEL_EINVAL);
	out = capture_end();
	CHECK_HAS(out, "Cannot release uninitialized blob");
	free(out);

	/* errors */
	capture_begin();
	CHECK_INT(vaccel_blob_init(&b, "/nonexistent/blob"), VACCEL_EINVAL);
	out = capture_end();
	CHECK_HAS(out, "Invalid file /nonexistent/blob");
	free(out);
	CHECK_INT(vaccel_blob_init(&b, tmpdir), VACCEL_EINVAL);
	CHECK_INT(vaccel_blob_init(&b, NULL), VACCEL_EINVAL);
	CHECK_INT(vaccel_blob_init(NULL, csv_path), VACCEL_EINVAL);

	/* an empty file cannot be read */
	snprintf(empty, sizeof(empty), "%s/empty", tmpdir);
	f = fopen(empty, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	CHECK_INT(vaccel_blob_init(&b, empty), VACCEL_OK);
	capture_begin();
	CHECK_INT(vaccel_blob_read(&b), VACCEL_EINVAL);
	out = capture_end();
	{
		char want[PATH_MAX + 64];

		snprintf(want, sizeof(want), "File %s is empty", empty);
		CHECK_HAS(out, want);
	}
	free(out);
	CHECK_INT(vaccel_blob_release(&b), VACCEL_OK);
	CHECK(test_path_exists(empty));
	unlink(empty);

	/* new / delete */
	CHECK_INT(vaccel_blob_new(&p, csv_path), VACCEL_OK);
	CHECK(p != NULL && p->type == VACCEL_BLOB_FILE);
	CHECK_INT(vaccel_blob_delete(p), VACCEL_OK);
	CHECK_INT(vaccel_blob_new(NULL, csv_path), VACCEL_EINVAL);
	p = NULL;
	CHECK_INT(vaccel_blob_new(&p, "/nonexistent/blob"), VACCEL_EINVAL);
	CHECK_INT(vaccel_blob_delete(NULL), VACCEL_EINVAL);
	free(contents);
}

static void test_from_buf(void)
{
	uint8_t buf[] = "blob contents";
	struct vaccel_blob b;
	struct vaccel_blob *p = NULL;
	char want[2 * PATH_MAX];
	char path[PATH_MAX];
	char *out;

	/* not owned: references the caller's buffer */
	CHECK_INT(vaccel_blob_init_from_buf(&b, buf, sizeof(buf), false,
					    "buf.bin", NULL, false),
		  VACCEL_OK);
	CHECK_INT(b.type, VACCEL_BLOB_BUFFER);
	CHECK_STR(b.name, "buf.bin");
	CHECK(b.path == NULL);
	CHECK(vaccel_blob_path(&b) == NULL);
	CHECK(b.data == buf);
	CHECK_INT(b.size, sizeof(buf));
	CHECK(!b.data_owned);
	CHECK(!b.path_owned);
	CHECK(vaccel_blob_valid(&b));
	CHECK_INT(vaccel_blob_release(&b), VACCEL_OK);
	CHECK_STR((char *)buf, "blob contents");

	/* owned copy */
	CHECK_INT(vaccel_blob_init_from_buf(&b, buf, sizeof(buf), true,
					    "own.bin", NULL, false),
		  VACCEL_OK);
	CHECK_INT(b.type, VACCEL_BLOB_BUFFER);
	CHECK(b.data != NULL && b.data != buf);
	CHECK(b.data && memcmp(b.data, buf, sizeof(buf)) == 0);
	CHECK(b.data_owned);
	CHECK_INT(b.size, sizeof(buf));
	/* persisting later */
	CHECK_INT(vaccel_blob_persist(&b, tmpdir, "persisted.bin", false),
		  VACCEL_OK);
	snprintf(want, sizeof(want), "%s/persisted.bin", tmpdir);
	CHECK_INT(b.type, VACCEL_BLOB_MAPPED);
	CHECK_STR(b.path, want);
	CHECK(b.path_owned);
	CHECK(b.data_owned);
	CHECK(file_equals(want, buf, sizeof(buf)));
	CHECK(b.data && memcmp(b.data, buf, sizeof(buf)) == 0);
	CHECK_INT(vaccel_blob_release(&b), VACCEL_OK);
	CHECK(!test_path_exists(want));

	/* persisted at init */
	CHECK_INT(vaccel_blob_init_from_buf(&b, buf, sizeof(buf), false,
					    "file.txt", tmpdir, false),
		  VACCEL_OK);
	snprintf(path, sizeof(path), "%s/file.txt", tmpdir);
	CHECK_INT(b.type, VACCEL_BLOB_MAPPED);
	CHECK_STR(b.path, path);
	CHECK_STR(b.name, "file.txt");
	CHECK(b.path_owned);
	CHECK(b.data_owned);
	CHECK(b.data != NULL && b.data != buf);
	CHECK_INT(b.size, sizeof(buf));
	CHECK(file_equals(path, buf, sizeof(buf)));
	{
		struct stat st;

		CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0700);
	}

	/* the same name again: randomised, extension kept */
	{
		struct vaccel_blob b2;

		capture_begin();
		CHECK_INT(vaccel_blob_init_from_buf(&b2, buf, sizeof(buf),
						    false, "file.txt", tmpdir,
						    false),
			  VACCEL_OK);
		out = capture_end();
		CHECK_HAS(out, "Adding a random value to the filename");
		snprintf(want, sizeof(want), "File %s exists", path);
		CHECK_HAS(out, want);
		free(out);
		CHECK_INT(b2.type, VACCEL_BLOB_MAPPED);
		CHECK(b2.path && strcmp(b2.path, path) != 0);
		CHECK(b2.path && strncmp(b2.path, tmpdir, strlen(tmpdir)) == 0);
		CHECK(is_randomized(base_name(b2.path), "file", ".txt"));
		CHECK_STR(b2.name, base_name(b2.path));
		CHECK(b2.path && file_equals(b2.path, buf, sizeof(buf)));
		test_strlcpy(want, b2.path, sizeof(want));
		CHECK_INT(vaccel_blob_release(&b2), VACCEL_OK);
		CHECK(!test_path_exists(want));
		/* the first one is untouched */
		CHECK(file_equals(path, buf, sizeof(buf)));
	}
	CHECK_INT(vaccel_blob_release(&b), VACCEL_OK);
	CHECK(!test_path_exists(path));

	/* randomize = true */
	CHECK_INT(vaccel_blob_init_from_buf(&b, buf, sizeof(buf), true,
					    "lib.so", tmpdir, true),
		  VACCEL_OK);
	CHECK(is_randomized(base_name(b.path), "lib", ".so"));
	CHECK(b.path && file_equals(b.path, buf, sizeof(buf)));
	CHECK_INT(vaccel_blob_release(&b), VACCEL_OK);
	CHECK_INT(vaccel_blob_init_from_buf(&b, buf, sizeof(buf), true,
					    "noext", tmpdir, true),
		  VACCEL_OK);
	CHECK(is_randomized(base_name(b.path), "noext", ""));
	CHECK_INT(vaccel_blob_release(&b), VACCEL_OK);

	/* errors */
	CHECK_INT(vaccel_blob_init_from_buf(&b, buf, sizeof(buf), false, NULL,
					    NULL, false),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_blob_init_from_buf(NULL, buf, sizeof(buf), false,
					    "x", NULL, false),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_blob_persist(NULL, tmpdir, "x", false), VACCEL_EINVAL);

	/* from_buf / delete */
	CHECK_INT(vaccel_blob_from_buf(&p, buf, sizeof(buf), true, "n.bin",
				       NULL, false),
		  VACCEL_OK);
	CHECK(p != NULL && p->type == VACCEL_BLOB_BUFFER && p->data_owned);
	CHECK_INT(vaccel_blob_delete(p), VACCEL_OK);
	p = NULL;
	CHECK_INT(vaccel_blob_from_buf(&p, buf, sizeof(buf), false, "n.bin",
				       tmpdir, false),
		  VACCEL_OK);
	CHECK(p != NULL && p->type == VACCEL_BLOB_MAPPED);
	snprintf(want, sizeof(want), "%s/n.bin", tmpdir);
	CHECK(test_path_exists(want));
	CHECK_INT(vaccel_blob_delete(p), VACCEL_OK);
	CHECK(!test_path_exists(want));
}

static void test_valid(void)
{
	uint8_t data[4] = { 1, 2, 3, 4 };
	char name[] = "x";
	struct vaccel_blob b;

	CHECK(!vaccel_blob_valid(NULL));
	memset(&b, 0, sizeof(b));
	CHECK(!vaccel_blob_valid(&b));
	b.type = VACCEL_BLOB_BUFFER;
	b.name = name;
	CHECK(!vaccel_blob_valid(&b));
	b.data = data;
	CHECK(!vaccel_blob_valid(&b));
	b.size = sizeof(data);
	CHECK(vaccel_blob_valid(&b));
	b.type = VACCEL_BLOB_MAX;
	CHECK(!vaccel_blob_valid(&b));
	b.type = VACCEL_BLOB_FILE;
	b.data = NULL;
	b.size = 0;
	b.path = csv_path;
	CHECK(vaccel_blob_valid(&b));
	b.name = NULL;
	CHECK(!vaccel_blob_valid(&b));
}

int main(void)
{
	snprintf(csv_path, sizeof(csv_path), "%s/input/input_2048.csv",
		 test_env("VACCEL_TEST_DATA"));
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}

	test_from_path();
	test_from_buf();
	test_valid();

	/* every persisted file was removed */
	CHECK(rmdir(tmpdir) == 0);
	return CHECK_DONE();
}
