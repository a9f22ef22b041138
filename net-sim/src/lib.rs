//! A deterministic simulator for Node.js `net` semantics: the third runtime beside net-tokio and
//! net-smol, where protocol code runs with no sockets and no real time, repeatably from a seed.
//!
//! * **A virtual clock.** Time only moves when no task can run; it jumps to the next timer or
//!   arrival. Timeouts of minutes take microseconds.
//! * **A seeded scheduler.** Among the tasks woken, the next to run is drawn from the seed: each
//!   seed is one interleaving, the same every run.
//! * **A simulated kernel with Linux's loopback semantics** ([`kernel`]), TCP and Unix sockets:
//!   FIN and half-close, RST on close with unread bytes (or `resetAndDestroy`), EPIPE and
//!   ECONNRESET where Linux gives them, ECONNREFUSED and ENOENT, a window per direction. The
//!   machine owns every address: listen on `10.0.0.1:80` and connect to it.
//! * **A DNS table** ([`Sim::dns`]): `localhost` answers `127.0.0.1`; other names what
//!   the test says, or ENOTFOUND.
//! * **Faults** drawn from the seed ([`Faults`]: latency, chunked reads, short writes, small
//!   windows, resets, refused and black-holed connects, descriptor exhaustion) or scripted
//!   ([`Sim::refuse`], [`Sim::black_hole`], [`Sim::reset_all`]).
//!
//! Code written against [`net_async::Socket<Rt>`] for any `Rt: Runtime` runs here unchanged;
//! this crate's [`Socket`], [`Server`], [`connect`] and [`create_server`] are the same names
//! net-tokio and net-smol give, on [`Rt`] (= [`SimRt`]). `Socket` implements futures-io's
//! `AsyncRead`/`AsyncWrite` (feature `futures-io`, on by default) and tokio's (feature `tokio`).
//!
//! ```
//! use net_sim::{ServerEvent, Sim, SocketEvent, SocketHandle};
//! use net_sim::{ListenOptions, ServerOptions};
//!
//! let sim = Sim::new(7);
//! let echoed = sim.block_on(async {
//!     let server = net_sim::create_server(ServerOptions::default());
//!     server.listen(ListenOptions::tcp("127.0.0.1".parse().unwrap(), 80)).unwrap();
//!     assert!(matches!(server.next_event().await, ServerEvent::Listening));
//!     sim_spawn(async move {
//!         // An echo server.
//!         while let ServerEvent::Connection(sock) = server.next_event().await {
//!             sim_spawn(async move {
//!                 while let Some(ev) = sock.next_event().await {
//!                     match ev {
//!                         SocketEvent::Data(d) => drop(sock.write(d)),
//!                         SocketEvent::End => sock.end(),
//!                         _ => {}
//!                     }
//!                 }
//!             });
//!         }
//!     });
//!     let client = net_sim::connect(80, "localhost");
//!     let _ = client.write(&b"ping"[..]);
//!     client.end();
//!     let mut got = Vec::new();
//!     while let Some(ev) = client.next_event().await {
//!         if let SocketEvent::Data(d) = ev {
//!             got.extend_from_slice(&d);
//!         }
//!     }
//!     got
//! });
//! assert_eq!(echoed.unwrap(), b"ping");
//!
//! fn sim_spawn(task: impl std::future::Future<Output = ()> + Send + 'static) {
//!     use net_sim::Runtime;
//!     net_sim::Rt::try_current().unwrap().spawn(task);
//! }
//! ```
//!
//! The crate's `tests/line_protocol.rs` is the worked example: a line-based request/response
//! server and client property-tested with proptest under random faults.

#![forbid(unsafe_code)]

mod executor;
mod faults;
pub use net_core::sim::kernel;
pub mod listeners;
mod rng;
mod runtime;
mod stream;
mod world;

pub use faults::{Faults, SYN_TIMEOUT};
pub use net_async::Runtime;
pub use runtime::{EnterGuard, Schedule, Sim, SimError, SimRt};
pub use stream::{SimListener, SimStream, SimTimer};

net_async::runtime_api!(SimRt);
