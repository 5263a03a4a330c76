// SPDX-License-Identifier: Apache-2.0
/*
 * Tiny assertion helpers for the C API tests.
 *
 *   CHECK(cond)                 count a pass, or print `FAIL: file:line: cond`
 *   CHECK_INT(got, want)        integer equality, printing both values
 *   CHECK_STR(got, want)        string equality (NULL-safe)
 *   CHECK_HAS(haystack, needle) substring test (NULL-safe)
 *   CHECK_DONE()                print `N passed, M failed`, return exit code
 *
 * Helpers:
 *   capture_begin()/capture_end() redirect fd 1 (the library logs through C
 *   stdio to stdout) into a temporary file and return what was written;
 *   run_child() runs a program with extra environment variables and captures
 *   its stdout, stderr and exit status; test_env() returns a required
 *   environment variable (set by run.sh).
 */
#ifndef VACCEL_TEST_CHECK_H
#define VACCEL_TEST_CHECK_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int check_passed;
static int check_failed;

#define CHECK_FAILURE_(fmt, ...)                                           \
	do {                                                               \
		check_failed++;                                            \
		fflush(stdout);                                            \
		fprintf(stderr, "FAIL: %s:%d: " fmt "\n", __FILE__,        \
			__LINE__, __VA_ARGS__);                            \
		fflush(stderr);                                            \
	} while (0)

#define CHECK(cond)                                          \
	do {                                                 \
		if (cond)                                    \
			check_passed++;                      \
		else                                         \
			CHECK_FAILURE_("%s", #cond);         \
	} while (0)

#define CHECK_INT(got, want)                                                 \
	do {                                                                 \
		long long check_g_ = (long long)(got);                       \
		long long check_w_ = (long long)(want);                      \
		if (check_g_ == check_w_)                                    \
			check_passed++;                                      \
		else                                                         \
			CHECK_FAILURE_("%s == %s (got %lld, want %lld)", #got, \
				       #want, check_g_, check_w_);           \
	} while (0)

#define CHECK_STR(got, want)                                                 \
	do {                                                                 \
		const char *check_g_ = (const char *)(got);                  \
		const char *check_w_ = (const char *)(want);                 \
		if (check_g_ != NULL && check_w_ != NULL &&                  \
		    strcmp(check_g_, check_w_) == 0)                         \
			check_passed++;                                      \
		else                                                         \
			CHECK_FAILURE_("%s == \"%s\" (got \"%s\")", #got,    \
				       check_w_ ? check_w_ : "(null)",       \
				       check_g_ ? check_g_ : "(null)");      \
	} while (0)

#define CHECK_HAS(haystack, needle)                                          \
	do {                                                                 \
		const char *check_h_ = (const char *)(haystack);             \
		const char *check_n_ = (const char *)(needle);               \
		if (check_h_ != NULL && check_n_ != NULL &&                  \
		    strstr(check_h_, check_n_) != NULL)                      \
			check_passed++;                                      \
		else                                                         \
			CHECK_FAILURE_("%s contains \"%s\"", #haystack,      \
				       check_n_ ? check_n_ : "(null)");      \
	} while (0)

#define CHECK_HASNT(haystack, needle)                                        \
	do {                                                                 \
		const char *check_h_ = (const char *)(haystack);             \
		const char *check_n_ = (const char *)(needle);               \
		if (check_h_ == NULL || strstr(check_h_, check_n_) == NULL)  \
			check_passed++;                                      \
		else                                                         \
			CHECK_FAILURE_("%s does not contain \"%s\"",         \
				       #haystack, check_n_);                 \
	} while (0)

#define CHECK_DONE()                                                     \
	(fflush(stdout), printf("%d passed, %d failed\n", check_passed,  \
				check_failed),                           \
	 fflush(stdout), check_failed ? 1 : 0)

/* Required environment variable (exits with a message if unset) */
static inline const char *test_env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || v[0] == '\0') {
		fprintf(stderr, "error: %s is not set (run through run.sh)\n",
			name);
		exit(2);
	}
	return v;
}

/* Read a whole file into a malloc'd NUL-terminated string (NULL on error) */
static inline char *test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, 4096, f);
		n += r;
	} while (r > 0);
	fclose(f);
	if (buf == NULL) {
		buf = malloc(1);
		if (buf == NULL)
			return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* Bounded string copy (always NUL-terminated) */
static inline void test_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = src ? strlen(src) : 0;

	if (size == 0)
		return;
	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static inline bool test_path_exists(const char *path)
{
	struct stat st;

	return path != NULL && stat(path, &st) == 0;
}

static inline bool test_is_dir(const char *path)
{
	struct stat st;

	return path != NULL && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* --- stdout / stderr capture ------------------------------------------- */

static int capture_saved_fd[3] = { -1, -1, -1 };
static char capture_path[3][64];

static inline void capture_fd_begin(int fd)
{
	int tmp;

	fflush(fd == STDERR_FILENO ? stderr : stdout);
	strcpy(capture_path[fd], "/tmp/vaccel-capture.XXXXXX");
	tmp = mkstemp(capture_path[fd]);
	if (tmp < 0) {
		perror("mkstemp");
		exit(2);
	}
	capture_saved_fd[fd] = dup(fd);
	dup2(tmp, fd);
	close(tmp);
}

/* Returns the captured text (malloc'd; free it) and echoes it */
static inline char *capture_fd_end(int fd)
{
	FILE *stream = fd == STDERR_FILENO ? stderr : stdout;
	char *out;

	fflush(stream);
	dup2(capture_saved_fd[fd], fd);
	close(capture_saved_fd[fd]);
	capture_saved_fd[fd] = -1;
	out = test_read_file(capture_path[fd], NULL);
	unlink(capture_path[fd]);
	if (out == NULL) {
		out = malloc(1);
		if (out)
			out[0] = '\0';
	}
	if (out) {
		fputs(out, stream);
		fflush(stream);
	}
	return out;
}

/* The library logs through C stdio to stdout */
static inline void capture_begin(void)
{
	capture_fd_begin(STDOUT_FILENO);
}

static inline char *capture_end(void)
{
	return capture_fd_end(STDOUT_FILENO);
}

/* --- child processes ----------------------------------------------------- */

struct child_result {
	int status; /* exit status, or 128 + signal */
	char *out; /* captured stdout (malloc'd) */
	char *err; /* captured stderr (malloc'd) */
};

static inline void child_result_release(struct child_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

/*
 * Run argv[0] (a path) with `env` (NULL-terminated "NAME=VALUE" list, or
 * "NAME" to unset) applied on top of the current environment.
 */
static inline int run_child(char *const argv[], const char *const env[],
			    struct child_result *res)
{
	char out_path[] = "/tmp/vaccel-child-out.XXXXXX";
	char err_path[] = "/tmp/vaccel-child-err.XXXXXX";
	int out_fd = mkstemp(out_path);
	int err_fd = mkstemp(err_path);
	int status = 0;
	pid_t pid;

	res->out = res->err = NULL;
	res->status = -1;
	if (out_fd < 0 || err_fd < 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		for (size_t i = 0; env && env[i]; i++) {
			const char *eq = strchr(env[i], '=');

			if (eq == NULL) {
				unsetenv(env[i]);
			} else {
				char name[256];
				size_t n = (size_t)(eq - env[i]);

				if (n >= sizeof(name))
					_exit(126);
				memcpy(name, env[i], n);
				name[n] = '\0';
				setenv(name, eq + 1, 1);
			}
		}
		dup2(out_fd, STDOUT_FILENO);
		dup2(err_fd, STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out_fd);
	close(err_fd);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status))
		res->status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		res->status = 128 + WTERMSIG(status);
	res->out = test_read_file(out_path, NULL);
	res->err = test_read_file(err_path, NULL);
	unlink(out_path);
	unlink(err_path);
	return 0;
}

/*
 * Run fn(arg) in a forked child (for calls that may crash the process or
 * corrupt its state). The child sends fn's result through a pipe and leaves
 * with _exit(0), so no destructor runs there and a memory checker's exit
 * status does not matter. Returns fn's result, 128 + signal if the child
 * was killed before reporting, -1 on other errors.
 */
static inline int test_in_child(int (*fn)(void *), void *arg)
{
	int fds[2];
	int status = 0, result = -1;
	ssize_t n;
	pid_t pid;

	if (pipe(fds) != 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		int ret;

		close(fds[0]);
		ret = fn(arg);
		fflush(stdout);
		if (write(fds[1], &ret, sizeof(ret)) != (ssize_t)sizeof(ret))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	do {
		n = read(fds[0], &result, sizeof(result));
	} while (n < 0 && errno == EINTR);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(result))
		return result;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

#endif /* VACCEL_TEST_CHECK_H */
