//! Faults between the RPC plugin and the agent, with this process as the client (libvaccel +
//! libvaccel-rpc.so through the `vaccel` crate) and the real agent serving the mbench plugin,
//! whose `exec` busy-waits for the milliseconds it is given:
//!
//! - a call past `VACCEL_RPC_TIMEOUT_MS` fails with `VACCEL_EIO` within its deadline, and the
//!   next call connects again;
//! - the agent killed during a call: the call fails at once with `VACCEL_EIO`; after the agent
//!   restarts at the same address, the old session is reported missing (an error, no crash) and
//!   a new session works, its resource registered again;
//! - SIGTERM during a call: the agent answers it before exiting 0 (graceful drain).
//!
//! One test in its own binary: the vAccel runtime is loaded once per process.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Agent, TempDir, Where};
use vaccel::abi::{self, ArgType, OpType, VACCEL_RESOURCE_DATA};
use vaccel::{Arg, Error, Session, Vaccel};

/// The mbench plugin's exec: busy for `ms` milliseconds on the agent.
fn busy(sess: &mut Session<'_>, ms: u32) -> Result<(), Error> {
    let mut time = format!("{ms}").into_bytes();
    time.resize(time.len().max(4) + 1, 0);
    let mut read = [
        Arg::op(OpType::Exec),
        Arg::new(ArgType::String, b"mbench\0".to_vec()),
        Arg::new(ArgType::String, b"mbench\0".to_vec()),
        Arg::new(ArgType::Raw, time),
        Arg::new(ArgType::Raw, vec![1u8; 16]),
    ];
    sess.genop(&mut read, &mut [])
}

fn mbench_agent(sock: &Path) -> Agent {
    let mbench = common::target_dir().join("libvaccel_mbench.so");
    Agent::start_with(
        Where::Unix(sock.to_owned()),
        &[
            ("VACCEL_PLUGINS", mbench.to_str().unwrap()),
            ("VACCEL_RPC_AGENT_CONFIG", "exec_allow=mbench:mbench"),
            ("VACCEL_RPC_AGENT_DRAIN_MS", "10000"),
        ],
    )
}

fn code(r: Result<(), Error>) -> i32 {
    match r {
        Err(Error::Code(c)) => c,
        other => panic!("expected a vAccel error, got {other:?}"),
    }
}

#[test]
fn deadlines_agent_restarts_and_graceful_shutdown() {
    let dir = TempDir::new("faults");
    let sock = dir.0.join("a.sock");
    let mut agent = mbench_agent(&sock);
    let target = common::target_dir();
    // SAFETY: set before libvaccel is loaded; this binary's only test.
    unsafe {
        std::env::set_var("VACCEL_PLUGINS", target.join("libvaccel_rpc.so"));
        std::env::set_var("VACCEL_RPC_ADDRESS", &agent.address);
        std::env::set_var("VACCEL_RPC_TIMEOUT_MS", "1500");
        std::env::set_var("VACCEL_RUNDIR", &dir.0);
    }
    let vaccel = Vaccel::open_path(target.join("libvaccel.so").to_str().unwrap()).unwrap();
    let mut sess = vaccel.session(0).unwrap();
    busy(&mut sess, 50).unwrap();

    // 1. Past the deadline: EIO within it (plus scheduling slack), then a new connection.
    let t = Instant::now();
    assert_eq!(code(busy(&mut sess, 4000)), abi::VACCEL_EIO);
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(1400) && took < Duration::from_millis(3000),
        "{took:?}"
    );
    let mut sess2 = vaccel.session(0).unwrap();
    busy(&mut sess2, 10).unwrap();

    // 2. The agent killed during a call: the call fails at once, not at its deadline.
    let path = dir.0.join("data.bin");
    std::fs::write(&path, b"data registered before the fault").unwrap();
    let mut res = vaccel
        .resource(path.to_str().unwrap(), VACCEL_RESOURCE_DATA)
        .unwrap();
    sess2.register(&mut res).unwrap();
    let killer = {
        let pid = agent.child.id() as i32;
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            // SAFETY: signalling the agent child process.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        })
    };
    let t = Instant::now();
    assert_eq!(code(busy(&mut sess2, 1200)), abi::VACCEL_EIO);
    assert!(
        t.elapsed() < Duration::from_millis(1200),
        "{:?}",
        t.elapsed()
    );
    killer.join().unwrap();
    let _ = agent.child.wait();

    // 3. The agent back at the same address: the old session is reported missing, a new one
    //    works and its resource is registered again from the client's copy.
    let mut agent = mbench_agent(&sock);
    let e = busy(&mut sess2, 10).unwrap_err();
    eprintln!("a session of the killed agent after the restart: {e}");
    let mut sess3 = vaccel.session(0).unwrap();
    busy(&mut sess3, 10).unwrap();
    let mut res2 = vaccel
        .resource(path.to_str().unwrap(), VACCEL_RESOURCE_DATA)
        .unwrap();
    sess3.register(&mut res2).unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"data registered before the fault"
    );

    // 4. SIGTERM during a call: answered before the agent exits 0.
    let pid = agent.child.id() as i32;
    let term = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        // SAFETY: signalling the agent child process.
        unsafe { libc::kill(pid, libc::SIGTERM) };
    });
    busy(&mut sess3, 1000).unwrap();
    term.join().unwrap();
    let status = agent.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    agent.wait_log("All calls answered", Duration::from_secs(5));
    drop(res);
}
