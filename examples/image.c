/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image operation examples.
 *
 * This one source builds ten programs:
 *   classify, detect, segment, pose, depth            (direct entry points)
 *   classify_generic, ..., depth_generic               (through vaccel_genop)
 * selected at compile time with
 *   -DIMAGE_KIND_<op>      op = classify | detect | segment | pose | depth
 *   -DUSE_GENOP            for the *_generic variants
 *   -DEXAMPLE_NAME='"..."' program name (used as the profiling region name)
 *
 * Usage: <prog> <image_file> [iterations] [model_path]
 */
#include "common.h"
#include "utils/fs.h"
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <vaccel.h>

#if defined(IMAGE_KIND_classify)
#define IMAGE_OP_TYPE VACCEL_OP_IMAGE_CLASSIFY
#define IMAGE_OUT_LABEL "classification"
#define IMAGE_HAS_TEXT 1
#elif defined(IMAGE_KIND_detect)
#define IMAGE_OP_TYPE VACCEL_OP_IMAGE_DETECT
#define IMAGE_OUT_LABEL "detection"
#elif defined(IMAGE_KIND_segment)
#define IMAGE_OP_TYPE VACCEL_OP_IMAGE_SEGMENT
#define IMAGE_OUT_LABEL "segmentation"
#elif defined(IMAGE_KIND_pose)
#define IMAGE_OP_TYPE VACCEL_OP_IMAGE_POSE
#define IMAGE_OUT_LABEL "pose estimation"
#elif defined(IMAGE_KIND_depth)
#define IMAGE_OP_TYPE VACCEL_OP_IMAGE_DEPTH
#define IMAGE_OUT_LABEL "depth estimation"
#else
#error "define one of IMAGE_KIND_{classify,detect,segment,pose,depth}"
#endif

#ifndef IMAGE_HAS_TEXT
#define IMAGE_HAS_TEXT 0
#endif

#ifndef EXAMPLE_NAME
#define EXAMPLE_NAME "image"
#endif

enum { OUT_LEN = 512 };

struct image_op {
	struct vaccel_session *sess;
	void *image;
	size_t image_size;
	unsigned char out_imgname[OUT_LEN];
#if IMAGE_HAS_TEXT
	unsigned char out_text[OUT_LEN];
#endif
#ifdef USE_GENOP
	uint8_t op_type;
	struct vaccel_arg_array read;
	struct vaccel_arg_array write;
	bool args_initialized;
#endif
};

#ifdef USE_GENOP
/*
 * genop layout (spec §16.2/§16.3):
 *   read  = [UINT8 op type (size 1), BUFFER image]
 *   write = [UCHAR_ARRAY out_imgname, (classify only) UCHAR_ARRAY out_text]
 */
static int image_op_args_init(struct image_op *op)
{
	int ret;

	op->op_type = (uint8_t)IMAGE_OP_TYPE;

	ret = vaccel_arg_array_init(&op->read, 2);
	if (ret != VACCEL_OK)
		return ret;

	ret = vaccel_arg_array_init(&op->write, 2);
	if (ret != VACCEL_OK) {
		vaccel_arg_array_release(&op->read);
		return ret;
	}
	op->args_initialized = true;

	ret = vaccel_arg_array_add_uint8(&op->read, &op->op_type);
	if (ret != VACCEL_OK)
		return ret;
	ret = vaccel_arg_array_add_buffer(&op->read, op->image,
					  op->image_size);
	if (ret != VACCEL_OK)
		return ret;

	ret = vaccel_arg_array_add_uchar_array(&op->write, op->out_imgname,
					       sizeof(op->out_imgname));
	if (ret != VACCEL_OK)
		return ret;
#if IMAGE_HAS_TEXT
	ret = vaccel_arg_array_add_uchar_array(&op->write, op->out_text,
					       sizeof(op->out_text));
#endif
	return ret;
}

static void image_op_args_release(struct image_op *op)
{
	if (!op->args_initialized)
		return;
	vaccel_arg_array_release(&op->read);
	vaccel_arg_array_release(&op->write);
	op->args_initialized = false;
}

static int image_op_run(struct image_op *op)
{
	return vaccel_genop(op->sess, op->read.args, (int)op->read.count,
			    op->write.args, (int)op->write.count);
}
#else
static int image_op_args_init(struct image_op *op)
{
	(void)op;
	return VACCEL_OK;
}

static void image_op_args_release(struct image_op *op)
{
	(void)op;
}

static int image_op_run(struct image_op *op)
{
#if defined(IMAGE_KIND_classify)
	return vaccel_image_classification(
		op->sess, op->image, op->out_text, op->out_imgname,
		op->image_size, sizeof(op->out_text), sizeof(op->out_imgname));
#elif defined(IMAGE_KIND_detect)
	return vaccel_image_detection(op->sess, op->image, op->out_imgname,
				      op->image_size, sizeof(op->out_imgname));
#elif defined(IMAGE_KIND_segment)
	return vaccel_image_segmentation(op->sess, op->image, op->out_imgname,
					 op->image_size,
					 sizeof(op->out_imgname));
#elif defined(IMAGE_KIND_pose)
	return vaccel_image_pose(op->sess, op->image, op->out_imgname,
				 op->image_size, sizeof(op->out_imgname));
#elif defined(IMAGE_KIND_depth)
	return vaccel_image_depth(op->sess, op->image, op->out_imgname,
				  op->image_size, sizeof(op->out_imgname));
#endif
}
#endif /* USE_GENOP */

static void usage(const char *prog)
{
	fprintf(stderr, "Usage: %s <image_file> [iterations] [model_path]\n",
		prog);
}

int main(int argc, char *argv[])
{
	int ret;
	int iterations = 1;
	bool registered = false;
	struct vaccel_session sess = { .id = 0 };
	struct vaccel_resource model = { .id = 0 };
	struct vaccel_prof_region stats = VACCEL_PROF_REGION_INIT(EXAMPLE_NAME);
	static struct image_op op;

	if (argc < 2 || argc > 4) {
		usage(argv[0]);
		return VACCEL_EINVAL;
	}
	if (argc > 2 && parse_iterations(argv[2], &iterations) != 0) {
		fprintf(stderr, "Invalid number of iterations: %s\n", argv[2]);
		usage(argv[0]);
		return VACCEL_EINVAL;
	}

	ret = vaccel_session_init(&sess, 0);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not initialize session\n");
		return ret;
	}

	printf("Initialized session with id: %" PRId64 "\n", sess.id);

	if (argc == 4) {
		ret = vaccel_resource_init(&model, argv[3],
					   VACCEL_RESOURCE_MODEL);
		if (ret != VACCEL_OK) {
			fprintf(stderr, "Could not create model resource\n");
			goto release_session;
		}

		ret = vaccel_resource_register(&model, &sess);
		if (ret != VACCEL_OK) {
			fprintf(stderr, "Could not register model resource\n");
			goto release_resource;
		}
		registered = true;
	}

	op.sess = &sess;
	ret = fs_file_read(argv[1], &op.image, &op.image_size);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not read image %s\n", argv[1]);
		goto unregister_resource;
	}

	ret = image_op_args_init(&op);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not set up operation arguments\n");
		goto free_args;
	}

	for (int i = 0; i < iterations; i++) {
		vaccel_prof_region_start(&stats);
		ret = image_op_run(&op);
		vaccel_prof_region_stop(&stats);
		if (ret != VACCEL_OK) {
			fprintf(stderr, "Could not run op: %d\n", ret);
			goto free_args;
		}
	}

	/* never trust a plugin to NUL-terminate */
	op.out_imgname[OUT_LEN - 1] = '\0';
#if IMAGE_HAS_TEXT
	op.out_text[OUT_LEN - 1] = '\0';
	printf(IMAGE_OUT_LABEL " tags: %s\n", (const char *)op.out_text);
#endif
	printf(IMAGE_OUT_LABEL " imagename: %s\n",
	       (const char *)op.out_imgname);

	vaccel_prof_region_print(&stats);

free_args:
	image_op_args_release(&op);
	free(op.image);
	op.image = NULL;
unregister_resource:
	if (registered)
		keep_first_error(&ret, vaccel_resource_unregister(&model, &sess),
				 "Could not unregister model resource");
release_resource:
	if (model.id > 0)
		keep_first_error(&ret, vaccel_resource_release(&model),
				 "Could not release model resource");
release_session:
	keep_first_error(&ret, vaccel_session_release(&sess),
			 "Could not release session");
	vaccel_prof_region_release(&stats);
	return ret;
}
