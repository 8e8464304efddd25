"""Transfers through sipd (issue 3 item 3, docs/b2bua.md "Transfers"): real sipd, SIPp peers.

A (SIPp UAC, Extension 7001) calls B (a SIPp gateway behind Trunk DN gwB, prefix 8) and sends a
blind REFER to 9003 (Trunk DN gwC, prefix 9, another SIPp). Three cases:
- gwB has refer-enabled = false and [TServer] blind-transfer-enabled = true: sipd performs the
  transfer with re-INVITE (202, NOTIFY 100/200, INVITE to C with B's SDP, re-INVITE of B with
  C's SDP, BYE to A); then B hangs up and the BYE reaches C through sipd.
- refer-enabled left at its default (true): the REFER is relayed to B, B's NOTIFYs come back.
- blind-transfer-enabled left at its default (false): 403, the call stays.
- the target busy (486): NOTIFY with its status line, the call with B stays.
- A hanging up right after the 202: the transfer still completes.
- the Refer-To naming a registered Extension: routed like a new call.
- attended (Refer-To with Replaces naming A's consultation call with C): C gets an INVITE with a
  Replaces for its dialog of that call, B the re-INVITE, and the consultation call is ended.
Every SIPp run is bounded; failures show the SIPp traces and sipd's stderr."""

import time

from conftest import sipd_only
from harness import net, sip, sipp
from harness.calls import explain, register, start_uas
from harness.peers import Message

pytestmark = sipd_only


def run_transferor(sipd, tmp_path, scenario="xfer_uac_refer.xml", target="9003"):
    return sipp.run(scenario, sipd.address, str(tmp_path / "transferor"), timeout=40,
                    keys={"caller": "7001", "target": target}, extra=("-s", "8002"))


def run_transfer(s, sipp_peers, tmp_path, gateways, scenario="xfer_uac_refer.xml",
                 target="9003"):
    """gateways: (port, scenario) of SIPp gateways (B behind gwB, then C behind gwC), started
    before A's transfer (run_transferor); every SIPp run must exit 0. Returns their SippPeers."""
    peers = [start_uas(sipp_peers, uas, s, port=port) for port, uas in gateways]
    a = run_transferor(s, tmp_path, scenario=scenario, target=target)
    results = [p.finish(timeout=30) for p in peers]
    assert a.returncode == 0 and all(r.returncode == 0 for r in results), \
        explain(s, a, *results)
    return peers


def transfer_sipd(make_sipd, b_port, c_port, *, refer_enabled=None, blind=None):
    gw_b = {"type": "Trunk", "contact": f"127.0.0.1:{b_port}", "prefix": "8"}
    if refer_enabled is not None:
        gw_b["refer-enabled"] = refer_enabled
    tserver = {} if blind is None else {"blind-transfer-enabled": blind}
    return make_sipd(extensions=("7001", "7002"), tserver=tserver, dns={
        "gwB": gw_b,
        "gwC": {"type": "Trunk", "contact": f"127.0.0.1:{c_port}", "prefix": "9"},
    }).start()


def wait_no_calls(sipd, timeout=10.0):
    net.wait_for(lambda: sipd.get_property("ActiveCalls") == 0, timeout, interval=0.1,
                 what="ActiveCalls 0")


def test_blind_transfer_by_reinvite_when_refer_is_disabled(make_sipd, tmp_path, sipp_peers):
    b_port, c_port = net.free_udp_tcp_port(), net.free_udp_tcp_port()
    s = transfer_sipd(make_sipd, b_port, c_port, refer_enabled="false", blind="true")
    b, c = run_transfer(s, sipp_peers, tmp_path, [(b_port, "xfer_uas_transferee.xml"),
                                                  (c_port, "xfer_uas_target.xml")])
    # C got its INVITE from sipd on a new dialog, with B's SDP (B's media port 17002) and the
    # REFER's Referred-By; B got a re-INVITE (not a REFER) with C's SDP (19003).
    to_c, to_b = c.trace(), b.trace()
    assert "INVITE sip:9003@127.0.0.1:" in to_c, to_c
    assert "m=audio 17002 " in to_c, to_c
    assert "Referred-By: <sip:7001@" in to_c, to_c
    assert f"Contact: <sip:127.0.0.1:{s.port}>" in to_c, to_c
    assert "REFER sip:" not in to_b, to_b
    assert "m=audio 19003 " in to_b, to_b
    # B's BYE was relayed to C (C's scenario ends on it) and the call is gone.
    s.wait_bus_name()
    wait_no_calls(s)
    counters = s.counters()
    assert int(counters["calls.started"]) == 1, counters
    assert int(counters["calls.ended"]) == 1, counters
    assert int(counters["calls.transfers"]) == 1, counters


def test_refer_relayed_when_refer_is_enabled(make_sipd, tmp_path, sipp_peers):
    b_port, c_port = net.free_udp_tcp_port(), net.free_udp_tcp_port()
    s = transfer_sipd(make_sipd, b_port, c_port, blind="true")  # refer-enabled: default true
    [b] = run_transfer(s, sipp_peers, tmp_path, [(b_port, "xfer_uas_refer_relay.xml")])
    to_b = b.trace()
    assert "REFER sip:" in to_b, to_b
    assert "Refer-To: <sip:9003@" in to_b, to_b
    s.wait_bus_name()
    wait_no_calls(s)


def test_blind_refer_refused_403_when_not_enabled(make_sipd, tmp_path, sipp_peers):
    b_port, c_port = net.free_udp_tcp_port(), net.free_udp_tcp_port()
    s = transfer_sipd(make_sipd, b_port, c_port, refer_enabled="false")  # blind: default false
    [b] = run_transfer(s, sipp_peers, tmp_path, [(b_port, "call_uas.xml")],
                       scenario="xfer_uac_refer_403.xml")
    assert "REFER sip:" not in b.trace()
    s.wait_bus_name()
    wait_no_calls(s)


def test_busy_target_is_notified_and_the_call_stays(make_sipd, tmp_path, sipp_peers):
    """The target answers 486: the transferor gets NOTIFY "SIP/2.0 486 Busy Here"
    (terminated), no BYE; the call with B stays and ends when A hangs up (B gets the BYE)."""
    b_port, c_port = net.free_udp_tcp_port(), net.free_udp_tcp_port()
    s = transfer_sipd(make_sipd, b_port, c_port, refer_enabled="false", blind="true")
    b, _ = run_transfer(s, sipp_peers, tmp_path, [(b_port, "call_uas.xml"),
                                                  (c_port, "call_uas_486.xml")],
                        scenario="xfer_uac_refer_fail.xml")
    to_b = b.trace()
    assert to_b.count("INVITE sip:") == 1, to_b  # no re-INVITE: the transfer never got there
    s.wait_bus_name()
    wait_no_calls(s)
    assert int(s.counter("calls.target_failures")) == 1


def test_transferor_leaving_after_202_does_not_stop_the_transfer(make_sipd, tmp_path,
                                                                sipp_peers):
    """A hangs up right after the 202 and NOTIFY 100 (a blind transfer does not need it): C
    still gets the INVITE with B's SDP, B the re-INVITE with C's; B's BYE reaches C."""
    b_port, c_port = net.free_udp_tcp_port(), net.free_udp_tcp_port()
    s = transfer_sipd(make_sipd, b_port, c_port, refer_enabled="false", blind="true")
    run_transfer(s, sipp_peers, tmp_path, [(b_port, "xfer_uas_transferee.xml"),
                                           (c_port, "xfer_uas_target_slow.xml")],
                 scenario="xfer_uac_refer_leave.xml")
    s.wait_bus_name()
    wait_no_calls(s)


def test_transfer_to_a_registered_extension(make_sipd, tmp_path, sipp_peers):
    """The Refer-To is routed like a new call: 7002 is an Extension registered at sipd, so C is
    reached at its registered contact."""
    b_port, c_port = net.free_udp_tcp_port(), net.free_udp_tcp_port()
    s = transfer_sipd(make_sipd, b_port, net.free_udp_tcp_port(), refer_enabled="false",
                      blind="true")
    register(s, "7002", c_port)  # C's SIPp starts below, before the transfer
    _, c = run_transfer(s, sipp_peers, tmp_path, [(b_port, "xfer_uas_transferee.xml"),
                                                  (c_port, "xfer_uas_target.xml")],
                        target="7002")
    assert f"INVITE sip:7002@127.0.0.1:{c_port}" in c.trace()
    s.wait_bus_name()
    wait_no_calls(s)


# ---- attended transfer: a python transferor with two dialogs ------------------------------

class Phone:
    """Extension 7001 as a python UA on one UDP socket: several dialogs with sipd."""

    def __init__(self, sipd):
        self.sipd = sipd
        self.client = sipd.udp()
        self.local = self.client.local
        self.pending = []  # requests received while waiting for something else

    def _send(self, method, uri, call_id, from_tag, to, cseq, extra=(), body=b""):
        lines = [f"{method} {uri} SIP/2.0",
                 f"Via: SIP/2.0/UDP {self.local[0]}:{self.local[1]};branch=z9hG4bK{sip.token()}"
                 ";rport",
                 "Max-Forwards: 70",
                 f"From: <sip:7001@{self.sipd.host}>;tag={from_tag}",
                 f"To: {to}",
                 f"Call-ID: {call_id}",
                 f"CSeq: {cseq} {method}",
                 f"Contact: <sip:7001@{self.local[0]}:{self.local[1]}>"]
        lines += list(extra)
        lines.append(f"Content-Length: {len(body)}")
        self.client.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def _response(self, call_id, method, timeout=10.0):
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            raw = self.client.recv(left)
            if raw is None:
                break
            if not raw.startswith(b"SIP/2.0"):
                self.pending.append(Message("received", raw.decode("utf-8", "replace")))
                continue
            resp = sip.Response(raw)
            if resp.get("call-id") == call_id and resp.get("cseq").endswith(method) and \
                    resp.code >= 200:
                return resp
        raise AssertionError(f"no final response to {method}")

    def call(self, number, media_port):
        host, port = self.sipd.address
        d = {"call_id": sip.token() + "@phone", "tag": sip.token(), "cseq": 1}
        to = f"<sip:{number}@{host}:{port}>"
        body = (f"v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
                f"t=0 0\r\nm=audio {media_port} RTP/AVP 0\r\n").encode()
        uri = f"sip:{number}@{host}:{port}"
        self._send("INVITE", uri, d["call_id"], d["tag"], to, 1,
                   ["Content-Type: application/sdp"], body)
        ok = self._response(d["call_id"], "INVITE")
        assert ok.code == 200, ok
        d["to"] = ok.get("to")
        d["peer_tag"] = d["to"].split("tag=")[1].split(";")[0]
        d["target"] = ok.get("contact").strip("<>")
        self._send("ACK", d["target"], d["call_id"], d["tag"], d["to"], 1)
        return d

    def refer(self, d, refer_to):
        d["cseq"] += 1
        self._send("REFER", d["target"], d["call_id"], d["tag"], d["to"], d["cseq"],
                   [f"Refer-To: <{refer_to}>", f"Referred-By: <sip:7001@{self.sipd.host}>"])
        return self._response(d["call_id"], "REFER")

    def requests(self, count, timeout=15.0):
        """The next `count` requests from sipd, each answered 200."""
        seen = []
        deadline = time.monotonic() + timeout
        while len(seen) < count and (left := deadline - time.monotonic()) > 0:
            if self.pending:
                req = self.pending.pop(0)
            else:
                raw = self.client.recv(left)
                if raw is None:
                    break
                if raw.startswith(b"SIP/2.0"):
                    continue
                req = Message("received", raw.decode("utf-8", "replace"))
            lines = ["SIP/2.0 200 OK"] + [f"Via: {v}" for v in req.all("via")] + [
                f"From: {req.get('from')}", f"To: {req.get('to')}",
                f"Call-ID: {req.get('call-id')}", f"CSeq: {req.get('cseq')}",
                "Content-Length: 0"]
            self.client.send(("\r\n".join(lines) + "\r\n\r\n").encode())
            seen.append(req)
        return seen

    def close(self):
        self.client.close()


def test_attended_transfer_by_reinvite(make_sipd, tmp_path, sipp_peers):
    """A talks to B (refer-enabled = false) and, in a consultation call, to C; A's REFER on the
    first call names the consultation dialog (Replaces). sipd INVITEs C with a Replaces for C's
    dialog of the consultation call, re-INVITEs B with C's session, NOTIFYs A (100, 200), BYEs A
    on both calls; then B's BYE reaches C on the new dialog."""
    b_port, c_port = net.free_udp_tcp_port(), net.free_udp_tcp_port()
    s = transfer_sipd(make_sipd, b_port, c_port, refer_enabled="false")  # blind not needed
    b = start_uas(sipp_peers, "xfer_uas_transferee.xml", s, port=b_port)
    c = start_uas(sipp_peers, "xfer_uas_target_any.xml", s, port=c_port, calls=2)
    a = Phone(s)
    try:
        first = a.call("8002", 15001)
        consult = a.call("9003", 15003)
        replaces = (f"{consult['call_id']};to-tag={consult['peer_tag']};"
                    f"from-tag={consult['tag']}")
        escaped = replaces.replace("@", "%40").replace(";", "%3B").replace("=", "%3D")
        host, port = s.address
        accepted = a.refer(first, f"sip:9003@{host}:{port}?Replaces={escaped}")
        assert accepted.code == 202, accepted
        got = a.requests(4)
    finally:
        a.close()
    transferee = b.finish(timeout=30)
    target = c.finish(timeout=30)
    summary = [(r.method, r.get("call-id"), r.body.strip()) for r in got]
    assert transferee.returncode == 0 and target.returncode == 0, \
        explain(s, transferee, target) + f"\n{summary}"
    on_first = [(m, body) for m, cid, body in summary if cid == first["call_id"]]
    assert on_first == [("NOTIFY", "SIP/2.0 100 Trying"), ("NOTIFY", "SIP/2.0 200 OK"),
                        ("BYE", "")], summary
    assert [m for m, cid, _ in summary if cid == consult["call_id"]] == ["BYE"], summary
    to_c = target.file_text("_messages.log")
    assert "Replaces: " in to_c, to_c
    assert "m=audio 17002 " in to_c, to_c  # B's session offered to C
    assert "m=audio 19003 " in b.trace()  # C's session offered to B
    s.wait_bus_name()
    wait_no_calls(s)
