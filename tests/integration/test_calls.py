"""Calls through sipd's B2BUA (issue 3, docs/calls.md): real sipd, SIPp phones and gateways.

Phones register at sipd (the python client registers the SIPp UAS's port as Contact); a SIPp
UAC calls through sipd; the callee is a SIPp UAS. Each SIPp run is bounded; failures show the
SIPp traces and sipd's stderr."""

import os
import subprocess
import time

import pytest

from conftest import sipd_only
from harness import net, sip, sipp

pytestmark = sipd_only


class Uas:
    """A SIPp UAS (phone or gateway) in the background on its own port."""

    def __init__(self, scenario, sipd, workdir, port=None, timeout=40):
        self.port = port or net.free_udp_tcp_port()
        self.workdir = str(workdir)
        self.cmd, self.name = sipp.command(scenario, sipd.address, self.workdir, port=self.port,
                                           timeout=timeout)
        self.timeout = timeout
        self.proc = subprocess.Popen(self.cmd, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

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


@pytest.fixture
def uases():
    made = []
    yield made
    for u in made:
        u.stop()


def start_uas(uases, scenario, sipd, tmp_path, **kwargs):
    workdir = tmp_path / f"uas{len(uases)}"
    os.makedirs(workdir, exist_ok=True)
    u = Uas(scenario, sipd, workdir, **kwargs)
    uases.append(u)
    # SIPp needs a moment to bind its socket before sipd sends to it; poll until it is bound.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not net_port_bound(u.port):
        time.sleep(0.02)
    return u


def net_port_bound(port):
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", port))
        return False
    except OSError:
        return True
    finally:
        s.close()


def register(sipd, user, port):
    c = sipd.udp()
    try:
        resp = sipd.register(c, user, contact=f"<sip:{user}@127.0.0.1:{port}>")
    finally:
        c.close()
    assert resp is not None and resp.code == 200, resp


def run_uac(sipd, tmp_path, number, scenario="call_uac.xml", caller="7001", port=None):
    workdir = str(tmp_path / "uac")
    return sipp.run(scenario, sipd.address, workdir, timeout=40, port=port,
                    keys={"caller": caller}, extra=("-s", number))


def explain(sipd, *results):
    text = "\n\n".join(r.explain() for r in results)
    return text + "\n\nsipd stderr:\n" + sipd.stderr()[-4000:]


def make_sipd_with(make_sipd, dns=None):
    return make_sipd(extensions=("7001", "7002"), dns=dns or {}).start()


# ---- a python caller for the failure paths -----------------------------------------------

class Caller:
    def __init__(self, sipd):
        self.sipd = sipd
        self.client = sipd.udp()
        self.branch = "z9hG4bK" + sip.token()
        self.call_id = sip.token() + "@caller"
        self.tag = sip.token()
        self.to = None

    def invite(self, number):
        host, port = self.sipd.address
        self.uri = f"sip:{number}@{host}:{port}"
        self.to = f"<sip:{number}@{host}:{port}>"
        body = (f"v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
                f"t=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=sendrecv\r\n").encode()
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
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            raw = self.client.recv(left)
            if raw is None:
                break
            try:
                resp = sip.Response(raw)
            except ValueError:
                continue
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


# ---- phone to phone --------------------------------------------------------------------

def test_registered_phones_call_each_other_caller_hangs_up(make_sipd, tmp_path, uases):
    s = make_sipd_with(make_sipd)
    uas = start_uas(uases, "call_uas.xml", s, tmp_path)
    register(s, "7002", uas.port)
    uac_port = net.free_udp_tcp_port()
    register(s, "7001", uac_port)
    uac = run_uac(s, tmp_path, "7002", port=uac_port)
    callee = uas.finish(timeout=20)
    assert uac.returncode == 0 and callee.returncode == 0, explain(s, uac, callee)
    # The callee saw sipd's leg: its own Call-ID, sipd's Via and Contact (sip-address).
    invite = uas.messages()
    assert f"Via: SIP/2.0/UDP 127.0.0.1:{s.port};branch=z9hG4bK" in invite, invite
    assert f"Contact: <sip:127.0.0.1:{s.port}>" in invite, invite
    assert "INVITE sip:7002@127.0.0.1:" in invite, invite
    # D-Bus counters (org.sipha.Sipd1 Counters): one call, answered, ended.
    s.wait_bus_name()
    counters = s.counters()
    assert int(counters["calls.started"]) == 1, counters
    assert int(counters["calls.answered"]) == 1, counters
    assert int(counters["calls.ended"]) == 1, counters
    assert int(counters["calls.active"]) == 0, counters


def test_callee_hangs_up(make_sipd, tmp_path, uases):
    s = make_sipd_with(make_sipd)
    uas = start_uas(uases, "call_uas_bye.xml", s, tmp_path)
    register(s, "7002", uas.port)
    uac = run_uac(s, tmp_path, "7002", scenario="call_uac_wait_bye.xml")
    callee = uas.finish(timeout=20)
    assert uac.returncode == 0 and callee.returncode == 0, explain(s, uac, callee)


# ---- trunks ----------------------------------------------------------------------------

def test_trunk_prefix_replaced_in_request_uri(make_sipd, tmp_path, uases):
    gw_port = net.free_udp_tcp_port()
    s = make_sipd_with(make_sipd, dns={"gw1": {
        "type": "Trunk", "contact": f"127.0.0.1:{gw_port}", "prefix": "9",
        "replace-prefix": "0049"}})
    uas = start_uas(uases, "call_uas.xml", s, tmp_path, port=gw_port)
    uac = run_uac(s, tmp_path, "9301234")
    gateway = uas.finish(timeout=20)
    assert uac.returncode == 0 and gateway.returncode == 0, explain(s, uac, gateway)
    assert f"INVITE sip:0049301234@127.0.0.1:{gw_port}" in uas.messages(), uas.messages()


# ---- failures --------------------------------------------------------------------------

def test_unknown_number_gets_404(make_sipd):
    s = make_sipd_with(make_sipd)
    c = Caller(s)
    try:
        c.invite("5555")
        final = c.final()
        assert final.code == 404, final
        c.ack(final)
    finally:
        c.close()


def test_unregistered_extension_gets_480(make_sipd):
    s = make_sipd_with(make_sipd)
    c = Caller(s)
    try:
        c.invite("7002")
        final = c.final()
        assert final.code == 480, final
        c.ack(final)
    finally:
        c.close()


def test_busy_callee_486_relayed(make_sipd, tmp_path, uases):
    s = make_sipd_with(make_sipd)
    uas = start_uas(uases, "call_uas_486.xml", s, tmp_path)
    register(s, "7002", uas.port)
    c = Caller(s)
    try:
        c.invite("7002")
        final = c.final()
        assert final.code == 486, final
        c.ack(final)
    finally:
        c.close()
    callee = uas.finish(timeout=20)
    assert callee.returncode == 0, explain(s, callee)
    s.wait_bus_name()
    assert s.counter("responses.4xx") == 1  # the relayed 486 counts with the core's answers
    assert s.counter("calls.failed") == 1


def test_cancel_before_answer_gets_487(make_sipd, tmp_path, uases):
    s = make_sipd_with(make_sipd)
    uas = start_uas(uases, "call_uas_ring.xml", s, tmp_path)
    register(s, "7002", uas.port)
    c = Caller(s)
    try:
        c.invite("7002")
        seen = c.responses(lambda r: r.code == 180)
        assert seen[-1].code == 180
        c.cancel()
        seen = c.responses(lambda r: r.code >= 200 and "INVITE" in r.get("cseq"))
        codes = {(r.code, r.get("cseq").split()[1]) for r in seen}
        assert (200, "CANCEL") in codes, [r.status_line for r in seen]
        assert seen[-1].code == 487, seen[-1]
        c.ack(seen[-1])
    finally:
        c.close()
    callee = uas.finish(timeout=20)
    assert callee.returncode == 0, explain(s, callee)
    # A cancelled call is failed, never answered (the 200 to the CANCEL is not the call's 2xx).
    s.wait_bus_name()
    net.wait_for(lambda: s.counter("calls.ended") == 1, 10, interval=0.05, what="call ended")
    assert s.counter("calls.failed") == 1, s.counters()
    assert s.counter("calls.answered") == 0, s.counters()


# ---- hold ------------------------------------------------------------------------------

def test_hold_reinvite_arrives_as_sendonly(make_sipd, tmp_path, uases):
    """sip-hold-rfc3264 = true: the caller's a=sendonly re-INVITE reaches the callee as
    a=sendonly (relaySdp, RFC 3264 8.4), the a=recvonly answer comes back, never c=0.0.0.0."""
    s = make_sipd(extensions=("7001", "7002"), tserver={"sip-hold-rfc3264": "true"}).start()
    uas = start_uas(uases, "call_uas_hold.xml", s, tmp_path)
    register(s, "7002", uas.port)
    uac = run_uac(s, tmp_path, "7002", scenario="call_uac_hold.xml")
    callee = uas.finish(timeout=20)
    assert uac.returncode == 0 and callee.returncode == 0, explain(s, uac, callee)
    assert "c=IN IP4 0.0.0.0" not in uas.messages()


# ---- trunk health ----------------------------------------------------------------------

def test_failover_to_next_trunk_when_first_gateway_is_stopped(make_sipd, tmp_path, uases):
    """Two trunks for one prefix (priority 1, then 2): the first gateway does not run, its
    INVITE times out (Timer B = 64*T1, T1 = 50 ms here) and the call goes to the second."""
    dead_port, live_port = net.free_udp_tcp_port(), net.free_udp_tcp_port()
    s = make_sipd(extensions=("7001", "7002"), tserver={"sip-timer-t1": 50}, dns={
        "gw1": {"type": "Trunk", "contact": f"127.0.0.1:{dead_port}", "prefix": "9",
                "priority": 1},
        "gw2": {"type": "Trunk", "contact": f"127.0.0.1:{live_port}", "prefix": "9",
                "priority": 2}}).start()
    uas = start_uas(uases, "call_uas.xml", s, tmp_path, port=live_port)
    uac = run_uac(s, tmp_path, "9123")
    gateway = uas.finish(timeout=30)
    assert uac.returncode == 0 and gateway.returncode == 0, explain(s, uac, gateway)
    assert f"INVITE sip:9123@127.0.0.1:{live_port}" in uas.messages()
    s.wait_bus_name()
    assert s.counter("calls.target_failures") >= 1


class Gateway:
    """A minimal gateway on a UDP port: answers OPTIONS 200 and INVITE 486 (then takes the
    ACK), so a test can start and stop a trunk's far end at will."""

    def __init__(self, port):
        import socket
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
                self.sock.sendto(self._response(head, 200, "OK"), peer)
            elif method == "INVITE":
                self.invites.append(head[0])
                self.sock.sendto(self._response(head, 486, "Busy Here"), peer)

    @staticmethod
    def _response(head, code, reason):
        keep = [line for line in head[1:] if line.split(":", 1)[0].strip().lower() in
                ("via", "from", "call-id", "cseq", "to")]
        keep = [line + ";tag=gw1" if line.lower().startswith("to:") and "tag=" not in line
                else line for line in keep]
        return (f"SIP/2.0 {code} {reason}\r\n" + "\r\n".join(keep) +
                "\r\nContent-Length: 0\r\n\r\n").encode()

    def close(self):
        self.sock.close()


def wait_counter(s, name, predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = s.counter(name)
        if predicate(value):
            return value
        time.sleep(0.1)
    raise AssertionError(f"{name} = {s.counter(name)} after {seconds}s")


def test_oos_check_marks_gateway_out_of_service_and_back(make_sipd):
    """oos-check = 1, oos-force = 1: with its gateway stopped, the trunk goes out of service
    (calls to its prefix fail at once); with the gateway answering OPTIONS again it comes
    back and a call reaches it."""
    port = net.free_udp_tcp_port()
    s = make_sipd(extensions=("7001", "7002"), dns={"gw1": {
        "type": "Trunk", "contact": f"127.0.0.1:{port}", "prefix": "8", "oos-check": 1,
        "oos-force": 1}}).start()
    s.wait_bus_name()
    assert s.counter("trunks.contacts") == 1
    wait_counter(s, "trunks.out_of_service", lambda v: v == 1, 10)
    assert "trunk gw1 contact sip:127.0.0.1:" in s.stderr() and "out-of-service" in s.stderr()
    # The web UI's view: GetTrunks lists the contact out of service, with since-when.
    before = int(time.time() * 1e6)
    [[dn, contact, state, reason, since]] = s.call("GetTrunks")[0]
    assert (dn, state) == ("gw1", "out-of-service"), (dn, contact, state, reason)
    assert contact.endswith(f"127.0.0.1:{port}"), contact
    assert 0 < since <= before, since
    assert s.get_property("ActiveCalls") == 0
    c = Caller(s)
    try:
        c.invite("8123")
        final = c.final(timeout=3)
        # Routing answers 503 with Retry-After (every contact out of service), at once,
        # without trying the gateway.
        assert final.code == 503, final
        assert final.get("retry-after"), final
        c.ack(final)
    finally:
        c.close()

    gw = Gateway(port)
    try:
        deadline = time.monotonic() + 10
        while s.counter("trunks.out_of_service") != 0:
            assert time.monotonic() < deadline, "trunk not back in service"
            gw.serve(0.3)
        assert gw.options >= 1
        [[_, _, state, _, since_back]] = s.call("GetTrunks")[0]
        assert state == "in-service" and since_back >= since, (state, since_back, since)
        c = Caller(s)
        try:
            c.invite("8123")
            gw.serve(1.0)
            final = c.final(timeout=3)
            assert final.code == 486, final
            c.ack(final)
        finally:
            c.close()
        assert gw.invites and gw.invites[0].startswith(f"INVITE sip:8123@127.0.0.1:{port}")
    finally:
        gw.close()


def test_reload_rebuilds_the_routing_table(make_sipd):
    """A trunk added to the file and reloaded (SIGHUP) routes the next call: 404 before,
    the gateway's answer after."""
    port = net.free_udp_tcp_port()
    s = make_sipd_with(make_sipd)
    c = Caller(s)
    try:
        c.invite("6123")
        final = c.final(timeout=3)
        assert final.code == 404, final
        c.ack(final)
    finally:
        c.close()
    s.sections["dn:gw6"] = {"type": "Trunk", "contact": f"127.0.0.1:{port}", "prefix": "6"}
    s.write_config()
    count = len(s.notify_lines)
    s.sighup()
    assert s.wait_notify(lambda lines: "READY=1" in lines[count:], 10), s.notify_lines[count:]
    gw = Gateway(port)
    c = Caller(s)
    try:
        c.invite("6123")
        gw.serve(1.0)
        final = c.final(timeout=3)
        assert final.code == 486, final
        c.ack(final)
        assert gw.invites and gw.invites[0].startswith(f"INVITE sip:6123@127.0.0.1:{port}")
    finally:
        c.close()
        gw.close()


def test_phone_registered_over_tcp_is_called_on_its_connection(make_sipd):
    """A phone registered over TCP that does not accept connections (its Contact port is
    closed) still gets the INVITE: on the connection it registered over (the REGISTER's flow)."""
    s = make_sipd_with(make_sipd)
    phone = s.tcp()
    c = Caller(s)
    try:
        resp = s.register(phone, "7002", contact="<sip:7002@127.0.0.1:9;transport=tcp>")
        assert resp is not None and resp.code == 200, resp
        c.invite("7002")
        raw = phone.recv(5)
        assert raw is not None, "no INVITE on the phone's connection"
        text = raw.decode("utf-8", "replace")
        assert text.startswith("INVITE sip:7002@127.0.0.1:9;transport=tcp SIP/2.0"), text
        head = text.split("\r\n\r\n", 1)[0].split("\r\n")
        phone.send(Gateway._response(head, 486, "Busy Here"))
        final = c.final(timeout=5)
        assert final.code == 486, final
        c.ack(final)
    finally:
        c.close()
        phone.close()


def test_hold_presented_in_rfc2543_form_when_configured(make_sipd, tmp_path, uases):
    """sip-hold-rfc3264 = false: the same a=sendonly hold reaches the callee in the RFC 2543
    form, c=0.0.0.0 on the held stream (docs/hold.md)."""
    s = make_sipd(extensions=("7001", "7002"), tserver={"sip-hold-rfc3264": "false"}).start()
    uas = start_uas(uases, "call_uas_hold.xml", s, tmp_path)
    register(s, "7002", uas.port)
    uac = run_uac(s, tmp_path, "7002", scenario="call_uac_hold.xml")
    callee = uas.finish(timeout=20)
    assert uac.returncode == 0 and callee.returncode == 0, explain(s, uac, callee)
    assert "c=IN IP4 0.0.0.0" in uas.messages(), uas.messages()


def test_many_calls_end_clean(make_sipd, tmp_path):
    """A bounded load (500 calls at 100/s, caller hangs up, SIPp UAS taking 500 calls): every
    call completes and the D-Bus counters agree afterwards (none left in the call table)."""
    s = make_sipd_with(make_sipd)
    workdir = tmp_path / "uas_load"
    os.makedirs(workdir, exist_ok=True)
    port = net.free_udp_tcp_port()
    cmd, name = sipp.command("call_uas.xml", s.address, str(workdir), port=port, calls=500,
                             timeout=60, trace_msg=False)
    proc = subprocess.Popen(cmd, cwd=str(workdir), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not net_port_bound(port):
            time.sleep(0.02)
        register(s, "7002", port)
        uac = sipp.run("call_uac.xml", s.address, str(tmp_path / "uac_load"), timeout=60,
                       calls=500, rate=100, trace_msg=False, keys={"caller": "7001"},
                       extra=("-s", "7002"))
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert uac.returncode == 0, explain(s, uac)
    assert proc.returncode == 0, err[-3000:]
    s.wait_bus_name()
    counters = s.counters()
    assert int(counters["calls.started"]) == 500, counters
    assert int(counters["calls.answered"]) == 500, counters
    assert int(counters["calls.ended"]) == 500, counters
    assert int(counters["calls.active"]) == 0, counters
    # CallsPerSecond: new calls per second over the last 10 whole seconds; the 500 calls took
    # about 5 s, so right after them the figure is above 0 and at most 500 / 10.
    rate = s.get_property("CallsPerSecond")
    assert 0 < rate <= 50.0, rate
