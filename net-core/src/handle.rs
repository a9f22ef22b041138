//! Node's socket commands and getters for a backend's socket handle, written once.
//!
//! A backend implements the two required methods (run a command on its core and carry out the
//! outputs; read the core) and gets every other method, named as in Node. Users import the trait
//! from their backend (`use net_tokio::SocketHandle`), so switching runtime is a change of import.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::addr::Family;
use crate::error::NetError;
use crate::options::KeepAlive;
use crate::socket::{ReadyState, Socket};

/// The commands and getters every backend's socket handle offers.
pub trait SocketHandle {
    /// Run a command on the core socket with the backend's clock reading, then carry out what the
    /// core asked for (bytes, actions, wake-ups).
    fn with_core<R>(&self, f: impl FnOnce(&mut Socket, Instant) -> R) -> R;

    /// Read the core socket.
    fn inspect<R>(&self, f: impl FnOnce(&Socket) -> R) -> R;

    /// `socket.end()`.
    fn end(&self) {
        self.with_core(|s, _| s.end());
    }

    /// `socket.destroy()`.
    fn destroy(&self) {
        self.with_core(|s, _| s.destroy());
    }

    /// `socket.destroy(err)`.
    fn destroy_with_error(&self, err: NetError) {
        self.with_core(|s, _| s.destroy_with_error(err));
    }

    /// `socket.destroySoon()`.
    fn destroy_soon(&self) {
        self.with_core(|s, _| s.destroy_soon());
    }

    /// `socket.resetAndDestroy()`; IPC refuses with `ERR_INVALID_HANDLE_TYPE`.
    fn reset_and_destroy(&self) -> Result<(), NetError> {
        self.with_core(|s, _| s.reset_and_destroy())
    }

    /// `socket.pause()`.
    fn pause(&self) {
        self.with_core(|s, _| s.pause());
    }

    /// `socket.resume()`.
    fn resume(&self) {
        self.with_core(|s, _| s.resume());
    }

    /// `socket.setTimeout(ms)`; zero disables it.
    fn set_timeout(&self, timeout: Duration) {
        self.with_core(|s, now| s.set_timeout(now, timeout));
    }

    /// `socket.setNoDelay(enable)`.
    fn set_no_delay(&self, enable: bool) {
        self.with_core(|s, _| s.set_no_delay(enable));
    }

    /// `socket.setKeepAlive(...)`.
    fn set_keep_alive(&self, keep_alive: KeepAlive) {
        self.with_core(|s, _| s.set_keep_alive(keep_alive));
    }

    /// `socket.readyState`.
    fn ready_state(&self) -> ReadyState {
        self.inspect(Socket::ready_state)
    }

    /// `socket.bytesRead`.
    fn bytes_read(&self) -> u64 {
        self.inspect(Socket::bytes_read)
    }

    /// `socket.bytesWritten`.
    fn bytes_written(&self) -> u64 {
        self.inspect(Socket::bytes_written)
    }

    /// `socket.writableLength`.
    fn writable_length(&self) -> usize {
        self.inspect(Socket::writable_length)
    }

    /// `socket.destroyed`.
    fn destroyed(&self) -> bool {
        self.inspect(Socket::destroyed)
    }

    /// `socket.localAddress`/`localPort`.
    fn local_address(&self) -> Option<SocketAddr> {
        self.inspect(Socket::local_address)
    }

    /// `socket.remoteAddress`/`remotePort`.
    fn remote_address(&self) -> Option<SocketAddr> {
        self.inspect(Socket::remote_address)
    }

    /// `socket.remoteFamily`.
    fn remote_family(&self) -> Option<Family> {
        self.inspect(Socket::remote_family)
    }
}
