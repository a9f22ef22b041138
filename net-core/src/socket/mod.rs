//! One Node `net.Socket`: lifecycle, half-open, backpressure, timeouts and errors, without IO.

pub(crate) mod queue;
mod read_side;
mod write_queue;

use std::collections::VecDeque;

use queue::Queue;
use std::io::IoSlice;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::addr::{ConnectionInfo, Endpoint, Family};
use crate::connect::{ConnectOptions, Connector, Step};
use crate::error::NetError;
use crate::event::{ConnectionId, SocketAction, SocketEvent, WriteId};
use crate::options::{KeepAlive, SocketOptions};
use crate::timer::Timer;

use read_side::{ReadSide, ReadState};
use write_queue::WriteQueue;

/// Node's `socket.readyState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadyState {
    /// Connecting (`'opening'`).
    Opening,
    /// Readable and writable (`'open'`); also a fresh socket that never connected, as in Node.
    Open,
    /// Only readable: our side ended (`'readOnly'`).
    ReadOnly,
    /// Only writable: the peer ended and we allow half-open (`'writeOnly'`).
    WriteOnly,
    /// Neither (`'closed'`).
    Closed,
}

impl ReadyState {
    /// Node's string for the state.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opening => "opening",
            Self::Open => "open",
            Self::ReadOnly => "readOnly",
            Self::WriteOnly => "writeOnly",
            Self::Closed => "closed",
        }
    }
}

/// An input from the driver: what the operating system did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IoInput {
    /// The answer to [`SocketAction::Lookup`] from the runtime's resolver: the addresses found,
    /// in the resolver's order.
    Resolved(Result<Vec<std::net::IpAddr>, NetError>),
    /// The answer to [`SocketAction::Lookup`] from the connect's own lookup, as it gave it; the
    /// socket checks it as Node does.
    LookedUp(crate::lookup::LookupResult),
    /// The connection asked for by [`SocketAction::Connect`] is established.
    Connected(ConnectionInfo),
    /// That connection failed.
    ConnectFailed(NetError),
    /// Bytes arrived from the peer (never empty).
    Read(Bytes),
    /// The peer's FIN arrived.
    ReadEof,
    /// The kernel took this many bytes from the front of the queued bytes.
    Written(usize),
    /// The `shutdown(SHUT_WR)` asked for by [`SocketAction::ShutdownWrite`] completed.
    ShutdownDone,
    /// A read or write failed (`ECONNRESET`, `EPIPE`, …); the socket is destroyed with it.
    Failed(NetError),
}

/// The answer to a [`Socket::write`], final only after [`Socket::settle`].
///
/// Node decides `write()`'s boolean after libuv tried to write the chunk: an idle connected
/// socket returns `true` even for a megabyte when the kernel takes it all. So the driver offers
/// the queue to the kernel between `write` and `settle`.
#[must_use = "pass it to Socket::settle to learn write()'s return value"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingWrite {
    accepted: bool,
}

/// The write of `end(data)` ([`Socket::end_write`]), waiting for the driver to offer it to the
/// kernel before [`Socket::end_after`] ends: Node's `end(chunk)` writes first, and a write the
/// kernel refuses inside that call (EPIPE on a Unix socket whose peer is gone) errors the stream
/// so that `end()` neither ends nor fails.
#[must_use = "pass it to Socket::end_after (or end_after_with_callback) to end"]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndWrite {
    pending: PendingWrite,
    refused: Option<NetError>,
}

impl EndWrite {
    /// The write part, for [`Socket::settle`] if `write()`'s boolean is wanted.
    pub fn pending(&self) -> PendingWrite {
        self.pending
    }
}

/// Where the user is with an event whose listeners Node lets run before its own work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handout {
    /// Handled (or never queued).
    Done,
    /// Queued, not handed out yet.
    Queued,
    /// Handed out; the user has not asked for the next event yet.
    HandedOut,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// `new net.Socket()`: no handle yet.
    Idle,
    /// A connect (or the lookup before it) is under way.
    Connecting,
    /// Connected or accepted: the handle is live.
    Open,
    /// Destroyed: `close` has been queued; every later call is a no-op.
    Destroyed,
}

/// Where the writable half is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriteState {
    /// `write()` accepted.
    Open,
    /// `end()` was called; the queue is flushing before the FIN.
    Ending,
    /// `ShutdownWrite` was asked for.
    ShuttingDown,
    /// The FIN is out (`finish` emitted).
    Finished,
}

/// A connect asked for and not started yet.
#[derive(Debug)]
enum OwedConnect {
    Tcp(Box<ConnectOptions>),
}

/// A Node `net.Socket` as a sans-IO state machine.
///
/// See the [crate documentation](crate) for the driving contract. A short tour:
///
/// ```
/// use std::time::Instant;
/// use bytes::Bytes;
/// use net_core::{ConnectionInfo, IoInput, Socket, SocketAction, SocketEvent, SocketOptions};
///
/// let now = Instant::now();
/// let mut sock = Socket::new(SocketOptions::default(), now);
/// let to = "127.0.0.1:8080".parse::<std::net::SocketAddr>().unwrap();
/// sock.connect(to.into()).unwrap();
/// // The attempt starts next tick, as in Node: a destroy() before it reaches no network.
/// sock.tick(now);
/// assert_eq!(sock.poll_action(), Some(SocketAction::Connect { to: to.into(), local: None }));
///
/// // Written before the connection exists: queued, and `true` below the high-water mark.
/// let w = sock.write(Bytes::from_static(b"hello"));
/// assert!(sock.settle(w));
/// assert_eq!(sock.writable_length(), 5);
///
/// let local = "127.0.0.1:50000".parse().unwrap();
/// sock.handle_io(now, IoInput::Connected(ConnectionInfo::tcp(local, to)));
/// let queued: Vec<u8> = sock.transmit_chunks().flat_map(|b| b.to_vec()).collect();
/// assert_eq!(queued, b"hello");
/// sock.handle_io(now, IoInput::Written(5));
///
/// let events: Vec<_> = std::iter::from_fn(|| sock.poll_event()).collect();
/// assert!(matches!(events[..], [
///     SocketEvent::ConnectionAttempt(_), SocketEvent::Connect, SocketEvent::Ready,
/// ]));
/// ```
#[derive(Debug)]
pub struct Socket {
    opts: SocketOptions,
    phase: Phase,
    /// The lookup and happy-eyeballs attempts of a TCP connect, while connecting.
    /// Boxed: only a connecting client has one, and every socket would carry its size.
    connector: Option<Box<Connector>>,
    /// `connect()` was called: the attempt starts next tick (Node's `process.nextTick` before
    /// `internalConnect`), so a `destroy()` in the same turn means nothing reaches the network.
    connect_owed: Option<OwedConnect>,
    /// `remote_address()` was read while connected: Node keeps answering it after close.
    peer_read: std::cell::Cell<bool>,
    /// The driver has taken a `Lookup` or `Connect`: it holds something to close.
    driver_engaged: bool,
    /// The driver's last read loop stopped because the socket wanted no more (the high-water
    /// mark), not because the kernel ran dry: libuv's loop would read on as the listener returns.
    pub(crate) read_cut: bool,
    /// What only some sockets need (a client's connect, callbacks of `end()`, writes around a
    /// connect or a destroy), allocated when first needed: an accepted socket that just reads
    /// and writes never carries it (idle memory per connection).
    rare: Option<Box<Rare>>,
    ipc: bool,
    info: ConnectionInfo,
    connection_id: Option<ConnectionId>,
    read: ReadSide,
    write_state: WriteState,
    queue: WriteQueue,
    /// A `write()` returned `false`; `drain` is owed when the queue empties.
    need_drain: bool,
    /// `destroySoon()`: destroy once `finish` is emitted.
    destroy_on_finish: bool,
    /// A `Close` or `Reset` was handed to the driver: the handle is gone, no action follows
    /// (destroySoon() closes it as its FIN completes, before the destroy queues its own).
    handle_gone: bool,
    /// `resetAndDestroy()` while connecting: reset once connected.
    reset_on_connect: bool,
    /// `connect` was emitted and `ready` follows once the queued writes were offered.
    ready_owed: bool,
    /// `end` was handed to the user and `allowHalfOpen` is false: end our side next turn.
    auto_end_owed: bool,
    /// `end()` was called and the queue is empty: `prefinish` and the FIN come next turn.
    shutdown_owed: bool,
    /// Where the user is with the `connect` event. Node's `_final` of a socket ended while
    /// connecting runs in a `connect` listener added by `end()`, after the user's own: the FIN
    /// waits until the user has handled `connect`, so a `write()` there fails as a write after end.
    connect_handout: Handout,
    /// Both sides are done (or `destroySoon()` saw `finish`): Node's automatic destroy, which
    /// runs once the listeners of the last `end` / `finish` returned, so that they still see a
    /// live socket (`destroyed` false, `write()` a write after end, `destroy(err)` an error).
    auto_destroy_owed: bool,
    /// Nobody handles events one by one (an io-trait user): work that waits for the user to
    /// handle an event runs without waiting.
    events_unobserved: bool,
    /// The user handled `connect` with bytes queued: `ready` (and a reset asked for while
    /// connecting) wait until the driver offered them (its next [`Socket::tick`]), as Node
    /// flushes them in a `connect` listener, before it emits `ready`.
    ready_waits_offer: bool,
    /// Bytes were queued when the connection opened (writes made while connecting).
    connected_with_bytes: bool,
    /// Writes or `end()` were made while connecting: Node carries them out in `connect`
    /// listeners of its own, after the user's, so they (and writes queued behind them) wait
    /// until the user handled `connect`. Without them, a write in the user's `connect`
    /// listener goes to the kernel at once.
    connect_hold: bool,
    /// The first write made while connecting goes out alone: Node writes it from its
    /// `connect` listener, and the ones queued behind it only from its callback (so a peer that
    /// closed meanwhile answers the second with EPIPE, as two writes meet it).
    first_chunk_alone: bool,
    /// The first write made while connecting went out alone and the ones behind it are being
    /// offered (Node's clearBuffer inside that write's completion), callbacks or not.
    alone_flushing: bool,
    /// Node's `timeout` property: the last `setTimeout` value, 0 included.
    timeout_prop: Option<Duration>,
    /// An event was handed out and the user has not asked for the next since: its listener
    /// is still running (the pull model's "the listener returned" is the next poll).
    in_listener: bool,
    /// The first write made while connecting is still at the queue's front. Node writes it
    /// from its own `connect` listener and its completion is asynchronous, so its callback runs
    /// at once, before `ready`; every later write completes within a synchronous flush, and its
    /// callback waits for the next tick.
    first_write_pending: bool,
    /// `resetAndDestroy()` while connecting came before any write: its `connect` listener runs
    /// before the one flushing those writes, so they never go out.
    reset_before_writes: bool,
    /// Node's `writeAfterFIN`: after the peer's `end` without half-open, writes after our own
    /// end fail with EPIPE.
    peer_ended_guard: bool,
    /// Node's `kSetTOS`: the last type of service asked for (option or `setTypeOfService`),
    /// applied on connect; what the getter answers while there is no TCP handle.
    tos: Option<u8>,
    /// The type of service the kernel holds for this descriptor (what was last handed to the
    /// driver): the getter's answer while the TCP handle is live.
    kernel_tos: u8,
    /// The driver took the connect of the current attempt: its descriptor exists (Node's
    /// `uv_tcp_connect` made it), so the type of service can be read and set.
    attempt_has_fd: bool,
    /// `setNoDelay` asked for before the handle existed, applied on connect (keep-alive waits in `rare`).
    pending_no_delay: Option<bool>,
    idle_timeout: Option<Duration>,
    timer: Timer,
    /// The latest time the driver told us about; commands without `now` use it.
    now: Instant,
    next_write_id: u64,
    bytes_read: u64,
    bytes_written: u64,
    events: Queue<SocketEvent>,
    actions: VecDeque<SocketAction>,
    close_queued: bool,
    errored: Option<NetError>,
    /// Bytes in `data` events not yet handed out.
    queued_data: usize,
    /// The writes a destroy failed leave `writableLength` after the `close` listeners return,
    /// not as `close` is handed out.
    lost_after_close: bool,
    /// The last write went to the kernel within the current tick, with nothing queued before
    /// it: libuv tries such a write at once, so its failure is Node's synchronous one.
    offered_now: bool,
    /// A write failed inside the call that made it (EPIPE, ECONNRESET): Node's onwrite marks
    /// the stream errored at once and destroys on the next tick (onwriteError). Until then the
    /// socket is not writable, further writes are buffered, and `end()` does not end.
    write_error_owed: Option<NetError>,
    /// The callback of that write, failed with the error on that tick.
    failed_write: Option<WriteId>,
    /// Bytes buffered behind it, still in `bytesWritten` until their callbacks ran.
    unsent_written: u64,
    /// Destroyed inside `connect` with writes made while connecting: Node's own `connect`
    /// listener fails them (ERR_SOCKET_CLOSED) before `ready`, with this error for the rest.
    failed_before_ready: Option<NetError>,
}

/// A socket's seldom-needed state ([`Socket`]'s `rare`).
#[derive(Debug, Default)]
struct Rare {
    /// The IPC path being connected to (IPC has no connector).
    ipc_target: Option<Endpoint>,
    /// `autoSelectFamilyAttemptedAddresses`, kept from the connector.
    attempted: Option<Vec<SocketAddr>>,
    /// Callbacks of `end()` calls, fired between `prefinish` and `finish`.
    end_ids: Vec<WriteId>,
    /// Writes refused by the stream at once after `destroy()` (their callback on the next tick,
    /// no afterWrite or onwriteError): they run no errorBuffer, so a later `end(cb)` is not
    /// answered behind them.
    refused_ids: Vec<WriteId>,
    /// Callbacks of the first write made while connecting, held while the rest is flushed in
    /// the same turn: Node runs them from that write's completion after the flush, so a `drain`
    /// the flush owes comes first ([`Socket::flush_alone_done`]).
    alone_done: Vec<WriteId>,
    /// Callbacks of writes that completed while `ready` is owed (made in a `connect`
    /// listener): Node emits `ready` as those listeners return, and runs the callbacks of writes
    /// the kernel took at once on the next tick, after it.
    done_before_ready: Vec<(WriteId, Option<NetError>)>,
    /// `setKeepAlive` before the handle existed, applied on connect.
    pending_keep_alive: Option<KeepAlive>,
}

impl Socket {
    /// The seldom-needed state, allocated on first use.
    fn rare(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }

    /// The callbacks of `end()` calls, taken.
    fn take_end_ids(&mut self) -> Vec<WriteId> {
        self.rare.as_mut().map(|r| std::mem::take(&mut r.end_ids)).unwrap_or_default()
    }

    /// Keep the connector's `autoSelectFamilyAttemptedAddresses` past its end.
    fn keep_attempted(&mut self, attempted: Option<&[SocketAddr]>) {
        match attempted {
            Some(a) => self.rare().attempted = Some(a.to_vec()),
            None => {
                if let Some(r) = &mut self.rare {
                    r.attempted = None;
                }
            }
        }
    }

    /// A socket with no connection yet (`new net.Socket(options)`); `connect` it next.
    ///
    /// A `timeout` option is armed here, so it can fire while connecting, as in Node.
    pub fn new(opts: SocketOptions, now: Instant) -> Self {
        let mut sock = Self {
            read: ReadSide::new(opts.readable_high_water_mark, opts.pause_on_connect),
            pending_no_delay: opts.no_delay.then_some(true),
            tos: opts.type_of_service,
            kernel_tos: 0,
            attempt_has_fd: false,
            rare: opts
                .keep_alive
                .map(|ka| Box::new(Rare { pending_keep_alive: Some(ka), ..Rare::default() })),
            idle_timeout: None,
            opts,
            phase: Phase::Idle,
            connector: None,
            connect_owed: None,
            peer_read: std::cell::Cell::new(false),
            driver_engaged: false,
            read_cut: false,
            ipc: false,
            info: ConnectionInfo::default(),
            connection_id: None,
            write_state: WriteState::Open,
            queue: WriteQueue::default(),
            need_drain: false,
            destroy_on_finish: false,
            handle_gone: false,
            reset_on_connect: false,
            ready_owed: false,
            auto_end_owed: false,
            shutdown_owed: false,
            connect_handout: Handout::Done,
            auto_destroy_owed: false,
            events_unobserved: false,
            ready_waits_offer: false,
            connected_with_bytes: false,
            connect_hold: false,
            first_chunk_alone: false,
            alone_flushing: false,
            timeout_prop: None,
            in_listener: false,
            first_write_pending: false,
            reset_before_writes: false,
            peer_ended_guard: false,
            timer: Timer::default(),
            now,
            next_write_id: 0,
            bytes_read: 0,
            bytes_written: 0,
            events: Queue::default(),
            actions: VecDeque::new(),
            close_queued: false,
            errored: None,
            queued_data: 0,
            lost_after_close: false,
            offered_now: false,
            write_error_owed: None,
            failed_write: None,
            unsent_written: 0,
            failed_before_ready: None,
        };
        if let Some(timeout) = sock.opts.timeout {
            sock.set_timeout(now, timeout);
        }
        sock
    }

    /// A socket for a connection a server accepted: already open, and it never emits `connect` or
    /// `ready`. Socket options (`noDelay`, `keepAlive`) come out as actions at once.
    pub fn accepted(opts: SocketOptions, info: ConnectionInfo, ipc: bool, now: Instant) -> Self {
        let mut sock = Self::new(opts, now);
        sock.phase = Phase::Open;
        sock.ipc = ipc;
        sock.info = info;
        sock.apply_pending_options();
        sock
    }

    pub(crate) fn set_connection_id(&mut self, id: ConnectionId) {
        self.connection_id = Some(id);
    }

    // ------------------------------------------------------------------------------------------
    // Getters.

    /// Node's `readyState`.
    pub fn ready_state(&self) -> ReadyState {
        match self.phase {
            Phase::Destroyed => ReadyState::Closed,
            Phase::Connecting => ReadyState::Opening,
            Phase::Idle | Phase::Open => match (self.readable(), self.writable()) {
                (true, true) => ReadyState::Open,
                (true, false) => ReadyState::ReadOnly,
                (false, true) => ReadyState::WriteOnly,
                (false, false) => ReadyState::Closed,
            },
        }
    }

    /// Node's `readable`: not destroyed and `end` not yet emitted. An `end` queued but not
    /// handed out (the EOF read with the bytes a `data` listener is handling) still counts as
    /// not emitted: Node sets `endEmitted` only as it emits.
    pub fn readable(&self) -> bool {
        self.phase != Phase::Destroyed
            && (self.read.state != ReadState::Ended || self.events.iter().any(|e| *e == SocketEvent::End))
    }

    /// Node's `writable`: not destroyed and `end()` not yet called.
    pub fn writable(&self) -> bool {
        self.phase != Phase::Destroyed
            && self.write_state == WriteState::Open
            && self.write_error_owed.is_none()
    }

    /// Node's `writableEnded`: `end()` was called (by the user, or automatically after the
    /// peer's `end`).
    pub fn writable_ended(&self) -> bool {
        self.write_state != WriteState::Open
    }

    /// Node's `writableFinished`: `finish` was emitted, every byte was handed to the kernel and
    /// the FIN is out.
    pub fn writable_finished(&self) -> bool {
        self.write_state == WriteState::Finished
    }

    /// Node's `pending`: no live handle (never connected, connecting, or destroyed).
    pub fn pending(&self) -> bool {
        self.phase != Phase::Open
    }

    /// Node's `connecting`.
    pub fn connecting(&self) -> bool {
        matches!(self.phase, Phase::Connecting)
    }

    /// Node's `destroyed`.
    pub fn destroyed(&self) -> bool {
        self.phase == Phase::Destroyed
    }

    /// Node's `errored`: the error the socket was destroyed with.
    pub fn errored(&self) -> Option<&NetError> {
        self.errored.as_ref()
    }

    /// Node's `writableLength`: the bytes of writes not yet complete. A write counts whole until
    /// the kernel took its last byte, as in Node.
    pub fn writable_length(&self) -> usize {
        self.queue.pending_len()
    }

    /// Node's `readableLength`: bytes held while paused.
    pub fn readable_length(&self) -> usize {
        self.read.buffered()
    }

    /// Node's `writableNeedDrain`: a write returned `false` and `drain` has not come yet; false
    /// once `end()` was called (Node's getter checks `!ending`) or the socket is destroyed.
    pub fn writable_need_drain(&self) -> bool {
        self.need_drain && self.write_state == WriteState::Open && self.phase != Phase::Destroyed
    }

    /// Whether a task waiting for room (`drained()`, an awaited write) still waits: a write
    /// returned `false` and the queue has not gone below the mark since. Unlike
    /// [`Socket::writable_need_drain`] it stays set after `end()`, until the queue empties.
    pub fn drain_owed(&self) -> bool {
        self.need_drain
    }

    /// The queue is under the high-water mark (a mark of 0 counts as 1): a byte-stream writer
    /// (`AsyncWrite`) may hand over more.
    pub fn has_write_room(&self) -> bool {
        self.writable_length() < self.opts.writable_high_water_mark.max(1)
    }

    /// Whoever waits to write again (`drained()`, `AsyncWrite`) should look again: there is room,
    /// no `drain` is owed, or the socket is gone.
    pub fn write_waiters_may_proceed(&self) -> bool {
        self.has_write_room()
            || !self.need_drain
            || self.phase == Phase::Destroyed
            || self.write_error_owed.is_some()
    }

    /// Node's `writableHighWaterMark`.
    pub fn writable_high_water_mark(&self) -> usize {
        self.opts.writable_high_water_mark
    }

    /// Node's `readableHighWaterMark`.
    pub fn readable_high_water_mark(&self) -> usize {
        self.opts.readable_high_water_mark
    }

    /// Node's `allowHalfOpen`.
    pub fn allow_half_open(&self) -> bool {
        self.opts.allow_half_open
    }

    /// `socket.allowHalfOpen = value`: Node reads the flag when it hands out `end`, so a change
    /// before that decides whether our side ends automatically after the peer's.
    pub fn set_allow_half_open(&mut self, value: bool) {
        self.opts.allow_half_open = value;
    }

    /// Node's `isPaused()`.
    pub fn is_paused(&self) -> bool {
        self.read.paused
    }

    /// Node's `bytesRead`. Read inside a listener of this socket's, it leaves out the bytes of
    /// the `data` events queued behind the one being handled: Node makes those reads only after
    /// the listener returns (one read, one `data`).
    pub fn bytes_read(&self) -> u64 {
        if self.in_listener { self.bytes_read - self.queued_data as u64 } else { self.bytes_read }
    }

    /// Every byte the driver fed in ([`IoInput::Read`]), whether its `data` was handed out yet
    /// or not: what was taken from the kernel.
    pub fn bytes_received(&self) -> u64 {
        self.bytes_read
    }

    /// Node's `bytesWritten`: every byte given to an accepted `write()`, queued ones included.
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written
    }

    /// Node's `timeout`: the last `set_timeout` value (0 when it turned the timer off), `None` if never set.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout_prop
    }

    /// Node's `autoSelectFamilyAttemptedAddresses`: the addresses tried on the multi-address
    /// connect path; `None` on the plain path.
    pub fn auto_select_family_attempted_addresses(&self) -> Option<&[SocketAddr]> {
        match &self.connector {
            Some(c) => c.attempted(),
            None => self.rare.as_ref().and_then(|r| r.attempted.as_deref()),
        }
    }

    /// Whether this is an IPC (Unix-domain) socket.
    pub fn is_ipc(&self) -> bool {
        self.ipc
    }

    /// The server connection this socket counts as, if a [`crate::Server`] accepted it.
    pub fn connection_id(&self) -> Option<ConnectionId> {
        self.connection_id
    }

    /// Local address while connected (`localAddress`/`localPort`); `None` while connecting,
    /// after destroy, and for IPC.
    pub fn local_address(&self) -> Option<SocketAddr> {
        if self.phase == Phase::Open { self.info.local } else { None }
    }

    /// `localFamily`.
    pub fn local_family(&self) -> Option<Family> {
        self.local_address().map(|a| Family::of(a.ip()))
    }

    /// Peer address (`remoteAddress`/`remotePort`) while connected. After close it stays
    /// readable only if it was read while connected, as Node's `_getpeername` caches its first
    /// answer (conformance scenario address/tcp-local-remote).
    pub fn remote_address(&self) -> Option<SocketAddr> {
        if self.phase == Phase::Open {
            self.peer_read.set(true);
            return self.info.remote;
        }
        if self.peer_read.get() { self.info.remote } else { None }
    }

    /// The peer address the connection was made with, for logs and tracing spans: unlike
    /// [`Socket::remote_address`] (Node's getter), reading it leaves no trace in what
    /// `remoteAddress` answers after close.
    pub fn peer_for_logs(&self) -> Option<SocketAddr> {
        self.info.remote
    }

    /// `remoteFamily`.
    pub fn remote_family(&self) -> Option<Family> {
        self.remote_address().map(|a| Family::of(a.ip()))
    }

    /// Whether the driver should read from the handle now.
    ///
    /// `data` handed to the event queue but not yet taken by the user counts against the readable
    /// high-water mark too, so a slow event consumer pushes back on the peer.
    pub fn wants_read(&self) -> bool {
        self.phase == Phase::Open
            // Node starts reading after `connect` and `ready` were emitted (afterConnect's read(0)).
            && !self.ready_owed
            // Destroyed as soon as the last `end` / `finish` is handled: nothing is read between.
            && !self.auto_destroy_owed
            && self.read.wants_read()
            && self.queued_data < self.opts.readable_high_water_mark.max(1)
    }

    /// Whether the io-trait reader may read from the kernel straight into its own buffer: the
    /// socket is open, flowing and below its mark, and nothing (held bytes, events, next-tick
    /// work) waits to be handed out first, so that skipping the `data` event changes nothing a
    /// reader can see. Followed by [`Socket::read_direct`].
    pub fn can_read_direct(&self) -> bool {
        self.wants_read()
            && !self.read.paused
            && self.read.buffered() == 0
            && self.events.is_empty()
            && !self.tick_owed()
            && !self.auto_end_owed
    }

    /// `n` bytes the io-trait reader read from the kernel itself, when
    /// [`Socket::can_read_direct`] allowed it: counted in `bytesRead` and refreshing the idle
    /// timer, as a `data` event would (the bytes are the reader's already). EOF and errors come
    /// in as usual ([`IoInput::ReadEof`], [`IoInput::Failed`]).
    pub fn read_direct(&mut self, now: Instant, n: usize) {
        self.now = now;
        debug_assert!(self.can_read_direct(), "read_direct without can_read_direct");
        if n > 0 && self.phase == Phase::Open && self.read.state == ReadState::Open {
            self.bytes_read += n as u64;
            self.touch();
        }
        self.check_invariants();
    }

    /// Whether queued bytes wait for the kernel.
    pub fn wants_write(&self) -> bool {
        self.phase == Phase::Open
            && self.queue.byte_len() > 0
            && !self.held_for_connect()
            && self.write_error_owed.is_none()
    }

    // ------------------------------------------------------------------------------------------
    // Outputs.

    /// The queued bytes to offer the kernel, front first; acknowledge with
    /// [`IoInput::Written`]. Empty unless connected.
    pub fn transmit_chunks(&self) -> impl Iterator<Item = &Bytes> {
        let live = self.phase == Phase::Open;
        self.queue.chunks().filter(move |_| live)
    }

    /// Fill `out` for a vectored write of the queued bytes; returns how many slices were filled.
    pub fn io_slices<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        match self.phase {
            Phase::Open if self.first_chunk_alone && !out.is_empty() => self.queue.io_slices(&mut out[..1]),
            Phase::Open => self.queue.io_slices(out),
            _ => 0,
        }
    }

    /// Whether [`Socket::poll_action`] has something for the driver.
    pub fn has_action(&self) -> bool {
        !self.handle_gone && !self.actions.is_empty()
    }

    /// Whether an event waits to be handed out ([`Socket::poll_event`] would answer one without
    /// running next-tick work).
    pub fn has_event(&self) -> bool {
        !self.events.is_empty()
    }

    /// The next thing the driver must do.
    pub fn poll_action(&mut self) -> Option<SocketAction> {
        if self.handle_gone {
            self.actions.clear();
            return None;
        }
        let action = self.actions.pop_front()?;
        if matches!(action, SocketAction::Close | SocketAction::Reset) {
            self.handle_gone = true;
        }
        if matches!(action, SocketAction::Connect { .. } | SocketAction::Lookup { .. }) {
            self.driver_engaged = true;
        }
        // Each attempt is a new descriptor, which holds no type of service yet.
        match action {
            SocketAction::Connect { to: Endpoint::Tcp(_), .. } => {
                self.attempt_has_fd = true;
                self.kernel_tos = 0;
            }
            SocketAction::CancelConnect => self.attempt_has_fd = false,
            _ => {}
        }
        Some(action)
    }

    /// When [`Socket::handle_timeout`] is next due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.phase == Phase::Destroyed {
            return None;
        }
        let attempt = self.connector.as_deref().and_then(Connector::deadline);
        match (self.timer.deadline(), attempt) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The listeners of the last event handed out returned, before the user asks for the next
    /// one: what Node does synchronously as they return is owed now, ahead of any other socket's
    /// work. After `connect`, that is Node's own `connect` listener writing what was queued
    /// while connecting ([`Socket::wants_write`] turns true). [`Socket::poll_event`] implies it;
    /// a driver that serves several sockets calls it on the one whose event it just handed out,
    /// before it looks at the others.
    pub fn listener_returned(&mut self) {
        self.in_listener = false;
        self.offered_now = false;
        self.connect_listeners_returned();
        if self.auto_destroy_owed
            && !self.events.iter().any(|e| matches!(e, SocketEvent::End | SocketEvent::Finish))
        {
            // Node's automatic destroy (and destroySoon's) runs synchronously after the
            // listeners of the last `end` / `finish`, before any other socket's work.
            self.auto_destroy_owed = false;
            self.destroy_inner(None, false);
        }
        if self.ready_owed && self.reset_on_connect && !self.ready_waits_offer && self.connect_handled() {
            // resetAndDestroy() while connecting, before any write: its `connect` listener
            // runs first and destroys, so the writes never go out.
            self.run_ticks();
        }
    }

    /// The next event for the user.
    ///
    /// Work Node does on the next tick runs here before the next event is handed out (the
    /// `ready` after `connect`, the automatic `end()` after the peer's `end`), so this can queue
    /// new actions and bytes: drivers loop over all outputs until each is empty.
    pub fn poll_event(&mut self) -> Option<SocketEvent> {
        // Asking for the next event means the listeners of the last one returned.
        self.listener_returned();
        self.run_deferred();
        let answering =
            |e: &SocketEvent| matches!(e, SocketEvent::WriteDone(id, Some(_)) if self.queue.is_lost(*id));
        if self.unsent_written > 0 && !self.events.iter().any(answering) {
            // errorBuffer's resetBuffer, after the last callback it ran.
            self.bytes_written -= std::mem::take(&mut self.unsent_written);
        }
        if self.queue.has_lost()
            && self.phase == Phase::Destroyed
            && !self.events.iter().any(|e| matches!(e, SocketEvent::Close { .. }) || answering(e))
        {
            // `close` was handed out and the last failed write's listener returned.
            self.queue.forget_lost();
        }
        let event = self.events.pop_front()?;
        match &event {
            SocketEvent::WriteDone(id, Some(_)) => self.queue.failure_handed_out(*id),
            SocketEvent::Close { .. } if !self.lost_after_close => self.queue.forget_lost(),
            _ => {}
        }
        if event == SocketEvent::Connect && self.connect_handout == Handout::Queued {
            self.connect_handout = Handout::HandedOut;
        }
        if let SocketEvent::Data(d) = &event {
            self.queued_data -= d.len();
        }
        self.in_listener = true;
        if event == SocketEvent::End && !self.opts.allow_half_open {
            // Node ends our side in a tick queued right after the `end` emission, so writes the
            // user makes while handling `end` still go out first; and from the emission on, a
            // write after our own end fails as `writeAfterFIN`.
            self.auto_end_owed = true;
            self.peer_ended_guard = true;
        }
        Some(event)
    }

    // ------------------------------------------------------------------------------------------
    // Inputs.

    /// Feed what the operating system did.
    pub fn handle_io(&mut self, now: Instant, input: IoInput) {
        self.now = now;
        let offered_now = std::mem::take(&mut self.offered_now);
        if let IoInput::Failed(e) = &input {
            // The writes behind the first made while connecting failed in the kernel, inside
            // that write's completion: Node's onwrite took their bytes off at once, so the
            // completion's afterWrite finds the buffer empty and emits the `drain` a write
            // owed, before the first write's callbacks (Node 26).
            if self.alone_flushing
                && self.need_drain
                && self.write_state == WriteState::Open
                && e.syscall_name() == Some("write")
            {
                self.need_drain = false;
                self.events.push_back(SocketEvent::Drain);
            }
        }
        if !matches!(input, IoInput::Written(_)) {
            self.run_deferred();
        }
        match input {
            IoInput::Resolved(result) => {
                if let Some(mut c) = self.connector.take() {
                    // The resolver found nothing: getaddrinfo's ENOTFOUND.
                    let result = match result {
                        Ok(ips) if ips.is_empty() => {
                            Err(NetError::lookup(crate::ErrorCode::ENOTFOUND, c.host()))
                        }
                        r => r.map(|ips| ips.into_iter().map(crate::LookupAddress::from).collect()),
                    };
                    let step = c.resolved(now, result, &mut self.events, &mut self.actions);
                    self.after_connector_step(c, step);
                }
            }
            IoInput::LookedUp(result) => {
                if let Some(mut c) = self.connector.take() {
                    let step = c.resolved(now, result, &mut self.events, &mut self.actions);
                    self.after_connector_step(c, step);
                }
            }
            IoInput::Connected(info) => self.on_connected(info),
            IoInput::ConnectFailed(err) => {
                self.attempt_has_fd = false;
                if self.phase == Phase::Connecting {
                    if let Some(mut c) = self.connector.take() {
                        let step = c.attempt_failed(now, err, &mut self.events, &mut self.actions);
                        self.after_connector_step(c, step);
                    } else if let Some(to) = self.rare.as_ref().and_then(|r| r.ipc_target.clone()) {
                        self.events.push_back(SocketEvent::ConnectionAttemptFailed(to, err.clone()));
                        self.destroy_inner(Some(err), true);
                    }
                }
            }
            IoInput::Read(data) => self.on_read(data),
            IoInput::ReadEof => {
                if let Some(stopped) = self.read.stopped.as_mut() {
                    // A driver that read before it saw the stop: behind what the handle keeps.
                    stopped.eof = true;
                } else if self.phase == Phase::Open
                    && self.read.state == ReadState::Open
                    && !self.auto_destroy_owed
                {
                    self.read.state = ReadState::EofPending;
                    self.flow();
                }
            }
            IoInput::Written(n) => self.on_written(n),
            IoInput::ShutdownDone => {
                if self.phase == Phase::Open && self.write_state == WriteState::ShuttingDown {
                    self.write_state = WriteState::Finished;
                    self.events.push_back(SocketEvent::Finish);
                    if self.destroy_on_finish {
                        // Node's destroySoon adds `once('finish', destroy)`: the destroy runs
                        // as the user's `finish` listeners return (`listener_returned`), so
                        // they still see a live socket. The handle closes now, though: in Node
                        // nothing runs between the shutdown's completion and that destroy but
                        // those listeners, so no other socket (the peer) can see our FIN before
                        // the close (with unread bytes, the RST); a backend that hands out
                        // another socket's events first must not let it (ipc/destroy-soon-
                        // unread-resets). Nothing is read or written meanwhile: a write there
                        // is a write after end.
                        self.auto_destroy_owed = true;
                        self.actions.push_back(SocketAction::Close);
                        self.run_deferred_if_unobserved();
                    } else {
                        self.maybe_close();
                    }
                }
            }
            IoInput::Failed(err)
                if offered_now
                    && self.phase == Phase::Open
                    && err.syscall_name() == Some("write")
                    && self.write_error_owed.is_none() =>
            {
                self.fail_write_in_call(err);
            }
            IoInput::Failed(err) => self.destroy_inner(Some(err), true),
        }
        self.check_invariants();
    }

    /// Fire expired timers. Extra calls are harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        self.run_deferred();
        if let Some(mut c) = self.connector.take() {
            let step = c.handle_timeout(now, &mut self.events, &mut self.actions);
            self.after_connector_step(c, step);
        }
        if self.phase != Phase::Destroyed && self.timer.expire(now) {
            // Fires once; only activity re-arms it.
            self.events.push_back(SocketEvent::Timeout);
        }
        self.check_invariants();
    }

    // ------------------------------------------------------------------------------------------
    // Commands.

    /// Start connecting to an address or IPC path (`socket.connect(port, ip)` or
    /// `socket.connect(path)`); emits `connectionAttempt` and asks the driver for
    /// [`SocketAction::Connect`]. Only a fresh socket connects.
    pub fn connect(&mut self, to: Endpoint) -> Result<(), NetError> {
        match to {
            Endpoint::Tcp(addr) => self.connect_with(ConnectOptions::new(addr.ip().to_string(), addr.port())),
            Endpoint::Ipc(ref path) => {
                self.check_connectable()?;
                self.ipc = true;
                self.events.push_back(SocketEvent::ConnectionAttempt(to.clone()));
                if path.as_os_str().len() > crate::MAX_IPC_PATH_BYTES {
                    // Node 26 refuses (never truncates) a path longer than `sun_path`: no
                    // `connectionAttemptFailed`, just the error.
                    let shown = path.display().to_string();
                    let mut err = NetError::connect_path(crate::ErrorCode::EINVAL, &shown);
                    err = NetError::with_message(
                        err,
                        format!("connect EINVAL {shown} - Local (undefined:undefined)"),
                    );
                    self.phase = Phase::Connecting;
                    self.destroy_inner(Some(err), true);
                    return Ok(());
                }
                // Node connects a pipe inside `connect()` (uv_pipe_connect calls connect(2) at
                // once) and reports the outcome later: the driver is asked now, and carries the
                // connect out in the command's pump, so a server sees a connection that a
                // `destroy()` in the same tick then closes.
                self.actions.push_back(SocketAction::Connect { to: to.clone(), local: None });
                self.rare().ipc_target = Some(to);
                self.phase = Phase::Connecting;
                self.check_invariants();
                Ok(())
            }
        }
    }

    /// `socket.connect(options)` for TCP: a host name is looked up first ([`SocketAction::Lookup`],
    /// `lookup` events), then the addresses are tried as Node does (happy eyeballs with
    /// `auto_select_family`, the outbound `block_list`, `local_address`/`local_port`).
    pub fn connect_with(&mut self, opts: ConnectOptions) -> Result<(), NetError> {
        self.check_connectable()?;
        opts.validate()?;
        self.phase = Phase::Connecting;
        // Node calls the lookup of a host name inside connect() (an IP literal waits a tick):
        // a custom lookup that answers at once has its `lookup` and `connectionAttempt`
        // events before connect() returns, so its request goes out now.
        let looked_up_now = opts.lookup.is_some() && crate::is_ip(&opts.host) == 0;
        self.connect_owed = Some(OwedConnect::Tcp(Box::new(opts)));
        if looked_up_now {
            self.start_owed_connect();
        }
        self.check_invariants();
        Ok(())
    }

    /// [`connect_with`](Self::connect_with) for a constructor that cannot return an error:
    /// what Node throws from `connect()` (bad `hints`) destroys the socket with that error
    /// instead, so the user sees it as the socket's `error` rather than a socket that never
    /// connects.
    pub fn connect_with_or_destroy(&mut self, opts: ConnectOptions) {
        if let Err(err) = self.connect_with(opts) {
            self.destroy_with_error(err);
        }
    }

    /// The custom lookup a `connect_with` just asked for, taken out of the actions for the
    /// backend to call at once, inside its `connect()` as Node does (its answer may come before
    /// `connect()` returns: feed it as [`IoInput::LookedUp`]).
    pub fn take_custom_lookup(&mut self) -> Option<(crate::LookupRequest, crate::CustomLookup)> {
        let at =
            self.actions.iter().position(|a| matches!(a, SocketAction::Lookup { lookup: Some(_), .. }))?;
        self.driver_engaged = true;
        match self.actions.remove(at) {
            Some(SocketAction::Lookup { request, lookup: Some(lookup) }) => Some((request, lookup)),
            _ => unreachable!("found above"),
        }
    }

    /// Start the connect `connect()` asked for, if the socket is still connecting (next tick).
    fn start_owed_connect(&mut self) {
        let Some(owed) = self.connect_owed.take() else { return };
        if self.phase != Phase::Connecting {
            return;
        }
        match owed {
            OwedConnect::Tcp(opts) => {
                let (connector, step) = Connector::start(*opts, &mut self.events, &mut self.actions);
                self.after_connector_step(Box::new(connector), step);
            }
        }
    }

    fn after_connector_step(&mut self, connector: Box<Connector>, step: Step) {
        match step {
            Step::Pending => self.connector = Some(connector),
            Step::Fail(err) => {
                self.keep_attempted(connector.attempted());
                self.destroy_inner(Some(err), true);
            }
        }
    }

    fn check_connectable(&self) -> Result<(), NetError> {
        match self.phase {
            Phase::Idle => {}
            Phase::Destroyed => return Err(NetError::socket_closed()),
            Phase::Connecting | Phase::Open => {
                return Err(NetError::new(
                    crate::ErrorCode::ERR_SOCKET_CLOSED,
                    "Socket is already connecting or connected",
                ));
            }
        }
        Ok(())
    }

    /// Queue bytes (`socket.write(data)`); see [`PendingWrite`] for how the return value is decided.
    pub fn write(&mut self, data: Bytes) -> PendingWrite {
        self.write_inner(data, None, false)
    }

    /// `socket.write(data, cb)`: as [`Socket::write`], and a [`SocketEvent::WriteDone`] with the
    /// returned id reports when the bytes were handed to the kernel, or why they never will be.
    pub fn write_with_callback(&mut self, data: Bytes) -> (PendingWrite, WriteId) {
        let id = self.next_id();
        (self.write_inner(data, Some(id), false), id)
    }

    /// Node's `write()` return value: `writableLength < highWaterMark || writableLength == 0`,
    /// read now, after the driver offered the queue to the kernel. A `false` owes a `drain`.
    pub fn settle(&mut self, pending: PendingWrite) -> bool {
        // The write's own offer is over: a kernel that would block took it into libuv's queue
        // (dispatched, counted in `bytesWritten`), so a failure from now on is asynchronous.
        self.offered_now = false;
        // Node's writeOrBuffer: `ret && !state.errored && !state.destroyed`: a write the kernel
        // refused at once (EPIPE on a Unix socket whose peer is gone) answers false.
        if !pending.accepted || self.phase == Phase::Destroyed {
            return false;
        }
        let len = self.queue.pending_len();
        let ok = len < self.opts.writable_high_water_mark || len == 0;
        if !ok && self.phase != Phase::Destroyed {
            self.need_drain = true;
        }
        ok && self.write_error_owed.is_none()
    }

    /// `socket.end()`: flush the queue, then send FIN; `finish` follows.
    pub fn end(&mut self) {
        self.end_inner(None);
    }

    /// `socket.end(cb)`: the returned id's [`SocketEvent::WriteDone`] comes between `prefinish` and
    /// `finish`, or with an error (`ERR_STREAM_ALREADY_FINISHED` after `finish`).
    pub fn end_with_callback(&mut self) -> WriteId {
        let id = self.next_id();
        self.end_inner(Some(id));
        id
    }

    /// `socket.end(data)`: [`Socket::end_write`] then [`Socket::end_after`], for a user who
    /// does not offer the write to the kernel in between (a write the kernel refuses is then
    /// seen only after `end()`).
    pub fn end_data(&mut self, data: Bytes) -> PendingWrite {
        let w = self.end_write(data);
        let pending = w.pending;
        self.end_after(w);
        pending
    }

    /// `socket.end(data, cb)`: [`Socket::end_write`] then [`Socket::end_after_with_callback`].
    pub fn end_data_with_callback(&mut self, data: Bytes) -> (PendingWrite, WriteId) {
        let w = self.end_write(data);
        let pending = w.pending;
        (pending, self.end_after_with_callback(w))
    }

    /// The write of `socket.end(data)`. Node's `end(chunk)` writes through the stream's own
    /// `_write`, not `socket.write`, so the "ended by the other party" (EPIPE) guard of a
    /// peer-ended socket does not apply: after `end()` the write fails with "write after end".
    /// The driver offers it to the kernel, then [`Socket::end_after`] ends.
    pub fn end_write(&mut self, data: Bytes) -> EndWrite {
        let refused = if self.write_state != WriteState::Open {
            Some(NetError::write_after_end())
        } else if self.phase == Phase::Destroyed {
            Some(NetError::stream_destroyed())
        } else {
            None
        };
        let pending = self.write_inner(data, None, true);
        self.check_invariants();
        EndWrite { pending, refused }
    }

    /// The `end()` of `socket.end(data)`, after its write was offered to the kernel. A write
    /// Node refused (after `end()`, or destroyed) does not end: a later `end(cb)` on a
    /// destroyed socket files its callback for a `finish` that never comes.
    pub fn end_after(&mut self, w: EndWrite) {
        if w.refused.is_none() {
            self.end_inner(None);
        }
        self.check_invariants();
    }

    /// [`Socket::end_after`] with `end(data, cb)`'s callback. A refused write fails the
    /// callback with the write's error, after the `error` it raises and before `close`.
    pub fn end_after_with_callback(&mut self, w: EndWrite) -> WriteId {
        let id = self.next_id();
        match w.refused {
            Some(err) => self.push_before_close(SocketEvent::WriteDone(id, Some(err))),
            None => self.end_inner(Some(id)),
        }
        self.check_invariants();
        id
    }

    /// `socket.destroy()`: close at once; `close(false)` follows. Harmless when repeated.
    pub fn destroy(&mut self) {
        self.drop_unemitted_reads();
        self.destroy_inner(None, false);
        self.check_invariants();
    }

    /// `socket.destroy(err)`: `error`, then `close(true)`. A later error is dropped.
    pub fn destroy_with_error(&mut self, err: NetError) {
        self.drop_unemitted_reads();
        self.destroy_inner(Some(err), true);
        self.check_invariants();
    }

    /// The socket's `signal` was aborted with `reason` (Node's stream abort listener): destroyed
    /// with an `AbortError` ([`NetError::aborted`]) whatever the phase, a connected socket
    /// too; nothing on one already destroyed.
    pub fn abort(&mut self, reason: &NetError) {
        if self.phase != Phase::Destroyed {
            self.destroy_with_error(NetError::aborted(reason));
        }
    }

    /// The `signal` option, which the driver listens to ([`Socket::abort`]).
    pub fn signal(&self) -> Option<&crate::AbortSignal> {
        self.opts.signal.as_ref()
    }

    /// `socket.destroySoon()`: end, and destroy once `finish` is emitted, without waiting for
    /// the peer.
    pub fn destroy_soon(&mut self) {
        // Node: `if (this.writable) this.end()`: not once destroyed (or errored), so a later
        // write hears ERR_STREAM_DESTROYED, not "write after end".
        if self.writable() {
            self.end_inner(None);
        }
        if self.write_state == WriteState::Finished {
            return self.destroy();
        }
        if self.phase != Phase::Destroyed {
            self.destroy_on_finish = true;
        }
        self.check_invariants();
    }

    /// `socket.resetAndDestroy()`: close with RST. While connecting it waits for `connect` and
    /// `ready`; with no handle at all it fails with `ERR_SOCKET_CLOSED`; on IPC it is refused
    /// with `ERR_INVALID_HANDLE_TYPE`, which Node throws.
    pub fn reset_and_destroy(&mut self) -> Result<(), NetError> {
        // Node looks at the handle's type only while there is a handle: a Unix socket that is
        // closed (or never connected) takes the `destroy(ERR_SOCKET_CLOSED)` path like TCP.
        if self.ipc && matches!(self.phase, Phase::Connecting | Phase::Open) {
            return Err(NetError::invalid_handle_type());
        }
        match self.phase {
            Phase::Destroyed => {}
            // Node emits `close` without an argument here; `had_error: false` is our reading of it.
            Phase::Idle => self.destroy_inner(Some(NetError::socket_closed()), false),
            Phase::Connecting => {
                self.reset_before_writes = self.queue.byte_len() == 0;
                self.reset_on_connect = true;
            }
            Phase::Open => {
                self.drop_unemitted_reads();
                self.reset();
            }
        }
        self.check_invariants();
        Ok(())
    }

    /// `socket.pause()`: stop emitting `data`. Reading goes on until the readable high-water mark.
    ///
    /// Node emits held chunks one at a time, each listener returning before the next is read
    /// from the buffer, so a `pause()` inside a `data` listener (or right after `resume()`, whose
    /// flow waits for a tick) leaves the rest held: the `data` events queued here and not handed
    /// out yet go back to the buffer, and an `end` behind them waits again.
    pub fn pause(&mut self) {
        if self.phase != Phase::Destroyed {
            self.read.paused = true;
            self.hold_queued_data();
        }
        self.check_invariants();
    }

    /// An `onread` callback returned `false` ([`OnReadBuffer`](crate::OnReadBuffer)): Node
    /// stops the handle reading (`readStop`) without pausing the stream (`isPaused()` stays
    /// false). `rest` (the bytes of the `data` event not handed to the callback), the `data`
    /// events queued after it and a FIN not yet emitted as `end` are treated as never read:
    /// out of `bytesRead` and `readableLength`, as Node leaves them in the kernel. `resume()`
    /// reads them again, in order.
    pub fn stop_reading(&mut self, rest: Bytes) {
        if self.phase == Phase::Destroyed {
            return;
        }
        let mut stopped = self.read.stopped.take().unwrap_or_default();
        if !rest.is_empty() {
            stopped.chunks.push(rest);
        }
        let mut end_queued = false;
        self.events.retain(|e| match e {
            SocketEvent::Data(d) => {
                stopped.chunks.push(d.clone());
                false
            }
            SocketEvent::End => {
                end_queued = true;
                false
            }
            _ => true,
        });
        self.queued_data = 0;
        stopped.chunks.extend(self.read.take_all());
        if end_queued || self.read.state == ReadState::EofPending {
            stopped.eof = true;
            self.read.state = ReadState::Open;
            self.auto_destroy_owed = false;
        }
        let unread: usize = stopped.chunks.iter().map(Bytes::len).sum();
        self.bytes_read = self.bytes_read.saturating_sub(unread as u64);
        self.read.stopped = Some(stopped);
        self.check_invariants();
    }

    /// A stopped handle reads again: what it kept comes as if read now.
    fn restart_reading(&mut self) {
        let Some(stopped) = self.read.stopped.take() else { return };
        for data in stopped.chunks {
            self.on_read(data);
        }
        if stopped.eof && self.read.state == ReadState::Open {
            self.read.state = ReadState::EofPending;
            self.flow();
        }
    }

    fn hold_queued_data(&mut self) {
        if self.queued_data == 0 {
            return;
        }
        let mut held: Vec<Bytes> = Vec::new();
        let mut end_held = false;
        self.events.retain(|e| match e {
            SocketEvent::Data(d) => {
                held.push(d.clone());
                false
            }
            SocketEvent::End if !held.is_empty() => {
                end_held = true;
                false
            }
            _ => true,
        });
        self.queued_data = 0;
        self.read.hold_again(held.into_iter());
        if end_held {
            // `end` comes again once the held bytes are out; the automatic destroy with it.
            self.read.state = ReadState::EofPending;
            self.auto_destroy_owed = false;
        }
    }

    /// `socket.resume()`: emit what was held, then `end` if the peer finished; a handle an
    /// `onread` callback stopped reads again.
    pub fn resume(&mut self) {
        if self.phase != Phase::Destroyed {
            self.read.paused = false;
            self.read.started = true;
            self.flow();
            self.restart_reading();
        }
        self.check_invariants();
    }

    /// `socket.setTimeout(ms)`: emit `timeout` after this much idle time; zero disables it.
    pub fn set_timeout(&mut self, now: Instant, timeout: Duration) {
        self.now = now;
        if self.phase == Phase::Destroyed {
            return; // no handle, no timer (found by the property test)
        }
        // Node's `this.timeout = msecs`, 0 included (the getter reads 0, not undefined).
        self.timeout_prop = Some(timeout.min(crate::TIMEOUT_MAX));
        if timeout.is_zero() {
            self.idle_timeout = None;
            self.timer.stop();
        } else {
            // Node cuts timers to 2^31-1 ms; that also keeps `now + timeout` inside `Instant`.
            let timeout = timeout.min(crate::TIMEOUT_MAX);
            self.idle_timeout = Some(timeout);
            self.timer.arm(now, timeout);
        }
    }

    /// `socket.setNoDelay(enable)`: applied now if connected, else on connect; no-op for IPC.
    pub fn set_no_delay(&mut self, enable: bool) {
        match self.phase {
            Phase::Open if !self.ipc => self.actions.push_back(SocketAction::SetNoDelay(enable)),
            Phase::Idle | Phase::Connecting => self.pending_no_delay = Some(enable),
            _ => {}
        }
    }

    /// `socket.setTypeOfService(tos)`. Without a TCP handle (before `connect()`, after close, or
    /// on a Unix socket) the value is kept, and applied on connect. With one it is set on the
    /// descriptor unless it is the value already kept; while connecting, before the attempt's
    /// connect(2) exists, Node keeps the value and throws `EBADF` (`setTypeOfService EBADF`),
    /// and so does this. Validate a JavaScript-like value with
    /// [`validate_type_of_service`](crate::validate_type_of_service).
    pub fn set_type_of_service(&mut self, tos: u8) -> Result<(), NetError> {
        let has_tcp_handle = !self.ipc && matches!(self.phase, Phase::Connecting | Phase::Open);
        if !has_tcp_handle || self.tos == Some(tos) {
            self.tos = Some(tos);
            return Ok(());
        }
        self.tos = Some(tos);
        if self.phase == Phase::Open || self.attempt_has_fd {
            self.kernel_tos = tos;
            self.actions.push_back(SocketAction::SetTypeOfService(tos));
            Ok(())
        } else {
            Err(NetError::syscall(crate::ErrorCode::EBADF, "setTypeOfService"))
        }
    }

    /// `socket.getTypeOfService()`. With a live TCP handle, what the kernel answers: on Linux,
    /// TCP keeps the two ECN bits to itself, so they read as 0 (`setTypeOfService(255)` reads
    /// back 252). `EBADF` while connecting before the attempt's connect(2), as in Node.
    /// Otherwise the value last asked for, or 0.
    pub fn type_of_service(&self) -> Result<u8, NetError> {
        const ECN_BITS: u8 = if cfg!(target_os = "linux") { 0b11 } else { 0 };
        let has_tcp_handle = !self.ipc && matches!(self.phase, Phase::Connecting | Phase::Open);
        if !has_tcp_handle {
            Ok(self.tos.unwrap_or(0))
        } else if self.phase == Phase::Open || self.attempt_has_fd {
            Ok(self.kernel_tos & !ECN_BITS)
        } else {
            Err(NetError::syscall(crate::ErrorCode::EBADF, "getTypeOfService"))
        }
    }

    /// `socket.setKeepAlive(...)`: applied now if connected, else on connect; no-op for IPC.
    pub fn set_keep_alive(&mut self, keep_alive: KeepAlive) {
        match self.phase {
            Phase::Open if !self.ipc => {
                self.actions.push_back(SocketAction::SetKeepAlive(keep_alive.resolve()))
            }
            Phase::Idle | Phase::Connecting => self.rare().pending_keep_alive = Some(keep_alive),
            _ => {}
        }
    }

    // ------------------------------------------------------------------------------------------
    // Transitions.

    fn next_id(&mut self) -> WriteId {
        self.next_write_id += 1;
        WriteId(self.next_write_id)
    }

    fn touch(&mut self) {
        if let Some(timeout) = self.idle_timeout {
            self.timer.arm(self.now, timeout);
        }
    }

    /// The time, for the commands that take none (`write`, `end`, `pause`...): a driver sets it
    /// before it runs a user's command. Node refreshes the idle timer at a write's own time; a
    /// core that kept the time of its last input would date the refresh back to then, and a
    /// driver task that had not taken a turn for a while would see `timeout` early (found by the
    /// `Interest` property test: a write into a full kernel, 1 ms after the last input, timed out
    /// 1 ms early).
    pub fn set_now(&mut self, now: Instant) {
        self.now = now;
    }

    /// Whether [`Socket::tick`] has work: a connect to start, `ready` to emit or a FIN to send.
    pub fn tick_owed(&self) -> bool {
        self.connect_owed.is_some()
            || (self.events_unobserved && self.write_error_owed.is_some())
            || (self.ready_owed && self.connect_handled())
            || (self.shutdown_owed && !self.held_for_connect())
    }

    /// Whether the user is past the `connect` event (or nobody pulls events).
    fn connect_handled(&self) -> bool {
        self.connect_handout == Handout::Done || self.events_unobserved
    }

    /// Whether what was written or ended while connecting still waits for the user to handle
    /// `connect` ([`Socket::connect_hold`]).
    fn held_for_connect(&self) -> bool {
        self.connect_hold && !self.connect_handled()
    }

    /// The user's `connect` listeners returned: Node's own run next, in the order they were
    /// added. The writes made while connecting are flushed (then `ready`), unless a reset asked
    /// for before them comes first.
    fn connect_listeners_returned(&mut self) {
        if self.connect_handout != Handout::HandedOut {
            return;
        }
        self.connect_handout = Handout::Done;
        self.first_chunk_alone = self.connected_with_bytes && self.queue.chunks().count() > 1;
        self.first_write_pending = self.connected_with_bytes && !self.queue.is_empty();
        let reset_first = self.reset_on_connect && self.reset_before_writes && self.connected_with_bytes;
        self.ready_waits_offer = self.queue.byte_len() > 0 && !reset_first;
    }

    /// A backend's own task found nobody waiting for this socket's events: as in Node with no
    /// listener, what waits for the user to handle `connect` (the writes and FIN made while
    /// connecting) and the automatic destroy after the last `end` / `finish` run now. The events
    /// stay queued for a user who pulls later. Whether anything changed (pump again if so).
    pub fn unwatched(&mut self) -> bool {
        let mut changed = false;
        if matches!(self.connect_handout, Handout::Queued | Handout::HandedOut) {
            self.connect_handout = Handout::HandedOut;
            self.connect_listeners_returned();
            changed = true;
        }
        if self.auto_destroy_owed {
            self.auto_destroy_owed = false;
            self.destroy_inner(None, false);
            changed = true;
        }
        self.check_invariants();
        changed
    }

    /// The user of this socket does not handle events one by one (an io-trait reader or writer,
    /// or nobody at all once the last handle is dropped): work Node runs after an event's
    /// listeners (the FIN of a socket ended while connecting, the automatic destroy after the
    /// last `end` / `finish`) no longer waits for the event to be handed out. Sticky.
    pub fn set_events_unobserved(&mut self) {
        if !self.events_unobserved {
            self.events_unobserved = true;
            self.run_deferred_if_unobserved();
            self.check_invariants();
        }
    }

    /// The user finished handling the events handed out so far: run all of Node's next-tick work,
    /// the automatic `end()` after the peer's `end` included. A driver whose user stops polling
    /// after `end` (an `AsyncRead` at EOF) calls it so the FIN still goes out.
    pub fn handled(&mut self, now: Instant) {
        self.now = now;
        self.connect_listeners_returned();
        self.run_deferred();
        self.check_invariants();
    }

    /// Run the work Node does on the next tick: `ready` after `connect` (once the queued
    /// writes were offered), and `prefinish` with the FIN after `end()`. Inputs and event polls
    /// run it too; a driver calls it after carrying out a command, so a socket whose user never
    /// polls events still sends its FIN. The automatic `end()` after the peer's `end` is not
    /// run here: it waits until the user was handed `end` ([`Socket::poll_event`]).
    pub fn tick(&mut self, now: Instant) {
        self.now = now;
        // The driver offered the queued bytes just before (its pump writes, then ticks).
        self.ready_waits_offer = false;
        self.run_ticks();
        if self.events_unobserved && self.write_error_owed.is_some() {
            // Nobody handles events one by one, so no later step of this tick can tell.
            self.run_deferred();
        }
        self.check_invariants();
    }

    fn run_ticks(&mut self) {
        self.flush_alone_done();
        self.start_owed_connect();
        if self.ready_owed {
            if !self.connect_handled() || self.ready_waits_offer {
                return; // what follows `ready` waits for it
            }
            if !self.emit_ready() {
                return;
            }
        }
        if self.shutdown_owed && !self.held_for_connect() {
            self.shutdown_owed = false;
            self.start_shutdown();
        }
    }

    /// `ready`, then the reset asked for while connecting; whether the socket is still open.
    fn emit_ready(&mut self) -> bool {
        self.ready_owed = false;
        self.events.push_back(SocketEvent::Ready);
        self.release_done_before_ready();
        if self.reset_on_connect {
            self.reset();
            return false;
        }
        true
    }

    /// Work Node defers to a later tick, run at the next input or event poll.
    fn run_deferred(&mut self) {
        self.offered_now = false;
        if let Some(err) = self.write_error_owed.take() {
            // Failed inside a `connect` listener: afterConnect emits `ready` as the listeners
            // return, before the next tick's onwriteError (nothing more will be offered).
            if self.ready_owed && self.connect_handled() {
                self.ready_waits_offer = false;
                self.run_ticks();
            }
            // Node's onwriteError, on the tick after the write failed.
            self.answer_failed_writes(&err);
            self.destroy_inner(Some(err), true);
        }
        if self.ready_owed && self.reset_on_connect {
            self.run_ticks();
            if self.phase == Phase::Destroyed {
                return;
            }
        }
        if self.ready_owed {
            self.run_ticks();
        }
        if self.auto_end_owed {
            self.auto_end_owed = false;
            if self.phase != Phase::Destroyed && self.write_state == WriteState::Open {
                self.end_inner(None);
            }
        }
        if self.auto_destroy_owed
            && (self.events_unobserved
                || !self.events.iter().any(|e| matches!(e, SocketEvent::End | SocketEvent::Finish)))
        {
            self.auto_destroy_owed = false;
            self.destroy_inner(None, false);
        }
        self.run_ticks();
    }

    fn apply_pending_options(&mut self) {
        if self.ipc {
            return;
        }
        if let Some(enable) = self.pending_no_delay.take() {
            self.actions.push_back(SocketAction::SetNoDelay(enable));
        }
        if let Some(ka) = self.rare.as_mut().and_then(|r| r.pending_keep_alive.take()) {
            self.actions.push_back(SocketAction::SetKeepAlive(ka.resolve()));
        }
        // Node's afterConnect sets `kSetTOS` whenever one was asked for, equal or not.
        if let Some(tos) = self.tos {
            self.kernel_tos = tos;
            self.actions.push_back(SocketAction::SetTypeOfService(tos));
        }
    }

    fn on_connected(&mut self, info: ConnectionInfo) {
        if !matches!(self.phase, Phase::Connecting) {
            return; // destroyed meanwhile: the driver closes the late handle
        }
        if let Some(mut c) = self.connector.take() {
            c.connected(&mut self.events);
            self.keep_attempted(c.attempted());
        }
        self.phase = Phase::Open;
        self.info = info;
        self.apply_pending_options();
        self.events.push_back(SocketEvent::Connect);
        self.connect_handout = Handout::Queued;
        self.connected_with_bytes = self.queue.byte_len() > 0;
        self.connect_hold = self.connected_with_bytes || self.write_state != WriteState::Open;
        self.ready_owed = true;
        self.after_queue_progress();
    }

    fn on_read(&mut self, data: Bytes) {
        // A stopped handle does not read ([`Socket::wants_read`] says so), as at EOF.
        if self.phase != Phase::Open
            || self.read.stopped.is_some()
            || self.read.state != ReadState::Open
            || data.is_empty()
            || self.auto_destroy_owed
        {
            return;
        }
        self.bytes_read += data.len() as u64;
        self.touch();
        if let Some(data) = self.read.receive(data) {
            self.queued_data += data.len();
            self.events.push_back(SocketEvent::Data(data));
        }
    }

    /// Emit held bytes while flowing, then `end` when due.
    fn flow(&mut self) {
        while let Some(data) = self.read.take_flowing() {
            self.queued_data += data.len();
            self.events.push_back(SocketEvent::Data(data));
        }
        if self.read.end_due() {
            self.read.state = ReadState::Ended;
            self.events.push_back(SocketEvent::End);
            self.maybe_close();
        }
    }

    fn on_written(&mut self, n: usize) {
        if self.phase != Phase::Open {
            return;
        }
        let alone = std::mem::take(&mut self.first_chunk_alone);
        let mut done = Vec::new();
        let mut early = Vec::new();
        let mut first = self.first_write_pending;
        let taken = self.queue.consume(n, |id| {
            if std::mem::take(&mut first) {
                early.extend(id);
            } else {
                done.extend(id);
            }
        });
        self.first_write_pending = first;
        debug_assert_eq!(taken, n, "driver reported more bytes written than were offered");
        self.touch();
        // After the first write alone, the ones behind it go in the same flush (Node writes
        // them from its callback, synchronously): `ready` and that write's callbacks wait for
        // the second offer.
        if alone && self.queue.byte_len() > 0 {
            let rare = self.rare();
            rare.alone_done.extend(early);
            rare.alone_done.extend(done);
            self.alone_flushing = true;
            self.after_queue_progress();
            return;
        }
        let offered = std::mem::take(&mut self.ready_waits_offer);
        // Node's afterWrite: `drain` first, then the callbacks of what completed.
        self.after_queue_progress();
        self.flush_alone_done();
        self.events.extend(early.into_iter().map(|id| SocketEvent::WriteDone(id, None)));
        // The flush in Node's `connect` listener is synchronous: `ready` follows it at once,
        // before anything the kernel says next (the peer's FIN), and before the callbacks of
        // writes that flush completed (Node runs those on the next tick).
        if offered && self.ready_owed && self.connect_handled() {
            self.emit_ready();
        }
        if self.ready_owed && self.phase == Phase::Open {
            if !done.is_empty() {
                self.rare().done_before_ready.extend(done.into_iter().map(|id| (id, None)));
            }
        } else if self.phase == Phase::Destroyed {
            // `ready` reset the socket (resetAndDestroy() while connecting): these bytes were
            // written, and their callbacks run before the `close` that reset brings.
            for id in done {
                self.push_before_close(SocketEvent::WriteDone(id, None));
            }
        } else {
            self.events.extend(done.into_iter().map(|id| SocketEvent::WriteDone(id, None)));
        }
    }

    /// The callbacks held for `ready` ([`Socket::done_before_ready`]): it was emitted, or will
    /// not be.
    fn release_done_before_ready(&mut self) {
        for (id, err) in
            self.rare.as_mut().map(|r| std::mem::take(&mut r.done_before_ready)).unwrap_or_default()
        {
            self.events.push_back(SocketEvent::WriteDone(id, err));
        }
    }

    /// The held callbacks of the first write made while connecting: the flush behind it is
    /// over (or the kernel took no more this turn).
    fn flush_alone_done(&mut self) {
        self.alone_flushing = false;
        for id in self.rare.as_mut().map(|r| std::mem::take(&mut r.alone_done)).unwrap_or_default() {
            self.events.push_back(SocketEvent::WriteDone(id, None));
        }
    }

    /// The queue may have emptied: `drain` if owed, and the FIN (next turn) if `end()` was called.
    fn after_queue_progress(&mut self) {
        if self.phase != Phase::Open {
            return;
        }
        // Empty writes at the front complete as soon as everything before them did.
        let events = &mut self.events;
        self.queue.consume(0, |id| events.extend(id.map(|id| SocketEvent::WriteDone(id, None))));
        if !self.queue.is_empty() {
            return;
        }
        if self.need_drain {
            self.need_drain = false;
            // Node's afterWrite emits `drain` only while not ending (`!state.ending`).
            if self.write_state == WriteState::Open {
                self.events.push_back(SocketEvent::Drain);
            }
        }
        if self.write_state == WriteState::Ending {
            // Node's `prefinish` comes from a later tick (and after `ready`).
            self.shutdown_owed = true;
        }
    }

    fn start_shutdown(&mut self) {
        if self.phase != Phase::Open || self.write_state != WriteState::Ending || !self.queue.is_empty() {
            return;
        }
        self.write_state = WriteState::ShuttingDown;
        self.events.push_back(SocketEvent::Prefinish);
        for id in self.take_end_ids() {
            self.events.push_back(SocketEvent::WriteDone(id, None));
        }
        self.actions.push_back(SocketAction::ShutdownWrite);
    }

    /// `by_end`: the write of `end(data)`, which Node makes with the stream's `_write` and not
    /// through the socket's `write` (so not through writeAfterFIN).
    fn write_inner(&mut self, data: Bytes, id: Option<WriteId>, by_end: bool) -> PendingWrite {
        let rejected = PendingWrite { accepted: false };
        if self.peer_ended_guard && self.write_state != WriteState::Open && !by_end {
            // Node's writeAfterFIN: the callback fails, then destroy (a no-op if destroyed).
            let err = NetError::ended_by_other_party();
            if let Some(id) = id {
                self.push_failed_callback(id, err.clone());
            }
            self.destroy_inner(Some(err), true);
            self.check_invariants();
            return rejected;
        }
        if self.phase == Phase::Destroyed {
            // Node checks `ending` before `destroyed`: after `end()` the callback hears "write
            // after end", with no `error` event since the socket is already destroyed.
            let err = if self.write_state == WriteState::Open {
                NetError::stream_destroyed()
            } else {
                NetError::write_after_end()
            };
            if let Some(id) = id {
                self.rare().refused_ids.push(id);
                // A write the kernel just refused (EPIPE) destroys on Node's next tick: until
                // then a write is buffered, and fails with that error ahead of its `error`.
                let error_at = self.events.iter().position(|e| matches!(e, SocketEvent::Error(_)));
                match (&self.errored, error_at) {
                    (Some(e), Some(at))
                        if e.syscall_name() == Some("write")
                            && err.code() != "ERR_STREAM_WRITE_AFTER_END" =>
                    {
                        let e = e.clone();
                        self.events.insert(at, SocketEvent::WriteDone(id, Some(e)));
                    }
                    _ => self.push_before_close(SocketEvent::WriteDone(id, Some(err))),
                }
            }
            return rejected;
        }
        if self.write_state != WriteState::Open {
            let err = NetError::write_after_end();
            if let Some(id) = id {
                self.push_failed_callback(id, err.clone());
            }
            self.destroy_inner(Some(err), true);
            self.check_invariants();
            return rejected;
        }
        if self.phase == Phase::Idle {
            // Never connected (no `connect()` yet): Node's _writeGeneric has no handle: the
            // callback and `error` get ERR_SOCKET_CLOSED, then `close`, which Node emits with no
            // argument (so `had_error` false here) (found by the fuzzer).
            let err = NetError::socket_closed();
            if let Some(id) = id {
                self.events.push_back(SocketEvent::WriteDone(id, Some(err.clone())));
            }
            self.destroy_inner(Some(err), false);
            self.check_invariants();
            return rejected;
        }
        self.bytes_written += data.len() as u64;
        let empty = data.is_empty();
        self.offered_now = self.queue.is_empty() && self.phase == Phase::Open && !self.held_for_connect();
        self.queue.push(data, id);
        if empty {
            self.after_queue_progress();
        }
        self.touch();
        self.check_invariants();
        PendingWrite { accepted: true }
    }

    /// A callback Node fails on the next tick: after `ready` when a `connect` listener made the
    /// call (`ready` follows those listeners at once).
    fn push_failed_callback(&mut self, id: WriteId, err: NetError) {
        if self.ready_owed && self.phase == Phase::Open {
            self.rare().done_before_ready.push((id, Some(err)));
        } else {
            self.events.push_back(SocketEvent::WriteDone(id, Some(err)));
        }
    }

    /// Destroyed by the user from a listener of this socket's: the `data` and `end` queued
    /// behind the event it handles came from reads Node makes only after that listener returns
    /// (one read, one `data`; the FIN on a read of its own), and a destroyed socket reads no
    /// more. Queued while the user was elsewhere, they stay: Node would have emitted them.
    fn drop_unemitted_reads(&mut self) {
        if !self.in_listener || self.phase == Phase::Destroyed {
            return;
        }
        let mut dropped = 0;
        self.events.retain(|e| match e {
            SocketEvent::Data(d) => {
                dropped += d.len();
                false
            }
            SocketEvent::End => false,
            _ => true,
        });
        self.queued_data -= dropped;
    }

    fn end_inner(&mut self, id: Option<WriteId>) {
        if self.write_error_owed.is_some() {
            // Node's end() on an errored stream neither ends nor fails at once: the callback
            // waits for the errorBuffer of the next tick.
            if let Some(id) = id {
                self.rare().end_ids.push(id);
            }
            return;
        }
        match (&self.phase, self.write_state) {
            // Node's `end()` looks at `finished` before `destroyed`.
            (Phase::Destroyed, WriteState::Finished) => {
                if let Some(id) = id {
                    self.push_before_close(SocketEvent::WriteDone(id, Some(NetError::already_finished())));
                }
            }
            // Destroyed (with no error) before `end()` was ever called, before or after `close`:
            // Node's `end()` takes the ending path (its guard is `!(ending || errored)`, and
            // `destroyed` is looked at only after it), so `writableEnded` turns true and the
            // callback is filed for a `finish` that never comes. Only a write callback Node has
            // yet to run calls it, right after (its afterWrite or onwriteError empties the
            // buffer), with that write's error or ERR_STREAM_DESTROYED; without one it is never
            // called (checked with Node 26).
            (Phase::Destroyed, WriteState::Open) if self.errored.is_none() => {
                self.write_state = WriteState::Ending;
                let last_callback = self
                    .events
                    .iter()
                    .enumerate()
                    .filter_map(|(i, e)| match e {
                        SocketEvent::WriteDone(w, err)
                            if !self.rare.as_ref().is_some_and(|r| r.refused_ids.contains(w)) =>
                        {
                            Some((i, err.clone()))
                        }
                        _ => None,
                    })
                    .last();
                let ready_at = self.events.iter().position(|e| *e == SocketEvent::Ready);
                let held_lost = self.lost_after_close && self.queue.has_lost();
                match (id, last_callback, ready_at, &self.failed_before_ready) {
                    (Some(id), Some((at, err)), _, _) => {
                        let why = err.unwrap_or_else(|| {
                            NetError::new(
                                crate::ErrorCode::ERR_STREAM_DESTROYED,
                                "Cannot call end after a stream was destroyed",
                            )
                        });
                        self.events.insert(at + 1, SocketEvent::WriteDone(id, Some(why)));
                    }
                    // The writes made while connecting had no callback, but their failure in
                    // Node's `connect` listener still runs errorBuffer, before `ready`.
                    (Some(id), None, Some(at), Some(err)) => {
                        let why = err.clone();
                        self.events.insert(at, SocketEvent::WriteDone(id, Some(why)));
                    }
                    // Destroyed while connecting with writes held (no callback): the first one's
                    // `close` listener fails it ERR_SOCKET_CLOSED_BEFORE_CONNECTION, and its
                    // onwriteError's errorBuffer answers `end()` with that error, after `close`.
                    (Some(id), None, _, None) if held_lost => {
                        self.events.push_back(SocketEvent::WriteDone(
                            id,
                            Some(NetError::closed_before_connection()),
                        ));
                    }
                    _ => {}
                }
            }
            (Phase::Destroyed, _) => {
                if let Some(id) = id {
                    let err = NetError::new(
                        crate::ErrorCode::ERR_STREAM_DESTROYED,
                        "Cannot call end after a stream was destroyed",
                    );
                    self.push_before_close(SocketEvent::WriteDone(id, Some(err)));
                }
            }
            (_, WriteState::Finished) => {
                if let Some(id) = id {
                    self.events.push_back(SocketEvent::WriteDone(id, Some(NetError::already_finished())));
                }
            }
            (_, WriteState::ShuttingDown) => {
                // Past `prefinish` already: Node calls a late end callback right away.
                if let Some(id) = id {
                    self.events.push_back(SocketEvent::WriteDone(id, None));
                }
            }
            (_, WriteState::Open | WriteState::Ending) => {
                if let Some(id) = id {
                    self.rare().end_ids.push(id);
                }
                self.write_state = WriteState::Ending;
                self.after_queue_progress();
            }
        }
        self.check_invariants();
    }

    /// Queue a callback of a call made after `destroy()`: Node runs it on the next tick, before
    /// the `close` that waits for the handle, so it goes ahead of a `close` not yet handed out.
    fn push_before_close(&mut self, event: SocketEvent) {
        let close_at = self.events.iter().position(|e| matches!(e, SocketEvent::Close { .. }));
        match close_at {
            Some(at) => self.events.insert(at, event),
            None => self.events.push_back(event),
        }
    }

    /// Close when both halves are done: `end` emitted and `finish` emitted.
    fn maybe_close(&mut self) {
        if self.read.state == ReadState::Ended && self.write_state == WriteState::Finished {
            self.auto_destroy_owed = true;
            self.run_deferred_if_unobserved();
        }
    }

    /// Nobody will hand events out one by one: the automatic destroy runs now.
    fn run_deferred_if_unobserved(&mut self) {
        if self.events_unobserved && self.auto_destroy_owed {
            self.auto_destroy_owed = false;
            self.destroy_inner(None, false);
        }
    }

    fn reset(&mut self) {
        self.destroy_with_action(None, false, SocketAction::Reset);
    }

    fn destroy_inner(&mut self, err: Option<NetError>, had_error: bool) {
        self.destroy_with_action(err, had_error, SocketAction::Close);
    }

    fn destroy_with_action(&mut self, err: Option<NetError>, had_error: bool, action: SocketAction) {
        // Destroyed by the user on the tick a write failed: that tick's onwriteError still
        // answers the writes first, and `errored` stays the write's error (Node's destroy sets
        // it only if unset); the `error` event is the user's, if any.
        let owed = self.write_error_owed.take();
        if let Some(owed) = &owed {
            // Refused inside a `connect` listener: afterConnect emits `ready` as the listeners
            // return, before the next tick's onwriteError answers the write.
            if self.ready_owed
                && self.connect_handout != Handout::Queued
                && self.phase == Phase::Open
                && !self.first_write_pending
            {
                self.ready_owed = false;
                self.events.push_back(SocketEvent::Ready);
            }
            self.answer_failed_writes(owed);
        }
        // Those bytes reached the kernel: their callbacks succeed, before what destroy brings.
        self.flush_alone_done();
        // Destroyed by a `connect` listener while the writes made before the connection wait
        // for it: Node's own `connect` listener, which flushes them, runs next and finds no
        // handle: the first write fails ERR_SOCKET_CLOSED, the rest and `end()` with the error
        // or the same (checked with Node 26), all before `ready`.
        if self.phase == Phase::Open
            && self.connect_handout == Handout::HandedOut
            && self.held_for_connect()
            && !self.queue.is_empty()
        {
            let closed = NetError::socket_closed();
            // Node's stream is errored with it from then on: an `end(cb)` made after this
            // destroy, in the same listener, is failed by the same errorBuffer.
            self.failed_before_ready = Some(err.clone().unwrap_or_else(|| closed.clone()));
            let pending = self.queue.drain_ids();
            for (first, id) in pending {
                let why = if first { closed.clone() } else { err.clone().unwrap_or_else(|| closed.clone()) };
                self.events.push_back(SocketEvent::WriteDone(id, Some(why)));
            }
            for id in self.take_end_ids() {
                self.queue.lose_end(id);
                let why = err.clone().unwrap_or_else(|| closed.clone());
                self.events.push_back(SocketEvent::WriteDone(id, Some(why)));
            }
        }
        // The first write made while connecting failed in the kernel (the peer reset meanwhile):
        // Node writes it from its own `connect` listener and calls it back there, before `ready`.
        if self.first_write_pending
            && self.ready_owed
            && self.connect_handout != Handout::Queued
            && self.phase == Phase::Open
            && err.as_ref().is_some_and(|e| e.syscall_name() == Some("write"))
        {
            // Its onwriteError runs there too: errorBuffer fails the writes behind it and
            // `end()`'s callback with the same error, all before `ready`.
            if let Some(e) = &err {
                for (_, id) in self.queue.drain_ids() {
                    self.events.push_back(SocketEvent::WriteDone(id, Some(e.clone())));
                }
                for id in self.take_end_ids() {
                    self.queue.lose_end(id);
                    self.events.push_back(SocketEvent::WriteDone(id, Some(e.clone())));
                }
            }
        }
        // Destroyed by a `connect` listener: Node's afterConnect still emits `ready` once the
        // listeners return, before the error and `close` that come on later ticks.
        if self.ready_owed && self.connect_handout != Handout::Queued && self.phase == Phase::Open {
            self.ready_owed = false;
            self.events.push_back(SocketEvent::Ready);
        }
        self.release_done_before_ready();
        let was_connecting = match self.phase {
            Phase::Destroyed => return,
            Phase::Idle => false,
            Phase::Connecting => {
                // A connect or lookup the driver has not taken yet is withdrawn, so nothing reaches
                // the network (Node: destroyed in the turn of `connect()`, the server sees nothing);
                // the driver closes only what it was given.
                self.actions
                    .retain(|a| !matches!(a, SocketAction::Connect { .. } | SocketAction::Lookup { .. }));
                if self.driver_engaged {
                    self.actions.push_back(action);
                }
                true
            }
            Phase::Open => {
                self.actions.push_back(action);
                false
            }
        };
        // The handle is gone: nothing more to write or read, no timer.
        self.actions.retain(|a| matches!(a, SocketAction::Close | SocketAction::Reset));
        self.phase = Phase::Destroyed;
        if let Some(c) = self.connector.take() {
            self.keep_attempted(c.attempted());
        }
        self.timer.stop();
        self.read.clear();
        self.ready_owed = false;
        self.auto_end_owed = false;
        self.shutdown_owed = false;
        self.auto_destroy_owed = false;
        self.first_chunk_alone = false;
        self.first_write_pending = false;
        self.connect_handout = Handout::Done;
        self.destroy_on_finish = false;
        if owed.is_none() {
            self.errored.clone_from(&err);
        }
        // Bytes queued, with or without callbacks: Node's first write is still in progress.
        let writing = !self.queue.is_empty();
        // Destroyed while open with writes queued (the peer's reset, the user's destroy): the
        // front write was with libuv (dispatched) and stays in `bytesWritten`; the ones buffered
        // behind it leave with errorBuffer's resetBuffer, after their callbacks (Node 26:
        // scenario rst/bytes-written-after-the-peers-reset).
        if writing && !was_connecting {
            self.unsent_written += self.queue.buffered_behind_front() as u64;
        }
        let pending = self.queue.drain_ids();
        let ends = self.take_end_ids();
        for id in &ends {
            self.queue.lose_end(*id);
        }
        // Node fails writes made while connecting from `close` listeners of their own (after the
        // ones added before), and an open socket's writes as its handle closes, before `close`.
        self.lost_after_close = was_connecting;
        if !writing {
            // No write in progress, only `end()`'s callback waits: Node's destroy fails it on
            // the next tick (errorBuffer), ahead of `error` and `close` (checked with Node 26:
            // destroy while connecting, and a write after end on an open socket).
            let why = err.clone().unwrap_or_else(NetError::stream_destroyed);
            // A write the kernel took whole is called back on a tick of its own (afterWriteTick);
            // the first such tick still owed finds the stream destroyed and runs errorBuffer
            // there, so `end()`'s callback comes right after that write's, ahead of the later
            // writes' (checked with Node 26).
            let at = self
                .events
                .iter()
                .position(|e| matches!(e, SocketEvent::WriteDone(_, None)))
                .map_or(self.events.len(), |i| i + 1);
            for (i, id) in ends.into_iter().enumerate() {
                self.events.insert(at + i, SocketEvent::WriteDone(id, Some(why.clone())));
            }
            if let Some(err) = &err {
                self.events.push_back(SocketEvent::Error(err.clone()));
            }
            self.events.push_back(SocketEvent::Close { had_error });
            self.close_queued = true;
        } else if was_connecting || pending.is_empty() && ends.is_empty() {
            if let Some(err) = &err {
                self.events.push_back(SocketEvent::Error(err.clone()));
            }
            self.events.push_back(SocketEvent::Close { had_error });
            self.close_queued = true;
            // Writes queued before the connection learn why after `close`, as in Node: every one
            // ERR_SOCKET_CLOSED_BEFORE_CONNECTION on a plain destroy; on an error, the first one
            // and the error for the rest.
            let fallback = err.clone().unwrap_or_else(NetError::stream_destroyed);
            for (first, id) in pending {
                let why = if was_connecting && (first || err.is_none()) {
                    NetError::closed_before_connection()
                } else {
                    fallback.clone()
                };
                self.events.push_back(SocketEvent::WriteDone(id, Some(why)));
            }
            // `end()`'s callback fails as the writes after the first do.
            let why =
                if was_connecting && err.is_none() { NetError::closed_before_connection() } else { fallback };
            for id in ends {
                self.events.push_back(SocketEvent::WriteDone(id, Some(why.clone())));
            }
        } else if err.as_ref().is_some_and(|e| e.syscall_name() == Some("write")) {
            // The write at the front failed (EPIPE…): Node's onwriteError calls it back with the
            // error, and its errorBuffer fails the buffered ones and `end()`'s callback with the
            // stream's error (`state.errored`, the same one), then `error` and `close`.
            let err = err.expect("checked above");
            for (_, id) in pending {
                self.events.push_back(SocketEvent::WriteDone(id, Some(err.clone())));
            }
            for id in ends {
                self.events.push_back(SocketEvent::WriteDone(id, Some(err.clone())));
            }
            self.events.push_back(SocketEvent::Error(err));
            self.events.push_back(SocketEvent::Close { had_error });
            self.close_queued = true;
        } else {
            // Destroyed while open with writes the kernel has not taken (checked with Node 26):
            // `error` first if any, then the handle's close cancels the write libuv held
            // (ECANCELED), and the buffered ones fail with the stream's error (ECANCELED after a
            // plain destroy); `close` comes last.
            if let Some(err) = &err {
                self.events.push_back(SocketEvent::Error(err.clone()));
            }
            let canceled = NetError::syscall(crate::ErrorCode::ECANCELED, "write");
            let buffered = err.clone().unwrap_or_else(|| canceled.clone());
            for (first, id) in pending {
                let why = if first { canceled.clone() } else { buffered.clone() };
                self.events.push_back(SocketEvent::WriteDone(id, Some(why)));
            }
            for id in ends {
                self.events.push_back(SocketEvent::WriteDone(id, Some(buffered.clone())));
            }
            self.events.push_back(SocketEvent::Close { had_error });
            self.close_queued = true;
        }
        self.need_drain = false;
    }

    /// A write failed in the call that made it: Node's onwrite takes its bytes off
    /// `writableLength` (and the handle never counted them in `bytesWritten`), marks the stream
    /// errored, and leaves the rest to the next tick.
    fn fail_write_in_call(&mut self, err: NetError) {
        if let Some((id, size)) = self.queue.remove_front() {
            self.bytes_written -= size as u64;
            self.failed_write = id;
        }
        self.errored = Some(err.clone());
        self.write_error_owed = Some(err);
    }

    /// Node's onwriteError: the failed write's callback, then errorBuffer's: every buffered
    /// write and `end()` callback with the stream's error.
    fn answer_failed_writes(&mut self, err: &NetError) {
        // Never handed to the handle: Node's `bytesWritten` drops them with the buffer, once
        // errorBuffer called every callback back.
        self.unsent_written = self.queue.pending_len() as u64;
        if let Some(id) = self.failed_write.take() {
            self.events.push_back(SocketEvent::WriteDone(id, Some(err.clone())));
        }
        for (_, id) in self.queue.drain_ids() {
            self.events.push_back(SocketEvent::WriteDone(id, Some(err.clone())));
        }
        for id in self.take_end_ids() {
            self.queue.lose_end(id);
            self.events.push_back(SocketEvent::WriteDone(id, Some(err.clone())));
        }
    }

    /// Invariants that hold after every public call; checked in debug builds.
    fn check_invariants(&self) {
        if cfg!(debug_assertions) {
            let closes = self.events.iter().filter(|e| matches!(e, SocketEvent::Close { .. })).count();
            assert!(closes <= 1, "more than one close queued");
            assert_eq!(self.close_queued, self.phase == Phase::Destroyed, "close queued iff destroyed");
            let (alone_done, before_ready) =
                self.rare.as_ref().map_or((0, 0), |r| (r.alone_done.len(), r.done_before_ready.len()));
            assert!(before_ready == 0 || self.ready_owed, "callbacks held for no ready");
            let close_at = self.events.iter().position(|e| matches!(e, SocketEvent::Close { .. }));
            if let Some(at) = close_at {
                assert!(
                    !self.events.iter().skip(at).any(|e| matches!(e, SocketEvent::WriteDone(_, None))),
                    "a callback succeeds after close"
                );
            }
            assert!(
                self.phase != Phase::Destroyed || (alone_done == 0 && before_ready == 0),
                "callbacks held past destroy"
            );
            if self.phase == Phase::Destroyed {
                assert!(self.queue.is_empty(), "destroyed socket holds bytes");
                assert!(self.timer.deadline().is_none(), "destroyed socket holds a timer");
            }
            if self.write_state != WriteState::Open && self.write_state != WriteState::Ending {
                assert!(self.queue.is_empty(), "bytes queued after the FIN");
            }
            assert!(!self.need_drain || self.phase != Phase::Destroyed);
        }
    }
}
