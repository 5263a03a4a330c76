//! The real agent binary over unix and tcp sockets, driven by a raw-frame client.

mod common;

use std::time::Duration;

use common::{ASYNC, Agent, SYNC, Where, arg, eventually, leftovers};
use vaccel_rpc_proto::abi::{ArgType, OpType};
use vaccel_rpc_proto::bytes::Bytes;
use vaccel_rpc_proto::error::vaccel_error;
use vaccel_rpc_proto::frame::flags;
use vaccel_rpc_proto::ttrpc::{self, Code};
use vaccel_rpc_proto::{Frame, FrameType, Message, empty, genop, resource, session};

/// The agent policy that admits the `none` symbol of `libnone.so`, the exec the payload tests
/// send (the noop plugin loads nothing).
const EXEC_NONE: &[(&str, &str)] = &[("VACCEL_RPC_AGENT_CONFIG", "exec_allow=libnone.so:none")];

fn c_text(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// The classification genop of §8.4: two 512-byte outputs.
fn classify_request(sid: i64) -> genop::Request {
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

fn create(c: &mut common::Client, service: &str) -> i64 {
    let r: session::CreateResponse = c.ok(
        service,
        "CreateSession",
        &session::CreateRequest { flags: 0 },
    );
    assert!(r.session_id > 0);
    r.session_id
}

fn basic_calls(agent: &mut Agent) {
    let rundir = agent.rundir();
    let mut c = agent.connect();
    for service in [SYNC, ASYNC] {
        let sid = create(&mut c, service);
        // Classification through genop returns the noop dummy strings.
        let r: genop::Response = c.ok(service, "Genop", &classify_request(sid));
        assert_eq!(r.write_args.len(), 2);
        assert_eq!(r.write_args[0].size, 512);
        assert_eq!(r.write_args[0].buf.len(), 512);
        assert_eq!(
            c_text(&r.write_args[0].buf),
            "This is a dummy imgname!",
            "{r:?}"
        );
        assert_eq!(
            c_text(&r.write_args[1].buf),
            "This is a dummy classification tag!"
        );
        // UpdateSession, legacy ImageClassification.
        let _: empty::Empty = c.ok(
            service,
            "UpdateSession",
            &session::UpdateRequest {
                session_id: sid,
                flags: 1,
            },
        );
        let r: vaccel_rpc_proto::image::Response = c.ok(
            service,
            "ImageClassification",
            &vaccel_rpc_proto::image::Request {
                session_id: sid,
                image: Bytes::from_static(b"img"),
            },
        );
        assert_eq!(r.tags.len(), 1024);
        assert_eq!(c_text(&r.tags), "This is a dummy classification tag!");

        // A resource from a MAPPED blob is a file in the resource's rundir.
        let r: resource::RegisterResponse = c.ok(
            service,
            "RegisterResource",
            &resource::RegisterRequest {
                blobs: vec![resource::Blob {
                    type_: 2,
                    name: "lib.so".into(),
                    data: Bytes::from_static(b"\x7fELF"),
                    size: 4,
                }],
                resource_type: 0,
                resource_id: 0,
                session_id: sid,
                paths: vec![],
            },
        );
        let rid = r.resource_id;
        assert!(rid > 0);
        let file = rundir.join(format!("resource.{rid}")).join("lib.so");
        assert_eq!(std::fs::read(&file).unwrap(), b"\x7fELF");
        // Registering the existing resource again answers the same id.
        let r: resource::RegisterResponse = c.ok(
            service,
            "RegisterResource",
            &resource::RegisterRequest {
                resource_id: rid,
                session_id: sid,
                ..Default::default()
            },
        );
        assert_eq!(r.resource_id, rid);
        // No paths or blobs.
        let resp = c.call(
            service,
            "RegisterResource",
            &resource::RegisterRequest {
                session_id: sid,
                ..Default::default()
            },
        );
        let st = resp.status.unwrap();
        assert_eq!(
            (st.code, st.message.as_str()),
            (Code::InvalidArgument as i32, "No paths or blobs provided")
        );
        let _: empty::Empty = c.ok(
            service,
            "UnregisterResource",
            &resource::UnregisterRequest {
                resource_id: rid,
                session_id: sid,
            },
        );
        assert!(!file.exists(), "the resource's file is deleted with it");
        // Unknown resource now.
        let st = c
            .call(
                service,
                "SyncResource",
                &resource::SyncRequest { resource_id: rid },
            )
            .status
            .unwrap();
        assert_eq!(st.message, format!("Unknown resource {rid}"));

        let _: empty::Empty = c.ok(
            service,
            "DestroySession",
            &session::DestroyRequest { session_id: sid },
        );
        // Errors: unknown session (NOT_FOUND, no details), id 0 (INTERNAL with details).
        let st = c
            .call(
                service,
                "DestroySession",
                &session::DestroyRequest { session_id: sid },
            )
            .status
            .unwrap();
        assert_eq!(st.code, Code::NotFound as i32);
        assert_eq!(st.message, format!("Unknown session {sid}"));
        assert!(st.details.is_empty());
        let st = c
            .call(service, "Genop", &genop::Request::default())
            .status
            .unwrap();
        assert_eq!(st.code, Code::Internal as i32);
        assert_eq!(st.message, "Invalid argument: Invalid ID: 0");
        assert_eq!(vaccel_error(&st).unwrap().r#type, 2);
    }

    // A libvaccel error passes through with FFI details: a genop without an op type.
    let sid = create(&mut c, SYNC);
    let st = c
        .call(
            SYNC,
            "Genop",
            &genop::Request {
                session_id: sid,
                ..Default::default()
            },
        )
        .status
        .unwrap();
    assert_eq!(st.code, Code::Internal as i32);
    assert_eq!(st.message, "FFI error: 22");
    assert_eq!(vaccel_error(&st).unwrap().errno(), 22);

    // Size mismatch: CONVERSION_FAILED.
    let mut bad = classify_request(sid);
    bad.read_args[1].size = 99;
    let st = c.call(SYNC, "Genop", &bad).status.unwrap();
    assert!(st.message.starts_with("Conversion failed:"), "{st:?}");

    // Unknown service and method answers (§2.7, vectors C9, C12, C13).
    let st = c.call(SYNC, "Nope", &empty::Empty {}).status.unwrap();
    assert_eq!(
        (st.code, st.message.as_str()),
        (
            Code::InvalidArgument as i32,
            "/vaccel.sync.agent.AgentService/Nope does not exist"
        )
    );
    let st = c.call(ASYNC, "Nope", &empty::Empty {}).status.unwrap();
    assert_eq!(
        (st.code, st.message.as_str()),
        (Code::Unimplemented as i32, "Nope method")
    );
    let st = c
        .call("foo.Service", "CreateSession", &empty::Empty {})
        .status
        .unwrap();
    assert_eq!(st.code, Code::InvalidArgument as i32);
    assert_eq!(st.message, "/foo.Service/CreateSession does not exist");

    // Pipelined calls on one connection: all answered on their own stream ids.
    let ids: Vec<u32> = (0..8)
        .map(|_| c.send(SYNC, "Genop", &classify_request(sid)))
        .collect();
    let mut got: Vec<u32> = (0..8).map(|_| c.read_response().0).collect();
    got.sort();
    assert_eq!(got, ids);

    // GenopStream (async service): open, a plain message, two chunks of an argument, close.
    let id = c.next_id();
    let open = ttrpc::Request::stream_open(ASYNC, "GenopStream");
    c.write_frame(&Frame::from_message(
        id,
        FrameType::Request,
        flags::STREAM_OPEN,
        &open,
    ));
    let msgs = [
        genop::Request {
            session_id: sid,
            read_args: vec![arg(ArgType::Uint8, vec![OpType::ImageClassify as u8])],
            write_args: vec![],
        },
        genop::Request {
            session_id: sid,
            read_args: vec![genop::Arg {
                buf: Bytes::from_static(&[1, 2]),
                size: 4,
                arg_type: ArgType::Buffer as i32,
                parts: 2,
                part_no: 1,
                ..Default::default()
            }],
            write_args: vec![],
        },
        genop::Request {
            session_id: sid,
            read_args: vec![genop::Arg {
                buf: Bytes::from_static(&[3, 4]),
                size: 4,
                arg_type: ArgType::Buffer as i32,
                parts: 2,
                part_no: 2,
                ..Default::default()
            }],
            write_args: vec![
                arg(ArgType::UcharArray, vec![0u8; 64]),
                arg(ArgType::UcharArray, vec![0u8; 64]),
            ],
        },
    ];
    for m in &msgs {
        c.write_frame(&Frame::from_message(id, FrameType::Data, 0, m));
    }
    c.write_frame(&Frame::stream_close(id));
    let (rid, resp) = c.read_response();
    assert_eq!(rid, id);
    let r: genop::Response = resp.into_result().unwrap();
    assert_eq!(
        c_text(&r.write_args[1].buf),
        "This is a dummy classification tag!"
    );
    // Data for a stream that is not open.
    c.write_frame(&Frame::new(99, FrameType::Data, 0, Bytes::new()));
    let (rid, resp) = c.read_response();
    assert_eq!(rid, 99);
    assert_eq!(resp.status.unwrap().message, "Stream is no longer active");

    let _: empty::Empty = c.ok(
        SYNC,
        "DestroySession",
        &session::DestroyRequest { session_id: sid },
    );
    assert!(leftovers(&rundir).is_empty(), "{:?}", leftovers(&rundir));
}

#[test]
fn unix_socket_calls() {
    let dir = common::TempDir::new("unix");
    let sock = dir.0.join("agent.sock");
    // A stale socket file from a crashed agent does not stop it.
    drop(std::os::unix::net::UnixListener::bind(&sock).unwrap());
    let mut agent = Agent::start(Where::Unix(sock.clone()));
    basic_calls(&mut agent);
    // SIGTERM: orderly exit, socket file removed.
    // SAFETY: signalling our own child.
    unsafe { libc::kill(agent.child.id() as i32, libc::SIGTERM) };
    assert!(eventually(Duration::from_secs(10), || !agent.alive()));
    assert!(!sock.exists(), "socket file removed on shutdown");
}

#[test]
fn tcp_calls() {
    let mut agent = Agent::start(Where::Tcp);
    assert!(agent.address.starts_with("tcp://127.0.0.1:"));
    basic_calls(&mut agent);
}

/// Each bad input gets an answer or a close, the agent allocates nothing like the claimed length,
/// and another client is served afterwards.
#[test]
fn bad_frames() {
    let dir = common::TempDir::new("bad");
    let mut agent = Agent::start(Where::Unix(dir.0.join("a.sock")));
    let hdr = |len: u32, sid: u32, ty: u8, fl: u8| {
        let mut v = len.to_be_bytes().to_vec();
        v.extend_from_slice(&sid.to_be_bytes());
        v.extend_from_slice(&[ty, fl]);
        v
    };
    let good = |agent: &Agent| {
        let mut c = agent.connect();
        let sid = create(&mut c, SYNC);
        let _: empty::Empty = c.ok(
            SYNC,
            "DestroySession",
            &session::DestroyRequest { session_id: sid },
        );
    };

    // Length larger than the data, then EOF: closed.
    let mut c = agent.connect();
    let mut b = hdr(100, 1, 1, 0);
    b.extend_from_slice(&[0u8; 10]);
    c.raw(&b);
    c.sock.shutdown_write();
    assert!(c.read().is_none());
    good(&agent);

    // Truncated header: closed.
    let mut c = agent.connect();
    c.raw(&[0, 0, 0]);
    c.sock.shutdown_write();
    assert!(c.read().is_none());
    good(&agent);

    // Garbage protobuf envelope: INVALID_ARGUMENT on that stream, connection kept.
    let mut c = agent.connect();
    let mut b = hdr(3, 5, 1, 0);
    b.extend_from_slice(&[0xff, 0xff, 0xff]);
    c.raw(&b);
    let (sid, resp) = c.read_response();
    assert_eq!(sid, 5);
    assert_eq!(resp.status.unwrap().code, Code::InvalidArgument as i32);
    // Garbage request message inside a valid envelope: answered, connection kept.
    let env = ttrpc::Request {
        service: SYNC.into(),
        method: "CreateSession".into(),
        payload: Bytes::from_static(&[0x0f]),
        ..Default::default()
    };
    let mut b = hdr(env.encoded_len() as u32, 7, 1, 0);
    b.extend_from_slice(&env.encode_to_vec());
    c.raw(&b);
    let (sid, resp) = c.read_response();
    assert_eq!(sid, 7);
    assert_eq!(resp.status.unwrap().code, Code::InvalidArgument as i32);
    let id = create(&mut c, SYNC);
    assert!(id > 0, "the same connection still works");
    drop(c);
    good(&agent);

    // Unknown frame type: closed.
    let mut c = agent.connect();
    let mut b = hdr(2, 9, 0x07, 0);
    b.extend_from_slice(b"xx");
    c.raw(&b);
    assert!(c.read().is_none());
    good(&agent);

    // A claimed 4 GiB: answered with the oversize status, nothing allocated.
    let before = agent.mem_kib("VmRSS:");
    let mut c = agent.connect();
    c.raw(&hdr(u32::MAX, 11, 1, 0));
    c.raw(&[0u8; 1000]);
    let (sid, resp) = c.read_response();
    assert_eq!(sid, 11);
    let st = resp.status.unwrap();
    assert_eq!(st.code, Code::InvalidArgument as i32);
    assert_eq!(
        st.message,
        "message length 4294967295 exceed maximum message size of 1073741824"
    );
    good(&agent);
    drop(c);
    // A claimed 1 GiB (within the limit) followed by 1000 bytes and EOF.
    let mut c = agent.connect();
    c.raw(&hdr(1 << 30, 13, 1, 0));
    c.raw(&[0u8; 1000]);
    c.sock.shutdown_write();
    assert!(c.read().is_none());
    good(&agent);
    let after = agent.mem_kib("VmHWM:");
    assert!(
        after < before + 64 * 1024,
        "peak RSS grew from {before} KiB to {after} KiB"
    );
    assert!(agent.alive());
    agent.wait_log("claims 4294967295 bytes", Duration::from_secs(5));
    agent.wait_log("unknown frame type", Duration::from_secs(5));
}

const CHILD_ENV: &str = "VACCEL_AGENT_TEST_CHILD_ADDRESS";

/// Not a test on its own: the client process of `killed_clients_leave_nothing_behind`, which
/// runs this binary with only this test and the agent's address in `CHILD_ENV`, then kills it.
#[test]
fn child_client() {
    let Ok(address) = std::env::var(CHILD_ENV) else {
        return;
    };
    let path = address.strip_prefix("unix://").unwrap();
    let s = std::os::unix::net::UnixStream::connect(path).unwrap();
    let mut c = common::Client::new(Box::new(s));
    let sid = create(&mut c, SYNC);
    let _: resource::RegisterResponse = c.ok(
        SYNC,
        "RegisterResource",
        &resource::RegisterRequest {
            blobs: vec![resource::Blob {
                type_: 2,
                name: "child.bin".into(),
                data: Bytes::from_static(b"child"),
                size: 5,
            }],
            resource_type: 1,
            session_id: sid,
            ..Default::default()
        },
    );
    println!("CHILD READY");
    // Wait to be killed (bounded, in case the parent goes away).
    std::thread::sleep(Duration::from_secs(60));
}

/// 100 clients (90 connections of this process, 10 client processes) create a session and a
/// file-backed resource each, then vanish without cleaning up: dropped sockets, SIGKILL.
#[test]
fn killed_clients_leave_nothing_behind() {
    const CLIENTS: usize = 90;
    const CHILDREN: usize = 10;
    let dir = common::TempDir::new("kill");
    let mut agent = Agent::start(Where::Unix(dir.0.join("a.sock")));
    let rundir = agent.rundir();
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        let mut c = agent.connect();
        let sid = create(&mut c, if i % 2 == 0 { SYNC } else { ASYNC });
        let r: resource::RegisterResponse = c.ok(
            SYNC,
            "RegisterResource",
            &resource::RegisterRequest {
                blobs: vec![resource::Blob {
                    type_: 2,
                    name: format!("model{i}.bin"),
                    data: Bytes::from(vec![i as u8; 4096]),
                    size: 4096,
                }],
                resource_type: 2,
                session_id: sid,
                ..Default::default()
            },
        );
        assert!(r.resource_id > 0);
        // Leave a call in flight on some of them.
        if i % 3 == 0 {
            c.send(SYNC, "Genop", &classify_request(sid));
        }
        clients.push(c);
    }
    // And client processes killed with SIGKILL while connected.
    let mut children = Vec::new();
    for _ in 0..CHILDREN {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_client", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &agent.address)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let mut lines = std::io::BufRead::lines(std::io::BufReader::new(out));
        assert!(
            lines.any(|l| l.is_ok_and(|l| l.contains("CHILD READY"))),
            "child client did not get ready"
        );
        children.push(child);
    }
    let n = leftovers(&rundir).len();
    assert_eq!(
        n,
        2 * (CLIENTS + CHILDREN),
        "one session and one resource dir per client"
    );
    for mut child in children {
        let _ = child.kill();
        let _ = child.wait();
    }
    drop(clients);
    assert!(
        eventually(Duration::from_secs(20), || leftovers(&rundir).is_empty()),
        "left behind: {:?}",
        leftovers(&rundir)
    );
    agent.wait_log("disconnected: releasing", Duration::from_secs(5));
    agent.wait_log(
        "0 session(s) and 0 resource(s) remain",
        Duration::from_secs(5),
    );
    // The agent still serves.
    let mut c = agent.connect();
    let sid = create(&mut c, SYNC);
    assert!(sid > 0);
}

/// `len` bytes of a pattern whose period, 1 000 003 bytes (a prime), lines up with no power of
/// two, so a block lost, repeated or moved by any chunking shows; built by doubling (cheap even in
/// debug builds).
fn pattern(len: usize) -> Vec<u8> {
    const PERIOD: usize = 1_000_003;
    let mut v: Vec<u8> = Vec::with_capacity(len);
    let mut x: u32 = 0x9e37_79b9;
    for _ in 0..PERIOD.min(len) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.push(x as u8);
    }
    while v.len() < len {
        let n = v.len().min(len - v.len());
        v.extend_from_within(..n);
    }
    v
}

/// A 256 MiB genop argument round-trips intact; prints the agent's peak RSS against the payload.
/// About 1 GiB moves through the agent; a few seconds even in debug builds.
#[test]
fn large_genop_argument() {
    const MIB: usize = 1 << 20;
    const LEN: usize = 256 * MIB;
    let dir = common::TempDir::new("large");
    let agent = Agent::start_with(Where::Unix(dir.0.join("a.sock")), EXEC_NONE);
    let mut c = agent.connect();
    let sid = create(&mut c, SYNC);
    let base = agent.mem_kib("VmHWM:");
    let input = Bytes::from(pattern(LEN));

    // 1. One 256 MiB write argument, sent with its contents and echoed back (exec with a
    //    different-size input: the noop plugin leaves the output alone).
    let req = genop::Request {
        session_id: sid,
        read_args: vec![
            arg(ArgType::Uint8, vec![OpType::Exec as u8]),
            arg(ArgType::String, b"libnone.so\0".to_vec()),
            arg(ArgType::String, b"none\0".to_vec()),
            arg(ArgType::Int32Array, vec![0u8; 4]),
        ],
        write_args: vec![arg(ArgType::Int32Array, input.clone())],
    };
    let t = std::time::Instant::now();
    let r: genop::Response = c.ok(SYNC, "Genop", &req);
    drop(req);
    assert!(r.write_args[0].buf == input, "write argument intact");
    drop(r);
    let hwm1 = agent.mem_kib("VmHWM:");
    println!(
        "256 MiB write argument: request {} MiB, agent peak RSS {} MiB (baseline {} MiB), \
         {:.2}x the argument, {:.1} s",
        LEN / MIB,
        hwm1 / 1024,
        base / 1024,
        (hwm1 * 1024) as f64 / LEN as f64,
        t.elapsed().as_secs_f64()
    );
    assert!(hwm1 * 1024 < 2 * LEN as u64, "peak RSS {hwm1} KiB");

    // 2. exec echo: a 256 MiB INT32 input copied into a 256 MiB output by the noop plugin.
    let req = genop::Request {
        session_id: sid,
        read_args: vec![
            arg(ArgType::Uint8, vec![OpType::Exec as u8]),
            arg(ArgType::String, b"libnone.so\0".to_vec()),
            arg(ArgType::String, b"none\0".to_vec()),
            arg(ArgType::Int32Array, input.clone()),
        ],
        write_args: vec![arg(ArgType::Int32Array, vec![0u8; LEN])],
    };
    let t = std::time::Instant::now();
    let r: genop::Response = c.ok(SYNC, "Genop", &req);
    drop(req);
    assert!(r.write_args[0].buf == input, "exec echoed the input");
    let hwm2 = agent.mem_kib("VmHWM:");
    println!(
        "exec echo 256 MiB in + 256 MiB out: request {} MiB, agent peak RSS {} MiB, \
         {:.2}x the request payload, {:.1} s",
        2 * LEN / MIB,
        hwm2 / 1024,
        (hwm2 * 1024) as f64 / (2 * LEN) as f64,
        t.elapsed().as_secs_f64()
    );
    assert!(hwm2 * 1024 < 2 * 2 * LEN as u64, "peak RSS {hwm2} KiB");
}

/// TF, TFLite and Torch methods with the noop plugin behind the agent (§6.9, vector D6), and
/// GetProfiler.
#[test]
fn model_methods() {
    use vaccel_rpc_proto::{profiling, tf, tflite, torch};
    let dir = common::TempDir::new("models");
    let agent = Agent::start(Where::Unix(dir.0.join("a.sock")));
    let mut c = agent.connect();
    let sid = create(&mut c, SYNC);
    let r: resource::RegisterResponse = c.ok(
        SYNC,
        "RegisterResource",
        &resource::RegisterRequest {
            blobs: vec![resource::Blob {
                type_: 2,
                name: "model.pb".into(),
                data: Bytes::from_static(b"graph"),
                size: 5,
            }],
            resource_type: 2,
            session_id: sid,
            ..Default::default()
        },
    );
    let mid = r.resource_id;

    let r: tf::ModelLoadResponse = c.ok(
        SYNC,
        "TensorflowModelLoad",
        &tf::ModelLoadRequest {
            session_id: sid,
            model_id: mid,
        },
    );
    assert!(r.graph_def.is_empty());
    assert_eq!(
        r.status.unwrap().message,
        "Operation handled by noop plugin"
    );
    let tensor = tf::Tensor {
        data: Bytes::from_static(&[1, 0, 0, 0, 2, 0, 0, 0]),
        dims: vec![1, 2],
        r#type: 3,
    };
    let r: tf::ModelRunResponse = c.ok(
        ASYNC,
        "TensorflowModelRun",
        &tf::ModelRunRequest {
            session_id: sid,
            model_id: mid,
            run_options: None,
            in_nodes: vec![tf::Node {
                name: "in".into(),
                id: 0,
            }],
            out_nodes: vec![tf::Node {
                name: "out".into(),
                id: 0,
            }],
            in_tensors: vec![tensor.clone()],
        },
    );
    assert_eq!(r.out_tensors, vec![tensor]);
    let st = c
        .call(
            SYNC,
            "TensorflowModelLoad",
            &tf::ModelLoadRequest {
                session_id: sid,
                model_id: 999,
            },
        )
        .status
        .unwrap();
    assert_eq!(st.message, "Unknown TensorFlow model 999");
    let r: tf::ModelUnloadResponse = c.ok(
        SYNC,
        "TensorflowModelUnload",
        &tf::ModelUnloadRequest {
            session_id: sid,
            model_id: mid,
        },
    );
    assert!(r.status.is_some());

    let _: empty::Empty = c.ok(
        SYNC,
        "TensorflowLiteModelLoad",
        &tflite::ModelLoadRequest {
            session_id: sid,
            model_id: mid,
        },
    );
    let lt = tflite::Tensor {
        data: Bytes::from_static(&[9, 9, 9, 9]),
        dims: vec![1],
        r#type: 2,
    };
    let r: tflite::ModelRunResponse = c.ok(
        SYNC,
        "TensorflowLiteModelRun",
        &tflite::ModelRunRequest {
            session_id: sid,
            model_id: mid,
            in_tensors: vec![lt.clone()],
            nr_out_tensors: 1,
        },
    );
    assert_eq!(r.out_tensors, vec![lt]);
    assert_eq!(r.status.unwrap().code, 0);

    let _: empty::Empty = c.ok(
        SYNC,
        "TorchModelLoad",
        &torch::ModelLoadRequest {
            session_id: sid,
            model_id: mid,
        },
    );
    let tt = torch::Tensor {
        data: Bytes::from_static(&[0, 0, 128, 63]),
        dims: vec![1],
        r#type: 7,
    };
    let r: torch::ModelRunResponse = c.ok(
        SYNC,
        "TorchModelRun",
        &torch::ModelRunRequest {
            session_id: sid,
            model_id: mid,
            run_options: None,
            in_tensors: vec![tt.clone()],
            nr_out_tensors: 1,
        },
    );
    assert_eq!(r.out_tensors, vec![tt]);
    let st = c
        .call(
            SYNC,
            "TorchModelRun",
            &torch::ModelRunRequest {
                session_id: sid,
                model_id: mid,
                nr_out_tensors: 0,
                ..Default::default()
            },
        )
        .status
        .unwrap();
    assert_eq!(
        st.message,
        "Invalid argument: Number of output tensors cannot be < 1"
    );

    let r: profiling::Response = c.ok(SYNC, "GetProfiler", &profiling::Request { session_id: sid });
    assert!(r.profiler.is_none());
}

/// Abstract unix sockets and the hybrid-vsock listener path (`<path>_<port>`).
#[test]
fn abstract_and_hybrid_vsock_addresses() {
    let name = format!("vaccel-agent-test-{}", std::process::id());
    let mut agent = Agent::start_with_address(&format!("unix://@{name}"));
    {
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let s = std::os::unix::net::UnixStream::connect_addr(&addr).unwrap();
        let mut c = common::Client::new(Box::new(s));
        assert!(create(&mut c, SYNC) > 0);
    }
    let _ = agent.child.kill();

    let dir = common::TempDir::new("hv");
    let base = dir.0.join("v.sock");
    let mut agent = Agent::start_with_address(&format!("hvsock://{}:1024", base.display()));
    let path = dir.0.join("v.sock_1024");
    let s = std::os::unix::net::UnixStream::connect(&path).unwrap();
    let mut c = common::Client::new(Box::new(s));
    assert!(create(&mut c, SYNC) > 0);
    drop(c);
    // SAFETY: signalling our own child.
    unsafe { libc::kill(agent.child.id() as i32, libc::SIGINT) };
    assert!(eventually(Duration::from_secs(10), || !agent.alive()));
    assert!(!path.exists());
}

/// Many clients with many calls in flight each, over tcp, all answered correctly.
#[test]
fn many_clients_concurrently() {
    const THREADS: usize = 16;
    const CALLS: usize = 40;
    let agent = Agent::start(Where::Tcp);
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            let mut c = agent.connect();
            scope.spawn(move || {
                let sid = create(&mut c, SYNC);
                let ids: Vec<u32> = (0..CALLS)
                    .map(|_| c.send(SYNC, "Genop", &classify_request(sid)))
                    .collect();
                let mut got = Vec::new();
                for _ in 0..CALLS {
                    let (id, resp) = c.read_response();
                    let r: genop::Response = resp.into_result().unwrap();
                    assert_eq!(
                        c_text(&r.write_args[1].buf),
                        "This is a dummy classification tag!"
                    );
                    got.push(id);
                }
                got.sort();
                assert_eq!(got, ids);
                let _: empty::Empty = c.ok(
                    SYNC,
                    "DestroySession",
                    &session::DestroyRequest { session_id: sid },
                );
            });
        }
    });
}

/// `--vaccel-config` configures the agent's libvaccel (the environment's plugin list and log
/// level are ignored), and with `profiling_enabled=true` GetProfiler returns the genop regions.
#[test]
fn vaccel_config_and_profiler() {
    use vaccel_rpc_proto::profiling;
    let dir = common::TempDir::new("config");
    let agent = Agent::start_with_config(
        &dir.0.join("a.sock"),
        "plugins={noop},log_level=1,profiling_enabled=true",
    );
    let mut c = agent.connect();
    let sid = create(&mut c, SYNC);
    let r: profiling::Response = c.ok(SYNC, "GetProfiler", &profiling::Request { session_id: sid });
    assert!(r.profiler.is_none(), "no genop yet");
    for _ in 0..2 {
        let _: genop::Response = c.ok(SYNC, "Genop", &classify_request(sid));
    }
    let r: profiling::Response = c.ok(SYNC, "GetProfiler", &profiling::Request { session_id: sid });
    let p = r.profiler.unwrap();
    assert_eq!(p.component_name, "vaccel-rpc-agent");
    let names: Vec<&str> = p.regions.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "[vaccel-rpc-agent] genop > read_args",
            "[vaccel-rpc-agent] genop > resp_write_args",
            "[vaccel-rpc-agent] genop > sess.genop",
            "[vaccel-rpc-agent] genop > write_args",
        ]
    );
    assert!(p.regions.values().all(|r| r.samples.len() == 2));
    let st = c
        .call(SYNC, "GetProfiler", &profiling::Request { session_id: 0 })
        .status
        .unwrap();
    assert_eq!(st.message, "Invalid argument: Invalid ID: 0");
}

/// A bind failure or a bad address is a clean error exit, not a panic.
#[test]
fn bind_errors_exit_cleanly() {
    let agent = Agent::start(Where::Tcp);
    let target = common::target_dir();
    let run = |address: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_vaccel-rpc-agent"))
            .args(["-a", address])
            .env(
                "LD_LIBRARY_PATH",
                agent.dir.0.join("lib").display().to_string() + ":" + &target.display().to_string(),
            )
            .env("VACCEL_PLUGINS", target.join("libvaccel_noop.so"))
            .output()
            .unwrap()
    };
    let out = run(&agent.address);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Could not listen on"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let out = run("nope://x");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Unsupported protocol"));
}

/// Random request payloads for every method, random Data frames and random envelopes: every
/// request is answered and the agent keeps serving.
#[test]
fn random_payloads_are_answered() {
    let dir = common::TempDir::new("fuzz");
    let mut agent = Agent::start(Where::Unix(dir.0.join("a.sock")));
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut c = agent.connect();
    let sid = create(&mut c, SYNC);
    for round in 0..400 {
        let len = (rand() % 64) as usize;
        let mut payload: Vec<u8> = (0..len).map(|_| rand() as u8).collect();
        // Keep some ids valid so that calls get past the lookups.
        if round % 4 == 0 && !payload.is_empty() {
            payload[0] = 0x08;
            if payload.len() > 1 {
                payload[1] = sid as u8;
            }
        }
        let method = vaccel_rpc_proto::Method::ALL[round % vaccel_rpc_proto::Method::ALL.len()];
        let env = ttrpc::Request {
            service: if round % 2 == 0 { SYNC } else { ASYNC }.into(),
            method: method.name().into(),
            payload: payload.into(),
            ..Default::default()
        };
        let id = c.next_id();
        c.write_frame(&Frame::from_message(id, FrameType::Request, 0, &env));
        let (got, _) = c.read_response();
        assert_eq!(got, id, "round {round}");
        // A random envelope.
        let junk: Vec<u8> = (0..(rand() % 32)).map(|_| rand() as u8).collect();
        let id = c.next_id();
        c.write_frame(&Frame::new(id, FrameType::Request, 0, junk));
        let (got, _) = c.read_response();
        assert_eq!(got, id, "round {round}");
    }
    assert!(agent.alive());
    let mut c2 = agent.connect();
    assert!(create(&mut c2, SYNC) > 0);
    // Nothing in the log says a handler panicked.
    assert!(
        !agent
            .log
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("panicked"))
    );
}

/// `--help` is the official agent's text (spec §7.1) plus `-V/--version`.
#[test]
fn help_text() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vaccel-rpc-agent"))
        .arg("--help")
        .env("LD_LIBRARY_PATH", common::target_dir())
        .output()
        .unwrap();
    assert!(out.status.success());
    let want = "\
A vAccel RPC agent that can respond to acceleration requests

Usage: vaccel-rpc-agent [OPTIONS]

Options:
  -a, --server-address <SERVER_ADDRESS>
          The server address in the format '<socket-type>://<host>:<port>' [default: tcp://127.0.0.1:65500]
      --vaccel-config <VACCEL_CONFIG>
          Configuration options passed to vAccel in the format 'opt1=value1,opt2=value2'
  -h, --help
          Print help
  -V, --version
          Print version
";
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
}

/// State is not tied to connections while they live (any connection may use any id, §6.1), and a
/// disconnect releases only what that connection created and is still there.
#[test]
fn ids_are_shared_across_connections() {
    let dir = common::TempDir::new("shared");
    let mut agent = Agent::start(Where::Unix(dir.0.join("a.sock")));
    let rundir = agent.rundir();
    let mut a = agent.connect();
    let mut b = agent.connect();
    let sa = create(&mut a, SYNC);
    // B uses and destroys A's session.
    let _: genop::Response = b.ok(SYNC, "Genop", &classify_request(sa));
    let _: empty::Empty = b.ok(
        SYNC,
        "DestroySession",
        &session::DestroyRequest { session_id: sa },
    );
    let sb = create(&mut b, SYNC);
    drop(a);
    agent.wait_log("Connection from", Duration::from_secs(5));
    // B's session survives A's disconnect.
    let _: genop::Response = b.ok(SYNC, "Genop", &classify_request(sb));
    assert_eq!(leftovers(&rundir), vec![format!("session.{sb}")]);
    drop(b);
    assert!(eventually(Duration::from_secs(10), || leftovers(&rundir).is_empty()));
}

/// A `GenopStream` on `c`: the messages as Data frames, then the close; the one response.
fn stream_call(c: &mut common::Client, msgs: &[genop::Request]) -> ttrpc::Response {
    let id = c.next_id();
    c.write_frame(&Frame::from_message(
        id,
        FrameType::Request,
        flags::STREAM_OPEN,
        &ttrpc::Request::stream_open(ASYNC, "GenopStream"),
    ));
    for m in msgs {
        c.write_frame(&Frame::from_message(id, FrameType::Data, 0, m));
    }
    c.write_frame(&Frame::stream_close(id));
    let (rid, resp) = c.read_response();
    assert_eq!(rid, id);
    resp
}

/// The classification genop of §8.4 with an `image_len`-byte image sent in `part`-byte parts
/// (§10.1).
fn chunked_classify(sid: i64, image_len: usize, part: usize) -> Vec<genop::Request> {
    let image = pattern(image_len);
    let parts = image.chunks(part).count() as u32;
    let mut msgs = vec![genop::Request {
        session_id: sid,
        read_args: vec![arg(ArgType::Uint8, vec![OpType::ImageClassify as u8])],
        write_args: vec![],
    }];
    for (i, chunk) in image.chunks(part).enumerate() {
        msgs.push(genop::Request {
            session_id: sid,
            read_args: vec![genop::Arg {
                buf: Bytes::copy_from_slice(chunk),
                size: image_len as u32,
                arg_type: ArgType::Buffer as i32,
                parts,
                part_no: i as u32 + 1,
                ..Default::default()
            }],
            write_args: vec![],
        });
    }
    msgs.push(genop::Request {
        session_id: sid,
        read_args: vec![],
        write_args: vec![
            arg(ArgType::UcharArray, vec![0u8; 512]),
            arg(ArgType::UcharArray, vec![0u8; 512]),
        ],
    });
    msgs
}

/// A reassembled `GenopStream` has its own bound, `VACCEL_RPC_AGENT_MAX_STREAM` (default
/// 16 GiB), instead of the 1 GiB frame limit: here 1 MiB, so that both sides of it are cheap. A
/// stream under it is served; one over it is refused with RESOURCE_EXHAUSTED and a log line,
/// and the connection keeps working. An invalid value stops the agent at startup.
#[test]
fn genop_stream_limit() {
    const KIB: usize = 1024;
    let dir = common::TempDir::new("stream-limit");
    let mut agent = Agent::start_with(
        Where::Unix(dir.0.join("a.sock")),
        &[("VACCEL_RPC_AGENT_MAX_STREAM", "1M")],
    );
    let mut c = agent.connect();
    let sid = create(&mut c, SYNC);
    let check_ok = |resp: ttrpc::Response| {
        let r: genop::Response = resp.into_result().unwrap();
        assert_eq!(c_text(&r.write_args[0].buf), "This is a dummy imgname!");
        assert_eq!(
            c_text(&r.write_args[1].buf),
            "This is a dummy classification tag!"
        );
    };
    // 900 KiB in 4 parts: under the limit.
    check_ok(stream_call(
        &mut c,
        &chunked_classify(sid, 900 * KIB, 256 * KIB),
    ));
    // 1.5 MiB in 6 parts: refused once the total passes 1 MiB.
    let resp = stream_call(&mut c, &chunked_classify(sid, 1536 * KIB, 256 * KIB));
    let st = resp.status.unwrap();
    assert_eq!(st.code, Code::ResourceExhausted as i32, "{st:?}");
    assert!(
        st.message
            .contains("exceeds the agent's limit of 1048576 bytes (VACCEL_RPC_AGENT_MAX_STREAM)"),
        "{}",
        st.message
    );
    agent.wait_log("refused", Duration::from_secs(5));
    // The same connection still serves streams and unary calls.
    check_ok(stream_call(
        &mut c,
        &chunked_classify(sid, 100 * KIB, 32 * KIB),
    ));
    let r: genop::Response = c.ok(SYNC, "Genop", &classify_request(sid));
    assert_eq!(r.write_args.len(), 2);
    let _: empty::Empty = c.ok(
        SYNC,
        "DestroySession",
        &session::DestroyRequest { session_id: sid },
    );

    let target = common::target_dir();
    for bad in ["lots", "1.5G", "-1"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_vaccel-rpc-agent"))
            .args(["-a", "tcp://127.0.0.1:0"])
            .env("LD_LIBRARY_PATH", &target)
            .env("VACCEL_RPC_AGENT_MAX_STREAM", bad)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{bad}: {err}");
        assert!(
            err.contains("VACCEL_RPC_AGENT_MAX_STREAM: Invalid size"),
            "{bad}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// A streamed genop argument of more than 1 GiB is served (it would not fit one frame): 1.25 GiB
/// sent in 4 MiB parts. The agent holds the whole argument, so this needs about 1.3 GiB of memory
/// there.
#[test]
#[ignore = "the agent holds 1.3 GiB; run with --ignored (about 3 s, debug or release)"]
fn genop_stream_over_one_gib() {
    const MIB: usize = 1 << 20;
    const LEN: usize = 1280 * MIB;
    const PART: usize = 4 * MIB - 64;
    let dir = common::TempDir::new("stream-big");
    let agent = Agent::start(Where::Unix(dir.0.join("a.sock")));
    let mut c = agent.connect();
    let sid = create(&mut c, SYNC);
    let block = Bytes::from(pattern(PART));
    let parts = LEN.div_ceil(PART) as u32;
    let id = c.next_id();
    c.write_frame(&Frame::from_message(
        id,
        FrameType::Request,
        flags::STREAM_OPEN,
        &ttrpc::Request::stream_open(ASYNC, "GenopStream"),
    ));
    let t = std::time::Instant::now();
    let op = genop::Request {
        session_id: sid,
        read_args: vec![arg(ArgType::Uint8, vec![OpType::ImageClassify as u8])],
        write_args: vec![],
    };
    c.write_frame(&Frame::from_message(id, FrameType::Data, 0, &op));
    for i in 0..parts as usize {
        let len = PART.min(LEN - i * PART);
        let m = genop::Request {
            session_id: sid,
            read_args: vec![genop::Arg {
                buf: block.slice(..len),
                size: LEN as u32,
                arg_type: ArgType::Buffer as i32,
                parts,
                part_no: i as u32 + 1,
                ..Default::default()
            }],
            write_args: vec![],
        };
        c.write_frame(&Frame::from_message(id, FrameType::Data, 0, &m));
    }
    let outs = genop::Request {
        session_id: sid,
        read_args: vec![],
        write_args: vec![
            arg(ArgType::UcharArray, vec![0u8; 512]),
            arg(ArgType::UcharArray, vec![0u8; 512]),
        ],
    };
    c.write_frame(&Frame::from_message(id, FrameType::Data, 0, &outs));
    c.write_frame(&Frame::stream_close(id));
    let (rid, resp) = c.read_response();
    assert_eq!(rid, id);
    let r: genop::Response = resp.into_result().unwrap();
    assert_eq!(
        c_text(&r.write_args[1].buf),
        "This is a dummy classification tag!"
    );
    println!(
        "{} MiB streamed in {parts} parts: agent peak RSS {} MiB, {:.1} s",
        LEN / MIB,
        agent.mem_kib("VmHWM:") / 1024,
        t.elapsed().as_secs_f64()
    );
}

/// A genop request of many empty arguments (2 bytes each on the wire, ~56 bytes each decoded) is
/// refused before decoding, unary or streamed, and the agent's memory stays near the frame size.
#[test]
fn too_many_genop_arguments() {
    let dir = common::TempDir::new("many-args");
    let agent = Agent::start(Where::Unix(dir.0.join("a.sock")));
    let mut c = agent.connect();
    let sid = create(&mut c, SYNC);
    let want = "genop.Request with more than 65536 repeated elements";
    let many = |n: usize| genop::Request {
        session_id: sid,
        read_args: vec![genop::Arg::default(); n],
        write_args: vec![],
    };
    for service in [SYNC, ASYNC] {
        let st = c.call(service, "Genop", &many(65_537)).status.unwrap();
        assert_eq!(
            (st.code, st.message.as_str()),
            (Code::InvalidArgument as i32, want)
        );
    }
    let st = stream_call(&mut c, &[many(10), many(65_537), many(10)])
        .status
        .unwrap();
    assert_eq!(
        (st.code, st.message.as_str()),
        (Code::InvalidArgument as i32, want)
    );
    // 8 Mi empty arguments in a 16 MiB frame: refused without decoding them (about 450 MiB
    // decoded).
    let before = agent.mem_kib("VmHWM:");
    let n = 8 << 20;
    let mut payload = Vec::with_capacity(2 * n + 2);
    payload.extend_from_slice(&[0x08, sid as u8]);
    for _ in 0..n {
        payload.extend_from_slice(&[0x12, 0x00]);
    }
    let env = ttrpc::Request {
        service: SYNC.into(),
        method: "Genop".into(),
        payload: payload.into(),
        ..Default::default()
    };
    let id = c.next_id();
    c.write_frame(&Frame::from_message(id, FrameType::Request, 0, &env));
    let (_, resp) = c.read_response();
    assert_eq!(resp.status.unwrap().message, want);
    let after = agent.mem_kib("VmHWM:");
    assert!(
        after < before + 96 * 1024,
        "peak RSS grew from {before} KiB to {after} KiB"
    );
    // Still served.
    let r: genop::Response = c.ok(SYNC, "Genop", &classify_request(sid));
    assert_eq!(r.write_args.len(), 2);
}

/// Every request message is walked before decoding (`vaccel_rpc_proto::bound`): a
/// `RegisterResource` frame of ~64 MiB of empty blobs (2 bytes each on the wire, ~64 bytes each
/// decoded: ~2 GiB) is refused with INVALID_ARGUMENT, the agent's peak RSS stays under 3× the
/// frame, and the connection goes on serving; so is an envelope of too many metadata entries.
#[test]
fn too_many_repeated_elements_in_any_request() {
    let dir = common::TempDir::new("many-elements");
    let mut agent = Agent::start(Where::Unix(dir.0.join("a.sock")));
    let mut c = agent.connect();
    let sid = create(&mut c, SYNC);

    let blobs = 32 << 20;
    let mut payload = Vec::with_capacity(2 * blobs + 2);
    payload.extend_from_slice(&[0x28, sid as u8]); // session_id (5)
    for _ in 0..blobs {
        payload.extend_from_slice(&[0x12, 0x00]); // an empty blob (2)
    }
    let frame_len = payload.len() as u64;
    let env = ttrpc::Request {
        service: SYNC.into(),
        method: "RegisterResource".into(),
        payload: payload.into(),
        ..Default::default()
    };
    let before = agent.mem_kib("VmHWM:");
    let id = c.next_id();
    c.write_frame(&Frame::from_message(id, FrameType::Request, 0, &env));
    drop(env);
    let (got, resp) = c.read_response();
    assert_eq!(got, id);
    let st = resp.status.unwrap();
    assert_eq!(
        (st.code, st.message.as_str()),
        (
            Code::InvalidArgument as i32,
            "resource.RegisterRequest with more than 65536 repeated elements"
        )
    );
    let after = agent.mem_kib("VmHWM:");
    eprintln!(
        "{} MiB frame of empty blobs: agent VmHWM {before} KiB before, {after} KiB after",
        frame_len >> 20
    );
    assert!(
        after * 1024 < 3 * frame_len,
        "peak RSS {after} KiB for a {frame_len}-byte frame"
    );

    // The same connection still serves, RegisterResource included.
    let r: resource::RegisterResponse = c.ok(
        SYNC,
        "RegisterResource",
        &resource::RegisterRequest {
            blobs: vec![resource::Blob {
                type_: 2,
                name: "lib.so".into(),
                data: Bytes::from_static(b"\x7fELF"),
                size: 4,
            }],
            session_id: sid,
            ..Default::default()
        },
    );
    assert!(r.resource_id > 0);

    // The envelope itself: 65 537 empty metadata entries.
    let env = ttrpc::Request {
        service: SYNC.into(),
        method: "CreateSession".into(),
        metadata: vec![ttrpc::KeyValue::default(); 65_537],
        ..Default::default()
    };
    let id = c.next_id();
    c.write_frame(&Frame::from_message(id, FrameType::Request, 0, &env));
    let (got, resp) = c.read_response();
    assert_eq!(got, id);
    let st = resp.status.unwrap();
    assert_eq!(
        (st.code, st.message.as_str()),
        (
            Code::InvalidArgument as i32,
            "ttrpc.Request with more than 65536 repeated elements"
        )
    );
    assert!(create(&mut c, SYNC) > 0);
    assert!(agent.alive());
}

/// The blob-cache extension: negotiated through the extension service, a blob registered with
/// its digest is registered again by digest alone; misses and wrong digests are refused; the
/// ordinary methods are unaffected.
#[test]
fn blob_cache_extension() {
    use vaccel_rpc_proto::ext;
    let agent = Agent::start(Where::Tcp);
    let mut c = agent.connect();
    let caps: ext::CapabilitiesResponse = c.ok(
        ext::EXT_SERVICE,
        ext::CAPABILITIES,
        &ext::CapabilitiesRequest {
            offered: vec![ext::CAP_BLOB_CACHE.into(), "something-else".into()],
        },
    );
    assert_eq!(caps.supported, [ext::CAP_BLOB_CACHE]);
    let sid = create(&mut c, SYNC);
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7) as u8).collect();
    let digest = Bytes::copy_from_slice(&ext::sha256(&data));
    let req = |with_data: bool, digest: &Bytes| ext::RegisterRequest {
        request: Some(resource::RegisterRequest {
            blobs: vec![resource::Blob {
                type_: 1,
                name: "model.bin".into(),
                data: if with_data {
                    Bytes::from(data.clone())
                } else {
                    Bytes::new()
                },
                size: data.len() as u32,
            }],
            resource_type: 2,
            session_id: sid,
            ..Default::default()
        }),
        digests: vec![digest.clone()],
    };
    // Not cached yet.
    let r = c.call(
        ext::EXT_SERVICE,
        ext::REGISTER_RESOURCE,
        &req(false, &digest),
    );
    let st = r.status.unwrap();
    assert_eq!(st.code, Code::FailedPrecondition as i32, "{}", st.message);
    assert!(st.message.starts_with(ext::NOT_CACHED), "{}", st.message);
    // With the data: registered and cached.
    let first: resource::RegisterResponse = c.ok(
        ext::EXT_SERVICE,
        ext::REGISTER_RESOURCE,
        &req(true, &digest),
    );
    // By digest alone, from another connection too.
    let mut c2 = agent.connect();
    let sid2 = create(&mut c2, SYNC);
    let mut again = req(false, &digest);
    again.request.as_mut().unwrap().session_id = sid2;
    let second: resource::RegisterResponse =
        c2.ok(ext::EXT_SERVICE, ext::REGISTER_RESOURCE, &again);
    assert!(second.resource_id > 0 && second.resource_id != first.resource_id);
    // Data that does not match its digest is refused.
    let wrong = Bytes::copy_from_slice(&[1u8; 32]);
    let r = c.call(ext::EXT_SERVICE, ext::REGISTER_RESOURCE, &req(true, &wrong));
    assert_eq!(r.status.unwrap().code, Code::InvalidArgument as i32);
    // Unknown extension methods get the ordinary unknown-method answer.
    let r = c.call(ext::EXT_SERVICE, "Nope", &empty::Empty {});
    assert_eq!(
        r.status.unwrap().message,
        "/vaccel.rs.ext.Extensions/Nope does not exist"
    );
    // The ordinary method still works on the same connection.
    let _: session::CreateResponse =
        c.ok(SYNC, "CreateSession", &session::CreateRequest { flags: 0 });
}

/// Shared-memory genop arguments: offered on unix sockets only; the op reads and writes the
/// client's memfd in place and the answer carries only the size; unsealed memfds, ranges outside
/// the memfd and missing descriptors are refused; the mapping is reused across calls.
#[test]
fn shared_memory_extension() {
    use std::os::fd::AsFd;
    use vaccel_rpc_proto::segments::{self, SharedMem, send_with_fds};
    use vaccel_rpc_proto::{FrameReader, ext};
    let dir = common::TempDir::new("shm");
    let sock = dir.0.join("a.sock");
    let agent = Agent::start_with(Where::Unix(sock.clone()), EXEC_NONE);
    let probe = |c: &mut common::Client| -> Vec<String> {
        let r: ext::CapabilitiesResponse = c.ok(
            ext::EXT_SERVICE,
            ext::CAPABILITIES,
            &ext::CapabilitiesRequest {
                offered: vec![ext::CAP_SHM.into()],
            },
        );
        r.supported
    };
    let tcp = Agent::start(Where::Tcp);
    assert!(probe(&mut tcp.connect()).is_empty());
    let mut c = agent.connect();
    assert_eq!(probe(&mut c), [ext::CAP_SHM]);
    let sid = create(&mut c, SYNC);

    let s = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    let mut rd = FrameReader::new(
        s.try_clone().unwrap(),
        vaccel_rpc_proto::FrameCodec::default(),
    );
    const N: usize = 100_000;
    let mut mem = SharedMem::new(2 * N).unwrap();
    for (i, b) in mem.as_mut_slice()[..N].iter_mut().enumerate() {
        *b = (i % 251) as u8;
    }
    let mut id = 1;
    let mut call = |fd: std::os::fd::BorrowedFd<'_>, shm: Vec<ext::ShmArg>, nfds: u32| {
        let req = ext::ShmGenopRequest {
            request: Some(genop::Request {
                session_id: sid,
                read_args: vec![
                    genop::Arg::op_type(OpType::Exec),
                    genop::Arg::new(ArgType::String, b"libnone.so\0".to_vec()),
                    genop::Arg::new(ArgType::String, b"none\0".to_vec()),
                    genop::Arg {
                        size: N as u32,
                        ..genop::Arg::new(ArgType::Int32Array, Vec::new())
                    },
                ],
                write_args: vec![genop::Arg {
                    size: N as u32,
                    ..genop::Arg::new(ArgType::Int32Array, Vec::new())
                }],
            }),
            shm,
            fds: nfds,
        };
        let segs =
            segments::request_frame_named(id, ext::EXT_SERVICE, ext::GENOP_SHM, &req, 0).unwrap();
        let fds = if nfds > 0 { vec![fd] } else { Vec::new() };
        send_with_fds(s.as_fd(), &segs, &fds).unwrap();
        let f = rd.read_frame().unwrap().unwrap();
        assert_eq!(f.stream_id, id);
        id += 2;
        f.decode::<ttrpc::Response>().unwrap()
    };
    let args = |len: u64| {
        vec![
            ext::ShmArg {
                write: false,
                index: 3,
                fd: 0,
                offset: 0,
                len,
            },
            ext::ShmArg {
                write: true,
                index: 0,
                fd: 0,
                offset: N as u64,
                len,
            },
        ]
    };
    for _ in 0..2 {
        let r = call(mem.fd(), args(N as u64), 1);
        let resp: genop::Response = r.into_result().unwrap();
        assert_eq!(resp.write_args.len(), 1);
        assert!(resp.write_args[0].buf.is_empty());
        assert_eq!(resp.write_args[0].size, N as u32);
        let (a, b) = mem.as_slice().split_at(N);
        assert_eq!(a, b, "the op wrote the output in place");
        mem.as_mut_slice()[N..].fill(0);
    }
    // A size that disagrees with the range, a range past the end, no descriptor.
    let r = call(mem.fd(), args(N as u64 + 1), 1);
    assert_eq!(r.status.unwrap().code, Code::InvalidArgument as i32);
    let mut far = args(N as u64);
    far[1].offset = 2 * N as u64;
    let r = call(mem.fd(), far, 1);
    assert!(r.status.unwrap().message.contains("outside"));
    let r = call(mem.fd(), args(N as u64), 0);
    assert!(r.status.unwrap().message.contains("descriptor"));
    // An unsealed memfd is refused.
    // SAFETY: plain memfd_create/ftruncate calls.
    let raw = unsafe {
        let fd = libc::memfd_create(c"x".as_ptr(), libc::MFD_CLOEXEC);
        libc::ftruncate(fd, 2 * N as libc::off_t);
        fd
    };
    // SAFETY: a fresh descriptor.
    let unsealed = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(raw) };
    let r = call(unsealed.as_fd(), args(N as u64), 1);
    assert!(r.status.unwrap().message.contains("F_SEAL_SHRINK"));
    // The connection still serves ordinary calls.
    let _: session::CreateResponse =
        c.ok(SYNC, "CreateSession", &session::CreateRequest { flags: 0 });
}

/// Descriptors passed without the GenopShm requests that claim them end the connection (they
/// would otherwise pile up until the agent runs out), even in the middle of a frame; other
/// connections are unaffected.
#[test]
fn descriptor_flood_closes_the_connection() {
    use std::io::Read;
    use std::os::fd::AsFd;
    use vaccel_rpc_proto::segments::{SharedMem, send_with_fds};
    let dir = common::TempDir::new("fdflood");
    let sock = dir.0.join("a.sock");
    let agent = Agent::start(Where::Unix(sock.clone()));
    let mut s = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    let mem = SharedMem::new(4096).unwrap();
    // A header announcing a 1000-byte Request, then its bytes one at a time, 16 descriptors each.
    let hdr = vec![0u8, 0, 0x03, 0xe8, 0, 0, 0, 1, 1, 0];
    send_with_fds(s.as_fd(), &[Bytes::from(hdr)], &[]).unwrap();
    let fds: Vec<_> = (0..16).map(|_| mem.fd()).collect();
    for _ in 0..8 {
        if send_with_fds(s.as_fd(), &[Bytes::from_static(b"x")], &fds).is_err() {
            break;
        }
    }
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 16];
    assert!(
        matches!(s.read(&mut buf), Ok(0) | Err(_)),
        "connection closed"
    );
    let mut c = agent.connect();
    let _: session::CreateResponse =
        c.ok(SYNC, "CreateSession", &session::CreateRequest { flags: 0 });
}
