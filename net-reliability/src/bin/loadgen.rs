//! The load generator of the reliability tests, in its own process (so its descriptors do not
//! count against the server's), written on plain tokio.
//!
//! ```text
//! loadgen echo PORT CONNECTIONS BYTES    all connect, then each sends BYTES, half-closes and
//!                                         checks the echo; prints "intact K of N"
//! loadgen hold PORT CONNECTIONS          connects and holds until stdin closes; prints "held K"
//! loadgen slowloris PORT CONNECTIONS INTERVAL_MS DURATION_MS
//!                                         one byte per interval each; prints "closed K of N"
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Barrier;

fn arg(args: &[String], i: usize) -> u64 {
    args.get(i).and_then(|a| a.parse().ok()).unwrap_or_else(|| {
        eprintln!("usage: see the source");
        std::process::exit(2)
    })
}

async fn connect(port: u16) -> TcpStream {
    // A full accept queue drops SYNs; the kernel retries, so keep trying for a while.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match TcpStream::connect(("127.0.0.1", port)).await {
            Ok(s) => return s,
            Err(e) if Instant::now() < deadline => {
                eprintln!("connect: {e}; retrying");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("connect: {e}"),
        }
    }
}

#[tokio::main]
async fn main() {
    // The parent may have lowered its own limit before starting us (the descriptor tests).
    net_reliability::proc_stats::raise_nofile();
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).cloned().unwrap_or_default();
    let port = arg(&args, 2) as u16;
    let n = arg(&args, 3) as usize;
    match mode.as_str() {
        "echo" => {
            let bytes = arg(&args, 4) as usize;
            let barrier = Arc::new(Barrier::new(n));
            let intact = Arc::new(AtomicUsize::new(0));
            let started = Instant::now();
            let tasks: Vec<_> = (0..n)
                .map(|i| {
                    let barrier = Arc::clone(&barrier);
                    let intact = Arc::clone(&intact);
                    tokio::spawn(async move {
                        let mut s = connect(port).await;
                        // Every connection is open at once before any byte moves.
                        barrier.wait().await;
                        let payload = net_reliability::payload(i as u32, bytes);
                        let (mut r, mut w) = s.split();
                        let write = async {
                            w.write_all(&payload).await.expect("write");
                            w.shutdown().await.expect("shutdown");
                        };
                        let mut got = Vec::with_capacity(bytes);
                        let read = r.read_to_end(&mut got);
                        let (_, read) = tokio::join!(write, read);
                        read.expect("read");
                        if got == payload {
                            intact.fetch_add(1, Ordering::Relaxed);
                        }
                    })
                })
                .collect();
            for t in tasks {
                let _ = t.await;
            }
            let k = intact.load(Ordering::Relaxed);
            println!("intact {k} of {n} in {} ms", started.elapsed().as_millis());
            std::process::exit(if k == n { 0 } else { 1 });
        }
        "hold" => {
            let mut held = Vec::new();
            for _ in 0..n {
                held.push(connect(port).await);
            }
            println!("held {}", held.len());
            let mut line = String::new();
            let _ = tokio::task::spawn_blocking(move || std::io::stdin().read_line(&mut line)).await;
        }
        "slowloris" => {
            let interval = Duration::from_millis(arg(&args, 4));
            let duration = Duration::from_millis(arg(&args, 5));
            let closed = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..n)
                .map(|_| {
                    let closed = Arc::clone(&closed);
                    tokio::spawn(async move {
                        let mut s = connect(port).await;
                        let deadline = Instant::now() + duration;
                        let mut buf = [0u8; 64];
                        while Instant::now() < deadline {
                            if s.write_all(b"x").await.is_err() {
                                closed.fetch_add(1, Ordering::Relaxed);
                                return;
                            }
                            // Until the next byte is due, read what comes back (the echo); the
                            // server closing us meanwhile is what is measured.
                            let next = tokio::time::Instant::now() + interval;
                            loop {
                                match tokio::time::timeout_at(next, s.read(&mut buf)).await {
                                    Ok(Ok(0) | Err(_)) => {
                                        closed.fetch_add(1, Ordering::Relaxed);
                                        return;
                                    }
                                    Ok(Ok(_)) => {}
                                    Err(_) => break,
                                }
                            }
                        }
                    })
                })
                .collect();
            for t in tasks {
                let _ = t.await;
            }
            println!("closed {} of {n}", closed.load(Ordering::Relaxed));
        }
        _ => {
            eprintln!("usage: loadgen echo|hold|slowloris PORT CONNECTIONS …");
            std::process::exit(2);
        }
    }
}
