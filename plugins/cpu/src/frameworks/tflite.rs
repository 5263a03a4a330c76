//! `tflite_model_load`, `tflite_model_run` and `tflite_model_unload`: TFLite flatbuffers through
//! the LiteRT C API.
//!
//! Built with the `tflite` feature. LiteRT is loaded at run time from `libLiteRt.so`, which the
//! PyPI `ai-edge-litert` wheel carries and `make` installs beside this plugin; where it is looked
//! for: `VACCEL_CPU_LITERT` (a file), this plugin's directory, the loader's search path. The
//! wheel ships no C headers, so the few declarations used here follow LiteRT's `litert/c`
//! headers of the 2.x series (`LiteRtCreateModelFromBuffer(env, ...)`, the 72-byte
//! `LiteRtRankedTensorType` with its inline 8-dim layout); the tests run real models through
//! them.
//!
//! The model is the resource's first blob. It runs on the CPU (XNNPACK) through its first
//! signature, whose inputs the caller's tensors must match in number, type and dims; outputs
//! come back in signature order. LiteRT has builtin ops only: a model that needs Select
//! TensorFlow ("Flex") ops, such as vAccel's `lstm2.tflite`, is refused at load with an error
//! naming them (read from the flatbuffer's operator codes).

use std::ffi::c_int;

use vaccel_plugin::abi::{vaccel_resource, vaccel_session, vaccel_tflite_tensor};

use super::{Failure, run, session_and_model};

type Sess = *mut vaccel_session;
type Res = *mut vaccel_resource;

pub(crate) unsafe extern "C" fn model_load(sess: Sess, model: Res) -> c_int {
    run("tflite_model_load", || {
        // SAFETY: forwarded op arguments.
        let (_, res) = unsafe { session_and_model(sess, model) }?;
        imp::load(res)
    })
}

pub(crate) unsafe extern "C" fn model_unload(sess: Sess, model: Res) -> c_int {
    run("tflite_model_unload", || {
        // SAFETY: forwarded op arguments.
        let (_, res) = unsafe { session_and_model(sess, model) }?;
        imp::unload(res)
    })
}

pub(crate) unsafe extern "C" fn model_run(
    sess: Sess,
    model: Res,
    inputs: *const *mut vaccel_tflite_tensor,
    nr_inputs: c_int,
    outputs: *mut *mut vaccel_tflite_tensor,
    nr_outputs: c_int,
    status: *mut u8,
) -> c_int {
    let rc = run("tflite_model_run", || {
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
    });
    // SAFETY: NULL or the caller's status byte. 0 is kTfLiteOk, 1 kTfLiteError.
    if let Some(s) = unsafe { status.as_mut() } {
        *s = u8::from(rc != 0);
    }
    rc
}

pub(crate) fn forget(id: i64) {
    imp::forget(id);
}

pub(crate) fn unload_all() {
    imp::unload_all();
}

/// The custom operator names of a TFLite flatbuffer (`Model.operator_codes[].custom_code`), or
/// `None` if the bytes are not a well-formed model header.
#[cfg_attr(not(feature = "tflite"), allow(dead_code))]
pub(crate) fn custom_ops(buf: &[u8]) -> Option<Vec<String>> {
    let u32_at = |p: usize| -> Option<usize> {
        Some(u32::from_le_bytes(buf.get(p..p.checked_add(4)?)?.try_into().ok()?) as usize)
    };
    let u16_at = |p: usize| -> Option<usize> {
        Some(u16::from_le_bytes(buf.get(p..p.checked_add(2)?)?.try_into().ok()?) as usize)
    };
    // The position of field `f` of the table at `t`, if present.
    let field = |t: usize, f: usize| -> Option<usize> {
        let soff = i32::from_le_bytes(buf.get(t..t + 4)?.try_into().ok()?);
        let vt = usize::try_from(i64::try_from(t).ok()? - i64::from(soff)).ok()?;
        let vt_len = u16_at(vt)?;
        let at = 4 + 2 * f;
        if at + 2 > vt_len {
            return None;
        }
        match u16_at(vt + at)? {
            0 => None,
            o => Some(t + o),
        }
    };
    let deref = |p: usize| -> Option<usize> { p.checked_add(u32_at(p)?) };
    if buf.get(4..8)? != b"TFL3" {
        return None;
    }
    let model = deref(0)?;
    let Some(codes_field) = field(model, 1) else {
        return Some(Vec::new());
    };
    let codes = deref(codes_field)?;
    let n = u32_at(codes)?;
    let mut names = Vec::new();
    for i in 0..n.min(100_000) {
        let elem = codes + 4 + 4 * i;
        let code = deref(elem)?;
        if let Some(cf) = field(code, 1) {
            let s = deref(cf)?;
            let len = u32_at(s)?;
            let bytes = buf.get(s + 4..s.checked_add(4 + len)?)?;
            names.push(String::from_utf8_lossy(bytes).into_owned());
        }
    }
    Some(names)
}

#[cfg(not(feature = "tflite"))]
mod imp {
    use super::*;

    pub fn load(_: &vaccel_resource) -> Result<(), Failure> {
        Err(Failure::not_built("tflite"))
    }
    pub fn unload(_: &vaccel_resource) -> Result<(), Failure> {
        Err(Failure::not_built("tflite"))
    }
    pub unsafe fn run(
        _: &vaccel_resource,
        _: &[*mut vaccel_tflite_tensor],
        _: &mut [*mut vaccel_tflite_tensor],
    ) -> Result<(), Failure> {
        Err(Failure::not_built("tflite"))
    }
    pub fn forget(_: i64) {}
    pub fn unload_all() {}
}

#[cfg(feature = "tflite")]
mod imp {
    use std::alloc::Layout;
    use std::ffi::{c_char, c_void};
    use std::path::PathBuf;
    use std::ptr;
    use std::sync::{Mutex, OnceLock, PoisonError};

    use vaccel_plugin::abi::{VACCEL_EBACKEND, VACCEL_ENOMEM, VACCEL_ENOTSUP};
    use vaccel_plugin::debug;
    use vaccel_plugin::tensor::{self as vt, new_tensor};

    use super::*;
    use crate::frameworks::{Loaded, deliver_outputs, element_count, runtime_library};
    use crate::resource::{blob_bytes, blob_name, blobs};

    const LIBRARY: &str = "libLiteRt.so";
    /// `LITERT_TENSOR_MAX_RANK`.
    const MAX_RANK: usize = 8;
    /// `LITERT_HOST_MEMORY_BUFFER_ALIGNMENT`.
    const ALIGN: usize = 64;
    /// `kLiteRtHwAcceleratorCpu`.
    const HW_CPU: c_int = 1;

    /// `LiteRtRankedTensorType`: the element type (a TfLiteType value, as
    /// `enum vaccel_tflite_data_type`) and `LiteRtLayout` (rank in the low 7 bits of one word,
    /// then `int32_t dimensions[8]` and `uint32_t strides[8]`).
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct RankedTensorType {
        element_type: u32,
        rank_bits: u32,
        dims: [i32; MAX_RANK],
        strides: [u32; MAX_RANK],
    }

    impl RankedTensorType {
        fn dims(&self) -> &[i32] {
            &self.dims[..((self.rank_bits & 0x7f) as usize).min(MAX_RANK)]
        }
    }

    type Status = c_int;
    type H = *mut c_void;

    struct Api {
        _lib: libloading::Library,
        create_environment: unsafe extern "C" fn(c_int, *const c_void, *mut H) -> Status,
        create_options: unsafe extern "C" fn(*mut H) -> Status,
        set_accelerators: unsafe extern "C" fn(H, c_int) -> Status,
        model_from_buffer: unsafe extern "C" fn(H, *const c_void, usize, *mut H) -> Status,
        destroy_model: unsafe extern "C" fn(H),
        signature: unsafe extern "C" fn(H, usize, *mut H) -> Status,
        num_inputs: unsafe extern "C" fn(H, *mut usize) -> Status,
        num_outputs: unsafe extern "C" fn(H, *mut usize) -> Status,
        input_tensor: unsafe extern "C" fn(H, usize, *mut H) -> Status,
        output_tensor: unsafe extern "C" fn(H, usize, *mut H) -> Status,
        tensor_name: unsafe extern "C" fn(H, *mut *const c_char) -> Status,
        ranked_type: unsafe extern "C" fn(H, *mut RankedTensorType) -> Status,
        compile: unsafe extern "C" fn(H, H, H, *mut H) -> Status,
        destroy_compiled: unsafe extern "C" fn(H),
        buffer_from_host: unsafe extern "C" fn(
            *const RankedTensorType,
            *mut c_void,
            usize,
            *const c_void,
            *mut H,
        ) -> Status,
        destroy_buffer: unsafe extern "C" fn(H),
        run: unsafe extern "C" fn(H, usize, usize, *mut H, usize, *mut H) -> Status,
    }

    fn library_path() -> PathBuf {
        runtime_library("VACCEL_CPU_LITERT", LIBRARY)
    }

    /// The library, one environment and one CPU compilation options object for all models.
    struct Runtime {
        api: Api,
        env: H,
        options: H,
    }

    // SAFETY: the environment and options are created once and only read afterwards.
    unsafe impl Send for Runtime {}
    // SAFETY: as above.
    unsafe impl Sync for Runtime {}

    impl Runtime {
        fn open() -> Result<Runtime, String> {
            let path = library_path();
            // SAFETY: loading LiteRT runs its initialisers only; it is never unloaded.
            let lib = unsafe { libloading::Library::new(&path) }
                .map_err(|e| format!("cannot load {}: {e}", path.display()))?;
            macro_rules! sym {
                ($name:literal) => {
                    // SAFETY: the LiteRT C function of that name, with the C type of the field.
                    *unsafe { lib.get(concat!($name, "\0").as_bytes()) }
                        .map_err(|e| format!("{}: {e}", path.display()))?
                };
            }
            let api = Api {
                create_environment: sym!("LiteRtCreateEnvironment"),
                create_options: sym!("LiteRtCreateOptions"),
                set_accelerators: sym!("LiteRtSetOptionsHardwareAccelerators"),
                model_from_buffer: sym!("LiteRtCreateModelFromBuffer"),
                destroy_model: sym!("LiteRtDestroyModel"),
                signature: sym!("LiteRtGetModelSignature"),
                num_inputs: sym!("LiteRtGetNumSignatureInputs"),
                num_outputs: sym!("LiteRtGetNumSignatureOutputs"),
                input_tensor: sym!("LiteRtGetSignatureInputTensorByIndex"),
                output_tensor: sym!("LiteRtGetSignatureOutputTensorByIndex"),
                tensor_name: sym!("LiteRtGetTensorName"),
                ranked_type: sym!("LiteRtGetRankedTensorType"),
                compile: sym!("LiteRtCreateCompiledModel"),
                destroy_compiled: sym!("LiteRtDestroyCompiledModel"),
                buffer_from_host: sym!("LiteRtCreateTensorBufferFromHostMemory"),
                destroy_buffer: sym!("LiteRtDestroyTensorBuffer"),
                run: sym!("LiteRtRunCompiledModel"),
                _lib: lib,
            };
            let (mut env, mut options) = (ptr::null_mut(), ptr::null_mut());
            // SAFETY: out-pointers to locals; no options for the environment.
            let st = unsafe { (api.create_environment)(0, ptr::null(), &mut env) };
            if st != 0 {
                return Err(format!("LiteRtCreateEnvironment failed ({st})"));
            }
            // SAFETY: as above.
            let st = unsafe { (api.create_options)(&mut options) };
            // SAFETY: a live options object.
            if st != 0 || unsafe { (api.set_accelerators)(options, HW_CPU) } != 0 {
                return Err(format!("LiteRtCreateOptions failed ({st})"));
            }
            Ok(Runtime { api, env, options })
        }
    }

    fn runtime() -> Result<&'static Runtime, Failure> {
        static RT: OnceLock<Result<Runtime, String>> = OnceLock::new();
        match RT.get_or_init(Runtime::open) {
            Ok(r) => Ok(r),
            Err(e) => Err(Failure::new(
                VACCEL_ENOTSUP,
                format!(
                    "LiteRT unavailable ({e}); install the ai-edge-litert wheel's libLiteRt.so \
                     beside the plugin or set VACCEL_CPU_LITERT"
                ),
            )),
        }
    }

    struct Port {
        name: String,
        ty: RankedTensorType,
    }

    /// A compiled model; LiteRT runs one at a time per compiled model, hence the lock.
    struct Model {
        rt: &'static Runtime,
        _bytes: Vec<u8>,
        model: H,
        compiled: Mutex<H>,
        inputs: Vec<Port>,
        outputs: Vec<Port>,
    }

    // SAFETY: the compiled model is used under its lock; the rest is read-only after loading.
    unsafe impl Send for Model {}
    // SAFETY: as above.
    unsafe impl Sync for Model {}

    impl Drop for Model {
        fn drop(&mut self) {
            let compiled = *self
                .compiled
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner);
            // SAFETY: live handles, destroyed once, the compiled model first.
            unsafe {
                (self.rt.api.destroy_compiled)(compiled);
                (self.rt.api.destroy_model)(self.model);
            }
        }
    }

    static MODELS: Loaded<Model> = Loaded::new();

    fn element_size(ty: u32) -> Option<usize> {
        Some(match ty {
            3 | 6 | 9 => 1,       // UINT8, BOOL, INT8
            7 | 10 | 17 => 2,     // INT16, FLOAT16, UINT16
            1 | 2 | 16 => 4,      // FLOAT32, INT32, UINT32
            4 | 8 | 11 | 13 => 8, // INT64, COMPLEX64, FLOAT64, UINT64
            12 => 16,             // COMPLEX128
            _ => return None,     // NOTYPE, STRING, RESOURCE, VARIANT, INT4
        })
    }

    fn load_model(res: &vaccel_resource) -> Result<Model, Failure> {
        let rt = runtime()?;
        let api = &rt.api;
        // SAFETY: the resource is live for the op.
        let blobs = unsafe { blobs(res) };
        let blob = blobs
            .first()
            .ok_or_else(|| Failure::invalid(format!("model resource {} has no file", res.id)))?;
        let name = blob_name(blob);
        let bytes = blob_bytes(blob).map_err(Failure::invalid)?;
        match custom_ops(&bytes) {
            None => {
                return Err(Failure::invalid(format!(
                    "{name} (resource {}) is not a TFLite model (no TFL3 flatbuffer)",
                    res.id
                )));
            }
            Some(ops) => {
                let flex: Vec<&String> = ops.iter().filter(|o| o.starts_with("Flex")).collect();
                if !flex.is_empty() {
                    return Err(Failure::new(
                        VACCEL_ENOTSUP,
                        format!(
                            "{name} needs Select TensorFlow (Flex) ops {flex:?}, which LiteRT \
                             (builtin ops only) cannot run; convert the model with builtin ops only"
                        ),
                    ));
                }
            }
        }
        let mut model = ptr::null_mut();
        // SAFETY: the bytes stay alive in the returned Model as long as the LiteRT model.
        let st = unsafe {
            (api.model_from_buffer)(rt.env, bytes.as_ptr().cast(), bytes.len(), &mut model)
        };
        if st != 0 {
            return Err(Failure::invalid(format!(
                "LiteRT cannot load {name} (resource {}): status {st} (see LiteRT's ERROR line)",
                res.id
            )));
        }
        let mut compiled = ptr::null_mut();
        // SAFETY: live environment, model and options.
        let st = unsafe { (api.compile)(rt.env, model, rt.options, &mut compiled) };
        if st != 0 {
            // SAFETY: made above, not used again.
            unsafe { (api.destroy_model)(model) };
            return Err(Failure::invalid(format!(
                "LiteRT cannot prepare {name} for the CPU: status {st}"
            )));
        }
        let (inputs, outputs) = match ports(api, model) {
            Ok(p) => p,
            Err(st) => {
                // SAFETY: made above, not used again, the compiled model first.
                unsafe {
                    (api.destroy_compiled)(compiled);
                    (api.destroy_model)(model);
                }
                return Err(Failure::new(
                    VACCEL_EBACKEND,
                    format!("reading {name}'s signature: status {st}"),
                ));
            }
        };
        debug!(
            "[cpu] tflite: loaded {name} for resource {} ({} inputs, {} outputs)",
            res.id,
            inputs.len(),
            outputs.len()
        );
        Ok(Model {
            rt,
            _bytes: bytes,
            model,
            compiled: Mutex::new(compiled),
            inputs,
            outputs,
        })
    }

    /// The inputs and outputs of the model's first signature.
    fn ports(api: &Api, model: H) -> Result<(Vec<Port>, Vec<Port>), Status> {
        let ck = |st: Status| if st == 0 { Ok(()) } else { Err(st) };
        let mut sig = ptr::null_mut();
        let (mut n_in, mut n_out) = (0usize, 0usize);
        // SAFETY: a live model and out-pointers to locals.
        unsafe {
            ck((api.signature)(model, 0, &mut sig))?;
            ck((api.num_inputs)(sig, &mut n_in))?;
            ck((api.num_outputs)(sig, &mut n_out))?;
        }
        let port = |get: unsafe extern "C" fn(H, usize, *mut H) -> Status, i: usize| {
            let mut t = ptr::null_mut();
            let mut name: *const c_char = ptr::null();
            // SAFETY: all-zero is a valid RankedTensorType.
            let mut ty: RankedTensorType = unsafe { std::mem::zeroed() };
            // SAFETY: a live signature, index in range, out-pointers to locals.
            unsafe {
                ck(get(sig, i, &mut t))?;
                ck((api.tensor_name)(t, &mut name))?;
                ck((api.ranked_type)(t, &mut ty))?;
            }
            // SAFETY: the name is NULL or a C string owned by the model.
            let name = unsafe { vaccel_plugin::cstr(name) }
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok::<Port, Status>(Port { name, ty })
        };
        let inputs = (0..n_in)
            .map(|i| port(api.input_tensor, i))
            .collect::<Result<_, _>>()?;
        let outputs = (0..n_out)
            .map(|i| port(api.output_tensor, i))
            .collect::<Result<_, _>>()?;
        Ok((inputs, outputs))
    }

    pub fn load(res: &vaccel_resource) -> Result<(), Failure> {
        MODELS.get_or_load(res, || load_model(res)).map(|_| ())
    }

    pub fn unload(res: &vaccel_resource) -> Result<(), Failure> {
        if MODELS.forget(res.id) {
            Ok(())
        } else {
            Err(Failure::invalid(format!(
                "model resource {} is not loaded",
                res.id
            )))
        }
    }

    /// Host memory LiteRT accepts: 64-byte aligned, freed on drop.
    struct Aligned(*mut u8, Layout);

    impl Aligned {
        fn new(size: usize) -> Result<Self, Failure> {
            let layout = Layout::from_size_align(size.max(ALIGN), ALIGN)
                .map_err(|_| Failure::invalid("tensor too large"))?;
            // SAFETY: a non-zero size.
            let p = unsafe { std::alloc::alloc_zeroed(layout) };
            if p.is_null() {
                return Err(Failure::new(VACCEL_ENOMEM, "out of memory"));
            }
            Ok(Self(p, layout))
        }

        fn bytes(&mut self, len: usize) -> &mut [u8] {
            // SAFETY: the allocation holds at least `len` bytes (callers pass its size).
            unsafe { std::slice::from_raw_parts_mut(self.0, len.min(self.1.size())) }
        }
    }

    impl Drop for Aligned {
        fn drop(&mut self) {
            // SAFETY: allocated in `new` with this layout.
            unsafe { std::alloc::dealloc(self.0, self.1) }
        }
    }

    /// Tensor buffers, destroyed on drop (before the memory they wrap).
    struct Buffers<'a>(&'a Api, Vec<H>);

    impl Drop for Buffers<'_> {
        fn drop(&mut self) {
            for b in self.1.drain(..) {
                // SAFETY: buffers owned by this list.
                unsafe { (self.0.destroy_buffer)(b) }
            }
        }
    }

    fn byte_size(port: &Port) -> Option<usize> {
        let dims: Vec<i64> = port.ty.dims().iter().map(|&d| i64::from(d)).collect();
        element_count(&dims)?.checked_mul(element_size(port.ty.element_type)?)
    }

    /// # Safety
    /// The input tensors are NULL or valid; `outputs` is writable.
    pub unsafe fn run(
        res: &vaccel_resource,
        inputs: &[*mut vaccel_tflite_tensor],
        outputs: &mut [*mut vaccel_tflite_tensor],
    ) -> Result<(), Failure> {
        let model = MODELS.get_or_load(res, || load_model(res))?;
        let api = &model.rt.api;
        if inputs.len() != model.inputs.len() {
            return Err(Failure::invalid(format!(
                "the model takes {} inputs ({}), {} given",
                model.inputs.len(),
                model
                    .inputs
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                inputs.len()
            )));
        }
        if outputs.len() > model.outputs.len() {
            return Err(Failure::invalid(format!(
                "{} outputs asked for, the model has {}",
                outputs.len(),
                model.outputs.len()
            )));
        }
        let mut memory = Vec::new();
        let mut in_bufs = Buffers(api, Vec::new());
        for (i, (port, t)) in model.inputs.iter().zip(inputs).enumerate() {
            // SAFETY: the caller's contract.
            let Some(t) = (unsafe { t.as_ref() }) else {
                return Err(Failure::invalid(format!("input {i} is NULL")));
            };
            // SAFETY: a valid tensor.
            let (dims, data) = unsafe { (vt::dims(t), vt::data(t)) };
            if t.data_type != port.ty.element_type || dims != port.ty.dims() {
                return Err(Failure::invalid(format!(
                    "input {i} ({}): the model wants type {} dims {:?}, the tensor is type {} dims {dims:?}",
                    port.name,
                    port.ty.element_type,
                    port.ty.dims(),
                    t.data_type
                )));
            }
            let size = byte_size(port).ok_or_else(|| {
                Failure::invalid(format!("input {i}: unsupported type {}", t.data_type))
            })?;
            if data.len() != size {
                return Err(Failure::invalid(format!(
                    "input {i} ({}): {size} bytes expected, the tensor has {}",
                    port.name,
                    data.len()
                )));
            }
            let mut mem = Aligned::new(size)?;
            mem.bytes(size).copy_from_slice(data);
            in_bufs.1.push(host_buffer(api, &port.ty, &mem, size)?);
            memory.push(mem);
        }
        let mut out_mem = Vec::new();
        let mut out_bufs = Buffers(api, Vec::new());
        for port in &model.outputs {
            let size = byte_size(port).ok_or_else(|| {
                Failure::invalid(format!(
                    "output {}: unsupported type {}",
                    port.name, port.ty.element_type
                ))
            })?;
            let mem = Aligned::new(size)?;
            out_bufs.1.push(host_buffer(api, &port.ty, &mem, size)?);
            out_mem.push((mem, size));
        }
        {
            let compiled = model
                .compiled
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            // SAFETY: a live compiled model and buffers that match its first signature.
            let st = unsafe {
                (api.run)(
                    *compiled,
                    0,
                    in_bufs.1.len(),
                    in_bufs.1.as_mut_ptr(),
                    out_bufs.1.len(),
                    out_bufs.1.as_mut_ptr(),
                )
            };
            if st != 0 {
                return Err(Failure::new(
                    VACCEL_EBACKEND,
                    format!("LiteRT run failed: status {st}"),
                ));
            }
        }
        deliver_outputs(outputs, |i| {
            let (port, (mem, size)) = (&model.outputs[i], &mut out_mem[i]);
            let bytes = mem.bytes(*size);
            new_tensor::<vaccel_tflite_tensor>(
                port.ty.dims(),
                port.ty.element_type,
                bytes.len(),
                |d| d.copy_from_slice(bytes),
            )
            .ok_or_else(|| Failure::new(VACCEL_ENOMEM, format!("output {i}: out of memory")))
        })
    }

    fn host_buffer(
        api: &Api,
        ty: &RankedTensorType,
        mem: &Aligned,
        size: usize,
    ) -> Result<H, Failure> {
        let mut b = ptr::null_mut();
        // SAFETY: `mem` is 64-byte aligned, holds `size` bytes and outlives the buffer (the
        // buffer lists are dropped first); no deallocator, the memory stays ours.
        let st =
            unsafe { (api.buffer_from_host)(ty, mem.0.cast(), size.max(1), ptr::null(), &mut b) };
        if st != 0 {
            return Err(Failure::new(
                VACCEL_EBACKEND,
                format!("LiteRT tensor buffer: status {st}"),
            ));
        }
        Ok(b)
    }

    pub fn forget(id: i64) {
        MODELS.forget(id);
    }

    pub fn unload_all() {
        MODELS.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::custom_ops;

    const FACE: &[u8] =
        include_bytes!("../../../../tests/data/tflite/face_detection_short_range.tflite");

    #[test]
    fn a_builtin_model_has_no_custom_ops() {
        assert_eq!(custom_ops(FACE), Some(vec![]));
    }

    #[test]
    fn flex_ops_are_named() {
        let lstm2 = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/assets/models/vaccel-samples/tf/lstm2.tflite");
        let bytes = std::fs::read(&lstm2).expect("../shared/assets beside the checkout");
        let ops = custom_ops(&bytes).unwrap();
        for op in [
            "FlexTensorListReserve",
            "FlexTensorListSetItem",
            "FlexTensorListStack",
        ] {
            assert!(ops.iter().any(|o| o == op), "{ops:?}");
        }
    }

    #[test]
    fn not_a_model_and_damaged_models_never_panic() {
        assert_eq!(custom_ops(b""), None);
        assert_eq!(custom_ops(b"\xff\xd8\xff\xe0 a JPEG"), None);
        // Every prefix, and the model with bytes flipped across the header: a result or None.
        for n in (0..FACE.len()).step_by(97) {
            let _ = custom_ops(&FACE[..n]);
        }
        let mut damaged = FACE.to_vec();
        for i in (0..512).chain((0..damaged.len()).step_by(1009)) {
            damaged[i] ^= 0xa5;
            let _ = custom_ops(&damaged);
        }
    }
}
