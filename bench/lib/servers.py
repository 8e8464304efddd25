"""The two servers under test, started the same way: pinned to one CPU, on 127.0.0.1, with
their data in the bench's temporary directory, and known ready before any traffic."""

import os
import signal
import socket
import tempfile
import time
import uuid

import procs
from notify import NotifySocket

KAMAILIO = os.environ.get("BENCH_KAMAILIO", "/usr/sbin/kamailio")
HOST = "127.0.0.1"


def probeOptions(port, deadline):
    """Sends OPTIONS until a 200 comes back (RFC 3261 11); True when one did before deadline."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((HOST, 0))
        localPort = sock.getsockname()[1]
        while time.monotonic() < deadline:
            branch = "z9hG4bK" + uuid.uuid4().hex
            request = (f"OPTIONS sip:{HOST}:{port} SIP/2.0\r\n"
                       f"Via: SIP/2.0/UDP {HOST}:{localPort};branch={branch}\r\n"
                       "Max-Forwards: 70\r\n"
                       f"From: <sip:probe@{HOST}:{localPort}>;tag={uuid.uuid4().hex[:8]}\r\n"
                       f"To: <sip:{HOST}:{port}>\r\n"
                       f"Call-ID: {uuid.uuid4().hex}@{HOST}\r\n"
                       "CSeq: 1 OPTIONS\r\n"
                       "Content-Length: 0\r\n\r\n")
            sock.sendto(request.encode(), (HOST, port))
            sock.settimeout(0.2)
            try:
                while True:
                    data = sock.recv(65536)
                    if branch.encode() in data:
                        return data.startswith(b"SIP/2.0 200")
            except socket.timeout:
                continue
    return False


class Server:
    """Common lifecycle: start(), stop(), alive(); subclasses build the command line."""

    name = "server"

    def __init__(self, workDir, cpu=0):
        self.workDir_ = workDir
        self.cpu_ = cpu
        self.proc_ = None
        self.port = 0
        self.readySeconds = None  # exec -> ready, measured by start()
        self.log_ = None

    def alive(self):
        return self.proc_ is not None and self.proc_.poll() is None

    @property
    def pid(self):
        return self.proc_.pid if self.proc_ else None

    def exitCode(self):
        return self.proc_.poll() if self.proc_ else None

    def stop(self):
        code = procs.stop(self.proc_)
        self.proc_ = None
        if self.log_:
            self.log_.close()
            self.log_ = None
        return code

    def logTail(self, lines=5):
        try:
            with open(self.logPath_, encoding="utf-8", errors="replace") as log:
                return "".join(log.readlines()[-lines:])
        except (OSError, AttributeError):
            return ""

    def spawn_(self, argv, env, tag):
        self.logPath_ = os.path.join(self.workDir_, f"{tag}.log")
        self.log_ = open(self.logPath_, "ab")
        self.proc_ = procs.start(procs.pinned(self.cpu_, argv), env=env,
                                 stdout=self.log_, stderr=self.log_, cwd=self.workDir_)


class Kamailio(Server):
    name = "Kamailio"

    def __init__(self, workDir, cfg, children=1, shmMiB=512, defines=None, cpu=0):
        super().__init__(workDir, cpu)
        self.cfg_ = cfg
        self.children_ = children
        self.shmMiB_ = shmMiB
        self.defines_ = defines or {}

    def start(self, timeout=20.0):
        """Starts Kamailio and waits until it answers OPTIONS (it has no READY=1 here)."""
        self.port = procs.freeUdpTcpPort(HOST)
        runtimeDir = os.path.join(self.workDir_, "kamailio-run")
        os.makedirs(runtimeDir, exist_ok=True)
        argv = [KAMAILIO, "-f", self.cfg_, "-DD", "-E", "-m", str(self.shmMiB_), "-M", "16",
                "-Y", runtimeDir, "-A", f"BENCH_PORT={self.port}",
                "-A", f"BENCH_CHILDREN={self.children_}"]
        for key, value in self.defines_.items():
            argv += ["-A", f'{key}="{value}"']
        started = time.monotonic()
        self.spawn_(argv, dict(os.environ), "kamailio")
        if not probeOptions(self.port, started + timeout) or not self.alive():
            return False
        self.readySeconds = time.monotonic() - started
        return True


class Sipd(Server):
    name = "sipd"
    notify_ = None

    def __init__(self, workDir, binary, configWriter, cpu=0, tag="sipd", busAddress=None):
        """configWriter(path, port, dataDir) writes sipd's INI file. `tag` names its files in
        workDir (two sipds of a pair side by side); `busAddress`: the D-Bus it takes as its
        system bus (default none: sipd logs one warning and runs without D-Bus)."""
        super().__init__(workDir, cpu)
        self.binary_ = binary
        self.configWriter_ = configWriter
        self.tag_ = tag
        self.busAddress_ = busAddress

    def start(self, timeout=120.0, probe=True):
        """Starts sipd on a fresh data dir; readySeconds = exec -> READY=1 on our socket.
        With `probe`, ready also means an OPTIONS got its 200 (a pair node starts as backup,
        which answers no SIP: its caller probes after SetRole primary)."""
        self.port = procs.freeUdpTcpPort(HOST)
        dataDir = tempfile.mkdtemp(prefix=f"{self.tag_}-data-", dir=self.workDir_)
        configPath = os.path.join(self.workDir_, f"{self.tag_}.ini")
        self.configWriter_(configPath, self.port, dataDir)
        notify = NotifySocket(os.path.join(self.workDir_, f"{self.tag_}-notify.sock"))
        env = dict(os.environ)
        env.update(notify.env())
        env["DBUS_SYSTEM_BUS_ADDRESS"] = self.busAddress_ or (
            "unix:path=" + os.path.join(self.workDir_, "no-bus"))
        started = time.monotonic()
        self.spawn_([self.binary_, "--config", configPath], env, self.tag_)
        readyAt = notify.waitFor("READY=1", started + timeout, self.alive)
        self.notify_ = notify
        if readyAt is None:
            return False
        self.readySeconds = readyAt - started
        if not probe:
            return self.alive()
        return probeOptions(self.port, time.monotonic() + 10.0) and self.alive()

    def stop(self):
        if self.notify_:
            self.notify_.close()
            self.notify_ = None
        return super().stop()

    def reloadStatus(self, timeout=60.0):
        """SIGHUP (= Reload()) makes sipd re-send STATUS=<role>, <N> bindings; returns that
        text, or None. Only our own sipd's pid is signalled."""
        if not self.alive() or not self.notify_:
            return None
        self.notify_.drain()
        os.kill(self.pid, signal.SIGHUP)
        deadline = time.monotonic() + timeout
        # Reload sends RELOADING=1, then READY=1, then the fresh STATUS=.
        if self.notify_.waitFor("READY=1", deadline, self.alive) is None:
            return None
        found = self.notify_.waitForPrefix("STATUS=", deadline, self.alive)
        return found[1][len("STATUS="):] if found else None
