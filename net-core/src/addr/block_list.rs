//! `net.BlockList`: address, range and subnet rules, Node 26's API and rule strings, and a
//! check fast enough for every accepted connection of a busy server.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::OnceLock;

use super::socket_address::parse_literal;
use super::{Family, fmt_ip};
use crate::error::{ErrorCode, NetError};

/// `BlockList.PRIVATE_RANGES` as Node 26 lists them.
pub const PRIVATE_RANGES: [&str; 8] = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "127.0.0.0/8",
    "::1/128",
    "169.254.0.0/16",
    "fe80::/10",
    "fc00::/7",
];

/// A set of address, range and subnet rules, as Node's `net.BlockList`.
///
/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) match IPv4 rules and the other way round, as in
/// Node. Rules are reported grouped by kind (addresses, subnets, ranges), newest first within a
/// kind, in Node's strings.
///
/// ```
/// use net_core::{BlockList, Family};
/// let mut list = BlockList::new();
/// list.add_subnet("10.0.0.0", 8, Family::Ipv4).unwrap();
/// list.add_address("::1", Family::Ipv6).unwrap();
/// assert!(list.check("10.1.2.3", Family::Ipv4));
/// assert!(list.check("::ffff:10.1.2.3", Family::Ipv6));
/// assert!(!list.check("11.0.0.1", Family::Ipv4));
/// assert_eq!(list.rules(), ["Address: IPv6 ::1", "Subnet: IPv4 10.0.0.0/8"]);
/// ```
#[derive(Debug, Default)]
pub struct BlockList {
    /// Each kind in insertion order; `rules()` reverses.
    addresses: Vec<IpAddr>,
    /// Keys of `addresses`, so that adding to a long list stays cheap.
    address_keys: HashSet<u128>,
    subnets: Vec<(IpAddr, u8)>,
    ranges: Vec<(IpAddr, IpAddr)>,
    /// Sorted, merged intervals, built on the first check after a change: one for IPv6
    /// addresses (every rule), one for IPv4 addresses (IPv6 ranges count only when both ends are
    /// IPv4-mapped, as in Node).
    index: OnceLock<[Vec<(u128, u128)>; 2]>,
}

impl Clone for BlockList {
    fn clone(&self) -> Self {
        Self {
            addresses: self.addresses.clone(),
            address_keys: self.address_keys.clone(),
            subnets: self.subnets.clone(),
            ranges: self.ranges.clone(),
            index: OnceLock::new(),
        }
    }
}

impl PartialEq for BlockList {
    fn eq(&self, other: &Self) -> bool {
        self.addresses == other.addresses && self.subnets == other.subnets && self.ranges == other.ranges
    }
}

impl Eq for BlockList {}

/// Every address in one space: IPv4 `a.b.c.d` is `::ffff:a.b.c.d`.
fn key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn family_name(ip: IpAddr) -> &'static str {
    Family::of(ip).as_str()
}

fn address(text: &str, family: Family) -> Result<IpAddr, NetError> {
    parse_literal(text, family)
        .ok_or_else(|| NetError::new(ErrorCode::ERR_INVALID_ADDRESS, "Invalid socket address"))
}

fn subnet_interval(net: IpAddr, prefix: u8) -> (u128, u128) {
    let bits = match net {
        IpAddr::V4(_) => 96 + u32::from(prefix),
        IpAddr::V6(_) => u32::from(prefix),
    };
    let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
    let start = key(net) & mask;
    (start, start | !mask)
}

fn check_prefix(prefix: u8, family: Family) -> Result<(), NetError> {
    let max = if family == Family::Ipv4 { 32 } else { 128 };
    if prefix > max {
        return Err(NetError::out_of_range("prefix", &format!(">= 0 && <= {max}"), prefix));
    }
    Ok(())
}

/// A CIDR split as Node's `parseCIDR` does: at the last `/`, the prefix an integer written
/// plainly (`-1` passes here and fails the range check later; `08` and `x` fail here), the
/// family `ipv6` when the address has a `:`.
fn split_cidr(cidr: &str) -> Result<(&str, i64, Family), NetError> {
    let bad = |reason: &str| {
        NetError::new(
            ErrorCode::ERR_INVALID_ARG_VALUE,
            format!("The argument 'cidr' {reason}. Received '{cidr}'"),
        )
    };
    let (net, prefix_text) =
        cidr.rsplit_once('/').ok_or_else(|| bad("must contain a prefix length (e.g. \"10.0.0.0/8\")"))?;
    let prefix: i64 = prefix_text.parse().map_err(|_| bad("prefix length must be a valid integer"))?;
    if prefix.to_string() != prefix_text {
        return Err(bad("prefix length must be a valid integer"));
    }
    let family = if net.contains(':') { Family::Ipv6 } else { Family::Ipv4 };
    Ok((net, prefix, family))
}

/// The address and range-checked prefix of a split CIDR.
fn resolve_cidr((net, prefix, family): (&str, i64, Family)) -> Result<(IpAddr, u8), NetError> {
    let ip = address(net, family)?;
    let max = if family == Family::Ipv4 { 32 } else { 128 };
    let prefix = u8::try_from(prefix)
        .ok()
        .filter(|p| *p <= max)
        .ok_or_else(|| NetError::out_of_range("prefix", &format!(">= 0 && <= {max}"), prefix))?;
    Ok((ip, prefix))
}

impl BlockList {
    /// An empty list (`new BlockList()`).
    pub fn new() -> Self {
        Self::default()
    }

    fn changed(&mut self) {
        self.index = OnceLock::new();
    }

    /// `addAddress(address, family)`. A repeated address is stored once.
    pub fn add_address(&mut self, address: &str, family: Family) -> Result<(), NetError> {
        let ip = self::address(address, family)?;
        self.add_address_ip(ip);
        Ok(())
    }

    /// Block one address given as a std type. An IPv4 address and its IPv4-mapped IPv6 form are
    /// one rule, shown in the form added last.
    pub fn add_address_ip(&mut self, ip: IpAddr) {
        if !self.address_keys.insert(key(ip)) {
            self.addresses.retain(|a| key(*a) != key(ip));
        }
        self.addresses.push(ip);
        self.changed();
    }

    /// `addAddresses(list, family)`: every entry is validated first; one bad entry adds nothing.
    pub fn add_addresses(&mut self, list: &[&str], family: Family) -> Result<(), NetError> {
        let ips: Vec<IpAddr> = list.iter().map(|a| address(a, family)).collect::<Result<_, _>>()?;
        for ip in ips {
            self.add_address_ip(ip);
        }
        Ok(())
    }

    /// `addRange(start, end, family)`: both ends included; `start` must not come after `end`.
    pub fn add_range(&mut self, start: &str, end: &str, family: Family) -> Result<(), NetError> {
        let (s, e) = (address(start, family)?, address(end, family)?);
        self.add_range_ip(s, e)
    }

    /// Block a range given as std types.
    pub fn add_range_ip(&mut self, start: IpAddr, end: IpAddr) -> Result<(), NetError> {
        if key(start) > key(end) || start.is_ipv4() != end.is_ipv4() {
            let family = family_name(start).to_ascii_lowercase();
            return Err(NetError::new(
                ErrorCode::ERR_INVALID_ARG_VALUE,
                format!(
                    "The argument 'start' must come before end. Received SocketAddress {{ address: '{start}', port: 0, family: '{family}', flowlabel: 0 }}"
                ),
            ));
        }
        self.ranges.push((start, end));
        self.changed();
        Ok(())
    }

    /// `addSubnet(net, prefix, family)`: prefix at most 32 (IPv4) or 128 (IPv6). A repeated
    /// subnet is stored twice, as in Node.
    pub fn add_subnet(&mut self, net: &str, prefix: u8, family: Family) -> Result<(), NetError> {
        let ip = address(net, family)?;
        self.add_subnet_ip(ip, prefix)
    }

    /// Block a subnet given as a std type.
    pub fn add_subnet_ip(&mut self, net: IpAddr, prefix: u8) -> Result<(), NetError> {
        check_prefix(prefix, Family::of(net))?;
        self.subnets.push((net, prefix));
        self.changed();
        Ok(())
    }

    /// `addCIDR("a.b.c.d/n")`; the family follows from the text.
    pub fn add_cidr(&mut self, cidr: &str) -> Result<(), NetError> {
        let (ip, prefix) = resolve_cidr(split_cidr(cidr)?)?;
        self.add_subnet_ip(ip, prefix)
    }

    /// `addCIDRs([...])`: every entry's syntax is checked first (one malformed entry adds
    /// nothing); an invalid address or prefix range then stops the adding midway, as in Node.
    pub fn add_cidrs(&mut self, list: &[&str]) -> Result<(), NetError> {
        let split: Vec<_> = list.iter().map(|c| split_cidr(c)).collect::<Result<_, _>>()?;
        for entry in split {
            let (ip, prefix) = resolve_cidr(entry)?;
            self.add_subnet_ip(ip, prefix)?;
        }
        Ok(())
    }

    /// `removeAddress(address, family)`: removes the exactly matching address rule, if any.
    pub fn remove_address(&mut self, address: &str, family: Family) -> Result<(), NetError> {
        let ip = self::address(address, family)?;
        if self.address_keys.remove(&key(ip)) {
            self.addresses.retain(|a| key(*a) != key(ip));
        }
        self.changed();
        Ok(())
    }

    /// `removeRange(start, end, family)`: removes one exactly matching range rule, if any.
    pub fn remove_range(&mut self, start: &str, end: &str, family: Family) -> Result<(), NetError> {
        let rule = (address(start, family)?, address(end, family)?);
        if let Some(i) = self.ranges.iter().rposition(|r| *r == rule) {
            self.ranges.remove(i);
        }
        self.changed();
        Ok(())
    }

    /// `removeSubnet(net, prefix, family)`: removes one exactly matching subnet rule, if any (a /32
    /// subnet is not an address rule).
    pub fn remove_subnet(&mut self, net: &str, prefix: u8, family: Family) -> Result<(), NetError> {
        let ip = address(net, family)?;
        check_prefix(prefix, family)?;
        self.remove_subnet_rule(ip, prefix);
        Ok(())
    }

    fn remove_subnet_rule(&mut self, ip: IpAddr, prefix: u8) {
        if let Some(i) = self.subnets.iter().rposition(|r| *r == (ip, prefix)) {
            self.subnets.remove(i);
        }
        self.changed();
    }

    /// `removeCIDR("a.b.c.d/n")`.
    pub fn remove_cidr(&mut self, cidr: &str) -> Result<(), NetError> {
        let (ip, prefix) = resolve_cidr(split_cidr(cidr)?)?;
        self.remove_subnet_rule(ip, prefix);
        Ok(())
    }

    /// `clear()`.
    pub fn clear(&mut self) {
        self.addresses.clear();
        self.address_keys.clear();
        self.subnets.clear();
        self.ranges.clear();
        self.changed();
    }

    /// `size`: the number of rules.
    pub fn size(&self) -> usize {
        self.addresses.len() + self.subnets.len() + self.ranges.len()
    }

    /// Number of rules (same as [`BlockList::size`]).
    pub fn len(&self) -> usize {
        self.size()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.size() == 0
    }

    /// `check(address, family)`: `false` for text that is not an address of `family`.
    pub fn check(&self, address: &str, family: Family) -> bool {
        parse_literal(address, family).is_some_and(|ip| self.check_ip(ip))
    }

    /// Whether `ip` matches any rule: a binary search over merged intervals.
    pub fn check_ip(&self, ip: IpAddr) -> bool {
        let [v4, v6] = self.index.get_or_init(|| [self.build_index(true), self.build_index(false)]);
        let index = if ip.is_ipv4() { v4 } else { v6 };
        let k = key(ip);
        let i = index.partition_point(|&(start, _)| start <= k);
        i > 0 && index[i - 1].1 >= k
    }

    fn build_index(&self, for_ipv4: bool) -> Vec<(u128, u128)> {
        let mapped = |ip: IpAddr| match ip {
            IpAddr::V4(_) => true,
            IpAddr::V6(v6) => v6.to_ipv4_mapped().is_some(),
        };
        let mut all: Vec<(u128, u128)> = self
            .addresses
            .iter()
            .map(|&a| (key(a), key(a)))
            .chain(self.subnets.iter().map(|&(n, p)| subnet_interval(n, p)))
            .chain(
                self.ranges
                    .iter()
                    .filter(|&&(s, e)| !for_ipv4 || (mapped(s) && mapped(e)))
                    .map(|&(s, e)| (key(s), key(e))),
            )
            .collect();
        all.sort_unstable();
        let mut merged: Vec<(u128, u128)> = Vec::with_capacity(all.len());
        for (s, e) in all {
            match merged.last_mut() {
                Some(last) if s <= last.1.saturating_add(1) => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        merged
    }

    /// `rules`: Node's strings, addresses then subnets then ranges, newest first within a kind.
    pub fn rules(&self) -> Vec<String> {
        let addresses =
            self.addresses.iter().rev().map(|a| format!("Address: {} {}", family_name(*a), fmt_ip(*a)));
        let subnets =
            self.subnets.iter().rev().map(|(n, p)| format!("Subnet: {} {}/{p}", family_name(*n), fmt_ip(*n)));
        let ranges = self
            .ranges
            .iter()
            .rev()
            .map(|(s, e)| format!("Range: {} {}-{}", family_name(*s), fmt_ip(*s), fmt_ip(*e)));
        addresses.chain(subnets).chain(ranges).collect()
    }

    /// `toJSON()`: the rules as a JSON array of strings.
    pub fn to_json(&self) -> String {
        let items: Vec<String> = self.rules().iter().map(|r| format!("\"{r}\"")).collect();
        format!("[{}]", items.join(","))
    }

    /// `fromJSON(rules)` with the strings already split out: each string is read as Node 26
    /// reads it (loosely: the first rule pattern found anywhere in the string wins) and added in
    /// order. Strings without a rule are skipped; an invalid rule stops with its error, the earlier
    /// ones staying added.
    pub fn add_rules<S: AsRef<str>>(&mut self, rules: &[S]) -> Result<(), NetError> {
        for rule in rules {
            self.add_rule(rule.as_ref())?;
        }
        Ok(())
    }

    fn add_rule(&mut self, item: &str) -> Result<(), NetError> {
        if item.contains("IPv4") {
            if let Some((net, prefix)) = find_after(item, "Subnet: IPv4 ", false, |t| {
                let (net, rest) = take_ipv4(t)?;
                let prefix = take_digits(rest.strip_prefix('/')?, 2)?;
                Some((net, prefix))
            }) {
                return self.add_subnet_checked(net, prefix, Family::Ipv4);
            }
            if let Some(addr) = find_after(item, "Address: IPv4 ", false, |t| take_ipv4(t).map(|(a, _)| a)) {
                return self.add_address(addr, Family::Ipv4);
            }
            if let Some((start, end)) = find_after(item, "Range: IPv4 ", false, |t| {
                let (start, rest) = take_ipv4(t)?;
                let (end, _) = take_ipv4(rest.strip_prefix('-')?)?;
                Some((start, end))
            }) {
                return self.add_range(start, end, Family::Ipv4);
            }
        }
        if item.contains("IPv6") {
            if let Some((net, prefix)) = find_after(item, "Subnet: IPv6 ", true, |t| {
                let (net, rest) = take_ipv6(t)?;
                let prefix = take_digits(rest.strip_prefix('/')?, 3)?;
                Some((net, prefix))
            }) {
                return self.add_subnet_checked(net, prefix, Family::Ipv6);
            }
            if let Some(addr) = find_after(item, "Address: IPv6 ", true, |t| take_ipv6(t).map(|(a, _)| a)) {
                return self.add_address(addr, Family::Ipv6);
            }
            if let Some((start, end)) = find_after(item, "Range: IPv6 ", true, |t| {
                let (start, rest) = take_ipv6(t)?;
                let (end, _) = take_ipv6(rest.strip_prefix('-')?)?;
                Some((start, end))
            }) {
                return self.add_range(start, end, Family::Ipv6);
            }
        }
        Ok(())
    }

    fn add_subnet_checked(&mut self, net: &str, prefix: &str, family: Family) -> Result<(), NetError> {
        let ip = address(net, family)?;
        let prefix: i64 = prefix.parse().unwrap_or(i64::MAX);
        let max = if family == Family::Ipv4 { 32 } else { 128 };
        let prefix = u8::try_from(prefix)
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(|| NetError::out_of_range("prefix", &format!(">= 0 && <= {max}"), prefix))?;
        self.add_subnet_ip(ip, prefix)
    }

    /// `fromJSON(text)`: a JSON array of rule strings, read as [`BlockList::add_rules`] does.
    /// Text that is not a JSON array of strings is refused before anything is added
    /// (`ERR_INVALID_ARG_TYPE`; Node throws a `SyntaxError` for text that is not JSON at all).
    pub fn from_json(&mut self, json: &str) -> Result<(), NetError> {
        let rules = parse_string_array(json).ok_or_else(|| {
            NetError::new(
                ErrorCode::ERR_INVALID_ARG_TYPE,
                "The \"data\" argument must be of type string or string[]. Received an instance of Object",
            )
        })?;
        self.add_rules(&rules)
    }
}

/// The first place after an occurrence of `literal` where `pattern` matches, like an unanchored
/// JavaScript regular expression (`ignore_case` for Node's `/i` IPv6 patterns).
fn find_after<'a, T>(
    item: &'a str,
    literal: &str,
    ignore_case: bool,
    pattern: impl Fn(&'a str) -> Option<T>,
) -> Option<T> {
    let hay = if ignore_case { item.to_ascii_lowercase() } else { item.to_owned() };
    let needle = if ignore_case { literal.to_ascii_lowercase() } else { literal.to_owned() };
    let mut from = 0;
    while let Some(at) = hay[from..].find(&needle) {
        let start = from + at + needle.len();
        if let Some(found) = pattern(&item[start..]) {
            return Some(found);
        }
        from += at + 1;
    }
    None
}

/// Up to `max` leading ASCII digits (at least one).
fn take_digits(t: &str, max: usize) -> Option<&str> {
    let n = t.bytes().take(max).take_while(u8::is_ascii_digit).count();
    (n > 0).then(|| &t[..n])
}

/// `\d{1,3}(?:\.\d{1,3}){3}` at the start of `t`; returns the match and the rest.
fn take_ipv4(t: &str) -> Option<(&str, &str)> {
    let mut len = 0;
    for part in 0..4 {
        if part > 0 {
            t[len..].strip_prefix('.')?;
            len += 1;
        }
        len += take_digits(&t[len..], 3)?.len();
    }
    Some((&t[..len], &t[len..]))
}

/// `[0-9a-fA-F:.]{1,39}` at the start of `t` (Node 26 takes dotted IPv4 tails too).
fn take_ipv6(t: &str) -> Option<(&str, &str)> {
    let n = t.bytes().take(39).take_while(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.')).count();
    (n > 0).then(|| (&t[..n], &t[n..]))
}

/// A JSON array of plain strings (the escapes our rule strings can contain), or `None`.
fn parse_string_array(json: &str) -> Option<Vec<String>> {
    let inner = json.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
    let mut out = Vec::new();
    let mut rest = inner;
    while !rest.is_empty() {
        let body = rest.strip_prefix('"')?;
        let mut value = String::new();
        let mut chars = body.char_indices();
        let end = loop {
            let (i, c) = chars.next()?;
            match c {
                '"' => break i,
                '\\' => {
                    let (_, esc) = chars.next()?;
                    value.push(match esc {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'u' => {
                            let hex: String = (0..4).filter_map(|_| chars.next().map(|(_, c)| c)).collect();
                            char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
                        }
                        other => other,
                    });
                }
                c => value.push(c),
            }
        };
        out.push(value);
        rest = body[end + 1..].trim_start();
        if let Some(next) = rest.strip_prefix(',') {
            rest = next.trim_start();
            if rest.is_empty() {
                return None;
            }
        } else if !rest.is_empty() {
            return None;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn typed_rules_match_like_node() {
        let mut list = BlockList::new();
        list.add_address_ip(ip("1.1.1.1"));
        list.add_range_ip(ip("2.0.0.1"), ip("2.0.0.9")).unwrap();
        list.add_subnet_ip(ip("2001:db8::"), 32).unwrap();
        assert!(list.check_ip(ip("1.1.1.1")));
        assert!(list.check_ip(ip("::ffff:1.1.1.1")));
        assert!(list.check_ip(ip("2.0.0.9")));
        assert!(!list.check_ip(ip("2.0.0.10")));
        assert!(list.check_ip(ip("2001:db8::1")));
        assert!(!list.check_ip(ip("2001:db9::1")));
    }

    #[test]
    fn json_round_trip() {
        let mut list = BlockList::new();
        list.add_cidrs(&PRIVATE_RANGES).unwrap();
        list.add_address("1.2.3.4", Family::Ipv4).unwrap();
        let json = list.to_json();
        let mut copy = BlockList::new();
        copy.from_json(&json).unwrap();
        assert_eq!(parse_string_array(r#"["\u0041"]"#).unwrap(), ["A"]);
        assert_eq!(copy.size(), list.size());
        assert!(copy.check("192.168.7.7", Family::Ipv4) && copy.check("fd00::1", Family::Ipv6));
        assert!(BlockList::new().from_json("{}").is_err());
        assert_eq!(parse_string_array(r#"["a", "b\"c"]"#).unwrap(), ["a", "b\"c"]);
    }

    #[test]
    fn check_is_a_binary_search_that_sees_changes() {
        let mut list = BlockList::new();
        for i in 0..10_000u32 {
            list.add_address_ip(IpAddr::V4(Ipv4Addr::from(i * 7)));
        }
        assert!(list.check_ip(IpAddr::V4(Ipv4Addr::from(7 * 500))));
        assert!(!list.check_ip(IpAddr::V4(Ipv4Addr::from(7 * 500 + 1))));
        list.add_address_ip(IpAddr::V4(Ipv4Addr::from(7 * 500 + 1)));
        assert!(list.check_ip(IpAddr::V4(Ipv4Addr::from(7 * 500 + 1))));
    }
}
