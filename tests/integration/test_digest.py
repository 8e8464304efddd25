"""Digest authentication of REGISTER for a DN with a password (RFC 3261 section 22.4,
RFC 8760). The default offers MD5 alone (docs/configuration.md: interoperability); these tests
set `authentication-algorithms = SHA-256,MD5` to check both challenges together, SHA-256 first."""

import pytest

from harness import digest, sip


BOTH = {"authentication-algorithms": "SHA-256,MD5"}


@pytest.fixture
def server(make_sipd):
    return make_sipd(dns={"7100": {"type": "Extension", "password": "secret"}},
                     tserver=BOTH).start()


def register(server, c, call_id, cseq, auth=None, query=False):
    """REGISTER of 7100 binding c's address (or, with query, without Contact)."""
    extra = [f"Authorization: {auth}"] if auth else []
    req = sip.request("REGISTER", f"sip:{server.host}:{server.port}", c.transport, c.local,
                      user="7100", call_id=call_id, cseq=cseq,
                      contact=None if query else f"<sip:7100@127.0.0.1:{c.local[1]}>",
                      extra=([] if query else ["Expires: 300"]) + extra)
    return c.exchange(req)


def answer(server, challenge_list, algorithm, password):
    ch = next(x for x in challenge_list if x["algorithm"].upper() == algorithm)
    return digest.authorization(ch, "REGISTER", f"sip:{server.host}:{server.port}", "7100",
                                password)


def challenges(resp):
    assert resp is not None, "no answer"
    assert resp.code == 401, resp.raw
    return [digest.parse_challenge(v) for v in resp.all("www-authenticate")]


def test_default_challenge_is_md5_alone(make_sipd):
    server = make_sipd(dns={"7100": {"type": "Extension", "password": "secret"}}).start()
    c = server.udp()
    try:
        first = register(server, c, "default@t", 1)
        found = challenges(first)
        assert [ch["algorithm"].upper() for ch in found] == ["MD5"], found
        resp = register(server, c, "default@t", 2, answer(server, found, "MD5", "secret"))
        assert resp is not None and resp.code == 200, resp and resp.raw
    finally:
        c.close()


def test_challenge_offers_sha256_and_md5(server):
    c = server.udp()
    try:
        found = challenges(register(server, c, "c1@t", 1))
    finally:
        c.close()
    algorithms = [ch["algorithm"].upper() for ch in found]
    assert "SHA-256" in algorithms and "MD5" in algorithms, algorithms
    assert algorithms.index("SHA-256") < algorithms.index("MD5"), "RFC 8760: preferred first"
    for ch in found:
        assert ch["realm"] == "127.0.0.1", ch  # authentication-realm defaults to sip-address
        assert ch.get("nonce"), ch


@pytest.mark.parametrize("algorithm", ["SHA-256", "MD5"])
def test_correct_answer_registers(server, algorithm):
    c = server.udp()
    try:
        found = challenges(register(server, c, f"ok-{algorithm}@t", 1))
        ch = next(x for x in found if x["algorithm"].upper() == algorithm)
        auth = digest.authorization(ch, "REGISTER", f"sip:{server.host}:{server.port}", "7100",
                                    "secret")
        resp = register(server, c, f"ok-{algorithm}@t", 2, auth)
        assert resp is not None and resp.code == 200, resp and resp.raw
        assert any(f":{c.local[1]}" in x for x in resp.contacts()), resp.contacts()
    finally:
        c.close()


@pytest.mark.parametrize("algorithm", ["SHA-256", "MD5"])
def test_wrong_password_is_refused(server, algorithm):
    c = server.udp()
    try:
        found = challenges(register(server, c, f"bad-{algorithm}@t", 1))
        ch = next(x for x in found if x["algorithm"].upper() == algorithm)
        auth = digest.authorization(ch, "REGISTER", f"sip:{server.host}:{server.port}", "7100",
                                    "wrong")
        resp = register(server, c, f"bad-{algorithm}@t", 2, auth)
        assert resp is not None and resp.code in (401, 403), resp and resp.raw
        # A query of a protected AOR needs authentication too; answered, it shows that
        # nothing was bound by the refused REGISTER.
        cid = f"bad-{algorithm}@t"
        found = challenges(register(server, c, cid, 3, query=True))
        q = register(server, c, cid, 4, answer(server, found, algorithm, "secret"), query=True)
        assert q is not None and q.code == 200, q and q.raw
        assert not any(f":{c.local[1]}" in x for x in q.contacts()), q.contacts()
    finally:
        c.close()


def test_forged_response_for_other_realm_is_refused(server):
    c = server.udp()
    try:
        found = challenges(register(server, c, "realm@t", 1))
        ch = dict(found[0], realm="elsewhere")
        auth = digest.authorization(ch, "REGISTER", f"sip:{server.host}:{server.port}", "7100",
                                    "secret")
        resp = register(server, c, "realm@t", 2, auth)
        assert resp is not None and resp.code in (401, 403), resp and resp.raw
    finally:
        c.close()


def test_nonce_not_issued_by_sipd_is_refused(server):
    """A correct digest over a nonce sipd never issued must not authenticate (RFC 7616
    section 3.3: the server checks the nonce it generated)."""
    c = server.udp()
    try:
        found = challenges(register(server, c, "forged@t", 1))
        ch = dict(next(x for x in found if x["algorithm"].upper() == "SHA-256"))
        ch["nonce"] = "0000000000000000" + ch["nonce"][16:][::-1]
        auth = digest.authorization(ch, "REGISTER", f"sip:{server.host}:{server.port}", "7100",
                                    "secret")
        resp = register(server, c, "forged@t", 2, auth)
        assert resp is not None and resp.code in (401, 403), resp and resp.raw
    finally:
        c.close()


def test_credentials_for_another_user_are_refused(make_sipd):
    """7100's valid credentials do not register 7101 (the digest username must be the AOR's)."""
    server = make_sipd(dns={"7100": {"type": "Extension", "password": "secret"},
                            "7101": {"type": "Extension", "password": "other"}},
                       tserver=BOTH).start()
    c = server.udp()
    try:
        uri = f"sip:{server.host}:{server.port}"

        def reg7101(cseq, auth=None):
            extra = ["Expires: 300"] + ([f"Authorization: {auth}"] if auth else [])
            return c.exchange(sip.request("REGISTER", uri, "UDP", c.local, user="7101",
                                          call_id="cross@t", cseq=cseq, extra=extra,
                                          contact=f"<sip:7101@127.0.0.1:{c.local[1]}>"))

        found = challenges(reg7101(1))
        auth = answer(server, found, "SHA-256", "secret")  # username="7100"
        resp = reg7101(2, auth)
        assert resp is not None and resp.code in (401, 403), resp and resp.raw
    finally:
        c.close()
