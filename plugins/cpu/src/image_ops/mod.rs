//! The five image ops on real models, through ONNX Runtime.
//!
//! | op | default model | pre-processing | result |
//! |---|---|---|---|
//! | `image_classify` | EfficientNet-Lite0 (ImageNet-1k) | NCHW RGB, `x / 127.5 - 1` | top-5 classes |
//! | `image_detect` | NanoDet-m 416 (COCO-80) | NCHW BGR, per-channel mean/std | objects with boxes |
//! | `image_segment` | MediaPipe selfie segmentation 256 | NHWC RGB, `x / 255` | foreground mask |
//! | `image_pose` | BlazePose GHUM lite landmarks 256 | NHWC RGB, `x / 255` | 33 named keypoints |
//! | `image_depth` | none: a model must be given | the model's layout, RGB, `x / 255` | dense map |
//!
//! Every image (JPEG or PNG) is decoded to RGB and resized whole to the model's input size with a
//! bilinear filter ([`input`]). A model given instead of a default must have one float32 image
//! input (`[1,3,H,W]` or `[1,H,W,3]`) and the outputs of the op's model family: `[1,N]` scores
//! for classification, a NanoDet GFL head for detection, a one-channel map for segmentation and
//! depth, BlazePose landmarks (`[1,5k]`, k >= 33) for pose ([`models`] says how a model is
//! chosen).
//!
//! Results ([`output`]), NUL-terminated text, one item a line:
//! - classify, `out_text`: up to five lines `<index> <label> <score>`, best first
//!   (`954 banana 0.9829`); `out_imgname`: the best label.
//! - detect: `image P6 <w>x<h> <bytes>`, `objects <n>`, then per object
//!   `<class> <label> <score> [x0,y0,x1,y1]` (pixels of the original image), best first.
//! - segment: `image P5 <w>x<h> <bytes>`, then
//!   `foreground <percent>% mean <probability> box [x0,y0,x1,y1]` (`box none` without
//!   foreground).
//! - pose: `image P6 <w>x<h> <bytes>`, `presence <probability>`, then per keypoint
//!   `<name> <x> <y> <visibility>`, the 17 main body points first.
//! - depth: `image P5 <w>x<h> <bytes>`, then `depth min <v> max <v> mean <v> map <w>x<h>`
//!   (the model's raw values and map size).
//!
//! The `image` line announces a binary PNM picture at the original image size: the input with
//! the boxes or keypoints drawn (P6), the foreground probability mask or the depth map scaled
//! from min..max to 0..255 (P5). It follows the text's NUL in the same buffer when the buffer is
//! large enough for text, NUL and picture; a caller sizes its buffer from that line.

mod decode;
mod input;
mod models;
mod output;

use std::ffi::{c_int, c_void};
use std::sync::Arc;
use std::time::{Duration, Instant};

use image::RgbImage;
use vaccel_plugin::abi::{
    VACCEL_EBACKEND, VACCEL_EINVAL, VACCEL_ENOENT, VACCEL_ENOTSUP, VACCEL_OK,
    VACCEL_RESOURCE_MODEL, vaccel_blob, vaccel_resource, vaccel_session,
};
use vaccel_plugin::{debug, error, guard, slice, slice_mut, snprintf};

use decode::{Detection, Keypoint, Map, NanodetLevel, NanodetParams};
use input::{ImageError, Normalization};
use models::{Key, Model, ModelError, Output, Source, Task};
use output::Picture;

use crate::resource::{blob_bytes, blob_name, blobs};

type Sess = *mut vaccel_session;

const IMAGENET_LABELS: &str = include_str!("../../../../data/labels/imagenet.txt");
const COCO_LABELS: &str = include_str!("../../../../data/labels/coco80.txt");

/// Why an op failed: its error code and what to log.
struct Failure {
    code: c_int,
    message: String,
}

impl Failure {
    fn invalid(message: impl Into<String>) -> Self {
        Self {
            code: VACCEL_EINVAL,
            message: message.into(),
        }
    }
}

impl From<ModelError> for Failure {
    fn from(e: ModelError) -> Self {
        let code = match e {
            ModelError::NoModel(..) => VACCEL_ENOENT,
            ModelError::Runtime(_) => VACCEL_ENOTSUP,
            ModelError::Load(..) | ModelError::Shape(..) => VACCEL_EINVAL,
            ModelError::Run(..) => VACCEL_EBACKEND,
        };
        Self {
            code,
            message: e.to_string(),
        }
    }
}

impl From<ImageError> for Failure {
    fn from(e: ImageError) -> Self {
        Self::invalid(e.to_string())
    }
}

/// Runs an op body, logging a failure with the op's name; no panic leaves.
fn run(task: Task, body: impl FnOnce() -> Result<(), Failure>) -> c_int {
    guard(task.op(), || match body() {
        Ok(()) => VACCEL_OK,
        Err(f) => {
            error!("[cpu] {}: {}", task.op(), f.message);
            f.code
        }
    })
}

/// What every image op starts from: the session, the image bytes, the decoded image and model.
struct Prepared {
    image: RgbImage,
    model: Arc<Model>,
    tensor: Vec<f32>,
    /// Finding (and on first use loading) the model.
    model_time: Duration,
    /// Decoding, resizing and normalising the image.
    preprocess_time: Duration,
}

/// Checks the arguments, finds the model, decodes the image and builds the input tensor.
///
/// # Safety
/// `sess` is NULL or a session from the core; `img` is NULL or readable for `len_img` bytes.
unsafe fn prepare(
    task: Task,
    sess: Sess,
    img: *const c_void,
    len_img: usize,
    norm: Normalization,
) -> Result<Prepared, Failure> {
    // SAFETY: the core passes a valid session or NULL.
    let Some(s) = (unsafe { sess.as_ref() }) else {
        return Err(Failure::invalid("Invalid input arguments: no session"));
    };
    if img.is_null() {
        return Err(Failure::invalid("Invalid input arguments: no image"));
    }
    debug!(
        "[cpu] session:{} Calling {} on {len_img} bytes",
        s.id,
        task.op()
    );
    // SAFETY: `img` is non-NULL and readable for `len_img` bytes (the op contract).
    let bytes = unsafe { slice(img.cast::<u8>(), len_img) }.unwrap_or(&[]);
    let started = Instant::now();
    // SAFETY: `sess` comes from the core.
    let model = unsafe { model_for(task, sess) }?;
    let loaded = Instant::now();
    let image = input::decode(bytes)?;
    let tensor = input::to_tensor(&image, model.input, norm);
    Ok(Prepared {
        image,
        model,
        tensor,
        model_time: loaded - started,
        preprocess_time: loaded.elapsed(),
    })
}

impl Prepared {
    /// Runs the model, logging the pre-processing and inference times.
    fn infer(&self, task: Task) -> Result<Vec<Output>, Failure> {
        let started = Instant::now();
        let outputs = self.model.run(&self.tensor)?;
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        debug!(
            "[cpu] {}: model {} ({:.2} ms to get), pre-processing {:.2} ms, inference {:.2} ms",
            task.op(),
            self.model.origin,
            ms(self.model_time),
            ms(self.preprocess_time),
            ms(started.elapsed())
        );
        Ok(outputs)
    }

    fn size(&self) -> (u32, u32) {
        self.image.dimensions()
    }
}

/// The model of `task` for this session: its MODEL resource, else the configured file.
///
/// # Safety
/// `sess` is a session from the core.
unsafe fn model_for(task: Task, sess: Sess) -> Result<Arc<Model>, Failure> {
    // SAFETY: `sess` comes from the core.
    match unsafe { vaccel_plugin::session_resource_by_type(sess, VACCEL_RESOURCE_MODEL) } {
        Err(code) => Err(Failure {
            code,
            message: "could not look up the session's MODEL resource".into(),
        }),
        Ok(Some(res)) => {
            // SAFETY: a resource registered with the session stays live during the op.
            let res = unsafe { &*res };
            // SAFETY: as above; the blobs belong to the live resource.
            Ok(models::get(task, Key::Resource(res.id), || unsafe {
                resource_source(res)
            })?)
        }
        Ok(None) => {
            let path = models::configured(task)?;
            Ok(models::get(task, Key::File(path.clone()), || {
                Ok(Source::File(path))
            })?)
        }
    }
}

/// The model bytes (the first `.onnx` blob, else the first non-`.txt` blob) and labels (the
/// first `.txt` blob) of a MODEL resource.
///
/// # Safety
/// `res` is a live resource.
unsafe fn resource_source(res: &vaccel_resource) -> Result<Source, ModelError> {
    let name = format!("resource {}", res.id);
    let bad = |m: &str| ModelError::Load(name.clone(), m.to_string());
    // SAFETY: the caller's contract.
    let blobs = unsafe { blobs(res) };
    if blobs.is_empty() {
        return Err(bad("the resource has no blobs"));
    }
    let is_onnx = |b: &vaccel_blob| blob_name(b).to_ascii_lowercase().ends_with(".onnx");
    let model_blob = blobs
        .iter()
        .find(|b| is_onnx(b))
        .or_else(|| {
            blobs
                .iter()
                .find(|b| !models::is_labels_file(&blob_name(b)))
        })
        .ok_or_else(|| bad("the resource has no model blob"))?;
    let model = blob_bytes(model_blob).map_err(|e| bad(&e))?;
    let labels = match blobs.iter().find(|b| models::is_labels_file(&blob_name(b))) {
        Some(b) => Some(parse_labels(&blob_bytes(b).map_err(|e| bad(&e))?)),
        None => None,
    };
    Ok(Source::Bytes {
        model,
        name: format!("{name} ({})", blob_name(model_blob)),
        labels,
    })
}

fn parse_labels(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect()
}

/// The label of class `index`: the model's own labels, else the built-in list when it has
/// exactly `classes` entries, else `class<index>`.
fn label(model: &Model, builtin: &str, classes: usize, index: usize) -> String {
    let from_model = model.labels.as_ref().and_then(|l| l.get(index).cloned());
    from_model
        .or_else(|| {
            let lines: Vec<&str> = builtin.lines().collect();
            (lines.len() == classes)
                .then(|| lines.get(index).map(|s| s.to_string()))
                .flatten()
        })
        .unwrap_or_else(|| format!("class{index}"))
}

/// Writes `text` (and the picture, if it fits) into a caller buffer.
///
/// # Safety
/// `buf` is NULL or writable for `len` bytes.
unsafe fn deliver(
    buf: *mut u8,
    len: usize,
    text: &str,
    picture: Option<(Picture, &dyn Fn() -> Vec<u8>)>,
) {
    // SAFETY: forwarded from the caller.
    if let Some(out) = unsafe { slice_mut(buf, len) }
        && output::write(out, text, picture)
    {
        debug!("[cpu] wrote the picture after the text ({len} byte buffer)");
    }
}

/// `noop`: logs only.
pub(crate) unsafe extern "C" fn noop(sess: Sess) -> c_int {
    guard("noop", || {
        // SAFETY: the core passes a valid session or NULL.
        let Some(s) = (unsafe { sess.as_ref() }) else {
            error!("[cpu] Invalid input arguments");
            return VACCEL_EINVAL;
        };
        debug!("[cpu] session:{} Calling no-op", s.id);
        VACCEL_OK
    })
}

/// `image_classify`.
pub(crate) unsafe extern "C" fn classify(
    sess: Sess,
    img: *const c_void,
    out_text: *mut u8,
    out_imgname: *mut u8,
    len_img: usize,
    len_out_text: usize,
    len_out_imgname: usize,
) -> c_int {
    let task = Task::Classify;
    run(task, || {
        // SAFETY: forwarded op arguments.
        let p = unsafe { prepare(task, sess, img, len_img, Normalization::SIGNED) }?;
        let outputs = p.infer(task)?;
        let scores = outputs
            .iter()
            .find(|o| o.values.len() >= 2 && o.dims.iter().filter(|&&d| d > 1).count() == 1)
            .ok_or_else(|| {
                Failure::invalid(format!(
                    "model {}: no [1,N] class-score output (outputs {:?})",
                    p.model.origin,
                    shapes(&outputs)
                ))
            })?;
        let classes = scores.values.len();
        let top = decode::top_k(&scores.values, 5);
        let mut text = String::new();
        for c in &top {
            let name = label(&p.model, IMAGENET_LABELS, classes, c.index);
            text.push_str(&format!("{} {name} {:.4}\n", c.index, c.score));
        }
        debug!(
            "[cpu] image_classify: {}",
            text.lines().next().unwrap_or("")
        );
        // SAFETY: the output buffers are NULL or writable for their lengths (the op contract).
        unsafe { deliver(out_text, len_out_text, &text, None) };
        let best = top
            .first()
            .map(|c| label(&p.model, IMAGENET_LABELS, classes, c.index))
            .unwrap_or_default();
        // SAFETY: as above.
        if let Some(out) = unsafe { slice_mut(out_imgname, len_out_imgname) } {
            snprintf(out, best.as_bytes());
        }
        Ok(())
    })
}

fn shapes(outputs: &[Output]) -> Vec<(String, Vec<i64>)> {
    outputs
        .iter()
        .map(|o| (o.name.clone(), o.dims.clone()))
        .collect()
}

/// `image_detect`.
pub(crate) unsafe extern "C" fn detect(
    sess: Sess,
    img: *const c_void,
    out: *mut u8,
    len_img: usize,
    len_out: usize,
) -> c_int {
    let task = Task::Detect;
    run(task, || {
        // SAFETY: forwarded op arguments.
        let p = unsafe { prepare(task, sess, img, len_img, Normalization::NANODET) }?;
        let outputs = p.infer(task)?;
        let (w, h) = p.size();
        let found = nanodet(&p.model, &outputs, w, h)?;
        let picture = Picture::rgb(w, h);
        let mut text = picture.line();
        text.push_str(&format!("objects {}\n", found.len()));
        let classes = nanodet_classes(&outputs);
        for d in &found {
            let [x0, y0, x1, y1] = d.bbox.map(|v| v.round() as i64);
            let name = label(&p.model, COCO_LABELS, classes, d.class);
            text.push_str(&format!(
                "{} {name} {:.3} [{x0},{y0},{x1},{y1}]\n",
                d.class, d.score
            ));
        }
        let pixels = || {
            let mut img = p.image.clone();
            let thickness = (w.max(h) / 200).max(2);
            for d in &found {
                output::draw_box(&mut img, d.bbox, d.class, thickness);
            }
            img.into_raw()
        };
        // SAFETY: the output buffer is NULL or writable for `len_out` bytes (the op contract).
        unsafe { deliver(out, len_out, &text, Some((picture, &pixels))) };
        Ok(())
    })
}

/// Box outputs of a NanoDet GFL head have `4 x (reg_max + 1)` values a cell: 44 for NanoDet-m
/// (reg_max 10), 32 for NanoDet-Plus (reg_max 7).
const NANODET_BOX_WIDTHS: [usize; 2] = [44, 32];

fn last_dim(o: &Output) -> usize {
    o.dims
        .last()
        .map_or(0, |&d| usize::try_from(d).unwrap_or(0))
}

fn nanodet_classes(outputs: &[Output]) -> usize {
    outputs
        .iter()
        .map(last_dim)
        .find(|d| !NANODET_BOX_WIDTHS.contains(d))
        .unwrap_or(0)
}

/// Pairs the score and box outputs of each level by cell count and decodes them.
fn nanodet(model: &Model, outputs: &[Output], w: u32, h: u32) -> Result<Vec<Detection>, Failure> {
    let not_nanodet = || {
        Failure::invalid(format!(
            "model {}: the outputs are not those of a NanoDet head (score and box pairs [1,N,C] / \
             [1,N,44]) (outputs {:?})",
            model.origin,
            shapes(outputs)
        ))
    };
    let input = model.input.width;
    if model.input.height != input {
        return Err(not_nanodet());
    }
    let classes = nanodet_classes(outputs);
    let mut levels = Vec::new();
    let mut bins = 0;
    for scores in outputs
        .iter()
        .filter(|o| last_dim(o) == classes && classes > 0)
    {
        let cells = scores.values.len() / classes;
        let boxes = outputs
            .iter()
            .find(|o| {
                NANODET_BOX_WIDTHS.contains(&last_dim(o)) && o.values.len() / last_dim(o) == cells
            })
            .ok_or_else(not_nanodet)?;
        bins = last_dim(boxes) / 4;
        let grid = (cells as f64).sqrt().round() as u32;
        if grid == 0 || grid * grid != cells as u32 || !input.is_multiple_of(grid) {
            return Err(not_nanodet());
        }
        levels.push(NanodetLevel {
            stride: input / grid,
            scores: &scores.values,
            boxes: &boxes.values,
        });
    }
    if levels.is_empty() {
        return Err(not_nanodet());
    }
    let params = NanodetParams {
        input,
        classes,
        bins,
        threshold: 0.35,
        iou: 0.5,
    };
    Ok(decode::nanodet(&levels, &params, w, h))
}

/// The first output that is a one-channel map.
fn map_output(model: &Model, outputs: &[Output]) -> Result<Map, Failure> {
    outputs
        .iter()
        .find_map(|o| Map::from_output(&o.dims, &o.values))
        .ok_or_else(|| {
            Failure::invalid(format!(
                "model {}: no one-channel map output ([1,H,W], [1,H,W,1] or [1,1,H,W]) (outputs {:?})",
                model.origin,
                shapes(outputs)
            ))
        })
}

/// `image_segment`.
pub(crate) unsafe extern "C" fn segment(
    sess: Sess,
    img: *const c_void,
    out: *mut u8,
    len_img: usize,
    len_out: usize,
) -> c_int {
    let task = Task::Segment;
    run(task, || {
        // SAFETY: forwarded op arguments.
        let p = unsafe { prepare(task, sess, img, len_img, Normalization::UNIT) }?;
        let outputs = p.infer(task)?;
        let (w, h) = p.size();
        let mut map = map_output(&p.model, &outputs)?;
        let s = decode::segmentation(&mut map, w, h);
        let picture = Picture::gray(w, h);
        let bbox = s.bbox.map_or("none".to_string(), |[x0, y0, x1, y1]| {
            format!("[{x0},{y0},{x1},{y1}]")
        });
        let text = format!(
            "{}foreground {:.2}% mean {:.3} box {bbox}\n",
            picture.line(),
            s.foreground,
            s.mean
        );
        let pixels = || output::map_pixels(&map, 0.0, 1.0, w, h);
        // SAFETY: the output buffer is NULL or writable for `len_out` bytes (the op contract).
        unsafe { deliver(out, len_out, &text, Some((picture, &pixels))) };
        Ok(())
    })
}

/// `image_pose`.
pub(crate) unsafe extern "C" fn pose(
    sess: Sess,
    img: *const c_void,
    out: *mut u8,
    len_img: usize,
    len_out: usize,
) -> c_int {
    let task = Task::Pose;
    run(task, || {
        // SAFETY: forwarded op arguments.
        let p = unsafe { prepare(task, sess, img, len_img, Normalization::UNIT) }?;
        let outputs = p.infer(task)?;
        let (w, h) = p.size();
        let (iw, ih) = (p.model.input.width, p.model.input.height);
        let points: Vec<Keypoint> = outputs
            .iter()
            .filter(|o| o.dims.iter().filter(|&&d| d > 1).count() == 1)
            .find_map(|o| decode::pose(&o.values, iw, ih, w, h))
            .ok_or_else(|| {
                Failure::invalid(format!(
                    "model {}: no BlazePose landmark output [1,5k], k >= 33 (outputs {:?})",
                    p.model.origin,
                    shapes(&outputs)
                ))
            })?;
        let presence = outputs
            .iter()
            .find(|o| o.values.len() == 1)
            .map(|o| o.values[0]);
        let picture = Picture::rgb(w, h);
        let mut text = picture.line();
        if let Some(pr) = presence {
            text.push_str(&format!("presence {pr:.3}\n"));
        }
        for &i in &decode::POSE_REPORT_ORDER {
            let k = points[i];
            text.push_str(&format!(
                "{} {:.1} {:.1} {:.2}\n",
                decode::POSE_LANDMARKS[i],
                k.x,
                k.y,
                k.visibility
            ));
        }
        let pixels = || {
            let mut img = p.image.clone();
            output::draw_keypoints(&mut img, &points);
            img.into_raw()
        };
        // SAFETY: the output buffer is NULL or writable for `len_out` bytes (the op contract).
        unsafe { deliver(out, len_out, &text, Some((picture, &pixels))) };
        Ok(())
    })
}

/// `image_depth`.
pub(crate) unsafe extern "C" fn depth(
    sess: Sess,
    img: *const c_void,
    out: *mut u8,
    len_img: usize,
    len_out: usize,
) -> c_int {
    let task = Task::Depth;
    run(task, || {
        // SAFETY: forwarded op arguments.
        let p = unsafe { prepare(task, sess, img, len_img, Normalization::UNIT) }?;
        let outputs = p.infer(task)?;
        let (w, h) = p.size();
        let map = map_output(&p.model, &outputs)?;
        let d = decode::depth_summary(&map);
        let picture = Picture::gray(w, h);
        let text = format!(
            "{}depth min {} max {} mean {} map {}x{}\n",
            picture.line(),
            d.min,
            d.max,
            d.mean,
            map.width,
            map.height
        );
        let pixels = || output::map_pixels(&map, d.min, d.max, w, h);
        // SAFETY: the output buffer is NULL or writable for `len_out` bytes (the op contract).
        unsafe { deliver(out, len_out, &text, Some((picture, &pixels))) };
        Ok(())
    })
}

/// Drops the model loaded from a resource being unregistered.
///
/// # Safety
/// `res` is NULL or a live resource.
pub(crate) unsafe fn forget_resource(res: *const vaccel_resource) {
    // SAFETY: the caller's contract.
    if let Some(r) = unsafe { res.as_ref() } {
        models::forget_resource(r.id);
    }
}

/// Drops every loaded model (at plugin unload).
pub(crate) fn unload_all() {
    models::unload_all();
}
