//! hyper over net-tokio beside hyper over tokio::net: the server's CPU time per request, from
//! one run, the two servers interleaved.
//!
//! ```sh
//! cargo run --release -p net-ecosystem --example hyper_bench -- [--secs 3] [--reps 7] [--conns 16]
//! ```
//!
//! Each repetition starts each server in its own process (this binary with `--serve net|plain`,
//! pinned to CPU 1 when `taskset` works), drives it from this process (pinned to CPU 0) with a
//! hyper client per connection, keep-alive `GET /` in a loop, and reads the server's user and
//! system time from `/proc/<pid>/stat` around the measured window. The order of the two servers
//! alternates between repetitions; the medians and their ratio are printed.

use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

const BODY: &str = "Hello, World!";

async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(BODY.as_bytes()))))
}

fn serve(kind: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let http = hyper::server::conn::http1::Builder::new();
        match kind {
            "plain" => {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                println!("listening on {}", listener.local_addr().unwrap());
                loop {
                    let (stream, _) = listener.accept().await.unwrap();
                    stream.set_nodelay(true).unwrap();
                    let conn = http.serve_connection(TokioIo::new(stream), hyper::service::service_fn(hello));
                    tokio::spawn(conn);
                }
            }
            "net" => {
                let server = net_tokio::Server::bind("127.0.0.1:0").await.unwrap();
                println!("listening on {}", server.local_addr().unwrap());
                loop {
                    let sock = server.accept().await.unwrap();
                    sock.set_no_delay(true);
                    let conn = http.serve_connection(TokioIo::new(sock), hyper::service::service_fn(hello));
                    tokio::spawn(conn);
                }
            }
            other => panic!("--serve net|plain, not {other}"),
        }
    });
}

/// User plus system time of `pid`, in clock ticks (`/proc/<pid>/stat` fields 14 and 15).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the server runs");
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let rest = &stat[stat.rfind(')').expect("a stat line") + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn ticks_per_second() -> f64 {
    let out = Command::new("getconf").arg("CLK_TCK").output();
    out.ok().and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok()).unwrap_or(100.0)
}

fn pin(pid: u32, cpu: u32) -> bool {
    Command::new("taskset")
        .args(["-a", "-p", "-c", &cpu.to_string(), &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Keep-alive `GET /` on `conns` connections until `until`; the requests answered.
async fn load(addr: SocketAddr, conns: usize, until: Instant) -> u64 {
    let done = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..conns)
        .map(|_| {
            let done = Arc::clone(&done);
            tokio::spawn(async move {
                let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let (mut sender, conn) =
                    hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
                tokio::spawn(conn);
                while Instant::now() < until {
                    sender.ready().await.unwrap();
                    let req =
                        Request::get("/").header("host", "localhost").body(Full::new(Bytes::new())).unwrap();
                    let resp = sender.send_request(req).await.unwrap();
                    let body = resp.into_body().collect().await.unwrap().to_bytes();
                    assert_eq!(body, BODY.as_bytes(), "the server answered correctly");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed)
}

/// One measurement: server `kind`, `secs` of load after a short warm-up; µs of server CPU per
/// request and requests per second.
fn measure(rt: &tokio::runtime::Runtime, kind: &str, secs: f64, conns: usize, pinned: bool) -> (f64, f64) {
    let exe = std::env::current_exe().unwrap();
    let mut child =
        Command::new(exe).args(["--serve", kind]).stdout(Stdio::piped()).spawn().expect("server starts");
    if pinned {
        pin(child.id(), 1);
    }
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr: SocketAddr =
        line.trim().strip_prefix("listening on ").expect("a listening line").parse().unwrap();
    rt.block_on(load(addr, conns, Instant::now() + Duration::from_millis(300)));
    let before = cpu_ticks(child.id());
    let start = Instant::now();
    let requests = rt.block_on(load(addr, conns, start + Duration::from_secs_f64(secs)));
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = (cpu_ticks(child.id()) - before) as f64 / ticks_per_second();
    let _ = child.kill();
    let _ = child.wait();
    (cpu * 1e6 / requests as f64, requests as f64 / elapsed)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str, default: f64| -> f64 {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map_or(default, |v| v.parse().unwrap())
    };
    if let Some(i) = args.iter().position(|a| a == "--serve") {
        return serve(args.get(i + 1).map_or("", String::as_str));
    }
    if let Some(i) = args.iter().position(|a| a == "--load") {
        // `--load ADDR REQUESTS_SECONDS`: drive a server started elsewhere (e.g. under
        // callgrind) and print how many requests it answered.
        let addr: SocketAddr = args[i + 1].parse().expect("--load ADDR SECS");
        let secs: f64 = args[i + 2].parse().expect("--load ADDR SECS");
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let n = rt.block_on(load(addr, 16, Instant::now() + Duration::from_secs_f64(secs)));
        println!("{n} requests");
        return;
    }
    if let Some(bad) = args.iter().step_by(2).find(|a| !["--secs", "--reps", "--conns"].contains(&a.as_str()))
    {
        eprintln!("unknown argument {bad}; usage: hyper_bench [--secs S] [--reps N] [--conns C]");
        std::process::exit(2);
    }
    let (secs, reps, conns) =
        (value("--secs", 3.0), value("--reps", 7.0) as usize, value("--conns", 16.0) as usize);
    let pinned = pin(std::process::id(), 0);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    println!("hyper {conns} keep-alive connections, {secs} s x {reps} repetitions, pinned: {pinned}");
    println!("{:>4} {:>16} {:>16} {:>8}", "rep", "plain µs/req", "net µs/req", "ratio");
    let (mut plain, mut net, mut ratios, mut rates) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for rep in 0..reps {
        let order = if rep % 2 == 0 { ["plain", "net"] } else { ["net", "plain"] };
        let mut got = [(0.0, 0.0); 2];
        for kind in order {
            got[usize::from(kind == "net")] = measure(&rt, kind, secs, conns, pinned);
        }
        println!("{rep:>4} {:>16.2} {:>16.2} {:>7.3}x", got[0].0, got[1].0, got[1].0 / got[0].0);
        plain.push(got[0].0);
        net.push(got[1].0);
        ratios.push(got[1].0 / got[0].0);
        rates.push((got[0].1, got[1].1));
    }
    let (p, n) = (median(plain), median(net));
    println!(
        "median: plain {p:.2} µs/req, net-tokio {n:.2} µs/req: {:.3}x (median of per-repetition ratios {:.3}x)",
        n / p,
        median(ratios)
    );
    println!(
        "requests/s (median): plain {:.0}, net-tokio {:.0}",
        median(rates.iter().map(|r| r.0).collect()),
        median(rates.iter().map(|r| r.1).collect())
    );
}
