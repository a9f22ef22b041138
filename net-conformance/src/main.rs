//! `net-conformance`: run the scenarios on every backend and on Node, record goldens from Node.
//! Usage is in the crate's README.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use net_conformance::{Backend, Outcome, Scenario, check, node, scenario, scenarios_dir, trace};

const USAGE: &str = "usage: net-conformance [--node PATH] [run --backend <sim|tokio|smol|mio|sim-rt|node|all> [PATHS…] \
                     | trace --backend <name> FILE | record [PATHS…] | verify-node \
                     | explore [--cases N] [--seed S] [--jobs J] [--keep-going] | coverage]";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut node_arg = None;
    if let Some(i) = args.iter().position(|a| a == "--node") {
        if i + 1 >= args.len() {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
        node_arg = Some(PathBuf::from(args.remove(i + 1)));
        args.remove(i);
    }
    let node = node::find(node_arg.as_deref());
    let mut backend = None;
    if let Some(i) = args.iter().position(|a| a == "--backend") {
        if i + 1 >= args.len() {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
        backend = Some(args.remove(i + 1));
        args.remove(i);
    }
    let command = if args.is_empty() { "all".to_owned() } else { args.remove(0) };
    let paths: Vec<PathBuf> =
        if args.is_empty() { vec![scenarios_dir()] } else { args.iter().map(PathBuf::from).collect() };
    match command.as_str() {
        "all" => {
            let mut backends = Backend::RUST.to_vec();
            // The goldens are Node 26's: an older `node` on PATH would only show version drift.
            let version = node.as_deref().and_then(node::version).unwrap_or_default();
            if version.starts_with("v26.") {
                backends.push(Backend::Node);
            } else if node.is_some() {
                eprintln!(
                    "Node {version} is not Node 26 (the goldens' version): running the Rust backends only; \
                     scripts/install-node.sh installs Node 26"
                );
            } else {
                eprintln!(
                    "Node.js not found: running the Rust backends only (scripts/install-node.sh installs it)"
                );
            }
            matrix(&paths, &backends, node.as_deref())
        }
        "run" => {
            let backends = match backend.as_deref() {
                None | Some("all") => {
                    let mut b = Backend::RUST.to_vec();
                    b.extend(node.as_ref().map(|_| Backend::Node));
                    b
                }
                Some(name) => match Backend::parse(name) {
                    Some(b) => vec![b],
                    None => {
                        eprintln!("unknown backend {name}\n{USAGE}");
                        return ExitCode::from(2);
                    }
                },
            };
            matrix(&paths, &backends, node.as_deref())
        }
        "trace" => {
            let Some(b) = backend.as_deref().and_then(Backend::parse) else {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            };
            let Some(file) = args.first() else {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            };
            let sc = match Scenario::load(Path::new(file)) {
                Ok(sc) => sc,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::from(2);
                }
            };
            match trace(b, &sc, node.as_deref()) {
                Ok(lines) => {
                    for l in lines {
                        println!("{l}");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::FAILURE
                }
            }
        }
        "record" => record(&paths, node.as_deref()),
        "explore" => explore(&args, node.as_deref()),
        "coverage" => coverage(&paths),
        "verify-node" => {
            let Some(node) = node else {
                eprintln!("Node.js not found (--node PATH, NODE, or scripts/install-node.sh)");
                return ExitCode::FAILURE;
            };
            matrix(&paths, &[Backend::Node], Some(&node))
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn load_all(paths: &[PathBuf]) -> Result<Vec<Scenario>, ExitCode> {
    let mut out = Vec::new();
    for p in scenario::find(paths) {
        match Scenario::load(&p) {
            Ok(sc) => out.push(sc),
            Err(e) => {
                eprintln!("{e}");
                return Err(ExitCode::from(2));
            }
        }
    }
    if out.is_empty() {
        eprintln!("no scenarios under {paths:?}");
        return Err(ExitCode::from(2));
    }
    Ok(out)
}

/// Run every scenario on every backend; print the matrix, the failures, and the totals.
fn matrix(paths: &[PathBuf], backends: &[Backend], node: Option<&Path>) -> ExitCode {
    let scenarios = match load_all(paths) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let width = scenarios.iter().map(|s| s.name().len()).max().unwrap_or(10).max(10);
    let mut totals: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    print!("{:<width$}", "scenario");
    for b in backends {
        print!(" {:>6}", b.name());
    }
    println!();
    let mut group = String::new();
    for sc in &scenarios {
        let name = sc.name();
        let g = name.split('/').next().unwrap_or("").to_owned();
        if g != group {
            println!("-- {g}");
            group = g;
        }
        print!("{name:<width$}");
        for &b in backends {
            let outcome = check(b, sc, node);
            let known = sc.deviation.is_some() && b != Backend::Node;
            let mark = match &outcome {
                Outcome::Pass => "ok",
                _ if known => "dev",
                Outcome::Fail { .. } => "FAIL",
                Outcome::NoGolden => "new",
                Outcome::Error(_) => "ERR",
            };
            print!(" {mark:>6}");
            use std::io::Write;
            let _ = std::io::stdout().flush();
            let t = totals.entry(b.name()).or_default();
            if outcome.passed() {
                t.0 += 1;
            } else if known {
                t.2 += 1;
            } else {
                t.1 += 1;
                failures.push((sc.clone(), b, outcome));
            }
        }
        println!();
    }
    for (sc, b, outcome) in &failures {
        println!("\n== {} on {}: {}", sc.name(), b.name(), sc.path.display());
        match outcome {
            Outcome::Fail { expected, actual } => print!("{}", trace::side_by_side(expected, actual)),
            Outcome::NoGolden => println!("no golden: run `net-conformance record {}`", sc.path.display()),
            Outcome::Error(e) => println!("{e}"),
            Outcome::Pass => {}
        }
    }
    println!();
    for (b, (pass, fail, dev)) in &totals {
        println!("{b:>6}: {pass} passed, {fail} failed, {dev} known deviations");
    }
    if failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// Run each scenario on Node three times and write its golden.
fn record(paths: &[PathBuf], node: Option<&Path>) -> ExitCode {
    let Some(node) = node else {
        eprintln!("Node.js not found (--node PATH, NODE, or scripts/install-node.sh)");
        return ExitCode::FAILURE;
    };
    let version = node::version(node).unwrap_or_default();
    if !version.starts_with("v26.") {
        eprintln!("goldens come from Node 26; {} is {version}", node.display());
        return ExitCode::FAILURE;
    }
    let scenarios = match load_all(paths) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut bad = 0;
    for sc in &scenarios {
        let mut alts: Vec<Vec<String>> = Vec::new();
        for _ in 0..3 {
            match node::trace(node, &sc.path) {
                Ok(t) if !alts.contains(&t) => alts.push(t),
                Ok(_) => {}
                Err(e) => {
                    eprintln!("{}: {e}", sc.name());
                    bad += 1;
                    alts.clear();
                    break;
                }
            }
        }
        if alts.is_empty() {
            continue;
        }
        if alts.len() > 1 && sc.nondeterministic.is_none() {
            eprintln!(
                "{}: Node gave {} different traces; make it deterministic or say why not",
                sc.name(),
                alts.len()
            );
            for pair in alts.windows(2) {
                eprint!("{}", trace::side_by_side(&pair[0], &pair[1]));
            }
            bad += 1;
            continue;
        }
        // Keep alternatives seen in earlier recordings of a nondeterministic scenario.
        if sc.nondeterministic.is_some() {
            if let Ok(old) = std::fs::read_to_string(sc.golden_path()) {
                for alt in trace::split_alternatives(&old) {
                    if !alts.contains(&alt) {
                        alts.push(alt);
                    }
                }
            }
        }
        if let Err(e) = std::fs::write(sc.golden_path(), trace::join_alternatives(&alts)) {
            eprintln!("{}: {e}", sc.golden_path().display());
            bad += 1;
            continue;
        }
        println!("recorded {} ({} trace{})", sc.name(), alts.len(), if alts.len() == 1 { "" } else { "s" });
    }
    if bad == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// `explore`: random scenarios judged by Node (see `net_conformance::random`).
fn explore(args: &[String], node: Option<&Path>) -> ExitCode {
    use net_conformance::random;
    let Some(node) = node else {
        eprintln!("Node.js not found (--node PATH, NODE, or scripts/install-node.sh)");
        return ExitCode::FAILURE;
    };
    let value =
        |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).map(String::as_str);
    let parse = |flag: &str, default: u64| match value(flag) {
        None => Some(default),
        Some(v) => v.parse().ok(),
    };
    let (Some(cases), Some(seed), Some(jobs)) =
        (parse("--cases", 200), parse("--seed", random::fresh_seed()), parse("--jobs", 2))
    else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let mut opts = random::Explore::new(cases as u32, seed);
    opts.jobs = jobs as usize;
    opts.save_to = Some(scenarios_dir().join("found"));
    if args.iter().any(|a| a == "--keep-going") {
        opts.max_found = usize::MAX;
    }
    println!("explore: {cases} cases, seed {seed}, {jobs} at a time, against {}", node.display());
    let oracle = random::Oracle::new(node, &Backend::RUST);
    let started = std::time::Instant::now();
    let progress = |r: &random::Report| {
        if r.ran % 50 == 0 {
            println!("  {} cases ({} unsettled) in {:.0?}", r.ran, r.unsettled, started.elapsed());
        }
    };
    let report = match random::explore(&oracle, &opts, &progress) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("explore: {e}");
            return ExitCode::FAILURE;
        }
    };
    for f in &report.found {
        println!(
            "\n== {}\n{}\n{}",
            f.saved.as_ref().map_or_else(|| "(not saved)".into(), |p| p.display().to_string()),
            f.text,
            f.report
        );
    }
    println!(
        "explore: {} cases judged, {} unsettled (Node varied), {} in a known deviation class (not judged), {} differences, {:.0?}, seed {seed}",
        report.ran,
        report.unsettled,
        report.known,
        report.found.len(),
        started.elapsed()
    );
    for (class, n) in &report.known_by_class {
        println!("  not judged, {class}: {n}");
    }
    if report.found.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// `coverage`: Node's test files named by the scenarios' `ports:`, per feature group.
fn coverage(paths: &[PathBuf]) -> ExitCode {
    use net_conformance::coverage::{NodeTests, coverage};
    let scenarios = match load_all(paths) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let tests = NodeTests::load();
    let cov = coverage(&tests, &scenarios);
    let (mut named, mut all) = (0, 0);
    for (group, yes, no) in &cov.groups {
        named += yes.len();
        all += yes.len() + no.len();
        println!("{:>3}/{:<3} {group}", yes.len(), yes.len() + no.len());
        if !no.is_empty() {
            println!("        not named: {}", no.join(" "));
        }
    }
    println!("{named} of {all} Node test files named by {} scenarios", scenarios.len());
    for (name, by) in &cov.unknown {
        println!("not a Node test file: {name} (in {})", by.join(", "));
    }
    if cov.unknown.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
