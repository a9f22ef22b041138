//! Node's `net` over smol: not written yet (see the issue for this backend).
