//! Adopting descriptors made elsewhere (socket activation, a listener inherited or made by
//! hand): Node's `new net.Socket({ fd })` and `listen({ fd })`, on the real kernel.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};

use net_core::{Endpoint, NetError, ServerOptions, SocketOptions};

use crate::os::{Os, OsRuntime};
use crate::server::Server;
use crate::socket::{Socket, current};

impl<T: OsRuntime> Socket<Os<T>> {
    /// Adopt a connected std `TcpStream`: a connected socket with `options`, as an accepted
    /// one is (no `connect`). A runtime's own stream comes in through its `into_std()` (tokio)
    /// or `into_inner()` (async-io).
    ///
    /// # Panics
    /// Outside a runtime ([`crate::Runtime::try_current`]).
    pub fn from_std(stream: TcpStream, options: SocketOptions) -> io::Result<Self> {
        let rt = current::<Os<T>>();
        let stream = rt.adopt_tcp(stream)?;
        Ok(Self::from_stream(stream, options, false, rt))
    }

    /// Adopt a connected std `UnixStream`, as [`Socket::from_std`] does.
    ///
    /// # Panics
    /// Outside a runtime ([`crate::Runtime::try_current`]).
    pub fn from_std_unix(stream: UnixStream, options: SocketOptions) -> io::Result<Self> {
        let rt = current::<Os<T>>();
        let stream = rt.adopt_unix(stream)?;
        Ok(Self::from_stream(stream, options, true, rt))
    }
}

impl<T: OsRuntime> Socket<Os<T>> {
    /// Node's `new net.Socket({ fd })`: adopt a connected TCP or Unix-domain stream socket
    /// handed over as a descriptor (socket activation, a parent process). Another kind of
    /// descriptor is `InvalidInput`.
    ///
    /// # Panics
    /// Outside a runtime ([`crate::Runtime::try_current`]).
    pub fn from_fd(fd: std::os::fd::OwnedFd, options: SocketOptions) -> io::Result<Self> {
        match crate::sys::stream_from_fd(fd)? {
            crate::sys::StdStream::Tcp(s) => Self::from_std(s, options),
            crate::sys::StdStream::Unix(s) => Self::from_std_unix(s, options),
        }
    }
}

impl<T: OsRuntime> Server<Os<T>> {
    /// Node's `server.listen({ fd })`: adopt a listening TCP or Unix-domain socket handed over
    /// as a descriptor; `listening` follows. A Unix socket's file stays the caller's.
    ///
    /// # Panics
    /// Outside a runtime ([`crate::Runtime::try_current`]).
    pub fn from_fd(fd: std::os::fd::OwnedFd, options: ServerOptions) -> io::Result<Self> {
        match crate::sys::listener_from_fd(fd)?.0 {
            crate::sys::StdListener::Tcp(l) => Self::from_std(l, options),
            crate::sys::StdListener::Unix(l) => Self::from_std_unix(l, options),
        }
    }

    /// Adopt a listening std `TcpListener`: the server listens on it at once, with `options`;
    /// `listening` follows as after `listen`. A runtime's own listener comes in through its
    /// `into_std()` (tokio) or `into_inner()` (async-io).
    ///
    /// # Panics
    /// Outside a runtime ([`crate::Runtime::try_current`]).
    pub fn from_std(listener: TcpListener, options: ServerOptions) -> io::Result<Self> {
        let rt = current::<Os<T>>();
        let at = Endpoint::Tcp(listener.local_addr()?);
        let listener = rt.adopt_tcp_listener(listener)?;
        Self::from_listener(listener, at, options, rt, false)
    }

    /// `server.listen(boundSocket)`: listen on a [`BoundSocket`](crate::BoundSocket) at once
    /// (Node 26.4): `listening` follows; the bound socket is adopted (its calls answer
    /// `ERR_SOCKET_HANDLE_ADOPTED` from now on). A Unix socket's file is removed on close, as
    /// for `listen(path)`. While listening it is `ERR_SERVER_ALREADY_LISTEN`, and the bound
    /// socket stays the caller's.
    ///
    /// # Panics
    /// Made and listening outside a runtime ([`crate::Runtime::try_current`]).
    pub fn listen_bound(&self, bound: &crate::BoundSocket, backlog: Option<i32>) -> Result<(), NetError> {
        if self.listening() {
            return Err(NetError::server_already_listen());
        }
        let (listener, at) = bound.listen(backlog.unwrap_or(crate::DEFAULT_BACKLOG))?;
        let answer = at.clone();
        self.listen_via(at, move |rt: &Os<T>, _| {
            let registered = match listener {
                crate::sys::StdListener::Tcp(l) => rt.adopt_tcp_listener(l),
                crate::sys::StdListener::Unix(l) => rt.adopt_unix_listener(l),
            };
            registered.map(|l| (l, answer)).map_err(|e| NetError::from_io(&e, "listen"))
        })
    }

    /// Adopt a listening std `UnixListener`, as [`Server::from_std`] does. The socket file is
    /// the caller's: it is not removed on close.
    ///
    /// # Panics
    /// Outside a runtime ([`crate::Runtime::try_current`]).
    pub fn from_std_unix(listener: UnixListener, options: ServerOptions) -> io::Result<Self> {
        let rt = current::<Os<T>>();
        let path = listener.local_addr()?.as_pathname().map(std::path::Path::to_owned).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "an unnamed Unix listener has no path to listen on")
        })?;
        let listener = rt.adopt_unix_listener(listener)?;
        Self::from_listener(listener, Endpoint::Ipc(path), options, rt, false)
    }
}
