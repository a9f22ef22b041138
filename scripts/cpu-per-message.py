#!/usr/bin/env python3
"""Server CPU per message with less noise than `bench`: one connection, a long 64-byte ping-pong
from a Python client, repetitions interleaved across servers, user and system time read apart.

    scripts/cpu-per-message.py tcp|unix [ROUND_TRIPS] [REPETITIONS] [SERVER...]
    SERVER: net-tokio net-smol net-mio plain-tokio plain-smol plain-mio (default: all)

Prints each server's median user and system µs per round trip and the spread of the system time.
Needs release binaries: cargo build --release -p examples.
"""
import os, socket, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release")
SERVERS = {
    "net-tokio": ["echo", "--backend", "tokio"],
    "net-smol": ["echo", "--backend", "smol"],
    "net-mio": ["echo", "--backend", "mio"],
    "plain-tokio": ["plain-echo", "--runtime", "tokio"],
    "plain-smol": ["plain-echo", "--runtime", "smol"],
    "plain-mio": ["plain-echo", "--runtime", "mio"],
}


def cpu_ticks(pid):
    # /proc/PID/stat after the command name: utime and stime are fields 14 and 15.
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def measure(transport, cmd, n):
    at = f"/tmp/cpu-per-message-{os.getpid()}.sock" if transport == "unix" else "127.0.0.1:0"
    if transport == "unix" and os.path.exists(at):
        os.unlink(at)
    server = subprocess.Popen([os.path.join(BIN, cmd[0])] + cmd[1:] + ["--listen", at],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        addr = server.stdout.readline().strip().removeprefix("listening on ")
        if transport == "unix":
            s = socket.socket(socket.AF_UNIX)
            s.connect(addr)
        else:
            s = socket.create_connection(("127.0.0.1", int(addr.rsplit(":", 1)[1])))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        msg = b"x" * 64

        def pingpong(k):
            for _ in range(k):
                s.sendall(msg)
                got = 0
                while got < 64:
                    d = s.recv(64 - got)
                    if not d:
                        sys.exit(f"{cmd}: connection closed")
                    got += len(d)

        pingpong(2000)  # warm-up
        before = cpu_ticks(server.pid)
        pingpong(n)
        after = cpu_ticks(server.pid)
        s.close()
    finally:
        server.kill()
        server.wait()
    per_tick = 1e6 / os.sysconf("SC_CLK_TCK") / n
    return (after[0] - before[0]) * per_tick, (after[1] - before[1]) * per_tick


def main():
    transport = sys.argv[1] if len(sys.argv) > 1 else sys.exit(__doc__)
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 60000
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    names = sys.argv[4:] or list(SERVERS)
    results = {name: [] for name in names}
    for _ in range(reps):
        for name in names:
            results[name].append(measure(transport, SERVERS[name], n))
    for name, rs in results.items():
        user = statistics.median(r[0] for r in rs)
        system = [r[1] for r in rs]
        print(f"{name:12} user {user:5.2f} µs  system {statistics.median(system):5.2f} µs "
              f"(system {min(system):.2f}-{max(system):.2f})  total {user + statistics.median(system):5.2f} µs")


if __name__ == "__main__":
    main()
