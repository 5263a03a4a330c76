//! A bound on what decoding a message may allocate, checked on the wire bytes *before* prost
//! decodes them.
//!
//! # Why
//!
//! A repeated field element can be tiny on the wire and large once decoded: an empty
//! `resource.Blob` or `genop.Arg` is 2 bytes in its parent (key and a zero length) but a 56–64
//! byte Rust struct, an empty `ttrpc.KeyValue` two `String`s, a packed `int64` dim one byte but 8
//! decoded, and `Vec` growth can double each of these again. A 64 MiB frame of empty arguments
//! took the agent to a 1.8 GiB peak, and frames may be 1 GiB (§2.4).
//!
//! # What
//!
//! [`check`] walks the protobuf encoding of one message by its [`Schema`] — a static list of the
//! fields that can make decoding allocate per element: repeated fields, and singular message
//! fields that hold repeated fields — and counts every repeated element, nested ones included
//! (tensors in a run request and the dims in each tensor; packed scalars are counted one per
//! value). A message holding more than [`MAX_ELEMENTS`] elements in all is refused. That caps
//! the per-element part of a decoded message at about 65 536 × 64 bytes (×2 for `Vec` growth),
//! under 8 MiB whatever the frame size; the rest of a decoded message is either a zero-copy slice
//! of the frame (`Bytes` fields) or a copy of at most the frame's own bytes (strings).
//!
//! The walk allocates nothing, never recurses deeper than the (static, acyclic) schema, and
//! reads every byte at most once. Fields the schema does not name are skipped by wire type, as
//! prost skips unknown fields (groups included). Malformed data — a truncated or over-long
//! varint, a length past the end, wire type 6 or 7, field number 0, a stray end-group, a listed
//! field with the wrong wire type — is refused with [`BoundError::Malformed`] instead of being
//! handed to the decoder.
//!
//! [`Bounded`] ties each message type to its schema, so a caller decoding with
//! [`Bounded::decode_bounded`] cannot forget the check.

use bytes::Bytes;

/// Most repeated-field elements (all fields, all nesting levels together) one message may carry.
///
/// Real requests carry a handful: a genop's arguments, a resource's files, a model run's tensors
/// and their dims.
pub const MAX_ELEMENTS: usize = 1 << 16;

/// How a field listed in a [`Schema`] is encoded.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A varint scalar (`int32`, `int64`, `uint32`, `uint64`, `bool`, enum): one value per
    /// varint, or packed (wire type 2) with one value per varint in the body.
    Varint,
    /// `string` or `bytes`.
    Bytes,
    /// A nested message, walked with its own schema.
    Message(&'static Schema),
}

/// One field of a [`Schema`].
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The field number.
    pub tag: u32,
    /// Its encoding.
    pub kind: Kind,
    /// Whether each occurrence is one more element (a `repeated` or `map` field) or is merged
    /// into one value (a singular message field, listed only to walk what it holds).
    pub repeated: bool,
}

/// The fields of one message that [`check`] has to look at; every other field is skipped.
#[derive(Debug)]
pub struct Schema {
    /// The protobuf name of the message, for error texts (`"resource.RegisterRequest"`).
    pub name: &'static str,
    /// The repeated fields, and the singular message fields that hold repeated ones.
    pub fields: &'static [Field],
}

const fn rep(tag: u32, kind: Kind) -> Field {
    Field {
        tag,
        kind,
        repeated: true,
    }
}

const fn one(tag: u32, schema: &'static Schema) -> Field {
    Field {
        tag,
        kind: Kind::Message(schema),
        repeated: false,
    }
}

/// Why [`check`] refused a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoundError {
    /// More than [`MAX_ELEMENTS`] repeated elements.
    #[error("{message} with more than {max} repeated elements")]
    TooMany {
        /// The protobuf name of the message checked.
        message: &'static str,
        /// [`MAX_ELEMENTS`].
        max: usize,
    },
    /// Not a valid protobuf encoding.
    #[error("malformed {message}: {what}")]
    Malformed {
        /// The protobuf name of the message checked.
        message: &'static str,
        /// What is wrong.
        what: &'static str,
    },
}

/// Checks that `buf`, the encoding of a message described by `schema`, is well-formed and holds at
/// most [`MAX_ELEMENTS`] repeated elements, without decoding or allocating anything.
pub fn check(schema: &'static Schema, buf: &[u8]) -> Result<(), BoundError> {
    let mut count = 0;
    walk(schema, buf, &mut count).map_err(|stop| match stop {
        Stop::TooMany => BoundError::TooMany {
            message: schema.name,
            max: MAX_ELEMENTS,
        },
        Stop::Malformed(what) => BoundError::Malformed {
            message: schema.name,
            what,
        },
    })
}

/// Either error of [`Bounded::decode_bounded`].
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Refused before decoding.
    #[error(transparent)]
    Bound(#[from] BoundError),
    /// The decoder's own error.
    #[error(transparent)]
    Decode(#[from] prost::DecodeError),
}

/// A message type with its [`Schema`].
pub trait Bounded: prost::Message + Default {
    /// The fields [`check`] walks.
    const SCHEMA: &'static Schema;

    /// [`check`]s `buf`, then decodes it.
    fn decode_bounded(buf: Bytes) -> Result<Self, DecodeError> {
        check(Self::SCHEMA, &buf)?;
        Ok(Self::decode(buf)?)
    }
}

enum Stop {
    TooMany,
    Malformed(&'static str),
}

fn bump(count: &mut usize, n: usize) -> Result<(), Stop> {
    *count = count.saturating_add(n);
    if *count > MAX_ELEMENTS {
        Err(Stop::TooMany)
    } else {
        Ok(())
    }
}

/// Reads a varint of at most 10 bytes whose value fits 64 bits.
fn varint(buf: &mut &[u8]) -> Result<u64, Stop> {
    let mut v = 0u64;
    for i in 0..10 {
        let Some((&byte, rest)) = buf.split_first() else {
            return Err(Stop::Malformed("truncated varint"));
        };
        *buf = rest;
        if i == 9 && byte > 1 {
            return Err(Stop::Malformed("varint over 64 bits"));
        }
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(Stop::Malformed("varint over 64 bits"))
}

/// Takes `n` bytes off the front of `buf`.
fn take<'a>(buf: &mut &'a [u8], n: u64) -> Result<&'a [u8], Stop> {
    let n = usize::try_from(n).map_err(|_| Stop::Malformed("length past the end"))?;
    if n > buf.len() {
        return Err(Stop::Malformed("length past the end"));
    }
    let (head, rest) = buf.split_at(n);
    *buf = rest;
    Ok(head)
}

/// Reads a key: (field number, wire type).
fn key(buf: &mut &[u8]) -> Result<(u64, u8), Stop> {
    let k = varint(buf)?;
    if k > u64::from(u32::MAX) {
        return Err(Stop::Malformed("key over 32 bits"));
    }
    if k >> 3 == 0 {
        return Err(Stop::Malformed("field number 0"));
    }
    // The mask keeps the value under 8.
    #[allow(clippy::cast_possible_truncation)]
    Ok((k >> 3, (k & 7) as u8))
}

/// Skips the value of an unlisted field of wire type `wire`; groups (3) are skipped to their end.
fn skip(buf: &mut &[u8], wire: u8) -> Result<(), Stop> {
    let mut depth = 0usize;
    let mut wire = wire;
    loop {
        match wire {
            0 => {
                varint(buf)?;
            }
            1 => {
                take(buf, 8)?;
            }
            2 => {
                let n = varint(buf)?;
                take(buf, n)?;
            }
            3 => depth += 1,
            4 if depth > 0 => depth -= 1,
            4 => return Err(Stop::Malformed("end of a group never started")),
            5 => {
                take(buf, 4)?;
            }
            _ => return Err(Stop::Malformed("invalid wire type")),
        }
        if depth == 0 {
            return Ok(());
        }
        wire = key(buf)?.1;
    }
}

fn walk(schema: &Schema, mut buf: &[u8], count: &mut usize) -> Result<(), Stop> {
    while !buf.is_empty() {
        let (tag, wire) = key(&mut buf)?;
        let Some(field) = schema.fields.iter().find(|f| u64::from(f.tag) == tag) else {
            skip(&mut buf, wire)?;
            continue;
        };
        match (field.kind, wire) {
            (Kind::Varint, 0) => {
                varint(&mut buf)?;
                bump(count, 1)?;
            }
            (Kind::Varint, 2) => {
                let n = varint(&mut buf)?;
                let body = take(&mut buf, n)?;
                if body.last().is_some_and(|b| b & 0x80 != 0) {
                    return Err(Stop::Malformed("truncated varint"));
                }
                bump(count, body.iter().filter(|&&b| b & 0x80 == 0).count())?;
            }
            (Kind::Bytes, 2) => {
                let n = varint(&mut buf)?;
                take(&mut buf, n)?;
                bump(count, 1)?;
            }
            (Kind::Message(sub), 2) => {
                let n = varint(&mut buf)?;
                let body = take(&mut buf, n)?;
                if field.repeated {
                    bump(count, 1)?;
                }
                walk(sub, body, count)?;
            }
            _ => return Err(Stop::Malformed("wrong wire type for a known field")),
        }
    }
    Ok(())
}

macro_rules! bounded {
    ($($ty:path => $schema:expr;)*) => {
        $(impl Bounded for $ty {
            const SCHEMA: &'static Schema = &$schema;
        })*
    };
}

/// A schema with nothing to walk.
const fn flat(name: &'static str) -> Schema {
    Schema { name, fields: &[] }
}

use crate::{
    empty, error, ext, genop, image, profiling, resource, session, tf, tflite, torch, ttrpc,
};

const BLOB: Schema = flat("resource.Blob");
const ARG: Schema = flat("genop.Arg");
const SAMPLE: Schema = flat("profiling.Sample");
const REGION: Schema = Schema {
    name: "profiling.Region",
    fields: &[rep(1, Kind::Message(&SAMPLE))],
};
const PROFILER: Schema = Schema {
    name: "profiling.Profiler",
    // map<string, Region>: one entry message per element.
    fields: &[rep(
        2,
        Kind::Message(&Schema {
            name: "profiling.Profiler.RegionsEntry",
            fields: &[one(2, &REGION)],
        }),
    )],
};
const TF_NODE: Schema = flat("tf.Node");
const TF_TENSOR: Schema = Schema {
    name: "tf.Tensor",
    fields: &[rep(2, Kind::Varint)],
};
const TFLITE_TENSOR: Schema = Schema {
    name: "tflite.Tensor",
    fields: &[rep(2, Kind::Varint)],
};
const TORCH_TENSOR: Schema = Schema {
    name: "torch.Tensor",
    fields: &[rep(2, Kind::Varint)],
};
const REGISTER_REQUEST: Schema = Schema {
    name: "resource.RegisterRequest",
    fields: &[rep(1, Kind::Bytes), rep(2, Kind::Message(&BLOB))],
};
const GENOP_REQUEST: Schema = Schema {
    name: "genop.Request",
    fields: &[rep(2, Kind::Message(&ARG)), rep(3, Kind::Message(&ARG))],
};
const TTRPC_STATUS: Schema = Schema {
    name: "ttrpc.Status",
    fields: &[rep(3, Kind::Message(&flat("google.protobuf.Any")))],
};

bounded! {
    ttrpc::Request => Schema {
        name: "ttrpc.Request",
        fields: &[rep(5, Kind::Message(&flat("ttrpc.KeyValue")))],
    };
    ttrpc::Response => Schema { name: "ttrpc.Response", fields: &[one(1, &TTRPC_STATUS)] };
    ttrpc::Status => TTRPC_STATUS;
    empty::Empty => flat("google.protobuf.Empty");
    error::Status => flat("vaccel.Status");
    error::Error => flat("vaccel.Error");
    session::CreateRequest => flat("session.CreateRequest");
    session::CreateResponse => flat("session.CreateResponse");
    session::UpdateRequest => flat("session.UpdateRequest");
    session::DestroyRequest => flat("session.DestroyRequest");
    resource::Blob => BLOB;
    resource::RegisterRequest => REGISTER_REQUEST;
    resource::RegisterResponse => flat("resource.RegisterResponse");
    resource::UnregisterRequest => flat("resource.UnregisterRequest");
    resource::SyncRequest => flat("resource.SyncRequest");
    resource::SyncResponse => Schema {
        name: "resource.SyncResponse",
        fields: &[rep(1, Kind::Message(&BLOB))],
    };
    image::Request => flat("image.Request");
    image::Response => flat("image.Response");
    genop::Arg => ARG;
    genop::Request => GENOP_REQUEST;
    genop::Response => Schema {
        name: "genop.Response",
        fields: &[rep(1, Kind::Message(&ARG))],
    };
    profiling::Region => REGION;
    profiling::Profiler => PROFILER;
    profiling::Request => flat("profiling.Request");
    profiling::Response => Schema {
        name: "profiling.Response",
        fields: &[one(1, &PROFILER)],
    };
    tf::Tensor => TF_TENSOR;
    tf::ModelLoadRequest => flat("tf.ModelLoadRequest");
    tf::ModelLoadResponse => flat("tf.ModelLoadResponse");
    tf::ModelUnloadRequest => flat("tf.ModelUnloadRequest");
    tf::ModelUnloadResponse => flat("tf.ModelUnloadResponse");
    tf::ModelRunRequest => Schema {
        name: "tf.ModelRunRequest",
        fields: &[
            rep(4, Kind::Message(&TF_NODE)),
            rep(5, Kind::Message(&TF_NODE)),
            rep(6, Kind::Message(&TF_TENSOR)),
        ],
    };
    tf::ModelRunResponse => Schema {
        name: "tf.ModelRunResponse",
        fields: &[rep(1, Kind::Message(&TF_TENSOR))],
    };
    tflite::Tensor => TFLITE_TENSOR;
    tflite::ModelLoadRequest => flat("tflite.ModelLoadRequest");
    tflite::ModelUnloadRequest => flat("tflite.ModelUnloadRequest");
    tflite::ModelRunRequest => Schema {
        name: "tflite.ModelRunRequest",
        fields: &[rep(3, Kind::Message(&TFLITE_TENSOR))],
    };
    tflite::ModelRunResponse => Schema {
        name: "tflite.ModelRunResponse",
        fields: &[rep(1, Kind::Message(&TFLITE_TENSOR))],
    };
    torch::Tensor => TORCH_TENSOR;
    torch::ModelLoadRequest => flat("torch.ModelLoadRequest");
    torch::ModelRunRequest => Schema {
        name: "torch.ModelRunRequest",
        fields: &[rep(4, Kind::Message(&TORCH_TENSOR))],
    };
    torch::ModelRunResponse => Schema {
        name: "torch.ModelRunResponse",
        fields: &[rep(1, Kind::Message(&TORCH_TENSOR))],
    };
    ext::CapabilitiesRequest => Schema {
        name: "ext.CapabilitiesRequest",
        fields: &[rep(1, Kind::Bytes)],
    };
    ext::CapabilitiesResponse => Schema {
        name: "ext.CapabilitiesResponse",
        fields: &[rep(1, Kind::Bytes)],
    };
    ext::RegisterRequest => Schema {
        name: "ext.RegisterRequest",
        fields: &[one(1, &REGISTER_REQUEST), rep(2, Kind::Bytes)],
    };
    ext::ShmGenopRequest => Schema {
        name: "ext.ShmGenopRequest",
        fields: &[one(1, &GENOP_REQUEST), rep(2, Kind::Message(&flat("ext.ShmArg")))],
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    fn too_many(message: &'static str) -> Result<(), BoundError> {
        Err(BoundError::TooMany {
            message,
            max: MAX_ELEMENTS,
        })
    }

    fn bounded<M: Bounded>(m: &M) -> Result<(), BoundError> {
        let bytes = m.encode_to_vec();
        let r = check(M::SCHEMA, &bytes);
        if r.is_ok() {
            // What passes decodes.
            M::decode_bounded(bytes.into()).unwrap();
        }
        r
    }

    /// `n` copies of the default value.
    fn n<T: Default + Clone>(n: usize) -> Vec<T> {
        vec![T::default(); n]
    }

    const MAX: usize = MAX_ELEMENTS;

    #[test]
    fn many_empty_elements_are_refused_in_every_message() {
        use crate::{genop, resource, tf, tflite, torch, ttrpc};
        let reg = |paths: usize, blobs: usize| resource::RegisterRequest {
            paths: n(paths),
            blobs: n(blobs),
            ..Default::default()
        };
        assert!(bounded(&reg(MAX, 0)).is_ok());
        assert!(bounded(&reg(MAX / 2, MAX / 2)).is_ok());
        assert_eq!(
            bounded(&reg(MAX + 1, 0)),
            too_many("resource.RegisterRequest")
        );
        assert_eq!(
            bounded(&reg(0, MAX + 1)),
            too_many("resource.RegisterRequest")
        );
        assert_eq!(
            bounded(&reg(MAX / 2, MAX / 2 + 1)),
            too_many("resource.RegisterRequest")
        );
        let sync = |k| resource::SyncResponse { blobs: n(k) };
        assert!(bounded(&sync(MAX)).is_ok());
        assert_eq!(bounded(&sync(MAX + 1)), too_many("resource.SyncResponse"));

        let genop_req = |r: usize, w: usize| genop::Request {
            session_id: 1,
            read_args: n(r),
            write_args: n(w),
        };
        assert!(bounded(&genop_req(MAX / 2, MAX / 2)).is_ok());
        assert_eq!(
            bounded(&genop_req(MAX / 2 + 1, MAX / 2)),
            too_many("genop.Request")
        );
        let gresp = |k| genop::Response { write_args: n(k) };
        assert_eq!(bounded(&gresp(MAX + 1)), too_many("genop.Response"));

        let envelope = |k| ttrpc::Request {
            service: "s".into(),
            method: "m".into(),
            payload: vec![7u8; 1000].into(),
            timeout_nano: 5,
            metadata: n(k),
        };
        assert!(bounded(&envelope(MAX)).is_ok());
        assert_eq!(bounded(&envelope(MAX + 1)), too_many("ttrpc.Request"));
        let status = ttrpc::Response {
            status: Some(ttrpc::Status {
                details: n(MAX + 1),
                ..Default::default()
            }),
            payload: Default::default(),
        };
        assert_eq!(bounded(&status), too_many("ttrpc.Response"));

        // TF: nodes and tensors count together, and so do the dims inside each tensor.
        let tf_run = |nodes: usize, tensors: usize, dims: usize| tf::ModelRunRequest {
            in_nodes: n(nodes),
            out_nodes: n(nodes),
            in_tensors: vec![
                tf::Tensor {
                    dims: vec![-1; dims],
                    ..Default::default()
                };
                tensors
            ],
            ..Default::default()
        };
        assert!(bounded(&tf_run(MAX / 4, MAX / 4, 1)).is_ok());
        assert_eq!(
            bounded(&tf_run(MAX / 4, MAX / 4, 2)),
            too_many("tf.ModelRunRequest")
        );
        assert_eq!(bounded(&tf_run(0, 1, MAX)), too_many("tf.ModelRunRequest"));
        assert!(bounded(&tf_run(0, 1, MAX - 1)).is_ok());
        assert_eq!(
            bounded(&tf_run(MAX / 2 + 1, 0, 0)),
            too_many("tf.ModelRunRequest")
        );
        let tensor = tf::Tensor {
            dims: vec![0; MAX + 1],
            ..Default::default()
        };
        assert_eq!(bounded(&tensor), too_many("tf.Tensor"));
        let tf_out = tf::ModelRunResponse {
            out_tensors: n(MAX + 1),
            status: None,
        };
        assert_eq!(bounded(&tf_out), too_many("tf.ModelRunResponse"));

        let lite = |tensors: usize, dims: usize| tflite::ModelRunRequest {
            in_tensors: vec![
                tflite::Tensor {
                    dims: vec![0; dims],
                    ..Default::default()
                };
                tensors
            ],
            ..Default::default()
        };
        assert!(bounded(&lite(MAX / 2, 1)).is_ok());
        assert_eq!(
            bounded(&lite(MAX / 2, 2)),
            too_many("tflite.ModelRunRequest")
        );
        assert_eq!(
            bounded(&lite(MAX + 1, 0)),
            too_many("tflite.ModelRunRequest")
        );
        let lite_out = tflite::ModelRunResponse {
            out_tensors: n(MAX + 1),
            status: None,
        };
        assert_eq!(bounded(&lite_out), too_many("tflite.ModelRunResponse"));

        let torch_run = |tensors: usize, dims: usize| torch::ModelRunRequest {
            in_tensors: vec![
                torch::Tensor {
                    dims: vec![i64::MIN; dims],
                    ..Default::default()
                };
                tensors
            ],
            ..Default::default()
        };
        assert!(bounded(&torch_run(MAX / 2, 1)).is_ok());
        assert_eq!(
            bounded(&torch_run(MAX / 2, 2)),
            too_many("torch.ModelRunRequest")
        );
        let torch_out = torch::ModelRunResponse {
            out_tensors: n(MAX + 1),
        };
        assert_eq!(bounded(&torch_out), too_many("torch.ModelRunResponse"));

        let prof = |regions: usize, samples: usize| crate::profiling::Response {
            profiler: Some(crate::profiling::Profiler {
                component_name: "p".into(),
                regions: (0..regions)
                    .map(|i| {
                        (
                            format!("r{i}"),
                            crate::profiling::Region {
                                samples: n(samples),
                            },
                        )
                    })
                    .collect(),
            }),
        };
        assert!(bounded(&prof(2, MAX / 2 - 1)).is_ok());
        assert_eq!(bounded(&prof(2, MAX / 2)), too_many("profiling.Response"));
    }

    #[test]
    fn unpacked_scalars_count_one_each() {
        // dims 1 and 2 unpacked, then packed [1, 300] (300 is two bytes): four dims.
        let t = [0x10, 0x01, 0x10, 0x02, 0x12, 0x03, 0x01, 0xac, 0x02];
        let mut count = 0;
        assert!(walk(&TF_TENSOR, &t, &mut count).is_ok());
        assert_eq!(count, 4);
        assert_eq!(
            crate::tf::Tensor::decode(&t[..]).unwrap().dims,
            [1, 2, 1, 300]
        );
    }

    #[test]
    fn a_huge_frame_is_refused_at_the_first_element_over() {
        // 8 Mi empty blobs (16 MiB): refused, having read only the first 65 537.
        let mut frame = Vec::with_capacity(16 << 20);
        for _ in 0..8 << 20 {
            frame.extend_from_slice(&[0x12, 0x00]);
        }
        let mut count = 0;
        assert!(matches!(
            walk(
                <crate::resource::RegisterRequest as Bounded>::SCHEMA,
                &frame,
                &mut count
            ),
            Err(Stop::TooMany)
        ));
        assert_eq!(count, MAX + 1);
    }

    #[test]
    fn normal_messages_and_unknown_fields_pass() {
        use crate::{genop, resource};
        // Vectors of the messages tests (D1 and the C4 genop request).
        let d1 = [
            0x12, 0x12, 0x08, 0x02, 0x12, 0x06, b'l', b'i', b'b', b'.', b's', b'o', 0x1a, 0x04,
            0x7f, b'E', b'L', b'F', 0x20, 0x04, 0x28, 0x01,
        ];
        assert!(resource::RegisterRequest::decode_bounded(Bytes::copy_from_slice(&d1)).is_ok());
        let c4 = [
            0x08, 0x01, 0x12, 0x07, 0x0a, 0x01, 0x03, 0x10, 0x01, 0x18, 0x09, 0x12, 0x0a, 0x0a,
            0x04, 0x01, 0x02, 0x03, 0x04, 0x10, 0x04, 0x18, 0x1c, 0x1a, 0x0a, 0x0a, 0x04, 0x00,
            0x00, 0x00, 0x00, 0x10, 0x04, 0x18, 0x1a,
        ];
        let r = genop::Request::decode_bounded(Bytes::copy_from_slice(&c4)).unwrap();
        assert_eq!((r.read_args.len(), r.write_args.len()), (2, 1));
        assert!(check(<genop::Request as Bounded>::SCHEMA, &[]).is_ok());
        // Unknown fields of every wire type are skipped, groups (nested too) included, and so are
        // unknown fields inside elements.
        let mut other = c4.to_vec();
        other.extend_from_slice(&[0x21, 0, 0, 0, 0, 0, 0, 0, 0]); // field 4, fixed64
        other.extend_from_slice(&[0x2d, 0, 0, 0, 0]); // field 5, fixed32
        other.extend_from_slice(&[0x32, 0x02, 0x12, 0x00]); // field 6, bytes
        other.extend_from_slice(&[0x38, 0xff, 0x01]); // field 7, varint
        other.extend_from_slice(&[0x43, 0x4b, 0x08, 0x01, 0x4c, 0x44]); // group 8 { group 9 }
        other.extend_from_slice(&[0x12, 0x03, 0xf8, 0x01, 0x05]); // arg with unknown field 31
        let r = genop::Request::decode_bounded(other.into()).unwrap();
        assert_eq!(r.read_args.len(), 3);
    }

    #[test]
    fn malformed_input_is_refused_without_panicking() {
        use crate::{genop, resource, tf};
        let schema = <genop::Request as Bounded>::SCHEMA;
        let cases: &[(&[u8], &str)] = &[
            (&[0xff; 12], "varint over 64 bits"),
            (
                &[
                    0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
                ],
                "varint over 64 bits",
            ),
            (&[0x08], "truncated varint"),
            (&[0x08, 0x80], "truncated varint"),
            (&[0x12, 0xff], "truncated varint"),
            (&[0x12, 0x05, 0x00], "length past the end"),
            (&[0x12, 0xff, 0xff, 0xff, 0xff, 0x0f], "length past the end"),
            (&[0x12, 0x02, 0x0a, 0x05], "length past the end"), // inside an argument
            (&[0x0f], "invalid wire type"),
            (&[0x0e], "invalid wire type"),
            (&[0x0c], "end of a group never started"),
            (&[0x0b, 0x08], "truncated varint"), // group never ended
            (&[0x00], "field number 0"),
            (&[0x80, 0x80, 0x80, 0x80, 0x10], "key over 32 bits"),
            (&[0x10, 0x01], "wrong wire type for a known field"), // read_args as a varint
            (&[0x29, 0, 0, 0], "length past the end"),
            (&[0x2d, 0], "length past the end"),
        ];
        for (bytes, what) in cases {
            assert_eq!(
                check(schema, bytes),
                Err(BoundError::Malformed {
                    message: "genop.Request",
                    what
                }),
                "{bytes:02x?}"
            );
            let e = genop::Request::decode_bounded(Bytes::copy_from_slice(bytes)).unwrap_err();
            assert_eq!(e.to_string(), format!("malformed genop.Request: {what}"));
        }
        // A packed field whose last varint is cut.
        assert!(matches!(
            check(<tf::Tensor as Bounded>::SCHEMA, &[0x12, 0x02, 0x01, 0x80]),
            Err(BoundError::Malformed { .. })
        ));
        // Every truncation of a valid message, and pseudo-random bytes: an answer, never a
        // panic.
        let full = resource::RegisterRequest {
            paths: vec!["/a".into(), "/b".into()],
            blobs: n(3),
            ..Default::default()
        }
        .encode_to_vec();
        for end in 0..full.len() {
            let _ = check(<resource::RegisterRequest as Bounded>::SCHEMA, &full[..end]);
        }
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut buf = [0u8; 64];
        for _ in 0..20_000 {
            for b in &mut buf {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x.to_le_bytes()[0];
            }
            let len = usize::from(buf[0] & 63);
            for s in [
                <tf::ModelRunRequest as Bounded>::SCHEMA,
                <resource::RegisterRequest as Bounded>::SCHEMA,
                <crate::ttrpc::Request as Bounded>::SCHEMA,
                <crate::profiling::Response as Bounded>::SCHEMA,
            ] {
                let _ = check(s, &buf[..len]);
            }
        }
    }
}
