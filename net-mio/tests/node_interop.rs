//! net-mio against real Node 26 processes (scripts/node/peer.js): echo integrity both ways,
//! half-open both ways, a slow Node reader, RST both ways, maxConnections. The loop keeps turning
//! while the test waits for Node's lines.

#[path = "../../net-tokio/tests/shared/node_peer.rs"]
mod node_peer;
mod support;

use std::time::{Duration, Instant};

use net_core::{ServerOptions, SocketEvent};
use net_mio::{Event, EventLoop, ListenOptions, ServerEvent, SocketHandle};
use node_peer::{Peer, fnv, pattern};
use support::{H, LIMIT, LOCALHOST, no_reaction};

impl Peer {
    /// The next line, turning the loop (with `react`) while waiting.
    fn line(&mut self, h: &mut H, mut react: impl FnMut(&mut EventLoop, &Event)) -> String {
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Ok(line) = self.lines.try_recv() {
                return line;
            }
            assert!(Instant::now() < deadline, "node answered in time");
            let until = Instant::now() + Duration::from_millis(5);
            h.until(&mut react, |_| Instant::now() >= until);
        }
    }
}

fn echo(lp: &mut EventLoop, ev: &Event) {
    if let Event::Socket(id, SocketEvent::Data(d)) = ev {
        lp.write(*id, d.clone());
    }
}

const MIB4: usize = 4 << 20;

#[test]
fn node_client_echo_through_our_server() {
    let mut h = H::new();
    let (_server, port) = h.listening(ServerOptions::default(), ListenOptions::tcp(LOCALHOST, 0));
    let mut peer = Peer::spawn(&["client-echo", &port.to_string(), &MIB4.to_string()]);
    assert_eq!(peer.line(&mut h, echo), format!("received {MIB4} {}", fnv(&pattern(MIB4))));
    assert_eq!(peer.line(&mut h, echo), "close false");
}

#[test]
fn our_client_echo_through_node_server() {
    let mut h = H::new();
    let mut peer = Peer::spawn(&["echo-server"]);
    let port: u16 = peer.line(&mut h, no_reaction).strip_prefix("port ").unwrap().parse().unwrap();
    let client = h.lp.connect(port, "127.0.0.1");
    let data = pattern(MIB4);
    h.lp.write(client, data.clone());
    h.lp.socket(client).end();
    h.until(no_reaction, |h| h.closed(client));
    assert_eq!((h.data[&client].len(), fnv(&h.data[&client])), (MIB4, fnv(&data)));
    assert_eq!(peer.line(&mut h, no_reaction), "conn-close false");
}

#[test]
fn half_open_both_ways() {
    let mut h = H::new();
    let mut peer = Peer::spawn(&["echo-server", "half-open"]);
    let port: u16 = peer.line(&mut h, no_reaction).strip_prefix("port ").unwrap().parse().unwrap();
    let client = h.lp.connect(port, "127.0.0.1");
    h.lp.socket(client).end();
    h.until(no_reaction, |h| h.closed(client));
    assert_eq!(h.data[&client], b"late");

    let (_server, port) = h.listening(
        ServerOptions { allow_half_open: true, ..Default::default() },
        ListenOptions::tcp(LOCALHOST, 0),
    );
    let mut peer = Peer::spawn(&["client-half-open", &port.to_string()]);
    let reply = |lp: &mut EventLoop, ev: &Event| {
        if let Event::Socket(id, SocketEvent::End) = ev {
            lp.write(*id, "after your end");
            lp.socket(*id).end();
        }
    };
    assert_eq!(peer.line(&mut h, reply), "end \"after your end\"");
    assert_eq!(peer.line(&mut h, reply), "close false");
}

#[test]
fn slow_node_reader() {
    let mut h = H::new();
    let (_server, port) = h.listening(ServerOptions::default(), ListenOptions::tcp(LOCALHOST, 0));
    let mut peer = Peer::spawn(&["client-slow", &port.to_string()]);
    let conn = h.accept();
    let data = pattern(16 << 20);
    assert!(!h.lp.write(conn, data.clone()), "16 MiB to a paused reader is over the mark");
    h.lp.socket(conn).end();
    assert_eq!(peer.line(&mut h, no_reaction), format!("received {} {}", data.len(), fnv(&data)));
    // Node emits no `drain` once `end()` was called (checked with Node 26: `write` false, then
    // `end()`, no `drain` before `close`).
    assert!(!h.log(conn).contains(&"drain".to_string()));
}

#[test]
fn reset_both_ways() {
    let mut h = H::new();
    let (_server, port) = h.listening(ServerOptions::default(), ListenOptions::tcp(LOCALHOST, 0));
    let _peer = Peer::spawn(&["client-reset", &port.to_string()]);
    let conn = h.accept();
    h.until(no_reaction, |h| h.closed(conn));
    assert_eq!(h.log(conn), ["error ECONNRESET \"read ECONNRESET\"", "close had_error=true"]);

    let mut peer = Peer::spawn(&["echo-server"]);
    let port: u16 = peer.line(&mut h, no_reaction).strip_prefix("port ").unwrap().parse().unwrap();
    let client = h.lp.connect(port, "127.0.0.1");
    h.lp.write(client, "x");
    h.until(no_reaction, |h| h.data.contains_key(&client));
    h.lp.socket(client).reset_and_destroy().unwrap();
    assert_eq!(peer.line(&mut h, no_reaction), "conn-error ECONNRESET");
    assert_eq!(peer.line(&mut h, no_reaction), "conn-close true");
}

#[test]
fn max_connections_against_node_clients() {
    let mut h = H::new();
    let (server, port) = h.listening(
        ServerOptions { max_connections: Some(1), ..Default::default() },
        ListenOptions::tcp(LOCALHOST, 0),
    );
    let _first = Peer::spawn(&["client-events", &port.to_string()]);
    let conn = h.accept();
    let mut second = Peer::spawn(&["client-events", &port.to_string()]);
    let lines: Vec<String> = (0..5).map(|_| second.line(&mut h, no_reaction)).collect();
    assert_eq!(lines, ["connect", "ready", "end", "finish", "close false"]);
    assert!(h.servers[&server].iter().any(|e| matches!(e, ServerEvent::Drop(Some(_)))));
    h.lp.socket(conn).destroy();
}
