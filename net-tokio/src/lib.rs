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

pub use net_async::{DEFAULT_BACKLOG, ListenOptions};
pub use net_core::{
    Chunk, ConnectOptions, Endpoint, KeepAlive, NetError, ReadyState, ServerOptions, SocketEvent,
    SocketHandle, SocketOptions,
};
pub use runtime::{Tokio, TokioIo};

/// The runtime net-tokio's sockets run on: the real kernel under tokio.
pub type Rt = net_async::Os<Tokio>;

/// A Node `net.Socket` on tokio ([`net_async::Socket`]): Node's commands and events, and
/// tokio's `AsyncRead + AsyncWrite`.
///
/// Made on the tokio runtime of the calling context (a socket's IO and tasks belong to it).
pub type Socket = net_async::Socket<Rt>;

/// A Node `net.Server` on tokio ([`net_async::Server`]).
pub type Server = net_async::Server<Rt>;

/// What a server tells its user: `listening`, `connection(Socket)`, `drop`, `error`, `close`.
pub type ServerEvent = net_async::ServerEvent<Rt>;

/// What [`Socket::write`] answered: Node's boolean, or awaited, `io::Result<usize>`.
pub type Write<'a> = net_async::Write<'a, Rt>;

/// `net.connect(port, host)`: a socket connecting by name or address with Node's defaults.
///
/// # Panics
/// Outside a tokio runtime (the socket's IO is registered with the current runtime).
pub fn connect(port: u16, host: &str) -> Socket {
    net_async::connect(port, host)
}

/// `net.connect(path)`: a socket connecting to a Unix-domain socket.
///
/// # Panics
/// Outside a tokio runtime.
pub fn connect_path(path: impl Into<std::path::PathBuf>) -> Socket {
    net_async::connect_path(path)
}

/// `net.connect({path, ...options})`: a Unix-domain socket with these socket options.
///
/// # Panics
/// Outside a tokio runtime.
pub fn connect_path_with(path: impl Into<std::path::PathBuf>, opts: SocketOptions) -> Socket {
    net_async::connect_path_with(path, opts)
}

/// `net.createServer(options)`.
pub fn create_server(opts: ServerOptions) -> Server {
    net_async::create_server(opts)
}
