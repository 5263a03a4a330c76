// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_SESSION_H
#define VACCEL_SESSION_H

#include <linux/limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "id.h"
#include "list.h"
#include "resource.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vaccel_plugin;

/* A vAccel session */
struct vaccel_session {
	/* Local id (> 0 when initialised, 0 after release) */
	vaccel_id_t id;

	/* Id of the remote (agent) session; set by a transport plugin */
	vaccel_id_t remote_id;

	/* Plugin type hint (flags) given at init */
	unsigned int hint;

	/* The session is served by a transport (remote) plugin */
	bool is_virtio;

	/* Session run directory */
	char rundir[PATH_MAX];

	/* Internal: global list link */
	vaccel_list_t entry;

	/* Internal: per-resource-type registration lists */
	vaccel_list_t resources[VACCEL_RESOURCE_MAX];

	/* Internal: per-resource-type registration counts */
	size_t resource_counts[VACCEL_RESOURCE_MAX];

	/* Internal: lock of the registration lists */
	pthread_mutex_t resources_lock;

	/* Plugin selected at init */
	struct vaccel_plugin *plugin;

	/* Plugin private data */
	void *priv;
};

int vaccel_session_get_by_id(struct vaccel_session **sess, vaccel_id_t id);
int vaccel_session_init(struct vaccel_session *sess, uint32_t flags);
int vaccel_session_release(struct vaccel_session *sess);
int vaccel_session_new(struct vaccel_session **sess, uint32_t flags);
int vaccel_session_delete(struct vaccel_session *sess);
bool vaccel_session_has_resource(struct vaccel_session *sess,
				 struct vaccel_resource *res);
int vaccel_session_resource_by_id(struct vaccel_session *sess,
				  struct vaccel_resource **res, vaccel_id_t id);
int vaccel_session_resource_by_type(struct vaccel_session *sess,
				    struct vaccel_resource **res,
				    vaccel_resource_type_t type);
int vaccel_session_resources_by_type(struct vaccel_session *sess,
				     struct vaccel_resource ***resources,
				     size_t *nr_found,
				     vaccel_resource_type_t type);

/* Deprecated: the plugin is selected once, at session init */
int vaccel_session_update(struct vaccel_session *sess, uint32_t flags);

/* Deprecated aliases */
int vaccel_sess_init(struct vaccel_session *sess, uint32_t flags);
int vaccel_sess_update(struct vaccel_session *sess, uint32_t flags);
int vaccel_sess_free(struct vaccel_session *sess);
bool vaccel_sess_has_resource(struct vaccel_session *sess,
			      struct vaccel_resource *res);

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_SESSION_H */
