//! Agent log lines on stderr, in the format of the official agent's `env_logger` (spec §7.2):
//! `[2025-04-11T20:05:14Z INFO  vaccel_rpc_agent] vAccel RPC agent started`.
//!
//! Why not `tracing` or `env_logger`: the agent logs a handful of fixed lines per request from one
//! module, and the format is part of what users grep for. Formatting a UTC timestamp and a level is
//! thirty lines; a logging framework would add several crates to a binary that is meant to stay
//! small. `RUST_LOG` is honoured as a single level (`error`, `warn`, `info`, `debug`, `trace`,
//! `off`; `target=level` items are matched against `vaccel_rpc_agent`), default `info`.
//!
//! Each line is formatted into one buffer and written with one `write` to stderr, so lines from
//! concurrent connections do not interleave. A connection thread holds the lines of a call back
//! until it has answered ([`defer`], [`flush`]): they are then written together, in order.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Log levels, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
}

impl Level {
    fn label(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN ",
            Level::Info => "INFO ",
            Level::Debug => "DEBUG",
        }
    }
}

/// The most verbose level printed (0 = off).
static MAX_LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);

/// The module path printed in every line.
const TARGET: &str = "vaccel_rpc_agent";

fn parse_level(s: &str) -> Option<u8> {
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "off" => 0,
        "error" => 1,
        "warn" => 2,
        "info" => 3,
        "debug" => 4,
        "trace" => 5,
        _ => return None,
    })
}

/// The level for a `RUST_LOG` value: the last bare level or `vaccel_rpc_agent=<level>` item.
pub fn level_from_filter(filter: &str) -> u8 {
    let mut level = Level::Info as u8;
    for item in filter.split(',') {
        match item.split_once('=') {
            Some((target, l)) if target.trim() == TARGET => {
                level = parse_level(l).unwrap_or(level);
            }
            Some(_) => {}
            None => level = parse_level(item).unwrap_or(level),
        }
    }
    level
}

/// Sets the level from `RUST_LOG`.
pub fn init_from_env() {
    if let Ok(filter) = std::env::var("RUST_LOG") {
        MAX_LEVEL.store(level_from_filter(&filter), Ordering::Relaxed);
    }
}

/// Whether `level` is printed.
pub fn enabled(level: Level) -> bool {
    level as u8 <= MAX_LEVEL.load(Ordering::Relaxed)
}

thread_local! {
    /// Lines held back on this thread while it is between reading a request and answering it
    /// ([`defer`]); `None` when lines go straight out.
    static DEFERRED: std::cell::RefCell<Option<Vec<u8>>> = const { std::cell::RefCell::new(None) };
    /// The last second formatted and its text (one call's lines share it).
    static STAMP: std::cell::RefCell<(u64, String)> = const { std::cell::RefCell::new((u64::MAX, String::new())) };
}

/// Holds this thread's log lines back until [`flush`]: a connection thread defers the lines of a
/// call while it runs it, answers the client, and only then writes them, so that the write to
/// stderr (a file or pipe: a system call of a microsecond or more) is not on the call's path.
pub fn defer() {
    DEFERRED.with(|d| {
        let mut d = d.borrow_mut();
        if d.is_none() {
            *d = Some(Vec::new());
        }
    });
}

/// Writes the lines held back since [`defer`] (with one `write`) and stops holding them back.
pub fn flush() {
    if let Some(buf) = DEFERRED.with(|d| d.borrow_mut().take())
        && !buf.is_empty()
    {
        let _ = std::io::stderr().lock().write_all(&buf);
    }
}

/// Writes one line (use the macros).
pub fn write(level: Level, args: std::fmt::Arguments<'_>) {
    use std::fmt::Write as _;
    let secs = now();
    let mut line = String::with_capacity(96);
    STAMP.with(|s| {
        let mut s = s.borrow_mut();
        if s.0 != secs {
            *s = (secs, timestamp(secs));
        }
        line.push('[');
        line.push_str(&s.1);
    });
    let _ = writeln!(line, " {} {TARGET}] {args}", level.label());
    let held = DEFERRED.with(|d| match d.borrow_mut().as_mut() {
        Some(buf) => {
            buf.extend_from_slice(line.as_bytes());
            true
        }
        None => false,
    });
    if !held {
        // One write per line; a failing stderr is not worth dying for.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the epoch (UTC).
pub fn timestamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

macro_rules! log_at {
    ($level:expr, $($arg:tt)*) => {
        if $crate::log::enabled($level) {
            $crate::log::write($level, format_args!($($arg)*));
        }
    };
}
macro_rules! error { ($($arg:tt)*) => { $crate::log::log_at!($crate::log::Level::Error, $($arg)*) }; }
macro_rules! warning { ($($arg:tt)*) => { $crate::log::log_at!($crate::log::Level::Warn, $($arg)*) }; }
macro_rules! info { ($($arg:tt)*) => { $crate::log::log_at!($crate::log::Level::Info, $($arg)*) }; }
macro_rules! debug { ($($arg:tt)*) => { $crate::log::log_at!($crate::log::Level::Debug, $($arg)*) }; }
pub(crate) use {debug, error, info, log_at, warning};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(timestamp(1_744_401_914), "2025-04-11T20:05:14Z");
        assert_eq!(timestamp(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn filters() {
        assert_eq!(level_from_filter("debug"), 4);
        assert_eq!(level_from_filter("off"), 0);
        assert_eq!(level_from_filter("ttrpc=trace,vaccel_rpc_agent=warn"), 2);
        assert_eq!(level_from_filter("bogus"), 3);
    }
}
