//! One-shot deadlines. Time only ever comes in from the driver.

use std::time::{Duration, Instant};

/// A deadline that is either armed or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Timer {
    deadline: Option<Instant>,
}

impl Timer {
    pub(crate) fn arm(&mut self, now: Instant, after: Duration) {
        self.deadline = Some(now + after);
    }

    pub(crate) fn stop(&mut self) {
        self.deadline = None;
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Disarm and report `true` if the deadline has passed.
    pub(crate) fn expire(&mut self, now: Instant) -> bool {
        match self.deadline {
            Some(at) if at <= now => {
                self.deadline = None;
                true
            }
            _ => false,
        }
    }
}
