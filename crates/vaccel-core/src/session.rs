//! Sessions (spec §9): plugin selection at init, run directories, registered resources, and the
//! transport-plugin session hooks.

use std::path::Path;

use vaccel_abi::{self as abi, vaccel_resource, vaccel_session};

use crate::state::{self, Ptr, SessionRec};
use crate::{Error, Result, debug, error, plugin, resource, warn};

/// Copies a path into the session's fixed `rundir` buffer (NUL-terminated, truncated).
fn set_rundir(sess: &mut vaccel_session, path: Option<&Path>) {
    sess.rundir = [0; abi::PATH_MAX];
    if let Some(p) = path {
        let bytes = p.as_os_str().as_encoded_bytes();
        for (dst, src) in sess
            .rundir
            .iter_mut()
            .zip(bytes.iter().take(abi::PATH_MAX - 1))
        {
            *dst = *src as std::ffi::c_char;
        }
    }
}

/// Resets the internal list heads and lock of a session struct.
fn reset_internals(sess: &mut vaccel_session) {
    let entry: *mut abi::vaccel_list_entry = &mut sess.entry;
    sess.entry = abi::vaccel_list_entry {
        next: entry,
        prev: entry,
    };
    for head in sess.resources.iter_mut() {
        let p: *mut abi::vaccel_list_entry = head;
        *head = abi::vaccel_list_entry { next: p, prev: p };
    }
    sess.resource_counts = [0; 3];
    // SAFETY: all-zero is PTHREAD_MUTEX_INITIALIZER on glibc and musl; the mutex is unused.
    sess.resources_lock = unsafe { std::mem::zeroed() };
}

/// `vaccel_session_init` (§9.1).
pub fn init(sess: &mut vaccel_session, flags: u32) -> Result<()> {
    let id = {
        let mut st = state::lock();
        let Some(sessions) = st.sessions.as_mut() else {
            return Err(Error::ESESS);
        };
        sessions.pool.get()?
    };
    let put_back = |id| {
        if let Some(s) = state::lock().sessions.as_mut() {
            s.pool.put(id);
        }
    };
    let Some((plugin, is_virtio)) = plugin::select(flags) else {
        put_back(id);
        return Err(Error::ENOTSUP);
    };
    sess.id = id;
    sess.plugin = plugin.0;
    sess.priv_ = std::ptr::null_mut();
    let remote = flags & abi::VACCEL_PLUGIN_REMOTE != 0 || plugin::only_transport_loaded();
    if remote {
        if !is_virtio {
            error!("Cannot initialize remote session; no VirtIO plugin loaded yet");
            sess.id = 0;
            put_back(id);
            return Err(Error::ENOTSUP);
        }
        // SAFETY: `plugin` was just selected from the registered list.
        let Some(hook) = (unsafe { plugin::info(plugin.0) }).session_init else {
            error!("Cannot initialize remote session; invalid plugin `session_init()`");
            sess.id = 0;
            put_back(id);
            return Err(Error::ENOTSUP);
        };
        // SAFETY: the hook takes the caller's live session struct and the flags.
        let ret = unsafe { hook(sess, flags & !abi::VACCEL_PLUGIN_REMOTE) };
        if ret != abi::VACCEL_OK {
            error!("Failed to initialize remote session");
            sess.id = 0;
            put_back(id);
            return Err(Error::from_code(ret).unwrap_or(Error::EBACKEND));
        }
    } else {
        sess.remote_id = 0;
    }
    sess.is_virtio = remote;

    let top = state::lock().rundir.clone();
    let rundir = top.map(|t| t.join(format!("session.{id}")));
    if let Some(dir) = &rundir {
        if let Err(e) = std::fs::create_dir(dir) {
            error!(
                "Could not create rundir for session {id}: {}",
                crate::fsutil::strerror(&e)
            );
            if remote {
                release_remote(sess, plugin.0);
            }
            sess.id = 0;
            put_back(id);
            return Err(Error::from_io(&e));
        }
        debug!("New rundir for session {id}: {}", dir.display());
    }
    set_rundir(sess, rundir.as_deref());
    reset_internals(sess);
    sess.hint = flags;
    {
        let mut st = state::lock();
        let Some(sessions) = st.sessions.as_mut() else {
            return Err(Error::ESESS);
        };
        sessions.list.push(SessionRec {
            id,
            ptr: Ptr(sess),
            plugin,
            remote,
            rundir,
            resources: Default::default(),
        });
    }
    let name = plugin::plugin_name(plugin.0);
    if remote {
        debug!(
            "Initialized session {id} with plugin {name} (remote id: {})",
            sess.remote_id
        );
    } else {
        debug!("Initialized session {id} with plugin {name}");
    }
    Ok(())
}

/// Calls a transport plugin's `session_release` hook; failure is only a warning.
fn release_remote(sess: &mut vaccel_session, plugin: *mut abi::vaccel_plugin) {
    // SAFETY: `plugin` is registered (sessions are released before plugins at cleanup).
    let hook = unsafe { plugin::info(plugin) }.session_release;
    // SAFETY: the hook takes the caller's live session struct.
    let ret = hook.map_or(abi::VACCEL_ENOTSUP, |h| unsafe { h(sess) });
    if ret != abi::VACCEL_OK {
        warn!("Could not release remote session");
    }
}

/// Checks that `sess` is a live session known to the runtime.
pub fn check_live(sess: &vaccel_session) -> Result<()> {
    let st = state::lock();
    let sessions = st.sessions.as_ref().ok_or(Error::ESESS)?;
    match sessions.get(sess.id) {
        Some(r) if std::ptr::eq(r.ptr.0, sess) => Ok(()),
        _ => Err(Error::EINVAL),
    }
}

/// `vaccel_session_release` (§9.2).
pub fn release(sess: &mut vaccel_session) -> Result<()> {
    {
        let st = state::lock();
        if st.sessions.is_none() {
            return Err(Error::ESESS);
        }
    }
    if sess.id <= 0 {
        error!("Cannot release uninitialized session");
        return Err(Error::EINVAL);
    }
    check_live(sess)?;
    let id = sess.id;
    // Unregister every resource registered with this session, in registration order.
    loop {
        let next = {
            let st = state::lock();
            let rec = st.sessions.as_ref().and_then(|s| s.get(id));
            let rid = rec.and_then(|r| r.resources.iter().flatten().next().copied());
            rid.and_then(|rid| st.resources.as_ref()?.get(rid).map(|r| r.ptr))
        };
        let Some(res) = next else { break };
        // SAFETY: registered resources are live caller structs.
        let res = unsafe { &mut *res.0 };
        if resource::unregister(res, sess).is_err() {
            // The hook failed but the registration is gone; keep releasing.
            continue;
        }
    }
    let rec = {
        let mut st = state::lock();
        let sessions = st.sessions.as_mut().ok_or(Error::ESESS)?;
        let i = sessions
            .list
            .iter()
            .position(|r| r.id == id)
            .ok_or(Error::EINVAL)?;
        sessions.list.remove(i)
    };
    if let Some(dir) = &rec.rundir
        && std::fs::remove_dir(dir).is_err()
    {
        warn!(
            "Could not cleanup rundir '{}' for session {id}",
            dir.display()
        );
    }
    if rec.remote {
        release_remote(sess, rec.plugin.0);
    }
    sess.priv_ = std::ptr::null_mut();
    sess.plugin = std::ptr::null_mut();
    debug!("Released session {id}");
    if let Some(s) = state::lock().sessions.as_mut() {
        s.pool.put(id);
    }
    sess.id = 0;
    Ok(())
}

/// `vaccel_session_update` (§9.3, deprecated).
pub fn update(sess: &mut vaccel_session, flags: u32) -> Result<()> {
    check_live(sess)?;
    let id = sess.id;
    let (remote, has_resources) = {
        let st = state::lock();
        let rec = st
            .sessions
            .as_ref()
            .and_then(|s| s.get(id))
            .ok_or(Error::EINVAL)?;
        (rec.remote, rec.resources.iter().any(|v| !v.is_empty()))
    };
    if remote {
        // SAFETY: a live remote session's plugin is registered.
        let Some(hook) = (unsafe { plugin::info(sess.plugin) }).session_update else {
            error!("Cannot update remote session; invalid plugin `session_update()`");
            return Err(Error::ENOTSUP);
        };
        // SAFETY: the hook takes the caller's live session struct and the flags.
        let ret = unsafe { hook(sess, flags & !abi::VACCEL_PLUGIN_REMOTE) };
        if ret != abi::VACCEL_OK {
            error!("Failed to update remote session");
            return Err(Error::from_code(ret).unwrap_or(Error::EBACKEND));
        }
        return Ok(());
    }
    if has_resources {
        error!("Cannot update a session with registered resources");
        return Err(Error::ENOTSUP);
    }
    let Some((plugin, _)) = plugin::select(flags) else {
        return Err(Error::ENOTSUP);
    };
    sess.plugin = plugin.0;
    sess.hint = flags;
    if let Some(rec) = state::lock().sessions.as_mut().and_then(|s| s.get_mut(id)) {
        rec.plugin = plugin;
    }
    debug!(
        "session:{id} Selected plugin {}",
        plugin::plugin_name(plugin.0)
    );
    Ok(())
}

/// `vaccel_session_get_by_id`.
pub fn get_by_id(id: i64) -> Result<*mut vaccel_session> {
    let st = state::lock();
    let sessions = st.sessions.as_ref().ok_or(Error::EPERM)?;
    sessions.get(id).map(|r| r.ptr.0).ok_or(Error::ENOENT)
}

/// Registered resource ids of a session for one type (empty for unknown sessions).
fn registered(sess: &vaccel_session, type_: u32) -> Vec<i64> {
    let st = state::lock();
    st.sessions
        .as_ref()
        .and_then(|s| s.get(sess.id))
        .filter(|r| std::ptr::eq(r.ptr.0, sess))
        .map(|r| r.resources[type_ as usize].clone())
        .unwrap_or_default()
}

/// Pointers of resource ids, skipping unknown ones.
fn resource_ptrs(ids: &[i64]) -> Vec<*mut vaccel_resource> {
    let st = state::lock();
    let Some(res) = st.resources.as_ref() else {
        return Vec::new();
    };
    ids.iter()
        .filter_map(|id| res.get(*id).map(|r| r.ptr.0))
        .collect()
}

/// `vaccel_session_has_resource`.
pub fn has_resource(sess: &vaccel_session, res: &vaccel_resource) -> bool {
    res.type_ < abi::VACCEL_RESOURCE_MAX && registered(sess, res.type_).contains(&res.id)
}

/// `vaccel_session_resource_by_id`.
pub fn resource_by_id(sess: &vaccel_session, id: i64) -> Result<*mut vaccel_resource> {
    if id <= 0 {
        return Err(Error::EINVAL);
    }
    let all: Vec<i64> = (0..abi::VACCEL_RESOURCE_MAX)
        .flat_map(|t| registered(sess, t))
        .collect();
    if !all.contains(&id) {
        return Err(Error::ENOENT);
    }
    resource_ptrs(&[id]).first().copied().ok_or(Error::ENOENT)
}

/// `vaccel_session_resources_by_type`: every registered resource of a type, earliest first.
pub fn resources_by_type(sess: &vaccel_session, type_: u32) -> Result<Vec<*mut vaccel_resource>> {
    if type_ >= abi::VACCEL_RESOURCE_MAX {
        return Err(Error::EINVAL);
    }
    let found = resource_ptrs(&registered(sess, type_));
    if found.is_empty() {
        Err(Error::ENOENT)
    } else {
        Ok(found)
    }
}
