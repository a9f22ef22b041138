//! The harness over net-tokio: a current-thread runtime that runs only inside `next_event`.

use std::time::Instant;

use super::async_rt::{AsyncHarness, Loop};

/// net-tokio as a [`crate::harness::Harness`].
pub type TokioHarness = AsyncHarness<TokioLoop>;

/// A current-thread tokio runtime of the harness's own.
pub struct TokioLoop(tokio::runtime::Runtime);

impl Loop for TokioLoop {
    type Rt = net_tokio::Rt;
    type Entered<'a> = tokio::runtime::EnterGuard<'a>;

    fn new() -> Self {
        Self(tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime"))
    }

    fn enter(&self) -> Self::Entered<'_> {
        self.0.enter()
    }

    fn run_until<T>(&self, fut: impl Future<Output = T>, until: Instant) -> Option<T> {
        self.0.block_on(async { tokio::time::timeout_at(until.into(), fut).await.ok() })
    }
}
