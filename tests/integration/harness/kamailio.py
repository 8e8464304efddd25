"""A real Kamailio registrar (in-memory usrloc) to validate scenarios and clients."""

import os
import signal
import subprocess

from . import net, sip

TEMPLATE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "kamailio",
                        "registrar.cfg.in")


class Kamailio:
    kind = "kamailio"

    def __init__(self, tmpdir, algorithm="MD5", template=TEMPLATE, substitutions=None):
        """template: a kamailio/*.cfg.in; substitutions: {"@NAME@": value} besides @PORT@
        and @ALGORITHM@ (e.g. softswitch.cfg.in's @SIPD_PORT@)."""
        self.tmpdir = str(tmpdir)
        self.host = "127.0.0.1"
        self.port = net.free_udp_tcp_port()
        self.algorithm = algorithm
        self.template = template
        self.substitutions = dict(substitutions or {})
        self.proc = None

    @property
    def address(self):
        return (self.host, self.port)

    def start(self):
        cfg = os.path.join(self.tmpdir, "kamailio.cfg")
        with open(self.template) as f:
            text = f.read().replace("@PORT@", str(self.port)).replace("@ALGORITHM@",
                                                                     self.algorithm)
        for name, value in self.substitutions.items():
            text = text.replace(name, str(value))
        with open(cfg, "w") as f:
            f.write(text)
        log = open(os.path.join(self.tmpdir, "kamailio.log"), "ab")
        self.proc = subprocess.Popen(["kamailio", "-f", cfg, "-DD", "-E", "-w", self.tmpdir,
                                      "-P", os.path.join(self.tmpdir, "kamailio.pid")],
                                     stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        log.close()

        def answers():
            if self.proc.poll() is not None:
                raise AssertionError("kamailio exited")
            c = sip.UdpClient(self.address)
            try:
                return c.exchange(sip.request("OPTIONS", f"sip:{self.host}:{self.port}", "UDP",
                                              c.local), 0.2)
            finally:
                c.close()

        net.wait_for(answers, 15, what="kamailio answering OPTIONS")
        return self

    def log(self):
        """Kamailio's stdout and stderr so far (its xlog lines)."""
        with open(os.path.join(self.tmpdir, "kamailio.log"), errors="replace") as f:
            return f.read()

    def stop(self):
        """Stops kamailio and its children (its own process group)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(10)
