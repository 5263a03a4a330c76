/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libmytestlib.so: functions called by the exec examples through the exec
 * plugin. Each has the exec-plugin signature
 *   int fn(struct vaccel_arg *read, size_t nr_read,
 *          struct vaccel_arg *write, size_t nr_write);
 *
 * mytestfunc:        INT32 in -> INT32 out = 2 * in
 * mytestfunc_nonser: CUSTOM (id 100, struct mydata) in -> the same array in
 *                    reverse order out
 */
#include "mydata.h"
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <vaccel.h>

int mytestfunc(struct vaccel_arg *input, size_t nr_in,
	       struct vaccel_arg *output, size_t nr_out);
int mytestfunc_nonser(struct vaccel_arg *input, size_t nr_in,
		      struct vaccel_arg *output, size_t nr_out);

static int wrap_args(struct vaccel_arg *input, size_t nr_in,
		     struct vaccel_arg *output, size_t nr_out,
		     struct vaccel_arg_array *read_args,
		     struct vaccel_arg_array *write_args)
{
	int ret;

	if (nr_in != 1 || nr_out != 1) {
		fprintf(stderr, "Invalid number of arguments\n");
		return VACCEL_EINVAL;
	}

	printf("I got nr_in: %zu, nr_out: %zu\n", nr_in, nr_out);

	ret = vaccel_arg_array_wrap(read_args, input, nr_in);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not wrap read args\n");
		return ret;
	}
	ret = vaccel_arg_array_wrap(write_args, output, nr_out);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not wrap write args\n");
		return ret;
	}
	return VACCEL_OK;
}

int mytestfunc(struct vaccel_arg *input, size_t nr_in,
	       struct vaccel_arg *output, size_t nr_out)
{
	int ret;
	int32_t in;
	int32_t out;
	struct vaccel_arg_array read_args;
	struct vaccel_arg_array write_args;

	ret = wrap_args(input, nr_in, output, nr_out, &read_args,
			&write_args);
	if (ret != VACCEL_OK)
		return ret;

	ret = vaccel_arg_array_get_int32(&read_args, &in);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not get input arg\n");
		return ret;
	}
	printf("I got input: %" PRId32 "\n", in);

	out = (int32_t)((uint32_t)in * 2U);
	printf("Will return output: %" PRId32 "\n", out);

	ret = vaccel_arg_array_set_int32(&write_args, &out);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not set output arg\n");
		return ret;
	}

	return VACCEL_OK;
}

int mytestfunc_nonser(struct vaccel_arg *input, size_t nr_in,
		      struct vaccel_arg *output, size_t nr_out)
{
	int ret;
	struct mydata in = { .count = 0, .array = NULL };
	struct mydata out = { .count = 0, .array = NULL };
	struct vaccel_arg_array read_args;
	struct vaccel_arg_array write_args;

	ret = wrap_args(input, nr_in, output, nr_out, &read_args,
			&write_args);
	if (ret != VACCEL_OK)
		return ret;

	ret = vaccel_arg_array_get_serialized(&read_args, VACCEL_ARG_CUSTOM,
					      MYDATA_TYPE_ID, &in, sizeof(in),
					      mydata_deserialize);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not deserialize input arg\n");
		return ret;
	}

	if (in.count > 0) {
		out.array = malloc((size_t)in.count * sizeof(*out.array));
		if (out.array == NULL) {
			mydata_release(&in);
			return VACCEL_ENOMEM;
		}
	}
	out.count = in.count;
	for (uint32_t i = 0; i < in.count; i++)
		out.array[i] = in.array[in.count - 1 - i];

	ret = vaccel_arg_array_set_serialized(&write_args, VACCEL_ARG_CUSTOM,
					      MYDATA_TYPE_ID, &out, sizeof(out),
					      mydata_serialize);
	if (ret != VACCEL_OK)
		fprintf(stderr, "Could not serialize output arg\n");

	mydata_release(&out);
	mydata_release(&in);
	return ret;
}
