"""Network namespaces, veth links and commands run in them (iproute2, nft, sysctl).

Every namespace of a lab is named `<prefix>-<role>`; veth ends are created directly inside
their namespaces (`ip link add NAME netns A type veth peer name PEER netns B`), so nothing of the
lab ever appears in the host's namespace, and deleting a namespace removes its links."""

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import time

CLONE_NEWNET = 0x40000000
NETNS_DIR = "/run/netns"


class CommandError(RuntimeError):
    pass


def run(*args, input=None, check=True, timeout=30, env=None):
    """Runs a command; CommandError with its output when it fails (and check)."""
    argv = [str(a) for a in args]
    result = subprocess.run(argv, capture_output=True, text=True, input=input, timeout=timeout,
                            env=env)
    if check and result.returncode != 0:
        raise CommandError(f"{' '.join(argv)} exited {result.returncode}: "
                           f"{result.stderr.strip()} {result.stdout.strip()}".strip())
    return result


def exists(name):
    return os.path.exists(os.path.join(NETNS_DIR, name))


def list_names():
    try:
        return sorted(os.listdir(NETNS_DIR))
    except FileNotFoundError:
        return []


def pids_in(name):
    """The pids of the processes in namespace `name` (`ip netns pids`)."""
    result = run("ip", "netns", "pids", name, check=False)
    return [int(p) for p in result.stdout.split() if p.isdigit()]


def start_time(pid):
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22), or None:
    with the pid it names one process for good (a pid can be reused, this pair cannot)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def kill_and_wait(pids, timeout=5.0):
    """SIGKILL to each pid, then waits until every one is gone (reaped or a zombie)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    for pid in pids:
        while time.monotonic() < deadline and _running(pid):
            time.sleep(0.01)


def _running(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


class Namespace:
    """One network namespace: lo up at creation; `prefix` runs a command in it (execs it: the
    pid of `ip netns exec NAME CMD` is CMD's)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"<netns {self.name}>"

    @property
    def prefix(self):
        return ("ip", "netns", "exec", self.name)

    def create(self):
        run("ip", "netns", "add", self.name)
        self.ip("link", "set", "lo", "up")
        return self

    def exists(self):
        return exists(self.name)

    def delete(self):
        """Kills what still runs in it (SIGKILL), then deletes it; returns the pids killed."""
        if not self.exists():
            return []
        pids = pids_in(self.name)
        kill_and_wait(pids)
        run("ip", "netns", "del", self.name, check=False)
        return pids

    def run(self, *args, **kwargs):
        return run(*self.prefix, *args, **kwargs)

    def ip(self, *args, check=True):
        return run("ip", "-n", self.name, *args, check=check)

    def ip_json(self, *args):
        out = self.ip("-j", *args).stdout
        return json.loads(out) if out.strip() else []

    def nft(self, text, check=True):
        return self.run("nft", "-f", "-", input=text, check=check)

    def sysctl(self, key, value, check=True):
        """Writes /proc/sys/KEY inside the namespace (silently skipped when the key does not
        exist there and not check)."""
        path = "/proc/sys/" + key.replace(".", "/")
        return self.run("sh", "-c", f"[ -e {path} ] || exit 3; echo {value} > {path}",
                        check=check)

    def addresses(self, ifname=None):
        """{"192.0.2.11/24", ...} (link-local left out) on ifname, or on every link."""
        args = ["address", "show"] + (["dev", ifname] if ifname else [])
        return {f"{a['local']}/{a['prefixlen']}" for entry in self.ip_json(*args)
                for a in entry.get("addr_info", []) if a.get("scope") != "link"}

    def links(self):
        """{ifname: link JSON}."""
        return {entry["ifname"]: entry for entry in self.ip_json("link", "show")}

    def pids(self):
        return pids_in(self.name)

    @contextlib.contextmanager
    def entered(self):
        """The calling thread in the namespace: sockets made meanwhile stay in it."""
        libc = ctypes.CDLL(None, use_errno=True)
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(os.path.join(NETNS_DIR, self.name), os.O_RDONLY)
        try:
            if libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns into " + self.name)
            try:
                yield self
            finally:
                if libc.setns(home, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns back home")
        finally:
            os.close(target)
            os.close(home)


def veth(ns_a, if_a, ns_b, if_b):
    """A veth pair: if_a in ns_a, if_b in ns_b (both down)."""
    run("ip", "link", "add", if_a, "netns", ns_a.name, "type", "veth", "peer", "name", if_b,
        "netns", ns_b.name)
