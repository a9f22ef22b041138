//! One connected kernel socket, TCP or Unix, registered with async-io's reactor.

use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::unix::net::UnixStream;
use std::task::{Context, Poll};

use async_io::Async;
use bytes::BytesMut;
use net_core::driver::Transport;
use net_core::{ConnectionInfo, KeepAliveSettings};
use socket2::{SockRef, TcpKeepalive};

/// connect(2) on a non-blocking Unix socket, at once: `Ok(None)` if it would block (a full
/// backlog), for the caller to connect asynchronously instead.
pub(crate) fn connect_unix_now(path: &std::path::Path) -> io::Result<Option<UnixStream>> {
    let sock = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None)?;
    sock.set_nonblocking(true)?;
    match sock.connect(&socket2::SockAddr::unix(path)?) {
        Ok(()) => Ok(Some(sock.into())),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
        Err(e) => Err(e),
    }
}

/// A connected stream.
#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(Async<TcpStream>),
    Unix(Async<UnixStream>),
}

impl Stream {
    fn sock_ref(&self) -> SockRef<'_> {
        match self {
            Self::Tcp(s) => SockRef::from(s.get_ref()),
            Self::Unix(s) => SockRef::from(s.get_ref()),
        }
    }

    pub(crate) fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Self::Tcp(s) => s.poll_readable(cx),
            Self::Unix(s) => s.poll_readable(cx),
        }
    }

    pub(crate) fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Self::Tcp(s) => s.poll_writable(cx),
            Self::Unix(s) => s.poll_writable(cx),
        }
    }

    /// Both ends' addresses (none for Unix sockets, as in Node).
    pub(crate) fn info(&self) -> ConnectionInfo {
        match self {
            Self::Tcp(s) => {
                ConnectionInfo { local: s.get_ref().local_addr().ok(), remote: s.get_ref().peer_addr().ok() }
            }
            Self::Unix(_) => ConnectionInfo::ipc(),
        }
    }

    /// The local address (`getsockname`); none for a Unix socket.
    pub(crate) fn local_addr(&self) -> Option<std::net::SocketAddr> {
        match self {
            Self::Tcp(s) => s.get_ref().local_addr().ok(),
            Self::Unix(_) => None,
        }
    }
}

impl Transport for Stream {
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        // async-io put the socket in non-blocking mode: this answers WouldBlock when full.
        // One slice goes out with write(2): writev(2) costs the kernel more per call (a 64-byte
        // Unix ping-pong spent about a fifth more server CPU with writev; scripts/profile-echo.sh).
        match (self, bufs) {
            (Self::Tcp(s), [one]) => s.get_ref().write(one),
            (Self::Unix(s), [one]) => s.get_ref().write(one),
            (Self::Tcp(s), _) => s.get_ref().write_vectored(bufs),
            (Self::Unix(s), _) => s.get_ref().write_vectored(bufs),
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
            Self::Tcp(s) => s.get_ref().read(buf),
            Self::Unix(s) => s.get_ref().read(buf),
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
        if matches!(self, Self::Unix(_)) {
            return Ok(());
        }
        let sock = self.sock_ref();
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
}
