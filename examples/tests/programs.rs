//! The example programs on every backend, driven by real clients (Node 26, std sockets, each other).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BACKENDS: [&str; 3] = ["tokio", "smol", "mio"];

fn node() -> PathBuf {
    net_testkit::node26()
}

/// A child process killed when dropped, with its stdout lines.
struct Proc {
    child: Child,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
}

impl Proc {
    fn spawn(cmd: &mut Command) -> Self {
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Self { child, lines }
    }

    fn line(&mut self) -> String {
        self.lines.next().expect("a line").expect("readable")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn echo(backend: &str, args: &[&str]) -> (Proc, String) {
    let mut p =
        Proc::spawn(Command::new(env!("CARGO_BIN_EXE_echo")).arg("--backend").arg(backend).args(args));
    let first = p.line();
    let addr =
        first.strip_prefix("listening on ").unwrap_or_else(|| panic!("first line: {first}")).to_owned();
    (p, addr)
}

fn peer(args: &[&str]) -> Proc {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/node/peer.js");
    Proc::spawn(Command::new(node()).arg(script).args(args))
}

fn port(addr: &str) -> String {
    addr.rsplit(':').next().unwrap().to_owned()
}

fn pattern_sum(n: usize) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for i in 0..n {
        h ^= ((i * 31 + 7) & 0xff) as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

/// 4 MiB from a Node client come back intact, on every backend.
#[test]
fn echo_integrity_with_node_clients() {
    for backend in BACKENDS {
        let (_server, addr) = echo(backend, &["--listen", "127.0.0.1:0"]);
        let n = 4 << 20;
        let mut client = peer(&["client-echo", &port(&addr), &n.to_string()]);
        assert_eq!(client.line(), format!("received {n} {}", pattern_sum(n)), "{backend}");
        assert_eq!(client.line(), "close false", "{backend}");
    }
}

/// `--allow-half-open`: a client that ends first still gets its `end` after everything.
#[test]
fn half_open_client() {
    for backend in BACKENDS {
        let (_server, addr) = echo(backend, &["--listen", "127.0.0.1:0", "--allow-half-open"]);
        let mut client = peer(&["client-half-open", &port(&addr)]);
        assert_eq!(client.line(), "end \"\"", "{backend}");
        assert_eq!(client.line(), "close false", "{backend}");
    }
}

/// `--max-connections 1`: the extra client is closed at once and sees no data.
#[test]
fn max_connections() {
    for backend in BACKENDS {
        let (_server, addr) = echo(backend, &["--listen", "127.0.0.1:0", "--max-connections", "1"]);
        let mut first = peer(&["client-events", &port(&addr)]);
        assert_eq!(first.line(), "connect");
        let mut second = peer(&["client-events", &port(&addr)]);
        let lines: Vec<String> = (0..5).map(|_| second.line()).collect();
        assert_eq!(lines, ["connect", "ready", "end", "finish", "close false"], "{backend}");
    }
}

/// A Unix socket path works, and the address line names it.
#[test]
fn unix_socket() {
    for backend in BACKENDS {
        let path = std::env::temp_dir().join(format!("echo-example-{backend}-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let (_server, addr) = echo(backend, &["--listen", path.to_str().unwrap()]);
        assert_eq!(addr, path.display().to_string());
        std::thread::sleep(Duration::from_millis(10));
        let mut stream = std::os::unix::net::UnixStream::connect(&path).expect("connect");
        use std::io::{Read, Write};
        stream.write_all(b"over a unix socket").unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let mut back = String::new();
        stream.read_to_string(&mut back).unwrap();
        assert_eq!(back, "over a unix socket", "{backend}");
        let _ = std::fs::remove_file(&path);
    }
}

/// Bad arguments: a clear message and a non-zero exit; a busy port: Node's error text, exit 1.
#[test]
fn bad_arguments_and_busy_port() {
    let out = Command::new(env!("CARGO_BIN_EXE_echo"))
        .args(["--backend", "nope", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown backend 'nope'"));
    let out = Command::new(env!("CARGO_BIN_EXE_echo")).args(["--backend", "tokio"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    for backend in BACKENDS {
        let (_server, addr) = echo(backend, &["--listen", "127.0.0.1:0"]);
        let out = Command::new(env!("CARGO_BIN_EXE_echo"))
            .args(["--backend", backend, "--listen", &addr])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{backend}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("EADDRINUSE: listen EADDRINUSE: address already in use {addr}")),
            "{backend}: {err}"
        );
    }
}

/// SIGTERM closes the server and exits cleanly.
#[test]
fn exits_on_sigterm() {
    for backend in BACKENDS {
        let (mut server, _addr) = echo(backend, &["--listen", "127.0.0.1:0"]);
        let pid = server.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = server.child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{backend}");
    }
}

fn ncat(backend: &str, args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ncat"))
        .arg("--backend")
        .arg(backend)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    out
}

/// `ncat` against the `echo` example: stdin comes back on stdout; stdin EOF half-closes; it
/// exits 0 once both directions are done. Every backend pairing with itself, TCP and Unix.
#[test]
fn ncat_through_echo() {
    let payload: Vec<u8> = (0..1u32 << 20).map(|i| (i % 251) as u8).collect();
    for backend in BACKENDS {
        let (_server, addr) = echo(backend, &["--listen", "127.0.0.1:0"]);
        let out = ncat(backend, &[&addr], &payload);
        assert_eq!(out.status.code(), Some(0), "{backend}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout == payload, "{backend}: {} bytes back of {}", out.stdout.len(), payload.len());

        let path = std::env::temp_dir().join(format!("ncat-{backend}-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let (_server, _) = echo(backend, &["--listen", path.to_str().unwrap()]);
        let out = ncat(backend, &[path.to_str().unwrap()], b"unix hello");
        assert_eq!(out.stdout, b"unix hello", "{backend}");
        let _ = std::fs::remove_file(&path);
    }
}

/// `ncat` errors print Node's message and exit 1.
#[test]
fn ncat_refused() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    for backend in BACKENDS {
        let out = ncat(backend, &[&format!("127.0.0.1:{port}")], b"");
        assert_eq!(out.status.code(), Some(1), "{backend}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim(),
            format!("connect ECONNREFUSED 127.0.0.1:{port}"),
            "{backend}"
        );
    }
}

/// `ncat --listen` serves one connection: a Node client's bytes arrive on stdout, and stdin goes
/// back to it.
#[test]
fn ncat_listen_with_a_node_client() {
    for backend in BACKENDS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ncat"))
            .args(["--backend", backend, "--listen", "127.0.0.1:0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        err.read_line(&mut first).unwrap();
        let addr = first.trim().strip_prefix("listening on ").unwrap().to_owned();
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(b"from ncat").unwrap();
        } // stdin closed: ncat ends its side
        let mut client = peer(&["client-half-open", &port(&addr)]);
        assert_eq!(client.line(), "end \"from ncat\"", "{backend}");
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{backend}");
    }
}

fn proxy(backend: &str, to: &str) -> (Proc, String) {
    let mut p = Proc::spawn(Command::new(env!("CARGO_BIN_EXE_proxy")).args([
        "--backend",
        backend,
        "--listen",
        "127.0.0.1:0",
        "--to",
        to,
    ]));
    let first = p.line();
    let addr =
        first.strip_prefix("listening on ").unwrap_or_else(|| panic!("first line: {first}")).to_owned();
    (p, addr)
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// 64 MiB from a Node server through the proxy to a Node client that reads nothing for 300 ms:
/// every byte arrives (checksummed) and the proxy's peak memory stays far below the payload.
#[test]
fn proxy_with_a_slow_reader_stays_bounded() {
    let n = 64 << 20;
    for backend in BACKENDS {
        let mut target = peer(&["server-send", &n.to_string()]);
        let target_port = target.line().strip_prefix("port ").unwrap().to_owned();
        let (proxy, addr) = proxy(backend, &format!("127.0.0.1:{target_port}"));
        let mut client = peer(&["client-slow", &port(&addr)]);
        assert_eq!(client.line(), format!("received {n} {}", pattern_sum(n)), "{backend}");
        let peak = peak_rss_kib(proxy.child.id());
        eprintln!("{backend}: proxy peak RSS {peak} KiB");
        assert!(peak < 48 * 1024, "{backend}: proxy peak RSS {peak} KiB for a {n}-byte transfer");
    }
}

/// Half-close carried through: the client ends first and still gets what the half-open Node
/// server writes after that; a Unix target works.
#[test]
fn proxy_carries_half_close() {
    for backend in BACKENDS {
        let mut target = peer(&["echo-server", "half-open"]);
        let target_port = target.line().strip_prefix("port ").unwrap().to_owned();
        let (_proxy, addr) = proxy(backend, &format!("127.0.0.1:{target_port}"));
        let mut client = peer(&["client-half-open", &port(&addr)]);
        assert_eq!(client.line(), "end \"late\"", "{backend}");
        assert_eq!(client.line(), "close false", "{backend}");
    }
    for backend in BACKENDS {
        let path = std::env::temp_dir().join(format!("proxy-target-{backend}-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let (_echo, _) = echo(backend, &["--listen", path.to_str().unwrap()]);
        let (_proxy, addr) = proxy(backend, path.to_str().unwrap());
        let n = 1 << 20;
        let mut client = peer(&["client-echo", &port(&addr), &n.to_string()]);
        assert_eq!(client.line(), format!("received {n} {}", pattern_sum(n)), "{backend}");
        let _ = std::fs::remove_file(&path);
    }
}

fn server(bin: &str, backend: &str) -> (Proc, String) {
    let mut p = Proc::spawn(Command::new(bin).args(["--backend", backend, "--listen", "127.0.0.1:0"]));
    let first = p.line();
    let addr =
        first.strip_prefix("listening on ").unwrap_or_else(|| panic!("first line: {first}")).to_owned();
    (p, addr)
}

/// `hello-http` answers curl (two requests over one kept-alive connection) and Node's `http.get`.
#[test]
fn hello_http_with_curl_and_node() {
    for backend in BACKENDS {
        let (_server, addr) = server(env!("CARGO_BIN_EXE_hello-http"), backend);
        let out = Command::new(net_testkit::require("curl"))
            .args(["-sv", "--http1.1", &format!("http://{addr}/a"), &format!("http://{addr}/b")])
            .output()
            .expect("curl runs");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "hello, world\nhello, world\n", "{backend}");
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(
            log.contains("Re-using existing connection") || log.contains("Reusing existing"),
            "{backend}: {log}"
        );
        let mut node = peer(&["http-get", &port(&addr)]);
        assert_eq!(node.line(), "200 \"hello, world\\n\"", "{backend}");
        assert_eq!(node.line(), "200 \"hello, world\\n\"", "{backend}");
        assert_eq!(node.line(), "sockets 1", "{backend}");
    }
}

/// `chat` broadcasts lines to the others; a client that stops reading is disconnected once its
/// backlog passes the limit, while a reading client gets every line and the server's memory stays
/// bounded.
#[test]
fn chat_broadcast_and_slow_client_policy() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    for backend in BACKENDS {
        let (srv, addr) = server(env!("CARGO_BIN_EXE_chat"), backend);
        let mut a = TcpStream::connect(&addr).unwrap();
        let b = TcpStream::connect(&addr).unwrap();
        let slow = TcpStream::connect(&addr).unwrap();
        std::thread::sleep(Duration::from_millis(100)); // all three admitted
        let line = format!("{}\n", "x".repeat(99));
        let count = 100_000; // 10 MB: far past the 1 MiB backlog limit plus kernel buffers
        let reader = std::thread::spawn(move || {
            let mut b = b;
            let mut got = 0usize;
            let mut buf = vec![0u8; 64 * 1024];
            while got < count * 100 {
                match b.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got += n,
                }
            }
            got
        });
        let payload = line.repeat(count);
        a.write_all(payload.as_bytes()).unwrap();
        assert_eq!(reader.join().unwrap(), count * 100, "{backend}: the reading client got every line");
        // The slow client was cut off: reading what reached its kernel ends in EOF or a reset.
        let mut slow = slow;
        slow.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut sink = Vec::new();
        let _ = slow.read_to_end(&mut sink);
        assert!(sink.len() < count * 100, "{backend}: the slow client did not get everything");
        let peak = peak_rss_kib(srv.child.id());
        assert!(peak < 48 * 1024, "{backend}: chat peak RSS {peak} KiB");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `ncat` against socat both ways: ncat to a socat echo server, socat to `ncat --listen`.
#[test]
fn ncat_with_socat() {
    for backend in BACKENDS {
        let port = free_port();
        let _socat = Proc::spawn(
            Command::new(net_testkit::require("socat"))
                .args([&format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr"), "EXEC:cat"]),
        );
        let mut out = None;
        for _ in 0..100 {
            let o = ncat(backend, &[&format!("127.0.0.1:{port}")], b"through socat\n");
            if o.status.code() == Some(0) {
                out = Some(o);
                break;
            }
            std::thread::sleep(Duration::from_millis(20)); // socat not listening yet
        }
        assert_eq!(out.expect("socat answered").stdout, b"through socat\n", "{backend}");

        let mut child = Command::new(env!("CARGO_BIN_EXE_ncat"))
            .args(["--backend", backend, "--listen", "127.0.0.1:0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        err.read_line(&mut first).unwrap();
        let addr = first.trim().strip_prefix("listening on ").unwrap().to_owned();
        {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"to socat\n").unwrap();
        }
        let socat = Command::new(net_testkit::require("socat"))
            .args(["-t", "5", "-", &format!("TCP:{addr}")])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            let mut stdin = socat.stdin.as_ref().unwrap();
            stdin.write_all(b"from socat\n").unwrap();
        }
        let mut socat = socat;
        drop(socat.stdin.take());
        let socat_out = socat.wait_with_output().unwrap();
        let ncat_out = child.wait_with_output().unwrap();
        assert_eq!(socat_out.stdout, b"to socat\n", "{backend}");
        assert_eq!(ncat_out.stdout, b"from socat\n", "{backend}");
        assert_eq!(ncat_out.status.code(), Some(0), "{backend}");
    }
}

/// Every program refuses bad arguments with a message and exit status 2.
#[test]
fn every_program_refuses_bad_arguments() {
    for bin in [
        env!("CARGO_BIN_EXE_echo"),
        env!("CARGO_BIN_EXE_ncat"),
        env!("CARGO_BIN_EXE_proxy"),
        env!("CARGO_BIN_EXE_chat"),
        env!("CARGO_BIN_EXE_hello-http"),
    ] {
        let out = Command::new(bin).args(["--backend", "deno"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bin}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("error:") && err.contains("usage:"), "{bin}: {err}");
    }
}

/// The bench refuses what it does not know, before starting any server.
#[test]
fn bench_bad_arguments() {
    for args in [&["--quik"][..], &["--reps"], &["--only", "stream", "extra"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_bench")).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("usage: bench"), "{args:?}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_bench")).arg("--help").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("usage: bench"));
}

/// The echo handler `echo` runs on tokio and smol, on the simulator under faults: every byte
/// comes back, and a seed prints the same run twice.
#[test]
fn echo_on_the_simulator_replays_from_its_seed() {
    let run = |seed: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_echo-sim"))
            .args(["--seed", seed, "--bytes", "300000"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    for seed in ["1", "2", "3"] {
        let first = run(seed);
        assert!(first.contains("sent 300000 bytes, echoed 300000 bytes, intact=true"), "{first}");
        assert_eq!(first, run(seed), "seed {seed} replays");
    }
}
