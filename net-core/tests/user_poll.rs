//! [`driver::poll_user_event`]: a user's task that pulls events gets a queued event first, then
//! bytes read inline, and its pulls carry out the core's next-tick work.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::time::Instant;

use bytes::Bytes;
use net_core::driver::{self, Transport, UserPoll, UserSide};
use net_core::{ConnectionInfo, IoInput, KeepAliveSettings, Socket, SocketEvent, SocketOptions};

#[derive(Default)]
struct Kernel {
    wire: Vec<u8>,
    incoming: VecDeque<u8>,
    shut: bool,
    reads: usize,
}

struct Io(RefCell<Kernel>);

impl Transport for Io {
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut k = self.0.borrow_mut();
        let before = k.wire.len();
        for b in bufs {
            k.wire.extend_from_slice(b);
        }
        Ok(k.wire.len() - before)
    }
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let mut k = self.0.borrow_mut();
        k.reads += 1;
        if k.incoming.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(k.incoming.len());
        for (slot, b) in buf.iter_mut().zip(k.incoming.drain(..n)) {
            *slot = b;
        }
        Ok(n)
    }
    fn shutdown_write(&self) -> io::Result<()> {
        self.0.borrow_mut().shut = true;
        Ok(())
    }
    fn set_reset_on_close(&self) -> io::Result<()> {
        Ok(())
    }
    fn set_no_delay(&self, _: bool) -> io::Result<()> {
        Ok(())
    }
    fn set_keep_alive(&self, _: KeepAliveSettings) -> io::Result<()> {
        Ok(())
    }
}

/// A user side over one socket and a fake kernel: readable while the kernel holds bytes.
struct Side {
    sock: Socket,
    io: Io,
    buf: driver::ReadBuf,
    commands: usize,
}

impl Side {
    fn new(incoming: &[u8]) -> Self {
        let now = Instant::now();
        let info = ConnectionInfo::tcp("127.0.0.1:1".parse().unwrap(), "127.0.0.1:2".parse().unwrap());
        let io =
            Io(RefCell::new(Kernel { incoming: incoming.iter().copied().collect(), ..Kernel::default() }));
        let mut sock = Socket::accepted(SocketOptions::default(), info, false, now);
        let _ = driver::pump(&mut sock, Some(&io), now);
        io.0.borrow_mut().reads = 0;
        Self { sock, io, buf: driver::ReadBuf::default(), commands: 0 }
    }
}

impl UserSide for Side {
    fn core(&mut self) -> &mut Socket {
        &mut self.sock
    }
    fn read_if_ready(&mut self, now: Instant) -> bool {
        if !self.sock.wants_read() || self.io.0.borrow().incoming.is_empty() {
            return false;
        }
        driver::read_ready(&mut self.sock, &self.io, &mut self.buf, now);
        true
    }
    fn pump_command(&mut self, now: Instant) {
        self.commands += 1;
        let _ = driver::pump_command(&mut self.sock, Some(&self.io), now);
    }
}

fn data(ev: UserPoll) -> Bytes {
    match ev {
        UserPoll::Event(SocketEvent::Data(d)) => d,
        other => panic!("expected data, got {other:?}"),
    }
}

#[test]
fn a_queued_event_comes_before_any_read() {
    let mut side = Side::new(b"later");
    side.sock.handle_io(Instant::now(), IoInput::Read(Bytes::from_static(b"queued")));
    assert_eq!(&data(driver::poll_user_event(&mut side, Instant::now()))[..], b"queued");
    assert_eq!(side.io.0.borrow().reads, 0, "nothing read while an event waited");
    assert_eq!(side.commands, 1, "the pull is pumped as a command");
    assert_eq!(&data(driver::poll_user_event(&mut side, Instant::now()))[..], b"later");
}

#[test]
fn bytes_are_read_in_the_users_turn() {
    let mut side = Side::new(b"ping");
    assert_eq!(&data(driver::poll_user_event(&mut side, Instant::now()))[..], b"ping");
    assert!(matches!(driver::poll_user_event(&mut side, Instant::now()), UserPoll::Wait));
}

#[test]
fn next_tick_work_is_carried_out_in_the_users_pull() {
    let mut side = Side::new(b"");
    side.sock.end();
    let _ = driver::pump_command(&mut side.sock, Some(&side.io), Instant::now());
    assert!(side.sock.tick_owed() && !side.io.0.borrow().shut, "end() sends its FIN on the next tick");
    // The user's next pull runs the tick and carries out the shutdown: no other task's turn needed.
    let ev = driver::poll_user_event(&mut side, Instant::now());
    assert!(matches!(ev, UserPoll::Event(SocketEvent::Prefinish)), "{ev:?}");
    assert!(side.io.0.borrow().shut, "the FIN went out in the user's pull");
    assert!(!side.sock.tick_owed());
    let ev = driver::poll_user_event(&mut side, Instant::now());
    assert!(matches!(ev, UserPoll::Event(SocketEvent::Finish)), "{ev:?}");
}

#[test]
fn a_connect_owed_to_the_next_tick_starts_in_the_pull() {
    // `connect()` starts on the next tick: the pull hands out `connectionAttempt` and has carried
    // out the `Connect` it queued, with no turn of the backend's task.
    let mut sock = Socket::new(SocketOptions::default(), Instant::now());
    let _ = sock.connect(net_core::Endpoint::Tcp("127.0.0.1:9".parse().unwrap()));
    assert!(sock.tick_owed() && !sock.has_action());
    let mut side = Side::new(b"");
    side.sock = sock;
    let ev = driver::poll_user_event(&mut side, Instant::now());
    assert!(matches!(ev, UserPoll::Event(SocketEvent::ConnectionAttempt(_))), "{ev:?}");
    assert!(!side.sock.has_action(), "the Connect went to the backend in the same pull");
}

#[test]
fn a_unix_socket_connect_is_asked_for_inside_connect() {
    // Node's uv_pipe_connect calls connect(2) inside `connect()`: the `Connect` is there at once,
    // for the command's pump, and `connectionAttempt` is already queued.
    let mut sock = Socket::new(SocketOptions::default(), Instant::now());
    let _ = sock.connect(net_core::Endpoint::Ipc("/tmp/x.sock".into()));
    assert!(!sock.tick_owed());
    assert!(matches!(sock.poll_action(), Some(net_core::SocketAction::Connect { .. })));
    assert!(matches!(sock.poll_event(), Some(SocketEvent::ConnectionAttempt(_))));
}
