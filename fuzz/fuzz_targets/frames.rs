//! The agent's and the plugin's frame reader over arbitrary bytes: headers with any length,
//! type, flags and stream id, payloads cut short, many frames in a row. It must return frames
//! or errors, never panic, and never allocate what a header merely claims.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vaccel_rpc_proto::{FrameCodec, FrameReader};

fuzz_target!(|data: &[u8]| {
    // The agent's codec (1 GiB limit) and a small one, so that both over-limit paths run.
    for codec in [FrameCodec::default(), FrameCodec::new(64)] {
        let mut rd = FrameReader::new(std::io::Cursor::new(data), codec);
        for _ in 0..64 {
            match rd.read_frame() {
                Ok(Some(f)) => {
                    use vaccel_rpc_proto::bound::Bounded;
                    let _ = vaccel_rpc_proto::ttrpc::Request::decode_bounded(f.payload.clone());
                    let _ = vaccel_rpc_proto::ttrpc::Response::decode_bounded(f.payload);
                }
                Ok(None) | Err(_) => break,
            }
        }
    }
});
