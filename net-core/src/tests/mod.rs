//! Scenario tests of the core over the simulator ([`crate::sim::Pair`]): one test per behaviour,
//! each trace checked against the Node 26 trace named in its doc comment
//! (`docs/node-traces/<name>.txt`), per actor.

mod connect;
mod destroy;
mod half_open;
mod lifecycle;
mod read;
mod server;
mod timeout;
mod write;

use crate::sim::Pair;

/// The lines of one actor (`"client"`, `"conn"`), without the prefix.
pub(crate) fn of(trace: &[String], actor: &str) -> Vec<String> {
    let prefix = format!("{actor}: ");
    trace.iter().filter_map(|l| l.strip_prefix(&prefix)).map(str::to_owned).collect()
}

/// Take the trace and split it by actor.
pub(crate) fn split(pair: &mut Pair) -> (Vec<String>, Vec<String>) {
    let t = pair.take_trace();
    (of(&t, "client"), of(&t, "conn"))
}
