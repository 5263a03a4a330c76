//! TensorFlow, TFLite and Torch methods (spec §6.9).
//!
//! Not served yet: every model method is answered with the `NOT_FOUND "/<service>/<method> is not
//! supported"` status the official 32-bit agents give for methods they lack (vector C8), which the
//! official client maps to `VACCEL_EIO`.

use vaccel_rpc_proto::Method;
use vaccel_rpc_proto::bytes::Bytes;
use vaccel_rpc_proto::ttrpc::Status;

use crate::service::Agent;

/// The reply for a model method, or `None` when the method is not served.
pub fn dispatch(
    _agent: &Agent,
    _method: Method,
    _payload: Bytes,
) -> Option<Result<Vec<Bytes>, Status>> {
    None
}
