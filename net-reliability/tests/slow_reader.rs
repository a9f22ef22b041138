//! A slow reader against a writer that honours `write() == false`, on every backend: the
//! writer's queue stays at or under the high-water mark plus one write, and memory stays flat.
//! The backends are driven through the conformance suite's harnesses (one socket each).

use std::io::Read;
use std::time::{Duration, Instant};

use bytes::Bytes;
use net_conformance::backend::{mio::MioHarness, smol::SmolHarness, tokio::TokioHarness};
use net_conformance::harness::{Harness, Observed, Target};
use net_core::{ConnectOptions, DEFAULT_HIGH_WATER_MARK, SocketEvent, SocketOptions};
use net_reliability::proc_stats::rss_bytes;

const TOTAL: usize = 32 << 20;
const CHUNK: usize = 64 << 10;

/// Wait for this socket's event `want`; `false` if the socket closed or 10 s passed.
fn wait_for(h: &mut dyn Harness, want: &SocketEvent) -> bool {
    let until = Instant::now() + Duration::from_secs(10);
    while let Some(ev) = h.next_event(until) {
        match ev {
            Observed::Socket(_, ev) if &ev == want => return true,
            Observed::Socket(_, SocketEvent::Close { .. }) => return false,
            _ => {}
        }
    }
    false
}

fn run(name: &str, h: &mut dyn Harness) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let reader = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = vec![0u8; 16 << 10];
        let (mut total, mut intact) = (0usize, true);
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    intact &= buf[..n].iter().enumerate().all(|(i, b)| *b == ((total + i) % 251) as u8);
                    total += n;
                    std::thread::sleep(Duration::from_micros(300));
                }
            }
        }
        (total, intact)
    });
    let c =
        h.connect(Target::Tcp(Box::new(ConnectOptions::new("127.0.0.1", port))), SocketOptions::default());
    assert!(wait_for(h, &SocketEvent::Connect), "{name}: connect");
    let mut sent = 0;
    let (mut max_queue, mut drains) = (0, 0);
    let mut rss_early = 0;
    // The pattern repeats every 251 bytes: each chunk is a slice of one buffer.
    let pattern: Bytes = (0..CHUNK + 251).map(|i| (i % 251) as u8).collect::<Vec<u8>>().into();
    while sent < TOTAL {
        let at = sent % 251;
        let chunk = pattern.slice(at..at + CHUNK);
        let ok = h.write(c, chunk);
        sent += CHUNK;
        let mut queued = 0;
        h.inspect(c, &mut |s| queued = s.writable_length());
        max_queue = max_queue.max(queued);
        if sent == TOTAL / 4 {
            rss_early = rss_bytes();
        }
        if !ok {
            drains += 1;
            assert!(wait_for(h, &SocketEvent::Drain), "{name}: drain never came");
        }
    }
    h.with_core(c, &mut |s, _| s.end());
    assert!(wait_for(h, &SocketEvent::Finish), "{name}: finish");
    let rss_late = rss_bytes();
    let (received, intact) = reader.join().unwrap();
    println!(
        "slow reader {name}: {} MiB through a slow reader, {drains} drains; writer's queue at most {} KiB \
         (mark {} KiB + one write {} KiB); RSS {} -> {} KiB",
        TOTAL >> 20,
        max_queue >> 10,
        DEFAULT_HIGH_WATER_MARK >> 10,
        CHUNK >> 10,
        rss_early >> 10,
        rss_late >> 10
    );
    assert_eq!((received, intact), (TOTAL, true), "{name}: bytes lost or corrupted");
    assert!(drains > 0, "{name}: the reader never pushed back");
    assert!(max_queue <= DEFAULT_HIGH_WATER_MARK + CHUNK, "{name}: queue grew to {max_queue}");
    assert!(rss_late < rss_early + (8 << 20), "{name}: memory grew from {rss_early} to {rss_late}");
}

#[test]
fn writer_queue_stays_bounded_under_a_slow_reader() {
    run("tokio", &mut TokioHarness::new());
    run("smol", &mut SmolHarness::new());
    run("mio", &mut MioHarness::new());
}
