//! The conformance suite: one set of scenarios, run on every backend and on real Node.js, with
//! the expected traces (goldens) recorded from Node. See the crate's README for the scenario
//! format, the trace format and the command line.
//!
//! ```no_run
//! use net_conformance::{Backend, Scenario, check};
//! let sc = Scenario::load("net-conformance/scenarios/half-open/client-ends.scn".as_ref()).unwrap();
//! assert!(check(Backend::Tokio, &sc, None).passed());
//! ```

pub mod backend;
pub mod coverage;
pub mod harness;
pub mod interp;
pub mod node;
pub mod random;
pub mod scenario;
pub mod trace;

use std::path::{Path, PathBuf};

pub use harness::Harness;
pub use scenario::Scenario;

/// Where a scenario runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// net-core over the in-memory kernel, virtual time.
    Sim,
    /// net-tokio.
    Tokio,
    /// net-smol.
    Smol,
    /// net-mio.
    Mio,
    /// net-async on net-sim, the deterministic simulator runtime.
    SimRt,
    /// Real Node.js running `node/runner.js`.
    Node,
}

impl Backend {
    /// The backends of this library, in matrix order.
    pub const RUST: [Self; 5] = [Self::Sim, Self::Tokio, Self::Smol, Self::Mio, Self::SimRt];

    /// Its command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sim => "sim",
            Self::Tokio => "tokio",
            Self::Smol => "smol",
            Self::Mio => "mio",
            Self::SimRt => "sim-rt",
            Self::Node => "node",
        }
    }

    /// From a command-line name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Sim, Self::Tokio, Self::Smol, Self::Mio, Self::SimRt, Self::Node]
            .into_iter()
            .find(|b| b.name() == name)
    }
}

/// This crate's folder (scenarios, the Node runner).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The scenario folder.
pub fn scenarios_dir() -> PathBuf {
    crate_dir().join("scenarios")
}

/// Run a scenario on a Rust backend (on a fresh harness, IPC paths under a fresh temp dir).
pub fn trace_rust(backend: Backend, scenario: &Scenario) -> Vec<String> {
    let tmp = tempfile::Builder::new().prefix("net-conf").tempdir().expect("temp dir");
    let trace = match backend {
        Backend::Sim => interp::run(scenario, &mut backend::sim::SimHarness::new(), tmp.path()),
        Backend::Tokio => interp::run(scenario, &mut backend::tokio::TokioHarness::new(), tmp.path()),
        Backend::Smol => interp::run(scenario, &mut backend::smol::SmolHarness::new(), tmp.path()),
        Backend::Mio => interp::run(scenario, &mut backend::mio::MioHarness::new(), tmp.path()),
        Backend::SimRt => interp::run(scenario, &mut backend::sim_rt::SimRtHarness::new(), tmp.path()),
        Backend::Node => unreachable!("Node runs through node::trace"),
    };
    trace.render()
}

/// Run a scenario anywhere; Node needs its binary.
pub fn trace(backend: Backend, scenario: &Scenario, node: Option<&Path>) -> Result<Vec<String>, String> {
    match backend {
        Backend::Node => {
            let node = node.ok_or("Node.js not found (see --node)")?;
            node::trace(node, &scenario.path)
        }
        b => Ok(trace_rust(b, scenario)),
    }
}

/// What a check against the golden found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The trace matches the golden (one of its alternatives).
    Pass,
    /// It does not.
    Fail {
        /// The golden's first alternative (or the closest, by line count).
        expected: Vec<String>,
        /// What ran.
        actual: Vec<String>,
    },
    /// No golden recorded yet.
    NoGolden,
    /// The scenario could not run.
    Error(String),
}

impl Outcome {
    /// Whether it passed.
    pub fn passed(&self) -> bool {
        matches!(self, Self::Pass)
    }
}

/// Run `scenario` on `backend` and compare with its golden.
pub fn check(backend: Backend, scenario: &Scenario, node: Option<&Path>) -> Outcome {
    let Ok(golden) = std::fs::read_to_string(scenario.golden_path()) else { return Outcome::NoGolden };
    let alts = trace::split_alternatives(&golden);
    match trace(backend, scenario, node) {
        Err(e) => Outcome::Error(e),
        Ok(actual) if alts.contains(&actual) => Outcome::Pass,
        Ok(actual) => {
            let same = |alt: &Vec<String>| alt.iter().zip(&actual).take_while(|(a, b)| a == b).count();
            let expected = alts.iter().max_by_key(|a| same(a)).cloned().unwrap_or_default();
            Outcome::Fail { expected, actual }
        }
    }
}
