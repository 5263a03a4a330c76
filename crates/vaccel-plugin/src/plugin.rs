//! The plugin definition macro and the runtime helpers it and op functions use.

use std::ffi::c_int;
use std::panic::{AssertUnwindSafe, catch_unwind};

use vaccel_abi::{VACCEL_EBACKEND, VACCEL_ENOENT, vaccel_op, vaccel_resource, vaccel_session};

use crate::ffi;

/// Runs the body of an `extern "C"` entry point, turning a panic into `VACCEL_EBACKEND` (with
/// an error line naming `what`) instead of unwinding into C.
pub fn guard(what: &str, body: impl FnOnce() -> c_int) -> c_int {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(rc) => rc,
        Err(_) => {
            // Logging must not unwind either.
            let _ = catch_unwind(|| crate::error!("Plugin panicked in {what}"));
            VACCEL_EBACKEND
        }
    }
}

/// `vaccel_plugin_register_ops(ops, nr_ops)`.
///
/// # Safety
/// `ops` points to `nr_ops` ops whose `owner` is the plugin's struct, and stays valid (and is not
/// moved) for as long as the plugin is loaded: the core keeps pointers into it.
pub unsafe fn register_ops(ops: *mut vaccel_op, nr_ops: usize) -> c_int {
    // SAFETY: forwarded from the caller's contract.
    unsafe { ffi::vaccel_plugin_register_ops(ops, nr_ops) }
}

/// The session's earliest registered resource of type `type_`
/// (`vaccel_session_resource_by_type`): `Ok(Some(res))`, `Ok(None)` when there is none
/// (ENOENT), or `Err(code)` for any other failure.
///
/// # Safety
/// `sess` is a session pointer the core handed to the plugin.
pub unsafe fn session_resource_by_type(
    sess: *mut vaccel_session,
    type_: u32,
) -> Result<Option<*mut vaccel_resource>, c_int> {
    let mut res: *mut vaccel_resource = std::ptr::null_mut();
    // SAFETY: `sess` comes from the core; `res` is a valid out-pointer for the call's duration.
    let rc = unsafe { ffi::vaccel_session_resource_by_type(sess, &mut res, type_) };
    match rc {
        0 if !res.is_null() => Ok(Some(res)),
        0 | VACCEL_ENOENT => Ok(None),
        code => Err(code),
    }
}

/// Defines a vAccel plugin with the memory image of the C `VACCEL_PLUGIN(...)` macro (spec
/// §14.1).
///
/// ```ignore
/// vaccel_plugin::plugin! {
///     name: c"noop",
///     type: vaccel_plugin::abi::VACCEL_PLUGIN_DEBUG,
///     is_virtio: false,                       // optional: true for a transport plugin (§14.7)
///     init: my_init,                          // optional: fn() -> c_int, run after registration
///     fini: my_fini,                          // optional: fn() -> c_int
///     session_init: my_sess_init,             // optional hooks, in this order; each has the
///     session_release: my_sess_release,       // sig:: type of the same name (SessionInit, ...)
///     session_update: my_sess_update,
///     resource_register: my_register_hook,
///     resource_unregister: my_unregister_hook,
///     resource_sync: my_sync_hook,
///     ops: [
///         Noop => my_noop,                    // OpType variant => function of sig::<Variant>
///         Exec => my_exec,
///     ],
/// }
/// ```
///
/// It emits, in the calling module:
/// - `__VACCEL_THIS_PLUGIN`, the writable `struct vaccel_plugin` in its initial state:
///   `dl_handle` NULL, `entry` linked to itself, the 24 `ops` NULL, `info` pointing at
///   `__VACCEL_PLUGIN_INFO`;
/// - `__VACCEL_PLUGIN_INFO`, the `struct vaccel_plugin_info` with `name`, `version` and
///   `vaccel_version` = `VACCEL_VERSION`, `type`, `is_virtio` (false unless given), the
///   generated `init`/`fini` and the hooks given (NULL for the others); every hook is cast to its
///   [`sig`](crate::sig) type, so a wrong signature does not compile;
/// - `__VACCEL_PLUGIN_OPS`, a static array of `struct vaccel_op` in the order given, each `owner`
///   pointing at `__VACCEL_THIS_PLUGIN`; every function is cast to the [`sig`](crate::sig) type
///   of its op, so a wrong signature does not compile;
/// - the exported data symbol `vaccel_plugin`, a pointer to `__VACCEL_THIS_PLUGIN`;
/// - an `init` that registers the whole op table with `vaccel_plugin_register_ops` and then
///   runs the optional user `init`, and a `fini` that runs the optional user `fini`; both catch
///   panics.
///
/// Use it once per plugin, at the crate root.
#[macro_export]
macro_rules! plugin {
    (
        name: $name:literal,
        type: $type:expr,
        $(is_virtio: $virtio:expr,)?
        $(init: $init:path,)?
        $(fini: $fini:path,)?
        $(session_init: $sinit:path,)?
        $(session_release: $srel:path,)?
        $(session_update: $supd:path,)?
        $(resource_register: $rreg:path,)?
        $(resource_unregister: $unreg:path,)?
        $(resource_sync: $rsync:path,)?
        ops: [ $( $op:ident => $func:path ),+ $(,)? ] $(,)?
    ) => {
        /// The plugin's `struct vaccel_plugin`, written by the core (`dl_handle`, `entry`,
        /// `ops`).
        #[doc(hidden)]
        pub static mut __VACCEL_THIS_PLUGIN: $crate::abi::vaccel_plugin = $crate::abi::vaccel_plugin {
            dl_handle: ::core::ptr::null_mut(),
            // SAFETY: only the address of the field is taken (no read or write): the entry
            // starts out linked to itself (`LIST_ENTRY_INIT`).
            entry: unsafe {
                $crate::abi::vaccel_list_entry {
                    next: &raw mut __VACCEL_THIS_PLUGIN.entry,
                    prev: &raw mut __VACCEL_THIS_PLUGIN.entry,
                }
            },
            ops: [::core::ptr::null_mut(); $crate::abi::ops::VACCEL_OP_MAX],
            info: &raw mut __VACCEL_PLUGIN_INFO,
        };

        /// The plugin's `struct vaccel_plugin_info`.
        #[doc(hidden)]
        pub static mut __VACCEL_PLUGIN_INFO: $crate::abi::vaccel_plugin_info =
            $crate::abi::vaccel_plugin_info {
                name: {
                    const NAME: &::core::ffi::CStr = $name;
                    NAME.as_ptr()
                },
                version: $crate::abi::VACCEL_VERSION_C.as_ptr(),
                vaccel_version: $crate::abi::VACCEL_VERSION_C.as_ptr(),
                init: ::core::option::Option::Some(__vaccel_plugin_init),
                fini: ::core::option::Option::Some(__vaccel_plugin_fini),
                is_virtio: $crate::__plugin_is_virtio!($($virtio)?),
                type_: $type,
                session_init: $crate::__plugin_hook!(SessionInit; $($sinit)?),
                session_release: $crate::__plugin_hook!(SessionRelease; $($srel)?),
                session_update: $crate::__plugin_hook!(SessionUpdate; $($supd)?),
                resource_register: $crate::__plugin_hook!(ResourceRegister; $($rreg)?),
                resource_unregister: $crate::__plugin_hook!(ResourceUnregister; $($unreg)?),
                resource_sync: $crate::__plugin_hook!(ResourceSync; $($rsync)?),
            };

        #[doc(hidden)]
        pub const __VACCEL_PLUGIN_NR_OPS: usize = <[&str]>::len(&[$(stringify!($op)),+]);
        const _: () = ::core::assert!(
            __VACCEL_PLUGIN_NR_OPS <= $crate::abi::ops::VACCEL_OP_MAX,
            "a plugin registers at most VACCEL_OP_MAX ops"
        );

        /// The plugin's op table; the core keeps pointers into it while the plugin is loaded.
        #[doc(hidden)]
        pub static mut __VACCEL_PLUGIN_OPS: [$crate::abi::vaccel_op; __VACCEL_PLUGIN_NR_OPS] = [
            $(
                $crate::abi::vaccel_op {
                    type_: $crate::abi::OpType::$op as u32,
                    func: ($func as $crate::sig::$op) as *mut ::core::ffi::c_void,
                    owner: &raw mut __VACCEL_THIS_PLUGIN,
                },
            )+
        ];

        /// The exported plugin symbol: a pointer to the plugin struct (§14.1).
        #[allow(non_upper_case_globals)]
        #[unsafe(no_mangle)]
        pub static mut vaccel_plugin: *const $crate::abi::vaccel_plugin =
            &raw const __VACCEL_THIS_PLUGIN;

        unsafe extern "C" fn __vaccel_plugin_init() -> ::core::ffi::c_int {
            $crate::guard("init", || {
                // SAFETY: the op table is a static that outlives every use the core makes of it,
                // and its owners point at this plugin's struct.
                let rc = unsafe {
                    $crate::register_ops(
                        (&raw mut __VACCEL_PLUGIN_OPS).cast::<$crate::abi::vaccel_op>(),
                        __VACCEL_PLUGIN_NR_OPS,
                    )
                };
                if rc != 0 {
                    return rc;
                }
                $(
                    let rc: ::core::ffi::c_int = $init();
                    if rc != 0 {
                        return rc;
                    }
                )?
                0
            })
        }

        unsafe extern "C" fn __vaccel_plugin_fini() -> ::core::ffi::c_int {
            $crate::guard("fini", || {
                $(
                    let rc: ::core::ffi::c_int = $fini();
                    if rc != 0 {
                        return rc;
                    }
                )?
                0
            })
        }
    };
}

/// Internal: an optional hook of [`plugin!`], cast to its [`sig`](crate::sig) type.
#[doc(hidden)]
#[macro_export]
macro_rules! __plugin_hook {
    ($sig:ident;) => {
        ::core::option::Option::None
    };
    ($sig:ident; $hook:path) => {
        ::core::option::Option::Some($hook as $crate::sig::$sig)
    };
}

/// Internal: the optional `is_virtio` of [`plugin!`] (false when absent).
#[doc(hidden)]
#[macro_export]
macro_rules! __plugin_is_virtio {
    () => {
        false
    };
    ($virtio:expr) => {
        $virtio
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::SLOG_ERROR;
    use crate::test_stubs::take_log;

    #[test]
    fn guard_turns_panics_into_ebackend() {
        take_log();
        assert_eq!(guard("op", || 7), 7);
        assert_eq!(guard("exec", || panic!("boom")), VACCEL_EBACKEND);
        assert_eq!(
            take_log(),
            [(SLOG_ERROR, "Plugin panicked in exec".to_string())]
        );
    }
}
