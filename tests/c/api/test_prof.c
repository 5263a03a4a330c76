// SPDX-License-Identifier: Apache-2.0
/*
 * Profiling regions (spec §13). Run with VACCEL_BOOTSTRAP_ENABLED=0
 * VACCEL_CLEANUP_ENABLED=0: the test bootstraps with profiling enabled
 * (from the environment and from a config), then disabled.
 */
#include "check.h"

#include <inttypes.h>
#include <time.h>
#include <vaccel.h>

static void busy_wait_us(long us)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC_RAW, &a);
	do {
		clock_gettime(CLOCK_MONOTONIC_RAW, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000000L +
			 (b.tv_nsec - a.tv_nsec) / 1000 <
		 us);
}

static void bootstrap(bool prof)
{
	struct vaccel_config cfg;

	CHECK_INT(vaccel_config_init(&cfg, "libvaccel-noop.so",
				     VACCEL_LOG_DEBUG, NULL, prof, false),
		  VACCEL_OK);
	CHECK_INT(vaccel_bootstrap_with_config(&cfg), VACCEL_OK);
	vaccel_config_release(&cfg);
}

static void test_enabled(void)
{
	struct vaccel_prof_region r;
	struct vaccel_prof_region st = VACCEL_PROF_REGION_INIT("static_region");
	struct vaccel_prof_region regs[2] = { VACCEL_PROF_REGION_INIT("ra"),
					      VACCEL_PROF_REGION_INIT("rb") };
	char name[] = "my_region";
	char want[128];
	char *out;
	uint64_t sum = 0;
	unsigned long long printed = 0;
	const char *p;

	CHECK(vaccel_prof_enabled());

	CHECK_INT(vaccel_prof_region_init(&r, name), VACCEL_OK);
	CHECK_STR(r.name, "my_region");
	CHECK_INT(r.nr_entries, 0);
	/* stop before start */
	CHECK_INT(vaccel_prof_region_stop(&r), VACCEL_ENOENT);

	capture_begin();
	for (int i = 0; i < 2; i++) {
		CHECK_INT(vaccel_prof_region_start(&r), VACCEL_OK);
		busy_wait_us(200);
		CHECK_INT(vaccel_prof_region_stop(&r), VACCEL_OK);
	}
	out = capture_end();
	CHECK_HAS(out, "Start profiling region my_region\n");
	CHECK_HAS(out, "Stop profiling region my_region\n");
	free(out);
	CHECK_INT(r.nr_entries, 2);
	CHECK(r.samples != NULL);
	for (size_t i = 0; r.samples && i < r.nr_entries; i++) {
		CHECK(r.samples[i].start > 0);
		CHECK(r.samples[i].time >= 200000);
		sum += r.samples[i].time;
	}
	if (r.samples && r.nr_entries == 2)
		CHECK(r.samples[1].start >= r.samples[0].start +
						    r.samples[0].time);

	capture_begin();
	CHECK_INT(vaccel_prof_region_print(&r), VACCEL_OK);
	out = capture_end();
	snprintf(want, sizeof(want), "<info>\x1b[0m [prof] my_region: total_time: ");
	CHECK_HAS(out, want);
	CHECK_HAS(out, " nsec nr_entries: 2\n");
	p = out ? strstr(out, "total_time: ") : NULL;
	if (p)
		printed = strtoull(p + strlen("total_time: "), NULL, 10);
	CHECK_INT(printed, sum);
	free(out);
	CHECK_INT(vaccel_prof_region_release(&r), VACCEL_OK);
	CHECK(r.samples == NULL);
	CHECK_INT(r.nr_entries, 0);

	/* a region from the static initialiser */
	CHECK_INT(vaccel_prof_region_start(&st), VACCEL_OK);
	CHECK_INT(vaccel_prof_region_stop(&st), VACCEL_OK);
	CHECK_INT(st.nr_entries, 1);
	CHECK_INT(vaccel_prof_region_release(&st), VACCEL_OK);

	/* nothing printed for a region without entries */
	capture_begin();
	CHECK_INT(vaccel_prof_region_print(&regs[0]), VACCEL_OK);
	out = capture_end();
	CHECK_HASNT(out, "[prof]");
	free(out);

	/* by name */
	CHECK_INT(vaccel_prof_regions_start_by_name(regs, 2, "rb"), VACCEL_OK);
	CHECK_INT(vaccel_prof_regions_stop_by_name(regs, 2, "rb"), VACCEL_OK);
	CHECK_INT(regs[0].nr_entries, 0);
	CHECK_INT(regs[1].nr_entries, 1);
	capture_begin();
	CHECK_INT(vaccel_prof_regions_print_all(regs, 2), VACCEL_OK);
	out = capture_end();
	CHECK_HAS(out, "[prof] rb: total_time: ");
	CHECK_HASNT(out, "[prof] ra:");
	free(out);
	{
		int need = vaccel_prof_regions_print_all_to_buf(NULL, 0, regs, 2);
		char *buf = NULL;

		CHECK(need > 0);
		if (need > 0) {
			CHECK(vaccel_prof_regions_print_all_to_buf(
				      &buf, (size_t)need, regs, 2) > 0);
			CHECK(buf != NULL);
			if (buf)
				CHECK_HAS(buf, "[prof] rb: total_time: ");
			free(buf);
		}
	}
	CHECK_INT(vaccel_prof_regions_release(regs, 2), VACCEL_OK);
	CHECK(regs[1].samples == NULL);

	/* errors */
	CHECK_INT(vaccel_prof_region_start(NULL), VACCEL_EINVAL);
	CHECK_INT(vaccel_prof_region_stop(NULL), VACCEL_EINVAL);
	CHECK_INT(vaccel_prof_region_init(NULL, "x"), VACCEL_EINVAL);
}

static void test_disabled(void)
{
	struct vaccel_prof_region r = VACCEL_PROF_REGION_INIT("off_region");
	char *out;

	CHECK(!vaccel_prof_enabled());
	capture_begin();
	CHECK_INT(vaccel_prof_region_start(&r), VACCEL_OK);
	CHECK_INT(vaccel_prof_region_stop(&r), VACCEL_OK);
	CHECK_INT(vaccel_prof_region_print(&r), VACCEL_OK);
	out = capture_end();
	CHECK_INT(r.nr_entries, 0);
	CHECK(r.samples == NULL);
	CHECK_HASNT(out, "profiling region");
	CHECK_HASNT(out, "[prof]");
	free(out);
	CHECK_INT(vaccel_prof_regions_print_all_to_buf(NULL, 0, &r, 1), 0);
	CHECK_INT(vaccel_prof_region_release(&r), VACCEL_OK);
}

int main(void)
{
	struct vaccel_session sess = { .id = 0 };

	/* from the environment (VACCEL_PROFILING_ENABLED=1) */
	setenv("VACCEL_PROFILING_ENABLED", "1", 1);
	setenv("VACCEL_PLUGINS", "libvaccel-noop.so", 1);
	CHECK_INT(vaccel_bootstrap(), VACCEL_OK);
	CHECK(vaccel_prof_enabled());
	CHECK(vaccel_config() && vaccel_config()->profiling_enabled);
	test_enabled();
	CHECK_INT(vaccel_session_init(&sess, 0), VACCEL_OK);
	CHECK_INT(vaccel_noop(&sess), VACCEL_OK);
	CHECK_INT(vaccel_session_release(&sess), VACCEL_OK);
	unsetenv("VACCEL_PROFILING_ENABLED");
	unsetenv("VACCEL_PLUGINS");

	/* from a config */
	bootstrap(false);
	test_disabled();
	bootstrap(true);
	CHECK(vaccel_prof_enabled());
	test_enabled();

	/* cleanup resets the config: profiling off */
	CHECK_INT(vaccel_cleanup(), VACCEL_OK);
	CHECK(!vaccel_prof_enabled());
	return CHECK_DONE();
}
