//! `fs_file_read` (used by the examples and tests) and `vaccel/utils/str.h`'s
//! `vaccel_str_to_lower` (spec §3.1).

use std::ffi::{CStr, OsStr, c_char, c_int, c_void};
use std::io::{ErrorKind, Read};
use std::os::unix::ffi::OsStrExt;
use std::ptr;

use vaccel_core::error::code_of;
use vaccel_core::{Error, Result};

use crate::ffi::{c_str, guard};

/// Runs `f` inside [`guard`] and returns its vAccel code.
fn run(f: impl FnOnce() -> Result<()>) -> c_int {
    guard(|| code_of(&f()))
}

/// A zero-initialised malloc'd buffer that is freed on drop unless taken.
struct MallocBuf {
    ptr: *mut u8,
    cap: usize,
}

impl MallocBuf {
    fn with_capacity(cap: usize) -> Result<MallocBuf> {
        let cap = cap.max(1);
        // SAFETY: calloc has no preconditions.
        let ptr = unsafe { libc::calloc(cap, 1) }.cast::<u8>();
        if ptr.is_null() {
            Err(Error::ENOMEM)
        } else {
            Ok(MallocBuf { ptr, cap })
        }
    }

    /// Grows the allocation to `cap` bytes, zeroing the new ones.
    fn grow(&mut self, cap: usize) -> Result<()> {
        // SAFETY: `ptr` is a live malloc'd block.
        let p = unsafe { libc::realloc(self.ptr.cast(), cap) }.cast::<u8>();
        if p.is_null() {
            return Err(Error::ENOMEM);
        }
        // SAFETY: the block now holds `cap > self.cap` bytes.
        unsafe { ptr::write_bytes(p.add(self.cap), 0, cap - self.cap) };
        self.ptr = p;
        self.cap = cap;
        Ok(())
    }

    /// The bytes `from..to` of the (initialised) allocation.
    fn slice(&mut self, from: usize, to: usize) -> &mut [u8] {
        assert!(from <= to && to <= self.cap);
        // SAFETY: `ptr` holds `cap` initialised bytes and the range is inside it.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(from), to - from) }
    }

    fn into_raw(self) -> *mut u8 {
        let p = self.ptr;
        std::mem::forget(self);
        p
    }
}

impl Drop for MallocBuf {
    fn drop(&mut self) {
        // SAFETY: `ptr` is a live malloc'd block owned by this value.
        unsafe { libc::free(self.ptr.cast()) };
    }
}

/// Reads the whole file into a malloc'd buffer with one spare byte, set to NUL.
fn read_file(path: &CStr) -> Result<(*mut u8, usize)> {
    let path = OsStr::from_bytes(path.to_bytes());
    let mut file = std::fs::File::open(path).map_err(|e| Error::from_io(&e))?;
    let hint = file.metadata().map(|m| m.len()).unwrap_or(0);
    let hint = usize::try_from(hint).map_err(|_| Error::ENOMEM)?;
    let mut buf = MallocBuf::with_capacity(hint.checked_add(1).ok_or(Error::ENOMEM)?)?;
    let mut len = 0usize;
    loop {
        if len + 1 >= buf.cap {
            let cap = buf.cap.checked_mul(2).ok_or(Error::ENOMEM)?.max(4096);
            buf.grow(cap)?;
        }
        let end = buf.cap - 1;
        match file.read(buf.slice(len, end)) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::from_io(&e)),
        }
    }
    // SAFETY: `len < cap`, so the terminator is inside the allocation.
    unsafe { buf.ptr.add(len).write(0) };
    Ok((buf.into_raw(), len))
}

/// `int fs_file_read(const char *path, void **data, size_t *size)`: reads the whole file into a
/// malloc'd buffer (freed by the caller with `free`; one extra NUL byte follows the data, not
/// counted in `size`). EINVAL for NULL arguments; the `errno` of the failure otherwise (ENOENT for
/// a missing file).
///
/// # Safety
/// `path` must be NULL or a C string; `data` and `size` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_file_read(
    path: *const c_char,
    data: *mut *mut c_void,
    size: *mut usize,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let path = unsafe { c_str(path) }.ok_or(Error::EINVAL)?;
        if data.is_null() || size.is_null() {
            return Err(Error::EINVAL);
        }
        let (buf, len) = read_file(path)?;
        // SAFETY: checked non-NULL; writable (caller).
        unsafe {
            data.write(buf.cast());
            size.write(len);
        }
        Ok(())
    })
}

/// `int vaccel_str_to_lower(const char *str, char *lower, size_t size, char **alloc_lower)`:
/// with `alloc_lower`, a malloc'd lower-case copy of `str`; otherwise the lower-case string is
/// written into `lower`, truncated to `size - 1` bytes and NUL-terminated. EINVAL if `str` is
/// NULL, if the copy cannot be allocated, or if `alloc_lower` is NULL and `lower` is NULL or
/// `size` is 0.
///
/// # Safety
/// `str` must be NULL or a C string; `lower` NULL or writable for `size` bytes; `alloc_lower`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_str_to_lower(
    str: *const c_char,
    lower: *mut c_char,
    size: usize,
    alloc_lower: *mut *mut c_char,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let s = unsafe { c_str(str) }.ok_or(Error::EINVAL)?.to_bytes();
        let (dst, n) = if alloc_lower.is_null() {
            if lower.is_null() || size == 0 {
                return Err(Error::EINVAL);
            }
            (lower.cast::<u8>(), s.len().min(size - 1))
        } else {
            // SAFETY: malloc has no preconditions.
            let p = unsafe { libc::malloc(s.len() + 1) }.cast::<u8>();
            if p.is_null() {
                return Err(Error::EINVAL);
            }
            // SAFETY: checked non-NULL; writable (caller).
            unsafe { alloc_lower.write(p.cast()) };
            (p, s.len())
        };
        for (i, b) in s[..n].iter().enumerate() {
            // SAFETY: `dst` has room for `n + 1` bytes (`size` or the allocation). Writing through
            // the raw pointer is fine even if `lower` aliases `str`, since each byte is read
            // before it is written.
            unsafe { dst.add(i).write(b.to_ascii_lowercase()) };
        }
        // SAFETY: as above.
        unsafe { dst.add(n).write(0) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vaccel_abi::{VACCEL_EINVAL, VACCEL_ENOENT};

    #[test]
    fn reads_whole_files() {
        let dir = std::env::temp_dir().join(format!("vaccel-capi-fs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("data.bin");
        let content: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&file, &content).unwrap();
        let path = std::ffi::CString::new(file.as_os_str().as_bytes()).unwrap();
        let empty = dir.join("empty");
        std::fs::write(&empty, b"").unwrap();
        let empty = std::ffi::CString::new(empty.as_os_str().as_bytes()).unwrap();
        // SAFETY: valid C strings and out-pointers; buffers are freed with free().
        unsafe {
            let (mut d, mut n) = (ptr::null_mut(), 0usize);
            assert_eq!(fs_file_read(path.as_ptr(), &mut d, &mut n), 0);
            assert_eq!(std::slice::from_raw_parts(d.cast::<u8>(), n), &content[..]);
            assert_eq!(*d.cast::<u8>().add(n), 0);
            libc::free(d);

            assert_eq!(fs_file_read(empty.as_ptr(), &mut d, &mut n), 0);
            assert_eq!(n, 0);
            assert!(!d.is_null());
            libc::free(d);

            // Files whose size is not known up front (procfs) are read to the end.
            assert_eq!(
                fs_file_read(c"/proc/self/status".as_ptr(), &mut d, &mut n),
                0
            );
            assert!(n > 0);
            libc::free(d);

            assert_eq!(
                fs_file_read(c"/nonexistent/vaccel".as_ptr(), &mut d, &mut n),
                VACCEL_ENOENT
            );
            assert_eq!(fs_file_read(ptr::null(), &mut d, &mut n), VACCEL_EINVAL);
            assert_eq!(
                fs_file_read(path.as_ptr(), ptr::null_mut(), &mut n),
                VACCEL_EINVAL
            );
            assert_eq!(
                fs_file_read(path.as_ptr(), &mut d, ptr::null_mut()),
                VACCEL_EINVAL
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn lower_cases_strings() {
        // SAFETY: valid C strings and buffers.
        unsafe {
            let mut buf = [0x55 as c_char; 8];
            assert_eq!(
                vaccel_str_to_lower(
                    c"IMAGE_Classify".as_ptr(),
                    buf.as_mut_ptr(),
                    8,
                    ptr::null_mut()
                ),
                0
            );
            assert_eq!(CStr::from_ptr(buf.as_ptr()), c"image_c");
            assert_eq!(
                vaccel_str_to_lower(c"AB".as_ptr(), buf.as_mut_ptr(), 8, ptr::null_mut()),
                0
            );
            assert_eq!(CStr::from_ptr(buf.as_ptr()), c"ab");
            assert_eq!(
                vaccel_str_to_lower(c"AB".as_ptr(), buf.as_mut_ptr(), 1, ptr::null_mut()),
                0
            );
            assert_eq!(CStr::from_ptr(buf.as_ptr()), c"");

            let mut out: *mut c_char = ptr::null_mut();
            assert_eq!(
                vaccel_str_to_lower(c"VACCEL_OP_NOOP".as_ptr(), ptr::null_mut(), 0, &mut out),
                0
            );
            assert_eq!(CStr::from_ptr(out), c"vaccel_op_noop");
            libc::free(out.cast());

            assert_eq!(
                vaccel_str_to_lower(ptr::null(), buf.as_mut_ptr(), 8, ptr::null_mut()),
                VACCEL_EINVAL
            );
            assert_eq!(
                vaccel_str_to_lower(c"A".as_ptr(), ptr::null_mut(), 8, ptr::null_mut()),
                VACCEL_EINVAL
            );
            assert_eq!(
                vaccel_str_to_lower(c"A".as_ptr(), buf.as_mut_ptr(), 0, ptr::null_mut()),
                VACCEL_EINVAL
            );
        }
    }
}
