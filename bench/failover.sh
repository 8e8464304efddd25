#!/usr/bin/env bash
# sipha failover bench (issue 11 section 8): client-observed outage of each fault, sipha against
# keepalived (VRRP) in the same namespaces and the same run, and a false-failover soak.
# Usage: bench/failover.sh [BIN_DIR] [--runs N] [--faults ...] [--systems ...] [--help]
# Needs root. Method and how to read the output: docs/benchmarks-failover.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The Python driver stops every process it started and removes every namespace on exit, error,
# INT, TERM and HUP (each lab's reaper does it if the driver itself is killed).
exec python3 -B "$here/lib/failover.py" "$@"
