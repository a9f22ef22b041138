//! Node 26's `net.BoundSocket`: a socket bound synchronously (bind(2), no listen), whose
//! address and descriptor can be read before a server or socket adopts it.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use net_core::{Endpoint, ErrorCode, NetError};

use crate::sys::StdListener;
use socket2::{Domain, Protocol, SockAddr, Type};

/// What [`BoundSocket::bind`] takes: Node's `new net.BoundSocket({host, port, ipv6Only,
/// reusePort})`, or `{path}` for a Unix socket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BindOptions {
    /// An IP address (`BoundSocket` looks nothing up); `None` is Node's `0.0.0.0`.
    pub host: Option<IpAddr>,
    /// Port; 0 picks one.
    pub port: u16,
    /// A Unix-domain socket path instead (Node 26.7).
    pub path: Option<PathBuf>,
    /// `IPV6_V6ONLY` on an IPv6 address.
    pub ipv6_only: bool,
    /// `SO_REUSEPORT`.
    pub reuse_port: bool,
}

struct Bound {
    socket: socket2::Socket,
    at: Endpoint,
}

/// `net.BoundSocket`: bound now, with its address known (the port picked, for port 0). A
/// server adopts it with [`Server::listen_bound`](crate::Server::listen_bound); from then on (and
/// after [`close`](Self::close)) every call is `ERR_SOCKET_HANDLE_ADOPTED`, as in Node.
///
/// Binding takes `SO_REUSEADDR` as libuv does, so two bound sockets may hold one port until one
/// of them listens.
pub struct BoundSocket {
    bound: Mutex<Option<Bound>>,
    pipe: bool,
}

fn adopted() -> NetError {
    NetError::new(
        ErrorCode::ERR_SOCKET_HANDLE_ADOPTED,
        "The bound socket has already been adopted by a server or socket",
    )
}

impl BoundSocket {
    /// bind(2) now: `EADDRINUSE` on a port a listener holds, `EADDRNOTAVAIL` on an address the
    /// machine does not have (Node's `bind CODE address[:port]`).
    pub fn bind(opts: &BindOptions) -> Result<Self, NetError> {
        if let Some(path) = &opts.path {
            let socket = socket2::Socket::new(Domain::UNIX, Type::STREAM, None)
                .map_err(|e| NetError::from_io(&e, "socket"))?;
            let failed = |e: io::Error| {
                let code = NetError::from_io(&e, "bind").error_code();
                NetError::syscall(code, "bind").with_message(format!("bind {code}"))
            };
            socket.bind(&SockAddr::unix(path).map_err(failed)?).map_err(failed)?;
            let at = Endpoint::Ipc(path.clone());
            return Ok(Self { bound: Mutex::new(Some(Bound { socket, at })), pipe: true });
        }
        let ip = opts.host.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let addr = SocketAddr::new(ip, opts.port);
        let failed = |e: io::Error| {
            let code = NetError::from_io(&e, "bind").error_code();
            let err = NetError::bind(code, addr);
            if addr.port() == 0 { err.with_message(format!("bind {code} {ip}")) } else { err }
        };
        let socket = socket2::Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
            .map_err(failed)?;
        socket.set_reuse_address(true).map_err(failed)?;
        if addr.is_ipv6() {
            socket.set_only_v6(opts.ipv6_only).map_err(failed)?;
        }
        if opts.reuse_port {
            socket.set_reuse_port(true).map_err(failed)?;
        }
        socket.bind(&addr.into()).map_err(failed)?;
        let local = socket.local_addr().ok().and_then(|a| a.as_socket()).unwrap_or(addr);
        Ok(Self { bound: Mutex::new(Some(Bound { socket, at: Endpoint::Tcp(local) })), pipe: false })
    }

    fn lock(&self) -> MutexGuard<'_, Option<Bound>> {
        self.bound.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `boundSocket.address()`: the address bound (the port the kernel picked), or the path.
    pub fn address(&self) -> Result<Endpoint, NetError> {
        self.lock().as_ref().map(|b| b.at.clone()).ok_or_else(adopted)
    }

    /// `boundSocket.fd()`: the descriptor, still owned by this value.
    pub fn fd(&self) -> Result<RawFd, NetError> {
        self.lock().as_ref().map(|b| b.socket.as_raw_fd()).ok_or_else(adopted)
    }

    /// `boundSocket.close()`: release the descriptor; later calls are `ERR_SOCKET_HANDLE_ADOPTED`.
    pub fn close(&self) -> Result<(), NetError> {
        self.lock().take().map(drop).ok_or_else(adopted)
    }

    /// `boundSocket.isPipe`: bound to a Unix-socket path.
    pub fn is_pipe(&self) -> bool {
        self.pipe
    }

    /// Take the bound TCP descriptor for a socket to connect from (Node's `connect({handle})`;
    /// the backends' `connect_bound` call this); from then on this value is adopted. A
    /// Unix-socket path is `ERR_INVALID_HANDLE_TYPE` here.
    pub fn take_for_connect(&self) -> Result<(socket2::Socket, Endpoint), NetError> {
        if self.pipe {
            return Err(NetError::invalid_handle_type());
        }
        let Bound { socket, at } = self.lock().take().ok_or_else(adopted)?;
        Ok((socket, at))
    }

    /// Take the descriptor and listen(2) on it, non-blocking: what `server.listen(boundSocket)`
    /// does (a backend registers the listener next). From then on this value is adopted.
    pub fn listen(&self, backlog: i32) -> Result<(StdListener, Endpoint), NetError> {
        let Bound { socket, at } = self.lock().take().ok_or_else(adopted)?;
        let listen_failed = |e: io::Error| NetError::from_io(&e, "listen");
        socket.listen(backlog).map_err(listen_failed)?;
        socket.set_nonblocking(true).map_err(listen_failed)?;
        let listener = if self.pipe {
            StdListener::Unix(UnixListener::from(std::os::fd::OwnedFd::from(socket)))
        } else {
            StdListener::Tcp(TcpListener::from(socket))
        };
        Ok((listener, at))
    }
}

impl std::fmt::Debug for BoundSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundSocket").field("address", &self.address().ok()).finish()
    }
}
