//! Unit tests of the exec ops. The user libraries are small C files built with `cc` at test
//! time; the tests that need them are skipped (with a note) where no C compiler is installed.

use super::*;
use crate::test_stubs::{debug_lines, take_log};
use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use vaccel_plugin::abi::{ArgType, SLOG_ERROR, SLOG_WARN, VACCEL_BLOB_FILE, VACCEL_RESOURCE_DATA};

/// Serialises the tests that call ops: the ops read the process environment, which some tests
/// change.
static ENV_LOCK: Mutex<()> = Mutex::new(());

fn env_lock() -> MutexGuard<'static, ()> {
    ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn set_env(name: &str, value: Option<&str>) {
    // SAFETY: every test that calls ops (the only readers of these variables) holds ENV_LOCK.
    unsafe {
        match value {
            Some(v) => std::env::set_var(name, v),
            None => std::env::remove_var(name),
        }
    }
}

fn clear_env() {
    for v in [
        env::DLOPEN_MODE,
        env::DLCLOSE_ENABLED,
        env::DLCLOSE_DEPRECATED,
    ] {
        set_env(v, None);
    }
}

const ARG_DECL: &str = "#include <stddef.h>\n\
    struct vaccel_arg { void *buf; size_t size; unsigned type; unsigned custom_type_id; _Bool owned; };\n";

static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();

/// Removes the test libraries when the test process exits.
extern "C" fn remove_libs() {
    if let Some(Some(dir)) = DIR.get() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Builds the test libraries once; `None` without a C compiler.
fn libs() -> Option<&'static Path> {
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("vaccel-exec-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        // SAFETY: registers a plain function without captured state.
        unsafe { libc::atexit(remove_libs) };
        let sources = [
            (
                "libmytestlib.so",
                format!(
                    "{ARG_DECL}int mytestfunc(struct vaccel_arg *r, size_t nr, struct vaccel_arg *w, size_t nw) {{\n\
                     if (nr < 1 || nw < 1) return 1; *(int *)w[0].buf = *(int *)r[0].buf * 2; return 0; }}\n\
                     int failing(struct vaccel_arg *r, size_t nr, struct vaccel_arg *w, size_t nw) {{ return 5; }}\n"
                ),
            ),
            ("libdep.so", "int dep_value(void) { return 21; }\n".to_string()),
            (
                "libusedep.so",
                format!(
                    "{ARG_DECL}extern int dep_value(void);\n\
                     int usedep(struct vaccel_arg *r, size_t nr, struct vaccel_arg *w, size_t nw) {{\n\
                     *(int *)w[0].buf = dep_value(); return 0; }}\n"
                ),
            ),
            (
                "libunresolved.so",
                format!(
                    "{ARG_DECL}extern int nowhere(void);\n\
                     int never(void) {{ return nowhere(); }}\n\
                     int fine(struct vaccel_arg *r, size_t nr, struct vaccel_arg *w, size_t nw) {{ return 0; }}\n"
                ),
            ),
        ];
        for (name, src) in sources {
            let c = dir.join(name).with_extension("c");
            std::fs::write(&c, src).ok()?;
            let status = std::process::Command::new("cc")
                .args(["-shared", "-fPIC", "-fplt", "-Wl,-z,lazy", "-o"])
                .arg(dir.join(name))
                .arg(&c)
                .status()
                .ok()?;
            if !status.success() {
                return None;
            }
        }
        Some(dir)
    })
    .as_deref()
    .or_else(|| {
        eprintln!("no C compiler: exec library tests skipped");
        None
    })
}

fn lib(dir: &Path, name: &str) -> CString {
    CString::new(dir.join(name).to_str().unwrap()).unwrap()
}

fn session() -> Box<vaccel_session> {
    // SAFETY: an all-zero session is a valid value of the plain C struct.
    let mut s: Box<vaccel_session> = Box::new(unsafe { std::mem::zeroed() });
    s.id = 1;
    s
}

fn int_arg(v: &mut i32) -> vaccel_arg {
    vaccel_arg {
        buf: (v as *mut i32).cast(),
        size: 4,
        type_: ArgType::Int32 as u32,
        custom_type_id: 0,
        owned: false,
    }
}

/// A LIB resource whose blobs are the given paths.
struct Res {
    res: Box<vaccel_resource>,
    _paths: Vec<CString>,
    _blobs: Vec<vaccel_blob>,
    _ptrs: Vec<*mut vaccel_blob>,
}

fn resource(paths: Vec<CString>) -> Res {
    let mut blobs: Vec<vaccel_blob> = paths
        .iter()
        .map(|p| vaccel_blob {
            type_: VACCEL_BLOB_FILE,
            name: ptr::null_mut(),
            path: p.as_ptr().cast_mut(),
            path_owned: false,
            data: ptr::null_mut(),
            data_owned: false,
            size: 0,
        })
        .collect();
    let mut ptrs: Vec<*mut vaccel_blob> = blobs.iter_mut().map(|b| b as *mut vaccel_blob).collect();
    // SAFETY: an all-zero resource is a valid value of the plain C struct.
    let mut res: Box<vaccel_resource> = Box::new(unsafe { std::mem::zeroed() });
    res.id = 1;
    res.type_ = VACCEL_RESOURCE_LIB;
    res.blobs = ptrs.as_mut_ptr();
    res.nr_blobs = ptrs.len();
    Res {
        res,
        _paths: paths,
        _blobs: blobs,
        _ptrs: ptrs,
    }
}

/// Calls `vaccel_exec` through the plugin with one int in and one int out.
fn run_exec(s: &mut vaccel_session, library: &CStr, symbol: &CStr, input: i32) -> (c_int, i32) {
    let (mut i, mut o) = (input, 0);
    let mut read = [int_arg(&mut i)];
    let mut write = [int_arg(&mut o)];
    // SAFETY: valid session, strings and argument arrays.
    let rc = unsafe {
        exec(
            s,
            library.as_ptr(),
            symbol.as_ptr(),
            read.as_mut_ptr(),
            1,
            write.as_mut_ptr(),
            1,
        )
    };
    (rc, o)
}

fn run_with_resource(s: &mut vaccel_session, r: &mut Res, symbol: &CStr) -> (c_int, i32) {
    let (mut i, mut o) = (10, 0);
    let mut read = [int_arg(&mut i)];
    let mut write = [int_arg(&mut o)];
    // SAFETY: valid session, resource, string and argument arrays.
    let rc = unsafe {
        exec_with_resource(
            s,
            &mut *r.res,
            symbol.as_ptr(),
            read.as_mut_ptr(),
            1,
            write.as_mut_ptr(),
            1,
        )
    };
    (rc, o)
}

#[test]
fn noop_lines() {
    let mut s = session();
    take_log();
    // SAFETY: a valid session.
    assert_eq!(unsafe { noop(&mut *s) }, VACCEL_OK);
    assert_eq!(
        debug_lines(),
        ["[exec] session:1 Calling no-op", "[exec] [noop]"]
    );
}

#[test]
fn exec_calls_the_library() {
    let Some(dir) = libs() else { return };
    let _g = env_lock();
    clear_env();
    let mut s = session();
    let libpath = lib(dir, "libmytestlib.so");
    take_log();
    assert_eq!(
        run_exec(&mut s, &libpath, c"mytestfunc", 10),
        (VACCEL_OK, 20)
    );
    assert_eq!(
        debug_lines(),
        [
            "[exec] session:1 Calling exec".to_string(),
            format!("[exec] Library: {}", libpath.to_str().unwrap()),
            "[exec] Symbol: mytestfunc".to_string(),
            "[exec] read[0].size: 4".to_string(),
            "[exec] read[0].type: int32".to_string(),
            "[exec] write[0].size: 4".to_string(),
            "[exec] write[0].type: int32".to_string(),
        ]
    );

    // A non-zero result of the user function is EBACKEND.
    assert_eq!(run_exec(&mut s, &libpath, c"failing", 1).0, VACCEL_EBACKEND);
    // A missing symbol is ENOSYS.
    take_log();
    assert_eq!(run_exec(&mut s, &libpath, c"nosuchfn", 1).0, VACCEL_ENOSYS);
    let log = take_log();
    let (flag, msg) = log.last().unwrap();
    assert_eq!(*flag, SLOG_ERROR);
    assert!(
        msg.starts_with("[exec] dlsym failed: ") && msg.contains("nosuchfn"),
        "{msg}"
    );
    // A library that cannot be loaded is EINVAL.
    assert_eq!(
        run_exec(&mut s, c"/nonexistent/libnone.so", c"f", 1).0,
        VACCEL_EINVAL
    );
    let log = take_log();
    let (flag, msg) = log.last().unwrap();
    assert_eq!(*flag, SLOG_ERROR);
    assert!(
        msg.starts_with("[exec] dlopen failed: /nonexistent/libnone.so"),
        "{msg}"
    );

    // NULL arguments are rejected.
    // SAFETY: NULL library.
    let rc = unsafe {
        exec(
            &mut *s,
            ptr::null(),
            c"f".as_ptr(),
            ptr::null_mut(),
            0,
            ptr::null_mut(),
            0,
        )
    };
    assert_eq!(rc, VACCEL_EINVAL);
    // SAFETY: NULL read array with a count.
    let rc = unsafe {
        exec(
            &mut *s,
            libpath.as_ptr(),
            c"f".as_ptr(),
            ptr::null_mut(),
            1,
            ptr::null_mut(),
            0,
        )
    };
    assert_eq!(rc, VACCEL_EINVAL);
}

#[test]
fn exec_env_settings() {
    let Some(dir) = libs() else { return };
    let _g = env_lock();
    clear_env();
    let mut s = session();
    let libpath = lib(dir, "libmytestlib.so");

    set_env(env::DLOPEN_MODE, Some("sometimes"));
    take_log();
    assert_eq!(run_exec(&mut s, &libpath, c"mytestfunc", 1), (VACCEL_OK, 2));
    let warns: Vec<String> = take_log()
        .into_iter()
        .filter(|(f, _)| *f == SLOG_WARN)
        .map(|(_, m)| m)
        .collect();
    assert_eq!(
        warns,
        ["[exec] Invalid value 'sometimes' for VACCEL_EXEC_DLOPEN_MODE. Using default: now"]
    );

    set_env(env::DLOPEN_MODE, Some("LAZY"));
    set_env(env::DLCLOSE_DEPRECATED, Some("1"));
    assert_eq!(run_exec(&mut s, &libpath, c"mytestfunc", 2), (VACCEL_OK, 4));
    let warns: Vec<String> = take_log()
        .into_iter()
        .filter(|(f, _)| *f == SLOG_WARN)
        .map(|(_, m)| m)
        .collect();
    assert_eq!(
        warns,
        ["[exec] VACCEL_EXEC_DLCLOSE is deprecated. Use VACCEL_EXEC_DLCLOSE_ENABLED instead.\n"]
    );

    set_env(env::DLCLOSE_ENABLED, Some("bad"));
    assert_eq!(run_exec(&mut s, &libpath, c"mytestfunc", 3), (VACCEL_OK, 6));
    let warns: Vec<String> = take_log()
        .into_iter()
        .filter(|(f, _)| *f == SLOG_WARN)
        .map(|(_, m)| m)
        .collect();
    assert_eq!(
        warns,
        ["[exec] Invalid value 'bad' for VACCEL_EXEC_DLCLOSE_ENABLED. Using default: false"]
    );
    clear_env();
}

#[test]
fn exec_with_resource_caches_and_unregister_closes() {
    let Some(dir) = libs() else { return };
    let _g = env_lock();
    clear_env();
    let mut s = session();
    let mut r = resource(vec![lib(dir, "libdep.so"), lib(dir, "libusedep.so")]);
    take_log();
    assert_eq!(
        run_with_resource(&mut s, &mut r, c"usedep"),
        (VACCEL_OK, 21)
    );
    let main = dir.join("libusedep.so");
    assert_eq!(
        debug_lines(),
        [
            "[exec] session:1 Calling exec_with_resource".to_string(),
            "[exec] Number of libraries: 2".to_string(),
            format!("[exec] Library: {}", main.display()),
            "[exec] Symbol: usedep".to_string(),
            "[exec] read[0].size: 4".to_string(),
            "[exec] read[0].type: int32".to_string(),
            "[exec] write[0].size: 4".to_string(),
            "[exec] write[0].type: int32".to_string(),
        ]
    );
    let array = r.res.plugin_priv;
    assert!(!array.is_null());
    assert!(
        caches()
            .iter()
            .any(|(a, n)| *a == array as usize && *n == 2)
    );

    // Second call: cached handles, no Library line.
    assert_eq!(
        run_with_resource(&mut s, &mut r, c"usedep"),
        (VACCEL_OK, 21)
    );
    assert_eq!(r.res.plugin_priv, array);
    assert!(
        !debug_lines()
            .iter()
            .any(|l| l.starts_with("[exec] Library:"))
    );

    // Not a LIB resource: the hook leaves it alone.
    r.res.type_ = VACCEL_RESOURCE_DATA;
    assert_eq!(
        // SAFETY: a live resource.
        unsafe { resource_unregister(&mut *r.res, &mut *s) },
        VACCEL_OK
    );
    assert_eq!(r.res.plugin_priv, array);
    r.res.type_ = VACCEL_RESOURCE_LIB;

    assert_eq!(
        // SAFETY: a live resource with cached handles.
        unsafe { resource_unregister(&mut *r.res, &mut *s) },
        VACCEL_OK
    );
    assert!(r.res.plugin_priv.is_null());
    assert!(!caches().iter().any(|(a, _)| *a == array as usize));
    // A second unregister is a no-op.
    assert_eq!(
        // SAFETY: as above.
        unsafe { resource_unregister(&mut *r.res, &mut *s) },
        VACCEL_OK
    );

    // A plugin_priv that is not ours is never freed or used as handles.
    let mut foreign = 0u64;
    r.res.plugin_priv = (&mut foreign as *mut u64).cast();
    assert_eq!(
        // SAFETY: as above.
        unsafe { resource_unregister(&mut *r.res, &mut *s) },
        VACCEL_OK
    );
    assert_eq!(r.res.plugin_priv, (&mut foreign as *mut u64).cast());
    assert_eq!(
        run_with_resource(&mut s, &mut r, c"usedep"),
        (VACCEL_OK, 21)
    );
    assert_ne!(r.res.plugin_priv, (&mut foreign as *mut u64).cast());

    // With dlclose disabled the cache is still dropped.
    set_env(env::DLCLOSE_ENABLED, Some("0"));
    assert_eq!(
        // SAFETY: as above.
        unsafe { resource_unregister(&mut *r.res, &mut *s) },
        VACCEL_OK
    );
    assert!(r.res.plugin_priv.is_null());
    clear_env();
}

#[test]
fn exec_with_resource_errors_and_fallback() {
    let Some(dir) = libs() else { return };
    let _g = env_lock();
    clear_env();
    let mut s = session();

    // A resource without blobs.
    let mut empty = resource(vec![]);
    take_log();
    assert_eq!(run_with_resource(&mut s, &mut empty, c"f").0, VACCEL_EINVAL);
    assert_eq!(
        take_log().last().unwrap(),
        &(SLOG_ERROR, "[exec] No library provided".to_string())
    );

    // A missing dependency.
    let mut r = resource(vec![lib(dir, "libnothere.so"), lib(dir, "libusedep.so")]);
    assert_eq!(
        run_with_resource(&mut s, &mut r, c"usedep").0,
        VACCEL_EINVAL
    );
    let errors: Vec<String> = take_log()
        .into_iter()
        .filter(|(f, _)| *f == SLOG_ERROR)
        .map(|(_, m)| m)
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].starts_with(&format!(
        "[exec] dlopen failed for {}: ",
        dir.join("libnothere.so").display()
    )));
    assert_eq!(errors[1], "[exec] Failed to load resource libraries");
    assert!(r.res.plugin_priv.is_null());

    // A single library with an unresolved symbol fails under RTLD_NOW without a fallback.
    let mut single = resource(vec![lib(dir, "libunresolved.so")]);
    assert_eq!(
        run_with_resource(&mut s, &mut single, c"fine").0,
        VACCEL_EINVAL
    );
    assert!(!take_log().iter().any(|(f, _)| *f == SLOG_WARN));

    // With a dependency, the main library is retried with RTLD_LAZY.
    let mut r = resource(vec![lib(dir, "libdep.so"), lib(dir, "libunresolved.so")]);
    assert_eq!(run_with_resource(&mut s, &mut r, c"fine").0, VACCEL_OK);
    let warns: Vec<String> = take_log()
        .into_iter()
        .filter(|(f, _)| *f == SLOG_WARN)
        .map(|(_, m)| m)
        .collect();
    assert_eq!(warns.len(), 2, "{warns:?}");
    let prefix = format!(
        "[exec] dlopen with RTLD_NOW failed for {}: ",
        dir.join("libunresolved.so").display()
    );
    assert!(warns[0].starts_with(&prefix), "{}", warns[0]);
    assert_eq!(warns[1], "[exec] Trying RTLD_LAZY fallback");
    assert_eq!(
        // SAFETY: a live resource with cached handles.
        unsafe { resource_unregister(&mut *r.res, &mut *s) },
        VACCEL_OK
    );
}

#[test]
fn fini_frees_leftover_caches() {
    let Some(dir) = libs() else { return };
    let _g = env_lock();
    clear_env();
    let mut s = session();
    let mut r = resource(vec![lib(dir, "libmytestlib.so")]);
    assert_eq!(
        run_with_resource(&mut s, &mut r, c"mytestfunc"),
        (VACCEL_OK, 20)
    );
    assert!(!caches().is_empty());
    assert_eq!(fini(), VACCEL_OK);
    assert!(caches().is_empty());
    assert_eq!(
        caches().capacity(),
        0,
        "the registry's own buffer is freed too"
    );
    // The stale pointer is not ours any more: the hook ignores it.
    assert_eq!(
        // SAFETY: a live resource.
        unsafe { resource_unregister(&mut *r.res, &mut *s) },
        VACCEL_OK
    );
}
