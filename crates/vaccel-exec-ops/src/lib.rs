//! The exec ops of vAccel (spec §18.2), one implementation shared by the exec plugin
//! (`libvaccel-exec.so`) and the cpu plugin (`libvaccel-cpu.so`): running functions from shared
//! libraries on the host CPU.
//!
//! - [`exec`] (`VACCEL_OP_EXEC`) `dlopen`s `library` (mode from `VACCEL_EXEC_DLOPEN_MODE`,
//!   default `RTLD_NOW`), looks up `fn_symbol` and calls it as
//!   `int fn(struct vaccel_arg *read, size_t nr_read, struct vaccel_arg *write, size_t nr_write)`;
//!   a non-zero result is `VACCEL_EBACKEND`. The library stays loaded unless
//!   `VACCEL_EXEC_DLCLOSE_ENABLED` is true.
//! - [`exec_with_resource`] (`VACCEL_OP_EXEC_WITH_RESOURCE`) does the same with the blobs of a
//!   LIB resource: all but the last are loaded first as `RTLD_GLOBAL` dependencies, the last is
//!   the library called. The handles are cached in `res->plugin_priv` for later calls and closed
//!   by the [`resource_unregister`] hook (unless `VACCEL_EXEC_DLCLOSE_ENABLED` is false).
//! - [`noop`] (`VACCEL_OP_NOOP`) only logs.
//! - [`fini`] frees the handle arrays still cached when the plugin is unloaded.
//!
//! A plugin registers these functions in its op table and calls [`resource_unregister`] and
//! [`fini`] from its own hooks. Every line is logged with the `[exec] ` prefix, whichever plugin
//! runs the op. Unlike upstream, NULL arguments give `VACCEL_EINVAL` instead of a crash, the
//! `dlopen` handle of `exec` is also subject to the dlclose setting when the call fails, and
//! handle arrays still cached at `fini` are freed.

mod dl;
mod env;

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr;
use std::sync::{Mutex, MutexGuard};

use vaccel_plugin::abi::{
    VACCEL_EBACKEND, VACCEL_EINVAL, VACCEL_ENOMEM, VACCEL_ENOSYS, VACCEL_OK, VACCEL_RESOURCE_LIB,
    arg_type_lower_name, vaccel_arg, vaccel_blob, vaccel_resource, vaccel_session,
};
use vaccel_plugin::fmt::Str;
use vaccel_plugin::sig::ExecUserFn;
use vaccel_plugin::{cstr, debug, error, guard, slice, warn};

/// Handle arrays this plugin has stored in a resource's `plugin_priv`: `(array, length)`.
/// Only pointers listed here are ever read as, or freed as, handle arrays.
static CACHES: Mutex<Vec<(usize, usize)>> = Mutex::new(Vec::new());

fn caches() -> MutexGuard<'static, Vec<(usize, usize)>> {
    CACHES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Frees the handle arrays still cached (their libraries stay loaded) and the registry itself;
/// for the plugin's `fini`. Always `VACCEL_OK`.
pub fn fini() -> c_int {
    let left = std::mem::take(&mut *caches());
    for (array, _) in left {
        // SAFETY: every registered array was allocated with `calloc` in `resource_handles`.
        unsafe { libc::free(array as *mut c_void) };
    }
    VACCEL_OK
}

/// Runs an op body that reports failures as `Err(code)`.
fn op(what: &str, body: impl FnOnce() -> Result<c_int, c_int>) -> c_int {
    guard(what, || body().unwrap_or_else(|code| code))
}

fn invalid() -> c_int {
    error!("[exec] Invalid input arguments");
    VACCEL_EINVAL
}

/// The arguments of an exec call as slices; `None` if a non-empty list is NULL.
struct Args<'a> {
    read_ptr: *mut vaccel_arg,
    write_ptr: *mut vaccel_arg,
    read: &'a [vaccel_arg],
    write: &'a [vaccel_arg],
}

impl Args<'_> {
    /// # Safety
    /// Each pointer is NULL or points to the given number of arguments.
    unsafe fn new(
        read: *mut vaccel_arg,
        nr_read: usize,
        write: *mut vaccel_arg,
        nr_write: usize,
    ) -> Option<Self> {
        // SAFETY: the caller's contract.
        let (r, w) = unsafe { (slice(read, nr_read)?, slice(write, nr_write)?) };
        Some(Args {
            read_ptr: read,
            write_ptr: write,
            read: r,
            write: w,
        })
    }
}

/// Looks up `symbol` in `handle`, logs the arguments and calls the function.
fn call(handle: *mut c_void, symbol: &CStr, args: &Args<'_>) -> c_int {
    debug!("[exec] Symbol: {}", Str(Some(symbol)));
    let f = match dl::sym(handle, symbol) {
        Ok(f) => f,
        Err(e) => {
            error!("[exec] dlsym failed: {e}");
            return VACCEL_ENOSYS;
        }
    };
    for (i, a) in args.read.iter().enumerate() {
        debug!("[exec] read[{i}].size: {}", a.size);
        debug!("[exec] read[{i}].type: {}", arg_type_lower_name(a.type_));
    }
    for (i, a) in args.write.iter().enumerate() {
        debug!("[exec] write[{i}].size: {}", a.size);
        debug!("[exec] write[{i}].type: {}", arg_type_lower_name(a.type_));
    }
    // SAFETY: the exec contract: the symbol is a function with the `ExecUserFn` signature; it is
    // handed the caller's argument arrays unchanged.
    let ret = unsafe {
        let f = std::mem::transmute::<*mut c_void, ExecUserFn>(f);
        f(
            args.read_ptr,
            args.read.len(),
            args.write_ptr,
            args.write.len(),
        )
    };
    if ret != 0 { VACCEL_EBACKEND } else { VACCEL_OK }
}

/// `VACCEL_OP_NOOP` ([`sig::Noop`](vaccel_plugin::sig::Noop)): logs the call.
///
/// # Safety
/// `sess` is NULL or a session pointer from the core.
pub unsafe extern "C" fn noop(sess: *mut vaccel_session) -> c_int {
    op("noop", || {
        // SAFETY: the core passes a valid session or NULL.
        let sess = unsafe { sess.as_ref() }.ok_or_else(invalid)?;
        debug!("[exec] session:{} Calling no-op", sess.id);
        debug!("[exec] [noop]");
        Ok(VACCEL_OK)
    })
}

/// `VACCEL_OP_EXEC` ([`sig::Exec`](vaccel_plugin::sig::Exec)): calls `fn_symbol` of
/// `library`.
///
/// # Safety
/// Each pointer is NULL or valid: C strings for `library` and `fn_symbol`, `nr_read`/`nr_write`
/// arguments for `read`/`write`.
pub unsafe extern "C" fn exec(
    sess: *mut vaccel_session,
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
                Args::new(read, nr_read, write, nr_write),
            )
        };
        let (Some(sess), Some(library), Some(symbol), Some(args)) = (sess, library, symbol, args)
        else {
            return Err(invalid());
        };
        debug!("[exec] session:{} Calling exec", sess.id);
        debug!("[exec] Library: {}", Str(Some(library)));
        let handle = dl::open(library, env::dlopen_mode()).map_err(|e| {
            error!("[exec] dlopen failed: {e}");
            VACCEL_EINVAL
        })?;
        let rc = call(handle, symbol, &args);
        if env::dlclose_enabled(false)
            && let Err(e) = dl::close(handle)
        {
            error!("[exec] dlclose failed: {e}");
            if rc == VACCEL_OK {
                return Err(VACCEL_EINVAL);
            }
        }
        Ok(rc)
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

/// The blob pointers of a live resource (empty if it has none).
///
/// # Safety
/// `res` is a live resource.
unsafe fn blobs(res: &vaccel_resource) -> &[*mut vaccel_blob] {
    // SAFETY: `blobs` holds `nr_blobs` entries in a live resource.
    unsafe { slice(res.blobs.cast_const(), res.nr_blobs) }.unwrap_or(&[])
}

/// `dlopen` with, if `fallback`, a second try in the other binding mode after two warnings.
fn open_with_fallback(path: &CStr, mode: c_int, fallback: bool) -> Result<*mut c_void, String> {
    match dl::open(path, mode) {
        Err(e) if fallback => {
            warn!(
                "[exec] dlopen with {} failed for {}: {e}",
                dl::binding_name(mode),
                Str(Some(path))
            );
            let other = dl::other_binding(mode);
            warn!("[exec] Trying {} fallback", dl::binding_name(other));
            dl::open(path, other)
        }
        result => result,
    }
}

/// Closes handles in reverse order, ignoring errors (cleanup after a failed load).
fn close_all(handles: &[*mut c_void]) {
    for &h in handles.iter().rev() {
        let _ = dl::close(h);
    }
}

/// Loads the libraries of a resource: every blob but the last as a global dependency, then the
/// last one. `None` (after logging why) if any fails; nothing stays loaded then.
///
/// # Safety
/// `blobs` are the blob pointers of a live resource.
unsafe fn load_libs(blobs: &[*mut vaccel_blob]) -> Option<Vec<*mut c_void>> {
    let mode = env::dlopen_mode();
    let n = blobs.len();
    let fallback = n > 1;
    let mut handles = Vec::with_capacity(n);
    for i in 0..n {
        // SAFETY: the caller's contract.
        let Some(path) = (unsafe { blob_path(blobs, i) }) else {
            error!("[exec] Could not get path of library {i}");
            close_all(&handles);
            return None;
        };
        let opened = if i + 1 < n {
            open_with_fallback(path, mode | libc::RTLD_GLOBAL, fallback)
                .inspect_err(|e| error!("[exec] dlopen failed for {}: {e}", Str(Some(path))))
        } else {
            debug!("[exec] Library: {}", Str(Some(path)));
            open_with_fallback(path, mode, fallback)
                .inspect_err(|e| error!("[exec] dlopen failed: {e}"))
        };
        match opened {
            Ok(h) => handles.push(h),
            Err(_) => {
                close_all(&handles);
                return None;
            }
        }
    }
    Some(handles)
}

/// The cached handle array of `res` and its length, if `plugin_priv` holds one of ours.
///
/// # Safety
/// `res` is a live resource.
unsafe fn cached(
    list: &[(usize, usize)],
    res: *mut vaccel_resource,
) -> Option<(*mut *mut c_void, usize)> {
    // SAFETY: reading a field of a live resource.
    let p = unsafe { (*res).plugin_priv } as usize;
    list.iter()
        .find(|(a, _)| p != 0 && *a == p)
        .map(|&(a, n)| (a as *mut *mut c_void, n))
}

/// The handle array of `res`: the cached one, or newly loaded and cached in `plugin_priv`.
///
/// # Safety
/// `res` is a live resource whose blobs are `blobs`.
unsafe fn resource_handles(
    res: *mut vaccel_resource,
    blobs: &[*mut vaccel_blob],
) -> Result<(*mut *mut c_void, usize), c_int> {
    // SAFETY: `res` is live.
    if let Some(found) = unsafe { cached(&caches(), res) } {
        return Ok(found);
    }
    // Load without holding the lock: library constructors may call back into vAccel.
    // SAFETY: the caller's contract.
    let Some(handles) = (unsafe { load_libs(blobs) }) else {
        error!("[exec] Failed to load resource libraries");
        return Err(VACCEL_EINVAL);
    };
    let n = handles.len();
    let array =
        // SAFETY: a plain libc allocation of `n` pointers, registered in CACHES and freed by the
        // unregister hook or `fini`.
        unsafe { libc::calloc(n, std::mem::size_of::<*mut c_void>()) }.cast::<*mut c_void>();
    if array.is_null() {
        close_all(&handles);
        return Err(VACCEL_ENOMEM);
    }
    // SAFETY: `array` has room for `n` handles.
    unsafe { ptr::copy_nonoverlapping(handles.as_ptr(), array, n) };
    let mut list = caches();
    // SAFETY: `res` is live.
    if let Some(found) = unsafe { cached(&list, res) } {
        // Another thread cached the same resource meanwhile: use its handles.
        drop(list);
        close_all(&handles);
        // SAFETY: allocated above and never shared.
        unsafe { libc::free(array.cast()) };
        return Ok(found);
    }
    list.push((array as usize, n));
    // SAFETY: `plugin_priv` is the plugin's field of a live resource (spec §4.8).
    unsafe { (*res).plugin_priv = array.cast() };
    Ok((array, n))
}

/// `VACCEL_OP_EXEC_WITH_RESOURCE` ([`sig::ExecWithResource`](vaccel_plugin::sig::ExecWithResource)):
/// calls `fn_symbol` of the last library of a LIB resource, the others loaded first.
///
/// # Safety
/// Each pointer is NULL or valid: a live session and resource, a C string for `fn_symbol`,
/// `nr_read`/`nr_write` arguments for `read`/`write`.
pub unsafe extern "C" fn exec_with_resource(
    sess: *mut vaccel_session,
    resource: *mut vaccel_resource,
    fn_symbol: *const c_char,
    read: *mut vaccel_arg,
    nr_read: usize,
    write: *mut vaccel_arg,
    nr_write: usize,
) -> c_int {
    op("exec_with_resource", || {
        // SAFETY: the core passes NULL or valid pointers with the given counts.
        let (sess, res, symbol, args) = unsafe {
            (
                sess.as_ref(),
                resource.as_ref(),
                cstr(fn_symbol),
                Args::new(read, nr_read, write, nr_write),
            )
        };
        let (Some(sess), Some(res), Some(symbol), Some(args)) = (sess, res, symbol, args) else {
            return Err(invalid());
        };
        debug!("[exec] session:{} Calling exec_with_resource", sess.id);
        // SAFETY: `res` is live for the call.
        let blobs = unsafe { blobs(res) };
        if blobs.is_empty() {
            error!("[exec] No library provided");
            return Err(VACCEL_EINVAL);
        }
        debug!("[exec] Number of libraries: {}", blobs.len());
        // SAFETY: `resource` is live and `blobs` are its blobs.
        let (array, n) = unsafe { resource_handles(resource, blobs) }?;
        // SAFETY: a cached array holds `n >= 1` handles.
        let main = unsafe { *array.add(n - 1) };
        Ok(call(main, symbol, &args))
    })
}

/// The `resource_unregister` hook ([`sig::ResourceUnregister`](vaccel_plugin::sig::ResourceUnregister)):
/// drops the handles cached for a LIB resource, closing them in reverse order unless
/// `VACCEL_EXEC_DLCLOSE_ENABLED` is false. Other resources, and resources without handles of
/// ours, are left alone.
///
/// # Safety
/// `res` is NULL or a live resource.
pub unsafe extern "C" fn resource_unregister(
    res: *mut vaccel_resource,
    _sess: *mut vaccel_session,
) -> c_int {
    guard("resource_unregister", || {
        // SAFETY: the core passes a live resource or NULL.
        let Some(r) = (unsafe { res.as_ref() }) else {
            return VACCEL_EINVAL;
        };
        if r.type_ != VACCEL_RESOURCE_LIB || r.plugin_priv.is_null() {
            return VACCEL_OK;
        }
        let (array, n) = {
            let mut list = caches();
            // SAFETY: `res` is live.
            let Some(found) = (unsafe { cached(&list, res) }) else {
                return VACCEL_OK;
            };
            list.retain(|(a, _)| *a != found.0 as usize);
            // SAFETY: `plugin_priv` is the plugin's field of a live resource.
            unsafe { (*res).plugin_priv = ptr::null_mut() };
            found
        };
        let mut rc = VACCEL_OK;
        if env::dlclose_enabled(true) {
            // SAFETY: `res` is live.
            let blobs = unsafe { blobs(r) };
            for i in (0..n).rev() {
                // SAFETY: the array holds `n` handles.
                let h = unsafe { *array.add(i) };
                if let Err(e) = dl::close(h) {
                    // SAFETY: the blobs of a live resource.
                    let path = unsafe { blob_path(blobs, i) };
                    error!("[exec] dlclose failed for {}: {e}", Str(path));
                    rc = VACCEL_EINVAL;
                }
            }
        }
        // SAFETY: allocated with `calloc` in `resource_handles` and no longer registered.
        unsafe { libc::free(array.cast()) };
        rc
    })
}

#[cfg(test)]
vaccel_plugin::test_stubs!();

#[cfg(test)]
mod tests;
