"""Calls through Kamailio configured as a softswitch in front of SIPp phones (issue 3 item 4).

sipd has a VoIP Service DN `ss1` (service-type = softswitch, contact = Kamailio) and Extension
DNs 4001/4002 whose `contact = ss1` (docs/routing.md rule 1: the Extension names its
softswitch). Kamailio (kamailio/softswitch.cfg.in) is a registrar + stateful record-routing
proxy: phones register there; numbers it does not know go to sipd. Every check reads the
message that arrived at the far peer (SIPp -trace_msg, Kamailio's request log) and sipd's
D-Bus state; every process is stopped by a fixture finalizer."""

import os
import time

import pytest

from conftest import sipd_only
from harness import kamailio, net, peers, sip
from harness.calls import Caller, explain, failed_call, run_uac

pytestmark = sipd_only

SOFTSWITCH_CFG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kamailio",
                              "softswitch.cfg.in")


@pytest.fixture
def kamailios():
    made = []
    yield made
    for k in made:
        k.stop()


def start_pair(make_sipd, kamailios, tmp_path, *, softswitch=None, dns=None, tserver=None):
    """A softswitch Kamailio and a sipd pointing at each other; both started. "@KPORT@" in
    a softswitch option value stands for Kamailio's port."""
    k = kamailio.Kamailio(tmp_path / "kamailio", template=SOFTSWITCH_CFG)
    os.makedirs(k.tmpdir, exist_ok=True)
    kamailios.append(k)
    options = {"type": "VoIPService", "service-type": "softswitch",
               "contact": f"127.0.0.1:{k.port}"}
    options.update({name: str(value).replace("@KPORT@", str(k.port))
                    for name, value in (softswitch or {}).items()})
    all_dns = {"ss1": options,
               "4001": {"type": "Extension", "contact": "ss1"},
               "4002": {"type": "Extension", "contact": "ss1"}}
    all_dns.update(dns or {})
    s = make_sipd(extensions=("7001", "7002"), dns=all_dns, tserver=tserver).start()
    k.substitutions["@SIPD_PORT@"] = s.port
    k.start()
    s.wait_bus_name()
    return k, s


def register_at(k, user, port):
    """The phone's REGISTER at Kamailio (its Contact = the SIPp phone's port)."""
    c = sip.UdpClient(k.address)
    try:
        resp = c.exchange(sip.request("REGISTER", f"sip:{k.host}:{k.port}", "UDP", c.local,
                                      user=user, contact=f"<sip:{user}@127.0.0.1:{port}>",
                                      extra=["Expires: 600"]))
    finally:
        c.close()
    assert resp is not None and resp.code == 200, resp


def start_phone(sipp_peers, k, scenario):
    """A SIPp phone registered at Kamailio as 4001."""
    phone = sipp_peers.start(scenario, k.address)
    register_at(k, "4001", phone.port)
    return phone


def call_phone(s, k, sipp_peers, tmp_path, phone="ss_phone_uas.xml", caller="call_uac.xml",
               timeout=15):
    """A SIPp caller (7001 at sipd) calls 4001, a SIPp phone behind the softswitch; both SIPp
    ends must exit 0. Returns (the phone's SippPeer, the caller's SippResult)."""
    peer = start_phone(sipp_peers, k, phone)
    uac = run_uac(s, tmp_path, "4001", scenario=caller, timeout=30)
    callee = peer.finish(timeout=timeout)
    assert uac.returncode == 0 and callee.returncode == 0, explain(s, uac, callee, kamailio=k)
    return peer, uac


def vias(message):
    """The sent-by host:port of each Via, top first."""
    out = []
    for value in message.all("via"):
        for via in value.split(","):
            out.append(via.split()[1].split(";")[0])
    return out


def wait_calls_idle(s, ended):
    """Both legs gone: ActiveCalls and calls.active back to 0, `ended` calls ended."""
    net.wait_for(lambda: s.get_property("ActiveCalls") == 0 and s.counter("calls.active") == 0
                 and s.counter("calls.ended") == ended, 10, interval=0.05,
                 what="no active call on D-Bus")


def only(messages, what):
    assert len(messages) == 1, (what, messages)
    return messages[0]


# ---- sipd -> softswitch -> phone ---------------------------------------------------------

def check_invite_via_softswitch(s, k, phone, uac_trace):
    """The INVITE at the phone came through Kamailio from sipd's outbound leg."""
    invite = only(phone.received("INVITE"), "INVITE at the phone")
    # Kamailio's Via on top, sipd's below it, nothing of the caller's leg (B2BUA).
    assert vias(invite) == [f"127.0.0.1:{k.port}", f"127.0.0.1:{s.port}"], invite.text
    assert f"sip:127.0.0.1:{k.port};lr" in (invite.get("record-route") or ""), invite.text
    # sipd sent the Extension number as user part to the softswitch's contact.
    assert (f"ss: INVITE sip:4001@127.0.0.1:{k.port} from 127.0.0.1:{s.port}"
            in k.log()), k.log()
    assert invite.uri.startswith("sip:4001@127.0.0.1:"), invite.uri
    assert invite.get("to").startswith("<sip:4001@"), invite.text
    # From, Call-ID and Contact are sipd's outbound leg, not the caller's.
    caller_invite = [m for m in uac_trace if m.direction == "sent" and m.method == "INVITE"][0]
    assert invite.get("call-id") != caller_invite.get("call-id")
    from_tag = invite.get("from").split("tag=")[1]
    assert from_tag != caller_invite.get("from").split("tag=")[1]
    assert invite.get("contact") == f"<sip:127.0.0.1:{s.port}>", invite.text
    return invite


def check_in_dialog_through_softswitch(s, k, message):
    """An in-dialog request from sipd followed the route set: through Kamailio."""
    assert vias(message) == [f"127.0.0.1:{k.port}", f"127.0.0.1:{s.port}"], message.text
    assert not message.get("route"), message.text  # Kamailio consumed its own Route


def test_call_to_extension_reaches_phone_through_softswitch_caller_hangs_up(
        make_sipd, kamailios, sipp_peers, tmp_path):
    k, s = start_pair(make_sipd, kamailios, tmp_path)
    phone, uac = call_phone(s, k, sipp_peers, tmp_path)

    check_invite_via_softswitch(s, k, phone, peers.trace_of(uac))
    # ACK and BYE of sipd's outbound leg came through Kamailio (route set from the 200's
    # Record-Route, RFC 3261 12.1.2).
    check_in_dialog_through_softswitch(s, k, only(phone.received("ACK"), "ACK"))
    check_in_dialog_through_softswitch(s, k, only(phone.received("BYE"), "BYE"))
    wait_calls_idle(s, ended=1)
    assert s.counter("calls.answered") == 1


def test_phone_behind_softswitch_hangs_up(make_sipd, kamailios, sipp_peers, tmp_path):
    k, s = start_pair(make_sipd, kamailios, tmp_path)
    phone, uac = call_phone(s, k, sipp_peers, tmp_path, phone="ss_phone_uas_bye.xml",
                            caller="call_uac_wait_bye.xml")
    check_invite_via_softswitch(s, k, phone, peers.trace_of(uac))
    # The phone's BYE went through Kamailio to sipd, which ended the caller's leg with a BYE
    # of that dialog and answered the phone's BYE 200 (through Kamailio again).
    assert f"ss: BYE sip:127.0.0.1:{s.port}" in k.log(), k.log()
    bye = only([m for m in peers.trace_of(uac) if m.direction == "received"
                and m.method == "BYE"], "BYE at the caller")
    assert vias(bye) == [f"127.0.0.1:{s.port}"], bye.text
    ok = only(phone.received(code=200), "200 at the phone")
    assert ok.cseq == (1, "BYE") and vias(ok)[-1] == f"127.0.0.1:{phone.port}", ok.text
    wait_calls_idle(s, ended=1)


def test_softswitch_phone_not_registered_gets_480(make_sipd, kamailios, tmp_path):
    """Extension 4002's phone is not registered at the softswitch: Kamailio answers 480 and
    sipd relays it (a 4xx is the callee side's decision, not retried)."""
    k, s = start_pair(make_sipd, kamailios, tmp_path)
    final = failed_call(s, "4002", timeout=5)
    assert final.code == 480, final
    assert (f"ss: INVITE sip:4002@127.0.0.1:{k.port} from 127.0.0.1:{s.port}"
            in k.log()), k.log()
    wait_calls_idle(s, ended=1)
    assert s.counter("calls.failed") == 1


def test_local_registration_of_softswitch_extension_is_ignored(make_sipd, kamailios,
                                                               sipp_peers, tmp_path):
    """A phone registering 4001 at sipd does not divert the call: the Extension's phone is
    at the softswitch (docs/routing.md rule 1)."""
    k, s = start_pair(make_sipd, kamailios, tmp_path)
    c = s.udp()
    try:
        stray = s.register(c, "4001", contact="<sip:4001@127.0.0.1:9>")
    finally:
        c.close()
    phone, uac = call_phone(s, k, sipp_peers, tmp_path)
    assert stray is not None, "sipd did not answer the REGISTER"
    check_invite_via_softswitch(s, k, phone, peers.trace_of(uac))


# ---- phone behind the softswitch -> sipd -> trunk gateway -----------------------------

def test_phone_behind_softswitch_calls_trunk_through_sipd(make_sipd, kamailios, sipp_peers,
                                                          tmp_path):
    gw_port = net.free_udp_tcp_port()
    k, s = start_pair(make_sipd, kamailios, tmp_path, dns={"gw1": {
        "type": "Trunk", "contact": f"127.0.0.1:{gw_port}", "prefix": "9",
        "replace-prefix": "0049"}})
    gateway = sipp_peers.start("call_uas.xml", s.address, port=gw_port)
    # The phone 4001 dials 9301234 at its softswitch; Kamailio does not know the number and
    # forwards it to sipd, which routes it to the trunk by prefix.
    uac = run_uac(k, tmp_path, "9301234", caller="4001", timeout=30)
    gw = gateway.finish(timeout=15)
    assert uac.returncode == 0 and gw.returncode == 0, explain(s, uac, gw, kamailio=k)

    assert f"ss: INVITE sip:9301234@127.0.0.1:{k.port} from 127.0.0.1:{uac_port(uac)}" in \
        k.log()
    invite = only(gateway.received("INVITE"), "INVITE at the gateway")
    assert invite.uri == f"sip:0049301234@127.0.0.1:{gw_port}", invite.uri
    assert vias(invite) == [f"127.0.0.1:{s.port}"], invite.text  # sipd's leg only
    assert not invite.get("record-route"), invite.text
    trace = peers.trace_of(uac)
    sent = [m for m in trace if m.direction == "sent" and m.method == "INVITE"][0]
    assert invite.get("call-id") != sent.get("call-id")
    # The phone's dialog is with sipd (its Contact); the phone's BYE went through Kamailio
    # to sipd, which ended the gateway's leg with a BYE.
    ok = [m for m in trace if m.direction == "received" and m.code == 200
          and m.cseq[1] == "INVITE"][0]
    assert ok.get("contact") == f"<sip:127.0.0.1:{s.port}>", ok.text
    # RFC 3261 12.1.1: sipd's 200 copies Kamailio's Record-Route, so the phone's ACK and BYE
    # go through its softswitch.
    assert f"sip:127.0.0.1:{k.port};lr" in (ok.get("record-route") or ""), ok.text
    assert f"ss: BYE sip:127.0.0.1:{s.port} from 127.0.0.1:{uac_port(uac)}" in \
        k.log(), k.log()
    assert only(gateway.received("BYE"), "BYE at the gateway")
    wait_calls_idle(s, ended=1)


def uac_port(result):
    return result.cmd[result.cmd.index("-p") + 1]


# ---- softswitch health -------------------------------------------------------------------

def trunk_row(s, dn):
    rows = [r for r in s.call("GetTrunks")[0] if r[0] == dn]
    assert len(rows) == 1, rows
    return rows[0]


def test_softswitch_out_of_service_when_kamailio_stops_and_back(make_sipd, kamailios,
                                                                sipp_peers, tmp_path):
    """oos-check = 1, oos-force = 1 on the softswitch DN: Kamailio answers the OPTIONS
    probes (in service); stopped, it goes out of service (GetTrunks) and a call to its
    Extension fails at once with routing's 503 + Retry-After (docs/routing.md: every contact
    of the softswitch out of service); restarted, it is back in service and carries a call."""
    k, s = start_pair(make_sipd, kamailios, tmp_path,
                      softswitch={"oos-check": 1, "oos-force": 1})
    net.wait_for(lambda: s.counter("calls.probes") >= 1, 5, what="a first OPTIONS probe")
    dn, contact, state, reason, since = trunk_row(s, "ss1")
    assert state == "in-service" and contact.endswith(f"127.0.0.1:{k.port}"), (state, contact)
    assert s.counter("trunks.contacts") == 1

    k.stop()
    net.wait_for(lambda: s.counter("trunks.out_of_service") == 1, 10, interval=0.05,
                 what="softswitch out of service")
    _, _, state, reason, since = trunk_row(s, "ss1")
    assert state == "out-of-service", (state, reason)
    assert 0 < since <= int(time.time() * 1e6)
    started = time.monotonic()
    final = failed_call(s, "4001", timeout=3)
    elapsed = time.monotonic() - started
    assert final.code == 503 and final.get("retry-after"), final
    assert elapsed < 1.0, elapsed  # no INVITE waited for Timer B
    assert s.counter("calls.target_failures") == 0  # the softswitch was not tried

    k.start()  # the same port again
    net.wait_for(lambda: s.counter("trunks.out_of_service") == 0, 10, interval=0.05,
                 what="softswitch back in service")
    _, _, state, _, since_back = trunk_row(s, "ss1")
    assert state == "in-service" and since_back >= since
    call_phone(s, k, sipp_peers, tmp_path)
    wait_calls_idle(s, ended=2)


def test_softswitch_range_errors_refused(make_sipd):
    """The reference's ranges apply to the softswitch DN too: oos-check 301 is refused at
    start with the file, line and option."""
    s = make_sipd(extensions=("7001",), dns={
        "ss1": {"type": "VoIPService", "service-type": "softswitch",
                "contact": "127.0.0.1:5060", "oos-check": 301},
        "4001": {"type": "Extension", "contact": "ss1"}})
    lines = s.write_config()
    proc = s.spawn(write=False)
    code = proc.wait(10)
    assert code != 0, "sipd started with oos-check = 301"
    err = s.stderr()
    assert f"{s.config_path}:{lines[('dn:ss1', 'oos-check')]}" in err and "oos-check" in err, err


# ---- failover and CANCEL through the softswitch ------------------------------------------

def test_softswitch_contact_backup_takes_the_call_when_contact_is_dead(
        make_sipd, kamailios, sipp_peers, tmp_path):
    """contact = a port nobody answers, contact-backup = Kamailio: the INVITE to the contact
    times out (Timer B, T1 = 50 ms) and the call goes to the backup, Extension number kept."""
    dead = net.free_udp_tcp_port()
    k, s = start_pair(make_sipd, kamailios, tmp_path, tserver={"sip-timer-t1": 50},
                      softswitch={"contact": f"127.0.0.1:{dead}",
                                  "contact-backup": "127.0.0.1:@KPORT@"})
    phone, uac = call_phone(s, k, sipp_peers, tmp_path, timeout=20)
    check_invite_via_softswitch(s, k, phone, peers.trace_of(uac))
    assert s.counter("calls.target_failures") >= 1
    wait_calls_idle(s, ended=1)


def test_cancel_before_answer_reaches_phone_through_softswitch(make_sipd, kamailios,
                                                               sipp_peers, tmp_path):
    k, s = start_pair(make_sipd, kamailios, tmp_path)
    phone = start_phone(sipp_peers, k, "ss_phone_uas_ring.xml")
    with Caller(s) as c:
        c.invite("4001")
        assert c.responses(lambda r: r.code == 180)[-1].code == 180
        c.cancel()
        seen = c.responses(lambda r: r.code >= 200 and "INVITE" in r.get("cseq"))
        assert (200, "CANCEL") in {(r.code, r.get("cseq").split()[1]) for r in seen}, seen
        assert seen[-1].code == 487, seen[-1]
        c.ack(seen[-1])
    callee = phone.finish(timeout=15)
    assert callee.returncode == 0, explain(s, callee, kamailio=k)
    # sipd cancelled its INVITE at the softswitch, which (a stateful proxy) cancelled its
    # own branch toward the phone (RFC 3261 16.10: hop by hop, only the proxy's Via).
    assert (f"ss: CANCEL sip:4001@127.0.0.1:{k.port} from 127.0.0.1:{s.port}"
            in k.log()), k.log()
    cancel = only(phone.received("CANCEL"), "CANCEL at the phone")
    assert vias(cancel) == [f"127.0.0.1:{k.port}"], cancel.text
    invite = only(phone.received("INVITE"), "INVITE at the phone")
    assert cancel.get("call-id") == invite.get("call-id") and cancel.cseq[0] == invite.cseq[0]
    wait_calls_idle(s, ended=1)
    assert s.counter("calls.failed") == 1
    assert s.counter("calls.answered") == 0, s.counters()  # the 200 to CANCEL is not the call's


# ---- a routing loop through the softswitch --------------------------------------------

def test_loop_through_softswitch_is_answered_482(make_sipd, kamailios, tmp_path):
    """Extension 4999 is served by the softswitch, which (misconfigured) sends 49xx back to
    sipd. sipd recognises its own outbound INVITE (its Call-ID and From tag, no To tag) and
    answers 482 Loop Detected (RFC 3261 8.2.2.2); Kamailio relays the 482 to sipd's call,
    which relays it to the caller. One pass only, and the call ends."""
    k, s = start_pair(make_sipd, kamailios, tmp_path,
                      dns={"4999": {"type": "Extension", "contact": "ss1"}})
    final = failed_call(s, "4999", timeout=10)
    assert final.code == 482, final
    passes = k.log().count(f"ss: INVITE sip:4999@127.0.0.1:{k.port} from 127.0.0.1:")
    assert passes == 1, k.log()
    assert s.counter("calls.loops") == 1, s.counters()
    wait_calls_idle(s, ended=1)
    assert s.counter("calls.started") == 1, s.counters()


# ---- the web UI's view of a call through the softswitch ---------------------------------

def test_established_call_counted_on_dbus(make_sipd, kamailios, sipp_peers, tmp_path):
    """While the call to 4001 is up (the caller talks for 2 s), D-Bus ActiveCalls is 1 and
    GetCalls lists it (the caller's Call-ID, both parties, since-when); then both legs are gone
    and CallsPerSecond counts the call."""
    k, s = start_pair(make_sipd, kamailios, tmp_path)
    phone = start_phone(sipp_peers, k, "ss_phone_uas.xml")
    caller = sipp_peers.start("ss_caller_long.xml", s.address,
                        keys={"caller": "7001"}, extra=("-s", "4001"))
    net.wait_for(lambda: s.counter("calls.answered") == 1, 10, interval=0.05,
                 what="the call answered")
    before = int(time.time() * 1e6)
    assert s.get_property("ActiveCalls") == 1
    [[call_id, state, inbound, outbound, since]] = s.call("GetCalls")[0]
    assert state in ("answered", "confirmed"), state
    assert "sip:7001@" in inbound, inbound
    assert "sip:4001@" in outbound, outbound
    assert call_id, call_id
    assert before - 10_000_000 < since <= before, (since, before)
    uac = caller.finish(timeout=20)
    callee = phone.finish(timeout=15)
    assert uac.returncode == 0 and callee.returncode == 0, explain(s, uac, callee, kamailio=k)
    # The phone's ACK arrived before the count was read: the call was confirmed, not ringing.
    assert only(phone.received("BYE"), "BYE at the phone")
    wait_calls_idle(s, ended=1)
    assert s.call("GetCalls")[0] == []
    # One new call over the last 10 whole seconds (the call lasted more than a second).
    assert s.get_property("CallsPerSecond") == pytest.approx(0.1), s.get_property(
        "CallsPerSecond")
