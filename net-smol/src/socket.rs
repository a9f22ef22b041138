//! `Socket`: a net-core socket driven over an async-io TCP or Unix stream.
//!
//! The same shape as net-tokio: commands run inline on the core behind a mutex (a `write` is
//! offered to the kernel before it answers), a driver task per socket (spawned the first time it
//! is needed) waits for readiness, the timer, lookups and connects, and events are pulled from
//! the core by the user, whose pulls also run Node's next-tick work and carry out its outputs.
//!
//! Reading is handed over as in net-tokio: while the user's task waits for an event, readability
//! wakes that task and it reads in its own turn; otherwise the driver task reads. Both register
//! the same waker with async-io, [`ReadWake`], which decides at wake time.

use std::future::{Future, poll_fn};
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use async_io::{Async, Timer};
use bytes::Bytes;
use net_core::{Chunk, SocketHandle, driver};
use net_core::{ConnectOptions, Endpoint, IoInput, NetError, SocketAction, SocketEvent, SocketOptions};

use crate::server::ServerLink;
use crate::spawn::Spawner;
use crate::stream::Stream;

pub(crate) struct Inner {
    pub(crate) core: net_core::Socket,
    stream: Option<Arc<Stream>>,
    jobs: Vec<SocketAction>,
    /// A Unix-socket connect(2) made in the command's pump (Node's `uv_pipe_connect` connects
    /// inside `connect()`), for the driver task to finish; `None` inside: it would block, so the
    /// task connects as for TCP.
    ipc_started: Option<io::Result<Option<UnixStream>>>,
    /// The user's task waiting in `next_event` or `poll_read`: it is woken to read.
    event_waiter: driver::EventWaiter,
    /// Every task waiting for write progress, on any clone (`drained`, `AsyncWrite`).
    write_waiters: driver::WriteWaiters,
    driver_waker: Option<Waker>,
    server: Option<ServerLink>,
    closed: bool,
    pending_read: Bytes,
    /// What the driver task waits for: a command wakes it only if that changed.
    waiting: driver::Interest,
    /// The last read found the kernel empty, or none was made yet: wait for readability before
    /// reading (async-io does not track readiness between waits). Starting blocked means the
    /// first read waits for the reactor to report the descriptor, as libuv reads only in its
    /// poll phase: bytes already queued in the kernel do not overtake next-tick work and
    /// callbacks of another socket.
    read_blocked: bool,
    /// The driver task was spawned. It is spawned the first time the socket needs it: an
    /// accepted socket whose user reads in its own task and writes what the kernel takes at once
    /// may never need one.
    driver_started: bool,
}

pub(crate) struct Shared {
    inner: Mutex<Inner>,
    /// Where the driver task is spawned when it is first needed.
    spawner: Spawner,
    /// The only waker ever registered for readability ([`ReadWake`]).
    read_waker: Waker,
    /// The last user handle was dropped while the lock was held (a `Server` dropped inside
    /// this socket's own `connection_closed` drops the sockets it still queued): whoever
    /// releases the lock carries the drop out ([`Locked`]), so it never waits for a lock its
    /// own thread holds.
    last_dropped: AtomicBool,
    /// This socket, for carrying out a flagged drop from [`Locked`]'s drop.
    me: Weak<Self>,
    span: tracing::Span,
}

/// The socket's lock. Releasing it carries out a last-handle drop that came while it was held.
pub(crate) struct Locked<'a> {
    guard: Option<MutexGuard<'a, Inner>>,
    shared: &'a Shared,
}

impl std::ops::Deref for Locked<'_> {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        self.guard.as_ref().expect("held until dropped")
    }
}

impl std::ops::DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut Inner {
        self.guard.as_mut().expect("held until dropped")
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        // Pairs with the fence in `LastHandle::drop`.
        fence(Ordering::SeqCst);
        if self.shared.last_dropped.load(Ordering::SeqCst) {
            if let Some(shared) = self.shared.me.upgrade() {
                shared.hand_on();
            }
        }
    }
}

impl Shared {
    fn lock(&self) -> Locked<'_> {
        Locked { guard: Some(self.inner.lock().unwrap_or_else(|e| e.into_inner())), shared: self }
    }

    /// Carry out a flagged last-handle drop if the lock can be had now; if not, its holder
    /// does it when it releases the lock.
    fn hand_on(self: &Arc<Self>) {
        let guard = match self.inner.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(e)) => e.into_inner(),
            Err(TryLockError::WouldBlock) => return,
        };
        let mut inner = Locked { guard: Some(guard), shared: self };
        if self.last_dropped.swap(false, Ordering::SeqCst) {
            let _span = self.span.enter();
            let now = Instant::now();
            net_core::io_view::last_handle_dropped(&mut inner.core, now);
            pump_at(&mut inner, self, now);
            // The driver task carries on (flushing, the FIN, timers) until the socket is destroyed.
            self.wake_driver(&mut inner);
        }
    }

    /// Have the driver task take a turn, spawning it if it never ran (and there is anything
    /// left for it to do).
    fn wake_driver(self: &Arc<Self>, inner: &mut Inner) {
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
            self.spawner.spawn(Driver::new(Arc::clone(self)));
        }
    }
}

/// Readability wakes the task that will read: the user's, when it waits for an event (it reads
/// in [`Socket::poll_next_event`]), or else the driver task. Exactly one task is woken per
/// readiness event.
struct ReadWake(Weak<Shared>);

impl std::task::Wake for ReadWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let Some(shared) = self.0.upgrade() else { return };
        let mut inner = shared.lock();
        match inner.event_waiter.take() {
            Some(w) => {
                drop(inner);
                w.wake();
            }
            None => shared.wake_driver(&mut inner),
        }
    }
}

/// A Node `net.Socket` on smol.
///
/// Commands and getters follow Node's names; events come from [`Socket::next_event`]. The socket
/// is also a `futures_io::AsyncRead + AsyncWrite`, so codecs, TLS and HTTP crates work on top,
/// with a `TcpStream`'s habits ([`net_core::io_view`]):
///
/// * reading through `AsyncRead` turns `allowHalfOpen` on: EOF from the peer does not end our
///   side, which stays writable until `poll_close` (Node's `end()`, ready once the FIN is out);
/// * `poll_flush` and `poll_close` fail with the error the socket died of;
/// * errors are `io::Error`s of the nearest kind, with the [`NetError`] inside (`get_ref()`);
/// * clones share one socket, and every task waiting to write on any clone is woken;
/// * dropping the last clone is Node's `destroySoon()`: queued bytes are flushed, the FIN
///   follows, and the descriptor is released (and the server's count drops) without waiting for
///   the peer.
#[derive(Clone)]
pub struct Socket {
    shared: Arc<Shared>,
    /// Dropped with the last clone: closes the socket (the driver task holds `shared` too).
    _last: Arc<LastHandle>,
}

/// The users' share of a socket; its drop is the last user handle going away.
struct LastHandle(Arc<Shared>);

impl Drop for LastHandle {
    fn drop(&mut self) {
        // Flag first, then try the lock: this thread may hold it (see `Shared::last_dropped`).
        self.0.last_dropped.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        self.0.hand_on();
    }
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket").field("ready_state", &self.ready_state()).finish()
    }
}

/// `net.connect(port, host)`.
pub fn connect(port: u16, host: &str) -> Socket {
    Socket::connect_with(ConnectOptions::new(host, port), SocketOptions::default())
}

/// `net.connect(path)`.
pub fn connect_path(path: impl Into<std::path::PathBuf>) -> Socket {
    connect_path_with(path, SocketOptions::default())
}

/// `net.connect({path, ...options})`: a Unix-domain socket with these socket options.
pub fn connect_path_with(path: impl Into<std::path::PathBuf>, opts: SocketOptions) -> Socket {
    let sock =
        Socket::from_core(net_core::Socket::new(opts, Instant::now()), None, None, &Spawner::current());
    sock.with(|inner| {
        let _ = inner.core.connect(Endpoint::Ipc(path.into()));
    });
    sock
}

impl Socket {
    /// `net.connect(options)`: by name (lookup, happy eyeballs) or address.
    pub fn connect_with(connect: ConnectOptions, opts: SocketOptions) -> Self {
        let sock =
            Self::from_core(net_core::Socket::new(opts, Instant::now()), None, None, &Spawner::current());
        sock.with(|inner| {
            let _ = inner.core.connect_with(connect);
        });
        sock
    }

    /// Adopt a connected std `TcpStream` (Node's `new net.Socket({ fd })`, e.g. socket
    /// activation): a connected socket with `options`, as an accepted one is (no `connect`).
    /// An async-io `Async<TcpStream>` comes in through its `into_inner()`.
    pub fn from_std(stream: TcpStream, options: SocketOptions) -> io::Result<Self> {
        Ok(Self::adopt(Stream::Tcp(Async::new(stream)?), options, false))
    }

    /// Adopt a connected std `UnixStream`, as [`Socket::from_std`] does.
    pub fn from_std_unix(stream: UnixStream, options: SocketOptions) -> io::Result<Self> {
        Ok(Self::adopt(Stream::Unix(Async::new(stream)?), options, true))
    }

    fn adopt(stream: Stream, options: SocketOptions, ipc: bool) -> Self {
        let core = net_core::Socket::accepted(options, stream.info(), ipc, Instant::now());
        let sock = Self::from_core(core, Some(stream), None, &Spawner::current());
        sock.start();
        sock
    }

    pub(crate) fn from_core(
        core: net_core::Socket,
        stream: Option<Stream>,
        server: Option<ServerLink>,
        spawner: &Spawner,
    ) -> Self {
        // The core's copy: asking the kernel again (getpeername) per connection costs a syscall.
        // Not `remote_address()`: Node's getter caches what it read, and a span label must not
        // change what `remoteAddress` answers after close.
        let remote = core.peer_for_logs();
        let span = tracing::debug_span!("net_socket", remote = ?remote);
        // A timer or next-tick work already owed needs the driver task now; otherwise it starts
        // when first needed ([`Shared::wake_driver`]).
        let driver_now = driver::Interest::needed_at_start(&core);
        let waiting = driver::Interest::of(&core);
        let shared = Arc::new_cyclic(|weak| Shared {
            inner: Mutex::new(Inner {
                core,
                stream: stream.map(Arc::new),
                jobs: Vec::new(),
                ipc_started: None,
                event_waiter: driver::EventWaiter::default(),
                write_waiters: driver::WriteWaiters::default(),
                driver_waker: None,
                server,
                closed: false,
                pending_read: Bytes::new(),
                waiting,
                read_blocked: true,
                driver_started: false,
            }),
            spawner: spawner.clone(),
            read_waker: Waker::from(Arc::new(ReadWake(weak.clone()))),
            last_dropped: AtomicBool::new(false),
            me: weak.clone(),
            span,
        });
        if driver_now {
            shared.wake_driver(&mut shared.lock());
        }
        Self { _last: Arc::new(LastHandle(Arc::clone(&shared))), shared }
    }

    /// An accepted socket's first step, taken once the server's lock is released (a reset read
    /// here closes the socket, which tells the server): readability is watched from the start,
    /// so that bytes are read even if the user never waits for an event. What the socket already
    /// holds is read now (it waits as a `data` event), and readability registers [`ReadWake`];
    /// the socket options are applied.
    pub(crate) fn start(&self) {
        let now = Instant::now();
        let mut inner = self.shared.lock();
        while read_if_ready(&mut inner, &self.shared.read_waker, now) {}
        pump_at(&mut inner, &self.shared, now);
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        self.with_at(Instant::now(), f)
    }

    /// [`Socket::with`] at a time the caller read: the core dates the command by it.
    fn with_at<R>(&self, now: Instant, f: impl FnOnce(&mut Inner) -> R) -> R {
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

    /// Poll for the next event, for code that writes its own futures; `None` after `close`.
    ///
    /// When no event is queued, bytes the kernel holds are read here, in the caller's task.
    /// `Pending` registers the caller's waker until an event comes or readability wakes it, and
    /// the caller is expected to poll again then (the contract of `AsyncRead::poll_read`): while
    /// it does not, this socket's bytes wait in the kernel (nothing is lost; at most
    /// `readableHighWaterMark` bytes would have been read ahead anyway). [`Socket::next_event`]'s
    /// future has no such duty: dropped while it waits, it hands reading back to the socket's
    /// own task.
    pub fn poll_next_event(&self, cx: &mut Context<'_>) -> Poll<Option<SocketEvent>> {
        self.poll_event_as(cx, &mut None)
    }

    /// [`Socket::poll_next_event`], noting in `waiting` which registration a `Pending` left.
    fn poll_event_as(&self, cx: &mut Context<'_>, waiting: &mut Option<u64>) -> Poll<Option<SocketEvent>> {
        let mut inner = self.shared.lock();
        // After `close`, only the callbacks of calls made since (Node still runs them).
        if inner.closed && !inner.core.has_event() {
            // Asked again: the `close` listeners returned (the core settles what Node does then).
            let _ = inner.core.poll_event();
            *waiting = None;
            return Poll::Ready(None);
        }
        // One clock read for the whole poll, as libuv reads it once per loop turn.
        let now = Instant::now();
        match driver::poll_user_event(&mut UserTurn { inner: &mut inner, shared: &self.shared }, now) {
            driver::UserPoll::Event(ev) => {
                if matches!(ev, SocketEvent::Close { .. }) {
                    inner.closed = true;
                }
                *waiting = None;
                return Poll::Ready(Some(ev));
            }
            driver::UserPoll::Wait => {}
        }
        *waiting = Some(inner.event_waiter.park(cx.waker()));
        Poll::Pending
    }

    /// `socket.write(data)`: queued and offered to the kernel at once, as in Node. The answer
    /// is Node's boolean (`if !socket.write(data) { socket.drained().await }`), and, awaited,
    /// Rust's habit: `Ok(len)` once there is room again, or the socket's failure
    /// ([`net_core::io_view::Write`]).
    pub fn write(&self, data: impl Chunk) -> Write<'_> {
        let data = data.into_bytes();
        let len = data.len();
        let _span = self.shared.span.enter();
        let mut inner = self.shared.lock();
        let now = Instant::now();
        inner.core.set_now(now);
        let refused = !inner.core.writable();
        let pending = inner.core.write(data);
        if let Some(stream) = inner.stream.clone() {
            driver::transmit(&mut inner.core, &*stream, now);
        }
        let accepted = inner.core.settle(pending);
        pump_at(&mut inner, &self.shared, now);
        Write::new(self, accepted, refused, len)
    }

    /// Wait until a `write` that returned `false` is drained (Node's `drain`), or the socket is gone.
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

/// [`Socket::next_event`]'s future. Dropped while it waits (a `select!` took another branch), it
/// takes its registration back, and hands reading back to the driver task if readability already
/// woke it: bytes are never left unread because the task that was to read them went elsewhere.
struct NextEvent<'a> {
    socket: &'a Socket,
    waiting: Option<u64>,
}

impl Future for NextEvent<'_> {
    type Output = Option<SocketEvent>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.socket.poll_event_as(cx, &mut this.waiting)
    }
}

impl Drop for NextEvent<'_> {
    fn drop(&mut self) {
        let Some(id) = self.waiting else { return };
        let mut inner = self.socket.shared.lock();
        if inner.event_waiter.cancel(id) {
            self.socket.shared.wake_driver(&mut inner);
        }
    }
}

/// The user's task's turn on the socket, for [`driver::poll_user_event`].
struct UserTurn<'a> {
    inner: &'a mut Inner,
    shared: &'a Arc<Shared>,
}

impl driver::UserSide for UserTurn<'_> {
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

/// If the socket wants bytes and the kernel may have some, read them and answer `true`;
/// otherwise leave [`ReadWake`] registered for readability.
fn read_if_ready(inner: &mut Inner, read_waker: &Waker, now: Instant) -> bool {
    if !inner.core.wants_read() {
        return false;
    }
    let Some(stream) = inner.stream.clone() else { return false };
    if inner.read_blocked {
        match stream.poll_readable(&mut Context::from_waker(read_waker)) {
            Poll::Ready(Ok(())) => inner.read_blocked = false,
            Poll::Ready(Err(_)) | Poll::Pending => return false,
        }
    }
    // A short read counts as drained even after a FIN: async-io re-arms its one-shot
    // registration on the next wait, and the kernel reports at once whatever (bytes or EOF) is
    // already queued.
    inner.read_blocked = driver::with_thread_read_buf(|buf| {
        driver::read_ready_until_short(&mut inner.core, &*stream, buf, now)
    });
    true
}

/// What [`Socket::write`] answered: Node's boolean, or awaited, `io::Result<usize>`.
pub type Write<'a> = net_core::io_view::Write<'a, Socket>;

impl net_core::io_view::WaitWrite for Socket {
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

impl Socket {
    net_core::inherent_socket_handle!();
}

impl SocketHandle for Socket {
    fn with_core<R>(&self, f: impl FnOnce(&mut net_core::Socket, Instant) -> R) -> R {
        let now = Instant::now();
        self.with_at(now, |inner| f(&mut inner.core, now))
    }

    fn inspect<R>(&self, f: impl FnOnce(&net_core::Socket) -> R) -> R {
        f(&self.shared.lock().core)
    }
}

/// Carry out the core's outputs, then wake whoever waits on the socket.
/// After a user's command or event pull: carry out what needs no waiting, leave next-tick work
/// to the driver, and wake it.
pub(crate) fn pump(inner: &mut Inner, shared: &Arc<Shared>) {
    pump_at(inner, shared, Instant::now());
}

/// [`pump`] with the time the caller already read.
fn pump_at(inner: &mut Inner, shared: &Arc<Shared>, now: Instant) {
    pump_turn(inner, Some(shared), now);
}

/// `driver_turn`: run next-tick work too ([`driver::pump`]), and do not wake the driver, which
/// is the one running.
fn pump_turn(inner: &mut Inner, command: Option<&Arc<Shared>>, now: Instant) {
    let driver_turn = command.is_none();
    let out = if driver_turn {
        driver::pump(&mut inner.core, inner.stream.as_deref(), now)
    } else {
        driver::pump_command(&mut inner.core, inner.stream.as_deref(), now)
    };
    if out.close {
        tracing::debug!(reset = out.reset, "close");
        inner.stream = None;
    }
    if !out.jobs.is_empty() {
        for job in &out.jobs {
            if let SocketAction::Connect { to: Endpoint::Ipc(path), .. } = job {
                inner.ipc_started = Some(crate::stream::connect_unix_now(path));
            }
        }
        inner.jobs.extend(out.jobs);
    }
    if inner.core.destroyed() {
        if let Some(link) = inner.server.take() {
            link.connection_closed();
        }
    }
    if let Some(w) = inner.event_waiter.take_if_due(&inner.core) {
        w.wake();
    }
    // Waiters on the queue (`drained`, `AsyncWrite`) re-check their own condition.
    if !inner.write_waiters.is_empty() && net_core::io_view::write_waiters_may_proceed(&inner.core) {
        inner.write_waiters.wake_all();
    }
    if let Some(shared) = command {
        if !inner.jobs.is_empty() || inner.waiting.stale(&inner.core) {
            shared.wake_driver(inner);
        }
    }
}

type Pending<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The driver task, as one future polled by smol: each source (lookup, connect, readability,
/// writability, the timer) is polled in turn until none makes progress.
struct Driver {
    shared: Arc<Shared>,
    lookup: Option<Pending<IoInput>>,
    connecting: Option<Pending<(IoInput, Option<Stream>)>>,
    timer: Timer,
    deadline: Option<Instant>,
}

impl Driver {
    fn new(shared: Arc<Shared>) -> Self {
        Self { shared, lookup: None, connecting: None, timer: Timer::never(), deadline: None }
    }
}

impl Future for Driver {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let shared = Arc::clone(&this.shared);
        let _span = shared.span.enter();
        loop {
            let mut inner = shared.lock();
            if !inner.driver_waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                inner.driver_waker = Some(cx.waker().clone());
            }
            let now = Instant::now();
            pump_turn(&mut inner, None, now);
            // Nobody waits for events: nothing is owed to a listener (Node with none).
            if !inner.event_waiter.is_watched() && inner.core.unwatched() {
                pump_turn(&mut inner, None, now);
            }
            for job in std::mem::take(&mut inner.jobs) {
                match job {
                    SocketAction::Lookup { host, family, .. } => {
                        this.lookup = Some(Box::pin(async move {
                            let found = async_net_resolve(&host).await;
                            driver::lookup_answer(found, &host, family)
                        }));
                    }
                    SocketAction::Connect { to, local } => {
                        let started = inner.ipc_started.take();
                        this.connecting = Some(Box::pin(open(to, local, started)));
                    }
                    SocketAction::CancelConnect => this.connecting = None,
                    _ => {}
                }
            }
            if inner.core.destroyed() && inner.stream.is_none() {
                return Poll::Ready(());
            }
            let mut progress = false;
            if let Some(f) = this.lookup.as_mut() {
                if let Poll::Ready(input) = f.as_mut().poll(cx) {
                    this.lookup = None;
                    inner.core.handle_io(Instant::now(), input);
                    progress = true;
                }
            }
            if let Some(f) = this.connecting.as_mut() {
                if let Poll::Ready((input, stream)) = f.as_mut().poll(cx) {
                    this.connecting = None;
                    if !inner.core.destroyed() {
                        inner.stream = stream.map(Arc::new);
                    }
                    inner.core.handle_io(Instant::now(), input);
                    // The loop's top pumps first: the writes queued while connecting go out
                    // before the socket's readability is looked at (`drain` before a waiting FIN).
                    continue;
                }
            }
            if let Some(stream) = inner.stream.clone() {
                if read_if_ready(&mut inner, &shared.read_waker, now) {
                    progress = true;
                }
                if inner.core.wants_write() && stream.poll_writable(cx).is_ready() {
                    driver::transmit(&mut inner.core, &*stream, Instant::now());
                    progress = true;
                }
            }
            let deadline = inner.core.poll_timeout();
            if deadline != this.deadline {
                this.deadline = deadline;
                match deadline {
                    Some(at) => this.timer.set_at(at),
                    None => this.timer = Timer::never(),
                }
            }
            if deadline.is_some() && Pin::new(&mut this.timer).poll(cx).is_ready() {
                inner.core.handle_timeout(Instant::now());
                this.deadline = None;
                progress = true;
            }
            if progress {
                continue; // the loop's top pumps
            }
            inner.waiting = driver::Interest::of(&inner.core);
            return Poll::Pending;
        }
    }
}

async fn async_net_resolve(host: &str) -> io::Result<Vec<SocketAddr>> {
    let host = host.to_owned();
    smol::unblock(move || {
        std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), 0)).map(Iterator::collect)
    })
    .await
}

/// Open a connection, bound first if asked.
/// The outcome of a Unix-socket connect(2) that returned at once: the listener may have gone
/// before accepting it (its backlog is reset: SO_ERROR is ECONNRESET, as Node reports).
async fn finish_unix_connect(std: UnixStream) -> io::Result<Async<UnixStream>> {
    let stream = Async::new(std)?;
    stream.writable().await?;
    match stream.get_ref().take_error()? {
        Some(e) => Err(e),
        None => Ok(stream),
    }
}

async fn open(
    to: Endpoint,
    local: Option<SocketAddr>,
    ipc_started: Option<io::Result<Option<UnixStream>>>,
) -> (IoInput, Option<Stream>) {
    let result = match &to {
        Endpoint::Tcp(addr) => connect_tcp(*addr, local).await.map(Stream::Tcp),
        Endpoint::Ipc(path) => match ipc_started {
            Some(Ok(Some(std))) => finish_unix_connect(std).await.map(Stream::Unix),
            Some(Err(e)) => Err(e),
            Some(Ok(None)) | None => Async::<UnixStream>::connect(path).await.map(Stream::Unix),
        },
    };
    match result {
        Ok(stream) => (IoInput::Connected(stream.info()), Some(stream)),
        Err(e) => (driver::connect_failed(&e, &to, local), None),
    }
}

async fn connect_tcp(addr: SocketAddr, local: Option<SocketAddr>) -> io::Result<Async<TcpStream>> {
    let Some(local) = local else { return Async::<TcpStream>::connect(addr).await };
    let socket = socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::STREAM, None)?;
    // libuv binds with SO_REUSEADDR: a local port in TIME_WAIT can be reused.
    socket.set_reuse_address(true)?;
    socket.bind(&local.into()).map_err(driver::BindFailed::wrap)?;
    socket.set_nonblocking(true)?;
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) || e.kind() == io::ErrorKind::WouldBlock => {}
        Err(e) => return Err(e),
    }
    let stream = Async::new(TcpStream::from(socket))?;
    stream.writable().await?;
    match stream.get_ref().take_error()? {
        Some(e) => Err(e),
        None => Ok(stream),
    }
}

// futures-io AsyncRead / AsyncWrite over the same core.

impl futures_io_impls::AsyncRead for Socket {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut [u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        {
            let mut inner = this.shared.lock();
            net_core::io_view::take_read_view(&mut inner.core);
            // Nothing waits to be handed out first: read from the kernel straight into the
            // caller's buffer, with no `data` event between (one copy, no allocation).
            if inner.pending_read.is_empty() && !out.is_empty() && inner.core.can_read_direct() {
                if let Some(stream) = inner.stream.clone() {
                    let ready = !inner.read_blocked
                        || stream.poll_readable(&mut Context::from_waker(&this.shared.read_waker)).is_ready();
                    if ready {
                        inner.read_blocked = false;
                        let now = Instant::now();
                        let mut short = false;
                        let got = net_core::io_view::read_direct(&mut inner.core, now, || {
                            let r = driver::Transport::try_read(&*stream, out);
                            short = matches!(r, Ok(n) if n < out.len()) || r.is_err();
                            r
                        });
                        // As in `read_if_ready`: a short read (or WouldBlock) drained the kernel.
                        inner.read_blocked = short;
                        if let Some(n) = got {
                            pump_at(&mut inner, &this.shared, now);
                            return Poll::Ready(Ok(n));
                        }
                    }
                }
            }
        }
        loop {
            {
                let mut inner = this.shared.lock();
                if !inner.pending_read.is_empty() {
                    let n = inner.pending_read.len().min(out.len());
                    out[..n].copy_from_slice(&inner.pending_read.split_to(n));
                    return Poll::Ready(Ok(n));
                }
            }
            match this.poll_next_event(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(Ok(0)),
                Poll::Ready(Some(SocketEvent::End)) => {
                    // EOF for the reader, who may never poll again: run the owed next-tick work now.
                    let mut inner = this.shared.lock();
                    inner.core.handled(Instant::now());
                    pump(&mut inner, &this.shared);
                    return Poll::Ready(Ok(0));
                }
                Poll::Ready(Some(SocketEvent::Data(d))) => this.shared.lock().pending_read = d,
                Poll::Ready(Some(SocketEvent::Error(e))) => return Poll::Ready(Err(e.into())),
                Poll::Ready(Some(_)) => {}
            }
        }
    }
}

impl futures_io_impls::AsyncWrite for Socket {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let mut inner = this.shared.lock();
        if inner.core.destroyed() {
            let err = inner.core.errored().cloned().unwrap_or_else(NetError::stream_destroyed);
            return Poll::Ready(Err(err.into()));
        }
        if !inner.core.has_write_room() {
            inner.write_waiters.register(cx.waker());
            return Poll::Pending;
        }
        let now = Instant::now();
        inner.core.set_now(now);
        let pending = inner.core.write(Bytes::copy_from_slice(buf));
        if let Some(stream) = inner.stream.clone() {
            driver::transmit(&mut inner.core, &*stream, now);
        }
        let _ = inner.core.settle(pending);
        if inner.core.destroyed() {
            // Refused (after end, or after the peer's end without half-open): the bytes are lost,
            // so the writer must hear it.
            let err = inner.core.errored().cloned().unwrap_or_else(NetError::stream_destroyed);
            pump(&mut inner, &this.shared);
            return Poll::Ready(Err(err.into()));
        }
        pump(&mut inner, &this.shared);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut inner = self.shared.lock();
        let ready = net_core::io_view::poll_flush(&inner.core);
        if ready.is_pending() {
            inner.write_waiters.register(cx.waker());
        }
        ready
    }

    /// Node's `end()`; ready once the FIN is out, or failed with what the socket died of.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // `end()` (once) and its outputs first; registering before that pump would have the
        // pump wake this very task at once, and the task would spin until the FIN is out.
        let ready = self.with(|inner| net_core::io_view::poll_shutdown(&mut inner.core));
        if ready.is_ready() {
            return ready;
        }
        let mut inner = self.shared.lock();
        // Checked again under the lock that registers: a FIN that went out in between is seen.
        let ready = net_core::io_view::poll_shutdown(&mut inner.core);
        if ready.is_pending() {
            inner.write_waiters.register(cx.waker());
        }
        ready
    }
}

mod futures_io_impls {
    pub(crate) use smol::io::{AsyncRead, AsyncWrite};
}
