//! The vAccel runtime.
//!
//! This crate is the engine behind `libvaccel.so`: configuration, the slog-compatible log,
//! run directories, id pools, plugin loading and selection, sessions, resources, blobs,
//! argument arrays, op dispatch, genop and profiling. The C API crate (`vaccel-capi`) is a thin
//! layer that validates pointers, catches panics and calls into this crate.
//!
//! vAccel objects are C structs that applications allocate themselves (spec §4), so the runtime
//! keeps its bookkeeping in side tables ([`state`]) keyed by object id, and holds the
//! caller's structs only between their `init` and `release`. Plugins are foreign code reached
//! through function pointers: [`plugin`] reads their descriptors and [`ops`] calls their
//! implementations; those are the modules whose `unsafe` matters.

pub mod arg;
pub mod blob;
pub mod cmem;
pub mod config;
pub mod error;
pub mod fsutil;
pub mod genop;
pub mod ids;
pub mod log;
pub mod ops;
pub mod plugin;
pub mod prof;
pub mod resource;
pub mod runtime;
pub mod session;
pub mod state;

pub use error::{Error, Result};
pub use vaccel_abi as abi;
