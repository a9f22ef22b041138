//! `Socket`: a net-core socket driven over a tokio TCP or Unix stream.
//!
//! The user's handle and a driver task share the core behind a mutex. Commands run inline
//! (a `write` queues in the core and is offered to the kernel at once, as libuv does); the
//! driver task waits for readiness, timers, lookups and connects, and feeds the results in. It is
//! spawned the first time the socket needs it: an accepted socket whose user reads in its own task
//! and whose writes the kernel takes whole may never start one.
//! Events are pulled from the core by the user ([`Socket::next_event`] or `AsyncRead`), so the
//! core's "next tick" work (`ready`, the automatic end, the FIN after `end()`) runs after the
//! user handled the event: when the user pulls the next one, or in the driver task's next turn.
//!
//! Reading is handed over: while the user's task waits for an event, readability wakes that task
//! and it reads in its own turn (one task poll per message); otherwise the driver task reads.
//! tokio keeps one readiness waker per direction, so both register the same waker, [`ReadWake`],
//! which decides at wake time.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::Bytes;
use net_core::{Chunk, SocketHandle, driver};
use net_core::{
    ConnectOptions, Endpoint, Family, IoInput, NetError, SocketAction, SocketEvent, SocketOptions,
};
use tokio::net::{TcpSocket, UnixStream};
use tokio::sync::Notify;

use crate::server::ServerLink;
use crate::stream::Stream;

pub(crate) struct Inner {
    pub(crate) core: net_core::Socket,
    stream: Option<Arc<Stream>>,
    /// Lookups and connects for the driver task.
    jobs: Vec<SocketAction>,
    /// A Unix-socket connect(2) made in the command's pump (Node's `uv_pipe_connect` connects
    /// inside `connect()`), for the driver task to finish; `None` inside: it would block, so the
    /// task connects as for TCP.
    ipc_started: Option<io::Result<Option<std::os::unix::net::UnixStream>>>,
    /// The user's task waiting in `next_event` or `poll_read`: it is woken to read.
    event_waiter: driver::EventWaiter,
    /// Every task waiting for write progress, on any clone (`drained`, `AsyncWrite`).
    write_waiters: driver::WriteWaiters,
    /// The accepting server, told when this socket is destroyed.
    server: Option<ServerLink>,
    /// A `close` event was handed out: nothing more will come.
    closed: bool,
    /// Bytes of a `data` event not yet taken by `AsyncRead`.
    pending_read: Bytes,
    /// What the driver task waits for: a command wakes it only if that changed.
    waiting: driver::Interest,
    /// The driver task was spawned. It is spawned the first time the socket needs it: an
    /// accepted socket whose user reads in its own task and writes what the kernel takes at once
    /// may never need one.
    driver_started: bool,
}

pub(crate) struct Shared {
    inner: Mutex<Inner>,
    driver: Notify,
    /// Where the driver task is spawned when it is first needed.
    rt: tokio::runtime::Handle,
    /// The only waker ever registered for readability ([`ReadWake`]).
    read_waker: Waker,
    /// Readability woke [`ReadWake`] while the lock was held. tokio can do that from inside a
    /// readiness poll made under the lock (a task out of coop budget on a thread without a
    /// scheduler, e.g. `block_on`, is woken at once): the wake-up cannot take the lock then, so
    /// whoever releases it hands the wake-up on ([`Locked`]'s drop). Never lost, never a
    /// self-deadlock.
    read_woken: AtomicBool,
    /// The last user handle was dropped while the lock was held (a `Server` dropped inside
    /// this socket's own `connection_closed` drops the sockets it still queued): handed on the
    /// same way, so the drop never waits for a lock its own thread holds.
    last_dropped: AtomicBool,
    /// This socket, for handing on a wake-up from [`Locked`]'s drop.
    me: Weak<Self>,
    /// `net_socket{id, remote}`: every trace of this socket sits under it.
    span: tracing::Span,
}

/// The socket's lock. Releasing it hands on a readability wake-up that came while it was held.
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
        // Pairs with the fence in `ReadWake::wake_by_ref`: either this load sees the flag, or
        // that side's `try_lock` sees the lock free (the unlock and the failed `try_lock` alone
        // would not order the two).
        fence(Ordering::SeqCst);
        if self.shared.read_woken.load(Ordering::SeqCst) || self.shared.last_dropped.load(Ordering::SeqCst) {
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

    /// Carry out what was flagged ([`ReadWake`]'s wake-up, the last handle's drop) if the lock
    /// can be had now; if not, its holder does it when it releases the lock.
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
        if !self.read_woken.swap(false, Ordering::SeqCst) {
            return;
        }
        match inner.event_waiter.take() {
            Some(w) => {
                drop(inner);
                w.wake();
            }
            None => self.wake_driver(&mut inner),
        }
    }

    /// Have the driver task take a turn, spawning it if it never ran (and there is anything
    /// left for it to do).
    fn wake_driver(self: &Arc<Self>, inner: &mut Inner) {
        if inner.driver_started {
            self.driver.notify_one();
        } else if driver::Interest::worth_starting(
            &inner.core,
            inner.stream.is_some(),
            !inner.jobs.is_empty(),
        ) {
            inner.driver_started = true;
            self.rt.spawn(tracing::Instrument::instrument(drive(Arc::clone(self)), self.span.clone()));
        }
    }
}

/// Readability wakes the task that will read: the user's, when it waits for an event (it reads
/// in [`Socket::poll_next_event`]), or else the driver task. Exactly one task is woken per readiness
/// event, and the user's task reading inline saves the driver task's turn per message.
struct ReadWake(Weak<Shared>);

impl std::task::Wake for ReadWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let Some(shared) = self.0.upgrade() else { return };
        // Flag first, then try the lock: a holder that releases it after this sees the flag.
        shared.read_woken.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        shared.hand_on();
    }
}

/// A Node `net.Socket` on tokio.
///
/// Commands and getters follow Node's names; events come from [`Socket::next_event`]. The socket
/// is also an `AsyncRead + AsyncWrite`, so codecs, TLS and HTTP crates work on top, with a
/// `TcpStream`'s habits ([`net_core::io_view`]):
///
/// * reading through `AsyncRead` turns `allowHalfOpen` on: EOF from the peer does not end our
///   side, which stays writable until `poll_shutdown` (Node's `end()`, ready once the FIN is out);
/// * `poll_flush` and `poll_shutdown` fail with the error the socket died of;
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
        // Flag first, then try the lock, as for a read wake-up: this thread may hold it.
        self.0.last_dropped.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        self.0.hand_on();
    }
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.shared.lock();
        f.debug_struct("Socket").field("ready_state", &inner.core.ready_state()).finish()
    }
}

/// `net.connect(port, host)`: a socket connecting by name or address with Node's defaults.
///
/// # Panics
/// Outside a tokio runtime (the socket's IO is registered with the current runtime).
pub fn connect(port: u16, host: &str) -> Socket {
    Socket::connect_with(ConnectOptions::new(host, port), SocketOptions::default())
}

/// `net.connect(path)`: a socket connecting to a Unix-domain socket.
///
/// # Panics
/// Outside a tokio runtime (the socket's IO is registered with the current runtime).
pub fn connect_path(path: impl Into<std::path::PathBuf>) -> Socket {
    connect_path_with(path, SocketOptions::default())
}

/// `net.connect({path, ...options})`: a Unix-domain socket with these socket options.
///
/// # Panics
/// Outside a tokio runtime (the socket's IO is registered with the current runtime).
pub fn connect_path_with(path: impl Into<std::path::PathBuf>, opts: SocketOptions) -> Socket {
    let sock = Socket::from_core(net_core::Socket::new(opts, Instant::now()), None, None);
    sock.with(|inner| {
        let _ = inner.core.connect(Endpoint::Ipc(path.into()));
    });
    sock
}

impl Socket {
    /// `net.connect(options)`: connect by name (lookup, happy eyeballs) or address.
    ///
    /// # Panics
    /// Outside a tokio runtime (the socket's IO is registered with the current runtime).
    pub fn connect_with(connect: ConnectOptions, opts: SocketOptions) -> Self {
        let sock = Self::from_core(net_core::Socket::new(opts, Instant::now()), None, None);
        sock.with(|inner| {
            let _ = inner.core.connect_with(connect);
        });
        sock
    }

    /// Adopt a connected std `TcpStream` (Node's `new net.Socket({ fd })`, e.g. socket
    /// activation): a connected socket with `options`, as an accepted one is (no `connect`).
    /// A tokio `TcpStream` comes in through its `into_std()`.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn from_std(stream: std::net::TcpStream, options: SocketOptions) -> io::Result<Self> {
        stream.set_nonblocking(true)?;
        Ok(Self::adopt(Stream::Tcp(tokio::net::TcpStream::from_std(stream)?), options, false))
    }

    /// Adopt a connected std `UnixStream`, as [`Socket::from_std`] does.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn from_std_unix(stream: std::os::unix::net::UnixStream, options: SocketOptions) -> io::Result<Self> {
        stream.set_nonblocking(true)?;
        Ok(Self::adopt(Stream::Unix(UnixStream::from_std(stream)?), options, true))
    }

    fn adopt(stream: Stream, options: SocketOptions, ipc: bool) -> Self {
        let core = net_core::Socket::accepted(options, stream.info(), ipc, Instant::now());
        let sock = Self::from_core(core, Some(stream), None);
        sock.start();
        sock
    }

    pub(crate) fn from_core(
        core: net_core::Socket,
        stream: Option<Stream>,
        server: Option<ServerLink>,
    ) -> Self {
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
        let shared = Arc::new_cyclic(|weak| Shared {
            inner: Mutex::new(Inner {
                core,
                stream: stream.map(Arc::new),
                jobs: Vec::new(),
                ipc_started: None,
                event_waiter: driver::EventWaiter::default(),
                write_waiters: driver::WriteWaiters::default(),
                server,
                closed: false,
                pending_read: Bytes::new(),
                waiting,
                driver_started: false,
            }),
            driver: Notify::new(),
            rt: tokio::runtime::Handle::current(),
            read_waker: Waker::from(Arc::new(ReadWake(weak.clone()))),
            read_woken: AtomicBool::new(false),
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

    /// Run a command on the core, then carry out what it asked for.
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
    /// When no event is queued, bytes the kernel holds are read here, in the caller's task. Like
    /// tokio's own `poll_read_ready`, `Pending` registers the caller's waker until an event comes
    /// or readability wakes it, and the caller is expected to poll again then: while it does not,
    /// this socket's bytes wait in the kernel (nothing is lost; at most `readableHighWaterMark`
    /// bytes would have been read ahead anyway). [`Socket::next_event`]'s future has no such duty:
    /// dropped while it waits, it hands reading back to the socket's own task.
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

/// If the socket wants bytes and the kernel has some, read them and answer `true`; otherwise
/// leave [`ReadWake`] registered for readability.
fn read_if_ready(inner: &mut Inner, read_waker: &Waker, now: Instant) -> bool {
    if !inner.core.wants_read() {
        return false;
    }
    let Some(stream) = inner.stream.clone() else { return false };
    match stream.poll_read_ready(&mut Context::from_waker(read_waker)) {
        Poll::Ready(Ok(())) => {
            // tokio clears readiness on `WouldBlock` (and on a short read, see `Stream`) itself.
            let _ =
                driver::with_thread_read_buf(|buf| driver::read_ready(&mut inner.core, &*stream, buf, now));
            true
        }
        Poll::Ready(Err(_)) | Poll::Pending => false,
    }
}

fn transmit(inner: &mut Inner, now: Instant) {
    if let Some(stream) = inner.stream.clone() {
        driver::transmit(&mut inner.core, &*stream, now);
    }
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

/// Carry out everything the core asks for that can be done without waiting, and wake whoever
/// waits on the socket. Runs after every command and every input.
pub(crate) fn pump(inner: &mut Inner, shared: &Arc<Shared>) {
    pump_at(inner, shared, Instant::now());
}

/// [`pump`] with the time the caller already read.
fn pump_at(inner: &mut Inner, shared: &Arc<Shared>, now: Instant) {
    pump_turn(inner, Some(shared), now);
}

/// `driver` is `None` on the driver task's own turn: next-tick work runs too ([`driver::pump`]),
/// and nobody needs waking. After a user's command it is left for that turn.
fn pump_turn(inner: &mut Inner, driver: Option<&Arc<Shared>>, now: Instant) {
    let out = if driver.is_none() {
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
    if let Some(shared) = driver {
        if !inner.jobs.is_empty() || inner.waiting.stale(&inner.core) {
            shared.wake_driver(inner);
        }
    }
}

type Pending<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The driver task: waits for readiness, timers, lookups and connects, and feeds the core.
async fn drive(shared: Arc<Shared>) {
    let mut connected_stream: Option<Pending<(IoInput, Option<Stream>)>> = None;
    let mut lookup: Option<Pending<IoInput>> = None;
    // One registration with the Notify for as long as no command wakes the task, not one per
    // readiness event.
    let notified = shared.driver.notified();
    tokio::pin!(notified);
    loop {
        let (stream, wants_write, deadline, done) = {
            let mut inner = shared.lock();
            let now = Instant::now();
            loop {
                pump_turn(&mut inner, None, now);
                // Nobody waits for events: nothing is owed to a listener (Node with none).
                if !inner.event_waiter.is_watched() && inner.core.unwatched() {
                    continue;
                }
                if !read_if_ready(&mut inner, &shared.read_waker, now) {
                    break;
                }
            }
            for job in std::mem::take(&mut inner.jobs) {
                match job {
                    SocketAction::Lookup { host, family, .. } => {
                        lookup = Some(Box::pin(resolve(host, family)))
                    }
                    SocketAction::Connect { to, local } => {
                        let started = inner.ipc_started.take();
                        connected_stream = Some(Box::pin(open(to, local, started)));
                    }
                    SocketAction::CancelConnect => connected_stream = None,
                    _ => {}
                }
            }
            let done = inner.core.destroyed() && inner.stream.is_none();
            inner.waiting = driver::Interest::of(&inner.core);
            (
                // Only a weak reference waits: when the socket drops its stream, the descriptor
                // closes at once, as libuv's uv_close does (a peer writing right after our
                // destroy() must meet a closed socket, not one that resets later).
                inner.stream.as_ref().map(Arc::downgrade),
                inner.core.wants_write(),
                inner.core.poll_timeout(),
                done,
            )
        };
        if done {
            return;
        }
        let sleep = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        let writable = poll_fn(|cx| match stream.as_ref().and_then(Weak::upgrade) {
            Some(s) if wants_write => s.poll_write_ready(cx),
            _ => Poll::Pending,
        });
        let resolving = async {
            match lookup.as_mut() {
                Some(f) => f.await,
                None => std::future::pending().await,
            }
        };
        let opening = async {
            match connected_stream.as_mut() {
                Some(f) => f.await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            // In order, not at random: the branches are independent, and the random start costs.
            biased;
            // Each arm feeds its input; the loop's top reads what is readable and pumps
            // (transmit, next-tick work, wakes). Readability comes as a notification (`ReadWake`).
            () = &mut notified => notified.set(shared.driver.notified()),
            _ = writable => {}
            () = sleep => {
                let mut inner = shared.lock();
                inner.core.handle_timeout(Instant::now());
            }
            input = resolving => {
                lookup = None;
                let mut inner = shared.lock();
                inner.core.handle_io(Instant::now(), input);
            }
            (input, stream) = opening => {
                connected_stream = None;
                let mut inner = shared.lock();
                if !inner.core.destroyed() {
                    inner.stream = stream.map(Arc::new);
                }
                inner.core.handle_io(Instant::now(), input);
            }
        }
    }
}

async fn resolve(host: String, family: Option<Family>) -> IoInput {
    let found = tokio::net::lookup_host((host.as_str(), 0)).await;
    driver::lookup_answer(found, &host, family)
}

/// Open a connection, bound first if asked.
async fn open(
    to: Endpoint,
    local: Option<SocketAddr>,
    ipc_started: Option<io::Result<Option<std::os::unix::net::UnixStream>>>,
) -> (IoInput, Option<Stream>) {
    let result = match &to {
        Endpoint::Tcp(addr) => {
            async {
                let sock = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
                if let Some(local) = local {
                    // libuv binds with SO_REUSEADDR: a local port in TIME_WAIT can be reused.
                    sock.set_reuseaddr(true)?;
                    sock.bind(local).map_err(driver::BindFailed::wrap)?;
                }
                sock.connect(*addr).await.map(Stream::Tcp)
            }
            .await
        }
        Endpoint::Ipc(path) => match ipc_started {
            Some(Ok(Some(std))) => finish_unix_connect(std).await.map(Stream::Unix),
            Some(Err(e)) => Err(e),
            Some(Ok(None)) | None => UnixStream::connect(path).await.map(Stream::Unix),
        },
    };
    match result {
        Ok(stream) => (IoInput::Connected(stream.info()), Some(stream)),
        Err(e) => (driver::connect_failed(&e, &to, local), None),
    }
}

/// The outcome of a Unix-socket connect(2) that returned at once: the listener may have gone
/// before accepting it (its backlog is reset: SO_ERROR is ECONNRESET, as Node reports).
async fn finish_unix_connect(std: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
    let stream = UnixStream::from_std(std)?;
    stream.writable().await?;
    match stream.take_error()? {
        Some(e) => Err(e),
        None => Ok(stream),
    }
}

// AsyncRead / AsyncWrite: the same core, read through `data` events and written with `write`.

impl tokio::io::AsyncRead for Socket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        {
            let mut inner = this.shared.lock();
            net_core::io_view::take_read_view(&mut inner.core);
            // Nothing waits to be handed out first: read from the kernel straight into the
            // caller's buffer, with no `data` event between (one copy, no allocation).
            if inner.pending_read.is_empty() && out.remaining() > 0 && inner.core.can_read_direct() {
                if let Some(stream) = inner.stream.clone() {
                    let ready = stream.poll_read_ready(&mut Context::from_waker(&this.shared.read_waker));
                    if ready.is_ready() {
                        let now = Instant::now();
                        let got = net_core::io_view::read_direct(&mut inner.core, now, || {
                            stream.try_read_into(out)
                        });
                        if got.is_some() {
                            pump_at(&mut inner, &this.shared, now);
                            return Poll::Ready(Ok(()));
                        }
                    }
                }
            }
        }
        loop {
            {
                let mut inner = this.shared.lock();
                if !inner.pending_read.is_empty() {
                    let n = inner.pending_read.len().min(out.remaining());
                    out.put_slice(&inner.pending_read.split_to(n));
                    return Poll::Ready(Ok(()));
                }
            }
            match this.poll_next_event(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Ready(Some(SocketEvent::Data(d))) => this.shared.lock().pending_read = d,
                Poll::Ready(Some(SocketEvent::End)) => {
                    // EOF for the reader, who may never poll again: run the owed next-tick work now.
                    let mut inner = this.shared.lock();
                    inner.core.handled(Instant::now());
                    pump(&mut inner, &this.shared);
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(Some(SocketEvent::Error(e))) => return Poll::Ready(Err(e.into())),
                Poll::Ready(Some(_)) => {}
            }
        }
    }
}

impl tokio::io::AsyncWrite for Socket {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let mut inner = this.shared.lock();
        if inner.core.destroyed() {
            let err = inner.core.errored().cloned().unwrap_or_else(NetError::stream_destroyed);
            return Poll::Ready(Err(err.into()));
        }
        // Backpressure: accept bytes only while the queue is under the high-water mark.
        if !inner.core.has_write_room() {
            inner.write_waiters.register(cx.waker());
            return Poll::Pending;
        }
        let now = Instant::now();
        inner.core.set_now(now);
        let pending = inner.core.write(Bytes::copy_from_slice(buf));
        transmit(&mut inner, now);
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
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
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
