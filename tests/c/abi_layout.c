// SPDX-License-Identifier: Apache-2.0

/*
 * ABI/API conformance test of the public vAccel 0.8 C headers (x86_64).
 *
 * Checks struct sizes, alignments, field offsets, field sizes and field
 * types, enum values, macros and the static inline helpers of the headers
 * against spec/data/abi-x86_64.txt and spec/vaccel-api.md (sections 2-4,
 * 7.4, 14.1).
 *
 * Build: gcc -std=c11 -Wall -Wextra -Werror -Iinclude tests/c/abi_layout.c
 *        [-DABI_TEST_STANDALONE | -lvaccel]
 * The enum helpers call vaccel_str_to_lower(), exported by libvaccel; with
 * -DABI_TEST_STANDALONE the test provides its own implementation so that it
 * links without the library.
 */

#include <vaccel.h>
#include "utils/fs.h"

#include <ctype.h>
#include <linux/limits.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !defined(__x86_64__)
#error "abi_layout.c checks the x86_64 ABI"
#endif

#ifdef ABI_TEST_STANDALONE
/* Reference implementation of vaccel_str_to_lower() (spec section 3.1) */
int vaccel_str_to_lower(const char *str, char *lower, size_t size,
			char **alloc_lower)
{
	size_t len;
	size_t n;
	size_t i;
	char *out;

	if (str == NULL)
		return VACCEL_EINVAL;

	len = strlen(str);
	if (alloc_lower != NULL) {
		out = malloc(len + 1);
		if (out == NULL)
			return VACCEL_EINVAL;
		n = len;
	} else {
		if (lower == NULL || size == 0)
			return VACCEL_EINVAL;
		out = lower;
		n = len < size - 1 ? len : size - 1;
	}

	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)str[i]);
	out[n] = '\0';

	if (alloc_lower != NULL)
		*alloc_lower = out;

	return VACCEL_OK;
}
#endif

static int passed;
static int failed;

static void check_int(int line, const char *what, long long got,
		      long long expected)
{
	if (got == expected) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL (line %d): %s: got %lld, expected %lld\n", line, what,
	       got, expected);
}

static void check_str(int line, const char *what, const char *got,
		      const char *expected)
{
	if (got != NULL && expected != NULL && strcmp(got, expected) == 0) {
		passed++;
		return;
	}
	if (got == NULL && expected == NULL) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL (line %d): %s: got \"%s\", expected \"%s\"\n", line, what,
	       got ? got : "(null)", expected ? expected : "(null)");
}

static void check_true(int line, const char *what, bool cond)
{
	if (cond) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL (line %d): %s\n", line, what);
}

#define CHECK_INT(what, got, expected) \
	check_int(__LINE__, (what), (long long)(got), (long long)(expected))
#define CHECK_STR(what, got, expected) \
	check_str(__LINE__, (what), (got), (expected))
#define CHECK_TRUE(what, cond) check_true(__LINE__, (what), (cond))

/* Struct layout checks */
#define SIZE(T, size, align)                                      \
	do {                                                      \
		CHECK_INT("sizeof(" #T ")", sizeof(T), (size));   \
		CHECK_INT("alignof(" #T ")", alignof(T), (align)); \
	} while (0)

#define FIELD(T, f, off, size)                                             \
	do {                                                               \
		CHECK_INT("offsetof(" #T ", " #f ")", offsetof(T, f), (off)); \
		CHECK_INT("sizeof(" #T "." #f ")", sizeof(((T *)0)->f),      \
			  (size));                                         \
	} while (0)

/* Field type check: `ty` must be the exact type of the field */
#define FTYPE(T, f, ty)                                           \
	CHECK_TRUE("type of " #T "." #f " is " #ty,               \
		   _Generic(&((T *)0)->f, ty *: true, default: false))

/* Enum value checks */
#define VAL(c, v) CHECK_INT(#c, (c), (v))

#define ENUM_STR_CHECKS(fn, prefix, c, lower)                                 \
	do {                                                                  \
		char buf_[VACCEL_ENUM_STR_MAX];                               \
		memset(buf_, 'x', sizeof(buf_));                              \
		CHECK_STR(#fn "_to_str(" #c ")", fn##_to_str(c), #c);         \
		CHECK_STR(#fn "_to_base_str(" #c ")", fn##_to_base_str(c),    \
			  #c + sizeof(prefix) - 1);                           \
		CHECK_TRUE(#fn "_name(" #c ") returns its buffer",            \
			   fn##_name(c, buf_, sizeof(buf_)) == buf_);         \
		CHECK_STR(#fn "_name(" #c ")", buf_, (lower));                \
	} while (0)

/* op types: constant, value, base name, lower name */
#define OP(c, v, base, lower)                                                 \
	do {                                                                  \
		char lbuf_[VACCEL_ENUM_STR_MAX];                              \
		VAL(c, v);                                                    \
		CHECK_STR("vaccel_op_type_to_base_str(" #c ")",               \
			  vaccel_op_type_to_base_str(c), (base));             \
		ENUM_STR_CHECKS(vaccel_op_type, "VACCEL_OP_", c, lower);      \
		CHECK_TRUE("vaccel_op_type_to_lower(" #c ") returns buffer",  \
			   vaccel_op_type_to_lower(c, lbuf_, sizeof(lbuf_)) == \
				   lbuf_);                                    \
		CHECK_STR("vaccel_op_type_to_lower(" #c ")", lbuf_, (lower)); \
	} while (0)

/* arg types: constant, value, lower name */
#define ARGT(c, v, lower)                                                \
	do {                                                             \
		VAL(c, v);                                               \
		ENUM_STR_CHECKS(vaccel_arg_type, "VACCEL_ARG_", c, lower); \
	} while (0)

static void lower_of(const char *s, char *out, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

#define ENUM_CHECK(fn, prefix, c, v)                             \
	do {                                                     \
		char low_[VACCEL_ENUM_STR_MAX];                  \
		VAL(c, v);                                       \
		lower_of(#c + sizeof(prefix) - 1, low_, sizeof(low_)); \
		ENUM_STR_CHECKS(fn, prefix, c, low_);            \
	} while (0)

#define RES(c, v) ENUM_CHECK(vaccel_resource_type, "VACCEL_RESOURCE_", c, v)
#define BLOB(c, v) ENUM_CHECK(vaccel_blob_type, "VACCEL_BLOB_", c, v)
#define PATH(c, v) ENUM_CHECK(vaccel_path_type, "VACCEL_PATH_", c, v)
#define LOGL(c, v) ENUM_CHECK(vaccel_log_level, "VACCEL_LOG_", c, v)
#define PLUG(c, v) ENUM_CHECK(vaccel_plugin_type, "VACCEL_PLUGIN_", c, v)

/* Capture slog_print() calls made by the logging macros */
static struct {
	int calls;
	int flag;
	int newline;
	char msg[1024];
} rec;

__attribute__((format(printf, 3, 4))) static void
record_print(SLOG_FLAGS_E flag, uint8_t newline, const char *fmt, ...)
{
	va_list ap;

	rec.calls++;
	rec.flag = (int)flag;
	rec.newline = newline;
	va_start(ap, fmt);
	vsnprintf(rec.msg, sizeof(rec.msg), fmt, ap);
	va_end(ap);
}

/* After the headers: route the macros' slog_print() calls to the recorder */
#define slog_print(flag, newline, ...) record_print((flag), (newline), __VA_ARGS__)

#define LOG_CHECK(call, eflag, expected)                                   \
	do {                                                               \
		int calls_ = rec.calls;                                    \
		call;                                                      \
		CHECK_INT(#call " calls slog_print once", rec.calls,       \
			  calls_ + 1);                                     \
		CHECK_INT(#call " flag", rec.flag, (eflag));               \
		CHECK_INT(#call " newline", rec.newline, 1);               \
		CHECK_STR(#call " message", rec.msg, (expected));          \
	} while (0)

typedef int (*init_fn_t)(void);
typedef int (*sess_flags_fn_t)(struct vaccel_session *, uint32_t);
typedef int (*sess_fn_t)(struct vaccel_session *);
typedef int (*res_sess_fn_t)(struct vaccel_resource *, struct vaccel_session *);
typedef char rundir_t[PATH_MAX];
typedef vaccel_list_t resources_lists_t[3];
typedef size_t resource_counts_t[3];
typedef struct vaccel_op *plugin_ops_t[24];

/* Expected VACCEL_ARG_NUMERIC_TYPES() rows */
struct numeric_row {
	const char *name;
	size_t size;
	int scalar;
	int array;
};

static void test_structs(void)
{
	/* Sizes, alignments, offsets and field sizes from abi-x86_64.txt */
	SIZE(struct vaccel_config, 32, 8);
	FIELD(struct vaccel_config, plugins, 0, 8);
	FIELD(struct vaccel_config, log_level, 8, 4);
	FIELD(struct vaccel_config, log_file, 16, 8);
	FIELD(struct vaccel_config, profiling_enabled, 24, 1);
	FIELD(struct vaccel_config, version_ignore, 25, 1);
	SIZE(struct vaccel_arg, 32, 8);
	FIELD(struct vaccel_arg, buf, 0, 8);
	FIELD(struct vaccel_arg, size, 8, 8);
	FIELD(struct vaccel_arg, type, 16, 4);
	FIELD(struct vaccel_arg, custom_type_id, 20, 4);
	FIELD(struct vaccel_arg, owned, 24, 1);
	SIZE(struct vaccel_arg_array, 40, 8);
	FIELD(struct vaccel_arg_array, args, 0, 8);
	FIELD(struct vaccel_arg_array, count, 8, 8);
	FIELD(struct vaccel_arg_array, capacity, 16, 8);
	FIELD(struct vaccel_arg_array, position, 24, 8);
	FIELD(struct vaccel_arg_array, owned, 32, 1);
	SIZE(struct vaccel_arg_list, 32, 8);
	SIZE(struct vaccel_blob, 56, 8);
	FIELD(struct vaccel_blob, type, 0, 4);
	FIELD(struct vaccel_blob, name, 8, 8);
	FIELD(struct vaccel_blob, path, 16, 8);
	FIELD(struct vaccel_blob, path_owned, 24, 1);
	FIELD(struct vaccel_blob, data, 32, 8);
	FIELD(struct vaccel_blob, data_owned, 40, 1);
	FIELD(struct vaccel_blob, size, 48, 8);
	SIZE(struct vaccel_list_entry, 16, 8);
	SIZE(pthread_mutex_t, 40, 8);
	SIZE(struct vaccel_resource, 152, 8);
	FIELD(struct vaccel_resource, id, 0, 8);
	FIELD(struct vaccel_resource, remote_id, 8, 8);
	FIELD(struct vaccel_resource, type, 16, 4);
	FIELD(struct vaccel_resource, path_type, 20, 4);
	FIELD(struct vaccel_resource, paths, 24, 8);
	FIELD(struct vaccel_resource, nr_paths, 32, 8);
	FIELD(struct vaccel_resource, rundir, 40, 8);
	FIELD(struct vaccel_resource, blobs, 48, 8);
	FIELD(struct vaccel_resource, nr_blobs, 56, 8);
	FIELD(struct vaccel_resource, entry, 64, 16);
	FIELD(struct vaccel_resource, sessions, 80, 16);
	FIELD(struct vaccel_resource, sessions_lock, 96, 40);
	FIELD(struct vaccel_resource, refcount, 136, 4);
	FIELD(struct vaccel_resource, plugin_priv, 144, 8);
	SIZE(struct vaccel_session, 4264, 8);
	FIELD(struct vaccel_session, id, 0, 8);
	FIELD(struct vaccel_session, remote_id, 8, 8);
	FIELD(struct vaccel_session, hint, 16, 4);
	FIELD(struct vaccel_session, is_virtio, 20, 1);
	FIELD(struct vaccel_session, rundir, 21, 4096);
	FIELD(struct vaccel_session, entry, 4120, 16);
	FIELD(struct vaccel_session, resources, 4136, 48);
	FIELD(struct vaccel_session, resource_counts, 4184, 24);
	FIELD(struct vaccel_session, resources_lock, 4208, 40);
	FIELD(struct vaccel_session, plugin, 4248, 8);
	FIELD(struct vaccel_session, priv, 4256, 8);
	SIZE(struct vaccel_op, 24, 8);
	FIELD(struct vaccel_op, type, 0, 4);
	FIELD(struct vaccel_op, func, 8, 8);
	FIELD(struct vaccel_op, owner, 16, 8);
	SIZE(struct vaccel_plugin_info, 96, 8);
	FIELD(struct vaccel_plugin_info, name, 0, 8);
	FIELD(struct vaccel_plugin_info, version, 8, 8);
	FIELD(struct vaccel_plugin_info, vaccel_version, 16, 8);
	FIELD(struct vaccel_plugin_info, init, 24, 8);
	FIELD(struct vaccel_plugin_info, fini, 32, 8);
	FIELD(struct vaccel_plugin_info, is_virtio, 40, 1);
	FIELD(struct vaccel_plugin_info, type, 44, 4);
	FIELD(struct vaccel_plugin_info, session_init, 48, 8);
	FIELD(struct vaccel_plugin_info, session_release, 56, 8);
	FIELD(struct vaccel_plugin_info, session_update, 64, 8);
	FIELD(struct vaccel_plugin_info, resource_register, 72, 8);
	FIELD(struct vaccel_plugin_info, resource_unregister, 80, 8);
	FIELD(struct vaccel_plugin_info, resource_sync, 88, 8);
	SIZE(struct vaccel_plugin, 224, 8);
	FIELD(struct vaccel_plugin, dl_handle, 0, 8);
	FIELD(struct vaccel_plugin, entry, 8, 16);
	FIELD(struct vaccel_plugin, ops, 24, 192);
	FIELD(struct vaccel_plugin, info, 216, 8);
	SIZE(struct vaccel_prof_sample, 16, 8);
	SIZE(struct vaccel_prof_region, 40, 8);
	FIELD(struct vaccel_prof_region, name, 0, 8);
	FIELD(struct vaccel_prof_region, name_owned, 8, 1);
	FIELD(struct vaccel_prof_region, nr_entries, 16, 8);
	FIELD(struct vaccel_prof_region, samples, 24, 8);
	FIELD(struct vaccel_prof_region, size, 32, 8);
	SIZE(struct vaccel_tf_buffer, 16, 8);
	SIZE(struct vaccel_tf_node, 16, 8);
	SIZE(struct vaccel_tf_tensor, 40, 8);
	FIELD(struct vaccel_tf_tensor, data, 0, 8);
	FIELD(struct vaccel_tf_tensor, size, 8, 8);
	FIELD(struct vaccel_tf_tensor, owned, 16, 1);
	FIELD(struct vaccel_tf_tensor, nr_dims, 20, 4);
	FIELD(struct vaccel_tf_tensor, dims, 24, 8);
	FIELD(struct vaccel_tf_tensor, data_type, 32, 4);
	SIZE(struct vaccel_tf_status, 16, 8);
	FIELD(struct vaccel_tf_status, code, 0, 1);
	FIELD(struct vaccel_tf_status, message, 8, 8);
	SIZE(struct vaccel_tflite_tensor, 40, 8);
	FIELD(struct vaccel_tflite_tensor, nr_dims, 20, 4);
	FIELD(struct vaccel_tflite_tensor, dims, 24, 8);
	FIELD(struct vaccel_tflite_tensor, data_type, 32, 4);
	SIZE(struct vaccel_torch_buffer, 16, 8);
	SIZE(struct vaccel_torch_tensor, 48, 8);
	FIELD(struct vaccel_torch_tensor, nr_dims, 24, 8);
	FIELD(struct vaccel_torch_tensor, dims, 32, 8);
	FIELD(struct vaccel_torch_tensor, data_type, 40, 4);
	SIZE(vaccel_op_type_t, 4, 4);
	SIZE(vaccel_arg_type_t, 4, 4);
	SIZE(vaccel_plugin_type_t, 4, 4);

	/* Fields listed only in the spec (section 4) */
	FIELD(struct vaccel_list_entry, next, 0, 8);
	FIELD(struct vaccel_list_entry, prev, 8, 8);
	FIELD(struct vaccel_arg_list, size, 0, 4);
	FIELD(struct vaccel_arg_list, list, 8, 8);
	FIELD(struct vaccel_arg_list, curr_idx, 16, 4);
	FIELD(struct vaccel_arg_list, idcs_allocated_space, 24, 8);
	FIELD(struct vaccel_prof_sample, start, 0, 8);
	FIELD(struct vaccel_prof_sample, time, 8, 8);
	FIELD(struct vaccel_tf_buffer, data, 0, 8);
	FIELD(struct vaccel_tf_buffer, size, 8, 8);
	FIELD(struct vaccel_tf_node, name, 0, 8);
	FIELD(struct vaccel_tf_node, id, 8, 4);
	FIELD(struct vaccel_tflite_tensor, data, 0, 8);
	FIELD(struct vaccel_tflite_tensor, size, 8, 8);
	FIELD(struct vaccel_tflite_tensor, owned, 16, 1);
	FIELD(struct vaccel_torch_buffer, data, 0, 8);
	FIELD(struct vaccel_torch_buffer, size, 8, 8);
	FIELD(struct vaccel_torch_tensor, data, 0, 8);
	FIELD(struct vaccel_torch_tensor, size, 8, 8);
	FIELD(struct vaccel_torch_tensor, owned, 16, 1);
	SIZE(vaccel_id_t, 8, 8);
	SIZE(vaccel_log_level_t, 4, 4);
	SIZE(vaccel_resource_type_t, 4, 4);
	SIZE(vaccel_blob_type_t, 4, 4);
	SIZE(vaccel_path_type_t, 4, 4);
	SIZE(enum vaccel_tf_data_type, 4, 4);
	SIZE(enum vaccel_tflite_data_type, 4, 4);
	SIZE(enum vaccel_torch_data_type, 4, 4);
	CHECK_INT("PATH_MAX", PATH_MAX, 4096);

	/* Field types (spec section 4) */
	FTYPE(struct vaccel_list_entry, next, struct vaccel_list_entry *);
	FTYPE(struct vaccel_list_entry, prev, struct vaccel_list_entry *);

	FTYPE(struct vaccel_config, plugins, char *);
	FTYPE(struct vaccel_config, log_level, vaccel_log_level_t);
	FTYPE(struct vaccel_config, log_file, char *);
	FTYPE(struct vaccel_config, profiling_enabled, bool);
	FTYPE(struct vaccel_config, version_ignore, bool);

	FTYPE(struct vaccel_arg, buf, void *);
	FTYPE(struct vaccel_arg, size, size_t);
	FTYPE(struct vaccel_arg, type, vaccel_arg_type_t);
	FTYPE(struct vaccel_arg, custom_type_id, uint32_t);
	FTYPE(struct vaccel_arg, owned, bool);

	FTYPE(struct vaccel_arg_array, args, struct vaccel_arg *);
	FTYPE(struct vaccel_arg_array, count, size_t);
	FTYPE(struct vaccel_arg_array, capacity, size_t);
	FTYPE(struct vaccel_arg_array, position, size_t);
	FTYPE(struct vaccel_arg_array, owned, bool);

	FTYPE(struct vaccel_arg_list, size, uint32_t);
	FTYPE(struct vaccel_arg_list, list, struct vaccel_arg *);
	FTYPE(struct vaccel_arg_list, curr_idx, int);
	FTYPE(struct vaccel_arg_list, idcs_allocated_space, int *);

	FTYPE(struct vaccel_blob, type, vaccel_blob_type_t);
	FTYPE(struct vaccel_blob, name, char *);
	FTYPE(struct vaccel_blob, path, char *);
	FTYPE(struct vaccel_blob, path_owned, bool);
	FTYPE(struct vaccel_blob, data, uint8_t *);
	FTYPE(struct vaccel_blob, data_owned, bool);
	FTYPE(struct vaccel_blob, size, size_t);

	FTYPE(struct vaccel_resource, id, vaccel_id_t);
	FTYPE(struct vaccel_resource, remote_id, vaccel_id_t);
	FTYPE(struct vaccel_resource, type, vaccel_resource_type_t);
	FTYPE(struct vaccel_resource, path_type, vaccel_path_type_t);
	FTYPE(struct vaccel_resource, paths, char **);
	FTYPE(struct vaccel_resource, nr_paths, size_t);
	FTYPE(struct vaccel_resource, rundir, char *);
	FTYPE(struct vaccel_resource, blobs, struct vaccel_blob **);
	FTYPE(struct vaccel_resource, nr_blobs, size_t);
	FTYPE(struct vaccel_resource, entry, struct vaccel_list_entry);
	FTYPE(struct vaccel_resource, sessions, struct vaccel_list_entry);
	FTYPE(struct vaccel_resource, sessions_lock, pthread_mutex_t);
	FTYPE(struct vaccel_resource, refcount, atomic_uint);
	FTYPE(struct vaccel_resource, plugin_priv, void *);

	FTYPE(struct vaccel_session, id, vaccel_id_t);
	FTYPE(struct vaccel_session, remote_id, vaccel_id_t);
	FTYPE(struct vaccel_session, hint, unsigned int);
	FTYPE(struct vaccel_session, is_virtio, bool);
	FTYPE(struct vaccel_session, rundir, rundir_t);
	FTYPE(struct vaccel_session, entry, struct vaccel_list_entry);
	FTYPE(struct vaccel_session, resources, resources_lists_t);
	FTYPE(struct vaccel_session, resource_counts, resource_counts_t);
	FTYPE(struct vaccel_session, resources_lock, pthread_mutex_t);
	FTYPE(struct vaccel_session, plugin, struct vaccel_plugin *);
	FTYPE(struct vaccel_session, priv, void *);

	FTYPE(struct vaccel_op, type, vaccel_op_type_t);
	FTYPE(struct vaccel_op, func, void *);
	FTYPE(struct vaccel_op, owner, struct vaccel_plugin *);

	FTYPE(struct vaccel_plugin_info, name, const char *);
	FTYPE(struct vaccel_plugin_info, version, const char *);
	FTYPE(struct vaccel_plugin_info, vaccel_version, const char *);
	FTYPE(struct vaccel_plugin_info, init, init_fn_t);
	FTYPE(struct vaccel_plugin_info, fini, init_fn_t);
	FTYPE(struct vaccel_plugin_info, is_virtio, bool);
	FTYPE(struct vaccel_plugin_info, type, vaccel_plugin_type_t);
	FTYPE(struct vaccel_plugin_info, session_init, sess_flags_fn_t);
	FTYPE(struct vaccel_plugin_info, session_release, sess_fn_t);
	FTYPE(struct vaccel_plugin_info, session_update, sess_flags_fn_t);
	FTYPE(struct vaccel_plugin_info, resource_register, res_sess_fn_t);
	FTYPE(struct vaccel_plugin_info, resource_unregister, res_sess_fn_t);
	FTYPE(struct vaccel_plugin_info, resource_sync, res_sess_fn_t);

	FTYPE(struct vaccel_plugin, dl_handle, void *);
	FTYPE(struct vaccel_plugin, entry, struct vaccel_list_entry);
	FTYPE(struct vaccel_plugin, ops, plugin_ops_t);
	FTYPE(struct vaccel_plugin, info, struct vaccel_plugin_info *);

	FTYPE(struct vaccel_prof_sample, start, uint64_t);
	FTYPE(struct vaccel_prof_sample, time, uint64_t);
	FTYPE(struct vaccel_prof_region, name, const char *);
	FTYPE(struct vaccel_prof_region, name_owned, bool);
	FTYPE(struct vaccel_prof_region, nr_entries, size_t);
	FTYPE(struct vaccel_prof_region, samples, struct vaccel_prof_sample *);
	FTYPE(struct vaccel_prof_region, size, size_t);

	FTYPE(struct vaccel_tf_buffer, data, void *);
	FTYPE(struct vaccel_tf_buffer, size, size_t);
	FTYPE(struct vaccel_tf_node, name, char *);
	FTYPE(struct vaccel_tf_node, id, int);
	FTYPE(struct vaccel_tf_tensor, data, void *);
	FTYPE(struct vaccel_tf_tensor, size, size_t);
	FTYPE(struct vaccel_tf_tensor, owned, bool);
	FTYPE(struct vaccel_tf_tensor, nr_dims, int);
	FTYPE(struct vaccel_tf_tensor, dims, int64_t *);
	FTYPE(struct vaccel_tf_tensor, data_type, enum vaccel_tf_data_type);
	FTYPE(struct vaccel_tf_status, code, uint8_t);
	FTYPE(struct vaccel_tf_status, message, char *);
	FTYPE(struct vaccel_tflite_tensor, data, void *);
	FTYPE(struct vaccel_tflite_tensor, size, size_t);
	FTYPE(struct vaccel_tflite_tensor, owned, bool);
	FTYPE(struct vaccel_tflite_tensor, nr_dims, int);
	FTYPE(struct vaccel_tflite_tensor, dims, int32_t *);
	FTYPE(struct vaccel_tflite_tensor, data_type,
	      enum vaccel_tflite_data_type);
	FTYPE(struct vaccel_torch_buffer, data, char *);
	FTYPE(struct vaccel_torch_buffer, size, size_t);
	FTYPE(struct vaccel_torch_tensor, data, void *);
	FTYPE(struct vaccel_torch_tensor, size, size_t);
	FTYPE(struct vaccel_torch_tensor, owned, bool);
	FTYPE(struct vaccel_torch_tensor, nr_dims, int64_t);
	FTYPE(struct vaccel_torch_tensor, dims, int64_t *);
	FTYPE(struct vaccel_torch_tensor, data_type,
	      enum vaccel_torch_data_type);

	/* slog configuration (slog 1.8 layout, see slog.h) */
	SIZE(SLogConfig, 2592, 8);
	FIELD(SLogConfig, eDateControl, 0, 4);
	FIELD(SLogConfig, eColorFormat, 4, 4);
	FIELD(SLogConfig, logCallback, 8, 8);
	FIELD(SLogConfig, pCallbackCtx, 16, 8);
	FIELD(SLogConfig, nFlags, 26, 2);
	FIELD(SLogConfig, sSeparator, 28, 256);
	FIELD(SLogConfig, sFileName, 284, 256);
	FIELD(SLogConfig, sFilePath, 540, 2048);
}

static void test_enums(void)
{
	/* Error codes (spec section 2, abi-x86_64.txt) */
	VAL(VACCEL_OK, 0);
	VAL(VACCEL_EINVAL, 22);
	VAL(VACCEL_ENOMEM, 12);
	VAL(VACCEL_ENOTSUP, 95);
	VAL(VACCEL_EINPROGRESS, 115);
	VAL(VACCEL_EBUSY, 16);
	VAL(VACCEL_EEXIST, 17);
	VAL(VACCEL_ENOENT, 2);
	VAL(VACCEL_ELIBBAD, 80);
	VAL(VACCEL_ENODEV, 19);
	VAL(VACCEL_EIO, 5);
	VAL(VACCEL_ESESS, 104);
	VAL(VACCEL_EBACKEND, 71);
	VAL(VACCEL_ENOEXEC, 8);
	VAL(VACCEL_ENAMETOOLONG, 36);
	VAL(VACCEL_EUSERS, 87);
	VAL(VACCEL_EPERM, 1);
	VAL(VACCEL_ELOOP, 40);
	VAL(VACCEL_EMLINK, 31);
	VAL(VACCEL_ENOSPC, 28);
	VAL(VACCEL_ENOTDIR, 20);
	VAL(VACCEL_EROFS, 30);
	VAL(VACCEL_EACCES, 13);
	VAL(VACCEL_EBADF, 9);
	VAL(VACCEL_EREMOTEIO, 121);
	VAL(VACCEL_EFAULT, 14);
	VAL(VACCEL_ERANGE, 34);
	VAL(VACCEL_EAGAIN, 11);
	VAL(VACCEL_ENOSYS, 38);

	/* Op types */
	OP(VACCEL_OP_NOOP, 0, "NOOP", "noop");
	OP(VACCEL_OP_EXEC, 1, "EXEC", "exec");
	OP(VACCEL_OP_EXEC_WITH_RESOURCE, 2, "EXEC_WITH_RESOURCE", "exec_with_resource");
	OP(VACCEL_OP_IMAGE_CLASSIFY, 3, "IMAGE_CLASSIFY", "image_classify");
	OP(VACCEL_OP_IMAGE_DETECT, 4, "IMAGE_DETECT", "image_detect");
	OP(VACCEL_OP_IMAGE_SEGMENT, 5, "IMAGE_SEGMENT", "image_segment");
	OP(VACCEL_OP_IMAGE_POSE, 6, "IMAGE_POSE", "image_pose");
	OP(VACCEL_OP_IMAGE_DEPTH, 7, "IMAGE_DEPTH", "image_depth");
	OP(VACCEL_OP_TF_MODEL_LOAD, 8, "TF_MODEL_LOAD", "tf_model_load");
	OP(VACCEL_OP_TF_MODEL_UNLOAD, 9, "TF_MODEL_UNLOAD", "tf_model_unload");
	OP(VACCEL_OP_TF_MODEL_RUN, 10, "TF_MODEL_RUN", "tf_model_run");
	OP(VACCEL_OP_TFLITE_MODEL_LOAD, 11, "TFLITE_MODEL_LOAD", "tflite_model_load");
	OP(VACCEL_OP_TFLITE_MODEL_UNLOAD, 12, "TFLITE_MODEL_UNLOAD", "tflite_model_unload");
	OP(VACCEL_OP_TFLITE_MODEL_RUN, 13, "TFLITE_MODEL_RUN", "tflite_model_run");
	OP(VACCEL_OP_TORCH_MODEL_LOAD, 14, "TORCH_MODEL_LOAD", "torch_model_load");
	OP(VACCEL_OP_TORCH_MODEL_RUN, 15, "TORCH_MODEL_RUN", "torch_model_run");
	OP(VACCEL_OP_TORCH_SGEMM, 16, "TORCH_SGEMM", "torch_sgemm");
	OP(VACCEL_OP_BLAS_SGEMM, 17, "BLAS_SGEMM", "blas_sgemm");
	OP(VACCEL_OP_FPGA_ARRAYCOPY, 18, "FPGA_ARRAYCOPY", "fpga_arraycopy");
	OP(VACCEL_OP_FPGA_MMULT, 19, "FPGA_MMULT", "fpga_mmult");
	OP(VACCEL_OP_FPGA_PARALLEL, 20, "FPGA_PARALLEL", "fpga_parallel");
	OP(VACCEL_OP_FPGA_VECTORADD, 21, "FPGA_VECTORADD", "fpga_vectoradd");
	OP(VACCEL_OP_MINMAX, 22, "MINMAX", "minmax");
	OP(VACCEL_OP_OPENCV, 23, "OPENCV", "opencv");
	OP(VACCEL_OP_MAX, 24, "MAX", "max");
	CHECK_INT("VACCEL_OP_MAX", VACCEL_OP_MAX, 24);

	/* Arg types */
	ARGT(VACCEL_ARG_RAW, 0, "raw");
	ARGT(VACCEL_ARG_INT8, 1, "int8");
	ARGT(VACCEL_ARG_INT8_ARRAY, 2, "int8_array");
	ARGT(VACCEL_ARG_INT16, 3, "int16");
	ARGT(VACCEL_ARG_INT16_ARRAY, 4, "int16_array");
	ARGT(VACCEL_ARG_INT32, 5, "int32");
	ARGT(VACCEL_ARG_INT32_ARRAY, 6, "int32_array");
	ARGT(VACCEL_ARG_INT64, 7, "int64");
	ARGT(VACCEL_ARG_INT64_ARRAY, 8, "int64_array");
	ARGT(VACCEL_ARG_UINT8, 9, "uint8");
	ARGT(VACCEL_ARG_UINT8_ARRAY, 10, "uint8_array");
	ARGT(VACCEL_ARG_UINT16, 11, "uint16");
	ARGT(VACCEL_ARG_UINT16_ARRAY, 12, "uint16_array");
	ARGT(VACCEL_ARG_UINT32, 13, "uint32");
	ARGT(VACCEL_ARG_UINT32_ARRAY, 14, "uint32_array");
	ARGT(VACCEL_ARG_UINT64, 15, "uint64");
	ARGT(VACCEL_ARG_UINT64_ARRAY, 16, "uint64_array");
	ARGT(VACCEL_ARG_FLOAT32, 17, "float32");
	ARGT(VACCEL_ARG_FLOAT32_ARRAY, 18, "float32_array");
	ARGT(VACCEL_ARG_FLOAT64, 19, "float64");
	ARGT(VACCEL_ARG_FLOAT64_ARRAY, 20, "float64_array");
	ARGT(VACCEL_ARG_BOOL, 21, "bool");
	ARGT(VACCEL_ARG_BOOL_ARRAY, 22, "bool_array");
	ARGT(VACCEL_ARG_CHAR, 23, "char");
	ARGT(VACCEL_ARG_CHAR_ARRAY, 24, "char_array");
	ARGT(VACCEL_ARG_UCHAR, 25, "uchar");
	ARGT(VACCEL_ARG_UCHAR_ARRAY, 26, "uchar_array");
	ARGT(VACCEL_ARG_STRING, 27, "string");
	ARGT(VACCEL_ARG_BUFFER, 28, "buffer");
	ARGT(VACCEL_ARG_CUSTOM, 29, "custom");
	ARGT(VACCEL_ARG_MAX, 30, "max");
	CHECK_STR("vaccel_arg_type_to_str(VACCEL_ARG_MAX)",
		  vaccel_arg_type_to_str(VACCEL_ARG_MAX), "VACCEL_ARG_MAX");

	/* Resource types */
	RES(VACCEL_RESOURCE_LIB, 0);
	RES(VACCEL_RESOURCE_DATA, 1);
	RES(VACCEL_RESOURCE_MODEL, 2);
	RES(VACCEL_RESOURCE_MAX, 3);

	/* Blob types */
	BLOB(VACCEL_BLOB_FILE, 0);
	BLOB(VACCEL_BLOB_BUFFER, 1);
	BLOB(VACCEL_BLOB_MAPPED, 2);
	BLOB(VACCEL_BLOB_MAX, 3);

	/* Path types */
	PATH(VACCEL_PATH_LOCAL_FILE, 0);
	PATH(VACCEL_PATH_LOCAL_DIR, 1);
	PATH(VACCEL_PATH_REMOTE_FILE, 2);
	PATH(VACCEL_PATH_MAX, 3);

	/* Log levels */
	LOGL(VACCEL_LOG_ERROR, 1);
	LOGL(VACCEL_LOG_WARN, 2);
	LOGL(VACCEL_LOG_INFO, 3);
	LOGL(VACCEL_LOG_DEBUG, 4);
	LOGL(VACCEL_LOG_MAX, 5);
	CHECK_STR("vaccel_log_level_to_str(0)",
		  vaccel_log_level_to_str((vaccel_log_level_t)0),
		  "VACCEL_LOG_MAX");
	CHECK_STR("vaccel_log_level_to_base_str(0)",
		  vaccel_log_level_to_base_str((vaccel_log_level_t)0), "MAX");

	/* Plugin types */
	PLUG(VACCEL_PLUGIN_CPU, 0x0001);
	PLUG(VACCEL_PLUGIN_GPU, 0x0002);
	PLUG(VACCEL_PLUGIN_FPGA, 0x0004);
	PLUG(VACCEL_PLUGIN_SOFTWARE, 0x0008);
	PLUG(VACCEL_PLUGIN_TENSORFLOW, 0x0010);
	PLUG(VACCEL_PLUGIN_TORCH, 0x0020);
	PLUG(VACCEL_PLUGIN_JETSON, 0x0040);
	PLUG(VACCEL_PLUGIN_GENERIC, 0x0080);
	PLUG(VACCEL_PLUGIN_DEBUG, 0x0100);
	PLUG(VACCEL_PLUGIN_REMOTE, 0x4000);
	PLUG(VACCEL_PLUGIN_ALL, 0xffff);
	PLUG(VACCEL_PLUGIN_MAX, 0x10000);

	/* TensorFlow data types */
	VAL(VACCEL_TF_FLOAT, 1);
	VAL(VACCEL_TF_DOUBLE, 2);
	VAL(VACCEL_TF_INT32, 3);
	VAL(VACCEL_TF_UINT8, 4);
	VAL(VACCEL_TF_INT16, 5);
	VAL(VACCEL_TF_INT8, 6);
	VAL(VACCEL_TF_STRING, 7);
	VAL(VACCEL_TF_COMPLEX64, 8);
	VAL(VACCEL_TF_COMPLEX, 8);
	VAL(VACCEL_TF_INT64, 9);
	VAL(VACCEL_TF_BOOL, 10);
	VAL(VACCEL_TF_QINT8, 11);
	VAL(VACCEL_TF_QUINT8, 12);
	VAL(VACCEL_TF_QINT32, 13);
	VAL(VACCEL_TF_BFLOAT16, 14);
	VAL(VACCEL_TF_QINT16, 15);
	VAL(VACCEL_TF_QUINT16, 16);
	VAL(VACCEL_TF_UINT16, 17);
	VAL(VACCEL_TF_COMPLEX128, 18);
	VAL(VACCEL_TF_HALF, 19);
	VAL(VACCEL_TF_RESOURCE, 20);
	VAL(VACCEL_TF_VARIANT, 21);
	VAL(VACCEL_TF_UINT32, 22);
	VAL(VACCEL_TF_UINT64, 23);

	/* TensorFlow Lite data types */
	VAL(VACCEL_TFLITE_NOTYPE, 0);
	VAL(VACCEL_TFLITE_FLOAT32, 1);
	VAL(VACCEL_TFLITE_INT32, 2);
	VAL(VACCEL_TFLITE_UINT8, 3);
	VAL(VACCEL_TFLITE_INT64, 4);
	VAL(VACCEL_TFLITE_STRING, 5);
	VAL(VACCEL_TFLITE_BOOL, 6);
	VAL(VACCEL_TFLITE_INT16, 7);
	VAL(VACCEL_TFLITE_COMPLEX64, 8);
	VAL(VACCEL_TFLITE_INT8, 9);
	VAL(VACCEL_TFLITE_FLOAT16, 10);
	VAL(VACCEL_TFLITE_FLOAT64, 11);
	VAL(VACCEL_TFLITE_COMPLEX128, 12);
	VAL(VACCEL_TFLITE_UINT64, 13);
	VAL(VACCEL_TFLITE_RESOURCE, 14);
	VAL(VACCEL_TFLITE_VARIANT, 15);
	VAL(VACCEL_TFLITE_UINT32, 16);
	VAL(VACCEL_TFLITE_UINT16, 17);
	VAL(VACCEL_TFLITE_INT4, 18);

	/* Torch data types */
	VAL(VACCEL_TORCH_BYTE, 1);
	VAL(VACCEL_TORCH_CHAR, 2);
	VAL(VACCEL_TORCH_SHORT, 3);
	VAL(VACCEL_TORCH_INT, 4);
	VAL(VACCEL_TORCH_LONG, 5);
	VAL(VACCEL_TORCH_HALF, 6);
	VAL(VACCEL_TORCH_FLOAT, 7);

	/* slog flags */
	VAL(SLOG_NOTAG, 1);
	VAL(SLOG_NOTE, 2);
	VAL(SLOG_INFO, 4);
	VAL(SLOG_WARN, 8);
	VAL(SLOG_DEBUG, 16);
	VAL(SLOG_TRACE, 32);
	VAL(SLOG_ERROR, 64);
	VAL(SLOG_FATAL, 128);
	SIZE(SLOG_FLAGS_E, 4, 4);
}

static void test_helpers(void)
{
	char buf[VACCEL_ENUM_STR_MAX];
	char *alloc = NULL;

	/* The examples from the brief */
	CHECK_STR("to_str(BLAS_SGEMM)",
		  vaccel_op_type_to_str(VACCEL_OP_BLAS_SGEMM),
		  "VACCEL_OP_BLAS_SGEMM");
	CHECK_STR("to_base_str(BLAS_SGEMM)",
		  vaccel_op_type_to_base_str(VACCEL_OP_BLAS_SGEMM),
		  "BLAS_SGEMM");
	CHECK_STR("name(BLAS_SGEMM)",
		  vaccel_op_type_name(VACCEL_OP_BLAS_SGEMM, buf, sizeof(buf)),
		  "blas_sgemm");

	/* Unknown values */
	CHECK_STR("to_str(99)", vaccel_op_type_to_str((vaccel_op_type_t)99),
		  "VACCEL_OP_MAX");
	CHECK_STR("to_base_str(99)",
		  vaccel_op_type_to_base_str((vaccel_op_type_t)99), "MAX");
	CHECK_STR("name(99)",
		  vaccel_op_type_name((vaccel_op_type_t)99, buf, sizeof(buf)),
		  "max");
	CHECK_STR("vaccel_resource_type_to_str(7)",
		  vaccel_resource_type_to_str((vaccel_resource_type_t)7),
		  "VACCEL_RESOURCE_MAX");
	CHECK_STR("vaccel_plugin_type_to_str(0x89)",
		  vaccel_plugin_type_to_str((vaccel_plugin_type_t)0x89),
		  "VACCEL_PLUGIN_MAX");

	/* _name(): NULL buffer / zero size / truncation */
	CHECK_TRUE("name(NULL buffer) is NULL",
		   vaccel_op_type_name(VACCEL_OP_NOOP, NULL, 16) == NULL);
	CHECK_TRUE("name(size 0) is NULL",
		   vaccel_op_type_name(VACCEL_OP_NOOP, buf, 0) == NULL);
	CHECK_TRUE("to_lower(NULL buffer) is NULL",
		   vaccel_op_type_to_lower(VACCEL_OP_NOOP, NULL, 16) == NULL);
	CHECK_STR("name(BLAS_SGEMM, size 5) truncates",
		  vaccel_op_type_name(VACCEL_OP_BLAS_SGEMM, buf, 5), "blas");
	CHECK_STR("name(EXEC, size 1) is empty",
		  vaccel_op_type_name(VACCEL_OP_EXEC, buf, 1), "");

	/* vaccel_str_to_lower() itself (spec section 3.1) */
	CHECK_INT("str_to_lower(NULL)",
		  vaccel_str_to_lower(NULL, buf, sizeof(buf), NULL),
		  VACCEL_EINVAL);
	CHECK_INT("str_to_lower(lower NULL)",
		  vaccel_str_to_lower("ABC", NULL, 4, NULL), VACCEL_EINVAL);
	CHECK_INT("str_to_lower(size 0)",
		  vaccel_str_to_lower("ABC", buf, 0, NULL), VACCEL_EINVAL);
	CHECK_INT("str_to_lower(alloc)",
		  vaccel_str_to_lower("MiXeD_1", NULL, 0, &alloc), VACCEL_OK);
	CHECK_STR("str_to_lower(alloc) result", alloc, "mixed_1");
	free(alloc);
	CHECK_INT("str_to_lower(buffer)",
		  vaccel_str_to_lower("ABCDEF", buf, 4, NULL), VACCEL_OK);
	CHECK_STR("str_to_lower(buffer) truncates", buf, "abc");

	/* VACCEL_ENUM_STR_MAX, VACCEL_VERSION */
	CHECK_INT("VACCEL_ENUM_STR_MAX", VACCEL_ENUM_STR_MAX, 128);
	CHECK_STR("VACCEL_VERSION", VACCEL_VERSION, "0.8.0");
}

/* X-macro row collector for VACCEL_ARG_NUMERIC_TYPES() */
#define NUMERIC_ROW(name, type, scalar, array) \
	{ #name, sizeof(type), (scalar), (array) },

static void test_arg_numeric_types(void)
{
	static const struct numeric_row got[] = {
		VACCEL_ARG_NUMERIC_TYPES(NUMERIC_ROW)
	};
	static const struct numeric_row expected[] = {
		{ "int8", 1, VACCEL_ARG_INT8, VACCEL_ARG_INT8_ARRAY },
		{ "int16", 2, VACCEL_ARG_INT16, VACCEL_ARG_INT16_ARRAY },
		{ "int32", 4, VACCEL_ARG_INT32, VACCEL_ARG_INT32_ARRAY },
		{ "int64", 8, VACCEL_ARG_INT64, VACCEL_ARG_INT64_ARRAY },
		{ "uint8", 1, VACCEL_ARG_UINT8, VACCEL_ARG_UINT8_ARRAY },
		{ "uint16", 2, VACCEL_ARG_UINT16, VACCEL_ARG_UINT16_ARRAY },
		{ "uint32", 4, VACCEL_ARG_UINT32, VACCEL_ARG_UINT32_ARRAY },
		{ "uint64", 8, VACCEL_ARG_UINT64, VACCEL_ARG_UINT64_ARRAY },
		{ "float", 4, VACCEL_ARG_FLOAT32, VACCEL_ARG_FLOAT32_ARRAY },
		{ "double", 8, VACCEL_ARG_FLOAT64, VACCEL_ARG_FLOAT64_ARRAY },
		{ "bool", 1, VACCEL_ARG_BOOL, VACCEL_ARG_BOOL_ARRAY },
		{ "char", 1, VACCEL_ARG_CHAR, VACCEL_ARG_CHAR_ARRAY },
		{ "uchar", 1, VACCEL_ARG_UCHAR, VACCEL_ARG_UCHAR_ARRAY },
	};
	size_t n = sizeof(got) / sizeof(got[0]);
	size_t i;

	CHECK_INT("VACCEL_ARG_NUMERIC_TYPES rows", n, 13);
	if (n != sizeof(expected) / sizeof(expected[0]))
		return;
	for (i = 0; i < n; i++) {
		CHECK_STR("numeric row name", got[i].name, expected[i].name);
		CHECK_INT(expected[i].name, got[i].size, expected[i].size);
		CHECK_INT(expected[i].name, got[i].scalar, expected[i].scalar);
		CHECK_INT(expected[i].name, got[i].array, expected[i].array);
	}

	/* Accessor prototypes generated from the X-macro */
#define ACCESSOR_TYPES(name, type, scalar, array)                            \
	CHECK_TRUE("vaccel_arg_array_add_" #name " type",                    \
		   _Generic(&vaccel_arg_array_add_##name,                    \
			    int (*)(struct vaccel_arg_array *, type *): true, \
			    default: false));                                \
	CHECK_TRUE("vaccel_arg_array_add_" #name "_array type",              \
		   _Generic(&vaccel_arg_array_add_##name##_array,            \
			    int (*)(struct vaccel_arg_array *, type *,       \
				    size_t): true,                           \
			    default: false));                                \
	CHECK_TRUE("vaccel_arg_array_get_" #name " type",                    \
		   _Generic(&vaccel_arg_array_get_##name,                    \
			    int (*)(struct vaccel_arg_array *, type *): true, \
			    default: false));                                \
	CHECK_TRUE("vaccel_arg_array_get_" #name "_array type",              \
		   _Generic(&vaccel_arg_array_get_##name##_array,            \
			    int (*)(struct vaccel_arg_array *, type **,      \
				    size_t *): true,                         \
			    default: false));                                \
	CHECK_TRUE("vaccel_arg_array_set_" #name " type",                    \
		   _Generic(&vaccel_arg_array_set_##name,                    \
			    int (*)(struct vaccel_arg_array *, type *): true, \
			    default: false));                                \
	CHECK_TRUE("vaccel_arg_array_set_" #name "_array type",              \
		   _Generic(&vaccel_arg_array_set_##name##_array,            \
			    int (*)(struct vaccel_arg_array *, type *,       \
				    size_t): true,                           \
			    default: false));
	VACCEL_ARG_NUMERIC_TYPES(ACCESSOR_TYPES)
#undef ACCESSOR_TYPES
}

static void test_macros(void)
{
	struct vaccel_list_entry entry = LIST_ENTRY_INIT(entry);
	struct vaccel_prof_region region = VACCEL_PROF_REGION_INIT("region");
	char expected[512];
	int line;

	CHECK_TRUE("LIST_ENTRY_INIT next", entry.next == &entry);
	CHECK_TRUE("LIST_ENTRY_INIT prev", entry.prev == &entry);

	CHECK_STR("VACCEL_PROF_REGION_INIT name", region.name, "region");
	CHECK_INT("VACCEL_PROF_REGION_INIT name_owned", region.name_owned,
		  false);
	CHECK_INT("VACCEL_PROF_REGION_INIT nr_entries", region.nr_entries, 0);
	CHECK_TRUE("VACCEL_PROF_REGION_INIT samples", region.samples == NULL);
	CHECK_INT("VACCEL_PROF_REGION_INIT size", region.size, 0);

	/* Logging macros expand to slog_print(<flag>, 1, fmt, ...) */
	LOG_CHECK(vaccel_info("info %d", 1), SLOG_INFO, "info 1");
	LOG_CHECK(vaccel_warn("warn %s", "x"), SLOG_WARN, "warn x");
	LOG_CHECK(vaccel_debug("debug"), SLOG_DEBUG, "debug");
	LOG_CHECK(vaccel_error("error %u", 2u), SLOG_ERROR, "error 2");
	LOG_CHECK(slog_note("note"), SLOG_NOTE, "note");
	LOG_CHECK(slog_info("i"), SLOG_INFO, "i");
	LOG_CHECK(slog_warn("w"), SLOG_WARN, "w");
	LOG_CHECK(slog_debug("d"), SLOG_DEBUG, "d");
	LOG_CHECK(slog_error("e"), SLOG_ERROR, "e");

	/* trace/fatal prefix "[<file>:<line>] " */
	vaccel_trace("trace %d", 3); line = __LINE__;
	snprintf(expected, sizeof(expected), "[%s:%d] trace 3", __FILE__, line);
	CHECK_INT("vaccel_trace flag", rec.flag, SLOG_TRACE);
	CHECK_INT("vaccel_trace newline", rec.newline, 1);
	CHECK_STR("vaccel_trace message", rec.msg, expected);

	vaccel_fatal("fatal %d", 4); line = __LINE__;
	snprintf(expected, sizeof(expected), "[%s:%d] fatal 4", __FILE__, line);
	CHECK_INT("vaccel_fatal flag", rec.flag, SLOG_FATAL);
	CHECK_INT("vaccel_fatal newline", rec.newline, 1);
	CHECK_STR("vaccel_fatal message", rec.msg, expected);

	slog_trace("t"); line = __LINE__;
	snprintf(expected, sizeof(expected), "[%s:%d] t", __FILE__, line);
	CHECK_INT("slog_trace flag", rec.flag, SLOG_TRACE);
	CHECK_STR("slog_trace message", rec.msg, expected);

	slog_fatal("f"); line = __LINE__;
	snprintf(expected, sizeof(expected), "[%s:%d] f", __FILE__, line);
	CHECK_INT("slog_fatal flag", rec.flag, SLOG_FATAL);
	CHECK_STR("slog_fatal message", rec.msg, expected);
}

int main(void)
{
	test_structs();
	test_enums();
	test_helpers();
	test_arg_numeric_types();
	test_macros();

	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
