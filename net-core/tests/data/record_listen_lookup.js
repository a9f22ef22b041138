'use strict';
// What Node 26 does when server.listen() is given a host (it looks every host up first, IP
// literals too): the state right after listen(), close() before the answer, a second listen(),
// a name that does not resolve. The tests net-core/src/tests/server.rs (listen_host_*) follow
// it; the conformance scenarios server/listen-on-a-host-name and its neighbours record the same
// from Node for every backend.
// Usage: node record_listen_lookup.js > listen_lookup.txt
const net = require('net');
function t(label, f) { const s = net.createServer(); const ev = []; s.on('listening', () => ev.push('listening ' + JSON.stringify(s.address()))); s.on('error', e => ev.push('error ' + e.code)); s.on('close', () => { ev.push('close'); }); f(s, ev); setTimeout(() => { console.log(label, ev.join(' | ')); s.close(); }, 200); }
t('ip sync', (s, ev) => { s.listen(0, '127.0.0.1'); ev.push('after listen address=' + JSON.stringify(s.address()) + ' listening=' + s.listening); });
t('noip sync', (s, ev) => { s.listen(0); ev.push('after listen address=' + JSON.stringify(s.address()?.port > 0) + ' listening=' + s.listening); });
t('ip close', (s, ev) => { s.listen(0, '127.0.0.1'); s.close(e => ev.push('close cb ' + (e && e.code))); });
t('name close', (s, ev) => { s.listen(0, 'localhost'); s.close(e => ev.push('close cb ' + (e && e.code))); });
t('name', (s, ev) => { s.listen(0, 'localhost'); });
t('bad name', (s, ev) => { s.listen(0, 'no-such-host.invalid'); });
t('relisten', (s, ev) => { s.listen(0, 'localhost'); try { s.listen(0, '127.0.0.1'); ev.push('second listen ok'); } catch (e) { ev.push('second throws ' + e.code); } });
t('ip6', (s, ev) => { s.listen(0, '::1'); });
t('tick', (s, ev) => { s.listen(0, '127.0.0.1'); process.nextTick(() => ev.push('tick listening=' + s.listening)); setImmediate(() => ev.push('immediate listening=' + s.listening)); });
