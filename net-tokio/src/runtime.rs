//! tokio as an [`OsRuntime`]: its spawner, timers, reactor (`AsyncFd`) and blocking pool.

use std::io;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use net_async::{BoxFuture, OsRuntime, OwnedSocket, Registered};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::runtime::Handle;

/// A tokio runtime, by its handle: sockets made on it register their descriptors and spawn
/// their tasks there.
#[derive(Clone, Debug)]
pub struct Tokio(pub Handle);

impl OsRuntime for Tokio {
    type Io<S: OwnedSocket> = TokioIo<S>;
    type Timer = Pin<Box<tokio::time::Sleep>>;
    /// tokio's reactor runs when a worker parks. On a multi-threaded runtime it reports while
    /// other workers run tasks, but a socket's driver task would run in parallel there too.
    const WAKES_AT_YIELD_POINTS: bool = true;

    fn try_current() -> Option<Self> {
        Handle::try_current().ok().map(Self)
    }

    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.0.spawn(task);
    }

    fn timer(&self, at: Instant) -> Self::Timer {
        let _rt = self.0.enter();
        Box::pin(tokio::time::sleep_until(at.into()))
    }

    fn reset_timer(&self, timer: &mut Self::Timer, at: Instant) {
        timer.as_mut().reset(at.into());
    }

    fn register<S: OwnedSocket>(&self, io: S) -> io::Result<TokioIo<S>> {
        let _rt = self.0.enter();
        // SAFETY: `S` is one of std's socket types (`OwnedSocket` is sealed to them): it owns
        // its descriptor, which stays open and is the one `as_raw_fd` answers until `S` is
        // dropped. The `AsyncFd` owns `S` (nothing here calls `into_inner`), so the descriptor
        // outlives the registration, which `AsyncFd`'s drop removes before dropping `S`.
        unsafe { AsyncFd::register(io) }.map(TokioIo).map_err(io::Error::from)
    }

    fn unblock<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> BoxFuture<io::Result<T>> {
        let task = self.0.spawn_blocking(f);
        Box::pin(async move { task.await.map_err(io::Error::other) })
    }
}

/// A descriptor registered with tokio's reactor. tokio records readiness until an operation
/// answers `WouldBlock`, so every call goes through `try_io`.
#[derive(Debug)]
pub struct TokioIo<S: AsRawFd>(AsyncFd<S>);

impl<S: OwnedSocket> Registered<S> for TokioIo<S> {
    fn get_ref(&self) -> &S {
        self.0.get_ref()
    }

    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // The guard is dropped uncleared: the readiness stays until a read answers WouldBlock.
        self.0.poll_read_ready(cx).map_ok(drop)
    }

    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_write_ready(cx).map_ok(drop)
    }

    fn try_read_io<R>(&self, f: impl FnOnce(&S) -> io::Result<R>) -> io::Result<R> {
        self.0.try_io(Interest::READABLE, f)
    }

    fn try_write_io<R>(&self, f: impl FnOnce(&S) -> io::Result<R>) -> io::Result<R> {
        self.0.try_io(Interest::WRITABLE, f)
    }
}
