'use strict';
// What Node 26's net.BoundSocket does (bind now, address/fd/close, adoption by listen(),
// ERR_SOCKET_HANDLE_ADOPTED, bind errors). The backend tests bound_socket_like_node follow it.
// Usage: node record_bound_socket.js > bound_socket.txt
const net = require('net');
function safe(f) { try { return f(); } catch (e) { return 'THROWS ' + e.code + ' ' + e.message; } }
console.log(typeof net.BoundSocket, net.BoundSocket && Object.getOwnPropertyNames(net.BoundSocket.prototype));
const b = safe(() => new net.BoundSocket({ host: '127.0.0.1', port: 0 }));
console.log('bound', typeof b === 'string' ? b : JSON.stringify(b.address()), safe(() => typeof b.fd()), safe(() => b.isPipe));
console.log('ctor no new', safe(() => net.BoundSocket({ port: 0 })));
console.log('bad port', safe(() => new net.BoundSocket({ port: 70000 })));
console.log('no opts', safe(() => { const x = new net.BoundSocket(); const a = x.address(); x.close(); return JSON.stringify(a); }));
console.log('in use', safe(() => new net.BoundSocket({ host: '127.0.0.1', port: b.address().port })));
const s = net.createServer();
s.listen(b, () => {
  console.log('listening', JSON.stringify(s.address()));
  console.log('after adopt address', safe(() => b.address()), 'fd', safe(() => b.fd()), 'close', safe(() => b.close()));
  s.close(() => {
    const c = new net.BoundSocket({ host: '127.0.0.1', port: 0 });
    console.log('close', safe(() => c.close()), 'address after close', safe(() => c.address()), 'close twice', safe(() => c.close()), 'listen closed', safe(() => net.createServer().listen(c)));
    const p = require('path').join(require('os').tmpdir(), 'b' + process.pid + '.sock');
    const d = safe(() => new net.BoundSocket({ path: p }));
    console.log('pipe', typeof d === 'string' ? d : JSON.stringify(d.address()) + ' isPipe=' + d.isPipe);
    if (typeof d !== 'string') d.close();
    const e = new net.BoundSocket({ host: '127.0.0.1', port: 0 });
    const sock = safe(() => new net.Socket({ handle: e }));
    console.log('socket handle', typeof sock === 'string' ? sock : 'ok ' + sock.readyState);
  });
});

setTimeout(() => {

  const safe2 = (f) => { try { const r = f(); return r && r.address ? JSON.stringify(r.address()) : String(r); } catch (e) { return 'THROWS ' + e.code + ' syscall=' + e.syscall + ' ' + e.message; } };
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const port = s.address().port;
    console.log('on a listening port', safe2(() => new net.BoundSocket({ host: '127.0.0.1', port })));
    console.log('not local', safe2(() => new net.BoundSocket({ host: '10.9.9.9', port: 0 })));
    console.log('name host', safe2(() => new net.BoundSocket({ host: 'localhost', port: 0 })));
    console.log('v6', safe2(() => new net.BoundSocket({ host: '::1', port: 0 })));
    console.log('path missing dir', safe2(() => new net.BoundSocket({ path: '/nonexistent/x.sock' })));
    const b = new net.BoundSocket({ host: '127.0.0.1', port: 0 });
    const srv = net.createServer(); srv.on('error', e => console.log('listen error', e.code)); 
    srv.listen(b); console.log('sync after listen(bound): listening=' + srv.listening, 'address=' + JSON.stringify(srv.address()));
    srv.on('listening', () => { console.log('listening event'); srv.close(); s.close(); });
  });
}, 300);

// Adopted by a connect (`net.connect({port, host, handle})`): the bound port is the socket's
// local port (synchronously), the BoundSocket is adopted, localPort with a handle throws (the
// BoundSocket adopted all the same), a name is looked up once.
setTimeout(() => {
  const srv = net.createServer(c => c.end()).listen(0, '127.0.0.1', () => {
    const port = srv.address().port;
    const b = new net.BoundSocket({ host: '127.0.0.1', port: 0 });
    const bport = b.address().port;
    const s = net.connect({ port, host: '127.0.0.1', handle: b });
    console.log('connect(handle): local port is the bound one:', s.localPort === bport, 'connecting=' + s.connecting);
    try { b.address(); } catch (e) { console.log('bound after connect(handle):', e.code); }
    s.on('connect', () => console.log('connect(handle) connected, local port still the bound one:', s.localPort === bport));
    s.on('close', () => {
      const b2 = new net.BoundSocket({ host: '127.0.0.1', port: 0 });
      try { net.connect({ port, host: '127.0.0.1', handle: b2, localPort: 5 }); } catch (e) { console.log('connect(handle) with localPort:', e.code); }
      try { b2.address(); } catch (e) { console.log('bound after the refused connect(handle):', e.code); }
      const b3 = new net.BoundSocket({ host: '127.0.0.1', port: 0 });
      const s3 = net.connect({ port, host: 'localhost', handle: b3 });
      let lookups = 0;
      s3.on('lookup', () => lookups++);
      s3.on('connect', () => { console.log('connect(handle) by name: lookup events=' + lookups); s3.destroy(); srv.close(); });
      s3.on('error', e => { console.log('connect(handle) by name: error', e.code); srv.close(); });
    });
    s.on('error', () => {});
  });
}, 900);
