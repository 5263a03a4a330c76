//! The process-wide runtime state and its one lock.
//!
//! The lock is never held while foreign code runs (plugin `init`, hooks, ops): plugins call
//! back into the runtime (`vaccel_plugin_register_ops`, `vaccel_session_resource_by_type`), and
//! holding the lock across those calls would deadlock. Functions therefore take the lock to read
//! or update bookkeeping, drop it, then call the plugin.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use vaccel_abi::{vaccel_plugin, vaccel_resource, vaccel_session};

use crate::config::Config;
use crate::ids::IdPool;

/// Pointer to a caller-owned C object, kept in the side tables.
///
/// The runtime only dereferences it while the object is registered, i.e. between the caller's
/// `*_init` and `*_release`, which is the lifetime the C API requires of the caller.
pub struct Ptr<T>(pub *mut T);

impl<T> Clone for Ptr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Ptr<T> {}
impl<T> PartialEq for Ptr<T> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}
impl<T> Eq for Ptr<T> {}
impl<T> std::fmt::Debug for Ptr<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:p}", self.0)
    }
}
// SAFETY: the pointee is owned by the application, which the C API makes responsible for not
// releasing it while another thread uses it; the pointer itself is just an address.
unsafe impl<T> Send for Ptr<T> {}

/// A registered session.
#[derive(Debug)]
pub struct SessionRec {
    pub id: i64,
    pub ptr: Ptr<vaccel_session>,
    pub plugin: Ptr<vaccel_plugin>,
    pub remote: bool,
    pub rundir: Option<PathBuf>,
    /// Registered resource ids per resource type, in registration order.
    pub resources: [Vec<i64>; 3],
}

/// A live resource.
#[derive(Debug)]
pub struct ResourceRec {
    pub id: i64,
    pub ptr: Ptr<vaccel_resource>,
    pub type_: u32,
    /// Sessions it is registered with, in registration order.
    pub sessions: Vec<i64>,
    /// Whether its data has been loaded for registration (done once).
    pub loaded: bool,
}

/// A loaded plugin.
#[derive(Debug)]
pub struct PluginRec {
    pub ptr: Ptr<vaccel_plugin>,
    pub name: String,
    pub is_virtio: bool,
    pub type_: u32,
    /// `None` for plugins registered without `dlopen` (none today; kept for symmetry).
    pub library: Option<libloading::os::unix::Library>,
}

/// Everything the runtime tracks. Components are `None` until bootstrapped.
#[derive(Debug, Default)]
pub struct State {
    pub initialized: bool,
    pub config: Config,
    pub rundir: Option<PathBuf>,
    pub sessions: Option<Sessions>,
    pub resources: Option<Resources>,
    pub plugins: Option<Vec<PluginRec>>,
}

#[derive(Debug)]
pub struct Sessions {
    pub pool: IdPool,
    pub list: Vec<SessionRec>,
}

#[derive(Debug)]
pub struct Resources {
    pub pool: IdPool,
    pub list: Vec<ResourceRec>,
}

/// Session ids available to a process.
pub const MAX_SESSIONS: i64 = 1024;
/// Resource ids available to a process.
pub const MAX_RESOURCES: i64 = 2048;

static STATE: Mutex<State> = Mutex::new(State {
    initialized: false,
    config: Config {
        plugins: None,
        log_level: vaccel_abi::VACCEL_LOG_ERROR,
        log_file: None,
        profiling_enabled: false,
        version_ignore: false,
    },
    rundir: None,
    sessions: None,
    resources: None,
    plugins: None,
});

/// Locks the state (a panic elsewhere does not poison it for the C API).
pub fn lock() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions::new()
    }
}

impl Default for Resources {
    fn default() -> Self {
        Resources::new()
    }
}

impl Sessions {
    pub fn new() -> Sessions {
        Sessions {
            pool: IdPool::new(MAX_SESSIONS),
            list: Vec::new(),
        }
    }

    pub fn get(&self, id: i64) -> Option<&SessionRec> {
        self.list.iter().find(|s| s.id == id)
    }

    pub fn get_mut(&mut self, id: i64) -> Option<&mut SessionRec> {
        self.list.iter_mut().find(|s| s.id == id)
    }
}

impl Resources {
    pub fn new() -> Resources {
        Resources {
            pool: IdPool::new(MAX_RESOURCES),
            list: Vec::new(),
        }
    }

    pub fn get(&self, id: i64) -> Option<&ResourceRec> {
        self.list.iter().find(|r| r.id == id)
    }

    pub fn get_mut(&mut self, id: i64) -> Option<&mut ResourceRec> {
        self.list.iter_mut().find(|r| r.id == id)
    }
}
