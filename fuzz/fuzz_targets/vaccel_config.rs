//! Configuration parsing: the agent's `--vaccel-config "key=value,..."` parser (its source file,
//! included as is) and libvaccel's numeric variables (`strtoul` semantics).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../crates/vaccel-rpc-agent/src/config.rs"]
mod config;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = config::parse(s) {
        // Accepted options hold only what was given.
        if let Some(p) = &c.plugins {
            assert!(s.contains(p.as_str()));
        }
    }
    let _ = vaccel_core::config::strtoul(s);
});
