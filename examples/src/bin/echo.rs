//! An echo server on any backend: every byte comes back, with backpressure (reading pauses while
//! a write waits for `drain`) and half-close carried through.
//!
//! ```text
//! echo --backend tokio|smol|mio --listen ADDR [--allow-half-open] [--max-connections N] [--pause-on-connect]
//! ```
//! `ADDR` is `HOST:PORT` (port 0 picks one; IPv6 in brackets) or a Unix socket path. The first line
//! on stdout is `listening on <address>`. SIGINT/SIGTERM close the server and exit.

// `write` takes the bytes by value, so it cannot move into a match guard.
#![allow(clippy::collapsible_match)]

use examples::{
    Addr, Backend, addr_arg, announce, backend_arg, fail, has, on_termination, spawn, usage_error, value_of,
};
use net_async::{Runtime, Server, ServerEvent};
use net_core::{ServerOptions, SocketEvent, SocketHandle};

const USAGE: &str = "echo --backend tokio|smol|mio --listen ADDR [--allow-half-open] [--max-connections N] [--pause-on-connect]";

struct Config {
    backend: Backend,
    /// `--backend tokio-dyn`: net-tokio behind trait objects ([`examples::dyn_rt`]), measured
    /// by the bench against the type parameter.
    dyn_rt: bool,
    listen: Addr,
    opts: ServerOptions,
}

fn config() -> Config {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dyn_rt = value_of(&args, "--backend").as_deref() == Some("tokio-dyn");
    let args: Vec<String> =
        args.into_iter().map(|a| if a == "tokio-dyn" { "tokio".to_owned() } else { a }).collect();
    let backend = backend_arg(&args, USAGE);
    let listen = addr_arg(&args, "--listen", USAGE);
    let max_connections = value_of(&args, "--max-connections")
        .map(|n| n.parse().unwrap_or_else(|_| usage_error(&format!("bad --max-connections '{n}'"), USAGE)));
    let opts = ServerOptions {
        allow_half_open: has(&args, "--allow-half-open"),
        pause_on_connect: has(&args, "--pause-on-connect"),
        max_connections,
        ..ServerOptions::default()
    };
    Config { backend, dyn_rt, listen, opts }
}

fn main() {
    let cfg = config();
    match cfg.backend {
        Backend::Tokio if cfg.dyn_rt => examples::tokio_block_on(async {
            examples::dyn_rt::DynRt::install::<net_tokio::Rt>();
            async_echo::<examples::dyn_rt::DynRt>(cfg).await
        }),
        Backend::Tokio => examples::tokio_block_on(async_echo::<net_tokio::Rt>(cfg)),
        Backend::Smol => smol::block_on(async_echo::<net_smol::Rt>(cfg)),
        Backend::Mio => mio_echo(cfg),
    }
}

/// The echo server, written once for every async runtime.
async fn async_echo<Rt: Runtime>(cfg: Config) {
    let server = Server::<Rt>::new(cfg.opts.clone());
    let at = cfg.listen.listen_options();
    // The signal handler is in place before `listening on` is printed.
    let (stop_tx, stop_rx) = smol::channel::bounded::<()>(1);
    on_termination(move || {
        let _ = stop_tx.try_send(());
    });
    server.listen(at).unwrap_or_else(|e| fail(&e));
    match server.next_event().await {
        ServerEvent::<Rt>::Listening => announce(server.address()),
        ServerEvent::<Rt>::Error(e) => fail(&e),
        other => unreachable!("{other:?}"),
    }
    let half_open = cfg.opts.allow_half_open;
    let pause_on_connect = cfg.opts.pause_on_connect;
    let serve = async {
        loop {
            if let ServerEvent::<Rt>::Connection(sock) = server.next_event().await {
                spawn::<Rt>(async move { examples::echo::serve(sock, half_open, pause_on_connect).await });
            }
        }
    };
    smol::future::or(serve, async {
        let _ = stop_rx.recv().await;
    })
    .await;
    let _ = server.close();
    std::process::exit(0);
}

fn mio_echo(cfg: Config) {
    use net_mio::{Event, EventLoop, ServerEvent};
    let mut lp = EventLoop::new().expect("event loop");
    let server = lp.create_server(cfg.opts.clone());
    let at = cfg.listen.listen_options();
    lp.listen(server, at).unwrap_or_else(|e| fail(&e));
    let handle = lp.handle();
    on_termination(move || {
        handle.run(move |lp| {
            let _ = lp.close_server(server);
            std::process::exit(0);
        })
    });
    let half_open = cfg.opts.allow_half_open;
    lp.run(|lp, ev| match ev {
        Event::Server(_, ServerEvent::Listening) => announce(lp.address(server)),
        Event::Server(_, ServerEvent::Error(e)) => fail(&e),
        Event::Server(_, ServerEvent::Connection(id)) if cfg.opts.pause_on_connect => lp.socket(id).resume(),
        Event::Socket(id, SocketEvent::Data(d)) => {
            if !lp.write(id, d) {
                lp.socket(id).pause();
            }
        }
        Event::Socket(id, SocketEvent::Drain) => lp.socket(id).resume(),
        Event::Socket(id, SocketEvent::End) if half_open => lp.socket(id).end(),
        _ => {}
    })
    .expect("event loop");
}
