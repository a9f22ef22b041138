//! An echo server on each backend, on a thread of its own, for the reliability tests.
//!
//! It echoes with backpressure (a `false` write waits for the queue to drain), ends when the
//! client ends, and destroys a connection whose idle timeout fires (when one is set). `stop`
//! closes the server, waits for the connections to go, and reports what was left behind.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use net_core::{ListenOptions, ServerOptions, SocketEvent, SocketHandle};

/// Which backend serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// net-tokio on a current-thread runtime.
    Tokio,
    /// net-smol on an executor of its own (`net_smol::enter`).
    Smol,
    /// net-mio's loop.
    Mio,
}

impl Backend {
    /// All of them.
    pub const ALL: [Self; 3] = [Self::Tokio, Self::Smol, Self::Mio];

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Tokio => "tokio",
            Self::Smol => "smol",
            Self::Mio => "mio",
        }
    }
}

/// How the echo server behaves.
#[derive(Debug, Clone, Copy, Default)]
pub struct EchoOptions {
    /// `socket.setTimeout` on every accepted socket; `timeout` destroys it.
    pub idle_timeout: Option<Duration>,
}

/// What a stopped server left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// `get_connections()` after the server closed and its connections went.
    pub connections_at_end: usize,
    /// Tasks (tokio: exact count; smol: 0 if its executor is empty, else 1) or, for mio, 1 if
    /// the loop still has a live handle.
    pub tasks_left: usize,
    /// Connections accepted.
    pub accepted: usize,
    /// Connections destroyed by the idle timeout.
    pub timed_out: usize,
    /// `error` events of the server (failed accepts).
    pub accept_errors: usize,
}

#[derive(Default)]
struct Stats {
    live: AtomicUsize,
    accepted: AtomicUsize,
    timed_out: AtomicUsize,
    accept_errors: AtomicUsize,
    stop: AtomicBool,
}

/// A running echo server.
pub struct EchoServer {
    port: u16,
    stats: Arc<Stats>,
    thread: Option<JoinHandle<Report>>,
}

impl EchoServer {
    /// Start one on 127.0.0.1 (any port); returns once it listens.
    pub fn start(backend: Backend, opts: EchoOptions) -> Self {
        let stats = Arc::new(Stats::default());
        let (tx, rx) = std::sync::mpsc::channel();
        let st = Arc::clone(&stats);
        let thread = std::thread::spawn(move || match backend {
            Backend::Tokio => tokio_echo(opts, &st, &tx),
            Backend::Smol => smol_echo(opts, &st, &tx),
            Backend::Mio => mio_echo(opts, &st, &tx),
        });
        let port = rx.recv().expect("the server thread reports its port");
        Self { port, stats, thread: Some(thread) }
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Connections alive now (`get_connections()` as last seen by the server's thread).
    pub fn connections(&self) -> usize {
        self.stats.live.load(Ordering::Relaxed)
    }

    /// Close the server, wait for its connections to go (10 s at most), and report.
    pub fn stop(mut self) -> Report {
        self.stats.stop.store(true, Ordering::Relaxed);
        self.thread.take().expect("not stopped yet").join().expect("the server thread panicked")
    }
}

fn listen_options() -> ListenOptions {
    ListenOptions::tcp(IpAddr::V4(Ipv4Addr::LOCALHOST), 0)
}

fn tokio_echo(opts: EchoOptions, stats: &Arc<Stats>, port: &std::sync::mpsc::Sender<u16>) -> Report {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let live = rt.block_on(async {
        let server = net_tokio::Server::new(ServerOptions::default());
        server.listen(listen_options()).expect("listen");
        let _ = port.send(server.address().and_then(|a| a.tcp()).expect("bound").port());
        loop {
            stats.live.store(server.get_connections(), Ordering::Relaxed);
            if stats.stop.load(Ordering::Relaxed) {
                break;
            }
            let ev = tokio::time::timeout(Duration::from_millis(10), server.next_event()).await;
            if let Ok(net_tokio::ServerEvent::Error(_)) = ev {
                stats.accept_errors.fetch_add(1, Ordering::Relaxed);
            }
            if let Ok(net_tokio::ServerEvent::Connection(sock)) = ev {
                stats.accepted.fetch_add(1, Ordering::Relaxed);
                let st = Arc::clone(stats);
                tokio::spawn(async move {
                    if let Some(t) = opts.idle_timeout {
                        sock.set_timeout(t);
                    }
                    while let Some(ev) = sock.next_event().await {
                        match ev {
                            SocketEvent::Data(d) => {
                                let written = sock.write(d);
                                if !written {
                                    sock.drained().await;
                                }
                            }
                            SocketEvent::End => sock.end(),
                            SocketEvent::Timeout => {
                                st.timed_out.fetch_add(1, Ordering::Relaxed);
                                sock.destroy();
                            }
                            _ => {}
                        }
                    }
                });
            }
        }
        let _ = server.close();
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.get_connections() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Let the last tasks see their close.
        tokio::time::sleep(Duration::from_millis(50)).await;
        server.get_connections()
    });
    Report {
        connections_at_end: live,
        tasks_left: rt.metrics().num_alive_tasks(),
        accepted: stats.accepted.load(Ordering::Relaxed),
        timed_out: stats.timed_out.load(Ordering::Relaxed),
        accept_errors: stats.accept_errors.load(Ordering::Relaxed),
    }
}

fn smol_echo(opts: EchoOptions, stats: &Arc<Stats>, port: &std::sync::mpsc::Sender<u16>) -> Report {
    let ex = Arc::new(smol::Executor::new());
    let _on = net_smol::enter(&ex);
    let server = net_smol::Server::new(ServerOptions::default());
    server.listen(listen_options()).expect("listen");
    let _ = port.send(server.address().and_then(|a| a.tcp()).expect("bound").port());
    smol::block_on(ex.run(async {
        loop {
            stats.live.store(server.get_connections(), Ordering::Relaxed);
            if stats.stop.load(Ordering::Relaxed) {
                break;
            }
            let ev = smol::future::or(async { Some(server.next_event().await) }, async {
                smol::Timer::after(Duration::from_millis(10)).await;
                None
            })
            .await;
            if let Some(net_smol::ServerEvent::Error(_)) = ev {
                stats.accept_errors.fetch_add(1, Ordering::Relaxed);
            }
            if let Some(net_smol::ServerEvent::Connection(sock)) = ev {
                stats.accepted.fetch_add(1, Ordering::Relaxed);
                let st = Arc::clone(stats);
                ex.spawn(async move {
                    if let Some(t) = opts.idle_timeout {
                        sock.set_timeout(t);
                    }
                    while let Some(ev) = sock.next_event().await {
                        match ev {
                            SocketEvent::Data(d) => {
                                let written = sock.write(d);
                                if !written {
                                    sock.drained().await;
                                }
                            }
                            SocketEvent::End => sock.end(),
                            SocketEvent::Timeout => {
                                st.timed_out.fetch_add(1, Ordering::Relaxed);
                                sock.destroy();
                            }
                            _ => {}
                        }
                    }
                })
                .detach();
            }
        }
        let _ = server.close();
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.get_connections() > 0 && Instant::now() < deadline {
            smol::Timer::after(Duration::from_millis(10)).await;
        }
        smol::Timer::after(Duration::from_millis(50)).await;
    }));
    let live = server.get_connections();
    drop(server);
    // Whatever is still scheduled runs once more, then the executor must be empty.
    while ex.try_tick() {}
    Report {
        connections_at_end: live,
        tasks_left: usize::from(!ex.is_empty()),
        accepted: stats.accepted.load(Ordering::Relaxed),
        timed_out: stats.timed_out.load(Ordering::Relaxed),
        accept_errors: stats.accept_errors.load(Ordering::Relaxed),
    }
}

fn mio_echo(opts: EchoOptions, stats: &Arc<Stats>, port: &std::sync::mpsc::Sender<u16>) -> Report {
    use net_mio::{Event, EventLoop, ServerEvent};
    let mut lp = EventLoop::new().expect("poll");
    let server = lp.create_server(ServerOptions::default());
    lp.listen(server, listen_options()).expect("listen");
    let _ = port.send(lp.address(server).and_then(|a| a.tcp()).expect("bound").port());
    let mut closing: Option<Instant> = None;
    loop {
        while let Some(ev) = lp.next_event() {
            match ev {
                Event::Server(_, ServerEvent::Connection(id)) => {
                    stats.accepted.fetch_add(1, Ordering::Relaxed);
                    if let Some(t) = opts.idle_timeout {
                        lp.socket(id).set_timeout(t);
                    }
                }
                Event::Server(_, ServerEvent::Error(_)) => {
                    stats.accept_errors.fetch_add(1, Ordering::Relaxed);
                }
                Event::Socket(id, SocketEvent::Data(d)) => {
                    let written = lp.write(id, d);
                    if !written {
                        lp.socket(id).pause();
                    }
                }
                Event::Socket(id, SocketEvent::Drain) => lp.socket(id).resume(),
                Event::Socket(id, SocketEvent::End) => lp.socket(id).end(),
                Event::Socket(id, SocketEvent::Timeout) => {
                    stats.timed_out.fetch_add(1, Ordering::Relaxed);
                    lp.socket(id).destroy();
                }
                _ => {}
            }
        }
        stats.live.store(lp.get_connections(server), Ordering::Relaxed);
        if stats.stop.load(Ordering::Relaxed) && closing.is_none() {
            let _ = lp.close_server(server);
            closing = Some(Instant::now());
        }
        if let Some(at) = closing {
            if lp.get_connections(server) == 0 || at.elapsed() > Duration::from_secs(10) {
                break;
            }
        }
        lp.run_once(Some(Duration::from_millis(10))).expect("poll");
    }
    // Hand out what is left (the server's close), then nothing may keep the loop alive.
    while lp.next_event().is_some() {}
    Report {
        connections_at_end: lp.get_connections(server),
        tasks_left: usize::from(lp.alive()),
        accepted: stats.accepted.load(Ordering::Relaxed),
        timed_out: stats.timed_out.load(Ordering::Relaxed),
        accept_errors: stats.accept_errors.load(Ordering::Relaxed),
    }
}
