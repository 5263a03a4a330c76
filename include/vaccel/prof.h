// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_PROF_H
#define VACCEL_PROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A profiling sample */
struct vaccel_prof_sample {
	/* Start time (ns, CLOCK_MONOTONIC_RAW) */
	uint64_t start;

	/* Duration (ns) */
	uint64_t time;
};

/* A profiling region */
struct vaccel_prof_region {
	/* Region name */
	const char *name;

	/* `name` is owned (allocated by the library) */
	bool name_owned;

	/* Number of samples taken */
	size_t nr_entries;

	/* Samples */
	struct vaccel_prof_sample *samples;

	/* Number of allocated samples */
	size_t size;
};

/* Static initialiser of a profiling region named `name` */
#define VACCEL_PROF_REGION_INIT(name) { (name), false, 0, NULL, 0 }

bool vaccel_prof_enabled(void);
int vaccel_prof_region_start(struct vaccel_prof_region *region);
int vaccel_prof_region_stop(const struct vaccel_prof_region *region);
int vaccel_prof_region_print(const struct vaccel_prof_region *region);
int vaccel_prof_region_init(struct vaccel_prof_region *region,
			    const char *name);
int vaccel_prof_region_release(struct vaccel_prof_region *region);
int vaccel_prof_regions_start_by_name(struct vaccel_prof_region *regions,
				      int nregions, const char *name);
int vaccel_prof_regions_stop_by_name(struct vaccel_prof_region *regions,
				     int nregions, const char *name);
int vaccel_prof_regions_init(struct vaccel_prof_region *regions, int nregions);
int vaccel_prof_regions_release(struct vaccel_prof_region *regions,
				int nregions);
int vaccel_prof_regions_print_all(struct vaccel_prof_region *regions,
				  int nregions);
int vaccel_prof_regions_print_all_to_buf(char **tbuf, size_t tbuf_len,
					 struct vaccel_prof_region *regions,
					 int size);

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_PROF_H */
