//! An accepted socket's tie to its server's connection count, without the socket knowing the
//! server's type (no socket ↔ server import cycle).

use std::sync::Weak;

use net_core::ConnectionId;

/// Whoever counts a server's connections.
pub(crate) trait ConnectionCount: Send + Sync {
    /// Connection `id` was destroyed.
    fn connection_closed(&self, id: ConnectionId);
}

/// Told once, when the accepted socket is destroyed.
pub(crate) struct ServerLink {
    pub(crate) server: Weak<dyn ConnectionCount>,
    pub(crate) id: ConnectionId,
}

impl ServerLink {
    /// Node decrements the count synchronously inside the socket's `destroy()`.
    pub(crate) fn connection_closed(self) {
        if let Some(server) = self.server.upgrade() {
            server.connection_closed(self.id);
        }
    }
}
