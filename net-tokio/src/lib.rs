//! Node's `net` over tokio: not written yet (see the issue for this backend).
