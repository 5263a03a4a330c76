//! Extensions between this agent and this plugin, negotiated so that official peers never see
//! them: a content-addressed blob cache and shared-memory genop arguments.
//!
//! # Negotiation
//!
//! The extensions live in a service of their own, [`EXT_SERVICE`], that official agents do not
//! serve. A client that wants one calls [`CAPABILITIES`] with the capabilities it offers
//! ([`CapabilitiesRequest`]); the agent answers with those it supports too. An official agent
//! answers the probe with an error (`INVALID_ARGUMENT "/vaccel.rs.ext.Extensions/Capabilities does
//! not exist"` from the sync server, `service does not exist` from the async one), which the
//! client takes as "no extensions": it then only ever sends the ordinary methods, byte for byte
//! as before. The probe is sent lazily, the first time an extension would help (a large blob or
//! argument), so that ordinary sessions cost no extra round trip. An official client never
//! probes, so it is served exactly as before.
//!
//! # Blob cache ([`CAP_BLOB_CACHE`])
//!
//! [`RegisterRequest`] wraps an ordinary `resource.RegisterRequest` with one SHA-256 digest per
//! blob. A blob sent with its data and digest is registered as usual and its bytes are kept in
//! the agent's cache under that digest — **after the agent has hashed the data itself** (a
//! mismatch is refused), so one client cannot plant bytes under another content's name. A blob
//! sent with its digest and no data is taken from the cache; if it is not there (never sent, or
//! evicted) the call fails with `FAILED_PRECONDITION` and a message starting with
//! [`NOT_CACHED`], and the client sends the data. A model registered again (by the same client
//! or another) thus crosses the wire once.
//!
//! # Shared memory ([`CAP_SHM`]) — unix sockets only
//!
//! [`ShmGenopRequest`] wraps an ordinary `genop.Request` in which some arguments have no bytes
//! and are described instead by a [`ShmArg`]: a range of one of the file descriptors passed with
//! the Request frame (`SCM_RIGHTS` on the `sendmsg` that carries the frame's first byte). The
//! descriptors must be memfds sealed against shrinking (`F_SEAL_SHRINK`), so that the agent's
//! mapping cannot be truncated under it. The agent maps the ranges (`MAP_SHARED`), runs the op on
//! them in place and answers with a `genop.Response` in which those write arguments carry their
//! size and no bytes: the results are already in the client's memory. Large tensors thus cross
//! without a copy.

use bytes::Bytes;
use prost::Message;
use sha2::{Digest, Sha256};

use crate::segments::{EncodeSegments, Segments};
use crate::{genop, resource};

/// The extension service (never served by official agents).
pub const EXT_SERVICE: &str = "vaccel.rs.ext.Extensions";
/// Method: capability negotiation.
pub const CAPABILITIES: &str = "Capabilities";
/// Method: `RegisterResource` with blob digests ([`RegisterRequest`] → `resource.RegisterResponse`).
pub const REGISTER_RESOURCE: &str = "RegisterResource";
/// Method: genop with shared-memory arguments ([`ShmGenopRequest`] → `genop.Response`).
pub const GENOP_SHM: &str = "GenopShm";

/// Capability: the content-addressed blob cache, SHA-256 digests.
pub const CAP_BLOB_CACHE: &str = "blob-cache-sha256";
/// Capability: genop arguments in memfds passed with `SCM_RIGHTS`.
pub const CAP_SHM: &str = "shm-memfd";

/// Start of the status message of a cache miss (code `FAILED_PRECONDITION`).
pub const NOT_CACHED: &str = "blob not cached";

/// Most file descriptors one [`ShmGenopRequest`] may carry.
pub const MAX_SHM_FDS: usize = 16;

/// `Capabilities` request: what the client offers.
#[derive(Clone, PartialEq, Message)]
pub struct CapabilitiesRequest {
    #[prost(string, repeated, tag = "1")]
    pub offered: Vec<String>,
}

/// `Capabilities` response: the offered capabilities the agent supports.
#[derive(Clone, PartialEq, Message)]
pub struct CapabilitiesResponse {
    #[prost(string, repeated, tag = "1")]
    pub supported: Vec<String>,
}

/// `RegisterResource` of the extension service.
#[derive(Clone, PartialEq, Message)]
pub struct RegisterRequest {
    /// The ordinary request; blobs sent by digest have empty `data` and their real `size`.
    #[prost(message, optional, tag = "1")]
    pub request: Option<resource::RegisterRequest>,
    /// One entry per blob, in order: its SHA-256 (32 bytes), or empty for an uncached blob.
    #[prost(bytes = "bytes", repeated, tag = "2")]
    pub digests: Vec<Bytes>,
}

/// One shared-memory genop argument.
#[derive(Clone, Copy, PartialEq, Eq, Message)]
pub struct ShmArg {
    /// `false`: an index into `read_args`; `true`: into `write_args`.
    #[prost(bool, tag = "1")]
    pub write: bool,
    /// The argument's index in its list (its `buf` is empty, its `size` the range's length).
    #[prost(uint32, tag = "2")]
    pub index: u32,
    /// Which of the frame's descriptors (in the order they were passed).
    #[prost(uint32, tag = "3")]
    pub fd: u32,
    #[prost(uint64, tag = "4")]
    pub offset: u64,
    #[prost(uint64, tag = "5")]
    pub len: u64,
}

/// `GenopShm` request.
#[derive(Clone, PartialEq, Message)]
pub struct ShmGenopRequest {
    #[prost(message, optional, tag = "1")]
    pub request: Option<genop::Request>,
    #[prost(message, repeated, tag = "2")]
    pub shm: Vec<ShmArg>,
    /// Descriptors passed with the frame.
    #[prost(uint32, tag = "3")]
    pub fds: u32,
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Lower-case hex of a digest (log lines, messages).
pub fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

impl EncodeSegments for CapabilitiesRequest {}
impl EncodeSegments for CapabilitiesResponse {}

impl EncodeSegments for RegisterRequest {
    fn encode_segments(&self, out: &mut Segments) {
        if let Some(r) = &self.request {
            prost::encoding::encode_key(1, prost::encoding::WireType::LengthDelimited, out.small());
            prost::encoding::encode_varint(r.encoded_len() as u64, out.small());
            r.encode_segments(out);
        }
        RegisterRequest {
            request: None,
            digests: self.digests.clone(),
        }
        .encode_raw(out.small());
    }
}

impl EncodeSegments for ShmGenopRequest {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_equal_prost() {
        let r = RegisterRequest {
            request: Some(resource::RegisterRequest {
                blobs: vec![resource::Blob {
                    type_: 1,
                    name: "m".into(),
                    data: Bytes::from(vec![9u8; 100_000]),
                    size: 100_000,
                }],
                resource_type: 2,
                session_id: 1,
                ..Default::default()
            }),
            digests: vec![Bytes::copy_from_slice(&sha256(&[9u8; 100_000]))],
        };
        let mut s = Segments::new();
        r.encode_segments(&mut s);
        let flat: Vec<u8> = s.finish().iter().flat_map(|b| b.to_vec()).collect();
        assert_eq!(flat, r.encode_to_vec());
    }

    #[test]
    fn digest() {
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
