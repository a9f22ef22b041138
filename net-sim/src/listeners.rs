//! The simulated machine's listening sockets and addresses: which listener a connect reaches,
//! which ports are held, which socket files exist, and the ephemeral ports connections get.
//!
//! The machine owns every address: a server may listen on `10.0.0.1:80` and a client connect
//! to it, as if every host of a test ran on one kernel.

use std::collections::BTreeSet;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use net_core::driver;
use net_core::{ConnectionInfo, Endpoint, ListenOptions, NetError};

use libc::{EADDRINUSE, ECONNREFUSED, ENOENT};

/// A listener's handle in [`Listeners`].
pub type ListenerId = usize;

/// The first ephemeral port handed out, less one.
const FIRST_PORT: u16 = 30000;

/// Every listening socket and socket file of the simulated machine.
#[derive(Debug)]
pub struct Listeners {
    bound: Vec<Option<Endpoint>>,
    files: BTreeSet<PathBuf>,
    next_port: u16,
}

impl Default for Listeners {
    fn default() -> Self {
        Self { bound: Vec::new(), files: BTreeSet::new(), next_port: FIRST_PORT }
    }
}

impl Listeners {
    /// A fresh ephemeral port.
    pub fn ephemeral(&mut self) -> u16 {
        self.next_port = self.next_port.checked_add(1).unwrap_or(FIRST_PORT + 1);
        self.next_port
    }

    /// Whether a listener holds `addr`'s port on its address (SO_REUSEADDR does not share a
    /// listening port; the unspecified address overlaps every other).
    pub fn port_in_use(&self, addr: SocketAddr) -> bool {
        self.bound.iter().flatten().any(|b| match b {
            Endpoint::Tcp(b) => {
                b.port() == addr.port()
                    && (b.ip() == addr.ip() || b.ip().is_unspecified() || addr.ip().is_unspecified())
            }
            Endpoint::Ipc(_) => false,
        })
    }

    /// The listener a connect to `to` reaches (`::` takes IPv4 too, `0.0.0.0` IPv4 only).
    pub fn find(&self, to: &Endpoint) -> Option<ListenerId> {
        self.bound.iter().position(|b| match (b, to) {
            (Some(Endpoint::Tcp(b)), Endpoint::Tcp(a)) => {
                b.port() == a.port()
                    && (b.ip() == a.ip() || (b.ip().is_unspecified() && (b.is_ipv6() || a.is_ipv4())))
            }
            (Some(Endpoint::Ipc(b)), Endpoint::Ipc(a)) => b == a,
            _ => false,
        })
    }

    /// Where listener `id` is bound.
    pub fn endpoint(&self, id: ListenerId) -> Option<&Endpoint> {
        self.bound.get(id).and_then(Option::as_ref)
    }

    /// The errno of a connect to `to` that reaches no listener: ENOENT for a socket file that
    /// does not exist, ECONNREFUSED otherwise.
    pub fn refused(&self, to: &Endpoint) -> i32 {
        match to {
            Endpoint::Ipc(p) if !self.files.contains(p) => ENOENT,
            _ => ECONNREFUSED,
        }
    }

    /// Bind as libuv does, with Node's errors ([`driver::bind_listener`]), without registering:
    /// ports held answer EADDRINUSE, port 0 takes an ephemeral one, a socket file that exists
    /// answers EADDRINUSE, and one whose directory is missing (`parent_missing`) ENOENT.
    pub fn bind(
        &mut self,
        at: &Endpoint,
        opts: &ListenOptions,
        parent_missing: impl Fn(&Path) -> bool,
    ) -> Result<Endpoint, NetError> {
        let mut next = self.next_port;
        let this = &*self;
        let bound = driver::bind_listener(
            at,
            opts,
            |addr, _| {
                if addr.port() != 0 && this.port_in_use(addr) {
                    return Err(io::Error::from_raw_os_error(EADDRINUSE));
                }
                if addr.port() != 0 {
                    return Ok(addr);
                }
                next += 1;
                Ok(SocketAddr::new(addr.ip(), next))
            },
            |a| Ok(*a),
            |path, _| {
                if this.files.contains(path) {
                    return Err(io::Error::from_raw_os_error(EADDRINUSE));
                }
                if parent_missing(path) {
                    return Err(io::Error::from_raw_os_error(ENOENT));
                }
                Ok(SocketAddr::new(IpAddr::from([0, 0, 0, 0]), 0))
            },
        );
        self.next_port = next;
        bound.map(|(_, ep)| ep)
    }

    /// Start listening at `ep` (from [`Listeners::bind`]); a socket file comes to exist.
    pub fn register(&mut self, ep: Endpoint) -> ListenerId {
        if let Endpoint::Ipc(p) = &ep {
            self.files.insert(p.clone());
        }
        self.bound.push(Some(ep));
        self.bound.len() - 1
    }

    /// [`Listeners::bind`] and [`Listeners::register`].
    pub fn listen(
        &mut self,
        at: &Endpoint,
        opts: &ListenOptions,
        parent_missing: impl Fn(&Path) -> bool,
    ) -> Result<(ListenerId, Endpoint), NetError> {
        let ep = self.bind(at, opts, parent_missing)?;
        Ok((self.register(ep.clone()), ep))
    }

    /// Stop listener `id`; its socket file is removed (Node unlinks it on close).
    pub fn close(&mut self, id: ListenerId) {
        if let Some(Some(Endpoint::Ipc(path))) = self.bound.get_mut(id).map(Option::take) {
            self.files.remove(&path);
        }
    }

    /// Both ends' addresses of a TCP connection from `local` (if bound) to `to`, accepted by
    /// listener `id`, as each end sees them: the client's port is ephemeral unless bound, and a
    /// dual-stack listener (`::`) sees IPv4 peers as IPv4-mapped IPv6, as Linux does.
    pub fn tcp_ends(
        &mut self,
        id: ListenerId,
        to: SocketAddr,
        local: Option<SocketAddr>,
    ) -> (ConnectionInfo, ConnectionInfo) {
        let port = self.ephemeral();
        let me = local.map_or_else(
            || SocketAddr::new(to.ip(), port),
            |l| SocketAddr::new(l.ip(), if l.port() == 0 { port } else { l.port() }),
        );
        let dual = matches!(self.endpoint(id), Some(Endpoint::Tcp(b)) if b.is_ipv6());
        let seen = |a: SocketAddr| match a.ip() {
            IpAddr::V4(v4) if dual => SocketAddr::new(IpAddr::V6(v4.to_ipv6_mapped()), a.port()),
            _ => a,
        };
        (ConnectionInfo::tcp(me, to), ConnectionInfo::tcp(seen(to), seen(me)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(s: &str) -> Endpoint {
        Endpoint::Tcp(s.parse().unwrap())
    }

    #[test]
    fn the_unspecified_addresses_reach_as_linux_does() {
        let mut l = Listeners::default();
        let any4 = l.register(tcp("0.0.0.0:80"));
        let any6 = l.register(tcp("[::]:81"));
        assert_eq!(l.find(&tcp("10.1.2.3:80")), Some(any4));
        assert_eq!(l.find(&tcp("[::1]:80")), None, "0.0.0.0 takes IPv4 only");
        assert_eq!(l.find(&tcp("127.0.0.1:81")), Some(any6), ":: is dual-stack");
        assert!(l.port_in_use("127.0.0.1:80".parse().unwrap()));
        let (_, server) = l.tcp_ends(any6, "127.0.0.1:81".parse().unwrap(), None);
        assert_eq!(server.local, Some("[::ffff:127.0.0.1]:81".parse().unwrap()));
    }

    #[test]
    fn socket_files_exist_while_listened_on() {
        let mut l = Listeners::default();
        let at = Endpoint::Ipc("/virtual/s.sock".into());
        assert_eq!(l.refused(&at), ENOENT);
        let (id, _) = l.listen(&at, &ListenOptions::path("/virtual/s.sock"), |_| false).unwrap();
        let again = l.listen(&at, &ListenOptions::path("/virtual/s.sock"), |_| false);
        assert_eq!(again.unwrap_err().code(), "EADDRINUSE");
        l.close(id);
        assert_eq!(l.find(&at), None);
        assert_eq!(l.refused(&at), ENOENT);
    }
}
