'use strict';
// Records what Node 26's net.BlockList does for a fixed list of operation
// sequences, as JSON lines, for net-core's Rust replay test.
//
//   /work/main/.tools/node26/bin/node net-core/tests/data/record_block_list.js \
//       > net-core/tests/data/block_list.jsonl
//
// Each CASE is a list of operations applied in order to ONE fresh
// `new net.BlockList()`. An operation is `[method, ...args]`.
//
// Argument conventions:
//   * args are strings, numbers or arrays of strings, exactly as passed to Node;
//   * a JSON `null` arg is passed to Node as `undefined` (i.e. "omitted", so
//     the parameter's default applies). Trailing args may simply be left out.
//
// Methods: addAddress, addAddresses, addRange, addSubnet, addCIDR, addCIDRs,
// removeAddress, removeRange, removeSubnet, removeCIDR, check, clear.
// Pseudo-ops:
//   ["rules"]          -> ok = list.rules
//   ["size"]           -> ok = list.size
//   ["toJSON"]         -> ok = list.toJSON()
//   ["fromJSON", arg]  -> REPLACES the current list: a fresh BlockList is made,
//                         its fromJSON(arg) is called, and on success it becomes
//                         the current list; ok = the new list's rules. If it
//                         throws, the current list is left unchanged.
//                         (Node 26 has no static BlockList.fromJSON; the real
//                         API is the instance method fromJSON, which ADDS to a
//                         list. Applying it to a fresh list gives the
//                         "replace" semantics wanted here.)
//
// Output, one line per operation:
//   {"case":i,"op":[...],"ok":<return value; undefined -> null>}
//   {"case":i,"op":[...],"error":{"name":..,"code":..|null,"message":..}}

const net = require('node:net');

const major = Number(process.versions.node.split('.')[0]);
if (major !== 26) {
  process.stderr.write(`record_block_list.js needs Node 26, got ${process.version}\n`);
  process.exit(1);
}

const R = ['rules'];
const S = ['size'];

const CASES = [
  // 0: empty list
  [R, S, ['toJSON'], ['check', '1.1.1.1'], ['check', '::', 'ipv6']],

  // 1: single IPv4 address, default family
  [['addAddress', '1.2.3.4'], R, S,
    ['check', '1.2.3.4'], ['check', '1.2.3.5'], ['check', '1.2.3.3'],
    ['check', '1.2.3.4', 'ipv4'], ['check', '1.2.3.4', 'IPV4'], ['check', '1.2.3.4', 'IPv4'],
    ['check', '1.2.3.4', 'ipv6'], ['check', '::ffff:1.2.3.4', 'ipv6'],
    ['check', '::ffff:0102:0304', 'ipv6'], ['check', '::ffff:1.2.3.4'],
    ['check', '::1.2.3.4', 'ipv6'], ['check', '64:ff9b::1.2.3.4', 'ipv6']],

  // 2: single IPv6 address
  [['addAddress', '::1', 'ipv6'], R, S,
    ['check', '::1', 'ipv6'], ['check', '::1', 'IPv6'], ['check', '::1', 'IPV6'],
    ['check', '::1'], ['check', '::1', 'ipv4'], ['check', '0:0:0:0:0:0:0:1', 'ipv6'],
    ['check', '::2', 'ipv6'], ['check', '::', 'ipv6'], ['check', '0.0.0.1']],

  // 3: IPv6 address normalisation in rules text
  [['addAddress', '2001:DB8:0:0:0:0:0:1', 'ipv6'], R,
    ['addAddress', '2001:0db8::0001', 'IPv6'], R, S,
    ['addAddress', '2001:db8:0:0:1:0:0:1', 'ipv6'], R,
    ['addAddress', '::ffff:1.2.3.4', 'ipv6'], R,
    ['addAddress', '::1.2.3.4', 'ipv6'], R,
    ['addAddress', '1:2:3:4:5:6:7:8', 'ipv6'], R, S,
    ['check', '2001:db8::1', 'ipv6'], ['check', '2001:DB8::1', 'ipv6']],

  // 4: family strings on addAddress
  [['addAddress', '1.1.1.1', 'ipv4'], ['addAddress', '2.2.2.2', 'IPV4'], ['addAddress', '3.3.3.3', 'IpV4'],
    ['addAddress', '::3', 'IPv6'], ['addAddress', '::4', 'IPV6'], R, S,
    ['addAddress', '4.4.4.4', 'ipv5'], ['addAddress', '4.4.4.4', ''], ['addAddress', '4.4.4.4', 'inet'],
    ['addAddress', '4.4.4.4', 4], R, S],

  // 5: family mismatch with address text on add
  [['addAddress', '::1'], ['addAddress', '::1', 'ipv4'], ['addAddress', '1.2.3.4', 'ipv6'],
    ['addAddress', '::ffff:1.2.3.4'], R, S],

  // 6: unparseable addresses on add
  [['addAddress', 'not-an-ip'], ['addAddress', ''], ['addAddress', ' 1.2.3.4'], ['addAddress', '1.2.3.4 '],
    ['addAddress', '01.2.3.4'], ['addAddress', '1.2.3'], ['addAddress', '256.0.0.1'],
    ['addAddress', '127.1'], ['addAddress', '0x7f.0.0.1'], ['addAddress', '1.2.3.4:80'],
    ['addAddress', '[::1]', 'ipv6'], ['addAddress', '::1::', 'ipv6'], ['addAddress', '12345::', 'ipv6'],
    ['addAddress', 'localhost'], R, S],

  // 7: non-string arguments -> TypeError ERR_INVALID_ARG_TYPE
  [['addAddress', 123], ['addAddress', ['1.2.3.4']], ['addAddress'], ['check', 42], ['check'],
    ['check', ['1.2.3.4']], ['addRange', 1, '1.1.1.1'], ['addRange', '1.1.1.1', 2],
    ['addSubnet', 10, 8], ['removeAddress', 5], ['removeRange', '1.1.1.1', 5], ['removeSubnet', 5, 8],
    ['check', '1.2.3.4', 4], ['addAddress', '1.2.3.4', ['ipv4']], R, S],

  // 8: duplicate address stored once
  [['addAddress', '5.5.5.5'], ['addAddress', '5.5.5.5'], R, S,
    ['addAddress', '5.5.5.5', 'IPV4'], R, S,
    ['addAddress', '::5', 'ipv6'], ['addAddress', '0::5', 'ipv6'], ['addAddress', '0:0:0:0:0:0:0:5', 'ipv6'], R, S,
    ['removeAddress', '5.5.5.5'], R, S, ['check', '5.5.5.5'],
    ['removeAddress', '::5', 'ipv6'], R, S, ['check', '::5', 'ipv6']],

  // 9: duplicate address interleaved with other addresses (does a re-add move it to front?)
  [['addAddress', '1.0.0.1'], ['addAddress', '1.0.0.2'], ['addAddress', '1.0.0.1'], R, S,
    ['addAddress', '1.0.0.3'], ['addAddress', '1.0.0.2'], R, S],

  // 10: IPv4 address vs IPv4-mapped IPv6 address rule of same value: distinct?
  [['addAddress', '1.2.3.4'], ['addAddress', '::ffff:1.2.3.4', 'ipv6'], R, S,
    ['removeAddress', '1.2.3.4'], R, S, ['check', '1.2.3.4'], ['check', '::ffff:1.2.3.4', 'ipv6'],
    ['removeAddress', '::ffff:1.2.3.4', 'ipv6'], R, S, ['check', '1.2.3.4']],

  // 11: IPv6 mapped rule vs IPv4 check
  [['addAddress', '::ffff:1.2.3.4', 'ipv6'], R,
    ['check', '1.2.3.4'], ['check', '1.2.3.5'], ['check', '::ffff:1.2.3.4', 'ipv6'],
    ['check', '::ffff:102:304', 'ipv6'], ['check', '::1.2.3.4', 'ipv6'], ['check', '1.2.3.4', 'ipv6']],

  // 12: IPv4-compatible (deprecated) IPv6 rule vs IPv4 check
  [['addAddress', '::1.2.3.4', 'ipv6'], R,
    ['check', '1.2.3.4'], ['check', '::1.2.3.4', 'ipv6'], ['check', '::ffff:1.2.3.4', 'ipv6']],

  // 13: IPv4 rules vs mapped checks, for every rule kind
  [['addAddress', '123.123.123.123'], ['addRange', '10.0.0.1', '10.0.0.10'], ['addSubnet', '192.168.0.0', 16], R,
    ['check', '::ffff:123.123.123.123', 'ipv6'], ['check', '::ffff:7b7b:7b7b', 'ipv6'],
    ['check', '::FFFF:7B7B:7B7B', 'ipv6'], ['check', '::ffff:10.0.0.5', 'ipv6'],
    ['check', '::ffff:10.0.0.11', 'ipv6'], ['check', '::ffff:192.168.9.9', 'ipv6'],
    ['check', '::ffff:192.169.0.0', 'ipv6'], ['check', '::7b7b:7b7b', 'ipv6'],
    ['check', '0:0:0:0:0:ffff:7b7b:7b7b', 'ipv6'], ['check', '::ffff:0:7b7b:7b7b', 'ipv6'],
    ['check', '::ffff:123.123.123.123'], ['check', '::ffff:123.123.123.123', 'bogus']],

  // 14: IPv6 subnet covering the mapped range vs IPv4 checks
  [['addSubnet', '::ffff:0:0', 96, 'ipv6'], R,
    ['check', '1.2.3.4'], ['check', '255.255.255.255'], ['check', '::ffff:1.2.3.4', 'ipv6'],
    ['check', '::1.2.3.4', 'ipv6'], ['check', '::1', 'ipv6']],

  // 15: IPv6 subnet on mapped addresses with prefix > 96
  [['addSubnet', '::ffff:10.0.0.0', 104, 'ipv6'], R,
    ['check', '10.1.2.3'], ['check', '11.1.2.3'], ['check', '::ffff:10.9.9.9', 'ipv6']],

  // 16: IPv6 range of mapped addresses vs IPv4 checks
  [['addRange', '::ffff:10.0.0.1', '::ffff:10.0.0.10', 'ipv6'], R,
    ['check', '10.0.0.1'], ['check', '10.0.0.10'], ['check', '10.0.0.11'], ['check', '::ffff:10.0.0.5', 'ipv6']],

  // 17: IPv4 ranges: inclusive ends
  [['addRange', '10.0.0.1', '10.0.0.10'], R, S,
    ['check', '10.0.0.0'], ['check', '10.0.0.1'], ['check', '10.0.0.5'], ['check', '10.0.0.10'],
    ['check', '10.0.0.11'], ['check', '10.0.0.5', 'ipv6'], ['check', '10.0.0.5', 'ipv4']],

  // 18: range start == end, and range across octet boundaries
  [['addRange', '1.1.1.1', '1.1.1.1'], ['addRange', '9.255.255.250', '10.0.0.5'], R, S,
    ['check', '1.1.1.1'], ['check', '1.1.1.2'], ['check', '9.255.255.255'], ['check', '10.0.0.0'],
    ['check', '10.0.0.6'], ['check', '9.255.255.249']],

  // 19: full IPv4 range
  [['addRange', '0.0.0.0', '255.255.255.255'], R,
    ['check', '0.0.0.0'], ['check', '255.255.255.255'], ['check', '8.8.8.8'], ['check', '::1', 'ipv6'],
    ['check', '::ffff:8.8.8.8', 'ipv6']],

  // 20: start > end errors
  [['addRange', '10.0.0.10', '10.0.0.1'], ['addRange', '::2', '::1', 'ipv6'],
    ['addRange', '10.0.0.2', '10.0.0.1', 'IPV4'], R, S],

  // 21: range mixed families / family mismatches
  [['addRange', '1.1.1.1', '::2'], ['addRange', '::1', '1.1.1.2'], ['addRange', '::1', '::2'],
    ['addRange', '1.1.1.1', '1.1.1.2', 'ipv6'], ['addRange', '::1', '::ffff:1.1.1.1', 'ipv6'], R, S,
    ['check', '::5', 'ipv6'], ['check', '1.1.1.1'], ['check', '0.0.0.5']],

  // 22: range with bad family and bad addresses
  [['addRange', '1.1.1.1', '1.1.1.2', 'ipv5'], ['addRange', 'x', '1.1.1.2'], ['addRange', '1.1.1.1', 'y'],
    ['addRange', '1.1.1.1', ''], R, S],

  // 23: IPv6 ranges
  [['addRange', '8592:757c:efae:4e45::', '8592:757c:efae:4e45::f', 'ipv6'], R, S,
    ['check', '8592:757c:efae:4e45::', 'ipv6'], ['check', '8592:757c:efae:4e45::f', 'ipv6'],
    ['check', '8592:757c:efae:4e45::10', 'ipv6'], ['check', '8592:757c:efae:4e44:ffff:ffff:ffff:ffff', 'ipv6'],
    ['check', '8592:757c:efae:4e45::7', 'IPv6'], ['check', '8592:757c:efae:4e45::7']],

  // 24: duplicate ranges
  [['addRange', '1.0.0.1', '1.0.0.9'], ['addRange', '1.0.0.1', '1.0.0.9'], R, S,
    ['removeRange', '1.0.0.1', '1.0.0.9'], R, S, ['check', '1.0.0.5'],
    ['removeRange', '1.0.0.1', '1.0.0.9'], R, S, ['check', '1.0.0.5']],

  // 25: removeRange: only exact matches; start>end on remove
  [['addRange', '2.0.0.1', '2.0.0.9'], ['addRange', '::1', '::9', 'ipv6'],
    ['removeRange', '2.0.0.1', '2.0.0.5'], R, S,
    ['removeRange', '2.0.0.9', '2.0.0.1'], R, S,
    ['removeRange', '2.0.0.0', '2.0.0.9'], R,
    ['removeRange', '::1', '::9'], R,
    ['removeRange', '::1', '::9', 'ipv6'], R, S,
    ['removeRange', '2.0.0.1', '2.0.0.9', 'IPV4'], R, S,
    ['removeRange', '2.0.0.1', '2.0.0.9', 'ipv5'], ['removeRange', 'x', '2.0.0.9']],

  // 26: subnets IPv4
  [['addSubnet', '192.168.0.0', 16], R, S,
    ['check', '192.168.0.0'], ['check', '192.168.255.255'], ['check', '192.169.0.0'], ['check', '192.167.255.255'],
    ['addSubnet', '172.16.0.0', 12, 'ipv4'], R,
    ['check', '172.31.255.255'], ['check', '172.32.0.0'], ['check', '172.15.255.255']],

  // 27: subnet prefix 0 (IPv4) matches everything IPv4
  [['addSubnet', '0.0.0.0', 0], R, S,
    ['check', '0.0.0.0'], ['check', '9.9.9.9'], ['check', '255.255.255.255'],
    ['check', '::1', 'ipv6'], ['check', '::ffff:9.9.9.9', 'ipv6'], ['check', '2001:db8::1', 'ipv6']],

  // 28: subnet prefix 0 with a non-zero network address
  [['addSubnet', '1.2.3.4', 0], R, ['check', '200.1.1.1'],
    ['addSubnet', '1:2::', 0, 'ipv6'], R, ['check', 'ffff::', 'ipv6'], S],

  // 29: IPv6 prefix 0 vs IPv4 checks
  [['addSubnet', '::', 0, 'ipv6'], R, S,
    ['check', '::', 'ipv6'], ['check', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ipv6'],
    ['check', '1.2.3.4'], ['check', '::ffff:1.2.3.4', 'ipv6']],

  // 30: prefix 32 (IPv4) and 128 (IPv6)
  [['addSubnet', '4.4.4.4', 32], ['addSubnet', '2001:db8::1', 128, 'ipv6'], R, S,
    ['check', '4.4.4.4'], ['check', '4.4.4.5'], ['check', '4.4.4.3'],
    ['check', '2001:db8::1', 'ipv6'], ['check', '2001:db8::2', 'ipv6'], ['check', '2001:db8::', 'ipv6']],

  // 31: prefix 32 with family ipv6 text, 128 on ipv4
  [['addSubnet', '2001:db8::', 32, 'ipv6'], ['addSubnet', '1.0.0.0', 128], R, S,
    ['check', '2001:db8:ffff::1', 'ipv6'], ['check', '2001:db9::', 'ipv6']],

  // 32: prefix out of range / non-integer / wrong type
  [['addSubnet', '1.0.0.0', 33], ['addSubnet', '::', 129, 'ipv6'], ['addSubnet', '1.0.0.0', -1],
    ['addSubnet', '::', -1, 'ipv6'], ['addSubnet', '1.0.0.0', 1.5], ['addSubnet', '::', 64.5, 'ipv6'],
    ['addSubnet', '1.0.0.0', '8'], ['addSubnet', '1.0.0.0'], ['addSubnet', '1.0.0.0', null],
    ['addSubnet', '1.0.0.0', 4294967304], ['addSubnet', '1.0.0.0', 1e100], R, S],

  // 33: subnet validation order: bad address vs bad prefix vs bad family
  [['addSubnet', 'bad', 99], ['addSubnet', '1.0.0.0', 99, 'ipv5'], ['addSubnet', '::', 8],
    ['addSubnet', '1.0.0.0', 8, 'ipv6'], ['addSubnet', '::', 200, 'ipv4'], R, S],

  // 34: subnet network not aligned to prefix: stored as given? matching?
  [['addSubnet', '10.1.2.3', 8], R, S,
    ['check', '10.0.0.0'], ['check', '10.255.255.255'], ['check', '11.0.0.0'], ['check', '10.1.2.3'],
    ['removeSubnet', '10.0.0.0', 8], R, S,
    ['removeSubnet', '10.1.2.3', 8], R, S],

  // 35: unaligned IPv6 subnet
  [['addSubnet', '2001:db8::ffff', 32, 'ipv6'], R,
    ['check', '2001:db8::', 'ipv6'], ['check', '2001:db8:ffff:ffff::', 'ipv6'], ['check', '2001:db9::', 'ipv6']],

  // 36: same subnet twice is stored twice; removal one at a time?
  [['addSubnet', '3.0.0.0', 8], ['addSubnet', '3.0.0.0', 8], R, S,
    ['removeSubnet', '3.0.0.0', 8], R, S, ['check', '3.3.3.3'],
    ['removeSubnet', '3.0.0.0', 8], R, S, ['check', '3.3.3.3']],

  // 37: same subnet twice, interleaved
  [['addSubnet', '3.0.0.0', 8], ['addSubnet', '4.0.0.0', 8], ['addSubnet', '3.0.0.0', 8], R, S,
    ['removeSubnet', '3.0.0.0', 8], R, S],

  // 38: same subnet via addSubnet and addCIDR
  [['addSubnet', '3.0.0.0', 8], ['addCIDR', '3.0.0.0/8'], ['addCIDR', '2001:db8::/32'],
    ['addSubnet', '2001:db8::', 32, 'ipv6'], R, S,
    ['removeCIDR', '3.0.0.0/8'], ['removeCIDR', '2001:db8::/32'], R, S],

  // 39: same subnet with different prefixes
  [['addSubnet', '3.0.0.0', 8], ['addSubnet', '3.0.0.0', 16], R, S,
    ['removeSubnet', '3.0.0.0', 16], R, S, ['check', '3.1.0.0']],

  // 40: /32 subnet vs address rule (remove does not cross kinds)
  [['addAddress', '4.4.4.4'], ['addSubnet', '4.4.4.4', 32], R, S,
    ['removeSubnet', '4.4.4.4', 32], R, S, ['check', '4.4.4.4'],
    ['addSubnet', '5.5.5.5', 32], ['removeAddress', '5.5.5.5'], R, S, ['check', '5.5.5.5'],
    ['addRange', '6.6.6.6', '6.6.6.6'], ['removeAddress', '6.6.6.6'], ['removeSubnet', '6.6.6.6', 32], R, S,
    ['addAddress', '7.7.7.7'], ['removeRange', '7.7.7.7', '7.7.7.7'], R, S],

  // 41: /128 vs IPv6 address rule
  [['addAddress', '::7', 'ipv6'], ['addSubnet', '::7', 128, 'ipv6'], R, S,
    ['removeSubnet', '::7', 128, 'ipv6'], R, S, ['removeAddress', '::7', 'ipv6'], R, S],

  // 42: removal of absent rules
  [['removeAddress', '9.9.9.9'], ['removeAddress', '::9', 'ipv6'], ['removeRange', '1.1.1.1', '1.1.1.2'],
    ['removeSubnet', '9.0.0.0', 8], ['removeCIDR', '9.0.0.0/8'], ['removeCIDR', '::/0'], R, S,
    ['addAddress', '1.1.1.1'], ['removeAddress', '1.1.1.2'], ['removeAddress', '::ffff:1.1.1.1', 'ipv6'], R, S],

  // 43: removal argument errors
  [['addAddress', '1.1.1.1'],
    ['removeAddress', 'bad'], ['removeAddress', '::1'], ['removeAddress', '1.1.1.1', 'ipv5'],
    ['removeSubnet', '1.0.0.0', 40], ['removeSubnet', '1.0.0.0', -1], ['removeSubnet', '1.0.0.0', 1.5],
    ['removeSubnet', '::', 129, 'ipv6'], ['removeSubnet', 'bad', 8], ['removeSubnet', '1.0.0.0'],
    ['removeCIDR', '1.0.0.0'], ['removeCIDR', '1.0.0.0/x'], ['removeCIDR', '1.0.0.0/33'], ['removeCIDR', 5],
    R, S],

  // 44: exact removal of each kind, mixed families
  [['addAddress', '1.1.1.1'], ['addAddress', '::1', 'ipv6'], ['addRange', '2.0.0.1', '2.0.0.9'],
    ['addRange', '::10', '::20', 'ipv6'], ['addSubnet', '3.0.0.0', 8], ['addSubnet', 'fe80::', 10, 'ipv6'], R, S,
    ['removeAddress', '::1', 'ipv6'], R, S,
    ['removeRange', '::10', '::20', 'ipv6'], R, S,
    ['removeSubnet', 'fe80::', 10, 'ipv6'], R, S,
    ['removeAddress', '1.1.1.1'], ['removeRange', '2.0.0.1', '2.0.0.9'], ['removeSubnet', '3.0.0.0', 8], R, S,
    ['check', '1.1.1.1'], ['check', '2.0.0.5'], ['check', '3.0.0.1']],

  // 45: remove using a different textual form of the same IPv6 address
  [['addAddress', '2001:db8::1', 'ipv6'], ['addSubnet', '2001:db8::', 48, 'ipv6'],
    ['removeAddress', '2001:0DB8:0:0:0:0:0:1', 'ipv6'], R, S,
    ['removeSubnet', '2001:db8:0::', 48, 'IPv6'], R, S],

  // 46: rules ordering with many mixed adds (from blocklist_v26_methods)
  [['addAddress', '1.1.1.1'], ['addRange', '2.0.0.1', '2.0.0.9'], ['addSubnet', '3.0.0.0', 8],
    ['addAddress', '4.4.4.4'], ['addCIDR', '5.0.0.0/8'], ['addCIDR', '2001:db8::/32'],
    ['addAddresses', ['6.6.6.6', '7.7.7.7']], ['addAddresses', ['::6', '::7'], 'ipv6'], R, S,
    ['toJSON']],

  // 47: rules ordering, ranges and subnets interleaved, both families
  [['addRange', '1.0.0.1', '1.0.0.2'], ['addSubnet', '::', 16, 'ipv6'], ['addRange', '::1', '::2', 'ipv6'],
    ['addAddress', '9.9.9.9'], ['addSubnet', '2.0.0.0', 8], ['addRange', '3.0.0.1', '3.0.0.2'],
    ['addAddress', '::9', 'ipv6'], ['addSubnet', '4.0.0.0', 8], R, S,
    ['removeRange', '::1', '::2', 'ipv6'], ['removeSubnet', '2.0.0.0', 8], R, S,
    ['addRange', '::1', '::2', 'ipv6'], R],

  // 48: addAddresses
  [['addAddresses', []], R, S,
    ['addAddresses', ['1.1.1.1', '2.2.2.2', '3.3.3.3']], R, S,
    ['addAddresses', ['1.1.1.1', '4.4.4.4', '4.4.4.4']], R, S,
    ['addAddresses', ['::1', '::2'], 'IPv6'], R, S,
    ['check', '4.4.4.4'], ['check', '::2', 'ipv6']],

  // 49: addAddresses with one bad entry -> nothing added
  [['addAddress', '9.9.9.9'],
    ['addAddresses', ['1.2.3.4', 'bad']], R, S,
    ['addAddresses', ['1.2.3.4', 5]], R, S,
    ['addAddresses', ['1.2.3.4', '::1']], R, S,
    ['addAddresses', ['::1', '::2']], R, S,
    ['addAddresses', ['1.2.3.4'], 'ipv5'], ['addAddresses', [], 'ipv5'], ['addAddresses', [], 4],
    ['addAddresses', '1.2.3.4'], ['addAddresses'], ['addAddresses', 5], R, S,
    ['check', '1.2.3.4']],

  // 50: addCIDR basics
  [['addCIDR', '10.0.0.0/8'], ['addCIDR', '2001:db8::/32'], R, S,
    ['check', '10.255.0.1'], ['check', '11.0.0.0'], ['check', '2001:db8:1::1', 'ipv6'],
    ['check', '2001:db9::', 'ipv6'], ['check', '::ffff:10.1.1.1', 'ipv6']],

  // 51: addCIDR edge prefixes and families from text
  [['addCIDR', '0.0.0.0/0'], ['addCIDR', '::/0'], ['addCIDR', '1.2.3.4/32'], ['addCIDR', '::1/128'],
    ['addCIDR', '::ffff:1.2.3.0/120'], ['addCIDR', '1.2.3.4/0'], R, S],

  // 52: addCIDR errors
  [['addCIDR', '10.0.0.0'], ['addCIDR', '10.0.0.0/x'], ['addCIDR', '10.0.0.0/08'], ['addCIDR', '1.2.3.4/33'],
    ['addCIDR', '::/129'], ['addCIDR', 'nope/8'], ['addCIDR', 5], ['addCIDR'], ['addCIDR', '/8'],
    ['addCIDR', '10.0.0.0/'], ['addCIDR', '10.0.0.0/-1'], ['addCIDR', '10.0.0.0/+8'], ['addCIDR', '10.0.0.0/ 8'],
    ['addCIDR', '10.0.0.0/8 '], ['addCIDR', '10.0.0.0/8.0'], ['addCIDR', '10.0.0.0/8/8'],
    ['addCIDR', '10.0.0.0 /8'], ['addCIDR', '::1/-0'], ['addCIDR', '1.2.3.4/1e1'], ['addCIDR', '[::1]/64'],
    ['addCIDR', '10.0.0.0//8'], R, S],

  // 53: addCIDR: family decided by ':' only
  [['addCIDR', '::ffff:1.2.3.4/33'], ['addCIDR', '1.2.3.4:80/8'], ['addCIDR', '::ffff:1.2.3.4/128'], R, S,
    ['check', '1.2.3.4'], ['check', '1.2.3.5']],

  // 54: addCIDRs
  [['addCIDRs', []], R, S,
    ['addCIDRs', ['1.0.0.0/8', '2001:db8::/32', '1.0.0.0/8']], R, S,
    ['addCIDRs', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '::1/128',
      '169.254.0.0/16', 'fe80::/10', 'fc00::/7']], R, S,
    ['check', '172.31.0.1'], ['check', '172.32.0.1'], ['check', 'fd12::1', 'ipv6'], ['check', 'fe80::1', 'ipv6'],
    ['check', '::ffff:192.168.1.1', 'ipv6'], ['check', '8.8.8.8']],

  // 55: addCIDRs with one bad entry -> nothing added
  [['addCIDR', '9.0.0.0/8'],
    ['addCIDRs', ['1.0.0.0/8', 'bad']], R, S,
    ['addCIDRs', ['1.0.0.0/8', 5]], R, S,
    ['addCIDRs', ['1.0.0.0/8', '2.0.0.0/x']], R, S,
    ['addCIDRs', ['1.0.0.0/8', '2.0.0.0/33']], R, S,
    ['addCIDRs', ['1.0.0.0/8', 'nope/8']], R, S,
    ['addCIDRs', '1.0.0.0/8'], ['addCIDRs'], R, S, ['check', '1.2.3.4']],

  // 56: removeCIDR
  [['addCIDRs', ['1.0.0.0/8', '2.0.0.0/8', '::/8']], ['removeCIDR', '2.0.0.0/8'], R, S,
    ['removeCIDR', '::/8'], R, S, ['removeCIDR', '1.0.0.0/16'], ['removeCIDR', '1.0.0.0/08'], R, S],

  // 57: check of unparseable strings
  [['addSubnet', '0.0.0.0', 0], ['addSubnet', '::', 0, 'ipv6'],
    ['check', 'garbage'], ['check', ''], ['check', ' 1.2.3.4'], ['check', '1.2.3.4 '], ['check', '01.2.3.4'],
    ['check', '1.2.3'], ['check', '256.1.1.1'], ['check', '127.1'], ['check', '1.2.3.4/8'], ['check', '1.2.3.4:80'],
    ['check', 'garbage', 'ipv6'], ['check', '', 'ipv6'], ['check', '[::1]', 'ipv6'], ['check', ':::', 'ipv6'],
    ['check', '::1%1', 'ipv6'], ['check', 'fe80::1%lo', 'ipv6'], ['check', '::/0', 'ipv6'],
    ['check', '1.2.3.4', 'ipv6'], ['check', '::1', 'ipv4'], ['check', '0.0.0.0'], ['check', '::', 'ipv6']],

  // 58: check family strings
  [['addAddress', '1.2.3.4'], ['addAddress', '::1', 'ipv6'],
    ['check', '1.2.3.4', 'ipv4'], ['check', '1.2.3.4', 'IPv4'], ['check', '1.2.3.4', 'IPV4'],
    ['check', '1.2.3.4', 'ipv5'], ['check', '1.2.3.4', ''], ['check', '1.2.3.4', 'ipv6'], ['check', '1.2.3.4', null],
    ['check', '::1', 'ipv5'], ['check', '::1', ''], ['check', '::1', 'bogus'], ['check', '::1', 'IPV6'],
    ['check', '::1', 'ipv4'], ['check', '::1'], ['check', '::1', null]],

  // 59: clear
  [['addAddress', '1.1.1.1'], ['addSubnet', '2.0.0.0', 8], ['addRange', '::1', '::2', 'ipv6'], R, S,
    ['clear'], R, S, ['toJSON'], ['check', '1.1.1.1'], ['check', '2.2.2.2'],
    ['clear'], S, ['addAddress', '1.1.1.1'], R, S, ['check', '1.1.1.1']],

  // 60: toJSON -> fromJSON round trip (array)
  [['addAddress', '1.1.1.1'], ['addAddress', '::7', 'ipv6'], ['addAddress', '6.6.6.6'],
    ['addSubnet', '3.0.0.0', 8], ['addSubnet', '2001:db8::', 32, 'ipv6'],
    ['addRange', '2.0.0.1', '2.0.0.9'], ['addRange', '::1', '::9', 'ipv6'], ['toJSON'], S,
    ['fromJSON', ['Address: IPv6 ::7', 'Address: IPv4 6.6.6.6', 'Address: IPv4 1.1.1.1',
      'Subnet: IPv6 2001:db8::/32', 'Subnet: IPv4 3.0.0.0/8',
      'Range: IPv6 ::1-::9', 'Range: IPv4 2.0.0.1-2.0.0.9']], R, S,
    ['check', '2.0.0.9'], ['check', '::9', 'ipv6'], ['check', '3.3.3.3'], ['check', '2001:db8::5', 'ipv6']],

  // 61: fromJSON from JSON text, twice (order reverses each time)
  [['fromJSON', '["Address: IPv4 1.1.1.1","Address: IPv4 2.2.2.2","Subnet: IPv4 3.0.0.0/8","Subnet: IPv4 4.0.0.0/8"]'],
    R, S, ['toJSON'],
    ['fromJSON', '["Address: IPv4 2.2.2.2","Address: IPv4 1.1.1.1","Subnet: IPv4 4.0.0.0/8","Subnet: IPv4 3.0.0.0/8"]'],
    R, S],

  // 62: fromJSON replaces the current list (old rules gone)
  [['addAddress', '9.9.9.9'], ['addCIDR', '8.0.0.0/8'], R,
    ['fromJSON', ['Address: IPv4 1.1.1.1']], R, S, ['check', '9.9.9.9'], ['check', '1.1.1.1'],
    ['fromJSON', []], R, S, ['fromJSON', '[]'], R, S],

  // 63: fromJSON with unrecognised strings (skipped)
  [['fromJSON', ['Subnet: IPv4 192.168.1.0/24', 'Address: IPv4 10.0.0.5', 'Range: IPv4 10.0.1.1-10.0.1.9',
    'Subnet: IPv6 2001:db8:1234::/48', 'junk', '', 'Address: IPv5 1.1.1.1', 'address: IPv4 1.1.1.1',
    'Address: ipv4 1.1.1.1', 'Address:IPv4 1.1.1.1', 'Address: IPv4 1.1.1', 'Host: IPv4 1.1.1.1']], R, S],

  // 64: fromJSON loose matching (regexes are unanchored / case-insensitive for IPv6)
  [['fromJSON', ['xx Address: IPv4 1.2.3.4 trailing', 'Address: IPv4 5.6.7.8/24', 'Subnet: IPv4 9.0.0.0/8 zz',
    'address: IPv6 ::1', 'ADDRESS: IPv6 ::2', 'subnet: IPv6 ::/16', 'range: IPv6 ::5-::6',
    'Address: IPv6 ::ffff:1.2.3.4', 'Address: IPv4 1.2.3.4 Address: IPv6 ::9',
    'Subnet: IPv4 10.0.0.0/8Range: IPv4 1.1.1.1-1.1.1.2']], R, S],

  // 65: fromJSON where a recognised-looking entry is invalid (throws); list unchanged
  [['addAddress', '7.7.7.7'],
    ['fromJSON', ['Address: IPv4 1.1.1.1', 'Subnet: IPv4 1.2.3.0/99']], R, S,
    ['fromJSON', ['Address: IPv4 1.1.1.1', 'Address: IPv4 999.1.1.1']], R, S,
    ['fromJSON', ['Range: IPv4 1.1.1.9-1.1.1.1']], R, S,
    ['fromJSON', ['Address: IPv6 ::zz']], R, S,
    ['fromJSON', ['Address: IPv6 :::']], R, S,
    ['fromJSON', ['Subnet: IPv6 ::/200']], R, S],

  // 66: fromJSON invalid JSON text and non-arrays
  [['addAddress', '7.7.7.7'],
    ['fromJSON', 'not json'], ['fromJSON', ''], ['fromJSON', '["a",'], ['fromJSON', "['Address: IPv4 1.1.1.1']"],
    ['fromJSON', '{}'], ['fromJSON', '5'], ['fromJSON', 'null'], ['fromJSON', '"Address: IPv4 1.1.1.1"'],
    ['fromJSON', '[1]'], ['fromJSON', '["Address: IPv4 1.1.1.1", null]'], ['fromJSON', 5], ['fromJSON'],
    R, S],

  // 67: fromJSON of a serialized list with IPv4-in-IPv6 text
  [['fromJSON', ['Address: IPv6 ::ffff:1.2.3.4', 'Subnet: IPv6 ::ffff:10.0.0.0/104',
    'Range: IPv6 ::ffff:2.0.0.1-::ffff:2.0.0.9']], R, S,
    ['check', '1.2.3.4'], ['check', '10.9.9.9'], ['check', '2.0.0.5']],

  // 68: fromJSON with duplicates
  [['fromJSON', ['Address: IPv4 1.1.1.1', 'Address: IPv4 1.1.1.1', 'Subnet: IPv4 2.0.0.0/8', 'Subnet: IPv4 2.0.0.0/8']],
    R, S],

  // 69: JSON text round trip from toJSON output of a mixed list
  [['addAddresses', ['1.1.1.1', '2.2.2.2']], ['addCIDRs', ['3.0.0.0/8', 'fc00::/7']], ['addRange', '4.0.0.1', '4.0.0.2'],
    ['toJSON'],
    ['fromJSON', '["Address: IPv4 2.2.2.2","Address: IPv4 1.1.1.1","Subnet: IPv6 fc00::/7","Subnet: IPv4 3.0.0.0/8","Range: IPv4 4.0.0.1-4.0.0.2"]'],
    R, S, ['toJSON']],

  // 70: overlapping rules, removing one leaves the others matching
  [['addSubnet', '10.0.0.0', 8], ['addRange', '10.0.0.0', '10.0.0.255'], ['addAddress', '10.0.0.1'],
    ['check', '10.0.0.1'], ['removeSubnet', '10.0.0.0', 8], ['check', '10.0.0.1'], ['check', '10.1.0.0'],
    ['removeRange', '10.0.0.0', '10.0.0.255'], ['check', '10.0.0.1'], ['check', '10.0.0.2'],
    ['removeAddress', '10.0.0.1'], ['check', '10.0.0.1'], R, S],

  // 71: IPv6 zone ids (numeric)
  [['addAddress', 'fe80::1%1', 'ipv6'], R, S, ['check', 'fe80::1', 'ipv6'], ['check', 'fe80::1%1', 'ipv6'],
    ['addCIDR', 'fe80::%1/64'], R, S],

  // 72: null args mean "omitted"
  [['addAddress', '1.2.3.4', null], ['addRange', '2.0.0.1', '2.0.0.2', null], ['addSubnet', '3.0.0.0', 8, null],
    R, S, ['check', '1.2.3.4', null], ['removeAddress', '1.2.3.4', null], R, S],

  // 73: IPv6 addresses with embedded IPv4 that are not mapped/compatible
  [['addAddress', '1.2.3.4'],
    ['check', '64:ff9b::102:304', 'ipv6'], ['check', '::ffff:0:1.2.3.4', 'ipv6'], ['check', '2002:102:304::', 'ipv6'],
    ['check', '::102:304', 'ipv6'], ['check', '::ffff:1.2.3.4', 'IPv6'], ['check', '::ffff:1.2.3.4', 'ipv5']],

  // 74: mapped IPv6 range bounds vs IPv4 range rule
  [['addRange', '10.0.0.0', '10.0.0.255'], ['addRange', '::ffff:10.0.1.0', '::ffff:10.0.1.255', 'ipv6'], R,
    ['check', '::ffff:10.0.0.0', 'ipv6'], ['check', '::ffff:10.0.0.255', 'ipv6'], ['check', '::ffff:10.0.1.0', 'ipv6'],
    ['check', '10.0.1.128'], ['check', '10.0.2.0']],

  // 75: size counts after many operations; remove all
  [['addAddresses', ['1.0.0.1', '1.0.0.2', '1.0.0.3', '1.0.0.4', '1.0.0.5']], S,
    ['addCIDRs', ['2.0.0.0/8', '3.0.0.0/8', '2.0.0.0/8']], S,
    ['addRange', '4.0.0.1', '4.0.0.5'], ['addRange', '4.0.0.1', '4.0.0.5'], S, R,
    ['removeAddress', '1.0.0.3'], ['removeCIDR', '2.0.0.0/8'], ['removeRange', '4.0.0.1', '4.0.0.5'], S, R,
    ['removeAddress', '1.0.0.1'], ['removeAddress', '1.0.0.2'], ['removeAddress', '1.0.0.4'], ['removeAddress', '1.0.0.5'],
    ['removeCIDR', '2.0.0.0/8'], ['removeCIDR', '3.0.0.0/8'], ['removeRange', '4.0.0.1', '4.0.0.5'], S, R],

  // 76: IPv6 ranges whose bounds are not both IPv4-mapped vs IPv4 checks
  [['addRange', '::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ipv6'], R,
    ['check', '1.1.1.1'], ['check', '::ffff:1.1.1.1', 'ipv6'], ['check', '::1', 'ipv6'],
    ['clear'], ['addRange', '::1', '::ffff:1.1.1.1', 'ipv6'], R,
    ['check', '1.1.1.1'], ['check', '::ffff:1.1.1.1', 'ipv6'], ['check', '::ffff:1.1.1.0', 'ipv6'],
    ['clear'], ['addRange', '::ffff:0.0.0.0', '::ffff:255.255.255.255', 'ipv6'], R,
    ['check', '1.1.1.1'], ['check', '0.0.0.0'], ['check', '::1', 'ipv6']],

  // 77: IPv6 subnets vs IPv4 checks (mapped prefix or not)
  [['addSubnet', '::', 1, 'ipv6'], R, ['check', '1.1.1.1'], ['check', '::ffff:1.1.1.1', 'ipv6'],
    ['clear'], ['addSubnet', '::', 96, 'ipv6'], R, ['check', '1.1.1.1'], ['check', '::1.1.1.1', 'ipv6'],
    ['clear'], ['addSubnet', '::ffff:1.1.1.1', 128, 'ipv6'], R, ['check', '1.1.1.1'], ['check', '1.1.1.2']],

  // 78: IPv4 address and its IPv4-mapped form share one address rule
  [['addAddress', '::ffff:1.2.3.4', 'ipv6'], ['addAddress', '1.2.3.4'], R, S,
    ['addAddress', '::ffff:1.2.3.4', 'ipv6'], R, S,
    ['removeAddress', '::ffff:1.2.3.4', 'ipv6'], R, S, ['check', '1.2.3.4'],
    ['addAddress', '5.6.7.8'], ['removeAddress', '::ffff:506:708', 'ipv6'], R, S,
    ['addAddress', '::1.2.3.4', 'ipv6'], ['addAddress', '1.2.3.4'], R, S],

  // 79: many addresses: order of Address rules (not simply newest first)
  [['addAddresses', ['1.0.0.1', '1.0.0.2', '1.0.0.3', '1.0.0.4', '1.0.0.5', '1.0.0.6', '1.0.0.7', '1.0.0.8',
    '1.0.0.9', '1.0.0.10', '1.0.0.11', '1.0.0.12']], R, S,
    ['removeAddress', '1.0.0.6'], R, ['addAddress', '1.0.0.6'], R,
    ['addAddresses', ['::1', '::2', '::3', '::4'], 'ipv6'], R, S],

  // 80: zone ids are accepted and dropped
  [['addAddress', 'fe80::1%nosuchif', 'ipv6'], ['addAddress', 'fe80::2%', 'ipv6'], R, S,
    ['check', 'fe80::1', 'ipv6'], ['check', 'fe80::1%7', 'ipv6'], ['check', 'fe80::2%abc', 'ipv6'],
    ['check', '1.2.3.4%1'], ['addAddress', '1.2.3.4%1'], ['removeAddress', 'fe80::1%9', 'ipv6'], R, S],

  // 81: fromJSON odd address text
  [['fromJSON', ['Address: IPv4 1.2.3.4.5', 'Range: IPv4 1.1.1.1-1.1.1.2-1.1.1.3',
    'Subnet: IPv6 ::/8/9', 'Address: IPv6 ::1%eth0', 'Subnet: IPv4 10.0.0.0/123']], R, S],
  [['fromJSON', ['Address: IPv4 01.2.3.4']], R, S,
    ['fromJSON', ['Address: IPv4 1.2.3.4', 'Address: IPv6 1::2::3']], R, S],
];

function encode(v) {
  return v === undefined ? null : v;
}

function apply(state, op) {
  const [method, ...raw] = op;
  const args = raw.map((a) => (a === null ? undefined : a));
  switch (method) {
    case 'rules': return state.list.rules;
    case 'size': return state.list.size;
    case 'toJSON': return state.list.toJSON();
    case 'fromJSON': {
      const fresh = new net.BlockList();
      fresh.fromJSON(...args);
      state.list = fresh;
      return fresh.rules;
    }
    case 'addAddress': case 'addAddresses': case 'addRange': case 'addSubnet':
    case 'addCIDR': case 'addCIDRs': case 'removeAddress': case 'removeRange':
    case 'removeSubnet': case 'removeCIDR': case 'check': case 'clear':
      return state.list[method](...args);
    default:
      throw new Error(`recorder: unknown op ${method}`);
  }
}

const out = [];
CASES.forEach((ops, i) => {
  const state = { list: new net.BlockList() };
  for (const op of ops) {
    let line;
    try {
      const ok = apply(state, op);
      line = { case: i, op, ok: encode(ok) };
    } catch (e) {
      if (typeof e?.message === 'string' && e.message.startsWith('recorder:')) throw e;
      line = { case: i, op, error: { name: e.name, code: e.code ?? null, message: e.message } };
    }
    out.push(JSON.stringify(line));
  }
});
process.stdout.write(out.join('\n') + '\n');
