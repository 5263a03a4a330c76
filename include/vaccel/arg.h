// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_ARG_H
#define VACCEL_ARG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "utils/enum.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Argument types */
#define VACCEL_ARG_TYPE_ENUM_LIST(ITEM, prefix) \
	ITEM(RAW, 0, prefix)                    \
	ITEM(INT8, 1, prefix)                   \
	ITEM(INT8_ARRAY, 2, prefix)             \
	ITEM(INT16, 3, prefix)                  \
	ITEM(INT16_ARRAY, 4, prefix)            \
	ITEM(INT32, 5, prefix)                  \
	ITEM(INT32_ARRAY, 6, prefix)            \
	ITEM(INT64, 7, prefix)                  \
	ITEM(INT64_ARRAY, 8, prefix)            \
	ITEM(UINT8, 9, prefix)                  \
	ITEM(UINT8_ARRAY, 10, prefix)           \
	ITEM(UINT16, 11, prefix)                \
	ITEM(UINT16_ARRAY, 12, prefix)          \
	ITEM(UINT32, 13, prefix)                \
	ITEM(UINT32_ARRAY, 14, prefix)          \
	ITEM(UINT64, 15, prefix)                \
	ITEM(UINT64_ARRAY, 16, prefix)          \
	ITEM(FLOAT32, 17, prefix)               \
	ITEM(FLOAT32_ARRAY, 18, prefix)         \
	ITEM(FLOAT64, 19, prefix)               \
	ITEM(FLOAT64_ARRAY, 20, prefix)         \
	ITEM(BOOL, 21, prefix)                  \
	ITEM(BOOL_ARRAY, 22, prefix)            \
	ITEM(CHAR, 23, prefix)                  \
	ITEM(CHAR_ARRAY, 24, prefix)            \
	ITEM(UCHAR, 25, prefix)                 \
	ITEM(UCHAR_ARRAY, 26, prefix)           \
	ITEM(STRING, 27, prefix)                \
	ITEM(BUFFER, 28, prefix)                \
	ITEM(CUSTOM, 29, prefix)

VACCEL_ENUM_DEF_WITH_STR_FUNCS(vaccel_arg_type, VACCEL_ARG,
			       VACCEL_ARG_TYPE_ENUM_LIST)

/* Operation argument */
struct vaccel_arg {
	/* Data */
	void *buf;

	/* Size of the data in bytes */
	size_t size;

	/* Data type */
	vaccel_arg_type_t type;

	/* User type id (for VACCEL_ARG_CUSTOM) */
	uint32_t custom_type_id;

	/* `buf` is owned (allocated by the library and freed on release) */
	bool owned;
};

/* Array of arguments with a read/write cursor */
struct vaccel_arg_array {
	/* Argument storage */
	struct vaccel_arg *args;

	/* Number of arguments */
	size_t count;

	/* Number of allocated argument slots */
	size_t capacity;

	/* Read/write cursor of the get/set accessors */
	size_t position;

	/* `args` is owned (allocated by the library, growable) */
	bool owned;
};

/* Deprecated argument list */
struct vaccel_arg_list {
	uint32_t size;
	struct vaccel_arg *list;
	int curr_idx;
	int *idcs_allocated_space;
};

/* Validates the data of a custom argument */
typedef bool (*vaccel_arg_type_validator_fn)(const void *buf, size_t size,
					     uint32_t custom_id);

/* Serializes `data` into a newly allocated `buf` */
typedef int (*vaccel_arg_serializer_fn)(const void *data, size_t data_size,
					uint32_t custom_id, void **buf,
					size_t *size);

/* Deserializes `buf` into `data` */
typedef int (*vaccel_arg_deserializer_fn)(const void *buf, size_t size,
					  uint32_t custom_id, size_t data_size,
					  void *data);

/* Single arguments */
int vaccel_arg_init(struct vaccel_arg *arg, const void *buf, size_t size,
		    vaccel_arg_type_t type, uint32_t custom_id);
int vaccel_arg_init_from_buf(struct vaccel_arg *arg, void *buf, size_t size,
			     vaccel_arg_type_t type, uint32_t custom_id);
int vaccel_arg_release(struct vaccel_arg *arg);
int vaccel_arg_new(struct vaccel_arg **arg, const void *buf, size_t size,
		   vaccel_arg_type_t type, uint32_t custom_id);
int vaccel_arg_from_buf(struct vaccel_arg **arg, void *buf, size_t size,
			vaccel_arg_type_t type, uint32_t custom_id);
int vaccel_arg_delete(struct vaccel_arg *arg);

/* Argument arrays */
int vaccel_arg_array_init(struct vaccel_arg_array *array,
			  size_t initial_capacity);
int vaccel_arg_array_release(struct vaccel_arg_array *array);
int vaccel_arg_array_new(struct vaccel_arg_array **array,
			 size_t initial_capacity);
int vaccel_arg_array_delete(struct vaccel_arg_array *array);
int vaccel_arg_array_wrap(struct vaccel_arg_array *array,
			  struct vaccel_arg *args, size_t count);
void vaccel_arg_array_clear(struct vaccel_arg_array *array);

/*
 * Typed accessors: X(name, C type, scalar arg type, array arg type) for every
 * numeric/scalar type supported by the typed accessors
 */
#define VACCEL_ARG_NUMERIC_TYPES(X)                                         \
	X(int8, int8_t, VACCEL_ARG_INT8, VACCEL_ARG_INT8_ARRAY)             \
	X(int16, int16_t, VACCEL_ARG_INT16, VACCEL_ARG_INT16_ARRAY)         \
	X(int32, int32_t, VACCEL_ARG_INT32, VACCEL_ARG_INT32_ARRAY)         \
	X(int64, int64_t, VACCEL_ARG_INT64, VACCEL_ARG_INT64_ARRAY)         \
	X(uint8, uint8_t, VACCEL_ARG_UINT8, VACCEL_ARG_UINT8_ARRAY)         \
	X(uint16, uint16_t, VACCEL_ARG_UINT16, VACCEL_ARG_UINT16_ARRAY)     \
	X(uint32, uint32_t, VACCEL_ARG_UINT32, VACCEL_ARG_UINT32_ARRAY)     \
	X(uint64, uint64_t, VACCEL_ARG_UINT64, VACCEL_ARG_UINT64_ARRAY)     \
	X(float, float, VACCEL_ARG_FLOAT32, VACCEL_ARG_FLOAT32_ARRAY)       \
	X(double, double, VACCEL_ARG_FLOAT64, VACCEL_ARG_FLOAT64_ARRAY)     \
	X(bool, bool, VACCEL_ARG_BOOL, VACCEL_ARG_BOOL_ARRAY)               \
	X(char, char, VACCEL_ARG_CHAR, VACCEL_ARG_CHAR_ARRAY)               \
	X(uchar, unsigned char, VACCEL_ARG_UCHAR, VACCEL_ARG_UCHAR_ARRAY)

#define VACCEL_ARG_ARRAY_TYPED_ACCESSORS_DECL(name, type, arg_type,          \
					       array_arg_type)               \
	int vaccel_arg_array_add_##name(struct vaccel_arg_array *array,     \
					type *value);                       \
	int vaccel_arg_array_add_##name##_array(                            \
		struct vaccel_arg_array *array, type *values, size_t count); \
	int vaccel_arg_array_get_##name(struct vaccel_arg_array *array,     \
					type *value);                       \
	int vaccel_arg_array_get_##name##_array(                            \
		struct vaccel_arg_array *array, type **values,              \
		size_t *count);                                             \
	int vaccel_arg_array_set_##name(struct vaccel_arg_array *array,     \
					type *value);                       \
	int vaccel_arg_array_set_##name##_array(                            \
		struct vaccel_arg_array *array, type *values, size_t count);

VACCEL_ARG_NUMERIC_TYPES(VACCEL_ARG_ARRAY_TYPED_ACCESSORS_DECL)

#undef VACCEL_ARG_ARRAY_TYPED_ACCESSORS_DECL

/* Other accessors */
int vaccel_arg_array_add_raw(struct vaccel_arg_array *array, void *buf,
			     size_t size);
int vaccel_arg_array_add_string(struct vaccel_arg_array *array, char *str);
int vaccel_arg_array_add_buffer(struct vaccel_arg_array *array, void *buf,
				size_t size);
int vaccel_arg_array_add_custom(struct vaccel_arg_array *array,
				uint32_t custom_id, void *buf, size_t size,
				vaccel_arg_type_validator_fn validator);
int vaccel_arg_array_add_serialized(struct vaccel_arg_array *array,
				    vaccel_arg_type_t type, uint32_t custom_id,
				    const void *data, size_t data_size,
				    vaccel_arg_serializer_fn serializer);
int vaccel_arg_array_add_range(struct vaccel_arg_array *dest,
			       const struct vaccel_arg_array *src,
			       size_t start_idx, size_t count, bool copy);
int vaccel_arg_array_add_remaining(struct vaccel_arg_array *dest,
				   const struct vaccel_arg_array *src,
				   bool copy);
int vaccel_arg_array_add_all(struct vaccel_arg_array *dest,
			     const struct vaccel_arg_array *src, bool copy);
int vaccel_arg_array_get_raw(struct vaccel_arg_array *array, void **buf,
			     size_t *size);
int vaccel_arg_array_get_string(struct vaccel_arg_array *array, char **str);
int vaccel_arg_array_get_buffer(struct vaccel_arg_array *array, void **buf,
				size_t *size);
int vaccel_arg_array_get_custom(struct vaccel_arg_array *array,
				uint32_t expected_id, void **buf, size_t *size,
				vaccel_arg_type_validator_fn validator);
int vaccel_arg_array_get_serialized(struct vaccel_arg_array *array,
				    vaccel_arg_type_t expected_type,
				    uint32_t expected_custom_id, void *data,
				    size_t expected_size,
				    vaccel_arg_deserializer_fn deserializer);
int vaccel_arg_array_set_raw(struct vaccel_arg_array *array, void *buf,
			     size_t size);
int vaccel_arg_array_set_string(struct vaccel_arg_array *array, char *str);
int vaccel_arg_array_set_buffer(struct vaccel_arg_array *array, void *buf,
				size_t size);
int vaccel_arg_array_set_custom(struct vaccel_arg_array *array,
				uint32_t expected_id, void *buf, size_t size,
				vaccel_arg_type_validator_fn validator);
int vaccel_arg_array_set_serialized(struct vaccel_arg_array *array,
				    vaccel_arg_type_t expected_type,
				    uint32_t expected_custom_id, void *data,
				    size_t data_size,
				    vaccel_arg_serializer_fn serializer);
int vaccel_arg_array_get_remaining(struct vaccel_arg_array *array,
				   struct vaccel_arg **args, size_t *count);
size_t vaccel_arg_array_remaining_count(const struct vaccel_arg_array *array);
size_t vaccel_arg_array_position(const struct vaccel_arg_array *array);
void vaccel_arg_array_set_position(struct vaccel_arg_array *array,
				   size_t position);
void vaccel_arg_array_reset_position(struct vaccel_arg_array *array);
size_t vaccel_arg_array_count(const struct vaccel_arg_array *array);
struct vaccel_arg *vaccel_arg_array_raw(struct vaccel_arg_array *array);

/* Deprecated argument list API */
__attribute__((deprecated("will be removed in a future release")))
struct vaccel_arg_list *vaccel_args_init(uint32_t size);
__attribute__((deprecated("will be removed in a future release")))
int vaccel_add_serial_arg(struct vaccel_arg_list *args, void *buf,
			  uint32_t size);
__attribute__((deprecated("will be removed in a future release")))
int vaccel_add_nonserial_arg(struct vaccel_arg_list *args, void *buf,
			     uint32_t type,
			     void *(*serializer)(void *, uint32_t *));
__attribute__((deprecated("will be removed in a future release")))
int vaccel_expect_serial_arg(struct vaccel_arg_list *args, void *buf,
			     uint32_t size);
__attribute__((deprecated("will be removed in a future release")))
int vaccel_expect_nonserial_arg(struct vaccel_arg_list *args,
				uint32_t expected_size);
__attribute__((deprecated("will be removed in a future release")))
void *vaccel_extract_serial_arg(struct vaccel_arg *args, int idx);
__attribute__((deprecated("will be removed in a future release")))
void *vaccel_extract_nonserial_arg(struct vaccel_arg *args, int idx,
				   void *(*deserializer)(void *, uint32_t));
__attribute__((deprecated("will be removed in a future release")))
int vaccel_write_serial_arg(struct vaccel_arg *args, int idx, void *buf);
__attribute__((deprecated("will be removed in a future release")))
int vaccel_write_nonserial_arg(struct vaccel_arg *args, int idx, void *buf,
			       void *(*serializer)(void *, uint32_t *));
__attribute__((deprecated("will be removed in a future release")))
int vaccel_delete_args(struct vaccel_arg_list *args);

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_ARG_H */
