//! `AsyncRead` / `AsyncWrite` on [`Socket`]: the same core, read through `data` events and
//! written with `write`. Written once here; tokio's and futures-io's traits are thin shells.

use std::io;
use std::mem::MaybeUninit;
use std::task::{Context, Poll};

use bytes::Bytes;
use net_core::{NetError, SocketEvent};

use crate::driver_task::{pump, pump_at};
use crate::runtime::{Runtime, Stream};
use crate::socket::{Socket, transmit};

impl<Rt: Runtime> Socket<Rt> {
    /// `AsyncRead::poll_read` into `out` (uninitialized room; `Ok(n)`: the first `n` bytes were
    /// written).
    fn poll_read_uninit(&self, cx: &mut Context<'_>, out: &mut [MaybeUninit<u8>]) -> Poll<io::Result<usize>> {
        {
            let mut inner = self.shared.lock();
            net_core::io_view::take_read_view(&mut inner.core);
            // Nothing waits to be handed out first: read from the kernel straight into the
            // caller's buffer, with no `data` event between (one copy, no allocation).
            if inner.pending_read.is_empty() && !out.is_empty() && inner.core.can_read_direct() {
                if let Some(stream) = inner.stream.clone() {
                    let ready = !inner.read_blocked
                        || stream
                            .poll_read_ready(&mut Context::from_waker(&self.shared.read_waker))
                            .is_ready();
                    if ready {
                        inner.read_blocked = false;
                        let now = self.shared.rt.now();
                        let max = out.len();
                        let mut blocked = false;
                        let got = net_core::io_view::read_direct(&mut inner.core, now, || {
                            let r = stream.try_read_uninit(out);
                            // As in `read_if_ready`: a short read (or WouldBlock) used up the readiness.
                            blocked = matches!(r, Ok(n) if n < max) || r.is_err();
                            r
                        });
                        inner.read_blocked = blocked;
                        if let Some(n) = got {
                            pump_at(&mut inner, &self.shared, now);
                            return Poll::Ready(Ok(n));
                        }
                    }
                }
            }
        }
        loop {
            {
                let mut inner = self.shared.lock();
                if !inner.pending_read.is_empty() {
                    let n = inner.pending_read.len().min(out.len());
                    let taken = inner.pending_read.split_to(n);
                    for (dst, src) in out.iter_mut().zip(taken.iter()) {
                        dst.write(*src);
                    }
                    return Poll::Ready(Ok(n));
                }
            }
            match self.poll_next_event(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(Ok(0)),
                Poll::Ready(Some(SocketEvent::Data(d))) => self.shared.lock().pending_read = d,
                Poll::Ready(Some(SocketEvent::End)) => {
                    // EOF for the reader, who may never poll again: run the owed next-tick work now.
                    let mut inner = self.shared.lock();
                    let now = self.shared.rt.now();
                    inner.core.handled(now);
                    pump(&mut inner, &self.shared);
                    return Poll::Ready(Ok(0));
                }
                Poll::Ready(Some(SocketEvent::Error(e))) => return Poll::Ready(Err(e.into())),
                Poll::Ready(Some(_)) => {}
            }
        }
    }

    /// `AsyncWrite::poll_write`.
    fn poll_write_bytes(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let mut inner = self.shared.lock();
        if inner.core.destroyed() {
            let err = inner.core.errored().cloned().unwrap_or_else(NetError::stream_destroyed);
            return Poll::Ready(Err(err.into()));
        }
        // Backpressure: accept bytes only while the queue is under the high-water mark.
        if !inner.core.has_write_room() {
            inner.write_waiters.register(cx.waker());
            return Poll::Pending;
        }
        let now = self.shared.rt.now();
        inner.core.set_now(now);
        let pending = inner.core.write(Bytes::copy_from_slice(buf));
        transmit(&mut inner, now);
        let _ = inner.core.settle(pending);
        if inner.core.destroyed() {
            // Refused (after end, or after the peer's end without half-open): the bytes are lost,
            // so the writer must hear it.
            let err = inner.core.errored().cloned().unwrap_or_else(NetError::stream_destroyed);
            pump(&mut inner, &self.shared);
            return Poll::Ready(Err(err.into()));
        }
        pump(&mut inner, &self.shared);
        Poll::Ready(Ok(buf.len()))
    }

    /// `AsyncWrite::poll_flush`.
    fn poll_flush_queue(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut inner = self.shared.lock();
        let ready = net_core::io_view::poll_flush(&inner.core);
        if ready.is_pending() {
            inner.write_waiters.register(cx.waker());
        }
        ready
    }

    /// Node's `end()`; ready once the FIN is out, or failed with what the socket died of.
    fn poll_end(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // `end()` (once) and its outputs first; registering before that pump would have the
        // pump wake this very task at once, and the task would spin until the FIN is out.
        let ready = self.with(|inner| net_core::io_view::poll_shutdown(&mut inner.core));
        if ready.is_ready() {
            return ready;
        }
        let mut inner = self.shared.lock();
        // Checked again under the lock that registers: a FIN that went out in between is seen.
        let ready = net_core::io_view::poll_shutdown(&mut inner.core);
        if ready.is_pending() {
            inner.write_waiters.register(cx.waker());
        }
        ready
    }
}

#[cfg(feature = "tokio")]
mod tokio_io {
    use std::pin::Pin;

    use super::*;

    impl<Rt: Runtime> tokio::io::AsyncRead for Socket<Rt> {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            out: &mut tokio::io::ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            // SAFETY: `poll_read_uninit` only writes initialized bytes into the unfilled part
            // (never de-initializes it), and reports how many it wrote at its start.
            let room = unsafe { out.unfilled_mut() };
            let n = std::task::ready!(self.poll_read_uninit(cx, room))?;
            // SAFETY: the first `n` unfilled bytes were just written (see `poll_read_uninit`).
            unsafe { out.assume_init(n) };
            out.advance(n);
            Poll::Ready(Ok(()))
        }
    }

    impl<Rt: Runtime> tokio::io::AsyncWrite for Socket<Rt> {
        fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            self.poll_write_bytes(cx, buf)
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.poll_flush_queue(cx)
        }

        /// Node's `end()`; ready once the FIN is out, or failed with what the socket died of.
        fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.poll_end(cx)
        }
    }
}

#[cfg(feature = "futures-io")]
mod futures_io_impls {
    use std::pin::Pin;

    use super::*;

    impl<Rt: Runtime> futures_io::AsyncRead for Socket<Rt> {
        fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut [u8]) -> Poll<io::Result<usize>> {
            // SAFETY: `&mut [u8]` and `&mut [MaybeUninit<u8>]` have the same layout, and
            // `poll_read_uninit` only writes initialized bytes, so `out` stays initialized.
            let room = unsafe { &mut *(std::ptr::from_mut::<[u8]>(out) as *mut [MaybeUninit<u8>]) };
            self.poll_read_uninit(cx, room)
        }
    }

    impl<Rt: Runtime> futures_io::AsyncWrite for Socket<Rt> {
        fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            self.poll_write_bytes(cx, buf)
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.poll_flush_queue(cx)
        }

        /// Node's `end()`; ready once the FIN is out, or failed with what the socket died of.
        fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.poll_end(cx)
        }
    }
}
