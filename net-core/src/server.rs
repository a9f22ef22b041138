//! One Node `net.Server`: listen lifecycle, admission of connections, live-connection
//! accounting and `close`.

use std::collections::{HashSet, VecDeque};
use std::time::Instant;

use crate::addr::{BlockList, ConnectionInfo, Endpoint};
use crate::error::NetError;
use crate::event::{ConnectionId, DropInfo, ServerAction, ServerEvent};
use crate::options::ServerOptions;
use crate::socket::Socket;

#[derive(Debug, Clone, PartialEq, Eq)]
enum ListenState {
    /// Not listening: never, after an error, or after `close()`.
    Idle,
    /// `listen()` with a host: Node looks it up first (every host, IP literals too) and has no
    /// handle meanwhile, so this is not listening yet: another `listen()` replaces it, and
    /// `close()` finds no server running. The answer to lookup `id` binds `port`.
    Resolving { id: u64, host: String, port: u16 },
    /// `listen()` was called; the driver is binding.
    Binding(Endpoint),
    /// Bound and listening at this address.
    Listening(Endpoint),
}

/// What became of a connection the driver accepted from the kernel.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per connection; boxing would allocate for nothing
pub enum Admission {
    /// Admitted: drive this socket; tell the server [`Server::connection_closed`] when it is destroyed.
    Accepted(Socket),
    /// Over `max_connections`: a `drop` event was emitted; close the connection.
    Dropped,
    /// The peer is in the server's `BlockList`: close the connection, silently.
    Blocked,
    /// The server is not listening (a connection raced `close()`): close it.
    NotListening,
}

/// A Node `net.Server` as a sans-IO state machine.
///
/// ```
/// use std::time::Instant;
/// use net_core::{Admission, ConnectionInfo, Server, ServerAction, ServerEvent, ServerOptions};
///
/// let now = Instant::now();
/// let mut server = Server::new(ServerOptions { max_connections: Some(1), ..Default::default() });
/// let addr: std::net::SocketAddr = "127.0.0.1:8080".parse().unwrap();
/// server.listen(addr.into()).unwrap();
/// assert_eq!(server.poll_action(), Some(ServerAction::Listen(addr.into())));
/// server.handle_listen(Ok(addr.into()));
///
/// let peer = |port| ConnectionInfo::tcp(addr, ([127, 0, 0, 1], port).into());
/// let Admission::Accepted(first) = server.accept(now, peer(50001)) else { panic!() };
/// assert!(matches!(server.accept(now, peer(50002)), Admission::Dropped));
/// assert_eq!(server.get_connections(), 1);
///
/// server.connection_closed(first.connection_id().unwrap());
/// assert_eq!(server.get_connections(), 0);
/// ```
#[derive(Debug)]
pub struct Server {
    opts: ServerOptions,
    state: ListenState,
    live: HashSet<ConnectionId>,
    next_id: u64,
    /// `close()` was called with connections alive: `close` is owed when they are gone.
    close_owed: bool,
    events: VecDeque<ServerEvent>,
    actions: VecDeque<ServerAction>,
    /// The path of the last IPC `listen()` (Node's `_pipeName`): `address()` keeps answering it
    /// after a failed listen and after close.
    pipe_name: Option<Endpoint>,
    /// The last lookup asked for (Node's `_listeningId`): a late answer to an earlier one is
    /// dropped.
    lookup_id: u64,
}

impl Server {
    /// A server that is not listening yet (`net.createServer(options)`).
    pub fn new(opts: ServerOptions) -> Self {
        Self {
            opts,
            state: ListenState::Idle,
            live: HashSet::new(),
            next_id: 0,
            close_owed: false,
            events: VecDeque::new(),
            actions: VecDeque::new(),
            pipe_name: None,
            lookup_id: 0,
        }
    }

    /// `server.listen(...)`: asks the driver to bind ([`ServerAction::Listen`]). Listening again
    /// after an error or after `close()` works; while listening it is `ERR_SERVER_ALREADY_LISTEN`.
    pub fn listen(&mut self, at: Endpoint) -> Result<(), NetError> {
        if !matches!(self.state, ListenState::Idle | ListenState::Resolving { .. }) {
            return Err(NetError::server_already_listen());
        }
        self.pipe_name = matches!(at, Endpoint::Ipc(_)).then(|| at.clone());
        if let Endpoint::Ipc(path) = &at {
            if path.as_os_str().len() > crate::MAX_IPC_PATH_BYTES {
                // Node 26: `listen()` returns, then `error EINVAL`; no file, not listening.
                let shown = path.display().to_string();
                self.events
                    .push_back(ServerEvent::Error(NetError::listen_path(crate::ErrorCode::EINVAL, &shown)));
                return Ok(());
            }
        }
        self.actions.push_back(ServerAction::Listen(at.clone()));
        self.state = ListenState::Binding(at);
        // Node emits `close` only while no handle exists; listening again cancels an owed one.
        self.close_owed = false;
        Ok(())
    }

    /// `server.listen(port, host)`: Node looks `host` up first, a name or an IP literal alike
    /// (asks for [`ServerAction::Lookup`]), and binds the first address that is not IPv6
    /// link-local (else the first). Until the answer the server is not listening: `address()`
    /// is `None`, another `listen()` replaces this one, and `close()` is
    /// `ERR_SERVER_NOT_RUNNING` (and the late answer is dropped). A failed lookup is an `error`.
    pub fn listen_host(&mut self, host: &str, port: u16) -> Result<(), NetError> {
        if !matches!(self.state, ListenState::Idle | ListenState::Resolving { .. }) {
            return Err(NetError::server_already_listen());
        }
        self.lookup_id += 1;
        self.pipe_name = None;
        self.actions.push_back(ServerAction::Lookup { id: self.lookup_id, host: host.to_owned() });
        self.state = ListenState::Resolving { id: self.lookup_id, host: host.to_owned(), port };
        self.close_owed = false;
        Ok(())
    }

    /// The driver's answer to [`ServerAction::Lookup`] `id`: the addresses in the resolver's
    /// order, or the lookup's error (`getaddrinfo ENOTFOUND host`). An answer to a lookup no
    /// longer wanted (`close()` or another `listen()` came first) is dropped; otherwise the
    /// server binds ([`ServerAction::Listen`]) or emits the error.
    pub fn handle_lookup(&mut self, id: u64, result: Result<Vec<std::net::IpAddr>, NetError>) {
        let ListenState::Resolving { id: wanted, port, .. } = self.state else { return };
        if id != wanted {
            return;
        }
        let ListenState::Resolving { host, .. } = std::mem::replace(&mut self.state, ListenState::Idle)
        else {
            unreachable!("matched above")
        };
        // Node's dns.lookup answers an IP literal itself, a zone kept (`::1%lo`, which
        // getaddrinfo refuses), and listen binds it with libuv's scope id.
        if let Some(at) = crate::parse_ip_literal(&host, port) {
            self.listen(Endpoint::Tcp(at)).expect("not listening while resolving");
            self.check_invariants();
            return;
        }
        match result {
            Ok(ips) => {
                // Node's filterOnlyValidAddress.
                let link_local = |ip: &std::net::IpAddr| matches!(ip, std::net::IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80);
                let Some(ip) = ips.iter().find(|ip| !link_local(ip)).or_else(|| ips.first()) else {
                    // A resolver that answered nothing: what getaddrinfo says instead.
                    self.events
                        .push_back(ServerEvent::Error(NetError::lookup(crate::ErrorCode::ENOTFOUND, &host)));
                    return;
                };
                let at = Endpoint::Tcp(std::net::SocketAddr::new(*ip, port));
                self.listen(at).expect("not listening while resolving");
            }
            Err(err) => self.events.push_back(ServerEvent::Error(err)),
        }
        self.check_invariants();
    }

    /// The driver's answer to [`ServerAction::Listen`]: the bound address (with the real port),
    /// or the error (`EADDRINUSE`, `EACCES`, `EINVAL`, …), which becomes an `error` event.
    ///
    /// Returns `false` if the server no longer wants the listener (`close()` came first): the
    /// driver then closes what it bound.
    pub fn handle_listen(&mut self, result: Result<Endpoint, NetError>) -> bool {
        if !matches!(self.state, ListenState::Binding(_)) {
            return false;
        }
        match result {
            Ok(bound) => {
                self.state = ListenState::Listening(bound);
                self.events.push_back(ServerEvent::Listening);
                true
            }
            Err(err) => {
                self.state = ListenState::Idle;
                self.events.push_back(ServerEvent::Error(err));
                false
            }
        }
    }

    /// `server.listening`.
    pub fn listening(&self) -> bool {
        matches!(self.state, ListenState::Listening(_))
    }

    /// `server.address()`: the bound address while listening. Otherwise `None`, except that an
    /// IPC server keeps answering its path after a failed listen and after close, as Node does.
    pub fn address(&self) -> Option<&Endpoint> {
        match &self.state {
            ListenState::Listening(at) => Some(at),
            _ => self.pipe_name.as_ref(),
        }
    }

    /// `server.getConnections()`: live accepted connections.
    pub fn get_connections(&self) -> usize {
        self.live.len()
    }

    /// `server.maxConnections`.
    pub fn max_connections(&self) -> Option<u32> {
        self.opts.max_connections
    }

    /// Set `server.maxConnections`; it applies to the next admission.
    pub fn set_max_connections(&mut self, max: Option<u32>) {
        self.opts.max_connections = max;
    }

    /// The server's `BlockList`, consulted on every admission (rules added later apply).
    pub fn block_list_mut(&mut self) -> &mut Option<BlockList> {
        &mut self.opts.block_list
    }

    /// The server's options.
    pub fn options(&self) -> &ServerOptions {
        &self.opts
    }

    /// Decide on a connection the kernel accepted, in Node's order: `max_connections` (→ `drop`),
    /// then the `BlockList` (→ closed silently), then a socket with the server's options and a
    /// `connection` event.
    pub fn accept(&mut self, now: Instant, info: ConnectionInfo) -> Admission {
        if !self.listening() {
            return Admission::NotListening;
        }
        let ipc = matches!(self.state, ListenState::Listening(Endpoint::Ipc(_)));
        if let Some(max) = self.opts.max_connections {
            if self.live.len() >= max as usize {
                let payload = match (info.local, info.remote) {
                    (Some(local), Some(remote)) if !ipc => Some(DropInfo { local, remote }),
                    _ => None,
                };
                self.events.push_back(ServerEvent::Drop(payload));
                return Admission::Dropped;
            }
        }
        if let (Some(list), Some(remote)) = (&self.opts.block_list, info.remote) {
            if list.check_ip(remote.ip()) {
                return Admission::Blocked;
            }
        }
        self.next_id += 1;
        let id = ConnectionId(self.next_id);
        self.live.insert(id);
        let mut socket = Socket::accepted(self.opts.socket_options(), info, ipc, now);
        socket.set_connection_id(id);
        self.events.push_back(ServerEvent::Connection(id));
        self.check_invariants();
        Admission::Accepted(socket)
    }

    /// The driver's `accept()` failed for want of resources (EMFILE, ENFILE, ENOBUFS, …): Node
    /// emits `error` on the server and keeps listening. The driver backs off before it tries
    /// again, so the process does not spin while descriptors are short.
    pub fn accept_failed(&mut self, err: NetError) {
        if self.listening() {
            self.events.push_back(ServerEvent::Error(err));
        }
    }

    /// An accepted socket was destroyed: it no longer counts. Unknown or repeated ids are ignored.
    pub fn connection_closed(&mut self, id: ConnectionId) {
        if self.live.remove(&id) && self.live.is_empty() && self.close_owed {
            self.close_owed = false;
            self.events.push_back(ServerEvent::Close);
        }
        self.check_invariants();
    }

    /// `server.close()`: stop accepting; `close` comes once no accepted connection is left.
    ///
    /// When not listening it is `ERR_SERVER_NOT_RUNNING` (what Node hands the callback), and Node
    /// still emits `close`. `close()` right after `listen()` cancels the bind: no `listening`,
    /// no `error`.
    pub fn close(&mut self) -> Result<(), NetError> {
        let result = match std::mem::replace(&mut self.state, ListenState::Idle) {
            // Node's `close()` bumps `_listeningId`: a lookup under way is dropped.
            ListenState::Idle | ListenState::Resolving { .. } => Err(NetError::server_not_running()),
            ListenState::Binding(_) | ListenState::Listening(_) => {
                self.actions.push_back(ServerAction::CloseListener);
                // Node emits `listening` on the next tick only if the handle still exists.
                self.events.retain(|e| *e != ServerEvent::Listening);
                Ok(())
            }
        };
        if self.live.is_empty() {
            self.events.push_back(ServerEvent::Close);
        } else {
            self.close_owed = true;
        }
        self.check_invariants();
        result
    }

    /// The next thing the driver must do.
    pub fn poll_action(&mut self) -> Option<ServerAction> {
        self.actions.pop_front()
    }

    /// The next event for the user.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    fn check_invariants(&self) {
        if cfg!(debug_assertions) {
            assert!(!self.close_owed || !self.live.is_empty(), "close owed with no connections");
            assert!(!self.close_owed || self.state == ListenState::Idle, "close owed while listening");
        }
    }
}
