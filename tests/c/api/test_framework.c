// SPDX-License-Identifier: Apache-2.0
/*
 * TensorFlow / TFLite / Torch helpers and their noop model operations
 * (spec §15.5, §17, §18.1, §20 "ops"). Run with
 * VACCEL_PLUGINS=libvaccel-noop.so.
 */
#include "check.h"

#include <limits.h>
#include <vaccel.h>

static char data_dir[PATH_MAX];

static void test_tf_buffer(void)
{
	struct vaccel_tf_buffer b = { 0 };
	struct vaccel_tf_buffer *p = NULL;
	char *data = malloc(16);
	void *d = NULL;
	size_t s = 0;

	CHECK_INT(vaccel_tf_buffer_init(NULL, data, 16), VACCEL_EINVAL);
	CHECK_INT(vaccel_tf_buffer_init(&b, data, 16), VACCEL_OK);
	CHECK(b.data == data);
	CHECK_INT(b.size, 16);
	CHECK_INT(vaccel_tf_buffer_take_data(&b, &d, &s), VACCEL_OK);
	CHECK(d == data);
	CHECK_INT(s, 16);
	CHECK(b.data == NULL);
	CHECK_INT(b.size, 0);
	CHECK_INT(vaccel_tf_buffer_take_data(NULL, &d, &s), VACCEL_EINVAL);
	/* release does not free taken data; the buffer owns new data */
	CHECK_INT(vaccel_tf_buffer_release(&b), VACCEL_OK);
	CHECK_INT(vaccel_tf_buffer_init(&b, d, s), VACCEL_OK);
	CHECK_INT(vaccel_tf_buffer_release(&b), VACCEL_OK);
	CHECK(b.data == NULL);
	CHECK_INT(b.size, 0);
	CHECK_INT(vaccel_tf_buffer_release(NULL), VACCEL_EINVAL);

	CHECK_INT(vaccel_tf_buffer_new(&p, malloc(8), 8), VACCEL_OK);
	CHECK(p != NULL && p->size == 8 && p->data != NULL);
	CHECK_INT(vaccel_tf_buffer_delete(p), VACCEL_OK);
	CHECK_INT(vaccel_tf_buffer_new(NULL, NULL, 0), VACCEL_EINVAL);
	CHECK_INT(vaccel_tf_buffer_delete(NULL), VACCEL_EINVAL);
}

static void test_tf_node(void)
{
	struct vaccel_tf_node n = { 0 };
	struct vaccel_tf_node *p = NULL;
	char name[] = "serving_default_input_1";

	CHECK_INT(vaccel_tf_node_init(&n, name, 3), VACCEL_OK);
	CHECK_STR(n.name, name);
	CHECK(n.name != name);
	CHECK_INT(n.id, 3);
	CHECK_INT(vaccel_tf_node_release(&n), VACCEL_OK);
	CHECK(n.name == NULL);
	CHECK_INT(n.id, -1);
	CHECK_INT(vaccel_tf_node_init(&n, NULL, 0), VACCEL_EINVAL);
	CHECK_INT(vaccel_tf_node_init(NULL, name, 0), VACCEL_EINVAL);
	CHECK_INT(vaccel_tf_node_release(NULL), VACCEL_EINVAL);

	CHECK_INT(vaccel_tf_node_new(&p, "out", 1), VACCEL_OK);
	CHECK(p != NULL);
	if (p) {
		CHECK_STR(p->name, "out");
		CHECK_INT(p->id, 1);
	}
	CHECK_INT(vaccel_tf_node_delete(p), VACCEL_OK);
	CHECK_INT(vaccel_tf_node_new(&p, NULL, 1), VACCEL_EINVAL);
	CHECK_INT(vaccel_tf_node_new(NULL, "x", 1), VACCEL_EINVAL);
	CHECK_INT(vaccel_tf_node_delete(NULL), VACCEL_EINVAL);
}

static void test_tf_tensor(void)
{
	struct vaccel_tf_tensor t;
	struct vaccel_tf_tensor *p = NULL;
	int64_t dims[] = { 1, 30 };
	float data[30];
	void *d = NULL;
	size_t s = 0;
	char *out;

	memset(&t, 0x5a, sizeof(t));
	CHECK_INT(vaccel_tf_tensor_init(&t, 2, dims, VACCEL_TF_FLOAT),
		  VACCEL_OK);
	CHECK_INT(t.nr_dims, 2);
	CHECK(t.dims != NULL && t.dims != dims);
	CHECK(t.dims && t.dims[0] == 1 && t.dims[1] == 30);
	CHECK(t.data == NULL);
	CHECK_INT(t.size, 0);
	CHECK(!t.owned);
	CHECK_INT(t.data_type, VACCEL_TF_FLOAT);

	CHECK_INT(vaccel_tf_tensor_set_data(&t, data, sizeof(data)), VACCEL_OK);
	CHECK(t.data == data);
	CHECK_INT(t.size, sizeof(data));
	CHECK(!t.owned);
	CHECK_INT(vaccel_tf_tensor_take_data(&t, &d, &s), VACCEL_OK);
	CHECK(d == data);
	CHECK_INT(s, sizeof(data));
	CHECK(!t.owned);
	CHECK_INT(vaccel_tf_tensor_release(&t), VACCEL_OK);
	CHECK(t.dims == NULL);
	CHECK_INT(t.nr_dims, 0);
	CHECK(t.data == NULL);
	CHECK_INT(t.size, 0);

	/* dims NULL → zeroed dims */
	CHECK_INT(vaccel_tf_tensor_init(&t, 3, NULL, VACCEL_TF_INT32),
		  VACCEL_OK);
	CHECK(t.dims && t.dims[0] == 0 && t.dims[1] == 0 && t.dims[2] == 0);
	CHECK_INT(vaccel_tf_tensor_release(&t), VACCEL_OK);

	/* errors */
	CHECK_INT(vaccel_tf_tensor_init(&t, 0, dims, VACCEL_TF_FLOAT),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_tf_tensor_init(&t, -1, dims, VACCEL_TF_FLOAT),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_tf_tensor_init(NULL, 2, dims, VACCEL_TF_FLOAT),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_tf_tensor_release(NULL), VACCEL_EINVAL);
	CHECK_INT(vaccel_tf_tensor_set_data(NULL, data, 4), VACCEL_EINVAL);
	CHECK_INT(vaccel_tf_tensor_take_data(NULL, &d, &s), VACCEL_EINVAL);

	/* new / allocate / delete */
	CHECK_INT(vaccel_tf_tensor_new(&p, 2, dims, VACCEL_TF_FLOAT),
		  VACCEL_OK);
	CHECK(p != NULL && p->nr_dims == 2 && p->data == NULL && !p->owned);
	CHECK_INT(vaccel_tf_tensor_delete(p), VACCEL_OK);
	p = NULL;
	CHECK_INT(vaccel_tf_tensor_new(&p, 0, dims, VACCEL_TF_FLOAT),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_tf_tensor_new(NULL, 2, dims, VACCEL_TF_FLOAT),
		  VACCEL_EINVAL);
	p = NULL;
	CHECK_INT(vaccel_tf_tensor_allocate(&p, 2, dims, VACCEL_TF_FLOAT, 120),
		  VACCEL_OK);
	CHECK(p != NULL && p->data != NULL && p->size == 120 && p->owned);
	if (p) {
		void *old = p->data;

		/* replacing owned data warns; the caller frees the old data */
		capture_begin();
		CHECK_INT(vaccel_tf_tensor_set_data(p, data, sizeof(data)),
			  VACCEL_OK);
		out = capture_end();
		CHECK_HAS(out, "Previous tensor data will not be freed by "
			       "release");
		free(out);
		CHECK(!p->owned);
		free(old);
	}
	CHECK_INT(vaccel_tf_tensor_delete(p), VACCEL_OK);
	p = NULL;
	CHECK_INT(vaccel_tf_tensor_allocate(&p, 2, dims, VACCEL_TF_FLOAT, 0),
		  VACCEL_OK);
	CHECK(p != NULL && p->data == NULL);
	CHECK_INT(vaccel_tf_tensor_delete(p), VACCEL_OK);
	CHECK_INT(vaccel_tf_tensor_delete(NULL), VACCEL_EINVAL);
}

static void test_tf_status(void)
{
	struct vaccel_tf_status st = { 0 };
	struct vaccel_tf_status *p = NULL;
	char msg[] = "message";

	CHECK_INT(vaccel_tf_status_init(&st, 3, msg), VACCEL_OK);
	CHECK_INT(st.code, 3);
	CHECK_STR(st.message, msg);
	CHECK(st.message != msg);
	CHECK_INT(vaccel_tf_status_release(&st), VACCEL_OK);
	CHECK(st.message == NULL);
	CHECK_INT(st.code, 0);
	CHECK_INT(vaccel_tf_status_init(&st, 3, NULL), VACCEL_EINVAL);
	CHECK_INT(vaccel_tf_status_init(NULL, 3, msg), VACCEL_EINVAL);
	CHECK_INT(vaccel_tf_status_release(NULL), VACCEL_EINVAL);
	CHECK_INT(vaccel_tf_status_new(&p, 1, "m"), VACCEL_OK);
	CHECK(p != NULL && p->code == 1);
	if (p)
		CHECK_STR(p->message, "m");
	CHECK_INT(vaccel_tf_status_delete(p), VACCEL_OK);
	CHECK_INT(vaccel_tf_status_new(NULL, 1, "m"), VACCEL_EINVAL);
	CHECK_INT(vaccel_tf_status_delete(NULL), VACCEL_EINVAL);
}

static void test_tflite_tensor(void)
{
	struct vaccel_tflite_tensor t;
	struct vaccel_tflite_tensor *p = NULL;
	int32_t dims[] = { 1, 30 };
	float data[30];
	void *d = NULL;
	size_t s = 0;

	CHECK_INT(vaccel_tflite_tensor_init(&t, 2, dims, VACCEL_TFLITE_FLOAT32),
		  VACCEL_OK);
	CHECK_INT(t.nr_dims, 2);
	CHECK(t.dims && t.dims != dims && t.dims[1] == 30);
	CHECK(t.data == NULL && t.size == 0 && !t.owned);
	CHECK_INT(t.data_type, VACCEL_TFLITE_FLOAT32);
	CHECK_INT(vaccel_tflite_tensor_set_data(&t, data, sizeof(data)),
		  VACCEL_OK);
	CHECK(t.data == data && !t.owned);
	CHECK_INT(vaccel_tflite_tensor_take_data(&t, &d, &s), VACCEL_OK);
	CHECK(d == data && s == sizeof(data));
	CHECK_INT(vaccel_tflite_tensor_release(&t), VACCEL_OK);
	CHECK(t.dims == NULL && t.nr_dims == 0);
	CHECK_INT(vaccel_tflite_tensor_init(&t, 0, dims, VACCEL_TFLITE_FLOAT32),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_tflite_tensor_init(NULL, 2, dims,
					    VACCEL_TFLITE_FLOAT32),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_tflite_tensor_release(NULL), VACCEL_EINVAL);

	CHECK_INT(vaccel_tflite_tensor_new(&p, 2, dims, VACCEL_TFLITE_INT32),
		  VACCEL_OK);
	CHECK(p != NULL && p->nr_dims == 2);
	CHECK_INT(vaccel_tflite_tensor_delete(p), VACCEL_OK);
	p = NULL;
	CHECK_INT(vaccel_tflite_tensor_allocate(&p, 2, dims,
						VACCEL_TFLITE_FLOAT32, 120),
		  VACCEL_OK);
	CHECK(p != NULL && p->data != NULL && p->size == 120 && p->owned);
	CHECK_INT(vaccel_tflite_tensor_delete(p), VACCEL_OK);
	CHECK_INT(vaccel_tflite_tensor_new(NULL, 2, dims, VACCEL_TFLITE_INT32),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_tflite_tensor_delete(NULL), VACCEL_EINVAL);
}

static void test_torch_helpers(void)
{
	struct vaccel_torch_buffer b = { 0 };
	struct vaccel_torch_buffer *pb = NULL;
	struct vaccel_torch_tensor t;
	struct vaccel_torch_tensor *p = NULL;
	int64_t dims[] = { 1, 3, 4 };
	char *data = malloc(12);
	float fdata[12];
	void *d = NULL;
	size_t s = 0;

	CHECK_INT(vaccel_torch_buffer_init(&b, data, 12), VACCEL_OK);
	CHECK(b.data == data && b.size == 12);
	CHECK_INT(vaccel_torch_buffer_take_data(&b, &d, &s), VACCEL_OK);
	CHECK(d == data && s == 12);
	CHECK(b.data == NULL && b.size == 0);
	CHECK_INT(vaccel_torch_buffer_release(&b), VACCEL_OK);
	free(d);
	CHECK_INT(vaccel_torch_buffer_init(NULL, NULL, 0), VACCEL_EINVAL);
	CHECK_INT(vaccel_torch_buffer_release(NULL), VACCEL_EINVAL);
	CHECK_INT(vaccel_torch_buffer_new(&pb, malloc(4), 4), VACCEL_OK);
	CHECK(pb != NULL && pb->size == 4);
	CHECK_INT(vaccel_torch_buffer_delete(pb), VACCEL_OK);
	CHECK_INT(vaccel_torch_buffer_delete(NULL), VACCEL_EINVAL);

	CHECK_INT(vaccel_torch_tensor_init(&t, 3, dims, VACCEL_TORCH_FLOAT),
		  VACCEL_OK);
	CHECK_INT(t.nr_dims, 3);
	CHECK(t.dims && t.dims != dims && t.dims[2] == 4);
	CHECK(t.data == NULL && t.size == 0 && !t.owned);
	CHECK_INT(t.data_type, VACCEL_TORCH_FLOAT);
	CHECK_INT(vaccel_torch_tensor_set_data(&t, fdata, sizeof(fdata)),
		  VACCEL_OK);
	CHECK(t.data == fdata && !t.owned);
	CHECK_INT(vaccel_torch_tensor_take_data(&t, &d, &s), VACCEL_OK);
	CHECK(d == fdata && s == sizeof(fdata));
	CHECK_INT(vaccel_torch_tensor_release(&t), VACCEL_OK);
	CHECK(t.dims == NULL && t.nr_dims == 0);
	CHECK_INT(vaccel_torch_tensor_init(&t, 0, dims, VACCEL_TORCH_FLOAT),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_torch_tensor_init(NULL, 3, dims, VACCEL_TORCH_FLOAT),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_torch_tensor_release(NULL), VACCEL_EINVAL);

	CHECK_INT(vaccel_torch_tensor_new(&p, 3, dims, VACCEL_TORCH_INT),
		  VACCEL_OK);
	CHECK(p != NULL && p->nr_dims == 3);
	CHECK_INT(vaccel_torch_tensor_delete(p), VACCEL_OK);
	p = NULL;
	CHECK_INT(vaccel_torch_tensor_allocate(&p, 3, dims, VACCEL_TORCH_FLOAT,
					       48),
		  VACCEL_OK);
	CHECK(p != NULL && p->data != NULL && p->size == 48 && p->owned);
	CHECK_INT(vaccel_torch_tensor_delete(p), VACCEL_OK);
	CHECK_INT(vaccel_torch_tensor_new(NULL, 3, dims, VACCEL_TORCH_INT),
		  VACCEL_EINVAL);
	CHECK_INT(vaccel_torch_tensor_delete(NULL), VACCEL_EINVAL);
}

static void test_tf_inference(struct vaccel_session *sess)
{
	struct vaccel_resource model = { .id = 0 };
	struct vaccel_tf_status st = { 0 };
	struct vaccel_tf_node in_node, out_node;
	struct vaccel_tf_tensor *in = NULL;
	struct vaccel_tf_tensor *out = NULL;
	int64_t dims[] = { 1, 30 };
	float data[30];
	char path[PATH_MAX + 64];
	char *log;

	for (int i = 0; i < 30; i++)
		data[i] = (float)i * 1.5f;
	snprintf(path, sizeof(path), "%s/models/tf/lstm2", data_dir);
	CHECK_INT(vaccel_resource_init(&model, path, VACCEL_RESOURCE_MODEL),
		  VACCEL_OK);
	CHECK_INT(vaccel_resource_register(&model, sess), VACCEL_OK);

	CHECK_INT(vaccel_tf_model_load(sess, &model, &st), VACCEL_OK);
	CHECK_INT(st.code, 0);
	CHECK_STR(st.message, "Operation handled by noop plugin");
	CHECK_INT(vaccel_tf_status_release(&st), VACCEL_OK);

	CHECK_INT(vaccel_tf_node_init(&in_node, "serving_default_input_1", 0),
		  VACCEL_OK);
	CHECK_INT(vaccel_tf_node_init(&out_node, "StatefulPartitionedCall", 0),
		  VACCEL_OK);
	CHECK_INT(vaccel_tf_tensor_new(&in, 2, dims, VACCEL_TF_FLOAT),
		  VACCEL_OK);
	if (in)
		CHECK_INT(vaccel_tf_tensor_set_data(in, data, sizeof(data)),
			  VACCEL_OK);

	capture_begin();
	CHECK_INT(vaccel_tf_model_run(sess, &model, NULL, &in_node, &in, 1,
				      &out_node, &out, 1, &st),
		  VACCEL_OK);
	log = capture_end();
	CHECK_HAS(log, "[noop] Number of inputs: 1\n");
	CHECK_HAS(log, "[noop] \tNode 0: serving_default_input_1:0\n");
	CHECK_HAS(log, "[noop] \t#dims: 2 -> {\n");
	CHECK_HAS(log, "[noop] Number of outputs: 1\n");
	CHECK_HAS(log, "[noop] \tNode 0: StatefulPartitionedCall:0\n");
	free(log);
	CHECK_INT(st.code, 0);
	CHECK_STR(st.message, "Operation handled by noop plugin");
	CHECK_INT(vaccel_tf_status_release(&st), VACCEL_OK);
	CHECK(out != NULL && out != in);
	if (out) {
		CHECK(out->owned);
		CHECK_INT(out->nr_dims, 2);
		CHECK(out->dims && out->dims != in->dims &&
		      out->dims[0] == 1 && out->dims[1] == 30);
		CHECK_INT(out->data_type, VACCEL_TF_FLOAT);
		CHECK_INT(out->size, sizeof(data));
		CHECK(out->data && out->data != (void *)data &&
		      memcmp(out->data, data, sizeof(data)) == 0);
		CHECK_INT(vaccel_tf_tensor_delete(out), VACCEL_OK);
	}

	CHECK_INT(vaccel_tf_model_unload(sess, &model, &st), VACCEL_OK);
	CHECK_STR(st.message, "Operation handled by noop plugin");
	CHECK_INT(vaccel_tf_status_release(&st), VACCEL_OK);
	/* without a status */
	CHECK_INT(vaccel_tf_model_unload(sess, &model, NULL), VACCEL_OK);

	CHECK_INT(vaccel_tf_tensor_delete(in), VACCEL_OK);
	CHECK_INT(vaccel_tf_node_release(&in_node), VACCEL_OK);
	CHECK_INT(vaccel_tf_node_release(&out_node), VACCEL_OK);
	CHECK_INT(vaccel_resource_release(&model), VACCEL_OK);
}

static void test_tflite_inference(struct vaccel_session *sess)
{
	struct vaccel_resource model = { .id = 0 };
	struct vaccel_tflite_tensor *in = NULL;
	struct vaccel_tflite_tensor *out = NULL;
	int32_t dims[] = { 1, 30 };
	float data[30];
	uint8_t status = 77;
	char path[PATH_MAX + 64];

	for (int i = 0; i < 30; i++)
		data[i] = (float)i;
	snprintf(path, sizeof(path), "%s/models/tf/lstm2.tflite", data_dir);
	CHECK_INT(vaccel_resource_init(&model, path, VACCEL_RESOURCE_MODEL),
		  VACCEL_OK);
	CHECK_INT(vaccel_resource_register(&model, sess), VACCEL_OK);
	CHECK_INT(vaccel_tflite_model_load(sess, &model), VACCEL_OK);
	CHECK_INT(vaccel_tflite_tensor_new(&in, 2, dims, VACCEL_TFLITE_FLOAT32),
		  VACCEL_OK);
	if (in)
		CHECK_INT(vaccel_tflite_tensor_set_data(in, data, sizeof(data)),
			  VACCEL_OK);
	CHECK_INT(vaccel_tflite_model_run(sess, &model, &in, 1, &out, 1,
					  &status),
		  VACCEL_OK);
	CHECK_INT(status, 0);
	CHECK(out != NULL);
	if (out) {
		CHECK(out->owned);
		CHECK_INT(out->nr_dims, 2);
		CHECK(out->dims && out->dims[1] == 30);
		CHECK_INT(out->data_type, VACCEL_TFLITE_FLOAT32);
		CHECK_INT(out->size, sizeof(data));
		CHECK(out->data && memcmp(out->data, data, sizeof(data)) == 0);
		CHECK_INT(vaccel_tflite_tensor_delete(out), VACCEL_OK);
	}
	CHECK_INT(vaccel_tflite_model_unload(sess, &model), VACCEL_OK);
	CHECK_INT(vaccel_tflite_tensor_delete(in), VACCEL_OK);
	CHECK_INT(vaccel_resource_release(&model), VACCEL_OK);
}

static void test_torch_inference(struct vaccel_session *sess)
{
	struct vaccel_resource model = { .id = 0 };
	struct vaccel_torch_tensor *in = NULL;
	struct vaccel_torch_tensor *out = NULL;
	int64_t dims[] = { 1, 30 };
	float data[30];
	char path[PATH_MAX + 64];
	char *log;

	for (int i = 0; i < 30; i++)
		data[i] = (float)(30 - i);
	snprintf(path, sizeof(path), "%s/models/torch/cnn_trace.pt", data_dir);
	CHECK_INT(vaccel_resource_init(&model, path, VACCEL_RESOURCE_MODEL),
		  VACCEL_OK);
	CHECK_INT(vaccel_resource_register(&model, sess), VACCEL_OK);
	capture_begin();
	CHECK_INT(vaccel_torch_model_load(sess, &model), VACCEL_OK);
	log = capture_end();
	CHECK_HAS(log, "[noop] Loading model from file ");
	free(log);
	CHECK_INT(vaccel_torch_tensor_new(&in, 2, dims, VACCEL_TORCH_FLOAT),
		  VACCEL_OK);
	if (in)
		CHECK_INT(vaccel_torch_tensor_set_data(in, data, sizeof(data)),
			  VACCEL_OK);
	CHECK_INT(vaccel_torch_model_run(sess, &model, NULL, &in, 1, &out, 1),
		  VACCEL_OK);
	CHECK(out != NULL);
	if (out) {
		CHECK(out->owned);
		CHECK_INT(out->nr_dims, 2);
		CHECK(out->dims && out->dims[1] == 30);
		CHECK_INT(out->data_type, VACCEL_TORCH_FLOAT);
		CHECK_INT(out->size, sizeof(data));
		CHECK(out->data && memcmp(out->data, data, sizeof(data)) == 0);
		CHECK_INT(vaccel_torch_tensor_delete(out), VACCEL_OK);
	}
	CHECK_INT(vaccel_torch_tensor_delete(in), VACCEL_OK);
	CHECK_INT(vaccel_resource_release(&model), VACCEL_OK);

	/* a memory-only model: BUFFER blob */
	{
		char buf[] = "not really a model";

		CHECK_INT(vaccel_resource_init_from_buf(&model, buf, sizeof(buf),
							VACCEL_RESOURCE_MODEL,
							"m.pt", true),
			  VACCEL_OK);
		CHECK_INT(vaccel_resource_register(&model, sess), VACCEL_OK);
		capture_begin();
		CHECK_INT(vaccel_torch_model_load(sess, &model), VACCEL_OK);
		log = capture_end();
		CHECK_HAS(log, "[noop] Loading model from buffer of length: 19");
		free(log);
		CHECK_INT(vaccel_resource_release(&model), VACCEL_OK);
	}
}

int main(void)
{
	struct vaccel_session sess = { .id = 0 };

	test_strlcpy(data_dir, test_env("VACCEL_TEST_DATA"), sizeof(data_dir));

	test_tf_buffer();
	test_tf_node();
	test_tf_tensor();
	test_tf_status();
	test_tflite_tensor();
	test_torch_helpers();

	CHECK_INT(vaccel_session_init(&sess, 0), VACCEL_OK);
	test_tf_inference(&sess);
	test_tflite_inference(&sess);
	test_torch_inference(&sess);
	CHECK_INT(vaccel_session_release(&sess), VACCEL_OK);
	return CHECK_DONE();
}
