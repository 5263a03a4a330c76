//! A small SDK for writing vAccel 0.8 plugins in Rust.
//!
//! A vAccel plugin is a shared object that libvaccel `dlopen`s after it is itself loaded. The
//! plugin exports one data symbol, `vaccel_plugin`, a pointer to a writable
//! `struct vaccel_plugin` (spec §14.1), and calls back into the core through functions that are
//! resolved against the already loaded libvaccel at `dlopen` time — plugins are never linked to
//! libvaccel themselves. This crate provides the pieces every Rust plugin needs for that:
//!
//! - [`ffi`]: `extern "C"` declarations of the libvaccel functions plugins call back into
//!   (`slog_print`, `vaccel_plugin_register_ops`, `vaccel_session_resource_by_type`, the
//!   profiling-region functions, ...);
//! - the logging macros [`debug!`], [`info!`], [`warn!`] and [`error!`], which format in Rust and
//!   hand the finished line to `slog_print` with the matching slog flag;
//! - the [`plugin!`] macro, which emits the exact memory image of the C `VACCEL_PLUGIN(...)`
//!   macro: the exported `vaccel_plugin` pointer, the self-linked plugin struct, the info struct,
//!   a static op table whose entries are owned by the plugin struct, and an `init` that registers
//!   that table;
//! - [`sig`]: the C function-pointer type of every op, so the op table is type-checked against
//!   the signatures of spec §15.2;
//! - [`guard`], which every `extern "C"` entry point wraps its body in so that a Rust panic is
//!   turned into an error code instead of unwinding into C;
//! - small helpers to read C data ([`cstr`], [`slice()`], [`slice_mut`]), printf-compatible display
//!   wrappers ([`fmt`]), [`snprintf`], and [`ProfRegion`] for a plugin's own profiling region;
//! - [`tensor`]: the three framework tensor structs behind one trait, and output tensors
//!   allocated with libc as the application's `vaccel_*_tensor_delete` expects;
//! - [`test_stubs!`], test doubles of the imported libvaccel functions for unit tests of a plugin
//!   crate (test builds only).

pub use vaccel_abi as abi;

pub mod ffi;
pub mod fmt;
mod log;
mod plugin;
mod prof;
pub use vaccel_abi::sig;
pub mod tensor;
mod testing;
mod util;

pub use log::log;
pub use plugin::{guard, register_ops, session_resource_by_type};
pub use prof::ProfRegion;
pub use util::{cstr, slice, slice_mut, snprintf, snprintf_raw};

#[cfg(test)]
crate::test_stubs!();
