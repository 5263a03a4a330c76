//! The agent's state and the `AgentService` methods (spec §6).
//!
//! Sessions and resources are libvaccel objects created through the `vaccel` crate; the ids sent
//! to clients are libvaccel's own ids. State is process-global as upstream (any connection may use
//! any id), with two differences the spec asks for (§12):
//!
//! - **Locking.** Each session and resource sits behind its own mutex; the maps are locked only
//!   to look an id up or to insert/remove it, never during a libvaccel call. When a call needs both
//!   objects the session is always locked before the resource, so there is no lock-order
//!   inversion, and a long genop blocks only its own session.
//! - **Ownership.** Every session and resource created through a connection is recorded in that
//!   connection's [`Owner`]; when the connection closes, [`Agent::release_owned`] destroys them, so
//!   crashed clients do not exhaust the 1024-session pool or leave files in the rundir.
//!
//! Handlers run on blocking threads (libvaccel calls block) and return the encoded response
//! message, or the ttrpc status of §5.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use vaccel::{BlobData, Resource, Session, Vaccel};
use vaccel_rpc_proto::bytes::Bytes;
use vaccel_rpc_proto::error::{Error as VError, error_to_status};
use vaccel_rpc_proto::ttrpc::{Code, Status};
use vaccel_rpc_proto::{Message, abi, image, profiling, resource, session};

use crate::log::{debug, info};

type Shared<T> = Arc<Mutex<T>>;

/// Locks, ignoring poisoning (a panicking handler must not wedge the agent).
pub fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Process-global state: the libvaccel handle and the id maps.
pub struct Agent {
    pub vaccel: &'static Vaccel,
    sessions: Mutex<HashMap<i64, Shared<Session<'static>>>>,
    resources: Mutex<HashMap<i64, Shared<Resource<'static>>>>,
    /// Genop timings per session, when libvaccel profiling is enabled (§6.10).
    profilers: Option<Mutex<HashMap<i64, BTreeMap<String, profiling::Region>>>>,
    /// The most bytes one `GenopStream` may hold while it is reassembled
    /// ([`crate::genop::MAX_STREAM_ENV`]).
    pub max_stream: u64,
    /// Blobs registered by digest (the `blob-cache-sha256` extension).
    pub cache: crate::cache::BlobCache,
    /// What clients may do ([`crate::policy`]).
    pub policy: crate::policy::Policy,
    /// TLS on tcp connections ([`crate::tls`]).
    pub tls: Option<Arc<vaccel_rpc_proto::rustls::ServerConfig>>,
}

/// Component name of the agent's profiler and prefix of its region names.
const PROF_COMPONENT: &str = "vaccel-rpc-agent";

/// `CLOCK_MONOTONIC` in ns (the clock of the official agent's samples).
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

/// What one connection created. The objects are held weakly and compared by identity, so a
/// session destroyed by another connection is not kept alive here, and an id that libvaccel
/// reuses after its pool wraps is never mistaken for this connection's object.
#[derive(Default)]
pub struct Owner {
    sessions: Mutex<HashMap<i64, Weak<Mutex<Session<'static>>>>>,
    resources: Mutex<HashMap<i64, Weak<Mutex<Resource<'static>>>>>,
}

/// Removes `id` from `map` if it is still the object `owned`.
fn remove_if_same<T>(
    map: &Mutex<HashMap<i64, Shared<T>>>,
    id: i64,
    owned: &Weak<Mutex<T>>,
) -> Option<Shared<T>> {
    let mut map = lock(map);
    let same = map
        .get(&id)
        .is_some_and(|a| std::ptr::eq(Arc::as_ptr(a), owned.as_ptr()));
    if same { map.remove(&id) } else { None }
}

/// A handler's outcome: the encoded response message, or the status to answer with.
pub type Reply = Result<Bytes, Status>;

/// Status for a libvaccel failure (§5.1: INTERNAL + one `vaccel.Error` detail).
pub fn ffi_status(e: &vaccel::Error) -> Status {
    let errno = match e {
        vaccel::Error::Code(n) => *n as u32,
        vaccel::Error::Invalid(_) => abi::VACCEL_EINVAL as u32,
        vaccel::Error::Load(_) => abi::VACCEL_EBACKEND as u32,
    };
    error_to_status(&VError::ffi(errno))
}

/// `id <= 0` → INTERNAL + `INVALID_ARGUMENT "Invalid ID: <id>"` details (§6.1).
pub fn check_id(id: i64) -> Result<i64, Status> {
    if id <= 0 {
        return Err(error_to_status(&VError::invalid_argument(format!(
            "Invalid ID: {id}"
        ))));
    }
    Ok(id)
}

fn not_found(what: &str, id: i64) -> Status {
    Status::new(Code::NotFound, format!("Unknown {what} {id}"))
}

fn encode<M: Message>(m: &M) -> Reply {
    Ok(m.encode_to_vec().into())
}

impl Agent {
    pub fn new(vaccel: &'static Vaccel) -> Agent {
        let profiling = vaccel.profiling_enabled().unwrap_or(false);
        Agent {
            vaccel,
            sessions: Mutex::default(),
            resources: Mutex::default(),
            profilers: profiling.then(Mutex::default),
            max_stream: crate::genop::DEFAULT_MAX_STREAM,
            cache: crate::cache::BlobCache::new(crate::cache::DEFAULT_LIMIT),
            policy: crate::policy::Policy::default(),
            tls: None,
        }
    }

    /// Refuses a new object beyond a per-connection limit.
    fn check_limit<T>(
        owned: &Mutex<HashMap<i64, Weak<Mutex<T>>>>,
        limit: usize,
        what: &str,
        key: &str,
    ) -> Result<(), Status> {
        let mut owned = lock(owned);
        owned.retain(|_, w| w.strong_count() > 0);
        if owned.len() >= limit {
            return Err(crate::policy::denied(
                abi::VACCEL_EUSERS,
                format!(
                    "this connection already holds {} {what} (the agent's {key} is {limit})",
                    owned.len()
                ),
            ));
        }
        Ok(())
    }

    /// The bytes of the first blob of registered resource `id` (the library of
    /// `exec_with_resource`).
    pub fn resource_library(&self, id: i64) -> Result<Vec<u8>, Status> {
        let res = self.resource(id, "resource")?;
        let res = lock(&res);
        if let Some(Some(data)) = res.blob_data().first() {
            return Ok(data.to_vec());
        }
        match res.blob_paths().into_iter().next().flatten() {
            Some(p) => std::fs::read(&p).map_err(|e| {
                crate::policy::denied(abi::VACCEL_EPERM, format!("reading {}: {e}", p.display()))
            }),
            None => Err(crate::policy::denied(
                abi::VACCEL_EPERM,
                format!("resource {id} holds no library"),
            )),
        }
    }

    /// Records a sample of region `genop > <name>` for session `sid` (no-op unless profiling).
    pub fn record(&self, sid: i64, name: &str, start: u64) {
        let Some(p) = &self.profilers else {
            return;
        };
        let end = monotonic_ns();
        lock(p)
            .entry(sid)
            .or_default()
            .entry(format!("[{PROF_COMPONENT}] genop > {name}"))
            .or_default()
            .samples
            .push(profiling::Sample {
                start,
                time: end.saturating_sub(start),
            });
    }

    fn drop_profiler(&self, sid: i64) {
        if let Some(p) = &self.profilers {
            lock(p).remove(&sid);
        }
    }

    /// The session with this id, or NOT_FOUND `Unknown <what> <id>`.
    pub fn session(&self, id: i64, what: &str) -> Result<Shared<Session<'static>>, Status> {
        lock(&self.sessions)
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found(what, id))
    }

    pub fn resource(&self, id: i64, what: &str) -> Result<Shared<Resource<'static>>, Status> {
        lock(&self.resources)
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found(what, id))
    }

    /// Numbers of live sessions and resources (for tests and logs).
    pub fn counts(&self) -> (usize, usize) {
        (lock(&self.sessions).len(), lock(&self.resources).len())
    }

    pub fn create_session(&self, owner: &Owner, req: session::CreateRequest) -> Reply {
        Agent::check_limit(
            &owner.sessions,
            self.policy.max_sessions,
            "sessions",
            "max_sessions",
        )?;
        let sess = self.vaccel.session(req.flags).map_err(|e| ffi_status(&e))?;
        let id = sess.id();
        let sess = Arc::new(Mutex::new(sess));
        lock(&owner.sessions).insert(id, Arc::downgrade(&sess));
        lock(&self.sessions).insert(id, sess);
        info!("Created session {id}");
        encode(&session::CreateResponse { session_id: id })
    }

    pub fn update_session(&self, req: session::UpdateRequest) -> Reply {
        let id = check_id(req.session_id)?;
        let sess = self.session(id, "session")?;
        info!("Updating hint {} for session {id}", req.flags);
        lock(&sess).set_hint(req.flags);
        Ok(Bytes::new())
    }

    pub fn destroy_session(&self, owner: &Owner, req: session::DestroyRequest) -> Reply {
        let id = check_id(req.session_id)?;
        let sess = lock(&self.sessions)
            .remove(&id)
            .ok_or_else(|| not_found("session", id))?;
        lock(&owner.sessions).remove(&id);
        self.drop_profiler(id);
        // Waits for a call in progress on the session, then releases it (which unregisters its
        // resources inside libvaccel).
        drop(lock(&sess));
        drop(sess);
        info!("Destroyed session {id}");
        Ok(Bytes::new())
    }

    pub fn register_resource(&self, owner: &Owner, req: resource::RegisterRequest) -> Reply {
        let sid = check_id(req.session_id)?;
        if req.resource_id < 0 {
            check_id(req.resource_id)?;
        }
        let sess = self.session(sid, "session")?;
        if req.resource_id > 0 {
            let rid = req.resource_id;
            let res = self.resource(rid, "resource")?;
            info!("Registering resource {rid} with session {sid}");
            let mut s = lock(&sess);
            let mut r = lock(&res);
            s.register(&mut r).map_err(|e| ffi_status(&e))?;
            return encode(&resource::RegisterResponse { resource_id: rid });
        }
        Agent::check_limit(
            &owner.resources,
            self.policy.max_resources,
            "resources",
            "max_resources",
        )?;
        for b in &req.blobs {
            crate::policy::check_blob_name(&b.name)?;
        }
        if req.blobs.is_empty() {
            self.policy.check_paths(&req.paths)?;
        }
        info!("Creating new resource");
        let rtype = req.resource_type as u32;
        let mut res = if !req.blobs.is_empty() {
            let blobs: Vec<BlobData<'_>> = req
                .blobs
                .iter()
                .map(|b| BlobData {
                    type_: b.type_ as u32,
                    name: &b.name,
                    data: &b.data,
                })
                .collect();
            self.vaccel.resource_from_blobs(&blobs, rtype)
        } else if !req.paths.is_empty() {
            let paths: Vec<&str> = req.paths.iter().map(String::as_str).collect();
            self.vaccel.resource_from_paths(&paths, rtype)
        } else {
            return Err(Status::new(
                Code::InvalidArgument,
                "No paths or blobs provided",
            ));
        }
        .map_err(|e| ffi_status(&e))?;
        drop(req);
        let rid = res.id();
        info!("Registering resource {rid} with session {sid}");
        lock(&sess).register(&mut res).map_err(|e| ffi_status(&e))?;
        let res = Arc::new(Mutex::new(res));
        lock(&owner.resources).insert(rid, Arc::downgrade(&res));
        lock(&self.resources).insert(rid, res);
        encode(&resource::RegisterResponse { resource_id: rid })
    }

    pub fn unregister_resource(&self, owner: &Owner, req: resource::UnregisterRequest) -> Reply {
        let rid = check_id(req.resource_id)?;
        let sid = check_id(req.session_id)?;
        let res = self.resource(rid, "resource")?;
        let sess = self.session(sid, "session")?;
        info!("Unregistering resource {rid} from session {sid}");
        let unused = {
            let mut s = lock(&sess);
            let mut r = lock(&res);
            s.unregister(&mut r).map_err(|e| ffi_status(&e))?;
            r.refcount().unwrap_or(0) == 0
        };
        if unused {
            let mut map = lock(&self.resources);
            // Another call may have registered it again meanwhile.
            if lock(&res).refcount().unwrap_or(0) == 0 {
                map.remove(&rid);
                drop(map);
                lock(&owner.resources).remove(&rid);
                info!("Destroying resource {rid}");
            }
        }
        Ok(Bytes::new())
    }

    pub fn sync_resource(&self, req: resource::SyncRequest) -> Reply {
        let rid = check_id(req.resource_id)?;
        let res = self.resource(rid, "resource")?;
        info!("Synchronizing resource {rid}");
        let r = lock(&res);
        let mut blobs = Vec::new();
        for data in r.blob_data() {
            let Some(data) = data else {
                return Err(Status::new(Code::Internal, "Blob has no data"));
            };
            blobs.push(resource::Blob {
                data: Bytes::copy_from_slice(data),
                size: data.len() as u32,
                ..Default::default()
            });
        }
        encode(&resource::SyncResponse { blobs })
    }

    pub fn image_classification(&self, req: image::Request) -> Reply {
        let sid = check_id(req.session_id)?;
        let sess = self.session(sid, "session")?;
        info!("session:{sid} Image classification");
        let mut tags = vec![0u8; 1024];
        let mut name = vec![0u8; 1024];
        lock(&sess)
            .classify_into(&req.image, &mut tags, &mut name)
            .map_err(|e| ffi_status(&e))?;
        encode(&image::Response { tags: tags.into() })
    }

    pub fn get_profiler(&self, req: profiling::Request) -> Reply {
        let sid = check_id(req.session_id)?;
        // No profiler for the session (profiling off, or no genop yet): an empty response.
        let regions = self
            .profilers
            .as_ref()
            .and_then(|p| lock(p).get(&sid).cloned());
        encode(&profiling::Response {
            profiler: regions.map(|regions| profiling::Profiler {
                component_name: PROF_COMPONENT.to_owned(),
                regions,
            }),
        })
    }

    /// Releases everything `owner` created that still exists: sessions first (libvaccel
    /// unregisters their resources), then resources (deleting their files).
    pub fn release_owned(&self, owner: &Owner, peer: &str) {
        let sessions: Vec<_> = lock(&owner.sessions).drain().collect();
        let resources: Vec<_> = lock(&owner.resources).drain().collect();
        if sessions.is_empty() && resources.is_empty() {
            return;
        }
        info!(
            "Client {peer} disconnected: releasing {} session(s) and {} resource(s) it created",
            sessions.len(),
            resources.len()
        );
        for (id, owned) in sessions {
            if let Some(sess) = remove_if_same(&self.sessions, id, &owned) {
                self.drop_profiler(id);
                drop(lock(&sess));
                drop(sess);
                debug!("Destroyed session {id}");
            }
        }
        for (id, owned) in resources {
            if let Some(res) = remove_if_same(&self.resources, id, &owned) {
                drop(lock(&res));
                drop(res);
                debug!("Destroyed resource {id}");
            }
        }
        let (s, r) = self.counts();
        debug!("{s} session(s) and {r} resource(s) remain");
    }
}
