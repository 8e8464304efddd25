"""Registrar (RFC 3261 section 10): add, refresh, query, remove, 404 for non-Extension DNs,
423 with Min-Expires, expiry clamped to the maximum, Bindings on D-Bus."""

import os
import re

import pytest

from conftest import kamailio_target, sipd_only
from harness import sip, sipp


@pytest.mark.parametrize("transport", ["u1", "t1"])
def test_sipp_register_refresh_query_remove(registrar, tmp_path, transport):
    r = sipp.run("register_lifecycle.xml", registrar.address, tmp_path / "sipp",
                 transport=transport, keys={"user": "7001"})
    assert r.returncode == 0, r.explain()


@pytest.mark.parametrize("user", ["nobody", "6999", "gw1"])
def test_sipp_register_unknown_or_not_extension_is_404(registrar, tmp_path, user):
    if user == "gw1" and kamailio_target():
        pytest.skip("Kamailio's reference config has no DN types")
    r = sipp.run("register_404.xml", registrar.address, tmp_path / "sipp", keys={"user": user})
    assert r.returncode == 0, r.explain()


def test_sipp_register_too_brief_is_423_with_min_expires(registrar, tmp_path):
    log = os.path.join(tmp_path, "423.log")
    r = sipp.run("register_423.xml", registrar.address, tmp_path / "sipp",
                 keys={"user": "7001", "expires": 10}, extra=["-trace_logs", "-log_file", log])
    assert r.returncode == 0, r.explain()
    with open(log) as f:
        assert re.search(r"MIN-EXPIRES\s+60\b", f.read()), "Min-Expires is not the minimum 60"


def test_register_binding_returned_and_removed(registrar):
    c = sip.UdpClient(registrar.address)
    other = sip.UdpClient(registrar.address)
    try:
        mine = f"<sip:7002@127.0.0.1:{c.local[1]}>"
        theirs = f"<sip:7002@127.0.0.1:{other.local[1]}>"
        reg = registrar_helper(registrar)
        r1 = reg(c, "7002", contact=mine, expires=300, call_id="a@x", cseq=1)
        assert r1 is not None and r1.code == 200, r1
        r2 = reg(other, "7002", contact=theirs, expires=300, call_id="b@x", cseq=1)
        assert r2 is not None and r2.code == 200, r2
        # Section 10.3 step 8: the 200 lists every current binding, each with expires.
        contacts = r2.contacts()
        assert any(f":{c.local[1]}" in x for x in contacts), contacts
        assert any(f":{other.local[1]}" in x for x in contacts), contacts
        assert all(re.search(r";\s*expires=\d+", x) for x in contacts), contacts
        # Removing one binding leaves the other (section 10.2.2).
        r3 = reg(c, "7002", contact=mine, expires=0, call_id="a@x", cseq=2)
        assert r3 is not None and r3.code == 200, r3
        left = r3.contacts()
        assert not any(f":{c.local[1]}" in x for x in left), left
        assert any(f":{other.local[1]}" in x for x in left), left
        # "Contact: *" needs Expires: 0; then nothing is left.
        r4 = reg(c, "7002", contact="*", expires=0, call_id="a@x", cseq=3)
        assert r4 is not None and r4.code == 200, r4
        r5 = reg(c, "7002", call_id="a@x", cseq=4)
        assert r5 is not None and r5.code == 200 and r5.contacts() == [], r5.raw
    finally:
        c.close()
        other.close()


def test_register_star_without_expires_zero_is_400(registrar):
    c = sip.UdpClient(registrar.address)
    try:
        # RFC 3261 section 10.3 step 6: "*" with an Expires other than 0 -> 400.
        r = registrar_helper(registrar)(c, "7001", contact="*", expires=300)
        assert r is not None and r.code == 400, r
    finally:
        c.close()


def test_register_expiry_clamped_to_maximum(registrar):
    c = sip.UdpClient(registrar.address)
    try:
        r = registrar_helper(registrar)(c, "7001", contact=f"<sip:7001@127.0.0.1:{c.local[1]}>",
                                        expires=100000)
        assert r is not None and r.code == 200, r
        granted = [int(m.group(1)) for x in r.contacts()
                   if (m := re.search(r";\s*expires=(\d+)", x))]
        assert granted and all(0 < g <= 7200 for g in granted), r.contacts()
    finally:
        c.close()


def test_contact_expires_parameter_wins_and_lists_are_accepted(registrar):
    """RFC 3261 section 10.2.1.1: a Contact "expires" parameter overrides the Expires header;
    one REGISTER may carry several contacts (with q-values, section 10.2.1.2)."""
    c = sip.UdpClient(registrar.address)
    try:
        reg = registrar_helper(registrar)
        contacts = (f"<sip:7001@127.0.0.1:{c.local[1]}>;expires=120, "
                    "<sip:7001@127.0.0.1:1111>;q=0.5, <sip:7001@127.0.0.1:2222>;q=0.9")
        r = reg(c, "7001", contact=contacts, expires=3600)
        assert r is not None and r.code == 200, r
        got = {re.search(r":(\d+)[;>]", x).group(1): x for x in r.contacts()}
        assert set(got) == {str(c.local[1]), "1111", "2222"}, r.contacts()
        assert re.search(r"expires=120\b", got[str(c.local[1])]), got
        assert re.search(r"expires=3600\b", got["1111"]), got
        assert re.search(r"q=0\.5", got["1111"]) and re.search(r"q=0\.9", got["2222"]), got
    finally:
        c.close()


def test_out_of_order_cseq_is_refused(registrar):
    """RFC 3261 section 10.3 step 7: same Call-ID with a CSeq not higher than the binding's
    aborts the update; the binding stays as it was."""
    c = sip.UdpClient(registrar.address)
    try:
        reg = registrar_helper(registrar)
        contact = f"<sip:7002@127.0.0.1:{c.local[1]}>"
        r = reg(c, "7002", contact=contact, expires=300, call_id="order@t", cseq=10)
        assert r is not None and r.code == 200, r
        late = reg(c, "7002", contact=contact, expires=0, call_id="order@t", cseq=5)
        assert late is not None and late.code >= 400, late
        q = reg(c, "7002", call_id="order-q@t")
        assert q is not None and any(f":{c.local[1]}" in x for x in q.contacts()), q.contacts()
    finally:
        c.close()


def test_max_contacts_per_aor(registrar):
    """registrar-max-contacts = 10: an 11th contact is refused and the 10 stay bound."""
    clients = [sip.UdpClient(registrar.address) for _ in range(11)]
    reg = registrar_helper(registrar)
    try:
        for i, c in enumerate(clients[:10]):
            r = reg(c, "7001", contact=f"<sip:7001@127.0.0.1:{c.local[1]}>", expires=300,
                    call_id=f"max-{i}@x")
            assert r is not None and r.code == 200, (i, r)
        last = clients[10]
        r = reg(last, "7001", contact=f"<sip:7001@127.0.0.1:{last.local[1]}>", expires=300,
                call_id="max-10@x")
        assert r is not None and r.code >= 400, r
        q = reg(last, "7001", call_id="max-q@x")
        assert q is not None and q.code == 200 and len(q.contacts()) == 10, q and q.contacts()
    finally:
        for c in clients:
            c.close()


@sipd_only
def test_bindings_property_follows_registrations(sipd):
    sipd.wait_bus_name()
    assert int(sipd.get_property("Bindings")) == 0
    c = sipd.tcp()
    try:
        r = sipd.register(c, "7001", contact=f"<sip:7001@127.0.0.1:{c.local[1]};transport=tcp>",
                          expires=300)
        assert r is not None and r.code == 200, r
        assert int(sipd.get_property("Bindings")) == 1
        assert int(sipd.counters().get("registrar.bindings", 0)) == 1
        r = sipd.register(c, "7001", contact="*", expires=0, cseq=2)
        assert r is not None and r.code == 200, r
        assert int(sipd.get_property("Bindings")) == 0
    finally:
        c.close()


def registrar_helper(server):
    """REGISTER through client c to server (sipd or Kamailio)."""

    def reg(c, user, contact=None, expires=None, call_id=None, cseq=1, extra=()):
        hdrs = list(extra)
        if expires is not None:
            hdrs.append(f"Expires: {expires}")
        req = sip.request("REGISTER", f"sip:{server.host}:{server.port}", c.transport, c.local,
                          user=user, call_id=call_id, cseq=cseq, extra=hdrs, contact=contact)
        return c.exchange(req)

    return reg


@sipd_only
def test_accept_unknown_lets_any_user_register(make_sipd):
    sipd = make_sipd(tserver={"registrar-accept-unknown": "true"}).start()
    c = sipd.udp()
    try:
        r = sipd.register(c, "stranger", contact=f"<sip:stranger@127.0.0.1:{c.local[1]}>",
                          expires=300)
        assert r is not None and r.code == 200, r
    finally:
        c.close()
