//! A TCP/Unix proxy on any backend, with backpressure both ways (the source pauses while the
//! destination's write waits for `drain`) and half-close carried through, so memory stays bounded
//! whatever the speed of either side.
//!
//! ```text
//! proxy --backend tokio|smol|mio --listen ADDR --to ADDR
//! ```

// `write` takes the bytes by value, so it cannot move into a match guard.
#![allow(clippy::collapsible_match)]

use std::collections::HashMap;

use examples::{Addr, Backend, announce, fail, on_termination, spawn, usage_error, value_of};
use net_async::{Runtime, Server, ServerEvent, Socket};
use net_core::{ConnectOptions, ServerOptions, SocketEvent, SocketHandle, SocketOptions};

const USAGE: &str = "proxy --backend tokio|smol|mio --listen ADDR --to ADDR";

struct Config {
    backend: Backend,
    listen: Addr,
    to: Addr,
}

fn config() -> Config {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str| {
        value_of(&args, flag).unwrap_or_else(|| usage_error(&format!("{flag} is required"), USAGE))
    };
    let backend = Backend::parse(&get("--backend")).unwrap_or_else(|e| usage_error(&e, USAGE));
    let listen = Addr::parse(&get("--listen")).unwrap_or_else(|e| usage_error(&e, USAGE));
    let to = Addr::parse(&get("--to")).unwrap_or_else(|e| usage_error(&e, USAGE));
    Config { backend, listen, to }
}

/// Both sides keep their other direction open after one side's FIN.
fn server_options() -> ServerOptions {
    ServerOptions { allow_half_open: true, ..ServerOptions::default() }
}

fn main() {
    let cfg = config();
    match cfg.backend {
        Backend::Tokio => examples::tokio_block_on(async_proxy::<net_tokio::Rt>(cfg)),
        Backend::Smol => smol::block_on(async_proxy::<net_smol::Rt>(cfg)),
        Backend::Mio => mio_proxy(cfg),
    }
}

/// The proxy program, written once for every async runtime.
async fn async_proxy<Rt: Runtime>(cfg: Config) {
    on_termination(|| std::process::exit(0));
    let server = Server::<Rt>::new(server_options());
    let at = cfg.listen.listen_options();
    server.listen(at).unwrap_or_else(|e| fail(&e));
    loop {
        match server.next_event().await {
            ServerEvent::<Rt>::Listening => announce(server.address()),
            ServerEvent::<Rt>::Error(e) => fail(&e),
            ServerEvent::<Rt>::Connection(inbound) => {
                let outbound = match &cfg.to {
                    Addr::Tcp(a) => Socket::<Rt>::connect_with(
                        ConnectOptions::new(a.ip().to_string(), a.port()),
                        SocketOptions::default().allow_half_open(true),
                    ),
                    Addr::Unix(p) => net_async::connect_path::<Rt>(p),
                };
                spawn::<Rt>(pipe(inbound.clone(), outbound.clone()));
                spawn::<Rt>(pipe(outbound, inbound));
            }
            _ => {}
        }
    }

    /// Copy `from`'s bytes to `to`, pausing `from` while `to` drains; carry FIN and failure.
    async fn pipe<Rt: Runtime>(from: Socket<Rt>, to: Socket<Rt>) {
        while let Some(ev) = from.next_event().await {
            match ev {
                SocketEvent::Data(d) => {
                    if !to.write(d) {
                        from.pause();
                        to.drained().await;
                        from.resume();
                    }
                }
                SocketEvent::End => to.end(),
                SocketEvent::Close { had_error: true } => to.destroy(),
                _ => {}
            }
        }
    }
}

fn mio_proxy(cfg: Config) {
    use net_mio::{Event, EventLoop, ServerEvent, SocketId};
    on_termination(|| std::process::exit(0));
    let mut lp = EventLoop::new().expect("event loop");
    let server = lp.create_server(server_options());
    let at = cfg.listen.listen_options();
    lp.listen(server, at).unwrap_or_else(|e| fail(&e));
    let mut peer: HashMap<SocketId, SocketId> = HashMap::new();
    lp.run(|lp, ev| match ev {
        Event::Server(_, ServerEvent::Listening) => announce(lp.address(server)),
        Event::Server(_, ServerEvent::Error(e)) => fail(&e),
        Event::Server(_, ServerEvent::Connection(inbound)) => {
            let outbound = match &cfg.to {
                Addr::Tcp(a) => lp.connect_with(
                    ConnectOptions::new(a.ip().to_string(), a.port()),
                    SocketOptions::default().allow_half_open(true),
                ),
                Addr::Unix(p) => lp.connect_path(p),
            };
            peer.insert(inbound, outbound);
            peer.insert(outbound, inbound);
        }
        Event::Socket(id, ev) => {
            let Some(&other) = peer.get(&id) else { return };
            match ev {
                SocketEvent::Data(d) => {
                    if !lp.write(other, d) {
                        lp.socket(id).pause();
                    }
                }
                // `other` drained: its source may read again.
                SocketEvent::Drain => lp.socket(other).resume(),
                SocketEvent::End => lp.socket(other).end(),
                SocketEvent::Close { had_error } => {
                    if had_error {
                        lp.socket(other).destroy();
                    }
                    peer.remove(&id);
                }
                _ => {}
            }
        }
        _ => {}
    })
    .expect("event loop");
}
