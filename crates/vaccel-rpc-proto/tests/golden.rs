//! The golden wire vectors of spec §11 and the raw captures of `data/wire-capture.log`.
//!
//! Every frame is decoded and re-encoded byte for byte at each level — header, ttrpc envelope,
//! vAccel message, `vaccel.Error` detail — every message passes the pre-decode bound of `bound` first, and the error statuses are rebuilt from their decoded
//! `vaccel.Error` with [`error_to_status`], so the agent-side texts are checked too. The spec and
//! the captures are parsed at test time when `../shared` is beside the checkout; a handful of
//! vectors is embedded below (in the spec's own notation) and also built from typed values, so
//! the test means something without it.

use std::collections::HashMap;

use vaccel_rpc_proto::bound::{self, Bounded};
use vaccel_rpc_proto::error::{self, error_to_status};
use vaccel_rpc_proto::frame::{FrameCodec, FrameHeader, FrameType, MAX_PAYLOAD, flags};
use vaccel_rpc_proto::service::{ASYNC_SERVICE, SYNC_SERVICE};
use vaccel_rpc_proto::ttrpc::{self, Code, Status};
use vaccel_rpc_proto::{Frame, Message, Method, abi};
use vaccel_rpc_proto::{empty, genop, image, profiling, resource, session, tf, tflite, torch};

fn shared_file(rel: &str) -> Option<String> {
    let path = format!("{}/../../../shared/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).ok()
}

// ---------------------------------------------------------------------------------------------
// The spec's hex notation: hex runs, "quoted ASCII" (with \0), SYNC / ASYNC, <stream>.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Bytes(Vec<u8>),
    Word(String),
}

fn sync_prefix() -> Vec<u8> {
    let mut v = vec![0x0a, SYNC_SERVICE.len() as u8];
    v.extend_from_slice(SYNC_SERVICE.as_bytes());
    v
}

fn async_prefix() -> Vec<u8> {
    let mut v = vec![0x0a, ASYNC_SERVICE.len() as u8];
    v.extend_from_slice(ASYNC_SERVICE.as_bytes());
    v
}

fn tokenize(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut bytes = Vec::new();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some('0') => bytes.push(0),
                        Some(other) => panic!("unknown escape \\{other} in {s}"),
                        None => panic!("dangling escape in {s}"),
                    },
                    c => {
                        let mut b = [0u8; 4];
                        bytes.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
                    }
                }
            }
            out.push(Tok::Bytes(bytes));
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' {
                    break;
                }
                word.push(c);
                chars.next();
            }
            let is_hex =
                word.len().is_multiple_of(2) && word.bytes().all(|b| b.is_ascii_hexdigit());
            out.push(match word.as_str() {
                "SYNC" => Tok::Bytes(sync_prefix()),
                "ASYNC" => Tok::Bytes(async_prefix()),
                _ if is_hex => Tok::Bytes(unhex(&word)),
                _ => Tok::Word(word),
            });
        }
    }
    out
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Bytes of a spec-notation string that is all data (no labels).
fn notation(s: &str) -> Vec<u8> {
    tokenize(s)
        .into_iter()
        .flat_map(|t| match t {
            Tok::Bytes(b) => b,
            Tok::Word(w) => panic!("not data: {w} in {s}"),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Vectors.

#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    Request,
    Reply,
    Unknown,
}

#[derive(Debug, Clone)]
struct Vector {
    name: String,
    role: Role,
    hdr: Option<Vec<u8>>,
    /// The header's stream id was `<stream>` in the spec.
    any_stream: bool,
    payload: Option<Vec<u8>>,
}

impl Vector {
    fn new(name: &str, role: Role) -> Self {
        Vector {
            name: name.to_owned(),
            role,
            hdr: None,
            any_stream: false,
            payload: None,
        }
    }
}

/// Parses §11: code lines (`hdr …`, `payload …`, `request hdr …`, `reply payload …`, C11's
/// `open hdr … payload …`, continuation lines) and inline `request payload `…`` / `reply payload
/// `…`` / `Request header: `…`` in the prose.
fn spec_vectors(spec: &str) -> Vec<Vector> {
    let start = spec.find("## 11. Golden wire vectors").expect("§11");
    let end = spec.find("## 12. Known limitations").expect("§12");
    let section = &spec[start..end];

    // Split at the bold headings **C1 — …**, **D1 — …**.
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for line in section.lines() {
        if let Some(rest) = line.strip_prefix("**")
            && let Some(name) = rest.split_whitespace().next()
            && (name.starts_with('C') || name.starts_with('D'))
            && name[1..].chars().all(|c| c.is_ascii_digit())
        {
            groups.push((name.to_owned(), Vec::new()));
        }
        if let Some((_, lines)) = groups.last_mut() {
            lines.push(line);
        }
    }

    let mut out = Vec::new();
    for (name, lines) in &groups {
        let mut vectors: Vec<Vector> = Vec::new();
        let mut cur: Option<Vector> = None;
        #[derive(PartialEq)]
        enum Target {
            Hdr,
            Payload,
        }
        let mut target = Target::Payload;
        let mut prose = String::new();
        for line in lines {
            if !line.starts_with("    ") {
                prose.push_str(line);
                prose.push(' ');
                continue;
            }
            let mut pending: Option<Role> = None;
            for tok in tokenize(line) {
                match tok {
                    Tok::Word(w) => {
                        let role = match w.as_str() {
                            "request" | "open" | "data1" | "data2" | "close" => Some(Role::Request),
                            "reply" => Some(Role::Reply),
                            _ => None,
                        };
                        if role.is_some() {
                            pending = role;
                            continue;
                        }
                        match w.as_str() {
                            // A header always starts a frame.
                            "hdr" => {
                                vectors.extend(cur.take());
                                let mut v =
                                    Vector::new(name, pending.take().unwrap_or(Role::Unknown));
                                v.hdr = Some(Vec::new());
                                cur = Some(v);
                                target = Target::Hdr;
                            }
                            // A payload completes the current frame if it has none yet and the
                            // role agrees, else starts one.
                            "payload" => {
                                let role = pending.take();
                                let reuse = cur.as_ref().is_some_and(|v| {
                                    v.payload.is_none() && role.is_none_or(|r| r == v.role)
                                });
                                if !reuse {
                                    vectors.extend(cur.take());
                                    cur = Some(Vector::new(name, role.unwrap_or(Role::Unknown)));
                                }
                                cur.as_mut().unwrap().payload = Some(Vec::new());
                                target = Target::Payload;
                            }
                            "<stream>" if target == Target::Hdr => {
                                let v = cur.as_mut().unwrap();
                                v.any_stream = true;
                                v.hdr.as_mut().unwrap().extend_from_slice(&[0, 0, 0, 0]);
                            }
                            // Commentary (`(no payload)`, `read[0]  UINT8 2 …`): rest of the line.
                            _ => break,
                        }
                    }
                    Tok::Bytes(b) => {
                        let v = cur.as_mut().expect("data before a label");
                        let dst = match target {
                            Target::Hdr => v.hdr.as_mut().unwrap(),
                            Target::Payload => v.payload.as_mut().unwrap(),
                        };
                        dst.extend_from_slice(&b);
                    }
                }
            }
        }
        vectors.extend(cur.take());

        // Inline vectors in the prose.
        let mut rest = prose.as_str();
        while let Some(i) = rest.find(" payload `") {
            let before = &rest[..i];
            let role = if before.ends_with("request") {
                Role::Request
            } else if before.ends_with("reply") {
                Role::Reply
            } else {
                rest = &rest[i + 1..];
                continue;
            };
            let body_start = i + " payload `".len();
            let body_len = rest[body_start..].find('`').unwrap();
            let mut v = Vector::new(name, role);
            v.payload = Some(notation(&rest[body_start..body_start + body_len]));
            vectors.push(v);
            rest = &rest[body_start + body_len + 1..];
        }
        if let Some(i) = prose.find("Request header: `") {
            let body = &prose[i + "Request header: `".len()..];
            let body = &body[..body.find('`').unwrap()];
            let mut hdr = Vec::new();
            let mut any_stream = false;
            for tok in tokenize(body) {
                match tok {
                    Tok::Bytes(b) => hdr.extend_from_slice(&b),
                    Tok::Word(w) if w == "<stream>" => {
                        any_stream = true;
                        hdr.extend_from_slice(&[0, 0, 0, 0]);
                    }
                    Tok::Word(w) => panic!("{w} in a header"),
                }
            }
            let v = vectors
                .iter_mut()
                .find(|v| v.role == Role::Request && v.hdr.is_none())
                .expect("a request for `Request header:`");
            v.hdr = Some(hdr);
            v.any_stream = any_stream;
        }
        out.extend(vectors);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Checks.

/// Decodes `bytes` as the message named `type_name` and re-encodes it; the pre-decode bound
/// ([`bound::check`]) accepts it first.
fn reencode_as(type_name: &str, bytes: &[u8]) -> Vec<u8> {
    fn re<M: Bounded>(bytes: &[u8]) -> Vec<u8> {
        bound::check(M::SCHEMA, bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", std::any::type_name::<M>()));
        M::decode(bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", std::any::type_name::<M>()))
            .encode_to_vec()
    }
    match type_name {
        "vaccel.empty.Empty" => re::<empty::Empty>(bytes),
        "vaccel.session.CreateRequest" => re::<session::CreateRequest>(bytes),
        "vaccel.session.CreateResponse" => re::<session::CreateResponse>(bytes),
        "vaccel.session.UpdateRequest" => re::<session::UpdateRequest>(bytes),
        "vaccel.session.DestroyRequest" => re::<session::DestroyRequest>(bytes),
        "vaccel.resource.RegisterRequest" => re::<resource::RegisterRequest>(bytes),
        "vaccel.resource.RegisterResponse" => re::<resource::RegisterResponse>(bytes),
        "vaccel.resource.UnregisterRequest" => re::<resource::UnregisterRequest>(bytes),
        "vaccel.resource.SyncRequest" => re::<resource::SyncRequest>(bytes),
        "vaccel.resource.SyncResponse" => re::<resource::SyncResponse>(bytes),
        "vaccel.image.Request" => re::<image::Request>(bytes),
        "vaccel.image.Response" => re::<image::Response>(bytes),
        "vaccel.tf.ModelLoadRequest" => re::<tf::ModelLoadRequest>(bytes),
        "vaccel.tf.ModelLoadResponse" => re::<tf::ModelLoadResponse>(bytes),
        "vaccel.tf.ModelUnloadRequest" => re::<tf::ModelUnloadRequest>(bytes),
        "vaccel.tf.ModelUnloadResponse" => re::<tf::ModelUnloadResponse>(bytes),
        "vaccel.tf.ModelRunRequest" => re::<tf::ModelRunRequest>(bytes),
        "vaccel.tf.ModelRunResponse" => re::<tf::ModelRunResponse>(bytes),
        "vaccel.tflite.ModelLoadRequest" => re::<tflite::ModelLoadRequest>(bytes),
        "vaccel.tflite.ModelUnloadRequest" => re::<tflite::ModelUnloadRequest>(bytes),
        "vaccel.tflite.ModelRunRequest" => re::<tflite::ModelRunRequest>(bytes),
        "vaccel.tflite.ModelRunResponse" => re::<tflite::ModelRunResponse>(bytes),
        "vaccel.torch.ModelLoadRequest" => re::<torch::ModelLoadRequest>(bytes),
        "vaccel.torch.ModelRunRequest" => re::<torch::ModelRunRequest>(bytes),
        "vaccel.torch.ModelRunResponse" => re::<torch::ModelRunResponse>(bytes),
        "vaccel.genop.Request" => re::<genop::Request>(bytes),
        "vaccel.genop.Response" => re::<genop::Response>(bytes),
        "vaccel.profiling.Request" => re::<profiling::Request>(bytes),
        "vaccel.profiling.Response" => re::<profiling::Response>(bytes),
        other => panic!("no message type {other}"),
    }
}

/// What a checked frame was, for pairing replies with requests.
struct Checker {
    codec: FrameCodec,
    /// The method of the last request, per stream id (0 = "the last one", for spec vectors
    /// whose reply stands alone).
    methods: HashMap<u32, Method>,
    checked_frames: usize,
    checked_inner: usize,
    checked_errors: usize,
}

impl Checker {
    fn new() -> Self {
        Checker {
            codec: FrameCodec::default(),
            methods: HashMap::new(),
            checked_frames: 0,
            checked_inner: 0,
            checked_errors: 0,
        }
    }

    /// Checks one frame (or bare payload) and returns its header, if it had one.
    fn check(
        &mut self,
        what: &str,
        role: Role,
        hdr: Option<&[u8]>,
        any_stream: bool,
        payload: &[u8],
    ) {
        let mut frame_type = match role {
            Role::Request => Some(FrameType::Request),
            Role::Reply => Some(FrameType::Response),
            Role::Unknown => None,
        };
        let mut stream_id = 0;
        let mut frame_flags = 0;
        if let Some(hdr) = hdr {
            let hdr: &[u8; 10] = hdr
                .try_into()
                .unwrap_or_else(|_| panic!("{what}: header size"));
            let h = self.codec.decode_header(hdr).unwrap();
            assert_eq!(h.length as usize, payload.len(), "{what}: header length");
            assert_eq!(&h.to_bytes(), hdr, "{what}: header re-encoding");
            if role == Role::Reply {
                assert_eq!(h.frame_type, FrameType::Response, "{what}");
            }
            frame_type = Some(h.frame_type);
            stream_id = h.stream_id;
            frame_flags = h.flags;
            if !any_stream {
                // The whole frame through the codec.
                let mut wire = hdr.to_vec();
                wire.extend_from_slice(payload);
                let frame = self.codec.read_frame(&mut &wire[..]).unwrap().unwrap();
                assert_eq!(&frame.payload[..], payload);
                assert_eq!(self.codec.encode(&frame).unwrap(), wire, "{what}: frame");
            }
        }
        let frame_type = frame_type.unwrap_or_else(|| panic!("{what}: role unknown"));
        match frame_type {
            FrameType::Request => {
                bound::check(<ttrpc::Request as Bounded>::SCHEMA, payload).unwrap();
                let req = ttrpc::Request::decode(payload).unwrap();
                assert_eq!(req.encode_to_vec(), payload, "{what}: ttrpc.Request");
                assert_eq!(req.timeout_nano, 0);
                assert!(req.metadata.is_empty());
                let method = Method::from_name(&req.method);
                if let Some(m) = method {
                    self.methods.insert(stream_id, m);
                    self.methods.insert(0, m);
                    if frame_flags & flags::NO_DATA != 0 {
                        assert!(req.payload.is_empty(), "{what}: stream open with payload");
                        assert!(m.is_client_streaming());
                    }
                    let inner = reencode_as(m.request_type(), &req.payload);
                    assert_eq!(inner, &req.payload[..], "{what}: {}", m.request_type());
                    self.checked_inner += 1;
                } else {
                    self.methods.remove(&stream_id);
                    self.methods.remove(&0);
                }
            }
            FrameType::Response => {
                bound::check(<ttrpc::Response as Bounded>::SCHEMA, payload).unwrap();
                let resp = ttrpc::Response::decode(payload).unwrap();
                assert_eq!(resp.encode_to_vec(), payload, "{what}: ttrpc.Response");
                let status = resp.status.as_ref().expect("status always present");
                if status.is_ok() {
                    assert_eq!(status, &Status::default(), "{what}: empty OK status");
                    let method = self
                        .methods
                        .get(&stream_id)
                        .or_else(|| self.methods.get(&0))
                        .copied();
                    if let Some(m) = method {
                        let inner = reencode_as(m.response_type(), &resp.payload);
                        assert_eq!(inner, &resp.payload[..], "{what}: {}", m.response_type());
                        self.checked_inner += 1;
                    }
                } else {
                    assert!(resp.payload.is_empty(), "{what}: payload on error");
                    self.check_status(what, status);
                }
            }
            FrameType::Data => {
                if frame_flags & flags::REMOTE_CLOSED != 0 {
                    assert!(payload.is_empty(), "{what}: close with data");
                } else {
                    assert_eq!(
                        reencode_as("vaccel.genop.Request", payload),
                        payload,
                        "{what}"
                    );
                    self.checked_inner += 1;
                }
            }
        }
        self.checked_frames += 1;
    }

    fn check_status(&mut self, what: &str, status: &Status) {
        match status.details.as_slice() {
            [] => {
                // No details: the client maps it to EIO.
                assert_eq!(error::status_to_errno(Some(status)), abi::VACCEL_EIO);
            }
            [detail] => {
                let e = error::Error::decode(detail.value.clone()).unwrap();
                assert_eq!(e.encode_to_vec(), &detail.value[..], "{what}: vaccel.Error");
                // The agent-side rebuild gives the same status, text and detail included.
                assert_eq!(&error_to_status(&e), status, "{what}: error_to_status");
                assert_eq!(error::status_to_errno(Some(status)), e.errno());
                self.checked_errors += 1;
            }
            _ => panic!("{what}: more than one detail"),
        }
    }
}

// ---------------------------------------------------------------------------------------------

#[test]
fn spec_golden_vectors() {
    let Some(spec) = shared_file("spec/rpc-protocol.md") else {
        eprintln!("../shared not found: spec vectors skipped (the inline ones still run)");
        return;
    };
    let vectors = spec_vectors(&spec);
    let mut checker = Checker::new();
    let mut names = Vec::new();
    for v in &vectors {
        let payload = v.payload.clone().unwrap_or_default();
        checker.check(&v.name, v.role, v.hdr.as_deref(), v.any_stream, &payload);
        if !names.contains(&v.name) {
            names.push(v.name.clone());
        }
    }
    // C1–C13 and D1–D9 all contributed frames.
    for i in 1..=13 {
        assert!(names.contains(&format!("C{i}")), "C{i} not parsed");
    }
    for i in 1..=9 {
        assert!(names.contains(&format!("D{i}")), "D{i} not parsed");
    }
    // 23 captured frames (C1–C13) and 12 derived ones (D1–D9).
    assert_eq!(vectors.len(), 35, "{vectors:#?}");
    assert_eq!(vectors.iter().filter(|v| v.hdr.is_some()).count(), 26);
    assert!(checker.checked_inner >= 20, "{}", checker.checked_inner);
    assert_eq!(checker.checked_errors, 3, "C7, D4, D5");
    eprintln!(
        "{} spec frames, {} inner messages, {} vaccel.Error details",
        checker.checked_frames, checker.checked_inner, checker.checked_errors
    );
}

/// One direction of a captured connection: its bytes, and the (stream id, payload) of each frame.
type Connection = (Vec<u8>, Vec<(u32, Vec<u8>)>);

#[test]
fn capture_log_frames() {
    let Some(log) = shared_file("spec/data/wire-capture.log") else {
        eprintln!("../shared not found: capture log skipped");
        return;
    };
    let mut checker = Checker::new();
    // Per side and direction: the concatenated byte stream of a connection.
    let mut streams: HashMap<(String, String), Connection> = HashMap::new();
    let mut frames = 0;
    for line in log.lines() {
        let Some(rest) = line.strip_prefix('[') else {
            continue;
        };
        let (side, rest) = rest.split_once("] ").unwrap();
        let mut fields = rest.split(' ');
        let dir = fields.next().unwrap().to_owned();
        let mut kv: HashMap<&str, &str> = HashMap::new();
        for f in fields {
            if let Some((k, v)) = f.split_once('=') {
                kv.insert(k, v);
            }
        }
        let hdr = unhex(kv["hdr"]);
        let payload = unhex(kv["payload"]);
        let h = FrameHeader::from_bytes(hdr.as_slice().try_into().unwrap()).unwrap();
        assert_eq!(h.length.to_string(), kv["len"], "{line}");
        assert_eq!(h.stream_id.to_string(), kv["stream_id"], "{line}");
        assert_eq!((h.frame_type as u8).to_string(), kv["type"], "{line}");
        assert_eq!(format!("0x{:02x}", h.flags), kv["flags"], "{line}");
        let role = if dir == "C->S" {
            Role::Request
        } else {
            Role::Reply
        };
        checker.check(line, role, Some(&hdr), false, &payload);
        let entry = streams
            .entry((side.to_owned(), dir))
            .or_insert_with(|| (Vec::new(), Vec::new()));
        entry.0.extend_from_slice(&hdr);
        entry.0.extend_from_slice(&payload);
        entry.1.push((h.stream_id, payload));
        frames += 1;
    }
    assert!(frames >= 25, "only {frames} captured frames");
    assert_eq!(checker.checked_errors, 1, "the Genop FFI error");
    // Each direction of each connection read back as one byte stream.
    let codec = FrameCodec::default();
    for ((side, dir), (wire, expect)) in &streams {
        let mut r = &wire[..];
        for (stream_id, payload) in expect {
            let f = codec.read_frame(&mut r).unwrap().unwrap();
            assert_eq!(
                (f.stream_id, &f.payload[..]),
                (*stream_id, &payload[..]),
                "{side} {dir}"
            );
        }
        assert!(codec.read_frame(&mut r).unwrap().is_none());
    }
}

/// Vectors embedded in the spec's notation, checked like the parsed ones.
const INLINE: &[(&str, &str)] = &[
    // C1
    ("0000002f 00000001 01 00", "SYNC 120d\"CreateSession\""),
    // C2
    ("00000006 00000001 02 00", "0a00 12020801"),
    // C4
    (
        "00000034 00000005 01 00",
        "SYNC 120e\"DestroySession\" 1a02082a",
    ),
    (
        "00000018 00000005 02 00",
        "0a16 0805 1212 556e6b6e6f776e2073657373696f6e203432",
    ),
    // C5, C6
    (
        "0000004c 00000007 01 00",
        "SYNC 1205\"Genop\" 1a23 0801 12070a0103 10011809 120a0a0401020304 1004181c 1a0a0a0400000000 1004181a",
    ),
    (
        "00000010 00000007 02 00",
        "0a00 120c 0a0a0a0400000000 1004181a",
    ),
    // C7
    ("0000002b 00000009 01 00", "SYNC 1205\"Genop\" 1a020801"),
    (
        "00000040 00000009 02 00",
        "0a3e 080d 120d 464649206572726f723a203935 1a2b 0a25 \"type.googleapis.com/vaccel.ProtoError\" 1202 105f",
    ),
    // C11
    ("00000035 00000003 01 06", "ASYNC 120b\"GenopStream\""),
    ("0000000b 00000003 03 00", "0807 1207 0a0103 1001 1809"),
    (
        "00000012 00000003 03 00",
        "0807 120e 0a04aaaaaaaa 1008 181c 2802 3001",
    ),
    ("00000000 00000003 03 05", ""),
    ("00000002 00000003 02 00", "0a00"),
    // D1, D2
    (
        "0000004a 0000000b 01 00",
        "SYNC 1210\"RegisterResource\" 1a16 1212 0802 1206\"lib.so\" 1a047f454c46 2004 2801",
    ),
    ("00000006 0000000b 02 00", "0a00 12020801"),
    // D4 (reply), D9
    (
        "00000063 0000000d 02 00",
        "0a61 080d 121f \"Invalid argument: Invalid ID: 0\" 1a3c 0a25 \"type.googleapis.com/vaccel.ProtoError\" 1213 0802 1a0f 220d \"Invalid ID: 0\"",
    ),
    (
        "00000049 0000000f 02 00",
        "0a47 0803 1243 \"message length 1073741825 exceed maximum message size of 1073741824\"",
    ),
];

#[test]
fn inline_vectors_round_trip() {
    let mut checker = Checker::new();
    for (i, (hdr, payload)) in INLINE.iter().enumerate() {
        checker.check(
            &format!("inline #{i}"),
            Role::Unknown,
            Some(&notation(hdr)),
            false,
            &notation(payload),
        );
    }
    assert_eq!(checker.checked_errors, 2);
}

/// The frames a new agent or plugin produces, built from typed values, equal the vectors.
#[test]
fn typed_values_encode_to_the_vectors() {
    let codec = FrameCodec::default();
    let wire = |i: usize| {
        let (h, p) = INLINE[i];
        let mut v = notation(h);
        v.extend(notation(p));
        v
    };
    let req = |sid: u32, method: Method, msg: &dyn Fn() -> ttrpc::Request| {
        let r = msg();
        assert_eq!(r.method, method.name());
        codec
            .encode_message(sid, FrameType::Request, 0, &r)
            .unwrap()
    };
    let resp = |sid: u32, r: &ttrpc::Response| {
        codec
            .encode_message(sid, FrameType::Response, 0, r)
            .unwrap()
    };

    // C1, C2
    assert_eq!(
        req(1, Method::CreateSession, &|| ttrpc::Request::new(
            SYNC_SERVICE,
            "CreateSession",
            &session::CreateRequest { flags: 0 }
        )),
        wire(0)
    );
    assert_eq!(
        resp(
            1,
            &ttrpc::Response::ok(&session::CreateResponse { session_id: 1 })
        ),
        wire(1)
    );
    // C4
    assert_eq!(
        req(5, Method::DestroySession, &|| ttrpc::Request::new(
            SYNC_SERVICE,
            "DestroySession",
            &session::DestroyRequest { session_id: 42 }
        )),
        wire(2)
    );
    assert_eq!(
        resp(
            5,
            &ttrpc::Response::error(Status::new(Code::NotFound, "Unknown session 42"))
        ),
        wire(3)
    );
    // C5, C6
    let uchar4 = genop::Arg::new(abi::ArgType::UcharArray, vec![0u8; 4]);
    assert_eq!(
        req(7, Method::Genop, &|| ttrpc::Request::new(
            SYNC_SERVICE,
            "Genop",
            &genop::Request {
                session_id: 1,
                read_args: vec![
                    genop::Arg::op_type(abi::OpType::ImageClassify),
                    genop::Arg::new(abi::ArgType::Buffer, vec![1u8, 2, 3, 4]),
                ],
                write_args: vec![uchar4.clone()],
            }
        )),
        wire(4)
    );
    assert_eq!(
        resp(
            7,
            &ttrpc::Response::ok(&genop::Response {
                write_args: vec![uchar4]
            })
        ),
        wire(5)
    );
    // C7
    assert_eq!(
        resp(
            9,
            &ttrpc::Response::error(error_to_status(&error::Error::ffi(
                abi::VACCEL_ENOTSUP as u32
            )))
        ),
        wire(7)
    );
    // C11: open, two data frames, close, reply.
    assert_eq!(
        codec
            .encode_message(
                3,
                FrameType::Request,
                flags::STREAM_OPEN,
                &ttrpc::Request::stream_open(ASYNC_SERVICE, Method::GenopStream.name()),
            )
            .unwrap(),
        wire(8)
    );
    assert_eq!(
        codec
            .encode_message(
                3,
                FrameType::Data,
                0,
                &genop::Request {
                    session_id: 7,
                    read_args: vec![genop::Arg::op_type(abi::OpType::ImageClassify)],
                    write_args: vec![],
                },
            )
            .unwrap(),
        wire(9)
    );
    let part = genop::Arg {
        buf: vec![0xaau8; 4].into(),
        size: 8,
        arg_type: abi::ArgType::Buffer as i32,
        custom_type_id: 0,
        parts: 2,
        part_no: 1,
    };
    let data2 = Frame::from_message(
        3,
        FrameType::Data,
        0,
        &genop::Request {
            session_id: 7,
            read_args: vec![part],
            write_args: vec![],
        },
    );
    assert_eq!(codec.encode(&data2).unwrap(), wire(10));
    assert_eq!(codec.encode(&Frame::stream_close(3)).unwrap(), wire(11));
    assert_eq!(
        resp(3, &ttrpc::Response::ok(&genop::Response::default())),
        wire(12)
    );
    // D1, D2
    assert_eq!(
        req(11, Method::RegisterResource, &|| ttrpc::Request::new(
            SYNC_SERVICE,
            "RegisterResource",
            &resource::RegisterRequest {
                blobs: vec![resource::Blob {
                    type_: abi::VACCEL_BLOB_MAPPED as i32,
                    name: "lib.so".into(),
                    data: vec![0x7fu8, 0x45, 0x4c, 0x46].into(),
                    size: 4,
                }],
                resource_type: abi::VACCEL_RESOURCE_LIB as i32,
                resource_id: 0,
                session_id: 1,
                paths: vec![],
            }
        )),
        wire(13)
    );
    assert_eq!(
        resp(
            11,
            &ttrpc::Response::ok(&resource::RegisterResponse { resource_id: 1 })
        ),
        wire(14)
    );
    // D4, D9
    assert_eq!(
        resp(
            13,
            &ttrpc::Response::error(error_to_status(&error::Error::invalid_argument(
                "Invalid ID: 0"
            )))
        ),
        wire(15)
    );
    assert_eq!(
        resp(
            15,
            &ttrpc::Response::error(Status::oversize(u64::from(MAX_PAYLOAD) + 1, MAX_PAYLOAD))
        ),
        wire(16)
    );
    // The codec's own oversize error carries the same text.
    let e = codec
        .decode_header(&notation("40000001 0000000f 01 00").try_into().unwrap())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        Status::oversize(1 << 30 | 1, MAX_PAYLOAD).message
    );
}

/// Vectors whose bytes appear only in the spec prose, rebuilt from typed values.
#[test]
fn derived_vectors_from_typed_values() {
    // D3: empty response.
    assert_eq!(
        ttrpc::Response::ok(&empty::Empty {}).encode_to_vec(),
        notation("0a00")
    );
    // D5: libvaccel EINVAL.
    assert_eq!(
        ttrpc::Response::error(error_to_status(&error::Error::ffi(
            abi::VACCEL_EINVAL as u32
        )))
        .encode_to_vec(),
        notation(
            "0a3e 080d 120d \"FFI error: 22\" 1a2b 0a25 \"type.googleapis.com/vaccel.ProtoError\" 1202 1016"
        )
    );
    // D6
    let load = ttrpc::Request::new(
        SYNC_SERVICE,
        "TensorflowModelLoad",
        &tf::ModelLoadRequest {
            session_id: 1,
            model_id: 1,
        },
    );
    assert_eq!(
        load.encode_to_vec(),
        notation("SYNC 1213\"TensorflowModelLoad\" 1a0408011001")
    );
    assert_eq!(
        ttrpc::Response::ok(&tf::ModelLoadResponse {
            graph_def: Default::default(),
            status: Some(error::Status {
                code: 0,
                message: "Operation handled by noop plugin".into()
            }),
        })
        .encode_to_vec(),
        notation("0a00 1224 1222 2220 \"Operation handled by noop plugin\"")
    );
    // D7
    let exec = genop::Request {
        session_id: 1,
        read_args: vec![
            genop::Arg::op_type(abi::OpType::ExecWithResource),
            genop::Arg::new(abi::ArgType::Int64, 1i64.to_le_bytes().to_vec()),
            genop::Arg::new(abi::ArgType::String, &b"mytestfunc\0"[..]),
            genop::Arg::new(abi::ArgType::Int32, 10i32.to_le_bytes().to_vec()),
        ],
        write_args: vec![genop::Arg::new(abi::ArgType::Int32, vec![0u8; 4])],
    };
    let frame = FrameCodec::default()
        .encode_message(
            17,
            FrameType::Request,
            0,
            &ttrpc::Request::new(SYNC_SERVICE, "Genop", &exec),
        )
        .unwrap();
    let mut want = notation("0000006f 00000011 01 00");
    want.extend(notation(
        "SYNC 1205\"Genop\" 1a46 0801 1207 0a0102 1001 1809 120e 0a080100000000000000 1008 1807 \
         1211 0a0b\"mytestfunc\\0\" 100b 181b 120a 0a040a000000 1004 1805 1a0a 0a0400000000 1004 1805",
    ));
    assert_eq!(frame, want);
    // D8
    assert_eq!(
        ttrpc::Request::new(
            SYNC_SERVICE,
            "CreateSession",
            &session::CreateRequest {
                flags: abi::VACCEL_PLUGIN_DEBUG
            }
        )
        .encode_to_vec(),
        notation("SYNC 120d\"CreateSession\" 1a03088002")
    );
    // C8, C9, C12, C13 statuses.
    let status_bytes = |s: Status| ttrpc::Response::error(s).encode_to_vec();
    assert_eq!(
        status_bytes(Status::not_supported(SYNC_SERVICE, "UpdateSession")),
        notation(
            "0a42 0805 123e \"/vaccel.sync.agent.AgentService/UpdateSession is not supported\""
        )
    );
    assert_eq!(
        status_bytes(Status::method_does_not_exist(
            ASYNC_SERVICE,
            "CreateSession"
        )),
        notation(
            "0a48 0803 1244 \"/vaccel.asynchronous.agent.AgentService/CreateSession does not exist\""
        )
    );
    assert_eq!(
        status_bytes(Status::service_does_not_exist(SYNC_SERVICE)),
        notation("0a39 0803 1235 \"vaccel.sync.agent.AgentService service does not exist\"")
    );
    assert_eq!(
        status_bytes(Status::unimplemented_method("Nope")),
        notation("0a0f 080c 120b \"Nope method\"")
    );
}
