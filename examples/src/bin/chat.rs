//! A line-based broadcast chat on any backend: each line a client sends goes to every other
//! client.
//!
//! Slow clients: a client whose unsent backlog (`writableLength`) passes `MAX_BACKLOG` is
//! disconnected (destroyed), so one reader that stops reading cannot grow the server's memory
//! without bound; everyone else keeps chatting.
//!
//! ```text
//! chat --backend tokio|smol|mio --listen ADDR
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use examples::{Addr, Backend, Lines, addr_arg, announce, backend_arg, fail, on_termination, spawn};
use net_async::{Runtime, Server, ServerEvent, Socket};
use net_core::{ServerOptions, SocketEvent, SocketHandle};

const USAGE: &str = "chat --backend tokio|smol|mio --listen ADDR";

/// Unsent bytes a client may accumulate before it is disconnected.
const MAX_BACKLOG: usize = 1 << 20;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let backend = backend_arg(&args, USAGE);
    let listen = addr_arg(&args, "--listen", USAGE);
    on_termination(|| std::process::exit(0));
    match backend {
        Backend::Tokio => examples::tokio_block_on(async_chat::<net_tokio::Rt>(listen)),
        Backend::Smol => smol::block_on(async_chat::<net_smol::Rt>(listen)),
        Backend::Mio => mio_chat(listen),
    }
}

/// Everyone in the room, by member number.
type Room<Rt> = Arc<Mutex<HashMap<u64, Socket<Rt>>>>;

/// The chat program, written once for every async runtime.
async fn async_chat<Rt: Runtime>(listen: Addr) {
    let server = Server::<Rt>::new(ServerOptions::default());
    let at = listen.listen_options();
    server.listen(at).unwrap_or_else(|e| fail(&e));
    let room: Room<Rt> = Arc::default();
    let mut next = 0u64;
    loop {
        match server.next_event().await {
            ServerEvent::<Rt>::Listening => announce(server.address()),
            ServerEvent::<Rt>::Error(e) => fail(&e),
            ServerEvent::<Rt>::Connection(sock) => {
                next += 1;
                room.lock().unwrap().insert(next, sock.clone());
                spawn::<Rt>(member(next, sock, Arc::clone(&room)));
            }
            _ => {}
        }
    }

    async fn member<Rt: Runtime>(me: u64, sock: Socket<Rt>, room: Room<Rt>) {
        let mut lines = Lines::default();
        while let Some(ev) = sock.next_event().await {
            if let SocketEvent::Data(d) = ev {
                for line in lines.feed(&d) {
                    let line = Bytes::from(line);
                    let others: Vec<Socket<Rt>> = room
                        .lock()
                        .unwrap()
                        .iter()
                        .filter(|(k, _)| **k != me)
                        .map(|(_, s)| s.clone())
                        .collect();
                    for other in others {
                        other.write(line.clone());
                        if other.writable_length() > MAX_BACKLOG {
                            other.destroy();
                        }
                    }
                }
            }
        }
        room.lock().unwrap().remove(&me);
    }
}

fn mio_chat(listen: Addr) {
    use net_mio::{Event, EventLoop, ServerEvent, SocketId};
    let mut lp = EventLoop::new().expect("event loop");
    let server = lp.create_server(ServerOptions::default());
    let at = listen.listen_options();
    lp.listen(server, at).unwrap_or_else(|e| fail(&e));
    let mut room: HashMap<SocketId, Lines> = HashMap::new();
    lp.run(|lp, ev| match ev {
        Event::Server(_, ServerEvent::Listening) => announce(lp.address(server)),
        Event::Server(_, ServerEvent::Error(e)) => fail(&e),
        Event::Server(_, ServerEvent::Connection(id)) => {
            room.insert(id, Lines::default());
        }
        Event::Socket(id, SocketEvent::Data(d)) => {
            let lines = room.get_mut(&id).map(|l| l.feed(&d)).unwrap_or_default();
            let others: Vec<SocketId> = room.keys().copied().filter(|k| *k != id).collect();
            for line in lines {
                let line = Bytes::from(line);
                for &other in &others {
                    lp.write(other, line.clone());
                    if lp.socket(other).writable_length() > MAX_BACKLOG {
                        lp.socket(other).destroy();
                    }
                }
            }
        }
        Event::Socket(id, SocketEvent::Close { .. }) => {
            room.remove(&id);
        }
        _ => {}
    })
    .expect("event loop");
}
