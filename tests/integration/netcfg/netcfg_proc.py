"""`sipha-netcfg` inside a namespace: one-shot commands, and the service (`serve`) on a private
dbus-daemon of its own (two nodes in one test each own org.sipha.Netcfg1 on their own bus)."""

import json
import os
import socket
import time

import pytest

from harness import dbus

SERVICE = ("org.sipha.Netcfg1", "/org/sipha/Netcfg1", "org.sipha.Netcfg1")


def binary():
    path = os.environ.get("SIPHA_NETCFG")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("set SIPHA_NETCFG to the sipha-netcfg binary (CTest does)")
    return path


def command(topology, ns, *args, check=False):
    """sipha-netcfg ARGS in ns: the CompletedProcess."""
    return topology.exec(ns, binary(), *args, check=check)


class Service:
    """sipha-netcfg serve --config CONFIG in ns, on its own private bus."""

    def __init__(self, topology, ns, config, tmpdir):
        self.topology = topology
        self.ns = ns
        os.makedirs(tmpdir, exist_ok=True)
        self.bus = dbus.DbusDaemon(tmpdir)
        self.bus.start()
        self.log_path = os.path.join(str(tmpdir), "netcfg.log")
        self.log = open(self.log_path, "w")
        # sd_notify goes to a datagram socket of ours, as systemd's would (a path: it works
        # across network namespaces).
        notify_path = os.path.join(str(tmpdir), "notify.sock")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(notify_path)
        self.notify.setblocking(False)
        self.notes = []
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.bus.address,
                   NOTIFY_SOCKET=notify_path)
        self.process = None
        try:
            self.process = topology.spawn(ns, binary(), "serve", "--config", config, env=env,
                                          stdout=self.log, stderr=self.log)
            self.wait_ready()
        except BaseException:
            self.stop()  # the bus and the socket are ours to clean up even when start fails
            raise

    def wait_ready(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"sipha-netcfg serve exited {self.process.returncode}: "
                                     f"{self.stderr()}")
            if self.bus.busctl("call", *SERVICE, "Status").returncode == 0:
                return
            time.sleep(0.05)
        raise AssertionError(f"sipha-netcfg serve never answered Status: {self.stderr()}")

    def call(self, member, *typed_args):
        """dbus-send: (ok, output); on error output holds the D-Bus error name."""
        return self.bus.dbus_send(SERVICE[0], SERVICE[1], f"{SERVICE[2]}.{member}", *typed_args)

    def set_role(self, role, epoch):
        ok, output = self.call("SetRole", f"string:{role}", f"uint64:{epoch}")
        assert ok, output
        return output

    def status(self):
        reply = self.bus.busctl_json("call", *SERVICE, "Status")
        return json.loads(reply["data"][0])

    def notifications(self):
        """Every sd_notify line received so far ("READY=1", "STATUS=backup", ...)."""
        while True:
            try:
                self.notes += self.notify.recv(4096).decode().splitlines()
            except BlockingIOError:
                return list(self.notes)

    def stderr(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        """SIGTERM; the exit code (0 = clean stop)."""
        code = self.process.poll() if self.process else None
        if self.process and code is None:
            self.process.terminate()
            try:
                code = self.process.wait(10)
            except Exception:
                self.process.kill()
                code = self.process.wait(10)
        self.log.close()
        self.notify.close()
        self.bus.stop()
        return code


def wait_until(predicate, timeout, step=0.01):
    """Polls a condition on real state (no fixed sleep): True once it holds."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)
