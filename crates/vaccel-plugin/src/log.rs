//! Logging through the core's `slog_print`.

use std::ffi::{c_char, c_int};

use crate::ffi;

/// Sends one finished message to the core logger at the level of `flag` (`abi::SLOG_DEBUG`,
/// `abi::SLOG_INFO`, `abi::SLOG_WARN`, `abi::SLOG_ERROR`, ...).
///
/// The message is passed through a `"%s"` format, so `%` in it is printed as is. As with a C
/// `%s`, the message ends at its first NUL byte. The core appends the newline and decides
/// whether the level is enabled.
pub fn log(flag: c_int, msg: &str) {
    let bytes = msg.as_bytes();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let mut line = Vec::with_capacity(end + 1);
    line.extend_from_slice(&bytes[..end]);
    line.push(0);
    // SAFETY: both the format and the argument are NUL-terminated strings that outlive the call,
    // and the single `%s` conversion consumes exactly the one `const char *` argument passed.
    unsafe { ffi::slog_print(flag, 1, c"%s".as_ptr(), line.as_ptr().cast::<c_char>()) }
}

/// Logs a `format!`-style message at debug level (`vaccel_debug`).
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => {
        if $crate::ffi::log_enabled($crate::abi::SLOG_DEBUG) {
            $crate::log($crate::abi::SLOG_DEBUG, &::std::format!($($arg)*))
        }
    };
}

/// Logs a `format!`-style message at info level (`vaccel_info`).
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => {
        if $crate::ffi::log_enabled($crate::abi::SLOG_INFO) {
            $crate::log($crate::abi::SLOG_INFO, &::std::format!($($arg)*))
        }
    };
}

/// Logs a `format!`-style message at warn level (`vaccel_warn`).
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => {
        if $crate::ffi::log_enabled($crate::abi::SLOG_WARN) {
            $crate::log($crate::abi::SLOG_WARN, &::std::format!($($arg)*))
        }
    };
}

/// Logs a `format!`-style message at error level (`vaccel_error`).
#[macro_export]
macro_rules! error {
    ($($arg:tt)*) => {
        if $crate::ffi::log_enabled($crate::abi::SLOG_ERROR) {
            $crate::log($crate::abi::SLOG_ERROR, &::std::format!($($arg)*))
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::abi::{SLOG_DEBUG, SLOG_ERROR, SLOG_INFO, SLOG_WARN};
    use crate::test_stubs::take_log;

    #[test]
    fn macros_use_the_slog_flags() {
        take_log();
        crate::debug!("d {}", 1);
        crate::info!("i");
        crate::warn!("w {}%s", "x");
        crate::error!("e");
        let log = take_log();
        assert_eq!(
            log,
            vec![
                (SLOG_DEBUG, "d 1".to_string()),
                (SLOG_INFO, "i".to_string()),
                (SLOG_WARN, "w x%s".to_string()),
                (SLOG_ERROR, "e".to_string()),
            ]
        );
    }

    #[test]
    fn message_stops_at_nul() {
        take_log();
        crate::log(SLOG_DEBUG, "abc\0def");
        assert_eq!(take_log(), vec![(SLOG_DEBUG, "abc".to_string())]);
    }
}
