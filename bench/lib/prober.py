"""The client's view of a failover: OPTIONS to the VIP every millisecond, each answer
timestamped on CLOCK_MONOTONIC (one clock for every namespace of the machine).

Run in the client namespace (`python3 prober.py --target VIP --out FILE`). One thread, poll()
until the next send is due. Every tick sends two probes, one of each kind:

* `f` (fresh flow): from a new socket on a new ephemeral port, closed when answered or
  expired: every probe is a new UDP flow, as many phones behind many ports are. This is what
  the failover figures use.
* `x` (one flow): from one socket on one port, as a phone whose every request leaves from
  its port 5060. SIGUSR1 replaces that socket by one on a new port (between trials); its
  probes still outstanding are written as lost.

Every probe ends up as one line of FILE, in the order probes are settled:

    KIND SEQ SENT_NS ANSWERED_NS NODE     an answer (NODE: X-Sipha-Serving's node, or "-")
    KIND SEQ SENT_NS - -                  no answer within --expire-ms (lost)

A probe is one request with its own Call-ID and branch (`fp<SEQ>`), so an answer names the probe
it answers; sipd answers OPTIONS statelessly (RFC 3261 8.2.7), no transaction is kept. Probes
are never retransmitted: one lost during the outage is lost. SIGTERM (or the parent's death,
PR_SET_PDEATHSIG) ends it after a last flush.

Feed is the reading side (bench/lib/outage.py analyses the records)."""

import argparse
import ctypes
import os
import re
import select
import signal
import socket
import sys
import time

PR_SET_PDEATHSIG = 1
CALL_ID = re.compile(rb"^(?:Call-ID|i)\s*:\s*fp(\d+)@", re.IGNORECASE | re.MULTILINE)
SERVING = re.compile(rb"^X-Sipha-Serving\s*:\s*node=([^;\s]+)", re.IGNORECASE | re.MULTILINE)
STATUS = re.compile(rb"^SIP/2\.0 (\d{3}) ")
KINDS = ("f", "x")


def request(seq, target, port, local, localPort):
    return (f"OPTIONS sip:{target}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {local}:{localPort};branch=z9hG4bKfp{seq}\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:prober@{local}>;tag=fp{seq}\r\n"
            f"To: <sip:{target}:{port}>\r\n"
            f"Call-ID: fp{seq}@{local}\r\n"
            "CSeq: 1 OPTIONS\r\n"
            "Content-Length: 0\r\n\r\n").encode()


def parseAnswer(data):
    """(seq, node or "-") of a 2xx answering one of our probes, or None."""
    status = STATUS.match(data)
    if not status or not status.group(1).startswith(b"2"):
        return None
    found = CALL_ID.search(data)
    if not found:
        return None
    serving = SERVING.search(data)
    return int(found.group(1)), serving.group(1).decode("ascii", "replace") if serving else "-"


def localAddressFor(target, port):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((target, port))
        return s.getsockname()[0]


class Prober:
    def __init__(self, args):
        self.args = args
        self.local = args.source or localAddressFor(args.target, args.port)
        self.poller = select.poll()
        self.sockets = {}  # fd -> socket
        self.outstanding = {}  # seq -> (kind, sent ns, socket); dicts keep insertion order
        self.lines = []
        self.fixed = None
        self.rotate = True

    def open_(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((self.local, 0))
        sock.setblocking(False)
        self.sockets[sock.fileno()] = sock
        self.poller.register(sock, select.POLLIN)
        return sock

    def close_(self, sock):
        if sock.fileno() in self.sockets:
            del self.sockets[sock.fileno()]
            self.poller.unregister(sock)
            sock.close()

    def send_(self, seq, kind, sock):
        args = self.args
        try:
            sock.sendto(request(seq, args.target, args.port, self.local, sock.getsockname()[1]),
                        (args.target, args.port))
        except OSError:
            pass  # no route, neighbour failed: a probe lost like any other
        self.outstanding[seq] = (kind, time.monotonic_ns(), sock)

    def settle_(self, seq, answered, node):
        kind, sent, sock = self.outstanding.pop(seq)
        if answered is None:
            self.lines.append(f"{kind} {seq} {sent} - -\n")
        else:
            self.lines.append(f"{kind} {seq} {sent} {answered} {node}\n")
        if sock is not self.fixed:
            self.close_(sock)

    def read_(self, fd):
        sock = self.sockets.get(fd)
        while sock is not None:
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                return
            except OSError:
                continue  # an ICMP error reported on the socket: no datagram
            got = time.monotonic_ns()
            parsed = parseAnswer(data)
            if parsed is None or parsed[0] not in self.outstanding:
                continue
            self.settle_(parsed[0], got, parsed[1])
            if fd not in self.sockets:
                return  # a fresh socket: closed once answered

    def run(self):
        args = self.args
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        signal.signal(signal.SIGINT, lambda *_: stop.append(1))
        signal.signal(signal.SIGUSR1, lambda *_: setattr(self, "rotate", True))
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass
        interval = int(args.interval_ms * 1e6)
        expire = int(args.expire_ms * 1e6)
        seq = 0
        out = open(args.out, "a", buffering=1 << 16)
        nextSend = time.monotonic_ns()
        lastFlush = nextSend
        while not stop:
            now = time.monotonic_ns()
            if self.rotate:
                self.rotate = False
                old = self.fixed
                self.fixed = self.open_()
                if old is not None:
                    for s, (kind, _, sock) in list(self.outstanding.items()):
                        if sock is old:
                            self.settle_(s, None, None)
                    self.close_(old)
            if now >= nextSend:
                seq += 1
                self.send_(seq, "f", self.open_())
                seq += 1
                self.send_(seq, "x", self.fixed)
                nextSend += interval
                if nextSend < now - 50 * interval:
                    nextSend = now + interval  # stalled for long: no burst to catch up
                while self.outstanding:
                    first = next(iter(self.outstanding))
                    if now - self.outstanding[first][1] < expire:
                        break
                    self.settle_(first, None, None)
            timeout = max(0, (nextSend - time.monotonic_ns())) / 1e6
            for fd, _ in self.poller.poll(timeout):
                self.read_(fd)
            now = time.monotonic_ns()
            if self.lines and now - lastFlush >= 20_000_000:
                out.write("".join(self.lines))
                out.flush()
                self.lines.clear()
                lastFlush = now
        out.write("".join(self.lines))
        out.close()
        return 0


class Feed:
    """Reads a prober's file incrementally. records(kind, since, until) returns the records of
    that kind whose send time is in [since, until], each (seq, sentNs, answeredNs or None,
    node), in file order (settled order)."""

    def __init__(self, path):
        self.path = path
        self.offset_ = 0
        self.partial_ = ""
        self.records_ = {kind: [] for kind in KINDS}

    def poll(self):
        try:
            with open(self.path, "r", encoding="ascii", errors="replace") as f:
                f.seek(self.offset_)
                text = f.read()
                self.offset_ = f.tell()
        except FileNotFoundError:
            return
        text = self.partial_ + text
        cut = text.rfind("\n") + 1
        self.partial_ = text[cut:]
        for line in text[:cut].splitlines():
            fields = line.split()
            if len(fields) != 5 or fields[0] not in self.records_:
                continue
            answered = None if fields[3] == "-" else int(fields[3])
            self.records_[fields[0]].append((int(fields[1]), int(fields[2]), answered,
                                             fields[4]))

    def records(self, kind="f", sinceNs=0, untilNs=None):
        self.poll()
        return [r for r in self.records_[kind]
                if r[1] >= sinceNs and (untilNs is None or r[1] <= untilNs)]

    def forget(self, beforeNs):
        """Drops records sent before beforeNs (memory stays bounded over long runs)."""
        for kind, records in self.records_.items():
            self.records_[kind] = [r for r in records if r[1] >= beforeNs]


def main(argv=None):
    parser = argparse.ArgumentParser(description="OPTIONS to the VIP every millisecond")
    parser.add_argument("--target", required=True)
    parser.add_argument("--port", type=int, default=5060)
    parser.add_argument("--source", default="", help="local address (default: the route's)")
    parser.add_argument("--interval-ms", type=float, default=1.0)
    parser.add_argument("--expire-ms", type=float, default=1000.0,
                        help="an unanswered probe is written as lost after this long")
    parser.add_argument("--out", required=True)
    return Prober(parser.parse_args(argv)).run()


if __name__ == "__main__":
    sys.exit(main())
