"""netcfg-policy's namespace helper: a LAN of namespaces on a bridge, listeners and probes run
inside them, tcpdump captures, and the firewall driver (netcfg-firewall-apply).

Everything is created inside namespaces named with a per-test prefix (never in the host's own
namespace: veth ends are created directly in their target namespaces) and removed by close(),
also when the test fails. Addresses are documentation ranges (RFC 5737, RFC 3849).

Run as a script inside a namespace it is the listener/probe itself:
    policy_net.py serve tcp|udp ADDR PORT     print "ready", answer each peer with its address
    policy_net.py probe tcp|udp HOST PORT [--bind ADDR] [--timeout S]
                                              print "open SEEN-AS" | "timeout" | "refused"
"""

import os
import select
import socket
import subprocess
import sys

PYTHON = "/usr/bin/python3"
HERE = os.path.abspath(__file__)


def run(*args, check=True, timeout=30):
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {result.returncode}: {result.stderr}")
    return result


def firewall_driver():
    """The netcfg-firewall-apply binary (CTest gives SIPHA_NETCFG=<build>/bin/sipha-netcfg)."""
    path = os.environ.get("NETCFG_FIREWALL_APPLY")
    if not path and os.environ.get("SIPHA_NETCFG"):
        build = os.path.dirname(os.path.dirname(os.environ["SIPHA_NETCFG"]))
        path = os.path.join(build, "tests", "netcfg-firewall-apply")
    if not path or not os.access(path, os.X_OK):
        raise AssertionError("set NETCFG_FIREWALL_APPLY (or SIPHA_NETCFG) so that "
                             "<build>/tests/netcfg-firewall-apply is found; build that target")
    return path


class Lan:
    """Namespaces joined by one bridge (in a namespace of its own), plus point-to-point links."""

    def __init__(self, tag):
        self.prefix = f"np{os.getpid()}{tag}"
        self.namespaces = []
        self.processes = []
        self.bridge_ns = self.namespace("lan")
        self.ns_run(self.bridge_ns, "ip", "link", "add", "br0", "type", "bridge")
        self.ns_run(self.bridge_ns, "ip", "link", "set", "br0", "up")
        self.ports = 0

    def namespace(self, role):
        name = f"{self.prefix}-{role}"
        run("ip", "netns", "add", name)
        self.namespaces.append(name)
        self.ns_run(name, "ip", "link", "set", "lo", "up")
        return name

    def ns_run(self, ns, *args, check=True, timeout=30):
        return run("ip", "netns", "exec", ns, *args, check=check, timeout=timeout)

    def attach(self, ns, ifname, *addresses):
        """A veth from ns (named ifname) to the bridge, with addresses (no DAD wait for IPv6)."""
        self.ports += 1
        port = f"p{self.ports}"
        run("ip", "link", "add", ifname, "netns", ns, "type", "veth", "peer", "name", port,
            "netns", self.bridge_ns)
        self.ns_run(self.bridge_ns, "ip", "link", "set", port, "master", "br0", "up")
        self._up(ns, ifname, addresses)

    def wire(self, ns_a, if_a, addresses_a, ns_b, if_b, addresses_b):
        """A direct veth link between two namespaces (the HA link)."""
        run("ip", "link", "add", if_a, "netns", ns_a, "type", "veth", "peer", "name", if_b,
            "netns", ns_b)
        self._up(ns_a, if_a, addresses_a)
        self._up(ns_b, if_b, addresses_b)

    def _up(self, ns, ifname, addresses):
        for address in addresses:
            extra = ["nodad"] if ":" in address else []
            self.ns_run(ns, "ip", "address", "add", address, "dev", ifname, *extra)
        self.ns_run(ns, "ip", "link", "set", ifname, "up")

    def serve(self, ns, proto, address, port):
        """A listener in ns; returns once it is bound (it prints "ready")."""
        process = subprocess.Popen(
            ["ip", "netns", "exec", ns, PYTHON, HERE, "serve", proto, address, str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.processes.append(process)
        ready, _, _ = select.select([process.stdout], [], [], 10)
        line = process.stdout.readline().strip() if ready else ""
        if line != "ready":
            raise AssertionError(f"listener {proto} {address}:{port} in {ns} did not start: "
                                 f"{line} {process.stderr.read() if process.poll() else ''}")
        return process

    def stop(self, process):
        process.kill()
        process.communicate()

    def probe(self, ns, proto, host, port, bind=None, timeout=1.0):
        """Connects (TCP) or sends a datagram (UDP) from ns: ("open", seen-as) | ("timeout",) |
        ("refused",). seen-as is the source address the listener saw."""
        args = [PYTHON, HERE, "probe", proto, host, str(port), "--timeout", str(timeout)]
        if bind:
            args += ["--bind", bind]
        out = self.ns_run(ns, *args, timeout=timeout + 20).stdout.split()
        return tuple(out)

    def ping(self, ns, host, timeout=1):
        return self.ns_run(ns, "ping", "-n", "-c", "1", "-W", str(timeout), host,
                           check=False).returncode == 0

    def capture(self, ns, ifname, bpf):
        """tcpdump in ns on ifname; returns once tcpdump reports it is listening."""
        process = subprocess.Popen(
            ["ip", "netns", "exec", ns, "tcpdump", "-n", "-l", "-i", ifname, "-c", "1", bpf],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.processes.append(process)
        seen = b""
        fd = process.stderr.fileno()  # raw reads: a buffered readline could hide the 2nd line
        while b"listening on" not in seen:  # "verbose output suppressed ..." comes first
            ready, _, _ = select.select([fd], [], [], 10)
            chunk = os.read(fd, 4096) if ready else b""
            if not chunk:
                raise AssertionError(f"tcpdump in {ns} did not start: {seen!r}")
            seen += chunk
        return process

    def captured(self, process, timeout=5):
        """The first packet line of a capture (waits for tcpdump -c 1 to exit)."""
        try:
            out, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        return out.decode().strip()

    def nft_counter(self, ns, comment):
        """Packets counted by the rule carrying this comment in table inet sipha."""
        listing = self.ns_run(ns, "nft", "list", "table", "inet", "sipha").stdout
        for line in listing.splitlines():
            if f'comment "{comment}"' in line and "packets" in line:
                words = line.split()
                return int(words[words.index("packets") + 1])
        raise AssertionError(f"no counter '{comment}' in:\n{listing}")

    def apply_firewall(self, ns, config_path, holds_vip=False):
        args = [firewall_driver(), "--config", config_path]
        if holds_vip:
            args.append("--holds-vip")
        result = self.ns_run(ns, *args, check=False)
        assert result.returncode == 0, result.stderr
        return result

    def close(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.communicate()
        for name in reversed(self.namespaces):
            run("ip", "netns", "del", name, check=False)


def write_config(path, tserver, network, webui=None):
    lines = ["[TServer]"] + [f"{k} = {v}" for k, v in tserver.items()]
    lines += ["", "[network]"] + [f"{k} = {v}" for k, v in network.items()]
    if webui:
        lines += ["", "[webui]"] + [f"{k} = {v}" for k, v in webui.items()]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return str(path)


# --- the listener and probe, run inside a namespace -------------------------------------------

def _family(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def _serve(proto, address, port):
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    sock = socket.socket(_family(address), kind)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, port))
    if proto == "tcp":
        sock.listen(16)
    print("ready", flush=True)
    while True:
        if proto == "tcp":
            conn, peer = sock.accept()
            conn.sendall(peer[0].encode())
            conn.close()
        else:
            _, peer = sock.recvfrom(2048)
            sock.sendto(peer[0].encode(), peer)


def _probe(proto, host, port, bind, timeout):
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    sock = socket.socket(_family(host), kind)
    sock.settimeout(timeout)
    if bind:
        sock.bind((bind, 0))
    try:
        sock.connect((host, port))
        if proto == "udp":
            sock.send(b"probe")
        seen = sock.recv(2048).decode()
        return f"open {seen}"
    except ConnectionRefusedError:
        return "refused"
    except (socket.timeout, TimeoutError):
        return "timeout"


def _main(argv):
    if argv[0] == "serve":
        _serve(argv[1], argv[2], int(argv[3]))
        return 0
    if argv[0] == "probe":
        bind = argv[argv.index("--bind") + 1] if "--bind" in argv else None
        timeout = float(argv[argv.index("--timeout") + 1]) if "--timeout" in argv else 1.0
        print(_probe(argv[1], argv[2], int(argv[3]), bind, timeout), flush=True)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
