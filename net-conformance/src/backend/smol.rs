//! The harness over net-smol: an executor of its own, run only inside `next_event` (see
//! `net_smol::enter`).

use std::sync::Arc;
use std::time::Instant;

use super::async_rt::{AsyncHarness, Loop};

/// net-smol as a [`crate::harness::Harness`].
pub type SmolHarness = AsyncHarness<SmolLoop>;

/// A smol executor of the harness's own.
pub struct SmolLoop(Arc<smol::Executor<'static>>);

impl Loop for SmolLoop {
    type Rt = net_smol::Rt;
    type Entered<'a> = net_smol::EnterGuard;

    fn new() -> Self {
        Self(Arc::new(smol::Executor::new()))
    }

    fn enter(&self) -> Self::Entered<'_> {
        net_smol::enter(&self.0)
    }

    fn run_until<T>(&self, fut: impl Future<Output = T>, until: Instant) -> Option<T> {
        smol::block_on(self.0.run(smol::future::or(async { Some(fut.await) }, async {
            smol::Timer::at(until).await;
            None
        })))
    }
}
