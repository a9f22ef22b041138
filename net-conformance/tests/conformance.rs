//! One test per scenario × backend, against the goldens recorded from Node
//! (`cargo test -p net-conformance -- half-open` filters by name as usual).
//! The Node trials re-run each scenario on Node to check its golden is current; they are
//! ignored by default (`-- --ignored node::` runs them), as are the Rust trials of scenarios with
//! a `deviation:` header (known differences from Node, not fixed yet).

use libtest_mimic::{Arguments, Failed, Trial};
use net_conformance::{Backend, Outcome, Scenario, check, node, scenario, scenarios_dir, trace};

fn main() {
    let args = Arguments::from_args();
    let node = node::find(None);
    let mut trials = Vec::new();
    for path in scenario::find(&[scenarios_dir()]) {
        let sc = match Scenario::load(&path) {
            Ok(sc) => sc,
            Err(e) => {
                let name = format!("parse::{}", path.display());
                trials.push(Trial::test(name, move || Err(Failed::from(e.to_string()))));
                continue;
            }
        };
        let sc_deviation = sc.deviation.is_some();
        for backend in Backend::RUST.into_iter().chain([Backend::Node]) {
            let sc = sc.clone();
            let node = node.clone();
            let name = format!("{}::{}", backend.name(), sc.name());
            let trial = Trial::test(name, move || match check_settled(backend, &sc, node.as_deref()) {
                Outcome::Pass => Ok(()),
                Outcome::NoGolden => Err(format!("no golden for {}: run `record`", sc.path.display()).into()),
                Outcome::Error(e) => Err(e.into()),
                Outcome::Fail { expected, actual } => {
                    Err(format!("{}\n{}", sc.path.display(), trace::side_by_side(&expected, &actual)).into())
                }
            });
            let known = sc_deviation && backend != Backend::Node;
            trials.push(trial.with_ignored_flag(backend == Backend::Node || known));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

/// net-smol's order of two sockets' events within one loop turn depends on its executor and on
/// when the reactor is polled (net-conformance/open/README.md, "Cross-socket order on smol"): a
/// scenario where two sockets act in the same turn matches Node in most runs, not all. Its
/// trials get three tries, and fail only if none matches; every other backend gets one.
fn check_settled(backend: Backend, sc: &Scenario, node: Option<&std::path::Path>) -> Outcome {
    let tries = if backend == Backend::Smol { 3 } else { 1 };
    let mut outcome = check(backend, sc, node);
    for _ in 1..tries {
        if !matches!(outcome, Outcome::Fail { .. }) {
            break;
        }
        outcome = check(backend, sc, node);
    }
    outcome
}
