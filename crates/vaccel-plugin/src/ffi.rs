//! The libvaccel functions plugins call back into.
//!
//! These are plain `extern "C"` declarations: a plugin is not linked to libvaccel, the dynamic
//! linker resolves the symbols against the libvaccel that is already loaded when the core
//! `dlopen`s the plugin (spec §14.1). Rust shared objects are linked with `-z now`, so every
//! symbol a plugin actually references must be exported by the core when the plugin is loaded;
//! declarations a plugin never uses leave no reference behind.

use std::ffi::{c_char, c_int};

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
