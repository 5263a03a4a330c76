// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_OPS_MINMAX_H
#define VACCEL_OPS_MINMAX_H

#include <stddef.h>
#include <stdint.h>
#include "../arg.h"
#include "../session.h"

#ifdef __cplusplus
extern "C" {
#endif

__attribute__((deprecated("will be removed in a future release")))
int vaccel_minmax(struct vaccel_session *sess, const double *indata,
		  int ndata, int low_threshold, int high_threshold,
		  double *outdata, double *min, double *max);

/* genop callback */
int vaccel_minmax_unpack(struct vaccel_session *sess, struct vaccel_arg *read,
			 int nr_read, struct vaccel_arg *write, int nr_write);

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_OPS_MINMAX_H */
