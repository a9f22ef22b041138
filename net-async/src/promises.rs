//! Node's `net/promises`: a connect and a listen that finish when the socket is connected or
//! the server listening, as futures that are safe to drop.
//!
//! Dropping [`connect`]'s future before it finishes destroys the socket (nothing is left
//! connecting), and dropping [`listen`]'s drops the server, which releases what it bound.

use net_core::{ConnectOptions, ListenOptions, NetError, ServerOptions, SocketOptions};

use crate::runtime::Runtime;
use crate::server::{Server, ServerEvent};
use crate::socket::Socket;

/// Destroys the socket unless disarmed: what a dropped `connect` future leaves behind.
struct DestroyOnDrop<Rt: Runtime>(Option<Socket<Rt>>);

impl<Rt: Runtime> Drop for DestroyOnDrop<Rt> {
    fn drop(&mut self) {
        if let Some(sock) = self.0.take() {
            sock.destroy();
        }
    }
}

/// `await net.promises.connect(options)`: the socket once connected, or the error that
/// destroyed it (the lookup's, every attempt's, an abort's). The socket's events, `connect`
/// included, still come from [`Socket::next_event`].
///
/// # Panics
/// Outside a runtime ([`Runtime::try_current`]).
pub async fn connect<Rt: Runtime>(
    connect: ConnectOptions,
    opts: SocketOptions,
) -> Result<Socket<Rt>, NetError> {
    let mut guard = DestroyOnDrop(Some(Socket::<Rt>::connect_with(connect, opts)));
    guard.0.as_ref().expect("held until the end").connected().await?;
    Ok(guard.0.take().expect("held until the end"))
}

/// `await net.promises.listen(options)`: a server made with `server_opts`, once it listens,
/// or the error its listen met (`EADDRINUSE`, a failed lookup of its host, ...). Its
/// `listening` event is taken; the next events are its connections.
///
/// # Panics
/// Outside a runtime ([`Runtime::try_current`]).
pub async fn listen<Rt: Runtime>(
    server_opts: ServerOptions,
    opts: ListenOptions,
) -> Result<Server<Rt>, NetError> {
    let server = Server::<Rt>::new(server_opts);
    server.listen(opts)?;
    loop {
        match server.next_event().await {
            ServerEvent::<Rt>::Listening => return Ok(server),
            ServerEvent::<Rt>::Error(e) => return Err(e),
            // Closed before it listened (an aborted signal).
            ServerEvent::<Rt>::Close => return Err(NetError::server_not_running()),
            _ => {}
        }
    }
}
