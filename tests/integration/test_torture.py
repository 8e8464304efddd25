"""The torture corpus (RFC 4475 style, tests/data/torture) replayed over UDP and TCP.

Invalid messages get the expected status (reason contains the expected text) or no answer;
a "no answer" is only asserted after sipd's parse counters prove the message was processed.
Valid requests get some SIP response. sipd answers OPTIONS afterwards."""

import os
import re

import pytest

from conftest import DATA_DIR
from harness import net, sip, torture

ROOT = os.path.join(DATA_DIR, "torture")


@pytest.fixture(scope="module")
def cases():
    if not os.path.exists(os.path.join(ROOT, "expected.txt")):
        pytest.fail(f"torture corpus missing: {ROOT}/expected.txt")
    return torture.load(ROOT)


@pytest.fixture
def server(make_sipd):
    s = make_sipd(tserver={"registrar-accept-unknown": "true"}).start()
    s.wait_bus_name()
    return s


EVIDENCE = re.compile(r"parse|error|drop|limit|framing|invalid|oversize")


def processed_count(sipd):
    """Sum of the counters that count refused input (parse.errors, parse.dropped,
    limits.*, transport framing errors ...): it rises when sipd has handled a bad message."""
    return sum(int(v) for k, v in sipd.counters().items() if EVIDENCE.search(k))


def check_invalid(sipd, case, client, send):
    """Sends an invalid message; asserts the expected answer or, for none, the counter."""
    before = processed_count(sipd)
    send()
    raw = client.recv(3.0) if case.code is not None else None
    if case.code is None:
        net.wait_for(lambda: processed_count(sipd) > before, 5,
                     what=f"{case} counted as a parse error or drop")
        raw = client.recv(0.2)
        assert not raw, f"{case}: expected no answer, got {raw[:200]!r}"
        return
    assert raw, f"{case}: expected {case.code} {case.reason!r}, got no answer"
    resp = sip.Response(raw)
    assert resp.code == case.code, f"{case}: got {resp.status_line}"
    if case.reason:
        assert case.reason.lower() in resp.reason.lower(), f"{case}: got {resp.status_line}"


def check_valid(case, client, send):
    send()
    raw = client.recv(5.0)
    assert raw, f"{case}: valid request got no answer"
    sip.Response(raw)  # raises if it is not a SIP response


def sendable(cases, valid, transport):
    # ACK is never answered (RFC 3261 section 17.2.1); responses are not requests.
    return [c for c in cases if c.valid == valid and c.runs_over(transport) and (
        not valid or (c.is_request and c.method != "ACK"))]


def prepared(case, transport, local):
    """The bytes to send: first Via pointed at the test's socket where it is well formed.

    A message without such a Via is sent as it is, but only when no answer is expected
    (an answer would go to the Via, not to the test)."""
    data = torture.route_to(case.data, transport, local, ipv6_too=case.valid)
    if data is not None:
        return data
    if case.valid or case.code is not None:
        raise AssertionError(f"{case}: no well-formed first Via to route the answer back")
    return case.data


def test_corpus_is_complete(cases):
    invalid = [c for c in cases if not c.valid]
    assert invalid and [c for c in cases if c.valid]
    unlisted = [c.name for c in invalid if not c.listed]
    assert not unlisted, f"invalid messages without an expectation: {unlisted}"


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_replay(server, cases, transport):
    failures = []
    for case in sendable(cases, False, transport.lower()) + sendable(cases, True,
                                                                     transport.lower()):
        client = server.client(transport)
        try:
            data = prepared(case, transport, client.local)
            if case.valid:
                check_valid(case, client, lambda: client.send(data))
            else:
                check_invalid(server, case, client, lambda: client.send(data))
        except AssertionError as e:
            failures.append(str(e))
        finally:
            client.close()
    resp = server.options(transport)
    assert resp is not None and resp.code == 200, "OPTIONS unanswered after the corpus"
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)
