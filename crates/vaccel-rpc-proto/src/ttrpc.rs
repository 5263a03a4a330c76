//! The ttrpc envelope (spec §2.3): `Request`, `Response`, `Status`, `Any`, `KeyValue` and the
//! gRPC status [`Code`].
//!
//! These are ttrpc's own messages (proto package `grpc`, which never appears on the wire). A
//! Request frame carries a [`Request`] naming the service and method with the encoded vAccel
//! request as `payload`; the Response frame carries a [`Response`] whose `status` is always
//! present (empty on success, `0a 00`) and whose `payload` is the encoded vAccel response.
//!
//! The constructors at the bottom produce the exact status texts of the official servers for
//! oversize frames (§2.4) and dispatch failures (§2.7), so a client sees the same messages from
//! the new agent.

use bytes::Bytes;
use prost::Message;

/// gRPC status codes (`Status.code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum Code {
    Ok = 0,
    Cancelled = 1,
    Unknown = 2,
    InvalidArgument = 3,
    DeadlineExceeded = 4,
    NotFound = 5,
    AlreadyExists = 6,
    PermissionDenied = 7,
    ResourceExhausted = 8,
    FailedPrecondition = 9,
    Aborted = 10,
    OutOfRange = 11,
    Unimplemented = 12,
    Internal = 13,
    Unavailable = 14,
    DataLoss = 15,
    Unauthenticated = 16,
}

/// `ttrpc.Request`.
#[derive(Clone, PartialEq, Message)]
pub struct Request {
    /// Fully-qualified service name without a leading slash.
    #[prost(string, tag = "1")]
    pub service: String,
    /// Bare method name.
    #[prost(string, tag = "2")]
    pub method: String,
    /// The encoded request message (absent when it encodes to zero bytes).
    #[prost(bytes = "bytes", tag = "3")]
    pub payload: Bytes,
    /// Per-call deadline in ns; 0 (absent) = none. The official client never sets it.
    #[prost(int64, tag = "4")]
    pub timeout_nano: i64,
    /// Ignored by the official server; never sent by the official client.
    #[prost(message, repeated, tag = "5")]
    pub metadata: Vec<KeyValue>,
}

/// The request metadata key that carries an agent's token (this project's agents and clients;
/// the official ones send none).
pub const AUTH_METADATA_KEY: &str = "authorization";

/// `ttrpc.KeyValue` (request metadata).
#[derive(Clone, PartialEq, Message)]
pub struct KeyValue {
    #[prost(string, tag = "1")]
    pub key: String,
    #[prost(string, tag = "2")]
    pub value: String,
}

/// `ttrpc.Response`.
#[derive(Clone, PartialEq, Message)]
pub struct Response {
    /// Always present from the official server (empty on success). A missing status means OK.
    #[prost(message, optional, tag = "1")]
    pub status: Option<Status>,
    /// The encoded response message; absent on error and when the message is empty.
    #[prost(bytes = "bytes", tag = "2")]
    pub payload: Bytes,
}

/// `ttrpc.Status` (the gRPC status shape).
#[derive(Clone, PartialEq, Message)]
pub struct Status {
    #[prost(enumeration = "Code", tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
    /// vAccel puts at most one entry here: a `vaccel.Error` (§5).
    #[prost(message, repeated, tag = "3")]
    pub details: Vec<Any>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, Message)]
pub struct Any {
    #[prost(string, tag = "1")]
    pub type_url: String,
    #[prost(bytes = "bytes", tag = "2")]
    pub value: Bytes,
}

impl Request {
    /// A request for `service`/`method` carrying `message`, with no deadline and no metadata.
    pub fn new<M: Message>(service: &str, method: &str, message: &M) -> Self {
        Request {
            service: service.to_owned(),
            method: method.to_owned(),
            payload: message.encode_to_vec().into(),
            timeout_nano: 0,
            metadata: Vec::new(),
        }
    }

    /// The request that opens a client stream: no payload (§2.6; send it with flags
    /// [`STREAM_OPEN`](crate::frame::flags::STREAM_OPEN)).
    pub fn stream_open(service: &str, method: &str) -> Self {
        Request {
            service: service.to_owned(),
            method: method.to_owned(),
            ..Request::default()
        }
    }

    /// Decodes the payload as `M`.
    pub fn decode_payload<M: Message + Default>(&self) -> Result<M, prost::DecodeError> {
        M::decode(self.payload.clone())
    }
}

impl Response {
    /// A successful response carrying `message` (status present and empty, as the official server
    /// sends it).
    pub fn ok<M: Message>(message: &M) -> Self {
        Response {
            status: Some(Status::default()),
            payload: message.encode_to_vec().into(),
        }
    }

    /// A failed response (no payload).
    pub fn error(status: Status) -> Self {
        Response {
            status: Some(status),
            payload: Bytes::new(),
        }
    }

    /// Whether the call succeeded (a missing status counts as OK, §2.3).
    pub fn is_ok(&self) -> bool {
        self.status.as_ref().is_none_or(Status::is_ok)
    }

    /// The payload decoded as `M` if the call succeeded, the status otherwise.
    pub fn into_result<M: Message + Default>(self) -> Result<M, ResponseError> {
        match self.status {
            Some(status) if !status.is_ok() => Err(ResponseError::Status(status)),
            _ => M::decode(self.payload).map_err(ResponseError::Decode),
        }
    }
}

/// Why [`Response::into_result`] produced no message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResponseError {
    /// The server answered with a non-OK status.
    #[error("RPC failed: {} {}", .0.code_name(), .0.message)]
    Status(Status),
    /// The response payload is not the expected message.
    #[error("cannot decode the response payload: {0}")]
    Decode(prost::DecodeError),
}

impl Status {
    /// A status with `code` and `message` and no details.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Status {
            code: code as i32,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// Whether `code` is OK.
    pub fn is_ok(&self) -> bool {
        self.code == Code::Ok as i32
    }

    /// The code's upper-case gRPC name (`NOT_FOUND`), or its number when unknown.
    pub fn code_name(&self) -> String {
        match Code::try_from(self.code) {
            Ok(c) => c.as_str_name().to_owned(),
            Err(_) => self.code.to_string(),
        }
    }

    /// The answer to a frame over `max` bytes (§2.4, vector D9): `INVALID_ARGUMENT "message length
    /// <N> exceed maximum message size of <max>"`.
    pub fn oversize(length: u64, max: u32) -> Self {
        Status::new(
            Code::InvalidArgument,
            format!("message length {length} exceed maximum message size of {max}"),
        )
    }

    /// The sync server's answer to an unknown service or method (§2.7, vector C9):
    /// `INVALID_ARGUMENT "/<service>/<method> does not exist"`.
    pub fn method_does_not_exist(service: &str, method: &str) -> Self {
        Status::new(
            Code::InvalidArgument,
            format!("/{service}/{method} does not exist"),
        )
    }

    /// The async server's answer to an unknown service (vector C12).
    pub fn service_does_not_exist(service: &str) -> Self {
        Status::new(
            Code::InvalidArgument,
            format!("{service} service does not exist"),
        )
    }

    /// The async server's answer to an unknown method of a known service (vector C13).
    pub fn unimplemented_method(method: &str) -> Self {
        Status::new(Code::Unimplemented, format!("{method} method"))
    }

    /// The answer for a method the server declares but does not serve (vector C8; the TF methods
    /// on 32-bit agents): `NOT_FOUND "/<service>/<method> is not supported"`.
    pub fn not_supported(service: &str, method: &str) -> Self {
        Status::new(
            Code::NotFound,
            format!("/{service}/{method} is not supported"),
        )
    }
}

impl Code {
    /// The upper-case gRPC name (`INVALID_ARGUMENT`).
    pub fn as_str_name(self) -> &'static str {
        match self {
            Code::Ok => "OK",
            Code::Cancelled => "CANCELLED",
            Code::Unknown => "UNKNOWN",
            Code::InvalidArgument => "INVALID_ARGUMENT",
            Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
            Code::NotFound => "NOT_FOUND",
            Code::AlreadyExists => "ALREADY_EXISTS",
            Code::PermissionDenied => "PERMISSION_DENIED",
            Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
            Code::FailedPrecondition => "FAILED_PRECONDITION",
            Code::Aborted => "ABORTED",
            Code::OutOfRange => "OUT_OF_RANGE",
            Code::Unimplemented => "UNIMPLEMENTED",
            Code::Internal => "INTERNAL",
            Code::Unavailable => "UNAVAILABLE",
            Code::DataLoss => "DATA_LOSS",
            Code::Unauthenticated => "UNAUTHENTICATED",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_status_is_present_and_empty() {
        let r = Response::ok(&crate::empty::Empty {});
        assert_eq!(r.encode_to_vec(), [0x0a, 0x00]);
        assert!(r.is_ok());
        assert!(Response::default().is_ok());
        assert!(!Response::error(Status::new(Code::NotFound, "x")).is_ok());
    }

    #[test]
    fn into_result() {
        let r = Response::ok(&crate::session::CreateResponse { session_id: 7 });
        assert_eq!(r.encode_to_vec(), [0x0a, 0x00, 0x12, 0x02, 0x08, 0x07]);
        let m: crate::session::CreateResponse = r.into_result().unwrap();
        assert_eq!(m.session_id, 7);
        let e = Response::error(Status::new(Code::NotFound, "Unknown session 42"))
            .into_result::<crate::empty::Empty>()
            .unwrap_err();
        assert_eq!(e.to_string(), "RPC failed: NOT_FOUND Unknown session 42");
        // Missing status: OK.
        let r = Response {
            status: None,
            payload: Bytes::from_static(&[0x08, 0x01]),
        };
        assert_eq!(
            r.into_result::<crate::session::CreateResponse>()
                .unwrap()
                .session_id,
            1
        );
    }

    #[test]
    fn code_names_and_unknown_codes() {
        assert_eq!(Code::try_from(13).unwrap(), Code::Internal);
        assert_eq!(Code::Unauthenticated as i32, 16);
        let s = Status {
            code: 99,
            ..Status::default()
        };
        assert_eq!(s.code_name(), "99");
        // Unknown codes survive a round trip.
        assert_eq!(Status::decode(&s.encode_to_vec()[..]).unwrap().code, 99);
    }

    #[test]
    fn dispatch_texts() {
        use crate::service::{ASYNC_SERVICE, SYNC_SERVICE};
        assert_eq!(
            Status::method_does_not_exist(ASYNC_SERVICE, "CreateSession").message,
            "/vaccel.asynchronous.agent.AgentService/CreateSession does not exist"
        );
        assert_eq!(
            Status::service_does_not_exist(SYNC_SERVICE).message,
            "vaccel.sync.agent.AgentService service does not exist"
        );
        assert_eq!(Status::unimplemented_method("Nope").code, 12);
        assert_eq!(
            Status::not_supported(SYNC_SERVICE, "UpdateSession").message,
            "/vaccel.sync.agent.AgentService/UpdateSession is not supported"
        );
    }
}
