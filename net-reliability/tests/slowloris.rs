//! Slowloris: connections that send one byte a second are closed by the idle timeout the
//! application sets, while the server keeps serving normal clients, on every backend.

use std::process::Command;
use std::time::Duration;

use net_reliability::proc_stats::raise_nofile;
use net_reliability::{Backend, EchoOptions, EchoServer};

const SLOW: usize = 200;
const NORMAL: usize = 100;

#[test]
fn idle_timeout_closes_slow_connections_while_normal_clients_are_served() {
    raise_nofile();
    for backend in Backend::ALL {
        let server =
            EchoServer::start(backend, EchoOptions { idle_timeout: Some(Duration::from_millis(300)) });
        let port = server.port().to_string();
        let loadgen = env!("CARGO_BIN_EXE_loadgen");
        // One byte a second for three seconds: idle for longer than 300 ms between bytes.
        let slow = Command::new(loadgen)
            .args(["slowloris", &port, &SLOW.to_string(), "1000", "3000"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("run loadgen");
        std::thread::sleep(Duration::from_millis(100));
        let normal = Command::new(loadgen)
            .args(["echo", &port, &NORMAL.to_string(), "65536"])
            .output()
            .expect("run loadgen");
        let slow = slow.wait_with_output().expect("slowloris finished");
        let slow_out = String::from_utf8_lossy(&slow.stdout);
        let normal_out = String::from_utf8_lossy(&normal.stdout);
        let report = server.stop();
        println!(
            "slowloris {}: slow clients: {}; normal clients: {}; server timed out {} connections",
            backend.name(),
            slow_out.trim(),
            normal_out.trim(),
            report.timed_out
        );
        assert!(normal.status.success(), "{}: normal clients: {normal_out}", backend.name());
        assert_eq!(slow_out.trim(), format!("closed {SLOW} of {SLOW}"), "{}", backend.name());
        assert!(report.timed_out >= SLOW, "{}: {report:?}", backend.name());
        assert_eq!((report.connections_at_end, report.tasks_left), (0, 0), "{}", backend.name());
    }
}
