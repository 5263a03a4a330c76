// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_PLUGIN_H
#define VACCEL_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "list.h"
#include "op.h"
#include "utils/enum.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Plugin types (bit mask; also used as session hint flags) */
#define VACCEL_PLUGIN_TYPE_ENUM_LIST(ITEM, prefix) \
	ITEM(CPU, 0x0001, prefix)                  \
	ITEM(GPU, 0x0002, prefix)                  \
	ITEM(FPGA, 0x0004, prefix)                 \
	ITEM(SOFTWARE, 0x0008, prefix)             \
	ITEM(TENSORFLOW, 0x0010, prefix)           \
	ITEM(TORCH, 0x0020, prefix)                \
	ITEM(JETSON, 0x0040, prefix)               \
	ITEM(GENERIC, 0x0080, prefix)              \
	ITEM(DEBUG, 0x0100, prefix)                \
	ITEM(REMOTE, 0x4000, prefix)               \
	ITEM(ALL, 0xffff, prefix)

VACCEL_ENUM_DEF_WITH_STR_FUNCS(vaccel_plugin_type, VACCEL_PLUGIN,
			       VACCEL_PLUGIN_TYPE_ENUM_LIST)

struct vaccel_session;
struct vaccel_resource;

/* Plugin description */
struct vaccel_plugin_info {
	/* Plugin name */
	const char *name;

	/* Plugin version */
	const char *version;

	/* vAccel version the plugin was built with */
	const char *vaccel_version;

	/* Plugin init function (called at load) */
	int (*init)(void);

	/* Plugin fini function (called at unload) */
	int (*fini)(void);

	/* Transport (remote/"VirtIO") plugin */
	bool is_virtio;

	/* Plugin type (bit mask) */
	vaccel_plugin_type_t type;

	/* Transport plugin hooks */
	int (*session_init)(struct vaccel_session *sess, uint32_t flags);
	int (*session_release)(struct vaccel_session *sess);
	int (*session_update)(struct vaccel_session *sess, uint32_t flags);
	int (*resource_register)(struct vaccel_resource *res,
				 struct vaccel_session *sess);
	int (*resource_unregister)(struct vaccel_resource *res,
				   struct vaccel_session *sess);
	int (*resource_sync)(struct vaccel_resource *res,
			     struct vaccel_session *sess);
};

/* A plugin */
struct vaccel_plugin {
	/* Handle of the plugin library (set by the loader) */
	void *dl_handle;

	/* Link in the list of registered plugins (self-linked if none) */
	vaccel_list_t entry;

	/* Operations implemented by the plugin, indexed by op type */
	struct vaccel_op *ops[VACCEL_OP_MAX];

	/* Plugin description */
	struct vaccel_plugin_info *info;
};

/* Register `nr_ops` operations (of the plugin `ops[0].owner`) */
int vaccel_plugin_register_ops(struct vaccel_op *ops, size_t nr_ops);

/* Load a plugin library */
int vaccel_plugin_load(const char *lib);

/* Load the plugins of a `:`-separated list */
int vaccel_plugin_parse_and_load(const char *lib_str);

/* Register one operation */
static inline int vaccel_plugin_register_op(struct vaccel_op *op)
{
	return vaccel_plugin_register_ops(op, 1);
}

__attribute__((deprecated(
	"Use vaccel_plugin_register_op() instead"))) static inline int
register_plugin_function(struct vaccel_op *op)
{
	return vaccel_plugin_register_op(op);
}

__attribute__((deprecated(
	"Use vaccel_plugin_register_ops() instead"))) static inline int
register_plugin_functions(struct vaccel_op *ops, size_t nr_ops)
{
	return vaccel_plugin_register_ops(ops, nr_ops);
}

/*
 * Define the plugin of a plugin binary (C only). The arguments are
 * designated initialisers of `struct vaccel_plugin_info`, e.g.:
 *
 *   VACCEL_PLUGIN(.name = "noop", .version = VACCEL_VERSION,
 *                 .vaccel_version = VACCEL_VERSION,
 *                 .type = VACCEL_PLUGIN_DEBUG, .init = init, .fini = fini)
 *
 * It defines a file-local plugin info, the hidden `vaccel_this_plugin`
 * (unregistered, no ops) and the exported `vaccel_plugin` pointer to it, the
 * data symbol the loader looks up.
 */
#define VACCEL_PLUGIN(...)                                                   \
	static struct vaccel_plugin_info vaccel_this_plugin_info = {         \
		__VA_ARGS__                                                  \
	};                                                                   \
	__attribute__((visibility("hidden"))) struct vaccel_plugin           \
		vaccel_this_plugin = {                                       \
			.dl_handle = NULL,                                   \
			.entry = LIST_ENTRY_INIT(vaccel_this_plugin.entry),  \
			.ops = { NULL },                                     \
			.info = &vaccel_this_plugin_info,                    \
		};                                                           \
	extern const struct vaccel_plugin *vaccel_plugin;                    \
	__attribute__((visibility("default"),                                \
		       used)) const struct vaccel_plugin *vaccel_plugin =    \
		&vaccel_this_plugin;

/* Deprecated alias of VACCEL_PLUGIN() */
#define VACCEL_MODULE(...)                                                    \
	_Pragma("GCC warning \"VACCEL_MODULE() is deprecated; use VACCEL_PLUGIN()\"") \
	VACCEL_PLUGIN(__VA_ARGS__)

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_PLUGIN_H */
