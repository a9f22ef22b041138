//! Server: listen lifecycle, admission, accounting, close.

use std::net::SocketAddr;
use std::time::Instant;

use super::split;
use crate::sim::{Pair, Side};
use crate::{
    Admission, BlockList, ConnectionInfo, Endpoint, ErrorCode, NetError, Server, ServerAction, ServerEvent,
    ServerOptions, SocketOptions,
};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn events(server: &mut Server) -> Vec<ServerEvent> {
    std::iter::from_fn(|| server.poll_event()).collect()
}

fn listening(opts: ServerOptions) -> Server {
    let mut server = Server::new(opts);
    server.listen(addr("127.0.0.1:4000").into()).unwrap();
    let _ = server.poll_action();
    assert!(server.handle_listen(Ok(addr("127.0.0.1:4000").into())));
    assert_eq!(events(&mut server), [ServerEvent::Listening]);
    server
}

fn peer(port: u16) -> ConnectionInfo {
    ConnectionInfo::tcp(addr("127.0.0.1:4000"), SocketAddr::from(([127, 0, 0, 1], port)))
}

/// [listen_twice_throws], [server_listen_again_after_close], [listen_port0_address_ipv4].
#[test]
fn listen_lifecycle() {
    let mut server = Server::new(ServerOptions::default());
    assert_eq!(server.address(), None);
    server.listen(addr("127.0.0.1:0").into()).unwrap();
    assert_eq!(server.listen(addr("127.0.0.1:0").into()).unwrap_err().code(), "ERR_SERVER_ALREADY_LISTEN");
    assert_eq!(server.poll_action(), Some(ServerAction::Listen(addr("127.0.0.1:0").into())));
    assert_eq!(server.poll_action(), None);
    assert!(server.handle_listen(Ok(addr("127.0.0.1:41234").into())));
    assert_eq!(server.address(), Some(&Endpoint::Tcp(addr("127.0.0.1:41234"))));
    assert_eq!(
        server.listen(addr("127.0.0.1:0").into()).unwrap_err().message(),
        "Listen method has been called more than once without closing."
    );
    server.close().unwrap();
    assert_eq!(server.poll_action(), Some(ServerAction::CloseListener));
    assert_eq!(server.address(), None);
    assert!(!server.listening());
    // Closed before `listening` was handed out: Node's emitListeningNT finds no handle and says
    // nothing (conformance scenario server/close-after-listen).
    assert_eq!(events(&mut server), [ServerEvent::Close]);
    server.listen(addr("127.0.0.1:0").into()).unwrap();
    assert!(server.handle_listen(Ok(addr("127.0.0.1:41235").into())));
    assert_eq!(events(&mut server), [ServerEvent::Listening]);
}

/// [listen_busy_port_eaddrinuse]: an error event, no `listening`, `address()` None; listening
/// again afterwards works; `close()` then is ERR_SERVER_NOT_RUNNING and still emits `close`.
#[test]
fn listen_error_then_again() {
    let mut server = Server::new(ServerOptions::default());
    server.listen(addr("127.0.0.1:4000").into()).unwrap();
    let err = NetError::listen(ErrorCode::EADDRINUSE, addr("127.0.0.1:4000"));
    assert!(!server.handle_listen(Err(err.clone())));
    assert_eq!(events(&mut server), [ServerEvent::Error(err)]);
    assert_eq!(server.address(), None);
    assert_eq!(server.close().unwrap_err().code(), "ERR_SERVER_NOT_RUNNING");
    assert_eq!(events(&mut server), [ServerEvent::Close]);
    server.listen(addr("127.0.0.1:4001").into()).unwrap();
    assert!(server.handle_listen(Ok(addr("127.0.0.1:4001").into())));
    assert!(server.listening());
}

/// `close()` right after `listen()` cancels it: no `listening`, no `error`; the driver is told
/// to drop what it bound.
#[test]
fn close_right_after_listen_cancels() {
    let mut server = Server::new(ServerOptions::default());
    server.listen(addr("127.0.0.1:0").into()).unwrap();
    server.close().unwrap();
    assert!(!server.handle_listen(Ok(addr("127.0.0.1:5555").into())));
    assert!(!server.handle_listen(Err(NetError::listen(ErrorCode::EADDRINUSE, addr("127.0.0.1:5555")))));
    assert_eq!(events(&mut server), [ServerEvent::Close]);
    assert!(!server.listening());
}

/// [server_close_not_running], [server_close_twice]: `close` even when not running; two
/// `close()` while listening give two `close` events, the second call the error.
#[test]
fn close_not_running_and_twice() {
    let mut server = Server::new(ServerOptions::default());
    assert_eq!(server.close().unwrap_err().message(), "Server is not running.");
    assert_eq!(events(&mut server), [ServerEvent::Close]);
    let mut server = listening(ServerOptions::default());
    assert!(server.close().is_ok());
    assert_eq!(server.close().unwrap_err().code(), "ERR_SERVER_NOT_RUNNING");
    assert_eq!(events(&mut server), [ServerEvent::Close, ServerEvent::Close]);
}

/// [server_close_with_live_connection], [getConnections_counts]: `close()` stops accepting at
/// once, existing connections keep working, `close` comes when the last one is gone.
#[test]
fn close_waits_for_live_connections() {
    let mut pair = Pair::connected();
    assert_eq!(pair.server.get_connections(), 1);
    pair.server.close().unwrap();
    assert_eq!(pair.server.address(), None);
    assert!(pair.server_events().iter().all(|e| e != "close"));
    assert!(pair.write(Side::Client, b"still works"));
    pair.drive();
    assert_eq!(split(&mut pair).1, ["data 11B"]);
    assert!(matches!(pair.server.accept(Instant::now(), peer(1)), Admission::NotListening));
    pair.conn().destroy();
    pair.drive();
    assert_eq!(pair.server.get_connections(), 0);
    assert_eq!(pair.server_events(), ["close"]);
    // A repeated report of the same connection changes nothing.
    pair.server.connection_closed(crate::ConnectionId(1));
    assert!(pair.server_events().is_empty());
}

/// [maxConnections_drop], [drop_payload_shapes]: N admitted, then `drop` with the addresses and the
/// count unchanged; a freed slot is reused.
#[test]
fn max_connections_drops_and_frees() {
    let now = Instant::now();
    let mut server = listening(ServerOptions { max_connections: Some(2), ..Default::default() });
    let Admission::Accepted(a) = server.accept(now, peer(1)) else { panic!() };
    let Admission::Accepted(_b) = server.accept(now, peer(2)) else { panic!() };
    assert!(matches!(server.accept(now, peer(3)), Admission::Dropped));
    assert_eq!(server.get_connections(), 2);
    let evs = events(&mut server);
    let ServerEvent::Drop(Some(d)) = evs[2] else { panic!("{evs:?}") };
    assert_eq!((d.local, d.remote), (addr("127.0.0.1:4000"), addr("127.0.0.1:3")));
    assert_eq!((d.local_family().as_str(), d.remote_family().as_str()), ("IPv4", "IPv4"));
    server.connection_closed(a.connection_id().unwrap());
    assert!(matches!(server.accept(now, peer(4)), Admission::Accepted(_)));
}

/// [maxConnections_zero_drops_every_connection], [maxConnections_zero_and_ipc_drop]: Node 26's
/// `0` drops every connection; IPC `drop` has no payload.
#[test]
fn max_connections_zero_drops_all() {
    let now = Instant::now();
    let mut server = listening(ServerOptions { max_connections: Some(0), ..Default::default() });
    assert!(matches!(server.accept(now, peer(1)), Admission::Dropped));
    let mut ipc = Server::new(ServerOptions { max_connections: Some(0), ..Default::default() });
    ipc.listen(Endpoint::Ipc("/tmp/s.sock".into())).unwrap();
    assert!(ipc.handle_listen(Ok(Endpoint::Ipc("/tmp/s.sock".into()))));
    assert!(matches!(ipc.accept(now, ConnectionInfo::ipc()), Admission::Dropped));
    assert_eq!(events(&mut ipc), [ServerEvent::Listening, ServerEvent::Drop(None)]);
}

/// [maxConnections_drop_client_wrote]: the dropped client sees a normal connect, then FIN.
#[test]
fn dropped_client_sees_connect_then_end() {
    let mut pair =
        Pair::new(SocketOptions::default(), ServerOptions { max_connections: Some(0), ..Default::default() });
    let to = pair.server_addr.into();
    pair.client().connect(to).unwrap();
    pair.write(Side::Client, b"hi");
    pair.drive();
    let (client, _) = split(&mut pair);
    assert_eq!(
        client,
        [
            "connectionAttempt 127.0.0.1:4000",
            "connect",
            "ready",
            "end",
            "prefinish",
            "finish",
            "close had_error=false"
        ]
    );
    assert_eq!(pair.server_events(), ["drop 127.0.0.1:4000 127.0.0.1:50000"]);
}

/// [server_blockList_option]: a blocked peer is closed silently (no `connection`, `drop` or
/// `error`), not counted; rules added later apply; `maxConnections` is checked first.
#[test]
fn block_list() {
    let now = Instant::now();
    let mut list = BlockList::new();
    list.add_address_ip("127.0.0.1".parse().unwrap());
    let mut server = listening(ServerOptions { block_list: Some(list), ..Default::default() });
    assert!(matches!(server.accept(now, peer(1)), Admission::Blocked));
    assert_eq!(server.get_connections(), 0);
    assert!(events(&mut server).is_empty());
    // A `::` server sees an IPv4 client as ::ffff:127.0.0.1; the IPv4 rule matches it.
    let mapped = ConnectionInfo::tcp(addr("[::]:4000"), addr("[::ffff:127.0.0.1]:5"));
    assert!(matches!(server.accept(now, mapped), Admission::Blocked));
    let other = ConnectionInfo::tcp(addr("127.0.0.1:4000"), addr("127.0.0.2:5"));
    assert!(matches!(server.accept(now, other), Admission::Accepted(_)));
    server.block_list_mut().as_mut().unwrap().add_address_ip("127.0.0.2".parse().unwrap());
    let other = ConnectionInfo::tcp(addr("127.0.0.1:4000"), addr("127.0.0.2:6"));
    assert!(matches!(server.accept(now, other), Admission::Blocked));
    server.set_max_connections(Some(1));
    assert!(matches!(server.accept(now, peer(9)), Admission::Dropped));
}

/// [halfopen_default_false_values], [highwatermark_server_and_client_options]: accepted sockets
/// take the server's options.
#[test]
fn accepted_sockets_take_server_options() {
    let now = Instant::now();
    let opts = ServerOptions {
        allow_half_open: true,
        pause_on_connect: true,
        no_delay: true,
        keep_alive: Some(crate::KeepAlive::on(std::time::Duration::from_millis(4000))),
        high_water_mark: 1024,
        ..Default::default()
    };
    let mut server = listening(opts);
    let Admission::Accepted(mut sock) = server.accept(now, peer(1)) else { panic!() };
    assert!(sock.allow_half_open() && sock.is_paused());
    assert_eq!((sock.writable_high_water_mark(), sock.readable_high_water_mark()), (1024, 1024));
    assert_eq!(sock.poll_action(), Some(crate::SocketAction::SetNoDelay(true)));
    let Some(crate::SocketAction::SetKeepAlive(ka)) = sock.poll_action() else { panic!() };
    let t = ka.timing.unwrap();
    assert_eq!((ka.enable, t.idle_secs, t.interval_secs, t.count), (true, 4, 1, 10));
    assert_eq!(events(&mut server), [ServerEvent::Connection(sock.connection_id().unwrap())]);
}

/// [ipc_path_too_long]: 108 bytes are fine; 109 and more: `listen()` returns, then `error EINVAL`
/// "listen EINVAL: invalid argument <path>", and nothing is bound.
#[test]
fn ipc_path_too_long_for_listen() {
    let fits = format!("/tmp/{}", "a".repeat(103));
    assert_eq!(fits.len(), 108);
    let mut server = Server::new(ServerOptions::default());
    server.listen(Endpoint::Ipc(fits.clone().into())).unwrap();
    assert_eq!(server.poll_action(), Some(ServerAction::Listen(Endpoint::Ipc(fits.into()))));

    let long = format!("/tmp/{}", "a".repeat(104));
    let mut server = Server::new(ServerOptions::default());
    server.listen(Endpoint::Ipc(long.clone().into())).unwrap();
    assert_eq!(server.poll_action(), None);
    let [ServerEvent::Error(e)] = &events(&mut server)[..] else { panic!() };
    assert_eq!((e.code(), e.errno(), e.syscall_name()), ("EINVAL", Some(-22), Some("listen")));
    assert_eq!(e.message(), format!("listen EINVAL: invalid argument {long}"));
    assert!(!server.listening());
}

/// A failed accept (out of descriptors) is Node's server `error`; the server keeps listening.
#[test]
fn accept_failure_is_an_error_event_and_the_server_keeps_listening() {
    let mut server = Server::new(ServerOptions::default());
    server.listen(addr("127.0.0.1:0").into()).unwrap();
    let _ = server.poll_action();
    assert!(server.handle_listen(Ok(addr("127.0.0.1:41234").into())));
    let _ = events(&mut server);
    server.accept_failed(NetError::syscall(ErrorCode::EMFILE, "accept"));
    let evs = events(&mut server);
    assert!(
        matches!(&evs[..], [ServerEvent::Error(e)] if e.code() == "EMFILE" && e.message() == "accept EMFILE")
    );
    assert!(server.listening());
    server.close().unwrap();
    let _ = events(&mut server);
    server.accept_failed(NetError::syscall(ErrorCode::EMFILE, "accept"));
    assert!(events(&mut server).is_empty(), "a closed server reports nothing");
}

/// [listen_host_lookup] (tests/data/listen_lookup.txt): `listen(port, host)` looks the host up
/// first, an IP literal too; until the answer the server is not listening.
#[test]
fn listen_host_looks_up_first() {
    let mut server = Server::new(ServerOptions::default());
    server.listen_host("localhost", 0).unwrap();
    assert_eq!(server.poll_action(), Some(ServerAction::Lookup { id: 1, host: "localhost".into() }));
    assert!(!server.listening());
    assert_eq!(server.address(), None);
    // The first address that is not IPv6 link-local is bound.
    server.handle_lookup(1, Ok(vec!["fe80::1".parse().unwrap(), "127.0.0.1".parse().unwrap()]));
    assert_eq!(server.poll_action(), Some(ServerAction::Listen(addr("127.0.0.1:0").into())));
    assert!(server.handle_listen(Ok(addr("127.0.0.1:4100").into())));
    assert_eq!(events(&mut server), [ServerEvent::Listening]);
    // Listening: a second listen is refused.
    assert_eq!(server.listen_host("localhost", 0).unwrap_err().code(), "ERR_SERVER_ALREADY_LISTEN");
}

/// [server_close_before_calling_lookup_callback]: `close()` before the lookup answers finds no
/// server running (`ERR_SERVER_NOT_RUNNING`, then `close`), and the late answer is dropped; a
/// second `listen()` meanwhile replaces the first; a failed lookup is the server's `error`.
#[test]
fn listen_host_close_relisten_and_failure() {
    let mut server = Server::new(ServerOptions::default());
    server.listen_host("127.0.0.1", 0).unwrap();
    assert_eq!(server.close().unwrap_err().code(), "ERR_SERVER_NOT_RUNNING");
    assert_eq!(events(&mut server), [ServerEvent::Close]);
    assert_eq!(server.poll_action(), Some(ServerAction::Lookup { id: 1, host: "127.0.0.1".into() }));
    server.handle_lookup(1, Ok(vec!["127.0.0.1".parse().unwrap()]));
    assert_eq!(server.poll_action(), None, "the late answer binds nothing");
    assert!(events(&mut server).is_empty());

    server.listen_host("localhost", 0).unwrap();
    server.listen_host("127.0.0.1", 0).unwrap();
    server.handle_lookup(2, Ok(vec!["::1".parse().unwrap()]));
    server.handle_lookup(3, Ok(vec!["127.0.0.1".parse().unwrap()]));
    let actions: Vec<_> = std::iter::from_fn(|| server.poll_action()).collect();
    assert_eq!(actions.last(), Some(&ServerAction::Listen(addr("127.0.0.1:0").into())), "{actions:?}");
    assert!(server.handle_listen(Ok(addr("127.0.0.1:4101").into())));
    assert!(server.listening());
    server.close().unwrap();
    events(&mut server);

    server.listen_host("no-such-host.invalid", 0).unwrap();
    let err = NetError::lookup(ErrorCode::ENOTFOUND, "no-such-host.invalid");
    server.handle_lookup(4, Err(err.clone()));
    assert_eq!(events(&mut server), [ServerEvent::Error(err)]);
    assert!(!server.listening());
    // An empty answer is getaddrinfo's ENOTFOUND too, never a panic.
    server.listen_host("empty.test", 0).unwrap();
    server.handle_lookup(5, Ok(Vec::new()));
    assert!(matches!(&events(&mut server)[..], [ServerEvent::Error(e)] if e.code() == "ENOTFOUND"));
}
