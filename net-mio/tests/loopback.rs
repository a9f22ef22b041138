//! net-mio over real loopback TCP (IPv4, IPv6) and Unix sockets, in the loop's own style: each
//! test drives the loop and reacts to events as a Node program would. Expected event orders are
//! the Node 26 traces' (the same as the async backends' shared tests).

mod support;

use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

use net_core::{ErrorCode, ServerOptions, SocketEvent};
use net_mio::{Event, EventLoop, ListenOptions, ServerEvent, SocketHandle};
use support::{H, LOCALHOST, no_reaction};

/// [basic_client_writes_then_ends], [echo_roundtrip].
#[test]
fn echo_and_clean_close() {
    let mut h = H::new();
    let (_server, port) = h.listening(ServerOptions::default(), ListenOptions::tcp(LOCALHOST, 0));
    let client = h.lp.connect(port, "127.0.0.1");
    assert!(h.lp.write(client, "hello"));
    h.lp.socket(client).end();
    let conn = h.accept();
    h.until(no_reaction, |h| h.closed(client) && h.closed(conn));
    assert_eq!(
        h.log(client),
        [
            format!("connectionAttempt 127.0.0.1:{port}"),
            "connect".into(),
            "ready".into(),
            "prefinish".into(),
            "finish".into(),
            "end".into(),
            "close had_error=false".into()
        ]
    );
    assert_eq!(h.log(conn), ["end", "prefinish", "finish", "close had_error=false"]);
    assert_eq!(h.data[&conn], b"hello");
}

/// Several MiB echoed and checked, over IPv6 when the machine has it.
#[test]
fn echo_integrity_ipv6() {
    let mut h = H::new();
    let server = h.lp.create_server(ServerOptions::default());
    h.lp.listen(server, ListenOptions::tcp(IpAddr::V6(Ipv6Addr::LOCALHOST), 0)).unwrap();
    h.until(no_reaction, |h| h.servers.contains_key(&server));
    if h.servers[&server][0] != ServerEvent::Listening {
        return; // no IPv6 loopback here
    }
    let port = h.lp.address(server).unwrap().tcp().unwrap().port();
    let payload: Vec<u8> = (0..4u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let client = h.lp.connect(port, "::1");
    let mut sent = 0;
    let chunk = 256 * 1024;
    // Write while the queue is below the mark; continue on `drain`.
    while sent < payload.len() && h.lp.write(client, payload[sent..sent + chunk].to_vec()) {
        sent += chunk;
    }
    if sent < payload.len() {
        sent += chunk;
    }
    h.until(
        |lp, ev| match ev {
            Event::Socket(id, SocketEvent::Data(d)) if *id != client => {
                lp.write(*id, d.clone());
            }
            Event::Socket(id, SocketEvent::Drain) if *id == client => {
                while sent < payload.len() {
                    let ok = lp.write(client, payload[sent..sent + chunk].to_vec());
                    sent += chunk;
                    if !ok {
                        break;
                    }
                }
                if sent >= payload.len() {
                    lp.socket(client).end();
                }
            }
            _ => {}
        },
        |h| h.closed(client),
    );
    assert!(h.data.get(&client).is_some_and(|d| *d == payload), "echoed bytes differ");
}

/// [ipc_basic]: Unix socket echo; the file is removed on close; a missing path is ENOENT.
#[test]
fn unix_socket_echo_and_errors() {
    let dir = std::env::temp_dir().join(format!("net-mio-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.sock");
    let _ = std::fs::remove_file(&path);
    let mut h = H::new();
    let (server, _) = h.listening(ServerOptions::default(), ListenOptions::path(&path));
    let client = h.lp.connect_path(&path);
    h.lp.write(client, "over ipc");
    h.lp.socket(client).end();
    let conn = h.accept();
    h.until(no_reaction, |h| h.closed(client) && h.closed(conn));
    assert_eq!(h.data[&conn], b"over ipc");
    let live = h.lp.connect_path(&path);
    assert_eq!(h.lp.socket(live).reset_and_destroy().unwrap_err().code(), "ERR_INVALID_HANDLE_TYPE");
    h.lp.socket(live).destroy();
    h.lp.close_server(server).unwrap();
    h.until(no_reaction, |h| h.servers[&server].contains(&ServerEvent::Close));
    assert!(!path.exists());
    let missing = h.lp.connect_path(dir.join("missing.sock"));
    h.until(no_reaction, |h| h.closed(missing));
    assert!(h.log(missing)[2].starts_with("error ENOENT"), "{:?}", h.log(missing));
    let long = h.lp.connect_path(std::env::temp_dir().join("y".repeat(120)));
    h.until(no_reaction, |h| h.closed(long));
    assert!(h.log(long)[1].starts_with("error EINVAL"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// [halfopen_server_true_client_ends_first]: a write in the `end` handler of a half-open server
/// reaches the client, then the server ends.
#[test]
fn half_open() {
    let mut h = H::new();
    let opts = ServerOptions { allow_half_open: true, ..Default::default() };
    let (_server, port) = h.listening(opts, ListenOptions::tcp(LOCALHOST, 0));
    let client = h.lp.connect(port, "127.0.0.1");
    h.lp.socket(client).end();
    h.until(
        |lp, ev| {
            if let Event::Socket(id, SocketEvent::End) = ev {
                if *id != client {
                    assert_eq!(lp.socket(*id).ready_state(), net_core::ReadyState::WriteOnly);
                    lp.write(*id, "late");
                    lp.socket(*id).end();
                }
            }
        },
        |h| h.closed(client),
    );
    assert_eq!(h.data[&client], b"late");
    assert_eq!(h.log(client)[h.log(client).len() - 2..], ["end", "close had_error=false"]);
}

/// [backpressure_peer_not_reading]: `false` once the kernel and the queue are full; `drain` only
/// after the paused peer resumes; every byte arrives.
#[test]
fn drain_under_a_paused_reader() {
    let mut h = H::new();
    let opts = ServerOptions { pause_on_connect: true, ..Default::default() };
    let (_server, port) = h.listening(opts, ListenOptions::tcp(LOCALHOST, 0));
    let client = h.lp.connect(port, "127.0.0.1");
    let conn = h.accept();
    h.until(no_reaction, |h| h.log(client).contains(&"ready".to_string()));
    let chunk = vec![5u8; 64 * 1024];
    let mut sent = 0;
    while h.lp.write(client, chunk.clone()) {
        sent += chunk.len();
        assert!(sent < 512 << 20);
        h.lp.run_once(Some(Duration::ZERO)).unwrap();
    }
    sent += chunk.len();
    let until = Instant::now() + Duration::from_millis(100);
    h.until(no_reaction, |_| Instant::now() >= until);
    assert!(!h.log(client).contains(&"drain".to_string()), "no drain while the peer is paused");
    h.lp.socket(conn).resume();
    h.until(no_reaction, |h| h.log(client).contains(&"drain".to_string()));
    h.lp.socket(client).end();
    h.until(no_reaction, |h| h.closed(conn));
    assert_eq!(h.data[&conn].len(), sent);
}

/// [connect_refused].
#[test]
fn refused_connection() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut h = H::new();
    let client = h.lp.connect(port, "127.0.0.1");
    h.until(no_reaction, |h| h.closed(client));
    assert_eq!(
        h.log(client),
        [
            format!("connectionAttempt 127.0.0.1:{port}"),
            format!("connectionAttemptFailed 127.0.0.1:{port} ECONNREFUSED"),
            format!("error ECONNREFUSED \"connect ECONNREFUSED 127.0.0.1:{port}\""),
            "close had_error=true".into(),
        ]
    );
}

/// [listen_busy_port_eaddrinuse].
#[test]
fn busy_port() {
    let mut h = H::new();
    let (_first, port) = h.listening(ServerOptions::default(), ListenOptions::tcp(LOCALHOST, 0));
    let second = h.lp.create_server(ServerOptions::default());
    h.lp.listen(second, ListenOptions::tcp(LOCALHOST, port)).unwrap();
    h.until(no_reaction, |h| h.servers.contains_key(&second));
    let ServerEvent::Error(e) = &h.servers[&second][0] else { panic!() };
    assert_eq!(e.error_code(), ErrorCode::EADDRINUSE);
    assert_eq!(e.message(), format!("listen EADDRINUSE: address already in use 127.0.0.1:{port}"));
}

/// [maxConnections_drop], [server_close_with_live_connection].
#[test]
fn max_connections_and_server_close() {
    let mut h = H::new();
    let opts = ServerOptions { max_connections: Some(1), ..Default::default() };
    let (server, port) = h.listening(opts, ListenOptions::tcp(LOCALHOST, 0));
    let first = h.lp.connect(port, "127.0.0.1");
    let conn = h.accept();
    let second = h.lp.connect(port, "127.0.0.1");
    h.until(no_reaction, |h| h.closed(second));
    assert!(matches!(h.servers[&server][2], ServerEvent::Drop(Some(_))), "{:?}", h.servers[&server]);
    assert_eq!(
        h.log(second)[1..],
        ["connect", "ready", "end", "prefinish", "finish", "close had_error=false"]
    );
    h.lp.close_server(server).unwrap();
    h.until(no_reaction, |h| h.log(first).contains(&"ready".to_string()));
    assert!(!h.servers[&server].contains(&ServerEvent::Close), "close waits for the live connection");
    h.lp.socket(conn).destroy();
    h.until(no_reaction, |h| h.servers[&server].contains(&ServerEvent::Close));
    assert_eq!(h.lp.get_connections(server), 0);
}

/// [setTimeout_idle_does_not_close].
#[test]
fn idle_timeout() {
    let mut h = H::new();
    let (_server, port) = h.listening(ServerOptions::default(), ListenOptions::tcp(LOCALHOST, 0));
    let client = h.lp.connect(port, "127.0.0.1");
    h.lp.socket(client).set_timeout(Duration::from_millis(50));
    h.until(no_reaction, |h| h.log(client).contains(&"timeout".to_string()));
    assert_eq!(h.lp.socket(client).ready_state(), net_core::ReadyState::Open);
}

/// [resetAndDestroy_client].
#[test]
fn reset_reaches_the_peer() {
    let mut h = H::new();
    let (_server, port) = h.listening(ServerOptions::default(), ListenOptions::tcp(LOCALHOST, 0));
    let client = h.lp.connect(port, "127.0.0.1");
    let conn = h.accept();
    h.until(no_reaction, |h| h.log(client).contains(&"ready".to_string()));
    h.lp.socket(client).reset_and_destroy().unwrap();
    h.until(no_reaction, |h| h.closed(conn));
    assert_eq!(h.log(conn), ["error ECONNRESET \"read ECONNRESET\"", "close had_error=true"]);
}

/// [connect_localhost_lookup_event]: by name, the lookup runs off the loop thread.
#[test]
fn connect_by_name() {
    let mut h = H::new();
    let (_server, port) = h.listening(ServerOptions::default(), ListenOptions::tcp(LOCALHOST, 0));
    let client = h.lp.connect(port, "localhost");
    h.until(no_reaction, |h| h.log(client).contains(&"ready".to_string()));
    assert!(h.log(client)[0].starts_with("lookup address="), "{:?}", h.log(client));
}

/// `run` returns once no referenced handle is left, as Node's process exits; commands can come
/// from another thread.
#[test]
fn run_ends_when_nothing_is_referenced() {
    let mut lp = EventLoop::new().unwrap();
    let server = lp.create_server(ServerOptions::default());
    lp.listen(server, ListenOptions::tcp(LOCALHOST, 0)).unwrap();
    let port = lp.address(server).unwrap().tcp().unwrap().port();
    let handle = lp.handle();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        handle.run(move |lp| {
            let c = lp.connect(port, "127.0.0.1");
            lp.write(c, "bye");
            lp.socket(c).end();
        });
    });
    let mut got = Vec::new();
    lp.run(|lp, ev| {
        if let Event::Socket(_, SocketEvent::Data(d)) = ev {
            got.extend_from_slice(&d);
            let _ = lp.close_server(server);
        }
    })
    .unwrap();
    assert_eq!(got, b"bye");
}

/// Node's style: handlers per server and per socket, registered in the `connection` handler.
#[test]
fn per_handle_handlers() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let mut lp = EventLoop::new().unwrap();
    let server = lp.create_server(ServerOptions::default());
    lp.listen(server, ListenOptions::tcp(LOCALHOST, 0)).unwrap();
    let port = lp.address(server).unwrap().tcp().unwrap().port();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = Rc::clone(&seen);
    lp.on_server(server, move |lp, _, ev| {
        if let ServerEvent::Connection(conn) = ev {
            let log = Rc::clone(&log);
            lp.on_socket(conn, move |lp, id, ev| {
                log.borrow_mut().push(format!("conn {}", net_core::sim::describe(&ev)));
                if ev == SocketEvent::End {
                    lp.write(id, "bye");
                }
            });
        }
    });
    let client = lp.connect(port, "127.0.0.1");
    lp.write(client, "hi");
    lp.socket(client).end();
    let mut got = Vec::new();
    lp.run(|lp, ev| {
        if let Event::Socket(_, SocketEvent::Data(d)) = &ev {
            got.extend_from_slice(d);
        }
        if let Event::Socket(_, SocketEvent::Close { .. }) = ev {
            let _ = lp.close_server(server);
        }
    })
    .unwrap();
    assert_eq!(got, b"bye");
    assert_eq!(
        *seen.borrow(),
        ["conn data 2B", "conn end", "conn prefinish", "conn finish", "conn close had_error=false"]
    );
}

/// Load, bounded: 500 concurrent std clients each echo a checksummed 64 KiB through one loop;
/// nothing lost, and afterwards no connection counted and every socket entry gone.
#[test]
#[allow(clippy::collapsible_match)] // `write` takes the bytes by value: no match guard can
fn many_concurrent_clients() {
    const CLIENTS: u32 = 500;
    let mut lp = EventLoop::new().unwrap();
    let server = lp.create_server(ServerOptions::default());
    lp.listen(server, ListenOptions::tcp(LOCALHOST, 0)).unwrap();
    let port = lp.address(server).unwrap().tcp().unwrap().port();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let payload: Vec<u8> =
                    (0..65536u32).map(|j| (j.wrapping_mul(31).wrapping_add(i)) as u8).collect();
                let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
                let mut r = s.try_clone().unwrap();
                let expected = payload.clone();
                let reader = std::thread::spawn(move || {
                    let mut got = Vec::new();
                    r.read_to_end(&mut got).unwrap();
                    got == expected
                });
                s.write_all(&payload).unwrap();
                s.shutdown(std::net::Shutdown::Write).unwrap();
                reader.join().unwrap()
            })
        })
        .collect();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let finished = std::sync::Arc::clone(&done);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        while let Some(ev) = lp.next_event() {
            match ev {
                Event::Socket(id, SocketEvent::Data(d)) => {
                    if !lp.write(id, d) {
                        lp.socket(id).pause();
                    }
                }
                Event::Socket(id, SocketEvent::Drain) => lp.socket(id).resume(),
                Event::Socket(_, SocketEvent::Close { .. }) => {
                    finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                _ => {}
            }
        }
        if done.load(std::sync::atomic::Ordering::Relaxed) == CLIENTS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {CLIENTS} closed",
            done.load(std::sync::atomic::Ordering::Relaxed)
        );
        lp.run_once(Some(Duration::from_millis(20))).unwrap();
    }
    let intact = clients.into_iter().map(|c| c.join().unwrap()).filter(|ok| *ok).count();
    assert_eq!(intact, CLIENTS as usize, "every client got its bytes back intact");
    assert_eq!(lp.get_connections(server), 0);
    lp.close_server(server).unwrap();
    assert!(!lp.alive(), "no referenced handle left");
}

/// Node 26's type of service (net-core/tests/data/tos_lifecycle.txt): EBADF before the attempt's
/// connect(2), the option's value on the descriptor once connected, the ECN bits the kernel's
/// (255 reads back 252), 0 on an accepted socket, the value last asked for after close. (The
/// kernel's own answer is checked through the async backends, which set it with the same
/// `net_async::sys` call.)
#[test]
fn type_of_service_like_node() {
    let mut h = H::new();
    let (_server, port) = h.listening(ServerOptions::default(), ListenOptions::tcp(LOCALHOST, 0));
    let opts = net_core::SocketOptions { type_of_service: Some(16), ..Default::default() };
    let client = h.lp.connect_with(net_core::ConnectOptions::new("127.0.0.1", port), opts);
    assert_eq!(h.lp.socket(client).type_of_service().unwrap_err().code(), "EBADF");
    h.until(no_reaction, |h| h.log(client).iter().any(|l| l == "connect"));
    assert_eq!(h.lp.socket(client).type_of_service(), Ok(16));
    h.lp.socket(client).set_type_of_service(255).unwrap();
    assert_eq!(h.lp.socket(client).type_of_service(), Ok(252));
    h.until(no_reaction, |h| !h.accepted.is_empty());
    let conn = h.accepted[0];
    assert_eq!(h.lp.socket(conn).type_of_service(), Ok(0));
    h.lp.socket(client).destroy();
    h.until(no_reaction, |h| h.closed(client));
    assert_eq!(h.lp.socket(client).type_of_service(), Ok(255));
}

/// Node's socket getters on the loop: `connecting` and `pending` until connected, then neither;
/// `localFamily`; `timeout`; `server.maxConnections` reads back.
#[test]
fn node_getters() {
    let mut h = H::new();
    let (server, port) = h.listening(ServerOptions::default(), ListenOptions::tcp(LOCALHOST, 0));
    h.lp.set_max_connections(server, Some(3));
    assert_eq!(h.lp.max_connections(server), Some(3));
    let client = h.lp.connect(port, "127.0.0.1");
    assert!(h.lp.socket(client).connecting() && h.lp.socket(client).pending());
    h.until(no_reaction, |h| h.log(client).iter().any(|l| l == "connect"));
    assert!(!h.lp.socket(client).connecting() && !h.lp.socket(client).pending());
    assert_eq!(h.lp.socket(client).local_family(), Some(net_core::Family::Ipv4));
    assert_eq!(h.lp.socket(client).timeout(), None);
    h.lp.socket(client).set_timeout(Duration::ZERO);
    assert_eq!(h.lp.socket(client).timeout(), Some(Duration::ZERO));
}

/// Node 26's `net.BoundSocket` on the loop (net-core/tests/data/bound_socket.txt): adopted by
/// `listen_bound`, listening at once on its address, ERR_SOCKET_HANDLE_ADOPTED afterwards.
#[test]
fn bound_socket_like_node() {
    use net_mio::{BindOptions, BoundSocket};
    let mut h = H::new();
    let bound = BoundSocket::bind(&BindOptions { host: Some(LOCALHOST), ..BindOptions::default() }).unwrap();
    let at = bound.address().unwrap();
    let server = h.lp.create_server(ServerOptions::default());
    h.lp.listen_bound(server, &bound, None).unwrap();
    assert!(h.lp.listening(server));
    assert_eq!(h.lp.address(server), Some(at.clone()));
    assert_eq!(bound.address().unwrap_err().code(), "ERR_SOCKET_HANDLE_ADOPTED");
    let client = h.lp.connect(at.tcp().unwrap().port(), "127.0.0.1");
    h.until(no_reaction, |h| h.log(client).iter().any(|l| l == "connect"));
    let again = h.lp.listen_bound(server, &BoundSocket::bind(&BindOptions::default()).unwrap(), None);
    assert_eq!(again.unwrap_err().code(), "ERR_SERVER_ALREADY_LISTEN");
}

/// A connect's own lookup on the loop: answered later from another thread through the loop's
/// channel; the answer that is no IP is reported and skipped (scenarios lookup/custom-lookup-*);
/// one answered at once works too.
#[test]
fn custom_lookup_on_the_loop() {
    use net_core::{CustomLookup, LookupAddress};
    let mut h = H::new();
    let (_server, port) = h.listening(ServerOptions::default(), ListenOptions::tcp(LOCALHOST, 0));
    let mut opts = net_core::ConnectOptions::new("db.example.test", port);
    opts.lookup = Some(CustomLookup::new(|req, cb| {
        assert!(req.all && req.hints == net_core::lookup::ADDRCONFIG);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            cb.answer(Ok(vec![LookupAddress::new("nope", 4), LookupAddress::new("127.0.0.1", 4)]));
        });
    }));
    let later = h.lp.connect_with(opts, net_core::SocketOptions::default());
    let mut opts = net_core::ConnectOptions::new("now.example.test", port);
    opts.lookup = Some(CustomLookup::new(|_, cb| cb.answer_ips(["127.0.0.1".parse().unwrap()])));
    let now = h.lp.connect_with(opts, net_core::SocketOptions::default());
    h.until(no_reaction, |h| [later, now].iter().all(|&s| h.log(s).iter().any(|l| l == "connect")));
    assert_eq!(
        h.log(later)[..2],
        [
            "lookup address=nope family=4 host=db.example.test",
            "lookup address=127.0.0.1 family=4 host=db.example.test"
        ]
    );
    assert_eq!(h.log(now)[0], "lookup address=127.0.0.1 family=4 host=now.example.test");
}

/// A link-local IPv6 literal with a zone on the loop: lo's scope id reaches connect(2), which
/// refuses at once with ENETUNREACH as it did for Node 26 (net-tokio's ipv6_zones_like_node).
#[test]
fn ipv6_zone_reaches_the_kernel() {
    if std::fs::read_to_string("/sys/class/net/lo/ifindex").is_err() {
        return;
    }
    let mut h = H::new();
    let client = h.lp.connect(1, "fe80::1%lo");
    h.until(no_reaction, |h| h.closed(client));
    assert!(h.log(client).iter().any(|l| l.starts_with("error ENETUNREACH")), "{:?}", h.log(client));
}

/// Node's `socket.server` on the loop: the accepting server for an accepted socket, none for a
/// client.
#[test]
fn socket_server_on_the_loop() {
    let mut h = H::new();
    let (server, port) = h.listening(ServerOptions::default(), ListenOptions::tcp(LOCALHOST, 0));
    let client = h.lp.connect(port, "127.0.0.1");
    h.until(no_reaction, |h| !h.accepted.is_empty());
    assert_eq!(h.lp.socket_server(h.accepted[0]), Some(server));
    assert_eq!(h.lp.socket_server(client), None);
}

/// Node's `onread` on the loop: the bytes come through the user's buffer, at most its length
/// per call, never as `data`; `false` stops the handle; `resume()` reads on, then
/// `end`. The callback gets the loop (it may use any handle).
#[test]
fn onread_on_the_loop() {
    use net_core::SocketHandle;
    use std::cell::RefCell;
    use std::rc::Rc;
    let mut h = H::new();
    let (_server, port) = h.listening(ServerOptions::default(), ListenOptions::tcp(LOCALHOST, 0));
    let client = h.lp.connect(port, "127.0.0.1");
    h.until(no_reaction, |h| !h.accepted.is_empty());
    let conn = h.accepted[0];
    let got: Rc<RefCell<Vec<Vec<u8>>>> = Rc::default();
    let seen = Rc::clone(&got);
    h.lp.set_onread(conn, vec![0; 4], move |lp, id, buf| {
        assert!(lp.socket(id).bytes_read() >= buf.len() as u64);
        seen.borrow_mut().push(buf.to_vec());
        seen.borrow().len() != 2
    });
    let _ = h.lp.write(client, "abcdefghij");
    h.lp.socket(client).end();
    h.until(no_reaction, |_| got.borrow().len() >= 2);
    assert_eq!(*got.borrow(), [b"abcd".to_vec(), b"efgh".to_vec()]);
    // As Node 26: not paused, the rest as if still in the kernel.
    assert!(!h.lp.socket(conn).is_paused());
    assert_eq!((h.lp.socket(conn).readable_length(), h.lp.socket(conn).bytes_read()), (0, 8));
    assert!(!h.log(conn).iter().any(|l| l.starts_with("data")), "{:?}", h.log(conn));
    h.lp.socket(conn).resume();
    h.until(no_reaction, |h| h.closed(conn));
    assert_eq!(got.borrow().len(), 3);
    assert_eq!(got.borrow()[2], b"ij");
    assert!(h.log(conn).contains(&"end".to_owned()), "{:?}", h.log(conn));
}

/// Node's `net.connect({ port, host, handle: boundSocket })` on the loop: the bound port is the
/// socket's local port, the BoundSocket is adopted (net-tokio's connect_from_a_bound_socket).
#[test]
fn connect_from_a_bound_socket_on_the_loop() {
    use net_core::SocketHandle;
    let mut h = H::new();
    let (_server, port) = h.listening(ServerOptions::default(), ListenOptions::tcp(LOCALHOST, 0));
    let bound =
        net_mio::BoundSocket::bind(&net_mio::BindOptions { host: Some(LOCALHOST), ..Default::default() })
            .unwrap();
    let bound_port = bound.address().unwrap().tcp().unwrap().port();
    let client =
        h.lp.connect_bound(
            &bound,
            net_core::ConnectOptions::new("127.0.0.1", port),
            net_core::SocketOptions::default(),
        )
        .unwrap();
    assert_eq!(bound.address().unwrap_err().code(), "ERR_SOCKET_HANDLE_ADOPTED");
    h.until(no_reaction, |h| h.log(client).iter().any(|l| l == "connect"));
    assert_eq!(h.lp.socket(client).local_address().map(|a| a.port()), Some(bound_port));
}

/// Node's `new net.Socket({ fd })` and `server.listen({ fd })` on the loop: a listening TCP
/// descriptor and a connected one are adopted; a UDP one is refused with InvalidInput.
#[test]
fn adopt_descriptors_on_the_loop() {
    use std::os::fd::OwnedFd;
    let mut h = H::new();
    let listener = std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = h.lp.create_server(ServerOptions::default());
    h.lp.listen_fd(server, OwnedFd::from(listener)).unwrap();
    let std_client = std::net::TcpStream::connect((std::net::Ipv4Addr::LOCALHOST, port)).unwrap();
    let client = h.lp.adopt_fd(OwnedFd::from(std_client), net_core::SocketOptions::default()).unwrap();
    let _ = h.lp.write(client, "adopted");
    h.until(no_reaction, |h| h.accepted.first().and_then(|a| h.data.get(a)).is_some_and(|d| d == b"adopted"));
    let udp = std::net::UdpSocket::bind((std::net::Ipv4Addr::LOCALHOST, 0)).unwrap();
    let refused = h.lp.adopt_fd(OwnedFd::from(udp), net_core::SocketOptions::default());
    assert_eq!(refused.err().map(|e| e.kind()), Some(std::io::ErrorKind::InvalidInput));
}
