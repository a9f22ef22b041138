//! A small netcat on any backend: stdin to the socket, the socket to stdout.
//!
//! ```text
//! ncat --backend tokio|smol|mio ADDR            connect to ADDR
//! ncat --backend tokio|smol|mio --listen ADDR   serve one connection at ADDR
//! ```
//! `ADDR` is `HOST:PORT` (IPv6 in brackets) or a Unix socket path. End of stdin half-closes the
//! socket (`end()`); the program exits when both directions are done. Errors print Node's code
//! and message (`connect ECONNREFUSED 127.0.0.1:9`) and exit 1.

use std::io::{Read, Write};

use bytes::Bytes;
use examples::{Addr, Backend, backend_arg, usage_error, value_of};
use net_async::{ListenOptions, Runtime, Server, ServerEvent, Socket};
use net_core::{ConnectOptions, ServerOptions, SocketEvent, SocketHandle, SocketOptions};

const USAGE: &str = "ncat --backend tokio|smol|mio [--listen] ADDR";

struct Config {
    backend: Backend,
    addr: Addr,
    listen: bool,
}

fn config() -> Config {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let backend = backend_arg(&args, USAGE);
    let (listen, addr) = match value_of(&args, "--listen") {
        Some(a) => (true, a),
        None => {
            let positional: Vec<&String> = args
                .iter()
                .enumerate()
                .filter(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--backend"))
                .map(|(_, a)| a)
                .collect();
            let [addr] = positional[..] else { usage_error("exactly one ADDR is required", USAGE) };
            (false, addr.clone())
        }
    };
    let addr = Addr::parse(&addr).unwrap_or_else(|e| usage_error(&e, USAGE));
    Config { backend, addr, listen }
}

/// Half-open on both ends, as a netcat wants: our stdin and the peer end independently.
fn socket_options() -> SocketOptions {
    SocketOptions::default().allow_half_open(true)
}

fn server_options() -> ServerOptions {
    ServerOptions { allow_half_open: true, ..ServerOptions::default() }
}

/// Read stdin on a thread; every chunk (then `None` at EOF) goes to `send`.
fn read_stdin(mut send: impl FnMut(Option<Bytes>) + Send + 'static) {
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => send(Some(Bytes::copy_from_slice(&buf[..n]))),
            }
        }
        send(None);
    });
}

fn main() {
    let cfg = config();
    let code = match cfg.backend {
        Backend::Tokio => examples::tokio_block_on(async_ncat::<net_tokio::Rt>(cfg)),
        Backend::Smol => smol::block_on(async_ncat::<net_smol::Rt>(cfg)),
        Backend::Mio => mio_ncat(cfg),
    };
    std::process::exit(code);
}

/// Handle one socket event for the terminal; returns the exit code once the socket closed.
fn on_event(ev: &SocketEvent, failed: &mut bool) -> Option<i32> {
    match ev {
        SocketEvent::Data(d) => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(d);
            let _ = out.flush();
        }
        SocketEvent::Error(e) => {
            eprintln!("{}", e.message());
            *failed = true;
        }
        SocketEvent::Close { .. } => return Some(i32::from(*failed)),
        _ => {}
    }
    None
}

/// The ncat program, written once for every async runtime.
async fn async_ncat<Rt: Runtime>(cfg: Config) -> i32 {
    let sock: Socket<Rt> = if cfg.listen {
        let server = Server::<Rt>::new(server_options());
        let at = match &cfg.addr {
            Addr::Tcp(a) => ListenOptions::tcp(a.ip(), a.port()),
            Addr::Unix(p) => ListenOptions::path(p),
        };
        if let Err(e) = server.listen(at) {
            eprintln!("{}", e.message());
            return 1;
        }
        match server.next_event().await {
            ServerEvent::<Rt>::Listening => {
                eprintln!("listening on {}", examples::shown(&server.address().unwrap()))
            }
            ServerEvent::<Rt>::Error(e) => {
                eprintln!("{}", e.message());
                return 1;
            }
            _ => {}
        }
        let Ok(sock) = server.accept().await else { return 1 };
        let _ = server.close();
        sock
    } else {
        match &cfg.addr {
            Addr::Tcp(a) => Socket::<Rt>::connect_with(
                ConnectOptions::new(a.ip().to_string(), a.port()),
                socket_options(),
            ),
            Addr::Unix(p) => net_async::connect_path::<Rt>(p),
        }
    };
    let (tx, rx) = smol::channel::unbounded::<Option<Bytes>>();
    read_stdin(move |chunk| {
        let _ = tx.send_blocking(chunk);
    });
    let writer = {
        let sock = sock.clone();
        async move {
            while let Ok(Some(chunk)) = rx.recv().await {
                if !sock.write(chunk) {
                    sock.drained().await;
                }
            }
            sock.end();
            std::future::pending::<i32>().await
        }
    };
    let reader = async {
        let mut failed = false;
        while let Some(ev) = sock.next_event().await {
            if let Some(code) = on_event(&ev, &mut failed) {
                return code;
            }
        }
        i32::from(failed)
    };
    smol::future::or(reader, writer).await
}

fn mio_ncat(cfg: Config) -> i32 {
    use net_mio::{Event, EventLoop, ListenOptions, ServerEvent};
    let mut lp = EventLoop::new().expect("event loop");
    let mut code = 0;
    let mut failed = false;
    let handle = lp.handle();
    let start_stdin = move |id| {
        let handle = handle.clone();
        read_stdin(move |chunk| {
            handle.run(move |lp| match chunk {
                Some(bytes) => {
                    lp.write(id, bytes);
                }
                None => lp.socket(id).end(),
            });
        });
    };
    match (&cfg.addr, cfg.listen) {
        (addr, true) => {
            let s = lp.create_server(server_options());
            let at = match addr {
                Addr::Tcp(a) => ListenOptions::tcp(a.ip(), a.port()),
                Addr::Unix(p) => ListenOptions::path(p),
            };
            if let Err(e) = lp.listen(s, at) {
                eprintln!("{}", e.message());
                return 1;
            }
        }
        (Addr::Tcp(a), false) => {
            let id = lp.connect_with(ConnectOptions::new(a.ip().to_string(), a.port()), socket_options());
            start_stdin(id);
        }
        (Addr::Unix(p), false) => {
            let id = lp.connect_path(p);
            start_stdin(id);
        }
    }
    let _ = lp.run(|lp, ev| match ev {
        Event::Server(s, ServerEvent::Listening) => {
            eprintln!("listening on {}", lp.address(s).as_ref().map(examples::shown).unwrap_or_default());
        }
        Event::Server(_, ServerEvent::Error(e)) => {
            eprintln!("{}", e.message());
            code = 1;
            std::process::exit(1);
        }
        Event::Server(s, ServerEvent::Connection(id)) => {
            let _ = lp.close_server(s);
            start_stdin(id);
        }
        Event::Socket(_, ev) => {
            if let Some(c) = on_event(&ev, &mut failed) {
                code = c;
            }
        }
        _ => {}
    });
    code
}
