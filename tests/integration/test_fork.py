"""Parallel forking of an Extension's equal-q contacts (docs/b2bua.md "Forking").

Real sipd; two phones register the same Extension (a REGISTER each, distinct contacts);
a SIPp UAC calls it. Equal q: both ring at once, the first 2xx wins and the other branch
gets a CANCEL with Reason cause=200 (RFC 3326) and answers 487. Different q: the lower q
gets its INVITE only after the higher one failed (RFC 3261 16.6). Every process a test
starts is stopped, also on failure."""

import socket
import threading
import time

from conftest import sipd_only
from harness import net
from harness.calls import Caller, explain, make_sipd_with, register, response, run_uac, start_uas

pytestmark = sipd_only


def test_equal_q_contacts_ring_at_once_first_answer_wins(make_sipd, tmp_path, sipp_peers):
    s = make_sipd_with(make_sipd)
    answering = start_uas(sipp_peers, "fork_uas_answer.xml", s)
    cancelled = start_uas(sipp_peers, "fork_uas_cancelled.xml", s)
    register(s, "7002", answering.port)
    register(s, "7002", cancelled.port)
    uac = run_uac(s, tmp_path, "7002")
    a = answering.finish(timeout=20)
    b = cancelled.finish(timeout=20)
    assert uac.returncode == 0 and a.returncode == 0 and b.returncode == 0, \
        explain(s, uac, a, b)
    # Both branches: one Call-ID and From tag (one UAC), a CSeq each.
    inv_a = answering.received("INVITE")[0]
    inv_b = cancelled.received("INVITE")[0]
    assert inv_a.get("call-id") == inv_b.get("call-id"), (inv_a.text, inv_b.text)
    assert tag_of(inv_a.get("from")) == tag_of(inv_b.get("from")), (inv_a.text, inv_b.text)
    assert inv_a.get("cseq") != inv_b.get("cseq"), (inv_a.text, inv_b.text)
    assert "Reason: SIP;cause=200;text=\"Call completed elsewhere\"" in cancelled.trace()
    s.wait_bus_name()
    counters = s.counters()
    assert int(counters["calls.answered"]) == 1, counters
    assert int(counters["calls.active"]) == 0, counters


def tag_of(value):
    return value.split("tag=", 1)[1].split(";", 1)[0]


PHONE_SDP = ("v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
             "t=0 0\r\nm=audio 40002 RTP/AVP 0\r\na=sendrecv\r\n")


class Phone:
    """A python phone on a UDP port: records what it receives (with a shared order counter)
    and answers INVITE with 486 after `busy_after` seconds, or 180 + 200 at once; BYE 200."""

    clock_lock = threading.Lock()

    def __init__(self, name, mode, events, busy_after=0.3):
        self.name = name
        self.mode = mode
        self.events = events
        self.busy_after = busy_after
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _note(self, what):
        with Phone.clock_lock:
            self.events.append((self.name, what))

    def _serve(self):
        self.sock.settimeout(0.1)
        deadline = time.monotonic() + 30
        seen = set()
        while not self.stop_flag.is_set() and time.monotonic() < deadline:
            try:
                data, peer = self.sock.recvfrom(65535)
            except OSError:
                continue
            head = data.decode("utf-8", "replace").split("\r\n\r\n", 1)[0].split("\r\n")
            method = head[0].split(" ", 1)[0]
            if method == "INVITE":
                if head[0] in seen:
                    continue  # a retransmission (sent before our 180 arrived)
                seen.add(head[0])
                self._note("INVITE")
                self.sock.sendto(response(head, 180, "Ringing", tag="ph1"), peer)
                if self.mode == "busy":
                    time.sleep(self.busy_after)
                    self._note("486")
                    self.sock.sendto(response(head, 486, "Busy Here", tag="ph1"), peer)
                else:
                    self.sock.sendto(response(head, 200, "OK", tag="ph1", contact_port=self.port,
                                              sdp=PHONE_SDP), peer)
                    self._note("200")
            elif method == "BYE":
                self._note("BYE")
                self.sock.sendto(response(head, 200, "OK", tag="ph1"), peer)
            elif method in ("ACK", "CANCEL"):
                self._note(method)

    def close(self):
        self.stop_flag.set()
        self.thread.join(5)
        self.sock.close()


def test_higher_q_first_lower_q_after_its_failure(make_sipd, tmp_path):
    s = make_sipd_with(make_sipd)
    events = []
    high = Phone("high", "busy", events)
    low = Phone("low", "answer", events)
    try:
        register(s, "7002", high.port, q="1.0")
        register(s, "7002", low.port, q="0.5")
        uac = run_uac(s, tmp_path, "7002")
        assert uac.returncode == 0, explain(s, uac)
        net.wait_for(lambda: ("low", "BYE") in events, 5, interval=0.05,
                     what="the caller's BYE at the q=0.5 phone")
    finally:
        high.close()
        low.close()
    order = [e for e in events if e[1] in ("INVITE", "486", "200", "BYE")]
    # RFC 3261 16.6: q=0.5 only after q=1.0 answered 486; never both at once.
    assert order == [("high", "INVITE"), ("high", "486"), ("low", "INVITE"), ("low", "200"),
                     ("low", "BYE")], events
    assert ("high", "CANCEL") not in events


def test_busy_on_both_equal_q_contacts_relays_486(make_sipd):
    s = make_sipd_with(make_sipd)
    events = []
    one = Phone("one", "busy", events, busy_after=0.1)
    two = Phone("two", "busy", events, busy_after=0.4)
    caller = None
    try:
        register(s, "7002", one.port)
        register(s, "7002", two.port)
        caller = Caller(s)
        caller.invite("7002")
        final = caller.final()
        caller.ack(final)
        assert final.code == 486, final
    finally:
        one.close()
        two.close()
        if caller:
            caller.close()
    invites = [e for e in events if e[1] == "INVITE"]
    assert sorted(invites) == [("one", "INVITE"), ("two", "INVITE")], events
    # Both rang before either answered (parallel, not sequential).
    assert events.index(("two", "INVITE")) < events.index(("one", "486")), events
    s.wait_bus_name()
    assert int(s.counters()["calls.active"]) == 0


def test_caller_cancel_cancels_every_branch(make_sipd, sipp_peers):
    s = make_sipd_with(make_sipd)
    one = start_uas(sipp_peers, "call_uas_ring.xml", s)
    two = start_uas(sipp_peers, "call_uas_ring.xml", s)
    register(s, "7002", one.port)
    register(s, "7002", two.port)
    c = Caller(s)
    try:
        c.invite("7002")
        rung = []
        c.responses(lambda r: r.code == 180 and rung.append(r) is None and len(rung) == 2)
        c.cancel()
        seen = c.responses(lambda r: r.code >= 200 and "INVITE" in r.get("cseq"))
        assert seen[-1].code == 487, seen[-1]
        c.ack(seen[-1])
    finally:
        c.close()
    a = one.finish(timeout=20)
    b = two.finish(timeout=20)
    assert a.returncode == 0 and b.returncode == 0, explain(s, a, b)
    # The caller gave up: no "completed elsewhere" on these CANCELs.
    assert "Reason:" not in one.trace() and "Reason:" not in two.trace()
    s.wait_bus_name()
    net.wait_for(lambda: s.counter("calls.ended") == 1, 10, interval=0.05, what="call ended")
    assert s.counter("calls.answered") == 0, s.counters()
