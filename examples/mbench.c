/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mbench: micro-benchmark driver for the mbench plugin.
 *
 * Calls vaccel_exec(sess, "mbench", "mbench", read, 2, NULL, 0) with
 *   read[0] = RAW, size sizeof(int): the busy-wait time in ms as a decimal
 *             string (argv[1]);
 *   read[1] = RAW: the whole contents of <lib_file> (payload).
 *
 * Usage: mbench <time_ms> <lib_file> [iterations]
 */
#include "common.h"
#include "utils/fs.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vaccel.h>

int main(int argc, char *argv[])
{
	int ret;
	int iterations = 1;
	char *time_str = NULL;
	size_t time_len;
	void *file = NULL;
	size_t file_size = 0;
	struct vaccel_arg read[2];
	struct vaccel_session sess = { .id = 0 };
	struct vaccel_prof_region stats = VACCEL_PROF_REGION_INIT("mbench");

	if (argc < 3 || argc > 4 ||
	    (argc == 4 && parse_iterations(argv[3], &iterations) != 0)) {
		fprintf(stderr, "Usage: %s <time_ms> <lib_file> [iterations]\n",
			argv[0]);
		return VACCEL_EINVAL;
	}

	/*
	 * The plugin parses read[0] with atoi(); the argument is sizeof(int)
	 * bytes long, as upstream. Keep the string in a zero-padded buffer of
	 * at least that size so nothing past the argument's memory is read.
	 */
	time_len = strlen(argv[1]) + 1;
	time_str = calloc(time_len > sizeof(int) ? time_len : sizeof(int), 1);
	if (time_str == NULL)
		return VACCEL_ENOMEM;
	memcpy(time_str, argv[1], time_len);

	ret = vaccel_session_init(&sess, 0);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not initialize session\n");
		goto free_time;
	}

	printf("Initialized session with id: %" PRId64 "\n", sess.id);

	ret = fs_file_read(argv[2], &file, &file_size);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not read file %s\n", argv[2]);
		goto release_session;
	}

	read[0] = (struct vaccel_arg){ .buf = time_str,
				       .size = sizeof(int),
				       .type = VACCEL_ARG_RAW };
	read[1] = (struct vaccel_arg){ .buf = file,
				       .size = file_size,
				       .type = VACCEL_ARG_RAW };

	for (int i = 0; i < iterations; i++) {
		vaccel_prof_region_start(&stats);
		ret = vaccel_exec(&sess, "mbench", "mbench", read, 2, NULL, 0);
		vaccel_prof_region_stop(&stats);
		if (ret != VACCEL_OK) {
			fprintf(stderr, "Could not run op: %d\n", ret);
			break;
		}
	}

	if (ret == VACCEL_OK)
		vaccel_prof_region_print(&stats);

	free(file);
release_session:
	keep_first_error(&ret, vaccel_session_release(&sess),
			 "Could not release session");
free_time:
	free(time_str);
	vaccel_prof_region_release(&stats);
	return ret;
}
