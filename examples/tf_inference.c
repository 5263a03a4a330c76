/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tf_inference: TensorFlow SavedModel inference through vAccel.
 *
 * Creates a MODEL resource from <model_dir> (before the session), registers
 * it, loads the model, runs it with one 1x224x224x3 float input on node
 * `serving_default_data` (id 0) and one output from node `PartitionedCall`
 * (id 0), then unloads it, printing the three TF statuses.
 *
 * Usage: tf_inference <image_file> <model_dir> <labels_file> [iterations
 *                     [<in_node> <out_node> <dims>]]
 *
 * The optional trailing arguments run a model with other node names (output
 * index 0 of each) and a float input of other dims (comma-separated, e.g.
 * `1,30` for the lstm2 SavedModel: serving_default_input_1,
 * StatefulPartitionedCall). An input that is not 224x224x3 holds k % 20 for
 * element k; the first output values are then printed as well.
 */
#include "common.h"
#include "inference_common.h"
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vaccel.h>

enum { MAX_DIMS = 8 };

/* "1,30" -> {1, 30}; the number of dims, or -1 if malformed. */
static int parse_dims(const char *text, int64_t *dims)
{
	int n = 0;
	const char *p = text;

	while (*p != '\0') {
		char *end;
		long long v = strtoll(p, &end, 10);

		if (end == p || v < 1 || n == MAX_DIMS)
			return -1;
		dims[n++] = (int64_t)v;
		if (*end == ',')
			end++;
		else if (*end != '\0')
			return -1;
		p = end;
	}
	return n;
}

static void print_status(const char *what,
			 const struct vaccel_tf_status *status)
{
	printf("Session %s status => code:%u message:%s\n", what,
	       (unsigned int)status->code,
	       status->message ? status->message : "(null)");
}

/* Release a status only once a plugin has filled it in */
static void status_clear(struct vaccel_tf_status *status)
{
	if (status->message != NULL)
		vaccel_tf_status_release(status);
	status->code = 0;
	status->message = NULL;
}

int main(int argc, char *argv[])
{
	int ret;
	int iterations = 1;
	bool registered = false;
	bool loaded = false;
	float *input_data = NULL;
	size_t input_size = 0;
	int64_t dims[MAX_DIMS] = { 1, INFERENCE_IMG_DIM, INFERENCE_IMG_DIM,
				   INFERENCE_IMG_CHANNELS };
	int nr_dims = 4;
	const char *in_name = "serving_default_data";
	const char *out_name = "PartitionedCall";
	bool custom = false;
	struct vaccel_session sess = { .id = 0 };
	struct vaccel_resource model = { .id = 0 };
	struct vaccel_tf_status status = { .code = 0, .message = NULL };
	struct vaccel_tf_node in_node = { .name = NULL, .id = -1 };
	struct vaccel_tf_node out_node = { .name = NULL, .id = -1 };
	struct vaccel_tf_tensor *in = NULL;
	struct vaccel_tf_tensor *out = NULL;

	if (argc == 8) {
		custom = true;
		in_name = argv[5];
		out_name = argv[6];
		nr_dims = parse_dims(argv[7], dims);
	}
	if (argc < 4 || argc == 6 || argc == 7 || argc > 8 || nr_dims < 1 ||
	    (argc >= 5 && parse_iterations(argv[4], &iterations) != 0)) {
		fprintf(stderr,
			"Usage: %s <image_file> <model_dir> <labels_file> [iterations [<in_node> <out_node> <dims>]]\n",
			argv[0]);
		return VACCEL_EINVAL;
	}

	size_t nr_elems = 1;
	for (int d = 0; d < nr_dims; d++)
		nr_elems *= (size_t)dims[d];
	if (nr_elems == INFERENCE_NR_ELEMS) {
		ret = inference_input_new(argv[1], false, &input_data,
					  &input_size);
		if (ret != VACCEL_OK) {
			fprintf(stderr, "Could not prepare input\n");
			return ret;
		}
	} else {
		input_data = malloc(nr_elems * sizeof(*input_data));
		if (input_data == NULL)
			return VACCEL_ENOMEM;
		for (size_t k = 0; k < nr_elems; k++)
			input_data[k] = (float)(k % 20);
		input_size = nr_elems * sizeof(*input_data);
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

	ret = vaccel_tf_model_load(&sess, &model, &status);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not load model\n");
		goto release_status;
	}
	loaded = true;
	print_status("load", &status);
	status_clear(&status);

	if ((ret = vaccel_tf_node_init(&in_node, in_name, 0)) ||
	    (ret = vaccel_tf_node_init(&out_node, out_name, 0))) {
		fprintf(stderr, "Could not initialize graph nodes\n");
		goto release_tensors;
	}

	ret = vaccel_tf_tensor_new(&in, nr_dims, dims, VACCEL_TF_FLOAT);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not create input tensor\n");
		goto release_tensors;
	}
	ret = vaccel_tf_tensor_set_data(in, input_data, input_size);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not set input tensor data\n");
		goto release_tensors;
	}

	for (int i = 0; i < iterations; i++) {
		if (out != NULL) {
			vaccel_tf_tensor_delete(out);
			out = NULL;
		}
		status_clear(&status);

		ret = vaccel_tf_model_run(&sess, &model, NULL, &in_node, &in,
					  1, &out_node, &out, 1, &status);
		if (ret != VACCEL_OK) {
			fprintf(stderr, "Could not run model: %d\n", ret);
			goto release_tensors;
		}
	}
	print_status("run", &status);
	status_clear(&status);

	printf("Success!\n");
	if (out == NULL) {
		fprintf(stderr, "No output tensor\n");
		ret = VACCEL_EINVAL;
		goto release_tensors;
	}
	printf("Output tensor => type:%d nr_dims:%d size:%zuB\n",
	       (int)out->data_type, out->nr_dims, out->size);
	if (custom && out->data_type == VACCEL_TF_FLOAT) {
		const float *v = out->data;
		size_t n = out->size / sizeof(float);

		printf("Output values:");
		for (size_t k = 0; k < n && k < 4; k++)
			printf(" %.8g", (double)v[k]);
		printf("\n");
	}

	ret = inference_print_prediction(argv[3], out->data,
					 out->size / sizeof(float));

release_tensors:
	if (out != NULL)
		vaccel_tf_tensor_delete(out);
	if (in != NULL)
		vaccel_tf_tensor_delete(in);
	if (out_node.name != NULL)
		vaccel_tf_node_release(&out_node);
	if (in_node.name != NULL)
		vaccel_tf_node_release(&in_node);
release_status:
	status_clear(&status);
	if (loaded) {
		int ret2 = vaccel_tf_model_unload(&sess, &model, &status);
		if (ret2 == VACCEL_OK)
			print_status("delete", &status);
		keep_first_error(&ret, ret2, "Could not unload model");
		status_clear(&status);
	}
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
