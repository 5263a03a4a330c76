//! `vaccel/log.h` and the slog exports: `slog_print` (C shim in `csrc/slog.c`) routes here.

use std::ffi::{c_char, c_int};

use vaccel_core::log::{self, Level};

use crate::ffi::{c_str, guard, guard_or};

/// Called by the `slog_print` shim: whether a message with this slog flag would be printed.
#[unsafe(no_mangle)]
pub extern "C" fn vaccel_capi_log_enabled(flag: c_int) -> c_int {
    guard_or(0, || {
        Level::from_slog_flag(flag).is_some_and(log::enabled) as c_int
    })
}

/// Called by the `slog_print` shim with the formatted message.
///
/// # Safety
/// `message` must be NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_capi_log_emit(flag: c_int, message: *const c_char) {
    // SAFETY: forwarded from the shim, which passes its own NUL-terminated buffer.
    let Some(message) = (unsafe { c_str(message) }) else {
        return;
    };
    guard_or((), || {
        if let Some(level) = Level::from_slog_flag(flag) {
            log::emit_c(level, message);
        }
    })
}

/// `int vaccel_log_init(void)`: logging is configured at bootstrap; kept for API compatibility.
#[unsafe(no_mangle)]
pub extern "C" fn vaccel_log_init() -> c_int {
    guard(|| 0)
}

/// `int vaccel_log_shutdown(void)`.
#[unsafe(no_mangle)]
pub extern "C" fn vaccel_log_shutdown() -> c_int {
    guard(|| 0)
}

unsafe extern "C" {
    /// The C-variadic formatter of `csrc/slog.c`.
    fn vaccel_slog_print_impl(flag: c_int, new_line: u8, format: *const c_char, ...);
}

/// `void slog_print(SLOG_FLAGS_E flag, uint8_t new_line, const char *format, ...)`.
///
/// Stable Rust cannot define a C-variadic function, and a C definition would be hidden by the
/// cdylib's version script. So the exported symbol is a naked trampoline that jumps to the C
/// formatter: a jump leaves every argument register, `%al` and the stack exactly as the caller set
/// them, so the C side sees the original variadic call.
#[cfg(target_arch = "x86_64")]
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub extern "C" fn slog_print() {
    std::arch::naked_asm!("jmp {}", sym vaccel_slog_print_impl)
}

/// `slog_print` trampoline for aarch64 (see the x86_64 version).
#[cfg(target_arch = "aarch64")]
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub extern "C" fn slog_print() {
    std::arch::naked_asm!("b {}", sym vaccel_slog_print_impl)
}

/// `SLogConfig` of `slog.h` (layout checked against the header by `tests/c/abi_layout.c`).
#[repr(C)]
pub struct SLogConfig {
    date_control: u32,
    color_format: u32,
    callback: *mut std::ffi::c_void,
    callback_ctx: *mut std::ffi::c_void,
    /// Bit fields: trace tid, to screen, use heap, to file, indent, flush.
    bits: u8,
    flags: u16,
    separator: [c_char; 256],
    file_name: [c_char; 256],
    file_path: [c_char; 2048],
}

const SLOG_DATE_FULL: u32 = 2;
const SLOG_COLORING_TAG: u32 = 1;
const SLOG_TO_SCREEN: u8 = 1 << 1;

/// `void slog_init(const char *name, uint16_t flags, uint8_t thread_safe)`: sets the enabled
/// flags. The name and thread-safety arguments have no effect: vAccel's format has no name and
/// the logger is always thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn slog_init(_name: *const c_char, flags: u16, _thread_safe: u8) {
    guard_or((), || log::set_flags(flags as u32))
}

/// `void slog_enable(SLOG_FLAGS_E flag)`.
#[unsafe(no_mangle)]
pub extern "C" fn slog_enable(flag: c_int) {
    guard_or((), || log::toggle_flag(flag as u32, true))
}

/// `void slog_disable(SLOG_FLAGS_E flag)`.
#[unsafe(no_mangle)]
pub extern "C" fn slog_disable(flag: c_int) {
    guard_or((), || log::toggle_flag(flag as u32, false))
}

/// `void slog_destroy(void)`: the logger holds nothing that needs freeing; lines keep going out
/// with the current settings, as after upstream's `vaccel_log_shutdown`.
#[unsafe(no_mangle)]
pub extern "C" fn slog_destroy() {}

/// `void slog_config_get(SLogConfig *config)`: the active settings (flags, screen output, the
/// date and tag-colour format vAccel uses).
///
/// # Safety
/// `config` must be NULL or point to a writable `SLogConfig`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn slog_config_get(config: *mut SLogConfig) {
    guard_or((), || {
        // SAFETY: guaranteed by the caller.
        let Some(c) = (unsafe { config.as_mut() }) else {
            return;
        };
        c.date_control = SLOG_DATE_FULL;
        c.color_format = SLOG_COLORING_TAG;
        c.callback = std::ptr::null_mut();
        c.callback_ctx = std::ptr::null_mut();
        c.bits = SLOG_TO_SCREEN;
        c.flags = log::flags() as u16;
        c.separator = [0; 256];
        for (d, s) in c.separator.iter_mut().zip(b" - ") {
            *d = *s as c_char;
        }
        c.file_name = [0; 256];
        c.file_path = [0; 2048];
    })
}

/// `void slog_config_set(SLogConfig *config)`: applies the enabled flags (`nFlags`); the other
/// fields describe slog's own formatter, which vAccel's fixed line format (spec §7.1) replaces.
///
/// # Safety
/// `config` must be NULL or point to a valid `SLogConfig`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn slog_config_set(config: *mut SLogConfig) {
    guard_or((), || {
        // SAFETY: guaranteed by the caller.
        if let Some(c) = unsafe { config.as_ref() } {
            log::set_flags(c.flags as u32);
        }
    })
}

/// `const char *slog_version(uint8_t short)`: the embedded slog version.
#[unsafe(no_mangle)]
pub extern "C" fn slog_version(short: u8) -> *const c_char {
    if short != 0 {
        c"1.8.22".as_ptr()
    } else {
        c"1.8 build 22".as_ptr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slog_config_layout_matches_slog_h() {
        assert_eq!(std::mem::size_of::<SLogConfig>(), 2592);
        assert_eq!(std::mem::offset_of!(SLogConfig, bits), 24);
        assert_eq!(std::mem::offset_of!(SLogConfig, flags), 26);
        assert_eq!(std::mem::offset_of!(SLogConfig, file_path), 540);
    }
}
