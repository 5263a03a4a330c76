//! The vAccel 0.8 C ABI, defined once.
//!
//! Everything that crosses the C boundary or the wire lives here: the `repr(C)` mirrors of the
//! public structs (field order and x86_64 layout from the spec, asserted by the tests below), the
//! enum values, the op table (numbers, names, profiling regions, genop support), the argument-type
//! table and the error codes. The runtime, the C API, the plugins and the RPC codec all use these
//! definitions instead of keeping their own copies.
//!
//! This crate holds data and pure functions only; it contains no `unsafe` code.

#![allow(non_camel_case_types)]

pub mod error;
pub mod ops;
pub mod sig;
pub mod structs;
pub mod types;

pub use error::*;
pub use ops::OpType;
pub use structs::*;
pub use types::*;

/// The version string reported at bootstrap and checked against plugins (`VACCEL_VERSION`).
pub const VACCEL_VERSION: &str = "0.8.0";
/// `VACCEL_VERSION` as a NUL-terminated C string.
pub const VACCEL_VERSION_C: &std::ffi::CStr = c"0.8.0";
