//! What can go wrong on the simulated network, drawn from the simulation's seed.

use std::time::Duration;

/// Faults the simulated kernel injects, each drawn from the seed (so a failing run repeats).
/// The default is a perfect loopback: no latency, whole reads and writes, Linux's window, no
/// resets, refusals or limits.
///
/// Scripted faults for one address are on [`Sim`](crate::Sim): [`Sim::refuse`](crate::Sim::refuse),
/// [`Sim::black_hole`](crate::Sim::black_hole), [`Sim::reset_all`](crate::Sim::reset_all).
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// How long bytes, FINs, connects and lookups take, drawn per send from `latency.0..=latency.1`.
    /// Bytes never overtake those sent before them.
    pub latency: (Duration, Duration),
    /// Each read returns at most this many bytes (drawn from `1..=n` per read): a message arrives
    /// in pieces.
    pub max_read: Option<usize>,
    /// Each write takes at most this many bytes (drawn from `1..=n` per write): short writes.
    pub max_write: Option<usize>,
    /// Bytes one direction of a connection holds (send and receive buffers together) before
    /// writes block: small values exercise backpressure and `drain`.
    pub window: usize,
    /// Probability that a write resets its connection instead (both ends see ECONNRESET).
    pub reset: f64,
    /// Probability that a TCP connect is refused (ECONNREFUSED) although something listens.
    pub refuse: f64,
    /// Probability that a TCP connect is never answered (ETIMEDOUT after Linux's 127 s of SYN
    /// retries, unless the user gives up first).
    pub black_hole: f64,
    /// Descriptors the process may hold (streams and listeners): beyond, connect and accept
    /// fail with EMFILE.
    pub max_descriptors: Option<usize>,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            latency: (Duration::ZERO, Duration::ZERO),
            max_read: None,
            max_write: None,
            window: crate::kernel::PIPE_CAPACITY,
            reset: 0.0,
            refuse: 0.0,
            black_hole: 0.0,
            max_descriptors: None,
        }
    }
}

/// How long Linux retries an unanswered SYN before connect fails (tcp_syn_retries 6:
/// 1 + 2 + 4 + 8 + 16 + 32 + 64 s).
pub const SYN_TIMEOUT: Duration = Duration::from_secs(127);
