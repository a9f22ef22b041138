//! The `Harness` trait: what a backend offers the scenario interpreter.
//!
//! Calls are blocking and single-threaded, as a Node script sees its event loop: commands run at
//! once, and events are only collected inside [`Harness::next_event`], the one place time passes.

use std::path::PathBuf;
use std::time::Instant;

use bytes::Bytes;
use net_core::driver::ServerEventOf;
use net_core::{
    ConnectOptions, Endpoint, ListenOptions, NetError, ServerOptions, SocketEvent, SocketOptions,
};

/// A socket, numbered by the harness in the order it created or accepted them.
pub type SockId = usize;
/// A server, numbered by the harness in creation order.
pub type SrvId = usize;

/// Where a socket connects (after Node's argument validation).
#[derive(Debug, Clone)]
pub enum Target {
    /// TCP by name or address.
    Tcp(Box<ConnectOptions>),
    /// A Unix-domain socket.
    Ipc(PathBuf),
}

/// An event the harness saw.
#[derive(Debug, Clone)]
pub enum Observed {
    /// A socket's event.
    Socket(SockId, SocketEvent),
    /// A server's event; `Connection` carries the id given to the accepted socket.
    Server(SrvId, ServerEventOf<SockId>),
}

/// A backend (or the simulator) as the interpreter drives it.
pub trait Harness {
    /// The clock (virtual in the simulator).
    fn now(&self) -> Instant;
    /// `net.createServer(options)`.
    fn create_server(&mut self, opts: ServerOptions) -> SrvId;
    /// `server.listen(options)`.
    fn listen(&mut self, s: SrvId, opts: ListenOptions) -> Result<(), NetError>;
    /// `server.address()`.
    fn server_address(&mut self, s: SrvId) -> Option<Endpoint>;
    /// `server.listening`.
    fn listening(&mut self, s: SrvId) -> bool;
    /// `server.close()`.
    fn close_server(&mut self, s: SrvId) -> Result<(), NetError>;
    /// `server.getConnections()`.
    fn get_connections(&mut self, s: SrvId) -> usize;
    /// `server.maxConnections = n`.
    fn set_max_connections(&mut self, s: SrvId, max: Option<u32>);
    /// `net.connect(...)`.
    fn connect(&mut self, to: Target, opts: SocketOptions) -> SockId;
    /// `socket.write(data)`: Node's boolean.
    fn write(&mut self, c: SockId, data: Bytes) -> bool;
    /// Run a command on the core socket, then carry out its outputs (the backend's `with_core`).
    fn with_core(&mut self, c: SockId, f: &mut dyn FnMut(&mut net_core::Socket, Instant));
    /// Read the core socket.
    fn inspect(&mut self, c: SockId, f: &mut dyn FnMut(&net_core::Socket));
    /// The next event of any socket or server, waiting until `until` at most.
    fn next_event(&mut self, until: Instant) -> Option<Observed>;
    /// `controller.abort()`: what was given its signal is destroyed or closed before this
    /// returns, as in Node (net-async's listeners run inside `abort()`; a loop that owns its
    /// sockets carries the aborts out here).
    fn abort(&mut self, controller: &net_core::AbortController) {
        controller.abort();
    }
}

/// A boxed future borrowing what it polls.
pub(crate) type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + 'a>>;

/// One event pulled from an async backend, before its accepted socket got an id.
pub(crate) enum Pulled<S> {
    Socket(SockId, SocketEvent),
    Server(SrvId, ServerEventOf<S>),
}

/// Poll every server, then every socket not yet closed, for one event; pull no more than one,
/// as a user's task does, so the core's work owed after an event (the automatic end after
/// `end`) waits until the interpreter has acted on it.
pub(crate) fn poll_one<Srv, Sock>(
    cx: &mut std::task::Context<'_>,
    servers: &[Srv],
    sockets: &[Sock],
    done: &mut [bool],
    server_event: impl for<'a> Fn(&'a Srv) -> BoxFuture<'a, ServerEventOf<Sock>>,
    socket_event: impl for<'a> Fn(&'a Sock) -> BoxFuture<'a, Option<SocketEvent>>,
) -> std::task::Poll<Pulled<Sock>> {
    use std::task::Poll;
    for (j, s) in servers.iter().enumerate() {
        if let Poll::Ready(ev) = server_event(s).as_mut().poll(cx) {
            return Poll::Ready(Pulled::Server(j, ev));
        }
    }
    for (i, s) in sockets.iter().enumerate() {
        if done[i] {
            continue;
        }
        match socket_event(s).as_mut().poll(cx) {
            Poll::Ready(Some(ev)) => return Poll::Ready(Pulled::Socket(i, ev)),
            Poll::Ready(None) => done[i] = true,
            Poll::Pending => {}
        }
    }
    Poll::Pending
}

/// A backend's server event with its accepted socket (handle or id) swapped for the harness's id.
pub(crate) fn map_connection<S>(
    ev: ServerEventOf<S>,
    add: impl FnOnce(S) -> SockId,
) -> ServerEventOf<SockId> {
    ev.map(add)
}
