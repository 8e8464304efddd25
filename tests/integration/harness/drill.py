"""The fault matrix's drill on the pair lab (tools/pairlab, BIG-IP mode): SIPp load through the
VIP from the lab's client namespace, the observations a fault case needs, and the results table
(tests/integration/test_fault_matrix.py, `make drill`).

What runs in the client namespace (every process started through `lab.client.spawn`, so
`Lab.stop()` stops it whatever happens):
- two SIPp phones registered (digest, through the VIP) as 7002 and 7003: 7002 waits for the
  caller's BYE (fm_uas_wait.xml), 7003 hangs up itself on command (fm_uas_hangup.xml);
- two SIPp callers (7001, a trusted source): one calls 7002 and hangs up on command
  (fm_uac_hangup.xml), one calls 7003 and waits for its BYE (fm_uac_wait.xml);
- a SIPp REGISTER load (register_load.xml, one new AOR per REGISTER, every 200 logged and the
  log flushed per line: the AORs acknowledged before an instant are the log's lines then);
- a python prober sending a REGISTER query through the VIP every 50 ms (the time to the first
  request answered after a fault);
- in this process, a watcher reading both agents' and both sipds' Role and Epoch all the time
  (the time to exactly one primary).

"On command": each call's SIPp reports "established" (ACK sent / received) and "done" (its BYE
answered 200 / the other side's BYE answered) over SIPp's 3PCC twin socket, whose other end is
a `Twin` here; the test sends "hangup" for a Call-ID on the same socket when it wants that call
to end, so calls are held exactly as long as a fault case needs, without a fixed pause."""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time

from . import digest, registrations, sip, sipp

ESC = b"\x1b"  # the end of a 3PCC twin command (SIPp)


def now():
    return time.monotonic()


def wait_for(predicate, timeout, interval=0.02, what="condition"):
    """Polls predicate() until it is truthy (returned); AssertionError after timeout."""
    deadline = now() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if now() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


# ---- D-Bus reads with a short timeout (a SIGSTOPped sipd must not stall the watcher) ---------

AGENT = ("org.sipha.Agent1", "/org/sipha/Agent1", "org.sipha.Agent1")
SIPD = ("org.sipha.Sipd1", "/org/sipha/Sipd1", "org.sipha.Sipd1")


def properties(node, service, *names, timeout=0.5):
    """[value, ...] of several properties in one busctl call, or None when unreadable within
    timeout (no owner, hung, the bus gone). busctl's own --timeout does not bound get-property:
    a busctl still waiting is killed."""
    address = node.bus_address
    if not address:
        return None
    try:
        res = subprocess.run(["busctl", f"--address={address}", "--json=short", "get-property",
                              *service, *names], capture_output=True, text=True,
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if res.returncode != 0:
        return None
    try:
        values = [json.loads(line)["data"] for line in res.stdout.splitlines() if line.strip()]
    except (ValueError, KeyError):
        return None
    return values if len(values) == len(names) else None


class NodeRoles:
    """One node's roles at one instant: the agent's Role/Epoch and sipd's (None: unreadable)."""

    def __init__(self, node):
        agent = properties(node, AGENT, "Role", "Epoch")
        sipd = properties(node, SIPD, "Role", "Epoch")
        self.agent_role, self.agent_epoch = agent if agent else (None, None)
        self.sipd_role, self.sipd_epoch = sipd if sipd else (None, None)

    def __repr__(self):
        return (f"agent {self.agent_role}/{self.agent_epoch} "
                f"sipd {self.sipd_role}/{self.sipd_epoch}")


def read_roles(lab):
    return {name: NodeRoles(node) for name, node in lab.nodes.items()}


def serving_primary(roles):
    """The node that is the one primary in `roles`, or None: exactly one readable sipd says
    primary, its agent says so too and no other agent does. (A sipd that cannot answer, dead or
    SIGSTOPped, serves nobody: the BIG-IP's monitor marks it down.)"""
    sipds = [n for n, r in roles.items() if r.sipd_role == "primary"]
    agents = [n for n, r in roles.items() if r.agent_role == "primary"]
    if len(sipds) == 1 and agents == sipds:
        return sipds[0]
    return None


def describe_roles(roles):
    return "; ".join(f"{n}: {r}" for n, r in sorted(roles.items()))


class RoleWatcher:
    """Reads both nodes' roles in a loop (a sample: four busctl calls, ~40 ms) from start()
    to stop(); settled_since(t0) is when the final run of samples with exactly one primary
    began."""

    def __init__(self, lab, interval=0.05):
        self.lab = lab
        self.interval = interval
        self.samples = []  # (monotonic, {node: NodeRoles})
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="role-watcher", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            t = now()
            roles = read_roles(self.lab)
            self.samples.append((t, roles))
            self._stop.wait(self.interval)

    def stop(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def wait_sample_after(self, t, timeout=5):
        """The first sample taken entirely after t (bounded)."""
        return wait_for(lambda: next(((ts, r) for ts, r in reversed(self.samples) if ts > t),
                                     None), timeout, what="a roles sample")

    def settled_since(self, t0):
        """The time of the first sample at or after t0 from which every later sample shows one
        primary, and that primary; (None, None) when the last sample does not."""
        samples = [(t, r) for t, r in self.samples if t >= t0]
        if not samples or serving_primary(samples[-1][1]) is None:
            return None, None
        final = serving_primary(samples[-1][1])
        start = samples[-1][0]
        for t, roles in reversed(samples):
            if serving_primary(roles) != final:
                break
            start = t
        return start, final

    def primaries_seen(self, t0):
        """Every node seen as the one primary since t0, in order (a change of primary)."""
        out = []
        for t, roles in self.samples:
            if t < t0:
                continue
            p = serving_primary(roles)
            if p and (not out or out[-1] != p):
                out.append(p)
        return out

    def changes(self, t_ref=None):
        """The samples at which anything changed, as text lines (seconds from t_ref)."""
        t_ref = t_ref if t_ref is not None else (self.samples[0][0] if self.samples else 0)
        lines, last = [], None
        for t, roles in list(self.samples):
            text = describe_roles(roles)
            if text != last:
                lines.append(f"{t - t_ref:+8.3f} s  {text}")
                last = text
        return lines

    def always(self, t0, name):
        """True when every sample since t0 shows `name` as the one primary (never lost)."""
        samples = [roles for t, roles in self.samples if t >= t0]
        return bool(samples) and all(serving_primary(r) == name for r in samples)

    def max_primaries(self, t0):
        """The most sipds seen primary at once since t0 (2: a split brain), counted only when
        two samples in a row show it: one sample reads the nodes one after the other (~40 ms),
        so a demotion followed by the peer's promotion within that time reads as "both
        primary" once (a false split brain seen in CI under load). A split brain shorter than
        two samples is not seen here; the role decision's exhaustive exploration bounds it
        (docs/ha-agent.md, "Partitions and limits")."""
        counts = [sum(1 for r in roles.values() if r.sipd_role == "primary")
                  for t, roles in self.samples if t >= t0]
        confirmed = [min(a, b) for a, b in zip(counts, counts[1:])]
        return max(confirmed or counts[:1] or [0])


# ---- SIPp in the client namespace ------------------------------------------------------------

class Twin:
    """The test's end of one SIPp's 3PCC twin socket (SIPp -3pcc, the scenario's first twin
    command a sendCmd: SIPp connects to us). Each SIPp call reports `X-Fm-Event: established`
    and `done` with its Call-ID; command(call_id) sends the call the twin command it waits for
    in <recvCmd/>."""

    def __init__(self, lab, name):
        self.name = name
        with lab.client.entered():
            self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.cond = threading.Condition()
        self.events = {}   # call id -> {event: monotonic time}
        self.order = []    # call ids in the order they reported established
        self.conn = None
        self.closed = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"twin-{name}", daemon=True)
        self._thread.start()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
                break
            except socket.timeout:
                continue
            except OSError:
                return
        else:
            return
        conn.settimeout(0.2)
        with self.cond:
            self.conn = conn
            self.cond.notify_all()
        buf = b""
        while not self._stop.is_set():
            try:
                data = conn.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            buf += data
            while ESC in buf:
                msg, buf = buf.split(ESC, 1)
                self._handle(msg.decode("utf-8", "replace"))
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def _handle(self, text):
        headers = {}
        for line in text.replace("\r", "").split("\n"):
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        cid, event = headers.get("call-id"), headers.get("x-fm-event")
        if not cid or not event:
            return
        with self.cond:
            seen = self.events.setdefault(cid, {})
            seen.setdefault(event, now())
            if event == "established" and cid not in self.order:
                self.order.append(cid)
            self.cond.notify_all()

    def connected(self):
        return self.conn is not None

    def calls(self, event):
        with self.cond:
            return [cid for cid in self.order if event in self.events.get(cid, {})]

    def count(self, event):
        return len(self.calls(event))

    def wait_count(self, event, count, timeout):
        """True once `count` calls reported `event` (False after timeout)."""
        deadline = now() + timeout
        with self.cond:
            while sum(1 for e in self.events.values() if event in e) < count:
                left = deadline - now()
                if left <= 0 or self.closed:
                    return sum(1 for e in self.events.values() if event in e) >= count
                self.cond.wait(min(left, 0.2))
            return True

    def command(self, call_id, what="hangup"):
        """Releases the call's <recvCmd/> (the call goes on with its BYE)."""
        self.conn.sendall(f"Call-ID: {call_id}\r\nX-Fm-Command: {what}\r\n\r\n".encode() + ESC)

    def close(self):
        self._stop.set()
        self._thread.join(5)
        with contextlib.suppress(OSError):
            self.listener.close()
        if self.conn is not None:
            with contextlib.suppress(OSError):
                self.conn.close()


class Sipp:
    """One SIPp in the lab's client namespace toward the VIP, started by lab.client.spawn (so
    Lab.stop() ends it); traces in client/<name>/."""

    def __init__(self, lab, name, scenario, *, port, media_port, calls, rate=None, limit=None,
                 keys=None, service=None, twin=None, extra=(), trace_msg=True, timeout=170):
        self.lab = lab
        self.name = name
        self.port = port
        self.twin = twin
        self.workdir = os.path.join(lab.client.dir, name)
        os.makedirs(self.workdir, exist_ok=True)
        self.scenario = os.path.splitext(os.path.basename(scenario))[0]
        path = os.path.join(sipp.SCENARIOS, scenario)
        argv = ["sipp", f"{lab.vip}:{lab.sip_port}", "-sf", path, "-i", lab.client.address,
                "-p", str(port), "-mp", str(media_port), "-t", "u1", "-m", str(calls),
                "-nostdin", "-timeout", f"{timeout}s", "-timeout_error", "-trace_err",
                "-error_file", os.path.join(self.workdir, "errors.log")]
        if trace_msg:
            argv += ["-trace_msg", "-message_file", os.path.join(self.workdir, "messages.log")]
        if rate:
            argv += ["-r", str(rate), "-l", str(limit or max(rate * 2, 10))]
        if service:
            argv += ["-s", service]
        if twin:
            argv += ["-3pcc", twin.address]
        for key, value in (keys or {}).items():
            argv += ["-key", key, str(value)]
        argv += list(extra)
        self.argv = argv
        self.proc = lab.client.spawn(name, argv, cwd=self.workdir)

    def alive(self):
        return self.proc.alive()

    def wait_started(self, timeout=10):
        """With a twin: until SIPp connected to it (it has bound its SIP port by then)."""
        wait_for(lambda: (self.twin is None or self.twin.connected()) or not self.alive(),
                 timeout, what=f"{self.name} started")
        if not self.alive():
            raise AssertionError(f"{self.name} exited {self.proc.returncode}:\n"
                                 f"{self.explain()}")

    def wait(self, timeout):
        """SIPp's exit code (None: still running after timeout)."""
        return self.proc.wait(timeout)

    def stop(self):
        """Ends it now (SIGKILL) if it still runs; its exit code."""
        if self.alive():
            self.proc.kill()
        return self.proc.returncode

    def file(self, name, tail=4000):
        try:
            with open(os.path.join(self.workdir, name), errors="replace") as f:
                return f.read()[-tail:]
        except FileNotFoundError:
            return ""

    def explain(self):
        return (f"--- {self.name}: exit {self.proc.returncode}: {' '.join(self.argv)}\n"
                f"output:\n{self.proc.log(2000)}\nerrors:\n{self.file('errors.log')}")


class RegisterLoad(Sipp):
    """register_load.xml: one REGISTER per AOR of `users` at `rate`/s through the VIP, each
    200 logged (flushed per line); stop() asks SIPp to end softly (SIGUSR1: no new REGISTER,
    those under way finish)."""

    def __init__(self, lab, name, users, rate, *, port, media_port):
        workdir = os.path.join(lab.client.dir, name)
        os.makedirs(workdir, exist_ok=True)
        csv = sipp.write_csv(os.path.join(workdir, "aors.csv"), [[u] for u in users])
        self.log = os.path.join(workdir, "registered.log")
        self.users = list(users)
        super().__init__(lab, name, "register_load.xml", port=port, media_port=media_port,
                         calls=len(self.users), rate=rate, limit=rate * 6, trace_msg=False,
                         extra=("-inf", csv, "-trace_logs", "-log_file", self.log))

    def registered(self):
        """{user: call_number} of every 200 SIPp logged so far."""
        return registrations.registered_in_log(self.log)

    def contact(self, user, call_number):
        return f"sip:{user}@{self.lab.client.address}:{self.port};load={call_number}"

    def wait_registered(self, count, timeout):
        wait_for(lambda: len(self.registered()) >= count or not self.alive(), timeout,
                 interval=0.05, what=f"{count} REGISTERs answered 200")
        if len(self.registered()) < count:
            raise AssertionError(f"the REGISTER load ended with {len(self.registered())} "
                                 f"200s\n{self.explain()}")

    def stop_softly(self, timeout=10):
        if self.alive():
            self.proc.signal(signal.SIGUSR1)
            if self.proc.wait(timeout) is None:
                self.proc.kill()
        return self.proc.returncode


# ---- SIP from python in the client namespace -------------------------------------------------

def udp_client(lab):
    """A harness.sip UdpClient in the client namespace whose server is the VIP."""
    with lab.client.entered():
        return sip.UdpClient((lab.vip, lab.sip_port), host=lab.client.address)


def register_with_digest(lab, user, password, contact, expires=3600, attempts=3):
    """REGISTER through the VIP answering the 401: the final response (None: no answer)."""
    c = udp_client(lab)
    try:
        uri = f"sip:{lab.vip}:{lab.sip_port}"
        for _ in range(attempts):
            call_id = sip.token() + "@drill"
            extra = [f"Expires: {expires}"]
            first = c.exchange(sip.request("REGISTER", uri, "UDP", c.local, user=user,
                                           call_id=call_id, contact=contact, extra=extra))
            if first is None or first.code != 401:
                if first is not None:
                    return first
                continue
            challenge = digest.parse_challenge(first.get("www-authenticate"))
            auth = digest.authorization(challenge, "REGISTER", uri, user, password)
            final = c.exchange(sip.request("REGISTER", uri, "UDP", c.local, user=user, cseq=2,
                                           call_id=call_id, contact=contact,
                                           extra=extra + [f"Authorization: {auth}"]))
            if final is not None:
                return final
        return None
    finally:
        c.close()


def query_bindings(lab, users):
    """{user: Response or None}: a REGISTER without Contact for each user through the VIP."""
    return registrations.query_all(udp_client(lab), f"{lab.vip}:{lab.sip_port}", list(users),
                                   batch=100, timeout=3.0)


class VipProbe:
    """A REGISTER query (no Contact: nothing changes) through the VIP every `interval`: when
    each was sent and when its answer came. A REGISTER creates a transaction, so a primary that
    stopped taking transactions (a switchover's drain) does not answer it, unlike OPTIONS."""

    def __init__(self, lab, interval=0.05, user="drill-probe"):
        self.lab = lab
        self.interval = interval
        self.user = user
        self.sent = {}      # call id -> monotonic time sent
        self.answered = {}  # call id -> monotonic time of its first final response
        self._stop = threading.Event()
        self.client = udp_client(lab)
        self._thread = threading.Thread(target=self._run, name="vip-probe", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        uri = f"sip:{self.lab.vip}:{self.lab.sip_port}"
        n = 0
        next_send = now()
        while not self._stop.is_set():
            t = now()
            if t >= next_send:
                n += 1
                cid = f"probe-{n}-{sip.token()}"
                self.sent[cid] = now()
                with contextlib.suppress(OSError):
                    self.client.send(sip.request("REGISTER", uri, "UDP", self.client.local,
                                                 user=self.user, call_id=cid))
                next_send = t + self.interval
            raw = self.client.recv(max(0.001, next_send - now()))
            if not raw:
                continue
            try:
                resp = sip.Response(raw)
            except ValueError:
                continue
            cid = resp.get("call-id")
            if resp.code >= 200 and cid in self.sent and cid not in self.answered:
                self.answered[cid] = now()

    def first_answer_after(self, t0):
        """Seconds from t0 to the first answer to a query sent at or after t0 (None: none)."""
        times = [self.answered[c] for c, t in list(self.sent.items())
                 if t >= t0 and c in self.answered]
        return (min(times) - t0) if times else None

    def longest_gap(self, t0, t1):
        """The longest time between two answers received within [t0, t1] (the outage)."""
        times = sorted(t for t in list(self.answered.values()) if t0 <= t <= t1)
        times = [t0] + times + [t1]
        return max(b - a for a, b in zip(times, times[1:]))

    def stop(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self.client.close()


# ---- the results table -----------------------------------------------------------------------

COLUMNS = [("fault", 34), ("outcome", 7), ("primary", 7), ("one primary", 11),
           ("1st answer", 10), ("VIP gap", 7), ("regs kept", 9), ("calls hung up", 13),
           ("run", 4)]


def ms(value):
    return "-" if value is None else f"{value * 1000:.0f} ms"


def format_table(results):
    """The table of fault results (dicts made by the test) as text, notes under it."""
    header = " | ".join(name.ljust(width) for name, width in COLUMNS)
    lines = [header, "-+-".join("-" * width for _, width in COLUMNS)]
    notes = []
    for r in results:
        cells = [r.get("fault", "?"), r.get("outcome", "?"), r.get("primary", "-"),
                 ms(r.get("one_primary")), ms(r.get("first_answer")), ms(r.get("outage")),
                 r.get("regs", "-"), r.get("calls", "-"), f"{r.get('run', 0):.0f} s"]
        lines.append(" | ".join(str(c).ljust(w) for c, (_, w) in zip(cells, COLUMNS)))
        for note in r.get("notes", []):
            notes.append(f"  {r.get('key', '?')}: {note}")
    text = "\n".join(lines)
    if notes:
        text += "\n\nNotes:\n" + "\n".join(notes)
    return text + "\n"


def report_dir():
    """Where the drill's table and each case's logs go: $SIPHA_DRILL_DIR, else <build>/drill
    next to the sipd under test ($SIPD = <build>/bin/sipd)."""
    explicit = os.environ.get("SIPHA_DRILL_DIR")
    if explicit:
        return explicit
    sipd = os.environ.get("SIPD", "")
    if sipd:
        return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(sipd))), "drill")
    return os.path.join("/tmp", "sipha-drill")


def save_logs(lab, directory):
    """Copies the lab's logs (agents, sipds, netcfgs, the BIG-IP monitor, SIPp) to directory."""
    if os.path.isdir(directory):
        shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)
    for node in lab.nodes.values():
        for which in ("agent", "sipd", "netcfg", "dbus"):
            src = node.log_path(which)
            if os.path.exists(src):
                shutil.copy(src, os.path.join(directory, f"{node.name}-{which}.log"))
    if lab.bigip and os.path.exists(lab.bigip.log_path):
        shutil.copy(lab.bigip.log_path, os.path.join(directory, "bigip-monitor.log"))
    if os.path.isdir(lab.client.dir):
        for root, _, files in os.walk(lab.client.dir):
            for f in files:
                if f.endswith(".log"):
                    rel = os.path.relpath(os.path.join(root, f), lab.client.dir)
                    shutil.copy(os.path.join(root, f),
                                os.path.join(directory, "client-" + rel.replace(os.sep, "-")))


# ---- one fault case: the load, the calls, the checks ----------------------------------------

class Drill:
    """One fault case on a started lab: phones and callers (SIPp), a REGISTER load, the VIP
    prober and the role watcher; then the fault (the test's), the pair settled again, every
    call hung up from its chosen side, every acknowledged registration queried through the VIP.
    The numbers land in self.result (a row of the table)."""

    def __init__(self, lab, key, title, *, calls=10, reg_rate=100, pre_regs=200, log_dir=None):
        assert calls % 2 == 0
        self.lab = lab
        self.key = key
        self.calls = calls
        self.half = calls // 2
        self.reg_rate = reg_rate
        self.pre_regs = pre_regs
        self.log_dir = log_dir
        self.result = {"key": key, "fault": title, "notes": [], "outcome": "running"}
        self.started = now()
        self.t_fault = None
        self.t_injected = None
        self.wall_fault = None
        self.pre_fault = {}
        self.twins = []
        self.peers = {}
        self.load = None
        self.watcher = RoleWatcher(lab)
        self.probe = None
        self._port = 5070
        self._media = 30000

    # ---- plumbing --------------------------------------------------------------------------

    def _ports(self):
        self._port += 1
        self._media += 100
        return self._port, self._media

    def _twin(self, name):
        twin = Twin(self.lab, name)
        self.twins.append(twin)
        return twin

    def note(self, text):
        self.result["notes"].append(text)

    def close(self):
        """Stops what this process runs (threads, sockets); SIPp is the lab's (Lab.stop)."""
        self.watcher.stop()
        if self.probe:
            self.probe.stop()
        for twin in self.twins:
            twin.close()
        for peer in self.peers.values():
            peer.stop()
        if self.load:
            self.load.stop()

    def explain(self):
        """Roles, BIG-IP state, SIPp outputs and the tails of the agents' logs."""
        text = f"\nroles now: {describe_roles(read_roles(self.lab))}"
        if self.lab.bigip:
            text += f"\nBIG-IP target: {self.lab.bigip.target()}"
        for peer in list(self.peers.values()) + ([self.load] if self.load else []):
            text += "\n" + peer.explain()
        for node in self.lab.nodes.values():
            try:
                with open(node.log_path("agent"), errors="replace") as f:
                    text += f"\n--- agent {node.name} log tail:\n{f.read()[-2500:]}"
            except FileNotFoundError:
                pass
        if self.log_dir:
            text += f"\n(every log copied to {self.log_dir})"
        return text

    # ---- before the fault ------------------------------------------------------------------

    def start_observers(self):
        self.watcher.start()
        self.probe = VipProbe(self.lab).start()

    def start_phones(self):
        """SIPp phones 7002 (waits for the caller's BYE) and 7003 (hangs up on command),
        registered with digest through the VIP."""
        for user, scenario, key in (("7002", "fm_uas_wait.xml", "uas_wait"),
                                    ("7003", "fm_uas_hangup.xml", "uas_hangup")):
            port, media = self._ports()
            peer = Sipp(self.lab, key, scenario, port=port, media_port=media,
                        calls=self.half, twin=self._twin(key))
            self.peers[key] = peer
            peer.wait_started()
            contact = f"<sip:{user}@{self.lab.client.address}:{port}>"
            resp = register_with_digest(self.lab, user, f"demo{user}", contact)
            assert resp is not None and resp.code == 200, f"phone {user}: {resp}"

    def start_register_load(self, users_prefix="8", total=None):
        """The REGISTER load at reg_rate/s for as long as the case lasts (stop_load() ends it);
        waits until pre_regs are acknowledged."""
        total = total or self.reg_rate * 150
        users = [f"{users_prefix}{i:06d}" for i in range(total)]
        port, media = self._ports()
        self.load = RegisterLoad(self.lab, "register_load", users, self.reg_rate, port=port,
                                 media_port=media)
        self.load.wait_registered(self.pre_regs, 30)

    def start_calls(self, timeout=20):
        """The callers: half the calls to 7002 (the caller hangs up), half to 7003 (the callee
        hangs up); returns once every call is established on both sides."""
        for user, scenario, key in (("7002", "fm_uac_hangup.xml", "uac_hangup"),
                                    ("7003", "fm_uac_wait.xml", "uac_wait")):
            port, media = self._ports()
            peer = Sipp(self.lab, key, scenario, port=port, media_port=media,
                        calls=self.half, rate=20, keys={"caller": "7001"}, service=user,
                        twin=self._twin(key))
            self.peers[key] = peer
            peer.wait_started()
        for key in ("uac_hangup", "uac_wait", "uas_wait", "uas_hangup"):
            if not self.peers[key].twin.wait_count("established", self.half, timeout):
                raise AssertionError(f"{key}: {self.peers[key].twin.count('established')} of "
                                     f"{self.half} calls established{self.explain()}")

    def wait_backup_ready(self, timeout=20):
        primary = self.lab.wait_primary(timeout)
        backup = self.lab.nodes[self.lab.addresses.peer(primary)]
        wait_for(lambda: properties(backup, SIPD, "ReadyForSwitchover") == [True], timeout,
                 interval=0.05, what=f"backup {backup.name} ReadyForSwitchover")
        return primary, backup.name

    def wait_replicated(self, timeout=10):
        """Calls are replicated asynchronously (docs/replication.md): before a fault that
        takes the primary away, the backup must hold every established call and the primary's
        stream must be acknowledged to its head, or a lost call would be replication lag, not
        the fault."""
        primary, backup = self.wait_backup_ready(timeout)
        p, b = self.lab.nodes[primary], self.lab.nodes[backup]

        def caught_up():
            bc, pc = b.sipd_property("Counters") or {}, p.sipd_property("Counters") or {}
            return (int(bc.get("replication.call_replicas", -1)) >= self.calls and
                    int(pc.get("replication.acked_seq", -1)) >=
                    int(pc.get("replication.head", 1 << 62)))

        try:
            wait_for(caught_up, timeout, interval=0.05, what="the backup caught up")
        except AssertionError as e:
            raise AssertionError(f"{e}{self.explain()}") from None
        return primary, backup

    # ---- the fault -------------------------------------------------------------------------

    def fault(self, inject, instant=True):
        """Runs inject() and marks its instant: the registrations acknowledged before it are
        the load's log at that instant. instant: the fault is in place once inject() returns
        (a kill, a cut), so requests sent while it ran do not count for the first answer; not
        instant (a switchover, a restart): they do."""
        self.pre_fault = dict(self.load.registered()) if self.load else {}
        self.result["primary_before"] = self.lab.primary()
        self.wall_fault = time.time()
        self.t_fault = now()
        inject()
        self.t_injected = now() if instant else self.t_fault
        return self.t_fault

    def wait_roles(self, predicate, timeout, what):
        """Until a fresh roles sample satisfies predicate(roles) (bounded)."""
        try:
            return wait_for(lambda: predicate(read_roles(self.lab)), timeout, interval=0.02,
                            what=what)
        except AssertionError as e:
            raise AssertionError(f"{e}{self.explain()}") from None

    def wait_one_primary(self, timeout=10, exclude=()):
        """Until exactly one node is primary (agent and sipd), not one of exclude."""
        return self.wait_roles(lambda r: (p := serving_primary(r)) and p not in exclude and p,
                               timeout, f"one primary (not {exclude})")

    def pair_problems(self):
        """What keeps the pair from being settled: exactly one primary (agents and sipds, all
        four readable and agreeing), one epoch (both agents and both sipds: the backup follows
        the primary's), the backup ready for switchover, the BIG-IP's pool pointing at the
        primary. (The primary and [] when settled.)"""
        roles = read_roles(self.lab)
        problems = []
        for name, r in roles.items():
            if r.agent_role is None or r.sipd_role is None:
                problems.append(f"{name} unreadable ({r})")
            elif r.agent_role != r.sipd_role:
                problems.append(f"{name}: agent {r.agent_role} but sipd {r.sipd_role}")
        primaries = [n for n, r in roles.items() if r.sipd_role == "primary" or
                     r.agent_role == "primary"]
        if len(primaries) != 1:
            problems.append(f"primaries: {primaries}")
            return None, problems
        primary = primaries[0]
        backup = self.lab.addresses.peer(primary)
        epochs = {roles[n].agent_epoch for n in (primary, backup)} | \
            {roles[n].sipd_epoch for n in (primary, backup)}
        if len(epochs) != 1:
            problems.append(f"epochs differ: {describe_roles(roles)}")
        if properties(self.lab.nodes[backup], SIPD, "ReadyForSwitchover") != [True]:
            problems.append(f"backup {backup} not ready for switchover")
        if self.lab.bigip and self.lab.bigip.target() != primary:
            problems.append(f"BIG-IP target {self.lab.bigip.target()}, primary {primary}")
        return primary, problems

    def wait_settled(self, timeout=20):
        """Until pair_problems() is empty; returns the primary."""
        last = [None]

        def settled():
            primary, problems = self.pair_problems()
            last[0] = problems
            return primary if not problems else None

        try:
            primary = wait_for(settled, timeout, interval=0.05, what="the pair settled")
        except AssertionError as e:
            raise AssertionError(f"{e}: {last[0]}{self.explain()}") from None
        return primary

    # ---- after the fault -------------------------------------------------------------------

    def hang_up(self, timeout=10):
        """Every established call is hung up through the VIP: the first half by the caller,
        the second half by the callee; returns (hung up, established) where hung up counts
        calls whose BYE was answered 200 at the hanging-up side and received (and answered)
        at the other."""
        uac_h, uas_w = self.peers["uac_hangup"].twin, self.peers["uas_wait"].twin
        uas_h, uac_w = self.peers["uas_hangup"].twin, self.peers["uac_wait"].twin
        established = min(uac_h.count("established"), uas_w.count("established")) + \
            min(uas_h.count("established"), uac_w.count("established"))
        self.t_hangup = now()
        for twin in (uac_h, uas_h):
            for cid in twin.calls("established"):
                twin.command(cid)

        def finished():
            # Each hanging-up side done (or its SIPp ended: a BYE answered 481 fails the call)
            # and the other side saw as many BYEs.
            for hanging, waiting in (("uac_hangup", uas_w), ("uas_hangup", uac_w)):
                peer = self.peers[hanging]
                if peer.twin.count("done") < self.half and peer.alive():
                    return False
                if waiting.count("done") < peer.twin.count("done"):
                    return False
            return True

        with contextlib.suppress(AssertionError):
            wait_for(finished, timeout, interval=0.05, what="calls hung up")
        by_caller = min(uac_h.count("done"), uas_w.count("done"))
        by_callee = min(uas_h.count("done"), uac_w.count("done"))
        self.result["calls_detail"] = (f"caller hung up {by_caller}/{self.half}, callee "
                                       f"{by_callee}/{self.half}")
        codes = {}
        deadline = now() + 3
        for key, peer in self.peers.items():
            code = peer.wait(max(0.1, deadline - now()))
            codes[key] = code if code is not None else "running"
            if code is None:
                peer.stop()
        self.result["sipp_exit"] = codes
        return by_caller + by_callee, established

    def stop_load(self):
        if self.load:
            self.load.stop_softly(10)

    def check_registrations(self, may_lose=()):
        """Queries every AOR the load saw answered 200 through the VIP: (kept before the fault,
        acknowledged before the fault, missing (user list) among all acknowledged but
        may_lose)."""
        acked = self.load.registered()
        answers = query_bindings(self.lab, sorted(acked)) if acked else {}
        missing = []
        for user, number in acked.items():
            resp = answers.get(user)
            want = self.load.contact(user, number)
            if resp is None or resp.code != 200 or not any(want in c for c in resp.contacts()):
                missing.append(user)
        pre_missing = [u for u in missing if u in self.pre_fault]
        kept_pre = len(self.pre_fault) - len(pre_missing)
        self.result["regs"] = f"{kept_pre}/{len(self.pre_fault)}"
        self.result["regs_all"] = (len(acked) - len(missing), len(acked))
        unexpected = [u for u in missing if u not in may_lose]
        return kept_pre, len(self.pre_fault), unexpected, missing

    def timings(self, t0=None, wall0=None, t_effective=None):
        """The case's times, from t0 (default: the fault):
        - one primary: to the last role change of either agent (their transition history,
          microseconds) once the role watcher saw the pair end with exactly one primary; 0 when
          the watcher saw the same primary all along;
        - first answer: to the first answer through the VIP to a request sent once the fault
          was in place (t_effective, default: when inject() returned);
        - VIP gap: the longest time without any answer through the VIP from t0 to now."""
        t0 = t0 if t0 is not None else self.t_fault
        wall0 = wall0 if wall0 is not None else self.wall_fault
        t_effective = t_effective if t_effective is not None else (
            self.t_injected if t0 == self.t_fault else t0)
        self.watcher.wait_sample_after(now())
        settled, primary = self.watcher.settled_since(t0)
        changes = [at for node in self.lab.nodes.values()
                   for *_, at in transitions(node, wall0)]
        if settled is None:
            one = None
        elif self.result.get("primary_before") and self.watcher.always(
                t0, self.result["primary_before"]):
            one = 0.0
        elif changes:
            one = max(changes)
        else:
            one = max(0.0, settled - t0)
        self.result["one_primary"] = one
        first = self.probe.first_answer_after(t_effective)
        self.result["first_answer"] = None if first is None else first + (t_effective - t0)
        self.result["primary"] = (f"{self.result.get('primary_before') or '-'}->"
                                  f"{primary or '?'}")
        self.result["outage"] = self.probe.longest_gap(t0, now())
        return self.result["one_primary"], self.result["first_answer"]


# ---- the agents' transition history ----------------------------------------------------------

# History entries that change no role: promotions abandoned, nothing else.
NOT_ROLE_CHANGES = ("peer-alive", "service-address-served", "witness-unreachable",
                    "epoch-not-persisted", "local-sipd-failing-while-promoting")


def history(node, since_wall):
    """The agent's history since since_wall (time.time()): [(from, to, reason, detail, seconds
    after since_wall)]; [] when the agent does not answer."""
    try:
        data = node.bus.busctl_json("call", *AGENT, "GetHistory", timeout=5)["data"][0]
    except (AssertionError, subprocess.TimeoutExpired, ValueError, AttributeError):
        return []
    return [(e[1], e[2], e[5], e[7], e[0] / 1e6 - since_wall) for e in data
            if e[0] / 1e6 >= since_wall]


def transitions(node, since_wall):
    """history() without the entries that change no role (abandoned promotions)."""
    return [e for e in history(node, since_wall) if e[2] not in NOT_ROLE_CHANGES]


def reasons(node, since_wall):
    return [entry[2] for entry in history(node, since_wall)]
