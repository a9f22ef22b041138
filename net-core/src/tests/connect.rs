//! Connecting by name: lookup events, Node's address order, happy eyeballs with virtual time,
//! the outbound BlockList and local binding. Each expected trace is the client's lines of the
//! Node 26 trace named in the doc comment.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::sim::describe;
use crate::{
    BlockList, ConnectOptions, ConnectionInfo, Endpoint, ErrorCode, IoInput, NetError, Socket, SocketAction,
    SocketOptions,
};

const PORT: u16 = 4000;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn at(s: &str) -> SocketAddr {
    SocketAddr::new(ip(s), PORT)
}

fn events(sock: &mut Socket) -> Vec<String> {
    std::iter::from_fn(|| sock.poll_event()).map(|e| describe(&e)).collect()
}

fn actions(sock: &mut Socket) -> Vec<SocketAction> {
    std::iter::from_fn(|| sock.poll_action()).collect()
}

fn connect_action(to: &str) -> SocketAction {
    SocketAction::Connect { to: Endpoint::Tcp(at(to)), local: None }
}

fn refused(to: &str) -> IoInput {
    IoInput::ConnectFailed(NetError::connect(ErrorCode::ECONNREFUSED, at(to)))
}

fn connected(to: &str) -> IoInput {
    IoInput::Connected(ConnectionInfo::tcp("127.0.0.1:50000".parse().unwrap(), at(to)))
}

/// A socket connecting to `host` by name, the lookup already asked for.
fn by_name(opts: ConnectOptions) -> (Socket, Instant) {
    let now = Instant::now();
    let mut sock = Socket::new(SocketOptions::default(), now);
    let request = opts.lookup_request();
    sock.connect_with(opts).unwrap();
    sock.tick(now);
    assert_eq!(actions(&mut sock), [SocketAction::Lookup { request, lookup: None }]);
    (sock, now)
}

fn resolve(sock: &mut Socket, now: Instant, list: &[&str]) {
    sock.handle_io(now, IoInput::Resolved(Ok(list.iter().map(|s| ip(s)).collect())));
}

/// [connect_localhost_lookup_event]: one address: a `lookup` event, then the plain path.
#[test]
fn single_address_by_name() {
    let (mut sock, now) = by_name(ConnectOptions::new("localhost", PORT));
    resolve(&mut sock, now, &["127.0.0.1"]);
    assert_eq!(actions(&mut sock), [connect_action("127.0.0.1")]);
    assert_eq!(sock.poll_timeout(), None, "the plain path has no attempt timer");
    sock.handle_io(now, connected("127.0.0.1"));
    assert_eq!(
        events(&mut sock),
        [
            "lookup address=127.0.0.1 family=4 host=localhost",
            "connectionAttempt 127.0.0.1:4000",
            "connect",
            "ready"
        ]
    );
    assert_eq!(sock.auto_select_family_attempted_addresses(), None);
}

/// [autoSelectFamily_fallback_v6_refused_to_v4]: IPv6 refused, IPv4 answers.
#[test]
fn ipv6_refused_then_ipv4_answers() {
    let (mut sock, now) = by_name(ConnectOptions::new("dual.test", PORT));
    resolve(&mut sock, now, &["::1", "127.0.0.1"]);
    assert_eq!(actions(&mut sock), [connect_action("::1")]);
    sock.handle_io(now, refused("::1"));
    assert_eq!(actions(&mut sock), [connect_action("127.0.0.1")]);
    sock.handle_io(now, connected("127.0.0.1"));
    assert_eq!(
        events(&mut sock),
        [
            "lookup address=::1 family=6 host=dual.test",
            "lookup address=127.0.0.1 family=4 host=dual.test",
            "connectionAttempt ::1:4000",
            "connectionAttemptFailed ::1:4000 ECONNREFUSED",
            "connectionAttempt 127.0.0.1:4000",
            "connect",
            "ready",
        ]
    );
    assert_eq!(sock.auto_select_family_attempted_addresses(), Some(&[at("::1"), at("127.0.0.1")][..]));
    assert_eq!(sock.remote_address(), Some(at("127.0.0.1")));
    assert_eq!(sock.poll_timeout(), None);
}

/// [autoSelectFamily_attempt_timeout]: a hung first address gets `connectionAttemptTimeout`
/// after the 500 ms default, is abandoned, and the next is tried.
#[test]
fn hung_attempt_times_out_after_500ms() {
    let (mut sock, now) = by_name(ConnectOptions::new("slow.test", PORT));
    resolve(&mut sock, now, &["127.0.0.1", "::1"]);
    assert_eq!(actions(&mut sock), [connect_action("127.0.0.1")]);
    assert_eq!(sock.poll_timeout(), Some(now + Duration::from_millis(500)));
    sock.handle_timeout(now + Duration::from_millis(499));
    assert!(actions(&mut sock).is_empty());
    sock.handle_timeout(now + Duration::from_millis(500));
    assert_eq!(actions(&mut sock), [SocketAction::CancelConnect, connect_action("::1")]);
    assert_eq!(sock.poll_timeout(), None, "the last address has no attempt timer");
    sock.handle_io(now + Duration::from_millis(501), connected("::1"));
    assert_eq!(
        events(&mut sock),
        [
            "lookup address=127.0.0.1 family=4 host=slow.test",
            "lookup address=::1 family=6 host=slow.test",
            "connectionAttempt 127.0.0.1:4000",
            "connectionAttemptTimeout 127.0.0.1:4000",
            "connectionAttempt ::1:4000",
            "connect",
            "ready",
        ]
    );
}

/// [autoSelectFamily_attempt_timeout_default]: values under 10 ms become 10 ms.
#[test]
fn attempt_timeout_is_at_least_10ms() {
    let opts = ConnectOptions {
        auto_select_family_attempt_timeout: Duration::from_millis(1),
        ..ConnectOptions::new("h.test", PORT)
    };
    let (mut sock, now) = by_name(opts);
    resolve(&mut sock, now, &["127.0.0.1", "::1"]);
    assert_eq!(sock.poll_timeout(), Some(now + Duration::from_millis(10)));
}

/// [autoSelectFamily_all_refused_aggregate]: every address refused → `AggregateError` with the
/// first error's code, an empty message and every error in attempt order; `close(true)`.
#[test]
fn all_refused_is_an_aggregate_error() {
    let (mut sock, now) = by_name(ConnectOptions::new("dual.test", PORT));
    resolve(&mut sock, now, &["::1", "127.0.0.1"]);
    sock.handle_io(now, refused("::1"));
    sock.handle_io(now, refused("127.0.0.1"));
    let trace = events(&mut sock);
    assert_eq!(trace[trace.len() - 2..], ["error ECONNREFUSED \"\"", "close had_error=true"]);
    let err = sock.errored().unwrap();
    assert!(err.is_aggregate());
    let messages: Vec<_> = err.errors().iter().map(NetError::message).collect();
    assert_eq!(messages, ["connect ECONNREFUSED ::1:4000", "connect ECONNREFUSED 127.0.0.1:4000"]);
    assert_eq!(sock.auto_select_family_attempted_addresses(), Some(&[at("::1"), at("127.0.0.1")][..]));
}

/// Every attempt times out: the attempt timer abandons all but the last, whose own `ETIMEDOUT`
/// (from the operating system) completes the `AggregateError`.
#[test]
fn every_attempt_times_out() {
    let (mut sock, now) = by_name(ConnectOptions::new("black.hole", PORT));
    resolve(&mut sock, now, &["127.0.0.1", "::1", "127.0.0.2"]);
    assert_eq!(actions(&mut sock), [connect_action("127.0.0.1")]);
    let t1 = now + Duration::from_millis(500);
    sock.handle_timeout(t1);
    assert_eq!(actions(&mut sock), [SocketAction::CancelConnect, connect_action("::1")]);
    let t2 = t1 + Duration::from_millis(500);
    assert_eq!(sock.poll_timeout(), Some(t2));
    sock.handle_timeout(t2);
    assert_eq!(actions(&mut sock), [SocketAction::CancelConnect, connect_action("127.0.0.2")]);
    assert_eq!(sock.poll_timeout(), None);
    sock.handle_io(
        t2 + Duration::from_secs(127),
        IoInput::ConnectFailed(NetError::connect(ErrorCode::ETIMEDOUT, at("127.0.0.2"))),
    );
    let trace = events(&mut sock);
    assert_eq!(
        trace[3..],
        [
            "connectionAttempt 127.0.0.1:4000",
            "connectionAttemptTimeout 127.0.0.1:4000",
            "connectionAttempt ::1:4000",
            "connectionAttemptTimeout ::1:4000",
            "connectionAttempt 127.0.0.2:4000",
            "connectionAttemptFailed 127.0.0.2:4000 ETIMEDOUT",
            "error ETIMEDOUT \"\"",
            "close had_error=true",
        ]
    );
    let codes: Vec<_> = sock.errored().unwrap().errors().iter().map(|e| e.message().to_string()).collect();
    assert_eq!(
        codes,
        [
            "connect ETIMEDOUT 127.0.0.1:4000",
            "connect ETIMEDOUT ::1:4000",
            "connect ETIMEDOUT 127.0.0.2:4000"
        ]
    );
    assert_eq!(actions(&mut sock), [SocketAction::Close]);
}

/// [autoSelectFamily_duplicate_and_order]: one `lookup` per answer, duplicates tried once,
/// families interleaved from the first answer's.
#[test]
fn duplicates_and_order() {
    let (mut sock, now) = by_name(ConnectOptions::new("multi.test", PORT));
    resolve(&mut sock, now, &["127.0.0.1", "127.0.0.1", "127.0.0.2", "::1"]);
    sock.handle_io(now, refused("127.0.0.1"));
    sock.handle_io(now, refused("::1"));
    sock.handle_io(now, refused("127.0.0.2"));
    let attempts: Vec<_> =
        events(&mut sock).into_iter().filter(|l| l.starts_with("connectionAttempt ")).collect();
    assert_eq!(
        attempts,
        [
            "connectionAttempt 127.0.0.1:4000",
            "connectionAttempt ::1:4000",
            "connectionAttempt 127.0.0.2:4000"
        ]
    );
    assert_eq!(sock.errored().unwrap().errors().len(), 3);
}

/// Without `autoSelectFamily` the lookup asks for one address and the plain path follows.
#[test]
fn without_auto_select_family() {
    let opts = ConnectOptions { auto_select_family: false, ..ConnectOptions::new("dual.test", PORT) };
    let (mut sock, now) = by_name(opts);
    resolve(&mut sock, now, &["::1"]);
    assert_eq!(actions(&mut sock), [connect_action("::1")]);
    sock.handle_io(now, refused("::1"));
    assert_eq!(
        events(&mut sock)[1..],
        [
            "connectionAttempt ::1:4000",
            "connectionAttemptFailed ::1:4000 ECONNREFUSED",
            "error ECONNREFUSED \"connect ECONNREFUSED ::1:4000\"",
            "close had_error=true"
        ]
    );
}

/// [connect_lookup_error_custom_lookup]: `lookup` with the error, then `error`, `close(true)`.
#[test]
fn lookup_error() {
    let (mut sock, now) = by_name(ConnectOptions::new("nohost.test", PORT));
    sock.handle_io(now, IoInput::Resolved(Err(NetError::lookup(ErrorCode::ENOTFOUND, "nohost.test"))));
    assert_eq!(
        events(&mut sock),
        [
            "lookup err=ENOTFOUND host=nohost.test",
            "error ENOTFOUND \"getaddrinfo ENOTFOUND nohost.test\"",
            "close had_error=true"
        ]
    );
    assert_eq!(sock.errored().unwrap().syscall_name(), Some("getaddrinfo"));
}

/// [socket_blockList_option] A and B: the plain path emits `connectionAttempt`, then
/// `ERR_IP_BLOCKED`; no `connectionAttemptFailed`; nothing is connected.
#[test]
fn blocked_single_address() {
    let mut list = BlockList::new();
    list.add_address_ip(ip("127.0.0.1"));
    let now = Instant::now();
    let mut sock = Socket::new(SocketOptions::default(), now);
    sock.connect_with(ConnectOptions { block_list: Some(list), ..ConnectOptions::new("127.0.0.1", PORT) })
        .unwrap();
    sock.tick(now);
    assert!(actions(&mut sock).is_empty(), "no connect for a blocked address");
    assert_eq!(
        events(&mut sock),
        [
            "connectionAttempt 127.0.0.1:4000",
            "error ERR_IP_BLOCKED \"IP(127.0.0.1) is blocked by net.BlockList\"",
            "close had_error=true"
        ]
    );
    assert_eq!(sock.auto_select_family_attempted_addresses(), None);
}

/// [socket_blockList_option] C and D: on the multi path a blocked address is skipped with only
/// `connectionAttemptFailed`; all blocked → AggregateError `ERR_IP_BLOCKED`, nothing attempted.
#[test]
fn blocked_addresses_on_the_multi_path() {
    let mut list = BlockList::new();
    list.add_address_ip(ip("127.0.0.1"));
    let opts = ConnectOptions { block_list: Some(list.clone()), ..ConnectOptions::new("dual.test", PORT) };
    let (mut sock, now) = by_name(opts);
    resolve(&mut sock, now, &["127.0.0.1", "::1"]);
    assert_eq!(actions(&mut sock), [connect_action("::1")]);
    sock.handle_io(now, connected("::1"));
    assert_eq!(
        events(&mut sock)[2..],
        [
            "connectionAttemptFailed 127.0.0.1:4000 ERR_IP_BLOCKED",
            "connectionAttempt ::1:4000",
            "connect",
            "ready"
        ]
    );
    assert_eq!(sock.auto_select_family_attempted_addresses(), Some(&[at("::1")][..]));

    list.add_address_ip(ip("::1"));
    let (mut sock, now) =
        by_name(ConnectOptions { block_list: Some(list), ..ConnectOptions::new("dual.test", PORT) });
    resolve(&mut sock, now, &["127.0.0.1", "::1"]);
    assert_eq!(actions(&mut sock), [SocketAction::Close], "no connect; the driver drops its lookup");
    assert_eq!(
        events(&mut sock)[2..],
        [
            "connectionAttemptFailed 127.0.0.1:4000 ERR_IP_BLOCKED",
            "connectionAttemptFailed ::1:4000 ERR_IP_BLOCKED",
            "error ERR_IP_BLOCKED \"\"",
            "close had_error=true",
        ]
    );
    assert_eq!(sock.auto_select_family_attempted_addresses(), Some(&[][..]));
}

/// [connect_with_local_address_and_port]: the connect carries the local binding; a bind
/// failure reads "connect EADDRNOTAVAIL … - Local (…)".
#[test]
fn local_address_and_port() {
    let now = Instant::now();
    let mut sock = Socket::new(SocketOptions::default(), now);
    let opts = ConnectOptions {
        local_address: Some(ip("127.0.0.1")),
        local_port: Some(5555),
        ..ConnectOptions::new("127.0.0.1", PORT)
    };
    sock.connect_with(opts).unwrap();
    sock.tick(now);
    let local: SocketAddr = "127.0.0.1:5555".parse().unwrap();
    assert_eq!(
        actions(&mut sock),
        [SocketAction::Connect { to: Endpoint::Tcp(at("127.0.0.1")), local: Some(local) }]
    );
    let err = NetError::connect_from(ErrorCode::EADDRNOTAVAIL, at("127.0.0.1"), local);
    assert_eq!(err.message(), "connect EADDRNOTAVAIL 127.0.0.1:4000 - Local (127.0.0.1:5555)");
    let mut only_port = Socket::new(SocketOptions::default(), now);
    only_port
        .connect_with(ConnectOptions { local_port: Some(6000), ..ConnectOptions::new("::1", PORT) })
        .unwrap();
    only_port.tick(now);
    let unspecified: SocketAddr = "[::]:6000".parse().unwrap();
    assert_eq!(
        actions(&mut only_port),
        [SocketAction::Connect { to: Endpoint::Tcp(at("::1")), local: Some(unspecified) }]
    );
}

/// Destroyed while looking up: nothing to close (the lookup action is withdrawn if not yet
/// taken); destroyed during attempts: the attempt timer is gone.
#[test]
fn destroy_while_connecting_by_name() {
    let now = Instant::now();
    let mut sock = Socket::new(SocketOptions::default(), now);
    sock.connect_with(ConnectOptions::new("h.test", PORT)).unwrap();
    sock.tick(now);
    sock.destroy();
    assert!(actions(&mut sock).is_empty());
    assert_eq!(events(&mut sock), ["close had_error=false"]);
    sock.handle_io(now, IoInput::Resolved(Ok(vec![ip("127.0.0.1")])));
    assert!(events(&mut sock).is_empty());

    let (mut sock, now) = by_name(ConnectOptions::new("h.test", PORT));
    resolve(&mut sock, now, &["127.0.0.1", "::1"]);
    assert!(sock.poll_timeout().is_some());
    sock.destroy();
    assert_eq!(sock.poll_timeout(), None);
    sock.handle_timeout(now + Duration::from_secs(1));
    assert_eq!(events(&mut sock).last().unwrap(), "close had_error=false");
}

/// An empty answer is a lookup failure, not a hang.
#[test]
fn empty_lookup_answer() {
    let (mut sock, now) = by_name(ConnectOptions::new("void.test", PORT));
    resolve(&mut sock, now, &[]);
    assert_eq!(events(&mut sock)[1], "error ENOTFOUND \"getaddrinfo ENOTFOUND void.test\"");
}

/// Node 26's type of service while connecting (tests/data/tos_lifecycle.txt): the value is only
/// kept until the attempt's connect(2) exists (both calls answer EBADF, the set keeping its
/// value), then the kernel's 0 is read until the kept value is set on connect; a failed attempt
/// leaves no descriptor (happy eyeballs' next attempt is a new handle).
#[test]
fn type_of_service_while_connecting() {
    let opts = ConnectOptions::new("dual.test", PORT);
    let (mut sock, now) = by_name(opts);
    assert_eq!(sock.type_of_service().unwrap_err().message(), "getTypeOfService EBADF");
    assert_eq!(sock.set_type_of_service(24).unwrap_err().message(), "setTypeOfService EBADF");
    resolve(&mut sock, now, &["::1", "127.0.0.1"]);
    assert_eq!(actions(&mut sock), [connect_action("::1")]);
    assert_eq!(sock.type_of_service(), Ok(0), "the descriptor exists; the kept value waits for connect");
    sock.handle_io(now, refused("::1"));
    assert_eq!(sock.type_of_service().unwrap_err().code(), "EBADF", "no descriptor between attempts");
    assert_eq!(actions(&mut sock), [connect_action("127.0.0.1")]);
    sock.handle_io(now, connected("127.0.0.1"));
    assert!(
        actions(&mut sock).contains(&SocketAction::SetTypeOfService(24)),
        "the kept value is set on connect"
    );
    assert_eq!(sock.type_of_service(), Ok(24));
    sock.set_type_of_service(24).unwrap();
    assert_eq!(actions(&mut sock), [], "the value already set is not set again");
}

fn looked_up(sock: &mut Socket, now: Instant, answers: &[(&str, u32)]) {
    let list = answers.iter().map(|&(a, f)| crate::LookupAddress::new(a, f)).collect();
    sock.handle_io(now, IoInput::LookedUp(Ok(list)));
}

/// What Node 26 asks a lookup for (tests/data/custom_lookup.txt, "opts *"): every address only
/// with happy eyeballs, no `family` and no `localAddress`; `ADDRCONFIG` unless a `family` or
/// `hints` is given.
#[test]
fn custom_lookup_request_follows_node() {
    let request = |f: fn(&mut ConnectOptions)| {
        let mut opts = ConnectOptions::new("example.test", PORT);
        opts.auto_select_family = true;
        f(&mut opts);
        let r = opts.lookup_request();
        (r.family.map(crate::Family::number), r.hints, r.all)
    };
    assert_eq!(request(|_| {}), (None, 32, true), "all valid: {{hints:32, all:true}}");
    assert_eq!(request(|o| o.family = Some(crate::Family::Ipv4)), (Some(4), 0, false), "opts family4");
    assert_eq!(request(|o| o.local_address = Some(ip("127.0.0.1"))), (None, 32, false), "opts local");
    assert_eq!(request(|o| o.hints = 1024), (None, 1024, true), "opts hints");
    assert_eq!(
        request(|o| {
            o.hints = 8;
            o.family = Some(crate::Family::Ipv4);
        }),
        (Some(4), 8, false),
        "opts hints family"
    );
    assert_eq!(request(|o| o.auto_select_family = false), (None, 32, false), "sync single");
}

/// An answer whose family is not its address's (custom_lookup.txt, "multi mismatch *" and
/// "single family mismatch"): the attempt is announced, then fails at once with Node's
/// `connect EINVAL … - Local (undefined:undefined)`; on the multi path the next address follows
/// and the error joins the aggregate.
#[test]
fn custom_lookup_family_mismatch() {
    let (mut sock, now) = by_name(ConnectOptions::new("example.test", PORT));
    looked_up(&mut sock, now, &[("127.0.0.1", 6), ("127.0.0.1", 4)]);
    assert_eq!(actions(&mut sock), [connect_action("127.0.0.1")], "only the second is connected");
    sock.handle_io(now, connected("127.0.0.1"));
    assert_eq!(
        events(&mut sock),
        [
            "lookup address=127.0.0.1 family=6 host=example.test",
            "lookup address=127.0.0.1 family=4 host=example.test",
            "connectionAttempt 127.0.0.1:4000",
            "connectionAttemptFailed 127.0.0.1:4000 EINVAL",
            "connectionAttempt 127.0.0.1:4000",
            "connect",
            "ready"
        ]
    );
    assert_eq!(sock.auto_select_family_attempted_addresses(), Some(&[at("127.0.0.1"), at("127.0.0.1")][..]));

    let (mut sock, now) = by_name(ConnectOptions::new("example.test", PORT));
    looked_up(&mut sock, now, &[("127.0.0.2", 4), ("127.0.0.1", 6)]);
    assert_eq!(actions(&mut sock), [connect_action("127.0.0.2")]);
    sock.handle_io(now, refused("127.0.0.2"));
    let lines = events(&mut sock);
    assert_eq!(
        lines[4..6],
        ["connectionAttempt 127.0.0.1:4000", "connectionAttemptFailed 127.0.0.1:4000 EINVAL"]
    );
    assert!(lines[6].starts_with("error ECONNREFUSED"), "{lines:?}");

    let (mut sock, now) = by_name(ConnectOptions::new("example.test", PORT));
    looked_up(&mut sock, now, &[("::1", 4)]);
    assert!(
        !actions(&mut sock).iter().any(|a| matches!(a, SocketAction::Connect { .. })),
        "nothing reaches the kernel"
    );
    assert_eq!(
        events(&mut sock)[1..3],
        [
            "connectionAttempt ::1:4000",
            "error EINVAL \"connect EINVAL ::1:4000 - Local (undefined:undefined)\""
        ]
    );
}

/// Node's checks on one answer read without `all` (custom_lookup.txt, "single *"): the lookup
/// event reports it as given, then `ERR_INVALID_IP_ADDRESS` or `ERR_INVALID_ADDRESS_FAMILY`.
#[test]
fn custom_lookup_single_answer_checks() {
    let single = || {
        let mut opts = ConnectOptions::new("example.test", PORT);
        opts.auto_select_family = false;
        by_name(opts)
    };
    let (mut sock, now) = single();
    looked_up(&mut sock, now, &[("nope", 4)]);
    assert_eq!(
        events(&mut sock)[..2],
        [
            "lookup address=nope family=4 host=example.test",
            "error ERR_INVALID_IP_ADDRESS \"Invalid IP address: nope\""
        ]
    );
    let (mut sock, now) = single();
    looked_up(&mut sock, now, &[("127.0.0.1", 5)]);
    assert_eq!(
        events(&mut sock)[1],
        "error ERR_INVALID_ADDRESS_FAMILY \"Invalid address family: 5 example.test:4000\""
    );
    let (mut sock, now) = single();
    looked_up(&mut sock, now, &[]);
    assert_eq!(
        events(&mut sock)[..2],
        [
            "lookup address= family=0 host=example.test",
            "error ERR_INVALID_IP_ADDRESS \"Invalid IP address: undefined\""
        ]
    );
}

/// A zone on an IPv6 literal (Node: an IP literal, no lookup): libuv's scope id is the
/// interface's index for a link-local address, 0 for an unknown name or a number (Unix
/// `if_nametoindex`); Linux ignores it elsewhere, so the core drops it there.
#[test]
fn ipv6_zones() {
    crate::set_interface_index(|name| (name == "eth7").then_some(7));
    let scoped = |text: &str| match crate::parse_ip_literal(text, PORT) {
        Some(SocketAddr::V6(v6)) => Some(v6.scope_id()),
        _ => None,
    };
    assert_eq!(scoped("fe80::1%eth7"), Some(7));
    assert_eq!(scoped("fe80::1%nosuch"), Some(0));
    assert_eq!(scoped("fe80::1%7"), Some(0), "a number is a name to if_nametoindex");
    assert_eq!(scoped("::1%eth7"), Some(0), "not link-local");
    assert_eq!(crate::parse_ip_literal("127.0.0.1%eth7", PORT), None);
    let mut sock = Socket::new(SocketOptions::default(), Instant::now());
    sock.connect_with(ConnectOptions::new("fe80::1%eth7", PORT)).unwrap();
    sock.tick(Instant::now());
    let to = SocketAddr::V6(std::net::SocketAddrV6::new("fe80::1".parse().unwrap(), PORT, 0, 7));
    assert_eq!(
        actions(&mut sock),
        [SocketAction::Connect { to: Endpoint::Tcp(to), local: None }],
        "no lookup"
    );
}
