//! net-tokio over real loopback TCP (IPv4, IPv6) and Unix sockets: the shared cases, plus a
//! tokio-util codec.

mod support;

use std::time::Duration;

use support::*;

include!("shared/loopback.rs");

/// The socket is an `AsyncRead + AsyncWrite`: a line codec runs on top.
#[test]
fn framed_codec_over_socket() {
    run(async {
        use futures::{SinkExt, StreamExt};
        use tokio_util::codec::{Framed, LinesCodec};
        let (server, port) = listening(ServerOptions::default(), ListenOptions::tcp(LOCALHOST, 0)).await;
        let client = Framed::new(connect(port, "127.0.0.1"), LinesCodec::new());
        let conn = Framed::new(accept(&server).await, LinesCodec::new());
        let (mut client, mut conn) = (client, conn);
        client.send("ping").await.unwrap();
        let line = timeout(LIMIT, conn.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(line, "ping");
        conn.send("pong").await.unwrap();
        assert_eq!(timeout(LIMIT, client.next()).await.unwrap().unwrap().unwrap(), "pong");
        SinkExt::<String>::close(&mut client).await.unwrap();
        assert!(timeout(LIMIT, conn.next()).await.unwrap().is_none(), "EOF after the client's end");
    })
}
