//! Helpers shared by every C entry point: panic containment and C-string conversion.

use std::ffi::{CStr, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use vaccel_abi as abi;

/// Runs `f`, turning a panic into `on_panic` so that no unwind crosses the C boundary.
pub fn guard_or<T>(on_panic: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(on_panic)
}

/// Runs `f` returning a vAccel code; a panic yields `VACCEL_EFAULT`.
///
/// A panic means a bug in this library, not bad input; `VACCEL_EFAULT` tells the caller the call
/// failed without claiming its arguments were wrong.
pub fn guard(f: impl FnOnce() -> i32) -> i32 {
    guard_or(abi::VACCEL_EFAULT, f)
}

/// Borrows a C string; `None` for NULL.
///
/// # Safety
/// `s` must be NULL or point to a NUL-terminated string that outlives the returned borrow.
pub unsafe fn c_str<'a>(s: *const c_char) -> Option<&'a CStr> {
    // SAFETY: the caller guarantees `s` is NULL or a valid C string.
    (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) })
}
