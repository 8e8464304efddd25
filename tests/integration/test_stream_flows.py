"""A call's transports (docs/calls.md "Transports of a call", "Late responses"), with python
phones on raw sockets so each message can be checked: a TLS caller that accepts no inbound
connection gets a Contact naming TLS and its port, and the callee's BYE on its own connection; a
request of a TLS dialog over UDP is refused; a TCP target that refuses the connection fails the
call at once (RFC 3261 17.1.4), not after Timer B; a callee that rings after sipd gave its
INVITE up is cancelled."""

import socket
import time

from harness import calls, net, sip

SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 4000 RTP/AVP 0\r\n")


def head_of(raw):
    text = raw.decode("utf-8", "replace")
    return text.split("\r\n\r\n", 1)[0].split("\r\n")


def header(head, name):
    for line in head[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


def message(start, headers, body=""):
    lines = [start] + headers
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


class UdpPhone:
    """Extension `user` registered over UDP from its own socket (its Contact is that socket)."""

    def __init__(self, sipd, user):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        calls.register(sipd, user, self.port)

    def recv(self, timeout, method=None):
        """The next message (of `method`, when given, skipping others) as (head, raw, peer)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                raw, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                break
            head = head_of(raw)
            if method is None or head[0].startswith(method + " "):
                return head, raw, peer
        raise AssertionError(f"no {method or 'message'} within {timeout}s")

    def close(self):
        self.sock.close()


def tls_invite(caller, sipd, number, call_id, branch):
    local = caller.local
    return message(
        f"INVITE sip:{number}@127.0.0.1:{sipd.tls_port};transport=tls SIP/2.0",
        [f"Via: SIP/2.0/TLS {local[0]}:{local[1]};branch={branch};rport",
         "Max-Forwards: 70",
         f"From: <sip:7001@127.0.0.1;transport=tls>;tag=caller1",
         f"To: <sip:{number}@127.0.0.1>",
         f"Call-ID: {call_id}",
         "CSeq: 1 INVITE",
         # A TLS phone's Contact: its port accepts nothing (no server certificate).
         f"Contact: <sip:7001@{local[0]}:{local[1]};transport=tls>"], SDP)


def establish_tls_call(sipd, callee):
    """7001 over TLS calls 7002 (a UDP phone) through sipd; returns (caller client, the caller's
    200 OK head, the callee's INVITE head, the callee's peer)."""
    caller = sipd.tls()
    call_id = sip.token() + "@tls-caller"
    caller.send(tls_invite(caller, sipd, "7002", call_id, "z9hG4bK" + sip.token()))
    invite, _, peer = callee.recv(5, "INVITE")
    ok = message("SIP/2.0 200 OK",
                 [line for line in invite[1:] if line.split(":", 1)[0].lower() in
                  ("via", "from", "call-id", "cseq")] +
                 [f"To: {header(invite, 'To')};tag=callee1",
                  f"Contact: <sip:7002@127.0.0.1:{callee.port}>"], SDP)
    callee.sock.sendto(ok, peer)
    deadline = time.monotonic() + 5
    while True:
        raw = caller.recv(max(0.1, deadline - time.monotonic()))
        assert raw, "no 200 OK to the TLS caller"
        head = head_of(raw)
        if head[0].startswith("SIP/2.0 200"):
            break
        assert time.monotonic() < deadline, "no 200 OK to the TLS caller"
    to = header(head, "To")
    caller.send(message(
        f"ACK sip:127.0.0.1:{sipd.tls_port};transport=tls SIP/2.0",
        [f"Via: SIP/2.0/TLS {caller.local[0]}:{caller.local[1]};branch=z9hG4bK{sip.token()}",
         "Max-Forwards: 70", "From: <sip:7001@127.0.0.1;transport=tls>;tag=caller1",
         f"To: {to}", f"Call-ID: {call_id}", "CSeq: 1 ACK"]))
    callee.recv(5, "ACK")
    return caller, head, invite, peer


def test_tls_caller_gets_a_tls_contact_and_the_callee_bye_on_its_connection(make_sipd):
    sipd = make_sipd(tls=True, extensions=("7001", "7002")).start()
    callee = UdpPhone(sipd, "7002")
    try:
        caller, ok, invite, peer = establish_tls_call(sipd, callee)
        try:
            # 12.1.1: the remote target the caller gets names TLS and the TLS port.
            assert header(ok, "Contact") == f"<sip:127.0.0.1:{sipd.tls_port};transport=tls>", ok
            # The callee's leg: UDP's Via and Contact, and no transport parameter in From.
            assert header(invite, "Via").startswith(f"SIP/2.0/UDP 127.0.0.1:{sipd.port};"), invite
            assert header(invite, "Contact") == f"<sip:127.0.0.1:{sipd.port}>", invite
            assert "transport=" not in header(invite, "From"), invite
            # The callee hangs up; the BYE reaches the caller on its own connection.
            bye = message(
                f"BYE {header(invite, 'Contact').strip('<>')} SIP/2.0",
                [f"Via: SIP/2.0/UDP 127.0.0.1:{callee.port};branch=z9hG4bK{sip.token()}",
                 "Max-Forwards: 70", f"From: {header(invite, 'To')};tag=callee1",
                 f"To: {header(invite, 'From')}", f"Call-ID: {header(invite, 'Call-ID')}",
                 "CSeq: 2 BYE"])
            callee.sock.sendto(bye, peer)
            raw = caller.recv(5)
            assert raw, "the BYE never reached the TLS caller: " + sipd.stderr()[-2000:]
            head = head_of(raw)
            assert head[0].startswith("BYE sip:7001@127.0.0.1:"), head
            assert header(head, "Via").startswith(f"SIP/2.0/TLS 127.0.0.1:{sipd.tls_port};"), head
            caller.send(message(
                "SIP/2.0 200 OK", [line for line in head[1:] if line.split(":", 1)[0].lower()
                                   in ("via", "from", "to", "call-id", "cseq")]))
            final, _, _ = callee.recv(5)
            assert final[0].startswith("SIP/2.0 200"), final
            calls.wait_counter(sipd, "calls.active", lambda n: n == 0, 5)
        finally:
            caller.close()
    finally:
        callee.close()


def test_a_tls_dialog_request_over_udp_is_refused(make_sipd):
    sipd = make_sipd(tls=True, extensions=("7001", "7002")).start()
    callee = UdpPhone(sipd, "7002")
    try:
        caller, ok, _, _ = establish_tls_call(sipd, callee)
        try:
            # The caller's BYE, with the dialog's identifiers, over cleartext UDP.
            udp = sipd.udp()
            try:
                bye = message(
                    f"BYE sip:127.0.0.1:{sipd.port} SIP/2.0",
                    [f"Via: SIP/2.0/UDP {udp.local[0]}:{udp.local[1]};branch=z9hG4bK{sip.token()}",
                     "Max-Forwards: 70", "From: <sip:7001@127.0.0.1;transport=tls>;tag=caller1",
                     f"To: {header(ok, 'To')}", f"Call-ID: {header(ok, 'Call-ID')}",
                     "CSeq: 2 BYE"])
                resp = udp.exchange(bye)
            finally:
                udp.close()
            assert resp is not None and resp.code == 403, resp
            assert sipd.counter("calls.wrong_transport") == 1
            assert sipd.counter("calls.active") == 1  # the call is still up
        finally:
            caller.close()
    finally:
        callee.close()


def test_a_refused_tcp_connection_fails_the_call_at_once(make_sipd):
    # 7002 registered a TCP Contact on a port where nothing listens (over UDP: no flow).
    sipd = make_sipd(extensions=("7001", "7002")).start()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    client = sipd.udp()
    try:
        resp = sipd.register(client, "7002",
                             contact=f"<sip:7002@127.0.0.1:{port};transport=tcp>")
    finally:
        client.close()
    assert resp is not None and resp.code == 200, resp
    started = time.monotonic()
    final = calls.failed_call(sipd, "7002", timeout=10)
    took = time.monotonic() - started
    # Before: Timer B (32 s) while the connection had failed long ago.
    assert final.code >= 400 and took < 3.0, (final, took)
    # Logged, whether the connect failed at once or later (the line follows the answer).
    line = f"transport: TCP to tcp:127.0.0.1:{port}"
    try:
        net.wait_for(lambda: line in sipd.stderr(), 5, interval=0.05, what="the failure's log line")
    except AssertionError:
        raise AssertionError(sipd.stderr()[-2000:]) from None


def test_a_callee_that_rings_after_the_invite_timed_out_is_cancelled(make_sipd):
    # T1 = 20 ms: Timer B = 64 * T1 = 1.28 s.
    sipd = make_sipd(extensions=("7001", "7002"), tserver={"sip-timer-t1": 20}).start()
    callee = UdpPhone(sipd, "7002")
    try:
        with calls.Caller(sipd) as caller:
            caller.invite("7002")
            invite, _, peer = callee.recv(5, "INVITE")
            final = caller.final(10)
            caller.ack(final)
            assert final.code >= 400, final
            # The callee's phone only now starts to ring (its 180 to the timed-out INVITE).
            ringing = message("SIP/2.0 180 Ringing",
                              [line for line in invite[1:] if line.split(":", 1)[0].lower() in
                               ("via", "from", "call-id", "cseq")] +
                              [f"To: {header(invite, 'To')};tag=late1"])
            callee.sock.sendto(ringing, peer)
            cancel, _, _ = callee.recv(5, "CANCEL")
            # 9.1: the INVITE's branch and CSeq number, CANCEL method, To without tag.
            assert header(cancel, "Via").split("branch=")[1].split(";")[0] == \
                header(invite, "Via").split("branch=")[1].split(";")[0], cancel
            assert header(cancel, "CSeq").split()[0] == header(invite, "CSeq").split()[0]
            assert "tag=" not in header(cancel, "To"), cancel
            assert header(cancel, "Call-ID") == header(invite, "Call-ID")
            assert sipd.counter("calls.late_cancels") == 1
            # A 180 naming somebody else's Via gets nothing (no CANCEL on anyone's say-so).
            forged = ringing.replace(f"127.0.0.1:{sipd.port}".encode(), b"127.0.0.1:9")
            strays = sipd.counter("responses.stray")
            callee.sock.sendto(forged, peer)
            calls.wait_counter(sipd, "responses.stray", lambda n: n > strays, 5)
            assert sipd.counter("calls.late_cancels") == 1
    finally:
        callee.close()
