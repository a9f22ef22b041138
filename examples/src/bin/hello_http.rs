//! A minimal HTTP/1.1 keep-alive responder written on the `net` API (no HTTP crate): every
//! request gets `200 OK` with a fixed body; `Connection: close` (or HTTP/1.0) ends the connection
//! after the response.
//!
//! ```text
//! hello-http --backend tokio|smol|mio --listen ADDR
//! ```

use std::collections::HashMap;

use examples::{
    Addr, Backend, HttpRequests, addr_arg, announce, backend_arg, fail, hello_response, on_termination, spawn,
};
use net_async::{Runtime, Server, ServerEvent, Socket};
use net_core::{ServerOptions, SocketEvent, SocketHandle};

const USAGE: &str = "hello-http --backend tokio|smol|mio --listen ADDR";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let backend = backend_arg(&args, USAGE);
    let listen = addr_arg(&args, "--listen", USAGE);
    on_termination(|| std::process::exit(0));
    match backend {
        Backend::Tokio => examples::tokio_block_on(async_http::<net_tokio::Rt>(listen)),
        Backend::Smol => smol::block_on(async_http::<net_smol::Rt>(listen)),
        Backend::Mio => mio_http(listen),
    }
}

/// Answer what a chunk of request bytes completes; `true` when the connection should end.
fn respond(parser: &mut HttpRequests, data: &[u8], mut send: impl FnMut(String)) -> bool {
    match parser.feed(data) {
        Ok(requests) => {
            for r in &requests {
                send(hello_response(r.close));
                if r.close {
                    return true;
                }
            }
            false
        }
        Err(_) => {
            send("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into());
            true
        }
    }
}

/// The http program, written once for every async runtime.
async fn async_http<Rt: Runtime>(listen: Addr) {
    let server = Server::<Rt>::new(ServerOptions::default());
    let at = listen.listen_options();
    server.listen(at).unwrap_or_else(|e| fail(&e));
    loop {
        match server.next_event().await {
            ServerEvent::<Rt>::Listening => announce(server.address()),
            ServerEvent::<Rt>::Error(e) => fail(&e),
            ServerEvent::<Rt>::Connection(sock) => spawn::<Rt>(serve(sock)),
            _ => {}
        }
    }

    async fn serve<Rt: Runtime>(sock: Socket<Rt>) {
        let mut parser = HttpRequests::default();
        while let Some(ev) = sock.next_event().await {
            if let SocketEvent::Data(d) = ev {
                if respond(&mut parser, &d, |r| {
                    sock.write(r);
                }) {
                    sock.end();
                }
            }
        }
    }
}

fn mio_http(listen: Addr) {
    use net_mio::{Event, EventLoop, ServerEvent, SocketId};
    let mut lp = EventLoop::new().expect("event loop");
    let server = lp.create_server(ServerOptions::default());
    let at = listen.listen_options();
    lp.listen(server, at).unwrap_or_else(|e| fail(&e));
    let mut parsers: HashMap<SocketId, HttpRequests> = HashMap::new();
    lp.run(|lp, ev| match ev {
        Event::Server(_, ServerEvent::Listening) => announce(lp.address(server)),
        Event::Server(_, ServerEvent::Error(e)) => fail(&e),
        Event::Socket(id, SocketEvent::Data(d)) => {
            let parser = parsers.entry(id).or_default();
            let mut out = Vec::new();
            let end = respond(parser, &d, |r| out.push(r));
            for r in out {
                lp.write(id, r);
            }
            if end {
                lp.socket(id).end();
            }
        }
        Event::Socket(id, SocketEvent::Close { .. }) => {
            parsers.remove(&id);
        }
        _ => {}
    })
    .expect("event loop");
}
