//! Framework tensors of every data type cross the RPC path intact, both ways: this process is the
//! client (libvaccel + libvaccel-rpc.so, through the `vaccel` crate), the real agent serves the
//! noop plugin, whose `run` ops return copies of their inputs. Each tensor's type value, dims
//! and bytes must come back unchanged, for every value of the three C enums and for shapes from
//! a scalar to five dimensions, an empty tensor and an odd byte count among them.
//!
//! One test in its own binary: the vAccel runtime is loaded once per process.

mod common;

use common::{Agent, TempDir, Where};
use vaccel::abi::VACCEL_RESOURCE_MODEL;
use vaccel::{TensorIn, Vaccel};

/// Element sizes by type value; types without a fixed size travel as raw bytes (size 1 here).
fn tf_size(t: u32) -> usize {
    match t {
        2 | 9 | 8 | 13 | 23 => 8,
        18 => 16,
        1 | 3 | 22 => 4,
        5 | 14 | 15 | 16 | 17 | 19 => 2,
        _ => 1,
    }
}

fn tflite_size(t: u32) -> usize {
    match t {
        4 | 8 | 11 | 13 => 8,
        12 => 16,
        1 | 2 | 16 => 4,
        7 | 10 | 17 => 2,
        _ => 1,
    }
}

fn torch_size(t: u32) -> usize {
    match t {
        5 => 8,
        4 | 7 => 4,
        3 | 6 => 2,
        _ => 1,
    }
}

const SHAPES: &[&[i64]] = &[&[], &[0], &[7], &[2, 3], &[1, 3, 5, 1], &[2, 1, 3, 1, 2]];

/// Distinct, type- and shape-dependent bytes, so that a swapped or shifted tensor shows.
fn pattern(n: usize, salt: usize) -> Vec<u8> {
    (0..n).map(|i| ((i * 31 + salt * 7) % 251) as u8).collect()
}

fn numel(dims: &[i64]) -> usize {
    dims.iter().map(|&d| d as usize).product()
}

#[test]
fn every_tensor_type_round_trips_through_the_agent() {
    let dir = TempDir::new("tensors");
    let agent = Agent::start(Where::Unix(dir.0.join("a.sock")));
    let target = common::target_dir();
    let rpc = target.join("libvaccel_rpc.so");
    assert!(rpc.exists(), "run `cargo build --workspace` first");
    // SAFETY: set before libvaccel is loaded; this binary's only test.
    unsafe {
        std::env::set_var("VACCEL_PLUGINS", &rpc);
        std::env::set_var("VACCEL_RPC_ADDRESS", &agent.address);
        std::env::set_var("VACCEL_RUNDIR", &dir.0);
    }
    let vaccel = Vaccel::open_path(target.join("libvaccel.so").to_str().unwrap()).unwrap();
    let mut sess = vaccel.session(0).unwrap();
    let model = dir.0.join("model.bin");
    std::fs::write(&model, b"any model: the noop plugin copies inputs").unwrap();
    let mut res = vaccel
        .resource(model.to_str().unwrap(), VACCEL_RESOURCE_MODEL)
        .unwrap();
    sess.register(&mut res).unwrap();
    let mut checked = 0;

    // TensorFlow: all 23 values, two tensors per call so that order matters too.
    for t in 1..=23u32 {
        for (k, dims) in SHAPES.iter().enumerate() {
            let a = pattern(numel(dims) * tf_size(t), t as usize + k);
            let b = pattern(3 + k, 99 + t as usize); // an odd byte count, one dim
            let b_dims = [b.len() as i64];
            let ins = [
                TensorIn {
                    data: &a,
                    dims,
                    data_type: t,
                },
                TensorIn {
                    data: &b,
                    dims: &b_dims,
                    data_type: t,
                },
            ];
            let (out, status) = sess.tf_model_run(
                &mut res,
                None,
                &[("in_a", 0), ("in_b", 1)],
                &ins,
                &[("out_a", 0), ("out_b", 1)],
            );
            let out = out.unwrap_or_else(|e| panic!("tf type {t} dims {dims:?}: {e}"));
            assert_eq!(status.code, 0);
            assert_eq!(out.len(), 2);
            for (o, i) in out.iter().zip(&ins) {
                assert_eq!(o.data_type, t);
                assert_eq!(o.dims, i.dims, "tf type {t}");
                assert_eq!(o.data, i.data, "tf type {t} dims {dims:?}");
            }
            checked += 2;
        }
    }

    // TFLite: all 19 values (int32 dims).
    for t in 0..=18u32 {
        for (k, dims) in SHAPES.iter().enumerate() {
            let dims32: Vec<i32> = dims.iter().map(|&d| d as i32).collect();
            let a = pattern(numel(dims) * tflite_size(t), t as usize * 3 + k);
            let ins = [TensorIn {
                data: &a,
                dims: &dims32,
                data_type: t,
            }];
            let (out, status) = sess.tflite_model_run(&mut res, &ins, 1);
            let out = out.unwrap_or_else(|e| panic!("tflite type {t} dims {dims:?}: {e}"));
            assert_eq!(status, 0);
            assert_eq!(out[0].data_type, t);
            assert_eq!(out[0].dims, dims32, "tflite type {t}");
            assert_eq!(out[0].data, a, "tflite type {t} dims {dims:?}");
            checked += 1;
        }
    }

    // Torch: all 7 values (int64 dims, an `int64_t nr_dims`).
    for t in 1..=7u32 {
        for (k, dims) in SHAPES.iter().enumerate() {
            let a = pattern(numel(dims) * torch_size(t), t as usize * 5 + k);
            let ins = [TensorIn {
                data: &a,
                dims,
                data_type: t,
            }];
            let out = sess
                .torch_model_run(&mut res, None, &ins, 1)
                .unwrap_or_else(|e| panic!("torch type {t} dims {dims:?}: {e}"));
            assert_eq!(out[0].data_type, t);
            assert_eq!(out[0].dims, dims.to_vec(), "torch type {t}");
            assert_eq!(out[0].data, a, "torch type {t} dims {dims:?}");
            checked += 1;
        }
    }
    // A large tensor: 24 MiB of float32 in [1, 2048, 3072] through tf and back.
    let big = pattern(2048 * 3072 * 4, 5);
    let (out, _) = sess.tf_model_run(
        &mut res,
        None,
        &[("in", 0)],
        &[TensorIn {
            data: &big,
            dims: &[1, 2048, 3072],
            data_type: 1,
        }],
        &[("out", 0)],
    );
    let out = out.unwrap();
    assert!(out[0].data == big && out[0].dims == [1, 2048, 3072]);
    checked += 1;

    assert_eq!(checked, 23 * 6 * 2 + 19 * 6 + 7 * 6 + 1);
    sess.unregister(&mut res).unwrap();
}
