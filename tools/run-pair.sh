#!/usr/bin/env bash
# `make run`: the appliance pair on this machine (tools/pairlab): two node namespaces (each with
# its own dbus-daemon, sipha-netcfg, sipd and sipha-agent), a client namespace and a BIG-IP
# stand-in (docs: README.md "make run"). Needs root. Usage:
#   tools/run-pair.sh BUILD_BIN_DIR [--takeover] [--agent PATH] [--prefix P] [--keep-files] ...
# (python3 -m pairlab run --help lists every option). Ctrl-C stops and removes everything.
set -euo pipefail
bin=${1:?usage: tools/run-pair.sh BUILD_BIN_DIR [options]}
shift
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "make run needs root (network namespaces, nftables)" >&2
  exit 1
fi
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
exec python3 -m pairlab run --bin "$bin" "$@"
