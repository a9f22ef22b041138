//! The `addresses` fuzz target on stable Rust: proptest's bytes through the same harness
//! (`fuzz_harness/addresses.rs`, also `fuzz/fuzz_targets/addresses.rs`), so plain `cargo test`
//! covers it. `PROPTEST_CASES` sets the number of inputs (default 1000: about a second).

#[path = "fuzz_harness/addresses.rs"]
mod harness;

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000),
        ..ProptestConfig::default()
    })]

    #[test]
    fn addresses_harness(data in proptest::collection::vec(any::<u8>(), 0..2000)) {
        harness::run(&data);
    }
}
