"""siphactl, the binary, against the stand-in agent (tests/unit/siphactl/fake_agent.hpp, for
siphactl's own tests until the real sipha-agent runs) on a private dbus-daemon: output, exit
statuses, --bus, and watch ending cleanly on SIGINT and SIGTERM (docs/siphactl.md).

Binaries: $SIPHACTL and $SIPHACTL_FAKE_AGENT, else next to $SIPD (CTest sets it):
<build>/bin/siphactl and <build>/tests/siphactl_fake_agent."""

import json
import os
import select
import signal
import subprocess

import pytest

from harness import dbus

AGENT = ("org.sipha.Agent1", "/org/sipha/Agent1")
CONTROL = "org.sipha.test.FakeAgent1"


def binary(variable, *relative):
    path = os.environ.get(variable)
    if not path:
        sipd = os.environ.get("SIPD")
        if not sipd:
            pytest.fail(f"set {variable} (or SIPD, to find the build directory)")
        path = os.path.join(os.path.dirname(os.path.dirname(sipd)), *relative)
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is missing: build the siphactl and siphactl_fake_agent targets")
    return path


SIPHACTL = None
FAKE_AGENT = None


@pytest.fixture(scope="module", autouse=True)
def binaries():
    global SIPHACTL, FAKE_AGENT
    SIPHACTL = binary("SIPHACTL", "bin", "siphactl")
    FAKE_AGENT = binary("SIPHACTL_FAKE_AGENT", "tests", "siphactl_fake_agent")


@pytest.fixture
def bus(tmp_path):
    d = dbus.DbusDaemon(tmp_path / "bus")
    os.makedirs(d.tmpdir, exist_ok=True)
    d.start()
    yield d
    d.stop()


def environment(bus):
    env = dict(os.environ, TZ="UTC0")
    if bus is None:
        env.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
    else:
        env["DBUS_SYSTEM_BUS_ADDRESS"] = bus.address
    return env


@pytest.fixture
def agent(bus):
    """The stand-in agent on the private bus: a healthy primary sipha-a, backup sipha-b."""
    proc = subprocess.Popen([FAKE_AGENT], env=environment(bus), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    ready, _, _ = select.select([proc.stdout], [], [], 10)
    assert ready and proc.stdout.readline().strip() == "ready", proc.stderr.read()
    yield proc
    proc.terminate()
    assert proc.wait(5) == 0
    proc.stdout.close()
    proc.stderr.close()


def control(bus, member, signature="", *args):
    res = bus.busctl("call", *AGENT, CONTROL, member, *([signature, *args] if signature else []))
    assert res.returncode == 0, res.stderr


def siphactl(bus, *args, timeout=20):
    return subprocess.run([SIPHACTL, *args], env=environment(bus), capture_output=True, text=True,
                          timeout=timeout)


def test_status_table_and_json(bus, agent):
    res = siphactl(bus, "status")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "pair: ok"
    assert lines[2].split() == ["node", "id", "sipha-a", "sipha-b"]
    assert "heartbeats ha-link" in res.stdout

    res = siphactl(bus, "status", "--json")
    assert res.returncode == 0, res.stderr
    status = json.loads(res.stdout)
    assert status["ok"] is True
    assert status["node"]["role"] == "primary"
    assert status["peer"]["id"] == "sipha-b"
    assert [p["name"] for p in status["peer"]["paths"]] == ["ha-link", "service"]


def test_bus_option_without_the_environment(bus, agent):
    res = subprocess.run([SIPHACTL, "--bus", bus.address, "status"], env=environment(None),
                         capture_output=True, text=True, timeout=20)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("pair: ok\n")


def test_switchover_and_its_refusals(bus, agent):
    res = siphactl(bus, "switchover")
    assert (res.returncode, res.stdout) == (0, "switched over: sipha-b is primary with epoch 8\n")

    control(bus, "SetSwitchover", "sstt", "refused", "the backup is not ready for switchover", 0,
            0)
    res = siphactl(bus, "switchover")
    assert res.returncode == 1
    assert res.stderr.startswith("switchover refused: the backup is not ready for switchover\n")

    # On the backup: the operator is told where to run it.
    control(bus, "Set", "sv", "Role", "s", "backup")
    control(bus, "Set", "sv", "PeerRole", "s", "primary")
    control(bus, "SetSwitchover", "sstt", "refused", "this node is not the primary", 0, 0)
    res = siphactl(bus, "switchover")
    assert res.returncode == 1
    assert res.stderr == ("switchover refused: this node is not the primary\n"
                          "this node (sipha-a) is the backup: run `siphactl switchover` on the "
                          "primary, sipha-b\n")


def test_history(bus, agent):
    control(bus, "AddTransition", "(tssstsbs)b", 1795701800000000, "primary", "draining",
            "primary", 7, "switchover-requested", "false", "", "true")
    res = siphactl(bus, "history")
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["2026-11-26T14:03:20.000+00:00", "primary", "->", "draining",
                                  "switchover-requested", "(primary,", "epoch", "7)"]
    res = siphactl(bus, "history", "--json")
    assert json.loads(res.stdout)[0]["reason"] == "switchover-requested"


def read_line(proc, timeout=10):
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return proc.stdout.readline().rstrip("\n") if ready else None


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_watch_follows_changes_until_stopped(bus, agent, stop):
    proc = subprocess.Popen([SIPHACTL, "watch"], env=environment(bus), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        first = read_line(proc)
        assert first is not None and first.endswith(
            "  watching sipha-a: primary, phase primary, epoch 7, sipd alive; peer sipha-b backup,"
            " epoch 7"), first
        control(bus, "Set", "sv", "Phase", "s", "draining")
        line = read_line(proc)
        assert line is not None and line.endswith("  this node: phase primary -> draining"), line
        control(bus, "Vanish")
        line = read_line(proc)
        assert line is not None and line.endswith("  sipha-agent left the bus"), line
        proc.send_signal(stop)
        assert proc.wait(5) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        proc.stdout.close()
        proc.stderr.close()


def test_watch_ends_with_2_when_the_bus_goes(bus, agent):
    proc = subprocess.Popen([SIPHACTL, "watch"], env=environment(bus), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        assert read_line(proc) is not None
        bus.stop()
        assert proc.wait(10) == 2
        assert proc.stdout.read().endswith("  the bus connection was lost\n")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        proc.stdout.close()
        proc.stderr.close()


def test_agent_absent_and_bus_unreachable(bus, tmp_path):
    for command in ("status", "switchover", "history", "watch"):
        res = siphactl(bus, command)
        assert res.returncode == 2, command
        assert res.stderr == ("sipha-agent is not running on this node "
                              "(org.sipha.Agent1 not on the bus)\n"), command
    missing = f"unix:path={tmp_path}/no-bus.sock"
    res = siphactl(None, "--bus", missing, "status")
    assert res.returncode == 2
    assert res.stderr == f"cannot reach the bus at {missing}: No such file or directory\n"
    res = subprocess.run([SIPHACTL, "status"], capture_output=True, text=True, timeout=20,
                         env=dict(environment(None), DBUS_SYSTEM_BUS_ADDRESS=missing))
    assert res.returncode == 2
    assert res.stderr == f"cannot reach the system bus at {missing}: No such file or directory\n"


def test_usage(bus):
    res = siphactl(bus, "--help")
    assert res.returncode == 0 and res.stdout.startswith("usage: siphactl")
    res = siphactl(bus, "frobnicate")
    assert res.returncode == 2
    assert res.stderr == "siphactl: unknown command frobnicate (see siphactl --help)\n"
    res = siphactl(bus)
    assert res.returncode == 2 and res.stderr.startswith("usage: siphactl")


def test_pair_mode(tmp_path):
    config = tmp_path / "sipha.ini"
    config.write_text("[ha]\nmode = pair\n")
    assert siphactl(None, "pair-mode", "--config", str(config)).returncode == 0
    config.write_text("[ha]\nmode = standalone\n")
    res = siphactl(None, "pair-mode", "--config", str(config))
    assert res.returncode == 1
    assert "sipha-agent has nothing to decide" in res.stdout
