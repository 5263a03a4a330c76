/* SPDX-License-Identifier: Apache-2.0 */
/*
 * torch_inference: PyTorch (TorchScript) inference through vAccel.
 *
 * Creates a MODEL resource from <model_file> (before the session),
 * registers it, loads the model and runs it with one 1x3x224x224 float
 * input and one output.
 *
 * Usage: torch_inference <image_file> <model_file> <labels_file> [iterations]
 */
#include "common.h"
#include "inference_common.h"
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <vaccel.h>

int main(int argc, char *argv[])
{
	int ret;
	int iterations = 1;
	bool registered = false;
	float *input_data = NULL;
	size_t input_size = 0;
	const int64_t dims[] = { 1, INFERENCE_IMG_CHANNELS, INFERENCE_IMG_DIM,
				 INFERENCE_IMG_DIM };
	struct vaccel_session sess = { .id = 0 };
	struct vaccel_resource model = { .id = 0 };
	struct vaccel_torch_tensor *in = NULL;
	struct vaccel_torch_tensor *out = NULL;

	if (argc < 4 || argc > 5 ||
	    (argc == 5 && parse_iterations(argv[4], &iterations) != 0)) {
		fprintf(stderr,
			"Usage: %s <image_file> <model_file> <labels_file> [iterations]\n",
			argv[0]);
		return VACCEL_EINVAL;
	}

	ret = inference_input_new(argv[1], true, &input_data, &input_size);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not prepare input\n");
		return ret;
	}

	ret = vaccel_resource_init(&model, argv[2], VACCEL_RESOURCE_MODEL);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not create model resource\n");
		goto free_input;
	}
	printf("Initialized model resource %" PRId64 "\n", model.id);

	ret = vaccel_session_init(&sess, 0);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not initialize vAccel session\n");
		goto release_resource;
	}
	printf("Initialized vAccel session %" PRId64 "\n", sess.id);

	ret = vaccel_resource_register(&model, &sess);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not register model with session\n");
		goto release_session;
	}
	registered = true;

	ret = vaccel_torch_model_load(&sess, &model);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not load model\n");
		goto release_tensors;
	}

	ret = vaccel_torch_tensor_new(&in, 4, dims, VACCEL_TORCH_FLOAT);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not create input tensor\n");
		goto release_tensors;
	}
	ret = vaccel_torch_tensor_set_data(in, input_data, input_size);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not set input tensor data\n");
		goto release_tensors;
	}

	for (int i = 0; i < iterations; i++) {
		if (out != NULL) {
			vaccel_torch_tensor_delete(out);
			out = NULL;
		}
		ret = vaccel_torch_model_run(&sess, &model, NULL, &in, 1, &out,
					     1);
		if (ret != VACCEL_OK) {
			fprintf(stderr, "Could not run model: %d\n", ret);
			goto release_tensors;
		}
	}

	printf("Success!\n");
	printf("Result Tensor :\n");
	if (out == NULL) {
		fprintf(stderr, "No output tensor\n");
		ret = VACCEL_EINVAL;
		goto release_tensors;
	}
	printf("Output tensor => type:%d nr_dims:%" PRId64 " size:%zuB\n",
	       (int)out->data_type, out->nr_dims, out->size);

	ret = inference_print_prediction(argv[3], out->data,
					 out->size / sizeof(float));

release_tensors:
	if (out != NULL)
		vaccel_torch_tensor_delete(out);
	if (in != NULL)
		vaccel_torch_tensor_delete(in);
	if (registered)
		keep_first_error(&ret, vaccel_resource_unregister(&model, &sess),
				 "Could not unregister model resource");
release_session:
	keep_first_error(&ret, vaccel_session_release(&sess),
			 "Could not release session");
release_resource:
	keep_first_error(&ret, vaccel_resource_release(&model),
			 "Could not release model resource");
free_input:
	free(input_data);
	return ret;
}
