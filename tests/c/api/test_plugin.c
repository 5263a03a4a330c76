// SPDX-License-Identifier: Apache-2.0
/*
 * Plugin loading, version check and op registration (spec §14.1–§14.4,
 * §14.6, §21.9) with the C test plugins of plugins/ (built by run.sh into
 * $VACCEL_TEST_PLUGINS). Run with VACCEL_BOOTSTRAP_ENABLED=0
 * VACCEL_CLEANUP_ENABLED=0.
 */
#include "check.h"

#include <dlfcn.h>
#include <limits.h>
#include <vaccel.h>

static const char *plugdir;

static const char *plugin_path(const char *name)
{
	static char buf[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", plugdir, name);
	return buf[i];
}

static void bootstrap(bool version_ignore)
{
	struct vaccel_config cfg;

	CHECK_INT(vaccel_config_init(&cfg, NULL, VACCEL_LOG_DEBUG, NULL, false,
				     version_ignore),
		  VACCEL_OK);
	CHECK_INT(vaccel_bootstrap_with_config(&cfg), VACCEL_OK);
	vaccel_config_release(&cfg);
}

/* Load `lib`, check the return value and that the log holds every message */
static void load_expect(const char *lib, int want, const char *const msgs[])
{
	char *out;

	printf("-- load %s\n", lib ? lib : "(null)");
	capture_begin();
	CHECK_INT(vaccel_plugin_load(lib), want);
	out = capture_end();
	for (size_t i = 0; msgs && msgs[i]; i++)
		CHECK_HAS(out, msgs[i]);
	free(out);
}

static int *plugin_counter(struct vaccel_session *sess, const char *name)
{
	if (sess->plugin == NULL || sess->plugin->dl_handle == NULL)
		return NULL;
	return (int *)dlsym(sess->plugin->dl_handle, name);
}

static void test_load_errors(void)
{
	char msg[PATH_MAX + 128];

	load_expect(NULL, VACCEL_EINVAL, NULL);

	{
		const char *m[] = { "<error>\x1b[0m Could not dlopen plugin "
				    "/nonexistent/libnothere.so: ",
				    NULL };

		load_expect("/nonexistent/libnothere.so", VACCEL_ENOENT, m);
	}
	{
		const char *lib = plugin_path("libnot-a-plugin.so");
		const char *m[] = { msg, NULL };

		snprintf(msg, sizeof(msg), "%s is not a vaccel plugin", lib);
		load_expect(lib, VACCEL_ELIBBAD, m);
	}
	{
		const char *lib = plugin_path("libtp-noname.so");
		const char *m[] = { "Plugin needs to have a name", msg, NULL };

		snprintf(msg, sizeof(msg), "Could not register plugin %s", lib);
		load_expect(lib, VACCEL_EINVAL, m);
	}
	{
		const char *lib = plugin_path("libtp-noversion.so");
		const char *m[] = { "Plugin needs to have a version", msg,
				    NULL };

		snprintf(msg, sizeof(msg), "Could not register plugin %s", lib);
		load_expect(lib, VACCEL_EINVAL, m);
	}
	{
		const char *m[] = { "Plugin needs to expose an init function",
				    NULL };

		load_expect(plugin_path("libtp-noinit.so"), VACCEL_EINVAL, m);
	}
	{
		const char *m[] = { "Plugin needs to expose a fini function",
				    NULL };

		load_expect(plugin_path("libtp-nofini.so"), VACCEL_EINVAL, m);
	}
	{
		const char *m[] = { "The plugin has no vaccel version set",
				    NULL };

		load_expect(plugin_path("libtp-novv.so"), VACCEL_EINVAL, m);
	}
	{
		const char *m[] = { "Could not parse plugin's vaccel version",
				    NULL };

		load_expect(plugin_path("libtp-badver.so"), VACCEL_EINVAL, m);
	}
	{
		const char *m[] = {
			"<error>\x1b[0m Plugin is incompatible with current "
			"vAccel version (built w/ 1.0.0, used w/ " VACCEL_VERSION
			")\n",
			NULL
		};

		load_expect(plugin_path("libtp-major.so"), VACCEL_EINVAL, m);
	}
	{
		const char *m[] = { "Could not initialize plugin initfail",
				    "[initfail] fini\n",
				    "Unregistered plugin initfail", NULL };

		load_expect(plugin_path("libtp-initfail.so"), VACCEL_ENODEV, m);
		/* the failed plugin was unregistered: same error again */
		load_expect(plugin_path("libtp-initfail.so"), VACCEL_ENODEV, m);
	}
}

static void test_load_ok(void)
{
	struct vaccel_session sess = { .id = 0 };
	unsigned char text[64] = { 0 };
	unsigned char name[64] = { 0 };
	char msg[PATH_MAX + 128];
	int *counter;
	char *out;

	{
		const char *lib = plugin_path("libtp-good.so");
		const char *m[] = {
			"<info>\x1b[0m Registered plugin good 1.2.3\n",
			"<debug>\x1b[0m Registered op noop from plugin good\n",
			"<debug>\x1b[0m Registered op image_classify from "
			"plugin good\n",
			msg, NULL
		};

		snprintf(msg, sizeof(msg), "Loaded plugin good from %s\n", lib);
		load_expect(lib, VACCEL_OK, m);
	}
	{
		/* the same plugin twice */
		const char *m[] = { "Plugin already registered", NULL };

		load_expect(plugin_path("libtp-good.so"), VACCEL_EEXIST, m);
	}

	/* the good plugin serves the session */
	CHECK_INT(vaccel_session_init(&sess, 0), VACCEL_OK);
	CHECK(sess.plugin != NULL && sess.plugin->info != NULL &&
	      strcmp(sess.plugin->info->name, "good") == 0);
	CHECK(sess.plugin != NULL && sess.plugin->dl_handle != NULL);
	CHECK(sess.plugin != NULL && sess.plugin->ops[VACCEL_OP_NOOP] != NULL);
	CHECK(sess.plugin != NULL && sess.plugin->ops[VACCEL_OP_EXEC] == NULL);
	counter = plugin_counter(&sess, "tp_init_calls");
	CHECK(counter != NULL && *counter == 1);

	capture_begin();
	CHECK_INT(vaccel_noop(&sess), VACCEL_OK);
	out = capture_end();
	CHECK_HAS(out, "session:1 Looking for func implementing op noop\n");
	CHECK_HAS(out, "Returning func for op noop from plugin good\n");
	free(out);
	counter = plugin_counter(&sess, "tp_noop_calls");
	CHECK(counter != NULL && *counter == 1);

	CHECK_INT(vaccel_image_classification(&sess, "img", text, name, 3,
					      sizeof(text), sizeof(name)),
		  VACCEL_OK);
	CHECK_STR(text, "good tag");
	CHECK_STR(name, "good imgname");

	/* an op the plugin lacks → ENOTSUP */
	capture_begin();
	CHECK_INT(vaccel_image_detection(&sess, "img", name, 3, sizeof(name)),
		  VACCEL_ENOTSUP);
	out = capture_end();
	CHECK_HAS(out, "Could not return func, plugin good does not implement "
		       "image_detect");
	free(out);
	{
		float a[1] = { 1 }, b[1] = { 1 }, c[1] = { 1 };

		CHECK_INT(vaccel_sgemm(&sess, 1, 1, 1, 1.0f, a, 1, b, 1, 1.0f,
				       c, 1),
			  VACCEL_ENOTSUP);
	}
	/* resource hooks are called for local sessions too (§10.4, §10.5) */
	{
		struct vaccel_resource data = { .id = 0 };
		struct vaccel_resource lib = { .id = 0 };
		char bytes[] = "bytes";
		char want[128];
		int *reg = plugin_counter(&sess, "tp_register_calls");
		int *unreg = plugin_counter(&sess, "tp_unregister_calls");

		CHECK(reg != NULL && unreg != NULL);
		CHECK_INT(vaccel_resource_init_from_buf(&data, bytes,
							sizeof(bytes),
							VACCEL_RESOURCE_DATA,
							"d", true),
			  VACCEL_OK);
		CHECK_INT(vaccel_resource_init_from_buf(&lib, bytes,
							sizeof(bytes),
							VACCEL_RESOURCE_LIB,
							"l", true),
			  VACCEL_OK);
		CHECK_INT(vaccel_resource_register(&data, &sess), VACCEL_OK);
		CHECK(reg && *reg == 1);
		CHECK_INT(data.remote_id, 0);
		capture_begin();
		CHECK_INT(vaccel_resource_register(&lib, &sess), VACCEL_EACCES);
		out = capture_end();
		snprintf(want, sizeof(want),
			 "session:%lld Failed to register resource %lld",
			 (long long)sess.id, (long long)lib.id);
		CHECK_HAS(out, want);
		free(out);
		CHECK(reg && *reg == 2);
		CHECK(!vaccel_session_has_resource(&sess, &lib));
		CHECK_INT(vaccel_resource_refcount(&lib), 0);
		CHECK_INT(vaccel_resource_unregister(&data, &sess), VACCEL_OK);
		CHECK(unreg && *unreg == 1);
		CHECK_INT(vaccel_resource_release(&data), VACCEL_OK);
		CHECK_INT(vaccel_resource_release(&lib), VACCEL_OK);
		/* nothing registered: no further hook calls */
		CHECK(unreg && *unreg == 1);
	}
	CHECK_INT(vaccel_session_release(&sess), VACCEL_OK);

	/* minor / patch / extra mismatch: loads with a warning */
	{
		const char *m[] = { "<warn>\x1b[0m Plugin may be incompatible "
				    "with current vAccel version (built w/ "
				    "0.9.0, used w/ " VACCEL_VERSION ")\n",
				    "Registered plugin minor 1.2.3", NULL };

		load_expect(plugin_path("libtp-minor.so"), VACCEL_OK, m);
	}
	{
		const char *m[] = { "<warn>\x1b[0m Plugin may be incompatible "
				    "with current vAccel version (built w/ "
				    VACCEL_VERSION "-93-ebc23b1f, used w/ "
				    VACCEL_VERSION ")\n",
				    NULL };

		load_expect(plugin_path("libtp-extra.so"), VACCEL_OK, m);
	}
	{
		/* a leading `v` is skipped: same version, no warning */
		char *o;

		capture_begin();
		CHECK_INT(vaccel_plugin_load(plugin_path("libtp-vprefix.so")),
			  VACCEL_OK);
		o = capture_end();
		CHECK_HASNT(o, "may be incompatible");
		free(o);
	}

	/* load order kept: hint 0 still selects the first (good) plugin */
	CHECK_INT(vaccel_session_init(&sess, 0), VACCEL_OK);
	CHECK(sess.plugin && strcmp(sess.plugin->info->name, "good") == 0);
	CHECK_INT(vaccel_session_release(&sess), VACCEL_OK);

	capture_begin();
	CHECK_INT(vaccel_cleanup(), VACCEL_OK);
	out = capture_end();
	CHECK_HAS(out, "Unregistered plugin good\n");
	CHECK_HAS(out, "Unregistered plugin minor\n");
	CHECK_HAS(out, "Unregistered plugin extra\n");
	CHECK_HAS(out, "Unregistered plugin vprefix\n");
	{
		/* fini() is called before the unregistration line */
		const char *f = out ? strstr(out, "[good] fini\n") : NULL;
		const char *u = out ? strstr(out, "Unregistered plugin good")
				    : NULL;
		CHECK(f != NULL && u != NULL && f < u);
	}
	{
		/* unregistered in load order */
		const char *g = out ? strstr(out, "Unregistered plugin good")
				    : NULL;
		const char *m = out ? strstr(out, "Unregistered plugin minor")
				    : NULL;
		CHECK(g != NULL && m != NULL && g < m);
	}
	free(out);
}

static void test_version_ignore(void)
{
	char *out;

	bootstrap(true);
	capture_begin();
	CHECK_INT(vaccel_plugin_load(plugin_path("libtp-major.so")),
		  VACCEL_OK);
	CHECK_INT(vaccel_plugin_load(plugin_path("libtp-novv.so")), VACCEL_OK);
	CHECK_INT(vaccel_plugin_load(plugin_path("libtp-badver.so")),
		  VACCEL_OK);
	CHECK_INT(vaccel_plugin_load(plugin_path("libtp-minor.so")),
		  VACCEL_OK);
	out = capture_end();
	CHECK_HASNT(out, "incompatible");
	CHECK_HAS(out, "Registered plugin major 1.2.3");
	CHECK_HAS(out, "Registered plugin novv 1.2.3");
	free(out);
	CHECK_INT(vaccel_cleanup(), VACCEL_OK);
}

static void test_parse_and_load(void)
{
	struct vaccel_session sess = { .id = 0 };
	char list[3 * PATH_MAX];
	char *out;

	bootstrap(false);
	/* empty entries are skipped, order is kept */
	snprintf(list, sizeof(list), "::%s::libvaccel-noop.so:",
		 plugin_path("libtp-gpu.so"));
	CHECK_INT(vaccel_plugin_parse_and_load(list), VACCEL_OK);
	CHECK_INT(vaccel_session_init(&sess, 0), VACCEL_OK);
	CHECK(sess.plugin && strcmp(sess.plugin->info->name, "gpu") == 0);
	CHECK_INT(vaccel_session_release(&sess), VACCEL_OK);
	CHECK_INT(vaccel_session_init(&sess, VACCEL_PLUGIN_DEBUG), VACCEL_OK);
	CHECK(sess.plugin && strcmp(sess.plugin->info->name, "noop") == 0);
	CHECK_INT(vaccel_session_release(&sess), VACCEL_OK);
	CHECK_INT(vaccel_cleanup(), VACCEL_OK);

	/* the first failure aborts */
	bootstrap(false);
	snprintf(list, sizeof(list), "%s:/nonexistent/libx.so:%s",
		 plugin_path("libtp-good.so"), plugin_path("libtp-gpu.so"));
	capture_begin();
	CHECK_INT(vaccel_plugin_parse_and_load(list), VACCEL_ENOENT);
	out = capture_end();
	CHECK_HAS(out, "Registered plugin good");
	CHECK_HASNT(out, "Registered plugin gpu");
	free(out);
	CHECK_INT(vaccel_plugin_parse_and_load(NULL), VACCEL_EINVAL);
	CHECK_INT(vaccel_cleanup(), VACCEL_OK);
}

/* --- vaccel_plugin_register_ops -------------------------------------- */

static int my_noop_calls;

static int my_noop(struct vaccel_session *sess)
{
	(void)sess;
	my_noop_calls++;
	return VACCEL_EBUSY;
}

static struct vaccel_op my_ops[VACCEL_OP_MAX + 1];

static int register_bad_type(void *arg)
{
	struct vaccel_plugin *p = arg;
	struct vaccel_op op = { .type = VACCEL_OP_MAX, .func = (void *)my_noop,
				.owner = p };
	struct vaccel_op op2 = { .type = (vaccel_op_type_t)1000,
				 .func = (void *)my_noop, .owner = p };
	int r1 = vaccel_plugin_register_ops(&op, 1);
	int r2 = vaccel_plugin_register_ops(&op2, 1);

	return (r1 == VACCEL_EINVAL && r2 == VACCEL_EINVAL) ? 0 : 1;
}

static void test_register_ops(void)
{
	struct vaccel_session sess = { .id = 0 };
	struct vaccel_plugin *p;
	char *out;

	bootstrap(false);
	CHECK_INT(vaccel_plugin_load(plugin_path("libtp-good.so")), VACCEL_OK);
	CHECK_INT(vaccel_session_init(&sess, 0), VACCEL_OK);
	p = sess.plugin;
	CHECK(p != NULL);
	if (p == NULL)
		return;

	for (size_t i = 0; i < VACCEL_OP_MAX + 1; i++) {
		my_ops[i].type = VACCEL_OP_NOOP;
		my_ops[i].func = (void *)my_noop;
		my_ops[i].owner = p;
	}

	capture_begin();
	CHECK_INT(vaccel_plugin_register_ops(NULL, 0), VACCEL_EINVAL);
	CHECK_INT(vaccel_plugin_register_ops(NULL, 1), VACCEL_EINVAL);
	CHECK_INT(vaccel_plugin_register_ops(my_ops, 0), VACCEL_EINVAL);
	out = capture_end();
	CHECK_HAS(out, "No operations defined");
	free(out);

	capture_begin();
	CHECK_INT(vaccel_plugin_register_ops(my_ops, VACCEL_OP_MAX + 1),
		  VACCEL_EINVAL);
	out = capture_end();
	CHECK_HAS(out, "Invalid number of plugin operations");
	free(out);
	/* nothing was registered by the failed calls */
	CHECK(p->ops[VACCEL_OP_NOOP] != &my_ops[0]);

	/* op type out of range (§14.2, §21.9 do better); in a child because
	 * an unchecked index would corrupt the plugin struct */
	CHECK_INT(test_in_child(register_bad_type, p), 0);

	/* a valid registration from outside a plugin replaces the slot */
	CHECK_INT(vaccel_plugin_register_op(&my_ops[0]), VACCEL_OK);
	CHECK(p->ops[VACCEL_OP_NOOP] == &my_ops[0]);
	CHECK_INT(vaccel_noop(&sess), VACCEL_EBUSY);
	CHECK_INT(my_noop_calls, 1);

	/* the last entry with the same type wins */
	{
		static struct vaccel_op two[2];

		two[0] = my_ops[0];
		two[1] = my_ops[0];
		capture_begin();
		CHECK_INT(vaccel_plugin_register_ops(two, 2), VACCEL_OK);
		out = capture_end();
		CHECK_HAS(out, "Registered op noop from plugin good\n");
		free(out);
		CHECK(p->ops[VACCEL_OP_NOOP] == &two[1]);
	}

	CHECK_INT(vaccel_session_release(&sess), VACCEL_OK);
	CHECK_INT(vaccel_cleanup(), VACCEL_OK);
}

int main(void)
{
	plugdir = test_env("VACCEL_TEST_PLUGINS");

	bootstrap(false);
	test_load_errors();
	test_load_ok();
	test_version_ignore();
	test_parse_and_load();
	test_register_ops();
	return CHECK_DONE();
}
