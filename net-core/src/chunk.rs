//! What `socket.write(data)` takes: owned bytes without a copy, borrowed ones copied once.

use bytes::{Bytes, BytesMut};

/// Data for a socket's `write`: [`Bytes`], `Vec<u8>`, `String` and [`BytesMut`] are taken without
/// copying; `&[u8]`, `&[u8; N]` and `&str` are copied (the socket may hold them past the call,
/// as Node holds a written buffer until the kernel took it).
pub trait Chunk {
    /// The bytes, owned.
    fn into_bytes(self) -> Bytes;
}

impl Chunk for Bytes {
    fn into_bytes(self) -> Bytes {
        self
    }
}

impl Chunk for BytesMut {
    fn into_bytes(self) -> Bytes {
        self.freeze()
    }
}

impl Chunk for Vec<u8> {
    fn into_bytes(self) -> Bytes {
        self.into()
    }
}

impl Chunk for String {
    fn into_bytes(self) -> Bytes {
        self.into()
    }
}

impl Chunk for Box<[u8]> {
    fn into_bytes(self) -> Bytes {
        self.into()
    }
}

impl Chunk for &[u8] {
    fn into_bytes(self) -> Bytes {
        Bytes::copy_from_slice(self)
    }
}

impl<const N: usize> Chunk for &[u8; N] {
    fn into_bytes(self) -> Bytes {
        Bytes::copy_from_slice(self)
    }
}

impl Chunk for &str {
    fn into_bytes(self) -> Bytes {
        Bytes::copy_from_slice(self.as_bytes())
    }
}

impl Chunk for &Bytes {
    fn into_bytes(self) -> Bytes {
        self.clone()
    }
}
