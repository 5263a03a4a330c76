// SPDX-License-Identifier: Apache-2.0
/*
 * Plugin selection from the session hint (spec §14.5, §9.1, §9.3, §21.16),
 * with the bundled noop/exec plugins, the test plugin built as "gpu"
 * (type GPU) and the mock transport plugin. Each scenario re-bootstraps with
 * a different plugin list. Run with VACCEL_BOOTSTRAP_ENABLED=0
 * VACCEL_CLEANUP_ENABLED=0.
 */
#include "check.h"

#include <limits.h>
#include <vaccel.h>

static const char *plugdir;
static char gpu_lib[PATH_MAX];
static char mock_lib[PATH_MAX];

static void bootstrap(const char *plugins)
{
	struct vaccel_config cfg;

	printf("-- plugins: %s\n", plugins ? plugins : "(none)");
	CHECK_INT(vaccel_config_init(&cfg, plugins, VACCEL_LOG_DEBUG, NULL,
				     false, false),
		  VACCEL_OK);
	CHECK_INT(vaccel_bootstrap_with_config(&cfg), VACCEL_OK);
	vaccel_config_release(&cfg);
}

/* Init a session with `hint`, expect plugin `want` (NULL: ENOTSUP + msg) */
static void select_expect_(int line, uint32_t hint, const char *want,
			   bool remote, const char *msg)
{
	struct vaccel_session sess = { .id = 0 };
	char *out;
	int ret;

	printf("-- line %d: hint 0x%x\n", line, hint);
	sess.remote_id = 77;
	capture_begin();
	ret = vaccel_session_init(&sess, hint);
	out = capture_end();
	if (msg)
		CHECK_HAS(out, msg);
	free(out);
	if (want == NULL) {
		CHECK_INT(ret, VACCEL_ENOTSUP);
		if (ret == VACCEL_OK)
			vaccel_session_release(&sess);
		return;
	}
	CHECK_INT(ret, VACCEL_OK);
	if (ret != VACCEL_OK)
		return;
	CHECK(sess.plugin != NULL && sess.plugin->info != NULL);
	if (sess.plugin && sess.plugin->info)
		CHECK_STR(sess.plugin->info->name, want);
	CHECK_INT(sess.is_virtio, remote);
	/* remote sessions get the transport's id; local ones are zeroed
	 * (§9.1 step 5, §21.7 do better) */
	CHECK_INT(sess.remote_id, remote ? 1 : 0);
	CHECK_INT(sess.hint, hint);
	CHECK_INT(vaccel_session_release(&sess), VACCEL_OK);
}
#define select_expect(...) select_expect_(__LINE__, __VA_ARGS__)

int main(void)
{
	char list[3 * PATH_MAX];
	struct vaccel_session sess = { .id = 0 };
	char *out;

	plugdir = test_env("VACCEL_TEST_PLUGINS");
	snprintf(gpu_lib, sizeof(gpu_lib), "%s/libtp-gpu.so", plugdir);
	snprintf(mock_lib, sizeof(mock_lib), "%s/libmock-transport.so",
		 plugdir);

	/* none loaded */
	bootstrap(NULL);
	select_expect(0, NULL, false, "No plugins registered");
	select_expect(VACCEL_PLUGIN_REMOTE, NULL, false,
		      "No plugins registered");

	/* noop only */
	bootstrap("libvaccel-noop.so");
	select_expect(0, "noop", false, "Initialized session 1 with plugin noop\n");
	select_expect(VACCEL_PLUGIN_DEBUG, "noop", false, NULL);
	/* GPU hint falls back to the first local plugin */
	select_expect(VACCEL_PLUGIN_GPU, "noop", false, NULL);
	/* REMOTE without a transport plugin */
	select_expect(VACCEL_PLUGIN_REMOTE, NULL, false,
		      "Could not select plugin, no VirtIO plugin registered");
	select_expect(VACCEL_PLUGIN_REMOTE | VACCEL_PLUGIN_DEBUG, NULL, false,
		      NULL);

	/* exec then noop: DEBUG picks noop, anything else the first (exec) */
	bootstrap("libvaccel-exec.so:libvaccel-noop.so");
	select_expect(0, "exec", false, NULL);
	select_expect(VACCEL_PLUGIN_DEBUG, "noop", false, NULL);
	select_expect(VACCEL_PLUGIN_CPU, "exec", false, NULL);
	select_expect(VACCEL_PLUGIN_GPU, "exec", false, NULL);
	select_expect(VACCEL_PLUGIN_GPU | VACCEL_PLUGIN_DEBUG, "noop", false,
		      NULL);

	/* update re-selects (local session without resources) */
	CHECK_INT(vaccel_session_init(&sess, 0), VACCEL_OK);
	CHECK(sess.plugin && strcmp(sess.plugin->info->name, "exec") == 0);
	capture_begin();
	CHECK_INT(vaccel_session_update(&sess, VACCEL_PLUGIN_DEBUG), VACCEL_OK);
	out = capture_end();
	CHECK(sess.plugin && strcmp(sess.plugin->info->name, "noop") == 0);
	CHECK_INT(sess.hint, VACCEL_PLUGIN_DEBUG);
	{
		char want[64];

		snprintf(want, sizeof(want), "session:%lld Selected plugin noop",
			 (long long)sess.id);
		CHECK_HAS(out, want);
	}
	free(out);
	CHECK_INT(vaccel_session_release(&sess), VACCEL_OK);

	/* gpu test plugin then noop */
	snprintf(list, sizeof(list), "%s:libvaccel-noop.so", gpu_lib);
	bootstrap(list);
	select_expect(0, "gpu", false, NULL);
	select_expect(VACCEL_PLUGIN_GPU, "gpu", false, NULL);
	select_expect(VACCEL_PLUGIN_DEBUG, "noop", false, NULL);
	select_expect(VACCEL_PLUGIN_CPU, "gpu", false, NULL);
	/* the selected plugin serves every op; no fallback to other plugins
	 * (§14.5, §21.16) */
	CHECK_INT(vaccel_session_init(&sess, VACCEL_PLUGIN_GPU), VACCEL_OK);
	capture_begin();
	{
		float a[1] = { 1 }, b[1] = { 1 }, c[1] = { 1 };

		CHECK_INT(vaccel_sgemm(&sess, 1, 1, 1, 1.0f, a, 1, b, 1, 1.0f,
				       c, 1),
			  VACCEL_ENOTSUP);
	}
	out = capture_end();
	CHECK_HAS(out, "Could not return func, plugin gpu does not implement "
		       "blas_sgemm");
	free(out);
	CHECK_INT(vaccel_session_release(&sess), VACCEL_OK);

	/* the mock transport alone: every session is remote */
	bootstrap(mock_lib);
	select_expect(0, "mock", true,
		      "Initialized session 1 with plugin mock (remote id: 1)\n");
	select_expect(VACCEL_PLUGIN_REMOTE, "mock", true, NULL);
	select_expect(VACCEL_PLUGIN_DEBUG, "mock", true, NULL);
	select_expect(VACCEL_PLUGIN_GPU, "mock", true, NULL);

	/* mock and noop, in both orders */
	snprintf(list, sizeof(list), "%s:libvaccel-noop.so", mock_lib);
	bootstrap(list);
	select_expect(VACCEL_PLUGIN_REMOTE, "mock", true, NULL);
	select_expect(VACCEL_PLUGIN_REMOTE | VACCEL_PLUGIN_CPU, "mock", true,
		      NULL);
	select_expect(0, "noop", false, NULL);
	select_expect(VACCEL_PLUGIN_GPU, "noop", false, NULL);
	select_expect(VACCEL_PLUGIN_DEBUG, "noop", false, NULL);

	snprintf(list, sizeof(list), "libvaccel-noop.so:%s", mock_lib);
	bootstrap(list);
	select_expect(VACCEL_PLUGIN_REMOTE, "mock", true, NULL);
	select_expect(0, "noop", false, NULL);

	/* mock and exec: no local plugin matches DEBUG → first local */
	snprintf(list, sizeof(list), "%s:libvaccel-exec.so", mock_lib);
	bootstrap(list);
	select_expect(VACCEL_PLUGIN_DEBUG, "exec", false, NULL);

	CHECK_INT(vaccel_cleanup(), VACCEL_OK);
	return CHECK_DONE();
}
