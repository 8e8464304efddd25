#!/usr/bin/env bash
# `make run`: runs the appliance on this machine. Until the HA pair (sipha-agent) lands, that is
# sipd alone, standalone (primary), with the demo configuration on loopback.
set -euo pipefail
sipd=${1:-build/bin/sipd}
here=$(cd "$(dirname "$0")/.." && pwd)
data_dir=${SIPHA_DEMO_DIR:-/tmp/sipha-demo}
mkdir -p "$data_dir"
config="$data_dir/sipha.ini"
sed "s#@DATA_DIR@#$data_dir#" "$here/rootfs/etc/sipha/demo.ini" > "$config"
cat <<MSG
sipd is starting with $config (data in $data_dir).
Reach it on 127.0.0.1: SIP UDP/TCP port 5060, TLS port 5061 (self-signed certificate in $data_dir/tls).
  sipsak -vv -s sip:127.0.0.1:5060                          # OPTIONS, answered 200
  sipsak -U -C sip:7001@127.0.0.1:5070 -s sip:7001@127.0.0.1  # REGISTER Extension DN 7001
  busctl introspect org.sipha.Sipd1 /org/sipha/Sipd1        # control plane (needs the D-Bus policy)
Stop with Ctrl-C.
MSG
exec "$sipd" --config "$config"
