//! The C type of every op implementation, named after the [`OpType`](crate::OpType) variants.
//!
//! A plugin op function has exactly the parameter list of the user entry point (spec §15.2).
//! These types are the one definition of those signatures: the runtime casts a plugin's
//! registered function to them before calling it, and the Rust plugin SDK's `plugin!` casts each
//! function of a plugin's op table to them, so a wrong signature is a compile error on both
//! sides. Image classification uses the 7-parameter form, the other four image ops the
//! 5-parameter form (§15.4).
//!
//! The session and resource hooks of `struct vaccel_plugin_info` (transport plugins, §14.7) have
//! their types here too: [`SessionInit`], [`SessionRelease`], [`SessionUpdate`],
//! [`ResourceRegister`], [`ResourceUnregister`], [`ResourceSync`].

#![allow(non_camel_case_types, non_upper_case_globals)]

use std::ffi::{c_char, c_int, c_void};

use crate::{
    ResourceHook, SessionFlagsHook, SessionHook, vaccel_arg, vaccel_resource, vaccel_session,
    vaccel_tf_buffer, vaccel_tf_node, vaccel_tf_status, vaccel_tf_tensor, vaccel_tflite_tensor,
    vaccel_torch_buffer, vaccel_torch_tensor,
};

type Sess = *mut vaccel_session;
type Res = *mut vaccel_resource;

/// `vaccel_noop`.
pub type Noop = unsafe extern "C" fn(sess: Sess) -> c_int;
/// `vaccel_exec`.
pub type Exec = unsafe extern "C" fn(
    sess: Sess,
    library: *const c_char,
    fn_symbol: *const c_char,
    read: *mut vaccel_arg,
    nr_read: usize,
    write: *mut vaccel_arg,
    nr_write: usize,
) -> c_int;
/// `vaccel_exec_with_resource`.
pub type ExecWithResource = unsafe extern "C" fn(
    sess: Sess,
    resource: Res,
    fn_symbol: *const c_char,
    read: *mut vaccel_arg,
    nr_read: usize,
    write: *mut vaccel_arg,
    nr_write: usize,
) -> c_int;
/// `vaccel_image_classification` (7 parameters).
pub type ImageClassify = unsafe extern "C" fn(
    sess: Sess,
    img: *const c_void,
    out_text: *mut u8,
    out_imgname: *mut u8,
    len_img: usize,
    len_out_text: usize,
    len_out_imgname: usize,
) -> c_int;
/// The 5-parameter image op (`vaccel_image_detection` and the others).
pub type ImageOp = unsafe extern "C" fn(
    sess: Sess,
    img: *const c_void,
    out_imgname: *mut u8,
    len_img: usize,
    len_out_imgname: usize,
) -> c_int;
/// `vaccel_image_detection`.
pub type ImageDetect = ImageOp;
/// `vaccel_image_segmentation`.
pub type ImageSegment = ImageOp;
/// `vaccel_image_pose`.
pub type ImagePose = ImageOp;
/// `vaccel_image_depth`.
pub type ImageDepth = ImageOp;
/// `vaccel_tf_model_load`.
pub type TfModelLoad =
    unsafe extern "C" fn(sess: Sess, model: Res, status: *mut vaccel_tf_status) -> c_int;
/// `vaccel_tf_model_unload`.
pub type TfModelUnload = TfModelLoad;
/// `vaccel_tf_model_run`.
pub type TfModelRun = unsafe extern "C" fn(
    sess: Sess,
    model: Res,
    run_options: *const vaccel_tf_buffer,
    in_nodes: *const vaccel_tf_node,
    in_tensors: *const *mut vaccel_tf_tensor,
    nr_inputs: c_int,
    out_nodes: *const vaccel_tf_node,
    out_tensors: *mut *mut vaccel_tf_tensor,
    nr_outputs: c_int,
    status: *mut vaccel_tf_status,
) -> c_int;
/// `vaccel_tflite_model_load`.
pub type TfliteModelLoad = unsafe extern "C" fn(sess: Sess, model: Res) -> c_int;
/// `vaccel_tflite_model_unload`.
pub type TfliteModelUnload = TfliteModelLoad;
/// `vaccel_tflite_model_run`.
pub type TfliteModelRun = unsafe extern "C" fn(
    sess: Sess,
    model: Res,
    inputs: *const *mut vaccel_tflite_tensor,
    nr_inputs: c_int,
    outputs: *mut *mut vaccel_tflite_tensor,
    nr_outputs: c_int,
    status: *mut u8,
) -> c_int;
/// `vaccel_torch_model_load`.
pub type TorchModelLoad = unsafe extern "C" fn(sess: Sess, model: Res) -> c_int;
/// `vaccel_torch_model_run`.
pub type TorchModelRun = unsafe extern "C" fn(
    sess: Sess,
    model: Res,
    run_options: *const vaccel_torch_buffer,
    inputs: *const *mut vaccel_torch_tensor,
    nr_inputs: c_int,
    outputs: *mut *mut vaccel_torch_tensor,
    nr_outputs: c_int,
) -> c_int;
/// `vaccel_torch_sgemm`.
pub type TorchSgemm = unsafe extern "C" fn(
    sess: Sess,
    in_a: *mut *mut vaccel_torch_tensor,
    in_b: *mut *mut vaccel_torch_tensor,
    in_c: *mut *mut vaccel_torch_tensor,
    m: c_int,
    n: c_int,
    k: c_int,
    out: *mut *mut vaccel_torch_tensor,
) -> c_int;
/// `vaccel_sgemm`.
pub type BlasSgemm = unsafe extern "C" fn(
    sess: Sess,
    m: i64,
    n: i64,
    k: i64,
    alpha: f32,
    a: *mut f32,
    lda: i64,
    b: *mut f32,
    ldb: i64,
    beta: f32,
    c: *mut f32,
    ldc: i64,
) -> c_int;
/// `vaccel_fpga_arraycopy`.
pub type FpgaArraycopy =
    unsafe extern "C" fn(sess: Sess, a: *mut c_int, out_a: *mut c_int, len_a: usize) -> c_int;
/// `vaccel_fpga_mmult`.
pub type FpgaMmult =
    unsafe extern "C" fn(sess: Sess, a: *mut f32, b: *mut f32, c: *mut f32, len_a: usize) -> c_int;
/// `vaccel_fpga_parallel`.
pub type FpgaParallel = unsafe extern "C" fn(
    sess: Sess,
    a: *mut f32,
    b: *mut f32,
    add_output: *mut f32,
    mult_output: *mut f32,
    len_a: usize,
) -> c_int;
/// `vaccel_fpga_vadd`.
pub type FpgaVectoradd = unsafe extern "C" fn(
    sess: Sess,
    a: *mut f32,
    b: *mut f32,
    c: *mut f32,
    len_a: usize,
    len_b: usize,
) -> c_int;
/// `vaccel_minmax`.
pub type Minmax = unsafe extern "C" fn(
    sess: Sess,
    indata: *const f64,
    ndata: c_int,
    low_threshold: c_int,
    high_threshold: c_int,
    outdata: *mut f64,
    min: *mut f64,
    max: *mut f64,
) -> c_int;
/// `vaccel_opencv`.
pub type Opencv = unsafe extern "C" fn(
    sess: Sess,
    read: *mut vaccel_arg,
    nr_read: c_int,
    write: *mut vaccel_arg,
    nr_write: c_int,
) -> c_int;

/// `int fn(struct vaccel_arg *read, size_t nr_read, struct vaccel_arg *write, size_t nr_write)`:
/// the user library function the exec plugins call.
pub type ExecUserFn = unsafe extern "C" fn(
    read: *mut vaccel_arg,
    nr_read: usize,
    write: *mut vaccel_arg,
    nr_write: usize,
) -> c_int;

/// `session_init(sess, flags)` hook of a transport plugin (§14.7): `flags` without
/// `VACCEL_PLUGIN_REMOTE`; it sets `sess->remote_id`.
pub type SessionInit = SessionFlagsHook;
/// `session_release(sess)` hook of a transport plugin.
pub type SessionRelease = SessionHook;
/// `session_update(sess, flags)` hook of a transport plugin.
pub type SessionUpdate = SessionFlagsHook;
/// `resource_register(res, sess)` hook; a transport plugin sets `res->remote_id > 0`.
pub type ResourceRegister = ResourceHook;
/// `resource_unregister(res, sess)` hook (also used by local plugins, e.g. exec).
pub type ResourceUnregister = ResourceHook;
/// `resource_sync(res, sess)` hook: refreshes the resource's BUFFER blobs from the remote side.
pub type ResourceSync = ResourceHook;
