//! The conformance suite: scenarios run on every backend against traces recorded from Node.
//! Not written yet (see the net-conformance issue).
