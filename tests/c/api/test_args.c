// SPDX-License-Identifier: Apache-2.0
/*
 * Light smoke test of the argument API through the C ABI (spec §12); the
 * detailed rules are covered by the Rust unit tests.
 */
#include "check.h"

#include <vaccel.h>

struct mydata {
	uint32_t count;
	uint32_t *array;
};

static int ser(const void *data, size_t data_size, uint32_t custom_id,
	       void **buf, size_t *size)
{
	const struct mydata *d = data;
	uint32_t *out;

	(void)custom_id;
	if (data_size != sizeof(*d))
		return VACCEL_EINVAL;
	out = malloc((d->count + 1) * sizeof(uint32_t));
	if (out == NULL)
		return VACCEL_ENOMEM;
	out[0] = d->count;
	memcpy(out + 1, d->array, d->count * sizeof(uint32_t));
	*buf = out;
	*size = (d->count + 1) * sizeof(uint32_t);
	return VACCEL_OK;
}

static int deser(const void *buf, size_t size, uint32_t custom_id,
		 size_t data_size, void *data)
{
	struct mydata *d = data;
	const uint32_t *in = buf;

	(void)custom_id;
	if (data_size != sizeof(*d) || size < 4 || size != (in[0] + 1) * 4)
		return VACCEL_EINVAL;
	d->count = in[0];
	d->array = malloc(d->count * sizeof(uint32_t));
	if (d->array == NULL)
		return VACCEL_ENOMEM;
	memcpy(d->array, in + 1, d->count * sizeof(uint32_t));
	return VACCEL_OK;
}

static void test_wrap(void)
{
	int32_t a = 7, b = 0, v = 0;
	struct vaccel_arg args[2];
	struct vaccel_arg_array arr;

	CHECK_INT(vaccel_arg_init_from_buf(&args[0], &a, sizeof(a),
					   VACCEL_ARG_INT32, 0),
		  VACCEL_OK);
	CHECK_INT(vaccel_arg_init_from_buf(&args[1], &b, sizeof(b),
					   VACCEL_ARG_INT32, 0),
		  VACCEL_OK);
	CHECK(!args[0].owned);
	CHECK(args[0].buf == &a);

	CHECK_INT(vaccel_arg_array_wrap(&arr, args, 2), VACCEL_OK);
	CHECK(!arr.owned);
	CHECK_INT(arr.count, 2);
	CHECK_INT(arr.capacity, 2);
	CHECK_INT(arr.position, 0);
	CHECK_INT(vaccel_arg_array_get_int32(&arr, &v), VACCEL_OK);
	CHECK_INT(v, 7);
	CHECK_INT(vaccel_arg_array_position(&arr), 1);
	v = 14;
	CHECK_INT(vaccel_arg_array_set_int32(&arr, &v), VACCEL_OK);
	CHECK_INT(b, 14);
	/* past the end */
	CHECK_INT(vaccel_arg_array_get_int32(&arr, &v), VACCEL_ERANGE);
	/* wrong type: cursor not advanced */
	vaccel_arg_array_reset_position(&arr);
	{
		int64_t l;

		CHECK_INT(vaccel_arg_array_get_int64(&arr, &l), VACCEL_EINVAL);
		CHECK_INT(vaccel_arg_array_position(&arr), 0);
	}
	/* a wrapped array is full */
	CHECK_INT(vaccel_arg_array_add_int32(&arr, &a), VACCEL_ERANGE);
	CHECK_INT(vaccel_arg_array_release(&arr), VACCEL_OK);
	CHECK_INT(vaccel_arg_array_wrap(&arr, NULL, 1), VACCEL_EINVAL);

	CHECK_INT(vaccel_arg_release(&args[0]), VACCEL_OK);
	CHECK_INT(vaccel_arg_release(&args[1]), VACCEL_OK);
	CHECK_INT(a, 7);
}

static void test_owned_array(void)
{
	struct vaccel_arg_array arr;
	struct vaccel_arg_array *p = NULL;
	int32_t vals[9];
	int32_t v;
	char str[] = "hello";
	char *s = NULL;

	CHECK_INT(vaccel_arg_array_init(&arr, 0), VACCEL_OK);
	CHECK(arr.owned);
	CHECK_INT(arr.capacity, 8);
	for (int i = 0; i < 9; i++) {
		vals[i] = i * 3;
		CHECK_INT(vaccel_arg_array_add_int32(&arr, &vals[i]),
			  VACCEL_OK);
	}
	CHECK_INT(arr.count, 9);
	CHECK_INT(arr.capacity, 16);
	CHECK_INT(vaccel_arg_array_add_string(&arr, str), VACCEL_OK);
	CHECK_INT(arr.args[9].size, 6);
	CHECK_INT(arr.args[9].type, VACCEL_ARG_STRING);
	for (int i = 0; i < 9; i++) {
		CHECK_INT(vaccel_arg_array_get_int32(&arr, &v), VACCEL_OK);
		CHECK_INT(v, i * 3);
	}
	CHECK_INT(vaccel_arg_array_get_string(&arr, &s), VACCEL_OK);
	CHECK_STR(s, "hello");
	CHECK_INT(vaccel_arg_array_remaining_count(&arr), 0);
	CHECK_INT(vaccel_arg_array_count(&arr), 10);
	CHECK_INT(vaccel_arg_array_release(&arr), VACCEL_OK);

	CHECK_INT(vaccel_arg_array_new(&p, 2), VACCEL_OK);
	CHECK(p != NULL);
	CHECK_INT(vaccel_arg_array_delete(p), VACCEL_OK);
}

static void test_serialized(void)
{
	uint32_t elems[6] = { 0, 2, 4, 6, 8, 10 };
	struct mydata in = { .count = 6, .array = elems };
	struct mydata out = { 0 };
	struct vaccel_arg_array arr;

	CHECK_INT(vaccel_arg_array_init(&arr, 1), VACCEL_OK);
	CHECK_INT(vaccel_arg_array_add_serialized(&arr, VACCEL_ARG_CUSTOM, 100,
						  &in, sizeof(in), ser),
		  VACCEL_OK);
	CHECK_INT(arr.count, 1);
	if (arr.count == 1) {
		CHECK(arr.args[0].owned);
		CHECK_INT(arr.args[0].size, 28);
		CHECK_INT(arr.args[0].type, VACCEL_ARG_CUSTOM);
		CHECK_INT(arr.args[0].custom_type_id, 100);
	}
	/* wrong id */
	CHECK_INT(vaccel_arg_array_get_serialized(&arr, VACCEL_ARG_CUSTOM, 101,
						  &out, sizeof(out), deser),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_arg_array_position(&arr), 0);
	CHECK_INT(vaccel_arg_array_get_serialized(&arr, VACCEL_ARG_CUSTOM, 100,
						  &out, sizeof(out), deser),
		  VACCEL_OK);
	CHECK_INT(out.count, 6);
	if (out.array && out.count == 6)
		CHECK(memcmp(out.array, elems, sizeof(elems)) == 0);
	free(out.array);

	/* set_serialized writes back a same-size value */
	{
		uint32_t rev[6] = { 10, 8, 6, 4, 2, 0 };
		struct mydata r = { .count = 6, .array = rev };
		struct mydata shorter = { .count = 2, .array = rev };

		vaccel_arg_array_reset_position(&arr);
		CHECK_INT(vaccel_arg_array_set_serialized(&arr,
							  VACCEL_ARG_CUSTOM,
							  100, &r, sizeof(r),
							  ser),
			  VACCEL_OK);
		vaccel_arg_array_reset_position(&arr);
		CHECK(vaccel_arg_array_set_serialized(&arr, VACCEL_ARG_CUSTOM,
						      100, &shorter,
						      sizeof(shorter),
						      ser) != VACCEL_OK);
		vaccel_arg_array_reset_position(&arr);
		CHECK_INT(vaccel_arg_array_get_serialized(&arr,
							  VACCEL_ARG_CUSTOM,
							  100, &out,
							  sizeof(out), deser),
			  VACCEL_OK);
		if (out.array && out.count == 6)
			CHECK(memcmp(out.array, rev, sizeof(rev)) == 0);
		free(out.array);
	}
	CHECK_INT(vaccel_arg_array_release(&arr), VACCEL_OK);
}

static void test_single(void)
{
	struct vaccel_arg a;
	struct vaccel_arg *p = NULL;
	double d = 2.5;

	CHECK_INT(vaccel_arg_init(&a, &d, sizeof(d), VACCEL_ARG_FLOAT64, 0),
		  VACCEL_OK);
	CHECK(a.owned);
	CHECK(a.buf != &d && a.buf && memcmp(a.buf, &d, sizeof(d)) == 0);
	CHECK_INT(vaccel_arg_release(&a), VACCEL_OK);
	CHECK(a.buf == NULL);
	CHECK_INT(a.size, 0);
	CHECK_INT(a.type, VACCEL_ARG_MAX);
	CHECK_INT(vaccel_arg_init(&a, &d, 0, VACCEL_ARG_FLOAT64, 0),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_arg_new(&p, NULL, 16, VACCEL_ARG_RAW, 0), VACCEL_OK);
	CHECK(p != NULL && p->size == 16 && p->owned);
	CHECK_INT(vaccel_arg_delete(p), VACCEL_OK);
}

int main(void)
{
	test_wrap();
	test_owned_array();
	test_serialized();
	test_single();
	return CHECK_DONE();
}
