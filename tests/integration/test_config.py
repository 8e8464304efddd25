"""Configuration: a bad file refused at start (exit 2, FILE:LINE), SIGHUP/Reload with a bad
file keeps the running configuration and the bindings, SIGHUP with a new DN makes it
registrable; without a reachable bus sipd still serves SIP."""

import subprocess

import pytest

from harness import net, sip

BAD_VALUES = [
    ("TServer", "sip-port", "notaport"),
    ("TServer", "registrar-min-expires", "-5"),
    ("dn:7001", "type", "Phone"),
    ("ha", "mode", "triple"),
    ("TServer", "sip-prot", "5060"),  # a misspelt option is refused, not ignored
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
        sipd.sighup()

        def registrable():
            resp = register(sipd, c, "7003")
            return resp is not None and resp.code == 200

        net.wait_for(registrable, 10, interval=0.1, what="7003 registrable after SIGHUP")
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


def test_runs_without_a_bus(make_sipd):
    sipd = make_sipd(bus=None).start()
    resp = sipd.options("udp")
    assert resp is not None and resp.code == 200, resp
    warnings = [line for line in sipd.stderr().splitlines() if "bus" in line.lower()]
    assert len(warnings) >= 1, "no warning about the missing bus"
