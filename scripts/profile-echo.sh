#!/usr/bin/env bash
# Repeatable per-message costs of one echo server, for finding where a benchmark ratio comes from
# (the bench's CPU times on a shared 2-core machine spread by ±20-60%; these counts do not).
#
#   scripts/profile-echo.sh tcp|unix SERVER [ROUND_TRIPS]
#   SERVER: net-tokio net-smol net-mio plain-tokio plain-smol plain-mio
#   WORKLOAD=churn scripts/profile-echo.sh ...   (one connection per round trip, as bench's churn)
#
# Prints, for a one-connection 64-byte ping-pong driven by a Python client (with WORKLOAD=churn:
# connect, 32-byte write, read, close, one connection after another):
# - user-space instructions per round trip (valgrind callgrind; the difference of two runs of
#   different lengths, so start-up and warm-up cancel out);
# - syscalls per round trip, by name (strace -c on the running server).
# Needs valgrind, strace and python3, and release binaries: cargo build --release -p examples.
# A profile by function: build with CARGO_PROFILE_RELEASE_DEBUG=line-tables-only and read the
# callgrind file kept with KEEP=1 (its path is printed) with callgrind_annotate.
set -euo pipefail
transport=${1:?tcp or unix}
server=${2:?server name}
n=${3:-3000}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/target/release
case $server in
  net-*) cmd=("$bin/echo" --backend "${server#net-}") ;;
  plain-*) cmd=("$bin/plain-echo" --runtime "${server#plain-}") ;;
  *) echo "unknown server $server" >&2; exit 2 ;;
esac
dir=$(mktemp -d)
if [ "${KEEP:-}" = 1 ]; then echo "kept in $dir"; else trap 'rm -rf "$dir"' EXIT; fi

cat > "$dir/client.py" <<'EOF'
import os, socket, sys
addr, n = sys.argv[1], int(sys.argv[2])
churn = os.environ.get("WORKLOAD") == "churn"
def connect():
    if addr.startswith("/"):
        s = socket.socket(socket.AF_UNIX); s.connect(addr)
    else:
        s = socket.create_connection(("127.0.0.1", int(addr))); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s
def echo(s, size):
    s.sendall(b"x" * size); got = 0
    while got < size:
        d = s.recv(size - got)
        if not d: sys.exit("server closed")
        got += len(d)
if churn:
    for _ in range(n):
        s = connect(); echo(s, 32); s.close()
else:
    s = connect()
    for _ in range(n):
        echo(s, 64)
    s.close()
EOF

# start PREFIX... : runs the server (under PREFIX), sets $pid and $target.
start() {
  local at=127.0.0.1:0
  [ "$transport" = unix ] && at=$dir/s.sock && rm -f "$at"
  "$@" "${cmd[@]}" --listen "$at" > "$dir/stdout" 2> "$dir/stderr" &
  pid=$!
  for _ in $(seq 300); do grep -q "listening on" "$dir/stdout" 2>/dev/null && break; sleep 0.1; done
  local a; a=$(sed -n 's/^listening on //p' "$dir/stdout")
  if [ "$transport" = unix ]; then target=$a; else target=${a##*:}; fi
}

# Total instructions of a server run that served 300 + $1 round trips.
instructions() {
  start valgrind --tool=callgrind --callgrind-out-file="$dir/$2.out"
  python3 "$dir/client.py" "$target" 300
  python3 "$dir/client.py" "$target" "$1"
  sleep 0.3
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  sed -n 's/^\(summary\|totals\): *//p' "$dir/$2.out" | head -1
}

short=$(instructions 500 short)
long=$(instructions $((500 + n)) long)
echo "$server $transport ${WORKLOAD:-pingpong}: $(( (long - short) / n )) user-space instructions per round trip"

start
python3 "$dir/client.py" "$target" 300
strace -f -c -p "$pid" -o "$dir/strace" 2>/dev/null &
tracer=$!
sleep 0.5
python3 "$dir/client.py" "$target" "$n"
sleep 0.3
kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
echo "syscalls per round trip:"
awk -v n="$n" 'NR > 2 && $NF != "total" && $4 ~ /^[0-9]+$/ && $4 / n >= 0.05 { printf "  %-16s %.2f\n", $NF, $4 / n }' "$dir/strace"
