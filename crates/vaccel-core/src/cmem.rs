//! C-heap helpers for memory that crosses the C boundary.
//!
//! The C API documents that callers `free()` what the library hands out and that the library
//! frees what callers' structs own, so such memory must come from libc's allocator, never Rust's.

use std::ffi::{CStr, c_char};

/// A `strdup`'d copy of `s` (NUL bytes inside `s` end the copy); NULL on allocation failure.
pub fn strdup(s: &str) -> *mut c_char {
    let bytes = s.as_bytes();
    let len = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    // SAFETY: malloc has no preconditions; the result is checked before use.
    let p = unsafe { libc::malloc(len + 1) }.cast::<u8>();
    if !p.is_null() {
        // SAFETY: `p` has room for `len + 1` bytes and does not overlap `bytes`.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, len);
            *p.add(len) = 0;
        }
    }
    p.cast()
}

/// Frees a libc allocation (NULL is fine).
///
/// # Safety
/// `p` must be NULL or a live pointer from libc's allocator not freed elsewhere.
pub unsafe fn free<T>(p: *mut T) {
    // SAFETY: guaranteed by the caller.
    unsafe { libc::free(p.cast()) }
}

/// The text of a C string (lossy), or `None` for NULL.
///
/// # Safety
/// `p` must be NULL or a valid NUL-terminated string.
pub unsafe fn to_string(p: *const c_char) -> Option<String> {
    // SAFETY: guaranteed by the caller.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// The text of a C string for log lines: `(null)` for NULL, as printf prints it.
///
/// # Safety
/// As [`to_string`].
pub unsafe fn display(p: *const c_char) -> String {
    // SAFETY: guaranteed by the caller.
    unsafe { to_string(p) }.unwrap_or_else(|| "(null)".into())
}
