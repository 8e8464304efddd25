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
    for method in ("OPTIONS", "REGISTER", "INVITE", "ACK", "BYE", "CANCEL"):
        assert method in allow, f"{method} missing from Allow: {allow}"


@sipd_only
def test_options_counted_per_source(sipd):
    sipd.wait_bus_name()
    before = int(time.time() * 1e6)
    a, b = sipd.udp(), sipd.udp()
    try:
        for client, n in ((a, 3), (b, 1)):
            for _ in range(n):
                resp = client.exchange(sip.request("OPTIONS", sipd.uri(), "UDP", client.local))
                assert resp is not None and resp.code == 200
        after = int(time.time() * 1e6)
        sources = sipd.options_sources()
        key_a, key_b = f"127.0.0.1:{a.local[1]}", f"127.0.0.1:{b.local[1]}"
        assert sources.get(key_a, (0, 0))[0] == 3, sources
        assert sources.get(key_b, (0, 0))[0] == 1, sources
        for key in (key_a, key_b):
            assert before <= sources[key][1] <= after, (key, sources[key], before, after)
        counters = sipd.counters()
        assert int(counters.get("options.rx", 0)) >= 4, counters
        assert int(counters.get("udp.rx", 0)) >= 4, counters
    finally:
        a.close()
        b.close()
