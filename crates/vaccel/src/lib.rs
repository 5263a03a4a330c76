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
use vaccel_abi::{self as abi, ArgType, OpType, vaccel_arg, vaccel_resource, vaccel_session};

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
