//! Random scenarios judged by Node: well-formed scenarios generated at random, run on Node 26
//! and on every backend of this library; the traces must be identical. Node decides, so a bug in
//! net-core (which the simulator shares with every backend) shows here too.
//!
//! A case whose Node trace varies between runs says nothing and is set aside (counted as
//! unsettled), never edited. A case where a backend differs from Node is shrunk (proptest's
//! simplify/complicate search, each step judged by Node again) and saved under
//! `scenarios/found/` with a golden recorded from Node.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::scenario::SOCKET_PROPS;
use crate::{Backend, Scenario, node, trace, trace_rust};

/// How the two ends reach each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// TCP on 127.0.0.1.
    Tcp,
    /// TCP on ::1.
    Tcp6,
    /// A Unix-domain socket.
    Ipc,
}

/// What a `write` or `end` sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// N bytes of `abc…`.
    Bytes(usize),
    /// A short string.
    Text(&'static str),
}

impl Data {
    fn len(&self) -> usize {
        match self {
            Self::Bytes(n) => *n,
            Self::Text(t) => t.len(),
        }
    }

    fn word(&self) -> String {
        match self {
            Self::Bytes(n) => n.to_string(),
            Self::Text(t) => format!("{t:?}"),
        }
    }
}

/// One generated step. Actors are `c` (the client), `a` (the accepted socket) and `s`.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub enum Op {
    /// `write` (or `write_cb`, with a callback).
    Write(&'static str, Data, bool),
    /// `end` (or `end_cb`).
    End(&'static str, Option<Data>, bool),
    /// `mark ACTOR`.
    Mark(&'static str),
    Destroy(&'static str, Option<&'static str>),
    DestroySoon(&'static str),
    ResetAndDestroy(&'static str),
    Pause(&'static str),
    Resume(&'static str),
    SetTimeout(&'static str, u64),
    NoDelay(&'static str),
    KeepAlive(&'static str),
    Record(&'static str, &'static str),
    RecordServer(&'static str),
    GetConnections,
    CloseServer,
    MaxConnections(u32),
    Sleep(u64),
    /// `await ACTOR EVENT`.
    Await(&'static str, &'static str),
    /// `await ACTOR data N` (N counted from the bytes the other side wrote so far).
    AwaitData(&'static str, usize),
    /// `abort c`: the client's `AbortController` (only with `How::Signal`).
    Abort,
}

/// How the client connects: plainly, by name, through a custom lookup, or with a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// `connect c s`.
    Plain,
    /// `host=localhost` (TCP over IPv4 only): a real lookup.
    ByName,
    /// `host=example.test lookup=SPEC` with the server's address.
    Lookup(&'static str),
    /// `signal`, and `abort c` steps.
    Signal,
}

/// Custom lookup answers: good ones first, then ones Node fails or skips.
/// `{a}` is the server's address, `{f}` its family. No empty answer: with every address asked
/// for, Node throws a TypeError from inside its callback (`addresses[0]` is undefined), where
/// we fail with ERR_INVALID_IP_ADDRESS.
const LOOKUPS: &[&str] =
    &["{a}/{f}", "nope/4,{a}/{f}", "{a}/{f},{a}/{f}", "{a}/5,{a}/{f}", "error:EAI_AGAIN", "nope/4"];

/// One random scenario.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub struct Case {
    pub transport: Transport,
    pub half_open_server: bool,
    pub half_open_client: bool,
    pub pause_on_connect: bool,
    /// A small high-water mark on both sides (more `false` writes and `drain`s).
    pub small_mark: bool,
    /// Client steps run right after `connect`, before anything is awaited (while connecting).
    pub early: Vec<Op>,
    /// Whether the scenario awaits the connection (and names the accepted socket `a`).
    pub accept: bool,
    pub ops: Vec<Op>,
    pub how: How,
    /// `listen s tcp host=localhost` (a listen through a real lookup; TCP over IPv4 only).
    pub listen_by_name: bool,
}

const AWAITED: &[&str] = &["connect", "end", "finish", "close", "drain", "timeout", "error", "callback"];

/// Codes for `destroy A CODE`: some Node uses, and one of the caller's own.
const CODES: &[&str] = &["ETIMEDOUT", "ECONNRESET", "EPIPE", "ECONNREFUSED", "E_APP_QUIT"];

fn cb_suffix(cb: bool) -> &'static str {
    if cb { "_cb" } else { "" }
}

const TEXTS: &[&str] = &["hello", "x", "line\n", "bye"];

fn data() -> impl Strategy<Value = Data> {
    prop_oneof![
        4 => (1usize..16_000).prop_map(Data::Bytes),
        1 => (16_000usize..100_000).prop_map(Data::Bytes),
        2 => prop::sample::select(TEXTS).prop_map(Data::Text),
    ]
}

fn op(actors: &'static [&'static str]) -> impl Strategy<Value = Op> {
    let actor = move || prop::sample::select(actors);
    prop_oneof![
        5 => (actor(), data(), prop::bool::weighted(0.3)).prop_map(|(a, d, cb)| Op::Write(a, d, cb)),
        2 => (actor(), prop::option::weighted(0.3, data()), prop::bool::weighted(0.3))
            .prop_map(|(a, d, cb)| Op::End(a, d, cb)),
        2 => actor().prop_map(Op::Mark),
        1 => (actor(), prop::option::weighted(0.4, prop::sample::select(CODES))).prop_map(|(a, c)| Op::Destroy(a, c)),
        1 => actor().prop_map(Op::DestroySoon),
        1 => actor().prop_map(Op::ResetAndDestroy),
        1 => actor().prop_map(Op::Pause),
        1 => actor().prop_map(Op::Resume),
        1 => (actor(), prop_oneof![Just(0u64), 10u64..60]).prop_map(|(a, ms)| Op::SetTimeout(a, ms)),
        1 => actor().prop_map(Op::NoDelay),
        1 => actor().prop_map(Op::KeepAlive),
        4 => (actor(), prop::sample::select(SOCKET_PROPS)).prop_map(|(a, p)| Op::Record(a, p)),
        1 => prop::sample::select(&["address", "listening"][..]).prop_map(Op::RecordServer),
        1 => Just(Op::GetConnections),
        1 => Just(Op::CloseServer),
        1 => (0u32..3).prop_map(Op::MaxConnections),
        3 => (5u64..25).prop_map(Op::Sleep),
        4 => (actor(), prop::sample::select(AWAITED)).prop_map(|(a, e)| Op::Await(a, e)),
        2 => (actor(), 1usize..200_000).prop_map(|(a, n)| Op::AwaitData(a, n)),
    ]
}

/// The random scenarios.
pub fn case() -> impl Strategy<Value = Case> {
    let transport =
        prop_oneof![3 => Just(Transport::Tcp), 1 => Just(Transport::Tcp6), 2 => Just(Transport::Ipc)];
    let flags = (any::<bool>(), any::<bool>(), prop::bool::weighted(0.15), any::<bool>());
    (
        transport,
        flags,
        prop::collection::vec(op(&["c"]), 0..3),
        prop::bool::weighted(0.85),
        prop::collection::vec(op(&["c", "a"]), 1..12),
        (
            prop_oneof![
                8 => Just(How::Plain),
                1 => Just(How::ByName),
                2 => prop::sample::select(LOOKUPS).prop_map(How::Lookup),
                1 => Just(How::Signal),
            ],
            prop::bool::weighted(0.1),
            prop::collection::vec(0usize..12, 0..2),
        ),
    )
        .prop_map(|(transport, (hs, hc, poc, small), early, accept, ops, (how, by_name, aborts))| {
            let tcp4 = transport == Transport::Tcp;
            let how = match how {
                How::ByName if !tcp4 => How::Plain,
                How::Lookup(_) if transport == Transport::Ipc => How::Plain,
                // A lookup that fails leaves nothing to accept.
                How::Lookup(spec) if accept && !LOOKUPS[..4].contains(&spec) => How::Lookup(LOOKUPS[0]),
                other => other,
            };
            let mut ops: Vec<Op> =
                if accept { ops } else { ops.into_iter().filter(|o| !mentions_a(o)).collect() };
            if how == How::Signal {
                for at in aborts {
                    ops.insert(at.min(ops.len()), Op::Abort);
                }
                // After an abort most awaits would only time out: none follow it.
                if let Some(first) = ops.iter().position(|o| matches!(o, Op::Abort)) {
                    let mut at = 0;
                    ops.retain(|o| {
                        at += 1;
                        at <= first + 1 || !matches!(o, Op::Await(..) | Op::AwaitData(..))
                    });
                }
            }
            Case {
                transport,
                half_open_server: hs,
                half_open_client: hc,
                pause_on_connect: poc,
                small_mark: small,
                early,
                accept,
                ops,
                how,
                listen_by_name: by_name && tcp4,
            }
        })
}

fn mentions_a(op: &Op) -> bool {
    matches!(
        op,
        Op::Write("a", ..)
            | Op::End("a", ..)
            | Op::Mark("a")
            | Op::Destroy("a", _)
            | Op::DestroySoon("a")
            | Op::ResetAndDestroy("a")
            | Op::Pause("a")
            | Op::Resume("a")
            | Op::SetTimeout("a", _)
            | Op::NoDelay("a")
            | Op::KeepAlive("a")
            | Op::Record("a", _)
            | Op::Await("a", _)
            | Op::AwaitData("a", _)
    )
}

impl Case {
    /// The open deviation class this case falls in, if any: such cases are generated but not
    /// judged (and counted as `known`), so that a run stays about what is not known yet. Each
    /// class has `deviation:` scenarios; remove its line here when it is fixed.
    pub fn known_deviation(&self) -> Option<&'static str> {
        let unawaited: &[Op] = if self.accept { &[] } else { &self.ops };
        // Node emits a Unix socket's `connectionAttempt` inside connect() itself; the
        // interpreter hands events out only after the step, so a client `mark` in that tick
        // lands before it instead of after.
        if self.transport == Transport::Ipc
            && self.early.iter().chain(unawaited).any(|o| matches!(o, Op::Mark("c")))
        {
            return Some("IPC connectionAttempt inside connect()");
        }
        // The same with a custom lookup that answers at once: Node emits `lookup` and
        // `connectionAttempt` inside connect() (lookup/custom-lookup-events-inside-connect).
        if matches!(self.how, How::Lookup(_))
            && self.early.iter().chain(unawaited).any(|o| matches!(o, Op::Mark("c")))
        {
            return Some("custom lookup's events inside connect()");
        }
        // rst/reset-after-two-writes-while-connecting.
        if self.early.iter().chain(unawaited).any(|o| matches!(o, Op::ResetAndDestroy(_))) {
            return Some("reset while connecting after writes");
        }
        // Node's remoteAddress asks the kernel the first time it is read, which fails once the
        // connection is being torn down (address/remote-address-after-peer-reset-inside-connect).
        let mut torn = false;
        for op in self.early.iter().chain(&self.ops) {
            match op {
                Op::End(..) | Op::Destroy(..) | Op::DestroySoon(_) | Op::ResetAndDestroy(_) => torn = true,
                Op::Record(_, "remoteAddress" | "remoteFamily") if torn => {
                    return Some("remoteAddress from getpeername");
                }
                _ => {}
            }
        }
        // libuv refuses a reset after a shutdown (rst/reset-after-end-inside-connect).
        let mut ended = [false; 2];
        for op in self.early.iter().chain(&self.ops) {
            let who = |a: &str| usize::from(a == "a");
            match op {
                Op::End(a, ..) | Op::DestroySoon(a) => ended[who(a)] = true,
                Op::ResetAndDestroy(a) if ended[who(a)] => return Some("reset after end: EINVAL"),
                _ => {}
            }
        }
        None
    }
}

/// How long a generated `await` waits: an event it asks for may never come.
pub const AWAIT_LIMIT_MS: u64 = 400;

impl Case {
    /// The scenario text.
    pub fn text(&self) -> String {
        let mut s = String::from("title: generated by the random Node-differential run\nports:\n");
        let _ = writeln!(s, "await_limit: {AWAIT_LIMIT_MS}");
        let mark = if self.small_mark { " highWaterMark=1024" } else { "" };
        let _ = writeln!(
            s,
            "server s{}{}{mark}",
            if self.half_open_server { " allowHalfOpen" } else { "" },
            if self.pause_on_connect { " pauseOnConnect" } else { "" }
        );
        let kind = match self.transport {
            Transport::Tcp => "tcp",
            Transport::Tcp6 => "tcp6",
            Transport::Ipc => "ipc",
        };
        let _ = writeln!(s, "listen s {kind}{}", if self.listen_by_name { " host=localhost" } else { "" });
        s.push_str("await s listening\n");
        let (a, f) = if self.transport == Transport::Tcp6 { ("::1", "6") } else { ("127.0.0.1", "4") };
        let how = match self.how {
            How::Plain => String::new(),
            How::ByName => " host=localhost".into(),
            How::Lookup(spec) => {
                format!(" host=example.test lookup={}", spec.replace("{a}", a).replace("{f}", f))
            }
            How::Signal => " signal".into(),
        };
        let _ = writeln!(
            s,
            "connect c s{}{mark}{how}",
            if self.half_open_client { " allowHalfOpen" } else { "" }
        );
        // How much a reset leaves readable depends on the kernel's receive window, which the
        // simulator models as a fixed 128,000 bytes; keep each side's bytes under it.
        let mut written = std::collections::HashMap::new();
        let mut lines = Vec::new();
        for op in &self.early {
            lines.extend(self.line(op, &mut written));
        }
        if self.accept {
            lines.push("await s connection a".into());
            lines.push("await c connect".into());
        }
        for op in &self.ops {
            lines.extend(self.line(op, &mut written));
        }
        for l in lines {
            s.push_str(&l);
            s.push('\n');
        }
        // Let the loopback settle before the run's final 50 ms.
        s.push_str("sleep 30\n");
        s
    }

    fn line(&self, op: &Op, written: &mut std::collections::HashMap<&'static str, usize>) -> Option<String> {
        let mut send = |a: &'static str, d: &Data| {
            let total = written.entry(a).or_insert(0usize);
            if *total + d.len() > 120_000 {
                return false;
            }
            *total += d.len();
            true
        };
        Some(match op {
            Op::Write(a, d, cb) => {
                if !send(a, d) {
                    return None;
                }
                format!("write{} {a} {}", cb_suffix(*cb), d.word())
            }
            Op::End(a, Some(d), cb) if send(a, d) => format!("end{} {a} {}", cb_suffix(*cb), d.word()),
            Op::End(a, _, cb) => format!("end{} {a}", cb_suffix(*cb)),
            Op::Mark(a) => format!("mark {a}"),
            Op::Destroy(a, Some(code)) => format!("destroy {a} {code}"),
            Op::Destroy(a, None) => format!("destroy {a}"),
            Op::DestroySoon(a) => format!("destroy_soon {a}"),
            Op::ResetAndDestroy(a) => format!("reset_and_destroy {a}"),
            Op::Pause(a) => format!("pause {a}"),
            Op::Resume(a) => format!("resume {a}"),
            Op::SetTimeout(a, ms) => format!("set_timeout {a} {ms}"),
            Op::NoDelay(a) => format!("set_no_delay {a}"),
            Op::KeepAlive(a) => format!("set_keep_alive {a} true 1000"),
            Op::Record(a, p) => format!("record {a} {p}"),
            Op::RecordServer(p) => format!("record s {p}"),
            Op::GetConnections => "get_connections s".into(),
            Op::CloseServer => "close s".into(),
            Op::MaxConnections(n) => format!("max_connections s {n}"),
            Op::Sleep(ms) => format!("sleep {ms}"),
            Op::Await(a, e) => format!("await {a} {e}"),
            Op::AwaitData(a, n) => {
                // Ask for no more than the other side has written so far (else it only times out).
                let other = if *a == "c" { "a" } else { "c" };
                let sent = written.get(other).copied().unwrap_or(0);
                if sent == 0 {
                    return None;
                }
                format!("await {a} data {}", 1 + n % sent)
            }
            Op::Abort => "abort c".into(),
        })
    }
}

/// What Node and the backends made of one scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every backend gave Node's trace.
    Agree,
    /// Node gave different traces on repeated runs: the case decides nothing.
    Unsettled,
    /// A backend differs from Node (the report, traces side by side).
    Differ(String),
}

/// Node (a pool of serving processes) and the backends it judges.
pub struct Oracle {
    pool: node::Pool,
    backends: Vec<Backend>,
}

impl Oracle {
    /// Judge `backends` against the Node at `node`.
    pub fn new(node: &Path, backends: &[Backend]) -> Self {
        Self { pool: node::Pool::new(node), backends: backends.to_vec() }
    }

    /// Run `text` on Node twice and on every backend, all at once; compare.
    pub fn judge(&self, text: &str) -> Result<Verdict, String> {
        let sc = Scenario::parse(Path::new("generated.scn"), text).map_err(|e| e.to_string())?;
        let (n1, n2, rust) = std::thread::scope(|s| {
            let n1 = s.spawn(|| self.pool.trace_source(text));
            let n2 = s.spawn(|| self.pool.trace_source(text));
            let sc = &sc;
            let rust: Vec<_> =
                self.backends.iter().map(|&b| (b, s.spawn(move || trace_rust(b, sc)))).collect();
            let rust: Vec<_> =
                rust.into_iter().map(|(b, h)| (b, h.join().expect("backend run panicked"))).collect();
            (n1.join().expect("node thread"), n2.join().expect("node thread"), rust)
        });
        let (n1, n2) = (n1?, n2?);
        if n1 != n2 {
            return Ok(Verdict::Unsettled);
        }
        let mut report = String::new();
        for (b, actual) in &rust {
            if *actual == n1 {
                continue;
            }
            // Before calling it a bug, give Node two more chances to show the same trace.
            for _ in 0..2 {
                if self.pool.trace_source(text)? == *actual {
                    return Ok(Verdict::Unsettled);
                }
            }
            let _ = write!(report, "node and {} differ:\n{}", b.name(), trace::side_by_side(&n1, actual));
        }
        Ok(if report.is_empty() { Verdict::Agree } else { Verdict::Differ(report) })
    }

    /// Record a golden for `text` from three Node runs; `None` if they differ.
    pub fn golden(&self, text: &str) -> Result<Option<Vec<String>>, String> {
        let first = self.pool.trace_source(text)?;
        for _ in 0..2 {
            if self.pool.trace_source(text)? != first {
                return Ok(None);
            }
        }
        Ok(Some(first))
    }
}

/// A difference found and shrunk.
#[derive(Debug, Clone)]
pub struct Found {
    /// The shrunk scenario's text.
    pub text: String,
    /// The traces side by side.
    pub report: String,
    /// Where it was saved (with its golden beside it, if Node gave one trace three times).
    pub saved: Option<PathBuf>,
}

/// What a run of random cases gave.
#[derive(Debug, Default)]
pub struct Report {
    /// Cases generated and judged (shrinking steps not counted).
    pub ran: u32,
    /// Cases set aside because Node's own trace varied.
    pub unsettled: u32,
    /// Cases not judged because they fall in an open deviation class ([`Case::known_deviation`]).
    pub known: u32,
    /// `known`, per class.
    pub known_by_class: std::collections::BTreeMap<&'static str, u32>,
    /// Differences found, each shrunk.
    pub found: Vec<Found>,
}

/// Options of [`explore`].
#[derive(Debug, Clone)]
pub struct Explore {
    /// Cases to generate.
    pub cases: u32,
    /// Seed of the generator (the run prints it, so a run can be repeated).
    pub seed: u64,
    /// Cases judged at once (each runs Node twice and every backend concurrently).
    pub jobs: usize,
    /// Stop after this many differences.
    pub max_found: usize,
    /// Save shrunk cases under this folder (`scenarios/found/`), goldens beside them.
    pub save_to: Option<PathBuf>,
    /// Shrinking steps per difference.
    pub max_shrink: u32,
}

impl Explore {
    /// `cases` cases from `seed`, two at a time, stopping at the first difference.
    pub fn new(cases: u32, seed: u64) -> Self {
        Self { cases, seed, jobs: 2, max_found: 1, save_to: None, max_shrink: 200 }
    }
}

/// Generate and judge cases; shrink and save what differs.
pub fn explore(
    oracle: &Oracle,
    opts: &Explore,
    progress: &(dyn Fn(&Report) + Sync),
) -> Result<Report, String> {
    let next = AtomicU32::new(0);
    let report = Mutex::new(Report::default());
    let error = Mutex::new(None::<String>);
    let stop = || report.lock().unwrap().found.len() >= opts.max_found || error.lock().unwrap().is_some();
    std::thread::scope(|s| {
        for job in 0..opts.jobs.max(1) {
            let (next, report, error, stop) = (&next, &report, &error, &stop);
            s.spawn(move || {
                let mut seed = [0u8; 32];
                seed[..8].copy_from_slice(&opts.seed.to_le_bytes());
                seed[8..16].copy_from_slice(&(job as u64).to_le_bytes());
                let mut runner = TestRunner::new_with_rng(
                    Config { failure_persistence: None, ..Config::default() },
                    TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
                );
                let strategy = case();
                while next.fetch_add(1, Ordering::SeqCst) < opts.cases && !stop() {
                    let mut tree = match strategy.new_tree(&mut runner) {
                        Ok(t) => t,
                        Err(e) => {
                            *error.lock().unwrap() = Some(e.to_string());
                            return;
                        }
                    };
                    if let Some(class) = tree.current().known_deviation() {
                        let mut r = report.lock().unwrap();
                        r.known += 1;
                        *r.known_by_class.entry(class).or_default() += 1;
                        continue;
                    }
                    let text = tree.current().text();
                    let verdict = match oracle.judge(&text) {
                        Ok(v) => v,
                        Err(e) => {
                            *error.lock().unwrap() = Some(e);
                            return;
                        }
                    };
                    {
                        let mut r = report.lock().unwrap();
                        r.ran += 1;
                        if verdict == Verdict::Unsettled {
                            r.unsettled += 1;
                        }
                        progress(&r);
                    }
                    if let Verdict::Differ(first) = verdict {
                        let found = shrink(oracle, &mut tree, text, first, opts);
                        report.lock().unwrap().found.push(found);
                    }
                }
            });
        }
    });
    if let Some(e) = error.into_inner().unwrap() {
        return Err(e);
    }
    Ok(report.into_inner().unwrap())
}

/// proptest's shrinking loop (simplify while it still fails, complicate when it passes), with
/// Node judging each step; a step whose Node trace varies counts as passing.
fn shrink(
    oracle: &Oracle,
    tree: &mut impl ValueTree<Value = Case>,
    mut text: String,
    mut report: String,
    opts: &Explore,
) -> Found {
    let mut steps = 0;
    if tree.simplify() {
        while steps < opts.max_shrink {
            steps += 1;
            if tree.current().known_deviation().is_some() {
                if !tree.complicate() {
                    break;
                }
                continue;
            }
            let candidate = tree.current().text();
            match oracle.judge(&candidate) {
                Ok(Verdict::Differ(r)) => {
                    text = candidate;
                    report = r;
                    if !tree.simplify() {
                        break;
                    }
                }
                _ => {
                    if !tree.complicate() {
                        break;
                    }
                }
            }
        }
    }
    let saved = opts.save_to.as_ref().and_then(|dir| save(oracle, dir, &text, &report));
    Found { text, report, saved }
}

fn save(oracle: &Oracle, dir: &Path, text: &str, report: &str) -> Option<PathBuf> {
    std::fs::create_dir_all(dir).ok()?;
    let file = dir.join(format!("case-{:016x}.scn", fnv(text)));
    let first = report.lines().next().unwrap_or_default();
    let text = text.replacen(
        "title: generated by the random Node-differential run",
        &format!("title: found by the random Node-differential run ({first})"),
        1,
    );
    std::fs::write(&file, &text).ok()?;
    if let Ok(Some(golden)) = oracle.golden(&text) {
        let _ = std::fs::write(file.with_extension("golden"), trace::join_alternatives(&[golden]));
    }
    Some(file)
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// A seed from the clock, for runs that do not name one.
pub fn fresh_seed() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}
