"""Trunk contacts written as host names (docs/dns.md): sipd resolves them through c-ares on its
event loop (RFC 3263 4.2: a name with a port is looked up as A/AAAA). The names used are in
/etc/hosts ("localhost"), so no DNS datagram leaves the machine; NAPTR/SRV against a real DNS
server are tested in tests/unit/resolver (cares_test.cpp, a DNS server on 127.0.0.1).

Needs the resolver wired into core (docs/dns.md "Wiring"); run with SIPD pointing at such a
build."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conftest import sipd_only  # noqa: E402
from harness import net  # noqa: E402
from harness.calls import Gateway, explain, run_uac, start_uas, wait_counter  # noqa: E402

pytestmark = sipd_only


def test_call_to_a_trunk_whose_contact_is_a_host_name(make_sipd, tmp_path, sipp_peers):
    gw_port = net.free_udp_tcp_port()
    s = make_sipd(extensions=("7001", "7002"), dns={"gw1": {
        "type": "Trunk", "contact": f"localhost:{gw_port}", "prefix": "9",
        "replace-prefix": "0049"}}).start()
    uas = start_uas(sipp_peers, "call_uas.xml", s, port=gw_port)
    uac = run_uac(s, tmp_path, "9301234")
    gateway = uas.finish(timeout=20)
    assert uac.returncode == 0 and gateway.returncode == 0, explain(s, uac, gateway)
    # The Request-URI keeps the name; the datagram went to the address /etc/hosts gives.
    assert f"INVITE sip:0049301234@localhost:{gw_port}" in uas.trace(), uas.trace()
    s.wait_bus_name()
    assert s.counter("calls.unresolved") == 0
    assert s.counter("dns.lookups") >= 1
    assert s.counter("calls.dns_waits") >= 1


def test_second_call_uses_the_cache(make_sipd, tmp_path, sipp_peers):
    gw_port = net.free_udp_tcp_port()
    s = make_sipd(extensions=("7001", "7002"), dns={"gw1": {
        "type": "Trunk", "contact": f"localhost:{gw_port}", "prefix": "9"}}).start()
    for attempt in range(2):
        uas = start_uas(sipp_peers, "call_uas.xml", s, port=gw_port)
        uac = run_uac(s, tmp_path, "9123")
        gateway = uas.finish(timeout=20)
        assert uac.returncode == 0 and gateway.returncode == 0, explain(s, uac, gateway)
    s.wait_bus_name()
    # Both calls' INVITE, ACK and BYE went to the name: one lookup, the rest from the cache.
    assert s.counter("dns.lookups") == 1
    assert s.counter("dns.cache_hits") >= 1


def test_oos_check_probes_a_host_name(make_sipd):
    """OPTIONS probes resolve the contact too: with nothing answering the trunk goes out of
    service, with a gateway answering on localhost it comes back in."""
    port = net.free_udp_tcp_port()
    s = make_sipd(extensions=("7001", "7002"), dns={"gw1": {
        "type": "Trunk", "contact": f"localhost:{port}", "prefix": "8", "oos-check": 1,
        "oos-force": 1}}).start()
    s.wait_bus_name()
    wait_counter(s, "trunks.out_of_service", lambda v: v == 1, 10)
    with Gateway(port) as gw:
        gw.serve_until(lambda: s.counter("trunks.out_of_service") == 0, 10,
                       "trunk not back in service")
        assert gw.options >= 1
    assert s.counter("calls.unresolved") == 0
