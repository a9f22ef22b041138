'use strict';
// What Node 26 answers to getTypeOfService/setTypeOfService through a socket's life (TCP over
// IPv4 and IPv6, Unix sockets, an accepted socket; before, while and after connecting). The
// backend test type_of_service_like_node (net-tokio/tests/shared/loopback.rs) follows it.
// Usage: node record_tos_lifecycle.js > tos_lifecycle.txt
const net = require('net');
function safe(f) { try { return f(); } catch (e) { return 'THROWS ' + e.code + ' ' + e.message; } }
if (process.argv[2] === '--connecting') {
  connecting();
} else {
  lifecycle();
}

function lifecycle() {
const os = require('os'); const path = require('path');
async function trial(label, listenArgs, connectOpts, pre, post) {
  const srv = net.createServer(c => { c.on('error', ()=>{}); });
  await new Promise(r => srv.listen(...listenArgs, r));
  const a = srv.address();
  const opts = typeof a === 'string' ? { path: a, ...connectOpts } : { port: a.port, host: listenArgs[1], ...connectOpts };
  const s = new net.Socket(pre !== undefined ? { typeOfService: pre } : {});
  const out = [];
  try { s.connect(opts); } catch (e) { out.push('connect throws ' + e.code); }
  out.push('connecting tos=' + safe(() => s.getTypeOfService()));
  await new Promise(r => { s.on('connect', r); s.on('error', e => { out.push('error ' + e.code); r(); }); });
  out.push('connected tos=' + safe(() => s.getTypeOfService()));
  if (post !== undefined) { out.push('set ' + post + ' -> ' + safe(() => s.setTypeOfService(post) === s)); out.push('after set tos=' + safe(() => s.getTypeOfService())); }
  s.destroy();
  await new Promise(r => s.on('close', r));
  out.push('closed tos=' + safe(() => s.getTypeOfService()));
  out.push('closed set 8 -> ' + safe(() => s.setTypeOfService(8) === s) + ' tos=' + safe(() => s.getTypeOfService()));
  srv.close();
  console.log(label, out.join(' | '));
}
(async () => {
  await trial('v4 pre16', [0, '127.0.0.1'], {}, 16);
  await trial('v4 pre3', [0, '127.0.0.1'], {}, 3);
  await trial('v4 post16', [0, '127.0.0.1'], {}, undefined, 16);
  await trial('v4 post3', [0, '127.0.0.1'], {}, undefined, 3);
  await trial('v4 post255', [0, '127.0.0.1'], {}, undefined, 255);
  await trial('v6 pre16', [0, '::1'], {}, 16);
  await trial('v6 post3', [0, '::1'], {}, undefined, 3);
  await trial('v6 post255', [0, '::1'], {}, undefined, 255);
  const p = path.join(os.tmpdir(), 'tos' + process.pid + '.sock');
  await trial('ipc pre16', [p], {}, 16);
  await trial('ipc post16', [p], {}, undefined, 16);
  // accepted socket
  const srv = net.createServer(c => { console.log('accepted tos', safe(()=>c.getTypeOfService()), 'set 32', safe(()=>c.setTypeOfService(32)===c), '->', safe(()=>c.getTypeOfService())); c.destroy(); srv.close(); });
  srv.listen(0, '127.0.0.1', () => { net.connect(srv.address().port, '127.0.0.1').on('error', ()=>{}); });
  await new Promise(r => setTimeout(r, 100));
  require('child_process').spawnSync(process.execPath, [__filename, '--connecting'], { stdio: 'inherit' });
})();
}

function connecting() {
const srv = net.createServer(c => c.on('error', ()=>{}));
srv.listen(0, '127.0.0.1', async () => {
  const port = srv.address().port;
  for (const host of ['127.0.0.1', 'localhost']) {
    await new Promise(done => {
      const s = net.connect({port, host, typeOfService: 16});
      const out = [];
      out.push('sync get=' + safe(() => s.getTypeOfService()));
      out.push('sync set 16=' + safe(() => s.setTypeOfService(16) === s));
      out.push('sync set 20=' + safe(() => s.setTypeOfService(20) === s));
      out.push('sync get=' + safe(() => s.getTypeOfService()));
      process.nextTick(() => out.push('tick get=' + safe(() => s.getTypeOfService())));
      setImmediate(() => out.push('immediate get=' + safe(() => s.getTypeOfService())));
      s.on('lookup', () => out.push('lookup get=' + safe(() => s.getTypeOfService())));
      s.on('connectionAttempt', () => out.push('attempt get=' + safe(() => s.getTypeOfService()) + ' set 24=' + safe(() => s.setTypeOfService(24) === s) + ' get=' + safe(() => s.getTypeOfService())));
      s.on('connect', () => { out.push('connect get=' + safe(() => s.getTypeOfService())); s.destroy(); });
      s.on('error', e => out.push('error ' + e.code + ' ' + e.syscall));
      s.on('close', () => { out.push('close get=' + safe(() => s.getTypeOfService())); console.log(host, out.join(' | ')); done(); });
    });
  }
  srv.close();
});
}
