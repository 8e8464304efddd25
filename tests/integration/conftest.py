"""Fixtures for sipd's integration tests (see README.md).

Every process a test starts is stopped by a finalizer, also when the test fails."""

import os

import pytest

from harness import dbus, kamailio, peers, sipd as sipd_mod

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA_DIR = os.environ.get("SIPHA_TEST_DATA_DIR", os.path.join(REPO, "tests", "data"))


def sipd_binary():
    path = os.environ.get("SIPD")
    if not path:
        pytest.fail("set SIPD to the sipd binary (CTest does: <build>/bin/sipd)")
    return path


@pytest.fixture
def bus(tmp_path):
    """A private dbus-daemon; sipd gets its address as DBUS_SYSTEM_BUS_ADDRESS."""
    d = dbus.DbusDaemon(tmp_path / "bus")
    os.makedirs(d.tmpdir, exist_ok=True)
    d.start()
    yield d
    d.stop()


@pytest.fixture
def make_sipd(tmp_path, bus):
    """Factory: make_sipd(**Sipd kwargs) -> an unstarted Sipd on the private bus.

    At teardown a sipd still running is stopped with SIGTERM and must exit 0 (clean stop,
    and no sanitizer report)."""
    made = []

    def make(**kwargs):
        kwargs.setdefault("bus", bus)
        s = sipd_mod.Sipd(sipd_binary(), tmp_path / f"sipd{len(made)}", **kwargs)
        made.append(s)
        return s

    yield make
    failures = []
    for s in made:
        was_running = s.alive()
        code = s.stop()
        s.close()
        if was_running and code != 0:
            failures.append(f"sipd exited {code} on SIGTERM; stderr tail:\n{s.stderr()[-4000:]}")
    assert not failures, "\n".join(failures)


@pytest.fixture
def sipd(make_sipd):
    """A started standalone sipd (primary by itself), Extension DNs 7001 and 7002."""
    return make_sipd().start()


@pytest.fixture
def sipp_peers(tmp_path):
    """SIPp peers in the background: sipp_peers.start(scenario, server, **SippPeer kwargs)
    -> a started harness.peers.SippPeer; every one is stopped at teardown."""
    made = peers.SippPeers(tmp_path)
    yield made
    made.stop_all()


@pytest.fixture
def registrar(request, tmp_path, make_sipd):
    """The SIP registrar for scenario tests: sipd, or Kamailio with SIPHA_INTEG_TARGET=kamailio
    (used to validate the scenarios themselves against a known-good registrar)."""
    if os.environ.get("SIPHA_INTEG_TARGET") == "kamailio":
        k = kamailio.Kamailio(tmp_path / "kamailio")
        os.makedirs(k.tmpdir, exist_ok=True)
        k.start()
        request.addfinalizer(k.stop)
        return k
    return make_sipd(extensions=("7001", "7002"), dns={"gw1": {
        "type": "Trunk", "contact": "127.0.0.1:9", "prefix": "9"}}).start()


def kamailio_target():
    return os.environ.get("SIPHA_INTEG_TARGET") == "kamailio"


sipd_only = pytest.mark.skipif(kamailio_target(), reason="needs sipd (D-Bus, config)")
