//! What the example programs share: command-line parsing and address handling.

pub mod dyn_rt;
pub mod echo;

use std::net::SocketAddr;
use std::path::PathBuf;

/// Which backend a program runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// net-tokio.
    Tokio,
    /// net-smol.
    Smol,
    /// net-mio.
    Mio,
}

impl Backend {
    /// Parse `tokio`, `smol` or `mio`.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "tokio" => Ok(Self::Tokio),
            "smol" => Ok(Self::Smol),
            "mio" => Ok(Self::Mio),
            other => Err(format!("unknown backend '{other}' (expected tokio, smol or mio)")),
        }
    }
}

/// A place to listen or connect: `HOST:PORT` (IPv6 in brackets) or a Unix socket path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addr {
    /// TCP.
    Tcp(SocketAddr),
    /// A Unix-domain socket path.
    Unix(PathBuf),
}

impl Addr {
    /// `127.0.0.1:8080`, `[::1]:0`, or anything else as a path.
    pub fn parse(s: &str) -> Result<Self, String> {
        if let Ok(addr) = s.parse::<SocketAddr>() {
            return Ok(Self::Tcp(addr));
        }
        if s.contains('/') || !s.contains(':') {
            return Ok(Self::Unix(s.into()));
        }
        Err(format!("'{s}' is neither HOST:PORT (IPv6 in brackets) nor a Unix socket path"))
    }
}

impl Addr {
    /// Listen here, with Node's defaults otherwise.
    pub fn listen_options(&self) -> net_core::ListenOptions {
        match self {
            Self::Tcp(a) => net_core::ListenOptions::tcp(a.ip(), a.port()),
            Self::Unix(p) => net_core::ListenOptions::path(p),
        }
    }
}

/// Print the servers' first line, `listening on <address>`, and flush it at once.
pub fn announce(endpoint: Option<net_core::Endpoint>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {}", endpoint.as_ref().map(shown).unwrap_or_default());
    let _ = out.flush();
}

/// Print Node's code and message and exit 1.
pub fn fail(e: &net_core::NetError) -> ! {
    eprintln!("{}: {}", e.code(), e.message());
    std::process::exit(1)
}

/// Spawn a connection's task on the runtime the program runs on (tokio's current runtime, or
/// smol's executor), for protocol code written once over [`net_async::Runtime`].
pub fn spawn<Rt: net_async::Runtime>(f: impl Future<Output = ()> + Send + 'static) {
    Rt::try_current().expect("inside the program's runtime").spawn(f);
}

/// The bound address as the programs print it: `listening on <address>`.
pub fn shown(endpoint: &net_core::Endpoint) -> String {
    match endpoint {
        net_core::Endpoint::Tcp(a) => a.to_string(),
        net_core::Endpoint::Ipc(p) => p.display().to_string(),
    }
}

/// Simple `--flag value` parsing: the value after `flag`, if present.
pub fn value_of(args: &[String], flag: &str) -> Option<String> {
    args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned()
}

/// Whether `flag` is present.
pub fn has(args: &[String], flag: &str) -> bool {
    args.iter().any(|a| a == flag)
}

/// The value of a required `flag`, or a usage error.
pub fn required(args: &[String], flag: &str, usage: &str) -> String {
    value_of(args, flag).unwrap_or_else(|| usage_error(&format!("{flag} is required"), usage))
}

/// `--backend B`, required.
pub fn backend_arg(args: &[String], usage: &str) -> Backend {
    Backend::parse(&required(args, "--backend", usage)).unwrap_or_else(|e| usage_error(&e, usage))
}

/// An address given with `flag`, required.
pub fn addr_arg(args: &[String], flag: &str, usage: &str) -> Addr {
    Addr::parse(&required(args, flag, usage)).unwrap_or_else(|e| usage_error(&e, usage))
}

/// Run a future on a single-threaded tokio runtime, as the tokio variants of the programs do.
pub fn tokio_block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime").block_on(f)
}

/// Print a usage error and exit with status 2.
pub fn usage_error(message: &str, usage: &str) -> ! {
    eprintln!("error: {message}\nusage: {usage}");
    std::process::exit(2)
}

/// Run `on_signal` on a thread when SIGINT or SIGTERM arrives.
pub fn on_termination(on_signal: impl FnOnce() + Send + 'static) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]).expect("signal handler");
    std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            on_signal();
        }
    });
}

/// The fixed response of `hello-http`.
pub const HELLO_BODY: &str = "hello, world\n";

/// Splits an HTTP/1.1 request stream into requests (headers, then a `Content-Length` body),
/// enough for a keep-alive responder.
#[derive(Debug, Default)]
pub struct HttpRequests {
    buf: Vec<u8>,
}

/// One parsed request: whether the client asked to close after the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// `Connection: close`, or HTTP/1.0 without keep-alive.
    pub close: bool,
}

impl HttpRequests {
    /// Add received bytes; returns the requests now complete, or `Err` for a malformed one.
    pub fn feed(&mut self, data: &[u8]) -> Result<Vec<Request>, String> {
        self.buf.extend_from_slice(data);
        let mut out = Vec::new();
        loop {
            let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                if self.buf.len() > 64 * 1024 {
                    return Err("header too large".into());
                }
                return Ok(out);
            };
            let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
            let mut lines = head.split("\r\n");
            let request_line = lines.next().unwrap_or_default();
            let version = request_line.rsplit(' ').next().unwrap_or_default();
            if !version.starts_with("HTTP/1.") {
                return Err(format!("bad request line '{request_line}'"));
            }
            let mut length = 0usize;
            let mut close = version == "HTTP/1.0";
            for line in lines {
                let Some((name, value)) = line.split_once(':') else { continue };
                let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_ascii_lowercase());
                match name.as_str() {
                    "content-length" => {
                        length = value.parse().map_err(|_| "bad content-length".to_string())?
                    }
                    "connection" if value == "close" => close = true,
                    "connection" if value == "keep-alive" => close = false,
                    _ => {}
                }
            }
            let total = end + 4 + length;
            if self.buf.len() < total {
                return Ok(out);
            }
            self.buf.drain(..total);
            out.push(Request { close });
        }
    }
}

/// The response `hello-http` sends to every request.
pub fn hello_response(close: bool) -> String {
    let connection = if close { "close" } else { "keep-alive" };
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n{HELLO_BODY}",
        HELLO_BODY.len()
    )
}

/// Splits a byte stream into `\n`-terminated lines, for `chat`.
#[derive(Debug, Default)]
pub struct Lines {
    buf: Vec<u8>,
}

impl Lines {
    /// The longest line `chat` accepts; a longer one is cut there.
    pub const MAX: usize = 4096;

    /// Add bytes; returns the complete lines, each with its `\n`.
    pub fn feed(&mut self, data: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for &b in data {
            self.buf.push(b);
            if b == b'\n' || self.buf.len() >= Self::MAX {
                if self.buf.last() != Some(&b'\n') {
                    self.buf.push(b'\n');
                }
                out.push(std::mem::take(&mut self.buf));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_requests_split_and_keep_alive() {
        let mut p = HttpRequests::default();
        let two = b"GET / HTTP/1.1\r\nHost: x\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nab";
        assert_eq!(p.feed(two).unwrap(), [Request { close: false }]);
        assert_eq!(p.feed(b"c").unwrap(), [Request { close: true }]);
        assert!(p.feed(b"nonsense\r\n\r\n").is_err());
        assert_eq!(
            HttpRequests::default().feed(b"GET / HTTP/1.0\r\n\r\n").unwrap(),
            [Request { close: true }]
        );
    }

    #[test]
    fn lines_split_and_cap() {
        let mut l = Lines::default();
        assert_eq!(l.feed(b"a\nb"), [b"a\n".to_vec()]);
        assert_eq!(l.feed(b"c\n"), [b"bc\n".to_vec()]);
        let long = vec![b'x'; Lines::MAX + 10];
        assert_eq!(l.feed(&long).len(), 1);
    }
}
