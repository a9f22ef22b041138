//! Events, named as Node names them, and the actions a driver carries out.

use std::net::SocketAddr;

use bytes::Bytes;

use crate::addr::{Endpoint, Family};
use crate::error::NetError;
use crate::options::KeepAliveSettings;

/// Identifies one `write()` or `end()` call whose completion the caller asked to hear about
/// (Node's write callback).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WriteId(pub u64);

/// What a socket tells its user, in Node's order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SocketEvent {
    /// `'lookup'`: one answer of the name lookup (one event per address), or its error.
    Lookup {
        /// The lookup's error, if it failed.
        error: Option<NetError>,
        /// The address found, as the lookup gave it (a custom lookup's answer may not be an IP
        /// address: Node reports it, then fails with `ERR_INVALID_IP_ADDRESS`).
        address: Option<String>,
        /// Its family number as the lookup gave it (4 or 6 when valid).
        family: Option<u32>,
        /// The host looked up.
        host: String,
    },
    /// `'connectionAttempt'`: a connect to this endpoint started.
    ConnectionAttempt(Endpoint),
    /// `'connectionAttemptFailed'`: that attempt failed with this error.
    ConnectionAttemptFailed(Endpoint, NetError),
    /// `'connectionAttemptTimeout'`: the attempt got no answer within the attempt timeout and was
    /// abandoned for the next address.
    ConnectionAttemptTimeout(Endpoint),
    /// `'connect'`: the connection is established (clients only; accepted sockets never see it).
    Connect,
    /// `'ready'`: right after `connect`, once writes queued before the connection were offered to
    /// the kernel.
    Ready,
    /// `'data'`: bytes from the peer.
    Data(Bytes),
    /// `'end'`: the peer finished sending; no `Data` follows.
    End,
    /// `'drain'`: a `write()` returned `false` and the queue has since emptied.
    Drain,
    /// `'timeout'`: the socket was idle for the `set_timeout` duration. Nothing is closed.
    Timeout,
    /// A write callback: the write with this id was handed to the kernel (`None`) or failed.
    WriteDone(WriteId, Option<NetError>),
    /// `'prefinish'`: `end()` was called and every queued byte was written; FIN is being sent.
    Prefinish,
    /// `'finish'`: the FIN was sent; the writable side is done.
    Finish,
    /// `'error'`: always followed by `Close { had_error: true }`.
    Error(NetError),
    /// `'close'`: the last event a socket emits, exactly once.
    Close {
        /// Whether an `Error` preceded it.
        had_error: bool,
    },
}

/// What a socket asks its driver to do.
///
/// Deliberately exhaustive (unlike the events): a driver must carry out every action, so a new
/// one is a breaking change that fails every driver's `match` at compile time instead of being
/// ignored by a wildcard arm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketAction {
    /// Resolve `request.host` (only `request.family`'s addresses if given; all addresses or the
    /// first one): with `lookup` when the connect has its own (answer with
    /// `IoInput::LookedUp`), else with the runtime's resolver (answer with `IoInput::Resolved`,
    /// [`driver::lookup_answer`](crate::driver::lookup_answer)).
    Lookup {
        /// What to look up.
        request: crate::lookup::LookupRequest,
        /// The connect's own lookup function, if it has one.
        lookup: Option<crate::lookup::CustomLookup>,
    },
    /// Open a connection (bound to `local` first, if given); answer with `Connected` or
    /// `ConnectFailed`.
    ///
    /// For a Unix-domain socket ([`Endpoint::Ipc`]) it comes out of `connect()` itself, and the
    /// driver calls connect(2) right then, in the pump after the command (as Node's
    /// `uv_pipe_connect` does), reporting the outcome later: the server's kernel holds the
    /// connection before the user's next statement, whatever that statement does.
    Connect {
        /// Where to.
        to: Endpoint,
        /// Local address to bind before connecting.
        local: Option<SocketAddr>,
    },
    /// Abandon the connect in progress (its attempt timed out); never report its outcome.
    CancelConnect,
    /// `shutdown(SHUT_WR)`: send FIN; answer with `ShutdownDone`.
    ShutdownWrite,
    /// Close the handle (the kernel sends FIN, or RST if unread bytes remain).
    Close,
    /// Close with `SO_LINGER` 0 so the kernel sends RST.
    Reset,
    /// Set `TCP_NODELAY`.
    SetNoDelay(bool),
    /// Set keep-alive options.
    SetKeepAlive(KeepAliveSettings),
    /// Set the type of service (`IP_TOS`, or `IPV6_TCLASS` on an IPv6 socket): Node 26's
    /// `setTypeOfService` and the `typeOfService` option. TCP only.
    SetTypeOfService(u8),
}

/// Addresses of a connection the server dropped, as Node's `'drop'` payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DropInfo {
    /// The server-side address (`localAddress`, `localPort`, `localFamily`).
    pub local: SocketAddr,
    /// The client's address (`remoteAddress`, `remotePort`, `remoteFamily`).
    pub remote: SocketAddr,
}

impl DropInfo {
    /// `localFamily`.
    pub fn local_family(&self) -> Family {
        Family::of(self.local.ip())
    }

    /// `remoteFamily`.
    pub fn remote_family(&self) -> Family {
        Family::of(self.remote.ip())
    }
}

/// Identifies a connection accepted by a [`crate::Server`], for its accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u64);

/// What a server tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// `'listening'`: bound and listening.
    Listening,
    /// `'connection'`: a socket was admitted.
    Connection(ConnectionId),
    /// `'drop'`: a connection was refused by `max_connections`; `None` for IPC (no payload).
    Drop(Option<DropInfo>),
    /// `'error'`: for a server, not followed by `Close`.
    Error(NetError),
    /// `'close'`: closed and every accepted connection is gone.
    Close,
}

/// What a server asks its driver to do.
///
/// Exhaustive for the same reason as [`SocketAction`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerAction {
    /// Bind and listen; answer with `Server::handle_listen`.
    Listen(Endpoint),
    /// Look `host` up (`dns.lookup(host, {all: true})`) before listening; answer with
    /// `Server::handle_lookup(id, ...)`, later than the call that asked (Node's lookup of an IP
    /// literal answers on the next tick).
    Lookup {
        /// Which lookup this is.
        id: u64,
        /// The name or IP literal.
        host: String,
    },
    /// Close the listening handle (remove the IPC file if this server created it).
    CloseListener,
}
