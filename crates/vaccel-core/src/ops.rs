//! Op entry points (spec §15): the common dispatch sequence and the typed calls into plugins.
//!
//! Every op goes through [`dispatch`], which logs the lookup, checks the resource, records the
//! profiling region and finds the implementation in the session's plugin. The functions below
//! cast that implementation to the op's C signature (§15.2) and call it. Plugin return codes are
//! passed through unchanged, so these functions return raw `int` codes rather than `Result`.

use std::ffi::{c_char, c_int, c_uchar, c_void};

use vaccel_abi::{self as abi, OpType, sig, vaccel_arg, vaccel_resource, vaccel_session};
use vaccel_abi::{vaccel_tf_buffer, vaccel_tf_node, vaccel_tf_status, vaccel_tf_tensor};
use vaccel_abi::{vaccel_tflite_tensor, vaccel_torch_buffer, vaccel_torch_tensor};

use crate::prof::OpTimer;
use crate::{debug, plugin, resource};

/// The common dispatch sequence of §15.3; `call` receives the plugin's function.
///
/// # Safety
/// `sess` (and `res`) must be NULL or point to valid structs; `call` must cast the function to
/// the op's signature.
pub unsafe fn dispatch(
    sess: *mut vaccel_session,
    op: OpType,
    res: Option<(*mut vaccel_resource, u32)>,
    call: impl FnOnce(*mut c_void) -> c_int,
) -> c_int {
    // SAFETY: guaranteed by the caller.
    let Some(s) = (unsafe { sess.as_ref() }) else {
        return abi::VACCEL_EINVAL;
    };
    debug!(
        "session:{} Looking for func implementing op {}",
        s.id,
        op.lower_name()
    );
    if let Some((res, expected)) = res {
        // SAFETY: guaranteed by the caller.
        let Some(r) = (unsafe { res.as_ref() }) else {
            return abi::VACCEL_EINVAL;
        };
        if let Err(e) = resource::check_for_op(s, r, expected) {
            return e.code();
        }
    }
    let _timer = OpTimer::start(op);
    match plugin::op_func(s.plugin, op) {
        Ok(func) => call(func),
        Err(e) => e.code(),
    }
}

/// Casts an op implementation to its C signature `F`, one of the [`sig`] types.
///
/// # Safety
/// `f` must be a function with signature `F`: plugins register for each op a function with that
/// op's signature (§15.2), and callers pick `F` from the op they dispatched.
unsafe fn as_fn<F: Copy>(f: *mut c_void) -> F {
    const { assert!(std::mem::size_of::<F>() == std::mem::size_of::<*mut c_void>()) };
    // SAFETY: `F` is a function-pointer type of pointer size (checked above); the caller
    // guarantees `f` has that signature.
    unsafe { std::mem::transmute_copy(&f) }
}

/// `vaccel_noop`.
///
/// # Safety
/// As for the C function: `sess` NULL or valid.
pub unsafe fn noop(sess: *mut vaccel_session) -> c_int {
    // SAFETY: forwarded contract; the callee has the noop signature.
    unsafe { dispatch(sess, OpType::Noop, None, |f| as_fn::<sig::Noop>(f)(sess)) }
}

/// `vaccel_exec`.
///
/// # Safety
/// As for the C function.
pub unsafe fn exec(
    sess: *mut vaccel_session,
    library: *const c_char,
    fn_symbol: *const c_char,
    read: *mut vaccel_arg,
    nr_read: usize,
    write: *mut vaccel_arg,
    nr_write: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        dispatch(sess, OpType::Exec, None, |f| {
            as_fn::<sig::Exec>(f)(sess, library, fn_symbol, read, nr_read, write, nr_write)
        })
    }
}

/// `vaccel_exec_with_resource`.
///
/// # Safety
/// As for the C function.
pub unsafe fn exec_with_resource(
    sess: *mut vaccel_session,
    res: *mut vaccel_resource,
    fn_symbol: *const c_char,
    read: *mut vaccel_arg,
    nr_read: usize,
    write: *mut vaccel_arg,
    nr_write: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        dispatch(
            sess,
            OpType::ExecWithResource,
            Some((res, abi::VACCEL_RESOURCE_LIB)),
            |f| {
                as_fn::<sig::ExecWithResource>(f)(
                    sess, res, fn_symbol, read, nr_read, write, nr_write,
                )
            },
        )
    }
}

/// `vaccel_image_op`: the five image ops (§15.4).
///
/// Classification is called with its 7-parameter signature even without a text buffer (upstream
/// passes the 5-parameter list then and crashes plugins); the other ops with 5 parameters.
///
/// # Safety
/// As for the C function.
#[allow(clippy::too_many_arguments)]
pub unsafe fn image(
    op: OpType,
    sess: *mut vaccel_session,
    img: *const c_void,
    out_text: *mut c_uchar,
    out_imgname: *mut c_uchar,
    len_img: usize,
    len_out_text: usize,
    len_out_imgname: usize,
) -> c_int {
    if !matches!(
        op,
        OpType::ImageClassify
            | OpType::ImageDetect
            | OpType::ImageSegment
            | OpType::ImagePose
            | OpType::ImageDepth
    ) {
        return abi::VACCEL_EINVAL;
    }
    // SAFETY: forwarded contract.
    unsafe {
        dispatch(sess, op, None, |f| {
            if op == OpType::ImageClassify {
                let (text, len) = if out_text.is_null() || len_out_text == 0 {
                    (std::ptr::null_mut(), 0)
                } else {
                    (out_text, len_out_text)
                };
                as_fn::<sig::ImageClassify>(f)(
                    sess,
                    img,
                    text,
                    out_imgname,
                    len_img,
                    len,
                    len_out_imgname,
                )
            } else {
                as_fn::<sig::ImageOp>(f)(sess, img, out_imgname, len_img, len_out_imgname)
            }
        })
    }
}

/// `vaccel_sgemm`.
///
/// # Safety
/// As for the C function.
#[allow(clippy::too_many_arguments)]
pub unsafe fn sgemm(
    sess: *mut vaccel_session,
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
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        dispatch(sess, OpType::BlasSgemm, None, |f| {
            as_fn::<sig::BlasSgemm>(f)(sess, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        })
    }
}

/// `vaccel_fpga_arraycopy`.
///
/// # Safety
/// As for the C function.
pub unsafe fn fpga_arraycopy(
    sess: *mut vaccel_session,
    a: *mut c_int,
    out_a: *mut c_int,
    len_a: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        dispatch(sess, OpType::FpgaArraycopy, None, |f| {
            as_fn::<sig::FpgaArraycopy>(f)(sess, a, out_a, len_a)
        })
    }
}

/// `vaccel_fpga_mmult`.
///
/// # Safety
/// As for the C function.
pub unsafe fn fpga_mmult(
    sess: *mut vaccel_session,
    a: *mut f32,
    b: *mut f32,
    c: *mut f32,
    len_a: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        dispatch(sess, OpType::FpgaMmult, None, |f| {
            as_fn::<sig::FpgaMmult>(f)(sess, a, b, c, len_a)
        })
    }
}

/// `vaccel_fpga_parallel`.
///
/// # Safety
/// As for the C function.
pub unsafe fn fpga_parallel(
    sess: *mut vaccel_session,
    a: *mut f32,
    b: *mut f32,
    add_output: *mut f32,
    mult_output: *mut f32,
    len_a: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        dispatch(sess, OpType::FpgaParallel, None, |f| {
            as_fn::<sig::FpgaParallel>(f)(sess, a, b, add_output, mult_output, len_a)
        })
    }
}

/// `vaccel_fpga_vadd`.
///
/// # Safety
/// As for the C function.
pub unsafe fn fpga_vadd(
    sess: *mut vaccel_session,
    a: *mut f32,
    b: *mut f32,
    c: *mut f32,
    len_a: usize,
    len_b: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        dispatch(sess, OpType::FpgaVectoradd, None, |f| {
            as_fn::<sig::FpgaVectoradd>(f)(sess, a, b, c, len_a, len_b)
        })
    }
}

/// `vaccel_minmax`.
///
/// # Safety
/// As for the C function.
#[allow(clippy::too_many_arguments)]
pub unsafe fn minmax(
    sess: *mut vaccel_session,
    indata: *const f64,
    ndata: c_int,
    low: c_int,
    high: c_int,
    outdata: *mut f64,
    min: *mut f64,
    max: *mut f64,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        dispatch(sess, OpType::Minmax, None, |f| {
            as_fn::<sig::Minmax>(f)(sess, indata, ndata, low, high, outdata, min, max)
        })
    }
}

/// `vaccel_opencv`.
///
/// # Safety
/// As for the C function.
pub unsafe fn opencv(
    sess: *mut vaccel_session,
    read: *mut vaccel_arg,
    nr_read: c_int,
    write: *mut vaccel_arg,
    nr_write: c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        dispatch(sess, OpType::Opencv, None, |f| {
            as_fn::<sig::Opencv>(f)(sess, read, nr_read, write, nr_write)
        })
    }
}

/// `vaccel_tf_model_load` / `_unload` (same signature).
///
/// # Safety
/// As for the C functions.
pub unsafe fn tf_model_load_unload(
    op: OpType,
    sess: *mut vaccel_session,
    model: *mut vaccel_resource,
    status: *mut vaccel_tf_status,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        dispatch(sess, op, Some((model, abi::VACCEL_RESOURCE_MODEL)), |f| {
            as_fn::<sig::TfModelLoad>(f)(sess, model, status)
        })
    }
}

/// `vaccel_tf_model_run`.
///
/// # Safety
/// As for the C function.
#[allow(clippy::too_many_arguments)]
pub unsafe fn tf_model_run(
    sess: *mut vaccel_session,
    model: *mut vaccel_resource,
    run_options: *const vaccel_tf_buffer,
    in_nodes: *const vaccel_tf_node,
    in_tensors: *const *mut vaccel_tf_tensor,
    nr_inputs: c_int,
    out_nodes: *const vaccel_tf_node,
    out_tensors: *mut *mut vaccel_tf_tensor,
    nr_outputs: c_int,
    status: *mut vaccel_tf_status,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        dispatch(
            sess,
            OpType::TfModelRun,
            Some((model, abi::VACCEL_RESOURCE_MODEL)),
            |f| {
                as_fn::<sig::TfModelRun>(f)(
                    sess,
                    model,
                    run_options,
                    in_nodes,
                    in_tensors,
                    nr_inputs,
                    out_nodes,
                    out_tensors,
                    nr_outputs,
                    status,
                )
            },
        )
    }
}

/// `vaccel_tflite_model_load` / `_unload`, `vaccel_torch_model_load` (same signature).
///
/// # Safety
/// As for the C functions.
pub unsafe fn model_op(
    op: OpType,
    sess: *mut vaccel_session,
    model: *mut vaccel_resource,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        dispatch(sess, op, Some((model, abi::VACCEL_RESOURCE_MODEL)), |f| {
            as_fn::<sig::TfliteModelLoad>(f)(sess, model)
        })
    }
}

/// `vaccel_tflite_model_run`.
///
/// # Safety
/// As for the C function.
pub unsafe fn tflite_model_run(
    sess: *mut vaccel_session,
    model: *mut vaccel_resource,
    inputs: *const *mut vaccel_tflite_tensor,
    nr_inputs: c_int,
    outputs: *mut *mut vaccel_tflite_tensor,
    nr_outputs: c_int,
    status: *mut u8,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        dispatch(
            sess,
            OpType::TfliteModelRun,
            Some((model, abi::VACCEL_RESOURCE_MODEL)),
            |f| {
                as_fn::<sig::TfliteModelRun>(f)(
                    sess, model, inputs, nr_inputs, outputs, nr_outputs, status,
                )
            },
        )
    }
}

/// `vaccel_torch_model_run`.
///
/// # Safety
/// As for the C function.
pub unsafe fn torch_model_run(
    sess: *mut vaccel_session,
    model: *mut vaccel_resource,
    run_options: *const vaccel_torch_buffer,
    inputs: *const *mut vaccel_torch_tensor,
    nr_inputs: c_int,
    outputs: *mut *mut vaccel_torch_tensor,
    nr_outputs: c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        dispatch(
            sess,
            OpType::TorchModelRun,
            Some((model, abi::VACCEL_RESOURCE_MODEL)),
            |f| {
                as_fn::<sig::TorchModelRun>(f)(
                    sess,
                    model,
                    run_options,
                    inputs,
                    nr_inputs,
                    outputs,
                    nr_outputs,
                )
            },
        )
    }
}

/// `vaccel_torch_sgemm` (deprecated).
///
/// # Safety
/// As for the C function.
#[allow(clippy::too_many_arguments)]
pub unsafe fn torch_sgemm(
    sess: *mut vaccel_session,
    in_a: *mut *mut vaccel_torch_tensor,
    in_b: *mut *mut vaccel_torch_tensor,
    in_c: *mut *mut vaccel_torch_tensor,
    m: c_int,
    n: c_int,
    k: c_int,
    out: *mut *mut vaccel_torch_tensor,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        dispatch(sess, OpType::TorchSgemm, None, |f| {
            as_fn::<sig::TorchSgemm>(f)(sess, in_a, in_b, in_c, m, n, k, out)
        })
    }
}
