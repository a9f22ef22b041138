//! Connect, ready, the basic exchange and readyState.

use std::time::Instant;

use bytes::Bytes;

use super::split;
use crate::sim::{Pair, Side};
use crate::{
    ConnectionInfo, Endpoint, ErrorCode, IoInput, ReadyState, ServerOptions, Socket, SocketAction,
    SocketEvent, SocketOptions,
};

/// [basic_client_writes_then_ends]
#[test]
fn client_writes_then_ends() {
    let mut pair = Pair::connected();
    assert!(pair.write(Side::Client, b"hello"));
    pair.client().end();
    assert_eq!(pair.client().ready_state(), ReadyState::ReadOnly);
    pair.drive();
    let (client, conn) = split(&mut pair);
    assert_eq!(client, ["prefinish", "finish", "end", "close had_error=false"]);
    assert_eq!(conn, ["data 5B", "end", "prefinish", "finish", "close had_error=false"]);
    assert_eq!((pair.client().bytes_read(), pair.client().bytes_written()), (0, 5));
    assert_eq!((pair.conn().bytes_read(), pair.conn().bytes_written()), (5, 0));
    assert_eq!(pair.client().ready_state(), ReadyState::Closed);
    assert_eq!(pair.conn.received, b"hello");
}

/// [basic_server_writes_then_ends]: the mirror case.
#[test]
fn server_writes_then_ends() {
    let mut pair = Pair::connected();
    assert!(pair.write(Side::Conn, b"hello"));
    pair.conn().end();
    pair.drive();
    let (client, conn) = split(&mut pair);
    assert_eq!(conn, ["prefinish", "finish", "end", "close had_error=false"]);
    assert_eq!(client, ["data 5B", "end", "prefinish", "finish", "close had_error=false"]);
}

/// [readyState_transitions]: the table in NODE_NET_BEHAVIOR.md §12.
#[test]
fn ready_state_and_pending_follow_node() {
    let now = Instant::now();
    let fresh = Socket::new(SocketOptions::default(), now);
    assert_eq!((fresh.ready_state(), fresh.pending(), fresh.connecting()), (ReadyState::Open, true, false));
    let mut destroyed = Socket::new(SocketOptions::default(), now);
    destroyed.destroy();
    assert_eq!((destroyed.ready_state(), destroyed.pending()), (ReadyState::Closed, true));

    let mut pair = Pair::new(SocketOptions::default().allow_half_open(true), ServerOptions::default());
    let to = pair.server_addr.into();
    pair.client().connect(to).unwrap();
    let c = pair.client();
    assert_eq!((c.ready_state(), c.pending(), c.connecting()), (ReadyState::Opening, true, true));
    pair.drive();
    let c = pair.client();
    assert_eq!((c.ready_state(), c.pending(), c.connecting()), (ReadyState::Open, false, false));
    pair.client().end();
    assert_eq!(pair.client().ready_state(), ReadyState::ReadOnly);
    pair.drive();
    // The peer (no half-open) ended back, so the client closed.
    assert_eq!((pair.client().ready_state(), pair.client().pending()), (ReadyState::Closed, true));
}

/// [halfopen_server_true_client_ends_first]: got the peer's `end` with half-open → writeOnly.
#[test]
fn write_only_after_peer_end_with_half_open() {
    let mut pair = Pair::connected_with(
        SocketOptions::default(),
        ServerOptions { allow_half_open: true, ..Default::default() },
    );
    pair.client().end();
    pair.drive();
    assert_eq!(pair.conn().ready_state(), ReadyState::WriteOnly);
    assert!(!pair.conn().readable() && pair.conn().writable());
}

/// [write_before_connect]: queued before the connection, flushed on connect; the write callback
/// comes between `connect` and `ready`; `end()` before connect sends FIN after.
#[test]
fn writes_and_end_before_connect() {
    let mut pair = Pair::connecting(SocketOptions::default(), ServerOptions::default());
    let (ok, id) = pair.write_cb(Side::Client, b"early");
    assert!(ok);
    let c = pair.client();
    assert_eq!((c.writable_length(), c.bytes_written(), c.pending()), (5, 5, true));
    pair.client().end();
    pair.drive();
    let (client, conn) = split(&mut pair);
    assert_eq!(id, 1);
    assert_eq!(
        client,
        [
            "connectionAttempt 127.0.0.1:4000",
            "connect",
            "cb:1(null)",
            "ready",
            "prefinish",
            "finish",
            "end",
            "close had_error=false"
        ]
    );
    assert_eq!(conn, ["data 5B", "end", "prefinish", "finish", "close had_error=false"]);
}

/// [connect_refused], [write_before_connect_then_refused]: `connectionAttemptFailed`, `error`,
/// `close(true)`; then the first write's callback gets ERR_SOCKET_CLOSED_BEFORE_CONNECTION and the
/// later write and `end` callbacks the connect error.
#[test]
fn connect_refused_with_queued_writes() {
    let mut pair = Pair::connecting(SocketOptions::default(), ServerOptions::default());
    pair.server.close().unwrap();
    pair.write_cb(Side::Client, b"a");
    pair.write_cb(Side::Client, b"b");
    pair.client().end_with_callback();
    pair.drive();
    let (client, _) = split(&mut pair);
    assert_eq!(
        client,
        [
            "connectionAttempt 127.0.0.1:4000",
            "connectionAttemptFailed 127.0.0.1:4000 ECONNREFUSED",
            "error ECONNREFUSED \"connect ECONNREFUSED 127.0.0.1:4000\"",
            "close had_error=true",
            "cb:1(ERR_SOCKET_CLOSED_BEFORE_CONNECTION)",
            "cb:2(ECONNREFUSED)",
            "cb:3(ECONNREFUSED)",
        ]
    );
    let c = pair.client();
    assert_eq!(c.errored().map(|e| e.error_code()), Some(ErrorCode::ECONNREFUSED));
    assert_eq!((c.local_address(), c.remote_address()), (None, None));
}

/// [event_timing_markers]: accepted sockets never emit `connect` or `ready`; addresses are set.
#[test]
fn accepted_socket_has_addresses_and_no_connect_event() {
    let mut pair = Pair::connected();
    assert_eq!(pair.conn().local_address(), Some(pair.server_addr));
    assert_eq!(pair.client().remote_address(), Some(pair.server_addr));
    assert_eq!(pair.client().local_family().map(|f| f.as_str()), Some("IPv4"));
    assert!(pair.conn().poll_event().is_none());
}

/// Socket options asked for before the connection are applied on connect, once.
#[test]
fn no_delay_and_keep_alive_before_connect_apply_on_connect() {
    let now = Instant::now();
    let mut sock = Socket::new(SocketOptions::default(), now);
    sock.set_no_delay(true);
    sock.set_keep_alive(crate::KeepAlive::on(std::time::Duration::from_secs(5)));
    let to: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
    sock.connect(to.into()).unwrap();
    sock.tick(now);
    assert_eq!(sock.poll_action(), Some(SocketAction::Connect { to: Endpoint::Tcp(to), local: None }));
    assert_eq!(sock.poll_action(), None);
    sock.handle_io(now, IoInput::Connected(ConnectionInfo::tcp(to, to)));
    assert_eq!(sock.poll_action(), Some(SocketAction::SetNoDelay(true)));
    assert!(
        matches!(sock.poll_action(), Some(SocketAction::SetKeepAlive(s)) if s.timing.unwrap().idle_secs == 5)
    );
    assert_eq!(sock.poll_action(), None);
    sock.set_no_delay(false);
    assert_eq!(sock.poll_action(), Some(SocketAction::SetNoDelay(false)));
}

/// IPC sockets ignore TCP options and refuse `resetAndDestroy` ([ipc_basic]).
#[test]
fn ipc_socket_ignores_tcp_options_and_refuses_reset() {
    let now = Instant::now();
    let mut sock = Socket::new(SocketOptions { no_delay: true, ..Default::default() }, now);
    sock.connect(Endpoint::Ipc("/tmp/x.sock".into())).unwrap();
    sock.tick(now);
    let _ = sock.poll_action();
    sock.handle_io(now, IoInput::Connected(ConnectionInfo::ipc()));
    assert_eq!(sock.poll_action(), None);
    assert_eq!(sock.reset_and_destroy().unwrap_err().code(), "ERR_INVALID_HANDLE_TYPE");
    assert_eq!(sock.local_address(), None);
    let w = sock.write(Bytes::from_static(b"x"));
    assert!(sock.settle(w));
}

/// Connecting twice is refused; connecting a destroyed socket is refused.
#[test]
fn connect_only_once() {
    let now = Instant::now();
    let mut sock = Socket::new(SocketOptions::default(), now);
    let to: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
    sock.connect(to.into()).unwrap();
    sock.tick(now);
    assert!(sock.connect(to.into()).is_err());
    sock.destroy();
    assert_eq!(sock.connect(to.into()).unwrap_err().code(), "ERR_SOCKET_CLOSED");
    let events: Vec<_> = std::iter::from_fn(|| sock.poll_event()).collect();
    assert_eq!(events.last(), Some(&SocketEvent::Close { had_error: false }));
}

/// [ipc_path_too_long]: `connectionAttempt` inside the call, then `error EINVAL "connect EINVAL
/// <path> - Local (undefined:undefined)"`, `close(true)`; no `connectionAttemptFailed`, no connect.
#[test]
fn ipc_path_too_long_for_connect() {
    let long = format!("/tmp/{}", "b".repeat(104));
    let mut sock = Socket::new(SocketOptions::default(), Instant::now());
    sock.connect(Endpoint::Ipc(long.clone().into())).unwrap();
    sock.tick(Instant::now());
    assert_eq!(sock.poll_action(), None);
    let events: Vec<_> = std::iter::from_fn(|| sock.poll_event()).map(|e| crate::sim::describe(&e)).collect();
    assert_eq!(
        events,
        [
            format!("connectionAttempt {long}"),
            format!("error EINVAL \"connect EINVAL {long} - Local (undefined:undefined)\""),
            "close had_error=true".into(),
        ]
    );
}

/// `tick()` runs Node's next-tick work without an event poll: the FIN after `end()` goes out
/// even if the user never reads events; the automatic end after the peer's `end` does not.
#[test]
fn tick_sends_the_fin_without_event_polls() {
    let now = Instant::now();
    let info = ConnectionInfo::tcp("127.0.0.1:1".parse().unwrap(), "127.0.0.1:2".parse().unwrap());
    let mut sock = Socket::accepted(SocketOptions::default(), info, false, now);
    sock.end();
    assert_eq!(sock.poll_action(), None);
    sock.tick(now);
    assert_eq!(sock.poll_action(), Some(SocketAction::ShutdownWrite));

    let mut peer_ended = Socket::accepted(SocketOptions::default(), info, false, now);
    peer_ended.handle_io(now, IoInput::ReadEof);
    peer_ended.tick(now);
    assert_eq!(peer_ended.poll_action(), None, "auto-end waits for the user to see `end`");
    assert_eq!(peer_ended.poll_event(), Some(SocketEvent::End));
    assert_eq!(peer_ended.poll_event(), Some(SocketEvent::Prefinish));
    assert_eq!(peer_ended.poll_action(), Some(SocketAction::ShutdownWrite));
}
