//! `Genop` and `GenopStream` (spec §6.7, §10) without copying argument data.
//!
//! A genop request carries every argument's bytes, write arguments included, and the response
//! sends the write arguments back. The straightforward way — decode, copy each write argument
//! into a mutable buffer, run the op, encode a new response message — holds the frame, the copies
//! and the encoded response at once: about three times the payload. Here:
//!
//! - the request frame is received into one buffer and decoded with prost over `Bytes`, so the
//!   argument bytes are slices of that buffer, never copies;
//! - each argument is remembered as an offset range of the frame; once the decoded message is
//!   dropped the frame buffer is uniquely owned again ([`Bytes::try_into_mut`]) and the plugin
//!   writes the outputs **in place**, into the very bytes the client sent;
//! - the response is written as a list of segments: small protobuf framing bytes interleaved with
//!   slices of the frame buffer ([`response_segments`]); the writer sends them one after the other,
//!   so the output data is never re-encoded into a second buffer.
//!
//! Peak memory for a genop is therefore the request frame plus a few small allocations. Streamed
//! (`GenopStream`) arguments are reassembled from chunks into owned buffers, which the op also
//! writes in place.
//!
//! # How much a stream may carry
//!
//! Each frame of a stream is bounded by the ttrpc limit of §2.4 (1 GiB), as every frame is; the
//! reassembled stream is not, since streaming exists precisely to lift that ceiling (issue 3:
//! "no 1 GiB ceiling"). It has its own bound instead, [`StreamAssembler`]'s limit: the bytes held
//! for one open stream — argument data plus a fixed [`ARG_OVERHEAD`] per argument, so that a
//! flood of empty arguments is bounded too — may not exceed
//! `VACCEL_RPC_AGENT_MAX_STREAM` bytes (default [`DEFAULT_MAX_STREAM`], 16 GiB; the value may
//! carry a binary `K`, `M`, `G` or `T` suffix, see [`parse_size`]). The sum is checked as each
//! Data message arrives, before its bytes are appended, and nothing is reserved from what a peer
//! claims (an argument's `size` or `parts`), so the agent never holds more than the limit plus
//! one frame for a stream. A stream over the limit is answered `RESOURCE_EXHAUSTED` when it
//! closes, its data is released at once, and the rest of its messages are read and dropped; the
//! connection stays usable. The limit is per stream (a connection may have at most
//! [`crate::server::MAX_IN_FLIGHT`] open). It is an environment variable rather than an option so
//! that `--help` stays the official agent's text (§7.1).
//!
//! The reply is still one Response frame (§2.6), so the write arguments of a streamed genop must
//! fit 1 GiB together: a larger reply is replaced by the oversize status of §2.4.

use vaccel_rpc_proto::abi::vaccel_arg;
use vaccel_rpc_proto::bytes::{Bytes, BytesMut};
use vaccel_rpc_proto::error::{Error as VError, error_to_status};
use vaccel_rpc_proto::ttrpc::{Code, Status};
use vaccel_rpc_proto::{Message, genop};

use crate::service::{Agent, check_id, ffi_status, lock, monotonic_ns};

/// Where an argument's bytes are.
#[derive(Debug)]
enum Buf {
    /// `len` bytes at `off` in the request frame.
    Frame { off: usize, len: usize },
    /// Bytes held elsewhere (read-only; a write argument is copied out first).
    Shared(Bytes),
    /// An owned buffer (reassembled chunks, or a copied write argument).
    Owned(Vec<u8>),
    /// `len` bytes at `off` of a client's shared memory ([`crate::shm`]): written in place, sent
    /// back as a size without bytes.
    Mapped {
        map: std::sync::Arc<crate::shm::Mapping>,
        off: usize,
        len: usize,
    },
}

/// One argument: its bytes and the metadata echoed in the response.
#[derive(Debug)]
pub struct ArgSpec {
    buf: Buf,
    size: u32,
    arg_type: i32,
    custom_type_id: u32,
}

/// A decoded genop call, ready to run.
#[derive(Debug)]
pub struct Call {
    pub session_id: i64,
    read: Vec<ArgSpec>,
    write: Vec<ArgSpec>,
    /// The request frame the `Frame` buffers point into.
    frame: Option<Bytes>,
}

/// The `size == len(buf)` rule of §6.7 (unary calls).
fn check_size(a: &genop::Arg) -> Result<(), Status> {
    if a.size as usize != a.buf.len() {
        return Err(error_to_status(&VError::conversion_failed(format!(
            "Could not convert proto `Arg` to `Arg`: Incorrect size; expected {} got {}",
            a.buf.len(),
            a.size
        ))));
    }
    Ok(())
}

/// The offset of `b` inside `frame`, if it is a slice of it.
fn offset_in(frame: &Bytes, b: &Bytes) -> Option<usize> {
    let base = frame.as_ptr() as usize;
    let p = b.as_ptr() as usize;
    (p >= base && p + b.len() <= base + frame.len()).then(|| p - base)
}

impl Call {
    /// A unary `Genop` whose request `msg` was decoded from `frame` (the whole frame payload).
    pub fn from_unary(msg: genop::Request, frame: Bytes) -> Result<Call, Status> {
        let spec = |a: genop::Arg| -> Result<ArgSpec, Status> {
            check_size(&a)?;
            let buf = if a.buf.is_empty() {
                Buf::Owned(Vec::new())
            } else {
                match offset_in(&frame, &a.buf) {
                    Some(off) => Buf::Frame {
                        off,
                        len: a.buf.len(),
                    },
                    None => Buf::Shared(a.buf),
                }
            };
            Ok(ArgSpec {
                buf,
                size: a.size,
                arg_type: a.arg_type,
                custom_type_id: a.custom_type_id,
            })
        };
        let read = msg
            .read_args
            .into_iter()
            .map(spec)
            .collect::<Result<Vec<_>, _>>()?;
        let write = msg
            .write_args
            .into_iter()
            .map(spec)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Call {
            session_id: msg.session_id,
            read,
            write,
            frame: Some(frame),
        })
    }
}

thread_local! {
    /// The request frame of the last unary genop run on this thread, for the connection to hand
    /// back to its frame reader once the answer is sent ([`take_frame`]).
    static RECYCLE: std::cell::RefCell<Option<Bytes>> = const { std::cell::RefCell::new(None) };
}

/// The buffer of the last unary genop's request frame run on this thread, if nothing else refers
/// to it any more (its answer was sent and dropped): the connection receives its next large
/// frame into it instead of into fresh memory.
pub fn take_frame() -> Option<Vec<u8>> {
    let f = RECYCLE.with(|r| r.borrow_mut().take())?;
    f.try_into_mut().ok().map(Vec::from)
}

impl Call {
    /// A `GenopShm` call: the arguments named in `req.shm` are ranges of the descriptors `fds`
    /// (mapped through the connection's `cache`), the others are ordinary bytes.
    pub fn from_shm(
        req: vaccel_rpc_proto::ext::ShmGenopRequest,
        fds: &[std::os::fd::OwnedFd],
        cache: &crate::shm::ShmCache,
    ) -> Result<Call, Status> {
        let base = req.request.unwrap_or_default();
        let mut read: Vec<Option<genop::Arg>> = base.read_args.into_iter().map(Some).collect();
        let mut write: Vec<Option<genop::Arg>> = base.write_args.into_iter().map(Some).collect();
        let mut mapped: Vec<(bool, usize, ArgSpec)> = Vec::new();
        for s in &req.shm {
            let list = if s.write { &mut write } else { &mut read };
            let bad = |m: &str| Status::new(Code::InvalidArgument, format!("shared memory: {m}"));
            let a = list
                .get_mut(s.index as usize)
                .and_then(Option::take)
                .ok_or_else(|| bad("no such argument (or named twice)"))?;
            let fd = fds
                .get(s.fd as usize)
                .ok_or_else(|| bad("no such descriptor"))?;
            if !a.buf.is_empty() || u64::from(a.size) != s.len {
                return Err(bad(
                    "a shared argument carries bytes or a size other than its range",
                ));
            }
            let (map, off) = cache.region(fd, s.offset, s.len)?;
            mapped.push((
                s.write,
                s.index as usize,
                ArgSpec {
                    buf: Buf::Mapped {
                        map,
                        off,
                        len: s.len as usize,
                    },
                    size: a.size,
                    arg_type: a.arg_type,
                    custom_type_id: a.custom_type_id,
                },
            ));
        }
        let mut spec =
            |list: Vec<Option<genop::Arg>>, is_write: bool| -> Result<Vec<ArgSpec>, Status> {
                let mut out = Vec::with_capacity(list.len());
                for (i, a) in list.into_iter().enumerate() {
                    match a {
                        Some(a) => out.push(shared(a)?),
                        None => {
                            let at = mapped
                                .iter()
                                .position(|(w, idx, _)| *w == is_write && *idx == i)
                                .expect("a taken argument is mapped");
                            out.push(mapped.swap_remove(at).2);
                        }
                    }
                }
                Ok(out)
            };
        let read = spec(read, false)?;
        let write = spec(write, true)?;
        Ok(Call {
            session_id: base.session_id,
            read,
            write,
            frame: None,
        })
    }
}

/// The environment variable bounding a reassembled `GenopStream` (bytes, optional binary suffix).
pub const MAX_STREAM_ENV: &str = "VACCEL_RPC_AGENT_MAX_STREAM";
/// The default bound of a reassembled `GenopStream`: 16 GiB.
pub const DEFAULT_MAX_STREAM: u64 = 16 << 30;
/// What one argument of a stream costs besides its data (its [`ArgSpec`] and vector slot).
pub const ARG_OVERHEAD: u64 = 64;

/// Parses a byte count: decimal digits with an optional binary suffix `K`, `M`, `G` or `T`
/// (upper or lower case, optionally followed by `iB` or `B`): `1048576`, `1M`, `16GiB`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let (num, suffix) = t.split_at(digits);
    let shift = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => {
            return Err(format!(
                "Invalid size `{s}`: expected bytes, e.g. 1048576, 512M or 16G"
            ));
        }
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("Invalid size `{s}`: expected bytes, e.g. 1048576, 512M or 16G"))?;
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("Invalid size `{s}`: too large"))
}

/// The stream bound from [`MAX_STREAM_ENV`] (unset or empty: [`DEFAULT_MAX_STREAM`]).
pub fn max_stream_from_env() -> Result<u64, String> {
    match std::env::var(MAX_STREAM_ENV) {
        Ok(v) if !v.trim().is_empty() => {
            parse_size(&v).map_err(|e| format!("{MAX_STREAM_ENV}: {e}"))
        }
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(DEFAULT_MAX_STREAM),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(format!("{MAX_STREAM_ENV} is not valid UTF-8"))
        }
    }
}

/// Reassembles the messages of a `GenopStream` (§10.2), holding at most `limit` bytes.
#[derive(Debug)]
pub struct StreamAssembler {
    session_id: i64,
    read: Vec<ArgSpec>,
    write: Vec<ArgSpec>,
    pending_read: Option<Vec<u8>>,
    pending_write: Option<Vec<u8>>,
    /// Bytes held so far: argument data plus [`ARG_OVERHEAD`] per argument.
    held: u64,
    /// The most `held` may reach (not the per-frame limit: see the module docs).
    limit: u64,
}

impl StreamAssembler {
    /// An empty stream that may hold up to `limit` bytes.
    pub fn new(limit: u64) -> StreamAssembler {
        StreamAssembler {
            session_id: 0,
            read: Vec::new(),
            write: Vec::new(),
            pending_read: None,
            pending_write: None,
            held: 0,
            limit,
        }
    }

    /// Bytes held so far (data plus per-argument overhead).
    pub fn held(&self) -> u64 {
        self.held
    }

    /// Adds one Data message, or refuses it (holding nothing more) if the stream would then hold
    /// more than its limit.
    pub fn push(&mut self, msg: genop::Request) -> Result<(), Status> {
        let cost: u64 = msg
            .read_args
            .iter()
            .chain(&msg.write_args)
            .map(|a| a.buf.len() as u64 + ARG_OVERHEAD)
            .sum();
        let held = self.held.saturating_add(cost);
        if held > self.limit {
            return Err(Status::new(
                Code::ResourceExhausted,
                format!(
                    "streamed genop of more than {} bytes exceeds the agent's limit of {} bytes \
                     ({MAX_STREAM_ENV})",
                    held, self.limit
                ),
            ));
        }
        self.held = held;
        self.session_id = msg.session_id;
        let chunked = |v: &Vec<genop::Arg>| v.len() == 1 && v[0].parts > 0;
        if chunked(&msg.read_args) || chunked(&msg.write_args) {
            for (args, pending, out) in [
                (msg.read_args, &mut self.pending_read, &mut self.read),
                (msg.write_args, &mut self.pending_write, &mut self.write),
            ] {
                if args.len() == 1 && args[0].parts > 0 {
                    let a = &args[0];
                    // The first part reserves the argument's announced size when the stream's
                    // bound allows it: address space only (resident memory follows the parts as
                    // they are copied in, on huge pages), so the parts land in place without the
                    // copies and the transient double size of a growing vector. A peer whose
                    // parts exceed the announced size only makes the vector grow.
                    let buf = pending.get_or_insert_with(|| {
                        if u64::from(a.size) <= self.limit.saturating_sub(self.held) + cost {
                            vaccel_rpc_proto::frame::reserved_vec(a.size as usize)
                        } else {
                            Vec::new()
                        }
                    });
                    buf.extend_from_slice(&a.buf);
                    if a.part_no >= a.parts {
                        let buf = pending.take().unwrap_or_default();
                        out.push(ArgSpec {
                            size: a.size,
                            arg_type: a.arg_type,
                            custom_type_id: a.custom_type_id,
                            buf: Buf::Owned(buf),
                        });
                    }
                } else {
                    for a in args {
                        out.push(shared(a)?);
                    }
                }
            }
        } else {
            for a in msg.read_args {
                self.read.push(shared(a)?);
            }
            for a in msg.write_args {
                self.write.push(shared(a)?);
            }
        }
        Ok(())
    }

    /// The call to run once the stream is closed.
    pub fn finish(self) -> Call {
        Call {
            session_id: self.session_id,
            read: self.read,
            write: self.write,
            frame: None,
        }
    }
}

fn shared(a: genop::Arg) -> Result<ArgSpec, Status> {
    check_size(&a)?;
    Ok(ArgSpec {
        size: a.size,
        arg_type: a.arg_type,
        custom_type_id: a.custom_type_id,
        buf: Buf::Shared(a.buf),
    })
}

/// A reassembled argument's size must match its data too.
fn check_len(a: &ArgSpec, len: usize) -> Result<(), Status> {
    if a.size as usize != len {
        return Err(error_to_status(&VError::conversion_failed(format!(
            "Could not convert proto `Arg` to `Arg`: Incorrect size; expected {len} got {}",
            a.size
        ))));
    }
    Ok(())
}

/// The bytes of a response: the segments of the encoded `genop.Response`.
pub type Segments = Vec<Bytes>;

/// Runs `call` on its session: §6.7 steps 1, 3–5.
pub fn run(agent: &Agent, call: Call) -> Result<Segments, Status> {
    let sid = check_id(call.session_id)?;
    let sess = agent.session(sid, "session")?;
    let Call {
        read,
        mut write,
        frame,
        ..
    } = call;
    // Write arguments not in the frame must be owned to be written.
    for a in &mut write {
        if let Buf::Shared(b) = &a.buf {
            a.buf = Buf::Owned(b.to_vec());
        }
    }
    for a in read.iter().chain(&write) {
        if let Buf::Owned(v) = &a.buf {
            check_len(a, v.len())?;
        }
    }
    // The frame is uniquely owned again now that the decoded message is gone; if something
    // still shares it, fall back to copying the write arguments out of it.
    let mut frame_mut: Option<BytesMut> = None;
    if let Some(f) = frame {
        match f.try_into_mut() {
            Ok(m) => frame_mut = Some(m),
            Err(f) => {
                for a in &mut write {
                    if let Buf::Frame { off, len } = a.buf {
                        a.buf = Buf::Owned(f[off..off + len].to_vec());
                    }
                }
                frame_mut = Some(BytesMut::from(&f[..0]));
                // Read arguments keep pointing into `f`.
                let read = read
                    .into_iter()
                    .map(|mut a| {
                        if let Buf::Frame { off, len } = a.buf {
                            a.buf = Buf::Shared(f.slice(off..off + len));
                        }
                        a
                    })
                    .collect();
                return run_on(agent, &sess, sid, read, write, frame_mut);
            }
        }
    }
    run_on(agent, &sess, sid, read, write, frame_mut)
}

fn run_on(
    agent: &Agent,
    sess: &std::sync::Mutex<vaccel::Session<'static>>,
    sid: i64,
    read: Vec<ArgSpec>,
    mut write: Vec<ArgSpec>,
    mut frame: Option<BytesMut>,
) -> Result<Segments, Status> {
    let base: *mut u8 = frame
        .as_mut()
        .map_or(std::ptr::null_mut(), |f| f.as_mut_ptr());
    let raw = |a: &mut ArgSpec| -> vaccel_arg {
        let (ptr, len): (*mut u8, usize) = match &mut a.buf {
            Buf::Frame { off, len } => {
                // SAFETY: `off + len` is within the frame buffer `base` points to (checked by
                // `offset_in` when the range was recorded), so the offset stays in bounds.
                (unsafe { base.add(*off) }, *len)
            }
            // Read-only use: read arguments are inputs of the op.
            Buf::Shared(b) => (b.as_ptr().cast_mut(), b.len()),
            Buf::Owned(v) => (v.as_mut_ptr(), v.len()),
            Buf::Mapped { map, off, len } => (map.at(*off), *len),
        };
        vaccel_arg {
            buf: if len == 0 {
                std::ptr::null_mut()
            } else {
                ptr.cast()
            },
            size: len,
            type_: a.arg_type as u32,
            custom_type_id: a.custom_type_id,
            owned: false,
        }
    };
    let mut read = read;
    let t = monotonic_ns();
    let mut r: Vec<vaccel_arg> = read.iter_mut().map(raw).collect();
    agent.record(sid, "read_args", t);
    let t = monotonic_ns();
    let mut w: Vec<vaccel_arg> = write.iter_mut().map(raw).collect();
    agent.record(sid, "write_args", t);
    // SAFETY: each argument points into memory this function owns for its stated size.
    unsafe { check_exec_policy(agent, &r) }?;
    crate::log::info!("session:{sid} Genop");
    let t = monotonic_ns();
    // SAFETY: every argument points into memory owned by this function (the frame buffer, owned
    // vectors, or `Bytes` kept alive in `read`) for its stated size, no Rust reference to those
    // bytes exists during the call, and the ranges of different arguments do not overlap (they
    // are distinct protobuf fields, or distinct allocations).
    let rc = unsafe { lock(sess).genop_raw(&mut r, &mut w) };
    agent.record(sid, "sess.genop", t);
    drop(read);
    rc.map_err(|e| ffi_status(&e))?;
    let t = monotonic_ns();
    let frame = frame.map(BytesMut::freeze);
    if let Some(f) = &frame {
        RECYCLE.with(|r| *r.borrow_mut() = Some(f.clone()));
    }
    let outputs = write.into_iter().map(|a| {
        let data = match a.buf {
            Buf::Frame { off, len } => frame
                .as_ref()
                .map_or_else(Bytes::new, |f| f.slice(off..off + len)),
            Buf::Shared(b) => b,
            Buf::Owned(v) => Bytes::from(v),
            // Already in the client's memory: the size alone goes back.
            Buf::Mapped { .. } => Bytes::new(),
        };
        (a.size, a.arg_type, a.custom_type_id, data)
    });
    let segments = response_segments(outputs);
    agent.record(sid, "resp_write_args", t);
    Ok(segments)
}

/// The bytes of a genop argument (empty for a NULL one).
///
/// # Safety
/// `a.buf` is NULL or readable for `a.size` bytes.
unsafe fn arg_bytes(a: &vaccel_arg) -> &[u8] {
    if a.buf.is_null() {
        return &[];
    }
    // SAFETY: the caller's contract.
    unsafe { std::slice::from_raw_parts(a.buf.cast::<u8>(), a.size) }
}

/// A genop string argument: its bytes before the terminating NUL (`None` without one, which
/// libvaccel refuses too).
fn arg_text(b: &[u8]) -> Option<String> {
    let end = b.iter().position(|&c| c == 0)?;
    Some(String::from_utf8_lossy(&b[..end]).into_owned())
}

/// Applies the agent's exec policy to a genop whose op is `exec` or `exec_with_resource`
/// (their layouts, spec §16: a `uint8` op, the library path or an `int64` resource id, the
/// symbol, then the user's arguments). An exec whose arguments cannot be read this way is
/// refused here as well (libvaccel would refuse it anyway), so nothing unchecked reaches it.
///
/// # Safety
/// Each argument's buffer is NULL or readable for its size.
unsafe fn check_exec_policy(agent: &Agent, read: &[vaccel_arg]) -> Result<(), Status> {
    // SAFETY: the caller's contract.
    let bytes: Vec<&[u8]> = read
        .iter()
        .take(3)
        .map(|a| unsafe { arg_bytes(a) })
        .collect();
    let Some(&op) = bytes.first().and_then(|b| b.first()) else {
        return Ok(());
    };
    let op = u32::from(op);
    let exec = vaccel::abi::OpType::Exec as u32;
    let with_resource = vaccel::abi::OpType::ExecWithResource as u32;
    if op != exec && op != with_resource {
        return Ok(());
    }
    let malformed = || {
        crate::policy::denied(
            vaccel::abi::VACCEL_EPERM,
            "exec refused: its library and symbol arguments are malformed".to_owned(),
        )
    };
    let symbol = bytes
        .get(2)
        .and_then(|b| arg_text(b))
        .ok_or_else(malformed)?;
    if op == exec {
        let library = bytes
            .get(1)
            .and_then(|b| arg_text(b))
            .ok_or_else(malformed)?;
        agent.policy.check_exec(&library, &symbol)
    } else {
        let id = bytes
            .get(1)
            .and_then(|b| <[u8; 8]>::try_from(*b).ok())
            .map(i64::from_ne_bytes)
            .ok_or_else(malformed)?;
        let library = agent.resource_library(id)?;
        agent.policy.check_exec_with_resource(&library, &symbol)
    }
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Encodes `genop.Response{write_args}` as segments: exactly the bytes prost would produce, with
/// each argument's data as its own (shared, uncopied) segment.
pub fn response_segments(args: impl Iterator<Item = (u32, i32, u32, Bytes)>) -> Segments {
    let mut segs: Segments = Vec::new();
    let mut small: Vec<u8> = Vec::new();
    for (size, arg_type, custom_type_id, data) in args {
        let rest = genop::Arg {
            size,
            arg_type,
            custom_type_id,
            ..Default::default()
        }
        .encode_to_vec();
        let mut data_hdr = Vec::new();
        if !data.is_empty() {
            data_hdr.push(0x0a);
            varint(data.len() as u64, &mut data_hdr);
        }
        let arg_len = data_hdr.len() + data.len() + rest.len();
        small.push(0x0a);
        varint(arg_len as u64, &mut small);
        small.extend_from_slice(&data_hdr);
        if data.len() <= 4096 {
            small.extend_from_slice(&data);
        } else {
            segs.push(Bytes::from(std::mem::take(&mut small)));
            segs.push(data);
        }
        small.extend_from_slice(&rest);
    }
    if !small.is_empty() {
        segs.push(Bytes::from(small));
    }
    segs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(s: &Segments) -> Vec<u8> {
        s.iter().flat_map(|b| b.iter().copied()).collect()
    }

    #[test]
    fn segments_match_prost() {
        let cases: Vec<Vec<genop::Arg>> = vec![
            vec![],
            vec![genop::Arg {
                buf: Bytes::from_static(&[0, 0, 0, 0]),
                size: 4,
                arg_type: 26,
                ..Default::default()
            }],
            vec![
                genop::Arg {
                    buf: Bytes::from(vec![7u8; 100_000]),
                    size: 100_000,
                    arg_type: 6,
                    custom_type_id: 3,
                    ..Default::default()
                },
                genop::Arg::default(),
                genop::Arg {
                    buf: Bytes::from(vec![1u8; 200]),
                    size: 200,
                    arg_type: 0,
                    ..Default::default()
                },
            ],
        ];
        for args in cases {
            let want = genop::Response {
                write_args: args.clone(),
            }
            .encode_to_vec();
            let got = response_segments(
                args.into_iter()
                    .map(|a| (a.size, a.arg_type, a.custom_type_id, a.buf)),
            );
            assert_eq!(flat(&got), want);
        }
    }

    #[test]
    fn vector_c6_reply_payload() {
        let segs = response_segments(std::iter::once((4, 26, 0, Bytes::from_static(&[0; 4]))));
        assert_eq!(
            flat(&segs),
            [0x0a, 0x0a, 0x0a, 0x04, 0, 0, 0, 0, 0x10, 0x04, 0x18, 0x1a]
        );
    }

    #[test]
    fn unary_args_point_into_the_frame() {
        let msg = genop::Request {
            session_id: 1,
            read_args: vec![genop::Arg {
                buf: Bytes::from_static(&[3]),
                size: 1,
                arg_type: 9,
                ..Default::default()
            }],
            write_args: vec![genop::Arg {
                buf: Bytes::from(vec![5u8; 64]),
                size: 64,
                arg_type: 26,
                ..Default::default()
            }],
        };
        let frame = Bytes::from(msg.encode_to_vec());
        let decoded = genop::Request::decode(frame.clone()).unwrap();
        let call = Call::from_unary(decoded, frame).unwrap();
        assert!(matches!(call.read[0].buf, Buf::Frame { len: 1, .. }));
        assert!(matches!(call.write[0].buf, Buf::Frame { len: 64, .. }));
        // Once the decoded message is gone the frame is unique again.
        assert!(call.frame.unwrap().try_into_mut().is_ok());
    }

    #[test]
    fn size_mismatch_is_conversion_failed() {
        let msg = genop::Request {
            session_id: 1,
            read_args: vec![genop::Arg {
                buf: Bytes::from_static(&[3, 4]),
                size: 1,
                arg_type: 9,
                ..Default::default()
            }],
            write_args: vec![],
        };
        let e = Call::from_unary(msg, Bytes::new()).unwrap_err();
        assert_eq!(
            e.message,
            "Conversion failed: Could not convert proto `Arg` to `Arg`: Incorrect size; expected 2 got 1"
        );
    }

    #[test]
    fn stream_reassembles_chunks() {
        let mut s = StreamAssembler::new(DEFAULT_MAX_STREAM);
        let arg = |buf: &[u8], parts, part_no| genop::Arg {
            buf: Bytes::copy_from_slice(buf),
            size: 6,
            arg_type: 28,
            parts,
            part_no,
            ..Default::default()
        };
        s.push(genop::Request {
            session_id: 7,
            read_args: vec![genop::Arg {
                buf: Bytes::from_static(&[3]),
                size: 1,
                arg_type: 9,
                ..Default::default()
            }],
            write_args: vec![],
        })
        .unwrap();
        s.push(genop::Request {
            session_id: 7,
            read_args: vec![arg(b"abc", 2, 1)],
            write_args: vec![],
        })
        .unwrap();
        s.push(genop::Request {
            session_id: 7,
            read_args: vec![arg(b"def", 2, 2)],
            write_args: vec![],
        })
        .unwrap();
        let call = s.finish();
        assert_eq!(call.session_id, 7);
        assert_eq!(call.read.len(), 2);
        match &call.read[1].buf {
            Buf::Owned(v) => assert_eq!(v, b"abcdef"),
            other => panic!("{other:?}"),
        }
    }

    fn data(session_id: i64, buf: Bytes) -> genop::Request {
        genop::Request {
            session_id,
            read_args: vec![genop::Arg {
                size: buf.len() as u32,
                buf,
                arg_type: 2,
                ..Default::default()
            }],
            write_args: vec![],
        }
    }

    /// The reassembled total is compared with the stream's own limit, not with the 1 GiB frame
    /// limit: 65 messages of 16 MiB (all slices of one buffer, so only 16 MiB is allocated) add
    /// up to more than 1 GiB and are all accepted.
    #[test]
    fn stream_total_is_not_bounded_by_the_frame_limit() {
        use vaccel_rpc_proto::frame::MAX_PAYLOAD;
        const CHUNK: usize = 16 << 20;
        let buf = Bytes::from(vec![0xa5u8; CHUNK]);
        let mut s = StreamAssembler::new(DEFAULT_MAX_STREAM);
        for _ in 0..65 {
            s.push(data(3, buf.clone())).unwrap();
        }
        assert!(s.held() > u64::from(MAX_PAYLOAD), "{}", s.held());
        assert_eq!(s.held(), 65 * (CHUNK as u64 + ARG_OVERHEAD));
        let call = s.finish();
        assert_eq!(call.read.len(), 65);
        assert!(DEFAULT_MAX_STREAM > u64::from(MAX_PAYLOAD));
    }

    #[test]
    fn stream_over_its_limit_is_refused_before_holding_more() {
        let limit = 1000 + 2 * ARG_OVERHEAD;
        let mut s = StreamAssembler::new(limit);
        s.push(data(1, Bytes::from(vec![1u8; 600]))).unwrap();
        // Exactly at the limit is fine.
        s.push(data(1, Bytes::from(vec![2u8; 400]))).unwrap();
        assert_eq!(s.held(), limit);
        // One more byte (a chunk, whose claimed size and parts are not trusted) is not.
        let e = s
            .push(genop::Request {
                session_id: 1,
                read_args: vec![],
                write_args: vec![genop::Arg {
                    buf: Bytes::from_static(&[0]),
                    size: u32::MAX,
                    parts: 1000,
                    part_no: 1,
                    ..Default::default()
                }],
            })
            .unwrap_err();
        assert_eq!(e.code, Code::ResourceExhausted as i32);
        assert!(
            e.message.contains(&format!("limit of {limit} bytes"))
                && e.message.contains(MAX_STREAM_ENV),
            "{}",
            e.message
        );
        assert_eq!(s.held(), limit, "nothing of the refused message is kept");
        assert!(s.pending_write.is_none());
        // Empty arguments cost something too: a flood of them hits the limit.
        let mut s = StreamAssembler::new(10 * ARG_OVERHEAD);
        let empties = genop::Request {
            session_id: 1,
            read_args: vec![genop::Arg::default(); 11],
            write_args: vec![],
        };
        assert!(s.push(empties).is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("512KiB"), Ok(512 << 10));
        assert_eq!(parse_size(" 64M "), Ok(64 << 20));
        assert_eq!(parse_size("16G"), Ok(DEFAULT_MAX_STREAM));
        assert_eq!(parse_size("2gb"), Ok(2 << 30));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        assert_eq!(parse_size("100b"), Ok(100));
        for bad in [
            "",
            "M",
            "-1",
            "1.5G",
            "1 G",
            "12X",
            "0x10",
            "99999999999999999999",
            "20000000T",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
