//! A Node 26 process running `scripts/node/peer.js`, shared by every backend's interop tests
//! (each adds its own way of waiting for a line). Its stdout lines arrive through a thread, so
//! any runtime, or a mio loop, can wait for them.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

/// Node 26: `NODE26`, or the copy `scripts/install-node.sh` installs on first use.
pub(crate) fn node() -> PathBuf {
    net_testkit::node26()
}

/// A running peer; killed when dropped.
pub(crate) struct Peer {
    pub(crate) child: Child,
    pub(crate) lines: mpsc::Receiver<String>,
}

impl Peer {
    pub(crate) fn spawn(args: &[&str]) -> Self {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/node/peer.js");
        let mut child =
            Command::new(node()).arg(script).args(args).stdout(Stdio::piped()).spawn().expect("node starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The same pattern and FNV-1a sum as peer.js.
pub(crate) fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| ((i * 31 + 7) & 0xff) as u8).collect()
}

pub(crate) fn fnv(data: &[u8]) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for &b in data {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}
