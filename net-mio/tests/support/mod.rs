//! The loop driven as a Node program: a harness shared by the loopback and interop tests.
#![allow(dead_code)] // each test file uses a different part

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use net_core::sim::describe;
use net_core::{ServerOptions, SocketEvent};
use net_mio::{Event, EventLoop, ListenOptions, ServerEvent, ServerId, SocketId};

pub(crate) const LIMIT: Duration = Duration::from_secs(20);
pub(crate) const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The loop plus every event seen, per handle.
pub(crate) struct H {
    pub(crate) lp: EventLoop,
    pub(crate) sockets: HashMap<SocketId, Vec<String>>,
    pub(crate) data: HashMap<SocketId, Vec<u8>>,
    pub(crate) servers: HashMap<ServerId, Vec<ServerEvent>>,
    pub(crate) accepted: Vec<SocketId>,
}

impl H {
    pub(crate) fn new() -> Self {
        Self {
            lp: EventLoop::new().unwrap(),
            sockets: HashMap::new(),
            data: HashMap::new(),
            servers: HashMap::new(),
            accepted: Vec::new(),
        }
    }

    /// Turn the loop, recording events and letting `react` answer them, until `done`.
    pub(crate) fn until(
        &mut self,
        mut react: impl FnMut(&mut EventLoop, &Event),
        done: impl Fn(&Self) -> bool,
    ) {
        let deadline = Instant::now() + LIMIT;
        loop {
            while let Some(ev) = self.lp.next_event() {
                match &ev {
                    Event::Socket(id, SocketEvent::Data(d)) => {
                        self.data.entry(*id).or_default().extend_from_slice(d)
                    }
                    Event::Socket(id, other) => self.sockets.entry(*id).or_default().push(describe(other)),
                    Event::Server(id, e) => {
                        if let ServerEvent::Connection(s) = e {
                            self.accepted.push(*s);
                        }
                        self.servers.entry(*id).or_default().push(e.clone());
                    }
                    other => panic!("an event these tests do not know: {other:?}"),
                }
                react(&mut self.lp, &ev);
            }
            if done(self) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out; sockets: {:?}", self.sockets);
            self.lp.run_once(Some(Duration::from_millis(20))).unwrap();
        }
    }

    pub(crate) fn log(&self, id: SocketId) -> Vec<String> {
        self.sockets.get(&id).cloned().unwrap_or_default()
    }

    pub(crate) fn closed(&self, id: SocketId) -> bool {
        self.log(id).last().is_some_and(|l| l.starts_with("close"))
    }

    pub(crate) fn listening(&mut self, opts: ServerOptions, at: ListenOptions) -> (ServerId, u16) {
        let server = self.lp.create_server(opts);
        self.lp.listen(server, at).unwrap();
        self.until(|_, _| {}, |h| h.servers.get(&server).is_some_and(|e| !e.is_empty()));
        assert_eq!(self.servers[&server][0], ServerEvent::Listening);
        let port = self.lp.address(server).and_then(|a| a.tcp()).map_or(0, |a| a.port());
        (server, port)
    }

    pub(crate) fn accept(&mut self) -> SocketId {
        let n = self.accepted.len();
        self.until(|_, _| {}, |h| h.accepted.len() > n);
        self.accepted[n]
    }
}

pub(crate) fn no_reaction(_: &mut EventLoop, _: &Event) {}
