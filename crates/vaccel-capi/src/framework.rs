//! Framework helpers (spec §17): TensorFlow buffers, nodes, tensors and status, TFLite tensors,
//! Torch buffers and tensors.
//!
//! All memory is libc `malloc`/`calloc`/`free`, since applications and plugins free what these
//! helpers allocate and vice versa. Every function returns `VACCEL_OK`, `VACCEL_EINVAL` or
//! `VACCEL_ENOMEM`. Unlike upstream, a failed data allocation in any `*_tensor_allocate` frees the
//! tensor it created, and every `*_new` reports a failed `calloc` as ENOMEM.

use std::ffi::{c_char, c_int, c_void};
use std::ptr;

use vaccel_abi::{
    vaccel_tf_buffer, vaccel_tf_node, vaccel_tf_status, vaccel_tf_tensor, vaccel_tflite_tensor,
    vaccel_torch_buffer, vaccel_torch_tensor,
};
use vaccel_core::error::code_of;
use vaccel_core::{Error, Result};

use crate::ffi::guard;

/// Runs `f` inside [`guard`] and returns its vAccel code.
fn run(f: impl FnOnce() -> Result<()>) -> c_int {
    guard(|| code_of(&f()))
}

/// `&mut *p`, or EINVAL for NULL.
///
/// # Safety
/// `p` must be NULL or point to a live `T` not otherwise borrowed.
unsafe fn mut_ref<'a, T>(p: *mut T) -> Result<&'a mut T> {
    // SAFETY: guaranteed by the caller.
    unsafe { p.as_mut() }.ok_or(Error::EINVAL)
}

/// A calloc'd, zeroed `T` (all-zero must be a valid `T`), or ENOMEM.
fn calloc_one<T>() -> Result<*mut T> {
    // SAFETY: calloc has no preconditions.
    let p = unsafe { libc::calloc(1, size_of::<T>()) }.cast::<T>();
    if p.is_null() {
        Err(Error::ENOMEM)
    } else {
        Ok(p)
    }
}

/// Callocs a struct, initialises it with `init` and stores it in `*out`; the struct is freed if
/// `init` fails.
///
/// # Safety
/// `out` must be NULL or writable; all-zero must be a valid `T`.
unsafe fn new_with<T>(out: *mut *mut T, init: impl FnOnce(&mut T) -> Result<()>) -> Result<()> {
    if out.is_null() {
        return Err(Error::EINVAL);
    }
    let p = calloc_one::<T>()?;
    // SAFETY: `p` is a fresh zeroed allocation, a valid `T` (caller).
    if let Err(e) = init(unsafe { &mut *p }) {
        // SAFETY: `p` came from calloc and is not referenced elsewhere.
        unsafe { libc::free(p.cast()) };
        return Err(e);
    }
    // SAFETY: checked non-NULL; writable (caller).
    unsafe { out.write(p) };
    Ok(())
}

/// Releases a struct with `release` and frees it.
///
/// # Safety
/// `p` must be NULL or a struct from the matching `*_new`.
unsafe fn delete_with<T>(p: *mut T, release: impl FnOnce(&mut T) -> Result<()>) -> Result<()> {
    // SAFETY: guaranteed by the caller.
    let r = release(unsafe { mut_ref(p) }?);
    // SAFETY: `p` came from calloc in `new_with`.
    unsafe { libc::free(p.cast()) };
    r
}

/// A malloc'd copy of a C string, or EINVAL for NULL / ENOMEM.
///
/// # Safety
/// `s` must be NULL or a NUL-terminated string.
unsafe fn dup_str(s: *const c_char) -> Result<*mut c_char> {
    if s.is_null() {
        return Err(Error::EINVAL);
    }
    // SAFETY: `s` is a C string (caller).
    let d = unsafe { libc::strdup(s) };
    if d.is_null() {
        Err(Error::ENOMEM)
    } else {
        Ok(d)
    }
}

// ---------------------------------------------------------------------------------------------
// Buffers: TF and Torch
// ---------------------------------------------------------------------------------------------

/// Generates `init` / `release` / `new` / `delete` / `take_data` for a `{ data, size }` buffer
/// that owns `data`.
macro_rules! buffer_helpers {
    ($ty:ty, $data:ty, $init:ident, $release:ident, $new:ident, $delete:ident, $take:ident) => {
        #[doc = concat!("`int ", stringify!($init), "(buffer, data, size)`: takes ownership of ",
                        "the malloc'd `data`.\n\n# Safety\n`buffer` must be NULL or writable; ",
                        "`data` NULL or malloc'd.")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $init(buffer: *mut $ty, data: *mut $data, size: usize) -> c_int {
            run(|| {
                // SAFETY: guaranteed by the caller.
                let b = unsafe { mut_ref(buffer) }?;
                b.data = data;
                b.size = size;
                Ok(())
            })
        }

        #[doc = concat!("`int ", stringify!($release), "(buffer)`: frees the data.\n\n# Safety\n",
                        "`buffer` must be NULL or initialised.")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $release(buffer: *mut $ty) -> c_int {
            run(|| {
                // SAFETY: guaranteed by the caller.
                let b = unsafe { mut_ref(buffer) }?;
                // SAFETY: the buffer owns malloc'd data (or NULL).
                unsafe { libc::free(b.data.cast()) };
                b.data = ptr::null_mut();
                b.size = 0;
                Ok(())
            })
        }

        #[doc = concat!("`int ", stringify!($new), "(buffer **, data, size)`.\n\n# Safety\n",
                        "`buffer` must be NULL or writable; `data` NULL or malloc'd.")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $new(buffer: *mut *mut $ty, data: *mut $data, size: usize) -> c_int {
            run(|| {
                // SAFETY: `buffer` is NULL or writable (caller); all-zero is a valid buffer.
                unsafe {
                    new_with(buffer, |b: &mut $ty| {
                        b.data = data;
                        b.size = size;
                        Ok(())
                    })
                }
            })
        }

        #[doc = concat!("`int ", stringify!($delete), "(buffer)`: release + free.\n\n# Safety\n",
                        "`buffer` must be NULL or come from `", stringify!($new), "`.")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $delete(buffer: *mut $ty) -> c_int {
            run(|| {
                // SAFETY: guaranteed by the caller.
                unsafe {
                    delete_with(buffer, |b| {
                        check_code($release(b))
                    })
                }
            })
        }

        #[doc = concat!("`int ", stringify!($take), "(buffer, void **data, size_t *size)`: hands ",
                        "the data to the caller and clears the buffer.\n\n# Safety\nAll pointers ",
                        "must be NULL or valid.")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $take(buffer: *mut $ty, data: *mut *mut c_void, size: *mut usize) -> c_int {
            run(|| {
                if data.is_null() || size.is_null() {
                    return Err(Error::EINVAL);
                }
                // SAFETY: guaranteed by the caller.
                let b = unsafe { mut_ref(buffer) }?;
                // SAFETY: checked non-NULL; writable (caller).
                unsafe {
                    data.write(b.data.cast());
                    size.write(b.size);
                }
                b.data = ptr::null_mut();
                b.size = 0;
                Ok(())
            })
        }
    };
}

/// A `Result` from one of this module's C return codes.
fn check_code(code: c_int) -> Result<()> {
    vaccel_core::error::check(code)
}

buffer_helpers!(
    vaccel_tf_buffer,
    c_void,
    vaccel_tf_buffer_init,
    vaccel_tf_buffer_release,
    vaccel_tf_buffer_new,
    vaccel_tf_buffer_delete,
    vaccel_tf_buffer_take_data
);

buffer_helpers!(
    vaccel_torch_buffer,
    c_char,
    vaccel_torch_buffer_init,
    vaccel_torch_buffer_release,
    vaccel_torch_buffer_new,
    vaccel_torch_buffer_delete,
    vaccel_torch_buffer_take_data
);

// ---------------------------------------------------------------------------------------------
// TF nodes and status
// ---------------------------------------------------------------------------------------------

/// `int vaccel_tf_node_init(struct vaccel_tf_node *node, const char *name, int id)`: copies
/// `name` (NULL → EINVAL).
///
/// # Safety
/// `node` must be NULL or writable; `name` NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_tf_node_init(
    node: *mut vaccel_tf_node,
    name: *const c_char,
    id: c_int,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let n = unsafe { mut_ref(node) }?;
        // SAFETY: guaranteed by the caller.
        n.name = unsafe { dup_str(name) }?;
        n.id = id;
        Ok(())
    })
}

/// `int vaccel_tf_node_release(struct vaccel_tf_node *node)`: frees the name, `id = -1`.
///
/// # Safety
/// `node` must be NULL or initialised.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_tf_node_release(node: *mut vaccel_tf_node) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let n = unsafe { mut_ref(node) }?;
        // SAFETY: the name is malloc'd by `init` (or NULL).
        unsafe { libc::free(n.name.cast()) };
        n.name = ptr::null_mut();
        n.id = -1;
        Ok(())
    })
}

/// `int vaccel_tf_node_new(struct vaccel_tf_node **node, const char *name, int id)`.
///
/// # Safety
/// `node` must be NULL or writable; `name` NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_tf_node_new(
    node: *mut *mut vaccel_tf_node,
    name: *const c_char,
    id: c_int,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller; all-zero is a valid node.
        unsafe { new_with(node, |n| check_code(vaccel_tf_node_init(n, name, id))) }
    })
}

/// `int vaccel_tf_node_delete(struct vaccel_tf_node *node)`.
///
/// # Safety
/// `node` must be NULL or come from `vaccel_tf_node_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_tf_node_delete(node: *mut vaccel_tf_node) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        unsafe { delete_with(node, |n| check_code(vaccel_tf_node_release(n))) }
    })
}

/// `int vaccel_tf_status_init(struct vaccel_tf_status *status, uint8_t code,
/// const char *message)`: copies `message` (NULL → EINVAL).
///
/// # Safety
/// `status` must be NULL or writable; `message` NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_tf_status_init(
    status: *mut vaccel_tf_status,
    code: u8,
    message: *const c_char,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let s = unsafe { mut_ref(status) }?;
        // SAFETY: guaranteed by the caller.
        s.message = unsafe { dup_str(message) }?;
        s.code = code;
        Ok(())
    })
}

/// `int vaccel_tf_status_release(struct vaccel_tf_status *status)`: frees the message,
/// `code = 0`.
///
/// # Safety
/// `status` must be NULL or initialised.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_tf_status_release(status: *mut vaccel_tf_status) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let s = unsafe { mut_ref(status) }?;
        // SAFETY: the message is malloc'd (by `init` or a plugin) or NULL.
        unsafe { libc::free(s.message.cast()) };
        s.message = ptr::null_mut();
        s.code = 0;
        Ok(())
    })
}

/// `int vaccel_tf_status_new(struct vaccel_tf_status **status, uint8_t code,
/// const char *message)`.
///
/// # Safety
/// `status` must be NULL or writable; `message` NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_tf_status_new(
    status: *mut *mut vaccel_tf_status,
    code: u8,
    message: *const c_char,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller; all-zero is a valid status.
        unsafe {
            new_with(status, |s| {
                check_code(vaccel_tf_status_init(s, code, message))
            })
        }
    })
}

/// `int vaccel_tf_status_delete(struct vaccel_tf_status *status)`.
///
/// # Safety
/// `status` must be NULL or come from `vaccel_tf_status_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_tf_status_delete(status: *mut vaccel_tf_status) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        unsafe { delete_with(status, |s| check_code(vaccel_tf_status_release(s))) }
    })
}

// ---------------------------------------------------------------------------------------------
// Tensors: TF, TFLite, Torch
// ---------------------------------------------------------------------------------------------

/// Generates the seven tensor helpers for a tensor struct with `nr_dims: $nr` and
/// `dims: *mut $dim`.
macro_rules! tensor_helpers {
    ($ty:ident, $nr:ty, $dim:ty, $init:ident, $release:ident, $new:ident, $allocate:ident,
     $delete:ident, $set:ident, $take:ident) => {
        #[doc = concat!("`int ", stringify!($init), "(tensor, nr_dims, dims, type)`: copies ",
                        "`dims` (zeroed if NULL) into a calloc'd array; no data. `nr_dims < 1` → ",
                        "EINVAL.\n\n# Safety\n`tensor` must be NULL or writable; `dims` NULL or ",
                        "valid for `nr_dims` entries.")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $init(
            tensor: *mut $ty,
            nr_dims: $nr,
            dims: *const $dim,
            type_: u32,
        ) -> c_int {
            run(|| {
                // SAFETY: guaranteed by the caller.
                let t = unsafe { mut_ref(tensor) }?;
                if nr_dims < 1 {
                    return Err(Error::EINVAL);
                }
                let n = usize::try_from(nr_dims).map_err(|_| Error::ENOMEM)?;
                // SAFETY: calloc checks `n * size` itself.
                let d = unsafe { libc::calloc(n, size_of::<$dim>()) }.cast::<$dim>();
                if d.is_null() {
                    return Err(Error::ENOMEM);
                }
                if !dims.is_null() {
                    // SAFETY: `dims` holds `n` entries (caller); `d` is a fresh allocation.
                    unsafe { ptr::copy_nonoverlapping(dims, d, n) };
                }
                *t = $ty {
                    data: ptr::null_mut(),
                    size: 0,
                    owned: false,
                    nr_dims,
                    dims: d,
                    data_type: type_,
                };
                Ok(())
            })
        }

        #[doc = concat!("`int ", stringify!($release), "(tensor)`: frees `dims` and owned data, ",
                        "zeroes the tensor.\n\n# Safety\n`tensor` must be NULL or initialised.")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $release(tensor: *mut $ty) -> c_int {
            run(|| {
                // SAFETY: guaranteed by the caller.
                let t = unsafe { mut_ref(tensor) }?;
                // SAFETY: `dims` is calloc'd by `init` (or NULL); owned data is malloc'd.
                unsafe {
                    libc::free(t.dims.cast());
                    if t.owned {
                        libc::free(t.data);
                    }
                }
                *t = $ty {
                    data: ptr::null_mut(),
                    size: 0,
                    owned: false,
                    nr_dims: 0,
                    dims: ptr::null_mut(),
                    data_type: 0,
                };
                Ok(())
            })
        }

        #[doc = concat!("`int ", stringify!($new), "(tensor **, nr_dims, dims, type)`: calloc + ",
                        "init.\n\n# Safety\nAs `", stringify!($init), "`, with `tensor` NULL or ",
                        "writable.")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $new(
            tensor: *mut *mut $ty,
            nr_dims: $nr,
            dims: *const $dim,
            type_: u32,
        ) -> c_int {
            run(|| {
                // SAFETY: guaranteed by the caller; all-zero is a valid tensor.
                unsafe { new_with(tensor, |t| check_code($init(t, nr_dims, dims, type_))) }
            })
        }

        #[doc = concat!("`int ", stringify!($allocate), "(tensor **, nr_dims, dims, type, ",
                        "total_size)`: new + `total_size` calloc'd bytes of owned data (none if ",
                        "0). On failure nothing is leaked.\n\n# Safety\nAs `", stringify!($new),
                        "`.")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $allocate(
            tensor: *mut *mut $ty,
            nr_dims: $nr,
            dims: *const $dim,
            type_: u32,
            total_size: usize,
        ) -> c_int {
            run(|| {
                // SAFETY: guaranteed by the caller; all-zero is a valid tensor.
                unsafe {
                    new_with(tensor, |t| {
                        check_code($init(t, nr_dims, dims, type_))?;
                        if total_size > 0 {
                            let data = libc::calloc(1, total_size);
                            if data.is_null() {
                                // `new_with` frees the struct; free the dims here.
                                let _ = $release(t);
                                return Err(Error::ENOMEM);
                            }
                            t.data = data;
                            t.size = total_size;
                            t.owned = true;
                        }
                        Ok(())
                    })
                }
            })
        }

        #[doc = concat!("`int ", stringify!($delete), "(tensor)`: release + free.\n\n# Safety\n",
                        "`tensor` must be NULL or come from `", stringify!($new), "` / `",
                        stringify!($allocate), "`.")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $delete(tensor: *mut $ty) -> c_int {
            run(|| {
                // SAFETY: guaranteed by the caller.
                unsafe { delete_with(tensor, |t| check_code($release(t))) }
            })
        }

        #[doc = concat!("`int ", stringify!($set), "(tensor, data, size)`: references `data` ",
                        "(`owned = false`); warns if owned data is being dropped.\n\n# Safety\n",
                        "`tensor` must be NULL or initialised.")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $set(tensor: *mut $ty, data: *mut c_void, size: usize) -> c_int {
            run(|| {
                // SAFETY: guaranteed by the caller.
                let t = unsafe { mut_ref(tensor) }?;
                if t.owned {
                    vaccel_core::warn!("Previous tensor data will not be freed by release");
                }
                t.data = data;
                t.size = size;
                t.owned = false;
                Ok(())
            })
        }

        #[doc = concat!("`int ", stringify!($take), "(tensor, void **data, size_t *size)`: ",
                        "hands the data to the caller, `owned = false`.\n\n# Safety\nAll ",
                        "pointers must be NULL or valid.")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $take(
            tensor: *mut $ty,
            data: *mut *mut c_void,
            size: *mut usize,
        ) -> c_int {
            run(|| {
                if data.is_null() || size.is_null() {
                    return Err(Error::EINVAL);
                }
                // SAFETY: guaranteed by the caller.
                let t = unsafe { mut_ref(tensor) }?;
                // SAFETY: checked non-NULL; writable (caller).
                unsafe {
                    data.write(t.data);
                    size.write(t.size);
                }
                t.owned = false;
                Ok(())
            })
        }
    };
}

tensor_helpers!(
    vaccel_tf_tensor,
    c_int,
    i64,
    vaccel_tf_tensor_init,
    vaccel_tf_tensor_release,
    vaccel_tf_tensor_new,
    vaccel_tf_tensor_allocate,
    vaccel_tf_tensor_delete,
    vaccel_tf_tensor_set_data,
    vaccel_tf_tensor_take_data
);

tensor_helpers!(
    vaccel_tflite_tensor,
    c_int,
    i32,
    vaccel_tflite_tensor_init,
    vaccel_tflite_tensor_release,
    vaccel_tflite_tensor_new,
    vaccel_tflite_tensor_allocate,
    vaccel_tflite_tensor_delete,
    vaccel_tflite_tensor_set_data,
    vaccel_tflite_tensor_take_data
);

tensor_helpers!(
    vaccel_torch_tensor,
    i64,
    i64,
    vaccel_torch_tensor_init,
    vaccel_torch_tensor_release,
    vaccel_torch_tensor_new,
    vaccel_torch_tensor_allocate,
    vaccel_torch_tensor_delete,
    vaccel_torch_tensor_set_data,
    vaccel_torch_tensor_take_data
);

#[cfg(test)]
mod tests {
    use super::*;
    use vaccel_abi::{VACCEL_EINVAL, VACCEL_ENOMEM};

    /// A malloc'd copy of `bytes`.
    fn malloc_bytes(bytes: &[u8]) -> *mut c_void {
        // SAFETY: plain allocation and copy into it.
        unsafe {
            let p = libc::malloc(bytes.len());
            ptr::copy_nonoverlapping(bytes.as_ptr(), p.cast::<u8>(), bytes.len());
            p
        }
    }

    #[test]
    fn tf_and_torch_buffers() {
        // SAFETY: every pointer is a live local or a library/malloc allocation.
        unsafe {
            let mut b = vaccel_tf_buffer {
                data: ptr::null_mut(),
                size: 0,
            };
            assert_eq!(
                vaccel_tf_buffer_init(ptr::null_mut(), ptr::null_mut(), 0),
                VACCEL_EINVAL
            );
            assert_eq!(vaccel_tf_buffer_init(&mut b, malloc_bytes(b"abc"), 3), 0);
            assert_eq!(b.size, 3);
            let (mut d, mut n) = (ptr::null_mut(), 0usize);
            assert_eq!(
                vaccel_tf_buffer_take_data(&mut b, ptr::null_mut(), &mut n),
                VACCEL_EINVAL
            );
            assert_eq!(vaccel_tf_buffer_take_data(&mut b, &mut d, &mut n), 0);
            assert_eq!((b.data, b.size, n), (ptr::null_mut(), 0, 3));
            assert_eq!(vaccel_tf_buffer_release(&mut b), 0);
            libc::free(d);
            assert_eq!(vaccel_tf_buffer_init(&mut b, malloc_bytes(b"xy"), 2), 0);
            assert_eq!(vaccel_tf_buffer_release(&mut b), 0);
            assert!(b.data.is_null());
            assert_eq!(vaccel_tf_buffer_release(ptr::null_mut()), VACCEL_EINVAL);

            let mut p: *mut vaccel_tf_buffer = ptr::null_mut();
            assert_eq!(
                vaccel_tf_buffer_new(ptr::null_mut(), ptr::null_mut(), 0),
                VACCEL_EINVAL
            );
            assert_eq!(vaccel_tf_buffer_new(&mut p, malloc_bytes(b"q"), 1), 0);
            assert_eq!((*p).size, 1);
            assert_eq!(vaccel_tf_buffer_delete(p), 0);
            assert_eq!(vaccel_tf_buffer_delete(ptr::null_mut()), VACCEL_EINVAL);

            let mut t: *mut vaccel_torch_buffer = ptr::null_mut();
            assert_eq!(
                vaccel_torch_buffer_new(&mut t, malloc_bytes(b"zz").cast(), 2),
                0
            );
            assert_eq!(vaccel_torch_buffer_take_data(t, &mut d, &mut n), 0);
            assert_eq!(n, 2);
            assert_eq!(vaccel_torch_buffer_delete(t), 0);
            libc::free(d);
            let mut tb = vaccel_torch_buffer {
                data: ptr::null_mut(),
                size: 0,
            };
            assert_eq!(vaccel_torch_buffer_init(&mut tb, ptr::null_mut(), 0), 0);
            assert_eq!(vaccel_torch_buffer_release(&mut tb), 0);
        }
    }

    #[test]
    fn tf_nodes_and_status() {
        // SAFETY: every pointer is a live local or a library allocation.
        unsafe {
            let mut node = vaccel_tf_node {
                name: ptr::null_mut(),
                id: 0,
            };
            assert_eq!(
                vaccel_tf_node_init(&mut node, ptr::null(), 1),
                VACCEL_EINVAL
            );
            assert_eq!(
                vaccel_tf_node_init(&mut node, c"serving_default_input_1".as_ptr(), 3),
                0
            );
            assert_eq!(
                std::ffi::CStr::from_ptr(node.name),
                c"serving_default_input_1"
            );
            assert_eq!(node.id, 3);
            assert_eq!(vaccel_tf_node_release(&mut node), 0);
            assert_eq!((node.name, node.id), (ptr::null_mut(), -1));
            let mut np: *mut vaccel_tf_node = ptr::null_mut();
            assert_eq!(vaccel_tf_node_new(&mut np, ptr::null(), 0), VACCEL_EINVAL);
            assert!(np.is_null());
            assert_eq!(vaccel_tf_node_new(&mut np, c"out".as_ptr(), 0), 0);
            assert_eq!(vaccel_tf_node_delete(np), 0);
            assert_eq!(vaccel_tf_node_delete(ptr::null_mut()), VACCEL_EINVAL);

            let mut st = vaccel_tf_status {
                code: 0,
                message: ptr::null_mut(),
            };
            assert_eq!(
                vaccel_tf_status_init(&mut st, 1, ptr::null()),
                VACCEL_EINVAL
            );
            assert_eq!(
                vaccel_tf_status_init(&mut st, 1, c"Operation handled by noop plugin".as_ptr()),
                0
            );
            assert_eq!(st.code, 1);
            assert_eq!(vaccel_tf_status_release(&mut st), 0);
            assert_eq!((st.code, st.message), (0, ptr::null_mut()));
            let mut sp: *mut vaccel_tf_status = ptr::null_mut();
            assert_eq!(vaccel_tf_status_new(&mut sp, 2, c"x".as_ptr()), 0);
            assert_eq!((*sp).code, 2);
            assert_eq!(vaccel_tf_status_delete(sp), 0);
            assert_eq!(
                vaccel_tf_status_new(ptr::null_mut(), 2, c"x".as_ptr()),
                VACCEL_EINVAL
            );
        }
    }

    #[test]
    fn tf_tensors() {
        // SAFETY: every pointer is a live local or a library allocation.
        unsafe {
            let dims = [1i64, 30];
            let mut t: *mut vaccel_tf_tensor = ptr::null_mut();
            assert_eq!(
                vaccel_tf_tensor_new(&mut t, 0, dims.as_ptr(), 1),
                VACCEL_EINVAL
            );
            assert_eq!(
                vaccel_tf_tensor_new(&mut t, -1, dims.as_ptr(), 1),
                VACCEL_EINVAL
            );
            assert!(t.is_null());
            assert_eq!(vaccel_tf_tensor_new(&mut t, 2, dims.as_ptr(), 1), 0);
            assert_eq!(((*t).nr_dims, (*t).data_type, (*t).owned), (2, 1, false));
            assert_eq!(std::slice::from_raw_parts((*t).dims, 2), &dims);
            assert!((*t).data.is_null());
            let mut input = [0f32; 30];
            assert_eq!(
                vaccel_tf_tensor_set_data(t, input.as_mut_ptr().cast(), 120),
                0
            );
            assert_eq!(((*t).size, (*t).owned), (120, false));
            let (mut d, mut n) = (ptr::null_mut(), 0usize);
            assert_eq!(vaccel_tf_tensor_take_data(t, &mut d, &mut n), 0);
            assert_eq!((d, n), (input.as_mut_ptr().cast(), 120));
            assert_eq!(vaccel_tf_tensor_delete(t), 0);

            assert_eq!(vaccel_tf_tensor_allocate(&mut t, 2, ptr::null(), 1, 64), 0);
            assert_eq!(std::slice::from_raw_parts((*t).dims, 2), &[0, 0]);
            assert_eq!(((*t).size, (*t).owned), (64, true));
            assert_eq!(
                std::slice::from_raw_parts((*t).data.cast::<u8>(), 64),
                &[0u8; 64]
            );
            // Replacing owned data warns and leaves it to the caller.
            let owned = (*t).data;
            assert_eq!(vaccel_tf_tensor_set_data(t, ptr::null_mut(), 0), 0);
            libc::free(owned);
            assert_eq!(vaccel_tf_tensor_delete(t), 0);

            assert_eq!(vaccel_tf_tensor_allocate(&mut t, 1, dims.as_ptr(), 1, 0), 0);
            assert!((*t).data.is_null() && !(*t).owned);
            assert_eq!(vaccel_tf_tensor_delete(t), 0);

            let mut on_stack = vaccel_tf_tensor {
                data: ptr::null_mut(),
                size: 0,
                owned: false,
                nr_dims: 0,
                dims: ptr::null_mut(),
                data_type: 0,
            };
            assert_eq!(vaccel_tf_tensor_init(&mut on_stack, 1, dims.as_ptr(), 3), 0);
            assert_eq!(vaccel_tf_tensor_release(&mut on_stack), 0);
            assert_eq!(
                (on_stack.nr_dims, on_stack.dims, on_stack.data_type),
                (0, ptr::null_mut(), 0)
            );
            assert_eq!(vaccel_tf_tensor_release(ptr::null_mut()), VACCEL_EINVAL);
            assert_eq!(
                vaccel_tf_tensor_set_data(ptr::null_mut(), ptr::null_mut(), 0),
                VACCEL_EINVAL
            );
            assert_eq!(
                vaccel_tf_tensor_take_data(&mut on_stack, &mut d, ptr::null_mut()),
                VACCEL_EINVAL
            );
        }
    }

    #[test]
    fn tflite_and_torch_tensors() {
        // SAFETY: every pointer is a live local or a library allocation.
        unsafe {
            let dims32 = [1i32, 30];
            let mut t: *mut vaccel_tflite_tensor = ptr::null_mut();
            assert_eq!(
                vaccel_tflite_tensor_allocate(&mut t, 2, dims32.as_ptr(), 1, 120),
                0
            );
            assert_eq!(std::slice::from_raw_parts((*t).dims, 2), &dims32);
            assert_eq!(((*t).size, (*t).owned), (120, true));
            let (mut d, mut n) = (ptr::null_mut(), 0usize);
            assert_eq!(vaccel_tflite_tensor_take_data(t, &mut d, &mut n), 0);
            assert!(!(*t).owned);
            assert_eq!(vaccel_tflite_tensor_delete(t), 0);
            libc::free(d);
            // A data allocation that cannot succeed returns ENOMEM and leaves nothing behind.
            t = ptr::null_mut();
            assert_eq!(
                vaccel_tflite_tensor_allocate(&mut t, 2, dims32.as_ptr(), 1, usize::MAX),
                VACCEL_ENOMEM
            );
            assert!(t.is_null());
            assert_eq!(
                vaccel_tflite_tensor_new(&mut t, 0, dims32.as_ptr(), 1),
                VACCEL_EINVAL
            );

            let dims = [1i64, 3, 224, 224];
            let mut tt: *mut vaccel_torch_tensor = ptr::null_mut();
            assert_eq!(vaccel_torch_tensor_new(&mut tt, 4, dims.as_ptr(), 7), 0);
            assert_eq!(((*tt).nr_dims, (*tt).data_type), (4, 7));
            assert_eq!(std::slice::from_raw_parts((*tt).dims, 4), &dims);
            let mut buf = [0u8; 8];
            assert_eq!(
                vaccel_torch_tensor_set_data(tt, buf.as_mut_ptr().cast(), 8),
                0
            );
            assert_eq!(vaccel_torch_tensor_delete(tt), 0);
            // Torch `new` reports an impossible dims allocation as ENOMEM.
            assert_eq!(
                vaccel_torch_tensor_new(&mut tt, i64::MAX, ptr::null(), 7),
                VACCEL_ENOMEM
            );
            assert_eq!(
                vaccel_torch_tensor_allocate(&mut tt, 0, dims.as_ptr(), 7, 8),
                VACCEL_EINVAL
            );
            assert_eq!(
                vaccel_torch_tensor_allocate(ptr::null_mut(), 1, dims.as_ptr(), 7, 8),
                VACCEL_EINVAL
            );
        }
    }
}
