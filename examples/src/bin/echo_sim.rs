//! The echo server's own connection handler (`examples::echo::serve`, what `echo` runs on
//! tokio and smol) on the deterministic simulator, under faults drawn from a seed: a slow,
//! fragmenting network with a small window. A client sends a pattern, half-closes, and checks
//! every byte came back in order. No sockets, no real time: the same seed prints the same run.
//!
//! ```text
//! echo-sim [--seed N] [--bytes N]
//! ```

use std::time::Duration;

use examples::{has, usage_error, value_of};
use net_async::{Runtime, Server, ServerEvent};
use net_core::{ListenOptions, ServerOptions, SocketEvent};
use net_sim::{Faults, Sim};

const USAGE: &str = "echo-sim [--seed N] [--bytes N]";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if has(&args, "--help") {
        println!("{USAGE}");
        return;
    }
    let number = |flag: &str, default: u64| {
        value_of(&args, flag).map_or(default, |v| {
            v.parse().unwrap_or_else(|_| usage_error(&format!("bad {flag} '{v}'"), USAGE))
        })
    };
    let seed = number("--seed", 1);
    let bytes = number("--bytes", 100_000) as usize;

    let sim = Sim::new(seed);
    sim.set_faults(Faults {
        latency: (Duration::from_millis(1), Duration::from_millis(30)),
        max_read: Some(1500),
        max_write: Some(4000),
        window: 16 * 1024,
        ..Faults::default()
    });
    let sent: Vec<u8> = (0..bytes).map(|i| (i % 251) as u8).collect();
    let to_send = sent.clone();
    let (echoed, drains) = sim
        .block_on(async move {
            // allowHalfOpen, so the server echoes everything before it ends.
            let server = Server::<net_sim::Rt>::new(ServerOptions {
                allow_half_open: true,
                ..ServerOptions::default()
            });
            server.listen(ListenOptions::tcp("127.0.0.1".parse().unwrap(), 7)).expect("listen");
            assert!(matches!(server.next_event().await, ServerEvent::Listening));
            let rt = net_sim::Rt::try_current().expect("inside the simulation");
            let accepting = server.clone();
            rt.spawn(async move {
                while let ServerEvent::Connection(sock) = accepting.next_event().await {
                    let rt = net_sim::Rt::try_current().expect("inside the simulation");
                    rt.spawn(examples::echo::serve(sock, true, false));
                }
            });
            let client = net_sim::connect(7, "localhost");
            // The client writes in a task of its own and reads here: one that wrote everything
            // before reading would deadlock once the bytes outgrow both directions' windows
            // (the simulator says so, `SimError::Deadlock`, instead of hanging).
            let writer = client.clone();
            let (done_tx, done_rx) = std::sync::mpsc::channel();
            rt.spawn(async move {
                let mut drains = 0;
                for piece in to_send.chunks(8192) {
                    if !writer.write(piece.to_vec()) {
                        writer.drained().await;
                        drains += 1;
                    }
                }
                writer.end();
                let _ = done_tx.send(drains);
            });
            let mut echoed = Vec::new();
            while let Some(ev) = client.next_event().await {
                if let SocketEvent::Data(d) = ev {
                    echoed.extend_from_slice(&d);
                }
            }
            let drains = done_rx.try_recv().unwrap_or(0);
            (echoed, drains)
        })
        .unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(1)
        });
    println!(
        "seed {seed}: sent {} bytes, echoed {} bytes, intact={}",
        sent.len(),
        echoed.len(),
        echoed == sent
    );
    println!("the client waited for drain {drains} times; virtual time {:?}", sim.elapsed());
    if echoed != sent {
        std::process::exit(1);
    }
}
