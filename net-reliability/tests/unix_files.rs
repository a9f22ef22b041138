//! Unix socket files on every backend, as Node 26 treats them (checked by hand with Node 26: a
//! stale file refuses connects with ECONNREFUSED and makes listen fail with EADDRINUSE; Node
//! never unlinks a file it did not create). The file a server created goes when it closes.
//! Paths without permission are not tested: the tests run as root here, which bypasses them.

use std::time::{Duration, Instant};

use net_conformance::backend::{mio::MioHarness, smol::SmolHarness, tokio::TokioHarness};
use net_conformance::harness::{Harness, Observed, Target};
use net_core::driver::ServerEventOf;
use net_core::{ListenOptions, ServerOptions, SocketEvent, SocketOptions};

fn next(h: &mut dyn Harness) -> Observed {
    h.next_event(Instant::now() + Duration::from_secs(5)).expect("an event within 5 s")
}

fn run(name: &str, h: &mut dyn Harness) {
    let dir = std::env::temp_dir().join(format!("net-rel-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let stale = dir.join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    assert!(stale.exists());

    let c = h.connect(Target::Ipc(stale.clone()), SocketOptions::default());
    let mut events = Vec::new();
    while !matches!(events.last(), Some(SocketEvent::Close { .. })) {
        if let Observed::Socket(id, ev) = next(h) {
            assert_eq!(id, c);
            events.push(ev);
        }
    }
    assert!(
        events.iter().any(|e| matches!(e, SocketEvent::Error(err) if err.code() == "ECONNREFUSED")),
        "{name}: {events:?}"
    );

    let s = h.create_server(ServerOptions::default());
    h.listen(s, ListenOptions::path(&stale)).unwrap();
    let Observed::Server(_, ServerEventOf::Error(e)) = next(h) else { panic!("{name}: no listen error") };
    assert_eq!(e.code(), "EADDRINUSE", "{name}");
    assert!(stale.exists(), "{name}: a file this server did not create stays");

    let fresh = dir.join("fresh.sock");
    let s2 = h.create_server(ServerOptions::default());
    h.listen(s2, ListenOptions::path(&fresh)).unwrap();
    assert!(matches!(next(h), Observed::Server(_, ServerEventOf::Listening)), "{name}");
    assert!(fresh.exists());
    h.close_server(s2).unwrap();
    assert!(!fresh.exists(), "{name}: the server's own file goes with close()");
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "unix files {name}: stale file: connect ECONNREFUSED, listen EADDRINUSE, file kept; own file removed on close"
    );
}

#[test]
fn stale_and_own_socket_files() {
    run("tokio", &mut TokioHarness::new());
    run("smol", &mut SmolHarness::new());
    run("mio", &mut MioHarness::new());
}
