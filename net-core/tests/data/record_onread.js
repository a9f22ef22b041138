// What Node 26 does with onread ({buffer, callback}): a 4-byte buffer, ten bytes and a FIN, the
// callback returning false on its second call: the handle stops (isPaused() false,
// readableLength 0, bytesRead 8: the rest stays in the kernel), resume() reads on. The loopback
// tests onread_through_the_users_buffer (net-tokio, net-smol) and onread_on_the_loop (net-mio)
// follow it. Usage: node record_onread.js > onread.txt
const net = require('net');
const srv = net.createServer(c => { c.end('abcdefghij'); }).listen(0, '127.0.0.1', () => {
  const got = [];
  const s = net.connect({ port: srv.address().port, onread: { buffer: Buffer.alloc(4), callback(n, buf) { got.push(buf.toString('latin1', 0, n)); return got.length !== 2; } } });
  s.on('data', d => got.push('DATA ' + d));
  s.on('end', () => { got.push('end'); });
  s.on('close', () => { console.log(got.join(' | '), 'bytesRead', s.bytesRead); srv.close(); });
  setTimeout(() => { console.log('paused', s.isPaused(), 'readableLength', s.readableLength, 'bytesRead', s.bytesRead, got.join(',')); s.resume(); }, 100);
});
