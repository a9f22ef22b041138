//! A simulator: a client socket and a server joined by an in-memory wire, with a virtual clock.
//!
//! It lets library authors (and our own tests) run protocol code against the core with no IO.
//!
//! The wire is the project's one simulated kernel ([`kernel`]): each direction holds at most
//! `capacity` bytes in flight (send and receive buffers together), reads deliver at most
//! `read_chunk` bytes, FIN and RST follow Linux's loopback rules, and writes to a closed peer
//! meet EPIPE. The pair drives both sockets through the documented contract (bytes, actions,
//! timeout, events) until nothing moves.

pub mod kernel;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::{
    Admission, ConnectionInfo, Endpoint, ErrorCode, IoInput, NetError, Server, ServerAction, ServerEvent,
    ServerOptions, Socket, SocketAction, SocketEvent, SocketOptions,
};

/// Which socket of the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The connecting socket.
    Client,
    /// The socket the server accepted.
    Conn,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Conn => "conn",
        }
    }
}

/// One end: the socket (if any) and whether its kernel handle is still open.
#[derive(Debug)]
pub struct EndPoint {
    /// The socket; `None` for a connection the server dropped or blocked.
    pub sock: Option<Socket>,
    /// Whether the kernel handle is open.
    pub handle_open: bool,
    /// The kernel reported EOF: nothing more to read.
    eof_seen: bool,
    /// Bytes delivered as `data`, for checking integrity.
    pub received: Vec<u8>,
}

impl EndPoint {
    fn new(sock: Option<Socket>) -> Self {
        Self { sock, handle_open: false, eof_seen: false, received: Vec::new() }
    }
}

/// The kernel's index of each side of the connection.
fn kside(side: Side) -> kernel::Side {
    match side {
        Side::Client => 0,
        Side::Conn => 1,
    }
}

/// A reaction to an event, run as the event is handed out (Node's listener).
pub type Handler<'h> = &'h mut dyn FnMut(Side, &SocketEvent, &mut Socket);

/// The simulator: a listening [`Server`], a client, the connection it accepted, and the wire.
///
/// ```
/// use net_core::sim::{Pair, Side};
/// let mut pair = Pair::connected();
/// assert!(pair.write(Side::Client, b"hello"));
/// pair.client().end();
/// pair.drive();
/// assert_eq!(pair.conn.received, b"hello");
/// assert!(pair.take_trace().contains(&"conn: end".to_string()));
/// ```
pub struct Pair {
    /// The virtual clock.
    pub now: Instant,
    /// The server the client connects to.
    pub server: Server,
    /// The client end.
    pub client: EndPoint,
    /// The accepted end.
    pub conn: EndPoint,
    /// The simulated kernel, and the connection once the client connected.
    pub kernel: kernel::Kernel,
    conn_id: Option<kernel::ConnId>,
    /// Bytes one direction holds in flight before writes stop being taken.
    pub capacity: usize,
    /// Largest chunk one read delivers.
    pub read_chunk: usize,
    /// Every event so far, as `side: event` lines.
    pub trace: Vec<String>,
    /// The server's address.
    pub server_addr: SocketAddr,
    client_addr: SocketAddr,
}

/// One line describing an event, as the traces print it (`data 5B`, `close had_error=false`).
pub fn describe(ev: &SocketEvent) -> String {
    match ev {
        SocketEvent::Lookup { error: Some(e), host, .. } => format!("lookup err={} host={host}", e.code()),
        SocketEvent::Lookup { address, family, host, .. } => format!(
            "lookup address={} family={} host={host}",
            address.as_deref().unwrap_or_default(),
            family.unwrap_or(0)
        ),
        SocketEvent::ConnectionAttemptTimeout(to) => format!("connectionAttemptTimeout {}", to.node_style()),
        SocketEvent::ConnectionAttempt(to) => format!("connectionAttempt {}", to.node_style()),
        SocketEvent::ConnectionAttemptFailed(to, e) => {
            format!("connectionAttemptFailed {} {}", to.node_style(), e.code())
        }
        SocketEvent::Connect => "connect".into(),
        SocketEvent::Ready => "ready".into(),
        SocketEvent::Data(d) => format!("data {}B", d.len()),
        SocketEvent::End => "end".into(),
        SocketEvent::Drain => "drain".into(),
        SocketEvent::Timeout => "timeout".into(),
        SocketEvent::WriteDone(id, None) => format!("cb:{}(null)", id.0),
        SocketEvent::WriteDone(id, Some(e)) => format!("cb:{}({})", id.0, e.code()),
        SocketEvent::Prefinish => "prefinish".into(),
        SocketEvent::Finish => "finish".into(),
        SocketEvent::Error(e) => format!("error {} {:?}", e.code(), e.message()),
        SocketEvent::Close { had_error } => format!("close had_error={had_error}"),
    }
}

impl Pair {
    /// A listening server and a client that is not connected yet.
    pub fn new(client_opts: SocketOptions, server_opts: ServerOptions) -> Self {
        let now = Instant::now();
        let server_addr: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let mut server = Server::new(server_opts);
        server.listen(server_addr.into()).unwrap();
        assert_eq!(server.poll_action(), Some(ServerAction::Listen(server_addr.into())));
        assert!(server.handle_listen(Ok(server_addr.into())));
        assert_eq!(server.poll_event(), Some(ServerEvent::Listening));
        Self {
            now,
            server,
            client: EndPoint::new(Some(Socket::new(client_opts, now))),
            conn: EndPoint::new(None),
            kernel: kernel::Kernel::default(),
            conn_id: None,
            capacity: 1 << 20,
            read_chunk: 64 * 1024,
            trace: Vec::new(),
            server_addr,
            client_addr: "127.0.0.1:50000".parse().unwrap(),
        }
    }

    /// A client that called `connect()` (as `net.connect` does) and is not connected yet: writes
    /// queue until the pair is driven.
    pub fn connecting(client_opts: SocketOptions, server_opts: ServerOptions) -> Self {
        let mut pair = Self::new(client_opts, server_opts);
        let to = pair.server_addr.into();
        pair.client().connect(to).expect("a fresh socket connects");
        pair
    }

    /// Defaults on both sides, connected, with the setup events taken out of the trace.
    pub fn connected() -> Self {
        Self::connected_with(SocketOptions::default(), ServerOptions::default())
    }

    /// Connected with these options.
    pub fn connected_with(client_opts: SocketOptions, server_opts: ServerOptions) -> Self {
        let mut pair = Self::new(client_opts, server_opts);
        let to = pair.server_addr.into();
        pair.client().connect(to).unwrap();
        pair.drive();
        assert_eq!(
            pair.take_trace(),
            ["client: connectionAttempt 127.0.0.1:4000", "client: connect", "client: ready"]
        );
        assert!(pair.conn.sock.is_some(), "the server admitted the connection");
        pair
    }

    /// The client socket.
    pub fn client(&mut self) -> &mut Socket {
        self.client.sock.as_mut().expect("client socket")
    }

    /// The accepted socket.
    pub fn conn(&mut self) -> &mut Socket {
        self.conn.sock.as_mut().expect("accepted socket")
    }

    /// The socket on `side`.
    pub fn sock(&mut self, side: Side) -> &mut Socket {
        match side {
            Side::Client => self.client(),
            Side::Conn => self.conn(),
        }
    }

    /// The trace so far, emptied.
    pub fn take_trace(&mut self) -> Vec<String> {
        std::mem::take(&mut self.trace)
    }

    /// `write()` as a driver does it: queue, offer to the kernel at once, then settle.
    pub fn write(&mut self, side: Side, data: &[u8]) -> bool {
        let pending = self.sock(side).write(Bytes::copy_from_slice(data));
        self.transmit(side);
        self.sock(side).settle(pending)
    }

    /// `write(data, cb)`; returns the boolean and the callback's id.
    pub fn write_cb(&mut self, side: Side, data: &[u8]) -> (bool, u64) {
        let (pending, id) = self.sock(side).write_with_callback(Bytes::copy_from_slice(data));
        self.transmit(side);
        (self.sock(side).settle(pending), id.0)
    }

    /// Move the clock on, fire timers, and drive.
    pub fn advance(&mut self, by: Duration) {
        self.now += by;
        let now = self.now;
        for side in [Side::Client, Side::Conn] {
            if let Some(sock) = self.end_mut(side).sock.as_mut() {
                sock.handle_timeout(now);
            }
        }
        self.drive();
    }

    fn end_mut(&mut self, side: Side) -> &mut EndPoint {
        match side {
            Side::Client => &mut self.client,
            Side::Conn => &mut self.conn,
        }
    }

    /// Drive until nothing moves.
    pub fn drive(&mut self) {
        self.drive_with(&mut |_, _, _| {});
    }

    /// Move bytes, actions and events until nothing changes; `handler` sees every event.
    pub fn drive_with(&mut self, handler: Handler<'_>) {
        for _ in 0..1_000_000 {
            let mut progress = false;
            for side in [Side::Client, Side::Conn] {
                progress |= self.transmit(side);
                progress |= self.actions(side);
                progress |= self.receive(side);
                progress |= self.events(side, handler);
            }
            if !progress {
                return;
            }
        }
        panic!("pair did not settle: livelock");
    }

    /// Offer queued bytes to the kernel: what it takes, or its error (EPIPE after a closed
    /// peer answered once with RST, ECONNRESET after the peer's reset).
    pub fn transmit(&mut self, side: Side) -> bool {
        let now = self.now;
        let Some(conn) = self.conn_id else { return false };
        self.kernel.set_window(conn, self.capacity);
        let end = match side {
            Side::Client => &mut self.client,
            Side::Conn => &mut self.conn,
        };
        let Some(sock) = end.sock.as_mut() else { return false };
        if !end.handle_open || !sock.wants_write() {
            return false;
        }
        let bufs: Vec<std::io::IoSlice<'_>> =
            sock.transmit_chunks().map(|c| std::io::IoSlice::new(c)).collect();
        let result = self.kernel.write(conn, kside(side), &bufs, now, now, usize::MAX);
        drop(bufs);
        match result {
            Ok(n) => sock.handle_io(now, IoInput::Written(n)),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(e) => sock.handle_io(now, IoInput::Failed(NetError::from_io(&e, "write"))),
        }
        true
    }

    fn actions(&mut self, side: Side) -> bool {
        let mut progress = false;
        loop {
            let Some(action) = self.end_mut(side).sock.as_mut().and_then(Socket::poll_action) else {
                return progress;
            };
            progress = true;
            let now = self.now;
            match action {
                SocketAction::Connect { to, .. } => self.connect(to),
                SocketAction::Lookup { .. } | SocketAction::CancelConnect => {}
                SocketAction::ShutdownWrite => {
                    if let Some(conn) = self.conn_id {
                        self.kernel.shutdown(conn, kside(side), now);
                    }
                    self.sock(side).handle_io(now, IoInput::ShutdownDone);
                }
                SocketAction::Close => self.close_handle(side, false),
                SocketAction::Reset => self.close_handle(side, true),
                SocketAction::SetNoDelay(_)
                | SocketAction::SetKeepAlive(_)
                | SocketAction::SetTypeOfService(_) => {}
            }
        }
    }

    /// The kernel closes the handle: FIN, or RST if unread bytes remain or a reset was asked.
    pub fn close_handle(&mut self, side: Side, reset: bool) {
        if !self.end_mut(side).handle_open {
            return;
        }
        self.end_mut(side).handle_open = false;
        let (now, Some(conn)) = (self.now, self.conn_id) else { return };
        if reset {
            self.kernel.set_reset_on_close(conn, kside(side));
        }
        self.kernel.close(conn, kside(side), now);
    }

    fn connect(&mut self, to: Endpoint) {
        let now = self.now;
        let listening = self.server.listening() && Some(&to) == self.server.address();
        if !listening {
            let err = NetError::connect(ErrorCode::ECONNREFUSED, to.tcp().unwrap());
            self.client().handle_io(now, IoInput::ConnectFailed(err));
            return;
        }
        let info = ConnectionInfo::tcp(self.server_addr, self.client_addr);
        let conn = self.kernel.open(false, self.capacity);
        self.conn_id = Some(conn);
        match self.server.accept(now, info) {
            Admission::Accepted(sock) => {
                self.conn = EndPoint::new(Some(sock));
                self.conn.handle_open = true;
            }
            Admission::Dropped | Admission::Blocked | Admission::NotListening => {
                // Accepted by the kernel, closed at once: the client sees a FIN.
                self.conn = EndPoint::new(None);
                self.kernel.close(conn, kside(Side::Conn), now);
            }
        }
        self.client.handle_open = true;
        let client_info = ConnectionInfo::tcp(self.client_addr, self.server_addr);
        self.client().handle_io(now, IoInput::Connected(client_info));
    }

    /// Deliver bytes, FIN or RST from the kernel to a socket that wants them. A socket that
    /// does not read (paused, or past its mark) still learns of a reset once nothing it could
    /// read is left before it.
    fn receive(&mut self, side: Side) -> bool {
        let now = self.now;
        let (Some(conn), chunk) = (self.conn_id, self.read_chunk) else { return false };
        let end = self.end_mut(side);
        if !end.handle_open || end.eof_seen {
            return false;
        }
        let Some(sock) = end.sock.as_ref() else { return false };
        let wants = sock.wants_read();
        let me = kside(side);
        if !self.kernel.readable(conn, me, now) {
            return false;
        }
        if !(wants || self.kernel.was_reset(conn, me) && self.kernel.readable_bytes(conn, me, now) == 0) {
            return false;
        }
        let mut buf = vec![0; chunk.max(1)];
        let input = match self.kernel.read(conn, me, &mut buf, now, chunk.max(1)) {
            Ok(0) => {
                self.end_mut(side).eof_seen = true;
                IoInput::ReadEof
            }
            Ok(n) => {
                buf.truncate(n);
                IoInput::Read(Bytes::from(buf))
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(e) => IoInput::Failed(NetError::from_io(&e, "read")),
        };
        self.sock(side).handle_io(now, input);
        true
    }

    fn events(&mut self, side: Side, handler: Handler<'_>) -> bool {
        // Bytes go out before events are handed over (the driving contract's order).
        let mut progress = self.transmit(side);
        loop {
            let end = self.end_mut(side);
            let Some(sock) = end.sock.as_mut() else { return progress };
            let Some(ev) = sock.poll_event() else { return progress };
            progress = true;
            if let SocketEvent::Data(d) = &ev {
                end.received.extend_from_slice(d);
            }
            if matches!(ev, SocketEvent::Close { .. }) {
                if let Some(id) = sock.connection_id() {
                    self.server.connection_closed(id);
                }
            }
            self.trace.push(format!("{}: {}", side.name(), describe(&ev)));
            let sock = self.end_mut(side).sock.as_mut().unwrap();
            handler(side, &ev, sock);
            // What the handler queued goes to the kernel before the next event, as in libuv.
            self.transmit(side);
        }
    }

    /// Server events so far, formatted.
    pub fn server_events(&mut self) -> Vec<String> {
        std::iter::from_fn(|| self.server.poll_event())
            .map(|e| match e {
                ServerEvent::Listening => "listening".to_string(),
                ServerEvent::Connection(id) => format!("connection #{}", id.0),
                ServerEvent::Drop(Some(d)) => format!("drop {} {}", d.local, d.remote),
                ServerEvent::Drop(None) => "drop".into(),
                ServerEvent::Error(e) => format!("error {}", e.code()),
                ServerEvent::Close => "close".into(),
            })
            .collect()
    }
}
