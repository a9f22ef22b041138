//! Node-style errors: the `code` strings Node uses, its message texts, and the one mapping from
//! [`std::io::Error`] that every backend shares.

use std::fmt;
use std::io;
use std::net::SocketAddr;

/// Which side of the contract an error comes from.
///
/// Node reports both through `'error'` events or callbacks, but they mean different things to a
/// caller: a transport error is the network's doing; a misuse error is the caller's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The operating system or the peer failed the operation (`ECONNRESET`, `EPIPE`, …).
    Transport,
    /// The caller used the API in a state that does not allow it (`ERR_STREAM_WRITE_AFTER_END`, …).
    Misuse,
    /// An argument was rejected before anything happened (`ERR_SOCKET_BAD_PORT`, …).
    InvalidArgument,
    /// An error the caller passed in itself, e.g. to `destroy(err)`.
    User,
}

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $name:ident => $kind:ident, $errno:expr, $uv:expr; )*) => {
        /// Node's `error.code` values that this library produces.
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $name, )*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$name),*];

            /// The code as Node spells it, e.g. `"ECONNREFUSED"`.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$name => stringify!($name),)* }
            }

            /// Whether the code is a system error, a misuse or an invalid argument.
            pub fn kind(self) -> ErrorKind {
                match self { $(Self::$name => ErrorKind::$kind,)* }
            }

            /// libuv's errno for a system error as Node reports it (the platform's errno, negated:
            /// `-111` for `ECONNREFUSED` on Linux), else `None`.
            pub fn errno(self) -> Option<i32> {
                match self { $(Self::$name => $errno,)* }
            }

            /// libuv's description of a system error (`"address already in use"`), else `None`.
            pub fn uv_message(self) -> Option<&'static str> {
                match self { $(Self::$name => $uv,)* }
            }
        }
    };
}

error_codes! {
    /// Connection refused by the peer.
    ECONNREFUSED => Transport, Some(-libc::ECONNREFUSED), Some("connection refused");
    /// Connection reset by the peer (an RST arrived).
    ECONNRESET => Transport, Some(-libc::ECONNRESET), Some("connection reset by peer");
    /// Write to a connection whose peer is gone.
    EPIPE => Transport, Some(-libc::EPIPE), Some("broken pipe");
    /// The handle has no descriptor yet (`getTypeOfService` on a socket whose connect(2) has
    /// not been made).
    EBADF => Transport, Some(-libc::EBADF), Some("bad file descriptor");
    /// Connection aborted locally.
    ECONNABORTED => Transport, Some(-libc::ECONNABORTED), Some("software caused connection abort");
    /// Address in use (listen or bind).
    EADDRINUSE => Transport, Some(-libc::EADDRINUSE), Some("address already in use");
    /// Address not available (bind).
    EADDRNOTAVAIL => Transport, Some(-libc::EADDRNOTAVAIL), Some("address not available");
    /// Permission denied.
    EACCES => Transport, Some(-libc::EACCES), Some("permission denied");
    /// No such file or directory (IPC connect to a missing path).
    ENOENT => Transport, Some(-libc::ENOENT), Some("no such file or directory");
    /// Invalid argument (for example a Unix path that is too long).
    EINVAL => Transport, Some(-libc::EINVAL), Some("invalid argument");
    /// The process is out of file descriptors (accept, socket).
    EMFILE => Transport, Some(-libc::EMFILE), Some("too many open files");
    /// The system is out of file descriptors.
    ENFILE => Transport, Some(-libc::ENFILE), Some("file table overflow");
    /// Address family not supported (listening on `::` without IPv6).
    EAFNOSUPPORT => Transport, Some(-libc::EAFNOSUPPORT), Some("address family not supported");
    /// Operation timed out.
    ETIMEDOUT => Transport, Some(-libc::ETIMEDOUT), Some("connection timed out");
    /// Host unreachable.
    EHOSTUNREACH => Transport, Some(-libc::EHOSTUNREACH), Some("host is unreachable");
    /// Network unreachable.
    ENETUNREACH => Transport, Some(-libc::ENETUNREACH), Some("network is unreachable");
    /// Not a socket / socket not connected.
    ENOTCONN => Transport, Some(-libc::ENOTCONN), Some("socket is not connected");
    /// A write the handle held when it closed (libuv cancels it).
    ECANCELED => Transport, Some(-libc::ECANCELED), Some("operation canceled");
    /// Name lookup found nothing.
    ENOTFOUND => Transport, None, None;
    /// Any other operating-system failure (the message carries the detail).
    EUNKNOWN => Transport, None, Some("unknown error");
    /// `write()` after `end()`.
    ERR_STREAM_WRITE_AFTER_END => Misuse, None, None;
    /// `write()` or `end(data)` after `destroy()`.
    ERR_STREAM_DESTROYED => Misuse, None, None;
    /// `end()` after the writable side finished.
    ERR_STREAM_ALREADY_FINISHED => Misuse, None, None;
    /// The socket was destroyed before its connection was established.
    ERR_SOCKET_CLOSED_BEFORE_CONNECTION => Misuse, None, None;
    /// An operation on a socket that has no handle (e.g. `resetAndDestroy()` before connecting).
    ERR_SOCKET_CLOSED => Misuse, None, None;
    /// The handle type does not support the operation (`resetAndDestroy()` on IPC).
    ERR_INVALID_HANDLE_TYPE => Misuse, None, None;
    /// `listen()` while already listening.
    ERR_SERVER_ALREADY_LISTEN => Misuse, None, None;
    /// `close()` on a server that is not listening.
    ERR_SERVER_NOT_RUNNING => Misuse, None, None;
    /// A `BoundSocket` used after a server or socket adopted it (or after its `close()`).
    ERR_SOCKET_HANDLE_ADOPTED => Misuse, None, None;
    /// The operation was aborted through its `signal` (Node's `AbortError`).
    ABORT_ERR => User, None, None;
    /// Port outside 0..=65535 or not an integer.
    ERR_SOCKET_BAD_PORT => InvalidArgument, None, None;
    /// An argument value is not allowed.
    ERR_INVALID_ARG_VALUE => InvalidArgument, None, None;
    /// An argument has the wrong type.
    ERR_INVALID_ARG_TYPE => InvalidArgument, None, None;
    /// A number is out of its range.
    ERR_OUT_OF_RANGE => InvalidArgument, None, None;
    /// Required arguments are missing.
    ERR_MISSING_ARGS => InvalidArgument, None, None;
    /// An IP address is not valid.
    ERR_INVALID_IP_ADDRESS => InvalidArgument, None, None;
    /// A socket address is not valid.
    ERR_INVALID_ADDRESS => InvalidArgument, None, None;
    /// A custom lookup answered a family other than 4 or 6.
    ERR_INVALID_ADDRESS_FAMILY => InvalidArgument, None, None;
    /// The address is blocked by a `BlockList`.
    ERR_IP_BLOCKED => Transport, None, None;
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ErrorCode {
    /// The code for an operating-system error, decided once here for every backend.
    ///
    /// The raw errno is consulted first (exact), then the portable [`io::ErrorKind`].
    pub fn from_io(err: &io::Error) -> Self {
        if let Some(raw) = err.raw_os_error() {
            if let Some(code) = Self::ALL.iter().copied().find(|c| c.errno() == Some(-raw)) {
                return code;
            }
        }
        match err.kind() {
            io::ErrorKind::ConnectionRefused => Self::ECONNREFUSED,
            io::ErrorKind::ConnectionReset => Self::ECONNRESET,
            io::ErrorKind::BrokenPipe => Self::EPIPE,
            io::ErrorKind::ConnectionAborted => Self::ECONNABORTED,
            io::ErrorKind::AddrInUse => Self::EADDRINUSE,
            io::ErrorKind::AddrNotAvailable => Self::EADDRNOTAVAIL,
            io::ErrorKind::PermissionDenied => Self::EACCES,
            io::ErrorKind::NotFound => Self::ENOENT,
            io::ErrorKind::InvalidInput => Self::EINVAL,
            io::ErrorKind::TimedOut => Self::ETIMEDOUT,
            io::ErrorKind::HostUnreachable => Self::EHOSTUNREACH,
            io::ErrorKind::NetworkUnreachable => Self::ENETUNREACH,
            io::ErrorKind::NotConnected => Self::ENOTCONN,
            _ => Self::EUNKNOWN,
        }
    }
}

/// An error as Node reports it: `code`, `message`, and for system errors `errno`, `syscall`,
/// `address` and `port`.
///
/// ```
/// use net_core::{ErrorCode, NetError};
/// let addr = "127.0.0.1:9".parse().unwrap();
/// let err = NetError::connect(ErrorCode::ECONNREFUSED, addr);
/// assert_eq!(err.code(), "ECONNREFUSED");
/// assert_eq!(err.to_string(), "connect ECONNREFUSED 127.0.0.1:9");
/// assert_eq!(err.errno(), Some(-111));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct NetError(Box<repr::NetError>);

/// The error's fields, behind one pointer: events and results that carry an error stay small
/// (a `SocketEvent` is moved on every `poll_event`, and queued ones keep their slots' size).
mod repr {
    use super::ErrorCode;

    #[derive(Debug, Clone, PartialEq, Eq)]
    pub(super) struct NetError {
        pub(super) code: ErrorCode,
        pub(super) message: String,
        pub(super) syscall: Option<&'static str>,
        pub(super) address: Option<String>,
        pub(super) port: Option<u16>,
        pub(super) user_error: bool,
        /// A caller's own `code` (`destroy(Object.assign(new Error(), {code: 'EFOO'}))`), which
        /// none of [`ErrorCode`]'s variants spells.
        pub(super) user_code: Option<&'static str>,
        /// The attempts' errors of an `AggregateError` (every address failed), in attempt order.
        pub(super) errors: Vec<super::NetError>,
        /// `error.cause`: an `AbortError`'s signal reason.
        pub(super) cause: Option<super::NetError>,
    }
}

impl fmt::Debug for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl NetError {
    /// An error with a code and Node's message text for it.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(Box::new(repr::NetError {
            code,
            message: message.into(),
            syscall: None,
            address: None,
            port: None,
            user_error: false,
            user_code: None,
            errors: Vec::new(),
            cause: None,
        }))
    }

    /// This error with some fields changed.
    fn with(mut self, f: impl FnOnce(&mut repr::NetError)) -> Self {
        f(&mut self.0);
        self
    }

    /// A caller-made error, as passed to Node's `destroy(new Error(message))`.
    ///
    /// It has no code of Node's own; [`NetError::code`] reports `"EUNKNOWN"` and
    /// [`NetError::kind`] reports [`ErrorKind::User`].
    pub fn user(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::EUNKNOWN, message).with(|r| {
            r.user_error = true;
        })
    }

    /// A caller-made error with a `code` of the caller's choosing, as Node's
    /// `destroy(Object.assign(new Error(message), { code }))`: [`NetError::code`] reports it as
    /// given (a code [`ErrorCode`] knows becomes that variant), [`NetError::kind`] reports
    /// [`ErrorKind::User`].
    ///
    /// ```
    /// use net_core::{ErrorKind, NetError};
    /// let e = NetError::user_with_code("E_APP_QUIT", "the app is done");
    /// assert_eq!(e.code(), "E_APP_QUIT");
    /// assert_eq!(e.kind(), ErrorKind::User);
    /// assert_eq!(NetError::user_with_code("ETIMEDOUT", "slow").code(), "ETIMEDOUT");
    /// ```
    pub fn user_with_code(code: &'static str, message: impl Into<String>) -> Self {
        let known = ErrorCode::ALL.iter().copied().find(|c| c.as_str() == code);
        Self::new(known.unwrap_or(ErrorCode::EUNKNOWN), message).with(|r| {
            r.user_error = true;
            if known.is_none() {
                r.user_code = Some(code);
            }
        })
    }

    /// A failed system call without an address: `"read ECONNRESET"`, `"write EPIPE"`.
    pub fn syscall(code: ErrorCode, syscall: &'static str) -> Self {
        Self::new(code, format!("{syscall} {code}")).with(|r| {
            r.syscall = Some(syscall);
        })
    }

    /// A failed `connect` to a TCP address: `"connect ECONNREFUSED 127.0.0.1:9"`; port 0 is left out
    /// of the message and of `port`, as Node does.
    pub fn connect(code: ErrorCode, addr: SocketAddr) -> Self {
        let ip = addr.ip().to_string();
        let (message, port) = if addr.port() == 0 {
            (format!("connect {code} {ip}"), None)
        } else {
            (format!("connect {code} {ip}:{}", addr.port()), Some(addr.port()))
        };
        Self::new(code, message).with(|r| {
            r.syscall = Some("connect");
            r.address = Some(ip);
            r.port = port;
        })
    }

    /// A failed `connect` to a Unix path: `"connect ENOENT /tmp/x.sock"`.
    pub fn connect_path(code: ErrorCode, path: &str) -> Self {
        Self::new(code, format!("connect {code} {path}")).with(|r| {
            r.syscall = Some("connect");
            r.address = Some(path.to_owned());
        })
    }

    /// A failed `listen` on a TCP address:
    /// `"listen EADDRINUSE: address already in use 127.0.0.1:8080"` (IPv6 without brackets).
    pub fn listen(code: ErrorCode, addr: SocketAddr) -> Self {
        let ip = addr.ip().to_string();
        let uv = code.uv_message().unwrap_or("unknown error");
        Self::new(code, format!("listen {code}: {uv} {ip}:{}", addr.port())).with(|r| {
            r.syscall = Some("listen");
            r.address = Some(ip.clone());
            r.port = Some(addr.port());
        })
    }

    /// A failed `listen` on a Unix path: `"listen EADDRINUSE: address already in use /tmp/x.sock"`.
    /// A missing directory reads `EACCES`, as libuv reports it (for Windows compatibility).
    pub fn listen_path(code: ErrorCode, path: &str) -> Self {
        let code = if code == ErrorCode::ENOENT { ErrorCode::EACCES } else { code };
        let uv = code.uv_message().unwrap_or("unknown error");
        Self::new(code, format!("listen {code}: {uv} {path}")).with(|r| {
            r.syscall = Some("listen");
            r.address = Some(path.to_owned());
        })
    }

    /// A `connect` that failed while bound to a local address:
    /// `"connect EADDRNOTAVAIL 127.0.0.1:80 - Local (127.0.0.1:5000)"`.
    pub fn connect_from(code: ErrorCode, addr: SocketAddr, local: SocketAddr) -> Self {
        let mut err = Self::connect(code, addr);
        err.0.message = format!("{} - Local ({}:{})", err.0.message, local.ip(), local.port());
        err
    }

    /// Node's `bind CODE ADDRESS:PORT`: binding the local address of a connect failed.
    pub fn bind(code: ErrorCode, local: SocketAddr) -> Self {
        Self::syscall(code, "bind").with_message(format!("bind {code} {}:{}", local.ip(), local.port())).with(
            |r| {
                r.address = Some(local.ip().to_string());
                r.port = Some(local.port());
            },
        )
    }

    /// The same error with another message.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.0.message = message.into();
        self
    }

    /// A failed name lookup: `"getaddrinfo ENOTFOUND example.test"`.
    pub fn lookup(code: ErrorCode, host: &str) -> Self {
        Self::new(code, format!("getaddrinfo {code} {host}")).with(|r| {
            r.syscall = Some("getaddrinfo");
        })
    }

    /// Node's `AggregateError` when every address of a connect failed: the first error's code,
    /// an empty message, and every error in attempt order.
    pub fn aggregate(errors: Vec<Self>) -> Self {
        let code = errors.first().map_or(ErrorCode::EUNKNOWN, |e| e.0.code);
        Self::new(code, "").with(|r| {
            r.errors = errors;
        })
    }

    /// `ERR_IP_BLOCKED`: "IP(1.2.3.4) is blocked by net.BlockList".
    pub fn ip_blocked(ip: std::net::IpAddr) -> Self {
        Self::new(ErrorCode::ERR_IP_BLOCKED, format!("IP({ip}) is blocked by net.BlockList"))
    }

    /// The errors inside an `AggregateError`; empty for any other error.
    pub fn errors(&self) -> &[Self] {
        &self.0.errors
    }

    /// `error.cause`: for an `AbortError` ([`NetError::aborted`]), the signal's reason.
    pub fn cause(&self) -> Option<&Self> {
        self.0.cause.as_ref()
    }

    pub(crate) fn with_cause(self, cause: Self) -> Self {
        self.with(|r| r.cause = Some(cause))
    }

    /// Whether this is an `AggregateError`.
    pub fn is_aggregate(&self) -> bool {
        !self.0.errors.is_empty()
    }

    /// An [`io::Error`] from `syscall`, mapped once for every backend.
    pub fn from_io(err: &io::Error, syscall: &'static str) -> Self {
        Self::syscall(ErrorCode::from_io(err), syscall)
    }

    /// Node's `error.code`.
    pub fn code(&self) -> &'static str {
        self.0.user_code.unwrap_or(self.0.code.as_str())
    }

    /// The code as an enum.
    pub fn error_code(&self) -> ErrorCode {
        self.0.code
    }

    /// Transport, misuse, invalid argument, or the caller's own error.
    pub fn kind(&self) -> ErrorKind {
        if self.0.user_error { ErrorKind::User } else { self.0.code.kind() }
    }

    /// Node's `error.message`.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// Node's `error.errno` (negative, Linux numbering) for system errors.
    pub fn errno(&self) -> Option<i32> {
        if self.0.user_error { None } else { self.0.code.errno() }
    }

    /// Node's `error.syscall`.
    pub fn syscall_name(&self) -> Option<&'static str> {
        self.0.syscall
    }

    /// Node's `error.address`.
    pub fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }

    /// Node's `error.port`.
    pub fn port(&self) -> Option<u16> {
        self.0.port
    }

    // Node's fixed texts for the misuse errors, in one place.

    /// `ERR_STREAM_WRITE_AFTER_END`: "write after end".
    pub fn write_after_end() -> Self {
        Self::new(ErrorCode::ERR_STREAM_WRITE_AFTER_END, "write after end")
    }

    /// `ERR_STREAM_DESTROYED`: "Cannot call write after a stream was destroyed".
    pub fn stream_destroyed() -> Self {
        Self::new(ErrorCode::ERR_STREAM_DESTROYED, "Cannot call write after a stream was destroyed")
    }

    /// `ERR_STREAM_ALREADY_FINISHED`: "Cannot call end after a stream was finished".
    pub fn already_finished() -> Self {
        Self::new(ErrorCode::ERR_STREAM_ALREADY_FINISHED, "Cannot call end after a stream was finished")
    }

    /// `ERR_SOCKET_CLOSED_BEFORE_CONNECTION`.
    pub fn closed_before_connection() -> Self {
        Self::new(
            ErrorCode::ERR_SOCKET_CLOSED_BEFORE_CONNECTION,
            "Socket closed before the connection was established",
        )
    }

    /// `ERR_SOCKET_CLOSED`: "Socket is closed".
    pub fn socket_closed() -> Self {
        Self::new(ErrorCode::ERR_SOCKET_CLOSED, "Socket is closed")
    }

    /// `EPIPE` "This socket has been ended by the other party" (write after the peer's FIN
    /// without half-open).
    pub fn ended_by_other_party() -> Self {
        Self::new(ErrorCode::EPIPE, "This socket has been ended by the other party")
    }

    /// `ERR_INVALID_HANDLE_TYPE`: "This handle type cannot be sent".
    pub fn invalid_handle_type() -> Self {
        Self::new(ErrorCode::ERR_INVALID_HANDLE_TYPE, "This handle type cannot be sent")
    }

    /// `ERR_SERVER_ALREADY_LISTEN`.
    pub fn server_already_listen() -> Self {
        Self::new(
            ErrorCode::ERR_SERVER_ALREADY_LISTEN,
            "Listen method has been called more than once without closing.",
        )
    }

    /// `ERR_SERVER_NOT_RUNNING`: "Server is not running.".
    pub fn server_not_running() -> Self {
        Self::new(ErrorCode::ERR_SERVER_NOT_RUNNING, "Server is not running.")
    }

    /// `ERR_OUT_OF_RANGE` for a named value, in Node's wording.
    pub fn out_of_range(name: &str, range: &str, received: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::ERR_OUT_OF_RANGE,
            format!("The value of \"{name}\" is out of range. It must be {range}. Received {received}"),
        )
    }

    /// `ERR_INVALID_ARG_VALUE` for a named property, in Node's wording.
    pub fn invalid_arg_value(name: &str, received: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::ERR_INVALID_ARG_VALUE,
            format!("The property '{name}' is invalid. Received {received}"),
        )
    }
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for NetError {}

impl From<&io::Error> for ErrorCode {
    fn from(err: &io::Error) -> Self {
        Self::from_io(err)
    }
}

impl From<io::Error> for NetError {
    /// The one mapping every backend shares. The message is Node's `errnoException` form without
    /// a syscall (just the code); prefer [`NetError::from_io`] when the syscall is known.
    fn from(err: io::Error) -> Self {
        let code = ErrorCode::from_io(&err);
        Self::new(code, code.as_str())
    }
}

impl ErrorCode {
    /// The nearest [`io::ErrorKind`], for the io-trait view of a socket: what a `TcpStream`
    /// would have answered in the same situation (a write after `end()` or `destroy()` is a
    /// broken pipe; a socket that never connected is not connected).
    pub fn io_kind(self) -> io::ErrorKind {
        use io::ErrorKind as K;
        match self {
            Self::ECONNREFUSED => K::ConnectionRefused,
            Self::ECONNRESET => K::ConnectionReset,
            Self::EPIPE => K::BrokenPipe,
            Self::ECONNABORTED => K::ConnectionAborted,
            Self::EADDRINUSE => K::AddrInUse,
            Self::EADDRNOTAVAIL => K::AddrNotAvailable,
            Self::EACCES | Self::ERR_IP_BLOCKED => K::PermissionDenied,
            Self::ENOENT | Self::ENOTFOUND => K::NotFound,
            Self::ETIMEDOUT => K::TimedOut,
            Self::ENOTCONN | Self::ERR_SOCKET_CLOSED | Self::ERR_SOCKET_CLOSED_BEFORE_CONNECTION => {
                K::NotConnected
            }
            Self::EHOSTUNREACH => K::HostUnreachable,
            Self::ENETUNREACH => K::NetworkUnreachable,
            Self::ECANCELED => K::Interrupted,
            Self::ERR_STREAM_WRITE_AFTER_END
            | Self::ERR_STREAM_DESTROYED
            | Self::ERR_STREAM_ALREADY_FINISHED => K::BrokenPipe,
            Self::ERR_INVALID_HANDLE_TYPE => K::Unsupported,
            Self::ERR_SERVER_ALREADY_LISTEN => K::AlreadyExists,
            Self::ERR_SERVER_NOT_RUNNING => K::NotConnected,
            // What a `TcpStream` whose connect the caller gave up on would say.
            Self::ABORT_ERR => K::ConnectionAborted,
            c if c.kind() == ErrorKind::InvalidArgument => K::InvalidInput,
            _ => K::Other,
        }
    }
}

/// The [`NetError`] stays inside: `err.get_ref()` and `downcast_ref::<NetError>()` give back
/// Node's `code`, `syscall` and addresses.
impl From<NetError> for io::Error {
    fn from(err: NetError) -> Self {
        Self::new(err.0.code.io_kind(), err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_map_to_node_codes() {
        let cases = [
            (io::ErrorKind::ConnectionRefused, "ECONNREFUSED"),
            (io::ErrorKind::ConnectionReset, "ECONNRESET"),
            (io::ErrorKind::BrokenPipe, "EPIPE"),
            (io::ErrorKind::AddrInUse, "EADDRINUSE"),
            (io::ErrorKind::NotFound, "ENOENT"),
            (io::ErrorKind::Other, "EUNKNOWN"),
        ];
        for (kind, code) in cases {
            assert_eq!(ErrorCode::from_io(&io::Error::from(kind)).as_str(), code, "{kind:?}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn raw_linux_errno_wins() {
        // 98 = EADDRINUSE, 111 = ECONNREFUSED, 22 = EINVAL on Linux.
        for (raw, code) in [(98, "EADDRINUSE"), (111, "ECONNREFUSED"), (22, "EINVAL"), (104, "ECONNRESET")] {
            let err = io::Error::from_raw_os_error(raw);
            assert_eq!(NetError::from_io(&err, "read").code(), code);
        }
        assert_eq!(
            NetError::from_io(&io::Error::from_raw_os_error(libc::ECONNRESET), "read").to_string(),
            "read ECONNRESET"
        );
    }

    #[test]
    fn from_impls_agree_with_from_io() {
        let err = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(ErrorCode::from(&err), ErrorCode::ECONNREFUSED);
        let net: NetError = err.into();
        assert_eq!((net.code(), net.message(), net.errno()), ("ECONNREFUSED", "ECONNREFUSED", Some(-111)));
        let back: io::Error = NetError::syscall(ErrorCode::EPIPE, "write").into();
        assert_eq!(back.kind(), io::ErrorKind::BrokenPipe);
        assert_eq!(back.to_string(), "write EPIPE");
    }

    /// The io-trait view: misuse reads as what a `TcpStream` would have said, and Node's error
    /// is still inside.
    #[test]
    fn misuse_maps_to_the_nearest_io_kind_and_keeps_the_net_error() {
        let cases = [
            (NetError::write_after_end(), io::ErrorKind::BrokenPipe),
            (NetError::stream_destroyed(), io::ErrorKind::BrokenPipe),
            (NetError::already_finished(), io::ErrorKind::BrokenPipe),
            (NetError::ended_by_other_party(), io::ErrorKind::BrokenPipe),
            (NetError::closed_before_connection(), io::ErrorKind::NotConnected),
            (NetError::socket_closed(), io::ErrorKind::NotConnected),
            (NetError::invalid_handle_type(), io::ErrorKind::Unsupported),
            (NetError::syscall(ErrorCode::ECONNRESET, "read"), io::ErrorKind::ConnectionReset),
            (NetError::syscall(ErrorCode::EHOSTUNREACH, "connect"), io::ErrorKind::HostUnreachable),
        ];
        for (net, kind) in cases {
            let code = net.code();
            let io: io::Error = net.into();
            assert_eq!(io.kind(), kind, "{code}");
            let inner = io.get_ref().and_then(|e| e.downcast_ref::<NetError>()).expect("NetError inside");
            assert_eq!(inner.code(), code);
        }
    }

    #[test]
    fn messages_match_node_texts() {
        let v4: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let v6: SocketAddr = "[::1]:4000".parse().unwrap();
        assert_eq!(
            NetError::connect(ErrorCode::ECONNREFUSED, v6).to_string(),
            "connect ECONNREFUSED ::1:4000"
        );
        let zero: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let e = NetError::connect(ErrorCode::ECONNREFUSED, zero);
        assert_eq!((e.to_string().as_str(), e.port()), ("connect ECONNREFUSED 127.0.0.1", None));
        let e = NetError::listen(ErrorCode::EADDRINUSE, v4);
        assert_eq!(e.to_string(), "listen EADDRINUSE: address already in use 127.0.0.1:4000");
        assert_eq!((e.errno(), e.syscall_name(), e.port()), (Some(-98), Some("listen"), Some(4000)));
        let any6: SocketAddr = "[::]:4000".parse().unwrap();
        assert_eq!(
            NetError::listen(ErrorCode::EADDRINUSE, any6).to_string(),
            "listen EADDRINUSE: address already in use :::4000"
        );
        assert_eq!(
            NetError::listen_path(ErrorCode::EINVAL, "/tmp/x").to_string(),
            "listen EINVAL: invalid argument /tmp/x"
        );
        assert_eq!(NetError::syscall(ErrorCode::EPIPE, "write").errno(), Some(-32));
        assert_eq!(NetError::user("x").kind(), ErrorKind::User);
        assert_eq!(NetError::write_after_end().kind(), ErrorKind::Misuse);
    }
}
