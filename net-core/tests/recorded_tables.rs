//! Replays verdict tables recorded from Node 26 (`tests/data/*`, made by the `record_*.js`
//! scripts beside them with `scripts/install-node.sh`'s Node) against our implementation.

use net_core::{is_ip, is_ipv4, is_ipv6};

const IS_IP: &str = include_str!("data/is_ip.tsv");

#[test]
fn is_ip_matches_node_26() {
    let mut rows = 0;
    let mut wrong = Vec::new();
    for line in IS_IP.lines().filter(|l| !l.is_empty()) {
        let (input, verdict) = line.split_once('\t').expect("input<TAB>verdict");
        let input: String = serde_json::from_str(input).expect("JSON string");
        let node: u8 = verdict.parse().expect("0, 4 or 6");
        let ours = is_ip(&input);
        if ours != node {
            wrong.push(format!("{input:?}: node {node}, ours {ours}"));
        }
        assert_eq!(is_ipv4(&input), node == 4, "{input:?}");
        assert_eq!(is_ipv6(&input), node == 6, "{input:?}");
        rows += 1;
    }
    assert!(rows >= 150, "the table has {rows} rows; the issue asks for 150+");
    assert!(wrong.is_empty(), "{} verdicts differ from Node 26:\n{}", wrong.len(), wrong.join("\n"));
}

const SOCKET_ADDRESS: &str = include_str!("data/socket_address.jsonl");

fn arg(v: Option<&serde_json::Value>) -> Option<net_core::Arg<'_>> {
    use serde_json::Value;
    Some(match v {
        None => net_core::Arg::Undefined,
        Some(Value::Null) => net_core::Arg::Null,
        Some(Value::Bool(b)) => net_core::Arg::Bool(*b),
        Some(Value::Number(n)) => net_core::Arg::Number(n.as_f64()?),
        Some(Value::String(s)) => net_core::Arg::Str(s),
        Some(_) => return None, // objects and arrays: not expressible here
    })
}

fn describe_address(a: &net_core::SocketAddress) -> serde_json::Value {
    serde_json::json!({
        "address": a.address(),
        "port": a.port(),
        "family": a.family().as_str().to_ascii_lowercase(),
        "flowlabel": a.flowlabel(),
    })
}

#[test]
fn socket_address_matches_node_26() {
    let mut rows = 0;
    let mut wrong = Vec::new();
    for line in SOCKET_ADDRESS.lines().filter(|l| !l.is_empty()) {
        let row: serde_json::Value = serde_json::from_str(line).expect("JSON line");
        match row["kind"].as_str() {
            Some("parse") => {
                let input = row["input"].as_str().expect("string input");
                let ours = net_core::SocketAddress::parse(input).map(|a| describe_address(&a));
                let node = (!row["result"].is_null()).then(|| row["result"].clone());
                if ours != node {
                    wrong.push(format!("parse({input:?}): node {node:?}, ours {ours:?}"));
                }
            }
            Some("new") => {
                let opts = &row["input"];
                let get = |k: &str| arg(opts.get(k));
                let (Some(address), Some(port), Some(family), Some(flowlabel)) =
                    (get("address"), get("port"), get("family"), get("flowlabel"))
                else {
                    continue;
                };
                let init = net_core::SocketAddressInit { address, port, family, flowlabel };
                let ours = net_core::SocketAddress::from_init(init);
                if row.get("crash").is_some() {
                    // Node 26 aborts the process here (flow label over 20 bits); we refuse instead.
                    assert!(ours.is_err(), "new({opts}): Node crashes, we must refuse, got {ours:?}");
                    rows += 1;
                    continue;
                }
                match (&ours, row.get("result"), row.get("error")) {
                    (Ok(a), Some(node), None) if describe_address(a) == *node => {}
                    (Err(e), None, Some(node))
                        if node["code"].as_str() == Some(e.code())
                            && node["message"].as_str() == Some(e.message()) => {}
                    _ => wrong.push(format!(
                        "new({opts}): node {:?}/{:?}, ours {ours:?}",
                        row.get("result"),
                        row.get("error")
                    )),
                }
            }
            other => panic!("unknown row kind {other:?}"),
        }
        rows += 1;
    }
    assert!(rows >= 100, "only {rows} rows");
    assert!(wrong.is_empty(), "{} rows differ from Node 26:\n{}", wrong.len(), wrong.join("\n"));
}
