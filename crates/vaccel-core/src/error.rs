//! The runtime's error type: a vAccel error code (a positive errno value).
//!
//! Every failure the C API reports is one of these codes, so the Rust API carries the code itself
//! rather than a richer enum that would have to be mapped back at the boundary.

use vaccel_abi as abi;

/// A vAccel error code (spec §2); never `VACCEL_OK`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("vAccel error {code} ({})", abi::error_name(*.code).unwrap_or("errno"))]
pub struct Error {
    code: i32,
}

/// `Result` with the vAccel [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub const EPERM: Error = Error {
        code: abi::VACCEL_EPERM,
    };
    pub const ENOENT: Error = Error {
        code: abi::VACCEL_ENOENT,
    };
    pub const EIO: Error = Error {
        code: abi::VACCEL_EIO,
    };
    pub const ENOMEM: Error = Error {
        code: abi::VACCEL_ENOMEM,
    };
    pub const EACCES: Error = Error {
        code: abi::VACCEL_EACCES,
    };
    pub const EEXIST: Error = Error {
        code: abi::VACCEL_EEXIST,
    };
    pub const EINVAL: Error = Error {
        code: abi::VACCEL_EINVAL,
    };
    pub const ERANGE: Error = Error {
        code: abi::VACCEL_ERANGE,
    };
    pub const ENOSYS: Error = Error {
        code: abi::VACCEL_ENOSYS,
    };
    pub const EBACKEND: Error = Error {
        code: abi::VACCEL_EBACKEND,
    };
    pub const ELIBBAD: Error = Error {
        code: abi::VACCEL_ELIBBAD,
    };
    pub const EUSERS: Error = Error {
        code: abi::VACCEL_EUSERS,
    };
    pub const ENOTSUP: Error = Error {
        code: abi::VACCEL_ENOTSUP,
    };
    pub const ESESS: Error = Error {
        code: abi::VACCEL_ESESS,
    };

    /// The error for a non-zero code; `None` for `VACCEL_OK`.
    pub fn from_code(code: i32) -> Option<Error> {
        (code != abi::VACCEL_OK).then_some(Error { code })
    }

    /// The error for the calling thread's `errno` (EIO if it is unset).
    pub fn last_os_error() -> Error {
        let code = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(abi::VACCEL_EIO);
        Error::from_code(code).unwrap_or(Error::EIO)
    }

    /// The error for an I/O failure, keeping its errno.
    pub fn from_io(e: &std::io::Error) -> Error {
        e.raw_os_error()
            .and_then(Error::from_code)
            .unwrap_or(Error::EIO)
    }

    /// The positive code returned to C callers.
    pub fn code(self) -> i32 {
        self.code
    }
}

/// A C return code from a `Result`: 0 or the error's code.
pub fn code_of<T>(r: &Result<T>) -> i32 {
    match r {
        Ok(_) => abi::VACCEL_OK,
        Err(e) => e.code(),
    }
}

/// A `Result` from a C return code (from a plugin or a C callback).
pub fn check(code: i32) -> Result<()> {
    Error::from_code(code).map_or(Ok(()), Err)
}
