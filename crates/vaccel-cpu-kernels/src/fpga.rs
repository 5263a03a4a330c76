//! The FPGA reference ops (`vaccel_fpga_arraycopy`, `vaccel_fpga_vadd`, `vaccel_fpga_parallel`,
//! `vaccel_fpga_mmult`, spec §15.2), computed on the CPU.

use crate::{Error, at_least, exactly};

/// `out = a`: copies `a` into `out`, which must have the same length.
pub fn arraycopy(a: &[i32], out: &mut [i32]) -> Result<(), Error> {
    exactly("out_a", out, a.len())?;
    out.copy_from_slice(a);
    Ok(())
}

/// `c[i] = a[i] + b[i]` for every `i < a.len()`: `b` must hold at least as many elements as `a`
/// (extra ones are ignored) and `c` exactly as many.
pub fn vectoradd(a: &[f32], b: &[f32], c: &mut [f32]) -> Result<(), Error> {
    at_least("b", b, a.len())?;
    exactly("c", c, a.len())?;
    for ((c, &a), &b) in c.iter_mut().zip(a).zip(b) {
        *c = a + b;
    }
    Ok(())
}

/// `add_output = a + b` and `mult_output = a * b`, elementwise; all four slices have the same
/// length.
pub fn parallel(
    a: &[f32],
    b: &[f32],
    add_output: &mut [f32],
    mult_output: &mut [f32],
) -> Result<(), Error> {
    exactly("b", b, a.len())?;
    exactly("add_output", add_output, a.len())?;
    exactly("mult_output", mult_output, a.len())?;
    for (i, (&a, &b)) in a.iter().zip(b).enumerate() {
        add_output[i] = a + b;
        mult_output[i] = a * b;
    }
    Ok(())
}

/// `c = a × b` for `n × n` row-major matrices, where `a.len() == n * n`; `b` and `c` have the
/// length of `a`. A length that is not a perfect square is an error. Runs on [`sgemm`](crate::sgemm).
pub fn mmult(a: &[f32], b: &[f32], c: &mut [f32]) -> Result<(), Error> {
    let len = a.len();
    let n = len.isqrt();
    if n * n != len {
        return Err(Error::NotSquare { len });
    }
    exactly("b", b, len)?;
    exactly("c", c, len)?;
    if n == 0 {
        return Ok(());
    }
    // A row-major matrix is its transpose in column-major order, and (A·B)ᵀ = Bᵀ·Aᵀ: the
    // column-major product of `b` and `a` is the row-major `a × b`.
    crate::sgemm(n, n, n, 1.0, b, n, a, n, 0.0, c, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arraycopy_copies() {
        let a = [1, -2, 3, i32::MAX, i32::MIN];
        let mut out = [0; 5];
        arraycopy(&a, &mut out).unwrap();
        assert_eq!(out, a);
        arraycopy(&[], &mut []).unwrap();
        assert_eq!(
            arraycopy(&a, &mut [0; 4]),
            Err(Error::LengthMismatch {
                name: "out_a",
                len: 4,
                expected: 5
            })
        );
    }

    #[test]
    fn vectoradd_adds() {
        // The data of the C API test (tests/c/api/test_ops.c): {1,2,6,4,5} + {1,2,3,4,5}.
        let a = [1.0, 2.0, 6.0, 4.0, 5.0];
        let b = [1.0, 2.0, 3.0, 4.0, 5.0];
        let mut c = [0.0; 5];
        vectoradd(&a, &b, &mut c).unwrap();
        assert_eq!(c, [2.0, 4.0, 9.0, 8.0, 10.0]);
        // A longer b: the extra elements are ignored.
        let mut c = [0.0; 2];
        vectoradd(&a[..2], &b, &mut c).unwrap();
        assert_eq!(c, [2.0, 4.0]);
        vectoradd(&[], &[], &mut []).unwrap();
    }

    #[test]
    fn vectoradd_errors() {
        let mut c = [0.0; 3];
        assert_eq!(
            vectoradd(&[1.0; 3], &[1.0; 2], &mut c),
            Err(Error::TooShort {
                name: "b",
                len: 2,
                needed: 3
            })
        );
        assert_eq!(c, [0.0; 3]);
        assert_eq!(
            vectoradd(&[1.0; 3], &[1.0; 3], &mut [0.0; 2]),
            Err(Error::LengthMismatch {
                name: "c",
                len: 2,
                expected: 3
            })
        );
    }

    #[test]
    fn parallel_adds_and_multiplies() {
        let a = [1.0, -2.0, 0.5, 3.0];
        let b = [4.0, 5.0, 2.0, -1.5];
        let (mut add, mut mult) = ([0.0; 4], [0.0; 4]);
        parallel(&a, &b, &mut add, &mut mult).unwrap();
        assert_eq!(add, [5.0, 3.0, 2.5, 1.5]);
        assert_eq!(mult, [4.0, -10.0, 1.0, -4.5]);
        for (b, add, mult) in [(3, 4, 4), (4, 3, 4), (4, 4, 3)] {
            let r = parallel(&a, &vec![0.0; b], &mut vec![0.0; add], &mut vec![0.0; mult]);
            assert!(
                matches!(r, Err(Error::LengthMismatch { expected: 4, .. })),
                "{r:?}"
            );
        }
    }

    /// Row-major reference product.
    fn naive(a: &[f32], b: &[f32], n: usize) -> Vec<f32> {
        let mut c = vec![0.0f32; n * n];
        for i in 0..n {
            for j in 0..n {
                c[i * n + j] = (0..n).map(|p| a[i * n + p] * b[p * n + j]).sum();
            }
        }
        c
    }

    #[test]
    fn mmult_is_row_major() {
        // [[1,2],[3,4]] × [[5,6],[7,8]] = [[19,22],[43,50]]
        let mut c = [f32::NAN; 4];
        mmult(&[1.0, 2.0, 3.0, 4.0], &[5.0, 6.0, 7.0, 8.0], &mut c).unwrap();
        assert_eq!(c, [19.0, 22.0, 43.0, 50.0]);
        // Not commutative: the order matters.
        mmult(&[5.0, 6.0, 7.0, 8.0], &[1.0, 2.0, 3.0, 4.0], &mut c).unwrap();
        assert_eq!(c, [23.0, 34.0, 31.0, 46.0]);
    }

    #[test]
    fn mmult_matches_naive() {
        for n in [1usize, 3, 17, 64] {
            let a: Vec<f32> = (0..n * n).map(|i| ((i * 7) % 13) as f32 - 6.0).collect();
            let b: Vec<f32> = (0..n * n).map(|i| ((i * 5) % 11) as f32 * 0.5).collect();
            let mut c = vec![f32::NAN; n * n];
            mmult(&a, &b, &mut c).unwrap();
            // Small integers and halves: exact in f32 whatever the summation order.
            assert_eq!(c, naive(&a, &b, n), "n = {n}");
        }
        mmult(&[], &[], &mut []).unwrap();
    }

    #[test]
    fn mmult_errors() {
        assert_eq!(
            mmult(&[1.0; 5], &[1.0; 5], &mut [0.0; 5]),
            Err(Error::NotSquare { len: 5 })
        );
        assert_eq!(
            mmult(&[1.0; 8], &[1.0; 8], &mut [0.0; 8]),
            Err(Error::NotSquare { len: 8 })
        );
        assert!(matches!(
            mmult(&[1.0; 4], &[1.0; 3], &mut [0.0; 4]),
            Err(Error::LengthMismatch { name: "b", .. })
        ));
        assert!(matches!(
            mmult(&[1.0; 4], &[1.0; 4], &mut [0.0; 9]),
            Err(Error::LengthMismatch { name: "c", .. })
        ));
    }
}
