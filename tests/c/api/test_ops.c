// SPDX-License-Identifier: Apache-2.0
/*
 * Operations through the noop plugin, directly and through vaccel_genop
 * (spec §15, §16, §18.1, §20 "ops", §21.1). Run with
 * VACCEL_PLUGINS=libvaccel-noop.so.
 */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#include "check.h"

#include <limits.h>
#include <utils/fs.h>
#include <vaccel.h>

#define DUMMY_TAG "This is a dummy classification tag!"
#define DUMMY_IMG "This is a dummy imgname!"

/* exported by libvaccel without a public prototype (spec §15.1) */
int vaccel_opencv(struct vaccel_session *sess, struct vaccel_arg *read,
		  int nr_read, struct vaccel_arg *write, int nr_write);

static struct vaccel_session sess = { .id = 0 };
static char data_dir[PATH_MAX];
static void *image;
static size_t image_size;

#define ARG(ptr, sz, t) \
	{ .buf = (void *)(ptr), .size = (sz), .type = (t), .owned = false }

static void test_noop(void)
{
	char *out;
	char want[64];

	capture_begin();
	CHECK_INT(vaccel_noop(&sess), VACCEL_OK);
	out = capture_end();
	snprintf(want, sizeof(want),
		 "session:%lld Looking for func implementing op noop\n",
		 (long long)sess.id);
	CHECK_HAS(out, want);
	CHECK_HAS(out, "Returning func for op noop from plugin noop\n");
	snprintf(want, sizeof(want), "[noop] Calling no-op for session %lld\n",
		 (long long)sess.id);
	CHECK_HAS(out, want);
	free(out);
	CHECK_INT(vaccel_noop(NULL), VACCEL_EINVAL);
}

enum { N = 512 };

static void test_sgemm(void)
{
	float *a = malloc(sizeof(float) * N * N);
	float *b = malloc(sizeof(float) * N * N);
	float *c = malloc(sizeof(float) * N * N);
	float *c0 = malloc(sizeof(float) * N * N);
	int64_t m = N, n = N, k = N, ld = N;
	float alpha = 32412.0f, beta = 2123.0f;

	CHECK(a && b && c && c0);
	if (!(a && b && c && c0))
		goto out;
	for (size_t i = 0; i < (size_t)N * N; i++) {
		a[i] = (float)(i % 17);
		b[i] = (float)(i % 13);
		c[i] = c0[i] = (float)(i % 7);
	}
	CHECK_INT(vaccel_sgemm(&sess, m, n, k, alpha, a, ld, b, ld, beta, c,
			       ld),
		  VACCEL_OK);
	/* noop leaves C unchanged */
	CHECK(memcmp(c, c0, sizeof(float) * N * N) == 0);
	CHECK_INT(vaccel_sgemm(NULL, m, n, k, alpha, a, ld, b, ld, beta, c,
			       ld),
		  VACCEL_EINVAL);

	/* through genop */
	{
		uint8_t op = VACCEL_OP_BLAS_SGEMM;
		size_t bytes = sizeof(float) * N * N;
		struct vaccel_arg read[] = {
			ARG(&op, 1, VACCEL_ARG_UINT8),
			ARG(&m, 8, VACCEL_ARG_INT64),
			ARG(&n, 8, VACCEL_ARG_INT64),
			ARG(&k, 8, VACCEL_ARG_INT64),
			ARG(&alpha, 4, VACCEL_ARG_FLOAT32),
			ARG(a, bytes, VACCEL_ARG_FLOAT32_ARRAY),
			ARG(&ld, 8, VACCEL_ARG_INT64),
			ARG(b, bytes, VACCEL_ARG_FLOAT32_ARRAY),
			ARG(&ld, 8, VACCEL_ARG_INT64),
			ARG(&beta, 4, VACCEL_ARG_FLOAT32),
			ARG(&ld, 8, VACCEL_ARG_INT64),
		};
		struct vaccel_arg write[] = {
			ARG(c, bytes, VACCEL_ARG_FLOAT32_ARRAY),
		};

		CHECK_INT(vaccel_genop(&sess, read, 11, write, 1), VACCEL_OK);
		CHECK(memcmp(c, c0, bytes) == 0);
		/* wrong count, wrong type */
		CHECK_INT(vaccel_genop(&sess, read, 10, write, 1),
			  VACCEL_EINVAL);
		CHECK_INT(vaccel_genop(&sess, read, 11, write, 0),
			  VACCEL_EINVAL);
		read[1].type = VACCEL_ARG_INT32;
		CHECK_INT(vaccel_genop(&sess, read, 11, write, 1),
			  VACCEL_EINVAL);
		read[1].type = VACCEL_ARG_INT64;
		read[4].size = 8;
		CHECK_INT(vaccel_genop(&sess, read, 11, write, 1),
			  VACCEL_EINVAL);
	}
out:
	free(a);
	free(b);
	free(c);
	free(c0);
}

typedef int (*image_fn)(struct vaccel_session *, const void *,
			unsigned char *, size_t, size_t);

static void test_image_direct(void)
{
	unsigned char text[512], name[512], small[5];
	const struct {
		image_fn fn;
		const char *what;
	} ops[] = {
		{ vaccel_image_detection, "detection" },
		{ vaccel_image_segmentation, "segmentation" },
		{ vaccel_image_pose, "pose" },
		{ vaccel_image_depth, "depth" },
	};
	char *out;
	char want[128];

	memset(text, 'x', sizeof(text));
	memset(name, 'x', sizeof(name));
	capture_begin();
	CHECK_INT(vaccel_image_classification(&sess, image, text, name,
					      image_size, sizeof(text),
					      sizeof(name)),
		  VACCEL_OK);
	out = capture_end();
	CHECK_STR(text, DUMMY_TAG);
	CHECK_STR(name, DUMMY_IMG);
	CHECK_HAS(out, "[noop] Calling Image classification for session");
	CHECK_HAS(out, "[noop] model: (null)\n");
	snprintf(want, sizeof(want), "[noop] len_img: %zu\n", image_size);
	CHECK_HAS(out, want);
	CHECK_HAS(out, "[noop] len_out_text: 512\n");
	CHECK_HAS(out, "[noop] len_out_imgname: 512\n");
	free(out);

	/* snprintf semantics */
	CHECK_INT(vaccel_image_classification(&sess, image, small, name,
					      image_size, sizeof(small),
					      sizeof(name)),
		  VACCEL_OK);
	CHECK_STR(small, "This");

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		memset(name, 'x', sizeof(name));
		printf("-- image %s\n", ops[i].what);
		capture_begin();
		CHECK_INT(ops[i].fn(&sess, image, name, image_size,
				    sizeof(name)),
			  VACCEL_OK);
		out = capture_end();
		CHECK_STR(name, DUMMY_IMG);
		snprintf(want, sizeof(want),
			 "[noop] Calling Image %s for session", ops[i].what);
		CHECK_HAS(out, want);
		free(out);
		CHECK_INT(ops[i].fn(&sess, image, small, image_size,
				    sizeof(small)),
			  VACCEL_OK);
		CHECK_STR(small, "This");
		/* argument errors come from the plugin */
		CHECK_INT(ops[i].fn(&sess, NULL, name, image_size,
				    sizeof(name)),
			  VACCEL_EINVAL);
		CHECK_INT(ops[i].fn(NULL, image, name, image_size,
				    sizeof(name)),
			  VACCEL_EINVAL);
	}
	capture_begin();
	CHECK_INT(vaccel_image_classification(&sess, NULL, text, name, 1,
					      sizeof(text), sizeof(name)),
		  VACCEL_EINVAL);
	out = capture_end();
	CHECK_HAS(out, "[noop] Invalid input arguments");
	free(out);
	CHECK_INT(vaccel_image_classification(NULL, image, text, name, 1,
					      sizeof(text), sizeof(name)),
		  VACCEL_EINVAL);

	/* the model of the session's first MODEL resource is logged */
	{
		struct vaccel_resource model = { .id = 0 };
		char path[PATH_MAX + 64];

		snprintf(path, sizeof(path), "%s/models/torch/cnn_trace.pt",
			 data_dir);
		CHECK_INT(vaccel_resource_init(&model, path,
					       VACCEL_RESOURCE_MODEL),
			  VACCEL_OK);
		CHECK_INT(vaccel_resource_register(&model, &sess), VACCEL_OK);
		capture_begin();
		CHECK_INT(vaccel_image_classification(&sess, image, text, name,
						      image_size, sizeof(text),
						      sizeof(name)),
			  VACCEL_OK);
		out = capture_end();
		snprintf(want, sizeof(want), "[noop] model: ");
		CHECK_HAS(out, want);
		CHECK_HAS(out, "cnn_trace.pt\n");
		free(out);
		CHECK_INT(vaccel_resource_release(&model), VACCEL_OK);
	}
}

static void test_image_genop(void)
{
	unsigned char text[512], name[512];
	const uint8_t ops[] = { VACCEL_OP_IMAGE_DETECT, VACCEL_OP_IMAGE_SEGMENT,
				VACCEL_OP_IMAGE_POSE, VACCEL_OP_IMAGE_DEPTH };
	uint8_t op = VACCEL_OP_IMAGE_CLASSIFY;
	struct vaccel_arg read[] = {
		ARG(&op, 1, VACCEL_ARG_UINT8),
		ARG(image, image_size, VACCEL_ARG_BUFFER),
	};
	/* imgname first, then text (spec §16.2) */
	struct vaccel_arg write[] = {
		ARG(name, sizeof(name), VACCEL_ARG_UCHAR_ARRAY),
		ARG(text, sizeof(text), VACCEL_ARG_UCHAR_ARRAY),
		ARG(text, sizeof(text), VACCEL_ARG_UCHAR_ARRAY),
	};
	char *out;

	memset(text, 'x', sizeof(text));
	memset(name, 'x', sizeof(name));
	capture_begin();
	CHECK_INT(vaccel_genop(&sess, read, 2, write, 2), VACCEL_OK);
	out = capture_end();
	CHECK_STR(text, DUMMY_TAG);
	CHECK_STR(name, DUMMY_IMG);
	CHECK_HAS(out, "Looking for func implementing op image_classify\n");
	CHECK_HAS(out, "[noop] len_out_text: 512\n");
	CHECK_HAS(out, "[noop] len_out_imgname: 512\n");
	free(out);

	/* wrong counts / types */
	CHECK_INT(vaccel_genop(&sess, read, 1, write, 2), VACCEL_EINVAL);
	CHECK_INT(vaccel_genop(&sess, read, 2, write, 3), VACCEL_EINVAL);
	CHECK_INT(vaccel_genop(&sess, read, 2, write, 0), VACCEL_EINVAL);
	read[1].type = VACCEL_ARG_RAW;
	CHECK_INT(vaccel_genop(&sess, read, 2, write, 2), VACCEL_EINVAL);
	read[1].type = VACCEL_ARG_BUFFER;
	write[0].type = VACCEL_ARG_CHAR_ARRAY;
	CHECK_INT(vaccel_genop(&sess, read, 2, write, 2), VACCEL_EINVAL);
	write[0].type = VACCEL_ARG_UCHAR_ARRAY;

	for (size_t i = 0; i < sizeof(ops); i++) {
		op = ops[i];
		memset(name, 'x', sizeof(name));
		printf("-- genop image op %u\n", op);
		CHECK_INT(vaccel_genop(&sess, read, 2, write, 1), VACCEL_OK);
		CHECK_STR(name, DUMMY_IMG);
		CHECK_INT(vaccel_genop(&sess, read, 2, write, 2),
			  VACCEL_EINVAL);
	}
}

/* --- classification without a text buffer (§15.4, §21.1) ----------- */

static int classify_no_text(void *arg)
{
	unsigned char name[512];
	int ret;

	(void)arg;
	memset(name, 'x', sizeof(name));
	ret = vaccel_image_classification(&sess, image, NULL, name, image_size,
					  0, sizeof(name));
	if (ret != VACCEL_OK)
		return 1;
	return strcmp((char *)name, DUMMY_IMG) == 0 ? 0 : 2;
}

static int classify_zero_len_text(void *arg)
{
	unsigned char text[16] = "untouched";
	unsigned char name[512];
	int ret;

	(void)arg;
	memset(name, 'x', sizeof(name));
	ret = vaccel_image_classification(&sess, image, text, name, image_size,
					  0, sizeof(name));
	if (ret != VACCEL_OK)
		return 1;
	if (strcmp((char *)text, "untouched") != 0)
		return 3;
	return strcmp((char *)name, DUMMY_IMG) == 0 ? 0 : 2;
}

static int classify_genop_one_write(void *arg)
{
	unsigned char name[512];
	uint8_t op = VACCEL_OP_IMAGE_CLASSIFY;
	struct vaccel_arg read[] = {
		ARG(&op, 1, VACCEL_ARG_UINT8),
		ARG(image, image_size, VACCEL_ARG_BUFFER),
	};
	struct vaccel_arg write[] = {
		ARG(name, sizeof(name), VACCEL_ARG_UCHAR_ARRAY),
	};

	(void)arg;
	memset(name, 'x', sizeof(name));
	if (vaccel_genop(&sess, read, 2, write, 1) != VACCEL_OK)
		return 1;
	return strcmp((char *)name, DUMMY_IMG) == 0 ? 0 : 2;
}

static void test_classify_without_text(void)
{
	/* exit status: 0 ok, 1 error returned, 2 imgname wrong, 139 crash */
	CHECK_INT(test_in_child(classify_no_text, NULL), 0);
	CHECK_INT(test_in_child(classify_zero_len_text, NULL), 0);
	CHECK_INT(test_in_child(classify_genop_one_write, NULL), 0);
}

static void test_genop_errors(void)
{
	uint8_t op8;
	uint32_t op32 = VACCEL_OP_IMAGE_CLASSIFY;
	struct vaccel_arg read[2] = {
		ARG(&op8, 1, VACCEL_ARG_UINT8),
		ARG(image, image_size, VACCEL_ARG_BUFFER),
	};
	char *out;

	capture_begin();
	CHECK_INT(vaccel_genop(&sess, read, 0, NULL, 0), VACCEL_EINVAL);
	out = capture_end();
	CHECK_HAS(out, "Missing operation type");
	free(out);
	CHECK_INT(vaccel_genop(&sess, NULL, 0, NULL, 0), VACCEL_EINVAL);

	/* the op type must be a 1-byte UINT8 */
	{
		struct vaccel_arg r32[] = {
			ARG(&op32, 4, VACCEL_ARG_UINT8),
		};
		struct vaccel_arg rint[] = {
			ARG(&op32, 4, VACCEL_ARG_INT32),
		};
		struct vaccel_arg rraw[] = {
			ARG(&op32, 1, VACCEL_ARG_RAW),
		};

		capture_begin();
		CHECK_INT(vaccel_genop(&sess, r32, 1, NULL, 0), VACCEL_EINVAL);
		out = capture_end();
		CHECK_HAS(out, "Failed to unpack operation type for genop");
		free(out);
		CHECK_INT(vaccel_genop(&sess, rint, 1, NULL, 0), VACCEL_EINVAL);
		CHECK_INT(vaccel_genop(&sess, rraw, 1, NULL, 0), VACCEL_EINVAL);
	}

	op8 = VACCEL_OP_NOOP;
	capture_begin();
	CHECK_INT(vaccel_genop(&sess, read, 1, NULL, 0), VACCEL_EINVAL);
	out = capture_end();
	CHECK_HAS(out, "Invalid operation type");
	free(out);
	op8 = VACCEL_OP_MAX;
	CHECK_INT(vaccel_genop(&sess, read, 1, NULL, 0), VACCEL_EINVAL);
	op8 = 200;
	CHECK_INT(vaccel_genop(&sess, read, 1, NULL, 0), VACCEL_EINVAL);

	for (uint8_t o = VACCEL_OP_TF_MODEL_LOAD; o <= VACCEL_OP_TORCH_SGEMM;
	     o++) {
		char want[128];

		op8 = o;
		capture_begin();
		CHECK_INT(vaccel_genop(&sess, read, 1, NULL, 0),
			  VACCEL_ENOTSUP);
		out = capture_end();
		snprintf(want, sizeof(want), "Operation not implemented for %s",
			 vaccel_op_type_to_str((vaccel_op_type_t)o));
		CHECK_HAS(out, want);
		free(out);
	}
	op8 = VACCEL_OP_IMAGE_DETECT;
	CHECK_INT(vaccel_genop(NULL, read, 2, NULL, 0), VACCEL_EINVAL);
}

static double *read_csv(size_t *n)
{
	char path[PATH_MAX + 64];
	char *text, *p, *end;
	double *v;
	size_t cap = 4096, cnt = 0;

	snprintf(path, sizeof(path), "%s/input/input_2048.csv", data_dir);
	text = test_read_file(path, NULL);
	v = malloc(cap * sizeof(*v));
	if (text == NULL || v == NULL) {
		free(text);
		free(v);
		return NULL;
	}
	for (p = text;; p = end) {
		double d = strtod(p, &end);

		if (end == p)
			break;
		if (cnt < cap)
			v[cnt++] = d;
		while (*end == '\n' || *end == '\r' || *end == ',' ||
		       *end == ' ')
			end++;
	}
	free(text);
	*n = cnt;
	return v;
}

static void test_minmax(void)
{
	size_t n = 0;
	double *in = read_csv(&n);
	double *outd = calloc(2048, sizeof(double));
	double min = 0, max = 0;
	int ndata, low = 10, high = 5000;

	CHECK_INT(n, 2048);
	CHECK(in != NULL && outd != NULL);
	if (in == NULL || outd == NULL || n != 2048)
		goto out;
	ndata = (int)n;
	CHECK_INT(vaccel_minmax(&sess, in, ndata, low, high, outd, &min, &max),
		  VACCEL_OK);
	CHECK(min == -1.0);
	CHECK(max == 10000.0);
	CHECK(memcmp(in, outd, n * sizeof(double)) == 0);
	CHECK_INT(vaccel_minmax(NULL, in, ndata, low, high, outd, &min, &max),
		  VACCEL_EINVAL);

	/* through genop with RAW arguments */
	memset(outd, 0, n * sizeof(double));
	min = max = 0;
	{
		uint8_t op = VACCEL_OP_MINMAX;
		struct vaccel_arg read[] = {
			ARG(&op, 1, VACCEL_ARG_UINT8),
			ARG(in, n * sizeof(double), VACCEL_ARG_RAW),
			ARG(&ndata, sizeof(int), VACCEL_ARG_RAW),
			ARG(&low, sizeof(int), VACCEL_ARG_RAW),
			ARG(&high, sizeof(int), VACCEL_ARG_RAW),
		};
		struct vaccel_arg write[] = {
			ARG(outd, n * sizeof(double), VACCEL_ARG_RAW),
			ARG(&min, sizeof(double), VACCEL_ARG_RAW),
			ARG(&max, sizeof(double), VACCEL_ARG_RAW),
		};

		CHECK_INT(vaccel_genop(&sess, read, 5, write, 3), VACCEL_OK);
		CHECK(min == -1.0);
		CHECK(max == 10000.0);
		CHECK(memcmp(in, outd, n * sizeof(double)) == 0);
		CHECK_INT(vaccel_genop(&sess, read, 4, write, 3),
			  VACCEL_EINVAL);
		CHECK_INT(vaccel_genop(&sess, read, 5, write, 2),
			  VACCEL_EINVAL);
	}
out:
	free(in);
	free(outd);
}

static void test_fpga(void)
{
	float a[] = { 1, 2, 6, 4, 5 };
	float b[] = { 1, 2, 3, 4, 5 };
	const float sum[] = { 2, 4, 9, 8, 10 };
	float c[5] = { 0 };
	float c2[5] = { 0 };
	int ia[] = { 7, 8, 9, 10, 11 };
	int iout[5] = { 0 };

	/* vadd */
	CHECK_INT(vaccel_fpga_vadd(&sess, a, b, c, 5, 5), VACCEL_OK);
	CHECK(memcmp(c, sum, sizeof(sum)) == 0);
	CHECK_INT(vaccel_fpga_vadd(NULL, a, b, c, 5, 5), VACCEL_EINVAL);

	/* arraycopy */
	CHECK_INT(vaccel_fpga_arraycopy(&sess, ia, iout, 5), VACCEL_OK);
	CHECK(memcmp(ia, iout, sizeof(ia)) == 0);
	CHECK_INT(vaccel_fpga_arraycopy(NULL, ia, iout, 5), VACCEL_EINVAL);

	/* mmult: c[i] = 9.1 */
	memset(c, 0, sizeof(c));
	CHECK_INT(vaccel_fpga_mmult(&sess, a, b, c, 5), VACCEL_OK);
	for (int i = 0; i < 5; i++)
		CHECK(c[i] == 9.1f);
	CHECK_INT(vaccel_fpga_mmult(NULL, a, b, c, 5), VACCEL_EINVAL);

	/* parallel: sum and 1 */
	memset(c, 0, sizeof(c));
	CHECK_INT(vaccel_fpga_parallel(&sess, a, b, c, c2, 5), VACCEL_OK);
	CHECK(memcmp(c, sum, sizeof(sum)) == 0);
	for (int i = 0; i < 5; i++)
		CHECK(c2[i] == 1.0f);
	CHECK_INT(vaccel_fpga_parallel(NULL, a, b, c, c2, 5), VACCEL_EINVAL);

	/* through genop (untyped arguments) */
	{
		uint8_t op = VACCEL_OP_FPGA_VECTORADD;
		struct vaccel_arg read[] = {
			ARG(&op, 1, VACCEL_ARG_UINT8),
			ARG(a, sizeof(a), VACCEL_ARG_RAW),
			ARG(b, sizeof(b), VACCEL_ARG_RAW),
		};
		struct vaccel_arg write[] = {
			ARG(c, sizeof(c), VACCEL_ARG_RAW),
			ARG(c2, sizeof(c2), VACCEL_ARG_RAW),
		};

		memset(c, 0, sizeof(c));
		CHECK_INT(vaccel_genop(&sess, read, 3, write, 1), VACCEL_OK);
		CHECK(memcmp(c, sum, sizeof(sum)) == 0);
		CHECK_INT(vaccel_genop(&sess, read, 2, write, 1),
			  VACCEL_EINVAL);

		op = VACCEL_OP_FPGA_MMULT;
		memset(c, 0, sizeof(c));
		CHECK_INT(vaccel_genop(&sess, read, 3, write, 1), VACCEL_OK);
		for (int i = 0; i < 5; i++)
			CHECK(c[i] == 9.1f);

		op = VACCEL_OP_FPGA_PARALLEL;
		memset(c, 0, sizeof(c));
		memset(c2, 0, sizeof(c2));
		CHECK_INT(vaccel_genop(&sess, read, 3, write, 2), VACCEL_OK);
		CHECK(memcmp(c, sum, sizeof(sum)) == 0);
		for (int i = 0; i < 5; i++)
			CHECK(c2[i] == 1.0f);
		CHECK_INT(vaccel_genop(&sess, read, 3, write, 1),
			  VACCEL_EINVAL);

		op = VACCEL_OP_FPGA_ARRAYCOPY;
		read[1].buf = ia;
		read[1].size = sizeof(ia);
		write[0].buf = iout;
		write[0].size = sizeof(iout);
		memset(iout, 0, sizeof(iout));
		CHECK_INT(vaccel_genop(&sess, read, 2, write, 1), VACCEL_OK);
		CHECK(memcmp(ia, iout, sizeof(ia)) == 0);
		CHECK_INT(vaccel_genop(&sess, read, 3, write, 1),
			  VACCEL_EINVAL);
	}
}

static void test_opencv(void)
{
	uint8_t op = VACCEL_OP_OPENCV, fn = 1;
	uint64_t w1[4] = { 0 }, w2[2] = { 0 };
	struct vaccel_arg read[] = {
		ARG(&op, 1, VACCEL_ARG_UINT8),
		ARG(&fn, 1, VACCEL_ARG_UINT8),
	};
	struct vaccel_arg write[] = {
		ARG(w1, sizeof(w1), VACCEL_ARG_RAW),
		ARG(w2, sizeof(w2), VACCEL_ARG_RAW),
	};

	/* noop stores write[i].size / 4 in each write buffer */
	CHECK_INT(vaccel_genop(&sess, read, 2, write, 2), VACCEL_OK);
	CHECK_INT(w1[0], sizeof(w1) / 4);
	CHECK_INT(w2[0], sizeof(w2) / 4);
	w1[0] = w2[0] = 0;
	CHECK_INT(vaccel_opencv(&sess, read + 1, 1, write, 2), VACCEL_OK);
	CHECK_INT(w1[0], sizeof(w1) / 4);
	CHECK_INT(vaccel_opencv(NULL, read + 1, 1, write, 2), VACCEL_EINVAL);
}

static void test_torch_sgemm(void)
{
	CHECK_INT(vaccel_torch_sgemm(&sess, NULL, NULL, NULL, 2, 2, 2, NULL),
		  VACCEL_OK);
	CHECK_INT(vaccel_torch_sgemm(NULL, NULL, NULL, NULL, 2, 2, 2, NULL),
		  VACCEL_EINVAL);
}

/* Resource-taking ops: NULL → EINVAL, wrong type → EINVAL, unregistered →
 * EPERM (§15.3) */
static void test_resource_checks(void)
{
	struct vaccel_resource model = { .id = 0 };
	struct vaccel_resource data = { .id = 0 };
	struct vaccel_resource lib = { .id = 0 };
	struct vaccel_tf_status st = { 0 };
	char path[PATH_MAX + 64];
	char want[128];
	char *out;

	snprintf(path, sizeof(path), "%s/models/tf/lstm2.tflite", data_dir);
	CHECK_INT(vaccel_resource_init(&model, path, VACCEL_RESOURCE_MODEL),
		  VACCEL_OK);
	CHECK_INT(vaccel_resource_init(&data, path, VACCEL_RESOURCE_DATA),
		  VACCEL_OK);
	CHECK_INT(vaccel_resource_init(&lib, path, VACCEL_RESOURCE_LIB),
		  VACCEL_OK);
	CHECK_INT(vaccel_resource_register(&data, &sess), VACCEL_OK);
	CHECK_INT(vaccel_resource_register(&lib, &sess), VACCEL_OK);

	/* NULL model */
	CHECK_INT(vaccel_tf_model_load(&sess, NULL, &st), VACCEL_EINVAL);
	CHECK_INT(vaccel_tf_model_unload(&sess, NULL, &st), VACCEL_EINVAL);
	CHECK_INT(vaccel_tf_model_run(&sess, NULL, NULL, NULL, NULL, 0, NULL,
				      NULL, 0, &st),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_tflite_model_load(&sess, NULL), VACCEL_EINVAL);
	CHECK_INT(vaccel_tflite_model_unload(&sess, NULL), VACCEL_EINVAL);
	CHECK_INT(vaccel_tflite_model_run(&sess, NULL, NULL, 0, NULL, 0, NULL),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_torch_model_load(&sess, NULL), VACCEL_EINVAL);
	CHECK_INT(vaccel_torch_model_run(&sess, NULL, NULL, NULL, 0, NULL, 0),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_exec_with_resource(&sess, NULL, "f", NULL, 0, NULL, 0),
		  VACCEL_EINVAL);
	/* NULL session */
	CHECK_INT(vaccel_tf_model_load(NULL, &model, &st), VACCEL_EINVAL);
	CHECK_INT(vaccel_tflite_model_load(NULL, &model), VACCEL_EINVAL);
	CHECK_INT(vaccel_torch_model_load(NULL, &model), VACCEL_EINVAL);

	/* wrong resource type */
	capture_begin();
	CHECK_INT(vaccel_tf_model_load(&sess, &data, &st), VACCEL_EINVAL);
	out = capture_end();
	CHECK_HAS(out, "Invalid resource type: expected VACCEL_RESOURCE_MODEL");
	free(out);
	CHECK_INT(vaccel_tf_model_unload(&sess, &lib, &st), VACCEL_EINVAL);
	CHECK_INT(vaccel_tf_model_run(&sess, &data, NULL, NULL, NULL, 0, NULL,
				      NULL, 0, &st),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_tflite_model_load(&sess, &data), VACCEL_EINVAL);
	CHECK_INT(vaccel_tflite_model_unload(&sess, &data), VACCEL_EINVAL);
	CHECK_INT(vaccel_tflite_model_run(&sess, &lib, NULL, 0, NULL, 0, NULL),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_torch_model_load(&sess, &data), VACCEL_EINVAL);
	CHECK_INT(vaccel_torch_model_run(&sess, &lib, NULL, NULL, 0, NULL, 0),
		  VACCEL_EINVAL);
	capture_begin();
	CHECK_INT(vaccel_exec_with_resource(&sess, &data, "f", NULL, 0, NULL,
					    0),
		  VACCEL_EINVAL);
	out = capture_end();
	CHECK_HAS(out, "Invalid resource type: expected VACCEL_RESOURCE_LIB");
	free(out);

	/* not registered with the session */
	capture_begin();
	CHECK_INT(vaccel_tf_model_load(&sess, &model, &st), VACCEL_EPERM);
	out = capture_end();
	snprintf(want, sizeof(want), "Resource %lld is not registered to "
		 "session %lld", (long long)model.id, (long long)sess.id);
	CHECK_HAS(out, want);
	free(out);
	CHECK_INT(vaccel_tf_model_unload(&sess, &model, &st), VACCEL_EPERM);
	CHECK_INT(vaccel_tf_model_run(&sess, &model, NULL, NULL, NULL, 0, NULL,
				      NULL, 0, &st),
		  VACCEL_EPERM);
	CHECK_INT(vaccel_tflite_model_load(&sess, &model), VACCEL_EPERM);
	CHECK_INT(vaccel_tflite_model_unload(&sess, &model), VACCEL_EPERM);
	CHECK_INT(vaccel_tflite_model_run(&sess, &model, NULL, 0, NULL, 0,
					  NULL),
		  VACCEL_EPERM);
	CHECK_INT(vaccel_torch_model_load(&sess, &model), VACCEL_EPERM);
	CHECK_INT(vaccel_torch_model_run(&sess, &model, NULL, NULL, 0, NULL,
					 0),
		  VACCEL_EPERM);
	CHECK_INT(vaccel_resource_unregister(&lib, &sess), VACCEL_OK);
	CHECK_INT(vaccel_exec_with_resource(&sess, &lib, "f", NULL, 0, NULL, 0),
		  VACCEL_EPERM);

	/* registered: OK */
	CHECK_INT(vaccel_resource_register(&model, &sess), VACCEL_OK);
	CHECK_INT(vaccel_tflite_model_load(&sess, &model), VACCEL_OK);
	CHECK_INT(vaccel_tflite_model_unload(&sess, &model), VACCEL_OK);
	CHECK_INT(vaccel_torch_model_load(&sess, &model), VACCEL_OK);
	CHECK_INT(vaccel_tf_model_load(&sess, &model, NULL), VACCEL_OK);

	CHECK_INT(vaccel_resource_release(&model), VACCEL_OK);
	CHECK_INT(vaccel_resource_release(&data), VACCEL_OK);
	CHECK_INT(vaccel_resource_release(&lib), VACCEL_OK);
}

int main(void)
{
	char img_path[PATH_MAX + 64];

	test_strlcpy(data_dir, test_env("VACCEL_TEST_DATA"), sizeof(data_dir));
	snprintf(img_path, sizeof(img_path), "%s/images/example.jpg", data_dir);
	CHECK_INT(fs_file_read(img_path, &image, &image_size), VACCEL_OK);
	CHECK_INT(image_size, 79281);

	CHECK_INT(vaccel_session_init(&sess, 0), VACCEL_OK);
	test_noop();
	test_sgemm();
	test_image_direct();
	test_image_genop();
	test_classify_without_text();
	test_genop_errors();
	test_minmax();
	test_fpga();
	test_opencv();
	test_torch_sgemm();
	test_resource_checks();
	CHECK_INT(vaccel_session_release(&sess), VACCEL_OK);

	free(image);
	return CHECK_DONE();
}
