"""The BIG-IP LTM stand-in's monitor: `python3 -m pairlab.bigip --config FILE`, run inside the
lab's `bigip` namespace.

It does what the reference's BIG-IP configuration does (docs/bigip.md, the tmsh export):

- pool `sip` (virtual servers VIP:sip-port UDP and TCP): the SIP monitor sends an OPTIONS over
  UDP to each member (the nodes' sip-interface:sip-port) every `interval` s from the internal
  self IP. Any answer, whatever its status code, marks the member up; a member is marked down
  when no answer came for `timeout` s (a backup's sipd drops UDP, so it never answers);
- pool `tls` (VIP:sip-port-tls, when set): a TCP connect monitor on each member's TLS port, the
  same interval and timeout (a backup accepts no connection there);
- each pool has one target: the current one while it is up, else the first member that is up
  (`service-down-action reselect`); none up: no target, and the VIP (held on the stand-in's lo)
  refuses (ICMP port unreachable, TCP reset);
- the nftables table `ip bigip` holds the DNAT of the virtual servers to the targets and the
  SNAT of what the nodes send out of the external side to the VIP, except toward `excluded`
  (the iRule iRuleSnatOutboundHa01 with its data groups). It is rewritten as one `nft -f -`
  batch when a target changes, then conntrack's entries of the VIP are deleted, so existing UDP
  flows (and SNATed outbound ones) follow the new target.

Every member state change and every target change is a line on stdout with a UTC timestamp and
CLOCK_MONOTONIC (comparable with any process's time.monotonic() on the host), and the whole state
is written (atomically) to `state_path` as JSON after each change and every second."""

import argparse
import datetime
import errno
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time

TABLE = "bigip"


def log(text):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    print(f"{now}Z [{time.monotonic():.3f}] {text}", flush=True)


class Member:
    """One pool member and its monitor state."""

    def __init__(self, pool, name, address, port):
        self.pool = pool
        self.name = name
        self.address = address
        self.port = port
        self.state = "unchecked"  # then "up" or "down"
        self.since = time.monotonic()
        self.last_ok = None       # monotonic time of the last answer
        self.last_answer = ""
        self.probes = 0
        self.answers = 0
        self.next_probe = 0.0
        self.sock = None          # UDP: one connected socket for the member's whole life
        self.pending = None       # TCP: (socket, started) of the connect under way

    def describe(self):
        return f"pool {self.pool.name} member {self.name} {self.address}:{self.port}"

    def as_json(self):
        return {"name": self.name, "address": self.address, "port": self.port,
                "state": self.state, "since": self.since, "last_ok": self.last_ok,
                "last_answer": self.last_answer, "probes": self.probes,
                "answers": self.answers}


class Pool:
    def __init__(self, name, kind, members, port):
        self.name = name
        self.kind = kind  # "sip-udp" or "tcp"
        self.members = [Member(self, m["name"], m["address"], port) for m in members]
        self.port = port
        self.target = None  # a Member

    def choose(self):
        """The current target while it is up, else the first member up, else None."""
        if self.target is not None and self.target.state == "up":
            return self.target
        return next((m for m in self.members if m.state == "up"), None)


class Monitor:
    def __init__(self, config):
        self.config = config
        self.vip = config["vip"]
        self.self_ip = config["internal_self_ip"]
        self.interval = float(config.get("interval", 1.0))
        self.timeout = float(config.get("timeout", 4.0))
        self.pools = [Pool("sip", "sip-udp", config["members"], int(config["sip_port"]))]
        if int(config.get("tls_port") or 0):
            self.pools.append(Pool("tls", "tcp", config["members"], int(config["tls_port"])))
        self.changes = 0
        self.events = []  # the last 200 state and target changes
        self.flushes = 0
        self.nft_errors = 0
        self.stopping = False
        self.sequence = 0
        self.last_state_write = 0.0
        self.started = time.monotonic()

    # ---- nftables ----------------------------------------------------------------------------

    def ruleset(self):
        c = self.config
        ext = c["external_if"]
        nodes = ", ".join(m["address"] for m in c["members"])
        excluded = ", ".join(c.get("excluded") or [])
        lines = [
            f"table ip {TABLE}",
            f"delete table ip {TABLE}",
            f"table ip {TABLE} {{",
            f"  set nodes {{ type ipv4_addr; elements = {{ {nodes} }}; }}",
            "  set excluded { type ipv4_addr; flags interval; "
            + (f"elements = {{ {excluded} }}; " if excluded else "") + "}",
            "  chain prerouting {",
            "    type nat hook prerouting priority dstnat; policy accept;",
        ]
        for pool in self.pools:
            if pool.target is None:
                continue
            protocols = ("udp", "tcp") if pool.kind == "sip-udp" else ("tcp",)
            for proto in protocols:
                lines.append(f'    iifname "{ext}" ip daddr {self.vip} {proto} dport {pool.port} '
                             f'dnat to {pool.target.address} comment "pool {pool.name}"')
        lines += [
            "  }",
            "  chain postrouting {",
            "    type nat hook postrouting priority srcnat; policy accept;",
            f'    oifname "{ext}" ip saddr @nodes ip daddr != @excluded snat to {self.vip} '
            'comment "iRuleSnatOutboundHa01"',
            "  }",
            "}",
        ]
        return "\n".join(lines) + "\n"

    def apply(self):
        result = subprocess.run(["nft", "-f", "-"], input=self.ruleset(), text=True,
                                capture_output=True, timeout=10)
        if result.returncode != 0:
            self.nft_errors += 1
            log(f"nft refused the ruleset: {result.stderr.strip()}")
            return False
        return True

    def flush_conntrack(self):
        """Deletes the VIP's conntrack entries: flows to it (DNAT) and from the nodes (SNAT)."""
        deleted = 0
        for option in ("--orig-dst", "--reply-dst"):
            result = subprocess.run(["conntrack", "-D", option, self.vip], text=True,
                                    capture_output=True, timeout=10)
            # "N flow entries have been deleted" on stderr; exit 1 when there were none.
            for word in result.stderr.split():
                if word.isdigit():
                    deleted += int(word)
                    break
        self.flushes += 1
        return deleted

    # ---- probes ------------------------------------------------------------------------------

    def options(self, member):
        self.sequence += 1
        local = member.sock.getsockname()
        call_id = f"bigip-{member.name}-{self.sequence}@{self.self_ip}"
        return (f"OPTIONS sip:{member.address}:{member.port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {local[0]}:{local[1]};branch=z9hG4bK-bigip-{self.sequence}"
                ";rport\r\n"
                "Max-Forwards: 70\r\n"
                f"From: <sip:monitor@{self.self_ip}>;tag=bigip{self.sequence}\r\n"
                f"To: <sip:{member.address}:{member.port}>\r\n"
                f"Call-ID: {call_id}\r\n"
                f"CSeq: {self.sequence} OPTIONS\r\n"
                "User-Agent: pairlab BIG-IP stand-in\r\n"
                "Content-Length: 0\r\n\r\n").encode()

    def probe(self, member, now):
        member.probes += 1
        member.next_probe = now + self.interval
        if member.pool.kind == "sip-udp":
            if member.sock is None:
                member.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                member.sock.bind((self.self_ip, 0))
                member.sock.connect((member.address, member.port))
                member.sock.setblocking(False)
            try:
                member.sock.send(self.options(member))
            except OSError as e:  # ICMP unreachable of an earlier probe, no route, ...
                member.last_answer = f"send: {os.strerror(e.errno)}"
            return
        if member.pending is not None:
            member.pending[0].close()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.bind((self.self_ip, 0))
        code = sock.connect_ex((member.address, member.port))
        if code not in (0, errno.EINPROGRESS):
            sock.close()
            member.pending = None
            member.last_answer = f"connect: {os.strerror(code)}"
            return
        member.pending = (sock, now)

    def answered(self, member, now, what):
        member.answers += 1
        member.last_ok = now
        member.last_answer = what
        if member.state != "up":
            self.set_state(member, "up", f"answered: {what}")

    def read_udp(self, member, now):
        while True:
            try:
                data = member.sock.recv(65536)
            except BlockingIOError:
                return
            except OSError as e:
                member.last_answer = os.strerror(e.errno)  # ECONNREFUSED: port unreachable
                return
            first = data.split(b"\r\n", 1)[0].decode("utf-8", "replace")
            parts = first.split(" ", 2)
            if len(parts) >= 2 and parts[0] == "SIP/2.0" and parts[1].isdigit() \
                    and b"bigip-" + member.name.encode() in data:
                self.answered(member, now, first[8:])

    def finish_tcp(self, member, now):
        sock, _ = member.pending
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        sock.close()
        member.pending = None
        if code == 0:
            self.answered(member, now, "TCP connection accepted")
        else:
            member.last_answer = f"connect: {os.strerror(code)}"

    # ---- state -------------------------------------------------------------------------------

    def set_state(self, member, state, why):
        old = member.state
        member.state = state
        member.since = time.monotonic()
        self.changes += 1
        log(f"{member.describe()} {state} (was {old}): {why}")
        self.event({"pool": member.pool.name, "member": member.name, "state": state,
                    "was": old, "why": why})

    def event(self, entry):
        entry = {"wall": time.time(), "monotonic": time.monotonic(), **entry}
        self.events = (self.events + [entry])[-200:]

    def expire(self, now):
        for pool in self.pools:
            for member in pool.members:
                reference = member.last_ok if member.last_ok is not None else self.started
                if member.state != "down" and now - reference > self.timeout:
                    why = (f"no answer for {now - member.last_ok:.1f} s"
                           if member.last_ok is not None else
                           f"never answered in {self.timeout:g} s")
                    if member.last_answer and member.state == "unchecked":
                        why += f" (last: {member.last_answer})"
                    self.set_state(member, "down", why)

    def retarget(self):
        changed = []
        for pool in self.pools:
            new = pool.choose()
            if new is not pool.target:
                changed.append((pool, pool.target, new))
                pool.target = new
        if not changed:
            return
        self.apply()
        deleted = self.flush_conntrack()
        for pool, old, new in changed:
            name = lambda m: f"{m.name} {m.address}" if m else "none"  # noqa: E731
            log(f"pool {pool.name} target {name(new)} (was {name(old)}); VIP conntrack "
                f"entries deleted: {deleted}")
            self.event({"pool": pool.name, "target": new.name if new else None,
                        "was": old.name if old else None})
        self.write_state(force=True)

    def write_state(self, force=False):
        now = time.monotonic()
        if not force and now - self.last_state_write < 1.0:
            return
        self.last_state_write = now
        state = {
            "pid": os.getpid(), "started": self.started, "vip": self.vip,
            "interval": self.interval,
            "timeout": self.timeout, "changes": self.changes, "flushes": self.flushes,
            "nft_errors": self.nft_errors, "written": now,
            "pools": {p.name: {"port": p.port, "target": p.target.name if p.target else None,
                               "members": {m.name: m.as_json() for m in p.members}}
                      for p in self.pools},
            "events": self.events,
        }
        path = self.config["state_path"]
        with open(path + ".tmp", "w") as f:
            json.dump(state, f, indent=1)
        os.replace(path + ".tmp", path)

    # ---- loop --------------------------------------------------------------------------------

    def run(self):
        self.started = time.monotonic()  # the first probes go now
        if not self.apply():
            return 1
        self.write_state(force=True)
        log(f"monitoring {', '.join(m.describe() for p in self.pools for m in p.members)} "
            f"every {self.interval:g} s, timeout {self.timeout:g} s; VIP {self.vip}")
        while not self.stopping:
            now = time.monotonic()
            for pool in self.pools:
                for member in pool.members:
                    if now >= member.next_probe:
                        self.probe(member, now)
                    if member.pending is not None and now - member.pending[1] >= self.interval:
                        member.pending[0].close()  # this connect took a whole interval
                        member.pending = None
                        member.last_answer = "connect: no answer"
            readers = {m.sock: m for p in self.pools for m in p.members if m.sock is not None}
            writers = {m.pending[0]: m for p in self.pools for m in p.members if m.pending}
            wake = min(m.next_probe for p in self.pools for m in p.members)
            wait = max(0.0, min(wake - time.monotonic(), 0.05))
            try:
                readable, writable, _ = select.select(list(readers), list(writers), [], wait)
            except InterruptedError:
                continue
            now = time.monotonic()
            for sock in readable:
                self.read_udp(readers[sock], now)
            for sock in writable:
                self.finish_tcp(writers[sock], now)
            self.expire(now)
            self.retarget()
            self.write_state()
        log("stopped")
        self.write_state(force=True)
        return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m pairlab.bigip",
                                     description="The BIG-IP stand-in's pool monitor.")
    parser.add_argument("--config", required=True, help="JSON written by the lab")
    args = parser.parse_args(argv)
    with open(args.config) as f:
        monitor = Monitor(json.load(f))

    def stop(signum, frame):
        monitor.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return monitor.run()


if __name__ == "__main__":
    sys.exit(main())
