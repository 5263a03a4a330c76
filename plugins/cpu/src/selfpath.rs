//! The directory this plugin was loaded from, to find what is installed beside it (ONNX Runtime
//! in the same `lib/`, the default models in `../share/vaccel/models/onnx`).

use std::ffi::{CStr, OsStr, c_void};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// The directory of the shared object that contains this function, if the loader knows it.
pub fn dir() -> Option<PathBuf> {
    // SAFETY: `Dl_info` is plain data for which all-zero is a valid value.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    let addr = dir as *const c_void;
    // SAFETY: `dladdr` reads the address only to look it up and writes `info`, which is valid for
    // writes; it returns 0 when the address is in no loaded object.
    if unsafe { libc::dladdr(addr, &mut info) } == 0 || info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: on success `dli_fname` points to the loader's NUL-terminated path of the object,
    // valid while the object stays loaded (it is this code's own object).
    let name = unsafe { CStr::from_ptr(info.dli_fname) };
    let path = PathBuf::from(OsStr::from_bytes(name.to_bytes()));
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    path.parent().map(|p| p.to_path_buf())
}
