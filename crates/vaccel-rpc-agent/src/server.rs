//! Connections: framing, dispatch and the answers of §2 for everything that is not a valid call.
//!
//! One task per connection reads frames; each call then runs on a blocking thread (libvaccel
//! calls block) so that ttrpc's multiplexing works as intended: a client may have many calls in
//! flight on one connection and they run concurrently, answered in completion order on their own
//! stream ids. At most [`MAX_IN_FLIGHT`] calls per connection run at once; beyond that the reader
//! stops reading, which pushes back on the client instead of buffering without bound. A single
//! writer task owns the socket's write half and sends whole frames, so frames of concurrent calls
//! never interleave.
//!
//! Bad input never takes the agent down and never makes it allocate what a peer claims:
//!
//! | input | answer |
//! |---|---|
//! | payload over 1 GiB (up to a claimed 4 GiB) | the fork's `INVALID_ARGUMENT "message length <n> exceed maximum message size of 1073741824"` on that stream, then the body is read and discarded in 64 KiB steps (a peer that stops sending is closed when it closes) |
//! | unknown frame type | log line, connection closed (the stream cannot be trusted) |
//! | header or payload cut short by EOF | log line, connection closed |
//! | undecodable `ttrpc.Request` | `INVALID_ARGUMENT` with the decode error (sync server) |
//! | undecodable request message | `INVALID_ARGUMENT` with the decode error; the connection stays up (upstream closes it, §12 item 8) |
//! | unknown service / method | `INVALID_ARGUMENT "/<service>/<method> does not exist"` (sync service, vector C9) or the async texts of vectors C12/C13 |
//! | request message (the `ttrpc.Request` envelope included) with more than 65 536 repeated elements in all (genop arguments, resource paths and blobs, envelope metadata...) or not valid protobuf | `INVALID_ARGUMENT "<message> with more than 65536 repeated elements"` / `"malformed <message>: <what>"`, found by walking the encoding before decoding ([`vaccel_rpc_proto::bound`]); the connection stays up |
//! | Data frame for no open stream | `INVALID_ARGUMENT "Stream is no longer active"` |
//! | `GenopStream` holding more than `VACCEL_RPC_AGENT_MAX_STREAM` bytes (default 16 GiB; each frame is still limited to 1 GiB) | log line, the stream's data freed at once, its remaining messages dropped, `RESOURCE_EXHAUSTED` on close; the connection stays up ([`crate::genop`]) |
//!
//! When the connection ends, the calls still running are awaited and then everything the client
//! created is released ([`Agent::release_owned`]).

use std::collections::HashMap;
use std::sync::Arc;

use tokio::io::{AsyncWriteExt, ReadHalf};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use vaccel_rpc_proto::bound::Bounded;
use vaccel_rpc_proto::bytes::Bytes;
use vaccel_rpc_proto::frame::{self, FrameError, HEADER_LEN, MAX_PAYLOAD, flags};
use vaccel_rpc_proto::ttrpc::{self, Code, Status};
use vaccel_rpc_proto::{FrameCodec, FrameType, Method, Service, genop};

use crate::genop::{Call, StreamAssembler};
use crate::listener::Stream;
use crate::log::{debug, warning};
use crate::service::{Agent, Owner, Reply};

/// Calls of one connection that may run at once; also the most `GenopStream`s it may have open.
pub const MAX_IN_FLIGHT: usize = 32;

/// A frame to send: its bytes, header first, as consecutive segments.
type OutFrame = Vec<Bytes>;

/// Serves one connection until the peer closes it or sends something unrecoverable.
pub async fn serve(stream: Box<dyn Stream>, peer: String, agent: Arc<Agent>) {
    debug!("New connection from {peer}");
    let (mut rd, mut wr) = tokio::io::split(stream);
    let (tx, mut rx) = mpsc::channel::<OutFrame>(MAX_IN_FLIGHT * 2);
    let writer = tokio::spawn(async move {
        while let Some(segments) = rx.recv().await {
            for s in &segments {
                if wr.write_all(s).await.is_err() {
                    return;
                }
            }
            if wr.flush().await.is_err() {
                return;
            }
        }
        let _ = wr.shutdown().await;
    });
    let owner = Arc::new(Owner::default());
    let mut conn = Conn {
        agent,
        owner: owner.clone(),
        tx,
        calls: JoinSet::new(),
        permits: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
        streams: HashMap::new(),
        peer: peer.clone(),
    };
    conn.read_loop(&mut rd).await;
    // Let the calls in progress finish (their answers may still reach a half-closed peer).
    while conn.calls.join_next().await.is_some() {}
    let agent = conn.agent.clone();
    drop(conn);
    let owner2 = owner.clone();
    let peer2 = peer.clone();
    let _ = tokio::task::spawn_blocking(move || agent.release_owned(&owner2, &peer2)).await;
    let _ = writer.await;
    debug!("Connection from {peer} closed");
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

struct Conn {
    agent: Arc<Agent>,
    owner: Arc<Owner>,
    tx: mpsc::Sender<OutFrame>,
    calls: JoinSet<()>,
    permits: Arc<Semaphore>,
    streams: HashMap<u32, OpenStream>,
    peer: String,
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
    async fn send(&self, frame: OutFrame) {
        let _ = self.tx.send(frame).await;
    }

    async fn reply(&self, stream_id: u32, status: Status) {
        self.send(response_frame(stream_id, Err(status))).await;
    }

    async fn read_loop(&mut self, rd: &mut ReadHalf<Box<dyn Stream>>) {
        let codec = FrameCodec::default();
        loop {
            let frame = match codec.read_frame_async(rd).await {
                Ok(Some(f)) => f,
                Ok(None) => return,
                Err(FrameError::TooLarge {
                    stream_id, length, ..
                }) => {
                    warning!(
                        "Client {}: frame on stream {stream_id} claims {length} bytes, over the \
                         {MAX_PAYLOAD}-byte limit; answering and discarding it",
                        self.peer
                    );
                    self.reply(stream_id, Status::oversize(length, MAX_PAYLOAD))
                        .await;
                    let len = u32::try_from(length).unwrap_or(u32::MAX);
                    if let Err(e) = frame::skip_payload_async(rd, stream_id, len).await {
                        warning!("Client {}: closing connection: {e}", self.peer);
                        return;
                    }
                    continue;
                }
                Err(e @ FrameError::UnknownType { .. }) => {
                    warning!("Client {}: closing connection: {e}", self.peer);
                    return;
                }
                Err(FrameError::Io(e)) => {
                    debug!("Client {}: connection error: {e}", self.peer);
                    return;
                }
                Err(e) => {
                    warning!("Client {}: closing connection: {e}", self.peer);
                    return;
                }
            };
            match frame.frame_type {
                FrameType::Request => {
                    self.on_request(frame.stream_id, frame.flags, frame.payload)
                        .await
                }
                FrameType::Data => {
                    self.on_data(frame.stream_id, frame.flags, frame.payload)
                        .await
                }
                FrameType::Response => {
                    debug!(
                        "Client {}: ignoring a Response frame on stream {}",
                        self.peer, frame.stream_id
                    );
                }
            }
        }
    }

    async fn on_request(&mut self, stream_id: u32, fl: u8, payload: Bytes) {
        let req = match ttrpc::Request::decode_bounded(payload.clone()) {
            Ok(r) => r,
            Err(e) => {
                warning!(
                    "Client {}: undecodable request on stream {stream_id}: {e}",
                    self.peer
                );
                self.reply(stream_id, Status::new(Code::InvalidArgument, e.to_string()))
                    .await;
                return;
            }
        };
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
            self.reply(stream_id, unknown(&req.service, &req.method))
                .await;
            return;
        };
        if fl & flags::REMOTE_OPEN != 0 {
            if !method.is_client_streaming() {
                self.reply(
                    stream_id,
                    Status::new(
                        Code::InvalidArgument,
                        format!("{} is not a client-streaming method", method.path(service)),
                    ),
                )
                .await;
                return;
            }
            if self.streams.len() >= MAX_IN_FLIGHT {
                self.reply(
                    stream_id,
                    Status::new(
                        Code::ResourceExhausted,
                        format!("too many open streams (at most {MAX_IN_FLIGHT})"),
                    ),
                )
                .await;
                return;
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
            self.streams.insert(stream_id, open);
            return;
        }
        let ttrpc::Request { payload: body, .. } = req;
        let Ok(permit) = self.permits.clone().acquire_owned().await else {
            return;
        };
        let (agent, owner, tx) = (self.agent.clone(), self.owner.clone(), self.tx.clone());
        self.calls.spawn_blocking(move || {
            let reply = dispatch(&agent, &owner, service, method, body, payload);
            let _ = tx.blocking_send(response_frame(stream_id, reply));
            drop(permit);
        });
    }

    async fn on_data(&mut self, stream_id: u32, fl: u8, payload: Bytes) {
        let Some(open) = self.streams.get_mut(&stream_id) else {
            self.reply(
                stream_id,
                Status::new(Code::InvalidArgument, "Stream is no longer active"),
            )
            .await;
            return;
        };
        if fl & flags::NO_DATA == 0 && open.failed.is_none() {
            match decode::<genop::Request>(payload.clone()) {
                Ok(m) => open.failed = open.assembler.push(m).err(),
                Err(s) => open.failed = Some(s),
            }
            open.release_if_failed(&self.peer, stream_id);
        }
        if fl & flags::REMOTE_CLOSED == 0 {
            return;
        }
        let Some(open) = self.streams.remove(&stream_id) else {
            return;
        };
        if !payload.is_empty() && fl & flags::NO_DATA != 0 {
            self.reply(
                stream_id,
                Status::new(Code::InvalidArgument, "data close message must be empty"),
            )
            .await;
            return;
        }
        if let Some(status) = open.failed {
            self.reply(stream_id, status).await;
            return;
        }
        let Ok(permit) = self.permits.clone().acquire_owned().await else {
            return;
        };
        let (agent, tx) = (self.agent.clone(), self.tx.clone());
        let call = open.assembler.finish();
        self.calls.spawn_blocking(move || {
            let reply = crate::genop::run(&agent, call);
            let _ = tx.blocking_send(response_frame(stream_id, reply));
            drop(permit);
        });
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
