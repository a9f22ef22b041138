//! Many concurrent connections on one server, on every backend: every byte comes back intact,
//! and afterwards no connection is counted, no task is left, no descriptor leaked.
//!
//! CI runs 1,000 connections per backend. The full run of the issue is one command:
//! `NET_LOAD_CONNECTIONS=10000 cargo test --release -p net-reliability --test load -- --nocapture`

use std::process::Command;
use std::time::{Duration, Instant};

use net_reliability::proc_stats::{fd_count, raise_nofile, rss_bytes};
use net_reliability::{Backend, EchoOptions, EchoServer};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn every_backend_serves_concurrent_connections_without_loss_or_leak() {
    let n = env("NET_LOAD_CONNECTIONS", 1000);
    let bytes = env("NET_LOAD_BYTES", 16 * 1024);
    let limit = raise_nofile();
    assert!(limit as usize > n + 100, "the descriptor limit ({limit}) is too low for {n} connections");
    for backend in Backend::ALL {
        let fds_before = fd_count();
        let rss_before = rss_bytes();
        let server = EchoServer::start(backend, EchoOptions::default());
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_loadgen"))
            .args(["echo", &server.port().to_string(), &n.to_string(), &bytes.to_string()])
            .output()
            .expect("run loadgen");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}: {stdout} {}",
            backend.name(),
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
        );
        let elapsed = started.elapsed();
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.connections() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let rss_peak = rss_bytes();
        let report = server.stop();
        let fds_after = fd_count();
        println!(
            "load {}: {n} connections x {bytes} B: {} ({} ms); accepted {}, connections after {}, tasks left {}, \
             fds {fds_before} -> {fds_after}, rss +{} KiB",
            backend.name(),
            stdout.trim(),
            elapsed.as_millis(),
            report.accepted,
            report.connections_at_end,
            report.tasks_left,
            rss_peak.saturating_sub(rss_before) / 1024
        );
        assert_eq!(report.accepted, n, "{}", backend.name());
        assert_eq!(report.connections_at_end, 0, "{}", backend.name());
        assert_eq!(report.tasks_left, 0, "{}: tasks or handles left behind", backend.name());
        // A backend's first use may open a reactor for good (async-io's); nothing per connection.
        assert!(fds_after <= fds_before + 4, "{}: descriptors {fds_before} -> {fds_after}", backend.name());
    }
}
