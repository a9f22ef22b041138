//! Where a socket is: address families, endpoints (TCP or IPC), and the `BlockList` a server
//! consults on every accepted connection.

mod block_list;
mod ip;
pub(crate) mod js;
mod socket_address;
mod url_host;
mod zone;

pub use block_list::{BlockList, PRIVATE_RANGES};
pub use ip::{is_ip, is_ipv4, is_ipv6};
pub use js::Arg;
pub use socket_address::{SocketAddress, SocketAddressInit, parse_family};
pub use zone::{parse_ip_literal, scope_id, set_interface_index};

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// An IP address as Node prints it (`inet_ntop`): like Rust's `Display`, except that an
/// IPv4-compatible IPv6 address keeps its dotted tail (`::1.2.3.4`, not `::102:304`).
pub fn fmt_ip(ip: IpAddr) -> String {
    if let IpAddr::V6(v6) = ip {
        let s = v6.segments();
        // glibc prints a dotted tail when the longest zero run is exactly the first six groups.
        if s[..6].iter().all(|&g| g == 0) && s[6] != 0 {
            let [.., a, b, c, d] = v6.octets();
            return format!("::{a}.{b}.{c}.{d}");
        }
    }
    ip.to_string()
}

/// An IP address family, reported as Node does (`'IPv4'`, `'IPv6'`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
}

impl Family {
    /// The family of an address.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => Self::Ipv4,
            IpAddr::V6(_) => Self::Ipv6,
        }
    }

    /// `'IPv4'` or `'IPv6'`, as in `socket.remoteFamily`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ipv4 => "IPv4",
            Self::Ipv6 => "IPv6",
        }
    }

    /// 4 or 6, as in the `connectionAttempt` event.
    pub fn number(self) -> u8 {
        match self {
            Self::Ipv4 => 4,
            Self::Ipv6 => 6,
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One end of a connection or a listening address: a TCP address or an IPC (Unix-domain) path.
///
/// An abstract-namespace name is a path starting with a NUL byte, as in Node.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// A TCP address.
    Tcp(SocketAddr),
    /// A Unix-domain socket path.
    Ipc(PathBuf),
}

impl Endpoint {
    /// The TCP address, if this is one.
    pub fn tcp(&self) -> Option<SocketAddr> {
        match self {
            Self::Tcp(addr) => Some(*addr),
            Self::Ipc(_) => None,
        }
    }

    /// Whether this is an IPC path.
    pub fn is_ipc(&self) -> bool {
        matches!(self, Self::Ipc(_))
    }
}

impl From<SocketAddr> for Endpoint {
    fn from(addr: SocketAddr) -> Self {
        Self::Tcp(addr)
    }
}

impl fmt::Display for Endpoint {
    /// Rust's way, which is also a URL's host and port: `127.0.0.1:80`, `[::1]:80` (what
    /// `SocketAddr` prints, and parses back), or the path. Node's own spelling in its messages,
    /// `::1:80`, is [`Endpoint::node_style`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp(addr) => write!(f, "{addr}"),
            Self::Ipc(path) => write!(f, "{}", path.display()),
        }
    }
}

impl Endpoint {
    /// Node's way of naming an endpoint in its messages and traces: `127.0.0.1:80`, `::1:80`
    /// (no brackets), or the path.
    pub fn node_style(&self) -> impl fmt::Display + '_ {
        struct NodeStyle<'a>(&'a Endpoint);
        impl fmt::Display for NodeStyle<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.0 {
                    Endpoint::Tcp(addr) => write!(f, "{}:{}", addr.ip(), addr.port()),
                    Endpoint::Ipc(path) => write!(f, "{}", path.display()),
                }
            }
        }
        NodeStyle(self)
    }
}

/// Both ends of an established connection. IPC connections have no addresses (`None`), as
/// Node's `localAddress`/`remoteAddress` are `undefined` for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConnectionInfo {
    /// The local address (`socket.localAddress`/`localPort`/`localFamily`).
    pub local: Option<SocketAddr>,
    /// The peer's address (`socket.remoteAddress`/`remotePort`/`remoteFamily`).
    pub remote: Option<SocketAddr>,
}

impl ConnectionInfo {
    /// A TCP connection.
    pub fn tcp(local: SocketAddr, remote: SocketAddr) -> Self {
        Self { local: Some(local), remote: Some(remote) }
    }

    /// An IPC connection (no addresses).
    pub fn ipc() -> Self {
        Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_rusts_and_node_style_is_nodes() {
        let v6 = Endpoint::Tcp("[::1]:80".parse().unwrap());
        let v4 = Endpoint::Tcp("127.0.0.1:80".parse().unwrap());
        assert_eq!(v6.to_string(), "[::1]:80");
        assert_eq!(v6.to_string().parse::<SocketAddr>().ok(), v6.tcp());
        assert_eq!(v6.node_style().to_string(), "::1:80");
        assert_eq!(
            (v4.to_string(), v4.node_style().to_string()),
            ("127.0.0.1:80".into(), "127.0.0.1:80".into())
        );
        let ipc = Endpoint::Ipc("/tmp/x.sock".into());
        assert_eq!(
            (ipc.to_string(), ipc.node_style().to_string()),
            ("/tmp/x.sock".into(), "/tmp/x.sock".into())
        );
    }
}
