// What Node 26's bytesWritten keeps when the peer's reset fails queued writes: the write handed
// to libuv (the kernel would not take it at once) stays counted, the one buffered behind it
// leaves with the buffer. net-core's a_queued_write_failed_by_a_reset_stays_in_bytes_written
// follows it. Usage: node record_bytes_written_after_reset.js > bytes_written_after_reset.txt
'use strict';
const net = require('net');
const srv = net.createServer(a => {
  a.on('error', e => console.log('a error', e.code, 'bytesWritten', a.bytesWritten, 'writableLength', a.writableLength));
  a.on('close', () => { console.log('a close bytesWritten', a.bytesWritten); srv.close(); });
  a.write(Buffer.alloc(9));
  const big = Buffer.alloc(16 << 20);
  console.log('big write ok', a.write(big), 'bytesWritten', a.bytesWritten, 'writableLength', a.writableLength);
  console.log('small write ok', a.write(Buffer.alloc(5)), 'bytesWritten', a.bytesWritten, 'writableLength', a.writableLength);
  setTimeout(() => c.resetAndDestroy(), 50);
});
let c;
srv.listen(0, '127.0.0.1', () => { c = net.connect(srv.address().port, '127.0.0.1'); c.pause(); c.on('error', () => {}); });
