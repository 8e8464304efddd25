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
Every SIPp run is bounded; failures show the SIPp traces and sipd's stderr."""

import os
import subprocess
import time

import pytest

from conftest import sipd_only
from harness import net, sipp

pytestmark = sipd_only


class Peer:
    """A SIPp UAS (gateway) in the background on its own port."""

    def __init__(self, scenario, sipd, workdir, port, timeout=40):
        self.port = port
        self.workdir = str(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.cmd, self.name = sipp.command(scenario, sipd.address, self.workdir, port=port,
                                           timeout=timeout)
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


def start_peer(peers, scenario, sipd, tmp_path, port):
    p = Peer(scenario, sipd, tmp_path / f"peer{len(peers)}", port)
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
