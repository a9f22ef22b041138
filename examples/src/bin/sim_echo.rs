//! An echo exchange run entirely on the sans-IO core, over the simulator's in-memory wire.
//!
//! The server echoes every `data` back; the client sends a few messages, ends, and the program
//! prints each socket's events in Node's names, then checks the echo came back intact. No IO,
//! no runtime: the same state machines the tokio, smol and mio backends drive.
//!
//! Run: `cargo run -p examples --bin sim_echo`

use net_core::sim::{Pair, Side};
use net_core::{ServerOptions, SocketEvent, SocketOptions};

fn main() {
    let messages: [&[u8]; 3] = [b"hello\n", b"from the sans-IO core\n", b"bye\n"];
    // The accepted side allows half-open so it can echo after the client's FIN.
    let server = ServerOptions { allow_half_open: true, ..Default::default() };
    let mut pair = Pair::connected_with(SocketOptions::default(), server);
    pair.read_chunk = 5; // small reads, to show that bytes arrive intact in any chunking

    for msg in messages {
        let ok = pair.write(Side::Client, msg);
        println!("client.write({:?}) = {ok}", String::from_utf8_lossy(msg));
    }
    pair.client().end();
    pair.drive_with(&mut |side, event, sock| match (side, event) {
        (Side::Conn, SocketEvent::Data(data)) => {
            let pending = sock.write(data.clone());
            let _ = sock.settle(pending);
        }
        (Side::Conn, SocketEvent::End) => sock.end(),
        _ => {}
    });

    for line in pair.take_trace() {
        println!("{line}");
    }
    let sent: Vec<u8> = messages.concat();
    let echoed = &pair.client.received;
    println!("server: connections={}", pair.server.get_connections());
    println!("sent {} bytes, echoed {} bytes, intact={}", sent.len(), echoed.len(), *echoed == sent);
    assert_eq!(*echoed, sent, "echo mismatch");
}
