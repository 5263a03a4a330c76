// SPDX-License-Identifier: Apache-2.0
/*
 * Process-level behaviour of the load-time bootstrap and unload-time cleanup
 * (spec §6.1, §6.4, §8.1, §13, §21.3), observed by running the examples'
 * `noop` program from <stage>/bin as a child process: exit statuses, stderr
 * warnings for deprecated variables, log lines, run directories left behind
 * and the profiling summary printed at unload.
 */
#include "check.h"

#include <dirent.h>
#include <limits.h>
#include <vaccel.h>

#define DUMMY_TAG "This is a dummy classification tag!"
#define DUMMY_IMG "This is a dummy imgname!"

static char noop_bin[PATH_MAX];
static char classify_bin[PATH_MAX];
static char exec_bin[PATH_MAX];
static char img_path[PATH_MAX];
static char model_path[PATH_MAX];
static char mylib_path[PATH_MAX];

/* The top-level rundir a child logged (`Created top-level rundir: <p>`) */
static char *logged_rundir(const char *out)
{
	const char *key = "Created top-level rundir: ";
	const char *p = out ? strstr(out, key) : NULL;
	const char *end;

	if (p == NULL)
		return NULL;
	p += strlen(key);
	end = strchr(p, '\n');
	if (end == NULL)
		end = p + strlen(p);
	return strndup(p, (size_t)(end - p));
}

static int run_noop(const char *const env[], const char *iterations,
		    struct child_result *res)
{
	char *argv[] = { noop_bin, (char *)iterations, NULL };

	return run_child(argv, env, res);
}

static void test_ok(void)
{
	const char *env[] = { "VACCEL_PLUGINS=libvaccel-noop.so",
			      "VACCEL_LOG_LEVEL=4", NULL };
	struct child_result r;
	char *top;

	CHECK_INT(run_noop(env, NULL, &r), 0);
	CHECK_INT(r.status, 0);
	CHECK_HAS(r.out, "Initialized session with id: 1\n");
	CHECK_HAS(r.out, "Cleaning up plugins");
	top = logged_rundir(r.out);
	CHECK(top != NULL);
	/* the (empty) top-level rundir is removed at cleanup */
	CHECK(top != NULL && !test_path_exists(top));
	free(top);
	child_result_release(&r);

	/* default log level: only the program's output */
	{
		const char *env1[] = { "VACCEL_PLUGINS=libvaccel-noop.so",
				       "VACCEL_LOG_LEVEL", NULL };

		CHECK_INT(run_noop(env1, NULL, &r), 0);
		CHECK_INT(r.status, 0);
		CHECK_STR(r.out, "Initialized session with id: 1\n");
		CHECK_STR(r.err, "");
		child_result_release(&r);
	}
}

/* A plugin written in C against our headers, named in VACCEL_PLUGINS, is
 * loaded by the load-time bootstrap and serves the unmodified examples. */
static void test_c_plugin_from_env(void)
{
	char plugins[PATH_MAX + 32];
	const char *plugdir = test_env("VACCEL_TEST_PLUGINS");
	struct child_result r;

	snprintf(plugins, sizeof(plugins), "VACCEL_PLUGINS=%s/libtp-good.so",
		 plugdir);
	{
		const char *env[] = { plugins, "VACCEL_LOG_LEVEL=4", NULL };
		char *argv[] = { classify_bin, img_path, NULL };

		CHECK_INT(run_child(argv, env, &r), 0);
		CHECK_INT(r.status, 0);
		CHECK_HAS(r.out, "Registered plugin good");
		CHECK_HAS(r.out, "Initialized session 1 with plugin good");
		CHECK_HAS(r.out, "classification tags: good tag\n");
		CHECK_HAS(r.out, "classification imagename: good imgname\n");
		child_result_release(&r);
	}
	{
		/* an op the plugin lacks: the example gets ENOTSUP (95) */
		const char *env[] = { plugins, NULL };
		char *argv[] = { exec_bin, mylib_path, NULL };

		CHECK_INT(run_child(argv, env, &r), 0);
		CHECK_INT(r.status, VACCEL_ENOTSUP);
		CHECK_HAS(r.out, "Initialized session with id: 1\n");
		child_result_release(&r);
	}
}

static void test_no_plugin(void)
{
	const char *env[] = { "VACCEL_PLUGINS", "VACCEL_LOG_LEVEL=4", NULL };
	struct child_result r;

	/* the example returns ENOTSUP from session init */
	CHECK_INT(run_noop(env, NULL, &r), 0);
	CHECK_INT(r.status, VACCEL_ENOTSUP);
	CHECK_HAS(r.out, "No plugins registered");
	child_result_release(&r);
}

static void test_failed_start(const char *what, const char *const env[],
			      int want_status, const char *want_out,
			      const char *want_err)
{
	struct child_result r;
	char *top;

	printf("-- failed start: %s\n", what);
	CHECK_INT(run_noop(env, NULL, &r), 0);
	CHECK_INT(r.status, want_status);
	if (want_out)
		CHECK_HAS(r.out, want_out);
	if (want_err)
		CHECK_HAS(r.err, want_err);
	/* the constructor exits before main */
	CHECK_HASNT(r.out, "Initialized session with id");
	/* no run directory is left behind (spec §21.3, do better) */
	top = logged_rundir(r.out);
	if (top != NULL) {
		if (test_path_exists(top)) {
			printf("rundir left behind: %s\n", top);
			rmdir(top);
			CHECK(!"top-level rundir removed after a failed start");
		} else {
			CHECK(true);
		}
		free(top);
	}
	child_result_release(&r);
}

static void test_failed_starts(void)
{
	const char *missing[] = {
		"VACCEL_PLUGINS=/nonexistent/libvaccel-missing.so",
		"VACCEL_LOG_LEVEL=4", NULL
	};
	const char *twice[] = {
		"VACCEL_PLUGINS=libvaccel-noop.so:libvaccel-noop.so",
		"VACCEL_LOG_LEVEL=4", NULL
	};
	const char *level[] = {
		"VACCEL_PLUGINS=libvaccel-noop.so",
		"VACCEL_LOG_LEVEL=123456789012345678901234567890", NULL
	};
	const char *missing_second[] = {
		"VACCEL_PLUGINS=libvaccel-noop.so:libvaccel-missing.so",
		"VACCEL_LOG_LEVEL=4", NULL
	};
	const char *quiet[] = { "VACCEL_PLUGINS=libvaccel-missing.so",
				"VACCEL_LOG_LEVEL=abc", NULL };

	test_failed_start("missing plugin", missing, VACCEL_ENOENT,
			  "Could not dlopen plugin "
			  "/nonexistent/libvaccel-missing.so: ",
			  NULL);
	test_failed_start("plugin listed twice", twice, VACCEL_EEXIST,
			  "Plugin already registered", NULL);
	test_failed_start("30-digit log level", level, VACCEL_EINVAL, NULL,
			  "Error: Could not init main config from env\n");
	test_failed_start("second plugin missing", missing_second,
			  VACCEL_ENOENT, "Could not load plugins", NULL);

	/* an unparsable level disables all logging, even errors */
	{
		struct child_result r;

		CHECK_INT(run_noop(quiet, NULL, &r), 0);
		CHECK_INT(r.status, VACCEL_ENOENT);
		CHECK_STR(r.out, "");
		child_result_release(&r);
	}
}

static void test_deprecated_env(void)
{
	struct child_result r;

	{
		const char *env[] = { "VACCEL_PLUGINS",
				      "VACCEL_BACKENDS=libvaccel-noop.so",
				      "VACCEL_LOG_LEVEL=1", NULL };

		CHECK_INT(run_noop(env, NULL, &r), 0);
		CHECK_INT(r.status, 0);
		CHECK_HAS(r.err, "Warning: VACCEL_BACKENDS is deprecated. "
				 "Use VACCEL_PLUGINS instead.\n");
		CHECK_HAS(r.out, "Initialized session with id: 1");
		child_result_release(&r);
	}
	{
		const char *env[] = { "VACCEL_PLUGINS=libvaccel-noop.so",
				      "VACCEL_LOG_LEVEL",
				      "VACCEL_DEBUG_LEVEL=4", NULL };

		CHECK_INT(run_noop(env, NULL, &r), 0);
		CHECK_INT(r.status, 0);
		CHECK_HAS(r.err, "Warning: VACCEL_DEBUG_LEVEL is deprecated. "
				 "Use VACCEL_LOG_LEVEL instead.\n");
		CHECK_HAS(r.out, "<debug>\x1b[0m Initializing vAccel\n");
		child_result_release(&r);
	}
	{
		const char *env[] = { "VACCEL_PLUGINS=libvaccel-noop.so",
				      "VACCEL_LOG_LEVEL=4",
				      "VACCEL_VERSION_IGNORE",
				      "VACCEL_IGNORE_VERSION=1", NULL };

		CHECK_INT(run_noop(env, NULL, &r), 0);
		CHECK_INT(r.status, 0);
		CHECK_HAS(r.err,
			  "Warning: VACCEL_IGNORE_VERSION is deprecated. Use "
			  "VACCEL_VERSION_IGNORE instead.\n");
		CHECK_HAS(r.out, "  version_ignore = true\n");
		child_result_release(&r);
	}
	{
		/* new names set: aliases ignored, no warning */
		const char *env[] = { "VACCEL_PLUGINS=libvaccel-noop.so",
				      "VACCEL_BACKENDS=libvaccel-missing.so",
				      "VACCEL_LOG_LEVEL=1",
				      "VACCEL_DEBUG_LEVEL=4", NULL };

		CHECK_INT(run_noop(env, NULL, &r), 0);
		CHECK_INT(r.status, 0);
		CHECK_HASNT(r.err, "deprecated");
		CHECK_HASNT(r.out, "<debug>");
		child_result_release(&r);
	}
}

static void test_bootstrap_disabled(void)
{
	const char *env[] = { "VACCEL_PLUGINS=libvaccel-noop.so",
			      "VACCEL_BOOTSTRAP_ENABLED=0",
			      "VACCEL_LOG_LEVEL=4", NULL };
	struct child_result r;

	/* the application never bootstraps: session init → ESESS */
	CHECK_INT(run_noop(env, NULL, &r), 0);
	CHECK_INT(r.status, VACCEL_ESESS);
	CHECK_HASNT(r.out, "Initializing vAccel");
	child_result_release(&r);
}

static void test_profiling_at_exit(void)
{
	struct child_result r;

	{
		const char *env[] = { "VACCEL_PLUGINS=libvaccel-noop.so",
				      "VACCEL_LOG_LEVEL=3",
				      "VACCEL_PROFILING_ENABLED=1", NULL };
		const char *p, *c;

		CHECK_INT(run_noop(env, "3", &r), 0);
		CHECK_INT(r.status, 0);
		CHECK_HAS(r.out, "[prof] vaccel_noop_op: total_time: ");
		CHECK_HAS(r.out, " nsec nr_entries: 3\n");
		/* printed by a destructor that runs before the cleanup */
		p = r.out ? strstr(r.out, "[prof] vaccel_noop_op") : NULL;
		c = r.out ? strstr(r.out, "Initialized session with id")
			  : NULL;
		CHECK(p != NULL && c != NULL && p > c);
		child_result_release(&r);
	}
	{
		const char *env[] = { "VACCEL_PLUGINS=libvaccel-noop.so",
				      "VACCEL_LOG_LEVEL=4",
				      "VACCEL_PROFILING_ENABLED=1", NULL };
		const char *p, *c;

		CHECK_INT(run_noop(env, "2", &r), 0);
		CHECK_INT(r.status, 0);
		p = r.out ? strstr(r.out, "[prof] vaccel_noop_op") : NULL;
		c = r.out ? strstr(r.out, "Cleaning up vAccel") : NULL;
		CHECK(p != NULL && c != NULL && p < c);
		CHECK_HAS(r.out, " nsec nr_entries: 2\n");
		child_result_release(&r);
	}
	{
		const char *env[] = { "VACCEL_PLUGINS=libvaccel-noop.so",
				      "VACCEL_LOG_LEVEL=4",
				      "VACCEL_PROFILING_ENABLED", NULL };

		CHECK_INT(run_noop(env, "2", &r), 0);
		CHECK_INT(r.status, 0);
		CHECK_HASNT(r.out, "[prof]");
		child_result_release(&r);
	}
}

/* Log line format (spec §7.1): YYYY.MM.DD-HH:MM:SS.CC - ESC[<c>m<tag>ESC[0m */
static bool line_format_ok(const char *line, const char *colour,
			   const char *tag)
{
	char prefix[64];
	size_t n;

	for (int i = 0; i < 22; i++) {
		char c = line[i];
		bool digit = c >= '0' && c <= '9';

		switch (i) {
		case 4:
		case 7:
		case 19:
			if (c != '.')
				return false;
			break;
		case 10:
			if (c != '-')
				return false;
			break;
		case 13:
		case 16:
			if (c != ':')
				return false;
			break;
		default:
			if (!digit)
				return false;
		}
	}
	n = (size_t)snprintf(prefix, sizeof(prefix), " - \x1b[%sm<%s>\x1b[0m ",
			     colour, tag);
	return strncmp(line + 22, prefix, n) == 0;
}

/* The first line of `out` containing `needle` (malloc'd) */
static char *line_with(const char *out, const char *needle)
{
	const char *p = out ? strstr(out, needle) : NULL;
	const char *b, *e;

	if (p == NULL)
		return NULL;
	for (b = p; b > out && b[-1] != '\n'; b--)
		;
	e = strchr(p, '\n');
	return strndup(b, e ? (size_t)(e - b) : strlen(b));
}

static void test_log_format_and_levels(void)
{
	char *argv[] = { classify_bin, img_path, "1", model_path, NULL };
	struct child_result r;
	char *line;

	{
		const char *env[] = { "VACCEL_PLUGINS=libvaccel-noop.so",
				      "VACCEL_LOG_LEVEL=4", NULL };

		CHECK_INT(run_child(argv, env, &r), 0);
		CHECK_INT(r.status, 0);
		CHECK_HAS(r.out, "classification tags: " DUMMY_TAG "\n");
		line = line_with(r.out, "Initializing vAccel");
		CHECK(line && line_format_ok(line, "34", "debug"));
		CHECK(line && strlen(line) == 22 + 20 + strlen("Initializing vAccel"));
		free(line);
		line = line_with(r.out, "vAccel " VACCEL_VERSION);
		CHECK(line && line_format_ok(line, "32", "info"));
		free(line);
		line = line_with(r.out, "Path does not seem to have a");
		CHECK(line && line_format_ok(line, "33", "warn"));
		free(line);
		child_result_release(&r);
	}
	{
		const char *env[] = { "VACCEL_PLUGINS=libvaccel-noop.so",
				      "VACCEL_LOG_LEVEL=3", NULL };

		CHECK_INT(run_child(argv, env, &r), 0);
		CHECK_HAS(r.out, "<info>");
		CHECK_HAS(r.out, "<warn>");
		CHECK_HASNT(r.out, "<debug>");
		child_result_release(&r);
	}
	{
		const char *env[] = { "VACCEL_PLUGINS=libvaccel-noop.so",
				      "VACCEL_LOG_LEVEL=2", NULL };

		CHECK_INT(run_child(argv, env, &r), 0);
		CHECK_HAS(r.out, "<warn>");
		CHECK_HASNT(r.out, "<info>");
		CHECK_HASNT(r.out, "<debug>");
		child_result_release(&r);
	}
	{
		const char *env[] = { "VACCEL_PLUGINS=libvaccel-noop.so",
				      "VACCEL_LOG_LEVEL=1", NULL };

		CHECK_INT(run_child(argv, env, &r), 0);
		CHECK_STR(r.out, "Initialized session with id: 1\n"
				 "classification tags: " DUMMY_TAG "\n"
				 "classification imagename: " DUMMY_IMG "\n");
		child_result_release(&r);
	}
	{
		/* error lines: red */
		const char *env[] = { "VACCEL_PLUGINS=libvaccel-missing.so",
				      "VACCEL_LOG_LEVEL=1", NULL };
		char *a2[] = { noop_bin, NULL };

		CHECK_INT(run_child(a2, env, &r), 0);
		line = line_with(r.out, "Could not dlopen plugin");
		CHECK(line && line_format_ok(line, "31", "error"));
		free(line);
		child_result_release(&r);
	}
	{
		/* out-of-range levels disable logging */
		const char *env[] = { "VACCEL_PLUGINS=libvaccel-missing.so",
				      "VACCEL_LOG_LEVEL=5", NULL };
		char *a2[] = { noop_bin, NULL };

		CHECK_INT(run_child(a2, env, &r), 0);
		CHECK_INT(r.status, VACCEL_ENOENT);
		CHECK_STR(r.out, "");
		child_result_release(&r);
	}
}

static void test_log_file(void)
{
	char dir[] = "/tmp/vaccel-logfile-test.XXXXXX";
	char cwd[PATH_MAX];
	const char *env[] = { "VACCEL_PLUGINS=libvaccel-noop.so",
			      "VACCEL_LOG_LEVEL=4", "VACCEL_LOG_FILE=mylog",
			      NULL };
	const char *env_err[] = { "VACCEL_PLUGINS=libvaccel-noop.so",
				  "VACCEL_LOG_LEVEL=4",
				  "VACCEL_LOG_FILE=/dev/stderr", NULL };
	char *argv[] = { noop_bin, NULL };
	struct child_result r;
	int found = 0;
	DIR *d;
	struct dirent *e;

	if (getcwd(cwd, sizeof(cwd)) == NULL || mkdtemp(dir) == NULL ||
	    chdir(dir) != 0) {
		CHECK(!"log file test setup");
		return;
	}
	CHECK_INT(run_child(argv, env, &r), 0);
	CHECK_INT(r.status, 0);
	/* screen output off: only the program's own line */
	CHECK_STR(r.out, "Initialized session with id: 1\n");
	child_result_release(&r);
	d = opendir(".");
	while (d && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char *text;

		if (e->d_name[0] == '.')
			continue;
		/* mylog-YYYY-MM-DD.log */
		CHECK(n == strlen("mylog-YYYY-MM-DD.log") &&
		      strncmp(e->d_name, "mylog-", 6) == 0 &&
		      strcmp(e->d_name + n - 4, ".log") == 0);
		text = test_read_file(e->d_name, NULL);
		CHECK_HAS(text, "\x1b[34m<debug>\x1b[0m Initializing vAccel\n");
		CHECK_HAS(text, "Released session 1\n");
		free(text);
		unlink(e->d_name);
		found++;
	}
	if (d)
		closedir(d);
	CHECK_INT(found, 1);

	/* /dev/stderr does not redirect */
	CHECK_INT(run_child(argv, env_err, &r), 0);
	CHECK_INT(r.status, 0);
	CHECK_HAS(r.out, "<debug>\x1b[0m Initializing vAccel");
	child_result_release(&r);

	CHECK(chdir(cwd) == 0);
	CHECK(rmdir(dir) == 0);
}

static void test_cleanup_disabled(void)
{
	const char *env[] = { "VACCEL_PLUGINS=libvaccel-noop.so",
			      "VACCEL_CLEANUP_ENABLED=0", "VACCEL_LOG_LEVEL=4",
			      NULL };
	struct child_result r;
	char *top;

	CHECK_INT(run_noop(env, NULL, &r), 0);
	CHECK_INT(r.status, 0);
	CHECK_HASNT(r.out, "Cleaning up vAccel");
	top = logged_rundir(r.out);
	/* no cleanup: the top-level rundir stays */
	CHECK(top != NULL && test_is_dir(top));
	if (top)
		rmdir(top);
	free(top);
	child_result_release(&r);
}

static void test_exec_env(void)
{
	char *argv[] = { exec_bin, mylib_path, NULL };
	struct child_result r;

	{
		const char *env[] = { "VACCEL_PLUGINS=libvaccel-exec.so",
				      "VACCEL_LOG_LEVEL=2",
				      "VACCEL_EXEC_DLOPEN_MODE=bogus", NULL };

		CHECK_INT(run_child(argv, env, &r), 0);
		CHECK_INT(r.status, 0);
		CHECK_HAS(r.out, "Invalid value 'bogus' for "
				 "VACCEL_EXEC_DLOPEN_MODE. Using default: now\n");
		CHECK_HAS(r.out, "output: 20\n");
		child_result_release(&r);
	}
	{
		const char *env[] = { "VACCEL_PLUGINS=libvaccel-exec.so",
				      "VACCEL_LOG_LEVEL=2",
				      "VACCEL_EXEC_DLOPEN_MODE=LAZY",
				      "VACCEL_EXEC_DLCLOSE_ENABLED=maybe", NULL };

		CHECK_INT(run_child(argv, env, &r), 0);
		CHECK_INT(r.status, 0);
		CHECK_HASNT(r.out, "VACCEL_EXEC_DLOPEN_MODE");
		CHECK_HAS(r.out, "Invalid value 'maybe' for "
				 "VACCEL_EXEC_DLCLOSE_ENABLED. Using default: ");
		child_result_release(&r);
	}
	{
		const char *env[] = { "VACCEL_PLUGINS=libvaccel-exec.so",
				      "VACCEL_LOG_LEVEL=2",
				      "VACCEL_EXEC_DLCLOSE_ENABLED",
				      "VACCEL_EXEC_DLCLOSE=1", NULL };

		CHECK_INT(run_child(argv, env, &r), 0);
		CHECK_INT(r.status, 0);
		CHECK_HAS(r.out, "VACCEL_EXEC_DLCLOSE is deprecated. Use "
				 "VACCEL_EXEC_DLCLOSE_ENABLED instead.\n\n");
		child_result_release(&r);
	}
}

int main(void)
{
	const char *stage = test_env("VACCEL_TEST_STAGE");
	const char *data = test_env("VACCEL_TEST_DATA");

	snprintf(noop_bin, sizeof(noop_bin), "%s/bin/noop", stage);
	snprintf(classify_bin, sizeof(classify_bin), "%s/bin/classify", stage);
	snprintf(exec_bin, sizeof(exec_bin), "%s/bin/exec", stage);
	snprintf(mylib_path, sizeof(mylib_path), "%s/lib/libmytestlib.so",
		 stage);
	snprintf(img_path, sizeof(img_path), "%s/images/example.jpg", data);
	snprintf(model_path, sizeof(model_path), "%s/models/torch/cnn_trace.pt",
		 data);

	test_ok();
	test_c_plugin_from_env();
	test_no_plugin();
	test_failed_starts();
	test_deprecated_env();
	test_bootstrap_disabled();
	test_profiling_at_exit();
	test_log_format_and_levels();
	test_log_file();
	test_cleanup_disabled();
	test_exec_env();
	return CHECK_DONE();
}
