"""Takeover SNAT on the wire (docs/firewall.md, "Takeover NAT"): while this node holds the VIP,
what it sends from its physical service address leaves with the VIP as source, except toward the
SNAT exclusion group and on the HA link (the reference's iRule); SIP sent to the VIP reaches sipd
on its sip-interface. Captures (tcpdump) and listeners in the peer namespaces see the result.

Topology (this test's namespaces, documentation addresses):
  service LAN 198.51.100.0/24 on a bridge: node .11 holding the VIP .10 (svc0), peer node .12,
    phone .50 (a SIP peer), cfgsrv .53 (the configuration server, in snat-exclusions)
  HA link: node ha0 192.0.2.1/30 <-> peer ha1 192.0.2.2/30
The VIP is put on svc0 by the test itself (netcfg-kernel's SetRole does it in the product).
"""

import pytest

from policy_net import Lan, write_config

NODE = "198.51.100.11"
VIP = "198.51.100.10"
PHONE = "198.51.100.50"
CFGSRV = "198.51.100.53"
PEER = "198.51.100.12"
PEER_HA = "192.0.2.2"


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    lan = Lan("snat")
    try:
        node = lan.namespace("node")
        peer = lan.namespace("peer")
        phone = lan.namespace("phone")
        cfgsrv = lan.namespace("cfgsrv")
        lan.attach(node, "svc0", NODE + "/24", VIP + "/32")
        lan.attach(peer, "eth0", PEER + "/24")
        lan.attach(phone, "eth0", PHONE + "/24")
        lan.attach(cfgsrv, "eth0", CFGSRV + "/24")
        lan.wire(node, "ha0", ["192.0.2.1/30"], peer, "ha1", [PEER_HA + "/30"])
        lan.config = write_config(tmp_path_factory.mktemp("snat") / "node.ini", {
            "sip-address": VIP, "sip-interface": NODE, "sip-port": 5060, "sip-port-tls": 5061,
        }, {
            "mode": "takeover", "service-link": "svc0", "service-address": NODE + "/24",
            "ha-link": "ha0", "ha-address": "192.0.2.1/30", "peer-ha-address": PEER_HA,
            "peer-service-address": PEER, "gateway": "198.51.100.1",
            "snat-exclusions": CFGSRV + ", 203.0.113.0/24", "config-server": CFGSRV,
        })
        lan.serve(phone, "udp", "0.0.0.0", 5060)
        lan.serve(phone, "tcp", "0.0.0.0", 5060)
        lan.serve(cfgsrv, "tcp", "0.0.0.0", 2020)
        lan.serve(peer, "tcp", "0.0.0.0", 7700)
        lan.serve(peer, "udp", "0.0.0.0", 7701)
        lan.serve(node, "udp", NODE, 5060)  # sipd binds sip-interface
        lan.serve(node, "tcp", NODE, 5060)
        lan.apply_firewall(node, lan.config, holds_vip=True)
        lan.roles = {"node": node, "peer": peer, "phone": phone, "cfgsrv": cfgsrv}
        yield lan
    finally:
        lan.close()


def ns(net, role):
    return net.roles[role]


def captured_source(net, role, ifname, bpf, send):
    """Starts tcpdump in role's namespace, runs send(), returns the captured packet's source."""
    capture = net.capture(ns(net, role), ifname, bpf)
    send()
    line = net.captured(capture)
    assert " > " in line, f"nothing captured for '{bpf}' in {role}: {line!r}"
    source = line.split(" IP ", 1)[1].split(" > ")[0]
    return source.rsplit(".", 1)[0]  # drop the port


def test_sip_peer_sees_the_vip_as_source(net):
    node = ns(net, "node")
    source = captured_source(net, "phone", "eth0", f"udp and dst port 5060 and dst host {PHONE}",
                             lambda: net.probe(node, "udp", PHONE, 5060, bind=NODE))
    assert source == VIP
    assert net.probe(node, "udp", PHONE, 5060, bind=NODE) == ("open", VIP)
    assert net.probe(node, "tcp", PHONE, 5060, bind=NODE) == ("open", VIP)


def test_excluded_destination_sees_the_physical_address(net):
    node = ns(net, "node")
    source = captured_source(net, "cfgsrv", "eth0", "tcp and dst port 2020",
                             lambda: net.probe(node, "tcp", CFGSRV, 2020, bind=NODE))
    assert source == NODE
    assert net.probe(node, "tcp", CFGSRV, 2020, bind=NODE) == ("open", NODE)


def test_ha_traffic_is_never_translated(net):
    node = ns(net, "node")
    # From the physical address out of the HA link: the iRule's exception for HA traffic.
    source = captured_source(net, "peer", "ha1", "udp and dst port 7701",
                             lambda: net.probe(node, "udp", PEER_HA, 7701, bind=NODE,
                                               timeout=0.3))
    assert source == NODE
    assert net.probe(node, "tcp", PEER_HA, 7700) == ("open", "192.0.2.1")
    # The peer's service address (HA heartbeats over the service network) is excluded too.
    assert net.probe(node, "tcp", PEER, 7700, bind=NODE) == ("open", NODE)


def test_sip_to_the_vip_reaches_the_physical_listener(net):
    phone = ns(net, "phone")
    # The answer comes back from the VIP (the connected UDP socket accepts only that source) and
    # the listener saw the phone's own address: inbound SIP is never source-NATed.
    assert net.probe(phone, "udp", VIP, 5060) == ("open", PHONE)
    assert net.probe(phone, "tcp", VIP, 5060) == ("open", PHONE)


def test_backup_sends_from_its_physical_address(net):
    node = ns(net, "node")
    try:
        net.apply_firewall(node, net.config, holds_vip=False)
        assert net.probe(node, "udp", PHONE, 5060, bind=NODE) == ("open", NODE)
        assert net.probe(node, "tcp", PHONE, 5060, bind=NODE) == ("open", NODE)
    finally:
        net.apply_firewall(node, net.config, holds_vip=True)
    assert net.probe(node, "tcp", PHONE, 5060, bind=NODE) == ("open", VIP)
