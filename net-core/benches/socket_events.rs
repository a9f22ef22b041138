//! The core alone: events per second through a `Socket` for small writes and reads, and heap
//! allocations per steady-state event (counted by a counting allocator; the goal is zero).
//! `cargo bench -p net-core --bench socket_events`.
#![allow(missing_docs)] // criterion_group! defines a function it does not document
//!
//! One round is what an echo does with a 64-byte message on an open socket: the driver feeds a
//! read, the user takes the `data` event and writes the bytes back, the driver offers them to
//! the kernel and reports them written, then settles the write and runs the next tick.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group};
use net_core::{ConnectionInfo, IoInput, Socket, SocketEvent, SocketOptions};

/// Counts every allocation, then hands it to the system allocator.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so `System`'s
// guarantees are ours; the counter is an atomic and touches no memory the allocator manages.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `alloc`'s contract; we pass it on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` (through `alloc` above) with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` with `layout`; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const MESSAGE: Bytes = Bytes::from_static(&[b'x'; 64]);

/// An accepted socket, open, as a server has it after `connection`.
fn open_socket(now: Instant) -> Socket {
    let info = ConnectionInfo::tcp("127.0.0.1:4000".parse().unwrap(), "127.0.0.1:50000".parse().unwrap());
    let mut sock = Socket::accepted(SocketOptions::default(), info, false, now);
    while sock.poll_event().is_some() {}
    while sock.poll_action().is_some() {}
    sock
}

/// One echo round; returns the events the user saw.
fn round(sock: &mut Socket, now: Instant) -> usize {
    sock.handle_io(now, IoInput::Read(MESSAGE));
    let mut events = 0;
    while let Some(ev) = sock.poll_event() {
        events += 1;
        if let SocketEvent::Data(d) = ev {
            let pending = sock.write(d);
            let offered: usize = sock.transmit_chunks().map(Bytes::len).sum();
            sock.handle_io(now, IoInput::Written(offered));
            let _ = sock.settle(pending);
        }
    }
    sock.tick(now);
    while sock.poll_action().is_some() {}
    events
}

fn echo_rounds(c: &mut Criterion) {
    let now = Instant::now();
    let mut group = c.benchmark_group("socket");
    group.throughput(Throughput::Elements(1));
    group.bench_function("echo round (read 64 B, data event, write back, written)", |b| {
        let mut sock = open_socket(now);
        b.iter(|| round(&mut sock, now));
    });
    group.finish();
}

/// Allocations per round once the socket is warm: printed, and the figure BENCHMARKS.md quotes.
fn allocations_per_round() {
    let now = Instant::now();
    let mut sock = open_socket(now);
    for _ in 0..1_000 {
        round(&mut sock, now);
    }
    const ROUNDS: u64 = 100_000;
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut events = 0;
    for _ in 0..ROUNDS {
        events += round(&mut sock, now);
    }
    let allocs = ALLOCATIONS.load(Ordering::Relaxed) - before;
    println!(
        "allocations: {allocs} in {ROUNDS} echo rounds ({events} events): {:.3} per round, {:.3} per event",
        allocs as f64 / ROUNDS as f64,
        allocs as f64 / events as f64
    );
}

criterion_group!(benches, echo_rounds);

fn main() {
    allocations_per_round();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
