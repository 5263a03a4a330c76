//! `repr(C)` mirrors of the public vAccel structs.
//!
//! Applications allocate these by value and plugins read their fields, so size, alignment and
//! field offsets are the ABI (spec §4). Types follow the C declarations: `char *` is
//! `*mut c_char`, enums are `u32`, `bool` is `bool`, `pthread_mutex_t` and `atomic_uint` are the
//! platform's own, so layouts stay right on targets other than x86_64.

use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::AtomicU32;

use crate::ops::VACCEL_OP_MAX;

/// `vaccel_id_t`: > 0 is a live object, <= 0 "not initialised".
pub type vaccel_id_t = i64;

/// `struct vaccel_list_entry`: an intrusive doubly linked list link; unlinked entries point to
/// themselves.
#[repr(C)]
#[derive(Debug)]
pub struct vaccel_list_entry {
    pub next: *mut vaccel_list_entry,
    pub prev: *mut vaccel_list_entry,
}

/// `struct vaccel_config`.
#[repr(C)]
#[derive(Debug)]
pub struct vaccel_config {
    pub plugins: *mut c_char,
    pub log_level: u32,
    pub log_file: *mut c_char,
    pub profiling_enabled: bool,
    pub version_ignore: bool,
}

/// `struct vaccel_arg`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct vaccel_arg {
    pub buf: *mut c_void,
    pub size: usize,
    pub type_: u32,
    pub custom_type_id: u32,
    pub owned: bool,
}

/// `struct vaccel_arg_array`.
#[repr(C)]
#[derive(Debug)]
pub struct vaccel_arg_array {
    pub args: *mut vaccel_arg,
    pub count: usize,
    pub capacity: usize,
    pub position: usize,
    pub owned: bool,
}

/// `struct vaccel_arg_list` (deprecated API).
#[repr(C)]
#[derive(Debug)]
pub struct vaccel_arg_list {
    pub size: u32,
    pub list: *mut vaccel_arg,
    pub curr_idx: c_int,
    pub idcs_allocated_space: *mut c_int,
}

/// `struct vaccel_blob`.
#[repr(C)]
#[derive(Debug)]
pub struct vaccel_blob {
    pub type_: u32,
    pub name: *mut c_char,
    pub path: *mut c_char,
    pub path_owned: bool,
    pub data: *mut u8,
    pub data_owned: bool,
    pub size: usize,
}

/// `struct vaccel_resource`.
#[repr(C)]
pub struct vaccel_resource {
    pub id: vaccel_id_t,
    pub remote_id: vaccel_id_t,
    pub type_: u32,
    pub path_type: u32,
    pub paths: *mut *mut c_char,
    pub nr_paths: usize,
    pub rundir: *mut c_char,
    pub blobs: *mut *mut vaccel_blob,
    pub nr_blobs: usize,
    pub entry: vaccel_list_entry,
    pub sessions: vaccel_list_entry,
    pub sessions_lock: libc::pthread_mutex_t,
    pub refcount: AtomicU32,
    pub plugin_priv: *mut c_void,
}

/// `PATH_MAX`: the size of `vaccel_session.rundir`.
pub const PATH_MAX: usize = 4096;

/// `struct vaccel_session`.
#[repr(C)]
pub struct vaccel_session {
    pub id: vaccel_id_t,
    pub remote_id: vaccel_id_t,
    pub hint: u32,
    pub is_virtio: bool,
    pub rundir: [c_char; PATH_MAX],
    pub entry: vaccel_list_entry,
    pub resources: [vaccel_list_entry; 3],
    pub resource_counts: [usize; 3],
    pub resources_lock: libc::pthread_mutex_t,
    pub plugin: *mut vaccel_plugin,
    pub priv_: *mut c_void,
}

/// `struct vaccel_op`: one op implementation of a plugin.
#[repr(C)]
#[derive(Debug)]
pub struct vaccel_op {
    pub type_: u32,
    pub func: *mut c_void,
    pub owner: *mut vaccel_plugin,
}

/// `int (*)(void)`: plugin `init` / `fini`.
pub type PluginLifecycleFn = unsafe extern "C" fn() -> c_int;
/// Session hooks of transport plugins: `session_init`, `session_update`.
pub type SessionFlagsHook = unsafe extern "C" fn(*mut vaccel_session, u32) -> c_int;
/// `session_release` hook.
pub type SessionHook = unsafe extern "C" fn(*mut vaccel_session) -> c_int;
/// Resource hooks: `resource_register`, `resource_unregister`, `resource_sync`.
pub type ResourceHook = unsafe extern "C" fn(*mut vaccel_resource, *mut vaccel_session) -> c_int;

/// `struct vaccel_plugin_info`.
#[repr(C)]
#[derive(Debug)]
pub struct vaccel_plugin_info {
    pub name: *const c_char,
    pub version: *const c_char,
    pub vaccel_version: *const c_char,
    pub init: Option<PluginLifecycleFn>,
    pub fini: Option<PluginLifecycleFn>,
    pub is_virtio: bool,
    pub type_: u32,
    pub session_init: Option<SessionFlagsHook>,
    pub session_release: Option<SessionHook>,
    pub session_update: Option<SessionFlagsHook>,
    pub resource_register: Option<ResourceHook>,
    pub resource_unregister: Option<ResourceHook>,
    pub resource_sync: Option<ResourceHook>,
}

/// `struct vaccel_plugin`: what a plugin's exported `vaccel_plugin` symbol points to.
#[repr(C)]
#[derive(Debug)]
pub struct vaccel_plugin {
    pub dl_handle: *mut c_void,
    pub entry: vaccel_list_entry,
    pub ops: [*mut vaccel_op; VACCEL_OP_MAX],
    pub info: *mut vaccel_plugin_info,
}

/// `struct vaccel_prof_sample`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct vaccel_prof_sample {
    pub start: u64,
    pub time: u64,
}

/// `struct vaccel_prof_region`.
#[repr(C)]
#[derive(Debug)]
pub struct vaccel_prof_region {
    pub name: *const c_char,
    pub name_owned: bool,
    pub nr_entries: usize,
    pub samples: *mut vaccel_prof_sample,
    pub size: usize,
}

/// `struct vaccel_tf_buffer`.
#[repr(C)]
#[derive(Debug)]
pub struct vaccel_tf_buffer {
    pub data: *mut c_void,
    pub size: usize,
}

/// `struct vaccel_tf_node`.
#[repr(C)]
#[derive(Debug)]
pub struct vaccel_tf_node {
    pub name: *mut c_char,
    pub id: c_int,
}

/// `struct vaccel_tf_tensor`.
#[repr(C)]
#[derive(Debug)]
pub struct vaccel_tf_tensor {
    pub data: *mut c_void,
    pub size: usize,
    pub owned: bool,
    pub nr_dims: c_int,
    pub dims: *mut i64,
    pub data_type: u32,
}

/// `struct vaccel_tf_status`.
#[repr(C)]
#[derive(Debug)]
pub struct vaccel_tf_status {
    pub code: u8,
    pub message: *mut c_char,
}

/// `struct vaccel_tflite_tensor`.
#[repr(C)]
#[derive(Debug)]
pub struct vaccel_tflite_tensor {
    pub data: *mut c_void,
    pub size: usize,
    pub owned: bool,
    pub nr_dims: c_int,
    pub dims: *mut i32,
    pub data_type: u32,
}

/// `struct vaccel_torch_buffer`.
#[repr(C)]
#[derive(Debug)]
pub struct vaccel_torch_buffer {
    pub data: *mut c_char,
    pub size: usize,
}

/// `struct vaccel_torch_tensor`.
#[repr(C)]
#[derive(Debug)]
pub struct vaccel_torch_tensor {
    pub data: *mut c_void,
    pub size: usize,
    pub owned: bool,
    pub nr_dims: i64,
    pub dims: *mut i64,
    pub data_type: u32,
}

/// Field layout of every struct, for the ABI tests: `(struct, size, align, [(field, offset, size)])`.
pub type StructLayout = (
    &'static str,
    usize,
    usize,
    Vec<(&'static str, usize, usize)>,
);

/// The size of the type a field projection points to.
fn field_size<S, F>(_: fn(&S) -> &F) -> usize {
    std::mem::size_of::<F>()
}

macro_rules! layouts {
    ($( $s:ident { $( $f:ident $(: $cname:literal)? ),* } )*) => {
        /// The measured layout of every public struct (C field names).
        pub fn struct_layouts() -> Vec<StructLayout> {
            vec![$(
                (
                    stringify!($s),
                    std::mem::size_of::<$s>(),
                    std::mem::align_of::<$s>(),
                    vec![$(
                        (
                            layouts!(@name $f $($cname)?),
                            std::mem::offset_of!($s, $f),
                            field_size(|s: &$s| &s.$f),
                        ),
                    )*],
                ),
            )*]
        }
    };
    (@name $f:ident $cname:literal) => { $cname };
    (@name $f:ident) => { stringify!($f) };
}

layouts! {
    vaccel_list_entry { next, prev }
    vaccel_config { plugins, log_level, log_file, profiling_enabled, version_ignore }
    vaccel_arg { buf, size, type_: "type", custom_type_id, owned }
    vaccel_arg_array { args, count, capacity, position, owned }
    vaccel_arg_list { size, list, curr_idx, idcs_allocated_space }
    vaccel_blob { type_: "type", name, path, path_owned, data, data_owned, size }
    vaccel_resource { id, remote_id, type_: "type", path_type, paths, nr_paths, rundir, blobs,
        nr_blobs, entry, sessions, sessions_lock, refcount, plugin_priv }
    vaccel_session { id, remote_id, hint, is_virtio, rundir, entry, resources, resource_counts,
        resources_lock, plugin, priv_: "priv" }
    vaccel_op { type_: "type", func, owner }
    vaccel_plugin_info { name, version, vaccel_version, init, fini, is_virtio, type_: "type",
        session_init, session_release, session_update, resource_register, resource_unregister,
        resource_sync }
    vaccel_plugin { dl_handle, entry, ops, info }
    vaccel_prof_sample { start, time }
    vaccel_prof_region { name, name_owned, nr_entries, samples, size }
    vaccel_tf_buffer { data, size }
    vaccel_tf_node { name, id }
    vaccel_tf_tensor { data, size, owned, nr_dims, dims, data_type }
    vaccel_tf_status { code, message }
    vaccel_tflite_tensor { data, size, owned, nr_dims, dims, data_type }
    vaccel_torch_buffer { data, size }
    vaccel_torch_tensor { data, size, owned, nr_dims, dims, data_type }
}

#[cfg(all(test, target_arch = "x86_64", target_env = "gnu"))]
mod tests {
    use super::*;
    use crate::types::tests::{section, spec_abi_dump};

    #[test]
    fn layouts_match_the_spec_abi_dump() {
        let Some(dump) = spec_abi_dump() else {
            eprintln!("../shared not found: spec dump comparison skipped");
            return;
        };
        let ours = struct_layouts();
        let mut current: Option<&StructLayout> = None;
        let mut checked = 0;
        for line in section(&dump, "structs (x86_64)") {
            if let Some(rest) = line.strip_prefix("sizeof(struct ") {
                let (name, rest) = rest.split_once(')').unwrap();
                let size: usize = rest
                    .trim_start_matches(" = ")
                    .split(',')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
                let align: usize = rest.rsplit(' ').next().unwrap().parse().unwrap();
                current = ours.iter().find(|(n, ..)| *n == name);
                let Some((_, s, a, _)) = current else {
                    panic!("struct {name} has no Rust mirror");
                };
                assert_eq!((*s, *a), (size, align), "size/align of {name}");
                checked += 1;
            } else if line.starts_with("sizeof(") {
                current = None;
                if line.starts_with("sizeof(pthread_mutex_t)") {
                    assert_eq!(std::mem::size_of::<libc::pthread_mutex_t>(), 40);
                }
            } else if let Some((name, _, _, fields)) = current {
                let f: Vec<&str> = line.split_whitespace().collect();
                let (field, offset, size) = (
                    f[0],
                    f[2].parse::<usize>().unwrap(),
                    f[4].parse::<usize>().unwrap(),
                );
                let ours = fields
                    .iter()
                    .find(|(n, ..)| *n == field)
                    .unwrap_or_else(|| panic!("{name}.{field} missing"));
                assert_eq!((ours.1, ours.2), (offset, size), "{name}.{field}");
                checked += 1;
            }
        }
        assert!(checked > 100, "only {checked} layout facts checked");
    }

    #[test]
    fn layouts_match_the_spec_tables() {
        // The sizes of spec §4 independently of the dump file, for checkouts without ../shared.
        let sizes: Vec<(&str, usize)> =
            struct_layouts().iter().map(|(n, s, ..)| (*n, *s)).collect();
        let expect = [
            ("vaccel_list_entry", 16),
            ("vaccel_config", 32),
            ("vaccel_arg", 32),
            ("vaccel_arg_array", 40),
            ("vaccel_arg_list", 32),
            ("vaccel_blob", 56),
            ("vaccel_resource", 152),
            ("vaccel_session", 4264),
            ("vaccel_op", 24),
            ("vaccel_plugin_info", 96),
            ("vaccel_plugin", 224),
            ("vaccel_prof_sample", 16),
            ("vaccel_prof_region", 40),
            ("vaccel_tf_buffer", 16),
            ("vaccel_tf_node", 16),
            ("vaccel_tf_tensor", 40),
            ("vaccel_tf_status", 16),
            ("vaccel_tflite_tensor", 40),
            ("vaccel_torch_buffer", 16),
            ("vaccel_torch_tensor", 48),
        ];
        for (name, size) in expect {
            assert_eq!(
                sizes.iter().find(|(n, _)| *n == name).unwrap().1,
                size,
                "{name}"
            );
        }
        assert_eq!(std::mem::offset_of!(vaccel_session, rundir), 21);
        assert_eq!(std::mem::offset_of!(vaccel_session, plugin), 4248);
        assert_eq!(std::mem::offset_of!(vaccel_resource, plugin_priv), 144);
    }
}
