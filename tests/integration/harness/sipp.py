"""Runs SIPp scenarios from ../scenarios against a server, bounded in time."""

import os
import subprocess

from . import net

SCENARIOS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "scenarios")


class SippResult:
    def __init__(self, proc, cmd, workdir, name):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.cmd = cmd
        self.workdir = workdir
        self.name = name

    def file_text(self, suffix):
        """Text of SIPp's trace files ending with suffix (e.g. '_errors.log')."""
        out = []
        for f in sorted(os.listdir(self.workdir)):
            if f.startswith(self.name) and f.endswith(suffix):
                with open(os.path.join(self.workdir, f), errors="replace") as fh:
                    out.append(fh.read())
        return "".join(out)

    def explain(self):
        return (f"sipp exit {self.returncode}: {' '.join(self.cmd)}\nstderr:\n{self.stderr[-3000:]}"
                f"\nerrors:\n{self.file_text('_errors.log')[-4000:]}"
                f"\nmessages:\n{self.file_text('_messages.log')[-6000:]}")


def write_csv(path, rows, mode="SEQUENTIAL"):
    with open(path, "w") as f:
        f.write(mode + "\n")
        for row in rows:
            f.write(";".join(map(str, row)) + "\n")
    return path

# SIPp's message when its port is taken (errno 98).
BIND_FAILED = "Unable to bind main socket"


def command(scenario, server, workdir, *, transport="u1", calls=1, rate=None, inf=None,
            extra=(), timeout=120, keys=None, trace_msg=True, port=None):
    """The sipp command line (and scenario name); traces land in workdir.

    transport: u1 (UDP), t1 (TCP, one connection), tn (one per call), l1 (TLS)."""
    os.makedirs(workdir, exist_ok=True)
    name = os.path.splitext(os.path.basename(scenario))[0]
    path = scenario if os.path.isabs(scenario) else os.path.join(SCENARIOS, scenario)
    port = port or net.free_udp_tcp_port()
    cmd = ["sipp", f"{server[0]}:{server[1]}", "-sf", path, "-i", "127.0.0.1",
           "-p", str(port), "-t", transport, "-m", str(calls), "-nostdin",
           "-timeout", f"{max(5, timeout - 10)}s", "-timeout_error", "-trace_err",
           "-error_file", os.path.join(workdir, f"{name}_errors.log")]
    if trace_msg:
        cmd += ["-trace_msg", "-message_file", os.path.join(workdir, f"{name}_messages.log")]
    if rate:
        cmd += ["-r", str(rate), "-l", str(max(rate * 2, 10))]
    if inf:
        cmd += ["-inf", inf]
    for key, value in (keys or {}).items():
        cmd += ["-key", key, str(value)]
    cmd += list(extra)
    return cmd, name


def run(scenario, server, workdir, *, timeout=120, port=None, **kwargs):
    """Runs sipp to its end (bounded by timeout); returns a SippResult. A port picked here
    that a parallel test took first (SIPp: "Address already in use") is picked again."""
    for attempt in range(1 if port else 5):
        cmd, name = command(scenario, server, workdir, timeout=timeout, port=port, **kwargs)
        proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        if BIND_FAILED not in proc.stderr:
            break
    return SippResult(proc, cmd, workdir, name)
