//! The kernel calls every backend makes the same way (socket2 and std, no runtime): starting
//! connects, binding listeners as libuv does, socket options. net-async's [`Os`](crate::Os)
//! and net-mio both use these, so there is one copy.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;

use net_core::driver;
use net_core::{Endpoint, KeepAliveSettings, ListenOptions, NetError};
use socket2::{Domain, Protocol, SockAddr, SockRef, TcpKeepalive, Type};

/// A non-blocking connect that did not fail at once: in progress, or (a Unix socket) done.
fn connect_started(r: io::Result<()>) -> io::Result<()> {
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) || e.kind() == io::ErrorKind::WouldBlock => {
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Start a non-blocking TCP connect to `to`, bound to `local` first if given (with
/// `SO_REUSEADDR`, as libuv binds: a local port in TIME_WAIT can be reused; a failed bind is
/// wrapped in [`driver::BindFailed`]). The outcome comes as writability, then `SO_ERROR`.
pub fn start_tcp_connect(to: SocketAddr, local: Option<SocketAddr>) -> io::Result<TcpStream> {
    let socket = socket2::Socket::new(Domain::for_address(to), Type::STREAM, Some(Protocol::TCP))?;
    if let Some(local) = local {
        socket.set_reuse_address(true)?;
        socket.bind(&local.into()).map_err(driver::BindFailed::wrap)?;
    }
    socket.set_nonblocking(true)?;
    connect_started(socket.connect(&to.into()))?;
    Ok(socket.into())
}

/// [`start_tcp_connect`] from a socket already bound (an adopted `BoundSocket`).
pub fn start_tcp_connect_from(socket: socket2::Socket, to: SocketAddr) -> io::Result<TcpStream> {
    socket.set_nonblocking(true)?;
    connect_started(socket.connect(&to.into()))?;
    Ok(socket.into())
}

/// connect(2) to a Unix socket on a non-blocking socket, at once, as Node's
/// `uv_pipe_connect` does inside `connect()`: `Ok(None)` if it would block (a full backlog).
pub fn connect_unix_now(path: &Path) -> io::Result<Option<UnixStream>> {
    let sock = socket2::Socket::new(Domain::UNIX, Type::STREAM, None)?;
    sock.set_nonblocking(true)?;
    match sock.connect(&SockAddr::unix(path)?) {
        Ok(()) => Ok(Some(sock.into())),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
        Err(e) => Err(e),
    }
}

/// Start a non-blocking Unix-socket connect that may wait (after [`connect_unix_now`] said it
/// would block).
pub fn start_unix_connect(path: &Path) -> io::Result<UnixStream> {
    let sock = socket2::Socket::new(Domain::UNIX, Type::STREAM, None)?;
    sock.set_nonblocking(true)?;
    connect_started(sock.connect(&SockAddr::unix(path)?))?;
    Ok(sock.into())
}

/// A bound, listening, non-blocking socket.
#[derive(Debug)]
pub enum StdListener {
    /// TCP.
    Tcp(TcpListener),
    /// A Unix-domain socket.
    Unix(UnixListener),
}

/// Bind and listen as libuv does (`SO_REUSEADDR`, `IPV6_V6ONLY` only if asked, `SO_REUSEPORT`
/// if asked, the IPC file's mode), in Node's order with Node's errors
/// ([`driver::bind_listener`]).
pub fn bind(at: &Endpoint, opts: &ListenOptions) -> Result<(StdListener, Endpoint), NetError> {
    driver::bind_listener(
        at,
        opts,
        |addr, backlog| bind_tcp(addr, opts, backlog).map(StdListener::Tcp),
        |listener| match listener {
            StdListener::Tcp(l) => l.local_addr(),
            StdListener::Unix(_) => unreachable!("a TCP endpoint binds a TCP listener"),
        },
        |path, mode| {
            let listener = UnixListener::bind(path)?;
            listener.set_nonblocking(true)?;
            if let Some(mode) = mode {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
            }
            Ok(StdListener::Unix(listener))
        },
    )
}

fn bind_tcp(addr: SocketAddr, opts: &ListenOptions, backlog: i32) -> io::Result<TcpListener> {
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
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// `SO_KEEPALIVE` and, when given, the idle time, interval and count (Node 26's
/// `setKeepAlive(enable, delay, interval, count)`). For TCP sockets only.
pub fn set_keep_alive(sock: SockRef<'_>, settings: KeepAliveSettings) -> io::Result<()> {
    sock.set_keepalive(settings.enable)?;
    if let Some(t) = settings.timing {
        let ka = TcpKeepalive::new()
            .with_time(std::time::Duration::from_secs(t.idle_secs.into()))
            .with_interval(std::time::Duration::from_secs(t.interval_secs.into()))
            .with_retries(t.count);
        sock.set_tcp_keepalive(&ka)?;
    }
    Ok(())
}

/// Node's `setTypeOfService`: `IP_TOS`, or `IPV6_TCLASS` on an IPv6 socket (libuv picks by the
/// socket's family). For TCP sockets only.
pub fn set_type_of_service(sock: SockRef<'_>, tos: u8) -> io::Result<()> {
    if sock.local_addr()?.is_ipv6() { sock.set_tclass_v6(tos.into()) } else { sock.set_tos_v4(tos.into()) }
}

/// Make the coming close send RST (`SO_LINGER` 0).
pub fn set_reset_on_close(sock: SockRef<'_>) -> io::Result<()> {
    sock.set_linger(Some(std::time::Duration::ZERO))
}

/// `if_nametoindex` without unsafe code: Linux publishes each interface's index in sysfs. A
/// name that is no interface (or would leave the directory) has none.
pub fn interface_index(name: &str) -> Option<u32> {
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return None;
    }
    std::fs::read_to_string(Path::new("/sys/class/net").join(name).join("ifindex")).ok()?.trim().parse().ok()
}

/// Give net-core the operating system's interface indexes, once per process (for the zones of
/// IPv6 literals, `fe80::1%eth0`).
pub fn install_interface_index() {
    net_core::set_interface_index(interface_index);
}

/// A connected stream socket adopted from a descriptor.
#[derive(Debug)]
pub enum StdStream {
    /// TCP.
    Tcp(TcpStream),
    /// A Unix-domain socket.
    Unix(UnixStream),
}

/// What a descriptor handed over by number holds (Node's `fd` option): a stream socket, TCP
/// or Unix, told apart by its bound address. Anything else is `InvalidInput`, where Node would
/// wrap a pipe or a TTY (no counterpart here).
fn stream_socket(fd: std::os::fd::OwnedFd) -> io::Result<(socket2::Socket, bool)> {
    let socket = socket2::Socket::from(fd);
    if socket.r#type()? != Type::STREAM {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a stream socket"));
    }
    let domain = socket.local_addr()?.domain();
    if domain != Domain::UNIX && domain != Domain::IPV4 && domain != Domain::IPV6 {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a TCP or Unix-domain socket"));
    }
    Ok((socket, domain == Domain::UNIX))
}

/// A connected stream socket from a descriptor (Node's `new net.Socket({ fd })`), non-blocking.
pub fn stream_from_fd(fd: std::os::fd::OwnedFd) -> io::Result<StdStream> {
    let (socket, unix) = stream_socket(fd)?;
    socket.set_nonblocking(true)?;
    let fd = std::os::fd::OwnedFd::from(socket);
    Ok(if unix { StdStream::Unix(UnixStream::from(fd)) } else { StdStream::Tcp(TcpStream::from(fd)) })
}

/// A listening socket from a descriptor (Node's `server.listen({ fd })`), non-blocking, with its
/// address.
pub fn listener_from_fd(fd: std::os::fd::OwnedFd) -> io::Result<(StdListener, Endpoint)> {
    let (socket, unix) = stream_socket(fd)?;
    socket.set_nonblocking(true)?;
    let fd = std::os::fd::OwnedFd::from(socket);
    if unix {
        let listener = UnixListener::from(fd);
        let path = listener.local_addr()?.as_pathname().map(Path::to_path_buf).unwrap_or_default();
        Ok((StdListener::Unix(listener), Endpoint::Ipc(path)))
    } else {
        let listener = TcpListener::from(fd);
        let at = listener.local_addr()?;
        Ok((StdListener::Tcp(listener), Endpoint::Tcp(at)))
    }
}
