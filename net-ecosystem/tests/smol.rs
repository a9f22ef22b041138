//! net-smol under the crates smol users plug in: hyper (through smol-hyper's `FuturesIo`),
//! futures-rustls, asynchronous-codec's `LinesCodec`, a `futures::io::copy` proxy; plus the
//! io-trait contract those crates rely on (drop closes, every waiter is woken, failures are
//! reported). The ends that are not ours are async-net's own `TcpStream`s.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_io::Timer;
use bytes::Bytes;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use net_core::ServerOptions;
use net_ecosystem::{Checker, MIB, Pattern, open_connections_on, tls};
use net_smol::{ListenOptions, Server, ServerEvent, Socket};
use smol::net::TcpStream;
use smol_hyper::rt::{FuturesIo, SmolTimer};

const LIMIT: Duration = Duration::from_secs(30);
const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn run<F: Future>(f: F) -> F::Output {
    smol::block_on(f)
}

/// `fut`'s output, or `Err` after `d`.
async fn timeout<T>(d: Duration, fut: impl Future<Output = T>) -> Result<T, &'static str> {
    smol::future::or(async { Ok(fut.await) }, async {
        Timer::after(d).await;
        Err("timed out")
    })
    .await
}

async fn sleep(d: Duration) {
    Timer::after(d).await;
}

async fn listening() -> (Server, u16) {
    let server = Server::new(ServerOptions::default());
    server.listen(ListenOptions::tcp(LOCALHOST, 0)).unwrap();
    let ev = timeout(LIMIT, server.next_event()).await.unwrap();
    assert!(matches!(ev, ServerEvent::Listening), "{ev:?}");
    let port = server.address().and_then(|a| a.tcp()).unwrap().port();
    (server, port)
}

async fn accept(server: &Server) -> Socket {
    timeout(LIMIT, server.accept()).await.unwrap().expect("a connection")
}

async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < LIMIT, "{what}: not in time");
        sleep(Duration::from_millis(10)).await;
    }
}

async fn read_checked(r: &mut (impl futures::io::AsyncRead + Unpin), pattern: Pattern) -> (usize, bool) {
    let mut check = Checker::new(pattern);
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = r.read(&mut buf).await.expect("read");
        if n == 0 {
            return (check.received, check.intact);
        }
        check.feed(&buf[..n]);
    }
}

async fn write_pattern(w: &mut (impl futures::io::AsyncWrite + Unpin), pattern: &Pattern, len: usize) {
    let mut buf = vec![0; 64 * 1024];
    let mut at = 0;
    while at < len {
        let n = buf.len().min(len - at);
        pattern.fill(at, &mut buf[..n]);
        w.write_all(&buf[..n]).await.expect("write");
        at += n;
    }
}

/// Read until `total` bytes came, counting each tag byte (0 or 1).
async fn count_tags(client: &mut TcpStream, total: usize) -> [usize; 2] {
    let mut counts = [0usize; 2];
    let mut buf = vec![0; 64 * 1024];
    while counts[0] + counts[1] < total {
        let n = client.read(&mut buf).await.unwrap();
        assert!(n > 0, "EOF after {counts:?}");
        for b in &buf[..n] {
            counts[*b as usize] += 1;
        }
    }
    counts
}

// ---------------------------------------------------------------------------------------------
// Frictions: one `write` for both habits, Node's commands without a trait import.

/// With `AsyncWriteExt` in scope, `socket.write(b"hi").await` does what a Rust user means
/// (`Ok(2)`, the bytes arrive); Node's boolean is still there (`!socket.write(..)`, `accepted()`),
/// and Node's commands (`end`, `set_no_delay`, ...) need no trait import.
#[test]
fn one_write_serves_both_habits() {
    run(async {
        let (server, port) = listening().await;
        let mut client = TcpStream::connect((LOCALHOST, port)).await.unwrap();
        let conn = accept(&server).await;
        conn.set_no_delay(true);
        assert_eq!(conn.local_addr().unwrap().port(), port);
        assert_eq!(conn.peer_addr().unwrap(), client.local_addr().unwrap());
        assert_eq!(timeout(LIMIT, async { conn.write(b"hi").await }).await.unwrap().unwrap(), 2);
        assert!(conn.write("+more").accepted());
        let big = conn.write(vec![b'.'; 32 * MIB]);
        assert!(!big, "32 MiB is over the high-water mark: Node's false");
        conn.end();
        let mut got = Vec::new();
        timeout(LIMIT, client.read_to_end(&mut got)).await.unwrap().unwrap();
        assert_eq!((&got[..7], got.len()), (&b"hi+more"[..], 7 + 32 * MIB));
        assert_eq!(
            conn.write("late").await.expect_err("a write after end fails").kind(),
            std::io::ErrorKind::BrokenPipe
        );
    })
}

/// Rust's idiom beside Node's: `Server::bind(addr).await?`, `local_addr()`, `accept()` as an
/// `io::Result` (the listen error, then `NotConnected` after close), and adopting std listeners
/// and streams (`from_std`, `from_std_unix`).
#[test]
fn bind_accept_and_adopt() {
    run(async {
        let server = timeout(LIMIT, Server::bind("127.0.0.1:0")).await.unwrap().expect("bound");
        let addr = server.local_addr().unwrap();
        assert_eq!(addr.ip(), LOCALHOST);
        let err = timeout(LIMIT, Server::bind(addr)).await.unwrap().expect_err("the port is taken");
        assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
        timeout(LIMIT, net_ecosystem::bind_by_name::<net_smol::Rt>()).await.unwrap();
        let mut client = TcpStream::connect(addr).await.unwrap();
        let conn = timeout(LIMIT, server.accept()).await.unwrap().expect("a connection");
        assert_eq!(timeout(LIMIT, async { conn.write(b"bound").await }).await.unwrap().unwrap(), 5);
        drop(conn);
        let mut got = Vec::new();
        timeout(LIMIT, client.read_to_end(&mut got)).await.unwrap().unwrap();
        assert_eq!(got, b"bound");
        eventually("the connection is gone", || server.get_connections() == 0).await;
        server.close().unwrap();
        let err = timeout(LIMIT, server.accept()).await.unwrap().expect_err("closed");
        assert_eq!(err.kind(), std::io::ErrorKind::NotConnected);

        // A std listener, adopted.
        let std_listener = std::net::TcpListener::bind((LOCALHOST, 0)).unwrap();
        let at = std_listener.local_addr().unwrap();
        let adopted = Server::from_std(std_listener, ServerOptions::default()).unwrap();
        assert_eq!(adopted.local_addr().unwrap(), at);
        let mut c2 = TcpStream::connect(at).await.unwrap();
        let conn =
            timeout(LIMIT, adopted.accept()).await.unwrap().expect("a connection on the adopted listener");
        conn.end();
        let mut got = Vec::new();
        timeout(LIMIT, c2.read_to_end(&mut got)).await.unwrap().unwrap();
        assert!(got.is_empty());

        // A std stream, adopted: connected at once, no `connect` event.
        let l = std::net::TcpListener::bind((LOCALHOST, 0)).unwrap();
        let mine = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (mut theirs, _) = l.accept().unwrap();
        let sock = Socket::from_std(mine, Default::default()).unwrap();
        assert_eq!(sock.peer_addr().unwrap(), l.local_addr().unwrap());
        sock.write("adopted");
        sock.end();
        let reader = std::thread::spawn(move || {
            let mut got = String::new();
            std::io::Read::read_to_string(&mut theirs, &mut got).unwrap();
            got
        });
        let first = timeout(LIMIT, sock.next_event()).await.unwrap();
        assert!(!matches!(first, Some(net_core::SocketEvent::Connect)), "{first:?}");
        assert_eq!(reader.join().unwrap(), "adopted");

        // A std Unix listener, adopted; its socket file stays the caller's.
        let dir = std::env::temp_dir().join(format!("net-ecosystem-smol-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("adopted.sock");
        let _ = std::fs::remove_file(&path);
        let ul = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let userver = Server::from_std_unix(ul, ServerOptions::default()).unwrap();
        let mut uc = smol::net::unix::UnixStream::connect(&path).await.unwrap();
        let uconn = timeout(LIMIT, userver.accept()).await.unwrap().expect("a Unix connection");
        assert!(uconn.local_addr().is_err(), "Unix sockets have no SocketAddr");
        drop(uconn);
        let mut got = Vec::new();
        timeout(LIMIT, uc.read_to_end(&mut got)).await.unwrap().unwrap();
        eventually("the Unix connection is gone", || userver.get_connections() == 0).await;
        userver.close().unwrap();
        let _ = timeout(LIMIT, userver.accept()).await.unwrap();
        assert!(path.exists(), "an adopted listener's file is not ours to remove");
        std::fs::remove_dir_all(&dir).unwrap();
    })
}

// ---------------------------------------------------------------------------------------------
// Defect 1: dropping the last handle closes.

/// After `write_all(4 MiB)` and `drop`, the peer gets every byte and then EOF, and the server's
/// count drops to zero.
#[test]
fn dropping_the_last_handle_flushes_then_closes() {
    run(async {
        let (server, port) = listening().await;
        let mut client = TcpStream::connect((LOCALHOST, port)).await.unwrap();
        let mut conn = accept(&server).await;
        let pattern = Pattern::new(1);
        let reader = smol::spawn({
            let pattern = pattern.clone();
            async move {
                sleep(Duration::from_millis(200)).await;
                read_checked(&mut client, pattern).await
            }
        });
        timeout(LIMIT, conn.write_all(&pattern.bytes(4 * MIB))).await.unwrap().unwrap();
        assert!(conn.writable_length() > 0, "bytes still queued in the socket when it drops");
        drop(conn);
        let (got, intact) = timeout(LIMIT, reader).await.expect("EOF in time");
        assert_eq!((got, intact), (4 * MIB, true));
        eventually("server count back to 0", || server.get_connections() == 0).await;
    })
}

/// Dropping one of two clones keeps the socket open; dropping the second closes it.
#[test]
fn the_socket_closes_with_its_last_clone_only() {
    run(async {
        let (server, port) = listening().await;
        let mut client = TcpStream::connect((LOCALHOST, port)).await.unwrap();
        let conn = accept(&server).await;
        let mut other = conn.clone();
        drop(conn);
        sleep(Duration::from_millis(50)).await;
        assert_eq!(server.get_connections(), 1);
        other.write_all(b"still open").await.unwrap();
        drop(other);
        let mut got = Vec::new();
        timeout(LIMIT, client.read_to_end(&mut got)).await.unwrap().unwrap();
        assert_eq!(got, b"still open");
        eventually("server count back to 0", || server.get_connections() == 0).await;
    })
}

// ---------------------------------------------------------------------------------------------
// Defect 2: every waiter on the write side is woken.

#[test]
fn two_writers_on_clones_both_finish() {
    run(async {
        let (server, port) = listening().await;
        let mut client = TcpStream::connect((LOCALHOST, port)).await.unwrap();
        let conn = accept(&server).await;
        let writers: Vec<_> = (0..2u8)
            .map(|i| {
                let mut sock = conn.clone();
                smol::spawn(async move {
                    let chunk = vec![i; 64 * 1024];
                    for _ in 0..128 {
                        sock.write_all(&chunk).await.unwrap();
                    }
                })
            })
            .collect();
        sleep(Duration::from_millis(200)).await;
        let counts = timeout(LIMIT, count_tags(&mut client, 16 * MIB)).await.expect("16 MiB in time");
        for w in writers {
            timeout(LIMIT, w).await.expect("each writer finishes");
        }
        assert_eq!(counts, [8 * MIB, 8 * MIB]);
    })
}

#[test]
fn a_writer_and_a_drained_waiter_both_finish() {
    run(async {
        let (server, port) = listening().await;
        let mut client = TcpStream::connect((LOCALHOST, port)).await.unwrap();
        let conn = accept(&server).await;
        let mut a = conn.clone();
        let io_writer = smol::spawn(async move {
            let chunk = vec![0u8; 64 * 1024];
            for _ in 0..128 {
                a.write_all(&chunk).await.unwrap();
            }
        });
        let b = conn.clone();
        let node_writer = smol::spawn(async move {
            let chunk = Bytes::from(vec![1u8; 64 * 1024]);
            for _ in 0..128 {
                if !b.write(chunk.clone()) {
                    b.drained().await;
                }
            }
        });
        sleep(Duration::from_millis(200)).await;
        let counts = timeout(LIMIT, count_tags(&mut client, 16 * MIB)).await.expect("16 MiB in time");
        timeout(LIMIT, io_writer).await.unwrap();
        timeout(LIMIT, node_writer).await.unwrap();
        assert_eq!(counts, [8 * MIB, 8 * MIB]);
    })
}

// ---------------------------------------------------------------------------------------------
// Defect 3: flush and close report failures.

#[test]
fn flush_after_a_refused_connect_fails() {
    run(async {
        let port = {
            let l = std::net::TcpListener::bind((LOCALHOST, 0)).unwrap();
            l.local_addr().unwrap().port()
        };
        let mut sock = net_smol::connect(port, "127.0.0.1");
        // Queued while connecting, or refused if the refusal already came: never a silent Ok
        // both here and at flush.
        if let Err(e) = sock.write_all(b"into the void").await {
            assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{e:?}");
        }
        let err = timeout(LIMIT, sock.flush()).await.unwrap().expect_err("flush must fail");
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
        let net =
            err.get_ref().and_then(|e| e.downcast_ref::<net_core::NetError>()).expect("NetError inside");
        assert_eq!(net.code(), "ECONNREFUSED");
        let err = timeout(LIMIT, sock.close()).await.unwrap().expect_err("close must fail");
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    })
}

/// `close` waits for the FIN behind bytes the peer is slow to take, without spinning: the
/// task is polled on progress, not in a loop.
#[test]
fn a_waiting_close_does_not_spin() {
    run(async {
        let (server, port) = listening().await;
        let mut client = TcpStream::connect((LOCALHOST, port)).await.unwrap();
        let mut conn = accept(&server).await;
        // Fill the kernel (the peer does not read yet), then stand below the high-water mark
        // with bytes still queued: no `drain` owed, so every pump may wake the writers.
        let chunk = vec![7u8; 4096];
        let mut sent = 0;
        while conn.writable_length() == 0 {
            assert!(sent < 64 * MIB, "the kernel never filled");
            timeout(LIMIT, conn.write_all(&chunk)).await.unwrap().unwrap();
            sent += chunk.len();
        }
        assert!(conn.writable_length() <= chunk.len(), "below the mark: no drain owed");
        let polls = Arc::new(AtomicUsize::new(0));
        let counted = polls.clone();
        let shut = async move {
            let mut fut = std::pin::pin!(conn.close());
            std::future::poll_fn(|cx| {
                counted.fetch_add(1, Ordering::Relaxed);
                fut.as_mut().poll(cx)
            })
            .await
        };
        let reader = async {
            sleep(Duration::from_millis(300)).await;
            let mut got = Vec::new();
            client.read_to_end(&mut got).await.unwrap();
            got.len()
        };
        let (shut, got) = timeout(LIMIT, async { futures::join!(shut, reader) }).await.unwrap();
        shut.unwrap();
        assert_eq!(got, sent);
        let polls = polls.load(Ordering::Relaxed);
        // One poll per write progress the reader allows; more under the load of the other
        // tests (smaller reads); the spinning this guards against was over 100,000.
        assert!(polls < 10_000, "close was polled {polls} times while it waited");
    })
}

// ---------------------------------------------------------------------------------------------
// Defect 4: half-close under the io traits loses nothing.

/// A proxy as smol users write one (two `futures::io::copy`s, each closing its writer at EOF)
/// between an accepted socket and a connected one, with the defaults: 64 MiB each way intact.
#[test]
fn copy_proxy_carries_64_mib_both_ways() {
    const LEN: usize = 64 * MIB;
    run(async {
        let upstream = smol::net::TcpListener::bind((LOCALHOST, 0)).await.unwrap();
        let up_port = upstream.local_addr().unwrap().port();
        let (proxy, proxy_port) = listening().await;
        let proxied = smol::spawn(async move {
            let inbound = proxy.accept().await.unwrap();
            let outbound = net_smol::connect(up_port, "127.0.0.1");
            let (mut in_r, mut in_w) = (inbound.clone(), inbound);
            let (mut out_r, mut out_w) = (outbound.clone(), outbound);
            let there = async {
                let n = futures::io::copy(&mut in_r, &mut out_w).await?;
                out_w.close().await?;
                Ok::<_, std::io::Error>(n)
            };
            let back = async {
                let n = futures::io::copy(&mut out_r, &mut in_w).await?;
                in_w.close().await?;
                Ok::<_, std::io::Error>(n)
            };
            let (a, b) = futures::join!(there, back);
            (a.expect("client to upstream"), b.expect("upstream to client"))
        });
        let up = smol::spawn(async move {
            let (s, _) = upstream.accept().await.unwrap();
            let (mut r, mut w) = (s.clone(), s);
            let send = async {
                write_pattern(&mut w, &Pattern::new(2), LEN).await;
                w.close().await.unwrap();
            };
            let (_, got) = futures::join!(send, read_checked(&mut r, Pattern::new(1)));
            got
        });
        let client = TcpStream::connect((LOCALHOST, proxy_port)).await.unwrap();
        let (mut r, mut w) = (client.clone(), client);
        let send = async {
            write_pattern(&mut w, &Pattern::new(1), LEN).await;
            w.shutdown(std::net::Shutdown::Write).unwrap();
        };
        let ((), from_up) =
            timeout(LIMIT * 4, async { futures::join!(send, read_checked(&mut r, Pattern::new(2))) })
                .await
                .expect("the proxy finished in time");
        assert_eq!(from_up, (LEN, true), "client side");
        assert_eq!(timeout(LIMIT, up).await.unwrap(), (LEN, true), "upstream side");
        assert_eq!(timeout(LIMIT, proxied).await.unwrap(), (LEN as u64, LEN as u64));
    })
}

#[test]
fn read_to_eof_then_reply() {
    run(async {
        let (server, port) = listening().await;
        let served = smol::spawn(async move {
            let mut conn = server.accept().await.unwrap();
            let mut req = Vec::new();
            conn.read_to_end(&mut req).await.unwrap();
            conn.write_all(format!("got {} bytes", req.len()).as_bytes()).await.unwrap();
            conn.close().await.unwrap();
        });
        let mut client = TcpStream::connect((LOCALHOST, port)).await.unwrap();
        client.write_all(&[7u8; 100_000]).await.unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let mut reply = String::new();
        timeout(LIMIT, client.read_to_string(&mut reply)).await.unwrap().unwrap();
        assert_eq!(reply, "got 100000 bytes");
        timeout(LIMIT, served).await.unwrap();
    })
}

/// asynchronous-codec's `LinesCodec`: every line is read up to EOF first, then the echoes are
/// sent, the last one after the peer's FIN arrived.
#[test]
fn lines_codec_echo_after_eof() {
    use asynchronous_codec::{FramedRead, FramedWrite, LinesCodec};
    run(async {
        let (server, port) = listening().await;
        let served = smol::spawn(async move {
            let conn = server.accept().await.unwrap();
            let mut lines = FramedRead::new(conn.clone(), LinesCodec);
            let mut got = Vec::new();
            while let Some(line) = lines.next().await {
                got.push(line.unwrap());
            }
            let mut out = FramedWrite::new(conn, LinesCodec);
            for line in got {
                out.send(format!("echo {line}")).await.unwrap();
            }
            SinkExt::<String>::close(&mut out).await.unwrap();
        });
        let mut client = TcpStream::connect((LOCALHOST, port)).await.unwrap();
        client.write_all(b"one\ntwo\nlast\n").await.unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let mut reply = String::new();
        timeout(LIMIT, client.read_to_string(&mut reply)).await.unwrap().unwrap();
        assert_eq!(reply, "echo one\necho two\necho last\n");
        timeout(LIMIT, served).await.unwrap();
    })
}

// ---------------------------------------------------------------------------------------------
// TLS through futures-rustls.

async fn tls_echo(close_notify: bool) {
    const LEN: usize = 16 * MIB;
    let (server, port) = listening().await;
    let acceptor = futures_rustls::TlsAcceptor::from(tls::server_config());
    let served = smol::spawn(async move {
        let conn = server.accept().await.unwrap();
        let tls = acceptor.accept(conn).await.expect("server handshake");
        let (mut r, mut w) = tls.split();
        let copied = futures::io::copy(&mut r, &mut w).await;
        w.close().await.unwrap();
        copied
    });
    let connector = futures_rustls::TlsConnector::from(tls::client_config());
    let sock = net_smol::connect(port, "127.0.0.1");
    let raw = sock.clone();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = timeout(LIMIT, connector.connect(name, sock)).await.unwrap().expect("client handshake");
    let (mut r, mut w) = tls.split();
    let pattern = Pattern::new(3);
    let send = async {
        write_pattern(&mut w, &pattern, LEN).await;
        if close_notify {
            w.close().await.unwrap();
        } else {
            w.flush().await.unwrap();
            raw.end();
        }
    };
    let ((), echoed) =
        timeout(LIMIT * 2, async { futures::join!(send, read_checked(&mut r, pattern.clone())) })
            .await
            .expect("the echo finished in time");
    assert_eq!(echoed, (LEN, true), "every byte came back, then a clean EOF");
    let copied = timeout(LIMIT, served).await.unwrap();
    if close_notify {
        assert_eq!(copied.expect("a clean end"), LEN as u64);
    } else {
        assert_eq!(
            copied.expect_err("an end without close_notify").kind(),
            std::io::ErrorKind::UnexpectedEof
        );
    }
}

#[test]
fn tls_echo_with_close_notify() {
    run(tls_echo(true))
}

#[test]
fn tls_echo_without_close_notify() {
    run(tls_echo(false))
}

// ---------------------------------------------------------------------------------------------
// hyper through smol-hyper.

async fn echo_service(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    Ok(Response::new(Full::new(body)))
}

/// hyper serves keep-alive requests on one connection, 4 MiB bodies both ways included.
#[test]
fn hyper_keep_alive_with_4_mib_bodies() {
    run(async {
        let (server, port) = listening().await;
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        smol::spawn(async move {
            while let Ok(sock) = server.accept().await {
                count.fetch_add(1, Ordering::Relaxed);
                smol::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(FuturesIo::new(sock), hyper::service::service_fn(echo_service))
                        .await;
                })
                .detach();
            }
        })
        .detach();
        let sock = net_smol::connect(port, "127.0.0.1");
        let (mut sender, conn) = hyper::client::conn::http1::handshake(FuturesIo::new(sock)).await.unwrap();
        smol::spawn(conn).detach();
        let pattern = Pattern::new(4);
        for i in 0..10 {
            let body = if i % 3 == 0 { pattern.bytes(4 * MIB) } else { format!("request {i}").into_bytes() };
            let req =
                Request::post("/echo").header("host", "localhost").body(Full::new(Bytes::from(body.clone())));
            timeout(LIMIT, sender.ready()).await.unwrap().expect("the connection stays usable");
            let resp = timeout(LIMIT, sender.send_request(req.unwrap())).await.unwrap().unwrap();
            assert_eq!(resp.status(), 200);
            let got = timeout(LIMIT, resp.into_body().collect()).await.unwrap().unwrap().to_bytes();
            assert!(got == body, "request {i}: {} bytes back of {}", got.len(), body.len());
        }
        assert_eq!(accepted.load(Ordering::Relaxed), 1, "one kept-alive connection");
    })
}

/// hyper's `header_read_timeout` drops connections that never finish their headers: each
/// closes, the server's count returns to zero and no accepted socket's descriptor stays open.
#[test]
fn hyper_header_timeouts_release_every_connection() {
    const CLIENTS: usize = 20;
    run(async {
        let (server, port) = listening().await;
        let server2 = server.clone();
        smol::spawn(async move {
            while let Ok(sock) = server2.accept().await {
                smol::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(SmolTimer::new())
                        .header_read_timeout(Duration::from_millis(200))
                        .serve_connection(FuturesIo::new(sock), hyper::service::service_fn(echo_service))
                        .await;
                })
                .detach();
            }
        })
        .detach();
        {
            let mut c = TcpStream::connect((LOCALHOST, port)).await.unwrap();
            let mut sink = Vec::new();
            timeout(LIMIT, c.read_to_end(&mut sink)).await.unwrap().unwrap();
        }
        eventually("warm-up connection gone", || server.get_connections() == 0).await;
        let mut clients = Vec::new();
        for _ in 0..CLIENTS {
            let mut c = TcpStream::connect((LOCALHOST, port)).await.unwrap();
            c.write_all(b"GET / HTTP/1.1\r\nhost: local").await.unwrap();
            clients.push(c);
        }
        eventually("all connections accepted", || server.get_connections() == CLIENTS).await;
        assert_eq!(open_connections_on(port), CLIENTS, "each accepted connection holds a descriptor");
        for c in &mut clients {
            let mut rest = Vec::new();
            timeout(LIMIT, c.read_to_end(&mut rest)).await.expect("EOF after the timeout").unwrap();
        }
        eventually("server count back to 0", || server.get_connections() == 0).await;
        eventually("every accepted descriptor released", || open_connections_on(port) == 0).await;
        drop(clients);
    })
}
