//! IPv6 literals with a zone (`fe80::1%eth0`): Node's `connect` and `listen` take them as IP
//! literals (no lookup event), and libuv's `uv_ip6_addr` turns the zone into a scope id with
//! `if_nametoindex`, an unknown name (or a number, on Linux) silently becoming 0.
//!
//! Interface names are the operating system's, so the core asks a function the backend gives it
//! ([`set_interface_index`]); without one every zone is 0. Linux ignores the scope of an address
//! that is not link-local (connect and bind succeed, getsockname reports 0), so the core keeps
//! a scope id only for `fe80::/10`: every backend, the simulator too, then reports what Linux does.

use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::sync::OnceLock;

static INTERFACE_INDEX: OnceLock<fn(&str) -> Option<u32>> = OnceLock::new();

/// Give the core the operating system's `if_nametoindex`; the first one given stays (the
/// backends give theirs when they start). Returns whether this one was taken.
pub fn set_interface_index(resolve: fn(&str) -> Option<u32>) -> bool {
    INTERFACE_INDEX.set(resolve).is_ok()
}

/// The scope id of a zone as libuv computes it on Unix: the interface's index, or 0.
pub fn scope_id(zone: &str) -> u32 {
    INTERFACE_INDEX.get().and_then(|f| f(zone)).unwrap_or(0)
}

/// Whether Linux keeps a scope id for this address (link-local unicast).
fn needs_scope(ip: &Ipv6Addr) -> bool {
    ip.segments()[0] & 0xffc0 == 0xfe80
}

/// An IP literal as Node's `connect` and `listen` take it, `port` added: `127.0.0.1`, `::1`,
/// or an IPv6 address with a zone (`fe80::1%eth0`, whose scope id is the interface's index).
/// `None` if `text` is no IP literal (`net.isIP` answers 0).
///
/// ```
/// use std::net::SocketAddr;
/// let at = net_core::parse_ip_literal("::1%lo", 80).unwrap();
/// assert_eq!(at, "[::1]:80".parse::<SocketAddr>().unwrap());
/// assert!(net_core::parse_ip_literal("127.0.0.1%lo", 80).is_none());
/// ```
pub fn parse_ip_literal(text: &str, port: u16) -> Option<SocketAddr> {
    match crate::is_ip(text) {
        4 => Some(SocketAddr::new(text.parse::<IpAddr>().ok()?, port)),
        6 => {
            let (bare, zone) = match text.split_once('%') {
                Some((bare, zone)) => (bare, Some(zone)),
                None => (text, None),
            };
            let ip: Ipv6Addr = bare.parse().ok()?;
            let scope = match zone {
                Some(zone) if needs_scope(&ip) => scope_id(zone),
                _ => 0,
            };
            Some(SocketAddr::V6(SocketAddrV6::new(ip, port, 0, scope)))
        }
        _ => None,
    }
}
