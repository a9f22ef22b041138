//! Node.js `net` semantics as a sans-IO core.
//!
//! This crate decides every behaviour of a Node `net.Socket` and `net.Server` (lifecycle,
//! half-open, backpressure and `drain`, connection accounting, timeouts, errors) and does no IO:
//! it never touches a socket, never reads a clock, never spawns. Drivers (`net-tokio`,
//! `net-smol`, `net-mio`) move bytes and readiness; tests drive it with an in-memory wire and a
//! virtual clock.
//!
//! # The driving contract
//!
//! [`Socket`] and [`Server`] methods come in four kinds:
//!
//! * **Getters** (`&self`): [`Socket::ready_state`], [`Socket::writable_length`],
//!   [`Socket::bytes_read`], [`Socket::wants_read`], [`Socket::wants_write`], addresses, …
//! * **Inputs** from the driver: [`Socket::handle_io`] with an [`IoInput`] (`Connected`,
//!   `ConnectFailed`, `Read`, `ReadEof`, `Written(n)`, `ShutdownDone`, `Failed`), and
//!   [`Socket::handle_timeout`]; for servers [`Server::handle_listen`], [`Server::accept`] and
//!   [`Server::connection_closed`]. Each input carries `now`; time must not go backwards.
//! * **Commands** from the user, named as in Node: `connect`, `write`, `end`, `destroy`,
//!   `destroy_soon`, `reset_and_destroy`, `pause`, `resume`, `set_timeout`, `set_no_delay`,
//!   `set_keep_alive`; `listen`, `close`.
//! * **Outputs**, drained after every input or command in this order, looping until all are
//!   empty (an event poll can run deferred work that queues more):
//!   1. bytes to write: [`Socket::io_slices`] / [`Socket::transmit_chunks`], acknowledged with
//!      `IoInput::Written(n)` for any `n` the kernel took;
//!   2. [`Socket::poll_action`] ([`SocketAction`]: connect, shutdown, close, reset, options);
//!   3. [`Socket::poll_timeout`], the one deadline to arm;
//!   4. [`Socket::poll_event`] ([`SocketEvent`]), handed to the user.
//!
//! `write()` answers in two steps so the driver can try the kernel first, as libuv does:
//! [`Socket::write`] queues and returns a [`PendingWrite`]; the driver offers the queue to the
//! kernel; [`Socket::settle`] then gives Node's boolean.
//!
//! Events use Node's names and order. A socket emits `close` exactly once, last. Misuse by the
//! caller ([`ErrorKind::Misuse`]) is told apart from transport failures ([`ErrorKind::Transport`]).
//!
//! Deferred work stands in for Node's ticks: `ready` follows `connect` after the queued writes were
//! offered; the automatic `end()` of a socket without half-open runs after the user handled the
//! peer's `end`, so writes made in that handler still reach the peer.

#![forbid(unsafe_code)]

#[cfg(not(unix))]
compile_error!(
    "net-core supports Unix-like systems only (tested on Linux): maps operating-system errors by Unix errno."
);

mod addr;
pub use addr::{
    Arg, BlockList, ConnectionInfo, Endpoint, Family, PRIVATE_RANGES, SocketAddress, SocketAddressInit,
    fmt_ip, is_ip, is_ipv4, is_ipv6, parse_family, parse_ip_literal, scope_id, set_interface_index,
};

mod abort;
pub use abort::{AbortController, AbortListenerId, AbortSignal};

mod connect;
pub use connect::{
    ConnectOptions, DEFAULT_ATTEMPT_TIMEOUT, MIN_ATTEMPT_TIMEOUT, attempt_order, default_auto_select_family,
    default_auto_select_family_attempt_timeout, set_default_auto_select_family,
    set_default_auto_select_family_attempt_timeout,
};

pub mod driver;

pub mod lookup;

mod onread;
pub use lookup::{CustomLookup, LookupAddress, LookupCallback, LookupRequest, LookupResult};
pub use onread::OnReadBuffer;

mod chunk;
pub use chunk::Chunk;

pub mod io_view;

mod handle;
pub use handle::SocketHandle;

mod error;
pub use error::{ErrorCode, ErrorKind, NetError};

mod event;
pub use event::{ConnectionId, DropInfo, ServerAction, ServerEvent, SocketAction, SocketEvent, WriteId};

mod options;
pub use options::{
    DEFAULT_HIGH_WATER_MARK, KeepAlive, KeepAliveSettings, KeepAliveTiming, ListenOptions, ServerOptions,
    SocketOptions,
};

mod server;
pub use server::{Admission, Server};

mod socket;
pub use socket::{EndWrite, IoInput, PendingWrite, ReadyState, Socket};

pub mod sim;

mod timer;

mod validate;
pub use validate::{
    ConnectArgs, ConnectTarget, ListenArgs, ListenTarget, MAX_IPC_PATH_BYTES, TIMEOUT_MAX, validate_boolean,
    validate_int32, validate_port, validate_timeout, validate_type_of_service,
};

#[cfg(test)]
mod tests;
