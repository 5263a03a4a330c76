/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec_serialized: run `mytestfunc_nonser` from a LIB resource with a
 * user-defined (non-serial) argument type.
 *
 * The input is a `struct mydata` (see mydata.h) holding {0, 2, 4, 6, 8, 10},
 * passed as a VACCEL_ARG_CUSTOM argument with custom type id 100 through
 * vaccel_arg_array_add_serialized(); the output is a CUSTOM argument of the
 * same serialised size, deserialised with vaccel_arg_array_get_serialized().
 * The library function writes the array back in reverse order (the noop
 * plugin echoes the input instead).
 *
 * The library resource is created before the session; the session uses the
 * VACCEL_PLUGIN_DEBUG hint.
 *
 * Usage: exec_serialized <lib_file> [iterations]
 */
#include "common.h"
#include "mydata.h"
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <vaccel.h>

enum { NR_ELEMS = 6 };

static void print_mydata(const char *label, const struct mydata *d)
{
	printf("%s: ", label);
	for (uint32_t i = 0; i < d->count; i++)
		printf("%" PRIu32 " ", d->array[i]);
	printf("\n");
}

int main(int argc, char *argv[])
{
	int ret;
	int iterations = 1;
	bool registered = false;
	bool args_initialized = false;
	uint32_t in_elems[NR_ELEMS];
	uint32_t out_elems[NR_ELEMS] = { 0 };
	struct mydata input = { .count = NR_ELEMS, .array = in_elems };
	struct mydata output_template = { .count = NR_ELEMS,
					  .array = out_elems };
	struct mydata output = { .count = 0, .array = NULL };
	struct vaccel_session sess = { .id = 0 };
	struct vaccel_resource object = { .id = 0 };
	struct vaccel_arg_array read_args;
	struct vaccel_arg_array write_args;

	if (argc < 2 || argc > 3 ||
	    (argc == 3 && parse_iterations(argv[2], &iterations) != 0)) {
		fprintf(stderr, "Usage: %s <lib_file> [iterations]\n", argv[0]);
		return VACCEL_EINVAL;
	}

	for (uint32_t i = 0; i < NR_ELEMS; i++)
		in_elems[i] = 2 * i;

	ret = vaccel_resource_init(&object, argv[1], VACCEL_RESOURCE_LIB);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not create library resource\n");
		return ret;
	}

	sess.hint = VACCEL_PLUGIN_DEBUG;
	ret = vaccel_session_init(&sess, sess.hint);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not initialize session\n");
		goto release_resource;
	}

	printf("Initialized session with id: %" PRId64 "\n", sess.id);

	ret = vaccel_resource_register(&object, &sess);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not register library resource\n");
		goto release_session;
	}
	registered = true;

	print_mydata("Input", &input);

	ret = vaccel_arg_array_init(&read_args, 1);
	if (ret != VACCEL_OK)
		goto release_session;
	ret = vaccel_arg_array_init(&write_args, 1);
	if (ret != VACCEL_OK) {
		vaccel_arg_array_release(&read_args);
		goto release_session;
	}
	args_initialized = true;

	ret = vaccel_arg_array_add_serialized(&read_args, VACCEL_ARG_CUSTOM,
					      MYDATA_TYPE_ID, &input,
					      sizeof(input), mydata_serialize);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not add serialized read arg\n");
		goto release_args;
	}
	ret = vaccel_arg_array_add_serialized(
		&write_args, VACCEL_ARG_CUSTOM, MYDATA_TYPE_ID,
		&output_template, sizeof(output_template), mydata_serialize);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not add serialized write arg\n");
		goto release_args;
	}

	for (int i = 0; i < iterations; i++) {
		ret = vaccel_exec_with_resource(&sess, &object,
						"mytestfunc_nonser",
						read_args.args, read_args.count,
						write_args.args,
						write_args.count);
		if (ret != VACCEL_OK) {
			fprintf(stderr, "Could not run op: %d\n", ret);
			goto release_args;
		}
	}

	vaccel_arg_array_reset_position(&write_args);
	ret = vaccel_arg_array_get_serialized(&write_args, VACCEL_ARG_CUSTOM,
					      MYDATA_TYPE_ID, &output,
					      sizeof(output),
					      mydata_deserialize);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not deserialize output\n");
		goto release_args;
	}

	print_mydata("Output", &output);
	mydata_release(&output);

release_args:
	if (args_initialized) {
		vaccel_arg_array_release(&write_args);
		vaccel_arg_array_release(&read_args);
	}
release_session:
	if (registered)
		keep_first_error(&ret,
				 vaccel_resource_unregister(&object, &sess),
				 "Could not unregister library resource");
	keep_first_error(&ret, vaccel_session_release(&sess),
			 "Could not release session");
release_resource:
	keep_first_error(&ret, vaccel_resource_release(&object),
			 "Could not release library resource");
	return ret;
}
