//! The vAccel log: slog 1.8.22's line format, written through C stdio.
//!
//! Lines go through libc's `printf` on purpose: the application's own `printf` output shares that
//! buffer, so interleaving on stdout is exactly what upstream produces (spec §7.1). Using Rust's
//! `std::io::stdout` would keep a second buffer and reorder lines when stdout is a pipe.

use std::ffi::{CStr, CString};
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use vaccel_abi as abi;

/// Longest message kept, as slog's 8196-byte buffer (including the NUL) allows.
pub const MAX_MESSAGE: usize = 8195;

/// Severity of a message, with its slog flag value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
    Fatal,
    Note,
    NoTag,
}

impl Level {
    /// The level of a slog flag (`slog_print`'s first argument).
    pub fn from_slog_flag(flag: i32) -> Option<Level> {
        Some(match flag {
            abi::SLOG_NOTAG => Level::NoTag,
            abi::SLOG_NOTE => Level::Note,
            abi::SLOG_INFO => Level::Info,
            abi::SLOG_WARN => Level::Warn,
            abi::SLOG_DEBUG => Level::Debug,
            abi::SLOG_TRACE => Level::Trace,
            abi::SLOG_ERROR => Level::Error,
            abi::SLOG_FATAL => Level::Fatal,
            _ => return None,
        })
    }

    /// The slog flag bit of this level.
    pub fn flag(self) -> u32 {
        (match self {
            Level::NoTag => abi::SLOG_NOTAG,
            Level::Note => abi::SLOG_NOTE,
            Level::Info => abi::SLOG_INFO,
            Level::Warn => abi::SLOG_WARN,
            Level::Debug => abi::SLOG_DEBUG,
            Level::Trace => abi::SLOG_TRACE,
            Level::Error => abi::SLOG_ERROR,
            Level::Fatal => abi::SLOG_FATAL,
        }) as u32
    }

    /// The coloured tag, or none.
    fn tag(self) -> &'static str {
        match self {
            Level::Info => "\x1b[32m<info>\x1b[0m ",
            Level::Warn => "\x1b[33m<warn>\x1b[0m ",
            Level::Debug => "\x1b[34m<debug>\x1b[0m ",
            Level::Error => "\x1b[31m<error>\x1b[0m ",
            Level::Trace => "\x1b[36m<trace>\x1b[0m ",
            Level::Fatal => "\x1b[35m<fatal>\x1b[0m ",
            Level::Note => "<note> ",
            Level::NoTag => "",
        }
    }

    /// Whether a message of this level is printed at the configured vAccel level (§7.2).
    fn enabled_at(self, vaccel_level: u32) -> bool {
        if !(abi::VACCEL_LOG_ERROR..=abi::VACCEL_LOG_DEBUG).contains(&vaccel_level) {
            return false;
        }
        match self {
            Level::Error => true,
            Level::Warn => vaccel_level >= abi::VACCEL_LOG_WARN,
            Level::Info => vaccel_level >= abi::VACCEL_LOG_INFO,
            Level::Debug => vaccel_level >= abi::VACCEL_LOG_DEBUG,
            Level::Trace | Level::Fatal | Level::Note | Level::NoTag => false,
        }
    }
}

/// The enabled slog flags (bit mask of `SLOG_*`): derived from the vAccel level, adjustable
/// through the slog API (`slog_enable`, `slog_disable`, `slog_init`, `slog_config_set`).
static FLAGS: AtomicU32 = AtomicU32::new(abi::SLOG_ERROR as u32);
/// Log file base name; `None` logs to stdout.
static FILE: Mutex<Option<String>> = Mutex::new(None);

/// Applies the log settings of a configuration. Upstream does this on the first bootstrap only.
pub fn configure(level: u32, log_file: Option<&str>) {
    FLAGS.store(flags_for_level(level), Ordering::Relaxed);
    let file = log_file.filter(|f| *f != "/dev/stdout" && *f != "/dev/stderr");
    *FILE.lock().unwrap_or_else(|e| e.into_inner()) = file.map(str::to_owned);
}

/// Whether messages of `level` are printed now; lets callers skip formatting.
pub fn enabled(level: Level) -> bool {
    FLAGS.load(Ordering::Relaxed) & level.flag() != 0
}

/// The slog flags a vAccel log level enables (§7.2): cumulative, none outside 1..=4.
pub fn flags_for_level(level: u32) -> u32 {
    [Level::Error, Level::Warn, Level::Info, Level::Debug]
        .into_iter()
        .filter(|l| l.enabled_at(level))
        .fold(0, |m, l| m | l.flag())
}

/// The enabled slog flags.
pub fn flags() -> u32 {
    FLAGS.load(Ordering::Relaxed)
}

/// Replaces the enabled slog flags (`slog_init`, `slog_config_set`).
pub fn set_flags(flags: u32) {
    FLAGS.store(flags, Ordering::Relaxed);
}

/// Enables (`on`) or disables one slog flag (`slog_enable`, `slog_disable`).
pub fn toggle_flag(flag: u32, on: bool) {
    if on {
        FLAGS.fetch_or(flag, Ordering::Relaxed);
    } else {
        FLAGS.fetch_and(!flag, Ordering::Relaxed);
    }
}

/// Emits one message (no trailing newline) if its level is enabled.
pub fn emit(level: Level, message: &[u8]) {
    if !enabled(level) {
        return;
    }
    let message = &message[..message.len().min(MAX_MESSAGE)];
    let message = message.split(|b| *b == 0).next().unwrap_or_default();
    let (stamp, date) = timestamp();
    let mut line = Vec::with_capacity(stamp.len() + message.len() + 32);
    line.extend_from_slice(stamp.as_bytes());
    line.extend_from_slice(b" - ");
    line.extend_from_slice(level.tag().as_bytes());
    line.extend_from_slice(message);
    let file = FILE.lock().unwrap_or_else(|e| e.into_inner()).clone();
    match file {
        None => {
            let line = CString::new(line).unwrap_or_default();
            // SAFETY: both arguments are valid NUL-terminated strings; the format consumes one.
            unsafe { libc::printf(c"%s\n".as_ptr(), line.as_ptr()) };
        }
        Some(base) => {
            line.push(b'\n');
            let path = format!("./{base}-{date}.log");
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
            {
                let _ = f.write_all(&line);
            }
        }
    }
}

/// Local time as `YYYY.MM.DD-HH:MM:SS.CC` and the date as `YYYY-MM-DD`.
fn timestamp() -> (String, String) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as libc::time_t;
    // SAFETY: `tm` is plain data for which all-zero is valid; localtime_r only writes into it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers refer to live locals.
    unsafe { libc::localtime_r(&secs, &mut tm) };
    let (y, mo, d) = (tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    let stamp = format!(
        "{y:04}.{mo:02}.{d:02}-{:02}:{:02}:{:02}.{:02}",
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        now.subsec_micros() / 10000
    );
    (stamp, format!("{y:04}-{mo:02}-{d:02}"))
}

/// Emits a message given as a C string (the slog entry point's path).
pub fn emit_c(level: Level, message: &CStr) {
    emit(level, message.to_bytes());
}

/// Logs a formatted message at a level, formatting only when the level is enabled.
#[macro_export]
macro_rules! vlog {
    ($level:expr, $($arg:tt)*) => {{
        let level = $level;
        if $crate::log::enabled(level) {
            $crate::log::emit(level, format!($($arg)*).as_bytes());
        }
    }};
}

/// Logs at debug level.
#[macro_export]
macro_rules! debug { ($($arg:tt)*) => { $crate::vlog!($crate::log::Level::Debug, $($arg)*) }; }
/// Logs at info level.
#[macro_export]
macro_rules! info { ($($arg:tt)*) => { $crate::vlog!($crate::log::Level::Info, $($arg)*) }; }
/// Logs at warn level.
#[macro_export]
macro_rules! warn { ($($arg:tt)*) => { $crate::vlog!($crate::log::Level::Warn, $($arg)*) }; }
/// Logs at error level.
#[macro_export]
macro_rules! error { ($($arg:tt)*) => { $crate::vlog!($crate::log::Level::Error, $($arg)*) }; }

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_cumulative() {
        assert!(Level::Error.enabled_at(1));
        assert!(!Level::Warn.enabled_at(1));
        assert!(Level::Warn.enabled_at(2));
        assert!(Level::Info.enabled_at(3));
        assert!(!Level::Debug.enabled_at(3));
        assert!(Level::Debug.enabled_at(4));
        for off in [0, 5, 99] {
            assert!(!Level::Error.enabled_at(off));
        }
    }

    #[test]
    fn level_flags() {
        assert_eq!(flags_for_level(1), abi::SLOG_ERROR as u32);
        assert_eq!(
            flags_for_level(4),
            (abi::SLOG_ERROR | abi::SLOG_WARN | abi::SLOG_INFO | abi::SLOG_DEBUG) as u32
        );
        assert_eq!(flags_for_level(0), 0);
        assert_eq!(flags_for_level(5), 0);
    }

    #[test]
    fn timestamp_has_the_slog_shape() {
        let (stamp, date) = timestamp();
        assert_eq!(stamp.len(), "2026.11.23-22:46:57.27".len());
        assert_eq!(&stamp[4..5], ".");
        assert_eq!(&stamp[10..11], "-");
        assert_eq!(date.len(), 10);
    }

    #[test]
    fn tags_are_colored() {
        assert_eq!(Level::Debug.tag(), "\x1b[34m<debug>\x1b[0m ");
        assert_eq!(Level::NoTag.tag(), "");
    }
}
