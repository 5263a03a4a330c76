//! The framework runtimes end to end: `vaccel-rpc-agent` serving `libvaccel-cpu.so` (built with
//! `torch`, `tensorflow` and `tflite`) on a unix socket, this process its client through
//! `libvaccel-rpc.so`, with the real models of `shared/assets` and references computed here
//! (a direct `tch` run, ONNX Runtime on the ONNX conversion, the assets README's values).
//!
//! It needs the install tree (`make stage`: agent, plugins, ONNX Runtime, TensorFlow and LiteRT
//! libraries) at `VACCEL_STAGE` or `build/stage`, and `../shared` beside the checkout; `make
//! test` runs it. One test function, because the vAccel runtime is loaded once per process
//! with the RPC plugin; each step says what it checks.

#![cfg(all(feature = "torch", feature = "tensorflow", feature = "tflite"))]

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use vaccel::{Error, Session, TensorIn, Vaccel};
use vaccel_plugin::abi::{self, VACCEL_RESOURCE_MODEL};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn stage() -> PathBuf {
    let s = std::env::var_os("VACCEL_STAGE")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("build/stage"));
    assert!(
        s.join("bin/vaccel-rpc-agent").exists() && s.join("lib/libvaccel-cpu.so").exists(),
        "no install tree at {} (run `make stage` or set VACCEL_STAGE)",
        s.display()
    );
    s
}

fn assets() -> PathBuf {
    let a = workspace().join("../shared/assets");
    assert!(
        a.is_dir(),
        "../shared/assets is missing beside the checkout"
    );
    a
}

/// The agent, killed on drop; its log goes to a file the checks read.
struct Agent {
    child: Child,
    dir: PathBuf,
    log: PathBuf,
}

impl Agent {
    fn start(stage: &Path) -> Agent {
        let dir = std::env::temp_dir().join(format!("vaccel-fw-test.{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("agent.log");
        let sock = dir.join("agent.sock");
        let child = Command::new(stage.join("bin/vaccel-rpc-agent"))
            .arg("-a")
            .arg(format!("unix://{}", sock.display()))
            .arg("--vaccel-config")
            .arg(format!(
                "plugins={},log_level=1",
                stage.join("lib/libvaccel-cpu.so").display()
            ))
            // vAccel's log lines go to stdout, the agent's own to stderr.
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::OpenOptions::new().append(true).open(&log).unwrap())
            .spawn()
            .unwrap();
        let mut agent = Agent { child, dir, log };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !agent.log_text().contains("Listening on") {
            assert!(
                Instant::now() < deadline,
                "agent not ready: {}",
                agent.log_text()
            );
            assert!(
                agent.child.try_wait().unwrap().is_none(),
                "agent exited: {}",
                agent.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        agent
    }

    fn address(&self) -> String {
        format!("unix://{}", self.dir.join("agent.sock").display())
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops the agent with SIGTERM (bounded wait) and returns its whole log.
    fn stop(&mut self) -> String {
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.log_text()
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn bytes_of(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// A deterministic input in [-1, 1).
fn signal(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// An image as the image models want it: `size`x`size` bilinear, RGB, `x / 127.5 - 1`, in
/// NCHW (`nchw`) or NHWC order.
fn image_input(path: &Path, size: u32, nchw: bool) -> Vec<f32> {
    let img = image::open(path).unwrap().to_rgb8();
    let img = image::imageops::resize(&img, size, size, image::imageops::FilterType::Triangle);
    let s = size as usize;
    let mut out = vec![0f32; 3 * s * s];
    for (x, y, p) in img.enumerate_pixels() {
        let (x, y) = (x as usize, y as usize);
        for c in 0..3 {
            let i = if nchw {
                c * s * s + y * s + x
            } else {
                (y * s + x) * 3 + c
            };
            out[i] = f32::from(p[c]) / 127.5 - 1.0;
        }
    }
    out
}

fn code(e: &Error) -> i32 {
    match e {
        Error::Code(c) => *c,
        other => panic!("not a vAccel error code: {other}"),
    }
}

fn torch_in<'a>(data: &'a [u8], dims: &'a [i64]) -> TensorIn<'a, i64> {
    TensorIn {
        data,
        dims,
        data_type: abi::VACCEL_TORCH_FLOAT,
    }
}

#[test]
fn framework_models_through_the_agent() {
    let stage = stage();
    let assets = assets();
    let mut agent = Agent::start(&stage);
    // SAFETY: set before libvaccel is loaded; no other thread of this test binary reads the
    // environment meanwhile (this is its only test).
    unsafe {
        std::env::set_var("VACCEL_PLUGINS", stage.join("lib/libvaccel-rpc.so"));
        std::env::set_var("VACCEL_RPC_ADDRESS", agent.address());
    }
    let vaccel = Vaccel::open_path(stage.join("lib/libvaccel.so.0").to_str().unwrap()).unwrap();
    let mut sess = vaccel.session(0).unwrap();

    torch_cnn_trace(&vaccel, &mut sess, &assets);
    torch_efficientnet(&vaccel, &mut sess, &assets);
    tf_lstm2(&vaccel, &mut sess, &assets);
    tflite_blazeface(&vaccel, &mut sess, &stage, &assets);
    bad_models(&vaccel, &mut sess, &assets, &agent);
    drop(sess);
    assert!(agent.alive(), "the agent died: {}", agent.log_text());

    // The plugin's error lines name each bad input (vAccel's log is buffered on stdout until
    // the agent exits).
    let log = agent.stop();
    for needle in [
        "is not a TorchScript module libtorch can load",
        "is not a TFLite model",
        "needs Select TensorFlow (Flex) ops",
        "FlexTensorListReserve",
        "forward failed",
        "need 602112 bytes, the tensor has 768",
        "is not a SavedModel directory",
    ] {
        assert!(log.contains(needle), "agent log lacks {needle:?}:\n{log}");
    }
}

/// The output of a TorchScript module run here, directly with tch.
fn direct_tch(path: &Path, input: &[f32], dims: &[i64]) -> Vec<f32> {
    let module = tch::CModule::load(path).unwrap();
    let x = tch::Tensor::of_slice(input).reshape(dims);
    let y = tch::no_grad(|| module.forward_ts(&[x])).unwrap();
    Vec::<f32>::from(&y.reshape(&[-1]))
}

/// `cnn_trace.pt` through the agent equals a direct tch run of the module on the same input.
fn torch_cnn_trace(vaccel: &Vaccel, sess: &mut Session<'_>, assets: &Path) {
    let path = assets.join("models/vaccel-samples/torch/cnn_trace.pt");
    let mut res = vaccel
        .resource(path.to_str().unwrap(), VACCEL_RESOURCE_MODEL)
        .unwrap();
    sess.register(&mut res).unwrap();
    sess.torch_model_load(&mut res).unwrap();
    // The module ends in a ReLU that zeroes all ten outputs for the inputs tried (as the
    // assets README says); the EfficientNet step below compares non-zero results as well.
    let input = image_input(&assets.join("images/example.jpg"), 224, true);
    let want = direct_tch(&path, &input, &[1, 3, 224, 224]);
    let dims = [1i64, 3, 224, 224];
    let out = sess
        .torch_model_run(&mut res, None, &[torch_in(&bytes_of(&input), &dims)], 1)
        .unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].dims, vec![1, 10]);
    assert_eq!(out[0].data_type, abi::VACCEL_TORCH_FLOAT);
    let got = f32s(&out[0].data);

    let diff = max_abs_diff(&got, &want);
    eprintln!("torch cnn_trace.pt: {got:?}; direct tch: max |diff| {diff:e}");
    assert!(diff <= 1e-6, "agent {got:?} vs direct {want:?}");
    sess.unregister(&mut res).unwrap();
}

/// The traced EfficientNet-Lite0 on example.jpg: banana (954) on top.
fn torch_efficientnet(vaccel: &Vaccel, sess: &mut Session<'_>, assets: &Path) {
    let path = assets.join("models/efficientnet-lite0.torchscript.pt");
    let mut res = vaccel
        .resource(path.to_str().unwrap(), VACCEL_RESOURCE_MODEL)
        .unwrap();
    sess.register(&mut res).unwrap();
    let input = image_input(&assets.join("images/example.jpg"), 224, true);
    let t0 = Instant::now();
    let out = sess
        .torch_model_run(
            &mut res,
            None,
            &[torch_in(&bytes_of(&input), &[1, 3, 224, 224])],
            1,
        )
        .unwrap();
    let logits = f32s(&out[0].data);
    assert_eq!(out[0].dims, vec![1, 1000]);
    let top = (0..logits.len())
        .max_by(|&a, &b| logits[a].total_cmp(&logits[b]))
        .unwrap();
    let max = logits[top];
    let p = 1.0 / logits.iter().map(|l| (l - max).exp()).sum::<f32>();
    eprintln!(
        "torch efficientnet-lite0, example.jpg: top-1 {top} p={p:.4} ({:?} with the load)",
        t0.elapsed()
    );
    let want = direct_tch(&path, &input, &[1, 3, 224, 224]);
    let diff = max_abs_diff(&logits, &want);
    eprintln!(
        "torch efficientnet-lite0: max |diff| of the 1000 logits to a direct tch run {diff:e}"
    );
    assert!(diff <= 1e-5);
    assert_eq!(top, 954, "banana expected");
    assert!((p - 0.9829).abs() < 0.03, "{p}");
    sess.unregister(&mut res).unwrap();
}

/// The lstm2 SavedModel (a directory resource) gives the assets README's [1,30,61] output.
fn tf_lstm2(vaccel: &Vaccel, sess: &mut Session<'_>, assets: &Path) {
    let dir = assets.join("models/vaccel-samples/tf/lstm2");
    let mut res = vaccel
        .resource(dir.to_str().unwrap(), VACCEL_RESOURCE_MODEL)
        .unwrap();
    sess.register(&mut res).unwrap();
    let (r, status) = sess.tf_model_load(&mut res);
    r.unwrap();
    assert_eq!(status.code, 0, "{status:?}");
    let input: Vec<f32> = (0..30).map(|k| (k % 20) as f32).collect();
    let input = bytes_of(&input);
    let tf_in = |data: &[u8], n: i64| -> Vec<u8> { data[..n as usize * 4].to_vec() };
    let run = |sess: &mut Session<'_>, res: &mut vaccel::Resource<'_>, node: &str, n: i64| {
        let data = tf_in(&input, n);
        let dims = [1, n];
        sess.tf_model_run(
            res,
            None,
            &[(node, 0)],
            &[TensorIn {
                data: &data,
                dims: &dims,
                data_type: abi::VACCEL_TF_FLOAT,
            }],
            &[("StatefulPartitionedCall", 0)],
        )
    };
    let (out, status) = run(sess, &mut res, "serving_default_input_1", 30);
    let out = out.unwrap();
    assert_eq!(status.code, 0);
    assert_eq!(out[0].dims, vec![1, 30, 61]);
    let v = f32s(&out[0].data);
    let want = [0.01647029f32, 0.016285714, 0.016371408, 0.016390583];
    let diff = max_abs_diff(&v[..4], &want);
    eprintln!(
        "tf lstm2: first values {:?}, max |diff| to the README {diff:e}",
        &v[..4]
    );
    assert!(diff <= 1e-6);
    for row in v.chunks(61) {
        assert!(
            (row.iter().sum::<f32>() - 1.0).abs() < 1e-4,
            "each row is a softmax"
        );
    }
    // A wrong input name: a clear error in the status, nothing crashes.
    let (r, status) = run(sess, &mut res, "no_such_node", 30);
    assert_eq!(code(&r.unwrap_err()), abi::VACCEL_EINVAL);
    assert!(status.message.contains("no_such_node"), "{status:?}");
    // A wrong shape: TensorFlow's own error comes back in the status.
    let (r, status) = run(sess, &mut res, "serving_default_input_1", 29);
    assert!(r.is_err());
    assert_ne!(status.code, 0);
    eprintln!(
        "tf lstm2 with a [1,29] input: code {} {:?}",
        status.code,
        status.message.lines().next()
    );
    let (r, _) = sess.tf_model_unload(&mut res);
    r.unwrap();
    sess.unregister(&mut res).unwrap();
}

/// BlazeFace as TFLite through the agent equals its ONNX conversion under ONNX Runtime.
fn tflite_blazeface(vaccel: &Vaccel, sess: &mut Session<'_>, stage: &Path, assets: &Path) {
    let model = workspace().join("tests/data/tflite/face_detection_short_range.tflite");
    let mut res = vaccel
        .resource(model.to_str().unwrap(), VACCEL_RESOURCE_MODEL)
        .unwrap();
    sess.register(&mut res).unwrap();
    sess.tflite_model_load(&mut res).unwrap();
    let nhwc = image_input(&assets.join("images/astronaut.png"), 128, false);
    let (out, status) = sess.tflite_model_run(
        &mut res,
        &[TensorIn {
            data: &bytes_of(&nhwc),
            dims: &[1, 128, 128, 3],
            data_type: abi::VACCEL_TFLITE_FLOAT32,
        }],
        2,
    );
    let out = out.unwrap();
    assert_eq!(status, 0);
    assert_eq!(out[0].dims, vec![1, 896, 16]);
    assert_eq!(out[1].dims, vec![1, 896, 1]);

    let nchw = image_input(&assets.join("images/astronaut.png"), 128, true);
    let env = ort::init_from(stage.join("lib/libonnxruntime.so").to_str().unwrap())
        .unwrap()
        .build()
        .unwrap();
    let mut onnx = ort::session::Session::builder(&env)
        .unwrap()
        .commit_from_file(assets.join("models/blazeface-short-range-128.onnx"))
        .unwrap();
    let input = ort::value::Tensor::from_array(([1usize, 3, 128, 128], nchw)).unwrap();
    let outputs = onnx.run(ort::inputs!["input" => input]).unwrap();
    for (i, name) in ["regressors", "classificators"].iter().enumerate() {
        let (_, want) = outputs[*name].try_extract_tensor::<f32>().unwrap();
        let got = f32s(&out[i].data);
        let diff = max_abs_diff(&got, want);
        let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
        eprintln!(
            "tflite blazeface {name}: max |diff| to ONNX Runtime {diff:e} (values up to {scale})"
        );
        assert!(diff <= 1e-3, "{name}: {diff}");
    }
    sess.tflite_model_unload(&mut res).unwrap();
    sess.unregister(&mut res).unwrap();
}

/// Corrupt and wrong-format models and wrong inputs: clear errors, the agent keeps serving.
fn bad_models(vaccel: &Vaccel, sess: &mut Session<'_>, assets: &Path, agent: &Agent) {
    let tmp = agent.dir.join("bad");
    std::fs::create_dir_all(&tmp).unwrap();
    let corrupt = tmp.join("corrupt.pt");
    let mut bytes = std::fs::read(assets.join("models/vaccel-samples/torch/cnn_trace.pt")).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&corrupt, &bytes).unwrap();
    let image = assets.join("images/example.jpg");

    let mut load = |path: &Path, what: &str| -> (i32, i32) {
        let mut res = vaccel
            .resource(path.to_str().unwrap(), VACCEL_RESOURCE_MODEL)
            .unwrap();
        sess.register(&mut res).unwrap();
        let torch = sess
            .torch_model_load(&mut res)
            .err()
            .map_or(0, |e| code(&e));
        let tflite = sess
            .tflite_model_load(&mut res)
            .err()
            .map_or(0, |e| code(&e));
        sess.unregister(&mut res).unwrap();
        eprintln!("{what}: torch_model_load {torch}, tflite_model_load {tflite}");
        (torch, tflite)
    };
    assert_eq!(
        load(&corrupt, "truncated TorchScript").0,
        abi::VACCEL_EINVAL
    );
    assert_eq!(
        load(&image, "a JPEG as model"),
        (abi::VACCEL_EINVAL, abi::VACCEL_EINVAL)
    );
    let (_, flex) = load(
        &assets.join("models/vaccel-samples/tf/lstm2.tflite"),
        "lstm2.tflite (Flex ops)",
    );
    assert_eq!(flex, abi::VACCEL_ENOTSUP);

    // A SavedModel load from a file that is not one.
    let mut res = vaccel
        .resource(image.to_str().unwrap(), VACCEL_RESOURCE_MODEL)
        .unwrap();
    sess.register(&mut res).unwrap();
    let (r, status) = sess.tf_model_load(&mut res);
    assert!(r.is_err() && status.code != 0, "{status:?}");
    sess.unregister(&mut res).unwrap();

    // Wrong inputs to a good TorchScript module: a wrong shape and a wrong byte count.
    let path = assets.join("models/vaccel-samples/torch/cnn_trace.pt");
    let mut res = vaccel
        .resource(path.to_str().unwrap(), VACCEL_RESOURCE_MODEL)
        .unwrap();
    sess.register(&mut res).unwrap();
    let small = bytes_of(&signal(3 * 8 * 8, 2));
    let e = sess
        .torch_model_run(&mut res, None, &[torch_in(&small, &[1, 3, 8, 8])], 1)
        .unwrap_err();
    assert_eq!(code(&e), abi::VACCEL_EINVAL);
    let e = sess
        .torch_model_run(&mut res, None, &[torch_in(&small, &[1, 3, 224, 224])], 1)
        .unwrap_err();
    assert_eq!(code(&e), abi::VACCEL_EINVAL);
    sess.unregister(&mut res).unwrap();
}
