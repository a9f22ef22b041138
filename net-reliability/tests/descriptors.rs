//! Accept when the process is out of file descriptors, on every backend: the server reports
//! the error (Node emits `error` on the server), keeps its listening socket, does not spin the
//! CPU, and accepts again once descriptors are free. One test, run alone in its own binary: the
//! descriptor limit is the process's.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use net_reliability::proc_stats::{cpu_time, fd_count, raise_nofile, set_nofile};
use net_reliability::{Backend, EchoOptions, EchoServer};

const HELD: usize = 60;
const ROOM: usize = 20;

#[test]
fn accept_survives_descriptor_exhaustion() {
    let hard = raise_nofile();
    for backend in Backend::ALL {
        let server = EchoServer::start(backend, EchoOptions::default());
        let port = server.port().to_string();
        // Room for a few accepted sockets only; the clients hold more than that.
        set_nofile((fd_count() + ROOM) as u64);
        let mut hold = Command::new(env!("CARGO_BIN_EXE_loadgen"))
            .args(["hold", &port, &HELD.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run loadgen");
        // Wait until the server has taken what it can.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut last = usize::MAX;
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
            let now = server.connections();
            if now == last && now > 0 {
                break;
            }
            last = now;
        }
        let starved_at = server.connections();
        // Starved: the loop must idle, not spin on accept.
        let cpu_before = cpu_time();
        std::thread::sleep(Duration::from_secs(1));
        let cpu_used = cpu_time() - cpu_before;
        // Free the descriptors: the clients go, so do the server's sockets.
        drop(hold.stdin.take());
        let _ = hold.wait();
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.connections() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        set_nofile(hard);
        // Accepting again.
        let out = Command::new(env!("CARGO_BIN_EXE_loadgen"))
            .args(["echo", &port, "20", "4096"])
            .output()
            .expect("run loadgen");
        let report = server.stop();
        println!(
            "descriptors {}: accepted {starved_at} of {HELD} under a limit of +{ROOM}; {} accept errors reported; \
             CPU while starved {} ms/s; afterwards: {}",
            backend.name(),
            report.accept_errors,
            cpu_used.as_millis(),
            String::from_utf8_lossy(&out.stdout).trim()
        );
        assert!(starved_at > 0 && starved_at < HELD, "{}: {starved_at} accepted", backend.name());
        assert!(report.accept_errors > 0, "{}: the failed accepts were not reported", backend.name());
        assert!(
            cpu_used < Duration::from_millis(300),
            "{}: {cpu_used:?} of CPU in 1 s while starved",
            backend.name()
        );
        assert!(out.status.success(), "{}: not accepting after descriptors came back", backend.name());
        // The 20 echo clients were accepted after the starvation, on top of what came before.
        assert!(
            report.accepted >= starved_at + 20,
            "{}: accepted {} in all",
            backend.name(),
            report.accepted
        );
        assert_eq!((report.connections_at_end, report.tasks_left), (0, 0), "{}", backend.name());
    }
}
