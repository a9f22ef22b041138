//! What the example programs share: command-line parsing and address handling.

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
