//! Bootstrap and cleanup of the runtime (spec §6.1–6.3).

use vaccel_abi as abi;

use crate::config::Config;
use crate::state::{self, Resources, Sessions};
use crate::{Result, debug, error, fsutil, info, log, plugin, prof, resource, session, warn};

/// Whether the runtime is bootstrapped.
pub fn is_initialized() -> bool {
    state::lock().initialized
}

/// The top-level run directory, when bootstrapped.
pub fn rundir() -> Option<std::path::PathBuf> {
    state::lock().rundir.clone()
}

/// The active configuration.
pub fn config() -> Config {
    state::lock().config.clone()
}

/// `vaccel_bootstrap`: configuration from the environment.
pub fn bootstrap() -> Result<()> {
    let config = Config::from_env()
        .inspect_err(|_| eprintln!("Error: Could not init main config from env"))?;
    bootstrap_with(config)
}

/// `vaccel_bootstrap_with_config`: the common bootstrap sequence with a given configuration.
pub fn bootstrap_with(config: Config) -> Result<()> {
    if is_initialized() {
        debug!("Reloading vAccel");
        teardown();
    } else {
        // Upstream applies log settings only when not already initialised.
        log::configure(config.log_level, config.log_file.as_deref());
    }
    prof::set_enabled(config.profiling_enabled);
    state::lock().config = config.clone();

    debug!("Initializing vAccel");
    info!("vAccel {}", abi::VACCEL_VERSION);
    config.print_debug();

    let base = fsutil::rundir_base();
    let top = fsutil::create_dir_all(&base).and_then(|()| {
        fsutil::create_unique_dir(&base)
            .inspect_err(|_| error!("Could not create unique top-level rundir"))
    });
    let top = match top {
        Ok(t) => t,
        Err(e) => {
            error!("Could not create root rundir");
            return Err(e);
        }
    };
    debug!("Created top-level rundir: {}", top.display());
    {
        let mut st = state::lock();
        st.rundir = Some(top);
        st.sessions = Some(Sessions::new());
        st.resources = Some(Resources::new());
        st.plugins = Some(Vec::new());
    }
    if let Some(list) = &config.plugins
        && let Err(e) = plugin::parse_and_load(list)
    {
        error!("Could not load plugins");
        // Unlike upstream, leave nothing behind: unload what loaded, remove the rundir.
        teardown();
        return Err(e);
    }
    state::lock().initialized = true;
    Ok(())
}

/// Releases sessions, resources and plugins, removes the rundir and marks the runtime
/// uninitialised (§6.3 steps 1–6).
fn teardown() {
    debug!("Cleaning up vAccel");
    debug!("Cleaning up sessions");
    loop {
        let next = state::lock()
            .sessions
            .as_ref()
            .and_then(|s| s.list.first().map(|r| r.ptr));
        let Some(p) = next else { break };
        // SAFETY: live sessions are caller structs the C API requires to stay valid until release.
        if session::release(unsafe { &mut *p.0 }).is_err() {
            let mut st = state::lock();
            if let Some(s) = st.sessions.as_mut() {
                s.list.retain(|r| r.ptr != p);
            }
        }
    }
    debug!("Cleaning up resources");
    resource::release_all();
    debug!("Cleaning up plugins");
    plugin::unregister_all();
    let top = {
        let mut st = state::lock();
        st.sessions = None;
        st.resources = None;
        st.plugins = None;
        st.initialized = false;
        st.rundir.take()
    };
    if let Some(top) = top
        && let Err(e) = std::fs::remove_dir(&top)
    {
        warn!(
            "Could not remove rundir {}: {}",
            top.display(),
            fsutil::strerror(&e)
        );
    }
}

/// `vaccel_cleanup`.
pub fn cleanup() -> Result<()> {
    if !is_initialized() {
        return Ok(());
    }
    teardown();
    state::lock().config = Config::default();
    prof::set_enabled(false);
    Ok(())
}
