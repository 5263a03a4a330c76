//! Zero-copy encoding and vectored writes of frames with large byte fields.
//!
//! prost encodes a message into one contiguous buffer, so a 64 MiB genop argument is copied once
//! into the request before it is written. [`Segments`] encodes the same bytes as a list of
//! [`Bytes`]: the small protobuf framing (keys, lengths, scalar fields) is accumulated in small
//! buffers, and every byte field larger than [`Segments::INLINE_MAX`] is referenced as its own
//! segment — the caller's `Bytes`, not a copy. [`write_all_vectored`] then hands the segments to
//! the kernel in one `writev` (or a few, for a socket that takes the data in pieces): header and
//! payload still leave in one system call for a small frame, and the argument data is copied only
//! by the kernel.
//!
//! [`EncodeSegments`] is implemented for every request and response message; the messages that
//! carry bulk data (genop arguments, resource blobs, tensors) reference it, the others encode into
//! the small buffer exactly as prost does. The bytes are identical to prost's encoding (tested
//! against `encode_to_vec`), so the wire format does not change.

use std::io::{self, IoSlice, Write};

use bytes::Bytes;
use prost::Message;
use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint};

use crate::frame::{FrameError, FrameHeader, FrameType, HEADER_LEN, MAX_PAYLOAD};
use crate::service::{Method, Service};
use crate::{genop, resource, tf, tflite, torch, ttrpc};

/// An encoded message (or frame) as consecutive byte segments.
#[derive(Debug, Default, Clone)]
pub struct Segments {
    done: Vec<Bytes>,
    cur: Vec<u8>,
    len: usize,
}

impl Segments {
    /// Byte fields up to this size are copied into the small buffer; larger ones are referenced.
    pub const INLINE_MAX: usize = 16 * 1024;

    /// An empty list.
    pub fn new() -> Segments {
        Segments::default()
    }

    /// The small buffer the next bytes go to (for `encode_raw` of small messages and fields).
    pub fn small(&mut self) -> &mut Vec<u8> {
        &mut self.cur
    }

    /// Appends a byte field's contents: copied when small, referenced when large.
    pub fn put_bytes(&mut self, b: &Bytes) {
        if b.len() <= Self::INLINE_MAX {
            self.cur.extend_from_slice(b);
        } else {
            self.flush();
            self.len += b.len();
            self.done.push(b.clone());
        }
    }

    fn flush(&mut self) {
        if !self.cur.is_empty() {
            let cur = std::mem::take(&mut self.cur);
            self.len += cur.len();
            self.done.push(Bytes::from(cur));
        }
    }

    /// Total length in bytes.
    pub fn len(&self) -> usize {
        self.len + self.cur.len()
    }

    /// Whether nothing was encoded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The segments, in order (no empty segment).
    pub fn finish(mut self) -> Vec<Bytes> {
        self.flush();
        self.done
    }
}

/// Encoding into [`Segments`]: byte-identical to [`Message::encode_raw`].
pub trait EncodeSegments: Message + Sized {
    /// Appends the encoding of `self` (without a length prefix).
    fn encode_segments(&self, out: &mut Segments) {
        self.encode_raw(out.small());
    }
}

/// Key and length prefix of a length-delimited field.
fn len_prefix(tag: u32, len: usize, out: &mut Segments) {
    encode_key(tag, WireType::LengthDelimited, out.small());
    encode_varint(len as u64, out.small());
}

/// A `bytes` field (omitted when empty, as proto3 does).
fn bytes_field(tag: u32, b: &Bytes, out: &mut Segments) {
    if !b.is_empty() {
        len_prefix(tag, b.len(), out);
        out.put_bytes(b);
    }
}

/// A message field (always present for repeated elements).
fn message_field<M: EncodeSegments>(tag: u32, m: &M, out: &mut Segments) {
    len_prefix(tag, m.encoded_len(), out);
    m.encode_segments(out);
}

impl EncodeSegments for genop::Arg {
    fn encode_segments(&self, out: &mut Segments) {
        // Field 1 (buf) comes first in prost's order; the rest encode as prost does with it empty.
        bytes_field(1, &self.buf, out);
        genop::Arg {
            buf: Bytes::new(),
            ..*self
        }
        .encode_raw(out.small());
    }
}

impl EncodeSegments for genop::Request {
    fn encode_segments(&self, out: &mut Segments) {
        genop::Request {
            session_id: self.session_id,
            ..Default::default()
        }
        .encode_raw(out.small());
        for a in &self.read_args {
            message_field(2, a, out);
        }
        for a in &self.write_args {
            message_field(3, a, out);
        }
    }
}

impl EncodeSegments for genop::Response {
    fn encode_segments(&self, out: &mut Segments) {
        for a in &self.write_args {
            message_field(1, a, out);
        }
    }
}

impl EncodeSegments for resource::Blob {
    fn encode_segments(&self, out: &mut Segments) {
        resource::Blob {
            type_: self.type_,
            name: self.name.clone(),
            ..Default::default()
        }
        .encode_raw(out.small());
        bytes_field(3, &self.data, out);
        resource::Blob {
            size: self.size,
            ..Default::default()
        }
        .encode_raw(out.small());
    }
}

impl EncodeSegments for resource::RegisterRequest {
    fn encode_segments(&self, out: &mut Segments) {
        resource::RegisterRequest {
            paths: self.paths.clone(),
            ..Default::default()
        }
        .encode_raw(out.small());
        for b in &self.blobs {
            message_field(2, b, out);
        }
        resource::RegisterRequest {
            resource_type: self.resource_type,
            resource_id: self.resource_id,
            session_id: self.session_id,
            ..Default::default()
        }
        .encode_raw(out.small());
    }
}

impl EncodeSegments for resource::SyncResponse {
    fn encode_segments(&self, out: &mut Segments) {
        for b in &self.blobs {
            message_field(1, b, out);
        }
    }
}

/// Tensors: `data` (field 1) referenced, the rest as prost encodes it.
macro_rules! tensor_segments {
    ($($t:ty),*) => {$(
        impl EncodeSegments for $t {
            fn encode_segments(&self, out: &mut Segments) {
                bytes_field(1, &self.data, out);
                let mut rest = self.clone();
                rest.data = Bytes::new();
                rest.encode_raw(out.small());
            }
        }
    )*};
}
tensor_segments!(tf::Tensor, tflite::Tensor, torch::Tensor);

/// Messages without bulk data of their own encode as prost does.
macro_rules! plain_segments {
    ($($t:ty),*) => {$( impl EncodeSegments for $t {} )*};
}
plain_segments!(
    crate::empty::Empty,
    crate::session::CreateRequest,
    crate::session::CreateResponse,
    crate::session::UpdateRequest,
    crate::session::DestroyRequest,
    resource::RegisterResponse,
    resource::UnregisterRequest,
    resource::SyncRequest,
    crate::image::Request,
    crate::image::Response,
    crate::profiling::Request,
    crate::profiling::Response,
    tf::ModelLoadRequest,
    tf::ModelLoadResponse,
    tf::ModelUnloadRequest,
    tf::ModelUnloadResponse,
    tf::ModelRunRequest,
    tf::ModelRunResponse,
    tflite::ModelLoadRequest,
    tflite::ModelUnloadRequest,
    tflite::ModelRunRequest,
    tflite::ModelRunResponse,
    torch::ModelLoadRequest,
    torch::ModelRunRequest,
    torch::ModelRunResponse,
    ttrpc::Request,
    ttrpc::Response
);

/// Payload length of the `ttrpc.Request` for `method(message)` on `service`.
pub fn request_len<M: Message>(service: &str, method: &str, message: &M) -> usize {
    let envelope = ttrpc::Request::stream_open(service, method).encoded_len();
    let len = message.encoded_len();
    if len == 0 {
        envelope
    } else {
        envelope + 1 + encoded_len_varint(len as u64) + len
    }
}

/// The wire bytes of a Request frame for `method(message)` as segments: header,
/// `ttrpc.Request{service, method, payload}` with the message's bulk fields referenced, not
/// copied. Byte-identical to encoding `ttrpc::Request::new(..)` after the header.
pub fn request_frame<M: EncodeSegments>(
    stream_id: u32,
    service: Service,
    method: Method,
    message: &M,
    flags: u8,
) -> Result<Vec<Bytes>, FrameError> {
    request_frame_named(stream_id, service.name(), method.name(), message, flags)
}

/// [`request_frame`] for any service and method name (extension methods).
pub fn request_frame_named<M: EncodeSegments>(
    stream_id: u32,
    service: &str,
    method: &str,
    message: &M,
    flags: u8,
) -> Result<Vec<Bytes>, FrameError> {
    request_frame_with(stream_id, service, method, message, flags, &[])
}

/// The encoded `metadata` field (5) of a `ttrpc.Request` holding `key: value`, to append to
/// request envelopes with [`request_frame_with`] (a client's token, say).
pub fn metadata_field(key: &str, value: &str) -> Vec<u8> {
    ttrpc::Request {
        metadata: vec![ttrpc::KeyValue {
            key: key.to_owned(),
            value: value.to_owned(),
        }],
        ..ttrpc::Request::default()
    }
    .encode_to_vec()
}

/// [`request_frame_named`] with `trailer` (encoded envelope fields, from [`metadata_field`])
/// after the payload field: the envelope then decodes with that metadata.
pub fn request_frame_with<M: EncodeSegments>(
    stream_id: u32,
    service: &str,
    method: &str,
    message: &M,
    flags: u8,
    trailer: &[u8],
) -> Result<Vec<Bytes>, FrameError> {
    let length = request_len(service, method, message) + trailer.len();
    if length > MAX_PAYLOAD as usize {
        return Err(FrameError::TooLarge {
            stream_id,
            length: length as u64,
            max: MAX_PAYLOAD,
        });
    }
    let header = FrameHeader {
        length: length as u32,
        stream_id,
        frame_type: FrameType::Request,
        flags,
    };
    let mut out = Segments::new();
    out.small().extend_from_slice(&header.to_bytes());
    ttrpc::Request::stream_open(service, method).encode_raw(out.small());
    let len = message.encoded_len();
    if len > 0 {
        len_prefix(3, len, &mut out);
        message.encode_segments(&mut out);
    }
    out.small().extend_from_slice(trailer);
    debug_assert_eq!(out.len(), HEADER_LEN + length);
    Ok(out.finish())
}

/// The wire bytes of a frame of `frame_type` whose payload is `message` (Data frames of a stream,
/// Response frames), as segments.
pub fn message_frame<M: EncodeSegments>(
    stream_id: u32,
    frame_type: FrameType,
    flags: u8,
    message: &M,
) -> Result<Vec<Bytes>, FrameError> {
    let length = message.encoded_len();
    if length > MAX_PAYLOAD as usize {
        return Err(FrameError::TooLarge {
            stream_id,
            length: length as u64,
            max: MAX_PAYLOAD,
        });
    }
    let header = FrameHeader {
        length: length as u32,
        stream_id,
        frame_type,
        flags,
    };
    let mut out = Segments::new();
    out.small().extend_from_slice(&header.to_bytes());
    message.encode_segments(&mut out);
    Ok(out.finish())
}

/// Most segments handed to one `writev` (Linux's `IOV_MAX` is 1024).
const MAX_IOV: usize = 1024;

/// Writes every segment, in order, with as few `writev` calls as the writer allows.
pub fn write_all_vectored<W: Write + ?Sized>(w: &mut W, segments: &[Bytes]) -> io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = segments
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| IoSlice::new(s))
        .collect();
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        let n = rest.len().min(MAX_IOV);
        match w.write_vectored(&rest[..n]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(written) => IoSlice::advance_slices(&mut rest, written),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes every segment on the unix socket `sock`, passing `fds` (`SCM_RIGHTS`) with the first
/// byte: one `sendmsg` carries the descriptors and as much of the data as the socket takes, the
/// rest follows as in [`write_all_vectored`]. The descriptors stay open on this side.
#[allow(unsafe_code)]
pub fn send_with_fds(
    sock: std::os::fd::BorrowedFd<'_>,
    segments: &[Bytes],
    fds: &[std::os::fd::BorrowedFd<'_>],
) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    if fds.is_empty() {
        return write_all_vectored(&mut Fd(sock), segments);
    }
    let slices: Vec<IoSlice<'_>> = segments
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| IoSlice::new(s))
        .collect();
    if slices.is_empty() || fds.len() > 253 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "descriptors need data to travel with (and at most 253 of them)",
        ));
    }
    let raw: Vec<libc::c_int> = fds.iter().map(|f| f.as_raw_fd()).collect();
    let payload = std::mem::size_of_val(&raw[..]);
    // SAFETY: CMSG_SPACE is a pure size computation.
    let space = unsafe { libc::CMSG_SPACE(payload as u32) } as usize;
    let mut control = vec![0u64; space.div_ceil(8)];
    let written = loop {
        // SAFETY: an all-zero msghdr is valid; it then points at `slices` (IoSlice has the
        // layout of iovec) and `control`, both alive for the call; the control buffer holds one
        // SCM_RIGHTS message of `raw`, written through the CMSG macros within its size.
        let n = unsafe {
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_iov = slices.as_ptr().cast_mut().cast();
            msg.msg_iovlen = slices.len().min(MAX_IOV) as _;
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = space as _;
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(payload as u32) as _;
            std::ptr::copy_nonoverlapping(raw.as_ptr().cast::<u8>(), libc::CMSG_DATA(c), payload);
            libc::sendmsg(sock.as_raw_fd(), &msg, libc::MSG_NOSIGNAL)
        };
        if n >= 0 {
            break n as usize;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    };
    // The rest, without descriptors.
    let mut rest = Vec::new();
    let mut skip = written;
    for s in segments.iter().filter(|s| !s.is_empty()) {
        if skip >= s.len() {
            skip -= s.len();
        } else {
            rest.push(s.slice(skip..));
            skip = 0;
        }
    }
    let mut sock = Fd(sock);
    write_all_vectored(&mut sock, &rest)
}

/// `Write` over a borrowed socket (`send` with `MSG_NOSIGNAL`).
struct Fd<'a>(std::os::fd::BorrowedFd<'a>);

impl Write for Fd<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    #[allow(unsafe_code)]
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        use std::os::fd::AsRawFd;
        // SAFETY: an all-zero msghdr is valid; it then points at `bufs` (iovec layout), alive
        // for the call.
        let n = unsafe {
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_iov = bufs.as_ptr().cast_mut().cast();
            msg.msg_iovlen = bufs.len().min(MAX_IOV) as _;
            libc::sendmsg(self.0.as_raw_fd(), &msg, libc::MSG_NOSIGNAL)
        };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A memfd for shared-memory arguments ([`crate::ext`]): `len` bytes, mapped read-write here,
/// sealed against shrinking (as the agent requires). Unmapped and closed on drop.
#[derive(Debug)]
pub struct SharedMem {
    fd: std::os::fd::OwnedFd,
    ptr: *mut u8,
    len: usize,
}

// SAFETY: plain shared memory owned by this value.
#[allow(unsafe_code)]
unsafe impl Send for SharedMem {}

impl SharedMem {
    /// A new memfd of `len` bytes (zeros), mapped.
    #[allow(unsafe_code)]
    pub fn new(len: usize) -> io::Result<SharedMem> {
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
        // SAFETY: plain memfd_create call with a NUL-terminated name; the result is checked.
        let raw = unsafe {
            libc::memfd_create(
                c"vaccel-shm".as_ptr(),
                libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a fresh descriptor nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: ftruncate, fcntl and mmap on the descriptor just created; results checked.
        unsafe {
            if libc::ftruncate(fd.as_raw_fd(), len as libc::off_t) < 0
                || libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, libc::F_SEAL_SHRINK) < 0
            {
                return Err(io::Error::last_os_error());
            }
            let ptr = libc::mmap(
                std::ptr::null_mut(),
                len.max(1),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            );
            if ptr == libc::MAP_FAILED {
                return Err(io::Error::last_os_error());
            }
            Ok(SharedMem {
                fd,
                ptr: ptr.cast(),
                len,
            })
        }
    }

    /// The descriptor, to pass with [`send_with_fds`].
    pub fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.fd.as_fd()
    }

    /// The memory.
    #[allow(unsafe_code)]
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: `len` bytes mapped read-write for the life of `self`; `&mut self` makes this
        // the only reference from this process (the agent writes only during a call the caller
        // waits for).
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }

    /// The memory, read-only.
    #[allow(unsafe_code)]
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: as above.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for SharedMem {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: the mapping this value made.
        unsafe { libc::munmap(self.ptr.cast(), self.len.max(1)) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vaccel_abi::ArgType;

    fn flat(s: &[Bytes]) -> Vec<u8> {
        s.iter().flat_map(|b| b.iter().copied()).collect()
    }

    fn genop_request() -> genop::Request {
        genop::Request {
            session_id: 7,
            read_args: vec![
                genop::Arg::new(ArgType::Uint8, vec![5u8]),
                genop::Arg::new(ArgType::Int32Array, vec![3u8; 100_000]),
                genop::Arg::new(ArgType::Buffer, Vec::new()),
            ],
            write_args: vec![
                genop::Arg {
                    parts: 3,
                    part_no: 2,
                    custom_type_id: 9,
                    ..genop::Arg::new(ArgType::Buffer, vec![1u8; 20_000])
                },
                genop::Arg::new(ArgType::Buffer, vec![0u8; 10]),
            ],
        }
    }

    #[test]
    fn segments_equal_prost() {
        let req = genop_request();
        let mut s = Segments::new();
        req.encode_segments(&mut s);
        let segs = s.finish();
        assert_eq!(flat(&segs), req.encode_to_vec());
        // The two large arguments are referenced, not copied.
        assert!(
            segs.iter()
                .any(|b| b.as_ptr() == req.read_args[1].buf.as_ptr())
        );
        assert!(
            segs.iter()
                .any(|b| b.as_ptr() == req.write_args[0].buf.as_ptr())
        );

        let reg = resource::RegisterRequest {
            paths: vec!["a".into(), "b".into()],
            blobs: vec![
                resource::Blob {
                    type_: 2,
                    name: "model.bin".into(),
                    data: Bytes::from(vec![4u8; 70_000]),
                    size: 70_000,
                },
                resource::Blob::default(),
            ],
            resource_type: 2,
            resource_id: 0,
            session_id: 3,
        };
        let mut s = Segments::new();
        reg.encode_segments(&mut s);
        assert_eq!(flat(&s.finish()), reg.encode_to_vec());

        let t = torch::ModelRunRequest {
            model_id: 1,
            session_id: 2,
            in_tensors: vec![torch::Tensor {
                data: Bytes::from(vec![1u8; 50_000]),
                dims: vec![1, 2],
                r#type: 3,
            }],
            ..Default::default()
        };
        let mut s = Segments::new();
        t.encode_segments(&mut s);
        assert_eq!(flat(&s.finish()), t.encode_to_vec());
    }

    #[test]
    fn request_frame_equals_envelope_encoding() {
        let req = genop_request();
        let segs = request_frame(5, Service::Sync, Method::Genop, &req, 0).unwrap();
        let want = crate::FrameCodec::default()
            .encode_message(
                5,
                FrameType::Request,
                0,
                &ttrpc::Request::new(crate::service::SYNC_SERVICE, "Genop", &req),
            )
            .unwrap();
        assert_eq!(flat(&segs), want);
        // An empty message: no payload field.
        let segs = request_frame(
            1,
            Service::Async,
            Method::CreateSession,
            &crate::session::CreateRequest { flags: 0 },
            0,
        )
        .unwrap();
        assert_eq!(segs.len(), 1);
        let want = crate::FrameCodec::default()
            .encode_message(
                1,
                FrameType::Request,
                0,
                &ttrpc::Request::new(
                    crate::service::ASYNC_SERVICE,
                    "CreateSession",
                    &crate::session::CreateRequest { flags: 0 },
                ),
            )
            .unwrap();
        assert_eq!(flat(&segs), want);
        let data = message_frame(3, FrameType::Data, 0, &req).unwrap();
        let want = crate::FrameCodec::default()
            .encode_message(3, FrameType::Data, 0, &req)
            .unwrap();
        assert_eq!(flat(&data), want);
    }

    /// Accepts at most `step` bytes per call, from at most two slices.
    struct Choppy {
        step: usize,
        calls: usize,
        data: Vec<u8>,
    }

    impl Write for Choppy {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.write_vectored(&[IoSlice::new(buf)])
        }
        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            self.calls += 1;
            let mut left = self.step;
            for b in bufs.iter().take(2) {
                let n = b.len().min(left);
                self.data.extend_from_slice(&b[..n]);
                left -= n;
                if n < b.len() {
                    break;
                }
            }
            Ok(self.step - left)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn vectored_writes_resume_mid_segment() {
        let segs: Vec<Bytes> = (0..2000u32)
            .map(|i| Bytes::from(vec![(i % 251) as u8; (i % 7) as usize]))
            .collect();
        let want = flat(&segs);
        let mut w = Choppy {
            step: 5,
            calls: 0,
            data: Vec::new(),
        };
        write_all_vectored(&mut w, &segs).unwrap();
        assert_eq!(w.data, want);
        let mut v = Vec::new();
        write_all_vectored(&mut v, &segs).unwrap();
        assert_eq!(v, want);
    }
}
