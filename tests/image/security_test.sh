#!/usr/bin/env bash
# tests/image/security_test.sh [ROOT] — the sandboxing gate: every sipha service unit scores at
# most 2.0 exposure in `systemd-analyze security` (offline, on the rootfs/ tree by default, or on
# an extracted image root). Prints each unit's score.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
root=${1:-$source_dir/rootfs}
threshold=${SIPHA_EXPOSURE_MAX:-2.0}
passed=0
failed=0
while read -r name unit; do
  case "$name" in '' | '#'*) continue ;; esac
  [ -f "$root/usr/lib/systemd/system/$unit" ] || continue
  line=$(systemd-analyze security --offline=yes --root="$root" --no-pager "$unit" 2>&1 | tail -1)
  score=$(echo "$line" | sed -n 's/.*exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  if [ -n "$score" ] && awk -v s="$score" -v t="$threshold" 'BEGIN{exit !(s <= t)}'; then
    echo "PASS $unit exposure $score <= $threshold"
    passed=$((passed + 1))
  else
    echo "FAIL $unit exposure ${score:-?} > $threshold: $line"
    failed=$((failed + 1))
  fi
done <"$source_dir/image/services.list"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
