//! `vaccel_sgemm`: single-precision GEMM with reference BLAS `SGEMM` semantics (no transposition,
//! column-major), on `faer`'s matrix product.

use crate::{Error, at_least};
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

/// The number of threads [`sgemm`] splits a large product over: the size of the rayon pool it
/// runs on (by default the number of available cores; `RAYON_NUM_THREADS` overrides it).
pub fn sgemm_threads() -> usize {
    rayon::current_num_threads()
}

/// The number of elements a column-major `rows × cols` matrix with leading dimension `ld`
/// spans, `ld * (cols - 1) + rows` (0 for an empty matrix), or `None` if that overflows: the
/// length [`sgemm`] requires of each of its slices.
pub fn matrix_len(rows: usize, cols: usize, ld: usize) -> Option<usize> {
    if rows == 0 || cols == 0 {
        return Some(0);
    }
    ld.checked_mul(cols - 1)?.checked_add(rows)
}

/// [`matrix_len`], with overflow as an error about `name`.
fn span(name: &'static str, rows: usize, cols: usize, ld: usize) -> Result<usize, Error> {
    matrix_len(rows, cols, ld).ok_or(Error::Overflow { name })
}

/// Checks `ld >= max(1, rows)`.
fn leading(name: &'static str, ld: usize, rows: usize) -> Result<(), Error> {
    let min = rows.max(1);
    if ld < min {
        Err(Error::LeadingDim { name, ld, min })
    } else {
        Ok(())
    }
}

/// `C = alpha·A·B + beta·C`, column-major, like reference BLAS
/// `SGEMM('N', 'N', m, n, k, alpha, A, lda, B, ldb, beta, C, ldc)`.
///
/// - `A` is `m × k`: element `(i, p)` is `a[i + p * lda]`, with `lda >= max(1, m)`;
/// - `B` is `k × n`: element `(p, j)` is `b[p + j * ldb]`, with `ldb >= max(1, k)`;
/// - `C` is `m × n`: element `(i, j)` is `c[i + j * ldc]`, with `ldc >= max(1, m)`.
///
/// Each slice must span its matrix (`ld * (cols - 1) + rows` elements; any length for an empty
/// one). Only the `m × n` elements of `C` are written: the padding rows between `m` and `ldc` are
/// left alone. As in BLAS, when `beta == 0` `C` is not read (NaNs in it are overwritten), when
/// `alpha == 0` or `k == 0` `A` and `B` are not read, and `m == 0` or `n == 0` does nothing.
/// Invalid dimensions give an [`Error`] and leave `C` untouched.
///
/// Large products run on all threads of the rayon pool ([`sgemm_threads`]).
#[allow(clippy::too_many_arguments)] // the BLAS argument list
pub fn sgemm(
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    lda: usize,
    b: &[f32],
    ldb: usize,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) -> Result<(), Error> {
    leading("lda", lda, m)?;
    leading("ldb", ldb, k)?;
    leading("ldc", ldc, m)?;
    at_least("a", a, span("a", m, k, lda)?)?;
    at_least("b", b, span("b", k, n, ldb)?)?;
    at_least("c", c, span("c", m, n, ldc)?)?;
    // faer keeps strides as isize.
    for (name, ld) in [("lda", lda), ("ldb", ldb), ("ldc", ldc)] {
        if isize::try_from(ld).is_err() {
            return Err(Error::Overflow { name });
        }
    }

    if m == 0 || n == 0 {
        return Ok(());
    }
    if alpha == 0.0 || k == 0 {
        scale(m, n, beta, c, ldc);
        return Ok(());
    }
    // faer accumulates `C = alpha·A·B` (Replace, C not read) or `C += alpha·A·B` (Add): any
    // other beta is applied to C first.
    let accum = if beta == 0.0 {
        Accum::Replace
    } else {
        scale(m, n, beta, c, ldc);
        Accum::Add
    };
    // The views cover exactly the checked spans, so they cannot panic.
    let a = MatRef::from_column_major_slice_with_stride(a, m, k, lda);
    let b = MatRef::from_column_major_slice_with_stride(b, k, n, ldb);
    let c = MatMut::from_column_major_slice_with_stride_mut(c, m, n, ldc);
    matmul(c, accum, a, b, alpha, Par::rayon(0));
    Ok(())
}

/// `C = beta·C` over the `m × n` window (`beta == 0` writes zeros without reading).
fn scale(m: usize, n: usize, beta: f32, c: &mut [f32], ldc: usize) {
    if beta == 1.0 {
        return;
    }
    for j in 0..n {
        let col = &mut c[j * ldc..j * ldc + m];
        if beta == 0.0 {
            col.fill(0.0);
        } else {
            col.iter_mut().for_each(|x| *x *= beta);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random fill in [-1, 1) (xorshift), so failures reproduce.
    fn fill(len: usize, seed: u64) -> Vec<f32> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    /// Reference BLAS SGEMM (NN) as a triple loop in f64, with the same beta == 0 rule.
    #[allow(clippy::too_many_arguments)]
    fn naive(
        m: usize,
        n: usize,
        k: usize,
        alpha: f32,
        a: &[f32],
        lda: usize,
        b: &[f32],
        ldb: usize,
        beta: f32,
        c: &mut [f32],
        ldc: usize,
    ) {
        for j in 0..n {
            for i in 0..m {
                let mut acc = 0.0f64;
                for p in 0..k {
                    acc += f64::from(a[i + p * lda]) * f64::from(b[p + j * ldb]);
                }
                let old = if beta == 0.0 {
                    0.0
                } else {
                    f64::from(beta) * f64::from(c[i + j * ldc])
                };
                c[i + j * ldc] = (f64::from(alpha) * acc + old) as f32;
            }
        }
    }

    /// Runs both on the same inputs and compares every element of `c` (padding included)
    /// within `1e-4` relative error (absolute near zero, scaled by `k`).
    #[allow(clippy::too_many_arguments)]
    fn check(m: usize, n: usize, k: usize, alpha: f32, beta: f32, pad: (usize, usize, usize)) {
        let (lda, ldb, ldc) = (m.max(1) + pad.0, k.max(1) + pad.1, m.max(1) + pad.2);
        let a = fill(span("a", m, k, lda).unwrap(), 1 + m as u64);
        let b = fill(span("b", k, n, ldb).unwrap(), 2 + n as u64);
        let c0 = fill(span("c", m, n, ldc).unwrap(), 3 + k as u64);
        let mut want = c0.clone();
        naive(m, n, k, alpha, &a, lda, &b, ldb, beta, &mut want, ldc);
        let mut got = c0.clone();
        sgemm(m, n, k, alpha, &a, lda, &b, ldb, beta, &mut got, ldc).unwrap();
        let tol = 1e-4 * (k.max(1) as f32).sqrt();
        for (idx, (g, w)) in got.iter().zip(&want).enumerate() {
            let err = (g - w).abs() / w.abs().max(1.0);
            assert!(
                err <= tol,
                "m={m} n={n} k={k} alpha={alpha} beta={beta} pad={pad:?}: c[{idx}] = {g}, want {w}"
            );
            if idx % ldc >= m {
                assert_eq!(g.to_bits(), c0[idx].to_bits(), "padding c[{idx}] changed");
            }
        }
    }

    #[test]
    fn odd_square_sizes() {
        for s in [1, 2, 7, 33, 65, 127, 129, 257] {
            check(s, s, s, 1.0, 0.0, (0, 0, 0));
            check(s, s, s, 1.5, 0.5, (0, 0, 0));
        }
    }

    #[test]
    fn rectangular_sizes() {
        for (m, n, k) in [
            (1, 7, 33),
            (33, 1, 7),
            (7, 33, 1),
            (65, 127, 3),
            (129, 5, 257),
            (3, 300, 64),
            (300, 2, 129),
        ] {
            check(m, n, k, 0.75, -1.25, (0, 0, 0));
        }
    }

    #[test]
    fn padded_leading_dimensions() {
        for (m, n, k) in [(7, 9, 11), (33, 65, 17), (129, 67, 130)] {
            for pad in [(1, 0, 0), (0, 3, 0), (0, 0, 5), (2, 7, 13)] {
                check(m, n, k, 1.0, 1.0, pad);
                check(m, n, k, -2.0, 0.0, pad);
            }
        }
    }

    #[test]
    fn alpha_beta_combinations() {
        for alpha in [1.0, -1.0, 0.5, 2.0] {
            for beta in [0.0, 1.0, -1.0, 0.25] {
                check(17, 23, 29, alpha, beta, (1, 2, 3));
                check(130, 70, 90, alpha, beta, (0, 0, 0));
            }
        }
    }

    #[test]
    fn beta_zero_overwrites_nan() {
        for s in [3, 64, 200] {
            let a = fill(s * s, 5);
            let b = fill(s * s, 6);
            let mut c = vec![f32::NAN; s * s];
            sgemm(s, s, s, 1.0, &a, s, &b, s, 0.0, &mut c, s).unwrap();
            assert!(c.iter().all(|x| x.is_finite()), "s = {s}");
            let mut want = vec![0.0; s * s];
            naive(s, s, s, 1.0, &a, s, &b, s, 0.0, &mut want, s);
            for (g, w) in c.iter().zip(&want) {
                assert!((g - w).abs() <= 1e-4 * w.abs().max(1.0) * (s as f32).sqrt());
            }
        }
        // Also on the alpha == 0 and k == 0 paths.
        let mut c = vec![f32::NAN; 6];
        sgemm(
            2,
            3,
            4,
            0.0,
            &[f32::NAN; 8],
            2,
            &[f32::NAN; 12],
            4,
            0.0,
            &mut c,
            2,
        )
        .unwrap();
        assert_eq!(c, [0.0; 6]);
        let mut c = vec![f32::NAN; 6];
        sgemm(2, 3, 0, 1.0, &[], 2, &[], 1, 0.0, &mut c, 2).unwrap();
        assert_eq!(c, [0.0; 6]);
    }

    #[test]
    fn alpha_zero_scales_c_without_reading_a_b() {
        let mut c = vec![1.0, 2.0, 99.0, 3.0, 4.0, 99.0];
        sgemm(
            2,
            2,
            3,
            0.0,
            &[f32::NAN; 6],
            2,
            &[f32::NAN; 6],
            3,
            2.0,
            &mut c,
            3,
        )
        .unwrap();
        assert_eq!(c, [2.0, 4.0, 99.0, 6.0, 8.0, 99.0]);
        // beta == 1 leaves C alone.
        sgemm(2, 2, 3, 0.0, &[0.0; 6], 2, &[0.0; 6], 3, 1.0, &mut c, 3).unwrap();
        assert_eq!(c, [2.0, 4.0, 99.0, 6.0, 8.0, 99.0]);
    }

    #[test]
    fn matrix_lengths() {
        assert_eq!(matrix_len(4, 4, 5), Some(19));
        assert_eq!(matrix_len(3, 1, 100), Some(3));
        assert_eq!(matrix_len(0, 9, 1), Some(0));
        assert_eq!(matrix_len(9, 0, 9), Some(0));
        assert_eq!(matrix_len(1, 3, usize::MAX), None);
        assert_eq!(matrix_len(usize::MAX, 1, usize::MAX), Some(usize::MAX));
    }

    #[test]
    fn empty_dimensions() {
        // m == 0 or n == 0: nothing to do, whatever the (empty) slices.
        let mut c = vec![5.0; 4];
        sgemm(0, 4, 3, 1.0, &[], 1, &[1.0; 12], 3, 0.0, &mut [], 1).unwrap();
        sgemm(4, 0, 3, 1.0, &[1.0; 12], 4, &[], 3, 0.0, &mut [], 4).unwrap();
        sgemm(0, 0, 0, 1.0, &[], 1, &[], 1, 0.0, &mut [], 1).unwrap();
        // k == 0: C = beta·C.
        sgemm(2, 2, 0, 1.0, &[], 2, &[], 1, 0.5, &mut c, 2).unwrap();
        assert_eq!(c, [2.5; 4]);
        check(0, 5, 5, 1.0, 0.0, (0, 0, 0));
        check(5, 0, 5, 1.0, 0.0, (0, 0, 0));
        check(5, 5, 0, 1.0, 0.5, (0, 0, 0));
    }

    #[test]
    fn invalid_leading_dimensions() {
        let mut c = vec![0.0; 100];
        let buf = vec![0.0; 100];
        assert_eq!(
            sgemm(4, 4, 4, 1.0, &buf, 3, &buf, 4, 0.0, &mut c, 4),
            Err(Error::LeadingDim {
                name: "lda",
                ld: 3,
                min: 4
            })
        );
        assert_eq!(
            sgemm(4, 4, 5, 1.0, &buf, 4, &buf, 4, 0.0, &mut c, 4),
            Err(Error::LeadingDim {
                name: "ldb",
                ld: 4,
                min: 5
            })
        );
        assert_eq!(
            sgemm(4, 4, 4, 1.0, &buf, 4, &buf, 4, 0.0, &mut c, 2),
            Err(Error::LeadingDim {
                name: "ldc",
                ld: 2,
                min: 4
            })
        );
        // max(1, 0): a zero leading dimension is invalid even for an empty matrix.
        assert!(matches!(
            sgemm(0, 4, 4, 1.0, &[], 0, &buf, 4, 0.0, &mut [], 1),
            Err(Error::LeadingDim {
                name: "lda",
                ld: 0,
                min: 1
            })
        ));
    }

    #[test]
    fn short_slices_and_overflow() {
        let buf = vec![0.0; 100];
        let mut c = vec![7.0; 100];
        // A 4×4 with lda 5 spans 5*3+4 = 19 elements.
        assert_eq!(
            sgemm(4, 4, 4, 1.0, &buf[..18], 5, &buf, 4, 0.0, &mut c, 4),
            Err(Error::TooShort {
                name: "a",
                len: 18,
                needed: 19
            })
        );
        assert_eq!(
            sgemm(4, 4, 4, 1.0, &buf, 4, &buf[..15], 4, 0.0, &mut c, 4),
            Err(Error::TooShort {
                name: "b",
                len: 15,
                needed: 16
            })
        );
        assert_eq!(
            sgemm(4, 4, 4, 1.0, &buf, 4, &buf, 4, 0.0, &mut c[..21], 6),
            Err(Error::TooShort {
                name: "c",
                len: 21,
                needed: 22
            })
        );
        assert_eq!(
            sgemm(4, 4, 4, 1.0, &buf, usize::MAX / 2, &buf, 4, 0.0, &mut c, 4),
            Err(Error::Overflow { name: "a" })
        );
        // A single column never uses its stride, but it must still fit an isize.
        assert_eq!(
            sgemm(1, 1, 1, 1.0, &buf, usize::MAX, &buf, 1, 0.0, &mut c, 1),
            Err(Error::Overflow { name: "lda" })
        );
        // Nothing was written.
        assert!(c.iter().all(|&x| x == 7.0));
    }

    #[test]
    fn large_product_uses_the_pool() {
        assert!(sgemm_threads() >= 1);
        // Large enough for gemm to split it over the threads, with a result known exactly:
        // A = all ones, B(p, j) = j, so C(i, j) = k * j.
        let (m, n, k) = (300, 280, 260);
        let a = vec![1.0; m * k];
        let b: Vec<f32> = (0..k * n).map(|x| (x / k) as f32).collect();
        let mut c = vec![f32::NAN; m * n];
        sgemm(m, n, k, 1.0, &a, m, &b, k, 0.0, &mut c, m).unwrap();
        for j in 0..n {
            for i in 0..m {
                assert_eq!(c[i + j * m], (k * j) as f32);
            }
        }
    }
}
