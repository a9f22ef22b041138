//! smol as an [`OsRuntime`]: its executor ([`crate::enter`]), async-io's timers and reactor,
//! and blocking's thread pool.

use std::io;
use std::task::{Context, Poll};
use std::time::Instant;

use async_io::{Async, Timer};
use net_async::{BoxFuture, OsRuntime, OwnedSocket, Registered};

use crate::spawn::Spawner;

/// smol, with the executor chosen where the socket or server was made.
#[derive(Clone, Debug)]
pub struct Smol(pub(crate) Spawner);

impl OsRuntime for Smol {
    type Io<S: OwnedSocket> = SmolIo<S>;
    type Timer = Timer;

    /// Always one: the executor [`crate::enter`] chose on this thread, or smol's global one.
    fn try_current() -> Option<Self> {
        Some(Self(Spawner::current()))
    }

    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.0.spawn(task);
    }

    fn timer(&self, at: Instant) -> Timer {
        Timer::at(at)
    }

    fn reset_timer(&self, timer: &mut Timer, at: Instant) {
        timer.set_at(at);
    }

    fn register<S: OwnedSocket>(&self, io: S) -> io::Result<SmolIo<S>> {
        Async::new(io).map(SmolIo)
    }

    fn unblock<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> BoxFuture<io::Result<T>> {
        Box::pin(async move { Ok(smol::unblock(f).await) })
    }
}

/// A descriptor registered with async-io's reactor. async-io records no readiness between
/// waits (each wait re-arms a one-shot registration), so calls run as they are.
#[derive(Debug)]
pub struct SmolIo<S>(Async<S>);

impl<S: OwnedSocket> Registered<S> for SmolIo<S> {
    fn get_ref(&self) -> &S {
        self.0.get_ref()
    }

    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_readable(cx)
    }

    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_writable(cx)
    }

    fn try_read_io<R>(&self, f: impl FnOnce(&S) -> io::Result<R>) -> io::Result<R> {
        f(self.0.get_ref())
    }

    fn try_write_io<R>(&self, f: impl FnOnce(&S) -> io::Result<R>) -> io::Result<R> {
        f(self.0.get_ref())
    }
}
