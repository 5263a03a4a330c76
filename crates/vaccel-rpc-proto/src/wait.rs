//! Waiting for an answer: poll the socket for a few microseconds before blocking in `read`.
//!
//! A small call's answer comes back within tens of microseconds. A client thread that blocks in
//! `read` at once lets its core go idle, and waking an idle core is what a round trip mostly
//! costs on virtual machines: on the 2-core VM of `BENCHMARKS.md` a 64-byte unix ping-pong takes
//! 14 µs when the echo answers at once, but 18-20 µs as soon as the echo works for 1 µs first
//! (the waiting core has gone idle by then), and about 25 µs with the few µs of work of a real
//! call. A client that polls the socket without blocking for a bounded time keeps its core awake
//! for the answer (about 20 µs for that same call). This is the client-side counterpart of the
//! kernel's halt-polling, which such guests often lack.
//!
//! The poll is bounded and adaptive, so that it only spends CPU where it pays:
//! - at most the budget (`VACCEL_RPC_POLL_US`, default [`DEFAULT_BUDGET_US`] µs; `0` never
//!   polls), then the thread blocks as before;
//! - only while the connection's recent waits (an exponential moving average) fit within the
//!   budget: long calls (inference) and loaded machines (many clients on few cores, where
//!   round trips grow) block at once, and polling comes back when waits are short again;
//! - only while at most half the process's CPUs' worth of its threads (at least one) are waiting
//!   for answers: an application whose threads make calls concurrently on few cores blocks, so
//!   that polling threads do not take the cores its other threads (or a local agent) need.

use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Environment variable with the polling budget in microseconds.
pub const BUDGET_ENV: &str = "VACCEL_RPC_POLL_US";

/// Default polling budget, in microseconds.
pub const DEFAULT_BUDGET_US: u64 = 50;

/// Threads of this process waiting for an answer now ([`Waiting`]).
static WAITING: AtomicUsize = AtomicUsize::new(0);

/// How a client waits for the answers on one connection.
#[derive(Debug, Clone)]
pub struct AnswerWait {
    budget: Duration,
    /// Moving average of recent waits (ns), weight 1/8 for the newest.
    average_ns: u64,
}

impl AnswerWait {
    /// Polls for at most `budget` before blocking (zero: never polls).
    pub fn new(budget: Duration) -> AnswerWait {
        AnswerWait {
            budget,
            average_ns: 0,
        }
    }

    /// The budget from [`BUDGET_ENV`]; the default when it is unset or not a number.
    pub fn from_env() -> AnswerWait {
        let us = std::env::var(BUDGET_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(DEFAULT_BUDGET_US);
        AnswerWait::new(Duration::from_micros(us))
    }

    /// Whether the next wait would poll (the budget is not zero and recent waits fit in it).
    pub fn polls(&self) -> bool {
        !self.budget.is_zero() && self.average_ns <= self.budget.as_nanos() as u64
    }

    /// Starts waiting for an answer on `fd` (nothing of it buffered yet): polls until the socket
    /// is readable (data, end of stream or an error for the read to report) or the budget is
    /// spent, when [`AnswerWait::polls`] and few enough threads of the process wait. The
    /// blocking read follows; the wait counts until the returned guard is dropped.
    pub fn start(&self, fd: Option<BorrowedFd<'_>>) -> Waiting {
        let waiting = WAITING.fetch_add(1, Ordering::AcqRel) + 1;
        let mut readable = false;
        if let Some(fd) = fd.filter(|_| self.polls() && waiting <= max_polling()) {
            let start = Instant::now();
            readable = loop {
                if readable_now(fd) {
                    break true;
                }
                if start.elapsed() >= self.budget {
                    break false;
                }
                std::hint::spin_loop();
            };
        }
        Waiting { readable }
    }

    /// Records how long a request waited for its answer.
    pub fn observed(&mut self, wait: Duration) {
        let ns = u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX);
        self.average_ns = self.average_ns - self.average_ns / 8 + ns / 8;
    }
}

/// A thread waiting for an answer ([`AnswerWait::start`]), until dropped.
#[derive(Debug)]
#[must_use = "the wait lasts until the guard is dropped, after the read"]
pub struct Waiting {
    readable: bool,
}

impl Waiting {
    /// Whether polling found the socket readable (the read will not block).
    pub fn readable(&self) -> bool {
        self.readable
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        WAITING.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Threads that may wait with polling: half the CPUs this process may run on, at least one.
fn max_polling() -> usize {
    static MAX: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *MAX.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get() / 2)
            .max(1)
    })
}

/// Whether a read on `fd` would not block: a non-blocking `MSG_PEEK` of one byte finds data, the
/// end of the stream, or an error other than "would block".
#[allow(unsafe_code)]
fn readable_now(fd: BorrowedFd<'_>) -> bool {
    let mut byte = 0u8;
    // SAFETY: `byte` is one writable byte; `fd` is an open socket borrowed for the call;
    // MSG_PEEK leaves the data in the socket for the read that follows.
    let n = unsafe {
        libc::recv(
            fd.as_raw_fd(),
            (&raw mut byte).cast(),
            1,
            libc::MSG_PEEK | libc::MSG_DONTWAIT,
        )
    };
    if n >= 0 {
        return true;
    }
    let e = std::io::Error::last_os_error().raw_os_error();
    e != Some(libc::EAGAIN) && e != Some(libc::EWOULDBLOCK) && e != Some(libc::EINTR)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsFd;
    use std::os::unix::net::UnixStream;

    #[test]
    fn finds_data_end_of_stream_and_gives_up_after_the_budget() {
        let (mut a, b) = UnixStream::pair().unwrap();
        let w = AnswerWait::new(Duration::from_millis(20));
        // Nothing to read: polls for the budget, then gives up.
        let start = Instant::now();
        assert!(!w.start(Some(b.as_fd())).readable());
        assert!(start.elapsed() >= Duration::from_millis(20));
        // Data arriving while it polls is found at once, and left for the read.
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(2));
            a.write_all(b"x").unwrap();
            a
        });
        assert!(w.start(Some(b.as_fd())).readable());
        let a = writer.join().unwrap();
        let mut buf = [0u8; 1];
        assert_eq!(std::io::Read::read(&mut &b, &mut buf).unwrap(), 1);
        // The end of the stream is readable too.
        drop(a);
        assert!(w.start(Some(b.as_fd())).readable());
        // Another thread of the process already waiting (one may poll on these 2 CPUs, or
        // half of more): this one would block at once.
        if max_polling() == 1 {
            let other = w.start(None);
            let start = Instant::now();
            let (_c, d) = UnixStream::pair().unwrap();
            assert!(!w.start(Some(d.as_fd())).readable());
            assert!(start.elapsed() < Duration::from_millis(5));
            drop(other);
        }
    }

    #[test]
    fn polls_only_while_recent_waits_fit_the_budget() {
        let mut w = AnswerWait::new(Duration::from_micros(50));
        assert!(w.polls());
        for _ in 0..32 {
            w.observed(Duration::from_micros(400));
        }
        assert!(!w.polls(), "long waits: block at once");
        for _ in 0..32 {
            w.observed(Duration::from_micros(20));
        }
        assert!(w.polls(), "short waits again: poll again");
        assert!(!AnswerWait::new(Duration::ZERO).polls());
        let (_a, b) = UnixStream::pair().unwrap();
        let start = Instant::now();
        assert!(
            !AnswerWait::new(Duration::ZERO)
                .start(Some(b.as_fd()))
                .readable()
        );
        assert!(start.elapsed() < Duration::from_millis(5));
    }
}
