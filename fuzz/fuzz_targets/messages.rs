//! Every request message the agent decodes (and the responses the plugin decodes), through
//! the bounded decoder both use: the first byte picks the message, the rest is its encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vaccel_rpc_proto::bound::Bounded;
use vaccel_rpc_proto::{Bytes, ext, genop, image, profiling, resource, session, tf, tflite, torch, ttrpc};

fn decode<M: Bounded>(b: Bytes) {
    let _ = M::decode_bounded(b);
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let b = Bytes::copy_from_slice(rest);
    match which % 24 {
        0 => decode::<ttrpc::Request>(b),
        1 => decode::<ttrpc::Response>(b),
        2 => decode::<genop::Request>(b),
        3 => decode::<genop::Response>(b),
        4 => decode::<resource::RegisterRequest>(b),
        5 => decode::<resource::UnregisterRequest>(b),
        6 => decode::<resource::SyncRequest>(b),
        7 => decode::<session::CreateRequest>(b),
        8 => decode::<session::UpdateRequest>(b),
        9 => decode::<session::DestroyRequest>(b),
        10 => decode::<image::Request>(b),
        11 => decode::<profiling::Request>(b),
        12 => decode::<tf::ModelLoadRequest>(b),
        13 => decode::<tf::ModelRunRequest>(b),
        14 => decode::<tf::ModelUnloadRequest>(b),
        15 => decode::<tflite::ModelLoadRequest>(b),
        16 => decode::<tflite::ModelRunRequest>(b),
        17 => decode::<tflite::ModelUnloadRequest>(b),
        18 => decode::<torch::ModelLoadRequest>(b),
        19 => decode::<torch::ModelRunRequest>(b),
        20 => decode::<ext::RegisterRequest>(b),
        21 => decode::<ext::ShmGenopRequest>(b),
        22 => decode::<ext::CapabilitiesRequest>(b),
        _ => decode::<tf::ModelRunResponse>(b),
    }
});
