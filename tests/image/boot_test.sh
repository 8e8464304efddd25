#!/usr/bin/env bash
# make image-test: the sandboxing gate, then one boot of the image under qemu (TCG, snapshot):
# every sipha unit active, OPTIONS answered through the forwarded SIP port, no failed unit.
# usage: tests/image/boot_test.sh [IMAGE]   (default: the newest build/image/sipha-*-x86_64.img)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
image=${1:-$(ls -t "$here"/../../build/image/sipha-*-x86_64.img 2>/dev/null | head -1)}
if [ -z "$image" ] || [ ! -f "$image" ]; then
  echo "no image: run make image first" >&2
  exit 1
fi
"$here/security_test.sh"
python3 "$here/image_test.py" boot "$image"
