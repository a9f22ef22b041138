//! [`driver::Interest`]: a backend whose driver task sleeps until a command makes its interest
//! stale must behave exactly like one that gives the driver a turn after every command.
//!
//! Two copies of one socket take the same random sequence of user commands and kernel inputs.
//! The eager copy's driver takes a turn after every command (what the tokio and smol backends
//! did before `Interest`); the lazy copy's driver takes one only when the command left jobs or
//! made its interest stale, and between turns it sees only what it waits for: readability if it
//! waited to read, room if it waited to write, its own deadline. Both must hand the user the same
//! events and put the same bytes on the wire.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use net_core::driver::{self, Interest, Transport};
use net_core::sim::describe;
use net_core::{ConnectionInfo, Endpoint, IoInput, KeepAliveSettings, Socket, SocketAction, SocketOptions};
use proptest::prelude::*;

/// One side of a kernel socket: room for writes, bytes that arrived, the peer's FIN.
#[derive(Default)]
struct Kernel {
    room: usize,
    wire: Vec<u8>,
    incoming: VecDeque<u8>,
    eof: bool,
    shut: bool,
}

struct Io(RefCell<Kernel>);

impl Transport for Io {
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut k = self.0.borrow_mut();
        if k.room == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let mut n = 0;
        for b in bufs {
            let take = b.len().min(k.room - n);
            k.wire.extend_from_slice(&b[..take]);
            n += take;
            if n == k.room {
                break;
            }
        }
        k.room -= n;
        Ok(n)
    }
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let mut k = self.0.borrow_mut();
        if k.incoming.is_empty() {
            return if k.eof { Ok(0) } else { Err(io::ErrorKind::WouldBlock.into()) };
        }
        let n = buf.len().min(k.incoming.len());
        for (slot, b) in buf.iter_mut().zip(k.incoming.drain(..n)) {
            *slot = b;
        }
        Ok(n)
    }
    fn shutdown_write(&self) -> io::Result<()> {
        self.0.borrow_mut().shut = true;
        Ok(())
    }
    fn set_reset_on_close(&self) -> io::Result<()> {
        Ok(())
    }
    fn set_no_delay(&self, _: bool) -> io::Result<()> {
        Ok(())
    }
    fn set_keep_alive(&self, _: KeepAliveSettings) -> io::Result<()> {
        Ok(())
    }
}

#[derive(Debug, Clone)]
enum Op {
    Write(usize),
    End,
    Destroy,
    DestroySoon,
    Pause,
    Resume,
    SetTimeout(u64),
    /// The user pulls every pending event (and so runs the core's deferred work).
    Poll,
    /// The kernel frees this much room for writes.
    Room(usize),
    /// Bytes arrive from the peer.
    Arrive(usize),
    PeerEof,
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1usize..3000).prop_map(Op::Write),
        1 => Just(Op::End),
        1 => Just(Op::Destroy),
        1 => Just(Op::DestroySoon),
        1 => Just(Op::Pause),
        1 => Just(Op::Resume),
        1 => (0u64..50).prop_map(Op::SetTimeout),
        4 => Just(Op::Poll),
        3 => (0usize..5000).prop_map(Op::Room),
        3 => (1usize..3000).prop_map(Op::Arrive),
        1 => Just(Op::PeerEof),
        2 => (1u64..40).prop_map(Op::Advance),
    ]
}

struct Side {
    sock: Socket,
    io: Io,
    open: bool,
    /// `None` for the eager driver; for the lazy one, what its task waits for.
    waiting: Option<Interest>,
    /// A connect the driver owes the core an answer for.
    connecting: bool,
    events: Vec<String>,
    /// The driver task saw the socket destroyed and closed, and ended (releasing the socket).
    finished: bool,
}

impl Side {
    fn new(client: bool, lazy: bool, hwm: usize, now: Instant) -> Self {
        let opts = SocketOptions {
            readable_high_water_mark: hwm,
            writable_high_water_mark: hwm,
            ..Default::default()
        };
        let local: SocketAddr = "127.0.0.1:1000".parse().unwrap();
        let remote: SocketAddr = "127.0.0.1:2000".parse().unwrap();
        let mut sock = if client {
            let mut s = Socket::new(opts, now);
            s.connect(Endpoint::Tcp(remote)).unwrap();
            s
        } else {
            Socket::accepted(opts, ConnectionInfo::tcp(local, remote), false, now)
        };
        sock.tick(now);
        let mut side = Self {
            sock,
            io: Io(RefCell::new(Kernel { room: 4096, ..Kernel::default() })),
            open: true,
            waiting: lazy.then(Interest::default),
            connecting: false,
            events: Vec::new(),
            finished: false,
        };
        side.turn(now);
        side
    }

    fn pump(&mut self, now: Instant, tick: bool) -> Vec<SocketAction> {
        let io = self.open.then_some(&self.io);
        let out = if tick {
            driver::pump(&mut self.sock, io, now)
        } else {
            driver::pump_command(&mut self.sock, io, now)
        };
        if out.close {
            self.open = false;
        }
        out.jobs
    }

    /// The driver task's turn: take in what it waited for, carry out everything, wait again.
    fn turn(&mut self, now: Instant) {
        for _ in 0..100 {
            let (read, write, due) =
                (self.sock.wants_read(), self.sock.wants_write(), self.sock.poll_timeout());
            let mut progress = false;
            if self.connecting {
                self.connecting = false;
                let info =
                    ConnectionInfo::tcp("127.0.0.1:1000".parse().unwrap(), "127.0.0.1:2000".parse().unwrap());
                self.sock.handle_io(now, IoInput::Connected(info));
                progress = true;
            }
            if self.open && read && {
                let k = self.io.0.borrow();
                !k.incoming.is_empty() || k.eof
            } {
                let mut buf = driver::ReadBuf::default();
                driver::read_ready(&mut self.sock, &self.io, &mut buf, now);
                progress = true;
            }
            if self.open && write && self.io.0.borrow().room > 0 {
                driver::transmit(&mut self.sock, &self.io, now);
                progress = true;
            }
            if due.is_some_and(|at| at <= now) {
                self.sock.handle_timeout(now);
                progress = true;
            }
            let jobs = self.pump(now, true);
            self.take_jobs(jobs);
            // The pump may have made the socket want what it did not (reading starts once
            // `ready` is out): a backend registering that interest finds the kernel's readiness
            // at once, so the turn goes on.
            if (self.sock.wants_read(), self.sock.wants_write()) != (read, write) {
                progress = true;
            }
            if self.waiting.is_some() {
                self.waiting = Some(Interest::of(&self.sock));
            }
            self.finished = self.sock.destroyed() && !self.open;
            if !progress && !self.connecting {
                return;
            }
        }
        panic!("the driver never settles");
    }

    fn take_jobs(&mut self, jobs: Vec<SocketAction>) {
        for job in jobs {
            match job {
                SocketAction::Connect { .. } => self.connecting = true,
                SocketAction::CancelConnect => self.connecting = false,
                other => panic!("unexpected job {other:?}"),
            }
        }
    }

    /// After a user's command: carry out what needs no waiting, then wake the driver if it must.
    fn after_command(&mut self, now: Instant) {
        let jobs = self.pump(now, false);
        let wake = !jobs.is_empty() || self.waiting.is_none_or(|w| w.stale(&self.sock));
        self.take_jobs(jobs);
        if wake {
            self.turn(now);
        }
    }

    /// A kernel input: the lazy driver wakes only for what it waits on.
    fn kernel_changed(&mut self, now: Instant) {
        let k = self.io.0.borrow();
        let readable = !k.incoming.is_empty() || k.eof;
        // The lazy task is registered for what it saw on its last turn.
        let wake = self.waiting.is_none_or(|w| (w.reads() && readable) || (w.writes() && k.room > 0));
        drop(k);
        if wake {
            self.turn(now);
        }
    }

    fn apply(&mut self, op: &Op, now: Instant) {
        // Every backend dates a user's command by its clock (`Socket::set_now`).
        if !matches!(op, Op::Room(_) | Op::Arrive(_) | Op::PeerEof | Op::Advance(_)) {
            self.sock.set_now(now);
        }
        match op {
            Op::Write(n) => {
                let p = self.sock.write(Bytes::from(vec![b'w'; *n]));
                if self.open {
                    driver::transmit(&mut self.sock, &self.io, now);
                }
                let _ = self.sock.settle(p);
                self.after_command(now);
            }
            Op::End => {
                self.sock.end();
                self.after_command(now);
            }
            Op::Destroy => {
                self.sock.destroy();
                self.after_command(now);
            }
            Op::DestroySoon => {
                self.sock.destroy_soon();
                self.after_command(now);
            }
            Op::Pause => {
                self.sock.pause();
                self.after_command(now);
            }
            Op::Resume => {
                self.sock.resume();
                self.after_command(now);
            }
            Op::SetTimeout(ms) => {
                self.sock.set_timeout(now, Duration::from_millis(*ms));
                self.after_command(now);
            }
            Op::Poll => {
                while let Some(ev) = self.sock.poll_event() {
                    self.events.push(describe(&ev));
                    self.after_command(now);
                }
                self.sock.handled(now);
                self.after_command(now);
            }
            Op::Room(n) => {
                self.io.0.borrow_mut().room += n;
                self.kernel_changed(now);
            }
            Op::Arrive(n) => {
                self.io.0.borrow_mut().incoming.extend(std::iter::repeat_n(b'a', *n));
                self.kernel_changed(now);
            }
            Op::PeerEof => {
                self.io.0.borrow_mut().eof = true;
                self.kernel_changed(now);
            }
            Op::Advance(_) => {
                // The eager task's timer is always the socket's; the lazy one's is the deadline
                // it last saw, which may be earlier (a spurious turn) but never later. A fired
                // timer is handed to the core whether or not anything is due, as the backends do.
                let timer = match self.waiting {
                    None => self.sock.poll_timeout(),
                    Some(w) => w.deadline(),
                };
                if timer.is_some_and(|at| at <= now) {
                    self.sock.handle_timeout(now);
                    self.turn(now);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn a_lazy_driver_behaves_like_an_eager_one(
        client in any::<bool>(),
        hwm in prop_oneof![Just(16usize), Just(4096), Just(65536)],
        ops in prop::collection::vec(op(), 1..60),
    ) {
        let start = Instant::now();
        let mut now = start;
        let mut eager = Side::new(client, false, hwm, now);
        let mut lazy = Side::new(client, true, hwm, now);
        for op in &ops {
            if let Op::Advance(ms) = op {
                now += Duration::from_millis(*ms);
            }
            eager.apply(op, now);
            lazy.apply(op, now);
            prop_assert_eq!(&eager.events, &lazy.events, "events after {:?}", op);
            prop_assert_eq!(&eager.io.0.borrow().wire, &lazy.io.0.borrow().wire, "wire after {:?}", op);
            prop_assert_eq!(eager.io.0.borrow().shut, lazy.io.0.borrow().shut, "FIN after {:?}", op);
            prop_assert_eq!(eager.open, lazy.open, "descriptor open after {:?}", op);
            prop_assert_eq!(eager.finished, lazy.finished, "driver task ended after {:?}", op);
        }
    }
}
