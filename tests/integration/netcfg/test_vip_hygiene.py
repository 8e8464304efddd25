"""VIP hygiene in takeover mode (docs/network.md, "VIP takeover"), where keepalived fails its
users:

1. a node that starts, or demotes, removes a VIP it does not own: one left on the link by a
   SIGKILLed primary (or added by hand) is gone once `serve` answers, and SetRole(backup) removes
   one this run never added;
2. the primary repeats its announcement every `announce-refresh-s` seconds, so a neighbour that
   missed the burst (here: one whose entry points elsewhere) learns the VIP; the refresh follows
   a change of the link's MAC; demoted, it stops;
3. SetRole(primary, e) at the epoch it already holds announces again at once (a full burst: the
   agent sends it after a partition healed) and changes nothing else: no address change, the
   firewall is not re-applied (the table's handle stays).

Every wait is bounded and polls real state (ip -j, tcpdump, Status); the only fixed window is
the one that shows the absence of announcements after demotion."""

import json
import os
import select
import subprocess
import time

import pytest

import netcfg_proc
from netcfg_proc import command, wait_until
from ns import Topology, write_config

V4 = {"vip": "198.51.100.10", "node": "198.51.100.1", "other": "198.51.100.2",
      "peer": "198.51.100.100", "length": "24", "vip-length": "32"}
V6 = {"vip": "2001:db8:1::10", "node": "2001:db8:1::1", "other": "2001:db8:1::2",
      "peer": "2001:db8:1::100", "length": "64", "vip-length": "128"}
# A MAC from the documentation range (RFC 7042 section 2.1.2): "the other node's", as a
# neighbour learnt it during a partition.
ELSEWHERE = "00:00:5e:00:53:01"
MOVED = "00:00:5e:00:53:02"  # the node's new MAC when its link's address changes


class Node:
    """One takeover node and a neighbour (the peer) on a bridge; the service runs on demand."""

    def __init__(self, topology, tmp, plan, **network):
        self.topology, self.tmp, self.plan = topology, tmp, plan
        self.ns = topology.namespace("node")
        self.peer = topology.namespace("peer")
        topology.attach(self.ns, "eth0")
        topology.attach(self.peer, "eth0", (f"{plan['peer']}/{plan['length']}",))
        options = {
            "mode": "takeover", "service-link": "eth0",
            "service-address": f"{plan['node']}/{plan['length']}",
            "vip-prefix-length": plan["vip-length"], "peer-service-address": plan["other"],
            "gateway": plan["peer"], "announce-count": "3", "announce-interval-ms": "100",
        }
        options.update(network)
        self.config = write_config(tmp / "node.ini", {
            "sip-address": plan["vip"], "sip-interface": plan["node"]}, options)
        self.services = []

    def serve(self):
        service = netcfg_proc.Service(self.topology, self.ns, self.config,
                                      self.tmp / f"svc{len(self.services) + 1}")
        self.services.append(service)
        return service

    def stop(self):
        """Stops every service (and its bus); their exit codes (0: clean stop, -9: killed)."""
        return [s.stop() for s in self.services]

    @property
    def ipv6(self):
        return ":" in self.plan["vip"]

    def vip_prefixes(self):
        """The VIP's prefixes on eth0 ("198.51.100.10/32"): empty when not there."""
        return {a for a in self.topology.addresses(self.ns, "eth0")
                if a.split("/")[0] == self.plan["vip"]}

    def add_vip_by_hand(self, length=None):
        extra = ["nodad"] if self.ipv6 else []
        self.topology.ip(self.ns, "address", "add",
                         f"{self.plan['vip']}/{length or self.plan['vip-length']}",
                         "dev", "eth0", *extra)

    def mac(self):
        return self.topology.mac(self.ns, "eth0")

    def firewall(self):
        """(table handle, chain names) of inet sipha in the node, or (None, set())."""
        result = self.topology.exec(self.ns, "nft", "-j", "list", "table", "inet", "sipha",
                                    check=False)
        if result.returncode != 0:
            return None, set()
        items = json.loads(result.stdout)["nftables"]
        handle = next(i["table"]["handle"] for i in items if "table" in i)
        return handle, {i["chain"]["name"] for i in items if "chain" in i}

    def peer_sees(self):
        return self.topology.neighbour(self.peer, "eth0", self.plan["vip"])

    def mislead_peer(self):
        """The peer's entry for the VIP points elsewhere (stale: it sends nothing to check)."""
        self.topology.ip(self.peer, "neigh", "replace", self.plan["vip"], "lladdr", ELSEWHERE,
                         "dev", "eth0", "nud", "stale")
        assert self.peer_sees() == ELSEWHERE

    def capture(self, count):
        """tcpdump in the peer for `count` announcements of the VIP (any sender), with
        timestamps; returns once it listens."""
        vip = self.plan["vip"]
        bpf = (f"icmp6 and ip6[40] == 136 and ip6 dst ff02::1 and ip6 src {vip}" if self.ipv6
               else f"arp and arp[6:2] == 1 and arp[14:4] == arp[24:4] and arp dst host {vip}")
        process = self.topology.spawn(self.peer, "tcpdump", "-n", "-tt", "-e", "-l", "-i", "eth0",
                                      "-c", str(count), bpf,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        seen = b""
        while b"listening on" not in seen:
            ready, _, _ = select.select([process.stderr], [], [], 10)
            chunk = os.read(process.stderr.fileno(), 4096) if ready else b""
            if not chunk:
                raise AssertionError(f"tcpdump did not start: {seen!r}")
            seen += chunk
        return process

    def announcements(self, capture, timeout):
        """[(time, sender MAC)] of the captured announcements of the VIP; tcpdump is stopped
        after `timeout` seconds when it has not seen its count by then."""
        try:
            out = capture.communicate(timeout=timeout)[0].decode()
        except subprocess.TimeoutExpired:
            capture.terminate()
            out = capture.communicate()[0].decode()
        vip = self.plan["vip"]
        wanted = f"tgt is {vip}" if self.ipv6 else f"who-has {vip} tell {vip}"
        print(out)
        return [(float(line.split()[0]), line.split()[1]) for line in out.splitlines()
                if wanted in line]


@pytest.fixture(params=[V4, V6], ids=["ipv4", "ipv6"])
def plan(request):
    return request.param


def make_node(tag, plan, tmp_path, **network):
    topology = Topology(tag + ("6" if ":" in plan["vip"] else "4"))
    try:
        return topology, Node(topology, tmp_path, plan, **network)
    except BaseException:
        topology.close()
        raise


# --- 1. a node that starts, or demotes, removes a VIP it does not own ---------------------------

def test_a_vip_left_by_a_sigkilled_primary_is_removed_at_start(plan, tmp_path):
    topology, node = make_node("k", plan, tmp_path)
    with topology:
        try:
            first = node.serve()
            first.set_role("primary", 1)
            assert node.vip_prefixes() == {f"{plan['vip']}/{plan['vip-length']}"}
            assert "nat_postrouting" in node.firewall()[1]
            first.process.kill()  # SIGKILL: no cleanup; the VIP and the SNAT stay (keepalived's
            assert first.process.wait(10) == -9  # failure: two holders once the peer takes over)
            assert node.vip_prefixes(), "the killed run's VIP should still be on the link"

            second = node.serve()  # returns once Status answers
            assert wait_until(lambda: not node.vip_prefixes(), 5), node.vip_prefixes()
            status = second.status()
            assert status["role"] == "backup" and status["holdsVip"] is False
            assert any("(vip) removed from eth0" in c for c in status["lastChanges"]), status
            assert "nat_postrouting" not in node.firewall()[1]  # no SNAT to a VIP not held
            assert status["inSync"] is True
        finally:
            codes = node.stop()
        assert codes == [-9, 0], [s.stderr() for s in node.services]


def test_a_vip_added_before_start_is_removed_at_start(plan, tmp_path):
    topology, node = make_node("s", plan, tmp_path)
    with topology:
        try:
            node.add_vip_by_hand()  # what a SIGKILLed run leaves: the VIP on the service link
            assert node.vip_prefixes()
            service = node.serve()
            assert wait_until(lambda: not node.vip_prefixes(), 5), service.stderr()
            status = service.status()
            assert status["role"] == "backup" and status["holdsVip"] is False
            # Start also adds the service address and the default route.
            assert (f"address {plan['vip']}/{plan['vip-length']} (vip) removed from eth0"
                    in status["lastChanges"]), status
        finally:
            codes = node.stop()
        assert codes == [0], [s.stderr() for s in node.services]


def test_set_role_backup_removes_a_vip_this_run_never_added(plan, tmp_path):
    topology, node = make_node("b", plan, tmp_path)
    with topology:
        try:
            service = node.serve()
            handle, _ = node.firewall()
            assert handle is not None and not node.vip_prefixes()
            # Added behind the service's back (by hand, or a prefix length of its own).
            node.add_vip_by_hand(length=plan["length"])
            assert node.vip_prefixes() == {f"{plan['vip']}/{plan['length']}"}
            service.set_role("backup", 1)
            assert wait_until(lambda: not node.vip_prefixes(), 5), service.stderr()
            status = service.status()
            assert status["epoch"] == 1 and status["holdsVip"] is False
            assert status["lastChanges"] == [
                f"address {plan['vip']}/{plan['length']} (vip) removed from eth0"], status
            # The ruleset for a backup was applied at start: not again.
            assert node.firewall()[0] == handle
        finally:
            codes = node.stop()
        assert codes == [0], [s.stderr() for s in node.services]


# --- 2. the primary repeats its announcement every announce-refresh-s ---------------------------

def test_the_primary_repeats_its_announcement_at_the_refresh_interval(plan, tmp_path):
    topology, node = make_node("r", plan, tmp_path, **{"announce-refresh-s": "1"})
    with topology:
        try:
            service = node.serve()
            capture = node.capture(count=6)  # the burst of 3, then 3 refreshes
            service.set_role("primary", 1)
            seen = node.announcements(capture, timeout=15)
            assert len(seen) == 6, seen
            assert {mac for _, mac in seen} == {node.mac()}
            gaps = [b[0] - a[0] for a, b in zip(seen, seen[1:])]
            assert all(gap < 0.6 for gap in gaps[:2]), gaps  # the burst: 100 ms apart
            assert all(0.9 <= gap <= 2.5 for gap in gaps[2:]), gaps  # then one a second

            # A neighbour whose entry points elsewhere (it missed the burst) learns the VIP
            # from a refresh alone: it sends nothing to the VIP.
            node.mislead_peer()
            assert wait_until(lambda: node.peer_sees() == node.mac(), 5), node.peer_sees()

            # The service link's MAC changes (a NIC replaced, a bond's active slave): a new burst
            # tells the peer at once, and the refreshes carry the new MAC, not the old one.
            topology.ip(node.ns, "link", "set", "eth0", "address", MOVED)
            assert wait_until(lambda: node.peer_sees() == MOVED, 5), node.peer_sees()
            later = node.capture(count=2)
            assert [mac for _, mac in node.announcements(later, timeout=10)] == [MOVED] * 2

            # Demoted: the refreshes stop (no announcement over 2.5 refresh intervals).
            service.set_role("backup", 2)
            sent = service.status()["announcements"]
            quiet = node.capture(count=1)
            assert node.announcements(quiet, timeout=2.5) == []
            assert service.status()["announcements"] == sent
        finally:
            codes = node.stop()
        assert codes == [0], [s.stderr() for s in node.services]


def test_announce_refresh_is_validated(tmp_path):
    with Topology("v") as topology:
        node = Node(topology, tmp_path, V4, **{"announce-refresh-s": "3601"})
        result = command(topology, node.ns, "status", "--config", node.config)
        assert result.returncode == 2, result.stdout + result.stderr
        assert ("node.ini:14: option 'network.announce-refresh-s': 3601 is out of range "
                "(allowed 0-3600)") in result.stderr, result.stderr


# --- 3. SetRole(primary) at the epoch held announces again, and changes nothing else -----------

def test_set_role_primary_at_the_same_epoch_announces_again(plan, tmp_path):
    # No refresh: every announcement counted here comes from a burst.
    topology, node = make_node("p", plan, tmp_path, **{"announce-refresh-s": "0"})
    with topology:
        try:
            service = node.serve()
            service.set_role("primary", 1)
            assert wait_until(lambda: service.status()["announcements"] == 3, 5)
            held = node.vip_prefixes()
            handle, chains = node.firewall()
            assert held and "nat_postrouting" in chains

            # During a partition the neighbour learnt the other node's MAC for the VIP.
            node.mislead_peer()
            capture = node.capture(count=3)
            asked = time.time()  # tcpdump -tt prints wall-clock time
            service.set_role("primary", 1)
            assert wait_until(lambda: node.peer_sees() == node.mac(), 5), node.peer_sees()
            seen = node.announcements(capture, timeout=5)
            assert len(seen) == 3 and {mac for _, mac in seen} == {node.mac()}, seen
            assert seen[0][0] - asked < 1.0, (asked, seen)  # the first at once (no refresh here)

            status = service.status()
            assert status["role"] == "primary" and status["epoch"] == 1, status
            assert status["lastChanges"] == [] and status["lastErrors"] == [], status
            assert status["announcements"] == 6, status
            assert node.vip_prefixes() == held
            assert node.firewall() == (handle, chains)  # not re-applied
            assert "announcing" in service.stderr() and "(SetRole(primary))" in service.stderr()

            # A newer epoch for the same role: the same (the agent's order is what counts).
            service.set_role("primary", 2)
            assert wait_until(lambda: service.status()["announcements"] == 9, 5)
            assert service.status()["lastChanges"] == []
            assert node.firewall() == (handle, chains)

            # A real change still re-applies the ruleset: demoted, the NAT chains go.
            service.set_role("backup", 3)
            after, chains = node.firewall()
            assert after != handle and "nat_postrouting" not in chains
            assert not node.vip_prefixes()
        finally:
            codes = node.stop()
        assert codes == [0], [s.stderr() for s in node.services]
