//! File-system helpers for run directories and persisted blobs (spec §8.1, §11).

use std::ffi::{CString, OsStr};
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The run-directory base, `/run/user/<uid>/vaccel`.
pub fn rundir_base() -> PathBuf {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    PathBuf::from(format!("/run/user/{uid}/vaccel"))
}

/// Creates `dir` and its parents with mode 0700, logging upstream's message on failure.
pub fn create_dir_all(dir: &Path) -> Result<()> {
    let mut built = PathBuf::new();
    for part in dir.components() {
        built.push(part);
        if built.is_dir() {
            continue;
        }
        if let Err(e) = std::fs::DirBuilder::new().mode(0o700).create(&built)
            && e.kind() != std::io::ErrorKind::AlreadyExists
        {
            crate::error!("Could not create dir {}: {}", built.display(), strerror(&e));
            return Err(Error::from_io(&e));
        }
    }
    Ok(())
}

/// The C library's text for an I/O error (`strerror`), as upstream prints it.
pub fn strerror(e: &std::io::Error) -> String {
    let code = e.raw_os_error().unwrap_or(libc::EIO);
    // SAFETY: strerror returns a pointer to a static (or thread-local) NUL-terminated string.
    unsafe { std::ffi::CStr::from_ptr(libc::strerror(code)) }
        .to_string_lossy()
        .into_owned()
}

/// Creates a unique directory `<parent>/XXXXXX` with `mkdtemp`.
pub fn create_unique_dir(parent: &Path) -> Result<PathBuf> {
    let template = CString::new(parent.join("XXXXXX").into_os_string().into_encoded_bytes())
        .map_err(|_| Error::EINVAL)?;
    let raw = template.into_raw();
    // SAFETY: `raw` is a writable NUL-terminated buffer that mkdtemp fills in place.
    let made = unsafe { libc::mkdtemp(raw) };
    let err = Error::last_os_error();
    // SAFETY: `raw` came from CString::into_raw above and its length did not change.
    let template = unsafe { CString::from_raw(raw) };
    if made.is_null() {
        return Err(err);
    }
    Ok(PathBuf::from(OsStr::from_bytes(template.as_bytes())))
}

/// Six random characters from `[A-Za-z0-9]`, as `mkstemp` uses.
pub fn random_suffix() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 6];
    // SAFETY: the buffer is valid for its length; getrandom writes at most that many bytes.
    let n = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), 0) };
    if n != bytes.len() as isize {
        // Fall back to the clock: uniqueness is enforced by O_EXCL anyway.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        bytes.copy_from_slice(&t.subsec_nanos().to_le_bytes().repeat(2)[..6]);
    }
    bytes
        .iter()
        .map(|b| CHARS[*b as usize % CHARS.len()] as char)
        .collect()
}

/// `name` with `_XXXXXX` inserted before its extension (`lib.so` → `lib_ab12Cd.so`).
pub fn randomized_name(name: &str) -> String {
    let suffix = random_suffix();
    match name.rfind('.') {
        Some(dot) if dot > 0 => format!("{}_{}{}", &name[..dot], suffix, &name[dot..]),
        _ => format!("{name}_{suffix}"),
    }
}

/// Creates `<dir>/<name>` exclusively (mode 0700) and writes `data`; with `randomize`, or when the
/// name is taken, a random suffix is added as upstream does. Returns the path written.
pub fn persist(dir: &Path, name: &str, data: &[u8], randomize: bool) -> Result<PathBuf> {
    let original = name;
    let mut name = if randomize {
        randomized_name(name)
    } else {
        name.to_owned()
    };
    for attempt in 0..16 {
        let path = dir.join(&name);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o700)
            .open(&path)
        {
            Ok(mut f) => {
                f.write_all(data).map_err(|e| Error::from_io(&e))?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if attempt == 0 {
                    crate::warn!("File {} exists", path.display());
                    crate::warn!("Adding a random value to the filename");
                }
                name = randomized_name(original);
            }
            Err(e) => return Err(Error::from_io(&e)),
        }
    }
    Err(Error::EEXIST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn randomized_name_keeps_extension() {
        let n = randomized_name("lib.so");
        assert!(
            n.starts_with("lib_") && n.ends_with(".so") && n.len() == "lib_XXXXXX.so".len(),
            "{n}"
        );
        assert_eq!(randomized_name("file").len(), "file_XXXXXX".len());
    }

    #[test]
    fn persist_randomizes_on_clash() {
        let dir = std::env::temp_dir().join(format!("vaccel-fsutil-{}", std::process::id()));
        create_dir_all(&dir).unwrap();
        let a = persist(&dir, "x.bin", b"1", false).unwrap();
        let b = persist(&dir, "x.bin", b"2", false).unwrap();
        assert_ne!(a, b);
        assert_eq!(std::fs::read(&b).unwrap(), b"2");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
