//! Unit tests of the noop plugin against the lines and results of spec §18.1 and the level-4
//! traces, with the libvaccel imports replaced by `test_stubs`.

use super::*;
use crate::test_stubs::{debug_lines, registered, set_model, set_model_error, take_log};
use vaccel_plugin::abi::ops::OPS;
use vaccel_plugin::abi::{OpType, SLOG_ERROR, VACCEL_EIO, VACCEL_PLUGIN_DEBUG, VACCEL_VERSION_C};

fn session() -> Box<vaccel_session> {
    // SAFETY: an all-zero session is a valid value of the plain C struct.
    let mut s: Box<vaccel_session> = Box::new(unsafe { std::mem::zeroed() });
    s.id = 1;
    s
}

fn arg<T>(buf: &mut [T]) -> vaccel_arg {
    vaccel_arg {
        buf: buf.as_mut_ptr().cast(),
        size: std::mem::size_of_val(buf),
        type_: 0,
        custom_type_id: 0,
        owned: false,
    }
}

/// A resource whose blobs are the given (type, path, size) triples.
struct Res {
    res: Box<vaccel_resource>,
    _blobs: Vec<vaccel_blob>,
    _ptrs: Vec<*mut vaccel_blob>,
}

fn resource(blobs: &[(u32, Option<&'static CStr>, usize)]) -> Res {
    let mut boxed: Vec<vaccel_blob> = blobs
        .iter()
        .map(|&(type_, path, size)| vaccel_blob {
            type_,
            name: ptr::null_mut(),
            path: path.map_or(ptr::null_mut(), |p| p.as_ptr().cast_mut()),
            path_owned: false,
            data: ptr::null_mut(),
            data_owned: false,
            size,
        })
        .collect();
    let mut ptrs: Vec<*mut vaccel_blob> = boxed.iter_mut().map(|b| b as *mut vaccel_blob).collect();
    // SAFETY: an all-zero resource is a valid value of the plain C struct.
    let mut res: Box<vaccel_resource> = Box::new(unsafe { std::mem::zeroed() });
    res.id = 1;
    res.type_ = VACCEL_RESOURCE_MODEL;
    res.blobs = ptrs.as_mut_ptr();
    res.nr_blobs = ptrs.len();
    Res {
        res,
        _blobs: boxed,
        _ptrs: ptrs,
    }
}

#[test]
fn plugin_image_and_registration_order() {
    // SAFETY: reading the plugin's statics and calling its init on one thread, as the core does.
    unsafe {
        let p = vaccel_plugin;
        let info = &*(*p).info;
        assert_eq!(cstr(info.name), Some(c"noop"));
        assert_eq!(cstr(info.version), Some(VACCEL_VERSION_C));
        assert_eq!(cstr(info.vaccel_version), Some(VACCEL_VERSION_C));
        assert_eq!(info.type_, VACCEL_PLUGIN_DEBUG);
        assert!(!info.is_virtio);
        assert!(info.session_init.is_none() && info.session_release.is_none());
        assert!(info.resource_register.is_none() && info.resource_unregister.is_none());
        assert_eq!((*p).entry.next, (&raw const (*p).entry).cast_mut());
        assert_eq!((*p).entry.prev, (&raw const (*p).entry).cast_mut());
        assert!((*p).ops.iter().all(|o| o.is_null()));
        assert_eq!((info.init.unwrap())(), 0);
        let names: Vec<&str> = registered()
            .iter()
            .map(|r| OPS[r.0 as usize].lower)
            .collect();
        assert_eq!(
            names,
            [
                "noop",
                "exec",
                "exec_with_resource",
                "image_classify",
                "image_detect",
                "image_segment",
                "image_pose",
                "image_depth",
                "tf_model_load",
                "tf_model_unload",
                "tf_model_run",
                "tflite_model_load",
                "tflite_model_unload",
                "tflite_model_run",
                "torch_model_load",
                "torch_model_run",
                "torch_sgemm",
                "blas_sgemm",
                "fpga_arraycopy",
                "fpga_vectoradd",
                "fpga_parallel",
                "fpga_mmult",
                "minmax",
                "opencv",
            ]
        );
        assert!(
            registered()
                .iter()
                .all(|r| r.2.cast_const() == p && !r.1.is_null())
        );
        // Every slot is filled by the op of its own number.
        for (i, op) in (*p).ops.iter().enumerate() {
            assert_eq!((**op).type_ as usize, i);
        }
        assert_eq!(
            (*(*p).ops[OpType::Exec as usize]).func,
            noop_exec as *mut c_void
        );
        assert_eq!((info.fini.unwrap())(), 0);
    }
}

#[test]
fn dummy_copy_rules() {
    let mut a = [1i32, 2];
    let mut b = [0i32, 0];
    let mut c = [0u8; 6];
    let mut d = [0u8; 3];
    assert_eq!(dummy_copy_size(&[arg(&mut a)], &[arg(&mut b)]), Some(8));
    assert_eq!(
        dummy_copy_size(&[arg(&mut a), arg(&mut c)], &[arg(&mut b)]),
        Some(8)
    );
    assert_eq!(dummy_copy_size(&[], &[arg(&mut b)]), None, "no read[0]");
    assert_eq!(
        dummy_copy_size(&[arg(&mut a)], &[arg(&mut b), arg(&mut b)]),
        None,
        "two writes"
    );
    assert_eq!(
        dummy_copy_size(&[arg(&mut a)], &[arg(&mut c)]),
        None,
        "size differs"
    );
    let mut d2 = [0u8; 3];
    assert_eq!(
        dummy_copy_size(&[arg(&mut d)], &[arg(&mut d2)]),
        None,
        "not a multiple of 4"
    );
    let mut e: [u8; 0] = [];
    let mut e2: [u8; 0] = [];
    assert_eq!(
        dummy_copy_size(&[arg(&mut e)], &[arg(&mut e2)]),
        None,
        "empty"
    );
    let mut null = arg(&mut a);
    null.buf = ptr::null_mut();
    assert_eq!(
        dummy_copy_size(&[null], &[arg(&mut b)]),
        None,
        "NULL buffer"
    );
}

#[test]
fn noop_line() {
    let mut s = session();
    take_log();
    // SAFETY: a valid session.
    assert_eq!(unsafe { noop_noop(&mut *s) }, VACCEL_OK);
    assert_eq!(debug_lines(), ["[noop] Calling no-op for session 1"]);
    // SAFETY: NULL session.
    assert_eq!(unsafe { noop_noop(ptr::null_mut()) }, VACCEL_EINVAL);
}

#[test]
fn exec_trace_and_copy() {
    let mut s = session();
    let mut input = [10i32];
    let mut output = [0i32];
    let mut read = [arg(&mut input)];
    let mut write = [arg(&mut output)];
    take_log();
    // SAFETY: valid session, strings and arguments.
    let rc = unsafe {
        noop_exec(
            &mut *s,
            c"libmytestlib.so".as_ptr(),
            c"mytestfunc".as_ptr(),
            read.as_mut_ptr(),
            1,
            write.as_mut_ptr(),
            1,
        )
    };
    assert_eq!(rc, VACCEL_OK);
    assert_eq!(output, [10]);
    assert_eq!(
        debug_lines(),
        [
            "[noop] Calling exec for session 1",
            "[noop] Dumping arguments for exec:",
            "[noop] library: libmytestlib.so symbol: mytestfunc",
            "[noop] nr_read: 1 nr_write: 1",
            "[noop] will return dummy output = input",
        ]
    );

    // The mbench example through noop: two reads, no writes.
    let mut t = *b"1\0";
    let mut img = [0u8; 8];
    let mut read2 = [arg(&mut t), arg(&mut img)];
    // SAFETY: as above, with no write arguments.
    let rc = unsafe {
        noop_exec(
            &mut *s,
            c"mbench".as_ptr(),
            c"mbench".as_ptr(),
            read2.as_mut_ptr(),
            2,
            ptr::null_mut(),
            0,
        )
    };
    assert_eq!(rc, VACCEL_OK);
    assert_eq!(
        debug_lines(),
        [
            "[noop] Calling exec for session 1",
            "[noop] Dumping arguments for exec:",
            "[noop] library: mbench symbol: mbench",
            "[noop] nr_read: 2 nr_write: 0",
        ]
    );

    // No read argument at all: no dummy copy (upstream would read read[0]).
    // SAFETY: NULL arrays with zero counts.
    let rc = unsafe {
        noop_exec(
            &mut *s,
            c"l".as_ptr(),
            c"f".as_ptr(),
            ptr::null_mut(),
            0,
            write.as_mut_ptr(),
            1,
        )
    };
    assert_eq!(rc, VACCEL_OK);
    assert_eq!(debug_lines().len(), 4);

    // SAFETY: NULL library.
    let rc = unsafe {
        noop_exec(
            &mut *s,
            ptr::null(),
            c"f".as_ptr(),
            ptr::null_mut(),
            0,
            ptr::null_mut(),
            0,
        )
    };
    assert_eq!(rc, VACCEL_EINVAL);
    assert_eq!(
        take_log(),
        [(SLOG_ERROR, "[noop] Invalid input arguments".to_string())]
    );
}

#[test]
fn exec_with_resource_lines() {
    let mut s = session();
    let mut r = resource(&[
        (VACCEL_BLOB_FILE, Some(c"/a/libdep.so"), 0),
        (
            VACCEL_BLOB_FILE,
            Some(c"/run/user/0/vaccel/x/resource.2/lib.so"),
            0,
        ),
    ]);
    let mut input = [10i32];
    let mut output = [0i32];
    let mut read = [arg(&mut input)];
    let mut write = [arg(&mut output)];
    take_log();
    // SAFETY: valid session, resource and arguments.
    let rc = unsafe {
        noop_exec_with_resource(
            &mut *s,
            &mut *r.res,
            c"mytestfunc".as_ptr(),
            read.as_mut_ptr(),
            1,
            write.as_mut_ptr(),
            1,
        )
    };
    assert_eq!(rc, VACCEL_OK);
    assert_eq!(output, [10]);
    assert_eq!(
        debug_lines(),
        [
            "[noop] Calling exec_with_resource for session 1",
            "[noop] Dumping arguments for exec_with_resource:",
            "[noop] dep library: /a/libdep.so",
            "[noop] library: /run/user/0/vaccel/x/resource.2/lib.so symbol: mytestfunc",
            "[noop] nr_read: 1 nr_write: 1",
            "[noop] will return dummy output = input",
        ]
    );

    let mut r = resource(&[
        (VACCEL_BLOB_FILE, Some(c"a.so"), 0),
        (VACCEL_BLOB_BUFFER, None, 4),
    ]);
    // SAFETY: as above.
    let rc = unsafe {
        noop_exec_with_resource(
            &mut *s,
            &mut *r.res,
            c"f".as_ptr(),
            read.as_mut_ptr(),
            1,
            write.as_mut_ptr(),
            1,
        )
    };
    assert_eq!(rc, VACCEL_EINVAL);
    let log = take_log();
    assert_eq!(
        log.last().unwrap(),
        &(SLOG_ERROR, "Could not get path of file 1".to_string())
    );

    // SAFETY: NULL resource.
    let rc = unsafe {
        noop_exec_with_resource(
            &mut *s,
            ptr::null_mut(),
            c"f".as_ptr(),
            ptr::null_mut(),
            0,
            ptr::null_mut(),
            0,
        )
    };
    assert_eq!(rc, VACCEL_EINVAL);
    assert_eq!(
        take_log(),
        [(SLOG_ERROR, "[noop] Invalid shared object".to_string())]
    );
    let mut empty = resource(&[]);
    // SAFETY: a resource without blobs.
    let rc = unsafe {
        noop_exec_with_resource(
            &mut *s,
            &mut *empty.res,
            c"f".as_ptr(),
            ptr::null_mut(),
            0,
            ptr::null_mut(),
            0,
        )
    };
    assert_eq!(rc, VACCEL_EINVAL);
}

#[test]
fn classify_trace_and_outputs() {
    let mut s = session();
    let img = [0u8; 16];
    let mut text = [0xffu8; 512];
    let mut name = [0xffu8; 512];
    set_model(ptr::null_mut());
    take_log();
    // SAFETY: valid session, image and output buffers.
    let rc = unsafe {
        noop_img_class(
            &mut *s,
            img.as_ptr().cast(),
            text.as_mut_ptr(),
            name.as_mut_ptr(),
            79281,
            512,
            512,
        )
    };
    assert_eq!(rc, VACCEL_OK);
    assert_eq!(
        debug_lines(),
        [
            "[noop] Calling Image classification for session 1",
            "[noop] Dumping arguments for Image classification:",
            "[noop] model: (null)",
            "[noop] len_img: 79281",
            "[noop] len_out_text: 512",
            "[noop] len_out_imgname: 512",
            "[noop] will return a dummy result",
            "[noop] will return a dummy result",
        ]
    );
    assert_eq!(
        CStr::from_bytes_until_nul(&text).unwrap(),
        c"This is a dummy classification tag!"
    );
    assert_eq!(
        CStr::from_bytes_until_nul(&name).unwrap(),
        c"This is a dummy imgname!"
    );

    // With a model registered and short buffers (snprintf truncation).
    let mut model = resource(&[(VACCEL_BLOB_FILE, Some(c"cnn_trace.pt"), 0)]);
    set_model(&mut *model.res);
    let mut short = [0xffu8; 8];
    // SAFETY: as above; `short` holds 8 bytes, no imgname buffer.
    let rc = unsafe {
        noop_img_class(
            &mut *s,
            img.as_ptr().cast(),
            short.as_mut_ptr(),
            ptr::null_mut(),
            16,
            8,
            0,
        )
    };
    assert_eq!(rc, VACCEL_OK);
    assert_eq!(&short, b"This is\0");
    assert_eq!(
        debug_lines(),
        [
            "[noop] Calling Image classification for session 1",
            "[noop] Dumping arguments for Image classification:",
            "[noop] model: cnn_trace.pt",
            "[noop] len_img: 16",
            "[noop] len_out_text: 8",
            "[noop] will return a dummy result",
        ]
    );
    set_model(ptr::null_mut());

    set_model_error(VACCEL_EIO);
    // SAFETY: as above.
    let rc = unsafe {
        noop_img_class(
            &mut *s,
            img.as_ptr().cast(),
            text.as_mut_ptr(),
            name.as_mut_ptr(),
            16,
            512,
            512,
        )
    };
    set_model_error(0);
    assert_eq!(rc, VACCEL_EIO);
    assert_eq!(
        take_log().last().unwrap(),
        &(SLOG_ERROR, "[noop] Failed to get model".to_string())
    );

    // SAFETY: NULL image.
    let rc = unsafe {
        noop_img_class(
            &mut *s,
            ptr::null(),
            text.as_mut_ptr(),
            name.as_mut_ptr(),
            0,
            512,
            512,
        )
    };
    assert_eq!(rc, VACCEL_EINVAL);
    assert_eq!(
        take_log(),
        [(SLOG_ERROR, "[noop] Invalid input arguments".to_string())]
    );
}

#[test]
fn other_image_ops() {
    let mut s = session();
    let img = [0u8; 4];
    for (f, what) in [
        (noop_img_detect as vaccel_plugin::sig::ImageOp, "detection"),
        (noop_img_segment, "segmentation"),
        (noop_img_pose, "pose"),
        (noop_img_depth, "depth"),
    ] {
        let mut name = [0u8; 512];
        take_log();
        // SAFETY: valid session, image and output buffer.
        let rc = unsafe { f(&mut *s, img.as_ptr().cast(), name.as_mut_ptr(), 79281, 512) };
        assert_eq!(rc, VACCEL_OK);
        assert_eq!(
            debug_lines(),
            [
                format!("[noop] Calling Image {what} for session 1"),
                format!("[noop] Dumping arguments for Image {what}:"),
                "[noop] model: (null)".to_string(),
                "[noop] len_img: 79281".to_string(),
                "[noop] len_out_imgname: 512".to_string(),
                "[noop] will return a dummy result".to_string(),
            ]
        );
        assert_eq!(
            CStr::from_bytes_until_nul(&name).unwrap(),
            c"This is a dummy imgname!"
        );
    }
}

#[test]
fn tf_ops() {
    let mut s = session();
    let mut model = resource(&[(VACCEL_BLOB_FILE, Some(c"lstm2/saved_model.pb"), 0)]);
    let mut status = vaccel_tf_status {
        code: 9,
        message: ptr::null_mut(),
    };
    take_log();
    assert_eq!(
        // SAFETY: valid session, model and status.
        unsafe { noop_tf_model_load(&mut *s, &mut *model.res, &mut status) },
        VACCEL_OK
    );
    assert_eq!(
        debug_lines(),
        ["[noop] Calling tf_model_load for session 1"]
    );
    assert_eq!(status.code, 0);
    // SAFETY: the plugin strdup'd the message.
    unsafe {
        assert_eq!(
            CStr::from_ptr(status.message),
            c"Operation handled by noop plugin"
        );
        libc::free(status.message.cast());
    }
    assert_eq!(
        // SAFETY: NULL status is allowed.
        unsafe { noop_tf_model_unload(&mut *s, &mut *model.res, ptr::null_mut()) },
        VACCEL_OK
    );
    assert_eq!(
        debug_lines(),
        ["[noop] Calling tf_model_unload for session 1"]
    );
    assert_eq!(
        // SAFETY: NULL model.
        unsafe { noop_tf_model_load(&mut *s, ptr::null_mut(), ptr::null_mut()) },
        VACCEL_EINVAL
    );
    assert_eq!(
        take_log(),
        [(SLOG_ERROR, "[noop] Invalid TensorFlow model".to_string())]
    );

    let mut dims = [1i64, 224, 224, 3];
    let mut data = vec![0.5f32; 6];
    let mut input = vaccel_tf_tensor {
        data: data.as_mut_ptr().cast(),
        size: 24,
        owned: false,
        nr_dims: 4,
        dims: dims.as_mut_ptr(),
        data_type: 1,
    };
    let in_tensors = [&mut input as *mut vaccel_tf_tensor];
    let in_nodes = [vaccel_tf_node {
        name: c"serving_default_data".as_ptr().cast_mut(),
        id: 0,
    }];
    let out_nodes = [vaccel_tf_node {
        name: c"PartitionedCall".as_ptr().cast_mut(),
        id: 0,
    }];
    let mut out: [*mut vaccel_tf_tensor; 2] = [ptr::null_mut(); 2];
    let mut status = vaccel_tf_status {
        code: 9,
        message: ptr::null_mut(),
    };
    // SAFETY: valid arrays of the given lengths.
    let rc = unsafe {
        noop_tf_model_run(
            &mut *s,
            &mut *model.res,
            ptr::null(),
            in_nodes.as_ptr(),
            in_tensors.as_ptr(),
            1,
            out_nodes.as_ptr(),
            out.as_mut_ptr(),
            1,
            &mut status,
        )
    };
    assert_eq!(rc, VACCEL_OK);
    let data_line = format!("[noop] \tData -> {:#x}, 24", data.as_ptr() as usize);
    assert_eq!(
        debug_lines(),
        [
            "[noop] Calling tf_model_run for session 1",
            "[noop] Number of inputs: 1",
            "[noop] \tNode 0: serving_default_data:0",
            "[noop] \t#dims: 4 -> {",
            "[noop] \t\t1",
            "[noop] \t\t224",
            "[noop] \t\t224",
            "[noop] \t\t3",
            "[noop] \t}",
            "[noop] \tData type: 1",
            &data_line,
            "[noop] Number of outputs: 1",
            "[noop] \tNode 0: PartitionedCall:0",
        ]
    );
    // SAFETY: the plugin made out[0] with libc; it is freed here like vaccel_tf_tensor_delete.
    unsafe {
        let t = &*out[0];
        assert!(t.owned);
        assert_eq!((t.nr_dims, t.size, t.data_type), (4, 24, 1));
        assert_eq!(std::slice::from_raw_parts(t.dims, 4), &dims);
        assert_eq!(
            std::slice::from_raw_parts(t.data.cast::<f32>(), 6),
            &data[..]
        );
        assert_ne!(t.data, input.data);
        free_tensor(out[0]);
        assert_eq!(
            CStr::from_ptr(status.message),
            c"Operation handled by noop plugin"
        );
        libc::free(status.message.cast());
    }

    // More outputs than inputs: the extra one is NULL; run options are printed.
    let opts = vaccel_tf_buffer {
        data: ptr::null_mut(),
        size: 0,
    };
    // SAFETY: as above, two output slots.
    let rc = unsafe {
        noop_tf_model_run(
            &mut *s,
            &mut *model.res,
            &opts,
            in_nodes.as_ptr(),
            in_tensors.as_ptr(),
            1,
            ptr::null(),
            out.as_mut_ptr(),
            2,
            ptr::null_mut(),
        )
    };
    assert_eq!(rc, VACCEL_OK);
    assert_eq!(debug_lines()[1], "[noop] Run options -> (nil), 0");
    assert!(!out[0].is_null() && out[1].is_null());
    // SAFETY: made by the plugin.
    unsafe { free_tensor(out[0]) };
}

#[test]
fn tflite_and_torch_run() {
    let mut s = session();
    let mut model = resource(&[(VACCEL_BLOB_FILE, Some(c"m"), 0)]);
    let mut dims = [1i32, 2];
    let mut data = [1u8, 2, 3, 4, 5, 6, 7, 8];
    let mut input = vaccel_tflite_tensor {
        data: data.as_mut_ptr().cast(),
        size: 8,
        owned: false,
        nr_dims: 2,
        dims: dims.as_mut_ptr(),
        data_type: 1,
    };
    let inputs = [&mut input as *mut vaccel_tflite_tensor];
    let mut out = [ptr::null_mut::<vaccel_tflite_tensor>()];
    let mut status = 7u8;
    take_log();
    // SAFETY: valid arrays.
    let rc = unsafe {
        noop_tflite_model_run(
            &mut *s,
            &mut *model.res,
            inputs.as_ptr(),
            1,
            out.as_mut_ptr(),
            1,
            &mut status,
        )
    };
    assert_eq!(rc, VACCEL_OK);
    assert_eq!(status, 0);
    let lines = debug_lines();
    assert_eq!(lines[0], "[noop] Calling tflite_model_run for session 1");
    assert_eq!(lines[2], "[noop] \t#dims: 2 -> {");
    assert_eq!(lines.last().unwrap(), "[noop] Number of outputs: 1");
    // SAFETY: made by the plugin.
    unsafe {
        assert_eq!(
            std::slice::from_raw_parts((*out[0]).data.cast::<u8>(), 8),
            &data
        );
        assert_eq!(std::slice::from_raw_parts((*out[0]).dims, 2), &dims);
        free_tensor(out[0]);
    }

    let mut dims = [1i64, 3, 224, 224];
    let mut tdata = [0u8; 12];
    let mut tin = vaccel_torch_tensor {
        data: tdata.as_mut_ptr().cast(),
        size: 12,
        owned: false,
        nr_dims: 4,
        dims: dims.as_mut_ptr(),
        data_type: 7,
    };
    let tins = [&mut tin as *mut vaccel_torch_tensor];
    let mut tout = [ptr::null_mut::<vaccel_torch_tensor>()];
    // SAFETY: valid arrays.
    let rc = unsafe {
        noop_torch_model_run(
            &mut *s,
            &mut *model.res,
            ptr::null(),
            tins.as_ptr(),
            1,
            tout.as_mut_ptr(),
            1,
        )
    };
    assert_eq!(rc, VACCEL_OK);
    let lines = debug_lines();
    assert_eq!(lines[0], "[noop] Calling torch_model_run for session 1");
    assert_eq!(lines[1], "[noop] Number of inputs: 1");
    assert_eq!(lines[8], "[noop] \tData type: 7");
    assert_eq!(
        lines[9],
        format!("[noop] \tData -> {:#x}, 12 B", tdata.as_ptr() as usize)
    );
    assert_eq!(lines[10], "[noop] Number of outputs: 1");
    // SAFETY: made by the plugin.
    unsafe {
        assert_eq!(
            ((*tout[0]).nr_dims, (*tout[0]).data_type, (*tout[0]).size),
            (4, 7, 12)
        );
        free_tensor(tout[0]);
    }
}

#[test]
fn torch_load_by_blob_type() {
    let mut s = session();
    take_log();
    for (blob, line) in [
        (
            (VACCEL_BLOB_FILE, Some(c"cnn_trace.pt"), 0),
            "[noop] Loading model from file cnn_trace.pt",
        ),
        (
            (VACCEL_BLOB_MAPPED, Some(c"/x/cnn_trace.pt"), 0),
            "[noop] Mapped model, loading from file /x/cnn_trace.pt",
        ),
        (
            (VACCEL_BLOB_BUFFER, None, 1234),
            "[noop] Loading model from buffer of length: 1234",
        ),
    ] {
        let mut m = resource(&[blob]);
        assert_eq!(
            // SAFETY: valid session and model.
            unsafe { noop_torch_model_load(&mut *s, &mut *m.res) },
            VACCEL_OK
        );
        assert_eq!(
            debug_lines(),
            ["[noop] Calling torch_model_load for session 1", line]
        );
    }
    let mut m = resource(&[(9, None, 0)]);
    assert_eq!(
        // SAFETY: valid session and model with a bad blob type.
        unsafe { noop_torch_model_load(&mut *s, &mut *m.res) },
        VACCEL_EINVAL
    );
    assert_eq!(
        take_log().last().unwrap(),
        &(
            SLOG_ERROR,
            "[noop] The model blob has an invalid type.".to_string()
        )
    );
    assert_eq!(
        // SAFETY: NULL model.
        unsafe { noop_torch_model_load(&mut *s, ptr::null_mut()) },
        VACCEL_EINVAL
    );
    assert_eq!(
        take_log(),
        [(SLOG_ERROR, "[noop] Invalid model path".to_string())]
    );
    assert_eq!(
        // SAFETY: NULL session.
        unsafe { noop_tflite_model_load(ptr::null_mut(), &mut *m.res) },
        VACCEL_EINVAL
    );
    assert_eq!(
        take_log(),
        [(SLOG_ERROR, "[noop] Invalid session".to_string())]
    );
}

#[test]
fn sgemm_lines_leave_c_unchanged() {
    let mut s = session();
    let mut a = [1.0f32; 4];
    let mut b = [2.0f32; 4];
    let mut c = [3.0f32; 4];
    take_log();
    // SAFETY: valid session and arrays.
    let rc = unsafe {
        noop_sgemm(
            &mut *s,
            512,
            512,
            512,
            32412.0,
            a.as_mut_ptr(),
            512,
            b.as_mut_ptr(),
            512,
            2123.0,
            c.as_mut_ptr(),
            512,
        )
    };
    assert_eq!(rc, VACCEL_OK);
    assert_eq!(c, [3.0; 4]);
    assert_eq!(
        debug_lines(),
        [
            "[noop] Calling sgemm for session 1".to_string(),
            "[noop] Dumping arguments for sgemm:".to_string(),
            "[noop] m: 512 n: 512 k: 512".to_string(),
            "[noop] alpha: 32412.000000".to_string(),
            format!("[noop] A: {:#x} lda: 512", a.as_ptr() as usize),
            format!("[noop] B: {:#x} ldb: 512", b.as_ptr() as usize),
            "[noop] beta: 2123.000000".to_string(),
            format!("[noop] C: {:#x} ldc: 512", c.as_ptr() as usize),
        ]
    );
    // SAFETY: valid session, NULL tensors are not touched.
    let rc = unsafe {
        noop_torch_sgemm(
            &mut *s,
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            2,
            3,
            4,
            ptr::null_mut(),
        )
    };
    assert_eq!(rc, VACCEL_OK);
    assert_eq!(
        debug_lines(),
        [
            "[noop] Calling torch_sgemm for session 1",
            "[noop] Dumping arguments for torch_sgemm:",
            "[noop] m: 2 n: 3 k: 4",
        ]
    );
}

#[test]
fn fpga_ops() {
    let mut s = session();
    let mut a = [1, 2, 3];
    let mut out = [0; 3];
    take_log();
    assert_eq!(
        // SAFETY: arrays of 3 ints.
        unsafe { noop_fpga_arraycopy(&mut *s, a.as_mut_ptr(), out.as_mut_ptr(), 3) },
        VACCEL_OK
    );
    assert_eq!(out, [1, 2, 3]);
    assert_eq!(
        debug_lines(),
        [
            "[noop] Calling fpga_arraycopy for session 1",
            "[noop] Dumping arguments for fpga_arraycopy:",
            "[noop] len_a: 3 "
        ]
    );

    let mut fa = [1.0f32, 2.0];
    let mut fb = [10.0f32, 20.0];
    let mut fc = [0.0f32; 2];
    assert_eq!(
        // SAFETY: arrays of 2 floats.
        unsafe {
            noop_fpga_mmult(
                &mut *s,
                fa.as_mut_ptr(),
                fb.as_mut_ptr(),
                fc.as_mut_ptr(),
                2,
            )
        },
        VACCEL_OK
    );
    assert_eq!(fc, [9.1, 9.1]);
    assert_eq!(debug_lines()[2], "[noop] len_a: 2");

    let mut add = [0.0f32; 2];
    let mut mult = [0.0f32; 2];
    // SAFETY: arrays of 2 floats.
    let rc = unsafe {
        noop_fpga_parallel(
            &mut *s,
            fa.as_mut_ptr(),
            fb.as_mut_ptr(),
            add.as_mut_ptr(),
            mult.as_mut_ptr(),
            2,
        )
    };
    assert_eq!(rc, VACCEL_OK);
    assert_eq!((add, mult), ([11.0, 22.0], [1.0, 1.0]));
    assert_eq!(
        debug_lines()[0],
        "[noop] Calling fpga_parallel for session 1"
    );

    assert_eq!(
        // SAFETY: arrays of 2 floats; b shorter than a counts as zeros.
        unsafe {
            noop_fpga_vadd(
                &mut *s,
                fa.as_mut_ptr(),
                fb.as_mut_ptr(),
                fc.as_mut_ptr(),
                2,
                1,
            )
        },
        VACCEL_OK
    );
    assert_eq!(fc, [11.0, 2.0]);
    assert_eq!(
        debug_lines(),
        [
            "[noop] Calling fpga_vadd for session 1",
            "[noop] Dumping arguments for fpga_vadd:",
            "[noop] len_a: 2 len_b: 1 "
        ]
    );
    assert_eq!(
        // SAFETY: NULL output with a non-zero length is rejected.
        unsafe {
            noop_fpga_mmult(
                &mut *s,
                fa.as_mut_ptr(),
                fb.as_mut_ptr(),
                ptr::null_mut(),
                2,
            )
        },
        VACCEL_EINVAL
    );
}

#[test]
fn minmax_dummy() {
    let mut s = session();
    let indata = [3.0, 1.0, 2.0];
    let mut outdata = [0.0; 3];
    let (mut min, mut max) = (0.0, 0.0);
    take_log();
    // SAFETY: arrays of 3 doubles and valid outputs.
    let rc = unsafe {
        noop_minmax(
            &mut *s,
            indata.as_ptr(),
            3,
            1,
            5,
            outdata.as_mut_ptr(),
            &mut min,
            &mut max,
        )
    };
    assert_eq!(rc, VACCEL_OK);
    assert_eq!((outdata, min, max), (indata, -1.0, 10000.0));
    assert_eq!(
        debug_lines(),
        [
            "[noop] Calling minmax for session 1",
            "[noop] Dumping arguments for minmax: ndata:3",
            "[noop] low: 1 high: 5 ",
            "[noop] will return dummy min and max values",
        ]
    );
    // SAFETY: NULL session, nothing is read.
    let rc = unsafe {
        noop_minmax(
            ptr::null_mut(),
            indata.as_ptr(),
            3,
            1,
            5,
            outdata.as_mut_ptr(),
            &mut min,
            &mut max,
        )
    };
    assert_eq!(rc, VACCEL_EINVAL);
    assert!(take_log().is_empty());
}

#[test]
fn opencv_lines_and_writes() {
    let mut s = session();
    let mut func = [3u8];
    let mut img = [0u8; 100];
    let mut w0 = [0u8; 16];
    let mut w1 = [0xaau8; 4];
    let mut read = [arg(&mut func), arg(&mut img)];
    let mut write = [arg(&mut w0), arg(&mut w1)];
    take_log();
    // SAFETY: valid argument arrays.
    let rc = unsafe { noop_opencv(&mut *s, read.as_mut_ptr(), 2, write.as_mut_ptr(), 2) };
    assert_eq!(rc, VACCEL_OK);
    assert_eq!(
        debug_lines(),
        [
            "[noop] Calling opencv for session 1",
            "[noop] Dumping arguments for opencv:",
            "[noop] nr_read: 2 nr_write: 2",
            "[noop] [OpenCV] function: 3",
            "[noop] opencv read[1] size: 100",
            "[noop] opencv write[0] size: 16",
            "[noop] opencv write[1] size: 4",
        ]
    );
    assert_eq!(&w0[..8], &4usize.to_ne_bytes());
    assert_eq!(&w0[8..], &[0; 8]);
    assert_eq!(
        w1,
        1usize.to_ne_bytes()[..4],
        "never more than the buffer's size"
    );
}
