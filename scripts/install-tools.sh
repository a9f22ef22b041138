#!/usr/bin/env bash
# The command-line peers the example tests drive: socat and curl, from Debian's packages.
# Idempotent: installs only what is missing.
set -euo pipefail
missing=()
for tool in socat curl; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "socat $(socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/\1/p' | head -1), $(curl --version | head -1 | cut -d' ' -f1-2)" >&2
