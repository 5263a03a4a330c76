// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_OPS_BLAS_H
#define VACCEL_OPS_BLAS_H

#include <stddef.h>
#include <stdint.h>
#include "../arg.h"
#include "../session.h"

#ifdef __cplusplus
extern "C" {
#endif

int vaccel_sgemm(struct vaccel_session *sess, int64_t m, int64_t n, int64_t k,
		 float alpha, float *a, int64_t lda, float *b, int64_t ldb,
		 float beta, float *c, int64_t ldc);

/* genop callback */
int vaccel_sgemm_unpack(struct vaccel_session *sess, struct vaccel_arg *read,
			int nr_read, struct vaccel_arg *write, int nr_write);

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_OPS_BLAS_H */
