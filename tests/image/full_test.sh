#!/usr/bin/env bash
# make image-test-full: the boot test plus the longer checks (about 10-15 minutes under TCG):
# reboot persistence, tamper refusal, Secure Boot signed/unsigned, lynis inside the image.
# usage: tests/image/full_test.sh [IMAGE]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
image=${1:-$(ls -t "$here"/../../build/image/sipha-*-x86_64.img 2>/dev/null | head -1)}
if [ -z "$image" ] || [ ! -f "$image" ]; then
  echo "no image: run make image first" >&2
  exit 1
fi
status=0
"$here/boot_test.sh" "$image" || status=1
for check in persistence tamper secureboot lynis; do
  echo "== $check"
  python3 "$here/image_test.py" "$check" "$image" || status=1
done
exit $status
