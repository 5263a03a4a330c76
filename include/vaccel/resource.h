// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_RESOURCE_H
#define VACCEL_RESOURCE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#ifdef __cplusplus
#include <atomic>
#else
#include <stdatomic.h>
#endif
#include "blob.h"
#include "id.h"
#include "list.h"
#include "utils/enum.h"
#include "utils/path.h"

#ifdef __cplusplus
typedef std::atomic<unsigned int> atomic_uint;
extern "C" {
#endif

/* Resource types */
#define VACCEL_RESOURCE_TYPE_ENUM_LIST(ITEM, prefix) \
	ITEM(LIB, 0, prefix)                         \
	ITEM(DATA, 1, prefix)                        \
	ITEM(MODEL, 2, prefix)

VACCEL_ENUM_DEF_WITH_STR_FUNCS(vaccel_resource_type, VACCEL_RESOURCE,
			       VACCEL_RESOURCE_TYPE_ENUM_LIST)

struct vaccel_session;

/* A resource (library, data or model) that can be registered to sessions */
struct vaccel_resource {
	/* Local id (> 0 when initialised) */
	vaccel_id_t id;

	/* Id assigned by a transport (remote) plugin */
	vaccel_id_t remote_id;

	/* Resource type */
	vaccel_resource_type_t type;

	/* Type of the paths */
	vaccel_path_type_t path_type;

	/* Copies of the input paths (NULL for buffer/blob resources) */
	char **paths;

	/* Number of paths */
	size_t nr_paths;

	/* Per-resource run directory, or NULL */
	char *rundir;

	/* Blobs of the resource */
	struct vaccel_blob **blobs;

	/* Number of blobs */
	size_t nr_blobs;

	/* Internal: global list link */
	vaccel_list_t entry;

	/* Internal: list of session registrations */
	vaccel_list_t sessions;

	/* Internal: lock of the registrations list */
	pthread_mutex_t sessions_lock;

	/* Number of sessions the resource is registered to */
	atomic_uint refcount;

	/* Free for the plugin's use */
	void *plugin_priv;
};

int vaccel_resource_get_by_id(struct vaccel_resource **res, vaccel_id_t id);
int vaccel_resource_get_by_type(struct vaccel_resource **res,
				vaccel_resource_type_t type);
int vaccel_resource_get_all_by_type(struct vaccel_resource ***res,
				    size_t *nr_found,
				    vaccel_resource_type_t type);
long int vaccel_resource_refcount(const struct vaccel_resource *res);
int vaccel_resource_init(struct vaccel_resource *res, const char *path,
			 vaccel_resource_type_t type);
int vaccel_resource_init_multi(struct vaccel_resource *res, const char **paths,
			       size_t nr_paths, vaccel_resource_type_t type);
int vaccel_resource_init_from_buf(struct vaccel_resource *res, const void *buf,
				  size_t nr_bytes, vaccel_resource_type_t type,
				  const char *filename, bool mem_only);
int vaccel_resource_init_from_blobs(struct vaccel_resource *res,
				    const struct vaccel_blob **blobs,
				    size_t nr_blobs,
				    vaccel_resource_type_t type);
int vaccel_resource_release(struct vaccel_resource *res);
int vaccel_resource_new(struct vaccel_resource **res, const char *path,
			vaccel_resource_type_t type);
int vaccel_resource_multi_new(struct vaccel_resource **res, const char **paths,
			      size_t nr_paths, vaccel_resource_type_t type);
int vaccel_resource_from_buf(struct vaccel_resource **res, const void *buf,
			     size_t nr_bytes, vaccel_resource_type_t type,
			     const char *filename, bool mem_only);
int vaccel_resource_from_blobs(struct vaccel_resource **res,
			       const struct vaccel_blob **blobs,
			       size_t nr_blobs, vaccel_resource_type_t type);
int vaccel_resource_delete(struct vaccel_resource *res);
int vaccel_resource_register(struct vaccel_resource *res,
			     struct vaccel_session *sess);
int vaccel_resource_unregister(struct vaccel_resource *res,
			       struct vaccel_session *sess);
int vaccel_resource_sync(struct vaccel_resource *res,
			 struct vaccel_session *sess);
int vaccel_resource_directory(struct vaccel_resource *res, char *out_path,
			      size_t out_path_size, char **alloc_path);

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_RESOURCE_H */
