//! `vaccel_minmax`: clamp into `[low, high]` and report the extremes.

use crate::{Error, exactly};

/// Writes `indata` clamped to `[low, high]` into `outdata` and returns `(min, max)` of the
/// clamped values, so `low <= min <= max <= high`.
///
/// `outdata` must have the length of `indata`, which must not be empty; `low > high` (or a NaN
/// threshold) is an error. A NaN input stays NaN in `outdata` and is ignored by `min` and `max`;
/// if every input is NaN, both are NaN.
pub fn minmax(
    indata: &[f64],
    low: f64,
    high: f64,
    outdata: &mut [f64],
) -> Result<(f64, f64), Error> {
    // A NaN threshold is unordered, so it fails too.
    if low.partial_cmp(&high).is_none_or(|o| o.is_gt()) {
        return Err(Error::Thresholds { low, high });
    }
    if indata.is_empty() {
        return Err(Error::Empty);
    }
    exactly("outdata", outdata, indata.len())?;
    let (mut min, mut max) = (f64::NAN, f64::NAN);
    for (o, &x) in outdata.iter_mut().zip(indata) {
        let v = x.clamp(low, high);
        *o = v;
        // `f64::min`/`max` return the other operand when one is NaN.
        min = min.min(v);
        max = max.max(v);
    }
    Ok((min, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_and_reports_extremes() {
        let input = [5.0, -3.5, 12.0, 0.0, 7.25, 100.0];
        let mut out = [0.0; 6];
        let (min, max) = minmax(&input, 0.0, 10.0, &mut out).unwrap();
        assert_eq!(out, [5.0, 0.0, 10.0, 0.0, 7.25, 10.0]);
        assert_eq!((min, max), (0.0, 10.0));
    }

    #[test]
    fn extremes_inside_the_range_are_the_data_ones() {
        let input = [2.5, 3.0, 1.5];
        let mut out = [9.0; 3];
        assert_eq!(minmax(&input, -100.0, 100.0, &mut out), Ok((1.5, 3.0)));
        assert_eq!(out, input);
    }

    #[test]
    fn equal_thresholds_flatten() {
        let mut out = [0.0; 3];
        assert_eq!(
            minmax(&[-1.0, 4.0, 9.0], 4.0, 4.0, &mut out),
            Ok((4.0, 4.0))
        );
        assert_eq!(out, [4.0; 3]);
    }

    #[test]
    fn single_value() {
        let mut out = [0.0];
        assert_eq!(minmax(&[-7.0], -5.0, 5.0, &mut out), Ok((-5.0, -5.0)));
        assert_eq!(out, [-5.0]);
    }

    #[test]
    fn nan_inputs_are_kept_and_ignored() {
        let mut out = [0.0; 3];
        let (min, max) = minmax(&[f64::NAN, 3.0, 20.0], 0.0, 10.0, &mut out).unwrap();
        assert!(out[0].is_nan());
        assert_eq!(&out[1..], [3.0, 10.0]);
        assert_eq!((min, max), (3.0, 10.0));
        let (min, max) = minmax(&[f64::NAN; 3], 0.0, 10.0, &mut out).unwrap();
        assert!(min.is_nan() && max.is_nan());
    }

    #[test]
    fn infinities_clamp() {
        let mut out = [0.0; 2];
        assert_eq!(
            minmax(&[f64::NEG_INFINITY, f64::INFINITY], -1.0, 1.0, &mut out),
            Ok((-1.0, 1.0))
        );
    }

    #[test]
    fn errors() {
        let mut out = [0.0; 2];
        assert_eq!(
            minmax(&[1.0, 2.0], 5.0, 4.0, &mut out),
            Err(Error::Thresholds {
                low: 5.0,
                high: 4.0
            })
        );
        assert!(matches!(
            minmax(&[1.0, 2.0], f64::NAN, 4.0, &mut out),
            Err(Error::Thresholds { .. })
        ));
        assert_eq!(minmax(&[], 0.0, 1.0, &mut []), Err(Error::Empty));
        assert_eq!(
            minmax(&[1.0], 0.0, 1.0, &mut out),
            Err(Error::LengthMismatch {
                name: "outdata",
                len: 2,
                expected: 1
            })
        );
        // Nothing is written on error.
        let mut out = [7.0; 2];
        assert!(minmax(&[1.0, 2.0], 3.0, 2.0, &mut out).is_err());
        assert_eq!(out, [7.0; 2]);
    }
}
