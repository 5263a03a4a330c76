//! ttrpc framing (spec §2.1, §2.4, §2.6).
//!
//! Every message on an RPC socket is a 10-byte big-endian header — payload `length` (u32),
//! `stream_id` (u32), `type` (u8), `flags` (u8) — followed by `length` payload bytes. Request and
//! Response frames carry an encoded [`ttrpc::Request`](crate::ttrpc::Request) /
//! [`ttrpc::Response`](crate::ttrpc::Response); Data frames (client streaming) carry the user
//! message itself.
//!
//! Two rules shape this module:
//!
//! - **A peer's claimed length is not trusted.** [`FrameCodec`] rejects a header whose length is
//!   over its maximum (1 GiB by default, the limit of the ttrpc fork the official pair uses) and,
//!   below that, grows the payload buffer geometrically as bytes actually arrive — a header that
//!   claims 1 GiB and then stops after 10 bytes costs 64 KiB, not 1 GiB.
//! - **One frame, one write.** The header and payload are written from one contiguous buffer with
//!   one `write_all`, so a unary call is not split into a 10-byte segment and a payload segment
//!   that Nagle's algorithm and delayed ACKs then hold back (spec §2.8, ≈ 88 ms per call upstream).
//!   [`FrameCodec::encode_message`] encodes the protobuf message straight into that buffer after
//!   the header, so there is no extra copy of the payload.
//!
//! Header-level errors ([`FrameError::TooLarge`], [`FrameError::UnknownType`]) are returned
//! before the payload is read, with the header; the stream is still in sync at the start of the
//! payload. A server that wants the fork's behaviour (read and discard the body, answer the stream
//! with [`ttrpc::Status::oversize`](crate::ttrpc::Status::oversize)) calls [`skip_payload`] and
//! carries on; one that prefers to close the connection just drops it.
//!
//! The blocking API (for the plugin, which runs inside the application's threads) and the tokio
//! API (feature `tokio`, for the agent) share the header code and the buffer-growth policy; only
//! the read and write calls differ.

use std::io::{self, Read, Write};

use bytes::Bytes;
use prost::Message;

/// Size of the frame header in bytes.
pub const HEADER_LEN: usize = 10;

/// Largest payload the official pair accepts: `1 << 30` bytes (the vaccel-rust ttrpc fork, §2.4).
pub const MAX_PAYLOAD: u32 = 1 << 30;

/// Payload limit of stock ttrpc peers (Go and Rust): 4 MiB.
pub const STOCK_TTRPC_MAX_PAYLOAD: u32 = 4 << 20;

/// Frame flag bits (§2.1).
pub mod flags {
    /// The sender will send no more data on this stream.
    pub const REMOTE_CLOSED: u8 = 0x01;
    /// The sender opens a stream (client streaming).
    pub const REMOTE_OPEN: u8 = 0x02;
    /// The frame carries no data message.
    pub const NO_DATA: u8 = 0x04;
    /// Flags of the Request frame that opens a client stream (`GenopStream`, §2.6).
    pub const STREAM_OPEN: u8 = REMOTE_OPEN | NO_DATA;
    /// Flags of the empty Data frame that closes a client stream (§2.6).
    pub const STREAM_CLOSE: u8 = REMOTE_CLOSED | NO_DATA;
}

/// Initial payload buffer capacity, and the first growth step.
const INITIAL_CAPACITY: usize = 64 * 1024;
/// Most bytes zero-initialised ahead of the data actually received.
const READ_CHUNK: usize = 1024 * 1024;
/// Zeros to initialise receive buffers from.
static ZEROS: [u8; 16 * 1024] = [0; 16 * 1024];

/// The frame `type` byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FrameType {
    /// Payload: `ttrpc.Request`.
    Request = 0x01,
    /// Payload: `ttrpc.Response`.
    Response = 0x02,
    /// Payload: a raw user message of a stream (`vaccel.genop.Request`).
    Data = 0x03,
}

impl FrameType {
    /// The frame type with this byte value, if it is one of the three.
    pub fn from_u8(value: u8) -> Option<FrameType> {
        match value {
            0x01 => Some(FrameType::Request),
            0x02 => Some(FrameType::Response),
            0x03 => Some(FrameType::Data),
            _ => None,
        }
    }
}

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Payload length in bytes, header excluded.
    pub length: u32,
    /// Request/response correlation id (odd for client-initiated streams).
    pub stream_id: u32,
    pub frame_type: FrameType,
    /// Bit set of [`flags`].
    pub flags: u8,
}

impl FrameHeader {
    /// The 10 wire bytes of this header.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..4].copy_from_slice(&self.length.to_be_bytes());
        out[4..8].copy_from_slice(&self.stream_id.to_be_bytes());
        out[8] = self.frame_type as u8;
        out[9] = self.flags;
        out
    }

    /// Parses 10 header bytes. Only the frame type is checked here; the length limit is the
    /// codec's ([`FrameCodec::decode_header`]).
    pub fn from_bytes(bytes: &[u8; HEADER_LEN]) -> Result<FrameHeader, FrameError> {
        let length = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let stream_id = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        let Some(frame_type) = FrameType::from_u8(bytes[8]) else {
            return Err(FrameError::UnknownType {
                frame_type: bytes[8],
                stream_id,
                length,
            });
        };
        Ok(FrameHeader {
            length,
            stream_id,
            frame_type,
            flags: bytes[9],
        })
    }
}

/// One frame: header fields and payload (its length is the header's `length`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub stream_id: u32,
    pub frame_type: FrameType,
    /// Bit set of [`flags`].
    pub flags: u8,
    pub payload: Bytes,
}

impl Frame {
    /// A frame carrying `payload`.
    pub fn new(
        stream_id: u32,
        frame_type: FrameType,
        flags: u8,
        payload: impl Into<Bytes>,
    ) -> Self {
        Frame {
            stream_id,
            frame_type,
            flags,
            payload: payload.into(),
        }
    }

    /// A frame whose payload is `message`, encoded.
    pub fn from_message<M: Message>(
        stream_id: u32,
        frame_type: FrameType,
        flags: u8,
        message: &M,
    ) -> Self {
        Frame::new(stream_id, frame_type, flags, message.encode_to_vec())
    }

    /// The empty Data frame that closes a client stream (`flags` REMOTE_CLOSED | NO_DATA, §2.6).
    pub fn stream_close(stream_id: u32) -> Self {
        Frame::new(
            stream_id,
            FrameType::Data,
            flags::STREAM_CLOSE,
            Bytes::new(),
        )
    }

    /// Whether all bits of `flag` are set.
    pub fn has_flag(&self, flag: u8) -> bool {
        self.flags & flag == flag
    }

    /// Decodes the payload as `M`. Decoding from the frame's `Bytes` makes the `Bytes` fields of
    /// `M` slices of the payload rather than copies.
    pub fn decode<M: Message + Default>(&self) -> Result<M, prost::DecodeError> {
        M::decode(self.payload.clone())
    }

    /// The header of this frame, if the payload length fits the `u32` length field.
    pub fn header(&self) -> Option<FrameHeader> {
        Some(FrameHeader {
            length: u32::try_from(self.payload.len()).ok()?,
            stream_id: self.stream_id,
            frame_type: self.frame_type,
            flags: self.flags,
        })
    }
}

/// Framing errors.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// The peer closed the connection inside a frame header.
    #[error("connection closed inside a frame header ({got} of 10 bytes)")]
    TruncatedHeader { got: usize },
    /// The peer closed the connection before sending the whole payload.
    #[error(
        "connection closed inside a frame payload ({got} of {expected} bytes, stream {stream_id})"
    )]
    TruncatedPayload {
        stream_id: u32,
        expected: u32,
        got: usize,
    },
    /// A frame's payload is over the codec's limit. The text is the one the official server
    /// answers with (§2.4, vector D9). On receive, the payload has not been read.
    #[error("message length {length} exceed maximum message size of {max}")]
    TooLarge {
        stream_id: u32,
        length: u64,
        max: u32,
    },
    /// The header's type byte is not Request, Response or Data. The payload has not been read.
    #[error("unknown frame type {frame_type:#04x} (stream {stream_id}, length {length})")]
    UnknownType {
        frame_type: u8,
        stream_id: u32,
        length: u32,
    },
}

impl FrameError {
    /// For header-level errors that left the stream in sync (the payload is still unread): the
    /// stream id and payload length to pass to [`skip_payload`] before reading the next frame.
    pub fn skippable(&self) -> Option<(u32, u32)> {
        match *self {
            FrameError::TooLarge {
                stream_id, length, ..
            } => u32::try_from(length).ok().map(|l| (stream_id, l)),
            FrameError::UnknownType {
                stream_id, length, ..
            } => Some((stream_id, length)),
            _ => None,
        }
    }
}

/// Reads and writes frames with a payload limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameCodec {
    max_payload: u32,
}

impl Default for FrameCodec {
    /// A codec with the official 1 GiB limit ([`MAX_PAYLOAD`]).
    fn default() -> Self {
        FrameCodec::new(MAX_PAYLOAD)
    }
}

impl FrameCodec {
    /// A codec that accepts and sends payloads of at most `max_payload` bytes.
    pub const fn new(max_payload: u32) -> Self {
        FrameCodec { max_payload }
    }

    /// The payload limit.
    pub fn max_payload(&self) -> u32 {
        self.max_payload
    }

    /// Parses a header and checks its length against the limit.
    pub fn decode_header(&self, bytes: &[u8; HEADER_LEN]) -> Result<FrameHeader, FrameError> {
        let header = FrameHeader::from_bytes(bytes)?;
        self.check_len(header.stream_id, header.length as usize)?;
        Ok(header)
    }

    fn check_len(&self, stream_id: u32, length: usize) -> Result<(), FrameError> {
        if length > self.max_payload as usize {
            return Err(FrameError::TooLarge {
                stream_id,
                length: length as u64,
                max: self.max_payload,
            });
        }
        Ok(())
    }

    /// The wire bytes of `frame`: header and payload in one buffer.
    pub fn encode(&self, frame: &Frame) -> Result<Vec<u8>, FrameError> {
        self.check_len(frame.stream_id, frame.payload.len())?;
        let header = FrameHeader {
            length: frame.payload.len() as u32,
            stream_id: frame.stream_id,
            frame_type: frame.frame_type,
            flags: frame.flags,
        };
        let mut out = Vec::with_capacity(HEADER_LEN + frame.payload.len());
        out.extend_from_slice(&header.to_bytes());
        out.extend_from_slice(&frame.payload);
        Ok(out)
    }

    /// The wire bytes of a frame whose payload is `message`, encoded directly after the header
    /// (no intermediate payload buffer).
    pub fn encode_message<M: Message>(
        &self,
        stream_id: u32,
        frame_type: FrameType,
        flags: u8,
        message: &M,
    ) -> Result<Vec<u8>, FrameError> {
        let length = message.encoded_len();
        self.check_len(stream_id, length)?;
        let header = FrameHeader {
            length: length as u32,
            stream_id,
            frame_type,
            flags,
        };
        let mut out = Vec::with_capacity(HEADER_LEN + length);
        out.extend_from_slice(&header.to_bytes());
        message.encode_raw(&mut out);
        debug_assert_eq!(out.len(), HEADER_LEN + length);
        Ok(out)
    }

    /// Reads one frame. `Ok(None)` is a clean end of stream (the peer closed the connection
    /// between frames).
    pub fn read_frame<R: Read + ?Sized>(&self, r: &mut R) -> Result<Option<Frame>, FrameError> {
        let mut hdr = [0u8; HEADER_LEN];
        let mut got = 0;
        while got < HEADER_LEN {
            match r.read(&mut hdr[got..]) {
                Ok(0) if got == 0 => return Ok(None),
                Ok(0) => return Err(FrameError::TruncatedHeader { got }),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        let header = self.decode_header(&hdr)?;
        let mut buf = PayloadBuf::new(header.length as usize);
        while !buf.is_complete() {
            match r.read(buf.unfilled()) {
                Ok(0) => return Err(buf.truncated(header.stream_id)),
                Ok(n) => buf.advance(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Some(buf.into_frame(&header)))
    }

    /// Writes `frame` with one `write_all` of one buffer, then flushes.
    pub fn write_frame<W: Write + ?Sized>(
        &self,
        w: &mut W,
        frame: &Frame,
    ) -> Result<(), FrameError> {
        let buf = self.encode(frame)?;
        w.write_all(&buf)?;
        w.flush()?;
        Ok(())
    }

    /// Encodes `message` into a frame and writes it with one `write_all`, then flushes.
    pub fn write_message<W: Write + ?Sized, M: Message>(
        &self,
        w: &mut W,
        stream_id: u32,
        frame_type: FrameType,
        flags: u8,
        message: &M,
    ) -> Result<(), FrameError> {
        let buf = self.encode_message(stream_id, frame_type, flags, message)?;
        w.write_all(&buf)?;
        w.flush()?;
        Ok(())
    }
}

/// Reads and discards `length` payload bytes (after a [`FrameError::skippable`] error), through a
/// small fixed buffer.
pub fn skip_payload<R: Read + ?Sized>(
    r: &mut R,
    stream_id: u32,
    length: u32,
) -> Result<(), FrameError> {
    let got = io::copy(&mut r.take(u64::from(length)), &mut io::sink())?;
    if got < u64::from(length) {
        return Err(FrameError::TruncatedPayload {
            stream_id,
            expected: length,
            got: got as usize,
        });
    }
    Ok(())
}

/// Buffers at least this large are backed by transparent huge pages where the kernel allows it.
pub const HUGE_PAGE_MIN: usize = 4 << 20;

/// A vector of `n` zero bytes from `alloc_zeroed` (calloc: fresh pages are not touched until
/// written), or `None` if the allocator refuses (instead of aborting the process).
///
/// From [`HUGE_PAGE_MIN`] bytes on, the buffer's 2 MiB-aligned interior is advised
/// `MADV_HUGEPAGE`: a large payload is received into fresh memory, and on these machines a 4 KiB
/// page fault costs about 3 µs — 50 ms for 64 MiB, more than the transfer itself — against a
/// few µs per 2 MiB huge page. Resident memory still follows the data (2 MiB at a time).
#[allow(unsafe_code)]
pub fn zeroed_vec(n: usize) -> Option<Vec<u8>> {
    if n == 0 {
        return Some(Vec::new());
    }
    let layout = std::alloc::Layout::array::<u8>(n).ok()?;
    // SAFETY: `layout` has a non-zero size.
    let p = unsafe { std::alloc::alloc_zeroed(layout) };
    if p.is_null() {
        return None;
    }
    if n >= HUGE_PAGE_MIN {
        const HUGE: usize = 2 << 20;
        let start = (p as usize).next_multiple_of(HUGE);
        let end = (p as usize + n) & !(HUGE - 1);
        if end > start {
            // SAFETY: advice only, on whole pages inside the allocation just made; it changes
            // no contents (the pages are untouched zero pages either way).
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
        }
    }
    // SAFETY: `p` comes from the global allocator with the layout of `[u8; n]` (alignment 1,
    // size and capacity `n`), and its `n` bytes are initialised (zeros).
    Some(unsafe { Vec::from_raw_parts(p, n, n) })
}

/// An empty vector with room for `n` bytes (untouched memory: resident memory follows what is
/// written), its large interior advised `MADV_HUGEPAGE` as in [`zeroed_vec`]; an empty vector
/// without reserved room if the allocator refuses.
#[allow(unsafe_code)]
pub fn reserved_vec(n: usize) -> Vec<u8> {
    let mut v = Vec::new();
    if v.try_reserve_exact(n).is_err() {
        return Vec::new();
    }
    if n >= HUGE_PAGE_MIN {
        const HUGE: usize = 2 << 20;
        let p = v.as_mut_ptr() as usize;
        let start = p.next_multiple_of(HUGE);
        let end = (p + n) & !(HUGE - 1);
        if end > start {
            // SAFETY: advice only, on whole pages inside the vector's unused capacity.
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
        }
    }
    v
}

/// A payload being received: capacity grows with the data (doubling from 64 KiB, capped at the
/// claimed length), and at most [`READ_CHUNK`] bytes are zero-initialised ahead of the data.
struct PayloadBuf {
    buf: Vec<u8>,
    filled: usize,
    total: usize,
}

impl PayloadBuf {
    fn new(total: usize) -> Self {
        // Up to the official frame limit, a large payload gets its whole buffer at once, from
        // zeroed memory (fresh pages the kernel maps on first write): the data is then received
        // straight into place, with no reallocation copies and no zero-filling pass, while the
        // resident memory still follows the bytes that actually arrive. Beyond the limit (codecs
        // that accept any `u32` length), or if the address space cannot be had, the buffer grows
        // with the data instead.
        if total > INITIAL_CAPACITY
            && total <= MAX_PAYLOAD as usize
            && let Some(buf) = zeroed_vec(total)
        {
            return PayloadBuf {
                buf,
                filled: 0,
                total,
            };
        }
        PayloadBuf {
            buf: Vec::with_capacity(total.min(INITIAL_CAPACITY)),
            filled: 0,
            total,
        }
    }

    /// Appends bytes already received (at most what is missing); returns how many were taken.
    fn push(&mut self, mut src: &[u8]) -> usize {
        let mut took = 0;
        while !src.is_empty() && !self.is_complete() {
            let dst = self.unfilled();
            let n = dst.len().min(src.len());
            dst[..n].copy_from_slice(&src[..n]);
            self.advance(n);
            src = &src[n..];
            took += n;
        }
        took
    }

    fn is_complete(&self) -> bool {
        self.filled == self.total
    }

    /// The part of the buffer the next read goes into (never empty while incomplete).
    fn unfilled(&mut self) -> &mut [u8] {
        if self.filled == self.buf.len() {
            if self.buf.len() == self.buf.capacity() {
                let target = (self.buf.capacity() * 2)
                    .max(INITIAL_CAPACITY)
                    .min(self.total);
                self.buf.reserve_exact(target - self.buf.len());
            }
            let new_len = self
                .buf
                .capacity()
                .min(self.total)
                .min(self.buf.len() + READ_CHUNK);
            // Zero-fill by copying from a static block: `resize` writes byte by byte in
            // unoptimised builds (about a second per 256 MiB in debug test runs), a slice copy
            // is a memcpy in every build.
            while self.buf.len() < new_len {
                let n = (new_len - self.buf.len()).min(ZEROS.len());
                self.buf.extend_from_slice(&ZEROS[..n]);
            }
        }
        &mut self.buf[self.filled..]
    }

    fn advance(&mut self, n: usize) {
        self.filled += n;
        debug_assert!(self.filled <= self.buf.len());
    }

    fn truncated(&self, stream_id: u32) -> FrameError {
        FrameError::TruncatedPayload {
            stream_id,
            expected: self.total as u32,
            got: self.filled,
        }
    }

    fn into_frame(mut self, header: &FrameHeader) -> Frame {
        self.buf.truncate(self.filled);
        Frame {
            stream_id: header.stream_id,
            frame_type: header.frame_type,
            flags: header.flags,
            payload: Bytes::from(self.buf),
        }
    }
}

/// Size of a [`FrameReader`]'s buffer.
pub const READ_BUF: usize = 64 * 1024;

/// Reads frames from a byte stream with as few `read` calls as possible.
///
/// [`FrameCodec::read_frame`] reads a header and then its payload: two system calls per frame at
/// least. A `FrameReader` keeps a [`READ_BUF`]-byte buffer instead: one `read` usually brings a
/// whole small frame (or several pipelined ones), whose payload is then copied out into a buffer
/// of its own (so that it can be handed on and, for genop, written in place). A payload larger
/// than the buffer is received **directly into its final buffer** with reads as large as the
/// socket allows, after the few bytes that arrived with the header: one copy, by the kernel.
///
/// Header-level errors leave the reader in sync at the start of the payload, as with
/// [`FrameCodec`]; [`FrameReader::skip_payload`] discards it (bytes already buffered first).
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: R,
    codec: FrameCodec,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// A large payload buffer handed back with [`FrameReader::recycle`], for the next large frame.
    spare: Option<Vec<u8>>,
    /// Small frames read since the spare was handed back.
    small_run: u32,
}

/// Small frames after which a [`FrameReader`] drops its spare buffer (the bulk phase is over).
const SPARE_KEEP: u32 = 64;

impl<R: Read> FrameReader<R> {
    /// A reader over `inner` with `codec`'s payload limit.
    pub fn new(inner: R, codec: FrameCodec) -> Self {
        FrameReader {
            inner,
            codec,
            buf: vec![0u8; READ_BUF].into_boxed_slice(),
            start: 0,
            end: 0,
            spare: None,
            small_run: 0,
        }
    }

    /// Hands back the buffer of a large payload once nothing refers to it any more (see
    /// [`Bytes::try_into_mut`]), to receive the next large frame into. Memory that was just
    /// received into is mapped and hot; fresh memory costs a page fault and zeroing per page
    /// (4 KiB pages cost about 3 µs each on these machines). One buffer is kept, the largest;
    /// it is dropped after 64 small frames in a row, and when a large frame does not
    /// fit it (more than it holds, or under a quarter of it).
    pub fn recycle(&mut self, buf: Vec<u8>) {
        if buf.len() < HUGE_PAGE_MIN {
            return;
        }
        if self.spare.as_ref().is_none_or(|s| s.len() < buf.len()) {
            self.spare = Some(buf);
            self.small_run = 0;
        }
    }

    /// The underlying stream.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The underlying stream, mutably (reading from it directly desynchronises the reader).
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Bytes received and not yet returned.
    pub fn buffered(&self) -> usize {
        self.end - self.start
    }

    /// One `read` into the free end of the buffer (moving buffered bytes to the front first if
    /// less than `want` bytes of room are left). Returns the bytes read (0: end of stream).
    fn fill(&mut self, want: usize) -> io::Result<usize> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.buf.len() - self.start < want {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads one frame. `Ok(None)` is a clean end of stream (the peer closed the connection
    /// between frames).
    pub fn read_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        while self.buffered() < HEADER_LEN {
            if self.fill(HEADER_LEN)? == 0 {
                return match self.buffered() {
                    0 => Ok(None),
                    got => Err(FrameError::TruncatedHeader { got }),
                };
            }
        }
        let mut hdr = [0u8; HEADER_LEN];
        hdr.copy_from_slice(&self.buf[self.start..self.start + HEADER_LEN]);
        self.start += HEADER_LEN;
        let header = self.codec.decode_header(&hdr)?;
        let len = header.length as usize;
        if len <= self.buf.len() {
            if self.spare.is_some() {
                self.small_run += 1;
                if self.small_run >= SPARE_KEEP {
                    self.spare = None;
                }
            }
            // A small frame: complete it in the buffer, then copy it out.
            while self.buffered() < len {
                if self.fill(len)? == 0 {
                    return Err(FrameError::TruncatedPayload {
                        stream_id: header.stream_id,
                        expected: header.length,
                        got: self.buffered(),
                    });
                }
            }
            let payload = Bytes::copy_from_slice(&self.buf[self.start..self.start + len]);
            self.start += len;
            return Ok(Some(Frame {
                stream_id: header.stream_id,
                frame_type: header.frame_type,
                flags: header.flags,
                payload,
            }));
        }
        // A large frame: what is buffered, then the rest straight into the payload buffer.
        let mut payload = match self.spare.take() {
            // A spare at most four times too large: its old contents are overwritten.
            Some(mut spare) if spare.len() >= len && spare.len() / 4 <= len => {
                spare.truncate(len);
                PayloadBuf {
                    buf: spare,
                    filled: 0,
                    total: len,
                }
            }
            // Not a fit: freed before the new buffer is allocated (never two held at once).
            spare => {
                drop(spare);
                PayloadBuf::new(len)
            }
        };
        let took = payload.push(&self.buf[self.start..self.end]);
        self.start += took;
        while !payload.is_complete() {
            match self.inner.read(payload.unfilled()) {
                Ok(0) => return Err(payload.truncated(header.stream_id)),
                Ok(n) => payload.advance(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Some(payload.into_frame(&header)))
    }

    /// Reads and discards `length` payload bytes after a [`FrameError::skippable`] error.
    pub fn skip_payload(&mut self, stream_id: u32, length: u32) -> Result<(), FrameError> {
        let from_buf = self.buffered().min(length as usize);
        self.start += from_buf;
        let rest = length - from_buf as u32;
        skip_payload(&mut self.inner, stream_id, rest).map_err(|e| match e {
            FrameError::TruncatedPayload { got, .. } => FrameError::TruncatedPayload {
                stream_id,
                expected: length,
                got: got + from_buf,
            },
            e => e,
        })
    }
}

#[cfg(feature = "tokio")]
pub use async_io::skip_payload_async;

/// The tokio flavour of the codec: the same header code and buffer policy over `AsyncRead` /
/// `AsyncWrite`.
#[cfg(feature = "tokio")]
mod async_io {
    use super::*;
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

    impl FrameCodec {
        /// [`FrameCodec::read_frame`] for tokio readers.
        pub async fn read_frame_async<R: AsyncRead + Unpin + ?Sized>(
            &self,
            r: &mut R,
        ) -> Result<Option<Frame>, FrameError> {
            let mut hdr = [0u8; HEADER_LEN];
            let mut got = 0;
            while got < HEADER_LEN {
                match r.read(&mut hdr[got..]).await {
                    Ok(0) if got == 0 => return Ok(None),
                    Ok(0) => return Err(FrameError::TruncatedHeader { got }),
                    Ok(n) => got += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e.into()),
                }
            }
            let header = self.decode_header(&hdr)?;
            let mut buf = PayloadBuf::new(header.length as usize);
            while !buf.is_complete() {
                match r.read(buf.unfilled()).await {
                    Ok(0) => return Err(buf.truncated(header.stream_id)),
                    Ok(n) => buf.advance(n),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(Some(buf.into_frame(&header)))
        }

        /// [`FrameCodec::write_frame`] for tokio writers.
        pub async fn write_frame_async<W: AsyncWrite + Unpin + ?Sized>(
            &self,
            w: &mut W,
            frame: &Frame,
        ) -> Result<(), FrameError> {
            let buf = self.encode(frame)?;
            w.write_all(&buf).await?;
            w.flush().await?;
            Ok(())
        }

        /// [`FrameCodec::write_message`] for tokio writers.
        pub async fn write_message_async<W: AsyncWrite + Unpin + ?Sized, M: Message>(
            &self,
            w: &mut W,
            stream_id: u32,
            frame_type: FrameType,
            flags: u8,
            message: &M,
        ) -> Result<(), FrameError> {
            let buf = self.encode_message(stream_id, frame_type, flags, message)?;
            w.write_all(&buf).await?;
            w.flush().await?;
            Ok(())
        }
    }

    /// [`skip_payload`] for tokio readers.
    pub async fn skip_payload_async<R: AsyncRead + Unpin + ?Sized>(
        r: &mut R,
        stream_id: u32,
        length: u32,
    ) -> Result<(), FrameError> {
        let got = tokio::io::copy(&mut r.take(u64::from(length)), &mut tokio::io::sink()).await?;
        if got < u64::from(length) {
            return Err(FrameError::TruncatedPayload {
                stream_id,
                expected: length,
                got: got as usize,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(length: u32, stream_id: u32, ty: u8, fl: u8) -> Vec<u8> {
        let mut v = length.to_be_bytes().to_vec();
        v.extend_from_slice(&stream_id.to_be_bytes());
        v.push(ty);
        v.push(fl);
        v
    }

    /// A reader that hands out at most `step` bytes per call and counts what was read.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
        read: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.step).min(self.data.len() - self.read);
            buf[..n].copy_from_slice(&self.data[self.read..self.read + n]);
            self.read += n;
            Ok(n)
        }
    }

    #[test]
    fn header_round_trip() {
        let h = FrameHeader {
            length: 0x2f,
            stream_id: 1,
            frame_type: FrameType::Request,
            flags: 0,
        };
        assert_eq!(h.to_bytes(), [0, 0, 0, 0x2f, 0, 0, 0, 1, 1, 0]);
        assert_eq!(FrameHeader::from_bytes(&h.to_bytes()).unwrap(), h);
        let open = FrameHeader {
            length: 0x35,
            stream_id: 3,
            frame_type: FrameType::Request,
            flags: flags::STREAM_OPEN,
        };
        assert_eq!(open.to_bytes()[8..], [0x01, 0x06]);
        assert_eq!(Frame::stream_close(3).flags, 0x05);
    }

    #[test]
    fn frames_round_trip_in_one_buffer() {
        let codec = FrameCodec::default();
        let f1 = Frame::new(1, FrameType::Request, 0, vec![1u8, 2, 3]);
        let f2 = Frame::stream_close(3);
        let f3 = Frame::new(5, FrameType::Response, 0, vec![0xaa; 200_000]);
        let mut wire = Vec::new();
        for f in [&f1, &f2, &f3] {
            codec.write_frame(&mut wire, f).unwrap();
        }
        assert_eq!(wire.len(), 3 * HEADER_LEN + 3 + 200_000);
        let mut r = Trickle {
            data: &wire,
            step: 7,
            read: 0,
        };
        for f in [&f1, &f2, &f3] {
            assert_eq!(codec.read_frame(&mut r).unwrap().as_ref(), Some(f));
        }
        assert!(codec.read_frame(&mut r).unwrap().is_none());
    }

    /// Counts `write` calls, to check that a frame is one write.
    struct CountingWriter {
        writes: usize,
        data: Vec<u8>,
    }

    impl Write for CountingWriter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.writes += 1;
            self.data.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn one_write_per_frame() {
        let codec = FrameCodec::default();
        let mut w = CountingWriter {
            writes: 0,
            data: Vec::new(),
        };
        let req = crate::ttrpc::Request::new(
            crate::service::SYNC_SERVICE,
            "CreateSession",
            &crate::session::CreateRequest { flags: 3 },
        );
        codec
            .write_message(&mut w, 3, FrameType::Request, 0, &req)
            .unwrap();
        assert_eq!(w.writes, 1);
        assert_eq!(&w.data[..HEADER_LEN], &hdr(0x33, 3, 1, 0)[..]);
        codec
            .write_frame(&mut w, &Frame::from_message(5, FrameType::Request, 0, &req))
            .unwrap();
        assert_eq!(w.writes, 2);
    }

    #[test]
    fn frame_reader_matches_codec() {
        let codec = FrameCodec::default();
        let frames = [
            Frame::new(1, FrameType::Request, 0, vec![1u8, 2, 3]),
            Frame::stream_close(3),
            Frame::new(5, FrameType::Response, 0, vec![0xaa; 200_000]),
            Frame::new(7, FrameType::Data, 0, vec![0x55; READ_BUF - 3]),
            Frame::new(9, FrameType::Data, 0, vec![0x66; READ_BUF]),
            Frame::new(11, FrameType::Data, 0, vec![0x77; READ_BUF + 1]),
            Frame::new(13, FrameType::Request, 0, Vec::<u8>::new()),
        ];
        let mut wire = Vec::new();
        for f in &frames {
            codec.write_frame(&mut wire, f).unwrap();
        }
        for step in [1usize, 7, 4096, 70_000, usize::MAX] {
            let mut r = FrameReader::new(
                Trickle {
                    data: &wire,
                    step,
                    read: 0,
                },
                codec,
            );
            for f in &frames {
                assert_eq!(r.read_frame().unwrap().as_ref(), Some(f), "step {step}");
            }
            assert!(r.read_frame().unwrap().is_none());
        }
        // Truncations.
        let mut r = FrameReader::new(&wire[..5], codec);
        assert!(matches!(
            r.read_frame(),
            Err(FrameError::TruncatedHeader { got: 5 })
        ));
        let cut = HEADER_LEN + 3 + HEADER_LEN + HEADER_LEN + 1000;
        let mut r = FrameReader::new(&wire[..cut], codec);
        r.read_frame().unwrap();
        r.read_frame().unwrap();
        assert!(matches!(
            r.read_frame(),
            Err(FrameError::TruncatedPayload {
                stream_id: 5,
                expected: 200_000,
                got: 1000
            })
        ));
    }

    #[test]
    fn frame_reader_skips_buffered_and_unbuffered_payloads() {
        let codec = FrameCodec::new(100);
        let mut wire = hdr(3, 11, 0x07, 0);
        wire.extend_from_slice(b"abc");
        wire.extend_from_slice(&hdr(150_000, 13, 1, 0));
        wire.extend_from_slice(&vec![9u8; 150_000]);
        FrameCodec::default()
            .write_frame(&mut wire, &Frame::new(15, FrameType::Data, 0, &b"xy"[..]))
            .unwrap();
        let mut r = FrameReader::new(&wire[..], codec);
        let e = r.read_frame().unwrap_err();
        let (sid, len) = e.skippable().unwrap();
        r.skip_payload(sid, len).unwrap();
        let e = r.read_frame().unwrap_err();
        assert!(matches!(e, FrameError::TooLarge { stream_id: 13, .. }));
        let (sid, len) = e.skippable().unwrap();
        r.skip_payload(sid, len).unwrap();
        let f = r.read_frame().unwrap().unwrap();
        assert_eq!((f.stream_id, &f.payload[..]), (15, &b"xy"[..]));
        let short = hdr(150_000, 1, 1, 0);
        let mut r = FrameReader::new(&short[..], codec);
        let (sid, len) = r.read_frame().unwrap_err().skippable().unwrap();
        assert!(matches!(
            r.skip_payload(sid, len),
            Err(FrameError::TruncatedPayload { got: 0, .. })
        ));
    }

    #[test]
    fn recycled_buffer_receives_the_next_large_frame() {
        let codec = FrameCodec::default();
        let big = HUGE_PAGE_MIN + 5;
        let mut wire = Vec::new();
        for (sid, len) in [(1u32, big), (3, big - 7), (5, big * 5), (7, big)] {
            codec
                .write_frame(
                    &mut wire,
                    &Frame::new(sid, FrameType::Request, 0, vec![sid as u8; len]),
                )
                .unwrap();
        }
        let mut r = FrameReader::new(&wire[..], codec);
        let f1 = r.read_frame().unwrap().unwrap();
        let p1 = f1.payload.as_ptr();
        let v = f1.payload.try_into_mut().unwrap();
        r.recycle(Vec::from(v));
        // Smaller, fits: same memory, contents overwritten.
        let f2 = r.read_frame().unwrap().unwrap();
        assert_eq!(f2.payload.as_ptr(), p1);
        assert_eq!((f2.stream_id, f2.payload.len()), (3, big - 7));
        assert!(f2.payload.iter().all(|&b| b == 3));
        r.recycle(Vec::from(f2.payload.try_into_mut().unwrap()));
        // Larger: the spare is dropped, a fresh buffer used.
        let f3 = r.read_frame().unwrap().unwrap();
        assert!(f3.payload.iter().all(|&b| b == 5));
        assert!(r.spare.is_none());
        let f4 = r.read_frame().unwrap().unwrap();
        assert!(f4.payload.iter().all(|&b| b == 7));
        // Small buffers are not kept.
        r.recycle(vec![0u8; 100]);
        assert!(r.spare.is_none());
    }

    /// Resident memory of this process, in KiB.
    fn rss_kib() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap()
    }

    #[test]
    fn claimed_gib_costs_address_space_not_memory() {
        // A header claiming the whole 1 GiB limit, then 100 bytes: the buffer is reserved but
        // its pages are not touched, so resident memory does not follow the claim.
        let before = rss_kib();
        let mut wire = hdr(MAX_PAYLOAD, 1, 3, 0);
        wire.extend_from_slice(&[7u8; 100]);
        let e = FrameReader::new(&wire[..], FrameCodec::default())
            .read_frame()
            .unwrap_err();
        assert!(matches!(e, FrameError::TruncatedPayload { got: 100, .. }));
        let mut buf = PayloadBuf::new(MAX_PAYLOAD as usize);
        buf.advance(100);
        let grown = rss_kib().saturating_sub(before);
        assert!(grown < 64 * 1024, "{grown} KiB");
        drop(buf);
    }

    #[test]
    fn empty_input_is_clean_eof() {
        let mut r: &[u8] = &[];
        assert!(FrameCodec::default().read_frame(&mut r).unwrap().is_none());
    }

    #[test]
    fn truncated_header() {
        let wire = hdr(4, 1, 1, 0);
        let mut r = &wire[..5];
        let e = FrameCodec::default().read_frame(&mut r).unwrap_err();
        assert!(matches!(e, FrameError::TruncatedHeader { got: 5 }), "{e}");
    }

    #[test]
    fn length_larger_than_data() {
        let mut wire = hdr(100, 7, 2, 0);
        wire.extend_from_slice(&[0u8; 40]);
        let e = FrameCodec::default()
            .read_frame(&mut &wire[..])
            .unwrap_err();
        assert!(
            matches!(
                e,
                FrameError::TruncatedPayload {
                    stream_id: 7,
                    expected: 100,
                    got: 40
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn four_gib_claim_is_rejected_before_reading() {
        let mut wire = hdr(u32::MAX, 9, 1, 0);
        wire.extend_from_slice(b"rest");
        let mut r = Trickle {
            data: &wire,
            step: usize::MAX,
            read: 0,
        };
        let e = FrameCodec::default().read_frame(&mut r).unwrap_err();
        assert_eq!(
            e.to_string(),
            "message length 4294967295 exceed maximum message size of 1073741824"
        );
        assert_eq!(e.skippable(), Some((9, u32::MAX)));
        // Only the header was consumed.
        assert_eq!(r.read, HEADER_LEN);
        // The oversize status of vector D9.
        let e = FrameCodec::default()
            .decode_header(&hdr(MAX_PAYLOAD + 1, 1, 1, 0).try_into().unwrap())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "message length 1073741825 exceed maximum message size of 1073741824"
        );
        // Exactly the limit is fine.
        assert!(
            FrameCodec::default()
                .decode_header(&hdr(MAX_PAYLOAD, 1, 1, 0).try_into().unwrap())
                .is_ok()
        );
    }

    #[test]
    fn claimed_length_is_not_allocated_up_front() {
        // A codec that accepts the full u32 range, a header claiming 4 GiB - 1 and 100 bytes.
        let codec = FrameCodec::new(u32::MAX);
        let mut wire = hdr(u32::MAX, 1, 3, 0);
        wire.extend_from_slice(&[7u8; 100]);
        let e = codec.read_frame(&mut &wire[..]).unwrap_err();
        assert!(matches!(e, FrameError::TruncatedPayload { got: 100, .. }));
        // The growth policy: capacity follows the data, never the claim.
        let mut buf = PayloadBuf::new(u32::MAX as usize);
        let n = buf.unfilled().len();
        assert!(n <= INITIAL_CAPACITY, "{n}");
        assert!(buf.buf.capacity() <= INITIAL_CAPACITY);
        buf.advance(100);
        assert!(buf.buf.capacity() <= INITIAL_CAPACITY);
        // Feeding 1 MiB grows to at most twice what arrived.
        let mut fed = 100;
        while fed < READ_CHUNK {
            let n = buf.unfilled().len().min(READ_CHUNK - fed);
            buf.advance(n);
            fed += n;
        }
        assert!(
            buf.buf.capacity() <= 2 * READ_CHUNK,
            "{}",
            buf.buf.capacity()
        );
        assert!(buf.buf.len() <= fed + READ_CHUNK);
    }

    #[test]
    fn payload_buffer_ends_at_exact_length() {
        for total in [0usize, 1, 65_535, 65_536, 65_537, 3 * 1024 * 1024 + 5] {
            let mut buf = PayloadBuf::new(total);
            while !buf.is_complete() {
                let n = buf.unfilled().len();
                assert!(n > 0);
                buf.advance(n.min(1000));
            }
            assert!(buf.buf.capacity() >= total);
            assert!(buf.buf.capacity() <= total.max(1) * 2);
        }
    }

    #[test]
    fn unknown_frame_type_keeps_the_stream_in_sync() {
        let codec = FrameCodec::default();
        let mut wire = hdr(3, 11, 0x07, 0);
        wire.extend_from_slice(b"abc");
        codec
            .write_frame(&mut wire, &Frame::new(13, FrameType::Data, 0, &b"xy"[..]))
            .unwrap();
        let mut r = &wire[..];
        let e = codec.read_frame(&mut r).unwrap_err();
        assert!(
            matches!(
                e,
                FrameError::UnknownType {
                    frame_type: 7,
                    stream_id: 11,
                    length: 3
                }
            ),
            "{e}"
        );
        let (sid, len) = e.skippable().unwrap();
        skip_payload(&mut r, sid, len).unwrap();
        let f = codec.read_frame(&mut r).unwrap().unwrap();
        assert_eq!((f.stream_id, &f.payload[..]), (13, &b"xy"[..]));
        // Type 0 is not a frame type either.
        assert!(FrameHeader::from_bytes(&[0; HEADER_LEN]).is_err());
    }

    #[test]
    fn skip_of_truncated_payload_errors() {
        let mut r: &[u8] = &[1, 2, 3];
        assert!(matches!(
            skip_payload(&mut r, 1, 10),
            Err(FrameError::TruncatedPayload { got: 3, .. })
        ));
    }

    #[test]
    fn oversize_send_fails_locally() {
        let codec = FrameCodec::new(16);
        let f = Frame::new(1, FrameType::Request, 0, vec![0u8; 17]);
        let mut out = Vec::new();
        assert!(matches!(
            codec.write_frame(&mut out, &f),
            Err(FrameError::TooLarge {
                length: 17,
                max: 16,
                ..
            })
        ));
        assert!(out.is_empty());
        let msg = crate::image::Request {
            session_id: 1,
            image: Bytes::from(vec![0u8; 32]),
        };
        assert!(
            codec
                .encode_message(1, FrameType::Request, 0, &msg)
                .is_err()
        );
    }

    #[test]
    fn garbage_payload_does_not_decode() {
        let f = Frame::new(1, FrameType::Request, 0, vec![0xffu8, 0xff, 0xff]);
        assert!(f.decode::<crate::ttrpc::Request>().is_err());
        // A length-delimited field that claims more bytes than there are.
        let f = Frame::new(1, FrameType::Response, 0, vec![0x12u8, 0x7f, 0x00]);
        assert!(f.decode::<crate::ttrpc::Response>().is_err());
        // Wire type 7 does not exist.
        let f = Frame::new(1, FrameType::Response, 0, vec![0x0fu8]);
        assert!(f.decode::<crate::ttrpc::Response>().is_err());
    }

    #[cfg(feature = "tokio")]
    #[test]
    fn tokio_codec_matches_blocking_codec() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let codec = FrameCodec::default();
            let frames = [
                Frame::new(1, FrameType::Request, 0, vec![9u8; 70_000]),
                Frame::stream_close(3),
            ];
            let mut wire = Vec::new();
            for f in &frames {
                codec.write_frame_async(&mut wire, f).await.unwrap();
            }
            let mut blocking = Vec::new();
            for f in &frames {
                codec.write_frame(&mut blocking, f).unwrap();
            }
            assert_eq!(wire, blocking);
            let req = crate::ttrpc::Request::new(
                crate::service::ASYNC_SERVICE,
                "CreateSession",
                &crate::session::CreateRequest { flags: 0 },
            );
            codec
                .write_message_async(&mut wire, 5, FrameType::Request, 0, &req)
                .await
                .unwrap();
            // Unknown type, skipped.
            wire.extend_from_slice(&hdr(2, 7, 9, 0));
            wire.extend_from_slice(b"zz");
            wire.extend_from_slice(&hdr(u32::MAX, 9, 1, 0));

            let (mut client, mut server) = tokio::io::duplex(1024);
            let writer = tokio::spawn(async move {
                use tokio::io::AsyncWriteExt;
                client.write_all(&wire).await.unwrap();
            });
            {
                for f in &frames {
                    let got = codec.read_frame_async(&mut server).await.unwrap();
                    assert_eq!(got.as_ref(), Some(f));
                }
                let f = codec.read_frame_async(&mut server).await.unwrap().unwrap();
                assert_eq!(f.decode::<crate::ttrpc::Request>().unwrap(), req);
                let e = codec.read_frame_async(&mut server).await.unwrap_err();
                let (sid, len) = e.skippable().unwrap();
                skip_payload_async(&mut server, sid, len).await.unwrap();
                let e = codec.read_frame_async(&mut server).await.unwrap_err();
                assert!(matches!(e, FrameError::TooLarge { stream_id: 9, .. }));
                assert!(codec.read_frame_async(&mut server).await.unwrap().is_none());
                let mut short: &[u8] = &hdr(5, 1, 1, 0)[..4];
                assert!(matches!(
                    codec.read_frame_async(&mut short).await,
                    Err(FrameError::TruncatedHeader { got: 4 })
                ));
            }
            writer.await.unwrap();
        });
    }
}
