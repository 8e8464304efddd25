"""Configuration: a bad file refused at start (exit 2, FILE:LINE), SIGHUP/Reload with a bad
file keeps the running configuration and the bindings, SIGHUP with a new DN makes it
registrable; without a reachable bus sipd still serves SIP."""

import os
import socket
import subprocess

import pytest

from harness import dbus, digest, net, sip, sipp
from harness import sipd as sipd_mod

BAD_VALUES = [
    ("TServer", "sip-port", "notaport"),
    ("TServer", "registrar-min-expires", "-5"),
    ("dn:7001", "type", "Phone"),
    ("ha", "mode", "triple"),
    ("TServer", "sip-prot", "5060"),  # a misspelt option is refused, not ignored
    ("TServer", "trusted-networks", "10.0.0.0/8, 10.0.0.0/33"),
    ("TServer", "trusted-networks", "gw.example.com"),  # no names (docs/authentication.md)
]


@pytest.mark.parametrize("section,option,value", BAD_VALUES)
def test_bad_config_at_start_exits_2_with_file_line(make_sipd, section, option, value):
    sipd = make_sipd(ha_mode="standalone")
    sipd.sections[section][option] = value
    lines = sipd.write_config()
    proc = sipd.spawn(write=False)
    try:
        code = proc.wait(20)
    except subprocess.TimeoutExpired:
        sipd.kill()
        pytest.fail(f"sipd kept running with {option} = {value}")
    err = sipd.stderr()
    assert code == 2, f"exit {code}; stderr:\n{err}"
    where = f"{sipd.config_path}:{lines[(section, option)]}"
    assert where in err, f"{where!r} not in stderr:\n{err}"
    assert option in err, err


def test_missing_config_file_refused(make_sipd):
    sipd = make_sipd()
    proc = sipd.spawn(write=False)  # no file written
    try:
        code = proc.wait(20)
    except subprocess.TimeoutExpired:
        sipd.kill()
        pytest.fail("sipd runs without a configuration file")
    assert code != 0
    assert sipd.config_path in sipd.stderr(), sipd.stderr()


def query(sipd, client, user, cseq=1):
    return sipd.register(client, user, call_id=f"q-{user}-{client.local[1]}", cseq=cseq)


def register(sipd, client, user):
    r = sipd.register(client, user, contact=f"<sip:{user}@127.0.0.1:{client.local[1]}>",
                      expires=600)
    return r


def test_sighup_with_bad_config_keeps_running_and_bindings(make_sipd):
    sipd = make_sipd().start()
    sipd.wait_bus_name()
    c = sipd.udp()
    try:
        r = register(sipd, c, "7001")
        assert r is not None and r.code == 200, r
        sipd.sections["TServer"]["registrar-max-expires"] = "forever"
        lines = sipd.write_config()
        where = f"{sipd.config_path}:{lines[('TServer', 'registrar-max-expires')]}"
        sipd.sighup()
        # Positive evidence that the reload was attempted and refused: the logged error.
        net.wait_for(lambda: where in sipd.stderr(), 10, what=f"{where} logged after SIGHUP")
        assert sipd.alive(), "sipd died on SIGHUP with a bad config"
        resp = sipd.options("udp")
        assert resp is not None and resp.code == 200, resp
        q = query(sipd, c, "7001")
        assert q is not None and q.code == 200, q
        assert any(f":{c.local[1]}" in x for x in q.contacts()), q.contacts()
        assert int(sipd.get_property("Bindings")) == 1
        # The same through D-Bus: an error naming file:line, configuration kept.
        ok, out = sipd.call_raw("Reload")
        assert not ok and "org.sipha.Error.ConfigInvalid" in out and where in out, out
        r = register(sipd, c, "7002")
        assert r is not None and r.code == 200, "old configuration lost after a bad reload"
    finally:
        c.close()


def test_sighup_with_new_dn_makes_it_registrable(make_sipd):
    sipd = make_sipd().start()
    c = sipd.udp()
    try:
        assert register(sipd, c, "7001").code == 200
        r = register(sipd, c, "7003")
        assert r is not None and r.code == 404, r
        sipd.sections["dn:7003"] = {"type": "Extension"}
        sipd.write_config()
        count = len(sipd.notify_lines)
        sipd.sighup()
        # The reload is done when sipd notifies READY=1 after RELOADING=1 (sd_notify(3)).
        assert sipd.wait_notify(lambda lines: "READY=1" in lines[count:], 10), \
            f"no READY=1 after SIGHUP: {sipd.notify_lines[count:]}"
        r = register(sipd, c, "7003")
        assert r is not None and r.code == 200, r
        q = query(sipd, c, "7001")
        assert q is not None and any(f":{c.local[1]}" in x for x in q.contacts()), q
    finally:
        c.close()


def test_reload_over_dbus_applies_before_replying(make_sipd):
    sipd = make_sipd().start()
    sipd.wait_bus_name()
    sipd.sections["dn:7004"] = {"type": "Extension"}
    sipd.write_config()
    ok, out = sipd.call_raw("Reload")
    assert ok, out
    c = sipd.udp()
    try:
        r = register(sipd, c, "7004")
        assert r is not None and r.code == 200, r
    finally:
        c.close()


def test_removed_dn_is_no_longer_registrable(make_sipd):
    sipd = make_sipd().start()
    sipd.wait_bus_name()
    del sipd.sections["dn:7002"]
    sipd.write_config()
    ok, out = sipd.call_raw("Reload")
    assert ok, out
    c = sipd.udp()
    try:
        r = register(sipd, c, "7002")
        assert r is not None and r.code == 404, r
    finally:
        c.close()


def dbus_warnings(sipd):
    return [line for line in sipd.stderr().splitlines()
            if "warning" in line.lower() and ("d-bus" in line.lower() or "bus" in line.lower())]


def reload_and_wait(sipd):
    count = len(sipd.notify_lines)
    sipd.sighup()
    assert sipd.wait_notify(lambda lines: "READY=1" in lines[count:], 10), "reload not done"


def test_runs_without_a_bus(make_sipd):
    """No bus reachable: one warning, SIP served, also after a reload."""
    sipd = make_sipd(bus=None).start()
    resp = sipd.options("udp")
    assert resp is not None and resp.code == 200, resp
    reload_and_wait(sipd)
    assert sipd.options("tcp").code == 200
    assert len(dbus_warnings(sipd)) == 1, sipd.stderr()


def test_runs_when_the_bus_name_is_denied(make_sipd, tmp_path):
    """The bus refuses org.sipha.Sipd1 to sipd: one warning, SIP served."""
    strict = dbus.DbusDaemon(tmp_path / "strict-bus", deny_own=[sipd_mod.BUS_NAME])
    os.makedirs(strict.tmpdir, exist_ok=True)
    strict.start()
    try:
        sipd = make_sipd(bus=strict).start()
        resp = sipd.options("udp")
        assert resp is not None and resp.code == 200, resp
        reload_and_wait(sipd)
        assert sipd_mod.BUS_NAME not in strict.names()
        assert len(dbus_warnings(sipd)) == 1, sipd.stderr()
        assert sipd.stop() == 0
    finally:
        strict.stop()


def test_reloads_during_register_load_lose_nothing(make_sipd, tmp_path):
    """SIGHUPs while SIPp registers 500 AORs: every REGISTER is answered 200 and bound."""
    aors = [str(n) for n in range(8000, 8500)]
    sipd = make_sipd(dns={a: {"type": "Extension"} for a in aors}, extensions=()).start()
    sipd.wait_bus_name()
    csv = sipp.write_csv(tmp_path / "aors.csv", [[a] for a in aors])
    cmd, _ = sipp.command("register_load.xml", sipd.address, tmp_path / "sipp", calls=len(aors),
                          rate=250, inf=str(csv), trace_msg=False, timeout=60)
    load = subprocess.Popen(cmd, cwd=tmp_path / "sipp", stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        hups = 0
        while load.poll() is None and hups < 200:
            bound = int(sipd.get_property("Bindings"))
            if bound >= (hups + 1) * 50:  # a SIGHUP every 50 bindings
                sipd.sighup()
                hups += 1
            try:
                load.wait(0.01)
            except subprocess.TimeoutExpired:
                pass
        load.wait(60)
    finally:
        if load.poll() is None:
            load.kill()
            load.wait(10)
    assert hups >= 5, f"only {hups} reloads happened during the load"
    assert sipd.alive()
    assert load.returncode == 0, f"SIPp saw failures during reloads: {load.stderr.read()[-2000:]}"
    assert int(sipd.get_property("Bindings")) == len(aors)


def test_binds_interface_and_advertises_sip_address(make_sipd):
    """sip-interface (the node's address) is bound; sip-address (the VIP, here 127.0.0.2) is
    only advertised: e.g. as the default authentication realm."""
    sipd = make_sipd(tserver={"sip-address": "127.0.0.2"},
                     dns={"7100": {"type": "Extension", "password": "x"}}).start()
    resp = sipd.options("udp")
    assert resp is not None and resp.code == 200, resp
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.2", sipd.port), timeout=2).close()
    c = sipd.udp()
    try:
        r = sipd.register(c, "7100", contact=f"<sip:7100@127.0.0.1:{c.local[1]}>", expires=60)
        assert r is not None and r.code == 401, r
        realms = {digest.parse_challenge(v)["realm"] for v in r.all("www-authenticate")}
        assert realms == {"127.0.0.2"}, realms
    finally:
        c.close()
