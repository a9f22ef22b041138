//! The external programs the tests, the conformance tool and the benchmark drive: Node 26 (the
//! oracle and interop peer), `socat` and `curl`.
//!
//! Each is installed on first use by the project's own scripts (`scripts/install-node.sh`,
//! `scripts/install-tools.sh`), so `cargo test --workspace` on a fresh clone needs nothing set up
//! by hand. The install runs at most once per process (test threads wait for it) and the scripts
//! hold a file lock, so parallel test processes never install twice or see a half-written tree.
//! A program that cannot be had is a panic with the script to run, never a skipped test.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The repository's root directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("net-testkit sits in the repository root")
        .to_owned()
}

/// Node 26: `$NODE26` when set, else the copy `scripts/install-node.sh` keeps in `.tools/node26`
/// (installed from the npm registry on first use).
///
/// # Panics
/// When `$NODE26` is empty or the install script fails; the message names the script.
pub fn node26() -> PathBuf {
    try_node26().unwrap_or_else(|e| panic!("{e}"))
}

/// Like [`node26`], but the reason instead of a panic (for tools that can run without Node).
pub fn try_node26() -> Result<PathBuf, String> {
    static NODE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    NODE.get_or_init(find_or_install_node).clone()
}

fn find_or_install_node() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("NODE26") {
        if p.is_empty() {
            return Err(
                "NODE26 is set but empty: unset it to let scripts/install-node.sh install Node 26".into()
            );
        }
        return Ok(p.into());
    }
    let script = repo_root().join("scripts/install-node.sh");
    let out = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    match stdout.lines().last() {
        Some(path) if out.status.success() && Path::new(path).is_file() => Ok(PathBuf::from(path)),
        _ => Err(format!(
            "Node 26 not found and {} failed ({}): run it by hand to see why, or set NODE26",
            script.display(),
            out.status
        )),
    }
}

/// An external command-line program the tests drive (`"socat"`, `"curl"`): found on `PATH`, else
/// installed from Debian's packages by `scripts/install-tools.sh` on first use.
///
/// # Panics
/// When the program is still missing after the script ran; the message names the script.
pub fn require(program: &str) -> PathBuf {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    if let Some(p) = on_path(program) {
        return p;
    }
    let script = repo_root().join("scripts/install-tools.sh");
    let ran = INSTALLED.get_or_init(|| {
        let status = Command::new("bash")
            .arg(&script)
            .stdin(Stdio::null())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit())
            .status()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if status.success() { Ok(()) } else { Err(format!("{} failed ({status})", script.display())) }
    });
    if let Err(e) = ran {
        panic!("{program} not found, and {e}: run it by hand to see why");
    }
    on_path(program).unwrap_or_else(|| panic!("{program} not found after {} ran", script.display()))
}

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_holds_the_scripts() {
        assert!(repo_root().join("scripts/install-node.sh").is_file());
        assert!(repo_root().join("scripts/install-tools.sh").is_file());
    }

    #[test]
    fn a_program_on_path_is_found_without_installing() {
        assert_eq!(on_path("sh").map(|p| p.is_file()), Some(true));
        assert_eq!(on_path("no-such-program-anywhere-here"), None);
    }
}
