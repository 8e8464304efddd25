"""A hot-standby pair of sipds (docs/replication.md) in a network namespace of the test's own,
behind a BIG-IP stand-in made of nftables NAT rules.

Topology (every 127.0.0.0/8 address is local on lo inside the namespace):

    SIPp / python clients 127.0.0.1 --> VIP 127.0.0.10:5060 --DNAT--> primary
    node A: sip-interface 127.0.0.2:5060, replication 127.0.0.2:5072, bus A
    node B: sip-interface 127.0.0.3:5060, replication 127.0.0.3:5072, bus B

Both sipds advertise the VIP (sip-address), so dialogs survive a switchover; their requests
leave with the VIP as source (SNAT). A switchover points the DNAT at the other node and flushes
conntrack. Each sipd has its own private dbus-daemon (both own org.sipha.Sipd1; busctl runs
outside the namespace over the unix socket). The HA link is TLS 1.3 with certificates of a pair
CA made by openssl (PairCerts). Every process is stopped by pid and the namespace deleted by
Pair.close(), also when a test fails."""

import contextlib
import ctypes
import os
import signal
import socket
import ssl
import subprocess

from . import certs as certs_mod, dbus, net, peers, registrations, sip, sipd as sipd_mod, sipp

VIP = "127.0.0.10"
SIP_PORT = 5060
REPLICATION_PORT = 5072
NODE_IPS = {"a": "127.0.0.2", "b": "127.0.0.3"}
CLONE_NEWNET = 0x40000000


def run(*args, input=None, check=True, timeout=30):
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, input=input,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} -> {result.returncode}: "
                             f"{result.stderr}{result.stdout}")
    return result


class Namespace:
    """A network namespace with lo up; commands run in it through `prefix`, python sockets are
    created in it inside `entered()`."""

    def __init__(self, name=None):
        self.name = name or f"sipha-pair-{os.getpid()}"
        if os.path.exists(f"/run/netns/{self.name}"):
            run("ip", "netns", "del", self.name, check=False)  # left over by a killed run
        run("ip", "netns", "add", self.name)
        self.deleted = False
        run("ip", "-n", self.name, "link", "set", "lo", "up")

    @property
    def prefix(self):
        return ("ip", "netns", "exec", self.name)

    def run(self, *args, **kwargs):
        return run(*self.prefix, *args, **kwargs)

    @contextlib.contextmanager
    def entered(self):
        """The calling thread in the namespace: sockets made meanwhile stay in it."""
        libc = ctypes.CDLL(None, use_errno=True)
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
        try:
            if libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns into " + self.name)
            try:
                yield
            finally:
                if libc.setns(home, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns back home")
        finally:
            os.close(target)
            os.close(home)

    def nft(self, text):
        self.run("nft", "-f", "-", input=text)

    def flush_conntrack(self):
        # conntrack exits 1 when the table was already empty: fine.
        result = self.run("conntrack", "-F", check=False)
        if result.returncode not in (0, 1):
            raise AssertionError(f"conntrack -F: {result.stderr}")

    def udp_bound(self, port):
        out = self.run("ss", "-Hlun", f"sport = :{port}").stdout
        return f":{port}" in out

    def delete(self):
        if not self.deleted:
            run("ip", "netns", "del", self.name, check=False)
            self.deleted = True


class PairCerts:
    """The pair's CA, a certificate for each node, a spare client certificate of the CA and a
    rogue self-signed one (EC P-256, openssl CLI)."""

    def __init__(self, directory):
        directory = str(directory)
        self.ca, self.ca_key = certs_mod.self_signed(os.path.join(directory, "ca"),
                                                     cn="sipha-pair-ca")
        self.node = {name: certs_mod.signed_by(directory, f"node-{name}", self.ca, self.ca_key,
                                               f"sipd-{name}") for name in NODE_IPS}
        self.client = certs_mod.signed_by(directory, "client", self.ca, self.ca_key, "intruder")
        self.rogue = certs_mod.self_signed(os.path.join(directory, "rogue"), cn="sipd-b")


class PairNode(sipd_mod.Sipd):
    """One sipd of the pair: [ha] mode = pair, sip-interface its own address, sip-address the
    VIP, started through `ip netns exec`."""

    def __init__(self, binary, tmpdir, bus, ns, certs, name, *, ha=None, **kwargs):
        ip, peer = NODE_IPS[name], NODE_IPS["b" if name == "a" else "a"]
        super().__init__(binary, tmpdir, bus, ha_mode="pair", host=ip, port=SIP_PORT,
                         command_prefix=ns.prefix, **kwargs)
        self.name = name
        self.ns = ns
        self.sections["TServer"]["sip-address"] = VIP
        cert, key = certs.node[name]
        self.sections["ha"].update({
            "node-id": f"sipd-{name}",
            "peer-address": peer,
            "replication-address": ip,
            "replication-port": REPLICATION_PORT,
            "certificate": cert,
            "private-key": key,
            "ca": certs.ca,
        })
        self.sections["ha"].update(ha or {})
        self.stopped = False  # SIGSTOPped

    def __repr__(self):
        return f"<node {self.name} {self.host}>"

    @property
    def replication_address(self):
        return (self.host, int(self.sections["ha"]["replication-port"]))

    def ready(self):
        return bool(self.get_property("ReadyForSwitchover"))

    def state(self):
        return self.get_property("ReplicationState")

    def wait_ready(self, value=True, timeout=20):
        try:
            net.wait_for(lambda: self.ready() == value, timeout, interval=0.05,
                         what=f"{self.name} ReadyForSwitchover == {value}")
        except AssertionError as e:
            raise AssertionError(f"{e}; {self.describe()}") from None

    def wait_state(self, state, timeout=20):
        try:
            net.wait_for(lambda: self.state() == state, timeout, interval=0.05,
                         what=f"{self.name} ReplicationState == {state}")
        except AssertionError as e:
            raise AssertionError(f"{e}; {self.describe()}") from None

    def replication_counters(self):
        return {k: int(v) for k, v in self.counters().items() if k.startswith("replication.")}

    def describe(self):
        """Role, state, readiness and replication counters (for failure messages)."""
        try:
            return (f"{self.name}: role={self.get_property('Role')} state={self.state()} "
                    f"ready={self.ready()} {self.replication_counters()}")
        except AssertionError as e:
            return f"{self.name}: no D-Bus answer ({e})"

    def start_node(self, write=True):
        self.start(write)
        self.wait_bus_name()
        return self

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)
        self.stopped = True

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)
        self.stopped = False

    def stop(self, timeout=10):
        if self.stopped and self.alive():
            self.resume()
        return super().stop(timeout)


class RegisterLoad:
    """SIPp register_load.xml in the namespace toward the VIP: one REGISTER per user (CSV),
    every 200 logged as "REGISTERED <user> <call_number>"."""

    def __init__(self, pair, users, rate, name="load", timeout=90):
        self.users = list(users)
        self.workdir = os.path.join(pair.tmpdir, name)
        os.makedirs(self.workdir, exist_ok=True)
        csv = sipp.write_csv(os.path.join(self.workdir, "aors.csv"), [[u] for u in self.users])
        self.log = os.path.join(self.workdir, "registered.log")
        self.port = pair.next_port()
        self.cmd, _ = sipp.command("register_load.xml", pair.vip, self.workdir, transport="u1",
                                   calls=len(self.users), rate=rate, inf=csv, port=self.port,
                                   trace_msg=False, timeout=timeout,
                                   extra=["-trace_logs", "-log_file", self.log])
        self.timeout = timeout
        self.output = os.path.join(self.workdir, "sipp.out")
        with open(self.output, "wb") as out:
            self.proc = subprocess.Popen(list(pair.ns.prefix) + self.cmd, cwd=self.workdir,
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        pair.procs.append(self.proc)

    def running(self):
        return self.proc.poll() is None

    def wait(self, timeout=None):
        """SIPp's exit code (killed after timeout)."""
        try:
            self.proc.wait(timeout or self.timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        return self.proc.returncode

    def registered(self):
        """{user: call_number} for every 200 SIPp saw."""
        return registrations.registered_in_log(self.log)

    def explain(self):
        """SIPp's exit code, output and error log tails."""
        text = f"register load: exit {self.proc.poll()}: {' '.join(self.cmd)}\n"
        for path in (self.output, os.path.join(self.workdir, "register_load_errors.log")):
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    text += f"{os.path.basename(path)}:\n{f.read()[-3000:]}\n"
        return text

    def contact(self, user, call_number):
        return f"sip:{user}@127.0.0.1:{self.port};load={call_number}"


class Pair:
    """Namespace, BIG-IP stand-in, two buses and two sipds (not started: start())."""

    def __init__(self, binary, tmpdir, certs, *, extensions=(), dns=None, tserver=None,
                 ha=None, node_ha=None):
        self.tmpdir = str(tmpdir)
        os.makedirs(self.tmpdir, exist_ok=True)
        self.certs = certs
        self.procs = []       # SIPp and other helpers, stopped by close()
        self.peers = []       # SippPeer
        self.buses = {}
        self.nodes = {}
        self._port = 20000  # far from SIPp's media ports (-mp 6000 and up)
        self.primary = None
        self.ns = Namespace()
        try:
            self.set_target("a", flush=False)
            tserver = {"registrar-accept-unknown": "true", **(tserver or {})}
            for name in NODE_IPS:
                bus = dbus.DbusDaemon(os.path.join(self.tmpdir, f"bus-{name}"))
                os.makedirs(bus.tmpdir, exist_ok=True)
                bus.start()
                self.buses[name] = bus
                self.nodes[name] = PairNode(
                    binary, os.path.join(self.tmpdir, f"sipd-{name}"), bus, self.ns, certs, name,
                    extensions=extensions, dns=dns, tserver=tserver,
                    ha={**(ha or {}), **((node_ha or {}).get(name) or {})})
        except BaseException:
            self.close()
            raise

    @property
    def a(self):
        return self.nodes["a"]

    @property
    def b(self):
        return self.nodes["b"]

    @property
    def vip(self):
        return (VIP, SIP_PORT)

    def next_port(self):
        """A SIPp port in the namespace (nothing else binds there)."""
        self._port += 1
        return self._port

    # ---- the BIG-IP stand-in ---------------------------------------------------------------

    def set_target(self, name, flush=True):
        """The VIP goes to node `name`; conntrack is flushed so established UDP flows follow."""
        ip = NODE_IPS[name]
        self.ns.nft(
            "table ip bigip\ndelete table ip bigip\n"
            "table ip bigip {\n"
            f"  chain out {{ type nat hook output priority -100; ip daddr {VIP} dnat to {ip}; }}\n"
            "  chain post { type nat hook postrouting priority 100; "
            f"ip saddr {{ {NODE_IPS['a']}, {NODE_IPS['b']} }} udp sport {SIP_PORT} "
            f"snat to {VIP}; }}\n"
            "}\n")
        if flush:
            self.ns.flush_conntrack()
        self.target = name

    def cut_link(self):
        """Resets every TCP segment of the HA link (both ways) until restore_link()."""
        port = REPLICATION_PORT
        self.ns.nft("table inet flap {\n"
                    "  chain out { type filter hook output priority 0;\n"
                    f"    tcp dport {port} reject with tcp reset;\n"
                    f"    tcp sport {port} reject with tcp reset; }}\n"
                    "}\n")

    def restore_link(self):
        self.ns.run("nft", "delete", "table", "inet", "flap", check=False)

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self, epoch=1, wait_ready=True):
        """Both sipds (backups at start), then A primary and B backup at `epoch`."""
        for node in self.nodes.values():
            node.start_node()
        self.promote("a", epoch)
        ok, out = self.b.set_role("backup", epoch)
        assert ok, out
        if wait_ready:
            self.b.wait_ready(True)
        return self

    def promote(self, name, epoch):
        ok, out = self.nodes[name].set_role("primary", epoch)
        assert ok, out
        self.primary = self.nodes[name]

    def fail_over(self, epoch=2):
        """kill -9 A, the VIP to B, B primary at epoch."""
        self.a.kill()
        self.set_target("b")
        self.promote("b", epoch)

    def close(self):
        """Stops everything; returns failures (a sipd that did not exit 0 on SIGTERM)."""
        failures = []
        for peer in self.peers:
            peer.stop()
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        for node in self.nodes.values():
            was_running = node.alive()
            code = node.stop()
            node.close()
            if was_running and code != 0:
                failures.append(f"sipd {node.name} exited {code} on SIGTERM; stderr tail:\n"
                                f"{node.stderr()[-4000:]}")
        for bus in self.buses.values():
            bus.stop()
        self.ns.delete()
        return failures

    # ---- SIP through the VIP ---------------------------------------------------------------

    def udp(self):
        """A python UDP client in the namespace whose server is the VIP."""
        with self.ns.entered():
            return sip.UdpClient(self.vip)

    def register(self, user, contact=None, expires=None, call_id=None):
        c = self.udp()
        try:
            req = sip.request("REGISTER", f"sip:{VIP}:{SIP_PORT}", "UDP", c.local, user=user,
                              call_id=call_id, contact=contact,
                              extra=[f"Expires: {expires}"] if expires is not None else ())
            return c.exchange(req, timeout=3.0)
        finally:
            c.close()

    def query_all(self, users, batch=100, timeout=5.0):
        """A REGISTER without Contact for each user, pipelined; {user: Response or None}."""
        return registrations.query_all(self.udp(), f"{VIP}:{SIP_PORT}", users, batch, timeout)

    def sipp_peer(self, scenario, **kwargs):
        """A harness.peers.SippPeer in the namespace whose server is the VIP."""
        kwargs.setdefault("port", self.next_port())
        peer = peers.SippPeer(scenario, self.vip,
                              os.path.join(self.tmpdir, f"peer{len(self.peers)}"),
                              prefix=self.ns.prefix, bound=self.ns.udp_bound, **kwargs)
        self.peers.append(peer)
        return peer

    def register_load(self, users, rate, name="load", timeout=90):
        return RegisterLoad(self, users, rate, name, timeout)

    # ---- the HA link, raw ------------------------------------------------------------------

    def raw_link(self, node, cert=None, timeout=5.0, source=None):
        """A TLS 1.3 client connection to node's replication port, authenticated with a
        certificate of the pair CA (default: the spare client certificate), from `source`
        (default: the other node's address, the only one a primary accepts links from)."""
        if source is None:
            source = next(ip for name, ip in NODE_IPS.items() if ip != node.host)
        cert, key = cert or self.certs.client
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.check_hostname = False
        ctx.load_verify_locations(cafile=self.certs.ca)
        ctx.load_cert_chain(cert, key)
        with self.ns.entered():
            raw = socket.create_connection(node.replication_address, timeout=timeout,
                                           source_address=(source, 0))
        return ctx.wrap_socket(raw)

    def explain(self, *results):
        """A failure message: SIPp runs, both nodes' state and stderr tails."""
        text = "\n\n".join(r.explain() for r in results)
        for node in self.nodes.values():
            if node.alive() and not node.stopped:
                text += "\n\n" + node.describe()
            text += f"\n\nsipd {node.name} stderr:\n" + node.stderr()[-3000:]
        return text


def closed_by_peer(conn, timeout=5.0):
    """True when the TLS connection is closed by the other side within timeout."""
    conn.settimeout(timeout)
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                return True
    except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    except OSError:
        return True
