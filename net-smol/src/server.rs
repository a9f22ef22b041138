//! `Server`: a net-core server listening on an async-io TCP or Unix listener.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Poll, Waker};
use std::time::Instant;

pub use net_core::ListenOptions;
use net_core::driver;
use net_core::{Admission, ConnectionId, Endpoint, NetError, ServerAction, ServerOptions};
use socket2::{Domain, Protocol, Type};
use std::net::TcpListener;
use std::os::unix::net::UnixListener;

use async_io::Async;

use crate::socket::Socket;
use crate::spawn::Spawner;
use crate::stream::Stream;

pub use net_core::driver::DEFAULT_BACKLOG;

/// What a server tells its user: `listening`, `connection(Socket)`, `drop`, `error`, `close`.
pub type ServerEvent = driver::ServerEventOf<Socket>;

#[derive(Debug)]
enum Listener {
    Tcp(Async<TcpListener>),
    Unix(Async<UnixListener>),
}

struct ServerInner {
    core: net_core::Server,
    listener: Option<Arc<Listener>>,
    /// Sockets admitted, waiting for their `connection` event to be handed out.
    admitted: driver::Admitted<Socket>,
    waker: Option<Waker>,
    /// The accept task, woken when the listener closes so it ends.
    accept_waker: Option<Waker>,
    /// The socket file this server created, removed on close.
    ipc_path: Option<PathBuf>,
    /// Where the accept task and accepted sockets run.
    spawner: Spawner,
}

pub(crate) struct ServerShared {
    inner: Mutex<ServerInner>,
}

impl ServerShared {
    fn lock(&self) -> MutexGuard<'_, ServerInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// An accepted socket's tie to its server's connection count.
pub(crate) struct ServerLink {
    server: Weak<ServerShared>,
    id: ConnectionId,
}

impl ServerLink {
    /// Node decrements the count synchronously inside the socket's `destroy()`.
    pub(crate) fn connection_closed(self) {
        if let Some(server) = self.server.upgrade() {
            let mut inner = server.lock();
            inner.core.connection_closed(self.id);
            wake(&mut inner);
        }
    }
}

fn wake(inner: &mut ServerInner) {
    if let Some(w) = inner.waker.take() {
        w.wake();
    }
}

/// A Node `net.Server` on smol.
#[derive(Clone)]
pub struct Server {
    shared: Arc<ServerShared>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.shared.lock();
        f.debug_struct("Server")
            .field("address", &inner.core.address())
            .field("connections", &inner.core.get_connections())
            .finish()
    }
}

/// `net.createServer(options)`.
pub fn create_server(opts: ServerOptions) -> Server {
    Server::new(opts)
}

impl Server {
    /// A server that is not listening yet.
    pub fn new(opts: ServerOptions) -> Self {
        let inner = ServerInner {
            core: net_core::Server::new(opts),
            listener: None,
            admitted: driver::Admitted::default(),
            waker: None,
            accept_waker: None,
            ipc_path: None,
            spawner: Spawner::current(),
        };
        Self { shared: Arc::new(ServerShared { inner: Mutex::new(inner) }) }
    }

    /// `server.listen(options)`: binds at once; `listening` or `error` follows as an event.
    /// A second `listen` while listening is `ERR_SERVER_ALREADY_LISTEN`.
    pub fn listen(&self, opts: ListenOptions) -> Result<(), NetError> {
        self.listen_via(opts.endpoint(), |at| bind(at, &opts))
    }

    /// `listen` with `bind` standing for the kernel's bind and listen (an adopted listener
    /// answers it with itself).
    fn listen_via(
        &self,
        endpoint: Endpoint,
        bind: impl FnOnce(&Endpoint) -> Result<(Listener, Endpoint), NetError>,
    ) -> Result<(), NetError> {
        let _span = tracing::debug_span!("net_server", at = ?endpoint).entered();
        let mut inner = self.shared.lock();
        inner.core.listen(endpoint)?;
        let mut bind = Some(bind);
        while let Some(action) = inner.core.poll_action() {
            match action {
                ServerAction::Listen(at) => {
                    let Some(bind) = bind.take() else { continue };
                    let bound = bind(&at);
                    tracing::debug!(result = ?bound.as_ref().map(|(_, ep)| ep), "listen");
                    let result = bound.as_ref().map(|(_, ep)| ep.clone()).map_err(Clone::clone);
                    if inner.core.handle_listen(result) {
                        if let Ok((listener, ep)) = bound {
                            if let Endpoint::Ipc(path) = &ep {
                                inner.ipc_path = Some(path.clone());
                            }
                            let listener = Arc::new(listener);
                            inner.listener = Some(Arc::clone(&listener));
                            let accept = accept_loop(Arc::downgrade(&self.shared), Arc::downgrade(&listener));
                            inner.spawner.spawn(accept);
                        }
                    }
                }
                ServerAction::CloseListener => self.close_listener(&mut inner),
            }
        }
        wake(&mut inner);
        Ok(())
    }

    fn close_listener(&self, inner: &mut ServerInner) {
        inner.listener = None;
        if let Some(path) = inner.ipc_path.take() {
            let _ = std::fs::remove_file(path);
        }
        if let Some(w) = inner.accept_waker.take() {
            w.wake();
        }
    }

    /// `server.close()`: stop accepting; `close` comes when every connection is gone.
    /// `ERR_SERVER_NOT_RUNNING` when not listening (a `close` event still follows, as in Node).
    pub fn close(&self) -> Result<(), NetError> {
        let mut inner = self.shared.lock();
        let result = inner.core.close();
        while let Some(action) = inner.core.poll_action() {
            if action == ServerAction::CloseListener {
                self.close_listener(&mut inner);
            }
        }
        wake(&mut inner);
        result
    }

    /// The next event; `None` never comes while the server lives (it waits).
    pub async fn next_event(&self) -> ServerEvent {
        poll_fn(|cx| {
            let mut inner = self.shared.lock();
            while let Some(ev) = inner.core.poll_event() {
                if let Some(ev) = inner.admitted.event(ev) {
                    return Poll::Ready(ev);
                }
            }
            inner.waker = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }

    /// The next admitted connection, as `TcpListener::accept` answers: the server's `error`
    /// (a failed listen, or an accept that ran out of descriptors, after which the server still
    /// listens) as an `io::Error` with the [`NetError`] inside, and `NotConnected`
    /// (`ERR_SERVER_NOT_RUNNING`) once it closed.
    pub async fn accept(&self) -> io::Result<Socket> {
        loop {
            match self.next_event().await {
                ServerEvent::Connection(sock) => return Ok(sock),
                ServerEvent::Error(e) => return Err(e.into()),
                ServerEvent::Close => return Err(NetError::server_not_running().into()),
                // listening, drop, and any event a later version adds
                _ => {}
            }
        }
    }

    /// Rust's idiom beside Node's steps: a server listening on `addr` (looked up as
    /// `TcpListener::bind` does, each address tried in turn), with Node's default options.
    pub async fn bind(addr: impl smol::net::AsyncToSocketAddrs) -> io::Result<Self> {
        let mut last = None;
        for at in smol::net::resolve(addr).await? {
            let server = Self::new(ServerOptions::default());
            match server.listen_new(ListenOptions::tcp(at.ip(), at.port())).await {
                Ok(()) => return Ok(server),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to bind")))
    }

    /// `listen(opts)` on a new server, answered at once: the bind happens inside `listen`, so
    /// either the server listens now or its `error` event is the first one queued. (Its
    /// `listening` event stays queued; `accept` passes over it.)
    async fn listen_new(&self, opts: ListenOptions) -> io::Result<()> {
        self.listen(opts)?;
        if self.listening() {
            return Ok(());
        }
        loop {
            match self.next_event().await {
                ServerEvent::Error(e) => return Err(e.into()),
                ServerEvent::Close => return Err(NetError::server_not_running().into()),
                _ => {}
            }
        }
    }

    /// Adopt a listening std `TcpListener` (socket activation, a listener inherited or made by
    /// hand): the server listens on it at once, with `options`; `listening` follows as after
    /// `listen`. An async-io `Async<TcpListener>` comes in through its `into_inner()`.
    pub fn from_std(listener: TcpListener, options: ServerOptions) -> io::Result<Self> {
        let at = Endpoint::Tcp(listener.local_addr()?);
        let listener = Async::new(listener)?;
        let server = Self::new(options);
        server.listen_via(at.clone(), move |_| Ok((Listener::Tcp(listener), at)))?;
        Ok(server)
    }

    /// Adopt a listening std `UnixListener`, as [`Server::from_std`] does. The socket file is
    /// the caller's: it is not removed on close.
    pub fn from_std_unix(listener: UnixListener, options: ServerOptions) -> io::Result<Self> {
        let path = listener.local_addr()?.as_pathname().map(std::path::Path::to_owned).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "an unnamed Unix listener has no path to listen on")
        })?;
        let listener = Async::new(listener)?;
        let server = Self::new(options);
        server.listen_via(Endpoint::Ipc(path.clone()), move |_| {
            Ok((Listener::Unix(listener), Endpoint::Ipc(path)))
        })?;
        server.shared.lock().ipc_path = None;
        Ok(server)
    }

    /// The bound TCP address, as `TcpListener::local_addr` answers (`NotConnected` when not
    /// listening, or listening on a Unix socket).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.address()
            .and_then(|a| a.tcp())
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "not listening on TCP"))
    }

    /// `server.address()`: the bound address (real port), or the IPC path.
    pub fn address(&self) -> Option<Endpoint> {
        self.shared.lock().core.address().cloned()
    }

    /// `server.listening`.
    pub fn listening(&self) -> bool {
        self.shared.lock().core.listening()
    }

    /// `server.getConnections()`.
    pub fn get_connections(&self) -> usize {
        self.shared.lock().core.get_connections()
    }

    /// `server.maxConnections = n`.
    pub fn set_max_connections(&self, max: Option<u32>) {
        self.shared.lock().core.set_max_connections(max);
    }
}

/// Bind and listen as libuv does (`SO_REUSEADDR`, dual-stack `::` unless `ipv6_only`, falling
/// back to `0.0.0.0` when the default host has no IPv6).
fn bind(at: &Endpoint, opts: &ListenOptions) -> Result<(Listener, Endpoint), NetError> {
    driver::bind_listener(
        at,
        opts,
        |addr, backlog| bind_tcp(addr, opts, backlog).map(Listener::Tcp),
        |listener| match listener {
            Listener::Tcp(l) => l.get_ref().local_addr(),
            Listener::Unix(_) => unreachable!("a TCP endpoint binds a TCP listener"),
        },
        |path, mode| {
            let listener = Async::<UnixListener>::bind(path)?;
            if let Some(mode) = mode {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
            }
            Ok(Listener::Unix(listener))
        },
    )
}

fn bind_tcp(addr: SocketAddr, opts: &ListenOptions, backlog: i32) -> io::Result<Async<TcpListener>> {
    let socket = socket2::Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    if addr.is_ipv6() {
        socket.set_only_v6(opts.ipv6_only)?;
    }
    if opts.reuse_port {
        socket.set_reuse_port(true)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(backlog)?;
    Async::new(TcpListener::from(socket))
}

/// One non-blocking accept on a listener registered with async-io.
fn poll_accept(
    l: &Listener,
    cx: &mut std::task::Context<'_>,
) -> Poll<io::Result<(Stream, Option<SocketAddr>)>> {
    loop {
        let accepted = match l {
            Listener::Tcp(t) => {
                t.get_ref().accept().and_then(|(s, peer)| Ok((Stream::Tcp(Async::new(s)?), Some(peer))))
            }
            Listener::Unix(u) => {
                u.get_ref().accept().and_then(|(s, _)| Ok((Stream::Unix(Async::new(s)?), None)))
            }
        };
        match accepted {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let ready = match l {
                    Listener::Tcp(t) => t.poll_readable(cx),
                    Listener::Unix(u) => u.poll_readable(cx),
                };
                match ready {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                }
            }
            other => return Poll::Ready(other),
        }
    }
}

/// Accept until the listener is closed; each connection goes through the core's admission.
///
/// The task holds the listener only while polling it, so `close()` (which drops the server's
/// reference) closes the listening socket at once, as Node's does, and wakes the task to end.
async fn accept_loop(server: Weak<ServerShared>, listener: Weak<Listener>) {
    loop {
        let accepted = poll_fn(|cx| {
            let (Some(shared), Some(l)) = (server.upgrade(), listener.upgrade()) else {
                return Poll::Ready(None);
            };
            let mut inner = shared.lock();
            if !inner.listener.as_ref().is_some_and(|cur| Arc::ptr_eq(cur, &l)) {
                return Poll::Ready(None);
            }
            inner.accept_waker = Some(cx.waker().clone());
            drop(inner);
            poll_accept(&l, cx).map(Some)
        })
        .await;
        let (stream, peer) = match accepted {
            None => return,
            Some(Ok(accepted)) => accepted,
            Some(Err(e)) => {
                let Some(shared) = server.upgrade() else { return };
                let failure = {
                    let mut inner = shared.lock();
                    let failure = driver::accept_failed(&mut inner.core, &e);
                    wake(&mut inner);
                    failure
                };
                drop(shared);
                if failure == driver::AcceptFailure::BackOff {
                    tracing::warn!(error = %e, "accept failed");
                    async_io::Timer::after(driver::ACCEPT_RETRY).await;
                }
                continue;
            }
        };
        let Some(shared) = server.upgrade() else { return };
        let mut inner = shared.lock();
        let info = driver::accepted_info(inner.core.address(), peer, || stream.local_addr());
        let admission = inner.core.accept(Instant::now(), info);
        tracing::debug!(remote = ?peer, admitted = matches!(admission, Admission::Accepted(_)), "accept");
        let mut accepted = None;
        match admission {
            Admission::Accepted(core) => {
                let id = core.connection_id().expect("admitted sockets carry an id");
                let link = ServerLink { server: Weak::clone(&server), id };
                let sock = Socket::from_core(core, Some(stream), Some(link), &inner.spawner);
                accepted = Some(sock.clone());
                inner.admitted.push(id, sock);
            }
            Admission::Dropped | Admission::Blocked | Admission::NotListening => drop(stream),
        }
        wake(&mut inner);
        drop(inner);
        if let Some(sock) = accepted {
            sock.start();
        }
    }
}
