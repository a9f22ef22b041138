//! Node's `net` over mio: not written yet (see the issue for this backend).
