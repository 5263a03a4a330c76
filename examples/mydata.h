/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The user-defined argument type shared by `exec_serialized` and
 * `libmytestlib.so` (`mytestfunc_nonser`): a counted array of uint32_t
 * passed as a VACCEL_ARG_CUSTOM argument with custom type id 100.
 *
 * Serialised form: `count` followed by the `count` elements, all uint32_t
 * (so 6 elements serialise to 28 bytes).
 */
#ifndef VACCEL_EXAMPLES_MYDATA_H
#define VACCEL_EXAMPLES_MYDATA_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vaccel.h>

enum { MYDATA_TYPE_ID = 100 };

struct mydata {
	uint32_t count;
	uint32_t *array;
};

/* vaccel_arg_serializer_fn: the output buffer is malloc'd (freed by vAccel) */
static inline int mydata_serialize(const void *data, size_t data_size,
				   uint32_t custom_id, void **buf,
				   size_t *size)
{
	const struct mydata *d = data;
	uint32_t *out;
	size_t nr;

	(void)custom_id;
	if (d == NULL || data_size != sizeof(*d) || buf == NULL ||
	    size == NULL || (d->count > 0 && d->array == NULL))
		return VACCEL_EINVAL;

	nr = (size_t)d->count + 1;
	out = malloc(nr * sizeof(*out));
	if (out == NULL)
		return VACCEL_ENOMEM;

	out[0] = d->count;
	if (d->count > 0)
		memcpy(&out[1], d->array, d->count * sizeof(*out));

	*buf = out;
	*size = nr * sizeof(*out);
	return VACCEL_OK;
}

/*
 * vaccel_arg_deserializer_fn: fills a `struct mydata` whose `array` is
 * malloc'd here; the caller frees it with mydata_release().
 */
static inline int mydata_deserialize(const void *buf, size_t size,
				     uint32_t custom_id, size_t data_size,
				     void *data)
{
	struct mydata *d = data;
	uint32_t count;
	uint32_t *array = NULL;

	(void)custom_id;
	if (buf == NULL || d == NULL || data_size != sizeof(*d) ||
	    size < sizeof(count))
		return VACCEL_EINVAL;

	memcpy(&count, buf, sizeof(count));
	if (size != ((size_t)count + 1) * sizeof(count))
		return VACCEL_EINVAL;

	if (count > 0) {
		array = malloc((size_t)count * sizeof(*array));
		if (array == NULL)
			return VACCEL_ENOMEM;
		memcpy(array, (const unsigned char *)buf + sizeof(count),
		       (size_t)count * sizeof(*array));
	}

	d->count = count;
	d->array = array;
	return VACCEL_OK;
}

static inline void mydata_release(struct mydata *d)
{
	free(d->array);
	d->array = NULL;
	d->count = 0;
}

#endif /* VACCEL_EXAMPLES_MYDATA_H */
