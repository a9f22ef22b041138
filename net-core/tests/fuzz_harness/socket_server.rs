//! The body of the `socket_server` fuzz target, shared by `fuzz/fuzz_targets/socket_server.rs`
//! (libFuzzer) and `tests/fuzz_socket_server.rs` (proptest, on stable Rust).
//!
//! Arbitrary bytes decide a sequence of user commands and driver inputs for one client
//! [`Socket`], a [`Server`] and every socket the server admits. Every event and action is checked
//! against rules that hold whatever the order; at the end everything is destroyed and each
//! socket must have closed exactly once.
//!
//! This complements `socket_props.rs` (a connected simulator pair, user calls only, a model of
//! the byte flow) and `server_props.rs` (a model of admission): here the harness is the driver,
//! so it reaches what the simulator never does: the connecting stages (lookup answers,
//! happy-eyeballs attempts and their timeouts, IPC paths of any length), partial kernel writes
//! of any size, reads and EOF at any moment, failures, late completions after a destroy, time
//! jumps, commands given while events are still queued (a user acting inside a handler), and
//! servers whose admitted sockets live and die through all of that.
//!
//! Driver inputs follow the driving contract (it is what is under test, not what is fuzzed):
//! time never goes back, `Written(n)` never exceeds the bytes offered, an answer (`Resolved`,
//! `Connected`, `ConnectFailed`, `ShutdownDone`, `handle_listen`) comes only for a request the
//! core made, or late, after the socket was destroyed.
#![allow(dead_code)]

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use arbitrary::{Result, Unstructured};
use bytes::Bytes;
use net_core::{
    Admission, BlockList, ConnectOptions, ConnectionId, ConnectionInfo, Endpoint, ErrorCode, Family, IoInput,
    KeepAlive, LookupAddress, NetError, ReadyState, Server, ServerAction, ServerEvent, ServerOptions, Socket,
    SocketAction, SocketEvent, SocketOptions, WriteId,
};

/// Steps per run at most, so that one input stays fast.
const MAX_STEPS: usize = 400;

/// Run one input.
pub(crate) fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(mut world) = World::new(&mut u) else { return };
    for _ in 0..MAX_STEPS {
        if u.is_empty() {
            break;
        }
        let Ok(op) = Op::decode(&mut u) else { break };
        let drain = u.ratio(7, 8).unwrap_or(true);
        world.trace.push(format!("{op:?}{}", if drain { "" } else { " (events left queued)" }));
        world.apply(op);
        world.drain_all(drain);
    }
    world.finish();
}

// ---------------------------------------------------------------------------------------------
// Operations.

const IPS: [&str; 7] =
    ["127.0.0.1", "127.0.0.2", "::1", "10.0.0.1", "fe80::1", "::ffff:127.0.0.1", "0.0.0.0"];
const HOSTS: [&str; 6] = ["127.0.0.1", "::1", "localhost", "example.invalid", "", "10.0.0.1"];

fn ip(u: &mut Unstructured<'_>) -> Result<IpAddr> {
    Ok(u.choose(&IPS)?.parse().unwrap())
}

#[derive(Debug, Clone)]
enum ConnectHow {
    Tcp(SocketAddr),
    Ipc(String),
    With(Box<ConnectOptions>),
}

#[derive(Debug, Clone)]
enum Op {
    // User commands on socket `s` (an index, taken modulo the number of sockets).
    Connect(ConnectHow),
    Write {
        s: usize,
        len: usize,
        cb: bool,
    },
    End {
        s: usize,
        cb: bool,
    },
    Destroy {
        s: usize,
        err: bool,
    },
    DestroySoon(usize),
    Reset(usize),
    StopReading(usize),
    Pause(usize),
    Resume(usize),
    SetTimeout {
        s: usize,
        timeout: Duration,
    },
    SetNoDelay(usize, bool),
    SetKeepAlive(usize, bool, u64),
    Tick(usize),
    Handled(usize),
    // Driver inputs.
    /// `custom`: answered as a connect's own lookup, with `garbage` spoiling some answers
    /// (a family that is not 4 or 6, or of the other kind, or an address that is no IP).
    AnswerLookup {
        ok: bool,
        ips: Vec<IpAddr>,
        custom: bool,
        garbage: u8,
    },
    AnswerConnect {
        s: usize,
        ok: bool,
    },
    Read {
        s: usize,
        len: usize,
    },
    ReadEof(usize),
    Offer {
        s: usize,
        n: usize,
    },
    Failed(usize),
    ShutdownDone(usize),
    Late(usize),
    Advance(u64),
    // Server.
    Listen(Endpoint),
    ListenResult(bool),
    Accept {
        remote: IpAddr,
        port: u16,
    },
    ServerClose,
    SetMax(Option<u32>),
    Block(IpAddr),
    Unblock,
    UnknownClosed(u64),
}

impl Op {
    fn decode(u: &mut Unstructured<'_>) -> Result<Self> {
        let s = usize::from(u.int_in_range(0u8..=7)?);
        Ok(match u.int_in_range(0u8..=99)? {
            0..=3 => Self::Connect(match u.int_in_range(0u8..=9)? {
                0..=2 => Self::tcp(u)?,
                3 => ConnectHow::Ipc(ipc_path(u)?),
                _ => {
                    let mut o = ConnectOptions::new(*u.choose(&HOSTS)?, u.arbitrary()?);
                    o.family = *u.choose(&[None, Some(Family::Ipv4), Some(Family::Ipv6)])?;
                    o.auto_select_family = u.arbitrary()?;
                    o.auto_select_family_attempt_timeout = Duration::from_millis(u.int_in_range(10..=1000)?);
                    if u.ratio(1, 4)? {
                        o.local_address = Some(ip(u)?);
                    }
                    if u.ratio(1, 4)? {
                        o.local_port = Some(u.arbitrary()?);
                    }
                    if u.ratio(1, 4)? {
                        let mut list = BlockList::new();
                        list.add_address_ip(ip(u)?);
                        o.block_list = Some(list);
                    }
                    ConnectHow::With(Box::new(o))
                }
            }),
            4..=17 => Self::Write {
                s,
                len: match u.int_in_range(0u8..=3)? {
                    0 => 0,
                    1 | 2 => u.int_in_range(1..=300)?,
                    _ => u.int_in_range(300..=70_000)?,
                },
                cb: u.arbitrary()?,
            },
            18..=20 => Self::End { s, cb: u.arbitrary()? },
            21 => Self::Destroy { s, err: u.arbitrary()? },
            22 => Self::DestroySoon(s),
            23 => Self::Reset(s),
            24 => Self::Pause(s),
            25 => Self::StopReading(s),
            26..=27 => Self::Resume(s),
            28..=29 => Self::SetTimeout {
                s,
                timeout: match u.int_in_range(0u8..=6)? {
                    0 => Duration::ZERO,
                    1 => Duration::from_millis((1 << 31) - 1),
                    2 => Duration::from_millis(u.arbitrary()?),
                    3 => Duration::MAX,
                    _ => Duration::from_millis(u.int_in_range(1..=3000)?),
                },
            },
            30 => Self::SetNoDelay(s, u.arbitrary()?),
            31 => Self::SetKeepAlive(s, u.arbitrary()?, u.int_in_range(0..=5000)?),
            32..=33 => Self::Tick(s),
            34..=35 => Self::Handled(s),
            36..=40 => Self::AnswerLookup {
                ok: !u.ratio(1, 6)?,
                ips: (0..u.int_in_range(0..=4)?).map(|_| ip(u)).collect::<Result<_>>()?,
                custom: u.ratio(1, 3)?,
                garbage: u.arbitrary()?,
            },
            41..=48 => Self::AnswerConnect { s, ok: !u.ratio(1, 3)? },
            49..=58 => Self::Read {
                s,
                len: if u.ratio(1, 5)? { u.int_in_range(1000..=150_000)? } else { u.int_in_range(1..=500)? },
            },
            59..=60 => Self::ReadEof(s),
            61..=72 => {
                Self::Offer { s, n: if u.arbitrary()? { usize::MAX } else { u.int_in_range(0..=100_000)? } }
            }
            73 => Self::Failed(s),
            74..=75 => Self::ShutdownDone(s),
            76..=77 => Self::Late(s),
            78..=83 => Self::Advance(match u.int_in_range(0u8..=5)? {
                0 => 0,
                5 => u.int_in_range(0..=100_000_000)?,
                _ => u.int_in_range(1..=1500)?,
            }),
            84..=85 => Self::Listen(match u.int_in_range(0u8..=5)? {
                0 | 1 => Endpoint::Tcp(SocketAddr::new(ip(u)?, *u.choose(&[0, 8080])?)),
                _ => Endpoint::Ipc(ipc_path(u)?.into()),
            }),
            86..=87 => Self::ListenResult(!u.ratio(1, 4)?),
            88..=93 => Self::Accept { remote: ip(u)?, port: u.arbitrary()? },
            94 => Self::ServerClose,
            95 => Self::SetMax(if u.arbitrary()? { None } else { Some(u.int_in_range(0..=3)?) }),
            96..=97 => Self::Block(ip(u)?),
            98 => Self::Unblock,
            _ => Self::UnknownClosed(u.int_in_range(0..=20)?),
        })
    }

    fn tcp(u: &mut Unstructured<'_>) -> Result<ConnectHow> {
        Ok(ConnectHow::Tcp(SocketAddr::new(ip(u)?, u.arbitrary()?)))
    }
}

/// An IPC path: short, exactly at the limit, over it (by bytes, some multi-byte), or abstract.
fn ipc_path(u: &mut Unstructured<'_>) -> Result<String> {
    let fill = |n: usize, c: char| {
        let mut p = "/tmp/nc-fuzz/".to_owned();
        while p.len() < n {
            p.push(c);
        }
        p
    };
    Ok(match u.int_in_range(0u8..=5)? {
        0 => "/tmp/nc-fuzz.sock".to_owned(),
        1 => fill(108, 'a'),
        2 => fill(109, 'a'),
        3 => fill(u.int_in_range(100..=300)?, 'é'),
        4 => format!("\0{}", "a".repeat(u.int_in_range(1..=120)?)),
        _ => String::new(),
    })
}

// ---------------------------------------------------------------------------------------------
// One socket and what has been seen of it.

struct Tracked {
    sock: Socket,
    accepted: Option<ConnectionId>,
    /// `connect()` was called and answered `Ok`.
    connect_called: bool,
    /// Driver state: a lookup or connect the core asked for and the driver has not answered.
    lookup_pending: Option<String>,
    connect_pending: Option<Endpoint>,
    shutdown_pending: bool,
    /// The core asked for `Close` or `Reset`: the handle is gone.
    handle_closed: bool,
    /// A `Connect` was asked for at some point, so a late completion may come.
    ever_connected_or_asked: bool,
    shutdown_asked: bool,
    // Bytes.
    rng: u32,
    /// Every byte a `write()` took, in order; `acked` of them went to the kernel.
    written: Vec<u8>,
    acked: usize,
    /// Every byte a `Read` delivered that the socket took (`bytes_read` grew).
    read: Vec<u8>,
    /// `stop_reading` came and no `resume` since: the bytes it kept are out of `bytesRead`.
    stopped: bool,
    /// Bytes handed out in `data` events.
    received: Vec<u8>,
    // Events.
    timeout_ever_set: bool,
    false_writes: u32,
    drains: u32,
    saw_connect: bool,
    saw_ready: bool,
    saw_end: bool,
    saw_prefinish: bool,
    saw_finish: bool,
    saw_error: bool,
    error_needs_close: bool,
    /// `reset_and_destroy()` was called, and the error was its ERR_SOCKET_CLOSED.
    reset_called: bool,
    reset_without_handle: bool,
    closes: u32,
    /// Ids of write/end callbacks handed out so far, and the highest id when `close` came.
    ids: HashSet<u64>,
    done_ids: HashSet<u64>,
    max_id_at_close: Option<u64>,
    /// Callbacks still owed when `close` was handed out.
    pending_at_close: HashSet<u64>,
    max_id: u64,
}

impl Tracked {
    fn new(sock: Socket, accepted: Option<ConnectionId>, seed: u32, timeout_set: bool) -> Self {
        Self {
            sock,
            accepted,
            connect_called: false,
            lookup_pending: None,
            connect_pending: None,
            shutdown_pending: false,
            handle_closed: false,
            ever_connected_or_asked: false,
            shutdown_asked: false,
            rng: seed,
            written: Vec::new(),
            acked: 0,
            read: Vec::new(),
            stopped: false,
            received: Vec::new(),
            timeout_ever_set: timeout_set,
            false_writes: 0,
            drains: 0,
            saw_connect: false,
            saw_ready: false,
            saw_end: false,
            saw_prefinish: false,
            saw_finish: false,
            saw_error: false,
            error_needs_close: false,
            reset_called: false,
            reset_without_handle: false,
            closes: 0,
            ids: HashSet::new(),
            done_ids: HashSet::new(),
            max_id_at_close: None,
            pending_at_close: HashSet::new(),
            max_id: 0,
        }
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| {
                self.rng = self.rng.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (self.rng >> 16) as u8
            })
            .collect()
    }

    fn offered(&self) -> usize {
        self.sock.transmit_chunks().map(Bytes::len).sum()
    }

    fn new_id(&mut self, id: WriteId) {
        assert!(self.ids.insert(id.0), "write id {id:?} handed out twice");
        self.max_id = self.max_id.max(id.0);
    }

    /// The rules every action obeys.
    fn check_action(&mut self, a: &SocketAction, trace: &[String]) {
        assert!(!self.handle_closed, "action {a:?} after the handle was closed\n{}", trace.join("\n"));
        match a {
            SocketAction::Lookup { request, .. } => {
                assert!(self.connect_called && self.accepted.is_none(), "lookup nobody asked for");
                assert!(self.lookup_pending.is_none(), "a second lookup before the first was answered");
                self.lookup_pending = Some(request.host.clone());
            }
            SocketAction::Connect { to, .. } => {
                assert!(self.connect_called && self.accepted.is_none(), "connect nobody asked for");
                assert!(self.lookup_pending.is_none(), "connect while the lookup is pending");
                assert!(self.connect_pending.is_none(), "two connects at once\n{}", trace.join("\n"));
                self.connect_pending = Some(to.clone());
                self.ever_connected_or_asked = true;
            }
            SocketAction::CancelConnect => {
                assert!(self.connect_pending.take().is_some(), "cancel without a connect in progress");
            }
            SocketAction::ShutdownWrite => {
                assert!(!self.shutdown_asked, "second shutdown");
                self.shutdown_asked = true;
                self.shutdown_pending = true;
            }
            SocketAction::Close | SocketAction::Reset => {
                self.handle_closed = true;
                self.lookup_pending = None;
                self.connect_pending = None;
                self.shutdown_pending = false;
            }
            SocketAction::SetNoDelay(_)
            | SocketAction::SetKeepAlive(_)
            | SocketAction::SetTypeOfService(_) => {}
        }
    }

    /// The rules every event obeys.
    fn check_event(&mut self, ev: &SocketEvent, trace: &[String]) {
        let ctx = || trace.join("\n");
        if let Some(max) = self.max_id_at_close {
            // After `close`, only failed callbacks: of calls made after it (Node runs them on the
            // next tick), and of writes that were pending when the socket was destroyed. Node
            // runs the latter after `close` only for a socket that was still connecting; for a
            // connected one, before `close` (tests/fuzz_socket_server.rs,
            // pending_write_callbacks_come_after_close).
            match ev {
                SocketEvent::WriteDone(id, Some(_))
                    if id.0 > max || self.pending_at_close.contains(&id.0) => {}
                other => panic!("{other:?} after close\n{}", ctx()),
            }
        }
        if self.error_needs_close && !matches!(ev, SocketEvent::WriteDone(..)) {
            // Node's one argument-less close: resetAndDestroy() on a socket without a handle
            // emits `error` (ERR_SOCKET_CLOSED), then `close()`, read as had_error false.
            let want = Some(SocketEvent::Close { had_error: !self.reset_without_handle });
            assert_eq!(Some(ev.clone()), want, "error not followed by its close\n{}", ctx());
            self.error_needs_close = false;
        }
        match ev {
            SocketEvent::Lookup { .. }
            | SocketEvent::ConnectionAttempt(_)
            | SocketEvent::ConnectionAttemptFailed(..)
            | SocketEvent::ConnectionAttemptTimeout(_) => {
                assert!(self.connect_called && !self.saw_connect, "{ev:?} outside connecting\n{}", ctx());
            }
            SocketEvent::Connect => {
                assert!(self.connect_called && !self.saw_connect, "connect twice or unasked\n{}", ctx());
                self.saw_connect = true;
            }
            SocketEvent::Ready => {
                assert!(self.saw_connect && !self.saw_ready, "ready without connect or twice\n{}", ctx());
                self.saw_ready = true;
            }
            SocketEvent::Data(d) => {
                assert!(!d.is_empty(), "empty data");
                assert!(!self.saw_end, "data after end\n{}", ctx());
                self.received.extend_from_slice(d);
                assert!(
                    self.read.starts_with(&self.received),
                    "data is not what was read, in order\n{}",
                    ctx()
                );
            }
            SocketEvent::End => {
                assert!(!self.saw_end, "second end");
                self.saw_end = true;
            }
            SocketEvent::Drain => {
                self.drains += 1;
                assert!(self.drains <= self.false_writes, "more drains than writes that returned false");
            }
            SocketEvent::Timeout => assert!(self.timeout_ever_set, "timeout without setTimeout\n{}", ctx()),
            SocketEvent::WriteDone(id, _) => {
                assert!(self.ids.contains(&id.0), "callback of an unknown write {id:?}");
                assert!(self.done_ids.insert(id.0), "callback {id:?} twice\n{}", ctx());
            }
            SocketEvent::Prefinish => {
                assert!(!self.saw_prefinish, "second prefinish");
                self.saw_prefinish = true;
            }
            SocketEvent::Finish => {
                assert!(self.saw_prefinish && !self.saw_finish, "finish out of order\n{}", ctx());
                self.saw_finish = true;
            }
            SocketEvent::Error(e) => {
                assert!(!self.saw_error, "second error\n{}", ctx());
                self.saw_error = true;
                // Node's argument-less closes: resetAndDestroy() or write() on a socket that has
                // no handle (never connected) emit ERR_SOCKET_CLOSED, then `close()`.
                self.reset_without_handle =
                    e.code() == "ERR_SOCKET_CLOSED" && (self.reset_called || !self.connect_called);
                self.error_needs_close = true;
            }
            SocketEvent::Close { had_error } => {
                assert_eq!(self.closes, 0, "second close\n{}", ctx());
                assert_eq!(
                    *had_error,
                    self.saw_error && !self.reset_without_handle,
                    "close's had_error disagrees with the error events\n{}",
                    ctx()
                );
                self.closes += 1;
                self.max_id_at_close = Some(self.max_id);
                self.pending_at_close = self.ids.difference(&self.done_ids).copied().collect();
            }
            other => panic!("an event this model does not know: {other:?}\n{}", ctx()),
        }
    }

    /// What must hold between steps.
    fn check_state(&self, trace: &[String]) {
        let s = &self.sock;
        if s.destroyed() {
            assert_eq!(s.ready_state(), ReadyState::Closed);
            assert!(s.poll_timeout().is_none(), "a destroyed socket wants a timer");
            assert!(!s.wants_read() && !s.wants_write(), "a destroyed socket wants IO");
            assert_eq!(self.offered(), 0, "a destroyed socket offers bytes");
        }
        if s.destroyed() {
            // The write with libuv stays counted; the ones buffered behind it leave with the
            // buffer (Node 26: scenario destroy/bytes-written-after-destroy): at least what the
            // kernel took, at most what was written.
            let counted = s.bytes_written();
            assert!(
                self.acked as u64 <= counted && counted <= self.written.len() as u64,
                "bytesWritten {counted} after destroy"
            );
        } else {
            assert_eq!(s.bytes_written(), self.written.len() as u64, "bytesWritten");
        }
        if self.stopped {
            // A stopped handle keeps what it had not handed out as if still in the kernel.
            assert!(s.bytes_received() <= self.read.len() as u64, "bytes received while stopped");
        } else {
            assert_eq!(s.bytes_received(), self.read.len() as u64, "bytes received");
        }
        assert!(s.bytes_read() <= s.bytes_received(), "bytesRead counts more than was read");
        // The queue offered to the kernel is exactly the written bytes it has not taken yet.
        let mut at = self.acked;
        for chunk in s.transmit_chunks() {
            let want = self.written.get(at..at + chunk.len());
            assert!(want == Some(&chunk[..]), "the queue is not the unwritten bytes\n{}", trace.join("\n"));
            at += chunk.len();
        }
        assert!(
            at == self.acked || at == self.written.len(),
            "bytes missing from the queue\n{}",
            trace.join("\n")
        );
        assert!(self.closes <= 1);
    }
}

/// An event for the trace, without the bytes of `data`.
fn describe(ev: &SocketEvent) -> String {
    match ev {
        SocketEvent::Data(d) => format!("Data({} bytes)", d.len()),
        other => format!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The world: the sockets, the server, the clock.

struct World {
    start: Instant,
    now: Instant,
    sockets: Vec<Tracked>,
    server: Server,
    listen_pending: Option<Endpoint>,
    live: HashSet<ConnectionId>,
    blocked: Option<BlockList>,
    max: Option<u32>,
    /// `close()` was called and `close` is owed (once no connection is left).
    server_close_owed: bool,
    next_port: u16,
    trace: Vec<String>,
}

impl World {
    fn new(u: &mut Unstructured<'_>) -> Result<Self> {
        let start = Instant::now();
        let mut opts = SocketOptions::default();
        if u.ratio(1, 4)? {
            opts = opts.high_water_mark(u.int_in_range(1..=70_000)?);
        }
        opts.allow_half_open = u.arbitrary()?;
        opts.no_delay = u.arbitrary()?;
        if u.ratio(1, 4)? {
            opts.timeout = Some(Duration::from_millis(u.int_in_range(1..=3000)?));
        }
        let timeout_set = opts.timeout.is_some();
        let server_opts = ServerOptions {
            allow_half_open: u.arbitrary()?,
            pause_on_connect: u.arbitrary()?,
            max_connections: if u.arbitrary()? { Some(u.int_in_range(0..=3)?) } else { None },
            ..Default::default()
        };
        let max = server_opts.max_connections;
        Ok(Self {
            start,
            now: start,
            sockets: vec![Tracked::new(Socket::new(opts, start), None, 1, timeout_set)],
            server: Server::new(server_opts),
            listen_pending: None,
            live: HashSet::new(),
            blocked: None,
            max,
            server_close_owed: false,
            next_port: 40000,
            trace: Vec::new(),
        })
    }

    fn idx(&self, s: usize) -> usize {
        s % self.sockets.len()
    }

    fn apply(&mut self, op: Op) {
        let now = self.now;
        match op {
            Op::Connect(how) => {
                let t = &mut self.sockets[0];
                let r = match how {
                    ConnectHow::Tcp(addr) => t.sock.connect(addr.into()),
                    ConnectHow::Ipc(p) => t.sock.connect(Endpoint::Ipc(p.into())),
                    ConnectHow::With(o) => t.sock.connect_with(*o),
                };
                if r.is_ok() {
                    assert!(!t.connect_called, "a second connect() was taken");
                    t.connect_called = true;
                } else {
                    assert!(
                        t.connect_called || t.sock.destroyed(),
                        "a fresh socket refused to connect: {r:?}"
                    );
                }
            }
            Op::Write { s, len, cb } => {
                let i = self.idx(s);
                let t = &mut self.sockets[i];
                let data = t.bytes(len);
                let before = t.sock.bytes_written();
                let pending = if cb {
                    let (p, id) = t.sock.write_with_callback(Bytes::from(data.clone()));
                    t.new_id(id);
                    p
                } else {
                    t.sock.write(Bytes::from(data.clone()))
                };
                let taken = t.sock.bytes_written() - before;
                assert!(taken == 0 || taken == len as u64, "a write was taken in part");
                if taken > 0 {
                    t.written.extend_from_slice(&data);
                }
                if !t.sock.settle(pending) {
                    t.false_writes += 1;
                }
            }
            Op::End { s, cb } => {
                let i = self.idx(s);
                let t = &mut self.sockets[i];
                if cb {
                    // Node's end(cb) on a socket destroyed (without an error) before any end(),
                    // before or after its close: the callback waits for a finish that never comes
                    // (never called; scenarios callbacks/end-cb-on-a-destroyed-socket-before-close
                    // and callbacks/end-cb-after-close-of-a-plain-destroy). Left out of `ids`,
                    // so a call of it fails the run as a callback of an unknown write.
                    // A write callback still to come calls it, though (Node's afterWrite or
                    // onwriteError empties the buffer): scenario
                    // callbacks/end-cb-after-reset-with-a-write-to-call-back.
                    let lost = t.sock.destroyed()
                        && !t.sock.writable_ended()
                        && t.sock.errored().is_none()
                        && t.ids.difference(&t.done_ids).next().is_none();
                    let id = t.sock.end_with_callback();
                    if !lost {
                        t.new_id(id);
                    }
                } else {
                    t.sock.end();
                }
            }
            Op::Destroy { s, err } => {
                let i = self.idx(s);
                let sock = &mut self.sockets[i].sock;
                if err {
                    sock.destroy_with_error(NetError::user("boom"))
                } else {
                    sock.destroy()
                }
                assert!(sock.destroyed());
            }
            Op::DestroySoon(s) => {
                let i = self.idx(s);
                self.sockets[i].sock.destroy_soon();
            }
            Op::Reset(s) => {
                let i = self.idx(s);
                self.sockets[i].reset_called = true;
                let sock = &mut self.sockets[i].sock;
                if let Err(e) = sock.reset_and_destroy() {
                    assert_eq!(e.code(), "ERR_INVALID_HANDLE_TYPE");
                    assert!(sock.is_ipc());
                }
            }
            Op::Pause(s) => {
                let i = self.idx(s);
                self.sockets[i].sock.pause();
            }
            Op::StopReading(s) => {
                // An `onread` callback's `false` after taking the whole chunk.
                let i = self.idx(s);
                self.sockets[i].sock.stop_reading(Bytes::new());
                self.sockets[i].stopped = true;
            }
            Op::Resume(s) => {
                let i = self.idx(s);
                self.sockets[i].sock.resume();
                // A destroyed socket never reads what its stopped handle kept.
                if !self.sockets[i].sock.destroyed() {
                    self.sockets[i].stopped = false;
                }
            }
            Op::SetTimeout { s, timeout } => {
                let i = self.idx(s);
                let t = &mut self.sockets[i];
                t.sock.set_timeout(now, timeout);
                t.timeout_ever_set |= !timeout.is_zero();
            }
            Op::SetNoDelay(s, on) => {
                let i = self.idx(s);
                self.sockets[i].sock.set_no_delay(on);
            }
            Op::SetKeepAlive(s, on, ms) => {
                let i = self.idx(s);
                let ka = if on { KeepAlive::on(Duration::from_millis(ms)) } else { KeepAlive::off() };
                self.sockets[i].sock.set_keep_alive(ka);
            }
            Op::Tick(s) => {
                let i = self.idx(s);
                self.sockets[i].sock.tick(now);
            }
            Op::Handled(s) => {
                let i = self.idx(s);
                self.sockets[i].sock.handled(now);
            }
            Op::AnswerLookup { ok, ips, custom, garbage } => {
                let t = &mut self.sockets[0];
                if let Some(host) = t.lookup_pending.take() {
                    let err = || NetError::lookup(ErrorCode::ENOTFOUND, &host);
                    if custom {
                        let answers = ips
                            .iter()
                            .enumerate()
                            .map(|(k, ip)| {
                                let mut a = LookupAddress::from(*ip);
                                match (garbage >> (2 * k)) & 3 {
                                    1 => a.family = [0, 5, 4, 6][k],
                                    2 => a.address = ["nope", "", "1.2.3", "::g"][k].to_owned(),
                                    _ => {}
                                }
                                a
                            })
                            .collect();
                        t.sock.handle_io(now, IoInput::LookedUp(if ok { Ok(answers) } else { Err(err()) }));
                    } else {
                        t.sock.handle_io(now, IoInput::Resolved(if ok { Ok(ips) } else { Err(err()) }));
                    }
                }
            }
            Op::AnswerConnect { s, ok } => {
                let i = self.idx(s);
                let t = &mut self.sockets[i];
                if let Some(to) = t.connect_pending.take() {
                    let input = match (&to, ok) {
                        (Endpoint::Tcp(addr), true) => {
                            let local = SocketAddr::new(
                                if addr.is_ipv4() {
                                    [127, 0, 0, 1].into()
                                } else {
                                    IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1])
                                },
                                50000,
                            );
                            IoInput::Connected(ConnectionInfo::tcp(local, *addr))
                        }
                        (Endpoint::Ipc(_), true) => IoInput::Connected(ConnectionInfo::ipc()),
                        (Endpoint::Tcp(addr), false) => {
                            IoInput::ConnectFailed(NetError::connect(ErrorCode::ECONNREFUSED, *addr))
                        }
                        (Endpoint::Ipc(p), false) => IoInput::ConnectFailed(NetError::connect_path(
                            ErrorCode::ENOENT,
                            &p.display().to_string(),
                        )),
                    };
                    t.sock.handle_io(now, input);
                }
            }
            Op::Read { s, len } => {
                let i = self.idx(s);
                let t = &mut self.sockets[i];
                let data = t.bytes(len);
                let before = t.sock.bytes_received();
                t.sock.handle_io(now, IoInput::Read(Bytes::from(data.clone())));
                let took = t.sock.bytes_received() - before;
                assert!(took == 0 || took == len as u64, "a read was taken in part");
                if took > 0 {
                    t.read.extend_from_slice(&data);
                }
            }
            Op::ReadEof(s) => {
                let i = self.idx(s);
                self.sockets[i].sock.handle_io(now, IoInput::ReadEof);
            }
            Op::Offer { s, n } => {
                let i = self.idx(s);
                let t = &mut self.sockets[i];
                let n = n.min(t.offered());
                t.sock.handle_io(now, IoInput::Written(n));
                t.acked += n;
            }
            Op::Failed(s) => {
                let i = self.idx(s);
                let err = NetError::syscall(ErrorCode::ECONNRESET, "read");
                self.sockets[i].sock.handle_io(now, IoInput::Failed(err));
            }
            Op::ShutdownDone(s) => {
                let i = self.idx(s);
                let t = &mut self.sockets[i];
                if std::mem::take(&mut t.shutdown_pending) {
                    t.sock.handle_io(now, IoInput::ShutdownDone);
                }
            }
            Op::Late(s) => {
                // A completion that arrives after the socket was destroyed (the driver had the
                // request in flight): the core must ignore it.
                let i = self.idx(s);
                let t = &mut self.sockets[i];
                if t.sock.destroyed() {
                    let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
                    for input in [
                        IoInput::Resolved(Ok(vec![addr.ip()])),
                        IoInput::Connected(ConnectionInfo::tcp(addr, addr)),
                        IoInput::ConnectFailed(NetError::connect(ErrorCode::ECONNREFUSED, addr)),
                        IoInput::ShutdownDone,
                        IoInput::Read(Bytes::from_static(b"late")),
                        IoInput::ReadEof,
                        IoInput::Written(0),
                        IoInput::Failed(NetError::syscall(ErrorCode::EPIPE, "write")),
                    ] {
                        t.sock.handle_io(now, input);
                    }
                    t.sock.handle_timeout(now);
                }
            }
            Op::Advance(ms) => {
                self.now += Duration::from_millis(ms);
                let now = self.now;
                for t in &mut self.sockets {
                    t.sock.handle_timeout(now);
                }
            }
            Op::Listen(at) => {
                let before = self.server.listening() || self.listen_pending.is_some();
                let r = self.server.listen(at);
                match r {
                    Ok(()) => assert!(!before, "listen taken while listening"),
                    Err(e) => {
                        assert!(before, "listen refused while idle: {e:?}");
                        assert_eq!(e.code(), "ERR_SERVER_ALREADY_LISTEN");
                    }
                }
            }
            Op::ListenResult(ok) => {
                if let Some(at) = self.listen_pending.take() {
                    let result = if ok {
                        Ok(match at {
                            Endpoint::Tcp(a) if a.port() == 0 => {
                                Endpoint::Tcp(SocketAddr::new(a.ip(), 40000))
                            }
                            other => other,
                        })
                    } else {
                        Err(match &at {
                            Endpoint::Tcp(a) => NetError::listen(ErrorCode::EADDRINUSE, *a),
                            Endpoint::Ipc(p) => {
                                NetError::listen_path(ErrorCode::EADDRINUSE, &p.display().to_string())
                            }
                        })
                    };
                    let adopted = self.server.handle_listen(result);
                    assert_eq!(adopted, ok && self.server.listening(), "handle_listen's answer");
                }
            }
            Op::Accept { remote, port } => {
                let listening = self.server.listening();
                let ipc = matches!(self.server.address(), Some(Endpoint::Ipc(_)));
                let info = if ipc {
                    ConnectionInfo::ipc()
                } else {
                    ConnectionInfo::tcp("127.0.0.1:8080".parse().unwrap(), SocketAddr::new(remote, port))
                };
                let live = self.server.get_connections();
                match self.server.accept(now, info) {
                    Admission::NotListening => assert!(!listening, "refused while listening"),
                    Admission::Dropped => {
                        assert!(listening);
                        let max = self.max.expect("dropped without maxConnections");
                        assert!(live >= max as usize, "dropped below maxConnections");
                    }
                    Admission::Blocked => {
                        assert!(listening && !ipc);
                        assert!(
                            self.blocked.as_ref().is_some_and(|b| b.check_ip(remote)),
                            "blocked, not listed"
                        );
                    }
                    Admission::Accepted(sock) => {
                        assert!(listening);
                        if let Some(max) = self.max {
                            assert!(live < max as usize, "admitted over maxConnections");
                        }
                        if !ipc {
                            assert!(
                                !self.blocked.as_ref().is_some_and(|b| b.check_ip(remote)),
                                "admitted a blocked peer"
                            );
                        }
                        let id = sock.connection_id().expect("admitted sockets carry an id");
                        assert!(self.live.insert(id), "connection id reused");
                        let seed = 7 + self.sockets.len() as u32;
                        self.sockets.push(Tracked::new(sock, Some(id), seed, false));
                    }
                }
                assert_eq!(self.server.get_connections(), self.live.len(), "getConnections");
            }
            Op::ServerClose => {
                let was = self.server.listening() || self.listen_pending.is_some();
                let r = self.server.close();
                assert_eq!(r.is_ok(), was, "close()'s answer: {r:?}");
                self.listen_pending = None;
                self.server_close_owed = true;
            }
            Op::SetMax(m) => {
                self.server.set_max_connections(m);
                self.max = m;
            }
            Op::Block(ip) => {
                let list = self.server.block_list_mut().get_or_insert_with(BlockList::new);
                list.add_address_ip(ip);
                self.blocked.get_or_insert_with(BlockList::new).add_address_ip(ip);
            }
            Op::Unblock => {
                *self.server.block_list_mut() = None;
                self.blocked = None;
            }
            Op::UnknownClosed(id) => {
                // Unknown or already reported ids are ignored.
                let id = ConnectionId(id);
                if !self.live.contains(&id) {
                    self.server.connection_closed(id);
                    assert_eq!(self.server.get_connections(), self.live.len());
                }
            }
        }
    }

    /// Drain every output as a driver does; with `all` false, leave the events of one socket
    /// queued (the user is still inside a handler).
    fn drain_all(&mut self, all: bool) {
        let held = if all { usize::MAX } else { self.sockets.len() - 1 };
        loop {
            let mut moved = false;
            for i in 0..self.sockets.len() {
                let t = &mut self.sockets[i];
                while let Some(a) = t.sock.poll_action() {
                    self.trace.push(format!("  socket {i} action {a:?}"));
                    t.check_action(&a, &self.trace);
                    moved = true;
                }
                let _ = t.sock.poll_timeout();
                if i == held {
                    continue;
                }
                while let Some(ev) = t.sock.poll_event() {
                    self.trace.push(format!("  socket {i} event {}", describe(&ev)));
                    t.check_event(&ev, &self.trace);
                    moved = true;
                    if let (SocketEvent::Close { .. }, Some(id)) = (&ev, t.accepted) {
                        // The driver tells the server an admitted socket is gone.
                        assert!(self.live.remove(&id), "an admitted socket closed twice");
                        self.server.connection_closed(id);
                    }
                    // Actions queued while handing out events (deferred work).
                    while let Some(a) = t.sock.poll_action() {
                        self.trace.push(format!("  socket {i} action {a:?}"));
                        t.check_action(&a, &self.trace);
                    }
                }
                t.check_state(&self.trace);
            }
            while let Some(a) = self.server.poll_action() {
                moved = true;
                match a {
                    ServerAction::Listen(at) => {
                        assert!(self.listen_pending.is_none(), "two binds at once");
                        self.listen_pending = Some(at);
                    }
                    ServerAction::CloseListener => {}
                    ServerAction::Lookup { .. } => {
                        panic!("a lookup nobody asked for: the harness listens on addresses")
                    }
                }
            }
            while let Some(ev) = self.server.poll_event() {
                self.trace.push(format!("  server event {ev:?}"));
                moved = true;
                match ev {
                    ServerEvent::Close => {
                        assert!(
                            self.server_close_owed,
                            "server close without close()\n{}",
                            self.trace.join("\n")
                        );
                        assert!(self.live.is_empty(), "server close with live connections");
                        assert_eq!(self.server.get_connections(), 0);
                        self.server_close_owed = false;
                    }
                    ServerEvent::Listening => {
                        assert!(self.server.listening(), "listening event while not listening")
                    }
                    ServerEvent::Connection(id) => {
                        assert!(self.live.contains(&id), "connection event for {id:?}")
                    }
                    ServerEvent::Drop(_) | ServerEvent::Error(_) => {}
                    other => panic!("an event this model does not know: {other:?}"),
                }
            }
            if self.server.listening() {
                assert!(self.server.address().is_some(), "listening without an address");
            }
            assert_eq!(self.server.get_connections(), self.live.len(), "getConnections");
            if !moved {
                break;
            }
        }
    }

    /// Tear down: hand out everything, destroy everything; each socket closed exactly once and
    /// the server's `close` came.
    fn finish(mut self) {
        self.trace.push("finish".to_owned());
        self.drain_all(true);
        let _ = self.server.close();
        self.server_close_owed = true;
        for t in &mut self.sockets {
            t.sock.resume();
            t.sock.destroy();
        }
        self.drain_all(true);
        for (i, t) in self.sockets.iter_mut().enumerate() {
            assert_eq!(t.closes, 1, "socket {i} closed {} times\n{}", t.closes, self.trace.join("\n"));
            assert!(t.sock.poll_event().is_none());
            assert_eq!(t.done_ids, t.ids, "socket {i}: callbacks never called\n{}", self.trace.join("\n"));
        }
        assert_eq!(self.server.get_connections(), 0, "the server still counts connections");
        assert!(!self.server_close_owed, "the server's close never came\n{}", self.trace.join("\n"));
    }
}
