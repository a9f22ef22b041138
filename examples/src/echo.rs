//! The echo server's connection handler, written once for every runtime: the `echo` program
//! runs it on tokio and smol, `echo-sim` on the deterministic simulator.

// `write` takes the bytes by value, so it cannot move into a match guard.
#![allow(clippy::collapsible_match)]

use net_async::{Runtime, Socket};
use net_core::SocketEvent;

/// Echo every byte back, with backpressure (reading pauses while a write waits for `drain`),
/// and end after the peer's end when the socket allows half-open.
pub async fn serve<Rt: Runtime>(sock: Socket<Rt>, half_open: bool, pause_on_connect: bool) {
    if pause_on_connect {
        sock.resume();
    }
    while let Some(ev) = sock.next_event().await {
        match ev {
            SocketEvent::Data(d) => {
                if !sock.write(d) {
                    sock.pause();
                    sock.drained().await;
                    sock.resume();
                }
            }
            SocketEvent::End if half_open => sock.end(),
            _ => {}
        }
    }
}
