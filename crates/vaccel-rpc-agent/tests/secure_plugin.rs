//! The RPC plugin over TLS with a client certificate (`VACCEL_RPC_TLS_CA`, `_CERT`, `_KEY`) and
//! a token (`VACCEL_RPC_TOKEN`, sent with every request): an agent that requires all three
//! serves this process (libvaccel + libvaccel-rpc.so through the `vaccel` crate), for unary
//! calls and for a genop large enough to be streamed (`GenopStream`, whose opening request
//! carries the token too). Refusals of clients without them are tested with raw clients in
//! `policy.rs` and `tls.rs`.
//!
//! One test in its own binary: the vAccel runtime is loaded once per process.

#[path = "common/certs.rs"]
mod certs;
mod common;

use common::{Agent, TempDir, Where};
use vaccel::{Arg, Vaccel};
use vaccel_rpc_proto::abi::{ArgType, OpType};

#[test]
fn the_plugin_over_mutual_tls_with_a_token() {
    let dir = TempDir::new("token-plugin");
    std::fs::write(dir.0.join("token"), "plugin-token\n").unwrap();
    let c = certs::make(&dir.0);
    let config = format!(
        "token_file={},exec_allow=libnone.so:none,tls_cert={},tls_key={},tls_client_ca={}",
        dir.0.join("token").display(),
        c.server_cert.display(),
        c.server_key.display(),
        c.ca.display()
    );
    // TCP: no shared memory, so the large genop below is streamed.
    let agent = Agent::start_with(Where::Tcp, &[("VACCEL_RPC_AGENT_CONFIG", &config)]);
    let target = common::target_dir();
    // SAFETY: set before libvaccel is loaded; this binary's only test.
    unsafe {
        std::env::set_var("VACCEL_PLUGINS", target.join("libvaccel_rpc.so"));
        std::env::set_var("VACCEL_RPC_ADDRESS", &agent.address);
        std::env::set_var("VACCEL_RPC_TOKEN", "plugin-token");
        std::env::set_var("VACCEL_RPC_TLS_CA", &c.ca);
        std::env::set_var("VACCEL_RPC_TLS_CERT", &c.client_cert);
        std::env::set_var("VACCEL_RPC_TLS_KEY", &c.client_key);
        std::env::set_var("VACCEL_RPC_STREAM_THRESHOLD", "65536");
        std::env::set_var("VACCEL_RUNDIR", &dir.0);
    }
    let vaccel = Vaccel::open_path(target.join("libvaccel.so").to_str().unwrap()).unwrap();
    let mut sess = vaccel.session(0).unwrap();
    sess.noop().unwrap();
    // 1 MiB in and out: over the stream threshold, so it travels as a GenopStream.
    let data = vec![5u8; 1 << 20];
    let mut read = [
        Arg::op(OpType::Exec),
        Arg::new(ArgType::String, b"libnone.so\0".to_vec()),
        Arg::new(ArgType::String, b"none\0".to_vec()),
        Arg::new(ArgType::Int32Array, data.clone()),
    ];
    let mut write = [Arg::output(ArgType::Int32Array, data.len())];
    sess.genop(&mut read, &mut write).unwrap();
}
