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
