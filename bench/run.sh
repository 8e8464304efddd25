#!/usr/bin/env bash
# sipha benchmark: sipd vs Kamailio on 127.0.0.1, server pinned to CPU 0, SIPp to CPU 1.
# Usage: bench/run.sh [path/to/sipd] [--lines options,register,persistent,memory] [--help]
# Without a sipd (or when it is not executable) only the Kamailio half is measured.
# See bench/README.md for the method and how to read the table.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The Python driver stops every process group it started on exit, error, INT, TERM and HUP
# (bench/lib/procs.py: installCleanup). exec keeps signals going straight to it.
exec python3 -B "$here/lib/bench.py" "$@"
