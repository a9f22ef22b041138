//! The body of the `addresses` fuzz target, shared by `fuzz/fuzz_targets/addresses.rs`
//! (libFuzzer) and `tests/fuzz_addresses.rs` (proptest, on stable Rust).
//!
//! Arbitrary bytes become text and JavaScript-typed arguments for every parser and validator
//! that takes them: `is_ip`, `SocketAddress` (`parse`, `new`, `from_init`), `parse_family`,
//! `validate_port`, `validate_timeout`, `ConnectArgs`, `ListenArgs`, and a sequence of
//! `BlockList` calls. Nothing may panic, and what is accepted must be consistent: a parsed
//! address prints and parses back to itself, an added rule matches what it was made of, an
//! error is always an invalid-argument error, `fromJSON(toJSON())` gives the same rules.
//!
//! `addr_no_panic.rs` feeds proptest strings to the text parsers and BlockList; this adds the
//! `Arg` validators, the typed constructors, cross-checks between parsers, and the rule
//! round trips.
#![allow(dead_code)]

use std::net::IpAddr;

use arbitrary::{Result, Unstructured};
use net_core::{
    Arg, BlockList, ConnectArgs, ConnectTarget, ErrorKind, Family, ListenArgs, NetError, SocketAddress,
    SocketAddressInit, is_ip, is_ipv4, is_ipv6, parse_family, validate_port, validate_timeout,
};

const MAX_STEPS: usize = 200;

/// Run one input.
pub(crate) fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut list = BlockList::new();
    for _ in 0..MAX_STEPS {
        if u.is_empty() {
            break;
        }
        if step(&mut u, &mut list).is_err() {
            break;
        }
    }
    check_list(&list);
}

// ---------------------------------------------------------------------------------------------
// Inputs.

const TOKENS: &[&str] = &[
    "0",
    "1",
    "9",
    "00",
    "01",
    "127",
    "255",
    "256",
    "4294967295",
    "ffff",
    "FFFF",
    "fe80",
    "0x",
    "0x7f",
    ".",
    ":",
    "::",
    "/",
    "%",
    "%25",
    "eth0",
    "[",
    "]",
    "-",
    "+",
    " ",
    "\t",
    "\0",
    "\u{feff}",
    "é",
    "e",
    "1e3",
    "Infinity",
    "NaN",
    "Address: IPv4 ",
    "Address: IPv6 ",
    "Subnet: IPv4 ",
    "Subnet: IPv6 ",
    "Range: IPv4 ",
    "Range: IPv6 ",
    "\"",
    ",",
    "[\"",
    "\"]",
    "\\",
    "\\u0041",
    "ipv4",
    "ipv6",
    "IPv4",
    "IPV6",
    "@",
    "#",
    "?",
    "http://",
    "localhost",
];

/// Text: arbitrary, or address-like tokens, or a valid address with a small change.
fn text(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0u8..=4)? {
        0 => {
            let n = u.int_in_range(0..=40)?;
            String::from_utf8_lossy(u.bytes(n.min(u.len()))?).into_owned()
        }
        1 | 2 => {
            let n = u.int_in_range(0..=14)?;
            let mut s = String::new();
            for _ in 0..n {
                s.push_str(u.choose(TOKENS)?);
            }
            s
        }
        _ => {
            let mut s: String = u
                .choose(&[
                    "127.0.0.1",
                    "10.0.0.0/8",
                    "::1",
                    "fe80::1%eth0",
                    "::ffff:1.2.3.4",
                    "[::1]:80",
                    "1.2.3.4:8080",
                    "2001:db8::/32",
                    "0.0.0.0",
                    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                ])?
                .to_string();
            let at = u.int_in_range(0..=s.len())?;
            if s.is_char_boundary(at) {
                match u.int_in_range(0u8..=2)? {
                    0 => s.insert_str(at, u.choose(TOKENS)?),
                    1 if at < s.len() => {
                        s.remove(at);
                    }
                    _ => s.truncate(at),
                }
            }
            s
        }
    })
}

fn number(u: &mut Unstructured<'_>) -> Result<f64> {
    Ok(match u.int_in_range(0u8..=4)? {
        0 | 4 => *u.choose(&[
            0.0,
            -0.0,
            1.0,
            80.0,
            65535.0,
            65536.0,
            -1.0,
            1.5,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e21,
            2_147_483_647.0,
            2_147_483_648.0,
            4_294_967_295.0,
            4_294_967_296.0,
            1e-7,
            f64::MAX,
            f64::MIN_POSITIVE,
            1_048_575.0,
            1_048_576.0,
        ])?,
        1 => f64::from_bits(u.arbitrary()?),
        2 => f64::from(u.int_in_range(-70_000..=70_000)?),
        _ => f64::from(u.arbitrary::<i32>()?) / 8.0,
    })
}

/// A JavaScript value, owned; `arg()` lends it as an `Arg`.
#[derive(Debug, Clone)]
enum Js {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    Str(String),
}

impl Js {
    fn arg(&self) -> Arg<'_> {
        match self {
            Self::Undefined => Arg::Undefined,
            Self::Null => Arg::Null,
            Self::Bool(b) => Arg::Bool(*b),
            Self::Number(n) => Arg::Number(*n),
            Self::Str(s) => Arg::Str(s),
        }
    }
}

fn js(u: &mut Unstructured<'_>) -> Result<Js> {
    Ok(match u.int_in_range(0u8..=7)? {
        0 => Js::Undefined,
        1 => Js::Null,
        2 => Js::Bool(u.arbitrary()?),
        3..=5 => Js::Number(number(u)?),
        _ => Js::Str(text(u)?),
    })
}

fn jss<const N: usize>(u: &mut Unstructured<'_>) -> Result<[Js; N]> {
    let mut out: [Js; N] = std::array::from_fn(|_| Js::Undefined);
    for slot in &mut out {
        *slot = js(u)?;
    }
    Ok(out)
}

fn family(u: &mut Unstructured<'_>) -> Result<Family> {
    Ok(if u.arbitrary()? { Family::Ipv4 } else { Family::Ipv6 })
}

// ---------------------------------------------------------------------------------------------
// Checks.

fn invalid_argument(e: &NetError, what: &str) {
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{what}: {e:?} is not an invalid-argument error");
}

fn step(u: &mut Unstructured<'_>, list: &mut BlockList) -> Result<()> {
    match u.int_in_range(0u8..=9)? {
        0 | 1 => check_text(&text(u)?, u)?,
        2 => {
            let [port, msecs] = jss::<2>(u)?;
            let (port, msecs) = (port.arg(), msecs.arg());
            let name = *u.choose(&["Port", "options.port", "options.localPort"])?;
            let allow_zero = u.arbitrary()?;
            match validate_port(port, name, allow_zero) {
                Ok(p) => assert!(allow_zero || p != 0, "port 0 without allowZero from {port:?}"),
                Err(e) => {
                    assert_eq!(e.code(), "ERR_SOCKET_BAD_PORT", "{port:?}");
                    assert!(e.message().starts_with(name), "{e:?}");
                }
            }
            match validate_timeout(msecs) {
                Ok(d) => {
                    assert!(matches!(msecs, Arg::Number(n) if n >= 0.0 && n.is_finite()));
                    // Node cuts timeouts at 2^31-1 ms.
                    assert!(d <= std::time::Duration::from_millis((1 << 31) - 1), "{msecs:?} gave {d:?}");
                }
                Err(e) => invalid_argument(&e, "validate_timeout"),
            }
        }
        3 => {
            let values = jss::<9>(u)?;
            let a: [Arg<'_>; 9] = std::array::from_fn(|i| values[i].arg());
            let args = ConnectArgs {
                port: a[0],
                host: a[1],
                path: a[2],
                family: a[3],
                auto_select_family: a[4],
                auto_select_family_attempt_timeout: a[5],
                local_address: a[6],
                local_port: a[7],
                hints: a[8],
                has_lookup: u.arbitrary()?,
            };
            match args.validate() {
                Ok(ConnectTarget::Tcp(o)) => {
                    assert!(o.auto_select_family_attempt_timeout >= net_core::MIN_ATTEMPT_TIMEOUT);
                    assert!(!o.host.is_empty());
                }
                Ok(ConnectTarget::Ipc(_)) => assert!(matches!(a[2], Arg::Str(_))),
                Err(e) => invalid_argument(&e, "ConnectArgs::validate"),
            }
        }
        4 => {
            let [port, host, path, short] = jss::<4>(u)?;
            let args = ListenArgs { port: port.arg(), host: host.arg(), path: path.arg() };
            if let Err(e) = args.validate() {
                invalid_argument(&e, "ListenArgs::validate");
            }
            if let Err(e) = ListenArgs::shorthand(short.arg()).validate() {
                invalid_argument(&e, "ListenArgs::shorthand");
            }
        }
        5 => {
            let [address, port, family, flowlabel] = jss::<4>(u)?;
            let init = SocketAddressInit {
                address: address.arg(),
                port: port.arg(),
                family: family.arg(),
                flowlabel: flowlabel.arg(),
            };
            match SocketAddress::from_init(init) {
                Ok(a) => {
                    assert!(a.flowlabel() <= 0xF_FFFF, "flow label over 20 bits: {a:?}");
                    // What was accepted is accepted again in its canonical form.
                    let again = SocketAddress::new(&a.address(), a.port(), a.family(), a.flowlabel());
                    assert_eq!(again.ok(), Some(a), "canonical form of {init:?} refused");
                }
                Err(e) => invalid_argument(&e, "SocketAddress::from_init"),
            }
        }
        _ => block_list_step(u, list)?,
    }
    Ok(())
}

/// One string through the text parsers.
fn check_text(s: &str, u: &mut Unstructured<'_>) -> Result<()> {
    let v = is_ip(s);
    assert!(v == 0 || v == 4 || v == 6, "is_ip({s:?}) = {v}");
    assert_eq!(is_ipv4(s), v == 4, "is_ipv4({s:?})");
    assert_eq!(is_ipv6(s), v == 6, "is_ipv6({s:?})");
    if let Some(a) = SocketAddress::parse(s) {
        // Display then parse gives the same address (parse reads port 80 as 0, a Node quirk).
        let back =
            SocketAddress::parse(&a.to_string()).unwrap_or_else(|| panic!("{a} from {s:?} does not parse"));
        assert_eq!(back.ip(), a.ip(), "{s:?}");
        assert!(back.port() == a.port() || a.port() == 80, "{s:?}");
        assert_eq!(back.family(), a.family());
    }
    let fam = family(u)?;
    match SocketAddress::new(s, u.arbitrary()?, fam, u.int_in_range(0..=0xF_FFFF)?) {
        Ok(a) => {
            assert_eq!(a.family(), fam, "{s:?}");
            let mut list = BlockList::new();
            list.add_address(s, fam).expect("an address SocketAddress takes, BlockList takes");
            assert!(list.check(s, fam) && list.check_ip(a.ip()), "{s:?} added but not matched");
        }
        Err(e) => {
            assert_eq!(e.code(), "ERR_INVALID_ADDRESS", "{s:?}: {e:?}");
            assert!(
                BlockList::new().add_address(s, fam).is_err(),
                "BlockList takes {s:?}, SocketAddress not"
            );
        }
    }
    match parse_family(s, "options.family") {
        Ok(f) => assert_eq!(s.to_lowercase(), if f == Family::Ipv4 { "ipv4" } else { "ipv6" }),
        Err(e) => assert_eq!(e.code(), "ERR_INVALID_ARG_VALUE"),
    }
    Ok(())
}

fn block_list_step(u: &mut Unstructured<'_>, list: &mut BlockList) -> Result<()> {
    let a = text(u)?;
    let b = text(u)?;
    let fam = family(u)?;
    let prefix: u8 = if u.arbitrary()? { u.int_in_range(0..=129)? } else { u.arbitrary()? };
    let before = list.size();
    let r = match u.int_in_range(0u8..=14)? {
        0 => list.add_address(&a, fam).map(|()| {
            assert!(list.check(&a, fam), "addAddress({a:?}) then check is false");
        }),
        1 => list.add_range(&a, &b, fam).map(|()| {
            assert!(list.check(&a, fam) && list.check(&b, fam), "addRange({a:?}, {b:?}) ends not matched");
            assert_eq!(list.size(), before + 1);
        }),
        2 => list.add_subnet(&a, prefix, fam).map(|()| {
            assert!(list.check(&a, fam), "addSubnet({a:?}, {prefix}) does not match its own address");
            assert_eq!(list.size(), before + 1);
        }),
        3 => list.add_cidr(&a).map(|()| {
            let (net, _) = a.rsplit_once('/').expect("a CIDR has a /");
            let fam = if net.contains(':') { Family::Ipv6 } else { Family::Ipv4 };
            assert!(list.check(net, fam), "addCIDR({a:?}) does not match its own address");
            assert_eq!(list.size(), before + 1);
        }),
        4 => list.add_cidrs(&[a.as_str(), b.as_str()]),
        5 => list.add_addresses(&[a.as_str(), b.as_str()], fam),
        6 => list.remove_address(&a, fam).map(|()| {
            // An address rule is gone; a subnet or range may still match.
            assert!(list.size() <= before);
        }),
        7 => list.remove_range(&a, &b, fam),
        8 => list.remove_subnet(&a, prefix, fam),
        9 => list.remove_cidr(&a),
        10 => list.add_rules(&[a.as_str(), b.as_str()]),
        11 => {
            let mut fresh = BlockList::new();
            let r = fresh.from_json(&a);
            if r.is_ok() {
                check_list(&fresh);
            }
            r
        }
        12 => {
            let _ = list.check(&a, fam);
            if let Ok(ip) = a.parse::<IpAddr>() {
                let _ = list.check_ip(ip);
            }
            Ok(())
        }
        13 => {
            let addr: Result<IpAddr> = u.arbitrary::<[u8; 16]>().map(IpAddr::from);
            let (x, y) = (addr?, IpAddr::from(u.arbitrary::<[u8; 4]>()?));
            let r = list.add_range_ip(x.min(y), x.max(y));
            if r.is_ok() {
                assert!(list.check_ip(x) && list.check_ip(y));
            }
            let _ = list.add_subnet_ip(x, prefix);
            list.add_address_ip(y);
            assert!(list.check_ip(y));
            r
        }
        _ => {
            if u.ratio(1, 8)? {
                list.clear();
                assert!(list.is_empty());
            }
            Ok(())
        }
    };
    if let Err(e) = r {
        invalid_argument(&e, "BlockList");
    }
    assert_eq!(list.rules().len(), list.size());
    Ok(())
}

/// `fromJSON(toJSON())` gives the same rules (as a multiset; Node orders them its own way).
fn check_list(list: &BlockList) {
    assert_eq!(list.rules().len(), list.size());
    let mut copy = BlockList::new();
    copy.from_json(&list.to_json()).unwrap_or_else(|e| panic!("own JSON refused: {e:?}\n{}", list.to_json()));
    let mut ours = list.rules();
    let mut theirs = copy.rules();
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs, "fromJSON(toJSON()) changed the rules");
}
