//! The hybrid-vsock handshake end to end (issue 3: "tested end to end over a unix socket",
//! AF_VSOCK loopback not being available).
//!
//! [`Muxer`] plays Firecracker's vsock device on the host side: a unix socket `<tmp>/v.sock`
//! where each connection starts with `CONNECT <port>\n`, is answered `OK <host port>\n`, and then
//! carries bytes both ways to the guest's listener on that port — here the real agent, listening
//! on its own unix socket. Clients use `hvsock://<tmp>/v.sock:<port>`:
//!
//! - the raw-frame client connects the way the plugin's `client::connect` does (unix connect,
//!   read timeout, [`hybrid_vsock_connect`] from `vaccel-rpc-proto`, the function the plugin
//!   calls), then makes real calls;
//! - the real `libvaccel_rpc.so`, loaded by libvaccel in a child process (this test binary run
//!   again, see [`plugin_child`]) with `VACCEL_RPC_ADDRESS=hvsock://…`, classifies an image
//!   through the muxer and the agent, unary and streamed;
//! - muxers that refuse, hang up or never answer give a clear error within the connect timeout.
//!
//! Every muxer thread is joined before a test ends; waiting is by polling with deadlines or
//! socket timeouts, never by fixed sleeps.

mod common;

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{ASYNC, Agent, SYNC, Where, arg};
use vaccel_rpc_proto::abi::{ArgType, OpType};
use vaccel_rpc_proto::address::{Address, hybrid_vsock_connect};
use vaccel_rpc_proto::bytes::Bytes;
use vaccel_rpc_proto::frame::flags;
use vaccel_rpc_proto::ttrpc;
use vaccel_rpc_proto::{Frame, FrameType, empty, genop, session};

/// How long any muxer socket waits for its peer before giving up (keeps every thread bounded).
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// The guest port the agent "listens on" behind the muxer.
const AGENT_PORT: u32 = 2048;
/// The host-side port the muxer reports in its `OK` line.
const HOST_PORT: u32 = 1_073_741_824;

/// What the muxer does after reading a `CONNECT` line.
#[derive(Clone, Copy, Debug)]
enum Behaviour {
    /// Firecracker: `OK <HOST_PORT>` and proxy to the port's listener; close at once if no
    /// listener is registered for the port.
    Firecracker,
    /// Answer this line instead of `OK …`, then close.
    Reply(&'static str),
    /// Say nothing and keep the connection open until the client gives up.
    Silent,
}

/// A hybrid-vsock muxer on a unix socket.
struct Muxer {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    /// The `CONNECT` lines received, in order.
    requests: Arc<Mutex<Vec<String>>>,
    /// Per proxied connection, the first [`TAP_LIMIT`] bytes the client sent on to the agent.
    transcripts: Arc<Mutex<Vec<Tap>>>,
}

/// The bytes one proxied client sent on, shared with the connection's thread.
type Tap = Arc<Mutex<Vec<u8>>>;

/// Bytes of each proxied client→agent stream kept for inspection.
const TAP_LIMIT: usize = 1 << 20;

impl Muxer {
    /// Listens on `path`; `CONNECT <p>` is forwarded to the unix socket `ports[p]`.
    fn start(path: &Path, ports: HashMap<u32, PathBuf>, behaviour: Behaviour) -> Muxer {
        let listener = UnixListener::bind(path).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let transcripts = Arc::new(Mutex::new(Vec::new()));
        let (stop2, requests2, transcripts2) =
            (stop.clone(), requests.clone(), transcripts.clone());
        let accept = std::thread::spawn(move || {
            let mut conns: Vec<JoinHandle<()>> = Vec::new();
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (ports, requests, transcripts) =
                    (ports.clone(), requests2.clone(), transcripts2.clone());
                conns.push(std::thread::spawn(move || {
                    serve_conn(conn, &ports, behaviour, &requests, &transcripts)
                }));
            }
            for c in conns {
                c.join().unwrap();
            }
        });
        Muxer {
            path: path.to_owned(),
            stop,
            accept: Some(accept),
            requests,
            transcripts,
        }
    }

    /// Stops accepting (waking the accept call with a connection of its own) and joins every
    /// thread; connections end when their client closes or after [`IO_TIMEOUT`].
    fn finish(mut self) -> Vec<String> {
        self.shutdown();
        self.requests.lock().unwrap().clone()
    }

    /// [`Muxer::finish`], plus what each proxied client sent on.
    fn finish_with_transcripts(mut self) -> (Vec<String>, Vec<Vec<u8>>) {
        self.shutdown();
        let t = self.transcripts.lock().unwrap();
        let t = t.iter().map(|b| b.lock().unwrap().clone()).collect();
        (self.requests.lock().unwrap().clone(), t)
    }

    fn shutdown(&mut self) {
        if let Some(h) = self.accept.take() {
            self.stop.store(true, Ordering::SeqCst);
            let _ = UnixStream::connect(&self.path);
            h.join().unwrap();
        }
    }
}

impl Drop for Muxer {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.shutdown();
        }
    }
}

/// Reads the `CONNECT <port>\n` line (at most 64 bytes, one byte at a time so that nothing after
/// it is consumed).
fn read_connect_line(s: &mut UnixStream) -> io::Result<String> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while line.len() < 64 {
        if s.read(&mut b)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if b[0] == b'\n' {
            return Ok(String::from_utf8_lossy(&line).into_owned());
        }
        line.push(b[0]);
    }
    Err(io::ErrorKind::InvalidData.into())
}

fn serve_conn(
    mut client: UnixStream,
    ports: &HashMap<u32, PathBuf>,
    behaviour: Behaviour,
    requests: &Mutex<Vec<String>>,
    transcripts: &Mutex<Vec<Tap>>,
) {
    client.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    client.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    // The wake-up connection of `finish` sends nothing.
    let Ok(line) = read_connect_line(&mut client) else {
        return;
    };
    requests.lock().unwrap().push(line.clone());
    let port = line
        .strip_prefix("CONNECT ")
        .and_then(|p| p.parse::<u32>().ok());
    match behaviour {
        Behaviour::Reply(text) => {
            let _ = client.write_all(text.as_bytes());
            return;
        }
        Behaviour::Silent => {
            // Until the client closes (its handshake timed out) or IO_TIMEOUT.
            let _ = client.read(&mut [0u8; 1]);
            return;
        }
        Behaviour::Firecracker => {}
    }
    // Firecracker resets a connection to a port nobody listens on: no reply line.
    let Some(upstream) = port.and_then(|p| ports.get(&p)) else {
        return;
    };
    let Ok(agent) = UnixStream::connect(upstream) else {
        return;
    };
    agent.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    agent.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    client
        .write_all(format!("OK {HOST_PORT}\n").as_bytes())
        .unwrap();
    let tap = Arc::new(Mutex::new(Vec::new()));
    transcripts.lock().unwrap().push(tap.clone());
    let (c2, a2) = (client.try_clone().unwrap(), agent.try_clone().unwrap());
    let up = std::thread::spawn(move || pipe(c2, a2, Some(&tap)));
    pipe(agent, client, None);
    up.join().unwrap();
}

/// Copies `from` → `to` until EOF (or an error, a timeout included), then half-closes `to`;
/// keeps the first [`TAP_LIMIT`] bytes in `tap`.
fn pipe(mut from: UnixStream, mut to: UnixStream, tap: Option<&Mutex<Vec<u8>>>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(tap) = tap {
            let mut t = tap.lock().unwrap();
            let keep = n.min(TAP_LIMIT.saturating_sub(t.len()));
            t.extend_from_slice(&buf[..keep]);
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Connects as `client::connect` in plugins/rpc does for `hvsock://`: unix connect, the connect
/// timeout as read/write timeout during the handshake, [`hybrid_vsock_connect`], timeouts off.
fn hvsock_connect(address: &str, timeout: Duration) -> io::Result<(UnixStream, u32)> {
    let Address::HybridVsock { path, port } = address.parse::<Address>().unwrap() else {
        panic!("{address} is not a hybrid vsock address");
    };
    let mut s = UnixStream::connect(path)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    let host_port = hybrid_vsock_connect(&mut s, port)?;
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    s.set_write_timeout(None)?;
    Ok((s, host_port))
}

fn c_text(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

fn classify_request(sid: i64, image: Vec<u8>) -> genop::Request {
    genop::Request {
        session_id: sid,
        read_args: vec![
            arg(ArgType::Uint8, vec![OpType::ImageClassify as u8]),
            arg(ArgType::Buffer, image),
        ],
        write_args: vec![
            arg(ArgType::UcharArray, vec![0u8; 512]),
            arg(ArgType::UcharArray, vec![0u8; 512]),
        ],
    }
}

fn check_classified(r: &genop::Response) {
    assert_eq!(r.write_args.len(), 2, "{r:?}");
    assert_eq!(c_text(&r.write_args[0].buf), "This is a dummy imgname!");
    assert_eq!(
        c_text(&r.write_args[1].buf),
        "This is a dummy classification tag!"
    );
}

/// A muxer at `<dir>/v.sock` in front of `agent` on [`AGENT_PORT`].
fn muxer_for(dir: &Path, agent: &Agent, behaviour: Behaviour) -> (Muxer, String) {
    let agent_sock = PathBuf::from(agent.address.strip_prefix("unix://").unwrap());
    let vsock = dir.join("v.sock");
    let muxer = Muxer::start(&vsock, HashMap::from([(AGENT_PORT, agent_sock)]), behaviour);
    (muxer, format!("hvsock://{}:{AGENT_PORT}", vsock.display()))
}

/// Raw frames through the muxer: CreateSession, a classification genop (unary, and streamed in
/// parts), a 4 MiB argument echoed back, DestroySession; both service names.
#[test]
fn calls_through_a_firecracker_style_muxer() {
    let dir = common::TempDir::new("hvsock");
    // The exec below names `libnone.so`/`none`, which the noop plugin does not load.
    let agent = Agent::start_with(
        Where::Unix(dir.0.join("agent.sock")),
        &[("VACCEL_RPC_AGENT_CONFIG", "exec_allow=libnone.so:none")],
    );
    let (muxer, address) = muxer_for(&dir.0, &agent, Behaviour::Firecracker);

    for service in [SYNC, ASYNC] {
        let (s, host_port) = hvsock_connect(&address, Duration::from_secs(5)).unwrap();
        assert_eq!(host_port, HOST_PORT);
        let mut c = common::Client::new(Box::new(s));
        let r: session::CreateResponse = c.ok(
            service,
            "CreateSession",
            &session::CreateRequest { flags: 0 },
        );
        let sid = r.session_id;
        assert!(sid > 0);
        let r: genop::Response = c.ok(service, "Genop", &classify_request(sid, vec![1, 2, 3]));
        check_classified(&r);

        // A payload large enough to take many reads and writes through the proxy: exec echo
        // (the noop plugin copies the input into the output).
        let input: Vec<u8> = (0..4u32 << 20).map(|i| (i % 251) as u8).collect();
        let req = genop::Request {
            session_id: sid,
            read_args: vec![
                arg(ArgType::Uint8, vec![OpType::Exec as u8]),
                arg(ArgType::String, b"libnone.so\0".to_vec()),
                arg(ArgType::String, b"none\0".to_vec()),
                arg(ArgType::Int32Array, input.clone()),
            ],
            write_args: vec![arg(ArgType::Int32Array, vec![0u8; input.len()])],
        };
        let r: genop::Response = c.ok(service, "Genop", &req);
        assert!(r.write_args[0].buf == input[..], "echoed through the muxer");

        // GenopStream: the image in two parts.
        let id = c.next_id();
        c.write_frame(&Frame::from_message(
            id,
            FrameType::Request,
            flags::STREAM_OPEN,
            &ttrpc::Request::stream_open(ASYNC, "GenopStream"),
        ));
        let mut msgs = vec![genop::Request {
            session_id: sid,
            read_args: vec![arg(ArgType::Uint8, vec![OpType::ImageClassify as u8])],
            write_args: vec![],
        }];
        for (i, part) in [&b"ab"[..], b"cd"].into_iter().enumerate() {
            msgs.push(genop::Request {
                session_id: sid,
                read_args: vec![genop::Arg {
                    buf: Bytes::copy_from_slice(part),
                    size: 4,
                    arg_type: ArgType::Buffer as i32,
                    parts: 2,
                    part_no: i as u32 + 1,
                    ..Default::default()
                }],
                write_args: vec![],
            });
        }
        msgs.push(genop::Request {
            session_id: sid,
            read_args: vec![],
            write_args: classify_request(sid, vec![]).write_args,
        });
        for m in &msgs {
            c.write_frame(&Frame::from_message(id, FrameType::Data, 0, m));
        }
        c.write_frame(&Frame::stream_close(id));
        let (rid, resp) = c.read_response();
        assert_eq!(rid, id);
        check_classified(&resp.into_result().unwrap());

        let _: empty::Empty = c.ok(
            service,
            "DestroySession",
            &session::DestroyRequest { session_id: sid },
        );
    }
    let (requests, transcripts) = muxer.finish_with_transcripts();
    assert_eq!(requests, vec![format!("CONNECT {AGENT_PORT}"); 2]);
    // The agent saw frames from the first byte on: no handshake bytes leaked through.
    for (t, service) in transcripts.iter().zip([SYNC, ASYNC]) {
        assert!(
            t.len() > 10 && t[8] == 1,
            "a Request frame first: {:?}",
            &t[..10]
        );
        assert!(contains(t, service) && contains(t, "CreateSession"));
        assert!(!contains(t, "CONNECT"));
    }
}

/// Muxers that answer something other than `OK <n>`, hang up, or never answer: a clear error
/// within the timeout, never a hang.
#[test]
fn refused_handshakes_fail_clearly_and_quickly() {
    let dir = common::TempDir::new("hvsock-bad");
    let agent = Agent::start(Where::Unix(dir.0.join("agent.sock")));
    let timeout = Duration::from_millis(500);
    let cases: [(Behaviour, io::ErrorKind, &str); 5] = [
        (
            Behaviour::Reply("ERR no listener\n"),
            io::ErrorKind::ConnectionRefused,
            "hybrid vsock handshake refused: `ERR no listener`",
        ),
        (
            Behaviour::Reply("OK\n"),
            io::ErrorKind::ConnectionRefused,
            "hybrid vsock handshake refused: `OK`",
        ),
        (
            Behaviour::Reply("OK 12"),
            io::ErrorKind::UnexpectedEof,
            "connection closed during the hybrid vsock handshake",
        ),
        (
            Behaviour::Reply(
                "OK 1111111111111111111111111111111111111111111111111111111111111111111111\n",
            ),
            io::ErrorKind::InvalidData,
            "hybrid vsock handshake reply too long",
        ),
        (
            Behaviour::Silent,
            io::ErrorKind::TimedOut,
            "timed out waiting for the hybrid vsock handshake reply",
        ),
    ];
    for (i, (behaviour, kind, text)) in cases.into_iter().enumerate() {
        let sub = dir.0.join(i.to_string());
        std::fs::create_dir_all(&sub).unwrap();
        let (muxer, address) = muxer_for(&sub, &agent, behaviour);
        let start = Instant::now();
        let e = hvsock_connect(&address, timeout).unwrap_err();
        let took = start.elapsed();
        assert_eq!(e.kind(), kind, "{behaviour:?}: {e}");
        assert!(e.to_string().contains(text), "{behaviour:?}: {e}");
        assert!(took < Duration::from_secs(5), "{behaviour:?} took {took:?}");
        if matches!(behaviour, Behaviour::Silent) {
            assert!(took >= timeout, "gave up after {took:?}");
        }
        assert_eq!(muxer.finish(), vec![format!("CONNECT {AGENT_PORT}")]);
        let _ = std::fs::remove_dir_all(&sub);
    }
    // A port nobody listens on: the muxer hangs up without a reply.
    let (muxer, address) = muxer_for(&dir.0, &agent, Behaviour::Firecracker);
    let wrong = address.replace(&format!(":{AGENT_PORT}"), ":5");
    let e = hvsock_connect(&wrong, timeout).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "{e}");
    assert_eq!(muxer.finish(), vec!["CONNECT 5".to_owned()]);
}

const CHILD_ENV: &str = "VACCEL_HVSOCK_TEST_CHILD";

/// Not a test on its own: the client process of [`the_rpc_plugin_over_hybrid_vsock`], which runs
/// this binary with only this test and `CHILD_ENV` set to the path of libvaccel.so, with the RPC
/// plugin configured in the environment. Prints what the application would.
#[test]
fn plugin_child() {
    let Ok(lib) = std::env::var(CHILD_ENV) else {
        return;
    };
    let vaccel = vaccel::Vaccel::open_path(&lib).unwrap();
    let mut sess = match vaccel.session(0) {
        Ok(s) => s,
        Err(e) => {
            println!("CHILD session failed: {e}");
            std::process::exit(3);
        }
    };
    let (tags, name) = sess.classify(b"not really a jpeg").unwrap();
    println!("CHILD tags: {tags}");
    println!("CHILD name: {name}");
}

/// Runs [`plugin_child`] with `VACCEL_PLUGINS=libvaccel_rpc.so` and `address`; (status, stdout,
/// stderr, wall time).
fn run_plugin_child(
    address: &str,
    dir: &Path,
    extra: &[(&str, &str)],
) -> (Option<i32>, String, String, Duration) {
    let target = common::target_dir();
    let rpc = target.join("libvaccel_rpc.so");
    assert!(
        rpc.exists(),
        "{} is needed: run `cargo build --workspace` first",
        rpc.display()
    );
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["plugin_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, target.join("libvaccel.so"))
        .env("VACCEL_PLUGINS", &rpc)
        .env("VACCEL_RPC_ADDRESS", address)
        .env_remove("VACCEL_RPC_ADDR")
        .env("VACCEL_RPC_CONNECT_TIMEOUT_MS", "500")
        .env("VACCEL_LOG_LEVEL", "1")
        .env("VACCEL_RUNDIR", dir)
        .env_remove("VACCEL_BOOTSTRAP_ENABLED")
        .stdin(Stdio::null());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        start.elapsed(),
    )
}

/// The real RPC plugin, loaded by libvaccel in another process, reaches the agent through the
/// muxer with `VACCEL_RPC_ADDRESS=hvsock://<tmp>/v.sock:2048`: classification unary and through
/// `GenopStream` (`VACCEL_RPC_STREAM_THRESHOLD=0`, async service); a refusing muxer makes
/// session creation fail quickly with `VACCEL_EIO` and a logged reason, and so does a muxer
/// that never answers (after the plugin's connect timeout).
#[test]
fn the_rpc_plugin_over_hybrid_vsock() {
    let dir = common::TempDir::new("hvsock-plugin");
    let agent = Agent::start(Where::Unix(dir.0.join("agent.sock")));
    let rundir = dir.0.join("client-rundir");
    std::fs::create_dir_all(&rundir).unwrap();

    let (muxer, address) = muxer_for(&dir.0, &agent, Behaviour::Firecracker);
    for extra in [
        &[][..],
        &[
            ("VACCEL_RPC_STREAM_THRESHOLD", "0"),
            ("VACCEL_RPC_SERVICE", "async"),
        ][..],
    ] {
        let (code, out, err, _) = run_plugin_child(&address, &rundir, extra);
        assert_eq!(code, Some(0), "{extra:?}\nstdout:\n{out}\nstderr:\n{err}");
        assert!(
            out.contains("CHILD tags: This is a dummy classification tag!")
                && out.contains("CHILD name: This is a dummy imgname!"),
            "{extra:?}\nstdout:\n{out}\nstderr:\n{err}"
        );
    }
    // One connection per client process; the second one streamed its genop.
    let (requests, transcripts) = muxer.finish_with_transcripts();
    assert_eq!(requests, vec![format!("CONNECT {AGENT_PORT}"); 2]);
    assert!(contains(&transcripts[0], SYNC) && contains(&transcripts[0], "Genop"));
    assert!(!contains(&transcripts[0], "GenopStream"));
    assert!(contains(&transcripts[1], ASYNC) && contains(&transcripts[1], "GenopStream"));

    let sub = dir.0.join("refusing");
    std::fs::create_dir_all(&sub).unwrap();
    let (muxer, address) = muxer_for(&sub, &agent, Behaviour::Reply("NO\n"));
    let (code, out, err, took) = run_plugin_child(&address, &rundir, &[]);
    assert_eq!(code, Some(3), "stdout:\n{out}\nstderr:\n{err}");
    // libvaccel logs to stdout, as upstream.
    assert!(
        out.contains("CHILD session failed: vAccel error 5 (VACCEL_EIO)")
            && out.contains(&format!(
                "[rpc] Could not connect to the vAccel RPC agent at {address}: hybrid vsock \
                 handshake refused: `NO`"
            )),
        "stdout:\n{out}\nstderr:\n{err}"
    );
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(!muxer.finish().is_empty());

    // A muxer that never answers: the plugin gives up after its connect timeout (500 ms here).
    let sub = dir.0.join("silent");
    std::fs::create_dir_all(&sub).unwrap();
    let (muxer, address) = muxer_for(&sub, &agent, Behaviour::Silent);
    let (code, out, err, took) = run_plugin_child(&address, &rundir, &[]);
    assert_eq!(code, Some(3), "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        out.contains("timed out waiting for the hybrid vsock handshake reply"),
        "stdout:\n{out}\nstderr:\n{err}"
    );
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(!muxer.finish().is_empty());
}
