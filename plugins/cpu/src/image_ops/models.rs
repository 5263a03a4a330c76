//! Which model an image op runs, loading it once, and running it.
//!
//! The model of an op is, in order: the session's first MODEL resource (its first `.onnx` blob,
//! or its first blob; a `.txt` blob beside it gives the class labels, one a line), the file named
//! by the op's environment variable (`VACCEL_CPU_CLASSIFY_MODEL`, `..._DETECT_MODEL`,
//! `..._SEGMENT_MODEL`, `..._POSE_MODEL`, `..._DEPTH_MODEL`), or the default model of the op in
//! the models directory (`VACCEL_CPU_MODELS_DIR`, else `share/vaccel/models/onnx` beside the
//! plugin's `lib/`). Depth has no default model.
//!
//! ONNX Runtime is loaded at the first image op from `VACCEL_CPU_ONNXRUNTIME` (or `ORT_DYLIB_PATH`),
//! else `libonnxruntime.so` beside the plugin, else the system's library search. Loaded models
//! stay in a cache, by file path or by resource, until the resource is unregistered or the plugin
//! unloaded; each runs under its own lock, ONNX Runtime itself using every core.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use ort::environment::Environment;
use ort::logging::LogLevel;
use ort::session::Session;
use ort::value::TensorRef;

use super::input::InputShape;
use crate::selfpath;

/// The image ops, each with its model family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    Classify,
    Detect,
    Segment,
    Pose,
    Depth,
}

impl Task {
    /// The op name, as in log lines.
    pub fn op(self) -> &'static str {
        match self {
            Task::Classify => "image_classify",
            Task::Detect => "image_detect",
            Task::Segment => "image_segment",
            Task::Pose => "image_pose",
            Task::Depth => "image_depth",
        }
    }

    fn env_var(self) -> &'static str {
        match self {
            Task::Classify => "VACCEL_CPU_CLASSIFY_MODEL",
            Task::Detect => "VACCEL_CPU_DETECT_MODEL",
            Task::Segment => "VACCEL_CPU_SEGMENT_MODEL",
            Task::Pose => "VACCEL_CPU_POSE_MODEL",
            Task::Depth => "VACCEL_CPU_DEPTH_MODEL",
        }
    }

    fn default_file(self) -> Option<&'static str> {
        match self {
            Task::Classify => Some("efficientnet-lite0.onnx"),
            Task::Detect => Some("nanodet-m-416.onnx"),
            Task::Segment => Some("selfie-segmentation-256.onnx"),
            Task::Pose => Some("pose-landmark-lite-256.onnx"),
            Task::Depth => None,
        }
    }

    /// The input side used where a model leaves its height or width dynamic.
    pub fn default_side(self) -> u32 {
        match self {
            Task::Classify => 224,
            Task::Detect => 416,
            Task::Segment | Task::Pose | Task::Depth => 256,
        }
    }
}

/// Why a model could not be found, loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("no model for {0}: register a MODEL resource with the session or set {1}")]
    NoModel(&'static str, &'static str),
    #[error("ONNX Runtime could not be loaded: {0}")]
    Runtime(String),
    #[error("model {0}: {1}")]
    Load(String, String),
    #[error("model {0}: {1}")]
    Shape(String, String),
    #[error("model {0} failed to run: {1}")]
    Run(String, String),
}

/// A loaded model and what the ops need to know about it.
pub struct Model {
    /// The file or resource it came from, for messages.
    pub origin: String,
    pub input: InputShape,
    input_name: String,
    /// Class labels from the resource, if it carried some.
    pub labels: Option<Vec<String>>,
    session: Mutex<Session>,
}

/// One output of a run: name, dims and values.
pub struct Output {
    pub name: String,
    pub dims: Vec<i64>,
    pub values: Vec<f32>,
}

impl Model {
    /// Runs the model on one input tensor of `self.input.dims()`; returns every float output.
    pub fn run(&self, tensor: &[f32]) -> Result<Vec<Output>, ModelError> {
        let run_err = |e: ort::Error| ModelError::Run(self.origin.clone(), e.to_string());
        let input = TensorRef::from_array_view((self.input.dims(), tensor)).map_err(run_err)?;
        let mut session = lock(&self.session);
        let outputs = session
            .run(ort::inputs![self.input_name.as_str() => input])
            .map_err(run_err)?;
        let mut all = Vec::with_capacity(outputs.len());
        for (name, value) in outputs.iter() {
            let Ok((shape, values)) = value.try_extract_tensor::<f32>() else {
                continue;
            };
            all.push(Output {
                name: name.to_string(),
                dims: shape.to_vec(),
                values: values.to_vec(),
            });
        }
        Ok(all)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Where a model comes from: a file, or the bytes of a registered resource's blob.
pub enum Source {
    File(PathBuf),
    Bytes {
        model: Vec<u8>,
        name: String,
        labels: Option<Vec<String>>,
    },
}

/// What a loaded model is cached under: its file, or the resource it was registered as.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Key {
    File(PathBuf),
    Resource(i64),
}

static CACHE: Mutex<Option<HashMap<Key, Arc<Model>>>> = Mutex::new(None);

/// The configured model file of `task`: its environment variable, else the default file.
pub fn configured(task: Task) -> Result<PathBuf, ModelError> {
    if let Some(p) = std::env::var_os(task.env_var()).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let file = task
        .default_file()
        .ok_or(ModelError::NoModel(task.op(), task.env_var()))?;
    Ok(models_dir().join(file))
}

/// `VACCEL_CPU_MODELS_DIR`, else `<prefix>/share/vaccel/models/onnx` for a plugin installed in
/// `<prefix>/lib`.
pub fn models_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("VACCEL_CPU_MODELS_DIR").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let lib = selfpath::dir().unwrap_or_else(|| PathBuf::from("."));
    lib.join("../share/vaccel/models/onnx")
}

/// The model cached under `key`, loaded from `source()` on first use.
pub fn get(
    task: Task,
    key: Key,
    source: impl FnOnce() -> Result<Source, ModelError>,
) -> Result<Arc<Model>, ModelError> {
    if let Some(m) = lock(&CACHE).as_ref().and_then(|c| c.get(&key)) {
        return Ok(m.clone());
    }
    // Loading takes a while: not under the cache lock, so other models keep serving. Two
    // threads loading the same model at once both load it; the first one stored wins.
    let model = Arc::new(load(task, source()?)?);
    let mut cache = lock(&CACHE);
    Ok(cache
        .get_or_insert_with(HashMap::new)
        .entry(key)
        .or_insert(model)
        .clone())
}

/// Drops the model loaded from resource `id`, if any.
pub fn forget_resource(id: i64) {
    if let Some(c) = lock(&CACHE).as_mut() {
        c.remove(&Key::Resource(id));
    }
}

/// Drops every loaded model.
pub fn unload_all() {
    lock(&CACHE).take();
}

fn environment() -> Result<&'static Environment, ModelError> {
    static ENV: OnceLock<Result<Environment, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let lib = onnxruntime_path();
        let builder = ort::init_from(&lib).map_err(|e| e.to_string())?;
        builder
            .with_name("vaccel-cpu")
            .with_logger(Arc::new(
                |level: LogLevel, _category: &str, _id: &str, _location: &str, message: &str| {
                    match level {
                        LogLevel::Error | LogLevel::Fatal => {
                            vaccel_plugin::error!("[cpu] onnxruntime: {message}")
                        }
                        _ => vaccel_plugin::debug!("[cpu] onnxruntime: {message}"),
                    }
                },
            ))
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| ModelError::Runtime(e.clone()))
}

fn onnxruntime_path() -> PathBuf {
    for var in ["VACCEL_CPU_ONNXRUNTIME", "ORT_DYLIB_PATH"] {
        if let Some(p) = std::env::var_os(var).filter(|p| !p.is_empty()) {
            return PathBuf::from(p);
        }
    }
    if let Some(beside) = selfpath::dir()
        .map(|d| d.join("libonnxruntime.so"))
        .filter(|p| p.exists())
    {
        return beside;
    }
    PathBuf::from("libonnxruntime.so.1")
}

fn load(task: Task, source: Source) -> Result<Model, ModelError> {
    let env = environment()?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (origin, labels) = match &source {
        Source::File(p) => (p.display().to_string(), None),
        Source::Bytes { name, labels, .. } => (name.clone(), labels.clone()),
    };
    let load_err = |e: String| ModelError::Load(origin.clone(), e);
    let mut builder = Session::builder(env)
        .and_then(|b| b.with_intra_threads(threads).map_err(Into::into))
        .and_then(|b| b.with_inter_threads(1).map_err(Into::into))
        .map_err(|e| load_err(e.to_string()))?;
    let session = match &source {
        Source::File(p) => {
            if !p.is_file() {
                return Err(load_err("no such file".into()));
            }
            builder.commit_from_file(p)
        }
        Source::Bytes { model, .. } => builder.commit_from_memory(model),
    }
    .map_err(|e| load_err(e.to_string()))?;
    let inputs = session.inputs();
    let [first] = inputs else {
        return Err(ModelError::Shape(
            origin,
            format!(
                "an image model has one input, this one has {}",
                inputs.len()
            ),
        ));
    };
    let dims = first
        .dtype()
        .tensor_shape()
        .map(|s| s.to_vec())
        .unwrap_or_default();
    let is_float = first.dtype().tensor_type() == Some(ort::value::TensorElementType::Float32);
    let input = InputShape::from_dims(&dims, task.default_side())
        .filter(|_| is_float)
        .ok_or_else(|| {
            ModelError::Shape(
                origin.clone(),
                format!(
                    "input {:?} must be a float32 image tensor [1,3,H,W] or [1,H,W,3], not {:?} {dims:?}",
                    first.name(),
                    first.dtype().tensor_type()
                ),
            )
        })?;
    Ok(Model {
        origin,
        input,
        input_name: first.name().to_string(),
        labels,
        session: Mutex::new(session),
    })
}

/// Whether `path` names a file this module would read as labels.
pub fn is_labels_file(name: &str) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("txt"))
}
