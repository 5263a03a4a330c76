//! The numeric ops of the cpu plugin: `blas_sgemm`, `minmax` and the four `fpga_*` ops, as C
//! entry points over the safe kernels of `vaccel-cpu-kernels`.
//!
//! Each entry point checks its C arguments before it makes a slice of any of them: a NULL
//! session, a NULL array that must hold elements, a negative size or an array whose size
//! overflows the address space gives `VACCEL_EINVAL` with a `[cpu] ` error line, and
//! so does any argument the kernel refuses (too small a leading dimension, `low > high`, ...).
//!
//! Arguments may share memory as they may in C: an input that overlaps an output (an in-place
//! `vaccel_fpga_vadd(sess, a, b, a, n, n)`, an sgemm whose `C` overlaps `A`) is read from a copy
//! taken before any output is written, so the result is the one the call has on distinct
//! arrays. Two outputs that overlap (`add_output` and `mult_output` of `fpga_parallel`) are
//! refused.
//!
//! Arrays need not be aligned: the RPC agent hands over arguments where they lie in the received
//! frame. A misaligned input is read into an aligned copy, and a misaligned output is computed in
//! an aligned buffer (initialised from it, as sgemm reads `C`) and copied back.

use std::borrow::Cow;
use std::ffi::c_int;

use vaccel_cpu_kernels as kernels;
use vaccel_plugin::abi::{VACCEL_EINVAL, VACCEL_OK, vaccel_session};
use vaccel_plugin::fmt::Float;
use vaccel_plugin::{debug, error, guard, slice, slice_mut};

type Sess = *mut vaccel_session;

/// The address range `[start, end)` of `len` `T`s at `p`.
type Span = (usize, usize);

/// Runs an op body that reports failures as `Err(code)`.
fn op(what: &str, body: impl FnOnce() -> Result<c_int, c_int>) -> c_int {
    guard(what, || body().unwrap_or_else(|code| code))
}

/// Logs `[cpu] <op>: <msg>` as an error and gives `VACCEL_EINVAL`.
fn invalid(op: &str, msg: impl std::fmt::Display) -> c_int {
    error!("[cpu] {op}: {msg}");
    VACCEL_EINVAL
}

/// The session behind `sess`, and the `Calling <op> for session <id>` line.
///
/// # Safety
/// `sess` is NULL or a session pointer from the core.
unsafe fn session(sess: Sess, op: &str) -> Result<&vaccel_session, c_int> {
    // SAFETY: the caller's contract.
    match unsafe { sess.as_ref() } {
        Some(s) => {
            debug!("[cpu] Calling {op} for session {}", s.id);
            Ok(s)
        }
        None => {
            error!("[cpu] {op}: Invalid session");
            Err(VACCEL_EINVAL)
        }
    }
}

/// A C size that must not be negative.
fn size(op: &str, name: &str, v: i64) -> Result<usize, c_int> {
    usize::try_from(v).map_err(|_| invalid(op, format_args!("{name} = {v} is negative")))
}

/// Checks that `len` `T`s at `p` can be read or written: non-NULL when `len > 0`, and no more
/// than `isize::MAX` bytes. Returns their address range (empty for `len == 0`).
fn span<T>(op: &str, name: &str, p: *const T, len: usize) -> Result<Span, c_int> {
    if len == 0 {
        return Ok((0, 0));
    }
    if p.is_null() {
        return Err(invalid(op, format_args!("{name} is NULL")));
    }
    let bytes = len
        .checked_mul(size_of::<T>())
        .filter(|&b| b <= isize::MAX as usize)
        .ok_or_else(|| invalid(op, format_args!("{len} elements of {name} overflow")))?;
    let start = p as usize;
    let end = start
        .checked_add(bytes)
        .ok_or_else(|| invalid(op, format_args!("{name} wraps around the address space")))?;
    Ok((start, end))
}

fn overlaps(x: Span, y: Span) -> bool {
    x.0 < y.1 && y.0 < x.1
}

/// The `len` elements at `p` as an input: borrowed, or copied when they overlap one of
/// `outputs` (so no output slice ever aliases them).
///
/// # Safety
/// `p` passed [`span`] for `len`, and points to `len` initialised `T`s that nothing writes while
/// the result lives, except through the output slices made after this call, whose ranges are
/// `outputs`.
unsafe fn input<'a, T: Copy>(p: *const T, len: usize, outputs: &[Span]) -> Cow<'a, [T]> {
    let here = (p as usize, p as usize + len * size_of::<T>());
    if len > 0 && !p.is_aligned() {
        // SAFETY: checked by `span` (non-NULL, in bounds) and the caller's contract; each
        // element is read unaligned.
        return Cow::Owned(
            (0..len)
                .map(|i| unsafe { p.add(i).read_unaligned() })
                .collect(),
        );
    }
    // SAFETY: checked by `span` (non-NULL, in bounds), aligned, and the caller's contract.
    let s: &'a [T] = unsafe { slice(p, len) }.unwrap_or(&[]);
    if outputs.iter().any(|&o| overlaps(here, o)) {
        Cow::Owned(s.to_vec())
    } else {
        Cow::Borrowed(s)
    }
}

/// An output array: the caller's memory when it is aligned, else an aligned copy that
/// [`Output::finish`] writes back.
enum Output<'a, T> {
    Direct(&'a mut [T]),
    Staged { buf: Vec<T>, dst: *mut T },
}

impl<T: Copy> Output<'_, T> {
    fn as_mut(&mut self) -> &mut [T] {
        match self {
            Output::Direct(s) => s,
            Output::Staged { buf, .. } => buf,
        }
    }

    /// Writes a staged result back to the caller's memory.
    fn finish(self) {
        if let Output::Staged { buf, dst } = self {
            // SAFETY: `dst` passed `span` for `buf.len()` elements and is valid for writes (the
            // contract of `output`); bytes are copied, so alignment does not matter, and `buf`
            // is a separate allocation.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    buf.as_ptr().cast::<u8>(),
                    dst.cast::<u8>(),
                    buf.len() * size_of::<T>(),
                )
            };
        }
    }
}

/// The `len` elements at `p` as an output.
///
/// # Safety
/// `p` passed [`span`] for `len`, points to `len` initialised `T`s valid for reads and writes,
/// and no other live reference covers them.
unsafe fn output<'a, T: Copy>(p: *mut T, len: usize) -> Output<'a, T> {
    if len > 0 && !p.is_aligned() {
        // SAFETY: checked by `span` and the caller's contract; read unaligned.
        let buf = (0..len)
            .map(|i| unsafe { p.add(i).read_unaligned() })
            .collect();
        return Output::Staged { buf, dst: p };
    }
    // SAFETY: checked by `span`, aligned, and the caller's contract.
    Output::Direct(unsafe { slice_mut(p, len) }.unwrap_or(&mut []))
}

/// `vaccel_sgemm` ([`sig::BlasSgemm`](vaccel_plugin::sig::BlasSgemm)): `C = alpha·A·B + beta·C`
/// with reference BLAS `SGEMM('N', 'N', ...)` semantics, column-major, on all cores
/// ([`kernels::sgemm`]). Negative dimensions or leading dimensions, leading dimensions below
/// `max(1, rows)`, and a NULL matrix that must hold elements are `VACCEL_EINVAL`.
///
/// # Safety
/// `sess` is NULL or a session from the core; each matrix pointer is NULL or points to the
/// elements its dimensions span (`ld * (cols - 1) + rows`).
#[allow(clippy::too_many_arguments)] // the BLAS argument list
pub(crate) unsafe extern "C" fn blas_sgemm(
    sess: Sess,
    m: i64,
    n: i64,
    k: i64,
    alpha: f32,
    a: *mut f32,
    lda: i64,
    b: *mut f32,
    ldb: i64,
    beta: f32,
    c: *mut f32,
    ldc: i64,
) -> c_int {
    const OP: &str = "sgemm";
    op("blas_sgemm", || {
        // SAFETY: `sess` comes from the core.
        unsafe { session(sess, OP) }?;
        debug!(
            "[cpu] sgemm m: {m} n: {n} k: {k} alpha: {} lda: {lda} ldb: {ldb} beta: {} ldc: {ldc}",
            Float(f64::from(alpha)),
            Float(f64::from(beta))
        );
        let (m, n, k) = (size(OP, "m", m)?, size(OP, "n", n)?, size(OP, "k", k)?);
        let (lda, ldb, ldc) = (
            size(OP, "lda", lda)?,
            size(OP, "ldb", ldb)?,
            size(OP, "ldc", ldc)?,
        );
        let len = |name: &str, rows, cols, ld| {
            kernels::matrix_len(rows, cols, ld)
                .ok_or_else(|| invalid(OP, format_args!("the dimensions of {name} overflow")))
        };
        let (len_a, len_b, len_c) = (
            len("A", m, k, lda)?,
            len("B", k, n, ldb)?,
            len("C", m, n, ldc)?,
        );
        let (_, _, out) = (
            span(OP, "A", a, len_a)?,
            span(OP, "B", b, len_b)?,
            span(OP, "C", c, len_c)?,
        );
        // SAFETY: the spans were checked; the caller's contract gives the elements; `C` is the
        // only output and A and B are copied if they overlap it.
        let (a, b, mut c) = unsafe {
            (
                input(a, len_a, &[out]),
                input(b, len_b, &[out]),
                output(c, len_c),
            )
        };
        kernels::sgemm(m, n, k, alpha, &a, lda, &b, ldb, beta, c.as_mut(), ldc)
            .map_err(|e| invalid(OP, e))?;
        c.finish();
        Ok(VACCEL_OK)
    })
}

/// `vaccel_minmax` ([`sig::Minmax`](vaccel_plugin::sig::Minmax)): `outdata[i]` is `indata[i]`
/// clamped to `[low_threshold, high_threshold]`, `*min` and `*max` the smallest and largest of
/// `outdata` ([`kernels::minmax`]). `ndata <= 0`, `low_threshold > high_threshold` and NULL
/// pointers are `VACCEL_EINVAL`.
///
/// # Safety
/// `sess` is NULL or a session from the core; `indata` and `outdata` are NULL or hold `ndata`
/// doubles, `min` and `max` are NULL or point to one double each.
#[allow(clippy::too_many_arguments)] // the C argument list
pub(crate) unsafe extern "C" fn minmax(
    sess: Sess,
    indata: *const f64,
    ndata: c_int,
    low_threshold: c_int,
    high_threshold: c_int,
    outdata: *mut f64,
    min: *mut f64,
    max: *mut f64,
) -> c_int {
    const OP: &str = "minmax";
    op(OP, || {
        // SAFETY: `sess` comes from the core.
        unsafe { session(sess, OP) }?;
        debug!("[cpu] minmax ndata: {ndata} low: {low_threshold} high: {high_threshold}");
        let n = size(OP, "ndata", i64::from(ndata))?;
        if n == 0 {
            return Err(invalid(OP, "no data (ndata = 0)"));
        }
        span(OP, "indata", indata, n)?;
        let out = span(OP, "outdata", outdata, n)?;
        span(OP, "min", min.cast_const(), 1)?;
        span(OP, "max", max.cast_const(), 1)?;
        let (lo, hi) = (f64::from(low_threshold), f64::from(high_threshold));
        let (lo_v, hi_v) = {
            // SAFETY: the spans were checked; `indata` is copied if it overlaps `outdata`.
            let (input, mut output) = unsafe { (input(indata, n, &[out]), output(outdata, n)) };
            let r = kernels::minmax(&input, lo, hi, output.as_mut()).map_err(|e| invalid(OP, e))?;
            output.finish();
            r
        };
        // SAFETY: checked non-NULL; written (unaligned) through the raw pointers after the
        // output slice is gone, so they may point anywhere in it.
        unsafe {
            min.write_unaligned(lo_v);
            max.write_unaligned(hi_v);
        }
        Ok(VACCEL_OK)
    })
}

/// `vaccel_fpga_arraycopy` ([`sig::FpgaArraycopy`](vaccel_plugin::sig::FpgaArraycopy)):
/// `out_a = a` for `len_a` ints.
///
/// # Safety
/// `sess` is NULL or a session from the core; `a` and `out_a` are NULL or hold `len_a` ints.
pub(crate) unsafe extern "C" fn fpga_arraycopy(
    sess: Sess,
    a: *mut c_int,
    out_a: *mut c_int,
    len_a: usize,
) -> c_int {
    const OP: &str = "fpga_arraycopy";
    op(OP, || {
        // SAFETY: `sess` comes from the core.
        unsafe { session(sess, OP) }?;
        debug!("[cpu] fpga_arraycopy len_a: {len_a}");
        span(OP, "a", a, len_a)?;
        let out = span(OP, "out_a", out_a, len_a)?;
        // SAFETY: the spans were checked; `a` is copied if it overlaps `out_a`.
        let (a, mut out_a) = unsafe { (input(a, len_a, &[out]), output(out_a, len_a)) };
        kernels::arraycopy(&a, out_a.as_mut()).map_err(|e| invalid(OP, e))?;
        out_a.finish();
        Ok(VACCEL_OK)
    })
}

/// `vaccel_fpga_mmult` ([`sig::FpgaMmult`](vaccel_plugin::sig::FpgaMmult)): `c = a × b` for
/// `n × n` row-major matrices with `n * n == len_a` ([`kernels::mmult`]); a `len_a` that is not
/// a perfect square is `VACCEL_EINVAL`.
///
/// # Safety
/// `sess` is NULL or a session from the core; `a`, `b` and `c` are NULL or hold `len_a` floats.
pub(crate) unsafe extern "C" fn fpga_mmult(
    sess: Sess,
    a: *mut f32,
    b: *mut f32,
    c: *mut f32,
    len_a: usize,
) -> c_int {
    const OP: &str = "fpga_mmult";
    op(OP, || {
        // SAFETY: `sess` comes from the core.
        unsafe { session(sess, OP) }?;
        debug!("[cpu] fpga_mmult len_a: {len_a}");
        span(OP, "a", a, len_a)?;
        span(OP, "b", b, len_a)?;
        let out = span(OP, "c", c, len_a)?;
        // SAFETY: the spans were checked; inputs overlapping `c` are copied.
        let (a, b, mut c) = unsafe {
            (
                input(a, len_a, &[out]),
                input(b, len_a, &[out]),
                output(c, len_a),
            )
        };
        kernels::mmult(&a, &b, c.as_mut()).map_err(|e| invalid(OP, e))?;
        c.finish();
        Ok(VACCEL_OK)
    })
}

/// `vaccel_fpga_parallel` ([`sig::FpgaParallel`](vaccel_plugin::sig::FpgaParallel)):
/// `add_output = a + b` and `mult_output = a * b` elementwise over `len_a` floats. Overlapping
/// outputs are `VACCEL_EINVAL`.
///
/// # Safety
/// `sess` is NULL or a session from the core; the four arrays are NULL or hold `len_a` floats.
pub(crate) unsafe extern "C" fn fpga_parallel(
    sess: Sess,
    a: *mut f32,
    b: *mut f32,
    add_output: *mut f32,
    mult_output: *mut f32,
    len_a: usize,
) -> c_int {
    const OP: &str = "fpga_parallel";
    op(OP, || {
        // SAFETY: `sess` comes from the core.
        unsafe { session(sess, OP) }?;
        debug!("[cpu] fpga_parallel len_a: {len_a}");
        span(OP, "a", a, len_a)?;
        span(OP, "b", b, len_a)?;
        let add = span(OP, "add_output", add_output, len_a)?;
        let mult = span(OP, "mult_output", mult_output, len_a)?;
        if overlaps(add, mult) {
            return Err(invalid(OP, "add_output and mult_output overlap"));
        }
        // SAFETY: the spans were checked; the outputs are disjoint and inputs overlapping them
        // are copied.
        let (a, b, mut add_output, mut mult_output) = unsafe {
            (
                input(a, len_a, &[add, mult]),
                input(b, len_a, &[add, mult]),
                output(add_output, len_a),
                output(mult_output, len_a),
            )
        };
        kernels::parallel(&a, &b, add_output.as_mut(), mult_output.as_mut())
            .map_err(|e| invalid(OP, e))?;
        add_output.finish();
        mult_output.finish();
        Ok(VACCEL_OK)
    })
}

/// `vaccel_fpga_vadd` ([`sig::FpgaVectoradd`](vaccel_plugin::sig::FpgaVectoradd)):
/// `c[i] = a[i] + b[i]` for `i < len_a`; `len_b < len_a` is `VACCEL_EINVAL`.
///
/// # Safety
/// `sess` is NULL or a session from the core; `a` and `c` are NULL or hold `len_a` floats, `b`
/// is NULL or holds `len_b`.
pub(crate) unsafe extern "C" fn fpga_vectoradd(
    sess: Sess,
    a: *mut f32,
    b: *mut f32,
    c: *mut f32,
    len_a: usize,
    len_b: usize,
) -> c_int {
    const OP: &str = "fpga_vadd";
    op("fpga_vectoradd", || {
        // SAFETY: `sess` comes from the core.
        unsafe { session(sess, OP) }?;
        debug!("[cpu] fpga_vadd len_a: {len_a} len_b: {len_b}");
        if len_b < len_a {
            return Err(invalid(
                OP,
                format_args!("len_b = {len_b} is smaller than len_a = {len_a}"),
            ));
        }
        span(OP, "a", a, len_a)?;
        span(OP, "b", b, len_b)?;
        let out = span(OP, "c", c, len_a)?;
        // SAFETY: the spans were checked; inputs overlapping `c` are copied.
        let (a, b, mut c) = unsafe {
            (
                input(a, len_a, &[out]),
                input(b, len_b, &[out]),
                output(c, len_a),
            )
        };
        kernels::vectoradd(&a, &b, c.as_mut()).map_err(|e| invalid(OP, e))?;
        c.finish();
        Ok(VACCEL_OK)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_stubs::{debug_lines, take_log};
    use std::ptr;
    use vaccel_plugin::abi::SLOG_ERROR;

    fn session(id: i64) -> vaccel_session {
        // SAFETY: an all-zero session is a valid value of the plain C struct.
        let mut s: vaccel_session = unsafe { std::mem::zeroed() };
        s.id = id as _;
        s
    }

    /// The error lines logged since the last call.
    fn errors() -> Vec<String> {
        take_log()
            .into_iter()
            .filter(|(f, _)| *f == SLOG_ERROR)
            .map(|(_, m)| m)
            .collect()
    }

    /// `blas_sgemm` on Rust slices.
    #[allow(clippy::too_many_arguments)]
    fn sgemm_call(
        s: &mut vaccel_session,
        (m, n, k): (i64, i64, i64),
        alpha: f32,
        a: *mut f32,
        lda: i64,
        b: *mut f32,
        ldb: i64,
        beta: f32,
        c: *mut f32,
        ldc: i64,
    ) -> c_int {
        // SAFETY: the tests pass arrays spanning the dimensions, or invalid ones the op rejects
        // before reading.
        unsafe { blas_sgemm(s, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) }
    }

    #[test]
    fn sgemm_column_major() {
        let mut s = session(7);
        // A = [[1,3],[2,4]] (column-major [1,2,3,4]), B = [[5,7],[6,8]].
        let mut a = [1.0f32, 2.0, 3.0, 4.0];
        let mut b = [5.0f32, 6.0, 7.0, 8.0];
        let mut c = [1.0f32; 4];
        take_log();
        let rc = sgemm_call(
            &mut s,
            (2, 2, 2),
            2.0,
            a.as_mut_ptr(),
            2,
            b.as_mut_ptr(),
            2,
            0.5,
            c.as_mut_ptr(),
            2,
        );
        assert_eq!(rc, VACCEL_OK);
        // A·B = [[23,31],[34,46]] → column-major [23,34,31,46]; ×2 + 0.5.
        assert_eq!(c, [46.5, 68.5, 62.5, 92.5]);
        let lines = debug_lines();
        assert_eq!(lines[0], "[cpu] Calling sgemm for session 7");
        assert_eq!(
            lines[1],
            "[cpu] sgemm m: 2 n: 2 k: 2 alpha: 2.000000 lda: 2 ldb: 2 beta: 0.500000 ldc: 2"
        );
    }

    #[test]
    fn sgemm_padded_and_beta_zero() {
        let mut s = session(1);
        // 2×3 · 3×1 with lda = 3 (a padding row of NaN), ldc = 4, C full of NaN.
        let mut a = [1.0f32, 2.0, f32::NAN, 3.0, 4.0, f32::NAN, 5.0, 6.0];
        let mut b = [1.0f32, 1.0, 1.0];
        let mut c = [f32::NAN; 2];
        let rc = sgemm_call(
            &mut s,
            (2, 1, 3),
            1.0,
            a.as_mut_ptr(),
            3,
            b.as_mut_ptr(),
            3,
            0.0,
            c.as_mut_ptr(),
            4,
        );
        assert_eq!(rc, VACCEL_OK);
        assert_eq!(c, [9.0, 12.0]);
    }

    #[test]
    fn sgemm_output_overlapping_an_input() {
        let mut s = session(1);
        // C is A: the product is computed from A as it was.
        let mut a = [1.0f32, 2.0, 3.0, 4.0];
        let mut b = [0.0f32, 1.0, 1.0, 0.0]; // swaps the columns
        let pa = a.as_mut_ptr();
        let rc = sgemm_call(&mut s, (2, 2, 2), 1.0, pa, 2, b.as_mut_ptr(), 2, 0.0, pa, 2);
        assert_eq!(rc, VACCEL_OK);
        assert_eq!(a, [3.0, 4.0, 1.0, 2.0]);
    }

    #[test]
    fn sgemm_invalid_arguments() {
        let mut s = session(1);
        let mut buf = [0.0f32; 16];
        let p = buf.as_mut_ptr();
        take_log();
        for (dims, lds, msg) in [
            ((-1, 2, 2), (2, 2, 2), "[cpu] sgemm: m = -1 is negative"),
            ((2, -3, 2), (2, 2, 2), "[cpu] sgemm: n = -3 is negative"),
            ((2, 2, -1), (2, 2, 2), "[cpu] sgemm: k = -1 is negative"),
            ((2, 2, 2), (-2, 2, 2), "[cpu] sgemm: lda = -2 is negative"),
            (
                (3, 2, 2),
                (2, 2, 3),
                "[cpu] sgemm: lda = 2 is too small: it must be at least 3",
            ),
            (
                (2, 2, 3),
                (2, 2, 2),
                "[cpu] sgemm: ldb = 2 is too small: it must be at least 3",
            ),
            (
                (3, 2, 2),
                (3, 2, 1),
                "[cpu] sgemm: ldc = 1 is too small: it must be at least 3",
            ),
            (
                (0, 2, 2),
                (0, 2, 1),
                "[cpu] sgemm: lda = 0 is too small: it must be at least 1",
            ),
        ] {
            let rc = sgemm_call(&mut s, dims, 1.0, p, lds.0, p, lds.1, 0.0, p, lds.2);
            assert_eq!(rc, VACCEL_EINVAL, "{msg}");
            assert_eq!(errors(), [msg]);
        }
        let rc = sgemm_call(&mut s, (2, 2, 2), 1.0, ptr::null_mut(), 2, p, 2, 0.0, p, 2);
        assert_eq!(rc, VACCEL_EINVAL);
        assert_eq!(errors(), ["[cpu] sgemm: A is NULL"]);
        let rc = sgemm_call(&mut s, (2, 2, 2), 1.0, p, 2, p, 2, 0.0, ptr::null_mut(), 2);
        assert_eq!(rc, VACCEL_EINVAL);
        assert_eq!(errors(), ["[cpu] sgemm: C is NULL"]);
        // Huge dimensions are refused before any slice is made.
        let rc = sgemm_call(&mut s, (2, 1 << 62, 2), 1.0, p, 2, p, 2, 0.0, p, 1 << 62);
        assert_eq!(rc, VACCEL_EINVAL);
        assert_eq!(errors(), ["[cpu] sgemm: the dimensions of C overflow"]);
        let rc = sgemm_call(&mut s, (2, 1 << 61, 2), 1.0, p, 2, p, 2, 0.0, p, 2);
        assert_eq!(rc, VACCEL_EINVAL);
        assert_eq!(
            errors(),
            ["[cpu] sgemm: 4611686018427387904 elements of B overflow"]
        );
        // Empty products need no arrays.
        let null = ptr::null_mut();
        assert_eq!(
            sgemm_call(&mut s, (0, 0, 0), 1.0, null, 1, null, 1, 0.0, null, 1),
            VACCEL_OK
        );
        // NULL session.
        // SAFETY: the op rejects a NULL session before reading anything.
        let rc = unsafe { blas_sgemm(ptr::null_mut(), 1, 1, 1, 1.0, p, 1, p, 1, 0.0, p, 1) };
        assert_eq!(rc, VACCEL_EINVAL);
        assert_eq!(errors(), ["[cpu] sgemm: Invalid session"]);
        assert_eq!(buf, [0.0; 16]);
    }

    #[test]
    fn sgemm_larger_matches_naive() {
        let mut s = session(1);
        let (m, n, k) = (37usize, 41usize, 43usize);
        let mut a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 - 3.0).collect();
        let mut b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.5).collect();
        let mut c = vec![f32::NAN; m * n];
        let rc = sgemm_call(
            &mut s,
            (m as i64, n as i64, k as i64),
            1.0,
            a.as_mut_ptr(),
            m as i64,
            b.as_mut_ptr(),
            k as i64,
            0.0,
            c.as_mut_ptr(),
            m as i64,
        );
        assert_eq!(rc, VACCEL_OK);
        for j in 0..n {
            for i in 0..m {
                let want: f32 = (0..k).map(|p| a[i + p * m] * b[p + j * k]).sum();
                assert_eq!(c[i + j * m], want, "({i}, {j})");
            }
        }
    }

    /// `minmax` on Rust slices: `(rc, out, min, max)`.
    fn minmax_call(input: &[f64], low: c_int, high: c_int) -> (c_int, Vec<f64>, f64, f64) {
        let mut s = session(4);
        let mut out = vec![-1.0; input.len()];
        let (mut min, mut max) = (f64::NAN, f64::NAN);
        // SAFETY: arrays of `input.len()` doubles and two out-doubles.
        let rc = unsafe {
            minmax(
                &mut s,
                input.as_ptr(),
                input.len() as c_int,
                low,
                high,
                out.as_mut_ptr(),
                &mut min,
                &mut max,
            )
        };
        (rc, out, min, max)
    }

    #[test]
    fn minmax_clamps() {
        take_log();
        let (rc, out, min, max) = minmax_call(&[5.0, -3.5, 12.0, 0.5, 100.0], 0, 10);
        assert_eq!(rc, VACCEL_OK);
        assert_eq!(out, [5.0, 0.0, 10.0, 0.5, 10.0]);
        assert_eq!((min, max), (0.0, 10.0));
        assert_eq!(
            debug_lines(),
            [
                "[cpu] Calling minmax for session 4",
                "[cpu] minmax ndata: 5 low: 0 high: 10"
            ]
        );
        let (rc, _, min, max) = minmax_call(&[2.5, 3.0, 1.5], -100, 100);
        assert_eq!((rc, min, max), (VACCEL_OK, 1.5, 3.0));
    }

    #[test]
    fn minmax_in_place_and_into_outdata() {
        let mut s = session(1);
        let mut data = [4.0, -9.0, 30.0, 7.0];
        let p = data.as_mut_ptr();
        // outdata is indata, and min/max point into it too.
        // SAFETY: one array of 4 doubles for everything.
        let rc = unsafe { minmax(&mut s, p, 4, -5, 20, p, p.add(2), p.add(3)) };
        assert_eq!(rc, VACCEL_OK);
        assert_eq!(data, [4.0, -5.0, -5.0, 20.0]);
    }

    #[test]
    fn minmax_invalid_arguments() {
        take_log();
        let (rc, out, ..) = minmax_call(&[1.0, 2.0], 5, 4);
        assert_eq!(rc, VACCEL_EINVAL);
        assert_eq!(out, [-1.0, -1.0]);
        assert_eq!(
            errors(),
            ["[cpu] minmax: low threshold 5 is above high threshold 4"]
        );
        assert_eq!(minmax_call(&[], 0, 1).0, VACCEL_EINVAL);
        assert_eq!(errors(), ["[cpu] minmax: no data (ndata = 0)"]);
        let mut s = session(1);
        let (mut x, mut min, mut max) = ([1.0f64; 2], 0.0, 0.0);
        // SAFETY: the op rejects each call before reading.
        unsafe {
            let p = x.as_mut_ptr();
            assert_eq!(
                minmax(&mut s, p, -2, 0, 1, p, &mut min, &mut max),
                VACCEL_EINVAL
            );
            assert_eq!(errors(), ["[cpu] minmax: ndata = -2 is negative"]);
            let rc = minmax(&mut s, ptr::null(), 2, 0, 1, p, &mut min, &mut max);
            assert_eq!(rc, VACCEL_EINVAL);
            assert_eq!(errors(), ["[cpu] minmax: indata is NULL"]);
            let rc = minmax(&mut s, p, 2, 0, 1, ptr::null_mut(), &mut min, &mut max);
            assert_eq!(rc, VACCEL_EINVAL);
            assert_eq!(errors(), ["[cpu] minmax: outdata is NULL"]);
            let rc = minmax(&mut s, p, 2, 0, 1, p, ptr::null_mut(), &mut max);
            assert_eq!(rc, VACCEL_EINVAL);
            assert_eq!(errors(), ["[cpu] minmax: min is NULL"]);
            let rc = minmax(&mut s, p, 2, 0, 1, p, &mut min, ptr::null_mut());
            assert_eq!(rc, VACCEL_EINVAL);
            assert_eq!(errors(), ["[cpu] minmax: max is NULL"]);
            let rc = minmax(ptr::null_mut(), p, 2, 0, 1, p, &mut min, &mut max);
            assert_eq!(rc, VACCEL_EINVAL);
            assert_eq!(errors(), ["[cpu] minmax: Invalid session"]);
        }
        assert_eq!((x, min, max), ([1.0; 2], 0.0, 0.0));
    }

    #[test]
    fn arraycopy_copies() {
        let mut s = session(2);
        let mut a = [7, 8, 9, 10, 11];
        let mut out = [0; 5];
        take_log();
        // SAFETY: two arrays of 5 ints.
        let rc = unsafe { fpga_arraycopy(&mut s, a.as_mut_ptr(), out.as_mut_ptr(), 5) };
        assert_eq!(rc, VACCEL_OK);
        assert_eq!(out, a);
        assert_eq!(
            debug_lines(),
            [
                "[cpu] Calling fpga_arraycopy for session 2",
                "[cpu] fpga_arraycopy len_a: 5"
            ]
        );
        // Onto itself.
        let p = a.as_mut_ptr();
        // SAFETY: one array of 5 ints.
        assert_eq!(unsafe { fpga_arraycopy(&mut s, p, p, 5) }, VACCEL_OK);
        assert_eq!(a, [7, 8, 9, 10, 11]);
        // SAFETY: the op rejects NULL arrays and a NULL session before reading.
        unsafe {
            assert_eq!(
                fpga_arraycopy(&mut s, ptr::null_mut(), out.as_mut_ptr(), 5),
                VACCEL_EINVAL
            );
            assert_eq!(errors(), ["[cpu] fpga_arraycopy: a is NULL"]);
            assert_eq!(
                fpga_arraycopy(&mut s, a.as_mut_ptr(), ptr::null_mut(), 5),
                VACCEL_EINVAL
            );
            assert_eq!(
                fpga_arraycopy(ptr::null_mut(), a.as_mut_ptr(), out.as_mut_ptr(), 5),
                VACCEL_EINVAL
            );
            assert_eq!(
                errors().last().unwrap(),
                "[cpu] fpga_arraycopy: Invalid session"
            );
            // Nothing to copy: no arrays needed.
            assert_eq!(
                fpga_arraycopy(&mut s, ptr::null_mut(), ptr::null_mut(), 0),
                VACCEL_OK
            );
        }
    }

    #[test]
    fn vectoradd_adds() {
        let mut s = session(3);
        let mut a = [1.0f32, 2.0, 6.0, 4.0, 5.0];
        let mut b = [1.0f32, 2.0, 3.0, 4.0, 5.0];
        let mut c = [0.0f32; 5];
        take_log();
        // SAFETY: three arrays of 5 floats.
        let rc =
            unsafe { fpga_vectoradd(&mut s, a.as_mut_ptr(), b.as_mut_ptr(), c.as_mut_ptr(), 5, 5) };
        assert_eq!(rc, VACCEL_OK);
        assert_eq!(c, [2.0, 4.0, 9.0, 8.0, 10.0]);
        assert_eq!(
            debug_lines(),
            [
                "[cpu] Calling fpga_vadd for session 3",
                "[cpu] fpga_vadd len_a: 5 len_b: 5"
            ]
        );
        // In place: c is a.
        let pa = a.as_mut_ptr();
        // SAFETY: as above.
        let rc = unsafe { fpga_vectoradd(&mut s, pa, b.as_mut_ptr(), pa, 5, 5) };
        assert_eq!(rc, VACCEL_OK);
        assert_eq!(a, [2.0, 4.0, 9.0, 8.0, 10.0]);
        // b shorter than a.
        // SAFETY: the op rejects the call before reading.
        let rc =
            unsafe { fpga_vectoradd(&mut s, a.as_mut_ptr(), b.as_mut_ptr(), c.as_mut_ptr(), 5, 4) };
        assert_eq!(rc, VACCEL_EINVAL);
        assert_eq!(
            errors(),
            ["[cpu] fpga_vadd: len_b = 4 is smaller than len_a = 5"]
        );
        // SAFETY: as above.
        let rc = unsafe {
            fpga_vectoradd(
                ptr::null_mut(),
                a.as_mut_ptr(),
                b.as_mut_ptr(),
                c.as_mut_ptr(),
                5,
                5,
            )
        };
        assert_eq!(rc, VACCEL_EINVAL);
    }

    #[test]
    fn parallel_adds_and_multiplies() {
        let mut s = session(5);
        let mut a = [1.0f32, 2.0, 6.0, 4.0, 5.0];
        let mut b = [1.0f32, 2.0, 3.0, 4.0, 5.0];
        let (mut add, mut mult) = ([0.0f32; 5], [0.0f32; 5]);
        take_log();
        // SAFETY: four arrays of 5 floats.
        let rc = unsafe {
            fpga_parallel(
                &mut s,
                a.as_mut_ptr(),
                b.as_mut_ptr(),
                add.as_mut_ptr(),
                mult.as_mut_ptr(),
                5,
            )
        };
        assert_eq!(rc, VACCEL_OK);
        assert_eq!(add, [2.0, 4.0, 9.0, 8.0, 10.0]);
        assert_eq!(mult, [1.0, 4.0, 18.0, 16.0, 25.0]);
        assert_eq!(
            debug_lines()[0],
            "[cpu] Calling fpga_parallel for session 5"
        );
        // In place: add_output is a, mult_output is b.
        let (pa, pb) = (a.as_mut_ptr(), b.as_mut_ptr());
        // SAFETY: two arrays of 5 floats.
        let rc = unsafe { fpga_parallel(&mut s, pa, pb, pa, pb, 5) };
        assert_eq!(rc, VACCEL_OK);
        assert_eq!(a, [2.0, 4.0, 9.0, 8.0, 10.0]);
        assert_eq!(b, [1.0, 4.0, 18.0, 16.0, 25.0]);
        // Overlapping outputs are refused.
        // SAFETY: the op rejects the call before writing.
        let rc =
            unsafe { fpga_parallel(&mut s, pa, pb, add.as_mut_ptr(), add.as_mut_ptr().add(1), 4) };
        assert_eq!(rc, VACCEL_EINVAL);
        assert_eq!(
            errors(),
            ["[cpu] fpga_parallel: add_output and mult_output overlap"]
        );
        assert_eq!(add, [2.0, 4.0, 9.0, 8.0, 10.0]);
    }

    #[test]
    fn mmult_row_major() {
        let mut s = session(6);
        let mut a = [1.0f32, 2.0, 3.0, 4.0];
        let mut b = [5.0f32, 6.0, 7.0, 8.0];
        let mut c = [0.0f32; 4];
        take_log();
        // SAFETY: three arrays of 4 floats.
        let rc = unsafe { fpga_mmult(&mut s, a.as_mut_ptr(), b.as_mut_ptr(), c.as_mut_ptr(), 4) };
        assert_eq!(rc, VACCEL_OK);
        assert_eq!(c, [19.0, 22.0, 43.0, 50.0]);
        assert_eq!(
            debug_lines(),
            [
                "[cpu] Calling fpga_mmult for session 6",
                "[cpu] fpga_mmult len_a: 4"
            ]
        );
        // In place: c is b.
        let pb = b.as_mut_ptr();
        // SAFETY: as above.
        let rc = unsafe { fpga_mmult(&mut s, a.as_mut_ptr(), pb, pb, 4) };
        assert_eq!(rc, VACCEL_OK);
        assert_eq!(b, [19.0, 22.0, 43.0, 50.0]);
        // 5 elements are not a square matrix (the C API test's call).
        let mut v = [1.0f32; 5];
        let p = v.as_mut_ptr();
        // SAFETY: the op rejects the call before writing.
        assert_eq!(unsafe { fpga_mmult(&mut s, p, p, p, 5) }, VACCEL_EINVAL);
        assert_eq!(
            errors(),
            ["[cpu] fpga_mmult: 5 elements are not a square matrix"]
        );
        assert_eq!(v, [1.0; 5]);
        // SAFETY: as above.
        let rc = unsafe { fpga_mmult(ptr::null_mut(), p, p, p, 4) };
        assert_eq!(rc, VACCEL_EINVAL);
        // SAFETY: as above.
        let rc = unsafe { fpga_mmult(&mut s, p, ptr::null_mut(), p, 4) };
        assert_eq!(rc, VACCEL_EINVAL);
        assert_eq!(errors().last().unwrap(), "[cpu] fpga_mmult: b is NULL");
    }

    #[test]
    fn the_op_table_has_these_functions() {
        use vaccel_plugin::abi::OpType;
        let ops = (&raw const crate::__VACCEL_PLUGIN_OPS).cast::<vaccel_plugin::abi::vaccel_op>();
        let find = |t: OpType| {
            (0..crate::__VACCEL_PLUGIN_NR_OPS)
                // SAFETY: reading the entries of the plugin's static op table.
                .map(|i| unsafe { &*ops.add(i) })
                .find(|o| o.type_ == t as u32)
                .map(|o| o.func)
        };
        let want: [(OpType, *mut std::ffi::c_void); 6] = [
            (OpType::BlasSgemm, blas_sgemm as _),
            (OpType::Minmax, minmax as _),
            (OpType::FpgaArraycopy, fpga_arraycopy as _),
            (OpType::FpgaMmult, fpga_mmult as _),
            (OpType::FpgaParallel, fpga_parallel as _),
            (OpType::FpgaVectoradd, fpga_vectoradd as _),
        ];
        for (t, f) in want {
            assert_eq!(find(t), Some(f), "{t:?}");
        }
    }

    /// Stores `values` at a misaligned address inside `buf` (resized to hold them with two
    /// bytes to spare) and returns the pointer and its byte offset in `buf`.
    fn put_unaligned<T: Copy>(buf: &mut Vec<u8>, values: &[T]) -> (*mut T, usize) {
        buf.clear();
        buf.resize(size_of_val(values) + 2, 0);
        // One of two consecutive addresses is misaligned for any type aligned to 2 or more.
        let off = if !(buf.as_ptr() as usize + 1).is_multiple_of(align_of::<T>()) {
            1
        } else {
            2
        };
        let p = buf[off..].as_mut_ptr().cast::<T>();
        assert!(!p.is_aligned());
        for (i, v) in values.iter().enumerate() {
            // SAFETY: `buf` holds `off + values.len()` elements' bytes from its start.
            unsafe { p.add(i).write_unaligned(*v) };
        }
        (p, off)
    }

    fn get_unaligned<T: Copy>(p: *const T, len: usize) -> Vec<T> {
        // SAFETY: `p` points into a live test buffer holding `len` elements.
        (0..len)
            .map(|i| unsafe { p.add(i).read_unaligned() })
            .collect()
    }

    #[test]
    fn misaligned_arrays_as_the_agent_hands_them_over() {
        let mut s = session(9);
        let (mut ba, mut bb, mut bc) = (Vec::new(), Vec::new(), Vec::new());
        let (a, _) = put_unaligned(&mut ba, &[1.0f32, 2.0, 3.0, 4.0]);
        let (b, _) = put_unaligned(&mut bb, &[5.0f32, 6.0, 7.0, 8.0]);
        let (c, off) = put_unaligned(&mut bc, &[1.0f32, 1.0, 1.0, 1.0]);
        let rc = sgemm_call(&mut s, (2, 2, 2), 1.0, a, 2, b, 2, 1.0, c, 2);
        assert_eq!(rc, VACCEL_OK);
        // Column-major A·B + C: [[23,31],[34,46]] + 1.
        assert_eq!(get_unaligned(c, 4), [24.0, 35.0, 32.0, 47.0]);
        assert!(
            bc[..off].iter().all(|&x| x == 0),
            "nothing written before the array"
        );
        assert!(
            bc[off + 16..].iter().all(|&x| x == 0),
            "nothing written after it"
        );

        let (mut bin, mut bout, mut bmin, mut bmax) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (input, _) = put_unaligned(&mut bin, &[-5.0f64, 2.5, 9.0]);
        let (out, _) = put_unaligned(&mut bout, &[0.0f64; 3]);
        let (min, _) = put_unaligned(&mut bmin, &[0.0f64]);
        let (max, _) = put_unaligned(&mut bmax, &[0.0f64]);
        // SAFETY: every array holds the elements the call reads or writes.
        let rc = unsafe { minmax(&mut s, input, 3, 0, 4, out, min, max) };
        assert_eq!(rc, VACCEL_OK);
        assert_eq!(get_unaligned(out, 3), [0.0, 2.5, 4.0]);
        assert_eq!(
            (get_unaligned(min, 1)[0], get_unaligned(max, 1)[0]),
            (0.0, 4.0)
        );

        // The fpga ops, in place on a misaligned array too.
        let (mut bx, mut by) = (Vec::new(), Vec::new());
        let (x, _) = put_unaligned(&mut bx, &[1.0f32, 2.0, 6.0, 4.0, 5.0]);
        let (y, _) = put_unaligned(&mut by, &[1.0f32, 2.0, 3.0, 4.0, 5.0]);
        // SAFETY: two arrays of 5 floats.
        let rc = unsafe { fpga_vectoradd(&mut s, x, y, x, 5, 5) };
        assert_eq!(rc, VACCEL_OK);
        assert_eq!(get_unaligned(x, 5), [2.0, 4.0, 9.0, 8.0, 10.0]);
        let (mut bi, mut bo) = (Vec::new(), Vec::new());
        let (i, _) = put_unaligned(&mut bi, &[7, 8, 9]);
        let (o, _) = put_unaligned(&mut bo, &[0, 0, 0]);
        // SAFETY: two arrays of 3 ints.
        let rc = unsafe { fpga_arraycopy(&mut s, i, o, 3) };
        assert_eq!(rc, VACCEL_OK);
        assert_eq!(get_unaligned(o, 3), [7, 8, 9]);
        take_log();
    }
}
