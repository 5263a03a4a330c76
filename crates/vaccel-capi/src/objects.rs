//! `vaccel/session.h`, `vaccel/resource.h`, `vaccel/blob.h`, `vaccel/plugin.h`: the C entry points
//! of sessions, resources, blobs and plugin loading.

use std::ffi::{c_char, c_int, c_long, c_void};
use std::path::Path;

use vaccel_abi::{self as abi, vaccel_blob, vaccel_op, vaccel_resource, vaccel_session};
use vaccel_core::error::code_of;
use vaccel_core::{Error, Result, blob, cmem, plugin, resource, session};

use crate::ffi::{c_str, guard, guard_or};

/// Runs `f` on a non-NULL struct, else EINVAL.
fn with_mut<T>(p: *mut T, f: impl FnOnce(&mut T) -> Result<()>) -> c_int {
    guard(|| {
        // SAFETY: C callers pass NULL or a pointer to a live struct of the right type.
        match unsafe { p.as_mut() } {
            Some(r) => code_of(&f(r)),
            None => abi::VACCEL_EINVAL,
        }
    })
}

/// Writes an out-pointer, EINVAL when it is NULL.
fn put<T>(out: *mut T, v: T) -> Result<()> {
    if out.is_null() {
        return Err(Error::EINVAL);
    }
    // SAFETY: non-NULL out-pointers from C callers are writable.
    unsafe { out.write(v) };
    Ok(())
}

/// A malloc'd array copy of pointers (callers `free` it).
fn malloc_array<T>(items: &[*mut T]) -> Result<*mut *mut T> {
    // SAFETY: malloc has no preconditions; checked below.
    let p = unsafe { libc::malloc(std::mem::size_of_val(items).max(1)) }.cast::<*mut T>();
    if p.is_null() {
        return Err(Error::ENOMEM);
    }
    // SAFETY: `p` has room for `items.len()` pointers.
    unsafe { std::ptr::copy_nonoverlapping(items.as_ptr(), p, items.len()) };
    Ok(p)
}

/// A C string argument as `&str` (EINVAL for NULL).
///
/// # Safety
/// `s` must be NULL or NUL-terminated.
unsafe fn arg_str(s: *const c_char) -> Result<String> {
    // SAFETY: guaranteed by the caller.
    unsafe { c_str(s) }
        .map(|c| c.to_string_lossy().into_owned())
        .ok_or(Error::EINVAL)
}

// ---- sessions (§9) ----

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_session_init(sess: *mut vaccel_session, flags: u32) -> c_int {
    with_mut(sess, |s| session::init(s, flags))
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_session_release(sess: *mut vaccel_session) -> c_int {
    with_mut(sess, session::release)
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_session_update(sess: *mut vaccel_session, flags: u32) -> c_int {
    with_mut(sess, |s| session::update(s, flags))
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_sess_init(sess: *mut vaccel_session, flags: u32) -> c_int {
    vaccel_session_init(sess, flags)
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_sess_update(sess: *mut vaccel_session, flags: u32) -> c_int {
    vaccel_session_update(sess, flags)
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_sess_free(sess: *mut vaccel_session) -> c_int {
    vaccel_session_release(sess)
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_session_new(out: *mut *mut vaccel_session, flags: u32) -> c_int {
    guard(|| {
        if out.is_null() {
            return abi::VACCEL_EINVAL;
        }
        // SAFETY: calloc has no preconditions; checked below.
        let s = unsafe { libc::calloc(1, std::mem::size_of::<vaccel_session>()) }
            .cast::<vaccel_session>();
        if s.is_null() {
            return abi::VACCEL_ENOMEM;
        }
        let ret = vaccel_session_init(s, flags);
        if ret != abi::VACCEL_OK {
            // SAFETY: allocated above and not registered.
            unsafe { cmem::free(s) };
            return ret;
        }
        code_of(&put(out, s))
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_session_delete(sess: *mut vaccel_session) -> c_int {
    guard(|| {
        let ret = vaccel_session_release(sess);
        if ret == abi::VACCEL_OK {
            // SAFETY: sessions passed to delete come from vaccel_session_new (calloc).
            unsafe { cmem::free(sess) };
        }
        ret
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_session_get_by_id(out: *mut *mut vaccel_session, id: i64) -> c_int {
    guard(|| {
        if out.is_null() {
            return abi::VACCEL_EINVAL;
        }
        code_of(&session::get_by_id(id).and_then(|s| put(out, s)))
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_session_has_resource(
    sess: *mut vaccel_session,
    res: *mut vaccel_resource,
) -> bool {
    guard_or(false, || {
        // SAFETY: NULL or live structs per the C API.
        match unsafe { (sess.as_ref(), res.as_ref()) } {
            (Some(s), Some(r)) => session::has_resource(s, r),
            _ => false,
        }
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_sess_has_resource(
    sess: *mut vaccel_session,
    res: *mut vaccel_resource,
) -> bool {
    vaccel_session_has_resource(sess, res)
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_session_resource_by_id(
    sess: *mut vaccel_session,
    out: *mut *mut vaccel_resource,
    id: i64,
) -> c_int {
    with_mut(sess, |s| {
        if out.is_null() {
            return Err(Error::EINVAL);
        }
        put(out, session::resource_by_id(s, id)?)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_session_resource_by_type(
    sess: *mut vaccel_session,
    out: *mut *mut vaccel_resource,
    type_: u32,
) -> c_int {
    with_mut(sess, |s| {
        if out.is_null() {
            return Err(Error::EINVAL);
        }
        put(out, session::resources_by_type(s, type_)?[0])
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_session_resources_by_type(
    sess: *mut vaccel_session,
    out: *mut *mut *mut vaccel_resource,
    nr_found: *mut usize,
    type_: u32,
) -> c_int {
    with_mut(sess, |s| {
        if out.is_null() || nr_found.is_null() {
            return Err(Error::EINVAL);
        }
        match session::resources_by_type(s, type_) {
            Ok(v) => {
                put(out, malloc_array(&v)?)?;
                put(nr_found, v.len())
            }
            Err(e) => {
                put(nr_found, 0)?;
                Err(e)
            }
        }
    })
}

// ---- resources (§10) ----

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_resource_init(
    res: *mut vaccel_resource,
    path: *const c_char,
    type_: u32,
) -> c_int {
    let paths = [path];
    // SAFETY: one valid path pointer (or NULL, rejected inside).
    unsafe { vaccel_resource_init_multi(res, paths.as_ptr(), 1, type_) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_resource_init_multi(
    res: *mut vaccel_resource,
    paths: *const *const c_char,
    nr_paths: usize,
    type_: u32,
) -> c_int {
    with_mut(res, |r| {
        if paths.is_null() || nr_paths == 0 {
            return Err(if vaccel_core::runtime::is_initialized() {
                Error::EINVAL
            } else {
                Error::EPERM
            });
        }
        // SAFETY: `paths` holds `nr_paths` pointers (caller).
        let ptrs = unsafe { std::slice::from_raw_parts(paths, nr_paths) };
        // SAFETY: each is NULL or a C string.
        let v: Result<Vec<String>> = ptrs.iter().map(|p| unsafe { arg_str(*p) }).collect();
        resource::init_multi(r, &v?, type_)
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_resource_init_from_buf(
    res: *mut vaccel_resource,
    buf: *const c_void,
    nr_bytes: usize,
    type_: u32,
    filename: *const c_char,
    mem_only: bool,
) -> c_int {
    with_mut(res, |r| {
        // SAFETY: NULL or a C string.
        let name = unsafe { cmem::to_string(filename) };
        // SAFETY: `buf` is readable for `nr_bytes` (caller contract).
        unsafe {
            resource::init_from_buf(r, buf.cast(), nr_bytes, type_, name.as_deref(), mem_only)
        }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_resource_init_from_blobs(
    res: *mut vaccel_resource,
    blobs: *const *const vaccel_blob,
    nr_blobs: usize,
    type_: u32,
) -> c_int {
    with_mut(res, |r| {
        if blobs.is_null() || nr_blobs == 0 {
            return Err(Error::EINVAL);
        }
        // SAFETY: `blobs` holds `nr_blobs` pointers (caller).
        let v = unsafe { std::slice::from_raw_parts(blobs, nr_blobs) };
        // SAFETY: each is NULL or a valid blob.
        unsafe { resource::init_from_blobs(r, v, type_) }
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_resource_release(res: *mut vaccel_resource) -> c_int {
    guard(|| {
        if !vaccel_core::runtime::is_initialized() && res.is_null() {
            return abi::VACCEL_EPERM;
        }
        with_mut(res, resource::release)
    })
}

/// Mallocs a resource struct and initialises it with `init`.
fn new_resource(
    out: *mut *mut vaccel_resource,
    init: impl FnOnce(*mut vaccel_resource) -> c_int,
) -> c_int {
    guard(|| {
        if out.is_null() {
            return abi::VACCEL_EINVAL;
        }
        // SAFETY: calloc has no preconditions; checked below.
        let r = unsafe { libc::calloc(1, std::mem::size_of::<vaccel_resource>()) }
            .cast::<vaccel_resource>();
        if r.is_null() {
            return abi::VACCEL_ENOMEM;
        }
        let ret = init(r);
        if ret != abi::VACCEL_OK {
            // SAFETY: allocated above; init failed so nothing references it.
            unsafe { cmem::free(r) };
            return ret;
        }
        code_of(&put(out, r))
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_resource_new(
    out: *mut *mut vaccel_resource,
    path: *const c_char,
    type_: u32,
) -> c_int {
    // SAFETY: forwarded contract.
    new_resource(out, |r| unsafe { vaccel_resource_init(r, path, type_) })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_resource_multi_new(
    out: *mut *mut vaccel_resource,
    paths: *const *const c_char,
    nr_paths: usize,
    type_: u32,
) -> c_int {
    // SAFETY: forwarded contract.
    new_resource(out, |r| unsafe {
        vaccel_resource_init_multi(r, paths, nr_paths, type_)
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_resource_from_buf(
    out: *mut *mut vaccel_resource,
    buf: *const c_void,
    nr_bytes: usize,
    type_: u32,
    filename: *const c_char,
    mem_only: bool,
) -> c_int {
    // SAFETY: forwarded contract.
    new_resource(out, |r| unsafe {
        vaccel_resource_init_from_buf(r, buf, nr_bytes, type_, filename, mem_only)
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_resource_from_blobs(
    out: *mut *mut vaccel_resource,
    blobs: *const *const vaccel_blob,
    nr_blobs: usize,
    type_: u32,
) -> c_int {
    // SAFETY: forwarded contract.
    new_resource(out, |r| unsafe {
        vaccel_resource_init_from_blobs(r, blobs, nr_blobs, type_)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_resource_delete(res: *mut vaccel_resource) -> c_int {
    guard(|| {
        let ret = vaccel_resource_release(res);
        if ret == abi::VACCEL_OK {
            // SAFETY: resources passed to delete come from the *_new functions (calloc).
            unsafe { cmem::free(res) };
        }
        ret
    })
}

/// Runs `f` on a resource and a session, both non-NULL.
fn with_pair(
    res: *mut vaccel_resource,
    sess: *mut vaccel_session,
    f: impl FnOnce(&mut vaccel_resource, &mut vaccel_session) -> Result<()>,
) -> c_int {
    with_mut(res, |r| {
        // SAFETY: NULL or a live session (C API contract).
        let s = unsafe { sess.as_mut() }.ok_or(Error::EINVAL)?;
        f(r, s)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_resource_register(
    res: *mut vaccel_resource,
    sess: *mut vaccel_session,
) -> c_int {
    with_pair(res, sess, resource::register)
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_resource_unregister(
    res: *mut vaccel_resource,
    sess: *mut vaccel_session,
) -> c_int {
    with_pair(res, sess, resource::unregister)
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_resource_sync(
    res: *mut vaccel_resource,
    sess: *mut vaccel_session,
) -> c_int {
    with_pair(res, sess, resource::sync)
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_resource_directory(
    res: *mut vaccel_resource,
    out_path: *mut c_char,
    out_path_size: usize,
    alloc_path: *mut *mut c_char,
) -> c_int {
    with_mut(res, |r| {
        let dir = resource::directory(r)?;
        if !alloc_path.is_null() {
            let p = cmem::strdup(&dir);
            if p.is_null() {
                return Err(Error::ENOMEM);
            }
            return put(alloc_path, p);
        }
        if out_path.is_null() || out_path_size == 0 {
            return Err(Error::EINVAL);
        }
        let n = dir.len().min(out_path_size - 1);
        // SAFETY: `out_path` has `out_path_size` writable bytes (caller); n < size.
        unsafe {
            std::ptr::copy_nonoverlapping(dir.as_ptr().cast::<c_char>(), out_path, n);
            *out_path.add(n) = 0;
        }
        Ok(())
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_resource_get_by_id(out: *mut *mut vaccel_resource, id: i64) -> c_int {
    guard(|| code_of(&resource::get_by_id(id).and_then(|r| put(out, r))))
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_resource_get_by_type(out: *mut *mut vaccel_resource, type_: u32) -> c_int {
    guard(|| code_of(&resource::get_all_by_type(type_).and_then(|v| put(out, v[0]))))
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_resource_get_all_by_type(
    out: *mut *mut *mut vaccel_resource,
    nr_found: *mut usize,
    type_: u32,
) -> c_int {
    guard(|| {
        if out.is_null() || nr_found.is_null() {
            return abi::VACCEL_EINVAL;
        }
        code_of(&match resource::get_all_by_type(type_) {
            Ok(v) => malloc_array(&v)
                .and_then(|a| put(out, a))
                .and_then(|()| put(nr_found, v.len())),
            Err(e) => put(nr_found, 0).and(Err(e)),
        })
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_resource_refcount(res: *const vaccel_resource) -> c_long {
    guard_or(-(abi::VACCEL_EINVAL as c_long), || {
        // SAFETY: NULL or a live resource.
        match unsafe { res.as_ref() } {
            Some(r) => r.refcount.load(std::sync::atomic::Ordering::SeqCst) as c_long,
            None => -(abi::VACCEL_EINVAL as c_long),
        }
    })
}

// ---- blobs (§11) ----

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_blob_init(b: *mut vaccel_blob, path: *const c_char) -> c_int {
    // SAFETY: NULL or a C string.
    with_mut(b, |b| blob::init(b, &unsafe { arg_str(path) }?))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_blob_init_from_buf(
    b: *mut vaccel_blob,
    buf: *const u8,
    size: usize,
    own: bool,
    filename: *const c_char,
    dir: *const c_char,
    randomize: bool,
) -> c_int {
    with_mut(b, |b| {
        // SAFETY: NULL or C strings.
        let (name, dir) = unsafe { (arg_str(filename)?, cmem::to_string(dir)) };
        // SAFETY: `buf` is readable for `size` bytes (caller).
        unsafe {
            blob::init_from_buf(
                b,
                buf,
                size,
                own,
                &name,
                dir.as_deref().map(Path::new),
                randomize,
            )
        }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_blob_persist(
    b: *mut vaccel_blob,
    dir: *const c_char,
    filename: *const c_char,
    randomize: bool,
) -> c_int {
    with_mut(b, |b| {
        // SAFETY: NULL or C strings.
        let (dir, name) = unsafe { (arg_str(dir)?, arg_str(filename)?) };
        blob::persist(b, Path::new(&dir), &name, randomize)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_blob_release(b: *mut vaccel_blob) -> c_int {
    with_mut(b, blob::release)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_blob_new(out: *mut *mut vaccel_blob, path: *const c_char) -> c_int {
    guard(|| {
        if out.is_null() {
            return abi::VACCEL_EINVAL;
        }
        code_of(&blob::alloc().and_then(|b| {
            // SAFETY: `b` is a fresh blob; `path` NULL or a C string.
            let r = unsafe { vaccel_blob_init(b, path) };
            if r != abi::VACCEL_OK {
                // SAFETY: from blob::alloc.
                unsafe { blob::delete(b) };
                return Err(Error::from_code(r).unwrap_or(Error::EINVAL));
            }
            put(out, b)
        }))
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_blob_from_buf(
    out: *mut *mut vaccel_blob,
    buf: *const u8,
    size: usize,
    own: bool,
    filename: *const c_char,
    dir: *const c_char,
    randomize: bool,
) -> c_int {
    guard(|| {
        if out.is_null() {
            return abi::VACCEL_EINVAL;
        }
        code_of(&blob::alloc().and_then(|b| {
            // SAFETY: `b` is fresh; the rest is the caller's contract.
            let r =
                unsafe { vaccel_blob_init_from_buf(b, buf, size, own, filename, dir, randomize) };
            if r != abi::VACCEL_OK {
                // SAFETY: from blob::alloc.
                unsafe { blob::delete(b) };
                return Err(Error::from_code(r).unwrap_or(Error::EINVAL));
            }
            put(out, b)
        }))
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_blob_delete(b: *mut vaccel_blob) -> c_int {
    guard(|| {
        let ret = vaccel_blob_release(b);
        if ret == abi::VACCEL_OK {
            // SAFETY: blobs passed to delete come from vaccel_blob_new/_from_buf (malloc).
            unsafe { cmem::free(b) };
        }
        ret
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_blob_read(b: *mut vaccel_blob) -> c_int {
    with_mut(b, blob::read)
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_blob_data(b: *mut vaccel_blob, size: *mut usize) -> *mut u8 {
    guard_or(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live blob.
        let Some(b) = (unsafe { b.as_mut() }) else {
            return std::ptr::null_mut();
        };
        if blob::read(b).is_err() {
            return std::ptr::null_mut();
        }
        if !size.is_null() {
            // SAFETY: non-NULL out-pointer.
            unsafe { *size = b.size };
        }
        b.data
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_blob_path(b: *mut vaccel_blob) -> *const c_char {
    guard_or(std::ptr::null(), || {
        // SAFETY: NULL or a live blob.
        match unsafe { b.as_ref() } {
            Some(b) if b.type_ != abi::VACCEL_BLOB_BUFFER => b.path,
            _ => std::ptr::null(),
        }
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_blob_valid(b: *const vaccel_blob) -> bool {
    // SAFETY: NULL or a live blob.
    guard_or(false, || unsafe { b.as_ref() }.is_some_and(blob::valid))
}

// ---- plugins (§14) ----

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_plugin_register_ops(ops: *mut vaccel_op, nr_ops: usize) -> c_int {
    // SAFETY: the plugin's static op table (caller contract).
    guard(|| code_of(&unsafe { plugin::register_ops(ops, nr_ops) }))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_plugin_load(lib: *const c_char) -> c_int {
    // SAFETY: NULL or a C string.
    guard(|| code_of(&unsafe { arg_str(lib) }.and_then(|l| plugin::load(&l))))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_plugin_parse_and_load(lib_str: *const c_char) -> c_int {
    // SAFETY: NULL or a C string.
    guard(|| code_of(&unsafe { arg_str(lib_str) }.and_then(|l| plugin::parse_and_load(&l))))
}
