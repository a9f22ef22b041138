//! The simulator harness: net-core's machines over net-sim's simulated kernel (Linux's loopback
//! semantics, [`net_sim::kernel`] and [`net_sim::listeners`]) with a virtual clock, driven as
//! libuv's loop runs (the poll phase one descriptor at a time, next-tick work between).
//!
//! Connects complete at once (refused when nothing listens). Sockets are driven through the
//! same `net_core::driver` functions the backends use, over a [`Transport`] on that kernel. Time
//! only moves when nothing else can: the clock jumps to the next timer. The same kernel runs
//! under net-async as the `sim-rt` backend (net-sim's runtime).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Instant;

use bytes::Bytes;
use net_core::driver::{self, Admitted, Transport};
use net_core::{
    Admission, ConnectionId, ConnectionInfo, Endpoint, IoInput, KeepAliveSettings, ListenOptions, NetError,
    ServerAction, ServerOptions, SocketAction, SocketOptions,
};
use net_sim::kernel::{Kernel, PIPE_CAPACITY};
use net_sim::listeners::{ListenerId, Listeners};

use crate::harness::{Harness, Observed, SockId, SrvId, Target};

// The simulated kernel answers with the errnos of the platform's own.
use libc::{EADDRINUSE, ECONNRESET};

/// One end of a connection, as a [`Transport`], at the harness's time.
struct SimStream<'k> {
    kernel: &'k RefCell<Kernel>,
    conn: usize,
    side: usize,
    now: Instant,
}

impl Transport for SimStream<'_> {
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.kernel.borrow_mut().write(self.conn, self.side, bufs, self.now, self.now, usize::MAX)
    }

    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.kernel.borrow_mut().read(self.conn, self.side, buf, self.now, usize::MAX)
    }

    fn shutdown_write(&self) -> io::Result<()> {
        self.kernel.borrow_mut().shutdown(self.conn, self.side, self.now);
        Ok(())
    }

    fn set_reset_on_close(&self) -> io::Result<()> {
        self.kernel.borrow_mut().set_reset_on_close(self.conn, self.side);
        Ok(())
    }

    fn set_no_delay(&self, _: bool) -> io::Result<()> {
        Ok(())
    }

    fn set_keep_alive(&self, _: KeepAliveSettings) -> io::Result<()> {
        Ok(())
    }

    /// The simulated kernel carries no IP header; the core answers `getTypeOfService` itself.
    fn set_type_of_service(&self, _: u8) -> io::Result<()> {
        Ok(())
    }
}

struct SimSock {
    core: net_core::Socket,
    /// `(connection, side)` while the handle is open.
    stream: Option<(usize, usize)>,
    jobs: Vec<SocketAction>,
    /// The accepting server and this connection's id, until the count was given back.
    server: Option<(SrvId, ConnectionId)>,
    buf: driver::ReadBuf,
    /// A Unix-socket connect made inside `connect()`: in a listener's backlog (its outcome is
    /// reported next turn), or failed with this errno.
    ipc_connect: Option<(Endpoint, Option<i32>)>,
}

struct SimServer {
    core: net_core::Server,
    admitted: Admitted<SockId>,
    /// The kernel listener, while bound.
    listener: Option<ListenerId>,
    /// Unix-socket connections the kernel queued, not accepted yet: `(connection, client)`.
    backlog: VecDeque<(usize, SockId)>,
    /// A `listen` with a host: the lookup's id and host, answered at the loop's next turn, and
    /// the options to bind with then.
    lookup: Option<(u64, String, ListenOptions)>,
}

/// net-core on an in-memory kernel, as a [`Harness`].
pub struct SimHarness {
    now: Instant,
    kernel: RefCell<Kernel>,
    /// Listening sockets, socket files and ephemeral ports.
    listeners: Listeners,
    sockets: Vec<SimSock>,
    servers: Vec<SimServer>,
    /// The socket whose event was handed out last, until the user asks for the next.
    handed_out: Option<SockId>,
    /// Signals aborted since the loop last looked: their sockets are destroyed and their
    /// servers closed at its next turn (the listener cannot reach the harness sooner).
    aborted: std::sync::Arc<std::sync::Mutex<Vec<Aborted>>>,
}

/// What an aborted signal was given to.
enum Aborted {
    Socket(SockId, NetError),
    Server(SrvId),
}

impl SimHarness {
    /// An empty network at an arbitrary instant.
    pub fn new() -> Self {
        Self {
            now: Instant::now(),
            kernel: RefCell::default(),
            listeners: Listeners::default(),
            sockets: Vec::new(),
            servers: Vec::new(),
            handed_out: None,
            aborted: Default::default(),
        }
    }

    /// Have `signal`'s abort reach `what` at the loop's next turn.
    fn listen_to(
        &self,
        signal: Option<net_core::AbortSignal>,
        what: impl FnOnce(&NetError) -> Aborted + Send + 'static,
    ) {
        let Some(signal) = signal else { return };
        let aborted = std::sync::Arc::clone(&self.aborted);
        signal.on_abort(move |reason| aborted.lock().unwrap().push(what(reason)));
    }

    /// Carry out the aborts of signals.
    fn settle_aborts(&mut self) -> bool {
        let aborted = std::mem::take(&mut *self.aborted.lock().unwrap());
        let moved = !aborted.is_empty();
        for a in aborted {
            match a {
                Aborted::Socket(i, reason) => {
                    self.sockets[i].core.abort(&reason);
                    self.pump(i);
                }
                Aborted::Server(s) => {
                    let _ = self.close_server(s);
                }
            }
        }
        moved
    }

    fn add_socket(&mut self, core: net_core::Socket, stream: Option<(usize, usize)>) -> SockId {
        self.sockets.push(SimSock {
            core,
            stream,
            jobs: Vec::new(),
            server: None,
            buf: driver::ReadBuf::default(),
            ipc_connect: None,
        });
        self.sockets.len() - 1
    }

    /// Carry out what socket `i` asks for that needs no waiting (the driver's `pump`).
    fn pump(&mut self, i: SockId) {
        self.pump_in(i, true);
    }

    /// The same after a user's command: next-tick work waits for the next turn.
    fn pump_command(&mut self, i: SockId) {
        self.pump_in(i, false);
    }

    fn pump_in(&mut self, i: SockId, turn: bool) {
        let now = self.now;
        let s = &mut self.sockets[i];
        let out = {
            let stream = s.stream.map(|(conn, side)| SimStream { kernel: &self.kernel, conn, side, now });
            if turn {
                driver::pump(&mut s.core, stream.as_ref(), now)
            } else {
                driver::pump_command(&mut s.core, stream.as_ref(), now)
            }
        };
        if out.close {
            if let Some((conn, side)) = s.stream.take() {
                self.kernel.borrow_mut().close(conn, side, now);
            }
        }
        let mut ipc = Vec::new();
        for job in out.jobs {
            match job {
                SocketAction::Connect { to: to @ Endpoint::Ipc(_), .. } => ipc.push(to),
                job => s.jobs.push(job),
            }
        }
        if s.core.destroyed() {
            if let Some((srv, cid)) = s.server.take() {
                self.servers[srv].core.connection_closed(cid);
                self.server_actions(srv);
            }
        }
        for to in ipc {
            self.ipc_connect(i, &to);
        }
    }

    /// connect(2) on a Unix socket, inside the user's `connect()` as libuv does: the connection
    /// waits in the listener's backlog (or the call failed); the socket hears of it next turn.
    fn ipc_connect(&mut self, i: SockId, to: &Endpoint) {
        let Some(srv) = self.find_listener(to) else {
            self.sockets[i].ipc_connect = Some((to.clone(), Some(self.listeners.refused(to))));
            return;
        };
        let conn = self.kernel.borrow_mut().open(true, PIPE_CAPACITY);
        self.servers[srv].backlog.push_back((conn, i));
        self.sockets[i].stream = Some((conn, 0));
        self.sockets[i].ipc_connect = Some((to.clone(), None));
    }

    /// Accept what the listeners' backlogs hold, then tell each connecting Unix socket how its
    /// connect went (the server's `connection` comes first, as with TCP here).
    fn settle_ipc_connects(&mut self) -> bool {
        let now = self.now;
        let mut moved = false;
        for srv in 0..self.servers.len() {
            while let Some((conn, _)) = self.servers[srv].backlog.pop_front() {
                moved = true;
                let info = ConnectionInfo { local: None, remote: None };
                self.accept_conn(srv, conn, info);
            }
        }
        for i in 0..self.sockets.len() {
            let Some((to, result)) = self.sockets[i].ipc_connect.take() else { continue };
            moved = true;
            let input = match result {
                None => IoInput::Connected(ConnectionInfo { local: None, remote: None }),
                Some(errno) => driver::connect_failed(&io::Error::from_raw_os_error(errno), &to, None),
            };
            self.sockets[i].core.handle_io(now, input);
            self.pump(i);
        }
        moved
    }

    /// The kernel hands `conn` to server `srv`'s core (its side 1); refused ones are closed.
    fn accept_conn(&mut self, srv: SrvId, conn: usize, server_info: ConnectionInfo) {
        let now = self.now;
        match self.servers[srv].core.accept(now, server_info) {
            Admission::Accepted(core) => {
                let cid = core.connection_id().expect("admitted sockets carry an id");
                let id = self.add_socket(core, Some((conn, 1)));
                self.sockets[id].server = Some((srv, cid));
                self.servers[srv].admitted.push(cid, id);
                self.pump(id);
            }
            Admission::Dropped | Admission::Blocked | Admission::NotListening => {
                self.kernel.borrow_mut().close(conn, 1, now);
            }
        }
    }

    /// What a server's core asks after `listen`: bind, close, or a lookup answered later.
    fn listen_actions(&mut self, s: SrvId, opts: &ListenOptions) {
        while let Some(action) = self.servers[s].core.poll_action() {
            match action {
                ServerAction::Listen(at) => {
                    // Socket files go under the scenario's real temp dir: a missing directory
                    // is ENOENT, as in Node.
                    let result =
                        self.listeners.bind(&at, opts, |path| path.parent().is_some_and(|d| !d.is_dir()));
                    if self.servers[s].core.handle_listen(result.clone()) {
                        if let Ok(ep) = result {
                            self.servers[s].listener = Some(self.listeners.register(ep));
                        }
                    }
                }
                ServerAction::CloseListener => {
                    if let Some(id) = self.servers[s].listener.take() {
                        self.listeners.close(id);
                    }
                }
                ServerAction::Lookup { id, host } => self.servers[s].lookup = Some((id, host, opts.clone())),
            }
        }
    }

    /// Answer the lookups `listen` asked for (Node's lookup of a literal answers on the next
    /// tick; names resolve through the machine's resolver, as the sockets' do).
    fn settle_listen_lookups(&mut self) -> bool {
        let mut moved = false;
        for s in 0..self.servers.len() {
            let Some((id, host, opts)) = self.servers[s].lookup.take() else { continue };
            moved = true;
            let found = (host.as_str(), 0).to_socket_addrs();
            let result = driver::listen_lookup_answer(found, &host);
            self.servers[s].core.handle_lookup(id, result);
            self.listen_actions(s, &opts);
        }
        moved
    }

    fn server_actions(&mut self, srv: SrvId) {
        while let Some(action) = self.servers[srv].core.poll_action() {
            match action {
                ServerAction::CloseListener => {
                    if let Some(id) = self.servers[srv].listener.take() {
                        self.listeners.close(id);
                    }
                }
                ServerAction::Listen(_) => unreachable!("listen actions are taken in listen()"),
                ServerAction::Lookup { .. } => unreachable!("scenarios listen on addresses, not host names"),
            }
        }
    }

    /// The server whose listener a connect to `to` reaches.
    fn find_listener(&self, to: &Endpoint) -> Option<SrvId> {
        let id = self.listeners.find(to)?;
        self.servers.iter().position(|s| s.listener == Some(id))
    }

    fn connect_now(&mut self, i: SockId, to: Endpoint, local: Option<SocketAddr>) {
        let now = self.now;
        // Binding a port a listener holds fails (SO_REUSEADDR does not share a listening port).
        if local.is_some_and(|l| l.port() != 0 && self.listeners.port_in_use(l)) {
            let err = driver::BindFailed::wrap(io::Error::from_raw_os_error(EADDRINUSE));
            self.sockets[i].core.handle_io(now, driver::connect_failed(&err, &to, local));
            return;
        }
        let Some(srv) = self.find_listener(&to) else {
            let errno = self.listeners.refused(&to);
            let input = driver::connect_failed(&io::Error::from_raw_os_error(errno), &to, local);
            self.sockets[i].core.handle_io(now, input);
            return;
        };
        let conn = self.kernel.borrow_mut().open(matches!(to, Endpoint::Ipc(_)), PIPE_CAPACITY);
        let (client_info, server_info) = match &to {
            Endpoint::Tcp(addr) => {
                let id = self.servers[srv].listener.expect("a found server listens");
                self.listeners.tcp_ends(id, *addr, local)
            }
            Endpoint::Ipc(_) => (ConnectionInfo::ipc(), ConnectionInfo::ipc()),
        };
        self.accept_conn(srv, conn, server_info);
        self.sockets[i].stream = Some((conn, 0));
        self.sockets[i].core.handle_io(now, IoInput::Connected(client_info));
        // A driver carries out what the connect made owed (the queued writes) at once, before
        // it looks at the socket's readability: `drain` comes before a FIN already waiting.
        self.pump(i);
    }

    /// Move whatever can move without time passing; whether anything did.
    fn progress(&mut self) -> bool {
        let now = self.now;
        let mut moved = self.settle_aborts() | self.settle_ipc_connects() | self.settle_listen_lookups();
        for i in 0..self.sockets.len() {
            for job in std::mem::take(&mut self.sockets[i].jobs) {
                moved = true;
                match job {
                    SocketAction::Lookup { request, lookup: Some(custom) } => {
                        // The scenario's lookups answer at once.
                        let answer = custom.call_now(&request, |_| unreachable!("answered at once"));
                        self.sockets[i]
                            .core
                            .handle_io(now, IoInput::LookedUp(answer.expect("answered at once")));
                    }
                    SocketAction::Lookup { request, lookup: None } => {
                        let found = (request.host.as_str(), 0).to_socket_addrs();
                        let input = driver::lookup_answer(found, &request.host, request.family);
                        self.sockets[i].core.handle_io(now, input);
                    }
                    SocketAction::Connect { to, local } => self.connect_now(i, to, local),
                    _ => {}
                }
            }
            let s = &mut self.sockets[i];
            if let Some((conn, side)) = s.stream {
                let stream = SimStream { kernel: &self.kernel, conn, side, now };
                if s.core.wants_read() && self.kernel.borrow().readable(conn, side, now) {
                    let before = s.core.bytes_received();
                    let was = (s.core.destroyed(), s.core.ready_state(), s.core.has_event());
                    driver::read_ready(&mut s.core, &stream, &mut s.buf, now);
                    moved |= s.core.bytes_received() != before
                        || (s.core.destroyed(), s.core.ready_state(), s.core.has_event()) != was;
                }
                if s.core.wants_write() && self.kernel.borrow().writable(conn, side) {
                    let before = (s.core.writable_length(), s.core.bytes_written(), s.core.destroyed());
                    driver::transmit(&mut s.core, &stream, now);
                    moved |= (s.core.writable_length(), s.core.bytes_written(), s.core.destroyed()) != before;
                }
            }
            let had = (self.sockets[i].stream.is_some(), self.sockets[i].jobs.len());
            self.pump(i);
            moved |= (self.sockets[i].stream.is_some(), self.sockets[i].jobs.len()) != had;
            if moved && self.sockets[i].core.has_event() {
                // libuv's poll phase runs one descriptor's callbacks (and the next-tick queue)
                // before it reads the next: hand these out first.
                return true;
            }
        }
        moved
    }

    fn poll_events(&mut self) -> Option<Observed> {
        if let Some(i) = self.handed_out.take() {
            // Its listener returned: Node's own `connect` listener, behind the user's, writes
            // what was queued while connecting before the loop turns to any other socket.
            let now = self.now;
            let s = &mut self.sockets[i];
            let stream = s.stream.map(|(conn, side)| SimStream { kernel: &self.kernel, conn, side, now });
            driver::listener_returned(&mut s.core, stream.as_ref(), now);
        }
        for j in 0..self.servers.len() {
            while let Some(ev) = self.servers[j].core.poll_event() {
                if let Some(ev) = self.servers[j].admitted.event(ev) {
                    return Some(Observed::Server(j, ev));
                }
            }
        }
        for i in 0..self.sockets.len() {
            if let Some(ev) = self.sockets[i].core.poll_event() {
                self.pump(i);
                self.handed_out = Some(i);
                return Some(Observed::Socket(i, ev));
            }
        }
        None
    }
}

impl Default for SimHarness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness for SimHarness {
    fn now(&self) -> Instant {
        self.now
    }

    fn abort(&mut self, controller: &net_core::AbortController) {
        controller.abort();
        self.settle_aborts();
    }

    fn create_server(&mut self, opts: ServerOptions) -> SrvId {
        self.servers.push(SimServer {
            core: net_core::Server::new(opts),
            admitted: Admitted::default(),
            listener: None,
            backlog: VecDeque::new(),
            lookup: None,
        });
        self.servers.len() - 1
    }

    fn listen(&mut self, s: SrvId, opts: ListenOptions) -> Result<(), NetError> {
        match &opts.host_name {
            Some(host) => self.servers[s].core.listen_host(host, opts.port)?,
            None => self.servers[s].core.listen(opts.endpoint())?,
        }
        self.listen_actions(s, &opts);
        self.listen_to(opts.signal.clone(), move |_| Aborted::Server(s));
        Ok(())
    }

    fn server_address(&mut self, s: SrvId) -> Option<Endpoint> {
        self.servers[s].core.address().cloned()
    }

    fn listening(&mut self, s: SrvId) -> bool {
        self.servers[s].core.listening()
    }

    fn close_server(&mut self, s: SrvId) -> Result<(), NetError> {
        let r = self.servers[s].core.close();
        self.server_actions(s);
        if self.servers[s].listener.is_none() {
            // Closing a listener resets what its backlog held (Linux: the connecting side's
            // SO_ERROR becomes ECONNRESET).
            let now = self.now;
            for (conn, client) in std::mem::take(&mut self.servers[s].backlog) {
                self.kernel.borrow_mut().close(conn, 1, now);
                if let Some((_, result)) = &mut self.sockets[client].ipc_connect {
                    *result = Some(ECONNRESET);
                }
            }
        }
        r
    }

    fn get_connections(&mut self, s: SrvId) -> usize {
        self.servers[s].core.get_connections()
    }

    fn set_max_connections(&mut self, s: SrvId, max: Option<u32>) {
        self.servers[s].core.set_max_connections(max);
    }

    fn connect(&mut self, to: Target, opts: SocketOptions) -> SockId {
        let signal = opts.signal.clone();
        let mut core = net_core::Socket::new(opts, self.now);
        match to {
            Target::Tcp(c) => {
                let _ = core.connect_with(*c);
                // A connect's own lookup is called inside connect(), as Node does; the
                // scenarios' lookups answer at once.
                if let Some((request, lookup)) = core.take_custom_lookup() {
                    let answer =
                        lookup.call_now(&request, |_| unreachable!("a scenario's lookup answers at once"));
                    core.handle_io(self.now, IoInput::LookedUp(answer.expect("answered at once")));
                }
            }
            Target::Ipc(p) => {
                let _ = core.connect(Endpoint::Ipc(p));
            }
        }
        let id = self.add_socket(core, None);
        self.pump_command(id);
        self.listen_to(signal, move |reason| Aborted::Socket(id, reason.clone()));
        id
    }

    fn write(&mut self, c: SockId, data: Bytes) -> bool {
        let now = self.now;
        let s = &mut self.sockets[c];
        s.core.set_now(now);
        let pending = s.core.write(data);
        if let Some((conn, side)) = s.stream {
            driver::transmit(&mut s.core, &SimStream { kernel: &self.kernel, conn, side, now }, now);
        }
        let ok = s.core.settle(pending);
        self.pump_command(c);
        ok
    }

    fn with_core(&mut self, c: SockId, f: &mut dyn FnMut(&mut net_core::Socket, Instant)) {
        self.sockets[c].core.set_now(self.now);
        f(&mut self.sockets[c].core, self.now);
        self.pump_command(c);
    }

    fn inspect(&mut self, c: SockId, f: &mut dyn FnMut(&net_core::Socket)) {
        f(&self.sockets[c].core);
    }

    fn next_event(&mut self, until: Instant) -> Option<Observed> {
        for _ in 0..1_000_000 {
            if let Some(ev) = self.poll_events() {
                return Some(ev);
            }
            if self.progress() {
                continue;
            }
            let next = self.sockets.iter().filter_map(|s| s.core.poll_timeout()).min();
            match next {
                Some(at) if at <= until => {
                    self.now = self.now.max(at);
                    let now = self.now;
                    for i in 0..self.sockets.len() {
                        if self.sockets[i].core.poll_timeout().is_some_and(|t| t <= now) {
                            self.sockets[i].core.handle_timeout(now);
                            self.pump(i);
                        }
                    }
                }
                _ => {
                    self.now = self.now.max(until);
                    return None;
                }
            }
        }
        panic!("the simulated network did not settle (livelock)");
    }
}
