'use strict';
// Records Node's verdicts on socket.setTypeOfService(), the typeOfService option, and the
// process-wide net.setDefaultAutoSelectFamily[AttemptTimeout]() setters.
// Usage: node record_tos_and_defaults.js > tos_and_defaults.jsonl
// Output: one JSON object per line:
//   {"kind":K,"input":V,"result":R}  or  {"kind":K,"input":V,"error":{code,message}}
// A number that JSON cannot hold (NaN, ±Infinity) is written as {"number":"NaN"}.
const net = require('net');

function encode(v) {
  if (typeof v === 'number' && !Number.isFinite(v)) return { number: String(v) };
  return v === undefined ? { undefined: true } : v;
}
function row(kind, input, f) {
  const out = { kind, input: encode(input) };
  try { out.result = f(); } catch (e) { out.error = { code: e.code, message: e.message }; }
  console.log(JSON.stringify(out));
}

const numbers = [0, 1, 3, 4, 9, 10, 11, 16, 100, 252, 255, 256, 500, -1, -0.5, 1.5, 2 ** 31 - 1, 2 ** 31,
  NaN, Infinity, -Infinity];
const others = ['8', '', true, false, null, undefined];

for (const v of [...numbers, ...others]) {
  row('setTypeOfService', v, () => { const s = new net.Socket(); s.setTypeOfService(v); return s.getTypeOfService(); });
  row('typeOfServiceOption', v, () => new net.Socket({ typeOfService: v }).getTypeOfService());
  row('setDefaultAutoSelectFamilyAttemptTimeout', v, () => {
    const before = net.getDefaultAutoSelectFamilyAttemptTimeout();
    try { net.setDefaultAutoSelectFamilyAttemptTimeout(v); return net.getDefaultAutoSelectFamilyAttemptTimeout(); }
    finally { net.setDefaultAutoSelectFamilyAttemptTimeout(before); }
  });
  row('setDefaultAutoSelectFamily', v, () => {
    const before = net.getDefaultAutoSelectFamily();
    try { net.setDefaultAutoSelectFamily(v); return net.getDefaultAutoSelectFamily(); }
    finally { net.setDefaultAutoSelectFamily(before); }
  });
}
row('defaults', null, () => ({ autoSelectFamily: net.getDefaultAutoSelectFamily(),
  attemptTimeout: net.getDefaultAutoSelectFamilyAttemptTimeout() }));
