//! The real kernel under an async runtime: [`Os`] is a [`Runtime`] for any [`OsRuntime`]
//! (tokio, smol), with every socket call written once here (socket2 and std on the registered
//! descriptor), so a runtime adapter only says how to spawn, time, wait for readiness and block.

use std::io::{self, IoSlice, Read, Write};
use std::mem::MaybeUninit;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::task::{Context, Poll, ready};
use std::time::Instant;

use bytes::BytesMut;
use net_core::driver::{self, Transport};
use net_core::{ConnectionInfo, Endpoint, KeepAliveSettings, ListenOptions, NetError};
use socket2::{Domain, Protocol, SockRef, TcpKeepalive, Type};

use crate::runtime::{BoxFuture, Listener, Runtime, Stream};

/// An async runtime over the real kernel: what tokio and smol each provide, and all an adapter
/// writes.
pub trait OsRuntime: Clone + Send + Sync + 'static {
    /// A descriptor registered with the runtime's reactor.
    type Io<S: OwnedSocket>: Registered<S>;
    /// A timer that can be moved ([`Runtime::Timer`]).
    type Timer: Future + Send + Unpin + 'static;

    /// The runtime of the calling context ([`Runtime::try_current`]).
    fn try_current() -> Option<Self>;
    /// Run `task` to its end, detached.
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static);
    /// A timer firing at `at`.
    fn timer(&self, at: Instant) -> Self::Timer;
    /// Move `timer` to `at`.
    fn reset_timer(&self, timer: &mut Self::Timer, at: Instant);
    /// Register a non-blocking descriptor with the reactor.
    fn register<S: OwnedSocket>(&self, io: S) -> io::Result<Self::Io<S>>;
    /// Run `f` where blocking is allowed (a lookup's `getaddrinfo`); an error if the runtime
    /// could not run it to its end (shutting down).
    fn unblock<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> BoxFuture<io::Result<T>>;
}

/// A std socket type that owns its descriptor: `TcpStream`, `UnixStream`, `TcpListener`,
/// `UnixListener` (sealed). Its descriptor stays open, and `as_raw_fd` answers the same one,
/// until the value is dropped: what a reactor registering it (tokio's `AsyncFd::register`)
/// needs to be sound.
pub trait OwnedSocket: AsFd + AsRawFd + Send + Sync + 'static + sealed::Sealed {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for std::net::TcpStream {}
    impl Sealed for std::net::TcpListener {}
    impl Sealed for std::os::unix::net::UnixStream {}
    impl Sealed for std::os::unix::net::UnixListener {}
}

impl OwnedSocket for TcpStream {}
impl OwnedSocket for TcpListener {}
impl OwnedSocket for UnixStream {}
impl OwnedSocket for UnixListener {}

/// A descriptor registered with a reactor, and its readiness.
pub trait Registered<S>: Send + Sync + 'static {
    /// The descriptor.
    fn get_ref(&self) -> &S;
    /// Ready once the reactor saw the descriptor readable (or closed, or failed).
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// Ready once the reactor saw the descriptor writable (or failed).
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// Run a read-side call; if it answers `WouldBlock`, the read readiness the reactor
    /// recorded before the call is cleared (a reactor that records none runs `f` alone).
    fn try_read_io<R>(&self, f: impl FnOnce(&S) -> io::Result<R>) -> io::Result<R>;
    /// [`Registered::try_read_io`] for the write side.
    fn try_write_io<R>(&self, f: impl FnOnce(&S) -> io::Result<R>) -> io::Result<R>;
}

/// The real kernel, on the async runtime `T`.
#[derive(Clone, Debug)]
pub struct Os<T>(pub T);

impl<T: OsRuntime> Runtime for Os<T> {
    type Stream = OsStream<T>;
    type Listener = OsListener<T>;
    type IpcStarted = UnixStream;
    type Timer = T::Timer;

    fn try_current() -> Option<Self> {
        T::try_current().map(Os)
    }

    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.0.spawn(task);
    }

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn timer(&self, at: Instant) -> Self::Timer {
        self.0.timer(at)
    }

    fn reset_timer(&self, timer: &mut Self::Timer, at: Instant) {
        self.0.reset_timer(timer, at);
    }

    fn lookup(&self, host: String) -> BoxFuture<io::Result<Vec<SocketAddr>>> {
        let found = self.0.unblock(move || {
            std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), 0)).map(Iterator::collect)
        });
        Box::pin(async move { found.await? })
    }

    fn connect_tcp(&self, to: SocketAddr, local: Option<SocketAddr>) -> BoxFuture<io::Result<Self::Stream>> {
        let rt = self.0.clone();
        Box::pin(async move {
            let socket = socket2::Socket::new(Domain::for_address(to), Type::STREAM, Some(Protocol::TCP))?;
            if let Some(local) = local {
                // libuv binds with SO_REUSEADDR: a local port in TIME_WAIT can be reused.
                socket.set_reuse_address(true)?;
                socket.bind(&local.into()).map_err(driver::BindFailed::wrap)?;
            }
            socket.set_nonblocking(true)?;
            match socket.connect(&to.into()) {
                Ok(()) => {}
                Err(e)
                    if e.raw_os_error() == Some(libc::EINPROGRESS)
                        || e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            let io = rt.register(TcpStream::from(socket))?;
            connected(&io, |s| s.take_error()).await?;
            Ok(OsStream::Tcp(io))
        })
    }

    fn start_ipc_connect(&self, path: &Path) -> io::Result<Option<UnixStream>> {
        let sock = socket2::Socket::new(Domain::UNIX, Type::STREAM, None)?;
        sock.set_nonblocking(true)?;
        match sock.connect(&socket2::SockAddr::unix(path)?) {
            Ok(()) => Ok(Some(sock.into())),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The listener may have gone before accepting the connection (its backlog is reset:
    /// SO_ERROR is ECONNRESET, as Node reports).
    fn finish_ipc_connect(&self, started: UnixStream) -> BoxFuture<io::Result<Self::Stream>> {
        let rt = self.0.clone();
        Box::pin(async move {
            let io = rt.register(started)?;
            connected(&io, |s| s.take_error()).await?;
            Ok(OsStream::Unix(io))
        })
    }

    fn connect_ipc(&self, path: PathBuf) -> BoxFuture<io::Result<Self::Stream>> {
        let rt = self.0.clone();
        Box::pin(async move {
            let sock = socket2::Socket::new(Domain::UNIX, Type::STREAM, None)?;
            sock.set_nonblocking(true)?;
            match sock.connect(&socket2::SockAddr::unix(&path)?) {
                Ok(()) => {}
                Err(e)
                    if e.raw_os_error() == Some(libc::EINPROGRESS)
                        || e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            let io = rt.register(UnixStream::from(sock))?;
            connected(&io, |s| s.take_error()).await?;
            Ok(OsStream::Unix(io))
        })
    }

    fn listen(&self, at: &Endpoint, opts: &ListenOptions) -> Result<(Self::Listener, Endpoint), NetError> {
        let (listener, at) = driver::bind_listener(
            at,
            opts,
            |addr, backlog| bind_tcp(addr, opts, backlog).map(Bound::Tcp),
            |bound| match bound {
                Bound::Tcp(l) => l.local_addr(),
                Bound::Unix(_) => unreachable!("a TCP endpoint binds a TCP listener"),
            },
            |path, mode| {
                let listener = UnixListener::bind(path)?;
                if let Some(mode) = mode {
                    use std::os::unix::fs::PermissionsExt;
                    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
                }
                Ok(Bound::Unix(listener))
            },
        )?;
        let listener = match listener {
            Bound::Tcp(l) => self.adopt_tcp_listener(l),
            Bound::Unix(l) => self.adopt_unix_listener(l),
        }
        .map_err(|e| {
            let code = net_core::ErrorCode::from_io(&e);
            match &at {
                Endpoint::Tcp(addr) => NetError::listen(code, *addr),
                Endpoint::Ipc(path) => NetError::listen_path(code, &path.display().to_string()),
            }
        })?;
        Ok((listener, at))
    }
}

enum Bound {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl<T: OsRuntime> Os<T> {
    /// Register a connected std stream (an adopted descriptor).
    pub fn adopt_tcp(&self, stream: TcpStream) -> io::Result<OsStream<T>> {
        stream.set_nonblocking(true)?;
        Ok(OsStream::Tcp(self.0.register(stream)?))
    }

    /// Register a connected std Unix stream.
    pub fn adopt_unix(&self, stream: UnixStream) -> io::Result<OsStream<T>> {
        stream.set_nonblocking(true)?;
        Ok(OsStream::Unix(self.0.register(stream)?))
    }

    /// Register a listening std listener.
    pub fn adopt_tcp_listener(&self, listener: TcpListener) -> io::Result<OsListener<T>> {
        listener.set_nonblocking(true)?;
        Ok(OsListener { rt: self.0.clone(), kind: ListenerKind::Tcp(self.0.register(listener)?) })
    }

    /// Register a listening std Unix listener.
    pub fn adopt_unix_listener(&self, listener: UnixListener) -> io::Result<OsListener<T>> {
        listener.set_nonblocking(true)?;
        Ok(OsListener { rt: self.0.clone(), kind: ListenerKind::Unix(self.0.register(listener)?) })
    }
}

/// Wait until a non-blocking connect settled, and answer its outcome (`SO_ERROR`).
async fn connected<S, R: Registered<S>>(
    io: &R,
    take_error: impl Fn(&S) -> io::Result<Option<io::Error>>,
) -> io::Result<()> {
    std::future::poll_fn(|cx| io.poll_write_ready(cx)).await?;
    match take_error(io.get_ref())? {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Bind and listen as libuv does (`SO_REUSEADDR`, `IPV6_V6ONLY` only if asked).
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
    Ok(socket.into())
}

/// A connected kernel stream, TCP or Unix, registered with `T`'s reactor.
pub enum OsStream<T: OsRuntime> {
    /// TCP.
    Tcp(T::Io<TcpStream>),
    /// A Unix-domain stream.
    Unix(T::Io<UnixStream>),
}

impl<T: OsRuntime> std::fmt::Debug for OsStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tcp(s) => f.debug_tuple("Tcp").field(s.get_ref()).finish(),
            Self::Unix(s) => f.debug_tuple("Unix").field(s.get_ref()).finish(),
        }
    }
}

impl<T: OsRuntime> OsStream<T> {
    fn sock_ref(&self) -> SockRef<'_> {
        match self {
            Self::Tcp(s) => SockRef::from(s.get_ref()),
            Self::Unix(s) => SockRef::from(s.get_ref()),
        }
    }

    /// A read-side call that counts a short read as `WouldBlock` for the reactor (the trait's
    /// rule, [`Stream`]): a short read emptied a stream socket's queue, so the readiness is
    /// cleared without the syscall that would only say so. Only the readiness seen before the
    /// call is cleared, and a FIN already signalled stays, so no later bytes or EOF are missed.
    fn read_io(&self, max: usize, f: impl FnOnce(SockRef<'_>) -> io::Result<usize>) -> io::Result<usize> {
        let mut short = None;
        let mut call = |r: io::Result<usize>| match r {
            Ok(n) if n > 0 && n < max => {
                short = Some(n);
                Err(io::ErrorKind::WouldBlock.into())
            }
            other => other,
        };
        let r = match self {
            Self::Tcp(s) => s.try_read_io(|s| call(f(SockRef::from(s)))),
            Self::Unix(s) => s.try_read_io(|s| call(f(SockRef::from(s)))),
        };
        short.map_or(r, Ok)
    }
}

impl<T: OsRuntime> Transport for OsStream<T> {
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let max = buf.len();
        self.read_io(max, |_| match self {
            Self::Tcp(s) => s.get_ref().read(buf),
            Self::Unix(s) => s.get_ref().read(buf),
        })
    }

    /// `recv(2)` straight into the block's spare capacity: no zeroing pass over what the kernel
    /// is about to overwrite.
    fn try_read_buf(&self, buf: &mut BytesMut, max: usize) -> io::Result<usize> {
        let n = self.try_read_uninit(&mut buf.spare_capacity_mut()[..max])?;
        // SAFETY: `try_read_uninit` initialized the first `n` bytes of the spare capacity,
        // which starts at `buf.len()`, and `n <= max <= buf.capacity() - buf.len()` (it never
        // reports more than it was given). `set_len` covers exactly those bytes.
        unsafe { buf.set_len(buf.len() + n) };
        Ok(n)
    }

    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        // One slice goes out with write(2): writev(2) costs the kernel more per call (a 64-byte
        // Unix ping-pong spent about a fifth more server CPU with writev; scripts/profile-echo.sh).
        match (self, bufs) {
            (Self::Tcp(s), [one]) => s.try_write_io(|mut s| s.write(one)),
            (Self::Unix(s), [one]) => s.try_write_io(|mut s| s.write(one)),
            (Self::Tcp(s), _) => s.try_write_io(|mut s| s.write_vectored(bufs)),
            (Self::Unix(s), _) => s.try_write_io(|mut s| s.write_vectored(bufs)),
        }
    }

    fn shutdown_write(&self) -> io::Result<()> {
        self.sock_ref().shutdown(Shutdown::Write)
    }

    fn set_reset_on_close(&self) -> io::Result<()> {
        self.sock_ref().set_linger(Some(std::time::Duration::ZERO))
    }

    fn set_no_delay(&self, enable: bool) -> io::Result<()> {
        match self {
            Self::Tcp(s) => s.get_ref().set_nodelay(enable),
            Self::Unix(_) => Ok(()),
        }
    }

    fn set_keep_alive(&self, settings: KeepAliveSettings) -> io::Result<()> {
        match self {
            Self::Tcp(_) => set_keep_alive(self.sock_ref(), settings),
            Self::Unix(_) => Ok(()),
        }
    }
}

/// `SO_KEEPALIVE` and, when given, the idle time, interval and count (Node 26's
/// `setKeepAlive(enable, delay, interval, count)`).
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

impl<T: OsRuntime> Stream for OsStream<T> {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Self::Tcp(s) => s.poll_read_ready(cx),
            Self::Unix(s) => s.poll_read_ready(cx),
        }
    }

    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Self::Tcp(s) => s.poll_write_ready(cx),
            Self::Unix(s) => s.poll_write_ready(cx),
        }
    }

    fn try_read_uninit(&self, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
        let max = buf.len();
        let n = self.read_io(max, |s| s.recv(buf))?;
        debug_assert!(n <= max);
        Ok(n)
    }

    fn info(&self) -> ConnectionInfo {
        match self {
            Self::Tcp(s) => {
                ConnectionInfo { local: s.get_ref().local_addr().ok(), remote: s.get_ref().peer_addr().ok() }
            }
            Self::Unix(_) => ConnectionInfo::ipc(),
        }
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        match self {
            Self::Tcp(s) => s.get_ref().local_addr().ok(),
            Self::Unix(_) => None,
        }
    }
}

/// A listening kernel socket, TCP or Unix, registered with `T`'s reactor.
pub struct OsListener<T: OsRuntime> {
    /// Registers what is accepted.
    rt: T,
    kind: ListenerKind<T>,
}

enum ListenerKind<T: OsRuntime> {
    Tcp(T::Io<TcpListener>),
    Unix(T::Io<UnixListener>),
}

impl<T: OsRuntime> std::fmt::Debug for OsListener<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            ListenerKind::Tcp(l) => f.debug_tuple("Tcp").field(l.get_ref()).finish(),
            ListenerKind::Unix(l) => f.debug_tuple("Unix").field(l.get_ref()).finish(),
        }
    }
}

impl<T: OsRuntime> Listener for OsListener<T> {
    type Stream = OsStream<T>;

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(OsStream<T>, Option<SocketAddr>)>> {
        loop {
            let accepted = match &self.kind {
                ListenerKind::Tcp(l) => l.try_read_io(TcpListener::accept).and_then(|(s, peer)| {
                    s.set_nonblocking(true)?;
                    Ok((OsStream::Tcp(self.rt.register(s)?), Some(peer)))
                }),
                ListenerKind::Unix(l) => l.try_read_io(UnixListener::accept).and_then(|(s, _)| {
                    s.set_nonblocking(true)?;
                    Ok((OsStream::Unix(self.rt.register(s)?), None))
                }),
            };
            match accepted {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    ready!(match &self.kind {
                        ListenerKind::Tcp(l) => l.poll_read_ready(cx),
                        ListenerKind::Unix(l) => l.poll_read_ready(cx),
                    })?;
                }
                other => return Poll::Ready(other),
            }
        }
    }
}
