//! Node's `net` on tokio: the [`net_core`] state machines driven over real TCP and Unix sockets.
//!
//! The core decides every behaviour; this crate only moves bytes, readiness and time. Commands
//! run inline (a `write` is offered to the kernel before it answers, as libuv does), and the
//! task waiting in `next_event` reads what becomes readable in its own turn. A socket's driver
//! task, spawned the first time it is needed, waits for the rest: timers, room to write,
//! lookups and connects, and readability while nobody waits for an event.
//!
//! Node's way: events, in Node's order.
//!
//! ```no_run
//! # async fn demo() -> Result<(), net_core::NetError> {
//! use net_tokio::{ListenOptions, Server, connect};
//! let server = Server::new(Default::default());
//! server.listen(ListenOptions::tcp([127, 0, 0, 1].into(), 0))?;
//! let port = server.address().and_then(|a| a.tcp()).unwrap().port();
//! let client = connect(port, "127.0.0.1");
//! if !client.write("hello") {
//!     client.drained().await; // Node's 'drain'
//! }
//! client.end();
//! let conn = server.accept().await.unwrap();
//! while let Some(event) = conn.next_event().await {
//!     println!("{event:?}");
//! }
//! # Ok(()) }
//! ```
//!
//! Rust's way: the same sockets as `AsyncRead + AsyncWrite`, for codecs, TLS and HTTP crates
//! (see [`Socket`] for the io-trait contract: half-close, drop, errors).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! let server = net_tokio::Server::bind("127.0.0.1:0").await?;
//! let mut client = net_tokio::connect(server.local_addr()?.port(), "127.0.0.1");
//! client.write(b"ping").await?;
//! client.shutdown().await?;
//! let mut conn = server.accept().await?;
//! let mut got = String::new();
//! conn.read_to_string(&mut got).await?;
//! conn.write_all(b"pong").await?;
//! # Ok(()) }
//! ```

#[cfg(not(unix))]
compile_error!(
    "net-tokio supports Unix-like systems only (tested on Linux): drives TCP and Unix-domain sockets through Unix APIs."
);

mod runtime;

pub use runtime::{Tokio, TokioIo};

net_async::runtime_api!(net_async::Os<Tokio>);
