//! `tf_model_load`, `tf_model_run` and `tf_model_unload`: TensorFlow SavedModels through the
//! TensorFlow C API.
//!
//! Built with the `tensorflow` feature. The C API is loaded at run time from
//! `libtensorflow_cc.so.2` (with `libtensorflow_framework.so.2` beside it): the PyPI
//! `tensorflow-cpu` wheel carries both, and `make` installs them next to this plugin. Where the
//! library is looked for: `VACCEL_CPU_TENSORFLOW` (a file), then this plugin's directory, then
//! the loader's search path. Without it the ops answer `VACCEL_ENOTSUP` with a log line. Own
//! bindings of the dozen C functions used, instead of the `tensorflow` crate, because that crate
//! links the library at build time (or builds TensorFlow from source) while the plugin must load
//! without it.
//!
//! The model is the resource's directory, loaded with tag `serve`. A resource the agent
//! registered for a remote client holds the SavedModel's files flattened to their names, so
//! they are linked back into the SavedModel layout (`variables.*` under `variables/`) in a
//! directory that lives as long as the loaded model. Nodes are `name` + output index
//! (`serving_default_input_1`, 0); tensor types are the TF_DataType values, which
//! `enum vaccel_tf_data_type` shares. Statuses carry TensorFlow's code and message.

use std::ffi::c_int;

use vaccel_plugin::abi::{
    vaccel_resource, vaccel_session, vaccel_tf_buffer, vaccel_tf_node, vaccel_tf_status,
    vaccel_tf_tensor,
};

use super::{Failure, run, session_and_model};

type Sess = *mut vaccel_session;
type Res = *mut vaccel_resource;

/// Writes `code` and a libc copy of `message` into the caller's status (if any); the caller
/// releases it with `vaccel_tf_status_release`.
///
/// # Safety
/// `status` is NULL or a writable status whose message, if set, the caller no longer needs.
unsafe fn set_status(status: *mut vaccel_tf_status, code: u8, message: &str) {
    // SAFETY: the caller's contract.
    let Some(status) = (unsafe { status.as_mut() }) else {
        return;
    };
    let text = std::ffi::CString::new(message.replace('\0', " ")).unwrap_or_default();
    status.code = code;
    // SAFETY: `strdup` copies a valid C string into libc memory (NULL when out of memory).
    status.message = unsafe { libc::strdup(text.as_ptr()) };
}

/// Fills the status from an op's result: TensorFlow's code (or 2, UNKNOWN, for errors found
/// before TensorFlow ran) and the message.
///
/// # Safety
/// As [`set_status`].
unsafe fn report(status: *mut vaccel_tf_status, r: &Result<(), Failure>, ok_message: &str) {
    let (code, msg) = match r {
        Ok(()) => (0, ok_message.to_owned()),
        Err(f) => (imp::last_tf_code().unwrap_or(2), f.message.clone()),
    };
    // SAFETY: the caller's contract.
    unsafe { set_status(status, code, &msg) };
}

pub(crate) unsafe extern "C" fn model_load(
    sess: Sess,
    model: Res,
    status: *mut vaccel_tf_status,
) -> c_int {
    run("tf_model_load", || {
        // SAFETY: forwarded op arguments.
        let r = unsafe { session_and_model(sess, model) }.and_then(|(_, res)| imp::load(res));
        // SAFETY: the caller's status.
        unsafe { report(status, &r, "Model loaded") };
        r
    })
}

pub(crate) unsafe extern "C" fn model_unload(
    sess: Sess,
    model: Res,
    status: *mut vaccel_tf_status,
) -> c_int {
    run("tf_model_unload", || {
        // SAFETY: forwarded op arguments.
        let r = unsafe { session_and_model(sess, model) }.and_then(|(_, res)| imp::unload(res));
        // SAFETY: the caller's status.
        unsafe { report(status, &r, "Model unloaded") };
        r
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) unsafe extern "C" fn model_run(
    sess: Sess,
    model: Res,
    _run_options: *const vaccel_tf_buffer,
    in_nodes: *const vaccel_tf_node,
    in_tensors: *const *mut vaccel_tf_tensor,
    nr_inputs: c_int,
    out_nodes: *const vaccel_tf_node,
    out_tensors: *mut *mut vaccel_tf_tensor,
    nr_outputs: c_int,
    status: *mut vaccel_tf_status,
) -> c_int {
    run("tf_model_run", || {
        let r = (|| {
            // SAFETY: forwarded op arguments.
            let (_, res) = unsafe { session_and_model(sess, model) }?;
            // SAFETY: the arrays hold the given numbers of entries.
            let Some((inputs, outputs)) = (unsafe {
                vaccel_plugin::tensor::tensor_arrays(in_tensors, nr_inputs, out_tensors, nr_outputs)
            }) else {
                return Err(Failure::invalid("missing input or output tensor array"));
            };
            let n_in = inputs.len();
            let n_out = outputs.len();
            // SAFETY: one node per tensor, as the C API documents.
            let (Some(in_nodes), Some(out_nodes)) = (unsafe {
                (
                    vaccel_plugin::slice(in_nodes, n_in),
                    vaccel_plugin::slice(out_nodes, n_out),
                )
            }) else {
                return Err(Failure::invalid("missing input or output node array"));
            };
            // SAFETY: the caller's tensors and nodes are NULL or valid.
            unsafe { imp::run(res, in_nodes, inputs, out_nodes, outputs) }
        })();
        // SAFETY: the caller's status.
        unsafe { report(status, &r, "Model run") };
        r
    })
}

pub(crate) fn forget(id: i64) {
    imp::forget(id);
}

pub(crate) fn unload_all() {
    imp::unload_all();
}

#[cfg(not(feature = "tensorflow"))]
mod imp {
    use super::*;

    pub fn last_tf_code() -> Option<u8> {
        None
    }
    pub fn load(_: &vaccel_resource) -> Result<(), Failure> {
        Err(Failure::not_built("tensorflow"))
    }
    pub fn unload(_: &vaccel_resource) -> Result<(), Failure> {
        Err(Failure::not_built("tensorflow"))
    }
    pub unsafe fn run(
        _: &vaccel_resource,
        _: &[vaccel_tf_node],
        _: &[*mut vaccel_tf_tensor],
        _: &[vaccel_tf_node],
        _: &mut [*mut vaccel_tf_tensor],
    ) -> Result<(), Failure> {
        Err(Failure::not_built("tensorflow"))
    }
    pub fn forget(_: i64) {}
    pub fn unload_all() {}
}

#[cfg(feature = "tensorflow")]
mod imp {
    use std::cell::Cell;
    use std::ffi::{CStr, CString, c_char, c_void};
    use std::path::{Path, PathBuf};
    use std::ptr;
    use std::sync::OnceLock;

    use vaccel_plugin::abi::{VACCEL_EBACKEND, VACCEL_ENOENT, VACCEL_ENOMEM, VACCEL_ENOTSUP};
    use vaccel_plugin::tensor::{self as vt, new_tensor};
    use vaccel_plugin::{cstr, debug};

    use super::*;
    use crate::frameworks::{Loaded, deliver_outputs, element_count, runtime_library};
    use crate::resource::{blob_bytes, blob_name, blob_path, blobs, local_dir};

    const LIBRARY: &str = "libtensorflow_cc.so.2";

    #[repr(C)]
    struct TfOutput {
        oper: *mut c_void,
        index: c_int,
    }

    type Dealloc = unsafe extern "C" fn(*mut c_void, usize, *mut c_void);

    /// The C API functions used, resolved once from the library.
    struct Api {
        _lib: libloading::Library,
        version: unsafe extern "C" fn() -> *const c_char,
        new_status: unsafe extern "C" fn() -> *mut c_void,
        delete_status: unsafe extern "C" fn(*mut c_void),
        get_code: unsafe extern "C" fn(*const c_void) -> c_int,
        message: unsafe extern "C" fn(*const c_void) -> *const c_char,
        new_graph: unsafe extern "C" fn() -> *mut c_void,
        delete_graph: unsafe extern "C" fn(*mut c_void),
        new_session_options: unsafe extern "C" fn() -> *mut c_void,
        delete_session_options: unsafe extern "C" fn(*mut c_void),
        #[allow(clippy::type_complexity)]
        load_saved_model: unsafe extern "C" fn(
            *const c_void,
            *const c_void,
            *const c_char,
            *const *const c_char,
            c_int,
            *mut c_void,
            *mut c_void,
            *mut c_void,
        ) -> *mut c_void,
        close_session: unsafe extern "C" fn(*mut c_void, *mut c_void),
        delete_session: unsafe extern "C" fn(*mut c_void, *mut c_void),
        operation_by_name: unsafe extern "C" fn(*mut c_void, *const c_char) -> *mut c_void,
        operation_num_outputs: unsafe extern "C" fn(*mut c_void) -> c_int,
        #[allow(clippy::type_complexity)]
        session_run: unsafe extern "C" fn(
            *mut c_void,
            *const c_void,
            *const TfOutput,
            *const *mut c_void,
            c_int,
            *const TfOutput,
            *mut *mut c_void,
            c_int,
            *const *const c_void,
            c_int,
            *mut c_void,
            *mut c_void,
        ),
        new_tensor: unsafe extern "C" fn(
            u32,
            *const i64,
            c_int,
            *mut c_void,
            usize,
            Option<Dealloc>,
            *mut c_void,
        ) -> *mut c_void,
        delete_tensor: unsafe extern "C" fn(*mut c_void),
        tensor_type: unsafe extern "C" fn(*const c_void) -> u32,
        num_dims: unsafe extern "C" fn(*const c_void) -> c_int,
        dim: unsafe extern "C" fn(*const c_void, c_int) -> i64,
        tensor_byte_size: unsafe extern "C" fn(*const c_void) -> usize,
        tensor_data: unsafe extern "C" fn(*const c_void) -> *mut c_void,
        data_type_size: unsafe extern "C" fn(u32) -> usize,
    }

    fn library_path() -> PathBuf {
        runtime_library("VACCEL_CPU_TENSORFLOW", LIBRARY)
    }

    impl Api {
        fn open() -> Result<Api, String> {
            let path = library_path();
            // SAFETY: loading the TensorFlow library runs its initialisers, which only register
            // kernels and ops; it is loaded once and never unloaded while functions of it run.
            let lib = unsafe { libloading::Library::new(&path) }
                .map_err(|e| format!("cannot load {}: {e}", path.display()))?;
            macro_rules! sym {
                ($name:literal) => {
                    // SAFETY: the symbol is the C API function of that name, whose C type the
                    // field this initialises declares (tensorflow/c/c_api.h, tf_tensor.h).
                    *unsafe { lib.get(concat!($name, "\0").as_bytes()) }
                        .map_err(|e| format!("{}: {e}", path.display()))?
                };
            }
            Ok(Api {
                version: sym!("TF_Version"),
                new_status: sym!("TF_NewStatus"),
                delete_status: sym!("TF_DeleteStatus"),
                get_code: sym!("TF_GetCode"),
                message: sym!("TF_Message"),
                new_graph: sym!("TF_NewGraph"),
                delete_graph: sym!("TF_DeleteGraph"),
                new_session_options: sym!("TF_NewSessionOptions"),
                delete_session_options: sym!("TF_DeleteSessionOptions"),
                load_saved_model: sym!("TF_LoadSessionFromSavedModel"),
                close_session: sym!("TF_CloseSession"),
                delete_session: sym!("TF_DeleteSession"),
                operation_by_name: sym!("TF_GraphOperationByName"),
                operation_num_outputs: sym!("TF_OperationNumOutputs"),
                session_run: sym!("TF_SessionRun"),
                new_tensor: sym!("TF_NewTensor"),
                delete_tensor: sym!("TF_DeleteTensor"),
                tensor_type: sym!("TF_TensorType"),
                num_dims: sym!("TF_NumDims"),
                dim: sym!("TF_Dim"),
                tensor_byte_size: sym!("TF_TensorByteSize"),
                tensor_data: sym!("TF_TensorData"),
                data_type_size: sym!("TF_DataTypeSize"),
                _lib: lib,
            })
        }
    }

    fn api() -> Result<&'static Api, Failure> {
        static API: OnceLock<Result<Api, String>> = OnceLock::new();
        match API.get_or_init(|| {
            let api = Api::open();
            if let Ok(a) = &api {
                // SAFETY: TF_Version returns a static C string.
                let v = unsafe { CStr::from_ptr((a.version)()) };
                debug!(
                    "[cpu] tensorflow: loaded TensorFlow {}",
                    v.to_string_lossy()
                );
            }
            api
        }) {
            Ok(a) => Ok(a),
            Err(e) => Err(Failure::new(
                VACCEL_ENOTSUP,
                format!(
                    "TensorFlow C API unavailable ({e}); install the tensorflow-cpu wheel's \
                     libtensorflow_cc.so.2 beside the plugin or set VACCEL_CPU_TENSORFLOW"
                ),
            )),
        }
    }

    thread_local! {
        /// TensorFlow's code of the last failure on this thread, for the op's status.
        static LAST_CODE: Cell<Option<u8>> = const { Cell::new(None) };
    }

    pub fn last_tf_code() -> Option<u8> {
        LAST_CODE.with(|c| c.take())
    }

    /// A TF_Status, deleted on drop.
    struct Status<'a>(&'a Api, *mut c_void);

    impl<'a> Status<'a> {
        fn new(api: &'a Api) -> Result<Self, Failure> {
            // SAFETY: plain constructor.
            let s = unsafe { (api.new_status)() };
            if s.is_null() {
                return Err(Failure::new(VACCEL_ENOMEM, "TF_NewStatus failed"));
            }
            Ok(Self(api, s))
        }

        /// `Err` with TensorFlow's message (prefixed by `what`) when the status is not OK.
        fn check(&self, what: &str) -> Result<(), Failure> {
            // SAFETY: a live status.
            let code = unsafe { (self.0.get_code)(self.1) };
            if code == 0 {
                return Ok(());
            }
            // SAFETY: the message is a C string owned by the status.
            let msg = unsafe { CStr::from_ptr((self.0.message)(self.1)) }.to_string_lossy();
            LAST_CODE.with(|c| c.set(u8::try_from(code).ok()));
            Err(Failure::new(VACCEL_EBACKEND, format!("{what}: {msg}")))
        }
    }

    impl Drop for Status<'_> {
        fn drop(&mut self) {
            // SAFETY: made by TF_NewStatus, deleted once.
            unsafe { (self.0.delete_status)(self.1) }
        }
    }

    /// A SavedModel laid out again from a remote client's flattened files.
    struct Relinked(PathBuf);

    impl Drop for Relinked {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A loaded SavedModel: its graph and session.
    struct Model {
        api: &'static Api,
        graph: *mut c_void,
        session: *mut c_void,
        _relinked: Option<Relinked>,
    }

    // SAFETY: a TF_Session may be run from several threads at once (TensorFlow documents
    // Session::Run as thread-safe); the graph is only read after loading.
    unsafe impl Send for Model {}
    // SAFETY: as above.
    unsafe impl Sync for Model {}

    impl Drop for Model {
        fn drop(&mut self) {
            if let Ok(status) = Status::new(self.api) {
                // SAFETY: the session and graph are live and dropped once, session first.
                unsafe {
                    (self.api.close_session)(self.session, status.1);
                    (self.api.delete_session)(self.session, status.1);
                }
            }
            // SAFETY: as above.
            unsafe { (self.api.delete_graph)(self.graph) };
        }
    }

    static MODELS: Loaded<Model> = Loaded::new();

    /// The SavedModel directory of `res`: its own directory when it is a local one, else its
    /// files linked back into the SavedModel layout.
    ///
    /// # Safety
    /// `res` is a live resource.
    unsafe fn saved_model_dir(
        res: &vaccel_resource,
    ) -> Result<(PathBuf, Option<Relinked>), Failure> {
        // SAFETY: the caller's contract.
        if let Some(dir) = unsafe { local_dir(res) } {
            return Ok((dir, None));
        }
        // SAFETY: as above.
        let blobs = unsafe { blobs(res) };
        if !blobs.iter().any(|b| {
            let n = blob_name(b);
            n == "saved_model.pb" || n == "saved_model.pbtxt"
        }) {
            return Err(Failure::new(
                VACCEL_ENOENT,
                format!(
                    "model resource {} is not a SavedModel directory (no saved_model.pb among {:?})",
                    res.id,
                    blobs.iter().map(|b| blob_name(b)).collect::<Vec<_>>()
                ),
            ));
        }
        // SAFETY: a resource's rundir is NULL or a C string.
        let base = unsafe { cstr(res.rundir) }
            .map(|d| PathBuf::from(d.to_string_lossy().into_owned()))
            .unwrap_or_else(std::env::temp_dir);
        let dir = base.join(format!("saved_model.{}.{}", std::process::id(), res.id));
        let relinked = Relinked(dir.clone());
        let io = |e: std::io::Error| Failure::invalid(format!("laying out the SavedModel: {e}"));
        std::fs::create_dir_all(dir.join("variables")).map_err(io)?;
        for b in &blobs {
            let name = blob_name(b);
            if name.is_empty() || name.contains('/') || name.starts_with('.') {
                return Err(Failure::invalid(format!("unexpected blob name {name:?}")));
            }
            let target = if name.starts_with("variables.") {
                dir.join("variables").join(&name)
            } else {
                dir.join(&name)
            };
            match blob_path(b) {
                Some(p) if p.is_file() => std::os::unix::fs::symlink(&p, &target).map_err(io)?,
                _ => {
                    std::fs::write(&target, blob_bytes(b).map_err(Failure::invalid)?).map_err(io)?
                }
            }
        }
        Ok((dir, Some(relinked)))
    }

    fn load_model(res: &vaccel_resource) -> Result<Model, Failure> {
        let api = api()?;
        // SAFETY: the resource is live for the op.
        let (dir, relinked) = unsafe { saved_model_dir(res) }?;
        let status = Status::new(api)?;
        let c_dir = CString::new(dir.as_os_str().as_encoded_bytes())
            .map_err(|_| Failure::invalid("model path contains NUL"))?;
        let tags = [c"serve".as_ptr()];
        // SAFETY: plain constructors.
        let (graph, opts) = unsafe { ((api.new_graph)(), (api.new_session_options)()) };
        // SAFETY: every pointer is live for the call; the graph is new, as the API requires.
        let session = unsafe {
            (api.load_saved_model)(
                opts,
                ptr::null(),
                c_dir.as_ptr(),
                tags.as_ptr(),
                1,
                graph,
                ptr::null_mut(),
                status.1,
            )
        };
        // SAFETY: made above, no longer needed.
        unsafe { (api.delete_session_options)(opts) };
        if let Err(f) = status.check(&format!("loading the SavedModel {}", show(&dir, &relinked))) {
            // SAFETY: made above; no session holds it.
            unsafe { (api.delete_graph)(graph) };
            return Err(Failure::invalid(f.message));
        }
        debug!(
            "[cpu] tensorflow: loaded SavedModel {} for resource {}",
            dir.display(),
            res.id
        );
        Ok(Model {
            api,
            graph,
            session,
            _relinked: relinked,
        })
    }

    fn show(dir: &Path, relinked: &Option<Relinked>) -> String {
        match relinked {
            Some(_) => "(from the resource's files)".to_owned(),
            None => dir.display().to_string(),
        }
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

    /// The graph output a node names.
    ///
    /// # Safety
    /// `node.name` is NULL or a C string.
    unsafe fn output(
        model: &Model,
        what: &str,
        i: usize,
        node: &vaccel_tf_node,
    ) -> Result<TfOutput, Failure> {
        // SAFETY: the caller's contract.
        let Some(name) = (unsafe { cstr(node.name) }) else {
            return Err(Failure::invalid(format!("{what} node {i} has no name")));
        };
        // SAFETY: a live graph and a C string.
        let oper = unsafe { (model.api.operation_by_name)(model.graph, name.as_ptr()) };
        if oper.is_null() {
            return Err(Failure::invalid(format!(
                "{what} node {i}: the graph has no operation {:?}",
                name.to_string_lossy()
            )));
        }
        // SAFETY: a live operation of the graph.
        let outputs = unsafe { (model.api.operation_num_outputs)(oper) };
        if node.id < 0 || node.id >= outputs {
            return Err(Failure::invalid(format!(
                "{what} node {i}: {}:{} but the operation has {outputs} outputs",
                name.to_string_lossy(),
                node.id
            )));
        }
        Ok(TfOutput {
            oper,
            index: node.id,
        })
    }

    /// TF tensors, deleted on drop.
    struct Tensors<'a>(&'a Api, Vec<*mut c_void>);

    impl Drop for Tensors<'_> {
        fn drop(&mut self) {
            for t in self.1.drain(..).filter(|t| !t.is_null()) {
                // SAFETY: tensors owned by this list.
                unsafe { (self.0.delete_tensor)(t) }
            }
        }
    }

    unsafe extern "C" fn keep(_: *mut c_void, _: usize, _: *mut c_void) {}

    /// A TF tensor over `t`'s bytes (not copied: the caller's tensor outlives the run).
    ///
    /// # Safety
    /// `t`'s `dims` and `data` hold `nr_dims` entries and `size` bytes, and stay so during the run.
    unsafe fn to_tf(api: &Api, i: usize, t: &vaccel_tf_tensor) -> Result<*mut c_void, Failure> {
        // SAFETY: the caller's contract.
        let (dims, data) = unsafe { (vt::dims(t), vt::data(t)) };
        // SAFETY: a pure function of the type.
        let elem = unsafe { (api.data_type_size)(t.data_type) };
        if elem == 0 {
            return Err(Failure::invalid(format!(
                "input {i}: data type {} has no fixed size (strings, resources and variants are not supported)",
                t.data_type
            )));
        }
        let want = element_count(dims)
            .and_then(|n| n.checked_mul(elem))
            .ok_or_else(|| Failure::invalid(format!("input {i}: invalid dims {dims:?}")))?;
        if want != data.len() {
            return Err(Failure::invalid(format!(
                "input {i}: dims {dims:?} of type {} need {want} bytes, the tensor has {}",
                t.data_type,
                data.len()
            )));
        }
        // TensorFlow only reads inputs; it needs a non-NULL pointer even for no bytes.
        let ptr = if data.is_empty() {
            ptr::NonNull::<u64>::dangling().as_ptr().cast()
        } else {
            data.as_ptr().cast_mut().cast()
        };
        // SAFETY: the data lives as long as the run and `keep` leaves it to its owner.
        let tf = unsafe {
            (api.new_tensor)(
                t.data_type,
                dims.as_ptr(),
                dims.len() as c_int,
                ptr,
                data.len(),
                Some(keep),
                ptr::null_mut(),
            )
        };
        if tf.is_null() {
            return Err(Failure::invalid(format!(
                "input {i}: TensorFlow refused the tensor"
            )));
        }
        Ok(tf)
    }

    /// A new vAccel tensor holding a copy of a TF result.
    fn from_tf(api: &Api, i: usize, t: *mut c_void) -> Result<*mut vaccel_tf_tensor, Failure> {
        // SAFETY: `t` is a live tensor returned by the run.
        let (ty, dims, size, data) = unsafe {
            let n = (api.num_dims)(t);
            let dims: Vec<i64> = (0..n).map(|d| (api.dim)(t, d)).collect();
            (
                (api.tensor_type)(t),
                dims,
                (api.tensor_byte_size)(t),
                (api.tensor_data)(t),
            )
        };
        // SAFETY: pure function.
        if unsafe { (api.data_type_size)(ty) } == 0 {
            return Err(Failure::invalid(format!(
                "output {i} has data type {ty}, which has no fixed size"
            )));
        }
        // SAFETY: the tensor's data holds `size` bytes.
        let bytes =
            unsafe { vaccel_plugin::slice(data.cast::<u8>().cast_const(), size) }.unwrap_or(&[]);
        new_tensor::<vaccel_tf_tensor>(&dims, ty, bytes.len(), |dst| dst.copy_from_slice(bytes))
            .ok_or_else(|| Failure::new(VACCEL_ENOMEM, format!("output {i}: out of memory")))
    }

    /// # Safety
    /// Node names and tensors are NULL or valid; `outputs` is writable.
    pub unsafe fn run(
        res: &vaccel_resource,
        in_nodes: &[vaccel_tf_node],
        inputs: &[*mut vaccel_tf_tensor],
        out_nodes: &[vaccel_tf_node],
        outputs: &mut [*mut vaccel_tf_tensor],
    ) -> Result<(), Failure> {
        let model = MODELS.get_or_load(res, || load_model(res))?;
        let api = model.api;
        let mut feeds = Vec::with_capacity(inputs.len());
        let mut values = Tensors(api, Vec::with_capacity(inputs.len()));
        for (i, (node, t)) in in_nodes.iter().zip(inputs).enumerate() {
            // SAFETY: the caller's contract.
            feeds.push(unsafe { output(&model, "input", i, node) }?);
            // SAFETY: as above.
            let Some(t) = (unsafe { t.as_ref() }) else {
                return Err(Failure::invalid(format!("input {i} is NULL")));
            };
            // SAFETY: a valid tensor that outlives the run.
            values.1.push(unsafe { to_tf(api, i, t) }?);
        }
        let fetches = out_nodes
            .iter()
            .enumerate()
            // SAFETY: the caller's contract.
            .map(|(i, n)| unsafe { output(&model, "output", i, n) })
            .collect::<Result<Vec<_>, _>>()?;
        let mut results = Tensors(api, vec![ptr::null_mut(); fetches.len()]);
        let status = Status::new(api)?;
        // SAFETY: arrays of the given lengths, a live session; results are ours to delete.
        unsafe {
            (api.session_run)(
                model.session,
                ptr::null(),
                feeds.as_ptr(),
                values.1.as_ptr(),
                feeds.len() as c_int,
                fetches.as_ptr(),
                results.1.as_mut_ptr(),
                fetches.len() as c_int,
                ptr::null(),
                0,
                ptr::null_mut(),
                status.1,
            )
        };
        status.check("running the model")?;
        deliver_outputs(outputs, |i| from_tf(api, i, results.1[i]))
    }

    pub fn forget(id: i64) {
        MODELS.forget(id);
    }

    pub fn unload_all() {
        MODELS.clear();
    }
}
