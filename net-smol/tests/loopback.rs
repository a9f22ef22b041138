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

/// The io-trait view half-closes as a `TcpStream` does: a reader at EOF keeps its side open,
/// so a reply written after EOF still reaches the peer, and `close` sends the FIN (the peer
/// gets `end`, then `close`). A write after `end()` through `AsyncWrite` is a broken pipe.
#[test]
fn async_read_to_eof_then_reply_then_close() {
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
        timeout(LIMIT, conn.write_all(b"reply after EOF")).await.unwrap().unwrap();
        timeout(LIMIT, conn.close()).await.unwrap().unwrap();
        let events = until_close(&client).await;
        assert_eq!(events[events.len() - 3..], ["data 15B", "end", "close had_error=false"], "{events:?}");
        let mut other = connect(port, "127.0.0.1");
        other.end();
        let err = other.write_all(b"late").await.expect_err("write after end must fail");
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
    })
}
