//! The harness over net-mio: the loop is turned only inside `next_event`.

use std::collections::HashMap;
use std::time::Instant;

use bytes::Bytes;
use net_core::{Endpoint, ListenOptions, NetError, ServerOptions, SocketHandle, SocketOptions};
use net_mio::{Event, EventLoop, ServerId, SocketId};

use crate::harness::{Harness, Observed, SockId, SrvId, Target, map_connection};

/// net-mio as a [`Harness`].
pub struct MioHarness {
    lp: EventLoop,
    sockets: Vec<SocketId>,
    ids: HashMap<SocketId, SockId>,
    servers: Vec<ServerId>,
    server_ids: HashMap<ServerId, SrvId>,
}

impl MioHarness {
    /// A harness with its own loop.
    pub fn new() -> Self {
        Self {
            lp: EventLoop::new().expect("mio poll"),
            sockets: Vec::new(),
            ids: HashMap::new(),
            servers: Vec::new(),
            server_ids: HashMap::new(),
        }
    }

    fn add_socket(&mut self, id: SocketId) -> SockId {
        let n = self.sockets.len();
        self.sockets.push(id);
        self.ids.insert(id, n);
        n
    }
}

impl Default for MioHarness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness for MioHarness {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn abort(&mut self, controller: &net_core::AbortController) {
        self.lp.abort(controller);
    }

    fn create_server(&mut self, opts: ServerOptions) -> SrvId {
        let id = self.lp.create_server(opts);
        let n = self.servers.len();
        self.servers.push(id);
        self.server_ids.insert(id, n);
        n
    }

    fn listen(&mut self, s: SrvId, opts: ListenOptions) -> Result<(), NetError> {
        self.lp.listen(self.servers[s], opts)
    }

    fn server_address(&mut self, s: SrvId) -> Option<Endpoint> {
        self.lp.address(self.servers[s])
    }

    fn listening(&mut self, s: SrvId) -> bool {
        self.lp.listening(self.servers[s])
    }

    fn close_server(&mut self, s: SrvId) -> Result<(), NetError> {
        self.lp.close_server(self.servers[s])
    }

    fn get_connections(&mut self, s: SrvId) -> usize {
        self.lp.get_connections(self.servers[s])
    }

    fn set_max_connections(&mut self, s: SrvId, max: Option<u32>) {
        self.lp.set_max_connections(self.servers[s], max);
    }

    fn connect(&mut self, to: Target, opts: SocketOptions) -> SockId {
        let id = match to {
            Target::Tcp(c) => self.lp.connect_with(*c, opts),
            Target::Ipc(p) => self.lp.connect_path_with(p, opts),
        };
        self.add_socket(id)
    }

    fn write(&mut self, c: SockId, data: Bytes) -> bool {
        self.lp.write(self.sockets[c], data)
    }

    fn with_core(&mut self, c: SockId, f: &mut dyn FnMut(&mut net_core::Socket, Instant)) {
        self.lp.socket(self.sockets[c]).with_core(|s, now| f(s, now));
    }

    fn inspect(&mut self, c: SockId, f: &mut dyn FnMut(&net_core::Socket)) {
        self.lp.socket(self.sockets[c]).inspect(|s| f(s));
    }

    fn next_event(&mut self, until: Instant) -> Option<Observed> {
        loop {
            if let Some(ev) = self.lp.next_event() {
                return Some(match ev {
                    Event::Socket(id, ev) => Observed::Socket(*self.ids.get(&id)?, ev),
                    Event::Server(id, ev) => {
                        let s = *self.server_ids.get(&id)?;
                        Observed::Server(s, map_connection(ev, |sock| self.add_socket(sock)))
                    }
                    _ => continue,
                });
            }
            let now = Instant::now();
            if now >= until {
                return None;
            }
            let _ = self.lp.run_once(Some(until - now));
        }
    }
}
