//! Reliability tests of every backend: load, faults and resource limits (see `RELIABILITY.md` at
//! the workspace root). The library holds what the tests share: an echo server on each backend,
//! run on its own thread, and readings of this process's descriptors, memory and CPU time. The
//! load generator (`loadgen`) runs in a child process, so the clients' descriptors do not count
//! against the server's limit.

pub mod echo;
pub mod proc_stats;

pub use echo::{Backend, EchoOptions, EchoServer, Report};

/// The bytes client `i` sends: distinct per client, so crossed streams are caught.
pub fn payload(i: u32, len: usize) -> Vec<u8> {
    (0..len as u32)
        .map(|j| (j.wrapping_mul(2_654_435_761).wrapping_add(i.wrapping_mul(40_503)) >> 13) as u8)
        .collect()
}
