//! Traces: what a run recorded, and its rendering in the shared text format (README, "Traces").

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use net_core::Endpoint;

/// One recorded event of an actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    /// Bytes received (merged with adjacent `Data` when rendered).
    Data(Vec<u8>),
    /// A line with no address in it (`connect`, `error ECONNRESET`, `close false`).
    Text(String),
    /// `connectionAttempt*` with its endpoint: the name, where to, and a code for the failure.
    Attempt(&'static str, Endpoint, Option<String>),
    /// `drop` with (local, remote), or `None` without a payload.
    Drop(Option<(SocketAddr, SocketAddr)>),
    /// `connection`, naming the accepted actor (an index into the actors).
    Connection(usize),
}

/// A recorded value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Printed as is.
    Text(String),
    /// A TCP address with its port.
    Addr(SocketAddr),
    /// An IPC path.
    Path(PathBuf),
}

/// One actor: its name (once known) and its events.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The scenario's name, or `None` for an accepted socket no `await` named.
    pub name: Option<String>,
    /// For an unnamed accepted socket: `(server actor, connection number)`.
    pub accepted_by: Option<(usize, usize)>,
    /// Events in order.
    pub events: Vec<Ev>,
}

/// Everything a run recorded, and what the renderer needs to normalise it.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// Actors in order of first mention.
    pub actors: Vec<Actor>,
    /// `(step number, "verb actor", value)` in step order.
    pub values: Vec<(usize, String, Value)>,
    /// Each port a server listened on, with the server's name (the latest wins).
    pub ports: HashMap<u16, String>,
    /// Each IPC path a server listened on, with the server's name.
    pub paths: HashMap<PathBuf, String>,
    /// The run's temporary directory (paths under it print relative to it).
    pub tmp: PathBuf,
}

/// The escape rules of previews.
pub fn preview(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes.iter().take(16) {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s
}

impl Trace {
    fn port(&self, port: u16) -> String {
        match self.ports.get(&port) {
            Some(name) => format!("${name}"),
            None => "$eph".to_owned(),
        }
    }

    /// `IP:PORT` with the port normalised, IPv6 in brackets.
    pub fn addr(&self, a: SocketAddr) -> String {
        match a.ip() {
            IpAddr::V4(ip) => format!("{ip}:{}", self.port(a.port())),
            IpAddr::V6(ip) => format!("[{ip}]:{}", self.port(a.port())),
        }
    }

    /// A path as `$S` for a server's path, else its name under the temp directory.
    pub fn path(&self, p: &Path) -> String {
        if let Some(name) = self.paths.get(p) {
            return format!("${name}");
        }
        match p.strip_prefix(&self.tmp) {
            Ok(rel) => rel.display().to_string(),
            Err(_) => p.display().to_string(),
        }
    }

    /// The printed name of actor `i`.
    pub fn actor_name(&self, i: usize) -> String {
        let a = &self.actors[i];
        match (&a.name, a.accepted_by) {
            (Some(n), _) => n.clone(),
            (None, Some((server, k))) => format!("{}#{k}", self.actor_name(server)),
            (None, None) => format!("?{i}"),
        }
    }

    fn event_line(&self, ev: &Ev) -> String {
        match ev {
            Ev::Data(d) => format!("data {} \"{}\"", d.len(), preview(d)),
            Ev::Text(t) => t.clone(),
            Ev::Attempt(name, to, code) => {
                // Node passes (ip, port, family); for a pipe, (path, undefined, undefined).
                let mut s = match to {
                    Endpoint::Tcp(at) => {
                        format!(
                            "{name} {} {} {}",
                            at.ip(),
                            self.port(at.port()),
                            if at.is_ipv4() { 4 } else { 6 }
                        )
                    }
                    Endpoint::Ipc(p) => format!("{name} {} undefined undefined", self.path(p)),
                };
                if let Some(c) = code {
                    s.push(' ');
                    s.push_str(c);
                }
                s
            }
            Ev::Drop(Some((local, remote))) => format!("drop {} {}", self.addr(*local), self.addr(*remote)),
            Ev::Drop(None) => "drop -".to_owned(),
            Ev::Connection(i) => format!("connection {}", self.actor_name(*i)),
        }
    }

    /// The trace in the shared text format, one line each.
    pub fn render(&self) -> Vec<String> {
        let mut out = Vec::new();
        let named = (0..self.actors.len()).filter(|&i| self.actors[i].name.is_some());
        let unnamed = (0..self.actors.len()).filter(|&i| self.actors[i].name.is_none());
        for i in named.chain(unnamed) {
            let name = self.actor_name(i);
            let mut data: Vec<u8> = Vec::new();
            let mut in_data = false;
            for ev in &self.actors[i].events {
                if let Ev::Data(d) = ev {
                    data.extend_from_slice(d);
                    in_data = true;
                    continue;
                }
                if in_data {
                    out.push(format!("{name}: {}", self.event_line(&Ev::Data(std::mem::take(&mut data)))));
                    in_data = false;
                }
                out.push(format!("{name}: {}", self.event_line(ev)));
            }
            if in_data {
                out.push(format!("{name}: {}", self.event_line(&Ev::Data(data))));
            }
        }
        out.push("values:".to_owned());
        for (step, what, value) in &self.values {
            let v = match value {
                Value::Text(t) => t.clone(),
                Value::Addr(a) => self.addr(*a),
                Value::Path(p) => self.path(p),
            };
            out.push(format!("{step}: {what} = {v}"));
        }
        out
    }
}

/// The golden's alternatives: traces separated by `--- or ---` lines.
pub fn split_alternatives(text: &str) -> Vec<Vec<String>> {
    let mut alts = vec![Vec::new()];
    for line in text.lines() {
        if line == "--- or ---" {
            alts.push(Vec::new());
        } else {
            alts.last_mut().expect("one at least").push(line.to_owned());
        }
    }
    alts
}

/// A golden holding these alternatives.
pub fn join_alternatives(alts: &[Vec<String>]) -> String {
    let mut s = String::new();
    for (i, alt) in alts.iter().enumerate() {
        if i > 0 {
            s.push_str("--- or ---\n");
        }
        for line in alt {
            s.push_str(line);
            s.push('\n');
        }
    }
    s
}

/// Expected and actual side by side, marking the lines that differ.
pub fn side_by_side(expected: &[String], actual: &[String]) -> String {
    let width = expected.iter().map(|l| l.chars().count()).max().unwrap_or(0).clamp(8, 60);
    let mut s = format!("  {:<width$} | actual\n", "expected");
    for i in 0..expected.len().max(actual.len()) {
        let e = expected.get(i).map_or("", String::as_str);
        let a = actual.get(i).map_or("", String::as_str);
        let mark = if e == a { ' ' } else { '!' };
        s.push_str(&format!("{mark} {e:<width$} | {a}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_adjacent_data_and_normalises_ports() {
        let mut t = Trace::default();
        t.ports.insert(4000, "s".into());
        t.actors.push(Actor { name: Some("s".into()), accepted_by: None, events: vec![Ev::Connection(1)] });
        t.actors.push(Actor { name: None, accepted_by: Some((0, 1)), events: vec![] });
        t.actors.push(Actor {
            name: Some("c".into()),
            accepted_by: None,
            events: vec![
                Ev::Attempt("connectionAttempt", Endpoint::Tcp("127.0.0.1:4000".parse().unwrap()), None),
                Ev::Data(b"ab".to_vec()),
                Ev::Data(b"c\n\x01".to_vec()),
                Ev::Text("end".into()),
                Ev::Data(b"z".to_vec()),
            ],
        });
        t.values.push((3, "record c remoteAddress".into(), Value::Addr("[::1]:5000".parse().unwrap())));
        assert_eq!(
            t.render(),
            [
                "s: connection s#1",
                "c: connectionAttempt 127.0.0.1 $s 4",
                "c: data 5 \"abc\\n\\x01\"",
                "c: end",
                "c: data 1 \"z\"",
                "values:",
                "3: record c remoteAddress = [::1]:$eph",
            ]
        );
    }

    #[test]
    fn alternatives_round_trip() {
        let alts = vec![vec!["a".to_string()], vec!["b".to_string(), "c".to_string()]];
        assert_eq!(split_alternatives(&join_alternatives(&alts)), alts);
    }
}
