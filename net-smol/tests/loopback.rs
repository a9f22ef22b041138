//! net-smol over real loopback TCP (IPv4, IPv6) and Unix sockets: the shared cases (written
//! once, in net-tokio's tests), plus an asynchronous-codec codec.

mod support;

use std::time::Duration;

use support::*;

include!("../../net-tokio/tests/shared/loopback.rs");

/// The socket is an `AsyncRead + AsyncWrite`: a line codec runs on top.
#[test]
fn framed_codec_over_socket() {
    run(async {
        use asynchronous_codec::{Framed, LinesCodec};
        use futures::{SinkExt, StreamExt};
        let (server, port) = listening(ServerOptions::default(), ListenOptions::tcp(LOCALHOST, 0)).await;
        let client = Framed::new(connect(port, "127.0.0.1"), LinesCodec);
        let conn = Framed::new(accept(&server).await, LinesCodec);
        let (mut client, mut conn) = (client, conn);
        client.send("ping\n".to_string()).await.unwrap();
        let line = timeout(LIMIT, conn.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(line, "ping\n");
        conn.send("pong\n".to_string()).await.unwrap();
        assert_eq!(timeout(LIMIT, client.next()).await.unwrap().unwrap().unwrap(), "pong\n");
        SinkExt::<String>::close(&mut client).await.unwrap();
        assert!(timeout(LIMIT, conn.next()).await.unwrap().is_none(), "EOF after the client's end");
    })
}
