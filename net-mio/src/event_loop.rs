//! The event loop: one thread, one `mio::Poll`, the net-core machines, Node's model.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use bytes::Bytes;
use mio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use mio::{Events, Interest, Poll, Token, Waker};
pub use net_core::ListenOptions;
use net_core::driver;
use net_core::{
    Admission, ConnectOptions, ConnectionId, Endpoint, IoInput, NetError, ServerAction, ServerOptions,
    SocketAction, SocketEvent, SocketHandle, SocketOptions,
};
use slab::Slab;

use crate::stream::Stream;

const WAKER: Token = Token(usize::MAX);

/// A socket on the loop. Ids are never reused: a stale id addresses nothing, not a newer socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SocketId(usize, u64);

/// A server on the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServerId(usize);

/// What a server tells its user: `listening`, `connection(SocketId)`, `drop`, `error`, `close`.
pub type ServerEvent = driver::ServerEventOf<SocketId>;

/// One event from the loop.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A socket's event.
    Socket(SocketId, SocketEvent),
    /// A server's event.
    Server(ServerId, ServerEvent),
}

struct SocketEntry {
    /// Which socket holds this slab slot now (slots are reused, ids are not).
    serial: u64,
    core: net_core::Socket,
    stream: Option<Stream>,
    /// The stream's non-blocking connect has not completed.
    connecting: Option<(Endpoint, Option<SocketAddr>)>,
    /// The last read stopped before `WouldBlock` (paused at the mark, …): read before waiting.
    read_pending: bool,
    /// The peer's FIN or an error was signalled: read to `WouldBlock` or EOF from then on (the
    /// edge is spent, so a short read no longer proves the queue empty).
    hung_up: bool,
    /// On `to_read` already.
    read_queued: bool,
    /// Registered for writability (connecting, or a write blocked).
    watch_write: bool,
    /// Registered since the last wait: libuv adds a new descriptor to epoll only as its next
    /// poll begins, so what it holds already is reported after the older descriptors' news.
    fresh: bool,
    server: Option<(ServerId, ConnectionId)>,
    /// Node's `socket.server`: the server that accepted it, kept after close.
    accepted_by: Option<ServerId>,
    referenced: bool,
    /// `close` was handed out; the entry goes once its last event is out.
    closed: bool,
    /// The deadline last pushed on the timer heap, so an unchanged one is not pushed again.
    armed: Option<Instant>,
    /// On `to_tick` already: a command left next-tick work for the loop's next turn.
    tick_owed: bool,
    /// Node's `socket.on(…)`, kept in the slot (no map lookup per event).
    handler: Option<SocketHandler>,
    /// Node's `onread`: `data` goes to this callback through the user's buffer.
    onread: Option<Box<OnRead>>,
    /// The descriptor of an adopted `BoundSocket`, for the connect to start from.
    bound_source: Option<socket2::Socket>,
}

/// A socket's `onread` ([`EventLoop::set_onread`]).
struct OnRead {
    buffer: net_core::OnReadBuffer,
    callback: OnReadFn,
}

/// An `onread` callback: the loop, the socket, the bytes read in the user's buffer; `false`
/// pauses.
type OnReadFn = Box<dyn FnMut(&mut EventLoop, SocketId, &mut [u8]) -> bool>;

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

struct ServerEntry {
    core: net_core::Server,
    listener: Option<Listener>,
    admitted: driver::Admitted<SocketId>,
    ipc_path: Option<PathBuf>,
    referenced: bool,
    handler: Option<ServerHandler>,
    /// The `signal` option's listener, removed by `close_server` (Node removes it on `close`).
    abort_listener: Option<(net_core::AbortSignal, net_core::AbortListenerId)>,
    /// A listener made from a `BoundSocket`, answering the core's next `Listen`.
    adopting: Option<(Listener, Endpoint)>,
}

type Job = Box<dyn FnOnce(&mut EventLoop) + Send>;

/// What an aborted signal was given to.
enum Aborted {
    Socket(SocketId, NetError),
    /// The server and the listener the abort came through (a `close` since removed it).
    Server(ServerId, net_core::AbortListenerId),
}

/// A handler registered on one socket (Node's `socket.on(…)`).
pub type SocketHandler = Box<dyn FnMut(&mut EventLoop, SocketId, SocketEvent)>;

/// A handler registered on one server (Node's `server.on(…)`).
pub type ServerHandler = Box<dyn FnMut(&mut EventLoop, ServerId, ServerEvent)>;

/// Hands work to the loop from any thread.
#[derive(Clone)]
pub struct LoopHandle {
    tx: Sender<Job>,
    waker: Arc<Waker>,
}

impl LoopHandle {
    /// Run `job` on the loop thread at its next turn.
    pub fn run(&self, job: impl FnOnce(&mut EventLoop) + Send + 'static) {
        if self.tx.send(Box::new(job)).is_ok() {
            let _ = self.waker.wake();
        }
    }
}

/// What the last wait found, handled one at a time as [`EventLoop::next_event`] gets to it:
/// libuv's poll phase runs one descriptor's read and its listeners (and the next-tick queue)
/// before it reads the next, so a listener's call on another socket (a write's callback, a
/// destroy) comes before that socket's own input of the same turn.
#[derive(Debug, Clone, Copy)]
enum Ready {
    Socket {
        key: usize,
        readable: bool,
        writable: bool,
        hung_up: bool,
    },
    Server(usize),
    /// The timers due: after the poll phase, as libuv runs them at the next turn's start.
    Timers,
}

/// A single-threaded event loop with Node's programming model: handles addressed by id,
/// events consumed by [`EventLoop::run`]'s handler or pulled with [`EventLoop::next_event`].
pub struct EventLoop {
    poll: Poll,
    events: Events,
    sockets: Slab<SocketEntry>,
    servers: Slab<ServerEntry>,
    timers: BinaryHeap<Reverse<(Instant, usize)>>,
    dirty_sockets: VecDeque<usize>,
    dirty_servers: VecDeque<usize>,
    buf: driver::ReadBuf,
    handle: LoopHandle,
    jobs: Receiver<Job>,
    /// What aborted signals were given to, not carried out yet ([`EventLoop::abort`]).
    aborts: Arc<std::sync::Mutex<Vec<Aborted>>>,
    lookups_in_flight: usize,
    next_serial: u64,
    /// Servers whose accept failed for lack of resources: tried again on the next turn.
    retry_accept: Vec<usize>,
    /// When those are tried again.
    retry_accept_at: Option<Instant>,
    /// The cores of the most recently closed sockets, newest last, so their getters
    /// (`bytes_read`, addresses, `ready_state`) still answer as Node's socket object does after
    /// `close`. Bounded by [`CLOSED_KEPT`]: the loop cannot know when the user drops an id.
    closed: VecDeque<(SocketId, net_core::Socket)>,
    /// Events of those closed sockets after their `close`: the callbacks of calls made since
    /// (Node still runs them), delivered by the next [`EventLoop::next_event`].
    late_events: VecDeque<(SocketId, SocketEvent)>,
    /// The socket whose event [`EventLoop::next_event`] handed out last: the next call begins
    /// with what Node does as that event's listeners return.
    handed_out: Option<usize>,
    /// Sockets given a command since the last turn: their next-tick work is owed.
    to_tick: Vec<usize>,
    /// Outcomes reported on the loop's next turn (libuv's pending phase): a Unix-socket
    /// connect that failed inside `connect()` is told to the socket only then.
    pending_inputs: Vec<(SocketId, IoInput)>,
    /// `to_tick`'s spare buffer while it is worked through.
    ticking: Vec<usize>,
    /// Sockets that want to read with an edge not spent (paused at the mark, not reading yet
    /// when their bytes came): read in the next turn's poll phase, where libuv's
    /// level-triggered poll reports them, never in the middle of handing out events, so a
    /// peer's bytes or FIN do not overtake what Node does first (next-tick work, callbacks).
    to_read: Vec<usize>,
    /// Sockets registered since the last wait (`SocketEntry::fresh`).
    fresh: Vec<usize>,
    /// Their readiness, while the wait's report is sorted (kept for its capacity).
    fresh_ready: Vec<Ready>,
    /// The last wait's readiness not handled yet, in the order it is handled.
    ready: VecDeque<Ready>,
    /// The loop's time, read once per turn when the wait returns (libuv's `uv_now`): inputs and
    /// commands of one turn share it, as Node's timers do.
    now: Instant,
    /// Referenced sockets whose `close` was not handed out yet (what keeps `run` going).
    live_refs: usize,
}

/// How many closed sockets keep answering getters (see [`EventLoop::socket`]).
pub const CLOSED_KEPT: usize = 256;

/// Read what the kernel has; `true` if it has nothing more. Before a hang-up, a short read
/// proves the queue empty (epoll is edge-triggered here), which saves a read per message.
fn read(
    core: &mut net_core::Socket,
    stream: &Stream,
    buf: &mut driver::ReadBuf,
    now: Instant,
    hung_up: bool,
) -> bool {
    if hung_up {
        driver::read_ready(core, stream, buf, now)
    } else {
        driver::read_ready_until_short(core, stream, buf, now)
    }
}

fn socket_token(key: usize) -> Token {
    Token(key * 2)
}

fn server_token(key: usize) -> Token {
    Token(key * 2 + 1)
}

impl EventLoop {
    /// A new loop.
    pub fn new() -> io::Result<Self> {
        net_async::sys::install_interface_index();
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let (tx, jobs) = channel();
        Ok(Self {
            poll,
            events: Events::with_capacity(1024),
            sockets: Slab::new(),
            servers: Slab::new(),
            timers: BinaryHeap::new(),
            dirty_sockets: VecDeque::new(),
            dirty_servers: VecDeque::new(),
            buf: driver::ReadBuf::default(),
            handle: LoopHandle { tx, waker },
            jobs,
            aborts: Arc::default(),
            lookups_in_flight: 0,
            next_serial: 0,
            retry_accept: Vec::new(),
            retry_accept_at: None,
            closed: VecDeque::new(),
            late_events: VecDeque::new(),
            handed_out: None,
            to_tick: Vec::new(),
            pending_inputs: Vec::new(),
            ticking: Vec::new(),
            to_read: Vec::new(),
            fresh: Vec::new(),
            fresh_ready: Vec::new(),
            ready: VecDeque::new(),
            now: Instant::now(),
            live_refs: 0,
        })
    }

    /// A handle for other threads.
    pub fn handle(&self) -> LoopHandle {
        self.handle.clone()
    }

    // ---- sockets ----------------------------------------------------------------------------

    fn add_socket(
        &mut self,
        core: net_core::Socket,
        stream: Option<Stream>,
        server: Option<(ServerId, ConnectionId)>,
    ) -> SocketId {
        self.next_serial += 1;
        let serial = self.next_serial;
        let key = self.sockets.insert(SocketEntry {
            serial,
            core,
            stream,
            connecting: None,
            // Registered for readability below: the kernel reports bytes already queued.
            read_pending: false,
            hung_up: false,
            read_queued: false,
            watch_write: false,
            fresh: true,
            accepted_by: server.map(|(sid, _)| sid),
            server,
            referenced: true,
            closed: false,
            armed: None,
            tick_owed: false,
            handler: None,
            onread: None,
            bound_source: None,
        });
        self.live_refs += 1;
        self.fresh.push(key);
        if let Some(stream) = self.sockets[key].stream.as_mut() {
            let _ = stream.register(self.poll.registry(), socket_token(key), false);
        }
        SocketId(key, serial)
    }

    fn entry_mut(&mut self, id: SocketId) -> Option<&mut SocketEntry> {
        self.sockets.get_mut(id.0).filter(|e| e.serial == id.1)
    }

    fn entry(&self, id: SocketId) -> Option<&SocketEntry> {
        self.sockets.get(id.0).filter(|e| e.serial == id.1)
    }

    /// `net.connect(port, host)`.
    pub fn connect(&mut self, port: u16, host: &str) -> SocketId {
        self.connect_with(ConnectOptions::new(host, port), SocketOptions::default())
    }

    /// `net.connect(options)`.
    ///
    /// With [`SocketOptions::signal`], aborting the signal destroys the socket with an
    /// `AbortError`: at once through [`EventLoop::abort`], as Node does inside `abort()`; at the
    /// loop's next turn when the controller is aborted directly (the loop owns its sockets).
    pub fn connect_with(&mut self, connect: ConnectOptions, opts: SocketOptions) -> SocketId {
        let signal = opts.signal.clone();
        let id = self.add_socket(net_core::Socket::new(opts, Instant::now()), None, None);
        let lookup = self.socket(id).with_core(|s, _| {
            s.connect_with_or_destroy(connect);
            s.take_custom_lookup()
        });
        if let Some((request, lookup)) = lookup {
            self.look_up_now(id, &request, &lookup);
        }
        self.listen_to_signal(id, signal);
        id
    }

    /// A connect's own lookup, called inside `connect()` as Node does: an answer it gives at
    /// once is handled now; a later one comes through the loop's channel.
    fn look_up_now(
        &mut self,
        id: SocketId,
        request: &net_core::LookupRequest,
        lookup: &net_core::CustomLookup,
    ) {
        let handle = self.handle.clone();
        let now = lookup.call_now(request, move |result| {
            handle.run(move |lp| {
                lp.lookups_in_flight -= 1;
                if let Some(e) = lp.entry_mut(id) {
                    e.core.handle_io(Instant::now(), IoInput::LookedUp(result));
                    lp.pump_socket(id.0);
                }
            });
        });
        match now {
            Some(result) => self.socket(id).with_core(|s, now| s.handle_io(now, IoInput::LookedUp(result))),
            None => self.lookups_in_flight += 1,
        }
    }

    /// Node's `net.connect({ ..., handle: boundSocket })`: connect from a socket already bound,
    /// which is adopted (its calls answer `ERR_SOCKET_HANDLE_ADOPTED` from now on). As in Node,
    /// `local_address` and `local_port` are refused (`ERR_INVALID_ARG_VALUE`) and happy eyeballs
    /// is off. TCP only: a bound path is `ERR_INVALID_HANDLE_TYPE`.
    pub fn connect_bound(
        &mut self,
        bound: &net_async::BoundSocket,
        mut connect: ConnectOptions,
        opts: SocketOptions,
    ) -> Result<SocketId, NetError> {
        connect.bound_socket = true;
        // Adopted before the options are checked, as Node's Socket constructor does.
        let (socket, _) = bound.take_for_connect()?;
        let mut core = net_core::Socket::new(opts, Instant::now());
        core.connect_with(connect)?;
        let id = self.add_socket(core, None, None);
        if let Some(entry) = self.entry_mut(id) {
            entry.bound_source = Some(socket);
        }
        self.pump_socket_command(id.0);
        Ok(id)
    }

    fn listen_to_signal(&mut self, id: SocketId, signal: Option<net_core::AbortSignal>) {
        let Some(signal) = signal else { return };
        self.on_abort(&signal, move |reason, _| Aborted::Socket(id, reason.clone()));
    }

    /// Note `signal`'s abort for the loop, and wake it.
    fn on_abort(
        &self,
        signal: &net_core::AbortSignal,
        what: impl FnOnce(&NetError, net_core::AbortListenerId) -> Aborted + Send + 'static,
    ) -> net_core::AbortListenerId {
        let (aborts, handle) = (Arc::clone(&self.aborts), self.handle.clone());
        let id = Arc::new(std::sync::Mutex::new(net_core::AbortListenerId::default()));
        let seen = Arc::clone(&id);
        let listener = signal.on_abort(move |reason| {
            let id = *seen.lock().unwrap_or_else(|e| e.into_inner());
            aborts.lock().unwrap_or_else(|e| e.into_inner()).push(what(reason, id));
            handle.run(Self::settle_aborts);
        });
        let listener = listener.unwrap_or_default();
        *id.lock().unwrap_or_else(|e| e.into_inner()) = listener;
        listener
    }

    /// Node's `controller.abort()` from loop code: the sockets and servers given its signal are
    /// destroyed and closed before this returns, as in Node.
    pub fn abort(&mut self, controller: &net_core::AbortController) {
        controller.abort();
        self.settle_aborts();
    }

    /// Carry out the aborts noted since the last look.
    fn settle_aborts(&mut self) {
        let aborted = std::mem::take(&mut *self.aborts.lock().unwrap_or_else(|e| e.into_inner()));
        for a in aborted {
            match a {
                Aborted::Socket(id, reason) => {
                    if let Some(e) = self.entry_mut(id) {
                        e.core.abort(&reason);
                        self.pump_socket(id.0);
                    }
                }
                Aborted::Server(id, listener) => {
                    let Some(entry) = self.servers.get(id.0) else { continue };
                    // Node removes the listener on `close`: a server closed since is left alone.
                    if entry.abort_listener.as_ref().is_some_and(|(_, l)| *l == listener) {
                        let _ = self.close_server(id);
                    }
                }
            }
        }
    }

    /// `net.connect(path)`.
    pub fn connect_path(&mut self, path: impl Into<PathBuf>) -> SocketId {
        self.connect_path_with(path, SocketOptions::default())
    }

    /// `net.connect({path, ...options})`.
    pub fn connect_path_with(&mut self, path: impl Into<PathBuf>, opts: SocketOptions) -> SocketId {
        let signal = opts.signal.clone();
        let id = self.add_socket(net_core::Socket::new(opts, Instant::now()), None, None);
        let path = path.into();
        self.socket(id).with_core(|s, _| {
            let _ = s.connect(Endpoint::Ipc(path));
        });
        self.listen_to_signal(id, signal);
        id
    }

    /// Node's commands and getters for one socket (see [`SocketHandle`]).
    pub fn socket(&mut self, id: SocketId) -> SocketCtx<'_> {
        SocketCtx { lp: std::cell::RefCell::new(self), id }
    }

    /// `socket.write(data)`: Node's boolean, decided after the kernel was offered the bytes.
    pub fn write(&mut self, id: SocketId, data: impl Into<Bytes>) -> bool {
        let now = self.now;
        let Some(entry) = self.entry_mut(id) else { return false };
        entry.core.set_now(now);
        let pending = entry.core.write(data.into());
        if let (Some(stream), None) = (&entry.stream, &entry.connecting) {
            driver::transmit(&mut entry.core, stream, now);
        }
        let ok = entry.core.settle(pending);
        self.pump_socket_command(id.0);
        ok
    }

    /// `socket.ref()` / `socket.unref()`: whether this socket keeps [`EventLoop::run`] going.
    pub fn set_socket_ref(&mut self, id: SocketId, referenced: bool) {
        let Some(e) = self.entry_mut(id) else { return };
        if e.referenced != referenced && !e.closed {
            if referenced {
                self.live_refs += 1;
            } else {
                self.live_refs -= 1;
            }
        }
        if let Some(e) = self.entry_mut(id) {
            e.referenced = referenced;
        }
    }

    /// Carry out a socket's outputs until none is left.
    fn pump_socket(&mut self, key: usize) {
        self.pump_socket_in(key, true);
    }

    /// After a user's command: next-tick work waits for the loop's next turn, as in Node.
    fn pump_socket_command(&mut self, key: usize) {
        self.pump_socket_in(key, false);
        // Once per socket and turn, however many commands the handler gives it, and only if the
        // command left next-tick work (most writes leave none).
        if let Some(entry) = self.sockets.get_mut(key) {
            if !entry.tick_owed && entry.core.tick_owed() {
                entry.tick_owed = true;
                self.to_tick.push(key);
            }
        }
    }

    /// The loop's turn begins: run the next-tick work commands left.
    fn run_ticks(&mut self) {
        if self.to_tick.is_empty() {
            return;
        }
        // Swapped with a spare, not taken: both keep their capacity (no allocation per turn).
        let mut keys = std::mem::replace(&mut self.to_tick, std::mem::take(&mut self.ticking));
        for key in keys.drain(..) {
            if let Some(entry) = self.sockets.get_mut(key) {
                entry.tick_owed = false;
            }
            self.pump_socket(key);
        }
        self.ticking = keys;
    }

    fn pump_socket_in(&mut self, key: usize, turn: bool) {
        let _span = tracing::debug_span!("net_socket", id = key).entered();
        let now = self.now;
        loop {
            let Some(entry) = self.sockets.get_mut(key) else { return };
            let live = entry.stream.as_ref().filter(|_| entry.connecting.is_none());
            let out = if turn {
                driver::pump(&mut entry.core, live, now)
            } else {
                driver::pump_command(&mut entry.core, live, now)
            };
            if entry.read_pending
                && !entry.read_queued
                && entry.connecting.is_none()
                && entry.stream.is_some()
                && entry.core.wants_read()
            {
                entry.read_queued = true;
                self.to_read.push(key);
            }
            if out.close {
                tracing::debug!(socket = key, reset = out.reset, "close");
                if let Some(mut stream) = entry.stream.take() {
                    stream.deregister(self.poll.registry());
                }
                entry.connecting = None;
            }
            if let (Some(stream), None) = (entry.stream.as_mut(), &entry.connecting) {
                let want = entry.core.wants_write();
                if want != entry.watch_write {
                    let _ = stream.reregister(self.poll.registry(), socket_token(key), want);
                    entry.watch_write = want;
                }
            }
            let mut again = false;
            for job in out.jobs {
                again |= self.start_job(key, job);
            }
            let Some(entry) = self.sockets.get_mut(key) else { return };
            if entry.core.destroyed() {
                if let Some((sid, cid)) = entry.server.take() {
                    if let Some(server) = self.servers.get_mut(sid.0) {
                        server.core.connection_closed(cid);
                        self.dirty_servers.push_back(sid.0);
                    }
                }
            }
            let deadline = entry.core.poll_timeout();
            if deadline != entry.armed {
                entry.armed = deadline;
                if let Some(at) = deadline {
                    self.timers.push(Reverse((at, key)));
                }
            }
            self.dirty_sockets.push_back(key);
            if !again {
                return;
            }
        }
    }

    /// Start a lookup, a connect or a cancel; `true` if the core got an input at once.
    fn start_job(&mut self, key: usize, job: SocketAction) -> bool {
        match job {
            SocketAction::Lookup { request, lookup } => {
                self.lookups_in_flight += 1;
                let handle = self.handle.clone();
                // The answer goes to this socket only: its slot may hold another socket by then.
                let id = SocketId(key, self.sockets[key].serial);
                let answer = move |input: IoInput| {
                    handle.run(move |lp| {
                        lp.lookups_in_flight -= 1;
                        if let Some(e) = lp.entry_mut(id) {
                            e.core.handle_io(Instant::now(), input);
                            lp.pump_socket(id.0);
                        }
                    });
                };
                match lookup {
                    // The connect's own lookup answers through the loop's channel too, even
                    // when it answers at once: the loop is busy with this socket now.
                    Some(custom) => custom.call(&request, move |r| answer(IoInput::LookedUp(r))),
                    // getaddrinfo blocks: it runs on a thread.
                    None => {
                        std::thread::spawn(move || {
                            let found = std::net::ToSocketAddrs::to_socket_addrs(&(request.host.as_str(), 0));
                            answer(driver::lookup_answer(found, &request.host, request.family));
                        });
                    }
                }
                false
            }
            SocketAction::Connect { to, local } => {
                let bound = self.sockets[key].bound_source.take();
                let started = match &to {
                    Endpoint::Tcp(addr) => match bound {
                        Some(socket) => net_async::sys::start_tcp_connect_from(socket, *addr)
                            .map(|s| Stream::Tcp(TcpStream::from_std(s))),
                        None => start_tcp_connect(*addr, local).map(Stream::Tcp),
                    },
                    Endpoint::Ipc(path) => UnixStream::connect(path).map(Stream::Unix),
                };
                let entry = &mut self.sockets[key];
                match started {
                    Ok(mut stream) => {
                        let _ = stream.register(self.poll.registry(), socket_token(key), true);
                        entry.stream = Some(stream);
                        entry.watch_write = true;
                        entry.fresh = true;
                        self.fresh.push(key);
                        entry.connecting = Some((to, local));
                        false
                    }
                    Err(e) if matches!(to, Endpoint::Ipc(_)) => {
                        // connect(2) failed inside `connect()`: Node reports it next turn.
                        let input = driver::connect_failed(&e, &to, local);
                        self.pending_inputs.push((SocketId(key, entry.serial), input));
                        false
                    }
                    Err(e) => {
                        entry.core.handle_io(Instant::now(), driver::connect_failed(&e, &to, local));
                        true
                    }
                }
            }
            SocketAction::CancelConnect => {
                let entry = &mut self.sockets[key];
                if let Some(mut stream) = entry.stream.take() {
                    stream.deregister(self.poll.registry());
                }
                entry.connecting = None;
                false
            }
            _ => false,
        }
    }

    fn socket_ready(&mut self, key: usize, readable: bool, writable: bool, hung_up: bool) {
        let now = self.now;
        let Some(entry) = self.sockets.get_mut(key) else { return };
        if let Some((to, local)) = entry.connecting.clone() {
            let Some(stream) = entry.stream.as_ref() else { return };
            match stream.connect_result() {
                None => return,
                Some(Ok(())) => {
                    let info = stream.info();
                    entry.connecting = None;
                    // An edge spent on the connect: bytes or a FIN came with it.
                    entry.read_pending = readable || hung_up;
                    entry.core.handle_io(now, IoInput::Connected(info));
                }
                Some(Err(e)) => {
                    if let Some(mut stream) = entry.stream.take() {
                        stream.deregister(self.poll.registry());
                    }
                    entry.connecting = None;
                    entry.core.handle_io(now, driver::connect_failed(&e, &to, local));
                }
            }
        } else if let Some(stream) = entry.stream.as_ref() {
            // Edge-triggered: read until WouldBlock; error and hang-up readiness are only hints.
            if hung_up {
                entry.hung_up = true;
            }
            if (readable || hung_up) && entry.core.wants_read() {
                entry.read_pending = !read(&mut entry.core, stream, &mut self.buf, now, entry.hung_up);
            } else if readable || hung_up {
                // Not reading now (paused, `ready` not emitted yet): the edge is not spent.
                entry.read_pending = true;
            }
            if writable {
                driver::transmit(&mut entry.core, stream, now);
            }
        }
        self.pump_socket(key);
    }

    // ---- servers ----------------------------------------------------------------------------

    /// `net.createServer(options)`.
    pub fn create_server(&mut self, opts: ServerOptions) -> ServerId {
        ServerId(self.servers.insert(ServerEntry {
            core: net_core::Server::new(opts),
            listener: None,
            admitted: driver::Admitted::default(),
            ipc_path: None,
            referenced: true,
            handler: None,
            abort_listener: None,
            adopting: None,
        }))
    }

    /// `server.listen(options)`: binds at once; `listening` or `error` follows as an event.
    /// With [`ListenOptions::host_name`] the host is looked up first (on a thread for a name; an
    /// IP literal answers at the loop's next turn), as Node does for every host.
    pub fn listen(&mut self, id: ServerId, opts: ListenOptions) -> Result<(), NetError> {
        let entry = &mut self.servers[id.0];
        match &opts.host_name {
            Some(host) => entry.core.listen_host(host, opts.port)?,
            None => entry.core.listen(opts.endpoint())?,
        }
        self.carry_out_server(id, &opts);
        if let Some(signal) = opts.signal.clone() {
            // Closed when the signal is aborted, as `connect_with`'s sockets are destroyed.
            let listener = self.on_abort(&signal, move |_, listener| Aborted::Server(id, listener));
            self.servers[id.0].abort_listener = Some((signal, listener));
        }
        Ok(())
    }

    /// What a server's core asks after `listen`: bind, close, or look the host up.
    fn carry_out_server(&mut self, id: ServerId, opts: &ListenOptions) {
        let Some(entry) = self.servers.get_mut(id.0) else { return };
        while let Some(action) = entry.core.poll_action() {
            match action {
                ServerAction::Listen(at) => {
                    let bound = match entry.adopting.take() {
                        Some(adopted) => Ok(adopted),
                        None => bind(&at, opts),
                    };
                    let result = bound.as_ref().map(|(_, ep)| ep.clone()).map_err(Clone::clone);
                    if entry.core.handle_listen(result) {
                        if let Ok((mut listener, ep)) = bound {
                            let registry = self.poll.registry();
                            let _ = match &mut listener {
                                Listener::Tcp(l) => {
                                    registry.register(l, server_token(id.0), Interest::READABLE)
                                }
                                Listener::Unix(l) => {
                                    registry.register(l, server_token(id.0), Interest::READABLE)
                                }
                            };
                            if let Endpoint::Ipc(path) = ep {
                                entry.ipc_path = Some(path);
                            }
                            entry.listener = Some(listener);
                        }
                    }
                }
                ServerAction::CloseListener => close_listener(entry, &self.poll),
                ServerAction::Lookup { id: lookup, host } => {
                    self.lookups_in_flight += 1;
                    let (handle, opts) = (self.handle.clone(), opts.clone());
                    let literal = host.parse::<std::net::IpAddr>().ok();
                    let name = host.clone();
                    let answer = move |found: io::Result<Vec<SocketAddr>>| {
                        let result = driver::listen_lookup_answer(found, &host);
                        handle.run(move |lp| {
                            lp.lookups_in_flight -= 1;
                            let Some(entry) = lp.servers.get_mut(id.0) else { return };
                            entry.core.handle_lookup(lookup, result);
                            lp.carry_out_server(id, &opts);
                        });
                    };
                    match literal {
                        Some(ip) => answer(Ok(vec![SocketAddr::new(ip, 0)])),
                        // getaddrinfo blocks: it runs on a thread, as a socket's lookup does.
                        None => {
                            std::thread::spawn(move || {
                                let found = std::net::ToSocketAddrs::to_socket_addrs(&(name.as_str(), 0));
                                answer(found.map(Iterator::collect));
                            });
                        }
                    }
                    break; // `entry` is borrowed no more; nothing follows a lookup
                }
            }
        }
        self.dirty_servers.push_back(id.0);
    }

    /// `server.listen(boundSocket)`: listen on a [`net_async::BoundSocket`] at once (Node 26.4);
    /// the bound socket is adopted from then on. While listening it is
    /// `ERR_SERVER_ALREADY_LISTEN`, and the bound socket stays the caller's.
    pub fn listen_bound(
        &mut self,
        id: ServerId,
        bound: &net_async::BoundSocket,
        backlog: Option<i32>,
    ) -> Result<(), NetError> {
        if self.listening(id) {
            return Err(NetError::server_already_listen());
        }
        let (listener, at) = bound.listen(backlog.unwrap_or(driver::DEFAULT_BACKLOG))?;
        self.listen_adopted(id, listener, at)
    }

    /// Adopt a connected std stream (Node's `new net.Socket({ fd })`): a connected socket with
    /// `opts`, as an accepted one is.
    pub fn adopt(&mut self, stream: net_async::sys::StdStream, opts: SocketOptions) -> io::Result<SocketId> {
        let (stream, info, ipc) = match stream {
            net_async::sys::StdStream::Tcp(s) => {
                s.set_nonblocking(true)?;
                let info = net_core::ConnectionInfo::tcp(s.local_addr()?, s.peer_addr()?);
                (Stream::Tcp(TcpStream::from_std(s)), info, false)
            }
            net_async::sys::StdStream::Unix(s) => {
                s.set_nonblocking(true)?;
                (Stream::Unix(UnixStream::from_std(s)), net_core::ConnectionInfo::ipc(), true)
            }
        };
        let core = net_core::Socket::accepted(opts, info, ipc, Instant::now());
        let id = self.add_socket(core, Some(stream), None);
        self.pump_socket(id.0);
        Ok(id)
    }

    /// [`adopt`](Self::adopt) a descriptor handed over by number: a connected TCP or
    /// Unix-domain stream socket (anything else is `InvalidInput`).
    pub fn adopt_fd(&mut self, fd: std::os::fd::OwnedFd, opts: SocketOptions) -> io::Result<SocketId> {
        let stream = net_async::sys::stream_from_fd(fd)?;
        self.adopt(stream, opts)
    }

    /// `server.listen(handle)` / `listen({ fd })`: listen at once on a listening std socket (a
    /// Unix socket's file stays the caller's); `listening` follows.
    pub fn listen_std(
        &mut self,
        id: ServerId,
        listener: net_async::sys::StdListener,
    ) -> Result<(), NetError> {
        let at = match &listener {
            net_async::sys::StdListener::Tcp(l) => l.local_addr().map(Endpoint::Tcp),
            net_async::sys::StdListener::Unix(l) => {
                l.local_addr().map(|a| Endpoint::Ipc(a.as_pathname().map(Into::into).unwrap_or_default()))
            }
        }
        .map_err(|e| NetError::from_io(&e, "listen"))?;
        self.listen_adopted(id, listener, at)?;
        // The socket file is the caller's (this server did not bind it): not removed on close.
        self.servers[id.0].ipc_path = None;
        Ok(())
    }

    /// [`listen_std`](Self::listen_std) on a descriptor handed over by number.
    pub fn listen_fd(&mut self, id: ServerId, fd: std::os::fd::OwnedFd) -> Result<(), NetError> {
        let (listener, _) =
            net_async::sys::listener_from_fd(fd).map_err(|e| NetError::from_io(&e, "listen"))?;
        self.listen_std(id, listener)
    }

    fn listen_adopted(
        &mut self,
        id: ServerId,
        listener: net_async::sys::StdListener,
        at: Endpoint,
    ) -> Result<(), NetError> {
        if self.listening(id) {
            return Err(NetError::server_already_listen());
        }
        let listener = match listener {
            net_async::sys::StdListener::Tcp(l) => {
                l.set_nonblocking(true).map_err(|e| NetError::from_io(&e, "listen"))?;
                Listener::Tcp(TcpListener::from_std(l))
            }
            net_async::sys::StdListener::Unix(l) => {
                l.set_nonblocking(true).map_err(|e| NetError::from_io(&e, "listen"))?;
                Listener::Unix(UnixListener::from_std(l))
            }
        };
        let entry = &mut self.servers[id.0];
        entry.core.listen(at.clone())?;
        entry.adopting = Some((listener, at));
        self.carry_out_server(id, &ListenOptions::default());
        Ok(())
    }

    /// `server.close()`.
    pub fn close_server(&mut self, id: ServerId) -> Result<(), NetError> {
        let entry = &mut self.servers[id.0];
        if let Some((signal, listener)) = entry.abort_listener.take() {
            signal.remove(listener);
        }
        let result = entry.core.close();
        while let Some(action) = entry.core.poll_action() {
            if action == ServerAction::CloseListener {
                close_listener(entry, &self.poll);
            }
        }
        self.dirty_servers.push_back(id.0);
        result
    }

    /// `server.address()`.
    pub fn address(&self, id: ServerId) -> Option<Endpoint> {
        self.servers.get(id.0).and_then(|s| s.core.address().cloned())
    }

    /// `server.listening`.
    pub fn listening(&self, id: ServerId) -> bool {
        self.servers.get(id.0).is_some_and(|s| s.core.listening())
    }

    /// `server.getConnections()`.
    pub fn get_connections(&self, id: ServerId) -> usize {
        self.servers.get(id.0).map_or(0, |s| s.core.get_connections())
    }

    /// `server.maxConnections = n`.
    pub fn set_max_connections(&mut self, id: ServerId, max: Option<u32>) {
        if let Some(s) = self.servers.get_mut(id.0) {
            s.core.set_max_connections(max);
        }
    }

    /// Node's `socket.server`: the server that accepted the socket (also after close), `None`
    /// for a client socket or an id that addresses nothing.
    pub fn socket_server(&self, id: SocketId) -> Option<ServerId> {
        self.entry(id)?.accepted_by
    }

    /// `server.maxConnections` (`None`: no limit, or no such server).
    pub fn max_connections(&self, id: ServerId) -> Option<u32> {
        self.servers.get(id.0).and_then(|s| s.core.max_connections())
    }

    /// `server.ref()` / `server.unref()`.
    pub fn set_server_ref(&mut self, id: ServerId, referenced: bool) {
        if let Some(s) = self.servers.get_mut(id.0) {
            s.referenced = referenced;
        }
    }

    fn accept_ready(&mut self, key: usize) {
        let _span = tracing::debug_span!("net_server", id = key).entered();
        loop {
            let Some(entry) = self.servers.get_mut(key) else { return };
            let accepted = match &entry.listener {
                Some(Listener::Tcp(l)) => l.accept().map(|(s, peer)| (Stream::Tcp(s), Some(peer))),
                Some(Listener::Unix(l)) => l.accept().map(|(s, _)| (Stream::Unix(s), None)),
                None => return,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    self.dirty_servers.push_back(key);
                    if driver::accept_failed(&mut entry.core, &e) == driver::AcceptFailure::Retry {
                        continue;
                    }
                    // Stop for this turn instead of spinning; the loop goes on serving the
                    // connections whose closing frees what accept needs.
                    tracing::warn!(error = %e, "accept failed");
                    if !self.retry_accept.contains(&key) {
                        self.retry_accept.push(key);
                    }
                    self.retry_accept_at = Some(Instant::now() + driver::ACCEPT_RETRY);
                    return;
                }
            };
            let sid = ServerId(key);
            let info = driver::accepted_info(entry.core.address(), peer, || stream.local_addr());
            let admission = entry.core.accept(self.now, info);
            tracing::debug!(server = key, admitted = matches!(admission, Admission::Accepted(_)), "accept");
            match admission {
                Admission::Accepted(core) => {
                    let cid = core.connection_id().expect("admitted sockets carry an id");
                    let id = self.add_socket(core, Some(stream), Some((sid, cid)));
                    self.servers[key].admitted.push(cid, id);
                    self.pump_socket(id.0);
                }
                Admission::Dropped | Admission::Blocked | Admission::NotListening => drop(stream),
            }
            self.dirty_servers.push_back(key);
        }
    }

    // ---- the loop -----------------------------------------------------------------------------

    /// The next event, pulled from the machines in Node's per-handle order; `None` when nothing
    /// is waiting. The core's next-tick work after an event (the automatic end after `end`) runs
    /// when the next event is pulled, so commands given while handling an event come first.
    pub fn next_event(&mut self) -> Option<Event> {
        loop {
            let ev = self.next_event_of_any_kind()?;
            let Event::Socket(id, SocketEvent::Data(data)) = &ev else { return Some(ev) };
            let Some(mut onread) = self.entry_mut(*id).and_then(|e| e.onread.take()) else { return Some(ev) };
            // The callback is the `data` listener: it runs with the loop, then the next event.
            let OnRead { buffer, callback } = &mut *onread;
            let paused = buffer.deliver(data, |buf| callback(self, *id, buf));
            let now = self.now;
            if let Some(entry) = self.entry_mut(*id) {
                entry.onread.get_or_insert(onread);
                if let Some(taken) = paused {
                    entry.core.set_now(now);
                    net_core::OnReadBuffer::stopped(&mut entry.core, data, taken);
                    self.pump_socket_command(id.0);
                }
            }
        }
    }

    /// Node's `onread: { buffer, callback }` for socket `id`: from now on its bytes go to
    /// `callback` through `buffer` (at most its length per call) instead of coming as
    /// [`SocketEvent::Data`]; `callback` returning `false` stops the socket reading (Node's `readStop`: the rest stays out of `bytesRead` and `readableLength`, `isPaused()` stays false), and
    /// `resume()` ([`SocketHandle::resume`](net_core::SocketHandle::resume)) hands on what was
    /// left. The other events come as before.
    pub fn set_onread(
        &mut self,
        id: SocketId,
        buffer: impl Into<Box<[u8]>>,
        callback: impl FnMut(&mut Self, SocketId, &mut [u8]) -> bool + 'static,
    ) {
        if let Some(entry) = self.entry_mut(id) {
            entry.onread = Some(Box::new(OnRead {
                buffer: net_core::OnReadBuffer::new(buffer),
                callback: Box::new(callback),
            }));
        }
    }

    fn next_event_of_any_kind(&mut self) -> Option<Event> {
        if let Some(entry) = self.handed_out.take().and_then(|key| self.sockets.get_mut(key)) {
            // Its listeners returned: Node's own `connect` listener, behind the user's, writes
            // what was queued while connecting before the loop turns to any other socket.
            let live = entry.stream.as_ref().filter(|_| entry.connecting.is_none());
            driver::listener_returned(&mut entry.core, live, self.now);
        }
        loop {
            self.run_ticks();
            if let Some(ev) = self.next_queued_event() {
                return Some(ev);
            }
            // Nothing queued: the next descriptor of the poll phase.
            let ready = self.ready.pop_front()?;
            self.handle_ready(ready);
        }
    }

    /// The next event already queued on a socket or server.
    fn next_queued_event(&mut self) -> Option<Event> {
        if let Some((id, ev)) = self.late_events.pop_front() {
            return Some(Event::Socket(id, ev));
        }
        while let Some(key) = self.dirty_servers.front().copied() {
            let Some(entry) = self.servers.get_mut(key) else {
                self.dirty_servers.pop_front();
                continue;
            };
            let Some(ev) = entry.core.poll_event() else {
                self.dirty_servers.pop_front();
                continue;
            };
            let Some(ev) = entry.admitted.event(ev) else { continue };
            return Some(Event::Server(ServerId(key), ev));
        }
        while let Some(key) = self.dirty_sockets.front().copied() {
            let Some(entry) = self.sockets.get_mut(key) else {
                self.dirty_sockets.pop_front();
                continue;
            };
            let entry_serial = entry.serial;
            match entry.core.poll_event() {
                Some(ev) => {
                    if matches!(ev, SocketEvent::Close { .. }) {
                        entry.closed = true;
                        if entry.referenced {
                            self.live_refs -= 1;
                        }
                    }
                    self.pump_socket(key);
                    self.handed_out = Some(key);
                    return Some(Event::Socket(SocketId(key, entry_serial), ev));
                }
                None => {
                    // The pull ended the user's handling of `connect`: the writes queued while
                    // connecting, `ready` and the FIN may go now.
                    if entry.core.tick_owed() || entry.core.has_action() {
                        self.pump_socket(key);
                        if self.sockets.get(key).is_some_and(|e| e.core.has_event()) {
                            continue;
                        }
                    }
                    let Some(entry) = self.sockets.get_mut(key) else {
                        self.dirty_sockets.pop_front();
                        continue;
                    };
                    self.dirty_sockets.pop_front();
                    if entry.closed && entry.stream.is_none() {
                        let gone = self.sockets.remove(key);
                        if self.closed.len() == CLOSED_KEPT {
                            self.closed.pop_front();
                        }
                        self.closed.push_back((SocketId(key, gone.serial), gone.core));
                    }
                }
            }
        }
        None
    }

    /// Whether a referenced handle is still alive (Node's process would keep running).
    pub fn alive(&self) -> bool {
        // A count, not a scan: the slab keeps the capacity of its busiest moment, and `run`
        // asks this every turn (after 10,000 idle connections a scan cost more than the echo).
        debug_assert_eq!(
            self.live_refs,
            self.sockets.iter().filter(|(_, s)| s.referenced && !s.closed).count()
        );
        self.lookups_in_flight > 0
            || self.live_refs > 0
            || self
                .servers
                .iter()
                .any(|(_, s)| s.referenced && (s.core.listening() || s.core.get_connections() > 0))
    }

    /// Wait for IO, timers or cross-thread work for at most `timeout`, and feed what happened to
    /// the machines. Events are then pulled with [`EventLoop::next_event`].
    pub fn run_once(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.run_ticks();
        for (id, input) in std::mem::take(&mut self.pending_inputs) {
            let now = self.now;
            if let Some(entry) = self.entry_mut(id) {
                entry.core.handle_io(now, input);
                self.pump_socket(id.0);
            }
        }
        let now = Instant::now();
        let next_timer = self.timers.peek().map(|Reverse((at, _))| at.saturating_duration_since(now));
        let wait = match (timeout, next_timer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let wait = if self.dirty_sockets.is_empty()
            && self.dirty_servers.is_empty()
            && self.to_read.is_empty()
            && self.ready.is_empty()
        {
            wait
        } else {
            Some(Duration::ZERO)
        };
        // A failed accept is retried after a pause (whatever else wakes the loop), not spun on.
        let wait = match self.retry_accept_at {
            Some(at) if !self.retry_accept.is_empty() => {
                let until = at.saturating_duration_since(now);
                Some(wait.map_or(until, |w| w.min(until)))
            }
            _ => wait,
        };
        match self.poll.poll(&mut self.events, wait) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => other?,
        }
        self.now = Instant::now();
        // The poll phase, handled by `next_event` one descriptor at a time: first the sockets
        // whose readiness was not spent (libuv's poll reports them again), then what the wait
        // reported, then the timers.
        for key in self.to_read.drain(..) {
            if let Some(entry) = self.sockets.get_mut(key) {
                entry.read_queued = false;
                self.ready.push_back(Ready::Socket { key, readable: true, writable: false, hung_up: false });
            }
        }
        // Take the event buffer out while handling it (no copy, no allocation per turn).
        let events = std::mem::replace(&mut self.events, Events::with_capacity(0));
        let mut fresh = std::mem::take(&mut self.fresh_ready);
        for event in &events {
            let token = event.token();
            if token == WAKER {
                while let Ok(job) = self.jobs.try_recv() {
                    job(self);
                }
            } else if token.0 % 2 == 0 {
                let key = token.0 / 2;
                let ready = Ready::Socket {
                    key,
                    readable: event.is_readable(),
                    writable: event.is_writable(),
                    hung_up: event.is_read_closed() || event.is_error(),
                };
                match self.sockets.get_mut(key) {
                    Some(entry) if entry.fresh => fresh.push(ready),
                    _ => self.ready.push_back(ready),
                }
            } else {
                self.ready.push_back(Ready::Server(token.0 / 2));
            }
        }
        self.ready.extend(fresh.drain(..));
        self.fresh_ready = fresh;
        // A list, not a scan: the loop may hold 10,000 idle sockets.
        for key in self.fresh.drain(..) {
            if let Some(entry) = self.sockets.get_mut(key) {
                entry.fresh = false;
            }
        }
        self.events = events;
        if self.retry_accept_at.is_none_or(|at| self.now >= at) {
            self.retry_accept_at = None;
            for key in std::mem::take(&mut self.retry_accept) {
                self.ready.push_back(Ready::Server(key));
            }
        }
        self.ready.push_back(Ready::Timers);
        Ok(())
    }

    /// Handle one thing the last wait found.
    fn handle_ready(&mut self, ready: Ready) {
        match ready {
            Ready::Socket { key, readable, writable, hung_up } => {
                self.socket_ready(key, readable, writable, hung_up);
            }
            Ready::Server(key) => self.accept_ready(key),
            Ready::Timers => self.fire_timers(),
        }
    }

    fn fire_timers(&mut self) {
        let now = self.now;
        while let Some(Reverse((at, key))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            // Stale entries (the deadline moved) are harmless: the core ignores early calls.
            if let Some(entry) = self.sockets.get_mut(key) {
                if entry.armed == Some(at) {
                    entry.armed = None;
                }
                if entry.core.poll_timeout().is_some_and(|d| d <= now) {
                    entry.core.handle_timeout(now);
                    self.pump_socket(key);
                }
            }
        }
    }

    /// Node's `socket.on(…)`: this socket's events go to `handler` (in [`EventLoop::run`]).
    pub fn on_socket(
        &mut self,
        id: SocketId,
        handler: impl FnMut(&mut Self, SocketId, SocketEvent) + 'static,
    ) {
        // A socket already gone never has another event: its handler is dropped.
        if let Some(entry) = self.entry_mut(id) {
            entry.handler = Some(Box::new(handler));
        }
    }

    /// Node's `server.on(…)`: this server's events go to `handler` (in [`EventLoop::run`]).
    pub fn on_server(
        &mut self,
        id: ServerId,
        handler: impl FnMut(&mut Self, ServerId, ServerEvent) + 'static,
    ) {
        if let Some(entry) = self.servers.get_mut(id.0) {
            entry.handler = Some(Box::new(handler));
        }
    }

    /// Hand one event to its handle's handler, if it has one; otherwise give it back.
    fn dispatch(&mut self, ev: Event) -> Option<Event> {
        match ev {
            // The handler is out of its slot while it runs; one it registered meanwhile wins.
            Event::Socket(id, e) => match self.entry_mut(id).and_then(|en| en.handler.take()) {
                Some(mut h) => {
                    let closing = matches!(e, SocketEvent::Close { .. });
                    h(self, id, e);
                    if !closing {
                        if let Some(en) = self.entry_mut(id) {
                            en.handler.get_or_insert(h);
                        }
                    }
                    None
                }
                None => Some(Event::Socket(id, e)),
            },
            Event::Server(id, e) => match self.servers.get_mut(id.0).and_then(|en| en.handler.take()) {
                Some(mut h) => {
                    h(self, id, e);
                    if let Some(en) = self.servers.get_mut(id.0) {
                        en.handler.get_or_insert(h);
                    }
                    None
                }
                None => Some(Event::Server(id, e)),
            },
        }
    }

    /// Node's loop: each event goes to its handle's handler ([`EventLoop::on_socket`],
    /// [`EventLoop::on_server`]) or else to `handler`; the loop waits for more until no
    /// referenced handle is left.
    pub fn run(&mut self, mut handler: impl FnMut(&mut Self, Event)) -> io::Result<()> {
        loop {
            while let Some(ev) = self.next_event() {
                if let Some(ev) = self.dispatch(ev) {
                    handler(self, ev);
                }
            }
            if !self.alive() {
                return Ok(());
            }
            self.run_once(None)?;
        }
    }
}

/// Node's commands and getters for one socket of the loop.
pub struct SocketCtx<'a> {
    lp: std::cell::RefCell<&'a mut EventLoop>,
    id: SocketId,
}

impl SocketHandle for SocketCtx<'_> {
    fn with_core<R>(&self, f: impl FnOnce(&mut net_core::Socket, Instant) -> R) -> R {
        let mut lp = self.lp.borrow_mut();
        let id = self.id;
        let now = lp.now;
        let Some(entry) = lp.entry_mut(id) else {
            // A socket whose close was handed out and whose entry is gone: its kept core (or a
            // fresh destroyed one) answers every command as a closed socket does; nothing it
            // queues after `close` (a callback's failure) comes as a late event.
            if let Some((_, core)) = lp.closed.iter_mut().find(|(k, _)| *k == id) {
                let r = f(core, Instant::now());
                let late: Vec<_> = std::iter::from_fn(|| core.poll_event()).collect();
                lp.late_events.extend(late.into_iter().map(|ev| (id, ev)));
                return r;
            }
            let mut gone = net_core::Socket::new(SocketOptions::default(), Instant::now());
            gone.destroy();
            return f(&mut gone, Instant::now());
        };
        entry.core.set_now(now);
        let r = f(&mut entry.core, now);
        lp.pump_socket_command(self.id.0);
        r
    }

    fn inspect<R>(&self, f: impl FnOnce(&net_core::Socket) -> R) -> R {
        let lp = self.lp.borrow();
        match lp.entry(self.id) {
            Some(entry) => f(&entry.core),
            None if lp.closed.iter().any(|(k, _)| *k == self.id) => {
                f(&lp.closed.iter().find(|(k, _)| *k == self.id).expect("just found").1)
            }
            None => {
                let mut gone = net_core::Socket::new(SocketOptions::default(), Instant::now());
                gone.destroy();
                f(&gone)
            }
        }
    }
}

fn close_listener(entry: &mut ServerEntry, poll: &Poll) {
    if let Some(mut listener) = entry.listener.take() {
        let _ = match &mut listener {
            Listener::Tcp(l) => poll.registry().deregister(l),
            Listener::Unix(l) => poll.registry().deregister(l),
        };
    }
    if let Some(path) = entry.ipc_path.take() {
        let _ = std::fs::remove_file(path);
    }
}

/// Start a non-blocking TCP connect, bound first if asked.
fn start_tcp_connect(addr: SocketAddr, local: Option<SocketAddr>) -> io::Result<TcpStream> {
    net_async::sys::start_tcp_connect(addr, local).map(TcpStream::from_std)
}

/// Bind and listen as libuv does (net-async's one copy), registered with mio.
fn bind(at: &Endpoint, opts: &ListenOptions) -> Result<(Listener, Endpoint), NetError> {
    let (listener, at) = net_async::sys::bind(at, opts)?;
    let listener = match listener {
        net_async::sys::StdListener::Tcp(l) => Listener::Tcp(TcpListener::from_std(l)),
        net_async::sys::StdListener::Unix(l) => Listener::Unix(UnixListener::from_std(l)),
    };
    Ok((listener, at))
}
