//! The harness over net-async, once for every runtime: the runtime runs only inside
//! `next_event`, as Node's loop runs only between a script's synchronous steps. A runtime gives
//! only a [`Loop`]: how to make its context current, and how to run it until a deadline.

use std::time::Instant;

use bytes::Bytes;
use net_async::{Runtime, Server, Socket};
use net_core::{Endpoint, ListenOptions, NetError, ServerOptions, SocketHandle, SocketOptions};

use crate::harness::{Harness, Observed, Pulled, SockId, SrvId, Target, map_connection, poll_one};

/// A runtime's loop as the harness drives it.
pub trait Loop {
    /// The runtime the sockets live on.
    type Rt: Runtime;
    /// Keeps the loop's context current while it lives.
    type Entered<'a>
    where
        Self: 'a;
    /// A loop of its own.
    fn new() -> Self;
    /// Make the loop's context current (sockets and servers made now belong to it).
    fn enter(&self) -> Self::Entered<'_>;
    /// The time on the loop's clock.
    fn now(&self) -> Instant {
        Instant::now()
    }
    /// Run the loop until `fut` is done (`Some`) or `until` passed (`None`).
    fn run_until<T>(&self, fut: impl Future<Output = T>, until: Instant) -> Option<T>;
}

/// net-async on the runtime of `L`, as a [`Harness`].
pub struct AsyncHarness<L: Loop> {
    rt: L,
    sockets: Vec<Socket<L::Rt>>,
    /// The socket handed out `close`: no more events.
    done: Vec<bool>,
    servers: Vec<Server<L::Rt>>,
}

impl<L: Loop> AsyncHarness<L> {
    /// A harness with a loop of its own.
    pub fn new() -> Self {
        Self { rt: L::new(), sockets: Vec::new(), done: Vec::new(), servers: Vec::new() }
    }

    fn add_socket(&mut self, sock: Socket<L::Rt>) -> SockId {
        self.sockets.push(sock);
        self.done.push(false);
        self.sockets.len() - 1
    }
}

impl<L: Loop> Default for AsyncHarness<L> {
    fn default() -> Self {
        Self::new()
    }
}

impl<L: Loop> Harness for AsyncHarness<L> {
    fn now(&self) -> Instant {
        self.rt.now()
    }

    fn create_server(&mut self, opts: ServerOptions) -> SrvId {
        let _rt = self.rt.enter();
        self.servers.push(Server::new(opts));
        self.servers.len() - 1
    }

    fn listen(&mut self, s: SrvId, opts: ListenOptions) -> Result<(), NetError> {
        let _rt = self.rt.enter();
        self.servers[s].listen(opts)
    }

    fn server_address(&mut self, s: SrvId) -> Option<Endpoint> {
        self.servers[s].address()
    }

    fn listening(&mut self, s: SrvId) -> bool {
        self.servers[s].listening()
    }

    fn close_server(&mut self, s: SrvId) -> Result<(), NetError> {
        let _rt = self.rt.enter();
        self.servers[s].close()
    }

    fn get_connections(&mut self, s: SrvId) -> usize {
        self.servers[s].get_connections()
    }

    fn set_max_connections(&mut self, s: SrvId, max: Option<u32>) {
        self.servers[s].set_max_connections(max);
    }

    fn connect(&mut self, to: Target, opts: SocketOptions) -> SockId {
        let sock = {
            let _rt = self.rt.enter();
            match to {
                Target::Tcp(c) => Socket::connect_with(*c, opts),
                Target::Ipc(p) => net_async::connect_path_with(p, opts),
            }
        };
        self.add_socket(sock)
    }

    fn write(&mut self, c: SockId, data: Bytes) -> bool {
        let _rt = self.rt.enter();
        self.sockets[c].write(data).accepted()
    }

    fn with_core(&mut self, c: SockId, f: &mut dyn FnMut(&mut net_core::Socket, Instant)) {
        // A command after `close` may queue one more event (a callback's failure).
        self.done[c] = false;
        let _rt = self.rt.enter();
        self.sockets[c].with_core(|s, now| f(s, now));
    }

    fn inspect(&mut self, c: SockId, f: &mut dyn FnMut(&net_core::Socket)) {
        self.sockets[c].inspect(|s| f(s));
    }

    fn next_event(&mut self, until: Instant) -> Option<Observed> {
        let (sockets, servers, done) = (&self.sockets, &self.servers, &mut self.done);
        let any = std::future::poll_fn(|cx| {
            // Sockets through `poll_next_event`: the harness drops each future right after polling it
            // and still expects the wake, which only the poll method's contract gives.
            poll_one(
                cx,
                servers,
                sockets,
                done,
                |s| Box::pin(s.next_event()),
                |s| Box::pin(std::future::poll_fn(move |cx| s.poll_next_event(cx))),
            )
        });
        let pulled = self.rt.run_until(any, until)?;
        Some(match pulled {
            Pulled::Socket(id, ev) => Observed::Socket(id, ev),
            Pulled::Server(id, ev) => Observed::Server(id, map_connection(ev, |sock| self.add_socket(sock))),
        })
    }
}
