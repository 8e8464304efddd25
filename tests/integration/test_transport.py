"""Transport and transaction behaviour a peer relies on: response routing by Via (RFC 3261
section 18.2.2, RFC 3581 rport), stream framing (section 18.3: fragments, pipelining,
RFC 5626 keep-alives), retransmissions absorbed by the server transaction (section 17.2.2)."""

import socket

from conftest import sipd_only
from harness import sip


def test_udp_response_follows_rport_with_received(registrar):
    c = sip.UdpClient(registrar.address)
    try:
        req = sip.request("OPTIONS", f"sip:{registrar.host}:{registrar.port}", "UDP",
                          ("192.0.2.1", 5999))  # sent-by elsewhere, ";rport" present
        resp = c.exchange(req)
        assert resp is not None, "no answer at the source address despite rport"
        via = resp.get("via")
        assert "received=127.0.0.1" in via and f"rport={c.local[1]}" in via, via
    finally:
        c.close()


def test_tcp_response_on_the_same_connection(registrar):
    c = sip.StreamClient(registrar.address)
    try:
        req = sip.request("OPTIONS", f"sip:{registrar.host}:{registrar.port}", "TCP",
                          ("192.0.2.1", 5999))
        resp = c.exchange(req)
        assert resp is not None and resp.code == 200, resp
    finally:
        c.close()


def test_fragmented_and_pipelined_stream(registrar):
    c = sip.StreamClient(registrar.address)
    try:
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        uri = f"sip:{registrar.host}:{registrar.port}"
        first = sip.request("OPTIONS", uri, "TCP", c.local, call_id="frag@t",
                            body=b"v=0\r\n", extra=["Content-Type: application/sdp"])
        for i in range(0, len(first), 7):
            c.send(first[i:i + 7])
        resp = c.recv(5.0)
        assert resp and sip.Response(resp).get("call-id") == "frag@t", resp
        # Three requests in one write: three answers, in order.
        batch = [sip.request("OPTIONS", uri, "TCP", c.local, call_id=f"pipe{i}@t", cseq=i + 1)
                 for i in range(3)]
        c.send(b"".join(batch))
        ids = []
        for _ in range(3):
            raw = c.recv(5.0)
            assert raw, f"only {len(ids)} of 3 pipelined requests answered"
            ids.append(sip.Response(raw).get("call-id"))
        assert ids == ["pipe0@t", "pipe1@t", "pipe2@t"], ids
    finally:
        c.close()


def test_stream_keepalive_ping_gets_pong(registrar):
    """RFC 5626 section 3.5.1: a double CRLF ping is answered with a single CRLF pong."""
    c = sip.StreamClient(registrar.address)
    try:
        c.send(b"\r\n\r\n")
        c.sock.settimeout(3.0)
        assert c.sock.recv(16) == b"\r\n"
        resp = c.exchange(sip.request("OPTIONS", f"sip:{registrar.host}:{registrar.port}",
                                      "TCP", c.local))
        assert resp is not None and resp.code == 200, "connection unusable after a ping"
    finally:
        c.close()


def test_retransmission_gets_the_same_response(registrar):
    """A retransmitted request (same branch) is absorbed by the server transaction and its
    last response is resent, To tag included (RFC 3261 section 17.2.2)."""
    c = sip.UdpClient(registrar.address)
    try:
        for method, extra, contact in (
                ("OPTIONS", [], None),
                ("REGISTER", ["Expires: 300"], f"<sip:7001@127.0.0.1:{c.local[1]}>")):
            req = sip.request(method, f"sip:{registrar.host}:{registrar.port}", "UDP", c.local,
                              user="7001", extra=extra, contact=contact)
            first = c.exchange(req)
            again = c.exchange(req)
            assert first is not None and again is not None, method
            assert first.code == again.code == 200, (first, again)
            assert first.get("to") == again.get("to"), (first.get("to"), again.get("to"))
    finally:
        c.close()


def test_cancel_without_transaction_is_481(registrar):
    """RFC 3261 section 9.2: a CANCEL matching no transaction gets 481."""
    c = sip.UdpClient(registrar.address)
    try:
        resp = c.exchange(sip.request("CANCEL", f"sip:7001@{registrar.host}", "UDP", c.local,
                                      user="7002", to_user="7001"))
        assert resp is not None and resp.code == 481, resp
    finally:
        c.close()


def test_udp_crlf_keepalive_ignored(registrar):
    c = sip.UdpClient(registrar.address)
    try:
        c.send(b"\r\n\r\n")
        resp = c.exchange(sip.request("OPTIONS", f"sip:{registrar.host}:{registrar.port}",
                                      "UDP", c.local))
        assert resp is not None and resp.code == 200, resp
        # The OPTIONS answer proves the keep-alive before it was handled.
        assert c.recv(0.2) is None, "a keep-alive datagram was answered"
    finally:
        c.close()


@sipd_only
def test_stalled_peers_do_not_block_others(make_sipd):
    """An idle connection on the TLS port (no handshake) and a half-sent TCP request do not
    stop sipd from serving other clients (nothing blocks the event loop)."""
    sipd = make_sipd(tls=True).start()
    idle = socket.create_connection(sipd.tls_address)
    partial = socket.create_connection(sipd.address)
    try:
        partial.sendall(b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bKp\r\n")
        for transport in ("tls", "tcp", "udp"):
            resp = sipd.options(transport, timeout=3.0)
            assert resp is not None and resp.code == 200, (transport, resp)
    finally:
        idle.close()
        partial.close()
