// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_OPS_IMAGE_H
#define VACCEL_OPS_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "../arg.h"
#include "../session.h"
#include "../op.h"

#ifdef __cplusplus
extern "C" {
#endif

int vaccel_image_classification(struct vaccel_session *sess, const void *img,
				unsigned char *out_text,
				unsigned char *out_imgname, size_t len_img,
				size_t len_out_text, size_t len_out_imgname);
int vaccel_image_detection(struct vaccel_session *sess, const void *img,
			   unsigned char *out_imgname, size_t len_img,
			   size_t len_out_imgname);
int vaccel_image_segmentation(struct vaccel_session *sess, const void *img,
			      unsigned char *out_imgname, size_t len_img,
			      size_t len_out_imgname);
int vaccel_image_pose(struct vaccel_session *sess, const void *img,
		      unsigned char *out_imgname, size_t len_img,
		      size_t len_out_imgname);
int vaccel_image_depth(struct vaccel_session *sess, const void *img,
		       unsigned char *out_imgname, size_t len_img,
		       size_t len_out_imgname);

/* Common implementation of the image operations */
int vaccel_image_op(vaccel_op_type_t op_type, struct vaccel_session *sess,
		    const void *img, unsigned char *out_text,
		    unsigned char *out_imgname, size_t len_img,
		    size_t len_out_text, size_t len_out_imgname);

/* genop callbacks */
int vaccel_image_op_unpack(vaccel_op_type_t op_type,
			   struct vaccel_session *sess, struct vaccel_arg *read,
			   int nr_read, int nr_read_req,
			   struct vaccel_arg *write, int nr_write,
			   int nr_write_req);
int vaccel_image_classification_unpack(struct vaccel_session *sess,
				       struct vaccel_arg *read, int nr_read,
				       struct vaccel_arg *write, int nr_write);
int vaccel_image_detection_unpack(struct vaccel_session *sess,
				  struct vaccel_arg *read, int nr_read,
				  struct vaccel_arg *write, int nr_write);
int vaccel_image_segmentation_unpack(struct vaccel_session *sess,
				     struct vaccel_arg *read, int nr_read,
				     struct vaccel_arg *write, int nr_write);
int vaccel_image_pose_unpack(struct vaccel_session *sess,
			     struct vaccel_arg *read, int nr_read,
			     struct vaccel_arg *write, int nr_write);
int vaccel_image_depth_unpack(struct vaccel_session *sess,
			      struct vaccel_arg *read, int nr_read,
			      struct vaccel_arg *write, int nr_write);

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_OPS_IMAGE_H */
