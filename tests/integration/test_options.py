"""OPTIONS (RFC 3261 section 11): answered 200 with Allow/Accept/Supported over UDP and TCP,
and counted per source for the BIG-IP monitor view (GetOptionsSources)."""

import time

import pytest

from conftest import sipd_only
from harness import sip, sipp


@pytest.mark.parametrize("transport", ["u1", "t1"])
def test_sipp_options_answered_with_capabilities(registrar, tmp_path, transport):
    r = sipp.run("options.xml", registrar.address, tmp_path / "sipp", transport=transport,
                 calls=3)
    assert r.returncode == 0, r.explain()


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_options_response_echoes_request(registrar, transport):
    c = {"udp": sip.UdpClient, "tcp": sip.StreamClient}[transport](registrar.address)
    try:
        req = sip.request("OPTIONS", f"sip:{registrar.host}:{registrar.port}", c.transport,
                          c.local, cseq=42)
        resp = c.exchange(req)
    finally:
        c.close()
    assert resp is not None, "no answer to OPTIONS"
    assert resp.code == 200
    # RFC 3261 section 8.2.6.2: same Call-ID, CSeq, From; To gets a tag; Via copied.
    assert resp.get("cseq").split() == ["42", "OPTIONS"]
    assert ";tag=" in resp.get("to")
    assert resp.get("via").startswith(f"SIP/2.0/{c.transport} 127.0.0.1:{c.local[1]}")
    allow = resp.get("allow") or ""
    for method in ("OPTIONS", "REGISTER"):
        assert method in allow, f"{method} missing from Allow: {allow}"


def test_methods_outside_allow_get_405_with_allow(registrar):
    """RFC 3261 section 8.2.1: a method the server does not support is answered 405 (or 501)
    and a 405 carries Allow; a method listed in Allow is not refused with 405."""
    c = sip.UdpClient(registrar.address)
    try:
        uri = f"sip:{registrar.host}:{registrar.port}"
        allow = c.exchange(sip.request("OPTIONS", uri, "UDP", c.local)).get("allow") or ""
        listed = {m.strip().upper() for m in allow.split(",") if m.strip()}
        for method in ("SUBSCRIBE", "PUBLISH", "MESSAGE", "FOOBAR"):
            resp = c.exchange(sip.request(method, f"sip:7001@{registrar.host}", "UDP", c.local))
            assert resp is not None, f"{method} unanswered"
            if method in listed:
                assert resp.code != 405, f"{method} is in Allow but got 405"
            elif resp.code == 405:
                assert resp.get("allow"), f"405 to {method} without Allow"
            else:
                assert resp.code == 501 or resp.code >= 400, resp
    finally:
        c.close()


@sipd_only
def test_options_counted_per_source(sipd):
    sipd.wait_bus_name()
    before = int(time.time() * 1e6)
    # Sources are counted per IP address (a monitor probes from ephemeral ports): two clients
    # on two loopback addresses, plus a second port on the first address.
    a, a2, b = sipd.udp("127.0.0.1"), sipd.udp("127.0.0.1"), sipd.udp("127.0.0.2")
    try:
        for client, n in ((a, 2), (a2, 1), (b, 1)):
            for _ in range(n):
                resp = client.exchange(sip.request("OPTIONS", sipd.uri(), "UDP", client.local))
                assert resp is not None and resp.code == 200
        after = int(time.time() * 1e6)
        sources = sipd.options_sources()
        key_a, key_b = "127.0.0.1", "127.0.0.2"
        assert sources.get(key_a, (0, 0))[0] == 3, sources
        assert sources.get(key_b, (0, 0))[0] == 1, sources
        for key in (key_a, key_b):
            assert before <= sources[key][1] <= after, (key, sources[key], before, after)
        counters = sipd.counters()
        assert int(counters.get("options.rx", 0)) >= 4, counters
        assert int(counters.get("udp.rx", 0)) >= 4, counters
    finally:
        a.close()
        a2.close()
        b.close()
