//! `Display` wrappers that print values the way glibc `printf` conversions do, so that log lines
//! written in Rust match the C plugins' lines.

use std::ffi::{CStr, c_void};
use std::fmt;

/// A C string printed like `%s`: `(null)` for a missing string, otherwise its bytes (invalid
/// UTF-8 is shown with replacement characters).
#[derive(Debug, Clone, Copy)]
pub struct Str<'a>(pub Option<&'a CStr>);

impl fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("(null)"),
            Some(s) => f.write_str(&s.to_string_lossy()),
        }
    }
}

/// A pointer printed like `%p`: `(nil)` for NULL, otherwise `0x` and lower-case hex digits.
#[derive(Debug, Clone, Copy)]
pub struct Ptr(pub *const c_void);

impl Ptr {
    /// Wraps any raw pointer.
    pub fn of<T>(p: *const T) -> Ptr {
        Ptr(p.cast())
    }
}

impl fmt::Display for Ptr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_null() {
            f.write_str("(nil)")
        } else {
            write!(f, "{:#x}", self.0 as usize)
        }
    }
}

/// A floating-point number printed like `%f` (six decimals; `inf`, `-inf`, `nan`, `-nan`).
#[derive(Debug, Clone, Copy)]
pub struct Float(pub f64);

impl fmt::Display for Float {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        let sign = if v.is_sign_negative() { "-" } else { "" };
        if v.is_nan() {
            write!(f, "{sign}nan")
        } else if v.is_infinite() {
            write!(f, "{sign}inf")
        } else {
            write!(f, "{v:.6}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings() {
        assert_eq!(Str(None).to_string(), "(null)");
        assert_eq!(Str(Some(c"lib.so")).to_string(), "lib.so");
    }

    #[test]
    fn pointers() {
        assert_eq!(Ptr(std::ptr::null()).to_string(), "(nil)");
        assert_eq!(
            Ptr(0x7ffd29ce97c0usize as *const c_void).to_string(),
            "0x7ffd29ce97c0"
        );
    }

    #[test]
    fn floats() {
        assert_eq!(Float(32412.0).to_string(), "32412.000000");
        assert_eq!(Float(2123.0f32 as f64).to_string(), "2123.000000");
        assert_eq!(Float(-0.0).to_string(), "-0.000000");
        assert_eq!(Float(0.1f32 as f64).to_string(), "0.100000");
        assert_eq!(Float(f64::INFINITY).to_string(), "inf");
        assert_eq!(Float(f64::NEG_INFINITY).to_string(), "-inf");
        assert_eq!(Float(f64::NAN).to_string(), "nan");
        assert_eq!(Float(-f64::NAN).to_string(), "-nan");
        assert_eq!(Float(1e20).to_string(), "100000000000000000000.000000");
    }
}
