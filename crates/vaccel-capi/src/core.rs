//! `vaccel/core.h` and `vaccel/config.h`, plus the load-time constructor and unload-time
//! destructor that bootstrap and clean up the runtime (spec §6).

use std::cell::UnsafeCell;
use std::ffi::{c_char, c_int};

use vaccel_abi::{self as abi, vaccel_config};
use vaccel_core::config::{self, Config};
use vaccel_core::error::code_of;
use vaccel_core::{cmem, prof, runtime};

use crate::ffi::{guard, guard_or};

/// The global configuration and run-directory buffer that `vaccel_config()` and
/// `vaccel_rundir()` hand out pointers to.
struct Exposed {
    config: UnsafeCell<vaccel_config>,
    rundir: UnsafeCell<[c_char; abi::PATH_MAX]>,
}
// SAFETY: written only by bootstrap/cleanup, which the C API does not allow to race with other
// calls; readers get the same contract as upstream's static globals.
unsafe impl Sync for Exposed {}

static EXPOSED: Exposed = Exposed {
    config: UnsafeCell::new(vaccel_config {
        plugins: std::ptr::null_mut(),
        log_level: abi::VACCEL_LOG_ERROR,
        log_file: std::ptr::null_mut(),
        profiling_enabled: false,
        version_ignore: false,
    }),
    rundir: UnsafeCell::new([0; abi::PATH_MAX]),
};

/// The Rust view of a C configuration.
///
/// # Safety
/// The strings must be NULL or valid C strings.
pub unsafe fn from_c(c: &vaccel_config) -> Config {
    // SAFETY: guaranteed by the caller.
    unsafe {
        Config {
            plugins: cmem::to_string(c.plugins),
            log_level: c.log_level,
            log_file: cmem::to_string(c.log_file),
            profiling_enabled: c.profiling_enabled,
            version_ignore: c.version_ignore,
        }
    }
}

/// Fills a C configuration with strdup'd copies (the old strings are not freed).
fn fill_c(c: &mut vaccel_config, cfg: &Config) -> c_int {
    let dup = |s: &Option<String>| s.as_deref().map_or(std::ptr::null_mut(), cmem::strdup);
    *c = vaccel_config {
        plugins: dup(&cfg.plugins),
        log_level: cfg.log_level,
        log_file: dup(&cfg.log_file),
        profiling_enabled: cfg.profiling_enabled,
        version_ignore: cfg.version_ignore,
    };
    let lost = |src: &Option<String>, dst: *mut c_char| src.is_some() && dst.is_null();
    if lost(&cfg.plugins, c.plugins) || lost(&cfg.log_file, c.log_file) {
        release_c(c);
        return abi::VACCEL_ENOMEM;
    }
    abi::VACCEL_OK
}

/// Frees the strings of a C configuration and resets it to the defaults.
fn release_c(c: &mut vaccel_config) {
    // SAFETY: the strings were strdup'd by fill_c (configs handed to callers are only ever
    // filled by this module).
    unsafe {
        cmem::free(c.plugins);
        cmem::free(c.log_file);
    }
    let defaults = Config::default();
    *c = vaccel_config {
        plugins: std::ptr::null_mut(),
        log_level: defaults.log_level,
        log_file: std::ptr::null_mut(),
        profiling_enabled: false,
        version_ignore: false,
    };
}

/// Refreshes the exposed global config and rundir from the runtime.
fn refresh_exposed() {
    // SAFETY: see `Exposed`: no concurrent access during bootstrap/cleanup.
    let (c, r) = unsafe { (&mut *EXPOSED.config.get(), &mut *EXPOSED.rundir.get()) };
    release_c(c);
    fill_c(c, &runtime::config());
    *r = [0; abi::PATH_MAX];
    if let Some(dir) = runtime::rundir() {
        for (d, s) in r.iter_mut().zip(
            dir.as_os_str()
                .as_encoded_bytes()
                .iter()
                .take(abi::PATH_MAX - 1),
        ) {
            *d = *s as c_char;
        }
    }
}

/// `int vaccel_bootstrap(void)`.
#[unsafe(no_mangle)]
pub extern "C" fn vaccel_bootstrap() -> c_int {
    guard(|| {
        let r = runtime::bootstrap();
        refresh_exposed();
        code_of(&r)
    })
}

/// `int vaccel_bootstrap_with_config(struct vaccel_config *config)`.
///
/// # Safety
/// `config` must be NULL or a valid configuration.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_bootstrap_with_config(config: *mut vaccel_config) -> c_int {
    guard(|| {
        // SAFETY: guaranteed by the caller.
        let Some(c) = (unsafe { config.as_ref() }) else {
            return abi::VACCEL_EINVAL;
        };
        // SAFETY: a valid config has NULL or valid strings.
        let cfg = unsafe { from_c(c) };
        let r = runtime::bootstrap_with(cfg);
        refresh_exposed();
        code_of(&r)
    })
}

/// `int vaccel_cleanup(void)`.
#[unsafe(no_mangle)]
pub extern "C" fn vaccel_cleanup() -> c_int {
    guard(|| {
        let r = runtime::cleanup();
        refresh_exposed();
        // SAFETY: see `Exposed`.
        release_c(unsafe { &mut *EXPOSED.config.get() });
        code_of(&r)
    })
}

/// `bool vaccel_is_initialized(void)`.
#[unsafe(no_mangle)]
pub extern "C" fn vaccel_is_initialized() -> bool {
    guard_or(false, runtime::is_initialized)
}

/// `const char *vaccel_rundir(void)`: the top-level run directory (empty when not bootstrapped).
#[unsafe(no_mangle)]
pub extern "C" fn vaccel_rundir() -> *const c_char {
    EXPOSED.rundir.get().cast()
}

/// `const struct vaccel_config *vaccel_config(void)`.
#[unsafe(no_mangle)]
pub extern "C" fn vaccel_config() -> *const vaccel_config {
    EXPOSED.config.get()
}

/// `int vaccel_config_init(...)`.
///
/// # Safety
/// Pointers must be NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_config_init(
    config: *mut vaccel_config,
    plugins: *const c_char,
    log_level: u32,
    log_file: *const c_char,
    profiling_enabled: bool,
    version_ignore: bool,
) -> c_int {
    guard(|| {
        // SAFETY: guaranteed by the caller.
        let Some(c) = (unsafe { config.as_mut() }) else {
            return abi::VACCEL_EINVAL;
        };
        // SAFETY: as above.
        let cfg = unsafe {
            Config {
                plugins: cmem::to_string(plugins),
                log_level,
                log_file: cmem::to_string(log_file),
                profiling_enabled,
                version_ignore,
            }
        };
        fill_c(c, &cfg)
    })
}

/// `int vaccel_config_init_from_env(struct vaccel_config *config)`.
///
/// # Safety
/// `config` must be NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_config_init_from_env(config: *mut vaccel_config) -> c_int {
    guard(|| {
        // SAFETY: guaranteed by the caller.
        let Some(c) = (unsafe { config.as_mut() }) else {
            return abi::VACCEL_EINVAL;
        };
        match Config::from_env() {
            Ok(cfg) => fill_c(c, &cfg),
            Err(e) => e.code(),
        }
    })
}

/// `int vaccel_config_init_from(struct vaccel_config *config, struct vaccel_config *src)`.
///
/// # Safety
/// Both must be NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_config_init_from(
    config: *mut vaccel_config,
    src: *mut vaccel_config,
) -> c_int {
    guard(|| {
        // SAFETY: guaranteed by the caller.
        let (Some(c), Some(s)) = (unsafe { config.as_mut() }, unsafe { src.as_ref() }) else {
            return abi::VACCEL_EINVAL;
        };
        // SAFETY: a valid config has NULL or valid strings.
        let cfg = unsafe { from_c(s) };
        fill_c(c, &cfg)
    })
}

/// `int vaccel_config_release(struct vaccel_config *config)`.
///
/// # Safety
/// `config` must be NULL or initialised by this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_config_release(config: *mut vaccel_config) -> c_int {
    guard(|| {
        // SAFETY: guaranteed by the caller.
        let Some(c) = (unsafe { config.as_mut() }) else {
            return abi::VACCEL_EINVAL;
        };
        release_c(c);
        abi::VACCEL_OK
    })
}

/// Mallocs a config struct and initialises it with `init`.
fn new_config(
    out: *mut *mut vaccel_config,
    init: impl FnOnce(*mut vaccel_config) -> c_int,
) -> c_int {
    if out.is_null() {
        return abi::VACCEL_EINVAL;
    }
    // SAFETY: calloc has no preconditions; checked below.
    let c =
        unsafe { libc::calloc(1, std::mem::size_of::<vaccel_config>()) }.cast::<vaccel_config>();
    if c.is_null() {
        return abi::VACCEL_ENOMEM;
    }
    let ret = init(c);
    if ret != abi::VACCEL_OK {
        // SAFETY: allocated above.
        unsafe { cmem::free(c) };
        return ret;
    }
    // SAFETY: `out` is non-NULL (checked) and writable (caller contract).
    unsafe { *out = c };
    abi::VACCEL_OK
}

/// `int vaccel_config_new(...)`.
///
/// # Safety
/// As `vaccel_config_init`; `config` must be a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_config_new(
    config: *mut *mut vaccel_config,
    plugins: *const c_char,
    log_level: u32,
    log_file: *const c_char,
    profiling_enabled: bool,
    version_ignore: bool,
) -> c_int {
    guard(|| {
        new_config(config, |c| {
            // SAFETY: forwarded contract; `c` is a fresh struct.
            unsafe {
                vaccel_config_init(
                    c,
                    plugins,
                    log_level,
                    log_file,
                    profiling_enabled,
                    version_ignore,
                )
            }
        })
    })
}

/// `int vaccel_config_from_env(struct vaccel_config **config)`.
///
/// # Safety
/// `config` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_config_from_env(config: *mut *mut vaccel_config) -> c_int {
    // SAFETY: `c` is a fresh struct.
    guard(|| new_config(config, |c| unsafe { vaccel_config_init_from_env(c) }))
}

/// `int vaccel_config_from(struct vaccel_config **config, struct vaccel_config *src)`.
///
/// # Safety
/// `config` must be NULL or writable; `src` NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_config_from(
    config: *mut *mut vaccel_config,
    src: *mut vaccel_config,
) -> c_int {
    // SAFETY: `c` is a fresh struct; `src` per the caller.
    guard(|| new_config(config, |c| unsafe { vaccel_config_init_from(c, src) }))
}

/// `int vaccel_config_delete(struct vaccel_config *config)`.
///
/// # Safety
/// `config` must be NULL or from `vaccel_config_new`/`_from*`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_config_delete(config: *mut vaccel_config) -> c_int {
    guard(|| {
        // SAFETY: guaranteed by the caller.
        let Some(c) = (unsafe { config.as_mut() }) else {
            return abi::VACCEL_EINVAL;
        };
        release_c(c);
        // SAFETY: malloc'd by new_config.
        unsafe { cmem::free(config) };
        abi::VACCEL_OK
    })
}

/// `void vaccel_config_print_debug(struct vaccel_config *config)`.
///
/// # Safety
/// `config` must be NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_config_print_debug(config: *mut vaccel_config) {
    guard_or((), || {
        // SAFETY: guaranteed by the caller.
        if let Some(c) = unsafe { config.as_ref() } {
            // SAFETY: a valid config has NULL or valid strings.
            unsafe { from_c(c) }.print_debug();
        }
    })
}

/// Runs when the library is loaded: bootstraps unless `VACCEL_BOOTSTRAP_ENABLED=0`; a failed
/// bootstrap terminates the process with the vAccel code, as upstream does.
extern "C" fn on_load() {
    if config::switch_enabled("VACCEL_BOOTSTRAP_ENABLED") {
        let ret = vaccel_bootstrap();
        if ret != abi::VACCEL_OK {
            // SAFETY: exit runs the atexit handlers and destructors; nothing else is in flight.
            unsafe { libc::exit(ret) };
        }
    }
}

/// Runs when the library is unloaded: prints the op profiling regions, then cleans up unless
/// `VACCEL_CLEANUP_ENABLED=0`.
extern "C" fn on_unload() {
    guard_or((), prof::print_op_regions);
    if config::switch_enabled("VACCEL_CLEANUP_ENABLED") {
        vaccel_cleanup();
    }
}

#[used]
#[unsafe(link_section = ".init_array")]
static ON_LOAD: extern "C" fn() = on_load;

#[used]
#[unsafe(link_section = ".fini_array")]
static ON_UNLOAD: extern "C" fn() = on_unload;
