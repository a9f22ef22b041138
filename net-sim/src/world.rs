//! Everything the simulated machine holds besides its tasks: the clock, the seed's generator,
//! the kernel, the listeners and their accept queues, the DNS table, the faults, the timers,
//! and who waits on what. Every change that can unblock someone queues their waker in
//! [`World::woken`], woken by the caller once the lock is released.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::task::Waker;
use std::time::{Duration, Instant};

use net_core::ConnectionInfo;

use crate::faults::Faults;
use crate::kernel::{ConnId, Kernel, Side};
use crate::listeners::{ListenerId, Listeners};
use crate::rng::Rng;

/// A connection the kernel completed, waiting for `accept()`.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) conn: ConnId,
    /// The accepted end's view of the addresses.
    pub(crate) info: ConnectionInfo,
}

#[derive(Debug, Default)]
pub(crate) struct AcceptQueue {
    pub(crate) pending: VecDeque<Pending>,
    pub(crate) waker: Option<Waker>,
}

/// A stream end as the reactor sees it: the readiness it reported, and who waits for more.
#[derive(Debug, Default)]
pub(crate) struct IoWaiters {
    pub(crate) read: Option<Waker>,
    pub(crate) write: Option<Waker>,
    /// Readable, as of the reactor's last turn, and not used up since ([`net_async::Stream`]'s
    /// rule: a `WouldBlock` or a short read uses it up).
    pub(crate) readable: bool,
    pub(crate) writable: bool,
}

pub(crate) struct World {
    pub(crate) start: Instant,
    pub(crate) elapsed: Duration,
    pub(crate) rng: Rng,
    pub(crate) kernel: Kernel,
    pub(crate) listeners: Listeners,
    pub(crate) queues: BTreeMap<ListenerId, AcceptQueue>,
    pub(crate) dns: BTreeMap<String, Vec<IpAddr>>,
    pub(crate) faults: Faults,
    pub(crate) refused: BTreeSet<SocketAddr>,
    pub(crate) black_holed: BTreeSet<SocketAddr>,
    pub(crate) timers: BTreeMap<(Instant, u64), Option<Waker>>,
    pub(crate) next_timer: u64,
    pub(crate) io: BTreeMap<(ConnId, Side), IoWaiters>,
    /// Open streams and listeners.
    pub(crate) descriptors: usize,
    /// Streams open per connection end, for [`World::reset_all`].
    pub(crate) open_ends: BTreeSet<(ConnId, Side)>,
    /// Wakers to wake, and replaced ones to drop, once the lock is released (a waker may run
    /// code that takes it again).
    pub(crate) woken: Vec<Waker>,
    pub(crate) dropped: Vec<Waker>,
}

impl World {
    pub(crate) fn new(seed: u64) -> Self {
        let mut dns = BTreeMap::new();
        dns.insert("localhost".to_owned(), vec![IpAddr::from([127, 0, 0, 1])]);
        Self {
            start: Instant::now(),
            elapsed: Duration::ZERO,
            rng: Rng::new(seed),
            kernel: Kernel::default(),
            listeners: Listeners::default(),
            queues: BTreeMap::new(),
            dns,
            faults: Faults::default(),
            refused: BTreeSet::new(),
            black_holed: BTreeSet::new(),
            timers: BTreeMap::new(),
            next_timer: 0,
            io: BTreeMap::new(),
            descriptors: 0,
            open_ends: BTreeSet::new(),
            woken: Vec::new(),
            dropped: Vec::new(),
        }
    }

    pub(crate) fn now(&self) -> Instant {
        self.start + self.elapsed
    }

    /// A latency drawn from the faults.
    pub(crate) fn latency(&mut self) -> Duration {
        let (lo, hi) = self.faults.latency;
        if hi.is_zero() { Duration::ZERO } else { self.rng.between(lo, hi) }
    }

    /// The most a read or write may move now (`max`: the fault's bound, if any).
    pub(crate) fn chunk(&mut self, max: Option<usize>) -> usize {
        max.map_or(usize::MAX, |m| self.rng.size(m))
    }

    /// One more descriptor, or EMFILE.
    pub(crate) fn take_descriptor(&mut self) -> io::Result<()> {
        if self.faults.max_descriptors.is_some_and(|max| self.descriptors >= max) {
            return Err(io::Error::from_raw_os_error(libc::EMFILE));
        }
        self.descriptors += 1;
        Ok(())
    }

    pub(crate) fn wake(&mut self, w: Option<Waker>) {
        self.woken.extend(w);
    }

    /// A read or write on `side` used up the readiness the reactor reported.
    pub(crate) fn used_up(&mut self, conn: ConnId, side: Side, read: bool) {
        let w = self.io.entry((conn, side)).or_default();
        if read {
            w.readable = false;
        } else {
            w.writable = false;
        }
    }

    /// Whether the reactor reported `side` readable (`read`) or writable, and has not seen it
    /// used up since.
    pub(crate) fn ready(&self, conn: ConnId, side: Side, read: bool) -> bool {
        self.io.get(&(conn, side)).is_some_and(|w| if read { w.readable } else { w.writable })
    }

    /// The reactor polls the kernel: every open end readable or writable now is reported so,
    /// and whoever waited for it is woken.
    pub(crate) fn poll_readiness(&mut self) {
        let now = self.now();
        let ends: Vec<_> = self.open_ends.iter().copied().collect();
        for (conn, side) in ends {
            let readable = self.kernel.readable(conn, side, now);
            let writable = self.kernel.writable(conn, side);
            let w = self.io.entry((conn, side)).or_default();
            let mut woken = Vec::new();
            if readable && !w.readable {
                w.readable = true;
                woken.extend(w.read.take());
            }
            if writable && !w.writable {
                w.writable = true;
                woken.extend(w.write.take());
            }
            self.woken.extend(woken);
        }
    }

    /// Park `waker` to read (`read`) or write on `side`.
    pub(crate) fn park(&mut self, conn: ConnId, side: Side, read: bool, waker: &Waker) {
        let w = self.io.entry((conn, side)).or_default();
        let slot = if read { &mut w.read } else { &mut w.write };
        if !slot.as_ref().is_some_and(|old| old.will_wake(waker)) {
            if let Some(old) = slot.replace(waker.clone()) {
                self.dropped.push(old);
            }
        }
    }

    /// A stream end closed: its peer hears of it.
    pub(crate) fn close_end(&mut self, conn: ConnId, side: Side) {
        let now = self.now();
        self.kernel.close(conn, side, now);
        self.open_ends.remove(&(conn, side));
        if let Some(w) = self.io.remove(&(conn, side)) {
            self.dropped.extend(w.read);
            self.dropped.extend(w.write);
        }
    }

    /// The network resets `conn`.
    pub(crate) fn reset(&mut self, conn: ConnId) {
        self.kernel.reset(conn);
    }

    /// Every open connection is reset.
    pub(crate) fn reset_all(&mut self) {
        let conns: BTreeSet<ConnId> = self.open_ends.iter().map(|(c, _)| *c).collect();
        for c in conns {
            self.reset(c);
        }
    }

    /// The kernel completed a connection for listener `id`.
    pub(crate) fn enqueue(&mut self, id: ListenerId, pending: Pending) {
        let q = self.queues.entry(id).or_default();
        q.pending.push_back(pending);
        let w = q.waker.take();
        self.wake(w);
    }

    /// Listener `id` closed: what its queue held is reset.
    pub(crate) fn close_listener(&mut self, id: ListenerId) {
        self.listeners.close(id);
        if let Some(q) = self.queues.remove(&id) {
            self.dropped.extend(q.waker);
            for p in q.pending {
                self.kernel.set_reset_on_close(p.conn, 1);
                self.close_end(p.conn, 1);
            }
        }
    }

    /// Move the clock to `to`: timers due and bytes arriving wake their waiters.
    pub(crate) fn advance(&mut self, to: Instant) {
        let before = self.now();
        if to <= before {
            return;
        }
        self.elapsed = to - self.start;
        let due: Vec<_> = self.timers.range(..=(to, u64::MAX)).map(|(k, _)| *k).collect();
        for key in due {
            let w = self.timers.get_mut(&key).and_then(Option::take);
            self.wake(w);
        }
    }

    /// When something next happens with no task running: a timer or an arrival (which the
    /// reactor's next turn reports).
    pub(crate) fn next_instant(&self) -> Option<Instant> {
        let now = self.now();
        let timer = self.timers.iter().find(|(_, w)| w.is_some()).map(|((at, _), _)| *at);
        [timer, self.kernel.next_arrival(now)].into_iter().flatten().min()
    }
}
