//! `net.SocketAddress`: an IP, a port, a family and an IPv6 flow label, validated as Node does.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};

use super::Family;
use super::js::{Arg, JsNumber};
use super::url_host;
use crate::error::{ErrorCode, NetError};
use crate::validate::validate_port;

/// Node's `net.SocketAddress`.
///
/// ```
/// use net_core::{Family, SocketAddress};
/// let a = SocketAddress::new("0:0:0:0:0:0:0:1", 443, Family::Ipv6, 0).unwrap();
/// assert_eq!(a.to_string(), "[::1]:443");
/// let b = SocketAddress::parse("127.0.0.1:8080").unwrap();
/// assert_eq!((b.address(), b.port(), b.family()), ("127.0.0.1".to_string(), 8080, Family::Ipv4));
/// assert!(SocketAddress::parse("::1").is_none()); // IPv6 needs brackets
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SocketAddress {
    ip: IpAddr,
    port: u16,
    flowlabel: u32,
}

/// The options of `new SocketAddress(options)`, loosely typed as in JavaScript.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SocketAddressInit<'a> {
    /// `address` (default `'127.0.0.1'`, or `'::'` for IPv6).
    pub address: Arg<'a>,
    /// `port` (default 0; numeric strings accepted).
    pub port: Arg<'a>,
    /// `family`: `'ipv4'` (default) or `'ipv6'`, any case.
    pub family: Arg<'a>,
    /// `flowlabel` (default 0; IPv6 only).
    pub flowlabel: Arg<'a>,
}

impl Default for SocketAddressInit<'_> {
    fn default() -> Self {
        Self {
            address: Arg::Undefined,
            port: Arg::Undefined,
            family: Arg::Undefined,
            flowlabel: Arg::Undefined,
        }
    }
}

fn invalid_type(name: &str, expected: &str, got: Arg<'_>) -> NetError {
    crate::validate::type_error(name, &format!("of type {expected}"), got)
}

/// `util.inspect`-style rendering of a value in "Received …" of ERR_INVALID_ARG_VALUE.
fn inspect(arg: Arg<'_>) -> String {
    match arg {
        Arg::Undefined => "undefined".into(),
        Arg::Null => "null".into(),
        Arg::Bool(b) => b.to_string(),
        Arg::Number(n) => JsNumber(n).to_string(),
        Arg::Str(s) => format!("'{s}'"),
    }
}

fn invalid_family(arg: Arg<'_>, arg_name: &str) -> NetError {
    NetError::new(
        ErrorCode::ERR_INVALID_ARG_VALUE,
        format!("The property '{arg_name}' is invalid. Received {}", inspect(arg)),
    )
}

/// Parse a family name as Node does: `'ipv4'`/`'ipv6'` in any case; anything else is
/// `ERR_INVALID_ARG_VALUE`.
pub fn parse_family(name: &str, arg_name: &str) -> Result<Family, NetError> {
    match name.to_lowercase().as_str() {
        "ipv4" => Ok(Family::Ipv4),
        "ipv6" => Ok(Family::Ipv6),
        _ => Err(invalid_family(Arg::Str(name), arg_name)),
    }
}

/// The largest IPv6 flow label (20 bits). Node 26 aborts the process on larger ones; we refuse them.
const MAX_FLOWLABEL: u32 = 0xF_FFFF;

impl SocketAddress {
    /// `new SocketAddress({address, port, family, flowlabel})` with typed values. The address
    /// must be a literal of `family` (`ERR_INVALID_ADDRESS` otherwise); it is kept canonical.
    pub fn new(address: &str, port: u16, family: Family, flowlabel: u32) -> Result<Self, NetError> {
        let ip = parse_literal(address, family).ok_or_else(invalid_address)?;
        let flowlabel = if family == Family::Ipv6 { flowlabel } else { 0 };
        if flowlabel > MAX_FLOWLABEL {
            return Err(NetError::out_of_range("options.flowlabel", ">= 0 && <= 1048575", flowlabel));
        }
        Ok(Self { ip, port, flowlabel })
    }

    /// `new SocketAddress(options)` with JavaScript-typed values, validated in Node's order:
    /// family, address type, port, flow label, then the address itself.
    pub fn from_init(init: SocketAddressInit<'_>) -> Result<Self, NetError> {
        let family = match init.family {
            Arg::Undefined => Family::Ipv4,
            Arg::Str(s) => parse_family(s, "options.family")?,
            other => return Err(invalid_family(other, "options.family")),
        };
        // Node picks the default address from the family as written, before lower-casing it, so
        // `{family: 'IPV4'}` defaults to '::' and fails.
        let written_ipv4 = matches!(init.family, Arg::Undefined | Arg::Str("ipv4"));
        let address = match init.address {
            Arg::Undefined => {
                if written_ipv4 {
                    "127.0.0.1"
                } else {
                    "::"
                }
            }
            Arg::Str(s) => s,
            other => return Err(invalid_type("options.address", "string", other)),
        };
        let port = match init.port {
            Arg::Undefined => 0,
            other => validate_port(other, "options.port", true)?,
        };
        let flowlabel = match init.flowlabel {
            Arg::Undefined => 0,
            Arg::Number(n) if n.is_finite() && n == n.trunc() && (0.0..=f64::from(u32::MAX)).contains(&n) => {
                n as u32
            }
            Arg::Number(n) => {
                return Err(NetError::out_of_range(
                    "options.flowlabel",
                    if n == n.trunc() { ">= 0 && <= 4294967295" } else { "an integer" },
                    JsNumber(n),
                ));
            }
            other => return Err(invalid_type("options.flowlabel", "number", other)),
        };
        Self::new(address, port, family, flowlabel)
    }

    /// `SocketAddress.parse(text)`: `text` read as the host and port of an `http://` URL, as Node
    /// 23.4+ does; `None` when that is no IP address with a valid port. Node's quirks included:
    /// port 80 (the scheme's default) reads as 0, and WHATWG IPv4 forms (`127.1`,
    /// `0x7f.0.0.1`) are accepted.
    pub fn parse(text: &str) -> Option<Self> {
        let (host, port) = url_host::host_and_port(text)?;
        match host {
            url_host::Host::V6(ip) => Some(Self { ip: IpAddr::V6(ip), port, flowlabel: 0 }),
            url_host::Host::V4(ip) => Some(Self { ip: IpAddr::V4(ip), port, flowlabel: 0 }),
        }
    }

    /// `address`, canonical (`::1`, `127.0.0.1`).
    pub fn address(&self) -> String {
        super::fmt_ip(self.ip)
    }

    /// The address as a std type.
    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// `port`.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `family`.
    pub fn family(&self) -> Family {
        Family::of(self.ip)
    }

    /// `flowlabel` (0 for IPv4).
    pub fn flowlabel(&self) -> u32 {
        self.flowlabel
    }
}

fn invalid_address() -> NetError {
    NetError::new(ErrorCode::ERR_INVALID_ADDRESS, "Invalid socket address")
}

/// An IP literal of the given family, as `inet_pton` reads it (no leading zeros in IPv4, no zone).
pub(crate) fn parse_literal(address: &str, family: Family) -> Option<IpAddr> {
    match family {
        Family::Ipv4 => address.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
        // libuv's inet_pton drops a `%zone` before parsing.
        Family::Ipv6 => address.split('%').next()?.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
    }
}

impl fmt::Display for SocketAddress {
    /// `1.2.3.4:80` or `[::1]:80`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", SocketAddr::from(*self))
    }
}

impl From<SocketAddress> for SocketAddr {
    fn from(a: SocketAddress) -> Self {
        match a.ip {
            IpAddr::V4(ip) => Self::new(IpAddr::V4(ip), a.port),
            IpAddr::V6(ip) => Self::V6(SocketAddrV6::new(ip, a.port, a.flowlabel, 0)),
        }
    }
}

impl From<SocketAddr> for SocketAddress {
    fn from(a: SocketAddr) -> Self {
        match a {
            SocketAddr::V4(v4) => Self { ip: IpAddr::V4(*v4.ip()), port: v4.port(), flowlabel: 0 },
            SocketAddr::V6(v6) => {
                Self { ip: IpAddr::V6(*v6.ip()), port: v6.port(), flowlabel: v6.flowinfo() }
            }
        }
    }
}
