// SPDX-License-Identifier: Apache-2.0
/*
 * Sessions on a local plugin (spec §8.1, §8.2, §9, §20 "session"). Run with
 * VACCEL_PLUGINS=libvaccel-noop.so (bootstrapped by the constructor).
 */
#include "check.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <vaccel.h>

static char img_path[PATH_MAX];
static char csv_path[PATH_MAX];

static void test_init_release(void)
{
	struct vaccel_session s1 = { .id = 0 };
	struct vaccel_session s2 = { .id = 0 };
	struct vaccel_session *p = NULL;
	char want[PATH_MAX + 32];
	char rundir1[PATH_MAX] = "";
	char *out;

	CHECK_INT(vaccel_session_init(NULL, 0), VACCEL_EINVAL);

	s1.remote_id = 42;
	s1.priv = (void *)&s2;
	capture_begin();
	CHECK_INT(vaccel_session_init(&s1, 0), VACCEL_OK);
	out = capture_end();
	CHECK_INT(s1.id, 1);
	CHECK_INT(s1.hint, 0);
	CHECK(!s1.is_virtio);
	/* local session: remote_id zeroed (§9.1, §21.7 do better) */
	CHECK_INT(s1.remote_id, 0);
	CHECK(s1.priv == NULL);
	CHECK(s1.plugin != NULL && s1.plugin->info != NULL &&
	      strcmp(s1.plugin->info->name, "noop") == 0);
	/* rundir <top>/session.1 */
	snprintf(want, sizeof(want), "%s/session.1", vaccel_rundir());
	CHECK_STR(s1.rundir, want);
	CHECK(test_is_dir(s1.rundir));
	test_strlcpy(rundir1, s1.rundir, sizeof(rundir1));
	{
		char line[PATH_MAX + 64];

		snprintf(line, sizeof(line), "New rundir for session 1: %s\n",
			 want);
		CHECK_HAS(out, line);
	}
	CHECK_HAS(out, "Initialized session 1 with plugin noop\n");
	free(out);

	CHECK_INT(vaccel_session_init(&s2, VACCEL_PLUGIN_CPU | VACCEL_PLUGIN_GPU),
		  VACCEL_OK);
	CHECK_INT(s2.id, 2);
	CHECK_INT(s2.hint, VACCEL_PLUGIN_CPU | VACCEL_PLUGIN_GPU);

	/* lookups */
	CHECK_INT(vaccel_session_get_by_id(&p, 1), VACCEL_OK);
	CHECK(p == &s1);
	CHECK_INT(vaccel_session_get_by_id(&p, 2), VACCEL_OK);
	CHECK(p == &s2);
	CHECK_INT(vaccel_session_get_by_id(&p, 99), VACCEL_ENOENT);
	CHECK_INT(vaccel_session_get_by_id(NULL, 1), VACCEL_EINVAL);

	/* release */
	capture_begin();
	CHECK_INT(vaccel_session_release(&s2), VACCEL_OK);
	out = capture_end();
	CHECK_HAS(out, "Released session 2\n");
	free(out);
	CHECK_INT(s2.id, 0);
	CHECK_INT(s2.hint, VACCEL_PLUGIN_CPU | VACCEL_PLUGIN_GPU);
	CHECK(s2.plugin == NULL);
	CHECK(s2.priv == NULL);
	CHECK_INT(vaccel_session_get_by_id(&p, 2), VACCEL_ENOENT);

	capture_begin();
	CHECK_INT(vaccel_session_release(&s2), VACCEL_EINVAL);
	out = capture_end();
	CHECK_HAS(out, "Cannot release uninitialized session");
	free(out);
	CHECK_INT(vaccel_session_release(NULL), VACCEL_EINVAL);

	CHECK_INT(vaccel_session_release(&s1), VACCEL_OK);
	CHECK(!test_path_exists(rundir1));

	/* ids are not reused before the pool's top */
	CHECK_INT(vaccel_session_init(&s1, 0), VACCEL_OK);
	CHECK_INT(s1.id, 3);
	CHECK_INT(vaccel_session_release(&s1), VACCEL_OK);

	/* new / delete */
	p = NULL;
	CHECK_INT(vaccel_session_new(&p, VACCEL_PLUGIN_DEBUG), VACCEL_OK);
	CHECK(p != NULL);
	if (p) {
		CHECK_INT(p->id, 4);
		CHECK_INT(p->hint, VACCEL_PLUGIN_DEBUG);
		CHECK_INT(vaccel_noop(p), VACCEL_OK);
		CHECK_INT(vaccel_session_delete(p), VACCEL_OK);
	}
	CHECK_INT(vaccel_session_new(NULL, 0), VACCEL_EINVAL);
	CHECK_INT(vaccel_session_delete(NULL), VACCEL_EINVAL);

	/* deprecated aliases */
	CHECK_INT(vaccel_sess_init(&s1, VACCEL_PLUGIN_DEBUG), VACCEL_OK);
	CHECK_INT(s1.id, 5);
	CHECK_INT(vaccel_sess_update(&s1, 0), VACCEL_OK);
	CHECK_INT(s1.hint, 0);
	CHECK_INT(vaccel_sess_free(&s1), VACCEL_OK);
	CHECK_INT(s1.id, 0);
}

static void test_resources(void)
{
	struct vaccel_session s1 = { .id = 0 };
	struct vaccel_session s2 = { .id = 0 };
	struct vaccel_resource img = { .id = 0 };
	struct vaccel_resource ma = { .id = 0 };
	struct vaccel_resource mb = { .id = 0 };
	struct vaccel_resource *r = NULL;
	struct vaccel_resource **arr = NULL;
	size_t n = 99;
	char *out;
	char want[128];

	CHECK_INT(vaccel_session_init(&s1, 0), VACCEL_OK);
	CHECK_INT(vaccel_session_init(&s2, 0), VACCEL_OK);
	CHECK_INT(vaccel_resource_init(&img, img_path, VACCEL_RESOURCE_DATA),
		  VACCEL_OK);
	/* ma created before mb, registered after it */
	CHECK_INT(vaccel_resource_init(&ma, csv_path, VACCEL_RESOURCE_MODEL),
		  VACCEL_OK);
	CHECK_INT(vaccel_resource_init(&mb, img_path, VACCEL_RESOURCE_MODEL),
		  VACCEL_OK);

	/* empty session */
	CHECK(!vaccel_session_has_resource(&s1, &img));
	CHECK_INT(vaccel_session_resource_by_type(&s1, &r,
						  VACCEL_RESOURCE_MODEL),
		  VACCEL_ENOENT);
	CHECK_INT(vaccel_session_resources_by_type(&s1, &arr, &n,
						   VACCEL_RESOURCE_MODEL),
		  VACCEL_ENOENT);
	CHECK_INT(n, 0);

	CHECK_INT(vaccel_resource_register(&img, &s1), VACCEL_OK);
	CHECK_INT(vaccel_resource_register(&mb, &s1), VACCEL_OK);
	CHECK_INT(vaccel_resource_register(&ma, &s1), VACCEL_OK);

	CHECK(vaccel_session_has_resource(&s1, &img));
	CHECK(!vaccel_session_has_resource(&s2, &img));
	CHECK(!vaccel_session_has_resource(NULL, &img));
	CHECK(!vaccel_session_has_resource(&s1, NULL));
	CHECK(vaccel_sess_has_resource(&s1, &ma));

	/* by id */
	CHECK_INT(vaccel_session_resource_by_id(&s1, &r, img.id), VACCEL_OK);
	CHECK(r == &img);
	CHECK_INT(vaccel_session_resource_by_id(&s1, &r, ma.id), VACCEL_OK);
	CHECK(r == &ma);
	CHECK_INT(vaccel_session_resource_by_id(&s2, &r, img.id),
		  VACCEL_ENOENT);
	CHECK_INT(vaccel_session_resource_by_id(&s1, &r, 999), VACCEL_ENOENT);
	CHECK_INT(vaccel_session_resource_by_id(&s1, &r, 0), VACCEL_EINVAL);
	CHECK_INT(vaccel_session_resource_by_id(&s1, &r, -1), VACCEL_EINVAL);
	CHECK_INT(vaccel_session_resource_by_id(NULL, &r, 1), VACCEL_EINVAL);
	CHECK_INT(vaccel_session_resource_by_id(&s1, NULL, 1), VACCEL_EINVAL);

	/* by type: earliest registration */
	CHECK_INT(vaccel_session_resource_by_type(&s1, &r,
						  VACCEL_RESOURCE_MODEL),
		  VACCEL_OK);
	CHECK(r == &mb);
	CHECK_INT(vaccel_session_resource_by_type(&s1, &r,
						  VACCEL_RESOURCE_DATA),
		  VACCEL_OK);
	CHECK(r == &img);
	CHECK_INT(vaccel_session_resource_by_type(&s1, &r, VACCEL_RESOURCE_LIB),
		  VACCEL_ENOENT);
	CHECK_INT(vaccel_session_resource_by_type(&s1, &r, VACCEL_RESOURCE_MAX),
		  VACCEL_EINVAL);
	/* global lookup: first created */
	CHECK_INT(vaccel_resource_get_by_type(&r, VACCEL_RESOURCE_MODEL),
		  VACCEL_OK);
	CHECK(r == &ma);

	CHECK_INT(vaccel_session_resources_by_type(&s1, &arr, &n,
						   VACCEL_RESOURCE_MODEL),
		  VACCEL_OK);
	CHECK_INT(n, 2);
	if (arr && n == 2)
		CHECK((arr[0] == &mb && arr[1] == &ma) ||
		      (arr[0] == &ma && arr[1] == &mb));
	free(arr);
	arr = NULL;
	CHECK_INT(vaccel_session_resources_by_type(&s1, &arr, &n,
						   VACCEL_RESOURCE_DATA),
		  VACCEL_OK);
	CHECK_INT(n, 1);
	if (arr && n == 1)
		CHECK(arr[0] == &img);
	free(arr);
	arr = NULL;
	CHECK_INT(vaccel_session_resources_by_type(&s1, &arr, &n,
						   VACCEL_RESOURCE_LIB),
		  VACCEL_ENOENT);
	CHECK_INT(n, 0);

	/* update with registered resources */
	capture_begin();
	CHECK_INT(vaccel_session_update(&s1, VACCEL_PLUGIN_DEBUG),
		  VACCEL_ENOTSUP);
	out = capture_end();
	CHECK_HAS(out, "Cannot update a session with registered resources");
	free(out);
	CHECK_INT(s1.hint, 0);
	/* ... and without */
	CHECK_INT(vaccel_session_update(&s2, VACCEL_PLUGIN_DEBUG), VACCEL_OK);
	CHECK_INT(s2.hint, VACCEL_PLUGIN_DEBUG);

	/* releasing the session unregisters its resources */
	CHECK_INT(vaccel_resource_register(&img, &s2), VACCEL_OK);
	CHECK_INT(vaccel_resource_refcount(&img), 2);
	snprintf(want, sizeof(want), "session:%lld Unregistered resource %lld\n",
		 (long long)s1.id, (long long)ma.id);
	capture_begin();
	CHECK_INT(vaccel_session_release(&s1), VACCEL_OK);
	out = capture_end();
	CHECK_HAS(out, want);
	free(out);
	CHECK_INT(vaccel_resource_refcount(&img), 1);
	CHECK_INT(vaccel_resource_refcount(&ma), 0);
	CHECK_INT(vaccel_resource_refcount(&mb), 0);
	CHECK(vaccel_session_has_resource(&s2, &img));

	CHECK_INT(vaccel_session_release(&s2), VACCEL_OK);
	CHECK_INT(vaccel_resource_refcount(&img), 0);
	CHECK_INT(vaccel_resource_release(&img), VACCEL_OK);
	CHECK_INT(vaccel_resource_release(&ma), VACCEL_OK);
	CHECK_INT(vaccel_resource_release(&mb), VACCEL_OK);
}

/* --- concurrency -------------------------------------------------------- */

enum { NR_THREADS = 8, NR_ITERS = 50 };
static atomic_int thread_failures;

static void *session_worker(void *arg)
{
	struct vaccel_resource *shared = arg;

	for (int i = 0; i < NR_ITERS; i++) {
		struct vaccel_session s = { .id = 0 };
		struct vaccel_resource r = { .id = 0 };
		struct vaccel_session *found = NULL;
		char buf[16] = "thread data";
		int fails = 0;

#define STEP(cond)                                                      \
	do {                                                            \
		if (!(cond)) {                                          \
			fails++;                                        \
			fprintf(stderr, "thread step failed: %s\n", #cond); \
		}                                                       \
	} while (0)
		STEP(vaccel_session_init(&s, 0) == VACCEL_OK);
		STEP(vaccel_resource_init_from_buf(&r, buf, sizeof(buf),
						   VACCEL_RESOURCE_DATA,
						   "t.bin", true) == VACCEL_OK);
		STEP(vaccel_resource_register(&r, &s) == VACCEL_OK);
		STEP(vaccel_resource_register(shared, &s) == VACCEL_OK);
		STEP(vaccel_noop(&s) == VACCEL_OK);
		STEP(vaccel_session_get_by_id(&found, s.id) == VACCEL_OK &&
		     found == &s);
		STEP(vaccel_session_has_resource(&s, shared));
		STEP(vaccel_resource_unregister(&r, &s) == VACCEL_OK);
		STEP(vaccel_resource_release(&r) == VACCEL_OK);
		STEP(vaccel_session_release(&s) == VACCEL_OK);
#undef STEP
		if (fails)
			atomic_fetch_add(&thread_failures, fails);
	}
	return NULL;
}

static void test_concurrency(void)
{
	pthread_t th[NR_THREADS];
	struct vaccel_resource shared = { .id = 0 };
	struct vaccel_session main_sess = { .id = 0 };

	CHECK_INT(vaccel_resource_init(&shared, img_path, VACCEL_RESOURCE_DATA),
		  VACCEL_OK);
	/* load the shared resource's data first (the race on the first
	 * registration is tested in test_resource.c) */
	CHECK_INT(vaccel_session_init(&main_sess, 0), VACCEL_OK);
	CHECK_INT(vaccel_resource_register(&shared, &main_sess), VACCEL_OK);
	for (int i = 0; i < NR_THREADS; i++)
		CHECK_INT(pthread_create(&th[i], NULL, session_worker, &shared),
			  0);
	for (int i = 0; i < NR_THREADS; i++)
		pthread_join(th[i], NULL);
	{
		int concurrent_session_failures = atomic_load(&thread_failures);

		CHECK_INT(concurrent_session_failures, 0);
	}
	/* every registration of the shared resource was undone */
	CHECK_INT(vaccel_resource_refcount(&shared), 1);
	CHECK_INT(vaccel_session_release(&main_sess), VACCEL_OK);
	CHECK_INT(vaccel_resource_refcount(&shared), 0);
	CHECK_INT(vaccel_resource_release(&shared), VACCEL_OK);
}

/* --- id pool (spec §8.2) ------------------------------------------------ */

static void test_id_pool(void)
{
	enum { MAX = 1024 };
	struct vaccel_session *ss = calloc(MAX + 1, sizeof(*ss));
	bool *seen = calloc(MAX + 1, sizeof(*seen));
	vaccel_id_t first = 0, prev = 0;
	bool increasing = true, unique = true;
	size_t n = 0;
	int ret = VACCEL_OK;
	char *out;

	CHECK(ss != NULL && seen != NULL);
	if (ss == NULL || seen == NULL)
		goto out;

	/* ids grow up to the top of the pool */
	capture_begin();
	while (n < MAX) {
		ret = vaccel_session_init(&ss[n], 0);
		if (ret != VACCEL_OK)
			break;
		if (n == 0)
			first = ss[n].id;
		if (ss[n].id <= prev)
			increasing = false;
		prev = ss[n].id;
		n++;
		if (prev >= MAX)
			break;
	}
	/* then released lower ids are reclaimed */
	if (ret == VACCEL_OK)
		ret = vaccel_session_init(&ss[n], 0);
	out = capture_end();
	CHECK_INT(ret, VACCEL_OK);
	CHECK_INT(prev, MAX);
	CHECK(increasing);
	CHECK(first > 1);
	if (ret == VACCEL_OK) {
		CHECK(ss[n].id >= 1 && ss[n].id < first);
		n++;
	}
	CHECK_HAS(out, "Reached max ID (1024)");
	CHECK_HAS(out, "Trying to reclaim lower IDs");
	free(out);

	/* fill the pool, then EUSERS */
	capture_begin();
	while (n < MAX) {
		ret = vaccel_session_init(&ss[n], 0);
		if (ret != VACCEL_OK)
			break;
		n++;
	}
	CHECK_INT(n, MAX);
	CHECK_INT(vaccel_session_init(&ss[MAX], 0), VACCEL_EUSERS);
	out = capture_end();
	free(out);
	for (size_t i = 0; i < n; i++) {
		vaccel_id_t id = ss[i].id;

		if (id < 1 || id > MAX || seen[id])
			unique = false;
		else
			seen[id] = true;
	}
	CHECK(unique);

	capture_begin();
	for (size_t i = 0; i < n; i++)
		if (vaccel_session_release(&ss[i]) != VACCEL_OK)
			ret = -1;
	out = capture_end();
	free(out);
	CHECK_INT(ret, VACCEL_OK);
out:
	free(ss);
	free(seen);
}

int main(void)
{
	const char *data = test_env("VACCEL_TEST_DATA");

	snprintf(img_path, sizeof(img_path), "%s/images/example.jpg", data);
	snprintf(csv_path, sizeof(csv_path), "%s/input/input_2048.csv", data);

	CHECK(vaccel_is_initialized());
	test_init_release();
	test_resources();
	test_concurrency();
	test_id_pool();
	return CHECK_DONE();
}
