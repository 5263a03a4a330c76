//! `vaccel/prof.h`: caller-owned profiling regions.

use std::ffi::{c_char, c_int};

use vaccel_abi::{self as abi, vaccel_prof_region};
use vaccel_core::error::code_of;
use vaccel_core::{Error, prof};

use crate::ffi::{c_str, guard, guard_or};

/// The regions of a C array as a slice (empty for NULL or a non-positive count).
///
/// # Safety
/// `regions` must hold `n` regions when non-NULL.
unsafe fn regions<'a>(
    regions: *mut vaccel_prof_region,
    n: c_int,
) -> Option<&'a mut [vaccel_prof_region]> {
    // SAFETY: guaranteed by the caller.
    (!regions.is_null() && n >= 0)
        .then(|| unsafe { std::slice::from_raw_parts_mut(regions, n as usize) })
}

/// A region argument as a reference (EINVAL for NULL).
fn region_mut<'a>(p: *mut vaccel_prof_region) -> vaccel_core::Result<&'a mut vaccel_prof_region> {
    // SAFETY: C callers pass NULL or a live region.
    unsafe { p.as_mut() }.ok_or(Error::EINVAL)
}

/// A const region argument as a reference (EINVAL for NULL).
fn region_ref<'a>(p: *const vaccel_prof_region) -> vaccel_core::Result<&'a vaccel_prof_region> {
    // SAFETY: C callers pass NULL or a live region.
    unsafe { p.as_ref() }.ok_or(Error::EINVAL)
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_prof_enabled() -> bool {
    guard_or(false, prof::enabled)
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_prof_region_start(region: *mut vaccel_prof_region) -> c_int {
    guard(|| code_of(&region_mut(region).and_then(prof::region_start)))
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_prof_region_stop(region: *const vaccel_prof_region) -> c_int {
    guard(|| code_of(&region_ref(region).and_then(prof::region_stop)))
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_prof_region_print(region: *const vaccel_prof_region) -> c_int {
    guard(|| code_of(&region_ref(region).and_then(prof::region_print)))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_prof_region_init(
    region: *mut vaccel_prof_region,
    name: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: NULL or a live region / C string.
        let (Some(r), Some(n)) = (unsafe { region.as_mut() }, unsafe { c_str(name) }) else {
            return abi::VACCEL_EINVAL;
        };
        code_of(&prof::region_init(r, &n.to_string_lossy()))
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn vaccel_prof_region_release(region: *mut vaccel_prof_region) -> c_int {
    guard(|| code_of(&region_mut(region).and_then(prof::region_release)))
}

/// Runs `f` on the region named `name` in an array.
///
/// # Safety
/// As [`regions`]; `name` NULL or a C string.
unsafe fn by_name(
    rs: *mut vaccel_prof_region,
    n: c_int,
    name: *const c_char,
    f: impl FnOnce(&mut vaccel_prof_region) -> vaccel_core::Result<()>,
) -> c_int {
    // SAFETY: guaranteed by the caller.
    let (Some(rs), Some(name)) = (unsafe { regions(rs, n) }, unsafe { c_str(name) }) else {
        return abi::VACCEL_EINVAL;
    };
    let named = |r: &&mut vaccel_prof_region| {
        // SAFETY: region names are NULL or C strings.
        (unsafe { c_str(r.name) }) == Some(name)
    };
    match rs.iter_mut().find(named) {
        Some(r) => code_of(&f(r)),
        None => abi::VACCEL_ENOENT,
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_prof_regions_start_by_name(
    rs: *mut vaccel_prof_region,
    n: c_int,
    name: *const c_char,
) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { by_name(rs, n, name, prof::region_start) })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_prof_regions_stop_by_name(
    rs: *mut vaccel_prof_region,
    n: c_int,
    name: *const c_char,
) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { by_name(rs, n, name, |r| prof::region_stop(r)) })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_prof_regions_init(rs: *mut vaccel_prof_region, n: c_int) -> c_int {
    guard(|| {
        // SAFETY: forwarded contract.
        let Some(rs) = (unsafe { regions(rs, n) }) else {
            return abi::VACCEL_EINVAL;
        };
        for r in rs {
            r.nr_entries = 0;
            r.samples = std::ptr::null_mut();
            r.size = 0;
        }
        abi::VACCEL_OK
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_prof_regions_release(
    rs: *mut vaccel_prof_region,
    n: c_int,
) -> c_int {
    guard(|| {
        // SAFETY: forwarded contract.
        let Some(rs) = (unsafe { regions(rs, n) }) else {
            return abi::VACCEL_EINVAL;
        };
        rs.iter_mut().for_each(|r| {
            let _ = prof::region_release(r);
        });
        abi::VACCEL_OK
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_prof_regions_print_all(
    rs: *mut vaccel_prof_region,
    n: c_int,
) -> c_int {
    guard(|| {
        // SAFETY: forwarded contract.
        let Some(rs) = (unsafe { regions(rs, n) }) else {
            return abi::VACCEL_EINVAL;
        };
        rs.iter().for_each(|r| {
            let _ = prof::region_print(r);
        });
        abi::VACCEL_OK
    })
}

/// `int vaccel_prof_regions_print_all_to_buf(char **tbuf, size_t tbuf_len, regions, size)`:
/// the `[prof]` lines separated by NULs. With `tbuf == NULL` returns the size needed; otherwise
/// mallocs `tbuf_len` bytes into `*tbuf` and returns the number of regions.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_prof_regions_print_all_to_buf(
    tbuf: *mut *mut c_char,
    tbuf_len: usize,
    rs: *mut vaccel_prof_region,
    n: c_int,
) -> c_int {
    guard(|| {
        if !prof::enabled() {
            return 0;
        }
        // SAFETY: forwarded contract.
        let Some(rs) = (unsafe { regions(rs, n) }) else {
            return -abi::VACCEL_EINVAL;
        };
        let mut text = Vec::new();
        for line in rs.iter().filter_map(prof::region_text) {
            text.extend_from_slice(line.as_bytes());
            text.push(0);
        }
        if tbuf.is_null() {
            return text.len() as c_int;
        }
        // SAFETY: calloc has no preconditions; checked below.
        let buf = unsafe { libc::calloc(tbuf_len.max(1), 1) }.cast::<c_char>();
        if buf.is_null() {
            return -abi::VACCEL_ENOMEM;
        }
        let len = text.len().min(tbuf_len);
        // SAFETY: `buf` has `tbuf_len` bytes, `len <= tbuf_len`; `tbuf` is writable (caller).
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr().cast::<c_char>(), buf, len);
            *tbuf = buf;
        }
        n
    })
}
