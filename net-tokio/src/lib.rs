//! Node's `net` on tokio: the [`net_core`] state machines driven over real TCP and Unix sockets.
//!
//! The core decides every behaviour; this crate only moves bytes, readiness and time. Commands
//! run inline (a `write` is offered to the kernel before it answers, as libuv does), and the
//! task waiting in `next_event` reads what becomes readable in its own turn. A socket's driver
//! task, spawned the first time it is needed, waits for the rest: timers, room to write,
//! lookups and connects, and readability while nobody waits for an event.
//!
//! ```no_run
//! # async fn demo() -> Result<(), net_core::NetError> {
//! use net_tokio::{ListenOptions, Server, SocketHandle, connect};
//! let server = Server::new(Default::default());
//! server.listen(ListenOptions::tcp([127, 0, 0, 1].into(), 0))?;
//! let port = server.address().and_then(|a| a.tcp()).unwrap().port();
//! let client = connect(port, "127.0.0.1");
//! client.write("hello");
//! client.end();
//! let conn = server.accept().await.unwrap();
//! while let Some(event) = conn.next_event().await {
//!     println!("{event:?}");
//! }
//! # Ok(()) }
//! ```

#[cfg(not(unix))]
compile_error!(
    "net-tokio supports Unix-like systems only (tested on Linux): drives TCP and Unix-domain sockets through Unix APIs."
);

mod server;
mod socket;
mod stream;

pub use net_core::{
    Chunk, ConnectOptions, Endpoint, KeepAlive, NetError, ReadyState, ServerOptions, SocketEvent,
    SocketHandle, SocketOptions,
};
pub use server::{DEFAULT_BACKLOG, ListenOptions, Server, ServerEvent, create_server};
pub use socket::{Socket, Write, connect, connect_path, connect_path_with};
