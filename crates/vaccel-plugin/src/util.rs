//! Helpers for reading the C data handed to op functions.

use std::ffi::{CStr, c_char};

/// The C string at `p`, or `None` for NULL.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays valid and unmodified for `'a`.
pub unsafe fn cstr<'a>(p: *const c_char) -> Option<&'a CStr> {
    if p.is_null() {
        None
    } else {
        // SAFETY: non-NULL, and the caller guarantees a valid NUL-terminated string.
        Some(unsafe { CStr::from_ptr(p) })
    }
}

/// The `n` elements at `p` as a slice: empty for `n == 0` (whatever `p` is), `None` for a NULL
/// `p` with `n > 0`.
///
/// # Safety
/// If `p` is non-NULL and `n > 0`, `p` points to `n` initialised, properly aligned `T`s that stay
/// valid and are not written through other pointers for `'a`.
pub unsafe fn slice<'a, T>(p: *const T, n: usize) -> Option<&'a [T]> {
    if n == 0 {
        Some(&[])
    } else if p.is_null() {
        None
    } else {
        // SAFETY: non-NULL with n > 0; validity and alignment are the caller's guarantee.
        Some(unsafe { std::slice::from_raw_parts(p, n) })
    }
}

/// Mutable counterpart of [`slice()`].
///
/// # Safety
/// As for [`slice()`], and no other reference to the elements exists for `'a`.
pub unsafe fn slice_mut<'a, T>(p: *mut T, n: usize) -> Option<&'a mut [T]> {
    if n == 0 {
        Some(&mut [])
    } else if p.is_null() {
        None
    } else {
        // SAFETY: non-NULL with n > 0; validity, alignment and uniqueness are the caller's
        // guarantee.
        Some(unsafe { std::slice::from_raw_parts_mut(p, n) })
    }
}

/// `snprintf(dst, dst.len(), "%s", src)`: copies at most `dst.len() - 1` bytes of `src` (up to
/// its first NUL) and NUL-terminates; writes nothing into an empty `dst`. Returns the number of
/// bytes copied, not counting the NUL.
pub fn snprintf(dst: &mut [u8], src: &[u8]) -> usize {
    let Some(room) = dst.len().checked_sub(1) else {
        return 0;
    };
    let src_len = src.iter().position(|&b| b == 0).unwrap_or(src.len());
    let n = src_len.min(room);
    dst[..n].copy_from_slice(&src[..n]);
    dst[n] = 0;
    n
}

/// [`snprintf`] into a raw C buffer of `len` bytes; does nothing if `dst` is NULL.
///
/// # Safety
/// If `dst` is non-NULL it is valid for writes of `len` bytes and does not overlap `src`.
pub unsafe fn snprintf_raw(dst: *mut u8, len: usize, src: &[u8]) -> usize {
    // SAFETY: forwarded from the caller: `dst` is NULL (→ None) or valid for `len` bytes.
    match unsafe { slice_mut(dst, len) } {
        Some(buf) => snprintf(buf, src),
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snprintf_truncates_and_terminates() {
        let mut buf = [0xffu8; 8];
        assert_eq!(snprintf(&mut buf, b"This is a dummy imgname!"), 7);
        assert_eq!(&buf, b"This is\0");

        let mut buf = [0xffu8; 32];
        assert_eq!(snprintf(&mut buf, b"abc"), 3);
        assert_eq!(&buf[..4], b"abc\0");
        assert_eq!(buf[4], 0xff, "nothing written past the NUL");

        let mut one = [0xffu8; 1];
        assert_eq!(snprintf(&mut one, b"abc"), 0);
        assert_eq!(one, [0]);

        let mut empty: [u8; 0] = [];
        assert_eq!(snprintf(&mut empty, b"abc"), 0);

        let mut buf = [0xffu8; 8];
        assert_eq!(snprintf(&mut buf, b"ab\0cd"), 2);
        assert_eq!(&buf[..3], b"ab\0");
    }

    #[test]
    fn snprintf_raw_null_and_zero() {
        // SAFETY: NULL destination.
        assert_eq!(unsafe { snprintf_raw(std::ptr::null_mut(), 10, b"x") }, 0);
        let mut b = [7u8; 2];
        // SAFETY: `b` is valid for 0 bytes.
        assert_eq!(unsafe { snprintf_raw(b.as_mut_ptr(), 0, b"x") }, 0);
        assert_eq!(b, [7, 7]);
    }

    #[test]
    fn slices() {
        // SAFETY: NULL with n == 0 is allowed.
        assert_eq!(unsafe { slice::<u8>(std::ptr::null(), 0) }, Some(&[][..]));
        // SAFETY: NULL with n > 0 returns None without reading.
        assert_eq!(unsafe { slice::<u8>(std::ptr::null(), 3) }, None);
        let v = [1, 2, 3];
        // SAFETY: `v` holds 3 elements.
        assert_eq!(unsafe { slice(v.as_ptr(), 3) }, Some(&v[..]));
    }
}
