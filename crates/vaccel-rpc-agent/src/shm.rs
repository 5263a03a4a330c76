//! Shared-memory genop arguments (the `shm-memfd` extension, [`vaccel_rpc_proto::ext`]).
//!
//! A client on the same host places large arguments in memfds and passes the descriptors with
//! the request frame (`SCM_RIGHTS`); the agent maps them and the op reads and writes the client's
//! memory in place, so the bytes never cross the socket. Safety of the mapping against the
//! client: the descriptor must be a regular file (a memfd) sealed with `F_SEAL_SHRINK`, so it
//! cannot be truncated under the mapping (which would turn the op's accesses into `SIGBUS`), and
//! the ranges must lie within its size.
//!
//! Mappings are cached per connection by file identity (device, inode): a client that keeps its
//! tensors in the same memfd from call to call — a tensor arena — has it mapped (and its page
//! tables populated) once, and each later call costs a `fstat`. At most [`MAX_MAPPINGS`] files
//! per connection stay mapped; they are unmapped when the connection closes.

use std::collections::HashMap;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Arc, Mutex};

use vaccel_rpc_proto::ttrpc::{Code, Status};

use crate::service::lock;

/// Files mapped at once per connection.
pub const MAX_MAPPINGS: usize = 16;

/// A shared mapping of a whole file, unmapped on drop.
#[derive(Debug)]
pub struct Mapping {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain shared memory; the pointer is only dereferenced by the op that a
// genop call runs, with the client's consent, like any argument buffer.
unsafe impl Send for Mapping {}
// SAFETY: as above; the struct itself is never mutated after creation.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// The start of byte `off` of the mapping (`off` ≤ `len`, checked by the caller).
    pub fn at(&self, off: usize) -> *mut u8 {
        debug_assert!(off <= self.len);
        // SAFETY: within the mapping, as the caller checked.
        unsafe { self.ptr.add(off) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are a mapping this struct created and nothing else unmaps.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

fn invalid(msg: impl Into<String>) -> Status {
    Status::new(Code::InvalidArgument, msg)
}

/// The mappings of one connection.
#[derive(Default)]
pub struct ShmCache {
    maps: Mutex<HashMap<(u64, u64), Arc<Mapping>>>,
}

impl ShmCache {
    /// Unmaps everything (mappings still used by a running call go when it ends).
    pub fn clear(&self) {
        lock(&self.maps).clear();
    }

    /// The mapping holding `len` bytes at `offset` of `fd`'s file, and the range's start in it.
    pub fn region(
        &self,
        fd: &OwnedFd,
        offset: u64,
        len: u64,
    ) -> Result<(Arc<Mapping>, usize), Status> {
        // SAFETY: `st` is a writable stat buffer; `fd` is open.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } < 0 {
            return Err(invalid(format!(
                "shared memory: fstat: {}",
                std::io::Error::last_os_error()
            )));
        }
        if st.st_mode & libc::S_IFMT != libc::S_IFREG {
            return Err(invalid("shared memory: the descriptor is not a memfd"));
        }
        // SAFETY: F_GET_SEALS on an open descriptor.
        let seals = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GET_SEALS) };
        if seals < 0 || seals & libc::F_SEAL_SHRINK == 0 {
            return Err(invalid(
                "shared memory: the memfd must be sealed with F_SEAL_SHRINK",
            ));
        }
        let size = st.st_size as u64;
        let end = offset
            .checked_add(len)
            .filter(|&e| e <= size)
            .ok_or_else(|| invalid("shared memory: range outside the memfd"))?;
        let key = (st.st_dev, st.st_ino);
        let mut maps = lock(&self.maps);
        if let Some(m) = maps.get(&key)
            && m.len as u64 >= end
        {
            return Ok((m.clone(), offset as usize));
        }
        let map_len = usize::try_from(size).map_err(|_| invalid("shared memory: too large"))?;
        // SAFETY: a fresh shared mapping of the whole file; the result is checked. Populating
        // the page tables at once costs far less than faulting 4 KiB at a time in the op.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_POPULATE,
                fd.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(invalid(format!(
                "shared memory: mmap: {}",
                std::io::Error::last_os_error()
            )));
        }
        let m = Arc::new(Mapping {
            ptr: ptr.cast(),
            len: map_len,
        });
        if maps.len() >= MAX_MAPPINGS && !maps.contains_key(&key) {
            let victim = *maps.keys().next().expect("non-empty");
            maps.remove(&victim);
        }
        maps.insert(key, m.clone());
        Ok((m, offset as usize))
    }
}
