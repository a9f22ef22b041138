#!/usr/bin/env bash
# The command-line peers the example tests drive: socat and curl, from Debian's packages
# (apt-get, as root or through sudo). Idempotent: installs only what is missing; safe to run
# from several processes at once (one installs under a lock, the rest wait).
set -euo pipefail
SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
TOOLS="$(cd -- "$SCRIPT_DIR/.." && pwd -P)/.tools"

missing() {
  local out=()
  for tool in socat curl; do
    command -v "$tool" >/dev/null 2>&1 || out+=("$tool")
  done
  echo "${out[@]}"
}

if [ -n "$(missing)" ]; then
  mkdir -p "$TOOLS"
  exec 9>"$TOOLS/.install-tools.lock"
  flock 9
  todo=$(missing)
  if [ -n "$todo" ]; then
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    echo "install-tools.sh: installing $todo from Debian's packages" >&2
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $todo >/dev/null
  fi
  exec 9>&-
fi
echo "socat $(socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/\1/p' | head -1), $(curl --version | head -1 | cut -d' ' -f1-2)" >&2
