"""The pair lab: the appliance pair, a client side and a BIG-IP stand-in (or a plain LAN with a
floating VIP, takeover mode) in network namespaces of one machine.

BIG-IP mode (default)::

    <p>-client eth0 198.51.100.50/24 --- ext0 198.51.100.1/24  <p>-bigip: VIP 203.0.113.10
                                              br0 192.0.2.1/24  on lo, DNAT/SNAT, monitor
                                              |             |
                                         port-a             port-b
                                            |                   |
    <p>-a   svc0 192.0.2.11/24                              svc0 192.0.2.12/24   <p>-b
            ha0  198.18.0.1/30 -------------------------- ha0  198.18.0.2/30

Takeover mode: no BIG-IP; a bridge br0 in `<p>-switch` holds the gateway 192.0.2.1/24 (the
witness) and connects the client (192.0.2.50) and both service links; the VIP 192.0.2.10 is
held by the primary's sipha-netcfg.

Each node runs its own dbus-daemon (system-like policy), sipha-netcfg serve (it owns the node's
addresses and routes, its firewall and in takeover mode the VIP: the lab only creates the links),
sipd, and sipha-agent when its binary exists (otherwise the lab sets the roles itself:
`static roles`). Every process is started by the lab, known by its pid, and stopped by stop();
namespaces (and with them every link) and files are removed. A lock per prefix keeps two labs
from sharing names; a run that was killed is cleaned up by the next start with the same prefix
(or `python3 -m pairlab clean`)."""

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

from . import bus as bus_mod, certs, config as config_mod, netns
from .process import Process, ProcessError

TOOLS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN_DIR = "/run/pairlab"
NODE_NAMES = ("a", "b")
SIP_PORT = 5060
SIP_PORT_TLS = 5061
HEARTBEAT_PORT = 7700
REPLICATION_PORT = 7701  # in the firewall's default ha-ports 7700-7701

AGENT1 = ("org.sipha.Agent1", "/org/sipha/Agent1", "org.sipha.Agent1")
SIPD1 = ("org.sipha.Sipd1", "/org/sipha/Sipd1", "org.sipha.Sipd1")
NETCFG1 = ("org.sipha.Netcfg1", "/org/sipha/Netcfg1", "org.sipha.Netcfg1")

PROCESSES = ("netcfg", "sipd", "agent")  # what a Node can kill, stop, pause, restart


class LabError(RuntimeError):
    pass


def wait_for(predicate, timeout, interval=0.02, what="condition"):
    """Polls predicate() until it returns a truthy value (returned); LabError after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise LabError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Addresses:
    """The lab's addresses (the same in every lab: they live in the lab's own namespaces)."""

    def __init__(self, takeover):
        self.takeover = takeover
        self.ha = {"a": "198.18.0.1", "b": "198.18.0.2"}
        self.ha_prefix = 30
        self.service = {"a": "192.0.2.11", "b": "192.0.2.12"}
        self.service_prefix = 24
        self.gateway = "192.0.2.1"  # the BIG-IP internal self IP, or the LAN's router
        if takeover:
            self.vip = "192.0.2.10"
            self.client = "192.0.2.50"
            self.client_prefix = 24
            self.client_gateway = self.gateway
            self.trusted = f"{self.client}/32"
            self.bigip_external = None
        else:
            self.vip = "203.0.113.10"
            self.client = "198.51.100.50"
            self.client_prefix = 24
            self.bigip_external = "198.51.100.1"
            self.client_gateway = self.bigip_external
            self.trusted = "198.51.100.0/24"

    @property
    def witness(self):
        return self.gateway

    def peer(self, name):
        return "b" if name == "a" else "a"


class Node:
    """One appliance node: its namespace, bus, configuration and processes.

    Process names: "netcfg", "sipd", "agent" (kill/pause/resume/restart/stop_process/
    start_process), "dbus" (pids only)."""

    def __init__(self, lab, name):
        self.lab = lab
        self.name = name
        self.ns = netns.Namespace(f"{lab.prefix}-{name}")
        self.dir = os.path.join(lab.workdir, name)
        self.data_dir = os.path.join(self.dir, "data")
        self.config_path = os.path.join(self.dir, "sipha.ini")
        addrs = lab.addresses
        self.service_address = addrs.service[name]
        self.ha_address = addrs.ha[name]
        self.peer_name = addrs.peer(name)
        self.bus = None
        self.processes = {}
        self.sections = {}
        self.role_epoch = None  # static roles: (role, epoch) last set by the lab

    def __repr__(self):
        return f"<node {self.name} {self.ns.name} {self.service_address}>"

    # ---- identity ----------------------------------------------------------------------------

    @property
    def prefix(self):
        """`ip netns exec <ns>`: a command run under it is in the node's namespace."""
        return self.ns.prefix

    @property
    def bus_address(self):
        """`unix:path=<socket>` (the socket is reachable from every namespace)."""
        return f"unix:path={self.bus.socket}" if self.bus else None

    @property
    def env(self):
        """The environment a client of this node's bus needs (siphactl, busctl, ...)."""
        return {"DBUS_SYSTEM_BUS_ADDRESS": self.bus_address}

    @property
    def pids(self):
        """{"dbus": pid, "netcfg": pid, "sipd": pid, "agent": pid}: running processes only."""
        out = {}
        if self.bus and self.bus.alive():
            out["dbus"] = self.bus.pid
        for key, proc in self.processes.items():
            if proc.alive():
                out[key] = proc.pid
        return out

    def process(self, which):
        if which not in self.processes:
            raise LabError(f"node {self.name} has no process {which!r} "
                           f"(has {', '.join(self.processes) or 'none'})")
        return self.processes[which]

    def log_path(self, which):
        return os.path.join(self.dir, f"{which}.log")

    # ---- processes ---------------------------------------------------------------------------

    def _make(self, which, argv):
        return Process(f"{which}@{self.name}", argv, prefix=self.prefix,
                       env={"DBUS_SYSTEM_BUS_ADDRESS": self.bus.address},
                       log_path=self.log_path(which),
                       notify_path=os.path.join(self.dir, f"{which}.notify"), cwd=self.dir)

    def _start_bus(self):
        directory = os.path.join(self.dir, "bus")
        os.makedirs(directory, exist_ok=True)
        self._bus_log = open(self.log_path("dbus"), "ab")
        self.bus = bus_mod.DbusDaemon(directory, prefix=self.prefix, policy="system",
                                      stderr=self._bus_log, new_session=True)
        self.bus.start()

    def _prepare(self):
        lab = self.lab
        self._start_bus()
        self.processes["netcfg"] = self._make(
            "netcfg", [lab.binary("sipha-netcfg"), "serve", "--config", self.config_path])
        self.processes["sipd"] = self._make("sipd", [lab.binary("sipd"), "--config",
                                                     self.config_path])
        if lab.agent:
            self.processes["agent"] = self._make("agent", [lab.agent, "--config",
                                                           self.config_path])

    def _ready(self, which):
        """How each process says it is ready: sd_notify READY=1; the agent also counts as
        ready once it owns org.sipha.Agent1."""
        proc = self.processes[which]
        if which == "agent":
            return lambda: "READY=1" in proc.notify_lines or AGENT1[0] in self.bus.names()
        return lambda: "READY=1" in proc.notify_lines

    def start_process(self, which, wait=True, timeout=30):
        """Starts a stopped (or killed) process; waits until it is ready. With static roles the
        node's role is told again to a restarted sipd or netcfg (the agent's job otherwise)."""
        proc = self.process(which)
        proc.start()
        if wait:
            proc.wait_ready(timeout, self._ready(which))
            if which == "netcfg":
                self.wait_service_address(timeout)
            if self.lab.static_roles and self.role_epoch and which in ("sipd", "netcfg"):
                self._tell_role(which, *self.role_epoch)
        self.lab._save_record()
        return proc

    def stop_process(self, which, timeout=10):
        """SIGTERM (SIGKILL after timeout); returns the exit code."""
        return self.process(which).stop(timeout)

    def kill(self, which="sipd", sig=signal.SIGKILL):
        """Sends `sig` (default kill -9); for SIGKILL also reaps it. Returns its pid."""
        proc = self.process(which)
        pid = proc.pid
        if sig == signal.SIGKILL:
            proc.kill()
        else:
            proc.signal(sig)
        return pid

    def pause(self, which="sipd"):
        """SIGSTOP: the process hangs until resume()."""
        self.process(which).pause()

    def resume(self, which="sipd"):
        self.process(which).resume()

    def restart(self, which="sipd", wait=True, timeout=30):
        """Stops it if it runs (SIGTERM), starts it again; returns the Process."""
        proc = self.process(which)
        if proc.alive():
            proc.stop()
        return self.start_process(which, wait, timeout)

    def alive(self, which):
        return self.process(which).alive()

    # ---- D-Bus -------------------------------------------------------------------------------

    def busctl(self, *args, timeout=10):
        return self.bus.busctl(*args, timeout=timeout)

    def get_property(self, service, name, timeout=5):
        """A property of org.sipha.{Agent1,Sipd1,Netcfg1} (service: a tuple AGENT1, SIPD1,
        NETCFG1 or the bus name), or None when it cannot be read (no owner, hung, ...)."""
        if isinstance(service, str):
            service = {s[0]: s for s in (AGENT1, SIPD1, NETCFG1)}[service]
        try:
            return self.bus.busctl_json("get-property", *service, name, timeout=timeout)["data"]
        except (AssertionError, subprocess.TimeoutExpired, ValueError):
            return None

    def role(self):
        """The agent's Role ("primary"/"backup"), or None (no agent, no answer)."""
        return self.get_property(AGENT1, "Role")

    def current_role(self):
        """The agent's Role, or sipd's when the lab runs without agents."""
        return self.role() if self.lab.agent else self.sipd_role()

    def wait_role(self, role, timeout=30):
        wait_for(lambda: self.current_role() == role, timeout, 0.02,
                 f"node {self.name} {role}")

    def agent_property(self, name):
        return self.get_property(AGENT1, name)

    def sipd_property(self, name):
        return self.get_property(SIPD1, name)

    def sipd_role(self):
        return self.get_property(SIPD1, "Role")

    def netcfg_property(self, name):
        return self.get_property(NETCFG1, name)

    def netcfg_status(self):
        """sipha-netcfg's Status() JSON as a dict."""
        out = self.bus.busctl_json("call", *NETCFG1, "Status")
        return json.loads(out["data"][0])

    def call(self, service, member, *typed_args, timeout=10):
        """dbus-send to org.sipha.<service> (AGENT1/SIPD1/NETCFG1): (ok, output with the D-Bus
        error name on failure)."""
        return self.bus.dbus_send(service[0], service[1], f"{service[2]}.{member}",
                                  *typed_args, timeout=timeout)

    def switchover(self):
        """org.sipha.Agent1.Switchover() on this node: (ok, output)."""
        return self.call(AGENT1, "Switchover")

    def _tell_role(self, which, role, epoch):
        service = SIPD1 if which == "sipd" else NETCFG1
        ok, out = self.call(service, "SetRole", f"string:{role}", f"uint64:{epoch}")
        if not ok:
            raise LabError(f"SetRole({role}, {epoch}) on {which}@{self.name}: {out}")

    def set_role(self, role, epoch):
        """SetRole on sipd and sipha-netcfg (what the agent does; for labs without one)."""
        for which in ("netcfg", "sipd") if role == "backup" else ("sipd", "netcfg"):
            if self.processes[which].alive():
                self._tell_role(which, role, epoch)
        self.role_epoch = (role, epoch)

    # ---- network -----------------------------------------------------------------------------

    def wait_service_address(self, timeout=10):
        want = f"{self.service_address}/{self.lab.addresses.service_prefix}"
        wait_for(lambda: want in self.ns.addresses("svc0"), timeout,
                 what=f"{want} on svc0 of {self.ns.name} (sipha-netcfg)")

    def holds_vip(self):
        return f"{self.lab.addresses.vip}/32" in self.ns.addresses("svc0")

    def exec(self, *argv, **kwargs):
        """Runs a command in the node's namespace (CompletedProcess)."""
        return self.ns.run(*argv, **kwargs)


class Side:
    """The client side (or the BIG-IP's namespace): a namespace and the processes the lab runs
    in it for a test or the user."""

    def __init__(self, lab, role, address):
        self.lab = lab
        self.ns = netns.Namespace(f"{lab.prefix}-{role}")
        self.address = address
        self.dir = os.path.join(lab.workdir, role)

    @property
    def prefix(self):
        return self.ns.prefix

    def exec(self, *argv, **kwargs):
        return self.ns.run(*argv, **kwargs)

    def entered(self):
        """A context: the calling thread in this namespace (python sockets made meanwhile
        belong to it)."""
        return self.ns.entered()

    def spawn(self, name, argv, env=None, cwd=None):
        """A process in this namespace (SIPp, ...), stopped by Lab.stop(); its output in
        <dir>/<name>.log."""
        proc = Process(name, argv, prefix=self.prefix, env=env,
                       log_path=os.path.join(self.dir, f"{name}.log"), cwd=cwd or self.dir)
        self.lab.extra.append(proc)
        proc.start()
        self.lab._save_record()
        return proc


class Bigip(Side):
    """The BIG-IP stand-in: namespace, monitor process, state and log."""

    def __init__(self, lab):
        super().__init__(lab, "bigip", lab.addresses.gateway)
        self.state_path = os.path.join(self.dir, "state.json")
        self.log_path = os.path.join(self.dir, "monitor.log")
        self.config_path = os.path.join(self.dir, "monitor.json")
        self.monitor = None

    def state(self):
        """The monitor's state (see pairlab/bigip.py), or None before it wrote one."""
        try:
            with open(self.state_path) as f:
                return json.load(f)
        except (FileNotFoundError, ValueError):
            return None

    def member(self, name, pool="sip"):
        state = self.state()
        return state["pools"][pool]["members"][name] if state else None

    def member_state(self, name, pool="sip"):
        """"unchecked", "up" or "down"."""
        member = self.member(name, pool)
        return member["state"] if member else None

    def target(self, pool="sip"):
        """The node the VIP's DNAT points at ("a", "b") or None."""
        state = self.state()
        return state["pools"][pool]["target"] if state else None

    def events(self):
        """Member state and target changes, oldest first (monotonic and wall times)."""
        state = self.state()
        return state["events"] if state else []

    def wait_member(self, name, wanted, timeout, pool="sip"):
        wait_for(lambda: self.member_state(name, pool) == wanted, timeout, 0.02,
                 f"BIG-IP pool {pool} member {name} {wanted}")

    def wait_target(self, name, timeout, pool="sip"):
        wait_for(lambda: self.target(pool) == name, timeout, 0.02,
                 f"BIG-IP pool {pool} target {name}")

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except FileNotFoundError:
            return ""


class Lab:
    """The pair lab. Use as a context manager or start()/stop().

    bin_dir: where sipd and sipha-netcfg are; agent: sipha-agent's path (default
    bin_dir/sipha-agent; used only if it exists); takeover: no BIG-IP, a floating VIP;
    prefix: namespace names `<prefix>-{client,bigip|switch,a,b}` (letters, digits, '-', at most
    20 characters); workdir: files (default /run/pairlab/<prefix>); sections / node_sections:
    configuration overrides {section: {option: value or None}} for both nodes / per node name;
    monitor_interval, monitor_timeout: the BIG-IP monitor (1 s, 4 s); static_roles: run no
    agent even if there is one, the lab sets the roles (a primary, b backup; set_roles() later);
    this is also what happens when there is no agent binary; keep_files: leave the workdir after
    stop(); say: a callable for progress lines."""

    def __init__(self, bin_dir, *, agent=None, takeover=False, prefix="sipha", workdir=None,
                 template=None, sections=None, node_sections=None, monitor_interval=1.0,
                 monitor_timeout=4.0, static_roles=None, snat_exclusions=(), keep_files=False,
                 say=None):
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,19}", prefix):
            raise LabError(f"prefix {prefix!r}: lower-case letters, digits and '-', at most 20")
        self.bin_dir = os.path.abspath(bin_dir)
        self.prefix = prefix
        self.takeover = takeover
        self.workdir = os.path.abspath(workdir or os.path.join(RUN_DIR, prefix))
        self.template = template or config_mod.DEMO_TEMPLATE
        self.overrides = sections or {}
        self.node_overrides = node_sections or {}
        self.monitor_interval = monitor_interval
        self.monitor_timeout = monitor_timeout
        self.snat_exclusions = list(snat_exclusions)
        self.keep_files = keep_files
        self.say = say or (lambda text: None)
        agent = agent or os.path.join(self.bin_dir, "sipha-agent")
        self.agent = os.path.abspath(agent) if os.access(agent, os.X_OK) else None
        self.agent_wanted = agent
        if static_roles:
            self.agent = None  # the lab is the only one to set roles: no agent runs
        self.static_roles = self.agent is None
        self.addresses = Addresses(takeover)
        self.nodes = {name: Node(self, name) for name in NODE_NAMES}
        self.client = Side(self, "client", self.addresses.client)
        self.bigip = None if takeover else Bigip(self)
        self.switch = Side(self, "switch", self.addresses.gateway) if takeover else None
        self.extra = []  # processes spawned in the client (or bigip) namespace
        self.epoch = 0   # the last epoch of static roles
        self.started = False
        self.problems = []
        self._lock = None
        self._reaper = None
        self.pki = None

    # ---- handles -----------------------------------------------------------------------------

    @property
    def a(self):
        return self.nodes["a"]

    @property
    def b(self):
        return self.nodes["b"]

    @property
    def vip(self):
        return self.addresses.vip

    @property
    def sip_port(self):
        return SIP_PORT

    def node(self, name):
        return self.nodes[name]

    def binary(self, name):
        return os.path.join(self.bin_dir, name)

    def namespaces(self):
        """Every namespace of this lab, in creation order."""
        sides = [self.client.ns, (self.switch or self.bigip).ns]
        return sides + [node.ns for node in self.nodes.values()]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout=60, wait_primary=True):
        """Builds the topology, starts every process; with wait_primary, returns once a node is
        primary and (BIG-IP mode) the BIG-IP's pool points at it. On failure everything is
        removed again and the error raised."""
        if os.geteuid() != 0:
            raise LabError("the lab needs root (network namespaces, nftables)")
        for tool in ("ip", "nft", "dbus-daemon", "busctl", "dbus-send", "openssl", "conntrack"):
            if not shutil.which(tool):
                raise LabError(f"{tool} is not installed (make deps)")
        for name in ("sipd", "sipha-netcfg"):
            if not os.access(self.binary(name), os.X_OK):
                raise LabError(f"{self.binary(name)} not found (build it first)")
        self._take_lock()
        try:
            clean(self.prefix, say=self.say)
            self._start_reaper()
            self._write_files()
            self._build_network()
            self._save_record()
            if self.bigip:
                self._start_monitor()
            for node in self.nodes.values():
                self._start_node(node)
            if self.agent:
                for node in self.nodes.values():
                    node.start_process("agent", timeout=timeout)
            elif not os.access(self.agent_wanted, os.X_OK):
                self.say(f"sipha-agent not found at {self.agent_wanted}: no agents; the lab "
                         "sets the roles itself (a primary, b backup) and nothing fails over "
                         "on its own")
            if self.static_roles:
                self.set_roles("a")
            if wait_primary:
                self.wait_ready(timeout)
            self._save_record()
            self.started = True
            return self
        except BaseException:
            self.stop()
            raise

    def wait_ready(self, timeout=60):
        """Waits for a primary, then for the VIP to lead to it (the BIG-IP's target, or the
        primary's netcfg holding the VIP); returns the primary's name."""
        primary = self.wait_primary(timeout)
        if self.bigip:
            self.bigip.wait_target(primary, self.monitor_timeout + timeout)
        else:
            wait_for(lambda: self.nodes[primary].holds_vip(), timeout,
                     what=f"the VIP on {primary}")
        return primary

    def primary(self):
        """The name of the node that says it is primary (the agent's Role, or sipd's without
        an agent), or None; LabError if both do."""
        names = [n.name for n in self.nodes.values() if n.current_role() == "primary"]
        if len(names) > 1:
            raise LabError("both nodes say they are primary")
        return names[0] if names else None

    def wait_primary(self, timeout=30):
        """The primary's name once exactly one node says it is primary."""
        def one():
            try:
                return self.primary()
            except LabError:
                return None
        return wait_for(one, timeout, 0.05, "one primary")

    def set_roles(self, primary, epoch=None):
        """Static roles (no agent): `primary` primary, the other backup, at epoch (default: the
        last one + 1). Demotes first, so two primaries never hold the same epoch."""
        self.epoch = epoch if epoch is not None else self.epoch + 1
        backup = self.addresses.peer(primary)
        self.nodes[backup].set_role("backup", self.epoch)
        self.nodes[primary].set_role("primary", self.epoch)
        return self.epoch

    def stop(self):
        """Stops every process (SIGTERM, then SIGKILL), deletes the namespaces (their links go
        with them) and the files. Returns the problems seen (a process that did not exit 0,
        something left running in a namespace); also kept in self.problems."""
        problems = []
        for proc in reversed(self.extra):
            proc.stop(5)
        for node in self.nodes.values():
            for which in ("agent", "sipd", "netcfg"):
                proc = node.processes.get(which)
                if proc is None:
                    continue
                was_running = proc.alive()
                code = proc.stop()
                if was_running and code != 0:
                    problems.append(f"{proc.name} exited {code} on SIGTERM; log "
                                    f"{proc.log_path}:\n{proc.log(2000)}")
            if node.bus:
                node.bus.stop()
                node._bus_log.close()
                node.bus = None
        if self.bigip and self.bigip.monitor:
            code = self.bigip.monitor.stop()
            if code not in (0, None):
                problems.append(f"the BIG-IP monitor exited {code}:\n"
                                f"{self.bigip.monitor.log(2000)}")
        for ns in reversed(self.namespaces()):
            killed = ns.delete()
            if killed:
                problems.append(f"killed processes still running in {ns.name} (not started by "
                                f"the lab, or not stopped): {killed}")
        left = [ns.name for ns in self.namespaces() if ns.exists()]
        if left:
            problems.append(f"namespaces left: {left}")
        if not self.keep_files:
            shutil.rmtree(self.workdir, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(record_path(self.prefix))
        if self._reaper is not None:
            self._reaper.terminate()
            self._reaper.wait(10)
            self._reaper = None
        self._release_lock()
        self.started = False
        self.problems = problems
        return problems

    # ---- faults ------------------------------------------------------------------------------

    def cut_ha_link(self):
        """Drops everything on the HA link, both ways (nftables in both node namespaces; the
        links stay up: a silent loss, as a failed switch in between would give)."""
        for node in self.nodes.values():
            node.ns.nft(_drop_table("pairlab_cut_ha", "ha0"))

    def restore_ha_link(self):
        for node in self.nodes.values():
            node.ns.run("nft", "delete", "table", "inet", "pairlab_cut_ha", check=False)

    def cut_service_link(self, name, how="drop"):
        """Node `name` loses its service link: how="drop" drops everything on its svc0 (silent,
        the link stays up); how="carrier" takes the far end (the BIG-IP's / switch's port) down,
        so svc0 loses its carrier (a pulled cable)."""
        node = self.nodes[name]
        if how == "drop":
            node.ns.nft(_drop_table("pairlab_cut_svc", "svc0"))
        elif how == "carrier":
            self._l2().ip("link", "set", f"port-{name}", "down")
        else:
            raise LabError(f"cut_service_link: how must be drop or carrier, not {how!r}")

    def restore_service_link(self, name):
        node = self.nodes[name]
        node.ns.run("nft", "delete", "table", "inet", "pairlab_cut_svc", check=False)
        self._l2().ip("link", "set", f"port-{name}", "up")

    def cut_service_path(self):
        """The two nodes no longer hear each other over the service network (the bridge drops
        what goes from one node's port to the other's) while both still reach the BIG-IP /
        gateway and the clients: the heartbeats' second path cut alone."""
        self._l2().nft("table bridge pairlab_cut_path {\n"
                       "  chain forward { type filter hook forward priority 0; policy accept;\n"
                       '    iifname "port-a" oifname "port-b" drop\n'
                       '    iifname "port-b" oifname "port-a" drop\n'
                       "  }\n}\n")

    def restore_service_path(self):
        self._l2().run("nft", "delete", "table", "bridge", "pairlab_cut_path", check=False)

    def _l2(self):
        """The namespace holding the service network's bridge."""
        return (self.switch or self.bigip).ns

    # ---- building ----------------------------------------------------------------------------

    def _start_reaper(self):
        """pairlab.reaper: removes the lab if this process dies without stop()."""
        self._reaper = subprocess.Popen(
            [sys.executable, "-m", "pairlab.reaper", "--prefix", self.prefix, "--parent",
             str(os.getpid()), "--parent-start", str(netns.start_time(os.getpid()))],
            env=dict(os.environ, PYTHONPATH=TOOLS_DIR, PYTHONDONTWRITEBYTECODE="1"),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)

    def _take_lock(self):
        self._lock = take_lock(self.prefix)

    def _release_lock(self):
        if self._lock is not None:
            release_lock(self.prefix, self._lock)
            self._lock = None

    def _save_record(self):
        """What the next start (or `pairlab clean`) needs to remove this lab if this process
        dies without stop(): namespaces, workdir, and each process as (pid, start time)."""
        procs = [p for p in self.extra]
        if self.bigip and self.bigip.monitor:
            procs.append(self.bigip.monitor)
        for node in self.nodes.values():
            procs += list(node.processes.values())
        pids = [p.pid for p in procs if p.alive()]
        pids += [n.bus.pid for n in self.nodes.values() if n.bus and n.bus.alive()]
        record = {"lab_pid": os.getpid(), "workdir": self.workdir,
                  "keep_files": self.keep_files,
                  "namespaces": [ns.name for ns in self.namespaces()],
                  "processes": [[pid, netns.start_time(pid)] for pid in pids]}
        path = record_path(self.prefix)
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.replace(path + ".tmp", path)
        with open(os.path.join(self.workdir, "lab.json"), "w") as f:
            json.dump(self.describe(), f, indent=1)

    def _write_files(self):
        if os.path.exists(self.workdir):
            shutil.rmtree(self.workdir)
        os.makedirs(self.workdir)
        os.chmod(self.workdir, 0o700)
        pki = os.path.join(self.workdir, "pki")
        ca, node_certs = certs.pair_ca(pki, NODE_NAMES)
        self.pki = {"ca": ca, **node_certs}
        self.pair_key = config_mod.write_pair_key(os.path.join(self.workdir, "pair.key"))
        for side in (self.client, self.bigip, self.switch):
            if side:
                os.makedirs(side.dir)
        for node in self.nodes.values():
            os.makedirs(node.data_dir)
            node.sections = self._node_sections(node, ca, node_certs[node.name])
            config_mod.write_ini(node.config_path, node.sections, header=(
                f"node {node.name} of the pair lab {self.prefix} (tools/pairlab), made from",
                f"{self.template}"))
        if self.bigip:
            self._pair_check()

    def _node_sections(self, node, ca, cert_key):
        addrs = self.addresses
        peer = self.nodes[node.peer_name]
        text = config_mod.render_template(self.template, {
            "SIP_ADDRESS": addrs.vip, "SIP_INTERFACE": node.service_address,
            "TRUSTED_NETWORKS": addrs.trusted, "DATA_DIR": node.data_dir,
            "NODE_NAME": f"{self.prefix}-{node.name}", "GATEWAY_HOST": addrs.client})
        sections = config_mod.parse_ini(text, self.template)
        sections["ha"] = {
            "mode": "pair",
            "node-id": node.name,
            "peer-address": peer.ha_address,
            "replication-address": node.ha_address,
            "replication-port": REPLICATION_PORT,
            "certificate": cert_key[0],
            "private-key": cert_key[1],
            "ca": ca,
            "pair-key": self.pair_key,
            "witness": addrs.witness,
        }
        network = {
            "mode": "takeover" if self.takeover else "bigip",
            "service-link": "svc0",
            "service-address": f"{node.service_address}/{addrs.service_prefix}",
            "ha-link": "ha0",
            "ha-address": f"{node.ha_address}/{addrs.ha_prefix}",
            "peer-ha-address": peer.ha_address,
            "peer-service-address": peer.service_address,
            "gateway": addrs.gateway,
        }
        if not self.takeover and self.monitor_timeout != 4.0:
            # The agent compares the monitor's probes with the reference's timeout (4 s).
            sections["ha"]["monitor-timeout-ms"] = int(self.monitor_timeout * 1000)
        if self.snat_exclusions:
            network["snat-exclusions"] = ", ".join(self.snat_exclusions)
        if not self.takeover:
            # What `sipha-netcfg bigip-export` needs; the lab's stand-in has no upstream router.
            network["bigip-self-external-address"] = f"{addrs.bigip_external}/24"
            network["bigip-route-gateway"] = "198.51.100.254"
        sections["network"] = network
        config_mod.merge(sections, self.overrides)
        config_mod.merge(sections, self.node_overrides.get(node.name))
        return sections

    def _pair_check(self):
        """`sipha-netcfg check` of the two files (they must form a consistent pair) and the
        BIG-IP configuration the stand-in imitates, as tmsh (bigip/bigip.tmsh)."""
        netcfg = self.binary("sipha-netcfg")
        result = netns.run(netcfg, "bigip-export", "--config", self.a.config_path,
                           "--peer-config", self.b.config_path, check=False)
        if result.returncode == 0:
            with open(os.path.join(self.bigip.dir, "bigip.tmsh"), "w") as f:
                f.write(result.stdout)
        else:
            self.say(f"warning: sipha-netcfg bigip-export refuses the lab's pair: "
                     f"{result.stderr.strip()}")

    def _build_network(self):
        addrs = self.addresses
        for ns in self.namespaces():
            ns.create()
        client, a, b = self.client.ns, self.a.ns, self.b.ns
        l2 = self._l2()
        l2.ip("link", "add", "br0", "type", "bridge")
        # Bridged frames must not pass the bigip's IP hooks (NAT) when br_netfilter is loaded.
        l2.sysctl("net.bridge.bridge-nf-call-iptables", 0, check=False)
        l2.ip("address", "add", f"{addrs.gateway}/{addrs.service_prefix}", "dev", "br0")
        l2.ip("link", "set", "br0", "up")
        for name, node_ns in (("a", a), ("b", b)):
            netns.veth(node_ns, "svc0", l2, f"port-{name}")
            l2.ip("link", "set", f"port-{name}", "master", "br0", "up")
        netns.veth(a, "ha0", b, "ha0")  # addresses, link state: sipha-netcfg's
        if self.takeover:
            netns.veth(client, "eth0", l2, "port-client")
            l2.ip("link", "set", "port-client", "master", "br0", "up")
        else:
            netns.veth(client, "eth0", l2, "ext0")
            l2.ip("address", "add", f"{addrs.bigip_external}/24", "dev", "ext0")
            l2.ip("link", "set", "ext0", "up")
            l2.ip("address", "add", f"{addrs.vip}/32", "dev", "lo")
            l2.sysctl("net.ipv4.ip_forward", 1)
        client.ip("address", "add", f"{addrs.client}/{addrs.client_prefix}", "dev", "eth0")
        client.ip("link", "set", "eth0", "up")
        client.ip("route", "add", "default", "via", addrs.client_gateway)

    def _start_monitor(self):
        addrs = self.addresses
        tls = self.a.sections["TServer"].get("sip-port-tls", "0")
        cfg = {
            "vip": addrs.vip, "external_if": "ext0", "internal_self_ip": addrs.gateway,
            "members": [{"name": n.name, "address": n.service_address}
                        for n in self.nodes.values()],
            "sip_port": int(self.a.sections["TServer"].get("sip-port", SIP_PORT)),
            "tls_port": int(tls or 0), "interval": self.monitor_interval,
            "timeout": self.monitor_timeout, "excluded": self.snat_exclusions,
            "state_path": self.bigip.state_path,
        }
        with open(self.bigip.config_path, "w") as f:
            json.dump(cfg, f, indent=1)
        env = {"PYTHONPATH": TOOLS_DIR, "PYTHONDONTWRITEBYTECODE": "1"}
        self.bigip.monitor = Process("bigip-monitor", [sys.executable, "-m", "pairlab.bigip",
                                                       "--config", self.bigip.config_path],
                                     prefix=self.bigip.prefix, env=env,
                                     log_path=self.bigip.log_path, cwd=self.bigip.dir)
        self.bigip.monitor.start()
        self.bigip.monitor.wait_ready(10, lambda: self.bigip.state() is not None)

    def _start_node(self, node):
        node._prepare()
        node.start_process("netcfg")
        node.start_process("sipd")

    # ---- description -------------------------------------------------------------------------

    def describe(self):
        """Everything a user or another tool needs to find its way (also <workdir>/lab.json)."""
        addrs = self.addresses
        return {
            "prefix": self.prefix, "mode": "takeover" if self.takeover else "bigip",
            "workdir": self.workdir, "vip": addrs.vip, "sip_port": SIP_PORT,
            "sip_port_tls": SIP_PORT_TLS,
            "client": {"namespace": self.client.ns.name, "address": addrs.client},
            "bigip": None if not self.bigip else {
                "namespace": self.bigip.ns.name, "external_self_ip": addrs.bigip_external,
                "internal_self_ip": addrs.gateway, "log": self.bigip.log_path,
                "state": self.bigip.state_path,
                "pid": self.bigip.monitor.pid if self.bigip.monitor else None},
            "switch": None if not self.switch else {"namespace": self.switch.ns.name,
                                                    "gateway": addrs.gateway},
            "agent": self.agent, "static_roles": self.static_roles,
            "nodes": {n.name: {
                "namespace": n.ns.name, "service_address": n.service_address,
                "ha_address": n.ha_address, "bus": n.bus_address, "config": n.config_path,
                "pids": n.pids,
                "logs": {w: n.log_path(w) for w in ("dbus", *n.processes)}}
                for n in self.nodes.values()},
        }


def _drop_table(table, ifname):
    return (f"table inet {table} {{\n"
            f"  chain input {{ type filter hook input priority -300; policy accept;\n"
            f'    iifname "{ifname}" drop\n  }}\n'
            f"  chain output {{ type filter hook output priority -300; policy accept;\n"
            f'    oifname "{ifname}" drop\n  }}\n}}\n')


def record_path(prefix):
    return os.path.join(RUN_DIR, f"{prefix}.json")


ROLES = ("client", "bigip", "switch", "a", "b")


def clean(prefix, say=None):
    """Removes what a lab with this prefix left behind when it was killed: its processes (pid
    and start time as recorded, or anything in its namespaces), its namespaces, its workdir.
    The caller holds the prefix's lock (a running lab is never cleaned)."""
    say = say or (lambda text: None)
    removed = []
    record = None
    with contextlib.suppress(FileNotFoundError, ValueError):
        with open(record_path(prefix)) as f:
            record = json.load(f)
    if record:
        stale = [pid for pid, started in record.get("processes", [])
                 if started is not None and netns.start_time(pid) == started]
        if stale:
            netns.kill_and_wait(stale)
            removed.append(f"processes {stale}")
    names = set(record.get("namespaces", [])) if record else set()
    names |= {f"{prefix}-{role}" for role in ROLES}
    for name in sorted(names):
        ns = netns.Namespace(name)
        if ns.exists():
            killed = ns.delete()
            removed.append(f"namespace {name}" + (f" (killed {killed})" if killed else ""))
    if record and not record.get("keep_files") and os.path.isdir(record.get("workdir", "")):
        shutil.rmtree(record["workdir"], ignore_errors=True)
        removed.append(f"files {record['workdir']}")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(record_path(prefix))
    if removed:
        say(f"removed what an earlier lab {prefix!r} left: {', '.join(removed)}")
    return removed


def take_lock(prefix):
    """The prefix's lock (/run/pairlab/<prefix>.lock, flock): a descriptor; LabError when a lab
    with this prefix runs. The file is removed at release, so a lock taken on a file that was
    removed meanwhile is taken again on the new one."""
    os.makedirs(RUN_DIR, exist_ok=True)
    path = os.path.join(RUN_DIR, f"{prefix}.lock")
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LabError(f"a lab with prefix {prefix!r} is running (lock {path}); stop it or "
                           "use another prefix") from None
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


def release_lock(prefix, fd):
    with contextlib.suppress(FileNotFoundError):
        os.unlink(os.path.join(RUN_DIR, f"{prefix}.lock"))
    os.close(fd)


def leftover_prefixes():
    """Prefixes with a record in /run/pairlab (a lab running, or one that was killed)."""
    try:
        names = os.listdir(RUN_DIR)
    except FileNotFoundError:
        return []
    return sorted(name[:-5] for name in names if name.endswith(".json"))


def clean_locked(prefix, say=None):
    """clean() under the prefix's lock; LabError if a lab with this prefix runs."""
    fd = take_lock(prefix)
    try:
        return clean(prefix, say)
    finally:
        release_lock(prefix, fd)


__all__ = ["Lab", "Node", "Side", "Bigip", "LabError", "ProcessError", "clean", "clean_locked",
           "wait_for", "AGENT1", "SIPD1", "NETCFG1"]
