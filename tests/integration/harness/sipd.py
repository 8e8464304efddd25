"""The sipd process under test: config file, readiness by sd_notify, stop, D-Bus and SIP helpers."""

import os
import select
import signal
import socket
import subprocess
import threading
import time

from . import net, sip

BUS_NAME = "org.sipha.Sipd1"
OBJECT = "/org/sipha/Sipd1"
IFACE = "org.sipha.Sipd1"


def write_config(path, sections):
    """Writes an INI file from {section: {option: value}}; returns {(section, option): line}."""
    lines, where = [], {}
    for section, options in sections.items():
        if lines:
            lines.append("")
        lines.append(f"[{section}]")
        for option, value in options.items():
            lines.append(f"{option} = {value}")
            where[(section, option)] = len(lines)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    return where


class Sipd:
    """host: sip-interface and sip-address (a subclass may advertise another sip-address);
    port: sip-port (default: a free one); command_prefix: a command sipd is run under, which
    must exec it (same PID, so signals reach sipd), e.g. `ip netns exec NAME`."""

    def __init__(self, binary, tmpdir, bus=None, *, tls=False, ha_mode=None, dns=None,
                 tserver=None, extensions=("7001", "7002"), env=None, host="127.0.0.1",
                 port=None, command_prefix=()):
        self.binary = binary
        self.tmpdir = str(tmpdir)
        self.bus = bus
        self.host = host
        self.port = port or net.free_udp_tcp_port(self.host)
        self.command_prefix = [str(arg) for arg in command_prefix]
        self.tls_port = net.free_tcp_port(self.host) if tls else 0
        self.data_dir = os.path.join(self.tmpdir, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.config_path = os.path.join(self.tmpdir, "sipd.conf")
        self.stderr_path = os.path.join(self.tmpdir, "sipd.stderr")
        self.notify_path = os.path.join(self.tmpdir, "notify.sock")
        self.proc = None
        self.notify = None
        self.stderr_offset = 0
        self.lines = {}
        self.notify_lines = []
        self._notify_cond = threading.Condition()
        self._notify_thread = None
        self.extra_env = dict(env or {})
        self.sections = {
            "TServer": {
                "sip-address": self.host,
                "sip-interface": self.host,
                "sip-port": self.port,
                "sip-port-tls": self.tls_port,
                "internal-registrar-enabled": "true",
                "internal-registrar-persistent": "true",
                "registrar-default-expires": 3600,
                "registrar-min-expires": 60,
                "registrar-max-expires": 7200,
                "registrar-max-contacts": 10,
                "registrar-accept-unknown": "false",
                # The tests' SIPp and python peers call from loopback with any From user:
                # trusted (docs/authentication.md). Tests of call authentication override it.
                "trusted-networks": "127.0.0.0/8, ::1/128",
            },
            "appliance": {"data-dir": self.data_dir, "log-level": "info"},
        }
        self.sections["TServer"].update(tserver or {})
        if ha_mode:
            self.sections["ha"] = {"mode": ha_mode}
        dns = dict(dns or {})
        for ext in extensions:
            dns.setdefault(ext, {"type": "Extension"})
        for name, options in dns.items():
            self.sections[f"dn:{name}"] = dict(options)

    @property
    def address(self):
        return (self.host, self.port)

    @property
    def tls_address(self):
        return (self.host, self.tls_port)

    # ---- process -------------------------------------------------------------------------

    def write_config(self):
        self.lines = write_config(self.config_path, self.sections)
        return self.lines

    def spawn(self, write=True):
        """Starts sipd without waiting; returns the Popen."""
        if write:
            self.write_config()
        self._open_notify()
        env = dict(os.environ)
        env["NOTIFY_SOCKET"] = self.notify_path
        env.pop("WATCHDOG_USEC", None)
        env.pop("WATCHDOG_PID", None)
        if self.bus:
            env["DBUS_SYSTEM_BUS_ADDRESS"] = self.bus.address
        else:
            env["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=" + os.path.join(self.tmpdir, "no-bus")
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        env.update(self.extra_env)
        self.stderr_offset = os.path.getsize(self.stderr_path) if os.path.exists(
            self.stderr_path) else 0
        stderr = open(self.stderr_path, "ab")
        try:
            self.proc = subprocess.Popen(
                self.command_prefix + [self.binary, "--config", self.config_path], env=env,
                stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr)
        finally:
            stderr.close()
        return self.proc

    def start(self, write=True, timeout=30):
        if not os.path.exists(self.binary):
            raise AssertionError(f"sipd binary not found at {self.binary} (set SIPD)")
        self.spawn(write)
        deadline = time.monotonic() + timeout
        while not self.wait_notify(lambda lines: "READY=1" in lines, 0.1):
            code = self.proc.poll()
            if code is not None:
                raise AssertionError(
                    f"sipd exited with {code} before READY=1; stderr:\n{self.stderr()}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"sipd not READY=1 after {timeout}s; stderr:\n"
                                     f"{self.stderr()}")
        return self

    # ---- sd_notify -------------------------------------------------------------------------
    # Like systemd, the harness reads the notification socket all the time (a thread): an
    # unread socket fills up (net.unix.max_dgram_qlen) and blocks sipd in sd_notify().

    def _open_notify(self):
        self._close_notify()
        if os.path.exists(self.notify_path):
            os.unlink(self.notify_path)
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        self.notify_lines = []  # every line received from this sipd process, in order
        self._notify_stop = False
        self._notify_thread = threading.Thread(target=self._notify_loop, args=(self.notify,),
                                               daemon=True)
        self._notify_thread.start()

    def _notify_loop(self, sock):
        while not self._notify_stop:
            r, _, _ = select.select([sock], [], [], 0.1)
            if not r:
                continue
            try:
                data = sock.recv(65536).decode("utf-8", "replace")
            except OSError:
                return
            with self._notify_cond:
                self.notify_lines.extend(line for line in data.split("\n") if line)
                self._notify_cond.notify_all()

    def _close_notify(self):
        if self.notify is not None:
            self._notify_stop = True
            self._notify_thread.join(5)
            self.notify.close()
            self.notify = None

    def wait_notify(self, predicate, timeout):
        """Waits until predicate(list of lines received so far) is true; returns its value."""
        deadline = time.monotonic() + timeout
        with self._notify_cond:
            while True:
                value = predicate(list(self.notify_lines))
                left = deadline - time.monotonic()
                if value or left <= 0:
                    return value
                self._notify_cond.wait(left)

    @property
    def statuses(self):
        with self._notify_cond:
            return [line[7:] for line in self.notify_lines if line.startswith("STATUS=")]

    @property
    def watchdogs(self):
        with self._notify_cond:
            return self.notify_lines.count("WATCHDOG=1")

    def stderr(self, since_start=True):
        if not os.path.exists(self.stderr_path):
            return ""
        with open(self.stderr_path, "rb") as f:
            if since_start:
                f.seek(self.stderr_offset)
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10):
        """SIGTERM, SIGKILL after timeout; returns the exit code (negative: signal)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def close(self):
        self.kill()
        self._close_notify()

    def sighup(self):
        self.proc.send_signal(signal.SIGHUP)

    # ---- D-Bus -----------------------------------------------------------------------------

    def wait_bus_name(self, timeout=15):
        assert self.bus, "this sipd has no bus"
        net.wait_for(lambda: BUS_NAME in self.bus.names(), timeout,
                     interval=0.05, what=f"{BUS_NAME} on the bus")

    def busctl(self, *args):
        return self.bus.busctl(*args)

    def get_property(self, name):
        return self.bus.busctl_json("get-property", BUS_NAME, OBJECT, IFACE, name)["data"]

    def call(self, method, signature="", *args):
        """busctl call; returns the parsed JSON data list; AssertionError on failure."""
        sig = [signature, *args] if signature else []
        out = self.bus.busctl_json("call", BUS_NAME, OBJECT, IFACE, method, *sig)
        return out.get("data", []) if isinstance(out, dict) else out

    def call_raw(self, method, *typed_args):
        """dbus-send call: (ok, text) with the error *name* in text on failure."""
        return self.bus.dbus_send(BUS_NAME, OBJECT, f"{IFACE}.{method}", *typed_args)

    def set_role(self, role, epoch):
        return self.call_raw("SetRole", f"string:{role}", f"uint64:{epoch}")

    def counters(self):
        return dict(self.get_property("Counters"))

    def counter(self, name):
        return int(self.counters().get(name, 0))

    def options_sources(self):
        """{"ip": (count, last_usec)} — keyed by source IP address"""
        data = self.call("GetOptionsSources")
        return {src: (int(n), int(t)) for src, n, t in data[0]}

    def dropped_sources(self):
        data = self.call("GetDroppedSources")
        return {src: int(n) for src, n in data[0]}

    # ---- SIP -------------------------------------------------------------------------------

    def uri(self, user=None):
        return f"sip:{user}@{self.host}:{self.port}" if user else f"sip:{self.host}:{self.port}"

    def udp(self, host="127.0.0.1"):
        return sip.UdpClient(self.address, host)

    def tcp(self, timeout=3.0):
        return sip.StreamClient(self.address, timeout=timeout)

    def tls(self, context=None, timeout=3.0, server_hostname=None):
        return sip.StreamClient(self.tls_address, context or sip.insecure_tls_context(),
                                timeout, server_hostname)

    def client(self, transport):
        return {"udp": self.udp, "tcp": self.tcp, "tls": self.tls}[transport.lower()]()

    def options(self, transport="udp", timeout=3.0):
        c = self.client(transport)
        try:
            return c.exchange(sip.request("OPTIONS", self.uri(), c.transport, c.local),
                              timeout)
        finally:
            c.close()

    def register(self, client, user, contact=None, expires=None, call_id=None, cseq=1,
                 extra=(), timeout=3.0):
        hdrs = list(extra)
        if expires is not None:
            hdrs.append(f"Expires: {expires}")
        req = sip.request("REGISTER", f"sip:{self.host}:{self.port}", client.transport,
                          client.local, user=user, call_id=call_id, cseq=cseq,
                          extra=hdrs, contact=contact)
        return client.exchange(req, timeout)
