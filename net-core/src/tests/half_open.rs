//! allowHalfOpen, both ways.

use super::split;
use crate::event::SocketEvent;
use crate::sim::{Pair, Side};
use crate::{ReadyState, ServerOptions, SocketOptions};

/// An accepted TCP socket with default options, and the time it was made.
fn accepted() -> (std::time::Instant, crate::Socket) {
    let now = std::time::Instant::now();
    let info = crate::ConnectionInfo::tcp("127.0.0.1:1".parse().unwrap(), "127.0.0.1:2".parse().unwrap());
    (now, crate::Socket::accepted(SocketOptions::default(), info, false, now))
}

fn half_open_server() -> ServerOptions {
    ServerOptions { allow_half_open: true, ..Default::default() }
}

/// [halfopen_server_true_client_ends_first]: only `end` on the server; it stays writable, its
/// writes reach the client, and it closes after its own `end()`.
#[test]
fn server_half_open_client_ends_first() {
    let mut pair = Pair::connected_with(SocketOptions::default(), half_open_server());
    pair.client().end();
    pair.drive();
    let (client, conn) = split(&mut pair);
    assert_eq!(client, ["prefinish", "finish"]);
    assert_eq!(conn, ["end"]);
    assert_eq!(pair.client().ready_state(), ReadyState::ReadOnly);
    assert!(pair.write(Side::Conn, b"late"));
    pair.drive();
    assert_eq!(split(&mut pair).0, ["data 4B"]);
    pair.conn().end();
    pair.drive();
    let (client, conn) = split(&mut pair);
    assert_eq!(conn, ["prefinish", "finish", "close had_error=false"]);
    assert_eq!(client, ["end", "close had_error=false"]);
}

/// [halfopen_server_true_never_ends]: without its own `end()` the connection stays half-open.
#[test]
fn half_open_stays_open_without_end() {
    let mut pair = Pair::connected_with(SocketOptions::default(), half_open_server());
    pair.client().end();
    pair.drive();
    pair.take_trace();
    pair.advance(std::time::Duration::from_secs(3600));
    assert!(pair.take_trace().is_empty());
    assert_eq!(pair.conn().ready_state(), ReadyState::WriteOnly);
    assert_eq!(pair.client().ready_state(), ReadyState::ReadOnly);
}

/// [halfopen_client_true_server_ends_first]: the mirror.
#[test]
fn client_half_open_server_ends_first() {
    let mut pair =
        Pair::connected_with(SocketOptions::default().allow_half_open(true), ServerOptions::default());
    pair.conn().end();
    pair.drive();
    let (client, conn) = split(&mut pair);
    assert_eq!(conn, ["prefinish", "finish"]);
    assert_eq!(client, ["end"]);
    assert_eq!(pair.client().ready_state(), ReadyState::WriteOnly);
    pair.write(Side::Client, b"bye");
    pair.client().end();
    pair.drive();
    let (client, conn) = split(&mut pair);
    assert_eq!(client, ["prefinish", "finish", "close had_error=false"]);
    assert_eq!(conn, ["data 3B", "end", "close had_error=false"]);
}

/// [halfopen_false_write_in_end_handler]: a write in the `end` handler still reaches the peer;
/// a later write (after the automatic end and the close) fails its callback with EPIPE "This
/// socket has been ended by the other party", without an `error` event.
#[test]
fn no_half_open_write_in_end_handler_then_later_write() {
    let mut pair = Pair::connected();
    pair.client().end();
    let mut id = None;
    pair.drive_with(&mut |side, ev, sock| {
        if side == Side::Conn && *ev == SocketEvent::End {
            let (p, w) = sock.write_with_callback(bytes::Bytes::from_static(b"in-end-handler"));
            assert!(sock.settle(p));
            id = Some(w);
        }
    });
    let id = id.unwrap().0;
    let (client, conn) = split(&mut pair);
    assert_eq!(
        conn,
        [
            "end".to_string(),
            format!("cb:{id}(null)"),
            "prefinish".into(),
            "finish".into(),
            "close had_error=false".into()
        ]
    );
    assert_eq!(client, ["prefinish", "finish", "data 14B", "end", "close had_error=false"]);
    let (ok, late) = pair.write_cb(Side::Conn, b"later");
    assert!(!ok);
    pair.drive();
    assert_eq!(split(&mut pair).1, [format!("cb:{late}(EPIPE)")]);
}

/// [halfopen_false_write_next_tick_after_end]: after the automatic end, before `close`, a write
/// fails with EPIPE and destroys the socket: callback, `error`, `close(true)`.
#[test]
fn no_half_open_write_after_auto_end_destroys() {
    let (now, mut conn) = accepted();
    conn.handle_io(now, crate::IoInput::ReadEof);
    assert_eq!(conn.poll_event(), Some(SocketEvent::End));
    assert_eq!(conn.ready_state(), ReadyState::WriteOnly);
    // The next turn runs the automatic end(): `prefinish`, and the FIN is asked for.
    assert_eq!(conn.poll_event(), Some(SocketEvent::Prefinish));
    assert_eq!(conn.poll_action(), Some(crate::SocketAction::ShutdownWrite));
    assert_eq!(conn.ready_state(), ReadyState::Closed);
    assert!(!conn.destroyed());
    let (pending, id) = conn.write_with_callback(bytes::Bytes::from_static(b"b"));
    assert!(!conn.settle(pending));
    let events: Vec<_> = std::iter::from_fn(|| conn.poll_event()).map(|e| crate::sim::describe(&e)).collect();
    assert_eq!(
        events,
        [
            format!("cb:{}(EPIPE)", id.0),
            "error EPIPE \"This socket has been ended by the other party\"".into(),
            "close had_error=true".into(),
        ]
    );
    assert_eq!(conn.poll_action(), Some(crate::SocketAction::Close));
}

/// `end(data)` after the automatic end: Node's end(chunk) writes through the stream's own
/// `_write`, not through writeAfterFIN, so it fails as a write after end, not EPIPE (found by
/// explore --seed 9595, scenario half-open/end-with-data-after-auto-end-is-write-after-end).
#[test]
fn end_data_after_auto_end_is_write_after_end() {
    let (now, mut conn) = accepted();
    conn.handle_io(now, crate::IoInput::ReadEof);
    assert_eq!(conn.poll_event(), Some(SocketEvent::End));
    assert_eq!(conn.poll_event(), Some(SocketEvent::Prefinish));
    let _ = conn.end_data(bytes::Bytes::from_static(b"b"));
    let events: Vec<_> = std::iter::from_fn(|| conn.poll_event()).map(|e| crate::sim::describe(&e)).collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events[0].starts_with("error ERR_STREAM_WRITE_AFTER_END"), "{events:?}");
    assert_eq!(events[1], "close had_error=true");
}

/// `end(data)` on a destroyed socket is refused by its write and does not end, so a later
/// `end(cb)` files its callback for a `finish` that never comes: it is never called (found by
/// explore --seed 9595, scenario callbacks/end-cb-after-refused-end-with-data).
#[test]
fn refused_end_data_does_not_end() {
    let mut pair = Pair::connected();
    pair.client().destroy();
    let _ = pair.client().end_data(bytes::Bytes::from_static(b"x"));
    assert!(!pair.client().writable_ended(), "the refused write kept end() from ending");
    let _ = pair.client().end_with_callback();
    pair.drive();
    assert_eq!(split(&mut pair).0, ["close had_error=false"]);
}

/// Bytes and the FIN read together: while the `data` is handled, `end` is queued but not
/// emitted, so `readyState` is still `open` (Node sets `endEmitted` as it emits; found by
/// explore --seed 12121, scenario half-open/ready-state-open-inside-data-before-queued-end).
#[test]
fn ready_state_open_until_end_is_handed_out() {
    let (now, mut conn) = accepted();
    conn.handle_io(now, crate::IoInput::Read(bytes::Bytes::from_static(b"a")));
    conn.handle_io(now, crate::IoInput::ReadEof);
    assert!(matches!(conn.poll_event(), Some(SocketEvent::Data(_))));
    assert_eq!(conn.ready_state(), ReadyState::Open);
    assert!(conn.readable());
    assert_eq!(conn.poll_event(), Some(SocketEvent::End));
    assert_eq!(conn.ready_state(), ReadyState::WriteOnly);
}

/// [halfopen_both_true]: both allow half-open; each side closes after both ended.
#[test]
fn both_half_open() {
    let mut pair = Pair::connected_with(SocketOptions::default().allow_half_open(true), half_open_server());
    pair.client().end();
    pair.drive();
    assert_eq!(split(&mut pair).1, ["end"]);
    pair.conn().end();
    pair.drive();
    let (client, conn) = split(&mut pair);
    assert_eq!(conn, ["prefinish", "finish", "close had_error=false"]);
    assert_eq!(client, ["end", "close had_error=false"]);
}
