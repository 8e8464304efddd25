"""sipha-agent processes for the pair harness (harness/pair.py): each node's agent reads the
node's own configuration file (its [ha] options added by agent_options()), runs in the pair's
namespace on the node's private bus, and is stopped by pid.

Addresses: the HA link and the service network must be two paths, so the HA link (and sipd's
replication) moves to 127.0.1.x while the service network keeps 127.0.0.x (NODE_IPS); the
witness is 127.0.0.1 (loopback answers ICMP echo)."""

import os
import signal
import subprocess

from . import net, pair as pair_mod

HA_IPS = {"a": "127.0.1.2", "b": "127.0.1.3"}
WITNESS = "127.0.0.1"
OBJECT = "/org/sipha/Agent1"
IFACE = "org.sipha.Agent1"


def agent_binary():
    path = os.environ.get("SIPHA_AGENT")
    if not path:
        raise AssertionError("set SIPHA_AGENT to the sipha-agent binary (CTest does)")
    return path


def write_pair_key(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(os.urandom(32).hex() + "\n")
    return path


def agent_options(tmpdir, **extra):
    """node_ha for pair.Pair: the [ha] options of both nodes' agents (and the HA link on
    127.0.1.x); `extra` is added to both."""
    key = write_pair_key(os.path.join(str(tmpdir), "pair.key"))
    options = {}
    for name, other in (("a", "b"), ("b", "a")):
        options[name] = {
            "node-id": name,
            "replication-address": HA_IPS[name],
            "peer-address": HA_IPS[other],
            "peer-service-address": pair_mod.NODE_IPS[other],
            "pair-key": key,
            "witness": WITNESS,
            "startup-wait-ms": "500",
            **extra,
        }
    return options


class Agent:
    """One node's sipha-agent."""

    def __init__(self, binary, node, bus, ns):
        self.binary = binary
        self.node = node
        self.bus = bus
        self.ns = ns
        self.log_path = os.path.join(node.tmpdir, "agent.log")
        self.proc = None
        self.stopped = False

    def start(self):
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.bus.address)
        env.pop("NOTIFY_SOCKET", None)
        log = open(self.log_path, "a")
        try:
            self.proc = subprocess.Popen([*self.ns.prefix, self.binary, "--config",
                                          self.node.config_path], env=env, stdout=log,
                                         stderr=log, stdin=subprocess.DEVNULL)
        finally:
            log.close()
        net.wait_for(lambda: "org.sipha.Agent1" in self.bus.names() or self.proc.poll() is not None,
                     10, what=f"agent {self.node.name} on the bus")
        if self.proc.poll() is not None:
            raise AssertionError(f"agent {self.node.name} exited {self.proc.returncode}:\n"
                                 f"{self.log()}")
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait(10)

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)
        self.stopped = True

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)
        self.stopped = False

    def stop(self):
        """SIGTERM; returns the exit code (0: a clean stop; an agent the test killed is not
        asked again)."""
        if not self.alive():
            return 0
        if self.stopped:
            self.resume()
        self.proc.terminate()
        try:
            return self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            return -9

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def get(self, name):
        return self.bus.busctl_json("get-property", "org.sipha.Agent1", OBJECT, IFACE, name)["data"]

    def role(self):
        return self.get("Role")

    def history(self):
        return self.bus.busctl_json("call", "org.sipha.Agent1", OBJECT, IFACE,
                                    "GetHistory")["data"][0]

    def switchover(self):
        """dbus-send Switchover: (ok, output with the error name on failure)."""
        return self.bus.dbus_send("org.sipha.Agent1", OBJECT, f"{IFACE}.Switchover", timeout=15)


def roles(pair):
    """{node: (sipd's role, sipd's epoch)} of the nodes whose sipd runs and answers."""
    out = {}
    for name, node in pair.nodes.items():
        if node.alive() and not node.stopped:
            out[name] = (node.get_property("Role"), int(node.get_property("Epoch")))
    return out


def primaries(pair):
    return sorted(name for name, (role, _) in roles(pair).items() if role == "primary")


def wait_one_primary(pair, timeout=10, exclude=()):
    """Waits until exactly one running sipd is primary (not one of `exclude`); returns it."""
    def check():
        found = primaries(pair)
        return found[0] if len(found) == 1 and found[0] not in exclude else None
    return net.wait_for(check, timeout, interval=0.02, what="exactly one primary sipd")
