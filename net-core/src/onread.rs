//! Node's `onread: { buffer, callback }`: a socket's bytes handed to a callback through one
//! buffer the user owns, at most its length at a time, instead of as `data` events; the
//! callback returning `false` stops the handle reading until `resume()` (Node's `readStop`; the
//! stream is not paused).
//!
//! The backends keep the callback (its arguments are theirs: net-mio passes its loop); this is
//! the part every backend shares: the buffer, the split, and what a pause leaves unread.

use bytes::Bytes;

use crate::Socket;

/// The buffer of an `onread` reader.
///
/// ```
/// use net_core::OnReadBuffer;
/// let mut reader = OnReadBuffer::new(vec![0; 4]);
/// let mut seen = Vec::new();
/// // Six bytes through a four-byte buffer: two calls; the second asks to stop.
/// let rest = reader.deliver(b"abcdef", |buf| {
///     seen.push(buf.to_vec());
///     seen.len() < 2
/// });
/// assert_eq!(seen, [b"abcd".to_vec(), b"ef".to_vec()]);
/// assert_eq!(rest, Some(6), "stopped after all six");
/// ```
#[derive(Debug)]
pub struct OnReadBuffer {
    buf: Box<[u8]>,
}

impl OnReadBuffer {
    /// A reader with this buffer (an empty one is given one byte: Node's `buffer` must hold
    /// something to read into).
    pub fn new(buffer: impl Into<Box<[u8]>>) -> Self {
        let mut buf = buffer.into();
        if buf.is_empty() {
            buf = vec![0; 1].into_boxed_slice();
        }
        Self { buf }
    }

    /// The buffer's length: the most one call is given.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Hand `data` to `call` through the buffer, at most its length at a time (Node's
    /// `callback(nread, buffer)` gets `&mut buffer[..nread]`). `None`: every byte was taken and
    /// the socket reads on. `Some(n)`: a call returned `false` after `n` bytes were handed out;
    /// the bytes after them are not handed out ([`stopped`](Self::stopped)).
    pub fn deliver(&mut self, data: &[u8], mut call: impl FnMut(&mut [u8]) -> bool) -> Option<usize> {
        let mut taken = 0;
        for piece in data.chunks(self.buf.len()) {
            let buf = &mut self.buf[..piece.len()];
            buf.copy_from_slice(piece);
            taken += piece.len();
            if !call(buf) {
                return Some(taken);
            }
        }
        None
    }

    /// What a `false` in [`deliver`](Self::deliver) means for the socket the `data` event came
    /// from (after the callbacks ran: they may use the socket): its handle stops reading, the
    /// bytes after the `taken` ones as if never read ([`Socket::stop_reading`]).
    pub fn stopped(socket: &mut Socket, data: &Bytes, taken: usize) {
        socket.stop_reading(data.slice(taken..));
    }
}
