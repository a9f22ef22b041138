//! The harnesses: the simulator and one per backend.

pub mod async_rt;
pub mod mio;
pub mod sim;
pub mod sim_rt;
pub mod smol;
pub mod tokio;
