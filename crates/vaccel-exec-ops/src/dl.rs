//! Thin wrappers over `dlopen`/`dlsym`/`dlclose` that return the `dlerror()` text on failure.

use std::ffi::{CStr, c_int, c_void};

/// The pending `dlerror()` message, or `fallback` if there is none.
fn last_error(fallback: &str) -> String {
    // SAFETY: `dlerror` returns NULL or a thread-local C string valid until the next dl* call on
    // this thread; it is copied at once.
    let msg = unsafe { libc::dlerror() };
    if msg.is_null() {
        fallback.to_string()
    } else {
        // SAFETY: non-NULL `dlerror` result, see above.
        unsafe { CStr::from_ptr(msg) }
            .to_string_lossy()
            .into_owned()
    }
}

/// `dlopen(path, mode)`.
pub fn open(path: &CStr, mode: c_int) -> Result<*mut c_void, String> {
    // SAFETY: `path` is a valid C string; loading a library runs its constructors, which is what
    // the exec op is asked to do.
    let handle = unsafe { libc::dlopen(path.as_ptr(), mode) };
    if handle.is_null() {
        Err(last_error("unknown dlopen error"))
    } else {
        Ok(handle)
    }
}

/// `dlsym(handle, symbol)`; a symbol whose value is NULL counts as missing.
pub fn sym(handle: *mut c_void, symbol: &CStr) -> Result<*mut c_void, String> {
    // SAFETY: clears any stale error so that the one reported belongs to this lookup.
    unsafe { libc::dlerror() };
    // SAFETY: `handle` is a live handle from `open`; `symbol` is a valid C string.
    let f = unsafe { libc::dlsym(handle, symbol.as_ptr()) };
    if f.is_null() {
        Err(last_error(&format!(
            "symbol {} resolves to NULL",
            symbol.to_string_lossy()
        )))
    } else {
        Ok(f)
    }
}

/// `dlclose(handle)`.
pub fn close(handle: *mut c_void) -> Result<(), String> {
    // SAFETY: `handle` is a live handle from `open`, closed once.
    if unsafe { libc::dlclose(handle) } == 0 {
        Ok(())
    } else {
        Err(last_error("unknown dlclose error"))
    }
}

/// The binding mode (`RTLD_NOW`/`RTLD_LAZY`) of a mode as it is named in warnings.
pub fn binding_name(mode: c_int) -> &'static str {
    if mode & libc::RTLD_NOW != 0 {
        "RTLD_NOW"
    } else {
        "RTLD_LAZY"
    }
}

/// `mode` with its binding switched between `RTLD_NOW` and `RTLD_LAZY`, other flags kept.
pub fn other_binding(mode: c_int) -> c_int {
    let rest = mode & !(libc::RTLD_NOW | libc::RTLD_LAZY);
    if mode & libc::RTLD_NOW != 0 {
        rest | libc::RTLD_LAZY
    } else {
        rest | libc::RTLD_NOW
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings() {
        assert_eq!(binding_name(libc::RTLD_NOW), "RTLD_NOW");
        assert_eq!(
            binding_name(libc::RTLD_LAZY | libc::RTLD_GLOBAL),
            "RTLD_LAZY"
        );
        assert_eq!(
            other_binding(libc::RTLD_NOW | libc::RTLD_GLOBAL),
            libc::RTLD_LAZY | libc::RTLD_GLOBAL
        );
        assert_eq!(other_binding(libc::RTLD_LAZY), libc::RTLD_NOW);
    }

    #[test]
    fn open_sym_close() {
        let h = open(c"libc.so.6", libc::RTLD_NOW).unwrap();
        assert!(sym(h, c"strlen").is_ok());
        let e = sym(h, c"no_such_symbol_xyz").unwrap_err();
        assert!(e.contains("no_such_symbol_xyz"), "{e}");
        close(h).unwrap();
        let e = open(c"/nonexistent/libx.so", libc::RTLD_NOW).unwrap_err();
        assert!(e.contains("/nonexistent/libx.so"), "{e}");
    }
}
