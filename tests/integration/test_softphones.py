"""Real softphones through sipd (issue 10): baresip 1.0 and linphone 5.1 from Debian, headless
(harness/softphone.py), registered with digest to a real sipd, over UDP, TCP and TLS.

For each transport: registration (and a wrong password refused), calls both ways hung up from
each side, hold and resume with the RTP direction checked in a packet capture, DTMF as SIP INFO
toward the caller and toward the callee, blind and attended transfer with the transferee's
`refer-enabled` true and false, and a caller that accepts no inbound connection.

What "right" means here, besides each phone's own call states:
- a dialog stays on its transport: no phone sends or receives a SIP message of the call over
  another transport (a phone that cannot reach sipd's Contact over its transport falls back to
  cleartext UDP, or fails: issue 10 item 1);
- requests toward a phone reach it (over TCP/TLS on the connection the phone opened: phones
  accept no inbound TLS, linphone with listen=False no inbound TCP; item 3);
- media flows both ways when the call is up (RTP in the capture), one way or none while held.

sipd: one per test, TLS on, [TServer] authentication-algorithms = MD5 (baresip 1.0 fails with
SHA-256 and MD5 challenges together), blind-transfer-enabled = true; Extensions 7001-7003
with passwords and 7004 (password, refer-enabled = false: the transferee of the "sipd performs
the transfer" cases); [TServer] trusted-networks = 192.0.2.0/24 (not the phones' loopback: their
INVITEs are challenged like any Extension's), left out for a sipd that does not know the option
(one from before call authentication, issue 10 item 5)."""

import time

import pytest

from conftest import sipd_only
from harness import net, softphone
from harness.softphone import directions_during, wait_two_way

pytestmark = sipd_only

TRANSPORTS = ["udp", "tcp", "tls"]
PASSWORDS = {"7001": "pw-7001-x", "7002": "pw-7002-y", "7003": "pw-7003-z",
             "7004": "pw-7004-w"}
NO_REFER = "7004"  # refer-enabled = false
# [TServer] trusted-networks: a network that does not hold the phones (loopback), so their
# INVITEs are authenticated like any Extension's (where sipd has the option).
UNTRUSTED = "192.0.2.0/24"
STEP = 5  # seconds for one signalling step (a final response, a state change)


@pytest.fixture(scope="session")
def tone(tmp_path_factory):
    return softphone.make_tone(str(tmp_path_factory.mktemp("tone") / "tone.wav"))


@pytest.fixture
def sipd(make_sipd):
    dns = {user: {"type": "Extension", "password": pw} for user, pw in PASSWORDS.items()}
    dns[NO_REFER]["refer-enabled"] = "false"
    tserver = {"authentication-algorithms": "MD5", "blind-transfer-enabled": "true",
               "trusted-networks": UNTRUSTED}
    s = softphone.start_sipd(make_sipd(tls=True, extensions=(), dns=dns, tserver=tserver))
    s.wait_bus_name()
    return s


@pytest.fixture
def phones(tmp_path, sipd, tone):
    made = softphone.Phones(tmp_path, sipd, tone)
    made.start_capture()
    yield made
    # Shown by pytest for a failing test only: each phone's SIP exchanges, in order.
    print(made.summary())
    made.stop_all()


def bare(phones, user, transport, **kwargs):
    return phones.baresip(user, PASSWORDS[user], transport, **kwargs)


def linphone(phones, user, transport, **kwargs):
    return phones.linphone(user, PASSWORDS[user], transport, **kwargs)


def registered(*ps):
    for p in ps:
        p.register()
    return ps


def stayed_on_transport(*ps):
    """Every SIP message of each phone went over its own transport."""
    off = {p.name: p.off_transport() for p in ps}
    off = {name: msgs for name, msgs in off.items() if msgs}
    assert not off, f"SIP messages over another transport than the phone's: {off}"


def wait_no_calls(sipd, timeout=STEP):
    try:
        net.wait_for(lambda: sipd.get_property("ActiveCalls") == 0, timeout, interval=0.1,
                     what="ActiveCalls 0")
    except AssertionError:
        raise AssertionError(f"sipd still has {sipd.get_property('ActiveCalls')} call(s) "
                             f"after {timeout}s") from None


def connect(caller, callee):
    """caller dials callee's Extension, callee answers; waits for both sides' established
    state. Returns (caller's call Id, callee's call Id, the time of the answer): the Ids are
    linphone's (None for baresip, whose commands act on its current call)."""
    since_callee = callee.mark()
    since = caller.dial(caller.uri(callee.user))
    callee_id = callee.answer(STEP, since_callee)
    established_at = time.time()
    caller_ev = caller.wait_established(STEP, since)
    callee.wait_established(STEP, since_callee)
    return caller_ev.get("Id"), callee_id, established_at


def hang_up(by, other, by_call=None):
    """by hangs up (linphone: its call by_call); the other side's call must end."""
    since = other.mark()
    if isinstance(by, softphone.Linphone):
        by.hangup(by_call)
    else:
        by.hangup()
    other.wait_closed(STEP, since)


# ---- registration --------------------------------------------------------------------------

@pytest.mark.parametrize("transport", TRANSPORTS)
def test_register_with_digest(phones, transport):
    """Both phones register with digest (MD5) over the transport; REGISTER went over it; a
    wrong password is refused (baresip REGISTER_FAIL)."""
    a, b = registered(bare(phones, "7001", transport), linphone(phones, "7002", transport))
    assert a.sent("REGISTER", transport) and b.sent("REGISTER", transport)
    wrong = phones.baresip("7003", "not-the-password", transport)
    ev = wrong.wait_event(lambda e: e.get("type") in ("REGISTER_OK", "REGISTER_FAIL"), STEP,
                          what="REGISTER_FAIL")
    assert ev["type"] == "REGISTER_FAIL", ev
    stayed_on_transport(a, b)


# ---- calls both ways, hung up from each side ---------------------------------------------

@pytest.mark.parametrize("hangup", ["caller", "callee"])
@pytest.mark.parametrize("direction", ["baresip-to-linphone", "linphone-to-baresip"])
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_call(phones, sipd, transport, direction, hangup):
    """A call between the two phones in both directions: established on both sides, RTP both
    ways, hung up by the caller or the callee (the other side ends too), no call left in sipd,
    every message on the phones' transport."""
    b = bare(phones, "7001", transport)
    lp = linphone(phones, "7002", transport)
    registered(b, lp)
    caller, callee = (b, lp) if direction == "baresip-to-linphone" else (lp, b)
    caller_id, callee_id, at = connect(caller, callee)
    wait_two_way(phones.capture, caller, callee, at)
    if hangup == "caller":
        hang_up(caller, callee, caller_id)
    else:
        hang_up(callee, caller, callee_id)
    wait_no_calls(sipd)
    stayed_on_transport(b, lp)


# ---- hold and resume, RTP direction -------------------------------------------------------

def held_one_way(capture, a, b, what, seconds=1.5):
    """While held: not both directions (>= 10 packets each way in the window is a two-way
    stream)."""
    start = time.time() + 0.5
    ab, ba = directions_during(capture, a, b, start, seconds)
    print(f"{what}: RTP {a.name}->{b.name} {ab}, {b.name}->{a.name} {ba} in {seconds}s")
    assert not (ab >= 10 and ba >= 10), \
        f"{what}: RTP still both ways while held ({a.name}->{b.name} {ab}, " \
        f"{b.name}->{a.name} {ba})"
    return ab, ba


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_hold_and_resume(phones, sipd, transport):
    """baresip (caller) holds and resumes, then linphone (callee) holds and resumes: while held
    RTP flows one way or none, after each resume both ways again (packet capture)."""
    b = bare(phones, "7001", transport)
    lp = linphone(phones, "7002", transport)
    registered(b, lp)
    _, lp_call, at = connect(b, lp)
    cap = phones.capture
    wait_two_way(cap, b, lp, at)

    since = lp.mark()
    b.hold()
    lp.wait_event(lambda e: e.get("Event") == "LinphoneCallPausedByRemote", STEP, since,
                  what="PausedByRemote (baresip's hold re-INVITE)")
    held_one_way(cap, b, lp, "baresip holding")
    since = lp.mark()
    b.resume()
    lp.wait_established(STEP, since)
    wait_two_way(cap, b, lp, time.time())

    since = b.mark()
    lp.hold(lp_call, STEP)  # re-INVITE from the callee toward the caller
    b.wait_event(lambda e: e.get("type") == "CALL_REMOTE_SDP" and e.get("param") == "offer",
                 STEP, since, what="baresip got the hold offer (re-INVITE toward the caller)")
    held_one_way(cap, b, lp, "linphone holding")
    since = b.mark()
    lp.resume(lp_call, STEP)
    b.wait_event(lambda e: e.get("type") == "CALL_REMOTE_SDP" and e.get("param") == "offer",
                 STEP, since, what="baresip got the resume offer")
    wait_two_way(cap, b, lp, time.time())
    hang_up(b, lp)
    wait_no_calls(sipd)
    stayed_on_transport(b, lp)


# ---- DTMF as SIP INFO ---------------------------------------------------------------------

@pytest.mark.parametrize("toward", ["caller", "callee"])
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_info_dtmf(phones, sipd, transport, toward):
    """linphone sends DTMF as INFO (application/dtmf-relay); baresip, the caller (INFO toward
    the caller's leg) or the callee, reports the digits. baresip 1.0 sends DTMF in RTP only
    (RFC 4733), so the INFO always comes from linphone."""
    b = bare(phones, "7001", transport)
    lp = linphone(phones, "7002", transport)
    registered(b, lp)
    caller, callee = (b, lp) if toward == "caller" else (lp, b)
    connect(caller, callee)
    for digit in "59":
        since = b.mark()
        lp.send_dtmf(digit)
        b.wait_dtmf(digit, STEP, since)
    assert len(lp.sent("INFO")) >= 2, "linphone sent no INFO"
    hang_up(lp, b)
    wait_no_calls(sipd)
    stayed_on_transport(b, lp)


# ---- blind transfer -----------------------------------------------------------------------

@pytest.mark.parametrize("refer_enabled", [True, False], ids=["refer-enabled",
                                                              "refer-disabled"])
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_blind_transfer(phones, sipd, transport, refer_enabled):
    """baresip A (7001) calls linphone B and transfers it blind (REFER) to baresip C (7003).
    B's DN has refer-enabled true (7002: the REFER is relayed to B, B calls C) or false (7004:
    sipd INVITEs C with B's SDP and re-INVITEs B). After: A's call closed, B and C talking
    (RTP both ways), then B hangs up and C's call ends."""
    a = bare(phones, "7001", transport)
    b = linphone(phones, "7002" if refer_enabled else NO_REFER, transport)
    c = bare(phones, "7003", transport)
    registered(a, b, c)
    connect(a, b)
    since_a, since_b, since_c = a.mark(), b.mark(), c.mark()
    a.transfer(a.uri(c.user))
    c.answer(STEP, since_c)
    c.wait_established(STEP, since_c)
    at = time.time()
    a.wait_closed(STEP, since_a)
    if refer_enabled:  # B made a new call to C
        b.wait_established(STEP, since_b)
    wait_two_way(phones.capture, b, c, at)
    assert len(b.calls()) == 1, f"B's calls: {b.calls()}"
    hang_up(b, c)
    wait_no_calls(sipd)
    stayed_on_transport(a, b, c)


# ---- attended transfer --------------------------------------------------------------------

@pytest.mark.parametrize("refer_enabled", [True, False], ids=["refer-enabled",
                                                              "refer-disabled"])
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_attended_transfer(phones, sipd, transport, refer_enabled):
    """linphone A (7001) calls linphone B and holds it, calls linphone C (7003, the
    consultation call), then transfers B to C (REFER with Replaces: linphone's call-transfer
    <B> <C>). B's DN: refer-enabled true (7002: the REFER is relayed to B, B INVITEs with
    Replaces) or false (7004: sipd does the transfer with INVITE/re-INVITEs, B being on hold
    then: item 4 of the issue). After: A has no call, B and C talk with RTP both ways, C has
    one call (its consultation dialog replaced), C's hang-up ends B's call.

    All three are linphones: baresip 1.0 can neither start an attended transfer nor follow a
    REFER whose Refer-To has a Replaces header ("ua: transfer: connect error: Function not
    implemented", NOTIFY 500), nor does it support Replaces in an INVITE."""
    a = linphone(phones, "7001", transport)
    b = linphone(phones, "7002" if refer_enabled else NO_REFER, transport)
    c = linphone(phones, "7003", transport)
    registered(a, b, c)
    a_b, _, _ = connect(a, b)
    a.hold(a_b, STEP)
    a_c, _, _ = connect(a, c)
    since_a, since_c = a.mark(), c.mark()
    a.transfer(a_b, a_c)
    # A's two calls end (B's old dialog and the consultation call); C's new dialog (with B)
    # runs its streams.
    a.wait_closed(STEP, since_a, a_b)
    a.wait_closed(STEP, since_a, a_c)
    c.wait_established(STEP, since_c)
    at = time.time()
    wait_two_way(phones.capture, b, c, at)
    assert not a.calls(), f"A still has calls: {a.calls()}"
    assert len(c.calls()) == 1, f"C's calls: {c.calls()}"
    c_call = next(iter(c.calls()))
    since_b = b.mark()
    c.hangup(c_call)
    b.wait_closed(STEP, since_b)
    wait_no_calls(sipd)
    stayed_on_transport(a, b, c)


# ---- a caller that accepts no inbound connection ------------------------------------------

@pytest.mark.parametrize("transport,caller_kind", [("tcp", "linphone"), ("tls", "linphone"),
                                                   ("tls", "baresip")])
def test_caller_accepting_no_inbound_connection(phones, sipd, transport, caller_kind):
    """The caller has no listening socket sipd could connect to: linphone with sip_tcp_port -2
    (TCP client connections only) or over TLS (no phone accepts inbound TLS: linphone has no
    TLS server, baresip's has no certificate). baresip (callee) answers and hangs up: the BYE
    reaches the caller, so sipd's requests toward it went on the connection of its
    INVITE/REGISTER (none on a connection sipd opened), and sipd keeps no call."""
    if caller_kind == "linphone":
        caller = linphone(phones, "7001", transport, listen=False)
    else:
        caller = bare(phones, "7001", transport)
    callee = bare(phones, "7002", transport)
    registered(caller, callee)
    _, _, at = connect(caller, callee)
    wait_two_way(phones.capture, caller, callee, at)
    since = caller.mark()
    callee.hangup()
    caller.wait_closed(STEP, since)
    wait_no_calls(sipd)
    assert not [m["first"] for m in caller.sip_trace() if m["inbound"]], \
        "sipd reached the caller on a connection of its own"
    stayed_on_transport(caller, callee)
