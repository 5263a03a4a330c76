//! The agent's policy (`VACCEL_RPC_AGENT_CONFIG` / `--agent-config`, see `src/policy.rs`)
//! against the real agent binary with the noop plugin, driven by a raw-frame client: exec
//! refused by default and admitted by the allow-list, path escapes, agent-local paths, the
//! per-connection limits, the token, the unix socket mode and the peer-uid allow-list.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::{Agent, Client, SYNC, TempDir, Where, arg};
use vaccel_rpc_proto::abi::{self, ArgType, OpType};
use vaccel_rpc_proto::bytes::Bytes;
use vaccel_rpc_proto::error::vaccel_error;
use vaccel_rpc_proto::ttrpc::{self, Code};
use vaccel_rpc_proto::{Message, genop, resource, session};

const CONFIG_ENV: &str = "VACCEL_RPC_AGENT_CONFIG";

fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

fn agent_with(dir: &TempDir, config: &str) -> Agent {
    Agent::start_with(Where::Unix(dir.0.join("a.sock")), &[(CONFIG_ENV, config)])
}

fn create(c: &mut Client) -> Result<i64, ttrpc::Status> {
    let r = c.call(SYNC, "CreateSession", &session::CreateRequest { flags: 0 });
    match r.status.filter(|s| !s.is_ok()) {
        Some(s) => Err(s),
        None => Ok(session::CreateResponse::decode(r.payload)
            .unwrap()
            .session_id),
    }
}

/// Destroys a session, which must succeed.
fn destroy(c: &mut Client, session_id: i64) {
    let r = c.call(
        SYNC,
        "DestroySession",
        &session::DestroyRequest { session_id },
    );
    assert!(r.status.filter(|s| !s.is_ok()).is_none());
}

/// The vAccel errno a refusal carries (the `vaccel.ProtoError` detail of §5).
fn errno(s: &ttrpc::Status) -> u32 {
    assert_eq!(s.code, Code::Internal as i32, "{s:?}");
    vaccel_error(s)
        .and_then(|e| e.ffi_error)
        .unwrap_or_else(|| panic!("no vAccel error in {s:?}"))
}

fn exec(c: &mut Client, sid: i64, library: &str, symbol: &str) -> Option<ttrpc::Status> {
    let req = genop::Request {
        session_id: sid,
        read_args: vec![
            arg(ArgType::Uint8, vec![OpType::Exec as u8]),
            arg(ArgType::String, cstr(library)),
            arg(ArgType::String, cstr(symbol)),
            arg(ArgType::Int32Array, vec![1u8, 0, 0, 0]),
        ],
        write_args: vec![arg(ArgType::Int32Array, vec![0u8; 4])],
    };
    c.call(SYNC, "Genop", &req).status.filter(|s| !s.is_ok())
}

fn exec_with_resource(c: &mut Client, sid: i64, rid: i64, symbol: &str) -> Option<ttrpc::Status> {
    let req = genop::Request {
        session_id: sid,
        read_args: vec![
            arg(ArgType::Uint8, vec![OpType::ExecWithResource as u8]),
            arg(ArgType::Int64, rid.to_ne_bytes().to_vec()),
            arg(ArgType::String, cstr(symbol)),
        ],
        write_args: vec![],
    };
    c.call(SYNC, "Genop", &req).status.filter(|s| !s.is_ok())
}

/// `RegisterResource`: the new resource's id, or the refusal.
fn register(c: &mut Client, req: resource::RegisterRequest) -> Result<i64, ttrpc::Status> {
    let r = c.call(SYNC, "RegisterResource", &req);
    match r.status.filter(|s| !s.is_ok()) {
        Some(s) => Err(s),
        None => Ok(resource::RegisterResponse::decode(r.payload)
            .unwrap()
            .resource_id),
    }
}

fn register_blob(c: &mut Client, sid: i64, name: &str, data: &[u8]) -> Result<i64, ttrpc::Status> {
    register(
        c,
        resource::RegisterRequest {
            blobs: vec![resource::Blob {
                type_: 2,
                name: name.into(),
                data: Bytes::copy_from_slice(data),
                size: data.len() as u32,
            }],
            resource_type: 1,
            session_id: sid,
            ..Default::default()
        },
    )
}

fn register_paths(c: &mut Client, sid: i64, paths: &[&str]) -> Result<i64, ttrpc::Status> {
    register(
        c,
        resource::RegisterRequest {
            paths: paths.iter().map(|p| p.to_string()).collect(),
            resource_type: 1,
            session_id: sid,
            ..Default::default()
        },
    )
}

fn sha256_hex(data: &[u8]) -> String {
    vaccel_rpc_proto::ext::hex(&vaccel_rpc_proto::ext::sha256(data))
}

#[test]
fn exec_is_refused_by_default() {
    let dir = TempDir::new("policy-default");
    let mut agent = Agent::start(Where::Unix(dir.0.join("a.sock")));
    let mut c = agent.connect();
    let sid = create(&mut c).unwrap();
    let s = exec(&mut c, sid, "/usr/lib/x86_64-linux-gnu/libc.so.6", "system").unwrap();
    assert_eq!(errno(&s), abi::VACCEL_EPERM as u32);
    assert!(s.message.contains("no exec_allow rule"), "{}", s.message);
    let rid = register_blob(&mut c, sid, "lib.so", b"any library").unwrap();
    let s = exec_with_resource(&mut c, sid, rid, "f").unwrap();
    assert_eq!(errno(&s), abi::VACCEL_EPERM as u32);
    // A malformed exec (no NUL in the library string) is refused as well.
    let req = genop::Request {
        session_id: sid,
        read_args: vec![
            arg(ArgType::Uint8, vec![OpType::Exec as u8]),
            arg(ArgType::String, b"/no/nul".to_vec()),
            arg(ArgType::String, cstr("f")),
        ],
        write_args: vec![],
    };
    let s = c.call(SYNC, "Genop", &req).status.unwrap();
    assert_eq!(errno(&s), abi::VACCEL_EPERM as u32);
    // Other genops still run.
    let classify = genop::Request {
        session_id: sid,
        read_args: vec![
            arg(ArgType::Uint8, vec![OpType::ImageClassify as u8]),
            arg(ArgType::Buffer, vec![1u8, 2, 3]),
        ],
        write_args: vec![
            arg(ArgType::UcharArray, vec![0u8; 64]),
            arg(ArgType::UcharArray, vec![0u8; 64]),
        ],
    };
    assert!(
        c.call(SYNC, "Genop", &classify)
            .status
            .filter(|s| !s.is_ok())
            .is_none()
    );
    agent.wait_log("refused: exec of `system`", Duration::from_secs(10));
}

#[test]
fn the_exec_allow_list_admits_libraries_and_symbols() {
    let dir = TempDir::new("policy-exec");
    let lib = dir.0.join("libok.so");
    std::fs::write(&lib, b"not loaded by the noop plugin").unwrap();
    let link = dir.0.join("link.so");
    std::os::unix::fs::symlink(&lib, &link).unwrap();
    let uploaded = b"a library a client registers";
    let config = format!(
        "exec_allow={}:mytestfunc|other,exec_allow=sha256:{}:entry",
        lib.display(),
        sha256_hex(uploaded)
    );
    let agent = agent_with(&dir, &config);
    let mut c = agent.connect();
    let sid = create(&mut c).unwrap();
    let lib = lib.to_str().unwrap();
    // Admitted: the call reaches the noop plugin (whatever it answers, it is not the policy).
    let admitted =
        |s: Option<ttrpc::Status>| s.is_none_or(|s| errno(&s) != abi::VACCEL_EPERM as u32);
    assert!(admitted(exec(&mut c, sid, lib, "mytestfunc")));
    assert!(admitted(exec(&mut c, sid, lib, "other")));
    assert!(admitted(exec(
        &mut c,
        sid,
        link.to_str().unwrap(),
        "mytestfunc"
    )));
    let s = exec(&mut c, sid, lib, "system").unwrap();
    assert_eq!(errno(&s), abi::VACCEL_EPERM as u32);
    let s = exec(&mut c, sid, "/lib/x86_64-linux-gnu/libc.so.6", "mytestfunc").unwrap();
    assert_eq!(errno(&s), abi::VACCEL_EPERM as u32);

    let good = register_blob(&mut c, sid, "libup.so", uploaded).unwrap();
    let bad = register_blob(&mut c, sid, "libup.so", b"a different library").unwrap();
    assert!(admitted(exec_with_resource(&mut c, sid, good, "entry")));
    let s = exec_with_resource(&mut c, sid, good, "system").unwrap();
    assert_eq!(errno(&s), abi::VACCEL_EPERM as u32);
    let s = exec_with_resource(&mut c, sid, bad, "entry").unwrap();
    assert_eq!(errno(&s), abi::VACCEL_EPERM as u32);
    assert!(s.message.contains("sha256"), "{}", s.message);
}

#[test]
fn blob_names_and_agent_local_paths() {
    let dir = TempDir::new("policy-paths");
    let models = dir.0.join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::write(models.join("m.onnx"), b"model").unwrap();
    std::fs::write(dir.0.join("secret"), b"secret").unwrap();
    std::os::unix::fs::symlink(dir.0.join("secret"), models.join("escape")).unwrap();
    let agent = agent_with(&dir, &format!("local_paths={}", models.display()));
    let mut c = agent.connect();
    let sid = create(&mut c).unwrap();
    for name in ["../escape", "/etc/passwd", "a/b", "..", ".", ""] {
        let s = register_blob(&mut c, sid, name, b"x").unwrap_err();
        assert_eq!(errno(&s), abi::VACCEL_EINVAL as u32, "{name:?}");
        assert!(s.message.contains("blob name"), "{}", s.message);
    }
    assert!(register_blob(&mut c, sid, "model.onnx", b"x").is_ok());
    let p = |x: &std::path::Path| x.to_str().unwrap().to_owned();
    assert!(register_paths(&mut c, sid, &[&p(&models.join("m.onnx"))]).is_ok());
    for bad in [
        p(&models.join("escape")),
        p(&models.join("../secret")),
        "/etc/passwd".to_owned(),
        "https://example.com/model.onnx".to_owned(),
    ] {
        let s = register_paths(&mut c, sid, &[&bad]).unwrap_err();
        assert_eq!(errno(&s), abi::VACCEL_EACCES as u32, "{bad}");
    }
    // Without local_paths, no agent-local path at all.
    let dir2 = TempDir::new("policy-nopaths");
    let agent2 = Agent::start(Where::Unix(dir2.0.join("a.sock")));
    let mut c2 = agent2.connect();
    let sid2 = create(&mut c2).unwrap();
    let s = register_paths(&mut c2, sid2, &[&p(&models.join("m.onnx"))]).unwrap_err();
    assert_eq!(errno(&s), abi::VACCEL_EACCES as u32);
}

#[test]
fn per_connection_limits() {
    let dir = TempDir::new("policy-limits");
    let agent = agent_with(&dir, "max_sessions=2,max_resources=1,max_payload=64K");
    let mut c = agent.connect();
    let a = create(&mut c).unwrap();
    let b = create(&mut c).unwrap();
    let s = create(&mut c).unwrap_err();
    assert_eq!(errno(&s), abi::VACCEL_EUSERS as u32);
    assert!(s.message.contains("max_sessions is 2"), "{}", s.message);
    // Another connection has its own budget; a destroyed session frees a place.
    let mut other = agent.connect();
    assert!(create(&mut other).is_ok());
    destroy(&mut c, b);
    let b = create(&mut c).unwrap();
    assert!(b > 0);

    register_blob(&mut c, a, "one", b"1").unwrap();
    let s = register_blob(&mut c, a, "two", b"2").unwrap_err();
    assert_eq!(errno(&s), abi::VACCEL_EUSERS as u32);
    assert!(s.message.contains("max_resources is 1"), "{}", s.message);

    // A request over max_payload: the oversize answer, and the connection stays usable.
    let big = vec![7u8; 100 << 10];
    let r = c.call(
        SYNC,
        "RegisterResource",
        &resource::RegisterRequest {
            blobs: vec![resource::Blob {
                type_: 2,
                name: "big".into(),
                size: big.len() as u32,
                data: big.into(),
            }],
            resource_type: 1,
            session_id: a,
            ..Default::default()
        },
    );
    let s = r.status.unwrap();
    assert_eq!(s.code, Code::InvalidArgument as i32, "{s:?}");
    assert!(
        s.message.contains("exceed maximum message size of 65536"),
        "{}",
        s.message
    );
    assert!(create(&mut other).is_ok());
    destroy(&mut c, a);
}

#[test]
fn a_token_is_required_when_configured() {
    let dir = TempDir::new("policy-token");
    std::fs::write(dir.0.join("token"), "s3cret-token\n").unwrap();
    let agent = agent_with(
        &dir,
        &format!("token_file={}", dir.0.join("token").display()),
    );
    let mut c = agent.connect();
    let s = create(&mut c).unwrap_err();
    assert_eq!(s.code, Code::Unauthenticated as i32);
    assert!(s.message.contains("requires a token"), "{}", s.message);

    let with = |c: &mut Client, token: &str| {
        let id = c.next_id();
        let mut req =
            ttrpc::Request::new(SYNC, "CreateSession", &session::CreateRequest { flags: 0 });
        req.metadata.push(ttrpc::KeyValue {
            key: "authorization".into(),
            value: token.into(),
        });
        let frame = vaccel_rpc_proto::FrameCodec::default()
            .encode_message(id, vaccel_rpc_proto::FrameType::Request, 0, &req)
            .unwrap();
        c.raw(&frame);
        c.read_response().1.status.filter(|s| !s.is_ok())
    };
    let s = with(&mut c, "wrong").unwrap();
    assert_eq!(s.code, Code::Unauthenticated as i32);
    assert!(with(&mut c, "s3cret-token").is_none());
}

#[test]
fn unix_socket_mode_and_peer_uids() {
    let dir = TempDir::new("policy-unix");
    let sock = dir.0.join("a.sock");
    let agent = Agent::start(Where::Unix(sock.clone()));
    let mode = std::fs::metadata(&sock).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the default socket mode");
    drop(agent);

    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    let dir = TempDir::new("policy-uids");
    let agent = agent_with(&dir, &format!("unix_mode=660,allow_uid={uid}"));
    let mode = std::fs::metadata(dir.0.join("a.sock"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o660);
    let mut c = agent.connect();
    assert!(create(&mut c).is_ok(), "our own uid is admitted");

    let dir = TempDir::new("policy-uids-refused");
    let mut agent = agent_with(&dir, &format!("allow_uid={}", uid.wrapping_add(4242)));
    let mut c = agent.try_connect().unwrap();
    // The agent closes the connection at accept: the call gets no response.
    let id = c.send(SYNC, "CreateSession", &session::CreateRequest { flags: 0 });
    assert!(id > 0);
    assert!(c.read().is_none(), "a refused peer gets no answer");
    agent.wait_log("not in the agent's allow_uid list", Duration::from_secs(10));
}

#[test]
fn calls_in_flight_per_connection_are_bounded() {
    let dir = TempDir::new("policy-inflight");
    let mbench = common::target_dir().join("libvaccel_mbench.so");
    let agent = Agent::start_with(
        Where::Unix(dir.0.join("a.sock")),
        &[
            ("VACCEL_PLUGINS", mbench.to_str().unwrap()),
            (CONFIG_ENV, "exec_allow=mbench:mbench,max_in_flight=2"),
        ],
    );
    let mut c = agent.connect();
    let sid = create(&mut c).unwrap();
    // Four 800 ms mbench calls on one connection, each sent while the earlier ones run (100 ms
    // apart, so that each arrives on its own rather than in one read): two run, two are refused.
    let busy = genop::Request {
        session_id: sid,
        read_args: vec![
            arg(ArgType::Uint8, vec![OpType::Exec as u8]),
            arg(ArgType::String, cstr("mbench")),
            arg(ArgType::String, cstr("mbench")),
            arg(ArgType::Raw, b"800\0\0".to_vec()),
            arg(ArgType::Raw, vec![1u8; 8]),
        ],
        write_args: vec![],
    };
    for _ in 0..4 {
        c.send(SYNC, "Genop", &busy);
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut ok = 0;
    let mut refused = Vec::new();
    for _ in 0..4 {
        let (_, r) = c.read_response();
        match r.status.filter(|s| !s.is_ok()) {
            None => ok += 1,
            Some(s) => refused.push(s),
        }
    }
    assert_eq!(ok, 2, "{refused:?}");
    assert_eq!(refused.len(), 2);
    for s in refused {
        assert_eq!(s.code, Code::ResourceExhausted as i32);
        assert!(s.message.contains("max_in_flight is 2"), "{}", s.message);
    }
}

#[test]
fn a_stuck_client_does_not_block_others() {
    let dir = TempDir::new("policy-stuck");
    let agent = Agent::start(Where::Unix(dir.0.join("a.sock")));
    // Half a frame header, then nothing: its connection's reader waits, nobody else does.
    let mut stuck = agent.connect();
    stuck.raw(&[0, 0, 0]);
    let mut slow = agent.connect();
    let sid = create(&mut slow).unwrap();
    // A frame that announces 1 KiB and sends 10 bytes of it.
    let mut half = vec![0u8, 0, 4, 0, 0, 0, 0, 1, 1, 0];
    half.extend_from_slice(&[0u8; 10]);
    slow.raw(&half);
    let t = std::time::Instant::now();
    let mut other = agent.connect();
    for _ in 0..20 {
        assert!(create(&mut other).is_ok());
    }
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert!(sid > 0);
}
