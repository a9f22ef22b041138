//! The slice of the WHATWG URL parser that `SocketAddress.parse` relies on: the host and port
//! of `http://<text>`, where only IP hosts matter (a domain makes `parse` answer `None`).

use std::net::{Ipv4Addr, Ipv6Addr};

pub(crate) enum Host {
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

/// Host and port of `http://<text>`; the port is 0 when absent or equal to http's default 80.
pub(crate) fn host_and_port(text: &str) -> Option<(Host, u16)> {
    // The URL parser trims C0 controls and spaces at the end (the start is "http://"), and drops
    // tabs and newlines anywhere.
    let trimmed = text.trim_end_matches(|c: char| c <= ' ');
    let cleaned: String = trimmed.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    let authority = cleaned.split(['/', '\\', '?', '#']).next().unwrap_or("");
    let host_port = match authority.rfind('@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    let (host, port) = split_host_port(host_port);
    if host.is_empty() {
        return None;
    }
    let port = match port {
        None | Some("") => 0,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => {
            let significant = p.trim_start_matches('0');
            if significant.len() > 5 {
                return None;
            }
            let value: u32 = significant.parse().unwrap_or(0);
            if value > 65535 {
                return None;
            }
            if value == 80 { 0 } else { value as u16 }
        }
        Some(_) => return None,
    };
    let host = if let Some(inner) = host.strip_prefix('[') {
        Host::V6(inner.strip_suffix(']')?.parse().ok()?)
    } else {
        Host::V4(ipv4_host(host)?)
    };
    Some((host, port))
}

/// Split at the first `:` outside brackets.
fn split_host_port(s: &str) -> (&str, Option<&str>) {
    let mut in_brackets = false;
    for (i, c) in s.char_indices() {
        match c {
            '[' => in_brackets = true,
            ']' => in_brackets = false,
            ':' if !in_brackets => return (&s[..i], Some(&s[i + 1..])),
            _ => {}
        }
    }
    (s, None)
}

/// A non-bracketed host that is an IPv4 address in WHATWG's sense, else `None` (a domain, or
/// failure).
fn ipv4_host(host: &str) -> Option<Ipv4Addr> {
    let decoded = percent_decode(host)?;
    let ascii = to_ascii_host(&decoded)?;
    if !ends_in_number(&ascii) {
        return None; // a domain name: not a socket address
    }
    parse_ipv4(&ascii)
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The part of UTS #46 that can turn text into an IPv4 address: ASCII lower-casing and the
/// full-width and ideographic forms of digits, letters and dots. Other non-ASCII text can only
/// be a domain, which `parse` rejects anyway.
fn to_ascii_host(s: &str) -> Option<String> {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => {
                char::from_u32(c as u32 - 0xFF01 + 0x21).map(|a| a.to_ascii_lowercase())
            }
            '\u{3002}' | '\u{FF61}' => Some('.'),
            c if c.is_ascii() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

fn ends_in_number(host: &str) -> bool {
    let mut parts: Vec<&str> = host.split('.').collect();
    if parts.last() == Some(&"") {
        if parts.len() == 1 {
            return false;
        }
        parts.pop();
    }
    let last = parts.last().copied().unwrap_or("");
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    matches!(last.get(..2), Some("0x" | "0X")) && last[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn parse_ipv4(host: &str) -> Option<Ipv4Addr> {
    let mut parts: Vec<&str> = host.split('.').collect();
    if parts.last() == Some(&"") && parts.len() > 1 {
        parts.pop();
    }
    if parts.len() > 4 {
        return None;
    }
    let numbers: Vec<u64> = parts.iter().map(|p| ipv4_number(p)).collect::<Option<_>>()?;
    let (last, rest) = numbers.split_last()?;
    if rest.iter().any(|&n| n > 255) || *last >= 256u64.pow(5 - numbers.len() as u32) {
        return None;
    }
    let mut value = *last;
    for (i, n) in rest.iter().enumerate() {
        value += n * 256u64.pow(3 - i as u32);
    }
    Some(Ipv4Addr::from(u32::try_from(value).ok()?))
}

fn ipv4_number(part: &str) -> Option<u64> {
    if part.is_empty() {
        return None;
    }
    let (digits, radix) = if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
        (hex, 16)
    } else if part.len() > 1 && part.starts_with('0') {
        (&part[1..], 8)
    } else {
        (part, 10)
    };
    if digits.is_empty() {
        return Some(0);
    }
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    // Saturate: any huge number fails the range check above.
    Some(u64::from_str_radix(digits, radix).unwrap_or(u64::MAX))
}
