//! From image file bytes to a model's input tensor.
//!
//! Every model gets the pre-processing its reference results were measured with
//! (`../shared/assets/README.md`): decode to 8-bit RGB, resize the whole image to the model's
//! input size ignoring the aspect ratio with a bilinear (triangle) filter, then normalise per
//! channel. A nearest-neighbour resize changes results beyond the documented tolerances, so it
//! is never used.

use std::io::Cursor;

use image::imageops::{self, FilterType};
use image::{ImageReader, Limits, RgbImage};

/// Decoded images larger than this (width x height) are refused before their pixels are
/// allocated: 64 Mpixel is 192 MiB of RGB.
const MAX_PIXELS: u64 = 64 << 20;

/// Why an image could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("the image is empty (0 bytes)")]
    Empty,
    #[error("not an image in a supported format (JPEG or PNG)")]
    UnknownFormat,
    #[error("the image could not be decoded: {0}")]
    Decode(String),
    #[error("the image is {0}x{1} pixels: at most {MAX_PIXELS} pixels are accepted")]
    TooLarge(u32, u32),
    #[error("the image has no pixels ({0}x{1})")]
    NoPixels(u32, u32),
    #[error("the JPEG image is truncated (no end-of-image marker after its scan)")]
    TruncatedJpeg,
}

/// Whether JPEG bytes end their last scan with an end-of-image marker. Decoders fill a truncated
/// scan in silently; a result computed from half an image is wrong, so such input is refused.
/// Inside entropy-coded data 0xFF is always followed by 0x00 or a restart marker, so an `FF D9`
/// after the last start-of-scan (`FF DA`) can only be the end of the image (an embedded
/// thumbnail's own markers come before the main scan).
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let last_sos = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    match last_sos {
        Some(sos) => bytes[sos..].windows(2).any(|w| w == [0xFF, 0xD9]),
        None => false,
    }
}

/// Decodes JPEG or PNG bytes to 8-bit RGB, refusing images whose pixels would not fit the limits.
pub fn decode(bytes: &[u8]) -> Result<RgbImage, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImageError::Decode(e.to_string()))?;
    match reader.format() {
        None => return Err(ImageError::UnknownFormat),
        Some(image::ImageFormat::Jpeg) if !jpeg_is_complete(bytes) => {
            return Err(ImageError::TruncatedJpeg);
        }
        Some(_) => {}
    }
    let (w, h) = reader
        .into_dimensions()
        .map_err(|e| ImageError::Decode(e.to_string()))?;
    if w == 0 || h == 0 {
        return Err(ImageError::NoPixels(w, h));
    }
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(ImageError::TooLarge(w, h));
    }
    reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImageError::Decode(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 4 + (16 << 20));
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| ImageError::Decode(e.to_string()))?;
    Ok(img.to_rgb8())
}

/// Memory order of an image tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `[1, 3, H, W]`.
    Nchw,
    /// `[1, H, W, 3]`.
    Nhwc,
}

/// How 0..255 channel values become model inputs: `(x - mean[c]) / std[c]`, with the channels
/// fed in RGB or BGR order (`mean`/`std` are given in the fed order).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalization {
    pub bgr: bool,
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

impl Normalization {
    /// `x / 255`, RGB.
    pub const UNIT: Self = Self {
        bgr: false,
        mean: [0.0; 3],
        std: [255.0; 3],
    };
    /// `x / 127.5 - 1`, RGB (EfficientNet-Lite, BlazeFace).
    pub const SIGNED: Self = Self {
        bgr: false,
        mean: [127.5; 3],
        std: [127.5; 3],
    };
    /// NanoDet: BGR, per-channel mean and std.
    pub const NANODET: Self = Self {
        bgr: true,
        mean: [103.53, 116.28, 123.675],
        std: [57.375, 57.12, 58.395],
    };
}

/// The input geometry a model expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputShape {
    pub layout: Layout,
    pub width: u32,
    pub height: u32,
}

impl InputShape {
    /// The tensor dims, batch 1.
    pub fn dims(&self) -> [i64; 4] {
        let (w, h) = (i64::from(self.width), i64::from(self.height));
        match self.layout {
            Layout::Nchw => [1, 3, h, w],
            Layout::Nhwc => [1, h, w, 3],
        }
    }

    /// Reads the geometry from a model's declared input dims; a dynamic (`-1`) height or width
    /// takes `default`. `None` if the dims are not those of a batch-1 RGB image.
    pub fn from_dims(dims: &[i64], default: u32) -> Option<Self> {
        let side = |d: i64| -> Option<u32> {
            if d <= 0 {
                Some(default)
            } else {
                u32::try_from(d).ok().filter(|&v| v <= 8192)
            }
        };
        if dims.len() != 4 || !(dims[0] == 1 || dims[0] <= 0) {
            return None;
        }
        if dims[1] == 3 && dims[3] != 3 {
            Some(Self {
                layout: Layout::Nchw,
                height: side(dims[2])?,
                width: side(dims[3])?,
            })
        } else if dims[3] == 3 {
            Some(Self {
                layout: Layout::Nhwc,
                height: side(dims[1])?,
                width: side(dims[2])?,
            })
        } else {
            None
        }
    }
}

/// Resizes `img` to the model's input size (bilinear, whole image) and normalises it into a
/// float tensor of `shape.dims()`.
pub fn to_tensor(img: &RgbImage, shape: InputShape, norm: Normalization) -> Vec<f32> {
    let resized;
    let src = if img.dimensions() == (shape.width, shape.height) {
        img
    } else {
        resized = imageops::resize(img, shape.width, shape.height, FilterType::Triangle);
        &resized
    };
    let plane = (shape.width * shape.height) as usize;
    let mut out = vec![0f32; plane * 3];
    let scale = norm.std.map(|s| 1.0 / s);
    for (i, px) in src.pixels().enumerate() {
        for c in 0..3 {
            let v = f32::from(px.0[if norm.bgr { 2 - c } else { c }]);
            let v = (v - norm.mean[c]) * scale[c];
            match shape.layout {
                Layout::Nchw => out[c * plane + i] = v,
                Layout::Nhwc => out[i * 3 + c] = v,
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb([x as u8, y as u8, 200]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn decodes_png_and_refuses_garbage() {
        let img = decode(&png(7, 5)).unwrap();
        assert_eq!(img.dimensions(), (7, 5));
        assert_eq!(img.get_pixel(3, 2).0, [3, 2, 200]);
        assert!(matches!(decode(b""), Err(ImageError::Empty)));
        assert!(matches!(
            decode(b"this is not an image at all"),
            Err(ImageError::UnknownFormat)
        ));
        let full = png(64, 64);
        let cut = &full[..full.len() / 2];
        assert!(
            matches!(decode(cut), Err(ImageError::Decode(_))),
            "truncated"
        );
    }

    #[test]
    fn refuses_truncated_jpeg() {
        let img = RgbImage::from_fn(32, 32, |x, y| Rgb([x as u8 * 8, y as u8 * 8, 0]));
        let mut jpeg = Cursor::new(Vec::new());
        img.write_to(&mut jpeg, image::ImageFormat::Jpeg).unwrap();
        let jpeg = jpeg.into_inner();
        assert_eq!(decode(&jpeg).unwrap().dimensions(), (32, 32));
        assert!(matches!(
            decode(&jpeg[..jpeg.len() - 40]),
            Err(ImageError::TruncatedJpeg)
        ));
    }

    #[test]
    fn refuses_huge_claimed_dimensions_before_allocating() {
        // A PNG header claiming 100000 x 100000 pixels, with no data behind it.
        let mut bytes = png(1, 1);
        bytes[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let err = decode(&bytes).unwrap_err();
        assert!(
            matches!(err, ImageError::TooLarge(..) | ImageError::Decode(_)),
            "{err}"
        );
    }

    #[test]
    fn shapes_from_dims() {
        let nchw = InputShape::from_dims(&[1, 3, 224, 224], 0).unwrap();
        assert_eq!(
            (nchw.layout, nchw.width, nchw.height),
            (Layout::Nchw, 224, 224)
        );
        let nhwc = InputShape::from_dims(&[1, 256, 128, 3], 0).unwrap();
        assert_eq!(
            (nhwc.layout, nhwc.width, nhwc.height),
            (Layout::Nhwc, 128, 256)
        );
        let dynamic = InputShape::from_dims(&[-1, 3, -1, -1], 300).unwrap();
        assert_eq!((dynamic.width, dynamic.height), (300, 300));
        assert_eq!(dynamic.dims(), [1, 3, 300, 300]);
        assert!(InputShape::from_dims(&[1, 30], 224).is_none());
        assert!(InputShape::from_dims(&[1, 1, 28, 28], 224).is_none());
        assert!(InputShape::from_dims(&[4, 3, 28, 28], 224).is_none());
    }

    #[test]
    fn tensor_layouts_and_normalisation() {
        let img = RgbImage::from_fn(2, 1, |x, _| {
            if x == 0 {
                Rgb([255, 0, 0])
            } else {
                Rgb([0, 0, 255])
            }
        });
        let chw = InputShape {
            layout: Layout::Nchw,
            width: 2,
            height: 1,
        };
        assert_eq!(
            to_tensor(&img, chw, Normalization::UNIT),
            [1.0, 0.0, 0.0, 0.0, 0.0, 1.0]
        );
        let hwc = InputShape {
            layout: Layout::Nhwc,
            ..chw
        };
        assert_eq!(
            to_tensor(&img, hwc, Normalization::SIGNED),
            [1.0, -1.0, -1.0, -1.0, -1.0, 1.0]
        );
        // BGR order: the first channel fed is blue.
        let bgr = to_tensor(&img, chw, Normalization::NANODET);
        assert!((bgr[0] - (0.0 - 103.53) / 57.375).abs() < 1e-6);
        assert!((bgr[1] - (255.0 - 103.53) / 57.375).abs() < 1e-6);
        assert!((bgr[4] - (255.0 - 123.675) / 58.395).abs() < 1e-6);
        assert!((bgr[5] - (0.0 - 123.675) / 58.395).abs() < 1e-6);
    }
}
