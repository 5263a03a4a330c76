//! The vAccel request and response messages of spec §4, one module per proto package.
//!
//! Field numbers and types are those of vaccel-rust v0.5.0; proto3 rules apply (default scalars are
//! not emitted, `optional` fields have presence, repeated scalars are packed, unknown fields are
//! skipped). Enum-valued fields are `i32`: their numbers are the vAccel C enum values and pass
//! through untouched (§4.12); see each field for where the names live.

/// Package `vaccel.empty`.
pub mod empty {
    /// `Empty`: encodes to zero bytes, so a response carrying it has no `payload`.
    #[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
    pub struct Empty {}
}

/// Package `vaccel.session` (§4.4).
pub mod session {
    /// `CreateRequest`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct CreateRequest {
        /// Session hint: plugin-type bits (`vaccel_abi::VACCEL_PLUGIN_*`) without
        /// `VACCEL_PLUGIN_REMOTE`.
        #[prost(uint32, tag = "1")]
        pub flags: u32,
    }

    /// `CreateResponse`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct CreateResponse {
        /// Agent-side session id (> 0).
        #[prost(int64, tag = "1")]
        pub session_id: i64,
    }

    /// `UpdateRequest`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct UpdateRequest {
        #[prost(int64, tag = "1")]
        pub session_id: i64,
        /// The new hint.
        #[prost(uint32, tag = "2")]
        pub flags: u32,
    }

    /// `DestroyRequest`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct DestroyRequest {
        #[prost(int64, tag = "1")]
        pub session_id: i64,
    }
}

/// Package `vaccel.resource` (§4.5).
///
/// `Blob.type_` carries `vaccel_blob_type_t` (`vaccel_abi::VACCEL_BLOB_FILE` 0, `BUFFER` 1,
/// `MAPPED` 2) and `RegisterRequest.resource_type` carries `vaccel_resource_type_t`
/// (`vaccel_abi::VACCEL_RESOURCE_LIB` 0, `DATA` 1, `MODEL` 2), numerically.
pub mod resource {
    use bytes::Bytes;

    /// `Blob`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Blob {
        /// `BlobType` = `vaccel_blob_type_t` value. (The proto field name has a trailing
        /// underscore.)
        #[prost(int32, tag = "1")]
        pub type_: i32,
        /// File name (used when the agent persists the blob).
        #[prost(string, tag = "2")]
        pub name: String,
        /// Full contents.
        #[prost(bytes = "bytes", tag = "3")]
        pub data: Bytes,
        /// Size in bytes (the official agent uses `data.len()` instead).
        #[prost(uint32, tag = "4")]
        pub size: u32,
    }

    /// `RegisterRequest`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct RegisterRequest {
        /// Paths or URLs, interpreted on the agent host.
        #[prost(string, repeated, tag = "1")]
        pub paths: Vec<String>,
        #[prost(message, repeated, tag = "2")]
        pub blobs: Vec<Blob>,
        /// `ResourceType` = `vaccel_resource_type_t` value.
        #[prost(int32, tag = "3")]
        pub resource_type: i32,
        /// 0 = create a new agent resource; > 0 = register that existing one with the session.
        #[prost(int64, tag = "4")]
        pub resource_id: i64,
        #[prost(int64, tag = "5")]
        pub session_id: i64,
    }

    /// `RegisterResponse`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct RegisterResponse {
        /// Agent-side resource id (> 0).
        #[prost(int64, tag = "1")]
        pub resource_id: i64,
    }

    /// `UnregisterRequest`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct UnregisterRequest {
        #[prost(int64, tag = "1")]
        pub resource_id: i64,
        #[prost(int64, tag = "2")]
        pub session_id: i64,
    }

    /// `SyncRequest`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct SyncRequest {
        #[prost(int64, tag = "1")]
        pub resource_id: i64,
    }

    /// `SyncResponse`: one blob per resource blob, in order, with only `data` and `size` set.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct SyncResponse {
        #[prost(message, repeated, tag = "1")]
        pub blobs: Vec<Blob>,
    }
}

/// Package `vaccel.image` (§4.6, legacy `ImageClassification`).
pub mod image {
    use bytes::Bytes;

    /// `Request`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Request {
        #[prost(int64, tag = "1")]
        pub session_id: i64,
        /// Image file bytes.
        #[prost(bytes = "bytes", tag = "2")]
        pub image: Bytes,
    }

    /// `Response`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Response {
        /// The whole 1024-byte NUL-padded text buffer.
        #[prost(bytes = "bytes", tag = "1")]
        pub tags: Bytes,
    }
}

/// Package `vaccel.genop` (§4.7, §10).
pub mod genop {
    use bytes::Bytes;
    use vaccel_abi::ArgType;

    /// `MAX_REQ_LEN` of the streaming client (§10.1): a streamed `Request` stays under this many
    /// bytes, larger arguments are split into parts.
    pub const STREAM_MAX_REQ_LEN: usize = 4_194_304;

    /// `Arg`: one `vaccel_arg`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Arg {
        /// The argument bytes.
        #[prost(bytes = "bytes", tag = "1")]
        pub buf: Bytes,
        /// Byte size: equals `buf.len()` in unary calls; the total size in a streamed part.
        #[prost(uint32, tag = "2")]
        pub size: u32,
        /// `ArgType` = `vaccel_arg_type_t` value ([`vaccel_abi::ArgType`]).
        #[prost(int32, tag = "3")]
        pub arg_type: i32,
        /// For `CUSTOM` arguments.
        #[prost(uint32, tag = "4")]
        pub custom_type_id: u32,
        /// Streaming only: number of parts of this argument (0 = not split).
        #[prost(uint32, tag = "5")]
        pub parts: u32,
        /// Streaming only: 1-based part number.
        #[prost(uint32, tag = "6")]
        pub part_no: u32,
    }

    impl Arg {
        /// An unsplit argument: `size` = `buf.len()` (saturating at `u32::MAX`; the agent rejects
        /// a mismatch).
        pub fn new(arg_type: ArgType, buf: impl Into<Bytes>) -> Self {
            let buf = buf.into();
            Arg {
                size: u32::try_from(buf.len()).unwrap_or(u32::MAX),
                buf,
                arg_type: arg_type as i32,
                ..Arg::default()
            }
        }

        /// The op-type argument that opens every genop's read list: `UINT8`, one byte.
        pub fn op_type(op: vaccel_abi::OpType) -> Self {
            Arg::new(ArgType::Uint8, vec![op as u8])
        }

        /// The argument type, if it is a valid `vaccel_arg_type_t` value.
        pub fn arg_type(&self) -> Option<ArgType> {
            u32::try_from(self.arg_type)
                .ok()
                .and_then(ArgType::from_u32)
        }
    }

    /// `Request`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Request {
        #[prost(int64, tag = "1")]
        pub session_id: i64,
        /// Inputs; `read_args[0]` is the op type (`UINT8`, size 1).
        #[prost(message, repeated, tag = "2")]
        pub read_args: Vec<Arg>,
        /// Outputs, sent with their current contents.
        #[prost(message, repeated, tag = "3")]
        pub write_args: Vec<Arg>,
    }

    /// `Response`: every write argument, in request order, with its contents after the op.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Response {
        #[prost(message, repeated, tag = "1")]
        pub write_args: Vec<Arg>,
    }
}

/// Package `vaccel.profiling` (§4.8).
pub mod profiling {
    use std::collections::BTreeMap;

    /// `Sample`.
    #[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
    pub struct Sample {
        /// Start, ns of the agent's `CLOCK_MONOTONIC`.
        #[prost(uint64, tag = "1")]
        pub start: u64,
        /// Duration, ns.
        #[prost(uint64, tag = "2")]
        pub time: u64,
    }

    /// `Region`.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct Region {
        #[prost(message, repeated, tag = "1")]
        pub samples: Vec<Sample>,
    }

    /// `Profiler`.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct Profiler {
        /// `vaccel-rpc-agent` for the agent.
        #[prost(string, tag = "1")]
        pub component_name: String,
        /// Region name (`[vaccel-rpc-agent] genop > sess.genop`) → samples. A `BTreeMap`, so the
        /// encoding is deterministic (entries in key order).
        #[prost(btree_map = "string, message", tag = "2")]
        pub regions: BTreeMap<String, Region>,
    }

    /// `Request`.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct Request {
        #[prost(int64, tag = "1")]
        pub session_id: i64,
    }

    /// `Response`: `profiler` is absent when the agent has none for the session.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct Response {
        #[prost(message, optional, tag = "1")]
        pub profiler: Option<Profiler>,
    }
}

/// Package `vaccel.tf` (§4.9). `Tensor.type` carries `enum vaccel_tf_data_type` (FLOAT 1 …
/// UINT64 23; 0 unused), numerically.
pub mod tf {
    use crate::error::Status;
    use bytes::Bytes;

    /// `Tensor`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Tensor {
        /// Raw tensor bytes (host byte order, C layout).
        #[prost(bytes = "bytes", tag = "1")]
        pub data: Bytes,
        #[prost(int64, repeated, tag = "2")]
        pub dims: Vec<i64>,
        /// `DataType` = `enum vaccel_tf_data_type` value.
        #[prost(int32, tag = "3")]
        pub r#type: i32,
    }

    /// `Node`.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct Node {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(int32, tag = "2")]
        pub id: i32,
    }

    /// `ModelLoadRequest`.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct ModelLoadRequest {
        #[prost(int64, tag = "1")]
        pub session_id: i64,
        /// Agent-side resource id of the model.
        #[prost(int64, tag = "2")]
        pub model_id: i64,
    }

    /// `ModelLoadResponse`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ModelLoadResponse {
        /// Always empty in v0.5.0.
        #[prost(bytes = "bytes", tag = "1")]
        pub graph_def: Bytes,
        #[prost(message, optional, tag = "2")]
        pub status: Option<Status>,
    }

    /// `ModelUnloadRequest`.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct ModelUnloadRequest {
        #[prost(int64, tag = "1")]
        pub session_id: i64,
        #[prost(int64, tag = "2")]
        pub model_id: i64,
    }

    /// `ModelUnloadResponse`.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct ModelUnloadResponse {
        #[prost(message, optional, tag = "1")]
        pub status: Option<Status>,
    }

    /// `ModelRunRequest`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ModelRunRequest {
        #[prost(int64, tag = "1")]
        pub session_id: i64,
        #[prost(int64, tag = "2")]
        pub model_id: i64,
        /// TF run-options buffer; `None` = NULL (present-but-empty is different).
        #[prost(bytes = "bytes", optional, tag = "3")]
        pub run_options: Option<Bytes>,
        #[prost(message, repeated, tag = "4")]
        pub in_nodes: Vec<Node>,
        /// One output tensor per out node.
        #[prost(message, repeated, tag = "5")]
        pub out_nodes: Vec<Node>,
        /// Same count and order as `in_nodes`.
        #[prost(message, repeated, tag = "6")]
        pub in_tensors: Vec<Tensor>,
    }

    /// `ModelRunResponse`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ModelRunResponse {
        #[prost(message, repeated, tag = "1")]
        pub out_tensors: Vec<Tensor>,
        #[prost(message, optional, tag = "2")]
        pub status: Option<Status>,
    }
}

/// Package `vaccel.tflite` (§4.10).
///
/// `Tensor.type` carries the C `enum vaccel_tflite_data_type` value (NOTYPE 0, FLOAT32 1, …,
/// INT4 18). The upstream proto declares names shifted by one (its `FLOAT32` is 2); they are
/// never used here: the number is passed through as is (§4.12).
pub mod tflite {
    use crate::error::Status;
    use bytes::Bytes;

    /// `Tensor`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Tensor {
        #[prost(bytes = "bytes", tag = "1")]
        pub data: Bytes,
        #[prost(int32, repeated, tag = "2")]
        pub dims: Vec<i32>,
        /// C `enum vaccel_tflite_data_type` value.
        #[prost(int32, tag = "3")]
        pub r#type: i32,
    }

    /// `ModelLoadRequest`.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct ModelLoadRequest {
        #[prost(int64, tag = "1")]
        pub session_id: i64,
        #[prost(int64, tag = "2")]
        pub model_id: i64,
    }

    /// `ModelUnloadRequest`.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct ModelUnloadRequest {
        #[prost(int64, tag = "1")]
        pub session_id: i64,
        #[prost(int64, tag = "2")]
        pub model_id: i64,
    }

    /// `ModelRunRequest`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ModelRunRequest {
        #[prost(int64, tag = "1")]
        pub session_id: i64,
        #[prost(int64, tag = "2")]
        pub model_id: i64,
        #[prost(message, repeated, tag = "3")]
        pub in_tensors: Vec<Tensor>,
        /// Number of outputs expected.
        #[prost(uint64, tag = "4")]
        pub nr_out_tensors: u64,
    }

    /// `ModelRunResponse`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ModelRunResponse {
        #[prost(message, repeated, tag = "1")]
        pub out_tensors: Vec<Tensor>,
        /// `code` = TFLite `uint8` status, `message` empty.
        #[prost(message, optional, tag = "2")]
        pub status: Option<Status>,
    }
}

/// Package `vaccel.torch` (§4.11). `Tensor.type` carries `enum vaccel_torch_data_type` (BYTE 1 …
/// FLOAT 7; 0 unused), numerically.
pub mod torch {
    use bytes::Bytes;

    /// `Tensor`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Tensor {
        #[prost(bytes = "bytes", tag = "1")]
        pub data: Bytes,
        #[prost(int64, repeated, tag = "2")]
        pub dims: Vec<i64>,
        /// `DataType` = `enum vaccel_torch_data_type` value.
        #[prost(int32, tag = "3")]
        pub r#type: i32,
    }

    /// `ModelLoadRequest`.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct ModelLoadRequest {
        #[prost(int64, tag = "1")]
        pub session_id: i64,
        #[prost(int64, tag = "2")]
        pub model_id: i64,
    }

    /// `ModelRunRequest`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ModelRunRequest {
        #[prost(int64, tag = "1")]
        pub session_id: i64,
        #[prost(int64, tag = "2")]
        pub model_id: i64,
        /// Torch run-options buffer; `None` = NULL.
        #[prost(bytes = "bytes", optional, tag = "3")]
        pub run_options: Option<Bytes>,
        #[prost(message, repeated, tag = "4")]
        pub in_tensors: Vec<Tensor>,
        /// Number of outputs expected (≥ 1).
        #[prost(uint64, tag = "5")]
        pub nr_out_tensors: u64,
    }

    /// `ModelRunResponse` (no status).
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ModelRunResponse {
        #[prost(message, repeated, tag = "1")]
        pub out_tensors: Vec<Tensor>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use prost::Message;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn defaults_encode_to_nothing() {
        assert!(
            session::CreateRequest { flags: 0 }
                .encode_to_vec()
                .is_empty()
        );
        assert!(empty::Empty {}.encode_to_vec().is_empty());
        assert!(genop::Arg::default().encode_to_vec().is_empty());
        assert!(
            resource::RegisterRequest::default()
                .encode_to_vec()
                .is_empty()
        );
    }

    #[test]
    fn register_request_d1() {
        let r = resource::RegisterRequest {
            blobs: vec![resource::Blob {
                type_: vaccel_abi::VACCEL_BLOB_MAPPED as i32,
                name: "lib.so".into(),
                data: Bytes::from_static(&[0x7f, 0x45, 0x4c, 0x46]),
                size: 4,
            }],
            resource_type: vaccel_abi::VACCEL_RESOURCE_LIB as i32,
            session_id: 1,
            ..Default::default()
        };
        assert_eq!(
            r.encode_to_vec(),
            hex("1212 0802 12066c69622e736f 1a047f454c46 2004 2801")
        );
    }

    #[test]
    fn genop_c5_and_d7() {
        use vaccel_abi::{ArgType, OpType};
        let r = genop::Request {
            session_id: 1,
            read_args: vec![
                genop::Arg::op_type(OpType::ImageClassify),
                genop::Arg::new(ArgType::Buffer, vec![1u8, 2, 3, 4]),
            ],
            write_args: vec![genop::Arg::new(ArgType::UcharArray, vec![0u8; 4])],
        };
        assert_eq!(
            r.encode_to_vec(),
            hex("0801 12070a0103 10011809 120a0a0401020304 1004181c 1a0a0a0400000000 1004181a")
        );
        let mut exec = genop::Request {
            session_id: 1,
            read_args: vec![
                genop::Arg::op_type(OpType::ExecWithResource),
                genop::Arg::new(ArgType::Int64, 1i64.to_le_bytes().to_vec()),
                genop::Arg::new(ArgType::String, &b"mytestfunc\0"[..]),
                genop::Arg::new(ArgType::Int32, 10i32.to_le_bytes().to_vec()),
            ],
            write_args: vec![genop::Arg::new(ArgType::Int32, vec![0u8; 4])],
        };
        let bytes = exec.encode_to_vec();
        assert_eq!(bytes.len(), 0x46);
        assert_eq!(genop::Request::decode(&bytes[..]).unwrap(), exec);
        assert_eq!(exec.read_args[2].arg_type(), Some(ArgType::String));
        exec.read_args[2].arg_type = 77;
        assert_eq!(exec.read_args[2].arg_type(), None);
        // Unknown enum values pass through.
        let back = genop::Request::decode(&exec.encode_to_vec()[..]).unwrap();
        assert_eq!(back.read_args[2].arg_type, 77);
    }

    #[test]
    fn dims_are_packed_and_unpacked_dims_decode() {
        let t = tf::Tensor {
            data: Bytes::new(),
            dims: vec![1, 2],
            r#type: 1,
        };
        assert_eq!(t.encode_to_vec(), hex("12020102 1801"));
        let unpacked = tf::Tensor::decode(&hex("1001 1002 1801")[..]).unwrap();
        assert_eq!(unpacked, t);
        let t = tflite::Tensor {
            dims: vec![-1],
            ..Default::default()
        };
        // int32 -1 is a 10-byte varint.
        assert_eq!(t.encode_to_vec(), hex("120a ffffffffffffffffff01"));
    }

    #[test]
    fn optional_run_options_keep_presence() {
        let none = torch::ModelRunRequest {
            session_id: 1,
            model_id: 1,
            nr_out_tensors: 1,
            ..Default::default()
        };
        let empty = torch::ModelRunRequest {
            run_options: Some(Bytes::new()),
            ..none.clone()
        };
        assert_eq!(none.encode_to_vec(), hex("0801 1001 2801"));
        assert_eq!(empty.encode_to_vec(), hex("0801 1001 1a00 2801"));
        assert_eq!(
            torch::ModelRunRequest::decode(&empty.encode_to_vec()[..])
                .unwrap()
                .run_options,
            Some(Bytes::new())
        );
    }

    #[test]
    fn tf_load_response_d6() {
        let r = tf::ModelLoadResponse {
            graph_def: Bytes::new(),
            status: Some(crate::error::Status {
                code: 0,
                message: "Operation handled by noop plugin".into(),
            }),
        };
        let mut want = hex("1222 2220");
        want.extend_from_slice(b"Operation handled by noop plugin");
        assert_eq!(r.encode_to_vec(), want);
    }

    #[test]
    fn profiler_map_is_ordered() {
        let mut p = profiling::Profiler {
            component_name: "vaccel-rpc-agent".into(),
            ..Default::default()
        };
        for name in ["b", "a"] {
            p.regions.insert(
                name.into(),
                profiling::Region {
                    samples: vec![profiling::Sample { start: 1, time: 2 }],
                },
            );
        }
        let bytes = profiling::Response { profiler: Some(p) }.encode_to_vec();
        let a = bytes.iter().position(|&b| b == b'a').unwrap();
        let b = bytes.iter().position(|&b| b == b'b').unwrap();
        assert!(a < b);
        // Map entry: key (1) then value (2).
        assert!(bytes.windows(5).any(|w| w == hex("0a0161 1206")));
        assert!(profiling::Response::default().encode_to_vec().is_empty());
    }

    #[test]
    fn unknown_fields_are_ignored() {
        // genop.Arg with the proposed `unallocated = 7` field.
        let a = genop::Arg::decode(&hex("1004 1805 3801")[..]).unwrap();
        assert_eq!((a.size, a.arg_type), (4, 5));
    }

    #[test]
    fn bytes_fields_are_slices_of_the_frame() {
        let arg = genop::Arg::new(vaccel_abi::ArgType::Buffer, vec![5u8; 1000]);
        let req = genop::Request {
            session_id: 1,
            read_args: vec![arg],
            write_args: vec![],
        };
        let wire = Bytes::from(req.encode_to_vec());
        let back = genop::Request::decode(wire.clone()).unwrap();
        let range = wire.as_ptr_range();
        assert!(range.contains(&back.read_args[0].buf.as_ptr()));
    }
}
