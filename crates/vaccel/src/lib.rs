//! A safe Rust API over `libvaccel.so`.
//!
//! Rust programs use vAccel the way C programs do: through the shared library, which loads the
//! plugins named in `VACCEL_PLUGINS`. Plugins call back into the library (`slog_print`,
//! `vaccel_plugin_register_ops`), so the library must be loaded once, globally, and not linked
//! statically into the program; [`Vaccel::open`] does that with `dlopen(RTLD_GLOBAL)`, which also
//! runs the library's bootstrap. Sessions and resources are owned Rust values whose `Drop`
//! releases them; op calls return [`Error`] with the vAccel error code.
//!
//! ```no_run
//! let vaccel = vaccel::Vaccel::open()?;
//! let mut session = vaccel.session(0)?;
//! let (tags, name) = session.classify(&std::fs::read("example.jpg").unwrap())?;
//! println!("{tags} / {name}");
//! # Ok::<(), vaccel::Error>(())
//! ```

use std::ffi::{CStr, CString, c_char, c_int, c_uchar, c_void};

use libloading::os::unix::{Library, RTLD_GLOBAL, RTLD_NOW, Symbol};
/// The C constants (op and data-type numbers, error codes) callers pass and compare with.
pub use vaccel_abi as abi;
use vaccel_abi::{ArgType, OpType, vaccel_arg, vaccel_resource, vaccel_session};

/// A vAccel error code, or a failure to load the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("vAccel error {0} ({name})", name = abi::error_name(*.0).unwrap_or("errno"))]
    Code(i32),
    #[error("could not load libvaccel: {0}")]
    Load(#[from] libloading::Error),
    #[error("invalid argument: {0}")]
    Invalid(&'static str),
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

fn check(code: c_int) -> Result<()> {
    if code == abi::VACCEL_OK {
        Ok(())
    } else {
        Err(Error::Code(code))
    }
}

/// The loaded runtime.
pub struct Vaccel {
    lib: Library,
}

impl Vaccel {
    /// Loads `libvaccel.so.0` from the library search path (bootstrapping it from the
    /// environment, as for any program linking it).
    pub fn open() -> Result<Vaccel> {
        Vaccel::open_path("libvaccel.so.0")
    }

    /// Loads the runtime from a given path.
    pub fn open_path(path: &str) -> Result<Vaccel> {
        // SAFETY: loading libvaccel runs its constructor, which bootstraps the runtime; that is
        // the intended effect. RTLD_GLOBAL lets plugins resolve their callbacks against it.
        let lib = unsafe { Library::open(Some(path), RTLD_NOW | RTLD_GLOBAL) }?;
        Ok(Vaccel { lib })
    }

    /// A function of the C API with its C signature `T`.
    fn sym<T>(&self, name: &[u8]) -> Result<Symbol<T>> {
        // SAFETY: every name used in this crate is a function of the vAccel 0.8 C API and `T`
        // is its prototype from the headers.
        Ok(unsafe { self.lib.get::<T>(name) }?)
    }

    /// A new session with a plugin-type hint (0 for the first local plugin).
    pub fn session(&self, flags: u32) -> Result<Session<'_>> {
        let mut raw = Box::new_uninit();
        let init = self.sym::<unsafe extern "C" fn(*mut vaccel_session, u32) -> c_int>(
            b"vaccel_session_init\0",
        )?;
        // SAFETY: `raw` is writable storage of the right size; init fills it in.
        check(unsafe { init(raw.as_mut_ptr(), flags) })?;
        Ok(Session {
            vaccel: self,
            // SAFETY: initialised by the successful init call above.
            raw: unsafe { raw.assume_init() },
        })
    }

    /// A resource of `type_` (`abi::VACCEL_RESOURCE_*`) from a file or directory path.
    pub fn resource(&self, path: &str, type_: u32) -> Result<Resource<'_>> {
        let path = CString::new(path).map_err(|_| Error::Invalid("path contains NUL"))?;
        let mut raw = Box::new_uninit();
        let init = self
            .sym::<unsafe extern "C" fn(*mut vaccel_resource, *const c_char, u32) -> c_int>(
                b"vaccel_resource_init\0",
            )?;
        // SAFETY: `raw` is writable storage; `path` is a valid C string.
        check(unsafe { init(raw.as_mut_ptr(), path.as_ptr(), type_) })?;
        Ok(Resource {
            vaccel: self,
            // SAFETY: initialised by the successful init call above.
            raw: unsafe { raw.assume_init() },
        })
    }
}

/// The runtime configuration of `vaccel_bootstrap_with_config` (`struct vaccel_config`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `:`-separated plugin list, as in `VACCEL_PLUGINS`.
    pub plugins: Option<String>,
    pub log_level: u32,
    pub log_file: Option<String>,
    pub profiling_enabled: bool,
    pub version_ignore: bool,
}

/// One blob of [`Vaccel::resource_from_blobs`]: `type_` is `abi::VACCEL_BLOB_*`.
#[derive(Debug, Clone, Copy)]
pub struct BlobData<'a> {
    pub type_: u32,
    pub name: &'a str,
    pub data: &'a [u8],
}

fn cstring(s: &str, what: &'static str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::Invalid(what))
}

impl Vaccel {
    /// `vaccel_is_initialized`.
    pub fn is_initialized(&self) -> Result<bool> {
        let f = self.sym::<unsafe extern "C" fn() -> bool>(b"vaccel_is_initialized\0")?;
        // SAFETY: no arguments.
        Ok(unsafe { f() })
    }

    /// `vaccel_bootstrap`: (re)initialises the runtime from the `VACCEL_*` environment.
    pub fn bootstrap(&self) -> Result<()> {
        let f = self.sym::<unsafe extern "C" fn() -> c_int>(b"vaccel_bootstrap\0")?;
        // SAFETY: no arguments.
        check(unsafe { f() })
    }

    /// `vaccel_bootstrap_with_config` with `config`.
    pub fn bootstrap_with_config(&self, config: &Config) -> Result<()> {
        let plugins = config
            .plugins
            .as_deref()
            .map(|p| cstring(p, "plugins contain NUL"))
            .transpose()?;
        let log_file = config
            .log_file
            .as_deref()
            .map(|p| cstring(p, "log_file contains NUL"))
            .transpose()?;
        type Init = unsafe extern "C" fn(
            *mut abi::vaccel_config,
            *const c_char,
            u32,
            *const c_char,
            bool,
            bool,
        ) -> c_int;
        let init = self.sym::<Init>(b"vaccel_config_init\0")?;
        let boot = self.sym::<unsafe extern "C" fn(*mut abi::vaccel_config) -> c_int>(
            b"vaccel_bootstrap_with_config\0",
        )?;
        let release = self.sym::<unsafe extern "C" fn(*mut abi::vaccel_config) -> c_int>(
            b"vaccel_config_release\0",
        )?;
        let mut cfg = abi::vaccel_config {
            plugins: std::ptr::null_mut(),
            log_level: 0,
            log_file: std::ptr::null_mut(),
            profiling_enabled: false,
            version_ignore: false,
        };
        let ptr = |c: &Option<CString>| c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
        // SAFETY: `cfg` is writable; the strings are valid C strings (init duplicates them).
        check(unsafe {
            init(
                &mut cfg,
                ptr(&plugins),
                config.log_level,
                ptr(&log_file),
                config.profiling_enabled,
                config.version_ignore,
            )
        })?;
        // SAFETY: `cfg` was initialised above; bootstrap deep-copies it.
        let rc = unsafe { boot(&mut cfg) };
        // SAFETY: releases the strings `init` duplicated.
        unsafe { release(&mut cfg) };
        check(rc)
    }

    /// `vaccel_prof_enabled`: whether profiling is on (`profiling_enabled` in the config).
    pub fn profiling_enabled(&self) -> Result<bool> {
        let f = self.sym::<unsafe extern "C" fn() -> bool>(b"vaccel_prof_enabled\0")?;
        // SAFETY: no arguments.
        Ok(unsafe { f() })
    }

    /// `vaccel_rundir`: the top-level run directory of this process, if bootstrapped.
    pub fn rundir(&self) -> Result<Option<String>> {
        let f = self.sym::<unsafe extern "C" fn() -> *const c_char>(b"vaccel_rundir\0")?;
        // SAFETY: no arguments; the result is NULL or a NUL-terminated static buffer.
        let p = unsafe { f() };
        if p.is_null() {
            return Ok(None);
        }
        // SAFETY: checked non-NULL above.
        let s = unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
        Ok((!s.is_empty()).then_some(s))
    }

    /// A resource of `type_` from several paths or URLs (`vaccel_resource_init_multi`).
    pub fn resource_from_paths(&self, paths: &[&str], type_: u32) -> Result<Resource<'_>> {
        let owned = paths
            .iter()
            .map(|p| cstring(p, "path contains NUL"))
            .collect::<Result<Vec<_>>>()?;
        let ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
        let mut raw = Box::new_uninit();
        type Init =
            unsafe extern "C" fn(*mut vaccel_resource, *const *const c_char, usize, u32) -> c_int;
        let init = self.sym::<Init>(b"vaccel_resource_init_multi\0")?;
        // SAFETY: `raw` is writable storage; `ptrs` holds `len` valid C strings.
        check(unsafe { init(raw.as_mut_ptr(), ptrs.as_ptr(), ptrs.len(), type_) })?;
        Ok(Resource {
            vaccel: self,
            // SAFETY: initialised by the successful init call above.
            raw: unsafe { raw.assume_init() },
        })
    }

    /// A resource of `type_` from in-memory blobs (`vaccel_resource_init_from_blobs`): BUFFER
    /// blobs are copied into memory the resource owns, MAPPED blobs are written as files named
    /// after the blob into the resource's run directory. The data is not referenced afterwards.
    pub fn resource_from_blobs(&self, blobs: &[BlobData<'_>], type_: u32) -> Result<Resource<'_>> {
        type BlobInit = unsafe extern "C" fn(
            *mut abi::vaccel_blob,
            *const u8,
            usize,
            bool,
            *const c_char,
            *const c_char,
            bool,
        ) -> c_int;
        let blob_init = self.sym::<BlobInit>(b"vaccel_blob_init_from_buf\0")?;
        let blob_release = self.sym::<unsafe extern "C" fn(*mut abi::vaccel_blob) -> c_int>(
            b"vaccel_blob_release\0",
        )?;
        type Init = unsafe extern "C" fn(
            *mut vaccel_resource,
            *const *const abi::vaccel_blob,
            usize,
            u32,
        ) -> c_int;
        let init = self.sym::<Init>(b"vaccel_resource_init_from_blobs\0")?;
        let mut made: Vec<Box<abi::vaccel_blob>> = Vec::with_capacity(blobs.len());
        let mut result = Ok(());
        for b in blobs {
            let name = match cstring(b.name, "blob name contains NUL") {
                Ok(n) => n,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            let mut raw = Box::new(abi::vaccel_blob {
                type_: 0,
                name: std::ptr::null_mut(),
                path: std::ptr::null_mut(),
                path_owned: false,
                data: std::ptr::null_mut(),
                data_owned: false,
                size: 0,
            });
            // SAFETY: `raw` is writable; `data` is readable for its length. BUFFER blobs copy
            // the data (`own`), because the resource keeps referencing a BUFFER blob's data
            // unless the blob owns it; MAPPED blobs are written to a file by the resource init
            // below, so referencing `data` until then is enough.
            let rc = unsafe {
                blob_init(
                    &mut *raw,
                    b.data.as_ptr(),
                    b.data.len(),
                    b.type_ == abi::VACCEL_BLOB_BUFFER,
                    name.as_ptr(),
                    std::ptr::null(),
                    false,
                )
            };
            if rc != abi::VACCEL_OK {
                result = Err(Error::Code(rc));
                break;
            }
            raw.type_ = b.type_;
            made.push(raw);
        }
        let res = result.and_then(|()| {
            let ptrs: Vec<*const abi::vaccel_blob> = made
                .iter()
                .map(|b| &**b as *const abi::vaccel_blob)
                .collect();
            let mut raw = Box::new_uninit();
            // SAFETY: `raw` is writable storage; every pointer is an initialised blob.
            check(unsafe { init(raw.as_mut_ptr(), ptrs.as_ptr(), ptrs.len(), type_) })?;
            Ok(Resource {
                vaccel: self,
                // SAFETY: initialised by the successful init call above.
                raw: unsafe { raw.assume_init() },
            })
        });
        for mut b in made {
            // SAFETY: each blob was initialised above and is released once; the resource made
            // its own copies (BUFFER: owned copy; MAPPED: persisted file).
            unsafe { blob_release(&mut *b) };
        }
        res
    }
}

// SAFETY: a session is a heap object of libvaccel, whose entry points lock internally; this
// crate hands out `&mut Session` for every call, so one thread uses it at a time.
unsafe impl Send for Session<'_> {}
// SAFETY: as for `Session`.
unsafe impl Send for Resource<'_> {}

/// A vAccel session; released on drop.
pub struct Session<'v> {
    vaccel: &'v Vaccel,
    raw: Box<vaccel_session>,
}

/// A vAccel resource; released on drop.
pub struct Resource<'v> {
    vaccel: &'v Vaccel,
    raw: Box<vaccel_resource>,
}

impl Resource<'_> {
    /// The resource id (process-local).
    pub fn id(&self) -> i64 {
        self.raw.id
    }

    /// The number of sessions the resource is registered with (`vaccel_resource_refcount`).
    pub fn refcount(&self) -> Result<u64> {
        let f = self
            .vaccel
            .sym::<unsafe extern "C" fn(*const vaccel_resource) -> std::ffi::c_long>(
                b"vaccel_resource_refcount\0",
            )?;
        // SAFETY: a live resource.
        let n = unsafe { f(&*self.raw) };
        if n < 0 {
            return Err(Error::Code(-(n as i32)));
        }
        Ok(n as u64)
    }

    /// The resource's blob pointers (each NULL or a live blob).
    fn blobs(&self) -> &[*mut abi::vaccel_blob] {
        let r = &*self.raw;
        if r.blobs.is_null() {
            return &[];
        }
        // SAFETY: a live resource holds `nr_blobs` blob pointers, alive as long as it is.
        unsafe { std::slice::from_raw_parts(r.blobs, r.nr_blobs) }
    }

    /// The file of each blob, in order (`None` for a blob held in memory only).
    pub fn blob_paths(&self) -> Vec<Option<std::path::PathBuf>> {
        use std::os::unix::ffi::OsStrExt;
        self.blobs()
            .iter()
            .map(|&b| {
                // SAFETY: each pointer is NULL or a live blob whose path is NULL or a C string.
                let p = unsafe { b.as_ref() }?.path;
                if p.is_null() {
                    return None;
                }
                // SAFETY: as above.
                let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
                Some(std::ffi::OsStr::from_bytes(bytes).into())
            })
            .collect()
    }

    /// The current contents of each blob, in order (`None` for a blob without data).
    pub fn blob_data(&self) -> Vec<Option<&[u8]>> {
        self.blobs()
            .iter()
            .map(|&b| {
                // SAFETY: each pointer is NULL or a live blob of the resource.
                let b = unsafe { b.as_ref() }?;
                if b.data.is_null() {
                    return None;
                }
                // SAFETY: a blob's data is readable for `size` bytes while the resource lives.
                Some(unsafe { std::slice::from_raw_parts(b.data, b.size) })
            })
            .collect()
    }
}

impl Drop for Resource<'_> {
    fn drop(&mut self) {
        if let Ok(release) = self
            .vaccel
            .sym::<unsafe extern "C" fn(*mut vaccel_resource) -> c_int>(
                b"vaccel_resource_release\0",
            )
        {
            // SAFETY: the resource was initialised by this crate and is released once.
            unsafe { release(&mut *self.raw) };
        }
    }
}

/// One argument of [`Session::genop`]: its type and bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub type_: ArgType,
    pub data: Vec<u8>,
}

impl Arg {
    /// A typed argument from raw bytes.
    pub fn new(type_: ArgType, data: impl Into<Vec<u8>>) -> Arg {
        Arg {
            type_,
            data: data.into(),
        }
    }

    /// The op-type argument that starts every genop read list.
    pub fn op(op: OpType) -> Arg {
        Arg::new(ArgType::Uint8, [op as u8])
    }

    /// A zero-filled output buffer of `len` bytes.
    pub fn output(type_: ArgType, len: usize) -> Arg {
        Arg::new(type_, vec![0; len])
    }

    fn raw(&mut self) -> vaccel_arg {
        vaccel_arg {
            buf: self.data.as_mut_ptr().cast(),
            size: self.data.len(),
            type_: self.type_ as u32,
            custom_type_id: 0,
            owned: false,
        }
    }
}

/// The text before the first NUL of an output buffer.
fn c_text(buf: &[u8]) -> String {
    CStr::from_bytes_until_nul(buf).map_or_else(
        |_| String::from_utf8_lossy(buf).into_owned(),
        |c| c.to_string_lossy().into_owned(),
    )
}

impl Session<'_> {
    /// The session id (process-local).
    pub fn id(&self) -> i64 {
        self.raw.id
    }

    /// Stores a new plugin-type hint (the session's `hint` field) without re-selecting its
    /// plugin.
    pub fn set_hint(&mut self, flags: u32) {
        self.raw.hint = flags;
    }

    /// `vaccel_image_classification` into caller-provided buffers.
    pub fn classify_into(&mut self, image: &[u8], text: &mut [u8], name: &mut [u8]) -> Result<()> {
        type Classify = unsafe extern "C" fn(
            *mut vaccel_session,
            *const c_void,
            *mut c_uchar,
            *mut c_uchar,
            usize,
            usize,
            usize,
        ) -> c_int;
        let f = self
            .vaccel
            .sym::<Classify>(b"vaccel_image_classification\0")?;
        // SAFETY: the image and both buffers are valid for the lengths passed.
        check(unsafe {
            f(
                &mut *self.raw,
                image.as_ptr().cast(),
                text.as_mut_ptr(),
                name.as_mut_ptr(),
                image.len(),
                text.len(),
                name.len(),
            )
        })
    }

    /// `vaccel_genop` over raw argument descriptors.
    ///
    /// # Safety
    ///
    /// Every argument's `buf` must be valid for reads (read args) or reads and writes (write
    /// args) of `size` bytes for the whole call, and no Rust reference to that memory may be
    /// alive during it.
    pub unsafe fn genop_raw(
        &mut self,
        read: &mut [vaccel_arg],
        write: &mut [vaccel_arg],
    ) -> Result<()> {
        type Genop = unsafe extern "C" fn(
            *mut vaccel_session,
            *mut vaccel_arg,
            c_int,
            *mut vaccel_arg,
            c_int,
        ) -> c_int;
        let f = self.vaccel.sym::<Genop>(b"vaccel_genop\0")?;
        let n = |len: usize| c_int::try_from(len).map_err(|_| Error::Invalid("too many arguments"));
        let (nr, nw) = (n(read.len())?, n(write.len())?);
        let ptr = |v: &mut [vaccel_arg]| {
            if v.is_empty() {
                std::ptr::null_mut()
            } else {
                v.as_mut_ptr()
            }
        };
        // SAFETY: the caller guarantees the argument buffers.
        check(unsafe { f(&mut *self.raw, ptr(read), nr, ptr(write), nw) })
    }

    /// `vaccel_noop`.
    pub fn noop(&mut self) -> Result<()> {
        let f = self
            .vaccel
            .sym::<unsafe extern "C" fn(*mut vaccel_session) -> c_int>(b"vaccel_noop\0")?;
        // SAFETY: a live session.
        check(unsafe { f(&mut *self.raw) })
    }

    /// Registers a resource with this session.
    pub fn register(&mut self, res: &mut Resource<'_>) -> Result<()> {
        let f = self
            .vaccel
            .sym::<unsafe extern "C" fn(*mut vaccel_resource, *mut vaccel_session) -> c_int>(
                b"vaccel_resource_register\0",
            )?;
        // SAFETY: both objects are live and owned by this crate.
        check(unsafe { f(&mut *res.raw, &mut *self.raw) })
    }

    /// Unregisters a resource from this session.
    pub fn unregister(&mut self, res: &mut Resource<'_>) -> Result<()> {
        let f = self
            .vaccel
            .sym::<unsafe extern "C" fn(*mut vaccel_resource, *mut vaccel_session) -> c_int>(
                b"vaccel_resource_unregister\0",
            )?;
        // SAFETY: both objects are live and owned by this crate.
        check(unsafe { f(&mut *res.raw, &mut *self.raw) })
    }

    /// `vaccel_image_classification` with 512-byte outputs: `(tags, image name)`.
    pub fn classify(&mut self, image: &[u8]) -> Result<(String, String)> {
        type Classify = unsafe extern "C" fn(
            *mut vaccel_session,
            *const c_void,
            *mut c_uchar,
            *mut c_uchar,
            usize,
            usize,
            usize,
        ) -> c_int;
        let f = self
            .vaccel
            .sym::<Classify>(b"vaccel_image_classification\0")?;
        let (mut text, mut name) = ([0u8; 512], [0u8; 512]);
        // SAFETY: the image and both buffers are valid for the lengths passed.
        check(unsafe {
            f(
                &mut *self.raw,
                image.as_ptr().cast(),
                text.as_mut_ptr(),
                name.as_mut_ptr(),
                image.len(),
                text.len(),
                name.len(),
            )
        })?;
        Ok((c_text(&text), c_text(&name)))
    }

    /// `vaccel_genop`: `read` starts with [`Arg::op`]; outputs are written into `write`.
    pub fn genop(&mut self, read: &mut [Arg], write: &mut [Arg]) -> Result<()> {
        type Genop = unsafe extern "C" fn(
            *mut vaccel_session,
            *mut vaccel_arg,
            c_int,
            *mut vaccel_arg,
            c_int,
        ) -> c_int;
        let f = self.vaccel.sym::<Genop>(b"vaccel_genop\0")?;
        let mut r: Vec<vaccel_arg> = read.iter_mut().map(Arg::raw).collect();
        let mut w: Vec<vaccel_arg> = write.iter_mut().map(Arg::raw).collect();
        let n = |v: &Vec<vaccel_arg>| {
            c_int::try_from(v.len()).map_err(|_| Error::Invalid("too many arguments"))
        };
        let (nr, nw) = (n(&r)?, n(&w)?);
        // SAFETY: every argument points into a live Vec of its stated size for the whole call.
        check(unsafe { f(&mut *self.raw, r.as_mut_ptr(), nr, w.as_mut_ptr(), nw) })
    }
}

/// An input tensor of a framework op: bytes, shape and the C data-type value.
#[derive(Debug, Clone, Copy)]
pub struct TensorIn<'a, D> {
    pub data: &'a [u8],
    pub dims: &'a [D],
    pub data_type: u32,
}

/// An output tensor of a framework op, copied out of the plugin's allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorOut<D> {
    pub data: Vec<u8>,
    pub dims: Vec<D>,
    pub data_type: u32,
}

/// A TensorFlow status (`struct vaccel_tf_status`), copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TfStatus {
    pub code: u8,
    pub message: String,
}

/// The pointer to a slice's data, or NULL for an empty slice.
fn ptr_or_null<T>(s: &[T]) -> *mut T {
    if s.is_empty() {
        std::ptr::null_mut()
    } else {
        s.as_ptr().cast_mut()
    }
}

/// The C layout shared by the TF, TFLite and Torch tensor structs (only the dims type differs).
macro_rules! tensor_io {
    ($name_in:ident, $name_out:ident, $ty:ty, $dim:ty, $ndims:ty) => {
        fn $name_in(t: &TensorIn<'_, $dim>) -> Result<$ty> {
            Ok(<$ty>::from_parts(
                ptr_or_null(t.data).cast(),
                t.data.len(),
                <$ndims>::try_from(t.dims.len()).map_err(|_| Error::Invalid("too many dims"))?,
                ptr_or_null(t.dims),
                t.data_type,
            ))
        }

        /// Copies the plugin-allocated tensor `p` (NULL allowed) out.
        ///
        /// # Safety
        ///
        /// `p` is NULL or a valid tensor whose `data`/`dims` are readable for their sizes.
        unsafe fn $name_out(p: *const $ty) -> Option<TensorOut<$dim>> {
            // SAFETY: the caller's guarantee.
            let t = unsafe { p.as_ref() }?;
            let data = if t.data.is_null() || t.size == 0 {
                Vec::new()
            } else {
                // SAFETY: `data` is readable for `size` bytes (caller).
                unsafe { std::slice::from_raw_parts(t.data.cast::<u8>(), t.size) }.to_vec()
            };
            let n = usize::try_from(t.nr_dims).unwrap_or(0);
            let dims = if t.dims.is_null() || n == 0 {
                Vec::new()
            } else {
                // SAFETY: `dims` holds `nr_dims` entries (caller).
                unsafe { std::slice::from_raw_parts(t.dims, n) }.to_vec()
            };
            Some(TensorOut {
                data,
                dims,
                data_type: t.data_type,
            })
        }
    };
}

trait FromParts<D, N> {
    fn from_parts(data: *mut c_void, size: usize, nr_dims: N, dims: *mut D, ty: u32) -> Self;
}

macro_rules! from_parts {
    ($ty:ty, $dim:ty, $ndims:ty) => {
        impl FromParts<$dim, $ndims> for $ty {
            fn from_parts(
                data: *mut c_void,
                size: usize,
                nr_dims: $ndims,
                dims: *mut $dim,
                data_type: u32,
            ) -> Self {
                Self {
                    data,
                    size,
                    owned: false,
                    nr_dims,
                    dims,
                    data_type,
                }
            }
        }
    };
}
from_parts!(abi::vaccel_tf_tensor, i64, c_int);
from_parts!(abi::vaccel_tflite_tensor, i32, c_int);
from_parts!(abi::vaccel_torch_tensor, i64, i64);
tensor_io!(tf_in, tf_out, abi::vaccel_tf_tensor, i64, c_int);
tensor_io!(tflite_in, tflite_out, abi::vaccel_tflite_tensor, i32, c_int);
tensor_io!(torch_in, torch_out, abi::vaccel_torch_tensor, i64, i64);

impl Session<'_> {
    /// Reads and releases a TF status filled in by a call.
    fn take_tf_status(&self, st: &mut abi::vaccel_tf_status) -> TfStatus {
        let message = if st.message.is_null() {
            String::new()
        } else {
            // SAFETY: a NUL-terminated string set by the plugin.
            unsafe { CStr::from_ptr(st.message) }
                .to_string_lossy()
                .into_owned()
        };
        let out = TfStatus {
            code: st.code,
            message,
        };
        if let Ok(release) = self
            .vaccel
            .sym::<unsafe extern "C" fn(*mut abi::vaccel_tf_status) -> c_int>(
                b"vaccel_tf_status_release\0",
            )
        {
            // SAFETY: a status initialised by the call (or zeroed); release frees the message.
            unsafe { release(st) };
        }
        out
    }

    fn tf_load_like(&mut self, res: &mut Resource<'_>, name: &[u8]) -> (Result<()>, TfStatus) {
        type F = unsafe extern "C" fn(
            *mut vaccel_session,
            *mut vaccel_resource,
            *mut abi::vaccel_tf_status,
        ) -> c_int;
        let f = match self.vaccel.sym::<F>(name) {
            Ok(f) => f,
            Err(e) => return (Err(e), TfStatus::default()),
        };
        let mut st = abi::vaccel_tf_status {
            code: 0,
            message: std::ptr::null_mut(),
        };
        // SAFETY: live session and resource; `st` is writable.
        let rc = unsafe { f(&mut *self.raw, &mut *res.raw, &mut st) };
        let status = self.take_tf_status(&mut st);
        (check(rc), status)
    }

    /// `vaccel_tf_model_load`: the result and the TF status.
    pub fn tf_model_load(&mut self, res: &mut Resource<'_>) -> (Result<()>, TfStatus) {
        self.tf_load_like(res, b"vaccel_tf_model_load\0")
    }

    /// `vaccel_tf_model_unload`: the result and the TF status.
    pub fn tf_model_unload(&mut self, res: &mut Resource<'_>) -> (Result<()>, TfStatus) {
        self.tf_load_like(res, b"vaccel_tf_model_unload\0")
    }

    /// `vaccel_tf_model_run`: one output per out node.
    pub fn tf_model_run(
        &mut self,
        res: &mut Resource<'_>,
        run_options: Option<&[u8]>,
        in_nodes: &[(&str, i32)],
        inputs: &[TensorIn<'_, i64>],
        out_nodes: &[(&str, i32)],
    ) -> (Result<Vec<TensorOut<i64>>>, TfStatus) {
        let mut status = TfStatus::default();
        let r = (|| {
            type F = unsafe extern "C" fn(
                *mut vaccel_session,
                *mut vaccel_resource,
                *const abi::vaccel_tf_buffer,
                *const abi::vaccel_tf_node,
                *const *mut abi::vaccel_tf_tensor,
                c_int,
                *const abi::vaccel_tf_node,
                *mut *mut abi::vaccel_tf_tensor,
                c_int,
                *mut abi::vaccel_tf_status,
            ) -> c_int;
            let f = self.vaccel.sym::<F>(b"vaccel_tf_model_run\0")?;
            let delete = self
                .vaccel
                .sym::<unsafe extern "C" fn(*mut abi::vaccel_tf_tensor) -> c_int>(
                    b"vaccel_tf_tensor_delete\0",
                )?;
            let names = |nodes: &[(&str, i32)]| {
                nodes
                    .iter()
                    .map(|(n, _)| cstring(n, "node name contains NUL"))
                    .collect::<Result<Vec<_>>>()
            };
            let (in_names, out_names) = (names(in_nodes)?, names(out_nodes)?);
            let node = |c: &CString, id: i32| abi::vaccel_tf_node {
                name: c.as_ptr().cast_mut(),
                id,
            };
            let c_in_nodes: Vec<_> = in_names
                .iter()
                .zip(in_nodes)
                .map(|(c, (_, id))| node(c, *id))
                .collect();
            let c_out_nodes: Vec<_> = out_names
                .iter()
                .zip(out_nodes)
                .map(|(c, (_, id))| node(c, *id))
                .collect();
            let mut c_inputs = inputs.iter().map(tf_in).collect::<Result<Vec<_>>>()?;
            let in_ptrs: Vec<*mut abi::vaccel_tf_tensor> =
                c_inputs.iter_mut().map(|t| t as *mut _).collect();
            let mut outs: Vec<*mut abi::vaccel_tf_tensor> =
                vec![std::ptr::null_mut(); out_nodes.len()];
            let opts = run_options.map(|o| abi::vaccel_tf_buffer {
                data: ptr_or_null(o).cast(),
                size: o.len(),
            });
            let n = |len: usize| c_int::try_from(len).map_err(|_| Error::Invalid("too many"));
            let mut st = abi::vaccel_tf_status {
                code: 0,
                message: std::ptr::null_mut(),
            };
            // SAFETY: every pointer refers to live memory of this frame for the call; the
            // plugin only reads the inputs and allocates the outputs.
            let rc = unsafe {
                f(
                    &mut *self.raw,
                    &mut *res.raw,
                    opts.as_ref().map_or(std::ptr::null(), |o| o as *const _),
                    ptr_or_null(&c_in_nodes),
                    ptr_or_null(&in_ptrs),
                    n(inputs.len().min(in_nodes.len()))?,
                    ptr_or_null(&c_out_nodes),
                    if outs.is_empty() {
                        std::ptr::null_mut()
                    } else {
                        outs.as_mut_ptr()
                    },
                    n(outs.len())?,
                    &mut st,
                )
            };
            status = self.take_tf_status(&mut st);
            let copied: Vec<TensorOut<i64>> = outs
                .iter()
                .map(|&p| {
                    // SAFETY: NULL or a plugin-allocated tensor, copied then deleted once.
                    let t = unsafe { tf_out(p) };
                    if !p.is_null() {
                        // SAFETY: as above.
                        unsafe { delete(p) };
                    }
                    t.unwrap_or(TensorOut {
                        data: Vec::new(),
                        dims: Vec::new(),
                        data_type: 0,
                    })
                })
                .collect();
            check(rc)?;
            Ok(copied)
        })();
        (r, status)
    }

    fn model_call(&mut self, res: &mut Resource<'_>, name: &[u8]) -> Result<()> {
        type F = unsafe extern "C" fn(*mut vaccel_session, *mut vaccel_resource) -> c_int;
        let f = self.vaccel.sym::<F>(name)?;
        // SAFETY: live session and resource.
        check(unsafe { f(&mut *self.raw, &mut *res.raw) })
    }

    /// `vaccel_tflite_model_load`.
    pub fn tflite_model_load(&mut self, res: &mut Resource<'_>) -> Result<()> {
        self.model_call(res, b"vaccel_tflite_model_load\0")
    }

    /// `vaccel_tflite_model_unload`.
    pub fn tflite_model_unload(&mut self, res: &mut Resource<'_>) -> Result<()> {
        self.model_call(res, b"vaccel_tflite_model_unload\0")
    }

    /// `vaccel_torch_model_load`.
    pub fn torch_model_load(&mut self, res: &mut Resource<'_>) -> Result<()> {
        self.model_call(res, b"vaccel_torch_model_load\0")
    }

    /// `vaccel_tflite_model_run`: the outputs and the TFLite status byte.
    pub fn tflite_model_run(
        &mut self,
        res: &mut Resource<'_>,
        inputs: &[TensorIn<'_, i32>],
        nr_outputs: usize,
    ) -> (Result<Vec<TensorOut<i32>>>, u8) {
        let mut status = 0u8;
        let r = (|| {
            type F = unsafe extern "C" fn(
                *mut vaccel_session,
                *mut vaccel_resource,
                *const *mut abi::vaccel_tflite_tensor,
                c_int,
                *mut *mut abi::vaccel_tflite_tensor,
                c_int,
                *mut u8,
            ) -> c_int;
            let f = self.vaccel.sym::<F>(b"vaccel_tflite_model_run\0")?;
            let delete =
                self.vaccel
                    .sym::<unsafe extern "C" fn(*mut abi::vaccel_tflite_tensor) -> c_int>(
                        b"vaccel_tflite_tensor_delete\0",
                    )?;
            let mut c_inputs = inputs.iter().map(tflite_in).collect::<Result<Vec<_>>>()?;
            let in_ptrs: Vec<*mut abi::vaccel_tflite_tensor> =
                c_inputs.iter_mut().map(|t| t as *mut _).collect();
            let mut outs = vec![std::ptr::null_mut(); nr_outputs];
            let n = |len: usize| c_int::try_from(len).map_err(|_| Error::Invalid("too many"));
            // SAFETY: as for `tf_model_run`.
            let rc = unsafe {
                f(
                    &mut *self.raw,
                    &mut *res.raw,
                    ptr_or_null(&in_ptrs),
                    n(in_ptrs.len())?,
                    if outs.is_empty() {
                        std::ptr::null_mut()
                    } else {
                        outs.as_mut_ptr()
                    },
                    n(outs.len())?,
                    &mut status,
                )
            };
            let copied = outs
                .iter()
                .map(|&p| {
                    // SAFETY: NULL or a plugin-allocated tensor, copied then deleted once.
                    let t = unsafe { tflite_out(p) };
                    if !p.is_null() {
                        // SAFETY: as above.
                        unsafe { delete(p) };
                    }
                    t.unwrap_or(TensorOut {
                        data: Vec::new(),
                        dims: Vec::new(),
                        data_type: 0,
                    })
                })
                .collect();
            check(rc)?;
            Ok(copied)
        })();
        (r, status)
    }

    /// `vaccel_torch_model_run`.
    pub fn torch_model_run(
        &mut self,
        res: &mut Resource<'_>,
        run_options: Option<&[u8]>,
        inputs: &[TensorIn<'_, i64>],
        nr_outputs: usize,
    ) -> Result<Vec<TensorOut<i64>>> {
        type F = unsafe extern "C" fn(
            *mut vaccel_session,
            *mut vaccel_resource,
            *const abi::vaccel_torch_buffer,
            *const *mut abi::vaccel_torch_tensor,
            c_int,
            *mut *mut abi::vaccel_torch_tensor,
            c_int,
        ) -> c_int;
        let f = self.vaccel.sym::<F>(b"vaccel_torch_model_run\0")?;
        let delete = self
            .vaccel
            .sym::<unsafe extern "C" fn(*mut abi::vaccel_torch_tensor) -> c_int>(
                b"vaccel_torch_tensor_delete\0",
            )?;
        let mut c_inputs = inputs.iter().map(torch_in).collect::<Result<Vec<_>>>()?;
        let in_ptrs: Vec<*mut abi::vaccel_torch_tensor> =
            c_inputs.iter_mut().map(|t| t as *mut _).collect();
        let mut outs = vec![std::ptr::null_mut(); nr_outputs];
        let opts = run_options.map(|o| abi::vaccel_torch_buffer {
            data: ptr_or_null(o).cast(),
            size: o.len(),
        });
        let n = |len: usize| c_int::try_from(len).map_err(|_| Error::Invalid("too many"));
        // SAFETY: as for `tf_model_run`.
        let rc = unsafe {
            f(
                &mut *self.raw,
                &mut *res.raw,
                opts.as_ref().map_or(std::ptr::null(), |o| o as *const _),
                ptr_or_null(&in_ptrs),
                n(in_ptrs.len())?,
                if outs.is_empty() {
                    std::ptr::null_mut()
                } else {
                    outs.as_mut_ptr()
                },
                n(outs.len())?,
            )
        };
        let copied = outs
            .iter()
            .map(|&p| {
                // SAFETY: NULL or a plugin-allocated tensor, copied then deleted once.
                let t = unsafe { torch_out(p) };
                if !p.is_null() {
                    // SAFETY: as above.
                    unsafe { delete(p) };
                }
                t.unwrap_or(TensorOut {
                    data: Vec::new(),
                    dims: Vec::new(),
                    data_type: 0,
                })
            })
            .collect();
        check(rc)?;
        Ok(copied)
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        if let Ok(release) = self
            .vaccel
            .sym::<unsafe extern "C" fn(*mut vaccel_session) -> c_int>(b"vaccel_session_release\0")
        {
            // SAFETY: the session was initialised by this crate and is released once.
            unsafe { release(&mut *self.raw) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_text_stops_at_nul() {
        assert_eq!(c_text(b"abc\0def"), "abc");
        assert_eq!(c_text(b"abc"), "abc");
    }

    #[test]
    fn op_arg_is_one_uint8() {
        let a = Arg::op(OpType::ImageClassify);
        assert_eq!((a.type_, a.data.as_slice()), (ArgType::Uint8, &[3u8][..]));
    }
}
