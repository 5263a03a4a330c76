//! Listening sockets for every address form of the proto crate's parser (spec §2.8).
//!
//! - `tcp://host:port`: the first resolved address (IPv4 preferred), `TCP_NODELAY` on every
//!   accepted connection (upstream's missing `TCP_NODELAY` costs ≈ 88 ms per small call, §2.8).
//! - `unix:///path`: unlike upstream (which fails with EADDRINUSE), a stale *socket* file left by
//!   a crashed agent is removed before binding; any other kind of file is left alone and the bind
//!   fails. The file is removed again on shutdown ([`Listener::cleanup`]).
//! - `unix://@name`: Linux abstract namespace, nothing on the filesystem.
//! - `vsock://cid:port`: AF_VSOCK through a small libc-based listener ([`vsock`]), because neither
//!   std nor tokio know the address family. As upstream, the CID is ignored and the agent binds
//!   `VMADDR_CID_ANY` on the port, so `vsock://2:2048` on the host accepts guests.
//! - `hvsock://path:port` (Firecracker / Cloud Hypervisor hybrid vsock): the VMM delivers a guest's
//!   connection to host port P on the unix socket `<path>_P`, so the agent listens there as on any
//!   unix socket; no handshake happens on this side.
//!
//! Every accepted connection becomes a blocking `std` socket, so the server code is the same for
//! all.

use std::io;
use std::path::{Path, PathBuf};

use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;

use tokio::net::{TcpListener, UnixListener};
use vaccel_rpc_proto::Address;

use crate::log::warning;
use crate::policy::Policy;

/// A bound listener.
pub enum Listener {
    Tcp(TcpListener),
    /// A unix listener; `path` is the socket file to remove on shutdown (`None` for abstract).
    Unix {
        listener: UnixListener,
        path: Option<PathBuf>,
        /// Peer uids admitted (`None`: all).
        allow_uids: Option<Vec<u32>>,
    },
    Vsock(vsock::VsockListener),
}

impl Listener {
    /// Binds `address` under `policy` (the mode of a unix socket file, the peer uids a unix
    /// listener admits). Must run inside the tokio runtime.
    pub fn bind(address: &Address, policy: &Policy) -> io::Result<Listener> {
        match address {
            Address::Tcp { .. } => {
                let addrs = address.socket_addrs()?;
                let mut last = None;
                for a in addrs {
                    // SO_REUSEADDR, so that a restarted agent can bind while connections of the
                    // previous one linger in TIME_WAIT (upstream sets SO_REUSEPORT instead).
                    let bound = (|| {
                        let sock = if a.is_ipv4() {
                            tokio::net::TcpSocket::new_v4()?
                        } else {
                            tokio::net::TcpSocket::new_v6()?
                        };
                        sock.set_reuseaddr(true)?;
                        sock.bind(a)?;
                        sock.listen(1024)
                    })();
                    match bound {
                        Ok(l) => return Ok(Listener::Tcp(l)),
                        Err(e) => last = Some(e),
                    }
                }
                Err(last.unwrap_or_else(|| io::Error::other("no address to bind")))
            }
            Address::Unix(path) => bind_unix_path(path, policy),
            Address::HybridVsock { .. } => {
                let path = address
                    .hybrid_vsock_listener_path()
                    .ok_or_else(|| io::Error::other("no hybrid vsock path"))?;
                bind_unix_path(&path, policy)
            }
            Address::UnixAbstract(name) => {
                use std::os::linux::net::SocketAddrExt;
                let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
                let std = std::os::unix::net::UnixListener::bind_addr(&addr)?;
                std.set_nonblocking(true)?;
                Ok(Listener::Unix {
                    listener: UnixListener::from_std(std)?,
                    path: None,
                    allow_uids: policy.allow_uids.clone(),
                })
            }
            Address::Vsock { port, .. } => Ok(Listener::Vsock(vsock::VsockListener::bind(*port)?)),
        }
    }

    /// The local TCP port (for `tcp://…:0`).
    pub fn tcp_port(&self) -> Option<u16> {
        match self {
            Listener::Tcp(l) => l.local_addr().ok().map(|a| a.port()),
            _ => None,
        }
    }

    /// Waits for the next connection: the socket, switched to blocking mode for the connection's
    /// threads ([`crate::server`]), and a description of the peer for log lines. Every family is
    /// returned as a `UnixStream`: the server only reads, writes and shuts down.
    pub async fn accept(&self) -> io::Result<(UnixStream, String)> {
        match self {
            Listener::Tcp(l) => {
                let (s, peer) = l.accept().await?;
                s.set_nodelay(true)?;
                let s = s.into_std()?;
                s.set_nonblocking(false)?;
                Ok((UnixStream::from(OwnedFd::from(s)), peer.to_string()))
            }
            Listener::Unix {
                listener,
                allow_uids,
                ..
            } => loop {
                let (s, _) = listener.accept().await?;
                let peer = peer_description(&s);
                if let Some(allowed) = allow_uids {
                    let uid = s.peer_cred().map(|c| c.uid()).ok();
                    if !uid.is_some_and(|u| allowed.contains(&u)) {
                        warning!(
                            "Refused {peer} (uid {}): not in the agent's allow_uid list",
                            uid.map_or_else(|| "unknown".to_owned(), |u| u.to_string())
                        );
                        continue;
                    }
                }
                let s = s.into_std()?;
                s.set_nonblocking(false)?;
                return Ok((s, peer));
            },
            Listener::Vsock(l) => {
                let (s, cid, port) = l.accept().await?;
                let s = s.into_std()?;
                s.set_nonblocking(false)?;
                Ok((s, format!("vsock {cid}:{port}")))
            }
        }
    }

    /// Removes the socket file of a `unix://` or hybrid-vsock listener.
    pub fn cleanup(&self) {
        if let Listener::Unix {
            path: Some(path), ..
        } = self
        {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// `unix pid <pid> uid <uid>` from SO_PEERCRED, or `unix` when unavailable.
fn peer_description(s: &tokio::net::UnixStream) -> String {
    match s.peer_cred() {
        Ok(c) => match c.pid() {
            Some(pid) => format!("unix pid {pid} uid {}", c.uid()),
            None => format!("unix uid {}", c.uid()),
        },
        Err(_) => "unix".to_owned(),
    }
}

/// Binds a unix socket at `path` with the policy's file mode, first removing a stale socket
/// file there. The mode is in place before the socket accepts anything: the file is created
/// under a umask that leaves at most the owner's bits, then set to the mode.
fn bind_unix_path(path: &Path, policy: &Policy) -> io::Result<Listener> {
    use std::os::unix::fs::PermissionsExt;
    remove_stale_socket(path)?;
    // SAFETY: umask only swaps the process's file-creation mask; the agent binds before it
    // starts any thread that creates files.
    let old = unsafe { libc::umask(0o077) };
    let bound = UnixListener::bind(path);
    // SAFETY: as above, restoring the previous mask.
    unsafe { libc::umask(old) };
    let listener = bound?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(policy.unix_mode))?;
    Ok(Listener::Unix {
        listener,
        path: Some(path.to_owned()),
        allow_uids: policy.allow_uids.clone(),
    })
}

/// Removes `path` if it is a socket nobody accepts on. A live agent's socket (connect succeeds)
/// and non-socket files are left alone; binding then fails with EADDRINUSE.
pub fn remove_stale_socket(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => {
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Ok(());
            }
            std::fs::remove_file(path)
        }
        _ => Ok(()),
    }
}

pub mod vsock {
    //! A minimal AF_VSOCK listener over libc.
    //!
    //! tokio has no vsock type. The listening socket is created non-blocking and registered with
    //! tokio through `AsyncFd`; each accepted socket is handed to tokio as a
    //! `tokio::net::UnixStream`. That is sound for reading and writing: a `UnixStream` only issues
    //! `read`/`write`/`shutdown` on its descriptor, which behave the same on any connected stream
    //! socket; the agent never asks it for unix-specific addresses.

    use std::io;
    use std::mem::{size_of, zeroed};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    use tokio::io::unix::AsyncFd;

    /// `struct sockaddr_vm` for `cid`:`port`.
    pub fn sockaddr(cid: u32, port: u32) -> libc::sockaddr_vm {
        // SAFETY: sockaddr_vm is plain old data; all-zero is a valid value.
        let mut a: libc::sockaddr_vm = unsafe { zeroed() };
        a.svm_family = libc::AF_VSOCK as libc::sa_family_t;
        a.svm_port = port;
        a.svm_cid = cid;
        a
    }

    /// A listening AF_VSOCK socket.
    pub struct VsockListener {
        fd: AsyncFd<OwnedFd>,
    }

    impl VsockListener {
        /// Binds `VMADDR_CID_ANY`:`port` with a backlog of 128.
        pub fn bind(port: u32) -> io::Result<VsockListener> {
            // SAFETY: plain socket(2) call; the result is checked.
            let raw = unsafe {
                libc::socket(
                    libc::AF_VSOCK,
                    libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                    0,
                )
            };
            if raw < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: `raw` is a fresh descriptor we own.
            let fd = unsafe { OwnedFd::from_raw_fd(raw) };
            let addr = sockaddr(libc::VMADDR_CID_ANY, port);
            // SAFETY: `addr` is a valid sockaddr_vm of the length passed.
            let rc = unsafe {
                libc::bind(
                    fd.as_raw_fd(),
                    (&addr as *const libc::sockaddr_vm).cast(),
                    size_of::<libc::sockaddr_vm>() as libc::socklen_t,
                )
            };
            if rc < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: a bound stream socket.
            if unsafe { libc::listen(fd.as_raw_fd(), 128) } < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: `fd` is an open descriptor owned by the `OwnedFd`, which the `AsyncFd` owns
            // for its whole life, so it stays open and the same.
            let fd = unsafe { AsyncFd::register(fd) }.map_err(io::Error::from)?;
            Ok(VsockListener { fd })
        }

        /// The next connection and its peer CID and port.
        pub async fn accept(&self) -> io::Result<(tokio::net::UnixStream, u32, u32)> {
            loop {
                let mut guard = self.fd.readable().await?;
                let res = guard.try_io(|fd| {
                    // SAFETY: sockaddr_vm is plain old data.
                    let mut peer: libc::sockaddr_vm = unsafe { zeroed() };
                    let mut len = size_of::<libc::sockaddr_vm>() as libc::socklen_t;
                    // SAFETY: `peer`/`len` describe a writable sockaddr_vm.
                    let raw = unsafe {
                        libc::accept4(
                            fd.as_raw_fd(),
                            (&mut peer as *mut libc::sockaddr_vm).cast(),
                            &mut len,
                            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                        )
                    };
                    if raw < 0 {
                        return Err(io::Error::last_os_error());
                    }
                    // SAFETY: a fresh descriptor we own.
                    Ok((
                        unsafe { OwnedFd::from_raw_fd(raw) },
                        peer.svm_cid,
                        peer.svm_port,
                    ))
                });
                match res {
                    Ok(Ok((fd, cid, port))) => {
                        let std = std::os::unix::net::UnixStream::from(fd);
                        return Ok((tokio::net::UnixStream::from_std(std)?, cid, port));
                    }
                    Ok(Err(e)) => return Err(e),
                    Err(_would_block) => continue,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vsock_sockaddr() {
        let a = vsock::sockaddr(libc::VMADDR_CID_ANY, 2048);
        assert_eq!(a.svm_family, libc::AF_VSOCK as libc::sa_family_t);
        assert_eq!(a.svm_port, 2048);
        assert_eq!(a.svm_cid, u32::MAX);
    }

    #[test]
    fn hybrid_vsock_listens_on_path_port() {
        let a: Address = "hvsock:///tmp/v.sock:1024".parse().unwrap();
        assert_eq!(
            a.hybrid_vsock_listener_path().unwrap(),
            PathBuf::from("/tmp/v.sock_1024")
        );
    }

    #[test]
    fn stale_socket_is_removed_other_files_are_not() {
        let dir = std::env::temp_dir().join(format!("agent-listener-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sock = dir.join("s.sock");
        let _ = std::fs::remove_file(&sock);
        drop(std::os::unix::net::UnixListener::bind(&sock).unwrap());
        assert!(sock.exists());
        remove_stale_socket(&sock).unwrap();
        assert!(!sock.exists());
        let file = dir.join("plain");
        std::fs::write(&file, b"x").unwrap();
        remove_stale_socket(&file).unwrap();
        assert!(file.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
