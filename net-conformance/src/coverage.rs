//! Which of Node's own `test-net-*` files the scenarios port: the `ports:` headers against the
//! list of Node's files by feature group (the appendix of `docs/NODE_NET_TESTS.md`).

use std::collections::{BTreeMap, BTreeSet};

use crate::Scenario;

/// Node's test files by feature group, in the appendix's order.
#[derive(Debug, Clone, Default)]
pub struct NodeTests {
    /// `(group, files)`, files as `ports:` names them (`test-net-….js`, `pummel/test-net-….js`).
    pub groups: Vec<(String, Vec<String>)>,
}

impl NodeTests {
    /// Read the appendix of `docs/NODE_NET_TESTS.md`: lines `- **group** (N): a, b*, c†, …`.
    pub fn parse(doc: &str) -> Self {
        let mut groups = Vec::new();
        let appendix = doc.split("## Appendix").nth(1).unwrap_or("");
        for line in appendix.lines() {
            let Some(rest) = line.strip_prefix("- **") else { continue };
            let Some((group, files)) = rest.split_once("**") else { continue };
            let files = files.split_once(':').map_or("", |(_, f)| f);
            let names = files
                .split(',')
                .map(|f| f.trim().trim_end_matches(['*', '†']).trim_end_matches(['*', '†']))
                .filter(|f| !f.is_empty())
                .map(|f| match f.rsplit_once('/') {
                    Some((dir, name)) => format!("{dir}/test-net-{name}.js"),
                    None => format!("test-net-{f}.js"),
                })
                .collect();
            groups.push((group.to_owned(), names));
        }
        Self { groups }
    }

    /// The copy in this repository.
    pub fn load() -> Self {
        let path = crate::crate_dir().join("../docs/NODE_NET_TESTS.md");
        Self::parse(&std::fs::read_to_string(path).unwrap_or_default())
    }

    /// Every file name.
    pub fn all(&self) -> BTreeSet<&str> {
        self.groups.iter().flat_map(|(_, f)| f.iter().map(String::as_str)).collect()
    }
}

/// What the scenarios name.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// Per group: (group, files named by some scenario, files not named).
    pub groups: Vec<(String, Vec<String>, Vec<String>)>,
    /// `ports:` names that are not Node test files, with the scenarios naming them.
    pub unknown: BTreeMap<String, Vec<String>>,
}

/// Match the scenarios' `ports:` against Node's files.
pub fn coverage(tests: &NodeTests, scenarios: &[Scenario]) -> Coverage {
    let known = tests.all();
    let mut named: BTreeSet<&str> = BTreeSet::new();
    let mut unknown: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for sc in scenarios {
        for p in &sc.ports {
            if known.contains(p.as_str()) {
                named.insert(p);
            } else {
                unknown.entry(p.clone()).or_default().push(sc.name());
            }
        }
    }
    let groups = tests
        .groups
        .iter()
        .map(|(g, files)| {
            let (yes, no): (Vec<_>, Vec<_>) = files.iter().cloned().partition(|f| named.contains(f.as_str()));
            (g.clone(), yes, no)
        })
        .collect();
    Coverage { groups, unknown }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_appendix_with_prefixes_and_marks() {
        let doc = "x\n## Appendix — all\n\n- **RST** (2): connect-reset*, pummel/pause†\n- **t** (1): isip\n";
        let t = NodeTests::parse(doc);
        assert_eq!(t.groups[0].0, "RST");
        assert_eq!(t.groups[0].1, ["test-net-connect-reset.js", "pummel/test-net-pause.js"]);
        assert_eq!(t.groups[1].1, ["test-net-isip.js"]);
    }

    #[test]
    fn every_ports_name_is_a_node_test_file() {
        let tests = NodeTests::load();
        assert!(tests.all().len() >= 170, "the appendix of docs/NODE_NET_TESTS.md was not read");
        let scenarios: Vec<Scenario> = crate::scenario::find(&[crate::scenarios_dir()])
            .iter()
            .map(|p| Scenario::load(p).expect("scenario parses"))
            .collect();
        let cov = coverage(&tests, &scenarios);
        assert!(cov.unknown.is_empty(), "ports: names that are not Node test files: {:?}", cov.unknown);
    }
}
