//! The same echo server written directly on each runtime, with no net-core in between: the
//! baseline the benchmarks compare the backends with. The fastest idiomatic version of each: one
//! task (or one loop) per connection, a 64 KiB buffer, read then write all.
//!
//! ```text
//! plain-echo --runtime tokio|smol|mio --listen ADDR
//! ```

use std::io::{Read, Write};

use examples::{Addr, addr_arg, usage_error, value_of};

const USAGE: &str = "plain-echo --runtime tokio|smol|mio --listen ADDR";

fn announce(addr: String) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {addr}");
    let _ = out.flush();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = value_of(&args, "--runtime").unwrap_or_else(|| usage_error("--runtime is required", USAGE));
    let listen = addr_arg(&args, "--listen", USAGE);
    match runtime.as_str() {
        "tokio" => examples::tokio_block_on(plain_tokio(listen)),
        "smol" => smol::block_on(plain_smol(listen)),
        "mio" => plain_mio(listen),
        other => usage_error(&format!("unknown runtime '{other}'"), USAGE),
    }
}

async fn plain_tokio(listen: Addr) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    async fn serve<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(mut s: S) {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = s.read(&mut buf).await {
            if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    }
    match listen {
        Addr::Tcp(a) => {
            let l = tokio::net::TcpListener::bind(a).await.unwrap();
            announce(l.local_addr().unwrap().to_string());
            while let Ok((s, _)) = l.accept().await {
                drop(tokio::spawn(serve(s)));
            }
        }
        Addr::Unix(p) => {
            let l = tokio::net::UnixListener::bind(&p).unwrap();
            announce(p.display().to_string());
            while let Ok((s, _)) = l.accept().await {
                drop(tokio::spawn(serve(s)));
            }
        }
    }
}

async fn plain_smol(listen: Addr) {
    use smol::io::{AsyncReadExt, AsyncWriteExt};
    async fn serve<S: smol::io::AsyncRead + smol::io::AsyncWrite + Unpin>(mut s: S) {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = s.read(&mut buf).await {
            if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    }
    match listen {
        Addr::Tcp(a) => {
            let l = smol::net::TcpListener::bind(a).await.unwrap();
            announce(l.local_addr().unwrap().to_string());
            while let Ok((s, _)) = l.accept().await {
                smol::spawn(serve(s)).detach();
            }
        }
        Addr::Unix(p) => {
            let l = smol::net::unix::UnixListener::bind(&p).unwrap();
            announce(p.display().to_string());
            while let Ok((s, _)) = l.accept().await {
                smol::spawn(serve(s)).detach();
            }
        }
    }
}

/// One mio loop: read until WouldBlock, write what was read (buffering the unwritten rest).
fn plain_mio(listen: Addr) {
    use mio::net::{TcpListener, UnixListener};
    use mio::{Events, Interest, Poll, Token};
    enum L {
        Tcp(TcpListener),
        Unix(UnixListener),
    }
    enum S {
        Tcp(mio::net::TcpStream),
        Unix(mio::net::UnixStream),
    }
    impl S {
        fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
            match self {
                Self::Tcp(s) => s.read(b),
                Self::Unix(s) => s.read(b),
            }
        }
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            match self {
                Self::Tcp(s) => s.write(b),
                Self::Unix(s) => s.write(b),
            }
        }
    }
    let mut poll = Poll::new().unwrap();
    let mut listener = match listen {
        Addr::Tcp(a) => {
            let l = TcpListener::bind(a).unwrap();
            announce(l.local_addr().unwrap().to_string());
            L::Tcp(l)
        }
        Addr::Unix(p) => {
            let l = UnixListener::bind(&p).unwrap();
            announce(p.display().to_string());
            L::Unix(l)
        }
    };
    let _ = match &mut listener {
        L::Tcp(l) => poll.registry().register(l, Token(usize::MAX), Interest::READABLE),
        L::Unix(l) => poll.registry().register(l, Token(usize::MAX), Interest::READABLE),
    };
    let mut conns: slab_like::Slab<(S, Vec<u8>)> = slab_like::Slab::default();
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // EINTR (a signal, a tracer attaching) is a spurious wake, not a failure.
        match poll.poll(&mut events, None) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            r => r.unwrap(),
        }
        for ev in &events {
            if ev.token() == Token(usize::MAX) {
                loop {
                    let s = match &listener {
                        L::Tcp(l) => l.accept().map(|(s, _)| S::Tcp(s)),
                        L::Unix(l) => l.accept().map(|(s, _)| S::Unix(s)),
                    };
                    let Ok(mut s) = s else { break };
                    let key = conns.vacant();
                    let _ = match &mut s {
                        S::Tcp(t) => {
                            poll.registry().register(t, Token(key), Interest::READABLE | Interest::WRITABLE)
                        }
                        S::Unix(u) => {
                            poll.registry().register(u, Token(key), Interest::READABLE | Interest::WRITABLE)
                        }
                    };
                    conns.insert(key, (s, Vec::new()));
                }
                continue;
            }
            let key = ev.token().0;
            let mut closed = false;
            if let Some((s, pending)) = conns.get_mut(key) {
                // Flush what is pending, then read (and echo) until WouldBlock.
                while !pending.is_empty() {
                    match s.write(pending) {
                        Ok(n) => drop(pending.drain(..n)),
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                        Err(_) => {
                            closed = true;
                            break;
                        }
                    }
                }
                while pending.is_empty() && !closed {
                    match s.read(&mut buf) {
                        Ok(0) => closed = true,
                        Ok(n) => {
                            let mut off = 0;
                            while off < n {
                                match s.write(&buf[off..n]) {
                                    Ok(w) => off += w,
                                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                                        pending.extend_from_slice(&buf[off..n]);
                                        break;
                                    }
                                    Err(_) => {
                                        closed = true;
                                        break;
                                    }
                                }
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                        Err(_) => closed = true,
                    }
                }
            }
            if closed {
                conns.remove(key);
            }
        }
    }
}

/// A tiny slab (key reuse) so the plain mio loop needs nothing beyond mio.
mod slab_like {
    pub(crate) struct Slab<T> {
        items: Vec<Option<T>>,
        free: Vec<usize>,
    }

    impl<T> Default for Slab<T> {
        fn default() -> Self {
            Self { items: Vec::new(), free: Vec::new() }
        }
    }

    impl<T> Slab<T> {
        pub(crate) fn vacant(&mut self) -> usize {
            self.free.pop().unwrap_or_else(|| {
                self.items.push(None);
                self.items.len() - 1
            })
        }
        pub(crate) fn insert(&mut self, key: usize, v: T) {
            self.items[key] = Some(v);
        }
        pub(crate) fn get_mut(&mut self, key: usize) -> Option<&mut T> {
            self.items.get_mut(key).and_then(Option::as_mut)
        }
        pub(crate) fn remove(&mut self, key: usize) {
            if self.items.get_mut(key).and_then(Option::take).is_some() {
                self.free.push(key);
            }
        }
    }
}
