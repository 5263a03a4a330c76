//! The CPU kernels behind the numeric ops of the vAccel cpu plugin (`libvaccel-cpu.so`), as safe
//! Rust functions on slices:
//!
//! - [`sgemm`]: single-precision GEMM with the semantics of reference BLAS `SGEMM` with no
//!   transposition (column-major), on all cores;
//! - [`minmax`]: clamp into a range and report the extremes (`vaccel_minmax`);
//! - [`arraycopy`], [`vectoradd`], [`parallel`] and [`mmult`]: the FPGA reference ops
//!   (`vaccel_fpga_*`, spec §15.2) computed on the CPU.
//!
//! Every function validates its dimensions and slice lengths and returns an [`Error`] instead of
//! panicking, so the plugin can turn a bad call into `VACCEL_EINVAL`.
//!
//! # Why the `gemm` crate
//!
//! The GEMM is the `gemm` crate (0.19), not `faer`. `faer`'s matrix product is built on the same
//! micro-kernels (same author; `faer` adds its own dispatch and matrix views on top), so it cannot
//! be faster for a plain `C = alpha*A*B + beta*C` on strided column-major buffers, while `gemm`
//! takes exactly the BLAS arguments (pointers, strides, `read_dst`), compiles in a fraction of
//! the time and adds little to the plugin's size. It selects its SIMD micro-kernels at run time
//! (AVX2/FMA, AVX-512, NEON) and splits large products over the rayon thread pool, whose size is
//! the number of available cores (see [`sgemm_threads`]); small products stay on one thread.
//! `BENCHMARKS.md` (section "sgemm") compares it with OpenBLAS.

mod fpga;
mod minmax;
mod sgemm;

pub use fpga::{arraycopy, mmult, parallel, vectoradd};
pub use minmax::minmax;
pub use sgemm::{matrix_len, sgemm, sgemm_threads};

/// Why a kernel refused its arguments.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A leading dimension is smaller than the number of rows it must span (BLAS requires
    /// `ld >= max(1, rows)`).
    #[error("{name} = {ld} is too small: it must be at least {min}")]
    LeadingDim {
        /// `lda`, `ldb` or `ldc`.
        name: &'static str,
        /// The value given.
        ld: usize,
        /// The smallest valid value.
        min: usize,
    },
    /// A slice holds fewer elements than the dimensions require.
    #[error("{name} holds {len} elements but {needed} are needed")]
    TooShort {
        /// The argument's name.
        name: &'static str,
        /// Its length.
        len: usize,
        /// The length the dimensions require.
        needed: usize,
    },
    /// The dimensions describe more elements than the address space holds.
    #[error("the dimensions of {name} overflow")]
    Overflow {
        /// The argument's name.
        name: &'static str,
    },
    /// Two slices that must have the same length do not.
    #[error("{name} holds {len} elements, not {expected}")]
    LengthMismatch {
        /// The argument's name.
        name: &'static str,
        /// Its length.
        len: usize,
        /// The length it must have.
        expected: usize,
    },
    /// The low threshold of [`minmax`] is above the high one (or one is NaN).
    #[error("low threshold {low} is above high threshold {high}")]
    Thresholds {
        /// The low threshold.
        low: f64,
        /// The high threshold.
        high: f64,
    },
    /// [`minmax`] of no data has no minimum or maximum.
    #[error("no data")]
    Empty,
    /// The length of an [`mmult`] operand is not the square of a matrix order.
    #[error("{len} elements are not a square matrix")]
    NotSquare {
        /// The length given.
        len: usize,
    },
}

/// Checks that `s` holds at least `needed` elements.
fn at_least<T>(name: &'static str, s: &[T], needed: usize) -> Result<(), Error> {
    if s.len() < needed {
        Err(Error::TooShort {
            name,
            len: s.len(),
            needed,
        })
    } else {
        Ok(())
    }
}

/// Checks that `s` holds exactly `expected` elements.
fn exactly<T>(name: &'static str, s: &[T], expected: usize) -> Result<(), Error> {
    if s.len() != expected {
        Err(Error::LengthMismatch {
            name,
            len: s.len(),
            expected,
        })
    } else {
        Ok(())
    }
}
