//! The simulator harness: net-core's machines over an in-memory kernel with a virtual clock.
//!
//! The kernel here plays Linux's part on loopback: connects complete at once (refused when
//! nothing listens), each direction of a connection holds at most [`PIPE_CAPACITY`] bytes,
//! closing with unread bytes or after `set_reset_on_close` sends RST, and the first write to a
//! closed peer is taken while the next fails with EPIPE. Sockets are driven through the same
//! `net_core::driver` functions the backends use, over a [`Transport`] on that kernel. Time only
//! moves when nothing else can: the clock jumps to the next timer.

use std::cell::RefCell;
use std::collections::{HashSet, VecDeque};
use std::io::{self, IoSlice};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Instant;

use bytes::Bytes;
use net_core::driver::{self, Admitted, Transport};
use net_core::{
    Admission, ConnectionId, ConnectionInfo, Endpoint, IoInput, KeepAliveSettings, ListenOptions, NetError,
    ServerAction, ServerOptions, SocketAction, SocketOptions,
};

use crate::harness::{Harness, Observed, SockId, SrvId, Target};

/// Bytes one direction of a connection holds (send and receive buffers together). Linux on
/// loopback takes about 4 MiB into an idle connection; scenarios see it (a 1 MiB write queued
/// while connecting is flushed whole inside `connect`, so `drain` comes before `ready`).
pub const PIPE_CAPACITY: usize = 4 * 1024 * 1024;

/// Of the bytes in flight, those in the receiver's queue: they survive the sender's RST. Linux
/// loopback's default receive buffer (tcp_rmem 131072) less its overhead; scenario
/// rst/reset-mid-transfer-by-writer shows Node reading exactly this much after a reset.
pub const RECEIVE_QUEUE: usize = 128_000;

// The simulated kernel answers with the errnos of the platform's own.
use libc::{EADDRINUSE, ECONNREFUSED, ECONNRESET, ENOENT, EPIPE};

#[derive(Debug, Default)]
struct Pipe {
    buf: VecDeque<u8>,
    fin: bool,
    rst: bool,
}

/// A connection: `pipes[i]` carries what side `i` sent.
#[derive(Debug, Default)]
struct Conn {
    pipes: [Pipe; 2],
    open: [bool; 2],
    reset_on_close: [bool; 2],
    /// The peer was closed and answered one write with RST: the next write fails.
    peer_reset_seen: [bool; 2],
    /// A Unix-domain connection: writing to a closed peer fails at once (EPIPE), with no RST.
    ipc: bool,
}

#[derive(Debug, Default)]
struct Kernel {
    conns: Vec<Conn>,
}

impl Kernel {
    fn close(&mut self, conn: usize, side: usize) {
        let c = &mut self.conns[conn];
        if !c.open[side] {
            return;
        }
        c.open[side] = false;
        let peer = 1 - side;
        if c.reset_on_close[side] || !c.pipes[peer].buf.is_empty() {
            // On loopback what was sent already sits in the peer's receive queue: it reads those
            // bytes, then ECONNRESET (found by the differential test against real sockets). What
            // still waited in our send queue is dropped with it.
            c.pipes[side].buf.truncate(RECEIVE_QUEUE);
            c.pipes[side].rst = true;
        } else {
            c.pipes[side].fin = true;
        }
        c.pipes[peer].buf.clear();
    }

    fn readable(&self, conn: usize, side: usize) -> bool {
        let p = &self.conns[conn].pipes[1 - side];
        p.rst || p.fin || !p.buf.is_empty()
    }

    fn writable(&self, conn: usize, side: usize) -> bool {
        let c = &self.conns[conn];
        !c.open[1 - side] || c.pipes[1 - side].rst || c.pipes[side].buf.len() < PIPE_CAPACITY
    }
}

/// One end of a connection, as a [`Transport`].
struct SimStream<'k> {
    kernel: &'k RefCell<Kernel>,
    conn: usize,
    side: usize,
}

impl Transport for SimStream<'_> {
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut k = self.kernel.borrow_mut();
        let c = &mut k.conns[self.conn];
        let peer = 1 - self.side;
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if c.ipc && !c.open[peer] {
            // A Unix socket checks the peer's shutdown before any pending error.
            return Err(io::Error::from_raw_os_error(EPIPE));
        }
        if c.pipes[peer].rst {
            let errno = if c.pipes[peer].fin { EPIPE } else { ECONNRESET };
            return Err(io::Error::from_raw_os_error(errno));
        }
        if !c.open[peer] {
            if c.ipc || c.peer_reset_seen[self.side] {
                return Err(io::Error::from_raw_os_error(EPIPE));
            }
            c.peer_reset_seen[self.side] = true;
            return Ok(total);
        }
        let out = &mut c.pipes[self.side].buf;
        let room = PIPE_CAPACITY.saturating_sub(out.len());
        if room == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let mut taken = 0;
        for b in bufs {
            let n = b.len().min(room - taken);
            out.extend(&b[..n]);
            taken += n;
            if taken == room {
                break;
            }
        }
        Ok(taken)
    }

    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let mut k = self.kernel.borrow_mut();
        let ipc = k.conns[self.conn].ipc;
        let pipe = &mut k.conns[self.conn].pipes[1 - self.side];
        if !pipe.buf.is_empty() {
            let n = buf.len().min(pipe.buf.len());
            for (dst, src) in buf.iter_mut().zip(pipe.buf.drain(..n)) {
                *dst = src;
            }
            return Ok(n);
        }
        // On TCP an RST after the peer's FIN does not read as a reset: Linux (tcp_reset in
        // CLOSE_WAIT) ends the connection and reads see EOF. A Unix socket reports the reset
        // (unix_release_sock sets ECONNRESET, which reads check before the shutdown).
        if pipe.rst && (!pipe.fin || ipc) {
            pipe.rst = false;
            return Err(io::Error::from_raw_os_error(ECONNRESET));
        }
        if pipe.fin { Ok(0) } else { Err(io::ErrorKind::WouldBlock.into()) }
    }

    fn shutdown_write(&self) -> io::Result<()> {
        self.kernel.borrow_mut().conns[self.conn].pipes[self.side].fin = true;
        Ok(())
    }

    fn set_reset_on_close(&self) -> io::Result<()> {
        self.kernel.borrow_mut().conns[self.conn].reset_on_close[self.side] = true;
        Ok(())
    }

    fn set_no_delay(&self, _: bool) -> io::Result<()> {
        Ok(())
    }

    fn set_keep_alive(&self, _: KeepAliveSettings) -> io::Result<()> {
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
    /// Where the kernel listener is bound.
    bound: Option<Endpoint>,
    /// Unix-socket connections the kernel queued, not accepted yet: `(connection, client)`.
    backlog: VecDeque<(usize, SockId)>,
}

/// net-core on an in-memory kernel, as a [`Harness`].
pub struct SimHarness {
    now: Instant,
    kernel: RefCell<Kernel>,
    sockets: Vec<SimSock>,
    servers: Vec<SimServer>,
    next_port: u16,
    /// Socket files that exist (bound by a server, not yet removed).
    files: HashSet<PathBuf>,
    /// The socket whose event was handed out last, until the user asks for the next.
    handed_out: Option<SockId>,
}

impl SimHarness {
    /// An empty network at an arbitrary instant.
    pub fn new() -> Self {
        Self {
            now: Instant::now(),
            kernel: RefCell::default(),
            sockets: Vec::new(),
            servers: Vec::new(),
            next_port: 30000,
            files: HashSet::new(),
            handed_out: None,
        }
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

    fn ephemeral(&mut self) -> u16 {
        self.next_port += 1;
        self.next_port
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
            let stream = s.stream.map(|(conn, side)| SimStream { kernel: &self.kernel, conn, side });
            if turn {
                driver::pump(&mut s.core, stream.as_ref(), now)
            } else {
                driver::pump_command(&mut s.core, stream.as_ref(), now)
            }
        };
        if out.close {
            if let Some((conn, side)) = s.stream.take() {
                self.kernel.borrow_mut().close(conn, side);
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
            let errno = match to {
                Endpoint::Ipc(p) if !self.files.contains(p) => ENOENT,
                _ => ECONNREFUSED,
            };
            self.sockets[i].ipc_connect = Some((to.clone(), Some(errno)));
            return;
        };
        let conn = {
            let mut k = self.kernel.borrow_mut();
            k.conns.push(Conn { open: [true, true], ipc: true, ..Conn::default() });
            k.conns.len() - 1
        };
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
                self.kernel.borrow_mut().close(conn, 1);
            }
        }
    }

    fn server_actions(&mut self, srv: SrvId) {
        while let Some(action) = self.servers[srv].core.poll_action() {
            match action {
                ServerAction::CloseListener => {
                    if let Some(Endpoint::Ipc(path)) = self.servers[srv].bound.take() {
                        self.files.remove(&path);
                    }
                }
                ServerAction::Listen(_) => unreachable!("listen actions are taken in listen()"),
            }
        }
    }

    fn port_in_use(&self, addr: SocketAddr) -> bool {
        self.servers.iter().filter_map(|s| s.bound.as_ref()).any(|b| match b {
            Endpoint::Tcp(b) => {
                b.port() == addr.port()
                    && (b.ip() == addr.ip() || b.ip().is_unspecified() || addr.ip().is_unspecified())
            }
            Endpoint::Ipc(_) => false,
        })
    }

    fn find_listener(&self, to: &Endpoint) -> Option<SrvId> {
        self.servers.iter().position(|s| match (&s.bound, to) {
            (Some(Endpoint::Tcp(b)), Endpoint::Tcp(a)) => {
                b.port() == a.port()
                    && (b.ip() == a.ip()
                        || (b.ip().is_unspecified() && (b.is_ipv6() || a.is_ipv4()))
                        || (b.ip().is_unspecified() && b.is_ipv4() && a.is_ipv4()))
            }
            (Some(Endpoint::Ipc(b)), Endpoint::Ipc(a)) => b == a,
            _ => false,
        })
    }

    fn connect_now(&mut self, i: SockId, to: Endpoint, local: Option<SocketAddr>) {
        let now = self.now;
        // Binding a port a listener holds fails (SO_REUSEADDR does not share a listening port).
        if let Some(l) = local.filter(|l| l.port() != 0) {
            let held = self.servers.iter().any(|srv| {
                matches!(&srv.bound, Some(Endpoint::Tcp(b)) if b.port() == l.port()
                    && (b.ip() == l.ip() || b.ip().is_unspecified() || l.ip().is_unspecified()))
            });
            if held {
                let err = driver::BindFailed::wrap(io::Error::from_raw_os_error(EADDRINUSE));
                self.sockets[i].core.handle_io(now, driver::connect_failed(&err, &to, local));
                return;
            }
        }
        let Some(srv) = self.find_listener(&to) else {
            let errno = match &to {
                Endpoint::Ipc(p) if !self.files.contains(p) => ENOENT,
                _ => ECONNREFUSED,
            };
            let input = driver::connect_failed(&io::Error::from_raw_os_error(errno), &to, local);
            self.sockets[i].core.handle_io(now, input);
            return;
        };
        let conn = {
            let mut k = self.kernel.borrow_mut();
            k.conns.push(Conn { open: [true, true], ipc: matches!(to, Endpoint::Ipc(_)), ..Conn::default() });
            k.conns.len() - 1
        };
        let (client_info, server_info) = match &to {
            Endpoint::Tcp(addr) => {
                let port = self.ephemeral();
                let me = local.map_or_else(
                    || SocketAddr::new(addr.ip(), port),
                    |l| SocketAddr::new(l.ip(), if l.port() == 0 { port } else { l.port() }),
                );
                // A dual-stack listener (`::`) sees IPv4 peers as IPv4-mapped IPv6, as Linux does.
                let dual = matches!(&self.servers[srv].bound, Some(Endpoint::Tcp(b)) if b.is_ipv6());
                let seen = |a: SocketAddr| match a.ip() {
                    IpAddr::V4(v4) if dual => SocketAddr::new(IpAddr::V6(v4.to_ipv6_mapped()), a.port()),
                    _ => a,
                };
                (ConnectionInfo::tcp(me, *addr), ConnectionInfo::tcp(seen(*addr), seen(me)))
            }
            Endpoint::Ipc(_) => {
                (ConnectionInfo { local: None, remote: None }, ConnectionInfo { local: None, remote: None })
            }
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
        let mut moved = self.settle_ipc_connects();
        for i in 0..self.sockets.len() {
            for job in std::mem::take(&mut self.sockets[i].jobs) {
                moved = true;
                match job {
                    SocketAction::Lookup { host, family, .. } => {
                        let found = (host.as_str(), 0).to_socket_addrs();
                        let input = driver::lookup_answer(found, &host, family);
                        self.sockets[i].core.handle_io(now, input);
                    }
                    SocketAction::Connect { to, local } => self.connect_now(i, to, local),
                    _ => {}
                }
            }
            let s = &mut self.sockets[i];
            if let Some((conn, side)) = s.stream {
                let stream = SimStream { kernel: &self.kernel, conn, side };
                if s.core.wants_read() && self.kernel.borrow().readable(conn, side) {
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
            let stream = s.stream.map(|(conn, side)| SimStream { kernel: &self.kernel, conn, side });
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

    fn create_server(&mut self, opts: ServerOptions) -> SrvId {
        self.servers.push(SimServer {
            core: net_core::Server::new(opts),
            admitted: Admitted::default(),
            bound: None,
            backlog: VecDeque::new(),
        });
        self.servers.len() - 1
    }

    fn listen(&mut self, s: SrvId, opts: ListenOptions) -> Result<(), NetError> {
        self.servers[s].core.listen(opts.endpoint())?;
        while let Some(action) = self.servers[s].core.poll_action() {
            match action {
                ServerAction::Listen(at) => {
                    let mut next = self.next_port;
                    let bound = {
                        let this = &*self;
                        driver::bind_listener(
                            &at,
                            &opts,
                            |addr, _| {
                                if addr.port() != 0 && this.port_in_use(addr) {
                                    return Err(io::Error::from_raw_os_error(EADDRINUSE));
                                }
                                if addr.port() != 0 {
                                    return Ok(addr);
                                }
                                next += 1;
                                Ok(SocketAddr::new(addr.ip(), next))
                            },
                            |a| Ok(*a),
                            |path, _| {
                                if this.files.contains(path) {
                                    return Err(io::Error::from_raw_os_error(EADDRINUSE));
                                }
                                if path.parent().is_some_and(|d| !d.is_dir()) {
                                    return Err(io::Error::from_raw_os_error(ENOENT));
                                }
                                Ok(SocketAddr::new(IpAddr::from([0, 0, 0, 0]), 0))
                            },
                        )
                    };
                    self.next_port = next;
                    let result = bound.map(|(_, ep)| ep);
                    if self.servers[s].core.handle_listen(result.clone()) {
                        if let Ok(ep) = result {
                            if let Endpoint::Ipc(p) = &ep {
                                self.files.insert(p.clone());
                            }
                            self.servers[s].bound = Some(ep);
                        }
                    }
                }
                ServerAction::CloseListener => {
                    if let Some(Endpoint::Ipc(path)) = self.servers[s].bound.take() {
                        self.files.remove(&path);
                    }
                }
            }
        }
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
        if self.servers[s].bound.is_none() {
            // Closing a listener resets what its backlog held (Linux: the connecting side's
            // SO_ERROR becomes ECONNRESET).
            for (conn, client) in std::mem::take(&mut self.servers[s].backlog) {
                self.kernel.borrow_mut().close(conn, 1);
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
        let mut core = net_core::Socket::new(opts, self.now);
        match to {
            Target::Tcp(c) => {
                let _ = core.connect_with(*c);
            }
            Target::Ipc(p) => {
                let _ = core.connect(Endpoint::Ipc(p));
            }
        }
        let id = self.add_socket(core, None);
        self.pump_command(id);
        id
    }

    fn write(&mut self, c: SockId, data: Bytes) -> bool {
        let now = self.now;
        let s = &mut self.sockets[c];
        s.core.set_now(now);
        let pending = s.core.write(data);
        if let Some((conn, side)) = s.stream {
            driver::transmit(&mut s.core, &SimStream { kernel: &self.kernel, conn, side }, now);
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
