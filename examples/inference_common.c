/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the inference examples; see inference_common.h.
 */
#include "inference_common.h"
#include "utils/fs.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vaccel.h>

#ifdef USE_STB_IMAGE
#define STB_IMAGE_IMPLEMENTATION
#include "stb/stb_image.h"

static int load_image(const char *image_path, bool channels_first,
		      float *data)
{
	static const float mean[INFERENCE_IMG_CHANNELS] = { 0.485F, 0.456F,
							    0.406F };
	static const float std[INFERENCE_IMG_CHANNELS] = { 0.229F, 0.224F,
							   0.225F };
	const int dim = INFERENCE_IMG_DIM;
	const int ch = INFERENCE_IMG_CHANNELS;
	int width;
	int height;
	int orig_ch;
	unsigned char *img;

	img = stbi_load(image_path, &width, &height, &orig_ch, ch);
	if (img == NULL) {
		fprintf(stderr, "Could not load image %s: %s\n", image_path,
			stbi_failure_reason());
		return VACCEL_EINVAL;
	}

	/* nearest-neighbour resize to dim x dim, ImageNet normalisation */
	for (int y = 0; y < dim; y++) {
		int sy = (int)((int64_t)y * height / dim);
		for (int x = 0; x < dim; x++) {
			int sx = (int)((int64_t)x * width / dim);
			const unsigned char *px =
				&img[((size_t)sy * (size_t)width + (size_t)sx) *
				     (size_t)ch];
			for (int c = 0; c < ch; c++) {
				float v = (float)px[c] / 255.0F;
				size_t idx =
					channels_first ?
						((size_t)c * dim + y) * dim + x :
						((size_t)y * dim + x) * ch + c;
				data[idx] = (v - mean[c]) / std[c];
			}
		}
	}

	stbi_image_free(img);
	return VACCEL_OK;
}
#endif /* USE_STB_IMAGE */

int inference_input_new(const char *image_path, bool channels_first,
			float **data, size_t *size)
{
	const size_t nr = INFERENCE_NR_ELEMS;
	float *buf;

	if (image_path == NULL || data == NULL || size == NULL)
		return VACCEL_EINVAL;

	buf = malloc(nr * sizeof(*buf));
	if (buf == NULL)
		return VACCEL_ENOMEM;

#ifdef USE_STB_IMAGE
	int ret = load_image(image_path, channels_first, buf);
	if (ret != VACCEL_OK) {
		free(buf);
		return ret;
	}
#else
	(void)channels_first;
	fprintf(stderr, "Warning: STB not found; will generate random input\n");
	for (size_t i = 0; i < nr; i++)
		buf[i] = (float)rand() / (float)RAND_MAX;
#endif

	*data = buf;
	*size = nr * sizeof(*buf);
	return VACCEL_OK;
}

#ifdef USE_STB_IMAGE
int inference_print_prediction(const char *labels_path, const float *out,
			       size_t nr_out)
{
	void *buf = NULL;
	size_t size = 0;
	char *text;
	char **labels = NULL;
	size_t nr_labels = 0;
	size_t best = 0;
	size_t n;
	int ret;

	if (labels_path == NULL || out == NULL || nr_out == 0)
		return VACCEL_EINVAL;

	ret = fs_file_read(labels_path, &buf, &size);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not read labels file %s\n", labels_path);
		return ret;
	}

	text = malloc(size + 1);
	if (text == NULL) {
		free(buf);
		return VACCEL_ENOMEM;
	}
	memcpy(text, buf, size);
	text[size] = '\0';
	free(buf);

	/* one label per line */
	for (size_t i = 0; i < size; i++)
		if (text[i] == '\n')
			nr_labels++;
	if (size > 0 && text[size - 1] != '\n')
		nr_labels++;

	labels = calloc(nr_labels ? nr_labels : 1, sizeof(*labels));
	if (labels == NULL) {
		free(text);
		return VACCEL_ENOMEM;
	}
	n = 0;
	for (char *line = text; n < nr_labels && *line != '\0'; n++) {
		char *nl = strchr(line, '\n');
		labels[n] = line;
		if (nl == NULL)
			break;
		*nl = '\0';
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		line = nl + 1;
	}

	n = nr_out < nr_labels ? nr_out : nr_labels;
	if (n == 0) {
		fprintf(stderr, "No labels in %s\n", labels_path);
		ret = VACCEL_EINVAL;
	} else {
		for (size_t i = 1; i < n; i++)
			if (out[i] > out[best])
				best = i;
		printf("Prediction: %s\n", labels[best] ? labels[best] : "");
	}

	free(labels);
	free(text);
	return ret;
}
#else
int inference_print_prediction(const char *labels_path, const float *out,
			       size_t nr_out)
{
	(void)labels_path;
	(void)out;
	(void)nr_out;
	return VACCEL_OK;
}
#endif /* USE_STB_IMAGE */
