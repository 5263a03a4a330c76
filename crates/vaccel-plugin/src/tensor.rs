//! The three framework tensor structs (`vaccel_tf_tensor`, `vaccel_tflite_tensor`,
//! `vaccel_torch_tensor`) behind one trait, and the libc allocation of output tensors.
//!
//! A plugin's `run` op hands its outputs to the application, which frees them with the
//! matching `vaccel_*_tensor_delete` (spec §16): so the struct, `dims` and `data` are allocated
//! here with libc exactly as the `vaccel_*_tensor_allocate` helpers do, with `owned = true`.
//! The noop plugin (copies of its inputs) and the CPU plugin (real framework results) both
//! build their outputs with [`new_tensor`].

use std::ffi::{c_int, c_void};
use std::ptr;

use vaccel_abi::{vaccel_tf_tensor, vaccel_tflite_tensor, vaccel_torch_tensor};

use crate::util::{slice, slice_mut};

/// A framework tensor struct: the fields the three share, with their own integer widths.
pub trait Tensor: Sized {
    /// The element type of `dims` (`int64_t` for TF and Torch, `int32_t` for TFLite).
    type Dim: Copy + std::fmt::Display + Into<i64> + TryFrom<i64>;
    fn nr_dims(&self) -> i64;
    fn dims_ptr(&self) -> *mut Self::Dim;
    fn data(&self) -> *mut c_void;
    fn size(&self) -> usize;
    fn data_type(&self) -> u32;
    /// A tensor with the given fields.
    fn with(
        data: *mut c_void,
        size: usize,
        owned: bool,
        nr_dims: i64,
        dims: *mut Self::Dim,
        data_type: u32,
    ) -> Self;
}

macro_rules! impl_tensor {
    ($t:ty, $dim:ty, $nr:ty) => {
        impl Tensor for $t {
            type Dim = $dim;
            fn nr_dims(&self) -> i64 {
                i64::from(self.nr_dims)
            }
            fn dims_ptr(&self) -> *mut $dim {
                self.dims
            }
            fn data(&self) -> *mut c_void {
                self.data
            }
            fn size(&self) -> usize {
                self.size
            }
            fn data_type(&self) -> u32 {
                self.data_type
            }
            fn with(
                data: *mut c_void,
                size: usize,
                owned: bool,
                nr_dims: i64,
                dims: *mut $dim,
                data_type: u32,
            ) -> Self {
                Self {
                    data,
                    size,
                    owned,
                    nr_dims: nr_dims as $nr,
                    dims,
                    data_type,
                }
            }
        }
    };
}

impl_tensor!(vaccel_tf_tensor, i64, c_int);
impl_tensor!(vaccel_tflite_tensor, i32, c_int);
impl_tensor!(vaccel_torch_tensor, i64, i64);

/// The dims of a tensor (empty when it has none).
///
/// # Safety
/// `t.dims_ptr()` holds `t.nr_dims()` entries when non-NULL.
pub unsafe fn dims<T: Tensor>(t: &T) -> &[T::Dim] {
    let n = usize::try_from(t.nr_dims()).unwrap_or(0);
    // SAFETY: the caller's contract; a NULL array reads as empty.
    unsafe { slice(t.dims_ptr().cast_const(), n) }.unwrap_or(&[])
}

/// The data bytes of a tensor (empty when `data` is NULL).
///
/// # Safety
/// `t.data()` holds `t.size()` bytes when non-NULL.
pub unsafe fn data<T: Tensor>(t: &T) -> &[u8] {
    // SAFETY: the caller's contract.
    unsafe { slice(t.data().cast::<u8>().cast_const(), t.size()) }.unwrap_or(&[])
}

/// A new tensor allocated with libc like the `*_tensor_allocate` helpers: the struct with
/// `calloc`, `dims` and `data` with `malloc` at their exact sizes, `owned = true`; `fill` writes
/// the `size` data bytes. `None` if an allocation fails (nothing is leaked).
pub fn new_tensor<T: Tensor>(
    dims: &[T::Dim],
    data_type: u32,
    size: usize,
    fill: impl FnOnce(&mut [u8]),
) -> Option<*mut T> {
    let dims_bytes = std::mem::size_of_val(dims);
    // SAFETY: plain libc allocations, each freed below on failure or owned by the caller (who
    // releases the tensor with the matching `*_tensor_delete`).
    unsafe {
        let t = libc::calloc(1, std::mem::size_of::<T>()).cast::<T>();
        let new_dims = if dims_bytes > 0 {
            libc::malloc(dims_bytes).cast::<T::Dim>()
        } else {
            ptr::null_mut()
        };
        let buf = if size > 0 {
            libc::malloc(size)
        } else {
            ptr::null_mut()
        };
        if t.is_null() || (dims_bytes > 0 && new_dims.is_null()) || (size > 0 && buf.is_null()) {
            libc::free(t.cast());
            libc::free(new_dims.cast());
            libc::free(buf);
            return None;
        }
        if dims_bytes > 0 {
            ptr::copy_nonoverlapping(dims.as_ptr(), new_dims, dims.len());
        }
        if let Some(bytes) = slice_mut(buf.cast::<u8>(), size) {
            fill(bytes);
        } else {
            fill(&mut []);
        }
        t.write(T::with(
            buf,
            size,
            true,
            dims.len() as i64,
            new_dims,
            data_type,
        ));
        Some(t)
    }
}

/// A copy of `src` made with [`new_tensor`].
///
/// # Safety
/// `src`'s `dims` and `data` hold `nr_dims` entries and `size` bytes when non-NULL.
pub unsafe fn copy_tensor<T: Tensor>(src: &T) -> Option<*mut T> {
    // SAFETY: the caller's contract.
    let (dims, bytes) = unsafe { (dims(src), data(src)) };
    new_tensor(dims, src.data_type(), bytes.len(), |dst| {
        dst.copy_from_slice(bytes)
    })
}

/// Frees a tensor made by [`new_tensor`].
///
/// # Safety
/// `t` was returned by [`new_tensor`] and is not used afterwards.
pub unsafe fn free_tensor<T: Tensor>(t: *mut T) {
    // SAFETY: all three allocations come from libc in `new_tensor`.
    unsafe {
        libc::free((*t).dims_ptr().cast());
        libc::free((*t).data());
        libc::free(t.cast());
    }
}

/// The tensor-pointer arrays of a `run` op; `None` if a non-empty one is NULL.
///
/// # Safety
/// Each array is NULL or holds the given number of entries.
pub unsafe fn tensor_arrays<'a, T>(
    inputs: *const *mut T,
    nr_inputs: c_int,
    outputs: *mut *mut T,
    nr_outputs: c_int,
) -> Option<(&'a [*mut T], &'a mut [*mut T])> {
    let nr_in = usize::try_from(nr_inputs).unwrap_or(0);
    let nr_out = usize::try_from(nr_outputs).unwrap_or(0);
    // SAFETY: the caller's contract.
    unsafe { Some((slice(inputs, nr_in)?, slice_mut(outputs, nr_out)?)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_tensor_allocates_exact_sizes_and_copies() {
        let src_dims = [2i32, 3];
        let t: *mut vaccel_tflite_tensor = new_tensor(&src_dims, 1, 24, |d| {
            d.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8)
        })
        .unwrap();
        // SAFETY: a tensor just made by `new_tensor`.
        unsafe {
            let t_ref = &*t;
            assert!(t_ref.owned);
            assert_eq!(dims(t_ref), &[2, 3]);
            assert_eq!(data(t_ref).len(), 24);
            let c = copy_tensor(t_ref).unwrap();
            assert_eq!(data(&*c), data(t_ref));
            assert_eq!(dims(&*c), &[2, 3]);
            assert_ne!((*c).data, t_ref.data);
            free_tensor(c);
            free_tensor(t);
        }
        let empty: *mut vaccel_torch_tensor =
            new_tensor(&[], 7, 0, |d| assert!(d.is_empty())).unwrap();
        // SAFETY: as above.
        unsafe {
            assert!((*empty).data.is_null() && (*empty).dims.is_null());
            free_tensor(empty);
        }
    }
}
