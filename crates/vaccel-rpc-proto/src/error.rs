//! Package `vaccel` (spec §4.3) and the error contract of §5.
//!
//! When the agent's libvaccel (or an argument conversion) fails, the agent answers `INTERNAL`
//! with the error's display string and exactly one detail: an `Any` whose `type_url` is
//! `type.googleapis.com/vaccel.ProtoError` and whose value is an encoded [`Error`]. The client
//! turns that back into a vAccel return code: the libvaccel errno passes straight through to the
//! application, anything without details becomes `VACCEL_EIO`. Both directions live here, as
//! [`error_to_status`] and [`status_to_errno`], so the agent and the plugin cannot drift apart.
//!
//! Note the unusual field numbers of [`Status`]: `code` is 3 and `message` is 4.

use std::fmt;

use prost::Message;
use vaccel_abi::{VACCEL_EBACKEND, VACCEL_EIO, VACCEL_OK};

use crate::service::PROTO_ERROR_TYPE_URL;
use crate::ttrpc;

/// `vaccel.ErrorType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ErrorType {
    /// libvaccel returned an errno (`ffi_error`).
    Ffi = 0,
    /// libvaccel returned an errno together with a framework status.
    FfiWithStatus = 1,
    InvalidArgument = 2,
    Uninitialized = 3,
    OutOfBounds = 4,
    EmptyValue = 5,
    ConversionFailed = 6,
}

/// `vaccel.Status`: a framework (TF/TFLite) status.
#[derive(Clone, PartialEq, Eq, Message)]
pub struct Status {
    /// Framework status code (TF/TFLite `uint8`).
    #[prost(uint32, tag = "3")]
    pub code: u32,
    #[prost(string, tag = "4")]
    pub message: String,
}

/// `vaccel.Error`, carried in `ttrpc.Status.details[0].value`.
#[derive(Clone, PartialEq, Eq, Message)]
pub struct Error {
    #[prost(enumeration = "ErrorType", tag = "1")]
    pub r#type: i32,
    /// The vAccel / errno code returned by the agent's libvaccel.
    #[prost(uint32, optional, tag = "2")]
    pub ffi_error: Option<u32>,
    /// Framework status (`FfiWithStatus`) or the message (`InvalidArgument`, `ConversionFailed`).
    #[prost(message, optional, tag = "3")]
    pub status: Option<Status>,
}

impl Error {
    /// libvaccel returned `errno`.
    pub fn ffi(errno: u32) -> Self {
        Error {
            r#type: ErrorType::Ffi as i32,
            ffi_error: Some(errno),
            status: None,
        }
    }

    /// libvaccel returned `errno` with the framework status `{code, message}` (TF/TFLite ops).
    pub fn ffi_with_status(errno: u32, code: u32, message: impl Into<String>) -> Self {
        Error {
            r#type: ErrorType::FfiWithStatus as i32,
            ffi_error: Some(errno),
            status: Some(Status {
                code,
                message: message.into(),
            }),
        }
    }

    /// Invalid argument `message` (e.g. `Invalid ID: 0`).
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Error::with_message(ErrorType::InvalidArgument, message.into())
    }

    /// Conversion failure `message`.
    pub fn conversion_failed(message: impl Into<String>) -> Self {
        Error::with_message(ErrorType::ConversionFailed, message.into())
    }

    /// An error of `kind` with no payload (`Uninitialized`, `OutOfBounds`, `EmptyValue`).
    pub fn of_type(kind: ErrorType) -> Self {
        Error {
            r#type: kind as i32,
            ffi_error: None,
            status: None,
        }
    }

    fn with_message(kind: ErrorType, message: String) -> Self {
        Error {
            r#type: kind as i32,
            ffi_error: None,
            status: Some(Status { code: 0, message }),
        }
    }

    /// The vAccel code a client returns for this error (§5.3 step 1): `ffi_error` for `Ffi` and
    /// `FfiWithStatus` (`VACCEL_EBACKEND` when absent), `VACCEL_EBACKEND` for every other type.
    pub fn errno(&self) -> i32 {
        match ErrorType::try_from(self.r#type) {
            Ok(ErrorType::Ffi | ErrorType::FfiWithStatus) => self
                .ffi_error
                .and_then(|e| i32::try_from(e).ok())
                .unwrap_or(VACCEL_EBACKEND),
            _ => VACCEL_EBACKEND,
        }
    }
}

/// The display strings of §5.2, which the agent uses as the ttrpc status message.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = self.status.as_ref().map_or("", |s| s.message.as_str());
        let ffi = self.ffi_error.unwrap_or(0);
        match ErrorType::try_from(self.r#type) {
            Ok(ErrorType::Ffi) => write!(f, "FFI error: {ffi}"),
            Ok(ErrorType::FfiWithStatus) => {
                let code = self.status.as_ref().map_or(0, |s| s.code);
                write!(f, "FFI error: {ffi} [{message} ({code})]")
            }
            Ok(ErrorType::InvalidArgument) => write!(f, "Invalid argument: {message}"),
            Ok(ErrorType::Uninitialized) => f.write_str("Uninitialized object"),
            Ok(ErrorType::OutOfBounds) => f.write_str("Index out of bounds"),
            Ok(ErrorType::EmptyValue) => f.write_str("Empty value"),
            Ok(ErrorType::ConversionFailed) => write!(f, "Conversion failed: {message}"),
            Err(_) => write!(f, "Unknown error type {}", self.r#type),
        }
    }
}

impl std::error::Error for Error {}

/// Agent side (§5.1): the ttrpc status for a libvaccel or conversion failure — `INTERNAL`, the
/// display string as message, and exactly one `vaccel.ProtoError` detail.
pub fn error_to_status(error: &Error) -> ttrpc::Status {
    ttrpc::Status {
        code: ttrpc::Code::Internal as i32,
        message: error.to_string(),
        details: vec![ttrpc::Any {
            type_url: PROTO_ERROR_TYPE_URL.to_owned(),
            value: error.encode_to_vec().into(),
        }],
    }
}

/// Client side (§5.3): the vAccel return code for a call's status. `None` (no status) and `OK` are
/// `VACCEL_OK`. A failed status whose first detail decodes as [`Error`] yields [`Error::errno`]
/// (the `type_url` is not checked, as upstream); any other failure is `VACCEL_EIO`.
///
/// Transport failures (connect, I/O, oversize) are `VACCEL_EIO` too, and local failures around
/// the call (invalid ids, unexpected response shapes) are `VACCEL_EBACKEND`; those never reach a
/// status.
pub fn status_to_errno(status: Option<&ttrpc::Status>) -> i32 {
    match status {
        None => VACCEL_OK,
        Some(s) if s.is_ok() => VACCEL_OK,
        Some(s) => match vaccel_error(s) {
            Some(e) => e.errno(),
            None => VACCEL_EIO,
        },
    }
}

/// The `vaccel.Error` of a status, when its first detail decodes as one (an empty value decodes as
/// `{type: FFI}`). Clients use it to recover the framework status of TF/TFLite failures.
pub fn vaccel_error(status: &ttrpc::Status) -> Option<Error> {
    let detail = status.details.first()?;
    Error::decode(detail.value.clone()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use vaccel_abi::{VACCEL_EINVAL, VACCEL_ENOTSUP};

    #[test]
    fn display_strings() {
        assert_eq!(Error::ffi(95).to_string(), "FFI error: 95");
        assert_eq!(
            Error::ffi_with_status(22, 3, "bad graph").to_string(),
            "FFI error: 22 [bad graph (3)]"
        );
        assert_eq!(
            Error::invalid_argument("Invalid ID: 0").to_string(),
            "Invalid argument: Invalid ID: 0"
        );
        assert_eq!(
            Error::of_type(ErrorType::Uninitialized).to_string(),
            "Uninitialized object"
        );
        assert_eq!(
            Error::of_type(ErrorType::OutOfBounds).to_string(),
            "Index out of bounds"
        );
        assert_eq!(
            Error::of_type(ErrorType::EmptyValue).to_string(),
            "Empty value"
        );
        assert_eq!(
            Error::conversion_failed(
                "Could not convert proto `Arg` to `Arg`: Incorrect size; expected 4 got 5"
            )
            .to_string(),
            "Conversion failed: Could not convert proto `Arg` to `Arg`: Incorrect size; expected 4 got 5"
        );
    }

    #[test]
    fn error_encodings() {
        assert_eq!(Error::ffi(95).encode_to_vec(), [0x10, 0x5f]);
        assert_eq!(Error::ffi(22).encode_to_vec(), [0x10, 0x16]);
        let mut d4 = vec![0x08, 0x02, 0x1a, 0x0f, 0x22, 0x0d];
        d4.extend_from_slice(b"Invalid ID: 0");
        assert_eq!(Error::invalid_argument("Invalid ID: 0").encode_to_vec(), d4);
        assert_eq!(
            Error::decode(&[][..]).unwrap().r#type,
            ErrorType::Ffi as i32
        );
    }

    #[test]
    fn status_to_errno_follows_the_contract() {
        assert_eq!(status_to_errno(None), VACCEL_OK);
        assert_eq!(status_to_errno(Some(&ttrpc::Status::default())), VACCEL_OK);
        // Details with an FFI error: pass-through.
        let s = error_to_status(&Error::ffi(VACCEL_ENOTSUP as u32));
        assert_eq!(s.code, ttrpc::Code::Internal as i32);
        assert_eq!(status_to_errno(Some(&s)), VACCEL_ENOTSUP);
        let s = error_to_status(&Error::ffi_with_status(VACCEL_EINVAL as u32, 1, "x"));
        assert_eq!(status_to_errno(Some(&s)), VACCEL_EINVAL);
        // Other error types: EBACKEND.
        let s = error_to_status(&Error::invalid_argument("Invalid ID: 0"));
        assert_eq!(status_to_errno(Some(&s)), VACCEL_EBACKEND);
        let s = error_to_status(&Error::of_type(ErrorType::EmptyValue));
        assert_eq!(status_to_errno(Some(&s)), VACCEL_EBACKEND);
        // FFI without ffi_error: EBACKEND.
        let s = error_to_status(&Error::of_type(ErrorType::Ffi));
        assert_eq!(status_to_errno(Some(&s)), VACCEL_EBACKEND);
        // An empty detail value decodes as {type: FFI}: EBACKEND; the type_url is not checked.
        let mut s = ttrpc::Status::new(ttrpc::Code::Internal, "x");
        s.details.push(ttrpc::Any {
            type_url: "anything".into(),
            value: Default::default(),
        });
        assert_eq!(status_to_errno(Some(&s)), VACCEL_EBACKEND);
        // No details: EIO.
        let s = ttrpc::Status::new(ttrpc::Code::NotFound, "Unknown session 42");
        assert_eq!(status_to_errno(Some(&s)), VACCEL_EIO);
        // Undecodable detail: EIO.
        let mut s = ttrpc::Status::new(ttrpc::Code::Internal, "x");
        s.details.push(ttrpc::Any {
            type_url: PROTO_ERROR_TYPE_URL.into(),
            value: vec![0xffu8].into(),
        });
        assert_eq!(status_to_errno(Some(&s)), VACCEL_EIO);
    }
}
