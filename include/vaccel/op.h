// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_OP_H
#define VACCEL_OP_H

#include <stddef.h>
#include "utils/enum.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Operation types; the values are also used on the wire */
#define VACCEL_OP_TYPE_ENUM_LIST(ITEM, prefix) \
	ITEM(NOOP, 0, prefix)                  \
	ITEM(EXEC, 1, prefix)                  \
	ITEM(EXEC_WITH_RESOURCE, 2, prefix)    \
	ITEM(IMAGE_CLASSIFY, 3, prefix)        \
	ITEM(IMAGE_DETECT, 4, prefix)          \
	ITEM(IMAGE_SEGMENT, 5, prefix)         \
	ITEM(IMAGE_POSE, 6, prefix)            \
	ITEM(IMAGE_DEPTH, 7, prefix)           \
	ITEM(TF_MODEL_LOAD, 8, prefix)         \
	ITEM(TF_MODEL_UNLOAD, 9, prefix)       \
	ITEM(TF_MODEL_RUN, 10, prefix)         \
	ITEM(TFLITE_MODEL_LOAD, 11, prefix)    \
	ITEM(TFLITE_MODEL_UNLOAD, 12, prefix)  \
	ITEM(TFLITE_MODEL_RUN, 13, prefix)     \
	ITEM(TORCH_MODEL_LOAD, 14, prefix)     \
	ITEM(TORCH_MODEL_RUN, 15, prefix)      \
	ITEM(TORCH_SGEMM, 16, prefix)          \
	ITEM(BLAS_SGEMM, 17, prefix)           \
	ITEM(FPGA_ARRAYCOPY, 18, prefix)       \
	ITEM(FPGA_MMULT, 19, prefix)           \
	ITEM(FPGA_PARALLEL, 20, prefix)        \
	ITEM(FPGA_VECTORADD, 21, prefix)       \
	ITEM(MINMAX, 22, prefix)               \
	ITEM(OPENCV, 23, prefix)

VACCEL_ENUM_DEF_WITH_STR_FUNCS(vaccel_op_type, VACCEL_OP,
			       VACCEL_OP_TYPE_ENUM_LIST)

/* Lower-case name of an operation type (same as vaccel_op_type_name()) */
static inline char *vaccel_op_type_to_lower(vaccel_op_type_t type, char *lower,
					    size_t size)
{
	return vaccel_op_type_name(type, lower, size);
}

struct vaccel_plugin;

/* An operation implemented by a plugin */
struct vaccel_op {
	/* Operation type */
	vaccel_op_type_t type;

	/* The plugin's implementation */
	void *func;

	/* The plugin implementing the operation */
	struct vaccel_plugin *owner;
};

/* The plugin defined in the current plugin binary (by VACCEL_PLUGIN()) */
extern __attribute__((visibility("hidden"))) struct vaccel_plugin
	vaccel_this_plugin;

/* Brace initialiser of a `struct vaccel_op` owned by the current plugin;
 * `name` is ignored */
#define VACCEL_OP_INIT(name, op_type, op_func)                     \
	{                                                          \
		.type = (op_type),                                 \
		.func = __extension__(void *)(op_func),            \
		.owner = &vaccel_this_plugin,                      \
	}

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_OP_H */
