"""Firewall (table inet sipha) on the wire: what should pass passes and what should not is dropped,
tried with real connections from allowed and disallowed namespaces (docs/firewall.md).

Topology (all namespaces of this test, documentation addresses):
  service LAN 198.51.100.0/24 + 2001:db8:100::/64 on a bridge:
    node .11 (the firewall under test, svc0), bigip .1 (self IP, the gateway), peer .12,
    client .50 (a SIP phone), admin .60 (in management-networks 198.51.100.56/29)
  HA link: node ha0 192.0.2.1/30 <-> peer ha1 192.0.2.2/30
A drop is a probe that times out while a listener is bound to the port, and the ruleset's
"inbound dropped by policy" counter grows.
"""

import pytest

from policy_net import Lan, write_config

NODE = "198.51.100.11"
NODE6 = "2001:db8:100::11"
NODE_HA = "192.0.2.1"
DROPPED = "inbound dropped by policy"
UNREACHABLE = "port-unreachable to SIP peers"


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    lan = Lan("fw")
    try:
        node = lan.namespace("node")
        bigip = lan.namespace("bigip")
        peer = lan.namespace("peer")
        client = lan.namespace("client")
        admin = lan.namespace("admin")
        lan.attach(node, "svc0", NODE + "/24", NODE6 + "/64")
        lan.attach(bigip, "eth0", "198.51.100.1/24")
        lan.attach(peer, "eth0", "198.51.100.12/24")
        lan.attach(client, "eth0", "198.51.100.50/24", "2001:db8:100::50/64")
        lan.attach(admin, "eth0", "198.51.100.60/24")
        lan.wire(node, "ha0", [NODE_HA + "/30"], peer, "ha1", ["192.0.2.2/30"])
        config = write_config(tmp_path_factory.mktemp("fw") / "node.ini", {
            "sip-address": "198.51.100.10", "sip-interface": NODE, "sip-port": 5060,
            "sip-port-tls": 5061,
        }, {
            "mode": "bigip", "service-link": "svc0", "service-address": NODE + "/24",
            "ha-link": "ha0", "ha-address": NODE_HA + "/30", "peer-ha-address": "192.0.2.2",
            "peer-service-address": "198.51.100.12", "gateway": "198.51.100.1",
            "management-networks": "198.51.100.56/29",
        }, {"port": 8443})
        for proto, port in (("tcp", 5060), ("tcp", 5061), ("tcp", 7700), ("udp", 7701),
                            ("tcp", 8443), ("tcp", 8080)):
            lan.serve(node, proto, "::", port)
        lan.apply_firewall(node, config)
        lan.roles = {"node": node, "bigip": bigip, "peer": peer, "client": client,
                     "admin": admin}
        yield lan
    finally:
        lan.close()


def ns(net, role):
    return net.roles[role]


def assert_dropped(net, role, proto, host, port):
    before = net.nft_counter(ns(net, "node"), DROPPED)
    assert net.probe(ns(net, role), proto, host, port) == ("timeout",)
    assert net.nft_counter(ns(net, "node"), DROPPED) > before


def test_sip_ports_open_on_the_service_link(net):
    client = ns(net, "client")
    assert net.probe(client, "tcp", NODE, 5060)[0] == "open"
    assert net.probe(client, "tcp", NODE, 5061)[0] == "open"
    listener = net.serve(ns(net, "node"), "udp", "::", 5060)
    try:
        assert net.probe(client, "udp", NODE, 5060)[0] == "open"
    finally:
        net.stop(listener)


def test_other_ports_are_dropped(net):
    assert_dropped(net, "client", "tcp", NODE, 8080)
    assert_dropped(net, "peer", "tcp", NODE, 8080)


def test_web_ui_only_from_management_networks(net):
    assert net.probe(ns(net, "admin"), "tcp", NODE, 8443)[0] == "open"
    assert_dropped(net, "client", "tcp", NODE, 8443)
    assert_dropped(net, "bigip", "tcp", NODE, 8443)


def test_ha_ports_only_from_the_peer_on_the_ha_link(net):
    peer = ns(net, "peer")
    assert net.probe(peer, "tcp", NODE_HA, 7700)[0] == "open"
    assert net.probe(peer, "udp", NODE_HA, 7701)[0] == "open"
    assert_dropped(net, "peer", "tcp", NODE, 7700)  # the peer, but on the service link
    assert_dropped(net, "client", "tcp", NODE, 7700)
    assert_dropped(net, "client", "udp", NODE, 7701)


def test_icmp_echo_only_from_the_bigip_self_ip(net):
    assert net.ping(ns(net, "bigip"), NODE)
    before = net.nft_counter(ns(net, "node"), DROPPED)
    assert not net.ping(ns(net, "client"), NODE)
    assert not net.ping(ns(net, "admin"), NODE)
    assert net.nft_counter(ns(net, "node"), DROPPED) >= before + 2


def test_port_unreachable_goes_out_to_sip_peers(net):
    # No listener on UDP sip-port (a backup that ignores UDP): the peer learns it at once.
    before = net.nft_counter(ns(net, "node"), UNREACHABLE)
    assert net.probe(ns(net, "client"), "udp", NODE, 5060) == ("refused",)
    assert net.nft_counter(ns(net, "node"), UNREACHABLE) == before + 1


def test_established_related_and_loopback(net):
    node, client = ns(net, "node"), ns(net, "client")
    listener = net.serve(client, "tcp", "0.0.0.0", 9000)
    try:
        assert net.probe(node, "tcp", "198.51.100.50", 9000)[0] == "open"  # replies come back
    finally:
        net.stop(listener)
    assert net.ping(node, "198.51.100.50")  # echo reply is established
    assert net.probe(node, "tcp", "127.0.0.1", 8080)[0] == "open"  # loopback


def test_ipv6_neighbour_discovery_and_sip(net):
    client = ns(net, "client")
    net.ns_run(client, "ip", "-6", "neigh", "flush", "dev", "eth0")
    assert net.probe(client, "tcp", NODE6, 5060)[0] == "open"  # needs NS/NA through the drop
    assert_dropped(net, "client", "tcp", NODE6, 8080)
    assert not net.ping(client, NODE6)
