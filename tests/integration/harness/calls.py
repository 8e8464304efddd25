"""Helpers for tests of calls through sipd's B2BUA (docs/calls.md): phones registered at sipd,
SIPp callers, a python caller for the failure paths and a python gateway that a test starts and
stops at will. Shared by test_calls.py, test_fork.py, test_transfer.py, test_softswitch.py,
test_call_dialog.py and resolver/."""

import socket
import time

from . import net, sip, sipp


def make_sipd_with(make_sipd, dns=None):
    """A started sipd (make_sipd fixture) with Extension DNs 7001 and 7002 and `dns`."""
    return make_sipd(extensions=("7001", "7002"), dns=dns or {}).start()


def start_uas(sipp_peers, scenario, sipd, **kwargs):
    """A SIPp phone or gateway (harness.peers.SippPeer, kwargs as its) whose server is sipd."""
    return sipp_peers.start(scenario, sipd.address, **kwargs)


def register(sipd, user, port, q=None):
    """Registers user at sipd with Contact 127.0.0.1:port (;q= when given); asserts 200."""
    contact = f"<sip:{user}@127.0.0.1:{port}>" + (f";q={q}" if q is not None else "")
    c = sipd.udp()
    try:
        resp = sipd.register(c, user, contact=contact)
    finally:
        c.close()
    assert resp is not None and resp.code == 200, resp


def run_uac(server, tmp_path, number, scenario="call_uac.xml", caller="7001", port=None,
            timeout=40):
    """A SIPp caller (user `caller`) of `number` at server (sipd or Kamailio), run to its end."""
    return sipp.run(scenario, server.address, str(tmp_path / "uac"), timeout=timeout, port=port,
                    keys={"caller": caller}, extra=("-s", number))


def explain(sipd, *results, kamailio=None):
    """A failure message: the SIPp runs' traces, sipd's stderr (and Kamailio's log) tails."""
    text = "\n\n".join(r.explain() for r in results)
    text += "\n\nsipd stderr:\n" + sipd.stderr()[-4000:]
    if kamailio is not None:
        text += "\n\nkamailio log:\n" + kamailio.log()[-4000:]
    return text


def wait_counter(sipd, name, predicate, seconds):
    """Polls sipd's D-Bus counter `name` until predicate(value) holds (bounded)."""
    try:
        net.wait_for(lambda: predicate(sipd.counter(name)), seconds, interval=0.1, what=name)
    except AssertionError:
        raise AssertionError(f"{name} = {sipd.counter(name)} after {seconds}s") from None


# ---- a python caller for the failure paths -----------------------------------------------

class Caller:
    """Extension 7001 as a python UAC: one INVITE, its responses, ACK of a non-2xx, CANCEL.
    A context manager (closes its socket)."""

    def __init__(self, sipd):
        self.sipd = sipd
        self.client = sipd.udp()
        self.branch = "z9hG4bK" + sip.token()
        self.call_id = sip.token() + "@caller"
        self.tag = sip.token()
        self.to = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def invite(self, number):
        host, port = self.sipd.address
        self.uri = f"sip:{number}@{host}:{port}"
        self.to = f"<sip:{number}@{host}:{port}>"
        body = ("v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
                "t=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=sendrecv\r\n").encode()
        self.client.send(self._request("INVITE", 1, self.to, body,
                                       ["Content-Type: application/sdp"]))

    def _request(self, method, cseq, to, body=b"", extra=()):
        local = self.client.local
        lines = [f"{method} {self.uri} SIP/2.0",
                 f"Via: SIP/2.0/UDP {local[0]}:{local[1]};branch={self.branch};rport",
                 "Max-Forwards: 70",
                 f"From: <sip:7001@{self.sipd.host}>;tag={self.tag}",
                 f"To: {to}",
                 f"Call-ID: {self.call_id}",
                 f"CSeq: {cseq} {method}",
                 f"Contact: <sip:7001@{local[0]}:{local[1]}>"]
        lines += list(extra)
        lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    def responses(self, until, timeout=10.0):
        """Responses received until one satisfies until(resp); returns them all."""
        seen = []
        for resp in self.client.responses(timeout):
            seen.append(resp)
            if until(resp):
                return seen
        raise AssertionError(f"no expected response; got {[r.status_line for r in seen]}")

    def final(self, timeout=10.0):
        return self.responses(lambda r: r.code >= 200 and "INVITE" in r.get("cseq"),
                              timeout)[-1]

    def ack(self, final):
        # RFC 3261 17.1.1.3: the ACK of a non-2xx final shares the INVITE's branch.
        self.client.send(self._request("ACK", 1, final.get("to")))

    def cancel(self):
        self.client.send(self._request("CANCEL", 1, self.to))

    def close(self):
        self.client.close()


def failed_call(sipd, number, timeout=10.0, meanwhile=None):
    """Caller's INVITE to number (then meanwhile(), e.g. a python gateway serving); returns
    its final response (a non-2xx: ACKed)."""
    with Caller(sipd) as c:
        c.invite(number)
        if meanwhile:
            meanwhile()
        final = c.final(timeout)
        c.ack(final)
    return final


# ---- a python gateway or phone ------------------------------------------------------------

def response(head, code, reason, tag="gw1", contact_port=None, sdp=None):
    """A response to the request whose head (request line and header lines) is given: Via,
    From, Call-ID, CSeq and To copied (a To tag added), a Contact with contact_port and an
    SDP body when given."""
    keep = [line for line in head[1:] if line.split(":", 1)[0].strip().lower() in
            ("via", "from", "call-id", "cseq", "to")]
    keep = [line + f";tag={tag}" if line.lower().startswith("to:") and "tag=" not in line
            else line for line in keep]
    if contact_port is not None:
        keep.append(f"Contact: <sip:phone@127.0.0.1:{contact_port}>")
    body = sdp or ""
    if sdp:
        keep.append("Content-Type: application/sdp")
    return (f"SIP/2.0 {code} {reason}\r\n" + "\r\n".join(keep) +
            f"\r\nContent-Length: {len(body)}\r\n\r\n{body}").encode()


class Gateway:
    """A minimal gateway on a UDP port: answers OPTIONS 200 and INVITE 486 (then takes the
    ACK), so a test can start and stop a trunk's far end at will. A context manager."""

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.invites = []
        self.options = 0

    def serve(self, seconds):
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data, peer = self.sock.recvfrom(65535)
            except OSError:
                return
            text = data.decode("utf-8", "replace")
            head = text.split("\r\n\r\n", 1)[0].split("\r\n")
            method = head[0].split(" ", 1)[0]
            if method == "OPTIONS":
                self.options += 1
                self.sock.sendto(response(head, 200, "OK"), peer)
            elif method == "INVITE":
                self.invites.append(head[0])
                self.sock.sendto(response(head, 486, "Busy Here"), peer)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def call(self, sipd, number):
        """failed_call to number while this gateway serves for 1 s: its final response (the
        gateway's 486 when the INVITE reached it)."""
        return failed_call(sipd, number, timeout=3, meanwhile=lambda: self.serve(1.0))

    def serve_until(self, done, seconds, what):
        """Serves in slices of 0.3 s until done() holds; fails after seconds."""
        deadline = time.monotonic() + seconds
        while not done():
            assert time.monotonic() < deadline, what
            self.serve(0.3)

    def close(self):
        self.sock.close()
