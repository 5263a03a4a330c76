//! The vAccel runtime in safe(-at-the-edges) Rust.
//!
//! This crate is the engine behind `libvaccel.so`: configuration, the slog-compatible log,
//! run directories, id pools, plugin loading and selection, sessions, resources, blobs,
//! argument arrays, op dispatch, genop and profiling. The C API crate (`vaccel-capi`) is a thin
//! layer that validates pointers, catches panics and calls into this crate.
//!
//! vAccel objects are C structs that applications allocate themselves (spec §4), so the runtime
//! keeps its own bookkeeping in side tables keyed by object id and touches the caller's structs
//! only through the few functions marked `unsafe` in [`object`]. Plugins are foreign code called
//! through function pointers; those calls live in [`plugin`].

pub mod arg;
pub mod error;
pub mod log;

pub use error::{Error, Result};
pub use vaccel_abi as abi;
