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
use net_core::driver::Transport;
use net_core::{ConnectionInfo, Endpoint, KeepAliveSettings, ListenOptions, NetError};
use socket2::SockRef;

use crate::runtime::{BoxFuture, Listener, Runtime, Stream};
use crate::sys::{self, StdListener};

/// An async runtime over the real kernel: what tokio and smol each provide, and all an adapter
/// writes.
pub trait OsRuntime: Clone + Send + Sync + 'static {
    /// A descriptor registered with the runtime's reactor.
    type Io<S: OwnedSocket>: Registered<S>;
    /// A timer that can be moved ([`Runtime::Timer`]).
    type Timer: Future + Send + Unpin + 'static;
    /// [`Runtime::WAKES_AT_YIELD_POINTS`].
    const WAKES_AT_YIELD_POINTS: bool = false;

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
    const WAKES_AT_YIELD_POINTS: bool = T::WAKES_AT_YIELD_POINTS;

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
        // connect(2) now, not at the first poll: a connect started inside `connect()` (a custom
        // lookup that answered at once) reaches the network as Node's does.
        let started = sys::start_tcp_connect(to, local);
        Box::pin(async move {
            let io = rt.register(started?)?;
            connected(&io, |s| s.take_error()).await?;
            Ok(OsStream::Tcp(io))
        })
    }

    fn connect_tcp_from(
        &self,
        socket: socket2::Socket,
        to: SocketAddr,
    ) -> BoxFuture<io::Result<Self::Stream>> {
        let rt = self.0.clone();
        Box::pin(async move {
            let io = rt.register(sys::start_tcp_connect_from(socket, to)?)?;
            connected(&io, |s| s.take_error()).await?;
            Ok(OsStream::Tcp(io))
        })
    }

    fn start_ipc_connect(&self, path: &Path) -> io::Result<Option<UnixStream>> {
        sys::connect_unix_now(path)
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
            let io = rt.register(sys::start_unix_connect(&path)?)?;
            connected(&io, |s| s.take_error()).await?;
            Ok(OsStream::Unix(io))
        })
    }

    fn listen(&self, at: &Endpoint, opts: &ListenOptions) -> Result<(Self::Listener, Endpoint), NetError> {
        let (listener, at) = sys::bind(at, opts)?;
        let listener = match listener {
            StdListener::Tcp(l) => self.adopt_tcp_listener(l),
            StdListener::Unix(l) => self.adopt_unix_listener(l),
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
        self.read_io(max, |s| (&*s).read(buf))
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
        sys::set_reset_on_close(self.sock_ref())
    }

    fn set_no_delay(&self, enable: bool) -> io::Result<()> {
        match self {
            Self::Tcp(s) => s.get_ref().set_nodelay(enable),
            Self::Unix(_) => Ok(()),
        }
    }

    fn set_keep_alive(&self, settings: KeepAliveSettings) -> io::Result<()> {
        match self {
            Self::Tcp(_) => sys::set_keep_alive(self.sock_ref(), settings),
            Self::Unix(_) => Ok(()),
        }
    }

    fn set_type_of_service(&self, tos: u8) -> io::Result<()> {
        match self {
            Self::Tcp(_) => sys::set_type_of_service(self.sock_ref(), tos),
            Self::Unix(_) => Ok(()),
        }
    }
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
