// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_UTILS_STR_H
#define VACCEL_UTILS_STR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Convert `str` to lower case.
 * With `alloc_lower` non-NULL a malloc'd copy is returned in `*alloc_lower`;
 * otherwise the result is written into `lower` (truncated to `size - 1`).
 * Returns VACCEL_OK or VACCEL_EINVAL. */
int vaccel_str_to_lower(const char *str, char *lower, size_t size,
			char **alloc_lower);

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_UTILS_STR_H */
