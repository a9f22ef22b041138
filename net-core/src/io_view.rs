//! The io-trait view of a socket (`AsyncRead` / `AsyncWrite`), decided once for every backend.
//!
//! Two sets of users read the same socket. The event API keeps Node's semantics; a user who
//! takes the io-trait view expects what a `TcpStream` does, and these functions say what that
//! is in the core's terms, so that each backend only registers wakers and returns the answer:
//!
//! * **Half-close**: reading through `AsyncRead` turns `allowHalfOpen` on ([`take_read_view`]):
//!   the peer's EOF is only EOF, and our side stays writable until the user shuts it down, as a
//!   `TcpStream` does. (Node's automatic `end()` there would fail a reply written after EOF.)
//! * **Flush and shutdown report failures**: a socket that failed or was destroyed before its
//!   bytes went out answers with the error, never `Ok` ([`poll_flush`], [`poll_shutdown`]).
//! * **Errors** are `io::Error`s of the nearest [`io::ErrorKind`] with the [`NetError`] inside
//!   ([`crate::ErrorCode::io_kind`]).
//! * **Dropping the last handle** is `destroySoon()` ([`last_handle_dropped`]): queued bytes are
//!   flushed, the FIN follows, and the socket closes without waiting for the peer.

use std::io;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::error::NetError;
use crate::socket::Socket;

/// The user reads through `AsyncRead`: from now on the socket half-closes as a `TcpStream` does
/// (the peer's EOF does not end our side). Idempotent.
pub fn take_read_view(sock: &mut Socket) {
    sock.set_events_unobserved();
    if !sock.allow_half_open() {
        sock.set_allow_half_open(true);
    }
}

/// Why bytes handed to the socket may not have gone out: the error it was destroyed with, or
/// `ERR_STREAM_DESTROYED` if it was destroyed before its writable side finished. `None` while
/// the socket lives (unless a write already failed), and after a clean close.
pub fn write_failure(sock: &Socket) -> Option<io::Error> {
    if !sock.destroyed() {
        // A write the kernel refused in the call errors the socket at once; the destroy follows.
        return sock.errored().map(|e| e.clone().into());
    }
    match sock.errored() {
        Some(e) => Some(e.clone().into()),
        None if sock.writable_finished() => None,
        None => Some(NetError::stream_destroyed().into()),
    }
}

/// `poll_flush`: ready once every byte written went to the kernel; the failure if the socket
/// failed or was destroyed first. `Pending` means: register for write progress and poll again.
pub fn poll_flush(sock: &Socket) -> Poll<io::Result<()>> {
    if let Some(e) = write_failure(sock) {
        return Poll::Ready(Err(e));
    }
    if sock.writable_length() == 0 { Poll::Ready(Ok(())) } else { Poll::Pending }
}

/// `poll_shutdown`: `end()` (once), then ready when the FIN is out (`finish`); the failure if
/// the socket failed or was destroyed first. The caller carries out the core's outputs after
/// it, as after any command.
pub fn poll_shutdown(sock: &mut Socket) -> Poll<io::Result<()>> {
    // A shutdown through the io traits waits for no event to be handled (the FIN of a socket
    // still connecting goes out once connected, whether or not anyone pulls `connect`).
    sock.set_events_unobserved();
    if let Some(e) = write_failure(sock) {
        return Poll::Ready(Err(e));
    }
    if sock.writable_finished() {
        return Poll::Ready(Ok(()));
    }
    if sock.destroyed() {
        // Destroyed cleanly without a FIN of ours: nothing was lost, but nothing will finish.
        return Poll::Ready(Err(NetError::stream_destroyed().into()));
    }
    if !sock.writable_ended() {
        sock.end();
    }
    Poll::Pending
}

/// The last user handle of a socket was dropped: Node's `destroySoon()`. Queued bytes still go
/// out, then the FIN, then the socket closes (its descriptor is released and its server's count
/// drops) without waiting for the peer's FIN. Nobody will pull events any more, so Node's
/// next-tick work runs now. The caller carries out the core's outputs and keeps driving the
/// socket (timers, writability) until it is destroyed.
pub fn last_handle_dropped(sock: &mut Socket, now: Instant) {
    if sock.destroyed() {
        return;
    }
    sock.set_now(now);
    sock.set_events_unobserved();
    sock.destroy_soon();
    sock.handled(now);
}

/// Awaiting what `write(data)` answered (Rust's habit beside Node's boolean): `Ok(len)` at once
/// if the write was under the high-water mark (`accepted`), else once the queue drained below
/// it (Node's `drain`) or the socket closed cleanly; the failure if the socket failed or was
/// destroyed before its bytes went out (a write after `end()` included). `Pending` means:
/// register for write progress and poll again.
///
/// `refused`: the socket was not writable when the write was made (after `end()`, or destroyed):
/// the bytes were dropped, and the answer is the reason even after a clean close.
pub fn poll_write_done(sock: &Socket, accepted: bool, refused: bool, len: usize) -> Poll<io::Result<usize>> {
    if refused {
        let why = match sock.errored() {
            Some(e) => e.clone(),
            None if sock.writable_ended() => NetError::write_after_end(),
            None => NetError::stream_destroyed(),
        };
        return Poll::Ready(Err(why.into()));
    }
    if let Some(e) = write_failure(sock) {
        return Poll::Ready(Err(e));
    }
    if accepted || !sock.drain_owed() || sock.destroyed() { Poll::Ready(Ok(len)) } else { Poll::Pending }
}

/// The io-trait reader's read straight into its own buffer, when
/// [`Socket::can_read_direct`] allows it: `read` reads from the kernel; the outcome is fed to the
/// core. `Some(n)`: `n > 0` bytes are in the reader's buffer. `None`: nothing was read (the
/// kernel had nothing, or the read found EOF or an error, now queued as the core's events): take
/// the event path, which reports them and registers for readability.
pub fn read_direct(
    sock: &mut Socket,
    now: Instant,
    read: impl FnOnce() -> io::Result<usize>,
) -> Option<usize> {
    match read() {
        Ok(0) => {
            sock.handle_io(now, crate::IoInput::ReadEof);
            None
        }
        Ok(n) => {
            sock.read_direct(now, n);
            Some(n)
        }
        Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => None,
        Err(e) => {
            sock.handle_io(now, crate::IoInput::Failed(NetError::from_io(&e, "read")));
            None
        }
    }
}

/// A backend socket whose task can wait for a write's outcome ([`Write`]'s future).
pub trait WaitWrite {
    /// [`poll_write_done`] on the socket's core, registering `cx`'s waker for write progress
    /// when it is `Pending`.
    fn poll_write_done(
        &self,
        cx: &mut Context<'_>,
        accepted: bool,
        refused: bool,
        len: usize,
    ) -> Poll<io::Result<usize>>;
}

/// What `socket.write(data)` answered. The bytes are already queued (and offered to the
/// kernel), as in Node, whatever is done with this value.
///
/// * Node's boolean: `!socket.write(data)` (true when the queue is at or above the high-water
///   mark: wait for `drain`), [`Write::accepted`], or `bool::from`.
/// * Rust's habit: `socket.write(data).await` gives `Ok(len)` once there is room again (at once
///   when there already is), or the error the socket failed with, so a loop of awaited writes
///   keeps to the high-water mark. It serves a user who reached for `AsyncWriteExt::write` too.
#[derive(Debug)]
pub struct Write<'a, S> {
    socket: &'a S,
    accepted: bool,
    refused: bool,
    len: usize,
}

impl<'a, S> Write<'a, S> {
    /// The answer to a write of `len` bytes on `socket`; `accepted` is Node's boolean, `refused`
    /// says the socket was not writable (the bytes were dropped).
    pub fn new(socket: &'a S, accepted: bool, refused: bool, len: usize) -> Self {
        Self { socket, accepted, refused, len }
    }

    /// Node's return value: `false` once the queue reached the high-water mark.
    pub fn accepted(&self) -> bool {
        self.accepted
    }
}

impl<S> std::ops::Not for Write<'_, S> {
    type Output = bool;

    /// `if !socket.write(data) { socket.drained().await }`, as in Node.
    fn not(self) -> bool {
        !self.accepted
    }
}

impl<S> From<Write<'_, S>> for bool {
    fn from(w: Write<'_, S>) -> Self {
        w.accepted
    }
}

impl<'a, S: WaitWrite> IntoFuture for Write<'a, S> {
    type Output = io::Result<usize>;
    type IntoFuture = WriteDone<'a, S>;

    fn into_future(self) -> WriteDone<'a, S> {
        WriteDone(self)
    }
}

/// The future of an awaited [`Write`].
#[derive(Debug)]
pub struct WriteDone<'a, S>(Write<'a, S>);

impl<S: WaitWrite> Future for WriteDone<'_, S> {
    type Output = io::Result<usize>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let w = &self.0;
        w.socket.poll_write_done(cx, w.accepted, w.refused, w.len)
    }
}

/// Whether the tasks waiting to write (`drained()`, `poll_write`, `poll_flush`,
/// `poll_shutdown`) should look again: there is room, `drain` is not owed, everything went
/// out, the FIN is out, or the socket is gone.
pub fn write_waiters_may_proceed(sock: &Socket) -> bool {
    sock.write_waiters_may_proceed() || sock.writable_length() == 0 || sock.writable_finished()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::SocketOptions;
    use crate::{ConnectionInfo, IoInput, SocketAction, SocketEvent};

    fn connected() -> (Socket, Instant) {
        let t = Instant::now();
        let mut s = Socket::new(SocketOptions::default(), t);
        s.connect(crate::Endpoint::Tcp("127.0.0.1:9".parse().unwrap())).unwrap();
        s.tick(t);
        while s.poll_action().is_some() {}
        s.handle_io(
            t,
            IoInput::Connected(ConnectionInfo {
                local: Some("127.0.0.1:5000".parse().unwrap()),
                remote: Some("127.0.0.1:9".parse().unwrap()),
            }),
        );
        while s.poll_event().is_some() {}
        (s, t)
    }

    #[test]
    fn flush_waits_for_the_kernel_then_reports_ok() {
        let (mut s, t) = connected();
        let _ = s.write("abc".into());
        assert!(poll_flush(&s).is_pending());
        s.handle_io(t, IoInput::Written(3));
        assert!(matches!(poll_flush(&s), Poll::Ready(Ok(()))));
    }

    #[test]
    fn flush_and_shutdown_report_the_error_the_socket_died_of() {
        let (mut s, t) = connected();
        let _ = s.write("abc".into());
        s.handle_io(t, IoInput::Failed(NetError::syscall(crate::ErrorCode::ECONNRESET, "write")));
        let Poll::Ready(Err(e)) = poll_flush(&s) else { panic!("flush must fail") };
        assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
        let Poll::Ready(Err(e)) = poll_shutdown(&mut s) else { panic!("shutdown must fail") };
        assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
    }

    #[test]
    fn flush_after_a_plain_destroy_with_bytes_queued_is_a_broken_pipe() {
        let (mut s, _) = connected();
        let _ = s.write("abc".into());
        s.destroy();
        let Poll::Ready(Err(e)) = poll_flush(&s) else { panic!("flush must fail") };
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn shutdown_ends_once_and_is_ready_when_the_fin_is_out() {
        let (mut s, t) = connected();
        assert!(poll_shutdown(&mut s).is_pending());
        assert!(poll_shutdown(&mut s).is_pending(), "a second poll does not end twice");
        s.tick(t);
        assert_eq!(s.poll_action(), Some(SocketAction::ShutdownWrite));
        s.handle_io(t, IoInput::ShutdownDone);
        assert!(matches!(poll_shutdown(&mut s), Poll::Ready(Ok(()))));
        assert!(s.poll_event().is_some_and(|e| e == SocketEvent::Prefinish || e == SocketEvent::Finish));
    }

    #[test]
    fn the_read_view_keeps_our_side_open_after_the_peers_eof() {
        let (mut s, t) = connected();
        take_read_view(&mut s);
        s.handle_io(t, IoInput::ReadEof);
        while s.poll_event().is_some() {}
        s.handled(t);
        assert!(!s.writable_ended(), "no automatic end() in the read view");
        let _ = s.write("reply after EOF".into());
        assert!(!s.destroyed());
        assert_eq!(s.writable_length(), "reply after EOF".len());
    }

    #[test]
    fn without_the_read_view_nodes_automatic_end_follows_the_peers_eof() {
        let (mut s, t) = connected();
        s.handle_io(t, IoInput::ReadEof);
        while s.poll_event().is_some() {}
        s.handled(t);
        assert!(s.writable_ended());
    }

    #[test]
    fn a_refused_write_is_an_error_even_after_a_clean_close() {
        let (mut s, t) = connected();
        // Both FINs: a clean close, nothing lost so far.
        s.end();
        s.tick(t);
        while s.poll_action().is_some() {}
        s.handle_io(t, IoInput::ShutdownDone);
        s.handle_io(t, IoInput::ReadEof);
        while s.poll_event().is_some() {}
        assert!(s.destroyed() && s.errored().is_none() && write_failure(&s).is_none());
        let refused = !s.writable();
        let _ = s.write("late".into());
        let Poll::Ready(Err(e)) = poll_write_done(&s, false, refused, 4) else {
            panic!("a dropped write is an error")
        };
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        assert!(
            matches!(poll_write_done(&s, true, false, 4), Poll::Ready(Ok(4))),
            "an earlier accepted write stands"
        );
    }

    #[test]
    fn a_direct_read_counts_like_data_and_waits_for_whatever_is_queued() {
        let (mut s, t) = connected();
        assert!(s.can_read_direct());
        assert_eq!(read_direct(&mut s, t, || Ok(10)), Some(10));
        assert_eq!(s.bytes_read(), 10);
        assert!(s.poll_event().is_none(), "no data event for bytes the reader has");
        s.handle_io(t, IoInput::Read("queued".into()));
        assert!(!s.can_read_direct(), "a queued data event goes first");
        while s.poll_event().is_some() {}
        assert!(s.can_read_direct());
        s.pause();
        assert!(!s.can_read_direct(), "paused: bytes are held, not read");
        s.resume();
        while s.poll_event().is_some() {}
        assert_eq!(read_direct(&mut s, t, || Err(io::ErrorKind::WouldBlock.into())), None);
        assert_eq!(read_direct(&mut s, t, || Ok(0)), None);
        assert_eq!(s.poll_event(), Some(SocketEvent::End), "EOF comes as the event path's end");
    }

    #[test]
    fn a_direct_read_error_destroys_with_nodes_read_error() {
        let (mut s, t) = connected();
        assert_eq!(read_direct(&mut s, t, || Err(io::ErrorKind::ConnectionReset.into())), None);
        assert!(s.destroyed());
        assert_eq!(s.errored().map(|e| e.code()), Some("ECONNRESET"));
    }

    #[test]
    fn dropping_the_last_handle_ends_then_closes_without_waiting_for_the_peer() {
        let (mut s, t) = connected();
        let _ = s.write("abc".into());
        last_handle_dropped(&mut s, t);
        assert!(!s.destroyed(), "queued bytes go out first");
        s.handle_io(t, IoInput::Written(3));
        s.tick(t);
        let mut saw_shutdown = false;
        while let Some(a) = s.poll_action() {
            saw_shutdown |= a == SocketAction::ShutdownWrite;
        }
        assert!(saw_shutdown);
        s.handle_io(t, IoInput::ShutdownDone);
        assert!(s.destroyed(), "closed once the FIN is out, the peer's FIN not awaited");
    }
}
