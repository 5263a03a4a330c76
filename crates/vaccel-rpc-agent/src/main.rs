//! `vaccel-rpc-agent`: serves vAccel calls that arrive over RPC from `libvaccel-rpc.so` (ours or
//! the official vaccel-rust v0.5 plugin) by running them through this host's libvaccel.
//!
//! That is its one job. The wire protocol (framing, messages, error mapping, addresses) lives in
//! `vaccel-rpc-proto`; libvaccel is reached through the `vaccel` crate. This crate adds the
//! process around them:
//!
//! - [`config`]: `--vaccel-config` parsing (spec §7.1);
//! - [`listener`]: tcp, unix, abstract unix, vsock and hybrid-vsock listening sockets (§2.8);
//! - [`server`]: per-connection framing, concurrent dispatch, answers to bad input (§2);
//! - [`service`], [`genop`], [`models`]: the methods of §6 and the agent's state;
//! - [`cache`], [`shm`]: the blob cache and shared-memory arguments of the extensions;
//! - [`policy`]: what clients may do (`exec` allow-list, agent-local paths, per-connection
//!   limits, a token, unix socket mode and peer uids), from the hidden `--agent-config`;
//! - [`log`]: `env_logger`-style lines on stderr (§7.2).
//!
//! Startup order matters: with `--vaccel-config`, libvaccel must not bootstrap from the
//! environment when it is loaded, so `VACCEL_BOOTSTRAP_ENABLED=0` is set before the library is
//! opened and [`vaccel::Vaccel::bootstrap_with_config`] is called with the parsed options (the
//! documented `VACCEL_BOOTSTRAP_ENABLED=0 vaccel-rpc-agent --vaccel-config …` usage, without the
//! user having to remember the variable). Without the option libvaccel configures itself from
//! the `VACCEL_*` environment as for any program.
//!
//! # Differences from the official agent (all in the spec's "do better" direction)
//!
//! - Both service names are served (sync and async clients alike), `GenopStream` under both.
//! - Sessions and resources a connection created are released when it closes (§12 item 1). The
//!   official client keeps one connection per process for its whole life, so this only affects
//!   clients that are gone; a client that shares ids across connections would see them vanish
//!   with the creating connection.
//! - `TCP_NODELAY`, whole frames written at once (one `writev` of header and payload segments),
//!   one `read` per small request, large payloads received straight into their final buffer,
//!   genop outputs written in place and sent without re-encoding (peak memory ≈ the request
//!   frame), each call run on the thread that read it (no hand-off: a small call costs about a
//!   raw socket round trip), long calls of one connection served concurrently, per-object locks
//!   with a fixed order.
//! - Bad frames are answered or the connection is closed with a log line; nothing a peer claims
//!   is allocated up front; bind errors exit with status 1 and a message instead of a panic; a
//!   stale unix socket file is replaced; `-V/--version` exists; the TF methods are served on all
//!   targets.
//! - `GenopStream` is not capped at 1 GiB: each frame still is (§2.4), the reassembled stream is
//!   bounded by `VACCEL_RPC_AGENT_MAX_STREAM` (bytes, `K`/`M`/`G`/`T` suffixes; default 16 GiB),
//!   checked as the chunks arrive ([`genop`]). An environment variable, so that `--help` keeps
//!   the official text; an invalid value makes the agent exit with status 1 and a message.
//!
//! - Extensions for this project's plugin, negotiated on a service of their own that official
//!   clients never call ([`vaccel_rpc_proto::ext`]): a content-addressed blob cache ([`cache`];
//!   `VACCEL_RPC_AGENT_CACHE` bytes, default 1 GiB, `0` turns it off), so that a model registered
//!   again does not cross the wire again, and shared-memory genop arguments on unix sockets
//!   ([`shm`]), so that large tensors do not cross it at all.
//!
//! Dependencies: `tokio` (accepting connections and waiting for signals on one thread; each
//! connection is then served by blocking threads of its own, see [`server`]), `clap` (the command line of §7.1, with the
//! exact help text of the official agent), `libc` (AF_VSOCK), `thiserror`, and the two vAccel
//! crates. Logging is hand-written (see [`log`]) to keep the dependency tree small.

mod cache;
mod config;
mod genop;
mod listener;
mod log;
mod models;
mod policy;
mod server;
mod service;
mod shm;
mod tls;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use vaccel_rpc_proto::Address;

use crate::listener::Listener;
use crate::log::{error, info};
use crate::service::Agent;

/// A vAccel RPC agent that can respond to acceleration requests
#[derive(Parser, Debug)]
#[command(
    name = "vaccel-rpc-agent",
    version,
    about = "A vAccel RPC agent that can respond to acceleration requests",
    long_about = None
)]
struct Cli {
    #[arg(
        short = 'a',
        long,
        default_value = vaccel_rpc_proto::address::DEFAULT_ADDRESS,
        help = "The server address in the format '<socket-type>://<host>:<port>'"
    )]
    server_address: String,

    /// Configuration options passed to vAccel in the format 'opt1=value1,opt2=value2'
    #[arg(long, value_parser = config::parse)]
    vaccel_config: Option<vaccel::Config>,

    /// The agent's policy, `key=value,...` ([`policy`]); hidden so that `--help` stays the
    /// official agent's text (documented in the README).
    #[arg(long, hide = true, value_parser = policy::parse)]
    agent_config: Option<policy::Policy>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    log::init_from_env();
    let address: Address = match cli.server_address.parse() {
        Ok(a) => a,
        Err(e) => {
            error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let max_stream = match genop::max_stream_from_env() {
        Ok(n) => n,
        Err(e) => {
            error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let cache_limit = match std::env::var(cache::CACHE_ENV) {
        Ok(v) if !v.trim().is_empty() => match genop::parse_size(&v) {
            Ok(n) => n,
            Err(e) => {
                error!("{}: {e}", cache::CACHE_ENV);
                return ExitCode::FAILURE;
            }
        },
        _ => cache::DEFAULT_LIMIT,
    };
    let policy = match cli.agent_config {
        Some(p) => p,
        None => match std::env::var(policy::CONFIG_ENV) {
            Ok(v) => match policy::parse(&v) {
                Ok(p) => p,
                Err(e) => {
                    error!("{}: {e}", policy::CONFIG_ENV);
                    return ExitCode::FAILURE;
                }
            },
            Err(_) => policy::Policy::default(),
        },
    };
    let tls = match policy.tls_config() {
        Ok(t) => t,
        Err(e) => {
            error!("TLS: {e}");
            return ExitCode::FAILURE;
        }
    };
    if tls.is_some() && !matches!(address, Address::Tcp { .. }) {
        error!("TLS (tls_cert) is for tcp addresses");
        return ExitCode::FAILURE;
    }
    let previous = std::env::var_os("VACCEL_BOOTSTRAP_ENABLED");
    if cli.vaccel_config.is_some() {
        // SAFETY: still single-threaded: no runtime, no library loaded yet.
        unsafe { std::env::set_var("VACCEL_BOOTSTRAP_ENABLED", "0") };
    }
    let vaccel = match vaccel::Vaccel::open() {
        Ok(v) => &*Box::leak(Box::new(v)),
        Err(e) => {
            error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if cli.vaccel_config.is_some() {
        // Restore the user's environment for anything the agent's plugins start.
        // SAFETY: still single-threaded: libvaccel did not bootstrap, so no plugin is loaded.
        unsafe {
            match &previous {
                Some(v) => std::env::set_var("VACCEL_BOOTSTRAP_ENABLED", v),
                None => std::env::remove_var("VACCEL_BOOTSTRAP_ENABLED"),
            }
        }
    }
    let boot = match &cli.vaccel_config {
        Some(c) => vaccel.bootstrap_with_config(c),
        None => match vaccel.is_initialized() {
            Ok(true) => Ok(()),
            Ok(false) => vaccel.bootstrap(),
            Err(e) => Err(e),
        },
    };
    if let Err(e) = boot {
        error!("Could not initialize vAccel: {e}");
        return ExitCode::FAILURE;
    }
    // The runtime only accepts connections and waits for signals; connections are served on
    // threads of their own (see `server`).
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            error!("Could not start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut agent = Agent::new(vaccel);
    agent.max_stream = max_stream;
    agent.cache = cache::BlobCache::new(cache_limit);
    agent.policy = policy;
    agent.tls = tls;
    let code = rt.block_on(run(address, cli.server_address, Arc::new(agent)));
    // Do not wait for calls still running in blocking threads.
    rt.shutdown_background();
    log::drain();
    code
}

async fn run(address: Address, shown: String, agent: Arc<Agent>) -> ExitCode {
    let listener = match Listener::bind(&address, &agent.policy) {
        Ok(l) => l,
        Err(e) => {
            error!("Could not listen on '{shown}': {e}");
            return ExitCode::FAILURE;
        }
    };
    info!("vAccel RPC agent started");
    if let Some(port) = listener.tcp_port().filter(|_| shown.ends_with(":0")) {
        info!(
            "Listening on '{}', press Ctrl+C to exit",
            tcp_with_port(&shown, port)
        );
    } else {
        info!("Listening on '{shown}', press Ctrl+C to exit");
    }
    if let Ok(Some(dir)) = agent.vaccel.rundir() {
        log::debug!("vAccel rundir: {dir}");
    }
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            sig = &mut shutdown => {
                info!("Received {sig}, shutting down");
                break;
            }
            conn = listener.accept() => match conn {
                Ok((stream, peer)) => {
                    let agent = agent.clone();
                    let stream = match &agent.tls {
                        Some(config) => {
                            let tcp = std::net::TcpStream::from(std::os::fd::OwnedFd::from(stream));
                            match tls::terminate(config.clone(), tcp, peer.clone()) {
                                Ok(s) => s,
                                Err(e) => {
                                    log::warning!("Client {peer}: TLS: {e}");
                                    continue;
                                }
                            }
                        }
                        None => stream,
                    };
                    let spawned = std::thread::Builder::new()
                        .name("vaccel-conn".into())
                        .spawn(move || server::serve(stream, peer, agent));
                    if let Err(e) = spawned {
                        log::warning!("cannot start a connection thread: {e}");
                    }
                }
                Err(e) => {
                    log::warning!("accept failed: {e}");
                    // Out of descriptors and the like: do not spin.
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
        }
    }
    listener.cleanup();
    drop(listener);
    // Graceful shutdown: calls already running finish and are answered.
    let limit = drain_limit();
    let running = server::drain(std::time::Duration::ZERO);
    if running > 0 {
        info!(
            "Waiting up to {} ms for {running} call(s) in flight",
            limit.as_millis()
        );
        let left = tokio::task::spawn_blocking(move || server::drain(limit))
            .await
            .unwrap_or(running);
        if left > 0 {
            log::warning!("{left} call(s) still running at exit");
        } else {
            info!("All calls answered");
        }
    }
    ExitCode::SUCCESS
}

/// How long a shutdown waits for calls in flight: `VACCEL_RPC_AGENT_DRAIN_MS`, default 30 s.
fn drain_limit() -> std::time::Duration {
    std::env::var("VACCEL_RPC_AGENT_DRAIN_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(
            std::time::Duration::from_secs(30),
            std::time::Duration::from_millis,
        )
}

/// `tcp://host:0` with the port actually bound (for tests that ask for an ephemeral port).
fn tcp_with_port(shown: &str, port: u16) -> String {
    format!("{}:{port}", &shown[..shown.len() - 2])
}

/// Resolves on SIGINT, SIGTERM or SIGHUP with the signal's name.
async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => "SIGINT",
        _ = term.recv() => "SIGTERM",
        _ = hup.recv() => "SIGHUP",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_shape() {
        Cli::command().debug_assert();
        let c = Cli::try_parse_from(["vaccel-rpc-agent"]).unwrap();
        assert_eq!(c.server_address, "tcp://127.0.0.1:65500");
        let c = Cli::try_parse_from([
            "vaccel-rpc-agent",
            "-a",
            "unix:///tmp/x.sock",
            "--vaccel-config",
            "plugins=libvaccel-noop.so,log_level=4",
        ])
        .unwrap();
        assert_eq!(c.server_address, "unix:///tmp/x.sock");
        assert_eq!(c.vaccel_config.unwrap().log_level, 4);
        let e = Cli::try_parse_from(["vaccel-rpc-agent", "--vaccel-config", "nope=1"]).unwrap_err();
        assert!(e.to_string().contains("Unknown key `nope`"), "{e}");
    }
}
