// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_UTILS_ENUM_H
#define VACCEL_UTILS_ENUM_H

#include <stddef.h>
#include "str.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Maximum length of an enum string representation */
enum { VACCEL_ENUM_STR_MAX = 128 };

/*
 * Enum definition helpers.
 *
 * An enum list is a function-like macro taking an item macro and a prefix,
 * and applying the item macro to each `(ITEM, value, prefix)` triple, e.g.:
 *
 *   #define MY_ENUM_LIST(ITEM, prefix) \
 *           ITEM(FOO, 0, prefix)       \
 *           ITEM(BAR, 1, prefix)
 *   VACCEL_ENUM_DEF_WITH_STR_FUNCS(my_enum, MY_ENUM, MY_ENUM_LIST)
 *
 * defines `typedef enum my_enum { MY_ENUM_FOO = 0, MY_ENUM_BAR = 1,
 * MY_ENUM_MAX } my_enum_t;` plus the static inline helpers
 *   const char *my_enum_to_str(my_enum_t)       -> "MY_ENUM_FOO"
 *   const char *my_enum_to_base_str(my_enum_t)  -> "FOO"
 *   char *my_enum_name(my_enum_t, char *lower, size_t size) -> "foo"
 * Unknown values map to "MY_ENUM_MAX" / "MAX" / "max".
 */
#define VACCEL_ENUM_ITEM_DEF(item, val, prefix) prefix##_##item = (val),
#define VACCEL_ENUM_ITEM_TO_STR(item, val, prefix) \
	case prefix##_##item:                      \
		return #prefix "_" #item;
#define VACCEL_ENUM_ITEM_TO_BASE_STR(item, val, prefix) \
	case prefix##_##item:                           \
		return #item;

/* typedef enum <name> { <PREFIX>_<ITEM> = <val>, ..., <PREFIX>_MAX } <name>_t; */
#define VACCEL_ENUM_DEF(name, prefix, list)                    \
	typedef enum name {                                    \
		list(VACCEL_ENUM_ITEM_DEF, prefix) prefix##_MAX \
	} name##_t;

/* static inline string helpers of an enum defined with VACCEL_ENUM_DEF() */
#define VACCEL_ENUM_STR_FUNCS(name, prefix, list)                              \
	static inline const char *name##_to_str(name##_t val)                  \
	{                                                                      \
		switch (val) {                                                 \
			list(VACCEL_ENUM_ITEM_TO_STR, prefix)                  \
		default:                                                       \
			return #prefix "_MAX";                                 \
		}                                                              \
	}                                                                      \
	static inline const char *name##_to_base_str(name##_t val)             \
	{                                                                      \
		switch (val) {                                                 \
			list(VACCEL_ENUM_ITEM_TO_BASE_STR, prefix)             \
		default:                                                       \
			return "MAX";                                          \
		}                                                              \
	}                                                                      \
	static inline char *name##_name(name##_t val, char *lower, size_t size) \
	{                                                                      \
		if (lower == NULL || size == 0)                                \
			return NULL;                                           \
		if (vaccel_str_to_lower(name##_to_base_str(val), lower, size,  \
					NULL) != 0)                            \
			return NULL;                                           \
		return lower;                                                  \
	}

#define VACCEL_ENUM_DEF_WITH_STR_FUNCS(name, prefix, list) \
	VACCEL_ENUM_DEF(name, prefix, list)                \
	VACCEL_ENUM_STR_FUNCS(name, prefix, list)

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_UTILS_ENUM_H */
