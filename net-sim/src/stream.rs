//! The simulated kernel's objects as the async layer sees them: a stream end
//! ([`net_async::Stream`]), a listener ([`net_async::Listener`]) and a timer.

use std::future::Future;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use net_async::{Listener, Stream};
use net_core::driver::Transport;
use net_core::{ConnectionInfo, KeepAliveSettings};

use crate::kernel::{ConnId, Side};
use crate::listeners::ListenerId;
use crate::runtime::SimRt;

/// One end of a simulated connection. Dropping it closes the end (FIN, or RST as Linux
/// decides).
pub struct SimStream {
    rt: SimRt,
    conn: ConnId,
    side: Side,
    info: ConnectionInfo,
}

impl std::fmt::Debug for SimStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimStream")
            .field("conn", &self.conn)
            .field("side", &self.side)
            .field("info", &self.info)
            .finish()
    }
}

impl SimStream {
    /// `side` of `conn`, which already holds its descriptor.
    pub(crate) fn new(rt: SimRt, conn: ConnId, side: Side, info: ConnectionInfo) -> Self {
        Self { rt, conn, side, info }
    }

    pub(crate) fn conn(&self) -> ConnId {
        self.conn
    }
}

impl Drop for SimStream {
    fn drop(&mut self) {
        let (conn, side) = (self.conn, self.side);
        self.rt.with_world(|w| {
            w.close_end(conn, side);
            w.descriptors -= 1;
        });
    }
}

impl Transport for SimStream {
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let (conn, side) = (self.conn, self.side);
        self.rt.with_world(|w| {
            let now = w.now();
            if w.kernel.is_open(conn, 1 - side)
                && !w.kernel.was_reset(conn, side)
                && w.rng.chance(w.faults.reset)
            {
                w.reset(conn);
                return Err(io::Error::from_raw_os_error(libc::ECONNRESET));
            }
            let at = now + w.latency();
            let max = w.chunk(w.faults.max_write);
            let r = w.kernel.write(conn, side, bufs, now, at, max);
            if r.as_ref().is_err_and(|e| e.kind() == io::ErrorKind::WouldBlock) {
                w.used_up(conn, side, false);
            }
            r
        })
    }

    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let (conn, side) = (self.conn, self.side);
        self.rt.with_world(|w| {
            let now = w.now();
            let max = w.chunk(w.faults.max_read);
            let r = w.kernel.read(conn, side, buf, now, max);
            let short = match &r {
                Ok(n) => *n > 0 && *n < buf.len(),
                Err(e) => e.kind() == io::ErrorKind::WouldBlock,
            };
            if short {
                // A chunked read may leave bytes: the reactor's next turn reports them again.
                w.used_up(conn, side, true);
            }
            r
        })
    }

    fn shutdown_write(&self) -> io::Result<()> {
        let (conn, side) = (self.conn, self.side);
        self.rt.with_world(|w| {
            let at = w.now() + w.latency();
            w.kernel.shutdown(conn, side, at);
        });
        Ok(())
    }

    fn set_reset_on_close(&self) -> io::Result<()> {
        let (conn, side) = (self.conn, self.side);
        self.rt.with_world(|w| w.kernel.set_reset_on_close(conn, side));
        Ok(())
    }

    fn set_no_delay(&self, _: bool) -> io::Result<()> {
        Ok(())
    }

    fn set_keep_alive(&self, _: KeepAliveSettings) -> io::Result<()> {
        Ok(())
    }

    /// The simulated kernel carries no IP header; the core answers `getTypeOfService` itself.
    fn set_type_of_service(&self, _: u8) -> io::Result<()> {
        Ok(())
    }
}

impl Stream for SimStream {
    /// Ready once the reactor's turn found the end readable, until a `WouldBlock` or short read
    /// used that up (the trait's rule), as an edge-triggered reactor reports it.
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let (conn, side) = (self.conn, self.side);
        self.rt.with_world(|w| {
            if w.ready(conn, side, true) {
                return Poll::Ready(Ok(()));
            }
            w.park(conn, side, true, cx.waker());
            Poll::Pending
        })
    }

    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let (conn, side) = (self.conn, self.side);
        self.rt.with_world(|w| {
            if w.ready(conn, side, false) {
                return Poll::Ready(Ok(()));
            }
            w.park(conn, side, false, cx.waker());
            Poll::Pending
        })
    }

    fn try_read_uninit(&self, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
        // The simulator forbids unsafe code: read into initialized memory and copy.
        let mut tmp = vec![0; buf.len().min(64 * 1024)];
        let n = self.try_read(&mut tmp)?;
        for (dst, src) in buf.iter_mut().zip(&tmp[..n]) {
            dst.write(*src);
        }
        Ok(n)
    }

    fn info(&self) -> ConnectionInfo {
        self.info
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        self.info.local
    }
}

/// A simulated listening socket. Dropping it stops listening; connections it had not accepted
/// are reset.
pub struct SimListener {
    rt: SimRt,
    id: ListenerId,
}

impl std::fmt::Debug for SimListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimListener").field("id", &self.id).finish()
    }
}

impl SimListener {
    pub(crate) fn new(rt: SimRt, id: ListenerId) -> Self {
        Self { rt, id }
    }
}

impl Drop for SimListener {
    fn drop(&mut self) {
        let id = self.id;
        self.rt.with_world(|w| {
            w.close_listener(id);
            w.descriptors -= 1;
        });
    }
}

impl Listener for SimListener {
    type Stream = SimStream;

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(SimStream, Option<SocketAddr>)>> {
        let id = self.id;
        let accepted = self.rt.with_world(|w| {
            let q = w.queues.entry(id).or_default();
            if q.pending.is_empty() {
                if let Some(old) = q.waker.replace(cx.waker().clone()) {
                    w.dropped.push(old);
                }
                return None;
            }
            if let Err(e) = w.take_descriptor() {
                return Some(Err(e));
            }
            let p = w.queues.get_mut(&id).and_then(|q| q.pending.pop_front()).expect("checked above");
            Some(Ok(p))
        });
        match accepted {
            None => Poll::Pending,
            Some(Err(e)) => Poll::Ready(Err(e)),
            Some(Ok(p)) => {
                let peer = p.info.remote;
                Poll::Ready(Ok((SimStream::new(self.rt.clone(), p.conn, 1, p.info), peer)))
            }
        }
    }
}

/// A timer on the virtual clock.
pub struct SimTimer {
    rt: SimRt,
    at: Instant,
    /// The entry in the world's timers while a waker is parked.
    key: Option<(Instant, u64)>,
}

impl std::fmt::Debug for SimTimer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimTimer").field("at", &self.at).finish_non_exhaustive()
    }
}

impl SimTimer {
    pub(crate) fn new(rt: SimRt, at: Instant) -> Self {
        Self { rt, at, key: None }
    }

    pub(crate) fn reset(&mut self, at: Instant) {
        self.unpark();
        self.at = at;
    }

    fn unpark(&mut self) {
        if let Some(key) = self.key.take() {
            self.rt.with_world(|w| {
                if let Some(Some(old)) = w.timers.remove(&key) {
                    w.dropped.push(old);
                }
            });
        }
    }
}

impl Future for SimTimer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let (at, key) = (this.at, this.key);
        let key = this.rt.with_world(|w| {
            if w.now() >= at {
                if let Some(key) = key {
                    if let Some(Some(old)) = w.timers.remove(&key) {
                        w.dropped.push(old);
                    }
                }
                return None;
            }
            let key = key.unwrap_or_else(|| {
                w.next_timer += 1;
                (at, w.next_timer)
            });
            if let Some(Some(old)) = w.timers.insert(key, Some(cx.waker().clone())) {
                w.dropped.push(old);
            }
            Some(key)
        });
        this.key = key;
        if key.is_some() { Poll::Pending } else { Poll::Ready(()) }
    }
}

impl Drop for SimTimer {
    fn drop(&mut self) {
        self.unpark();
    }
}
