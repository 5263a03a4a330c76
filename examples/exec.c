/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec / exec_generic: run `mytestfunc` from a shared library (normally
 * libmytestlib.so) with one INT32 input (10) and one INT32 output.
 *
 * `exec` initialises its session with the VACCEL_PLUGIN_DEBUG hint (stored
 * in sess.hint first) and calls vaccel_exec(). `exec_generic`
 * (-DUSE_GENOP) uses hint 0 and vaccel_genop() with
 *   read  = [UINT8 VACCEL_OP_EXEC, STRING library, STRING "mytestfunc",
 *            INT32 10]
 *   write = [INT32 output]
 *
 * Usage: exec[_generic] <lib_file> [iterations]
 */
#include "common.h"
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <vaccel.h>

int main(int argc, char *argv[])
{
	int ret;
	int iterations = 1;
	int32_t input = 10;
	int32_t output = 0;
	struct vaccel_session sess = { .id = 0 };
	struct vaccel_arg_array read_args;
	struct vaccel_arg_array write_args;
#ifdef USE_GENOP
	uint8_t op_type = (uint8_t)VACCEL_OP_EXEC;
	char fn_symbol[] = "mytestfunc";
#endif

	if (argc < 2 || argc > 3 ||
	    (argc == 3 && parse_iterations(argv[2], &iterations) != 0)) {
		fprintf(stderr, "Usage: %s <lib_file> [iterations]\n", argv[0]);
		return VACCEL_EINVAL;
	}

#ifdef USE_GENOP
	ret = vaccel_session_init(&sess, 0);
#else
	sess.hint = VACCEL_PLUGIN_DEBUG;
	ret = vaccel_session_init(&sess, sess.hint);
#endif
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not initialize session\n");
		return ret;
	}

	printf("Initialized session with id: %" PRId64 "\n", sess.id);

	ret = vaccel_arg_array_init(&read_args, 0);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not initialize read args array\n");
		goto release_session;
	}
	ret = vaccel_arg_array_init(&write_args, 0);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not initialize write args array\n");
		goto release_read;
	}

#ifdef USE_GENOP
	if ((ret = vaccel_arg_array_add_uint8(&read_args, &op_type)) ||
	    (ret = vaccel_arg_array_add_string(&read_args, argv[1])) ||
	    (ret = vaccel_arg_array_add_string(&read_args, fn_symbol))) {
		fprintf(stderr, "Could not add read args\n");
		goto release_args;
	}
#endif
	ret = vaccel_arg_array_add_int32(&read_args, &input);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not add read arg\n");
		goto release_args;
	}
	ret = vaccel_arg_array_add_int32(&write_args, &output);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not add write arg\n");
		goto release_args;
	}

	for (int i = 0; i < iterations; i++) {
#ifdef USE_GENOP
		ret = vaccel_genop(&sess, read_args.args, (int)read_args.count,
				   write_args.args, (int)write_args.count);
#else
		ret = vaccel_exec(&sess, argv[1], "mytestfunc", read_args.args,
				  read_args.count, write_args.args,
				  write_args.count);
#endif
		if (ret != VACCEL_OK) {
			fprintf(stderr, "Could not run op: %d\n", ret);
			goto release_args;
		}
	}

	printf("output: %" PRId32 "\n", output);

release_args:
	vaccel_arg_array_release(&write_args);
release_read:
	vaccel_arg_array_release(&read_args);
release_session:
	keep_first_error(&ret, vaccel_session_release(&sess),
			 "Could not release session");
	return ret;
}
