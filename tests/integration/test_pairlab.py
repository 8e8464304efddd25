"""The pair lab of `make run` (tools/pairlab), BIG-IP mode, with the real sipd and sipha-netcfg
(and sipha-agent when the build has it; otherwise the lab sets the roles itself): the BIG-IP
stand-in's monitor marks the primary up and the backup down, SIP through the VIP reaches the
primary, a registration is replicated to the backup, what a node sends out leaves with the VIP as
source (SNAT), and stop() leaves nothing behind. Needs root (network namespaces, nftables)."""

import os
import socket
import subprocess
import time

import pytest

from conftest import sipd_binary
from harness import digest, sip
from pairlab import SIPD1, Lab, netns, wait_for

MONITOR_INTERVAL = 1.0
MONITOR_TIMEOUT = 4.0


@pytest.fixture(scope="module")
def lab():
    if os.geteuid() != 0:
        pytest.skip("the pair lab needs root")
    bin_dir = os.path.dirname(os.path.abspath(sipd_binary()))
    lab = Lab(bin_dir, agent=os.environ.get("SIPHA_AGENT"), prefix=f"plab{os.getpid()}",
              monitor_interval=MONITOR_INTERVAL, monitor_timeout=MONITOR_TIMEOUT)
    lab.start(timeout=60)
    yield lab
    problems = lab.stop()  # a no-op after test_stop_leaves_nothing_behind
    assert not problems, "\n".join(problems)


def roles(lab):
    primary = lab.primary()
    assert primary, "no primary"
    return lab.nodes[primary], lab.nodes[lab.addresses.peer(primary)]


def client_udp(lab):
    """A UDP client in the client namespace whose server is the VIP."""
    with lab.client.entered():
        return sip.UdpClient((lab.vip, lab.sip_port), host=lab.client.address)


def register(lab, user, password, contact):
    """REGISTER through the VIP with digest (401, then the answer): the final response."""
    c = client_udp(lab)
    try:
        uri = f"sip:{lab.vip}:{lab.sip_port}"
        call_id = sip.token() + "@pairlab"
        extra = ["Expires: 3600"]
        first = c.exchange(sip.request("REGISTER", uri, "UDP", c.local, user=user,
                                       call_id=call_id, contact=contact, extra=extra))
        assert first is not None and first.code == 401, first
        challenge = digest.parse_challenge(first.get("www-authenticate"))
        auth = digest.authorization(challenge, "REGISTER", uri, user, password)
        return c.exchange(sip.request("REGISTER", uri, "UDP", c.local, user=user, cseq=2,
                                      call_id=call_id, contact=contact,
                                      extra=extra + [f"Authorization: {auth}"]))
    finally:
        c.close()


def sources(node, method):
    """GetOptionsSources / GetDroppedSources of a node's sipd: the set of source addresses."""
    data = node.bus.busctl_json("call", *SIPD1, method)["data"][0]
    return {row[0] for row in data}


def test_monitor_marks_the_primary_up_and_the_backup_down(lab):
    primary, backup = roles(lab)
    bound = MONITOR_TIMEOUT + MONITOR_INTERVAL
    lab.bigip.wait_member(primary.name, "up", bound)
    lab.bigip.wait_member(backup.name, "down", bound + 1)
    state = lab.bigip.state()
    assert state["pools"]["sip"]["target"] == primary.name
    assert state["pools"]["tls"]["target"] == primary.name
    # Each member's first verdict: the primary up at its first answer (the first probe goes at
    # the monitor's start; the primary may have become primary a little later), the backup
    # down once the timeout passed without an answer — not later than one more interval.
    first = {}
    for event in state["events"]:
        if event.get("pool") == "sip" and "member" in event:
            first.setdefault(event["member"], event)
    assert first[backup.name]["state"] == "down", state["events"]
    assert first[backup.name]["monotonic"] - state["started"] <= bound, state["events"]
    assert first[primary.name]["state"] == "up", state["events"]
    # The backup's sipd saw the monitor's OPTIONS and dropped them (no answer, by design).
    assert lab.addresses.gateway in sources(backup, "GetDroppedSources")
    assert lab.addresses.gateway in sources(primary, "GetOptionsSources")


def test_options_to_the_vip_is_answered_by_the_primary(lab):
    primary, backup = roles(lab)
    c = client_udp(lab)
    try:
        resp = c.exchange(sip.request("OPTIONS", f"sip:{lab.vip}:{lab.sip_port}", "UDP",
                                      c.local))
    finally:
        c.close()
    assert resp is not None and resp.code == 200, resp
    # The BIG-IP translates the destination only: the primary sees the phone's own address.
    assert lab.client.address in sources(primary, "GetOptionsSources")
    assert lab.client.address not in sources(backup, "GetDroppedSources")
    assert lab.client.address not in sources(backup, "GetOptionsSources")


def test_register_through_the_vip_is_stored_on_the_primary_and_replicated(lab):
    primary, backup = roles(lab)
    contact = f"<sip:7003@{lab.client.address}:5999>"
    resp = register(lab, "7003", "demo7003", contact)
    assert resp is not None and resp.code == 200, resp
    assert any("5999" in c for c in resp.contacts()), resp.raw
    wait_for(lambda: int(primary.sipd_property("Bindings")) >= 1, 5, what="primary Bindings")
    # REGISTER is answered once the backup has the change (docs/replication.md): no wait is
    # needed, the bound only covers a slow busctl.
    wait_for(lambda: int(backup.sipd_property("Bindings")) >= 1, 5, what="backup Bindings")
    assert backup.sipd_property("ReplicationState") == "streaming"


def test_outbound_requests_leave_with_the_vip_as_source(lab):
    primary, _ = roles(lab)
    with lab.client.entered():
        phone = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        phone.bind((lab.client.address, 0))
        port = phone.getsockname()[1]
        resp = register(lab, "7004", "demo7004", f"<sip:7004@{lab.client.address}:{port}>")
        assert resp is not None and resp.code == 200, resp
        # A trusted caller (the client network) calls 7004 through the VIP: sipd's INVITE to
        # the phone leaves the BIG-IP with the VIP as source, from sip-port.
        caller = client_udp(lab)
        try:
            uri = f"sip:7004@{lab.vip}:{lab.sip_port}"
            invite = sip.request("INVITE", uri, "UDP", caller.local, user="phone-tester",
                                 to_user="7004", contact=f"<sip:tester@{caller.local[0]}:"
                                                         f"{caller.local[1]}>")
            caller.send(invite)
            phone.settimeout(5)
            data, source = phone.recvfrom(65535)
            assert data.startswith(b"INVITE "), data[:200]
            assert source == (lab.vip, lab.sip_port)
            head = data.decode().split("\r\n\r\n", 1)[0].split("\r\n")
            phone.sendto(busy(head), source)
            final = next((r for r in caller.responses(5) if r.code >= 200), None)
            assert final is not None and final.code == 486, final
            caller.send(ack(invite, final))
        finally:
            caller.close()
    finally:
        phone.close()
    # Any node's outbound traffic is translated (the iRule matches both pool members), the
    # backup's too: a datagram from each node's service address reaches the client as the VIP.
    for node in lab.nodes.values():
        assert udp_source_seen_by_client(lab, node) == lab.vip, node


def busy(head):
    keep = [line for line in head[1:]
            if line.split(":", 1)[0].strip().lower() in ("via", "from", "call-id", "cseq", "to")]
    keep = [line + ";tag=phone" if line.lower().startswith("to:") else line for line in keep]
    return ("SIP/2.0 486 Busy Here\r\n" + "\r\n".join(keep) +
            "\r\nContent-Length: 0\r\n\r\n").encode()


def ack(invite, final):
    """RFC 3261 17.1.1.3: the ACK of a non-2xx has the INVITE's Via and the response's To."""
    head = invite.decode().split("\r\n\r\n", 1)[0].split("\r\n")
    uri = head[0].split(" ")[1]
    lines = [f"ACK {uri} SIP/2.0"]
    for line in head[1:]:
        name = line.split(":", 1)[0].strip().lower()
        if name in ("via", "from", "call-id", "max-forwards"):
            lines.append(line)
    lines.append(f"To: {final.get('to')}")
    lines.append("CSeq: 1 ACK")
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def udp_source_seen_by_client(lab, node):
    """Sends a datagram from node's service address to a listener in the client namespace; the
    source address the listener saw."""
    with lab.client.entered():
        listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        listener.bind((lab.client.address, 0))
        port = listener.getsockname()[1]
        with node.ns.entered():
            sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sender.bind((node.service_address, 0))
            sender.sendto(b"pairlab snat probe", (lab.client.address, port))
        finally:
            sender.close()
        listener.settimeout(5)
        data, source = listener.recvfrom(100)
        assert data == b"pairlab snat probe"
        return source[0]
    finally:
        listener.close()


def test_stop_leaves_nothing_behind(lab):
    pids = [pid for node in lab.nodes.values() for pid in node.pids.values()]
    pids.append(lab.bigip.monitor.pid)
    names = [ns.name for ns in lab.namespaces()]
    assert len(pids) >= 7 and all(netns.start_time(pid) for pid in pids)
    links = {name: set(netns.Namespace(name).links()) for name in names}
    assert {"svc0", "ha0"} <= links[lab.a.ns.name]
    assert {"br0", "ext0", "port-a", "port-b"} <= links[lab.bigip.ns.name]
    started = time.monotonic()
    problems = lab.stop()
    assert not problems, "\n".join(problems)
    assert time.monotonic() - started < 30
    assert not [name for name in names if netns.exists(name)]
    alive = [pid for pid in pids if netns.start_time(pid) is not None and
             open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"]
    assert not alive, alive
    assert not os.path.exists(lab.workdir)
    # The veths lived in the lab's namespaces only; none ended up in this one.
    here = subprocess.run(["ip", "-o", "link", "show", "type", "veth"], capture_output=True,
                          text=True, check=True).stdout
    assert not [line for line in here.splitlines()
                if any(f": {n}@" in line for n in ("svc0", "ha0", "ext0", "port-a", "port-b"))]


def test_takeover_lab_moves_the_vip(tmp_path):
    """`--takeover`: no BIG-IP; the primary's sipha-netcfg holds the VIP on the LAN and moves it
    with the role (roles set by the lab here, agent or not, so the test decides them)."""
    if os.geteuid() != 0:
        pytest.skip("the pair lab needs root")
    bin_dir = os.path.dirname(os.path.abspath(sipd_binary()))
    lab = Lab(bin_dir, takeover=True, static_roles=True, prefix=f"ptko{os.getpid()}")
    try:
        lab.start(timeout=60)
        assert lab.a.holds_vip() and not lab.b.holds_vip()
        c = client_udp(lab)
        try:
            resp = c.exchange(sip.request("OPTIONS", f"sip:{lab.vip}:{lab.sip_port}", "UDP",
                                          c.local))
            assert resp is not None and resp.code == 200, resp
            assert lab.client.address in sources(lab.a, "GetOptionsSources")
            wait_for(lambda: lab.b.sipd_property("ReadyForSwitchover"), 10, what="b ready")
            lab.set_roles("b")
            wait_for(lambda: lab.b.holds_vip() and not lab.a.holds_vip(), 5, what="VIP on b")
            # The client's neighbour entry follows the gratuitous ARP: the same socket reaches b.
            wait_for(lambda: (r := c.exchange(sip.request(
                "OPTIONS", f"sip:{lab.vip}:{lab.sip_port}", "UDP", c.local), timeout=0.5))
                is not None and r.code == 200, 10, what="OPTIONS answered after the move")
            assert lab.client.address in sources(lab.b, "GetOptionsSources")
        finally:
            c.close()
    finally:
        problems = lab.stop()
    assert not problems, "\n".join(problems)
    assert not [ns.name for ns in lab.namespaces() if ns.exists()]
