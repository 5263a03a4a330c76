//! From raw model outputs to results: pure functions on slices, one per model family, with the
//! decoding rules of `../shared/assets/README.md`.

/// A class and its probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Class {
    pub index: usize,
    pub score: f32,
}

/// A detected object; `bbox` is `[x0, y0, x1, y1]` in pixels of the original image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    pub class: usize,
    pub score: f32,
    pub bbox: [f32; 4],
}

/// Whether `v` already is a probability distribution (a model with a softmax inside).
fn is_distribution(v: &[f32]) -> bool {
    v.iter().all(|x| (0.0..=1.0).contains(x)) && (v.iter().sum::<f32>() - 1.0).abs() < 1e-3
}

fn softmax_in_place(v: &mut [f32]) {
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    for x in v.iter_mut() {
        *x /= sum;
    }
}

pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// The `k` most probable classes of a logit (or probability) vector, best first.
pub fn top_k(output: &[f32], k: usize) -> Vec<Class> {
    let mut p = output.to_vec();
    if !is_distribution(&p) {
        softmax_in_place(&mut p);
    }
    let mut classes: Vec<Class> = p
        .iter()
        .enumerate()
        .map(|(index, &score)| Class { index, score })
        .collect();
    classes.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
    classes.truncate(k);
    classes
}

/// One output level of a NanoDet (GFL) head: per cell, `classes` sigmoid scores and
/// `4 x bins` box-distance logits.
pub struct NanodetLevel<'a> {
    pub stride: u32,
    pub scores: &'a [f32],
    pub boxes: &'a [f32],
}

/// NanoDet decoding parameters.
pub struct NanodetParams {
    /// The square input size (416 for NanoDet-m).
    pub input: u32,
    pub classes: usize,
    pub bins: usize,
    pub threshold: f32,
    pub iou: f32,
}

/// Decodes a NanoDet head: cell centres at `(col + 0.5) * stride`, the expected bin of each
/// side's softmax times the stride, clipped to the input, scaled to the image, per-class NMS.
pub fn nanodet(
    levels: &[NanodetLevel<'_>],
    p: &NanodetParams,
    image_w: u32,
    image_h: u32,
) -> Vec<Detection> {
    let (sx, sy) = (
        image_w as f32 / p.input as f32,
        image_h as f32 / p.input as f32,
    );
    let side = p.input as f32;
    let mut found = Vec::new();
    let mut bins = vec![0f32; p.bins];
    for level in levels {
        let grid = (p.input / level.stride) as usize;
        let cells = level.scores.len() / p.classes;
        for cell in 0..cells.min(grid * grid) {
            let scores = &level.scores[cell * p.classes..(cell + 1) * p.classes];
            let (class, &score) = scores
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .expect("at least one class");
            if score < p.threshold {
                continue;
            }
            let s = level.stride as f32;
            let cx = ((cell % grid) as f32 + 0.5) * s;
            let cy = ((cell / grid) as f32 + 0.5) * s;
            let reg = &level.boxes[cell * 4 * p.bins..(cell + 1) * 4 * p.bins];
            let mut dist = [0f32; 4];
            for (k, d) in dist.iter_mut().enumerate() {
                bins.copy_from_slice(&reg[k * p.bins..(k + 1) * p.bins]);
                softmax_in_place(&mut bins);
                *d = bins
                    .iter()
                    .enumerate()
                    .map(|(j, &b)| j as f32 * b)
                    .sum::<f32>()
                    * s;
            }
            let clip = |v: f32| v.clamp(0.0, side);
            found.push(Detection {
                class,
                score,
                bbox: [
                    clip(cx - dist[0]) * sx,
                    clip(cy - dist[1]) * sy,
                    clip(cx + dist[2]) * sx,
                    clip(cy + dist[3]) * sy,
                ],
            });
        }
    }
    nms(found, p.iou)
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = w * h;
    let area = |r: &[f32; 4]| (r[2] - r[0]).max(0.0) * (r[3] - r[1]).max(0.0);
    let union = area(a) + area(b) - inter;
    if union <= 0.0 { 0.0 } else { inter / union }
}

/// Per-class non-maximum suppression, best score first.
pub fn nms(mut found: Vec<Detection>, threshold: f32) -> Vec<Detection> {
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::new();
    for d in found {
        if kept
            .iter()
            .all(|k| k.class != d.class || iou(&k.bbox, &d.bbox) <= threshold)
        {
            kept.push(d);
        }
    }
    kept
}

/// A dense single-channel map (segmentation probabilities, depth values), row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    pub width: usize,
    pub height: usize,
    pub values: Vec<f32>,
}

impl Map {
    /// Reads a map from an output of dims `[1, H, W]`, `[1, H, W, 1]`, `[1, 1, H, W]` or
    /// `[H, W]`; `None` for any other shape.
    pub fn from_output(dims: &[i64], values: &[f32]) -> Option<Self> {
        let spatial: Vec<usize> = dims
            .iter()
            .map(|&d| usize::try_from(d).ok())
            .collect::<Option<Vec<_>>>()?;
        let big: Vec<usize> = spatial.iter().copied().filter(|&d| d != 1).collect();
        let (height, width) = match big.as_slice() {
            [h, w] => (*h, *w),
            _ => return None,
        };
        // Every dim other than H and W must be 1, and H must precede W directly or through 1s.
        if height * width != values.len() {
            return None;
        }
        Some(Self {
            width,
            height,
            values: values.to_vec(),
        })
    }
}

/// Summary figures of a foreground-probability map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segmentation {
    /// Share of map pixels above 0.5, in percent.
    pub foreground: f32,
    /// Mean probability.
    pub mean: f32,
    /// Bounding box of the foreground in image pixels, if any.
    pub bbox: Option<[u32; 4]>,
}

/// Turns a segmentation output into probabilities (a sigmoid if the model outputs logits) and
/// summarises it for an image of `image_w` x `image_h`.
pub fn segmentation(map: &mut Map, image_w: u32, image_h: u32) -> Segmentation {
    if map.values.iter().any(|v| !(0.0..=1.0).contains(v)) {
        map.values.iter_mut().for_each(|v| *v = sigmoid(*v));
    }
    let n = map.values.len().max(1);
    let mut fg = 0usize;
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for (i, &v) in map.values.iter().enumerate() {
        if v > 0.5 {
            fg += 1;
            let (x, y) = (i % map.width, i / map.width);
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x + 1);
            y1 = y1.max(y + 1);
        }
    }
    let sx = image_w as f32 / map.width as f32;
    let sy = image_h as f32 / map.height as f32;
    let scale = |v: usize, s: f32, max: u32| ((v as f32 * s).round() as u32).min(max);
    Segmentation {
        foreground: 100.0 * fg as f32 / n as f32,
        mean: map.values.iter().sum::<f32>() / n as f32,
        bbox: (fg > 0).then(|| {
            [
                scale(x0, sx, image_w),
                scale(y0, sy, image_h),
                scale(x1, sx, image_w),
                scale(y1, sy, image_h),
            ]
        }),
    }
}

/// The 33 BlazePose body landmarks, in model order (left/right: the subject's).
pub const POSE_LANDMARKS: [&str; 33] = [
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
];

/// The order keypoints are reported in: the 17 main body points first (so that a small output
/// buffer still holds them), then the rest in model order.
pub const POSE_REPORT_ORDER: [usize; 33] = [
    0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28, 1, 3, 4, 6, 9, 10, 17, 18, 19,
    20, 21, 22, 29, 30, 31, 32,
];

/// A body landmark in image pixels with its visibility probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Keypoint {
    pub x: f32,
    pub y: f32,
    pub visibility: f32,
}

/// Decodes BlazePose landmarks (`[1, 5 x n]`, n >= 33: x, y, z, visibility logit, presence
/// logit, x and y in input pixels) to the 33 body points in image pixels.
pub fn pose(
    landmarks: &[f32],
    input_w: u32,
    input_h: u32,
    image_w: u32,
    image_h: u32,
) -> Option<Vec<Keypoint>> {
    if landmarks.len() < 33 * 5 || !landmarks.len().is_multiple_of(5) {
        return None;
    }
    let sx = image_w as f32 / input_w as f32;
    let sy = image_h as f32 / input_h as f32;
    Some(
        landmarks
            .chunks_exact(5)
            .take(33)
            .map(|l| Keypoint {
                x: l[0] * sx,
                y: l[1] * sy,
                visibility: sigmoid(l[3]),
            })
            .collect(),
    )
}

/// Summary figures of a depth map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DepthSummary {
    pub min: f32,
    pub max: f32,
    pub mean: f32,
}

pub fn depth_summary(map: &Map) -> DepthSummary {
    let (mut min, mut max, mut sum) = (f32::INFINITY, f32::NEG_INFINITY, 0f64);
    for &v in &map.values {
        min = min.min(v);
        max = max.max(v);
        sum += f64::from(v);
    }
    DepthSummary {
        min,
        max,
        mean: (sum / map.values.len().max(1) as f64) as f32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_applies_softmax_to_logits_only() {
        let top = top_k(&[1.0, 3.0, 2.0], 2);
        assert_eq!(top.iter().map(|c| c.index).collect::<Vec<_>>(), [1, 2]);
        assert!((top[0].score - 0.665_240_9).abs() < 1e-5);
        let probs = top_k(&[0.1, 0.7, 0.2], 3);
        assert_eq!(
            probs[0],
            Class {
                index: 1,
                score: 0.7
            }
        );
        assert_eq!(top_k(&[0.5], 5).len(), 1);
    }

    #[test]
    fn nanodet_decodes_one_box_and_suppresses_its_duplicate() {
        // Input 32, stride 16: a 2x2 grid, 2 classes, 3 bins per side.
        let p = NanodetParams {
            input: 32,
            classes: 2,
            bins: 3,
            threshold: 0.35,
            iou: 0.4,
        };
        let mut scores = vec![0.0f32; 4 * 2];
        scores[2 * 3 + 1] = 0.9; // cell 3 (col 1, row 1), class 1
        scores[2 * 2 + 1] = 0.5; // cell 2 (col 0, row 1), class 1: IoU 0.5 > 0.4, suppressed
        let mut boxes = vec![-50.0f32; 4 * 12];
        for cell in [2usize, 3] {
            for side in 0..4 {
                boxes[cell * 12 + side * 3 + 1] = 50.0; // expected bin 1 -> 16 px
            }
        }
        let level = NanodetLevel {
            stride: 16,
            scores: &scores,
            boxes: &boxes,
        };
        let found = nanodet(&[level], &p, 64, 32);
        assert_eq!(found.len(), 1, "{found:?}");
        let d = found[0];
        assert_eq!((d.class, d.score), (1, 0.9));
        // Centre (24, 24), 16 px each side, clipped to [0, 32], x scaled by 2.
        let want = [16.0, 8.0, 64.0, 32.0];
        for (g, w) in d.bbox.iter().zip(want) {
            assert!((g - w).abs() < 1e-3, "{:?}", d.bbox);
        }
    }

    #[test]
    fn nms_keeps_other_classes() {
        let a = Detection {
            class: 0,
            score: 0.9,
            bbox: [0.0, 0.0, 10.0, 10.0],
        };
        let b = Detection { score: 0.8, ..a };
        let c = Detection { class: 1, ..b };
        let kept = nms(vec![b, a, c], 0.5);
        assert_eq!(kept, [a, c]);
    }

    #[test]
    fn maps_from_output_shapes() {
        let v = vec![0.0; 6];
        for dims in [&[1, 2, 3][..], &[1, 2, 3, 1], &[1, 1, 2, 3], &[2, 3]] {
            let m = Map::from_output(dims, &v).unwrap();
            assert_eq!((m.height, m.width), (2, 3), "{dims:?}");
        }
        assert!(Map::from_output(&[1, 6], &v).is_none());
        assert!(Map::from_output(&[1, 2, 3, 3], &[0.0; 18]).is_none());
        assert!(Map::from_output(&[1, 2, 4], &v).is_none());
    }

    #[test]
    fn segmentation_summary() {
        let mut m = Map {
            width: 4,
            height: 2,
            values: vec![0.0, 0.9, 0.8, 0.0, 0.0, 0.6, 0.0, 0.0],
        };
        let s = segmentation(&mut m, 8, 4);
        assert!((s.foreground - 37.5).abs() < 1e-4);
        assert!((s.mean - 2.3 / 8.0).abs() < 1e-6);
        assert_eq!(s.bbox, Some([2, 0, 6, 4]));
        let mut logits = Map {
            width: 1,
            height: 2,
            values: vec![-10.0, 10.0],
        };
        let s = segmentation(&mut logits, 1, 2);
        assert!((s.foreground - 50.0).abs() < 1e-4);
        assert!(logits.values[1] > 0.99);
    }

    #[test]
    fn pose_scales_to_the_image() {
        let mut l = vec![0.0f32; 39 * 5];
        l[0] = 128.0;
        l[1] = 64.0;
        l[3] = 10.0;
        let k = pose(&l, 256, 256, 512, 1024).unwrap();
        assert_eq!(k.len(), 33);
        assert_eq!((k[0].x, k[0].y), (256.0, 256.0));
        assert!(k[0].visibility > 0.99);
        assert!(pose(&l[..100], 256, 256, 1, 1).is_none());
        let mut order = POSE_REPORT_ORDER.to_vec();
        order.sort_unstable();
        assert_eq!(order, (0..33).collect::<Vec<_>>());
    }

    #[test]
    fn depth_figures() {
        let m = Map {
            width: 2,
            height: 1,
            values: vec![1.0, 3.0],
        };
        assert_eq!(
            depth_summary(&m),
            DepthSummary {
                min: 1.0,
                max: 3.0,
                mean: 2.0
            }
        );
    }
}
