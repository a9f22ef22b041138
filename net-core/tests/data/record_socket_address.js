'use strict';
// Records net.SocketAddress.parse() and new net.SocketAddress() verdicts
// from the running Node.js.
// Usage: node record_socket_address.js > socket_address.jsonl
// Output: one JSON object per line:
//   {"kind":"parse","input":s,"result":null|{address,port,family,flowlabel}}
//   {"kind":"new","input":opts,"result":{address,port,family,flowlabel}}
//   {"kind":"new","input":opts,"error":{name,code,message}}
//   {"kind":"new","input":opts,"crash":{signal,status,message}}
// Each `new` case runs in its own child process because some option values
// (e.g. flowlabel >= 2**20) hit a native assertion and abort the process.
const net = require('net');
const { spawnSync } = require('child_process');

function snapshot(sa) {
  return { address: sa.address, port: sa.port, family: sa.family, flowlabel: sa.flowlabel };
}

// Child mode: construct one SocketAddress from argv JSON, print the outcome.
if (process.argv[2] === '--child') {
  const opts = JSON.parse(process.argv[3]);
  let out;
  try {
    out = { result: snapshot(new net.SocketAddress(opts)) };
  } catch (e) {
    out = { error: { name: e.name, code: e.code, message: e.message } };
  }
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

const parseInputs = [
  // IPv4 host[:port]
  '127.0.0.1:8080', '127.0.0.1', '127.0.0.1:', '0.0.0.0:0', '1.2.3.4:80', '1.2.3.4:0080',
  '1.2.3.4:081', '1.2.3.4:65535', '1.2.3.4:65536', '1.2.3.4:-1', '1.2.3.4:0', '1.2.3.4:00',
  '1.2.3.4:99999', '1.2.3.4:4294967376', '1.2.3.4:+80', '1.2.3.4: 80', '1.2.3.4:80 ',
  '1.2.3.4:8a', '1.2.3.4:0x50', '1.2.3.4:80:90', '1.2.3.4::80', '1.2.3.4:1e2',
  '1.2.3.4:8\t0', '1.2.3.4:8\n0',
  // http default port 80 is dropped by the URL parser -> port 0
  '1.2.3.4:443', '1.2.3.4:080', '1.2.3.4:8080', '[::1]:80', '[::1]:8080',
  // IPv4 oddities (WHATWG URL host parser)
  '127.1', '127.1:80', '0x7f.0.0.1', '0x7F.0.0.1:1', '2130706433', '2130706433:80', '01.2.3.4',
  '0177.0.0.1', '1.2.3.04', '256.0.0.1', '1.2.3.4.', '1.2.3.4.:80', '1.2.3', '4294967295',
  '4294967296', '1.2.3.08', '\uff11\uff12\uff17.\uff10.\uff10.\uff11', '1\u30022.3.4',
  // path / query / fragment / userinfo
  '1.2.3.4:81/path?q', '1.2.3.4/path', '1.2.3.4?q', '1.2.3.4#frag', '1.2.3.4:81#frag',
  'user@1.2.3.4:81', 'user:pw@1.2.3.4:81', '@1.2.3.4', '1.2.3.4\\x', '1.2.3.4:80\\x', '#', '?',
  '/', '@',
  // whitespace
  '1.2.3.4 ', ' 1.2.3.4', ' 1.2.3.4:80 ', '1.2.\t3.4', '1.2.3.4\t', '1.2.\n3.4:80',
  '\t1.2.3.4', '1.2.3.4\u00a0', '1.2. 3.4',
  // IPv6
  '[::1]:443', '[::1]', '[::1]:', '[FE80::ABCD]:1', '[::ffff:1.2.3.4]:5', '[::]:0',
  '[0:0:0:0:0:0:0:1]:80', '[2001:DB8::0001]:65535', '[::1]:65536', '[::1]:0080', '[::1]x',
  '[::1]:80:90', '[1.2.3.4]:80', '[::1', '::1]', '::1', '::1:80', '1:2:3:4:5:6:7:8',
  '[::1 ]:80', '[ ::1]:80', '[::1]/path', 'user@[::1]:8', '[::ffff:7f00:1]:1',
  '[::ffff:127.0.0.1]',
  // zones
  '[fe80::1%25eth0]:80', '[fe80::1%eth0]', '[fe80::1%25eth0]', '[fe80::1%251]:1', '[fe80::1%1]',
  // host names / misc
  'localhost', 'localhost:80', 'example.com:443', 'EXAMPLE.COM', 'http', 'http:80',
  'http://1.2.3.4', 'xn--nxasmq6b', '\u00fcber.de', 'a b', '', ':80', ':', '[]:80', '[]',
  '0', '0:80', '1', '%', '%31.2.3.4', '1.2.3.4%', '\u0000', '1.2.3.4\u0000',
];

const newInputs = [
  {},
  { family: 'ipv4' },
  { family: 'ipv6' },
  { family: 'IPv6' },
  { family: 'IPV4' },
  { address: '::1' },
  { address: '::1', family: 'ipv6' },
  { address: '0:0:0:0:0:0:0:1', family: 'IPv6' },
  { address: '1.2.3.4', family: 'IPV4' },
  { address: '::1', family: 'Ipv6' },
  { address: '::1', family: 'IPV6' },
  { address: '1.2.3.4', family: 'IPv4' },
  { address: '1.2.3.4', family: 'ipv5' },
  { family: 'ipv5' },
  { family: '' },
  { family: 4 },
  { family: 6 },
  { family: null },
  { address: '1.2.3.4', port: 80 },
  { address: '1.2.3.4', port: '80' },
  { address: '1.2.3.4', port: '' },
  { address: '1.2.3.4', port: ' 80 ' },
  { address: '1.2.3.4', port: '0x50' },
  { address: '1.2.3.4', port: 0 },
  { address: '1.2.3.4', port: 65535 },
  { address: '1.2.3.4', port: 65536 },
  { address: '1.2.3.4', port: 70000 },
  { address: '1.2.3.4', port: -1 },
  { address: '1.2.3.4', port: 1.5 },
  { address: '1.2.3.4', port: 'abc' },
  { address: '1.2.3.4', port: null },
  { address: '1.2.3.4', port: true },
  { address: '1.2.3.4', port: false },
  { address: '1.2.3.4', flowlabel: 5 },
  { address: '1.2.3.4', flowlabel: 1048576 },
  { address: '1.2.3.4', flowlabel: -1 },
  { address: '::1', family: 'ipv6', flowlabel: 5 },
  { address: '::1', family: 'ipv6', flowlabel: 0 },
  { address: '::1', family: 'ipv6', flowlabel: -1 },
  { address: '::1', family: 'ipv6', flowlabel: 1048576 },
  { address: '::1', family: 'ipv6', flowlabel: 1048575 },
  { address: '::1', family: 'ipv6', flowlabel: 4294967295 },
  { address: '::1', family: 'ipv6', flowlabel: 4294967296 },
  { address: '::1', family: 'ipv6', flowlabel: 2147483648 },
  { address: '::1', family: 'ipv6', flowlabel: 1.5 },
  { address: '::1', family: 'ipv6', flowlabel: '5' },
  { address: '::1', family: 'ipv6', flowlabel: null },
  { address: 'nope' },
  { address: 'nope', family: 'ipv6' },
  { address: 'localhost' },
  { address: '01.2.3.4' },
  { address: '127.1' },
  { address: '0x7f.0.0.1' },
  { address: '1.2.3.4', family: 'ipv6' },
  { address: '::1', family: 'ipv4' },
  { address: '::ffff:1.2.3.4', family: 'ipv6' },
  { address: 'fe80::1%eth0', family: 'ipv6' },
  { address: 'fe80::1%25eth0', family: 'ipv6' },
  { address: '[::1]', family: 'ipv6' },
  { address: 'FE80::ABCD', family: 'ipv6' },
  { address: '0001:0000::0001', family: 'ipv6' },
  { address: ' 1.2.3.4' },
  { address: '1.2.3.4 ' },
  { address: '' },
  { address: '', family: 'ipv6' },
  { address: 123 },
  { address: null },
  { address: true },
  { address: '1.2.3.4', port: 80, family: 'ipv4', flowlabel: 0 },
  { address: '::', port: 0, family: 'ipv6', flowlabel: 0 },
];

const lines = [];

const seenParse = new Set();
for (const s of parseInputs) {
  if (typeof s !== 'string') throw new Error(`not a string: ${s}`);
  if (seenParse.has(s)) throw new Error(`duplicate parse input: ${JSON.stringify(s)}`);
  seenParse.add(s);
  const r = net.SocketAddress.parse(s);
  lines.push({ kind: 'parse', input: s, result: r === undefined ? null : snapshot(r) });
}

const seenNew = new Set();
for (const opts of newInputs) {
  const key = JSON.stringify(opts);
  if (JSON.stringify(JSON.parse(key)) !== key) throw new Error(`not JSON-representable: ${key}`);
  if (seenNew.has(key)) throw new Error(`duplicate new input: ${key}`);
  seenNew.add(key);
  const child = spawnSync(process.execPath, [__filename, '--child', key], { encoding: 'utf8' });
  if (child.error) throw child.error;
  if (child.status === 0 && child.signal === null) {
    lines.push({ kind: 'new', input: opts, ...JSON.parse(child.stdout) });
  } else {
    const m = /Assertion failed: [^\n]*/.exec(child.stderr);
    lines.push({
      kind: 'new', input: opts,
      crash: { signal: child.signal, status: child.status, message: m ? m[0].trim() : null },
    });
  }
}

process.stdout.write(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
