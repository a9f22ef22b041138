//! Running scenarios on real Node.js through `node/runner.js`.

use std::path::{Path, PathBuf};
use std::process::Command;

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
