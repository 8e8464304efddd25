"""Processes the bench starts, and the guarantee that every one of them is stopped.

Each child runs in its own session (process group), so stopping it also stops what it forked
(Kamailio's workers). Only the process groups started here are ever signalled, by their id.
"""

import atexit
import os
import signal
import socket
import subprocess
import sys
import time

_groups = {}  # pgid -> Popen, every live process group we started


def start(argv, env=None, stdout=None, stderr=None, cwd=None):
    """Starts argv in a new process group and remembers it for stopAll()."""
    proc = subprocess.Popen(argv, env=env, stdout=stdout, stderr=stderr, cwd=cwd,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    _groups[proc.pid] = proc
    return proc


def stop(proc, grace=5.0):
    """SIGTERM to the group, SIGKILL after `grace` seconds; returns the exit code."""
    if proc is None:
        return None
    pgid = proc.pid
    if proc.poll() is None:
        _signalGroup(pgid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _signalGroup(pgid, signal.SIGKILL)
            proc.wait(timeout=grace)
    # Workers of a server may outlive their parent for a moment: clear the whole group.
    _signalGroup(pgid, signal.SIGKILL)
    _groups.pop(pgid, None)
    return proc.returncode


def run(argv, timeout, env=None, stdout=None, stderr=None, cwd=None, onTick=None):
    """Runs argv to completion; see waitBounded. Returns (exit code, timed out, CPU seconds)."""
    proc = start(argv, env=env, stdout=stdout, stderr=stderr, cwd=cwd)
    return waitBounded(proc, timeout, onTick)


def waitBounded(proc, timeout, onTick=None):
    """Waits for a process started by start(), stopped (as by stop()) after `timeout` seconds
    or as soon as onTick(), called every 20 ms, returns True.

    Returns (exit code, stopped by us, CPU seconds it used): the CPU time tells whether the
    process (SIPp) was itself the bottleneck.
    """
    deadline = time.monotonic() + timeout
    stopped = False
    while True:
        if onTick and onTick():
            stopped = True
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        if stopped or time.monotonic() >= deadline:
            stopped = True
            _signalGroup(proc.pid, signal.SIGTERM)
            pid, status, usage = _reap(proc.pid, grace=2.0)
            break
        time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    _groups.pop(proc.pid, None)
    _signalGroup(proc.pid, signal.SIGKILL)  # anything it left behind
    return proc.returncode, stopped, usage.ru_utime + usage.ru_stime


def _reap(pid, grace):
    """wait4 for a signalled process, SIGKILL after `grace` seconds; (pid, status, rusage)."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        found = os.wait4(pid, os.WNOHANG)
        if found[0] == pid:
            return found
        time.sleep(0.02)
    _signalGroup(pid, signal.SIGKILL)
    return os.wait4(pid, 0)


def stopAll():
    for proc in list(_groups.values()):
        stop(proc, grace=2.0)


def _signalGroup(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _onSignal(signum, _frame):
    stopAll()
    sys.exit(128 + signum)


def installCleanup():
    """The Python equivalent of `trap stopAll EXIT INT TERM HUP`."""
    atexit.register(stopAll)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _onSignal)


def freeUdpTcpPort(host="127.0.0.1"):
    """A port free for both UDP and TCP on host right now (sipd binds both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((host, 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((host, port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free UDP+TCP port on " + host)


def udpDrops(ports):
    """{port: datagrams the kernel dropped at the 127.0.0.1 UDP sockets bound to it} from
    /proc/net/udp (last column), for telling the server's drops from the client's."""
    drops = {port: 0 for port in ports}
    for port, dropped in _udpSockets():
        if port in drops:
            drops[port] += dropped
    return drops


def waitUdpBound(port, deadline, alive=lambda: True):
    """Waits until a socket is bound to 127.0.0.1:port (a SIPp UAS ready to receive); False at
    `deadline` or when alive() says its owner is gone."""
    while time.monotonic() < deadline and alive():
        if any(bound == port for bound, _ in _udpSockets()):
            return True
        time.sleep(0.01)
    return False


def _udpSockets():
    """(port, drops) of every UDP socket bound to 127.0.0.1, from /proc/net/udp."""
    try:
        with open("/proc/net/udp", encoding="ascii") as table:
            next(table, None)
            rows = [line.split() for line in table]
    except OSError:
        return []
    return [(int(fields[1][9:], 16), int(fields[-1])) for fields in rows
            if len(fields) > 12 and fields[1].startswith("0100007F:")]


def pinned(cpu, argv):
    """argv pinned to one CPU (`taskset -c CPU`), at the niceness BENCH_NICE when set (e.g.
    -10 to keep a shared machine's other work from skewing the figures; needs root). Both
    exec, so the pid stays the program's."""
    prefix = ["taskset", "-c", str(cpu)]
    niceness = os.environ.get("BENCH_NICE", "")
    if niceness:
        prefix = ["nice", "-n", str(int(niceness))] + prefix
    return prefix + list(argv)


def vmRssKiB(pid):
    """VmRSS of pid in KiB from /proc/PID/status, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")  # the unit of utime and stime in /proc/PID/stat


def parseStat(text):
    """(pgrp, utime + stime in clock ticks) from one /proc/PID/stat line. The command name
    (field 2) is in parentheses and may itself hold spaces and ')': the fields are counted
    from the last ')'."""
    fields = text[text.rindex(")") + 1:].split()
    # fields[0] is field 3 (state): pgrp is field 5, utime 14, stime 15 (proc(5)).
    return int(fields[2]), int(fields[11]) + int(fields[12])


def cpuTicks(pid, group=False):
    """CPU time pid used so far (utime + stime, every thread), in clock ticks, as /proc
    accounts it; with `group`, the sum over every process of the process group `pid` leads
    (Kamailio's main, workers and timers). None when pid is gone."""
    if not group:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
                return parseStat(stat.read())[1]
        except (OSError, ValueError, IndexError):
            return None
    total, found = 0, False
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                pgrp, ticks = parseStat(stat.read())
        except (OSError, ValueError, IndexError):
            continue  # exited meanwhile
        if pgrp == pid:
            total, found = total + ticks, True
    return total if found else None


def microsPerOp(ticksBefore, ticksAfter, operations, clockTicks=CLOCK_TICKS):
    """CPU microseconds per operation from two cpuTicks readings; None without operations or
    readings."""
    if not operations or ticksBefore is None or ticksAfter is None:
        return None
    return (ticksAfter - ticksBefore) * 1e6 / clockTicks / operations


def monotonic():
    return time.monotonic()
