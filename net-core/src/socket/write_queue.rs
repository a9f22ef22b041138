//! Bytes the user wrote that the kernel has not taken yet, in order, with their callbacks.

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, Bytes};

use super::queue::Queue;
use crate::event::WriteId;

#[derive(Debug)]
struct Chunk {
    data: Bytes,
    /// The write's whole size: it counts in `writableLength` until its last byte is taken.
    size: usize,
    id: Option<WriteId>,
}

/// The write queue. Chunks leave it only from the front, so bytes are never reordered.
#[derive(Debug, Default)]
pub(crate) struct WriteQueue {
    chunks: Queue<Chunk>,
    /// Bytes the kernel has not taken.
    len: usize,
    /// Whole sizes of the writes not yet complete (Node's `writableLength`).
    pending: usize,
    /// Writes a destroy failed, in order, with their sizes: Node takes each one's bytes off
    /// `writableLength` only as its failure is handed out (its callback runs), so a destroyed
    /// socket's length falls step by step, not at once.
    lost: VecDeque<(Option<WriteId>, usize)>,
    lost_len: usize,
}

impl WriteQueue {
    pub(crate) fn push(&mut self, data: Bytes, id: Option<WriteId>) {
        self.len += data.len();
        self.pending += data.len();
        self.chunks.push_back(Chunk { size: data.len(), data, id });
    }

    /// Bytes not yet taken by the kernel.
    pub(crate) fn byte_len(&self) -> usize {
        self.len
    }

    /// Node's `writableLength`: a write counts whole until it completes, as Node's stream state
    /// does (libuv reports a write done only when all of it is written), so a half-flushed
    /// 8 MiB write still counts 8 MiB.
    pub(crate) fn pending_len(&self) -> usize {
        self.pending + self.lost_len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Take `n` bytes off the front, calling `done` for each write that is now wholly written, in
    /// order. Zero-length writes at the front complete too. Returns the bytes actually consumed
    /// (less than `n` only if the driver reported more than was offered).
    pub(crate) fn consume(&mut self, mut n: usize, mut done: impl FnMut(Option<WriteId>)) -> usize {
        let asked = n;
        while let Some(front) = self.chunks.front_mut() {
            let take = n.min(front.data.len());
            front.data.advance(take);
            self.len -= take;
            n -= take;
            if !front.data.is_empty() {
                break;
            }
            let chunk = self.chunks.pop_front().expect("front exists");
            self.pending -= chunk.size;
            done(chunk.id);
        }
        asked - n
    }

    /// Fill `out` with the queued bytes, front first; returns how many slices were filled.
    pub(crate) fn io_slices<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        let mut filled = 0;
        for (slot, chunk) in out.iter_mut().zip(self.chunks.iter().filter(|c| !c.data.is_empty())) {
            *slot = IoSlice::new(&chunk.data);
            filled += 1;
        }
        filled
    }

    pub(crate) fn chunks(&self) -> impl Iterator<Item = &Bytes> {
        self.chunks.iter().map(|c| &c.data).filter(|d| !d.is_empty())
    }

    /// Take the write at the front off the queue, none of it written: its callback and size.
    pub(crate) fn remove_front(&mut self) -> Option<(Option<WriteId>, usize)> {
        let chunk = self.chunks.pop_front()?;
        self.len -= chunk.data.len();
        self.pending -= chunk.size;
        Some((chunk.id, chunk.size))
    }

    /// Empty the queue, returning the callbacks of the writes that never completed, in order,
    /// each with whether it was the first queued write (Node fails that one differently when the
    /// connection never came).
    ///
    /// `writableLength` keeps their sizes until their failures are handed out
    /// ([`WriteQueue::failure_handed_out`], [`WriteQueue::forget_lost`]).
    /// Bytes of the writes behind the front one: Node's stream buffers them while the front
    /// one is with libuv.
    pub(crate) fn buffered_behind_front(&self) -> usize {
        self.pending - self.chunks.iter().next().map_or(0, |c| c.size)
    }

    pub(crate) fn drain_ids(&mut self) -> Vec<(bool, WriteId)> {
        self.len = 0;
        self.pending = 0;
        let mut ids = Vec::new();
        for (i, c) in self.chunks.drain().enumerate() {
            self.lost_len += c.size;
            self.lost.push_back((c.id, c.size));
            ids.extend(c.id.map(|id| (i == 0, id)));
        }
        ids
    }

    /// An `end()` failed with the writes: its callback comes after theirs, so by then all their
    /// bytes are off.
    pub(crate) fn lose_end(&mut self, id: WriteId) {
        self.lost.push_back((Some(id), 0));
    }

    /// The failure of write `id` was handed out: it and the writes before it without a callback
    /// (which Node fails just ahead of it) leave `writableLength`.
    pub(crate) fn failure_handed_out(&mut self, id: WriteId) {
        if !self.is_lost(id) {
            return;
        }
        while let Some((i, size)) = self.lost.pop_front() {
            self.lost_len -= size;
            if i == Some(id) {
                break;
            }
        }
    }

    /// Write `id` failed with the destroy and its failure is not handed out yet.
    pub(crate) fn is_lost(&self, id: WriteId) -> bool {
        self.lost.iter().any(|(i, _)| *i == Some(id))
    }

    /// Some failed write still counts in `writableLength`.
    pub(crate) fn has_lost(&self) -> bool {
        !self.lost.is_empty()
    }

    /// Every failed write has been answered: `writableLength` is 0.
    pub(crate) fn forget_lost(&mut self) {
        self.lost.clear();
        self.lost_len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_consumption_keeps_order_and_reports_completions() {
        let mut q = WriteQueue::default();
        q.push(Bytes::from_static(b"abc"), Some(WriteId(1)));
        q.push(Bytes::new(), Some(WriteId(2)));
        q.push(Bytes::from_static(b"de"), None);
        q.push(Bytes::from_static(b"f"), Some(WriteId(3)));
        let mut done = Vec::new();
        assert_eq!(q.consume(2, |id| done.push(id)), 2);
        assert!(done.is_empty());
        assert_eq!((q.byte_len(), q.pending_len()), (4, 6), "a half-written write counts whole");
        assert_eq!(q.chunks().map(|b| b.as_ref()).collect::<Vec<_>>(), [b"c".as_ref(), b"de", b"f"]);
        assert_eq!(q.consume(2, |id| done.push(id)), 2);
        assert_eq!(done, [Some(WriteId(1)), Some(WriteId(2))]);
        assert_eq!(q.byte_len(), 2);
        assert_eq!(q.consume(10, |id| done.push(id)), 2);
        assert_eq!(done, [Some(WriteId(1)), Some(WriteId(2)), None, Some(WriteId(3))]);
        assert!(q.is_empty());
    }

    #[test]
    fn failed_writes_leave_the_length_as_their_failures_are_handed_out() {
        let mut q = WriteQueue::default();
        q.push(Bytes::from_static(b"x"), Some(WriteId(1)));
        q.push(Bytes::from_static(b"yy"), None);
        q.push(Bytes::from_static(b"zzz"), Some(WriteId(2)));
        q.push(Bytes::from_static(b"wwww"), None);
        assert_eq!(q.drain_ids(), [(true, WriteId(1)), (false, WriteId(2))]);
        q.lose_end(WriteId(3));
        assert!(q.is_empty());
        assert_eq!(q.pending_len(), 10, "nothing answered yet");
        q.failure_handed_out(WriteId(9));
        assert_eq!(q.pending_len(), 10, "an id the destroy did not fail changes nothing");
        q.failure_handed_out(WriteId(1));
        assert_eq!(q.pending_len(), 9);
        q.failure_handed_out(WriteId(2));
        assert_eq!(q.pending_len(), 4, "the write without a callback before it went with it");
        assert!(q.has_lost());
        q.failure_handed_out(WriteId(3));
        assert_eq!(q.pending_len(), 0);
        assert!(!q.has_lost());
    }

    #[test]
    fn io_slices_skip_empty_chunks() {
        let mut q = WriteQueue::default();
        q.push(Bytes::new(), None);
        q.push(Bytes::from_static(b"xy"), None);
        let mut slots = [IoSlice::new(&[]); 4];
        assert_eq!(q.io_slices(&mut slots), 1);
        assert_eq!(&*slots[0], b"xy");
    }
}
