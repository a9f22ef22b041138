//! net-tokio against real Node 26 processes: the shared cases.

#[path = "shared/node_peer.rs"]
mod node_peer;
mod support;

use std::time::Duration;

use support::*;

include!("shared/node_interop.rs");
