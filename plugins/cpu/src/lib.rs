//! The vAccel CPU plugin (`libvaccel-cpu.so`): real acceleration on a host without an
//! accelerator, so that an agent started with it gives real results.
//!
//! - The five image ops run real ONNX models through ONNX Runtime (see [`image_ops`] for the
//!   models, the result formats and how a session's MODEL resource or the environment overrides
//!   the defaults).
//! - `blas_sgemm`, `minmax` and the four `fpga_*` ops are CPU implementations
//!   (`vaccel-cpu-kernels`), sgemm on all cores.
//! - The framework ops run real TorchScript, TensorFlow and TFLite models ([`frameworks`]), each
//!   runtime behind a cargo feature (`torch`, `tensorflow`, `tflite`).
//! - `exec` and `exec_with_resource` are the exec plugin's implementation (`vaccel-exec-ops`),
//!   so one session reaches models, kernels and user libraries alike.
//!
//! Every line is logged with the `[cpu] ` prefix (the exec ops keep their `[exec] ` one).
//!
//! # Why ONNX Runtime and not tract
//!
//! tract (pure Rust) would spare the run-time library, but it is not as fast here: on this
//! project's 2-core x86-64 build machine EfficientNet-Lite0 takes about 28 ms per image with
//! tract-onnx 0.23.9 and 12 ms with ONNX Runtime 1.32.0 through `ort` 2.0.0-rc.15 (the figures of
//! `shared/assets/README.md`, single thread), and tract refuses the EfficientNet-Lite0 file unless
//! told to ignore its declared output shapes. Measured inside this plugin on the same machine, idle
//! (`VACCEL_LOG_LEVEL=4 VACCEL_PLUGINS=libvaccel-cpu.so classify example.jpg 20`, two intra-op
//! threads): inference 9-16 ms (median 11.7) and pre-processing (JPEG decode, resize, normalise) 9-16 ms (median 9.9) per
//! image; the first call loads the model in about 330 ms. So the plugin loads
//! `libonnxruntime.so` dynamically (`ort`'s `load-dynamic`): the library comes from the PyPI
//! `onnxruntime` wheel at install time, and a host without it gets `VACCEL_ENOTSUP` for the image
//! ops while sgemm, minmax, the FPGA ops and exec keep working.

mod frameworks;
mod image_ops;
mod numeric;
mod resource;
mod selfpath;

use std::ffi::c_int;

use vaccel_plugin::abi::{
    VACCEL_OK, VACCEL_PLUGIN_CPU, VACCEL_PLUGIN_GENERIC, VACCEL_PLUGIN_SOFTWARE, vaccel_resource,
    vaccel_session,
};

vaccel_plugin::plugin! {
    name: c"cpu",
    type: VACCEL_PLUGIN_CPU | VACCEL_PLUGIN_SOFTWARE | VACCEL_PLUGIN_GENERIC,
    fini: fini,
    resource_unregister: resource_unregister,
    ops: [
        Noop => image_ops::noop,
        Exec => vaccel_exec_ops::exec,
        ExecWithResource => vaccel_exec_ops::exec_with_resource,
        ImageClassify => image_ops::classify,
        ImageDetect => image_ops::detect,
        ImageSegment => image_ops::segment,
        ImagePose => image_ops::pose,
        ImageDepth => image_ops::depth,
        BlasSgemm => numeric::blas_sgemm,
        FpgaArraycopy => numeric::fpga_arraycopy,
        FpgaVectoradd => numeric::fpga_vectoradd,
        FpgaParallel => numeric::fpga_parallel,
        FpgaMmult => numeric::fpga_mmult,
        Minmax => numeric::minmax,
        TorchModelLoad => frameworks::torch::model_load,
        TorchModelRun => frameworks::torch::model_run,
        TfModelLoad => frameworks::tf::model_load,
        TfModelUnload => frameworks::tf::model_unload,
        TfModelRun => frameworks::tf::model_run,
        TfliteModelLoad => frameworks::tflite::model_load,
        TfliteModelUnload => frameworks::tflite::model_unload,
        TfliteModelRun => frameworks::tflite::model_run,
    ],
}

/// Drops the models loaded for the resource and the library handles exec cached in it.
unsafe extern "C" fn resource_unregister(
    res: *mut vaccel_resource,
    sess: *mut vaccel_session,
) -> c_int {
    vaccel_plugin::guard("resource_unregister", || {
        // SAFETY: the core passes a live resource.
        unsafe { image_ops::forget_resource(res) };
        // SAFETY: as above.
        if let Some(r) = unsafe { res.as_ref() } {
            frameworks::forget_resource(r.id);
        }
        // SAFETY: forwarded from the core, which passes a live resource.
        unsafe { vaccel_exec_ops::resource_unregister(res, sess) }
    })
}

fn fini() -> c_int {
    image_ops::unload_all();
    frameworks::unload_all();
    let rc = vaccel_exec_ops::fini();
    if rc != 0 { rc } else { VACCEL_OK }
}

#[cfg(test)]
vaccel_plugin::test_stubs!();
