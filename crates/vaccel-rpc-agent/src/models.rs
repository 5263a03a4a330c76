//! TensorFlow, TFLite and Torch methods (spec §6.9).
//!
//! Common shape: the model resource is looked up first (NOT_FOUND with the model-kind text of
//! §5.1), then the session; tensors travel as raw bytes with their dims and the C data-type value,
//! passed through numerically (§4.12, including TFLite's off-by-one proto names). The TF methods
//! answer with the framework status; failures carry it as `FFI_WITH_STATUS` details so the client
//! can hand it to the application. They are served on every target (upstream serves TF only on
//! 64-bit agents).

use vaccel::{TensorIn, TensorOut};
use vaccel_rpc_proto::bytes::Bytes;
use vaccel_rpc_proto::error::{Error as VError, Status as FwStatus, error_to_status};
use vaccel_rpc_proto::ttrpc::Status;
use vaccel_rpc_proto::{Message, Method, tf, tflite, torch};

use crate::log::info;
use crate::service::{Agent, check_id, ffi_status, lock};

type Reply = Result<Vec<Bytes>, Status>;

fn encode<M: Message>(m: &M) -> Reply {
    let b = m.encode_to_vec();
    Ok(if b.is_empty() {
        Vec::new()
    } else {
        vec![b.into()]
    })
}

fn decode<M: Message + Default>(payload: Bytes) -> Result<M, Status> {
    M::decode(payload).map_err(|e| {
        Status::new(
            vaccel_rpc_proto::ttrpc::Code::InvalidArgument,
            e.to_string(),
        )
    })
}

fn errno(e: &vaccel::Error) -> u32 {
    match e {
        vaccel::Error::Code(n) => *n as u32,
        _ => vaccel_rpc_proto::abi::VACCEL_EINVAL as u32,
    }
}

/// Runs `f` with the locked session and model (session locked first, as everywhere).
fn with_model<T>(
    agent: &Agent,
    session_id: i64,
    model_id: i64,
    kind: &str,
    f: impl FnOnce(&mut vaccel::Session<'static>, &mut vaccel::Resource<'static>) -> T,
) -> Result<T, Status> {
    let sid = check_id(session_id)?;
    let mid = check_id(model_id)?;
    let res = agent.resource(mid, kind)?;
    let sess = agent.session(sid, "session")?;
    let mut s = lock(&sess);
    let mut r = lock(&res);
    Ok(f(&mut s, &mut r))
}

fn fw(status: &vaccel::TfStatus) -> FwStatus {
    FwStatus {
        code: status.code.into(),
        message: status.message.clone(),
    }
}

fn tf_tensors(out: Vec<TensorOut<i64>>) -> Vec<tf::Tensor> {
    out.into_iter()
        .map(|t| tf::Tensor {
            data: t.data.into(),
            dims: t.dims,
            r#type: t.data_type as i32,
        })
        .collect()
}

/// The reply for a model method (`None` for any other method).
pub fn dispatch(agent: &Agent, method: Method, payload: Bytes) -> Option<Reply> {
    Some(match method {
        Method::TensorflowModelLoad | Method::TensorflowModelUnload => (|| {
            let req: tf::ModelLoadRequest = decode(payload)?;
            let load = method == Method::TensorflowModelLoad;
            let (r, st) = with_model(
                agent,
                req.session_id,
                req.model_id,
                "TensorFlow model",
                |s, m| {
                    let what = if load { "load" } else { "unload" };
                    info!("session:{} TensorFlow model {what}", req.session_id);
                    if load {
                        s.tf_model_load(m)
                    } else {
                        s.tf_model_unload(m)
                    }
                },
            )?;
            if let Err(e) = r {
                return Err(error_to_status(&VError::ffi_with_status(
                    errno(&e),
                    st.code.into(),
                    st.message,
                )));
            }
            if load {
                encode(&tf::ModelLoadResponse {
                    graph_def: Bytes::new(),
                    status: Some(fw(&st)),
                })
            } else {
                encode(&tf::ModelUnloadResponse {
                    status: Some(fw(&st)),
                })
            }
        })(),
        Method::TensorflowModelRun => (|| {
            let req: tf::ModelRunRequest = decode(payload)?;
            let in_nodes: Vec<(&str, i32)> = req
                .in_nodes
                .iter()
                .map(|n| (n.name.as_str(), n.id))
                .collect();
            let out_nodes: Vec<(&str, i32)> = req
                .out_nodes
                .iter()
                .map(|n| (n.name.as_str(), n.id))
                .collect();
            if in_nodes.len() != req.in_tensors.len() {
                return Err(error_to_status(&VError::invalid_argument(format!(
                    "{} input nodes but {} input tensors",
                    in_nodes.len(),
                    req.in_tensors.len()
                ))));
            }
            let inputs: Vec<TensorIn<'_, i64>> = req
                .in_tensors
                .iter()
                .map(|t| TensorIn {
                    data: &t.data,
                    dims: &t.dims,
                    data_type: t.r#type as u32,
                })
                .collect();
            let (r, st) = with_model(
                agent,
                req.session_id,
                req.model_id,
                "TensorFlow model",
                |s, m| {
                    info!("session:{} TensorFlow model run", req.session_id);
                    s.tf_model_run(
                        m,
                        req.run_options.as_deref(),
                        &in_nodes,
                        &inputs,
                        &out_nodes,
                    )
                },
            )?;
            match r {
                Ok(out) => encode(&tf::ModelRunResponse {
                    out_tensors: tf_tensors(out),
                    status: Some(fw(&st)),
                }),
                Err(e) => Err(error_to_status(&VError::ffi_with_status(
                    errno(&e),
                    st.code.into(),
                    st.message,
                ))),
            }
        })(),
        Method::TensorflowLiteModelLoad | Method::TensorflowLiteModelUnload => (|| {
            let req: tflite::ModelLoadRequest = decode(payload)?;
            let load = method == Method::TensorflowLiteModelLoad;
            with_model(
                agent,
                req.session_id,
                req.model_id,
                "TensorFlow Lite model",
                |s, m| {
                    let what = if load { "load" } else { "unload" };
                    info!("session:{} TensorFlow Lite model {what}", req.session_id);
                    if load {
                        s.tflite_model_load(m)
                    } else {
                        s.tflite_model_unload(m)
                    }
                },
            )?
            .map_err(|e| ffi_status(&e))?;
            Ok(Vec::new())
        })(),
        Method::TensorflowLiteModelRun => (|| {
            let req: tflite::ModelRunRequest = decode(payload)?;
            let nr_out = usize::try_from(req.nr_out_tensors).map_err(|e| {
                Status::new(
                    vaccel_rpc_proto::ttrpc::Code::Internal,
                    format!("Could not convert `nr_out_tensors` to `usize`: {e}"),
                )
            })?;
            let inputs: Vec<TensorIn<'_, i32>> = req
                .in_tensors
                .iter()
                .map(|t| TensorIn {
                    data: &t.data,
                    dims: &t.dims,
                    data_type: t.r#type as u32,
                })
                .collect();
            let (r, code) = with_model(
                agent,
                req.session_id,
                req.model_id,
                "TensorFlow Lite model",
                |s, m| {
                    info!("session:{} TensorFlow Lite model run", req.session_id);
                    s.tflite_model_run(m, &inputs, nr_out)
                },
            )?;
            match r {
                Ok(out) => encode(&tflite::ModelRunResponse {
                    out_tensors: out
                        .into_iter()
                        .map(|t| tflite::Tensor {
                            data: t.data.into(),
                            dims: t.dims,
                            r#type: t.data_type as i32,
                        })
                        .collect(),
                    status: Some(FwStatus {
                        code: code.into(),
                        message: String::new(),
                    }),
                }),
                Err(e) => Err(error_to_status(&VError::ffi_with_status(
                    errno(&e),
                    code.into(),
                    "",
                ))),
            }
        })(),
        Method::TorchModelLoad => (|| {
            let req: torch::ModelLoadRequest = decode(payload)?;
            with_model(
                agent,
                req.session_id,
                req.model_id,
                "PyTorch model",
                |s, m| {
                    info!("session:{} PyTorch model load", req.session_id);
                    s.torch_model_load(m)
                },
            )?
            .map_err(|e| ffi_status(&e))?;
            Ok(Vec::new())
        })(),
        Method::TorchModelRun => (|| {
            let req: torch::ModelRunRequest = decode(payload)?;
            if req.nr_out_tensors < 1 {
                return Err(error_to_status(&VError::invalid_argument(
                    "Number of output tensors cannot be < 1",
                )));
            }
            let nr_out = usize::try_from(req.nr_out_tensors).map_err(|e| {
                Status::new(
                    vaccel_rpc_proto::ttrpc::Code::Internal,
                    format!("Could not convert `nr_out_tensors` to `usize`: {e}"),
                )
            })?;
            let inputs: Vec<TensorIn<'_, i64>> = req
                .in_tensors
                .iter()
                .map(|t| TensorIn {
                    data: &t.data,
                    dims: &t.dims,
                    data_type: t.r#type as u32,
                })
                .collect();
            let out = with_model(agent, req.session_id, req.model_id, "Py model", |s, m| {
                info!("session:{} PyTorch model run", req.session_id);
                s.torch_model_run(m, req.run_options.as_deref(), &inputs, nr_out)
            })?
            .map_err(|e| ffi_status(&e))?;
            encode(&torch::ModelRunResponse {
                out_tensors: out
                    .into_iter()
                    .map(|t| torch::Tensor {
                        data: t.data.into(),
                        dims: t.dims,
                        r#type: t.data_type as i32,
                    })
                    .collect(),
            })
        })(),
        _ => return None,
    })
}
