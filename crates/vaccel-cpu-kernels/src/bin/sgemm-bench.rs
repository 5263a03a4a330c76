//! `sgemm-bench`: GFLOP/s of the cpu plugin's sgemm ([`vaccel_cpu_kernels::sgemm`]) against
//! OpenBLAS measured in the same run and a naive triple loop.
//!
//! ```text
//! cargo run --release -p vaccel-cpu-kernels --bin sgemm-bench [-- --quick]
//! ```
//!
//! Square column-major products `C = 1.5·A·B + 0.5·C` at 512, 1024 and 2048 (`--quick`: one
//! 256 run of each, a smoke run). Each figure is the best of a bounded number of rounds after
//! one warm-up run; ours and OpenBLAS take turns within each round, so that load from other
//! processes hits both alike. OpenBLAS is `dlopen`ed (`libopenblas.so.0`, `cblas_sgemm`); where
//! it is not installed its column says so and the rest is still measured. The results of ours and
//! OpenBLAS are compared (largest relative difference) so a fast but wrong kernel shows.

use std::time::{Duration, Instant};

use vaccel_cpu_kernels::{sgemm, sgemm_threads};

const ALPHA: f32 = 1.5;
const BETA: f32 = 0.5;
const CBLAS_COL_MAJOR: i32 = 102;
const CBLAS_NO_TRANS: i32 = 111;

/// `cblas_sgemm` (32-bit `blasint`, the usual OpenBLAS build).
type CblasSgemm = unsafe extern "C" fn(
    order: i32,
    trans_a: i32,
    trans_b: i32,
    m: i32,
    n: i32,
    k: i32,
    alpha: f32,
    a: *const f32,
    lda: i32,
    b: *const f32,
    ldb: i32,
    beta: f32,
    c: *mut f32,
    ldc: i32,
);
type OpenblasGetNumThreads = unsafe extern "C" fn() -> i32;

/// OpenBLAS, loaded at run time.
struct OpenBlas {
    _lib: libloading::Library,
    sgemm: CblasSgemm,
    threads: Option<i32>,
}

impl OpenBlas {
    fn load() -> Result<Self, String> {
        // SAFETY: loading OpenBLAS runs its initialisers, which only set up its thread pool.
        let lib =
            unsafe { libloading::Library::new("libopenblas.so.0") }.map_err(|e| e.to_string())?;
        // SAFETY: `cblas_sgemm` has the CBLAS signature declared by `CblasSgemm`.
        let sgemm =
            *unsafe { lib.get::<CblasSgemm>(b"cblas_sgemm\0") }.map_err(|e| e.to_string())?;
        // SAFETY: `openblas_get_num_threads` takes nothing and returns an int.
        let threads = unsafe { lib.get::<OpenblasGetNumThreads>(b"openblas_get_num_threads\0") }
            .ok()
            // SAFETY: as above; OpenBLAS is initialised once loaded.
            .map(|f| unsafe { f() });
        Ok(OpenBlas {
            _lib: lib,
            sgemm,
            threads,
        })
    }

    fn run(&self, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
        let n32 = i32::try_from(n).expect("size fits an int");
        assert!(a.len() >= n * n && b.len() >= n * n && c.len() >= n * n);
        // SAFETY: three n×n column-major matrices with leading dimension n, checked above; the
        // library stays loaded while `self` lives.
        unsafe {
            (self.sgemm)(
                CBLAS_COL_MAJOR,
                CBLAS_NO_TRANS,
                CBLAS_NO_TRANS,
                n32,
                n32,
                n32,
                ALPHA,
                a.as_ptr(),
                n32,
                b.as_ptr(),
                n32,
                BETA,
                c.as_mut_ptr(),
                n32,
            )
        }
    }
}

/// The naive column-major triple loop (j, p, i order, so the inner loop is contiguous).
fn naive(n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    for j in 0..n {
        let col = &mut c[j * n..(j + 1) * n];
        col.iter_mut().for_each(|x| *x *= BETA);
        for p in 0..n {
            let s = ALPHA * b[p + j * n];
            for (x, &ai) in col.iter_mut().zip(&a[p * n..(p + 1) * n]) {
                *x += s * ai;
            }
        }
    }
}

/// Deterministic values in [-1, 1).
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

/// One way of computing the product into `C`.
type Product<'a> = dyn FnMut(&mut [f32]) + 'a;

/// GFLOP/s of an `n`³ product that took `t`.
fn gflops(n: usize, t: Duration) -> f64 {
    2.0 * (n as f64).powi(3) / t.as_secs_f64() / 1e9
}

/// Times one run of `f` on a fresh copy of `c0` (kept in `c`).
fn time(c: &mut [f32], c0: &[f32], f: &mut Product<'_>) -> Duration {
    c.copy_from_slice(c0);
    let t = Instant::now();
    f(c);
    t.elapsed()
}

/// The best GFLOP/s of each of `fs` over at most `max_reps` timed rounds (after one warm-up
/// run each), stopping early once `budget` is spent, with each function's result. The
/// functions take turns within a round, so a change in the machine's load hits them alike.
fn best(
    n: usize,
    c0: &[f32],
    max_reps: usize,
    budget: Duration,
    fs: &mut [&mut Product<'_>],
) -> Vec<(f64, Vec<f32>)> {
    let mut c = c0.to_vec();
    let results: Vec<Vec<f32>> = fs
        .iter_mut()
        .map(|f| {
            time(&mut c, c0, &mut **f);
            c.clone()
        })
        .collect();
    let mut best = vec![Duration::MAX; fs.len()];
    let start = Instant::now();
    for _ in 0..max_reps {
        for (f, b) in fs.iter_mut().zip(&mut best) {
            *b = (*b).min(time(&mut c, c0, &mut **f));
        }
        if start.elapsed() > budget {
            break;
        }
    }
    best.into_iter()
        .zip(results)
        .map(|(t, r)| (gflops(n, t), r))
        .collect()
}

/// The largest relative difference between two results.
fn max_rel_diff(x: &[f32], y: &[f32]) -> f64 {
    x.iter()
        .zip(y)
        .map(|(&p, &q)| f64::from((p - q).abs()) / f64::from(q.abs()).max(1.0))
        .fold(0.0, f64::max)
}

fn main() {
    let quick = std::env::args().skip(1).any(|a| a == "--quick");
    let (sizes, naive_size, max_reps, budget): (&[usize], usize, usize, Duration) = if quick {
        (&[256], 256, 1, Duration::ZERO)
    } else {
        (&[512, 1024, 2048], 512, 10, Duration::from_secs(6))
    };
    let openblas = OpenBlas::load();

    println!(
        "sgemm, square column-major, C = {ALPHA}·A·B + {BETA}·C, GFLOP/s (best of up to {max_reps} rounds after a warm-up; ours and OpenBLAS take turns within a round)"
    );
    println!();
    println!(
        "| n | ours | OpenBLAS | ours / OpenBLAS | naive loop | max rel. diff ours vs OpenBLAS |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for &n in sizes {
        let a = fill(n * n, 1);
        let b = fill(n * n, 2);
        let c0 = fill(n * n, 3);
        let mut ours_f = |c: &mut [f32]| {
            sgemm(n, n, n, ALPHA, &a, n, &b, n, BETA, c, n).expect("valid dimensions");
        };
        let mut fs: Vec<&mut Product<'_>> = vec![&mut ours_f];
        let mut blas_f;
        if let Ok(ob) = &openblas {
            blas_f = |c: &mut [f32]| ob.run(n, &a, &b, c);
            fs.push(&mut blas_f);
        }
        let mut res = best(n, &c0, max_reps, budget, &mut fs).into_iter();
        let (ours, ours_c) = res.next().expect("ours was run");
        let (blas, ratio, diff) = match res.next() {
            Some((g, blas_c)) => (
                format!("{g:.1}"),
                format!("{:.0}%", 100.0 * ours / g),
                format!("{:.1e}", max_rel_diff(&ours_c, &blas_c)),
            ),
            None => ("—".into(), "—".into(), "—".into()),
        };
        let naive_g = if n == naive_size {
            let mut naive_f = |c: &mut [f32]| naive(n, &a, &b, c);
            let (g, naive_c) = best(n, &c0, max_reps.min(3), budget, &mut [&mut naive_f])
                .pop()
                .expect("one result");
            let d = max_rel_diff(&ours_c, &naive_c);
            assert!(d < 1e-3, "ours and the naive loop disagree at n = {n}: {d}");
            format!("{g:.2}")
        } else {
            "—".into()
        };
        println!("| {n} | {ours:.1} | {blas} | {ratio} | {naive_g} | {diff} |");
    }
    println!();
    println!("threads: ours {} (rayon pool)", sgemm_threads());
    match &openblas {
        Ok(ob) => match ob.threads {
            Some(t) => println!("threads: OpenBLAS {t}"),
            None => println!("threads: OpenBLAS unknown (no openblas_get_num_threads)"),
        },
        Err(e) => println!("OpenBLAS: not installed (apt-get install libopenblas0) [{e}]"),
    }
}
