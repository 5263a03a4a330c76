//! What the image ops write into the caller's output buffers.
//!
//! Every op writes a text result, NUL-terminated, with `snprintf` semantics: truncated to the
//! buffer's length - 1. Its last line describes the op's picture, `image P5|P6 <w>x<h> <bytes>`
//! (a binary PNM: P5 grayscale for a mask or depth map, P6 RGB for an image with the results
//! drawn on it). When the buffer has room for the text, its NUL and the picture, the picture's
//! bytes follow the NUL; a caller learns from that line how large a buffer to pass. The formats
//! are documented in the README ("CPU plugin results"); over RPC the whole buffer travels back,
//! so the picture reaches remote callers too.

use image::imageops::{self, FilterType};
use image::{GrayImage, Luma, Rgb, RgbImage};

use super::decode::{Keypoint, Map};

/// A binary PNM picture's kind and size: what the text result announces before the pixels
/// are produced, so that they are only made when the caller's buffer can take them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Picture {
    /// 1 (P5, grayscale) or 3 (P6, RGB).
    channels: usize,
    width: u32,
    height: u32,
}

impl Picture {
    pub fn rgb(width: u32, height: u32) -> Self {
        Self {
            channels: 3,
            width,
            height,
        }
    }

    pub fn gray(width: u32, height: u32) -> Self {
        Self {
            channels: 1,
            width,
            height,
        }
    }

    fn header(&self) -> String {
        let magic = if self.channels == 3 { "P6" } else { "P5" };
        format!("{magic}\n{} {}\n255\n", self.width, self.height)
    }

    /// The size of the PNM file: header and pixels.
    pub fn len(&self) -> usize {
        self.header().len() + self.width as usize * self.height as usize * self.channels
    }

    /// The line that announces the picture in the text result.
    pub fn line(&self) -> String {
        let magic = if self.channels == 3 { "P6" } else { "P5" };
        format!(
            "image {magic} {}x{} {}\n",
            self.width,
            self.height,
            self.len()
        )
    }
}

/// Writes `text` (snprintf semantics) and, if the whole picture fits after the text's NUL, the
/// picture, its pixels made by `pixels` (row-major, `channels` bytes each). Returns whether the
/// picture was written.
pub fn write(buf: &mut [u8], text: &str, picture: Option<(Picture, &dyn Fn() -> Vec<u8>)>) -> bool {
    let n = vaccel_plugin::snprintf(buf, text.as_bytes());
    let Some((picture, pixels)) = picture else {
        return false;
    };
    let start = n + 1;
    if n != text.len() || buf.len() < start + picture.len() {
        return false;
    }
    let header = picture.header();
    let pixels = pixels();
    if header.len() + pixels.len() != picture.len() {
        return false;
    }
    buf[start..start + header.len()].copy_from_slice(header.as_bytes());
    buf[start + header.len()..start + picture.len()].copy_from_slice(&pixels);
    true
}

/// The pixels of a map scaled to 0..255 (`lo` -> 0, `hi` -> 255) and resized (bilinear) to
/// `width` x `height`.
pub fn map_pixels(map: &Map, lo: f32, hi: f32, width: u32, height: u32) -> Vec<u8> {
    let span = if hi > lo { hi - lo } else { 1.0 };
    let small = GrayImage::from_fn(map.width as u32, map.height as u32, |x, y| {
        let v = map.values[y as usize * map.width + x as usize];
        Luma([(((v - lo) / span).clamp(0.0, 1.0) * 255.0).round() as u8])
    });
    let full = if small.dimensions() == (width, height) {
        small
    } else {
        imageops::resize(&small, width, height, FilterType::Triangle)
    };
    full.into_raw()
}

/// A distinct colour per class index.
fn colour(i: usize) -> Rgb<u8> {
    const PALETTE: [[u8; 3]; 8] = [
        [255, 56, 56],
        [56, 255, 56],
        [56, 120, 255],
        [255, 200, 0],
        [255, 0, 255],
        [0, 255, 255],
        [255, 128, 0],
        [160, 80, 255],
    ];
    Rgb(PALETTE[i % PALETTE.len()])
}

/// Draws a rectangle outline, `thickness` pixels wide, clipped to the image.
pub fn draw_box(img: &mut RgbImage, bbox: [f32; 4], class: usize, thickness: u32) {
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return;
    }
    let clamp = |v: f32, max: u32| (v.max(0.0) as u32).min(max - 1);
    let (x0, y0, x1, y1) = (
        clamp(bbox[0], w),
        clamp(bbox[1], h),
        clamp(bbox[2], w),
        clamp(bbox[3], h),
    );
    let c = colour(class);
    for t in 0..thickness {
        for x in x0..=x1 {
            for y in [y0.saturating_add(t).min(y1), y1.saturating_sub(t).max(y0)] {
                img.put_pixel(x, y, c);
            }
        }
        for y in y0..=y1 {
            for x in [x0.saturating_add(t).min(x1), x1.saturating_sub(t).max(x0)] {
                img.put_pixel(x, y, c);
            }
        }
    }
}

/// Draws each keypoint seen with probability >= 0.5 as a filled square.
pub fn draw_keypoints(img: &mut RgbImage, points: &[Keypoint]) {
    let (w, h) = img.dimensions();
    let r = (w.max(h) / 128).max(2) as i64;
    for (i, p) in points.iter().enumerate() {
        if p.visibility < 0.5 {
            continue;
        }
        let (cx, cy) = (p.x.round() as i64, p.y.round() as i64);
        for y in (cy - r).max(0)..=(cy + r).min(i64::from(h) - 1) {
            for x in (cx - r).max(0)..=(cx + r).min(i64::from(w) - 1) {
                img.put_pixel(x as u32, y as u32, colour(i));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_then_picture_when_it_fits() {
        let pic = Picture::gray(2, 1);
        assert_eq!(pic.len(), 13);
        assert_eq!(pic.line(), "image P5 2x1 13\n");
        assert_eq!(Picture::rgb(2, 2).line(), "image P6 2x2 23\n");
        let pixels = || vec![7u8, 7];
        let text = "foreground 1\n";
        let mut big = vec![0xaau8; text.len() + 1 + 13];
        assert!(write(&mut big, text, Some((pic, &pixels))));
        assert_eq!(&big[..text.len() + 1], b"foreground 1\n\0");
        assert_eq!(&big[text.len() + 1..], b"P5\n2 1\n255\n\x07\x07");
        // One byte short: the text only.
        let mut short = vec![0xaau8; text.len() + 13];
        assert!(!write(&mut short, text, Some((pic, &pixels))));
        assert_eq!(&short[..text.len() + 1], b"foreground 1\n\0");
        assert_eq!(short[text.len() + 1], 0xaa);
        // Truncated text: snprintf semantics, no picture.
        let mut tiny = [0xaau8; 4];
        assert!(!write(&mut tiny, text, Some((pic, &pixels))));
        assert_eq!(&tiny, b"for\0");
        assert!(!write(&mut [], text, None));
    }

    #[test]
    fn maps_scale_and_resize() {
        let map = Map {
            width: 2,
            height: 1,
            values: vec![0.0, 2.0],
        };
        assert_eq!(map_pixels(&map, 0.0, 2.0, 2, 1), [0, 255]);
        assert_eq!(map_pixels(&map, 0.0, 2.0, 4, 2).len(), 8);
    }

    #[test]
    fn drawing_stays_inside() {
        let mut img = RgbImage::new(10, 10);
        draw_box(&mut img, [-5.0, 2.0, 50.0, 8.0], 0, 2);
        assert_eq!(img.get_pixel(0, 2).0, [255, 56, 56]);
        assert_eq!(img.get_pixel(9, 8).0, [255, 56, 56]);
        assert_eq!(img.get_pixel(5, 5).0, [0, 0, 0]);
        draw_keypoints(
            &mut img,
            &[Keypoint {
                x: 9.5,
                y: -1.0,
                visibility: 0.9,
            }],
        );
        assert_eq!(img.get_pixel(9, 0).0, [255, 56, 56]);
    }
}
