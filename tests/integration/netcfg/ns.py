"""Network namespaces for the netcfg tests: a LAN on a bridge, point-to-point veth links, and
read-back of links, addresses, routes and neighbours through `ip -j` (iproute2 = netlink).

Every namespace is named with the test's prefix (nk<pid><tag>-<role>) and removed by close(),
also when the test fails; veth ends are created directly inside their namespaces, so the host's
own interfaces, routes and firewall are never touched. Addresses are documentation ranges
(RFC 5737 198.51.100.0/24, 203.0.113.0/24, 192.0.2.0/24; RFC 3849 2001:db8::/32)."""

import json
import os
import subprocess


def run(*args, check=True, timeout=30, **kwargs):
    result = subprocess.run(list(map(str, args)), capture_output=True, text=True,
                            timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {result.returncode}: "
                             f"{result.stderr}{result.stdout}")
    return result


class Topology:
    """Namespaces, a bridge (in a namespace of its own) and veth links between them."""

    def __init__(self, tag):
        self.prefix = f"nk{os.getpid()}{tag}"
        self.namespaces = []
        self.processes = []
        self.bridge = None
        self.ports = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def namespace(self, role):
        name = f"{self.prefix}-{role}"
        run("ip", "netns", "add", name)
        self.namespaces.append(name)
        self.ip(name, "link", "set", "lo", "up")
        return name

    def ip(self, ns, *args, check=True):
        return run("ip", "-n", ns, *args, check=check)

    def exec(self, ns, *args, check=True, timeout=30, env=None):
        return run("ip", "netns", "exec", ns, *args, check=check, timeout=timeout, env=env)

    def lan(self):
        """The bridge every attach() plugs into (created on first use)."""
        if self.bridge is None:
            self.bridge = self.namespace("lan")
            self.ip(self.bridge, "link", "add", "br0", "type", "bridge")
            self.ip(self.bridge, "link", "set", "br0", "up")
        return self.bridge

    def attach(self, ns, ifname, addresses=(), up=True):
        """A veth from ns (named ifname) to the bridge; the port is up, ifname as asked."""
        bridge = self.lan()
        self.ports += 1
        port = f"p{self.ports}"
        run("ip", "link", "add", ifname, "netns", ns, "type", "veth", "peer", "name", port,
            "netns", bridge)
        self.ip(bridge, "link", "set", port, "master", "br0", "up")
        self.configure(ns, ifname, addresses, up)

    def wire(self, ns_a, if_a, ns_b, if_b, addresses_a=(), addresses_b=(), up=True):
        """A direct veth link between two namespaces (an HA link)."""
        run("ip", "link", "add", if_a, "netns", ns_a, "type", "veth", "peer", "name", if_b,
            "netns", ns_b)
        self.configure(ns_a, if_a, addresses_a, up)
        self.configure(ns_b, if_b, addresses_b, up)

    def configure(self, ns, ifname, addresses, up):
        for address in addresses:
            extra = ["nodad"] if ":" in address else []
            self.ip(ns, "address", "add", address, "dev", ifname, *extra)
        if up:
            self.ip(ns, "link", "set", ifname, "up")

    # --- read-back through iproute2 (netlink) ------------------------------------------------

    def link(self, ns, ifname):
        return json.loads(self.ip(ns, "-j", "link", "show", "dev", ifname).stdout)[0]

    def mac(self, ns, ifname):
        return self.link(ns, ifname)["address"]

    def addresses(self, ns, ifname):
        """{"198.51.100.1/24", ...} on ifname (link-local IPv6 left out)."""
        info = json.loads(self.ip(ns, "-j", "address", "show", "dev", ifname).stdout)
        return {f"{a['local']}/{a['prefixlen']}" for entry in info
                for a in entry.get("addr_info", []) if a.get("scope") != "link"}

    def routes(self, ns, family="-4"):
        """{(dst, gateway-or-None, protocol)} of the main table."""
        info = json.loads(self.ip(ns, "-j", family, "route", "show", "table", "main").stdout)
        return {(r["dst"], r.get("gateway"), str(r.get("protocol", ""))) for r in info}

    def neighbour(self, ns, ifname, address):
        """The lladdr ns has for address on ifname, or None."""
        info = json.loads(self.ip(ns, "-j", "neigh", "show", "dev", ifname, "to",
                                  address).stdout)
        for entry in info:
            if entry.get("dst") == address and entry.get("lladdr"):
                return entry["lladdr"]
        return None

    def spawn(self, ns, *args, **kwargs):
        """A process in ns, killed by close() if still running."""
        process = subprocess.Popen(["ip", "netns", "exec", ns, *map(str, args)], **kwargs)
        self.processes.append(process)
        return process

    def close(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            try:
                process.communicate(timeout=10)
            except (subprocess.TimeoutExpired, ValueError):
                pass
        for name in reversed(self.namespaces):
            run("ip", "netns", "del", name, check=False)
        self.namespaces = []


def write_config(path, tserver, network, webui=None):
    lines = ["[TServer]"] + [f"{k} = {v}" for k, v in tserver.items()]
    lines += ["", "[network]"] + [f"{k} = {v}" for k, v in network.items()]
    if webui:
        lines += ["", "[webui]"] + [f"{k} = {v}" for k, v in webui.items()]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return str(path)
