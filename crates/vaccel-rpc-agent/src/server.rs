//! Connections: framing, dispatch and the answers of §2 for everything that is not a valid call.
//!
//! # Threads: the call runs where the request was read
//!
//! Each connection is served by plain blocking threads, not by an async runtime: a call costs
//! what a raw socket round trip costs plus the call itself, with no hand-off between threads on the
//! way. The thread that holds the connection's *reader role* reads the next frame with blocking
//! reads (a [`FrameReader`]: one `read` per small frame, large payloads received straight into
//! their final buffer), runs the call itself (libvaccel calls block anyway), and writes the
//! response with one `writev` of header and payload segments (a genop's outputs are sent from the
//! request buffer they were written into, never re-encoded). On a busy connection with one call
//! in flight at a time — every official client — that is the whole path: no task spawn, no
//! channel, no wake-up of another thread.
//!
//! ttrpc still multiplexes (§2.2): a client may pipeline calls on one connection, and a long call
//! must not hold back the next one. A thread gives up the reader role when it starts a call; a
//! watcher thread, ticking every [`TICK_MS`] ms while calls run, *arms* the connection of any call
//! that has run for a tick in a process-wide epoll set (`EPOLLONESHOT`). If a further request
//! then arrives while the call runs, the watcher hands the reader role to an idle thread of the
//! connection or starts one, which reads and runs that request concurrently. When a call ends and
//! nobody took the role, its thread takes it back (and disarms, if armed). Short calls — most of
//! them — thus cost no system call and no wake-up beyond the socket's own; pipelined requests
//! behind a long call wait at most two ticks; requests pipelined behind short calls are read as soon
//! as the call before them is answered (often from the same `read`). At most [`MAX_IN_FLIGHT`]
//! calls per connection run at once; beyond that nobody reads, which pushes back on the client
//! instead of buffering without bound. Responses are written under the connection's write lock, so frames of concurrent calls
//! never interleave; idle threads of a connection exit after a few seconds.
//!
//! Bad input never takes the agent down and never makes it allocate what a peer claims:
//! | input | answer |
//! |---|---|
//! | payload over 1 GiB (up to a claimed 4 GiB) | the fork's `INVALID_ARGUMENT "message length <n> exceed maximum message size of 1073741824"` on that stream, then the body is read and discarded in 64 KiB steps (a peer that stops sending is closed when it closes) |
//! | unknown frame type | log line, connection closed (the stream cannot be trusted) |
//! | header or payload cut short by EOF | log line, connection closed |
//! | undecodable `ttrpc.Request` | `INVALID_ARGUMENT` with the decode error (sync server) |
//! | undecodable request message | `INVALID_ARGUMENT` with the decode error; the connection stays up (upstream closes it, §12 item 8) |
//! | unknown service / method | `INVALID_ARGUMENT "/<service>/<method> does not exist"` (sync service, vector C9) or the async texts of vectors C12/C13 |
//! | request message (the `ttrpc.Request` envelope included) with more than 65 536 repeated elements in all (genop arguments, resource paths and blobs, envelope metadata...) or not valid protobuf | `INVALID_ARGUMENT "<message> with more than 65536 repeated elements"` / `"malformed <message>: <what>"`, found by walking the encoding before decoding ([`vaccel_rpc_proto::bound`]); the connection stays up |
//! | descriptors (`SCM_RIGHTS`) piling up without the `GenopShm` requests that claim them (more than 64) | log line, connection closed |
//! | `GenopShm` naming descriptors it did not pass, an unsealed or too small memfd, a size that disagrees with its range | `INVALID_ARGUMENT` with the reason; the connection stays up |
//! | Data frame for no open stream | `INVALID_ARGUMENT "Stream is no longer active"` |
//! | `GenopStream` holding more than `VACCEL_RPC_AGENT_MAX_STREAM` bytes (default 16 GiB; each frame is still limited to 1 GiB) | log line, the stream's data freed at once, its remaining messages dropped, `RESOURCE_EXHAUSTED` on close; the connection stays up ([`crate::genop`]) |
//!
//! When the connection ends, the calls still running are awaited and then everything the client
//! created is released ([`Agent::release_owned`]).

use std::collections::HashMap;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
use std::time::Duration;

use vaccel_rpc_proto::bound::Bounded;
use vaccel_rpc_proto::bytes::Bytes;
use vaccel_rpc_proto::frame::{FrameError, FrameReader, HEADER_LEN, MAX_PAYLOAD, flags};
use vaccel_rpc_proto::segments::write_all_vectored;
use vaccel_rpc_proto::ttrpc::{self, Code, Status};
use vaccel_rpc_proto::{FrameCodec, FrameType, Message, Method, Service, ext, frame, genop};

use crate::genop::{Call, StreamAssembler};
use crate::log::{debug, warning};
use crate::service::{Agent, Owner, Reply, lock};

/// Calls of one connection that may run at once; also the most `GenopStream`s it may have open.
pub const MAX_IN_FLIGHT: usize = 32;

/// How long an idle thread of a connection waits for work before it exits.
const IDLE_EXIT: Duration = Duration::from_secs(5);

/// A frame to send: its bytes, header first, as consecutive segments.
type OutFrame = Vec<Bytes>;

/// The connection's socket, shared by its threads (reads by the reader-role holder, writes under
/// the write lock). Any connected stream socket (tcp, unix, vsock) works as a `UnixStream`:
/// only `recvmsg`, `writev` and `shutdown` are used. Reads take the descriptors a unix peer
/// passes (`SCM_RIGHTS`, for shared-memory arguments) into `fds`, in arrival order.
struct Sock {
    sock: Arc<UnixStream>,
    fds: std::collections::VecDeque<OwnedFd>,
}

/// Descriptors one `recvmsg` can take.
const FDS_PER_READ: usize = 32;

impl Read for Sock {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // Room for one SCM_RIGHTS message of FDS_PER_READ descriptors (u64-aligned).
        let mut control = [0u64; (FDS_PER_READ * 4 + 64) / 8];
        // SAFETY: an all-zero msghdr is valid; it then points at `iov` and `control`, which
        // outlive the call.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&control) as _;
        // SAFETY: `msg` describes writable buffers; the descriptor is open.
        let n = unsafe { libc::recvmsg(self.sock.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n < 0 {
            return Err(std::io::Error::last_os_error());
        }
        if msg.msg_controllen > 0 {
            // SAFETY: walking the control messages the kernel wrote into `control`, with the
            // CMSG macros; SCM_RIGHTS data is an array of descriptors now owned by this process.
            unsafe {
                let mut c = libc::CMSG_FIRSTHDR(&msg);
                while !c.is_null() {
                    if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                        let data = libc::CMSG_DATA(c).cast::<libc::c_int>();
                        let count = ((*c).cmsg_len as usize - libc::CMSG_LEN(0) as usize)
                            / std::mem::size_of::<libc::c_int>();
                        for i in 0..count {
                            let fd = data.add(i).read_unaligned();
                            self.fds.push_back(OwnedFd::from_raw_fd(fd));
                        }
                    }
                    c = libc::CMSG_NXTHDR(&msg, c);
                }
            }
            // Descriptors that no GenopShm request claims (even inside one large frame): close
            // them now and end the connection, before they exhaust the agent's descriptors.
            if self.fds.len() > 4 * ext::MAX_SHM_FDS {
                self.fds.clear();
                return Err(std::io::Error::other(
                    "descriptors passed without the GenopShm requests that claim them",
                ));
            }
        }
        Ok(n as usize)
    }
}

/// What the reader-role holder owns.
struct ReadSide {
    frames: FrameReader<Sock>,
    streams: HashMap<u32, OpenStream>,
}

/// Thread bookkeeping of a connection.
#[derive(Default)]
struct State {
    /// A thread holds the reader role.
    reader: bool,
    /// Threads of this connection alive.
    threads: usize,
    /// Threads waiting for the reader role.
    idle: usize,
    /// Calls running.
    running: usize,
    /// The connection is armed in the watcher's epoll set.
    armed: bool,
    /// The peer closed the connection (or sent something unrecoverable).
    closed: bool,
    /// The connection's objects were released.
    finished: bool,
}

struct Conn {
    id: u64,
    agent: Arc<Agent>,
    owner: Owner,
    peer: String,
    sock: Arc<UnixStream>,
    write: Mutex<()>,
    read: Mutex<ReadSide>,
    state: Mutex<State>,
    wake: Condvar,
    /// A unix socket (shared memory can be offered).
    unix: bool,
    /// Mappings of the client's shared memory.
    shm: crate::shm::ShmCache,
    /// When the reader role was last given up to run a call ([`now_ms`]); 0 while a thread
    /// reads. The watcher arms connections whose calls have run for a tick.
    unread_since: AtomicU64,
}

/// A call read off the wire, to run.
enum Job {
    Unary {
        stream_id: u32,
        service: Service,
        method: Method,
        body: Bytes,
        frame: Bytes,
    },
    Stream {
        stream_id: u32,
        call: Call,
    },
    /// `GenopShm` with the descriptors passed with its frame.
    Shm {
        stream_id: u32,
        req: ext::ShmGenopRequest,
        fds: Vec<OwnedFd>,
    },
    /// A method of the extension service ([`vaccel_rpc_proto::ext`]).
    Ext {
        stream_id: u32,
        method: String,
        body: Bytes,
    },
}

impl Job {
    fn stream_id(&self) -> u32 {
        match self {
            Job::Unary { stream_id, .. }
            | Job::Stream { stream_id, .. }
            | Job::Shm { stream_id, .. }
            | Job::Ext { stream_id, .. } => *stream_id,
        }
    }
}

/// Serves one connection on the calling thread (and on more threads while calls of the connection
/// overlap) until the peer closes it or sends something unrecoverable; then waits for the calls
/// still running and releases everything the connection created.
pub fn serve(sock: UnixStream, peer: String, agent: Arc<Agent>) {
    debug!("New connection from {peer}");
    let unix = is_unix(&sock);
    let sock = Arc::new(sock);
    let watcher = Watcher::get();
    let max_payload = agent.policy.max_payload;
    let conn = Arc::new(Conn {
        id: watcher.next_id.fetch_add(1, Ordering::Relaxed),
        agent,
        owner: Owner::default(),
        peer,
        read: Mutex::new(ReadSide {
            frames: FrameReader::new(
                Sock {
                    sock: sock.clone(),
                    fds: Default::default(),
                },
                FrameCodec::new(max_payload),
            ),
            streams: HashMap::new(),
        }),
        sock,
        write: Mutex::new(()),
        state: Mutex::new(State {
            threads: 1,
            ..State::default()
        }),
        wake: Condvar::new(),
        unread_since: AtomicU64::new(0),
        unix,
        shm: Default::default(),
    });
    watcher.add(&conn);
    conn.work();
}

/// Request frames from this size on count as large for [`trim`].
const TRIM_MIN: usize = 4 << 20;

/// Returns free heap memory to the system (`malloc_trim`). glibc keeps freed chunks below its
/// (dynamic, up to 32 MiB) mmap threshold in the heap, so after a burst of large calls the agent
/// would otherwise keep their memory resident; one trim after a large call costs microseconds
/// next to the milliseconds the call took.
fn trim() {
    // SAFETY: malloc_trim has no preconditions.
    unsafe { libc::malloc_trim(0) };
}

/// Whether a connected socket is AF_UNIX (tcp and vsock sockets travel as `UnixStream` too).
fn is_unix(sock: &UnixStream) -> bool {
    // SAFETY: `sa`/`len` describe a writable sockaddr_storage; the descriptor is open.
    unsafe {
        let mut sa: libc::sockaddr_storage = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        libc::getsockname(sock.as_raw_fd(), (&raw mut sa).cast(), &mut len) == 0
            && i32::from(sa.ss_family) == libc::AF_UNIX
    }
}

impl Conn {
    /// The loop of every thread of the connection: take the reader role, read a call, run it.
    fn work(self: &Arc<Self>) {
        let mut reader_held = false;
        loop {
            if !std::mem::take(&mut reader_held) {
                let mut st = lock(&self.state);
                loop {
                    if st.closed {
                        st.threads -= 1;
                        self.finish_if_done(st);
                        return;
                    }
                    if !st.reader {
                        st.reader = true;
                        self.unread_since.store(0, Ordering::Relaxed);
                        break;
                    }
                    st.idle += 1;
                    let (g, timeout) = self
                        .wake
                        .wait_timeout(st, IDLE_EXIT)
                        .unwrap_or_else(|e| e.into_inner());
                    st = g;
                    st.idle -= 1;
                    if timeout.timed_out() && st.reader && !st.closed {
                        st.threads -= 1;
                        return;
                    }
                }
                if st.armed {
                    st.armed = false;
                    Watcher::get().set(self.sock.as_raw_fd(), self.id, false);
                }
            }
            let job = self.next_job();
            let mut st = lock(&self.state);
            st.reader = false;
            let Some(job) = job else {
                st.closed = true;
                self.wake.notify_all();
                st.threads -= 1;
                self.finish_if_done(st);
                return;
            };
            st.running += 1;
            let over = st.running > self.agent.policy.max_in_flight;
            drop(st);
            // Nobody reads while this call runs: if it runs for more than a watcher tick, the
            // watcher arms the connection so that a further request gets a thread of its own.
            self.unread_since.store(now_ms().max(1), Ordering::Relaxed);
            Watcher::get().busy();
            crate::log::defer();
            // Calls that free large buffers (or whose libvaccel objects held copies of them)
            // give the memory back to the system afterwards, so that the agent's footprint
            // between calls stays that of the calls running (see `trim`).
            let big = match &job {
                Job::Unary { method, frame, .. } => {
                    frame.len() >= TRIM_MIN
                        || matches!(method, Method::UnregisterResource | Method::DestroySession)
                }
                Job::Stream { .. } => true,
                Job::Ext { method, .. } => method == ext::REGISTER_RESOURCE,
                Job::Shm { .. } => false,
            };
            let in_flight = InFlight::start();
            let (stream_id, reply) = if over {
                let max = self.agent.policy.max_in_flight;
                warning!(
                    "Client {}: a call beyond max_in_flight ({max}) refused",
                    self.peer
                );
                (
                    job.stream_id(),
                    Err(Status::new(
                        Code::ResourceExhausted,
                        format!(
                            "too many calls in flight on this connection (the agent's \
                             max_in_flight is {max})"
                        ),
                    )),
                )
            } else {
                match job {
                    Job::Unary {
                        stream_id,
                        service,
                        method,
                        body,
                        frame,
                    } => (
                        stream_id,
                        dispatch(&self.agent, &self.owner, service, method, body, frame),
                    ),
                    Job::Stream { stream_id, call } => {
                        (stream_id, crate::genop::run(&self.agent, call))
                    }
                    Job::Ext {
                        stream_id,
                        method,
                        body,
                    } => (stream_id, self.dispatch_ext(&method, body)),
                    Job::Shm {
                        stream_id,
                        req,
                        fds,
                    } => (
                        stream_id,
                        Call::from_shm(req, &fds, &self.shm)
                            .and_then(|call| crate::genop::run(&self.agent, call)),
                    ),
                }
            };
            let frame = response_frame(stream_id, reply);
            // Take the reader role back before answering (if nobody took it meanwhile), so that
            // the client's next request, which may follow the answer at once, finds a reader
            // here rather than waking the watcher; disarm and log once the answer is out.
            let mut st = lock(&self.state);
            st.running -= 1;
            let again = !st.reader && !st.closed;
            let disarm = again && st.armed;
            if again {
                st.reader = true;
                st.armed = false;
                self.unread_since.store(0, Ordering::Relaxed);
            }
            drop(st);
            self.send(&frame);
            drop(in_flight);
            drop(frame);
            if let Some(buf) = crate::genop::take_frame()
                && again
            {
                lock(&self.read).frames.recycle(buf);
            }
            if disarm {
                Watcher::get().set(self.sock.as_raw_fd(), self.id, false);
            }
            crate::log::flush();
            if big {
                trim();
            }
            if again {
                // Holding the reader role: go straight to reading.
                reader_held = true;
            }
        }
    }

    /// Once the connection is closed and no call runs any more: releases what it created.
    fn finish_if_done(&self, mut st: std::sync::MutexGuard<'_, State>) {
        if !st.closed || st.running > 0 || st.finished {
            return;
        }
        st.finished = true;
        drop(st);
        Watcher::get().remove(self.sock.as_raw_fd(), self.id);
        let _ = self.sock.shutdown(std::net::Shutdown::Both);
        self.agent.release_owned(&self.owner, &self.peer);
        // The connection's read buffers, spare buffer and shared-memory mappings go with it.
        lock(&self.read).frames = FrameReader::new(
            Sock {
                sock: self.sock.clone(),
                fds: Default::default(),
            },
            FrameCodec::default(),
        );
        self.shm.clear();
        trim();
        debug!("Connection from {} closed", self.peer);
    }

    /// Called by the watcher on every tick while calls run: arms the connection if nobody has
    /// read from it for a tick. Returns whether a call of the connection is running.
    fn arm_if_slow(&self, now: u64) -> bool {
        let since = self.unread_since.load(Ordering::Relaxed);
        if since == 0 {
            return false;
        }
        if now.saturating_sub(since) >= TICK_MS {
            let mut st = lock(&self.state);
            if !st.reader && !st.closed && !st.armed && st.running < MAX_IN_FLIGHT {
                st.armed = true;
                Watcher::get().set(self.sock.as_raw_fd(), self.id, true);
            }
        }
        true
    }

    /// A new reader for this connection, if one is wanted (called by the watcher when a request
    /// arrives while the connection's calls run).
    fn on_readable(self: &Arc<Self>) {
        let mut st = lock(&self.state);
        st.armed = false;
        if st.closed || st.reader || st.running >= MAX_IN_FLIGHT {
            return;
        }
        if st.idle > 0 {
            self.wake.notify_one();
            return;
        }
        st.threads += 1;
        drop(st);
        let conn = self.clone();
        let spawned = std::thread::Builder::new()
            .name("vaccel-conn".into())
            .spawn(move || conn.work());
        if spawned.is_err() {
            warning!("Client {}: cannot start a thread", self.peer);
            let mut st = lock(&self.state);
            st.threads -= 1;
            // The running calls' threads read on when they finish.
            drop(st);
        }
    }

    fn send(&self, frame: &OutFrame) {
        let _w = lock(&self.write);
        // A peer that went away is noticed by the reader.
        let _ = write_all_vectored(&mut &*self.sock, frame);
    }

    fn reply(&self, stream_id: u32, status: Status) {
        self.send(&response_frame(stream_id, Err(status)));
    }

    /// Reads frames until one is a call to run (answering everything else on the way); `None`
    /// when the connection is over.
    fn next_job(&self) -> Option<Job> {
        let mut rd = lock(&self.read);
        let rd = &mut *rd;
        loop {
            let frame = match rd.frames.read_frame() {
                Ok(Some(f)) => f,
                Ok(None) => return None,
                Err(FrameError::TooLarge {
                    stream_id, length, ..
                }) => {
                    let max = self.agent.policy.max_payload;
                    warning!(
                        "Client {}: frame on stream {stream_id} claims {length} bytes, over the \
                         {max}-byte limit; answering and discarding it",
                        self.peer
                    );
                    self.reply(stream_id, Status::oversize(length, max));
                    let len = u32::try_from(length).unwrap_or(u32::MAX);
                    if let Err(e) = rd.frames.skip_payload(stream_id, len) {
                        warning!("Client {}: closing connection: {e}", self.peer);
                        return None;
                    }
                    continue;
                }
                Err(e @ FrameError::UnknownType { .. }) => {
                    warning!("Client {}: closing connection: {e}", self.peer);
                    return None;
                }
                Err(FrameError::Io(e)) if e.kind() == std::io::ErrorKind::Other => {
                    warning!("Client {}: closing connection: {e}", self.peer);
                    return None;
                }
                Err(FrameError::Io(e)) => {
                    debug!("Client {}: connection error: {e}", self.peer);
                    return None;
                }
                Err(e) => {
                    warning!("Client {}: closing connection: {e}", self.peer);
                    return None;
                }
            };
            let job = match frame.frame_type {
                FrameType::Request => self.on_request(
                    &mut rd.streams,
                    &mut rd.frames.get_mut().fds,
                    frame.stream_id,
                    frame.flags,
                    frame.payload,
                ),
                FrameType::Data => {
                    self.on_data(&mut rd.streams, frame.stream_id, frame.flags, frame.payload)
                }
                FrameType::Response => {
                    debug!(
                        "Client {}: ignoring a Response frame on stream {}",
                        self.peer, frame.stream_id
                    );
                    None
                }
            };
            if job.is_some() {
                return job;
            }
        }
    }
}

/// An open `GenopStream`.
struct OpenStream {
    assembler: StreamAssembler,
    /// The answer once a message was refused; later messages are read and dropped.
    failed: Option<Status>,
}

impl OpenStream {
    /// Once the stream has failed, frees what it holds instead of keeping it until the close.
    fn release_if_failed(&mut self, peer: &str, stream_id: u32) {
        if let Some(status) = &self.failed {
            warning!(
                "Client {peer}: GenopStream {stream_id} refused ({} bytes held, now released): {}",
                self.assembler.held(),
                status.message
            );
            self.assembler = StreamAssembler::new(0);
        }
    }
}

/// The Response frame for `reply` on `stream_id`: status (empty on success, `0a 00`) and payload
/// segments, with the payload bytes themselves never copied.
pub fn response_frame(stream_id: u32, reply: Result<Vec<Bytes>, Status>) -> OutFrame {
    match reply {
        Ok(segs) => {
            let len: usize = segs.iter().map(Bytes::len).sum();
            let mut head = Vec::with_capacity(HEADER_LEN + 16);
            head.extend_from_slice(&[0; HEADER_LEN]);
            head.extend_from_slice(&[0x0a, 0x00]);
            if len > 0 {
                head.push(0x12);
                let mut v = len as u64;
                while v >= 0x80 {
                    head.push((v as u8) | 0x80);
                    v >>= 7;
                }
                head.push(v as u8);
            }
            let total = head.len() - HEADER_LEN + len;
            if total > MAX_PAYLOAD as usize {
                // A too-large response is replaced by an error status, as the fork does.
                return response_frame(stream_id, Err(Status::oversize(total as u64, MAX_PAYLOAD)));
            }
            let mut out = vec![Bytes::new()];
            let mut first = head;
            let mut rest = segs.into_iter().peekable();
            // Coalesce small leading segments into the header buffer: one write for small frames.
            while let Some(s) = rest.next_if(|s| s.len() <= 64 * 1024) {
                first.extend_from_slice(&s);
            }
            let header = frame::FrameHeader {
                length: total as u32,
                stream_id,
                frame_type: FrameType::Response,
                flags: 0,
            };
            first[..HEADER_LEN].copy_from_slice(&header.to_bytes());
            out[0] = Bytes::from(first);
            out.extend(rest);
            out
        }
        Err(status) => {
            let resp = ttrpc::Response::error(status);
            match FrameCodec::default().encode_message(stream_id, FrameType::Response, 0, &resp) {
                Ok(buf) => vec![Bytes::from(buf)],
                Err(_) => Vec::new(),
            }
        }
    }
}

/// Decodes a request message or answers INVALID_ARGUMENT with the decode error. The encoding is
/// first walked without decoding ([`vaccel_rpc_proto::bound`]): a message with more repeated
/// elements than [`vaccel_rpc_proto::bound::MAX_ELEMENTS`] (a few bytes each on the wire, tens of
/// bytes each decoded), or malformed, is refused before prost allocates anything for it.
fn decode<M: Bounded>(payload: Bytes) -> Result<M, Status> {
    M::decode_bounded(payload).map_err(|e| Status::new(Code::InvalidArgument, e.to_string()))
}

fn one(r: Reply) -> Result<Vec<Bytes>, Status> {
    r.map(|b| if b.is_empty() { Vec::new() } else { vec![b] })
}

/// Runs one unary call.
fn dispatch(
    agent: &Agent,
    owner: &Owner,
    service: Service,
    method: Method,
    payload: Bytes,
    frame: Bytes,
) -> Result<Vec<Bytes>, Status> {
    match method {
        Method::CreateSession => one(agent.create_session(owner, decode(payload)?)),
        Method::UpdateSession => one(agent.update_session(decode(payload)?)),
        Method::DestroySession => one(agent.destroy_session(owner, decode(payload)?)),
        Method::RegisterResource => one(agent.register_resource(owner, decode(payload)?)),
        Method::UnregisterResource => one(agent.unregister_resource(owner, decode(payload)?)),
        Method::SyncResource => one(agent.sync_resource(decode(payload)?)),
        Method::ImageClassification => one(agent.image_classification(decode(payload)?)),
        Method::GetProfiler => one(agent.get_profiler(decode(payload)?)),
        Method::Genop => {
            let msg: genop::Request = decode(payload)?;
            let call = Call::from_unary(msg, frame)?;
            crate::genop::run(agent, call)
        }
        Method::TensorflowModelLoad
        | Method::TensorflowModelUnload
        | Method::TensorflowModelRun
        | Method::TensorflowLiteModelLoad
        | Method::TensorflowLiteModelUnload
        | Method::TensorflowLiteModelRun
        | Method::TorchModelLoad
        | Method::TorchModelRun => crate::models::dispatch(agent, method, payload)
            .unwrap_or_else(|| Err(Status::not_supported(service.name(), method.name()))),
        // A GenopStream request without REMOTE_OPEN carries its only message as payload.
        Method::GenopStream => {
            let mut a = StreamAssembler::new(agent.max_stream);
            a.push(decode::<genop::Request>(payload)?)?;
            crate::genop::run(agent, a.finish())
        }
    }
}

/// The answer to an unknown service or method, in the text of the service the client used.
fn unknown(service: &str, method: &str) -> Status {
    match Service::from_name(service) {
        Some(Service::Async) => Status::unimplemented_method(method),
        Some(Service::Sync) => Status::method_does_not_exist(service, method),
        None if service.contains("asynchronous") => Status::service_does_not_exist(service),
        None => Status::method_does_not_exist(service, method),
    }
}

impl Conn {
    fn on_request(
        &self,
        streams: &mut HashMap<u32, OpenStream>,
        fds: &mut std::collections::VecDeque<OwnedFd>,
        stream_id: u32,
        fl: u8,
        payload: Bytes,
    ) -> Option<Job> {
        let req = match ttrpc::Request::decode_bounded(payload.clone()) {
            Ok(r) => r,
            Err(e) => {
                warning!(
                    "Client {}: undecodable request on stream {stream_id}: {e}",
                    self.peer
                );
                self.reply(stream_id, Status::new(Code::InvalidArgument, e.to_string()));
                return None;
            }
        };
        if let Some(token) = &self.agent.policy.token
            && !req.metadata.iter().any(|kv| {
                kv.key == ttrpc::AUTH_METADATA_KEY
                    && constant_time_eq(kv.value.as_bytes(), token.as_bytes())
            })
        {
            warning!(
                "Client {}: {}/{} without a valid token refused",
                self.peer,
                req.service,
                req.method
            );
            self.reply(
                stream_id,
                Status::new(
                    Code::Unauthenticated,
                    "this agent requires a token (ttrpc metadata `authorization`; the plugin \
                     sends VACCEL_RPC_TOKEN)",
                ),
            );
            return None;
        }
        if req.service == ext::EXT_SERVICE
            && fl & flags::REMOTE_OPEN == 0
            && req.method == ext::GENOP_SHM
        {
            let shm = decode::<ext::ShmGenopRequest>(req.payload).and_then(|r| {
                let n = r.fds as usize;
                if n > ext::MAX_SHM_FDS || n > fds.len() {
                    return Err(Status::new(
                        Code::InvalidArgument,
                        format!(
                            "GenopShm: {n} descriptors announced, {} received (at most {})",
                            fds.len(),
                            ext::MAX_SHM_FDS
                        ),
                    ));
                }
                Ok((r, fds.drain(..n).collect::<Vec<_>>()))
            });
            return match shm {
                Ok((req, fds)) => Some(Job::Shm {
                    stream_id,
                    req,
                    fds,
                }),
                Err(status) => {
                    self.reply(stream_id, status);
                    None
                }
            };
        }
        if req.service == ext::EXT_SERVICE
            && fl & flags::REMOTE_OPEN == 0
            && [ext::CAPABILITIES, ext::REGISTER_RESOURCE].contains(&req.method.as_str())
        {
            return Some(Job::Ext {
                stream_id,
                method: req.method,
                body: req.payload,
            });
        }
        let (Some(service), Some(method)) = (
            Service::from_name(&req.service),
            Method::from_name(&req.method),
        ) else {
            warning!(
                "Client {}: unknown method /{}/{}",
                self.peer,
                req.service,
                req.method
            );
            self.reply(stream_id, unknown(&req.service, &req.method));
            return None;
        };
        if fl & flags::REMOTE_OPEN != 0 {
            if !method.is_client_streaming() {
                self.reply(
                    stream_id,
                    Status::new(
                        Code::InvalidArgument,
                        format!("{} is not a client-streaming method", method.path(service)),
                    ),
                );
                return None;
            }
            if streams.len() >= MAX_IN_FLIGHT {
                self.reply(
                    stream_id,
                    Status::new(
                        Code::ResourceExhausted,
                        format!("too many open streams (at most {MAX_IN_FLIGHT})"),
                    ),
                );
                return None;
            }
            let mut open = OpenStream {
                assembler: StreamAssembler::new(self.agent.max_stream),
                failed: None,
            };
            if fl & flags::NO_DATA == 0 && !req.payload.is_empty() {
                match decode::<genop::Request>(req.payload) {
                    Ok(m) => open.failed = open.assembler.push(m).err(),
                    Err(s) => open.failed = Some(s),
                }
                open.release_if_failed(&self.peer, stream_id);
            }
            streams.insert(stream_id, open);
            return None;
        }
        let ttrpc::Request { payload: body, .. } = req;
        Some(Job::Unary {
            stream_id,
            service,
            method,
            body,
            frame: payload,
        })
    }

    /// Runs a method of the extension service.
    fn dispatch_ext(&self, method: &str, body: Bytes) -> Result<Vec<Bytes>, Status> {
        match method {
            ext::CAPABILITIES => {
                let req: ext::CapabilitiesRequest = decode(body)?;
                let supported = req
                    .offered
                    .into_iter()
                    .filter(|c| {
                        (c == ext::CAP_BLOB_CACHE && self.agent.cache.enabled())
                            || (c == ext::CAP_SHM && self.unix)
                    })
                    .collect();
                let resp = ext::CapabilitiesResponse { supported };
                Ok(vec![Bytes::from(resp.encode_to_vec())])
            }
            ext::REGISTER_RESOURCE => {
                let req: ext::RegisterRequest = decode(body)?;
                let base = self.agent.cache.resolve(req)?;
                one(self.agent.register_resource(&self.owner, base))
            }
            _ => Err(unknown(ext::EXT_SERVICE, method)),
        }
    }

    fn on_data(
        &self,
        streams: &mut HashMap<u32, OpenStream>,
        stream_id: u32,
        fl: u8,
        payload: Bytes,
    ) -> Option<Job> {
        let Some(open) = streams.get_mut(&stream_id) else {
            self.reply(
                stream_id,
                Status::new(Code::InvalidArgument, "Stream is no longer active"),
            );
            return None;
        };
        if fl & flags::NO_DATA == 0 && open.failed.is_none() {
            match decode::<genop::Request>(payload.clone()) {
                Ok(m) => open.failed = open.assembler.push(m).err(),
                Err(s) => open.failed = Some(s),
            }
            open.release_if_failed(&self.peer, stream_id);
        }
        if fl & flags::REMOTE_CLOSED == 0 {
            return None;
        }
        let open = streams.remove(&stream_id)?;
        if !payload.is_empty() && fl & flags::NO_DATA != 0 {
            self.reply(
                stream_id,
                Status::new(Code::InvalidArgument, "data close message must be empty"),
            );
            return None;
        }
        if let Some(status) = open.failed {
            self.reply(stream_id, status);
            return None;
        }
        Some(Job::Stream {
            stream_id,
            call: open.assembler.finish(),
        })
    }
}

/// Calls running in the whole agent, answer included: a shutdown waits for them
/// ([`drain`]).
static CALLS_IN_FLIGHT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One running call, counted in [`CALLS_IN_FLIGHT`] until dropped (also on a panic).
struct InFlight;

impl InFlight {
    fn start() -> InFlight {
        CALLS_IN_FLIGHT.fetch_add(1, Ordering::AcqRel);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        CALLS_IN_FLIGHT.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Waits until no call runs (each has sent its answer) or `limit` passes; the calls still
/// running then. The agent stops accepting connections before it drains.
pub fn drain(limit: Duration) -> usize {
    let deadline = std::time::Instant::now() + limit;
    loop {
        let n = CALLS_IN_FLIGHT.load(Ordering::Acquire);
        if n == 0 || std::time::Instant::now() >= deadline {
            return n;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Byte equality whose time does not depend on where the inputs differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The watcher's tick: a call that has held its connection's reader role this long gets its
/// connection armed. Short enough for calls worth running concurrently (inference, large
/// copies); long enough that under load, when calls of many connections wait for a core, the
/// ordinary short ones are not armed (a 1 ms tick armed most calls with 16 clients on 2 cores
/// and cost a third of the throughput).
const TICK_MS: u64 = 10;
/// Ticks without any running call after which the watcher sleeps until the next call starts.
const IDLE_TICKS: u32 = 200;

/// Milliseconds since the first call of this function (a monotonic clock).
fn now_ms() -> u64 {
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_millis() as u64
}

/// The process-wide epoll set of connections whose calls run long, and the thread that watches
/// it: a request arriving on an armed connection gets a reader (see the module docs).
///
/// Arming every connection for every call would cost two `epoll_ctl` calls per call; instead the
/// watcher ticks every [`TICK_MS`] while calls run, and arms only the connections whose reader
/// role has been given up for a tick or more. Calls shorter than that never touch the epoll set.
/// After [`IDLE_TICKS`] ticks without a running call the watcher stops ticking and sleeps until a
/// call starts ([`Watcher::busy`] kicks it through an eventfd, once).
struct Watcher {
    epoll: OwnedFd,
    kick: OwnedFd,
    /// The watcher sleeps without a timeout.
    asleep: std::sync::atomic::AtomicBool,
    next_id: AtomicU64,
    conns: Mutex<HashMap<u64, Weak<Conn>>>,
}

/// The epoll data of the watcher's eventfd.
const KICK: u64 = 0;

impl Watcher {
    fn get() -> &'static Watcher {
        static W: OnceLock<Watcher> = OnceLock::new();
        W.get_or_init(|| {
            // SAFETY: plain epoll_create1 / eventfd calls; the results are checked.
            let (raw, kick) = unsafe {
                (
                    libc::epoll_create1(libc::EPOLL_CLOEXEC),
                    libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK),
                )
            };
            assert!(
                raw >= 0 && kick >= 0,
                "epoll_create1/eventfd: {}",
                std::io::Error::last_os_error()
            );
            // SAFETY: fresh descriptors nothing else owns.
            let (epoll, kick) = unsafe { (OwnedFd::from_raw_fd(raw), OwnedFd::from_raw_fd(kick)) };
            let w = Watcher {
                epoll,
                kick,
                asleep: std::sync::atomic::AtomicBool::new(true),
                next_id: AtomicU64::new(1),
                conns: Mutex::new(HashMap::new()),
            };
            w.ctl(
                libc::EPOLL_CTL_ADD,
                w.kick.as_raw_fd(),
                KICK,
                libc::EPOLLIN as u32,
            );
            std::thread::Builder::new()
                .name("vaccel-watch".into())
                .spawn(Watcher::run)
                .expect("cannot start the connection watcher thread");
            w
        })
    }

    /// A call starts: make sure the watcher ticks.
    fn busy(&self) {
        if self.asleep.load(Ordering::Relaxed) && self.asleep.swap(false, Ordering::AcqRel) {
            let one: u64 = 1;
            // SAFETY: writes 8 bytes from `one` to the eventfd.
            unsafe { libc::write(self.kick.as_raw_fd(), (&raw const one).cast(), 8) };
        }
    }

    fn run() {
        let w = Watcher::get();
        let epfd = w.epoll.as_raw_fd();
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; 64];
        let mut quiet = 0u32;
        loop {
            let timeout = if w.asleep.load(Ordering::Acquire) {
                -1
            } else {
                TICK_MS as libc::c_int
            };
            // SAFETY: `events` is a writable array of 64 epoll_event; `epfd` stays open for the
            // life of the process (the watcher is a static).
            let n = unsafe { libc::epoll_wait(epfd, events.as_mut_ptr(), 64, timeout) };
            if n < 0 {
                if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                warning!("epoll_wait: {}", std::io::Error::last_os_error());
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            // The log lines of the calls answered since the last tick.
            crate::log::drain();
            for ev in &events[..n as usize] {
                let id = ev.u64;
                if id == KICK {
                    let mut v: u64 = 0;
                    // SAFETY: reads 8 bytes into `v` from the eventfd.
                    unsafe { libc::read(w.kick.as_raw_fd(), (&raw mut v).cast(), 8) };
                    quiet = 0;
                    crate::log::set_batching(true);
                    continue;
                }
                let conn = lock(&w.conns).get(&id).and_then(Weak::upgrade);
                if let Some(conn) = conn {
                    conn.on_readable();
                }
            }
            if w.asleep.load(Ordering::Acquire) {
                continue;
            }
            let now = now_ms();
            let conns: Vec<Arc<Conn>> = lock(&w.conns).values().filter_map(Weak::upgrade).collect();
            let mut running = false;
            for c in &conns {
                running |= c.arm_if_slow(now);
            }
            drop(conns);
            if running {
                quiet = 0;
            } else {
                quiet += 1;
                if quiet >= IDLE_TICKS {
                    // Sleep until the next call starts. A call that started just before this
                    // store is seen by the next scan: `busy` then finds the flag set and kicks.
                    w.asleep.store(true, Ordering::Release);
                    crate::log::set_batching(false);
                    quiet = 0;
                    let now = now_ms();
                    let conns: Vec<Arc<Conn>> =
                        lock(&w.conns).values().filter_map(Weak::upgrade).collect();
                    if conns.iter().any(|c| c.arm_if_slow(now)) {
                        w.asleep.store(false, Ordering::Release);
                        crate::log::set_batching(true);
                    }
                }
            }
        }
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, id: u64, events: u32) {
        let mut ev = libc::epoll_event { events, u64: id };
        // SAFETY: `ev` is a valid epoll_event; `fd` is the connection's open socket.
        let rc = unsafe { libc::epoll_ctl(self.epoll.as_raw_fd(), op, fd, &mut ev) };
        if rc < 0 && op != libc::EPOLL_CTL_DEL {
            warning!("epoll_ctl: {}", std::io::Error::last_os_error());
        }
    }

    /// Registers a connection, disarmed.
    fn add(&self, conn: &Arc<Conn>) {
        lock(&self.conns).insert(conn.id, Arc::downgrade(conn));
        self.ctl(
            libc::EPOLL_CTL_ADD,
            conn.sock.as_raw_fd(),
            conn.id,
            libc::EPOLLONESHOT as u32,
        );
    }

    /// Arms (one readable event, then disarmed again by the kernel) or disarms a connection.
    fn set(&self, fd: RawFd, id: u64, armed: bool) {
        let events = if armed {
            (libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLONESHOT) as u32
        } else {
            libc::EPOLLONESHOT as u32
        };
        self.ctl(libc::EPOLL_CTL_MOD, fd, id, events);
    }

    fn remove(&self, fd: RawFd, id: u64) {
        self.ctl(libc::EPOLL_CTL_DEL, fd, id, 0);
        lock(&self.conns).remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(f: &OutFrame) -> Vec<u8> {
        f.iter().flat_map(|b| b.iter().copied()).collect()
    }

    #[test]
    fn success_frames_match_the_vectors() {
        // C2: CreateResponse{session_id: 1} on stream 1.
        let f = response_frame(1, Ok(vec![Bytes::from_static(&[0x08, 0x01])]));
        assert_eq!(f.len(), 1, "one write for a small frame");
        assert_eq!(
            flat(&f),
            [
                0, 0, 0, 6, 0, 0, 0, 1, 2, 0, 0x0a, 0x00, 0x12, 0x02, 0x08, 0x01
            ]
        );
        // D3: empty response.
        assert_eq!(
            flat(&response_frame(5, Ok(vec![]))),
            [0, 0, 0, 2, 0, 0, 0, 5, 2, 0, 0x0a, 0x00]
        );
        // Matches prost for a large payload split in segments.
        let big = Bytes::from(vec![9u8; 200_000]);
        let f = response_frame(3, Ok(vec![Bytes::from_static(b"ab"), big.clone()]));
        let mut payload = b"ab".to_vec();
        payload.extend_from_slice(&big);
        let want = FrameCodec::default()
            .encode_message(
                3,
                FrameType::Response,
                0,
                &ttrpc::Response {
                    status: Some(Status::default()),
                    payload: payload.into(),
                },
            )
            .unwrap();
        assert_eq!(flat(&f), want);
    }

    #[test]
    fn unknown_answers() {
        assert_eq!(
            unknown("vaccel.sync.agent.AgentService", "Nope").message,
            "/vaccel.sync.agent.AgentService/Nope does not exist"
        );
        let s = unknown("vaccel.asynchronous.agent.AgentService", "Nope");
        assert_eq!((s.code, s.message.as_str()), (12, "Nope method"));
        assert_eq!(
            unknown("foo.Bar", "CreateSession").message,
            "/foo.Bar/CreateSession does not exist"
        );
    }
}
