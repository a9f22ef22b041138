//! A peer reset in the middle of a large transfer, in both directions, on every backend: the
//! socket reports `error` (ECONNRESET or EPIPE, as the kernel says) then `close(true)`, once,
//! with no panic and no hang, and every byte that did arrive came in order.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use bytes::Bytes;
use net_conformance::backend::{mio::MioHarness, smol::SmolHarness, tokio::TokioHarness};
use net_conformance::harness::{Harness, Observed, Target};
use net_core::{ConnectOptions, SocketEvent, SocketOptions};

const BIG: usize = 16 << 20;

fn pattern(at: usize, len: usize) -> Vec<u8> {
    (at..at + len).map(|i| (i % 251) as u8).collect()
}

/// Events of socket `c` until its close (10 s at most).
fn until_close(h: &mut dyn Harness, c: usize, mut on_data: impl FnMut(&[u8])) -> Vec<String> {
    let until = Instant::now() + Duration::from_secs(10);
    let mut log = Vec::new();
    while let Some(ev) = h.next_event(until) {
        if let Observed::Socket(id, ev) = ev {
            assert_eq!(id, c);
            match &ev {
                SocketEvent::Data(d) => on_data(d),
                SocketEvent::Error(e) => log.push(format!("error {}", e.code())),
                SocketEvent::Close { had_error } => {
                    log.push(format!("close {had_error}"));
                    return log;
                }
                SocketEvent::End => log.push("end".into()),
                _ => {}
            }
        }
    }
    panic!("no close within 10 s: {log:?}");
}

fn reset(stream: std::net::TcpStream) {
    socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO)).unwrap();
    drop(stream);
}

/// We write megabytes; the peer reads some, then resets.
fn peer_resets_our_writes(name: &str, h: &mut dyn Harness) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let peer = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = vec![0u8; 1 << 20];
        let mut got = 0;
        while got < 1 << 20 {
            got += s.read(&mut buf[got..]).unwrap();
        }
        assert_eq!(buf, pattern(0, 1 << 20), "the peer read our bytes in order");
        reset(s);
    });
    let c =
        h.connect(Target::Tcp(Box::new(ConnectOptions::new("127.0.0.1", port))), SocketOptions::default());
    let _ = h.write(c, Bytes::from(pattern(0, BIG)));
    let log = until_close(h, c, |_| {});
    peer.join().unwrap();
    let errors = log.iter().filter(|l| l.starts_with("error")).count();
    println!("resets {name}: peer reset our 16 MiB write after reading 1 MiB: {log:?}");
    assert_eq!(errors, 1, "{name}: exactly one error: {log:?}");
    assert!(log[0] == "error ECONNRESET" || log[0] == "error EPIPE", "{name}: {log:?}");
    assert_eq!(log.last().map(String::as_str), Some("close true"), "{name}");
}

/// The peer writes megabytes to us, then resets.
fn peer_resets_its_writes(name: &str, h: &mut dyn Harness) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let peer = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.write_all(&pattern(0, 4 << 20)).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        reset(s);
    });
    let c =
        h.connect(Target::Tcp(Box::new(ConnectOptions::new("127.0.0.1", port))), SocketOptions::default());
    let mut received = 0usize;
    let mut in_order = true;
    let log = until_close(h, c, |d| {
        in_order &= d == pattern(received, d.len()).as_slice();
        received += d.len();
    });
    peer.join().unwrap();
    println!(
        "resets {name}: the peer reset after writing 4 MiB: {received} bytes arrived, in order: {in_order}; {log:?}"
    );
    assert!(in_order, "{name}: bytes out of order");
    assert!(received <= 4 << 20);
    assert_eq!(log, ["error ECONNRESET", "close true"], "{name}");
}

#[test]
fn resets_mid_transfer_both_ways() {
    for (name, make) in [
        ("tokio", (|| Box::new(TokioHarness::new()) as Box<dyn Harness>) as fn() -> Box<dyn Harness>),
        ("smol", || Box::new(SmolHarness::new())),
        ("mio", || Box::new(MioHarness::new())),
    ] {
        peer_resets_our_writes(name, &mut *make());
        peer_resets_its_writes(name, &mut *make());
    }
}
