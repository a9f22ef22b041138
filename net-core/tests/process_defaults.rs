//! Node's process-wide connect defaults (`net.setDefaultAutoSelectFamily`,
//! `net.setDefaultAutoSelectFamilyAttemptTimeout`) against the verdicts recorded from Node 26
//! (`data/record_tos_and_defaults.js`). A test binary of its own, with one test: the defaults are
//! global to the process, and a parallel test would see them change.

mod recorded;

use std::time::Duration;

use net_core::{Arg, ConnectArgs, ConnectOptions};

const TABLE: &str = include_str!("data/tos_and_defaults.jsonl");

#[test]
fn process_defaults_match_node_26() {
    let mut rows = 0;
    let mut wrong = Vec::new();
    for line in TABLE.lines().filter(|l| !l.is_empty()) {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        let input = recorded::arg_of(&row["input"]);
        let ours = match row["kind"].as_str() {
            Some("defaults") => serde_json::json!({
                "autoSelectFamily": net_core::default_auto_select_family(),
                "attemptTimeout": net_core::default_auto_select_family_attempt_timeout().as_millis() as u64,
            })
            .to_string(),
            Some("setDefaultAutoSelectFamily") => {
                let before = net_core::default_auto_select_family();
                let r = net_core::validate_boolean(input, "value").map(|v| {
                    net_core::set_default_auto_select_family(v);
                    net_core::default_auto_select_family()
                });
                net_core::set_default_auto_select_family(before);
                recorded::outcome(r)
            }
            Some("setDefaultAutoSelectFamilyAttemptTimeout") => {
                let before = net_core::default_auto_select_family_attempt_timeout();
                let r = net_core::validate_int32(input, "value", 1, i32::MAX).and_then(|ms| {
                    net_core::set_default_auto_select_family_attempt_timeout(ms as u32)?;
                    Ok(net_core::default_auto_select_family_attempt_timeout().as_millis())
                });
                net_core::set_default_auto_select_family_attempt_timeout(before.as_millis() as u32).unwrap();
                recorded::outcome(r)
            }
            _ => continue,
        };
        rows += 1;
        let node = recorded::node_outcome(&row);
        if ours != node {
            wrong.push(format!("{} {}: node {node}, ours {ours}", row["kind"], row["input"]));
        }
    }
    assert!(rows >= 50, "only {rows} rows");
    assert!(wrong.is_empty(), "{} verdicts differ from Node 26:\n{}", wrong.len(), wrong.join("\n"));

    // The typed setter refuses what `validateInt32(value, 'value', 1)` refuses.
    for bad in [0, u32::MAX, i32::MAX as u32 + 1] {
        let err = net_core::set_default_auto_select_family_attempt_timeout(bad).unwrap_err();
        assert_eq!(err.code(), "ERR_OUT_OF_RANGE", "{bad}");
    }

    // A connect made after the change uses the new defaults, by either way of building it.
    net_core::set_default_auto_select_family(false);
    net_core::set_default_auto_select_family_attempt_timeout(3).unwrap();
    let opts = ConnectOptions::new("localhost", 80);
    assert!(!opts.auto_select_family);
    assert_eq!(opts.auto_select_family_attempt_timeout, Duration::from_millis(10));
    let target = ConnectArgs { port: Arg::Number(80.0), ..ConnectArgs::default() }.validate().unwrap();
    let net_core::ConnectTarget::Tcp(opts) = target else { panic!("a TCP target") };
    assert!(!opts.auto_select_family);
    assert_eq!(opts.auto_select_family_attempt_timeout, Duration::from_millis(10));
    net_core::set_default_auto_select_family(true);
    net_core::set_default_auto_select_family_attempt_timeout(500).unwrap();
    assert!(ConnectOptions::new("localhost", 80).auto_select_family);
}
