//! Test harness: the real agent binary with the noop plugin, and a raw-frame client.
//!
//! The agent runs from `target/<profile>/` with `libvaccel.so.0` resolved through a symlink made
//! in the test's temp dir (so the test does not depend on `make stage`); `libvaccel.so` and
//! `libvaccel_noop.so` must have been built in the same profile (`cargo build --workspace`).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vaccel_rpc_proto::abi::ArgType;
use vaccel_rpc_proto::bytes::Bytes;
use vaccel_rpc_proto::frame::FrameCodec;
use vaccel_rpc_proto::ttrpc::{Request, Response};
use vaccel_rpc_proto::{Frame, FrameType, Message, genop};

pub const SYNC: &str = "vaccel.sync.agent.AgentService";
pub const ASYNC: &str = "vaccel.asynchronous.agent.AgentService";

/// A genop argument of type `t` holding `buf`.
pub fn arg(t: ArgType, buf: impl Into<Bytes>) -> genop::Arg {
    let buf = buf.into();
    genop::Arg {
        size: buf.len() as u32,
        buf,
        arg_type: t as i32,
        ..Default::default()
    }
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("vaccel-agent-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `target/<profile>`: where the agent binary, libvaccel.so and the plugins are.
pub fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_vaccel-rpc-agent"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Where the agent listens.
pub enum Where {
    Unix(PathBuf),
    /// `tcp://127.0.0.1:0`; the port is read from the agent's log.
    Tcp,
}

/// A running agent; killed on drop.
pub struct Agent {
    pub child: Child,
    pub address: String,
    pub log: Arc<Mutex<Vec<String>>>,
    pub dir: TempDir,
}

impl Agent {
    pub fn start(at: Where) -> Agent {
        Agent::start_with(at, &[])
    }

    /// An agent on any address; readiness is its listening line only.
    pub fn start_with_address(address: &str) -> Agent {
        Agent::spawn(address.to_owned(), &[], false, None)
    }

    /// An agent on a unix socket configured by `--vaccel-config <config>` (with
    /// `{noop}` replaced by the noop plugin's path) instead of the environment.
    pub fn start_with_config(sock: &Path, config: &str) -> Agent {
        let noop = target_dir().join("libvaccel_noop.so");
        let config = config.replace("{noop}", &noop.display().to_string());
        Agent::spawn(
            format!("unix://{}", sock.display()),
            &[],
            true,
            Some(config),
        )
    }

    pub fn start_with(at: Where, extra_env: &[(&str, &str)]) -> Agent {
        let address = match &at {
            Where::Unix(p) => format!("unix://{}", p.display()),
            Where::Tcp => "tcp://127.0.0.1:0".to_owned(),
        };
        Agent::spawn(address, extra_env, true, None)
    }

    fn spawn(
        address: String,
        extra_env: &[(&str, &str)],
        poll_connect: bool,
        config: Option<String>,
    ) -> Agent {
        let target = target_dir();
        let lib = target.join("libvaccel.so");
        let noop = target.join("libvaccel_noop.so");
        assert!(
            lib.exists() && noop.exists(),
            "{} and {} are needed: run `cargo build --workspace` first",
            lib.display(),
            noop.display()
        );
        let dir = TempDir::new("run");
        let libdir = dir.0.join("lib");
        std::fs::create_dir_all(&libdir).unwrap();
        std::os::unix::fs::symlink(&lib, libdir.join("libvaccel.so.0")).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vaccel-rpc-agent"));
        cmd.arg("-a")
            .arg(&address)
            .env(
                "LD_LIBRARY_PATH",
                format!("{}:{}", libdir.display(), target.display()),
            )
            .env("VACCEL_PLUGINS", &noop)
            .env("VACCEL_LOG_LEVEL", "1")
            .env("RUST_LOG", "debug")
            .env_remove("VACCEL_BOOTSTRAP_ENABLED")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        if let Some(config) = config {
            cmd.arg("--vaccel-config")
                .arg(config)
                .env_remove("VACCEL_PLUGINS")
                .env("VACCEL_LOG_LEVEL", "4");
        }
        let mut child = cmd.spawn().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if std::env::var_os("AGENT_LOG").is_some() {
                    eprintln!("agent: {line}");
                }
                sink.lock().unwrap().push(line);
            }
        });
        let mut agent = Agent {
            child,
            address,
            log,
            dir,
        };
        // Readiness: the listening line (for the actual tcp port), then a successful connect.
        let line = agent.wait_log("Listening on '", Duration::from_secs(20));
        let shown = line
            .split("Listening on '")
            .nth(1)
            .and_then(|r| r.split('\'').next())
            .unwrap()
            .to_owned();
        agent.address = shown;
        if !poll_connect {
            return agent;
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if agent.try_connect().is_ok() {
                break;
            }
            assert!(Instant::now() < deadline, "agent not accepting connections");
            std::thread::sleep(Duration::from_millis(20));
        }
        agent
    }

    /// Waits (bounded) for a log line containing `needle`.
    pub fn wait_log(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(l) = self.log.lock().unwrap().iter().find(|l| l.contains(needle)) {
                return l.clone();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "agent exited ({status}) before logging `{needle}`:\n{}",
                    self.log.lock().unwrap().join("\n")
                );
            }
            assert!(
                Instant::now() < deadline,
                "no `{needle}` in the agent log:\n{}",
                self.log.lock().unwrap().join("\n")
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The agent's libvaccel rundir (from its debug line).
    pub fn rundir(&mut self) -> PathBuf {
        let l = self.wait_log("vAccel rundir: ", Duration::from_secs(10));
        PathBuf::from(l.split("vAccel rundir: ").nth(1).unwrap().trim())
    }

    pub fn try_connect(&self) -> std::io::Result<Client> {
        let rest = self.address.split("://").nth(1).unwrap();
        if self.address.starts_with("unix://") {
            let s = UnixStream::connect(rest)?;
            s.set_read_timeout(Some(Duration::from_secs(60)))?;
            Ok(Client::new(Box::new(s)))
        } else {
            let s = TcpStream::connect(rest)?;
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(Duration::from_secs(60)))?;
            Ok(Client::new(Box::new(s)))
        }
    }

    pub fn connect(&self) -> Client {
        self.try_connect().unwrap()
    }

    /// `VmHWM` / `VmRSS` of the agent in KiB.
    pub fn mem_kib(&self, field: &str) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        s.lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap()
    }

    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub trait Sock: std::io::Read + std::io::Write + Send {
    fn shutdown_write(&self);
}
impl Sock for UnixStream {
    fn shutdown_write(&self) {
        let _ = self.shutdown(std::net::Shutdown::Write);
    }
}
impl Sock for TcpStream {
    fn shutdown_write(&self) {
        let _ = self.shutdown(std::net::Shutdown::Write);
    }
}

/// A raw-frame client.
pub struct Client {
    pub sock: Box<dyn Sock>,
    next: u32,
    codec: FrameCodec,
}

impl Client {
    pub fn new(sock: Box<dyn Sock>) -> Client {
        Client {
            sock,
            next: 1,
            codec: FrameCodec::default(),
        }
    }

    pub fn next_id(&mut self) -> u32 {
        let id = self.next;
        self.next += 2;
        id
    }

    /// Sends a request without waiting; returns its stream id.
    pub fn send<M: Message>(&mut self, service: &str, method: &str, msg: &M) -> u32 {
        let id = self.next_id();
        let req = Request::new(service, method, msg);
        self.codec
            .write_message(&mut self.sock, id, FrameType::Request, 0, &req)
            .unwrap();
        id
    }

    pub fn raw(&mut self, bytes: &[u8]) {
        self.sock.write_all(bytes).unwrap();
        self.sock.flush().unwrap();
    }

    pub fn write_frame(&mut self, f: &Frame) {
        self.codec.write_frame(&mut self.sock, f).unwrap();
    }

    /// The next frame (`None` on EOF or error).
    pub fn read(&mut self) -> Option<Frame> {
        self.codec.read_frame(&mut self.sock).ok().flatten()
    }

    pub fn read_response(&mut self) -> (u32, Response) {
        let f = self.read().expect("a response frame");
        assert_eq!(f.frame_type, FrameType::Response);
        (f.stream_id, f.decode().unwrap())
    }

    /// A unary call.
    pub fn call<M: Message>(&mut self, service: &str, method: &str, msg: &M) -> Response {
        let id = self.send(service, method, msg);
        let (sid, resp) = self.read_response();
        assert_eq!(sid, id);
        resp
    }

    /// A unary call that must succeed, decoded as `R`.
    pub fn ok<M: Message, R: Message + Default>(
        &mut self,
        service: &str,
        method: &str,
        msg: &M,
    ) -> R {
        let resp = self.call(service, method, msg);
        resp.into_result::<R>().unwrap()
    }
}

/// Entries of `dir` whose names start with `session.` or `resource.`.
pub fn leftovers(dir: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("session.") || n.starts_with("resource."))
        .collect()
}

/// Polls `f` until it returns true or `timeout` passes.
pub fn eventually(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
