//! `Socket`: a net-core socket driven over a runtime's stream.
//!
//! The user's handle and a driver task share the core behind a mutex. Commands run inline
//! (a `write` queues in the core and is offered to the kernel at once, as libuv does); the
//! driver task ([`crate::driver_task`]) waits for readiness, timers, lookups and connects, and
//! feeds the results in. It is spawned the first time the socket needs it: an accepted socket
//! whose user reads in its own task and whose writes the kernel takes whole may never start one.
//! Events are pulled from the core by the user ([`Socket::next_event`] or `AsyncRead`), so the
//! core's "next tick" work (`ready`, the automatic end, the FIN after `end()`) runs after the
//! user handled the event: when the user pulls the next one, or in the driver task's next turn.
//!
//! Reading is handed over: while the user's task waits for an event, readability wakes that task
//! and it reads in its own turn (one task poll per message); otherwise the driver task reads.
//! A reactor keeps one readiness waker per direction, so both register the same waker,
//! [`ReadWake`], which decides at wake time.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::Bytes;
use net_core::{Chunk, SocketHandle, driver};
use net_core::{ConnectOptions, Endpoint, NetError, SocketAction, SocketEvent, SocketOptions};

use crate::driver_task::{Driver, pump_at, read_if_ready};
use crate::link::ServerLink;
use crate::runtime::{Runtime, Stream};

pub(crate) struct Inner<Rt: Runtime> {
    pub(crate) core: net_core::Socket,
    pub(crate) stream: Option<Arc<Rt::Stream>>,
    /// Lookups and connects for the driver task.
    pub(crate) jobs: Vec<SocketAction>,
    /// A Unix-socket connect(2) made in the command's pump (Node's `uv_pipe_connect` connects
    /// inside `connect()`), for the driver task to finish; `None` inside: it would block, so the
    /// task connects as for TCP.
    pub(crate) ipc_started: Option<io::Result<Option<Rt::IpcStarted>>>,
    /// The user's task waiting in `next_event` or `poll_read`: it is woken to read.
    pub(crate) event_waiter: driver::EventWaiter,
    /// Every task waiting for write progress, on any clone (`drained`, `AsyncWrite`).
    pub(crate) write_waiters: driver::WriteWaiters,
    /// The driver task's waker, once it ran.
    pub(crate) driver_waker: Option<Waker>,
    /// The accepting server, told when this socket is destroyed.
    pub(crate) server: Option<ServerLink>,
    /// The `signal` option's listener, removed once the socket is destroyed.
    pub(crate) abort_listener: Option<(net_core::AbortSignal, net_core::AbortListenerId)>,
    /// The descriptor of an adopted `BoundSocket`, for the connect to start from.
    pub(crate) bound_source: Option<socket2::Socket>,
    /// Work begun inside `connect()` for the driver task to carry on (boxed: seldom used).
    pub(crate) early: Option<Box<Early<Rt>>>,
    /// Node's `onread`: `data` events go to this callback through the user's buffer. Taken out
    /// while the callback runs, which is outside the lock.
    pub(crate) onread: Option<Box<OnRead>>,
    /// A `close` event was handed out: nothing more will come.
    pub(crate) closed: bool,
    /// Bytes of a `data` event not yet taken by `AsyncRead`.
    #[cfg_attr(not(any(feature = "tokio", feature = "futures-io")), allow(dead_code))]
    pub(crate) pending_read: Bytes,
    /// What the driver task waits for: a command wakes it only if that changed.
    pub(crate) waiting: driver::Interest,
    /// The driver task was spawned ([`Shared::wake_driver`]).
    pub(crate) driver_started: bool,
    /// A task waits in [`Socket::connected`] (among `write_waiters`): woken once the connect
    /// is over, whatever the queue says.
    pub(crate) connect_waited: bool,
    /// The last read used up the readiness seen (see [`Stream`]'s rule), or none was made yet:
    /// wait for readability before reading. Starting blocked means the first read waits for the
    /// reactor to report the descriptor, as libuv reads only in its poll phase: bytes already
    /// queued in the kernel do not overtake next-tick work and callbacks of another socket.
    pub(crate) read_blocked: bool,
}

pub(crate) struct Shared<Rt: Runtime> {
    inner: Mutex<Inner<Rt>>,
    /// Where the driver task is spawned, and the clock.
    pub(crate) rt: Rt,
    /// The only waker ever registered for readability ([`ReadWake`]).
    pub(crate) read_waker: Waker,
    /// Readability woke [`ReadWake`] while the lock was held. A reactor can do that from inside
    /// a readiness poll made under the lock (tokio wakes a task out of coop budget at once on a
    /// thread without a scheduler, e.g. `block_on`): the wake-up cannot take the lock then, so
    /// whoever releases it hands the wake-up on ([`Locked`]'s drop). Never lost, never a
    /// self-deadlock.
    read_woken: AtomicBool,
    /// The last user handle was dropped while the lock was held (a `Server` dropped inside
    /// this socket's own `connection_closed` drops the sockets it still queued): handed on the
    /// same way, so the drop never waits for a lock its own thread holds.
    last_dropped: AtomicBool,
    /// This socket, for handing on a wake-up from [`Locked`]'s drop.
    me: Weak<Self>,
    /// Node's `socket.server`: the server that accepted this socket, while a handle of it lives.
    accepted_by: Option<Weak<crate::server::ServerShared<Rt>>>,
    /// `net_socket{id, remote}`: every trace of this socket sits under it.
    pub(crate) span: tracing::Span,
}

/// The socket's lock. Releasing it hands on a readability wake-up or a last-handle drop that
/// came while it was held.
pub(crate) struct Locked<'a, Rt: Runtime> {
    guard: Option<MutexGuard<'a, Inner<Rt>>>,
    shared: &'a Shared<Rt>,
}

impl<Rt: Runtime> std::ops::Deref for Locked<'_, Rt> {
    type Target = Inner<Rt>;
    fn deref(&self) -> &Inner<Rt> {
        self.guard.as_ref().expect("held until dropped")
    }
}

impl<Rt: Runtime> std::ops::DerefMut for Locked<'_, Rt> {
    fn deref_mut(&mut self) -> &mut Inner<Rt> {
        self.guard.as_mut().expect("held until dropped")
    }
}

impl<Rt: Runtime> Drop for Locked<'_, Rt> {
    fn drop(&mut self) {
        drop(self.guard.take());
        // Pairs with the fences in `ReadWake::wake_by_ref` and `LastHandle::drop`: either this
        // load sees the flag, or that side's `try_lock` sees the lock free (the unlock and the
        // failed `try_lock` alone would not order the two).
        fence(Ordering::SeqCst);
        if self.shared.read_woken.load(Ordering::SeqCst) || self.shared.last_dropped.load(Ordering::SeqCst) {
            if let Some(shared) = self.shared.me.upgrade() {
                shared.hand_on(false);
            }
        }
    }
}

impl<Rt: Runtime> Shared<Rt> {
    pub(crate) fn lock(&self) -> Locked<'_, Rt> {
        Locked { guard: Some(self.inner.lock().unwrap_or_else(|e| e.into_inner())), shared: self }
    }

    /// Carry out what was flagged ([`ReadWake`]'s wake-up, the last handle's drop) if the lock
    /// can be had now; if not, its holder does it when it releases the lock.
    ///
    /// `from_reactor`: the reactor reported readability itself (not a wake-up a lock holder
    /// handed on, which may come from inside a readiness poll).
    fn hand_on(self: &Arc<Self>, from_reactor: bool) {
        let guard = match self.inner.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(e)) => e.into_inner(),
            Err(TryLockError::WouldBlock) => return,
        };
        let mut inner = Locked { guard: Some(guard), shared: self };
        if self.last_dropped.swap(false, Ordering::SeqCst) {
            let _span = self.span.enter();
            let now = self.rt.now();
            net_core::io_view::last_handle_dropped(&mut inner.core, now);
            pump_at(&mut inner, self, now);
            // The driver task carries on (flushing, the FIN, timers) until the socket is destroyed.
            self.wake_driver(&mut inner);
        }
        if !self.read_woken.swap(false, Ordering::SeqCst) {
            return;
        }
        match inner.event_waiter.take() {
            Some(w) => {
                drop(inner);
                w.wake();
            }
            // Nobody waits for an event and the driver task never started: read here, as
            // libuv reads in its poll phase, so that an idle connection needs no task of its own
            // (a tokio task is 256 bytes), where the runtime wakes only at yield points (see
            // [`Runtime::WAKES_AT_YIELD_POINTS`]). Not for a handed-on wake-up: it may come from inside
            // a readiness poll that woke at once (tokio's coop budget), and reading there would
            // wake again, so the driver task takes that one.
            None if Rt::WAKES_AT_YIELD_POINTS && from_reactor && !inner.driver_started => {
                let _span = self.span.enter();
                let now = self.rt.now();
                while read_if_ready(&mut inner, &self.read_waker, now) {}
                pump_at(&mut inner, self, now);
            }
            None => self.wake_driver(&mut inner),
        }
    }

    /// Destroy the socket when `signal` is aborted (at once if it is): Node's stream abort
    /// listener, run on the aborting thread inside `abort()`.
    fn listen_to(shared: &Arc<Self>, signal: net_core::AbortSignal) {
        let weak = Arc::downgrade(shared);
        let id = signal.on_abort(move |reason| {
            let Some(shared) = weak.upgrade() else { return };
            let _span = shared.span.enter();
            let now = shared.rt.now();
            let mut inner = shared.lock();
            inner.core.abort(reason);
            pump_at(&mut inner, &shared, now);
        });
        if let Some(id) = id {
            shared.lock().abort_listener = Some((signal, id));
        }
    }

    /// Have the driver task take a turn, spawning it if it never ran (and there is anything
    /// left for it to do).
    pub(crate) fn wake_driver(self: &Arc<Self>, inner: &mut Inner<Rt>) {
        if inner.driver_started {
            if let Some(w) = inner.driver_waker.take() {
                w.wake();
            }
        } else if driver::Interest::worth_starting(
            &inner.core,
            inner.stream.is_some(),
            !inner.jobs.is_empty(),
        ) {
            inner.driver_started = true;
            self.rt.spawn(tracing::Instrument::instrument(Driver::new(Arc::clone(self)), self.span.clone()));
        }
    }
}

/// Readability wakes the task that will read: the user's, when it waits for an event (it reads
/// in [`Socket::poll_next_event`]), or else the driver task. Exactly one task is woken per readiness
/// event, and the user's task reading inline saves the driver task's turn per message.
struct ReadWake<Rt: Runtime>(Weak<Shared<Rt>>);

impl<Rt: Runtime> std::task::Wake for ReadWake<Rt> {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let Some(shared) = self.0.upgrade() else { return };
        // Flag first, then try the lock: a holder that releases it after this sees the flag.
        shared.read_woken.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        shared.hand_on(true);
    }
}

/// A Node `net.Socket` on the runtime `Rt` (`net_tokio::Socket`, `net_smol::Socket`).
///
/// Commands and getters follow Node's names; events come from [`Socket::next_event`]. The socket
/// is also an `AsyncRead + AsyncWrite` (tokio's with the `tokio` feature, futures-io's with
/// `futures-io`), so codecs, TLS and HTTP crates work on top, with a `TcpStream`'s habits
/// ([`net_core::io_view`]):
///
/// * reading through `AsyncRead` turns `allowHalfOpen` on: EOF from the peer does not end our
///   side, which stays writable until `poll_shutdown`/`poll_close` (Node's `end()`, ready once
///   the FIN is out);
/// * flushing and shutting down fail with the error the socket died of;
/// * errors are `io::Error`s of the nearest kind, with the [`net_core::NetError`] inside
///   (`get_ref()`);
/// * clones share one socket, and every task waiting to write on any clone is woken;
/// * dropping the last clone is Node's `destroySoon()`: queued bytes are flushed, the FIN
///   follows, and the descriptor is released (and the server's count drops) without waiting for
///   the peer.
pub struct Socket<Rt: Runtime> {
    pub(crate) shared: Arc<Shared<Rt>>,
    /// Dropped with the last clone: closes the socket (the driver task holds `shared` too).
    _last: Arc<LastHandle<Rt>>,
}

impl<Rt: Runtime> Clone for Socket<Rt> {
    fn clone(&self) -> Self {
        Self { shared: Arc::clone(&self.shared), _last: Arc::clone(&self._last) }
    }
}

/// The users' share of a socket; its drop is the last user handle going away.
struct LastHandle<Rt: Runtime>(Arc<Shared<Rt>>);

impl<Rt: Runtime> Drop for LastHandle<Rt> {
    fn drop(&mut self) {
        // Flag first, then try the lock, as for a read wake-up: this thread may hold it.
        self.0.last_dropped.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        self.0.hand_on(false);
    }
}

impl<Rt: Runtime> std::fmt::Debug for Socket<Rt> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.shared.lock();
        f.debug_struct("Socket").field("ready_state", &inner.core.ready_state()).finish()
    }
}

/// `net.connect(port, host)`: a socket connecting by name or address with Node's defaults.
///
/// # Panics
/// Outside a runtime ([`Runtime::try_current`]).
pub fn connect<Rt: Runtime>(port: u16, host: &str) -> Socket<Rt> {
    Socket::connect_with(ConnectOptions::new(host, port), SocketOptions::default())
}

/// `net.connect(path)`: a socket connecting to a Unix-domain socket.
///
/// # Panics
/// Outside a runtime ([`Runtime::try_current`]).
pub fn connect_path<Rt: Runtime>(path: impl Into<std::path::PathBuf>) -> Socket<Rt> {
    connect_path_with(path, SocketOptions::default())
}

/// `net.connect({path, ...options})`: a Unix-domain socket with these socket options.
///
/// # Panics
/// Outside a runtime ([`Runtime::try_current`]).
pub fn connect_path_with<Rt: Runtime>(
    path: impl Into<std::path::PathBuf>,
    opts: SocketOptions,
) -> Socket<Rt> {
    let rt = current::<Rt>();
    let sock = Socket::from_core(net_core::Socket::new(opts, rt.now()), None, None, rt);
    sock.with(|inner| {
        let _ = inner.core.connect(Endpoint::Ipc(path.into()));
    });
    sock
}

/// The calling context's runtime.
pub(crate) fn current<Rt: Runtime>() -> Rt {
    Rt::try_current().expect("net-async: a socket or server needs its runtime (call from inside one)")
}

impl<Rt: Runtime> Socket<Rt> {
    /// `net.connect(options)`: connect by name (lookup, happy eyeballs) or address.
    ///
    /// # Panics
    /// Outside a runtime ([`Runtime::try_current`]).
    pub fn connect_with(connect: ConnectOptions, opts: SocketOptions) -> Self {
        crate::sys::install_interface_index();
        let rt = current::<Rt>();
        let sock = Self::from_core(net_core::Socket::new(opts, rt.now()), None, None, rt);
        let lookup = sock.with(|inner| {
            inner.core.connect_with_or_destroy(connect);
            inner.core.take_custom_lookup()
        });
        if let Some((request, lookup)) = lookup {
            sock.look_up_now(&request, &lookup);
        }
        sock
    }

    /// A connect's own lookup, called inside `connect()` as Node does, outside the lock (it is
    /// the user's code): an answer it gives at once is handled before `connect()` returns;
    /// a later one goes to the driver task.
    fn look_up_now(&self, request: &net_core::LookupRequest, lookup: &net_core::CustomLookup) {
        let answer = crate::custom_lookup::Answer::call(lookup, request);
        let now = self.shared.rt.now();
        let mut inner = self.shared.lock();
        match answer.now() {
            Some(input) => {
                inner.core.handle_io(now, input);
                pump_at(&mut inner, &self.shared, now);
                // Node's connect(2) follows the lookup inside connect(): started here too.
                let at = inner
                    .jobs
                    .iter()
                    .position(|j| matches!(j, SocketAction::Connect { to: Endpoint::Tcp(_), .. }));
                if let Some(SocketAction::Connect { to, local }) =
                    at.and_then(|at| inner.jobs.remove(at).into())
                {
                    let bound = inner.bound_source.take();
                    let started = crate::driver_task::open(&self.shared.rt, to, local, None, bound);
                    inner.early = Some(Box::new(Early::Connect(started)));
                }
            }
            None => {
                inner.early = Some(Box::new(Early::Lookup(answer)));
                pump_at(&mut inner, &self.shared, now);
            }
        }
        self.shared.wake_driver(&mut inner);
    }

    /// Node's `net.connect({ ..., handle: boundSocket })`: connect from a socket already bound
    /// ([`BoundSocket`](crate::BoundSocket)), which is adopted (its calls answer
    /// `ERR_SOCKET_HANDLE_ADOPTED` from now on, even when the connect is refused, as in Node).
    /// As in Node, `local_address` and `local_port` are refused (`ERR_INVALID_ARG_VALUE`) and
    /// happy eyeballs is off. TCP only: a bound path is
    /// `ERR_INVALID_HANDLE_TYPE`. A runtime without descriptors (net-sim) fails the connect with
    /// `Unsupported`.
    ///
    /// # Panics
    /// Outside a runtime ([`Runtime::try_current`]).
    pub fn connect_bound(
        bound: &crate::BoundSocket,
        mut connect: ConnectOptions,
        opts: SocketOptions,
    ) -> Result<Self, NetError> {
        crate::sys::install_interface_index();
        connect.bound_socket = true;
        let rt = current::<Rt>();
        let sock = Self::from_core(net_core::Socket::new(opts, rt.now()), None, None, rt);
        // In one hold of the lock: the driver task must find the descriptor with the connect.
        // Node's Socket constructor adopts the handle before connect() checks its options, so
        // a refused connect leaves the BoundSocket adopted too.
        sock.with(|inner| {
            let (socket, _) = bound.take_for_connect()?;
            inner.core.connect_with(connect)?;
            inner.bound_source = Some(socket);
            Ok::<(), NetError>(())
        })?;
        Ok(sock)
    }

    /// Adopt a connected stream of this runtime: a connected socket with `options`, as an
    /// accepted one is (no `connect`).
    pub fn from_stream(stream: Rt::Stream, options: SocketOptions, ipc: bool, rt: Rt) -> Self {
        let core = net_core::Socket::accepted(options, stream.info(), ipc, rt.now());
        let sock = Self::from_core(core, Some(stream), None, rt);
        sock.start();
        sock
    }

    pub(crate) fn from_core(
        core: net_core::Socket,
        stream: Option<Rt::Stream>,
        accepted_by: Option<Weak<crate::server::ServerShared<Rt>>>,
        rt: Rt,
    ) -> Self {
        // Told once when the socket is destroyed: the server's connection count.
        let server = accepted_by.as_ref().map(|w| {
            let count: Weak<dyn crate::link::ConnectionCount> = w.clone();
            ServerLink { server: count, id: core.connection_id().expect("admitted sockets carry an id") }
        });
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        // The core's copy: asking the kernel again (getpeername) per connection costs a syscall.
        // Not `remote_address()`: Node's getter caches what it read, and a span label must not
        // change what `remoteAddress` answers after close.
        let remote = core.peer_for_logs();
        let span = tracing::debug_span!("net_socket", id, remote = ?remote);
        // A timer or next-tick work already owed needs the driver task now; otherwise it starts
        // when first needed ([`Shared::wake_driver`]).
        let driver_now = driver::Interest::needed_at_start(&core);
        let waiting = driver::Interest::of(&core);
        let shared = Arc::new_cyclic(|weak: &Weak<Shared<Rt>>| Shared {
            inner: Mutex::new(Inner {
                core,
                stream: stream.map(Arc::new),
                jobs: Vec::new(),
                ipc_started: None,
                event_waiter: driver::EventWaiter::default(),
                write_waiters: driver::WriteWaiters::default(),
                driver_waker: None,
                server,
                abort_listener: None,
                bound_source: None,
                early: None,
                onread: None,
                closed: false,
                pending_read: Bytes::new(),
                waiting,
                driver_started: false,
                connect_waited: false,
                read_blocked: true,
            }),
            rt,
            read_waker: Waker::from(Arc::new(ReadWake(weak.clone()))),
            read_woken: AtomicBool::new(false),
            last_dropped: AtomicBool::new(false),
            me: weak.clone(),
            accepted_by,
            span,
        });
        if driver_now {
            shared.wake_driver(&mut shared.lock());
        }
        let signal = shared.lock().core.signal().cloned();
        if let Some(signal) = signal {
            Shared::listen_to(&shared, signal);
        }
        Self { _last: Arc::new(LastHandle(Arc::clone(&shared))), shared }
    }

    /// An accepted socket's first step, taken once the server's lock is released (a reset read
    /// here closes the socket, which tells the server): readability is watched from the start,
    /// so that bytes are read even if the user never waits for an event. What the socket already
    /// holds is read now (it waits as a `data` event), and readability registers [`ReadWake`];
    /// the socket options are applied.
    pub(crate) fn start(&self) {
        let now = self.shared.rt.now();
        let mut inner = self.shared.lock();
        while read_if_ready(&mut inner, &self.shared.read_waker, now) {}
        pump_at(&mut inner, &self.shared, now);
    }

    /// Resolves once the socket is connected (Node's `connect`), or with the error that
    /// destroyed it first (`ERR_SOCKET_CLOSED_BEFORE_CONNECTION` for a plain `destroy()`).
    /// It takes no event: `connectionAttempt`, `connect` and `ready` still come from
    /// [`Socket::next_event`]. A socket that was never told to connect answers
    /// `ERR_SOCKET_CLOSED` at once.
    pub async fn connected(&self) -> Result<(), NetError> {
        poll_fn(|cx| {
            let mut inner = self.shared.lock();
            if inner.core.destroyed() {
                inner.connect_waited = false;
                let err = inner.core.errored().cloned().unwrap_or_else(NetError::closed_before_connection);
                return Poll::Ready(Err(err));
            }
            if !inner.core.pending() {
                inner.connect_waited = false;
                return Poll::Ready(Ok(()));
            }
            if !inner.core.connecting() {
                return Poll::Ready(Err(NetError::socket_closed()));
            }
            inner.connect_waited = true;
            inner.write_waiters.register(cx.waker());
            Poll::Pending
        })
        .await
    }

    /// Run a command on the core, then carry out what it asked for.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Inner<Rt>) -> R) -> R {
        self.with_at(self.shared.rt.now(), f)
    }

    /// [`Socket::with`] at a time the caller read: the core dates the command by it.
    fn with_at<R>(&self, now: Instant, f: impl FnOnce(&mut Inner<Rt>) -> R) -> R {
        let _span = self.shared.span.enter();
        let mut inner = self.shared.lock();
        inner.core.set_now(now);
        let r = f(&mut inner);
        pump_at(&mut inner, &self.shared, now);
        r
    }

    /// The next event, in Node's order; `None` after `close`.
    pub async fn next_event(&self) -> Option<SocketEvent> {
        NextEvent { socket: self, waiting: None }.await
    }

    /// Node's `socket.server`: the server that accepted this socket (also after it closed),
    /// while a handle of that server lives; `None` for a socket that connected or was adopted.
    ///
    /// A socket holds no strong reference: the last [`Server`](crate::Server) handle dropped
    /// still closes the server, as every Rust handle does, and this then answers `None`.
    pub fn server(&self) -> Option<crate::Server<Rt>> {
        self.shared.accepted_by.as_ref()?.upgrade().map(crate::Server::from_shared)
    }

    /// Poll for the next event, for code that writes its own futures; `None` after `close`.
    ///
    /// When no event is queued, bytes the kernel holds are read here, in the caller's task.
    /// `Pending` registers the caller's waker until an event comes or readability wakes it, and
    /// the caller is expected to poll again then (the contract of a readiness poll): while it
    /// does not, this socket's bytes wait in the kernel (nothing is lost; at most
    /// `readableHighWaterMark` bytes would have been read ahead anyway). [`Socket::next_event`]'s
    /// future has no such duty: dropped while it waits, it hands reading back to the socket's
    /// own task.
    pub fn poll_next_event(&self, cx: &mut Context<'_>) -> Poll<Option<SocketEvent>> {
        self.poll_event_as(cx, &mut None)
    }

    /// [`Socket::poll_next_event`], noting in `waiting` which registration a `Pending` left.
    fn poll_event_as(&self, cx: &mut Context<'_>, waiting: &mut Option<u64>) -> Poll<Option<SocketEvent>> {
        loop {
            let (ev, onread) = self.poll_one_event(cx, waiting);
            let Some(mut onread) = onread else { return ev };
            let Poll::Ready(Some(SocketEvent::Data(data))) = &ev else { unreachable!("taken for data only") };
            // The callback is the `data` listener: it runs outside the lock, so it may use the
            // socket; then the next event (the next chunk, or what its pause leaves).
            let OnRead { buffer, callback } = &mut *onread;
            let paused = buffer.deliver(data, callback);
            let mut inner = self.shared.lock();
            if let Some(taken) = paused {
                net_core::OnReadBuffer::stopped(&mut inner.core, data, taken);
                let now = self.shared.rt.now();
                pump_at(&mut inner, &self.shared, now);
            }
            inner.onread.get_or_insert(onread);
        }
    }

    /// Node's `onread: { buffer, callback }`: from now on the socket's bytes go to `callback`
    /// through `buffer` (at most its length per call) instead of coming as
    /// [`SocketEvent::Data`]; `callback` returning `false` stops the socket reading (Node's `readStop`: the rest stays out of `bytesRead` and `readableLength`, `isPaused()` stays false), and
    /// [`resume`](Self::resume) hands on what was left. The callbacks run as events are polled
    /// ([`next_event`](Self::next_event)), in their order, in the polling task, where they may
    /// use the socket. The other events come as before.
    ///
    /// Rust's own form of reading into a caller's buffer is `AsyncRead` (tokio's, or
    /// futures-io's with that feature), which reads straight from the kernel into it; here the
    /// bytes are copied into `buffer` from the socket's own read.
    pub fn set_onread(
        &self,
        buffer: impl Into<Box<[u8]>>,
        callback: impl FnMut(&mut [u8]) -> bool + Send + 'static,
    ) {
        self.shared.lock().onread = Some(Box::new(OnRead {
            buffer: net_core::OnReadBuffer::new(buffer),
            callback: Box::new(callback),
        }));
    }

    /// One event, and for a `data` event of an `onread` socket its reader, taken out in the
    /// same hold of the lock (no second lock per event).
    fn poll_one_event(
        &self,
        cx: &mut Context<'_>,
        waiting: &mut Option<u64>,
    ) -> (Poll<Option<SocketEvent>>, Option<Box<OnRead>>) {
        let mut inner = self.shared.lock();
        // After `close`, only the callbacks of calls made since (Node still runs them).
        if inner.closed && !inner.core.has_event() {
            // Asked again: the `close` listeners returned (the core settles what Node does then).
            let _ = inner.core.poll_event();
            *waiting = None;
            return (Poll::Ready(None), None);
        }
        // One clock read for the whole poll, as libuv reads it once per loop turn.
        let now = self.shared.rt.now();
        match driver::poll_user_event(&mut UserTurn { inner: &mut inner, shared: &self.shared }, now) {
            driver::UserPoll::Event(ev) => {
                if matches!(ev, SocketEvent::Close { .. }) {
                    inner.closed = true;
                }
                *waiting = None;
                let onread = if matches!(ev, SocketEvent::Data(_)) { inner.onread.take() } else { None };
                return (Poll::Ready(Some(ev)), onread);
            }
            driver::UserPoll::Wait => {}
        }
        *waiting = Some(inner.event_waiter.park(cx.waker()));
        (Poll::Pending, None)
    }

    /// `socket.write(data)`: queued and offered to the kernel at once, as in Node. The answer
    /// is Node's boolean (`if !socket.write(data) { socket.drained().await }`), and, awaited,
    /// Rust's habit: `Ok(len)` once there is room again, or the socket's failure
    /// ([`net_core::io_view::Write`]).
    pub fn write(&self, data: impl Chunk) -> Write<'_, Rt> {
        let data = data.into_bytes();
        let len = data.len();
        let _span = self.shared.span.enter();
        let mut inner = self.shared.lock();
        let now = self.shared.rt.now();
        inner.core.set_now(now);
        let refused = !inner.core.writable();
        let pending = inner.core.write(data);
        transmit(&mut inner, now);
        let accepted = inner.core.settle(pending);
        pump_at(&mut inner, &self.shared, now);
        Write::new(self, accepted, refused, len)
    }

    /// Wait until the queue is below the high-water mark again (after a `write` returned
    /// `false`, this is Node's `drain`), or the socket is gone.
    pub async fn drained(&self) {
        poll_fn(|cx| {
            let mut inner = self.shared.lock();
            if !inner.core.drain_owed() || inner.core.destroyed() {
                return Poll::Ready(());
            }
            inner.write_waiters.register(cx.waker());
            Poll::Pending
        })
        .await;
    }
}

/// Work begun inside `connect()`, carried on by the driver task.
pub(crate) enum Early<Rt: Runtime> {
    /// A custom lookup that answers later.
    Lookup(crate::custom_lookup::Answer),
    /// The connect a lookup answered at once began.
    Connect(crate::runtime::BoxFuture<(net_core::IoInput, Option<Rt::Stream>)>),
}

/// A socket's `onread`: the buffer and the callback.
pub(crate) struct OnRead {
    buffer: net_core::OnReadBuffer,
    callback: OnReadFn,
}

/// An `onread` callback: the bytes read, in the user's buffer; `false` pauses.
type OnReadFn = Box<dyn FnMut(&mut [u8]) -> bool + Send>;

/// Offer the queue to the kernel.
pub(crate) fn transmit<Rt: Runtime>(inner: &mut Inner<Rt>, now: Instant) {
    if let Some(stream) = inner.stream.clone() {
        driver::transmit(&mut inner.core, &*stream, now);
    }
}

/// [`Socket::next_event`]'s future. Dropped while it waits (a `select!` took another branch), it
/// takes its registration back, and hands reading back to the driver task if readability already
/// woke it: bytes are never left unread because the task that was to read them went elsewhere.
struct NextEvent<'a, Rt: Runtime> {
    socket: &'a Socket<Rt>,
    waiting: Option<u64>,
}

impl<Rt: Runtime> Future for NextEvent<'_, Rt> {
    type Output = Option<SocketEvent>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.socket.poll_event_as(cx, &mut this.waiting)
    }
}

impl<Rt: Runtime> Drop for NextEvent<'_, Rt> {
    fn drop(&mut self) {
        let Some(id) = self.waiting else { return };
        let mut inner = self.socket.shared.lock();
        if inner.event_waiter.cancel(id) {
            self.socket.shared.wake_driver(&mut inner);
        }
    }
}

/// The user's task's turn on the socket, for [`driver::poll_user_event`].
struct UserTurn<'a, Rt: Runtime> {
    inner: &'a mut Inner<Rt>,
    shared: &'a Arc<Shared<Rt>>,
}

impl<Rt: Runtime> driver::UserSide for UserTurn<'_, Rt> {
    fn core(&mut self) -> &mut net_core::Socket {
        &mut self.inner.core
    }

    fn read_if_ready(&mut self, now: Instant) -> bool {
        read_if_ready(self.inner, &self.shared.read_waker, now)
    }

    fn pump_command(&mut self, now: Instant) {
        pump_at(self.inner, self.shared, now);
    }
}

/// What [`Socket::write`] answered: Node's boolean, or awaited, `io::Result<usize>`.
pub type Write<'a, Rt> = net_core::io_view::Write<'a, Socket<Rt>>;

impl<Rt: Runtime> net_core::io_view::WaitWrite for Socket<Rt> {
    fn poll_write_done(
        &self,
        cx: &mut Context<'_>,
        accepted: bool,
        refused: bool,
        len: usize,
    ) -> Poll<io::Result<usize>> {
        let mut inner = self.shared.lock();
        let ready = net_core::io_view::poll_write_done(&inner.core, accepted, refused, len);
        if ready.is_pending() {
            inner.write_waiters.register(cx.waker());
        }
        ready
    }
}

impl<Rt: Runtime> Socket<Rt> {
    net_core::inherent_socket_handle!();
}

impl<Rt: Runtime> SocketHandle for Socket<Rt> {
    fn with_core<R>(&self, f: impl FnOnce(&mut net_core::Socket, Instant) -> R) -> R {
        let now = self.shared.rt.now();
        self.with_at(now, |inner| f(&mut inner.core, now))
    }

    fn inspect<R>(&self, f: impl FnOnce(&net_core::Socket) -> R) -> R {
        f(&self.shared.lock().core)
    }
}
