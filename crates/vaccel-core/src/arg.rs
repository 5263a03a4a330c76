//! Single arguments and argument arrays (spec §12).
//!
//! These functions work directly on the C structs `vaccel_arg` and `vaccel_arg_array`, which
//! applications allocate themselves and plugins read field by field. Every buffer whose ownership
//! crosses the C boundary (owned argument buffers, array storage, serializer output) is allocated
//! and freed with libc `malloc`/`calloc`/`realloc`/`free`.
//!
//! Arrays have a cursor (`position`): getters and setters act on the argument at the cursor and
//! advance it only on success; past the end is `ERANGE`, a wrong type or size is `EINVAL`.
//! Adders append to the array, doubling its storage when it is owned and full; a wrapped array
//! (a fixed view over caller storage) returns `ERANGE` when full. Adders reference the caller's
//! memory (`owned = false`), except `add_serialized` and copying ranges, whose buffers the array
//! owns.

use std::ffi::{c_char, c_int, c_void};
use std::mem::size_of;
use std::ptr;

use vaccel_abi::{ArgType, VACCEL_ARG_MAX, vaccel_arg, vaccel_arg_array};

use crate::error::{Error, Result, check};

/// Capacity of an array initialised with capacity 0.
pub const DEFAULT_CAPACITY: usize = 8;

/// `vaccel_arg_type_validator_fn`: whether `size` bytes at `buf` are a valid value of the custom
/// type `custom_id`.
pub type ValidatorFn =
    unsafe extern "C" fn(buf: *const c_void, size: usize, custom_id: u32) -> bool;

/// `vaccel_arg_serializer_fn`: serialises `data_size` bytes of `data` into a new malloc'd buffer
/// returned through `buf`/`size`; returns a vAccel code.
pub type SerializerFn = unsafe extern "C" fn(
    data: *const c_void,
    data_size: usize,
    custom_id: u32,
    buf: *mut *mut c_void,
    size: *mut usize,
) -> c_int;

/// `vaccel_arg_deserializer_fn`: deserialises `size` bytes of `buf` into `data` (`data_size`
/// bytes); returns a vAccel code.
pub type DeserializerFn = unsafe extern "C" fn(
    buf: *const c_void,
    size: usize,
    custom_id: u32,
    data_size: usize,
    data: *mut c_void,
) -> c_int;

// ---------------------------------------------------------------------------------------------
// Memory helpers
// ---------------------------------------------------------------------------------------------

/// A malloc'd copy of `size` bytes at `src` (zero-filled when `src` is NULL); NULL for size 0.
///
/// # Safety
/// `src` must be NULL or readable for `size` bytes.
unsafe fn dup_bytes(src: *const c_void, size: usize) -> Result<*mut c_void> {
    if size == 0 {
        return Ok(ptr::null_mut());
    }
    // SAFETY: malloc with a non-zero size has no preconditions.
    let buf = unsafe { libc::malloc(size) };
    if buf.is_null() {
        return Err(Error::ENOMEM);
    }
    if src.is_null() {
        // SAFETY: `buf` was just allocated with `size` bytes.
        unsafe { ptr::write_bytes(buf.cast::<u8>(), 0, size) };
    } else {
        // SAFETY: the caller guarantees `src` is readable for `size` bytes; `buf` is a fresh
        // allocation of that size, so the two cannot overlap.
        unsafe { ptr::copy_nonoverlapping(src.cast::<u8>(), buf.cast::<u8>(), size) };
    }
    Ok(buf)
}

/// The bytes at `buf`, or an empty slice for NULL / size 0.
///
/// # Safety
/// `buf` must be NULL or readable for `size` bytes for the returned lifetime.
unsafe fn bytes<'a>(buf: *const c_void, size: usize) -> &'a [u8] {
    if buf.is_null() || size == 0 {
        return &[];
    }
    // SAFETY: guaranteed by the caller.
    unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), size) }
}

/// A released argument: no buffer, type `VACCEL_ARG_MAX`.
const fn released_arg() -> vaccel_arg {
    vaccel_arg {
        buf: ptr::null_mut(),
        size: 0,
        type_: VACCEL_ARG_MAX,
        custom_type_id: 0,
        owned: false,
    }
}

/// An empty, released array.
const fn released_array() -> vaccel_arg_array {
    vaccel_arg_array {
        args: ptr::null_mut(),
        count: 0,
        capacity: 0,
        position: 0,
        owned: false,
    }
}

// ---------------------------------------------------------------------------------------------
// Validation (§12.3)
// ---------------------------------------------------------------------------------------------

/// Whether `size` bytes at `buf` are a valid value of the built-in type `ty` (§12.3): numeric
/// scalars have exactly the element size, `*_ARRAY` values are non-empty multiples of it, BOOL
/// bytes are 0 or 1, STRING ends with NUL, BUFFER is non-empty. RAW and CUSTOM always pass
/// (custom types are checked by their validators).
///
/// # Safety
/// `buf` must be NULL or readable for `size` bytes.
pub unsafe fn validate(buf: *const c_void, size: usize, ty: ArgType) -> bool {
    match ty {
        ArgType::Raw | ArgType::Custom => true,
        ArgType::Buffer => !buf.is_null() && size > 0,
        ArgType::String => {
            // SAFETY: guaranteed by the caller.
            let b = unsafe { bytes(buf, size) };
            b.last() == Some(&0)
        }
        _ => {
            let Some(elem) = ty.element_size() else {
                return false;
            };
            if buf.is_null() {
                return false;
            }
            let size_ok = if ty.is_array() {
                size > 0 && size.is_multiple_of(elem)
            } else {
                size == elem
            };
            // SAFETY: guaranteed by the caller; checked non-NULL above.
            size_ok && (!ty.is_bool() || unsafe { bytes(buf, size) }.iter().all(|b| *b <= 1))
        }
    }
}

/// The argument type with this number; EINVAL for `MAX` and beyond.
fn arg_type(n: u32) -> Result<ArgType> {
    ArgType::from_u32(n).ok_or(Error::EINVAL)
}

/// Whether `T` is Rust's `bool`, for which only the bytes 0 and 1 are valid values.
fn is_rust_bool<T>() -> bool {
    std::any::type_name::<T>() == "bool"
}

/// Checks that `T` is the element type of the numeric type `ty`.
fn check_elem<T>(ty: ArgType) -> Result<()> {
    match ty.element_size() {
        Some(n) if n == size_of::<T>() => Ok(()),
        _ => Err(Error::EINVAL),
    }
}

// ---------------------------------------------------------------------------------------------
// Single arguments (§12.1)
// ---------------------------------------------------------------------------------------------

/// `vaccel_arg_init`: an owned copy of `size` bytes at `buf` (zero-filled when `buf` is NULL).
/// EINVAL if `buf` is non-NULL and `size` is 0.
///
/// # Safety
/// `buf` must be NULL or readable for `size` bytes. A buffer `arg` owned before is not freed.
pub unsafe fn arg_init(
    arg: &mut vaccel_arg,
    buf: *const c_void,
    size: usize,
    ty: u32,
    custom_id: u32,
) -> Result<()> {
    if !buf.is_null() && size == 0 {
        return Err(Error::EINVAL);
    }
    // SAFETY: guaranteed by the caller.
    let data = unsafe { dup_bytes(buf, size) }?;
    *arg = vaccel_arg {
        buf: data,
        size,
        type_: ty,
        custom_type_id: custom_id,
        owned: true,
    };
    Ok(())
}

/// `vaccel_arg_init_from_buf`: a reference to `buf` (`owned = false`). EINVAL if exactly one of
/// `buf`/`size` is NULL/0.
pub fn arg_init_from_buf(
    arg: &mut vaccel_arg,
    buf: *mut c_void,
    size: usize,
    ty: u32,
    custom_id: u32,
) -> Result<()> {
    if buf.is_null() != (size == 0) {
        return Err(Error::EINVAL);
    }
    *arg = vaccel_arg {
        buf,
        size,
        type_: ty,
        custom_type_id: custom_id,
        owned: false,
    };
    Ok(())
}

/// `vaccel_arg_release`: frees the buffer if owned, then resets the argument (`type = MAX`).
///
/// # Safety
/// If `arg.owned`, `arg.buf` must be NULL or a live malloc'd buffer.
pub unsafe fn arg_release(arg: &mut vaccel_arg) {
    if arg.owned && !arg.buf.is_null() {
        // SAFETY: owned buffers are malloc'd by this module (or handed over by a serializer).
        unsafe { libc::free(arg.buf) };
    }
    *arg = released_arg();
}

/// Mallocs an argument and initialises it with `init`; the struct is freed if `init` fails.
fn arg_alloc(init: impl FnOnce(&mut vaccel_arg) -> Result<()>) -> Result<*mut vaccel_arg> {
    // SAFETY: calloc has no preconditions.
    let p = unsafe { libc::calloc(1, size_of::<vaccel_arg>()) }.cast::<vaccel_arg>();
    if p.is_null() {
        return Err(Error::ENOMEM);
    }
    // SAFETY: `p` is a fresh, zeroed allocation of one `vaccel_arg`; all-zero is a valid value.
    let r = init(unsafe { &mut *p });
    if r.is_err() {
        // SAFETY: `p` came from calloc above and nothing else refers to it.
        unsafe { libc::free(p.cast()) };
    }
    r.map(|()| p)
}

/// `vaccel_arg_new`: a malloc'd argument initialised as by [`arg_init`].
///
/// # Safety
/// As [`arg_init`].
pub unsafe fn arg_new(
    buf: *const c_void,
    size: usize,
    ty: u32,
    custom_id: u32,
) -> Result<*mut vaccel_arg> {
    // SAFETY: forwarded from the caller.
    arg_alloc(|a| unsafe { arg_init(a, buf, size, ty, custom_id) })
}

/// `vaccel_arg_from_buf`: a malloc'd argument initialised as by [`arg_init_from_buf`].
pub fn arg_from_buf(
    buf: *mut c_void,
    size: usize,
    ty: u32,
    custom_id: u32,
) -> Result<*mut vaccel_arg> {
    arg_alloc(|a| arg_init_from_buf(a, buf, size, ty, custom_id))
}

/// `vaccel_arg_delete`: releases and frees an argument from [`arg_new`] / [`arg_from_buf`].
///
/// # Safety
/// `arg` must be NULL or a live argument malloc'd by this module.
pub unsafe fn arg_delete(arg: *mut vaccel_arg) -> Result<()> {
    if arg.is_null() {
        return Err(Error::EINVAL);
    }
    // SAFETY: guaranteed by the caller.
    unsafe { arg_release(&mut *arg) };
    // SAFETY: `arg` was malloc'd by `arg_alloc`.
    unsafe { libc::free(arg.cast()) };
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Arrays (§12.2)
// ---------------------------------------------------------------------------------------------

/// `vaccel_arg_array_init`: calloc'd storage for `capacity` arguments (0 means
/// [`DEFAULT_CAPACITY`]); `owned = true`, count and position 0.
pub fn init(a: &mut vaccel_arg_array, capacity: usize) -> Result<()> {
    let capacity = if capacity == 0 {
        DEFAULT_CAPACITY
    } else {
        capacity
    };
    // SAFETY: calloc has no preconditions (it checks the multiplication itself).
    let args = unsafe { libc::calloc(capacity, size_of::<vaccel_arg>()) }.cast::<vaccel_arg>();
    if args.is_null() {
        return Err(Error::ENOMEM);
    }
    *a = vaccel_arg_array {
        args,
        count: 0,
        capacity,
        position: 0,
        owned: true,
    };
    Ok(())
}

/// `vaccel_arg_array_wrap`: a fixed-size, not-owned view over `count` caller arguments.
/// EINVAL if `args` is NULL and `count > 0`.
pub fn wrap(args: *mut vaccel_arg, count: usize) -> Result<vaccel_arg_array> {
    if args.is_null() && count > 0 {
        return Err(Error::EINVAL);
    }
    Ok(vaccel_arg_array {
        args,
        count,
        capacity: count,
        position: 0,
        owned: false,
    })
}

/// The arguments of the array, as a mutable slice (empty if there is no storage).
///
/// # Safety
/// `a.args` must be NULL or valid for `a.count` arguments.
unsafe fn slots<'a>(a: &vaccel_arg_array) -> &'a mut [vaccel_arg] {
    if a.args.is_null() || a.count == 0 {
        return &mut [];
    }
    // SAFETY: guaranteed by the caller.
    unsafe { std::slice::from_raw_parts_mut(a.args, a.count) }
}

/// `vaccel_arg_array_release`: for an owned array, releases every argument (freeing owned
/// buffers) and frees the storage; then resets the array. EINVAL if `args` is NULL.
///
/// # Safety
/// `a` must be initialised by [`init`] or [`wrap`] (or be all-zero).
pub unsafe fn release(a: &mut vaccel_arg_array) -> Result<()> {
    if a.args.is_null() {
        return Err(Error::EINVAL);
    }
    if a.owned {
        // SAFETY: guaranteed by the caller.
        for arg in unsafe { slots(a) } {
            // SAFETY: arguments in an array follow the ownership rules of this module.
            unsafe { arg_release(arg) };
        }
        // SAFETY: owned storage comes from calloc/realloc in this module.
        unsafe { libc::free(a.args.cast()) };
    }
    *a = released_array();
    Ok(())
}

/// `vaccel_arg_array_clear`: releases every argument; count and position become 0, the storage
/// and capacity are kept.
///
/// # Safety
/// As [`release`].
pub unsafe fn clear(a: &mut vaccel_arg_array) {
    // SAFETY: guaranteed by the caller.
    for arg in unsafe { slots(a) } {
        // SAFETY: arguments in an array follow the ownership rules of this module.
        unsafe { arg_release(arg) };
    }
    a.count = 0;
    a.position = 0;
}

/// `vaccel_arg_array_new`: a malloc'd array initialised by [`init`].
pub fn new(capacity: usize) -> Result<*mut vaccel_arg_array> {
    // SAFETY: calloc has no preconditions.
    let p = unsafe { libc::calloc(1, size_of::<vaccel_arg_array>()) }.cast::<vaccel_arg_array>();
    if p.is_null() {
        return Err(Error::ENOMEM);
    }
    // SAFETY: `p` is a fresh, zeroed allocation; all-zero is a valid array value.
    if let Err(e) = init(unsafe { &mut *p }, capacity) {
        // SAFETY: `p` came from calloc above.
        unsafe { libc::free(p.cast()) };
        return Err(e);
    }
    Ok(p)
}

/// `vaccel_arg_array_delete`: releases (if it still has storage) and frees an array from
/// [`new`]. Unlike upstream, the struct is freed even if it was released before.
///
/// # Safety
/// `a` must be NULL or a live array malloc'd by [`new`].
pub unsafe fn delete(a: *mut vaccel_arg_array) -> Result<()> {
    if a.is_null() {
        return Err(Error::EINVAL);
    }
    // SAFETY: guaranteed by the caller.
    let arr = unsafe { &mut *a };
    if !arr.args.is_null() {
        // SAFETY: guaranteed by the caller; storage is present (checked).
        unsafe { release(arr) }?;
    }
    // SAFETY: `a` was malloc'd by `new`.
    unsafe { libc::free(a.cast()) };
    Ok(())
}

/// Makes room for `n` more arguments: doubles owned storage as needed; ERANGE when a wrapped
/// array lacks room; EINVAL for an array without storage.
///
/// # Safety
/// `a` must be initialised by [`init`] or [`wrap`].
unsafe fn reserve(a: &mut vaccel_arg_array, n: usize) -> Result<()> {
    if a.args.is_null() {
        return Err(Error::EINVAL);
    }
    let needed = a.count.checked_add(n).ok_or(Error::ERANGE)?;
    if needed <= a.capacity {
        return Ok(());
    }
    if !a.owned {
        return Err(Error::ERANGE);
    }
    let mut capacity = a.capacity.max(1);
    while capacity < needed {
        capacity = capacity.checked_mul(2).ok_or(Error::ENOMEM)?;
    }
    let bytes = capacity
        .checked_mul(size_of::<vaccel_arg>())
        .ok_or(Error::ENOMEM)?;
    // SAFETY: owned storage comes from calloc/realloc in this module.
    let args = unsafe { libc::realloc(a.args.cast(), bytes) }.cast::<vaccel_arg>();
    if args.is_null() {
        return Err(Error::ENOMEM);
    }
    let old = a.capacity.min(capacity);
    // SAFETY: the new storage holds `capacity` arguments; zero the slots past the old ones.
    unsafe { ptr::write_bytes(args.add(old), 0, capacity - old) };
    a.args = args;
    a.capacity = capacity;
    Ok(())
}

/// Appends one argument.
///
/// # Safety
/// As [`reserve`].
unsafe fn push(a: &mut vaccel_arg_array, arg: vaccel_arg) -> Result<()> {
    // SAFETY: forwarded from the caller.
    unsafe { reserve(a, 1) }?;
    // SAFETY: `reserve` guarantees a slot at index `count`.
    unsafe { a.args.add(a.count).write(arg) };
    a.count += 1;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Adding (§12.3)
// ---------------------------------------------------------------------------------------------

/// Adds a reference to `size` bytes at `buf` as an argument of the built-in type `ty`, after
/// the §12.3 validation (EINVAL). CUSTOM is refused here: use [`add_custom`].
///
/// # Safety
/// `a` must be initialised; `buf` must be NULL or readable for `size` bytes, and stay valid while
/// the array references it.
pub unsafe fn add_typed(
    a: &mut vaccel_arg_array,
    ty: ArgType,
    buf: *mut c_void,
    size: usize,
) -> Result<()> {
    // SAFETY: guaranteed by the caller.
    if ty == ArgType::Custom || !unsafe { validate(buf, size, ty) } {
        return Err(Error::EINVAL);
    }
    let arg = vaccel_arg {
        buf,
        size,
        type_: ty as u32,
        custom_type_id: 0,
        owned: false,
    };
    // SAFETY: guaranteed by the caller.
    unsafe { push(a, arg) }
}

/// `add_<T>`: a reference to one value of the numeric scalar type `ty` (`T` its element type).
///
/// # Safety
/// As [`add_typed`], with `value` NULL or pointing to a `T`.
pub unsafe fn add_scalar<T>(a: &mut vaccel_arg_array, ty: ArgType, value: *mut T) -> Result<()> {
    check_elem::<T>(ty)?;
    // SAFETY: forwarded from the caller.
    unsafe { add_typed(a, ty, value.cast(), size_of::<T>()) }
}

/// `add_<T>_array`: a reference to `count` values of the numeric array type `ty`.
///
/// # Safety
/// As [`add_typed`], with `values` NULL or pointing to `count` values of `T`.
pub unsafe fn add_array<T>(
    a: &mut vaccel_arg_array,
    ty: ArgType,
    values: *mut T,
    count: usize,
) -> Result<()> {
    check_elem::<T>(ty)?;
    let size = count.checked_mul(size_of::<T>()).ok_or(Error::EINVAL)?;
    // SAFETY: forwarded from the caller.
    unsafe { add_typed(a, ty, values.cast(), size) }
}

/// `add_raw`: a reference to untyped bytes (unchecked).
///
/// # Safety
/// As [`add_typed`].
pub unsafe fn add_raw(a: &mut vaccel_arg_array, buf: *mut c_void, size: usize) -> Result<()> {
    // SAFETY: forwarded from the caller.
    unsafe { add_typed(a, ArgType::Raw, buf, size) }
}

/// `add_string`: a reference to a C string, `size = strlen + 1`.
///
/// # Safety
/// As [`add_typed`], with `s` NULL or a NUL-terminated string.
pub unsafe fn add_string(a: &mut vaccel_arg_array, s: *mut c_char) -> Result<()> {
    if s.is_null() {
        return Err(Error::EINVAL);
    }
    // SAFETY: `s` is a NUL-terminated string (caller).
    let size = unsafe { libc::strlen(s) } + 1;
    // SAFETY: forwarded from the caller; `s` is readable for `size` bytes.
    unsafe { add_typed(a, ArgType::String, s.cast(), size) }
}

/// `add_buffer`: a reference to a non-empty opaque buffer.
///
/// # Safety
/// As [`add_typed`].
pub unsafe fn add_buffer(a: &mut vaccel_arg_array, buf: *mut c_void, size: usize) -> Result<()> {
    // SAFETY: forwarded from the caller.
    unsafe { add_typed(a, ArgType::Buffer, buf, size) }
}

/// `add_custom`: a reference to a value of the custom type `custom_id`; the validator (when
/// given) must accept it. EINVAL for a NULL buffer with a non-zero size.
///
/// # Safety
/// As [`add_typed`]; `validator` must be safe to call on the buffer.
pub unsafe fn add_custom(
    a: &mut vaccel_arg_array,
    custom_id: u32,
    buf: *mut c_void,
    size: usize,
    validator: Option<ValidatorFn>,
) -> Result<()> {
    if buf.is_null() && size > 0 {
        return Err(Error::EINVAL);
    }
    if let Some(v) = validator {
        // SAFETY: the caller's validator is called on the caller's buffer.
        if !unsafe { v(buf, size, custom_id) } {
            return Err(Error::EINVAL);
        }
    }
    let arg = vaccel_arg {
        buf,
        size,
        type_: ArgType::Custom as u32,
        custom_type_id: custom_id,
        owned: false,
    };
    // SAFETY: guaranteed by the caller.
    unsafe { push(a, arg) }
}

/// Calls a serializer and returns its malloc'd output.
///
/// # Safety
/// `data` must be what `serializer` expects.
unsafe fn serialize(
    serializer: SerializerFn,
    data: *const c_void,
    data_size: usize,
    custom_id: u32,
) -> Result<(*mut c_void, usize)> {
    let mut buf: *mut c_void = ptr::null_mut();
    let mut size = 0usize;
    // SAFETY: the out-pointers refer to live locals; `data` is the caller's.
    check(unsafe { serializer(data, data_size, custom_id, &mut buf, &mut size) })?;
    if buf.is_null() && size > 0 {
        return Err(Error::EINVAL);
    }
    Ok((buf, size))
}

/// `add_serialized`: serialises `data` and adds the output as an **owned** argument of type
/// `ty` (built-in types are validated, CUSTOM records `custom_id`). The serializer's return code
/// is passed through.
///
/// # Safety
/// `a` must be initialised; `data` must be what `serializer` expects; the serializer output
/// must be malloc'd.
pub unsafe fn add_serialized(
    a: &mut vaccel_arg_array,
    ty: u32,
    custom_id: u32,
    data: *const c_void,
    data_size: usize,
    serializer: SerializerFn,
) -> Result<()> {
    let ty = arg_type(ty)?;
    if a.args.is_null() {
        return Err(Error::EINVAL);
    }
    // SAFETY: forwarded from the caller.
    let (buf, size) = unsafe { serialize(serializer, data, data_size, custom_id) }?;
    let arg = vaccel_arg {
        buf,
        size,
        type_: ty as u32,
        custom_type_id: custom_id,
        owned: true,
    };
    // SAFETY: `buf` is the serializer's output of `size` bytes.
    let r = if unsafe { validate(buf, size, ty) } {
        // SAFETY: `a` is initialised (caller).
        unsafe { push(a, arg) }
    } else {
        Err(Error::EINVAL)
    };
    if r.is_err() && !buf.is_null() {
        // SAFETY: the serializer's output is malloc'd and was not stored.
        unsafe { libc::free(buf) };
    }
    r
}

/// Copies of the arguments `start..start + n` of `src` (the structs, not their buffers).
/// ERANGE if `start >= src.count` or the range passes the end.
///
/// # Safety
/// `src` must be initialised.
pub unsafe fn range_of(src: &vaccel_arg_array, start: usize, n: usize) -> Result<Vec<vaccel_arg>> {
    let end = start.checked_add(n).ok_or(Error::ERANGE)?;
    if start >= src.count || end > src.count {
        return Err(Error::ERANGE);
    }
    if src.args.is_null() {
        return Err(Error::EINVAL);
    }
    // SAFETY: guaranteed by the caller; `start..end` is within `count`.
    Ok(unsafe { slots(src) }[start..end].to_vec())
}

/// Appends the arguments `args`: duplicated into new owned buffers (`copy`) or referenced.
/// All or nothing: on failure `dest` is left as it was.
///
/// # Safety
/// `dest` must be initialised; every argument's buffer must be readable for its size.
pub unsafe fn add_args(dest: &mut vaccel_arg_array, args: &[vaccel_arg], copy: bool) -> Result<()> {
    // SAFETY: guaranteed by the caller.
    unsafe { reserve(dest, args.len()) }?;
    let start = dest.count;
    for src in args {
        let arg = if copy {
            // SAFETY: the source buffer is readable for its size (caller).
            match unsafe { dup_bytes(src.buf, src.size) } {
                Ok(buf) => vaccel_arg {
                    buf,
                    owned: true,
                    ..*src
                },
                Err(e) => {
                    // SAFETY: the arguments from `start` were added by this call.
                    for added in unsafe { slots(dest) }[start..].iter_mut() {
                        // SAFETY: they are owned copies made above.
                        unsafe { arg_release(added) };
                    }
                    dest.count = start;
                    return Err(e);
                }
            }
        } else {
            vaccel_arg {
                owned: false,
                ..*src
            }
        };
        // SAFETY: `reserve` made room for every argument.
        unsafe { push(dest, arg) }?;
    }
    Ok(())
}

/// `add_range`: appends `n` arguments of `src` from `start` (see [`range_of`], [`add_args`]).
///
/// # Safety
/// Both arrays must be initialised.
pub unsafe fn add_range(
    dest: &mut vaccel_arg_array,
    src: &vaccel_arg_array,
    start: usize,
    n: usize,
    copy: bool,
) -> Result<()> {
    // SAFETY: guaranteed by the caller.
    let args = unsafe { range_of(src, start, n) }?;
    // SAFETY: guaranteed by the caller.
    unsafe { add_args(dest, &args, copy) }
}

/// The arguments `add_remaining` appends: those from `src.position` to the end (none when the
/// cursor is at or past the end).
///
/// # Safety
/// `src` must be initialised.
pub unsafe fn remaining_of(src: &vaccel_arg_array) -> Result<Vec<vaccel_arg>> {
    match remaining_count(src) {
        0 => Ok(Vec::new()),
        // SAFETY: guaranteed by the caller.
        n => unsafe { range_of(src, src.position, n) },
    }
}

/// The arguments `add_all` appends: all of `src`.
///
/// # Safety
/// `src` must be initialised.
pub unsafe fn all_of(src: &vaccel_arg_array) -> Result<Vec<vaccel_arg>> {
    match src.count {
        0 => Ok(Vec::new()),
        // SAFETY: guaranteed by the caller.
        n => unsafe { range_of(src, 0, n) },
    }
}

/// `add_remaining`: appends the arguments from `src`'s cursor to its end.
///
/// # Safety
/// Both arrays must be initialised.
pub unsafe fn add_remaining(
    dest: &mut vaccel_arg_array,
    src: &vaccel_arg_array,
    copy: bool,
) -> Result<()> {
    // SAFETY: guaranteed by the caller.
    let args = unsafe { remaining_of(src) }?;
    // SAFETY: guaranteed by the caller.
    unsafe { add_args(dest, &args, copy) }
}

/// `add_all`: appends every argument of `src`.
///
/// # Safety
/// Both arrays must be initialised.
pub unsafe fn add_all(
    dest: &mut vaccel_arg_array,
    src: &vaccel_arg_array,
    copy: bool,
) -> Result<()> {
    // SAFETY: guaranteed by the caller.
    let args = unsafe { all_of(src) }?;
    // SAFETY: guaranteed by the caller.
    unsafe { add_args(dest, &args, copy) }
}

// ---------------------------------------------------------------------------------------------
// The cursor (§12.4)
// ---------------------------------------------------------------------------------------------

/// Runs `f` on the argument at the cursor and advances the cursor if it succeeds. ERANGE past
/// the end; EINVAL for an array without storage.
///
/// # Safety
/// `a` must be initialised.
unsafe fn at_cursor<R>(
    a: &mut vaccel_arg_array,
    f: impl FnOnce(&mut vaccel_arg) -> Result<R>,
) -> Result<R> {
    if a.position >= a.count {
        return Err(Error::ERANGE);
    }
    if a.args.is_null() {
        return Err(Error::EINVAL);
    }
    // SAFETY: `position < count` and the storage holds `count` arguments (caller).
    let r = f(unsafe { &mut *a.args.add(a.position) })?;
    a.position += 1;
    Ok(r)
}

/// EINVAL unless the argument has type `ty`.
fn expect_type(arg: &vaccel_arg, ty: ArgType) -> Result<()> {
    if arg.type_ == ty as u32 {
        Ok(())
    } else {
        Err(Error::EINVAL)
    }
}

/// EINVAL unless the argument has type CUSTOM and id `custom_id`.
fn expect_custom(arg: &vaccel_arg, custom_id: u32) -> Result<()> {
    expect_type(arg, ArgType::Custom)?;
    if arg.custom_type_id == custom_id {
        Ok(())
    } else {
        Err(Error::EINVAL)
    }
}

/// EINVAL unless the argument holds a valid value of `ty` (§12.3).
///
/// # Safety
/// The argument's buffer must be readable for its size.
unsafe fn expect_valid(arg: &vaccel_arg, ty: ArgType) -> Result<()> {
    expect_type(arg, ty)?;
    // SAFETY: guaranteed by the caller.
    if unsafe { validate(arg.buf, arg.size, ty) } {
        Ok(())
    } else {
        Err(Error::EINVAL)
    }
}

/// Reads a scalar: the argument at the cursor must have type `ty` and exactly `size_of::<T>()`
/// bytes (BOOL: 0 or 1).
///
/// # Safety
/// `a` must be initialised and its arguments' buffers readable for their sizes. `T` must be
/// valid for every bit pattern of its size, or be `bool` (whose bytes are checked).
pub unsafe fn get_scalar<T: Copy>(a: &mut vaccel_arg_array, ty: ArgType) -> Result<T> {
    // SAFETY: guaranteed by the caller.
    unsafe {
        at_cursor(a, |arg| {
            expect_valid(arg, ty)?;
            if arg.size != size_of::<T>() || arg.buf.is_null() {
                return Err(Error::EINVAL);
            }
            if is_rust_bool::<T>() && bytes(arg.buf, arg.size).iter().any(|b| *b > 1) {
                return Err(Error::EINVAL);
            }
            // SAFETY (block): the buffer holds `size_of::<T>()` bytes forming a valid `T`.
            Ok(arg.buf.cast::<T>().read_unaligned())
        })
    }
}

/// Reads an array: the argument at the cursor must have type `ty` and a non-empty size that is
/// a multiple of `size_of::<T>()`. Returns a pointer into the argument's buffer and the element
/// count.
///
/// # Safety
/// As [`get_scalar`].
pub unsafe fn get_array<T>(a: &mut vaccel_arg_array, ty: ArgType) -> Result<(*mut T, usize)> {
    let elem = size_of::<T>();
    // SAFETY: guaranteed by the caller.
    unsafe {
        at_cursor(a, |arg| {
            expect_valid(arg, ty)?;
            if elem == 0 || arg.buf.is_null() || arg.size == 0 || arg.size % elem != 0 {
                return Err(Error::EINVAL);
            }
            if is_rust_bool::<T>() && bytes(arg.buf, arg.size).iter().any(|b| *b > 1) {
                return Err(Error::EINVAL);
            }
            Ok((arg.buf.cast::<T>(), arg.size / elem))
        })
    }
}

/// Reads a STRING (its last byte must be NUL).
///
/// # Safety
/// As [`get_scalar`].
pub unsafe fn get_string(a: &mut vaccel_arg_array) -> Result<*mut c_char> {
    // SAFETY: guaranteed by the caller.
    unsafe {
        at_cursor(a, |arg| {
            expect_valid(arg, ArgType::String).map(|()| arg.buf.cast())
        })
    }
}

/// Reads a BUFFER (non-NULL, non-empty).
///
/// # Safety
/// As [`get_scalar`].
pub unsafe fn get_buffer(a: &mut vaccel_arg_array) -> Result<(*mut c_void, usize)> {
    // SAFETY: guaranteed by the caller.
    unsafe {
        at_cursor(a, |arg| {
            expect_valid(arg, ArgType::Buffer).map(|()| (arg.buf, arg.size))
        })
    }
}

/// Reads a RAW argument.
///
/// # Safety
/// As [`get_scalar`].
pub unsafe fn get_raw(a: &mut vaccel_arg_array) -> Result<(*mut c_void, usize)> {
    // SAFETY: guaranteed by the caller.
    unsafe {
        at_cursor(a, |arg| {
            expect_type(arg, ArgType::Raw).map(|()| (arg.buf, arg.size))
        })
    }
}

/// Reads a CUSTOM argument with id `custom_id`; the validator (when given) must accept it.
///
/// # Safety
/// As [`get_scalar`]; `validator` must be safe to call on the argument's buffer.
pub unsafe fn get_custom(
    a: &mut vaccel_arg_array,
    custom_id: u32,
    validator: Option<ValidatorFn>,
) -> Result<(*mut c_void, usize)> {
    // SAFETY: guaranteed by the caller.
    unsafe {
        at_cursor(a, |arg| {
            expect_custom(arg, custom_id)?;
            if let Some(v) = validator
                && !v(arg.buf, arg.size, custom_id)
            {
                return Err(Error::EINVAL);
            }
            Ok((arg.buf, arg.size))
        })
    }
}

/// Checks the argument against `expected_type` for (de)serialisation: CUSTOM needs the id,
/// built-in types must hold a valid value.
///
/// # Safety
/// The argument's buffer must be readable for its size.
unsafe fn expect_serialized(arg: &vaccel_arg, ty: ArgType, custom_id: u32) -> Result<()> {
    if ty == ArgType::Custom {
        expect_custom(arg, custom_id)
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { expect_valid(arg, ty) }
    }
}

/// Deserialises the argument at the cursor into `data` (`data_size` bytes). The type must be
/// `expected_type` (CUSTOM: with id `expected_custom_id`; built-in types are validated). The
/// deserializer's return code is passed through; the cursor advances only on success.
///
/// # Safety
/// As [`get_scalar`]; `data` must be what `deserializer` expects.
pub unsafe fn get_serialized(
    a: &mut vaccel_arg_array,
    expected_type: u32,
    expected_custom_id: u32,
    data: *mut c_void,
    data_size: usize,
    deserializer: DeserializerFn,
) -> Result<()> {
    let ty = arg_type(expected_type)?;
    // SAFETY: guaranteed by the caller.
    unsafe {
        at_cursor(a, |arg| {
            expect_serialized(arg, ty, expected_custom_id)?;
            check(deserializer(
                arg.buf,
                arg.size,
                arg.custom_type_id,
                data_size,
                data,
            ))
        })
    }
}

/// Writes `size` bytes at `buf` into the argument at the cursor, which must have the built-in
/// type `ty`: scalars need equal sizes, other types a destination of at least `size` bytes. The
/// source is validated as a value of `ty`. CUSTOM and STRING are refused here (use
/// [`set_custom`], [`set_string`]).
///
/// # Safety
/// `a` must be initialised and its arguments' buffers writable for their sizes; `buf` must be
/// NULL or readable for `size` bytes.
pub unsafe fn set_typed(
    a: &mut vaccel_arg_array,
    ty: ArgType,
    buf: *const c_void,
    size: usize,
) -> Result<()> {
    if matches!(ty, ArgType::Custom | ArgType::String) {
        return Err(Error::EINVAL);
    }
    // SAFETY: guaranteed by the caller.
    unsafe {
        at_cursor(a, |arg| {
            expect_type(arg, ty)?;
            if !validate(buf, size, ty) {
                return Err(Error::EINVAL);
            }
            let scalar = ty.element_size().is_some() && !ty.is_array();
            let fits = if scalar {
                arg.size == size
            } else {
                arg.size >= size
            };
            if !fits || (arg.buf.is_null() && size > 0) {
                return Err(Error::EINVAL);
            }
            if size > 0 {
                ptr::copy(buf.cast::<u8>(), arg.buf.cast::<u8>(), size);
            }
            Ok(())
        })
    }
}

/// `set_<T>`: writes one value of the numeric scalar type `ty`.
///
/// # Safety
/// As [`set_typed`], with `value` NULL or pointing to a `T`.
pub unsafe fn set_scalar_ptr<T>(
    a: &mut vaccel_arg_array,
    ty: ArgType,
    value: *const T,
) -> Result<()> {
    check_elem::<T>(ty)?;
    // SAFETY: forwarded from the caller.
    unsafe { set_typed(a, ty, value.cast(), size_of::<T>()) }
}

/// Writes one value of the numeric scalar type `ty` (a by-value form of [`set_scalar_ptr`]).
///
/// # Safety
/// As [`set_typed`].
pub unsafe fn set_scalar<T: Copy>(a: &mut vaccel_arg_array, ty: ArgType, value: T) -> Result<()> {
    // SAFETY: `value` is a live local; the rest is forwarded from the caller.
    unsafe { set_scalar_ptr(a, ty, &value) }
}

/// `set_<T>_array`: writes `count` values of the numeric array type `ty` into an argument of at
/// least that size.
///
/// # Safety
/// As [`set_typed`], with `values` NULL or pointing to `count` values of `T`.
pub unsafe fn set_array<T>(
    a: &mut vaccel_arg_array,
    ty: ArgType,
    values: *const T,
    count: usize,
) -> Result<()> {
    check_elem::<T>(ty)?;
    let size = count.checked_mul(size_of::<T>()).ok_or(Error::EINVAL)?;
    // SAFETY: forwarded from the caller.
    unsafe { set_typed(a, ty, values.cast(), size) }
}

/// `set_raw`: writes `size` bytes into a RAW argument of at least that size.
///
/// # Safety
/// As [`set_typed`].
pub unsafe fn set_raw(a: &mut vaccel_arg_array, buf: *const c_void, size: usize) -> Result<()> {
    // SAFETY: forwarded from the caller.
    unsafe { set_typed(a, ArgType::Raw, buf, size) }
}

/// `set_buffer`: writes a non-empty buffer into a BUFFER argument of at least that size.
///
/// # Safety
/// As [`set_typed`].
pub unsafe fn set_buffer(a: &mut vaccel_arg_array, buf: *const c_void, size: usize) -> Result<()> {
    // SAFETY: forwarded from the caller.
    unsafe { set_typed(a, ArgType::Buffer, buf, size) }
}

/// `set_string`: copies `s` into a STRING argument like `strncpy(buf, s, size)`, except that the
/// result is always NUL-terminated (a longer string is truncated to `size - 1` bytes).
///
/// # Safety
/// As [`set_typed`], with `s` NULL or a NUL-terminated string.
pub unsafe fn set_string(a: &mut vaccel_arg_array, s: *const c_char) -> Result<()> {
    if s.is_null() {
        return Err(Error::EINVAL);
    }
    // SAFETY: guaranteed by the caller.
    unsafe {
        at_cursor(a, |arg| {
            expect_type(arg, ArgType::String)?;
            if arg.buf.is_null() || arg.size == 0 {
                return Err(Error::EINVAL);
            }
            let n = libc::strlen(s).min(arg.size - 1);
            let dst = arg.buf.cast::<u8>();
            ptr::copy(s.cast::<u8>(), dst, n);
            ptr::write_bytes(dst.add(n), 0, arg.size - n);
            Ok(())
        })
    }
}

/// `set_custom`: writes `size` bytes into a CUSTOM argument with id `custom_id` and at least that
/// size; the validator (when given) must accept the new value.
///
/// # Safety
/// As [`set_typed`]; `validator` must be safe to call on `buf`.
pub unsafe fn set_custom(
    a: &mut vaccel_arg_array,
    custom_id: u32,
    buf: *const c_void,
    size: usize,
    validator: Option<ValidatorFn>,
) -> Result<()> {
    // SAFETY: guaranteed by the caller.
    unsafe {
        at_cursor(a, |arg| {
            expect_custom(arg, custom_id)?;
            if buf.is_null() && size > 0 {
                return Err(Error::EINVAL);
            }
            if let Some(v) = validator
                && !v(buf, size, custom_id)
            {
                return Err(Error::EINVAL);
            }
            if arg.size < size || (arg.buf.is_null() && size > 0) {
                return Err(Error::EINVAL);
            }
            if size > 0 {
                ptr::copy(buf.cast::<u8>(), arg.buf.cast::<u8>(), size);
            }
            Ok(())
        })
    }
}

/// `set_serialized`: serialises `data` and writes the output into the argument at the cursor,
/// which must have type `expected_type` (CUSTOM: id `expected_custom_id`) and exactly the output's
/// size; built-in types are validated. The serializer's output is freed.
///
/// # Safety
/// As [`set_typed`]; `data` must be what `serializer` expects; its output must be malloc'd.
pub unsafe fn set_serialized(
    a: &mut vaccel_arg_array,
    expected_type: u32,
    expected_custom_id: u32,
    data: *const c_void,
    data_size: usize,
    serializer: SerializerFn,
) -> Result<()> {
    let ty = arg_type(expected_type)?;
    // SAFETY: guaranteed by the caller.
    unsafe {
        at_cursor(a, |arg| {
            expect_type(arg, ty)?;
            if ty == ArgType::Custom && arg.custom_type_id != expected_custom_id {
                return Err(Error::EINVAL);
            }
            let (buf, size) = serialize(serializer, data, data_size, expected_custom_id)?;
            let ok =
                size == arg.size && (size == 0 || !arg.buf.is_null()) && validate(buf, size, ty);
            if ok && size > 0 {
                ptr::copy(buf.cast::<u8>(), arg.buf.cast::<u8>(), size);
            }
            if !buf.is_null() {
                // SAFETY (block): the serializer's output is malloc'd and no longer used.
                libc::free(buf);
            }
            if ok { Ok(()) } else { Err(Error::EINVAL) }
        })
    }
}

/// `get_remaining`: the argument at the cursor and how many are left (NULL/0 if none). The
/// cursor does not move.
pub fn remaining(a: &vaccel_arg_array) -> (*mut vaccel_arg, usize) {
    let n = remaining_count(a);
    if n == 0 || a.args.is_null() {
        return (ptr::null_mut(), 0);
    }
    // `wrapping_add` keeps this safe; `position < count` so the pointer is in bounds anyway.
    (a.args.wrapping_add(a.position), n)
}

/// `remaining_count`: arguments from the cursor to the end.
pub fn remaining_count(a: &vaccel_arg_array) -> usize {
    a.count.saturating_sub(a.position)
}

/// `position`.
pub fn position(a: &vaccel_arg_array) -> usize {
    a.position
}

/// `set_position`. A position past the end makes the getters return ERANGE.
pub fn set_position(a: &mut vaccel_arg_array, position: usize) {
    a.position = position;
}

/// `reset_position`.
pub fn reset_position(a: &mut vaccel_arg_array) {
    a.position = 0;
}

/// `count`.
pub fn count(a: &vaccel_arg_array) -> usize {
    a.count
}

/// `raw`: the argument storage.
pub fn raw(a: &vaccel_arg_array) -> *mut vaccel_arg {
    a.args
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An owned array with `cap` slots, released on drop.
    struct Owned(vaccel_arg_array);

    impl Owned {
        fn new(cap: usize) -> Owned {
            let mut a = released_array();
            init(&mut a, cap).unwrap();
            Owned(a)
        }
    }

    impl Drop for Owned {
        fn drop(&mut self) {
            // SAFETY: initialised by `init`.
            let _ = unsafe { release(&mut self.0) };
        }
    }

    fn p<T>(v: &mut T) -> *mut T {
        v
    }

    #[test]
    fn default_capacity_and_doubling() {
        let mut a = Owned::new(0);
        assert_eq!(a.0.capacity, DEFAULT_CAPACITY);
        assert!(a.0.owned);
        let mut vals = [0i32; 20];
        for (i, v) in vals.iter_mut().enumerate() {
            *v = i as i32;
        }
        for v in vals.iter_mut().take(9) {
            // SAFETY: `vals` outlives the array.
            unsafe { add_scalar(&mut a.0, ArgType::Int32, v) }.unwrap();
        }
        assert_eq!(a.0.capacity, 16);
        assert_eq!(a.0.count, 9);
        for v in vals.iter_mut().skip(9).take(8) {
            // SAFETY: as above.
            unsafe { add_scalar(&mut a.0, ArgType::Int32, v) }.unwrap();
        }
        assert_eq!(a.0.capacity, 32);
        for i in 0..17 {
            // SAFETY: the array references live values.
            let r = unsafe { get_scalar::<i32>(&mut a.0, ArgType::Int32) };
            assert_eq!(r, Ok(i));
        }
        // SAFETY: as above.
        let r = unsafe { get_scalar::<i32>(&mut a.0, ArgType::Int32) };
        assert_eq!(r, Err(Error::ERANGE));
        assert_eq!(position(&a.0), 17);

        let b = Owned::new(3);
        assert_eq!(b.0.capacity, 3);
    }

    #[test]
    fn wrapped_arrays_are_fixed() {
        let mut v = 7i64;
        let vp = p(&mut v);
        let mut slots = [vaccel_arg {
            buf: vp.cast(),
            size: 8,
            type_: 7,
            custom_type_id: 0,
            owned: false,
        }];
        let mut a = wrap(slots.as_mut_ptr(), 1).unwrap();
        assert_eq!((a.count, a.capacity, a.position, a.owned), (1, 1, 0, false));
        // SAFETY: `slots` and `v` outlive `a`.
        let r = unsafe { add_scalar(&mut a, ArgType::Int64, vp) };
        assert_eq!(r, Err(Error::ERANGE));
        // SAFETY: as above.
        assert_eq!(unsafe { get_scalar::<i64>(&mut a, ArgType::Int64) }, Ok(7));
        // SAFETY: as above.
        let r = unsafe { get_scalar::<i64>(&mut a, ArgType::Int64) };
        assert_eq!(r, Err(Error::ERANGE));
        assert_eq!(wrap(ptr::null_mut(), 1).err(), Some(Error::EINVAL));
        let mut empty = wrap(ptr::null_mut(), 0).unwrap();
        // SAFETY: an empty wrapped array.
        assert_eq!(unsafe { get_raw(&mut empty) }, Err(Error::ERANGE));
        // SAFETY: as above; adding to a wrapped array without storage.
        let r = unsafe { add_raw(&mut empty, ptr::null_mut(), 0) };
        assert_eq!(r, Err(Error::EINVAL));
        // Releasing a wrapped array leaves the caller's arguments alone.
        // SAFETY: wrapped over live storage.
        unsafe { release(&mut a) }.unwrap();
        assert_eq!(slots[0].type_, 7);
        assert!(a.args.is_null());
        // SAFETY: released arrays have no storage.
        assert_eq!(unsafe { release(&mut a) }, Err(Error::EINVAL));
    }

    #[test]
    fn scalar_sizes_are_validated() {
        let mut a = Owned::new(0);
        let mut big = 5i64;
        let mut small = 3i8;
        let bigp = p(&mut big);
        // SAFETY: the values outlive the array; sizes are checked, not trusted.
        unsafe {
            assert_eq!(
                add_typed(&mut a.0, ArgType::Int32, bigp.cast(), 8),
                Err(Error::EINVAL)
            );
            assert_eq!(
                add_typed(&mut a.0, ArgType::Int32, ptr::null_mut(), 4),
                Err(Error::EINVAL)
            );
            assert_eq!(
                add_typed(&mut a.0, ArgType::Int8, p(&mut small).cast(), 1),
                Ok(())
            );
            assert_eq!(
                add_typed(&mut a.0, ArgType::Int64Array, bigp.cast(), 4),
                Err(Error::EINVAL)
            );
            assert_eq!(
                add_typed(&mut a.0, ArgType::Int64Array, bigp.cast(), 0),
                Err(Error::EINVAL)
            );
            assert_eq!(
                add_typed(&mut a.0, ArgType::Int16Array, bigp.cast(), 6),
                Ok(())
            );
            assert_eq!(
                add_scalar(&mut a.0, ArgType::Int32, bigp),
                Err(Error::EINVAL)
            );
            assert_eq!(a.0.count, 2);
            // Reading with the wrong type or size fails without moving the cursor.
            assert_eq!(
                get_scalar::<i16>(&mut a.0, ArgType::Int8),
                Err(Error::EINVAL)
            );
            assert_eq!(
                get_scalar::<u8>(&mut a.0, ArgType::Uint8),
                Err(Error::EINVAL)
            );
            assert_eq!(position(&a.0), 0);
            assert_eq!(get_scalar::<i8>(&mut a.0, ArgType::Int8), Ok(3));
            assert_eq!(
                get_scalar::<i16>(&mut a.0, ArgType::Int16),
                Err(Error::EINVAL)
            );
            let (vals, n) = get_array::<i16>(&mut a.0, ArgType::Int16Array).unwrap();
            assert_eq!(n, 3);
            assert_eq!(vals.cast::<c_void>(), bigp.cast::<c_void>());
        }
    }

    #[test]
    fn every_numeric_type_round_trips() {
        macro_rules! round_trip {
            ($($t:ty, $s:ident, $arr:ident, $v:expr;)*) => {$({
                let mut a = Owned::new(1);
                let mut v: $t = $v;
                let mut vs: [$t; 3] = [$v; 3];
                // SAFETY: the values outlive the array.
                unsafe {
                    add_scalar(&mut a.0, ArgType::$s, &mut v).unwrap();
                    add_array(&mut a.0, ArgType::$arr, vs.as_mut_ptr(), 3).unwrap();
                    assert_eq!(get_scalar::<$t>(&mut a.0, ArgType::$s), Ok($v));
                    let (ptr, n) = get_array::<$t>(&mut a.0, ArgType::$arr).unwrap();
                    assert_eq!((ptr, n), (vs.as_mut_ptr(), 3));
                    reset_position(&mut a.0);
                    set_scalar::<$t>(&mut a.0, ArgType::$s, <$t>::default()).unwrap();
                    let zeros: [$t; 2] = Default::default();
                    set_array(&mut a.0, ArgType::$arr, zeros.as_ptr(), 2).unwrap();
                }
                assert_eq!(v, <$t>::default());
                assert_eq!(vs, [<$t>::default(), <$t>::default(), $v]);
            })*};
        }
        round_trip! {
            i8, Int8, Int8Array, -3; i16, Int16, Int16Array, -300; i32, Int32, Int32Array, 1 << 20;
            i64, Int64, Int64Array, -1 << 40; u8, Uint8, Uint8Array, 200;
            u16, Uint16, Uint16Array, 60000; u32, Uint32, Uint32Array, 4_000_000_000;
            u64, Uint64, Uint64Array, 1 << 63; f32, Float32, Float32Array, 1.5;
            f64, Float64, Float64Array, -2.25; bool, Bool, BoolArray, true;
            c_char, Char, CharArray, b'x' as c_char; u8, Uchar, UcharArray, 0xfe;
        }
    }

    #[test]
    fn bools_are_zero_or_one() {
        let mut a = Owned::new(0);
        let mut bytes = [0u8, 1, 2, 3];
        // All accesses go through `bp`, which the array also holds.
        let bp = bytes.as_mut_ptr();
        // SAFETY: `bytes` outlives the array.
        unsafe {
            assert_eq!(
                add_typed(&mut a.0, ArgType::Bool, bp.add(2).cast(), 1),
                Err(Error::EINVAL)
            );
            assert_eq!(
                add_typed(&mut a.0, ArgType::BoolArray, bp.cast(), 3),
                Err(Error::EINVAL)
            );
            add_typed(&mut a.0, ArgType::Bool, bp.add(1).cast(), 1).unwrap();
            add_typed(&mut a.0, ArgType::BoolArray, bp.cast(), 2).unwrap();
            assert_eq!(
                set_typed(&mut a.0, ArgType::Bool, bp.add(2).cast(), 1),
                Err(Error::EINVAL)
            );
            // A caller that corrupts the referenced byte is caught on read.
            bp.add(1).write(5);
            assert_eq!(
                get_scalar::<bool>(&mut a.0, ArgType::Bool),
                Err(Error::EINVAL)
            );
            bp.add(1).write(1);
            assert_eq!(get_scalar::<bool>(&mut a.0, ArgType::Bool), Ok(true));
            assert_eq!(
                get_array::<bool>(&mut a.0, ArgType::BoolArray).map(|r| r.1),
                Ok(2)
            );
            // Reading a byte argument as Rust bool checks the bytes too.
            add_raw(&mut a.0, bp.add(3).cast(), 1).unwrap();
            assert_eq!(
                get_scalar::<bool>(&mut a.0, ArgType::Raw),
                Err(Error::EINVAL)
            );
            bp.add(3).write(0);
            assert_eq!(get_scalar::<bool>(&mut a.0, ArgType::Raw), Ok(false));
        }
    }

    #[test]
    fn strings_buffers_and_raw() {
        let mut a = Owned::new(0);
        let mut s = *b"hello\0";
        let mut not_str = *b"abc";
        let mut buf = [1u8, 2, 3, 4];
        // SAFETY: the buffers outlive the array.
        unsafe {
            assert_eq!(add_string(&mut a.0, ptr::null_mut()), Err(Error::EINVAL));
            add_string(&mut a.0, s.as_mut_ptr().cast()).unwrap();
            assert_eq!(a.0.count, 1);
            assert_eq!((*a.0.args).size, 6);
            assert_eq!(
                add_typed(&mut a.0, ArgType::String, not_str.as_mut_ptr().cast(), 3),
                Err(Error::EINVAL)
            );
            assert_eq!(
                add_buffer(&mut a.0, buf.as_mut_ptr().cast(), 0),
                Err(Error::EINVAL)
            );
            assert_eq!(add_buffer(&mut a.0, ptr::null_mut(), 4), Err(Error::EINVAL));
            add_buffer(&mut a.0, buf.as_mut_ptr().cast(), 4).unwrap();
            add_raw(&mut a.0, ptr::null_mut(), 0).unwrap();
            add_raw(&mut a.0, buf.as_mut_ptr().cast(), 2).unwrap();
            assert_eq!(a.0.count, 4);
            assert!(slots(&a.0).iter().all(|x| !x.owned));

            assert_eq!(get_buffer(&mut a.0), Err(Error::EINVAL));
            assert_eq!(get_string(&mut a.0), Ok(s.as_mut_ptr().cast()));
            assert_eq!(get_string(&mut a.0), Err(Error::EINVAL));
            assert_eq!(get_buffer(&mut a.0), Ok((buf.as_mut_ptr().cast(), 4)));
            assert_eq!(get_raw(&mut a.0), Ok((ptr::null_mut(), 0)));
            assert_eq!(get_raw(&mut a.0), Ok((buf.as_mut_ptr().cast(), 2)));
            assert_eq!(get_raw(&mut a.0), Err(Error::ERANGE));

            // A STRING whose last byte is not NUL fails on read.
            s[5] = b'!';
            reset_position(&mut a.0);
            assert_eq!(get_string(&mut a.0), Err(Error::EINVAL));
            s[5] = 0;

            // set_string truncates and always terminates.
            set_string(&mut a.0, c"a much longer string".as_ptr()).unwrap();
            assert_eq!(&s, b"a muc\0");
            set_position(&mut a.0, 0);
            set_string(&mut a.0, c"hi".as_ptr()).unwrap();
            assert_eq!(&s, b"hi\0\0\0\0");

            // set_buffer / set_raw need room.
            assert_eq!(
                set_buffer(&mut a.0, [9u8; 5].as_ptr().cast(), 5),
                Err(Error::EINVAL)
            );
            set_buffer(&mut a.0, [9u8; 3].as_ptr().cast(), 3).unwrap();
            assert_eq!(buf, [9, 9, 9, 4]);
            set_raw(&mut a.0, ptr::null(), 0).unwrap();
            assert_eq!(
                set_raw(&mut a.0, [7u8; 3].as_ptr().cast(), 3),
                Err(Error::EINVAL)
            );
            set_raw(&mut a.0, [7u8; 2].as_ptr().cast(), 2).unwrap();
            assert_eq!(buf, [7, 7, 9, 4]);
            assert_eq!(set_raw(&mut a.0, ptr::null(), 0), Err(Error::ERANGE));
        }
    }

    #[test]
    fn setters_check_types_and_sizes() {
        let mut a = Owned::new(0);
        let mut v = 1u32;
        let mut vs = [1u32, 2];
        // SAFETY: the values outlive the array.
        unsafe {
            add_scalar(&mut a.0, ArgType::Uint32, &mut v).unwrap();
            add_array(&mut a.0, ArgType::Uint32Array, vs.as_mut_ptr(), 2).unwrap();
            assert_eq!(
                set_scalar(&mut a.0, ArgType::Int32, 5i32),
                Err(Error::EINVAL)
            );
            assert_eq!(
                set_scalar(&mut a.0, ArgType::Uint64, 5u64),
                Err(Error::EINVAL)
            );
            assert_eq!(
                set_scalar_ptr::<u32>(&mut a.0, ArgType::Uint32, ptr::null()),
                Err(Error::EINVAL)
            );
            assert_eq!(position(&a.0), 0);
            set_scalar(&mut a.0, ArgType::Uint32, 9u32).unwrap();
            assert_eq!(v, 9);
            assert_eq!(
                set_array(&mut a.0, ArgType::Uint32Array, [5u32; 3].as_ptr(), 3),
                Err(Error::EINVAL)
            );
            assert_eq!(
                set_array(&mut a.0, ArgType::Uint32Array, [5u32; 3].as_ptr(), 0),
                Err(Error::EINVAL)
            );
            set_array(&mut a.0, ArgType::Uint32Array, [5u32; 2].as_ptr(), 2).unwrap();
            assert_eq!(vs, [5, 5]);
            assert_eq!(
                set_scalar(&mut a.0, ArgType::Uint32, 1u32),
                Err(Error::ERANGE)
            );
        }
    }

    unsafe extern "C" fn even_size(_buf: *const c_void, size: usize, id: u32) -> bool {
        id == 7 && size.is_multiple_of(2)
    }

    #[test]
    fn custom_validators() {
        let mut a = Owned::new(0);
        let mut data = [1u8, 2, 3, 4];
        let dp = data.as_mut_ptr().cast::<c_void>();
        // SAFETY: `data` outlives the array.
        unsafe {
            assert_eq!(
                add_custom(&mut a.0, 7, dp, 3, Some(even_size)),
                Err(Error::EINVAL)
            );
            assert_eq!(
                add_custom(&mut a.0, 8, dp, 4, Some(even_size)),
                Err(Error::EINVAL)
            );
            assert_eq!(
                add_custom(&mut a.0, 7, ptr::null_mut(), 4, None),
                Err(Error::EINVAL)
            );
            add_custom(&mut a.0, 7, dp, 4, Some(even_size)).unwrap();
            add_custom(&mut a.0, 9, dp, 3, None).unwrap();
            let first = &*a.0.args;
            assert_eq!(
                (first.type_, first.custom_type_id, first.owned),
                (29, 7, false)
            );

            assert_eq!(get_custom(&mut a.0, 8, None), Err(Error::EINVAL));
            assert_eq!(get_custom(&mut a.0, 7, Some(even_size)), Ok((dp, 4)));
            assert_eq!(get_custom(&mut a.0, 9, Some(even_size)), Err(Error::EINVAL));
            assert_eq!(get_custom(&mut a.0, 9, None), Ok((dp, 3)));

            reset_position(&mut a.0);
            let new = [9u8, 9];
            assert_eq!(
                set_custom(&mut a.0, 7, new.as_ptr().cast(), 1, Some(even_size)),
                Err(Error::EINVAL)
            );
            assert_eq!(
                set_custom(&mut a.0, 8, new.as_ptr().cast(), 2, None),
                Err(Error::EINVAL)
            );
            set_custom(&mut a.0, 7, new.as_ptr().cast(), 2, Some(even_size)).unwrap();
            assert_eq!(data, [9, 9, 3, 4]);
            assert_eq!(
                set_custom(&mut a.0, 9, [0u8; 4].as_ptr().cast(), 4, None),
                Err(Error::EINVAL)
            );
            // Custom arguments are not reachable through the typed setters.
            assert_eq!(
                set_typed(&mut a.0, ArgType::Custom, new.as_ptr().cast(), 2),
                Err(Error::EINVAL)
            );
        }
    }

    /// `struct mydata { uint32_t count; uint32_t *array; }` from the examples.
    #[repr(C)]
    struct MyData {
        count: u32,
        array: *mut u32,
    }

    const MYDATA_ID: u32 = 100;

    /// Serialises `mydata` as `count` followed by the elements.
    unsafe extern "C" fn mydata_serialize(
        data: *const c_void,
        data_size: usize,
        custom_id: u32,
        buf: *mut *mut c_void,
        size: *mut usize,
    ) -> c_int {
        if data.is_null() || data_size != size_of::<MyData>() || custom_id != MYDATA_ID {
            return libc::EINVAL;
        }
        // SAFETY: checked above; the test passes a live `MyData`.
        let d = unsafe { &*data.cast::<MyData>() };
        let n = d.count as usize + 1;
        // SAFETY: plain allocation.
        let out = unsafe { libc::malloc(n * 4) }.cast::<u32>();
        // SAFETY: `out` has room for `n` u32; `d.array` holds `count` elements.
        unsafe {
            out.write(d.count);
            ptr::copy_nonoverlapping(d.array, out.add(1), d.count as usize);
            *buf = out.cast();
            *size = n * 4;
        }
        0
    }

    /// Deserialises into a `mydata` whose array is malloc'd.
    unsafe extern "C" fn mydata_deserialize(
        buf: *const c_void,
        size: usize,
        custom_id: u32,
        data_size: usize,
        data: *mut c_void,
    ) -> c_int {
        if buf.is_null() || size < 4 || custom_id != MYDATA_ID || data_size != size_of::<MyData>() {
            return libc::EINVAL;
        }
        // SAFETY: `buf` holds at least one u32.
        let count = unsafe { buf.cast::<u32>().read_unaligned() };
        if size != (count as usize + 1) * 4 {
            return libc::EINVAL;
        }
        // SAFETY: sizes checked above; `data` is a live `MyData`.
        unsafe {
            let array = libc::malloc(count as usize * 4).cast::<u32>();
            ptr::copy_nonoverlapping(buf.cast::<u32>().add(1), array, count as usize);
            data.cast::<MyData>().write(MyData { count, array });
        }
        0
    }

    unsafe extern "C" fn failing_serializer(
        _: *const c_void,
        _: usize,
        _: u32,
        _: *mut *mut c_void,
        _: *mut usize,
    ) -> c_int {
        libc::EIO
    }

    #[test]
    fn serialize_round_trip_with_mydata() {
        let mut input = [0u32, 2, 4, 6, 8, 10];
        let d = MyData {
            count: 6,
            array: input.as_mut_ptr(),
        };
        let dp = (&d as *const MyData).cast::<c_void>();
        let sz = size_of::<MyData>();
        let mut a = Owned::new(0);
        // SAFETY: `d` is a live `MyData`; outputs are malloc'd by the serializer.
        unsafe {
            assert_eq!(
                add_serialized(&mut a.0, 29, 5, dp, sz, mydata_serialize),
                Err(Error::EINVAL)
            );
            assert_eq!(
                add_serialized(&mut a.0, 30, MYDATA_ID, dp, sz, mydata_serialize),
                Err(Error::EINVAL)
            );
            assert_eq!(
                add_serialized(&mut a.0, 29, MYDATA_ID, dp, sz, failing_serializer),
                Err(Error::EIO)
            );
            add_serialized(
                &mut a.0,
                ArgType::Custom as u32,
                MYDATA_ID,
                dp,
                sz,
                mydata_serialize,
            )
            .unwrap();
            let arg = *a.0.args;
            assert_eq!(
                (arg.size, arg.type_, arg.custom_type_id, arg.owned),
                (28, 29, 100, true)
            );
            assert_eq!(
                std::slice::from_raw_parts(arg.buf.cast::<u32>(), 7),
                &[6, 0, 2, 4, 6, 8, 10]
            );

            let mut out = MyData {
                count: 0,
                array: ptr::null_mut(),
            };
            let op = (&mut out as *mut MyData).cast::<c_void>();
            assert_eq!(
                get_serialized(&mut a.0, 29, 99, op, sz, mydata_deserialize),
                Err(Error::EINVAL)
            );
            assert_eq!(
                get_serialized(&mut a.0, 28, MYDATA_ID, op, sz, mydata_deserialize),
                Err(Error::EINVAL)
            );
            assert_eq!(position(&a.0), 0);
            get_serialized(&mut a.0, 29, MYDATA_ID, op, sz, mydata_deserialize).unwrap();
            assert_eq!(position(&a.0), 1);
            assert_eq!(
                std::slice::from_raw_parts(out.array, out.count as usize),
                &input
            );

            // Write the reversed array back, as mytestfunc_nonser does.
            std::slice::from_raw_parts_mut(out.array, 6).reverse();
            let op = (&out as *const MyData).cast::<c_void>();
            reset_position(&mut a.0);
            assert_eq!(
                set_serialized(&mut a.0, 29, 1, op, sz, mydata_serialize),
                Err(Error::EINVAL)
            );
            set_serialized(&mut a.0, 29, MYDATA_ID, op, sz, mydata_serialize).unwrap();
            let arg = *a.0.args;
            assert_eq!(
                std::slice::from_raw_parts(arg.buf.cast::<u32>(), 7),
                &[6, 10, 8, 6, 4, 2, 0]
            );
            // A different output size is refused.
            out.count = 5;
            reset_position(&mut a.0);
            let op = (&out as *const MyData).cast::<c_void>();
            assert_eq!(
                set_serialized(&mut a.0, 29, MYDATA_ID, op, sz, mydata_serialize),
                Err(Error::EINVAL)
            );
            assert_eq!(position(&a.0), 0);
            libc::free(out.array.cast());
        }
    }

    unsafe extern "C" fn int32_serializer(
        data: *const c_void,
        _: usize,
        _: u32,
        buf: *mut *mut c_void,
        size: *mut usize,
    ) -> c_int {
        // SAFETY: the test passes an i32 and valid out-pointers.
        unsafe {
            let out = libc::malloc(4);
            ptr::copy_nonoverlapping(data.cast::<u8>(), out.cast::<u8>(), 4);
            *buf = out;
            *size = 4;
        }
        0
    }

    unsafe extern "C" fn two_byte_serializer(
        _: *const c_void,
        _: usize,
        _: u32,
        buf: *mut *mut c_void,
        size: *mut usize,
    ) -> c_int {
        // SAFETY: valid out-pointers from the callee.
        unsafe {
            *buf = libc::calloc(1, 2);
            *size = 2;
        }
        0
    }

    #[test]
    fn serialized_builtin_types_are_validated() {
        let mut a = Owned::new(0);
        let v = 42i32;
        let vp = (&v as *const i32).cast::<c_void>();
        // SAFETY: the serializers read 4 bytes from `vp`.
        unsafe {
            assert_eq!(
                add_serialized(&mut a.0, 5, 0, vp, 4, two_byte_serializer),
                Err(Error::EINVAL)
            );
            add_serialized(&mut a.0, ArgType::Int32 as u32, 0, vp, 4, int32_serializer).unwrap();
            assert!((*a.0.args).owned);
            assert_eq!(get_scalar::<i32>(&mut a.0, ArgType::Int32), Ok(42));
            let mut out = 0i32;
            unsafe extern "C" fn de(
                b: *const c_void,
                s: usize,
                _: u32,
                _: usize,
                d: *mut c_void,
            ) -> c_int {
                // SAFETY: `b` holds `s` bytes; `d` has room for them (test).
                unsafe { ptr::copy_nonoverlapping(b.cast::<u8>(), d.cast::<u8>(), s) };
                0
            }
            reset_position(&mut a.0);
            assert_eq!(
                get_serialized(&mut a.0, 6, 0, p(&mut out).cast(), 4, de),
                Err(Error::EINVAL)
            );
            get_serialized(&mut a.0, 5, 0, p(&mut out).cast(), 4, de).unwrap();
            assert_eq!(out, 42);
        }
    }

    #[test]
    fn single_arguments() {
        let mut arg = released_arg();
        let data = [1u8, 2, 3];
        // SAFETY: `data` is readable for 3 bytes; owned buffers are released below.
        unsafe {
            assert_eq!(
                arg_init(&mut arg, data.as_ptr().cast(), 0, 0, 0),
                Err(Error::EINVAL)
            );
            arg_init(&mut arg, data.as_ptr().cast(), 3, 28, 0).unwrap();
            assert!(arg.owned);
            assert_ne!(arg.buf.cast_const(), data.as_ptr().cast());
            assert_eq!(bytes(arg.buf, 3), &data);
            arg_release(&mut arg);
            assert_eq!(
                (arg.buf, arg.size, arg.type_, arg.owned),
                (ptr::null_mut(), 0, VACCEL_ARG_MAX, false)
            );

            arg_init(&mut arg, ptr::null(), 4, 0, 0).unwrap();
            assert_eq!(bytes(arg.buf, 4), &[0, 0, 0, 0]);
            arg_release(&mut arg);
            arg_init(&mut arg, ptr::null(), 0, 0, 0).unwrap();
            assert!(arg.buf.is_null() && arg.owned);
            arg_release(&mut arg);

            let mut buf = [0u8; 2];
            assert_eq!(
                arg_init_from_buf(&mut arg, buf.as_mut_ptr().cast(), 0, 0, 0),
                Err(Error::EINVAL)
            );
            assert_eq!(
                arg_init_from_buf(&mut arg, ptr::null_mut(), 2, 0, 0),
                Err(Error::EINVAL)
            );
            arg_init_from_buf(&mut arg, ptr::null_mut(), 0, 0, 0).unwrap();
            arg_init_from_buf(&mut arg, buf.as_mut_ptr().cast(), 2, 29, 3).unwrap();
            assert_eq!((arg.owned, arg.custom_type_id), (false, 3));
            arg_release(&mut arg);
            assert_eq!(buf, [0, 0]);

            let n = arg_new(data.as_ptr().cast(), 3, 0, 0).unwrap();
            assert!((*n).owned);
            arg_delete(n).unwrap();
            assert_eq!(
                arg_new(data.as_ptr().cast(), 0, 0, 0).err(),
                Some(Error::EINVAL)
            );
            let n = arg_from_buf(buf.as_mut_ptr().cast(), 2, 0, 0).unwrap();
            assert!(!(*n).owned);
            arg_delete(n).unwrap();
            assert_eq!(arg_delete(ptr::null_mut()), Err(Error::EINVAL));
        }
    }

    #[test]
    fn release_clear_new_delete() {
        // SAFETY: every array here is initialised by this module.
        unsafe {
            let a = new(2).unwrap();
            assert_eq!(((*a).capacity, (*a).owned), (2, true));
            let mut args = [released_arg(); 3];
            for (i, arg) in args.iter_mut().enumerate() {
                arg_init(arg, [i as u8; 4].as_ptr().cast(), 4, 0, 0).unwrap();
            }
            add_args(&mut *a, &args, false).unwrap();
            assert_eq!(((*a).count, (*a).capacity), (3, 4));
            // Hand the owned buffers to the array.
            for i in 0..3 {
                (*(*a).args.add(i)).owned = true;
            }
            (*a).position = 2;
            let storage = (*a).args;
            clear(&mut *a);
            assert_eq!(((*a).count, (*a).position, (*a).capacity), (0, 0, 4));
            assert_eq!((*storage).type_, VACCEL_ARG_MAX);
            assert_eq!((*a).args, storage);
            delete(a).unwrap();

            let a = new(0).unwrap();
            release(&mut *a).unwrap();
            // Deleting a released array still frees it.
            delete(a).unwrap();
            assert_eq!(delete(ptr::null_mut()), Err(Error::EINVAL));

            let mut z = released_array();
            assert_eq!(release(&mut z), Err(Error::EINVAL));
            assert_eq!(add_raw(&mut z, ptr::null_mut(), 0), Err(Error::EINVAL));
            assert_eq!(get_raw(&mut z), Err(Error::ERANGE));
        }
    }

    #[test]
    fn ranges() {
        let mut src = Owned::new(0);
        let mut vals = [10i32, 20, 30, 40];
        let vp = vals.as_mut_ptr();
        // SAFETY: `vals` outlives both arrays and is only accessed through `vp`; copies are owned
        // and released on drop.
        unsafe {
            for i in 0..4 {
                add_scalar(&mut src.0, ArgType::Int32, vp.add(i)).unwrap();
            }
            let mut dst = Owned::new(1);
            assert_eq!(
                add_range(&mut dst.0, &src.0, 4, 0, false),
                Err(Error::ERANGE)
            );
            assert_eq!(
                add_range(&mut dst.0, &src.0, 2, 3, false),
                Err(Error::ERANGE)
            );
            assert_eq!(
                add_range(&mut dst.0, &src.0, 1, usize::MAX, false),
                Err(Error::ERANGE)
            );
            add_range(&mut dst.0, &src.0, 1, 2, true).unwrap();
            assert_eq!(dst.0.count, 2);
            let copied = *dst.0.args;
            assert!(copied.owned);
            assert_ne!(copied.buf, vp.add(1).cast());
            assert_eq!(get_scalar::<i32>(&mut dst.0, ArgType::Int32), Ok(20));

            src.0.position = 3;
            add_remaining(&mut dst.0, &src.0, false).unwrap();
            assert_eq!(dst.0.count, 3);
            let referenced = *dst.0.args.add(2);
            assert_eq!(
                (referenced.buf, referenced.owned),
                (vp.add(3).cast(), false)
            );
            src.0.position = 4;
            add_remaining(&mut dst.0, &src.0, false).unwrap();
            assert_eq!(dst.0.count, 3);
            add_all(&mut dst.0, &src.0, true).unwrap();
            assert_eq!(dst.0.count, 7);
            vp.write(0);
            set_position(&mut dst.0, 3);
            assert_eq!(get_scalar::<i32>(&mut dst.0, ArgType::Int32), Ok(10));

            // Wrapped destinations refuse ranges that do not fit, adding nothing.
            let mut slots = [released_arg(); 2];
            let mut w = wrap(slots.as_mut_ptr(), 2).unwrap();
            clear(&mut w);
            assert_eq!(add_all(&mut w, &src.0, false), Err(Error::ERANGE));
            assert_eq!(w.count, 0);
            add_range(&mut w, &src.0, 0, 2, false).unwrap();
            assert_eq!(w.count, 2);

            // Adding an array to itself.
            let snapshot = all_of(&src.0).unwrap();
            add_args(&mut src.0, &snapshot, true).unwrap();
            assert_eq!(src.0.count, 8);
        }
    }

    #[test]
    fn remaining_and_accessors() {
        let mut a = Owned::new(0);
        let mut v = [1u8, 2, 3];
        assert_eq!(remaining(&a.0), (ptr::null_mut(), 0));
        // SAFETY: `v` outlives the array.
        unsafe {
            for x in v.iter_mut() {
                add_scalar(&mut a.0, ArgType::Uint8, x).unwrap();
            }
        }
        assert_eq!(count(&a.0), 3);
        assert_eq!(remaining(&a.0), (a.0.args, 3));
        set_position(&mut a.0, 2);
        assert_eq!(remaining_count(&a.0), 1);
        assert_eq!(remaining(&a.0), (a.0.args.wrapping_add(2), 1));
        set_position(&mut a.0, 5);
        assert_eq!(remaining_count(&a.0), 0);
        assert_eq!(remaining(&a.0), (ptr::null_mut(), 0));
        // SAFETY: as above.
        let r = unsafe { get_scalar::<u8>(&mut a.0, ArgType::Uint8) };
        assert_eq!(r, Err(Error::ERANGE));
        reset_position(&mut a.0);
        assert_eq!(position(&a.0), 0);
        assert_eq!(raw(&a.0), a.0.args);
    }

    #[test]
    fn validate_table() {
        let one = 1u8;
        let b = (&one as *const u8).cast::<c_void>();
        // SAFETY: `b` is readable for 1 byte; NULL is allowed.
        unsafe {
            assert!(validate(b, 1, ArgType::Uchar));
            assert!(!validate(b, 1, ArgType::Int16));
            assert!(validate(b, 1, ArgType::Bool));
            assert!(!validate(ptr::null(), 0, ArgType::Buffer));
            assert!(validate(ptr::null(), 0, ArgType::Raw));
            assert!(validate(ptr::null(), 0, ArgType::Custom));
            assert!(!validate(b, 1, ArgType::String));
            assert!(validate(c"".as_ptr().cast(), 1, ArgType::String));
        }
    }
}
