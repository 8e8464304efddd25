"""sipha-agent with the real sipds of a pair (harness/pair.py: one namespace, two private
buses, an nftables stand-in for the BIG-IP that the test points at the primary): the role
decision carried out — one primary at a simultaneous start, sipd's death and hang seen at once,
a killed agent, heartbeat paths cut, org.sipha.Agent1 and its history (docs/ha-agent.md)."""

import os
import socket
import subprocess

import pytest

from conftest import sipd_binary
from harness import agents as agents_mod, net, pair as pair_mod


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return pair_mod.PairCerts(tmp_path_factory.mktemp("agent-certs"))


class AgentPair:
    """A pair with an agent per node; close() stops everything by pid."""

    def __init__(self, tmp_path, certs, extensions=(), **agent_extra):
        self.pair = pair_mod.Pair(sipd_binary(), tmp_path / "pair", certs, extensions=extensions,
                                  node_ha=agents_mod.agent_options(tmp_path, **agent_extra))
        self.agents = {name: agents_mod.Agent(agents_mod.agent_binary(), node,
                                              self.pair.buses[name], self.pair.ns)
                       for name, node in self.pair.nodes.items()}

    def start(self):
        for node in self.pair.nodes.values():
            node.start_node()
        for agent in self.agents.values():
            agent.start()
        primary = agents_mod.wait_one_primary(self.pair)
        self.pair.set_target(primary)
        return primary

    def other(self, name):
        return "b" if name == "a" else "a"

    def close(self):
        failures = []
        for name, agent in self.agents.items():
            code = agent.stop()
            if code != 0:
                failures.append(f"agent {name} exited {code}:\n{agent.log()[-3000:]}")
        failures += self.pair.close()
        return failures

    def explain(self):
        text = ""
        for name, agent in self.agents.items():
            text += f"\n--- agent {name} log:\n{agent.log()[-4000:]}"
        return text + self.pair.explain()


@pytest.fixture
def make_agent_pair(tmp_path, certs):
    made = []

    def make(**kwargs):
        p = AgentPair(tmp_path, certs, **kwargs)
        made.append(p)
        return p

    yield make
    failures = []
    for p in made:
        failures += p.close()
    assert not failures, "\n".join(failures)


def reasons(agent):
    return [entry[5] for entry in agent.history()]


def test_simultaneous_start_gives_one_primary_and_the_backup_follows(make_agent_pair):
    p = make_agent_pair(extensions=("7001",))
    primary = p.start()
    backup = p.other(primary)
    # The tie-break (equal epochs: the lower node id) picks a; the backup takes its epoch and
    # replicates from it.
    assert primary == "a", p.explain()
    roles = agents_mod.roles(p.pair)
    assert roles == {"a": ("primary", 1), "b": ("backup", 1)}, p.explain()
    p.pair.nodes[backup].wait_ready(True)
    a, b = p.agents["a"], p.agents["b"]
    net.wait_for(lambda: b.get("ReadyForSwitchover") and a.get("PeerReady"), 10,
                 what="readiness seen by both agents")
    assert a.get("Role") == "primary" and a.get("Epoch") == 1
    assert a.get("PeerNodeId") == "b" and a.get("PeerRole") == "backup"
    assert b.get("PeerRole") == "primary" and b.get("PeerEpoch") == 1
    assert a.get("WitnessReachable") is True and a.get("Witness") == agents_mod.WITNESS
    paths = {name: alive for name, alive, _ in a.get("PeerPaths")}
    assert paths == {"ha-link": True, "service": True}
    assert "tie-break" in reasons(a)
    last = a.get("LastTransition")
    assert last[2] == "primary" and last[3] == "primary" and last[4] == 1
    counters = dict(a.get("Counters"))
    assert counters["heartbeats.received"] > 0 and counters["heartbeats.dropped.bad-mac"] == 0
    # Through the VIP, to the primary.
    assert p.pair.register("7001", contact="sip:7001@127.0.0.1:5999").code == 200


def test_sipd_killed_on_the_primary_the_backup_takes_over_and_keeps_registrations(
        make_agent_pair):
    phones = [f"70{n:02d}" for n in range(1, 21)]
    p = make_agent_pair(extensions=phones)
    primary = p.start()
    backup = p.other(primary)
    p.pair.nodes[backup].wait_ready(True)
    for n, user in enumerate(phones):
        assert p.pair.register(user, contact=f"sip:{user}@127.0.0.1:{6000 + n}").code == 200
    p.pair.nodes[primary].kill()
    assert agents_mod.wait_one_primary(p.pair, timeout=5) == backup, p.explain()
    p.pair.set_target(backup)
    answers = p.pair.query_all(phones)
    lost = [u for u, r in answers.items() if r is None or r.code != 200 or not r.all("contact")]
    assert not lost, f"bindings lost at the switchover: {lost}" + p.explain()
    assert "peer-failing" in reasons(p.agents[backup]), p.explain()
    assert "local-sipd-failing" in reasons(p.agents[primary]), p.explain()
    assert p.agents[primary].get("LocalSipd") == "dead"
    # Its sipd restarted comes back as a backup of the new epoch (the agent tells it).
    p.pair.nodes[primary].start_node()
    net.wait_for(lambda: agents_mod.roles(p.pair).get(primary) == ("backup", 2), 10,
                 what="the restarted sipd is a backup of epoch 2")
    p.pair.nodes[primary].wait_ready(True)
    assert agents_mod.primaries(p.pair) == [backup]


def test_a_hung_sipd_is_seen_and_replaced(make_agent_pair):
    p = make_agent_pair()
    primary = p.start()
    backup = p.other(primary)
    p.pair.nodes[backup].wait_ready(True)
    p.pair.nodes[primary].pause()  # SIGSTOP: on the bus, answering nothing
    assert agents_mod.wait_one_primary(p.pair, timeout=5) == backup, p.explain()
    assert p.agents[primary].get("LocalSipd") == "hung"
    p.pair.nodes[primary].resume()
    # Back, it is told it is a backup (it had the primary role when it froze).
    net.wait_for(lambda: agents_mod.roles(p.pair).get(primary, ("?",))[0] == "backup", 5,
                 what="the thawed sipd demoted")
    assert agents_mod.primaries(p.pair) == [backup]


def test_a_killed_agent_leaves_its_serving_sipd_alone_until_it_returns(make_agent_pair):
    p = make_agent_pair()
    primary = p.start()
    backup = p.other(primary)
    p.pair.nodes[backup].wait_ready(True)
    p.agents[primary].kill()
    # The peer falls silent, but the service address probe sees the old primary still serving:
    # the backup does not promote (that would be two primaries).
    net.wait_for(lambda: "service-address-served" in reasons(p.agents[backup]), 5,
                 what="the backup's promotion abandoned: the service address is served")
    assert agents_mod.primaries(p.pair) == [primary]
    # The agent returns (systemd restarts it): its sipd still serves with the epoch on disk, so
    # it resumes the role instead of demoting it (the calls it holds stay).
    p.agents[primary].start()
    net.wait_for(lambda: "resumed-primary" in reasons(p.agents[primary]), 5,
                 what="the restarted agent resumed the primary role")
    assert agents_mod.primaries(p.pair) == [primary]
    assert agents_mod.roles(p.pair) == {primary: ("primary", 1), backup: ("backup", 1)}


def drop_heartbeats(pair, path_ips, table="cut"):
    """Drops the agents' heartbeats (UDP 7700) between the addresses of one path."""
    rules = "".join(f"    ip saddr {ip} udp dport 7700 drop;\n" for ip in path_ips)
    pair.ns.nft(f"table inet {table} {{\n  chain out {{ type filter hook output priority 0;\n"
                f"{rules}  }}\n}}\n")


def test_one_heartbeat_path_cut_changes_nothing_and_both_cut_makes_no_second_primary(
        make_agent_pair):
    p = make_agent_pair()
    primary = p.start()
    backup = p.other(primary)
    a = p.agents[primary]
    drop_heartbeats(p.pair, agents_mod.HA_IPS.values(), "ha")
    net.wait_for(lambda: {n: alive for n, alive, _ in a.get("PeerPaths")} ==
                 {"ha-link": False, "service": True}, 5, what="HA link dead, service alive")
    assert agents_mod.primaries(p.pair) == [primary]
    assert p.agents[backup].get("PeerRole") == "primary"
    # Both paths: the backup hears nothing, but the probe sees the primary serve.
    drop_heartbeats(p.pair, pair_mod.NODE_IPS.values(), "service")
    net.wait_for(lambda: "service-address-served" in reasons(p.agents[backup]), 5,
                 what="the backup's promotion abandoned: the service address is served")
    assert agents_mod.primaries(p.pair) == [primary]
    for table in ("ha", "service"):
        p.pair.ns.run("nft", "delete", "table", "inet", table)
    net.wait_for(lambda: all(alive for _, alive, _ in a.get("PeerPaths")), 5,
                 what="both paths alive again")
    assert agents_mod.primaries(p.pair) == [primary]


def test_a_bad_configuration_is_refused_with_file_line_and_option(tmp_path):
    key = agents_mod.write_pair_key(str(tmp_path / "pair.key"))
    config = tmp_path / "sipha.ini"
    config.write_text("[TServer]\nsip-interface = 127.0.0.2\nsip-address = 127.0.0.10\n"
                      "[ha]\nmode = pair\npeer-address = 127.0.1.3\n"
                      "certificate = /c.pem\nprivate-key = /k.pem\nca = /ca.pem\n"
                      f"pair-key = {key}\nwitness = 127.0.0.1\ndead-interval-ms = banana\n")
    result = subprocess.run([agents_mod.agent_binary(), "--config", str(config)],
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 1
    assert f"{config}:12: option 'ha.dead-interval-ms'" in result.stderr, result.stderr
    os.chmod(key, 0o640)  # readable by the group: a secret that is not one
    config.write_text(config.read_text().replace("dead-interval-ms = banana\n", ""))
    result = subprocess.run([agents_mod.agent_binary(), "--config", str(config), "--check"],
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 1
    assert "ha.pair-key" in result.stderr and "group" in result.stderr, result.stderr
    os.chmod(key, 0o600)
    result = subprocess.run([agents_mod.agent_binary(), "--config", str(config), "--check"],
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 0, result.stderr


class MonitorStandIn:
    """The BIG-IP's UDP monitor, in the pair's namespace: an OPTIONS from 127.0.0.1 (the
    witness, standing for the self IP) to each node in `targets` every 200 ms."""

    def __init__(self, pair, targets):
        import threading
        self.targets = set(targets)
        self.stopping = threading.Event()
        with pair.ns.entered():
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind((agents_mod.WITNESS, 0))
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        port = self.sock.getsockname()[1]
        n = 0
        while not self.stopping.wait(0.2):
            for name in list(self.targets):
                n += 1
                ip = pair_mod.NODE_IPS[name]
                msg = (f"OPTIONS sip:{ip}:5060 SIP/2.0\r\n"
                       f"Via: SIP/2.0/UDP {agents_mod.WITNESS}:{port};branch=z9hG4bK-mon{n}\r\n"
                       f"From: <sip:monitor@{agents_mod.WITNESS}>;tag=m{n}\r\n"
                       f"To: <sip:{ip}>\r\nCall-ID: mon{n}@bigip\r\nCSeq: 1 OPTIONS\r\n"
                       "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
                self.sock.sendto(msg.encode(), (ip, 5060))

    def close(self):
        self.stopping.set()
        self.thread.join(5)
        self.sock.close()


def test_probe_awareness_a_primary_the_monitor_no_longer_reaches_hands_over(make_agent_pair):
    p = make_agent_pair(**{"monitor-timeout-ms": "1000"})
    primary = p.start()
    backup = p.other(primary)
    p.pair.nodes[backup].wait_ready(True)
    monitor = MonitorStandIn(p.pair, targets=("a", "b"))
    try:
        a, b = p.agents[primary], p.agents[backup]
        net.wait_for(lambda: a.get("Monitored") and a.get("PeerMonitored"), 5,
                     what="both nodes seen by the monitor")
        # The monitor reaches only the backup now (the primary's service link is broken for
        # the BIG-IP): after the monitor timeout the primary hands over.
        monitor.targets = {backup}
        assert agents_mod.wait_one_primary(p.pair, timeout=5, exclude=(primary,)) == backup, \
            p.explain()
        assert "monitor-lost" in reasons(a), p.explain()
        assert "peer-handed-over" in reasons(b), p.explain()
        assert not a.get("Monitored") and b.get("Monitored")
    finally:
        monitor.close()


def siphactl(agent, *args):
    binary = os.path.join(os.path.dirname(agents_mod.agent_binary()), "siphactl")
    return subprocess.run([binary, "--bus", agent.bus.address, *args], capture_output=True,
                          text=True, timeout=20)


def test_switchover_moves_the_role_to_the_ready_backup_and_is_refused_with_reasons(
        make_agent_pair):
    p = make_agent_pair(extensions=("7001",))
    primary = p.start()
    backup = p.other(primary)
    old, new = p.agents[primary], p.agents[backup]
    # Not ready (its replication link reset): refused, nothing changes.
    p.pair.cut_link()
    p.pair.nodes[backup].wait_ready(False)
    net.wait_for(lambda: old.get("PeerReady") is False, 5, what="the primary sees it not ready")
    ok, out = old.switchover()
    assert not ok and "SwitchoverRefused" in out and "not ready" in out, out
    assert agents_mod.primaries(p.pair) == [primary]
    p.pair.restore_link()
    p.pair.nodes[backup].wait_ready(True)
    net.wait_for(lambda: old.get("PeerReady"), 5, what="the primary sees it ready")
    assert p.pair.register("7001", contact="sip:7001@127.0.0.1:5999").code == 200
    # The operator's command: answered once the peer took over, with its epoch.
    result = siphactl(old, "switchover")
    assert result.returncode == 0, result.stdout + result.stderr + p.explain()
    assert agents_mod.primaries(p.pair) == [backup]
    assert agents_mod.roles(p.pair) == {primary: ("backup", 2), backup: ("primary", 2)}
    assert {"switchover-requested", "switchover-done", "peer-took-over"} <= set(reasons(old))
    assert "peer-handed-over" in reasons(new)
    p.pair.set_target(backup)
    answers = p.pair.query_all(["7001"])
    assert answers["7001"] is not None and answers["7001"].all("contact"), p.explain()
    # Asked on the backup: refused, and siphactl says where to run it.
    ok, out = old.switchover()
    assert not ok and "not the primary" in out, out
    result = siphactl(old, "switchover")
    assert result.returncode == 1 and "run" in result.stdout + result.stderr, result
    status = siphactl(new, "status", "--json")
    assert status.returncode == 0 and '"primary"' in status.stdout, status


def test_stopping_the_primarys_agent_hands_over_first(make_agent_pair):
    p = make_agent_pair()
    primary = p.start()
    backup = p.other(primary)
    p.pair.nodes[backup].wait_ready(True)
    net.wait_for(lambda: p.agents[primary].get("PeerReady"), 5, what="the backup seen ready")
    assert p.agents[primary].stop() == 0  # SIGTERM, as systemctl stop or a reboot
    # It returned after the handover: the backup already holds the role, and the stopped
    # node's sipd was told it is a backup.
    assert agents_mod.roles(p.pair) == {primary: ("backup", 2), backup: ("primary", 2)}
    assert "peer-handed-over" in reasons(p.agents[backup])
    assert "stopping (peer-took-over)" in p.agents[primary].log()


def test_a_restarted_agent_promotes_above_the_epoch_its_node_followed(make_agent_pair):
    """Epochs are fencing tokens: a backup that followed the primary's epoch keeps it on disk,
    so after its agent restarts and the primary is gone it promotes with a higher one, never
    with an epoch the other node already served with."""
    p = make_agent_pair()
    primary = p.start()
    backup = p.other(primary)
    p.pair.nodes[backup].wait_ready(True)
    net.wait_for(lambda: p.agents[primary].get("PeerReady"), 5, what="the backup seen ready")
    ok, out = p.agents[primary].switchover()  # the other node now serves with epoch 2
    assert ok, out
    assert agents_mod.roles(p.pair) == {primary: ("backup", 2), backup: ("primary", 2)}
    p.agents[primary].kill()
    p.agents[backup].kill()
    p.pair.nodes[backup].kill()
    p.agents[primary].start()
    net.wait_for(lambda: agents_mod.roles(p.pair).get(primary) == ("primary", 3), 10,
                 what="the restarted agent's node primary with epoch 3")
