"""`sipha-netcfg bigip-export` and `sipha-netcfg check` on the reference's example pair (docs/bigip.md):
the export prints the tmsh commands and exits 0; a broken pair is refused with exit 2 and one
reason per line naming the file and the option. No namespace and no traffic: the addresses are
configuration values only. The object-by-object checks are unit tests (netcfg_policy_test)."""

import os
import subprocess

import pytest

from policy_net import write_config


def netcfg():
    path = os.environ.get("SIPHA_NETCFG")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("set SIPHA_NETCFG to the sipha-netcfg binary (CTest does)")
    return path


def node(tmp_path, name, own, peer, **changes):
    tserver = {"sip-address": "192.168.166.238", "sip-interface": own, "sip-port": 5060,
               "sip-port-tls": 5061, "internal-registrar-enabled": "true",
               "internal-registrar-persistent": "true", "sip-hold-rfc3264": "true"}
    network = {"mode": "bigip", "service-link": "eth0", "service-address": own + "/25",
               "peer-service-address": peer, "gateway": "192.168.167.96",
               "snat-exclusions": "172.21.83.193", "config-server": "172.21.83.193",
               "bigip-self-external-address": "192.168.166.229/28",
               "bigip-route-gateway": "192.168.166.225"}
    for key, value in changes.items():
        key = key.replace("_", "-")
        (tserver if key.startswith("sip-") else network)[key] = value
    return write_config(tmp_path / name, tserver, network)


def run(*args):
    return subprocess.run([netcfg(), *args], capture_output=True, text=True, timeout=30)


def test_export_of_the_reference_example(tmp_path):
    primary = node(tmp_path, "node1.ini", "192.168.167.125", "192.168.167.126")
    backup = node(tmp_path, "node2.ini", "192.168.167.126", "192.168.167.125")
    result = run("bigip-export", "--config", primary, "--peer-config", backup)
    assert result.returncode == 0, result.stderr
    tmsh = result.stdout
    assert "create ltm pool poolHa01 monitor monSipUdp" in tmsh
    assert "nodeHa01Primary:5060 { address 192.168.167.125 }" in tmsh
    assert "nodeHa01Backup:5060 { address 192.168.167.126 }" in tmsh
    assert "create ltm snatpool snatPoolVipHa01 members replace-all-with { 192.168.166.238 }" in tmsh
    assert "records replace-all-with { 172.21.83.193/32 { } }" in tmsh
    assert "destination 192.168.166.238:5061" in tmsh
    assert tmsh.rstrip().endswith("save sys config")
    checked = run("check", "--config", primary, "--peer-config", backup)
    assert checked.returncode == 0, checked.stderr


def test_a_broken_pair_is_refused_with_one_reason_per_line(tmp_path):
    primary = node(tmp_path, "node1.ini", "192.168.167.125", "192.168.167.126",
                   snat_exclusions="10.0.0.1")
    backup = node(tmp_path, "node2.ini", "192.168.167.126", "192.168.167.125",
                  sip_port=5070, snat_exclusions="10.0.0.1")
    for command in ("check", "bigip-export"):
        result = run(command, "--config", primary, "--peer-config", backup)
        assert result.returncode == 2, result.stdout
        assert "create ltm" not in result.stdout
        reasons = result.stderr.strip().splitlines()
        assert any("node2.ini" in r and "TServer.sip-port" in r and "5070" in r for r in reasons), \
            result.stderr
        assert any("node1.ini" in r and "misses 172.21.83.193 (config-server)" in r
                   for r in reasons), result.stderr
