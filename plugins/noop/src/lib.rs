//! The vAccel noop plugin (`libvaccel-noop.so`, spec §18.1): a debugging backend.
//!
//! It implements all 24 ops without accelerating anything: every op logs its arguments at debug
//! level with the `[noop] ` prefix and returns dummy results — fixed strings for the image ops, a
//! copy of the input for exec and the framework `run` ops, a `status` saying
//! `Operation handled by noop plugin`. Examples, tests and the RPC agent's tests rely on these
//! exact lines and results.
//!
//! Where upstream reads out of bounds or dereferences NULL (exec with `nr_read == 0`, NULL
//! buffers, more outputs than inputs, ...), this implementation checks instead: a missing
//! argument it needs gives `VACCEL_EINVAL`, an output without a matching input is set to NULL,
//! and tensor data is allocated at its exact size.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr;

use vaccel_plugin::abi::{
    VACCEL_BLOB_BUFFER, VACCEL_BLOB_FILE, VACCEL_BLOB_MAPPED, VACCEL_EINVAL, VACCEL_ENOMEM,
    VACCEL_OK, VACCEL_PLUGIN_DEBUG, VACCEL_RESOURCE_MODEL, vaccel_arg, vaccel_blob,
    vaccel_resource, vaccel_session, vaccel_tf_buffer, vaccel_tf_node, vaccel_tf_status,
    vaccel_tf_tensor, vaccel_tflite_tensor, vaccel_torch_buffer, vaccel_torch_tensor,
};
use vaccel_plugin::fmt::{Float, Ptr, Str};
use vaccel_plugin::tensor::{Tensor, copy_tensor, dims, free_tensor, tensor_arrays};
use vaccel_plugin::{cstr, debug, error, guard, slice, slice_mut, snprintf_raw};

vaccel_plugin::plugin! {
    name: c"noop",
    type: VACCEL_PLUGIN_DEBUG,
    ops: [
        Noop => noop_noop,
        Exec => noop_exec,
        ExecWithResource => noop_exec_with_resource,
        ImageClassify => noop_img_class,
        ImageDetect => noop_img_detect,
        ImageSegment => noop_img_segment,
        ImagePose => noop_img_pose,
        ImageDepth => noop_img_depth,
        TfModelLoad => noop_tf_model_load,
        TfModelUnload => noop_tf_model_unload,
        TfModelRun => noop_tf_model_run,
        TfliteModelLoad => noop_tflite_model_load,
        TfliteModelUnload => noop_tflite_model_unload,
        TfliteModelRun => noop_tflite_model_run,
        TorchModelLoad => noop_torch_model_load,
        TorchModelRun => noop_torch_model_run,
        TorchSgemm => noop_torch_sgemm,
        BlasSgemm => noop_sgemm,
        FpgaArraycopy => noop_fpga_arraycopy,
        FpgaVectoradd => noop_fpga_vadd,
        FpgaParallel => noop_fpga_parallel,
        FpgaMmult => noop_fpga_mmult,
        Minmax => noop_minmax,
        Opencv => noop_opencv,
    ],
}

const DUMMY_CLASS: &[u8] = b"This is a dummy classification tag!";
const DUMMY_IMGNAME: &[u8] = b"This is a dummy imgname!";
const STATUS_MESSAGE: &CStr = c"Operation handled by noop plugin";

type Sess = *mut vaccel_session;

/// The session behind `sess`, or an EINVAL result after logging `msg`.
///
/// # Safety
/// `sess` is NULL or a session pointer from the core.
unsafe fn session<'a>(sess: Sess, msg: &str) -> Result<&'a vaccel_session, c_int> {
    // SAFETY: the caller's contract.
    match unsafe { sess.as_ref() } {
        Some(s) => Ok(s),
        None => {
            error!("{msg}");
            Err(VACCEL_EINVAL)
        }
    }
}

/// Runs an op body that reports argument errors as `Err(code)`.
fn op(what: &str, body: impl FnOnce() -> Result<c_int, c_int>) -> c_int {
    guard(what, || body().unwrap_or_else(|code| code))
}

/// The argument slices of an exec-style call; `None` if a non-empty list is NULL.
///
/// # Safety
/// Each pointer is NULL or points to the given number of arguments.
unsafe fn args<'a>(
    read: *mut vaccel_arg,
    nr_read: usize,
    write: *mut vaccel_arg,
    nr_write: usize,
) -> Option<(&'a [vaccel_arg], &'a [vaccel_arg])> {
    // SAFETY: the caller's contract.
    unsafe { Some((slice(read, nr_read)?, slice(write, nr_write)?)) }
}

/// The number of bytes the exec dummy copies from `read[0]` to `write[0]`: the common size when
/// there is exactly one write argument of the same, non-zero, multiple-of-4 size as the first
/// read argument and both buffers are present.
fn dummy_copy_size(read: &[vaccel_arg], write: &[vaccel_arg]) -> Option<usize> {
    let (Some(r), [w]) = (read.first(), write) else {
        return None;
    };
    let ok =
        w.size == r.size && r.size != 0 && r.size % 4 == 0 && !r.buf.is_null() && !w.buf.is_null();
    ok.then_some(r.size)
}

/// The exec dummy: `will return dummy output = input` and copy `read[0]` into `write[0]`.
fn dummy_output(read: &[vaccel_arg], write: &[vaccel_arg]) {
    if let Some(size) = dummy_copy_size(read, write) {
        debug!("[noop] will return dummy output = input");
        // SAFETY: both buffers hold `size` bytes (the argument contract); `copy` allows overlap.
        unsafe { ptr::copy(read[0].buf.cast::<u8>(), write[0].buf.cast::<u8>(), size) };
    }
}

unsafe extern "C" fn noop_noop(sess: Sess) -> c_int {
    op("noop", || {
        // SAFETY: `sess` comes from the core.
        let sess = unsafe { session(sess, "[noop] Invalid session") }?;
        debug!("[noop] Calling no-op for session {}", sess.id);
        Ok(VACCEL_OK)
    })
}

unsafe extern "C" fn noop_exec(
    sess: Sess,
    library: *const c_char,
    fn_symbol: *const c_char,
    read: *mut vaccel_arg,
    nr_read: usize,
    write: *mut vaccel_arg,
    nr_write: usize,
) -> c_int {
    op("exec", || {
        // SAFETY: the core passes NULL or valid pointers with the given counts.
        let (sess, library, symbol, args) = unsafe {
            (
                sess.as_ref(),
                cstr(library),
                cstr(fn_symbol),
                args(read, nr_read, write, nr_write),
            )
        };
        let (Some(sess), Some(library), Some(symbol), Some((read, write))) =
            (sess, library, symbol, args)
        else {
            error!("[noop] Invalid input arguments");
            return Err(VACCEL_EINVAL);
        };
        debug!("[noop] Calling exec for session {}", sess.id);
        debug!("[noop] Dumping arguments for exec:");
        debug!(
            "[noop] library: {} symbol: {}",
            Str(Some(library)),
            Str(Some(symbol))
        );
        debug!("[noop] nr_read: {nr_read} nr_write: {nr_write}");
        dummy_output(read, write);
        Ok(VACCEL_OK)
    })
}

/// The path of blob `i` of a resource, if it has one.
///
/// # Safety
/// `blobs` are the blob pointers of a live resource.
unsafe fn blob_path<'a>(blobs: &[*mut vaccel_blob], i: usize) -> Option<&'a CStr> {
    // SAFETY: the blobs and their paths belong to a live resource.
    unsafe { cstr(blobs.get(i)?.as_ref()?.path) }
}

/// The blob pointers of a resource (`None` if it claims blobs but has no array).
///
/// # Safety
/// `res` is a live resource.
unsafe fn blobs(res: &vaccel_resource) -> Option<&[*mut vaccel_blob]> {
    // SAFETY: `blobs` holds `nr_blobs` entries in a live resource.
    unsafe { slice(res.blobs.cast_const(), res.nr_blobs) }
}

unsafe extern "C" fn noop_exec_with_resource(
    sess: Sess,
    resource: *mut vaccel_resource,
    fn_symbol: *const c_char,
    read: *mut vaccel_arg,
    nr_read: usize,
    write: *mut vaccel_arg,
    nr_write: usize,
) -> c_int {
    op("exec_with_resource", || {
        // SAFETY: `sess` comes from the core.
        let sess = unsafe { session(sess, "[noop] Invalid session") }?;
        // SAFETY: the core passes NULL or a live resource.
        let Some(res) = (unsafe { resource.as_ref() }) else {
            error!("[noop] Invalid shared object");
            return Err(VACCEL_EINVAL);
        };
        // SAFETY: the core passes NULL or valid pointers with the given counts.
        let (symbol, args) = unsafe { (cstr(fn_symbol), args(read, nr_read, write, nr_write)) };
        // SAFETY: `res` is live.
        let (Some((read, write)), Some(blobs)) = (args, unsafe { blobs(res) }) else {
            error!("[noop] Invalid input arguments");
            return Err(VACCEL_EINVAL);
        };
        if blobs.is_empty() {
            error!("[noop] Invalid shared object");
            return Err(VACCEL_EINVAL);
        }
        debug!("[noop] Calling exec_with_resource for session {}", sess.id);
        debug!("[noop] Dumping arguments for exec_with_resource:");
        let last = blobs.len() - 1;
        let mut library = None;
        for i in 0..blobs.len() {
            // SAFETY: the blobs of a live resource.
            let Some(path) = (unsafe { blob_path(blobs, i) }) else {
                error!("Could not get path of file {i}");
                return Err(VACCEL_EINVAL);
            };
            if i < last {
                debug!("[noop] dep library: {}", Str(Some(path)));
            } else {
                library = Some(path);
            }
        }
        debug!("[noop] library: {} symbol: {}", Str(library), Str(symbol));
        debug!("[noop] nr_read: {nr_read} nr_write: {nr_write}");
        dummy_output(read, write);
        Ok(VACCEL_OK)
    })
}

/// The path of the first blob of the session's first registered MODEL resource, as the image
/// ops print it (`Ok(None)` prints `(null)`).
///
/// # Safety
/// `sess` is a session pointer from the core.
unsafe fn session_model_path<'a>(sess: Sess) -> Result<Option<&'a CStr>, c_int> {
    // SAFETY: `sess` comes from the core.
    let model =
        match unsafe { vaccel_plugin::session_resource_by_type(sess, VACCEL_RESOURCE_MODEL) } {
            Ok(model) => model,
            Err(code) => {
                error!("[noop] Failed to get model");
                return Err(code);
            }
        };
    // SAFETY: a resource registered with the session is live during the op.
    Ok(model.and_then(|m| unsafe { blob_path(blobs(&*m)?, 0) }))
}

/// The shared body of the five image ops; `out_text` is `Some` for classification only.
///
/// # Safety
/// `sess` is NULL or from the core; the output buffers are NULL or writable for their lengths.
unsafe fn image_op(
    what: &str,
    sess: Sess,
    img: *const c_void,
    out_text: Option<(*mut u8, usize)>,
    out_imgname: *mut u8,
    len_img: usize,
    len_out_imgname: usize,
) -> Result<c_int, c_int> {
    // SAFETY: `sess` comes from the core.
    let Some(s) = (unsafe { sess.as_ref() }).filter(|_| !img.is_null()) else {
        error!("[noop] Invalid input arguments");
        return Err(VACCEL_EINVAL);
    };
    debug!("[noop] Calling Image {what} for session {}", s.id);
    // SAFETY: `sess` comes from the core.
    let model = unsafe { session_model_path(sess) }?;
    debug!("[noop] Dumping arguments for Image {what}:");
    debug!("[noop] model: {}", Str(model));
    debug!("[noop] len_img: {len_img}");
    if let Some((_, len_out_text)) = out_text {
        debug!("[noop] len_out_text: {len_out_text}");
    }
    if len_out_imgname != 0 {
        debug!("[noop] len_out_imgname: {len_out_imgname}");
    }
    if let Some((text, len)) = out_text.filter(|(text, _)| !text.is_null()) {
        debug!("[noop] will return a dummy result");
        // SAFETY: `text` is writable for `len` bytes (the op contract).
        unsafe { snprintf_raw(text, len, DUMMY_CLASS) };
    }
    if !out_imgname.is_null() {
        debug!("[noop] will return a dummy result");
        // SAFETY: `out_imgname` is writable for `len_out_imgname` bytes (the op contract).
        unsafe { snprintf_raw(out_imgname, len_out_imgname, DUMMY_IMGNAME) };
    }
    Ok(VACCEL_OK)
}

unsafe extern "C" fn noop_img_class(
    sess: Sess,
    img: *const c_void,
    out_text: *mut u8,
    out_imgname: *mut u8,
    len_img: usize,
    len_out_text: usize,
    len_out_imgname: usize,
) -> c_int {
    op("image_classify", || {
        // SAFETY: forwarded op arguments.
        unsafe {
            image_op(
                "classification",
                sess,
                img,
                Some((out_text, len_out_text)),
                out_imgname,
                len_img,
                len_out_imgname,
            )
        }
    })
}

macro_rules! image_op_fn {
    ($name:ident, $what:literal, $op:literal) => {
        unsafe extern "C" fn $name(
            sess: Sess,
            img: *const c_void,
            out_imgname: *mut u8,
            len_img: usize,
            len_out_imgname: usize,
        ) -> c_int {
            op($op, || {
                // SAFETY: forwarded op arguments.
                unsafe {
                    image_op(
                        $what,
                        sess,
                        img,
                        None,
                        out_imgname,
                        len_img,
                        len_out_imgname,
                    )
                }
            })
        }
    };
}

image_op_fn!(noop_img_detect, "detection", "image_detect");
image_op_fn!(noop_img_segment, "segmentation", "image_segment");
image_op_fn!(noop_img_pose, "pose", "image_pose");
image_op_fn!(noop_img_depth, "depth", "image_depth");

/// Checks the session and model of a framework op, logging `session_msg` / `model_msg`.
///
/// # Safety
/// `sess` and `model` are NULL or from the core.
unsafe fn session_and_model<'a>(
    sess: Sess,
    model: *mut vaccel_resource,
    model_msg: &str,
) -> Result<(&'a vaccel_session, &'a vaccel_resource), c_int> {
    // SAFETY: `sess` comes from the core.
    let sess = unsafe { session(sess, "[noop] Invalid session") }?;
    // SAFETY: the core passes NULL or a live resource.
    match unsafe { model.as_ref() } {
        Some(model) => Ok((sess, model)),
        None => {
            error!("{model_msg}");
            Err(VACCEL_EINVAL)
        }
    }
}

/// Fills a TF status with code 0 and a `strdup`'d `Operation handled by noop plugin`.
///
/// # Safety
/// `status` is NULL or a writable status.
unsafe fn set_tf_status(status: *mut vaccel_tf_status) -> Result<c_int, c_int> {
    // SAFETY: the caller's contract.
    let Some(status) = (unsafe { status.as_mut() }) else {
        return Ok(VACCEL_OK);
    };
    // SAFETY: a valid C string; the copy is owned by the caller, who releases the status.
    let message = unsafe { libc::strdup(STATUS_MESSAGE.as_ptr()) };
    if message.is_null() {
        return Err(VACCEL_ENOMEM);
    }
    status.code = 0;
    status.message = message;
    Ok(VACCEL_OK)
}

macro_rules! tf_load_fn {
    ($name:ident, $op:literal) => {
        unsafe extern "C" fn $name(
            sess: Sess,
            model: *mut vaccel_resource,
            status: *mut vaccel_tf_status,
        ) -> c_int {
            op($op, || {
                let (sess, _) =
                    // SAFETY: forwarded op arguments.
                    unsafe { session_and_model(sess, model, "[noop] Invalid TensorFlow model") }?;
                debug!(concat!("[noop] Calling ", $op, " for session {}"), sess.id);
                // SAFETY: `status` is NULL or the caller's status.
                unsafe { set_tf_status(status) }
            })
        }
    };
}

tf_load_fn!(noop_tf_model_load, "tf_model_load");
tf_load_fn!(noop_tf_model_unload, "tf_model_unload");

/// The noop `run` result: `outputs[i]` becomes a copy of `inputs[i]` (NULL when there is no
/// such input). On allocation failure the outputs made so far are freed and set to NULL.
///
/// # Safety
/// `inputs` holds valid tensor pointers (or NULLs); `outputs` is writable.
unsafe fn copy_outputs<T: Tensor>(
    inputs: &[*mut T],
    outputs: &mut [*mut T],
) -> Result<c_int, c_int> {
    for i in 0..outputs.len() {
        // SAFETY: input tensors are NULL or valid.
        let copy = match inputs.get(i).and_then(|t| unsafe { t.as_ref() }) {
            // SAFETY: a valid input tensor.
            Some(src) => unsafe { copy_tensor(src) },
            None => Some(ptr::null_mut()),
        };
        let Some(copy) = copy else {
            for out in &mut outputs[..i] {
                if !out.is_null() {
                    // SAFETY: made by `copy_tensor` just above, not yet handed out.
                    unsafe { free_tensor(*out) };
                }
                *out = ptr::null_mut();
            }
            return Err(VACCEL_ENOMEM);
        };
        outputs[i] = copy;
    }
    Ok(VACCEL_OK)
}

/// Logs the per-tensor lines of the `run` ops: `#dims`, the dims, `}`, data type and data.
///
/// # Safety
/// `t` is a valid tensor.
unsafe fn dump_tensor<T: Tensor>(t: &T, data_suffix: &str) {
    debug!("[noop] \t#dims: {} -> {{", t.nr_dims());
    // SAFETY: the caller's contract.
    for d in unsafe { dims(t) } {
        debug!("[noop] \t\t{d}");
    }
    debug!("[noop] \t}}");
    debug!("[noop] \tData type: {}", t.data_type());
    debug!(
        "[noop] \tData -> {}, {}{data_suffix}",
        Ptr(t.data()),
        t.size()
    );
}

/// A TF node as the run op prints it: `<name>:<id>`.
///
/// # Safety
/// `nodes` is NULL or holds more than `i` nodes.
unsafe fn node_line(nodes: *const vaccel_tf_node, i: usize) {
    if nodes.is_null() {
        return;
    }
    // SAFETY: the caller's contract; node names are NULL or C strings.
    let (name, id) = unsafe {
        let n = &*nodes.add(i);
        (cstr(n.name), n.id)
    };
    debug!("[noop] \tNode {i}: {}:{id}", Str(name));
}

unsafe extern "C" fn noop_tf_model_run(
    sess: Sess,
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
    op("tf_model_run", || {
        let (sess, _) =
            // SAFETY: forwarded op arguments.
            unsafe { session_and_model(sess, model, "[noop] Invalid TensorFlow model") }?;
        // SAFETY: the arrays hold the given numbers of entries.
        let Some((inputs, outputs)) =
            (unsafe { tensor_arrays(in_tensors, nr_inputs, out_tensors, nr_outputs) })
        else {
            error!("[noop] Invalid input arguments");
            return Err(VACCEL_EINVAL);
        };
        debug!("[noop] Calling tf_model_run for session {}", sess.id);
        // SAFETY: NULL or the caller's buffer.
        if let Some(opts) = unsafe { run_options.as_ref() } {
            debug!("[noop] Run options -> {}, {}", Ptr(opts.data), opts.size);
        }
        debug!("[noop] Number of inputs: {nr_inputs}");
        for (i, t) in inputs.iter().enumerate() {
            // SAFETY: `in_nodes` has one node per input; tensors are NULL or valid.
            unsafe {
                node_line(in_nodes, i);
                if let Some(t) = t.as_ref() {
                    dump_tensor(t, "");
                }
            }
        }
        debug!("[noop] Number of outputs: {nr_outputs}");
        for i in 0..outputs.len() {
            // SAFETY: `out_nodes` has one node per output.
            unsafe { node_line(out_nodes, i) };
        }
        // SAFETY: valid tensor arrays.
        unsafe { copy_outputs(inputs, outputs) }?;
        // SAFETY: `status` is NULL or the caller's status.
        unsafe { set_tf_status(status) }
    })
}

macro_rules! model_op_fn {
    ($name:ident, $op:literal, $model_msg:literal) => {
        unsafe extern "C" fn $name(sess: Sess, model: *mut vaccel_resource) -> c_int {
            op($op, || {
                // SAFETY: forwarded op arguments.
                let (sess, _) = unsafe { session_and_model(sess, model, $model_msg) }?;
                debug!(concat!("[noop] Calling ", $op, " for session {}"), sess.id);
                Ok(VACCEL_OK)
            })
        }
    };
}

model_op_fn!(
    noop_tflite_model_load,
    "tflite_model_load",
    "[noop] Invalid model"
);
model_op_fn!(
    noop_tflite_model_unload,
    "tflite_model_unload",
    "[noop] Invalid model"
);

unsafe extern "C" fn noop_tflite_model_run(
    sess: Sess,
    model: *mut vaccel_resource,
    in_tensors: *const *mut vaccel_tflite_tensor,
    nr_inputs: c_int,
    out_tensors: *mut *mut vaccel_tflite_tensor,
    nr_outputs: c_int,
    status: *mut u8,
) -> c_int {
    op("tflite_model_run", || {
        // SAFETY: forwarded op arguments.
        let (sess, _) = unsafe { session_and_model(sess, model, "[noop] Invalid model") }?;
        // SAFETY: the arrays hold the given numbers of entries.
        let Some((inputs, outputs)) =
            (unsafe { tensor_arrays(in_tensors, nr_inputs, out_tensors, nr_outputs) })
        else {
            error!("[noop] Invalid input arguments");
            return Err(VACCEL_EINVAL);
        };
        debug!("[noop] Calling tflite_model_run for session {}", sess.id);
        debug!("[noop] Number of inputs: {nr_inputs}");
        for t in inputs {
            // SAFETY: tensors are NULL or valid.
            if let Some(t) = unsafe { t.as_ref() } {
                // SAFETY: a valid tensor.
                unsafe { dump_tensor(t, "") };
            }
        }
        debug!("[noop] Number of outputs: {nr_outputs}");
        // SAFETY: valid tensor arrays.
        unsafe { copy_outputs(inputs, outputs) }?;
        // SAFETY: NULL or the caller's status byte.
        if let Some(status) = unsafe { status.as_mut() } {
            *status = 0;
        }
        Ok(VACCEL_OK)
    })
}

unsafe extern "C" fn noop_torch_model_load(sess: Sess, model: *mut vaccel_resource) -> c_int {
    op("torch_model_load", || {
        // SAFETY: forwarded op arguments.
        let (sess, model) = unsafe { session_and_model(sess, model, "[noop] Invalid model path") }?;
        debug!("[noop] Calling torch_model_load for session {}", sess.id);
        // SAFETY: the blobs of a live resource.
        let blob = unsafe { blobs(model).and_then(|b| b.first()?.as_ref()) };
        let Some(blob) = blob else {
            error!("[noop] Invalid model path");
            return Err(VACCEL_EINVAL);
        };
        // SAFETY: a blob's path is NULL or a C string.
        let path = Str(unsafe { cstr(blob.path) });
        match blob.type_ {
            VACCEL_BLOB_FILE => debug!("[noop] Loading model from file {path}"),
            VACCEL_BLOB_MAPPED => debug!("[noop] Mapped model, loading from file {path}"),
            VACCEL_BLOB_BUFFER => {
                debug!("[noop] Loading model from buffer of length: {}", blob.size)
            }
            _ => {
                error!("[noop] The model blob has an invalid type.");
                return Err(VACCEL_EINVAL);
            }
        }
        Ok(VACCEL_OK)
    })
}

unsafe extern "C" fn noop_torch_model_run(
    sess: Sess,
    model: *mut vaccel_resource,
    _run_options: *const vaccel_torch_buffer,
    in_tensors: *const *mut vaccel_torch_tensor,
    nr_inputs: c_int,
    out_tensors: *mut *mut vaccel_torch_tensor,
    nr_outputs: c_int,
) -> c_int {
    op("torch_model_run", || {
        // SAFETY: forwarded op arguments.
        let (sess, _) = unsafe { session_and_model(sess, model, "[noop] Invalid model path") }?;
        // SAFETY: the arrays hold the given numbers of entries.
        let Some((inputs, outputs)) =
            (unsafe { tensor_arrays(in_tensors, nr_inputs, out_tensors, nr_outputs) })
        else {
            error!("[noop] Invalid input arguments");
            return Err(VACCEL_EINVAL);
        };
        debug!("[noop] Calling torch_model_run for session {}", sess.id);
        debug!("[noop] Number of inputs: {nr_inputs}");
        for t in inputs {
            // SAFETY: tensors are NULL or valid.
            if let Some(t) = unsafe { t.as_ref() } {
                // SAFETY: a valid tensor.
                unsafe { dump_tensor(t, " B") };
            }
        }
        debug!("[noop] Number of outputs: {nr_outputs}");
        // SAFETY: valid tensor arrays.
        unsafe { copy_outputs(inputs, outputs) }
    })
}

unsafe extern "C" fn noop_torch_sgemm(
    sess: Sess,
    _in_a: *mut *mut vaccel_torch_tensor,
    _in_b: *mut *mut vaccel_torch_tensor,
    _in_c: *mut *mut vaccel_torch_tensor,
    m: c_int,
    n: c_int,
    k: c_int,
    _out: *mut *mut vaccel_torch_tensor,
) -> c_int {
    op("torch_sgemm", || {
        // SAFETY: `sess` comes from the core.
        let sess = unsafe { session(sess, "[noop] Invalid session") }?;
        debug!("[noop] Calling torch_sgemm for session {}", sess.id);
        debug!("[noop] Dumping arguments for torch_sgemm:");
        debug!("[noop] m: {m} n: {n} k: {k}");
        Ok(VACCEL_OK)
    })
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn noop_sgemm(
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
) -> c_int {
    op("blas_sgemm", || {
        // SAFETY: `sess` comes from the core.
        let sess = unsafe { session(sess, "[noop] Invalid session") }?;
        debug!("[noop] Calling sgemm for session {}", sess.id);
        debug!("[noop] Dumping arguments for sgemm:");
        debug!("[noop] m: {m} n: {n} k: {k}");
        debug!("[noop] alpha: {}", Float(f64::from(alpha)));
        debug!("[noop] A: {} lda: {lda}", Ptr::of(a));
        debug!("[noop] B: {} ldb: {ldb}", Ptr::of(b));
        debug!("[noop] beta: {}", Float(f64::from(beta)));
        debug!("[noop] C: {} ldc: {ldc}", Ptr::of(c));
        Ok(VACCEL_OK)
    })
}

/// The `len` elements at `p`, or an EINVAL result (`[noop] Invalid input arguments`).
///
/// # Safety
/// `p` is NULL or points to `len` elements.
unsafe fn array<'a, T>(p: *const T, len: usize) -> Result<&'a [T], c_int> {
    // SAFETY: the caller's contract.
    unsafe { slice(p, len) }.ok_or_else(|| {
        error!("[noop] Invalid input arguments");
        VACCEL_EINVAL
    })
}

/// Mutable counterpart of [`array`].
///
/// # Safety
/// `p` is NULL or points to `len` elements not otherwise referenced.
unsafe fn array_mut<'a, T>(p: *mut T, len: usize) -> Result<&'a mut [T], c_int> {
    // SAFETY: the caller's contract.
    unsafe { slice_mut(p, len) }.ok_or_else(|| {
        error!("[noop] Invalid input arguments");
        VACCEL_EINVAL
    })
}

unsafe extern "C" fn noop_fpga_arraycopy(
    sess: Sess,
    a: *mut c_int,
    out_a: *mut c_int,
    len_a: usize,
) -> c_int {
    op("fpga_arraycopy", || {
        // SAFETY: `sess` comes from the core.
        let sess = unsafe { session(sess, "[noop] Invalid session") }?;
        debug!("[noop] Calling fpga_arraycopy for session {}", sess.id);
        debug!("[noop] Dumping arguments for fpga_arraycopy:");
        debug!("[noop] len_a: {len_a} ");
        // SAFETY: both arrays hold `len_a` ints; `copy` allows them to overlap.
        unsafe {
            array(a, len_a)?;
            array(out_a, len_a)?;
            ptr::copy(a, out_a, len_a);
        }
        Ok(VACCEL_OK)
    })
}

unsafe extern "C" fn noop_fpga_mmult(
    sess: Sess,
    _a: *mut f32,
    _b: *mut f32,
    c: *mut f32,
    len_a: usize,
) -> c_int {
    op("fpga_mmult", || {
        // SAFETY: `sess` comes from the core.
        let sess = unsafe { session(sess, "[noop] Invalid session") }?;
        debug!("[noop] Calling fpga_mmult for session {}", sess.id);
        debug!("[noop] Dumping arguments for fpga_mmult:");
        debug!("[noop] len_a: {len_a}");
        // SAFETY: `c` holds `len_a` floats.
        unsafe { array_mut(c, len_a) }?.fill(9.1);
        Ok(VACCEL_OK)
    })
}

unsafe extern "C" fn noop_fpga_parallel(
    sess: Sess,
    a: *mut f32,
    b: *mut f32,
    add_output: *mut f32,
    mult_output: *mut f32,
    len_a: usize,
) -> c_int {
    op("fpga_parallel", || {
        // SAFETY: `sess` comes from the core.
        let sess = unsafe { session(sess, "[noop] Invalid session") }?;
        debug!("[noop] Calling fpga_parallel for session {}", sess.id);
        debug!("[noop] Dumping arguments for fpga_parallel:");
        debug!("[noop] len_a: {len_a}");
        // SAFETY: all four arrays hold `len_a` floats; inputs are read before each output write.
        unsafe {
            array(a, len_a)?;
            array(b, len_a)?;
            array(add_output, len_a)?;
            array(mult_output, len_a)?;
            for i in 0..len_a {
                *add_output.add(i) = *a.add(i) + *b.add(i);
                *mult_output.add(i) = 1.0;
            }
        }
        Ok(VACCEL_OK)
    })
}

unsafe extern "C" fn noop_fpga_vadd(
    sess: Sess,
    a: *mut f32,
    b: *mut f32,
    c: *mut f32,
    len_a: usize,
    len_b: usize,
) -> c_int {
    op("fpga_vectoradd", || {
        // SAFETY: `sess` comes from the core.
        let sess = unsafe { session(sess, "[noop] Invalid session") }?;
        debug!("[noop] Calling fpga_vadd for session {}", sess.id);
        debug!("[noop] Dumping arguments for fpga_vadd:");
        debug!("[noop] len_a: {len_a} len_b: {len_b} ");
        // SAFETY: `a` and `c` hold `len_a` floats, `b` holds `len_b` (missing elements of `b`
        // count as 0); inputs are read before each output write.
        unsafe {
            array(a, len_a)?;
            array(b, len_b)?;
            array(c, len_a)?;
            for i in 0..len_a {
                let bi = if i < len_b { *b.add(i) } else { 0.0 };
                *c.add(i) = *a.add(i) + bi;
            }
        }
        Ok(VACCEL_OK)
    })
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn noop_minmax(
    sess: Sess,
    indata: *const f64,
    ndata: c_int,
    low_threshold: c_int,
    high_threshold: c_int,
    outdata: *mut f64,
    min: *mut f64,
    max: *mut f64,
) -> c_int {
    op("minmax", || {
        // SAFETY: `sess` comes from the core.
        let Some(sess) = (unsafe { sess.as_ref() }) else {
            return Err(VACCEL_EINVAL);
        };
        debug!("[noop] Calling minmax for session {}", sess.id);
        debug!("[noop] Dumping arguments for minmax: ndata:{ndata}");
        debug!("[noop] low: {low_threshold} high: {high_threshold} ");
        debug!("[noop] will return dummy min and max values");
        let n = usize::try_from(ndata).unwrap_or(0);
        // SAFETY: both arrays hold `ndata` doubles; `min`/`max` are NULL or writable.
        unsafe {
            array(indata, n)?;
            array(outdata, n)?;
            ptr::copy(indata, outdata, n);
            if let Some(max) = max.as_mut() {
                *max = 10000.0;
            }
            if let Some(min) = min.as_mut() {
                *min = -1.0;
            }
        }
        Ok(VACCEL_OK)
    })
}

unsafe extern "C" fn noop_opencv(
    sess: Sess,
    read: *mut vaccel_arg,
    nr_read: c_int,
    write: *mut vaccel_arg,
    nr_write: c_int,
) -> c_int {
    op("opencv", || {
        // SAFETY: `sess` comes from the core.
        let sess = unsafe { session(sess, "[noop] Invalid session") }?;
        let n_read = usize::try_from(nr_read).unwrap_or(0);
        let n_write = usize::try_from(nr_write).unwrap_or(0);
        // SAFETY: the arrays hold the given numbers of arguments.
        let Some((read, write)) = (unsafe { args(read, n_read, write, n_write) }) else {
            error!("[noop] Invalid input arguments");
            return Err(VACCEL_EINVAL);
        };
        debug!("[noop] Calling opencv for session {}", sess.id);
        debug!("[noop] Dumping arguments for opencv:");
        debug!("[noop] nr_read: {nr_read} nr_write: {nr_write}");
        if let Some(first) = read.first().filter(|a| !a.buf.is_null() && a.size > 0) {
            // SAFETY: a non-empty argument buffer.
            let function = unsafe { *first.buf.cast::<u8>() };
            debug!("[noop] [OpenCV] function: {function}");
        }
        for (i, arg) in read.iter().enumerate().skip(1) {
            debug!("[noop] opencv read[{i}] size: {}", arg.size);
        }
        for (i, arg) in write.iter().enumerate() {
            debug!("[noop] opencv write[{i}] size: {}", arg.size);
            let value = (arg.size / 4).to_ne_bytes();
            let n = value.len().min(arg.size);
            if !arg.buf.is_null() {
                // SAFETY: the buffer holds `size` bytes; at most that many are written.
                unsafe { ptr::copy_nonoverlapping(value.as_ptr(), arg.buf.cast::<u8>(), n) };
            }
        }
        Ok(VACCEL_OK)
    })
}

#[cfg(test)]
vaccel_plugin::test_stubs!();

#[cfg(test)]
mod tests;
