//! The harness over net-sim: net-async on the deterministic simulator runtime (virtual clock,
//! seeded scheduler, simulated kernel), run only inside `next_event`.

use std::task::Poll;
use std::time::Instant;

use net_async::Runtime;

use super::async_rt::{AsyncHarness, Loop};

/// net-sim as a [`crate::harness::Harness`].
pub type SimRtHarness = AsyncHarness<SimLoop>;

/// A simulation of the harness's own, seeded with 0, scheduling in wake order.
pub struct SimLoop(net_sim::Sim);

impl Loop for SimLoop {
    type Rt = net_sim::Rt;
    type Entered<'a> = net_sim::EnterGuard;

    fn new() -> Self {
        // Tasks in the order they were woken, as the tokio and smol harnesses' single-threaded
        // executors run them: a scenario's trace is Node's under that order.
        let mut sim = net_sim::Sim::new(0);
        sim.set_schedule(net_sim::Schedule::Fifo);
        Self(sim)
    }

    fn enter(&self) -> Self::Entered<'_> {
        self.0.enter()
    }

    fn now(&self) -> Instant {
        self.0.rt().now()
    }

    fn run_until<T>(&self, fut: impl Future<Output = T>, until: Instant) -> Option<T> {
        let mut fut = std::pin::pin!(fut);
        let mut timer = self.0.rt().timer(until);
        let run = std::future::poll_fn(|cx| {
            if let Poll::Ready(v) = fut.as_mut().poll(cx) {
                return Poll::Ready(Some(v));
            }
            std::pin::Pin::new(&mut timer).poll(cx).map(|()| None)
        });
        self.0.block_on(run).expect("the simulation ran")
    }
}
