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

import os
import subprocess
import time

import pytest

from conftest import sipd_only
from harness import net, sip, sipp

pytestmark = sipd_only


class Peer:
    """A SIPp UAS (gateway) in the background on its own port."""

    def __init__(self, scenario, sipd, workdir, port, timeout=40, calls=1):
        self.port = port
        self.workdir = str(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.cmd, self.name = sipp.command(scenario, sipd.address, self.workdir, port=port,
                                           timeout=timeout, calls=calls)
        self.timeout = timeout
        self.proc = subprocess.Popen(self.cmd, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not port_bound(port):
            time.sleep(0.02)

    def finish(self, timeout=None):
        try:
            out, err = self.proc.communicate(timeout=timeout or self.timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            out, err = self.proc.communicate()
        result = sipp.SippResult(self.proc, self.cmd, self.workdir, self.name)
        result.stdout, result.stderr = out, err
        return result

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def messages(self):
        return sipp.SippResult(self.proc, self.cmd, self.workdir, self.name).file_text(
            "_messages.log")


def port_bound(port):
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", port))
        return False
    except OSError:
        return True
    finally:
        s.close()


@pytest.fixture
def peers():
    made = []
    yield made
    for p in made:
        p.stop()


def start_peer(peers, scenario, sipd, tmp_path, port, calls=1):
    p = Peer(scenario, sipd, tmp_path / f"peer{len(peers)}", port, calls=calls)
    peers.append(p)
    return p


def run_transferor(sipd, tmp_path, scenario="xfer_uac_refer.xml", target="9003"):
    return sipp.run(scenario, sipd.address, str(tmp_path / "transferor"), timeout=40,
                    keys={"caller": "7001", "target": target}, extra=("-s", "8002"))


def explain(sipd, *results):
    text = "\n\n".join(r.explain() for r in results)
    return text + "\n\nsipd stderr:\n" + sipd.stderr()[-4000:]


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
    deadline = time.monotonic() + timeout
    active = None
    while time.monotonic() < deadline:
        active = sipd.get_property("ActiveCalls")
        if active == 0:
            return
        time.sleep(0.1)
    raise AssertionError(f"ActiveCalls still {active}")


def test_blind_transfer_by_reinvite_when_refer_is_disabled(make_sipd, tmp_path, peers):
    b_port, c_port = net.free_udp_tcp_port(), net.free_udp_tcp_port()
    s = transfer_sipd(make_sipd, b_port, c_port, refer_enabled="false", blind="true")
    b = start_peer(peers, "xfer_uas_transferee.xml", s, tmp_path, b_port)
    c = start_peer(peers, "xfer_uas_target.xml", s, tmp_path, c_port)
    a = run_transferor(s, tmp_path)
    transferee = b.finish(timeout=30)
    target = c.finish(timeout=30)
    assert a.returncode == 0, explain(s, a, transferee, target)
    assert transferee.returncode == 0 and target.returncode == 0, explain(s, a, transferee,
                                                                          target)
    # C got its INVITE from sipd on a new dialog, with B's SDP (B's media port 17002) and the
    # REFER's Referred-By; B got a re-INVITE (not a REFER) with C's SDP (19003).
    to_c, to_b = target.file_text("_messages.log"), b.messages()
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


def test_refer_relayed_when_refer_is_enabled(make_sipd, tmp_path, peers):
    b_port, c_port = net.free_udp_tcp_port(), net.free_udp_tcp_port()
    s = transfer_sipd(make_sipd, b_port, c_port, blind="true")  # refer-enabled: default true
    b = start_peer(peers, "xfer_uas_refer_relay.xml", s, tmp_path, b_port)
    a = run_transferor(s, tmp_path)
    transferee = b.finish(timeout=30)
    assert a.returncode == 0 and transferee.returncode == 0, explain(s, a, transferee)
    to_b = b.messages()
    assert "REFER sip:" in to_b, to_b
    assert "Refer-To: <sip:9003@" in to_b, to_b
    s.wait_bus_name()
    wait_no_calls(s)


def test_blind_refer_refused_403_when_not_enabled(make_sipd, tmp_path, peers):
    b_port, c_port = net.free_udp_tcp_port(), net.free_udp_tcp_port()
    s = transfer_sipd(make_sipd, b_port, c_port, refer_enabled="false")  # blind: default false
    b = start_peer(peers, "call_uas.xml", s, tmp_path, b_port)
    a = run_transferor(s, tmp_path, scenario="xfer_uac_refer_403.xml")
    transferee = b.finish(timeout=30)
    assert a.returncode == 0 and transferee.returncode == 0, explain(s, a, transferee)
    assert "REFER sip:" not in b.messages()
    s.wait_bus_name()
    wait_no_calls(s)


def test_busy_target_is_notified_and_the_call_stays(make_sipd, tmp_path, peers):
    """The target answers 486: the transferor gets NOTIFY "SIP/2.0 486 Busy Here"
    (terminated), no BYE; the call with B stays and ends when A hangs up (B gets the BYE)."""
    b_port, c_port = net.free_udp_tcp_port(), net.free_udp_tcp_port()
    s = transfer_sipd(make_sipd, b_port, c_port, refer_enabled="false", blind="true")
    b = start_peer(peers, "call_uas.xml", s, tmp_path, b_port)
    c = start_peer(peers, "call_uas_486.xml", s, tmp_path, c_port)
    a = run_transferor(s, tmp_path, scenario="xfer_uac_refer_fail.xml")
    transferee = b.finish(timeout=30)
    target = c.finish(timeout=30)
    assert a.returncode == 0 and transferee.returncode == 0 and target.returncode == 0, \
        explain(s, a, transferee, target)
    to_b = b.messages()
    assert to_b.count("INVITE sip:") == 1, to_b  # no re-INVITE: the transfer never got there
    s.wait_bus_name()
    wait_no_calls(s)
    assert int(s.counter("calls.target_failures")) == 1


def test_transferor_leaving_after_202_does_not_stop_the_transfer(make_sipd, tmp_path, peers):
    """A hangs up right after the 202 and NOTIFY 100 (a blind transfer does not need it): C
    still gets the INVITE with B's SDP, B the re-INVITE with C's; B's BYE reaches C."""
    b_port, c_port = net.free_udp_tcp_port(), net.free_udp_tcp_port()
    s = transfer_sipd(make_sipd, b_port, c_port, refer_enabled="false", blind="true")
    b = start_peer(peers, "xfer_uas_transferee.xml", s, tmp_path, b_port)
    c = start_peer(peers, "xfer_uas_target_slow.xml", s, tmp_path, c_port)
    a = run_transferor(s, tmp_path, scenario="xfer_uac_refer_leave.xml")
    transferee = b.finish(timeout=30)
    target = c.finish(timeout=30)
    assert a.returncode == 0 and transferee.returncode == 0 and target.returncode == 0, \
        explain(s, a, transferee, target)
    s.wait_bus_name()
    wait_no_calls(s)


def test_transfer_to_a_registered_extension(make_sipd, tmp_path, peers):
    """The Refer-To is routed like a new call: 7002 is an Extension registered at sipd, so C is
    reached at its registered contact."""
    b_port, c_port = net.free_udp_tcp_port(), net.free_udp_tcp_port()
    s = transfer_sipd(make_sipd, b_port, net.free_udp_tcp_port(), refer_enabled="false",
                      blind="true")
    b = start_peer(peers, "xfer_uas_transferee.xml", s, tmp_path, b_port)
    c = start_peer(peers, "xfer_uas_target.xml", s, tmp_path, c_port)
    client = s.udp()
    try:
        resp = s.register(client, "7002", contact=f"<sip:7002@127.0.0.1:{c_port}>")
    finally:
        client.close()
    assert resp is not None and resp.code == 200, resp
    a = run_transferor(s, tmp_path, target="7002")
    transferee = b.finish(timeout=30)
    target = c.finish(timeout=30)
    assert a.returncode == 0 and transferee.returncode == 0 and target.returncode == 0, \
        explain(s, a, transferee, target)
    assert f"INVITE sip:7002@127.0.0.1:{c_port}" in target.file_text("_messages.log")
    s.wait_bus_name()
    wait_no_calls(s)


# ---- attended transfer: a python transferor with two dialogs ------------------------------

class Request:
    def __init__(self, raw):
        text = raw.decode("utf-8", "replace")
        head, _, self.body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.method = lines[0].split(" ", 1)[0]
        self.headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers.append((name.strip().lower(), value.strip()))

    def get(self, name):
        return next((v for n, v in self.headers if n == name), None)

    def all(self, name):
        return [v for n, v in self.headers if n == name]


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
                self.pending.append(Request(raw))
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
                req = Request(raw)
            lines = ["SIP/2.0 200 OK"] + [f"Via: {v}" for v in req.all("via")] + [
                f"From: {req.get('from')}", f"To: {req.get('to')}",
                f"Call-ID: {req.get('call-id')}", f"CSeq: {req.get('cseq')}",
                "Content-Length: 0"]
            self.client.send(("\r\n".join(lines) + "\r\n\r\n").encode())
            seen.append(req)
        return seen

    def close(self):
        self.client.close()


def test_attended_transfer_by_reinvite(make_sipd, tmp_path, peers):
    """A talks to B (refer-enabled = false) and, in a consultation call, to C; A's REFER on the
    first call names the consultation dialog (Replaces). sipd INVITEs C with a Replaces for C's
    dialog of the consultation call, re-INVITEs B with C's session, NOTIFYs A (100, 200), BYEs A
    on both calls; then B's BYE reaches C on the new dialog."""
    b_port, c_port = net.free_udp_tcp_port(), net.free_udp_tcp_port()
    s = transfer_sipd(make_sipd, b_port, c_port, refer_enabled="false")  # blind not needed
    b = start_peer(peers, "xfer_uas_transferee.xml", s, tmp_path, b_port)
    c = start_peer(peers, "xfer_uas_target_any.xml", s, tmp_path, c_port, calls=2)
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
    assert "m=audio 19003 " in b.messages()  # C's session offered to B
    s.wait_bus_name()
    wait_no_calls(s)
