/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small helpers shared by the vAccel example programs (header-only).
 */
#ifndef VACCEL_EXAMPLES_COMMON_H
#define VACCEL_EXAMPLES_COMMON_H

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * Parse a strictly positive iteration count. Returns 0 on success, -1 if
 * `str` is not a decimal integer in [1, INT_MAX].
 */
static inline int parse_iterations(const char *str, int *iterations)
{
	char *end = NULL;
	long val;

	errno = 0;
	val = strtol(str, &end, 10);
	if (errno != 0 || end == str || *end != '\0' || val < 1 ||
	    val > INT_MAX)
		return -1;

	*iterations = (int)val;
	return 0;
}

/* Parse a decimal int (any sign). Returns 0 on success, -1 otherwise. */
static inline int parse_int(const char *str, int *value)
{
	char *end = NULL;
	long val;

	errno = 0;
	val = strtol(str, &end, 10);
	if (errno != 0 || end == str || *end != '\0' || val < INT_MIN ||
	    val > INT_MAX)
		return -1;

	*value = (int)val;
	return 0;
}

/*
 * Cleanup helper: report a failed cleanup step on stderr and keep the first
 * error code in `*ret` (the example's exit status).
 */
static inline void keep_first_error(int *ret, int ret2, const char *msg)
{
	if (ret2 == 0)
		return;
	fprintf(stderr, "%s\n", msg);
	if (*ret == 0)
		*ret = ret2;
}

#endif /* VACCEL_EXAMPLES_COMMON_H */
