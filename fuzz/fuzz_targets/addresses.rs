//! Arbitrary text and JavaScript-typed arguments for every address parser, validator and
//! `BlockList` method; see `net-core/tests/fuzz_harness/addresses.rs` for what is checked. The
//! same harness runs under proptest in `net-core/tests/fuzz_addresses.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../net-core/tests/fuzz_harness/addresses.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::run(data));
