// SPDX-License-Identifier: Apache-2.0
/*
 * exec / exec_with_resource / genop exec with <stage>/lib/libmytestlib.so
 * (spec §15, §16.2, §18.1, §18.2, §19.1, §20 "ops"). Runs with either
 * VACCEL_PLUGINS=libvaccel-noop.so (output = input) or
 * VACCEL_PLUGINS=libvaccel-exec.so VACCEL_EXEC_DLCLOSE_ENABLED=1
 * [VACCEL_EXEC_DLOPEN_MODE=lazy] (output = 2 × input); the plugin is
 * detected from the session.
 */
#include "check.h"

#include <limits.h>
#include <utils/fs.h>
#include <vaccel.h>

#define ARG(ptr, sz, t) \
	{ .buf = (void *)(ptr), .size = (sz), .type = (t), .owned = false }

static struct vaccel_session sess = { .id = 0 };
static char lib_path[PATH_MAX];
static bool is_exec;
static int factor;

/* struct mydata of libmytestlib (custom type id 100) */
struct mydata {
	uint32_t count;
	uint32_t *array;
};

static int mydata_serialize(const void *data, size_t data_size,
			    uint32_t custom_id, void **buf, size_t *size)
{
	const struct mydata *d = data;
	uint32_t *out;

	(void)custom_id;
	if (d == NULL || data_size != sizeof(*d))
		return VACCEL_EINVAL;
	out = malloc(((size_t)d->count + 1) * sizeof(uint32_t));
	if (out == NULL)
		return VACCEL_ENOMEM;
	out[0] = d->count;
	memcpy(&out[1], d->array, d->count * sizeof(uint32_t));
	*buf = out;
	*size = ((size_t)d->count + 1) * sizeof(uint32_t);
	return VACCEL_OK;
}

static int mydata_deserialize(const void *buf, size_t size, uint32_t custom_id,
			      size_t data_size, void *data)
{
	struct mydata *d = data;
	uint32_t count;

	(void)custom_id;
	if (d == NULL || data_size != sizeof(*d) || size < sizeof(count))
		return VACCEL_EINVAL;
	memcpy(&count, buf, sizeof(count));
	if (size != ((size_t)count + 1) * sizeof(uint32_t))
		return VACCEL_EINVAL;
	d->array = malloc(count * sizeof(uint32_t));
	if (d->array == NULL)
		return VACCEL_ENOMEM;
	memcpy(d->array, (const uint32_t *)buf + 1, count * sizeof(uint32_t));
	d->count = count;
	return VACCEL_OK;
}

static void test_exec(void)
{
	int32_t in = 10, out = 0;
	struct vaccel_arg read[] = { ARG(&in, sizeof(in), VACCEL_ARG_INT32) };
	struct vaccel_arg write[] = { ARG(&out, sizeof(out), VACCEL_ARG_INT32) };
	char *log;

	capture_begin();
	CHECK_INT(vaccel_exec(&sess, lib_path, "mytestfunc", read, 1, write, 1),
		  VACCEL_OK);
	log = capture_end();
	CHECK_INT(out, factor * in);
	if (is_exec) {
		CHECK_HAS(log, "I got nr_in: 1, nr_out: 1\n");
		CHECK_HAS(log, "I got input: 10\n");
		CHECK_HAS(log, "Will return output: 20\n");
		CHECK_HAS(log, "[exec] read[0].type: int32\n");
	} else {
		CHECK_HAS(log, "[noop] will return dummy output = input\n");
	}
	free(log);
	CHECK_INT(vaccel_exec(NULL, lib_path, "mytestfunc", read, 1, write, 1),
		  VACCEL_EINVAL);
	if (!is_exec) {
		CHECK_INT(vaccel_exec(&sess, NULL, "mytestfunc", read, 1, write,
				      1),
			  VACCEL_EINVAL);
		CHECK_INT(vaccel_exec(&sess, lib_path, NULL, read, 1, write, 1),
			  VACCEL_EINVAL);
	}

	/* through genop: [UINT8 op, STRING lib, STRING symbol, args...] */
	{
		uint8_t op = VACCEL_OP_EXEC;
		struct vaccel_arg gread[] = {
			ARG(&op, 1, VACCEL_ARG_UINT8),
			ARG(lib_path, strlen(lib_path) + 1, VACCEL_ARG_STRING),
			ARG("mytestfunc", sizeof("mytestfunc"),
			    VACCEL_ARG_STRING),
			ARG(&in, sizeof(in), VACCEL_ARG_INT32),
		};

		out = 0;
		CHECK_INT(vaccel_genop(&sess, gread, 4, write, 1), VACCEL_OK);
		CHECK_INT(out, factor * in);
		/* too few read arguments */
		CHECK_INT(vaccel_genop(&sess, gread, 2, write, 1),
			  VACCEL_EINVAL);
		/* library must be a STRING */
		gread[1].type = VACCEL_ARG_RAW;
		CHECK_INT(vaccel_genop(&sess, gread, 4, write, 1),
			  VACCEL_EINVAL);
		gread[1].type = VACCEL_ARG_STRING;
		/* ... NUL-terminated */
		gread[2].size = strlen("mytestfunc");
		CHECK_INT(vaccel_genop(&sess, gread, 4, write, 1),
			  VACCEL_EINVAL);
	}

	if (is_exec) {
		char *o;

		/* symbol missing → ENOSYS */
		capture_begin();
		CHECK_INT(vaccel_exec(&sess, lib_path, "no_such_function",
				      read, 1, write, 1),
			  VACCEL_ENOSYS);
		o = capture_end();
		CHECK_HAS(o, "dlsym failed: ");
		free(o);
		/* library missing → EINVAL */
		capture_begin();
		CHECK_INT(vaccel_exec(&sess, "/nonexistent/libnothere.so",
				      "mytestfunc", read, 1, write, 1),
			  VACCEL_EINVAL);
		o = capture_end();
		CHECK_HAS(o, "dlopen failed: ");
		free(o);
		/* the function fails (wrong argument count) → EBACKEND */
		CHECK_INT(vaccel_exec(&sess, lib_path, "mytestfunc", read, 1,
				      write, 0),
			  VACCEL_EBACKEND);
	}
}

static void test_exec_with_resource(void)
{
	struct vaccel_resource lib = { .id = 0 };
	struct vaccel_resource buflib = { .id = 0 };
	int32_t in = 10, out = 0;
	struct vaccel_arg read[] = { ARG(&in, sizeof(in), VACCEL_ARG_INT32) };
	struct vaccel_arg write[] = { ARG(&out, sizeof(out), VACCEL_ARG_INT32) };
	void *bytes = NULL;
	size_t nbytes = 0;
	char *log;

	CHECK_INT(vaccel_resource_init(&lib, lib_path, VACCEL_RESOURCE_LIB),
		  VACCEL_OK);
	/* not registered → EPERM */
	CHECK_INT(vaccel_exec_with_resource(&sess, &lib, "mytestfunc", read, 1,
					    write, 1),
		  VACCEL_EPERM);
	CHECK_INT(vaccel_resource_register(&lib, &sess), VACCEL_OK);

	capture_begin();
	CHECK_INT(vaccel_exec_with_resource(&sess, &lib, "mytestfunc", read, 1,
					    write, 1),
		  VACCEL_OK);
	log = capture_end();
	CHECK_INT(out, factor * in);
	if (!is_exec) {
		char want[PATH_MAX + 64];

		snprintf(want, sizeof(want),
			 "[noop] library: %s symbol: mytestfunc\n", lib_path);
		CHECK_HAS(log, want);
	}
	free(log);
	if (is_exec)
		CHECK(lib.plugin_priv != NULL);

	/* a second call reuses the cached handles */
	out = 0;
	CHECK_INT(vaccel_exec_with_resource(&sess, &lib, "mytestfunc", read, 1,
					    write, 1),
		  VACCEL_OK);
	CHECK_INT(out, factor * in);

	/* through genop: [UINT8 op, INT64 resource id, STRING symbol, args] */
	{
		uint8_t op = VACCEL_OP_EXEC_WITH_RESOURCE;
		int64_t id = lib.id;
		int64_t bad_id = 4242;
		struct vaccel_arg gread[] = {
			ARG(&op, 1, VACCEL_ARG_UINT8),
			ARG(&id, sizeof(id), VACCEL_ARG_INT64),
			ARG("mytestfunc", sizeof("mytestfunc"),
			    VACCEL_ARG_STRING),
			ARG(&in, sizeof(in), VACCEL_ARG_INT32),
		};

		out = 0;
		CHECK_INT(vaccel_genop(&sess, gread, 4, write, 1), VACCEL_OK);
		CHECK_INT(out, factor * in);
		gread[1].buf = &bad_id;
		CHECK(vaccel_genop(&sess, gread, 4, write, 1) != VACCEL_OK);
		gread[1].buf = &id;
		gread[1].type = VACCEL_ARG_INT32;
		CHECK_INT(vaccel_genop(&sess, gread, 4, write, 1),
			  VACCEL_EINVAL);
	}

	/* a persisted buffer resource "lib.so" */
	CHECK_INT(fs_file_read(lib_path, &bytes, &nbytes), VACCEL_OK);
	CHECK_INT(vaccel_resource_init_from_buf(&buflib, bytes, nbytes,
						VACCEL_RESOURCE_LIB, "lib.so",
						false),
		  VACCEL_OK);
	CHECK_INT(vaccel_resource_register(&buflib, &sess), VACCEL_OK);
	out = 0;
	capture_begin();
	CHECK_INT(vaccel_exec_with_resource(&sess, &buflib, "mytestfunc", read,
					    1, write, 1),
		  VACCEL_OK);
	log = capture_end();
	CHECK_INT(out, factor * in);
	if (!is_exec && buflib.rundir) {
		char want[PATH_MAX + 64];

		snprintf(want, sizeof(want),
			 "[noop] library: %s/lib.so symbol: mytestfunc\n",
			 buflib.rundir);
		CHECK_HAS(log, want);
	}
	free(log);

	/* exec's unregister hook closes the cached handles */
	CHECK_INT(vaccel_resource_unregister(&lib, &sess), VACCEL_OK);
	CHECK(lib.plugin_priv == NULL);

	/* genop resolves the id globally; it must still be registered */
	{
		uint8_t op = VACCEL_OP_EXEC_WITH_RESOURCE;
		int64_t id = lib.id;
		struct vaccel_arg gread[] = {
			ARG(&op, 1, VACCEL_ARG_UINT8),
			ARG(&id, sizeof(id), VACCEL_ARG_INT64),
			ARG("mytestfunc", sizeof("mytestfunc"),
			    VACCEL_ARG_STRING),
			ARG(&in, sizeof(in), VACCEL_ARG_INT32),
		};

		CHECK_INT(vaccel_genop(&sess, gread, 4, write, 1),
			  VACCEL_EPERM);
	}

	if (is_exec) {
		CHECK_INT(vaccel_resource_register(&lib, &sess), VACCEL_OK);
		CHECK_INT(vaccel_exec_with_resource(&sess, &lib,
						    "no_such_function", read,
						    1, write, 1),
			  VACCEL_ENOSYS);
		CHECK_INT(vaccel_exec_with_resource(&sess, &lib, "mytestfunc",
						    read, 1, write, 0),
			  VACCEL_EBACKEND);
	}

	CHECK_INT(vaccel_resource_release(&buflib), VACCEL_OK);
	CHECK_INT(vaccel_resource_release(&lib), VACCEL_OK);
	CHECK(lib.plugin_priv == NULL);
	free(bytes);
}

static void test_exec_serialized(void)
{
	struct vaccel_resource lib = { .id = 0 };
	uint32_t in_elems[6] = { 0, 2, 4, 6, 8, 10 };
	uint32_t zero[6] = { 0 };
	struct mydata input = { .count = 6, .array = in_elems };
	struct mydata templ = { .count = 6, .array = zero };
	struct mydata output = { .count = 0, .array = NULL };
	struct vaccel_arg_array ra, wa;

	CHECK_INT(vaccel_resource_init(&lib, lib_path, VACCEL_RESOURCE_LIB),
		  VACCEL_OK);
	CHECK_INT(vaccel_resource_register(&lib, &sess), VACCEL_OK);
	CHECK_INT(vaccel_arg_array_init(&ra, 1), VACCEL_OK);
	CHECK_INT(vaccel_arg_array_init(&wa, 1), VACCEL_OK);
	CHECK_INT(vaccel_arg_array_add_serialized(&ra, VACCEL_ARG_CUSTOM, 100,
						  &input, sizeof(input),
						  mydata_serialize),
		  VACCEL_OK);
	CHECK_INT(vaccel_arg_array_add_serialized(&wa, VACCEL_ARG_CUSTOM, 100,
						  &templ, sizeof(templ),
						  mydata_serialize),
		  VACCEL_OK);
	CHECK_INT(ra.count, 1);
	CHECK(ra.count == 1 && ra.args[0].size == 28 && ra.args[0].owned);
	CHECK_INT(vaccel_exec_with_resource(&sess, &lib, "mytestfunc_nonser",
					    ra.args, ra.count, wa.args,
					    wa.count),
		  VACCEL_OK);
	vaccel_arg_array_reset_position(&wa);
	CHECK_INT(vaccel_arg_array_get_serialized(&wa, VACCEL_ARG_CUSTOM, 100,
						  &output, sizeof(output),
						  mydata_deserialize),
		  VACCEL_OK);
	CHECK_INT(output.count, 6);
	if (output.count == 6 && output.array) {
		for (int i = 0; i < 6; i++)
			CHECK_INT(output.array[i],
				  is_exec ? in_elems[5 - i] : in_elems[i]);
	}
	free(output.array);
	CHECK_INT(vaccel_arg_array_release(&ra), VACCEL_OK);
	CHECK_INT(vaccel_arg_array_release(&wa), VACCEL_OK);
	CHECK_INT(vaccel_resource_release(&lib), VACCEL_OK);
}

/* The exec plugin only serves noop, exec and exec_with_resource */
static void test_missing_ops(void)
{
	unsigned char text[64], name[64];
	char *log;

	if (!is_exec) {
		CHECK(true);
		return;
	}
	CHECK_INT(vaccel_noop(&sess), VACCEL_OK);
	capture_begin();
	CHECK_INT(vaccel_image_classification(&sess, "x", text, name, 1,
					      sizeof(text), sizeof(name)),
		  VACCEL_ENOTSUP);
	log = capture_end();
	CHECK_HAS(log, "Could not return func, plugin exec does not implement "
		       "image_classify");
	free(log);
	{
		float a[1] = { 1 }, b[1] = { 1 }, c[1] = { 3 };

		CHECK_INT(vaccel_sgemm(&sess, 1, 1, 1, 1.0f, a, 1, b, 1, 1.0f,
				       c, 1),
			  VACCEL_ENOTSUP);
		CHECK(c[0] == 3);
	}
	{
		struct vaccel_tf_status st = { 0 };
		struct vaccel_resource model = { .id = 0 };

		CHECK_INT(vaccel_resource_init(&model, lib_path,
					       VACCEL_RESOURCE_MODEL),
			  VACCEL_OK);
		CHECK_INT(vaccel_resource_register(&model, &sess), VACCEL_OK);
		CHECK_INT(vaccel_tf_model_load(&sess, &model, &st),
			  VACCEL_ENOTSUP);
		CHECK_INT(vaccel_torch_model_load(&sess, &model),
			  VACCEL_ENOTSUP);
		CHECK_INT(vaccel_resource_release(&model), VACCEL_OK);
	}
}

int main(void)
{
	snprintf(lib_path, sizeof(lib_path), "%s/lib/libmytestlib.so",
		 test_env("VACCEL_TEST_STAGE"));

	CHECK_INT(vaccel_session_init(&sess, 0), VACCEL_OK);
	CHECK(sess.plugin != NULL);
	if (sess.plugin == NULL)
		return CHECK_DONE();
	is_exec = strcmp(sess.plugin->info->name, "exec") == 0;
	factor = is_exec ? 2 : 1;
	printf("-- plugin %s\n", sess.plugin->info->name);

	test_exec();
	test_exec_with_resource();
	test_exec_serialized();
	test_missing_ops();
	CHECK_INT(vaccel_session_release(&sess), VACCEL_OK);
	return CHECK_DONE();
}
