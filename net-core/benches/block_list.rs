//! `BlockList::check` with 10,000 rules, as a server runs it on every accepted connection,
//! beside a linear scan over the same rules (what a plain rule list costs). Release build:
//! `cargo bench -p net-core --bench block_list`.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Instant;

use net_core::BlockList;

const RULES: u32 = 10_000;
const CHECKS: u32 = 1_000_000;

/// Rules of every kind, spread over the IPv4 space, with some IPv6.
fn rules() -> (BlockList, Vec<(u128, u128)>) {
    let mut list = BlockList::new();
    let mut plain = Vec::new();
    let key = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    };
    for i in 0..RULES {
        let base = i.wrapping_mul(429_497); // spread over 2^32
        let ip = IpAddr::V4(Ipv4Addr::from(base));
        match i % 4 {
            0 => {
                list.add_address_ip(ip);
                plain.push((key(ip), key(ip)));
            }
            1 => {
                let net = IpAddr::V4(Ipv4Addr::from(base & 0xFFFF_FF00));
                list.add_subnet_ip(net, 24).unwrap();
                plain.push((key(net), key(net) | 0xFF));
            }
            2 => {
                let end = IpAddr::V4(Ipv4Addr::from(base.saturating_add(16)));
                list.add_range_ip(ip, end).unwrap();
                plain.push((key(ip), key(end)));
            }
            _ => {
                let v6 = IpAddr::V6(Ipv6Addr::from(u128::from(base) << 64 | 0x2001_0db8 << 96));
                list.add_address_ip(v6);
                plain.push((key(v6), key(v6)));
            }
        }
    }
    (list, plain)
}

fn probe(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(i.wrapping_mul(2_654_435_761)))
}

fn main() {
    let (list, plain) = rules();
    assert_eq!(list.size(), RULES as usize);
    // Same answers from both before timing anything.
    for i in 0..10_000 {
        let ip = probe(i);
        let k = match ip {
            IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
            IpAddr::V6(v6) => u128::from(v6),
        };
        assert_eq!(list.check_ip(ip), plain.iter().any(|&(s, e)| s <= k && k <= e), "{ip}");
    }

    let start = Instant::now();
    let mut hits = 0u32;
    for i in 0..CHECKS {
        hits += u32::from(list.check_ip(black_box(probe(i))));
    }
    let indexed = start.elapsed().as_secs_f64() * 1e9 / f64::from(CHECKS);

    let scans = CHECKS / 100;
    let start = Instant::now();
    let mut scan_hits = 0u32;
    for i in 0..scans {
        let ip = black_box(probe(i));
        let IpAddr::V4(v4) = ip else { unreachable!() };
        let k = u128::from(v4.to_ipv6_mapped());
        scan_hits += u32::from(plain.iter().any(|&(s, e)| s <= k && k <= e));
    }
    let linear = start.elapsed().as_secs_f64() * 1e9 / f64::from(scans);

    println!(
        "block_list check, {RULES} rules ({} hits in {CHECKS} checks; {scan_hits} in {scans} scans)",
        hits
    );
    println!("  indexed (net-core):  {indexed:>10.1} ns/check");
    println!("  linear scan (plain): {linear:>10.1} ns/check");
    println!("  ratio linear/indexed: {:.0}x", linear / indexed);
}
