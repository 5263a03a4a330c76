//! A plugin-owned profiling region.

use std::ffi::{CStr, c_int};
use std::sync::{Mutex, MutexGuard};

use vaccel_abi::vaccel_prof_region;

use crate::ffi;

/// A `struct vaccel_prof_region` in a `static`, recorded through the core's profiling functions
/// (which do nothing while profiling is disabled).
///
/// The region is guarded by a mutex, so concurrent ops never touch its sample array at the same
/// time; as in C, `stop` completes the most recently started sample.
pub struct ProfRegion(Mutex<Region>);

struct Region(vaccel_prof_region);

// SAFETY: the region's pointers are its static name and the sample array the core allocates for
// it; both are only accessed through the mutex, from whichever thread holds it.
unsafe impl Send for Region {}

impl ProfRegion {
    /// `VACCEL_PROF_REGION_INIT(name)`: not owned, no samples.
    pub const fn new(name: &'static CStr) -> ProfRegion {
        ProfRegion(Mutex::new(Region(vaccel_prof_region {
            name: name.as_ptr(),
            name_owned: false,
            nr_entries: 0,
            samples: std::ptr::null_mut(),
            size: 0,
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Region> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `vaccel_prof_region_start`.
    pub fn start(&self) -> c_int {
        let mut r = self.lock();
        // SAFETY: the region is a valid, exclusively borrowed `vaccel_prof_region`.
        unsafe { ffi::vaccel_prof_region_start(&mut r.0) }
    }

    /// `vaccel_prof_region_stop`.
    pub fn stop(&self) -> c_int {
        let r = self.lock();
        // SAFETY: the region is a valid `vaccel_prof_region`; the mutex excludes other access.
        unsafe { ffi::vaccel_prof_region_stop(&r.0) }
    }

    /// `vaccel_prof_region_print`: info `[prof] <name>: total_time: ...` if it has samples.
    pub fn print(&self) -> c_int {
        let r = self.lock();
        // SAFETY: the region is a valid `vaccel_prof_region`.
        unsafe { ffi::vaccel_prof_region_print(&r.0) }
    }

    /// `vaccel_prof_region_release`: frees the samples; the region can be started again.
    pub fn release(&self) -> c_int {
        let mut r = self.lock();
        let name = r.0.name;
        // SAFETY: the region is a valid, exclusively borrowed `vaccel_prof_region`.
        let rc = unsafe { ffi::vaccel_prof_region_release(&mut r.0) };
        // Whatever the core left behind, the region is empty and keeps its static name.
        r.0 = vaccel_prof_region {
            name,
            name_owned: false,
            nr_entries: 0,
            samples: std::ptr::null_mut(),
            size: 0,
        };
        rc
    }
}
