// SPDX-License-Identifier: Apache-2.0
/*
 * Core lifecycle and configuration (spec §6, §8.1, §20 "core", "config",
 * "log"). Run with VACCEL_BOOTSTRAP_ENABLED=0 VACCEL_CLEANUP_ENABLED=0: the
 * test bootstraps and cleans up itself.
 */
#include "check.h"

#include <limits.h>
#include <vaccel.h>

static void test_not_bootstrapped(void)
{
	struct vaccel_session sess = { .id = 0 };
	struct vaccel_session *psess = NULL;
	struct vaccel_resource res = { .id = 0 };
	struct vaccel_resource *pres = NULL;
	char lib[PATH_MAX];

	CHECK(!vaccel_is_initialized());
	CHECK_INT(vaccel_session_init(&sess, 0), VACCEL_ESESS);
	CHECK_INT(vaccel_session_get_by_id(&psess, 1), VACCEL_EPERM);
	CHECK_INT(vaccel_resource_init(&res, "/etc/hostname",
				       VACCEL_RESOURCE_DATA),
		  VACCEL_EPERM);
	CHECK_INT(vaccel_resource_get_by_id(&pres, 1), VACCEL_EPERM);
	res.id = 1;
	CHECK_INT(vaccel_resource_release(&res), VACCEL_EPERM);
	sess.id = 1;
	CHECK_INT(vaccel_session_release(&sess), VACCEL_ESESS);

	/* plugin registration needs the plugins component (spec §6.3) */
	snprintf(lib, sizeof(lib), "%s/libtp-good.so",
		 test_env("VACCEL_TEST_PLUGINS"));
	CHECK_INT(vaccel_plugin_load(lib), VACCEL_EBACKEND);

	/* cleanup without bootstrap is a no-op */
	CHECK_INT(vaccel_cleanup(), VACCEL_OK);
	CHECK(!vaccel_is_initialized());
}

static void test_bootstrap_no_plugins(void)
{
	struct vaccel_config cfg;
	struct vaccel_session sess = { .id = 0 };
	char top[PATH_MAX] = "";
	char base[PATH_MAX];
	const char *rundir;
	char *out;

	CHECK_INT(vaccel_bootstrap_with_config(NULL), VACCEL_EINVAL);
	CHECK(!vaccel_is_initialized());

	CHECK_INT(vaccel_config_init(&cfg, NULL, VACCEL_LOG_DEBUG, NULL, false,
				     false),
		  VACCEL_OK);
	capture_begin();
	CHECK_INT(vaccel_bootstrap_with_config(&cfg), VACCEL_OK);
	out = capture_end();
	CHECK_HAS(out, "Initializing vAccel");
	CHECK_HAS(out, "vAccel " VACCEL_VERSION "\n");
	CHECK_HAS(out, "Created top-level rundir: ");
	free(out);
	CHECK(vaccel_is_initialized());

	rundir = vaccel_rundir();
	CHECK(rundir != NULL);
	CHECK_HAS(rundir, "vaccel");
	snprintf(base, sizeof(base), "/run/user/%u/vaccel/", (unsigned)getuid());
	CHECK(rundir != NULL && strncmp(rundir, base, strlen(base)) == 0);
	CHECK(rundir != NULL && strlen(rundir) == strlen(base) + 6);
	CHECK(test_is_dir(rundir));
	if (rundir)
		test_strlcpy(top, rundir, sizeof(top));

	CHECK(vaccel_config() != NULL);
	if (vaccel_config()) {
		CHECK(vaccel_config()->plugins == NULL);
		CHECK_INT(vaccel_config()->log_level, VACCEL_LOG_DEBUG);
	}

	/* no plugin: no session */
	capture_begin();
	CHECK_INT(vaccel_session_init(&sess, 0), VACCEL_ENOTSUP);
	out = capture_end();
	CHECK_HAS(out, "No plugins registered");
	free(out);

	CHECK_INT(vaccel_config_release(&cfg), VACCEL_OK);

	capture_begin();
	CHECK_INT(vaccel_cleanup(), VACCEL_OK);
	out = capture_end();
	CHECK_HAS(out, "Cleaning up vAccel");
	CHECK_HAS(out, "Cleaning up sessions");
	CHECK_HAS(out, "Cleaning up resources");
	CHECK_HAS(out, "Cleaning up plugins");
	free(out);
	CHECK(!vaccel_is_initialized());
	CHECK(top[0] != '\0' && !test_path_exists(top));
	/* base directory is never removed */
	CHECK(test_is_dir(base));
	CHECK_INT(vaccel_cleanup(), VACCEL_OK);
}

static void test_bootstrap_noop_and_reload(void)
{
	struct vaccel_config cfg;
	struct vaccel_session sess = { .id = 0 };
	struct vaccel_session sess2 = { .id = 0 };
	char top1[PATH_MAX] = "";
	char *out;

	CHECK_INT(vaccel_config_init(&cfg, "libvaccel-noop.so", VACCEL_LOG_DEBUG,
				     NULL, false, false),
		  VACCEL_OK);
	CHECK_INT(vaccel_bootstrap_with_config(&cfg), VACCEL_OK);
	/* the caller keeps its config: the core made a deep copy */
	CHECK(vaccel_config() != &cfg);
	if (vaccel_config()) {
		CHECK_STR(vaccel_config()->plugins, "libvaccel-noop.so");
		CHECK(vaccel_config()->plugins != cfg.plugins);
	}
	CHECK_INT(vaccel_config_release(&cfg), VACCEL_OK);
	if (vaccel_config())
		CHECK_STR(vaccel_config()->plugins, "libvaccel-noop.so");
	if (vaccel_rundir())
		test_strlcpy(top1, vaccel_rundir(), sizeof(top1));

	CHECK_INT(vaccel_session_init(&sess, 0), VACCEL_OK);
	CHECK_INT(sess.id, 1);
	CHECK(sess.plugin != NULL && sess.plugin->info != NULL &&
	      strcmp(sess.plugin->info->name, "noop") == 0);
	CHECK_INT(vaccel_noop(&sess), VACCEL_OK);

	/* re-bootstrap while initialised and with a live session */
	CHECK_INT(vaccel_config_init(&cfg, "libvaccel-noop.so", VACCEL_LOG_DEBUG,
				     NULL, true, false),
		  VACCEL_OK);
	capture_begin();
	CHECK_INT(vaccel_bootstrap_with_config(&cfg), VACCEL_OK);
	out = capture_end();
	CHECK_HAS(out, "Reloading vAccel");
	CHECK_HAS(out, "Released session 1");
	CHECK_HAS(out, "Unregistered plugin noop");
	CHECK_HAS(out, "Registered plugin noop ");
	free(out);
	CHECK_INT(vaccel_config_release(&cfg), VACCEL_OK);
	CHECK(vaccel_is_initialized());
	/* the live session was released by the reload */
	CHECK_INT(sess.id, 0);
	CHECK(vaccel_config() && vaccel_config()->profiling_enabled);
	CHECK(top1[0] != '\0' && !test_path_exists(top1));
	CHECK(vaccel_rundir() && test_is_dir(vaccel_rundir()));

	/* fresh id pools after the reload */
	CHECK_INT(vaccel_session_init(&sess2, 0), VACCEL_OK);
	CHECK_INT(sess2.id, 1);
	CHECK_INT(vaccel_noop(&sess2), VACCEL_OK);
	CHECK_INT(vaccel_session_release(&sess2), VACCEL_OK);

	CHECK_INT(vaccel_cleanup(), VACCEL_OK);
	CHECK(!vaccel_is_initialized());
	/* cleanup resets the global config to the defaults */
	CHECK(vaccel_config() && !vaccel_config()->profiling_enabled);
	CHECK(vaccel_config() && vaccel_config()->plugins == NULL);
}

static void test_bootstrap_from_env(void)
{
	struct vaccel_session sess = { .id = 0 };
	char *out;
	char *err;

	setenv("VACCEL_PLUGINS", "libvaccel-noop.so", 1);
	setenv("VACCEL_PROFILING_ENABLED", "1", 1);
	setenv("VACCEL_VERSION_IGNORE", "1", 1);
	CHECK_INT(vaccel_bootstrap(), VACCEL_OK);
	CHECK(vaccel_is_initialized());
	if (vaccel_config()) {
		CHECK_STR(vaccel_config()->plugins, "libvaccel-noop.so");
		CHECK(vaccel_config()->profiling_enabled);
		CHECK(vaccel_config()->version_ignore);
		CHECK_INT(vaccel_config()->log_level, VACCEL_LOG_DEBUG);
	}
	CHECK(vaccel_prof_enabled());
	CHECK_INT(vaccel_session_init(&sess, 0), VACCEL_OK);
	CHECK_INT(vaccel_noop(&sess), VACCEL_OK);
	CHECK_INT(vaccel_session_release(&sess), VACCEL_OK);

	/* vaccel_bootstrap() while initialised reloads */
	unsetenv("VACCEL_PROFILING_ENABLED");
	unsetenv("VACCEL_VERSION_IGNORE");
	capture_begin();
	CHECK_INT(vaccel_bootstrap(), VACCEL_OK);
	out = capture_end();
	CHECK_HAS(out, "Reloading vAccel");
	free(out);
	CHECK(!vaccel_prof_enabled());
	CHECK_INT(vaccel_cleanup(), VACCEL_OK);

	/* an out-of-range log level fails the configuration (spec §6.4) */
	setenv("VACCEL_LOG_LEVEL", "123456789012345678901234567890", 1);
	capture_fd_begin(STDERR_FILENO);
	CHECK_INT(vaccel_bootstrap(), VACCEL_EINVAL);
	err = capture_fd_end(STDERR_FILENO);
	CHECK_HAS(err, "Error: Could not init main config from env\n");
	free(err);
	CHECK(!vaccel_is_initialized());
	setenv("VACCEL_LOG_LEVEL", "4", 1);
	unsetenv("VACCEL_PLUGINS");
	CHECK_INT(vaccel_cleanup(), VACCEL_OK);
}

static void test_config_functions(void)
{
	struct vaccel_config c;
	struct vaccel_config c2;
	struct vaccel_config *p = NULL;
	struct vaccel_config *p2 = NULL;
	char plugins[] = "liba.so:libb.so";
	char logfile[] = "mylog";
	char *out;
	char *err;

	/* init */
	CHECK_INT(vaccel_config_init(NULL, NULL, VACCEL_LOG_INFO, NULL, false,
				     false),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_config_init(&c, plugins, VACCEL_LOG_INFO, logfile,
				     true, true),
		  VACCEL_OK);
	CHECK_STR(c.plugins, "liba.so:libb.so");
	CHECK(c.plugins != plugins);
	CHECK_STR(c.log_file, "mylog");
	CHECK(c.log_file != logfile);
	CHECK_INT(c.log_level, VACCEL_LOG_INFO);
	CHECK(c.profiling_enabled);
	CHECK(c.version_ignore);

	/* print (debug lines) */
	CHECK_INT(vaccel_config_init(&c2, NULL, VACCEL_LOG_DEBUG, NULL, false,
				     false),
		  VACCEL_OK);
	CHECK_INT(vaccel_bootstrap_with_config(&c2), VACCEL_OK);
	CHECK_INT(vaccel_config_release(&c2), VACCEL_OK);
	capture_begin();
	vaccel_config_print_debug(&c);
	out = capture_end();
	CHECK_HAS(out, "<debug>\x1b[0m Config:\n");
	CHECK_HAS(out, "<debug>\x1b[0m   plugins = liba.so:libb.so\n");
	CHECK_HAS(out, "<debug>\x1b[0m   log_level = info\n");
	CHECK_HAS(out, "<debug>\x1b[0m   log_file = mylog\n");
	CHECK_HAS(out, "<debug>\x1b[0m   profiling_enabled = true\n");
	CHECK_HAS(out, "<debug>\x1b[0m   version_ignore = true\n");
	free(out);

	/* init_from: deep copy */
	CHECK_INT(vaccel_config_init_from(&c2, &c), VACCEL_OK);
	CHECK_STR(c2.plugins, c.plugins);
	CHECK(c2.plugins != c.plugins);
	CHECK_STR(c2.log_file, c.log_file);
	CHECK(c2.log_file != c.log_file);
	CHECK_INT(c2.log_level, c.log_level);
	CHECK(c2.profiling_enabled && c2.version_ignore);
	CHECK_INT(vaccel_config_release(&c2), VACCEL_OK);
	CHECK_INT(vaccel_config_init_from(NULL, &c), VACCEL_EINVAL);
	CHECK_INT(vaccel_config_init_from(&c2, NULL), VACCEL_EINVAL);

	/* release resets to the defaults */
	CHECK_INT(vaccel_config_release(&c), VACCEL_OK);
	CHECK(c.plugins == NULL);
	CHECK(c.log_file == NULL);
	CHECK_INT(c.log_level, VACCEL_LOG_ERROR);
	CHECK(!c.profiling_enabled);
	CHECK(!c.version_ignore);
	CHECK_INT(vaccel_config_release(NULL), VACCEL_EINVAL);

	capture_begin();
	vaccel_config_print_debug(&c);
	out = capture_end();
	CHECK_HAS(out, "  plugins = (null)\n");
	CHECK_HAS(out, "  log_level = error\n");
	CHECK_HAS(out, "  log_file = (null)\n");
	CHECK_HAS(out, "  profiling_enabled = false\n");
	free(out);

	/* init_from_env */
	setenv("VACCEL_PLUGINS", "libx.so", 1);
	setenv("VACCEL_LOG_LEVEL", "3", 1);
	setenv("VACCEL_LOG_FILE", "somefile", 1);
	setenv("VACCEL_PROFILING_ENABLED", "1", 1);
	setenv("VACCEL_VERSION_IGNORE", "7", 1);
	CHECK_INT(vaccel_config_init_from_env(NULL), VACCEL_EINVAL);
	CHECK_INT(vaccel_config_init_from_env(&c), VACCEL_OK);
	CHECK_STR(c.plugins, "libx.so");
	CHECK_INT(c.log_level, VACCEL_LOG_INFO);
	CHECK_STR(c.log_file, "somefile");
	CHECK(c.profiling_enabled);
	CHECK(c.version_ignore);
	CHECK_INT(vaccel_config_release(&c), VACCEL_OK);

	/* unparsable values give 0 without error */
	setenv("VACCEL_LOG_LEVEL", "abc", 1);
	setenv("VACCEL_PROFILING_ENABLED", "yes", 1);
	CHECK_INT(vaccel_config_init_from_env(&c), VACCEL_OK);
	CHECK_INT(c.log_level, 0);
	CHECK(!c.profiling_enabled);
	CHECK_INT(vaccel_config_release(&c), VACCEL_OK);

	/* out of range → EINVAL */
	setenv("VACCEL_LOG_LEVEL", "123456789012345678901234567890", 1);
	CHECK_INT(vaccel_config_init_from_env(&c), VACCEL_EINVAL);
	vaccel_config_release(&c);

	/* defaults */
	unsetenv("VACCEL_PLUGINS");
	unsetenv("VACCEL_LOG_LEVEL");
	unsetenv("VACCEL_LOG_FILE");
	unsetenv("VACCEL_PROFILING_ENABLED");
	unsetenv("VACCEL_VERSION_IGNORE");
	CHECK_INT(vaccel_config_init_from_env(&c), VACCEL_OK);
	CHECK(c.plugins == NULL);
	CHECK_INT(c.log_level, VACCEL_LOG_ERROR);
	CHECK(c.log_file == NULL);
	CHECK(!c.profiling_enabled);
	CHECK(!c.version_ignore);
	CHECK_INT(vaccel_config_release(&c), VACCEL_OK);

	/* deprecated aliases (new names unset) */
	setenv("VACCEL_DEBUG_LEVEL", "2", 1);
	setenv("VACCEL_BACKENDS", "libold.so", 1);
	setenv("VACCEL_IGNORE_VERSION", "1", 1);
	capture_fd_begin(STDERR_FILENO);
	CHECK_INT(vaccel_config_init_from_env(&c), VACCEL_OK);
	err = capture_fd_end(STDERR_FILENO);
	CHECK_INT(c.log_level, VACCEL_LOG_WARN);
	CHECK_STR(c.plugins, "libold.so");
	CHECK(c.version_ignore);
	CHECK_HAS(err, "Warning: VACCEL_DEBUG_LEVEL is deprecated. Use "
		       "VACCEL_LOG_LEVEL instead.\n");
	CHECK_HAS(err, "Warning: VACCEL_BACKENDS is deprecated. Use "
		       "VACCEL_PLUGINS instead.\n");
	CHECK_HAS(err, "Warning: VACCEL_IGNORE_VERSION is deprecated. Use "
		       "VACCEL_VERSION_IGNORE instead.\n");
	{
		/* read in the order: level, file, plugins, profiling, ignore */
		const char *a = err ? strstr(err, "VACCEL_DEBUG_LEVEL") : NULL;
		const char *b = err ? strstr(err, "VACCEL_BACKENDS") : NULL;
		const char *c = err ? strstr(err, "VACCEL_IGNORE_VERSION") : NULL;

		CHECK(a && b && c && a < b && b < c);
	}
	free(err);
	CHECK_INT(vaccel_config_release(&c), VACCEL_OK);

	/* an alias is ignored (silently) when the new name is set */
	setenv("VACCEL_LOG_LEVEL", "4", 1);
	setenv("VACCEL_PLUGINS", "libnew.so", 1);
	setenv("VACCEL_VERSION_IGNORE", "0", 1);
	capture_fd_begin(STDERR_FILENO);
	CHECK_INT(vaccel_config_init_from_env(&c), VACCEL_OK);
	err = capture_fd_end(STDERR_FILENO);
	CHECK_INT(c.log_level, VACCEL_LOG_DEBUG);
	CHECK_STR(c.plugins, "libnew.so");
	CHECK(!c.version_ignore);
	CHECK_HASNT(err, "deprecated");
	free(err);
	CHECK_INT(vaccel_config_release(&c), VACCEL_OK);
	unsetenv("VACCEL_DEBUG_LEVEL");
	unsetenv("VACCEL_BACKENDS");
	unsetenv("VACCEL_IGNORE_VERSION");
	unsetenv("VACCEL_PLUGINS");
	unsetenv("VACCEL_VERSION_IGNORE");

	/* new / delete */
	CHECK_INT(vaccel_config_new(NULL, NULL, VACCEL_LOG_ERROR, NULL, false,
				    false),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_config_new(&p, "liby.so", VACCEL_LOG_WARN, NULL, false,
				    true),
		  VACCEL_OK);
	CHECK(p != NULL);
	if (p) {
		CHECK_STR(p->plugins, "liby.so");
		CHECK_INT(p->log_level, VACCEL_LOG_WARN);
		CHECK(p->log_file == NULL);
		CHECK(p->version_ignore);
	}

	/* from */
	CHECK_INT(vaccel_config_from(&p2, p), VACCEL_OK);
	CHECK(p2 != NULL && p2 != p);
	if (p2 && p) {
		CHECK_STR(p2->plugins, "liby.so");
		CHECK(p2->plugins != p->plugins);
		CHECK(p2->version_ignore);
	}
	CHECK_INT(vaccel_config_delete(p2), VACCEL_OK);
	p2 = NULL;
	CHECK_INT(vaccel_config_from(NULL, p), VACCEL_EINVAL);
	CHECK_INT(vaccel_config_from(&p2, NULL), VACCEL_EINVAL);
	CHECK_INT(vaccel_config_delete(p), VACCEL_OK);
	CHECK_INT(vaccel_config_delete(NULL), VACCEL_EINVAL);

	/* from_env */
	setenv("VACCEL_PLUGINS", "libz.so", 1);
	CHECK_INT(vaccel_config_from_env(NULL), VACCEL_EINVAL);
	p = NULL;
	CHECK_INT(vaccel_config_from_env(&p), VACCEL_OK);
	CHECK(p != NULL);
	if (p) {
		CHECK_STR(p->plugins, "libz.so");
		CHECK_INT(p->log_level, VACCEL_LOG_DEBUG);
	}
	CHECK_INT(vaccel_config_delete(p), VACCEL_OK);
	unsetenv("VACCEL_PLUGINS");

	CHECK_INT(vaccel_cleanup(), VACCEL_OK);
}

static void test_log(void)
{
	CHECK_INT(vaccel_log_init(), VACCEL_OK);
	CHECK_INT(vaccel_log_shutdown(), VACCEL_OK);
}

static void test_str_to_lower(void)
{
	char buf[16];
	char *alloc = NULL;

	CHECK_INT(vaccel_str_to_lower("HeLLo", buf, sizeof(buf), NULL),
		  VACCEL_OK);
	CHECK_STR(buf, "hello");
	CHECK_INT(vaccel_str_to_lower("ABCDEF", buf, 4, NULL), VACCEL_OK);
	CHECK_STR(buf, "abc");
	CHECK_INT(vaccel_str_to_lower("XyZ", NULL, 0, &alloc), VACCEL_OK);
	CHECK_STR(alloc, "xyz");
	free(alloc);
	CHECK_INT(vaccel_str_to_lower(NULL, buf, sizeof(buf), NULL),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_str_to_lower("x", NULL, 4, NULL), VACCEL_EINVAL);
	CHECK_INT(vaccel_str_to_lower("x", buf, 0, NULL), VACCEL_EINVAL);
}

int main(void)
{
	test_not_bootstrapped();
	test_bootstrap_no_plugins();
	test_bootstrap_noop_and_reload();
	test_bootstrap_from_env();
	test_config_functions();
	test_log();
	test_str_to_lower();
	return CHECK_DONE();
}
