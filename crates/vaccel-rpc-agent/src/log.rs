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
//! until it has answered ([`defer`], [`flush`]) and then hands them to the process-wide batch,
//! which the connection watcher writes out on its next tick ([`drain`], at most 10 ms later)
//! while calls keep coming: at tens of thousands of calls a second, one `write` per tick instead
//! of one per call (the per-call `info` line is the agent's only per-call system call besides
//! reading the request and writing the answer). The order of lines is kept: a line written
//! directly (outside a call, or when nothing drains the batch) first writes out the batch. Like
//! glog's buffered INFO lines, what the batch holds when the process is killed outright (not on
//! a signal the agent handles) is lost; a normal exit drains it.

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
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

/// Lines of answered calls not yet written, in order, and whether something drains them.
struct Batch {
    lines: Mutex<Vec<u8>>,
    /// Something drains the batch within a tick (the watcher, while calls run).
    batching: AtomicBool,
}

/// A batch this large is written at once.
const BATCH_MAX: usize = 64 << 10;

impl Batch {
    const fn new() -> Batch {
        Batch {
            lines: Mutex::new(Vec::new()),
            batching: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes out `lines` (one `write`) and empties them.
    fn write_out(lines: &mut Vec<u8>, out: &mut dyn Write) {
        if lines.is_empty() {
            return;
        }
        // A failing stderr is not worth dying for.
        let _ = out.write_all(lines);
        lines.clear();
        if lines.capacity() > 4 * BATCH_MAX {
            lines.shrink_to(BATCH_MAX);
        }
    }

    /// Adds a call's lines (written now when nothing drains the batch, or when it is large).
    fn add(&self, call: &[u8], out: &mut dyn Write) {
        let mut b = self.lock();
        b.extend_from_slice(call);
        if b.len() >= BATCH_MAX {
            Batch::write_out(&mut b, out);
        }
        drop(b);
        // Pairs with `set_batching(false)`, which clears the flag before its last drain: either
        // that drain sees these lines, or this load sees the flag cleared and drains them here.
        if !self.batching.load(Ordering::SeqCst) {
            self.drain(out);
        }
    }

    /// Writes the batch and then `line`, with one write.
    fn direct(&self, line: &[u8], out: &mut dyn Write) {
        let mut b = self.lock();
        b.extend_from_slice(line);
        Batch::write_out(&mut b, out);
    }

    fn drain(&self, out: &mut dyn Write) {
        Batch::write_out(&mut self.lock(), out);
    }

    fn set_batching(&self, on: bool, out: &mut dyn Write) {
        self.batching.store(on, Ordering::SeqCst);
        if !on {
            self.drain(out);
        }
    }
}

static BATCH: Batch = Batch::new();

/// Stops holding this thread's lines back and adds those held since [`defer`] to the batch.
pub fn flush() {
    if let Some(lines) = DEFERRED.with(|d| d.borrow_mut().take())
        && !lines.is_empty()
    {
        BATCH.add(&lines, &mut std::io::stderr());
    }
}

/// Writes out the batch.
pub fn drain() {
    BATCH.drain(&mut std::io::stderr());
}

/// Whether a periodic [`drain`] runs (the watcher sets it while it ticks). Turning it off drains.
pub fn set_batching(on: bool) {
    BATCH.set_batching(on, &mut std::io::stderr());
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
        // The batch first, then this line.
        BATCH.direct(line.as_bytes(), &mut std::io::stderr());
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
    fn batched_lines_keep_their_order_and_are_drained() {
        let b = Batch::new();
        let mut out = Vec::new();
        // Nothing drains: a call's lines go out at once.
        b.add(b"1\n", &mut out);
        assert_eq!(out, b"1\n");
        // Batching: they wait for a drain...
        b.set_batching(true, &mut out);
        b.add(b"2\n", &mut out);
        b.add(b"3\n", &mut out);
        assert_eq!(out, b"1\n");
        // ...a direct line writes the batch first, in one write...
        b.direct(b"4\n", &mut out);
        assert_eq!(out, b"1\n2\n3\n4\n");
        b.add(b"5\n", &mut out);
        b.drain(&mut out);
        assert_eq!(out, b"1\n2\n3\n4\n5\n");
        // ...a large batch goes out at once, and turning batching off drains.
        b.add(&vec![b'x'; BATCH_MAX], &mut out);
        assert_eq!(out.len(), 10 + BATCH_MAX);
        b.add(b"6\n", &mut out);
        b.set_batching(false, &mut out);
        assert!(out.ends_with(b"x6\n"));
    }

    #[test]
    fn filters() {
        assert_eq!(level_from_filter("debug"), 4);
        assert_eq!(level_from_filter("off"), 0);
        assert_eq!(level_from_filter("ttrpc=trace,vaccel_rpc_agent=warn"), 2);
        assert_eq!(level_from_filter("bogus"), 3);
    }
}
