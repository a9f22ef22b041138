//! The rules a server (or a connecting socket) checks an address against.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::Family;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    Address(IpAddr),
    Range(IpAddr, IpAddr),
    Subnet(IpAddr, u8),
}

/// A set of address, range and subnet rules, as Node's `net.BlockList`.
///
/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) match IPv4 rules and the other way round, as in
/// Node.
///
/// ```
/// use net_core::BlockList;
/// let mut list = BlockList::new();
/// list.add_subnet_ip("10.0.0.0".parse().unwrap(), 8).unwrap();
/// assert!(list.check_ip("10.1.2.3".parse().unwrap()));
/// assert!(list.check_ip("::ffff:10.1.2.3".parse().unwrap()));
/// assert!(!list.check_ip("11.0.0.1".parse().unwrap()));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockList {
    rules: Vec<Rule>,
}

/// An address in one comparable space: IPv4 and IPv4-mapped IPv6 fold to IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn as_u128(ip: IpAddr) -> (Family, u128) {
    match canonical(ip) {
        IpAddr::V4(v4) => (Family::Ipv4, u128::from(u32::from(v4))),
        IpAddr::V6(v6) => (Family::Ipv6, u128::from(v6)),
    }
}

impl BlockList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Block one address.
    pub fn add_address_ip(&mut self, ip: IpAddr) {
        let rule = Rule::Address(ip);
        if !self.rules.contains(&rule) {
            self.rules.push(rule);
        }
    }

    /// Block every address from `start` to `end`, both included. `start` must not come after `end`
    /// and both must be of one family.
    pub fn add_range_ip(&mut self, start: IpAddr, end: IpAddr) -> Result<(), crate::NetError> {
        let (fs, s) = as_u128(start);
        let (fe, e) = as_u128(end);
        if fs != fe || s > e {
            return Err(crate::NetError::invalid_arg_value("start", "must come before end"));
        }
        self.rules.push(Rule::Range(start, end));
        Ok(())
    }

    /// Block a subnet: `prefix` must be at most 32 for IPv4 and 128 for IPv6.
    pub fn add_subnet_ip(&mut self, network: IpAddr, prefix: u8) -> Result<(), crate::NetError> {
        let max = if network.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(crate::NetError::out_of_range("prefix", &format!(">= 0 && <= {max}"), prefix));
        }
        self.rules.push(Rule::Subnet(network, prefix));
        Ok(())
    }

    /// Whether `ip` matches any rule.
    pub fn check_ip(&self, ip: IpAddr) -> bool {
        let (family, value) = as_u128(ip);
        self.rules.iter().any(|rule| match *rule {
            Rule::Address(a) => as_u128(a) == (family, value),
            Rule::Range(s, e) => {
                let (fs, s) = as_u128(s);
                let (_, e) = as_u128(e);
                fs == family && (s..=e).contains(&value)
            }
            Rule::Subnet(net, prefix) => subnet_contains(net, prefix, ip),
        })
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

fn subnet_contains(net: IpAddr, prefix: u8, ip: IpAddr) -> bool {
    match (net, canonical(ip)) {
        (IpAddr::V4(n), IpAddr::V4(a)) => mask_eq_v4(n, a, prefix),
        (IpAddr::V6(n), IpAddr::V6(a)) => mask_eq_v6(n, a, prefix),
        // An IPv6 subnet over the mapped range matches an IPv4 address as its mapped form.
        (IpAddr::V6(n), IpAddr::V4(a)) => mask_eq_v6(n, a.to_ipv6_mapped(), prefix),
        (IpAddr::V4(_), IpAddr::V6(_)) => false,
    }
}

fn mask_eq_v4(n: Ipv4Addr, a: Ipv4Addr, prefix: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    u32::from(n) & mask == u32::from(a) & mask
}

fn mask_eq_v6(n: Ipv6Addr, a: Ipv6Addr, prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    u128::from(n) & mask == u128::from(a) & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn rules_match_like_node() {
        let mut list = BlockList::new();
        list.add_address_ip(ip("1.1.1.1"));
        list.add_range_ip(ip("2.0.0.1"), ip("2.0.0.9")).unwrap();
        list.add_subnet_ip(ip("2001:db8::"), 32).unwrap();
        list.add_subnet_ip(ip("0.0.0.0"), 0).unwrap_or_default();
        assert!(list.check_ip(ip("1.1.1.1")));
        assert!(list.check_ip(ip("::ffff:1.1.1.1")));
        assert!(list.check_ip(ip("2.0.0.9")));
        assert!(list.check_ip(ip("2001:db8::1")));
        // prefix 0 blocks every IPv4 address, but no native IPv6 one
        assert!(list.check_ip(ip("9.9.9.9")));
        assert!(!list.check_ip(ip("2001:db9::1")));
    }

    #[test]
    fn bad_rules_are_node_errors() {
        let mut list = BlockList::new();
        assert_eq!(list.add_subnet_ip(ip("1.0.0.0"), 33).unwrap_err().code(), "ERR_OUT_OF_RANGE");
        assert_eq!(
            list.add_range_ip(ip("1.0.0.9"), ip("1.0.0.1")).unwrap_err().code(),
            "ERR_INVALID_ARG_VALUE"
        );
        assert!(list.is_empty());
    }

    #[test]
    fn ipv6_rule_for_mapped_address_matches_ipv4() {
        let mut list = BlockList::new();
        list.add_address_ip(ip("::ffff:1.2.3.4"));
        assert!(list.check_ip(ip("1.2.3.4")));
    }
}
