// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_UTILS_PATH_H
#define VACCEL_UTILS_PATH_H

#include "enum.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Path types */
#define VACCEL_PATH_TYPE_ENUM_LIST(ITEM, prefix) \
	ITEM(LOCAL_FILE, 0, prefix)              \
	ITEM(LOCAL_DIR, 1, prefix)               \
	ITEM(REMOTE_FILE, 2, prefix)

VACCEL_ENUM_DEF_WITH_STR_FUNCS(vaccel_path_type, VACCEL_PATH,
			       VACCEL_PATH_TYPE_ENUM_LIST)

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_UTILS_PATH_H */
