//! Property test of the server machine: random listen/close/accept/disconnect/limit sequences,
//! checked step by step against a small model of Node's admission and close rules.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Instant;

use net_core::{
    Admission, BlockList, ConnectionId, ConnectionInfo, ErrorCode, NetError, Server, ServerEvent,
    ServerOptions,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Listen,
    ListenOk,
    ListenErr,
    Close,
    /// Accept a connection from 127.0.0.1 (blocked) or 127.0.0.2.
    Accept {
        blocked: bool,
    },
    /// Close the n-th live connection (modulo the count).
    Disconnect(usize),
    SetMax(Option<u32>),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::Listen),
        2 => Just(Op::ListenOk),
        1 => Just(Op::ListenErr),
        2 => Just(Op::Close),
        8 => any::<bool>().prop_map(|blocked| Op::Accept { blocked }),
        5 => any::<usize>().prop_map(Op::Disconnect),
        1 => proptest::option::of(0u32..5).prop_map(Op::SetMax),
    ]
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Listen {
    Idle,
    Binding,
    Listening,
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1024),
        ..ProptestConfig::default()
    })]

    #[test]
    fn server_follows_node_admission_and_close_rules(
        max in proptest::option::of(0u32..4),
        ops in proptest::collection::vec(op(), 1..80),
    ) {
        let now = Instant::now();
        let mut blocked = BlockList::new();
        blocked.add_address_ip("127.0.0.1".parse().unwrap());
        let mut server = Server::new(ServerOptions { max_connections: max, block_list: Some(blocked), ..Default::default() });
        let mut max = max;
        let mut state = Listen::Idle;
        let mut live: BTreeSet<ConnectionId> = BTreeSet::new();
        let mut close_owed = false;
        let mut port = 1u16;

        for op in ops {
            let mut expect_events: Vec<ServerEvent> = Vec::new();
            match op {
                Op::Listen => {
                    let r = server.listen(addr("127.0.0.1:4000").into());
                    if state == Listen::Idle {
                        prop_assert!(r.is_ok());
                        state = Listen::Binding;
                        close_owed = false;
                    } else {
                        prop_assert_eq!(r.unwrap_err().code(), "ERR_SERVER_ALREADY_LISTEN");
                    }
                }
                Op::ListenOk => {
                    let adopted = server.handle_listen(Ok(addr("127.0.0.1:4000").into()));
                    prop_assert_eq!(adopted, state == Listen::Binding);
                    if state == Listen::Binding {
                        state = Listen::Listening;
                        expect_events.push(ServerEvent::Listening);
                    }
                }
                Op::ListenErr => {
                    let err = NetError::listen(ErrorCode::EADDRINUSE, addr("127.0.0.1:4000"));
                    prop_assert!(!server.handle_listen(Err(err.clone())));
                    if state == Listen::Binding {
                        state = Listen::Idle;
                        expect_events.push(ServerEvent::Error(err));
                    }
                }
                Op::Close => {
                    let r = server.close();
                    prop_assert_eq!(r.is_ok(), state != Listen::Idle);
                    if let Err(e) = r {
                        prop_assert_eq!(e.code(), "ERR_SERVER_NOT_RUNNING");
                    }
                    state = Listen::Idle;
                    if live.is_empty() {
                        expect_events.push(ServerEvent::Close);
                    } else {
                        close_owed = true;
                    }
                }
                Op::Accept { blocked } => {
                    port += 1;
                    let ip = if blocked { [127, 0, 0, 1] } else { [127, 0, 0, 2] };
                    let info = ConnectionInfo::tcp(addr("127.0.0.1:4000"), SocketAddr::from((ip, port)));
                    let admission = server.accept(now, info);
                    match (state, max) {
                        (Listen::Idle | Listen::Binding, _) => {
                            prop_assert!(matches!(admission, Admission::NotListening), "{:?}", admission);
                        }
                        (Listen::Listening, Some(m)) if live.len() >= m as usize => {
                            prop_assert!(matches!(admission, Admission::Dropped), "{:?}", admission);
                            let ServerEvent::Drop(Some(d)) = server.poll_event().expect("drop event") else {
                                panic!("drop without payload")
                            };
                            prop_assert_eq!(d.remote.port(), port);
                        }
                        (Listen::Listening, _) if blocked => {
                            prop_assert!(matches!(admission, Admission::Blocked), "{:?}", admission);
                        }
                        (Listen::Listening, _) => {
                            let Admission::Accepted(sock) = admission else { panic!("not admitted: {admission:?}") };
                            let id = sock.connection_id().expect("accepted sockets carry their id");
                            prop_assert!(live.insert(id), "id reused");
                            expect_events.push(ServerEvent::Connection(id));
                            if let Some(m) = max {
                                prop_assert!(live.len() <= m as usize, "live connections above maxConnections");
                            }
                        }
                    }
                }
                Op::Disconnect(n) => {
                    if !live.is_empty() {
                        let id = *live.iter().nth(n % live.len()).unwrap();
                        live.remove(&id);
                        server.connection_closed(id);
                        // Repeated reports are harmless.
                        server.connection_closed(id);
                        if live.is_empty() && close_owed {
                            close_owed = false;
                            expect_events.push(ServerEvent::Close);
                        }
                    }
                }
                Op::SetMax(m) => {
                    server.set_max_connections(m);
                    max = m;
                }
            }
            let events: Vec<_> = std::iter::from_fn(|| server.poll_event()).collect();
            prop_assert_eq!(&events, &expect_events);
            for e in &events {
                if *e == ServerEvent::Close {
                    prop_assert_eq!(server.get_connections(), 0, "close with live connections");
                }
            }
            prop_assert_eq!(server.get_connections(), live.len());
            prop_assert_eq!(server.listening(), state == Listen::Listening);
            prop_assert_eq!(server.address().is_some(), state == Listen::Listening);
        }
    }
}
