//! Running scenarios on real Node.js through `node/runner.js`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

/// Find Node: `explicit` (`--node`), then `$NODE`, then `$NODE26`, then the copy
/// `scripts/install-node.sh` keeps in `.tools/` (installed from the npm registry on first use).
/// `None` only when that install fails (the reason is printed).
pub fn find(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_owned());
    }
    if let Some(p) = std::env::var_os("NODE").filter(|v| !v.is_empty()) {
        return Some(p.into());
    }
    net_testkit::try_node26().map_err(|e| eprintln!("{e}")).ok()
}

/// `node --version`.
pub fn version(node: &Path) -> Option<String> {
    let out = Command::new(node).arg("--version").output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The runner script.
pub fn runner() -> PathBuf {
    crate::crate_dir().join("node/runner.js")
}

/// Run one scenario file on Node; its trace lines.
pub fn trace(node: &Path, scenario: &Path) -> Result<Vec<String>, String> {
    let out = Command::new(node)
        .arg(runner())
        .arg(scenario)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", node.display()))?;
    if !out.status.success() {
        return Err(format!(
            "node exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect())
}

/// Node processes that each run many scenarios (`runner.js --serve`): starting Node costs about
/// 40 ms, more than most scenarios take, so the random differential test keeps them running.
/// Each call takes an idle process (or starts one), so as many scenarios run at once as threads
/// call in.
pub struct Pool {
    node: PathBuf,
    idle: Mutex<Vec<Worker>>,
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Pool {
    /// A pool running `node`.
    pub fn new(node: &Path) -> Self {
        Self { node: node.to_owned(), idle: Mutex::new(Vec::new()) }
    }

    fn spawn(&self) -> Result<Worker, String> {
        let mut child = Command::new(&self.node)
            .arg(runner())
            .arg("--serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.node.display()))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        Ok(Worker { child, stdin, stdout, next_id: 0 })
    }

    /// Run a scenario given as text on Node; its trace lines. A process that fails is dropped
    /// (killed), never reused.
    pub fn trace_source(&self, source: &str) -> Result<Vec<String>, String> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut w = match idle {
            Some(w) => w,
            None => self.spawn()?,
        };
        let answer = w.run(source)?;
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(w);
        answer
    }
}

impl Worker {
    /// `Err` outside: the process is broken. `Ok(Err)`: the scenario did not parse.
    fn run(&mut self, source: &str) -> Result<Result<Vec<String>, String>, String> {
        self.next_id += 1;
        let id = self.next_id;
        let mut line = serde_json::json!({ "id": id, "source": source }).to_string();
        line.push('\n');
        self.stdin.write_all(line.as_bytes()).map_err(|e| format!("node serve: {e}"))?;
        self.stdin.flush().map_err(|e| format!("node serve: {e}"))?;
        let mut reply = String::new();
        match self.stdout.read_line(&mut reply) {
            Ok(0) => return Err(format!("node serve exited: {:?}", self.child.try_wait())),
            Ok(_) => {}
            Err(e) => return Err(format!("node serve: {e}")),
        }
        let v: serde_json::Value =
            serde_json::from_str(&reply).map_err(|e| format!("node serve: {e}: {reply}"))?;
        if v["id"].as_u64() != Some(id) {
            return Err(format!("node serve answered {} to request {id}", v["id"]));
        }
        if let Some(e) = v["error"].as_str() {
            return Ok(Err(e.to_owned()));
        }
        let trace = v["trace"].as_str().ok_or_else(|| format!("node serve: no trace in {reply}"))?;
        Ok(Ok(trace.lines().map(str::to_owned).collect()))
    }
}
