//! Reading the verdict tables recorded from Node (`tests/data/*.jsonl`), shared by the test
//! binaries that replay them.
#![allow(dead_code)] // each binary uses a part

use net_core::{Arg, NetError};

/// A recorded input as the validators take it (`{"number":"NaN"}` for what JSON cannot hold,
/// `{"undefined":true}` for `undefined`).
pub(crate) fn arg_of(v: &serde_json::Value) -> Arg<'_> {
    use serde_json::Value;
    match v {
        Value::Object(o) if o.contains_key("undefined") => Arg::Undefined,
        Value::Object(o) => {
            Arg::Number(o["number"].as_str().expect("a number's name").parse().expect("NaN or Infinity"))
        }
        Value::Null => Arg::Null,
        Value::Bool(b) => Arg::Bool(*b),
        Value::Number(n) => Arg::Number(n.as_f64().expect("a finite number")),
        Value::String(s) => Arg::Str(s),
        other => panic!("not a scalar input: {other}"),
    }
}

/// What Node's row says: the result, or `code: message`.
pub(crate) fn node_outcome(row: &serde_json::Value) -> String {
    match row.get("error") {
        Some(e) => format!("{}: {}", e["code"].as_str().unwrap(), e["message"].as_str().unwrap()),
        None => row["result"].to_string(),
    }
}

/// Ours, in the same shape.
pub(crate) fn outcome<T: std::fmt::Display>(r: Result<T, NetError>) -> String {
    match r {
        Ok(v) => v.to_string(),
        Err(e) => format!("{}: {}", e.code(), e.message()),
    }
}
