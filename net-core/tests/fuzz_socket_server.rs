//! The `socket_server` fuzz target on stable Rust: proptest's bytes through the same harness
//! (`fuzz_harness/socket_server.rs`, also `fuzz/fuzz_targets/socket_server.rs`), so plain
//! `cargo test` covers it. `PROPTEST_CASES` sets the number of inputs (default 150: a few
//! seconds). Crashes the fuzzer found are pinned below as plain tests.

#[path = "fuzz_harness/socket_server.rs"]
mod harness;

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(150),
        ..ProptestConfig::default()
    })]

    #[test]
    fn socket_server_harness(data in proptest::collection::vec(any::<u8>(), 0..3000)) {
        harness::run(&data);
    }
}

#[test]
fn empty_and_tiny_inputs() {
    for data in [&[][..], &[0], &[255; 7], &[1, 2, 3, 4, 5, 6, 7, 8, 9]] {
        harness::run(data);
    }
}

/// Run the bytes in `FUZZ_INPUT` (comma-separated, as proptest prints them) through the harness.
#[test]
fn replay() {
    let Ok(text) = std::env::var("FUZZ_INPUT") else { return };
    let data: Vec<u8> = text
        .split([',', ' ', '\n', '[', ']'])
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    harness::run(&data);
}

// ---------------------------------------------------------------------------------------------
// What the harness found, as plain tests. Each states Node 26's answer (checked by hand with
// `.tools/node26/bin/node`, the script is in the comment) and asserts ours; a fix makes the test
// fail, asking for it to become a plain check of Node's answer.

/// Differences from Node the fuzzer found, each fixed since and checked against Node's answer.
mod found {
    use std::net::SocketAddr;
    use std::time::Instant;

    use bytes::Bytes;
    use net_core::{ConnectionInfo, IoInput, Socket, SocketEvent, SocketOptions};

    fn events(s: &mut Socket) -> Vec<String> {
        std::iter::from_fn(|| s.poll_event())
            .filter_map(|e| match e {
                SocketEvent::WriteDone(id, e) => Some(format!("cb{} {}", id.0, e.map_or("ok", |e| e.code()))),
                SocketEvent::Error(e) => Some(format!("error {}", e.code())),
                SocketEvent::Close { had_error } => Some(format!("close {had_error}")),
                _ => None, // connectionAttempt and the like: not what these are about
            })
            .collect()
    }

    /// Node 26's answer, checked by hand; `was` is what net-core answered when the fuzzer found
    /// the case (all three are fixed).
    fn differs(what: &str, node: &[&str], was: &[&str], got: &[String]) {
        assert_eq!(got, node, "{what}: not as in Node 26 (net-core once answered {was:?})");
    }

    const TO: &str = "127.0.0.1:8080";

    /// Found by the harness as "WriteDone after close". A connected socket is destroyed while the
    /// kernel has not taken two writes and an `end()`, all with callbacks. Node 26 calls them
    /// first (ECANCELED for what libuv held, ERR_STREAM_DESTROYED for what the stream buffered),
    /// then emits `close`; we emit `close` first, and every callback gets ERR_STREAM_DESTROYED.
    /// (net-core has no ECANCELED code.) Node:
    /// `s.write(Buffer.alloc(10e6), cb1); s.write('x', cb2); s.end(cb3); s.destroy()` on a
    /// connection to a server that does not read → cb1 ECANCELED, cb2 ECANCELED, cb3 ECANCELED,
    /// close.
    #[test]
    fn pending_write_callbacks_come_after_close() {
        let now = Instant::now();
        let to: SocketAddr = TO.parse().unwrap();
        let mut s = Socket::new(SocketOptions::default(), now);
        s.connect(to.into()).unwrap();
        s.tick(now);
        while s.poll_action().is_some() {}
        s.handle_io(now, IoInput::Connected(ConnectionInfo::tcp("127.0.0.1:50000".parse().unwrap(), to)));
        events(&mut s);
        let (w, _) = s.write_with_callback(Bytes::from(vec![0; 100]));
        let _ = s.settle(w);
        let (w, _) = s.write_with_callback(Bytes::from_static(b"x"));
        let _ = s.settle(w);
        s.end_with_callback();
        s.destroy();
        differs(
            "destroy with unsent writes",
            &["cb1 ECANCELED", "cb2 ECANCELED", "cb3 ECANCELED", "close false"],
            &[
                "close false",
                "cb1 ERR_STREAM_DESTROYED",
                "cb2 ERR_STREAM_DESTROYED",
                "cb3 ERR_STREAM_DESTROYED",
            ],
            &events(&mut s),
        );
    }

    /// Found with the one above. Destroyed while connecting (in the turn of `connect()`), with two
    /// writes queued: Node runs both callbacks after `close` (as we do), both with
    /// ERR_SOCKET_CLOSED_BEFORE_CONNECTION; we give it to the first only. Node:
    /// `t = net.connect(port, '127.0.0.1'); t.write('x', cb1); t.write('y', cb2); t.destroy()`
    /// → close false, cb1 ERR_SOCKET_CLOSED_BEFORE_CONNECTION, cb2 ERR_SOCKET_CLOSED_BEFORE_CONNECTION.
    #[test]
    fn writes_queued_while_connecting_fail_alike() {
        let now = Instant::now();
        let to: SocketAddr = TO.parse().unwrap();
        let mut s = Socket::new(SocketOptions::default(), now);
        s.connect(to.into()).unwrap();
        let (w, _) = s.write_with_callback(Bytes::from_static(b"x"));
        assert!(s.settle(w));
        let (w, _) = s.write_with_callback(Bytes::from_static(b"y"));
        assert!(s.settle(w));
        s.destroy();
        differs(
            "destroy while connecting with two writes",
            &[
                "close false",
                "cb1 ERR_SOCKET_CLOSED_BEFORE_CONNECTION",
                "cb2 ERR_SOCKET_CLOSED_BEFORE_CONNECTION",
            ],
            &["close false", "cb1 ERR_SOCKET_CLOSED_BEFORE_CONNECTION", "cb2 ERR_STREAM_DESTROYED"],
            &events(&mut s),
        );
    }

    /// Found by the harness writing on the client before any `connect()`. Node 26 has no handle
    /// and is not connecting: `write()` returns false, the callback gets ERR_SOCKET_CLOSED, then
    /// `error` ERR_SOCKET_CLOSED and `close`. We queue the bytes, answer true and emit nothing
    /// (they wait for a connect that may never come). Node:
    /// `s = new net.Socket(); s.write('x'.repeat(196), cb)` → false, cb1 ERR_SOCKET_CLOSED,
    /// error ERR_SOCKET_CLOSED, close (no argument).
    #[test]
    fn write_before_connect_is_queued() {
        let now = Instant::now();
        let mut s = Socket::new(SocketOptions::default(), now);
        let (w, _) = s.write_with_callback(Bytes::from(vec![0; 196]));
        let ret = s.settle(w);
        s.handled(now);
        let mut got = vec![format!("write -> {ret}")];
        got.extend(events(&mut s));
        differs(
            "write before connect",
            &["write -> false", "cb1 ERR_SOCKET_CLOSED", "error ERR_SOCKET_CLOSED", "close false"],
            &["write -> true"],
            &got,
        );
    }
}
