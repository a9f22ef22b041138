#!/usr/bin/env bash
# The declared rust-version (workspace.package.rust-version) holds, checked with the one installed
# toolchain (this machine cannot fetch a second one, so `cargo +MSRV check` is not available):
#  1. every package in the resolved dependency graph declares a rust-version no newer than ours
#     (the resolver is MSRV-aware, `resolver = "3"`; this catches a lock file that drifted);
#  2. our own code uses no standard-library item stabilized after it: clippy's
#     `incompatible_msrv` lint reads the same rust-version, run here on its own as an error.
# What this cannot see: language syntax stabilized later (e.g. let chains, 1.88); review catches it.
set -euo pipefail
cd "$(dirname "$0")/.."

msrv=$(cargo metadata --format-version 1 --no-deps | python3 -c '
import json, sys
m = json.load(sys.stdin)
print(next(p["rust_version"] for p in m["packages"] if p["name"] == "net-core"))')
echo "declared rust-version: $msrv"

cargo metadata --format-version 1 | python3 -c '
import json, sys
msrv = tuple(int(x) for x in sys.argv[1].split("."))
m = json.load(sys.stdin)
def v(s): return tuple(int(x) for x in s.split("."))
bad = [(p["name"], p["version"], p["rust_version"]) for p in m["packages"]
       if p.get("rust_version") and v(p["rust_version"]) > msrv]
for name, version, rv in bad:
    print(f"{name} {version} needs Rust {rv}", file=sys.stderr)
if bad:
    sys.exit(f"{len(bad)} dependencies need a newer Rust than {sys.argv[1]}")
newest = max((p["rust_version"] for p in m["packages"] if p.get("rust_version")), key=v)
print(len(m["packages"]), "packages resolved; the newest rust-version among them is", newest)
' "$msrv"

cargo clippy --workspace --all-targets --quiet -- -A clippy::all -D clippy::incompatible_msrv
echo "clippy::incompatible_msrv: no std item newer than $msrv"
