//! A connect's name lookup as Node asks for it: the request (`host`, `family`, `hints`, `all`),
//! a caller's own lookup function (`options.lookup`), and what it may answer, which the core
//! checks as Node does (`ERR_INVALID_IP_ADDRESS`, `ERR_INVALID_ADDRESS_FAMILY`).
//!
//! The core never calls the function: it names it in [`SocketAction::Lookup`](crate::SocketAction)
//! and the driver calls it, then feeds the answer back as
//! [`IoInput::LookedUp`](crate::IoInput::LookedUp).

use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use crate::{Family, NetError};

/// `dns.ADDRCONFIG`: only families the machine has an address of. Node adds it when no
/// `family` and no `hints` are given.
pub const ADDRCONFIG: u32 = 32;
/// `dns.V4MAPPED`: IPv4 addresses as IPv4-mapped IPv6 when IPv6 is asked for and none exist.
pub const V4MAPPED: u32 = 8;
/// `dns.ALL`: with `V4MAPPED`, the mapped IPv4 addresses as well as the IPv6 ones.
pub const ALL: u32 = 16;

/// What a connect asks its lookup for: Node's `lookup(host, { family, hints, all }, cb)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupRequest {
    /// The name to resolve.
    pub host: String,
    /// Only this family (`family: 4 | 6`); `None` is Node's absent or `0`.
    pub family: Option<Family>,
    /// getaddrinfo flags: the connect's `hints`, or [`ADDRCONFIG`] when neither `family` nor
    /// `hints` was given.
    pub hints: u32,
    /// Every address is wanted (happy eyeballs), or the first only (Node then reads one
    /// `address, family` pair from the callback).
    pub all: bool,
}

/// One address a lookup answers, as Node's lookup callback passes it: an address text and a
/// family number, which need not be valid (the core checks them as Node does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupAddress {
    /// The address, as text (`"127.0.0.1"`, `"::1"`).
    pub address: String,
    /// Its family as a number: 4 or 6 when valid.
    pub family: u32,
}

impl From<IpAddr> for LookupAddress {
    fn from(ip: IpAddr) -> Self {
        Self { address: ip.to_string(), family: u32::from(Family::of(ip).number()) }
    }
}

impl LookupAddress {
    /// An address and family exactly as given, valid or not.
    pub fn new(address: impl Into<String>, family: u32) -> Self {
        Self { address: address.into(), family }
    }
}

/// What a lookup answers: the addresses in its order, or an error (Node's `cb(err)`).
pub type LookupResult = Result<Vec<LookupAddress>, NetError>;

type Reply = Box<dyn FnOnce(LookupResult) + Send>;

/// The way back from a custom lookup to its socket: Node's callback. Call
/// [`answer`](Self::answer) once, at once or later, from any thread.
///
/// Dropping it unanswered fails the connect with `ENOTFOUND`, where Node would wait forever.
pub struct LookupCallback {
    reply: Option<Reply>,
    host: String,
}

impl LookupCallback {
    /// A callback that hands the answer to `reply` (for drivers).
    pub fn new(host: impl Into<String>, reply: impl FnOnce(LookupResult) + Send + 'static) -> Self {
        Self { reply: Some(Box::new(reply)), host: host.into() }
    }

    /// Answer the lookup.
    pub fn answer(mut self, result: LookupResult) {
        if let Some(reply) = self.reply.take() {
            reply(result);
        }
    }

    /// Answer with these addresses, valid by construction.
    pub fn answer_ips(self, ips: impl IntoIterator<Item = IpAddr>) {
        self.answer(Ok(ips.into_iter().map(LookupAddress::from).collect()));
    }
}

impl Drop for LookupCallback {
    fn drop(&mut self) {
        if let Some(reply) = self.reply.take() {
            reply(Err(NetError::lookup(crate::ErrorCode::ENOTFOUND, &self.host)));
        }
    }
}

impl fmt::Debug for LookupCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LookupCallback").field("host", &self.host).finish_non_exhaustive()
    }
}

type LookupFn = dyn Fn(&LookupRequest, LookupCallback) + Send + Sync;

/// A connect's own lookup function (Node's `options.lookup`), used instead of the runtime's
/// resolver for host names; IP literals are never looked up.
///
/// ```
/// use net_core::{ConnectOptions, CustomLookup};
/// let mut opts = ConnectOptions::new("db.internal", 5432);
/// opts.lookup = Some(CustomLookup::new(|req, cb| {
///     assert_eq!(req.host, "db.internal");
///     cb.answer_ips(["127.0.0.1".parse().unwrap()]);
/// }));
/// ```
#[derive(Clone)]
pub struct CustomLookup(Arc<LookupFn>);

impl CustomLookup {
    /// Wrap a lookup function. It is called once per connect, with the request and the
    /// callback to answer through.
    pub fn new(f: impl Fn(&LookupRequest, LookupCallback) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Call the function (for drivers): `reply` receives the answer, once.
    pub fn call(&self, request: &LookupRequest, reply: impl FnOnce(LookupResult) + Send + 'static) {
        (self.0)(request, LookupCallback::new(request.host.clone(), reply));
    }

    /// Call the function inside `connect()`, as Node does (for drivers): the answer it gives
    /// before returning comes back here; one it gives later, from any thread, goes to `later`.
    pub fn call_now(
        &self,
        request: &LookupRequest,
        later: impl FnOnce(LookupResult) + Send + 'static,
    ) -> Option<LookupResult> {
        enum Slot {
            Calling,
            Answered(LookupResult),
            Later,
        }
        fn lock(m: &Mutex<Slot>) -> std::sync::MutexGuard<'_, Slot> {
            m.lock().unwrap_or_else(PoisonError::into_inner)
        }
        let slot = Arc::new(Mutex::new(Slot::Calling));
        let fill = Arc::clone(&slot);
        self.call(request, move |result| {
            let mut slot = lock(&fill);
            if matches!(*slot, Slot::Calling) {
                *slot = Slot::Answered(result);
            } else {
                drop(slot);
                later(result);
            }
        });
        match std::mem::replace(&mut *lock(&slot), Slot::Later) {
            Slot::Answered(result) => Some(result),
            _ => None,
        }
    }
}

impl fmt::Debug for CustomLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CustomLookup(..)")
    }
}

/// Two lookups are equal when they are the same function (one `CustomLookup` and its clones).
impl PartialEq for CustomLookup {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for CustomLookup {}

/// Node's check of `hints` in `dns.lookup` (a custom lookup gets them unchecked): only
/// [`ADDRCONFIG`], [`V4MAPPED`] and [`ALL`].
pub(crate) fn validate_hints(hints: u32) -> Result<(), NetError> {
    if hints & !(ADDRCONFIG | V4MAPPED | ALL) != 0 {
        return Err(NetError::new(
            crate::ErrorCode::ERR_INVALID_ARG_VALUE,
            format!("The argument 'hints' is invalid. Received {hints}"),
        ));
    }
    Ok(())
}

/// `ERR_INVALID_IP_ADDRESS`: "Invalid IP address: nope" (`undefined` when none was given).
pub(crate) fn invalid_ip(address: Option<&str>) -> NetError {
    NetError::new(
        crate::ErrorCode::ERR_INVALID_IP_ADDRESS,
        format!("Invalid IP address: {}", address.unwrap_or("undefined")),
    )
}

/// `ERR_INVALID_ADDRESS_FAMILY`: "Invalid address family: 5 example.test:80".
pub(crate) fn invalid_family(family: Option<u32>, host: &str, port: u16) -> NetError {
    let family = family.map_or_else(|| "undefined".to_owned(), |f| f.to_string());
    NetError::new(
        crate::ErrorCode::ERR_INVALID_ADDRESS_FAMILY,
        format!("Invalid address family: {family} {host}:{port}"),
    )
}
