//! Node's argument validators, with its codes and message texts.

use std::time::Duration;

use crate::addr::js::{Arg, JsNumber, js_string_to_number, js_trim};
use crate::connect::{ConnectOptions, MIN_ATTEMPT_TIMEOUT};
use crate::error::{ErrorCode, NetError};

/// Node's `validatePort(port, name, allowZero)`: a number or a non-blank numeric string that is
/// an integer in 0..=65535 (1..=65535 without `allow_zero`). Otherwise `ERR_SOCKET_BAD_PORT`.
///
/// ```
/// use net_core::{Arg, validate_port};
/// assert_eq!(validate_port(Arg::Str("80"), "Port", true).unwrap(), 80);
/// let err = validate_port(Arg::Number(65536.0), "Port", true).unwrap_err();
/// assert_eq!(err.code(), "ERR_SOCKET_BAD_PORT");
/// assert_eq!(err.message(), "Port should be >= 0 and < 65536. Received type number (65536).");
/// ```
pub fn validate_port(port: Arg<'_>, name: &str, allow_zero: bool) -> Result<u16, NetError> {
    let shape_ok = match port {
        Arg::Number(_) => true,
        Arg::Str(s) => !js_trim(s).is_empty(),
        _ => false,
    };
    let n = port.to_number();
    let integral = n.is_finite() && n >= 0.0 && n == n.trunc() && n <= f64::from(u32::MAX);
    if shape_ok && integral && n <= 65535.0 && (n != 0.0 || allow_zero) {
        return Ok(n as u16);
    }
    let op = if allow_zero { ">=" } else { ">" };
    Err(NetError::new(
        ErrorCode::ERR_SOCKET_BAD_PORT,
        format!("{name} should be {op} 0 and < 65536. Received {}.", port.describe()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [connect_arg_validation], [listen_invalid_args]: 65536, -1, 1.5, "abc" are bad; "80" and 0
    /// are fine.
    #[test]
    fn ports() {
        for bad in [Arg::Number(65536.0), Arg::Number(-1.0), Arg::Number(1.5), Arg::Str("abc"), Arg::Str(" ")]
        {
            assert_eq!(
                validate_port(bad, "Port", true).unwrap_err().code(),
                "ERR_SOCKET_BAD_PORT",
                "{bad:?}"
            );
        }
        for bad in [Arg::Bool(true), Arg::Null, Arg::Undefined, Arg::Number(f64::NAN)] {
            assert!(validate_port(bad, "Port", true).is_err(), "{bad:?}");
        }
        assert_eq!(validate_port(Arg::Number(0.0), "Port", true).unwrap(), 0);
        assert!(validate_port(Arg::Number(0.0), "Port", false).is_err());
        assert_eq!(validate_port(Arg::Str("0x50"), "Port", true).unwrap(), 80);
        assert_eq!(
            validate_port(Arg::Number(-1.0), "options.port", true).unwrap_err().message(),
            "options.port should be >= 0 and < 65536. Received type number (-1)."
        );
        assert_eq!(
            validate_port(Arg::Str("abc"), "Port", true).unwrap_err().message(),
            "Port should be >= 0 and < 65536. Received type string ('abc')."
        );
    }
}

/// Where a validated `connect()` goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectTarget {
    /// TCP, by name or address.
    Tcp(Box<ConnectOptions>),
    /// A Unix-domain socket path.
    Ipc(std::path::PathBuf),
}

/// `net.connect(options)` as JavaScript hands it over: each field may be of any type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConnectArgs<'a> {
    /// `port`.
    pub port: Arg<'a>,
    /// `host` (default `'localhost'`).
    pub host: Arg<'a>,
    /// `path` (IPC; wins over `port`).
    pub path: Arg<'a>,
    /// `family`: 0, 4 or 6.
    pub family: Arg<'a>,
    /// `autoSelectFamily`.
    pub auto_select_family: Arg<'a>,
    /// `autoSelectFamilyAttemptTimeout` in ms.
    pub auto_select_family_attempt_timeout: Arg<'a>,
    /// `localAddress`.
    pub local_address: Arg<'a>,
    /// `localPort`.
    pub local_port: Arg<'a>,
    /// `hints` (getaddrinfo flags).
    pub hints: Arg<'a>,
    /// A `lookup` function is given: `hints` go to it unchecked (set
    /// [`ConnectOptions::lookup`](crate::ConnectOptions::lookup) on the result).
    pub has_lookup: bool,
}

impl Default for ConnectArgs<'_> {
    fn default() -> Self {
        Self {
            port: Arg::Undefined,
            host: Arg::Undefined,
            path: Arg::Undefined,
            family: Arg::Undefined,
            auto_select_family: Arg::Undefined,
            auto_select_family_attempt_timeout: Arg::Undefined,
            local_address: Arg::Undefined,
            local_port: Arg::Undefined,
            hints: Arg::Undefined,
            has_lookup: false,
        }
    }
}

/// Node's `ERR_INVALID_ARG_TYPE`; it says "property" for dotted names (`options.port`).
pub(crate) fn type_error(name: &str, expected: &str, got: Arg<'_>) -> NetError {
    let what = if name.contains('.') { "property" } else { "argument" };
    NetError::new(
        ErrorCode::ERR_INVALID_ARG_TYPE,
        format!("The \"{name}\" {what} must be {expected}. Received {}", got.describe()),
    )
}

fn given(arg: Arg<'_>) -> bool {
    !matches!(arg, Arg::Undefined | Arg::Null)
}

impl ConnectArgs<'_> {
    /// Node's synchronous checks of `net.connect(options)`, in its order, with its codes and
    /// texts; the result is what to connect to.
    pub fn validate(&self) -> Result<ConnectTarget, NetError> {
        // Node: `options.port === undefined && options.path == null`; a null port counts as given.
        if matches!(self.port, Arg::Undefined) && !given(self.path) {
            return Err(NetError::new(
                ErrorCode::ERR_MISSING_ARGS,
                "The \"options\" or \"port\" or \"path\" argument must be specified",
            ));
        }
        // A falsy path ('', false, 0) means TCP, as in Node.
        if self.path.truthy() {
            return match self.path {
                Arg::Str(p) => Ok(ConnectTarget::Ipc(p.into())),
                other => Err(type_error("options.path", "of type string", other)),
            };
        }
        // Node checks the host's type before the local address, the local port and the port.
        let host = match self.host {
            Arg::Undefined | Arg::Null | Arg::Str("") => "localhost".to_owned(),
            Arg::Str(h) => h.to_owned(),
            other => return Err(type_error("options.host", "of type string", other)),
        };
        // `if (localAddress && !isIP(localAddress))`: falsy is none; anything else must be an IP
        // (a zone is allowed and not kept).
        let local_address = if self.local_address.truthy() {
            let text = self.local_address.to_js_string();
            if crate::is_ip(&text) == 0 {
                return Err(invalid_ip(&text));
            }
            let bare = text.split('%').next().unwrap_or_default();
            Some(bare.parse().map_err(|_| invalid_ip(&text))?)
        } else {
            None
        };
        // `if (localPort) validateNumber(localPort)`: falsy is none.
        let local_port = match self.local_port {
            p if !p.truthy() => None,
            Arg::Number(_) => Some(validate_port(self.local_port, "options.localPort", true)?),
            other => return Err(type_error("options.localPort", "of type number", other)),
        };
        // `if (typeof port !== 'undefined')`: no port at all (a falsy path) is port 0.
        let port = match self.port {
            Arg::Undefined => 0,
            Arg::Number(_) | Arg::Str(_) => validate_port(self.port, "Port", true)?,
            other => return Err(type_error("options.port", "one of type number or string", other)),
        };
        let auto_select_family = match self.auto_select_family {
            Arg::Undefined | Arg::Null => crate::connect::default_auto_select_family(),
            Arg::Bool(b) => b,
            other => return Err(type_error("options.autoSelectFamily", "of type boolean", other)),
        };
        let attempt_timeout = match self.auto_select_family_attempt_timeout {
            Arg::Undefined | Arg::Null => crate::connect::default_auto_select_family_attempt_timeout(),
            Arg::Number(n) if n == n.trunc() && (1.0..=2_147_483_647.0).contains(&n) => {
                // Node raises values under 10 ms to 10 ms.
                Duration::from_millis(n as u64).max(MIN_ATTEMPT_TIMEOUT)
            }
            Arg::Number(n) => {
                return Err(NetError::out_of_range(
                    "options.autoSelectFamilyAttemptTimeout",
                    ">= 1 && <= 2147483647",
                    JsNumber(n),
                ));
            }
            other => {
                return Err(type_error("options.autoSelectFamilyAttemptTimeout", "of type number", other));
            }
        };
        // Inside dns.lookup in Node, before the family, and only when a host is looked up; a
        // custom lookup gets them as they are.
        let hints = match self.hints {
            _ if crate::is_ip(&host) != 0 => 0,
            Arg::Undefined | Arg::Null => 0,
            // `hints >>> 0`.
            Arg::Number(n) => {
                let hints = if n.is_finite() { (n.trunc() as i64).rem_euclid(1 << 32) as u32 } else { 0 };
                if !self.has_lookup {
                    crate::lookup::validate_hints(hints)?;
                }
                hints
            }
            _ if self.has_lookup => 0,
            other => return Err(type_error("options.hints", "of type number", other)),
        };
        // Checked last, inside dns.lookup in Node, and only when a host is looked up: an address
        // literal passes with any family (conformance scenario validation/connect-bad-options).
        let family = match self.family {
            _ if crate::is_ip(&host) != 0 => None,
            Arg::Undefined | Arg::Null => None,
            Arg::Number(0.0) => None,
            Arg::Number(4.0) => Some(crate::Family::Ipv4),
            Arg::Number(6.0) => Some(crate::Family::Ipv6),
            // Node's socketToDnsFamily.
            Arg::Str("IPv4") => Some(crate::Family::Ipv4),
            Arg::Str("IPv6") => Some(crate::Family::Ipv6),
            other => {
                return Err(NetError::new(
                    ErrorCode::ERR_INVALID_ARG_VALUE,
                    format!(
                        "The property 'options.family' must be one of: 0, 4, 6. Received {}",
                        other.describe()
                    ),
                ));
            }
        };
        Ok(ConnectTarget::Tcp(Box::new(ConnectOptions {
            host,
            port,
            family,
            auto_select_family,
            auto_select_family_attempt_timeout: attempt_timeout,
            local_address,
            local_port,
            block_list: None,
            hints,
            lookup: None,
            bound_socket: false,
        })))
    }
}

fn invalid_ip(s: &str) -> NetError {
    NetError::new(ErrorCode::ERR_INVALID_IP_ADDRESS, format!("Invalid IP address: {s}"))
}

/// Where a validated `listen()` binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenTarget {
    /// TCP: `host` `None` is Node's default (`::` dual-stack, else `0.0.0.0`).
    Tcp {
        /// The host to bind, if given.
        host: Option<String>,
        /// The port (0: any).
        port: u16,
    },
    /// A Unix-domain socket path.
    Ipc(std::path::PathBuf),
}

/// `server.listen(options)` as JavaScript hands it over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ListenArgs<'a> {
    /// `port`.
    pub port: Arg<'a>,
    /// `host`.
    pub host: Arg<'a>,
    /// `path`.
    pub path: Arg<'a>,
}

impl Default for ListenArgs<'_> {
    fn default() -> Self {
        Self { port: Arg::Undefined, host: Arg::Undefined, path: Arg::Undefined }
    }
}

impl<'a> ListenArgs<'a> {
    /// `server.listen(x)` with one plain argument: a number or numeric string is a port; any
    /// other string is an IPC path (relative to the working directory), as in Node.
    pub fn shorthand(arg: Arg<'a>) -> Self {
        match arg {
            // Node's isPipeName: a string whose Number() is not >= 0 names a pipe; '' and ' ' are
            // port 0's spelling (and fail validatePort), '-1' is a pipe.
            Arg::Str(s) if js_string_to_number(s).is_nan() || js_string_to_number(s) < 0.0 => {
                Self { path: arg, ..Self::default() }
            }
            Arg::Undefined | Arg::Null => Self { port: Arg::Number(0.0), ..Self::default() },
            _ => Self { port: arg, ..Self::default() },
        }
    }

    /// Node's synchronous checks of `server.listen(options)`, in its order: a number or string
    /// port (then a truthy host must be a string), a pipe path, then "is invalid".
    pub fn validate(&self) -> Result<ListenTarget, NetError> {
        // A null port means any port, as in Node.
        let port = if matches!(self.port, Arg::Null) { Arg::Number(0.0) } else { self.port };
        if matches!(port, Arg::Number(_) | Arg::Str(_)) {
            let port = validate_port(port, "options.port", true)?;
            // `if (options.host)`: only a truthy host is looked up, and must be a string.
            let host = match self.host {
                h if !h.truthy() => None,
                Arg::Str(h) => Some(h.to_owned()),
                other => return Err(type_error("hostname", "of type string", other)),
            };
            return Ok(ListenTarget::Tcp { host, port });
        }
        // `options.path && isPipeName(options.path)`.
        if let Arg::Str(p) = self.path {
            let n = js_string_to_number(p);
            if n.is_nan() || n < 0.0 {
                return Ok(ListenTarget::Ipc(p.into()));
            }
        }
        let shown: Vec<String> = [("port", self.port), ("path", self.path), ("host", self.host)]
            .iter()
            .filter(|(_, v)| !matches!(v, Arg::Undefined))
            .map(|(k, v)| format!("{k}: {}", inspect(*v)))
            .collect();
        let received = if shown.is_empty() { "{}".to_owned() } else { format!("{{ {} }}", shown.join(", ")) };
        let message = if matches!(self.port, Arg::Undefined) && matches!(self.path, Arg::Undefined) {
            format!("The argument 'options' must have the property \"port\" or \"path\". Received {received}")
        } else {
            format!("The argument 'options' is invalid. Received {received}")
        };
        Err(NetError::new(ErrorCode::ERR_INVALID_ARG_VALUE, message))
    }
}

/// `util.inspect` of a primitive, as Node's messages show option values.
fn inspect(v: Arg<'_>) -> String {
    match v {
        Arg::Str(s) => format!("'{s}'"),
        other => other.to_js_string(),
    }
}

/// Node's `validateInt32(value, name, min, max)`: a number that is an integer in `min..=max`.
/// Otherwise `ERR_INVALID_ARG_TYPE` (not a number) or `ERR_OUT_OF_RANGE`.
///
/// ```
/// use net_core::{Arg, validate_int32};
/// assert_eq!(validate_int32(Arg::Number(7.0), "value", 1, i32::MAX).unwrap(), 7);
/// let err = validate_int32(Arg::Number(1.5), "value", 1, i32::MAX).unwrap_err();
/// assert_eq!(err.message(), "The value of \"value\" is out of range. It must be an integer. Received 1.5");
/// ```
pub fn validate_int32(value: Arg<'_>, name: &str, min: i32, max: i32) -> Result<i32, NetError> {
    let Arg::Number(n) = value else { return Err(type_error(name, "of type number", value)) };
    if !(n.is_finite() && n == n.trunc()) {
        return Err(NetError::out_of_range(name, "an integer", JsNumber(n)));
    }
    if n < f64::from(min) || n > f64::from(max) {
        return Err(NetError::out_of_range(name, &format!(">= {min} && <= {max}"), JsNumber(n)));
    }
    Ok(n as i32)
}

/// Node's `validateBoolean(value, name)`.
pub fn validate_boolean(value: Arg<'_>, name: &str) -> Result<bool, NetError> {
    match value {
        Arg::Bool(b) => Ok(b),
        other => Err(type_error(name, "of type boolean", other)),
    }
}

/// `socket.setTypeOfService(tos)`'s check: NaN is a type error, then Node's
/// `validateInt32(tos, 'tos', 0, 255)`. For the `typeOfService` option, Node's check is
/// `validate_int32(value, "options.typeOfService", 0, 255)`.
pub fn validate_type_of_service(tos: Arg<'_>) -> Result<u8, NetError> {
    if matches!(tos, Arg::Number(n) if n.is_nan()) {
        return Err(type_error("tos", "of type number", tos));
    }
    validate_int32(tos, "tos", 0, 255).map(|v| v as u8)
}

/// The longest timer Node sets (`TIMEOUT_MAX`, 2^31-1 ms, about 24.8 days); longer ones are cut.
pub const TIMEOUT_MAX: Duration = Duration::from_millis(2_147_483_647);
const TIMEOUT_MAX_MS: f64 = 2_147_483_647.0;

/// `socket.setTimeout(msecs)`'s check: a non-negative finite number of milliseconds.
pub fn validate_timeout(msecs: Arg<'_>) -> Result<Duration, NetError> {
    match msecs {
        // Node's getTimerDuration: above 2^31-1 ms it warns and uses 2^31-1 ms.
        Arg::Number(n) if n.is_finite() && n >= 0.0 => {
            Ok(Duration::from_secs_f64(n.min(TIMEOUT_MAX_MS) / 1000.0))
        }
        Arg::Number(n) => Err(NetError::out_of_range("msecs", "a non-negative finite number", JsNumber(n))),
        other => Err(type_error("msecs", "of type number", other)),
    }
}

/// The longest Unix-domain socket path the OS takes, in bytes (Linux: the 108 bytes of
/// `sun_path`; Node 26 refuses longer paths with `EINVAL` instead of truncating them).
pub const MAX_IPC_PATH_BYTES: usize = if cfg!(target_os = "linux") { 108 } else { 104 };

#[cfg(test)]
mod argument_tests {
    use super::*;

    fn code(r: Result<impl std::fmt::Debug, NetError>) -> String {
        let e = r.unwrap_err();
        format!("{} {}", e.code(), e.message())
    }

    /// [connect_arg_validation], line by line.
    #[test]
    fn connect_rejections() {
        let a = ConnectArgs::default();
        assert_eq!(
            code(a.validate()),
            "ERR_MISSING_ARGS The \"options\" or \"port\" or \"path\" argument must be specified"
        );
        let port = |p| ConnectArgs { port: p, ..ConnectArgs::default() };
        assert_eq!(
            code(port(Arg::Number(65536.0)).validate()),
            "ERR_SOCKET_BAD_PORT Port should be >= 0 and < 65536. Received type number (65536)."
        );
        assert_eq!(
            code(port(Arg::Number(-1.0)).validate()),
            "ERR_SOCKET_BAD_PORT Port should be >= 0 and < 65536. Received type number (-1)."
        );
        assert_eq!(
            code(port(Arg::Str("abc")).validate()),
            "ERR_SOCKET_BAD_PORT Port should be >= 0 and < 65536. Received type string ('abc')."
        );
        assert_eq!(
            code(port(Arg::Bool(true)).validate()),
            "ERR_INVALID_ARG_TYPE The \"options.port\" property must be one of type number or string. Received type boolean (true)"
        );
        let local = ConnectArgs {
            port: Arg::Number(80.0),
            local_address: Arg::Str("nope"),
            ..ConnectArgs::default()
        };
        assert_eq!(code(local.validate()), "ERR_INVALID_IP_ADDRESS Invalid IP address: nope");
        let path = ConnectArgs { path: Arg::Number(123.0), ..ConnectArgs::default() };
        assert_eq!(
            code(path.validate()),
            "ERR_INVALID_ARG_TYPE The \"options.path\" property must be of type string. Received type number (123)"
        );
        let asf = ConnectArgs {
            port: Arg::Number(80.0),
            auto_select_family: Arg::Str("yes"),
            ..ConnectArgs::default()
        };
        assert_eq!(
            code(asf.validate()),
            "ERR_INVALID_ARG_TYPE The \"options.autoSelectFamily\" property must be of type boolean. Received type string ('yes')"
        );
        // [autoSelectFamily_attempt_timeout]
        let t0 = ConnectArgs {
            port: Arg::Number(80.0),
            auto_select_family_attempt_timeout: Arg::Number(0.0),
            ..ConnectArgs::default()
        };
        assert_eq!(
            code(t0.validate()),
            "ERR_OUT_OF_RANGE The value of \"options.autoSelectFamilyAttemptTimeout\" is out of range. It must be >= 1 && <= 2147483647. Received 0"
        );
    }

    #[test]
    fn connect_accepts_and_defaults() {
        let ok = ConnectArgs { port: Arg::Str("80"), ..ConnectArgs::default() }.validate().unwrap();
        let ConnectTarget::Tcp(o) = ok else { panic!() };
        assert_eq!((o.host.as_str(), o.port, o.auto_select_family), ("localhost", 80, true));
        assert_eq!(o.auto_select_family_attempt_timeout, Duration::from_millis(500));
        // Port 0 passes validation [connect_arg_validation].
        assert!(ConnectArgs { port: Arg::Number(0.0), ..ConnectArgs::default() }.validate().is_ok());
        // [autoSelectFamily_attempt_timeout_default]: 1 → 10 ms.
        let one = ConnectArgs {
            port: Arg::Number(1.0),
            auto_select_family_attempt_timeout: Arg::Number(1.0),
            ..ConnectArgs::default()
        };
        let ConnectTarget::Tcp(o) = one.validate().unwrap() else { panic!() };
        assert_eq!(o.auto_select_family_attempt_timeout, Duration::from_millis(10));
        // A path wins over a port.
        let both = ConnectArgs { port: Arg::Number(1.0), path: Arg::Str("/tmp/s"), ..ConnectArgs::default() };
        assert_eq!(both.validate().unwrap(), ConnectTarget::Ipc("/tmp/s".into()));
    }

    /// [listen_invalid_args], line by line.
    #[test]
    fn listen_rejections_and_forms() {
        let port = |p| ListenArgs { port: p, ..ListenArgs::default() };
        assert_eq!(
            code(port(Arg::Number(65536.0)).validate()),
            "ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type number (65536)."
        );
        assert_eq!(
            code(port(Arg::Number(1.5)).validate()),
            "ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type number (1.5)."
        );
        assert_eq!(
            code(ListenArgs::default().validate()),
            "ERR_INVALID_ARG_VALUE The argument 'options' must have the property \"port\" or \"path\". Received {}"
        );
        let host_only = ListenArgs { host: Arg::Str("127.0.0.1"), ..ListenArgs::default() };
        assert_eq!(
            code(host_only.validate()),
            "ERR_INVALID_ARG_VALUE The argument 'options' must have the property \"port\" or \"path\". Received { host: '127.0.0.1' }"
        );
        let bad_host = ListenArgs { port: Arg::Number(0.0), host: Arg::Number(5.0), ..ListenArgs::default() };
        assert_eq!(
            code(bad_host.validate()),
            "ERR_INVALID_ARG_TYPE The \"hostname\" argument must be of type string. Received type number (5)"
        );
        assert_eq!(
            ListenArgs::shorthand(Arg::Str("8080x")).validate().unwrap(),
            ListenTarget::Ipc("8080x".into())
        );
        assert_eq!(
            ListenArgs::shorthand(Arg::Str("0")).validate().unwrap(),
            ListenTarget::Tcp { host: None, port: 0 }
        );
        assert_eq!(
            ListenArgs::shorthand(Arg::Null).validate().unwrap(),
            ListenTarget::Tcp { host: None, port: 0 }
        );
    }

    /// [setNoDelay_setKeepAlive_returns]: setTimeout(-1 | Infinity | "x").
    #[test]
    fn timeouts() {
        assert_eq!(
            code(validate_timeout(Arg::Number(-1.0))),
            "ERR_OUT_OF_RANGE The value of \"msecs\" is out of range. It must be a non-negative finite number. Received -1"
        );
        assert_eq!(
            code(validate_timeout(Arg::Number(f64::INFINITY))),
            "ERR_OUT_OF_RANGE The value of \"msecs\" is out of range. It must be a non-negative finite number. Received Infinity"
        );
        assert_eq!(
            code(validate_timeout(Arg::Str("x"))),
            "ERR_INVALID_ARG_TYPE The \"msecs\" argument must be of type number. Received type string ('x')"
        );
        assert_eq!(validate_timeout(Arg::Number(120.0)).unwrap(), Duration::from_millis(120));
    }
}
