// SPDX-License-Identifier: Apache-2.0

/* Internal file-system helper exported by libvaccel; used by the examples */

#ifndef VACCEL_UTILS_FS_H
#define VACCEL_UTILS_FS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Read the whole file at `path` into a malloc'd buffer returned in `*data`
 * (the caller frees it with free()) and its size in `*size`.
 * Returns VACCEL_OK or a vAccel error code. */
int fs_file_read(const char *path, void **data, size_t *size);

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_UTILS_FS_H */
