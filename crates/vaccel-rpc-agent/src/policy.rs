//! What the agent lets its clients do: `--agent-config "key=value,..."` (or the
//! `VACCEL_RPC_AGENT_CONFIG` environment variable when the option is absent).
//!
//! The agent runs operations for clients it may not trust (VMs, other hosts). The official agent
//! runs whatever arrives: `exec` `dlopen`s any library path a client names, resources may name any
//! agent-local file, and nothing bounds what one client creates. Here, by default:
//!
//! - `exec` and `exec_with_resource` are refused (`VACCEL_EPERM`) unless an allow-list admits
//!   the library and symbol: `exec_allow=<library>[:<symbol>[|<symbol>...]]`, repeatable, where
//!   `<library>` is an absolute path (compared after resolving links, so a link elsewhere does not
//!   match), a bare name (matched exactly: what the loader searches for, or what a plugin such
//!   as mbench interprets itself), `sha256:<hex>` (the content of the library a client registered for
//!   `exec_with_resource`) or `*` (any library, the official behaviour); no symbol or `*` admits
//!   every symbol.
//! - Resources made from agent-local paths (the `paths` of `RegisterResource`) are refused
//!   (`VACCEL_EACCES`) unless each path, links resolved, lies under a `local_paths=<dir>`
//!   (repeatable); URLs are refused. Blob names must be plain file names (no `/`, not `.` or
//!   `..`, no NUL, at most 255 bytes): they become files in the resource's directory.
//! - One connection may hold `max_sessions` sessions (default 64) and `max_resources` resources
//!   (default 1024) at once (`VACCEL_EUSERS` beyond), and run `max_in_flight` calls at once
//!   (default 16, at most 32; further calls are answered `RESOURCE_EXHAUSTED`, and beyond 32 the
//!   agent stops reading the connection until one ends); a request frame may carry `max_payload` bytes (default and at most
//!   1 GiB; `K`/`M`/`G` suffixes).
//! - `token_file=<path>`: every request must carry the file's first line (surrounding white space
//!   trimmed) as ttrpc metadata `authorization` (the plugin sends `VACCEL_RPC_TOKEN`); others are
//!   answered `UNAUTHENTICATED` and the connection is closed.
//! - `tls_cert=<pem>,tls_key=<pem>`: tcp connections speak TLS (rustls); with
//!   `tls_client_ca=<pem>` clients must present a certificate that CA signed (mTLS). A plaintext
//!   client is answered with an error frame and closed ([`crate::tls`]).
//! - Unix sockets are created with mode `unix_mode` (octal, default `0600`); `allow_uid=<uid>`
//!   (repeatable) admits only peers with those user ids (`SO_PEERCRED`), refusing the rest at
//!   accept with a log line.
//!
//! Refusals reach the client as vAccel errors (the `vaccel.ProtoError` detail of §5), with a
//! message saying which rule refused what, and the agent logs them.

use std::path::PathBuf;

use vaccel::abi;
use vaccel_rpc_proto::error::{Error as VError, error_to_status};
use vaccel_rpc_proto::ttrpc::Status;

/// The environment variable read when `--agent-config` is not given.
pub const CONFIG_ENV: &str = "VACCEL_RPC_AGENT_CONFIG";

/// A library an `exec_allow` rule admits.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Library {
    Any,
    /// A path, canonical when it existed at startup.
    Path(PathBuf),
    /// A bare name, matched exactly (what the loader searches for, or what a plugin such as
    /// mbench interprets itself).
    Name(String),
    /// The SHA-256 of a registered library's bytes.
    Sha256([u8; 32]),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ExecRule {
    library: Library,
    /// `None`: every symbol.
    symbols: Option<Vec<String>>,
}

/// The agent's policy (see the module docs for the keys and defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    exec: Vec<ExecRule>,
    local_paths: Vec<PathBuf>,
    pub max_sessions: usize,
    pub max_resources: usize,
    /// Calls of one connection running at once; more are answered `RESOURCE_EXHAUSTED`.
    pub max_in_flight: usize,
    pub max_payload: u32,
    pub token: Option<String>,
    pub unix_mode: u32,
    pub allow_uids: Option<Vec<u32>>,
    /// TLS on tcp: certificate chain and key, and the CA of client certificates (mTLS).
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_client_ca: Option<PathBuf>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            exec: Vec::new(),
            local_paths: Vec::new(),
            max_sessions: 64,
            max_resources: 1024,
            max_in_flight: 16,
            max_payload: vaccel_rpc_proto::frame::MAX_PAYLOAD,
            token: None,
            unix_mode: 0o600,
            allow_uids: None,
            tls_cert: None,
            tls_key: None,
            tls_client_ca: None,
        }
    }
}

/// A refusal: INTERNAL with the vAccel errno in the `ProtoError` detail and `message`.
pub fn denied(errno: i32, message: String) -> Status {
    crate::log::warning!("refused: {message}");
    let mut s = error_to_status(&VError::ffi(errno as u32));
    s.message = message;
    s
}

fn parse_count(key: &str, val: &str) -> Result<usize, String> {
    val.parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("Invalid count `{val}` for {key}"))
}

fn parse_hex32(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn parse_exec_rule(val: &str) -> Result<ExecRule, String> {
    let bad = || format!("Invalid exec_allow `{val}`: expected <library>[:<symbol>[|<symbol>...]]");
    let (lib, syms) = match val.strip_prefix("sha256:") {
        Some(rest) => {
            let (hex, syms) = rest
                .split_once(':')
                .map_or((rest, None), |(h, s)| (h, Some(s)));
            (Library::Sha256(parse_hex32(hex).ok_or_else(bad)?), syms)
        }
        None => {
            let (lib, syms) = val
                .split_once(':')
                .map_or((val, None), |(l, s)| (l, Some(s)));
            let lib = match lib {
                "*" => Library::Any,
                p if p.starts_with('/') => {
                    Library::Path(std::fs::canonicalize(p).unwrap_or_else(|_| PathBuf::from(p)))
                }
                n if !n.is_empty() && !n.contains('/') => Library::Name(n.to_owned()),
                _ => return Err(bad()),
            };
            (lib, syms)
        }
    };
    let symbols = match syms {
        None | Some("*") | Some("") => None,
        Some(s) => Some(s.split('|').map(str::to_owned).collect()),
    };
    Ok(ExecRule {
        library: lib,
        symbols,
    })
}

/// Parses `--agent-config`. Empty items are skipped; keys may repeat where noted.
pub fn parse(value: &str) -> Result<Policy, String> {
    let mut p = Policy::default();
    for item in crate::config::items(value) {
        let (key, val) = item?;
        match key {
            "exec_allow" => p.exec.push(parse_exec_rule(val)?),
            "local_paths" => {
                let dir =
                    std::fs::canonicalize(val).map_err(|e| format!("local_paths `{val}`: {e}"))?;
                p.local_paths.push(dir);
            }
            "max_sessions" => p.max_sessions = parse_count(key, val)?,
            "max_resources" => p.max_resources = parse_count(key, val)?,
            "max_in_flight" => {
                p.max_in_flight = parse_count(key, val)?;
                let cap = crate::server::MAX_IN_FLIGHT;
                if p.max_in_flight > cap {
                    return Err(format!("max_in_flight `{val}` is over {cap}"));
                }
            }
            "max_payload" => {
                let n = crate::genop::parse_size(val)
                    .map_err(|e| format!("Invalid size `{val}` for max_payload: {e}"))?;
                if n == 0 || n > u64::from(vaccel_rpc_proto::frame::MAX_PAYLOAD) {
                    return Err(format!("max_payload `{val}` must be between 1 and 1G"));
                }
                p.max_payload = n as u32;
            }
            "token_file" => {
                let text =
                    std::fs::read_to_string(val).map_err(|e| format!("token_file `{val}`: {e}"))?;
                let token = text.lines().next().unwrap_or("").trim().to_owned();
                if token.is_empty() {
                    return Err(format!("token_file `{val}` holds no token"));
                }
                p.token = Some(token);
            }
            "unix_mode" => {
                p.unix_mode = u32::from_str_radix(val, 8)
                    .ok()
                    .filter(|m| *m <= 0o777)
                    .ok_or_else(|| format!("Invalid octal mode `{val}` for unix_mode"))?;
            }
            "allow_uid" => {
                let uid = val
                    .parse::<u32>()
                    .map_err(|_| format!("Invalid uid `{val}` for allow_uid"))?;
                p.allow_uids.get_or_insert_with(Vec::new).push(uid);
            }
            "tls_cert" => p.tls_cert = Some(PathBuf::from(val)),
            "tls_key" => p.tls_key = Some(PathBuf::from(val)),
            "tls_client_ca" => p.tls_client_ca = Some(PathBuf::from(val)),
            _ => return Err(format!("Unknown key `{key}`")),
        }
    }
    if p.tls_cert.is_some() != p.tls_key.is_some() {
        return Err("tls_cert and tls_key go together".to_owned());
    }
    if p.tls_client_ca.is_some() && p.tls_cert.is_none() {
        return Err("tls_client_ca needs tls_cert and tls_key".to_owned());
    }
    Ok(p)
}

impl Policy {
    /// The TLS configuration of the tcp listener, if TLS is asked for (files read now, so that
    /// a bad one stops the agent at startup).
    pub fn tls_config(
        &self,
    ) -> Result<Option<std::sync::Arc<vaccel_rpc_proto::rustls::ServerConfig>>, String> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => {
                vaccel_rpc_proto::tls::server_config(cert, key, self.tls_client_ca.as_deref())
                    .map(Some)
            }
            _ => Ok(None),
        }
    }
}

impl Policy {
    /// `exec` of `symbol` in `library` (a path or a name for the loader's search).
    pub fn check_exec(&self, library: &str, symbol: &str) -> Result<(), Status> {
        let canonical = std::fs::canonicalize(library).ok();
        let admits = self.exec.iter().any(|r| {
            let lib_ok = match &r.library {
                Library::Any => true,
                Library::Path(p) => canonical.as_deref() == Some(p.as_path()),
                Library::Name(n) => n == library,
                Library::Sha256(_) => false,
            };
            lib_ok && symbol_ok(r, symbol)
        });
        if admits {
            return Ok(());
        }
        Err(denied(
            abi::VACCEL_EPERM,
            format!(
                "exec of `{symbol}` in `{library}` refused: no exec_allow rule of the agent admits it"
            ),
        ))
    }

    /// `exec_with_resource` of `symbol` in a registered library with these bytes.
    pub fn check_exec_with_resource(&self, library: &[u8], symbol: &str) -> Result<(), Status> {
        let digest = vaccel_rpc_proto::ext::sha256(library);
        let admits = self.exec.iter().any(|r| {
            let lib_ok = match &r.library {
                Library::Any => true,
                Library::Sha256(d) => *d == digest,
                Library::Path(_) | Library::Name(_) => false,
            };
            lib_ok && symbol_ok(r, symbol)
        });
        if admits {
            return Ok(());
        }
        let hex = vaccel_rpc_proto::ext::hex(&digest);
        Err(denied(
            abi::VACCEL_EPERM,
            format!(
                "exec_with_resource of `{symbol}` in a library with sha256 {hex} refused: no \
                 exec_allow rule of the agent admits it"
            ),
        ))
    }

    /// The agent-local paths of a `RegisterResource`.
    pub fn check_paths(&self, paths: &[String]) -> Result<(), Status> {
        for p in paths {
            if p.contains("://") {
                return Err(denied(
                    abi::VACCEL_EACCES,
                    format!("resource path `{p}` refused: URLs are not fetched by this agent"),
                ));
            }
            let under = std::fs::canonicalize(p)
                .ok()
                .is_some_and(|c| self.local_paths.iter().any(|d| c.starts_with(d)));
            if !under {
                return Err(denied(
                    abi::VACCEL_EACCES,
                    format!(
                        "resource path `{p}` refused: agent-local paths must lie under a \
                         local_paths directory of the agent (links resolved)"
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn symbol_ok(r: &ExecRule, symbol: &str) -> bool {
    r.symbols
        .as_ref()
        .is_none_or(|s| s.iter().any(|x| x == symbol))
}

/// A blob name that stays a file inside the resource's directory.
pub fn check_blob_name(name: &str) -> Result<(), Status> {
    let why = if name.is_empty() {
        Some("is empty")
    } else if name == "." || name == ".." {
        Some("names a directory")
    } else if name.contains('/') {
        Some("contains `/`")
    } else if name.contains('\0') {
        Some("contains NUL")
    } else if name.len() > 255 {
        Some("is longer than 255 bytes")
    } else {
        None
    };
    match why {
        None => Ok(()),
        Some(w) => Err(denied(
            abi::VACCEL_EINVAL,
            format!("blob name {name:?} refused: it {w}; blob names must be plain file names"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn defaults_refuse_exec_and_paths() {
        let p = parse("").unwrap();
        assert_eq!(p, Policy::default());
        assert!(
            p.check_exec("/usr/lib/x86_64-linux-gnu/libc.so.6", "system")
                .is_err()
        );
        assert!(p.check_exec_with_resource(b"ELF", "f").is_err());
        assert!(p.check_paths(&["/etc/passwd".into()]).is_err());
        assert_eq!(p.allow_uids, None);
        assert_eq!(p.unix_mode, 0o600);
    }

    #[test]
    fn exec_rules() {
        let dir = std::env::temp_dir().join(format!("vaccel-policy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let lib = dir.join("libok.so");
        std::fs::write(&lib, b"lib").unwrap();
        let link = dir.join("link.so");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&lib, &link).unwrap();
        let other = dir.join("libother.so");
        std::fs::write(&other, b"other").unwrap();
        let digest = vaccel_rpc_proto::ext::hex(&vaccel_rpc_proto::ext::sha256(b"uploaded"));
        let p = parse(&format!(
            "exec_allow={}:f|g,exec_allow=sha256:{digest}:h",
            lib.display()
        ))
        .unwrap();
        assert!(p.check_exec(lib.to_str().unwrap(), "f").is_ok());
        assert!(p.check_exec(lib.to_str().unwrap(), "g").is_ok());
        // A link to an admitted library is the library; another library or symbol is not.
        assert!(p.check_exec(link.to_str().unwrap(), "f").is_ok());
        assert!(p.check_exec(lib.to_str().unwrap(), "system").is_err());
        assert!(p.check_exec(other.to_str().unwrap(), "f").is_err());
        assert!(p.check_exec("libok.so", "f").is_err());
        let named = parse("exec_allow=mbench:mbench").unwrap();
        assert!(named.check_exec("mbench", "mbench").is_ok());
        assert!(named.check_exec("./mbench", "mbench").is_err());
        assert!(p.check_exec_with_resource(b"uploaded", "h").is_ok());
        assert!(p.check_exec_with_resource(b"uploaded", "f").is_err());
        assert!(p.check_exec_with_resource(b"changed", "h").is_err());
        let any = parse("exec_allow=*").unwrap();
        assert!(any.check_exec("whatever.so", "any").is_ok());
        assert!(any.check_exec_with_resource(b"x", "y").is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn local_paths_resolve_links() {
        let base = std::env::temp_dir().join(format!("vaccel-policy-paths-{}", std::process::id()));
        let allowed = base.join("models");
        std::fs::create_dir_all(&allowed).unwrap();
        std::fs::write(allowed.join("m.onnx"), b"m").unwrap();
        std::fs::write(base.join("secret"), b"s").unwrap();
        let escape = allowed.join("escape");
        let _ = std::fs::remove_file(&escape);
        std::os::unix::fs::symlink(base.join("secret"), &escape).unwrap();
        let p = parse(&format!("local_paths={}", allowed.display())).unwrap();
        let s = |p: &Path| p.to_str().unwrap().to_owned();
        assert!(p.check_paths(&[s(&allowed.join("m.onnx"))]).is_ok());
        assert!(
            p.check_paths(&[s(&escape)]).is_err(),
            "a link out of the directory"
        );
        assert!(
            p.check_paths(&[s(&allowed.join("../secret"))]).is_err(),
            "`..`"
        );
        assert!(p.check_paths(&[s(&base.join("secret"))]).is_err());
        assert!(
            p.check_paths(&["https://example.com/m.onnx".into()])
                .is_err()
        );
        assert!(p.check_paths(&[s(&allowed.join("missing"))]).is_err());
        let _ = std::fs::remove_dir_all(&base);
    }

    #[test]
    fn blob_names() {
        for ok in ["model.onnx", "variables.index", "a b", ".hidden", "..x"] {
            assert!(check_blob_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "/etc/passwd",
            "a/b",
            "a\0b",
            &"x".repeat(256),
        ] {
            assert!(check_blob_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn limits_tokens_and_uids() {
        let dir = std::env::temp_dir().join(format!("vaccel-policy-tok-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("t"), "  s3cret \nignored\n").unwrap();
        let p = parse(&format!(
            "max_sessions=2,max_resources=3,max_payload=4M,token_file={},unix_mode=660,\
             allow_uid=1000,allow_uid=0",
            dir.join("t").display()
        ))
        .unwrap();
        assert_eq!((p.max_sessions, p.max_resources), (2, 3));
        assert_eq!(p.max_payload, 4 << 20);
        assert_eq!(p.token.as_deref(), Some("s3cret"));
        assert_eq!(p.unix_mode, 0o660);
        assert_eq!(p.allow_uids, Some(vec![1000, 0]));
        for (bad, msg) in [
            ("max_sessions=0", "Invalid count"),
            ("max_payload=2G", "between 1 and 1G"),
            ("unix_mode=999", "Invalid octal"),
            ("allow_uid=me", "Invalid uid"),
            ("exec_allow=dir/relative.so", "Invalid exec_allow"),
            ("exec_allow=sha256:zz", "Invalid exec_allow"),
            ("token_file=/nonexistent/t", "token_file"),
            ("nope=1", "Unknown key `nope`"),
            ("novalue", "expected `key=value`"),
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains(msg), "{bad}: {e}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
