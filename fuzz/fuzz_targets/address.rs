//! Address parsing (`tcp://`, `unix://`, abstract, `vsock://`, `hvsock://`), as the agent's
//! `-a` and the plugin's `VACCEL_RPC_ADDRESS` go through it; a parsed address prints and parses
//! back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vaccel_rpc_proto::Address;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(a) = s.parse::<Address>() {
        let shown = a.to_string();
        let again: Address = shown.parse().expect("a displayed address parses");
        assert_eq!(again, a, "{s:?} -> {shown:?}");
    }
});
