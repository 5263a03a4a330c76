//! `libvaccel.so`: the vAccel 0.8 C API over `vaccel-core`.
//!
//! Each module mirrors one C header. Every `extern "C"` function here checks its pointers,
//! runs the Rust implementation inside [`ffi::guard`] (so a panic becomes an error code instead
//! of unwinding into C) and converts the result to a vAccel error code.

mod arg;
mod core;
mod ffi;
mod framework;
mod fs;
mod log;
mod objects;
mod ops;
mod prof;
