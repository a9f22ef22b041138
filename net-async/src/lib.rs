//! Node's `net` as one async [`Socket`] and [`Server`] over a small [`Runtime`] trait: the layer
//! `net-tokio` and `net-smol` share, each of them only an [`OsRuntime`] adapter.
//!
//! The [`net_core`] state machines decide every behaviour; this crate moves bytes, readiness and
//! time between them and a runtime, written once:
//!
//! * [`Runtime`]: what a socket needs from the world (spawn, clock and timers, lookups, the
//!   kernel's connect, listen and accept, and readiness of a non-blocking stream);
//! * [`Os`]: a [`Runtime`] on the real kernel for any [`OsRuntime`] (spawn, timers, descriptor
//!   readiness, a blocking pool), with every socket call (socket2, std) written here.
//!
//! Users normally name a runtime's crate (`net_tokio::Socket` is `Socket<Os<Tokio>>`); code
//! written against `Socket<Rt>` for any `Rt: Runtime` runs on each of them.
//!
//! ```no_run
//! use net_async::{Runtime, Socket, SocketEvent};
//!
//! /// A protocol written once, for every runtime: count what the peer sent until it ends.
//! async fn count_bytes<Rt: Runtime>(sock: &Socket<Rt>) -> usize {
//!     let mut n = 0;
//!     while let Some(event) = sock.next_event().await {
//!         if let SocketEvent::Data(d) = event {
//!             n += d.len();
//!         }
//!     }
//!     n
//! }
//! ```

#[cfg(not(unix))]
compile_error!(
    "net-async supports Unix-like systems only (tested on Linux): drives TCP and Unix-domain sockets through Unix APIs."
);

mod addrs;
mod adopt;
mod api;
mod bound;
mod custom_lookup;
mod driver_task;
// Without an io-trait feature (net-mio uses only `sys`), its shared half goes unused.
#[cfg_attr(not(any(feature = "tokio", feature = "futures-io")), allow(dead_code))]
mod io_traits;
mod link;
mod os;
pub mod promises;
mod runtime;
mod server;
mod socket;
pub mod sys;

pub use addrs::{BindAddrs, Target};
pub use bound::{BindOptions, BoundSocket};
pub use net_core::{
    Chunk, ConnectOptions, Endpoint, KeepAlive, NetError, ReadyState, ServerOptions, SocketEvent,
    SocketHandle, SocketOptions,
};
pub use os::{Os, OsListener, OsRuntime, OsStream, OwnedSocket, Registered};
pub use runtime::{BoxFuture, Listener, Runtime, Stream};
pub use server::{DEFAULT_BACKLOG, ListenOptions, Server, ServerEvent, create_server};
pub use socket::{Socket, Write, connect, connect_path, connect_path_with};
