"""Links, addresses and routes: configured as asked, read back through netlink (`ip -j`, and
sipha-netcfg's own libnl read in `status`), a second apply changes nothing, only sipha's own
routes are removed, and the service puts back what someone removes (issue 4, item 1)."""

import pytest

import netcfg_proc
from netcfg_proc import command, wait_until
from ns import Topology, write_config

TSERVER = {"sip-address": "198.51.100.10", "sip-interface": "198.51.100.1"}
NETWORK = {
    "mode": "bigip",
    "service-link": "eth0",
    "service-address": "198.51.100.1/24",
    "service-mtu": "1400",
    "ha-link": "ha0",
    "ha-address": "2001:db8:ff::1/64",
    "peer-ha-address": "2001:db8:ff::2",
    "management-address": "192.0.2.1/24",
    "gateway": "198.51.100.254",
    "routes": "203.0.113.0/24 via 198.51.100.253, 2001:db8:100::/48 via 2001:db8:ff::2",
}
PROTO = "165"  # kRouteProtocol (0xa5): iproute2 prints the number


@pytest.fixture
def node(tmp_path):
    """A node namespace: eth0 on a LAN, ha0 wired to a peer; both links down, no addresses."""
    with Topology("a") as topology:
        ns = topology.namespace("node")
        peer = topology.namespace("peer")
        topology.attach(ns, "eth0", up=False)
        topology.wire(ns, "ha0", peer, "ha0", addresses_b=("2001:db8:ff::2/64",), up=False)
        topology.ip(peer, "link", "set", "ha0", "up")
        yield topology, ns, tmp_path


def test_apply_configures_and_second_apply_changes_nothing(node):
    topology, ns, tmp = node
    config = write_config(tmp / "node.ini", TSERVER, NETWORK)
    first = command(topology, ns, "apply", "--config", config)
    assert first.returncode == 0, first.stderr
    print(first.stdout)
    for expected in ("link eth0 mtu set to 1400", "link eth0 set up", "link ha0 set up",
                     "address 198.51.100.1/24 (service) added on eth0",
                     "address 2001:db8:ff::1/64 (ha) added on ha0",
                     "address 192.0.2.1/24 (management) added on eth0",
                     "route 0.0.0.0/0 via 198.51.100.254 added",
                     "route 203.0.113.0/24 via 198.51.100.253 added",
                     "route 2001:db8:100::/48 via 2001:db8:ff::2 added", "firewall applied"):
        assert expected in first.stdout

    # Read back through iproute2.
    eth0 = topology.link(ns, "eth0")
    assert eth0["mtu"] == 1400 and "UP" in eth0["flags"]
    assert "UP" in topology.link(ns, "ha0")["flags"]
    assert topology.addresses(ns, "eth0") == {"198.51.100.1/24", "192.0.2.1/24"}
    assert topology.addresses(ns, "ha0") == {"2001:db8:ff::1/64"}
    routes = topology.routes(ns)
    assert ("default", "198.51.100.254", PROTO) in routes
    assert ("203.0.113.0/24", "198.51.100.253", PROTO) in routes
    assert ("2001:db8:100::/48", "2001:db8:ff::2", PROTO) in topology.routes(ns, "-6")

    # Read back through sipha-netcfg's own netlink read: nothing pending.
    status = command(topology, ns, "status", "--config", config)
    assert status.returncode == 0 and status.stdout.strip() == "in sync", status.stdout

    second = command(topology, ns, "apply", "--config", config)
    assert second.returncode == 0, second.stderr
    assert "changed:" not in second.stdout
    assert "no changes" in second.stdout


def test_only_sipha_routes_are_removed_and_changed_gateways_replaced(node):
    topology, ns, tmp = node
    config = write_config(tmp / "node.ini", TSERVER, NETWORK)
    assert command(topology, ns, "apply", "--config", config).returncode == 0
    topology.ip(ns, "route", "add", "10.99.0.0/16", "via", "198.51.100.250")  # foreign
    changed = dict(NETWORK, gateway="198.51.100.253", routes="")
    config = write_config(tmp / "node.ini", TSERVER, changed)
    result = command(topology, ns, "apply", "--config", config)
    assert result.returncode == 0, result.stderr
    assert "route 0.0.0.0/0 via 198.51.100.253 replaced" in result.stdout
    assert "route 203.0.113.0/24 via 198.51.100.254" not in result.stdout
    assert "route 203.0.113.0/24 via 198.51.100.253 removed" in result.stdout
    routes = topology.routes(ns)
    assert ("default", "198.51.100.253", PROTO) in routes
    assert not any(r[0] == "203.0.113.0/24" for r in routes)
    assert any(r[:2] == ("10.99.0.0/16", "198.51.100.250") for r in routes)  # foreign: kept
    assert not any(r[0] == "2001:db8:100::/48" for r in topology.routes(ns, "-6"))


def test_refused_configuration_changes_nothing(node):
    topology, ns, tmp = node
    config = write_config(tmp / "node.ini", TSERVER, dict(NETWORK, **{"service-mtu": "9"}))
    result = command(topology, ns, "apply", "--config", config)
    assert result.returncode == 2
    assert "option 'network.service-mtu'" in result.stderr
    assert topology.addresses(ns, "eth0") == set()


def test_missing_link_is_reported(node):
    topology, ns, tmp = node
    config = write_config(tmp / "node.ini", TSERVER, dict(NETWORK, **{"ha-link": "nosuch0"}))
    result = command(topology, ns, "apply", "--config", config)
    assert result.returncode == 1
    assert "link nosuch0 does not exist" in result.stderr
    assert "198.51.100.1/24" in topology.addresses(ns, "eth0")  # the rest is still done


def test_service_puts_back_a_removed_address_route_and_link_state(node):
    topology, ns, tmp = node
    config = write_config(tmp / "node.ini", TSERVER, NETWORK)
    service = netcfg_proc.Service(topology, ns, config, tmp / "svc")
    try:
        assert "198.51.100.1/24" in topology.addresses(ns, "eth0")
        assert service.status()["inSync"] is True

        topology.ip(ns, "address", "del", "198.51.100.1/24", "dev", "eth0")
        assert wait_until(lambda: "198.51.100.1/24" in topology.addresses(ns, "eth0"), 5), \
            service.stderr()
        topology.ip(ns, "address", "del", "2001:db8:ff::1/64", "dev", "ha0")
        assert wait_until(lambda: "2001:db8:ff::1/64" in topology.addresses(ns, "ha0"), 5)
        topology.ip(ns, "route", "del", "default")
        assert wait_until(
            lambda: ("default", "198.51.100.254", PROTO) in topology.routes(ns), 5)
        topology.ip(ns, "link", "set", "ha0", "down")
        assert wait_until(lambda: "UP" in topology.link(ns, "ha0")["flags"], 5)

        status = service.status()
        assert status["restores"] >= 4, status
        assert status["inSync"] is True, status
        assert "put back what the kernel lost: address 198.51.100.1/24" in service.stderr()
    finally:
        assert service.stop() == 0, service.stderr()


def test_dbus_apply_rereads_the_file_and_refuses_a_bad_one(node):
    topology, ns, tmp = node
    path = tmp / "node.ini"
    config = write_config(path, TSERVER, NETWORK)
    service = netcfg_proc.Service(topology, ns, config, tmp / "svc")
    try:
        ok, output = service.call("Apply")
        assert ok and 'array [\n   ]' in output, output  # converged at start: nothing to do

        write_config(path, TSERVER, dict(NETWORK, routes="203.0.113.0/24 via 198.51.100.252"))
        ok, output = service.call("Apply")
        assert ok, output
        assert "route 203.0.113.0/24 via 198.51.100.252 replaced" in output
        assert "route 2001:db8:100::/48 via 2001:db8:ff::2 removed" in output
        assert ("203.0.113.0/24", "198.51.100.252", PROTO) in topology.routes(ns)

        write_config(path, TSERVER, dict(NETWORK, gateway="not-an-address"))
        ok, output = service.call("Apply")
        assert not ok and "org.sipha.Error.ConfigInvalid" in output, output
        assert "option 'network.gateway'" in output
        # The running configuration stays: a removed route still comes back as before.
        topology.ip(ns, "route", "del", "default")
        assert wait_until(
            lambda: ("default", "198.51.100.254", PROTO) in topology.routes(ns), 5)
    finally:
        assert service.stop() == 0, service.stderr()
