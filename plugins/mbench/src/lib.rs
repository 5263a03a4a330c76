//! The vAccel mbench plugin (`libvaccel-mbench.so`, spec §18.3): a micro-benchmark backend.
//!
//! It implements only `VACCEL_OP_EXEC`: called with `library` or `fn_symbol` equal to `mbench`
//! and a first read argument holding a decimal number of milliseconds (1 to 300000), it
//! busy-waits that long on `CLOCK_MONOTONIC_RAW` inside its own profiling region
//! `vaccel_mbench_plugin`, which `fini` prints and releases.

use std::ffi::{c_char, c_int};

use vaccel_plugin::abi::{
    VACCEL_EINVAL, VACCEL_OK, VACCEL_PLUGIN_CPU, VACCEL_PLUGIN_GENERIC, VACCEL_PLUGIN_SOFTWARE,
    vaccel_arg, vaccel_session,
};
use vaccel_plugin::{ProfRegion, cstr, debug, guard, slice};

vaccel_plugin::plugin! {
    name: c"mbench",
    type: VACCEL_PLUGIN_SOFTWARE | VACCEL_PLUGIN_GENERIC | VACCEL_PLUGIN_CPU,
    fini: fini,
    ops: [Exec => mbench],
}

/// Longest accepted wait, in milliseconds.
const MAX_TIME_MS: i64 = 300_000;

static REGION: ProfRegion = ProfRegion::new(c"vaccel_mbench_plugin");

fn fini() -> c_int {
    REGION.print();
    REGION.release();
    VACCEL_OK
}

/// `atoi` over at most `buf.len()` bytes: optional leading white space, an optional sign, then
/// decimal digits up to the first other byte (or NUL). Saturates instead of overflowing.
fn atoi(buf: &[u8]) -> i64 {
    let mut it = buf
        .iter()
        .copied()
        .take_while(|&b| b != 0)
        .skip_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))
        .peekable();
    let negative = match it.peek() {
        Some(b'-') => {
            it.next();
            true
        }
        Some(b'+') => {
            it.next();
            false
        }
        _ => false,
    };
    let mut n: i64 = 0;
    for b in it.take_while(u8::is_ascii_digit) {
        n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if negative { -n } else { n }
}

/// The requested wait in milliseconds, if `library`/`symbol` name mbench, there are at least two
/// read arguments and the first holds a number in `[1, 300000]`.
fn requested_ms(library: Option<&[u8]>, symbol: Option<&[u8]>, read: &[vaccel_arg]) -> Option<u64> {
    if library != Some(b"mbench") && symbol != Some(b"mbench") {
        return None;
    }
    if read.len() < 2 || read[0].buf.is_null() {
        return None;
    }
    // SAFETY: a read argument's `buf` holds `size` bytes.
    let buf = unsafe { slice(read[0].buf.cast::<u8>().cast_const(), read[0].size) }?;
    let ms = atoi(buf);
    (1..=MAX_TIME_MS).contains(&ms).then_some(ms as u64)
}

fn monotonic_raw_ns() -> u128 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer; CLOCK_MONOTONIC_RAW always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_RAW, &mut ts) };
    ts.tv_sec as u128 * 1_000_000_000 + ts.tv_nsec as u128
}

fn busy_wait_ms(ms: u64) {
    let start = monotonic_raw_ns();
    let end = start + u128::from(ms) * 1_000_000;
    while monotonic_raw_ns() < end {
        std::hint::spin_loop();
    }
}

/// `VACCEL_OP_EXEC`.
unsafe extern "C" fn mbench(
    sess: *mut vaccel_session,
    library: *const c_char,
    fn_symbol: *const c_char,
    read: *mut vaccel_arg,
    nr_read: usize,
    _write: *mut vaccel_arg,
    _nr_write: usize,
) -> c_int {
    guard("mbench", || {
        // SAFETY: the core passes a valid session or NULL.
        let Some(sess) = (unsafe { sess.as_ref() }) else {
            return VACCEL_EINVAL;
        };
        debug!("Calling mbench for session {}", sess.id);
        let (library, symbol, read) =
            // SAFETY: the strings are NULL or NUL-terminated, the arguments NULL or `nr_read` long.
            unsafe { (cstr(library), cstr(fn_symbol), slice(read, nr_read)) };
        let Some(read) = read else {
            return VACCEL_EINVAL;
        };
        let Some(ms) = requested_ms(
            library.map(|s| s.to_bytes()),
            symbol.map(|s| s.to_bytes()),
            read,
        ) else {
            return VACCEL_EINVAL;
        };
        REGION.start();
        busy_wait_ms(ms);
        REGION.stop();
        debug!("[mbench] {ms} ms elapsed");
        VACCEL_OK
    })
}

#[cfg(test)]
vaccel_plugin::test_stubs!();

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_stubs::{debug_lines, prof_calls};
    use vaccel_plugin::abi::{OpType, VACCEL_PLUGIN_DEBUG};

    fn arg(buf: &mut [u8]) -> vaccel_arg {
        vaccel_arg {
            buf: buf.as_mut_ptr().cast(),
            size: buf.len(),
            type_: 0,
            custom_type_id: 0,
            owned: false,
        }
    }

    #[test]
    fn atoi_semantics() {
        assert_eq!(atoi(b"1"), 1);
        assert_eq!(atoi(b"  42abc"), 42);
        assert_eq!(atoi(b"-3"), -3);
        assert_eq!(atoi(b"+7\0"), 7);
        assert_eq!(atoi(b"12\x0034"), 12);
        assert_eq!(atoi(b"x1"), 0);
        assert_eq!(atoi(b""), 0);
        assert_eq!(atoi(b"99999999999999999999999"), i64::MAX);
        // Bounded by the buffer: no NUL needed.
        assert_eq!(atoi(&b"123"[..2]), 12);
    }

    #[test]
    fn request_validation() {
        let mut t = *b"5\0";
        let mut img = [0u8; 4];
        let read = [arg(&mut t), arg(&mut img)];
        assert_eq!(requested_ms(Some(b"mbench"), Some(b"x"), &read), Some(5));
        assert_eq!(
            requested_ms(Some(b"lib.so"), Some(b"mbench"), &read),
            Some(5)
        );
        assert_eq!(requested_ms(None, Some(b"mbench"), &read), Some(5));
        assert_eq!(requested_ms(Some(b"lib.so"), Some(b"f"), &read), None);
        assert_eq!(requested_ms(Some(b"mbench"), None, &read[..1]), None);
        for bad in [&b"0"[..], b"300001", b"-1", b"abc"] {
            let mut t = bad.to_vec();
            let read = [arg(&mut t), arg(&mut img)];
            assert_eq!(requested_ms(Some(b"mbench"), None, &read), None, "{bad:?}");
        }
        let mut t = *b"300000";
        let read = [arg(&mut t), arg(&mut img)];
        assert_eq!(requested_ms(Some(b"mbench"), None, &read), Some(300_000));
    }

    #[test]
    fn exec_waits_and_logs() {
        // SAFETY: an all-zero session is a valid value of the plain C struct.
        let mut sess: vaccel_session = unsafe { std::mem::zeroed() };
        sess.id = 1;
        let mut t = *b"2\0";
        let mut img = [0u8; 4];
        let mut read = [arg(&mut t), arg(&mut img)];
        prof_calls();
        let start = std::time::Instant::now();
        // SAFETY: valid session, strings and arguments.
        let rc = unsafe {
            mbench(
                &mut sess,
                c"mbench".as_ptr(),
                c"mbench".as_ptr(),
                read.as_mut_ptr(),
                2,
                std::ptr::null_mut(),
                0,
            )
        };
        assert_eq!(rc, VACCEL_OK);
        assert!(start.elapsed() >= std::time::Duration::from_millis(2));
        assert_eq!(
            debug_lines(),
            ["Calling mbench for session 1", "[mbench] 2 ms elapsed"]
        );
        assert_eq!(prof_calls(), ["start", "stop"]);

        // SAFETY: as above; a NULL library and a bad symbol are rejected after the first line.
        let rc = unsafe {
            mbench(
                &mut sess,
                std::ptr::null(),
                c"f".as_ptr(),
                read.as_mut_ptr(),
                2,
                std::ptr::null_mut(),
                0,
            )
        };
        assert_eq!(rc, VACCEL_EINVAL);
        assert_eq!(debug_lines(), ["Calling mbench for session 1"]);
        // SAFETY: NULL session.
        let rc = unsafe {
            mbench(
                std::ptr::null_mut(),
                c"mbench".as_ptr(),
                c"mbench".as_ptr(),
                read.as_mut_ptr(),
                2,
                std::ptr::null_mut(),
                0,
            )
        };
        assert_eq!(rc, VACCEL_EINVAL);
        assert!(prof_calls().is_empty());
    }

    #[test]
    fn plugin_image() {
        // SAFETY: reading the plugin's statics on one test thread, as the core would.
        unsafe {
            let p = vaccel_plugin;
            assert_eq!(p, &raw const __VACCEL_THIS_PLUGIN);
            let info = &*(*p).info;
            assert_eq!(cstr(info.name), Some(c"mbench"));
            assert_eq!(
                cstr(info.version),
                Some(vaccel_plugin::abi::VACCEL_VERSION_C)
            );
            assert_eq!(
                cstr(info.vaccel_version),
                Some(vaccel_plugin::abi::VACCEL_VERSION_C)
            );
            assert_eq!(info.type_, 0x89);
            assert_eq!(info.type_ & VACCEL_PLUGIN_DEBUG, 0);
            assert!(!info.is_virtio);
            assert!(info.resource_unregister.is_none());
            assert_eq!((*p).entry.next, (&raw const (*p).entry).cast_mut());
            assert_eq!((*p).entry.prev, (&raw const (*p).entry).cast_mut());
            assert!((*p).dl_handle.is_null());
            assert!((*p).ops.iter().all(|o| o.is_null()));
            assert_eq!((info.init.unwrap())(), 0);
            let regs = crate::test_stubs::registered();
            assert_eq!(regs.len(), 1);
            assert_eq!(regs[0].0, OpType::Exec as u32);
            assert_eq!(regs[0].1, mbench as *mut std::ffi::c_void);
            assert_eq!(regs[0].2.cast_const(), p);
            assert_eq!(prof_calls(), Vec::<&str>::new());
            assert_eq!((info.fini.unwrap())(), 0);
            assert_eq!(prof_calls(), ["print", "release"]);
        }
    }
}
