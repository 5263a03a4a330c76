/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Input/output helpers shared by tf_inference, tflite_inference and
 * torch_inference (implemented in inference_common.c).
 */
#ifndef VACCEL_EXAMPLES_INFERENCE_COMMON_H
#define VACCEL_EXAMPLES_INFERENCE_COMMON_H

#include <stdbool.h>
#include <stddef.h>

enum {
	INFERENCE_IMG_DIM = 224,
	INFERENCE_IMG_CHANNELS = 3,
	INFERENCE_NR_ELEMS =
		INFERENCE_IMG_DIM * INFERENCE_IMG_DIM * INFERENCE_IMG_CHANNELS,
};

/*
 * Allocate (malloc) and fill a float input tensor of 1x224x224x3
 * (`channels_first` false) or 1x3x224x224 (`channels_first` true) elements.
 * Built with USE_STB_IMAGE it is the normalised image from `image_path`;
 * otherwise it prints "Warning: STB not found; will generate random input"
 * to stderr and fills the tensor with random values in [0, 1].
 * Returns a vAccel error code; on success the caller frees `*data`.
 */
int inference_input_new(const char *image_path, bool channels_first,
			float **data, size_t *size);

/*
 * Built with USE_STB_IMAGE: print "Prediction: <label>" where <label> is the
 * line of `labels_path` indexed by the arg-max of `out`. Otherwise a no-op.
 */
int inference_print_prediction(const char *labels_path, const float *out,
			       size_t nr_out);

#endif /* VACCEL_EXAMPLES_INFERENCE_COMMON_H */
