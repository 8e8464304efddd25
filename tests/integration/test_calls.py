"""Calls through sipd's B2BUA (issue 3, docs/calls.md): real sipd, SIPp phones and gateways.

Phones register at sipd (the python client registers the SIPp UAS's port as Contact); a SIPp
UAC calls through sipd; the callee is a SIPp UAS. Each SIPp run is bounded; failures show the
SIPp traces and sipd's stderr."""

import time

from conftest import sipd_only
from harness import net, sipp
from harness.calls import (Caller, Gateway, explain, failed_call, make_sipd_with, register,
                           response, run_uac, start_uas, wait_counter)

pytestmark = sipd_only


# ---- phone to phone --------------------------------------------------------------------

def test_registered_phones_call_each_other_caller_hangs_up(make_sipd, tmp_path, sipp_peers):
    s = make_sipd_with(make_sipd)
    uas = start_uas(sipp_peers, "call_uas.xml", s)
    register(s, "7002", uas.port)
    uac_port = net.free_udp_tcp_port()
    register(s, "7001", uac_port)
    uac = run_uac(s, tmp_path, "7002", port=uac_port)
    callee = uas.finish(timeout=20)
    assert uac.returncode == 0 and callee.returncode == 0, explain(s, uac, callee)
    # The callee saw sipd's leg: its own Call-ID, sipd's Via and Contact (sip-address).
    invite = uas.trace()
    assert f"Via: SIP/2.0/UDP 127.0.0.1:{s.port};branch=z9hG4bK" in invite, invite
    assert f"Contact: <sip:127.0.0.1:{s.port}>" in invite, invite
    assert "INVITE sip:7002@127.0.0.1:" in invite, invite
    # D-Bus counters (org.sipha.Sipd1 Counters): one call, answered, ended.
    s.wait_bus_name()
    counters = s.counters()
    assert int(counters["calls.started"]) == 1, counters
    assert int(counters["calls.answered"]) == 1, counters
    assert int(counters["calls.ended"]) == 1, counters
    assert int(counters["calls.active"]) == 0, counters


def test_callee_hangs_up(make_sipd, tmp_path, sipp_peers):
    s = make_sipd_with(make_sipd)
    uas = start_uas(sipp_peers, "call_uas_bye.xml", s)
    register(s, "7002", uas.port)
    uac = run_uac(s, tmp_path, "7002", scenario="call_uac_wait_bye.xml")
    callee = uas.finish(timeout=20)
    assert uac.returncode == 0 and callee.returncode == 0, explain(s, uac, callee)


# ---- trunks ----------------------------------------------------------------------------

def test_trunk_prefix_replaced_in_request_uri(make_sipd, tmp_path, sipp_peers):
    gw_port = net.free_udp_tcp_port()
    s = make_sipd_with(make_sipd, dns={"gw1": {
        "type": "Trunk", "contact": f"127.0.0.1:{gw_port}", "prefix": "9",
        "replace-prefix": "0049"}})
    uas = start_uas(sipp_peers, "call_uas.xml", s, port=gw_port)
    uac = run_uac(s, tmp_path, "9301234")
    gateway = uas.finish(timeout=20)
    assert uac.returncode == 0 and gateway.returncode == 0, explain(s, uac, gateway)
    assert f"INVITE sip:0049301234@127.0.0.1:{gw_port}" in uas.trace(), uas.trace()


# ---- failures --------------------------------------------------------------------------

def test_unknown_number_gets_404(make_sipd):
    s = make_sipd_with(make_sipd)
    final = failed_call(s, "5555")
    assert final.code == 404, final


def test_unregistered_extension_gets_480(make_sipd):
    s = make_sipd_with(make_sipd)
    final = failed_call(s, "7002")
    assert final.code == 480, final


def test_busy_callee_486_relayed(make_sipd, sipp_peers):
    s = make_sipd_with(make_sipd)
    uas = start_uas(sipp_peers, "call_uas_486.xml", s)
    register(s, "7002", uas.port)
    final = failed_call(s, "7002")
    assert final.code == 486, final
    callee = uas.finish(timeout=20)
    assert callee.returncode == 0, explain(s, callee)
    s.wait_bus_name()
    assert s.counter("responses.4xx") == 1  # the relayed 486 counts with the core's answers
    assert s.counter("calls.failed") == 1


def test_cancel_before_answer_gets_487(make_sipd, sipp_peers):
    s = make_sipd_with(make_sipd)
    uas = start_uas(sipp_peers, "call_uas_ring.xml", s)
    register(s, "7002", uas.port)
    c = Caller(s)
    try:
        c.invite("7002")
        seen = c.responses(lambda r: r.code == 180)
        assert seen[-1].code == 180
        c.cancel()
        seen = c.responses(lambda r: r.code >= 200 and "INVITE" in r.get("cseq"))
        codes = {(r.code, r.get("cseq").split()[1]) for r in seen}
        assert (200, "CANCEL") in codes, [r.status_line for r in seen]
        assert seen[-1].code == 487, seen[-1]
        c.ack(seen[-1])
    finally:
        c.close()
    callee = uas.finish(timeout=20)
    assert callee.returncode == 0, explain(s, callee)
    # A cancelled call is failed, never answered (the 200 to the CANCEL is not the call's 2xx).
    s.wait_bus_name()
    net.wait_for(lambda: s.counter("calls.ended") == 1, 10, interval=0.05, what="call ended")
    assert s.counter("calls.failed") == 1, s.counters()
    assert s.counter("calls.answered") == 0, s.counters()


# ---- hold ------------------------------------------------------------------------------

def test_hold_reinvite_arrives_as_sendonly(make_sipd, tmp_path, sipp_peers):
    """sip-hold-rfc3264 = true: the caller's a=sendonly re-INVITE reaches the callee as
    a=sendonly (relaySdp, RFC 3264 8.4), the a=recvonly answer comes back, never c=0.0.0.0."""
    s = make_sipd(extensions=("7001", "7002"), tserver={"sip-hold-rfc3264": "true"}).start()
    uas = start_uas(sipp_peers, "call_uas_hold.xml", s)
    register(s, "7002", uas.port)
    uac = run_uac(s, tmp_path, "7002", scenario="call_uac_hold.xml")
    callee = uas.finish(timeout=20)
    assert uac.returncode == 0 and callee.returncode == 0, explain(s, uac, callee)
    assert "c=IN IP4 0.0.0.0" not in uas.trace()


# ---- trunk health ----------------------------------------------------------------------

def test_failover_to_next_trunk_when_first_gateway_is_stopped(make_sipd, tmp_path, sipp_peers):
    """Two trunks for one prefix (priority 1, then 2): the first gateway does not run, its
    INVITE times out (Timer B = 64*T1, T1 = 50 ms here) and the call goes to the second."""
    dead_port, live_port = net.free_udp_tcp_port(), net.free_udp_tcp_port()
    s = make_sipd(extensions=("7001", "7002"), tserver={"sip-timer-t1": 50}, dns={
        "gw1": {"type": "Trunk", "contact": f"127.0.0.1:{dead_port}", "prefix": "9",
                "priority": 1},
        "gw2": {"type": "Trunk", "contact": f"127.0.0.1:{live_port}", "prefix": "9",
                "priority": 2}}).start()
    uas = start_uas(sipp_peers, "call_uas.xml", s, port=live_port)
    uac = run_uac(s, tmp_path, "9123")
    gateway = uas.finish(timeout=30)
    assert uac.returncode == 0 and gateway.returncode == 0, explain(s, uac, gateway)
    assert f"INVITE sip:9123@127.0.0.1:{live_port}" in uas.trace()
    s.wait_bus_name()
    assert s.counter("calls.target_failures") >= 1


def test_oos_check_marks_gateway_out_of_service_and_back(make_sipd):
    """oos-check = 1, oos-force = 1: with its gateway stopped, the trunk goes out of service
    (calls to its prefix fail at once); with the gateway answering OPTIONS again it comes
    back and a call reaches it."""
    port = net.free_udp_tcp_port()
    s = make_sipd(extensions=("7001", "7002"), dns={"gw1": {
        "type": "Trunk", "contact": f"127.0.0.1:{port}", "prefix": "8", "oos-check": 1,
        "oos-force": 1}}).start()
    s.wait_bus_name()
    assert s.counter("trunks.contacts") == 1
    wait_counter(s, "trunks.out_of_service", lambda v: v == 1, 10)
    assert "trunk gw1 contact sip:127.0.0.1:" in s.stderr() and "out-of-service" in s.stderr()
    # The web UI's view: GetTrunks lists the contact out of service, with since-when.
    before = int(time.time() * 1e6)
    [[dn, contact, state, reason, since]] = s.call("GetTrunks")[0]
    assert (dn, state) == ("gw1", "out-of-service"), (dn, contact, state, reason)
    assert contact.endswith(f"127.0.0.1:{port}"), contact
    assert 0 < since <= before, since
    assert s.get_property("ActiveCalls") == 0
    final = failed_call(s, "8123", timeout=3)
    # Routing answers 503 with Retry-After (every contact out of service), at once,
    # without trying the gateway.
    assert final.code == 503, final
    assert final.get("retry-after"), final

    with Gateway(port) as gw:
        gw.serve_until(lambda: s.counter("trunks.out_of_service") == 0, 10,
                       "trunk not back in service")
        assert gw.options >= 1
        [[_, _, state, _, since_back]] = s.call("GetTrunks")[0]
        assert state == "in-service" and since_back >= since, (state, since_back, since)
        final = gw.call(s, "8123")
        assert final.code == 486, final
        assert gw.invites and gw.invites[0].startswith(f"INVITE sip:8123@127.0.0.1:{port}")


def test_reload_rebuilds_the_routing_table(make_sipd):
    """A trunk added to the file and reloaded (SIGHUP) routes the next call: 404 before,
    the gateway's answer after."""
    port = net.free_udp_tcp_port()
    s = make_sipd_with(make_sipd)
    final = failed_call(s, "6123", timeout=3)
    assert final.code == 404, final
    s.sections["dn:gw6"] = {"type": "Trunk", "contact": f"127.0.0.1:{port}", "prefix": "6"}
    s.write_config()
    count = len(s.notify_lines)
    s.sighup()
    assert s.wait_notify(lambda lines: "READY=1" in lines[count:], 10), s.notify_lines[count:]
    with Gateway(port) as gw:
        final = gw.call(s, "6123")
        assert final.code == 486, final
        assert gw.invites and gw.invites[0].startswith(f"INVITE sip:6123@127.0.0.1:{port}")


def test_phone_registered_over_tcp_is_called_on_its_connection(make_sipd):
    """A phone registered over TCP that does not accept connections (its Contact port is
    closed) still gets the INVITE: on the connection it registered over (the REGISTER's flow)."""
    s = make_sipd_with(make_sipd)
    phone = s.tcp()
    c = Caller(s)
    try:
        resp = s.register(phone, "7002", contact="<sip:7002@127.0.0.1:9;transport=tcp>")
        assert resp is not None and resp.code == 200, resp
        c.invite("7002")
        raw = phone.recv(5)
        assert raw is not None, "no INVITE on the phone's connection"
        text = raw.decode("utf-8", "replace")
        assert text.startswith("INVITE sip:7002@127.0.0.1:9;transport=tcp SIP/2.0"), text
        head = text.split("\r\n\r\n", 1)[0].split("\r\n")
        phone.send(response(head, 486, "Busy Here"))
        final = c.final(timeout=5)
        assert final.code == 486, final
        c.ack(final)
    finally:
        c.close()
        phone.close()


def test_hold_presented_in_rfc2543_form_when_configured(make_sipd, tmp_path, sipp_peers):
    """sip-hold-rfc3264 = false: the same a=sendonly hold reaches the callee in the RFC 2543
    form, c=0.0.0.0 on the held stream (docs/hold.md)."""
    s = make_sipd(extensions=("7001", "7002"), tserver={"sip-hold-rfc3264": "false"}).start()
    uas = start_uas(sipp_peers, "call_uas_hold.xml", s)
    register(s, "7002", uas.port)
    uac = run_uac(s, tmp_path, "7002", scenario="call_uac_hold.xml")
    callee = uas.finish(timeout=20)
    assert uac.returncode == 0 and callee.returncode == 0, explain(s, uac, callee)
    assert "c=IN IP4 0.0.0.0" in uas.trace(), uas.trace()


def test_many_calls_end_clean(make_sipd, tmp_path, sipp_peers):
    """A bounded load (500 calls at 100/s, caller hangs up, SIPp UAS taking 500 calls): every
    call completes and the D-Bus counters agree afterwards (none left in the call table)."""
    s = make_sipd_with(make_sipd)
    uas = start_uas(sipp_peers, "call_uas.xml", s, calls=500, timeout=60, trace_msg=False)
    register(s, "7002", uas.port)
    uac = sipp.run("call_uac.xml", s.address, str(tmp_path / "uac_load"), timeout=60,
                   calls=500, rate=100, trace_msg=False, keys={"caller": "7001"},
                   extra=("-s", "7002"))
    callee = uas.finish(timeout=30)
    assert uac.returncode == 0, explain(s, uac)
    assert callee.returncode == 0, callee.stderr[-3000:]
    s.wait_bus_name()
    counters = s.counters()
    assert int(counters["calls.started"]) == 500, counters
    assert int(counters["calls.answered"]) == 500, counters
    assert int(counters["calls.ended"]) == 500, counters
    assert int(counters["calls.active"]) == 0, counters
    # CallsPerSecond: new calls per second over the last 10 whole seconds; the 500 calls took
    # about 5 s, so right after them the figure is above 0 and at most 500 / 10.
    rate = s.get_property("CallsPerSecond")
    assert 0 < rate <= 50.0, rate
