//! `torch_model_load` and `torch_model_run`: TorchScript modules through libtorch (`tch`).
//!
//! Built with the `torch` feature against the libtorch of Debian's `libtorch-dev` (1.13.1, with
//! `tch` 0.10.3, the release made for it; `LIBTORCH=/usr` at build time). The module is the
//! resource's first blob, read from its file or from memory. A run converts each input
//! `vaccel_torch_tensor` (dtype, dims, bytes) to a CPU tensor without reinterpreting it, calls
//! `forward` with them, and returns the module's result: one tensor, or the tensors of a tuple
//! or list, in order, as many as the caller asked for. Outputs are contiguous copies in the
//! same element types (the seven of `enum vaccel_torch_data_type`); any other result type is an
//! error naming it.

use std::ffi::c_int;

use vaccel_plugin::abi::{
    vaccel_resource, vaccel_session, vaccel_torch_buffer, vaccel_torch_tensor,
};

use super::{Failure, run, session_and_model};

type Sess = *mut vaccel_session;
type Res = *mut vaccel_resource;

pub(crate) unsafe extern "C" fn model_load(sess: Sess, model: Res) -> c_int {
    run("torch_model_load", || {
        // SAFETY: forwarded op arguments.
        let (_, res) = unsafe { session_and_model(sess, model) }?;
        imp::load(res).map(|_| ())
    })
}

pub(crate) unsafe extern "C" fn model_run(
    sess: Sess,
    model: Res,
    _run_options: *const vaccel_torch_buffer,
    inputs: *const *mut vaccel_torch_tensor,
    nr_inputs: c_int,
    outputs: *mut *mut vaccel_torch_tensor,
    nr_outputs: c_int,
) -> c_int {
    run("torch_model_run", || {
        // SAFETY: forwarded op arguments.
        let (_, res) = unsafe { session_and_model(sess, model) }?;
        // SAFETY: the arrays hold the given numbers of entries.
        let Some((inputs, outputs)) = (unsafe {
            vaccel_plugin::tensor::tensor_arrays(inputs, nr_inputs, outputs, nr_outputs)
        }) else {
            return Err(Failure::invalid("missing input or output tensor array"));
        };
        // SAFETY: the caller's tensors are NULL or valid.
        unsafe { imp::run(res, inputs, outputs) }
    })
}

pub(crate) fn forget(id: i64) {
    imp::forget(id);
}

pub(crate) fn unload_all() {
    imp::unload_all();
}

#[cfg(not(feature = "torch"))]
mod imp {
    use super::*;

    pub fn load(_: &vaccel_resource) -> Result<(), Failure> {
        Err(Failure::not_built("torch"))
    }
    pub unsafe fn run(
        _: &vaccel_resource,
        _: &[*mut vaccel_torch_tensor],
        _: &mut [*mut vaccel_torch_tensor],
    ) -> Result<(), Failure> {
        Err(Failure::not_built("torch"))
    }
    pub fn forget(_: i64) {}
    pub fn unload_all() {}
}

#[cfg(feature = "torch")]
mod imp {
    use std::sync::Arc;

    use tch::{CModule, IValue, Kind, Tensor};
    use vaccel_plugin::abi::{
        VACCEL_EBACKEND, VACCEL_ENOMEM, VACCEL_TORCH_BYTE, VACCEL_TORCH_CHAR, VACCEL_TORCH_FLOAT,
        VACCEL_TORCH_HALF, VACCEL_TORCH_INT, VACCEL_TORCH_LONG, VACCEL_TORCH_SHORT,
    };
    use vaccel_plugin::debug;
    use vaccel_plugin::tensor::{self as vt, free_tensor, new_tensor};

    use super::*;
    use crate::frameworks::{Loaded, deliver_outputs, element_count};
    use crate::resource::{blob_data, blob_name, blob_path, blobs};

    static MODULES: Loaded<CModule> = Loaded::new();

    /// The vAccel torch data type and libtorch kind of each other, both ways.
    const KINDS: [(u32, Kind); 7] = [
        (VACCEL_TORCH_BYTE, Kind::Uint8),
        (VACCEL_TORCH_CHAR, Kind::Int8),
        (VACCEL_TORCH_SHORT, Kind::Int16),
        (VACCEL_TORCH_INT, Kind::Int),
        (VACCEL_TORCH_LONG, Kind::Int64),
        (VACCEL_TORCH_HALF, Kind::Half),
        (VACCEL_TORCH_FLOAT, Kind::Float),
    ];

    fn kind_of(data_type: u32) -> Option<Kind> {
        KINDS.iter().find(|(t, _)| *t == data_type).map(|(_, k)| *k)
    }

    fn data_type_of(kind: Kind) -> Option<u32> {
        KINDS.iter().find(|(_, k)| *k == kind).map(|(t, _)| *t)
    }

    pub fn load(res: &vaccel_resource) -> Result<Arc<CModule>, Failure> {
        MODULES.get_or_load(res, || {
            // SAFETY: the resource is live for the op.
            let blobs = unsafe { blobs(res) };
            let blob = blobs.first().ok_or_else(|| {
                Failure::invalid(format!("model resource {} has no file", res.id))
            })?;
            let name = blob_name(blob);
            let loaded = match (blob_data(blob), blob_path(blob)) {
                (Some(bytes), _) => CModule::load_data(&mut std::io::Cursor::new(bytes)),
                (None, Some(path)) => CModule::load(&path),
                (None, None) => return Err(Failure::invalid("the model blob is empty")),
            };
            let module = loaded.map_err(|e| {
                Failure::invalid(format!(
                    "{name} (resource {}) is not a TorchScript module libtorch can load: {}",
                    res.id,
                    first_line(&e.to_string())
                ))
            })?;
            debug!("[cpu] torch: loaded {name} for resource {}", res.id);
            Ok(module)
        })
    }

    /// libtorch errors carry a C++ backtrace after the message.
    fn first_line(s: &str) -> &str {
        s.lines().next().unwrap_or(s)
    }

    /// A CPU tensor holding a copy of `t`'s bytes with its dims and type.
    ///
    /// # Safety
    /// `t`'s `dims` and `data` hold `nr_dims` entries and `size` bytes.
    unsafe fn to_tch(i: usize, t: &vaccel_torch_tensor) -> Result<Tensor, Failure> {
        let kind = kind_of(t.data_type).ok_or_else(|| {
            Failure::invalid(format!(
                "input {i}: unknown torch data type {}",
                t.data_type
            ))
        })?;
        // SAFETY: the caller's contract.
        let (dims, data) = unsafe { (vt::dims(t), vt::data(t)) };
        let want = element_count(dims)
            .and_then(|n| n.checked_mul(kind.elt_size_in_bytes()))
            .ok_or_else(|| Failure::invalid(format!("input {i}: invalid dims {dims:?}")))?;
        if want != data.len() {
            return Err(Failure::invalid(format!(
                "input {i}: dims {dims:?} of {kind:?} need {want} bytes, the tensor has {}",
                data.len()
            )));
        }
        Tensor::f_of_data_size(data, dims, kind)
            .map_err(|e| Failure::invalid(format!("input {i}: {}", first_line(&e.to_string()))))
    }

    /// The tensors of a module's result, in order.
    fn flatten(v: IValue, out: &mut Vec<Tensor>) -> Result<(), Failure> {
        match v {
            IValue::Tensor(t) => out.push(t),
            IValue::Tuple(items) | IValue::GenericList(items) => {
                for i in items {
                    flatten(i, out)?;
                }
            }
            IValue::TensorList(ts) => out.extend(ts),
            other => {
                return Err(Failure::invalid(format!(
                    "the module returned {}, not tensors",
                    ivalue_kind(&other)
                )));
            }
        }
        Ok(())
    }

    fn ivalue_kind(v: &IValue) -> &'static str {
        match v {
            IValue::None => "None",
            IValue::Bool(_) => "a bool",
            IValue::Int(_) => "an int",
            IValue::Double(_) => "a float",
            IValue::String(_) => "a string",
            IValue::GenericDict(_) => "a dict",
            _ => "a value of another type",
        }
    }

    /// A new vAccel tensor with `t`'s dims, type and bytes.
    fn from_tch(i: usize, t: &Tensor) -> Result<*mut vaccel_torch_tensor, Failure> {
        let kind = t.kind();
        let data_type = data_type_of(kind).ok_or_else(|| {
            Failure::invalid(format!(
                "output {i} is a {kind:?} tensor, which has no vAccel torch data type"
            ))
        })?;
        let t = t
            .f_contiguous()
            .map_err(|e| Failure::new(VACCEL_EBACKEND, first_line(&e.to_string()).to_owned()))?;
        let dims = t.size();
        let numel = element_count(&dims).unwrap_or(0);
        let size = numel * kind.elt_size_in_bytes();
        let mut copied = Ok(());
        let out = new_tensor::<vaccel_torch_tensor>(&dims, data_type, size, |dst| {
            copied = t.f_copy_data_u8(dst, numel);
        })
        .ok_or_else(|| Failure::new(VACCEL_ENOMEM, format!("output {i}: out of memory")))?;
        if let Err(e) = copied {
            // SAFETY: made just above and not handed out.
            unsafe { free_tensor(out) };
            return Err(Failure::new(
                VACCEL_EBACKEND,
                format!("output {i}: {}", first_line(&e.to_string())),
            ));
        }
        Ok(out)
    }

    /// # Safety
    /// The input tensors are NULL or valid; `outputs` is writable.
    pub unsafe fn run(
        res: &vaccel_resource,
        inputs: &[*mut vaccel_torch_tensor],
        outputs: &mut [*mut vaccel_torch_tensor],
    ) -> Result<(), Failure> {
        let module = load(res)?;
        let args = inputs
            .iter()
            .enumerate()
            .map(|(i, t)| {
                // SAFETY: the caller's contract.
                match unsafe { t.as_ref() } {
                    // SAFETY: a valid tensor.
                    Some(t) => unsafe { to_tch(i, t) }.map(IValue::Tensor),
                    None => Err(Failure::invalid(format!("input {i} is NULL"))),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let result = tch::no_grad(|| module.forward_is(&args)).map_err(|e| {
            Failure::invalid(format!(
                "forward failed (inputs of the wrong number, type or shape?): {}",
                first_line(&e.to_string())
            ))
        })?;
        let mut tensors = Vec::new();
        flatten(result, &mut tensors)?;
        if tensors.len() < outputs.len() {
            return Err(Failure::invalid(format!(
                "{} outputs asked for, the module returned {}",
                outputs.len(),
                tensors.len()
            )));
        }
        deliver_outputs(outputs, |i| from_tch(i, &tensors[i]))
    }

    pub fn forget(id: i64) {
        MODULES.forget(id);
    }

    pub fn unload_all() {
        MODULES.clear();
    }
}
