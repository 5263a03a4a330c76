//! `vaccel/ops/*.h`: the op entry points, `vaccel_genop` and the exported genop unpackers.
//! Each forwards to `vaccel_core::ops` / `vaccel_core::genop` inside a panic guard.

use std::ffi::{c_char, c_int, c_uchar, c_void};

use vaccel_abi::{OpType, vaccel_arg, vaccel_resource, vaccel_session};
use vaccel_abi::{vaccel_tf_buffer, vaccel_tf_node, vaccel_tf_status, vaccel_tf_tensor};
use vaccel_abi::{vaccel_tflite_tensor, vaccel_torch_buffer, vaccel_torch_tensor};
use vaccel_core::{genop, ops};

use crate::ffi::guard;

/// Defines exported C functions that forward their arguments to a core function.
macro_rules! forward {
    ($( $(#[$m:meta])* fn $name:ident($($a:ident: $t:ty),*) => $target:expr; )*) => {$(
        $(#[$m])*
        /// # Safety
        /// As the C API documents for this function.
        #[unsafe(no_mangle)]
        #[allow(clippy::too_many_arguments)]
        pub unsafe extern "C" fn $name($($a: $t),*) -> c_int {
            // SAFETY: the caller upholds the C API contract, which the core function shares.
            guard(|| unsafe { $target })
        }
    )*};
}

forward! {
    fn vaccel_noop(sess: *mut vaccel_session) => ops::noop(sess);
    fn vaccel_exec(sess: *mut vaccel_session, library: *const c_char, fn_symbol: *const c_char,
        read: *mut vaccel_arg, nr_read: usize, write: *mut vaccel_arg, nr_write: usize)
        => ops::exec(sess, library, fn_symbol, read, nr_read, write, nr_write);
    fn vaccel_exec_with_resource(sess: *mut vaccel_session, resource: *mut vaccel_resource,
        fn_symbol: *const c_char, read: *mut vaccel_arg, nr_read: usize, write: *mut vaccel_arg,
        nr_write: usize)
        => ops::exec_with_resource(sess, resource, fn_symbol, read, nr_read, write, nr_write);
    fn vaccel_image_classification(sess: *mut vaccel_session, img: *const c_void,
        out_text: *mut c_uchar, out_imgname: *mut c_uchar, len_img: usize, len_out_text: usize,
        len_out_imgname: usize)
        => ops::image(OpType::ImageClassify, sess, img, out_text, out_imgname, len_img, len_out_text, len_out_imgname);
    fn vaccel_image_detection(sess: *mut vaccel_session, img: *const c_void,
        out_imgname: *mut c_uchar, len_img: usize, len_out_imgname: usize)
        => ops::image(OpType::ImageDetect, sess, img, std::ptr::null_mut(), out_imgname, len_img, 0, len_out_imgname);
    fn vaccel_image_segmentation(sess: *mut vaccel_session, img: *const c_void,
        out_imgname: *mut c_uchar, len_img: usize, len_out_imgname: usize)
        => ops::image(OpType::ImageSegment, sess, img, std::ptr::null_mut(), out_imgname, len_img, 0, len_out_imgname);
    fn vaccel_image_pose(sess: *mut vaccel_session, img: *const c_void,
        out_imgname: *mut c_uchar, len_img: usize, len_out_imgname: usize)
        => ops::image(OpType::ImagePose, sess, img, std::ptr::null_mut(), out_imgname, len_img, 0, len_out_imgname);
    fn vaccel_image_depth(sess: *mut vaccel_session, img: *const c_void,
        out_imgname: *mut c_uchar, len_img: usize, len_out_imgname: usize)
        => ops::image(OpType::ImageDepth, sess, img, std::ptr::null_mut(), out_imgname, len_img, 0, len_out_imgname);
    fn vaccel_tf_model_load(sess: *mut vaccel_session, model: *mut vaccel_resource, status: *mut vaccel_tf_status)
        => ops::tf_model_load_unload(OpType::TfModelLoad, sess, model, status);
    fn vaccel_tf_model_unload(sess: *mut vaccel_session, model: *mut vaccel_resource, status: *mut vaccel_tf_status)
        => ops::tf_model_load_unload(OpType::TfModelUnload, sess, model, status);
    fn vaccel_tf_model_run(sess: *mut vaccel_session, model: *mut vaccel_resource,
        run_options: *const vaccel_tf_buffer, in_nodes: *const vaccel_tf_node,
        in_tensors: *const *mut vaccel_tf_tensor, nr_inputs: c_int, out_nodes: *const vaccel_tf_node,
        out_tensors: *mut *mut vaccel_tf_tensor, nr_outputs: c_int, status: *mut vaccel_tf_status)
        => ops::tf_model_run(sess, model, run_options, in_nodes, in_tensors, nr_inputs, out_nodes, out_tensors, nr_outputs, status);
    fn vaccel_tflite_model_load(sess: *mut vaccel_session, model: *mut vaccel_resource)
        => ops::model_op(OpType::TfliteModelLoad, sess, model);
    fn vaccel_tflite_model_unload(sess: *mut vaccel_session, model: *mut vaccel_resource)
        => ops::model_op(OpType::TfliteModelUnload, sess, model);
    fn vaccel_tflite_model_run(sess: *mut vaccel_session, model: *mut vaccel_resource,
        inputs: *const *mut vaccel_tflite_tensor, nr_inputs: c_int,
        outputs: *mut *mut vaccel_tflite_tensor, nr_outputs: c_int, status: *mut u8)
        => ops::tflite_model_run(sess, model, inputs, nr_inputs, outputs, nr_outputs, status);
    fn vaccel_torch_model_load(sess: *mut vaccel_session, model: *mut vaccel_resource)
        => ops::model_op(OpType::TorchModelLoad, sess, model);
    fn vaccel_torch_model_run(sess: *mut vaccel_session, model: *mut vaccel_resource,
        run_options: *const vaccel_torch_buffer, inputs: *const *mut vaccel_torch_tensor,
        nr_inputs: c_int, outputs: *mut *mut vaccel_torch_tensor, nr_outputs: c_int)
        => ops::torch_model_run(sess, model, run_options, inputs, nr_inputs, outputs, nr_outputs);
    fn vaccel_torch_sgemm(sess: *mut vaccel_session, in_a: *mut *mut vaccel_torch_tensor,
        in_b: *mut *mut vaccel_torch_tensor, in_c: *mut *mut vaccel_torch_tensor, m: c_int,
        n: c_int, k: c_int, out: *mut *mut vaccel_torch_tensor)
        => ops::torch_sgemm(sess, in_a, in_b, in_c, m, n, k, out);
    fn vaccel_sgemm(sess: *mut vaccel_session, m: i64, n: i64, k: i64, alpha: f32, a: *mut f32,
        lda: i64, b: *mut f32, ldb: i64, beta: f32, c: *mut f32, ldc: i64)
        => ops::sgemm(sess, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    fn vaccel_fpga_arraycopy(sess: *mut vaccel_session, a: *mut c_int, out_a: *mut c_int, len_a: usize)
        => ops::fpga_arraycopy(sess, a, out_a, len_a);
    fn vaccel_fpga_mmult(sess: *mut vaccel_session, a: *mut f32, b: *mut f32, c: *mut f32, len_a: usize)
        => ops::fpga_mmult(sess, a, b, c, len_a);
    fn vaccel_fpga_parallel(sess: *mut vaccel_session, a: *mut f32, b: *mut f32,
        add_output: *mut f32, mult_output: *mut f32, len_a: usize)
        => ops::fpga_parallel(sess, a, b, add_output, mult_output, len_a);
    fn vaccel_fpga_vadd(sess: *mut vaccel_session, a: *mut f32, b: *mut f32, c: *mut f32,
        len_a: usize, len_b: usize)
        => ops::fpga_vadd(sess, a, b, c, len_a, len_b);
    fn vaccel_minmax(sess: *mut vaccel_session, indata: *const f64, ndata: c_int,
        low_threshold: c_int, high_threshold: c_int, outdata: *mut f64, min: *mut f64, max: *mut f64)
        => ops::minmax(sess, indata, ndata, low_threshold, high_threshold, outdata, min, max);
    fn vaccel_opencv(sess: *mut vaccel_session, read: *mut vaccel_arg, nr_read: c_int,
        write: *mut vaccel_arg, nr_write: c_int)
        => ops::opencv(sess, read, nr_read, write, nr_write);
    fn vaccel_genop(sess: *mut vaccel_session, read: *mut vaccel_arg, nr_read: c_int,
        write: *mut vaccel_arg, nr_write: c_int)
        => genop::genop(sess, read, nr_read, write, nr_write);
    fn vaccel_image_op(op_type: u32, sess: *mut vaccel_session, img: *const c_void,
        out_text: *mut c_uchar, out_imgname: *mut c_uchar, len_img: usize, len_out_text: usize,
        len_out_imgname: usize)
        => match OpType::from_u32(op_type) {
            Some(op) => ops::image(op, sess, img, out_text, out_imgname, len_img, len_out_text, len_out_imgname),
            None => vaccel_abi::VACCEL_EINVAL,
        };
    fn vaccel_image_op_unpack(op_type: u32, sess: *mut vaccel_session, read: *mut vaccel_arg,
        nr_read: c_int, nr_read_req: c_int, write: *mut vaccel_arg, nr_write: c_int, nr_write_req: c_int)
        => match OpType::from_u32(op_type) {
            Some(op) => genop::image_unpack(op, sess, read, nr_read, nr_read_req, write, nr_write, nr_write_req),
            None => vaccel_abi::VACCEL_EINVAL,
        };
}

/// Defines the exported `vaccel_<op>_unpack` genop callbacks.
macro_rules! unpackers {
    ($($name:ident => $op:ident;)*) => {
        forward! {$(
            fn $name(sess: *mut vaccel_session, read: *mut vaccel_arg, nr_read: c_int,
                write: *mut vaccel_arg, nr_write: c_int)
                => genop::unpack(OpType::$op, sess, read, nr_read, write, nr_write);
        )*}
    };
}

unpackers! {
    vaccel_noop_unpack => Noop;
    vaccel_exec_unpack => Exec;
    vaccel_exec_with_res_unpack => ExecWithResource;
    vaccel_image_classification_unpack => ImageClassify;
    vaccel_image_detection_unpack => ImageDetect;
    vaccel_image_segmentation_unpack => ImageSegment;
    vaccel_image_pose_unpack => ImagePose;
    vaccel_image_depth_unpack => ImageDepth;
    vaccel_sgemm_unpack => BlasSgemm;
    vaccel_fpga_arraycopy_unpack => FpgaArraycopy;
    vaccel_fpga_mmult_unpack => FpgaMmult;
    vaccel_fpga_parallel_unpack => FpgaParallel;
    vaccel_fpga_vadd_unpack => FpgaVectoradd;
    vaccel_minmax_unpack => Minmax;
    vaccel_opencv_unpack => Opencv;
}
