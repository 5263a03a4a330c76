//! Unit tests: marshalling from C structs, response handling, the client against a scripted
//! in-process agent, and the C entry points end to end over a unix socket.

use std::ffi::{CString, c_void};
use std::os::unix::net::{UnixListener, UnixStream};
use std::ptr;
use std::sync::atomic::AtomicU32;
use std::thread;

use ::vaccel_plugin::abi::*;
use vaccel_rpc_proto::error::{Error as VError, error_to_status};
use vaccel_rpc_proto::frame::flags;
use vaccel_rpc_proto::{
    Bytes, FrameCodec, FrameType, Message, Method, Service, genop, resource, session, tf, ttrpc,
};

use super::*;
use crate::client::{Client, RpcError, request_frame, stream_parts};
use crate::test_stubs::registered;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A request the fake agent received: method, flags of the Request frame, payload, and for
/// streams the Data-frame messages.
#[derive(Debug, Clone)]
struct Received {
    stream_id: u32,
    method: String,
    service: String,
    flags: u8,
    payload: Bytes,
    data: Vec<Bytes>,
}

/// Serves one connection: every request (unary or client stream) is answered by `handler`.
fn serve(mut s: UnixStream, handler: impl Fn(&Received) -> ttrpc::Response) -> Vec<Received> {
    let codec = FrameCodec::new(u32::MAX);
    let mut seen = Vec::new();
    let mut open: Option<Received> = None;
    while let Ok(Some(frame)) = codec.read_frame(&mut s) {
        let done = match frame.frame_type {
            FrameType::Request => {
                let r: ttrpc::Request = frame.decode().unwrap();
                let rec = Received {
                    stream_id: frame.stream_id,
                    method: r.method,
                    service: r.service,
                    flags: frame.flags,
                    payload: r.payload,
                    data: Vec::new(),
                };
                if frame.has_flag(flags::REMOTE_OPEN) {
                    open = Some(rec);
                    None
                } else {
                    Some(rec)
                }
            }
            FrameType::Data => {
                let o = open.as_mut().expect("data without an open stream");
                if frame.has_flag(flags::REMOTE_CLOSED) {
                    assert!(frame.payload.is_empty());
                    open.take()
                } else {
                    o.data.push(frame.payload.clone());
                    None
                }
            }
            FrameType::Response => panic!("response from the client"),
        };
        if let Some(rec) = done {
            let resp = handler(&rec);
            codec
                .write_message(&mut s, rec.stream_id, FrameType::Response, 0, &resp)
                .unwrap();
            seen.push(rec);
        }
    }
    seen
}

/// A client connected to a fake agent thread; the join handle returns what it received.
fn fake_agent(
    threshold: usize,
    handler: impl Fn(&Received) -> ttrpc::Response + Send + 'static,
) -> (Client<UnixStream>, thread::JoinHandle<Vec<Received>>) {
    let (a, b) = UnixStream::pair().unwrap();
    let h = thread::spawn(move || serve(b, handler));
    (Client::new(a, Service::Sync, threshold), h)
}

/// Echo handler: CreateSession → 7, Genop → write args echoed with the first byte set to 0xaa.
fn echo(r: &Received) -> ttrpc::Response {
    match r.method.as_str() {
        "CreateSession" => ttrpc::Response::ok(&session::CreateResponse { session_id: 7 }),
        "Genop" | "GenopStream" => {
            let req = if r.method == "Genop" {
                genop::Request::decode(r.payload.clone()).unwrap()
            } else {
                reassemble(&r.data)
            };
            let write_args = req
                .write_args
                .into_iter()
                .map(|mut a| {
                    let mut v = a.buf.to_vec();
                    if let Some(b) = v.first_mut() {
                        *b = 0xaa;
                    }
                    a.buf = v.into();
                    a
                })
                .collect();
            ttrpc::Response::ok(&genop::Response { write_args })
        }
        "RegisterResource" => ttrpc::Response::ok(&resource::RegisterResponse { resource_id: 3 }),
        "DestroySession" | "UnregisterResource" | "UpdateSession" => {
            ttrpc::Response::ok(&vaccel_rpc_proto::empty::Empty {})
        }
        "SyncResource" => ttrpc::Response::ok(&resource::SyncResponse {
            blobs: vec![resource::Blob {
                data: Bytes::from_static(b"synced"),
                size: 6,
                ..Default::default()
            }],
        }),
        "TensorflowModelRun" => {
            let req = tf::ModelRunRequest::decode(r.payload.clone()).unwrap();
            ttrpc::Response::ok(&tf::ModelRunResponse {
                out_tensors: req.in_tensors,
                status: Some(vaccel_rpc_proto::error::Status {
                    code: 0,
                    message: "ran".into(),
                }),
            })
        }
        "TensorflowLiteModelRun" => {
            let req = vaccel_rpc_proto::tflite::ModelRunRequest::decode(r.payload.clone()).unwrap();
            assert_eq!(req.nr_out_tensors, 1);
            ttrpc::Response::ok(&vaccel_rpc_proto::tflite::ModelRunResponse {
                out_tensors: req.in_tensors,
                status: Some(vaccel_rpc_proto::error::Status {
                    code: 4,
                    message: String::new(),
                }),
            })
        }
        "TorchModelRun" => {
            let req = vaccel_rpc_proto::torch::ModelRunRequest::decode(r.payload.clone()).unwrap();
            assert_eq!(req.run_options.as_deref(), Some(&b"opts"[..]));
            ttrpc::Response::ok(&vaccel_rpc_proto::torch::ModelRunResponse {
                out_tensors: req.in_tensors,
            })
        }
        "TensorflowModelLoad" => ttrpc::Response::error(error_to_status(&VError::ffi_with_status(
            22,
            3,
            "bad graph",
        ))),
        m => ttrpc::Response::error(ttrpc::Status::method_does_not_exist(&r.service, m)),
    }
}

/// The agent-side reassembly of §10.2, for the tests.
fn reassemble(parts: &[Bytes]) -> genop::Request {
    let mut out = genop::Request::default();
    let mut pending: Option<genop::Arg> = None;
    for p in parts {
        let m = genop::Request::decode(p.clone()).unwrap();
        out.session_id = m.session_id;
        for (is_write, args) in [(false, m.read_args), (true, m.write_args)] {
            let dst = if is_write {
                &mut out.write_args
            } else {
                &mut out.read_args
            };
            if args.len() == 1 && args[0].parts > 0 {
                let a = &args[0];
                let p = pending.get_or_insert_with(|| genop::Arg {
                    arg_type: a.arg_type,
                    custom_type_id: a.custom_type_id,
                    size: a.size,
                    ..Default::default()
                });
                let mut v = p.buf.to_vec();
                v.extend_from_slice(&a.buf);
                p.buf = v.into();
                if a.part_no >= a.parts {
                    dst.push(pending.take().unwrap());
                }
            } else {
                dst.extend(args);
            }
        }
    }
    out
}

#[test]
fn identity_and_ops() {
    // SAFETY: reading the plugin's static info.
    let info = unsafe { &*ptr::addr_of!(__VACCEL_PLUGIN_INFO) };
    // SAFETY: a static C string.
    assert_eq!(unsafe { std::ffi::CStr::from_ptr(info.name) }, c"rpc");
    assert!(info.is_virtio);
    assert_eq!(info.type_, VACCEL_PLUGIN_REMOTE);
    assert!(info.session_init.is_some() && info.session_release.is_some());
    assert!(info.session_update.is_some() && info.resource_register.is_some());
    assert!(info.resource_unregister.is_some() && info.resource_sync.is_some());
    // SAFETY: calling the generated init with the test stubs.
    assert_eq!(unsafe { (info.init.unwrap())() }, 0);
    let ops: Vec<u32> = registered().iter().map(|r| r.0).collect();
    assert_eq!(ops.len(), 23);
    assert!(!ops.contains(&(OpType::TorchSgemm as u32)));
    for op in 0..24 {
        assert_eq!(
            ops.contains(&op),
            op != OpType::TorchSgemm as u32,
            "op {op}"
        );
    }
}

#[test]
fn request_frames_match_the_golden_vectors() {
    // C1: CreateSession{flags: 0} on stream 1; C3: flags 3 on stream 3.
    let c1 = request_frame(
        1,
        Service::Sync,
        Method::CreateSession,
        &session::CreateRequest { flags: 0 },
        0,
    )
    .unwrap();
    let mut want = hex("0000002f 00000001 01 00 0a1e");
    want.extend_from_slice(b"vaccel.sync.agent.AgentService");
    want.extend_from_slice(&hex("120d"));
    want.extend_from_slice(b"CreateSession");
    assert_eq!(c1, want);
    let c3 = request_frame(
        3,
        Service::Sync,
        Method::CreateSession,
        &session::CreateRequest { flags: 3 },
        0,
    )
    .unwrap();
    assert_eq!(&c3[..10], &hex("00000033 00000003 01 00")[..]);
    assert!(c3.ends_with(&hex("1a020803")));
    // Same bytes as encoding the envelope with the generic codec.
    let req = genop::Request {
        session_id: 1,
        read_args: vec![genop::Arg::op_type(OpType::ImageClassify)],
        write_args: vec![],
    };
    let ours = request_frame(9, Service::Async, Method::Genop, &req, 0).unwrap();
    let generic = FrameCodec::default()
        .encode_message(
            9,
            FrameType::Request,
            0,
            &ttrpc::Request::new(Service::Async.name(), "Genop", &req),
        )
        .unwrap();
    assert_eq!(ours, generic);
}

#[test]
fn client_uses_odd_stream_ids_and_maps_errors() {
    let (mut c, h) = fake_agent(usize::MAX, echo);
    let r: session::CreateResponse = c
        .call(
            Method::CreateSession,
            &session::CreateRequest { flags: 0x100 },
        )
        .unwrap();
    assert_eq!(r.session_id, 7);
    let e = c
        .call::<_, tf::ModelLoadResponse>(
            Method::TensorflowModelLoad,
            &tf::ModelLoadRequest {
                session_id: 7,
                model_id: 1,
            },
        )
        .unwrap_err();
    assert_eq!(e.errno(), 22);
    assert_eq!(tf_error_status(&e), (3, "bad graph".to_string()));
    let e = c
        .call::<_, genop::Response>(Method::GetProfiler, &genop::Request::default())
        .unwrap_err();
    assert_eq!(e.errno(), VACCEL_EIO, "a status without details is EIO");
    assert_eq!(tf_error_status(&e).0, 255);
    drop(c);
    let seen = h.join().unwrap();
    let ids: Vec<u32> = seen.iter().map(|r| r.stream_id).collect();
    assert_eq!(ids, [1, 3, 5]);
    assert!(
        seen.iter()
            .all(|r| r.service == "vaccel.sync.agent.AgentService")
    );
    assert_eq!(seen[0].payload, Bytes::from(hex("088002")), "D8");
}

#[test]
fn error_codes() {
    assert_eq!(RpcError::Transport("x".into()).errno(), VACCEL_EIO);
    assert_eq!(RpcError::Local(VACCEL_EBACKEND, "x".into()).errno(), 71);
    assert_eq!(
        RpcError::Status(error_to_status(&VError::ffi(95))).errno(),
        95
    );
    assert_eq!(
        RpcError::Status(error_to_status(&VError::invalid_argument("Invalid ID: 0"))).errno(),
        VACCEL_EBACKEND
    );
    let undefined = RpcError::Status(error_to_status(&VError::ffi(95)));
    assert_eq!(tf_error_status(&undefined), (255, "Undefined error".into()));
}

#[test]
fn a_dead_connection_is_a_transport_error() {
    let (a, b) = UnixStream::pair().unwrap();
    drop(b);
    let mut c = Client::new(a, Service::Sync, usize::MAX);
    let e = c
        .call::<_, session::CreateResponse>(
            Method::CreateSession,
            &session::CreateRequest::default(),
        )
        .unwrap_err();
    assert_eq!(e.errno(), VACCEL_EIO);
}

#[test]
fn large_arguments_are_split_into_parts() {
    let big: Vec<u8> = (0..10_000_000u32).map(|i| i as u8).collect();
    let req = genop::Request {
        session_id: 4,
        read_args: vec![
            genop::Arg::op_type(OpType::Exec),
            genop::Arg::new(ArgType::Buffer, big.clone()),
            genop::Arg::new(ArgType::Int32, vec![1, 0, 0, 0]),
        ],
        write_args: vec![genop::Arg::new(ArgType::Buffer, vec![9u8; 5_000_000])],
    };
    let parts = stream_parts(req.clone()).unwrap();
    // [op], big in 3 parts, [int32], write in 2 parts
    assert_eq!(parts.len(), 7);
    for p in &parts {
        assert!(
            p.encoded_len() <= genop::STREAM_MAX_REQ_LEN,
            "{}",
            p.encoded_len()
        );
        assert_eq!(p.session_id, 4);
    }
    assert_eq!(parts[1].read_args[0].parts, 3);
    assert_eq!(parts[1].read_args[0].part_no, 1);
    assert_eq!(parts[3].read_args[0].part_no, 3);
    assert_eq!(parts[3].read_args[0].size, 10_000_000);
    assert_eq!(parts[5].write_args[0].parts, 2);
    let parts: Vec<Bytes> = parts.iter().map(|p| p.encode_to_vec().into()).collect();
    let mut back = reassemble(&parts);
    for a in back.read_args.iter_mut().chain(back.write_args.iter_mut()) {
        a.parts = 0;
        a.part_no = 0;
    }
    assert_eq!(back, req);
}

#[test]
fn genop_over_the_threshold_streams() {
    let (mut c, h) = fake_agent(1000, echo);
    let small = genop::Request {
        session_id: 1,
        read_args: vec![genop::Arg::op_type(OpType::Opencv)],
        write_args: vec![genop::Arg::new(ArgType::Raw, vec![1u8; 10])],
    };
    let r = c.genop(small).unwrap();
    assert_eq!(r.write_args[0].buf[..2], [0xaa, 1]);
    let big = genop::Request {
        session_id: 1,
        read_args: vec![
            genop::Arg::op_type(OpType::Opencv),
            genop::Arg::new(ArgType::Raw, vec![3u8; 6_000_000]),
        ],
        write_args: vec![genop::Arg::new(ArgType::Raw, vec![2u8; 6_000_000])],
    };
    let r = c.genop(big).unwrap();
    assert_eq!(r.write_args[0].buf.len(), 6_000_000);
    assert_eq!(r.write_args[0].buf[..2], [0xaa, 2]);
    drop(c);
    let seen = h.join().unwrap();
    // Large arguments on a unix socket first ask whether the agent shares memory (this fake
    // agent does not), once.
    assert_eq!(seen[1].method, "Capabilities");
    assert_eq!(seen[1].service, vaccel_rpc_proto::ext::EXT_SERVICE);
    let seen: Vec<_> = seen
        .into_iter()
        .filter(|r| r.method != "Capabilities")
        .collect();
    assert_eq!(seen[0].method, "Genop");
    assert_eq!(seen[1].method, "GenopStream");
    assert_eq!(seen[1].flags, flags::STREAM_OPEN);
    assert!(seen[1].payload.is_empty());
    assert_eq!(seen[1].data.len(), 1 + 2 + 2);
}

fn c_arg(buf: &mut [u8], type_: ArgType) -> vaccel_arg {
    vaccel_arg {
        buf: buf.as_mut_ptr().cast(),
        size: buf.len(),
        type_: type_ as u32,
        custom_type_id: 0,
        owned: false,
    }
}

#[test]
fn c_arguments_marshal_and_copy_back() {
    let mut input = 10i32.to_ne_bytes();
    let mut output = [0u8; 4];
    let read = [c_arg(&mut input, ArgType::Int32)];
    let write = [c_arg(&mut output, ArgType::Int32)];
    // SAFETY: arrays of valid arguments.
    let (r, (w, outs)) = unsafe {
        (
            marshal::read_args(read.as_ptr(), 1).unwrap(),
            marshal::write_args(write.as_ptr(), 1).unwrap(),
        )
    };
    let req = genop::Request {
        session_id: 1,
        read_args: [
            vec![
                marshal::op_arg(OpType::ExecWithResource),
                marshal::scalar(ArgType::Int64, &1i64.to_ne_bytes()),
                // SAFETY: a static C string.
                unsafe { marshal::string_arg(c"mytestfunc".as_ptr()) }.unwrap(),
            ],
            r,
        ]
        .concat(),
        write_args: w,
    };
    // D7
    assert_eq!(
        req.encode_to_vec(),
        hex("0801 12070a0102 10011809 120e0a080100000000000000 10081807
             12110a0b6d797465737466756e6300 100b181b 120a0a040a000000 10041805
             1a0a0a0400000000 10041805")
    );
    drop(req);
    let resp = genop::Response {
        write_args: vec![genop::Arg::new(
            ArgType::Int32,
            20i32.to_ne_bytes().to_vec(),
        )],
    };
    // SAFETY: `outs` points at `output`.
    unsafe { copy_back(&outs, &resp) }.unwrap();
    assert_eq!(i32::from_ne_bytes(output), 20);
    // Too large, or the wrong count: EBACKEND and nothing written.
    let resp = genop::Response {
        write_args: vec![genop::Arg::new(ArgType::Int32, vec![1u8; 5])],
    };
    // SAFETY: as above.
    assert_eq!(unsafe { copy_back(&outs, &resp) }, Err(VACCEL_EBACKEND));
    // SAFETY: as above.
    let rc = unsafe { copy_back(&outs, &genop::Response::default()) };
    assert_eq!(rc, Err(VACCEL_EBACKEND));
    assert_eq!(i32::from_ne_bytes(output), 20);
}

/// A zeroed C struct (sessions and resources hold mutexes; all-zero is their initial state).
fn zeroed<T>() -> Box<T> {
    // SAFETY: the vAccel structs are plain data for which all-zero is valid.
    Box::new(unsafe { std::mem::zeroed() })
}

#[test]
fn register_request_from_blobs_paths_and_existing() {
    let mut data = *b"\x7fELF";
    let name = CString::new("lib.so").unwrap();
    let mut blob = vaccel_blob {
        type_: VACCEL_BLOB_MAPPED,
        name: name.as_ptr().cast_mut(),
        path: ptr::null_mut(),
        path_owned: false,
        data: data.as_mut_ptr(),
        data_owned: false,
        size: 4,
    };
    let mut blobs = [&raw mut blob];
    let mut res = zeroed::<vaccel_resource>();
    res.type_ = VACCEL_RESOURCE_LIB;
    res.blobs = blobs.as_mut_ptr();
    res.nr_blobs = 1;
    // SAFETY: a resource whose blob array and data are alive.
    let req = unsafe { marshal::register_request(&res, 1) }.unwrap();
    assert_eq!(
        req.encode_to_vec(),
        hex("1212 0802 12066c69622e736f 1a047f454c46 2004 2801"),
        "D1"
    );
    drop(req);
    // No blobs: the paths (URLs) travel.
    let url = CString::new("https://example.com/m.pt").unwrap();
    let mut paths = [url.as_ptr().cast_mut()];
    res.blobs = ptr::null_mut();
    res.nr_blobs = 0;
    res.paths = paths.as_mut_ptr();
    res.nr_paths = 1;
    res.type_ = VACCEL_RESOURCE_MODEL;
    // SAFETY: as above.
    let req = unsafe { marshal::register_request(&res, 2) }.unwrap();
    assert_eq!(req.paths, ["https://example.com/m.pt"]);
    assert_eq!((req.resource_type, req.session_id), (2, 2));
    // Already on the agent: only the ids.
    res.remote_id = 5;
    // SAFETY: as above.
    let req = unsafe { marshal::register_request(&res, 2) }.unwrap();
    assert_eq!(
        req,
        resource::RegisterRequest {
            resource_id: 5,
            session_id: 2,
            ..Default::default()
        }
    );
}

#[test]
fn output_tensors_are_libc_allocated_copies() {
    let mut out: [*mut vaccel_tf_tensor; 2] = [ptr::null_mut(); 2];
    let data = [1u8, 2, 3, 4];
    let dims = [1i64, 4];
    // SAFETY: `out` holds 2 writable pointers.
    unsafe { marshal::store_outputs(out.as_mut_ptr(), 2, &[(&data[..], &dims[..], 1)]) }.unwrap();
    assert!(out[1].is_null(), "no second output returned");
    // SAFETY: made by store_outputs.
    unsafe {
        let t = &*out[0];
        assert_eq!((t.size, t.nr_dims, t.data_type, t.owned), (4, 2, 1, true));
        assert_eq!(std::slice::from_raw_parts(t.dims, 2), dims);
        assert_eq!(std::slice::from_raw_parts(t.data.cast::<u8>(), 4), data);
        marshal::free_tensor(out[0]);
    }
    let mut status = vaccel_tf_status {
        code: 9,
        message: ptr::null_mut(),
    };
    // SAFETY: a writable status.
    unsafe { marshal::set_tf_status(&mut status, 0, "Operation handled") }.unwrap();
    // SAFETY: strdup'd above.
    unsafe {
        assert_eq!(status.code, 0);
        assert_eq!(
            std::ffi::CStr::from_ptr(status.message),
            c"Operation handled"
        );
        libc::free(status.message.cast());
    }
}

/// The C entry points through the process-wide connection, against a fake agent on a unix
/// socket (the only test that uses the global client and the address variable).
#[test]
fn entry_points_over_a_unix_socket() {
    let dir = std::env::temp_dir().join(format!("vaccel-rpc-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sock");
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    let h = thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        serve(s, echo)
    });
    // SAFETY: no other test reads or writes the environment.
    unsafe { std::env::set_var("VACCEL_RPC_ADDRESS", format!("unix://{}", path.display())) };

    let mut sess = zeroed::<vaccel_session>();
    // SAFETY: a zeroed session, as the core passes it.
    assert_eq!(unsafe { sess_init(&mut *sess, 0) }, 0);
    assert_eq!(sess.remote_id, 7);

    // image classification: imgname first, then text; results copied back.
    let img = [1u8, 2, 3];
    let mut text = [0u8; 8];
    let mut name = [0u8; 4];
    // SAFETY: valid buffers of the lengths given.
    let rc = unsafe {
        rpc_image_classify(
            &mut *sess,
            img.as_ptr().cast(),
            text.as_mut_ptr(),
            name.as_mut_ptr(),
            3,
            8,
            4,
        )
    };
    assert_eq!(rc, 0);
    assert_eq!((text[0], name[0]), (0xaa, 0xaa));

    // minmax: 4 read args after the op, 3 write args.
    let indata = [1.0f64, 2.0];
    let mut outdata = [0f64; 2];
    let (mut min, mut max) = (0f64, 0f64);
    // SAFETY: valid arrays.
    let rc = unsafe {
        rpc_minmax(
            &mut *sess,
            indata.as_ptr(),
            2,
            0,
            1,
            outdata.as_mut_ptr(),
            &mut min,
            &mut max,
        )
    };
    assert_eq!(rc, 0);

    // a resource: registered (id 3), synced, unregistered (remote id forgotten at refcount 0).
    let mut data = *b"old!!!";
    let bname = CString::new("buf").unwrap();
    let mut blob = vaccel_blob {
        type_: VACCEL_BLOB_BUFFER,
        name: bname.as_ptr().cast_mut(),
        path: ptr::null_mut(),
        path_owned: false,
        data: data.as_mut_ptr(),
        data_owned: false,
        size: 6,
    };
    let mut blobs = [&raw mut blob];
    let mut res = zeroed::<vaccel_resource>();
    res.type_ = VACCEL_RESOURCE_DATA;
    res.blobs = blobs.as_mut_ptr();
    res.nr_blobs = 1;
    // SAFETY: a resource with live blobs.
    assert_eq!(unsafe { res_register(&mut *res, &mut *sess) }, 0);
    assert_eq!(res.remote_id, 3);
    // SAFETY: as above.
    assert_eq!(unsafe { res_sync(&mut *res, &mut *sess) }, 0);
    assert_eq!(&data, b"synced");
    res.refcount = AtomicU32::new(0);
    // SAFETY: as above.
    assert_eq!(unsafe { res_unregister(&mut *res, &mut *sess) }, 0);
    assert_eq!(res.remote_id, 0);

    // TF run: outputs allocated, status filled; TF load failure: framework status from details.
    res.remote_id = 3;
    let mut in_data = [5u8; 8];
    let mut in_dims = [2i64];
    let mut input = vaccel_tf_tensor {
        data: in_data.as_mut_ptr().cast::<c_void>(),
        size: 8,
        owned: false,
        nr_dims: 1,
        dims: in_dims.as_mut_ptr(),
        data_type: 1,
    };
    let inputs = [&raw mut input];
    let node_name = CString::new("in").unwrap();
    let node = vaccel_tf_node {
        name: node_name.as_ptr().cast_mut(),
        id: 0,
    };
    let mut out: *mut vaccel_tf_tensor = ptr::null_mut();
    let mut status = vaccel_tf_status {
        code: 0,
        message: ptr::null_mut(),
    };
    // SAFETY: valid inputs, one output slot, a writable status.
    let rc = unsafe {
        rpc_tf_model_run(
            &mut *sess,
            &mut *res,
            ptr::null(),
            &node,
            inputs.as_ptr(),
            1,
            &node,
            &mut out,
            1,
            &mut status,
        )
    };
    assert_eq!(rc, 0);
    // SAFETY: the output and the message were allocated by the plugin with libc.
    unsafe {
        assert_eq!((*out).size, 8);
        assert_eq!(std::ffi::CStr::from_ptr(status.message), c"ran");
        marshal::free_tensor(out);
        libc::free(status.message.cast());
    }
    // SAFETY: as above.
    let rc = unsafe { rpc_tf_model_load(&mut *sess, &mut *res, &mut status) };
    assert_eq!(rc, 22);
    // SAFETY: as above.
    unsafe {
        assert_eq!(status.code, 3);
        assert_eq!(std::ffi::CStr::from_ptr(status.message), c"bad graph");
        libc::free(status.message.cast());
    }

    // TFLite and Torch runs: outputs allocated with libc, TFLite status byte set.
    let mut tl_data = [7u8; 4];
    let mut tl_dims = [1i32, 1];
    let mut tl_in = vaccel_tflite_tensor {
        data: tl_data.as_mut_ptr().cast::<c_void>(),
        size: 4,
        owned: false,
        nr_dims: 2,
        dims: tl_dims.as_mut_ptr(),
        data_type: 1,
    };
    let tl_inputs = [&raw mut tl_in];
    let mut tl_out: *mut vaccel_tflite_tensor = ptr::null_mut();
    let mut tl_status = 0u8;
    // SAFETY: valid inputs, one output slot, a writable status byte.
    let rc = unsafe {
        rpc_tflite_model_run(
            &mut *sess,
            &mut *res,
            tl_inputs.as_ptr(),
            1,
            &mut tl_out,
            1,
            &mut tl_status,
        )
    };
    assert_eq!((rc, tl_status), (0, 4));
    // SAFETY: allocated by the plugin.
    unsafe {
        assert_eq!(std::slice::from_raw_parts((*tl_out).dims, 2), [1, 1]);
        marshal::free_tensor(tl_out);
    }
    let mut th_data = [1u8; 12];
    let mut th_dims = [3i64];
    let mut th_in = vaccel_torch_tensor {
        data: th_data.as_mut_ptr().cast::<c_void>(),
        size: 12,
        owned: false,
        nr_dims: 1,
        dims: th_dims.as_mut_ptr(),
        data_type: 7,
    };
    let th_inputs = [&raw mut th_in];
    let mut th_out: *mut vaccel_torch_tensor = ptr::null_mut();
    let mut opts = *b"opts";
    let run_options = vaccel_torch_buffer {
        data: opts.as_mut_ptr().cast(),
        size: 4,
    };
    // SAFETY: valid inputs and options, one output slot.
    let rc = unsafe {
        rpc_torch_model_run(
            &mut *sess,
            &mut *res,
            &run_options,
            th_inputs.as_ptr(),
            1,
            &mut th_out,
            1,
        )
    };
    assert_eq!(rc, 0);
    // SAFETY: allocated by the plugin.
    unsafe {
        assert_eq!(
            ((*th_out).size, (*th_out).nr_dims, (*th_out).data_type),
            (12, 1, 7)
        );
        marshal::free_tensor(th_out);
    }

    // Several threads share the connection: calls are serialised, each gets its own answer.
    let workers: Vec<_> = (0..4)
        .map(|t| {
            thread::spawn(move || {
                let mut s = zeroed::<vaccel_session>();
                s.remote_id = 7;
                for i in 0..10 {
                    let a = [t * 100 + i; 4];
                    let mut out = [0i32; 4];
                    // SAFETY: arrays of 4 ints.
                    let rc = unsafe {
                        rpc_fpga_arraycopy(&mut *s, a.as_ptr().cast_mut(), out.as_mut_ptr(), 4)
                    };
                    assert_eq!(rc, 0);
                    // the fake agent echoes the write argument with its first byte set to 0xaa
                    assert_eq!(out[0] & 0xff, 0xaa);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }

    // an RPC the agent lacks: EIO; noop answered locally.
    // SAFETY: as above.
    let rc = unsafe { rpc_tflite_model_load(&mut *sess, &mut *res) };
    assert_eq!(rc, VACCEL_EIO);
    // SAFETY: as above.
    assert_eq!(unsafe { rpc_noop(&mut *sess) }, 0);
    // SAFETY: as above.
    assert_eq!(unsafe { sess_release(&mut *sess) }, 0);
    assert_eq!(fini(), 0);

    let seen = h.join().unwrap();
    let methods: Vec<&str> = seen.iter().map(|r| r.method.as_str()).collect();
    let ids: Vec<u32> = seen.iter().map(|r| r.stream_id).collect();
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 2), "{ids:?}");
    // 10 calls before the threads, then their 40 genops, then the rest.
    let threads = methods[10..50].to_vec();
    let methods: Vec<&str> = methods[..10]
        .iter()
        .chain(&methods[50..])
        .copied()
        .collect();
    assert_eq!(threads, ["Genop"; 40]);
    assert_eq!(
        methods,
        [
            "CreateSession",
            "Genop",
            "Genop",
            "RegisterResource",
            "SyncResource",
            "UnregisterResource",
            "TensorflowModelRun",
            "TensorflowModelLoad",
            "TensorflowLiteModelRun",
            "TorchModelRun",
            "TensorflowLiteModelLoad",
            "DestroySession"
        ]
    );
    let classify = genop::Request::decode(seen[1].payload.clone()).unwrap();
    assert_eq!(classify.read_args.len(), 2);
    assert_eq!(classify.write_args.len(), 2);
    assert_eq!(classify.write_args[0].size, 4, "out_imgname first");
    let minmax = genop::Request::decode(seen[2].payload.clone()).unwrap();
    assert_eq!((minmax.read_args.len(), minmax.write_args.len()), (5, 3));
    let _ = std::fs::remove_dir_all(&dir);

    // No agent: a clear EIO within the timeout.
    // SAFETY: as above.
    unsafe { std::env::set_var("VACCEL_RPC_ADDRESS", "unix:///nonexistent/vaccel.sock") };
    let mut sess2 = zeroed::<vaccel_session>();
    // SAFETY: as above.
    assert_eq!(unsafe { sess_init(&mut *sess2, 0) }, VACCEL_EIO);
}

mod connect {
    use super::*;
    use crate::client::{Stream, connect};
    use std::io::{BufRead, BufReader, Write as _};
    use std::net::TcpListener;
    use std::time::{Duration, Instant};
    use vaccel_rpc_proto::Address;

    const T: Duration = Duration::from_secs(2);

    #[test]
    fn tcp_sets_nodelay_and_refusal_is_quick() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let addr: Address = format!("tcp://127.0.0.1:{port}").parse().unwrap();
        let Stream::Tcp(s) = connect(&addr, T).unwrap() else {
            panic!("not tcp")
        };
        assert!(s.nodelay().unwrap());
        drop(l);
        let start = Instant::now();
        assert!(connect(&addr, T).is_err());
        assert!(start.elapsed() < T);
    }

    #[test]
    fn abstract_unix_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("vaccel-rpc-test-{}", std::process::id());
        let sa = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let l = UnixListener::bind_addr(&sa).unwrap();
        let h = thread::spawn(move || serve(l.accept().unwrap().0, echo));
        let addr: Address = format!("unix://@{name}").parse().unwrap();
        let mut c = Client::new(connect(&addr, T).unwrap(), Service::Sync, usize::MAX);
        let r: session::CreateResponse = c
            .call(Method::CreateSession, &session::CreateRequest::default())
            .unwrap();
        assert_eq!(r.session_id, 7);
        drop(c);
        assert_eq!(h.join().unwrap().len(), 1);
    }

    #[test]
    fn hybrid_vsock_handshake_then_calls() {
        let dir = std::env::temp_dir().join(format!("vaccel-rpc-hv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("v.sock");
        let _ = std::fs::remove_file(&path);
        let l = UnixListener::bind(&path).unwrap();
        let h = thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut line = String::new();
            BufReader::new(&mut s).read_line(&mut line).unwrap();
            assert_eq!(line, "CONNECT 2048\n");
            s.write_all(b"OK 1073741824\n").unwrap();
            serve(s, echo)
        });
        let addr: Address = format!("hvsock://{}:2048", path.display()).parse().unwrap();
        let mut c = Client::new(connect(&addr, T).unwrap(), Service::Sync, usize::MAX);
        let r: session::CreateResponse = c
            .call(Method::CreateSession, &session::CreateRequest::default())
            .unwrap();
        assert_eq!(r.session_id, 7);
        drop(c);
        assert_eq!(h.join().unwrap().len(), 1);
        // A refused handshake is an error.
        let l = {
            let _ = std::fs::remove_file(&path);
            UnixListener::bind(&path).unwrap()
        };
        let h = thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            s.write_all(b"FAILURE\n").unwrap();
        });
        assert!(connect(&addr, T).is_err());
        h.join().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A muxer that sends its reply one byte at a time, each within the timeout: the handshake
    /// as a whole still ends at the connect timeout.
    #[test]
    fn hybrid_vsock_handshake_has_one_deadline() {
        let dir = std::env::temp_dir().join(format!("vaccel-rpc-hv-slow-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("v.sock");
        let _ = std::fs::remove_file(&path);
        let l = UnixListener::bind(&path).unwrap();
        let h = thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut line = String::new();
            BufReader::new(&mut s).read_line(&mut line).unwrap();
            // 20 bytes, 100 ms apart, until the client hangs up.
            for b in b"OK 123456789012345\n" {
                if s.write_all(&[*b]).is_err() {
                    break;
                }
                thread::sleep(Duration::from_millis(100));
            }
        });
        let addr: Address = format!("hvsock://{}:2048", path.display()).parse().unwrap();
        let start = Instant::now();
        let e = connect(&addr, Duration::from_millis(400)).unwrap_err();
        let took = start.elapsed();
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut, "{e}");
        assert!(
            took >= Duration::from_millis(400) && took < Duration::from_millis(1500),
            "{took:?}"
        );
        h.join().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn writes_to_a_closed_peer_fail_with_epipe() {
        let (a, b) = UnixStream::pair().unwrap();
        drop(b);
        let mut s = Stream::Unix(a);
        let e = s.write_all(&[0u8; 16]).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EPIPE));
    }

    #[test]
    fn vsock_without_a_listener_fails() {
        // AF_VSOCK may be missing entirely (EAFNOSUPPORT) or have no peer: an error either way,
        // within the timeout.
        let start = Instant::now();
        let addr: Address = "vsock://2:1".parse().unwrap();
        assert!(connect(&addr, Duration::from_millis(500)).is_err());
        assert!(start.elapsed() < Duration::from_secs(2));
    }
}

/// A response whose payload would blow up when decoded (many empty repeated elements) is refused
/// before decoding, as a transport error, and the client goes on working.
#[test]
fn responses_are_decoded_with_a_bound() {
    let (mut c, h) = fake_agent(usize::MAX, |r| {
        if r.method == "Genop" {
            // 70 000 empty write arguments: 2 bytes each on the wire.
            let huge = genop::Response {
                write_args: vec![genop::Arg::default(); 70_000],
            };
            ttrpc::Response::ok(&huge)
        } else {
            echo(r)
        }
    });
    let e = c
        .call::<_, genop::Response>(Method::Genop, &genop::Request::default())
        .unwrap_err();
    assert_eq!(e.errno(), VACCEL_EIO, "{e:?}");
    let r: session::CreateResponse = c
        .call(Method::CreateSession, &session::CreateRequest { flags: 0 })
        .unwrap();
    assert_eq!(r.session_id, 7);
    drop(c);
    h.join().unwrap();
}

/// A large blob against an agent without extensions (the official agent's answer to the probe):
/// one probe, then the ordinary RegisterResource with the data, byte for byte as without the
/// extension; later registrations do not probe again.
#[test]
fn blob_cache_falls_back_for_official_agents() {
    use vaccel_rpc_proto::ttrpc::Status;
    let (mut c, h) = fake_agent(usize::MAX, |r| {
        if r.service == vaccel_rpc_proto::ext::EXT_SERVICE {
            ttrpc::Response::error(Status::method_does_not_exist(&r.service, &r.method))
        } else {
            echo(r)
        }
    });
    let req = resource::RegisterRequest {
        blobs: vec![resource::Blob {
            type_: 1,
            name: "m".into(),
            data: Bytes::from(vec![3u8; crate::client::CACHE_MIN]),
            size: crate::client::CACHE_MIN as u32,
        }],
        resource_type: 2,
        session_id: 7,
        ..Default::default()
    };
    for _ in 0..2 {
        assert_eq!(c.register_resource(&req).unwrap().resource_id, 3);
    }
    drop(c);
    let seen = h.join().unwrap();
    let names: Vec<&str> = seen.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(
        names,
        ["Capabilities", "RegisterResource", "RegisterResource"]
    );
    assert_eq!(seen[1].service, vaccel_rpc_proto::service::SYNC_SERVICE);
    assert_eq!(seen[1].payload, req.encode_to_vec());
}

/// Against an agent with the blob cache: by digest first, the data after a miss, by digest alone
/// once cached.
#[test]
fn blob_cache_sends_a_model_once() {
    use std::sync::{Arc, Mutex};
    use vaccel_rpc_proto::ext;
    use vaccel_rpc_proto::ttrpc::{Code, Status};
    let cached = Arc::new(Mutex::new(false));
    let (mut c, h) = fake_agent(usize::MAX, move |r| match r.method.as_str() {
        "Capabilities" => ttrpc::Response::ok(&ext::CapabilitiesResponse {
            supported: vec![ext::CAP_BLOB_CACHE.into()],
        }),
        "RegisterResource" if r.service == ext::EXT_SERVICE => {
            let req = ext::RegisterRequest::decode(r.payload.clone()).unwrap();
            let blob = &req.request.unwrap().blobs[0];
            assert_eq!(&req.digests[0][..], &ext::sha256(&[5u8; 2 << 20])[..]);
            let mut cached = cached.lock().unwrap();
            if blob.data.is_empty() && !*cached {
                return ttrpc::Response::error(Status::new(
                    Code::FailedPrecondition,
                    format!("{}: x", ext::NOT_CACHED),
                ));
            }
            *cached = true;
            ttrpc::Response::ok(&resource::RegisterResponse { resource_id: 9 })
        }
        _ => echo(r),
    });
    let req = resource::RegisterRequest {
        blobs: vec![resource::Blob {
            type_: 1,
            name: "m".into(),
            data: Bytes::from(vec![5u8; 2 << 20]),
            size: 2 << 20,
        }],
        resource_type: 2,
        session_id: 7,
        ..Default::default()
    };
    for _ in 0..2 {
        assert_eq!(c.register_resource(&req).unwrap().resource_id, 9);
    }
    drop(c);
    let seen = h.join().unwrap();
    let sizes: Vec<(&str, bool)> = seen
        .iter()
        .map(|r| (r.method.as_str(), r.payload.len() > 1 << 20))
        .collect();
    assert_eq!(
        sizes,
        [
            ("Capabilities", false),
            ("RegisterResource", false),
            ("RegisterResource", true),
            ("RegisterResource", false)
        ]
    );
}

/// Large genop arguments on a unix socket to an agent offering shared memory: one probe, then
/// `GenopShm` with the large arguments moved out of the request (small ones stay), and the write
/// arguments read back from the shared memory; an agent without it gets a plain `Genop`.
#[test]
fn large_genop_goes_through_shared_memory() {
    use vaccel_rpc_proto::ext;
    use vaccel_rpc_proto::ttrpc::Status;
    const BIG: usize = 1 << 20;
    let request = || genop::Request {
        session_id: 7,
        read_args: vec![
            genop::Arg::op_type(vaccel_rpc_proto::abi::OpType::Exec),
            genop::Arg::new(ArgType::Buffer, vec![1u8; BIG]),
        ],
        write_args: vec![
            genop::Arg::new(ArgType::Buffer, vec![2u8; BIG]),
            genop::Arg::new(ArgType::Buffer, vec![3u8; 10]),
        ],
    };
    let (mut c, h) = fake_agent(usize::MAX, |r| {
        match (r.service.as_str(), r.method.as_str()) {
            (_, "Capabilities") => ttrpc::Response::ok(&ext::CapabilitiesResponse {
                supported: vec![ext::CAP_SHM.into()],
            }),
            (ext::EXT_SERVICE, "GenopShm") => {
                let req = ext::ShmGenopRequest::decode(r.payload.clone()).unwrap();
                assert_eq!(req.fds, 1);
                let g = req.request.unwrap();
                assert!(g.read_args[1].buf.is_empty() && g.write_args[0].buf.is_empty());
                assert_eq!(g.write_args[1].buf.len(), 10);
                let shm: Vec<(bool, u32, u64)> =
                    req.shm.iter().map(|s| (s.write, s.index, s.len)).collect();
                assert_eq!(shm, [(false, 1, BIG as u64), (true, 0, BIG as u64)]);
                // The results are in place already: sizes only for shared ones.
                ttrpc::Response::ok(&genop::Response {
                    write_args: vec![
                        genop::Arg {
                            size: BIG as u32,
                            ..Default::default()
                        },
                        genop::Arg::new(ArgType::Buffer, vec![4u8; 10]),
                    ],
                })
            }
            _ => echo(r),
        }
    });
    let resp = c.genop(request()).unwrap();
    assert_eq!(resp.write_args[0].buf.len(), BIG);
    assert!(resp.write_args[0].buf.iter().all(|&b| b == 2));
    assert_eq!(&resp.write_args[1].buf[..], &[4u8; 10]);
    drop(resp);
    drop(c);
    let seen = h.join().unwrap();
    assert_eq!(seen.len(), 2);

    // Without the extension: the ordinary Genop with every byte.
    let (mut c, h) = fake_agent(usize::MAX, |r| {
        if r.service == ext::EXT_SERVICE {
            ttrpc::Response::error(Status::method_does_not_exist(&r.service, &r.method))
        } else {
            echo(r)
        }
    });
    let resp = c.genop(request()).unwrap();
    assert_eq!(resp.write_args[0].buf[0], 0xaa);
    drop(c);
    let seen = h.join().unwrap();
    let names: Vec<&str> = seen.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(names, ["Capabilities", "Genop"]);
    assert!(seen[1].payload.len() > 2 * BIG);
}
