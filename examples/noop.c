/* SPDX-License-Identifier: Apache-2.0 */
/*
 * noop: initialise a session and call vaccel_noop() `iterations` times.
 *
 * Usage: noop [iterations]
 */
#include "common.h"
#include <inttypes.h>
#include <stdio.h>
#include <vaccel.h>

int main(int argc, char *argv[])
{
	int ret;
	int iterations = 1;
	struct vaccel_session sess = { .id = 0 };

	if (argc > 2 || (argc == 2 && parse_iterations(argv[1], &iterations))) {
		fprintf(stderr, "Usage: %s [iterations]\n", argv[0]);
		return VACCEL_EINVAL;
	}

	ret = vaccel_session_init(&sess, 0);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not initialize session\n");
		return ret;
	}

	printf("Initialized session with id: %" PRId64 "\n", sess.id);

	for (int i = 0; i < iterations; i++) {
		ret = vaccel_noop(&sess);
		if (ret != VACCEL_OK) {
			fprintf(stderr, "Could not run op: %d\n", ret);
			break;
		}
	}

	keep_first_error(&ret, vaccel_session_release(&sess),
			 "Could not release session");

	return ret;
}
