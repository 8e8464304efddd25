"""In-dialog features of a call through sipd's B2BUA, end to end (issue 3 item 1).

A SIPp caller (7001) calls a SIPp callee registered at sipd as 7002 (its Contact = the SIPp
port). The scenarios (scenarios/dlg_*.xml) check what they can with `check_it` regexps; the
test then reads the messages that arrived at the far peer (SIPp -trace_msg) for what needs
both sides: sipd's own CSeq space on the outbound leg, RAck rewriting, decremented
Max-Forwards, relayed bodies and headers. REFER is not covered here (refer-enabled /
blind-transfer-enabled are being changed)."""

import pytest

from conftest import sipd_only
from harness import peers, sip
from harness.calls import explain, register, run_uac

pytestmark = sipd_only


@pytest.fixture
def call(make_sipd, sipp_peers, tmp_path):
    """call(uac_scenario, uas_scenario) -> (sipd, caller trace, callee peer) for one call
    7001 -> 7002 through a fresh sipd; both SIPp ends must exit 0."""

    def run(uac_scenario, uas_scenario, tserver=None):
        s = make_sipd(extensions=("7001", "7002"), tserver=tserver).start()
        callee = sipp_peers.start(uas_scenario, s.address, timeout=30)
        register(s, "7002", callee.port)
        uac = run_uac(s, tmp_path, "7002", scenario=uac_scenario, timeout=30)
        uas = callee.finish(timeout=15)
        assert uac.returncode == 0 and uas.returncode == 0, explain(s, uac, uas)
        s.wait_bus_name()
        assert s.counter("calls.active") == 0 and s.counter("calls.ended") == 1, s.counters()
        return s, peers.trace_of(uac), callee

    return run


def requests(trace, direction, method):
    return [m for m in trace if m.direction == direction and m.method == method]


def responses(trace, direction, code, method):
    return [m for m in trace if m.direction == direction and m.code == code
            and m.cseq[1] == method]


def one(messages, what):
    assert len(messages) == 1, (what, messages)
    return messages[0]


def test_prack_rack_names_the_outbound_invite(call):
    """RFC 3262: the callee's reliable 183 (Require: 100rel, RSeq 4711) reaches the caller with
    both headers; the caller's PRACK (RAck 4711 101 INVITE) arrives at the callee with RAck
    rewritten to the CSeq of sipd's own INVITE on that leg (7.2); 200 to the PRACK on both
    legs."""
    s, uac, callee = call("dlg_uac_prack.xml", "dlg_uas_prack.xml")
    at_callee = callee.messages()
    invite = one(requests(at_callee, "received", "INVITE"), "INVITE at the callee")
    assert "100rel" in (invite.get("supported") or ""), invite.text
    outbound_cseq = invite.cseq[0]
    prack = one(requests(at_callee, "received", "PRACK"), "PRACK at the callee")
    assert prack.get("rack") == f"4711 {outbound_cseq} INVITE", prack.text
    assert prack.cseq[1] == "PRACK" and prack.cseq[0] > outbound_cseq, prack.text
    assert prack.get("call-id") == invite.get("call-id")
    one(responses(at_callee, "sent", 200, "PRACK"), "200 PRACK sent by the callee")

    reliable = one([m for m in uac if m.direction == "received" and m.code == 183],
                   "183 at the caller")
    assert reliable.get("rseq") == "4711" and reliable.get("require") == "100rel", reliable.text
    assert reliable.cseq == (101, "INVITE"), reliable.text
    assert "m=audio 50000 " in reliable.body, reliable.text
    one(responses(uac, "received", 200, "PRACK"), "200 PRACK at the caller")


def test_update_offer_before_and_after_answer(call):
    """RFC 3311: an UPDATE with an SDP offer in the early dialog (after the PRACKed 183) and
    one after the 200; each offer arrives at the callee, each answer at the caller (the
    scenarios check the m= ports), on sipd's leg with increasing CSeqs."""
    s, uac, callee = call("dlg_uac_update.xml", "dlg_uas_update.xml")
    at_callee = callee.messages()
    updates = requests(at_callee, "received", "UPDATE")
    assert len(updates) == 2, updates
    assert "m=audio 41002 " in updates[0].body and "m=audio 41004 " in updates[1].body
    assert updates[0].get("content-type") == "application/sdp"
    invite = one(requests(at_callee, "received", "INVITE"), "INVITE at the callee")
    assert invite.cseq[0] < updates[0].cseq[0] < updates[1].cseq[0]
    # The first UPDATE was early: the callee received it before it sent the INVITE's 200.
    order = [(m.direction, m.method or m.code, m.cseq[1]) for m in at_callee]
    assert order.index(("received", "UPDATE", "UPDATE")) < order.index(("sent", 200, "INVITE"))
    answers = responses(uac, "received", 200, "UPDATE")
    assert [("m=audio 52002 " in a.body, "m=audio 52004 " in a.body) for a in answers] == [
        (True, False), (False, True)], answers


def test_info_relayed_both_ways(call):
    s, uac, callee = call("dlg_uac_info.xml", "dlg_uas_info.xml")
    info = one(requests(callee.messages(), "received", "INFO"), "INFO at the callee")
    assert info.get("content-type") == "application/dtmf-relay", info.text
    assert "Signal=5" in info.body and "Duration=160" in info.body, info.text
    back = one(requests(uac, "received", "INFO"), "INFO at the caller")
    assert back.get("content-type") == "application/dtmf-relay", back.text
    assert "Signal=7" in back.body, back.text
    # The caller's INFO is in the caller's dialog: its Call-ID and tags.
    sent = one(requests(uac, "sent", "INVITE"), "caller's INVITE")
    assert back.get("call-id") == sent.get("call-id")
    assert back.get("to") == sent.get("from"), (back.text, sent.text)
    one(responses(callee.messages(), "received", 200, "INFO"), "200 INFO at the callee")


def test_reinvite_from_the_callee_with_new_offer(call):
    """The callee re-INVITEs (new offer m=audio 52010): it reaches the caller in the caller's
    dialog with sipd's Contact, the answer (41010) comes back, the ACK reaches the caller."""
    s, uac, callee = call("dlg_uac_reinvite.xml", "dlg_uas_reinvite.xml")
    reinvite = one(requests(uac, "received", "INVITE"), "re-INVITE at the caller")
    assert "m=audio 52010 " in reinvite.body, reinvite.text
    assert reinvite.get("contact") == f"<sip:127.0.0.1:{s.port}>", reinvite.text
    assert reinvite.uri == f"sip:7001@127.0.0.1:{uac_port(uac)}", reinvite.uri
    ack = one(requests(uac, "received", "ACK"), "ACK at the caller")
    assert ack.cseq == (reinvite.cseq[0], "ACK")
    answer = one(responses(callee.messages(), "received", 200, "INVITE"), "answer")
    assert "m=audio 41010 " in answer.body, answer.text


def uac_port(trace):
    first = trace[0]
    return first.get("via").split()[1].split(";")[0].split(":")[1]


def test_max_forwards_decremented_on_the_outbound_invite(call):
    s, uac, callee = call("call_uac.xml", "call_uas.xml")
    sent = one(requests(uac, "sent", "INVITE"), "caller's INVITE")
    assert sent.get("max-forwards") == "70"
    invite = one(requests(callee.messages(), "received", "INVITE"), "INVITE at the callee")
    assert invite.get("max-forwards") == "69", invite.text
    # In-dialog requests too: the caller's BYE (70) arrives with 69.
    bye = one(requests(callee.messages(), "received", "BYE"), "BYE at the callee")
    assert bye.get("max-forwards") == "69", bye.text


def test_max_forwards_zero_answered_483(make_sipd):
    """RFC 3261 16.3 step 3 (the B2BUA's loop defence): Max-Forwards 0 is answered 483 and
    the call is not started; the same INVITE with Max-Forwards 1 is routed (480: 7002 is not
    registered) which proves the 483 came from the Max-Forwards check."""
    s = make_sipd(extensions=("7001", "7002")).start()
    for max_forwards, expected in ((0, 483), (1, 480)):
        c = s.udp()
        try:
            raw = sip.request("INVITE", s.uri("7002"), "UDP", c.local, user="7001",
                              to_user="7002", contact=f"<sip:7001@127.0.0.1:{c.local[1]}>")
            raw = raw.replace(b"Max-Forwards: 70", f"Max-Forwards: {max_forwards}".encode())
            resp = c.exchange(raw, 5)
        finally:
            c.close()
        assert resp is not None and resp.code == expected, (max_forwards, resp)
    s.wait_bus_name()
    assert s.counter("calls.active") == 0


def test_session_timer_headers_and_refresh_relayed(call):
    """RFC 4028: Session-Expires / Min-SE / Supported: timer arrive at the callee, its
    Require: timer and Session-Expires at the caller (scenario checks), and the caller's
    refresh re-INVITE is relayed with its Session-Expires."""
    s, uac, callee = call("dlg_uac_timer.xml", "dlg_uas_timer.xml")
    invites = requests(callee.messages(), "received", "INVITE")
    assert len(invites) == 2, invites
    for invite in invites:
        assert invite.get("session-expires") == "1800;refresher=uac", invite.text
        assert "timer" in (invite.get("supported") or ""), invite.text
    assert invites[0].get("min-se") == "90", invites[0].text
    assert invites[1].cseq[0] > invites[0].cseq[0]
    assert invites[1].get("call-id") == invites[0].get("call-id")
    oks = responses(uac, "received", 200, "INVITE")
    assert len(oks) == 2 and all(ok.get("require") == "timer" for ok in oks), oks


def test_bye_in_ended_dialog_gets_481(call):
    """After the call ended, a BYE in the old dialog is answered 481 (RFC 3261 12.2.2)."""
    s, uac, callee = call("call_uac.xml", "call_uas.xml")
    sent = one(requests(uac, "sent", "INVITE"), "caller's INVITE")
    ok = one(responses(uac, "received", 200, "INVITE"), "200")
    c = s.udp()
    try:
        raw = sip.request("BYE", f"sip:127.0.0.1:{s.port}", "UDP", c.local, call_id=sent.get(
            "call-id"), cseq=9)
        head = raw.decode().split("\r\n")
        head = [f"From: {sent.get('from')}" if h.startswith("From:") else
                f"To: {ok.get('to')}" if h.startswith("To:") else h for h in head]
        resp = c.exchange("\r\n".join(head).encode(), 5)
    finally:
        c.close()
    assert resp is not None and resp.code == 481, resp


def test_delayed_offer_offer_in_200_answer_in_ack(call):
    """An INVITE without SDP (RFC 3261 13.2.1): the callee's offer travels in the 200, the
    caller's answer in the ACK, which sipd releases to the callee only once it has it."""
    s, uac, callee = call("dlg_uac_late.xml", "dlg_uas_late.xml")
    invite = one(requests(callee.messages(), "received", "INVITE"), "INVITE at the callee")
    assert invite.body.strip() == "" and invite.get("content-type") is None, invite.text
    ok = one(responses(uac, "received", 200, "INVITE"), "200 at the caller")
    assert "m=audio 52020 " in ok.body and ok.get("content-type") == "application/sdp"
    ack = one(requests(callee.messages(), "received", "ACK"), "ACK at the callee")
    assert "m=audio 41020 " in ack.body and ack.get("content-type") == "application/sdp"
    assert ack.cseq == (invite.cseq[0], "ACK"), ack.text


def test_glare_crossing_reinvite_gets_491(call):
    """RFC 3261 14.2: while the caller's re-INVITE is pending on sipd's leg toward the callee,
    the callee's own re-INVITE is answered 491 (and never reaches the caller); the caller's
    re-INVITE is then answered normally."""
    s, uac, callee = call("dlg_uac_glare.xml", "dlg_uas_glare.xml")
    at_callee = callee.messages()
    glare = one(responses(at_callee, "received", 491, "INVITE"), "491 at the callee")
    own = one(requests(at_callee, "sent", "INVITE"), "the callee's re-INVITE")
    assert glare.cseq == own.cseq and glare.get("call-id") == own.get("call-id"), glare.text
    relayed = requests(at_callee, "received", "INVITE")
    assert len(relayed) == 2 and "m=audio 41030 " in relayed[1].body, relayed
    assert requests(uac, "received", "INVITE") == []  # the callee's offer went nowhere
    answers = responses(uac, "received", 200, "INVITE")
    assert len(answers) == 2 and "m=audio 52030 " in answers[1].body, answers
