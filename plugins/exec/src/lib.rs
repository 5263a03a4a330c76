//! The vAccel exec plugin (`libvaccel-exec.so`, spec §18.2): runs functions from shared
//! libraries on the host CPU.
//!
//! This crate is only the plugin image: the ops (`noop`, `exec`, `exec_with_resource`), the
//! `resource_unregister` hook and `fini` are the shared implementation in `vaccel-exec-ops`,
//! which the cpu plugin registers too. Every line is logged with the `[exec] ` prefix.

vaccel_plugin::plugin! {
    name: c"exec",
    type: VACCEL_PLUGIN_SOFTWARE | VACCEL_PLUGIN_GENERIC | VACCEL_PLUGIN_CPU,
    fini: vaccel_exec_ops::fini,
    resource_unregister: vaccel_exec_ops::resource_unregister,
    ops: [
        Noop => vaccel_exec_ops::noop,
        Exec => vaccel_exec_ops::exec,
        ExecWithResource => vaccel_exec_ops::exec_with_resource,
    ],
}

use vaccel_plugin::abi::{VACCEL_PLUGIN_CPU, VACCEL_PLUGIN_GENERIC, VACCEL_PLUGIN_SOFTWARE};

#[cfg(test)]
vaccel_plugin::test_stubs!();

#[cfg(test)]
mod tests;
