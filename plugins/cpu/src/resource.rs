//! Reading a MODEL resource's blobs, for the image ops and the framework ops alike.
//!
//! A blob is a file (`path`), bytes in memory (`data`), or both (a mapped file). A resource the
//! agent registered for a remote client holds the client's files under the agent's run
//! directory, flattened to their names.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use vaccel_plugin::abi::{VACCEL_PATH_LOCAL_DIR, vaccel_blob, vaccel_resource};
use vaccel_plugin::{cstr, slice};

/// The blobs of a resource (none when it has none).
///
/// # Safety
/// `res` is a live resource.
pub(crate) unsafe fn blobs(res: &vaccel_resource) -> Vec<&vaccel_blob> {
    // SAFETY: a live resource holds `nr_blobs` blob pointers, each NULL or valid.
    unsafe { slice(res.blobs.cast_const(), res.nr_blobs) }
        .unwrap_or(&[])
        .iter()
        .filter_map(|b| unsafe { b.as_ref() })
        .collect()
}

/// A blob's name ("" when it has none).
pub(crate) fn blob_name(b: &vaccel_blob) -> String {
    // SAFETY: a blob's name is NULL or a C string owned by the blob.
    unsafe { cstr(b.name) }
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A blob's file, if it has one.
pub(crate) fn blob_path(b: &vaccel_blob) -> Option<PathBuf> {
    // SAFETY: a blob's path is NULL or a C string owned by the blob.
    unsafe { cstr(b.path) }.map(|p| PathBuf::from(OsStr::from_bytes(p.to_bytes())))
}

/// A blob's bytes in memory, if it has them.
pub(crate) fn blob_data(b: &vaccel_blob) -> Option<&[u8]> {
    if b.data.is_null() || b.size == 0 {
        return None;
    }
    // SAFETY: a blob's data holds `size` bytes while its resource lives.
    Some(unsafe { std::slice::from_raw_parts(b.data, b.size) })
}

/// A blob's contents: its data in memory, else its file.
pub(crate) fn blob_bytes(b: &vaccel_blob) -> Result<Vec<u8>, String> {
    if let Some(d) = blob_data(b) {
        return Ok(d.to_vec());
    }
    match blob_path(b) {
        Some(p) => std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display())),
        None => Err("a blob has neither data nor a path".into()),
    }
}

/// The directory a local-directory resource was made from, if it still is one.
///
/// # Safety
/// `res` is a live resource.
#[cfg_attr(not(feature = "tensorflow"), allow(dead_code))]
pub(crate) unsafe fn local_dir(res: &vaccel_resource) -> Option<PathBuf> {
    if res.path_type != VACCEL_PATH_LOCAL_DIR {
        return None;
    }
    // SAFETY: a live resource holds `nr_paths` path pointers, each NULL or a C string.
    let first = unsafe { slice(res.paths.cast_const(), res.nr_paths) }?.first()?;
    // SAFETY: as above.
    let dir = PathBuf::from(OsStr::from_bytes(unsafe { cstr(*first) }?.to_bytes()));
    Path::new(&dir).is_dir().then_some(dir)
}
