//! Scenario tests of the core over the simulator (`crate::sim::Pair`).
