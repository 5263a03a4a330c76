// SPDX-License-Identifier: Apache-2.0
/*
 * Remote (transport) sessions and resources through the mock transport
 * plugin (spec §9.1 step 5, §9.2, §9.3, §10.4, §10.5, §10.7, §14.7, §21.8).
 * Run with VACCEL_BOOTSTRAP_ENABLED=0 VACCEL_CLEANUP_ENABLED=0.
 */
#include "check.h"

#include <dlfcn.h>
#include <limits.h>
#include <vaccel.h>

static char img_path[PATH_MAX];
static char dir_path[PATH_MAX];
static void *mock;

#define MOCK(type, name) (*(type *)mock_sym(#name))

static void *mock_sym(const char *name)
{
	static long dummy[4];
	void *p = mock ? dlsym(mock, name) : NULL;

	if (p == NULL) {
		CHECK(!"mock symbol found");
		return dummy;
	}
	return p;
}

static void bootstrap(const char *plugins)
{
	struct vaccel_config cfg;

	CHECK_INT(vaccel_config_init(&cfg, plugins, VACCEL_LOG_DEBUG, NULL,
				     false, false),
		  VACCEL_OK);
	CHECK_INT(vaccel_bootstrap_with_config(&cfg), VACCEL_OK);
	vaccel_config_release(&cfg);
}

static void test_sessions(void)
{
	struct vaccel_session s1 = { .id = 0 };
	struct vaccel_session s2 = { .id = 0 };
	char *out;

	capture_begin();
	CHECK_INT(vaccel_session_init(&s1, 0), VACCEL_OK);
	out = capture_end();
	CHECK_HAS(out, "Initialized session 1 with plugin mock (remote id: 1)\n");
	free(out);
	CHECK(s1.plugin != NULL);
	mock = s1.plugin ? s1.plugin->dl_handle : NULL;
	CHECK(mock != NULL);
	CHECK(s1.is_virtio);
	CHECK_INT(s1.remote_id, 1);
	CHECK_INT(s1.hint, 0);
	CHECK(s1.priv == NULL);
	CHECK(test_is_dir(s1.rundir));
	CHECK_INT(MOCK(int, mock_session_init_calls), 1);
	CHECK_INT(MOCK(uint32_t, mock_last_flags), 0);

	/* REMOTE is stripped from the flags the plugin sees, kept in hint */
	CHECK_INT(vaccel_session_init(&s2, VACCEL_PLUGIN_REMOTE |
						   VACCEL_PLUGIN_CPU),
		  VACCEL_OK);
	CHECK_INT(MOCK(uint32_t, mock_last_flags), VACCEL_PLUGIN_CPU);
	CHECK_INT(s2.hint, VACCEL_PLUGIN_REMOTE | VACCEL_PLUGIN_CPU);
	CHECK(s2.is_virtio);

	/* ops go to the transport plugin */
	CHECK_INT(vaccel_noop(&s1), VACCEL_OK);
	CHECK_INT(MOCK(int, mock_noop_calls), 1);
	CHECK_INT(MOCK(int64_t, mock_last_noop_remote_id), 1);
	/* ... which lacks the others */
	{
		unsigned char name[32];

		CHECK_INT(vaccel_image_depth(&s1, "x", name, 1, sizeof(name)),
			  VACCEL_ENOTSUP);
	}

	/* update is forwarded (without REMOTE) */
	CHECK_INT(vaccel_session_update(&s2, VACCEL_PLUGIN_REMOTE |
						     VACCEL_PLUGIN_GPU),
		  VACCEL_OK);
	CHECK_INT(MOCK(int, mock_session_update_calls), 1);
	CHECK_INT(MOCK(uint32_t, mock_last_flags), VACCEL_PLUGIN_GPU);
	/* the core leaves hint to the plugin (which set it to the flags) */
	CHECK_INT(s2.hint, VACCEL_PLUGIN_GPU);

	/* release goes through the plugin */
	CHECK_INT(vaccel_session_release(&s2), VACCEL_OK);
	CHECK_INT(MOCK(int, mock_session_release_calls), 1);
	CHECK_INT(s2.remote_id, 0);
	CHECK_INT(s2.id, 0);
	CHECK(s2.plugin == NULL);
	CHECK_INT(vaccel_session_release(&s1), VACCEL_OK);
	CHECK_INT(MOCK(int, mock_session_release_calls), 2);

	/* a failing transport session_release only warns */
	CHECK_INT(vaccel_session_init(&s2, 0), VACCEL_OK);
	MOCK(int, mock_session_release_ret) = VACCEL_EREMOTEIO;
	capture_begin();
	CHECK_INT(vaccel_session_release(&s2), VACCEL_OK);
	out = capture_end();
	CHECK_HAS(out, "Could not release remote session");
	free(out);
	MOCK(int, mock_session_release_ret) = 0;
	CHECK_INT(s2.id, 0);

	/* a failing transport session_init */
	MOCK(int, mock_session_init_ret) = VACCEL_EREMOTEIO;
	capture_begin();
	CHECK_INT(vaccel_session_init(&s1, 0), VACCEL_EREMOTEIO);
	out = capture_end();
	CHECK_HAS(out, "Failed to initialize remote session");
	free(out);
	MOCK(int, mock_session_init_ret) = 0;
}

static void test_resources(void)
{
	struct vaccel_session sess = { .id = 0 };
	struct vaccel_session sess2 = { .id = 0 };
	struct vaccel_resource file = { .id = 0 };
	struct vaccel_resource dir = { .id = 0 };
	struct vaccel_resource buf = { .id = 0 };
	struct vaccel_resource url = { .id = 0 };
	struct vaccel_resource bad = { .id = 0 };
	char bytes[] = "some bytes";
	char want[128];
	char *out;
	int calls;

	CHECK_INT(vaccel_session_init(&sess, 0), VACCEL_OK);
	CHECK_INT(vaccel_session_init(&sess2, 0), VACCEL_OK);
	CHECK(mock != NULL);
	if (mock == NULL)
		return;

	/* a file: mapped into memory before the hook runs */
	CHECK_INT(vaccel_resource_init(&file, img_path, VACCEL_RESOURCE_DATA),
		  VACCEL_OK);
	calls = MOCK(int, mock_resource_register_calls);
	capture_begin();
	CHECK_INT(vaccel_resource_register(&file, &sess), VACCEL_OK);
	out = capture_end();
	snprintf(want, sizeof(want),
		 "session:%lld Registered resource %lld with remote (id: 1)\n",
		 (long long)sess.id, (long long)file.id);
	CHECK_HAS(out, want);
	free(out);
	CHECK_INT(MOCK(int, mock_resource_register_calls), calls + 1);
	CHECK_INT(file.remote_id, 1);
	CHECK_INT(MOCK(size_t, mock_last_nr_blobs), 1);
	CHECK_INT(MOCK(int, mock_last_all_mapped), 1);
	CHECK_INT(file.nr_blobs, 1);
	if (file.nr_blobs == 1) {
		CHECK_INT(file.blobs[0]->type, VACCEL_BLOB_MAPPED);
		CHECK(file.blobs[0]->data != NULL);
		CHECK_INT(file.blobs[0]->size, 79281);
		CHECK_STR(file.blobs[0]->path, img_path);
	}
	CHECK(vaccel_session_has_resource(&sess, &file));
	CHECK_INT(vaccel_resource_refcount(&file), 1);

	/* already registered: the hook still sees the attempt (§10.4) */
	CHECK_INT(vaccel_resource_register(&file, &sess), VACCEL_OK);
	CHECK_INT(MOCK(int, mock_resource_register_calls), calls + 2);
	CHECK_INT(vaccel_resource_refcount(&file), 1);

	/* sync: only buffer resources */
	CHECK_INT(vaccel_resource_sync(&file, &sess), VACCEL_EINVAL);
	CHECK_INT(MOCK(int, mock_resource_sync_calls), 0);

	/* unregister: hook resets remote_id */
	CHECK_INT(vaccel_resource_unregister(&file, &sess), VACCEL_OK);
	CHECK_INT(MOCK(int, mock_resource_unregister_calls), 1);
	CHECK_INT(file.remote_id, 0);
	CHECK(!vaccel_session_has_resource(&sess, &file));
	CHECK_INT(vaccel_resource_refcount(&file), 0);
	/* and again */
	CHECK_INT(vaccel_resource_register(&file, &sess), VACCEL_OK);
	CHECK_INT(file.remote_id, 1);
	CHECK_INT(file.nr_blobs, 1);

	/* a directory: flattened, every blob mapped */
	CHECK_INT(vaccel_resource_init(&dir, dir_path, VACCEL_RESOURCE_MODEL),
		  VACCEL_OK);
	CHECK_INT(vaccel_resource_register(&dir, &sess), VACCEL_OK);
	CHECK_INT(dir.remote_id, 1);
	CHECK_INT(MOCK(size_t, mock_last_nr_blobs), 4);
	CHECK_INT(MOCK(int, mock_last_all_mapped), 1);
	CHECK_INT(dir.nr_blobs, 4);
	for (size_t i = 0; i < dir.nr_blobs; i++)
		CHECK_INT(dir.blobs[i]->type, VACCEL_BLOB_MAPPED);
	CHECK(dir.rundir == NULL);

	/* a memory buffer: sync reaches the plugin */
	CHECK_INT(vaccel_resource_init_from_buf(&buf, bytes, sizeof(bytes),
						VACCEL_RESOURCE_DATA, "b.bin",
						true),
		  VACCEL_OK);
	CHECK_INT(vaccel_resource_sync(&buf, &sess), VACCEL_EPERM);
	CHECK_INT(vaccel_resource_register(&buf, &sess), VACCEL_OK);
	CHECK_INT(buf.remote_id, 1);
	CHECK_INT(vaccel_resource_sync(&buf, &sess), VACCEL_OK);
	CHECK_INT(MOCK(int, mock_resource_sync_calls), 1);

	/* a URL: no download, no blobs on a remote session */
	CHECK_INT(vaccel_resource_init(&url, "https://localhost:1/model.pt",
				       VACCEL_RESOURCE_MODEL),
		  VACCEL_OK);
	CHECK_INT(url.path_type, VACCEL_PATH_REMOTE_FILE);
	CHECK_INT(vaccel_resource_register(&url, &sess), VACCEL_OK);
	CHECK_INT(url.remote_id, 1);
	CHECK_INT(MOCK(int, mock_last_path_type), VACCEL_PATH_REMOTE_FILE);
	CHECK_INT(MOCK(size_t, mock_last_nr_blobs), 0);
	CHECK_INT(url.nr_blobs, 0);
	CHECK(url.rundir == NULL);

	/* hook failure */
	CHECK_INT(vaccel_resource_init(&bad, img_path, VACCEL_RESOURCE_DATA),
		  VACCEL_OK);
	MOCK(int, mock_register_ret) = VACCEL_EIO;
	capture_begin();
	CHECK_INT(vaccel_resource_register(&bad, &sess), VACCEL_EIO);
	out = capture_end();
	snprintf(want, sizeof(want),
		 "session:%lld Failed to register remote resource",
		 (long long)sess.id);
	CHECK_HAS(out, want);
	free(out);
	MOCK(int, mock_register_ret) = 0;
	CHECK(!vaccel_session_has_resource(&sess, &bad));
	CHECK_INT(vaccel_resource_refcount(&bad), 0);

	/* hook returns OK without a remote id → error (§10.4, §21.8) */
	MOCK(int, mock_register_no_id) = 1;
	bad.remote_id = 0;
	CHECK(vaccel_resource_register(&bad, &sess) != VACCEL_OK);
	MOCK(int, mock_register_no_id) = 0;
	CHECK(!vaccel_session_has_resource(&sess, &bad));
	CHECK_INT(vaccel_resource_refcount(&bad), 0);

	/* resource release unregisters from every session (hook called) */
	CHECK_INT(vaccel_resource_register(&file, &sess2), VACCEL_OK);
	CHECK_INT(vaccel_resource_refcount(&file), 2);
	calls = MOCK(int, mock_resource_unregister_calls);
	CHECK_INT(vaccel_resource_release(&file), VACCEL_OK);
	CHECK_INT(MOCK(int, mock_resource_unregister_calls), calls + 2);
	CHECK(!vaccel_session_has_resource(&sess, &file));
	CHECK(!vaccel_session_has_resource(&sess2, &file));

	/* session release unregisters the rest */
	calls = MOCK(int, mock_resource_unregister_calls);
	CHECK_INT(vaccel_session_release(&sess), VACCEL_OK);
	CHECK_INT(MOCK(int, mock_resource_unregister_calls), calls + 3);
	CHECK_INT(dir.remote_id, 0);
	CHECK_INT(buf.remote_id, 0);
	CHECK_INT(url.remote_id, 0);
	CHECK_INT(vaccel_session_release(&sess2), VACCEL_OK);

	CHECK_INT(vaccel_resource_release(&dir), VACCEL_OK);
	CHECK_INT(vaccel_resource_release(&buf), VACCEL_OK);
	CHECK_INT(vaccel_resource_release(&url), VACCEL_OK);
	CHECK_INT(vaccel_resource_release(&bad), VACCEL_OK);
}

/* a transport plugin next to a local one */
static void test_mixed(const char *mock_lib)
{
	char list[PATH_MAX + 64];
	struct vaccel_session local = { .id = 0 };
	struct vaccel_session remote = { .id = 0 };
	struct vaccel_resource file = { .id = 0 };

	snprintf(list, sizeof(list), "libvaccel-noop.so:%s", mock_lib);
	bootstrap(list);
	CHECK_INT(vaccel_session_init(&local, 0), VACCEL_OK);
	CHECK_INT(vaccel_session_init(&remote, VACCEL_PLUGIN_REMOTE),
		  VACCEL_OK);
	CHECK(!local.is_virtio);
	CHECK(remote.is_virtio);
	CHECK_INT(remote.remote_id, 1);
	mock = remote.plugin ? remote.plugin->dl_handle : NULL;
	CHECK(mock != NULL);
	if (mock == NULL)
		return;

	CHECK_INT(vaccel_resource_init(&file, img_path, VACCEL_RESOURCE_DATA),
		  VACCEL_OK);
	/* local session first: FILE blob, data not read */
	CHECK_INT(vaccel_resource_register(&file, &local), VACCEL_OK);
	CHECK_INT(file.nr_blobs, 1);
	if (file.nr_blobs == 1) {
		CHECK_INT(file.blobs[0]->type, VACCEL_BLOB_FILE);
		CHECK(file.blobs[0]->data == NULL);
	}
	CHECK_INT(file.remote_id, 0);
	CHECK_INT(MOCK(int, mock_resource_register_calls), 0);
	/* then the remote one: blobs reused, data mapped for the hook */
	CHECK_INT(vaccel_resource_register(&file, &remote), VACCEL_OK);
	CHECK_INT(MOCK(int, mock_resource_register_calls), 1);
	CHECK_INT(MOCK(int, mock_last_all_mapped), 1);
	CHECK_INT(file.remote_id, 1);
	CHECK_INT(file.nr_blobs, 1);
	CHECK_INT(vaccel_resource_refcount(&file), 2);
	CHECK_INT(vaccel_noop(&local), VACCEL_OK);
	CHECK_INT(MOCK(int, mock_noop_calls), 0);
	CHECK_INT(vaccel_noop(&remote), VACCEL_OK);
	CHECK_INT(MOCK(int, mock_noop_calls), 1);

	CHECK_INT(vaccel_resource_release(&file), VACCEL_OK);
	CHECK_INT(MOCK(int, mock_resource_unregister_calls), 1);
	CHECK_INT(vaccel_session_release(&local), VACCEL_OK);
	CHECK_INT(vaccel_session_release(&remote), VACCEL_OK);
	CHECK_INT(MOCK(int, mock_session_release_calls), 1);
	CHECK_INT(vaccel_cleanup(), VACCEL_OK);
}

/* transport plugins lacking hooks (§9.1, §9.3, §10.4, §10.7) */
static void test_missing_hooks(const char *plugdir)
{
	char lib[PATH_MAX + 64];
	struct vaccel_session sess = { .id = 0 };
	struct vaccel_resource res = { .id = 0 };
	char bytes[] = "bytes";
	char want[128];
	char *out;

	snprintf(lib, sizeof(lib), "%s/libmock-nosession.so", plugdir);
	bootstrap(lib);
	capture_begin();
	CHECK_INT(vaccel_session_init(&sess, 0), VACCEL_ENOTSUP);
	out = capture_end();
	CHECK_HAS(out, "Cannot initialize remote session; invalid plugin "
		       "`session_init()`");
	free(out);
	CHECK_INT(vaccel_session_init(&sess, VACCEL_PLUGIN_REMOTE),
		  VACCEL_ENOTSUP);

	snprintf(lib, sizeof(lib), "%s/libmock-noreg.so", plugdir);
	bootstrap(lib);
	CHECK_INT(vaccel_session_init(&sess, 0), VACCEL_OK);
	CHECK(sess.is_virtio);
	capture_begin();
	CHECK_INT(vaccel_session_update(&sess, VACCEL_PLUGIN_REMOTE |
						       VACCEL_PLUGIN_CPU),
		  VACCEL_ENOTSUP);
	out = capture_end();
	CHECK_HAS(out, "Cannot update remote session; invalid plugin "
		       "`session_update()`");
	free(out);
	CHECK_INT(vaccel_resource_init_from_buf(&res, bytes, sizeof(bytes),
						VACCEL_RESOURCE_DATA, "b",
						true),
		  VACCEL_OK);
	capture_begin();
	CHECK_INT(vaccel_resource_register(&res, &sess), VACCEL_ENOTSUP);
	out = capture_end();
	snprintf(want, sizeof(want),
		 "session:%lld Cannot register remote resource; no VirtIO "
		 "plugin loaded yet",
		 (long long)sess.id);
	CHECK_HAS(out, want);
	free(out);
	CHECK(!vaccel_session_has_resource(&sess, &res));
	CHECK_INT(vaccel_resource_refcount(&res), 0);
	CHECK_INT(vaccel_resource_release(&res), VACCEL_OK);
	CHECK_INT(vaccel_session_release(&sess), VACCEL_OK);

	snprintf(lib, sizeof(lib), "%s/libmock-nosync.so", plugdir);
	bootstrap(lib);
	CHECK_INT(vaccel_session_init(&sess, 0), VACCEL_OK);
	CHECK_INT(vaccel_resource_init_from_buf(&res, bytes, sizeof(bytes),
						VACCEL_RESOURCE_DATA, "b",
						true),
		  VACCEL_OK);
	CHECK_INT(vaccel_resource_register(&res, &sess), VACCEL_OK);
	CHECK_INT(vaccel_resource_sync(&res, &sess), VACCEL_ENOTSUP);
	CHECK_INT(vaccel_resource_release(&res), VACCEL_OK);
	CHECK_INT(vaccel_session_release(&sess), VACCEL_OK);
	CHECK_INT(vaccel_cleanup(), VACCEL_OK);
}

int main(void)
{
	const char *data = test_env("VACCEL_TEST_DATA");
	char mock_lib[PATH_MAX];

	snprintf(img_path, sizeof(img_path), "%s/images/example.jpg", data);
	snprintf(dir_path, sizeof(dir_path), "%s/models/tf/lstm2", data);
	snprintf(mock_lib, sizeof(mock_lib), "%s/libmock-transport.so",
		 test_env("VACCEL_TEST_PLUGINS"));

	bootstrap(mock_lib);
	test_sessions();
	test_resources();
	CHECK_INT(vaccel_cleanup(), VACCEL_OK);
	test_mixed(mock_lib);
	test_missing_hooks(test_env("VACCEL_TEST_PLUGINS"));
	return CHECK_DONE();
}
