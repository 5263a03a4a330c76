/* SPDX-License-Identifier: Apache-2.0 */
/*
 * minmax: read `num_inputs` doubles from a text file (whitespace or newline
 * separated, e.g. input_2048.csv) and run the (deprecated) MinMax operation
 * on them with the given thresholds.
 *
 * Usage: minmax <num_inputs> <input_file> <low_threshold> <high_threshold>
 */
#include "common.h"
#include "utils/fs.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vaccel.h>

/* Parse `ndata` doubles out of `text` (NUL-terminated) into `out` */
static int parse_doubles(const char *text, double *out, int ndata)
{
	const char *p = text;

	for (int i = 0; i < ndata; i++) {
		char *end = NULL;

		/* skip separators: whitespace and commas */
		while (*p != '\0' && (strchr(" \t\r\n,;", *p) != NULL))
			p++;
		out[i] = strtod(p, &end);
		if (end == p)
			return -1;
		p = end;
	}
	return 0;
}

static int read_input(const char *path, double *indata, int ndata)
{
	void *buf = NULL;
	size_t size = 0;
	char *text;
	int ret;

	ret = fs_file_read(path, &buf, &size);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not read input file %s\n", path);
		return ret;
	}

	text = malloc(size + 1);
	if (text == NULL) {
		free(buf);
		return VACCEL_ENOMEM;
	}
	memcpy(text, buf, size);
	text[size] = '\0';
	free(buf);

	ret = VACCEL_OK;
	if (parse_doubles(text, indata, ndata) != 0) {
		fprintf(stderr, "Could not read %d values from %s\n", ndata,
			path);
		ret = VACCEL_EINVAL;
	}
	free(text);
	return ret;
}

int main(int argc, char *argv[])
{
	int ret;
	int ndata;
	int low_threshold;
	int high_threshold;
	double min = 0.0;
	double max = 0.0;
	double *indata = NULL;
	double *outdata = NULL;
	struct vaccel_session sess = { .id = 0 };

	if (argc != 5 || parse_int(argv[1], &ndata) != 0 || ndata < 1 ||
	    parse_int(argv[3], &low_threshold) != 0 ||
	    parse_int(argv[4], &high_threshold) != 0) {
		fprintf(stderr,
			"Usage: %s <num_inputs> <input_file> <low_threshold> <high_threshold>\n",
			argv[0]);
		return VACCEL_EINVAL;
	}

	ret = vaccel_session_init(&sess, 0);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "Could not initialize session\n");
		return ret;
	}

	printf("Initialized session with id: %" PRId64 "\n", sess.id);

	indata = malloc((size_t)ndata * sizeof(*indata));
	outdata = malloc((size_t)ndata * sizeof(*outdata));
	if (indata == NULL || outdata == NULL) {
		fprintf(stderr, "Could not allocate memory\n");
		ret = VACCEL_ENOMEM;
		goto out;
	}

	ret = read_input(argv[2], indata, ndata);
	if (ret != VACCEL_OK)
		goto out;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	ret = vaccel_minmax(&sess, indata, ndata, low_threshold,
			    high_threshold, outdata, &min, &max);
#pragma GCC diagnostic pop
	if (ret != VACCEL_OK)
		fprintf(stderr, "Could not run op: %d\n", ret);

out:
	free(outdata);
	free(indata);
	keep_first_error(&ret, vaccel_session_release(&sess),
			 "Could not release session");
	return ret;
}
