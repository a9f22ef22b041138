//! Helpers shared by the ecosystem tests: a checkable byte pattern, the test certificate, and
//! descriptor counting. The tests themselves (`tests/tokio.rs`, `tests/smol.rs`) drive
//! net-tokio and net-smol through hyper, rustls, tokio-util and asynchronous-codec codecs, and
//! proxies, exactly as a user of those crates would.

use std::sync::Arc;

/// One mebibyte.
pub const MIB: usize = 1 << 20;

/// A long pseudo-random byte stream that a reader can check as it arrives, at memcmp speed:
/// byte `o` of stream `seed` is `block[(o + (o / MIB) * 7919 + seed * 104_729) % MIB]`, so a lost,
/// repeated or reordered chunk shows.
#[derive(Clone)]
pub struct Pattern {
    block: Arc<Vec<u8>>,
    seed: usize,
}

impl Pattern {
    /// Stream number `seed` (different seeds give different streams).
    pub fn new(seed: usize) -> Self {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let block = (0..MIB)
            .map(|_| {
                // xorshift64
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        Self { block: Arc::new(block), seed }
    }

    fn pieces(&self, mut offset: usize, mut len: usize, mut f: impl FnMut(usize, &[u8])) {
        let mut done = 0;
        while len > 0 {
            let start = (offset + (offset / MIB) * 7919 + self.seed * 104_729) % MIB;
            // Stay inside one MiB of the stream (the rotation changes there) and of the block.
            let n = len.min(MIB - offset % MIB).min(MIB - start);
            f(done, &self.block[start..start + n]);
            offset += n;
            len -= n;
            done += n;
        }
    }

    /// Bytes `offset..offset + buf.len()` of the stream.
    pub fn fill(&self, offset: usize, buf: &mut [u8]) {
        let len = buf.len();
        self.pieces(offset, len, |at, piece| buf[at..at + piece.len()].copy_from_slice(piece));
    }

    /// The first `len` bytes of the stream.
    pub fn bytes(&self, len: usize) -> Vec<u8> {
        let mut v = vec![0; len];
        self.fill(0, &mut v);
        v
    }

    /// Whether `got` is the stream's bytes from `offset` on.
    pub fn matches(&self, offset: usize, got: &[u8]) -> bool {
        let mut ok = true;
        self.pieces(offset, got.len(), |at, piece| ok &= &got[at..at + piece.len()] == piece);
        ok
    }
}

/// Checks a stream as it arrives, chunk by chunk.
pub struct Checker {
    pattern: Pattern,
    /// Bytes received so far.
    pub received: usize,
    /// Whether every byte so far was the pattern's.
    pub intact: bool,
}

impl Checker {
    /// A checker for `pattern` from its start.
    pub fn new(pattern: Pattern) -> Self {
        Self { pattern, received: 0, intact: true }
    }

    /// The next bytes received.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.intact &= self.pattern.matches(self.received, chunk);
        self.received += chunk.len();
    }
}

/// `Server::bind` by name on any runtime: a host name is looked up through the runtime (as
/// `TcpListener::bind` does), in both forms, and a form that is no address is `InvalidInput`.
/// The caller bounds it in time with its runtime's timer.
pub async fn bind_by_name<Rt: net_async::Runtime>() {
    for named in [
        net_async::Server::<Rt>::bind("localhost:0").await,
        net_async::Server::<Rt>::bind(("localhost", 0)).await,
    ] {
        let named = named.expect("bound by name");
        assert!(named.local_addr().unwrap().ip().is_loopback(), "{:?}", named.local_addr());
    }
    let err = net_async::Server::<Rt>::bind("no port").await.expect_err("not an address");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

/// The test server certificate chain (a leaf for `localhost` and 127.0.0.1) and its key, and
/// the CA that signed it (valid until 2126).
pub mod tls {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use std::sync::Arc;

    const CERT: &[u8] = include_bytes!("../tests/data/cert.pem");
    const KEY: &[u8] = include_bytes!("../tests/data/key.pem");
    const CA: &[u8] = include_bytes!("../tests/data/ca.pem");

    fn provider() -> Arc<rustls::crypto::CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    /// A server configuration with the test certificate.
    pub fn server_config() -> Arc<rustls::ServerConfig> {
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(CERT).collect::<Result<_, _>>().expect("cert.pem parses");
        let key = PrivateKeyDer::from_pem_slice(KEY).expect("key.pem parses");
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("the certificate and key match");
        Arc::new(config)
    }

    /// A client configuration that trusts the test CA only.
    pub fn client_config() -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        for ca in CertificateDer::pem_slice_iter(CA) {
            roots.add(ca.expect("ca.pem parses")).expect("a CA certificate");
        }
        let config = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    }
}

/// How many of this process's descriptors are TCP connections (not listeners) whose local port
/// is `port`: a server's accepted sockets still open. Exact while other tests of the same
/// process open and close sockets of their own, which a plain descriptor count is not.
pub fn open_connections_on(port: u16) -> usize {
    use std::collections::HashSet;
    // /proc/net/tcp{,6}: `sl local_address rem_address st ... inode`, ports in hex.
    let mut inodes = HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else { continue };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) = (f.get(1), f.get(3), f.get(9)) else { continue };
            let local_port = local.rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok());
            if local_port == Some(port) && *state != "0A" {
                inodes.insert(format!("socket:[{inode}]"));
            }
        }
    }
    let Ok(fds) = std::fs::read_dir("/proc/self/fd") else { return 0 };
    fds.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| inodes.contains(target.to_string_lossy().as_ref()))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_checks_what_it_fills_and_catches_a_reordered_mebibyte() {
        let p = Pattern::new(1);
        let bytes = p.bytes(3 * MIB + 17);
        assert!(p.matches(0, &bytes));
        assert!(p.matches(MIB + 5, &bytes[MIB + 5..2 * MIB + 9]));
        let mut swapped = bytes.clone();
        swapped[..MIB].copy_from_slice(&bytes[MIB..2 * MIB]);
        assert!(!p.matches(0, &swapped));
        assert_ne!(Pattern::new(2).bytes(64), p.bytes(64));
    }

    #[test]
    fn connections_on_a_port_are_counted_and_listeners_are_not() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        assert_eq!(open_connections_on(port), 0, "the listener does not count");
        let c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (a, _) = l.accept().unwrap();
        assert_eq!(open_connections_on(port), 1, "the accepted socket counts, the client does not");
        drop(a);
        assert_eq!(open_connections_on(port), 0);
        drop(c);
    }

    #[test]
    fn the_test_certificate_loads() {
        let _ = tls::server_config();
        let _ = tls::client_config();
    }
}
