//! `vaccel-bench`: one run that measures the vAccel runtime and its RPC transport against the
//! floor of this machine, and prints a markdown table (issue 6, part 1).
//!
//! What it measures, in order:
//!
//! - **Floors**: a 64-byte ping-pong round trip over loopback TCP (`TCP_NODELAY`) and over a unix
//!   socket (p50/p99/p99.9); bulk bandwidth of each with 1 MiB writes; `memcpy` bandwidth.
//! - **Local call**: `vaccel_noop` and a small genop (image classify) through `libvaccel.so.0`
//!   with the noop plugin loaded in this process (the runtime's dispatch overhead).
//! - **RPC**: the real `vaccel-rpc-agent` from the stage tree (noop plugin), spawned by the
//!   benchmark on a loopback TCP port and on a unix socket. Small-op (genop classify) latency with
//!   1, 4 and 16 concurrent raw-frame clients (built on `vaccel-rpc-proto`, one connection and one
//!   session each, waiting for answers as `libvaccel-rpc.so` does: [`vaccel_rpc_proto::wait`]),
//!   with the CPU time per call of the agent and of the clients; the one-client op also with
//!   blocking reads only. The one-client rows run in ten rounds that alternate with rounds of the
//!   raw ping-pong of the same transport (and of a ping-pong whose echo works 1 µs before
//!   answering, for context), so that a ratio's two sides are measured in the same stretch of
//!   time; those interleaved ping-pong figures are the floors printed. The same small op through
//!   `libvaccel-rpc.so` in a child process (a process loads one plugin configuration);
//!   throughput of genop payloads from 4 KiB to 256 MiB, as an argument in (EXEC with an
//!   `INT32_ARRAY` input the noop plugin only reads) and as an echo in and out (EXEC copies its
//!   input into a same-size output); agent and client peak RSS (`VmHWM`, reset through
//!   `/proc/<pid>/clear_refs` before each payload).
//!
//! Every RPC figure is printed with its floor and the ratio to it. Counts and times are bounded;
//! `--quick` is a smoke run of a few seconds (tiny counts, payloads up to 1 MiB) for CI. Nothing
//! here asserts on timings.
//!
//! Usage: `vaccel-bench [--quick] [--stage <dir>] [--only <sections>]` (`<dir>` holds
//! `bin/vaccel-rpc-agent` and `lib/`; default `build/stage`; sections: `small`, `small-tcp`,
//! `small-unix`, `plugin`, `tput`, `cache`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use vaccel_abi::{ArgType, OpType};
use vaccel_rpc_proto::ttrpc::Response;
use vaccel_rpc_proto::wait::AnswerWait;
use vaccel_rpc_proto::{
    Bytes, EncodeSegments, FrameCodec, FrameReader, FrameType, Message, genop, resource, segments,
    session,
};

const SYNC: &str = "vaccel.sync.agent.AgentService";
const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Run bounds.
#[derive(Clone, Copy)]
struct Bounds {
    /// Round trips of a latency measurement (an upper bound; `time` may stop it earlier).
    count: usize,
    /// Time bound of one latency measurement.
    time: Duration,
    /// Bytes of one bulk-bandwidth measurement.
    bulk: usize,
    /// Largest genop payload.
    max_payload: usize,
    /// Bytes moved per payload size (repetitions = this / size, at least 1).
    per_payload: usize,
}

impl Bounds {
    fn new(quick: bool) -> Bounds {
        if quick {
            Bounds {
                count: 300,
                time: Duration::from_millis(150),
                bulk: 16 * MIB,
                max_payload: MIB,
                per_payload: 2 * MIB,
            }
        } else {
            Bounds {
                count: 50_000,
                time: Duration::from_secs(3),
                bulk: 2048 * MIB,
                max_payload: 256 * MIB,
                per_payload: 512 * MIB,
            }
        }
    }
}

/// Latency percentiles, in microseconds.
#[derive(Clone, Copy, Default)]
struct Lat {
    p50: f64,
    p99: f64,
    p999: f64,
    n: usize,
}

fn percentiles(mut ns: Vec<u64>) -> Lat {
    if ns.is_empty() {
        return Lat::default();
    }
    ns.sort_unstable();
    let at = |q: f64| {
        let i = ((ns.len() as f64 * q).ceil() as usize).clamp(1, ns.len()) - 1;
        ns[i] as f64 / 1000.0
    };
    Lat {
        p50: at(0.50),
        p99: at(0.99),
        p999: at(0.999),
        n: ns.len(),
    }
}

/// The untimed warm-up calls of [`time_loop`].
fn warm_up(b: Bounds) -> usize {
    (b.count / 100).clamp(3, 200)
}

/// Times `op` up to `b.count` times or `b.time`, after a short warm-up.
fn time_loop(b: Bounds, mut op: impl FnMut() -> Res<()>) -> Res<Vec<u64>> {
    for _ in 0..warm_up(b) {
        op()?;
    }
    let mut ns = Vec::with_capacity(b.count);
    let start = Instant::now();
    while ns.len() < b.count && start.elapsed() < b.time {
        let t = Instant::now();
        op()?;
        ns.push(t.elapsed().as_nanos() as u64);
    }
    Ok(ns)
}

/// A directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Res<TempDir> {
        let p = std::env::temp_dir().join(format!("vaccel-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p)?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

trait Sock: Read + Write + Send + std::os::fd::AsFd {
    fn shutdown_write(&self) -> std::io::Result<()>;
}
impl Sock for TcpStream {
    fn shutdown_write(&self) -> std::io::Result<()> {
        self.shutdown(std::net::Shutdown::Write)
    }
}
impl Sock for UnixStream {
    fn shutdown_write(&self) -> std::io::Result<()> {
        self.shutdown(std::net::Shutdown::Write)
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Transport {
    Tcp,
    Unix,
}

impl Transport {
    fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Unix => "unix",
        }
    }
}

/// A connected pair of sockets of `t` (client, server).
fn socket_pair(t: Transport, dir: &Path) -> Res<(Box<dyn Sock>, Box<dyn Sock>)> {
    match t {
        Transport::Tcp => {
            let l = TcpListener::bind("127.0.0.1:0")?;
            let c = TcpStream::connect(l.local_addr()?)?;
            let (s, _) = l.accept()?;
            c.set_nodelay(true)?;
            s.set_nodelay(true)?;
            Ok((Box::new(c), Box::new(s)))
        }
        Transport::Unix => {
            let p = dir.join("floor.sock");
            let _ = std::fs::remove_file(&p);
            let l = UnixListener::bind(&p)?;
            let c = UnixStream::connect(&p)?;
            let (s, _) = l.accept()?;
            Ok((Box::new(c), Box::new(s)))
        }
    }
}

/// A raw 64-byte ping-pong: this thread writes, an echo thread answers.
struct PingPong {
    sock: Box<dyn Sock>,
    echo: Option<std::thread::JoinHandle<()>>,
}

impl PingPong {
    fn start(t: Transport, dir: &Path) -> Res<PingPong> {
        PingPong::with_work(t, dir, Duration::ZERO)
    }

    /// A ping-pong whose echo thread spins for `work` before each answer (context for the RPC
    /// rows: any work between a read and the answer lets the waiting side's core go idle).
    fn with_work(t: Transport, dir: &Path, work: Duration) -> Res<PingPong> {
        let (sock, mut s) = socket_pair(t, dir)?;
        let echo = std::thread::spawn(move || {
            let mut buf = [0u8; 64];
            while s.read_exact(&mut buf).is_ok() {
                let start = Instant::now();
                while start.elapsed() < work {
                    std::hint::spin_loop();
                }
                if s.write_all(&buf).is_err() {
                    break;
                }
            }
        });
        Ok(PingPong {
            sock,
            echo: Some(echo),
        })
    }

    /// Round trips in ns, within `b`.
    fn rtts(&mut self, b: Bounds) -> Res<Vec<u64>> {
        let mut buf = [7u8; 64];
        time_loop(b, || {
            self.sock.write_all(&buf)?;
            self.sock.read_exact(&mut buf)?;
            Ok(())
        })
    }
}

impl Drop for PingPong {
    fn drop(&mut self) {
        // The echo thread ends when its read sees the end of the stream.
        let _ = self.sock.shutdown_write();
        if let Some(echo) = self.echo.take() {
            let _ = echo.join();
        }
    }
}

/// Raw 64-byte ping-pong round trip.
fn floor_rtt(t: Transport, dir: &Path, b: Bounds) -> Res<Lat> {
    Ok(percentiles(PingPong::start(t, dir)?.rtts(b)?))
}

/// Raw bulk bandwidth with 1 MiB writes, in MB/s (10^6 bytes per second).
fn floor_bulk(t: Transport, dir: &Path, b: Bounds) -> Res<f64> {
    let (mut c, mut s) = socket_pair(t, dir)?;
    let total = b.bulk;
    let sink = std::thread::spawn(move || -> std::io::Result<()> {
        let mut buf = vec![0u8; MIB];
        let mut got = 0;
        while got < total {
            let n = s.read(&mut buf)?;
            if n == 0 {
                break;
            }
            got += n;
        }
        s.write_all(&[1])
    });
    let buf = vec![5u8; MIB];
    let start = Instant::now();
    let mut sent = 0;
    while sent < total {
        c.write_all(&buf)?;
        sent += buf.len();
    }
    let mut ack = [0u8; 1];
    c.read_exact(&mut ack)?;
    let secs = start.elapsed().as_secs_f64();
    sink.join().map_err(|_| "bulk sink panicked")??;
    Ok(total as f64 / secs / 1e6)
}

/// memcpy bandwidth (64 MiB copies), MB/s.
fn floor_memcpy(b: Bounds) -> f64 {
    let len = 64 * MIB;
    let src = vec![3u8; len];
    let mut dst = vec![0u8; len];
    dst.copy_from_slice(&src);
    let reps = (b.bulk / len).max(2);
    let start = Instant::now();
    for _ in 0..reps {
        dst.copy_from_slice(std::hint::black_box(&src));
        std::hint::black_box(&mut dst);
    }
    (reps * len) as f64 / start.elapsed().as_secs_f64() / 1e6
}

/// `VmHWM` of a process, in KiB.
fn hwm_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time a thread has run, in ns (`/proc/.../schedstat`, first field).
fn schedstat_ns(path: &Path) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// CPU time the live threads of a process have run, in ns.
fn process_cpu_ns(pid: &str) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|tasks| {
            tasks
                .flatten()
                .map(|t| schedstat_ns(&t.path().join("schedstat")))
                .sum()
        })
        .unwrap_or(0)
}

/// Resets the peak RSS of a process (`5` to `clear_refs`; best effort).
fn reset_hwm(pid: &str) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// The agent from the stage tree with the noop plugin; killed on drop.
struct Agent {
    child: Child,
    address: String,
}

impl Agent {
    /// Starts the agent with its log (default level `info`: one line per call, as deployed) going
    /// to a file in `dir`, as a service manager would have it, and waits until it accepts.
    fn start(stage: &Path, address: &str, dir: &Path) -> Res<Agent> {
        let lib = stage.join("lib");
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let log_path = dir.join(format!(
            "agent-{}.log",
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let log = std::fs::File::create(&log_path)?;
        let child = Command::new(stage.join("bin/vaccel-rpc-agent"))
            .arg("-a")
            .arg(address)
            .env("LD_LIBRARY_PATH", &lib)
            .env("VACCEL_PLUGINS", lib.join("libvaccel-noop.so"))
            .env("VACCEL_LOG_LEVEL", "1")
            .env("RUST_LOG", "info")
            // The throughput rows run EXEC genops (the noop plugin loads nothing).
            .env("VACCEL_RPC_AGENT_CONFIG", "exec_allow=*")
            .env_remove("VACCEL_BOOTSTRAP_ENABLED")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()?;
        let mut agent = Agent {
            child,
            address: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        agent.address = loop {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            if let Some(rest) = text.split("Listening on '").nth(1) {
                break rest.split('\'').next().unwrap_or("").to_owned();
            }
            if Instant::now() > deadline || agent.child.try_wait()?.is_some() {
                return Err(format!("the agent did not report its address: {text}").into());
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while agent.connect().is_err() {
            if Instant::now() > deadline {
                return Err("the agent does not accept connections".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(agent)
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    fn connect(&self) -> Res<Client> {
        let (scheme, rest) = self.address.split_once("://").ok_or("address")?;
        let sock: Box<dyn Sock> = if scheme == "unix" {
            Box::new(UnixStream::connect(rest)?)
        } else {
            let s = TcpStream::connect(rest)?;
            s.set_nodelay(true)?;
            Box::new(s)
        };
        Ok(Client {
            sock: FrameReader::new(sock, FrameCodec::default()),
            next: 1,
            sent: 0,
            wait: AnswerWait::from_env(),
        })
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A raw-frame blocking client: one call at a time on its connection. Requests are written as
/// segments with one `writev` (argument bytes referenced, not copied), responses read with a
/// buffered [`FrameReader`].
struct Client {
    sock: FrameReader<Box<dyn Sock>>,
    next: u32,
    /// Bytes written to the socket so far.
    sent: u64,
    /// How answers are waited for: as `libvaccel-rpc.so` does (`VACCEL_RPC_POLL_US`), unless a
    /// row says otherwise.
    wait: AnswerWait,
}

impl Client {
    fn call<M: EncodeSegments, R: Message + Default>(&mut self, method: &str, msg: &M) -> Res<R> {
        self.call_on(SYNC, method, msg)
    }

    fn call_on<M: EncodeSegments, R: Message + Default>(
        &mut self,
        service: &str,
        method: &str,
        msg: &M,
    ) -> Res<R> {
        let id = self.next;
        self.next += 2;
        let segs = segments::request_frame_named(id, service, method, msg, 0)?;
        segments::write_all_vectored(self.sock.get_mut(), &segs)?;
        let sent = Instant::now();
        self.sent += segs.iter().map(|s| s.len() as u64).sum::<u64>();
        drop(segs);
        let waiting =
            (self.sock.buffered() == 0).then(|| self.wait.start(Some(self.sock.get_ref().as_fd())));
        let f = self.sock.read_frame()?.ok_or("connection closed")?;
        drop(waiting);
        self.wait.observed(sent.elapsed());
        if f.stream_id != id {
            return Err("response to another stream".into());
        }
        let resp: Response = f.decode()?;
        if let Some(st) = resp.status.as_ref().filter(|s| s.code != 0) {
            return Err(format!("{method}: status {} {}", st.code, st.message).into());
        }
        Ok(R::decode(resp.payload)?)
    }

    /// A genop through `GenopStream` (§10): the small read arguments in one Data message, each
    /// large one in parts of at most 4 MiB (slices of the argument, not copies), then the write
    /// arguments; one Response at the end.
    fn genop_stream(&mut self, req: &genop::Request) -> Res<genop::Response> {
        use vaccel_rpc_proto::frame::flags;
        const CHUNK: usize = genop::STREAM_MAX_REQ_LEN - 64;
        let id = self.next;
        self.next += 2;
        let open = vaccel_rpc_proto::ttrpc::Request::stream_open(SYNC, "GenopStream");
        let send = |c: &mut Client, segs: Vec<Bytes>| -> Res<()> {
            segments::write_all_vectored(c.sock.get_mut(), &segs)?;
            c.sent += segs.iter().map(|s| s.len() as u64).sum::<u64>();
            Ok(())
        };
        send(
            self,
            vec![Bytes::from(FrameCodec::default().encode_message(
                id,
                FrameType::Request,
                flags::STREAM_OPEN,
                &open,
            )?)],
        )?;
        let msg = |read: Vec<genop::Arg>, write: Vec<genop::Arg>| genop::Request {
            session_id: req.session_id,
            read_args: read,
            write_args: write,
        };
        let mut small = Vec::new();
        let mut large = Vec::new();
        for a in &req.read_args {
            if a.buf.len() > CHUNK {
                large.push(a);
            } else {
                small.push(a.clone());
            }
        }
        send(
            self,
            segments::message_frame(id, FrameType::Data, 0, &msg(small, Vec::new()))?,
        )?;
        for a in large {
            let parts = a.buf.len().div_ceil(CHUNK);
            for i in 0..parts {
                let part = genop::Arg {
                    buf: a.buf.slice(i * CHUNK..((i + 1) * CHUNK).min(a.buf.len())),
                    parts: parts as u32,
                    part_no: i as u32 + 1,
                    ..a.clone()
                };
                send(
                    self,
                    segments::message_frame(id, FrameType::Data, 0, &msg(vec![part], Vec::new()))?,
                )?;
            }
        }
        send(
            self,
            segments::message_frame(
                id,
                FrameType::Data,
                0,
                &msg(Vec::new(), req.write_args.clone()),
            )?,
        )?;
        send(
            self,
            vec![Bytes::from(
                FrameCodec::default().encode(&vaccel_rpc_proto::Frame::stream_close(id))?,
            )],
        )?;
        let f = self.sock.read_frame()?.ok_or("connection closed")?;
        if f.stream_id != id {
            return Err("response to another stream".into());
        }
        let resp: Response = f.decode()?;
        if let Some(st) = resp.status.as_ref().filter(|s| s.code != 0) {
            return Err(format!("GenopStream: status {} {}", st.code, st.message).into());
        }
        Ok(genop::Response::decode(resp.payload)?)
    }

    fn session(&mut self) -> Res<i64> {
        let r: session::CreateResponse =
            self.call("CreateSession", &session::CreateRequest { flags: 0 })?;
        Ok(r.session_id)
    }
}

fn arg(t: ArgType, buf: impl Into<Bytes>) -> genop::Arg {
    genop::Arg::new(t, buf)
}

/// The small op: a genop image classify of a 4-byte image (two 512-byte outputs).
fn small_op(sid: i64) -> genop::Request {
    genop::Request {
        session_id: sid,
        read_args: vec![
            arg(ArgType::Uint8, vec![OpType::ImageClassify as u8]),
            arg(ArgType::Buffer, vec![1u8, 2, 3, 4]),
        ],
        write_args: vec![
            arg(ArgType::UcharArray, vec![0u8; 512]),
            arg(ArgType::UcharArray, vec![0u8; 512]),
        ],
    }
}

/// An EXEC genop on the noop plugin: `input` in, `output` bytes out (the plugin copies the input
/// into the output when the sizes match, and leaves the output alone otherwise).
fn exec_op(sid: i64, input: Bytes, output: usize) -> genop::Request {
    genop::Request {
        session_id: sid,
        read_args: vec![
            arg(ArgType::Uint8, vec![OpType::Exec as u8]),
            arg(ArgType::String, b"libnone.so\0".to_vec()),
            arg(ArgType::String, b"none\0".to_vec()),
            arg(ArgType::Int32Array, input),
        ],
        write_args: vec![arg(ArgType::Int32Array, vec![0u8; output])],
    }
}

/// `RegisterResource` of one in-memory blob (a DATA resource), by value or, through the
/// extension, with its digest (and without its bytes when `by_digest`).
fn register_req(sid: i64, data: Bytes, by_digest: bool) -> resource::RegisterRequest {
    resource::RegisterRequest {
        blobs: vec![resource::Blob {
            type_: 1,
            name: "model.bin".into(),
            size: data.len() as u32,
            data: if by_digest { Bytes::new() } else { data },
        }],
        resource_type: 1,
        session_id: sid,
        ..Default::default()
    }
}

fn unregister(c: &mut Client, sid: i64, rid: i64) -> Res<()> {
    let _: vaccel_rpc_proto::empty::Empty = c.call(
        "UnregisterResource",
        &resource::UnregisterRequest {
            resource_id: rid,
            session_id: sid,
        },
    )?;
    Ok(())
}

/// One registration through the blob-cache extension, as the plugin does it: by digest first,
/// with the bytes after a miss. Returns the bytes written, the time and the resource id.
fn register_cached(c: &mut Client, sid: i64, data: &Bytes, digest: &Bytes) -> Res<(u64, f64, i64)> {
    use vaccel_rpc_proto::ext;
    let sent = c.sent;
    let t = Instant::now();
    let req = |by_digest| ext::RegisterRequest {
        request: Some(register_req(sid, data.clone(), by_digest)),
        digests: vec![digest.clone()],
    };
    let r: resource::RegisterResponse =
        match c.call_on(ext::EXT_SERVICE, ext::REGISTER_RESOURCE, &req(true)) {
            Ok(r) => r,
            Err(e) if e.to_string().contains(ext::NOT_CACHED) => {
                c.call_on(ext::EXT_SERVICE, ext::REGISTER_RESOURCE, &req(false))?
            }
            Err(e) => return Err(e),
        };
    Ok((c.sent - sent, t.elapsed().as_secs_f64(), r.resource_id))
}

/// The resource cache: the same 64 MiB model (16 MiB in `--quick`) registered twice through the
/// extension. Rows: (what, bytes sent, ms).
fn rpc_cache(agent: &Agent, b: Bounds) -> Res<Vec<(String, u64, f64)>> {
    use vaccel_rpc_proto::ext;
    let size = if b.max_payload >= 64 * MIB {
        64 * MIB
    } else {
        b.max_payload
    };
    let mut c = agent.connect()?;
    let caps: ext::CapabilitiesResponse = c.call_on(
        ext::EXT_SERVICE,
        ext::CAPABILITIES,
        &ext::CapabilitiesRequest {
            offered: vec![ext::CAP_BLOB_CACHE.into()],
        },
    )?;
    if !caps.supported.iter().any(|s| s == ext::CAP_BLOB_CACHE) {
        return Err("the agent does not offer the blob cache".into());
    }
    let sid = c.session()?;
    // A model nobody registered before (the run's pid in it).
    let mut v: Vec<u8> = (0..size).map(|i| (i * 13 + 5) as u8).collect();
    v[..4].copy_from_slice(&std::process::id().to_le_bytes());
    let data = Bytes::from(v);
    let t = Instant::now();
    let digest = Bytes::copy_from_slice(&ext::sha256(&data));
    let hash_ms = t.elapsed().as_secs_f64() * 1e3;
    let name = size_name(size);
    let mut rows = vec![(format!("client SHA-256 of the {name} model"), 0, hash_ms)];
    for n in ["first", "second"] {
        let (bytes, secs, rid) = register_cached(&mut c, sid, &data, &digest)?;
        rows.push((
            format!("{n} registration of the {name} model"),
            bytes,
            secs * 1e3,
        ));
        unregister(&mut c, sid, rid)?;
    }
    let t = Instant::now();
    let r: resource::RegisterResponse =
        c.call("RegisterResource", &register_req(sid, data.clone(), false))?;
    rows.push((
        format!("plain RegisterResource of the {name} model (no extension)"),
        data.len() as u64,
        t.elapsed().as_secs_f64() * 1e3,
    ));
    unregister(&mut c, sid, r.resource_id)?;
    Ok(rows)
}

/// Small-op figures with `k` concurrent clients.
#[derive(Clone, Copy)]
struct Small {
    /// Merged percentiles of all clients' calls.
    lat: Lat,
    /// Calls per second, all clients together.
    cps: f64,
    /// CPU time per call of the agent and of the clients (µs): what the transport costs beyond
    /// the wake-ups of the round trip.
    agent_cpu_us: f64,
    client_cpu_us: f64,
}

impl Small {
    /// From the timed calls' latencies (ns) and the wall time they took, and the agent's and
    /// the clients' CPU time (ns) over `calls` calls (warm-up included).
    fn new(
        ns: Vec<u64>,
        wall: Duration,
        (agent_cpu, client_cpu): (u64, u64),
        calls: usize,
    ) -> Small {
        let calls = calls.max(1) as f64;
        Small {
            cps: ns.len() as f64 / wall.as_secs_f64(),
            lat: percentiles(ns),
            agent_cpu_us: agent_cpu as f64 / calls / 1e3,
            client_cpu_us: client_cpu as f64 / calls / 1e3,
        }
    }
}

/// Small-op latency with `k` concurrent clients: merged percentiles and calls per second.
fn rpc_small(agent: &Agent, k: usize, b: Bounds) -> Res<Small> {
    let mut clients = Vec::new();
    for _ in 0..k {
        let mut c = agent.connect()?;
        let sid = c.session()?;
        clients.push((c, sid));
    }
    let per = Bounds {
        count: b.count / k.min(4),
        ..b
    };
    let barrier = Arc::new(Barrier::new(k + 1));
    let all = Arc::new(Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for (mut c, sid) in clients {
        let barrier = barrier.clone();
        let all = all.clone();
        // Each client is handed back, so that its connection (and the agent thread serving it,
        // whose CPU time is counted) outlives the measurement.
        handles.push(std::thread::spawn(
            move || -> Res<(usize, Duration, u64, Client)> {
                let req = small_op(sid);
                for _ in 0..3 {
                    let _: genop::Response = c.call("Genop", &req)?;
                }
                barrier.wait();
                let me = Path::new("/proc/thread-self/schedstat");
                let cpu = schedstat_ns(me);
                let start = Instant::now();
                let ns = time_loop(per, || {
                    let _: genop::Response = c.call("Genop", &req)?;
                    Ok(())
                })?;
                let cpu = schedstat_ns(me) - cpu;
                let n = ns.len();
                all.lock().map_err(|_| "poisoned")?.extend(ns);
                Ok((n, start.elapsed(), cpu, c))
            },
        ));
    }
    let agent_cpu = process_cpu_ns(&agent.pid());
    barrier.wait();
    let mut calls = 0;
    let mut wall = Duration::ZERO;
    let mut client_cpu = 0;
    let mut open = Vec::new();
    for h in handles {
        let (n, d, cpu, c) = h.join().map_err(|_| "client panicked")??;
        calls += n;
        wall = wall.max(d);
        client_cpu += cpu;
        open.push(c);
    }
    let agent_cpu = process_cpu_ns(&agent.pid()).saturating_sub(agent_cpu);
    drop(open);
    let ns = std::mem::take(&mut *all.lock().map_err(|_| "poisoned")?);
    // The warm-up calls of time_loop are in the CPU times, not in `calls`.
    Ok(Small::new(
        ns,
        wall,
        (agent_cpu, client_cpu),
        calls + k * warm_up(per),
    ))
}

/// Rounds of [`rpc_one_vs_floor`].
const ROUNDS: usize = 10;

/// Busy work of the echo in the context ping-pong.
const ECHO_WORK: Duration = Duration::from_micros(1);

/// The small op with one client, measured in rounds that alternate with rounds of the raw
/// ping-pong of the same transport and of the ping-pong whose echo works [`ECHO_WORK`] before
/// answering: all percentiles then come from the same stretch of time, so that what else runs
/// on the machine weighs on the ratio's two sides alike. Returns the two ping-pongs' latencies
/// and the small op's figures.
fn rpc_one_vs_floor(agent: &Agent, t: Transport, dir: &Path, b: Bounds) -> Res<OneClient> {
    let mut floor = PingPong::start(t, dir)?;
    let mut worked = PingPong::with_work(t, dir, ECHO_WORK)?;
    let mut polling = agent.connect()?;
    let mut blocking = agent.connect()?;
    blocking.wait = AnswerWait::new(Duration::ZERO);
    let mut rpc = [
        RpcRounds::new(&mut polling)?,
        RpcRounds::new(&mut blocking)?,
    ];
    let round = Bounds {
        count: (b.count / ROUNDS).max(1),
        time: b.time / ROUNDS as u32,
        ..b
    };
    let (mut floor_ns, mut worked_ns) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        floor_ns.extend(floor.rtts(round)?);
        worked_ns.extend(worked.rtts(round)?);
        for r in &mut rpc {
            r.round(agent, round)?;
        }
    }
    let [polling, blocking] = rpc.map(RpcRounds::figures);
    Ok(OneClient {
        floor: percentiles(floor_ns),
        worked: percentiles(worked_ns),
        polling,
        blocking,
    })
}

/// What [`rpc_one_vs_floor`] measures.
struct OneClient {
    floor: Lat,
    worked: Lat,
    /// The small op waiting for answers as `libvaccel-rpc.so` does by default.
    polling: Small,
    /// The same with blocking reads only (`VACCEL_RPC_POLL_US=0`).
    blocking: Small,
}

/// Rounds of the small op on one client, with the CPU time they cost.
struct RpcRounds<'c> {
    client: &'c mut Client,
    req: genop::Request,
    ns: Vec<u64>,
    agent_cpu: u64,
    client_cpu: u64,
    /// Calls made, warm-up included.
    calls: usize,
    wall: Duration,
}

impl<'c> RpcRounds<'c> {
    fn new(client: &'c mut Client) -> Res<RpcRounds<'c>> {
        let sid = client.session()?;
        Ok(RpcRounds {
            client,
            req: small_op(sid),
            ns: Vec::new(),
            agent_cpu: 0,
            client_cpu: 0,
            calls: 0,
            wall: Duration::ZERO,
        })
    }

    fn round(&mut self, agent: &Agent, b: Bounds) -> Res<()> {
        let me = Path::new("/proc/thread-self/schedstat");
        let (a, cpu, start) = (
            process_cpu_ns(&agent.pid()),
            schedstat_ns(me),
            Instant::now(),
        );
        let (c, req) = (&mut *self.client, &self.req);
        let r = time_loop(b, || {
            let _: genop::Response = c.call("Genop", req)?;
            Ok(())
        })?;
        self.wall += start.elapsed();
        self.client_cpu += schedstat_ns(me) - cpu;
        self.agent_cpu += process_cpu_ns(&agent.pid()).saturating_sub(a);
        self.calls += r.len() + warm_up(b);
        self.ns.extend(r);
        Ok(())
    }

    fn figures(self) -> Small {
        Small::new(
            self.ns,
            self.wall,
            (self.agent_cpu, self.client_cpu),
            self.calls,
        )
    }
}

/// One throughput row.
struct Tput {
    mode: &'static str,
    size: usize,
    mbps: f64,
    agent_hwm: u64,
    client_hwm: u64,
}

/// Genop payload throughput: payload bytes per second (in: the argument; echo: argument in plus
/// the same bytes out), with the agent's and this process's peak RSS.
/// A genop through the shared-memory extension: `mem` holds the input at 0 and, for an echo, the
/// output at `size`; only the descriptor and the request's small fields cross the socket.
fn genop_shm(
    c: &mut Client,
    sid: i64,
    mem: &vaccel_rpc_proto::segments::SharedMem,
    size: usize,
    echo: bool,
) -> Res<genop::Response> {
    use vaccel_rpc_proto::ext;
    let id = c.next;
    c.next += 2;
    let sized = |n: usize| genop::Arg {
        size: n as u32,
        ..arg(ArgType::Int32Array, Vec::new())
    };
    let mut shm = vec![ext::ShmArg {
        write: false,
        index: 3,
        fd: 0,
        offset: 0,
        len: size as u64,
    }];
    let write = if echo {
        shm.push(ext::ShmArg {
            write: true,
            index: 0,
            fd: 0,
            offset: size as u64,
            len: size as u64,
        });
        sized(size)
    } else {
        arg(ArgType::Int32Array, vec![0u8; 4])
    };
    let mut req = exec_op(sid, Bytes::new(), 0);
    req.read_args[3] = sized(size);
    req.write_args = vec![write];
    let req = ext::ShmGenopRequest {
        request: Some(req),
        shm,
        fds: 1,
    };
    let segs = segments::request_frame_named(id, ext::EXT_SERVICE, ext::GENOP_SHM, &req, 0)?;
    segments::send_with_fds(c.sock.get_ref().as_fd(), &segs, &[mem.fd()])?;
    c.sent += segs.iter().map(|s| s.len() as u64).sum::<u64>();
    let f = c.sock.read_frame()?.ok_or("connection closed")?;
    if f.stream_id != id {
        return Err("response to another stream".into());
    }
    let resp: Response = f.decode()?;
    if let Some(st) = resp.status.as_ref().filter(|s| s.code != 0) {
        return Err(format!("GenopShm: status {} {}", st.code, st.message).into());
    }
    Ok(genop::Response::decode(resp.payload)?)
}

fn rpc_tput(agent: &Agent, b: Bounds) -> Res<Vec<Tput>> {
    let mut c = agent.connect()?;
    let sid = c.session()?;
    let mut rows = Vec::new();
    let mut size = 4 * KIB;
    while size <= b.max_payload {
        let input = Bytes::from((0..size).map(|i| i as u8).collect::<Vec<u8>>());
        let reps = (b.per_payload / size).clamp(1, 2000);
        let mut modes = vec![("in", 4, 1.0), ("echo", size, 2.0), ("register", 0, 1.0)];
        // Shared memory (unix): the input already lives in a memfd (a tensor arena), the
        // agent maps it once per connection and only the descriptor crosses per call.
        // (On a connection of its own, as an application with a tensor arena would have it: the
        // agent's mapping of the arena lives as long as that connection, this size's rows.)
        let mut mem = None;
        if agent.address.starts_with("unix://") {
            let mut m = vaccel_rpc_proto::segments::SharedMem::new(2 * size)?;
            m.as_mut_slice()[..size].copy_from_slice(&input);
            let mut sc = agent.connect()?;
            let ssid = sc.session()?;
            mem = Some((m, sc, ssid));
            modes.push(("shm in", 4, 1.0));
            modes.push(("shm echo", size, 2.0));
        }
        if size >= 16 * MIB {
            modes.insert(0, ("stream in", 4, 1.0));
        }
        for (mode, out, factor) in modes {
            // Shared memory: at least 5 calls, so that the median is the steady state (the
            // first call maps the memfd).
            let reps = if mode.starts_with("shm") {
                reps.max(5)
            } else {
                reps
            };
            reset_hwm(&agent.pid());
            reset_hwm("self");
            let mut best = f64::MAX;
            let mut times = Vec::new();
            for _ in 0..reps {
                if let (Some((m, sc, ssid)), true) = (&mut mem, mode.starts_with("shm")) {
                    let t = Instant::now();
                    let r = genop_shm(sc, *ssid, m, size, out == size)?;
                    times.push(t.elapsed().as_secs_f64());
                    if out == size
                        && (r.write_args.first().map(|a| a.size) != Some(size as u32)
                            || m.as_slice()[size..2 * size] != input[..])
                    {
                        return Err("shm echo returned wrong data".into());
                    }
                    continue;
                }
                if mode == "register" {
                    let req = register_req(sid, input.clone(), false);
                    let t = Instant::now();
                    let r: resource::RegisterResponse = c.call("RegisterResource", &req)?;
                    let d = t.elapsed().as_secs_f64();
                    drop(req);
                    unregister(&mut c, sid, r.resource_id)?;
                    times.push(d);
                    continue;
                }
                let req = exec_op(sid, input.clone(), out);
                let t = Instant::now();
                let r: genop::Response = if mode == "stream in" {
                    c.genop_stream(&req)?
                } else {
                    c.call("Genop", &req)?
                };
                let d = t.elapsed().as_secs_f64();
                drop(req);
                if out == size && r.write_args.first().map(|a| a.buf.len()) != Some(size) {
                    return Err("echo returned a wrong size".into());
                }
                drop(r);
                times.push(d);
                best = best.min(d);
            }
            times.sort_by(f64::total_cmp);
            let median = times[times.len() / 2];
            rows.push(Tput {
                mode,
                size,
                mbps: factor * size as f64 / median / 1e6,
                agent_hwm: hwm_kib(&agent.pid()),
                client_hwm: hwm_kib("self"),
            });
        }
        size *= 4;
    }
    Ok(rows)
}

/// The local call: `vaccel_noop` and the small genop through libvaccel with the noop plugin.
fn local_call(stage: &Path, b: Bounds) -> Res<(Lat, Lat)> {
    let lib = stage.join("lib");
    // SAFETY: `set_var` is called before any other thread of this process reads the environment
    // concurrently; the floors' threads have all been joined.
    unsafe {
        std::env::set_var("VACCEL_PLUGINS", lib.join("libvaccel-noop.so"));
        std::env::set_var("VACCEL_LOG_LEVEL", "1");
    }
    let v = vaccel::Vaccel::open_path(&lib.join("libvaccel.so.0").display().to_string())?;
    let mut s = v.session(0)?;
    let noop = time_loop(b, || Ok(s.noop()?))?;
    let mut read = [
        vaccel::Arg::op(OpType::ImageClassify),
        vaccel::Arg::new(ArgType::Buffer, vec![1u8, 2, 3, 4]),
    ];
    let mut write = [
        vaccel::Arg::output(ArgType::UcharArray, 512),
        vaccel::Arg::output(ArgType::UcharArray, 512),
    ];
    let classify = time_loop(b, || Ok(s.genop(&mut read, &mut write)?))?;
    drop(s);
    // The runtime stays loaded: unloading libvaccel with plugins registered is not supported.
    std::mem::forget(v);
    Ok((percentiles(noop), percentiles(classify)))
}

/// Child mode: the small op through `libvaccel-rpc.so`; prints `p50 p99 p999 n`.
fn plugin_child(stage: &Path, b: Bounds) -> Res<()> {
    let lib = stage.join("lib");
    let v = vaccel::Vaccel::open_path(&lib.join("libvaccel.so.0").display().to_string())?;
    let mut s = v.session(0)?;
    let mut read = [
        vaccel::Arg::op(OpType::ImageClassify),
        vaccel::Arg::new(ArgType::Buffer, vec![1u8, 2, 3, 4]),
    ];
    let mut write = [
        vaccel::Arg::output(ArgType::UcharArray, 512),
        vaccel::Arg::output(ArgType::UcharArray, 512),
    ];
    let l = percentiles(time_loop(b, || Ok(s.genop(&mut read, &mut write)?))?);
    println!("{} {} {} {}", l.p50, l.p99, l.p999, l.n);
    // A large echo (64 MiB; `--quick`: the largest payload): through shared memory on a unix
    // socket (the plugin copies into its arena and back), through the socket on tcp.
    let size = b.max_payload.min(64 * MIB);
    let mut read = [
        vaccel::Arg::op(OpType::Exec),
        vaccel::Arg::new(ArgType::String, b"libnone.so\0".to_vec()),
        vaccel::Arg::new(ArgType::String, b"none\0".to_vec()),
        vaccel::Arg::new(ArgType::Int32Array, vec![9u8; size]),
    ];
    let mut write = [vaccel::Arg::output(ArgType::Int32Array, size)];
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        s.genop(&mut read, &mut write)?;
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    println!("{}", 2.0 * size as f64 / times[times.len() / 2] / 1e6);
    drop(s);
    std::mem::forget(v);
    Ok(())
}

/// Runs [`plugin_child`] in a child process against `agent`.
fn via_plugin(stage: &Path, agent: &Agent, quick: bool) -> Res<(Lat, f64)> {
    let lib = stage.join("lib");
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("--plugin-child")
        .arg("--stage")
        .arg(stage)
        .env("VACCEL_PLUGINS", lib.join("libvaccel-rpc.so"))
        .env("VACCEL_RPC_ADDRESS", &agent.address)
        .env("VACCEL_LOG_LEVEL", "1")
        .stderr(Stdio::inherit());
    if quick {
        cmd.arg("--quick");
    }
    let out = cmd.output()?;
    if !out.status.success() {
        return Err(format!("plugin child failed: {}", out.status).into());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Vec<f64> = text
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    if f.len() != 5 {
        return Err(format!("plugin child printed {text:?}").into());
    }
    Ok((
        Lat {
            p50: f[0],
            p99: f[1],
            p999: f[2],
            n: f[3] as usize,
        },
        f[4],
    ))
}

fn machine() -> String {
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown".into());
    format!("nproc {nproc}, {model}, Linux {kernel}")
}

fn size_name(n: usize) -> String {
    if n >= MIB {
        format!("{} MiB", n / MIB)
    } else {
        format!("{} KiB", n / KIB)
    }
}

fn lat_row(name: &str, l: Lat, floor: Option<Lat>, extra: &str) {
    let (f, r) = match floor {
        Some(f) => (
            format!("{:.1}", f.p50),
            format!("{:.2}x", l.p50 / f.p50.max(1e-9)),
        ),
        None => ("-".into(), "-".into()),
    };
    println!(
        "| {name} | {:.1} | {:.1} | {:.1} | {} | {f} | {r} | {extra} |",
        l.p50, l.p99, l.p999, l.n
    );
}

type SmallRow = (Transport, usize, Small, f64, Lat);

/// The acceptance targets, each as a ratio of figures measured above (this run).
fn acceptance(
    small: &[SmallRow],
    blocking: &[(Transport, Small, Lat)],
    tput: &[(Transport, Tput, f64)],
    cache: &[(Transport, (String, u64, f64))],
    (rtt_tcp, rtt_unix): (Lat, Lat),
    bw_unix: f64,
) {
    let mut rows: Vec<(String, String, bool)> = Vec::new();
    for (t, floor) in [(Transport::Tcp, rtt_tcp), (Transport::Unix, rtt_unix)] {
        if let Some((_, _, s, ..)) = small.iter().find(|r| r.0 == t && r.1 == 1) {
            let l = s.lat;
            let r = l.p50 / floor.p50;
            rows.push((
                format!("small op over {}: p50 <= 2x the raw round trip", t.name()),
                format!("{:.1} us vs {:.1} us = {r:.2}x", l.p50, floor.p50),
                r <= 2.0,
            ));
        }
        if let Some((_, s, floor)) = blocking.iter().find(|r| r.0 == t) {
            let r = s.lat.p50 / floor.p50;
            rows.push((
                format!(
                    "(also) small op over {}, blocking reads ({}=0): p50 <= 2x",
                    t.name(),
                    vaccel_rpc_proto::wait::BUDGET_ENV
                ),
                format!("{:.1} us vs {:.1} us = {r:.2}x", s.lat.p50, floor.p50),
                r <= 2.0,
            ));
        }
    }
    let big = 64 * MIB;
    let find = |mode: &str| {
        tput.iter()
            .find(|(t, r, _)| *t == Transport::Unix && r.size == big && r.mode == mode)
    };
    if let Some((_, r, _)) = find("in") {
        let x = r.mbps / bw_unix;
        rows.push((
            "64 MiB genop argument over unix, no shared memory: >= 50% of raw bandwidth".into(),
            format!(
                "{:.0} MB/s vs {bw_unix:.0} MB/s = {:.0}%",
                r.mbps,
                100.0 * x
            ),
            x >= 0.5,
        ));
    }
    if let Some((_, r, _)) = find("shm in") {
        let x = r.mbps / bw_unix;
        rows.push((
            "64 MiB genop argument over unix with shared memory: >= 2x raw bandwidth".into(),
            format!("{:.0} MB/s vs {bw_unix:.0} MB/s = {x:.1}x", r.mbps),
            x >= 2.0,
        ));
    }
    if let Some((_, r, _)) = find("shm echo") {
        let x = r.mbps / bw_unix;
        rows.push((
            "(also) 64 MiB echo through shared memory, the op copying in to out: >= 2x".into(),
            format!("{:.0} MB/s in+out vs {bw_unix:.0} MB/s = {x:.1}x", r.mbps),
            x >= 2.0,
        ));
    }
    if let Some((_, r, _)) = find("stream in") {
        let limit = (big / MIB) as u64 + 32;
        rows.push((
            "agent peak RSS <= payload + 32 MiB when streaming (64 MiB GenopStream)".into(),
            format!(
                "{} MiB (baseline included) vs {limit} MiB",
                r.agent_hwm / 1024
            ),
            r.agent_hwm / 1024 <= limit,
        ));
    }
    for t in [Transport::Tcp, Transport::Unix] {
        if let Some((_, _, many, scale, _)) = small.iter().find(|r| r.0 == t && r.1 == 16) {
            rows.push((
                format!("16 clients over {}: >= 1.5x the calls/s of one", t.name()),
                format!("{scale:.2}x"),
                *scale >= 1.5,
            ));
            if let Some((_, one, _)) = blocking.iter().find(|r| r.0 == t) {
                let x = many.cps / one.cps;
                rows.push((
                    format!(
                        "(also) 16 clients over {}: >= 1.5x the calls/s of one with blocking reads",
                        t.name()
                    ),
                    format!("{x:.2}x"),
                    x >= 1.5,
                ));
            }
        }
    }
    for (t, (what, bytes, _)) in cache {
        if what.starts_with("second registration") {
            rows.push((
                format!("{} ({}): < 1 MiB over the wire", what, t.name()),
                format!("{bytes} bytes"),
                *bytes < MIB as u64,
            ));
        }
    }
    if rows.is_empty() {
        return;
    }
    println!();
    println!("## Acceptance (ratios of this run)");
    println!();
    println!("| target | this run | met |");
    println!("|---|---|---|");
    for (what, got, met) in rows {
        println!(
            "| {what} | {got} | {} |",
            if met { "yes" } else { "**no**" }
        );
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("vaccel-bench: {e}");
        std::process::exit(1);
    }
}

fn run() -> Res<()> {
    let mut quick = false;
    let mut child = false;
    let mut only: Option<Vec<String>> = None;
    let mut stage = PathBuf::from("build/stage");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--plugin-child" => child = true,
            "--only" => {
                let list = args.next().ok_or("--only needs a list")?;
                only = Some(list.split(',').map(str::to_owned).collect());
            }
            "--stage" => stage = PathBuf::from(args.next().ok_or("--stage needs a directory")?),
            "-h" | "--help" => {
                println!(
                    "usage: vaccel-bench [--quick] [--stage <dir>] [--only small,small-tcp,small-unix,plugin,tput,cache]"
                );
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let b = Bounds::new(quick);
    let want = |section: &str| only.as_ref().is_none_or(|o| o.iter().any(|s| s == section));
    if child {
        return plugin_child(&stage, b);
    }
    for p in [
        "bin/vaccel-rpc-agent",
        "lib/libvaccel.so.0",
        "lib/libvaccel-noop.so",
        "lib/libvaccel-rpc.so",
    ] {
        if !stage.join(p).exists() {
            return Err(format!("{} missing: run `make stage`", stage.join(p).display()).into());
        }
    }
    let started = Instant::now();
    let dir = TempDir::new()?;
    println!("# vaccel-bench{}", if quick { " --quick" } else { "" });
    println!();
    println!("Machine: {}", machine());
    println!();

    // Floors. A transport's round trip is measured here only when its small-op rows, which
    // measure it interleaved with them, do not run.
    let small_rows = |t: Transport| want("small") || want(&format!("small-{}", t.name()));
    let rtt = |t: Transport| -> Res<Lat> {
        if small_rows(t) {
            Ok(Lat::default())
        } else {
            floor_rtt(t, &dir.0, b)
        }
    };
    let mut rtt_tcp = rtt(Transport::Tcp)?;
    let mut rtt_unix = rtt(Transport::Unix)?;
    let bw_tcp = floor_bulk(Transport::Tcp, &dir.0, b)?;
    let bw_unix = floor_bulk(Transport::Unix, &dir.0, b)?;
    let memcpy = floor_memcpy(b);

    // Local call.
    let (local_noop, local_classify) = local_call(&stage, b)?;

    // RPC.
    let tcp = Agent::start(&stage, "tcp://127.0.0.1:0", &dir.0)?;
    let unix = Agent::start(
        &stage,
        &format!("unix://{}", dir.0.join("agent.sock").display()),
        &dir.0,
    )?;
    let mut small = Vec::new();
    let mut worked = Vec::new();
    let mut blocking = Vec::new();
    for (t, agent, rtt) in [
        (Transport::Tcp, &tcp, &mut rtt_tcp),
        (Transport::Unix, &unix, &mut rtt_unix),
    ] {
        if !small_rows(t) {
            continue;
        }
        // The floor of this transport, interleaved with the one-client rows.
        let OneClient {
            floor,
            worked: with_work,
            polling: one,
            blocking: one_blocking,
        } = rpc_one_vs_floor(agent, t, &dir.0, b)?;
        *rtt = floor;
        worked.push((t, with_work));
        blocking.push((t, one_blocking, floor));
        small.push((t, 1, one, 1.0, floor));
        for k in [4, 16] {
            let r = rpc_small(agent, k, b)?;
            small.push((t, k, r, r.cps / one.cps, floor));
        }
    }
    let (plugin_tcp, plugin_unix) = if want("plugin") {
        (
            via_plugin(&stage, &tcp, quick),
            via_plugin(&stage, &unix, quick),
        )
    } else {
        (Err("skipped".into()), Err("skipped".into()))
    };
    let mut tput = Vec::new();
    for (t, agent, floor) in [
        (Transport::Tcp, &tcp, bw_tcp),
        (Transport::Unix, &unix, bw_unix),
    ] {
        if !want("tput") {
            break;
        }
        for row in rpc_tput(agent, b)? {
            tput.push((t, row, floor));
        }
    }
    let mut cache = Vec::new();
    for (t, agent) in [(Transport::Tcp, &tcp), (Transport::Unix, &unix)] {
        if !want("cache") {
            break;
        }
        for row in rpc_cache(agent, b)? {
            cache.push((t, row));
        }
    }
    drop(tcp);
    drop(unix);

    // The table.
    println!("## Latency (µs)");
    println!();
    println!("| measure | p50 | p99 | p99.9 | n | floor p50 | ratio p50 | notes |");
    println!("|---|---|---|---|---|---|---|---|");
    lat_row("floor: tcp ping-pong 64 B (TCP_NODELAY)", rtt_tcp, None, "");
    lat_row("floor: unix ping-pong 64 B", rtt_unix, None, "");
    for (t, l) in &worked {
        lat_row(
            &format!(
                "context: {} ping-pong 64 B, echo works {} µs before answering",
                t.name(),
                ECHO_WORK.as_micros()
            ),
            *l,
            None,
            "not a floor: what any work between read and answer costs in wake-ups here",
        );
    }
    lat_row("local: vaccel_noop (noop plugin)", local_noop, None, "");
    lat_row(
        "local: genop classify (noop plugin)",
        local_classify,
        None,
        "",
    );
    for (t, k, r, scale, floor) in &small {
        lat_row(
            &format!("rpc {}: genop classify, {k} client(s)", t.name()),
            r.lat,
            Some(*floor),
            &format!(
                "{:.0} calls/s, {scale:.2}x of 1 client; CPU per call: agent {:.1} µs, client {:.1} µs",
                r.cps, r.agent_cpu_us, r.client_cpu_us
            ),
        );
    }
    for (t, r, floor) in &blocking {
        lat_row(
            &format!(
                "rpc {}: genop classify, 1 client, blocking reads ({}=0)",
                t.name(),
                vaccel_rpc_proto::wait::BUDGET_ENV
            ),
            r.lat,
            Some(*floor),
            &format!(
                "{:.0} calls/s; CPU per call: agent {:.1} µs, client {:.1} µs",
                r.cps, r.agent_cpu_us, r.client_cpu_us
            ),
        );
    }
    for (t, r, floor) in [
        (Transport::Tcp, &plugin_tcp, rtt_tcp),
        (Transport::Unix, &plugin_unix, rtt_unix),
    ] {
        let name = format!(
            "rpc {} via libvaccel-rpc.so: genop classify, 1 client",
            t.name()
        );
        match r {
            Ok((l, _)) => lat_row(&name, *l, Some(floor), "child process"),
            Err(e) => println!("| {name} | - | - | - | - | - | - | failed: {e} |"),
        }
    }
    println!();
    println!("## Bandwidth (MB/s = 10^6 B/s)");
    println!();
    println!("| measure | MB/s |");
    println!("|---|---|");
    println!("| floor: tcp bulk, 1 MiB writes | {bw_tcp:.0} |");
    println!("| floor: unix bulk, 1 MiB writes | {bw_unix:.0} |");
    println!("| floor: memcpy 64 MiB | {memcpy:.0} |");
    let echo = size_name(b.max_payload.min(64 * MIB));
    for (t, r, how) in [
        (Transport::Tcp, &plugin_tcp, "through the socket"),
        (Transport::Unix, &plugin_unix, "through shared memory"),
    ] {
        if let Ok((_, mbps)) = r {
            println!(
                "| rpc {} via libvaccel-rpc.so: {echo} genop echo {how}, in + out | {mbps:.0} |",
                t.name()
            );
        }
    }
    println!();
    println!("## RPC genop throughput (median of repetitions; echo counts bytes in + out)");
    println!();
    println!(
        "| transport | payload | mode | MB/s | floor MB/s | ratio | agent peak RSS MiB | client peak RSS MiB |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (t, r, floor) in &tput {
        println!(
            "| {} | {} | {} | {:.0} | {floor:.0} | {:.2} | {} | {} |",
            t.name(),
            size_name(r.size),
            r.mode,
            r.mbps,
            r.mbps / floor,
            r.agent_hwm / 1024,
            r.client_hwm / 1024
        );
    }
    if !cache.is_empty() {
        println!();
        println!("## Resource cache (blob-cache extension: digest first, bytes only on a miss)");
        println!();
        println!("| transport | step | bytes sent by the client | ms |");
        println!("|---|---|---|---|");
        for (t, (what, bytes, ms)) in &cache {
            println!("| {} | {what} | {bytes} | {ms:.1} |", t.name());
        }
    }
    acceptance(
        &small,
        &blocking,
        &tput,
        &cache,
        (rtt_tcp, rtt_unix),
        bw_unix,
    );
    println!();
    println!("Total run time: {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
