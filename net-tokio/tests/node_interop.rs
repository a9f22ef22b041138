//! net-tokio against real Node 26 processes: the shared cases.

mod support;

use std::time::Duration;

use support::*;

include!("shared/node_interop.rs");
