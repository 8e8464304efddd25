"""No [network] section (the image's first-boot configuration): `apply` says so and exits 0,
`serve` starts and stays up unconfigured (READY=1, Status "unconfigured", SetRole recorded with
epoch fencing, no VIP, no firewall, nothing reconciled); Apply re-reads the file, so adding a
[network] section later takes effect, and an invalid one is refused."""

import pytest

import netcfg_proc
from netcfg_proc import command
from ns import Topology, write_config

TSERVER = {"sip-address": "198.51.100.10", "sip-interface": "198.51.100.1"}
NETWORK = {"mode": "takeover", "service-link": "eth0", "service-address": "198.51.100.1/24",
           "peer-service-address": "198.51.100.2", "gateway": "198.51.100.254"}
BARE = "[TServer]\n" + "".join(f"{k} = {v}\n" for k, v in TSERVER.items())


@pytest.fixture
def node(tmp_path):
    """A node namespace with eth0 down and no address: what the service must leave alone."""
    with Topology("u") as topology:
        ns = topology.namespace("node")
        topology.attach(ns, "eth0", up=False)
        path = tmp_path / "node.ini"
        path.write_text(BARE)
        yield topology, ns, tmp_path, path


def untouched(topology, ns):
    tables = topology.exec(ns, "nft", "list", "tables").stdout
    return (topology.addresses(ns, "eth0") == set()
            and "UP" not in topology.link(ns, "eth0")["flags"] and tables.strip() == "")


def test_apply_without_network_section_does_nothing(node):
    topology, ns, _, path = node
    result = command(topology, ns, "apply", "--config", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "no [network] section: nothing to do\n"
    assert untouched(topology, ns)


def test_serve_unconfigured_records_roles_and_takes_a_later_network_section(node):
    topology, ns, tmp, path = node
    service = netcfg_proc.Service(topology, ns, str(path), tmp / "svc")
    try:
        assert "READY=1" in service.notifications()
        status = service.status()
        assert status["mode"] == "unconfigured" and status["role"] == "backup", status

        service.set_role("primary", 5)
        ok, output = service.call("SetRole", "string:backup", "uint64:4")
        assert not ok and "org.sipha.Error.StaleEpoch" in output, output
        status = service.status()
        assert (status["role"], status["epoch"], status["holdsVip"]) == ("primary", 5, False)
        assert untouched(topology, ns)

        write_config(path, TSERVER, dict(NETWORK, mode="sideways"))
        ok, output = service.call("Apply")
        assert not ok and "org.sipha.Error.ConfigInvalid" in output, output
        assert service.status()["mode"] == "unconfigured"
        assert untouched(topology, ns)

        # The section added later takes effect; the recorded role (primary) now holds the VIP.
        write_config(path, TSERVER, NETWORK)
        ok, output = service.call("Apply")
        assert ok, output
        status = service.status()
        assert (status["mode"], status["holdsVip"]) == ("takeover", True), status
        assert topology.addresses(ns, "eth0") == {"198.51.100.1/24", "198.51.100.10/32"}
        assert "sipha" in topology.exec(ns, "nft", "list", "tables").stdout
        assert service.process.poll() is None
    finally:
        assert service.stop() == 0, service.stderr()
