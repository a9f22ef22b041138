//! destroy, destroySoon, resetAndDestroy, transport faults.

use std::time::Instant;

use bytes::Bytes;

use super::split;
use crate::sim::{Pair, Side, describe};
use crate::{
    ConnectionInfo, ErrorCode, IoInput, NetError, ServerOptions, Socket, SocketAction, SocketOptions,
};

fn drain_events(sock: &mut Socket) -> Vec<String> {
    std::iter::from_fn(|| sock.poll_event()).map(|e| describe(&e)).collect()
}

/// [destroy_client_after_connect]: `close(false)` here; FIN at the peer.
#[test]
fn destroy_after_connect() {
    let mut pair = Pair::connected();
    pair.client().destroy();
    assert!(pair.client().destroyed() && pair.client().pending());
    pair.drive();
    let (client, conn) = split(&mut pair);
    assert_eq!(client, ["close had_error=false"]);
    assert_eq!(conn, ["end", "prefinish", "finish", "close had_error=false"]);
    assert_eq!(pair.server.get_connections(), 0);
}

/// [destroy_client_with_error], [destroy_twice]: `error`, `close(true)`; a second destroy and
/// its error are dropped.
#[test]
fn destroy_with_error_then_again() {
    let mut pair = Pair::connected();
    pair.client().destroy_with_error(NetError::user("x"));
    pair.client().destroy_with_error(NetError::user("y"));
    pair.client().destroy();
    pair.drive();
    let (client, conn) = split(&mut pair);
    assert_eq!(client, ["error EUNKNOWN \"x\"", "close had_error=true"]);
    assert_eq!(conn, ["end", "prefinish", "finish", "close had_error=false"]);
    assert_eq!(pair.client().errored().unwrap().message(), "x");
}

/// [destroy_server_conn]: destroying the accepted socket ends the client and frees the slot.
#[test]
fn destroy_accepted_socket() {
    let mut pair = Pair::connected();
    assert_eq!(pair.server.get_connections(), 1);
    pair.conn().destroy();
    pair.drive();
    let (client, conn) = split(&mut pair);
    assert_eq!(conn, ["close had_error=false"]);
    assert_eq!(client, ["end", "prefinish", "finish", "close had_error=false"]);
    assert_eq!(pair.server.get_connections(), 0);
}

/// [destroy_before_connect]: destroyed in the same turn as `connect()`: only `close(false)` (no
/// `connectionAttempt`: Node starts the attempt next tick), and the server sees nothing.
#[test]
fn destroy_in_the_turn_of_connect() {
    let mut pair = Pair::new(SocketOptions::default(), ServerOptions::default());
    let to = pair.server_addr.into();
    pair.client().connect(to).unwrap();
    pair.client().destroy();
    pair.drive();
    let (client, _) = split(&mut pair);
    assert_eq!(client, ["close had_error=false"]);
    assert!(pair.conn.sock.is_none());
    assert!(pair.server_events().is_empty());
}

/// [destroy_while_connecting_after_attempt]: once the driver started the connect, destroy asks it
/// to close that handle; a late `Connected` is ignored.
#[test]
fn destroy_while_connecting() {
    let now = Instant::now();
    let mut sock = Socket::new(SocketOptions::default(), now);
    let to: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    sock.connect(to.into()).unwrap();
    sock.tick(now);
    assert!(matches!(sock.poll_action(), Some(SocketAction::Connect { .. })));
    sock.destroy();
    assert_eq!(sock.poll_action(), Some(SocketAction::Close));
    sock.handle_io(now, IoInput::Connected(ConnectionInfo::tcp(to, to)));
    assert_eq!(drain_events(&mut sock), ["connectionAttempt 127.0.0.1:9", "close had_error=false"]);
    assert!(!sock.wants_read() && !sock.wants_write());
}

/// [destroy_with_error_before_connect]: `error`, `close(true)`, then the queued write's callback
/// gets ERR_SOCKET_CLOSED_BEFORE_CONNECTION.
#[test]
fn destroy_with_error_before_connect() {
    let now = Instant::now();
    let mut sock = Socket::new(SocketOptions::default(), now);
    let to: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    sock.connect(to.into()).unwrap();
    sock.tick(now);
    let _ = sock.poll_action();
    let (p, id) = sock.write_with_callback(Bytes::from_static(b"x"));
    assert!(sock.settle(p));
    sock.destroy_with_error(NetError::user("early"));
    assert_eq!(
        drain_events(&mut sock),
        [
            "connectionAttempt 127.0.0.1:9".to_string(),
            "error EUNKNOWN \"early\"".into(),
            "close had_error=true".into(),
            format!("cb:{}(ERR_SOCKET_CLOSED_BEFORE_CONNECTION)", id.0),
        ]
    );
}

/// [destroy_with_unread_data_sends_rst]: closing with unread bytes sends RST: the peer gets
/// `error ECONNRESET "read ECONNRESET"`, `close(true)`.
#[test]
fn destroy_with_unread_data_resets_peer() {
    let server = ServerOptions { pause_on_connect: true, ..Default::default() };
    let mut pair = Pair::connected_with(SocketOptions::default(), server);
    pair.write(Side::Client, b"unread");
    pair.drive();
    pair.conn().destroy();
    pair.drive();
    let (client, conn) = split(&mut pair);
    assert_eq!(conn, ["close had_error=false"]);
    assert_eq!(client, ["error ECONNRESET \"read ECONNRESET\"", "close had_error=true"]);
    assert_eq!(pair.client().errored().unwrap().errno(), Some(-104));
}

/// [destroySoon_with_pending_write]: everything queued arrives before the FIN; this side closes
/// after `finish` without waiting for the peer.
#[test]
fn destroy_soon_flushes_first() {
    let mut pair = Pair::connected();
    pair.capacity = 4096;
    assert!(!pair.write(Side::Client, &vec![3; 1 << 20]));
    pair.client().destroy_soon();
    pair.drive();
    let (client, conn) = split(&mut pair);
    assert_eq!(client[client.len() - 3..], ["prefinish", "finish", "close had_error=false"]);
    assert_eq!(conn[conn.len() - 4..], ["end", "prefinish", "finish", "close had_error=false"]);
    assert_eq!(pair.conn.received.len(), 1 << 20);
}

/// [destroySoon_idle].
#[test]
fn destroy_soon_idle() {
    let mut pair = Pair::connected();
    pair.client().destroy_soon();
    pair.drive();
    let (client, conn) = split(&mut pair);
    assert_eq!(client, ["prefinish", "finish", "close had_error=false"]);
    assert_eq!(conn, ["end", "prefinish", "finish", "close had_error=false"]);
}

/// [resetAndDestroy_client], [resetAndDestroy_server_conn]: RST: `close(false)` here,
/// `error ECONNRESET`, `close(true)` at the peer.
#[test]
fn reset_and_destroy() {
    for side in [Side::Client, Side::Conn] {
        let mut pair = Pair::connected();
        pair.sock(side).reset_and_destroy().unwrap();
        pair.drive();
        let (client, conn) = split(&mut pair);
        let (me, peer) = if side == Side::Client { (client, conn) } else { (conn, client) };
        assert_eq!(me, ["close had_error=false"]);
        assert_eq!(peer, ["error ECONNRESET \"read ECONNRESET\"", "close had_error=true"]);
        assert_eq!(pair.server.get_connections(), 0);
    }
}

/// [resetAndDestroy_while_connecting]: waits for `connect`, `ready`, then resets.
#[test]
fn reset_while_connecting_waits_for_connect() {
    let mut pair = Pair::new(SocketOptions::default(), ServerOptions::default());
    let to = pair.server_addr.into();
    pair.client().connect(to).unwrap();
    pair.client().reset_and_destroy().unwrap();
    pair.drive();
    let (client, conn) = split(&mut pair);
    assert_eq!(client, ["connectionAttempt 127.0.0.1:4000", "connect", "ready", "close had_error=false"]);
    assert_eq!(conn, ["error ECONNRESET \"read ECONNRESET\"", "close had_error=true"]);
}

/// [resetAndDestroy_no_handle]: `error ERR_SOCKET_CLOSED "Socket is closed"`, then `close`;
/// after `close` a no-op.
#[test]
fn reset_without_handle() {
    let mut sock = Socket::new(SocketOptions::default(), Instant::now());
    sock.reset_and_destroy().unwrap();
    sock.reset_and_destroy().unwrap();
    assert_eq!(
        drain_events(&mut sock),
        ["error ERR_SOCKET_CLOSED \"Socket is closed\"", "close had_error=false"]
    );
    assert_eq!(sock.poll_action(), None);
}

/// Transport faults: `error` with Node's code and text, then `close(true)`; the socket asks for
/// its handle to be closed.
#[test]
fn transport_failures() {
    for (err, text) in [
        (NetError::syscall(ErrorCode::ECONNRESET, "read"), "read ECONNRESET"),
        (NetError::syscall(ErrorCode::EPIPE, "write"), "write EPIPE"),
    ] {
        let mut pair = Pair::connected();
        let now = pair.now;
        pair.client().handle_io(now, IoInput::Failed(err));
        assert_eq!(pair.client().poll_action(), Some(SocketAction::Close));
        let events = drain_events(pair.client());
        assert_eq!(
            events,
            [format!("error {} \"{text}\"", text.split(' ').nth(1).unwrap()), "close had_error=true".into()]
        );
    }
}

/// [write_after_peer_destroyed_epipe]: writing on (half-open) after the peer is gone fails the
/// socket with a transport error, `close(true)`.
#[test]
fn write_after_peer_gone() {
    let mut pair =
        Pair::connected_with(SocketOptions::default().allow_half_open(true), ServerOptions::default());
    pair.conn().destroy();
    pair.drive();
    let _ = pair.take_trace();
    assert!(pair.write(Side::Client, b"x"), "the first write draws an RST");
    pair.drive();
    assert!(pair.take_trace().is_empty());
    pair.write(Side::Client, b"y");
    pair.drive();
    let (client, _) = split(&mut pair);
    assert_eq!(client, ["error EPIPE \"write EPIPE\"", "close had_error=true"]);
}

/// After `close`, inputs from a confused driver change nothing.
#[test]
fn inputs_after_close_are_ignored() {
    let mut pair = Pair::connected();
    pair.client().destroy();
    pair.drive();
    let _ = pair.take_trace();
    let now = pair.now;
    let c = pair.client();
    for input in [
        IoInput::Read(Bytes::from_static(b"late")),
        IoInput::ReadEof,
        IoInput::Written(3),
        IoInput::ShutdownDone,
        IoInput::Failed(NetError::syscall(ErrorCode::ECONNRESET, "read")),
    ] {
        c.handle_io(now, input);
    }
    c.handle_timeout(now);
    assert_eq!(c.poll_event(), None);
    assert_eq!(c.poll_action(), None);
    assert_eq!(c.bytes_read(), 0);
}

#[test]
fn close_is_last_and_once_for_every_destroy_flavour() {
    type Op = fn(&mut Socket);
    let ops: [Op; 5] = [
        |s| s.destroy(),
        |s| s.destroy_with_error(NetError::user("e")),
        |s| s.destroy_soon(),
        |s| s.reset_and_destroy().unwrap(),
        |s| s.end(),
    ];
    for op in ops {
        for twice in [false, true] {
            let mut pair = Pair::connected();
            op(pair.client());
            if twice {
                op(pair.client());
            }
            pair.drive();
            let t = pair.take_trace();
            for actor in ["client", "conn"] {
                let lines = super::of(&t, actor);
                let closes = lines.iter().filter(|l| l.starts_with("close")).count();
                assert_eq!(closes, 1, "{actor}: {lines:?}");
                assert!(lines.last().unwrap().starts_with("close"), "{actor}: {lines:?}");
            }
        }
    }
}
