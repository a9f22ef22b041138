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

/// An `AsyncRead` reader that stops at EOF still ends its side (the owed automatic end runs), so
/// the peer gets `end` and `close`; a write after `end()` through `AsyncWrite` is an error.
#[test]
fn async_read_to_eof_then_nothing() {
    use futures::{AsyncReadExt, AsyncWriteExt};
    run(async {
        let (server, port) = listening(ServerOptions::default(), ListenOptions::tcp(LOCALHOST, 0)).await;
        let client = connect(port, "127.0.0.1");
        client.write("bytes then FIN");
        client.end();
        let mut conn = accept(&server).await;
        let mut got = Vec::new();
        timeout(LIMIT, conn.read_to_end(&mut got)).await.unwrap().unwrap();
        assert_eq!(got, b"bytes then FIN");
        let events = until_close(&client).await;
        assert_eq!(events[events.len() - 2..], ["end", "close had_error=false"]);
        let mut other = connect(port, "127.0.0.1");
        other.end();
        assert!(other.write_all(b"late").await.is_err(), "write after end must fail");
    })
}
