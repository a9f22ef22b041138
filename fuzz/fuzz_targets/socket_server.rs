//! Arbitrary user commands and driver inputs for a client `Socket`, a `Server` and the sockets
//! it admits; see `net-core/tests/fuzz_harness/socket_server.rs` for what is checked. The same
//! harness runs under proptest in `net-core/tests/fuzz_socket_server.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../net-core/tests/fuzz_harness/socket_server.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::run(data));
