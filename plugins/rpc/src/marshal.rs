//! Building request messages from the C structs the core hands over, and writing the responses
//! back into C memory (spec §8.4).
//!
//! Request fields that carry application memory (argument buffers, blob data, tensor data) borrow
//! it ([`borrow_bytes`]) instead of copying: the only copy is the one into the frame buffer. The
//! requests therefore never outlive the op call that built them, and are dropped before any
//! result is written back into that memory.
//!
//! Everything handed to the application (output tensors, `dims`, `data`, status messages) is
//! allocated with libc, as the C API requires: the application frees it with libc.

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::os::unix::ffi::OsStrExt;
use std::ptr;

use vaccel_plugin::abi::{
    ArgType, OpType, VACCEL_BLOB_FILE, VACCEL_BLOB_MAPPED, VACCEL_EBACKEND, VACCEL_EINVAL,
    VACCEL_ENOMEM, vaccel_arg, vaccel_blob, vaccel_resource, vaccel_session, vaccel_tf_node,
    vaccel_tf_status, vaccel_tf_tensor, vaccel_tflite_tensor, vaccel_torch_tensor,
};
use vaccel_plugin::{cstr, slice, slice_mut};
use vaccel_rpc_proto::{Bytes, genop, resource, tf, tflite, torch};

use crate::client::borrow_bytes;

/// A C output buffer a genop write argument is copied back into.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub ptr: *mut u8,
    pub len: usize,
}

/// An argument over `len` bytes at `ptr` (borrowed).
///
/// # Safety
/// As for [`borrow_bytes`].
pub unsafe fn arg_raw(
    arg_type: u32,
    custom_type_id: u32,
    ptr: *const u8,
    len: usize,
) -> Result<genop::Arg, c_int> {
    // A NULL buffer travels as an empty one with its size (the agent then rejects it as a size
    // mismatch, as upstream); a size over 4 GiB cannot be represented at all.
    let size = u32::try_from(len).map_err(|_| VACCEL_EBACKEND)?;
    // SAFETY: the caller's contract.
    let buf = unsafe { borrow_bytes(ptr, len) };
    Ok(genop::Arg {
        buf,
        size,
        arg_type: arg_type as i32,
        custom_type_id,
        ..Default::default()
    })
}

/// A scalar argument holding `bytes` (copied).
pub fn scalar(arg_type: ArgType, bytes: &[u8]) -> genop::Arg {
    genop::Arg::new(arg_type, Bytes::copy_from_slice(bytes))
}

/// A NUL-terminated `STRING` argument (borrowed, NUL included); EINVAL for NULL.
///
/// # Safety
/// `s` is NULL or a C string that outlives the request.
pub unsafe fn string_arg(s: *const c_char) -> Result<genop::Arg, c_int> {
    // SAFETY: the caller's contract.
    let s = unsafe { cstr(s) }.ok_or(VACCEL_EINVAL)?;
    let bytes = s.to_bytes_with_nul();
    // SAFETY: `bytes` lives as long as the caller's string.
    unsafe { arg_raw(ArgType::String as u32, 0, bytes.as_ptr(), bytes.len()) }
}

/// A write argument over an output buffer, and the buffer to copy the result into.
///
/// # Safety
/// `ptr` is NULL or valid for reads and writes of `len` bytes for the whole call.
pub unsafe fn out_arg(
    arg_type: u32,
    custom_type_id: u32,
    ptr: *mut u8,
    len: usize,
) -> Result<(genop::Arg, Out), c_int> {
    // SAFETY: the caller's contract.
    let arg = unsafe { arg_raw(arg_type, custom_type_id, ptr, len) }?;
    Ok((arg, Out { ptr, len }))
}

/// The caller's `vaccel_arg`s as read arguments (buffers borrowed).
///
/// # Safety
/// `args` is NULL or points to `n` arguments whose buffers hold `size` bytes.
pub unsafe fn read_args(args: *const vaccel_arg, n: usize) -> Result<Vec<genop::Arg>, c_int> {
    // SAFETY: the caller's contract.
    let args = unsafe { slice(args, n) }.ok_or(VACCEL_EINVAL)?;
    args.iter()
        // SAFETY: each argument's buffer holds `size` bytes (caller's contract).
        .map(|a| unsafe { arg_raw(a.type_, a.custom_type_id, a.buf.cast(), a.size) })
        .collect()
}

/// The caller's `vaccel_arg`s as write arguments (sent with their current contents) and the
/// buffers their results go to.
///
/// # Safety
/// As for [`read_args`], and the buffers are writable.
pub unsafe fn write_args(
    args: *const vaccel_arg,
    n: usize,
) -> Result<(Vec<genop::Arg>, Vec<Out>), c_int> {
    // SAFETY: the caller's contract.
    let args = unsafe { slice(args, n) }.ok_or(VACCEL_EINVAL)?;
    args.iter()
        // SAFETY: each argument's buffer holds `size` writable bytes (caller's contract).
        .map(|a| unsafe { out_arg(a.type_, a.custom_type_id, a.buf.cast(), a.size) })
        .collect::<Result<Vec<_>, _>>()
        .map(|v| v.into_iter().unzip())
}

/// The op-type argument opening every genop's read list.
pub fn op_arg(op: OpType) -> genop::Arg {
    genop::Arg::op_type(op)
}

/// Copies the agent's write arguments back into the output buffers, pairing them by index.
/// Unlike upstream, sizes are checked first: a response with a different number of arguments or
/// an argument larger than its buffer is `VACCEL_EBACKEND` and nothing is written.
///
/// # Safety
/// Each `Out` is NULL or valid for writes of `len` bytes, and no request borrowing that memory is
/// alive.
pub unsafe fn copy_back(outs: &[Out], response: &genop::Response) -> Result<(), c_int> {
    if response.write_args.len() != outs.len() {
        return Err(VACCEL_EBACKEND);
    }
    for (r, o) in response.write_args.iter().zip(outs) {
        if r.buf.len() > o.len || (o.ptr.is_null() && !r.buf.is_empty()) {
            return Err(VACCEL_EBACKEND);
        }
    }
    for (r, o) in response.write_args.iter().zip(outs) {
        if !r.buf.is_empty() {
            // SAFETY: checked above: `o` holds at least `r.buf.len()` writable bytes; the response
            // is a separate allocation.
            unsafe { ptr::copy_nonoverlapping(r.buf.as_ptr(), o.ptr, r.buf.len()) };
        }
    }
    Ok(())
}

/// The remote (agent) id of a session: EINVAL for NULL, EBACKEND when it has none.
///
/// # Safety
/// `sess` is NULL or a session from the core.
pub unsafe fn session_id(sess: *const vaccel_session) -> Result<i64, c_int> {
    // SAFETY: the caller's contract.
    let sess = unsafe { sess.as_ref() }.ok_or(VACCEL_EINVAL)?;
    if sess.remote_id <= 0 {
        return Err(VACCEL_EBACKEND);
    }
    Ok(sess.remote_id)
}

/// The remote id of a resource: EINVAL for NULL, EBACKEND when it has none.
///
/// # Safety
/// `res` is NULL or a resource from the core.
pub unsafe fn resource_id(res: *const vaccel_resource) -> Result<i64, c_int> {
    // SAFETY: the caller's contract.
    let res = unsafe { res.as_ref() }.ok_or(VACCEL_EINVAL)?;
    if res.remote_id <= 0 {
        return Err(VACCEL_EBACKEND);
    }
    Ok(res.remote_id)
}

fn utf8(s: &CStr) -> Result<String, c_int> {
    s.to_str().map(str::to_owned).map_err(|_| VACCEL_EBACKEND)
}

/// The `RegisterRequest` for `res` with session `session_id` (§8.1): the existing agent resource
/// when `res` already has a remote id, else its blobs (MAPPED for file data, BUFFER for memory
/// blobs; data borrowed), else its paths (for URLs, which the agent downloads).
///
/// # Safety
/// `res` is a resource from the core whose blobs' data stays mapped during the call.
pub unsafe fn register_request(
    res: &vaccel_resource,
    session_id: i64,
) -> Result<resource::RegisterRequest, c_int> {
    let mut req = resource::RegisterRequest {
        session_id,
        ..Default::default()
    };
    if res.remote_id > 0 {
        req.resource_id = res.remote_id;
        return Ok(req);
    }
    req.resource_type = res.type_ as i32;
    // SAFETY: the core's blob array holds `nr_blobs` pointers.
    let blobs = unsafe { slice(res.blobs.cast_const(), res.nr_blobs) }.ok_or(VACCEL_EBACKEND)?;
    if blobs.is_empty() {
        // SAFETY: the core's path array holds `nr_paths` C strings.
        let paths =
            unsafe { slice(res.paths.cast_const(), res.nr_paths) }.ok_or(VACCEL_EBACKEND)?;
        for &p in paths {
            // SAFETY: each path is a C string owned by the resource.
            let p = unsafe { cstr(p) }.ok_or(VACCEL_EBACKEND)?;
            req.paths.push(utf8(p)?);
        }
        return Ok(req);
    }
    for &b in blobs {
        // SAFETY: each blob pointer of a live resource is valid.
        let b: &vaccel_blob = unsafe { b.as_ref() }.ok_or(VACCEL_EBACKEND)?;
        // SAFETY: the blob's name is NULL or a C string it owns.
        let name = match unsafe { cstr(b.name) } {
            Some(n) => utf8(n)?,
            None => String::new(),
        };
        let data = if b.data.is_null() && !b.path.is_null() {
            // Not read by the core (should not happen for remote sessions): read it here.
            // SAFETY: the blob's path is a C string it owns.
            let path = unsafe { cstr(b.path) }.ok_or(VACCEL_EBACKEND)?;
            let path = std::ffi::OsStr::from_bytes(path.to_bytes());
            Bytes::from(std::fs::read(path).map_err(|_| VACCEL_EBACKEND)?)
        } else {
            // SAFETY: the blob's data holds `size` bytes and stays mapped during the call.
            unsafe { borrow_bytes(b.data, b.size) }
        };
        let size = u32::try_from(data.len()).map_err(|_| VACCEL_EBACKEND)?;
        let type_ = if b.type_ == VACCEL_BLOB_FILE {
            VACCEL_BLOB_MAPPED
        } else {
            b.type_
        };
        req.blobs.push(resource::Blob {
            type_: type_ as i32,
            name,
            data,
            size,
        });
    }
    Ok(req)
}

/// Copies the `SyncResponse` blobs into the resource's blobs (count must match; a blob larger
/// than the local one is `VACCEL_EBACKEND` and nothing is written).
///
/// # Safety
/// `res` is a resource from the core; its blobs' data is writable for `size` bytes.
pub unsafe fn apply_sync(
    res: &vaccel_resource,
    response: &resource::SyncResponse,
) -> Result<(), c_int> {
    // SAFETY: the core's blob array holds `nr_blobs` pointers.
    let blobs = unsafe { slice(res.blobs.cast_const(), res.nr_blobs) }.ok_or(VACCEL_EBACKEND)?;
    if blobs.len() != response.blobs.len() {
        return Err(VACCEL_EBACKEND);
    }
    let mut outs = Vec::with_capacity(blobs.len());
    for &b in blobs {
        // SAFETY: each blob pointer of a live resource is valid.
        let b: &vaccel_blob = unsafe { b.as_ref() }.ok_or(VACCEL_EBACKEND)?;
        outs.push(Out {
            ptr: b.data,
            len: b.size,
        });
    }
    let as_genop = genop::Response {
        write_args: response
            .blobs
            .iter()
            .map(|b| genop::Arg {
                buf: b.data.clone(),
                ..Default::default()
            })
            .collect(),
    };
    // SAFETY: each blob's data holds `size` writable bytes.
    unsafe { copy_back(&outs, &as_genop) }
}

/// Fills a TF status: `code` (truncated to `uint8_t`, as the C field) and a `strdup`'d message
/// (cut at a NUL). NULL `status` is ignored.
///
/// # Safety
/// `status` is NULL or a writable status.
pub unsafe fn set_tf_status(
    status: *mut vaccel_tf_status,
    code: u32,
    message: &str,
) -> Result<(), c_int> {
    // SAFETY: the caller's contract.
    let Some(status) = (unsafe { status.as_mut() }) else {
        return Ok(());
    };
    let msg = message.split('\0').next().unwrap_or("");
    let msg = CString::new(msg).map_err(|_| VACCEL_EBACKEND)?;
    // SAFETY: a valid C string; the copy belongs to the caller, who releases the status.
    let copy = unsafe { libc::strdup(msg.as_ptr()) };
    if copy.is_null() {
        return Err(VACCEL_ENOMEM);
    }
    status.code = code as u8;
    status.message = copy;
    Ok(())
}

/// The fields shared by the three C tensor structs.
pub trait Tensor: Sized {
    /// Element type of `dims`.
    type Dim: Copy;
    fn data(&self) -> *mut c_void;
    fn size(&self) -> usize;
    fn nr_dims(&self) -> i64;
    fn dims(&self) -> *mut Self::Dim;
    fn data_type(&self) -> u32;
    fn with(data: *mut c_void, size: usize, nr_dims: i64, dims: *mut Self::Dim, dt: u32) -> Self;
}

macro_rules! impl_tensor {
    ($t:ty, $dim:ty, $nr:ty) => {
        impl Tensor for $t {
            type Dim = $dim;
            fn data(&self) -> *mut c_void {
                self.data
            }
            fn size(&self) -> usize {
                self.size
            }
            fn nr_dims(&self) -> i64 {
                i64::from(self.nr_dims)
            }
            fn dims(&self) -> *mut $dim {
                self.dims
            }
            fn data_type(&self) -> u32 {
                self.data_type
            }
            fn with(
                data: *mut c_void,
                size: usize,
                nr_dims: i64,
                dims: *mut $dim,
                dt: u32,
            ) -> Self {
                Self {
                    data,
                    size,
                    owned: true,
                    nr_dims: nr_dims as $nr,
                    dims,
                    data_type: dt,
                }
            }
        }
    };
}

impl_tensor!(vaccel_tf_tensor, i64, c_int);
impl_tensor!(vaccel_tflite_tensor, i32, c_int);
impl_tensor!(vaccel_torch_tensor, i64, i64);

/// `(data borrowed, dims copied, type)` of a C tensor; EINVAL for NULL.
///
/// # Safety
/// `t` is NULL or a valid tensor whose `data`/`dims` hold `size` bytes / `nr_dims` entries.
pub unsafe fn tensor_parts<T: Tensor>(t: *const T) -> Result<(Bytes, Vec<T::Dim>, i32), c_int> {
    // SAFETY: the caller's contract.
    let t = unsafe { t.as_ref() }.ok_or(VACCEL_EINVAL)?;
    let n = usize::try_from(t.nr_dims()).map_err(|_| VACCEL_EINVAL)?;
    // SAFETY: the caller's contract.
    let dims = unsafe { slice(t.dims().cast_const(), n) }.ok_or(VACCEL_EINVAL)?;
    // SAFETY: the caller's contract.
    let data = unsafe { borrow_bytes(t.data().cast(), t.size()) };
    Ok((data, dims.to_vec(), t.data_type() as i32))
}

/// The input tensor list of a run call.
///
/// # Safety
/// `p` is NULL or holds `n` tensor pointers valid as for [`tensor_parts`].
pub unsafe fn tensors<T: Tensor, W>(
    p: *const *mut T,
    n: c_int,
    make: impl Fn(Bytes, Vec<T::Dim>, i32) -> W,
) -> Result<Vec<W>, c_int> {
    let n = usize::try_from(n).map_err(|_| VACCEL_EINVAL)?;
    // SAFETY: the caller's contract.
    let list = unsafe { slice(p, n) }.ok_or(VACCEL_EINVAL)?;
    list.iter()
        .map(|&t| {
            // SAFETY: the caller's contract.
            let (d, dims, ty) = unsafe { tensor_parts(t) }?;
            Ok(make(d, dims, ty))
        })
        .collect()
}

/// A new libc-allocated tensor (struct `calloc`'d, `dims` and `data` `malloc`'d at their exact
/// sizes, `owned = true`), as `vaccel_*_tensor_allocate` makes them. `None` on allocation failure
/// (nothing leaked).
pub fn alloc_tensor<T: Tensor>(data: &[u8], dims: &[T::Dim], data_type: u32) -> Option<*mut T> {
    let dims_bytes = std::mem::size_of_val(dims);
    // SAFETY: plain libc allocations, freed below on failure, otherwise owned by the caller (the
    // application releases the tensor with the matching `*_tensor_delete`).
    unsafe {
        let t = libc::calloc(1, std::mem::size_of::<T>()).cast::<T>();
        let d = if dims_bytes > 0 {
            libc::malloc(dims_bytes).cast::<T::Dim>()
        } else {
            ptr::null_mut()
        };
        let buf = if data.is_empty() {
            ptr::null_mut()
        } else {
            libc::malloc(data.len())
        };
        if t.is_null() || (dims_bytes > 0 && d.is_null()) || (!data.is_empty() && buf.is_null()) {
            libc::free(t.cast());
            libc::free(d.cast());
            libc::free(buf);
            return None;
        }
        if dims_bytes > 0 {
            ptr::copy_nonoverlapping(dims.as_ptr(), d, dims.len());
        }
        if !data.is_empty() {
            ptr::copy_nonoverlapping(data.as_ptr(), buf.cast::<u8>(), data.len());
        }
        t.write(T::with(buf, data.len(), dims.len() as i64, d, data_type));
        Some(t)
    }
}

/// Frees a tensor made by [`alloc_tensor`].
///
/// # Safety
/// `t` came from [`alloc_tensor`] and is not used afterwards.
pub unsafe fn free_tensor<T: Tensor>(t: *mut T) {
    // SAFETY: the three allocations come from libc in `alloc_tensor`.
    unsafe {
        libc::free((*t).dims().cast());
        libc::free((*t).data());
        libc::free(t.cast());
    }
}

/// An output tensor of a response: `(data, dims, data type)`.
pub type OutTensor<'a, D> = (&'a [u8], &'a [D], u32);

/// Stores the agent's output tensors into `out[0..n]`: one new tensor per returned tensor, NULL
/// for outputs the agent did not return. On allocation failure everything made is freed, the
/// outputs are NULL and the result is ENOMEM.
///
/// # Safety
/// `out` is NULL (only with `n == 0`) or holds `n` writable pointers.
pub unsafe fn store_outputs<T: Tensor>(
    out: *mut *mut T,
    n: c_int,
    results: &[OutTensor<'_, T::Dim>],
) -> Result<(), c_int> {
    let n = usize::try_from(n).map_err(|_| VACCEL_EINVAL)?;
    // SAFETY: the caller's contract.
    let out = unsafe { slice_mut(out, n) }.ok_or(VACCEL_EINVAL)?;
    for i in 0..out.len() {
        let made = match results.get(i) {
            Some((data, dims, ty)) => alloc_tensor::<T>(data, dims, *ty),
            None => Some(ptr::null_mut()),
        };
        let Some(t) = made else {
            for o in &mut out[..i] {
                if !o.is_null() {
                    // SAFETY: made just above and not yet handed out.
                    unsafe { free_tensor(*o) };
                }
                *o = ptr::null_mut();
            }
            return Err(VACCEL_ENOMEM);
        };
        out[i] = t;
    }
    Ok(())
}

/// The TF nodes of a run call as `tf::Node`s (names must be UTF-8, else EBACKEND).
///
/// # Safety
/// `p` is NULL (with `n == 0`) or holds `n` nodes whose names are NULL or C strings.
pub unsafe fn tf_nodes(p: *const vaccel_tf_node, n: c_int) -> Result<Vec<tf::Node>, c_int> {
    let n = usize::try_from(n).map_err(|_| VACCEL_EINVAL)?;
    // SAFETY: the caller's contract.
    let nodes = unsafe { slice(p, n) }.ok_or(VACCEL_EINVAL)?;
    nodes
        .iter()
        .map(|node| {
            // SAFETY: the caller's contract.
            let name = match unsafe { cstr(node.name) } {
                Some(s) => utf8(s)?,
                None => String::new(),
            };
            Ok(tf::Node { name, id: node.id })
        })
        .collect()
}

/// Makes a `tf::Tensor`.
pub fn tf_tensor(data: Bytes, dims: Vec<i64>, r#type: i32) -> tf::Tensor {
    tf::Tensor { data, dims, r#type }
}

/// Makes a `tflite::Tensor`.
pub fn tflite_tensor(data: Bytes, dims: Vec<i32>, r#type: i32) -> tflite::Tensor {
    tflite::Tensor { data, dims, r#type }
}

/// Makes a `torch::Tensor`.
pub fn torch_tensor(data: Bytes, dims: Vec<i64>, r#type: i32) -> torch::Tensor {
    torch::Tensor { data, dims, r#type }
}
