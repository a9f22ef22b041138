//! Connecting by name: lookup, Node's address ordering, and happy-eyeballs attempts
//! (`autoSelectFamily`) with the attempt timeout as a core timer.
//!
//! A [`crate::Socket`] owns a `Connector` while it connects. The connector asks the driver for a
//! lookup ([`crate::SocketAction::Lookup`]) and for connects, one attempt at a time, and reports
//! Node's events: `lookup` per address, `connectionAttempt`, `connectionAttemptFailed`,
//! `connectionAttemptTimeout`, and when every address failed, an `AggregateError`.

use std::collections::VecDeque;

use crate::socket::queue::Queue;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crate::addr::{BlockList, Endpoint, Family, is_ip};
use crate::error::{ErrorCode, NetError};
use crate::event::{SocketAction, SocketEvent};
use crate::lookup::{CustomLookup, LookupAddress, LookupRequest, LookupResult};
use crate::timer::Timer;

/// Node's default `autoSelectFamilyAttemptTimeout` (Node 26: 500 ms; Node 20: 250 ms).
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_millis(500);

/// The shortest attempt timeout; Node raises smaller values to 10 ms.
pub const MIN_ATTEMPT_TIMEOUT: Duration = Duration::from_millis(10);

// Node's process-wide defaults (`net.setDefaultAutoSelectFamily`, `...AttemptTimeout`).
static AUTO_SELECT_FAMILY: AtomicBool = AtomicBool::new(true);
static ATTEMPT_TIMEOUT_MS: AtomicU32 = AtomicU32::new(DEFAULT_ATTEMPT_TIMEOUT.as_millis() as u32);

/// `net.getDefaultAutoSelectFamily()`: what a connect without `autoSelectFamily` uses
/// (Node 26: `true`). Process-wide, read when [`ConnectOptions::new`] builds the options.
pub fn default_auto_select_family() -> bool {
    AUTO_SELECT_FAMILY.load(Ordering::Relaxed)
}

/// `net.setDefaultAutoSelectFamily(value)`, for the whole process. A JavaScript-like value is
/// checked with [`validate_boolean`](crate::validate_boolean) first, as Node checks it.
pub fn set_default_auto_select_family(value: bool) {
    AUTO_SELECT_FAMILY.store(value, Ordering::Relaxed);
}

/// `net.getDefaultAutoSelectFamilyAttemptTimeout()` (Node 26: 500 ms). Process-wide, read when
/// [`ConnectOptions::new`] builds the options.
pub fn default_auto_select_family_attempt_timeout() -> Duration {
    Duration::from_millis(ATTEMPT_TIMEOUT_MS.load(Ordering::Relaxed).into())
}

/// `net.setDefaultAutoSelectFamilyAttemptTimeout(ms)`, for the whole process: Node's
/// `validateInt32(value, 'value', 1)` (`ERR_OUT_OF_RANGE` for 0 and above 2^31-1), and values
/// under 10 become 10. A JavaScript-like value is checked with
/// [`validate_int32`](crate::validate_int32) first.
///
/// ```
/// use std::time::Duration;
/// net_core::set_default_auto_select_family_attempt_timeout(5).unwrap();
/// assert_eq!(net_core::default_auto_select_family_attempt_timeout(), Duration::from_millis(10));
/// let err = net_core::set_default_auto_select_family_attempt_timeout(0).unwrap_err();
/// assert_eq!(err.code(), "ERR_OUT_OF_RANGE");
/// # net_core::set_default_auto_select_family_attempt_timeout(500).unwrap();
/// ```
pub fn set_default_auto_select_family_attempt_timeout(ms: u32) -> Result<(), NetError> {
    let ms = crate::validate_int32(crate::Arg::Number(f64::from(ms)), "value", 1, i32::MAX)?;
    let ms = (ms as u32).max(MIN_ATTEMPT_TIMEOUT.as_millis() as u32);
    ATTEMPT_TIMEOUT_MS.store(ms, Ordering::Relaxed);
    Ok(())
}

/// Where and how a TCP socket connects (`socket.connect(options)`), with Node 26's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    /// Host name or IP literal (default `"localhost"`).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Restrict the lookup to one family (`family: 4 | 6`); `None` is Node's `0`.
    pub family: Option<Family>,
    /// Happy eyeballs (default: [`default_auto_select_family`], `true` unless changed).
    pub auto_select_family: bool,
    /// Time each attempt but the last gets before the next starts (default:
    /// [`default_auto_select_family_attempt_timeout`], 500 ms unless changed; at least 10 ms).
    pub auto_select_family_attempt_timeout: Duration,
    /// Local address to bind before connecting.
    pub local_address: Option<IpAddr>,
    /// Local port to bind before connecting.
    pub local_port: Option<u16>,
    /// Outbound rules: a matching address is not connected to (`ERR_IP_BLOCKED`).
    pub block_list: Option<BlockList>,
    /// getaddrinfo flags for the lookup (Node's `hints`: [`ADDRCONFIG`](crate::lookup::ADDRCONFIG),
    /// [`V4MAPPED`](crate::lookup::V4MAPPED), [`ALL`](crate::lookup::ALL)); `0` lets Node's
    /// default stand (`ADDRCONFIG` when no `family` is given).
    pub hints: u32,
    /// The connect's own lookup function (Node's `lookup`), used instead of the runtime's
    /// resolver for a host name.
    pub lookup: Option<CustomLookup>,
    /// The connect starts from an adopted `BoundSocket` (Node's `handle` option): the local
    /// end is the bound one, so `local_address` and `local_port` are refused and happy eyeballs
    /// is off (one address, one descriptor).
    pub bound_socket: bool,
}

impl ConnectOptions {
    /// Connect to `host:port` with Node's defaults (the process-wide ones as they are now).
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            family: None,
            auto_select_family: default_auto_select_family(),
            auto_select_family_attempt_timeout: default_auto_select_family_attempt_timeout(),
            local_address: None,
            local_port: None,
            block_list: None,
            hints: 0,
            lookup: None,
            bound_socket: false,
        }
    }

    /// Node's synchronous checks in `connect()` that depend on the lookup: `dns.lookup` rejects
    /// unknown `hints` (a custom lookup gets them unchecked); IP literals are not looked up.
    pub(crate) fn validate(&self) -> Result<(), NetError> {
        if self.bound_socket && (self.local_address.is_some() || self.local_port.is_some()) {
            return Err(NetError::new(
                ErrorCode::ERR_INVALID_ARG_VALUE,
                "The argument 'options' localAddress and localPort cannot be used with an adopted bound socket.",
            ));
        }
        if self.lookup.is_none() && is_ip(&self.host) == 0 {
            crate::lookup::validate_hints(self.hints)?;
        }
        Ok(())
    }

    /// What Node asks its lookup for: `family`, the `hints` (`ADDRCONFIG` when neither is
    /// given), and `all` only with happy eyeballs, no `family` and no `localAddress`.
    pub fn lookup_request(&self) -> LookupRequest {
        let hints =
            if self.family.is_none() && self.hints == 0 { crate::lookup::ADDRCONFIG } else { self.hints };
        LookupRequest {
            host: self.host.clone(),
            family: self.family,
            hints,
            all: self.auto_select_family
                && self.family.is_none()
                && self.local_address.is_none()
                && !self.bound_socket,
        }
    }

    /// Node's `bind EINVAL <localAddress>` when the local address is of the other family than
    /// the address connected to.
    fn bind_mismatch(&self, remote: IpAddr) -> Option<NetError> {
        let local = self.local_address?;
        if local.is_ipv4() == remote.is_ipv4() {
            return None;
        }
        let shown = match self.local_port {
            Some(p) if p > 0 => format!("{local}:{p}"),
            _ => local.to_string(),
        };
        Some(NetError::syscall(ErrorCode::EINVAL, "bind").with_message(format!("bind EINVAL {shown}")))
    }

    /// The local address to bind, if any.
    fn local(&self, remote: IpAddr) -> Option<SocketAddr> {
        match (self.local_address, self.local_port) {
            (None, None) => None,
            (ip, port) => {
                let unspecified =
                    if remote.is_ipv4() { IpAddr::from([0, 0, 0, 0]) } else { IpAddr::from([0u16; 8]) };
                Some(SocketAddr::new(ip.unwrap_or(unspecified), port.unwrap_or(0)))
            }
        }
    }
}

/// The order Node tries addresses in with `autoSelectFamily`: duplicates dropped, families
/// interleaved starting with the first answer's family (`[4a, 4a, 4b, 6]` → `4a, 6, 4b`).
pub fn attempt_order(addresses: &[IpAddr]) -> Vec<IpAddr> {
    let tagged: Vec<_> = addresses.iter().map(|ip| (*ip, Family::of(*ip))).collect();
    order_by_family(&tagged).into_iter().map(|(ip, _)| ip).collect()
}

/// [`attempt_order`] over addresses tagged with the family their lookup claimed (Node groups
/// by the claim, which a custom lookup may get wrong).
fn order_by_family<A: Copy + PartialEq>(addresses: &[(A, Family)]) -> Vec<(A, Family)> {
    let Some(&(_, first)) = addresses.first() else { return Vec::new() };
    let mut groups: [Vec<(A, Family)>; 2] = [Vec::new(), Vec::new()];
    for &(ip, family) in addresses {
        let group = usize::from(family != first);
        if !groups[group].iter().any(|(seen, _)| *seen == ip) {
            groups[group].push((ip, family));
        }
    }
    let longest = groups[0].len().max(groups[1].len());
    (0..longest).flat_map(|i| [groups[0].get(i), groups[1].get(i)]).flatten().copied().collect()
}

/// A lookup answer Node accepts: an IP literal and a family of 4 or 6 (not necessarily the
/// literal's own).
fn valid_answer(answer: &LookupAddress, port: u16) -> Option<(SocketAddr, Family)> {
    let family = match answer.family {
        4 => Family::Ipv4,
        6 => Family::Ipv6,
        _ => return None,
    };
    Some((crate::parse_ip_literal(&answer.address, port)?, family))
}

/// The kernel's answer to a connect whose address is not of the family claimed: Node calls
/// `connect6` with an IPv4 literal (or `connect` with an IPv6 one) and fails at once.
fn family_mismatch(to: SocketAddr) -> NetError {
    NetError::connect(ErrorCode::EINVAL, to).with_message(format!(
        "connect EINVAL {}:{} - Local (undefined:undefined)",
        to.ip(),
        to.port()
    ))
}

#[derive(Debug)]
enum Stage {
    /// Waiting for the driver's lookup.
    Resolving,
    /// One address, Node's plain connect path.
    Single(SocketAddr),
    /// Several addresses, one attempt at a time (each with the family its lookup claimed).
    Multi {
        addresses: Vec<(SocketAddr, Family)>,
        next: usize,
        errors: Vec<NetError>,
        current: Option<SocketAddr>,
    },
}

/// What the socket must do after a connector step.
#[derive(Debug)]
pub(crate) enum Step {
    /// Keep connecting.
    Pending,
    /// Give up: destroy the socket with this error.
    Fail(NetError),
}

/// The connect path of one socket.
#[derive(Debug)]
pub(crate) struct Connector {
    opts: ConnectOptions,
    stage: Stage,
    attempt_timer: Timer,
    /// `autoSelectFamilyAttemptedAddresses` (multi-address path only).
    attempted: Option<Vec<SocketAddr>>,
    /// The single attempt binds first: its `connectionAttempt` waits for the driver's answer,
    /// since Node binds before it announces the attempt and a failed bind is no attempt.
    attempt_held: bool,
}

impl Connector {
    /// Start: an IP literal goes straight to its one attempt; a name asks for a lookup.
    pub(crate) fn start(
        opts: ConnectOptions,
        events: &mut Queue<SocketEvent>,
        actions: &mut VecDeque<SocketAction>,
    ) -> (Self, Step) {
        let literal = crate::parse_ip_literal(&opts.host, opts.port);
        let mut connector = Self {
            stage: Stage::Resolving,
            attempt_timer: Timer::default(),
            attempted: None,
            opts,
            attempt_held: false,
        };
        let step = match literal {
            Some(to) => connector.single(to, Family::of(to.ip()), events, actions),
            None => {
                actions.push_back(SocketAction::Lookup {
                    request: connector.opts.lookup_request(),
                    lookup: connector.opts.lookup.clone(),
                });
                Step::Pending
            }
        };
        (connector, step)
    }

    /// The host being connected to.
    pub(crate) fn host(&self) -> &str {
        &self.opts.host
    }

    /// The addresses tried so far on the multi-address path.
    pub(crate) fn attempted(&self) -> Option<&[SocketAddr]> {
        self.attempted.as_deref()
    }

    /// The attempt timer's deadline.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.attempt_timer.deadline()
    }

    /// The driver's lookup answer, checked as Node checks what a lookup answers.
    pub(crate) fn resolved(
        &mut self,
        now: Instant,
        result: LookupResult,
        events: &mut Queue<SocketEvent>,
        actions: &mut VecDeque<SocketAction>,
    ) -> Step {
        if !matches!(self.stage, Stage::Resolving) {
            return Step::Pending;
        }
        let answers = match result {
            Ok(list) => list,
            Err(err) => return self.lookup_failed(err, events),
        };
        let host = self.opts.host.clone();
        let lookup_event = |a: Option<&LookupAddress>| SocketEvent::Lookup {
            error: None,
            address: a.map(|a| a.address.clone()),
            family: a.map(|a| a.family),
            host: host.clone(),
        };
        let port = self.opts.port;
        if !self.opts.lookup_request().all {
            // Node reads one `address, family` pair: one `lookup` event, then its checks.
            let first = answers.first();
            events.push_back(lookup_event(first));
            return match first.map(|a| (a, valid_answer(a, port))) {
                Some((_, Some((to, family)))) => self.single(to, family, events, actions),
                Some((a, None)) if is_ip(&a.address) != 0 => {
                    Step::Fail(crate::lookup::invalid_family(Some(a.family), &host, port))
                }
                Some((a, None)) => Step::Fail(crate::lookup::invalid_ip(Some(&a.address))),
                None => Step::Fail(crate::lookup::invalid_ip(None)),
            };
        }
        for a in &answers {
            events.push_back(lookup_event(Some(a)));
        }
        let valid: Vec<_> = answers.iter().filter_map(|a| valid_answer(a, port)).collect();
        if valid.is_empty() {
            // Node fails on the first answer; an empty answer (which throws in Node) as
            // `undefined`.
            return Step::Fail(match answers.first() {
                Some(a) if is_ip(&a.address) != 0 => {
                    crate::lookup::invalid_family(Some(a.family), &host, port)
                }
                first => crate::lookup::invalid_ip(first.map(|a| a.address.as_str())),
            });
        }
        let order = order_by_family(&valid);
        if let [(to, family)] = order[..] {
            return self.single(to, family, events, actions);
        }
        self.stage = Stage::Multi { addresses: order, next: 0, errors: Vec::new(), current: None };
        self.attempted = Some(Vec::new());
        self.next_attempt(now, events, actions)
    }

    fn lookup_failed(&mut self, err: NetError, events: &mut Queue<SocketEvent>) -> Step {
        events.push_back(SocketEvent::Lookup {
            error: Some(err.clone()),
            address: None,
            family: None,
            host: self.opts.host.clone(),
        });
        Step::Fail(err)
    }

    /// Node's plain path: `connectionAttempt`, then the connect (or `ERR_IP_BLOCKED`, with no
    /// `connectionAttemptFailed`).
    fn single(
        &mut self,
        to: SocketAddr,
        family: Family,
        events: &mut Queue<SocketEvent>,
        actions: &mut VecDeque<SocketAction>,
    ) -> Step {
        self.stage = Stage::Single(to);
        if Family::of(to.ip()) != family {
            events.push_back(SocketEvent::ConnectionAttempt(Endpoint::Tcp(to)));
            return Step::Fail(family_mismatch(to));
        }
        // Node binds before it announces the attempt; a local address of the other family can
        // never bind: `bind EINVAL`, and no `connectionAttempt` (scenario
        // address/local-address-option). Other bind errors come from the driver, with the attempt.
        if let Some(err) = self.opts.bind_mismatch(to.ip()) {
            return Step::Fail(err);
        }
        let local = self.opts.local(to.ip());
        if self.blocked(to.ip()) {
            events.push_back(SocketEvent::ConnectionAttempt(Endpoint::Tcp(to)));
            return Step::Fail(NetError::ip_blocked(to.ip()));
        }
        if local.is_some() {
            self.attempt_held = true;
        } else {
            events.push_back(SocketEvent::ConnectionAttempt(Endpoint::Tcp(to)));
        }
        actions.push_back(SocketAction::Connect { to: Endpoint::Tcp(to), local });
        Step::Pending
    }

    fn blocked(&self, ip: IpAddr) -> bool {
        self.opts.block_list.as_ref().is_some_and(|list| list.check_ip(ip))
    }

    /// Start the next attempt on the multi-address path, or fail with every error.
    fn next_attempt(
        &mut self,
        now: Instant,
        events: &mut Queue<SocketEvent>,
        actions: &mut VecDeque<SocketAction>,
    ) -> Step {
        self.attempt_timer.stop();
        loop {
            let blocked = {
                let Stage::Multi { addresses, next, errors, current } = &mut self.stage else {
                    return Step::Pending;
                };
                *current = None;
                if *next == addresses.len() {
                    return Step::Fail(NetError::aggregate(std::mem::take(errors)));
                }
                let (to, family) = addresses[*next];
                *next += 1;
                let last = *next == addresses.len();
                if self.opts.block_list.as_ref().is_some_and(|l| l.check_ip(to.ip())) {
                    let err = NetError::ip_blocked(to.ip());
                    errors.push(err.clone());
                    Some((to, err))
                } else if Family::of(to.ip()) != family {
                    // Node's attempt fails in its connect call: announced, then failed at once.
                    let err = family_mismatch(to);
                    errors.push(err.clone());
                    self.attempted.get_or_insert_with(Vec::new).push(to);
                    events.push_back(SocketEvent::ConnectionAttempt(Endpoint::Tcp(to)));
                    Some((to, err))
                } else {
                    *current = Some(to);
                    self.attempted.get_or_insert_with(Vec::new).push(to);
                    events.push_back(SocketEvent::ConnectionAttempt(Endpoint::Tcp(to)));
                    actions.push_back(SocketAction::Connect {
                        to: Endpoint::Tcp(to),
                        local: self.opts.local(to.ip()),
                    });
                    if !last {
                        // The last address waits for the operating system's answer.
                        let timeout = self.opts.auto_select_family_attempt_timeout.max(MIN_ATTEMPT_TIMEOUT);
                        self.attempt_timer.arm(now, timeout);
                    }
                    None
                }
            };
            match blocked {
                Some((to, err)) => {
                    events.push_back(SocketEvent::ConnectionAttemptFailed(Endpoint::Tcp(to), err))
                }
                None => return Step::Pending,
            }
        }
    }

    /// The current attempt failed.
    pub(crate) fn attempt_failed(
        &mut self,
        now: Instant,
        err: NetError,
        events: &mut Queue<SocketEvent>,
        actions: &mut VecDeque<SocketAction>,
    ) -> Step {
        match &mut self.stage {
            Stage::Resolving => Step::Pending,
            Stage::Single(to) => {
                if std::mem::take(&mut self.attempt_held) {
                    if err.syscall_name() == Some("bind") {
                        return Step::Fail(err);
                    }
                    events.push_back(SocketEvent::ConnectionAttempt(Endpoint::Tcp(*to)));
                }
                events.push_back(SocketEvent::ConnectionAttemptFailed(Endpoint::Tcp(*to), err.clone()));
                Step::Fail(err)
            }
            Stage::Multi { errors, current, .. } => {
                let Some(to) = current.take() else { return Step::Pending };
                errors.push(err.clone());
                events.push_back(SocketEvent::ConnectionAttemptFailed(Endpoint::Tcp(to), err));
                self.next_attempt(now, events, actions)
            }
        }
    }

    /// The attempt timer: the current attempt is abandoned with `ETIMEDOUT` and the next starts.
    pub(crate) fn handle_timeout(
        &mut self,
        now: Instant,
        events: &mut Queue<SocketEvent>,
        actions: &mut VecDeque<SocketAction>,
    ) -> Step {
        if !self.attempt_timer.expire(now) {
            return Step::Pending;
        }
        let Stage::Multi { errors, current, .. } = &mut self.stage else { return Step::Pending };
        let Some(to) = current.take() else { return Step::Pending };
        errors.push(NetError::connect(ErrorCode::ETIMEDOUT, to));
        actions.push_back(SocketAction::CancelConnect);
        events.push_back(SocketEvent::ConnectionAttemptTimeout(Endpoint::Tcp(to)));
        self.next_attempt(now, events, actions)
    }

    /// The connect succeeded; the attempt timer stops, and a held `connectionAttempt` goes out
    /// (before `connect`).
    pub(crate) fn connected(&mut self, events: &mut Queue<SocketEvent>) {
        self.attempt_timer.stop();
        if std::mem::take(&mut self.attempt_held) {
            if let Stage::Single(to) = self.stage {
                events.push_back(SocketEvent::ConnectionAttempt(Endpoint::Tcp(to)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    /// [autoSelectFamily_duplicate_and_order]: `[4a, 4a, 4b, 6]` → `4a, 6, 4b`.
    #[test]
    fn order_interleaves_and_dedupes() {
        let order = attempt_order(&ips(&["127.0.0.1", "127.0.0.1", "127.0.0.2", "::1"]));
        assert_eq!(order, ips(&["127.0.0.1", "::1", "127.0.0.2"]));
        let order = attempt_order(&ips(&["::1", "::2", "1.1.1.1"]));
        assert_eq!(order, ips(&["::1", "1.1.1.1", "::2"]));
        assert!(attempt_order(&[]).is_empty());
    }
}
