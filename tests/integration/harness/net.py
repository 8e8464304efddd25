"""Free ports and bounded waiting for conditions (never a fixed sleep)."""

import os
import socket
import time


def free_udp_tcp_port(host="127.0.0.1", attempts=50):
    """A port free for both UDP and TCP on host (SIP listens on both)."""
    for _ in range(attempts):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            tcp.bind((host, 0))
            port = tcp.getsockname()[1]
            try:
                udp.bind((host, port))
            except OSError:
                continue
            return port
        finally:
            tcp.close()
            udp.close()
    raise RuntimeError("no free UDP+TCP port found")


def free_tcp_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_bound(port, host="127.0.0.1", kind=socket.SOCK_DGRAM):
    """True when somebody holds `port` on host for `kind` (SOCK_DGRAM: UDP, SOCK_STREAM: TCP)."""
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind((host, port))
        return False
    except OSError:
        return True
    finally:
        s.close()


def udp_port_held_by(pid, port):
    """True when process pid holds a UDP socket bound to `port` (this namespace's
    /proc/net/udp{,6}): unlike port_bound, somebody else holding the port does not count."""
    inodes = set()
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if int(fields[1].rsplit(":", 1)[1], 16) == port:
                        inodes.add(f"socket:[{fields[9]}]")
        except FileNotFoundError:
            continue
    if not inodes:
        return False
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except FileNotFoundError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                return True
        except OSError:
            continue
    return False


def wait_for(predicate, timeout, interval=0.02, what="condition"):
    """Polls predicate() until it returns a truthy value; fails after timeout.

    Used only for conditions that become observable (a counter, a property, a
    file), so the wait ends as soon as the event happened."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
