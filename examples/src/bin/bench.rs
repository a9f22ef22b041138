//! The benchmark harness: every echo server in its own process (our `echo` on tokio, smol and mio;
//! the same job on the plain runtimes; Node 26 with `socket.pipe(socket)`), driven over loopback
//! TCP and Unix sockets from this process, in one run, interleaved so drift hits all alike.
//!
//! ```text
//! cargo run --release -p examples --bin bench -- [--quick] [--out DIR]
//!     [--only WORKLOAD,..] [--transport tcp|unix] [--servers NAME,..] [--reps N] [--pin]
//! ```
//! The filters pick part of the run for a targeted look (`--only pingpong-100 --transport unix
//! --servers net-tokio,plain-tokio --reps 7`); the full run is the bare command. `--pin` runs
//! every server on CPU 1 and the load on CPU 0 (`taskset`): the spread falls from ±20-50% to a
//! few percent, at the price of a multi-threaded server's threads sharing one CPU.
//! Prints a Markdown table of medians, spreads and ratios, and writes it to `DIR/results.md`
//! (default `bench-results/`, git-ignored). The figure that separates servers on a 2-core machine
//! is the server's CPU time per unit of work, read from `/proc/PID/stat` around each measurement.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use examples::value_of;

/// One server under test.
struct Server {
    name: String,
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `--pin`: servers run on CPU 1 and the load on CPU 0, so neither migrates or preempts the other.
static PIN: AtomicBool = AtomicBool::new(false);

/// Bind every thread of `pid` (and the threads it starts later) to `cpu`, with util-linux's
/// `taskset`; a warning if that fails.
fn pin(pid: u32, cpu: u32) {
    let ok = Command::new("taskset")
        .args(["-a", "-p", "-c", &cpu.to_string(), &pid.to_string()])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("warning: could not pin process {pid} to CPU {cpu} (taskset)");
    }
}

impl Server {
    fn start(name: &str, mut cmd: Command, addr: String) -> Self {
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("server starts");
        if PIN.load(Ordering::Relaxed) {
            pin(child.id(), 1);
        }
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("listening line");
        let addr = line.trim().strip_prefix("listening on ").map_or(addr, str::to_owned);
        Self { name: name.to_owned(), child, addr }
    }

    /// User + system CPU time of the server process so far.
    fn cpu(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: u64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0)
            + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0);
        Duration::from_millis(ticks * 10) // CLK_TCK is 100 on Linux
    }

    fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }
}

/// A connected client stream, TCP or Unix.
enum Conn {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Conn {
    fn open(addr: &str) -> std::io::Result<Self> {
        if addr.starts_with('/') {
            UnixStream::connect(addr).map(Self::Unix)
        } else {
            let s = TcpStream::connect(addr)?;
            s.set_nodelay(true)?;
            Ok(Self::Tcp(s))
        }
    }

    fn try_clone(&self) -> Self {
        match self {
            Self::Tcp(s) => Self::Tcp(s.try_clone().unwrap()),
            Self::Unix(s) => Self::Unix(s.try_clone().unwrap()),
        }
    }

    fn shutdown_write(&self) {
        let _ = match self {
            Self::Tcp(s) => s.shutdown(Shutdown::Write),
            Self::Unix(s) => s.shutdown(Shutdown::Write),
        };
    }
}

impl Read for Conn {
    fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Self::Tcp(s) => s.read(b),
            Self::Unix(s) => s.read(b),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        match self {
            Self::Tcp(s) => s.write(b),
            Self::Unix(s) => s.write(b),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A measurement: the work done (bytes, round trips, connections), wall time, server CPU, and
/// latencies where they apply.
struct Sample {
    work: f64,
    wall: Duration,
    cpu: Duration,
    p50_us: f64,
    p99_us: f64,
}

fn pattern(len: usize, offset: usize) -> Vec<u8> {
    (0..len).map(|i| ((offset + i) % 251) as u8).collect()
}

/// One connection echoing `total` bytes in 64 KiB writes; checks every byte.
fn stream(server: &Server, total: usize) -> Result<Sample, String> {
    let conn = Conn::open(&server.addr).map_err(|e| e.to_string())?;
    let mut reader = conn.try_clone();
    let cpu0 = server.cpu();
    let start = Instant::now();
    let writer = std::thread::spawn(move || {
        let mut conn = conn;
        let chunk = pattern(251 * 261, 0); // 65511 bytes: whole periods, so every chunk is the same
        let mut sent = 0;
        while sent < total {
            let n = chunk.len().min(total - sent);
            if conn.write_all(&chunk[..n]).is_err() {
                return;
            }
            sent += n;
        }
        conn.shutdown_write();
    });
    let mut buf = vec![0u8; 256 * 1024];
    let expected = pattern(251, 0);
    let mut got = 0usize;
    while got < total {
        let n = reader.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        for (i, b) in buf[..n].iter().enumerate() {
            if *b != expected[(got + i) % 251] {
                return Err(format!("{}: byte {} corrupted", server.name, got + i));
            }
        }
        got += n;
    }
    let wall = start.elapsed();
    let _ = writer.join();
    if got != total {
        return Err(format!("{}: echoed {got} of {total} bytes", server.name));
    }
    Ok(Sample { work: total as f64, wall, cpu: server.cpu() - cpu0, p50_us: 0.0, p99_us: 0.0 })
}

/// `conns` connections each sending 64-byte messages and waiting for the echo, for `duration`.
fn pingpong(server: &Server, conns: usize, duration: Duration) -> Result<Sample, String> {
    let mut streams = Vec::new();
    for _ in 0..conns {
        streams.push(Conn::open(&server.addr).map_err(|e| e.to_string())?);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let failed = Arc::new(AtomicBool::new(false));
    let cpu0 = server.cpu();
    let start = Instant::now();
    let threads: Vec<_> = streams
        .into_iter()
        .map(|mut conn| {
            let (stop, latencies, failed) = (Arc::clone(&stop), Arc::clone(&latencies), Arc::clone(&failed));
            std::thread::spawn(move || {
                let msg = pattern(64, 7);
                let mut back = [0u8; 64];
                let mut mine = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    if conn.write_all(&msg).is_err()
                        || conn.read_exact(&mut back).is_err()
                        || back[..] != msg[..]
                    {
                        failed.store(true, Ordering::Relaxed);
                        break;
                    }
                    mine.push(t.elapsed().as_nanos() as u64);
                }
                latencies.lock().unwrap().extend(mine);
            })
        })
        .collect();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    let wall = start.elapsed();
    let cpu = server.cpu() - cpu0;
    if failed.load(Ordering::Relaxed) {
        return Err(format!("{}: a round trip failed or came back wrong", server.name));
    }
    let mut lat = std::mem::take(&mut *latencies.lock().unwrap());
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map_or(0.0, |ns| *ns as f64 / 1000.0)
    };
    Ok(Sample { work: lat.len() as f64, wall, cpu, p50_us: pct(0.5), p99_us: pct(0.99) })
}

/// 32 workers doing connect, 32-byte write, read, close, for `duration`.
fn churn(server: &Server, duration: Duration) -> Result<Sample, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicBool::new(false));
    let cpu0 = server.cpu();
    let start = Instant::now();
    let threads: Vec<_> = (0..32)
        .map(|_| {
            let (stop, done, failed, addr) =
                (Arc::clone(&stop), Arc::clone(&done), Arc::clone(&failed), server.addr.clone());
            std::thread::spawn(move || {
                let msg = pattern(32, 3);
                let mut back = [0u8; 32];
                while !stop.load(Ordering::Relaxed) {
                    let ok = Conn::open(&addr)
                        .and_then(|mut c| {
                            c.write_all(&msg)?;
                            c.read_exact(&mut back)?;
                            Ok(back[..] == msg[..])
                        })
                        .unwrap_or(false);
                    if !ok {
                        failed.store(true, Ordering::Relaxed);
                        break;
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    let wall = start.elapsed();
    if failed.load(Ordering::Relaxed) {
        return Err(format!("{}: a connection failed", server.name));
    }
    Ok(Sample {
        work: done.load(Ordering::Relaxed) as f64,
        wall,
        cpu: server.cpu() - cpu0,
        p50_us: 0.0,
        p99_us: 0.0,
    })
}

/// `count` idle connections (each echoed one byte, so accepted): server RSS per connection.
fn idle(server: &Server, count: usize) -> Result<Sample, String> {
    std::thread::sleep(Duration::from_millis(100));
    let before = server.rss_bytes();
    let mut conns = Vec::with_capacity(count);
    for _ in 0..count {
        let mut c = Conn::open(&server.addr).map_err(|e| format!("{}: {e}", server.name))?;
        c.write_all(b"x").map_err(|e| e.to_string())?;
        let mut b = [0u8; 1];
        c.read_exact(&mut b).map_err(|e| e.to_string())?;
        conns.push(c);
    }
    std::thread::sleep(Duration::from_millis(200));
    let after = server.rss_bytes();
    drop(conns);
    std::thread::sleep(Duration::from_millis(200));
    let per = after.saturating_sub(before) as f64 / count as f64;
    Ok(Sample { work: per, wall: Duration::ZERO, cpu: Duration::ZERO, p50_us: 0.0, p99_us: 0.0 })
}

fn median(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mid = v[v.len() / 2];
    let spread = if mid > 0.0 { (v[v.len() - 1] - v[0]) / mid * 100.0 } else { 0.0 };
    (mid, spread)
}

struct Row {
    throughput: (f64, f64),
    cost: (f64, f64),
    p50: f64,
    p99: f64,
}

fn sibling(name: &str) -> PathBuf {
    std::env::current_exe().unwrap().parent().unwrap().join(name)
}

fn node() -> Option<PathBuf> {
    net_testkit::try_node26().map_err(|e| eprintln!("{e}: benchmarking without Node")).ok()
}

/// Comma-separated values of a flag; `None` when the flag is absent (no filter).
fn list_of(args: &[String], flag: &str) -> Option<Vec<String>> {
    value_of(args, flag).map(|v| v.split(',').map(str::to_owned).collect())
}

fn start_servers(unix: bool, dir: &Path, only: Option<&[String]>) -> Vec<Server> {
    let wanted = |name: &str| only.is_none_or(|o| o.iter().any(|n| n == name));
    let listen = |name: &str| {
        if unix {
            let p = dir.join(format!("{name}.sock"));
            let _ = std::fs::remove_file(&p);
            p.display().to_string()
        } else {
            "127.0.0.1:0".to_owned()
        }
    };
    let mut servers = Vec::new();
    for backend in ["tokio", "smol", "mio"] {
        let name = format!("net-{backend}");
        if wanted(&name) {
            let at = listen(&name);
            let mut cmd = Command::new(sibling("echo"));
            cmd.args(["--backend", backend, "--listen", &at]);
            servers.push(Server::start(&name, cmd, at));
        }
        let name = format!("plain-{backend}");
        if wanted(&name) {
            let at = listen(&name);
            let mut cmd = Command::new(sibling("plain-echo"));
            cmd.args(["--runtime", backend, "--listen", &at]);
            servers.push(Server::start(&name, cmd, at));
        }
    }
    // net-tokio behind trait objects (`echo --backend tokio-dyn`): only when asked for by name.
    if only.is_some_and(|o| o.iter().any(|n| n == "net-tokio-dyn")) {
        let at = listen("net-tokio-dyn");
        let mut cmd = Command::new(sibling("echo"));
        cmd.args(["--backend", "tokio-dyn", "--listen", &at]);
        servers.push(Server::start("net-tokio-dyn", cmd, at));
    }
    if let Some(node) = node().filter(|_| wanted("node")) {
        let at = listen("node");
        let listen_arg = if unix { format!("'{at}'") } else { "0, '127.0.0.1'".to_owned() };
        let script = format!(
            "const net=require('net');const s=net.createServer(c=>{{c.on('error',()=>{{}});c.pipe(c)}});\
             s.listen({listen_arg},()=>{{const a=s.address();console.log('listening on '+(typeof a==='string'?a:a.address+':'+a.port))}});"
        );
        let mut cmd = Command::new(node);
        cmd.args(["-e", &script]);
        servers.push(Server::start("node", cmd, at));
    }
    servers
}

const USAGE: &str = "bench [--quick | --smoke] [--out DIR] [--only WORKLOAD,..] [--transport tcp|unix] \
[--servers NAME,..] [--reps N] [--pin] | bench --chart-from results.md";

/// Refuse what the harness does not know (a mistyped flag would otherwise start an 11-minute run).
fn check_args(args: &[String]) {
    const FLAGS: &[&str] = &["--quick", "--smoke", "--pin"];
    const WITH_VALUE: &[&str] = &["--out", "--only", "--transport", "--servers", "--reps", "--chart-from"];
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if a == "-h" || a == "--help" {
            println!("usage: {USAGE}");
            std::process::exit(0);
        }
        if WITH_VALUE.contains(&a) {
            if i + 1 >= args.len() {
                examples::usage_error(&format!("{a} needs a value"), USAGE);
            }
            i += 2;
        } else if FLAGS.contains(&a) {
            i += 1;
        } else {
            examples::usage_error(&format!("unknown argument '{a}'"), USAGE);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    check_args(&args);
    // Redraw the chart of an earlier run from its results.md.
    if let Some(md) = value_of(&args, "--chart-from") {
        let text = std::fs::read_to_string(&md).expect("results.md");
        print!("{}", svg_chart(&chart_rows(&text)));
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    if args.iter().any(|a| a == "--pin") {
        // Before any load thread exists: they inherit CPU 0.
        PIN.store(true, Ordering::Relaxed);
        pin(std::process::id(), 0);
    }
    // CI's check that every server runs and answers correctly; its numbers mean nothing.
    let smoke = args.iter().any(|a| a == "--smoke");
    let out_dir = PathBuf::from(value_of(&args, "--out").unwrap_or_else(|| "bench-results".into()));
    if let Ok((_, hard)) = rlimit::Resource::NOFILE.get() {
        let _ = rlimit::Resource::NOFILE.set(hard, hard);
    }
    let only_workloads = list_of(&args, "--only");
    let only_servers = list_of(&args, "--servers");
    let transports = value_of(&args, "--transport");
    let reps_arg = value_of(&args, "--reps").map(|n| n.parse::<usize>().expect("--reps N").max(1));
    let (stream_bytes, span, idle_count, reps) = if smoke {
        (16 << 20, Duration::from_millis(100), 50, 1)
    } else if quick {
        (64 << 20, Duration::from_millis(400), 500, 3)
    } else {
        (1 << 30, Duration::from_secs(2), 10_000, 5)
    };
    let dir = std::env::temp_dir().join(format!("net-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut report = String::new();
    report.push_str(&format!(
        "Run: {} mode, {reps} interleaved repetitions{}, median (spread = (max-min)/median). Server CPU per unit of work is the figure that compares servers on this 2-core machine.\n\n",
        if smoke {
            "smoke"
        } else if quick {
            "quick"
        } else {
            "full"
        },
        if PIN.load(Ordering::Relaxed) { ", servers pinned to CPU 1 and the load to CPU 0" } else { "" }
    ));
    let mut failures = Vec::new();
    // (workload, server, CPU per unit of work against the plain runtime) for the chart.
    let mut chart: Vec<(String, String, f64)> = Vec::new();
    let reps = reps_arg.unwrap_or(reps);
    for unix in [false, true] {
        let transport = if unix { "unix" } else { "tcp" };
        if transports.as_deref().is_some_and(|t| t != transport) {
            continue;
        }
        let servers = start_servers(unix, &dir, only_servers.as_deref());
        type Workload<'a> = (&'a str, &'a str, &'a str, Box<dyn Fn(&Server) -> Result<Sample, String>>);
        let workloads: Vec<Workload<'_>> = vec![
            // Idle first: the servers are fresh, so their RSS growth is the connections' alone.
            ("idle", "-", "RSS B/conn", Box::new(move |s| idle(s, idle_count))),
            ("stream", "MB/s", "CPU ms/GB", Box::new(move |s| stream(s, stream_bytes))),
            ("pingpong-1", "rt/s", "CPU µs/rt", Box::new(move |s| pingpong(s, 1, span))),
            ("pingpong-100", "rt/s", "CPU µs/rt", Box::new(move |s| pingpong(s, 100, span))),
            ("churn", "conn/s", "CPU µs/conn", Box::new(move |s| churn(s, span))),
        ];
        for (name, unit, cost_unit, run) in &workloads {
            if only_workloads.as_ref().is_some_and(|o| !o.iter().any(|w| w == name)) {
                continue;
            }
            let label = format!("{name} {transport}");
            let mut samples: BTreeMap<String, Vec<Sample>> = BTreeMap::new();
            for _ in 0..reps {
                for server in &servers {
                    match run(server) {
                        Ok(s) => samples.entry(server.name.clone()).or_default().push(s),
                        Err(e) => failures.push(format!("{transport} {name}: {e}")),
                    }
                }
            }
            let mut rows: BTreeMap<String, Row> = BTreeMap::new();
            for (server, ss) in &samples {
                let idle = *name == "idle";
                let throughput = if idle {
                    (0.0, 0.0)
                } else {
                    let per_sec: Vec<f64> = ss
                        .iter()
                        .map(|s| {
                            let w = if *name == "stream" { s.work / 1e6 } else { s.work };
                            w / s.wall.as_secs_f64()
                        })
                        .collect();
                    median(per_sec)
                };
                // Idle: only the first repetition runs on a fresh server (later ones reuse memory the
                // first freed), so its figure, the largest, is the one reported.
                let cost = if idle {
                    let first = ss.iter().map(|s| s.work).fold(0.0, f64::max);
                    (first, 0.0)
                } else {
                    median(
                        ss.iter()
                            .map(|s| match *name {
                                "idle" => s.work,
                                "stream" => s.cpu.as_secs_f64() * 1e3 / (s.work / 1e9),
                                _ => s.cpu.as_secs_f64() * 1e6 / s.work.max(1.0),
                            })
                            .collect(),
                    )
                };
                let p50 = median(ss.iter().map(|s| s.p50_us).collect()).0;
                let p99 = median(ss.iter().map(|s| s.p99_us).collect()).0;
                rows.insert(server.clone(), Row { throughput, cost, p50, p99 });
            }
            report.push_str(&format!(
                "### {name} ({transport})\n\n| server | {unit} | {cost_unit} | vs plain same runtime | Node vs this | p50 µs | p99 µs |\n|---|---|---|---|---|---|---|\n"
            ));
            let node_cost = rows.get("node").map(|r| r.cost.0);
            for (server, r) in &rows {
                let plain = server.strip_prefix("net-").and_then(|rt| rows.get(&format!("plain-{rt}")));
                // Idle compares memory against a near-zero baseline: not a CPU ratio, not charted.
                if let Some(p) = plain.filter(|p| p.cost.0 > 0.0 && *name != "idle") {
                    chart.push((label.clone(), server.clone(), r.cost.0 / p.cost.0));
                }
                let vs_plain = plain
                    .filter(|p| p.cost.0 > 0.0)
                    .map_or_else(|| "-".into(), |p| format!("{:.2}×", r.cost.0 / p.cost.0));
                let node_vs = node_cost
                    .filter(|_| r.cost.0 > 0.0)
                    .map_or_else(|| "-".into(), |n| format!("{:.2}×", n / r.cost.0));
                report.push_str(&format!(
                    "| {server} | {:.0} (±{:.0}%) | {:.1} (±{:.0}%) | {vs_plain} | {node_vs} | {:.1} | {:.1} |\n",
                    r.throughput.0, r.throughput.1, r.cost.0, r.cost.1, r.p50, r.p99
                ));
            }
            report.push('\n');
            print!("{}", report.rsplit("### ").next().map(|t| format!("### {t}")).unwrap_or_default());
            let _ = std::io::stdout().flush();
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(out_dir.join("results.md"), &report).unwrap();
    std::fs::write(out_dir.join("results.svg"), svg_chart(&chart)).unwrap();
    if failures.is_empty() {
        println!("all servers answered correctly; results in {}", out_dir.join("results.md").display());
    } else {
        for f in &failures {
            eprintln!("FAILED {f}");
        }
        std::process::exit(1);
    }
}

/// A grouped bar chart of each backend's CPU per unit of work against its plain runtime, one
/// group per workload, with the 1.10× target drawn across. Plain SVG: nothing to install.
fn svg_chart(bars: &[(String, String, f64)]) -> String {
    let mut workloads: Vec<&str> = Vec::new();
    for (w, _, _) in bars {
        if !workloads.contains(&w.as_str()) {
            workloads.push(w);
        }
    }
    let servers = ["net-tokio", "net-smol", "net-mio"];
    let colors = ["#4e79a7", "#f28e2b", "#59a14f"];
    let (left, top, group_w, bar_w, height) = (60.0, 40.0, 90.0, 24.0, 300.0);
    // Bars above 4× are cut at the top (their title holds the figure): short runs measure CPU
    // in 10 ms ticks, and a tick against nothing is no ratio worth a scale.
    let max = bars.iter().map(|b| b.2).fold(2.0_f64, f64::max).min(4.0).ceil();
    let y = |v: f64| top + height - v.min(max) / max * height;
    let width = left + group_w * workloads.len() as f64 + 140.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <text x=\"{left}\" y=\"20\" font-size=\"14\">Server CPU per unit of work, each backend against its plain runtime (lower is better)</text>\n",
        top + height + 90.0
    );
    for tick in 0..=(max as u32) {
        let ty = y(f64::from(tick));
        svg.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{ty}\" y2=\"{ty}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{tick}×</text>\n",
            width - 140.0,
            left - 6.0,
            ty + 4.0
        ));
    }
    for (i, w) in workloads.iter().enumerate() {
        let gx = left + group_w * i as f64;
        for (j, server) in servers.iter().enumerate() {
            if let Some((_, _, v)) = bars.iter().find(|(bw, bs, _)| bw == w && bs == server) {
                let x = gx + 8.0 + bar_w * j as f64;
                svg.push_str(&format!(
                    "<rect x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{server} {w}: {v:.2}×</title></rect>\n",
                    y(*v),
                    bar_w - 2.0,
                    top + height - y(*v),
                    colors[j]
                ));
            }
        }
        svg.push_str(&format!(
            "<text transform=\"translate({},{}) rotate(40)\">{w}</text>\n",
            gx + 20.0,
            top + height + 14.0
        ));
    }
    let target = y(1.10);
    svg.push_str(&format!(
        "<line x1=\"{left}\" x2=\"{}\" y1=\"{target}\" y2=\"{target}\" stroke=\"#c00\" stroke-dasharray=\"4 3\"/>\n",
        width - 140.0
    ));
    for (j, server) in servers.iter().enumerate() {
        let ly = top + 20.0 * j as f64;
        svg.push_str(&format!(
            "<rect x=\"{}\" y=\"{ly}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{server}</text>\n",
            width - 120.0,
            colors[j],
            width - 102.0,
            ly + 10.0
        ));
    }
    svg.push_str(&format!(
        "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#c00\" stroke-dasharray=\"4 3\"/><text x=\"{}\" y=\"{}\">target 1.10×</text>\n</svg>\n",
        width - 120.0,
        width - 108.0,
        top + 66.0,
        top + 66.0,
        width - 102.0,
        top + 70.0
    ));
    svg
}

/// The chart's bars from a results.md: each `### workload (transport)` table's "vs plain" column.
fn chart_rows(md: &str) -> Vec<(String, String, f64)> {
    let mut bars = Vec::new();
    let mut label = String::new();
    for line in md.lines() {
        if let Some(title) = line.strip_prefix("### ") {
            label = title.replace(" (", " ").replace(')', "");
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if label.starts_with("idle") || cells.len() < 4 || !cells[0].starts_with("net-") {
            continue;
        }
        if let Ok(v) = cells[3].trim_end_matches('×').parse::<f64>() {
            bars.push((label.clone(), cells[0].to_owned(), v));
        }
    }
    bars
}
