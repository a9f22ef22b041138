//! A socket's driver task, and carrying out the core's outputs after every command and input.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use net_core::driver;
use net_core::{Endpoint, IoInput, SocketAction};

use crate::runtime::{BoxFuture, Runtime, Stream};
use crate::socket::{Inner, Shared};

/// Carry out everything the core asks for that can be done without waiting, and wake whoever
/// waits on the socket. Runs after every command and every input.
#[cfg_attr(not(any(feature = "tokio", feature = "futures-io")), allow(dead_code))]
pub(crate) fn pump<Rt: Runtime>(inner: &mut Inner<Rt>, shared: &Arc<Shared<Rt>>) {
    pump_at(inner, shared, shared.rt.now());
}

/// [`pump`] with the time the caller already read.
pub(crate) fn pump_at<Rt: Runtime>(inner: &mut Inner<Rt>, shared: &Arc<Shared<Rt>>, now: Instant) {
    pump_turn(inner, shared, false, now);
}

/// `driver_turn`: the driver task's own turn, where next-tick work runs too ([`driver::pump`])
/// and nobody needs waking. After a user's command it is left for that turn.
fn pump_turn<Rt: Runtime>(inner: &mut Inner<Rt>, shared: &Arc<Shared<Rt>>, driver_turn: bool, now: Instant) {
    let out = if driver_turn {
        driver::pump(&mut inner.core, inner.stream.as_deref(), now)
    } else {
        driver::pump_command(&mut inner.core, inner.stream.as_deref(), now)
    };
    if out.close {
        tracing::debug!(reset = out.reset, "close");
        inner.stream = None;
    }
    if !out.jobs.is_empty() {
        for job in &out.jobs {
            if let SocketAction::Connect { to: Endpoint::Ipc(path), .. } = job {
                inner.ipc_started = Some(shared.rt.start_ipc_connect(path));
            }
        }
        inner.jobs.extend(out.jobs);
    }
    if inner.core.destroyed() {
        if let Some(link) = inner.server.take() {
            link.connection_closed();
        }
        if let Some((signal, id)) = inner.abort_listener.take() {
            signal.remove(id);
        }
    }
    if let Some(w) = inner.event_waiter.take_if_due(&inner.core) {
        w.wake();
    }
    // Waiters on the queue (`drained`, `AsyncWrite`) re-check their own condition.
    if !inner.write_waiters.is_empty()
        && (net_core::io_view::write_waiters_may_proceed(&inner.core)
            || (inner.connect_waited && !inner.core.connecting()))
    {
        inner.write_waiters.wake_all();
    }
    if !driver_turn && (!inner.jobs.is_empty() || inner.waiting.stale(&inner.core)) {
        shared.wake_driver(inner);
    }
}

/// If the socket wants bytes and the kernel may have some, read them and answer `true`;
/// otherwise leave the socket's read waker registered for readability.
pub(crate) fn read_if_ready<Rt: Runtime>(inner: &mut Inner<Rt>, read_waker: &Waker, now: Instant) -> bool {
    if !inner.core.wants_read() {
        return false;
    }
    let Some(stream) = inner.stream.clone() else { return false };
    if inner.read_blocked {
        match stream.poll_read_ready(&mut Context::from_waker(read_waker)) {
            Poll::Ready(Ok(())) => inner.read_blocked = false,
            Poll::Ready(Err(_)) | Poll::Pending => return false,
        }
    }
    // A short read used up the readiness even after a FIN ([`Stream`]'s rule): the reactor
    // reports at once whatever (bytes or EOF) is already queued.
    inner.read_blocked = driver::with_thread_read_buf(|buf| {
        driver::read_ready_until_short(&mut inner.core, &*stream, buf, now)
    });
    true
}

/// The driver task, as one future: each source (lookup, connect, readability, writability, the
/// timer) is polled in turn until none makes progress.
pub(crate) struct Driver<Rt: Runtime> {
    shared: Arc<Shared<Rt>>,
    lookup: Option<BoxFuture<IoInput>>,
    connecting: Option<BoxFuture<(IoInput, Option<Rt::Stream>)>>,
    timer: Option<Rt::Timer>,
    deadline: Option<Instant>,
}

impl<Rt: Runtime> Driver<Rt> {
    pub(crate) fn new(shared: Arc<Shared<Rt>>) -> Self {
        Self { shared, lookup: None, connecting: None, timer: None, deadline: None }
    }
}

impl<Rt: Runtime> Future for Driver<Rt> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Borrowed, not cloned: no reference-count traffic per poll.
        let Self { shared, lookup, connecting, timer, deadline: waits_until } = self.get_mut();
        let rt = &shared.rt;
        loop {
            let mut inner = shared.lock();
            if !inner.driver_waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                inner.driver_waker = Some(cx.waker().clone());
            }
            let now = rt.now();
            pump_turn(&mut inner, shared, true, now);
            // Nobody waits for events: nothing is owed to a listener (Node with none).
            if !inner.event_waiter.is_watched() && inner.core.unwatched() {
                pump_turn(&mut inner, shared, true, now);
            }
            match inner.early.take().map(|e| *e) {
                Some(crate::socket::Early::Lookup(answer)) => *lookup = Some(Box::pin(answer)),
                Some(crate::socket::Early::Connect(started)) => *connecting = Some(started),
                None => {}
            }
            for job in std::mem::take(&mut inner.jobs) {
                match job {
                    SocketAction::Lookup { request, lookup: Some(custom) } => {
                        // The function runs here, outside the socket's lock: it may answer at
                        // once, and its callback only fills the answer's slot.
                        drop(inner);
                        *lookup = Some(Box::pin(crate::custom_lookup::Answer::call(&custom, &request)));
                        inner = shared.lock();
                    }
                    SocketAction::Lookup { request, lookup: None } => {
                        let found = rt.lookup(request.host.clone());
                        *lookup = Some(Box::pin(async move {
                            let found = found.await;
                            driver::lookup_answer(found, &request.host, request.family)
                        }));
                    }
                    SocketAction::Connect { to, local } => {
                        let started = inner.ipc_started.take();
                        let bound = inner.bound_source.take();
                        *connecting = Some(open(rt, to, local, started, bound));
                    }
                    SocketAction::CancelConnect => *connecting = None,
                    _ => {}
                }
            }
            if inner.core.destroyed() && inner.stream.is_none() {
                return Poll::Ready(());
            }
            let mut progress = false;
            if let Some(f) = lookup.as_mut() {
                if let Poll::Ready(input) = f.as_mut().poll(cx) {
                    *lookup = None;
                    inner.core.handle_io(rt.now(), input);
                    progress = true;
                }
            }
            if let Some(f) = connecting.as_mut() {
                if let Poll::Ready((input, stream)) = f.as_mut().poll(cx) {
                    *connecting = None;
                    if !inner.core.destroyed() {
                        inner.stream = stream.map(Arc::new);
                    }
                    inner.core.handle_io(rt.now(), input);
                    // The loop's top pumps first: the writes queued while connecting go out
                    // before the socket's readability is looked at (`drain` before a waiting FIN).
                    continue;
                }
            }
            if let Some(stream) = inner.stream.clone() {
                if read_if_ready(&mut inner, &shared.read_waker, now) {
                    progress = true;
                }
                if inner.core.wants_write() && stream.poll_write_ready(cx).is_ready() {
                    driver::transmit(&mut inner.core, &*stream, rt.now());
                    progress = true;
                }
            }
            let deadline = inner.core.poll_timeout();
            if deadline != *waits_until {
                *waits_until = deadline;
                match (deadline, timer.as_mut()) {
                    (Some(at), Some(t)) => rt.reset_timer(t, at),
                    (Some(at), None) => *timer = Some(rt.timer(at)),
                    (None, _) => *timer = None,
                }
            }
            if let Some(t) = timer.as_mut() {
                if Pin::new(t).poll(cx).is_ready() {
                    inner.core.handle_timeout(rt.now());
                    *waits_until = None;
                    *timer = None;
                    progress = true;
                }
            }
            if progress {
                continue; // the loop's top pumps
            }
            inner.waiting = driver::Interest::of(&inner.core);
            return Poll::Pending;
        }
    }
}

/// Open a connection, bound first if asked.
pub(crate) fn open<Rt: Runtime>(
    rt: &Rt,
    to: Endpoint,
    local: Option<SocketAddr>,
    ipc_started: Option<std::io::Result<Option<Rt::IpcStarted>>>,
    bound: Option<socket2::Socket>,
) -> BoxFuture<(IoInput, Option<Rt::Stream>)> {
    let connecting = match &to {
        Endpoint::Tcp(addr) => match bound {
            Some(socket) => rt.connect_tcp_from(socket, *addr),
            None => rt.connect_tcp(*addr, local),
        },
        Endpoint::Ipc(path) => match ipc_started {
            Some(Ok(Some(started))) => rt.finish_ipc_connect(started),
            Some(Err(e)) => Box::pin(std::future::ready(Err(e))),
            Some(Ok(None)) | None => rt.connect_ipc(path.clone()),
        },
    };
    Box::pin(async move {
        match connecting.await {
            Ok(stream) => (IoInput::Connected(stream.info()), Some(stream)),
            Err(e) => (driver::connect_failed(&e, &to, local), None),
        }
    })
}
