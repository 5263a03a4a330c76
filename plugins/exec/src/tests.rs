//! Unit tests of the exec plugin image (the ops have theirs in `vaccel-exec-ops`).

use super::*;
use crate::test_stubs::{debug_lines, registered};
use vaccel_plugin::abi::{OpType, VACCEL_OK, vaccel_session};
use vaccel_plugin::cstr;

#[test]
fn plugin_image_and_registration() {
    // SAFETY: reading the plugin's statics and calling its init on one thread, as the core does.
    unsafe {
        let p = vaccel_plugin;
        let info = &*(*p).info;
        assert_eq!(cstr(info.name), Some(c"exec"));
        assert_eq!(info.type_, 0x89);
        assert!(!info.is_virtio);
        assert!(info.resource_unregister.is_some());
        assert!(info.resource_register.is_none() && info.resource_sync.is_none());
        assert_eq!((*p).entry.next, (&raw const (*p).entry).cast_mut());
        assert_eq!((info.init.unwrap())(), 0);
        let types: Vec<u32> = registered().iter().map(|r| r.0).collect();
        assert_eq!(
            types,
            [
                OpType::Noop as u32,
                OpType::Exec as u32,
                OpType::ExecWithResource as u32
            ]
        );
        assert!(registered().iter().all(|r| r.2.cast_const() == p));
        assert_eq!((info.fini.unwrap())(), 0);
    }
}

#[test]
fn registered_ops_are_the_shared_ones() {
    let ops = (&raw const __VACCEL_PLUGIN_OPS).cast::<vaccel_plugin::abi::vaccel_op>();
    let funcs: Vec<*mut std::ffi::c_void> = (0..__VACCEL_PLUGIN_NR_OPS)
        // SAFETY: reading the entries of the plugin's static op table.
        .map(|i| unsafe { (*ops.add(i)).func })
        .collect();
    assert_eq!(
        funcs,
        [
            vaccel_exec_ops::noop as *mut std::ffi::c_void,
            vaccel_exec_ops::exec as *mut std::ffi::c_void,
            vaccel_exec_ops::exec_with_resource as *mut std::ffi::c_void,
        ]
    );
    // The op logs through this plugin's slog_print with the exec prefix.
    // SAFETY: an all-zero session is a valid value of the plain C struct.
    let mut s: vaccel_session = unsafe { std::mem::zeroed() };
    s.id = 3;
    debug_lines();
    // SAFETY: the registered noop, called with a valid session.
    let rc = unsafe {
        std::mem::transmute::<*mut std::ffi::c_void, vaccel_plugin::sig::Noop>(funcs[0])(&mut s)
    };
    assert_eq!(rc, VACCEL_OK);
    assert_eq!(
        debug_lines(),
        ["[exec] session:3 Calling no-op", "[exec] [noop]"]
    );
}
