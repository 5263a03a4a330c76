/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sgemm / sgemm_generic: C = alpha * A * B + beta * C for 512x512 matrices
 * (m = n = k = 512, alpha = 32412.0, beta = 2123.0, lda = ldb = ldc = 512).
 *
 * Built twice: `sgemm` calls vaccel_sgemm() directly, `sgemm_generic`
 * (-DUSE_GENOP) goes through vaccel_genop() with the BLAS_SGEMM layout:
 *   read  = [UINT8 op, INT64 m, INT64 n, INT64 k, FLOAT32 alpha,
 *            FLOAT32_ARRAY a, INT64 lda, FLOAT32_ARRAY b, INT64 ldb,
 *            FLOAT32 beta, INT64 ldc]
 *   write = [FLOAT32_ARRAY c]
 *
 * Usage: sgemm[_generic] [iterations] [out_file]
 * When `out_file` is given the resulting C matrix is written to it as text,
 * one row per line (unlike upstream, which wrote to argv[1]).
 */
#include "common.h"
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <vaccel.h>

#ifndef EXAMPLE_NAME
#define EXAMPLE_NAME "sgemm"
#endif

enum { DIM_M = 512, DIM_N = 512, DIM_K = 512 };

struct sgemm_args {
	int64_t m, n, k;
	int64_t lda, ldb, ldc;
	float alpha, beta;
	float *a, *b, *c;
#ifdef USE_GENOP
	uint8_t op_type;
	struct vaccel_arg_array read;
	struct vaccel_arg_array write;
	bool args_initialized;
#endif
};

/* Deterministic, PolyBench-style initial values */
static void init_matrices(struct sgemm_args *s)
{
	for (int64_t i = 0; i < s->m; i++)
		for (int64_t j = 0; j < s->k; j++)
			s->a[i * s->k + j] =
				(float)((i * j + 1) % s->k) / (float)s->k;

	for (int64_t i = 0; i < s->k; i++)
		for (int64_t j = 0; j < s->n; j++)
			s->b[i * s->n + j] =
				(float)((i * (j + 1) + 2) % s->n) / (float)s->n;

	for (int64_t i = 0; i < s->m; i++)
		for (int64_t j = 0; j < s->n; j++)
			s->c[i * s->n + j] =
				(float)((i * (j + 3) + 1) % s->m) / (float)s->m;
}

#ifdef USE_GENOP
static int sgemm_args_init(struct sgemm_args *s)
{
	int ret;

	s->op_type = (uint8_t)VACCEL_OP_BLAS_SGEMM;

	ret = vaccel_arg_array_init(&s->read, 11);
	if (ret != VACCEL_OK)
		return ret;
	ret = vaccel_arg_array_init(&s->write, 1);
	if (ret != VACCEL_OK) {
		vaccel_arg_array_release(&s->read);
		return ret;
	}
	s->args_initialized = true;

	if ((ret = vaccel_arg_array_add_uint8(&s->read, &s->op_type)) ||
	    (ret = vaccel_arg_array_add_int64(&s->read, &s->m)) ||
	    (ret = vaccel_arg_array_add_int64(&s->read, &s->n)) ||
	    (ret = vaccel_arg_array_add_int64(&s->read, &s->k)) ||
	    (ret = vaccel_arg_array_add_float(&s->read, &s->alpha)) ||
	    (ret = vaccel_arg_array_add_float_array(
		     &s->read, s->a, (size_t)(s->m * s->k))) ||
	    (ret = vaccel_arg_array_add_int64(&s->read, &s->lda)) ||
	    (ret = vaccel_arg_array_add_float_array(
		     &s->read, s->b, (size_t)(s->k * s->n))) ||
	    (ret = vaccel_arg_array_add_int64(&s->read, &s->ldb)) ||
	    (ret = vaccel_arg_array_add_float(&s->read, &s->beta)) ||
	    (ret = vaccel_arg_array_add_int64(&s->read, &s->ldc)))
		return ret;

	return vaccel_arg_array_add_float_array(&s->write, s->c,
						(size_t)(s->m * s->n));
}

static void sgemm_args_release(struct sgemm_args *s)
{
	if (!s->args_initialized)
		return;
	vaccel_arg_array_release(&s->read);
	vaccel_arg_array_release(&s->write);
	s->args_initialized = false;
}

static int sgemm_run(struct vaccel_session *sess, struct sgemm_args *s)
{
	return vaccel_genop(sess, s->read.args, (int)s->read.count,
			    s->write.args, (int)s->write.count);
}
#else
static int sgemm_args_init(struct sgemm_args *s)
{
	(void)s;
	return VACCEL_OK;
}

static void sgemm_args_release(struct sgemm_args *s)
{
	(void)s;
}

static int sgemm_run(struct vaccel_session *sess, struct sgemm_args *s)
{
	return vaccel_sgemm(sess, s->m, s->n, s->k, s->alpha, s->a, s->lda,
			    s->b, s->ldb, s->beta, s->c, s->ldc);
}
#endif /* USE_GENOP */

static int write_matrix(const char *path, const float *mat, int64_t rows,
			int64_t cols)
{
	FILE *fp = fopen(path, "w");
	if (fp == NULL) {
		int err = errno;
		fprintf(stderr, "Could not open output file %s\n", path);
		return err ? err : VACCEL_EIO;
	}

	for (int64_t i = 0; i < rows; i++) {
		for (int64_t j = 0; j < cols; j++)
			fprintf(fp, "%s%f", j ? " " : "", mat[i * cols + j]);
		fputc('\n', fp);
	}

	if (ferror(fp)) {
		fclose(fp);
		fprintf(stderr, "Could not write output file %s\n", path);
		return VACCEL_EIO;
	}
	if (fclose(fp) != 0) {
		fprintf(stderr, "Could not write output file %s\n", path);
		return VACCEL_EIO;
	}
	return VACCEL_OK;
}

int main(int argc, char *argv[])
{
	int ret;
	int iterations = 1;
	struct vaccel_session sess = { .id = 0 };
	struct vaccel_prof_region stats = VACCEL_PROF_REGION_INIT(EXAMPLE_NAME);
	struct sgemm_args s = {
		.m = DIM_M,
		.n = DIM_N,
		.k = DIM_K,
		.lda = DIM_K,
		.ldb = DIM_N,
		.ldc = DIM_N,
		.alpha = 32412.0F,
		.beta = 2123.0F,
	};

	if (argc > 3 ||
	    (argc > 1 && parse_iterations(argv[1], &iterations) != 0)) {
		fprintf(stderr, "Usage: %s [iterations] [out_file]\n", argv[0]);
		return VACCEL_EINVAL;
	}

	s.a = malloc((size_t)(s.m * s.k) * sizeof(float));
	s.b = malloc((size_t)(s.k * s.n) * sizeof(float));
	s.c = malloc((size_t)(s.m * s.n) * sizeof(float));
	if (s.a == NULL || s.b == NULL || s.c == NULL) {
		fprintf(stderr, "Could not allocate matrices\n");
		ret = VACCEL_ENOMEM;
		goto free_matrices;
	}
	init_matrices(&s);

	ret = vaccel_session_init(&sess, 0);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not initialize session\n");
		goto free_matrices;
	}

	printf("Initialized session with id: %" PRId64 "\n", sess.id);

	ret = sgemm_args_init(&s);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not set up operation arguments\n");
		goto release_args;
	}

	for (int i = 0; i < iterations; i++) {
		vaccel_prof_region_start(&stats);
		ret = sgemm_run(&sess, &s);
		vaccel_prof_region_stop(&stats);
		if (ret != VACCEL_OK) {
			fprintf(stderr, "Could not run op: %d\n", ret);
			goto release_args;
		}
	}

	if (argc > 2)
		ret = write_matrix(argv[2], s.c, s.m, s.n);

	vaccel_prof_region_print(&stats);

release_args:
	sgemm_args_release(&s);
	keep_first_error(&ret, vaccel_session_release(&sess),
			 "Could not release session");
free_matrices:
	free(s.a);
	free(s.b);
	free(s.c);
	vaccel_prof_region_release(&stats);
	return ret;
}
