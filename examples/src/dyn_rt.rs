//! The object-safe alternative to net-async's `Runtime` type parameter, built only to measure it
//! (issue 19 asked for the choice to be measured, not assumed): [`DynRt`] is a `Runtime` whose
//! every operation goes through a trait object — a vtable call per readiness poll, read, write
//! and clock read, a box per timer and per spawned task — so `Socket<DynRt>` is the one
//! non-generic `Socket` an object-safe design would give. The echo program runs on it with
//! `--backend tokio-dyn`; the bench compares it with `net-tokio` (`--servers net-tokio,net-tokio-dyn`).

use std::any::Any;
use std::future::Future;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::BytesMut;
use net_async::{BoxFuture, Listener, Runtime, Stream};
use net_core::driver::Transport;
use net_core::{ConnectionInfo, Endpoint, KeepAliveSettings, ListenOptions, NetError};

/// A stream behind a vtable.
pub trait ObjStream: Send + Sync {
    /// [`Stream::poll_read_ready`].
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// [`Stream::poll_write_ready`].
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// [`Stream::try_read_uninit`].
    fn try_read_uninit(&self, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize>;
    /// [`Stream::info`].
    fn info(&self) -> ConnectionInfo;
    /// [`Stream::local_addr`].
    fn local_addr(&self) -> Option<SocketAddr>;
    /// [`Transport::try_write_vectored`].
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;
    /// [`Transport::try_read`].
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize>;
    /// [`Transport::try_read_buf`].
    fn try_read_buf(&self, buf: &mut BytesMut, max: usize) -> io::Result<usize>;
    /// [`Transport::shutdown_write`].
    fn shutdown_write(&self) -> io::Result<()>;
    /// [`Transport::set_reset_on_close`].
    fn set_reset_on_close(&self) -> io::Result<()>;
    /// [`Transport::set_no_delay`].
    fn set_no_delay(&self, enable: bool) -> io::Result<()>;
    /// [`Transport::set_keep_alive`].
    fn set_keep_alive(&self, settings: KeepAliveSettings) -> io::Result<()>;
}

impl<S: Stream> ObjStream for S {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Stream::poll_read_ready(self, cx)
    }
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Stream::poll_write_ready(self, cx)
    }
    fn try_read_uninit(&self, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
        Stream::try_read_uninit(self, buf)
    }
    fn info(&self) -> ConnectionInfo {
        Stream::info(self)
    }
    fn local_addr(&self) -> Option<SocketAddr> {
        Stream::local_addr(self)
    }
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        Transport::try_write_vectored(self, bufs)
    }
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        Transport::try_read(self, buf)
    }
    fn try_read_buf(&self, buf: &mut BytesMut, max: usize) -> io::Result<usize> {
        Transport::try_read_buf(self, buf, max)
    }
    fn shutdown_write(&self) -> io::Result<()> {
        Transport::shutdown_write(self)
    }
    fn set_reset_on_close(&self) -> io::Result<()> {
        Transport::set_reset_on_close(self)
    }
    fn set_no_delay(&self, enable: bool) -> io::Result<()> {
        Transport::set_no_delay(self, enable)
    }
    fn set_keep_alive(&self, settings: KeepAliveSettings) -> io::Result<()> {
        Transport::set_keep_alive(self, settings)
    }
}

/// A boxed stream: what [`DynRt`] hands the socket.
pub struct DynStream(Box<dyn ObjStream>);

impl Transport for DynStream {
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.0.try_write_vectored(bufs)
    }
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }
    fn try_read_buf(&self, buf: &mut BytesMut, max: usize) -> io::Result<usize> {
        self.0.try_read_buf(buf, max)
    }
    fn shutdown_write(&self) -> io::Result<()> {
        self.0.shutdown_write()
    }
    fn set_reset_on_close(&self) -> io::Result<()> {
        self.0.set_reset_on_close()
    }
    fn set_no_delay(&self, enable: bool) -> io::Result<()> {
        self.0.set_no_delay(enable)
    }
    fn set_keep_alive(&self, settings: KeepAliveSettings) -> io::Result<()> {
        self.0.set_keep_alive(settings)
    }
}

impl Stream for DynStream {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_read_ready(cx)
    }
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_write_ready(cx)
    }
    fn try_read_uninit(&self, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
        self.0.try_read_uninit(buf)
    }
    fn info(&self) -> ConnectionInfo {
        self.0.info()
    }
    fn local_addr(&self) -> Option<SocketAddr> {
        self.0.local_addr()
    }
}

type Accepted = io::Result<(DynStream, Option<SocketAddr>)>;

/// A listener behind a vtable.
pub trait ObjListener: Send + Sync {
    /// [`Listener::poll_accept`], boxed.
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<Accepted>;
}

impl<L: Listener> ObjListener for L {
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<Accepted> {
        Listener::poll_accept(self, cx).map(|r| r.map(|(s, peer)| (DynStream(Box::new(s)), peer)))
    }
}

/// A boxed listener.
pub struct DynListener(Box<dyn ObjListener>);

impl Listener for DynListener {
    type Stream = DynStream;
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<Accepted> {
        self.0.poll_accept(cx)
    }
}

/// A boxed timer.
pub type DynTimer = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A runtime behind a vtable.
pub trait ObjRuntime: Send + Sync {
    /// [`Runtime::spawn`] of a boxed task.
    fn spawn(&self, task: Pin<Box<dyn Future<Output = ()> + Send>>);
    /// [`Runtime::now`].
    fn now(&self) -> Instant;
    /// [`Runtime::timer`], boxed.
    fn timer(&self, at: Instant) -> DynTimer;
    /// [`Runtime::lookup`].
    fn lookup(&self, host: String) -> BoxFuture<io::Result<Vec<SocketAddr>>>;
    /// [`Runtime::connect_tcp`].
    fn connect_tcp(&self, to: SocketAddr, local: Option<SocketAddr>) -> BoxFuture<io::Result<DynStream>>;
    /// [`Runtime::start_ipc_connect`].
    fn start_ipc_connect(&self, path: &Path) -> io::Result<Option<Box<dyn Any + Send>>>;
    /// [`Runtime::finish_ipc_connect`].
    fn finish_ipc_connect(&self, started: Box<dyn Any + Send>) -> BoxFuture<io::Result<DynStream>>;
    /// [`Runtime::connect_ipc`].
    fn connect_ipc(&self, path: PathBuf) -> BoxFuture<io::Result<DynStream>>;
    /// [`Runtime::listen`].
    fn listen(&self, at: &Endpoint, opts: &ListenOptions) -> Result<(DynListener, Endpoint), NetError>;
}

struct Erased<R>(R);

impl<R: Runtime> ObjRuntime for Erased<R> {
    fn spawn(&self, task: Pin<Box<dyn Future<Output = ()> + Send>>) {
        self.0.spawn(task);
    }
    fn now(&self) -> Instant {
        self.0.now()
    }
    fn timer(&self, at: Instant) -> DynTimer {
        let t = self.0.timer(at);
        Box::pin(async move {
            t.await;
        })
    }
    fn lookup(&self, host: String) -> BoxFuture<io::Result<Vec<SocketAddr>>> {
        self.0.lookup(host)
    }
    fn connect_tcp(&self, to: SocketAddr, local: Option<SocketAddr>) -> BoxFuture<io::Result<DynStream>> {
        let f = self.0.connect_tcp(to, local);
        Box::pin(async move { f.await.map(|s| DynStream(Box::new(s))) })
    }
    fn start_ipc_connect(&self, path: &Path) -> io::Result<Option<Box<dyn Any + Send>>> {
        Ok(self.0.start_ipc_connect(path)?.map(|s| Box::new(s) as Box<dyn Any + Send>))
    }
    fn finish_ipc_connect(&self, started: Box<dyn Any + Send>) -> BoxFuture<io::Result<DynStream>> {
        let started = *started.downcast::<R::IpcStarted>().expect("started by this runtime");
        let f = self.0.finish_ipc_connect(started);
        Box::pin(async move { f.await.map(|s| DynStream(Box::new(s))) })
    }
    fn connect_ipc(&self, path: PathBuf) -> BoxFuture<io::Result<DynStream>> {
        let f = self.0.connect_ipc(path);
        Box::pin(async move { f.await.map(|s| DynStream(Box::new(s))) })
    }
    fn listen(&self, at: &Endpoint, opts: &ListenOptions) -> Result<(DynListener, Endpoint), NetError> {
        let (l, ep) = self.0.listen(at, opts)?;
        Ok((DynListener(Box::new(l)), ep))
    }
}

/// Any runtime, behind a vtable.
#[derive(Clone)]
pub struct DynRt(Arc<dyn ObjRuntime>);

static CURRENT: OnceLock<fn() -> Option<DynRt>> = OnceLock::new();

impl DynRt {
    /// Make [`Runtime::try_current`] answer `R`'s current runtime, erased (once per process).
    pub fn install<R: Runtime>() {
        let _ = CURRENT.set(|| R::try_current().map(|r| Self(Arc::new(Erased(r)))));
    }
}

impl Runtime for DynRt {
    type Stream = DynStream;
    type Listener = DynListener;
    type IpcStarted = Box<dyn Any + Send>;
    type Timer = DynTimer;

    fn try_current() -> Option<Self> {
        CURRENT.get().and_then(|f| f())
    }
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.0.spawn(Box::pin(task));
    }
    fn now(&self) -> Instant {
        self.0.now()
    }
    fn timer(&self, at: Instant) -> DynTimer {
        self.0.timer(at)
    }
    fn lookup(&self, host: String) -> BoxFuture<io::Result<Vec<SocketAddr>>> {
        self.0.lookup(host)
    }
    fn connect_tcp(&self, to: SocketAddr, local: Option<SocketAddr>) -> BoxFuture<io::Result<DynStream>> {
        self.0.connect_tcp(to, local)
    }
    fn start_ipc_connect(&self, path: &Path) -> io::Result<Option<Self::IpcStarted>> {
        self.0.start_ipc_connect(path)
    }
    fn finish_ipc_connect(&self, started: Self::IpcStarted) -> BoxFuture<io::Result<DynStream>> {
        self.0.finish_ipc_connect(started)
    }
    fn connect_ipc(&self, path: PathBuf) -> BoxFuture<io::Result<DynStream>> {
        self.0.connect_ipc(path)
    }
    fn listen(&self, at: &Endpoint, opts: &ListenOptions) -> Result<(DynListener, Endpoint), NetError> {
        self.0.listen(at, opts)
    }
}
