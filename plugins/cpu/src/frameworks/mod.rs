//! The framework model ops: TorchScript through libtorch, TensorFlow SavedModels through the
//! TensorFlow C API, TFLite flatbuffers through LiteRT.
//!
//! Each runtime sits behind a cargo feature of this crate (`torch`, `tensorflow`, `tflite`).
//! A plugin built without one still registers its ops, which then answer `VACCEL_ENOTSUP` with
//! a log line naming the feature, so a user sees why instead of "no plugin implements the op".
//! All three live in `libvaccel-cpu.so` beside the image ops so that one session, and one agent
//! (`--vaccel-config plugins=libvaccel-cpu.so`), reaches everything a user runs together.
//!
//! Models come from the MODEL resource passed to the op: its file (or in-memory blob) for
//! TorchScript and TFLite, its directory for a SavedModel. A model is loaded once per resource
//! by `*_model_load` (or the first `run`) and dropped by `*_model_unload`, by unregistering the
//! resource, or when the plugin unloads.

pub(crate) mod tf;
pub(crate) mod tflite;
pub(crate) mod torch;

use std::collections::HashMap;
use std::ffi::c_int;
use std::sync::{Arc, Mutex, PoisonError};

use vaccel_plugin::abi::{
    VACCEL_EINVAL, VACCEL_ENOTSUP, VACCEL_OK, VACCEL_RESOURCE_MODEL, vaccel_resource,
    vaccel_session,
};
use vaccel_plugin::{error, guard};

/// Why an op failed: its error code and what to log.
#[derive(Debug)]
pub(crate) struct Failure {
    pub code: c_int,
    pub message: String,
}

impl Failure {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self {
            code: VACCEL_EINVAL,
            message: message.into(),
        }
    }

    pub fn new(code: c_int, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The answer of an op whose runtime this build left out.
    #[cfg_attr(
        all(feature = "torch", feature = "tensorflow", feature = "tflite"),
        allow(dead_code)
    )]
    pub fn not_built(feature: &str) -> Self {
        Self::new(
            VACCEL_ENOTSUP,
            format!(
                "this libvaccel-cpu.so was built without the `{feature}` feature \
                 (rebuild it with `cargo build -p vaccel-cpu --features {feature}`)"
            ),
        )
    }
}

/// Runs an op body, logging a failure with the op's name; no panic leaves.
pub(crate) fn run(op: &str, body: impl FnOnce() -> Result<(), Failure>) -> c_int {
    guard(op, || match body() {
        Ok(()) => VACCEL_OK,
        Err(f) => {
            error!("[cpu] {op}: {}", f.message);
            f.code
        }
    })
}

/// The session and MODEL resource an op was given.
///
/// # Safety
/// `sess` and `res` are NULL or live objects from the core.
pub(crate) unsafe fn session_and_model<'a>(
    sess: *mut vaccel_session,
    res: *mut vaccel_resource,
) -> Result<(&'a vaccel_session, &'a vaccel_resource), Failure> {
    // SAFETY: the caller's contract.
    let (Some(sess), Some(res)) = (unsafe { sess.as_ref() }, unsafe { res.as_ref() }) else {
        return Err(Failure::invalid("no session or no model resource given"));
    };
    if res.type_ != VACCEL_RESOURCE_MODEL {
        return Err(Failure::invalid(format!(
            "resource {} is not a MODEL resource",
            res.id
        )));
    }
    Ok((sess, res))
}

/// The models one runtime has loaded, by resource id.
#[cfg_attr(
    not(any(feature = "torch", feature = "tensorflow", feature = "tflite")),
    allow(dead_code)
)]
pub(crate) struct Loaded<T>(Mutex<Option<HashMap<i64, Arc<T>>>>);

#[cfg_attr(
    not(any(feature = "torch", feature = "tensorflow", feature = "tflite")),
    allow(dead_code)
)]
impl<T> Loaded<T> {
    pub const fn new() -> Self {
        Self(Mutex::new(None))
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<i64, Arc<T>>) -> R) -> R {
        let mut guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f(guard.get_or_insert_with(HashMap::new))
    }

    /// The model of `res`, loading it with `load` the first time.
    pub fn get_or_load(
        &self,
        res: &vaccel_resource,
        load: impl FnOnce() -> Result<T, Failure>,
    ) -> Result<Arc<T>, Failure> {
        if let Some(m) = self.with(|m| m.get(&res.id).cloned()) {
            return Ok(m);
        }
        // Loading can take seconds: outside the lock, so other resources are not held up.
        let model = Arc::new(load()?);
        Ok(self.with(|m| m.entry(res.id).or_insert(model).clone()))
    }

    /// Drops the model of resource `id`; whether there was one.
    pub fn forget(&self, id: i64) -> bool {
        self.with(|m| m.remove(&id).is_some())
    }

    pub fn clear(&self) {
        self.with(|m| m.clear());
    }
}

/// Drops every model loaded from resource `id`.
pub(crate) fn forget_resource(id: i64) {
    torch::forget(id);
    tf::forget(id);
    tflite::forget(id);
}

/// Drops every loaded model (at plugin unload).
pub(crate) fn unload_all() {
    torch::unload_all();
    tf::unload_all();
    tflite::unload_all();
}

/// Fills `outputs` with the tensors `make` returns for each index; when one fails, frees the
/// ones made before it and leaves `outputs` alone.
#[cfg_attr(
    not(any(feature = "torch", feature = "tensorflow", feature = "tflite")),
    allow(dead_code)
)]
pub(crate) fn deliver_outputs<T: vaccel_plugin::tensor::Tensor>(
    outputs: &mut [*mut T],
    mut make: impl FnMut(usize) -> Result<*mut T, Failure>,
) -> Result<(), Failure> {
    let mut made = Vec::with_capacity(outputs.len());
    for i in 0..outputs.len() {
        match make(i) {
            Ok(p) => made.push(p),
            Err(f) => {
                for p in made {
                    // SAFETY: made just above by `make` and not handed out.
                    unsafe { vaccel_plugin::tensor::free_tensor(p) };
                }
                return Err(f);
            }
        }
    }
    outputs.copy_from_slice(&made);
    Ok(())
}

/// Where a run-time library is looked for: the file `env` names, then this plugin's directory,
/// then the loader's search path.
#[cfg_attr(not(any(feature = "tensorflow", feature = "tflite")), allow(dead_code))]
pub(crate) fn runtime_library(env: &str, name: &str) -> std::path::PathBuf {
    if let Some(p) = std::env::var_os(env) {
        return p.into();
    }
    match crate::selfpath::dir().map(|d| d.join(name)) {
        Some(p) if p.exists() => p,
        _ => name.into(),
    }
}

/// The number of elements of a tensor with `dims`, if every dim is >= 0 and it fits.
#[cfg_attr(
    not(any(feature = "torch", feature = "tensorflow", feature = "tflite")),
    allow(dead_code)
)]
pub(crate) fn element_count(dims: &[i64]) -> Option<usize> {
    dims.iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(usize::try_from(d).ok()?))
}

#[cfg(test)]
mod tests {
    use std::ptr;

    use vaccel_plugin::abi::{VACCEL_EINVAL, VACCEL_RESOURCE_DATA, vaccel_tf_status};

    use super::*;
    use crate::test_stubs::take_log;

    fn session() -> vaccel_session {
        // SAFETY: the plugin reads plain fields only; all-zero is a valid session image.
        unsafe { std::mem::zeroed() }
    }

    fn resource(type_: u32) -> vaccel_resource {
        // SAFETY: as above; no blobs, no paths.
        let mut r: vaccel_resource = unsafe { std::mem::zeroed() };
        r.id = 77;
        r.type_ = type_;
        r
    }

    fn errors() -> Vec<String> {
        take_log().into_iter().map(|(_, m)| m).collect()
    }

    #[test]
    fn ops_check_their_session_and_resource() {
        let mut sess = session();
        let mut data = resource(VACCEL_RESOURCE_DATA);
        // SAFETY: live local objects or NULL.
        unsafe {
            assert_eq!(
                torch::model_load(ptr::null_mut(), ptr::null_mut()),
                VACCEL_EINVAL
            );
            assert_eq!(tflite::model_load(&mut sess, &mut data), VACCEL_EINVAL);
        }
        let log = errors().join("\n");
        assert!(log.contains("resource 77 is not a MODEL resource"), "{log}");
    }

    #[test]
    fn tf_status_carries_the_failure() {
        let mut sess = session();
        let mut data = resource(VACCEL_RESOURCE_DATA);
        let mut status = vaccel_tf_status {
            code: 0,
            message: ptr::null_mut(),
        };
        // SAFETY: live local objects; the message is libc memory freed below.
        unsafe {
            assert_eq!(
                tf::model_load(&mut sess, &mut data, &mut status),
                VACCEL_EINVAL
            );
            assert_ne!(status.code, 0);
            let msg = std::ffi::CStr::from_ptr(status.message)
                .to_string_lossy()
                .into_owned();
            assert!(msg.contains("not a MODEL resource"), "{msg}");
            libc::free(status.message.cast());
        }
        errors();
    }

    /// Built without a runtime, its ops answer ENOTSUP and name the feature.
    #[test]
    fn runtimes_left_out_answer_enotsup_naming_the_feature() {
        let mut sess = session();
        let mut model = resource(VACCEL_RESOURCE_MODEL);
        let mut expected = Vec::new();
        // SAFETY: live local objects.
        unsafe {
            if cfg!(not(feature = "torch")) {
                assert_eq!(torch::model_load(&mut sess, &mut model), VACCEL_ENOTSUP);
                expected.push("`torch` feature");
            }
            if cfg!(not(feature = "tensorflow")) {
                let rc = tf::model_load(&mut sess, &mut model, ptr::null_mut());
                assert_eq!(rc, VACCEL_ENOTSUP);
                expected.push("`tensorflow` feature");
            }
            if cfg!(not(feature = "tflite")) {
                assert_eq!(tflite::model_load(&mut sess, &mut model), VACCEL_ENOTSUP);
                expected.push("`tflite` feature");
            }
        }
        let log = errors().join("\n");
        for e in expected {
            assert!(log.contains(e), "{log}");
        }
    }

    #[test]
    fn loaded_models_are_kept_per_resource_and_forgotten() {
        let cache: Loaded<String> = Loaded::new();
        let a = resource(VACCEL_RESOURCE_MODEL);
        let mut loads = 0;
        for _ in 0..3 {
            let m = cache
                .get_or_load(&a, || {
                    loads += 1;
                    Ok("model".to_owned())
                })
                .unwrap();
            assert_eq!(*m, "model");
        }
        assert_eq!(loads, 1);
        let mut b = resource(VACCEL_RESOURCE_MODEL);
        b.id = 78;
        let e = cache
            .get_or_load(&b, || Err(Failure::invalid("x")))
            .unwrap_err();
        assert_eq!(e.code, VACCEL_EINVAL);
        assert!(cache.forget(77));
        assert!(!cache.forget(77));
    }

    #[test]
    fn element_counts() {
        assert_eq!(element_count(&[]), Some(1));
        assert_eq!(element_count(&[2, 0, 3]), Some(0));
        assert_eq!(element_count(&[2, 3, 4]), Some(24));
        assert_eq!(element_count(&[-1, 3]), None);
        assert_eq!(element_count(&[i64::MAX, i64::MAX]), None);
    }
}
