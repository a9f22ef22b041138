//! Node's `net` on a single-threaded mio event loop: the [`net_core`] state machines with Node's
//! own programming model — one thread, one poll loop, handles addressed by id, and events handed
//! to a handler (or pulled).
//!
//! ```no_run
//! use net_mio::{Event, EventLoop, ListenOptions, SocketHandle};
//! use net_core::{ServerOptions, SocketEvent};
//!
//! let mut lp = EventLoop::new().unwrap();
//! let server = lp.create_server(ServerOptions::default());
//! lp.listen(server, ListenOptions::tcp([127, 0, 0, 1].into(), 7000)).unwrap();
//! lp.run(|lp, event| match event {
//!     // An echo server, written as one would in Node.
//!     Event::Socket(id, SocketEvent::Data(data)) => {
//!         lp.write(id, data);
//!     }
//!     Event::Socket(id, SocketEvent::End) => lp.socket(id).end(),
//!     _ => {}
//! })
//! .unwrap();
//! ```

#[cfg(not(unix))]
compile_error!(
    "net-mio supports Unix-like systems only (tested on Linux): drives TCP and Unix-domain sockets through Unix APIs."
);

mod event_loop;
mod stream;

pub use event_loop::{
    CLOSED_KEPT, Event, EventLoop, ListenOptions, LoopHandle, ServerEvent, ServerHandler, ServerId,
    SocketCtx, SocketHandler, SocketId,
};
/// Node 26's `net.BoundSocket`, the kernel-side type shared with the async backends.
pub use net_async::{BindOptions, BoundSocket};
pub use net_core::{
    ConnectOptions, Endpoint, KeepAlive, NetError, ReadyState, ServerOptions, SocketEvent, SocketHandle,
    SocketOptions,
};
