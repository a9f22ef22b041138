//! The readable half: flowing or paused, bytes held while paused, and the peer's FIN.

use std::collections::VecDeque;

use bytes::Bytes;

/// Where the readable half is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadState {
    /// Bytes may still arrive.
    Open,
    /// The peer's FIN arrived; `end` waits for the user to take the buffered bytes.
    EofPending,
    /// `end` was emitted.
    Ended,
}

#[derive(Debug)]
pub(crate) struct ReadSide {
    pub(crate) state: ReadState,
    /// Set by `pause()`, cleared by `resume()`.
    pub(crate) paused: bool,
    /// False until the first `resume()` on a `pauseOnConnect` socket: the handle does not read.
    pub(crate) started: bool,
    buffer: VecDeque<Bytes>,
    buffered: usize,
    high_water_mark: usize,
    /// An `onread` callback returned `false`: Node stops the handle (`readStop`), so the bytes
    /// it had not handed out, and a FIN behind them, are as if still in the kernel until reading
    /// restarts.
    pub(crate) stopped: Option<Stopped>,
}

/// What a stopped handle keeps "in the kernel".
#[derive(Debug, Default)]
pub(crate) struct Stopped {
    pub(crate) chunks: Vec<Bytes>,
    pub(crate) eof: bool,
}

impl ReadSide {
    pub(crate) fn new(high_water_mark: usize, pause_on_connect: bool) -> Self {
        Self {
            state: ReadState::Open,
            paused: pause_on_connect,
            started: !pause_on_connect,
            buffer: VecDeque::new(),
            buffered: 0,
            high_water_mark,
            stopped: None,
        }
    }

    /// Whether the driver should read: started, not at EOF, and below the mark while paused
    /// (Node keeps reading into `readableLength` after `pause()` until the mark).
    pub(crate) fn wants_read(&self) -> bool {
        self.state == ReadState::Open
            && self.started
            && self.stopped.is_none()
            && (!self.paused || self.buffered < self.high_water_mark.max(1))
    }

    /// Bytes held while paused (Node's `readableLength`).
    pub(crate) fn buffered(&self) -> usize {
        self.buffered
    }

    /// Accept bytes from the driver; returns them if they should be emitted now.
    pub(crate) fn receive(&mut self, data: Bytes) -> Option<Bytes> {
        if !self.paused && self.buffer.is_empty() {
            return Some(data);
        }
        self.buffered += data.len();
        self.buffer.push_back(data);
        None
    }

    /// Hold again, in front of what is held, bytes queued as `data` events that were not handed
    /// out (`pause()` came first); in their order.
    pub(crate) fn hold_again(&mut self, chunks: impl DoubleEndedIterator<Item = Bytes>) {
        for data in chunks.rev() {
            self.buffered += data.len();
            self.buffer.push_front(data);
        }
    }

    /// Take the held bytes if flowing.
    pub(crate) fn take_flowing(&mut self) -> Option<Bytes> {
        if self.paused {
            return None;
        }
        let data = self.buffer.pop_front()?;
        self.buffered -= data.len();
        Some(data)
    }

    /// The FIN arrived and everything before it was emitted, so `end` is due.
    pub(crate) fn end_due(&self) -> bool {
        // Node emits `end` for a FIN with nothing buffered even while paused.
        self.state == ReadState::EofPending && self.buffer.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.buffer.clear();
        self.buffered = 0;
        self.stopped = None;
    }

    /// Take every held byte (for a stopped handle).
    pub(crate) fn take_all(&mut self) -> impl Iterator<Item = Bytes> + '_ {
        self.buffered = 0;
        self.buffer.drain(..)
    }
}
