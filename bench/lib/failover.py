"""sipha failover benchmark (issue 11 section 8): the client-observed outage of each fault,
sipha against keepalived (VRRP) in the same namespaces and the same run, and a false-failover
soak under SIP load and CPU stress. `make bench-failover`; bench/failover.sh --help.

Method and how to read the output: docs/benchmarks-failover.md."""

import argparse
import datetime
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

BENCH_LIB = os.path.dirname(os.path.abspath(__file__))
BENCH_DIR = os.path.dirname(BENCH_LIB)
REPO = os.path.dirname(BENCH_DIR)
sys.path.insert(0, os.path.join(REPO, "tools"))

import configs  # noqa: E402
import keepalived as ka  # noqa: E402
import outage  # noqa: E402
import procs  # noqa: E402
from pairlab import AGENT1, Lab, LabError, Process, ProcessError, wait_for  # noqa: E402
from prober import Feed  # noqa: E402
from sipp import TrialResult, _readStats  # noqa: E402

SIPP = os.environ.get("BENCH_SIPP", "sipp")
STEADY_PROBES = 300  # 300 ms of answers in a row: the service is there (before) / back (after)
MIN_WINDOW_S = 0.5  # a trial watches at least this long after the fault
PREFIX = os.environ.get("FAILOVER_PREFIX", "fo")

FAULTS = {
    "sipd-kill": ("1  crash: sipd kill -9",
                  "keepalived: the responder (sipd) kill -9, seen by its vrrp_script (1 s)"),
    "stack-kill": ("1b crash of the HA stack: agent + sipd kill -9",
                   "keepalived: keepalived (parent and VRRP child) + responder kill -9: a "
                   "silent master"),
    "links-cut": ("2a node lost: svc0 + ha0 of the active node cut",
                  "one nftables transaction dropping everything in and out of both links"),
    "freeze": ("2b node lost: every process of the active node SIGSTOPped",
               "sipha: dbus-daemon, sipha-netcfg, sipd, sipha-agent; keepalived: both "
               "keepalived processes, the responder, dbus-daemon"),
    "switchover": ("3  switchover on demand",
                   "sipha: siphactl switchover on the primary (org.sipha.Agent1.Switchover, "
                   "answered when the peer took over); keepalived: SIGTERM to the master's "
                   "keepalived (a clean stop: priority-0 advert)"),
}
GOALS_MS = {"sipd-kill": 50, "links-cut": 150, "freeze": 150, "switchover": 20}
BIGIP_FAULTS = ("sipd-kill", "switchover")


class Interrupted(Exception):
    pass


def say(text):
    now = datetime.datetime.now().strftime("%H:%M:%S")
    print(f"[failover {now}] {text}", file=sys.stderr, flush=True)


def nowNs():
    return time.monotonic_ns()


# ---- the systems under test ------------------------------------------------------------------


class System:
    """What a trial needs from a pair: settle(), active(), a prober, inject(fault) and restore
    (fault, info), and breakdown(info)."""

    name = "?"
    lab = None

    def proberArgv(self, out):
        argv = [sys.executable, "-B", os.path.join(BENCH_LIB, "prober.py"), "--target",
                self.lab.vip, "--out", out]
        if self.proberRt:
            argv = ["chrt", "-f", "10"] + argv
        return argv

    def startProber(self, tag):
        out = os.path.join(self.lab.client.dir, f"probe-{tag}.txt")
        if os.path.exists(out):
            os.unlink(out)
        if self.prober is None:
            self.prober = self.lab.client.spawn("prober", self.proberArgv(out))
        else:
            self.prober.argv = [str(a) for a in self.proberArgv(out)]
            self.prober.start()
        return Feed(out), out

    def stopProber(self, keep):
        if self.prober is not None and self.prober.alive():
            self.prober.stop(5)
        if not keep:
            for name in os.listdir(self.lab.client.dir):
                if name.startswith("probe-"):
                    os.unlink(os.path.join(self.lab.client.dir, name))

    def stop(self):
        return self.lab.stop() if self.lab else []


class SiphaPair(System):
    """The pair lab with its agents: takeover mode (VIP moved by sipha-netcfg) or behind the
    BIG-IP stand-in."""

    def __init__(self, binDir, prefix, workdir, args, takeover=True, rr=True, name=None):
        self.name = name or ("sipha" if takeover else "sipha (BIG-IP)")
        self.takeover = takeover
        self.rr = rr
        self.binDir = binDir
        self.proberRt = args.prober_rt
        self.prober = None
        self.siphactl = os.path.join(binDir, "siphactl")
        self.workarounds = []
        sections = {"TServer": {"registrar-accept-unknown": "true"}}
        self.lab = Lab(binDir, takeover=takeover, prefix=prefix, workdir=workdir,
                       keep_files=args.keep, say=lambda text: say(f"{self.name}: {text}"),
                       sections=sections)

    def start(self):
        self.lab.start(timeout=90)
        self.applySched()
        return self

    def applySched(self):
        """SCHED_RR 50 for every thread of each agent, as its unit in the image has it."""
        if not self.rr:
            return
        for node in self.lab.nodes.values():
            pid = node.pids.get("agent")
            if pid:
                subprocess.run(["chrt", "-a", "-r", "-p", "50", str(pid)], check=True,
                               capture_output=True, timeout=10)

    def active(self):
        return self.lab.primary()

    def settled(self):
        lab = self.lab
        try:
            primary = lab.primary()
        except LabError:
            return None
        if primary is None:
            return None
        p, b = lab.node(primary), lab.node(lab.addresses.peer(primary))
        for node in (p, b):
            if any(not node.alive(w) or node.process(w).paused
                   for w in ("netcfg", "sipd", "agent")):
                return None
        if b.role() != "backup":
            return None
        if p.agent_property("PeerRole") != "backup" or not p.agent_property("PeerReady"):
            return None
        if p.agent_property("PeerFailing") or not p.agent_property("WitnessReachable"):
            return None
        if not b.agent_property("WitnessReachable"):
            return None
        if self.takeover:
            if not p.holds_vip() or b.holds_vip():
                return None
        elif lab.bigip.target() != primary or lab.bigip.member_state(primary) != "up":
            return None
        elif not b.agent_property("Monitored"):
            # probe awareness: the backup must know the monitor reaches it, or a switchover to
            # it bounces back at once (monitor-lost; see docs/benchmarks-failover.md)
            return None
        return primary

    def waitSettled(self, timeout):
        try:
            return wait_for(self.settled, min(timeout, 5), 0.05, f"{self.name} settled")
        except LabError:
            if not self.repairWitnessBlind():
                return wait_for(self.settled, max(timeout - 5, 1), 0.05, f"{self.name} settled")
        return wait_for(self.settled, timeout, 0.05, f"{self.name} settled")

    def witnessBlind(self, node):
        """The conntrack entry of the agent's echo to the witness, when its replies go to the
        VIP (the echo flow was SNATed to the VIP: its first packet left while sipha-netcfg
        held the VIP and its NAT), or None."""
        if not self.takeover:
            return None
        lab = self.lab
        pid = node.pids.get("agent")
        if pid is None or node.holds_vip():
            return None
        identifier = (pid ^ 0x5A17) & 0xFFFF  # ha-agent/src/io/icmp_echo.cpp
        out = node.ns.run("conntrack", "-L", "-p", "icmp", "--orig-dst", lab.addresses.witness,
                          check=False).stdout
        pattern = re.compile(rf"src={re.escape(lab.addresses.witness)} "
                             rf"dst={re.escape(lab.vip)} type=0 code=0 id={identifier} ")
        for line in out.splitlines():
            if pattern.search(line):
                return " ".join(line.split())
        return None

    def repairWitnessBlind(self):
        """The bench's workaround for a witness-blind agent (see witnessBlind): restart it while
        its node is backup, so its new echo flow (new ICMP identifier) is not translated.
        Returns the notes of what was done (also kept in self.workarounds)."""
        done = []
        for node in self.lab.nodes.values():
            if node.agent_property("WitnessReachable") is not False:
                continue
            line = self.witnessBlind(node)
            if line is None:
                continue
            node.restart("agent")
            self.applySched()
            done.append(f"agent@{node.name} witness-blind ({line}): restarted")
        for note in done:
            say(f"{self.name}: WORKAROUND {note}")
        self.workarounds += done
        return done

    def history(self, node):
        try:
            out = node.bus.busctl_json("call", *AGENT1, "GetHistory", timeout=5)
        except (AssertionError, subprocess.TimeoutExpired, ValueError):
            return []
        return out["data"][0]

    def inject(self, fault, active):
        node = self.lab.node(active)
        info = {"active": active, "wallNs": time.time_ns()}
        if fault == "sipd-kill":
            info["faultNs"] = nowNs()
            node.kill("sipd")
        elif fault == "stack-kill":
            info["faultNs"] = nowNs()
            os.kill(node.process("agent").pid, signal.SIGKILL)
            node.kill("sipd")
            node.kill("agent")
        elif fault == "links-cut":
            info["faultNs"] = cutLinks(node.ns)
        elif fault == "freeze":
            pids = [node.bus.pid] if node.bus else []
            info["faultNs"] = nowNs()
            for which in ("agent", "sipd", "netcfg"):
                node.pause(which)
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
            info["pids"] = pids
        elif fault == "switchover":
            argv = [self.siphactl, "switchover"] if os.access(self.siphactl, os.X_OK) else None
            info["faultNs"] = nowNs()
            if argv:
                result = subprocess.run(argv, env=dict(os.environ, **node.env),
                                        capture_output=True, text=True, timeout=20)
                ok, text = result.returncode == 0, (result.stdout + result.stderr).strip()
            else:
                ok, text = node.switchover()
            info["answeredNs"] = nowNs()
            if not ok:
                info["error"] = f"switchover refused: {text}"
        else:
            raise ValueError(fault)
        info["injectedNs"] = nowNs()
        return info

    def restore(self, fault, info):
        node = self.lab.node(info["active"])
        if fault == "sipd-kill":
            node.start_process("sipd")
        elif fault == "stack-kill":
            node.start_process("sipd")
            node.start_process("agent")
            self.applySched()
            try:  # see witnessBlind(): a product bug this restart runs into
                wait_for(lambda: node.agent_property("WitnessReachable"), 1.5, 0.05)
            except LabError:
                self.repairWitnessBlind()
        elif fault == "links-cut":
            restoreLinks(node.ns)
        elif fault == "freeze":
            for which in ("netcfg", "sipd", "agent"):
                if node.process(which).paused:
                    node.resume(which)
            for pid in info.get("pids", []):
                os.kill(pid, signal.SIGCONT)

    def breakdown(self, info):
        """The agents' transitions after the fault, in ms from it (their history's wall
        clock): [(ms, node, "from->to", reason)]."""
        start = info["wallNs"] / 1e3 - 20_000  # µs; 20 ms of slack for the clock reads
        out = []
        for node in self.lab.nodes.values():
            for entry in self.history(node):
                if entry[0] >= start:
                    out.append(((entry[0] * 1e3 - info["wallNs"]) / 1e6, node.name,
                                f"{entry[1]}->{entry[2]}", entry[5]))
        return sorted(out)


class KeepalivedSystem(System):
    def __init__(self, binDir, prefix, workdir, args, advert, name=None, rtPriority=None):
        self.name = name or f"keepalived {advert:g} s"
        self.advert = advert
        self.proberRt = args.prober_rt
        self.prober = None
        self.pair = ka.KeepalivedPair(binDir, prefix, workdir, advert,
                                      say=lambda text: say(f"{self.name}: {text}"),
                                      keep=args.keep, rtPriority=rtPriority)
        self.lab = self.pair.lab

    def start(self):
        self.pair.start()
        return self

    def active(self):
        return self.pair.active()

    def waitSettled(self, timeout):
        return self.pair.waitSettled(timeout)

    def inject(self, fault, active):
        pair = self.pair
        info = {"active": active, "wallNs": time.time_ns()}
        if fault == "sipd-kill":
            info["faultNs"] = nowNs()
            pair.responders[active].kill()
        elif fault == "stack-kill":
            info["faultNs"] = nowNs()
            pair.killKeepalived(active)
            pair.responders[active].kill()
        elif fault == "links-cut":
            info["faultNs"] = cutLinks(self.lab.node(active).ns)
        elif fault == "freeze":
            info["faultNs"] = nowNs()
            info["pids"] = pair.freeze(active)
        elif fault == "switchover":
            info["faultNs"] = nowNs()
            pair.keepalived[active].signal(signal.SIGTERM)
        else:
            raise ValueError(fault)
        info["injectedNs"] = nowNs()
        return info

    def restore(self, fault, info):
        name = info["active"]
        pair = self.pair
        if fault == "links-cut":
            restoreLinks(self.lab.node(name).ns)
        elif fault == "freeze":
            pair.thaw(name, info["pids"])
        else:
            if fault == "switchover":
                pair.keepalived[name].wait(10)
            pair.restartCrashed(name)

    def breakdown(self, info):
        """keepalived's state lines logged since the fault (no timestamps finer than a second
        in its log: listed, not timed)."""
        out = []
        for name, states in self.pair.transitions().items():
            out += [(None, name, state, "") for _, state in states]
        self.pair.mark()
        return out


def cutLinks(ns):
    """Everything in and out of svc0 and ha0 dropped, in one nftables transaction; returns the
    time the command returned (the cut is in the kernel by then, at most its exit earlier)."""
    script = ("table inet failover_cut {\n"
              "  chain input { type filter hook input priority -400; policy accept;\n"
              '    iifname { "svc0", "ha0" } drop\n  }\n'
              "  chain output { type filter hook output priority -400; policy accept;\n"
              '    oifname { "svc0", "ha0" } drop\n  }\n}\n')
    ns.nft(script)
    return nowNs()


def restoreLinks(ns):
    ns.run("nft", "delete", "table", "inet", "failover_cut", check=False)


# ---- trials ----------------------------------------------------------------------------------


def waitSteady(feed, sinceNs, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if outage.steadySince(feed.records("f", sinceNs), sinceNs, STEADY_PROBES):
            return True
        time.sleep(0.02)
    return False


def runTrial(system, fault, index, args):
    """One fault on the active node of `system`: returns a dict (outage of each probe kind, the
    breakdown) or {"error": ...}."""
    tag = f"{fault}-{index}"
    system.waitSettled(args.settle_timeout)
    time.sleep(args.quiet)
    feed, _ = system.startProber(tag)
    result = {"system": system.name, "fault": fault, "run": index}
    try:
        started = nowNs()
        if not waitSteady(feed, started, 10):
            return dict(result, error="the prober got no steady answers before the fault")
        # A random phase: keepalived's adverts and its 1-s vrrp_script run on timers of their
        # own, and trials that follow each other at a steady pace would hit them at the same
        # point every time.
        time.sleep(random.uniform(0, args.jitter))
        active = system.active()
        info = system.inject(fault, active)
        result["active"] = active
        if info.get("error"):
            result["breakdown"] = system.breakdown(info)
            return dict(result, error=info["error"])
        faultNs = info["faultNs"]
        deadline = time.monotonic() + args.trial_timeout
        while time.monotonic() < deadline:
            time.sleep(0.02)
            if nowNs() < info["injectedNs"] + MIN_WINDOW_S * 1e9:
                continue
            if outage.steadySince(feed.records("f", faultNs), faultNs, STEADY_PROBES):
                break
        endNs = nowNs()
        system.stopProber(keep=True)
        for kind in ("f", "x"):
            records = feed.records(kind, faultNs - 2_000_000_000, endNs)
            try:
                result[kind] = outage.analyse(records, faultNs, endNs)
            except ValueError as e:
                result[kind] = None
                result.setdefault("notes", []).append(f"{kind}: {e}")
        if "answeredNs" in info:
            result["callMs"] = (info["answeredNs"] - faultNs) / 1e6
        try:
            system.restore(fault, info)
        finally:
            result["breakdown"] = system.breakdown(info)
        return result
    finally:
        system.stopProber(keep=args.keep)


def describeTrial(r):
    if r.get("error"):
        steps = [f"{node} {what} {'+%.1f ms' % ms if ms is not None else ''} ({why})".strip()
                 for ms, node, what, why in r.get("breakdown", [])][:12]
        return f"ERROR {r['error']}" + (" | " + ", ".join(steps) if steps else "")
    f = r.get("f")
    text = f.describe() if f else "no measurement"
    x = r.get("x")
    if x is not None:
        text += ("; one-flow client: " + (f"gap {x.gapMs:.1f} ms" if x.recovered else
                                          f"NOT answered again within {x.gapMs:.0f} ms"))
    if r.get("callMs") is not None:
        text += f"; switchover call answered after {r['callMs']:.1f} ms"
    steps = [f"{node} {what} {'+%.1f ms' % ms if ms is not None else ''} ({why})".strip()
             for ms, node, what, why in r.get("breakdown", [])][:6]
    if steps:
        text += " | " + ", ".join(steps)
    return text


# ---- the soak ---------------------------------------------------------------------------------


def soakLoad(system, args, workdir):
    """SIPp in the client namespace: REGISTER (unique users, refreshed) and OPTIONS through
    the VIP at fixed rates for the soak's duration."""
    lab = system.lab
    seconds = args.soak_minutes * 60
    users = os.path.join(lab.client.dir, "users.csv")
    configs.writeUsersCsv(users, args.soak_users)
    procs_ = []
    for kind, scenario, rate in (("register", "register.xml", args.soak_register_rate),
                                 ("options", "options.xml", args.soak_options_rate)):
        if rate <= 0:
            continue
        stat = os.path.join(lab.client.dir, f"sipp-{kind}-stat.csv")
        argv = [SIPP, f"{lab.vip}:5060", "-sf", os.path.join(BENCH_DIR, "scenarios", scenario),
                "-i", lab.client.address, "-p", "0", "-r", str(rate),
                "-m", str(int(rate * seconds)), "-l", str(rate * 10), "-nostdin",
                "-trace_stat", "-stf", stat, "-fd", "5", "-timeout", f"{int(seconds + 60)}s",
                "-buff_size", "4194304"]
        if kind == "register":
            argv += ["-inf", users, "-key", "expires", "3600"]
        procs_.append((kind, rate, stat, lab.client.spawn(f"sipp-{kind}", argv)))
    return procs_


def soakResult(load):
    out = {}
    for kind, rate, stat, proc in load:
        if proc.alive():
            proc.stop(10)
        result = TrialResult(rate=rate, count=0)
        _readStats(stat, result)
        out[kind] = {"rate": rate, "successful": result.successful, "created": result.created,
                     "failed": max(result.created - result.successful, 0),
                     "noAnswer": result.noAnswer, "otherAnswer": result.otherAnswer}
    return out


def runSoak(args, binDir, workRoot):
    """Both sipha variants (agent SCHED_RR 50 and SCHED_OTHER) and keepalived with 10-ms adverts,
    at once, each under SIPp load through its VIP, with stress-ng on every CPU: role changes
    counted."""
    minutes = args.soak_minutes
    systems = []
    if "rr" in args.soak_variants:
        systems.append(SiphaPair(binDir, f"{PREFIX}-soak-rr", os.path.join(workRoot, "soak-rr"),
                                 args, rr=True, name="sipha, agent SCHED_RR 50"))
    if "other" in args.soak_variants:
        systems.append(SiphaPair(binDir, f"{PREFIX}-soak-ot", os.path.join(workRoot, "soak-ot"),
                                 args, rr=False, name="sipha, agent SCHED_OTHER"))
    if "keepalived" in args.soak_variants:
        systems.append(KeepalivedSystem(binDir, f"{PREFIX}-soak-ka",
                                        os.path.join(workRoot, "soak-ka"), args,
                                        args.soak_advert,
                                        name=f"keepalived {args.soak_advert:g} s"))
    started = []
    stress = None
    report = {"minutes": minutes, "systems": {}}
    try:
        for system in systems:
            say(f"soak: starting {system.name}")
            system.start()
            started.append(system)
        for system in systems:
            system.waitSettled(60)
        before = {}
        for system in systems:
            if isinstance(system, SiphaPair):
                before[system.name] = {n.name: len(system.history(n))
                                       for n in system.lab.nodes.values()}
            else:
                system.pair.mark()
        loads = {s.name: soakLoad(s, args, workRoot) for s in systems}
        stressArgv = ["stress-ng", "--cpu", str(args.soak_stress_cpus), "--timeout",
                      f"{int(minutes * 60) + 5}s", "--quiet"]
        stress = procs.start(stressArgv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        say(f"soak: {minutes:g} min, {' '.join(stressArgv)}, SIPp {args.soak_register_rate} "
            f"REGISTER/s + {args.soak_options_rate} OPTIONS/s through each VIP")
        end = time.monotonic() + minutes * 60
        nextNote = time.monotonic() + 60
        while time.monotonic() < end:
            time.sleep(min(1.0, max(0.0, end - time.monotonic())))
            if time.monotonic() >= nextNote:
                nextNote += 60
                say(f"soak: {(minutes * 60 - (end - time.monotonic())) / 60:.0f} of {minutes:g} "
                    f"min")
        procs.stop(stress)
        stress = None
        for system in systems:
            entry = {"load": soakResult(loads[system.name])}
            if isinstance(system, SiphaPair):
                changes = []
                for node in system.lab.nodes.values():
                    history = system.history(node)[before[system.name][node.name]:]
                    changes += [f"{node.name}: {e[1]}->{e[2]} ({e[5]})" for e in history]
                entry["roleChanges"] = len([c for c in changes if "->primary" in c
                                            or "primary->" in c])
                entry["transitions"] = changes
            else:
                states = system.pair.transitions()
                entry["transitions"] = [f"{name}: {state}" for name, lines in states.items()
                                        for _, state in lines]
                entry["roleChanges"] = len([s for s in entry["transitions"]
                                            if s.endswith("MASTER")])
            report["systems"][system.name] = entry
    finally:
        if stress is not None:
            procs.stop(stress)
        for system in started:
            system.stopProber(keep=False)
            problems = system.stop()
            for problem in problems:
                say(f"soak: {system.name}: problem: {problem.splitlines()[0]}")
    return report


# ---- output -----------------------------------------------------------------------------------


def stats(results, system, fault, field):
    """Median and max of `field` over the runs; a run not answered again before its window
    ended counts with its window (a lower bound: the max is then shown with '>')."""
    values, bound = [], False
    for r in results:
        if r["system"] != system or r["fault"] != fault or r.get("error") or not r.get("f"):
            continue
        o = r["f"]
        if not o.recovered:
            values.append(o.gapMs)
            bound = True
        else:
            values.append(getattr(o, field))
    return dict(outage.summary(values), bound=bound)


SHORT = {"sipd-kill": "1  sipd kill -9", "stack-kill": "1b agent+sipd kill -9",
         "links-cut": "2a node lost: links cut", "freeze": "2b node lost: frozen",
         "switchover": "3  switchover"}


def formatTable(results, systemNames, faults, field):
    """One row per fault: sipha's median and max, each anchor's, then sipha/anchor for both.
    A value with '>' is a lower bound (a run not answered again before its window ended)."""
    anchors = [n for n in systemNames if n.startswith("keepalived")]
    groups = ["sipha"] + anchors + [f"sipha/{a.replace('keepalived ', 'ka ')}" for a in anchors]
    top = [""] + [g for g in groups for _ in (0, 1)]
    head = ["fault"] + ["median", "max"] * len(groups)
    rows = []
    for fault in faults:
        s = stats(results, "sipha", fault, field)
        row = [SHORT[fault], cell(s, "median"), cell(s, "max")]
        ratios = []
        for anchor in anchors:
            k = stats(results, anchor, fault, field)
            row += [cell(k, "median"), cell(k, "max")]
            ratios += [outage.ratio(s["median"], k["median"]), outage.ratio(s["max"], k["max"])]
        rows.append(row + ratios)
    width = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    for i in range(1, len(top), 2):  # a group's name spans its two columns
        need = len(top[i]) - (width[i] + 2 + width[i + 1])
        if need > 0:
            width[i + 1] += need
    lines = ["  ".join([" " * width[0]] + [top[i].center(width[i] + 2 + width[i + 1])
                                          for i in range(1, len(top), 2)])]
    for r in [head] + rows:
        lines.append("  ".join(c.ljust(width[i]) if i == 0 else c.rjust(width[i])
                               for i, c in enumerate(r)))
    return lines


def cell(summary, key):
    text = outage.formatMs(summary[key])
    return (">" + text) if summary.get("bound") and key == "max" else text


def formatReport(args, results, systemNames, faults, bigip, soak, command, startedAt,
                 workarounds):
    out = [f"sipha failover bench, {startedAt:%Y-%m-%d %H:%M} UTC",
           f"command: {command}",
           f"binaries: {args.bin}; keepalived {keepalivedVersion()}",
           f"takeover mode (the VIP moves on one LAN: tools/pairlab, Lab(takeover=True)); "
           f"{args.runs} run(s) per fault and system, interleaved; client probe: an OPTIONS to "
           f"the VIP every 1 ms from a new UDP port each (fresh flows), CLOCK_MONOTONIC; each "
           f"fault after a random 0-{args.jitter:g} s",
           "sipha-agent: " + ("SCHED_RR 50 (chrt, as its unit in the image)" if args.agent_rr
                              else "SCHED_OTHER") +
           f"; keepalived: VRRPv3, priority {ka.PRIORITY} on both nodes, "
           f"master down = 3 x advert + {ka.skewSeconds(1):.2f} x advert "
           f"({ka.masterDownSeconds(1):.2f} s at 1 s, {ka.masterDownSeconds(0.1) * 1000:.0f} ms "
           f"at 0.1 s); prober {'SCHED_FIFO 10' if args.prober_rt else 'SCHED_OTHER'}",
           "",
           "Outage = the last answer before the fault -> the first answer after it (the gap the "
           "client saw):"]
    out += formatTable(results, systemNames, faults, "gapMs")
    out += ["", "Fault -> first answer after it:"]
    out += formatTable(results, systemNames, faults, "recoveryMs")
    out += ["", "Goals (sipha, outage median): "
            + "; ".join(goalText(results, fault) for fault in faults if fault in GOALS_MS)]
    out += ["", "Faults:"]
    out += [f"  {FAULTS[f][0]}: {FAULTS[f][1]}" for f in faults]
    notes = trialNotes(results, systemNames, faults)
    if notes:
        out += ["", "Per fault and system:"] + notes
    for name, notes in workarounds.items():
        out += ["", f"{name}: the bench had to work around a product bug {len(notes)} time(s) "
                "(a restarted agent's witness echo flow SNATed to the VIP; see the doc):"]
        out += [f"  {note}" for note in notes[:5]]
    if bigip:
        out += ["", "BIG-IP mode (sipha behind the BIG-IP stand-in, monitor every 1 s, member "
                "down after 4 s: traffic follows the monitor's timeout, the BIG-IP's time, not "
                "sipha's):"]
        for fault in BIGIP_FAULTS:
            for field, label in (("gapMs", "outage"), ("recoveryMs", "fault -> answer")):
                s = stats(bigip, "sipha (BIG-IP)", fault, field)
                if s["n"]:
                    out.append(f"  {FAULTS[fault][0]}: {label} median "
                               f"{outage.formatMs(s['median'])}, max {outage.formatMs(s['max'])}"
                               f" ({s['n']} runs)")
        out += trialNotes(bigip, ["sipha (BIG-IP)"], BIGIP_FAULTS)
    if soak:
        out += ["", f"False-failover soak: {soak['minutes']:g} min at once for every system "
                f"below, `stress-ng --cpu {args.soak_stress_cpus}` on the host, SIPp "
                f"{args.soak_register_rate} REGISTER/s ({args.soak_users} users, Expires 3600) + "
                f"{args.soak_options_rate} OPTIONS/s through each VIP:"]
        for name, entry in soak["systems"].items():
            load = "; ".join(f"{kind} {v['successful']:,} answered, {v['failed']:,} failed"
                             for kind, v in entry["load"].items())
            goal = "  (goal 0: " + ("met" if entry["roleChanges"] == 0 else "NOT met") + ")" \
                if name.startswith("sipha") else ""
            out.append(f"  {name}: {entry['roleChanges']} role change(s){goal}; "
                       f"{len(entry['transitions'])} transition(s) logged; SIPp: {load}")
            for line in entry["transitions"][:12]:
                out.append(f"      {line}")
            if len(entry["transitions"]) > 12:
                out.append(f"      ... {len(entry['transitions']) - 12} more")
    return "\n".join(out)


def goalText(results, fault):
    s = stats(results, "sipha", fault, "gapMs")
    goal = GOALS_MS[fault]
    if s["median"] is None:
        return f"{fault} <= {goal} ms: not measured"
    met = s["median"] <= goal
    return f"{fault} <= {goal} ms: {'met' if met else 'NOT met'} ({outage.formatMs(s['median'])})"


def trialNotes(results, systemNames, faults):
    out = []
    for fault in faults:
        for name in systemNames:
            rs = [r for r in results if r["system"] == name and r["fault"] == fault]
            if not rs:
                continue
            errors = [r for r in rs if r.get("error")]
            good = [r for r in rs if not r.get("error") and r.get("f")]
            lost = outage.summary([r["f"].lost for r in good])
            after = sum(1 for r in good if r["f"].lostAfter)
            unrecovered = sum(1 for r in good if not r["f"].recovered)
            x = [r["x"] for r in good if r.get("x")]
            xBack = [o for o in x if o.recovered]
            text = (f"  {fault:<10} {name:<16} {len(good)} runs, probes lost median "
                    f"{lost['median']:.0f} max {lost['max']}" if lost["n"] else
                    f"  {fault:<10} {name:<16} no run")
            if unrecovered:
                longest = max(r["f"].gapMs for r in good if not r["f"].recovered)
                text += f", {unrecovered} NOT recovered within {outage.formatMs(longest)}"
            if after:
                text += f", {after} with losses after the first answer"
            if x:
                text += f"; one-flow client answered again in {len(xBack)}/{len(x)} runs"
                if xBack:
                    median = outage.summary([o.gapMs for o in xBack])["median"]
                    text += f" (median gap {outage.formatMs(median)})"
            calls = outage.summary([r.get("callMs") for r in good])
            if calls["n"]:
                text += ("; switchover call answered after median "
                         + outage.formatMs(calls["median"]))
            steps = promotionSteps(good)
            if steps:
                text += "; " + steps
            if errors:
                text += f"; {len(errors)} run(s) failed: {errors[0]['error']}"
            out.append(text)
    return out


def promotionSteps(results):
    """sipha: median time from the fault to the new primary's "-> primary" entry and to the
    old primary's first demotion entry, from the agents' histories."""
    promoted, demoted = [], []
    for r in results:
        active = r.get("active")
        for ms, node, what, why in r.get("breakdown", []):
            if ms is None:
                continue
            if node != active and what.endswith("->primary"):
                promoted.append(ms)
                break
        for ms, node, what, why in r.get("breakdown", []):
            if ms is not None and node == active and what.startswith(("primary->", "draining->")):
                demoted.append(ms)
                break
    parts = []
    if demoted:
        median = outage.summary(demoted)["median"]
        parts.append(f"old primary's agent demoted at median +{median:.1f} ms")
    if promoted:
        median = outage.summary(promoted)["median"]
        parts.append(f"new primary's agent promoted at median +{median:.1f} ms")
    return ", ".join(parts)


def keepalivedVersion():
    try:
        out = subprocess.run([ka.KEEPALIVED, "--version"], capture_output=True, text=True,
                             timeout=10)
        return (out.stdout + out.stderr).split("\n")[0].strip()
    except OSError:
        return "not installed"


def toJson(results):
    def convert(r):
        r = dict(r)
        for kind in ("f", "x"):
            if r.get(kind) is not None:
                r[kind] = r[kind].__dict__
        return r
    return [convert(r) for r in results]


# ---- main -------------------------------------------------------------------------------------


def parseArgs(argv):
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="bench/failover.sh", description="sipha failover bench against keepalived")
    parser.add_argument("bin", nargs="?", default=os.path.join(REPO, "build", "bin"),
                        help="the build's bin directory (sipd, sipha-netcfg, sipha-agent, "
                             "siphactl)")
    parser.add_argument("--runs", type=int, default=int(env("FAILOVER_RUNS", 10)),
                        help="runs per fault and system (default 10; FAILOVER_RUNS)")
    parser.add_argument("--faults", default=",".join(FAULTS),
                        help="subset of " + ",".join(FAULTS))
    parser.add_argument("--systems", default="sipha,keepalived-1,keepalived-0.1",
                        help="sipha, keepalived-<advert s> (any number of them)")
    parser.add_argument("--bigip-runs", type=int, default=int(env("FAILOVER_BIGIP_RUNS", 10)),
                        help="runs of each of " + ",".join(BIGIP_FAULTS) + " behind the BIG-IP "
                             "stand-in (0: skip)")
    parser.add_argument("--soak-minutes", type=float,
                        default=float(env("FAILOVER_SOAK_MINUTES", 10)),
                        help="the false-failover soak (0: skip; FAILOVER_SOAK_MINUTES)")
    parser.add_argument("--soak-variants", default="rr,other,keepalived",
                        help="which pairs soak together: rr (agent SCHED_RR 50), other "
                             "(SCHED_OTHER), keepalived")
    parser.add_argument("--soak-advert", type=float, default=0.01,
                        help="keepalived's advert_int in the soak (default 0.01 s)")
    parser.add_argument("--soak-register-rate", type=int,
                        default=int(env("FAILOVER_SOAK_REGISTER_RATE", 2000)))
    parser.add_argument("--soak-options-rate", type=int,
                        default=int(env("FAILOVER_SOAK_OPTIONS_RATE", 1000)))
    parser.add_argument("--soak-users", type=int, default=20000)
    parser.add_argument("--soak-stress-cpus", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--agent-sched", choices=("rr", "other"), default="rr",
                        help="the agents of the failover runs (default rr: SCHED_RR 50)")
    parser.add_argument("--no-prober-rt", dest="prober_rt", action="store_false",
                        help="run the prober SCHED_OTHER (default SCHED_FIFO 10)")
    parser.add_argument("--trial-timeout", type=float, default=15.0)
    parser.add_argument("--settle-timeout", type=float, default=60.0)
    parser.add_argument("--quiet", type=float, default=0.3,
                        help="seconds to wait after the pair settled, before the prober starts")
    parser.add_argument("--jitter", type=float, default=1.0,
                        help="each fault comes after a random 0..JITTER s, so it falls at any "
                             "point of keepalived's advert and script timers (default 1)")
    parser.add_argument("--json", default="", help="also write every trial here")
    parser.add_argument("--keep", action="store_true",
                        help="keep the labs' files and the probe records")
    args = parser.parse_args(argv)
    args.agent_rr = args.agent_sched == "rr"
    return args


def checkTools(args):
    problems = []
    if os.geteuid() != 0:
        problems.append("run as root (network namespaces, nftables, SCHED_RR)")
    for tool in ("ip", "nft", "chrt", "dbus-daemon", "busctl", "openssl", "conntrack"):
        if not shutil.which(tool):
            problems.append(f"{tool} missing (make deps)")
    for binary in ("sipd", "sipha-netcfg", "sipha-agent"):
        if not os.access(os.path.join(args.bin, binary), os.X_OK):
            problems.append(f"{os.path.join(args.bin, binary)} missing (build it first)")
    if any(s.startswith("keepalived") for s in args.systems.split(",")) or \
            ("keepalived" in args.soak_variants and args.soak_minutes > 0):
        if not ka.available():
            problems.append("keepalived missing (make deps: keepalived)")
    if args.soak_minutes > 0:
        for tool in ("stress-ng", SIPP):
            if not shutil.which(tool):
                problems.append(f"{tool} missing (make deps)")
    if problems:
        sys.exit("bench-failover: " + "; ".join(problems))


def main(argv=None):
    args = parseArgs(argv)
    args.bin = os.path.abspath(args.bin)
    faults = [f for f in args.faults.split(",") if f]
    unknown = [f for f in faults if f not in FAULTS]
    if unknown:
        sys.exit(f"bench-failover: unknown fault(s) {','.join(unknown)}; choose from "
                 f"{','.join(FAULTS)}")
    checkTools(args)
    script = os.path.relpath(os.path.join(BENCH_DIR, "failover.sh"), os.getcwd())
    command = f"{shlex.quote(script)} " \
              + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    startedAt = datetime.datetime.now(datetime.timezone.utc)
    workRoot = tempfile.mkdtemp(prefix="sipha-failover-")

    def onSignal(signum, frame):
        for other in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(other, signal.SIG_IGN)  # the clean-up must not be cut short
        raise Interrupted(signal.Signals(signum).name)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, onSignal)

    systems, extraSystems, workarounds = [], [], {}
    results, bigip, soak = [], [], None
    failed = False
    try:
        for spec in [s for s in args.systems.split(",") if s]:
            if spec == "sipha":
                systems.append(SiphaPair(args.bin, f"{PREFIX}-sipha",
                                         os.path.join(workRoot, "sipha"), args,
                                         rr=args.agent_rr))
            elif spec.startswith("keepalived-"):
                advert = float(spec.split("-", 1)[1])
                systems.append(KeepalivedSystem(
                    args.bin, f"{PREFIX}-ka{spec.split('-', 1)[1].replace('.', '')}",
                    os.path.join(workRoot, spec), args, advert))
            else:
                sys.exit(f"bench-failover: unknown system {spec}")
        started = []
        try:
            for system in systems:
                say(f"starting {system.name}")
                system.start()
                started.append(system)
            for fault in faults:
                for index in range(1, args.runs + 1):
                    for system in systems:
                        try:
                            r = runTrial(system, fault, index, args)
                        except (LabError, ProcessError, subprocess.SubprocessError,
                                OSError) as e:
                            r = {"system": system.name, "fault": fault, "run": index,
                                 "error": f"{type(e).__name__}: {str(e).splitlines()[0]}"}
                            traceback.print_exc()
                        results.append(r)
                        say(f"{system.name:<16} {fault:<10} {index}/{args.runs}: "
                            f"{describeTrial(r)}")
        finally:
            for system in started:
                for problem in system.stop():
                    say(f"{system.name}: problem: {problem.splitlines()[0]}")
        if args.bigip_runs > 0 and any(isinstance(s, SiphaPair) for s in systems):
            system = SiphaPair(args.bin, f"{PREFIX}-bigip", os.path.join(workRoot, "bigip"),
                               args, takeover=False, rr=args.agent_rr)
            extraSystems.append(system)
            say("starting sipha behind the BIG-IP stand-in")
            try:
                system.start()
                for fault in BIGIP_FAULTS:
                    for index in range(1, args.bigip_runs + 1):
                        try:
                            r = runTrial(system, fault, index, args)
                        except (LabError, ProcessError, subprocess.SubprocessError,
                                OSError) as e:
                            r = {"system": system.name, "fault": fault, "run": index,
                                 "error": f"{type(e).__name__}: {str(e).splitlines()[0]}"}
                        bigip.append(r)
                        say(f"{system.name} {fault} {index}/{args.bigip_runs}: "
                            f"{describeTrial(r)}")
            finally:
                for problem in system.stop():
                    say(f"{system.name}: problem: {problem.splitlines()[0]}")
        if args.soak_minutes > 0:
            soak = runSoak(args, args.bin, workRoot)
    except Interrupted as e:
        say(f"{e}: stopped; everything started was stopped and removed")
        failed = True
    except (LabError, ProcessError) as e:
        say(f"failed: {e}")
        failed = True
    finally:
        procs.stopAll()
        if args.keep:
            say(f"files kept in {workRoot}")
        else:
            shutil.rmtree(workRoot, ignore_errors=True)
    names = [s.name for s in systems]
    for system in systems + extraSystems:
        if getattr(system, "workarounds", None):
            workarounds[system.name] = system.workarounds
    print(formatReport(args, results, names, faults, bigip, soak, command, startedAt,
                       workarounds), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"trials": toJson(results), "bigip": toJson(bigip), "soak": soak}, f,
                      indent=1, default=str)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
