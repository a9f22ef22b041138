//! The driving contract written once for every backend: how a connected socket's outputs are
//! carried out on a non-blocking transport, and how a readable transport is read.
//!
//! No IO happens here: the backend supplies the transport's non-blocking calls through
//! [`Transport`] (tokio's `try_*`, an `Async<TcpStream>`'s `get_ref()`, a mio stream), and keeps
//! everything that waits (readiness, timers, lookups, connects) to itself.

use std::io::{self, IoSlice};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::task::Waker;
use std::time::Instant;

use bytes::BytesMut;

use crate::addr::{ConnectionInfo, Endpoint};
use crate::error::{ErrorCode, NetError};
use crate::event::{SocketAction, SocketEvent};
use crate::options::{KeepAliveSettings, ListenOptions};
use crate::socket::{IoInput, Socket};

/// Largest number of slices offered to one vectored write.
pub const MAX_IOV: usize = 64;

/// The most one read asks the kernel for.
pub const READ_CHUNK: usize = 64 * 1024;

/// Reads go into blocks, handed out as `Bytes` slices of them: one allocation (and one zeroing)
/// per block, not per read. A socket starts with a small block and doubles it while its reads fill
/// what they are offered, up to this size, so idle sockets stay small and streams read big.
pub const READ_BLOCK: usize = 256 * 1024;

/// The first block of a socket.
pub const FIRST_READ_BLOCK: usize = 4 * 1024;

/// A socket's read buffer: the current block and the next block size. Between reads the block
/// is empty (`len` 0) and its spare capacity is where the next read goes, so a backend that reads
/// into uninitialized memory ([`Transport::try_read_buf`]) never zeroes what the kernel fills.
#[derive(Debug, Default)]
pub struct ReadBuf {
    block: BytesMut,
    next: usize,
}

impl ReadBuf {
    /// How much the next read is offered: the block's spare capacity (a fresh block when it is
    /// used up), at most [`READ_CHUNK`].
    fn room(&mut self) -> usize {
        // A socket that streams (its reads fill what they are offered) always gets Node's whole
        // 64 KiB: a fresh block rather than the tail of the last, so `read_loop` need not top up
        // (and copy) a short room. Small reads keep sharing their block.
        let streaming = self.next >= READ_CHUNK && self.block.capacity() < READ_CHUNK;
        if self.block.capacity() == 0 || streaming {
            self.next = self.next.clamp(FIRST_READ_BLOCK, READ_BLOCK);
            self.block = BytesMut::with_capacity(self.next);
        }
        self.block.capacity().min(READ_CHUNK)
    }

    /// The `n` bytes the last read appended, as one `Bytes` sharing the block.
    fn take(&mut self, n: usize, offered: usize) -> bytes::Bytes {
        if n == offered {
            // The kernel had at least as much as offered: read bigger from the next block on.
            self.next = (self.next * 2).min(READ_BLOCK);
        }
        let data = self.block.split_to(n.min(self.block.len())).freeze();
        // A transport that appended more than it reported loses the excess, never hands it out
        // twice.
        self.block.clear();
        data
    }
}

thread_local! {
    static THREAD_READ_BUF: std::cell::RefCell<ReadBuf> = std::cell::RefCell::new(ReadBuf::default());
}

/// Run `f` with the calling thread's read buffer, shared by every socket the thread reads. A
/// socket that owned its buffer kept its current block (4 KiB at least) for as long as it lived,
/// idle or not; with one per thread an idle socket holds none (net-mio shares one per loop the
/// same way). `f` must not call back into this function.
pub fn with_thread_read_buf<R>(f: impl FnOnce(&mut ReadBuf) -> R) -> R {
    THREAD_READ_BUF.with(|b| f(&mut b.borrow_mut()))
}

/// Give the calling thread a fresh read buffer, as a new thread has. How much a read is offered
/// follows what earlier reads on the thread got; a simulator that must replay a run exactly
/// starts each run from the same state.
pub fn reset_thread_read_buf() {
    THREAD_READ_BUF.with(|b| *b.borrow_mut() = ReadBuf::default());
}

/// The non-blocking calls of a connected stream, as a backend provides them.
pub trait Transport {
    /// Write without blocking; `WouldBlock` when the kernel is full.
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;
    /// Read without blocking into `buf`; `Ok(0)` is EOF.
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize>;
    /// Read without blocking, appending at most `max` bytes to `buf`, which has at least `max`
    /// bytes of spare capacity; returns how many were appended (`Ok(0)` is EOF, nothing appended
    /// on an error). This default zero-fills the room and calls [`Transport::try_read`]; a
    /// backend that can read into uninitialized memory overrides it and saves a pass over every
    /// byte it receives.
    fn try_read_buf(&self, buf: &mut BytesMut, max: usize) -> io::Result<usize> {
        let start = buf.len();
        buf.resize(start + max, 0);
        let result = self.try_read(&mut buf[start..]);
        buf.truncate(start + result.as_ref().map_or(0, |n| *n));
        result
    }
    /// `shutdown(SHUT_WR)`.
    fn shutdown_write(&self) -> io::Result<()>;
    /// Make the coming close send RST (`SO_LINGER` 0).
    fn set_reset_on_close(&self) -> io::Result<()>;
    /// `TCP_NODELAY` (a no-op for Unix sockets).
    fn set_no_delay(&self, enable: bool) -> io::Result<()>;
    /// Keep-alive settings (a no-op for Unix sockets).
    fn set_keep_alive(&self, settings: KeepAliveSettings) -> io::Result<()>;
    /// The type of service: `IP_TOS` on an IPv4 socket, `IPV6_TCLASS` on an IPv6 one. The core
    /// asks only for TCP sockets. A transport that cannot set it answers `Unsupported` (the
    /// default).
    fn set_type_of_service(&self, tos: u8) -> io::Result<()> {
        let _ = tos;
        Err(io::ErrorKind::Unsupported.into())
    }
}

/// What the backend must do after [`pump`], beyond what was done on the transport.
#[derive(Debug, Default)]
pub struct Pumped {
    /// Drop the transport: the socket closed it (FIN, or RST if `reset` is set).
    pub close: bool,
    /// The close is a reset: [`Transport::set_reset_on_close`] was called first.
    pub reset: bool,
    /// Work that waits, for the backend's task: `Lookup`, `Connect`, `CancelConnect`.
    pub jobs: Vec<SocketAction>,
}

/// The user's task waiting for a socket's next event, in a backend where the user pulls events
/// in a task of its own and readability wakes that task to read (net-tokio, net-smol).
///
/// A registration has an id, so that a `next_event` future dropped while it waits removes its
/// own registration and no later one; and the drop learns whether readability had already woken
/// it, in which case the turn to read passes to the backend's own task.
#[derive(Debug, Default)]
pub struct EventWaiter {
    waker: Option<Waker>,
    id: u64,
    /// Woken, and not known to have stopped pulling since (a dropped future cancels).
    woken: bool,
}

impl EventWaiter {
    /// Register `waker` as the task to wake; returns the registration's id.
    pub fn park(&mut self, waker: &Waker) -> u64 {
        self.woken = false;
        match &mut self.waker {
            Some(w) => w.clone_from(waker),
            None => self.waker = Some(waker.clone()),
        }
        self.id = self.id.wrapping_add(1);
        self.id
    }

    /// Whether a task pulls this socket's events: it waits now, or it was woken to pull and
    /// has not dropped its future since. A backend's own task that finds nobody pulling runs
    /// what would wait for a listener ([`crate::Socket::unwatched`]).
    pub fn is_watched(&self) -> bool {
        self.waker.is_some() || self.woken
    }

    /// The waiting task's waker, to wake it; nobody waits afterwards.
    pub fn take(&mut self) -> Option<Waker> {
        let w = self.waker.take();
        self.woken |= w.is_some();
        w
    }

    /// [`EventWaiter::take`], if the socket has something for the waiting task's pull: a queued
    /// event, or next-tick work that the pull runs. A wake-up with nothing to pull costs a task
    /// poll, and worse, it leaves nobody waiting, so the readability that follows goes to the
    /// backend's own task instead of the task that was about to read inline.
    pub fn take_if_due(&mut self, sock: &Socket) -> Option<Waker> {
        if sock.has_event() || sock.tick_owed() { self.take() } else { None }
    }

    /// The future that made registration `id` is dropped. Returns `true` when it had been woken
    /// and not polled since: whatever it was woken for (an event, or bytes to read) is nobody's
    /// now, and the backend's own task must take it up.
    pub fn cancel(&mut self, id: u64) -> bool {
        if self.id != id {
            return false;
        }
        self.woken = false;
        self.waker.take().is_none()
    }
}

/// Every task waiting for room to write (`drained()`, `poll_write`, `poll_flush`,
/// `poll_shutdown`), on any clone of one socket: all are woken, each re-checks its own
/// condition. A task that polls again replaces its own registration (`Waker::will_wake`), so
/// the set holds at most one waker per waiting task.
#[derive(Debug, Default)]
pub struct WriteWaiters {
    wakers: Vec<Waker>,
}

impl WriteWaiters {
    /// Register `waker` (once per task).
    pub fn register(&mut self, waker: &Waker) {
        if !self.wakers.iter().any(|w| w.will_wake(waker)) {
            self.wakers.push(waker.clone());
        }
    }

    /// Wake every registered task; nobody is registered afterwards.
    pub fn wake_all(&mut self) {
        for w in self.wakers.drain(..) {
            w.wake();
        }
    }

    /// Whether any task waits.
    pub fn is_empty(&self) -> bool {
        self.wakers.is_empty()
    }
}

/// The user's side of a backend whose user pulls events in a task of its own (net-tokio,
/// net-smol), as [`poll_user_event`] drives it.
pub trait UserSide {
    /// The core.
    fn core(&mut self) -> &mut Socket;
    /// If the socket wants bytes and the kernel has some, read them and answer `true`; otherwise
    /// leave the backend's readability waker registered and answer `false`.
    fn read_if_ready(&mut self, now: Instant) -> bool;
    /// Carry out the core's outputs as after a command ([`pump_command`]) and wake whoever must
    /// act on them.
    fn pump_command(&mut self, now: Instant);
}

/// What [`poll_user_event`] found.
#[derive(Debug)]
pub enum UserPoll {
    /// The next event, for the user.
    Event(SocketEvent),
    /// Nothing yet: the caller registers its waker (and [`UserSide::read_if_ready`] left the
    /// readability waker registered).
    Wait,
}

/// The next event for a user's task that pulls events: an event already queued, or else bytes
/// the kernel holds, read here in the user's turn (one task poll per message, not a hop through
/// the backend's own task). Pulling runs the core's next-tick work first ([`Socket::poll_event`]:
/// `ready`, the automatic end, the FIN after `end()`), and its outputs are carried out here, so a
/// user that keeps pulling needs no turn of the backend's task for them either.
pub fn poll_user_event(side: &mut impl UserSide, now: Instant) -> UserPoll {
    let mut read = false;
    loop {
        if let Some(ev) = side.core().poll_event() {
            side.pump_command(now);
            return UserPoll::Event(ev);
        }
        if !side.read_if_ready(now) {
            break;
        }
        read = true;
    }
    // The pull may have left outputs (next-tick work without an event: an IPC connect to start),
    // and a read that raised no event may have changed what the socket waits for.
    // A pull that ended the user's handling of `connect` lets the queued writes and `ready`
    // go: the pump offers the bytes and hands next-tick work to the backend's turn.
    if read || side.core().has_action() || side.core().tick_owed() {
        side.pump_command(now);
    }
    UserPoll::Wait
}

/// What a backend's waiting task last saw of a socket: whether it waits for readability,
/// writability, and until when. A backend that runs commands on the user's side keeps it, so
/// that a command wakes the waiting task only when it changed what that task must wait for
/// ([`Interest::stale`]): a `write` the kernel took whole, or a pulled `data` event, needs no
/// second task turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interest {
    live: bool,
    read: bool,
    write: bool,
    deadline: Option<Instant>,
}

impl Default for Interest {
    /// Nothing seen yet: stale for every live socket.
    fn default() -> Self {
        Self { live: false, read: false, write: false, deadline: None }
    }
}

impl Interest {
    /// What the waiting task must wait for now.
    pub fn of(sock: &Socket) -> Self {
        Self {
            live: !sock.destroyed(),
            read: sock.wants_read(),
            write: sock.wants_write(),
            deadline: sock.poll_timeout(),
        }
    }

    /// The task waits for readability.
    pub fn reads(&self) -> bool {
        self.read
    }

    /// The task waits for room to write.
    pub fn writes(&self) -> bool {
        self.write
    }

    /// The task's timer.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Whether a socket a backend just created needs its waiting task at once, for a backend
    /// that starts the task lazily (net-tokio, net-smol): a timer is set, next-tick work is owed,
    /// an action waits (a Unix-socket connect), or bytes wait for the kernel. Reads need none: the user's task reads while it waits for an
    /// event, and readability while nobody waits starts the task then.
    pub fn needed_at_start(sock: &Socket) -> bool {
        sock.poll_timeout().is_some() || sock.tick_owed() || sock.wants_write() || sock.has_action()
    }

    /// Whether a task that never started is still worth starting: not once the socket is
    /// destroyed, its descriptor closed and no lookup or connect is pending (`has_jobs`).
    pub fn worth_starting(sock: &Socket, has_transport: bool, has_jobs: bool) -> bool {
        !(sock.destroyed() && !has_transport && !has_jobs)
    }

    /// Whether a task waiting on `self` must take a turn: next-tick work is owed, the socket was
    /// destroyed (the task ends), it wants to read or write where it did not (or the reverse), or
    /// a timer is due sooner. A later deadline is not stale: the task wakes at the earlier one,
    /// finds nothing due, and looks again.
    pub fn stale(&self, sock: &Socket) -> bool {
        let now = Self::of(sock);
        sock.tick_owed()
            || now.live != self.live
            || now.read != self.read
            || now.write != self.write
            || match (now.deadline, self.deadline) {
                (Some(new), Some(old)) => new < old,
                (new, _) => new.is_some(),
            }
    }
}

/// Offer the queued bytes to the kernel until it stops taking them.
pub fn transmit<T: Transport + ?Sized>(sock: &mut Socket, io: &T, now: Instant) {
    while sock.wants_write() {
        // A few chunks (an echo's one write) need no 64-slot array set up and cleared.
        let result = if sock.transmit_chunks().nth(FEW_IOV).is_none() {
            offer::<T, FEW_IOV>(sock, io)
        } else {
            offer::<T, MAX_IOV>(sock, io)
        };
        match result {
            Ok(n) => sock.handle_io(now, IoInput::Written(n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => sock.handle_io(now, IoInput::Failed(NetError::from_io(&e, "write"))),
        }
    }
}

/// The smaller vectored write [`transmit`] uses when the queue holds no more chunks than this.
const FEW_IOV: usize = 4;

/// One vectored write of up to `N` of the queued chunks.
fn offer<T: Transport + ?Sized, const N: usize>(sock: &Socket, io: &T) -> io::Result<usize> {
    let mut slices = [IoSlice::new(&[]); N];
    let n = sock.io_slices(&mut slices);
    io.try_write_vectored(&slices[..n])
}

/// Carry out everything the socket asks for that needs no waiting, in the contract's order:
/// bytes, next-tick work, actions. Run it after every command and every input, with the time
/// the backend read from its clock.
pub fn pump<T: Transport + ?Sized>(sock: &mut Socket, io: Option<&T>, now: Instant) -> Pumped {
    pump_inner(sock, io, now, true)
}

/// [`pump`] right after a user's command: the same, except that next-tick work (starting a
/// connect, `ready`, `prefinish` and the FIN) is left for the backend's next turn, where
/// [`pump`] runs it. That is what lets `connect()` then `destroy()` in one turn reach no network,
/// and what keeps state unchanged between two of the user's statements, as in Node.
pub fn pump_command<T: Transport + ?Sized>(sock: &mut Socket, io: Option<&T>, now: Instant) -> Pumped {
    pump_inner(sock, io, now, false)
}

fn pump_inner<T: Transport + ?Sized>(sock: &mut Socket, io: Option<&T>, now: Instant, tick: bool) -> Pumped {
    let mut out = Pumped::default();
    loop {
        if let Some(io) = io.filter(|_| !out.close) {
            transmit(sock, io, now);
        }
        if tick {
            sock.tick(now);
        }
        let Some(action) = sock.poll_action() else { break };
        let live = io.filter(|_| !out.close);
        match action {
            SocketAction::ShutdownWrite => {
                if let Some(io) = live {
                    // libuv's read loop goes on as a `data` listener returns, and the FIN that
                    // listener asked for (`end()`, `destroySoon()`) waits for a later turn: bytes
                    // the kernel already holds are read first (found by the Node-differential
                    // run: a 64 KiB + 1 transfer lost its last byte to destroySoon).
                    if std::mem::take(&mut sock.read_cut) && sock.wants_read() {
                        with_thread_read_buf(|buf| read_loop(sock, io, buf, now, true));
                    }
                    let input = match io.shutdown_write() {
                        Ok(()) => IoInput::ShutdownDone,
                        // Node's `_final`: ENOTCONN (the peer already reset us) counts as done.
                        Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => IoInput::ShutdownDone,
                        Err(e) => IoInput::Failed(NetError::from_io(&e, "shutdown")),
                    };
                    sock.handle_io(now, input);
                }
            }
            SocketAction::Close => out.close = true,
            SocketAction::Reset => {
                if let Some(io) = live {
                    let _ = io.set_reset_on_close();
                }
                out.close = true;
                out.reset = true;
            }
            SocketAction::SetNoDelay(enable) => {
                if let Some(io) = live {
                    let _ = io.set_no_delay(enable);
                }
            }
            SocketAction::SetKeepAlive(settings) => {
                if let Some(io) = live {
                    let _ = io.set_keep_alive(settings);
                }
            }
            // Node throws what setsockopt answers; on Linux it fails only for a closed
            // descriptor, which the core never asks for.
            SocketAction::SetTypeOfService(tos) => {
                if let Some(io) = live {
                    let _ = io.set_type_of_service(tos);
                }
            }
            job @ (SocketAction::Lookup { .. }
            | SocketAction::Connect { .. }
            | SocketAction::CancelConnect) => {
                out.jobs.push(job);
            }
        }
    }
    out
}

/// The listeners of the event a loop just handed out returned ([`Socket::listener_returned`]):
/// what Node writes synchronously then (its own `connect` listener's flush of the writes made
/// while connecting) goes to the kernel now, before the loop turns to another socket. `io` is
/// `None` while there is no connected transport.
pub fn listener_returned<T: Transport + ?Sized>(sock: &mut Socket, io: Option<&T>, now: Instant) {
    sock.listener_returned();
    if let Some(io) = io.filter(|_| sock.wants_write()) {
        transmit(sock, io, now);
    }
}

/// Read what the kernel has, as long as the socket wants it. Returns `true` if the kernel had
/// nothing more (`WouldBlock`): only then is waiting for readiness right; otherwise the socket
/// stopped wanting bytes (paused at its mark, EOF, error) and a later read must try first.
pub fn read_ready<T: Transport + ?Sized>(sock: &mut Socket, io: &T, buf: &mut ReadBuf, now: Instant) -> bool {
    read_loop(sock, io, buf, now, false)
}

/// [`read_ready`] for a backend that waits on edge-triggered readiness and knows the peer's FIN
/// has not been signalled: a read that returned less than it was offered emptied a stream
/// socket's receive queue, so it counts as `WouldBlock` (returns `true`) without the read that
/// would only say so. New bytes raise a new edge. Once the FIN or an error was signalled, use
/// [`read_ready`]: that edge came already, and the EOF behind the bytes must still be read.
/// tokio does the same in its own `poll_read`.
pub fn read_ready_until_short<T: Transport + ?Sized>(
    sock: &mut Socket,
    io: &T,
    buf: &mut ReadBuf,
    now: Instant,
) -> bool {
    read_loop(sock, io, buf, now, true)
}

fn read_loop<T: Transport + ?Sized>(
    sock: &mut Socket,
    io: &T,
    buf: &mut ReadBuf,
    now: Instant,
    stop_at_short: bool,
) -> bool {
    while sock.wants_read() {
        let offered = buf.room();
        match io.try_read_buf(&mut buf.block, offered) {
            Ok(0) => {
                sock.handle_io(now, IoInput::ReadEof);
                return false;
            }
            Ok(n) => {
                let mut data = buf.take(n, offered);
                // Node reads up to 64 KiB at once: a smaller block the kernel filled is topped
                // up before the bytes go out, so `data` events split where Node's do.
                let mut short = n < offered;
                let mut after = None;
                while !short && data.len() < READ_CHUNK {
                    let offered = buf.room().min(READ_CHUNK - data.len());
                    match io.try_read_buf(&mut buf.block, offered) {
                        Ok(0) => {
                            after = Some(IoInput::ReadEof);
                            break;
                        }
                        Ok(m) => {
                            let more = buf.take(m, offered);
                            short = m < offered;
                            let mut joined = BytesMut::with_capacity(data.len() + more.len());
                            joined.extend_from_slice(&data);
                            joined.extend_from_slice(&more);
                            data = joined.freeze();
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => short = true,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            after = Some(IoInput::Failed(NetError::from_io(&e, "read")));
                            break;
                        }
                    }
                }
                sock.handle_io(now, IoInput::Read(data));
                if let Some(input) = after {
                    sock.handle_io(now, input);
                    return false;
                }
                if stop_at_short && short {
                    sock.read_cut = false;
                    return true;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                sock.read_cut = false;
                return true;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                sock.handle_io(now, IoInput::Failed(NetError::from_io(&e, "read")));
                return false;
            }
        }
    }
    // Stopped by the socket (paused at the mark, or ended), not by the kernel.
    sock.read_cut = true;
    false
}

/// The addresses of a connection a server listening at `listening` accepted, with as few
/// syscalls as Node's answers allow: the peer's as `accept` returned it (`None` for a pipe, which
/// has no addresses, so no `getpeername`), and the local one from the listener when it is bound
/// to a specific address ([`accepted_local`]); only a wildcard listener calls `ask_local`
/// (`getsockname`).
pub fn accepted_info(
    listening: Option<&Endpoint>,
    peer: Option<SocketAddr>,
    ask_local: impl FnOnce() -> Option<SocketAddr>,
) -> ConnectionInfo {
    match peer {
        None => ConnectionInfo::ipc(),
        Some(peer) => {
            ConnectionInfo { local: accepted_local(listening).or_else(ask_local), remote: Some(peer) }
        }
    }
}

/// The local address of a connection accepted by a TCP server listening at `listening`, when it
/// is known without asking the kernel (`getsockname`, a syscall per connection): the listener's
/// own address, unless that is a wildcard (`0.0.0.0`, `::`), where the address the peer dialled
/// decides.
pub fn accepted_local(listening: Option<&Endpoint>) -> Option<SocketAddr> {
    match listening {
        Some(Endpoint::Tcp(at)) if !at.ip().is_unspecified() => Some(*at),
        _ => None,
    }
}

/// The input for a failed connect: Node's error for the endpoint (with the local binding in the
/// message when there was one).
pub fn connect_failed(err: &io::Error, to: &Endpoint, local: Option<SocketAddr>) -> IoInput {
    if let (Some(bind), Some(local)) = (err.get_ref().and_then(|e| e.downcast_ref::<BindFailed>()), local) {
        return IoInput::ConnectFailed(NetError::bind(ErrorCode::from_io(&bind.0), local));
    }
    let code = ErrorCode::from_io(err);
    IoInput::ConnectFailed(match (to, local) {
        (Endpoint::Tcp(addr), Some(l)) => NetError::connect_from(code, *addr, l),
        (Endpoint::Tcp(addr), None) => NetError::connect(code, *addr),
        (Endpoint::Ipc(path), _) => NetError::connect_path(code, &path.display().to_string()),
    })
}

/// A connect's local bind failed (not the connect itself): Node reports it as `bind …`, with no
/// `connectionAttempt`. A backend wraps the bind's error with [`BindFailed::wrap`] and hands the
/// result to [`connect_failed`].
#[derive(Debug)]
pub struct BindFailed(pub io::Error);

impl BindFailed {
    /// `err`, marked as the bind's.
    pub fn wrap(err: io::Error) -> io::Error {
        io::Error::new(err.kind(), Self(err))
    }
}

impl std::fmt::Display for BindFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bind: {}", self.0)
    }
}

impl std::error::Error for BindFailed {}

/// The input for a lookup's answer: the addresses in the resolver's order (only `family`'s when
/// asked), or Node's `getaddrinfo ENOTFOUND host`.
pub fn lookup_answer(
    result: io::Result<impl IntoIterator<Item = SocketAddr>>,
    host: &str,
    family: Option<crate::Family>,
) -> IoInput {
    match result {
        Ok(addrs) => IoInput::Resolved(Ok(addrs
            .into_iter()
            .map(|a| a.ip())
            .filter(|ip| family.is_none_or(|f| crate::Family::of(*ip) == f))
            .collect())),
        Err(_) => IoInput::Resolved(Err(NetError::lookup(ErrorCode::ENOTFOUND, host))),
    }
}

/// The answer to a server's [`ServerAction::Lookup`](crate::ServerAction::Lookup), for
/// [`Server::handle_lookup`](crate::Server::handle_lookup): every address, or Node's
/// `getaddrinfo ENOTFOUND host`.
pub fn listen_lookup_answer(
    result: io::Result<impl IntoIterator<Item = SocketAddr>>,
    host: &str,
) -> Result<Vec<IpAddr>, NetError> {
    match lookup_answer(result, host, None) {
        IoInput::Resolved(r) => r,
        _ => unreachable!("a lookup answers Resolved"),
    }
}

/// How long a driver waits before trying `accept()` again after a failure the process cannot
/// mend at once (out of descriptors), so it does not spin while connections free what it needs.
pub const ACCEPT_RETRY: std::time::Duration = std::time::Duration::from_millis(50);

/// What a driver does after `accept()` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptFailure {
    /// The peer gave up or a signal came: accept again at once.
    Retry,
    /// Out of descriptors and the like: reported to the server (Node's `error`, the server keeps
    /// listening); try again after [`ACCEPT_RETRY`].
    BackOff,
}

/// Decide on a failed `accept()`, written once for every backend: passing failures are retried,
/// the others become the server's `error` and a back-off.
pub fn accept_failed(server: &mut crate::Server, err: &io::Error) -> AcceptFailure {
    if matches!(
        err.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
    ) {
        return AcceptFailure::Retry;
    }
    server.accept_failed(NetError::from_io(err, "accept"));
    AcceptFailure::BackOff
}

/// Node's default listen backlog.
pub const DEFAULT_BACKLOG: i32 = 511;

/// The mode Node 26 gives a Unix socket file for `readableAll`/`writableAll` (666, 444, 222),
/// or `None` to leave the umask's.
pub fn ipc_file_mode(readable_all: bool, writable_all: bool) -> Option<u32> {
    match (readable_all, writable_all) {
        (true, true) => Some(0o666),
        (true, false) => Some(0o444),
        (false, true) => Some(0o222),
        (false, false) => None,
    }
}

/// Whether listening on the default host (`::`) failed in a way that makes Node fall back to
/// `0.0.0.0` (no IPv6 on the machine), rather than report the error.
pub fn default_host_falls_back(err: &io::Error) -> bool {
    err.kind() != io::ErrorKind::AddrInUse && err.kind() != io::ErrorKind::PermissionDenied
}

/// Bind a listener at `at` in Node's order, with Node's errors, written once for every backend.
///
/// `tcp(addr, backlog)` binds and listens (the backend's socket2 calls); when the default host
/// (no `host` given) fails as [`default_host_falls_back`] says, it is tried again on `0.0.0.0`.
/// `local_addr` reads the bound port back. `unix(path, mode)` binds a Unix socket and applies
/// `mode` ([`ipc_file_mode`]) to its file. Errors carry the address or path Node shows.
pub fn bind_listener<L>(
    at: &Endpoint,
    opts: &ListenOptions,
    mut tcp: impl FnMut(SocketAddr, i32) -> io::Result<L>,
    local_addr: impl FnOnce(&L) -> io::Result<SocketAddr>,
    unix: impl FnOnce(&Path, Option<u32>) -> io::Result<L>,
) -> Result<(L, Endpoint), NetError> {
    match at {
        Endpoint::Tcp(addr) => {
            let backlog = opts.backlog.unwrap_or(DEFAULT_BACKLOG);
            let listener = match tcp(*addr, backlog) {
                // Only Node's default host (`::`, no host given at all) falls back to 0.0.0.0; a
                // host that was looked up binds where it resolved or fails.
                Err(e) if opts.host.is_none() && opts.host_name.is_none() && default_host_falls_back(&e) => {
                    let v4 = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), addr.port());
                    tcp(v4, backlog).map_err(|e| NetError::listen(ErrorCode::from_io(&e), v4))?
                }
                other => other.map_err(|e| NetError::listen(ErrorCode::from_io(&e), *addr))?,
            };
            let local = local_addr(&listener).map_err(|e| NetError::listen(ErrorCode::from_io(&e), *addr))?;
            Ok((listener, Endpoint::Tcp(local)))
        }
        Endpoint::Ipc(path) => {
            let mode = ipc_file_mode(opts.readable_all, opts.writable_all);
            let listener = unix(path, mode)
                .map_err(|e| NetError::listen_path(ErrorCode::from_io(&e), &path.display().to_string()))?;
            Ok((listener, Endpoint::Ipc(path.clone())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counting_waker() -> (Waker, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        struct Count(std::sync::Arc<std::sync::atomic::AtomicUsize>);
        impl std::task::Wake for Count {
            fn wake(self: std::sync::Arc<Self>) {
                self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let n = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        (Waker::from(std::sync::Arc::new(Count(n.clone()))), n)
    }

    #[test]
    fn when_a_lazily_started_task_is_needed() {
        let now = Instant::now();
        let info = ConnectionInfo::tcp("127.0.0.1:1".parse().unwrap(), "127.0.0.1:2".parse().unwrap());
        let mut accepted = Socket::accepted(Default::default(), info, false, now);
        assert!(!Interest::needed_at_start(&accepted), "an accepted socket's user reads it");
        accepted.set_timeout(now, std::time::Duration::from_millis(10));
        assert!(Interest::needed_at_start(&accepted), "a timer needs the task");
        let mut client = Socket::new(Default::default(), now);
        let _ = client.connect(Endpoint::Tcp("127.0.0.1:9".parse().unwrap()));
        assert!(Interest::needed_at_start(&client), "a connect owed to the next tick");
        let mut pipe = Socket::new(Default::default(), now);
        let _ = pipe.connect(Endpoint::Ipc("/tmp/x".into()));
        assert!(Interest::needed_at_start(&pipe), "a Unix-socket connect asked for at once");

        assert!(Interest::worth_starting(&client, false, false));
        client.destroy();
        assert!(!Interest::worth_starting(&client, false, false), "destroyed, closed, nothing pending");
        assert!(Interest::worth_starting(&client, true, false), "a descriptor still to close");
        assert!(Interest::worth_starting(&client, false, true), "a job to carry out");
    }

    #[test]
    fn event_waiter_registrations() {
        let (a, woken_a) = counting_waker();
        let (b, _) = counting_waker();
        let mut w = EventWaiter::default();
        assert!(w.take().is_none(), "nobody waits at first");

        // Dropped while still waiting: the registration goes, nothing is owed.
        let first = w.park(&a);
        assert!(!w.cancel(first));
        assert!(w.take().is_none(), "a cancelled registration wakes nobody");

        // Woken (taken) and then dropped before polling again: the wake is owed elsewhere.
        let second = w.park(&a);
        w.take().expect("the parked waker").wake();
        assert_eq!(woken_a.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(w.cancel(second));

        // An older future's drop leaves a newer registration alone.
        let old = w.park(&a);
        let new = w.park(&b);
        assert_ne!(old, new);
        assert!(!w.cancel(old));
        assert!(w.take().is_some_and(|k| k.will_wake(&b)), "the newer registration stays");
        assert!(!w.cancel(old), "an old id owes nothing even when nobody waits");
    }

    fn no_unix(_: &Path, _: Option<u32>) -> io::Result<SocketAddr> {
        unreachable!("TCP endpoints only")
    }

    /// The default host (`::`) falls back to `0.0.0.0` when IPv6 is missing, as Node does; an
    /// explicit host, or EADDRINUSE on the default one, is reported with the address tried.
    #[test]
    fn bind_listener_falls_back_only_for_the_default_host() {
        let any6 = Endpoint::Tcp(SocketAddr::new(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED), 8124));
        let no_v6 = |addr: SocketAddr, backlog: i32| {
            assert_eq!(backlog, DEFAULT_BACKLOG);
            if addr.is_ipv6() { Err(io::ErrorKind::AddrNotAvailable.into()) } else { Ok(addr) }
        };
        let (_, at) = bind_listener(&any6, &ListenOptions::default(), no_v6, |a| Ok(*a), no_unix).unwrap();
        assert_eq!(at, Endpoint::Tcp("0.0.0.0:8124".parse().unwrap()));

        let explicit =
            ListenOptions { host: Some(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)), ..Default::default() };
        let err = bind_listener(&any6, &explicit, no_v6, |a| Ok(*a), no_unix).unwrap_err();
        assert_eq!((err.code(), err.address()), ("EADDRNOTAVAIL", Some("::")));

        let in_use =
            |_: SocketAddr, _: i32| -> io::Result<SocketAddr> { Err(io::ErrorKind::AddrInUse.into()) };
        let err = bind_listener(&any6, &ListenOptions::default(), in_use, |a| Ok(*a), no_unix).unwrap_err();
        assert_eq!((err.code(), err.address()), ("EADDRINUSE", Some("::")));
    }

    /// An accepted connection's local address is the listener's, except on a wildcard listener
    /// (where the address the peer dialled decides) and for pipes.
    #[test]
    fn accepted_local_only_for_a_specific_listening_address() {
        let at = |s: &str| Endpoint::Tcp(s.parse().unwrap());
        assert_eq!(accepted_local(Some(&at("127.0.0.1:80"))), Some("127.0.0.1:80".parse().unwrap()));
        assert_eq!(accepted_local(Some(&at("[::1]:80"))), Some("[::1]:80".parse().unwrap()));
        assert_eq!(accepted_local(Some(&at("0.0.0.0:80"))), None);
        assert_eq!(accepted_local(Some(&at("[::]:80"))), None);
        assert_eq!(accepted_local(Some(&Endpoint::Ipc("/tmp/s".into()))), None);
        assert_eq!(accepted_local(None), None);
    }

    /// The kernel is asked for the local address only behind a wildcard listener; a pipe has no
    /// addresses at all.
    #[test]
    fn accepted_info_asks_the_kernel_only_when_it_must() {
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let specific = Endpoint::Tcp("127.0.0.1:80".parse().unwrap());
        let info = accepted_info(Some(&specific), Some(peer), || unreachable!("no getsockname"));
        assert_eq!((info.local, info.remote), (Some("127.0.0.1:80".parse().unwrap()), Some(peer)));
        let wildcard = Endpoint::Tcp("0.0.0.0:80".parse().unwrap());
        let asked: SocketAddr = "10.0.0.1:80".parse().unwrap();
        let info = accepted_info(Some(&wildcard), Some(peer), || Some(asked));
        assert_eq!((info.local, info.remote), (Some(asked), Some(peer)));
        let pipe = Endpoint::Ipc("/tmp/s".into());
        let info = accepted_info(Some(&pipe), None, || unreachable!("a pipe has no address"));
        assert_eq!((info.local, info.remote), (None, None));
    }

    /// Accept failures, decided once for every backend: passing ones are retried at once, the
    /// others are the server's `error` (it keeps listening) and a back-off.
    #[test]
    fn accept_failures_retry_or_back_off() {
        let mut server = crate::Server::new(crate::ServerOptions::default());
        server.listen(Endpoint::Tcp("127.0.0.1:0".parse().unwrap())).unwrap();
        let _ = server.poll_action();
        assert!(server.handle_listen(Ok(Endpoint::Tcp("127.0.0.1:4000".parse().unwrap()))));
        let _ = server.poll_event();
        let aborted = io::Error::from(io::ErrorKind::ConnectionAborted);
        assert_eq!(accept_failed(&mut server, &aborted), AcceptFailure::Retry);
        assert_eq!(server.poll_event(), None);
        let emfile = io::Error::from_raw_os_error(libc::EMFILE);
        assert_eq!(accept_failed(&mut server, &emfile), AcceptFailure::BackOff);
        assert!(matches!(server.poll_event(), Some(crate::ServerEvent::Error(e)) if e.code() == "EMFILE"));
        assert!(server.listening());
    }

    /// Small reads stay in a small block; reads that fill what they are offered grow the next
    /// block up to `READ_BLOCK`.
    #[test]
    fn read_blocks_start_small_and_grow_for_streams() {
        let mut buf = ReadBuf::default();
        let offered = buf.room();
        assert_eq!(offered, FIRST_READ_BLOCK);
        buf.block.extend_from_slice(&[7; 10]);
        let small = buf.take(10, offered);
        assert_eq!(&small[..], &[7; 10]);
        assert_eq!(buf.room(), FIRST_READ_BLOCK - 10);
        let mut sizes = Vec::new();
        for _ in 0..12 {
            let offered = buf.room();
            sizes.push(offered);
            buf.block.resize(offered, 1);
            let _ = buf.take(offered, offered);
        }
        assert!(sizes.contains(&READ_CHUNK), "{sizes:?}");
        assert!(sizes.iter().all(|s| *s <= READ_CHUNK));
        // Streaming now: a read that leaves less than 64 KiB of the block does not shrink the
        // next room (no top-up copy in `read_loop`).
        let offered = buf.room();
        buf.block.resize(1000, 1);
        let _ = buf.take(1000, offered);
        for _ in 0..8 {
            assert_eq!(buf.room(), READ_CHUNK);
            buf.block.resize(READ_CHUNK - 1, 1);
            let _ = buf.take(READ_CHUNK - 1, READ_CHUNK);
        }
    }
}

/// What a backend's server hands its user: the core's server events, with each admitted
/// connection's socket (a handle, or an id) in place of its [`crate::ConnectionId`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEventOf<S> {
    /// `'listening'`.
    Listening,
    /// `'connection'`: an admitted socket.
    Connection(S),
    /// `'drop'`: refused by `max_connections` (`None` for IPC).
    Drop(Option<crate::DropInfo>),
    /// `'error'` (not followed by `close`).
    Error(NetError),
    /// `'close'`: closed and every connection gone.
    Close,
}

impl<S> ServerEventOf<S> {
    /// The same event with the connection's socket mapped by `f` (e.g. a handle to an id).
    pub fn map<T>(self, f: impl FnOnce(S) -> T) -> ServerEventOf<T> {
        match self {
            Self::Connection(sock) => ServerEventOf::Connection(f(sock)),
            Self::Listening => ServerEventOf::Listening,
            Self::Drop(d) => ServerEventOf::Drop(d),
            Self::Error(e) => ServerEventOf::Error(e),
            Self::Close => ServerEventOf::Close,
        }
    }
}

/// Sockets a backend built for admitted connections, waiting for their `connection` event.
#[derive(Debug)]
pub struct Admitted<S> {
    queue: std::collections::VecDeque<(crate::ConnectionId, S)>,
}

impl<S> Default for Admitted<S> {
    fn default() -> Self {
        Self { queue: std::collections::VecDeque::new() }
    }
}

impl<S> Admitted<S> {
    /// The socket for connection `id`, until its `connection` event is handed out.
    pub fn push(&mut self, id: crate::ConnectionId, socket: S) {
        self.queue.push_back((id, socket));
    }

    /// The core's event with the socket in place of the id; `None` for a `connection` whose
    /// socket was never pushed (a driver bug: the event is dropped rather than panicking).
    pub fn event(&mut self, event: crate::ServerEvent) -> Option<ServerEventOf<S>> {
        Some(match event {
            crate::ServerEvent::Listening => ServerEventOf::Listening,
            crate::ServerEvent::Connection(id) => {
                let at = self.queue.iter().position(|(i, _)| *i == id)?;
                ServerEventOf::Connection(self.queue.remove(at)?.1)
            }
            crate::ServerEvent::Drop(info) => ServerEventOf::Drop(info),
            crate::ServerEvent::Error(e) => ServerEventOf::Error(e),
            crate::ServerEvent::Close => ServerEventOf::Close,
        })
    }
}
