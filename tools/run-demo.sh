#!/usr/bin/env bash
# `make run-single`: one sipd, standalone (primary by itself), with the demo configuration
# (rootfs/etc/sipha/demo.ini) on loopback. `make run` runs the hot-standby pair instead
# (tools/run-pair.sh).
set -euo pipefail
sipd=${1:-build/bin/sipd}
here=$(cd "$(dirname "$0")/.." && pwd)
data_dir=${SIPHA_DEMO_DIR:-/tmp/sipha-demo}
mkdir -p "$data_dir"
config="$data_dir/sipha.ini"
sed -e "s#@DATA_DIR@#$data_dir#" -e "s#@SIP_ADDRESS@#127.0.0.1#" -e "s#@SIP_INTERFACE@#127.0.0.1#" \
  -e "s#@TRUSTED_NETWORKS@#127.0.0.0/8, ::1/128#" -e "s#@NODE_NAME@#demo#" \
  -e "s#@GATEWAY_HOST@#127.0.0.1#" "$here/rootfs/etc/sipha/demo.ini" > "$config"
cat <<MSG
sipd is starting with $config (data in $data_dir).
Reach it on 127.0.0.1: SIP UDP/TCP port 5060, TLS port 5061 (self-signed certificate in
$data_dir/tls). Extensions 7001-7010, passwords demo7001-demo7010.
  sipsak -vv -s sip:127.0.0.1                                    # OPTIONS, answered 200
  sipsak -U -i -C sip:7001@127.0.0.1:5070 -x 3600 -u 7001 -a demo7001 -vv -s sip:7001@127.0.0.1
                                                   # REGISTER 7001 with digest (Expires 3600)
  sipp -sn uas -i 127.0.0.1 -p 5070 -m 1 -bg                     # answers for 7001
  sipp -sn uac -i 127.0.0.1 -p 5090 -m 1 -s 7001 127.0.0.1:5060  # a call to 7001 (trusted)
  busctl introspect org.sipha.Sipd1 /org/sipha/Sipd1   # control plane (needs the D-Bus policy)
Stop with Ctrl-C.
MSG
exec "$sipd" --config "$config"
