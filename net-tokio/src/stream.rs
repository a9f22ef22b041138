//! One connected kernel socket, TCP or Unix, behind the few calls the driver needs.

use std::io::{self, IoSlice};
use std::net::Shutdown;

use bytes::{BufMut, BytesMut};
use net_core::driver::Transport;
use net_core::{ConnectionInfo, KeepAliveSettings};
use socket2::{SockRef, TcpKeepalive};
use tokio::io::Interest;
use tokio::net::{TcpStream, UnixStream};

/// connect(2) on a non-blocking Unix socket, at once: `Ok(None)` if it would block (a full
/// backlog), for the caller to connect asynchronously instead.
pub(crate) fn connect_unix_now(path: &std::path::Path) -> io::Result<Option<std::os::unix::net::UnixStream>> {
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

    pub(crate) fn poll_read_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<io::Result<()>> {
        match self {
            Self::Tcp(s) => s.poll_read_ready(cx),
            Self::Unix(s) => s.poll_read_ready(cx),
        }
    }

    pub(crate) fn poll_write_ready(
        &self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        match self {
            Self::Tcp(s) => s.poll_write_ready(cx),
            Self::Unix(s) => s.poll_write_ready(cx),
        }
    }

    /// Both ends' addresses (none for Unix sockets, as in Node).
    pub(crate) fn info(&self) -> ConnectionInfo {
        match self {
            Self::Tcp(s) => ConnectionInfo { local: s.local_addr().ok(), remote: s.peer_addr().ok() },
            Self::Unix(_) => ConnectionInfo::ipc(),
        }
    }

    /// Read straight into the io-trait reader's buffer (no zeroing; tokio's `ReadBuf` is a
    /// `BufMut`). A short read clears readiness, as in [`Transport::try_read_buf`].
    pub(crate) fn try_read_into(&self, out: &mut tokio::io::ReadBuf<'_>) -> io::Result<usize> {
        self.read_clearing_on_short(out)
    }

    /// Read into `buf`'s spare capacity, without zeroing it. A short read emptied the kernel's
    /// queue (a stream socket), so tokio is told the socket is no longer readable, as its own
    /// `poll_read` does: the next read then answers `WouldBlock` without the syscall that would
    /// say so. `try_io` clears only the readiness seen before the read, and keeps the peer's FIN,
    /// so no later bytes or EOF are missed.
    fn read_clearing_on_short<B: BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        let max = buf.remaining_mut();
        let mut short = None;
        let mut read = |r: io::Result<usize>| match r {
            Ok(n) if n > 0 && n < max => {
                short = Some(n);
                Err(io::ErrorKind::WouldBlock.into())
            }
            other => other,
        };
        let r = match self {
            Self::Tcp(s) => s.try_io(Interest::READABLE, || read(s.try_read_buf(buf))),
            Self::Unix(s) => s.try_io(Interest::READABLE, || read(s.try_read_buf(buf))),
        };
        short.map_or(r, Ok)
    }

    /// The local address (`getsockname`); none for a Unix socket.
    pub(crate) fn local_addr(&self) -> Option<std::net::SocketAddr> {
        match self {
            Self::Tcp(s) => s.local_addr().ok(),
            Self::Unix(_) => None,
        }
    }
}

impl Transport for Stream {
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Tcp(s) => s.try_read(buf),
            Self::Unix(s) => s.try_read(buf),
        }
    }

    /// Reads into the block's spare capacity, clearing readiness on a short read
    /// ([`Stream::read_clearing_on_short`]).
    fn try_read_buf(&self, buf: &mut BytesMut, max: usize) -> io::Result<usize> {
        self.read_clearing_on_short(&mut (&mut *buf).limit(max))
    }

    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        // One slice goes out with write(2): writev(2) costs the kernel more per call (a 64-byte
        // Unix ping-pong spent about a fifth more server CPU with writev; scripts/profile-echo.sh).
        match (self, bufs) {
            (Self::Tcp(s), [one]) => s.try_write(one),
            (Self::Unix(s), [one]) => s.try_write(one),
            (Self::Tcp(s), _) => s.try_write_vectored(bufs),
            (Self::Unix(s), _) => s.try_write_vectored(bufs),
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
            Self::Tcp(s) => s.set_nodelay(enable),
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
