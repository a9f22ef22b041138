//! pause / resume / pauseOnConnect, and `end` while paused.

use std::time::Instant;

use bytes::Bytes;

use super::split;
use crate::sim::{Pair, Side};
use crate::{ConnectionInfo, IoInput, ServerOptions, Socket, SocketEvent, SocketOptions};

/// [pause_resume]: after `pause()` the handle keeps reading (bytes grow `readableLength` and
/// `bytesRead`); `resume()` hands them out.
#[test]
fn paused_socket_keeps_reading_into_its_buffer() {
    let mut pair = Pair::connected();
    pair.conn().pause();
    assert!(pair.conn().is_paused());
    pair.write(Side::Client, b"abc");
    pair.write(Side::Client, b"def");
    pair.drive();
    assert!(split(&mut pair).1.is_empty());
    assert_eq!((pair.conn().readable_length(), pair.conn().bytes_read()), (6, 6));
    pair.conn().resume();
    pair.drive();
    // The wire (like a kernel) hands both writes over as one read.
    assert_eq!(split(&mut pair).1, ["data 6B"]);
    assert_eq!(pair.conn.received, b"abcdef");
    assert_eq!(pair.conn().readable_length(), 0);
}

/// Paused reading stops at the readable high-water mark, so a paused peer pushes back.
#[test]
fn paused_reading_stops_at_the_mark() {
    let now = Instant::now();
    let opts = SocketOptions::default().high_water_mark(10);
    let info = ConnectionInfo::tcp("127.0.0.1:1".parse().unwrap(), "127.0.0.1:2".parse().unwrap());
    let mut sock = Socket::accepted(opts, info, false, now);
    sock.pause();
    assert!(sock.wants_read());
    sock.handle_io(now, IoInput::Read(Bytes::from_static(b"0123456789")));
    assert!(!sock.wants_read());
    sock.resume();
    // The bytes are now a `data` event the user has not taken: still over the mark.
    assert!(!sock.wants_read());
    assert!(matches!(sock.poll_event(), Some(SocketEvent::Data(_))));
    assert!(sock.wants_read());
}

/// A slow event consumer pushes back: flowing `data` not yet taken counts against the mark.
#[test]
fn untaken_data_events_stop_reading() {
    let now = Instant::now();
    let opts = SocketOptions::default().high_water_mark(8);
    let info = ConnectionInfo::tcp("127.0.0.1:1".parse().unwrap(), "127.0.0.1:2".parse().unwrap());
    let mut sock = Socket::accepted(opts, info, false, now);
    sock.handle_io(now, IoInput::Read(Bytes::from_static(b"12345")));
    assert!(sock.wants_read());
    sock.handle_io(now, IoInput::Read(Bytes::from_static(b"678")));
    assert!(!sock.wants_read());
    assert!(matches!(sock.poll_event(), Some(SocketEvent::Data(_))));
    assert!(sock.wants_read());
}

/// [pauseOnConnect]: the accepted socket is paused and its handle does not read at all
/// (`readableLength` 0, `bytesRead` 0) until `resume()`.
#[test]
fn pause_on_connect_does_not_read() {
    let server = ServerOptions { pause_on_connect: true, ..Default::default() };
    let mut pair = Pair::connected_with(SocketOptions::default(), server);
    assert!(pair.conn().is_paused() && !pair.conn().wants_read());
    pair.write(Side::Client, b"hello");
    pair.drive();
    assert_eq!((pair.conn().readable_length(), pair.conn().bytes_read()), (0, 0));
    pair.conn().resume();
    pair.drive();
    assert_eq!(split(&mut pair).1, ["data 5B"]);
}

/// [end_not_emitted_while_paused]: a paused socket never emits `end` (so never auto-ends); after
/// `resume()` the data, then `end`.
#[test]
fn end_waits_while_paused() {
    let mut pair = Pair::connected();
    pair.conn().pause();
    pair.write(Side::Client, b"tail");
    pair.client().end();
    pair.drive();
    let (client, conn) = split(&mut pair);
    assert_eq!(client, ["prefinish", "finish"]);
    assert!(conn.is_empty());
    pair.conn().resume();
    pair.drive();
    let (client, conn) = split(&mut pair);
    assert_eq!(conn, ["data 4B", "end", "prefinish", "finish", "close had_error=false"]);
    assert_eq!(client, ["end", "close had_error=false"]);
}

/// `pause()`/`resume()` before connect: the last call wins.
#[test]
fn pause_before_connect_last_call_wins() {
    let mut pair = Pair::new(SocketOptions::default(), ServerOptions::default());
    pair.client().pause();
    pair.client().resume();
    pair.client().pause();
    let to = pair.server_addr.into();
    pair.client().connect(to).unwrap();
    pair.drive();
    pair.write(Side::Conn, b"x");
    pair.drive();
    assert!(!split(&mut pair).0.contains(&"data 1B".to_string()));
    assert_eq!(pair.client().readable_length(), 1);
    pair.client().resume();
    pair.drive();
    assert_eq!(split(&mut pair).0, ["data 1B"]);
}

/// An empty read is not data.
#[test]
fn empty_read_is_ignored() {
    let now = Instant::now();
    let info = ConnectionInfo::tcp("127.0.0.1:1".parse().unwrap(), "127.0.0.1:2".parse().unwrap());
    let mut sock = Socket::accepted(SocketOptions::default(), info, false, now);
    sock.handle_io(now, IoInput::Read(Bytes::new()));
    assert_eq!(sock.poll_event(), None::<SocketEvent>);
}
