//! Profiling (spec §13): caller-owned regions of the C API and the per-op regions the runtime
//! records around every op and prints at unload.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use vaccel_abi::{self as abi, OpType, vaccel_prof_region, vaccel_prof_sample};

use crate::{Error, Result, cmem, debug, info};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turns profiling on or off (from the configuration at bootstrap and cleanup).
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// `vaccel_prof_enabled`.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Nanoseconds on `CLOCK_MONOTONIC_RAW`.
pub fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer; the clock id is supported on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_RAW, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Initial capacity of a region's sample array.
const INITIAL_SAMPLES: usize = 1024;

fn region_name(r: &vaccel_prof_region) -> String {
    // SAFETY: `name` is NULL or a C string the region was initialised with.
    unsafe { cmem::display(r.name) }
}

fn samples(r: &vaccel_prof_region) -> &[vaccel_prof_sample] {
    if r.samples.is_null() {
        return &[];
    }
    // SAFETY: `samples` holds `nr_entries` initialised samples (within `size` allocated).
    unsafe { std::slice::from_raw_parts(r.samples, r.nr_entries) }
}

/// `vaccel_prof_region_start`.
pub fn region_start(r: &mut vaccel_prof_region) -> Result<()> {
    if !enabled() {
        return Ok(());
    }
    if r.nr_entries == r.size {
        let size = if r.size == 0 {
            INITIAL_SAMPLES
        } else {
            r.size * 2
        };
        // SAFETY: `samples` is NULL or a libc allocation of this region; checked below.
        let p = unsafe {
            libc::realloc(
                r.samples.cast(),
                size * std::mem::size_of::<vaccel_prof_sample>(),
            )
        };
        if p.is_null() {
            return Err(Error::ENOMEM);
        }
        r.samples = p.cast();
        r.size = size;
    }
    debug!("Start profiling region {}", region_name(r));
    // SAFETY: `nr_entries < size` slots are allocated.
    unsafe {
        r.samples.add(r.nr_entries).write(vaccel_prof_sample {
            start: now_ns(),
            time: 0,
        })
    };
    r.nr_entries += 1;
    Ok(())
}

/// `vaccel_prof_region_stop`. The C signature takes a `const` region but fills the last sample.
pub fn region_stop(r: &vaccel_prof_region) -> Result<()> {
    if !enabled() {
        return Ok(());
    }
    if r.nr_entries == 0 || r.samples.is_null() {
        return Err(Error::ENOENT);
    }
    let end = now_ns();
    // SAFETY: the last sample is initialised (nr_entries > 0) and owned by the region.
    let last = unsafe { &mut *r.samples.add(r.nr_entries - 1) };
    last.time = end.saturating_sub(last.start);
    debug!("Stop profiling region {}", region_name(r));
    Ok(())
}

/// The `[prof]` line of a region with entries.
fn region_line(name: &str, total: u64, n: usize) -> String {
    format!("[prof] {name}: total_time: {total} nsec nr_entries: {n}")
}

/// The line of a C region, if it has entries.
pub fn region_text(r: &vaccel_prof_region) -> Option<String> {
    let s = samples(r);
    (!s.is_empty()).then(|| region_line(&region_name(r), s.iter().map(|x| x.time).sum(), s.len()))
}

/// `vaccel_prof_region_print`.
pub fn region_print(r: &vaccel_prof_region) -> Result<()> {
    if enabled()
        && let Some(line) = region_text(r)
    {
        info!("{line}");
    }
    Ok(())
}

/// `vaccel_prof_region_release`: frees the samples (and an owned name).
pub fn region_release(r: &mut vaccel_prof_region) -> Result<()> {
    // SAFETY: `samples` is NULL or allocated by region_start.
    unsafe { cmem::free(r.samples) };
    if r.name_owned {
        // SAFETY: an owned name was strdup'd by region_init.
        unsafe { cmem::free(r.name.cast_mut()) };
        r.name = std::ptr::null();
        r.name_owned = false;
    }
    r.samples = std::ptr::null_mut();
    r.nr_entries = 0;
    r.size = 0;
    Ok(())
}

/// `vaccel_prof_region_init`: an empty region with an owned copy of `name`.
pub fn region_init(r: &mut vaccel_prof_region, name: &str) -> Result<()> {
    let n = cmem::strdup(name);
    if n.is_null() {
        return Err(Error::ENOMEM);
    }
    *r = vaccel_prof_region {
        name: n,
        name_owned: true,
        nr_entries: 0,
        samples: std::ptr::null_mut(),
        size: 0,
    };
    Ok(())
}

/// Time spent in each op, keyed by op number; regions are merged by name when printed.
static OP_TIMES: Mutex<[(u64, usize); abi::ops::VACCEL_OP_MAX]> =
    Mutex::new([(0, 0); abi::ops::VACCEL_OP_MAX]);

/// Records one op call in its region; started by [`OpTimer::start`].
pub struct OpTimer {
    op: OpType,
    start: u64,
}

impl OpTimer {
    /// Starts timing an op call (a no-op when profiling is off).
    pub fn start(op: OpType) -> Option<OpTimer> {
        enabled().then(|| {
            debug!("Start profiling region {}", op.info().prof_region);
            OpTimer {
                op,
                start: now_ns(),
            }
        })
    }
}

impl Drop for OpTimer {
    fn drop(&mut self) {
        let elapsed = now_ns().saturating_sub(self.start);
        let mut t = OP_TIMES.lock().unwrap_or_else(|e| e.into_inner());
        t[self.op as usize].0 += elapsed;
        t[self.op as usize].1 += 1;
        drop(t);
        debug!("Stop profiling region {}", self.op.info().prof_region);
    }
}

/// The `[prof]` lines of the op regions with entries, in op-table order of first appearance.
pub fn op_region_lines() -> Vec<String> {
    let t = *OP_TIMES.lock().unwrap_or_else(|e| e.into_inner());
    let mut regions: Vec<(&str, u64, usize)> = Vec::new();
    for op in OpType::all() {
        let (time, n) = t[op as usize];
        if n == 0 {
            continue;
        }
        let name = op.info().prof_region;
        match regions.iter_mut().find(|r| r.0 == name) {
            Some(r) => {
                r.1 += time;
                r.2 += n;
            }
            None => regions.push((name, time, n)),
        }
    }
    regions
        .into_iter()
        .map(|(n, t, c)| region_line(n, t, c))
        .collect()
}

/// Prints the op regions (at unload, before cleanup).
pub fn print_op_regions() {
    if enabled() {
        for line in op_region_lines() {
            info!("{line}");
        }
    }
}
