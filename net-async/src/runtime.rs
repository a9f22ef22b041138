//! What [`Socket`](crate::Socket) and [`Server`](crate::Server) need from the world: a task
//! spawner, a clock and timers, name lookups, and the kernel's streams and listeners.
//!
//! A real kernel under tokio or smol is [`Os`](crate::Os) over an [`OsRuntime`](crate::OsRuntime)
//! (spawn, timers, descriptor readiness, a blocking pool); everything else about sockets
//! (connect, bind, accept, options) is written once, in [`crate::os`].

use std::future::Future;
use std::io;
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use net_core::driver::Transport;
use net_core::{ConnectionInfo, Endpoint, ListenOptions, NetError};

/// A boxed future the runtime hands back (a lookup, a connect): one allocation per operation,
/// never per event.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The runtime a socket lives on.
///
/// The async layer keeps no scheduling policy of its own: it spawns one driver task per socket
/// when needed and one accept task per listening server, and waits only through what this trait
/// gives. A type parameter rather than a trait object: every readiness poll and clock read is a
/// direct call.
pub trait Runtime: Clone + Send + Sync + 'static {
    /// A connected stream, TCP or Unix.
    type Stream: Stream;
    /// A listening socket whose accepts give [`Runtime::Stream`]s.
    type Listener: Listener<Stream = Self::Stream>;
    /// A Unix-socket connect(2) started inside `connect()` (Node's `uv_pipe_connect` connects
    /// synchronously), finished by [`Runtime::finish_ipc_connect`].
    type IpcStarted: Send + 'static;
    /// A timer that can be moved to a new deadline.
    type Timer: Future + Send + Unpin + 'static;

    /// Readiness wake-ups come only where this runtime's tasks could run anyway: from a reactor
    /// turned by a parked executor thread (tokio), or a simulated reactor turn. Then a socket
    /// that nobody waits on reads in the wake-up itself instead of starting a task for it (an
    /// idle connection needs no task). `false` where a reactor thread reports while the executor
    /// is running a task (async-io's): reading there would change a socket between two commands
    /// a task makes in one turn.
    const WAKES_AT_YIELD_POINTS: bool = false;

    /// The runtime of the calling context, if there is one (tokio: inside a runtime; smol:
    /// always: the executor `net_smol::enter` chose, or the global one).
    fn try_current() -> Option<Self>;

    /// Run `task` to its end, detached.
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static);

    /// The time now, on this runtime's clock.
    fn now(&self) -> Instant;

    /// A timer that fires at `at`.
    fn timer(&self, at: Instant) -> Self::Timer;

    /// Move `timer` to fire at `at` instead.
    fn reset_timer(&self, timer: &mut Self::Timer, at: Instant) {
        *timer = self.timer(at);
    }

    /// Resolve `host` to its addresses, as `getaddrinfo` answers, in its order.
    fn lookup(&self, host: String) -> BoxFuture<io::Result<Vec<SocketAddr>>>;

    /// Open a TCP connection to `to`, bound to `local` first if given (with `SO_REUSEADDR`, as
    /// libuv binds; a failed bind is wrapped in [`net_core::driver::BindFailed`]).
    fn connect_tcp(&self, to: SocketAddr, local: Option<SocketAddr>) -> BoxFuture<io::Result<Self::Stream>>;

    /// Open a TCP connection to `to` from a socket already bound (an adopted
    /// [`BoundSocket`](crate::BoundSocket)). A runtime without kernel descriptors answers
    /// `Unsupported`.
    fn connect_tcp_from(
        &self,
        socket: socket2::Socket,
        to: SocketAddr,
    ) -> BoxFuture<io::Result<Self::Stream>> {
        let _ = (socket, to);
        Box::pin(std::future::ready(Err(io::Error::from(io::ErrorKind::Unsupported))))
    }

    /// connect(2) to a Unix socket now; `Ok(None)` if it would block (a full backlog), for
    /// [`Runtime::connect_ipc`] to connect asynchronously instead.
    fn start_ipc_connect(&self, path: &Path) -> io::Result<Option<Self::IpcStarted>>;

    /// The outcome of a connect [`Runtime::start_ipc_connect`] made.
    fn finish_ipc_connect(&self, started: Self::IpcStarted) -> BoxFuture<io::Result<Self::Stream>>;

    /// Connect to a Unix socket, waiting as long as it takes.
    fn connect_ipc(&self, path: PathBuf) -> BoxFuture<io::Result<Self::Stream>>;

    /// Bind and listen as libuv does, with Node's errors ([`net_core::driver::bind_listener`]).
    fn listen(&self, at: &Endpoint, opts: &ListenOptions) -> Result<(Self::Listener, Endpoint), NetError>;
}

/// A connected, non-blocking stream registered with its runtime.
///
/// Its reads follow one rule the driver relies on: a read that answers `WouldBlock`, or fewer
/// bytes than it was offered, used up the readiness seen so far, and the next
/// [`Stream::poll_read_ready`] waits for new readiness (or the peer's FIN already signalled).
pub trait Stream: Transport + Send + Sync + 'static {
    /// Ready once the stream may have bytes, EOF or an error to read (see the trait's rule).
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Ready once the stream may take bytes.
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Read without blocking into uninitialized memory; `Ok(n)`: the first `n` bytes of `buf`
    /// are initialized (and hold what was read), `Ok(0)` is EOF.
    fn try_read_uninit(&self, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize>;

    /// Both ends' addresses (none for Unix sockets, as in Node).
    fn info(&self) -> ConnectionInfo;

    /// The local address (`getsockname`); none for a Unix socket.
    fn local_addr(&self) -> Option<SocketAddr>;
}

/// A listening socket registered with its runtime.
pub trait Listener: Send + Sync + 'static {
    /// What an accept gives.
    type Stream: Stream;

    /// Accept one connection: the stream and, for TCP, the peer's address.
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(Self::Stream, Option<SocketAddr>)>>;
}
