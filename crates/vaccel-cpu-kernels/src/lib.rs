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
//! # Why `faer`
//!
//! The GEMM is `faer`'s matrix product (0.24), not the `gemm` crate (0.19). Both were measured
//! on the 2-core AMD EPYC (AVX2/FMA, no AVX-512) this was developed on, against OpenBLAS in the
//! same runs (square `C = 1.5·A·B + 0.5·C`, 2 threads): `gemm` reached about 75–90% of OpenBLAS
//! (74% at 2048), `faer` about 85–95% (93% at 2048). `faer` dispatches large products on x86 to
//! newer micro-kernels (`private-gemm-x86`) than the ones `gemm` 0.19 has, and small ones to
//! `nano-gemm`; it selects AVX2/FMA or AVX-512 at run time. Its product only accumulates with
//! `beta` 0 (C not read) or 1, so another `beta` scales C first, one pass over C. Its matrix
//! views are safe (`from_column_major_slice_with_stride`), so this crate has no `unsafe`. It
//! splits large products over the rayon pool, whose size is the number of available cores
//! ([`sgemm_threads`]). `BENCHMARKS.md` (section "sgemm") has the figures and the command.

#![forbid(unsafe_code)]

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
