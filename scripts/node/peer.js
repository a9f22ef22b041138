// A Node 26 peer for net-tokio's interop tests. Usage: node peer.js MODE [ARGS...]
// Prints one line per fact the Rust test checks; the first line of a server is "port N".
'use strict';
const net = require('net');

const [mode, ...args] = process.argv.slice(2);

function pattern(n) {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

// FNV-1a, 32 bit, over every chunk in order.
function fnv() {
  let h = 0x811c9dc5;
  return {
    add(buf) { for (const x of buf) { h ^= x; h = Math.imul(h, 0x01000193) >>> 0; } },
    hex() { return h.toString(16).padStart(8, '0'); },
  };
}

function receiver(sock, label) {
  const sum = fnv();
  let len = 0;
  sock.on('data', (d) => { len += d.length; sum.add(d); });
  return () => `${label} ${len} ${sum.hex()}`;
}

switch (mode) {
  case 'echo-server': {
    const halfOpen = args[0] === 'half-open';
    const server = net.createServer({ allowHalfOpen: halfOpen }, (sock) => {
      sock.on('error', (e) => console.log('conn-error', e.code));
      sock.on('data', (d) => sock.write(d));
      sock.on('end', () => { if (halfOpen) { sock.write('late'); sock.end(); } });
      sock.on('close', (hadError) => { console.log('conn-close', hadError); server.close(); });
    });
    server.listen(0, '127.0.0.1', () => console.log('port', server.address().port));
    break;
  }
  case 'client-echo': {
    const [port, bytes] = args.map(Number);
    const sock = net.connect(port, '127.0.0.1');
    const sent = pattern(bytes);
    const done = receiver(sock, 'received');
    sock.on('connect', () => { sock.write(sent); sock.end(); });
    sock.on('error', (e) => console.log('error', e.code));
    sock.on('close', (hadError) => { console.log(done()); console.log('close', hadError); });
    break;
  }
  case 'client-half-open': {
    const sock = net.connect({ port: Number(args[0]), host: '127.0.0.1', allowHalfOpen: true });
    let text = '';
    sock.on('connect', () => sock.end());
    sock.on('data', (d) => { text += d; });
    sock.on('end', () => console.log('end', JSON.stringify(text)));
    sock.on('close', (hadError) => console.log('close', hadError));
    break;
  }
  case 'client-slow': {
    const sock = net.connect(Number(args[0]), '127.0.0.1');
    sock.pause();
    const done = receiver(sock, 'received');
    setTimeout(() => sock.resume(), 300);
    sock.on('error', (e) => console.log('error', e.code));
    sock.on('close', (hadError) => { console.log(done()); console.log('close', hadError); });
    break;
  }
  case 'client-reset': {
    const sock = net.connect(Number(args[0]), '127.0.0.1');
    sock.on('connect', () => { sock.write('x'); setTimeout(() => sock.resetAndDestroy(), 100); });
    sock.on('close', (hadError) => console.log('close', hadError));
    break;
  }
  case 'client-events': {
    const sock = net.connect(Number(args[0]), '127.0.0.1');
    for (const ev of ['connect', 'ready', 'end', 'finish']) sock.on(ev, () => console.log(ev));
    sock.on('error', (e) => console.log('error', e.code));
    sock.on('close', (hadError) => console.log('close', hadError));
    break;
  }
  case 'server-send': {
    // Sends BYTES of the pattern to each connection, then ends.
    const bytes = Number(args[0]);
    const server = net.createServer((sock) => {
      sock.on('error', (e) => console.log('conn-error', e.code));
      const chunk = 1 << 20;
      let sent = 0;
      const more = () => {
        while (sent < bytes) {
          const n = Math.min(chunk, bytes - sent);
          const buf = Buffer.allocUnsafe(n);
          for (let i = 0; i < n; i++) buf[i] = ((sent + i) * 31 + 7) & 0xff;
          sent += n;
          if (!sock.write(buf)) { sock.once('drain', more); return; }
        }
        sock.end();
      };
      more();
      sock.on('close', () => server.close());
    });
    server.listen(0, '127.0.0.1', () => console.log('port', server.address().port));
    break;
  }
  case 'http-get': {
    // Two GETs over one keep-alive connection; prints "STATUS BODY" for each, then the socket count.
    const http = require('http');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set();
    const get = (n) => http.get({ host: '127.0.0.1', port: Number(args[0]), path: `/${n}`, agent }, (res) => {
      sockets.add(res.socket);
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        console.log(res.statusCode, JSON.stringify(body));
        if (n === 1) get(2); else { console.log('sockets', sockets.size); agent.destroy(); }
      });
    });
    get(1);
    break;
  }
  default:
    console.error('unknown mode', mode);
    process.exit(2);
}
