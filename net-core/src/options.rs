//! Typed options with Node 26's defaults.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::addr::{BlockList, Endpoint};

/// Node 26's default high-water mark for byte streams (`stream.getDefaultHighWaterMark(false)`).
/// Node 20 used 16384.
pub const DEFAULT_HIGH_WATER_MARK: usize = 65536;

/// Keep-alive settings as Node 26's `setKeepAlive(enable, initialDelay, interval, count)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeepAlive {
    /// `SO_KEEPALIVE` on or off.
    pub enable: bool,
    /// Idle time before the first probe (`TCP_KEEPIDLE`); Node truncates to whole seconds.
    pub initial_delay: Duration,
    /// Time between probes (`TCP_KEEPINTVL`); Node's default is 1 s.
    pub interval: Option<Duration>,
    /// Probes before giving up (`TCP_KEEPCNT`); Node's default is 10.
    pub count: Option<u32>,
}

impl KeepAlive {
    /// Keep-alive on with an initial delay and Node's defaults for the rest.
    pub fn on(initial_delay: Duration) -> Self {
        Self { enable: true, initial_delay, interval: None, count: None }
    }

    /// Keep-alive off.
    pub fn off() -> Self {
        Self::default()
    }

    /// The kernel settings Node applies: whole seconds, interval 1 s and count 10 when missing,
    /// and nothing but `SO_KEEPALIVE` when any value truncates to zero.
    pub fn resolve(&self) -> KeepAliveSettings {
        if !self.enable {
            return KeepAliveSettings { enable: false, timing: None };
        }
        let idle = self.initial_delay.as_secs();
        let interval = self.interval.map_or(1, |d| d.as_secs());
        let count = self.count.unwrap_or(10);
        let timing = (idle > 0 && interval > 0 && count > 0).then(|| KeepAliveTiming {
            idle_secs: u32::try_from(idle).unwrap_or(u32::MAX),
            interval_secs: u32::try_from(interval).unwrap_or(u32::MAX),
            count,
        });
        KeepAliveSettings { enable: true, timing }
    }
}

/// What the driver sets on the kernel socket for a [`KeepAlive`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepAliveSettings {
    /// `SO_KEEPALIVE`.
    pub enable: bool,
    /// `TCP_KEEPIDLE`/`TCP_KEEPINTVL`/`TCP_KEEPCNT`, or `None` to leave the kernel's values.
    pub timing: Option<KeepAliveTiming>,
}

/// Keep-alive timing in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepAliveTiming {
    /// `TCP_KEEPIDLE`.
    pub idle_secs: u32,
    /// `TCP_KEEPINTVL`.
    pub interval_secs: u32,
    /// `TCP_KEEPCNT`.
    pub count: u32,
}

/// Options of one socket (`new net.Socket(options)` plus the socket-level parts of `connect`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketOptions {
    /// Keep the writable side open after the peer's FIN (default `false`).
    pub allow_half_open: bool,
    /// Queue length at which `write()` starts returning `false` (Node 26: 65536).
    pub writable_high_water_mark: usize,
    /// Bytes buffered while paused before the driver stops reading (Node 26: 65536).
    pub readable_high_water_mark: usize,
    /// `TCP_NODELAY` on connect.
    pub no_delay: bool,
    /// Keep-alive on connect.
    pub keep_alive: Option<KeepAlive>,
    /// Idle timeout armed at creation (`connect({timeout})`).
    pub timeout: Option<Duration>,
    /// Start paused, not reading (set on sockets accepted by a `pauseOnConnect` server).
    pub pause_on_connect: bool,
    /// `typeOfService` (Node 25.6+): set on the descriptor once connected, TCP only
    /// ([`Socket::set_type_of_service`](crate::Socket::set_type_of_service)).
    pub type_of_service: Option<u8>,
    /// `signal`: aborting it destroys the socket with an `AbortError`, in whatever phase
    /// ([`Socket::abort`](crate::Socket::abort)); the driver listens to it.
    pub signal: Option<crate::AbortSignal>,
}

impl Default for SocketOptions {
    fn default() -> Self {
        Self {
            allow_half_open: false,
            writable_high_water_mark: DEFAULT_HIGH_WATER_MARK,
            readable_high_water_mark: DEFAULT_HIGH_WATER_MARK,
            no_delay: false,
            keep_alive: None,
            timeout: None,
            pause_on_connect: false,
            type_of_service: None,
            signal: None,
        }
    }
}

impl SocketOptions {
    /// Set both high-water marks, as Node's `highWaterMark` option does.
    pub fn high_water_mark(mut self, bytes: usize) -> Self {
        self.writable_high_water_mark = bytes;
        self.readable_high_water_mark = bytes;
        self
    }

    /// Set `allow_half_open`.
    pub fn allow_half_open(mut self, yes: bool) -> Self {
        self.allow_half_open = yes;
        self
    }
}

/// Options of a server (`net.createServer(options)`), with Node 26's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerOptions {
    /// Accepted sockets keep their writable side after the peer's FIN.
    pub allow_half_open: bool,
    /// Accepted sockets start paused and not reading.
    pub pause_on_connect: bool,
    /// `TCP_NODELAY` on accepted sockets.
    pub no_delay: bool,
    /// Keep-alive on accepted sockets.
    pub keep_alive: Option<KeepAlive>,
    /// Both high-water marks of accepted sockets (Node 26: 65536).
    pub high_water_mark: usize,
    /// Live connections allowed; `Some(0)` drops every connection (Node ≥ 21), `None` is no limit.
    pub max_connections: Option<u32>,
    /// Peers that are closed right after accept, silently.
    pub block_list: Option<BlockList>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            allow_half_open: false,
            pause_on_connect: false,
            no_delay: false,
            keep_alive: None,
            high_water_mark: DEFAULT_HIGH_WATER_MARK,
            max_connections: None,
            block_list: None,
        }
    }
}

impl ServerOptions {
    /// The options an accepted socket gets from this server.
    pub fn socket_options(&self) -> SocketOptions {
        SocketOptions {
            allow_half_open: self.allow_half_open,
            writable_high_water_mark: self.high_water_mark,
            readable_high_water_mark: self.high_water_mark,
            no_delay: self.no_delay,
            keep_alive: self.keep_alive,
            timeout: None,
            pause_on_connect: self.pause_on_connect,
            // Node's server makes its sockets with no `typeOfService` and no signal.
            type_of_service: None,
            signal: None,
        }
    }
}

/// Where and how a server listens (`server.listen(options)`), the same for every backend.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListenOptions {
    /// Host to bind; `None` is Node's default: `::` (dual-stack), else `0.0.0.0`.
    pub host: Option<IpAddr>,
    /// Port; 0 picks one.
    pub port: u16,
    /// A Unix-domain socket path instead of TCP.
    pub path: Option<PathBuf>,
    /// Listen backlog (`None`: Node's 511).
    pub backlog: Option<i32>,
    /// IPv6 only, no dual-stack.
    pub ipv6_only: bool,
    /// `SO_REUSEPORT`.
    pub reuse_port: bool,
    /// IPC: make the socket file readable by all.
    pub readable_all: bool,
    /// IPC: make the socket file writable by all.
    pub writable_all: bool,
    /// A host to look up before binding, as Node's `listen({host})` does with every host it is
    /// given: a name or an IP literal, bound at its first address that is not IPv6 link-local,
    /// once the lookup answers ([`Server::listen_host`](crate::Server::listen_host)). `host` is
    /// not used then. `None`: bind `host` at once (Node's `listen(port)` without a host).
    pub host_name: Option<String>,
    /// Node's `exclusive`: whether cluster workers may share the handle. Accepted for the
    /// option's sake; with no cluster here every listen is exclusive.
    pub exclusive: bool,
    /// `signal`: aborting it closes the server (`server.close()`), at once if it already is.
    pub signal: Option<crate::AbortSignal>,
}

impl ListenOptions {
    /// TCP on `host:port`.
    pub fn tcp(host: IpAddr, port: u16) -> Self {
        Self { host: Some(host), port, ..Self::default() }
    }

    /// TCP on `host:port` with `host` looked up first, as Node's `server.listen(port, host)`.
    pub fn lookup(host: impl Into<String>, port: u16) -> Self {
        Self { host_name: Some(host.into()), port, ..Self::default() }
    }

    /// A Unix-domain socket at `path`.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        Self { path: Some(path.into()), ..Self::default() }
    }

    /// The endpoint to bind: the path, or `host:port` with Node's default host `::`.
    pub fn endpoint(&self) -> Endpoint {
        match &self.path {
            Some(path) => Endpoint::Ipc(path.clone()),
            None => Endpoint::Tcp(SocketAddr::new(
                self.host.unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
                self.port,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn timing(idle: u32, interval: u32, count: u32) -> Option<KeepAliveTiming> {
        Some(KeepAliveTiming { idle_secs: idle, interval_secs: interval, count })
    }

    /// The table in NODE_NET_BEHAVIOR.md §7, recorded from Node 26 [setKeepAlive_v26_arguments].
    #[test]
    fn keep_alive_resolves_as_node_26() {
        let ka = |d, i, c| KeepAlive { enable: true, initial_delay: ms(d), interval: i, count: c };
        assert_eq!(ka(0, None, None).resolve().timing, None); // (true)
        assert_eq!(ka(5000, None, None).resolve().timing, timing(5, 1, 10));
        assert_eq!(ka(1500, Some(ms(2500)), Some(4)).resolve().timing, timing(1, 2, 4));
        assert_eq!(ka(7000, Some(ms(3000)), Some(9)).resolve().timing, timing(7, 3, 9));
        assert_eq!(ka(500, None, None).resolve().timing, None);
        assert_eq!(ka(3000, Some(ms(500)), None).resolve().timing, None);
        assert_eq!(ka(3000, Some(ms(2000)), Some(0)).resolve().timing, None);
        assert!(ka(500, None, None).resolve().enable);
        assert_eq!(KeepAlive::off().resolve(), KeepAliveSettings { enable: false, timing: None });
    }

    #[test]
    fn defaults_are_node_26() {
        let s = ServerOptions::default();
        assert_eq!((s.high_water_mark, s.max_connections, s.allow_half_open), (65536, None, false));
        let o = SocketOptions::default();
        assert_eq!((o.writable_high_water_mark, o.readable_high_water_mark), (65536, 65536));
        assert_eq!(SocketOptions::default().high_water_mark(0).writable_high_water_mark, 0);
    }
}
