// SPDX-License-Identifier: Apache-2.0
/*
 * Configurable test plugin, built by run.sh into several variants with -D:
 *
 *   TP_NAME "name"        plugin name (default "good")
 *   TP_NO_NAME            leave .name unset
 *   TP_NO_VERSION         leave .version unset
 *   TP_NO_INIT            leave .init unset
 *   TP_NO_FINI            leave .fini unset
 *   TP_VACCEL_VERSION "x" .vaccel_version (default VACCEL_VERSION)
 *   TP_NO_VACCEL_VERSION  leave .vaccel_version unset
 *   TP_TYPE               plugin type (default VACCEL_PLUGIN_CPU)
 *   TP_INIT_RET           value init() returns (default VACCEL_OK)
 *   TP_NOOP_RET           value the noop op returns (default VACCEL_OK)
 *
 * It serves NOOP and IMAGE_CLASSIFY only, and has resource_register /
 * resource_unregister hooks (a local plugin: the register hook refuses LIB
 * resources with VACCEL_EACCES). Classification writes
 * "<name> tag" / "<name> imgname". The exported counters let the tests check
 * which plugin served a call (dlsym on sess->plugin->dl_handle).
 */
#include <inttypes.h>
#include <stdio.h>
#include <vaccel.h>

#ifndef TP_NAME
#define TP_NAME "good"
#endif
#ifndef TP_VACCEL_VERSION
#define TP_VACCEL_VERSION VACCEL_VERSION
#endif
#ifndef TP_TYPE
#define TP_TYPE VACCEL_PLUGIN_CPU
#endif
#ifndef TP_INIT_RET
#define TP_INIT_RET VACCEL_OK
#endif
#ifndef TP_NOOP_RET
#define TP_NOOP_RET VACCEL_OK
#endif

__attribute__((visibility("default"))) int tp_noop_calls;
__attribute__((visibility("default"))) int tp_classify_calls;
__attribute__((visibility("default"))) int tp_init_calls;
__attribute__((visibility("default"))) int tp_fini_calls;
__attribute__((visibility("default"))) int tp_register_calls;
__attribute__((visibility("default"))) int tp_unregister_calls;

static int tp_resource_register(struct vaccel_resource *res,
				struct vaccel_session *sess)
{
	(void)sess;
	tp_register_calls++;
	return res->type == VACCEL_RESOURCE_LIB ? VACCEL_EACCES : VACCEL_OK;
}

static int tp_resource_unregister(struct vaccel_resource *res,
				  struct vaccel_session *sess)
{
	(void)res;
	(void)sess;
	tp_unregister_calls++;
	return VACCEL_OK;
}

static int tp_noop(struct vaccel_session *sess)
{
	vaccel_debug("[" TP_NAME "] noop for session %" PRId64, sess->id);
	tp_noop_calls++;
	return TP_NOOP_RET;
}

static int tp_classify(struct vaccel_session *sess, const void *img,
		       unsigned char *out_text, unsigned char *out_imgname,
		       size_t len_img, size_t len_out_text,
		       size_t len_out_imgname)
{
	(void)sess;
	(void)img;
	(void)len_img;
	tp_classify_calls++;
	if (out_text && len_out_text)
		snprintf((char *)out_text, len_out_text, "%s tag", TP_NAME);
	if (out_imgname && len_out_imgname)
		snprintf((char *)out_imgname, len_out_imgname, "%s imgname",
			 TP_NAME);
	return VACCEL_OK;
}

__attribute__((used)) static struct vaccel_op ops[] = {
	VACCEL_OP_INIT(ops[0], VACCEL_OP_NOOP, tp_noop),
	VACCEL_OP_INIT(ops[1], VACCEL_OP_IMAGE_CLASSIFY, tp_classify),
};

#ifndef TP_NO_INIT
static int init(void)
{
	int ret;

	tp_init_calls++;
	ret = vaccel_plugin_register_ops(ops, sizeof(ops) / sizeof(ops[0]));
	if (ret)
		return ret;
	return TP_INIT_RET;
}
#endif

#ifndef TP_NO_FINI
static int fini(void)
{
	tp_fini_calls++;
	vaccel_debug("[" TP_NAME "] fini");
	return VACCEL_OK;
}
#endif

VACCEL_PLUGIN(
#ifndef TP_NO_NAME
	.name = TP_NAME,
#endif
#ifndef TP_NO_VERSION
	.version = "1.2.3",
#endif
#ifndef TP_NO_VACCEL_VERSION
	.vaccel_version = TP_VACCEL_VERSION,
#endif
#ifndef TP_NO_INIT
	.init = init,
#endif
#ifndef TP_NO_FINI
	.fini = fini,
#endif
	.resource_register = tp_resource_register,
	.resource_unregister = tp_resource_unregister,
	.type = TP_TYPE)
