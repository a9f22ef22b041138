//! `net.isIP`, `net.isIPv4`, `net.isIPv6`: Node's verdicts on IP literals.
//!
//! Node decides with two regular expressions (`lib/internal/net.js`): IPv4 is four dotted
//! decimal parts 0–255 without leading zeros; IPv6 is up to eight groups of 1–4 hex digits with
//! at most one `::`, an optional dotted IPv4 tail, and an optional `%zone` of
//! `[0-9A-Za-z.:-]`. This is the same grammar, written out, checked against a table recorded
//! from Node 26 (`tests/data/is_ip.tsv`).

/// `net.isIPv4(input)`.
///
/// ```
/// assert!(net_core::is_ipv4("127.0.0.1"));
/// assert!(!net_core::is_ipv4("127.0.0.01"));
/// ```
pub fn is_ipv4(input: &str) -> bool {
    let mut parts = 0;
    for part in input.split('.') {
        parts += 1;
        if parts > 4 || !is_v4_segment(part) {
            return false;
        }
    }
    parts == 4
}

/// One decimal part 0–255 without a leading zero.
fn is_v4_segment(part: &str) -> bool {
    let b = part.as_bytes();
    if b.is_empty() || b.len() > 3 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    if b.len() > 1 && b[0] == b'0' {
        return false;
    }
    part.parse::<u16>().is_ok_and(|v| v <= 255)
}

/// `net.isIPv6(input)`.
///
/// ```
/// assert!(net_core::is_ipv6("fe80::1%eth0"));
/// assert!(!net_core::is_ipv6("[::1]"));
/// ```
pub fn is_ipv6(input: &str) -> bool {
    let (addr, zone) = match input.split_once('%') {
        Some((addr, zone)) => (addr, Some(zone)),
        None => (input, None),
    };
    if let Some(zone) = zone {
        let ok = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b':');
        if zone.is_empty() || !zone.bytes().all(ok) {
            return false;
        }
    }
    is_ipv6_without_zone(addr)
}

fn is_ipv6_without_zone(addr: &str) -> bool {
    let (head, tail, compressed) = match addr.split_once("::") {
        Some((head, tail)) => (head, tail, true),
        None => (addr, "", false),
    };
    if compressed && tail.contains("::") {
        return false;
    }
    // Groups before and after the `::`; an IPv4 tail may end the last list and counts as two.
    let Some(mut groups) = count_groups(head, !compressed) else { return false };
    if compressed {
        let Some(after) = count_groups(tail, true) else { return false };
        groups += after;
        groups <= 7
    } else {
        groups == 8
    }
}

/// Groups in a `:`-separated list (empty list: 0). With `v4_tail`, the last item may be a dotted
/// IPv4 address, worth two groups. `None` if an item is malformed.
fn count_groups(list: &str, v4_tail: bool) -> Option<usize> {
    if list.is_empty() {
        return Some(0);
    }
    let items: Vec<&str> = list.split(':').collect();
    let last = items.len() - 1;
    let mut groups = 0;
    for (i, item) in items.iter().enumerate() {
        if i == last && v4_tail && item.contains('.') {
            if !is_ipv4(item) {
                return None;
            }
            groups += 2;
        } else if (1..=4).contains(&item.len()) && item.bytes().all(|c| c.is_ascii_hexdigit()) {
            groups += 1;
        } else {
            return None;
        }
    }
    Some(groups)
}

/// `net.isIP(input)`: 4, 6, or 0.
///
/// ```
/// assert_eq!(net_core::is_ip("::1"), 6);
/// assert_eq!(net_core::is_ip("1.2.3.4"), 4);
/// assert_eq!(net_core::is_ip("localhost"), 0);
/// ```
pub fn is_ip(input: &str) -> u8 {
    if is_ipv4(input) {
        4
    } else if is_ipv6(input) {
        6
    } else {
        0
    }
}
