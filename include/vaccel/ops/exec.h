// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_OPS_EXEC_H
#define VACCEL_OPS_EXEC_H

#include <stddef.h>
#include <stdint.h>
#include "../arg.h"
#include "../session.h"
#include "../resource.h"

#ifdef __cplusplus
extern "C" {
#endif

int vaccel_exec(struct vaccel_session *sess, const char *library,
		const char *fn_symbol, struct vaccel_arg *read, size_t nr_read,
		struct vaccel_arg *write, size_t nr_write);
int vaccel_exec_with_resource(struct vaccel_session *sess,
			      struct vaccel_resource *resource,
			      const char *fn_symbol, struct vaccel_arg *read,
			      size_t nr_read, struct vaccel_arg *write,
			      size_t nr_write);

/* genop callbacks */
int vaccel_exec_unpack(struct vaccel_session *sess, struct vaccel_arg *read,
		       int nr_read, struct vaccel_arg *write, int nr_write);
int vaccel_exec_with_res_unpack(struct vaccel_session *sess,
				struct vaccel_arg *read, int nr_read,
				struct vaccel_arg *write, int nr_write);

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_OPS_EXEC_H */
