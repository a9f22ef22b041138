#!/usr/bin/env node
// The Node side of the conformance suite: runs one scenario (see ../README.md) on Node's own
// `net` module and prints its trace to stdout.
//
//   node runner.js FILE.scn     one scenario; its trace on stdout
//   node runner.js --serve      many: JSON lines in, JSON lines out (see serve() below)
//
// Exit status: 0 after printing the trace, 2 on a usage or scenario parse error (message on
// stderr). No dependencies beyond Node's standard library.
'use strict';

const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const AWAIT_GIVE_UP_MS = 5000;
const LATE_EVENTS_MS = 50;

const SOCKET_EVENTS = [
  'lookup', 'connectionAttempt', 'connectionAttemptFailed', 'connectionAttemptTimeout',
  'connect', 'ready', 'data', 'end', 'drain', 'timeout', 'finish', 'callback', 'error', 'close',
];
const SERVER_EVENTS = ['listening', 'connection', 'drop', 'error', 'close'];
const SOCKET_PROPS = [
  'readyState', 'bytesRead', 'bytesWritten', 'writableLength', 'destroyed', 'pending',
  'connecting', 'localAddress', 'remoteAddress', 'remoteFamily', 'readable', 'writable',
  'readableLength', 'isPaused', 'writableNeedDrain', 'writableEnded', 'writableFinished', 'errored',
  'timeout', 'readableFlowing',
];
const SERVER_PROPS = ['address', 'listening'];
const SERVER_OPTIONS = [
  'allowHalfOpen', 'pauseOnConnect', 'noDelay', 'keepAlive', 'highWaterMark', 'maxConnections',
  'blockList',
];
const CONNECT_OPTIONS = [
  'host', 'allowHalfOpen', 'highWaterMark', 'noDelay', 'keepAlive', 'keepAliveInitialDelay',
  'timeout', 'family', 'autoSelectFamily', 'autoSelectFamilyAttemptTimeout', 'localAddress',
  'localPort', 'blockList', 'signal', 'hints', 'lookup',
];
const LITERAL_CONNECT_OPTIONS = ['port', 'path', ...CONNECT_OPTIONS];
const HEADERS = ['title', 'ports', 'nondeterministic', 'deviation', 'await_limit'];
// An error code for a step whose actor does not exist because the step creating it threw.
const NO_ACTOR = 'ERR_NO_ACTOR';

// ---------------------------------------------------------------------------------------------
// Parsing

class ParseError extends Error {}

function fail(lineNo, msg) {
  throw new ParseError(lineNo ? `line ${lineNo}: ${msg}` : msg);
}

// Splits a line into words: bare words, and double-quoted strings (which may hold spaces and
// the escapes \n \r \t \" \\). A word starting with `#` starts a comment.
function tokenize(line, lineNo) {
  const words = [];
  let i = 0;
  while (i < line.length) {
    const ch = line[i];
    if (ch === ' ' || ch === '\t' || ch === '\r') { i++; continue; }
    if (ch === '#') break; // a comment starts where a word would
    if (ch === '"') {
      let text = '';
      i++;
      for (;;) {
        if (i >= line.length) fail(lineNo, 'unterminated string');
        const c = line[i];
        if (c === '"') { i++; break; }
        if (c === '\\') {
          const e = line[i + 1];
          const map = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };
          if (!(e in map)) fail(lineNo, `bad escape \\${e === undefined ? '' : e}`);
          text += map[e];
          i += 2;
          continue;
        }
        text += c;
        i++;
      }
      if (i < line.length && !' \t\r'.includes(line[i])) {
        fail(lineNo, 'a quoted string must be followed by a space');
      }
      words.push({ text, quoted: true });
      continue;
    }
    let j = i;
    while (j < line.length && !' \t\r'.includes(line[j])) j++;
    const text = line.slice(i, j);
    if (text.includes('"')) fail(lineNo, `stray quote in ${text}`);
    words.push({ text, quoted: false });
    i = j;
  }
  return words;
}

// An option value: true/false, a decimal number, or else the string itself.
function parseValue(text) {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

function parseScenario(source) {
  const headers = {};
  const steps = [];
  const kinds = new Map(); // actor name -> 'server' | 'socket'
  const mentions = []; // actor names in order of first mention
  const lines = source.split('\n');

  const mention = (name) => { if (!mentions.includes(name)) mentions.push(name); };
  const define = (lineNo, name, kind) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || name === 'values') {
      fail(lineNo, `bad actor name ${JSON.stringify(name)}`);
    }
    if (kinds.has(name)) fail(lineNo, `actor ${name} is defined twice`);
    kinds.set(name, kind);
    mention(name);
  };
  const use = (lineNo, name, kind) => {
    if (name === undefined) fail(lineNo, 'missing actor');
    const k = kinds.get(name);
    if (k === undefined) fail(lineNo, `unknown actor ${name}`);
    if (kind && k !== kind) fail(lineNo, `${name} is a ${k}, not a ${kind}`);
    mention(name);
    return name;
  };

  for (let idx = 0; idx < lines.length; idx++) {
    const lineNo = idx + 1;
    const raw = lines[idx];
    const header = /^\s*([A-Za-z_]+):(.*)$/.exec(raw);
    if (header) {
      if (!HEADERS.includes(header[1])) fail(lineNo, `unknown header ${header[1]}:`);
      if (steps.length) fail(lineNo, 'header after the first step');
      if (header[1] in headers) fail(lineNo, `header ${header[1]}: given twice`);
      headers[header[1]] = header[2].trim();
      continue;
    }
    const words = tokenize(raw, lineNo);
    if (!words.length) continue;
    if (words[0].quoted) fail(lineNo, 'a step starts with a verb');
    const verb = words[0].text;
    const args = words.slice(1);
    const st = { n: steps.length + 1, lineNo, verb };

    // Helpers over args.
    const bare = (w, what) => {
      if (!w) fail(lineNo, `${verb}: missing ${what}`);
      if (w.quoted) fail(lineNo, `${verb}: ${what} must not be quoted`);
      return w.text;
    };
    const maxArgs = (n) => { if (args.length > n) fail(lineNo, `${verb}: too many arguments`); };
    const options = (ws, allowed) => {
      const opts = {};
      for (const w of ws) {
        const text = bare(w, 'option');
        const eq = text.indexOf('=');
        const key = eq < 0 ? text : text.slice(0, eq);
        if (!allowed.includes(key)) fail(lineNo, `${verb}: unknown option ${key}`);
        if (key in opts) fail(lineNo, `${verb}: option ${key} given twice`);
        opts[key] = eq < 0 ? true : parseValue(text.slice(eq + 1));
      }
      return opts;
    };
    const count = (w, what) => {
      const text = bare(w, what);
      if (!/^\d+$/.test(text)) fail(lineNo, `${verb}: ${what} must be a whole number`);
      return Number(text);
    };
    const payload = (w) => (w.quoted ? w.text : count(w, 'byte count'));

    switch (verb) {
      case 'server': {
        const name = bare(args[0], 'server name');
        st.opts = options(args.slice(1), SERVER_OPTIONS);
        define(lineNo, name, 'server');
        st.actor = name;
        break;
      }
      case 'listen': {
        st.actor = use(lineNo, bare(args[0], 'server'), 'server');
        st.kind = bare(args[1], 'tcp, tcp6 or ipc');
        if (st.kind === 'tcp' || st.kind === 'tcp6') {
          st.opts = options(args.slice(2), ['host', 'port', 'backlog', 'signal']);
        } else if (st.kind === 'ipc') {
          st.opts = options(args.slice(2), ['path', 'backlog', 'signal']);
        } else {
          fail(lineNo, `listen: unknown kind ${st.kind}`);
        }
        // port=S2 / path=S2 name a server already defined.
        for (const key of ['port', 'path']) {
          const v = st.opts[key];
          if (typeof v === 'string' && kinds.get(v) === 'server') {
            st.opts[key] = { server: use(lineNo, v, 'server') };
          }
        }
        if (st.opts.path !== undefined && typeof st.opts.path !== 'object') {
          st.opts.path = { file: String(st.opts.path) };
        }
        break;
      }
      case 'connect': {
        const name = bare(args[0], 'socket name');
        const target = bare(args[1], 'server or options');
        if (target.includes('=')) {
          st.literal = true;
          st.opts = options(args.slice(1), LITERAL_CONNECT_OPTIONS);
          if (st.opts.path !== undefined) st.opts.path = { file: String(st.opts.path) };
        } else {
          st.server = use(lineNo, target, 'server');
          st.opts = options(args.slice(2), CONNECT_OPTIONS);
        }
        define(lineNo, name, 'socket');
        st.actor = name;
        break;
      }
      case 'write':
        st.actor = use(lineNo, bare(args[0], 'socket'), 'socket');
        if (!args[1]) fail(lineNo, 'write: missing data');
        st.data = payload(args[1]);
        maxArgs(2);
        break;
      case 'end':
      case 'end_cb':
        st.actor = use(lineNo, bare(args[0], 'socket'), 'socket');
        if (args[1]) st.data = payload(args[1]);
        maxArgs(2);
        break;
      case 'write_cb':
        st.actor = use(lineNo, bare(args[0], 'socket'), 'socket');
        if (!args[1]) fail(lineNo, 'write_cb: missing data');
        st.data = payload(args[1]);
        maxArgs(2);
        break;
      case 'mark':
        st.actors = args.map((w) => use(lineNo, bare(w, 'actor')));
        st.actor = '';
        break;
      case 'destroy':
        st.actor = use(lineNo, bare(args[0], 'socket'), 'socket');
        if (args[1]) st.code = args[1].text;
        maxArgs(2);
        break;
      case 'destroy_soon':
      case 'reset_and_destroy':
      case 'pause':
      case 'resume':
        st.actor = use(lineNo, bare(args[0], 'socket'), 'socket');
        maxArgs(1);
        break;
      case 'abort':
        st.actor = use(lineNo, bare(args[0], 'socket or server'));
        maxArgs(1);
        break;
      case 'set_timeout':
        st.actor = use(lineNo, bare(args[0], 'socket'), 'socket');
        if (!args[1]) fail(lineNo, 'set_timeout: missing MS');
        st.ms = args[1].quoted ? args[1].text : parseValue(args[1].text);
        maxArgs(2);
        break;
      case 'set_no_delay':
        st.actor = use(lineNo, bare(args[0], 'socket'), 'socket');
        st.enable = args[1] ? (args[1].quoted ? args[1].text : parseValue(args[1].text)) : true;
        maxArgs(2);
        break;
      case 'set_keep_alive':
        st.actor = use(lineNo, bare(args[0], 'socket'), 'socket');
        st.enable = args[1] ? (args[1].quoted ? args[1].text : parseValue(args[1].text)) : true;
        st.ms = args[2] ? (args[2].quoted ? args[2].text : parseValue(args[2].text)) : 0;
        maxArgs(3);
        break;
      case 'max_connections':
        st.actor = use(lineNo, bare(args[0], 'server'), 'server');
        st.value = parseValue(bare(args[1], 'N'));
        maxArgs(2);
        break;
      case 'close':
      case 'get_connections':
        st.actor = use(lineNo, bare(args[0], 'server'), 'server');
        maxArgs(1);
        break;
      case 'record': {
        st.actor = use(lineNo, bare(args[0], 'actor'));
        st.prop = bare(args[1], 'property');
        const props = kinds.get(st.actor) === 'server' ? SERVER_PROPS : SOCKET_PROPS;
        if (!props.includes(st.prop)) fail(lineNo, `record: unknown property ${st.prop}`);
        maxArgs(2);
        break;
      }
      case 'await': {
        st.actor = use(lineNo, bare(args[0], 'actor'));
        st.event = bare(args[1], 'event');
        const kind = kinds.get(st.actor);
        const events = kind === 'server' ? SERVER_EVENTS : SOCKET_EVENTS;
        if (!events.includes(st.event)) fail(lineNo, `await: ${kind} has no event ${st.event}`);
        if (kind === 'server' && st.event === 'connection' && args[2]) {
          const name = bare(args[2], 'name');
          define(lineNo, name, 'socket');
          st.name = name;
        } else if (kind === 'socket' && st.event === 'data') {
          st.bytes = args[2] ? count(args[2], 'byte count') : 1;
        }
        maxArgs(st.name !== undefined || st.bytes !== undefined ? 3 : 2);
        break;
      }
      case 'sleep':
        st.ms = count(args[0], 'MS');
        maxArgs(1);
        break;
      default:
        fail(lineNo, `unknown step ${verb}`);
    }
    steps.push(st);
  }
  if (headers.title === undefined) fail(0, 'missing header title:');
  if (headers.ports === undefined) fail(0, 'missing header ports:');
  return { headers, steps, mentions };
}

// ---------------------------------------------------------------------------------------------
// Helpers without state

function preview(buf) {
  let out = '';
  for (const b of buf.subarray(0, 16)) {
    if (b === 0x22) out += '\\"';
    else if (b === 0x5c) out += '\\\\';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x09) out += '\\t';
    else if (b >= 0x20 && b <= 0x7e) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

function fmtValue(v) {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  return String(v);
}

function errCode(err) {
  return err != null && typeof err === 'object' ? fmtValue(err.code) : fmtValue(err);
}

// N bytes of abc…xyzabc…
function bytes(n) {
  return Buffer.alloc(n, 'abcdefghijklmnopqrstuvwxyz');
}

// `blockList=A,B/24,…`: a net.BlockList of those addresses and subnets.
// lookup=SPEC: a custom lookup that answers at once: `ADDR/FAMILY,…` (the answers, valid or
// not), `none` (no answer) or `error:CODE` (the lookup fails). Without `all`, Node reads the
// first answer's address and family.
function customLookup(spec) {
  spec = String(spec);
  if (spec.startsWith('error:')) {
    const err = Object.assign(new Error('lookup failed'), { code: spec.slice(6) });
    return (host, opts, cb) => cb(err);
  }
  const list = spec === 'none' ? [] : spec.split(',').map((entry) => {
    const slash = entry.lastIndexOf('/');
    return { address: entry.slice(0, slash), family: Number(entry.slice(slash + 1)) };
  });
  return (host, opts, cb) => (opts.all ? cb(null, list) : cb(null, list[0]?.address, list[0]?.family));
}

function blockList(spec) {
  const list = new net.BlockList();
  for (const rule of String(spec).split(',')) {
    const [addr, prefix] = rule.split('/');
    const family = net.isIPv6(addr) ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(addr, family);
    else list.addSubnet(addr, Number(prefix), family);
  }
  return list;
}

// ---------------------------------------------------------------------------------------------
// One run of one scenario. Every piece of state lives in this closure, so that a serving process
// can run many scenarios one after the other: a late event of an earlier run's socket reaches
// only that run's records.

function runScenario(scenario, tmpDir, onDone) {
  // ---------------------------------------------------------------------------------------------
  // Normalisation of ports, paths and previews. Ports and paths are normalised when the trace is
  // printed, against every server port and path seen in the run (the latest owner wins).

  const portOwners = []; // [port, serverName], most recent last
  const pathOwners = []; // [path, serverName], most recent last

  function remember(rec) {
    let addr;
    try { addr = rec.obj.address(); } catch { return; }
    if (addr == null) return;
    if (typeof addr === 'string') {
      rec.path = addr;
      pathOwners.push([addr, rec.name]);
    } else if (typeof addr.port === 'number') {
      rec.port = addr.port;
      portOwners.push([addr.port, rec.name]);
    }
  }

  function owner(list, key) {
    for (let i = list.length - 1; i >= 0; i--) if (list[i][0] === key) return list[i][1];
    return undefined;
  }

  function fmtPort(port) {
    if (typeof port !== 'number') return String(port);
    const s = owner(portOwners, port);
    return s === undefined ? '$eph' : `$${s}`;
  }

  function fmtPath(p) {
    const s = owner(pathOwners, p);
    if (s !== undefined) return `$${s}`;
    if (typeof p === 'string' && tmpDir && p.startsWith(tmpDir + path.sep)) {
      return p.slice(tmpDir.length + 1);
    }
    return String(p);
  }

  function fmtHostPort(address, port) {
    if (address == null) return String(address);
    const host = address.includes(':') ? `[${address}]` : address;
    return `${host}:${fmtPort(port)}`;
  }

  // An address that is either an IP or (for IPC) a path.
  function fmtIpOrPath(ip) {
    return typeof ip === 'string' && net.isIP(ip) === 0 ? fmtPath(ip) : String(ip);
  }





  // ---------------------------------------------------------------------------------------------
  // Running

  let recording = true;
  const actors = new Map(); // name -> rec
  const allRecs = []; // every rec, in creation order
  const acceptOrder = []; // accepted socket recs, in order of acceptance
  const values = []; // [step, "verb actor", value (a string, or a function normalising it)]
  let steps;
  let stepIdx = 0;
  let pending = null; // the await in progress: { rec, test, timer }
  let finishing = false;

  function newRec(kind, name) {
    const rec = {
      kind, name, obj: null, events: [], counts: Object.create(null), awaited: Object.create(null),
      received: 0, conns: [], server: null, index: 0,
    };
    allRecs.push(rec);
    return rec;
  }

  // Records one event of an actor (`data` holds the chunk of a data event, or the accepted
  // socket's rec of a connection event), then resumes the steps if the await in progress holds.
  function record(rec, event, line, data) {
    rec.counts[event] = (rec.counts[event] || 0) + 1;
    if (event === 'data') rec.received += data.length;
    if (recording) {
      // A data event keeps its length and its first bytes (all a merged preview needs).
      if (event === 'data') rec.events.push({ event, len: data.length, head: Buffer.from(data.subarray(0, 16)) });
      else if (event === 'connection') rec.events.push({ event, conn: data });
      else rec.events.push({ event, line });
    }
    if (pending && pending.rec === rec && pending.test()) {
      clearTimeout(pending.timer);
      pending = null;
      runSteps();
    }
  }

  // A write or end callback: recorded as an event of the socket, with the step that asked.
  function callbackOf(rec, n) {
    return (err) => record(rec, 'callback', err ? `callback ${n} ${errCode(err)}` : `callback ${n}`);
  }

  function watchSocket(rec) {
    const sock = rec.obj;
    sock.on('lookup', (err, address, family, host) => record(rec, 'lookup',
      err ? `lookup error ${errCode(err)} ${host}` : `lookup ${address} ${family} ${host}`));
    // Lines holding ports or paths are functions: they are normalised when the trace is printed.
    sock.on('connectionAttempt', (ip, port, family) => record(rec, 'connectionAttempt',
      () => `connectionAttempt ${fmtIpOrPath(ip)} ${fmtPort(port)} ${family}`));
    sock.on('connectionAttemptFailed', (ip, port, family, err) => record(rec,
      'connectionAttemptFailed',
      () => `connectionAttemptFailed ${fmtIpOrPath(ip)} ${fmtPort(port)} ${family} ${errCode(err)}`));
    sock.on('connectionAttemptTimeout', (ip, port, family) => record(rec,
      'connectionAttemptTimeout',
      () => `connectionAttemptTimeout ${fmtIpOrPath(ip)} ${fmtPort(port)} ${family}`));
    for (const event of ['connect', 'ready', 'end', 'drain', 'timeout', 'finish']) {
      sock.on(event, () => record(rec, event, event));
    }
    sock.on('data', (chunk) => record(rec, 'data', null, chunk));
    sock.on('error', (err) => record(rec, 'error', `error ${errCode(err)}`));
    sock.on('close', (hadError) => record(rec, 'close', `close ${hadError}`));
  }

  function watchServer(rec) {
    const server = rec.obj;
    server.on('listening', () => {
      remember(rec);
      record(rec, 'listening', 'listening');
    });
    server.on('connection', (sock) => {
      const conn = newRec('socket', null);
      conn.obj = sock;
      conn.server = rec;
      rec.conns.push(conn);
      conn.index = rec.conns.length;
      acceptOrder.push(conn);
      watchSocket(conn);
      record(rec, 'connection', null, conn);
    });
    server.on('drop', (data) => record(rec, 'drop', data
      ? () => `drop ${fmtHostPort(data.localAddress, data.localPort)} ${fmtHostPort(data.remoteAddress, data.remotePort)}`
      : 'drop -'));
    server.on('error', (err) => record(rec, 'error', `error ${errCode(err)}`));
    server.on('close', () => record(rec, 'close', 'close'));
  }

  // A property's value: a string, or for addresses a function normalising it when printed.
  function readProp(rec, prop) {
    const o = rec.obj;
    if (rec.kind === 'server') {
      if (prop === 'listening') return fmtValue(o.listening);
      const a = o.address();
      if (a == null) return fmtValue(a);
      if (typeof a === 'string') return () => fmtPath(a);
      return () => fmtHostPort(a.address, a.port);
    }
    if (prop === 'localAddress' || prop === 'remoteAddress') {
      const address = o[prop];
      const port = prop === 'localAddress' ? o.localPort : o.remotePort;
      return () => fmtHostPort(address, port);
    }
    if (prop === 'isPaused') return fmtValue(o.isPaused());
    if (prop === 'errored') return o.errored == null ? 'null' : errCode(o.errored);
    return fmtValue(o[prop]);
  }

  function actorOf(st) {
    const rec = actors.get(st.actor);
    if (!rec || !rec.obj) throw Object.assign(new Error(`no actor ${st.actor}`), { code: NO_ACTOR });
    return rec;
  }

  const CONTINUE = 0;
  const BLOCK = 1;


  // Runs one step. Returns BLOCK when the scenario must wait (runSteps is then called again later).
  function execStep(st) {
    const label = st.verb === 'record' ? `record ${st.actor} ${st.prop}` : `${st.verb} ${st.actor}`;
    const value = (v) => values.push([st.n, label, v]);
    try {
      switch (st.verb) {
        case 'server': {
          const rec = newRec('server', st.actor);
          actors.set(st.actor, rec);
          const opts = { ...st.opts };
          delete opts.maxConnections;
          if (opts.blockList !== undefined) opts.blockList = blockList(opts.blockList);
          rec.obj = net.createServer(opts);
          watchServer(rec);
          if (st.opts.maxConnections !== undefined) rec.obj.maxConnections = st.opts.maxConnections;
          return CONTINUE;
        }
        case 'listen': {
          const rec = actorOf(st);
          const o = st.opts;
          const opts = {};
          let host;
          if (st.kind === 'ipc') {
            if (o.path === undefined) opts.path = path.join(tmpDir, `${st.actor}.sock`);
            else if (o.path.server) opts.path = actors.get(o.path.server).path;
            else opts.path = path.join(tmpDir, o.path.file);
          } else {
            host = o.host === undefined ? (st.kind === 'tcp6' ? '::1' : '127.0.0.1') : o.host;
            if (host !== 'default') opts.host = host;
            if (o.port === undefined) opts.port = 0;
            else if (o.port.server) opts.port = actors.get(o.port.server).port;
            else opts.port = o.port;
          }
          if (o.backlog !== undefined) opts.backlog = o.backlog;
          if (o.signal) {
            rec.controller = new AbortController();
            opts.signal = rec.controller.signal;
          }
          rec.obj.listen(opts);
          // What `connect C S` needs: the path, or the host the server listens on.
          rec.ipc = st.kind === 'ipc';
          rec.host = host;
          if (rec.ipc) rec.path = opts.path;
          // Bound synchronously (an IPC path, or TCP without a host to look up): the address is
          // known now. A failed IPC listen still reports its path from address(), hence the check.
          if (rec.obj.listening) remember(rec);
          return CONTINUE;
        }
        case 'connect': {
          let opts;
          if (st.literal) {
            opts = { ...st.opts };
            if (opts.path !== undefined) opts.path = path.join(tmpDir, opts.path.file);
          } else {
            const srv = actors.get(st.server);
            if (srv.ipc) {
              opts = { path: srv.path };
            } else {
              let host = srv.host;
              if (host === '127.0.0.1' || host === '0.0.0.0' || host === 'default') host = '127.0.0.1';
              else if (host === '::1' || host === '::') host = '::1';
              opts = { port: srv.port, host };
            }
            Object.assign(opts, st.opts);
          }
          if (opts.blockList !== undefined) opts.blockList = blockList(opts.blockList);
          if (opts.lookup !== undefined) opts.lookup = customLookup(opts.lookup);
          // localPort=S2: the port server S2 listens on (a port in use).
          if (typeof opts.localPort === 'string' && actors.has(opts.localPort)) {
            opts.localPort = actors.get(opts.localPort).port;
          }
          // What net.connect(opts) does, with the listeners attached before connect() runs
          // (an IPC connect emits connectionAttempt synchronously).
          const rec = newRec('socket', st.actor);
          if (opts.signal) {
            rec.controller = new AbortController();
            opts.signal = rec.controller.signal;
          }
          const sock = new net.Socket(opts);
          rec.obj = sock;
          watchSocket(rec);
          if (opts.timeout) sock.setTimeout(opts.timeout);
          sock.connect(opts);
          actors.set(st.actor, rec);
          return CONTINUE;
        }
        case 'write': {
          const rec = actorOf(st);
          value(fmtValue(rec.obj.write(typeof st.data === 'number' ? bytes(st.data) : st.data)));
          return CONTINUE;
        }
        case 'end': {
          const rec = actorOf(st);
          if (st.data === undefined) rec.obj.end();
          else rec.obj.end(typeof st.data === 'number' ? bytes(st.data) : st.data);
          return CONTINUE;
        }
        case 'write_cb': {
          const rec = actorOf(st);
          const data = typeof st.data === 'number' ? bytes(st.data) : st.data;
          value(fmtValue(rec.obj.write(data, callbackOf(rec, st.n))));
          return CONTINUE;
        }
        case 'end_cb': {
          const rec = actorOf(st);
          if (st.data === undefined) rec.obj.end(callbackOf(rec, st.n));
          else rec.obj.end(typeof st.data === 'number' ? bytes(st.data) : st.data, callbackOf(rec, st.n));
          return CONTINUE;
        }
        case 'mark': {
          // Every actor named so far (a socket that exists), or those listed.
          const names = st.actors.length ? st.actors : [...actors.keys()];
          for (const name of names) {
            const rec = actors.get(name);
            if (rec && rec.obj && recording) rec.events.push({ event: 'mark', line: `mark ${st.n}` });
          }
          return CONTINUE;
        }
        case 'destroy': {
          const rec = actorOf(st);
          if (st.code === undefined) rec.obj.destroy();
          else rec.obj.destroy(Object.assign(new Error(`destroyed with ${st.code}`), { code: st.code }));
          return CONTINUE;
        }
        case 'destroy_soon': actorOf(st).obj.destroySoon(); return CONTINUE;
        case 'abort': {
          const rec = actorOf(st);
          if (!rec.controller) throw new Error(`abort: ${st.actor} has no signal`);
          rec.controller.abort();
          return CONTINUE;
        }
        case 'reset_and_destroy': actorOf(st).obj.resetAndDestroy(); return CONTINUE;
        case 'pause': actorOf(st).obj.pause(); return CONTINUE;
        case 'resume': actorOf(st).obj.resume(); return CONTINUE;
        case 'set_timeout': actorOf(st).obj.setTimeout(st.ms); return CONTINUE;
        case 'set_no_delay': actorOf(st).obj.setNoDelay(st.enable); return CONTINUE;
        case 'set_keep_alive': actorOf(st).obj.setKeepAlive(st.enable, st.ms); return CONTINUE;
        case 'max_connections': actorOf(st).obj.maxConnections = st.value; return CONTINUE;
        case 'close': actorOf(st).obj.close(); return CONTINUE;
        case 'get_connections': {
          // getConnections() hands the count it has at the call to a callback on the next
          // tick. The steps go on in this tick (as every other step's do); the value, filed in
          // step order, is read when the trace is printed.
          let answer = 'no callback';
          actorOf(st).obj.getConnections((err, n) => {
            answer = err ? `throws ${errCode(err)}` : fmtValue(n);
          });
          value(() => answer);
          return CONTINUE;
        }
        case 'record':
          value(readProp(actorOf(st), st.prop));
          return CONTINUE;
        case 'await': {
          const rec = actorOf(st);
          let test;
          if (st.event === 'data') {
            test = () => rec.received >= st.bytes;
          } else {
            const want = rec.awaited[st.event] = (rec.awaited[st.event] || 0) + 1;
            test = () => (rec.counts[st.event] || 0) >= want;
            if (st.name !== undefined) {
              const inner = test;
              test = () => {
                if (!inner()) return false;
                const conn = rec.conns[want - 1];
                conn.name = st.name;
                actors.set(st.name, conn);
                return true;
              };
            }
          }
          if (test()) return CONTINUE;
          pending = {
            rec,
            test,
            timer: setTimeout(() => {
              pending = null;
              value('timed out');
              stepIdx = steps.length;
              runSteps();
            }, scenario.headers.await_limit !== undefined ? Number(scenario.headers.await_limit) : AWAIT_GIVE_UP_MS),
          };
          return BLOCK;
        }
        case 'sleep':
          setTimeout(runSteps, st.ms);
          return BLOCK;
        default:
          throw new Error(`unhandled step ${st.verb}`);
      }
    } catch (err) {
      if (err instanceof ParseError) throw err;
      value(`throws ${errCode(err)}`);
      return CONTINUE;
    }
  }

  function runSteps() {
    while (stepIdx < steps.length) {
      const st = steps[stepIdx++];
      if (execStep(st) === BLOCK) return;
    }
    if (!finishing) {
      finishing = true;
      setTimeout(stop, LATE_EVENTS_MS);
    }
  }

  function traceText(mentions) {
    const out = [];
    const emit = (name, rec) => {
      const evs = rec.events;
      for (let i = 0; i < evs.length; i++) {
        const e = evs[i];
        if (e.event === 'data') {
          let len = e.len;
          const heads = [e.head];
          while (i + 1 < evs.length && evs[i + 1].event === 'data') {
            len += evs[++i].len;
            heads.push(evs[i].head);
          }
          out.push(`${name}: data ${len} "${preview(Buffer.concat(heads))}"`);
        } else if (e.event === 'connection') {
          out.push(`${name}: connection ${connName(e.conn)}`);
        } else {
          out.push(`${name}: ${typeof e.line === 'function' ? e.line() : e.line}`);
        }
      }
    };
    for (const name of mentions) {
      const rec = actors.get(name);
      if (rec && rec.obj) emit(name, rec);
    }
    for (const conn of acceptOrder) if (conn.name === null) emit(connName(conn), conn);
    out.push('values:');
    for (const [n, label, v] of values) out.push(`${n}: ${label} = ${typeof v === 'function' ? v() : v}`);
    return out.join('\n') + '\n';
  }

  function connName(conn) {
    return conn.name !== null ? conn.name : `${conn.server.name}#${conn.index}`;
  }

  function stop() {
    recording = false;
    if (pending) { clearTimeout(pending.timer); pending = null; }
    const text = traceText(scenario.mentions);
    for (const rec of allRecs) {
      try {
        if (rec.kind === 'socket') rec.obj.destroy();
        else rec.obj.close();
      } catch { /* cleanup is not recorded */ }
    }
    try { fs.rmSync(tmpDir, { recursive: true, force: true }); } catch { /* ignore */ }
    onDone(text);
  }

  steps = scenario.steps;
  runSteps();
}

function newTmpDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'net-conformance-'));
}

// `--serve`: one request a line on stdin, `{"id": N, "source": "<scenario text>"}`, one answer a
// line on stdout, `{"id": N, "trace": "<trace text>"}` or `{"id": N, "error": "<parse error>"}`.
// Scenarios run one after the other, each with its own state and temp dir.
function serve() {
  const queue = [];
  let busy = false;
  let buffered = '';
  const answer = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
  const next = () => {
    if (busy || !queue.length) return;
    const req = queue.shift();
    let scenario;
    try {
      scenario = parseScenario(req.source);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      answer({ id: req.id, error: err.message });
      setImmediate(next);
      return;
    }
    busy = true;
    runScenario(scenario, newTmpDir(), (trace) => {
      answer({ id: req.id, trace });
      busy = false;
      // The finished run's sockets close in the background; start the next run on a fresh tick.
      setImmediate(next);
    });
  };
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim()) queue.push(JSON.parse(line));
    }
    next();
  });
  process.stdin.on('end', () => {
    const wait = () => (busy || queue.length ? setTimeout(wait, 10) : process.exit(0));
    wait();
  });
}

function main() {
  if (process.argv[2] === '--serve' && process.argv.length === 3) {
    serve();
    return;
  }
  const file = process.argv[2];
  if (!file || process.argv.length > 3) {
    process.stderr.write('usage: node runner.js FILE.scn | node runner.js --serve\n');
    process.exit(2);
  }
  let source;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch (err) {
    process.stderr.write(`${file}: ${err.message}\n`);
    process.exit(2);
  }
  let scenario;
  try {
    scenario = parseScenario(source);
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    process.stderr.write(`${file}: ${err.message}\n`);
    process.exit(2);
  }
  runScenario(scenario, newTmpDir(), (trace) => process.stdout.write(trace, () => process.exit(0)));
}

main();
