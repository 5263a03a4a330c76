// SPDX-License-Identifier: Apache-2.0
/*
 * Mock transport ("VirtIO") plugin, after upstream's unit-test mock: sets
 * remote_id = 1 on session init and resource registration, hint = flags on
 * session init/update, and resets remote_id to 0 on release/unregister.
 *
 * The exported variables record what the core passed to the hooks and let
 * the tests inject failures (dlsym on sess->plugin->dl_handle).
 *
 * Built by run.sh in variants that lack some hooks (-D):
 *   MOCK_NAME "name"           plugin name (default "mock")
 *   MOCK_NO_SESSION_INIT       no session_init
 *   MOCK_NO_SESSION_UPDATE     no session_update
 *   MOCK_NO_RESOURCE_REGISTER  no resource_register
 *   MOCK_NO_RESOURCE_SYNC      no resource_sync
 */
#include <inttypes.h>
#include <vaccel.h>

#define EXPORT __attribute__((visibility("default")))
#define HOOK static __attribute__((unused))

#ifndef MOCK_NAME
#define MOCK_NAME "mock"
#endif

EXPORT int mock_session_init_calls;
EXPORT int mock_session_release_calls;
EXPORT int mock_session_update_calls;
EXPORT int mock_resource_register_calls;
EXPORT int mock_resource_unregister_calls;
EXPORT int mock_resource_sync_calls;
EXPORT int mock_noop_calls;
EXPORT uint32_t mock_last_flags;
EXPORT int64_t mock_last_noop_remote_id;
/* what resource_register saw */
EXPORT size_t mock_last_nr_blobs;
EXPORT int mock_last_all_mapped; /* every blob MAPPED with data and size */
EXPORT int mock_last_path_type;
/* failure injection */
EXPORT int mock_session_init_ret;
EXPORT int mock_session_release_ret;
EXPORT int mock_register_no_id; /* return OK without setting remote_id */
EXPORT int mock_register_ret;

HOOK int mock_session_init(struct vaccel_session *sess, uint32_t flags)
{
	mock_session_init_calls++;
	mock_last_flags = flags;
	if (mock_session_init_ret)
		return mock_session_init_ret;
	sess->remote_id = 1;
	sess->hint = flags;
	return VACCEL_OK;
}

HOOK int mock_session_release(struct vaccel_session *sess)
{
	mock_session_release_calls++;
	sess->remote_id = 0;
	return mock_session_release_ret;
}

HOOK int mock_session_update(struct vaccel_session *sess, uint32_t flags)
{
	mock_session_update_calls++;
	mock_last_flags = flags;
	sess->hint = flags;
	return VACCEL_OK;
}

HOOK int mock_resource_register(struct vaccel_resource *res,
				  struct vaccel_session *sess)
{
	(void)sess;
	mock_resource_register_calls++;
	mock_last_nr_blobs = res->nr_blobs;
	mock_last_path_type = (int)res->path_type;
	mock_last_all_mapped = res->nr_blobs > 0;
	for (size_t i = 0; i < res->nr_blobs; i++) {
		struct vaccel_blob *b = res->blobs[i];

		if (b == NULL || b->type != VACCEL_BLOB_MAPPED ||
		    b->data == NULL || b->size == 0)
			mock_last_all_mapped = 0;
	}
	if (mock_register_ret)
		return mock_register_ret;
	if (!mock_register_no_id)
		res->remote_id = 1;
	return VACCEL_OK;
}

HOOK int mock_resource_unregister(struct vaccel_resource *res,
				    struct vaccel_session *sess)
{
	(void)sess;
	mock_resource_unregister_calls++;
	res->remote_id = 0;
	return VACCEL_OK;
}

HOOK int mock_resource_sync(struct vaccel_resource *res,
			      struct vaccel_session *sess)
{
	(void)res;
	(void)sess;
	mock_resource_sync_calls++;
	return VACCEL_OK;
}

static int mock_noop(struct vaccel_session *sess)
{
	mock_noop_calls++;
	mock_last_noop_remote_id = sess->remote_id;
	vaccel_debug("[mock] noop for session %" PRId64 " (remote %" PRId64 ")",
		     sess->id, sess->remote_id);
	return VACCEL_OK;
}

static struct vaccel_op ops[] = {
	VACCEL_OP_INIT(ops[0], VACCEL_OP_NOOP, mock_noop),
};

static int init(void)
{
	return vaccel_plugin_register_ops(ops, sizeof(ops) / sizeof(ops[0]));
}

static int fini(void)
{
	return VACCEL_OK;
}

VACCEL_PLUGIN(.name = MOCK_NAME, .version = VACCEL_VERSION,
	      .vaccel_version = VACCEL_VERSION, .type = VACCEL_PLUGIN_REMOTE,
	      .is_virtio = true, .init = init, .fini = fini,
#ifndef MOCK_NO_SESSION_INIT
	      .session_init = mock_session_init,
#endif
	      .session_release = mock_session_release,
#ifndef MOCK_NO_SESSION_UPDATE
	      .session_update = mock_session_update,
#endif
#ifndef MOCK_NO_RESOURCE_REGISTER
	      .resource_register = mock_resource_register,
#endif
#ifndef MOCK_NO_RESOURCE_SYNC
	      .resource_sync = mock_resource_sync,
#endif
	      .resource_unregister = mock_resource_unregister)
