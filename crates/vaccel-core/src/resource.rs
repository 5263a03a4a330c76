//! Resources (spec §10): files, directories, URLs or buffers registered with sessions.

use std::ffi::c_char;
use std::path::{Path, PathBuf};

use vaccel_abi::{self as abi, vaccel_blob, vaccel_resource, vaccel_session};

use crate::state::{self, Ptr, ResourceRec};
use crate::{Error, Result, blob, cmem, debug, error, plugin, session, warn};

/// Path classification of one resource path (§10.1 step 3).
fn classify(path: &str) -> Result<(u32, String)> {
    if let Some((scheme, _)) = path.split_once("://") {
        // Upstream compares by prefix: `httpx://` counts as http.
        if ["http", "https", "ftp"]
            .iter()
            .any(|p| scheme.starts_with(p))
        {
            return Ok((abi::VACCEL_PATH_REMOTE_FILE, path.to_owned()));
        }
        let Some(local) = path.strip_prefix("file://") else {
            error!("Unsupported URI prefix for {path}");
            return Err(Error::EINVAL);
        };
        return classify_local(local);
    }
    warn!("Path does not seem to have a `<prefix>://`");
    warn!("Assuming {path} is a local path");
    classify_local(path)
}

fn classify_local(path: &str) -> Result<(u32, String)> {
    let p = Path::new(path);
    if p.is_dir() {
        Ok((abi::VACCEL_PATH_LOCAL_DIR, path.to_owned()))
    } else if p.is_file() {
        Ok((abi::VACCEL_PATH_LOCAL_FILE, path.to_owned()))
    } else {
        error!("Invalid path {path}");
        Err(Error::EINVAL)
    }
}

/// Fills the common fields of a fresh resource and records it; returns its id.
fn start_init(res: &mut vaccel_resource, type_: u32) -> Result<i64> {
    let mut st = state::lock();
    let resources = st.resources.as_mut().ok_or(Error::EPERM)?;
    if type_ >= abi::VACCEL_RESOURCE_MAX {
        return Err(Error::EINVAL);
    }
    let id = resources.pool.get()?;
    res.id = id;
    res.remote_id = 0;
    res.type_ = type_;
    res.path_type = abi::VACCEL_PATH_LOCAL_FILE;
    res.paths = std::ptr::null_mut();
    res.nr_paths = 0;
    res.rundir = std::ptr::null_mut();
    res.blobs = std::ptr::null_mut();
    res.nr_blobs = 0;
    res.refcount = std::sync::atomic::AtomicU32::new(0);
    res.plugin_priv = std::ptr::null_mut();
    let entry: *mut abi::vaccel_list_entry = &mut res.entry;
    res.entry = abi::vaccel_list_entry {
        next: entry,
        prev: entry,
    };
    let sessions: *mut abi::vaccel_list_entry = &mut res.sessions;
    res.sessions = abi::vaccel_list_entry {
        next: sessions,
        prev: sessions,
    };
    // SAFETY: all-zero is PTHREAD_MUTEX_INITIALIZER; the mutex is never locked.
    res.sessions_lock = unsafe { std::mem::zeroed() };
    Ok(id)
}

/// Publishes an initialised resource in the live list.
fn finish_init(res: &mut vaccel_resource) {
    let mut st = state::lock();
    if let Some(r) = st.resources.as_mut() {
        r.list.push(ResourceRec {
            id: res.id,
            ptr: Ptr(res),
            type_: res.type_,
            sessions: Vec::new(),
            loaded: res.nr_blobs > 0,
        });
    }
}

/// Abandons a half-initialised resource: frees what it holds and returns its id.
fn abort_init(res: &mut vaccel_resource) {
    free_contents(res);
    if let Some(r) = state::lock().resources.as_mut() {
        r.pool.put(res.id);
    }
    res.id = 0;
}

/// A malloc'd `char **` of strdup'd paths.
fn c_string_array(items: &[String]) -> Result<*mut *mut c_char> {
    // SAFETY: calloc has no preconditions; checked below.
    let arr = unsafe { libc::calloc(items.len().max(1), std::mem::size_of::<*mut c_char>()) }
        .cast::<*mut c_char>();
    if arr.is_null() {
        return Err(Error::ENOMEM);
    }
    for (i, s) in items.iter().enumerate() {
        // SAFETY: `arr` has `items.len()` slots.
        unsafe { *arr.add(i) = cmem::strdup(s) };
    }
    Ok(arr)
}

/// `vaccel_resource_init_multi` (and `init` with one path).
pub fn init_multi(res: &mut vaccel_resource, paths: &[String], type_: u32) -> Result<()> {
    if state::lock().resources.is_none() {
        return Err(Error::EPERM);
    }
    if paths.is_empty() || type_ >= abi::VACCEL_RESOURCE_MAX {
        return Err(Error::EINVAL);
    }
    let id = start_init(res, type_)?;
    let classified: Result<Vec<(u32, String)>> = paths.iter().map(|p| classify(p)).collect();
    let result = classified.and_then(|c| {
        let kind = c[0].0;
        if c.iter().any(|(k, _)| *k != kind) {
            error!("Resource paths cannot be of different types");
            return Err(Error::EINVAL);
        }
        if kind == abi::VACCEL_PATH_LOCAL_DIR && c.len() > 1 {
            return Err(Error::ENOTSUP);
        }
        let stripped: Vec<String> = c.into_iter().map(|(_, p)| p).collect();
        res.paths = c_string_array(&stripped)?;
        res.nr_paths = stripped.len();
        res.path_type = kind;
        Ok(())
    });
    if let Err(e) = result {
        abort_init(res);
        return Err(e);
    }
    finish_init(res);
    debug!("Initialized resource {id}");
    Ok(())
}

/// Creates the resource run directory `<top>/resource.<id>`.
fn create_rundir(res: &mut vaccel_resource) -> Result<PathBuf> {
    if !res.rundir.is_null() {
        // SAFETY: set by this module from a path string.
        return Ok(PathBuf::from(unsafe { cmem::display(res.rundir) }));
    }
    let top = state::lock().rundir.clone().ok_or(Error::EPERM)?;
    let dir = top.join(format!("resource.{}", res.id));
    std::fs::create_dir(&dir).map_err(|e| Error::from_io(&e))?;
    debug!("New rundir for resource {}: {}", res.id, dir.display());
    res.rundir = cmem::strdup(&dir.to_string_lossy());
    Ok(dir)
}

/// Attaches malloc'd blobs to the resource.
fn set_blobs(res: &mut vaccel_resource, blobs: Vec<*mut vaccel_blob>) -> Result<()> {
    // SAFETY: calloc has no preconditions; checked below.
    let arr = unsafe { libc::calloc(blobs.len().max(1), std::mem::size_of::<*mut vaccel_blob>()) }
        .cast::<*mut vaccel_blob>();
    if arr.is_null() {
        for b in blobs {
            // SAFETY: each came from blob::alloc.
            unsafe { blob::delete(b) };
        }
        return Err(Error::ENOMEM);
    }
    for (i, b) in blobs.iter().enumerate() {
        // SAFETY: `arr` has `blobs.len()` slots.
        unsafe { *arr.add(i) = *b };
    }
    res.blobs = arr;
    res.nr_blobs = blobs.len();
    Ok(())
}

/// The resource's blobs as a slice of pointers.
fn blob_ptrs(res: &vaccel_resource) -> &[*mut vaccel_blob] {
    if res.blobs.is_null() {
        return &[];
    }
    // SAFETY: `blobs` holds `nr_blobs` pointers set by `set_blobs`.
    unsafe { std::slice::from_raw_parts(res.blobs, res.nr_blobs) }
}

/// `vaccel_resource_init_from_buf` (§10.2).
///
/// # Safety
/// `buf` must be readable for `n` bytes; with `mem_only` it must outlive the resource.
pub unsafe fn init_from_buf(
    res: &mut vaccel_resource,
    buf: *const u8,
    n: usize,
    type_: u32,
    filename: Option<&str>,
    mem_only: bool,
) -> Result<()> {
    if state::lock().resources.is_none() {
        return Err(Error::EPERM);
    }
    if buf.is_null() || n == 0 || type_ >= abi::VACCEL_RESOURCE_MAX {
        return Err(Error::EINVAL);
    }
    let id = start_init(res, type_)?;
    let result = (|| {
        let b = blob::alloc()?;
        // SAFETY: `b` is a fresh blob; `buf` is readable for `n` bytes (caller).
        let r = unsafe {
            if mem_only {
                blob::init_from_buf(
                    &mut *b,
                    buf,
                    n,
                    false,
                    filename.unwrap_or("file"),
                    None,
                    false,
                )
            } else {
                let dir = create_rundir(res)?;
                let (name, random) = filename.map_or(("file", true), |f| (f, false));
                blob::init_from_buf(&mut *b, buf, n, false, name, Some(&dir), random)
            }
        };
        if let Err(e) = r {
            // SAFETY: from blob::alloc.
            unsafe { blob::delete(b) };
            return Err(e);
        }
        set_blobs(res, vec![b])
    })();
    if let Err(e) = result {
        abort_init(res);
        return Err(e);
    }
    finish_init(res);
    debug!("Initialized resource {id}");
    Ok(())
}

/// `vaccel_resource_init_from_blobs` (§10.3): copies the given blobs.
///
/// # Safety
/// Each pointer in `blobs` must point to a valid blob.
pub unsafe fn init_from_blobs(
    res: &mut vaccel_resource,
    blobs: &[*const vaccel_blob],
    type_: u32,
) -> Result<()> {
    if state::lock().resources.is_none() {
        return Err(Error::EPERM);
    }
    // SAFETY: the caller guarantees valid (or NULL) pointers.
    let srcs: Vec<&vaccel_blob> = blobs.iter().filter_map(|b| unsafe { b.as_ref() }).collect();
    if srcs.is_empty() || srcs.len() != blobs.len() || type_ >= abi::VACCEL_RESOURCE_MAX {
        return Err(Error::EINVAL);
    }
    if !srcs.iter().all(|b| blob::valid(b)) {
        return Err(Error::EINVAL);
    }
    let id = start_init(res, type_)?;
    let result = (|| {
        let needs_dir = srcs.iter().any(|b| b.type_ != abi::VACCEL_BLOB_BUFFER);
        let dir = if needs_dir {
            Some(create_rundir(res)?)
        } else {
            None
        };
        let mut made = Vec::new();
        for src in &srcs {
            let b = blob::alloc()?;
            made.push(b);
            // SAFETY: `b` is fresh; `src` is valid (caller) with readable data of `size` bytes.
            unsafe {
                let name = cmem::display(src.name);
                match src.type_ {
                    abi::VACCEL_BLOB_FILE => blob::init(&mut *b, &cmem::display(src.path)),
                    abi::VACCEL_BLOB_BUFFER => blob::init_from_buf(
                        &mut *b,
                        src.data,
                        src.size,
                        src.data_owned,
                        &name,
                        None,
                        false,
                    ),
                    _ => blob::init_from_buf(
                        &mut *b,
                        src.data,
                        src.size,
                        false,
                        &name,
                        dir.as_deref(),
                        false,
                    ),
                }
            }
            .inspect_err(|_| {
                for b in made.drain(..) {
                    // SAFETY: from blob::alloc.
                    unsafe { blob::delete(b) };
                }
            })?;
        }
        set_blobs(res, made)
    })();
    if let Err(e) = result {
        abort_init(res);
        return Err(e);
    }
    finish_init(res);
    debug!("Initialized resource {id}");
    Ok(())
}

/// The resource's paths.
fn paths(res: &vaccel_resource) -> Vec<String> {
    if res.paths.is_null() {
        return Vec::new();
    }
    // SAFETY: `paths` holds `nr_paths` strdup'd strings set by `init_multi`.
    unsafe { std::slice::from_raw_parts(res.paths, res.nr_paths) }
        .iter()
        // SAFETY: each is a valid C string.
        .map(|p| unsafe { cmem::display(*p) })
        .collect()
}

/// Regular files under `dir`, recursively, in `readdir` order (sub-directories flattened).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| Error::from_io(&e))? {
        let path = entry.map_err(|e| Error::from_io(&e))?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

/// Loads the resource's blobs the first time it is registered (§10.4 table).
fn load_data(res: &mut vaccel_resource, remote: bool) -> Result<()> {
    if res.nr_blobs == 0 {
        let files: Vec<String> = match res.path_type {
            abi::VACCEL_PATH_LOCAL_FILE => {
                create_rundir(res)?;
                paths(res)
            }
            abi::VACCEL_PATH_LOCAL_DIR => {
                let mut found = Vec::new();
                for p in paths(res) {
                    walk(Path::new(&p), &mut found)?;
                }
                found
                    .iter()
                    .map(|p| p.to_string_lossy().into_owned())
                    .collect()
            }
            _ if remote => Vec::new(),
            _ => {
                create_rundir(res)?;
                for url in paths(res) {
                    error!("Could not download file from {url}");
                    error!("Loading remote data requires building with libcurl");
                }
                error!("Failed to load resource data");
                return Err(Error::ENOTSUP);
            }
        };
        let mut made = Vec::new();
        for f in &files {
            let b = blob::alloc()?;
            // SAFETY: `b` is a fresh blob.
            if let Err(e) = blob::init(unsafe { &mut *b }, f) {
                // SAFETY: from blob::alloc.
                unsafe { blob::delete(b) };
                for b in made {
                    // SAFETY: from blob::alloc.
                    unsafe { blob::delete(b) };
                }
                return Err(e);
            }
            made.push(b);
        }
        if !made.is_empty() {
            set_blobs(res, made)?;
        }
    }
    if remote {
        for b in blob_ptrs(res) {
            // SAFETY: the resource's blobs are valid blobs it owns.
            blob::read(unsafe { &mut **b })?;
        }
    }
    Ok(())
}

/// The registration record of a session (remote flag) or EINVAL.
fn session_remote(sess: &vaccel_session) -> Result<bool> {
    session::check_live(sess)?;
    let st = state::lock();
    Ok(st
        .sessions
        .as_ref()
        .and_then(|s| s.get(sess.id))
        .is_some_and(|r| r.remote))
}

/// Checks the resource is live (initialised and known).
fn check_live(res: &vaccel_resource) -> Result<()> {
    let st = state::lock();
    let resources = st.resources.as_ref().ok_or(Error::EPERM)?;
    match resources.get(res.id) {
        Some(r) if std::ptr::eq(r.ptr.0, res) => Ok(()),
        _ => Err(Error::EINVAL),
    }
}

/// Serialises the first-registration data loading of resources (taken before the state lock).
static LOADING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `vaccel_resource_register` (§10.4).
pub fn register(res: &mut vaccel_resource, sess: &mut vaccel_session) -> Result<()> {
    check_live(res)?;
    let remote = session_remote(sess)?;
    let (rid, sid) = (res.id, sess.id);
    {
        // One loader at a time: concurrent first registrations of a resource with different
        // sessions must load its data (rundir, blobs) exactly once.
        let _loading = LOADING.lock().unwrap_or_else(|e| e.into_inner());
        let loaded = state::lock()
            .resources
            .as_ref()
            .and_then(|r| r.get(rid))
            .is_some_and(|r| r.loaded);
        if !loaded {
            load_data(res, remote)?;
            if let Some(r) = state::lock()
                .resources
                .as_mut()
                .and_then(|r| r.get_mut(rid))
            {
                r.loaded = true;
            }
        } else if remote {
            load_data(res, true)?;
        }
    }
    // SAFETY: a live session's plugin is registered.
    let hook = unsafe { plugin::info(sess.plugin) }.resource_register;
    match hook {
        Some(hook) => {
            // SAFETY: the hook takes the caller's live resource and session.
            let ret = unsafe { hook(res, sess) };
            if ret != abi::VACCEL_OK || (remote && res.remote_id <= 0) {
                if remote {
                    error!(
                        "session:{sid} Failed to register remote resource {}",
                        res.remote_id
                    );
                } else {
                    error!("session:{sid} Failed to register resource {rid}");
                }
                return Err(Error::from_code(ret).unwrap_or(Error::EBACKEND));
            }
        }
        None if remote => {
            error!("session:{sid} Cannot register remote resource; no VirtIO plugin loaded yet");
            return Err(Error::ENOTSUP);
        }
        None => {}
    }
    {
        let mut st = state::lock();
        let already = st
            .sessions
            .as_ref()
            .and_then(|s| s.get(sid))
            .is_some_and(|s| s.resources[res.type_ as usize].contains(&rid));
        if already {
            drop(st);
            warn!("session:{sid} Resource {rid} already registered");
            return Ok(());
        }
        if let Some(s) = st.sessions.as_mut().and_then(|s| s.get_mut(sid)) {
            s.resources[res.type_ as usize].push(rid);
        }
        if let Some(r) = st.resources.as_mut().and_then(|r| r.get_mut(rid)) {
            r.sessions.push(sid);
        }
    }
    res.refcount
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    sess.resource_counts[res.type_ as usize] += 1;
    if remote {
        debug!(
            "session:{sid} Registered resource {rid} with remote (id: {})",
            res.remote_id
        );
    } else {
        debug!("session:{sid} Registered resource {rid}");
    }
    Ok(())
}

/// `vaccel_resource_unregister` (§10.5).
pub fn unregister(res: &mut vaccel_resource, sess: &mut vaccel_session) -> Result<()> {
    if res.id <= 0 {
        error!("Cannot unregister uninitialized resource");
        return Err(Error::EINVAL);
    }
    check_live(res)?;
    let remote = session_remote(sess)?;
    let (rid, sid) = (res.id, sess.id);
    let was = {
        let mut st = state::lock();
        let list = st
            .sessions
            .as_mut()
            .and_then(|s| s.get_mut(sid))
            .map(|s| &mut s.resources[res.type_ as usize]);
        let was = list
            .and_then(|l| l.iter().position(|x| *x == rid).map(|i| l.remove(i)))
            .is_some();
        if was && let Some(r) = st.resources.as_mut().and_then(|r| r.get_mut(rid)) {
            r.sessions.retain(|s| *s != sid);
        }
        was
    };
    if !was {
        error!("session:{sid} Resource {rid} not registered");
        return Err(Error::EINVAL);
    }
    res.refcount
        .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    let count = &mut sess.resource_counts[res.type_ as usize];
    *count = count.saturating_sub(1);
    // SAFETY: a live session's plugin is registered.
    match unsafe { plugin::info(sess.plugin) }.resource_unregister {
        Some(hook) => {
            // SAFETY: the hook takes the caller's live resource and session.
            let ret = unsafe { hook(res, sess) };
            if ret != abi::VACCEL_OK {
                let kind = if remote { "remote " } else { "" };
                error!("session:{sid} Failed to unregister {kind}resource {rid}");
                return Err(Error::from_code(ret).unwrap_or(Error::EBACKEND));
            }
        }
        None if remote => return Err(Error::ENOTSUP),
        None => {}
    }
    debug!("session:{sid} Unregistered resource {rid}");
    Ok(())
}

/// Frees blobs, rundir and paths of a resource (no unregistration, no logging of the release).
fn free_contents(res: &mut vaccel_resource) {
    for b in blob_ptrs(res).to_vec() {
        // SAFETY: each blob came from blob::alloc and is owned by the resource.
        unsafe { blob::delete(b) };
    }
    // SAFETY: `blobs` was calloc'd by set_blobs (or is NULL).
    unsafe { cmem::free(res.blobs) };
    res.blobs = std::ptr::null_mut();
    res.nr_blobs = 0;
    if !res.rundir.is_null() {
        // SAFETY: strdup'd by create_rundir.
        let dir = unsafe { cmem::display(res.rundir) };
        if let Err(e) = std::fs::remove_dir(&dir) {
            warn!(
                "Could not remove rundir {dir}: {}",
                crate::fsutil::strerror(&e)
            );
        }
        // SAFETY: as above.
        unsafe { cmem::free(res.rundir) };
        res.rundir = std::ptr::null_mut();
    }
    if !res.paths.is_null() {
        // SAFETY: `paths` holds `nr_paths` strdup'd strings in a calloc'd array.
        unsafe {
            for p in std::slice::from_raw_parts(res.paths, res.nr_paths) {
                cmem::free(*p);
            }
            cmem::free(res.paths);
        }
        res.paths = std::ptr::null_mut();
        res.nr_paths = 0;
    }
}

/// `vaccel_resource_release` (§10.6).
pub fn release(res: &mut vaccel_resource) -> Result<()> {
    if state::lock().resources.is_none() {
        return Err(Error::EPERM);
    }
    if res.id <= 0 {
        error!("Cannot release uninitialized resource");
        return Err(Error::EINVAL);
    }
    check_live(res)?;
    let id = res.id;
    let sessions: Vec<Ptr<vaccel_session>> = {
        let st = state::lock();
        let sids = st
            .resources
            .as_ref()
            .and_then(|r| r.get(id))
            .map(|r| r.sessions.clone())
            .unwrap_or_default();
        let all = st.sessions.as_ref();
        sids.iter()
            .filter_map(|s| all.and_then(|a| a.get(*s)).map(|r| r.ptr))
            .collect()
    };
    for s in sessions {
        // SAFETY: registered sessions are live caller structs.
        let _ = unregister(res, unsafe { &mut *s.0 });
    }
    free_contents(res);
    {
        let mut st = state::lock();
        if let Some(r) = st.resources.as_mut() {
            r.list.retain(|r| r.id != id);
        }
    }
    debug!("Released resource {id}");
    if let Some(r) = state::lock().resources.as_mut() {
        r.pool.put(id);
    }
    res.id = 0;
    res.plugin_priv = std::ptr::null_mut();
    Ok(())
}

/// `vaccel_resource_sync` (§10.7).
pub fn sync(res: &mut vaccel_resource, sess: &mut vaccel_session) -> Result<()> {
    check_live(res)?;
    let remote = session_remote(sess)?;
    if !session::has_resource(sess, res) {
        return Err(Error::EPERM);
    }
    let first = blob_ptrs(res).first().copied();
    // SAFETY: the resource's blobs are valid.
    if first.is_none_or(|b| unsafe { (*b).type_ } != abi::VACCEL_BLOB_BUFFER) {
        error!("Cannot synchronize non-buffer resources");
        return Err(Error::EINVAL);
    }
    // SAFETY: a live session's plugin is registered.
    match unsafe { plugin::info(sess.plugin) }.resource_sync {
        // SAFETY: the hook takes the caller's live resource and session.
        Some(hook) => crate::error::check(unsafe { hook(res, sess) }),
        None if remote => Err(Error::ENOTSUP),
        None => Ok(()),
    }
}

/// `vaccel_resource_directory`: the directory of a LOCAL_DIR resource.
pub fn directory(res: &vaccel_resource) -> Result<String> {
    if res.path_type != abi::VACCEL_PATH_LOCAL_DIR {
        return Err(Error::ENOTSUP);
    }
    if !res.rundir.is_null() {
        // SAFETY: strdup'd by this module.
        return Ok(unsafe { cmem::display(res.rundir) });
    }
    paths(res).into_iter().next().ok_or(Error::EINVAL)
}

/// `vaccel_resource_get_by_id`.
pub fn get_by_id(id: i64) -> Result<*mut vaccel_resource> {
    let st = state::lock();
    let r = st.resources.as_ref().ok_or(Error::EPERM)?;
    r.get(id).map(|r| r.ptr.0).ok_or(Error::ENOENT)
}

/// `vaccel_resource_get_all_by_type`: live resources of a type in creation order.
pub fn get_all_by_type(type_: u32) -> Result<Vec<*mut vaccel_resource>> {
    let st = state::lock();
    let r = st.resources.as_ref().ok_or(Error::EPERM)?;
    if type_ >= abi::VACCEL_RESOURCE_MAX {
        return Err(Error::EINVAL);
    }
    let v: Vec<_> = r
        .list
        .iter()
        .filter(|r| r.type_ == type_)
        .map(|r| r.ptr.0)
        .collect();
    if v.is_empty() {
        Err(Error::ENOENT)
    } else {
        Ok(v)
    }
}

/// Whether a resource is registered with a session, and of the expected type, for ops (§15.3).
pub fn check_for_op(sess: &vaccel_session, res: &vaccel_resource, expected: u32) -> Result<()> {
    if res.type_ != expected {
        error!(
            "Invalid resource type: expected VACCEL_RESOURCE_{}",
            abi::RESOURCE_TYPE_NAMES[expected as usize]
        );
        return Err(Error::EINVAL);
    }
    if !session::has_resource(sess, res) {
        error!(
            "Resource {} is not registered to session {}",
            res.id, sess.id
        );
        return Err(Error::EPERM);
    }
    Ok(())
}

/// Releases every live resource (cleanup).
pub fn release_all() {
    loop {
        let next = state::lock()
            .resources
            .as_ref()
            .and_then(|r| r.list.first().map(|r| r.ptr));
        let Some(p) = next else { break };
        // SAFETY: live resources are caller structs the C API requires to stay valid.
        if release(unsafe { &mut *p.0 }).is_err() {
            // Drop the record so cleanup terminates even for a corrupted struct.
            let mut st = state::lock();
            if let Some(r) = st.resources.as_mut() {
                r.list.retain(|r| r.ptr != p);
            }
        }
    }
}
