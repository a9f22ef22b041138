//! The simulated kernel: Linux's loopback semantics for stream sockets, in memory, with no clock
//! of its own (every call is told the time) and no wakers (the caller wakes whoever waits).
//!
//! Connections are pairs of one-way pipes. What the kernel does, as Linux does on loopback:
//! each direction holds at most a window of bytes (send and receive buffers together); closing
//! with unread bytes, or after [`Kernel::set_reset_on_close`], sends RST; the first write to a
//! closed TCP peer is taken and the next fails with EPIPE; a Unix socket fails at once. Bytes
//! may be given an arrival time (latency): they are readable from then on, in order.
//!
//! It is the project's one simulated kernel: net-sim's runtime (`net_sim::SimRt`),
//! net-conformance's event-loop harness and the core's own [`Pair`](super::Pair) run on it.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::time::Instant;

// The simulated kernel answers with the errnos of the platform's own.
use libc::{ECONNRESET, EPIPE};

/// Bytes one direction of a connection holds by default (send and receive buffers together).
/// Linux on loopback takes about 4 MiB into an idle connection; scenarios see it (a 1 MiB write
/// queued while connecting is flushed whole inside `connect`, so `drain` comes before `ready`).
pub const PIPE_CAPACITY: usize = 4 * 1024 * 1024;

/// Of the bytes in flight, those in the receiver's queue: they survive the sender's RST. Linux
/// loopback's default receive buffer (tcp_rmem 131072) less its overhead; scenario
/// rst/reset-mid-transfer-by-writer shows Node reading exactly this much after a reset.
pub const RECEIVE_QUEUE: usize = 128_000;

/// A connection's handle in the [`Kernel`].
pub type ConnId = usize;

/// One end of a connection: `0` connected, `1` accepted.
pub type Side = usize;

#[derive(Debug, Default)]
struct Pipe {
    /// Sent and not read yet, arrived or not.
    buf: VecDeque<u8>,
    /// Stream offset of `buf[0]`.
    head: u64,
    /// Stream offset up to which bytes have certainly arrived.
    arrived: u64,
    /// Later arrivals, in order: bytes up to the offset are readable from the instant.
    arrivals: VecDeque<(u64, Instant)>,
    /// The sender shut down its side (FIN), readable from this instant (after its bytes).
    fin: Option<Instant>,
    /// The sender closed with RST.
    rst: bool,
}

impl Pipe {
    fn end(&self) -> u64 {
        self.head + self.buf.len() as u64
    }

    /// Stream offset up to which bytes are readable at `now`.
    fn arrived_at(&self, now: Instant) -> u64 {
        self.arrivals.iter().take_while(|(_, at)| *at <= now).last().map_or(self.arrived, |(end, _)| *end)
    }

    fn settle(&mut self, now: Instant) {
        while let Some(&(end, at)) = self.arrivals.front() {
            if at > now {
                break;
            }
            self.arrived = end;
            self.arrivals.pop_front();
        }
    }

    fn readable_bytes(&self, now: Instant) -> usize {
        (self.arrived_at(now) - self.head) as usize
    }

    /// Every byte sent has arrived.
    fn all_arrived(&self, now: Instant) -> bool {
        self.arrived_at(now) == self.end()
    }

    fn fin_arrived(&self, now: Instant) -> bool {
        self.fin.is_some_and(|at| at <= now) && self.all_arrived(now)
    }

    fn push(&mut self, bytes: &[u8], at: Instant, now: Instant) {
        self.buf.extend(bytes);
        let end = self.end();
        let last = self.arrivals.back().map(|(_, t)| *t);
        if at <= now && last.is_none() {
            self.arrived = end;
        } else {
            // Bytes never overtake those sent before them.
            let at = last.map_or(at, |l| l.max(at));
            self.arrivals.push_back((end, at));
        }
    }

    /// The latest arrival scheduled (what a FIN must not overtake).
    fn last_arrival(&self) -> Option<Instant> {
        self.arrivals.back().map(|(_, t)| *t)
    }

    fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
        let end = self.end();
        self.arrived = self.arrived.min(end);
        for (e, _) in &mut self.arrivals {
            *e = (*e).min(end);
        }
    }

    fn clear(&mut self) {
        self.truncate(0);
        self.arrivals.clear();
    }
}

/// A connection: `pipes[i]` carries what side `i` sent.
#[derive(Debug)]
struct Conn {
    pipes: [Pipe; 2],
    open: [bool; 2],
    reset_on_close: [bool; 2],
    /// The peer was closed and answered one write with RST: the next write fails.
    peer_reset_seen: [bool; 2],
    /// A Unix-domain connection: writing to a closed peer fails at once (EPIPE), with no RST.
    ipc: bool,
    /// Bytes one direction holds.
    window: usize,
    /// The network reset the connection ([`Kernel::reset`]).
    broken: bool,
}

/// Every connection the simulated machine has.
#[derive(Debug, Default)]
pub struct Kernel {
    conns: Vec<Conn>,
}

impl Kernel {
    /// A new connection, both ends open, each direction holding at most `window` bytes.
    pub fn open(&mut self, ipc: bool, window: usize) -> ConnId {
        self.conns.push(Conn {
            pipes: Default::default(),
            open: [true, true],
            reset_on_close: [false; 2],
            peer_reset_seen: [false; 2],
            ipc,
            window: window.max(1),
            broken: false,
        });
        self.conns.len() - 1
    }

    /// Change how many bytes each direction of `conn` holds (from now on; what is in flight stays).
    pub fn set_window(&mut self, conn: ConnId, window: usize) {
        self.conns[conn].window = window.max(1);
    }

    /// Whether `side` of `conn` is still open (not closed by its owner).
    pub fn is_open(&self, conn: ConnId, side: Side) -> bool {
        self.conns[conn].open[side]
    }

    /// close(2) on `side`: FIN, or RST if the peer's bytes were left unread or a reset was asked.
    pub fn close(&mut self, conn: ConnId, side: Side, now: Instant) {
        let c = &mut self.conns[conn];
        if !c.open[side] {
            return;
        }
        c.open[side] = false;
        if c.broken {
            // Nothing more goes out of a reset connection: no FIN turns the peer's pending
            // ECONNRESET into an EOF.
            return;
        }
        let peer = 1 - side;
        let unread = !c.pipes[peer].buf.is_empty();
        if c.reset_on_close[side] || unread {
            // On loopback what was sent already sits in the peer's receive queue: it reads those
            // bytes, then ECONNRESET (found by the differential test against real sockets). What
            // still waited in our send queue is dropped with it.
            c.pipes[side].truncate(RECEIVE_QUEUE);
            c.pipes[side].rst = true;
        } else if c.pipes[side].fin.is_none() {
            let at = c.pipes[side].last_arrival().map_or(now, |t| t.max(now));
            c.pipes[side].fin = Some(at);
        }
        c.pipes[peer].clear();
    }

    /// The network reset the connection: both ends see ECONNRESET, whatever was in flight is
    /// lost.
    pub fn reset(&mut self, conn: ConnId) {
        let c = &mut self.conns[conn];
        c.broken = true;
        for p in &mut c.pipes {
            p.clear();
            p.rst = true;
            p.fin = None;
        }
    }

    /// Whether a read on `side` would not block at `now` (bytes, EOF or an error).
    pub fn readable(&self, conn: ConnId, side: Side, now: Instant) -> bool {
        let p = &self.conns[conn].pipes[1 - side];
        p.readable_bytes(now) > 0 || p.rst || p.fin_arrived(now)
    }

    /// Bytes `side` could read at `now`.
    pub fn readable_bytes(&self, conn: ConnId, side: Side, now: Instant) -> usize {
        self.conns[conn].pipes[1 - side].readable_bytes(now)
    }

    /// Whether a write on `side` would not block.
    pub fn writable(&self, conn: ConnId, side: Side) -> bool {
        let c = &self.conns[conn];
        !c.open[1 - side] || c.pipes[1 - side].rst || c.pipes[side].buf.len() < c.window
    }

    /// The earliest instant after `now` at which something sent becomes readable.
    pub fn next_arrival(&self, now: Instant) -> Option<Instant> {
        self.conns
            .iter()
            .flat_map(|c| &c.pipes)
            .flat_map(|p| p.arrivals.iter().map(|(_, t)| *t).chain(p.fin))
            .filter(|t| *t > now)
            .min()
    }

    /// The connections with bytes or a FIN arriving in `(after, now]`.
    pub fn arrived_between(&self, after: Instant, now: Instant) -> Vec<(ConnId, Side)> {
        let mut out = Vec::new();
        for (id, c) in self.conns.iter().enumerate() {
            for (side, p) in c.pipes.iter().enumerate() {
                let due = |t: &Instant| *t > after && *t <= now;
                if p.arrivals.iter().any(|(_, t)| due(t)) || p.fin.as_ref().is_some_and(due) {
                    out.push((id, 1 - side));
                }
            }
        }
        out
    }

    /// write(2) on `side`: the bytes arrive at `at` (no earlier than those before them); at most
    /// `max` bytes are taken in this call.
    pub fn write(
        &mut self,
        conn: ConnId,
        side: Side,
        bufs: &[IoSlice<'_>],
        now: Instant,
        at: Instant,
        max: usize,
    ) -> io::Result<usize> {
        let c = &mut self.conns[conn];
        let peer = 1 - side;
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if c.broken {
            // The reset is reported once (by this write or a read before it), then EPIPE.
            let errno = if c.pipes[peer].rst { ECONNRESET } else { EPIPE };
            c.pipes[peer].rst = false;
            return Err(io::Error::from_raw_os_error(errno));
        }
        if c.ipc && !c.open[peer] {
            // A Unix socket checks the peer's shutdown before any pending error.
            return Err(io::Error::from_raw_os_error(EPIPE));
        }
        if c.pipes[peer].rst {
            let errno = if c.pipes[peer].fin.is_some() { EPIPE } else { ECONNRESET };
            return Err(io::Error::from_raw_os_error(errno));
        }
        if !c.open[peer] {
            if c.ipc || c.peer_reset_seen[side] {
                return Err(io::Error::from_raw_os_error(EPIPE));
            }
            c.peer_reset_seen[side] = true;
            return Ok(total);
        }
        let room = c.window.saturating_sub(c.pipes[side].buf.len()).min(max);
        if room == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let mut taken = 0;
        for b in bufs {
            let n = b.len().min(room - taken);
            c.pipes[side].push(&b[..n], at, now);
            taken += n;
            if taken == room {
                break;
            }
        }
        Ok(taken)
    }

    /// read(2) on `side`, of at most `max` bytes: `Ok(0)` is EOF.
    pub fn read(
        &mut self,
        conn: ConnId,
        side: Side,
        buf: &mut [u8],
        now: Instant,
        max: usize,
    ) -> io::Result<usize> {
        let ipc = self.conns[conn].ipc;
        let pipe = &mut self.conns[conn].pipes[1 - side];
        pipe.settle(now);
        let ready = pipe.readable_bytes(now);
        if ready > 0 {
            let n = buf.len().min(ready).min(max);
            for (dst, src) in buf.iter_mut().zip(pipe.buf.drain(..n)) {
                *dst = src;
            }
            pipe.head += n as u64;
            return Ok(n);
        }
        // On TCP an RST after the peer's FIN does not read as a reset: Linux (tcp_reset in
        // CLOSE_WAIT) ends the connection and reads see EOF. A Unix socket reports the reset
        // (unix_release_sock sets ECONNRESET, which reads check before the shutdown).
        if pipe.rst && (pipe.fin.is_none() || ipc) && pipe.all_arrived(now) {
            pipe.rst = false;
            return Err(io::Error::from_raw_os_error(ECONNRESET));
        }
        if pipe.fin_arrived(now) { Ok(0) } else { Err(io::ErrorKind::WouldBlock.into()) }
    }

    /// shutdown(SHUT_WR) on `side`: the FIN follows the bytes sent before it.
    pub fn shutdown(&mut self, conn: ConnId, side: Side, at: Instant) {
        let p = &mut self.conns[conn].pipes[side];
        if p.fin.is_none() {
            p.fin = Some(p.last_arrival().map_or(at, |t| t.max(at)));
        }
    }

    /// `SO_LINGER` 0: the coming close sends RST.
    pub fn set_reset_on_close(&mut self, conn: ConnId, side: Side) {
        self.conns[conn].reset_on_close[side] = true;
    }

    /// Whether `side` was reset (by the peer's RST or the network) before reading anything.
    pub fn was_reset(&self, conn: ConnId, side: Side) -> bool {
        self.conns[conn].pipes[1 - side].rst
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn w(k: &mut Kernel, c: ConnId, side: Side, data: &[u8], now: Instant, at: Instant) -> io::Result<usize> {
        k.write(c, side, &[IoSlice::new(data)], now, at, usize::MAX)
    }

    #[test]
    fn bytes_arrive_in_order_at_their_time() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut k = Kernel::default();
        let c = k.open(false, 16);
        w(&mut k, c, 0, b"ab", t0, ms(10)).unwrap();
        // Sent later with less latency: it still waits for the bytes before it.
        w(&mut k, c, 0, b"cd", ms(1), ms(2)).unwrap();
        k.shutdown(c, 0, ms(1));
        let mut buf = [0; 8];
        assert!(!k.readable(c, 1, ms(9)));
        assert_eq!(k.read(c, 1, &mut buf, ms(9), 8).unwrap_err().kind(), io::ErrorKind::WouldBlock);
        assert_eq!(k.next_arrival(ms(9)), Some(ms(10)));
        assert_eq!(k.arrived_between(ms(9), ms(10)), vec![(c, 1)]);
        assert_eq!(k.read(c, 1, &mut buf, ms(10), 3).unwrap(), 3);
        assert_eq!(&buf[..3], b"abc");
        assert_eq!(k.read(c, 1, &mut buf, ms(10), 8).unwrap(), 1);
        assert_eq!(k.read(c, 1, &mut buf, ms(10), 8).unwrap(), 0, "the FIN came after the bytes");
    }

    #[test]
    fn a_full_window_blocks_and_a_read_makes_room() {
        let t0 = Instant::now();
        let mut k = Kernel::default();
        let c = k.open(false, 4);
        assert_eq!(w(&mut k, c, 0, b"abcdef", t0, t0).unwrap(), 4);
        assert!(!k.writable(c, 0));
        assert_eq!(w(&mut k, c, 0, b"ef", t0, t0).unwrap_err().kind(), io::ErrorKind::WouldBlock);
        let mut buf = [0; 2];
        k.read(c, 1, &mut buf, t0, 2).unwrap();
        assert!(k.writable(c, 0));
    }

    #[test]
    fn closing_with_unread_bytes_resets_the_peer_after_its_queue() {
        let t0 = Instant::now();
        let mut k = Kernel::default();
        let c = k.open(false, 64);
        w(&mut k, c, 0, b"hi", t0, t0).unwrap();
        w(&mut k, c, 1, b"unread", t0, t0).unwrap();
        k.close(c, 0, t0);
        let mut buf = [0; 8];
        assert_eq!(k.read(c, 1, &mut buf, t0, 8).unwrap(), 2);
        assert_eq!(k.read(c, 1, &mut buf, t0, 8).unwrap_err().raw_os_error(), Some(ECONNRESET));
    }

    #[test]
    fn a_network_reset_fails_both_ends() {
        let t0 = Instant::now();
        let mut k = Kernel::default();
        let c = k.open(false, 64);
        w(&mut k, c, 0, b"lost", t0, t0).unwrap();
        k.reset(c);
        let mut buf = [0; 8];
        assert!(k.readable(c, 1, t0) && k.readable(c, 0, t0));
        assert_eq!(k.read(c, 1, &mut buf, t0, 8).unwrap_err().raw_os_error(), Some(ECONNRESET));
        assert_eq!(w(&mut k, c, 1, b"x", t0, t0).unwrap_err().raw_os_error(), Some(EPIPE), "reported once");
        assert_eq!(w(&mut k, c, 0, b"x", t0, t0).unwrap_err().raw_os_error(), Some(ECONNRESET));
    }

    /// Found by the line-protocol property test: the end whose write met the reset closes, and
    /// its close must not send a FIN that turns the other end's ECONNRESET into an EOF.
    #[test]
    fn closing_a_reset_connection_sends_no_fin() {
        let t0 = Instant::now();
        let mut k = Kernel::default();
        let c = k.open(false, 64);
        k.reset(c);
        k.close(c, 1, t0);
        let mut buf = [0; 8];
        assert_eq!(k.read(c, 0, &mut buf, t0, 8).unwrap_err().raw_os_error(), Some(ECONNRESET));
    }
}
