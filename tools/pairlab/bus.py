"""A private dbus-daemon, busctl/dbus-send helpers and a busctl monitor.

Two policies: `permissive` (anybody owns and calls anything: the integration tests' buses) and
`system` (like the appliance's system bus: only root owns names, and only org.sipha.* ones; any
local user may call; the lab's node buses). tests/integration/harness/dbus.py re-exports this
module."""

import json
import os
import select
import subprocess

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
  </policy>
</busconfig>
"""

SYSTEM_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
  </policy>
  <policy user="root">
    <allow own_prefix="org.sipha"/>
  </policy>
</busconfig>
"""

POLICIES = {"permissive": BUS_CONFIG, "system": SYSTEM_BUS_CONFIG}


class DbusDaemon:
    """dbus-daemon in the foreground on a unix socket in tmpdir. prefix: a command it runs under
    that execs it (`ip netns exec NAME`: the daemon's pid is the Popen's); policy: a key of
    POLICIES; stderr: a file object for its stderr (default: a pipe)."""

    def __init__(self, tmpdir, deny_own=(), *, prefix=(), policy="permissive", stderr=None,
                 new_session=False):
        self.tmpdir = str(tmpdir)
        self.deny_own = tuple(deny_own)  # bus names nobody may own
        self.prefix = [str(arg) for arg in prefix]
        self.policy = policy
        self.stderr_file = stderr
        self.new_session = new_session  # a session of its own: a terminal's Ctrl-C misses it
        self.config = os.path.join(self.tmpdir, "bus.conf")
        self.socket = os.path.join(self.tmpdir, "bus.sock")
        self.address = None
        self.proc = None

    def start(self, timeout=10):
        config = POLICIES[self.policy].format(socket=self.socket)
        denials = "".join(f'    <deny own="{name}"/>\n' for name in self.deny_own)
        config = config.replace("  </policy>", denials + "  </policy>")
        with open(self.config, "w") as f:
            f.write(config)
        self.proc = subprocess.Popen(
            self.prefix + ["dbus-daemon", f"--config-file={self.config}", "--nofork",
                           "--nopidfile", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=self.stderr_file if self.stderr_file is not None else subprocess.PIPE,
            stdin=subprocess.DEVNULL, start_new_session=self.new_session)
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            self.stop()
            raise RuntimeError("dbus-daemon printed no address")
        line = self.proc.stdout.readline().decode().strip()
        if not line:
            err = (self.proc.stderr.read().decode()
                   if self.proc.poll() is not None and self.proc.stderr else "")
            self.stop()
            raise RuntimeError(f"dbus-daemon failed: {err}")
        self.address = line
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc:
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream:
                    stream.close()

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def busctl(self, *args, timeout=10):
        return subprocess.run(["busctl", f"--address={self.address}", *map(str, args)],
                              capture_output=True, text=True, timeout=timeout)

    def busctl_json(self, *args, timeout=10):
        res = self.busctl("--json=short", *args, timeout=timeout)
        if res.returncode != 0:
            raise AssertionError(f"busctl {' '.join(map(str, args))} failed: {res.stderr}")
        return json.loads(res.stdout)

    def names(self):
        res = self.busctl("list", "--acquired", "--no-legend")
        return [line.split()[0] for line in res.stdout.splitlines() if line.strip()]

    def dbus_send(self, dest, path, member, *typed_args, timeout=10):
        """dbus-send: unlike busctl it prints the D-Bus error *name* of a failed call.

        Returns (ok, output); on error output starts with 'Error <name>: <message>'."""
        res = subprocess.run(
            ["dbus-send", f"--bus={self.address}", "--print-reply", f"--dest={dest}", path,
             member, *typed_args], capture_output=True, text=True, timeout=timeout)
        return res.returncode == 0, (res.stdout + res.stderr).strip()


class BusMonitor:
    """busctl monitor on the private bus: messages to/from a service, as JSON, read by a
    thread. Attached once start() returns (a probe call was seen)."""

    def __init__(self, bus, service):
        import threading

        self.bus = bus
        self.service = service
        self.messages = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(
            ["busctl", f"--address={bus.address}", "monitor", "--json=short", service],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            text=True)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            with self._cond:
                self.messages.append(msg)
                self._cond.notify_all()

    def wait(self, predicate, timeout):
        import time

        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [m for m in self.messages if predicate(m)]
                left = deadline - time.monotonic()
                if found or left <= 0:
                    return found
                self._cond.wait(left)

    def attach(self, probe, timeout=10):
        """Repeats probe() (a method call to the service) until the monitor shows one."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            probe()
            if self.wait(lambda m: m.get("type") == "method_call", 0.5):
                return
        raise AssertionError("busctl monitor did not attach")

    def signals(self, member):
        with self._cond:
            return [m for m in self.messages
                    if m.get("type") == "signal" and m.get("member") == member]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._thread.join(5)
        self.proc.stdout.close()
