//! A connect's own lookup function (Node's `options.lookup`) as a future the driver task polls:
//! the function answers through its callback, at once or later, from any thread.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use net_core::{CustomLookup, IoInput, LookupRequest, LookupResult};

#[derive(Default)]
struct Slot {
    answer: Option<LookupResult>,
    waker: Option<Waker>,
}

/// The answer of one call of a custom lookup.
pub(crate) struct Answer(Arc<Mutex<Slot>>);

impl Answer {
    /// Call `lookup` now; the future resolves once it answers.
    pub(crate) fn call(lookup: &CustomLookup, request: &LookupRequest) -> Self {
        let slot = Arc::new(Mutex::new(Slot::default()));
        let fill = Arc::clone(&slot);
        lookup.call(request, move |result| {
            let waker = {
                let mut slot = fill.lock().unwrap_or_else(PoisonError::into_inner);
                slot.answer = Some(result);
                slot.waker.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        });
        Self(slot)
    }
}

impl Answer {
    /// The answer, if the lookup gave it already (it answered inside its call).
    pub(crate) fn now(&self) -> Option<IoInput> {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        slot.answer.take().map(IoInput::LookedUp)
    }
}

impl Future for Answer {
    type Output = IoInput;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<IoInput> {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(answer) = slot.answer.take() {
            return Poll::Ready(IoInput::LookedUp(answer));
        }
        if !slot.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            slot.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}
