'use strict';
// What Node 26 does with a connect's own lookup (options.lookup): what it is asked (dnsopts),
// the lookup events, Node's checks of the answers, and an answer whose family is not its
// address's (the attempt then fails EINVAL at once). net-core/src/tests/connect.rs (custom_lookup_*)
// follows it; the conformance scenarios lookup/custom-lookup-* record the rest for every backend.
// Usage: node record_custom_lookup.js > custom_lookup.txt
const net = require('net');
const srv = net.createServer(s => s.end()).listen(0, '127.0.0.1', async () => {
  const port = srv.address().port;
  function t(label, opts, lookup, after) {
    return new Promise(res => {
      const ev = [];
      let s;
      const o = Object.assign({ host: 'example.test', port }, opts);
      if (lookup) o.lookup = (host, dopts, cb) => { ev.push('lookup called ' + host + ' ' + JSON.stringify(dopts)); lookup(host, dopts, cb, () => s); };
      s = new net.Socket();
      s.on('lookup', (err, ip, fam, host) => ev.push('lookup ' + (err ? err.code : null) + ' ' + JSON.stringify(ip) + ' ' + JSON.stringify(fam) + ' ' + host));
      s.on('connectionAttempt', (ip, p, f) => ev.push('attempt ' + ip + ' ' + f));
      s.on('connectionAttemptFailed', (ip, p, f, e) => ev.push('attemptFailed ' + ip + ' ' + f + ' ' + e.code));
      s.on('connect', () => { ev.push('connect ' + s.remoteAddress); });
      s.on('error', e => ev.push('error ' + e.code + ' ' + JSON.stringify(e.message)));
      s.on('close', () => { ev.push('close'); console.log(label, ev.join(' | ')); res(); });
      s.on('data', () => {});
      try { s.connect(o); } catch (e) { console.log(label, 'throws', e.code, e.message); return res(); }
      ev.push('after connect');
      if (after) after(s, ev);
    });
  }
  const A = (list) => (h, d, cb) => d.all ? cb(null, list) : cb(null, list[0].address, list[0].family);
  await t('sync single', { autoSelectFamily: false }, A([{ address: '127.0.0.1', family: 4 }]));
  await t('async single', { autoSelectFamily: false }, (h, d, cb) => setImmediate(() => cb(null, '127.0.0.1', 4)));
  await t('single bad ip', { autoSelectFamily: false }, (h, d, cb) => cb(null, 'nope', 4));
  await t('single bad family', { autoSelectFamily: false }, (h, d, cb) => cb(null, '127.0.0.1', 5));
  await t('single family mismatch', { autoSelectFamily: false }, (h, d, cb) => cb(null, '127.0.0.1', 6));
  await t('single err', { autoSelectFamily: false }, (h, d, cb) => { const e = new Error('boom'); e.code = 'EBOOM'; cb(e); });
  await t('single undefined ip', { autoSelectFamily: false }, (h, d, cb) => cb(null));
  await t('all valid', {}, A([{ address: '127.0.0.1', family: 4 }]));
  await t('all one bad one good', {}, A([{ address: 'nope', family: 4 }, { address: '127.0.0.1', family: 4 }]));
  await t('all bad ip', {}, A([{ address: 'nope', family: 4 }, { address: 'x', family: 4 }]));
  await t('all bad family', {}, A([{ address: '127.0.0.1', family: 5 }]));
  await t('all family mismatch', {}, A([{ address: '127.0.0.1', family: 6 }]));
  await t('all two', {}, A([{ address: '127.0.0.2', family: 4 }, { address: '127.0.0.1', family: 4 }]));
  await t('all dup', {}, A([{ address: '127.0.0.1', family: 4 }, { address: '127.0.0.1', family: 4 }]));
  await t('all err', {}, (h, d, cb) => { const e = new Error('boom'); e.code = 'EBOOM'; cb(e); });
  await t('opts family4', { family: 4 }, A([{ address: '127.0.0.1', family: 4 }]));
  await t('opts family6', { family: 6 }, A([{ address: '127.0.0.1', family: 4 }]));
  await t('opts IPv4', { family: 'IPv4' }, A([{ address: '127.0.0.1', family: 4 }]));
  await t('opts local', { localAddress: '127.0.0.1' }, A([{ address: '127.0.0.1', family: 4 }]));
  await t('opts hints', { hints: 1024 }, A([{ address: '127.0.0.1', family: 4 }]));
  await t('opts hints family', { hints: 8, family: 4 }, A([{ address: '127.0.0.1', family: 4 }]));
  await t('ip literal', { host: '127.0.0.1' }, A([{ address: '127.0.0.1', family: 4 }]));
  await t('not a function', { lookup: 5 }, null);
  await t('bad hints default lookup', { host: 'localhost', hints: 12345 }, null);
  await t('bad family default lookup', { host: 'localhost', family: 5 }, null);
  await t('bad family custom lookup', { family: 5 }, A([{ address: '127.0.0.1', family: 4 }]));
  await t('destroy before answer single', { autoSelectFamily: false }, (h, d, cb) => setImmediate(() => cb(null, '127.0.0.1', 4)), (s) => s.destroy());
  await t('destroy before answer all', {}, (h, d, cb) => setImmediate(() => cb(null, [{ address: '127.0.0.1', family: 4 }])), (s) => s.destroy());

  await t('multi mismatch first', {}, A([{ address: '127.0.0.1', family: 6 }, { address: '127.0.0.1', family: 4 }]));
  await t('multi mismatch second', {}, A([{ address: '127.0.0.2', family: 4 }, { address: '127.0.0.1', family: 6 }]));
  await t('v6 literal claimed 4', {}, A([{ address: '::1', family: 4 }]));
  srv.close();
});
