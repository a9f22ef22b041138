//! The interpreter: runs a scenario's steps over a [`Harness`] and records the trace.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use net_core::driver::ServerEventOf;
use net_core::{
    Arg, ConnectArgs, ConnectTarget, Endpoint, ErrorCode, KeepAlive, ListenOptions, NetError, ServerOptions,
    SocketEvent, SocketOptions,
};

use crate::harness::{Harness, Observed, SockId, SrvId, Target};
use crate::scenario::{Scenario, Step, Word};
use crate::trace::{Actor, Ev, Trace, Value};

/// How long an `await` waits before giving up, unless the scenario says (`await_limit:`).
pub const AWAIT_LIMIT: Duration = Duration::from_secs(5);
/// How long the run keeps recording after the last step.
pub const SETTLE: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Socket(SockId),
    Server(SrvId),
}

/// One run of one scenario.
struct Run<'h> {
    h: &'h mut dyn Harness,
    tmp: PathBuf,
    trace: Trace,
    /// Step number at which each actor was first mentioned (its rendering order).
    mentioned: Vec<usize>,
    kinds: Vec<Kind>,
    names: HashMap<String, usize>,
    sock_actor: HashMap<SockId, usize>,
    srv_actor: HashMap<SrvId, usize>,
    /// Events emitted per (actor, event name).
    emitted: HashMap<(usize, &'static str), usize>,
    /// Events already waited for per (actor, event name).
    awaited: HashMap<(usize, &'static str), usize>,
    received: HashMap<usize, u64>,
    /// Accepted actors of each server actor, in order.
    accepted: HashMap<usize, Vec<usize>>,
    /// The last endpoint each server listened on (kept after close, for refused connects).
    endpoints: HashMap<usize, Endpoint>,
    /// Servers that listened on Node's default host (`::`): clients connect to 127.0.0.1.
    default_host: std::collections::HashSet<usize>,
    /// Servers listening on a host the Node runner connects to by that text (a name, a zone):
    /// not one of the loopback or wildcard literals it maps to an address.
    listen_names: HashMap<usize, String>,
    /// How long an `await` waits.
    await_limit: Duration,
    /// The step of each write or end callback still to come.
    callbacks: HashMap<(SockId, net_core::WriteId), usize>,
    /// The `AbortController` of each actor made with `signal`, by name.
    controllers: HashMap<String, net_core::AbortController>,
}

/// The bytes `write C N` sends: `abc…xyzabc…`.
pub fn payload(n: usize) -> Bytes {
    (0..n).map(|i| b'a' + (i % 26) as u8).collect::<Vec<u8>>().into()
}

fn bytes_of(w: &Word) -> Bytes {
    if !w.quoted {
        if let Ok(n) = w.text.parse::<usize>() {
            return payload(n);
        }
    }
    Bytes::from(w.text.clone().into_bytes())
}

fn arg_of(s: &str) -> Arg<'_> {
    match s {
        "true" => Arg::Bool(true),
        "false" => Arg::Bool(false),
        "null" => Arg::Null,
        "undefined" => Arg::Undefined,
        _ => match s.parse::<f64>() {
            Ok(n) => Arg::Number(n),
            Err(_) => Arg::Str(s),
        },
    }
}

fn flag(step: &Step, key: &str) -> bool {
    step.opt(key) == Some("true")
}

fn num(step: &Step, key: &str) -> Option<u64> {
    step.opt(key).and_then(|v| v.parse().ok())
}

/// `blockList=A,B/24,…`: those addresses and subnets.
/// `lookup=SPEC`: a custom lookup that answers at once, as the Node runner's: `ADDR/FAMILY,…`
/// (the answers, valid or not), `none` (no answer) or `error:CODE` (the lookup fails).
fn custom_lookup(spec: &str) -> Result<net_core::CustomLookup, String> {
    let answer: net_core::LookupResult = if let Some(code) = spec.strip_prefix("error:") {
        // A code of the scenario's choosing lives as long as the run: leaked, once per step.
        let code: &'static str = Box::leak(code.to_owned().into_boxed_str());
        Err(NetError::user_with_code(code, "lookup failed"))
    } else if spec == "none" {
        Ok(Vec::new())
    } else {
        spec.split(',')
            .map(|entry| {
                let (address, family) =
                    entry.rsplit_once('/').ok_or_else(|| format!("lookup answer {entry:?} needs /FAMILY"))?;
                let family =
                    family.parse().map_err(|_| format!("lookup family {family:?} is not a number"))?;
                Ok(net_core::LookupAddress::new(address, family))
            })
            .collect::<Result<_, String>>()
            .map(Ok)?
    };
    Ok(net_core::CustomLookup::new(move |_, cb| cb.answer(answer.clone())))
}

fn block_list(spec: &str) -> Result<net_core::BlockList, String> {
    let mut list = net_core::BlockList::new();
    for rule in spec.split(',') {
        let (addr, prefix) = match rule.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| format!("bad prefix in {rule}"))?)),
            None => (rule, None),
        };
        let ip: IpAddr = addr.parse().map_err(|_| format!("bad address {addr}"))?;
        match prefix {
            None => list.add_address_ip(ip),
            Some(p) => list.add_subnet_ip(ip, p).map_err(|e| e.to_string())?,
        }
    }
    Ok(list)
}

fn code_error(code: &str) -> NetError {
    match ErrorCode::ALL.iter().find(|c| c.as_str() == code) {
        Some(&c) => NetError::new(c, format!("destroyed with {code}")),
        // A scenario's own code: the run lives as long as the tool, and a scenario names few.
        None => NetError::user_with_code(Box::leak(code.into()), format!("destroyed with {code}")),
    }
}

/// Run `scenario` on `h`, with IPC paths under `tmp`; the trace of what happened.
pub fn run(scenario: &Scenario, h: &mut dyn Harness, tmp: &Path) -> Trace {
    let mut run = Run {
        h,
        tmp: tmp.to_owned(),
        trace: Trace { tmp: tmp.to_owned(), ..Trace::default() },
        mentioned: Vec::new(),
        kinds: Vec::new(),
        names: HashMap::new(),
        sock_actor: HashMap::new(),
        srv_actor: HashMap::new(),
        emitted: HashMap::new(),
        awaited: HashMap::new(),
        received: HashMap::new(),
        accepted: HashMap::new(),
        endpoints: HashMap::new(),
        default_host: Default::default(),
        listen_names: Default::default(),
        await_limit: scenario.await_limit.map_or(AWAIT_LIMIT, Duration::from_millis),
        callbacks: HashMap::new(),
        controllers: HashMap::new(),
    };
    for step in &scenario.steps {
        if let Err(stop) = run.step(step) {
            run.value(step, stop);
            break;
        }
    }
    let until = run.h.now() + SETTLE;
    run.pump_until(until, |_| false);
    run.finish()
}

impl Run<'_> {
    fn finish(mut self) -> Trace {
        // Named actors in order of first mention, then unnamed accepted ones in creation order.
        let mut order: Vec<usize> = (0..self.trace.actors.len()).collect();
        order.sort_by_key(|&i| (self.trace.actors[i].name.is_none(), self.mentioned[i], i));
        let mut remap = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            remap[old] = new;
        }
        let mut actors: Vec<Actor> = order.iter().map(|&i| self.trace.actors[i].clone()).collect();
        for a in &mut actors {
            if let Some((s, k)) = a.accepted_by {
                a.accepted_by = Some((remap[s], k));
            }
            for ev in &mut a.events {
                if let Ev::Connection(i) = ev {
                    *i = remap[*i];
                }
            }
        }
        self.trace.actors = actors;
        self.trace
    }

    fn value(&mut self, step: &Step, v: impl Into<Value>) {
        let what = match step.verb.as_str() {
            "record" => format!("record {} {}", step.arg(0), step.arg(1)),
            verb => format!("{verb} {}", step.arg(0)),
        };
        self.trace.values.push((step.number, what, v.into()));
    }

    fn new_actor(&mut self, name: Option<String>, kind: Kind, mentioned: usize) -> usize {
        let i = self.trace.actors.len();
        if let Some(n) = &name {
            self.names.insert(n.clone(), i);
        }
        self.trace.actors.push(Actor { name, accepted_by: None, events: Vec::new() });
        self.mentioned.push(mentioned);
        self.kinds.push(kind);
        match kind {
            Kind::Socket(id) => self.sock_actor.insert(id, i),
            Kind::Server(id) => self.srv_actor.insert(id, i),
        };
        i
    }

    fn actor(&self, name: &str) -> Result<usize, String> {
        self.names.get(name).copied().ok_or_else(|| format!("no actor {name}"))
    }

    fn socket(&self, name: &str) -> Result<SockId, String> {
        match self.kinds[self.actor(name)?] {
            Kind::Socket(id) => Ok(id),
            Kind::Server(_) => Err(format!("{name} is a server")),
        }
    }

    fn server(&self, name: &str) -> Result<(usize, SrvId), String> {
        let a = self.actor(name)?;
        match self.kinds[a] {
            Kind::Server(id) => Ok((a, id)),
            Kind::Socket(_) => Err(format!("{name} is a socket")),
        }
    }

    fn command(
        &mut self,
        name: &str,
        mut f: impl FnMut(&mut net_core::Socket, Instant),
    ) -> Result<(), String> {
        let id = self.socket(name)?;
        self.h.with_core(id, &mut f);
        Ok(())
    }

    /// Run one step; `Err` ends the scenario with that value recorded.
    fn step(&mut self, step: &Step) -> Result<(), String> {
        let a0 = step.arg(0);
        match step.verb.as_str() {
            "server" => {
                let opts = ServerOptions {
                    allow_half_open: flag(step, "allowHalfOpen"),
                    pause_on_connect: flag(step, "pauseOnConnect"),
                    no_delay: flag(step, "noDelay"),
                    keep_alive: flag(step, "keepAlive").then(|| KeepAlive::on(Duration::ZERO)),
                    high_water_mark: num(step, "highWaterMark")
                        .map_or(net_core::DEFAULT_HIGH_WATER_MARK, |n| n as usize),
                    max_connections: num(step, "maxConnections").map(|n| n as u32),
                    block_list: step.opt("blockList").map(block_list).transpose()?,
                };
                let id = self.h.create_server(opts);
                self.new_actor(Some(a0.to_owned()), Kind::Server(id), step.number);
            }
            "listen" => self.listen(step)?,
            "connect" => self.connect(step)?,
            "write" => {
                let id = self.socket(a0)?;
                let ok = self.h.write(id, bytes_of(&step.args[1]));
                self.value(step, Value::Text(ok.to_string()));
            }
            "end" => {
                match step.args.get(1).map(bytes_of) {
                    // Node's end(data): the stream's own write, offered to the kernel (the
                    // command's pump), then end() unless it was refused.
                    Some(d) => {
                        let mut w = None;
                        self.command(a0, |s, _| w = Some(s.end_write(d.clone())))?;
                        let w = w.expect("the command ran");
                        self.command(a0, |s, _| s.end_after(w.clone()))?;
                    }
                    None => self.command(a0, |s, _| s.end())?,
                }
            }
            "write_cb" => {
                // Node's write(data, cb): queued, offered to the kernel (the command's pump), and
                // only then is the return value read, as `write` does.
                let data = bytes_of(&step.args[1]);
                let mut queued = None;
                self.command(a0, |s, _| queued = Some(s.write_with_callback(data.clone())))?;
                let (pending, wid) = queued.expect("the command ran");
                let mut ok = false;
                self.command(a0, |s, _| ok = s.settle(pending))?;
                self.callbacks.insert((self.socket(a0)?, wid), step.number);
                self.value(step, Value::Text(ok.to_string()));
            }
            "end_cb" => {
                let id = self.socket(a0)?;
                let data = step.args.get(1).map(bytes_of);
                let mut wid = None;
                match &data {
                    Some(d) => {
                        let mut w = None;
                        self.command(a0, |s, _| w = Some(s.end_write(d.clone())))?;
                        let w = w.expect("the command ran");
                        self.command(a0, |s, _| wid = Some(s.end_after_with_callback(w.clone())))?;
                    }
                    None => self.command(a0, |s, _| wid = Some(s.end_with_callback()))?,
                }
                self.callbacks.insert((id, wid.expect("the command ran")), step.number);
            }
            "mark" => {
                let line = format!("mark {}", step.number);
                let actors: Vec<usize> = if step.args.is_empty() {
                    self.names.values().copied().collect()
                } else {
                    step.args.iter().map(|w| self.actor(&w.text)).collect::<Result<_, _>>()?
                };
                for a in actors {
                    self.trace.actors[a].events.push(Ev::Text(line.clone()));
                }
            }
            "destroy" => {
                let err = step.args.get(1).map(|w| code_error(&w.text));
                self.command(a0, |s, _| match &err {
                    Some(e) => s.destroy_with_error(e.clone()),
                    None => s.destroy(),
                })?;
            }
            "destroy_soon" => self.command(a0, |s, _| s.destroy_soon())?,
            "abort" => {
                let controller = self.controllers.get(a0).ok_or_else(|| format!("{a0} has no signal"))?;
                self.h.abort(controller);
            }
            "reset_and_destroy" => {
                let mut result = Ok(());
                self.command(a0, |s, _| result = s.reset_and_destroy())?;
                if let Err(e) = result {
                    self.value(step, Value::Text(format!("throws {}", e.code())));
                }
            }
            "pause" => self.command(a0, |s, _| s.pause())?,
            "resume" => self.command(a0, |s, _| s.resume())?,
            "set_timeout" => {
                let w = &step.args[1];
                let arg = if w.quoted { Arg::Str(&w.text) } else { arg_of(&w.text) };
                // Node's setTimeout returns early on a destroyed socket, before checking anything.
                let mut destroyed = false;
                self.h.inspect(self.socket(a0)?, &mut |s| destroyed = s.destroyed());
                match net_core::validate_timeout(arg) {
                    _ if destroyed => {}
                    Ok(d) => self.command(a0, |s, now| s.set_timeout(now, d))?,
                    Err(e) => self.value(step, Value::Text(format!("throws {}", e.code()))),
                }
            }
            "set_no_delay" => {
                let on = step.arg(1) != "false";
                self.command(a0, |s, _| s.set_no_delay(on))?;
            }
            "set_keep_alive" => {
                let on = step.arg(1) != "false";
                let ms: u64 = step.args.get(2).and_then(|w| w.text.parse().ok()).unwrap_or(0);
                let ka = if on { KeepAlive::on(Duration::from_millis(ms)) } else { KeepAlive::off() };
                self.command(a0, |s, _| s.set_keep_alive(ka))?;
            }
            "max_connections" => {
                let (_, id) = self.server(a0)?;
                let n: u32 = step.arg(1).parse().map_err(|_| "max_connections takes a count")?;
                self.h.set_max_connections(id, Some(n));
            }
            "close" => {
                let (_, id) = self.server(a0)?;
                // `server.close()` never throws in Node; not running is reported to a callback only.
                let _ = self.h.close_server(id);
            }
            "get_connections" => {
                let (_, id) = self.server(a0)?;
                let n = self.h.get_connections(id);
                self.value(step, Value::Text(n.to_string()));
            }
            "record" => {
                let v = self.record(a0, step.arg(1))?;
                self.value(step, v);
            }
            "await" => self.wait(step)?,
            "sleep" => {
                let ms: u64 = a0.parse().map_err(|_| "sleep takes milliseconds")?;
                let until = self.h.now() + Duration::from_millis(ms);
                self.pump_until(until, |_| false);
            }
            other => return Err(format!("unknown step {other}")),
        }
        Ok(())
    }

    fn listen(&mut self, step: &Step) -> Result<(), String> {
        let (actor, id) = self.server(step.arg(0))?;
        let mut opts = ListenOptions::default();
        match step.arg(1) {
            "ipc" => {
                let path = match step.opt("path") {
                    None => self.tmp.join(format!("{}.sock", step.arg(0))),
                    Some(p) => match self.names.get(p).and_then(|&a| self.endpoints.get(&a)) {
                        Some(Endpoint::Ipc(path)) => path.clone(),
                        _ => self.tmp.join(p),
                    },
                };
                opts.path = Some(path);
            }
            kind => {
                // Node looks every host it is given up before it binds, an IP literal too (the
                // runner passes it on), so each goes through the same lookup here.
                opts.host_name = match (kind, step.opt("host")) {
                    ("tcp6", _) => Some(Ipv6Addr::LOCALHOST.to_string()),
                    (_, None) => Some(Ipv4Addr::LOCALHOST.to_string()),
                    (_, Some("default")) => None,
                    (_, Some(h)) => Some(h.to_owned()),
                };
                opts.port = match step.opt("port") {
                    None => 0,
                    Some(p) => match self.names.get(p).and_then(|&a| self.endpoints.get(&a)) {
                        Some(Endpoint::Tcp(addr)) => addr.port(),
                        _ => {
                            match (net_core::ListenArgs { port: arg_of(p), ..Default::default() }).validate()
                            {
                                Ok(net_core::ListenTarget::Tcp { port, .. }) => port,
                                Ok(net_core::ListenTarget::Ipc(_)) => unreachable!("no path given"),
                                Err(e) => {
                                    self.value(step, Value::Text(format!("throws {}", e.code())));
                                    return Ok(());
                                }
                            }
                        }
                    },
                };
                match opts.host_name.as_deref() {
                    None => {
                        self.default_host.insert(actor);
                    }
                    Some("127.0.0.1" | "0.0.0.0" | "::1" | "::") => {
                        self.listen_names.remove(&actor);
                    }
                    Some(name) => {
                        self.listen_names.insert(actor, name.to_owned());
                    }
                }
                opts.backlog = num(step, "backlog").map(|n| n as i32);
            }
        }
        opts.signal = self.signal_for(step.arg(0), step);
        if let Err(e) = self.h.listen(id, opts) {
            self.value(step, Value::Text(format!("throws {}", e.code())));
        }
        self.note_address(actor, id);
        Ok(())
    }

    /// Remember where a listening server is, for `connect` and for printing its port or path.
    fn note_address(&mut self, actor: usize, id: SrvId) {
        if !self.h.listening(id) {
            return;
        }
        let name = self.trace.actors[actor].name.clone().unwrap_or_default();
        match self.h.server_address(id) {
            Some(Endpoint::Tcp(addr)) => {
                self.trace.ports.insert(addr.port(), name);
                self.endpoints.insert(actor, Endpoint::Tcp(addr));
            }
            Some(Endpoint::Ipc(path)) => {
                self.trace.paths.insert(path.clone(), name);
                self.endpoints.insert(actor, Endpoint::Ipc(path));
            }
            None => {}
        }
    }

    fn connect(&mut self, step: &Step) -> Result<(), String> {
        let name = step.arg(0).to_owned();
        // localPort=S2: the port server S2 listens on (a port in use).
        let server_port = step.opt("localPort").and_then(|name| {
            let actor = *self.names.get(name)?;
            match self.endpoints.get(&actor) {
                Some(Endpoint::Tcp(addr)) => Some(addr.port().to_string()),
                _ => None,
            }
        });
        let mut args = ConnectArgs::default();
        let (host, port, path);
        if step.args.len() > 1 {
            let (actor, _) = self.server(step.arg(1))?;
            match self.endpoints.get(&actor) {
                Some(Endpoint::Tcp(addr)) => {
                    let ip = match addr.ip() {
                        _ if self.default_host.contains(&actor) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                        ip if ip.is_unspecified() && ip.is_ipv4() => IpAddr::V4(Ipv4Addr::LOCALHOST),
                        ip if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
                        ip => ip,
                    };
                    host = match (step.opt("host"), self.listen_names.get(&actor)) {
                        (Some(h), _) => h.to_owned(),
                        (None, Some(name)) => name.clone(),
                        (None, None) => ip.to_string(),
                    };
                    port = addr.port().to_string();
                    args.host = Arg::Str(&host);
                    args.port = arg_of(&port);
                }
                Some(Endpoint::Ipc(p)) => {
                    path = p.display().to_string();
                    args.path = Arg::Str(&path);
                }
                None => return Err(format!("server {} never listened", step.arg(1))),
            }
        } else {
            if let Some(p) = step.opt("port") {
                args.port = arg_of(p);
            }
            if let Some(h) = step.opt("host") {
                args.host = arg_of(h);
            }
            if let Some(p) = step.opt("path") {
                path = self.tmp.join(p).display().to_string();
                args.path = Arg::Str(&path);
            }
        }
        for (key, slot) in [
            ("family", &mut args.family),
            ("autoSelectFamily", &mut args.auto_select_family),
            ("autoSelectFamilyAttemptTimeout", &mut args.auto_select_family_attempt_timeout),
            ("localAddress", &mut args.local_address),
            ("localPort", &mut args.local_port),
            ("hints", &mut args.hints),
        ] {
            if let Some(v) = step.opt(key) {
                *slot = arg_of(v);
            }
        }
        if let Some(p) = &server_port {
            args.local_port = arg_of(p);
        }
        args.has_lookup = step.opt("lookup").is_some();
        let target = match args.validate() {
            Ok(ConnectTarget::Tcp(mut opts)) => {
                opts.block_list = step.opt("blockList").map(block_list).transpose()?;
                opts.lookup = step.opt("lookup").map(custom_lookup).transpose()?;
                Target::Tcp(opts)
            }
            Ok(ConnectTarget::Ipc(p)) => Target::Ipc(p),
            Err(e) => {
                self.value(step, Value::Text(format!("throws {}", e.code())));
                return Ok(());
            }
        };
        let mut opts = SocketOptions::default().allow_half_open(flag(step, "allowHalfOpen"));
        if let Some(n) = num(step, "highWaterMark") {
            opts = opts.high_water_mark(n as usize);
        }
        opts.no_delay = flag(step, "noDelay");
        if flag(step, "keepAlive") {
            let delay = num(step, "keepAliveInitialDelay").unwrap_or(0);
            opts.keep_alive = Some(KeepAlive::on(Duration::from_millis(delay)));
        }
        opts.timeout = num(step, "timeout").filter(|&ms| ms > 0).map(Duration::from_millis);
        opts.signal = self.signal_for(&name, step);
        let id = self.h.connect(target, opts);
        self.new_actor(Some(name), Kind::Socket(id), step.number);
        Ok(())
    }

    /// A new `AbortController` for the actor if the step asks for `signal`: its signal.
    fn signal_for(&mut self, name: &str, step: &Step) -> Option<net_core::AbortSignal> {
        if !flag(step, "signal") {
            return None;
        }
        let controller = net_core::AbortController::new();
        let signal = controller.signal();
        self.controllers.insert(name.to_owned(), controller);
        Some(signal)
    }

    fn record(&mut self, name: &str, prop: &str) -> Result<Value, String> {
        let a = self.actor(name)?;
        let text = |s: String| Ok(Value::Text(s));
        match self.kinds[a] {
            Kind::Server(id) => match prop {
                "listening" => text(self.h.listening(id).to_string()),
                "address" => Ok(match self.h.server_address(id) {
                    Some(Endpoint::Tcp(addr)) => Value::Addr(addr),
                    Some(Endpoint::Ipc(p)) => Value::Path(p),
                    None => Value::Text("null".into()),
                }),
                _ => Err(format!("{prop} is not a server property")),
            },
            Kind::Socket(id) => {
                let mut v = Err(format!("{prop} is not a socket property"));
                self.h.inspect(id, &mut |s| {
                    let addr = |a: Option<SocketAddr>| {
                        a.map_or_else(|| Value::Text("undefined".into()), Value::Addr)
                    };
                    v = match prop {
                        "readyState" => text(s.ready_state().as_str().to_owned()),
                        "bytesRead" => text(s.bytes_read().to_string()),
                        "bytesWritten" => text(s.bytes_written().to_string()),
                        "writableLength" => text(s.writable_length().to_string()),
                        "destroyed" => text(s.destroyed().to_string()),
                        "pending" => text(s.pending().to_string()),
                        "connecting" => text(s.connecting().to_string()),
                        "localAddress" => Ok(addr(s.local_address())),
                        "remoteAddress" => Ok(addr(s.remote_address())),
                        "remoteFamily" => text(
                            s.remote_family()
                                .map_or_else(|| "undefined".to_owned(), |f| f.as_str().to_owned()),
                        ),
                        "readable" => text(s.readable().to_string()),
                        "writable" => text(s.writable().to_string()),
                        "readableLength" => text(s.readable_length().to_string()),
                        "isPaused" => text(s.is_paused().to_string()),
                        // The runner always listens for `data`, which sets Node's flowing mode
                        // unless pauseOnConnect or pause() turned it off.
                        "readableFlowing" => text((!s.is_paused()).to_string()),
                        "writableNeedDrain" => text(s.writable_need_drain().to_string()),
                        "writableEnded" => text(s.writable_ended().to_string()),
                        "writableFinished" => text(s.writable_finished().to_string()),
                        "errored" => {
                            text(s.errored().map_or_else(|| "null".to_owned(), |e| e.code().to_owned()))
                        }
                        "timeout" => text(
                            s.timeout().map_or_else(|| "undefined".to_owned(), |d| d.as_millis().to_string()),
                        ),
                        _ => Err(format!("{prop} is not a socket property")),
                    };
                });
                v
            }
        }
    }

    fn wait(&mut self, step: &Step) -> Result<(), String> {
        let a = self.actor(step.arg(0))?;
        let event =
            crate::scenario::EVENTS.iter().copied().find(|e| *e == step.arg(1)).ok_or("unknown event")?;
        let until = self.h.now() + self.await_limit;
        let met = if event == "data" {
            let want: u64 = step.args.get(2).and_then(|w| w.text.parse().ok()).unwrap_or(1);
            self.pump_until(until, |run| run.received.get(&a).copied().unwrap_or(0) >= want)
        } else {
            let want = self.awaited.get(&(a, event)).copied().unwrap_or(0) + 1;
            let met =
                self.pump_until(until, |run| run.emitted.get(&(a, event)).copied().unwrap_or(0) >= want);
            if met {
                self.awaited.insert((a, event), want);
                if event == "connection" {
                    if let Some(name) = step.args.get(2) {
                        let conn = self.accepted[&a][want - 1];
                        self.trace.actors[conn].name = Some(name.text.clone());
                        self.names.insert(name.text.clone(), conn);
                        self.mentioned[conn] = step.number;
                    }
                }
            }
            met
        };
        if met { Ok(()) } else { Err("timed out".into()) }
    }

    /// Record events until `done` holds (true) or the clock reaches `until` (false).
    fn pump_until(&mut self, until: Instant, done: impl Fn(&Self) -> bool) -> bool {
        loop {
            if done(self) {
                return true;
            }
            match self.h.next_event(until) {
                Some(ev) => self.observe(ev),
                None => return done(self),
            }
        }
    }

    fn emit(&mut self, actor: usize, name: &'static str, ev: Ev) {
        *self.emitted.entry((actor, name)).or_default() += 1;
        self.trace.actors[actor].events.push(ev);
    }

    fn observe(&mut self, ev: Observed) {
        match ev {
            Observed::Socket(id, ev) => {
                let Some(&a) = self.sock_actor.get(&id) else { return };
                let text = |s: &str| Ev::Text(s.to_owned());
                let (name, line) = match ev {
                    SocketEvent::Lookup { error: Some(e), host, .. } => {
                        ("lookup", Ev::Text(format!("lookup error {} {host}", e.code())))
                    }
                    SocketEvent::Lookup { address, family, host, .. } => (
                        "lookup",
                        Ev::Text(format!(
                            "lookup {} {} {host}",
                            address.as_deref().unwrap_or("undefined"),
                            family.map_or_else(|| "undefined".to_owned(), |f| f.to_string())
                        )),
                    ),
                    SocketEvent::ConnectionAttempt(to) => {
                        ("connectionAttempt", attempt("connectionAttempt", &to, None))
                    }
                    SocketEvent::ConnectionAttemptFailed(to, e) => (
                        "connectionAttemptFailed",
                        attempt("connectionAttemptFailed", &to, Some(e.code().to_owned())),
                    ),
                    SocketEvent::ConnectionAttemptTimeout(to) => {
                        ("connectionAttemptTimeout", attempt("connectionAttemptTimeout", &to, None))
                    }
                    SocketEvent::Connect => ("connect", text("connect")),
                    SocketEvent::Ready => ("ready", text("ready")),
                    SocketEvent::Data(d) => {
                        *self.received.entry(a).or_default() += d.len() as u64;
                        ("data", Ev::Data(d.to_vec()))
                    }
                    SocketEvent::End => ("end", text("end")),
                    SocketEvent::Drain => ("drain", text("drain")),
                    SocketEvent::Timeout => ("timeout", text("timeout")),
                    SocketEvent::Finish => ("finish", text("finish")),
                    SocketEvent::Error(e) => ("error", Ev::Text(format!("error {}", e.code()))),
                    SocketEvent::Close { had_error } => ("close", Ev::Text(format!("close {had_error}"))),
                    SocketEvent::WriteDone(wid, err) => {
                        // Only the callbacks a step asked for (the harness's own writes have none).
                        let Some(step) = self.callbacks.remove(&(id, wid)) else { return };
                        let line = match err {
                            Some(e) => format!("callback {step} {}", e.code()),
                            None => format!("callback {step}"),
                        };
                        ("callback", Ev::Text(line))
                    }
                    SocketEvent::Prefinish => return,
                    // An event this harness does not know yet shows up in the trace's diff.
                    other => ("unknown", Ev::Text(format!("unknown event {other:?}"))),
                };
                self.emit(a, name, line);
            }
            Observed::Server(id, ev) => {
                let Some(&a) = self.srv_actor.get(&id) else { return };
                match ev {
                    ServerEventOf::Listening => {
                        self.note_address(a, id);
                        self.emit(a, "listening", Ev::Text("listening".into()));
                    }
                    ServerEventOf::Connection(sock) => {
                        let k = self.accepted.get(&a).map_or(0, Vec::len) + 1;
                        let conn = self.new_actor(None, Kind::Socket(sock), usize::MAX);
                        self.trace.actors[conn].accepted_by = Some((a, k));
                        self.accepted.entry(a).or_default().push(conn);
                        self.emit(a, "connection", Ev::Connection(conn));
                    }
                    ServerEventOf::Drop(info) => {
                        self.emit(a, "drop", Ev::Drop(info.map(|d| (d.local, d.remote))));
                    }
                    ServerEventOf::Error(e) => self.emit(a, "error", Ev::Text(format!("error {}", e.code()))),
                    ServerEventOf::Close => self.emit(a, "close", Ev::Text("close".into())),
                    other => self.emit(a, "unknown", Ev::Text(format!("unknown event {other:?}"))),
                }
            }
        }
    }
}

fn attempt(name: &'static str, to: &Endpoint, code: Option<String>) -> Ev {
    Ev::Attempt(name, to.clone(), code)
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}
