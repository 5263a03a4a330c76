/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec_with_resource: run `mytestfunc` through vaccel_exec_with_resource()
 * from two LIB resources made from the same library:
 *   1. a resource created from the library path (before the session);
 *   2. a resource created from the library bytes with
 *      vaccel_resource_init_from_buf(..., "lib.so", mem_only = false),
 *      which vAccel persists to <rundir>/resource.<id>/lib.so.
 * Input INT32 10, output INT32 (printed as `output1:` / `output2:`).
 *
 * Usage: exec_with_resource <lib_file> [iterations]
 */
#include "common.h"
#include "utils/fs.h"
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <vaccel.h>

static int run_exec(struct vaccel_session *sess, struct vaccel_resource *res,
		    int iterations, struct vaccel_arg_array *read_args,
		    struct vaccel_arg_array *write_args)
{
	for (int i = 0; i < iterations; i++) {
		int ret = vaccel_exec_with_resource(
			sess, res, "mytestfunc", read_args->args,
			read_args->count, write_args->args, write_args->count);
		if (ret != VACCEL_OK) {
			fprintf(stderr, "Could not run op: %d\n", ret);
			return ret;
		}
	}
	return VACCEL_OK;
}

int main(int argc, char *argv[])
{
	int ret;
	int iterations = 1;
	int32_t input = 10;
	int32_t output1 = 0;
	int32_t output2 = 0;
	void *lib_buf = NULL;
	size_t lib_size = 0;
	bool res1_registered = false;
	bool res2_registered = false;
	bool args_initialized = false;
	struct vaccel_session sess = { .id = 0 };
	struct vaccel_resource res1 = { .id = 0 };
	struct vaccel_resource res2 = { .id = 0 };
	struct vaccel_arg_array read_args;
	struct vaccel_arg_array write_args1;
	struct vaccel_arg_array write_args2;

	if (argc < 2 || argc > 3 ||
	    (argc == 3 && parse_iterations(argv[2], &iterations) != 0)) {
		fprintf(stderr, "Usage: %s <lib_file> [iterations]\n", argv[0]);
		return VACCEL_EINVAL;
	}

	ret = vaccel_resource_init(&res1, argv[1], VACCEL_RESOURCE_LIB);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not create library resource\n");
		return ret;
	}

	ret = vaccel_session_init(&sess, 0);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not initialize session\n");
		goto release_res1;
	}

	printf("Initialized session with id: %" PRId64 "\n", sess.id);

	ret = vaccel_resource_register(&res1, &sess);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not register library resource\n");
		goto release_session;
	}
	res1_registered = true;

	ret = fs_file_read(argv[1], &lib_buf, &lib_size);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not read library %s\n", argv[1]);
		goto release_session;
	}

	ret = vaccel_resource_init_from_buf(&res2, lib_buf, lib_size,
					    VACCEL_RESOURCE_LIB, "lib.so",
					    false);
	if (ret != VACCEL_OK) {
		fprintf(stderr,
			"Could not create library resource from buffer\n");
		goto release_session;
	}

	ret = vaccel_resource_register(&res2, &sess);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not register library resource\n");
		goto release_res2;
	}
	res2_registered = true;

	ret = vaccel_arg_array_init(&read_args, 1);
	if (ret != VACCEL_OK)
		goto release_res2;
	ret = vaccel_arg_array_init(&write_args1, 1);
	if (ret != VACCEL_OK) {
		vaccel_arg_array_release(&read_args);
		goto release_res2;
	}
	ret = vaccel_arg_array_init(&write_args2, 1);
	if (ret != VACCEL_OK) {
		vaccel_arg_array_release(&write_args1);
		vaccel_arg_array_release(&read_args);
		goto release_res2;
	}
	args_initialized = true;

	if ((ret = vaccel_arg_array_add_int32(&read_args, &input)) ||
	    (ret = vaccel_arg_array_add_int32(&write_args1, &output1)) ||
	    (ret = vaccel_arg_array_add_int32(&write_args2, &output2))) {
		fprintf(stderr, "Could not add args\n");
		goto release_res2;
	}

	ret = run_exec(&sess, &res1, iterations, &read_args, &write_args1);
	if (ret != VACCEL_OK)
		goto release_res2;
	printf("output1: %" PRId32 "\n", output1);

	ret = run_exec(&sess, &res2, iterations, &read_args, &write_args2);
	if (ret != VACCEL_OK)
		goto release_res2;
	printf("output2: %" PRId32 "\n", output2);

release_res2:
	if (args_initialized) {
		vaccel_arg_array_release(&write_args2);
		vaccel_arg_array_release(&write_args1);
		vaccel_arg_array_release(&read_args);
	}
	if (res2_registered)
		keep_first_error(&ret, vaccel_resource_unregister(&res2, &sess),
				 "Could not unregister library resource");
	if (res2.id > 0)
		keep_first_error(&ret, vaccel_resource_release(&res2),
				 "Could not release library resource");
release_session:
	if (res1_registered)
		keep_first_error(&ret, vaccel_resource_unregister(&res1, &sess),
				 "Could not unregister library resource");
	keep_first_error(&ret, vaccel_session_release(&sess),
			 "Could not release session");
release_res1:
	keep_first_error(&ret, vaccel_resource_release(&res1),
			 "Could not release library resource");
	free(lib_buf);
	return ret;
}
