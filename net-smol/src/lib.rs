//! Node's `net` on smol: the [`net_core`] state machines driven over real TCP and Unix sockets
//! registered with async-io's reactor.
//!
//! The same surface as `net-tokio`; the core decides every behaviour, and the core's
//! [`net_core::driver`] carries out its outputs, so this crate only waits.
//!
//! Node's way: events, in Node's order.
//!
//! ```no_run
//! smol::block_on(async {
//!     use net_smol::{ListenOptions, Server, connect};
//!     let server = Server::new(Default::default());
//!     server.listen(ListenOptions::tcp([127, 0, 0, 1].into(), 0)).unwrap();
//!     let port = server.address().and_then(|a| a.tcp()).unwrap().port();
//!     let client = connect(port, "127.0.0.1");
//!     client.write("hello");
//!     client.end();
//!     let conn = server.accept().await.unwrap();
//!     while let Some(event) = conn.next_event().await {
//!         println!("{event:?}");
//!     }
//! });
//! ```
//!
//! Rust's way: the same sockets as `futures-io` `AsyncRead + AsyncWrite` (see [`Socket`] for
//! the io-trait contract: half-close, drop, errors).
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> { smol::block_on(async {
//! use smol::io::{AsyncReadExt, AsyncWriteExt};
//! let server = net_smol::Server::bind("127.0.0.1:0").await?;
//! let mut client = net_smol::connect(server.local_addr()?.port(), "127.0.0.1");
//! client.write(b"ping").await?;
//! client.close().await?;
//! let mut conn = server.accept().await?;
//! let mut got = String::new();
//! conn.read_to_string(&mut got).await?;
//! conn.write_all(b"pong").await?;
//! # Ok(()) }) }
//! ```

#[cfg(not(unix))]
compile_error!(
    "net-smol supports Unix-like systems only (tested on Linux): drives TCP and Unix-domain sockets through Unix APIs."
);

mod runtime;
mod spawn;

pub use runtime::{Smol, SmolIo};
pub use spawn::{EnterGuard, enter};

net_async::runtime_api!(net_async::Os<Smol>);
