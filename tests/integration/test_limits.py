"""Limits on what a peer controls (sip-max-message-size, sip-max-headers, sip-max-connections):
enforced, counted on D-Bus, and sipd keeps serving."""

import pytest

from harness import net, sip


@pytest.fixture
def limited(make_sipd):
    s = make_sipd(tserver={"sip-max-message-size": 4096, "sip-max-headers": 64,
                           "sip-max-connections": 4}).start()
    s.wait_bus_name()
    return s


def padded_options(sipd, client, headers):
    return sip.request("OPTIONS", sipd.uri(), client.transport, client.local, extra=headers)


def test_oversized_datagram_refused_and_counted(limited):
    c = limited.udp()
    try:
        before = limited.counter("limits.message_size")
        big = padded_options(limited, c, [f"X-Pad: {'a' * 6000}"])
        resp = c.exchange(big, timeout=1.0)
        # RFC 3261 section 21.5.6: 513 Message Too Large, or a silent drop.
        assert resp is None or resp.code == 513, resp
        net.wait_for(lambda: limited.counter("limits.message_size") > before, 5,
                     what="limits.message_size counted")
    finally:
        c.close()
    assert limited.options("udp").code == 200


def test_oversized_stream_message_closes_connection(limited):
    c = limited.tcp()
    try:
        before = limited.counter("limits.message_size")
        c.send(padded_options(limited, c, [f"X-Pad: {'a' * 6000}"]))
        raw = c.recv(5.0)
        assert raw == b"" or (raw and sip.Response(raw).code == 513), raw
        net.wait_for(lambda: limited.counter("limits.message_size") > before, 5,
                     what="limits.message_size counted")
    finally:
        c.close()
    assert limited.options("tcp").code == 200


def test_too_many_headers_refused(limited):
    c = limited.udp()
    try:
        before = limited.counter("parse.errors")
        resp = c.exchange(padded_options(limited, c, [f"X-H{i}: {i}" for i in range(100)]), 2.0)
        assert resp is None or resp.code == 400, resp
        net.wait_for(lambda: limited.counter("parse.errors") > before, 5,
                     what="parse.errors counted")
    finally:
        c.close()
    assert limited.options("udp").code == 200


def test_connection_limit(limited):
    held = []
    try:
        for _ in range(4):
            c = limited.tcp()
            held.append(c)
            r = c.exchange(padded_options(limited, c, []))
            assert r is not None and r.code == 200, "a connection under the limit was refused"
        before = limited.counter("limits.connections")
        extra = limited.tcp()
        try:
            extra.send(padded_options(limited, extra, []))
            assert extra.recv(5.0) == b"", "the connection over the limit was served"
        finally:
            extra.close()
        assert limited.counter("limits.connections") > before
        held.pop().close()

        def accepted_again():
            c = limited.tcp()
            try:
                r = c.exchange(padded_options(limited, c, []), timeout=1.0)
                return r is not None and r.code == 200
            finally:
                c.close()

        net.wait_for(accepted_again, 5, interval=0.05, what="a free slot after a close")
    finally:
        for c in held:
            c.close()


def test_huge_declared_content_length_closes_connection(limited):
    """A stream message declaring a body far beyond the limit is refused before the body is
    read (no buffering of what a peer announces) and counted."""
    c = limited.tcp()
    try:
        before = limited.counter("limits.message_size")
        c.send(b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 999999999\r\n\r\n")
        assert c.recv(5.0) == b"", "connection kept open after a 1 GB Content-Length"
        net.wait_for(lambda: limited.counter("limits.message_size") > before, 5,
                     what="limits.message_size counted")
    finally:
        c.close()


INTERFACE_COUNTERS = ("udp.rx", "tcp.rx", "tls.rx", "parse.errors", "parse.dropped",
                      "responses.400", "options.rx", "backup.udp.dropped",
                      "registrar.bindings", "transactions.active", "limits.connections",
                      "limits.message_size")


def test_interface_counters_exist(limited):
    counters = limited.counters()
    missing = [name for name in INTERFACE_COUNTERS if name not in counters]
    assert not missing, f"Counters lacks {missing}: {sorted(counters)}"


def test_responses_400_counts_every_400(limited):
    """responses.400 counts 400s sent, also those of the registrar, not only parse errors."""
    before = limited.counter("responses.400")
    c = limited.udp()
    try:
        # "*" with a non-zero Expires is a 400 (RFC 3261 section 10.3 step 6).
        r = limited.register(c, "7001", contact="*", expires=60)
        assert r is not None and r.code == 400, r
    finally:
        c.close()
    assert limited.counter("responses.400") == before + 1, "a registrar 400 was not counted"


def test_transaction_limit_503_then_recovers(make_sipd):
    """sip-max-transactions: past the limit new requests get 503 with Retry-After (RFC 3261
    section 21.5.4), counted; once Timer J (64*T1, section 17.2.2) frees them, service
    resumes. T1 = 10 ms keeps Timer J at 640 ms."""
    sipd = make_sipd(tserver={"sip-max-transactions": 100, "sip-timer-t1": 10,
                              "sip-timer-t2": 100, "sip-timer-t4": 100}).start()
    sipd.wait_bus_name()
    c = sipd.udp()
    try:
        # A burst, so that the 100 first are still alive when the last arrive. REGISTER
        # queries: each is a server transaction (OPTIONS may be answered statelessly).
        for i in range(130):
            c.send(sip.request("REGISTER", sipd.uri(), "UDP", c.local, user="7001",
                               call_id=f"burst{i}@t"))
        codes = []
        while len(codes) < 130:
            raw = c.recv(5.0)
            assert raw is not None, f"only {len(codes)} of 130 requests answered"
            r = sip.Response(raw)
            codes.append(r.code)
            if r.code == 503:
                assert r.get("retry-after"), "503 without Retry-After"
        assert 503 in codes, "no 503 after 130 transactions with a limit of 100"
        assert sipd.counter("transactions.overloaded") >= codes.count(503)
        net.wait_for(lambda: sipd.counter("transactions.active") == 0, 15,
                     what="transactions freed by Timer J")
        r = c.exchange(sip.request("REGISTER", sipd.uri(), "UDP", c.local, user="7001"))
        assert r is not None and r.code == 200, r
    finally:
        c.close()
