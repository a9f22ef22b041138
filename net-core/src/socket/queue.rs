//! A FIFO queue whose first element lives inline.
//!
//! A socket's event queue and write queue almost always hold zero or one element (one `data`
//! event waiting to be pulled, one write waiting for the kernel), yet a `VecDeque` allocates
//! room for four on its first push and keeps it for the socket's life: 2 × 224 bytes of heap per
//! idle connection. The first element here sits in the socket itself; the heap is touched only
//! when two or more wait at once.

use std::collections::VecDeque;

/// FIFO with the front element inline. Invariant: `rest` is empty whenever `head` is `None`.
#[derive(Debug, Clone)]
pub(crate) struct Queue<T> {
    head: Option<T>,
    rest: VecDeque<T>,
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Self { head: None, rest: VecDeque::new() }
    }
}

impl<T> Queue<T> {
    pub(crate) fn push_back(&mut self, item: T) {
        if self.head.is_none() {
            self.head = Some(item);
        } else {
            self.rest.push_back(item);
        }
    }

    pub(crate) fn pop_front(&mut self) -> Option<T> {
        let front = self.head.take();
        if front.is_some() {
            self.head = self.rest.pop_front();
        }
        front
    }

    pub(crate) fn front_mut(&mut self) -> Option<&mut T> {
        self.head.as_mut()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    pub(crate) fn len(&self) -> usize {
        usize::from(self.head.is_some()) + self.rest.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.head.iter().chain(self.rest.iter())
    }

    /// Insert at `index` (0 is the front), shifting later elements back; `index` ≤ `len()`.
    pub(crate) fn insert(&mut self, index: usize, item: T) {
        assert!(index <= self.len(), "insert at {index} past the end");
        if index == 0 {
            if let Some(old) = self.head.replace(item) {
                self.rest.push_front(old);
            }
        } else {
            self.rest.insert(index - 1, item);
        }
    }

    /// Keep only the elements `keep` accepts, in order.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let all: Vec<T> = self.drain().collect();
        self.extend(all.into_iter().filter(|e| keep(e)));
    }

    /// Remove every element, front first.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = T> + '_ {
        self.head.take().into_iter().chain(self.rest.drain(..))
    }
}

impl<T> Extend<T> for Queue<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        for item in items {
            self.push_back(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Push(u8),
        Pop,
        Insert(usize, u8),
        Drain,
        FrontMut(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => any::<u8>().prop_map(Op::Push),
            3 => Just(Op::Pop),
            1 => (0usize..8, any::<u8>()).prop_map(|(i, v)| Op::Insert(i, v)),
            1 => Just(Op::Drain),
            1 => any::<u8>().prop_map(Op::FrontMut),
        ]
    }

    proptest! {
        /// The queue behaves as a `VecDeque` under any sequence of operations, and never holds
        /// heap elements behind an empty inline slot.
        #[test]
        fn same_as_vec_deque(ops in proptest::collection::vec(op(), 0..64)) {
            let mut q = Queue::default();
            let mut model = VecDeque::new();
            for op in ops {
                match op {
                    Op::Push(v) => { q.push_back(v); model.push_back(v); }
                    Op::Pop => prop_assert_eq!(q.pop_front(), model.pop_front()),
                    Op::Insert(i, v) => {
                        let i = i.min(model.len());
                        q.insert(i, v);
                        model.insert(i, v);
                    }
                    Op::Drain => prop_assert_eq!(q.drain().collect::<Vec<_>>(), model.drain(..).collect::<Vec<_>>()),
                    Op::FrontMut(v) => {
                        if let Some(f) = q.front_mut() { *f = v; }
                        if let Some(f) = model.front_mut() { *f = v; }
                    }
                }
                prop_assert_eq!(q.iter().copied().collect::<Vec<_>>(), model.iter().copied().collect::<Vec<_>>());
                prop_assert_eq!(q.len(), model.len());
                prop_assert_eq!(q.is_empty(), model.is_empty());
                prop_assert!(q.head.is_some() || q.rest.is_empty());
            }
        }
    }
}
