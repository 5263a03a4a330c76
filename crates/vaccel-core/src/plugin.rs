//! Plugin loading, registration, version check, selection and op lookup (spec §14).
//!
//! A plugin is a shared object exporting `vaccel_plugin`, a pointer to its writable
//! `struct vaccel_plugin`. This module is the only place that reads plugin descriptors and calls
//! their lifecycle functions, so the `unsafe` dereferences of plugin memory live here.

use std::ffi::{CStr, c_void};

use vaccel_abi::{self as abi, OpType, vaccel_op, vaccel_plugin, vaccel_plugin_info};

use crate::cmem;
use crate::state::{self, PluginRec, Ptr};
use crate::{Error, Result, debug, error, info, warn};

/// What the runtime reads from a plugin's `info` when registering it.
struct Identity {
    name: String,
    version: String,
    vaccel_version: Option<String>,
    is_virtio: bool,
    type_: u32,
}

/// Reads and validates the identity of a plugin descriptor (§14.3 step 4).
///
/// # Safety
/// `plugin` must point to a `struct vaccel_plugin` whose `info`, if non-NULL, points to a valid
/// `struct vaccel_plugin_info` with NULL or NUL-terminated strings.
unsafe fn identity(plugin: *mut vaccel_plugin) -> Result<Identity> {
    // SAFETY: guaranteed by the caller.
    let info: Option<&vaccel_plugin_info> = unsafe { (*plugin).info.as_ref() };
    let Some(info) = info else {
        error!("Plugin needs to have a name");
        return Err(Error::EINVAL);
    };
    // SAFETY: the strings are NULL or valid per the caller's guarantee.
    let (name, version, vaccel_version) = unsafe {
        (
            cmem::to_string(info.name),
            cmem::to_string(info.version),
            cmem::to_string(info.vaccel_version),
        )
    };
    let Some(name) = name else {
        error!("Plugin needs to have a name");
        return Err(Error::EINVAL);
    };
    let Some(version) = version else {
        error!("Plugin needs to have a version");
        return Err(Error::EINVAL);
    };
    if info.init.is_none() {
        error!("Plugin needs to expose an init function");
        return Err(Error::EINVAL);
    }
    if info.fini.is_none() {
        error!("Plugin needs to expose a fini function");
        return Err(Error::EINVAL);
    }
    Ok(Identity {
        name,
        version,
        vaccel_version,
        is_virtio: info.is_virtio,
        type_: info.type_,
    })
}

/// A parsed `<major>.<minor>.<patch><rest>` version.
#[derive(Debug, PartialEq, Eq)]
pub struct Version<'a> {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub rest: &'a str,
}

/// Parses a vAccel version string; a leading `v` is skipped (§14.4).
pub fn parse_version(s: &str) -> Option<Version<'_>> {
    let mut rest = s.strip_prefix('v').unwrap_or(s);
    let mut nums = [0u64; 3];
    for (i, n) in nums.iter_mut().enumerate() {
        if i > 0 {
            rest = rest.strip_prefix('.')?;
        }
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        *n = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
    }
    Some(Version {
        major: nums[0],
        minor: nums[1],
        patch: nums[2],
        rest,
    })
}

/// The version check of §14.4.
pub fn check_version(plugin_version: Option<&str>) -> Result<()> {
    let Some(theirs) = plugin_version else {
        error!("The plugin has no vaccel version set");
        return Err(Error::EINVAL);
    };
    let ours = abi::VACCEL_VERSION;
    let (Some(p), Some(c)) = (parse_version(theirs), parse_version(ours)) else {
        error!("Could not parse plugin's vaccel version");
        return Err(Error::EINVAL);
    };
    if p.major != c.major {
        error!(
            "Plugin is incompatible with current vAccel version (built w/ {theirs}, used w/ {ours})"
        );
        return Err(Error::EINVAL);
    }
    if p != c {
        warn!(
            "Plugin may be incompatible with current vAccel version (built w/ {theirs}, used w/ {ours})"
        );
    }
    Ok(())
}

/// Registers a plugin descriptor in the list (§14.3 step 4).
fn register(ptr: *mut vaccel_plugin, library: libloading::os::unix::Library) -> Result<()> {
    let mut st = state::lock();
    let version_ignore = st.config.version_ignore;
    let Some(plugins) = st.plugins.as_mut() else {
        return Err(Error::EBACKEND);
    };
    if plugins.iter().any(|p| p.ptr.0 == ptr) {
        error!("Plugin already registered");
        return Err(Error::EEXIST);
    }
    // SAFETY: `ptr` is the target of a loaded plugin's `vaccel_plugin` symbol (§14.1).
    let id = unsafe { identity(ptr) }?;
    if !version_ignore {
        check_version(id.vaccel_version.as_deref())?;
    }
    plugins.push(PluginRec {
        ptr: Ptr(ptr),
        name: id.name.clone(),
        is_virtio: id.is_virtio,
        type_: id.type_,
        library: Some(library),
    });
    drop(st);
    info!("Registered plugin {} {}", id.name, id.version);
    if id.is_virtio {
        debug!("{} is a VirtIO module", id.name);
    }
    Ok(())
}

/// Calls a plugin's `init` or `fini`.
fn call_lifecycle(ptr: *mut vaccel_plugin, init: bool) -> i32 {
    // SAFETY: `ptr` is a registered plugin, whose info was validated at registration.
    let info = unsafe { &*(*ptr).info };
    match if init { info.init } else { info.fini } {
        // SAFETY: a plugin's init/fini take no arguments and return int (§4.11).
        Some(f) => unsafe { f() },
        None => abi::VACCEL_OK,
    }
}

/// `vaccel_plugin_load`: opens, registers and initialises one plugin (§14.3).
pub fn load(lib: &str) -> Result<()> {
    // SAFETY: loading a plugin runs its initialisers; that is the point of this function.
    let library = match unsafe { libloading::os::unix::Library::open(Some(lib), libc::RTLD_LAZY) } {
        Ok(l) => l,
        Err(e) => {
            let msg = match &e {
                libloading::Error::DlOpen { desc } => format!("{desc:?}"),
                other => other.to_string(),
            };
            error!("Could not dlopen plugin {lib}: {}", msg.trim_matches('"'));
            return Err(Error::ENOENT);
        }
    };
    // SAFETY: `vaccel_plugin` is a data symbol holding `const struct vaccel_plugin *`.
    let sym = unsafe { library.get::<*mut *mut vaccel_plugin>(b"vaccel_plugin\0") };
    let ptr = match sym {
        // SAFETY: the symbol's address points to the plugin's pointer variable.
        Ok(s) => unsafe { **s },
        Err(_) => {
            error!("{lib} is not a vaccel plugin");
            return Err(Error::ELIBBAD);
        }
    };
    if ptr.is_null() {
        error!("{lib} is not a vaccel plugin");
        return Err(Error::ELIBBAD);
    }
    let handle = library.into_raw();
    // SAFETY: `handle` was just released from a Library and is re-owned exactly once here.
    let library = unsafe { libloading::os::unix::Library::from_raw(handle) };
    if let Err(e) = register(ptr, library) {
        error!("Could not register plugin {lib}");
        return Err(e);
    }
    let ret = call_lifecycle(ptr, true);
    if ret != abi::VACCEL_OK {
        // SAFETY: validated at registration.
        let name = unsafe { cmem::display((*(*ptr).info).name) };
        error!("Could not initialize plugin {name}");
        unregister(ptr);
        return Err(Error::from_code(ret).unwrap_or(Error::EINVAL));
    }
    // SAFETY: the plugin struct is writable static storage of the plugin (§14.1).
    unsafe { (*ptr).dl_handle = handle };
    let name = plugin_name(ptr);
    debug!("Loaded plugin {name} from {lib}");
    Ok(())
}

/// Unregisters one plugin: unlink, `fini`, log, `dlclose`.
fn unregister(ptr: *mut vaccel_plugin) {
    let rec = {
        let mut st = state::lock();
        let Some(plugins) = st.plugins.as_mut() else {
            return;
        };
        let Some(i) = plugins.iter().position(|p| p.ptr.0 == ptr) else {
            return;
        };
        plugins.remove(i)
    };
    call_lifecycle(ptr, false);
    debug!("Unregistered plugin {}", rec.name);
    // SAFETY: the descriptor is still mapped: the library is closed only below.
    unsafe { (*ptr).dl_handle = std::ptr::null_mut() };
    drop(rec.library);
}

/// Puts the library holding this runtime into the global symbol scope.
///
/// Plugins resolve `slog_print` and `vaccel_plugin_register_ops` against libvaccel. When a
/// program links libvaccel, it is in the global scope already; when it is `dlopen`ed (language
/// bindings do that) its constructor bootstraps — and loads plugins — before the loader makes it
/// global, even with `RTLD_GLOBAL`. Re-opening ourselves with `RTLD_NOLOAD | RTLD_GLOBAL`
/// promotes the already-loaded object; the extra reference is dropped right away.
fn promote_self_to_global() {
    let mut info = libc::Dl_info {
        dli_fname: std::ptr::null(),
        dli_fbase: std::ptr::null_mut(),
        dli_sname: std::ptr::null(),
        dli_saddr: std::ptr::null_mut(),
    };
    let here = promote_self_to_global as *const c_void;
    // SAFETY: dladdr only reads loader tables for an address inside this object.
    if unsafe { libc::dladdr(here, &mut info) } == 0 || info.dli_fname.is_null() {
        return;
    }
    // SAFETY: `dli_fname` is the loader's path string of an object that is loaded.
    let handle = unsafe {
        libc::dlopen(
            info.dli_fname,
            libc::RTLD_NOW | libc::RTLD_GLOBAL | libc::RTLD_NOLOAD,
        )
    };
    if !handle.is_null() {
        // SAFETY: drops the reference taken just above; the object stays loaded.
        unsafe { libc::dlclose(handle) };
    }
}

/// `vaccel_plugin_parse_and_load`: loads each `:`-separated entry in order; the first failure
/// aborts.
pub fn parse_and_load(list: &str) -> Result<()> {
    promote_self_to_global();
    list.split(':').filter(|s| !s.is_empty()).try_for_each(load)
}

/// Unregisters every plugin in load order (cleanup).
pub fn unregister_all() {
    loop {
        let first = state::lock()
            .plugins
            .as_ref()
            .and_then(|p| p.first().map(|r| r.ptr.0));
        match first {
            Some(ptr) => unregister(ptr),
            None => break,
        }
    }
}

/// The registered name of a plugin.
pub fn plugin_name(ptr: *mut vaccel_plugin) -> String {
    let st = state::lock();
    st.plugins
        .iter()
        .flatten()
        .find(|p| p.ptr.0 == ptr)
        .map(|p| p.name.clone())
        .unwrap_or_default()
}

/// Whether `ptr` is a registered plugin, and its transport flag.
pub fn lookup(ptr: *mut vaccel_plugin) -> Option<(String, bool)> {
    let st = state::lock();
    st.plugins
        .iter()
        .flatten()
        .find(|p| p.ptr.0 == ptr)
        .map(|p| (p.name.clone(), p.is_virtio))
}

/// `vaccel_plugin_register_ops` (§14.2).
///
/// # Safety
/// `ops` must be NULL or point to `n` `vaccel_op` records that stay alive while the plugin is
/// loaded, each with `owner` pointing at a plugin descriptor.
pub unsafe fn register_ops(ops: *mut vaccel_op, n: usize) -> Result<()> {
    if ops.is_null() || n == 0 {
        error!("No operations defined");
        return Err(Error::EINVAL);
    }
    if n > abi::ops::VACCEL_OP_MAX {
        error!("Invalid number of plugin operations");
        return Err(Error::EINVAL);
    }
    if state::lock().plugins.is_none() {
        return Err(Error::EBACKEND);
    }
    // SAFETY: the caller guarantees `n` records at `ops`.
    let records = unsafe { std::slice::from_raw_parts_mut(ops, n) };
    let owner = records[0].owner;
    if owner.is_null() {
        error!("No operations defined");
        return Err(Error::EINVAL);
    }
    if let Some(bad) = records.iter().find(|r| OpType::from_u32(r.type_).is_none()) {
        error!("Invalid operation type {}", bad.type_);
        return Err(Error::EINVAL);
    }
    // SAFETY: `owner` is the plugin's descriptor; its info was validated at registration (or
    // is read defensively here when a plugin registers ops outside `init`).
    let name = unsafe {
        (*owner)
            .info
            .as_ref()
            .map_or_else(String::new, |i| cmem::display(i.name))
    };
    for r in records.iter_mut() {
        // SAFETY: `owner` points to writable plugin storage; the type was range-checked.
        unsafe { (*owner).ops[r.type_ as usize] = r };
        debug!(
            "Registered op {} from plugin {name}",
            abi::ops::op_lower_name(r.type_)
        );
    }
    Ok(())
}

/// Plugin selection for a session hint (§14.5). Returns the plugin and its transport flag.
pub fn select(hint: u32) -> Option<(Ptr<vaccel_plugin>, bool)> {
    let st = state::lock();
    let plugins = st.plugins.as_deref().unwrap_or_default();
    if plugins.is_empty() {
        drop(st);
        error!("No plugins registered");
        return None;
    }
    let found = if hint & abi::VACCEL_PLUGIN_REMOTE != 0 {
        let p = plugins.iter().find(|p| p.is_virtio);
        if p.is_none() {
            drop(st);
            error!("Could not select plugin, no VirtIO plugin registered");
            return None;
        }
        p
    } else {
        let prio = hint & !abi::VACCEL_PLUGIN_REMOTE;
        let by_type = (prio != 0)
            .then(|| plugins.iter().find(|p| p.type_ & prio != 0))
            .flatten();
        by_type
            .or_else(|| plugins.iter().find(|p| !p.is_virtio))
            .or_else(|| (plugins.len() == 1).then(|| &plugins[0]))
    };
    let Some(p) = found else {
        drop(st);
        error!("Could not select plugin, no local plugin registered");
        return None;
    };
    Some((p.ptr, p.is_virtio))
}

/// Whether exactly one plugin is loaded and it is a transport plugin.
pub fn only_transport_loaded() -> bool {
    let st = state::lock();
    matches!(st.plugins.as_deref(), Some([p]) if p.is_virtio)
}

/// The implementation of `op` in `plugin` (§14.6).
///
/// `plugin` is checked against the registry before it is dereferenced, which is why this
/// function is safe to call with any pointer.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn op_func(plugin: *mut vaccel_plugin, op: OpType) -> Result<*mut c_void> {
    let Some((name, _)) = lookup(plugin) else {
        error!("Trying to execute unknown function");
        return Err(Error::EINVAL);
    };
    // SAFETY: `plugin` is registered, so its descriptor is live; slots are NULL or point into
    // the plugin's static op table.
    let slot = unsafe { (*plugin).ops[op as usize] };
    // SAFETY: as above.
    let func = (!slot.is_null())
        .then(|| unsafe { (*slot).func })
        .filter(|f| !f.is_null());
    let Some(func) = func else {
        error!(
            "Could not return func, plugin {name} does not implement {}",
            op.lower_name()
        );
        return Err(Error::ENOTSUP);
    };
    debug!(
        "Returning func for op {} from plugin {name}",
        op.lower_name()
    );
    Ok(func)
}

/// The `info` of a registered plugin, for calling its hooks.
///
/// # Safety
/// `plugin` must be a registered plugin (its descriptor stays mapped while registered).
pub unsafe fn info<'a>(plugin: *mut vaccel_plugin) -> &'a vaccel_plugin_info {
    // SAFETY: guaranteed by the caller; info was validated non-NULL at registration.
    unsafe { &*(*plugin).info }
}

/// `name` of a C string field for messages.
pub fn c_name(s: &CStr) -> String {
    s.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        let v = parse_version("0.7.1-93-ebc23b1f").unwrap();
        assert_eq!(
            (v.major, v.minor, v.patch, v.rest),
            (0, 7, 1, "-93-ebc23b1f")
        );
        let v = parse_version("v1.2.3").unwrap();
        assert_eq!((v.major, v.minor, v.patch, v.rest), (1, 2, 3, ""));
        assert!(parse_version("1.2").is_none());
        assert!(parse_version("x.y.z").is_none());
        assert!(parse_version("").is_none());
    }

    #[test]
    fn version_check_rules() {
        assert_eq!(check_version(None), Err(Error::EINVAL));
        assert_eq!(check_version(Some("1.2")), Err(Error::EINVAL));
        assert_eq!(check_version(Some("1.8.0")), Err(Error::EINVAL));
        assert_eq!(check_version(Some(abi::VACCEL_VERSION)), Ok(()));
        assert_eq!(check_version(Some("0.7.1-93-ebc23b1f")), Ok(()));
        assert_eq!(check_version(Some("0.8.0-extra")), Ok(()));
    }
}
