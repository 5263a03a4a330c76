//! Blobs (spec §11): the files or buffers that make up a resource.
//!
//! A blob's strings and owned buffers are C-heap allocations because C code reads and may own
//! them; mapped data comes from `mmap` and is unmapped on release.

use std::ffi::{CString, c_void};
use std::path::Path;

use vaccel_abi::{self as abi, vaccel_blob};

use crate::{Error, Result, cmem, debug, error, fsutil};

/// The final component of a path.
fn base_name(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}

/// An empty, released blob.
pub fn empty() -> vaccel_blob {
    vaccel_blob {
        type_: abi::VACCEL_BLOB_MAX,
        name: std::ptr::null_mut(),
        path: std::ptr::null_mut(),
        path_owned: false,
        data: std::ptr::null_mut(),
        data_owned: false,
        size: 0,
    }
}

/// `vaccel_blob_init`: a FILE blob for an existing regular file; no data is read.
pub fn init(blob: &mut vaccel_blob, path: &str) -> Result<()> {
    if !Path::new(path).is_file() {
        error!("Invalid file {path}");
        return Err(Error::EINVAL);
    }
    *blob = vaccel_blob {
        type_: abi::VACCEL_BLOB_FILE,
        name: cmem::strdup(base_name(path)),
        path: cmem::strdup(path),
        ..empty()
    };
    if blob.name.is_null() || blob.path.is_null() {
        release_fields(blob);
        return Err(Error::ENOMEM);
    }
    Ok(())
}

/// `vaccel_blob_init_from_buf`: an in-memory blob (copied when `own`), or persisted under `dir`.
///
/// # Safety
/// `buf` must be valid for reads of `size` bytes and, when not owned, outlive the blob.
pub unsafe fn init_from_buf(
    blob: &mut vaccel_blob,
    buf: *const u8,
    size: usize,
    own: bool,
    name: &str,
    dir: Option<&Path>,
    randomize: bool,
) -> Result<()> {
    if buf.is_null() || size == 0 {
        return Err(Error::EINVAL);
    }
    *blob = vaccel_blob {
        type_: abi::VACCEL_BLOB_BUFFER,
        name: cmem::strdup(name),
        size,
        ..empty()
    };
    if own && dir.is_none() {
        // SAFETY: malloc has no preconditions; checked below.
        let copy = unsafe { libc::malloc(size) }.cast::<u8>();
        if copy.is_null() {
            release_fields(blob);
            return Err(Error::ENOMEM);
        }
        // SAFETY: `buf` is readable for `size` bytes (caller) and `copy` was just allocated.
        unsafe { std::ptr::copy_nonoverlapping(buf, copy, size) };
        blob.data = copy;
        blob.data_owned = true;
    } else {
        blob.data = buf.cast_mut();
    }
    if let Some(dir) = dir {
        let r = persist(blob, dir, name, randomize);
        if r.is_err() {
            release_fields(blob);
        }
        return r;
    }
    Ok(())
}

/// The data of a blob as a slice.
fn data_slice(blob: &vaccel_blob) -> &[u8] {
    if blob.data.is_null() || blob.size == 0 {
        return &[];
    }
    // SAFETY: a valid blob's `data` holds `size` readable bytes (own buffer, mapping or the
    // caller's buffer it references).
    unsafe { std::slice::from_raw_parts(blob.data, blob.size) }
}

/// `vaccel_blob_persist`: writes the data to `<dir>/<filename>` and maps it (§11).
pub fn persist(blob: &mut vaccel_blob, dir: &Path, filename: &str, randomize: bool) -> Result<()> {
    if blob.data.is_null() || blob.size == 0 {
        return Err(Error::EINVAL);
    }
    let path = fsutil::persist(dir, filename, data_slice(blob), randomize)?;
    let (data, size) = map_file(&path)?;
    let path_s = path.to_string_lossy().into_owned();
    debug!("Persisting file {} to {path_s}", base_name(&path_s));
    free_data(blob);
    // SAFETY: the old strings were strdup'd by this module (or are NULL).
    unsafe {
        cmem::free(blob.name);
        cmem::free(blob.path);
    }
    blob.name = cmem::strdup(base_name(&path_s));
    blob.path = cmem::strdup(&path_s);
    blob.data = data;
    blob.size = size;
    blob.type_ = abi::VACCEL_BLOB_MAPPED;
    blob.data_owned = true;
    blob.path_owned = true;
    Ok(())
}

/// Maps a whole file privately (read/write, copy-on-write). Empty files are an error.
fn map_file(path: &Path) -> Result<(*mut u8, usize)> {
    let file = std::fs::File::open(path).map_err(|e| Error::from_io(&e))?;
    let size = file.metadata().map_err(|e| Error::from_io(&e))?.len() as usize;
    if size == 0 {
        error!("File {} is empty", path.display());
        return Err(Error::EINVAL);
    }
    use std::os::fd::AsRawFd;
    // SAFETY: mapping a regular file we opened; the result is checked against MAP_FAILED.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE,
            file.as_raw_fd(),
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(Error::last_os_error());
    }
    Ok((p.cast(), size))
}

/// `vaccel_blob_read`: maps the file if the blob has no data yet.
pub fn read(blob: &mut vaccel_blob) -> Result<()> {
    if !blob.data.is_null() {
        return Ok(());
    }
    // SAFETY: `path` is NULL or a string this module (or the caller) set.
    let Some(path) = (unsafe { cmem::to_string(blob.path) }) else {
        return Err(Error::EINVAL);
    };
    let (data, size) = map_file(Path::new(&path))?;
    blob.data = data;
    blob.size = size;
    blob.type_ = abi::VACCEL_BLOB_MAPPED;
    Ok(())
}

/// `vaccel_blob_valid`.
pub fn valid(blob: &vaccel_blob) -> bool {
    blob.type_ < abi::VACCEL_BLOB_MAX
        && !blob.name.is_null()
        && (!blob.path.is_null() || (!blob.data.is_null() && blob.size > 0))
}

/// Frees or unmaps the data the blob holds. Mapped data is always the runtime's own mapping.
fn free_data(blob: &mut vaccel_blob) {
    if blob.data.is_null() {
        return;
    }
    if blob.type_ == abi::VACCEL_BLOB_MAPPED {
        // SAFETY: MAPPED data is a mapping of `size` bytes made by `map_file`.
        unsafe { libc::munmap(blob.data.cast::<c_void>(), blob.size) };
    } else if blob.data_owned {
        // SAFETY: owned BUFFER data was malloc'd by `init_from_buf`.
        unsafe { cmem::free(blob.data) };
    }
    blob.data = std::ptr::null_mut();
    blob.data_owned = false;
}

/// Frees everything a blob owns, without the released-twice check.
fn release_fields(blob: &mut vaccel_blob) {
    free_data(blob);
    if blob.path_owned && !blob.path.is_null() {
        // SAFETY: `path` is a valid C string set by this module.
        let path = unsafe { cmem::display(blob.path) };
        debug!("Removing file {path}");
        if let Ok(c) = CString::new(path) {
            // SAFETY: `c` is a valid C string.
            unsafe { libc::unlink(c.as_ptr()) };
        }
    }
    // SAFETY: both strings were strdup'd by this module (or are NULL).
    unsafe {
        cmem::free(blob.name);
        cmem::free(blob.path);
    }
    *blob = empty();
}

/// `vaccel_blob_release`.
pub fn release(blob: &mut vaccel_blob) -> Result<()> {
    if blob.type_ >= abi::VACCEL_BLOB_MAX {
        error!("Cannot release uninitialized blob");
        return Err(Error::EINVAL);
    }
    release_fields(blob);
    Ok(())
}

/// A malloc'd blob, as `vaccel_blob_new` returns and resources hold.
pub fn alloc() -> Result<*mut vaccel_blob> {
    // SAFETY: malloc has no preconditions; checked before the write.
    let p = unsafe { libc::malloc(std::mem::size_of::<vaccel_blob>()) }.cast::<vaccel_blob>();
    if p.is_null() {
        return Err(Error::ENOMEM);
    }
    // SAFETY: `p` is a fresh allocation of the right size and alignment.
    unsafe { p.write(empty()) };
    Ok(p)
}

/// Releases and frees a blob from [`alloc`].
///
/// # Safety
/// `p` must come from [`alloc`] and not be used afterwards.
pub unsafe fn delete(p: *mut vaccel_blob) {
    // SAFETY: guaranteed by the caller.
    if let Some(b) = unsafe { p.as_mut() } {
        release_fields(b);
        // SAFETY: allocated with malloc in `alloc`.
        unsafe { cmem::free(p) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_names() {
        assert_eq!(base_name("/a/b/c.so"), "c.so");
        assert_eq!(base_name("c.so"), "c.so");
    }

    #[test]
    fn buffer_blob_owned_and_persisted() {
        let data = b"hello";
        let mut b = empty();
        // SAFETY: `data` outlives the call and the blob owns a copy.
        unsafe { init_from_buf(&mut b, data.as_ptr(), 5, true, "x.txt", None, false) }.unwrap();
        assert_eq!(b.type_, abi::VACCEL_BLOB_BUFFER);
        assert!(b.data_owned && valid(&b));
        let dir = std::env::temp_dir().join(format!("vaccel-blob-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        persist(&mut b, &dir, "x.txt", false).unwrap();
        assert_eq!(b.type_, abi::VACCEL_BLOB_MAPPED);
        assert!(b.path_owned && b.data_owned);
        assert_eq!(std::fs::read(dir.join("x.txt")).unwrap(), b"hello");
        release(&mut b).unwrap();
        assert!(!dir.join("x.txt").exists());
        assert_eq!(release(&mut b), Err(Error::EINVAL));
        std::fs::remove_dir(&dir).unwrap();
    }

    #[test]
    fn file_blob_reads_by_mapping() {
        let path = std::env::temp_dir().join(format!("vaccel-blob-file-{}", std::process::id()));
        std::fs::write(&path, b"abc").unwrap();
        let mut b = empty();
        init(&mut b, path.to_str().unwrap()).unwrap();
        assert_eq!(b.type_, abi::VACCEL_BLOB_FILE);
        read(&mut b).unwrap();
        assert_eq!(
            (b.type_, b.size, b.data_owned),
            (abi::VACCEL_BLOB_MAPPED, 3, false)
        );
        assert_eq!(data_slice(&b), b"abc");
        release(&mut b).unwrap();
        assert!(path.exists(), "a FILE blob does not own its path");
        std::fs::remove_file(&path).unwrap();
        assert_eq!(init(&mut b, "/nonexistent/x"), Err(Error::EINVAL));
    }
}
