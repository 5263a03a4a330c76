// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_ID_H
#define VACCEL_ID_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Object identifier: a valid id is > 0; <= 0 means uninitialised/released */
typedef int64_t vaccel_id_t;

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_ID_H */
