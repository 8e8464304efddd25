"""A hot-standby pair of sipds on 127.0.0.1 for the replication lines (docs/replication.md).

Node A (primary) and node B (backup) each get their own private dbus-daemon (both own
org.sipha.Sipd1), their own NOTIFY_SOCKET, SIP port and replication port; the HA link is TLS
1.3 with certificates of a pair CA the bench makes with openssl (EC P-256). SIPp talks to the
primary directly: no namespace, no VIP. Roles come over D-Bus (SetRole primary/backup, epoch
1); the pair is ready when B's ReadyForSwitchover is true and A's ReplicationState is
"streaming", and A answers OPTIONS. Every process (sipds, dbus-daemons) is started by
procs.start and stopped by its pid.
"""

import json
import os
import select
import subprocess
import time

import procs
from servers import HOST, Sipd, probeOptions

BUS_NAME = "org.sipha.Sipd1"
OBJECT = "/org/sipha/Sipd1"
INTERFACE = "org.sipha.Sipd1"

# The tests' permissive private system bus (anyone may own and call anything); the bench gives
# it an address in its temporary directory and reads the address dbus-daemon prints when ready.
BUS_CONFIG = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tests", "data", "dbus", "system-test.conf")


def makeCertificates(directory):
    """The pair's CA and a certificate for each node signed by it (EC P-256, 2 days), made
    with the openssl command line. Returns {"ca": path, "a": (cert, key), "b": (cert, key)}."""
    os.makedirs(directory, exist_ok=True)

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ca, caKey = os.path.join(directory, "ca.crt"), os.path.join(directory, "ca.key")
    openssl("req", "-x509", *ec, "-keyout", caKey, "-out", ca, "-days", "2",
            "-subj", "/CN=sipha-bench-pair-ca")
    out = {"ca": ca}
    for node in ("a", "b"):
        key, csr, cert = (os.path.join(directory, node + ext) for ext in (".key", ".csr", ".crt"))
        openssl("req", *ec, "-keyout", key, "-out", csr, "-subj", f"/CN=sipd-{node}")
        openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial",
                "-out", cert, "-days", "2")
        out[node] = (cert, key)
    return out


def haOptions(node, certs, ownPort, peerPort):
    """[ha] of one node: mode = pair on 127.0.0.1, its own replication port and the peer's."""
    cert, key = certs[node]
    return {"mode": "pair", "node-id": node, "peer-address": HOST,
            "replication-address": HOST, "replication-port": ownPort,
            "peer-replication-port": peerPort, "certificate": cert, "private-key": key,
            "ca": certs["ca"]}


def parseCounters(text):
    """busctl --json=short get-property ... Counters -> {name: int}."""
    return {name: int(value) for name, value in json.loads(text)["data"].items()}


def parseBytesSent(text):
    """The sum of `bytes_sent:N` in `ss -ti` output (the HA link has one connection); None
    when there is none."""
    found = [int(word.split(":", 1)[1]) for word in text.split()
             if word.startswith("bytes_sent:") and word.split(":", 1)[1].isdigit()]
    return sum(found) if found else None


class Bus:
    """A private dbus-daemon in the foreground on workDir/<tag>-bus.sock, pinned to `cpu`."""

    def __init__(self, workDir, tag, cpu):
        self.socket_ = os.path.join(workDir, f"{tag}-bus.sock")
        self.logPath_ = os.path.join(workDir, f"{tag}-bus.log")
        self.cpu_ = cpu
        self.proc_ = None
        self.address = "unix:path=" + self.socket_

    def start(self, timeout=10.0):
        """Starts the bus; True once it printed its address (it is listening then)."""
        if os.path.exists(self.socket_):
            os.unlink(self.socket_)
        with open(self.logPath_, "ab") as log:
            self.proc_ = procs.start(procs.pinned(self.cpu_, [
                "dbus-daemon", f"--config-file={BUS_CONFIG}", f"--address={self.address}",
                "--nofork", "--nopidfile", "--print-address=1"]),
                stdout=subprocess.PIPE, stderr=log)
        ready, _, _ = select.select([self.proc_.stdout], [], [], timeout)
        return bool(ready) and self.proc_.stdout.readline().strip() != b""

    def busctl(self, *args, timeout=10.0):
        """busctl on this bus; a CompletedProcess (returncode 124 when it timed out)."""
        argv = ["busctl", f"--address={self.address}", *map(str, args)]
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(argv, 124, "", "busctl timed out")

    def stop(self):
        procs.stop(self.proc_)
        self.proc_ = None


class SipdPair:
    """Two sipds in [ha] mode = pair: A primary on CPU `primaryCpu`, B backup on `backupCpu`.
    writerFor(haOptions) -> a configs.sipdConfigWriter for that node (both nodes get the same
    config but for [ha])."""

    def __init__(self, workDir, binary, writerFor, certs, primaryCpu=0, backupCpu=1):
        self.workDir_, self.binary_, self.writerFor_, self.certs_ = (workDir, binary, writerFor,
                                                                     certs)
        self.cpus_ = {"a": primaryCpu, "b": backupCpu}
        self.buses_, self.nodes_ = {}, {}
        self.ports_ = {}
        self.why = ""

    @property
    def primary(self):
        return self.nodes_.get("a")

    @property
    def backup(self):
        return self.nodes_.get("b")

    @property
    def port(self):
        """The primary's SIP port (where SIPp sends)."""
        return self.primary.port

    def start(self, timeout=30.0):
        """Starts buses and sipds, sets the roles, waits until the backup is ready for a
        switchover and the primary streams and answers OPTIONS. False (self.why says why) when
        not within `timeout`."""
        self.stop()
        self.why = ""
        ports = self.ports_ = {"a": procs.freeUdpTcpPort(HOST), "b": procs.freeUdpTcpPort(HOST)}
        for node in ("a", "b"):
            bus = self.buses_[node] = Bus(self.workDir_, f"pair-{node}", self.cpus_["b"])
            if not bus.start():
                self.why = f"dbus-daemon of node {node} did not start"
                return False
            peer = "b" if node == "a" else "a"
            writer = self.writerFor_(haOptions(node, self.certs_, ports[node], ports[peer]))
            self.nodes_[node] = Sipd(self.workDir_, self.binary_, writer, cpu=self.cpus_[node],
                                     tag=f"pair-{node}", busAddress=bus.address)
        for node in ("a", "b"):
            if not self.nodes_[node].start(probe=False):
                self.why = (f"sipd {node} did not start: "
                            f"{self.nodes_[node].logTail(3).strip()}")
                return False
        deadline = time.monotonic() + timeout
        for node, role in (("a", "primary"), ("b", "backup")):
            if not self.setRole_(node, role, deadline):
                return False
        while time.monotonic() < deadline:
            if not (self.primary.alive() and self.backup.alive()):
                self.why = "a sipd of the pair exited: " + self.describe()
                return False
            if (self.property("b", "ReadyForSwitchover") is True
                    and self.property("a", "ReplicationState") == "streaming"):
                if probeOptions(self.port, deadline):
                    return True
                self.why = "the primary did not answer OPTIONS"
                return False
            time.sleep(0.05)
        self.why = "the backup was not ready for a switchover in time: " + self.describe()
        return False

    def setRole_(self, node, role, deadline):
        while True:  # until sipd owns its bus name
            done = self.buses_[node].busctl("call", BUS_NAME, OBJECT, INTERFACE, "SetRole", "st",
                                            role, 1)
            if done.returncode == 0:
                return True
            if time.monotonic() >= deadline or not self.nodes_[node].alive():
                self.why = f"SetRole {role} on node {node} failed: {done.stderr.strip()}"
                return False
            time.sleep(0.05)

    def property(self, node, name):
        """A D-Bus property of node "a" or "b" (JSON-decoded), or None."""
        done = self.buses_[node].busctl("--json=short", "get-property", BUS_NAME, OBJECT,
                                        INTERFACE, name)
        if done.returncode != 0:
            return None
        try:
            return json.loads(done.stdout)["data"]
        except (ValueError, KeyError):
            return None

    def counters(self, node):
        """{counter: value} of node "a" or "b" (D-Bus Counters); {} when it did not answer."""
        done = self.buses_[node].busctl("--json=short", "get-property", BUS_NAME, OBJECT,
                                        INTERFACE, "Counters")
        if done.returncode != 0:
            return {}
        try:
            return parseCounters(done.stdout)
        except (ValueError, KeyError, TypeError):
            return {}

    def describe(self):
        """Roles, replication states and the replication counters that are not 0."""
        parts = []
        for node in ("a", "b"):
            counters = {k[len("replication."):]: v for k, v in self.counters(node).items()
                        if k.startswith("replication.") and v}
            parts.append(f"{node}: role={self.property(node, 'Role')} "
                         f"state={self.property(node, 'ReplicationState')} "
                         f"ready={self.property(node, 'ReadyForSwitchover')} {counters}")
        return "; ".join(parts)

    def waitFor(self, predicate, timeout, interval=0.25, progress=None, stallSeconds=5.0):
        """Polls predicate(primaryCounters, backupCounters) until True or `timeout`, or until
        progress(primary, backup) (e.g. the backup's applied sequence) has not changed for
        `stallSeconds`; returns the last (primary, backup) counters and whether it held."""
        deadline = time.monotonic() + timeout
        last, changedAt = None, time.monotonic()
        while True:
            seen = (self.counters("a"), self.counters("b"))
            if predicate(*seen):
                return seen, True
            now = time.monotonic()
            if progress is not None:
                value = progress(*seen)
                if value != last:
                    last, changedAt = value, now
            if (now >= deadline or (progress is not None and now - changedAt >= stallSeconds)
                    or not (self.primary.alive() and self.backup.alive())):
                return seen, False
            time.sleep(interval)

    def linkBytesSent(self):
        """TCP payload bytes the primary sent on the HA link so far (TLS records: frames plus
        the TLS overhead), from the kernel (`ss -ti`, bytes_sent of the connection from its
        replication port); None when ss does not say."""
        port = self.ports_["a"]
        try:
            done = subprocess.run(["ss", "-Htin", "state", "established",
                                   f"( sport = :{port} )"], capture_output=True, text=True,
                                  timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return parseBytesSent(done.stdout)

    def logTails(self, lines=5):
        return {node: sipd.logTail(lines) for node, sipd in self.nodes_.items()}

    def stop(self):
        for node in ("a", "b"):
            if node in self.nodes_:
                self.nodes_.pop(node).stop()
        for node in ("a", "b"):
            if node in self.buses_:
                self.buses_.pop(node).stop()
