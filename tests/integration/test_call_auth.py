"""Calls are authenticated (issue 10 item 5, docs/authentication.md): real sipd, SIPp phones
and gateways, python callers for the refusals.

sipd listens on 127.0.0.1 and `trusted-networks` names 192.0.2.0/24 (nobody here), so loopback
callers are untrusted unless a test says otherwise. Every 127.0.0.0/8 address is local on Linux:
a python caller binds 127.0.0.2, .3 ... to be another source. The trunk's SIPp listens on
127.0.0.1, which makes 127.0.0.1 a trusted source (a Trunk contact): callers that must not be
trusted call from other loopback addresses."""


from conftest import sipd_only
from harness import digest, net, sip, sipp
from harness.calls import explain, register, run_uac, start_uas, wait_counter
from harness.peers import trace_of

pytestmark = sipd_only

UNTRUSTED = {"trusted-networks": "192.0.2.0/24"}
EXTENSIONS = {
    "7001": {"type": "Extension", "password": "secret"},
    "7002": {"type": "Extension"},  # no password: calls only from where it registered
    "7003": {"type": "Extension", "password": "other"},
}
SDP = ("v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 40000 RTP/AVP 0\r\na=sendrecv\r\n").encode()


def start_sipd(make_sipd, tserver=None, dns=None):
    options = dict(UNTRUSTED, **(tserver or {}))
    return make_sipd(extensions=(), dns=dict(EXTENSIONS, **(dns or {})),
                     tserver=options).start()


class Caller:
    """A python UAC on its own loopback address: INVITEs of one call (same Call-ID and From
    tag, CSeq counting up, a new branch each), each answered to its final response; a non-2xx
    is ACKed. A context manager."""

    def __init__(self, sipd, host, user, number, transport="udp"):
        self.sipd = sipd
        # TCP connects from 127.0.0.1 (harness.sip.StreamClient); UDP binds `host`.
        self.client = sip.UdpClient(sipd.address, host) if transport == "udp" else sipd.tcp()
        self.user = user
        self.uri = f"sip:{number}@{sipd.host}:{sipd.port}"
        self.call_id = sip.token() + "@caller"
        self.tag = sip.token()
        self.cseq = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.client.close()

    def _request(self, method, branch, cseq, to, extra=(), body=b""):
        local = self.client.local
        lines = [f"{method} {self.uri} SIP/2.0",
                 f"Via: SIP/2.0/{self.client.transport} {local[0]}:{local[1]};branch={branch}"
                 ";rport",
                 "Max-Forwards: 70",
                 f"From: <sip:{self.user}@{self.sipd.host}>;tag={self.tag}",
                 f"To: {to}",
                 f"Call-ID: {self.call_id}",
                 f"CSeq: {cseq} {method}",
                 f"Contact: <sip:{self.user}@{local[0]}:{local[1]}>"]
        lines += list(extra)
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    def invite(self, authorization=None, timeout=5.0):
        """One INVITE (with an Authorization header when given); its final response."""
        self.cseq += 1
        branch = "z9hG4bK" + sip.token()
        extra = [f"Authorization: {authorization}"] if authorization else []
        self.client.send(self._request("INVITE", branch, self.cseq, f"<{self.uri}>", extra, SDP))
        for resp in self.client.responses(timeout):
            if (resp.get("call-id") == self.call_id and resp.code >= 200
                    and resp.get("cseq") == f"{self.cseq} INVITE"):
                if resp.code >= 300:  # RFC 3261 17.1.1.3: the ACK shares the INVITE's branch
                    self.client.send(self._request("ACK", branch, self.cseq, resp.get("to")))
                return resp
        raise AssertionError(f"no final response to INVITE {self.uri} CSeq {self.cseq}")

    def answer(self, challenge_response, password, user=None):
        """The INVITE again, answering the 401's MD5 challenge with user's password."""
        challenges = [digest.parse_challenge(v)
                      for v in challenge_response.all("www-authenticate")]
        assert challenges, challenge_response.raw
        auth = digest.authorization(challenges[0], "INVITE", self.uri, user or self.user,
                                    password)
        return self.invite(auth)


def callee(sipp_peers, sipd, scenario="call_uas_486.xml", user="7002"):
    """A SIPp phone registered (from 127.0.0.1) as `user`."""
    uas = start_uas(sipp_peers, scenario, sipd)
    register(sipd, user, uas.port)
    return uas


def no_invite_reached(sipd, peer):
    """No call was started and the peer saw no INVITE. sipd answers a refused INVITE in the
    step that decides it, so once the caller holds the refusal nothing is still on its way."""
    sipd.wait_bus_name()
    return sipd.counter("calls.started") == 0 and not peer.received("INVITE")


def log_lines(sipd, text):
    return [line for line in sipd.stderr().splitlines() if text in line]


# ---- digest of Extensions with a password ------------------------------------------------

def test_right_password_calls(make_sipd, tmp_path, sipp_peers):
    """SIPp 7001 (password) calls 7002: 401 with one MD5 challenge, the INVITE again with
    Authorization reaches the callee (without the credentials), 200 relayed, BYE."""
    s = start_sipd(make_sipd)
    uas = callee(sipp_peers, s, "call_uas.xml")
    uac = sipp.run("call_uac_auth.xml", s.address, str(tmp_path / "uac"), timeout=40,
                   keys={"caller": "7001"},
                   extra=("-s", "7002", "-au", "7001", "-ap", "secret",
                          "-auth_uri", f"7002@{s.host}:{s.port}"))
    answered = uas.finish(timeout=20)
    assert uac.returncode == 0 and answered.returncode == 0, explain(s, uac, answered)
    challenge = next(m for m in trace_of(uac) if m.direction == "received" and m.code == 401)
    offered = [digest.parse_challenge(v) for v in challenge.all("www-authenticate")]
    assert [c["algorithm"] for c in offered] == ["MD5"], offered  # the default
    assert offered[0]["realm"] == "127.0.0.1", offered
    invites = uas.received("INVITE")
    assert len(invites) == 1, invites
    assert invites[0].get("authorization") is None, invites[0].text
    s.wait_bus_name()
    counters = s.counters()
    assert int(counters["auth.challenges"]) == 1, counters
    assert int(counters["auth.authenticated"]) == 1, counters
    assert int(counters["calls.answered"]) == 1, counters


def test_wrong_password_cannot_call(make_sipd, sipp_peers):
    s = start_sipd(make_sipd)
    uas = callee(sipp_peers, s)
    with Caller(s, "127.0.0.2", "7001", "7002") as c:
        first = c.invite()
        assert first.code == 401 and first.reason == "Unauthorized", first.raw
        again = c.answer(first, "guess")
        assert again.code == 401, again.raw  # a new challenge, never the call
        assert again.all("www-authenticate"), again.raw
    assert no_invite_reached(s, uas), uas.trace()
    s.wait_bus_name()
    assert s.counter("auth.failures") == 1
    assert s.counter("calls.started") == 0
    lines = log_lines(s, "refused: wrong digest credentials (wrong password)")
    assert len(lines) == 1 and "From user '7001'" in lines[0], s.stderr()[-3000:]


def test_own_credentials_cannot_call_as_another_extension(make_sipd, sipp_peers):
    """7001's valid credentials on an INVITE From 7003 (which has a password of its own)."""
    s = start_sipd(make_sipd)
    uas = callee(sipp_peers, s)
    with Caller(s, "127.0.0.2", "7003", "7002") as c:
        first = c.invite()
        assert first.code == 401, first.raw
        refused = c.answer(first, "secret", user="7001")
        assert refused.code == 403, refused.raw
        assert refused.reason == "Forbidden - Credentials Of Another User", refused.raw
        # With its own password 7003 calls (the busy callee answers).
        assert c.answer(c.invite(), "other").code == 486
    assert len(uas.received("INVITE")) == 1, uas.trace()
    s.wait_bus_name()
    assert s.counter("auth.refused_wrong_user") == 1
    assert s.counter("auth.authenticated") == 1
    assert log_lines(s, "refused: digest credentials of another user than the From user")


# ---- untrusted sources and trunks --------------------------------------------------------

def test_unknown_source_cannot_reach_a_trunk(make_sipd, sipp_peers):
    gw_port = net.free_udp_tcp_port()
    s = start_sipd(make_sipd, dns={"gw1": {"type": "Trunk", "prefix": "9",
                                           "contact": f"127.0.0.1:{gw_port}"}})
    gateway = start_uas(sipp_peers, "call_uas_486.xml", s, port=gw_port)
    with Caller(s, "127.0.0.2", "5555", "900491234") as c:
        refused = c.invite()
    assert refused.code == 403, refused.raw
    assert refused.reason == "Forbidden - Not A Trusted Source Or Extension", refused.raw
    # A password-less Extension is no way in either: 7002 never registered from 127.0.0.2.
    with Caller(s, "127.0.0.2", "7002", "900491234") as c:
        unregistered = c.invite()
    assert unregistered.code == 403, unregistered.raw
    assert unregistered.reason == "Forbidden - Extension Not Registered From This Address"
    assert no_invite_reached(s, gateway), gateway.trace()
    s.wait_bus_name()
    assert s.counter("auth.refused_unknown") == 1
    assert s.counter("auth.refused_unregistered") == 1
    assert s.counter("calls.started") == 0
    unknown = log_lines(s, "the source is not trusted and the From user is no Extension")
    assert len(unknown) == 1 and "udp:127.0.0.2:" in unknown[0], s.stderr()[-3000:]
    assert len(log_lines(s, "no binding registered from this address")) == 1


def test_trusted_gateway_reaches_the_trunk(make_sipd, tmp_path, sipp_peers):
    """A gateway in trusted-networks, and one at a Trunk contact's address, call through
    without a challenge; a SIPp call from the trunk's own address completes."""
    gw_port = net.free_udp_tcp_port()
    s = start_sipd(make_sipd, tserver={"trusted-networks": "192.0.2.0/24, 127.0.0.3/32"},
                   dns={"gw1": {"type": "Trunk", "prefix": "9",
                                "contact": f"127.0.0.1:{gw_port}"},
                        "gw2": {"type": "Trunk", "prefix": "8",
                                "contact": "127.0.0.4:5060"}})
    gateway = start_uas(sipp_peers, "call_uas_486.xml", s, port=gw_port)
    with Caller(s, "127.0.0.3", "anyone", "900491234") as c:
        assert c.invite().code == 486  # the gateway's answer: the INVITE reached it
    gateway.finish(timeout=10)
    gateway = start_uas(sipp_peers, "call_uas_486.xml", s, port=gw_port)
    with Caller(s, "127.0.0.4", "+4930123", "900491235") as c:
        assert c.invite().code == 486
    gateway.finish(timeout=10)
    # The Trunk gw1's own address (127.0.0.1): a whole call from SIPp.
    gateway = start_uas(sipp_peers, "call_uas.xml", s, port=gw_port)
    uac = run_uac(s, tmp_path, "900491236", caller="0301234")
    answered = gateway.finish(timeout=20)
    assert uac.returncode == 0 and answered.returncode == 0, explain(s, uac, answered)
    s.wait_bus_name()
    assert s.counter("auth.trusted") == 3
    assert s.counter("auth.challenges") == 0


def test_digest_over_tcp(make_sipd, sipp_peers):
    """The same check on a stream transport: challenged, then admitted."""
    s = start_sipd(make_sipd)
    uas = callee(sipp_peers, s)
    with Caller(s, None, "7001", "7002", transport="tcp") as c:
        first = c.invite()
        assert first.code == 401, first.raw
        assert c.answer(first, "secret").code == 486  # the callee's answer
    assert len(uas.received("INVITE")) == 1, uas.trace()
    s.wait_bus_name()
    assert s.counter("auth.authenticated") == 1


def test_reload_changes_the_trusted_networks(make_sipd):
    s = start_sipd(make_sipd)
    with Caller(s, "127.0.0.3", "5555", "7002") as c:
        assert c.invite().code == 403
    s.sections["TServer"]["trusted-networks"] = "192.0.2.0/24, 127.0.0.0/30"
    s.write_config()
    count = len(s.notify_lines)
    s.sighup()
    assert s.wait_notify(lambda lines: "READY=1" in lines[count:], 10), "reload not done"
    with Caller(s, "127.0.0.3", "5555", "7002") as c:
        assert c.invite().code == 480  # admitted: 7002 is not registered
    with Caller(s, "127.0.0.4", "5555", "7002") as c:
        assert c.invite().code == 403  # outside 127.0.0.0/30


def test_password_less_extension_calls_from_its_registration_address(make_sipd, sipp_peers):
    s = start_sipd(make_sipd, dns={"7004": {"type": "Extension"}})
    uas = callee(sipp_peers, s, user="7004")
    register(s, "7002", 5099)  # from 127.0.0.1 (sipd.udp())
    c = s.udp()  # 127.0.0.1, the address 7002 registered from
    try:
        invite = sip.request("INVITE", f"sip:7004@{s.host}:{s.port}", "UDP", c.local,
                             user="7002", to_user="7004",
                             contact=f"<sip:7002@127.0.0.1:{c.local[1]}>")
        resp = c.exchange(invite, timeout=5)
    finally:
        c.close()
    assert resp is not None and resp.code == 486, resp  # the callee's answer
    assert len(uas.received("INVITE")) == 1
    s.wait_bus_name()
    assert s.counter("auth.registered") == 1


# ---- the failure limit and the log ----------------------------------------------------------

def test_failure_limit_blocks_a_guessing_source(make_sipd, sipp_peers):
    s = start_sipd(make_sipd, tserver={"authentication-failure-limit": 3,
                                       "authentication-failure-window": 60})
    uas = callee(sipp_peers, s)
    with Caller(s, "127.0.0.5", "7001", "7002") as c:
        for guess in ("a", "b", "c"):
            assert c.answer(c.invite(), guess).code == 401
        # Blocked: refused at once, no challenge, the right password included.
        blocked = c.invite()
        assert blocked.code == 403, blocked.raw
        assert blocked.reason == "Forbidden - Too Many Failed Authentications"
        assert not blocked.all("www-authenticate")
    # Its REGISTERs are refused too.
    r = sip.UdpClient(s.address, "127.0.0.5")
    try:
        resp = s.register(r, "7001", contact="<sip:7001@127.0.0.5:5060>")
    finally:
        r.close()
    assert resp is not None and resp.code == 403, resp
    # Another source is not affected.
    with Caller(s, "127.0.0.6", "7001", "7002") as c:
        assert c.answer(c.invite(), "secret").code == 486
    assert len(uas.received("INVITE")) == 1, uas.trace()
    s.wait_bus_name()
    assert s.counter("auth.failures") == 3
    assert s.counter("auth.blocked_sources") == 1
    assert s.counter("auth.refused_blocked") == 2
    blocked_lines = log_lines(s, "3 failed authentications from 127.0.0.5 within 60 s")
    assert len(blocked_lines) == 1, s.stderr()[-3000:]


def test_wrong_register_passwords_count_toward_the_limit(make_sipd):
    """Guessing through REGISTER costs the same budget: the source's INVITEs are then
    refused too."""
    s = start_sipd(make_sipd, tserver={"authentication-failure-limit": 2})
    r = sip.UdpClient(s.address, "127.0.0.7")
    uri = f"sip:{s.host}:{s.port}"
    try:
        for cseq, guess in ((1, "a"), (3, "b")):
            first = s.register(r, "7001", contact="<sip:7001@127.0.0.7:5060>", cseq=cseq,
                               call_id="guess@t")
            assert first.code == 401, first.raw
            ch = digest.parse_challenge(first.get("www-authenticate"))
            auth = digest.authorization(ch, "REGISTER", uri, "7001", guess)
            again = s.register(r, "7001", contact="<sip:7001@127.0.0.7:5060>", cseq=cseq + 1,
                               call_id="guess@t", extra=[f"Authorization: {auth}"])
            assert again.code == 401, again.raw
        blocked = s.register(r, "7001", contact="<sip:7001@127.0.0.7:5060>", cseq=5,
                             call_id="guess@t")
        assert blocked.code == 403 and "Too Many Failed" in blocked.reason, blocked.raw
    finally:
        r.close()
    with Caller(s, "127.0.0.7", "7001", "7002") as c:
        assert c.invite().code == 403
    s.wait_bus_name()
    assert s.counter("auth.blocked_sources") == 1
    assert s.counter("auth.refused_blocked") == 2


def test_refusals_are_counted_each_but_logged_at_most_once_per_interval(make_sipd):
    s = start_sipd(make_sipd)
    for i in range(20):
        with Caller(s, f"127.0.1.{i + 1}", "5555", "7002") as c:
            assert c.invite().code == 403
    s.wait_bus_name()
    wait_counter(s, "auth.refused_unknown", lambda n: n == 20, 5)
    lines = log_lines(s, "the source is not trusted and the From user is no Extension")
    assert len(lines) == 1, lines  # 20 refusals within 10 s: one line


def test_loopback_is_trusted_by_the_harness_default(make_sipd):
    """The harness trusts loopback (harness/sipd.py) so that the other tests' SIPp callers need
    no credentials; without it the same caller is refused."""
    s = make_sipd(extensions=("7002",)).start()
    with Caller(s, "127.0.0.2", "5555", "7002") as c:
        assert c.invite().code == 480  # admitted: 7002 is not registered
    s.wait_bus_name()
    assert s.counter("auth.trusted") == 1
