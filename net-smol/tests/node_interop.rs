//! net-smol against real Node 26 processes: the shared cases (written once, in net-tokio's
//! tests).

#[path = "../../net-tokio/tests/shared/node_peer.rs"]
mod node_peer;
mod support;

use std::time::Duration;

use support::*;

include!("../../net-tokio/tests/shared/node_interop.rs");
