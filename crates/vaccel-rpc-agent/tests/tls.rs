//! TLS on the agent's tcp listener (`tls_cert`, `tls_key`, `tls_client_ca` of the agent
//! policy), driven by raw-frame clients over rustls: a plaintext client gets a clear refusal,
//! a client that does not trust the agent's certificate fails its handshake, and with mTLS
//! only clients with a certificate of the configured CA are served (and a token, when one is
//! set, is still required on top).

#[path = "common/certs.rs"]
mod certs;
mod common;

use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use common::{Agent, Client, SYNC, Sock, TempDir, Where};
use vaccel_rpc_proto::rustls::{ClientConnection, StreamOwned};
use vaccel_rpc_proto::ttrpc::Code;
use vaccel_rpc_proto::{session, tls};

struct Tls(StreamOwned<ClientConnection, TcpStream>);

impl std::io::Read for Tls {
    fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(b)
    }
}
impl std::io::Write for Tls {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.write(b)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}
impl Sock for Tls {
    fn shutdown_write(&self) {
        let _ = self.0.sock.shutdown(std::net::Shutdown::Write);
    }
}

fn tcp(agent: &Agent) -> TcpStream {
    let addr = agent.address.trim_start_matches("tcp://").to_owned();
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// A TLS client trusting `ca`, with an optional certificate; the handshake is left to the first
/// call (as TLS 1.3 clients learn of a refused certificate only then).
fn tls_client(
    agent: &Agent,
    ca: &std::path::Path,
    id: Option<(&std::path::Path, &std::path::Path)>,
) -> Client {
    let config: Arc<_> = tls::client_config(ca, id).unwrap();
    let conn = ClientConnection::new(config, tls::server_name("127.0.0.1").unwrap()).unwrap();
    Client::new(Box::new(Tls(StreamOwned::new(conn, tcp(agent)))))
}

/// CreateSession's outcome: the status code, or the I/O failure's text.
fn create(c: &mut Client) -> Result<i32, String> {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        c.call(SYNC, "CreateSession", &session::CreateRequest { flags: 0 })
    }));
    match r {
        Ok(resp) => Ok(resp.status.map_or(0, |s| s.code)),
        Err(e) => Err(e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()),
    }
}

fn agent(config: &str) -> Agent {
    Agent::start_with(Where::Tcp, &[("VACCEL_RPC_AGENT_CONFIG", config)])
}

#[test]
fn tls_agent() {
    let dir = TempDir::new("tls");
    let c = certs::make(&dir.0);
    let mut agent = agent(&format!(
        "tls_cert={},tls_key={}",
        c.server_cert.display(),
        c.server_key.display()
    ));
    // A plaintext client: one clear error frame, then the connection closes.
    let mut plain = Client::new(Box::new(tcp(&agent)));
    let r = plain.call(SYNC, "CreateSession", &session::CreateRequest { flags: 0 });
    let s = r.status.unwrap();
    assert_eq!(s.code, Code::Unauthenticated as i32);
    assert_eq!(s.message, tls::PLAINTEXT_REFUSED);
    agent.wait_log(
        "plaintext connection to a TLS agent refused",
        Duration::from_secs(10),
    );

    // A client that trusts the agent's CA is served.
    let mut ok = tls_client(&agent, &c.ca, None);
    assert_eq!(create(&mut ok), Ok(0));
    assert_eq!(create(&mut ok), Ok(0));

    // A client that trusts another CA refuses the agent: no call gets through.
    let mut wrong = tls_client(&agent, &c.other_ca, None);
    let e = create(&mut wrong).unwrap_err();
    assert!(!e.is_empty());
}

#[test]
fn mutual_tls_and_token() {
    let dir = TempDir::new("mtls");
    let c = certs::make(&dir.0);
    std::fs::write(dir.0.join("token"), "t0ken\n").unwrap();
    let mut agent = agent(&format!(
        "tls_cert={},tls_key={},tls_client_ca={}",
        c.server_cert.display(),
        c.server_key.display(),
        c.ca.display()
    ));
    // No client certificate: refused at the handshake.
    let mut anon = tls_client(&agent, &c.ca, None);
    assert!(create(&mut anon).is_err());
    agent.wait_log("handshake failed", Duration::from_secs(10));
    // A certificate of another CA: refused.
    let mut intruder = tls_client(&agent, &c.ca, Some((&c.other_cert, &c.other_key)));
    assert!(create(&mut intruder).is_err());
    // A certificate of the configured CA: served.
    let mut good = tls_client(&agent, &c.ca, Some((&c.client_cert, &c.client_key)));
    assert_eq!(create(&mut good), Ok(0));

    // mTLS and a token: the certificate alone is not enough.
    let agent = Agent::start_with(
        Where::Tcp,
        &[(
            "VACCEL_RPC_AGENT_CONFIG",
            &format!(
                "tls_cert={},tls_key={},tls_client_ca={},token_file={}",
                c.server_cert.display(),
                c.server_key.display(),
                c.ca.display(),
                dir.0.join("token").display()
            ),
        )],
    );
    let mut good = tls_client(&agent, &c.ca, Some((&c.client_cert, &c.client_key)));
    assert_eq!(create(&mut good), Ok(Code::Unauthenticated as i32));
}
