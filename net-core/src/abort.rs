//! Node's `AbortController` and `AbortSignal`, for `connect({signal})` and `listen({signal})`.
//!
//! The signal holds no runtime: aborting runs the listeners a driver registered, on the thread
//! that aborts, as Node runs them inside `controller.abort()`. A driver's listener destroys its
//! socket ([`Socket::abort`](crate::Socket::abort)) or closes its server.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::{ErrorCode, NetError};

type Listener = Box<dyn FnOnce(&NetError) + Send>;

#[derive(Default)]
struct State {
    /// `signal.reason`, once aborted.
    reason: Option<NetError>,
    listeners: Vec<(u64, Listener)>,
    next_id: u64,
}

/// `signal` of an [`AbortController`]: whether and why it was aborted, and who to tell.
///
/// Clones are the same signal. Two signals are equal when they are the same signal.
///
/// ```
/// use net_core::AbortController;
/// let controller = AbortController::new();
/// let signal = controller.signal();
/// let seen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
/// let flag = seen.clone();
/// signal.on_abort(move |reason| {
///     assert_eq!(reason.code(), "ABORT_ERR");
///     flag.store(true, std::sync::atomic::Ordering::SeqCst);
/// });
/// controller.abort();
/// assert!(signal.aborted() && seen.load(std::sync::atomic::Ordering::SeqCst));
/// ```
#[derive(Clone, Default)]
pub struct AbortSignal(Arc<Mutex<State>>);

/// The id of a listener registered with [`AbortSignal::on_abort`] (the default id names none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AbortListenerId(u64);

impl AbortSignal {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `AbortSignal.abort(reason)`: a signal aborted from the start.
    pub fn aborted_with(reason: NetError) -> Self {
        let signal = Self::default();
        signal.lock().reason = Some(reason);
        signal
    }

    /// `signal.aborted`.
    pub fn aborted(&self) -> bool {
        self.lock().reason.is_some()
    }

    /// `signal.reason`: `None` until aborted.
    pub fn reason(&self) -> Option<NetError> {
        self.lock().reason.clone()
    }

    /// Run `listener` with the reason when the signal is aborted (at once, on this thread, if
    /// it already is; then no id is returned).
    pub fn on_abort(&self, listener: impl FnOnce(&NetError) + Send + 'static) -> Option<AbortListenerId> {
        let mut state = self.lock();
        if let Some(reason) = state.reason.clone() {
            drop(state);
            listener(&reason);
            return None;
        }
        state.next_id += 1;
        let id = state.next_id;
        state.listeners.push((id, Box::new(listener)));
        Some(AbortListenerId(id))
    }

    /// Forget a listener (Node's disposable of `addAbortListener`): a socket that closed or a
    /// server that closed no longer listens.
    pub fn remove(&self, id: AbortListenerId) {
        self.lock().listeners.retain(|(i, _)| *i != id.0);
    }

    fn abort(&self, reason: NetError) {
        let listeners = {
            let mut state = self.lock();
            if state.reason.is_some() {
                return; // aborting twice does nothing, as in Node
            }
            state.reason = Some(reason.clone());
            std::mem::take(&mut state.listeners)
        };
        // Outside the lock: a listener may look at the signal.
        for (_, listener) in listeners {
            listener(&reason);
        }
    }
}

impl PartialEq for AbortSignal {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for AbortSignal {}

impl fmt::Debug for AbortSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("AbortSignal")
            .field("reason", &state.reason)
            .field("listeners", &state.listeners.len())
            .finish()
    }
}

/// Node's `AbortController`: [`AbortController::abort`] aborts its [`signal`](Self::signal).
#[derive(Debug, Default)]
pub struct AbortController {
    signal: AbortSignal,
}

impl AbortController {
    /// A controller whose signal is not aborted.
    pub fn new() -> Self {
        Self::default()
    }

    /// `controller.signal`.
    pub fn signal(&self) -> AbortSignal {
        self.signal.clone()
    }

    /// `controller.abort()`: the reason is Node's default, a `DOMException` named `AbortError`
    /// ("This operation was aborted", code 20), here [`NetError::abort_reason`].
    pub fn abort(&self) {
        self.signal.abort(NetError::abort_reason());
    }

    /// `controller.abort(reason)`.
    pub fn abort_with(&self, reason: NetError) {
        self.signal.abort(reason);
    }
}

impl NetError {
    /// Node's default abort reason: a `DOMException` named `AbortError`, "This operation was
    /// aborted" (its legacy `code` is 20, shown here as `ABORT_ERR`).
    pub fn abort_reason() -> Self {
        Self::new(ErrorCode::ABORT_ERR, "This operation was aborted")
    }

    /// The error a socket is destroyed with when its signal is aborted: Node's `AbortError`
    /// (`code` `ABORT_ERR`, "The operation was aborted") with the signal's reason as its
    /// [`cause`](NetError::cause).
    pub fn aborted(reason: &Self) -> Self {
        Self::new(ErrorCode::ABORT_ERR, "The operation was aborted").with_cause(reason.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Node: listeners run once, inside `abort()`; a second `abort()` does nothing; a removed
    /// listener never runs; a listener added after the abort runs at once.
    #[test]
    fn listeners_run_once_in_abort() {
        let controller = AbortController::new();
        let signal = controller.signal();
        let runs = Arc::new(AtomicUsize::new(0));
        let (a, b) = (Arc::clone(&runs), Arc::clone(&runs));
        signal.on_abort(move |r| {
            assert_eq!(r.message(), "This operation was aborted");
            a.fetch_add(1, Ordering::SeqCst);
        });
        let removed = signal.on_abort(move |_| {
            b.fetch_add(100, Ordering::SeqCst);
        });
        signal.remove(removed.unwrap());
        assert!(!signal.aborted() && signal.reason().is_none());
        controller.abort();
        controller.abort_with(NetError::user("later"));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(signal.reason().unwrap().code(), "ABORT_ERR");
        let c = Arc::clone(&runs);
        assert!(
            signal
                .on_abort(move |_| {
                    c.fetch_add(10, Ordering::SeqCst);
                })
                .is_none()
        );
        assert_eq!(runs.load(Ordering::SeqCst), 11);
    }

    /// The error a socket is destroyed with: Node's AbortError, the reason as its cause.
    #[test]
    fn abort_error_carries_the_reason() {
        let reason = NetError::user("why");
        let err = NetError::aborted(&reason);
        assert_eq!((err.code(), err.message()), ("ABORT_ERR", "The operation was aborted"));
        assert_eq!(err.cause(), Some(&reason));
        assert_eq!(std::io::Error::from(err).kind(), std::io::ErrorKind::ConnectionAborted);
        let signal = AbortSignal::aborted_with(reason.clone());
        assert!(signal.aborted());
        assert_eq!(signal.reason(), Some(reason));
    }
}
