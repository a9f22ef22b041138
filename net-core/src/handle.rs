//! Node's socket commands and getters for a backend's socket handle, written once.
//!
//! A backend implements the two required methods (run a command on its core and carry out the
//! outputs; read the core) and gets every other method, named as in Node. Users import the trait
//! from their backend (`use net_tokio::SocketHandle`), so switching runtime is a change of import.

use std::io;
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

    /// `socket.end(data)`: the bytes are offered to the kernel, then the FIN follows them. As
    /// in Node the write goes through the stream's own path: after `end()` it fails as a write
    /// after end (the `error` event), and then nothing more is ended.
    fn end_with(&self, data: impl crate::Chunk) {
        let data = data.into_bytes();
        let w = self.with_core(|s, _| s.end_write(data));
        self.with_core(|s, _| s.end_after(w));
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

    /// `socket.setTypeOfService(tos)` ([`Socket::set_type_of_service`]).
    fn set_type_of_service(&self, tos: u8) -> Result<(), NetError> {
        self.with_core(|s, _| s.set_type_of_service(tos))
    }

    /// `socket.getTypeOfService()` ([`Socket::type_of_service`]).
    fn type_of_service(&self) -> Result<u8, NetError> {
        self.inspect(Socket::type_of_service)
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

    /// `socket.readableLength`: bytes read and held (paused).
    fn readable_length(&self) -> usize {
        self.inspect(Socket::readable_length)
    }

    /// `socket.isPaused()`.
    fn is_paused(&self) -> bool {
        self.inspect(Socket::is_paused)
    }

    /// `socket.destroyed`.
    fn destroyed(&self) -> bool {
        self.inspect(Socket::destroyed)
    }

    /// `socket.localAddress`/`localPort`.
    fn local_address(&self) -> Option<SocketAddr> {
        self.inspect(Socket::local_address)
    }

    /// `socket.localFamily`.
    fn local_family(&self) -> Option<Family> {
        self.inspect(Socket::local_family)
    }

    /// `socket.connecting`.
    fn connecting(&self) -> bool {
        self.inspect(Socket::connecting)
    }

    /// `socket.pending`: no live handle (not connected yet, connecting, or destroyed).
    fn pending(&self) -> bool {
        self.inspect(Socket::pending)
    }

    /// `socket.timeout`: the last `setTimeout` value (zero when it turned the timer off),
    /// `None` if never set.
    fn timeout(&self) -> Option<Duration> {
        self.inspect(Socket::timeout)
    }

    /// `socket.autoSelectFamilyAttemptedAddresses`: the addresses tried on the multi-address
    /// connect path (`None` on the plain path).
    fn auto_select_family_attempted_addresses(&self) -> Option<Vec<SocketAddr>> {
        self.inspect(|s| s.auto_select_family_attempted_addresses().map(<[SocketAddr]>::to_vec))
    }

    /// `socket.remoteAddress`/`remotePort`.
    fn remote_address(&self) -> Option<SocketAddr> {
        self.inspect(Socket::remote_address)
    }

    /// `socket.remoteFamily`.
    fn remote_family(&self) -> Option<Family> {
        self.inspect(Socket::remote_family)
    }

    /// The local address as `TcpStream::local_addr` answers it: `NotConnected` while there is
    /// none (before the connection, and for Unix sockets, to which Node gives no address).
    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.local_address().ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "no local address"))
    }

    /// The peer's address as `TcpStream::peer_addr` answers it: `NotConnected` while there is
    /// none (before the connection, after it closed, and for Unix sockets).
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.remote_address().ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "no peer address"))
    }
}

/// [`SocketHandle`]'s commands and getters as inherent methods of a backend's socket type, so
/// that a user calls them with no trait import (and an imported `AsyncWriteExt` or
/// `AsyncReadExt` never makes them ambiguous). Invoked inside the backend's `impl Socket`.
#[doc(hidden)]
#[macro_export]
macro_rules! inherent_socket_handle {
    () => {
        $crate::inherent_socket_handle! {
            /// `socket.end()`: the FIN follows the queued bytes.
            end() -> ();
            /// `socket.end(data)`: the bytes are offered to the kernel, then the FIN follows.
            end_with(data: impl $crate::Chunk) -> ();
            /// `socket.destroy()`.
            destroy() -> ();
            /// `socket.destroy(err)`: `error`, then `close(true)`.
            destroy_with_error(err: $crate::NetError) -> ();
            /// `socket.destroySoon()`: end, and destroy once `finish` is emitted.
            destroy_soon() -> ();
            /// `socket.resetAndDestroy()`: close with RST; IPC refuses with `ERR_INVALID_HANDLE_TYPE`.
            reset_and_destroy() -> ::std::result::Result<(), $crate::NetError>;
            /// `socket.pause()`.
            pause() -> ();
            /// `socket.resume()`.
            resume() -> ();
            /// `socket.setTimeout(ms)`; zero disables it.
            set_timeout(timeout: ::std::time::Duration) -> ();
            /// `socket.setNoDelay(enable)`.
            set_no_delay(enable: bool) -> ();
            /// `socket.setKeepAlive(...)`.
            set_keep_alive(keep_alive: $crate::KeepAlive) -> ();
            /// `socket.setTypeOfService(tos)`: kept until connected, TCP only; `EBADF` while
            /// connecting before the attempt's connect(2), as in Node.
            set_type_of_service(tos: u8) -> ::std::result::Result<(), $crate::NetError>;
            /// `socket.getTypeOfService()`: what the kernel holds while connected (Linux keeps the
            /// two ECN bits), else the value last asked for, or 0.
            type_of_service() -> ::std::result::Result<u8, $crate::NetError>;
            /// `socket.readyState`.
            ready_state() -> $crate::ReadyState;
            /// `socket.bytesRead`.
            bytes_read() -> u64;
            /// `socket.bytesWritten`.
            bytes_written() -> u64;
            /// `socket.writableLength`.
            writable_length() -> usize;
            /// `socket.destroyed`.
            destroyed() -> bool;
            /// `socket.localAddress`/`localPort`.
            local_address() -> ::std::option::Option<::std::net::SocketAddr>;
            /// `socket.localFamily`.
            local_family() -> ::std::option::Option<$crate::Family>;
            /// `socket.connecting`.
            connecting() -> bool;
            /// `socket.pending`: no live handle (not connected yet, connecting, or destroyed).
            pending() -> bool;
            /// `socket.timeout`: the last `setTimeout` value, `None` if never set.
            timeout() -> ::std::option::Option<::std::time::Duration>;
            /// `socket.autoSelectFamilyAttemptedAddresses` (`None` on the plain connect path).
            auto_select_family_attempted_addresses() -> ::std::option::Option<::std::vec::Vec<::std::net::SocketAddr>>;
            /// `socket.remoteAddress`/`remotePort`.
            remote_address() -> ::std::option::Option<::std::net::SocketAddr>;
            /// `socket.remoteFamily`.
            remote_family() -> ::std::option::Option<$crate::Family>;
            /// The local address as `TcpStream::local_addr` answers it (`NotConnected` while
            /// there is none, and for Unix sockets).
            local_addr() -> ::std::io::Result<::std::net::SocketAddr>;
            /// The peer's address as `TcpStream::peer_addr` answers it (`NotConnected` while
            /// there is none, and for Unix sockets).
            peer_addr() -> ::std::io::Result<::std::net::SocketAddr>;
        }
    };
    ($( $(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty; )*) => {
        $(
            $(#[$doc])*
            pub fn $name(&self $(, $arg: $ty)*) -> $ret {
                $crate::SocketHandle::$name(self $(, $arg)*)
            }
        )*
    };
}
