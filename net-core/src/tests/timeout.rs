//! setTimeout: idle timer, re-armed by activity, never closing.

use std::time::Duration;

use super::split;
use crate::sim::{Pair, Side};
use crate::{ReadyState, ServerOptions, SocketOptions};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// [setTimeout_idle_does_not_close]: fires once after the idle time; nothing is closed and it
/// does not fire again without activity.
#[test]
fn fires_once_and_does_not_close() {
    let mut pair = Pair::connected();
    let now = pair.now;
    pair.client().set_timeout(now, ms(100));
    assert_eq!(pair.client().timeout(), Some(ms(100)));
    pair.advance(ms(99));
    assert!(pair.take_trace().is_empty());
    pair.advance(ms(1));
    assert_eq!(split(&mut pair).0, ["timeout"]);
    assert_eq!(pair.client().ready_state(), ReadyState::Open);
    pair.advance(ms(1000));
    assert!(pair.take_trace().is_empty());
    assert_eq!(pair.client().poll_timeout(), None);
}

/// [setTimeout_callback_and_activity_reset]: reads 60 ms apart re-arm a 120 ms timeout; it fires
/// 120 ms after the last.
#[test]
fn activity_rearms() {
    let mut pair = Pair::connected();
    let now = pair.now;
    pair.client().set_timeout(now, ms(120));
    for _ in 0..4 {
        pair.advance(ms(60));
        pair.write(Side::Conn, b"tick");
        pair.drive();
    }
    let (client, _) = split(&mut pair);
    assert!(!client.contains(&"timeout".to_string()), "{client:?}");
    pair.advance(ms(119));
    assert!(split(&mut pair).0.is_empty());
    pair.advance(ms(1));
    assert_eq!(split(&mut pair).0, ["timeout"]);
    // Activity after firing arms it again.
    pair.write(Side::Client, b"x");
    pair.drive();
    let _ = pair.take_trace();
    pair.advance(ms(120));
    assert_eq!(split(&mut pair).0, ["timeout"]);
}

/// `setTimeout(0)` disables it; the `timeout` property then reads 0 (scenario
/// timeout/set-timeout-zero-reads-zero).
#[test]
fn zero_disables() {
    let mut pair = Pair::connected();
    let now = pair.now;
    assert_eq!(pair.client().timeout(), None);
    pair.client().set_timeout(now, ms(50));
    pair.client().set_timeout(now, Duration::ZERO);
    assert_eq!(pair.client().timeout(), Some(Duration::ZERO));
    pair.advance(ms(500));
    assert!(pair.take_trace().is_empty());
}

/// [connect_timeout_option_while_connecting], [timeout_option_on_connect]: the `timeout` option
/// is armed at creation and can fire while connecting; nothing is destroyed.
#[test]
fn option_fires_while_connecting() {
    let opts = SocketOptions { timeout: Some(ms(30)), ..Default::default() };
    let mut pair = Pair::new(opts, ServerOptions::default());
    // Connect to a server that never answers: the driver keeps the connect pending.
    let to: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    pair.client().connect(to.into()).unwrap();
    let _ = pair.client().poll_action();
    let later = pair.now + ms(30);
    pair.client().handle_timeout(later);
    let events: Vec<_> =
        std::iter::from_fn(|| pair.client().poll_event()).map(|e| crate::sim::describe(&e)).collect();
    assert_eq!(events, ["connectionAttempt 127.0.0.1:9", "timeout"]);
    assert_eq!(pair.client().ready_state(), ReadyState::Opening);
}

/// [setTimeout_on_server_conn]: works on accepted sockets too; destroy clears the timer.
#[test]
fn accepted_socket_timeout_and_destroy_clears_it() {
    let mut pair = Pair::connected();
    let now = pair.now;
    pair.conn().set_timeout(now, ms(10));
    pair.advance(ms(10));
    assert_eq!(split(&mut pair).1, ["timeout"]);
    let now = pair.now;
    pair.conn().set_timeout(now, ms(10));
    pair.conn().destroy();
    assert_eq!(pair.conn().poll_timeout(), None);
}

/// Regression (proptest): `setTimeout` on a destroyed socket armed a timer that could never fire.
#[test]
fn set_timeout_after_destroy_is_a_no_op() {
    let mut pair = Pair::connected();
    pair.client().destroy();
    let now = pair.now;
    pair.client().set_timeout(now, ms(10));
    pair.client().resume();
    assert_eq!(pair.client().poll_timeout(), None);
}

/// Node cuts timers to 2^31-1 ms; a longer one (even `Duration::MAX`) must not overflow the
/// deadline (found by the bad-input table: it panicked in `Instant + Duration`).
#[test]
fn huge_timeouts_are_cut_to_node_s_maximum() {
    let mut pair = Pair::connected();
    let now = pair.now;
    pair.client().set_timeout(now, Duration::MAX);
    assert_eq!(pair.client().poll_timeout(), Some(now + crate::TIMEOUT_MAX));
}
