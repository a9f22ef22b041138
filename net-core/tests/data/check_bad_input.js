// Runs every row of tests/bad_input.rs in Node and reports the rows whose `node` column is not
// what this Node answers. Usage (from the workspace root):
//
//   BAD_INPUT_DUMP=/tmp/bad_input.jsonl cargo test -p net-core --test bad_input dump_rows
//   .tools/node26/bin/node --expose-internals net-core/tests/data/check_bad_input.js /tmp/bad_input.jsonl
//
// It binds and connects on loopback and under /tmp/nc-bad-input/ (nothing leaves the machine),
// and runs from a scratch directory, since `listen('abc')` creates a socket file named abc.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const net = require('net');
const { validatePort } = require('internal/validators');

const rows = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const ipcDir = rows.find((r) => r.table === 'ipc_dir').input;
fs.mkdirSync(ipcDir, { recursive: true });
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'nc-bad-input-'));
process.chdir(scratch);

const ok = (v) => ({ ok: String(v) });
const fail = (e) => ({ code: e.code ?? null, message: e.message, name: e.name });
const evaluate = (text) => (0, eval)(`(${text})`); // eslint-disable-line no-eval
const list = (text) => (0, eval)(`[${text}]`); // eslint-disable-line no-eval
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const renderAddress = (a) => `${a.address} ${a.port} ${a.family} ${a.flowlabel}`;

function sync(f) {
  try {
    return f();
  } catch (e) {
    return fail(e);
  }
}

// net.connect(options): a synchronous throw, or what the socket went on to do.
async function connect(text) {
  const s = new net.Socket();
  let seen;
  s.on('error', () => {});
  s.on('lookup', () => { seen ??= 'tcp'; });
  s.on('connectionAttempt', (ip, port) => { seen ??= port === undefined ? `ipc ${ip}` : 'tcp'; });
  try {
    s.connect(evaluate(text));
  } catch (e) {
    return fail(e);
  }
  for (let i = 0; i < 50 && seen === undefined; i++) await sleep(10);
  s.destroy();
  return ok(seen ?? 'nothing happened');
}

function listen(arg) {
  const s = net.createServer();
  s.on('error', () => {});
  try {
    s.listen(arg);
  } catch (e) {
    return fail(e);
  }
  const r = ok(s._pipeName !== undefined ? `ipc ${s._pipeName}` : 'tcp');
  s.close();
  return r;
}

function blockList(text) {
  const b = new net.BlockList();
  const m = /^addRangeIp\((.*)\)$/.exec(text);
  return sync(() => {
    if (m) {
      const sa = (a) => new net.SocketAddress({ address: a, family: net.isIPv6(a) ? 'ipv6' : 'ipv4' });
      const [a, z] = list(m[1]);
      b.addRange(sa(a), sa(z));
    } else {
      (0, eval)(`(b) => b.${text}`)(b); // eslint-disable-line no-eval
    }
    return ok(JSON.stringify(b.rules));
  });
}

function ipcPath(bytes, fill) {
  if (fill === 'abstract') return '\0' + 'a'.repeat(bytes - 1);
  let p = ipcDir;
  while (Buffer.byteLength(p) < bytes) p += fill;
  return p;
}

async function ipc(text) {
  const [kind, bytes, fill] = text.split(' ');
  const p = ipcPath(Number(bytes), fill);
  const hide = (e) => ({ code: e.code, message: e.message.replace(p, '<path>') });
  return new Promise((resolve) => {
    if (kind === 'connect') {
      const s = new net.Socket();
      let attempted = false;
      s.on('connectionAttemptFailed', () => { attempted = true; });
      s.on('error', (e) => resolve(attempted ? ok('attempted') : hide(e)));
      s.connect(p);
    } else {
      const s = net.createServer();
      s.on('error', (e) => resolve(hide(e)));
      s.on('listening', () => { s.close(); resolve(ok('listening')); });
      s.listen(p);
    }
  });
}

const tables = {
  port: (t) => sync(() => { const [v, name, az] = list(t); return ok(validatePort(v, name, az)); }),
  connect,
  listen: (t) => listen(evaluate(t)),
  listen_shorthand: (t) => listen(evaluate(t)),
  timeout: (t) => sync(() => { new net.Socket().setTimeout(evaluate(t)); return ok('ok'); }),
  socket_address: (t) => sync(() => ok(renderAddress(new net.SocketAddress(evaluate(t))))),
  socket_address_typed: (t) => sync(() => {
    const [address, port, family, flowlabel] = list(t);
    return ok(renderAddress(new net.SocketAddress({ address, port, family, flowlabel })));
  }),
  parse: (t) => { const a = net.SocketAddress.parse(evaluate(t)); return ok(a === undefined ? 'none' : renderAddress(a)); },
  family: (t) => sync(() => {
    const family = evaluate(t);
    const address = String(family).toLowerCase() === 'ipv6' ? '::' : '127.0.0.1';
    return ok(new net.SocketAddress({ address, family }).family);
  }),
  block_list: blockList,
  ipc,
  ipc_dir: () => ok(''),
};

function agrees(want, got) {
  if ('ok' in want) return got.ok === want.ok;
  if ('panic' in want) return false;
  if (got.ok !== undefined) return false;
  return (want.code === null ? got.code === null : got.code === want.code) &&
    (want.message === null || want.message === got.message || want.code === null);
}

(async () => {
  const timeoutWarnings = process.listeners('warning');
  process.removeAllListeners('warning'); // setTimeout(1e300) warns; the rows expect it
  let wrong = 0;
  for (const row of rows) {
    const got = await tables[row.table](row.input);
    if (!agrees(row.node, got)) {
      wrong++;
      console.log(`${row.table} ${row.input}\n  table ${JSON.stringify(row.node)}\n  node  ${JSON.stringify(got)}`);
    }
  }
  for (const l of timeoutWarnings) process.on('warning', l);
  process.chdir(os.tmpdir());
  fs.rmSync(scratch, { recursive: true, force: true });
  console.log(`${rows.length} rows, ${wrong} differ from Node ${process.version}`);
  process.exitCode = wrong ? 1 : 0;
})();
