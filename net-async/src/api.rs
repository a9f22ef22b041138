//! The public surface a runtime adapter crate gives its users, written once: `net_tokio::Socket`
//! and `net_smol::Socket` are the same aliases over their runtime.

/// Declare a runtime crate's public names over the [`Runtime`](crate::Runtime) `$rt`: `Rt`,
/// `Socket`, `Server`, `ServerEvent`, `Write`, `connect`, `connect_path`, `connect_path_with`,
/// `create_server`, and Node's option and event types. Switching runtime stays a change of
/// import.
#[macro_export]
macro_rules! runtime_api {
    ($rt:ty) => {
        pub use $crate::{
            BindOptions, BoundSocket, Chunk, ConnectOptions, DEFAULT_BACKLOG, Endpoint, KeepAlive,
            ListenOptions, NetError, ReadyState, ServerOptions, SocketEvent, SocketHandle, SocketOptions,
        };

        /// The runtime this crate's sockets run on.
        pub type Rt = $rt;

        /// A Node `net.Socket` on this crate's runtime ([`net_async::Socket`]): Node's commands
        /// and events, and the runtime's `AsyncRead + AsyncWrite`. Made on the runtime of the
        /// calling context (its IO and tasks belong to it).
        pub type Socket = $crate::Socket<Rt>;

        /// A Node `net.Server` on this crate's runtime ([`net_async::Server`]).
        pub type Server = $crate::Server<Rt>;

        /// What a server tells its user: `listening`, `connection(Socket)`, `drop`, `error`,
        /// `close`.
        pub type ServerEvent = $crate::ServerEvent<Rt>;

        /// What [`Socket::write`] answered: Node's boolean, or awaited, `io::Result<usize>`.
        pub type Write<'a> = $crate::Write<'a, Rt>;

        /// `net.connect(port, host)`: a socket connecting by name or address with Node's
        /// defaults.
        ///
        /// # Panics
        /// Outside the runtime (the socket's IO is registered with the current one).
        pub fn connect(port: u16, host: &str) -> Socket {
            $crate::connect(port, host)
        }

        /// `net.connect(path)`: a socket connecting to a Unix-domain socket.
        ///
        /// # Panics
        /// Outside the runtime.
        pub fn connect_path(path: impl Into<std::path::PathBuf>) -> Socket {
            $crate::connect_path(path)
        }

        /// `net.connect({path, ...options})`: a Unix-domain socket with these socket options.
        ///
        /// # Panics
        /// Outside the runtime.
        pub fn connect_path_with(path: impl Into<std::path::PathBuf>, opts: SocketOptions) -> Socket {
            $crate::connect_path_with(path, opts)
        }

        /// `net.createServer(options)`.
        pub fn create_server(opts: ServerOptions) -> Server {
            $crate::create_server(opts)
        }

        /// Node's `net/promises` on this crate's runtime ([`net_async::promises`]).
        pub mod promises {
            use super::{
                ConnectOptions, ListenOptions, NetError, Server, ServerOptions, Socket, SocketOptions,
            };

            /// `await net.promises.connect(options)`: the socket once connected, or the error
            /// that destroyed it; dropped before it finishes, the socket is destroyed.
            pub async fn connect(connect: ConnectOptions, opts: SocketOptions) -> Result<Socket, NetError> {
                $crate::promises::connect(connect, opts).await
            }

            /// `await net.promises.listen(options)`: the server once listening, or its
            /// listen's error; dropped before it finishes, the server is dropped.
            pub async fn listen(server_opts: ServerOptions, opts: ListenOptions) -> Result<Server, NetError> {
                $crate::promises::listen(server_opts, opts).await
            }
        }
    };
}
