//! The simulation's tasks and which of them may run: a single-threaded executor whose next task
//! is drawn from the seed among those woken, so each seed is one interleaving, repeatably.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Wake, Waker};

/// A spawned task's future.
pub(crate) type TaskFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The id of the future [`Sim::block_on`](crate::Sim::block_on) runs (not a spawned task).
pub(crate) const MAIN: usize = 0;

/// The woken tasks, each once.
#[derive(Debug, Default)]
pub(crate) struct Ready {
    queue: VecDeque<usize>,
    queued: Vec<bool>,
}

impl Ready {
    pub(crate) fn push(&mut self, id: usize) {
        if self.queued.len() <= id {
            self.queued.resize(id + 1, false);
        }
        if !self.queued[id] {
            self.queued[id] = true;
            self.queue.push_back(id);
        }
    }

    /// Take the woken task at `pick(len)`.
    pub(crate) fn take(&mut self, pick: impl FnOnce(usize) -> usize) -> Option<usize> {
        if self.queue.is_empty() {
            return None;
        }
        let id = self.queue.remove(pick(self.queue.len())).expect("picked in range");
        self.queued[id] = false;
        Some(id)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

struct TaskWake {
    id: usize,
    ready: Weak<Mutex<Ready>>,
}

impl Wake for TaskWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(ready) = self.ready.upgrade() {
            ready.lock().unwrap_or_else(|e| e.into_inner()).push(self.id);
        }
    }
}

/// A waker that marks task `id` woken.
pub(crate) fn waker(id: usize, ready: &Arc<Mutex<Ready>>) -> Waker {
    Waker::from(Arc::new(TaskWake { id, ready: Arc::downgrade(ready) }))
}

struct Task {
    /// `None` while it is being polled.
    future: Option<TaskFuture>,
    waker: Waker,
}

/// The spawned tasks, by id (ids of finished tasks are reused).
#[derive(Default)]
pub(crate) struct Tasks {
    slots: Vec<Option<Task>>,
    free: Vec<usize>,
}

impl Tasks {
    /// Store `future` as a new task and answer its id.
    pub(crate) fn insert(&mut self, future: TaskFuture, ready: &Arc<Mutex<Ready>>) -> usize {
        let id = self.free.pop().unwrap_or_else(|| {
            // Slot 0 stays empty: it is MAIN's id.
            self.slots.resize_with(self.slots.len().max(1) + 1, || None);
            self.slots.len() - 1
        });
        self.slots[id] = Some(Task { future: Some(future), waker: waker(id, ready) });
        id
    }

    /// Take task `id`'s future out to poll it (none if it finished).
    pub(crate) fn take(&mut self, id: usize) -> Option<(TaskFuture, Waker)> {
        let task = self.slots.get_mut(id)?.as_mut()?;
        Some((task.future.take()?, task.waker.clone()))
    }

    /// Put back a future that is still pending.
    pub(crate) fn put_back(&mut self, id: usize, future: TaskFuture) {
        if let Some(Some(task)) = self.slots.get_mut(id) {
            task.future = Some(future);
        }
    }

    /// Forget a finished task.
    pub(crate) fn finish(&mut self, id: usize) {
        if let Some(slot) = self.slots.get_mut(id) {
            if slot.take().is_some() {
                self.free.push(id);
            }
        }
    }

    /// How many tasks have not finished.
    pub(crate) fn len(&self) -> usize {
        self.slots.iter().flatten().count()
    }

    /// Every task's future, to drop them (outside the lock: dropping one may spawn or wake).
    pub(crate) fn drain(&mut self) -> Vec<TaskFuture> {
        self.free.clear();
        let out = self.slots.iter_mut().filter_map(Option::take).filter_map(|t| t.future).collect();
        self.slots.clear();
        out
    }
}
