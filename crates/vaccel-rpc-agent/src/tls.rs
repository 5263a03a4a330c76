//! TLS termination for tcp connections.
//!
//! The server's connection threads do plain blocking reads and `writev`s on a socket
//! ([`crate::server`]); rather than thread TLS through that path, each TLS connection gets a
//! thread that terminates it: it runs the rustls session on the tcp socket and relays plaintext
//! through a unix socket pair, whose other end the server serves like any connection. The relay
//! costs a copy and a hop per message, which is small next to the encryption itself.
//!
//! A peer whose first byte is not a TLS handshake record is a plaintext ttrpc client: it is
//! answered with one plaintext error frame on the stream of its first request
//! ([`vaccel_rpc_proto::tls::PLAINTEXT_REFUSED`]) and closed. A failed handshake (no client
//! certificate when one is required, one from another CA, a certificate the client does not
//! trust) is logged with rustls's reason and closed.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;

use vaccel_rpc_proto::rustls::{ServerConfig, ServerConnection};
use vaccel_rpc_proto::ttrpc::{Code, Status};
use vaccel_rpc_proto::{FrameCodec, FrameHeader, FrameType, frame::HEADER_LEN, tls};

use crate::log::{debug, warning};

/// How long a peer may take to send its first bytes and finish the handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts terminating TLS on `tcp`; the plaintext side, to serve.
pub fn terminate(
    config: Arc<ServerConfig>,
    tcp: TcpStream,
    peer: String,
) -> io::Result<UnixStream> {
    let (ours, theirs) = UnixStream::pair()?;
    std::thread::Builder::new()
        .name("vaccel-tls".into())
        .spawn(move || {
            if let Err(e) = relay(config, tcp, theirs, &peer) {
                warning!("Client {peer}: TLS: {e}");
            }
        })?;
    Ok(ours)
}

/// Answers a plaintext client's first request with an error frame.
fn refuse_plaintext(mut tcp: TcpStream, peer: &str) -> io::Result<()> {
    let mut head = [0u8; HEADER_LEN];
    let stream_id = match tcp.read_exact(&mut head) {
        Ok(()) => FrameHeader::from_bytes(&head).map_or(1, |h| h.stream_id),
        Err(_) => 1,
    };
    warning!("Client {peer}: plaintext connection to a TLS agent refused");
    let resp = vaccel_rpc_proto::ttrpc::Response {
        status: Some(Status::new(Code::Unauthenticated, tls::PLAINTEXT_REFUSED)),
        payload: Default::default(),
    };
    if let Ok(frame) =
        FrameCodec::default().encode_message(stream_id, FrameType::Response, 0, &resp)
    {
        let _ = tcp.write_all(&frame);
    }
    let _ = tcp.shutdown(std::net::Shutdown::Both);
    Ok(())
}

fn relay(
    config: Arc<ServerConfig>,
    mut tcp: TcpStream,
    mut plain: UnixStream,
    peer: &str,
) -> io::Result<()> {
    tcp.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
    let mut first = [0u8; 1];
    if tcp.peek(&mut first)? == 0 {
        return Ok(());
    }
    if first[0] != tls::TLS_HANDSHAKE_RECORD {
        return refuse_plaintext(tcp, peer);
    }
    let mut conn = ServerConnection::new(config).map_err(io::Error::other)?;
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut tcp) {
            // rustls queued an alert saying why; send it before closing.
            let _ = conn.write_tls(&mut tcp);
            return Err(io::Error::other(format!("handshake failed: {e}")));
        }
    }
    tcp.set_read_timeout(None)?;
    debug!(
        "Client {peer}: TLS {:?} established",
        conn.protocol_version()
    );
    let result = pump(&mut conn, &mut tcp, &mut plain);
    let _ = plain.shutdown(std::net::Shutdown::Both);
    let _ = tcp.shutdown(std::net::Shutdown::Both);
    result
}

/// Moves bytes both ways until either side closes.
fn pump(
    conn: &mut ServerConnection,
    tcp: &mut TcpStream,
    plain: &mut UnixStream,
) -> io::Result<()> {
    let mut buf = vec![0u8; 64 << 10];
    loop {
        // Plaintext rustls already holds first: the handshake may have read the client's first
        // request along with its last handshake message, and nothing more arrives until that
        // request is answered.
        loop {
            match conn.reader().read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => plain.write_all(&buf[..n])?,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        while conn.wants_write() {
            conn.write_tls(tcp)?;
        }
        let mut fds = [
            libc::pollfd {
                fd: tcp.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: plain.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: `fds` is a valid array of two pollfd for the call.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if fds[0].revents != 0 {
            if conn.read_tls(tcp)? == 0 {
                return Ok(());
            }
            conn.process_new_packets()
                .map_err(|e| io::Error::other(e.to_string()))?;
        }
        if fds[1].revents != 0 {
            let n = plain.read(&mut buf)?;
            if n == 0 {
                conn.send_close_notify();
                while conn.wants_write() {
                    conn.write_tls(tcp)?;
                }
                return Ok(());
            }
            // rustls buffers a bounded amount of plaintext: hand it over piecewise, sending
            // the records as they fill.
            let mut rest = &buf[..n];
            while !rest.is_empty() {
                let k = conn.writer().write(rest)?;
                rest = &rest[k..];
                while conn.wants_write() {
                    conn.write_tls(tcp)?;
                }
            }
        }
    }
}
