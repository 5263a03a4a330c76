// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_OPS_FPGA_H
#define VACCEL_OPS_FPGA_H

#include <stddef.h>
#include <stdint.h>
#include "../arg.h"
#include "../session.h"

#ifdef __cplusplus
extern "C" {
#endif

__attribute__((deprecated("will be removed in a future release")))
int vaccel_fpga_arraycopy(struct vaccel_session *sess, int a[], int out_a[],
			  size_t len_a);
__attribute__((deprecated("will be removed in a future release")))
int vaccel_fpga_mmult(struct vaccel_session *sess, float a[], float b[],
		      float c[], size_t len_a);
__attribute__((deprecated("will be removed in a future release")))
int vaccel_fpga_parallel(struct vaccel_session *sess, float a[], float b[],
			 float add_output[], float mult_output[],
			 size_t len_a);
__attribute__((deprecated("will be removed in a future release")))
int vaccel_fpga_vadd(struct vaccel_session *sess, float a[], float b[],
		     float c[], size_t len_a, size_t len_b);

/* genop callbacks */
int vaccel_fpga_arraycopy_unpack(struct vaccel_session *sess,
				 struct vaccel_arg *read, int nr_read,
				 struct vaccel_arg *write, int nr_write);
int vaccel_fpga_mmult_unpack(struct vaccel_session *sess,
			     struct vaccel_arg *read, int nr_read,
			     struct vaccel_arg *write, int nr_write);
int vaccel_fpga_parallel_unpack(struct vaccel_session *sess,
				struct vaccel_arg *read, int nr_read,
				struct vaccel_arg *write, int nr_write);
int vaccel_fpga_vadd_unpack(struct vaccel_session *sess,
			    struct vaccel_arg *read, int nr_read,
			    struct vaccel_arg *write, int nr_write);

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_OPS_FPGA_H */
