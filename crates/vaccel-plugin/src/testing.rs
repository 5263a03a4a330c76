//! Test doubles of the libvaccel functions plugins import.

/// Defines, in a module `test_stubs`, stand-ins for every function of [`ffi`](crate::ffi), so
/// that a plugin crate's unit tests link without libvaccel and can observe what the plugin does.
/// Use it only under `#[cfg(test)]`:
///
/// ```ignore
/// #[cfg(test)]
/// vaccel_plugin::test_stubs!();
/// ```
///
/// State is per thread (tests run on separate threads). The module provides:
/// - `take_log() -> Vec<(c_int, String)>`: the `(slog flag, message)` pairs logged so far
///   (and clears them); `debug_lines()` returns only the debug messages;
/// - `registered() -> Vec<(u32, *mut c_void, *mut vaccel_plugin)>`: `(type, func, owner)` of every
///   op passed to `vaccel_plugin_register_ops`, which also fills `owner->ops[type]` like the core;
/// - `set_model(res)` / `set_model_error(code)`: what `vaccel_session_resource_by_type` returns
///   for `VACCEL_RESOURCE_MODEL` (ENOENT by default);
/// - `prof_calls() -> Vec<&'static str>`: the profiling-region calls made (`start`, `stop`,
///   `print`, `release`).
///
/// `slog_print` is defined with its four fixed-position arguments (flag, new line, `"%s"`,
/// message), which is how [`log`](crate::log) calls it; on the SysV x86_64 and AAPCS64 Linux ABIs
/// these arrive in the same registers whether the call is variadic or not.
#[macro_export]
macro_rules! test_stubs {
    () => {
        #[allow(dead_code, clippy::missing_safety_doc)]
        pub(crate) mod test_stubs {
            use ::std::cell::{Cell, RefCell};
            use ::std::ffi::{CStr, c_char, c_int, c_void};

            use $crate::abi::{
                VACCEL_EINVAL, VACCEL_ENOENT, VACCEL_RESOURCE_MODEL, vaccel_op, vaccel_plugin,
                vaccel_prof_region, vaccel_resource, vaccel_session,
            };

            type Registered = (u32, *mut c_void, *mut vaccel_plugin);

            ::std::thread_local! {
                static LOG: RefCell<Vec<(c_int, String)>> = const { RefCell::new(Vec::new()) };
                static REGISTERED: RefCell<Vec<Registered>> = const { RefCell::new(Vec::new()) };
                static MODEL: Cell<*mut vaccel_resource> = const { Cell::new(::std::ptr::null_mut()) };
                static MODEL_ERROR: Cell<c_int> = const { Cell::new(0) };
                static PROF: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
            }

            /// The `(flag, message)` pairs logged on this thread since the last call.
            pub fn take_log() -> Vec<(c_int, String)> {
                LOG.with(|l| ::std::mem::take(&mut *l.borrow_mut()))
            }

            /// The debug messages logged on this thread since the last `take_log`/`debug_lines`.
            pub fn debug_lines() -> Vec<String> {
                take_log()
                    .into_iter()
                    .filter(|(f, _)| *f == $crate::abi::SLOG_DEBUG)
                    .map(|(_, m)| m)
                    .collect()
            }

            /// The ops registered on this thread so far.
            pub fn registered() -> Vec<Registered> {
                REGISTERED.with(|r| r.borrow().clone())
            }

            /// The MODEL resource `vaccel_session_resource_by_type` reports (NULL: ENOENT).
            pub fn set_model(res: *mut vaccel_resource) {
                MODEL.with(|m| m.set(res));
            }

            /// Makes `vaccel_session_resource_by_type` fail with `code` (0: normal lookup).
            pub fn set_model_error(code: c_int) {
                MODEL_ERROR.with(|m| m.set(code));
            }

            /// The profiling-region calls made on this thread since the last call.
            pub fn prof_calls() -> Vec<&'static str> {
                PROF.with(|p| ::std::mem::take(&mut *p.borrow_mut()))
            }

            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn slog_print(
                flag: c_int,
                _new_line: u8,
                fmt: *const c_char,
                msg: *const c_char,
            ) {
                // SAFETY: `log` passes two NUL-terminated strings.
                let (fmt, msg) = unsafe { (CStr::from_ptr(fmt), CStr::from_ptr(msg)) };
                assert_eq!(fmt, c"%s");
                let msg = msg.to_string_lossy().into_owned();
                LOG.with(|l| l.borrow_mut().push((flag, msg)));
            }

            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn vaccel_plugin_register_ops(
                ops: *mut vaccel_op,
                nr_ops: usize,
            ) -> c_int {
                if ops.is_null() || nr_ops == 0 || nr_ops > $crate::abi::ops::VACCEL_OP_MAX {
                    return VACCEL_EINVAL;
                }
                for i in 0..nr_ops {
                    // SAFETY: the plugin passes `nr_ops` valid ops owned by its plugin struct.
                    unsafe {
                        let op = ops.add(i);
                        let owner = (*op).owner;
                        (*owner).ops[(*op).type_ as usize] = op;
                        REGISTERED.with(|r| r.borrow_mut().push(((*op).type_, (*op).func, owner)));
                    }
                }
                0
            }

            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn vaccel_session_resource_by_type(
                _sess: *mut vaccel_session,
                res: *mut *mut vaccel_resource,
                type_: u32,
            ) -> c_int {
                let err = MODEL_ERROR.with(|m| m.get());
                if err != 0 {
                    return err;
                }
                let model = MODEL.with(|m| m.get());
                if type_ != VACCEL_RESOURCE_MODEL || model.is_null() {
                    return VACCEL_ENOENT;
                }
                // SAFETY: `res` is the caller's out-pointer.
                unsafe { *res = model };
                0
            }

            #[unsafe(no_mangle)]
            pub extern "C" fn vaccel_prof_enabled() -> bool {
                false
            }

            #[unsafe(no_mangle)]
            pub extern "C" fn vaccel_prof_region_init(
                _region: *mut vaccel_prof_region,
                _name: *const c_char,
            ) -> c_int {
                PROF.with(|p| p.borrow_mut().push("init"));
                0
            }

            #[unsafe(no_mangle)]
            pub extern "C" fn vaccel_prof_region_start(_region: *mut vaccel_prof_region) -> c_int {
                PROF.with(|p| p.borrow_mut().push("start"));
                0
            }

            #[unsafe(no_mangle)]
            pub extern "C" fn vaccel_prof_region_stop(_region: *const vaccel_prof_region) -> c_int {
                PROF.with(|p| p.borrow_mut().push("stop"));
                0
            }

            #[unsafe(no_mangle)]
            pub extern "C" fn vaccel_prof_region_print(_region: *const vaccel_prof_region) -> c_int {
                PROF.with(|p| p.borrow_mut().push("print"));
                0
            }

            #[unsafe(no_mangle)]
            pub extern "C" fn vaccel_prof_region_release(_region: *mut vaccel_prof_region) -> c_int {
                PROF.with(|p| p.borrow_mut().push("release"));
                0
            }

            #[unsafe(no_mangle)]
            pub extern "C" fn vaccel_str_to_lower(
                _str: *const c_char,
                _lower: *mut c_char,
                _size: usize,
                _alloc_lower: *mut *mut c_char,
            ) -> c_int {
                VACCEL_EINVAL
            }
        }
    };
}
