//! `vaccel/arg.h`: single arguments, argument arrays and the deprecated list API (spec §5.7,
//! §12).
//!
//! Each function checks its pointers (NULL → `VACCEL_EINVAL`), runs inside [`guard`] and calls
//! `vaccel_core::arg`. Output pointers are checked before the cursor is touched, so a failed call
//! never moves it.

use std::ffi::{c_char, c_int, c_void};
use std::ptr;

use vaccel_abi::{ArgType, vaccel_arg, vaccel_arg_array, vaccel_arg_list};
use vaccel_core::arg::{self, DeserializerFn, SerializerFn, ValidatorFn};
use vaccel_core::error::code_of;
use vaccel_core::{Error, Result};

use crate::ffi::{guard, guard_or};

/// Runs `f` inside [`guard`] and returns its vAccel code.
fn run(f: impl FnOnce() -> Result<()>) -> c_int {
    guard(|| code_of(&f()))
}

/// `&mut *p`, or EINVAL for NULL.
///
/// # Safety
/// `p` must be NULL or point to a live `T` not otherwise borrowed for `'a`.
unsafe fn mut_ref<'a, T>(p: *mut T) -> Result<&'a mut T> {
    // SAFETY: guaranteed by the caller.
    unsafe { p.as_mut() }.ok_or(Error::EINVAL)
}

/// `&*p`, or EINVAL for NULL.
///
/// # Safety
/// `p` must be NULL or point to a live `T` not mutably borrowed for `'a`.
unsafe fn shared_ref<'a, T>(p: *const T) -> Result<&'a T> {
    // SAFETY: guaranteed by the caller.
    unsafe { p.as_ref() }.ok_or(Error::EINVAL)
}

/// EINVAL for a NULL output pointer.
fn non_null<T>(p: *mut T) -> Result<()> {
    if p.is_null() {
        Err(Error::EINVAL)
    } else {
        Ok(())
    }
}

/// Stores `v` through `p` when `p` is not NULL.
///
/// # Safety
/// `p` must be NULL or valid for writes.
unsafe fn store_opt<T>(p: *mut T, v: T) {
    if !p.is_null() {
        // SAFETY: guaranteed by the caller.
        unsafe { p.write(v) };
    }
}

// ---------------------------------------------------------------------------------------------
// Single arguments
// ---------------------------------------------------------------------------------------------

/// `int vaccel_arg_init(struct vaccel_arg *arg, const void *buf, size_t size,
/// vaccel_arg_type_t type, uint32_t custom_id)`: an owned copy of `buf`.
///
/// # Safety
/// `arg` must be NULL or writable; `buf` NULL or readable for `size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_init(
    arg: *mut vaccel_arg,
    buf: *const c_void,
    size: usize,
    type_: u32,
    custom_id: u32,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let arg = unsafe { mut_ref(arg) }?;
        // SAFETY: guaranteed by the caller.
        unsafe { arg::arg_init(arg, buf, size, type_, custom_id) }
    })
}

/// `int vaccel_arg_init_from_buf(struct vaccel_arg *arg, void *buf, size_t size,
/// vaccel_arg_type_t type, uint32_t custom_id)`: a reference to `buf`.
///
/// # Safety
/// `arg` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_init_from_buf(
    arg: *mut vaccel_arg,
    buf: *mut c_void,
    size: usize,
    type_: u32,
    custom_id: u32,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let arg = unsafe { mut_ref(arg) }?;
        arg::arg_init_from_buf(arg, buf, size, type_, custom_id)
    })
}

/// `int vaccel_arg_release(struct vaccel_arg *arg)`.
///
/// # Safety
/// `arg` must be NULL or an argument initialised by this library (or referencing memory).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_release(arg: *mut vaccel_arg) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let arg = unsafe { mut_ref(arg) }?;
        // SAFETY: guaranteed by the caller.
        unsafe { arg::arg_release(arg) };
        Ok(())
    })
}

/// `int vaccel_arg_new(struct vaccel_arg **arg, const void *buf, size_t size,
/// vaccel_arg_type_t type, uint32_t custom_id)`.
///
/// # Safety
/// `arg` must be NULL or writable; `buf` NULL or readable for `size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_new(
    arg: *mut *mut vaccel_arg,
    buf: *const c_void,
    size: usize,
    type_: u32,
    custom_id: u32,
) -> c_int {
    run(|| {
        non_null(arg)?;
        // SAFETY: guaranteed by the caller.
        let p = unsafe { arg::arg_new(buf, size, type_, custom_id) }?;
        // SAFETY: checked non-NULL; writable (caller).
        unsafe { arg.write(p) };
        Ok(())
    })
}

/// `int vaccel_arg_from_buf(struct vaccel_arg **arg, void *buf, size_t size,
/// vaccel_arg_type_t type, uint32_t custom_id)`.
///
/// # Safety
/// `arg` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_from_buf(
    arg: *mut *mut vaccel_arg,
    buf: *mut c_void,
    size: usize,
    type_: u32,
    custom_id: u32,
) -> c_int {
    run(|| {
        non_null(arg)?;
        let p = arg::arg_from_buf(buf, size, type_, custom_id)?;
        // SAFETY: checked non-NULL; writable (caller).
        unsafe { arg.write(p) };
        Ok(())
    })
}

/// `int vaccel_arg_delete(struct vaccel_arg *arg)`.
///
/// # Safety
/// `arg` must be NULL or come from `vaccel_arg_new` / `vaccel_arg_from_buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_delete(arg: *mut vaccel_arg) -> c_int {
    // SAFETY: guaranteed by the caller.
    run(|| unsafe { arg::arg_delete(arg) })
}

// ---------------------------------------------------------------------------------------------
// Arrays
// ---------------------------------------------------------------------------------------------

/// `int vaccel_arg_array_init(struct vaccel_arg_array *array, size_t initial_capacity)`.
///
/// # Safety
/// `array` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_init(
    array: *mut vaccel_arg_array,
    initial_capacity: usize,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let a = unsafe { mut_ref(array) }?;
        arg::init(a, initial_capacity)
    })
}

/// `int vaccel_arg_array_release(struct vaccel_arg_array *array)`.
///
/// # Safety
/// `array` must be NULL or an initialised array.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_release(array: *mut vaccel_arg_array) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let a = unsafe { mut_ref(array) }?;
        // SAFETY: guaranteed by the caller.
        unsafe { arg::release(a) }
    })
}

/// `int vaccel_arg_array_new(struct vaccel_arg_array **array, size_t initial_capacity)`.
///
/// # Safety
/// `array` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_new(
    array: *mut *mut vaccel_arg_array,
    initial_capacity: usize,
) -> c_int {
    run(|| {
        non_null(array)?;
        let p = arg::new(initial_capacity)?;
        // SAFETY: checked non-NULL; writable (caller).
        unsafe { array.write(p) };
        Ok(())
    })
}

/// `int vaccel_arg_array_delete(struct vaccel_arg_array *array)`.
///
/// # Safety
/// `array` must be NULL or come from `vaccel_arg_array_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_delete(array: *mut vaccel_arg_array) -> c_int {
    // SAFETY: guaranteed by the caller.
    run(|| unsafe { arg::delete(array) })
}

/// `int vaccel_arg_array_wrap(struct vaccel_arg_array *array, struct vaccel_arg *args,
/// size_t count)`.
///
/// # Safety
/// `array` must be NULL or writable; `args` NULL or valid for `count` arguments while wrapped.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_wrap(
    array: *mut vaccel_arg_array,
    args: *mut vaccel_arg,
    count: usize,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let a = unsafe { mut_ref(array) }?;
        *a = arg::wrap(args, count)?;
        Ok(())
    })
}

/// `void vaccel_arg_array_clear(struct vaccel_arg_array *array)`.
///
/// # Safety
/// `array` must be NULL or an initialised array.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_clear(array: *mut vaccel_arg_array) {
    guard_or((), || {
        // SAFETY: guaranteed by the caller.
        if let Ok(a) = unsafe { mut_ref(array) } {
            // SAFETY: guaranteed by the caller.
            unsafe { arg::clear(a) };
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Typed accessors: 13 rows × 6 functions
// ---------------------------------------------------------------------------------------------

/// Generates the six accessors of each `VACCEL_ARG_NUMERIC_TYPES` row:
/// `(C type, scalar type, array type, add, add_array, get, get_array, set, set_array)`.
macro_rules! numeric_accessors {
    ($($t:ty, $scalar:ident, $array:ident,
       $add:ident, $add_array:ident, $get:ident, $get_array:ident, $set:ident, $set_array:ident;)*) => {$(
        #[doc = concat!("`int ", stringify!($add), "(struct vaccel_arg_array *array, T *value)`: ",
                        "references `*value`.\n\n# Safety\n`array` must be NULL or initialised; ",
                        "`value` NULL or valid while referenced.")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $add(array: *mut vaccel_arg_array, value: *mut $t) -> c_int {
            run(|| {
                // SAFETY: guaranteed by the caller.
                let a = unsafe { mut_ref(array) }?;
                // SAFETY: `value` is NULL (refused) or valid while referenced (caller).
                unsafe { arg::add_scalar(a, ArgType::$scalar, value) }
            })
        }

        #[doc = concat!("`int ", stringify!($add_array),
                        "(struct vaccel_arg_array *array, T *values, size_t count)`: references ",
                        "the values.\n\n# Safety\n`array` must be NULL or initialised; `values` ",
                        "NULL or valid for `count` values while referenced.")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $add_array(
            array: *mut vaccel_arg_array,
            values: *mut $t,
            count: usize,
        ) -> c_int {
            run(|| {
                // SAFETY: guaranteed by the caller.
                let a = unsafe { mut_ref(array) }?;
                // SAFETY: `values` is NULL (refused) or valid for `count` values (caller).
                unsafe { arg::add_array(a, ArgType::$array, values, count) }
            })
        }

        #[doc = concat!("`int ", stringify!($get), "(struct vaccel_arg_array *array, T *value)`: ",
                        "copies the value at the cursor.\n\n# Safety\n`array` must be NULL or ",
                        "initialised; `value` NULL or writable.")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $get(array: *mut vaccel_arg_array, value: *mut $t) -> c_int {
            run(|| {
                non_null(value)?;
                // SAFETY: guaranteed by the caller.
                let a = unsafe { mut_ref(array) }?;
                // SAFETY: the argument buffers are valid (caller); `$t` is checked by type.
                let v = unsafe { arg::get_scalar::<$t>(a, ArgType::$scalar) }?;
                // SAFETY: checked non-NULL; writable (caller).
                unsafe { value.write_unaligned(v) };
                Ok(())
            })
        }

        #[doc = concat!("`int ", stringify!($get_array),
                        "(struct vaccel_arg_array *array, T **values, size_t *count)`: a pointer ",
                        "into the argument at the cursor and its element count (`count` may be ",
                        "NULL).\n\n# Safety\n`array` must be NULL or initialised; `values` NULL ",
                        "or writable; `count` NULL or writable.")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $get_array(
            array: *mut vaccel_arg_array,
            values: *mut *mut $t,
            count: *mut usize,
        ) -> c_int {
            run(|| {
                non_null(values)?;
                // SAFETY: guaranteed by the caller.
                let a = unsafe { mut_ref(array) }?;
                // SAFETY: the argument buffers are valid (caller).
                let (p, n) = unsafe { arg::get_array::<$t>(a, ArgType::$array) }?;
                // SAFETY: checked non-NULL / optional; writable (caller).
                unsafe {
                    values.write(p);
                    store_opt(count, n);
                }
                Ok(())
            })
        }

        #[doc = concat!("`int ", stringify!($set), "(struct vaccel_arg_array *array, T *value)`: ",
                        "writes into the argument at the cursor.\n\n# Safety\n`array` must be ",
                        "NULL or initialised; `value` NULL or readable.")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $set(array: *mut vaccel_arg_array, value: *mut $t) -> c_int {
            run(|| {
                // SAFETY: guaranteed by the caller.
                let a = unsafe { mut_ref(array) }?;
                // SAFETY: `value` is NULL (refused) or readable (caller); read as bytes.
                unsafe { arg::set_scalar_ptr(a, ArgType::$scalar, value.cast_const()) }
            })
        }

        #[doc = concat!("`int ", stringify!($set_array),
                        "(struct vaccel_arg_array *array, T *values, size_t count)`: writes ",
                        "`count` values into the argument at the cursor.\n\n# Safety\n`array` ",
                        "must be NULL or initialised; `values` NULL or readable for `count` values.")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $set_array(
            array: *mut vaccel_arg_array,
            values: *mut $t,
            count: usize,
        ) -> c_int {
            run(|| {
                // SAFETY: guaranteed by the caller.
                let a = unsafe { mut_ref(array) }?;
                // SAFETY: `values` is NULL (refused) or readable for `count` values (caller).
                unsafe { arg::set_array(a, ArgType::$array, values.cast_const(), count) }
            })
        }
    )*};
}

numeric_accessors! {
    i8, Int8, Int8Array,
        vaccel_arg_array_add_int8, vaccel_arg_array_add_int8_array,
        vaccel_arg_array_get_int8, vaccel_arg_array_get_int8_array,
        vaccel_arg_array_set_int8, vaccel_arg_array_set_int8_array;
    i16, Int16, Int16Array,
        vaccel_arg_array_add_int16, vaccel_arg_array_add_int16_array,
        vaccel_arg_array_get_int16, vaccel_arg_array_get_int16_array,
        vaccel_arg_array_set_int16, vaccel_arg_array_set_int16_array;
    i32, Int32, Int32Array,
        vaccel_arg_array_add_int32, vaccel_arg_array_add_int32_array,
        vaccel_arg_array_get_int32, vaccel_arg_array_get_int32_array,
        vaccel_arg_array_set_int32, vaccel_arg_array_set_int32_array;
    i64, Int64, Int64Array,
        vaccel_arg_array_add_int64, vaccel_arg_array_add_int64_array,
        vaccel_arg_array_get_int64, vaccel_arg_array_get_int64_array,
        vaccel_arg_array_set_int64, vaccel_arg_array_set_int64_array;
    u8, Uint8, Uint8Array,
        vaccel_arg_array_add_uint8, vaccel_arg_array_add_uint8_array,
        vaccel_arg_array_get_uint8, vaccel_arg_array_get_uint8_array,
        vaccel_arg_array_set_uint8, vaccel_arg_array_set_uint8_array;
    u16, Uint16, Uint16Array,
        vaccel_arg_array_add_uint16, vaccel_arg_array_add_uint16_array,
        vaccel_arg_array_get_uint16, vaccel_arg_array_get_uint16_array,
        vaccel_arg_array_set_uint16, vaccel_arg_array_set_uint16_array;
    u32, Uint32, Uint32Array,
        vaccel_arg_array_add_uint32, vaccel_arg_array_add_uint32_array,
        vaccel_arg_array_get_uint32, vaccel_arg_array_get_uint32_array,
        vaccel_arg_array_set_uint32, vaccel_arg_array_set_uint32_array;
    u64, Uint64, Uint64Array,
        vaccel_arg_array_add_uint64, vaccel_arg_array_add_uint64_array,
        vaccel_arg_array_get_uint64, vaccel_arg_array_get_uint64_array,
        vaccel_arg_array_set_uint64, vaccel_arg_array_set_uint64_array;
    f32, Float32, Float32Array,
        vaccel_arg_array_add_float, vaccel_arg_array_add_float_array,
        vaccel_arg_array_get_float, vaccel_arg_array_get_float_array,
        vaccel_arg_array_set_float, vaccel_arg_array_set_float_array;
    f64, Float64, Float64Array,
        vaccel_arg_array_add_double, vaccel_arg_array_add_double_array,
        vaccel_arg_array_get_double, vaccel_arg_array_get_double_array,
        vaccel_arg_array_set_double, vaccel_arg_array_set_double_array;
    bool, Bool, BoolArray,
        vaccel_arg_array_add_bool, vaccel_arg_array_add_bool_array,
        vaccel_arg_array_get_bool, vaccel_arg_array_get_bool_array,
        vaccel_arg_array_set_bool, vaccel_arg_array_set_bool_array;
    c_char, Char, CharArray,
        vaccel_arg_array_add_char, vaccel_arg_array_add_char_array,
        vaccel_arg_array_get_char, vaccel_arg_array_get_char_array,
        vaccel_arg_array_set_char, vaccel_arg_array_set_char_array;
    u8, Uchar, UcharArray,
        vaccel_arg_array_add_uchar, vaccel_arg_array_add_uchar_array,
        vaccel_arg_array_get_uchar, vaccel_arg_array_get_uchar_array,
        vaccel_arg_array_set_uchar, vaccel_arg_array_set_uchar_array;
}

// ---------------------------------------------------------------------------------------------
// Other accessors
// ---------------------------------------------------------------------------------------------

/// `int vaccel_arg_array_add_raw(struct vaccel_arg_array *array, void *buf, size_t size)`.
///
/// # Safety
/// `array` must be NULL or initialised; `buf` valid for `size` bytes while referenced.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_add_raw(
    array: *mut vaccel_arg_array,
    buf: *mut c_void,
    size: usize,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let a = unsafe { mut_ref(array) }?;
        // SAFETY: guaranteed by the caller.
        unsafe { arg::add_raw(a, buf, size) }
    })
}

/// `int vaccel_arg_array_add_string(struct vaccel_arg_array *array, char *str)`.
///
/// # Safety
/// `array` must be NULL or initialised; `str` NULL or a C string valid while referenced.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_add_string(
    array: *mut vaccel_arg_array,
    str: *mut c_char,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let a = unsafe { mut_ref(array) }?;
        // SAFETY: guaranteed by the caller.
        unsafe { arg::add_string(a, str) }
    })
}

/// `int vaccel_arg_array_add_buffer(struct vaccel_arg_array *array, void *buf, size_t size)`.
///
/// # Safety
/// `array` must be NULL or initialised; `buf` NULL or valid for `size` bytes while referenced.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_add_buffer(
    array: *mut vaccel_arg_array,
    buf: *mut c_void,
    size: usize,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let a = unsafe { mut_ref(array) }?;
        // SAFETY: guaranteed by the caller.
        unsafe { arg::add_buffer(a, buf, size) }
    })
}

/// `int vaccel_arg_array_add_custom(struct vaccel_arg_array *array, uint32_t custom_id,
/// void *buf, size_t size, vaccel_arg_type_validator_fn validator)`. A NULL validator accepts
/// any data.
///
/// # Safety
/// `array` must be NULL or initialised; `buf` NULL or valid for `size` bytes while referenced.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_add_custom(
    array: *mut vaccel_arg_array,
    custom_id: u32,
    buf: *mut c_void,
    size: usize,
    validator: Option<ValidatorFn>,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let a = unsafe { mut_ref(array) }?;
        // SAFETY: guaranteed by the caller.
        unsafe { arg::add_custom(a, custom_id, buf, size, validator) }
    })
}

/// `int vaccel_arg_array_add_serialized(struct vaccel_arg_array *array, vaccel_arg_type_t type,
/// uint32_t custom_id, const void *data, size_t data_size, vaccel_arg_serializer_fn serializer)`:
/// the array owns the serializer's output.
///
/// # Safety
/// `array` must be NULL or initialised; `data` what `serializer` expects.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_add_serialized(
    array: *mut vaccel_arg_array,
    type_: u32,
    custom_id: u32,
    data: *const c_void,
    data_size: usize,
    serializer: Option<SerializerFn>,
) -> c_int {
    run(|| {
        let serializer = serializer.ok_or(Error::EINVAL)?;
        // SAFETY: guaranteed by the caller.
        let a = unsafe { mut_ref(array) }?;
        // SAFETY: guaranteed by the caller.
        unsafe { arg::add_serialized(a, type_, custom_id, data, data_size, serializer) }
    })
}

/// Appends `args()` (taken from `src` before `dest` is borrowed, so `dest == src` is fine).
///
/// # Safety
/// `dest` and `src` must be NULL or initialised arrays.
unsafe fn add_from(
    dest: *mut vaccel_arg_array,
    src: *const vaccel_arg_array,
    copy: bool,
    args: impl FnOnce(&vaccel_arg_array) -> Result<Vec<vaccel_arg>>,
) -> Result<()> {
    if dest.is_null() {
        return Err(Error::EINVAL);
    }
    // SAFETY: guaranteed by the caller; the borrow ends before `dest` is borrowed.
    let items = args(unsafe { shared_ref(src) }?)?;
    // SAFETY: guaranteed by the caller; no other borrow of `*dest` is live.
    let d = unsafe { mut_ref(dest) }?;
    // SAFETY: the items come from an initialised array whose buffers are valid (caller).
    unsafe { arg::add_args(d, &items, copy) }
}

/// `int vaccel_arg_array_add_range(struct vaccel_arg_array *dest,
/// const struct vaccel_arg_array *src, size_t start_idx, size_t count, bool copy)`.
///
/// # Safety
/// `dest` and `src` must be NULL or initialised arrays (they may be the same).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_add_range(
    dest: *mut vaccel_arg_array,
    src: *const vaccel_arg_array,
    start_idx: usize,
    count: usize,
    copy: bool,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        unsafe { add_from(dest, src, copy, |s| arg::range_of(s, start_idx, count)) }
    })
}

/// `int vaccel_arg_array_add_remaining(struct vaccel_arg_array *dest,
/// const struct vaccel_arg_array *src, bool copy)`.
///
/// # Safety
/// As `vaccel_arg_array_add_range`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_add_remaining(
    dest: *mut vaccel_arg_array,
    src: *const vaccel_arg_array,
    copy: bool,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        unsafe { add_from(dest, src, copy, |s| arg::remaining_of(s)) }
    })
}

/// `int vaccel_arg_array_add_all(struct vaccel_arg_array *dest,
/// const struct vaccel_arg_array *src, bool copy)`.
///
/// # Safety
/// As `vaccel_arg_array_add_range`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_add_all(
    dest: *mut vaccel_arg_array,
    src: *const vaccel_arg_array,
    copy: bool,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        unsafe { add_from(dest, src, copy, |s| arg::all_of(s)) }
    })
}

/// `int vaccel_arg_array_get_raw(struct vaccel_arg_array *array, void **buf, size_t *size)`
/// (`size` may be NULL).
///
/// # Safety
/// `array` must be NULL or initialised; `buf`/`size` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_get_raw(
    array: *mut vaccel_arg_array,
    buf: *mut *mut c_void,
    size: *mut usize,
) -> c_int {
    run(|| {
        non_null(buf)?;
        // SAFETY: guaranteed by the caller.
        let a = unsafe { mut_ref(array) }?;
        // SAFETY: guaranteed by the caller.
        let (p, n) = unsafe { arg::get_raw(a) }?;
        // SAFETY: checked / optional; writable (caller).
        unsafe {
            buf.write(p);
            store_opt(size, n);
        }
        Ok(())
    })
}

/// `int vaccel_arg_array_get_string(struct vaccel_arg_array *array, char **str)`.
///
/// # Safety
/// `array` must be NULL or initialised; `str` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_get_string(
    array: *mut vaccel_arg_array,
    str: *mut *mut c_char,
) -> c_int {
    run(|| {
        non_null(str)?;
        // SAFETY: guaranteed by the caller.
        let a = unsafe { mut_ref(array) }?;
        // SAFETY: guaranteed by the caller.
        let s = unsafe { arg::get_string(a) }?;
        // SAFETY: checked non-NULL; writable (caller).
        unsafe { str.write(s) };
        Ok(())
    })
}

/// `int vaccel_arg_array_get_buffer(struct vaccel_arg_array *array, void **buf, size_t *size)`
/// (`size` may be NULL).
///
/// # Safety
/// `array` must be NULL or initialised; `buf`/`size` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_get_buffer(
    array: *mut vaccel_arg_array,
    buf: *mut *mut c_void,
    size: *mut usize,
) -> c_int {
    run(|| {
        non_null(buf)?;
        // SAFETY: guaranteed by the caller.
        let a = unsafe { mut_ref(array) }?;
        // SAFETY: guaranteed by the caller.
        let (p, n) = unsafe { arg::get_buffer(a) }?;
        // SAFETY: checked / optional; writable (caller).
        unsafe {
            buf.write(p);
            store_opt(size, n);
        }
        Ok(())
    })
}

/// `int vaccel_arg_array_get_custom(struct vaccel_arg_array *array, uint32_t expected_id,
/// void **buf, size_t *size, vaccel_arg_type_validator_fn validator)` (`size` may be NULL; a NULL
/// validator accepts any data).
///
/// # Safety
/// `array` must be NULL or initialised; `buf`/`size` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_get_custom(
    array: *mut vaccel_arg_array,
    expected_id: u32,
    buf: *mut *mut c_void,
    size: *mut usize,
    validator: Option<ValidatorFn>,
) -> c_int {
    run(|| {
        non_null(buf)?;
        // SAFETY: guaranteed by the caller.
        let a = unsafe { mut_ref(array) }?;
        // SAFETY: guaranteed by the caller.
        let (p, n) = unsafe { arg::get_custom(a, expected_id, validator) }?;
        // SAFETY: checked / optional; writable (caller).
        unsafe {
            buf.write(p);
            store_opt(size, n);
        }
        Ok(())
    })
}

/// `int vaccel_arg_array_get_serialized(struct vaccel_arg_array *array,
/// vaccel_arg_type_t expected_type, uint32_t expected_custom_id, void *data,
/// size_t expected_size, vaccel_arg_deserializer_fn deserializer)`.
///
/// # Safety
/// `array` must be NULL or initialised; `data` what `deserializer` expects.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_get_serialized(
    array: *mut vaccel_arg_array,
    expected_type: u32,
    expected_custom_id: u32,
    data: *mut c_void,
    expected_size: usize,
    deserializer: Option<DeserializerFn>,
) -> c_int {
    run(|| {
        let deserializer = deserializer.ok_or(Error::EINVAL)?;
        non_null(data)?;
        // SAFETY: guaranteed by the caller.
        let a = unsafe { mut_ref(array) }?;
        // SAFETY: guaranteed by the caller.
        unsafe {
            arg::get_serialized(
                a,
                expected_type,
                expected_custom_id,
                data,
                expected_size,
                deserializer,
            )
        }
    })
}

/// `int vaccel_arg_array_set_raw(struct vaccel_arg_array *array, void *buf, size_t size)`.
///
/// # Safety
/// `array` must be NULL or initialised; `buf` NULL or readable for `size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_set_raw(
    array: *mut vaccel_arg_array,
    buf: *mut c_void,
    size: usize,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let a = unsafe { mut_ref(array) }?;
        // SAFETY: guaranteed by the caller.
        unsafe { arg::set_raw(a, buf, size) }
    })
}

/// `int vaccel_arg_array_set_string(struct vaccel_arg_array *array, char *str)`.
///
/// # Safety
/// `array` must be NULL or initialised; `str` NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_set_string(
    array: *mut vaccel_arg_array,
    str: *mut c_char,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let a = unsafe { mut_ref(array) }?;
        // SAFETY: guaranteed by the caller.
        unsafe { arg::set_string(a, str) }
    })
}

/// `int vaccel_arg_array_set_buffer(struct vaccel_arg_array *array, void *buf, size_t size)`.
///
/// # Safety
/// `array` must be NULL or initialised; `buf` NULL or readable for `size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_set_buffer(
    array: *mut vaccel_arg_array,
    buf: *mut c_void,
    size: usize,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let a = unsafe { mut_ref(array) }?;
        // SAFETY: guaranteed by the caller.
        unsafe { arg::set_buffer(a, buf, size) }
    })
}

/// `int vaccel_arg_array_set_custom(struct vaccel_arg_array *array, uint32_t expected_id,
/// void *buf, size_t size, vaccel_arg_type_validator_fn validator)`.
///
/// # Safety
/// `array` must be NULL or initialised; `buf` NULL or readable for `size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_set_custom(
    array: *mut vaccel_arg_array,
    expected_id: u32,
    buf: *mut c_void,
    size: usize,
    validator: Option<ValidatorFn>,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let a = unsafe { mut_ref(array) }?;
        // SAFETY: guaranteed by the caller.
        unsafe { arg::set_custom(a, expected_id, buf, size, validator) }
    })
}

/// `int vaccel_arg_array_set_serialized(struct vaccel_arg_array *array,
/// vaccel_arg_type_t expected_type, uint32_t expected_custom_id, void *data, size_t data_size,
/// vaccel_arg_serializer_fn serializer)`.
///
/// # Safety
/// `array` must be NULL or initialised; `data` what `serializer` expects.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_set_serialized(
    array: *mut vaccel_arg_array,
    expected_type: u32,
    expected_custom_id: u32,
    data: *mut c_void,
    data_size: usize,
    serializer: Option<SerializerFn>,
) -> c_int {
    run(|| {
        let serializer = serializer.ok_or(Error::EINVAL)?;
        // SAFETY: guaranteed by the caller.
        let a = unsafe { mut_ref(array) }?;
        // SAFETY: guaranteed by the caller.
        unsafe {
            arg::set_serialized(
                a,
                expected_type,
                expected_custom_id,
                data,
                data_size,
                serializer,
            )
        }
    })
}

/// `int vaccel_arg_array_get_remaining(struct vaccel_arg_array *array, struct vaccel_arg **args,
/// size_t *count)`: the arguments from the cursor on (NULL/0 if none); the cursor does not move.
/// `count` may be NULL.
///
/// # Safety
/// `array` must be NULL or initialised; `args`/`count` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_get_remaining(
    array: *mut vaccel_arg_array,
    args: *mut *mut vaccel_arg,
    count: *mut usize,
) -> c_int {
    run(|| {
        non_null(args)?;
        // SAFETY: guaranteed by the caller.
        let a = unsafe { shared_ref(array) }?;
        let (p, n) = arg::remaining(a);
        // SAFETY: checked / optional; writable (caller).
        unsafe {
            args.write(p);
            store_opt(count, n);
        }
        Ok(())
    })
}

/// `size_t vaccel_arg_array_remaining_count(const struct vaccel_arg_array *array)` (0 for NULL).
///
/// # Safety
/// `array` must be NULL or point to an array struct.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_remaining_count(array: *const vaccel_arg_array) -> usize {
    guard_or(0, || {
        // SAFETY: guaranteed by the caller.
        unsafe { shared_ref(array) }.map_or(0, arg::remaining_count)
    })
}

/// `size_t vaccel_arg_array_position(const struct vaccel_arg_array *array)` (0 for NULL).
///
/// # Safety
/// `array` must be NULL or point to an array struct.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_position(array: *const vaccel_arg_array) -> usize {
    // SAFETY: guaranteed by the caller.
    guard_or(0, || unsafe { shared_ref(array) }.map_or(0, arg::position))
}

/// `void vaccel_arg_array_set_position(struct vaccel_arg_array *array, size_t position)`.
///
/// # Safety
/// `array` must be NULL or point to an array struct.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_set_position(
    array: *mut vaccel_arg_array,
    position: usize,
) {
    guard_or((), || {
        // SAFETY: guaranteed by the caller.
        if let Ok(a) = unsafe { mut_ref(array) } {
            arg::set_position(a, position);
        }
    })
}

/// `void vaccel_arg_array_reset_position(struct vaccel_arg_array *array)`.
///
/// # Safety
/// `array` must be NULL or point to an array struct.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_reset_position(array: *mut vaccel_arg_array) {
    guard_or((), || {
        // SAFETY: guaranteed by the caller.
        if let Ok(a) = unsafe { mut_ref(array) } {
            arg::reset_position(a);
        }
    })
}

/// `size_t vaccel_arg_array_count(const struct vaccel_arg_array *array)` (0 for NULL).
///
/// # Safety
/// `array` must be NULL or point to an array struct.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_count(array: *const vaccel_arg_array) -> usize {
    // SAFETY: guaranteed by the caller.
    guard_or(0, || unsafe { shared_ref(array) }.map_or(0, arg::count))
}

/// `struct vaccel_arg *vaccel_arg_array_raw(struct vaccel_arg_array *array)` (NULL for NULL).
///
/// # Safety
/// `array` must be NULL or point to an array struct.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_arg_array_raw(array: *mut vaccel_arg_array) -> *mut vaccel_arg {
    guard_or(ptr::null_mut(), || {
        // SAFETY: guaranteed by the caller.
        unsafe { shared_ref(array) }.map_or(ptr::null_mut(), arg::raw)
    })
}

// ---------------------------------------------------------------------------------------------
// Deprecated list API (§12.5)
// ---------------------------------------------------------------------------------------------
//
// A list has `size` calloc'd slots filled in order (`curr_idx` is the next free one);
// `idcs_allocated_space[i]` is 1 when the library allocated slot `i`'s buffer. Serial arguments
// are RAW references; non-serial ones are CUSTOM (`custom_type_id` = the caller's type) and own
// their buffers. Unlike upstream (§21.11), `vaccel_delete_args` frees only slots that were filled
// and marked, and a full list returns ERANGE.

/// `void *(*)(void *, uint32_t *)`: a deprecated serializer returning a malloc'd buffer.
pub type LegacySerializer = unsafe extern "C" fn(*mut c_void, *mut u32) -> *mut c_void;
/// `void *(*)(void *, uint32_t)`: a deprecated deserializer.
pub type LegacyDeserializer = unsafe extern "C" fn(*mut c_void, u32) -> *mut c_void;

/// The next free slot of a list, or EINVAL (NULL / corrupt list) / ERANGE (full).
///
/// # Safety
/// `args` must be NULL or a list from `vaccel_args_init`.
unsafe fn next_slot<'a>(args: *mut vaccel_arg_list) -> Result<(&'a mut vaccel_arg_list, usize)> {
    // SAFETY: guaranteed by the caller.
    let list = unsafe { mut_ref(args) }?;
    if list.list.is_null() || list.idcs_allocated_space.is_null() || list.curr_idx < 0 {
        return Err(Error::EINVAL);
    }
    let idx = list.curr_idx as usize;
    if idx >= list.size as usize {
        return Err(Error::ERANGE);
    }
    Ok((list, idx))
}

/// Fills the next slot and advances `curr_idx`.
///
/// # Safety
/// `list` must come from `vaccel_args_init`; `idx` from [`next_slot`].
unsafe fn fill_slot(list: &mut vaccel_arg_list, idx: usize, arg: vaccel_arg) {
    // SAFETY: `idx < size`, and both arrays hold `size` entries.
    unsafe {
        list.list.add(idx).write(arg);
        list.idcs_allocated_space
            .add(idx)
            .write(c_int::from(arg.owned));
    }
    list.curr_idx += 1;
}

/// A RAW reference argument.
fn raw_ref(buf: *mut c_void, size: u32) -> vaccel_arg {
    vaccel_arg {
        buf,
        size: size as usize,
        type_: ArgType::Raw as u32,
        custom_type_id: 0,
        owned: false,
    }
}

/// `struct vaccel_arg_list *vaccel_args_init(uint32_t size)` (deprecated): a list of `size`
/// empty slots, or NULL if allocation fails.
#[unsafe(no_mangle)]
pub extern "C" fn vaccel_args_init(size: u32) -> *mut vaccel_arg_list {
    guard_or(ptr::null_mut(), || {
        let slots = (size as usize).max(1);
        // SAFETY: calloc has no preconditions.
        let (l, list, idcs) = unsafe {
            (
                libc::calloc(1, size_of::<vaccel_arg_list>()).cast::<vaccel_arg_list>(),
                libc::calloc(slots, size_of::<vaccel_arg>()).cast::<vaccel_arg>(),
                libc::calloc(slots, size_of::<c_int>()).cast::<c_int>(),
            )
        };
        if l.is_null() || list.is_null() || idcs.is_null() {
            // SAFETY: each is NULL or a fresh allocation.
            unsafe {
                libc::free(l.cast());
                libc::free(list.cast());
                libc::free(idcs.cast());
            }
            return ptr::null_mut();
        }
        // SAFETY: `l` is a fresh allocation of one list.
        unsafe {
            l.write(vaccel_arg_list {
                size,
                list,
                curr_idx: 0,
                idcs_allocated_space: idcs,
            })
        };
        l
    })
}

/// `int vaccel_add_serial_arg(struct vaccel_arg_list *args, void *buf, uint32_t size)`
/// (deprecated): references `buf` as a RAW argument.
///
/// # Safety
/// `args` must be NULL or a list from `vaccel_args_init`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_add_serial_arg(
    args: *mut vaccel_arg_list,
    buf: *mut c_void,
    size: u32,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let (list, idx) = unsafe { next_slot(args) }?;
        // SAFETY: `idx` comes from `next_slot`.
        unsafe { fill_slot(list, idx, raw_ref(buf, size)) };
        Ok(())
    })
}

/// `int vaccel_add_nonserial_arg(struct vaccel_arg_list *args, void *buf, uint32_t type,
/// void *(*serializer)(void *, uint32_t *))` (deprecated): stores the serializer's malloc'd
/// output as a CUSTOM argument with `custom_type_id = type`, owned by the list.
///
/// # Safety
/// `args` must be NULL or a list from `vaccel_args_init`; `buf` what `serializer` expects, which
/// must return a malloc'd buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_add_nonserial_arg(
    args: *mut vaccel_arg_list,
    buf: *mut c_void,
    type_: u32,
    serializer: Option<LegacySerializer>,
) -> c_int {
    run(|| {
        let serializer = serializer.ok_or(Error::EINVAL)?;
        // SAFETY: guaranteed by the caller.
        let (list, idx) = unsafe { next_slot(args) }?;
        let mut size = 0u32;
        // SAFETY: the caller's serializer on the caller's data; `size` is a live local.
        let out = unsafe { serializer(buf, &mut size) };
        if out.is_null() {
            return Err(Error::EINVAL);
        }
        let arg = vaccel_arg {
            buf: out,
            size: size as usize,
            type_: ArgType::Custom as u32,
            custom_type_id: type_,
            owned: true,
        };
        // SAFETY: `idx` comes from `next_slot`.
        unsafe { fill_slot(list, idx, arg) };
        Ok(())
    })
}

/// `int vaccel_expect_serial_arg(struct vaccel_arg_list *args, void *buf, uint32_t size)`
/// (deprecated): references an output buffer as a RAW argument.
///
/// # Safety
/// `args` must be NULL or a list from `vaccel_args_init`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_expect_serial_arg(
    args: *mut vaccel_arg_list,
    buf: *mut c_void,
    size: u32,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let (list, idx) = unsafe { next_slot(args) }?;
        // SAFETY: `idx` comes from `next_slot`.
        unsafe { fill_slot(list, idx, raw_ref(buf, size)) };
        Ok(())
    })
}

/// `int vaccel_expect_nonserial_arg(struct vaccel_arg_list *args, uint32_t expected_size)`
/// (deprecated): a zeroed, list-owned output buffer of `expected_size` bytes (a CUSTOM argument
/// with id 0).
///
/// # Safety
/// `args` must be NULL or a list from `vaccel_args_init`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_expect_nonserial_arg(
    args: *mut vaccel_arg_list,
    expected_size: u32,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let (list, idx) = unsafe { next_slot(args) }?;
        let size = expected_size as usize;
        let buf = if size == 0 {
            ptr::null_mut()
        } else {
            // SAFETY: calloc has no preconditions.
            let b = unsafe { libc::calloc(1, size) };
            if b.is_null() {
                return Err(Error::ENOMEM);
            }
            b
        };
        let arg = vaccel_arg {
            buf,
            size,
            type_: ArgType::Custom as u32,
            custom_type_id: 0,
            owned: !buf.is_null(),
        };
        // SAFETY: `idx` comes from `next_slot`.
        unsafe { fill_slot(list, idx, arg) };
        Ok(())
    })
}

/// The argument `args[idx]`, or `None` for NULL / negative index.
///
/// # Safety
/// `args` must be NULL or valid for at least `idx + 1` arguments.
unsafe fn nth<'a>(args: *mut vaccel_arg, idx: c_int) -> Option<&'a mut vaccel_arg> {
    let idx = usize::try_from(idx).ok()?;
    // SAFETY: guaranteed by the caller.
    unsafe { args.as_mut().map(|_| &mut *args.add(idx)) }
}

/// `void *vaccel_extract_serial_arg(struct vaccel_arg *args, int idx)` (deprecated): the buffer
/// of `args[idx]` (NULL for NULL args or a negative index).
///
/// # Safety
/// `args` must be NULL or valid for at least `idx + 1` arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_extract_serial_arg(
    args: *mut vaccel_arg,
    idx: c_int,
) -> *mut c_void {
    guard_or(ptr::null_mut(), || {
        // SAFETY: guaranteed by the caller.
        unsafe { nth(args, idx) }.map_or(ptr::null_mut(), |a| a.buf)
    })
}

/// `void *vaccel_extract_nonserial_arg(struct vaccel_arg *args, int idx,
/// void *(*deserializer)(void *, uint32_t))` (deprecated): the deserializer's result for
/// `args[idx]`.
///
/// # Safety
/// `args` must be NULL or valid for at least `idx + 1` arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_extract_nonserial_arg(
    args: *mut vaccel_arg,
    idx: c_int,
    deserializer: Option<LegacyDeserializer>,
) -> *mut c_void {
    guard_or(ptr::null_mut(), || {
        // SAFETY: guaranteed by the caller.
        match (unsafe { nth(args, idx) }, deserializer) {
            // SAFETY: the caller's deserializer on the argument's buffer.
            (Some(a), Some(de)) => unsafe { de(a.buf, a.size as u32) },
            _ => ptr::null_mut(),
        }
    })
}

/// `int vaccel_write_serial_arg(struct vaccel_arg *args, int idx, void *buf)` (deprecated):
/// copies `args[idx].size` bytes from `buf` into the argument.
///
/// # Safety
/// `args` must be NULL or valid for at least `idx + 1` arguments with writable buffers; `buf`
/// NULL or readable for the argument's size.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_write_serial_arg(
    args: *mut vaccel_arg,
    idx: c_int,
    buf: *mut c_void,
) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let a = unsafe { nth(args, idx) }.ok_or(Error::EINVAL)?;
        if a.size == 0 {
            return Ok(());
        }
        if buf.is_null() || a.buf.is_null() {
            return Err(Error::EINVAL);
        }
        // SAFETY: both buffers hold `a.size` bytes (caller).
        unsafe { ptr::copy(buf.cast::<u8>(), a.buf.cast::<u8>(), a.size) };
        Ok(())
    })
}

/// `int vaccel_write_nonserial_arg(struct vaccel_arg *args, int idx, void *buf,
/// void *(*serializer)(void *, uint32_t *))` (deprecated): serialises `buf` and copies the
/// output into `args[idx]`, which must be large enough (EINVAL otherwise). The serializer's
/// malloc'd output is freed.
///
/// # Safety
/// `args` must be NULL or valid for at least `idx + 1` arguments with writable buffers; the
/// serializer must return a malloc'd buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_write_nonserial_arg(
    args: *mut vaccel_arg,
    idx: c_int,
    buf: *mut c_void,
    serializer: Option<LegacySerializer>,
) -> c_int {
    run(|| {
        let serializer = serializer.ok_or(Error::EINVAL)?;
        // SAFETY: guaranteed by the caller.
        let a = unsafe { nth(args, idx) }.ok_or(Error::EINVAL)?;
        let mut size = 0u32;
        // SAFETY: the caller's serializer on the caller's data; `size` is a live local.
        let out = unsafe { serializer(buf, &mut size) };
        if out.is_null() {
            return Err(Error::EINVAL);
        }
        let n = size as usize;
        let ok = n <= a.size && (n == 0 || !a.buf.is_null());
        if ok && n > 0 {
            // SAFETY: `out` holds `n` bytes and the argument at least as many.
            unsafe { ptr::copy(out.cast::<u8>(), a.buf.cast::<u8>(), n) };
        }
        // SAFETY: the serializer's output is malloc'd and no longer used.
        unsafe { libc::free(out) };
        if ok { Ok(()) } else { Err(Error::EINVAL) }
    })
}

/// `int vaccel_delete_args(struct vaccel_arg_list *args)` (deprecated): frees the buffers the
/// list allocated (only in filled slots), the slots and the list.
///
/// # Safety
/// `args` must be NULL or a list from `vaccel_args_init`, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vaccel_delete_args(args: *mut vaccel_arg_list) -> c_int {
    run(|| {
        // SAFETY: guaranteed by the caller.
        let list = unsafe { mut_ref(args) }?;
        let filled = usize::try_from(list.curr_idx)
            .unwrap_or(0)
            .min(list.size as usize);
        if !list.list.is_null() && !list.idcs_allocated_space.is_null() {
            for i in 0..filled {
                // SAFETY: `i < curr_idx <= size`: a filled slot of both arrays.
                unsafe {
                    if *list.idcs_allocated_space.add(i) != 0 {
                        let a = &mut *list.list.add(i);
                        libc::free(a.buf);
                        a.buf = ptr::null_mut();
                    }
                }
            }
        }
        // SAFETY: the arrays and the list come from `vaccel_args_init` (calloc); free(NULL) is
        // a no-op.
        unsafe {
            libc::free(list.idcs_allocated_space.cast());
            libc::free(list.list.cast());
            libc::free(args.cast());
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vaccel_abi::{VACCEL_EINVAL, VACCEL_ERANGE};

    fn empty() -> vaccel_arg_array {
        vaccel_arg_array {
            args: ptr::null_mut(),
            count: 0,
            capacity: 0,
            position: 0,
            owned: false,
        }
    }

    #[test]
    fn typed_accessors_through_the_c_api() {
        // SAFETY: every pointer refers to live locals that outlive the array.
        unsafe {
            let mut a = empty();
            assert_eq!(vaccel_arg_array_init(ptr::null_mut(), 0), VACCEL_EINVAL);
            assert_eq!(vaccel_arg_array_init(&mut a, 0), 0);
            assert_eq!(a.capacity, 8);
            let mut v = 10i32;
            let mut d = [1.5f64, 2.5];
            let mut b = true;
            assert_eq!(vaccel_arg_array_add_int32(&mut a, &mut v), 0);
            assert_eq!(
                vaccel_arg_array_add_double_array(&mut a, d.as_mut_ptr(), 2),
                0
            );
            assert_eq!(vaccel_arg_array_add_bool(&mut a, &mut b), 0);
            assert_eq!(
                vaccel_arg_array_add_int32(&mut a, ptr::null_mut()),
                VACCEL_EINVAL
            );
            assert_eq!(
                vaccel_arg_array_add_int32(ptr::null_mut(), &mut v),
                VACCEL_EINVAL
            );
            assert_eq!(vaccel_arg_array_count(&a), 3);

            let mut out = 0i32;
            assert_eq!(
                vaccel_arg_array_get_int32(&mut a, ptr::null_mut()),
                VACCEL_EINVAL
            );
            assert_eq!(
                vaccel_arg_array_get_int64(&mut a, ptr::null_mut()),
                VACCEL_EINVAL
            );
            let mut wrong = 0u32;
            assert_eq!(
                vaccel_arg_array_get_uint32(&mut a, &mut wrong),
                VACCEL_EINVAL
            );
            assert_eq!(vaccel_arg_array_position(&a), 0);
            assert_eq!(vaccel_arg_array_get_int32(&mut a, &mut out), 0);
            assert_eq!(out, 10);
            let mut dp: *mut f64 = ptr::null_mut();
            assert_eq!(
                vaccel_arg_array_get_double_array(&mut a, &mut dp, ptr::null_mut()),
                0
            );
            assert_eq!(dp, d.as_mut_ptr());
            let mut ob = false;
            assert_eq!(vaccel_arg_array_get_bool(&mut a, &mut ob), 0);
            assert!(ob);
            assert_eq!(vaccel_arg_array_get_bool(&mut a, &mut ob), VACCEL_ERANGE);

            vaccel_arg_array_reset_position(&mut a);
            let mut nv = 20i32;
            assert_eq!(vaccel_arg_array_set_int32(&mut a, &mut nv), 0);
            assert_eq!(v, 20);
            let mut nd = [7.0f64];
            assert_eq!(
                vaccel_arg_array_set_double_array(&mut a, nd.as_mut_ptr(), 1),
                0
            );
            assert_eq!(d, [7.0, 2.5]);
            let mut bad = 2u8;
            let bad_bool = (&mut bad as *mut u8).cast::<bool>();
            assert_eq!(vaccel_arg_array_set_bool(&mut a, bad_bool), VACCEL_EINVAL);
            assert_eq!(vaccel_arg_array_add_bool(&mut a, bad_bool), VACCEL_EINVAL);

            let mut rest: *mut vaccel_arg = ptr::null_mut();
            let mut n = 0usize;
            assert_eq!(vaccel_arg_array_get_remaining(&mut a, &mut rest, &mut n), 0);
            assert_eq!((rest, n), (a.args.add(2), 1));
            assert_eq!(vaccel_arg_array_remaining_count(&a), 1);
            vaccel_arg_array_set_position(&mut a, 3);
            assert_eq!(vaccel_arg_array_get_remaining(&mut a, &mut rest, &mut n), 0);
            assert_eq!((rest, n), (ptr::null_mut(), 0));
            assert_eq!(vaccel_arg_array_raw(&mut a), a.args);
            assert_eq!(vaccel_arg_array_raw(ptr::null_mut()), ptr::null_mut());
            assert_eq!(vaccel_arg_array_count(ptr::null()), 0);

            vaccel_arg_array_clear(&mut a);
            assert_eq!((a.count, a.capacity), (0, 8));
            assert_eq!(vaccel_arg_array_release(&mut a), 0);
            assert_eq!(vaccel_arg_array_release(&mut a), VACCEL_EINVAL);
            vaccel_arg_array_clear(ptr::null_mut());
        }
    }

    #[test]
    fn wrap_string_buffer_through_the_c_api() {
        // SAFETY: every pointer refers to live locals.
        unsafe {
            let mut s = *b"lib.so\0";
            let mut buf = [0u8; 4];
            let mut args = [vaccel_arg {
                buf: ptr::null_mut(),
                size: 0,
                type_: 0,
                custom_type_id: 0,
                owned: false,
            }; 2];
            assert_eq!(
                vaccel_arg_init_from_buf(&mut args[0], s.as_mut_ptr().cast(), 7, 27, 0),
                0
            );
            assert_eq!(
                vaccel_arg_init_from_buf(&mut args[1], buf.as_mut_ptr().cast(), 4, 28, 0),
                0
            );
            let mut a = empty();
            assert_eq!(
                vaccel_arg_array_wrap(&mut a, ptr::null_mut(), 2),
                VACCEL_EINVAL
            );
            assert_eq!(vaccel_arg_array_wrap(&mut a, args.as_mut_ptr(), 2), 0);
            assert_eq!(
                vaccel_arg_array_add_raw(&mut a, buf.as_mut_ptr().cast(), 1),
                VACCEL_ERANGE
            );
            let mut sp: *mut c_char = ptr::null_mut();
            assert_eq!(vaccel_arg_array_get_string(&mut a, &mut sp), 0);
            assert_eq!(sp, s.as_mut_ptr().cast());
            let mut bp: *mut c_void = ptr::null_mut();
            let mut bn = 0usize;
            assert_eq!(vaccel_arg_array_get_buffer(&mut a, &mut bp, &mut bn), 0);
            assert_eq!(bn, 4);
            vaccel_arg_array_reset_position(&mut a);
            assert_eq!(
                vaccel_arg_array_set_string(&mut a, c"x".as_ptr().cast_mut()),
                0
            );
            assert_eq!(&s, b"x\0\0\0\0\0\0");
            let mut src = [1u8, 2, 3, 4];
            assert_eq!(
                vaccel_arg_array_set_buffer(&mut a, src.as_mut_ptr().cast(), 4),
                0
            );
            assert_eq!(buf, src);
        }
    }

    #[test]
    fn ranges_including_self() {
        // SAFETY: every pointer refers to live locals.
        unsafe {
            let mut a: *mut vaccel_arg_array = ptr::null_mut();
            assert_eq!(vaccel_arg_array_new(&mut a, 1), 0);
            let mut v = [1i16, 2];
            let vp = v.as_mut_ptr();
            assert_eq!(vaccel_arg_array_add_int16(a, vp), 0);
            assert_eq!(vaccel_arg_array_add_int16(a, vp.add(1)), 0);
            assert_eq!(vaccel_arg_array_add_all(a, a, true), 0);
            assert_eq!((*a).count, 4);
            assert_eq!(vaccel_arg_array_add_range(a, a, 3, 2, false), VACCEL_ERANGE);
            assert_eq!(
                vaccel_arg_array_add_range(a, ptr::null(), 0, 1, false),
                VACCEL_EINVAL
            );
            (*a).position = 3;
            assert_eq!(vaccel_arg_array_add_remaining(a, a, false), 0);
            assert_eq!((*a).count, 5);
            vp.add(1).write(9);
            let mut out = 0i16;
            (*a).position = 1;
            assert_eq!(vaccel_arg_array_get_int16(a, &mut out), 0);
            assert_eq!(out, 9);
            (*a).position = 3;
            assert_eq!(vaccel_arg_array_get_int16(a, &mut out), 0);
            assert_eq!(out, 2);
            assert_eq!(vaccel_arg_array_get_int16(a, &mut out), 0);
            assert_eq!(out, 2);
            assert_eq!(vaccel_arg_array_delete(a), 0);
            assert_eq!(vaccel_arg_array_delete(ptr::null_mut()), VACCEL_EINVAL);
        }
    }

    #[test]
    fn single_argument_c_api() {
        // SAFETY: every pointer refers to live locals or library allocations.
        unsafe {
            let data = [5u8; 3];
            let mut p: *mut vaccel_arg = ptr::null_mut();
            assert_eq!(
                vaccel_arg_new(ptr::null_mut(), data.as_ptr().cast(), 3, 0, 0),
                VACCEL_EINVAL
            );
            assert_eq!(vaccel_arg_new(&mut p, data.as_ptr().cast(), 3, 0, 0), 0);
            assert!((*p).owned);
            assert_eq!(vaccel_arg_release(p), 0);
            assert_eq!((*p).type_, vaccel_abi::VACCEL_ARG_MAX);
            assert_eq!(vaccel_arg_delete(p), 0);
            assert_eq!(
                vaccel_arg_from_buf(&mut p, data.as_ptr().cast_mut().cast(), 0, 0, 0),
                VACCEL_EINVAL
            );
            assert_eq!(
                vaccel_arg_from_buf(&mut p, data.as_ptr().cast_mut().cast(), 3, 0, 0),
                0
            );
            assert_eq!(vaccel_arg_delete(p), 0);
            assert_eq!(
                vaccel_arg_init(ptr::null_mut(), ptr::null(), 0, 0, 0),
                VACCEL_EINVAL
            );
            assert_eq!(vaccel_arg_release(ptr::null_mut()), VACCEL_EINVAL);
        }
    }

    #[repr(C)]
    struct MyData {
        count: u32,
        array: *mut u32,
    }

    unsafe extern "C" fn ser(data: *mut c_void, bytes: *mut u32) -> *mut c_void {
        // SAFETY: the test passes a live MyData and a valid out-pointer.
        unsafe {
            let d = &*data.cast::<MyData>();
            let n = d.count as usize + 1;
            let out = libc::malloc(n * 4).cast::<u32>();
            out.write(d.count);
            ptr::copy_nonoverlapping(d.array, out.add(1), d.count as usize);
            *bytes = (n * 4) as u32;
            out.cast()
        }
    }

    unsafe extern "C" fn deser(buf: *mut c_void, bytes: u32) -> *mut c_void {
        // SAFETY: `buf` holds `bytes` bytes in the serialised layout (test).
        unsafe {
            let b = buf.cast::<u32>();
            let count = *b;
            assert_eq!(bytes as usize, (count as usize + 1) * 4);
            let array = libc::malloc(count as usize * 4).cast::<u32>();
            ptr::copy_nonoverlapping(b.add(1), array, count as usize);
            let d = libc::malloc(size_of::<MyData>()).cast::<MyData>();
            d.write(MyData { count, array });
            d.cast()
        }
    }

    #[test]
    fn deprecated_list_api() {
        // SAFETY: lists come from `vaccel_args_init`; data pointers are live locals.
        unsafe {
            let read = vaccel_args_init(2);
            assert!(!read.is_null());
            let mut x = 3i32;
            let mut arr = [1u32, 2, 3];
            let mut d = MyData {
                count: 3,
                array: arr.as_mut_ptr(),
            };
            assert_eq!(
                vaccel_add_serial_arg(read, (&mut x as *mut i32).cast(), 4),
                0
            );
            assert_eq!(
                vaccel_add_nonserial_arg(read, (&mut d as *mut MyData).cast(), 7, None),
                VACCEL_EINVAL
            );
            assert_eq!(
                vaccel_add_nonserial_arg(read, (&mut d as *mut MyData).cast(), 7, Some(ser)),
                0
            );
            assert_eq!(
                vaccel_add_serial_arg(read, ptr::null_mut(), 0),
                VACCEL_ERANGE
            );
            assert_eq!(
                vaccel_add_serial_arg(ptr::null_mut(), ptr::null_mut(), 0),
                VACCEL_EINVAL
            );
            let l = &*read;
            assert_eq!((*l.list).type_, 0);
            assert_eq!(
                ((*l.list.add(1)).type_, (*l.list.add(1)).custom_type_id),
                (29, 7)
            );
            assert_eq!(*l.idcs_allocated_space.add(1), 1);
            assert_eq!(*l.idcs_allocated_space, 0);

            assert_eq!(
                vaccel_extract_serial_arg(l.list, 0),
                (&mut x as *mut i32).cast()
            );
            assert!(vaccel_extract_serial_arg(ptr::null_mut(), 0).is_null());
            assert!(vaccel_extract_serial_arg(l.list, -1).is_null());
            let got = vaccel_extract_nonserial_arg(l.list, 1, Some(deser)).cast::<MyData>();
            assert_eq!(std::slice::from_raw_parts((*got).array, 3), &arr);
            libc::free((*got).array.cast());
            libc::free(got.cast());

            let write = vaccel_args_init(3);
            let mut y = 0i32;
            assert_eq!(
                vaccel_expect_serial_arg(write, (&mut y as *mut i32).cast(), 4),
                0
            );
            assert_eq!(vaccel_expect_nonserial_arg(write, 16), 0);
            let wl = &*write;
            let mut z = 42i32;
            assert_eq!(
                vaccel_write_serial_arg(wl.list, 0, (&mut z as *mut i32).cast()),
                0
            );
            assert_eq!(y, 42);
            assert_eq!(
                vaccel_write_serial_arg(wl.list, 0, ptr::null_mut()),
                VACCEL_EINVAL
            );
            assert_eq!(
                vaccel_write_nonserial_arg(wl.list, 1, (&mut d as *mut MyData).cast(), Some(ser)),
                0
            );
            assert_eq!(
                std::slice::from_raw_parts((*wl.list.add(1)).buf.cast::<u32>(), 4),
                &[3, 1, 2, 3]
            );
            let mut big = [0u32; 4];
            let mut bd = MyData {
                count: 4,
                array: big.as_mut_ptr(),
            };
            assert_eq!(
                vaccel_write_nonserial_arg(wl.list, 1, (&mut bd as *mut MyData).cast(), Some(ser)),
                VACCEL_EINVAL
            );
            // Only the filled, library-allocated slots are freed (the third slot is empty).
            assert_eq!(vaccel_delete_args(write), 0);
            assert_eq!(vaccel_delete_args(read), 0);
            assert_eq!(vaccel_delete_args(ptr::null_mut()), VACCEL_EINVAL);

            let none = vaccel_args_init(0);
            assert_eq!(
                vaccel_add_serial_arg(none, ptr::null_mut(), 0),
                VACCEL_ERANGE
            );
            assert_eq!(vaccel_delete_args(none), 0);
        }
    }
}
