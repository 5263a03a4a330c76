// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_BLOB_H
#define VACCEL_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "utils/enum.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Blob types */
#define VACCEL_BLOB_TYPE_ENUM_LIST(ITEM, prefix) \
	ITEM(FILE, 0, prefix)                    \
	ITEM(BUFFER, 1, prefix)                  \
	ITEM(MAPPED, 2, prefix)

VACCEL_ENUM_DEF_WITH_STR_FUNCS(vaccel_blob_type, VACCEL_BLOB,
			       VACCEL_BLOB_TYPE_ENUM_LIST)

/* A file or in-memory buffer */
struct vaccel_blob {
	/* Blob type (VACCEL_BLOB_MAX after release) */
	vaccel_blob_type_t type;

	/* File base name (owned) */
	char *name;

	/* Absolute or given path; NULL for buffers */
	char *path;

	/* The file at `path` is removed on release */
	bool path_owned;

	/* Contents; NULL until read */
	uint8_t *data;

	/* `data` is freed (BUFFER) or unmapped (MAPPED) on release */
	bool data_owned;

	/* Size of `data` in bytes */
	size_t size;
};

int vaccel_blob_persist(struct vaccel_blob *blob, const char *dir,
			const char *filename, bool randomize);
int vaccel_blob_init(struct vaccel_blob *blob, const char *path);
int vaccel_blob_init_from_buf(struct vaccel_blob *blob, const uint8_t *buf,
			      size_t size, bool own, const char *filename,
			      const char *dir, bool randomize);
int vaccel_blob_release(struct vaccel_blob *blob);
int vaccel_blob_new(struct vaccel_blob **blob, const char *path);
int vaccel_blob_from_buf(struct vaccel_blob **blob, const uint8_t *buf,
			 size_t size, bool own, const char *filename,
			 const char *dir, bool randomize);
int vaccel_blob_delete(struct vaccel_blob *blob);
int vaccel_blob_read(struct vaccel_blob *blob);
uint8_t *vaccel_blob_data(struct vaccel_blob *blob, size_t *size);
const char *vaccel_blob_path(struct vaccel_blob *blob);
bool vaccel_blob_valid(const struct vaccel_blob *blob);

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_BLOB_H */
