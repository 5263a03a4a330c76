//! The libvaccel functions plugins call back into.
//!
//! These are plain `extern "C"` declarations: a plugin is not linked to libvaccel, the dynamic
//! linker resolves the symbols against the libvaccel that is already loaded when the core
//! `dlopen`s the plugin (spec §14.1). Rust shared objects are linked with `-z now`, so every
//! symbol a plugin actually references must be exported by the core when the plugin is loaded;
//! declarations a plugin never uses leave no reference behind.

use std::ffi::{c_char, c_int, c_void};
use std::sync::OnceLock;

use vaccel_abi::{vaccel_op, vaccel_prof_region, vaccel_resource, vaccel_session};

unsafe extern "C" {
    /// `void slog_print(SLOG_FLAGS_E flag, uint8_t new_line, const char *fmt, ...)`.
    ///
    /// Call it as `slog_print(flag, 1, c"%s".as_ptr(), msg.as_ptr())`; [`crate::log`] does.
    pub fn slog_print(flag: c_int, new_line: u8, fmt: *const c_char, ...);

    /// `int vaccel_plugin_register_ops(struct vaccel_op *ops, size_t nr_ops)` (spec §14.2). The
    /// core keeps pointers into `ops`, which must therefore live as long as the plugin is loaded.
    pub fn vaccel_plugin_register_ops(ops: *mut vaccel_op, nr_ops: usize) -> c_int;

    /// `int vaccel_session_resource_by_type(struct vaccel_session *sess, struct vaccel_resource
    /// **res, vaccel_resource_type_t type)`: the session's earliest registered resource of `type`.
    pub fn vaccel_session_resource_by_type(
        sess: *mut vaccel_session,
        res: *mut *mut vaccel_resource,
        type_: u32,
    ) -> c_int;

    /// `bool vaccel_prof_enabled(void)`.
    pub fn vaccel_prof_enabled() -> bool;

    /// `int vaccel_prof_region_init(struct vaccel_prof_region *region, const char *name)`.
    pub fn vaccel_prof_region_init(region: *mut vaccel_prof_region, name: *const c_char) -> c_int;

    /// `int vaccel_prof_region_start(struct vaccel_prof_region *region)`.
    pub fn vaccel_prof_region_start(region: *mut vaccel_prof_region) -> c_int;

    /// `int vaccel_prof_region_stop(const struct vaccel_prof_region *region)`.
    pub fn vaccel_prof_region_stop(region: *const vaccel_prof_region) -> c_int;

    /// `int vaccel_prof_region_print(const struct vaccel_prof_region *region)`.
    pub fn vaccel_prof_region_print(region: *const vaccel_prof_region) -> c_int;

    /// `int vaccel_prof_region_release(struct vaccel_prof_region *region)`.
    pub fn vaccel_prof_region_release(region: *mut vaccel_prof_region) -> c_int;

    /// `int vaccel_str_to_lower(const char *str, char *lower, size_t size, char **alloc_lower)`.
    pub fn vaccel_str_to_lower(
        str: *const c_char,
        lower: *mut c_char,
        size: usize,
        alloc_lower: *mut *mut c_char,
    ) -> c_int;
}

/// `int vaccel_capi_log_enabled(int flag)`.
type LogEnabled = unsafe extern "C" fn(flag: c_int) -> c_int;

/// Whether the core would print a message of slog level `flag`, when the core is this project's
/// libvaccel (it exports `vaccel_capi_log_enabled`, found once in the object that provides
/// `slog_print`); `true` with any other core, whose `slog_print` decides. Lets a plugin skip
/// formatting the debug lines of every call when they would be dropped.
pub fn log_enabled(flag: c_int) -> bool {
    static ENABLED: OnceLock<Option<LogEnabled>> = OnceLock::new();
    let f = ENABLED.get_or_init(|| {
        // SAFETY: an all-zero Dl_info is valid output space; dladdr only reads the address.
        let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
        // SAFETY: `slog_print` is a function of the loaded core (resolved when this plugin was
        // loaded); dladdr accepts any address.
        if unsafe { libc::dladdr(slog_print as *const c_void, &mut info) } == 0
            || info.dli_fname.is_null()
        {
            return None;
        }
        // SAFETY: `dli_fname` is the NUL-terminated path of an object that is loaded (NOLOAD
        // opens nothing new); the handle is closed again, the core stays loaded for as long as
        // this plugin (it loaded the plugin), and so does the function found in it.
        unsafe {
            let handle = libc::dlopen(info.dli_fname, libc::RTLD_NOW | libc::RTLD_NOLOAD);
            if handle.is_null() {
                return None;
            }
            let sym = libc::dlsym(handle, c"vaccel_capi_log_enabled".as_ptr());
            libc::dlclose(handle);
            (!sym.is_null()).then(|| std::mem::transmute::<*mut c_void, LogEnabled>(sym))
        }
    });
    // SAFETY: the core's `int (int)` function, loaded (see above); it takes any flag.
    f.is_none_or(|f| unsafe { f(flag) } != 0)
}
