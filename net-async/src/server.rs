//! `Server`: a net-core server listening on a runtime's listener.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Poll, Waker};

pub use net_core::ListenOptions;
use net_core::driver;
use net_core::{Admission, ConnectionId, Endpoint, NetError, ServerAction, ServerOptions};

use crate::addrs::BindAddrs;
use crate::link::ConnectionCount;
use crate::runtime::{Listener, Runtime, Stream};
use crate::socket::{Socket, current};

pub use net_core::driver::DEFAULT_BACKLOG;

/// What a server tells its user: `listening`, `connection(Socket)`, `drop`, `error`, `close`.
pub type ServerEvent<Rt> = driver::ServerEventOf<Socket<Rt>>;

struct ServerInner<Rt: Runtime> {
    core: net_core::Server,
    /// The runtime of the context that made the server, or (made outside one) of its `listen`.
    rt: Option<Rt>,
    listener: Option<Arc<Rt::Listener>>,
    /// Sockets admitted, waiting for their `connection` event to be handed out.
    admitted: driver::Admitted<Socket<Rt>>,
    waker: Option<Waker>,
    /// The accept task, woken when the listener closes so it ends.
    accept_waker: Option<Waker>,
    /// The socket file this server created, removed on close.
    ipc_path: Option<PathBuf>,
    /// The `signal` option's listener, removed by `close()` (Node removes it on `close`).
    abort_listener: Option<(net_core::AbortSignal, net_core::AbortListenerId)>,
}

pub(crate) struct ServerShared<Rt: Runtime> {
    inner: Mutex<ServerInner<Rt>>,
}

impl<Rt: Runtime> ServerShared<Rt> {
    fn lock(&self) -> MutexGuard<'_, ServerInner<Rt>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<Rt: Runtime> ConnectionCount for ServerShared<Rt> {
    fn connection_closed(&self, id: ConnectionId) {
        let mut inner = self.lock();
        inner.core.connection_closed(id);
        wake(&mut inner);
    }
}

fn wake<Rt: Runtime>(inner: &mut ServerInner<Rt>) {
    if let Some(w) = inner.waker.take() {
        w.wake();
    }
}

/// A Node `net.Server` on the runtime `Rt` (`net_tokio::Server`, `net_smol::Server`).
pub struct Server<Rt: Runtime> {
    shared: Arc<ServerShared<Rt>>,
}

impl<Rt: Runtime> Server<Rt> {
    /// The handle of a server whose state is still alive (Node's `socket.server`).
    pub(crate) fn from_shared(shared: Arc<ServerShared<Rt>>) -> Self {
        Self { shared }
    }
}

impl<Rt: Runtime> Clone for Server<Rt> {
    fn clone(&self) -> Self {
        Self { shared: Arc::clone(&self.shared) }
    }
}

impl<Rt: Runtime> std::fmt::Debug for Server<Rt> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.shared.lock();
        f.debug_struct("Server")
            .field("address", &inner.core.address())
            .field("connections", &inner.core.get_connections())
            .finish()
    }
}

/// `net.createServer(options)`.
pub fn create_server<Rt: Runtime>(opts: ServerOptions) -> Server<Rt> {
    Server::new(opts)
}

impl<Rt: Runtime> Server<Rt> {
    /// A server that is not listening yet. It runs on the calling context's runtime, or, made
    /// outside one, on the runtime its `listen` is called in.
    pub fn new(opts: ServerOptions) -> Self {
        crate::sys::install_interface_index();
        Self::with_runtime(opts, Rt::try_current())
    }

    fn with_runtime(opts: ServerOptions, rt: Option<Rt>) -> Self {
        let inner = ServerInner {
            core: net_core::Server::new(opts),
            rt,
            listener: None,
            admitted: driver::Admitted::default(),
            waker: None,
            accept_waker: None,
            ipc_path: None,
            abort_listener: None,
        };
        Self { shared: Arc::new(ServerShared { inner: Mutex::new(inner) }) }
    }

    /// `server.listen(options)`: binds at once; `listening` or `error` follows as an event.
    /// A second `listen` while listening is `ERR_SERVER_ALREADY_LISTEN`.
    ///
    /// # Panics
    /// Made and listening outside a runtime ([`Runtime::try_current`]).
    ///
    /// With [`ListenOptions::host_name`] the host is looked up first, as Node does for every
    /// host (`server.listen(port, host)`): `listening` (or the lookup's `error`) comes later, and
    /// until then the server is not listening ([`net_core::Server::listen_host`]).
    ///
    /// With [`ListenOptions::signal`], aborting the signal closes the server (at once if it
    /// already is, so `listening` never comes), as Node's `listen({signal})`.
    pub fn listen(&self, opts: ListenOptions) -> Result<(), NetError> {
        let signal = opts.signal.clone();
        match opts.host_name.clone() {
            None => self.listen_via(opts.endpoint(), move |rt, at| rt.listen(at, &opts))?,
            Some(host) => {
                let _span = tracing::debug_span!("net_server", host = %host).entered();
                let mut inner = self.shared.lock();
                inner.core.listen_host(&host, opts.port)?;
                let rt = inner.rt.get_or_insert_with(current::<Rt>).clone();
                let bind = move |rt: &Rt, at: &Endpoint| rt.listen(at, &opts);
                carry_out(&self.shared, &mut inner, &rt, Some(bind));
                wake(&mut inner);
            }
        }
        if let Some(signal) = signal {
            // After the lock is released: an aborted signal runs this at once.
            let server = Arc::downgrade(&self.shared);
            let id = signal.on_abort(move |_| {
                if let Some(shared) = server.upgrade() {
                    let _ = (Self { shared }).close();
                }
            });
            if let Some(id) = id {
                self.shared.lock().abort_listener = Some((signal, id));
            }
        }
        Ok(())
    }

    /// `listen` with `bind` standing for the kernel's bind and listen (an adopted listener
    /// answers it with itself).
    pub(crate) fn listen_via(
        &self,
        endpoint: Endpoint,
        bind: impl FnOnce(&Rt, &Endpoint) -> Result<(Rt::Listener, Endpoint), NetError> + Send + 'static,
    ) -> Result<(), NetError> {
        let _span = tracing::debug_span!("net_server", at = ?endpoint).entered();
        let mut inner = self.shared.lock();
        inner.core.listen(endpoint)?;
        let rt = inner.rt.get_or_insert_with(current::<Rt>).clone();
        carry_out(&self.shared, &mut inner, &rt, Some(bind));
        wake(&mut inner);
        Ok(())
    }

    /// `server.close()`: stop accepting; `close` comes when every connection is gone.
    /// `ERR_SERVER_NOT_RUNNING` when not listening (a `close` event still follows, as in Node).
    pub fn close(&self) -> Result<(), NetError> {
        let mut inner = self.shared.lock();
        if let Some((signal, id)) = inner.abort_listener.take() {
            signal.remove(id);
        }
        let result = inner.core.close();
        while let Some(action) = inner.core.poll_action() {
            if action == ServerAction::CloseListener {
                close_listener(&mut inner);
            }
        }
        wake(&mut inner);
        result
    }

    /// `await server[Symbol.asyncDispose]()`: close, then wait for `close` (once every
    /// connection is gone). Resolves even when the server was not running, as Node's does.
    /// Events that come meanwhile are taken (connections still queued are dropped, which
    /// closes them).
    pub async fn dispose(&self) {
        let _ = self.close();
        while !matches!(self.next_event().await, ServerEvent::<Rt>::Close) {}
    }

    /// The next event; `None` never comes while the server lives (it waits).
    pub async fn next_event(&self) -> ServerEvent<Rt> {
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
    pub async fn accept(&self) -> io::Result<Socket<Rt>> {
        loop {
            match self.next_event().await {
                ServerEvent::<Rt>::Connection(sock) => return Ok(sock),
                ServerEvent::<Rt>::Error(e) => return Err(e.into()),
                ServerEvent::<Rt>::Close => return Err(NetError::server_not_running().into()),
                // listening, drop, and any event a later version adds
                _ => {}
            }
        }
    }

    /// Rust's idiom beside Node's steps: a server listening on `addr` (looked up as
    /// `TcpListener::bind` does, each address tried in turn), with Node's default options.
    ///
    /// # Panics
    /// Outside a runtime ([`Runtime::try_current`]).
    pub async fn bind(addr: impl BindAddrs) -> io::Result<Self> {
        let rt = current::<Rt>();
        let mut last = None;
        for at in addr.to_target()?.resolve(&rt).await? {
            let server = Self::with_runtime(ServerOptions::default(), Some(rt.clone()));
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
                ServerEvent::<Rt>::Error(e) => return Err(e.into()),
                ServerEvent::<Rt>::Close => return Err(NetError::server_not_running().into()),
                _ => {}
            }
        }
    }

    /// Listen on a listener of this runtime already bound at `at` (an adopted descriptor):
    /// `listening` follows as after `listen`. With `owns_path`, an IPC path is removed on close.
    pub fn from_listener(
        listener: Rt::Listener,
        at: Endpoint,
        options: ServerOptions,
        rt: Rt,
        owns_path: bool,
    ) -> io::Result<Self> {
        let server = Self::with_runtime(options, Some(rt));
        let answer = at.clone();
        server.listen_via(at, move |_, _| Ok((listener, answer)))?;
        if !owns_path {
            server.shared.lock().ipc_path = None;
        }
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

    /// `server.maxConnections` (`None`: no limit; `Some(0)` drops every connection).
    pub fn max_connections(&self) -> Option<u32> {
        self.shared.lock().core.max_connections()
    }
}

/// Carry out what the core asks after `listen`: bind with `bind` (once), start the accept task,
/// close the listener, or look the host up in a task of its own that comes back here with the
/// answer (Node's lookup answers later even for an IP literal).
fn carry_out<Rt: Runtime, B>(
    shared: &Arc<ServerShared<Rt>>,
    inner: &mut ServerInner<Rt>,
    rt: &Rt,
    mut bind: Option<B>,
) where
    B: FnOnce(&Rt, &Endpoint) -> Result<(Rt::Listener, Endpoint), NetError> + Send + 'static,
{
    while let Some(action) = inner.core.poll_action() {
        match action {
            ServerAction::Listen(at) => {
                let Some(bind) = bind.take() else { continue };
                let bound = bind(rt, &at);
                tracing::debug!(result = ?bound.as_ref().map(|(_, ep)| ep), "listen");
                let result = bound.as_ref().map(|(_, ep)| ep.clone()).map_err(Clone::clone);
                if inner.core.handle_listen(result) {
                    if let Ok((listener, ep)) = bound {
                        if let Endpoint::Ipc(path) = &ep {
                            inner.ipc_path = Some(path.clone());
                        }
                        let listener = Arc::new(listener);
                        inner.listener = Some(Arc::clone(&listener));
                        rt.spawn(accept_loop(Arc::downgrade(shared), Arc::downgrade(&listener), rt.clone()));
                    }
                }
            }
            ServerAction::CloseListener => close_listener(inner),
            ServerAction::Lookup { id, host } => {
                let Some(bind) = bind.take() else { continue };
                let (server, rt) = (Arc::downgrade(shared), rt.clone());
                let lookup = rt.lookup(host.clone());
                rt.clone().spawn(async move {
                    let answer = lookup.await;
                    let Some(shared) = server.upgrade() else { return };
                    let mut inner = shared.lock();
                    let result = driver::listen_lookup_answer(answer, &host);
                    tracing::debug!(?result, "listen lookup");
                    inner.core.handle_lookup(id, result);
                    carry_out(&shared, &mut inner, &rt, Some(bind));
                    wake(&mut inner);
                });
            }
        }
    }
}

fn close_listener<Rt: Runtime>(inner: &mut ServerInner<Rt>) {
    // The only strong reference: the listening socket closes here, synchronously.
    inner.listener = None;
    if let Some(path) = inner.ipc_path.take() {
        let _ = std::fs::remove_file(path);
    }
    if let Some(w) = inner.accept_waker.take() {
        w.wake();
    }
}

/// Accept until the listener is closed; each connection goes through the core's admission.
///
/// The task holds the listener only while polling it, so `close()` (which drops the server's
/// reference) closes the listening socket at once, as Node's does, and wakes the task to end.
async fn accept_loop<Rt: Runtime>(server: Weak<ServerShared<Rt>>, listener: Weak<Rt::Listener>, rt: Rt) {
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
            l.poll_accept(cx).map(Some)
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
                    rt.timer(rt.now() + driver::ACCEPT_RETRY).await;
                }
                continue;
            }
        };
        let Some(shared) = server.upgrade() else { return };
        let mut inner = shared.lock();
        let info = driver::accepted_info(inner.core.address(), peer, || stream.local_addr());
        let admission = inner.core.accept(rt.now(), info);
        tracing::debug!(remote = ?peer, admitted = matches!(admission, Admission::Accepted(_)), "accept");
        let mut accepted = None;
        match admission {
            Admission::Accepted(core) => {
                let id = core.connection_id().expect("admitted sockets carry an id");
                let sock = Socket::from_core(core, Some(stream), Some(server.clone()), rt.clone());
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
