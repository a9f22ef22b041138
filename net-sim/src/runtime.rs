//! [`Sim`], the simulation a test owns, and [`SimRt`], the [`Runtime`] its sockets run on.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use net_async::{BoxFuture, Runtime};
use net_core::{ConnectionInfo, Endpoint, ListenOptions, NetError, driver};

use crate::executor::{MAIN, Ready, Tasks, waker};
use crate::faults::{Faults, SYN_TIMEOUT};
use crate::kernel::ConnId;
use crate::stream::{SimListener, SimStream, SimTimer};
use crate::world::{Pending, World};

pub(crate) struct Inner {
    world: Mutex<World>,
    /// Wake-ups the kernel and the clock caused, handed to their tasks only when no task can
    /// run: a reactor reports readiness when its loop polls for it (libuv's poll phase, tokio's
    /// and async-io's reactor turn), not inside the task that changed the kernel.
    reactor: Mutex<Vec<Waker>>,
    ready: Arc<Mutex<Ready>>,
    tasks: Mutex<Tasks>,
}

/// The simulator as a [`Runtime`]: a handle to one [`Sim`]. Sockets, servers and spawned tasks
/// made inside [`Sim::block_on`] run on it.
#[derive(Clone)]
pub struct SimRt(Arc<Inner>);

impl fmt::Debug for SimRt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimRt").field("elapsed", &self.elapsed()).finish_non_exhaustive()
    }
}

thread_local! {
    static CURRENT: RefCell<Option<SimRt>> = const { RefCell::new(None) };
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl SimRt {
    /// Run `f` on the world; whoever it unblocked is woken at the reactor's next turn.
    pub(crate) fn with_world<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let (r, woken, dropped) = {
            let mut w = lock(&self.0.world);
            let r = f(&mut w);
            (r, std::mem::take(&mut w.woken), std::mem::take(&mut w.dropped))
        };
        // Outside the world's lock: dropping a waker may drop a socket, which takes it.
        drop(dropped);
        if !woken.is_empty() {
            lock(&self.0.reactor).extend(woken);
        }
        r
    }

    /// The reactor's turn: wake everyone the kernel and the clock unblocked; whether anyone was.
    fn reactor_turn(&self) -> bool {
        self.with_world(World::poll_readiness);
        let woken = std::mem::take(&mut *lock(&self.0.reactor));
        let any = !woken.is_empty();
        for w in woken {
            w.wake();
        }
        any
    }

    /// Virtual time since the simulation began.
    pub fn elapsed(&self) -> Duration {
        lock(&self.0.world).elapsed
    }

    /// Set the faults drawn from now on ([`Sim::set_faults`], from inside the simulation).
    pub fn set_faults(&self, faults: Faults) {
        self.with_world(|w| w.faults = faults);
    }

    /// Reset every open connection now ([`Sim::reset_all`], from inside the simulation).
    pub fn reset_all(&self) {
        self.with_world(World::reset_all);
    }

    /// Wait for the reactor's next turn (what a readiness wait costs on a real kernel).
    pub(crate) fn next_turn(&self) -> impl Future<Output = ()> + Send + 'static {
        let rt = self.clone();
        let mut parked = false;
        std::future::poll_fn(move |cx| {
            if std::mem::replace(&mut parked, true) {
                return Poll::Ready(());
            }
            lock(&rt.0.reactor).push(cx.waker().clone());
            Poll::Pending
        })
    }

    /// Wait `d` of virtual time.
    pub async fn sleep(&self, d: Duration) {
        let at = self.now() + d;
        self.timer(at).await;
    }

    /// `value` at `at`, or at the next turn (a blocking pool's answer comes through the loop).
    fn delayed<T: Send + 'static>(&self, at: Instant, value: T) -> impl Future<Output = T> + Send + 'static {
        let timer = (at > self.now()).then(|| self.timer(at));
        let turn = self.next_turn();
        async move {
            match timer {
                Some(t) => t.await,
                None => turn.await,
            }
            value
        }
    }

    /// A connection the kernel completes at once: the accepted end is queued on listener `id`.
    fn open_conn(w: &mut World, id: usize, ipc: bool, server: ConnectionInfo) -> ConnId {
        let window = w.faults.window;
        let conn = w.kernel.open(ipc, window);
        w.open_ends.insert((conn, 0));
        w.open_ends.insert((conn, 1));
        w.enqueue(id, Pending { conn, info: server });
        conn
    }
}

/// What a TCP connect meets when its SYN leaves.
enum Outcome {
    Fail(io::Error),
    Unanswered,
    Reaches,
}

impl Runtime for SimRt {
    type Stream = SimStream;
    type Listener = SimListener;
    type IpcStarted = SimStream;
    type Timer = SimTimer;
    /// The simulated reactor reports between task polls, as tokio's does when a worker parks.
    const WAKES_AT_YIELD_POINTS: bool = true;

    fn try_current() -> Option<Self> {
        CURRENT.with(|c| c.borrow().clone())
    }

    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        let id = lock(&self.0.tasks).insert(Box::pin(task), &self.0.ready);
        lock(&self.0.ready).push(id);
    }

    fn now(&self) -> Instant {
        lock(&self.0.world).now()
    }

    fn timer(&self, at: Instant) -> SimTimer {
        SimTimer::new(self.clone(), at)
    }

    fn reset_timer(&self, timer: &mut SimTimer, at: Instant) {
        timer.reset(at);
    }

    fn lookup(&self, host: String) -> BoxFuture<io::Result<Vec<SocketAddr>>> {
        let (at, found) = self.with_world(|w| {
            let found = match host.parse::<IpAddr>() {
                Ok(ip) => Ok(vec![ip]),
                Err(_) => w.dns.get(&host.to_ascii_lowercase()).cloned().ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("{host}: not in the simulation's DNS table"),
                    )
                }),
            };
            (w.now() + w.latency(), found)
        });
        let found = found.map(|ips| ips.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect());
        Box::pin(self.delayed(at, found))
    }

    fn connect_tcp(&self, to: SocketAddr, local: Option<SocketAddr>) -> BoxFuture<io::Result<SimStream>> {
        let rt = self.clone();
        // The connect(2) is made now, not at the first poll (as the OS runtime's): a connect
        // begun inside `connect()` reaches the listener as Node's does.
        let (outcome, rtt) = rt.with_world(|w| {
            if let Err(e) = w.take_descriptor() {
                return (Outcome::Fail(e), Duration::ZERO);
            }
            let outcome = if local.is_some_and(|l| l.port() != 0 && w.listeners.port_in_use(l)) {
                // Binding a port a listener holds fails (SO_REUSEADDR does not share it).
                Outcome::Fail(driver::BindFailed::wrap(io::Error::from_raw_os_error(libc::EADDRINUSE)))
            } else if w.black_holed.contains(&to) || w.rng.chance(w.faults.black_hole) {
                Outcome::Unanswered
            } else if w.refused.contains(&to) || w.rng.chance(w.faults.refuse) {
                Outcome::Fail(io::Error::from_raw_os_error(libc::ECONNREFUSED))
            } else {
                Outcome::Reaches
            };
            if matches!(outcome, Outcome::Fail(_)) {
                w.descriptors -= 1;
            }
            (outcome, w.latency() + w.latency())
        });
        let connect = {
            let rt = rt.clone();
            move || {
                let made = rt.with_world(|w| {
                    let target = Endpoint::Tcp(to);
                    let Some(id) = w.listeners.find(&target) else {
                        return Err(io::Error::from_raw_os_error(w.listeners.refused(&target)));
                    };
                    let (client, server) = w.listeners.tcp_ends(id, to, local);
                    let conn = Self::open_conn(w, id, false, server);
                    Ok((conn, client))
                });
                made.map(|(conn, info)| SimStream::new(rt.clone(), conn, 0, info))
            }
        };
        // On loopback (no latency) the handshake is done inside connect(2).
        let made_now = (matches!(outcome, Outcome::Reaches) && rtt.is_zero()).then(connect.clone());
        Box::pin(async move {
            let fail = |e| {
                rt.with_world(|w| w.descriptors -= 1);
                Err(e)
            };
            match outcome {
                Outcome::Fail(e) => return Err(e),
                Outcome::Unanswered => {
                    rt.sleep(SYN_TIMEOUT).await;
                    return fail(io::Error::from_raw_os_error(libc::ETIMEDOUT));
                }
                Outcome::Reaches => {}
            }
            // The SYN, and its answer, travel; the outcome is reported at the reactor's next
            // turn.
            let made = match made_now {
                Some(made) => made,
                None => {
                    rt.sleep(rtt).await;
                    connect()
                }
            };
            rt.next_turn().await;
            made.or_else(fail)
        })
    }

    fn start_ipc_connect(&self, path: &Path) -> io::Result<Option<SimStream>> {
        let made = self.with_world(|w| {
            let target = Endpoint::Ipc(path.to_path_buf());
            let Some(id) = w.listeners.find(&target) else {
                return Err(io::Error::from_raw_os_error(w.listeners.refused(&target)));
            };
            w.take_descriptor()?;
            Ok(Self::open_conn(w, id, true, ConnectionInfo::ipc()))
        })?;
        Ok(Some(SimStream::new(self.clone(), made, 0, ConnectionInfo::ipc())))
    }

    /// The listener may have closed before accepting: the connection was reset (ECONNRESET, as
    /// Linux reports it in SO_ERROR).
    fn finish_ipc_connect(&self, started: SimStream) -> BoxFuture<io::Result<SimStream>> {
        let rt = self.clone();
        Box::pin(async move {
            rt.next_turn().await;
            let reset = rt.with_world(|w| w.kernel.was_reset(started.conn(), 0));
            if reset { Err(io::Error::from_raw_os_error(libc::ECONNRESET)) } else { Ok(started) }
        })
    }

    fn connect_ipc(&self, path: PathBuf) -> BoxFuture<io::Result<SimStream>> {
        let started = self.start_ipc_connect(&path);
        let rt = self.clone();
        Box::pin(async move {
            match started? {
                Some(s) => rt.finish_ipc_connect(s).await,
                None => unreachable!("a simulated backlog is never full"),
            }
        })
    }

    fn listen(&self, at: &Endpoint, opts: &ListenOptions) -> Result<(SimListener, Endpoint), NetError> {
        let (id, ep) = self.with_world(|w| {
            w.take_descriptor().map_err(|e| {
                let code = net_core::ErrorCode::from_io(&e);
                match at {
                    Endpoint::Tcp(a) => NetError::listen(code, *a),
                    Endpoint::Ipc(p) => NetError::listen_path(code, &p.display().to_string()),
                }
            })?;
            // The simulated file system has every directory.
            let r = w.listeners.listen(at, opts, |_| false);
            if r.is_err() {
                w.descriptors -= 1;
            }
            r
        })?;
        Ok((SimListener::new(self.clone(), id), ep))
    }
}

/// Which woken task runs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Drawn from the seed: each seed is one interleaving. What a multi-threaded runtime may
    /// do; code that is right under every seed does not depend on the order tasks run in.
    Random,
    /// In the order they were woken, as a single-threaded tokio or smol executor runs them.
    Fifo,
}

/// Keeps a [`Sim`] current on the thread ([`Sim::enter`]); the one before comes back on drop.
#[derive(Debug)]
pub struct EnterGuard(Option<SimRt>);

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// Why [`Sim::block_on`] gave up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimError {
    /// No task can run, no timer is set and nothing is in flight: the future can never finish.
    Deadlock {
        /// Virtual time when it stopped.
        elapsed: Duration,
    },
    /// Virtual time reached [`Sim::set_time_limit`].
    TimeLimit {
        /// The limit.
        elapsed: Duration,
    },
    /// Tasks kept waking each other without time passing, beyond [`Sim::set_poll_limit`].
    Livelock {
        /// Task polls made.
        polls: u64,
    },
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Deadlock { elapsed } => write!(f, "simulation deadlocked at {elapsed:?}: nothing can run"),
            Self::TimeLimit { elapsed } => write!(f, "simulation reached its time limit of {elapsed:?}"),
            Self::Livelock { polls } => write!(f, "simulation made {polls} polls without settling"),
        }
    }
}

impl std::error::Error for SimError {}

/// A deterministic simulation: a virtual clock, a seeded scheduler and a simulated kernel
/// with Linux's loopback semantics (TCP and Unix sockets), a DNS table and [`Faults`].
///
/// Code written against `net_async::Socket<Rt>` for any `Rt: Runtime` runs on it unchanged
/// ([`SimRt`], also `net_sim::Rt`). Everything that happens is a function of the seed: the order
/// woken tasks run in, the latencies, chunk sizes and faults drawn. Time only moves when no task
/// can run: it jumps to the next timer or arrival, so an hour of timeouts takes microseconds.
pub struct Sim {
    rt: SimRt,
    schedule: Schedule,
    time_limit: Duration,
    poll_limit: u64,
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sim").field("rt", &self.rt).finish_non_exhaustive()
    }
}

impl Sim {
    /// A simulation whose every choice is drawn from `seed`. No faults; `localhost` resolves
    /// to `127.0.0.1` (as on the machine the project's Node traces were recorded on).
    ///
    /// The thread's shared read buffer (whose state sets how much the next read is offered)
    /// starts fresh: run simulations one after another on a thread, not interleaved, for each
    /// to replay exactly.
    pub fn new(seed: u64) -> Self {
        driver::reset_thread_read_buf();
        let inner = Inner {
            world: Mutex::new(World::new(seed)),
            reactor: Mutex::default(),
            ready: Arc::default(),
            tasks: Mutex::default(),
        };
        Self {
            rt: SimRt(Arc::new(inner)),
            schedule: Schedule::Random,
            time_limit: Duration::from_secs(24 * 3600),
            poll_limit: 10_000_000,
        }
    }

    /// The runtime handle (what `Rt::try_current()` answers inside [`Sim::block_on`]).
    pub fn rt(&self) -> &SimRt {
        &self.rt
    }

    /// Set the faults drawn from now on (connections already open keep their window).
    pub fn set_faults(&self, faults: Faults) {
        self.rt.set_faults(faults);
    }

    /// Make `host` resolve to `addrs`, in this order.
    pub fn dns(&self, host: &str, addrs: impl IntoIterator<Item = IpAddr>) {
        let addrs = addrs.into_iter().collect();
        self.rt.with_world(|w| w.dns.insert(host.to_ascii_lowercase(), addrs));
    }

    /// TCP connects to `addr` are refused (ECONNREFUSED), listening or not.
    pub fn refuse(&self, addr: SocketAddr) {
        self.rt.with_world(|w| w.refused.insert(addr));
    }

    /// TCP connects to `addr` are never answered (ETIMEDOUT after 127 s).
    pub fn black_hole(&self, addr: SocketAddr) {
        self.rt.with_world(|w| w.black_holed.insert(addr));
    }

    /// Reset every open connection now (both ends see ECONNRESET).
    pub fn reset_all(&self) {
        self.rt.reset_all();
    }

    /// Choose how the next task is picked among those woken (default [`Schedule::Random`]).
    pub fn set_schedule(&mut self, schedule: Schedule) {
        self.schedule = schedule;
    }

    /// Stop a run whose virtual time passes `limit` (default: a day).
    pub fn set_time_limit(&mut self, limit: Duration) {
        self.time_limit = limit;
    }

    /// Stop a run after `polls` task polls (default: ten million).
    pub fn set_poll_limit(&mut self, polls: u64) {
        self.poll_limit = polls;
    }

    /// Virtual time since the simulation began.
    pub fn elapsed(&self) -> Duration {
        self.rt.elapsed()
    }

    /// Make this simulation current on the thread until the guard drops, as
    /// [`Sim::block_on`] does: sockets and servers made now belong to it (they run in the next
    /// `block_on`).
    pub fn enter(&self) -> EnterGuard {
        EnterGuard(CURRENT.with(|c| c.replace(Some(self.rt.clone()))))
    }

    /// Spawned tasks that have not finished.
    pub fn tasks(&self) -> usize {
        lock(&self.rt.0.tasks).len()
    }

    /// Run `future` and the tasks it spawns until it finishes; tasks still running stay for the
    /// next call. An error if it never can (see [`SimError`]).
    pub fn block_on<F: Future>(&self, future: F) -> Result<F::Output, SimError> {
        let inner = &self.rt.0;
        let _entered = self.enter();
        let mut future = pin!(future);
        let main_waker = waker(MAIN, &inner.ready);
        let mut polls = 0u64;
        // The future runs first, as tokio's and smol's `block_on` do: what it starts waiting
        // for is known before any task's turn.
        let mut first = true;
        loop {
            loop {
                let pick = if std::mem::take(&mut first) {
                    Some(MAIN)
                } else {
                    let mut ready = lock(&inner.ready);
                    if ready.is_empty() {
                        break;
                    }
                    match self.schedule {
                        Schedule::Fifo => ready.take(|_| 0),
                        Schedule::Random => {
                            let mut world = lock(&inner.world);
                            ready.take(|n| world.rng.below(n))
                        }
                    }
                };
                let Some(id) = pick else { break };
                polls += 1;
                if polls > self.poll_limit {
                    return Err(SimError::Livelock { polls });
                }
                if id == MAIN {
                    if let Poll::Ready(out) = future.as_mut().poll(&mut Context::from_waker(&main_waker)) {
                        return Ok(out);
                    }
                    continue;
                }
                let Some((mut task, task_waker)) = lock(&inner.tasks).take(id) else { continue };
                match task.as_mut().poll(&mut Context::from_waker(&task_waker)) {
                    Poll::Ready(()) => {
                        lock(&inner.tasks).finish(id);
                        drop(task);
                    }
                    Poll::Pending => lock(&inner.tasks).put_back(id, task),
                }
            }
            if self.rt.reactor_turn() {
                continue;
            }
            let next = self.rt.with_world(|w| w.next_instant());
            let Some(at) = next else {
                return Err(SimError::Deadlock { elapsed: self.elapsed() });
            };
            let start = self.rt.with_world(|w| w.start);
            if at.saturating_duration_since(start) > self.time_limit {
                return Err(SimError::TimeLimit { elapsed: self.time_limit });
            }
            self.rt.with_world(|w| w.advance(at));
        }
    }
}

impl Drop for Sim {
    /// Tasks hold the runtime, and wakers parked in the world may hold sockets: drop them all,
    /// outside the locks, until nothing is left (dropping one may spawn or close another).
    fn drop(&mut self) {
        let inner = &self.rt.0;
        let _entered = self.enter();
        for _ in 0..100 {
            let tasks = lock(&inner.tasks).drain();
            let wakers = self.rt.with_world(|w| {
                let mut out: Vec<_> = std::mem::take(&mut w.io)
                    .into_values()
                    .flat_map(|io| io.read.into_iter().chain(io.write))
                    .collect();
                out.extend(std::mem::take(&mut w.timers).into_values().flatten());
                out.extend(std::mem::take(&mut w.queues).into_values().filter_map(|q| q.waker));
                out
            });
            let wakers: Vec<_> =
                wakers.into_iter().chain(std::mem::take(&mut *lock(&inner.reactor))).collect();
            if tasks.is_empty() && wakers.is_empty() {
                break;
            }
            drop(tasks);
            drop(wakers);
        }
    }
}
