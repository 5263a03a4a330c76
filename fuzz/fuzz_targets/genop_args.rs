//! Genop argument unpacking in libvaccel: arbitrary read and write arguments (types, sizes,
//! contents, NULL buffers) for every op, as an agent receives them from a client. Without a
//! session the op itself fails after its arguments are unpacked, so what runs is the unpacking:
//! it must answer an error code and never read outside the arguments.
#![no_main]

use std::ffi::c_void;

use libfuzzer_sys::fuzz_target;
use vaccel_abi::vaccel_arg;

/// Arguments described by the input: a count, then per argument a type byte, a length byte and
/// that many bytes (a length of 255 stands for a NULL buffer of size 0..8).
fn args(data: &mut &[u8], bufs: &mut Vec<Vec<u8>>) -> Vec<vaccel_arg> {
    let take = |d: &mut &[u8]| -> Option<u8> {
        let (&b, rest) = d.split_first()?;
        *d = rest;
        Some(b)
    };
    let n = take(data).unwrap_or(0) % 8;
    let mut out = Vec::new();
    for _ in 0..n {
        let (Some(ty), Some(len)) = (take(data), take(data)) else {
            break;
        };
        if len == 255 {
            out.push(vaccel_arg {
                buf: std::ptr::null_mut(),
                size: usize::from(ty % 9),
                type_: u32::from(ty % 24),
                custom_type_id: 0,
                owned: false,
            });
            continue;
        }
        let len = usize::from(len).min(data.len());
        let mut b = data[..len].to_vec();
        *data = &data[len..];
        let (buf, size) = if b.is_empty() {
            (std::ptr::null_mut(), 0)
        } else {
            (b.as_mut_ptr().cast::<c_void>(), b.len())
        };
        bufs.push(b);
        out.push(vaccel_arg {
            buf,
            size,
            type_: u32::from(ty % 24),
            custom_type_id: u32::from(ty),
            owned: false,
        });
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let mut d = data;
    let mut bufs = Vec::new();
    let mut read = args(&mut d, &mut bufs);
    let mut write = args(&mut d, &mut bufs);
    let (r, nr) = (read.as_mut_ptr(), read.len() as i32);
    let (w, nw) = (write.as_mut_ptr(), write.len() as i32);
    // SAFETY: every argument's buffer is NULL or owned by `bufs` for its stated size; the
    // arrays hold the given counts.
    let rc = unsafe { vaccel_core::genop::genop(std::ptr::null_mut(), r, nr, w, nw) };
    assert_ne!(rc, 0, "no session: the op cannot succeed");
});
