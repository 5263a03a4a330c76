//! The generic operation (spec §16): op-agnostic dispatch over argument arrays.
//!
//! `vaccel_genop` is what language bindings and the RPC agent call, so the argument layouts here
//! are a wire contract. Each unpacker reads its arguments with the strict typed getters of
//! [`crate::arg`] and calls the op's normal entry point in [`crate::ops`].

use std::ffi::{c_int, c_void};

use vaccel_abi::{self as abi, ArgType, OpType, vaccel_arg, vaccel_arg_array, vaccel_session};

use crate::{Error, arg, error, ops, resource};

/// The argument slice as a cursor.
fn cursor(args: *mut vaccel_arg, n: c_int) -> Result<vaccel_arg_array, c_int> {
    arg::wrap(args, n.max(0) as usize).map_err(Error::code)
}

/// Pointer and count of the arguments from the cursor on (passed through unchanged).
fn rest(a: &vaccel_arg_array) -> (*mut vaccel_arg, usize) {
    arg::remaining(a)
}

/// `vaccel_genop` (§16.1).
///
/// # Safety
/// `read` / `write` must point to `nr_read` / `nr_write` valid arguments (or be NULL with 0).
pub unsafe fn genop(
    sess: *mut vaccel_session,
    read: *mut vaccel_arg,
    nr_read: c_int,
    write: *mut vaccel_arg,
    nr_write: c_int,
) -> c_int {
    if nr_read < 1 || read.is_null() {
        error!("Missing operation type");
        return abi::VACCEL_EINVAL;
    }
    let mut a = match cursor(read, nr_read) {
        Ok(a) => a,
        Err(e) => return e,
    };
    // SAFETY: `read` holds `nr_read` arguments (caller).
    let op = match unsafe { arg::get_scalar::<u8>(&mut a, ArgType::Uint8) } {
        Ok(op) => op,
        Err(_) => {
            error!("Failed to unpack operation type for genop");
            return abi::VACCEL_EINVAL;
        }
    };
    let op = match OpType::from_u32(op as u32) {
        Some(op) if op != OpType::Noop => op,
        _ => {
            error!("Invalid operation type");
            return abi::VACCEL_EINVAL;
        }
    };
    if !op.info().genop {
        error!("Operation not implemented for VACCEL_OP_{}", op.info().item);
        return abi::VACCEL_ENOTSUP;
    }
    let (read, nr_read) = rest(&a);
    // SAFETY: forwarded contract; `read` now points past the op-type argument.
    unsafe { unpack(op, sess, read, nr_read as c_int, write, nr_write) }
}

/// Dispatches to the unpacker of `op` (the exported `vaccel_*_unpack` functions).
///
/// # Safety
/// As [`genop`].
pub unsafe fn unpack(
    op: OpType,
    sess: *mut vaccel_session,
    read: *mut vaccel_arg,
    nr_read: c_int,
    write: *mut vaccel_arg,
    nr_write: c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        match op {
            OpType::Noop => noop_unpack(sess, nr_read, nr_write),
            OpType::Exec => exec_unpack(sess, read, nr_read, write, nr_write),
            OpType::ExecWithResource => exec_with_res_unpack(sess, read, nr_read, write, nr_write),
            OpType::ImageClassify => image_unpack(op, sess, read, nr_read, 1, write, nr_write, 2),
            OpType::ImageDetect | OpType::ImageSegment | OpType::ImagePose | OpType::ImageDepth => {
                image_unpack(op, sess, read, nr_read, 1, write, nr_write, 1)
            }
            OpType::BlasSgemm => sgemm_unpack(sess, read, nr_read, write, nr_write),
            OpType::FpgaArraycopy
            | OpType::FpgaMmult
            | OpType::FpgaParallel
            | OpType::FpgaVectoradd => fpga_unpack(op, sess, read, nr_read, write, nr_write),
            OpType::Minmax => minmax_unpack(sess, read, nr_read, write, nr_write),
            OpType::Opencv => ops::opencv(sess, read, nr_read, write, nr_write),
            _ => {
                error!("Operation not implemented for VACCEL_OP_{}", op.info().item);
                abi::VACCEL_ENOTSUP
            }
        }
    }
}

/// Checks an exact argument count, logging upstream's message.
fn expect_count(kind: &str, op: OpType, n: c_int, expected: c_int) -> Result<(), c_int> {
    if n != expected {
        error!(
            "Wrong number of {kind} arguments for {}: {n} (expected {expected})",
            op.lower_name()
        );
        return Err(abi::VACCEL_EINVAL);
    }
    Ok(())
}

unsafe fn noop_unpack(sess: *mut vaccel_session, nr_read: c_int, nr_write: c_int) -> c_int {
    if let Err(e) = expect_count("read", OpType::Noop, nr_read, 0).and(expect_count(
        "write",
        OpType::Noop,
        nr_write,
        0,
    )) {
        return e;
    }
    // SAFETY: forwarded contract.
    unsafe { ops::noop(sess) }
}

unsafe fn exec_unpack(
    sess: *mut vaccel_session,
    read: *mut vaccel_arg,
    nr_read: c_int,
    write: *mut vaccel_arg,
    nr_write: c_int,
) -> c_int {
    if nr_read < 2 {
        error!("Wrong number of read arguments in exec: {nr_read}");
        return abi::VACCEL_EINVAL;
    }
    let mut a = match cursor(read, nr_read) {
        Ok(a) => a,
        Err(e) => return e,
    };
    // SAFETY: `read` holds `nr_read` arguments.
    let Ok(library) = (unsafe { arg::get_string(&mut a) }) else {
        error!("Failed to unpack library string for exec");
        return abi::VACCEL_EINVAL;
    };
    // SAFETY: as above.
    let Ok(symbol) = (unsafe { arg::get_string(&mut a) }) else {
        error!("Failed to unpack function symbol for exec");
        return abi::VACCEL_EINVAL;
    };
    let (r, nr) = rest(&a);
    // SAFETY: forwarded contract.
    unsafe {
        ops::exec(
            sess,
            library,
            symbol,
            r,
            nr,
            write,
            nr_write.max(0) as usize,
        )
    }
}

unsafe fn exec_with_res_unpack(
    sess: *mut vaccel_session,
    read: *mut vaccel_arg,
    nr_read: c_int,
    write: *mut vaccel_arg,
    nr_write: c_int,
) -> c_int {
    if nr_read < 2 {
        error!("Wrong number of read arguments in exec_with_resource: {nr_read}");
        return abi::VACCEL_EINVAL;
    }
    let mut a = match cursor(read, nr_read) {
        Ok(a) => a,
        Err(e) => return e,
    };
    // SAFETY: `read` holds `nr_read` arguments.
    let Ok(id) = (unsafe { arg::get_scalar::<i64>(&mut a, ArgType::Int64) }) else {
        error!("Failed to unpack library resource id for exec_with_resource");
        return abi::VACCEL_EINVAL;
    };
    // SAFETY: as above.
    let Ok(symbol) = (unsafe { arg::get_string(&mut a) }) else {
        error!("Failed to unpack function symbol for exec");
        return abi::VACCEL_EINVAL;
    };
    let res = match resource::get_by_id(id) {
        Ok(r) => r,
        Err(e) => {
            error!("Could not find exec_with_resource library resource");
            return e.code();
        }
    };
    let (r, nr) = rest(&a);
    // SAFETY: forwarded contract; `res` is a live resource.
    unsafe { ops::exec_with_resource(sess, res, symbol, r, nr, write, nr_write.max(0) as usize) }
}

/// `vaccel_image_op_unpack`: the image ops' unpacker (§16.2).
///
/// # Safety
/// As [`genop`].
#[allow(clippy::too_many_arguments)]
pub unsafe fn image_unpack(
    op: OpType,
    sess: *mut vaccel_session,
    read: *mut vaccel_arg,
    nr_read: c_int,
    nr_read_req: c_int,
    write: *mut vaccel_arg,
    nr_write: c_int,
    nr_write_req: c_int,
) -> c_int {
    let lower = op.lower_name();
    if let Err(e) = expect_count("read", op, nr_read, nr_read_req) {
        return e;
    }
    // Classification's text buffer is optional (a missing second write argument means none).
    if nr_write < 1 || nr_write > nr_write_req {
        error!("Wrong number of write arguments for {lower}: {nr_write} (expected {nr_write_req})");
        return abi::VACCEL_EINVAL;
    }
    let (mut r, mut w) = match (cursor(read, nr_read), cursor(write, nr_write)) {
        (Ok(r), Ok(w)) => (r, w),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    // SAFETY: the arrays hold the counted arguments.
    let Ok((img, len_img)) = (unsafe { arg::get_buffer(&mut r) }) else {
        error!("Failed to unpack img arg for {lower}");
        return abi::VACCEL_EINVAL;
    };
    // SAFETY: as above.
    let Ok((imgname, len_imgname)) = (unsafe { arg::get_array::<u8>(&mut w, ArgType::UcharArray) })
    else {
        error!("Failed to unpack out_imgname arg for {lower}");
        return abi::VACCEL_EINVAL;
    };
    let (text, len_text) = if op == OpType::ImageClassify {
        // SAFETY: as above.
        match unsafe { arg::get_array::<u8>(&mut w, ArgType::UcharArray) } {
            Ok(t) => t,
            Err(e) if e == Error::ERANGE => (std::ptr::null_mut(), 0),
            Err(_) => {
                error!("Failed to unpack out_text arg for {lower}");
                return abi::VACCEL_EINVAL;
            }
        }
    } else {
        (std::ptr::null_mut(), 0)
    };
    // SAFETY: forwarded contract; buffers and lengths come from the arguments.
    unsafe { ops::image(op, sess, img, text, imgname, len_img, len_text, len_imgname) }
}

unsafe fn sgemm_unpack(
    sess: *mut vaccel_session,
    read: *mut vaccel_arg,
    nr_read: c_int,
    write: *mut vaccel_arg,
    nr_write: c_int,
) -> c_int {
    if nr_read != 10 {
        error!("Wrong number of read arguments in sgemm: {nr_read}");
        return abi::VACCEL_EINVAL;
    }
    if let Err(e) = expect_count("write", OpType::BlasSgemm, nr_write, 1) {
        return e;
    }
    let (mut r, mut w) = match (cursor(read, nr_read), cursor(write, nr_write)) {
        (Ok(r), Ok(w)) => (r, w),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    macro_rules! get {
        ($what:literal, $e:expr) => {
            // SAFETY: the arrays hold the counted arguments.
            match unsafe { $e } {
                Ok(v) => v,
                Err(_) => {
                    error!("Failed to unpack {} arg for sgemm", $what);
                    return abi::VACCEL_EINVAL;
                }
            }
        };
    }
    let m = get!("m", arg::get_scalar::<i64>(&mut r, ArgType::Int64));
    let n = get!("n", arg::get_scalar::<i64>(&mut r, ArgType::Int64));
    let k = get!("k", arg::get_scalar::<i64>(&mut r, ArgType::Int64));
    let alpha = get!("alpha", arg::get_scalar::<f32>(&mut r, ArgType::Float32));
    let (a, _) = get!("a", arg::get_array::<f32>(&mut r, ArgType::Float32Array));
    let lda = get!("lda", arg::get_scalar::<i64>(&mut r, ArgType::Int64));
    let (b, _) = get!("b", arg::get_array::<f32>(&mut r, ArgType::Float32Array));
    let ldb = get!("ldb", arg::get_scalar::<i64>(&mut r, ArgType::Int64));
    let beta = get!("beta", arg::get_scalar::<f32>(&mut r, ArgType::Float32));
    let ldc = get!("ldc", arg::get_scalar::<i64>(&mut r, ArgType::Int64));
    let (c, _) = get!("c", arg::get_array::<f32>(&mut w, ArgType::Float32Array));
    // SAFETY: forwarded contract.
    unsafe { ops::sgemm(sess, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) }
}

/// The `buf`/`size` of argument `i` (untyped access, as upstream's FPGA and minmax unpackers).
///
/// # Safety
/// `args` must hold more than `i` arguments.
unsafe fn untyped(args: *mut vaccel_arg, i: usize) -> (*mut c_void, usize) {
    // SAFETY: guaranteed by the caller.
    let a = unsafe { &*args.add(i) };
    (a.buf, a.size)
}

unsafe fn fpga_unpack(
    op: OpType,
    sess: *mut vaccel_session,
    read: *mut vaccel_arg,
    nr_read: c_int,
    write: *mut vaccel_arg,
    nr_write: c_int,
) -> c_int {
    let (nr, nw) = match op {
        OpType::FpgaArraycopy => (1, 1),
        OpType::FpgaParallel => (2, 2),
        _ => (2, 1),
    };
    if let Err(e) =
        expect_count("read", op, nr_read, nr).and(expect_count("write", op, nr_write, nw))
    {
        return e;
    }
    if read.is_null() || write.is_null() {
        return abi::VACCEL_EINVAL;
    }
    // SAFETY: the counts were checked above.
    unsafe {
        let (a, a_size) = untyped(read, 0);
        let (out0, _) = untyped(write, 0);
        match op {
            OpType::FpgaArraycopy => ops::fpga_arraycopy(
                sess,
                a.cast(),
                out0.cast(),
                a_size / std::mem::size_of::<c_int>(),
            ),
            OpType::FpgaMmult => ops::fpga_mmult(
                sess,
                a.cast(),
                untyped(read, 1).0.cast(),
                out0.cast(),
                a_size / 4,
            ),
            OpType::FpgaParallel => ops::fpga_parallel(
                sess,
                a.cast(),
                untyped(read, 1).0.cast(),
                out0.cast(),
                untyped(write, 1).0.cast(),
                a_size / 4,
            ),
            _ => {
                let (b, b_size) = untyped(read, 1);
                ops::fpga_vadd(
                    sess,
                    a.cast(),
                    b.cast(),
                    out0.cast(),
                    a_size / 4,
                    b_size / 4,
                )
            }
        }
    }
}

unsafe fn minmax_unpack(
    sess: *mut vaccel_session,
    read: *mut vaccel_arg,
    nr_read: c_int,
    write: *mut vaccel_arg,
    nr_write: c_int,
) -> c_int {
    if let Err(e) = expect_count("read", OpType::Minmax, nr_read, 4) {
        return e;
    }
    if nr_write != 3 {
        // Upstream's message names SGEMM here; ours names the op.
        error!("Wrong number of write arguments in minmax: {nr_write}");
        return abi::VACCEL_EINVAL;
    }
    if read.is_null() || write.is_null() {
        return abi::VACCEL_EINVAL;
    }
    // SAFETY: the counts were checked; scalars are read only when large enough.
    unsafe {
        let int_at = |i| {
            let (p, s) = untyped(read, i);
            (!p.is_null() && s >= std::mem::size_of::<c_int>()).then(|| *(p as *const c_int))
        };
        let (Some(ndata), Some(low), Some(high)) = (int_at(1), int_at(2), int_at(3)) else {
            return abi::VACCEL_EINVAL;
        };
        ops::minmax(
            sess,
            untyped(read, 0).0 as *const f64,
            ndata,
            low,
            high,
            untyped(write, 0).0.cast(),
            untyped(write, 1).0.cast(),
            untyped(write, 2).0.cast(),
        )
    }
}
