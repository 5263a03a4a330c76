// SPDX-License-Identifier: Apache-2.0
//
// A client of the image ops with a caller-chosen output buffer size, for the CPU plugin's tests:
//
//   image_client <classify|detect|segment|pose|depth> <image> <buflen> [model|-] [out.pnm]
//
// Prints `rc <code>`, the text result between `--- text` and `--- end`, then `picture <bytes>`
// when the buffer carried the picture announced by the text's `image` line (written to out.pnm
// if given), `picture none` otherwise; then `no overrun` when the 64 bytes past the buffer are
// untouched (`overrun` otherwise).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utils/fs.h>
#include <vaccel.h>

int main(int argc, char *argv[])
{
	if (argc < 4 || argc > 6) {
		fprintf(stderr,
			"usage: %s <classify|detect|segment|pose|depth> <image> <buflen> [model|-] [out.pnm]\n",
			argv[0]);
		return 2;
	}
	const char *op = argv[1];
	size_t buflen = strtoull(argv[3], NULL, 10);
	void *img = NULL;
	size_t img_size = 0;
	if (fs_file_read(argv[2], &img, &img_size) != 0) {
		fprintf(stderr, "cannot read %s\n", argv[2]);
		return 2;
	}

	struct vaccel_session sess = { .id = 0 };
	struct vaccel_resource model = { .id = 0 };
	int ret = vaccel_session_init(&sess, 0);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "session init: %d\n", ret);
		return 1;
	}
	int with_model = argc > 4 && strcmp(argv[4], "-") != 0;
	if (with_model) {
		ret = vaccel_resource_init(&model, argv[4], VACCEL_RESOURCE_MODEL);
		if (ret == VACCEL_OK)
			ret = vaccel_resource_register(&model, &sess);
		if (ret != VACCEL_OK) {
			fprintf(stderr, "model resource: %d\n", ret);
			return 1;
		}
	}

	// One spare byte area past the buffer to catch overruns (checked below).
	enum { GUARD = 64 };
	unsigned char *out = malloc(buflen + GUARD);
	unsigned char name[64];
	memset(out, 0xAA, buflen + GUARD);
	memset(name, 0xAA, sizeof(name));

	if (strcmp(op, "classify") == 0)
		ret = vaccel_image_classification(&sess, img, out, name, img_size, buflen,
						  sizeof(name));
	else if (strcmp(op, "detect") == 0)
		ret = vaccel_image_detection(&sess, img, out, img_size, buflen);
	else if (strcmp(op, "segment") == 0)
		ret = vaccel_image_segmentation(&sess, img, out, img_size, buflen);
	else if (strcmp(op, "pose") == 0)
		ret = vaccel_image_pose(&sess, img, out, img_size, buflen);
	else if (strcmp(op, "depth") == 0)
		ret = vaccel_image_depth(&sess, img, out, img_size, buflen);
	else {
		fprintf(stderr, "unknown op %s\n", op);
		return 2;
	}
	printf("rc %d\n", ret);
	if (ret == VACCEL_OK && buflen > 0) {
		size_t text_len = strnlen((const char *)out, buflen);
		if (text_len == buflen) {
			printf("text not terminated\n");
			return 1;
		}
		printf("--- text\n%s--- end\n", (const char *)out);
		if (strcmp(op, "classify") == 0)
			printf("best %.*s\n", (int)strnlen((const char *)name, sizeof(name) - 1), name);
		char kind[3] = { 0 };
		unsigned w = 0, h = 0;
		size_t bytes = 0;
		size_t used = text_len + 1;
		if (sscanf((const char *)out, "image %2s %ux%u %zu", kind, &w, &h, &bytes) == 4 &&
		    text_len + 1 + bytes <= buflen) {
			const unsigned char *pic = out + text_len + 1;
			char magic[3] = { (char)pic[0], (char)pic[1], 0 };
			printf("picture %zu %s %s\n", bytes, magic,
			       strcmp(magic, kind) == 0 ? "magic ok" : "magic wrong");
			used += bytes;
			if (argc > 5) {
				FILE *f = fopen(argv[5], "wb");
				if (!f || fwrite(pic, 1, bytes, f) != bytes)
					return 1;
				fclose(f);
			}
		} else {
			printf("picture none\n");
		}
		int tail_ok = used <= buflen;
		for (size_t i = buflen; i < buflen + GUARD; i++)
			if (out[i] != 0xAA)
				tail_ok = 0;
		printf(tail_ok ? "no overrun\n" : "overrun\n");
	}

	if (with_model) {
		vaccel_resource_unregister(&model, &sess);
		vaccel_resource_release(&model);
	}
	vaccel_session_release(&sess);
	free(out);
	free(img);
	return ret == VACCEL_OK ? 0 : 3;
}
