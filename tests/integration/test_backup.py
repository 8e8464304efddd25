"""Hot standby as the BIG-IP sees it: a backup ignores UDP (counted per source) and refuses
TCP/TLS connections; SetRole over D-Bus makes it primary; a stale epoch is refused."""

import socket

import pytest

from harness import dbus, net, sip, sipd as sipd_mod


@pytest.fixture
def backup(make_sipd):
    s = make_sipd(tls=True, ha_mode="pair").start()
    s.wait_bus_name()
    return s


def assert_refused(address):
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address, timeout=3).close()


def udp_options_dropped(sipd, client, count=1):
    """Sends OPTIONS and waits for the drops to show in the backup.udp.dropped counter;
    then no answer may arrive. Returns GetDroppedSources afterwards."""
    before = sipd.counter("backup.udp.dropped")
    for i in range(count):
        client.send(sip.request("OPTIONS", sipd.uri(), "UDP", client.local, cseq=i + 1))
    net.wait_for(lambda: sipd.counter("backup.udp.dropped") >= before + count, 10,
                 what=f"{count} drops counted in backup.udp.dropped")
    assert client.recv(0.3) is None, "backup answered UDP"
    return sipd.dropped_sources()


def answers_everywhere(sipd):
    for transport in ("udp", "tcp", "tls"):
        resp = sipd.options(transport)
        assert resp is not None and resp.code == 200, (transport, resp)


def wait_listening(address):
    def connects():
        try:
            socket.create_connection(address, timeout=1).close()
            return True
        except ConnectionRefusedError:
            return False

    net.wait_for(connects, 5, what=f"a listener on {address}")


def test_backup_starts_as_backup(backup):
    assert backup.get_property("Role") == "backup"


def test_backup_ignores_udp_and_counts_per_source(backup):
    a, b = backup.udp("127.0.0.1"), backup.udp("127.0.0.2")
    try:
        udp_options_dropped(backup, a, 3)
        sources = udp_options_dropped(backup, b, 1)
        # The interface counts per source IP address (the monitor's ports are ephemeral).
        assert sources.get("127.0.0.1") == 3, sources
        assert sources.get("127.0.0.2") == 1, sources
    finally:
        a.close()
        b.close()


def test_backup_refuses_tcp_and_tls(backup):
    assert_refused(backup.address)
    assert_refused(backup.tls_address)


def test_set_role_primary_answers_udp_tcp_tls(backup):
    ok, out = backup.set_role("primary", 1)
    assert ok, out
    assert backup.get_property("Role") == "primary"
    assert int(backup.get_property("Epoch")) == 1
    wait_listening(backup.address)
    wait_listening(backup.tls_address)
    answers_everywhere(backup)


def test_back_to_backup_stops_answering(backup):
    ok, out = backup.set_role("primary", 1)
    assert ok, out
    wait_listening(backup.address)
    answers_everywhere(backup)
    ok, out = backup.set_role("backup", 2)
    assert ok, out
    assert backup.get_property("Role") == "backup"
    net.wait_for(lambda: refused(backup.address) and refused(backup.tls_address), 5,
                 what="TCP and TLS listeners closed")
    c = backup.udp()
    try:
        udp_options_dropped(backup, c)
    finally:
        c.close()


def refused(address):
    try:
        socket.create_connection(address, timeout=1).close()
        return False
    except ConnectionRefusedError:
        return True


def test_stale_epoch_is_refused(backup):
    ok, out = backup.set_role("primary", 5)
    assert ok, out
    ok, out = backup.set_role("backup", 4)
    assert not ok and "org.sipha.Error.StaleEpoch" in out, out
    assert backup.get_property("Role") == "primary"
    assert int(backup.get_property("Epoch")) == 5
    # The same epoch is not stale (idempotent re-announcement).
    ok, out = backup.set_role("primary", 5)
    assert ok, out


def test_invalid_role_is_refused(backup):
    ok, out = backup.set_role("leader", 1)
    assert not ok and "org.sipha.Error.InvalidArgument" in out, out
    assert backup.get_property("Role") == "backup"


def test_restart_after_primary_starts_as_backup(backup):
    """sipd always starts as backup in a pair: only the agent makes it primary."""
    ok, out = backup.set_role("primary", 3)
    assert ok, out
    assert backup.stop() == 0
    backup.start(write=False)
    backup.wait_bus_name()
    assert backup.get_property("Role") == "backup"
    assert_refused(backup.address)
    c = backup.udp()
    try:
        udp_options_dropped(backup, c)
    finally:
        c.close()


def test_role_changes_are_signalled(backup):
    """RoleChanged(s, t) and PropertiesChanged for Role/Epoch, seen on the real bus."""
    monitor = dbus.BusMonitor(backup.bus, sipd_mod.BUS_NAME)
    try:
        monitor.attach(lambda: backup.get_property("Role"))
        ok, out = backup.set_role("primary", 7)
        assert ok, out

        def role_changed(m):
            return m.get("type") == "signal" and m.get("member") == "RoleChanged"

        found = monitor.wait(role_changed, 5)
        assert found and found[0]["payload"]["data"] == ["primary", 7], found

        def props_changed(m):
            return (m.get("type") == "signal" and m.get("member") == "PropertiesChanged"
                    and "Role" in m["payload"]["data"][1])

        found = monitor.wait(props_changed, 5)
        assert found, monitor.messages
        changed = found[0]["payload"]["data"][1]
        assert changed["Role"]["data"] == "primary" and changed["Epoch"]["data"] == 7, changed
    finally:
        monitor.stop()


def test_demotion_closes_open_connections(backup):
    """A node that becomes backup stops serving, also on connections opened while primary."""
    ok, out = backup.set_role("primary", 1)
    assert ok, out
    wait_listening(backup.address)
    wait_listening(backup.tls_address)
    streams = [backup.tcp(), backup.tls()]
    try:
        for c in streams:
            r = c.exchange(sip.request("OPTIONS", backup.uri(), c.transport, c.local))
            assert r is not None and r.code == 200, r
        ok, out = backup.set_role("backup", 2)
        assert ok, out
        for c in streams:
            try:
                c.send(sip.request("OPTIONS", backup.uri(), c.transport, c.local))
            except OSError:
                continue  # already closed: what we want
            assert c.recv(5.0) == b"", f"{c.transport} connection still served after demotion"
    finally:
        for c in streams:
            c.close()
