//! The worked example: a small line-based request/response protocol, written once against
//! `net_async::Socket<Rt>` for any runtime, property-tested on the simulator under faults.
//!
//! The protocol: the client sends numbers, one per line; the server answers each line with
//! twice the number, in order. The properties:
//! - on a network that is slow, chunks bytes, writes short and holds few bytes per direction,
//!   every request is answered exactly once, in order (backpressure and `drain` carry it);
//! - when the network resets connections, the answers the client got are still a correct
//!   prefix, and the client was told why the rest is missing (an error, never a hang);
//! - a seed replays exactly: the same answers, errors and virtual time.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use net_async::{Runtime, Server, ServerEvent, Socket};
use net_core::{ListenOptions, ServerOptions, SocketEvent};
use net_sim::{Faults, Sim};
use proptest::prelude::*;

const SERVER_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
const PORT: u16 = 7000;

// ---- The protocol, written once for every runtime -------------------------------------------

fn spawn<Rt: Runtime>(task: impl Future<Output = ()> + Send + 'static) {
    Rt::try_current().expect("inside a runtime").spawn(task);
}

/// Serve one connection: answer every complete line, pausing while a reply waits for `drain`.
async fn serve_connection<Rt: Runtime>(sock: Socket<Rt>) {
    let mut pending = Vec::new();
    while let Some(ev) = sock.next_event().await {
        let SocketEvent::Data(bytes) = ev else { continue };
        pending.extend_from_slice(&bytes);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let n: u64 = std::str::from_utf8(&line[..end]).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
            if !sock.write(format!("{}\n", n * 2)) {
                sock.pause();
                sock.drained().await;
                sock.resume();
            }
        }
    }
}

/// Listen and serve every connection in a task of its own.
async fn start_server<Rt: Runtime>() -> Server<Rt> {
    let server = Server::<Rt>::new(ServerOptions::default());
    server.listen(ListenOptions::tcp(SERVER_IP, PORT)).expect("listen");
    match server.next_event().await {
        ServerEvent::Listening => {}
        other => panic!("expected listening, got {other:?}"),
    }
    let accepting = server.clone();
    spawn::<Rt>(async move {
        while let ServerEvent::Connection(sock) = accepting.next_event().await {
            spawn::<Rt>(serve_connection(sock));
        }
    });
    server
}

/// What the client saw.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    replies: Vec<u64>,
    /// Node's code of the error that ended the exchange, if one did.
    error: Option<String>,
    /// The socket went idle for its timeout.
    timed_out: bool,
}

/// Send every request, read the replies until all came (or the connection failed), then end.
async fn client<Rt: Runtime>(host: &str, requests: &[u64], idle: Duration) -> Outcome {
    let sock = net_async::connect::<Rt>(PORT, host);
    sock.set_timeout(idle);
    for r in requests {
        let _ = sock.write(format!("{r}\n"));
    }
    let mut out = Outcome { replies: Vec::new(), error: None, timed_out: false };
    let mut pending = Vec::new();
    while let Some(ev) = sock.next_event().await {
        match ev {
            SocketEvent::Data(bytes) => {
                pending.extend_from_slice(&bytes);
                while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = pending.drain(..=end).collect();
                    out.replies.push(std::str::from_utf8(&line[..end]).unwrap().parse().unwrap());
                }
                if out.replies.len() == requests.len() {
                    sock.end();
                }
            }
            SocketEvent::Error(e) => out.error = Some(e.code().to_owned()),
            SocketEvent::Timeout => {
                out.timed_out = true;
                sock.destroy();
            }
            _ => {}
        }
    }
    out
}

// ---- Running it on the simulator ------------------------------------------------------------

/// One run: a simulation from `seed` with `faults`, the server at 10.0.0.1 named `server.test`.
fn run(seed: u64, faults: Faults, requests: &[u64]) -> (Outcome, Duration) {
    let sim = Sim::new(seed);
    sim.dns("server.test", [SERVER_IP]);
    sim.set_faults(faults);
    let out = sim
        .block_on(async {
            let _server = start_server::<net_sim::Rt>().await;
            client::<net_sim::Rt>("server.test", requests, Duration::from_secs(60)).await
        })
        .expect("the simulation finished");
    (out, sim.elapsed())
}

fn doubled(requests: &[u64]) -> Vec<u64> {
    requests.iter().map(|r| r * 2).collect()
}

/// A slow, fragmenting, tight network that loses nothing.
fn lossless_faults() -> impl Strategy<Value = Faults> {
    (0u64..20, 0u64..20, proptest::option::of(1usize..16), proptest::option::of(1usize..16), 1usize..64)
        .prop_map(|(lo, extra, max_read, max_write, window)| Faults {
            latency: (Duration::from_millis(lo), Duration::from_millis(lo + extra)),
            max_read,
            max_write,
            window,
            ..Faults::default()
        })
}

fn requests() -> impl Strategy<Value = Vec<u64>> {
    proptest::collection::vec(0u64..1_000_000_000, 1..40)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_request_is_answered_once_in_order(seed: u64, faults in lossless_faults(), requests in requests()) {
        let (out, _) = run(seed, faults, &requests);
        prop_assert_eq!(out.error, None);
        prop_assert!(!out.timed_out);
        prop_assert_eq!(out.replies, doubled(&requests));
    }

    #[test]
    fn resets_lose_a_tail_and_say_so(
        seed: u64,
        faults in lossless_faults(),
        reset in 0.01f64..0.3,
        requests in requests(),
    ) {
        let (out, _) = run(seed, Faults { reset, ..faults }, &requests);
        let expected = doubled(&requests);
        prop_assert!(expected.starts_with(&out.replies), "replies {:?} are not a prefix of {:?}", out.replies, expected);
        if out.replies.len() < expected.len() {
            let code = out.error.as_deref();
            prop_assert!(matches!(code, Some("ECONNRESET" | "EPIPE")), "incomplete without a reset error: {:?}", out);
        }
    }

    #[test]
    fn a_seed_replays_exactly(seed: u64, faults in lossless_faults(), reset in 0.0f64..0.2, requests in requests()) {
        let faults = Faults { reset, ..faults };
        prop_assert_eq!(run(seed, faults.clone(), &requests), run(seed, faults, &requests));
    }
}

// ---- The scripted faults --------------------------------------------------------------------

#[test]
fn a_refused_connect_is_econnrefused() {
    let sim = Sim::new(1);
    sim.dns("server.test", [SERVER_IP]);
    sim.refuse((SERVER_IP, PORT).into());
    let out = sim
        .block_on(async {
            let _server = start_server::<net_sim::Rt>().await;
            client::<net_sim::Rt>("server.test", &[1], Duration::from_secs(60)).await
        })
        .unwrap();
    assert_eq!(out.error.as_deref(), Some("ECONNREFUSED"));
    assert!(out.replies.is_empty());
}

#[test]
fn a_black_holed_connect_times_out_in_virtual_time() {
    let sim = Sim::new(2);
    sim.dns("server.test", [SERVER_IP]);
    sim.black_hole((SERVER_IP, PORT).into());
    let out = sim
        .block_on(async {
            let _server = start_server::<net_sim::Rt>().await;
            client::<net_sim::Rt>("server.test", &[1], Duration::from_secs(10)).await
        })
        .unwrap();
    // Node's socket timeout counts while connecting: the user gives up after 10 s of silence.
    assert!(out.timed_out, "{out:?}");
    assert_eq!(sim.elapsed(), Duration::from_secs(10));
    // Without a timeout, Linux gives up after its SYN retries.
    let sim = Sim::new(2);
    sim.black_hole((SERVER_IP, PORT).into());
    let code = sim
        .block_on(async {
            let sock = net_async::connect::<net_sim::Rt>(PORT, &SERVER_IP.to_string());
            loop {
                match sock.next_event().await {
                    Some(SocketEvent::Error(e)) => break e.code(),
                    Some(_) => {}
                    None => panic!("closed without an error"),
                }
            }
        })
        .unwrap();
    assert_eq!(code, "ETIMEDOUT");
    assert_eq!(sim.elapsed(), net_sim::SYN_TIMEOUT);
}

#[test]
fn an_unknown_name_is_enotfound() {
    let sim = Sim::new(3);
    let out = sim.block_on(client::<net_sim::Rt>("nowhere.test", &[1], Duration::from_secs(1))).unwrap();
    assert_eq!(out.error.as_deref(), Some("ENOTFOUND"));
}

#[test]
fn resetting_every_connection_mid_exchange() {
    let sim = Sim::new(4);
    sim.dns("server.test", [SERVER_IP]);
    // 50 ms per hop: the reset lands while replies are in flight.
    sim.set_faults(Faults {
        latency: (Duration::from_millis(50), Duration::from_millis(50)),
        ..Faults::default()
    });
    let requests: Vec<u64> = (0..10).collect();
    let out = sim
        .block_on(async {
            let _server = start_server::<net_sim::Rt>().await;
            let rt = net_sim::Rt::try_current().unwrap();
            let resetter = rt.clone();
            rt.spawn(async move {
                // Lookup 50 ms, handshake 100 ms, requests in at 200 ms, replies due at 250 ms.
                resetter.sleep(Duration::from_millis(220)).await;
                resetter.reset_all();
            });
            client::<net_sim::Rt>("server.test", &requests, Duration::from_secs(60)).await
        })
        .unwrap();
    assert_eq!(out.error.as_deref(), Some("ECONNRESET"), "{out:?}");
    assert!(out.replies.len() < requests.len());
}

#[test]
fn out_of_descriptors_the_server_reports_emfile_and_keeps_listening() {
    let sim = Sim::new(5);
    // The listener and the client's socket: no descriptor left to accept with.
    sim.set_faults(Faults { max_descriptors: Some(2), ..Faults::default() });
    let (first, retried) = sim
        .block_on(async {
            let server = Server::<net_sim::Rt>::new(ServerOptions::default());
            server.listen(ListenOptions::tcp(SERVER_IP, PORT)).unwrap();
            assert!(matches!(server.next_event().await, ServerEvent::Listening));
            let client = net_async::connect::<net_sim::Rt>(PORT, &SERVER_IP.to_string());
            let first = match server.next_event().await {
                ServerEvent::Error(e) => e.code(),
                other => panic!("expected an error, got {other:?}"),
            };
            // Raise the limit: the back-off retry accepts the waiting connection.
            let rt = net_sim::Rt::try_current().unwrap();
            rt.set_faults(Faults::default());
            let retried = loop {
                match server.next_event().await {
                    ServerEvent::Connection(_) => break true,
                    ServerEvent::Error(_) => {}
                    other => panic!("{other:?}"),
                }
            };
            drop(client);
            (first, retried)
        })
        .unwrap();
    assert_eq!(first, "EMFILE");
    assert!(retried);
}

#[test]
fn an_hour_of_idle_timeout_is_virtual() {
    let sim = Sim::new(6);
    sim.dns("server.test", [SERVER_IP]);
    let out = sim
        .block_on(async {
            let _server = start_server::<net_sim::Rt>().await;
            // No requests: the connection stays silent until the client's idle timeout.
            client::<net_sim::Rt>("server.test", &[], Duration::from_secs(3600)).await
        })
        .unwrap();
    assert!(out.timed_out);
    assert_eq!(sim.elapsed(), Duration::from_secs(3600));
}

#[test]
fn a_deadlock_is_reported_not_hung() {
    let sim = Sim::new(7);
    let r = sim.block_on(std::future::pending::<()>());
    assert!(matches!(r, Err(net_sim::SimError::Deadlock { .. })), "{r:?}");
}

#[test]
fn unix_sockets_on_virtual_paths() {
    let sim = Sim::new(8);
    let (missing, replies) = sim
        .block_on(async {
            // Nothing listens and no file exists: ENOENT, as Linux answers.
            let early = net_async::connect_path::<net_sim::Rt>("/virtual/line.sock");
            let missing = loop {
                match early.next_event().await {
                    Some(SocketEvent::Error(e)) => break e.code(),
                    Some(_) => {}
                    None => panic!("closed without an error"),
                }
            };
            let server = Server::<net_sim::Rt>::new(ServerOptions::default());
            server.listen(ListenOptions::path("/virtual/line.sock")).unwrap();
            assert!(matches!(server.next_event().await, ServerEvent::Listening));
            let accepting = server.clone();
            spawn::<net_sim::Rt>(async move {
                while let ServerEvent::Connection(sock) = accepting.next_event().await {
                    spawn::<net_sim::Rt>(serve_connection(sock));
                }
            });
            let sock = net_async::connect_path::<net_sim::Rt>("/virtual/line.sock");
            let _ = sock.write("21\n");
            let mut got = Vec::new();
            while let Some(ev) = sock.next_event().await {
                if let SocketEvent::Data(d) = ev {
                    got.extend_from_slice(&d);
                    sock.end();
                }
            }
            (missing, got)
        })
        .unwrap();
    assert_eq!(missing, "ENOENT");
    assert_eq!(replies, b"42\n");
}
