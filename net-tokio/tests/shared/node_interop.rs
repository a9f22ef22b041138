// Interop with real Node 26 processes (shared by every backend, included by each backend's
// tests/node_interop.rs): a Node client against our server and our client
// against a Node server (echo integrity over several MiB, half-open both ways, a slow reader,
// RST, maxConnections). Node comes from `scripts/install-node.sh` (`NODE26`, or
// `.tools/node26/bin/node` under the workspace).

use net_core::{ServerOptions, SocketEvent};
use backend::{ListenOptions, Server, ServerEvent, Socket, connect};
use std::sync::mpsc;

use node_peer::{Peer, fnv, pattern};

const LIMIT: Duration = Duration::from_secs(20);

impl Peer {
    async fn line(&mut self) -> String {
        let deadline = std::time::Instant::now() + LIMIT;
        loop {
            match self.lines.try_recv() {
                Ok(line) => return line,
                Err(mpsc::TryRecvError::Disconnected) => panic!("node exited without the line"),
                Err(mpsc::TryRecvError::Empty) => {
                    assert!(std::time::Instant::now() < deadline, "node answered in time");
                    sleep(Duration::from_millis(5)).await;
                }
            }
        }
    }

    async fn port(&mut self) -> u16 {
        let line = self.line().await;
        line.strip_prefix("port ").expect("port line").parse().unwrap()
    }

    async fn finish(mut self) {
        let deadline = std::time::Instant::now() + LIMIT;
        while self.child.try_wait().expect("node status").is_none() {
            assert!(std::time::Instant::now() < deadline, "node exits");
            sleep(Duration::from_millis(5)).await;
        }
    }
}

async fn listening(opts: ServerOptions) -> (Server, u16) {
    let server = Server::new(opts);
    server.listen(ListenOptions::tcp([127, 0, 0, 1].into(), 0)).unwrap();
    assert!(matches!(timeout(LIMIT, server.next_event()).await.unwrap(), ServerEvent::Listening));
    let port = server.address().unwrap().tcp().unwrap().port();
    (server, port)
}

/// Echo every byte back; end after the peer ends (auto-end without half-open).
async fn echo(conn: Socket) {
    while let Some(ev) = conn.next_event().await {
        if let SocketEvent::Data(d) = ev {
            if !conn.write(d) {
                conn.drained().await;
            }
        }
    }
}

async fn receive_all(sock: &Socket) -> (Vec<u8>, Vec<String>) {
    let mut data = Vec::new();
    let mut others = Vec::new();
    timeout(LIMIT, async {
        while let Some(ev) = sock.next_event().await {
            match ev {
                SocketEvent::Data(d) => data.extend_from_slice(&d),
                other => others.push(net_core::sim::describe(&other)),
            }
        }
    })
    .await
    .expect("closed in time");
    (data, others)
}

const MIB4: usize = 4 << 20;

#[test]
fn node_client_echo_through_our_server() {
    run(async {
        let (server, port) = listening(ServerOptions::default()).await;
        let mut peer = Peer::spawn(&["client-echo", &port.to_string(), &MIB4.to_string()]);
        let conn = timeout(LIMIT, server.accept()).await.unwrap().unwrap();
        echo(conn).await;
        assert_eq!(peer.line().await, format!("received {MIB4} {}", fnv(&pattern(MIB4))));
        assert_eq!(peer.line().await, "close false");
        peer.finish().await;
    })
}

#[test]
fn our_client_echo_through_node_server() {
    run(async {
        let mut peer = Peer::spawn(&["echo-server"]);
        let port = peer.port().await;
        let client = connect(port, "127.0.0.1");
        let data = pattern(MIB4);
        for chunk in data.chunks(256 * 1024) {
            if !client.write(chunk.to_vec()) {
                client.drained().await;
            }
        }
        client.end();
        let (got, events) = receive_all(&client).await;
        assert_eq!((got.len(), fnv(&got)), (MIB4, fnv(&data)));
        assert_eq!(events[events.len() - 2..], ["end", "close had_error=false"]);
        assert_eq!(peer.line().await, "conn-close false");
        peer.finish().await;
    })
}

/// Our client ends first; the half-open Node server still writes, then ends.
#[test]
fn half_open_node_server() {
    run(async {
        let mut peer = Peer::spawn(&["echo-server", "half-open"]);
        let port = peer.port().await;
        let client = connect(port, "127.0.0.1");
        client.end();
        let (got, events) = receive_all(&client).await;
        assert_eq!(got, b"late");
        assert!(events.iter().any(|e| e == "finish"), "{events:?}");
        assert_eq!(events[events.len() - 2..], ["end", "close had_error=false"]);
        peer.finish().await;
    })
}

/// The half-open Node client ends first; our half-open server writes after that, then ends.
#[test]
fn half_open_our_server() {
    run(async {
        let (server, port) = listening(ServerOptions { allow_half_open: true, ..Default::default() }).await;
        let mut peer = Peer::spawn(&["client-half-open", &port.to_string()]);
        let conn = timeout(LIMIT, server.accept()).await.unwrap().unwrap();
        assert_eq!(timeout(LIMIT, conn.next_event()).await.unwrap(), Some(SocketEvent::End));
        assert!(conn.write("after your end"));
        conn.end();
        assert_eq!(peer.line().await, "end \"after your end\"");
        assert_eq!(peer.line().await, "close false");
        peer.finish().await;
    })
}

/// A Node client that reads nothing for 300 ms: our writes turn `false`, `drained` waits,
/// every byte arrives.
#[test]
fn slow_node_reader() {
    run(async {
        let (server, port) = listening(ServerOptions::default()).await;
        let mut peer = Peer::spawn(&["client-slow", &port.to_string()]);
        let conn = timeout(LIMIT, server.accept()).await.unwrap().unwrap();
        let data = pattern(16 << 20);
        let mut saw_false = false;
        for chunk in data.chunks(1 << 20) {
            if !conn.write(chunk.to_vec()) {
                saw_false = true;
                timeout(LIMIT, conn.drained()).await.unwrap();
            }
        }
        conn.end();
        assert!(saw_false, "16 MiB to a paused reader must hit the high-water mark");
        assert_eq!(peer.line().await, format!("received {} {}", data.len(), fnv(&data)));
        peer.finish().await;
    })
}

/// RST both ways: Node's `resetAndDestroy` reaches us as ECONNRESET, ours reaches Node.
#[test]
fn reset_both_ways() {
    run(async {
        let (server, port) = listening(ServerOptions::default()).await;
        let peer = Peer::spawn(&["client-reset", &port.to_string()]);
        let conn = timeout(LIMIT, server.accept()).await.unwrap().unwrap();
        let (_, events) = receive_all(&conn).await;
        assert_eq!(events, ["error ECONNRESET \"read ECONNRESET\"", "close had_error=true"]);
        peer.finish().await;

        let mut peer = Peer::spawn(&["echo-server"]);
        let port = peer.port().await;
        let client = connect(port, "127.0.0.1");
        client.write("x");
        timeout(LIMIT, async { while !matches!(client.next_event().await, Some(SocketEvent::Data(_))) {} })
            .await
            .unwrap();
        client.reset_and_destroy().unwrap();
        assert_eq!(peer.line().await, "conn-error ECONNRESET");
        assert_eq!(peer.line().await, "conn-close true");
        peer.finish().await;
    })
}

/// maxConnections: the second Node client is dropped: `connect`, then the server's FIN.
#[test]
fn max_connections_against_node_clients() {
    run(async {
        let (server, port) = listening(ServerOptions { max_connections: Some(1), ..Default::default() }).await;
        let first = Peer::spawn(&["client-events", &port.to_string()]);
        let conn = timeout(LIMIT, server.accept()).await.unwrap().unwrap();
        let mut second = Peer::spawn(&["client-events", &port.to_string()]);
        let ServerEvent::Drop(Some(_)) = timeout(LIMIT, server.next_event()).await.unwrap() else {
            panic!("drop")
        };
        let mut lines = Vec::new();
        for _ in 0..5 {
            lines.push(second.line().await);
        }
        assert_eq!(lines, ["connect", "ready", "end", "finish", "close false"]);
        conn.destroy();
        second.finish().await;
        first.finish().await;
    })
}
