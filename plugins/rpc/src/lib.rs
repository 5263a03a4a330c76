//! The vAccel RPC transport plugin, `libvaccel-rpc.so` (spec `rpc-protocol.md` §8).
//!
//! With `VACCEL_PLUGINS=libvaccel-rpc.so` every session of the application becomes a remote
//! session (`is_virtio`), and every vAccel call on it runs on the host of a `vaccel-rpc-agent`:
//!
//! - the transport hooks (§8.1) forward the session and resource lifecycle: `session_init` →
//!   `CreateSession` (sets `sess->remote_id`), `session_update` → `UpdateSession`,
//!   `session_release` → `DestroySession`, `resource_register` → `RegisterResource` (the
//!   resource's file or buffer contents travel as blobs, or its URLs as paths; sets
//!   `res->remote_id`), `resource_unregister` → `UnregisterResource`, `resource_sync` →
//!   `SyncResource`;
//! - every op the official plugin forwards (§8.3) is marshalled as §8.4 says: the image, BLAS,
//!   FPGA, minmax, exec and OpenCV ops through `Genop` (op type first, agent-side resource ids,
//!   write buffers sent with their contents and copied back), the TensorFlow, TFLite and Torch ops
//!   through their own RPCs, with output tensors and status messages allocated with libc for the
//!   application to free. `noop` has no RPC (the agent's genop rejects op 0): it is answered here
//!   with OK; `torch_sgemm` is not registered (ENOTSUP from the core, as upstream);
//! - failures map to the codes a local plugin returns (§5.3): the agent's libvaccel errno passes
//!   through, statuses without details and transport failures are `VACCEL_EIO`, local
//!   conversion failures `VACCEL_EBACKEND`.
//!
//! The connection ([`client`]) is one per process, opened on the first call to the address in
//! `VACCEL_RPC_ADDRESS` (else the legacy `VACCEL_RPC_ADDR`, else `tcp://127.0.0.1:65500`): tcp,
//! unix, abstract unix, vsock and hybrid vsock, with `TCP_NODELAY`, one write per frame, a
//! bounded connect timeout (`VACCEL_RPC_CONNECT_TIMEOUT_MS`, default 5 s) and a clear error when
//! no agent listens. `VACCEL_RPC_SERVICE=async` selects the service name of the official async
//! agents. Genop requests too large for one frame (over 1 GiB, or over
//! `VACCEL_RPC_STREAM_THRESHOLD` bytes) are streamed in parts through `GenopStream` (§10).
//!
//! Every `extern "C"` entry point runs inside the SDK's panic guard; `fini` closes the
//! connection, so no Rust allocation outlives the plugin.

use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::Ordering;

use vaccel_plugin::abi::{
    ArgType, OpType, VACCEL_EBACKEND, VACCEL_EINVAL, VACCEL_OK, VACCEL_PLUGIN_REMOTE, vaccel_arg,
    vaccel_resource, vaccel_session, vaccel_tf_buffer, vaccel_tf_node, vaccel_tf_status,
    vaccel_tf_tensor, vaccel_tflite_tensor, vaccel_torch_buffer, vaccel_torch_tensor,
};
use vaccel_plugin::{debug, guard};
use vaccel_rpc_proto::bound::Bounded;
use vaccel_rpc_proto::error::{ErrorType, vaccel_error};
use vaccel_rpc_proto::{
    EncodeSegments, Method, empty, genop, resource, session, tf, tflite, torch,
};

pub mod client;
pub mod marshal;

use client::{RpcError, borrow_bytes};
use marshal::{
    Out, arg_raw, copy_back, op_arg, out_arg, read_args, resource_id, scalar, session_id,
    string_arg, write_args,
};

#[cfg(test)]
vaccel_plugin::test_stubs!();

#[cfg(test)]
mod tests;

vaccel_plugin::plugin! {
    name: c"rpc",
    type: VACCEL_PLUGIN_REMOTE,
    is_virtio: true,
    fini: fini,
    session_init: sess_init,
    session_release: sess_release,
    session_update: sess_update,
    resource_register: res_register,
    resource_unregister: res_unregister,
    resource_sync: res_sync,
    ops: [
        Noop => rpc_noop,
        Exec => rpc_exec,
        ExecWithResource => rpc_exec_with_resource,
        ImageClassify => rpc_image_classify,
        ImageDetect => rpc_image_detect,
        ImageSegment => rpc_image_segment,
        ImagePose => rpc_image_pose,
        ImageDepth => rpc_image_depth,
        TfModelLoad => rpc_tf_model_load,
        TfModelUnload => rpc_tf_model_unload,
        TfModelRun => rpc_tf_model_run,
        TfliteModelLoad => rpc_tflite_model_load,
        TfliteModelUnload => rpc_tflite_model_unload,
        TfliteModelRun => rpc_tflite_model_run,
        TorchModelLoad => rpc_torch_model_load,
        TorchModelRun => rpc_torch_model_run,
        BlasSgemm => rpc_sgemm,
        FpgaArraycopy => rpc_fpga_arraycopy,
        FpgaMmult => rpc_fpga_mmult,
        FpgaParallel => rpc_fpga_parallel,
        FpgaVectoradd => rpc_fpga_vadd,
        Minmax => rpc_minmax,
        Opencv => rpc_opencv,
    ],
}

type Sess = *mut vaccel_session;
type Res = *mut vaccel_resource;

fn fini() -> c_int {
    client::disconnect();
    VACCEL_OK
}

/// Runs the body of an entry point inside the panic guard; `Err(code)` is returned as is.
fn run(what: &str, body: impl FnOnce() -> Result<(), c_int>) -> c_int {
    guard(what, || match body() {
        Ok(()) => VACCEL_OK,
        Err(code) => code,
    })
}

/// The code for a failed call (transport failures are logged by the client already).
fn code(method: Method, e: &RpcError) -> c_int {
    if !matches!(e, RpcError::Transport(_)) {
        debug!("[rpc] {method} failed: {e}");
    }
    e.errno()
}

/// A unary call on the process's connection.
fn call<Req: EncodeSegments, Resp: Bounded>(
    method: Method,
    request: &Req,
) -> Result<Resp, RpcError> {
    client::with_client(|c| c.call(method, request))
}

/// A unary call whose failure is returned as its vAccel code.
fn call_code<Req: EncodeSegments, Resp: Bounded>(
    method: Method,
    request: &Req,
) -> Result<Resp, c_int> {
    call(method, request).map_err(|e| code(method, &e))
}

/// Runs a genop on the agent and copies its write arguments back into `outs`.
fn genop(
    sess: Sess,
    read_args: Vec<genop::Arg>,
    write_args: Vec<genop::Arg>,
    outs: &[Out],
) -> Result<(), c_int> {
    // SAFETY: `sess` comes from the core.
    let session_id = unsafe { session_id(sess) }?;
    // The request borrows the caller's buffers: it is consumed (and dropped) by the call,
    // before the results are written into those buffers.
    let request = genop::Request {
        session_id,
        read_args,
        write_args,
    };
    // The results are copied out while the connection is held: write arguments that came back
    // through shared memory are views of the connection's arena.
    client::with_client(move |c| {
        let response = c.genop(request)?;
        // SAFETY: every `Out` is an output buffer of the caller, valid for its length.
        Ok(unsafe { copy_back(outs, &response) })
    })
    .map_err(|e| code(Method::Genop, &e))?
}

/// `size_of::<T>() * n` for a C element count, EINVAL when negative or overflowing.
fn bytes_of<T>(n: impl TryInto<usize>) -> Result<usize, c_int> {
    n.try_into()
        .ok()
        .and_then(|n: usize| n.checked_mul(std::mem::size_of::<T>()))
        .ok_or(VACCEL_EINVAL)
}

/// A RAW read argument over `n` elements of `T` at `p`.
///
/// # Safety
/// `p` is NULL or holds `n` elements, alive for the call.
unsafe fn raw_in<T>(p: *const T, n: impl TryInto<usize>) -> Result<genop::Arg, c_int> {
    // SAFETY: the caller's contract.
    unsafe { arg_raw(ArgType::Raw as u32, 0, p.cast(), bytes_of::<T>(n)?) }
}

/// A RAW write argument over `n` elements of `T` at `p`.
///
/// # Safety
/// `p` is NULL or holds `n` writable elements, alive for the call.
unsafe fn raw_out<T>(p: *mut T, n: impl TryInto<usize>) -> Result<(genop::Arg, Out), c_int> {
    // SAFETY: the caller's contract.
    unsafe { out_arg(ArgType::Raw as u32, 0, p.cast(), bytes_of::<T>(n)?) }
}

fn unzip(outs: Vec<(genop::Arg, Out)>) -> (Vec<genop::Arg>, Vec<Out>) {
    outs.into_iter().unzip()
}

// --- session and resource hooks -----------------------------------------------------------

unsafe extern "C" fn sess_init(sess: Sess, flags: u32) -> c_int {
    run("session_init", || {
        if sess.is_null() {
            return Err(VACCEL_EINVAL);
        }
        debug!("[rpc] Initializing new remote session");
        let resp: session::CreateResponse =
            call_code(Method::CreateSession, &session::CreateRequest { flags })?;
        if resp.session_id <= 0 {
            return Err(VACCEL_EBACKEND);
        }
        // SAFETY: a session from the core, checked non-NULL above.
        unsafe { (*sess).remote_id = resp.session_id };
        debug!("[rpc] Initialized remote session {}", resp.session_id);
        Ok(())
    })
}

unsafe extern "C" fn sess_update(sess: Sess, flags: u32) -> c_int {
    run("session_update", || {
        // SAFETY: `sess` comes from the core.
        let session_id = unsafe { session_id(sess) }?;
        let _: empty::Empty = call_code(
            Method::UpdateSession,
            &session::UpdateRequest { session_id, flags },
        )?;
        Ok(())
    })
}

unsafe extern "C" fn sess_release(sess: Sess) -> c_int {
    run("session_release", || {
        // SAFETY: `sess` comes from the core.
        let session_id = unsafe { session_id(sess) }?;
        debug!("[rpc] Releasing remote session {session_id}");
        let _: empty::Empty = call_code(
            Method::DestroySession,
            &session::DestroyRequest { session_id },
        )?;
        Ok(())
    })
}

unsafe extern "C" fn res_register(res: Res, sess: Sess) -> c_int {
    run("resource_register", || {
        // SAFETY: `sess` comes from the core.
        let session_id = unsafe { session_id(sess) }?;
        // SAFETY: `res` is NULL or a resource from the core, whose blobs are loaded.
        let request =
            unsafe { marshal::register_request(res.as_ref().ok_or(VACCEL_EINVAL)?, session_id) }?;
        let resp = client::with_client(|c| c.register_resource(&request))
            .map_err(|e| code(Method::RegisterResource, &e))?;
        drop(request);
        if resp.resource_id <= 0 {
            return Err(VACCEL_EBACKEND);
        }
        // SAFETY: checked non-NULL above; no borrow of it is alive.
        unsafe { (*res).remote_id = resp.resource_id };
        Ok(())
    })
}

unsafe extern "C" fn res_unregister(res: Res, sess: Sess) -> c_int {
    run("resource_unregister", || {
        // SAFETY: `res` and `sess` come from the core.
        let (resource_id, session_id) = unsafe { (resource_id(res)?, session_id(sess)?) };
        let _: empty::Empty = call_code(
            Method::UnregisterResource,
            &resource::UnregisterRequest {
                resource_id,
                session_id,
            },
        )?;
        // The agent deletes its resource once no session uses it: forget the remote id then,
        // so that a later registration creates it anew (§8.1 note).
        // SAFETY: non-NULL (checked by `resource_id`), a resource from the core.
        unsafe {
            if (*res).refcount.load(Ordering::SeqCst) == 0 {
                (*res).remote_id = 0;
            }
        }
        Ok(())
    })
}

unsafe extern "C" fn res_sync(res: Res, sess: Sess) -> c_int {
    run("resource_sync", || {
        // SAFETY: `res` comes from the core.
        let resource_id = unsafe { resource_id(res) }?;
        if sess.is_null() {
            return Err(VACCEL_EINVAL);
        }
        let resp: resource::SyncResponse =
            call_code(Method::SyncResource, &resource::SyncRequest { resource_id })?;
        // SAFETY: non-NULL (checked by `resource_id`); its blobs are writable for their sizes.
        unsafe { marshal::apply_sync(&*res, &resp) }
    })
}

// --- ops through genop --------------------------------------------------------------------

unsafe extern "C" fn rpc_noop(sess: Sess) -> c_int {
    run("noop", || {
        if sess.is_null() {
            return Err(VACCEL_EINVAL);
        }
        // There is no RPC for noop and the agent's genop rejects op 0 (§8.3): answer here.
        // SAFETY: a session from the core.
        debug!("[rpc] session:{} noop answered locally", unsafe {
            (*sess).id
        });
        Ok(())
    })
}

unsafe extern "C" fn rpc_exec(
    sess: Sess,
    library: *const c_char,
    fn_symbol: *const c_char,
    read: *mut vaccel_arg,
    nr_read: usize,
    write: *mut vaccel_arg,
    nr_write: usize,
) -> c_int {
    run("exec", || {
        // SAFETY: the op's arguments as the core passes them from the application.
        unsafe {
            let mut r = vec![
                op_arg(OpType::Exec),
                string_arg(library)?,
                string_arg(fn_symbol)?,
            ];
            r.extend(read_args(read, nr_read)?);
            let (w, outs) = write_args(write, nr_write)?;
            genop(sess, r, w, &outs)
        }
    })
}

unsafe extern "C" fn rpc_exec_with_resource(
    sess: Sess,
    resource: Res,
    fn_symbol: *const c_char,
    read: *mut vaccel_arg,
    nr_read: usize,
    write: *mut vaccel_arg,
    nr_write: usize,
) -> c_int {
    run("exec_with_resource", || {
        // SAFETY: the op's arguments as the core passes them from the application.
        unsafe {
            let rid = resource_id(resource)?;
            let mut r = vec![
                op_arg(OpType::ExecWithResource),
                scalar(ArgType::Int64, &rid.to_ne_bytes()),
                string_arg(fn_symbol)?,
            ];
            r.extend(read_args(read, nr_read)?);
            let (w, outs) = write_args(write, nr_write)?;
            genop(sess, r, w, &outs)
        }
    })
}

unsafe extern "C" fn rpc_image_classify(
    sess: Sess,
    img: *const c_void,
    out_text: *mut u8,
    out_imgname: *mut u8,
    len_img: usize,
    len_out_text: usize,
    len_out_imgname: usize,
) -> c_int {
    run("image_classify", || {
        let uchar = ArgType::UcharArray as u32;
        // SAFETY: the op's buffers as the application passes them, with their lengths.
        unsafe {
            let r = vec![
                op_arg(OpType::ImageClassify),
                arg_raw(ArgType::Buffer as u32, 0, img.cast(), len_img)?,
            ];
            let mut outs = vec![out_arg(uchar, 0, out_imgname, len_out_imgname)?];
            if !out_text.is_null() && len_out_text > 0 {
                outs.push(out_arg(uchar, 0, out_text, len_out_text)?);
            }
            let (w, outs) = unzip(outs);
            genop(sess, r, w, &outs)
        }
    })
}

/// The 5-parameter image ops.
fn image_op(
    op: OpType,
    sess: Sess,
    img: *const c_void,
    out_imgname: *mut u8,
    len_img: usize,
    len_out_imgname: usize,
) -> c_int {
    run(vaccel_plugin::abi::ops::OPS[op as usize].lower, || {
        // SAFETY: the op's buffers as the application passes them, with their lengths.
        unsafe {
            let r = vec![
                op_arg(op),
                arg_raw(ArgType::Buffer as u32, 0, img.cast(), len_img)?,
            ];
            let (w, out) = out_arg(ArgType::UcharArray as u32, 0, out_imgname, len_out_imgname)?;
            genop(sess, r, vec![w], &[out])
        }
    })
}

macro_rules! image_ops {
    ($($name:ident => $op:ident),* $(,)?) => {$(
        unsafe extern "C" fn $name(
            sess: Sess,
            img: *const c_void,
            out_imgname: *mut u8,
            len_img: usize,
            len_out_imgname: usize,
        ) -> c_int {
            image_op(OpType::$op, sess, img, out_imgname, len_img, len_out_imgname)
        }
    )*};
}

image_ops! {
    rpc_image_detect => ImageDetect,
    rpc_image_segment => ImageSegment,
    rpc_image_pose => ImagePose,
    rpc_image_depth => ImageDepth,
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn rpc_sgemm(
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
    run("blas_sgemm", || {
        let count = |x: i64, y: i64| x.checked_mul(y).ok_or(VACCEL_EINVAL);
        let (a_len, b_len, c_len) = (
            bytes_of::<f32>(count(m, k)?)?,
            bytes_of::<f32>(count(k, n)?)?,
            bytes_of::<f32>(count(m, n)?)?,
        );
        let i64_arg = |v: i64| scalar(ArgType::Int64, &v.to_ne_bytes());
        let f32_arg = |v: f32| scalar(ArgType::Float32, &v.to_ne_bytes());
        let fa = ArgType::Float32Array as u32;
        // SAFETY: the matrices hold m×k, k×n and m×n floats (the op's contract).
        unsafe {
            let r = vec![
                op_arg(OpType::BlasSgemm),
                i64_arg(m),
                i64_arg(n),
                i64_arg(k),
                f32_arg(alpha),
                arg_raw(fa, 0, a.cast(), a_len)?,
                i64_arg(lda),
                arg_raw(fa, 0, b.cast(), b_len)?,
                i64_arg(ldb),
                f32_arg(beta),
                i64_arg(ldc),
            ];
            let (w, out) = out_arg(fa, 0, c.cast(), c_len)?;
            genop(sess, r, vec![w], &[out])
        }
    })
}

unsafe extern "C" fn rpc_fpga_arraycopy(
    sess: Sess,
    a: *mut c_int,
    out_a: *mut c_int,
    len_a: usize,
) -> c_int {
    run("fpga_arraycopy", || {
        // SAFETY: both arrays hold `len_a` ints (the op's contract).
        unsafe {
            let r = vec![op_arg(OpType::FpgaArraycopy), raw_in(a, len_a)?];
            let (w, out) = raw_out(out_a, len_a)?;
            genop(sess, r, vec![w], &[out])
        }
    })
}

unsafe extern "C" fn rpc_fpga_mmult(
    sess: Sess,
    a: *mut f32,
    b: *mut f32,
    c: *mut f32,
    len_a: usize,
) -> c_int {
    run("fpga_mmult", || {
        // SAFETY: the arrays hold `len_a` floats (the op's contract).
        unsafe {
            let r = vec![
                op_arg(OpType::FpgaMmult),
                raw_in(a, len_a)?,
                raw_in(b, len_a)?,
            ];
            let (w, out) = raw_out(c, len_a)?;
            genop(sess, r, vec![w], &[out])
        }
    })
}

unsafe extern "C" fn rpc_fpga_parallel(
    sess: Sess,
    a: *mut f32,
    b: *mut f32,
    add_output: *mut f32,
    mult_output: *mut f32,
    len_a: usize,
) -> c_int {
    run("fpga_parallel", || {
        // SAFETY: the arrays hold `len_a` floats (the op's contract).
        unsafe {
            let r = vec![
                op_arg(OpType::FpgaParallel),
                raw_in(a, len_a)?,
                raw_in(b, len_a)?,
            ];
            let outs = vec![raw_out(add_output, len_a)?, raw_out(mult_output, len_a)?];
            let (w, outs) = unzip(outs);
            genop(sess, r, w, &outs)
        }
    })
}

unsafe extern "C" fn rpc_fpga_vadd(
    sess: Sess,
    a: *mut f32,
    b: *mut f32,
    c: *mut f32,
    len_a: usize,
    len_b: usize,
) -> c_int {
    run("fpga_vectoradd", || {
        // SAFETY: `a` and `c` hold `len_a` floats, `b` `len_b` (the op's contract).
        unsafe {
            let r = vec![
                op_arg(OpType::FpgaVectoradd),
                raw_in(a, len_a)?,
                raw_in(b, len_b)?,
            ];
            let (w, out) = raw_out(c, len_a)?;
            genop(sess, r, vec![w], &[out])
        }
    })
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn rpc_minmax(
    sess: Sess,
    indata: *const f64,
    ndata: c_int,
    low_threshold: c_int,
    high_threshold: c_int,
    outdata: *mut f64,
    min: *mut f64,
    max: *mut f64,
) -> c_int {
    run("minmax", || {
        let int = |v: c_int| scalar(ArgType::Raw, &v.to_ne_bytes());
        // SAFETY: `indata`/`outdata` hold `ndata` doubles, `min`/`max` one each.
        unsafe {
            let r = vec![
                op_arg(OpType::Minmax),
                raw_in(indata, ndata)?,
                int(ndata),
                int(low_threshold),
                int(high_threshold),
            ];
            let outs = vec![raw_out(outdata, ndata)?, raw_out(min, 1)?, raw_out(max, 1)?];
            let (w, outs) = unzip(outs);
            genop(sess, r, w, &outs)
        }
    })
}

unsafe extern "C" fn rpc_opencv(
    sess: Sess,
    read: *mut vaccel_arg,
    nr_read: c_int,
    write: *mut vaccel_arg,
    nr_write: c_int,
) -> c_int {
    run("opencv", || {
        let nr_read = usize::try_from(nr_read).map_err(|_| VACCEL_EINVAL)?;
        let nr_write = usize::try_from(nr_write).map_err(|_| VACCEL_EINVAL)?;
        // SAFETY: the argument arrays as the application passes them.
        unsafe {
            let mut r = vec![op_arg(OpType::Opencv)];
            r.extend(read_args(read, nr_read)?);
            let (w, outs) = write_args(write, nr_write)?;
            genop(sess, r, w, &outs)
        }
    })
}

// --- framework ops --------------------------------------------------------------------------

/// `(session id, model id)` of a model op.
///
/// # Safety
/// `sess`/`model` are NULL or objects from the core.
unsafe fn model_ids(sess: Sess, model: Res) -> Result<(i64, i64), c_int> {
    // SAFETY: the caller's contract.
    unsafe { Ok((session_id(sess)?, resource_id(model)?)) }
}

/// The TF status for a failed call (§5.3): the agent's framework status when it sent one,
/// `{255, "Undefined error"}` for other agent errors, `{255, <error text>}` otherwise.
fn tf_error_status(e: &RpcError) -> (u32, String) {
    if let RpcError::Status(s) = e
        && let Some(err) = vaccel_error(s)
    {
        return match (ErrorType::try_from(err.r#type), err.status) {
            (Ok(ErrorType::FfiWithStatus), Some(st)) => (st.code, st.message),
            _ => (255, "Undefined error".to_owned()),
        };
    }
    (255, e.to_string())
}

/// Completes a TF op: fills `status` from the response status (absent: `{0, ""}`) or, on
/// failure, from the error, and returns the call's code.
///
/// # Safety
/// `status` is NULL or writable.
unsafe fn tf_finish(
    status: *mut vaccel_tf_status,
    method: Method,
    result: Result<Option<vaccel_rpc_proto::error::Status>, RpcError>,
) -> Result<(), c_int> {
    match result {
        Ok(st) => {
            let st = st.unwrap_or_default();
            // SAFETY: the caller's contract.
            unsafe { marshal::set_tf_status(status, st.code, &st.message) }
        }
        Err(e) => {
            let (c, m) = tf_error_status(&e);
            // SAFETY: the caller's contract.
            unsafe { marshal::set_tf_status(status, c, &m) }?;
            Err(code(method, &e))
        }
    }
}

unsafe extern "C" fn rpc_tf_model_load(
    sess: Sess,
    model: Res,
    status: *mut vaccel_tf_status,
) -> c_int {
    run("tf_model_load", || {
        // SAFETY: objects from the core.
        let (session_id, model_id) = unsafe { model_ids(sess, model) }?;
        let req = tf::ModelLoadRequest {
            session_id,
            model_id,
        };
        let result =
            call::<_, tf::ModelLoadResponse>(Method::TensorflowModelLoad, &req).map(|r| r.status);
        // SAFETY: `status` is NULL or the caller's status.
        unsafe { tf_finish(status, Method::TensorflowModelLoad, result) }
    })
}

unsafe extern "C" fn rpc_tf_model_unload(
    sess: Sess,
    model: Res,
    status: *mut vaccel_tf_status,
) -> c_int {
    run("tf_model_unload", || {
        // SAFETY: objects from the core.
        let (session_id, model_id) = unsafe { model_ids(sess, model) }?;
        let req = tf::ModelUnloadRequest {
            session_id,
            model_id,
        };
        let result = call::<_, tf::ModelUnloadResponse>(Method::TensorflowModelUnload, &req)
            .map(|r| r.status);
        // SAFETY: `status` is NULL or the caller's status.
        unsafe { tf_finish(status, Method::TensorflowModelUnload, result) }
    })
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn rpc_tf_model_run(
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
) -> c_int {
    run("tf_model_run", || {
        // SAFETY: the op's arguments as the application passes them; the request borrows the
        // input tensors' data and is dropped before returning.
        let req = unsafe {
            let (session_id, model_id) = model_ids(sess, model)?;
            tf::ModelRunRequest {
                session_id,
                model_id,
                run_options: run_options
                    .as_ref()
                    .map(|o| borrow_bytes(o.data.cast(), o.size)),
                in_nodes: marshal::tf_nodes(in_nodes, nr_inputs)?,
                out_nodes: marshal::tf_nodes(out_nodes, nr_outputs)?,
                in_tensors: marshal::tensors(in_tensors, nr_inputs, marshal::tf_tensor)?,
            }
        };
        let result = call::<_, tf::ModelRunResponse>(Method::TensorflowModelRun, &req);
        drop(req);
        let resp = match result {
            Ok(r) => r,
            // SAFETY: `status` is NULL or the caller's status.
            Err(e) => return unsafe { tf_finish(status, Method::TensorflowModelRun, Err(e)) },
        };
        let outs: Vec<marshal::OutTensor<'_, i64>> = resp
            .out_tensors
            .iter()
            .map(|t| (&t.data[..], &t.dims[..], t.r#type as u32))
            .collect();
        // SAFETY: `out_tensors` holds `nr_outputs` writable pointers; `status` as above.
        unsafe {
            marshal::store_outputs(out_tensors, nr_outputs, &outs)?;
            tf_finish(status, Method::TensorflowModelRun, Ok(resp.status.clone()))
        }
    })
}

unsafe extern "C" fn rpc_tflite_model_load(sess: Sess, model: Res) -> c_int {
    run("tflite_model_load", || {
        // SAFETY: objects from the core.
        let (session_id, model_id) = unsafe { model_ids(sess, model) }?;
        let _: empty::Empty = call_code(
            Method::TensorflowLiteModelLoad,
            &tflite::ModelLoadRequest {
                session_id,
                model_id,
            },
        )?;
        Ok(())
    })
}

unsafe extern "C" fn rpc_tflite_model_unload(sess: Sess, model: Res) -> c_int {
    run("tflite_model_unload", || {
        // SAFETY: objects from the core.
        let (session_id, model_id) = unsafe { model_ids(sess, model) }?;
        let _: empty::Empty = call_code(
            Method::TensorflowLiteModelUnload,
            &tflite::ModelUnloadRequest {
                session_id,
                model_id,
            },
        )?;
        Ok(())
    })
}

unsafe extern "C" fn rpc_tflite_model_run(
    sess: Sess,
    model: Res,
    inputs: *const *mut vaccel_tflite_tensor,
    nr_inputs: c_int,
    outputs: *mut *mut vaccel_tflite_tensor,
    nr_outputs: c_int,
    status: *mut u8,
) -> c_int {
    run("tflite_model_run", || {
        let nr_out = u64::try_from(nr_outputs).map_err(|_| VACCEL_EINVAL)?;
        // SAFETY: the op's arguments as the application passes them; the request borrows the
        // input tensors' data and is dropped before returning.
        let req = unsafe {
            let (session_id, model_id) = model_ids(sess, model)?;
            tflite::ModelRunRequest {
                session_id,
                model_id,
                in_tensors: marshal::tensors(inputs, nr_inputs, marshal::tflite_tensor)?,
                nr_out_tensors: nr_out,
            }
        };
        let result = call::<_, tflite::ModelRunResponse>(Method::TensorflowLiteModelRun, &req);
        drop(req);
        // SAFETY: `status` is NULL or a writable byte.
        let set_status = |c: u32| unsafe {
            if let Some(s) = status.as_mut() {
                *s = c as u8;
            }
        };
        let resp = match result {
            Ok(r) => r,
            Err(e) => {
                let c = match &e {
                    RpcError::Status(s) => vaccel_error(s)
                        .and_then(|err| err.status)
                        .map_or(255, |st| st.code),
                    _ => 255,
                };
                set_status(c);
                return Err(code(Method::TensorflowLiteModelRun, &e));
            }
        };
        let outs: Vec<marshal::OutTensor<'_, i32>> = resp
            .out_tensors
            .iter()
            .map(|t| (&t.data[..], &t.dims[..], t.r#type as u32))
            .collect();
        // SAFETY: `outputs` holds `nr_outputs` writable pointers.
        unsafe { marshal::store_outputs(outputs, nr_outputs, &outs) }?;
        set_status(resp.status.as_ref().map_or(0, |s| s.code));
        Ok(())
    })
}

unsafe extern "C" fn rpc_torch_model_load(sess: Sess, model: Res) -> c_int {
    run("torch_model_load", || {
        // SAFETY: objects from the core.
        let (session_id, model_id) = unsafe { model_ids(sess, model) }?;
        let _: empty::Empty = call_code(
            Method::TorchModelLoad,
            &torch::ModelLoadRequest {
                session_id,
                model_id,
            },
        )?;
        Ok(())
    })
}

unsafe extern "C" fn rpc_torch_model_run(
    sess: Sess,
    model: Res,
    run_options: *const vaccel_torch_buffer,
    inputs: *const *mut vaccel_torch_tensor,
    nr_inputs: c_int,
    outputs: *mut *mut vaccel_torch_tensor,
    nr_outputs: c_int,
) -> c_int {
    run("torch_model_run", || {
        let nr_out = u64::try_from(nr_outputs).map_err(|_| VACCEL_EINVAL)?;
        // SAFETY: the op's arguments as the application passes them; the request borrows the
        // input tensors' data and is dropped before returning.
        let req = unsafe {
            let (session_id, model_id) = model_ids(sess, model)?;
            torch::ModelRunRequest {
                session_id,
                model_id,
                run_options: run_options
                    .as_ref()
                    .map(|o| borrow_bytes(o.data.cast(), o.size)),
                in_tensors: marshal::tensors(inputs, nr_inputs, marshal::torch_tensor)?,
                nr_out_tensors: nr_out,
            }
        };
        let resp: torch::ModelRunResponse = call_code(Method::TorchModelRun, &req)?;
        drop(req);
        let outs: Vec<marshal::OutTensor<'_, i64>> = resp
            .out_tensors
            .iter()
            .map(|t| (&t.data[..], &t.dims[..], t.r#type as u32))
            .collect();
        // SAFETY: `outputs` holds `nr_outputs` writable pointers.
        unsafe { marshal::store_outputs(outputs, nr_outputs, &outs) }
    })
}
