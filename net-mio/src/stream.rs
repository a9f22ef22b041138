//! A connected mio stream, TCP or Unix, behind the core's `Transport`.

use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;

use bytes::BytesMut;
use mio::event::Source;
use mio::net::{TcpStream, UnixStream};
use mio::{Interest, Registry, Token};
use net_core::driver::Transport;
use net_core::{ConnectionInfo, KeepAliveSettings};
use socket2::SockRef;

#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    fn sock_ref(&self) -> SockRef<'_> {
        match self {
            Self::Tcp(s) => SockRef::from(s),
            Self::Unix(s) => SockRef::from(s),
        }
    }

    pub(crate) fn info(&self) -> ConnectionInfo {
        match self {
            Self::Tcp(s) => ConnectionInfo { local: s.local_addr().ok(), remote: s.peer_addr().ok() },
            Self::Unix(_) => ConnectionInfo::ipc(),
        }
    }

    /// The local address (`getsockname`); none for a Unix socket.
    pub(crate) fn local_addr(&self) -> Option<std::net::SocketAddr> {
        match self {
            Self::Tcp(s) => s.local_addr().ok(),
            Self::Unix(_) => None,
        }
    }

    /// A non-blocking connect finished: `None` while still in progress, else its outcome.
    pub(crate) fn connect_result(&self) -> Option<io::Result<()>> {
        if let Ok(Some(e)) | Err(e) = self.sock_ref().take_error() {
            return Some(Err(e));
        }
        match self {
            Self::Tcp(s) => match s.peer_addr() {
                Ok(_) => Some(Ok(())),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => None,
                Err(e) => Some(Err(e)),
            },
            Self::Unix(_) => Some(Ok(())),
        }
    }

    /// Readable always; writable only while a connect is in flight or a write is blocked, as
    /// libuv asks for POLLOUT only then: a writable edge would put the descriptor on epoll's
    /// ready list early and change the order in which one wait reports two sockets.
    pub(crate) fn register(&mut self, registry: &Registry, token: Token, write: bool) -> io::Result<()> {
        let interest = interest(write);
        match self {
            Self::Tcp(s) => registry.register(s, token, interest),
            Self::Unix(s) => registry.register(s, token, interest),
        }
    }

    /// Change the interest ([`Stream::register`]); the kernel reports a readiness that holds
    /// already, so nothing is missed.
    pub(crate) fn reregister(&mut self, registry: &Registry, token: Token, write: bool) -> io::Result<()> {
        let interest = interest(write);
        match self {
            Self::Tcp(s) => registry.reregister(s, token, interest),
            Self::Unix(s) => registry.reregister(s, token, interest),
        }
    }

    pub(crate) fn deregister(&mut self, registry: &Registry) {
        let _ = match self {
            Self::Tcp(s) => s.deregister(registry),
            Self::Unix(s) => s.deregister(registry),
        };
    }
}

impl Transport for Stream {
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        // One slice goes out with write(2): writev(2) costs the kernel more per call (a 64-byte
        // Unix ping-pong spent about a fifth more server CPU with writev; scripts/profile-echo.sh).
        match (self, bufs) {
            (Self::Tcp(s), [one]) => { s }.write(one),
            (Self::Unix(s), [one]) => { s }.write(one),
            (Self::Tcp(s), _) => { s }.write_vectored(bufs),
            (Self::Unix(s), _) => { s }.write_vectored(bufs),
        }
    }

    /// `recv(2)` straight into the block's spare capacity: no zeroing pass over what the kernel
    /// is about to overwrite.
    fn try_read_buf(&self, buf: &mut BytesMut, max: usize) -> io::Result<usize> {
        let spare = &mut buf.spare_capacity_mut()[..max];
        let n = self.sock_ref().recv(spare)?;
        debug_assert!(n <= max);
        // SAFETY: recv(2) returned `n`, so it wrote `n` bytes at the start of `spare`, which
        // starts at `buf.len()`; `n <= max <= buf.capacity() - buf.len()`. Those bytes are
        // initialized, and `set_len` covers exactly them.
        unsafe { buf.set_len(buf.len() + n) };
        Ok(n)
    }

    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Tcp(s) => { s }.read(buf),
            Self::Unix(s) => { s }.read(buf),
        }
    }

    fn shutdown_write(&self) -> io::Result<()> {
        self.sock_ref().shutdown(Shutdown::Write)
    }

    fn set_reset_on_close(&self) -> io::Result<()> {
        net_async::sys::set_reset_on_close(self.sock_ref())
    }

    fn set_no_delay(&self, enable: bool) -> io::Result<()> {
        match self {
            Self::Tcp(s) => s.set_nodelay(enable),
            Self::Unix(_) => Ok(()),
        }
    }

    fn set_keep_alive(&self, settings: KeepAliveSettings) -> io::Result<()> {
        if matches!(self, Self::Unix(_)) {
            return Ok(());
        }
        net_async::sys::set_keep_alive(self.sock_ref(), settings)
    }

    fn set_type_of_service(&self, tos: u8) -> io::Result<()> {
        if matches!(self, Self::Unix(_)) {
            return Ok(());
        }
        net_async::sys::set_type_of_service(self.sock_ref(), tos)
    }
}

fn interest(write: bool) -> Interest {
    if write { Interest::READABLE | Interest::WRITABLE } else { Interest::READABLE }
}
