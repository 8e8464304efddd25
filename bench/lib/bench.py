"""sipha benchmark: sipd against Kamailio on loopback, server on CPU 0, SIPp on CPU 1.

Lines (see bench/README.md): 1 OPTIONS/s, 2 REGISTER/s in memory (+ sipd config load time),
3 REGISTER/s persistent on SQLite, 4 sipd VmRSS per 100,000 bindings, 5 calls/s (sipd as a
B2BUA, Kamailio as a tm+rr proxy), 6 sipd VmRSS per 1,000 established calls; 7-9 (issue 9) a
hot-standby pair with replication: CPU per REGISTER (in memory, persistent) and per call of the
primary and the backup at fixed rates against Kamailio's, lag, bytes on the HA link, backup
memory (lib/replication.py, lib/pair.py).
"""

import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import traceback

import callmemory
import configs
import pair
import procs
import replication
import report
import search
from servers import Kamailio, Sipd
from sipp import SippRunner, TrialResult

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIOS = os.path.join(BENCH_DIR, "scenarios")
KAMAILIO_CFG = os.path.join(BENCH_DIR, "kamailio")
LINES = report.LINES
SEARCH_LINES = ("options", "register", "persistent", "calls")
CALLED_NUMBER = "90012345"  # the calls lines dial it; the bench's Trunk DN has prefix 9


def parseArgs():
    parser = argparse.ArgumentParser(description="sipd vs Kamailio benchmark")
    parser.add_argument("sipd", nargs="?", default="", help="path to sipd (absent: Kamailio only)")
    parser.add_argument("--lines", default=",".join(LINES), help="subset of " + ",".join(LINES))
    parser.add_argument("--users", type=int, default=int(os.environ.get("BENCH_USERS", 100000)),
                        help="DNs in sipd's config and AORs in the CSV (>= 50000 for the report)")
    parser.add_argument("--trial-seconds", type=float,
                        default=float(os.environ.get("BENCH_TRIAL_SECONDS", 3)))
    parser.add_argument("--kamailio-children", type=int,
                        default=int(os.environ.get("BENCH_KAMAILIO_CHILDREN", 1)))
    parser.add_argument("--memory-bindings", type=int, default=100000)
    parser.add_argument("--memory-calls", type=int, default=10000,
                        help="established calls held for line 6 (at most 60,000)")
    parser.add_argument("--max-trials", type=int, default=13, help="per search")
    parser.add_argument("--budget-seconds", type=float,
                        default=float(os.environ.get("BENCH_BUDGET_SECONDS", 720)),
                        help="searching time of all lines; each search line gets the time "
                             "left divided by the search lines still to run")
    parser.add_argument("--replication-register-rate", type=int, default=2000,
                        help="lines 7, 8: the fixed REGISTER rate")
    parser.add_argument("--replication-call-rate", type=int, default=200,
                        help="line 9: the fixed call rate")
    parser.add_argument("--replication-seconds", type=float, default=10,
                        help="lines 7-9: length of each fixed-rate run")
    parser.add_argument("--replication-repeats", type=int, default=3,
                        help="lines 7-9: runs of each server (medians are reported)")
    parser.add_argument("--replication-bindings", type=int, default=100000,
                        help="line 7: bindings replicated for the backup's memory (0: skip)")
    parser.add_argument("--replication-memory-rate", type=int, default=5000,
                        help="line 7: REGISTER rate while the bindings for memory are made")
    parser.add_argument("--replication-calls-held", type=int, default=10000,
                        help="line 9: calls held up for the backup's memory (0: skip; "
                             "at most 60,000)")
    parser.add_argument("--json", default="", help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args()


def checkTools(wantSipd, lines=()):
    tools = ["sipp", "taskset", "sqlite3"]
    if wantSipd and any(line.startswith("replication-") for line in lines):
        tools += ["dbus-daemon", "busctl", "openssl", "ss"]  # the pair (lib/pair.py)
    missing = [tool for tool in tools if not shutil.which(tool)]
    if not os.access(os.environ.get("BENCH_KAMAILIO", "/usr/sbin/kamailio"), os.X_OK):
        missing.append("kamailio")
    if missing:
        sys.exit("bench: missing tools: " + ", ".join(missing))
    if len(os.sched_getaffinity(0) & {0, 1}) < 2:
        sys.exit("bench: needs CPUs 0 and 1 (server on 0, SIPp on 1)")
    if wantSipd and not os.access(wantSipd, os.X_OK):
        print(f"bench: {wantSipd} is not an executable: measuring Kamailio only",
              file=sys.stderr)
        return ""
    return wantSipd


def freshServerSearch(server, runner, scenario, label, start, args, prepare=None,
                      maxCount=None, readyTimes=None):
    """A RateSearch whose every trial starts a fresh, idle, empty server and stops it after:
    each REGISTER of a trial creates a new binding, no trial inherits the transactions (Timer
    J, 64*T1 = 32 s) or bindings of the one before, and only one server runs at a time.
    Each exec->ready time is appended to readyTimes."""
    failure = {"why": ""}

    def trial(rate):
        count = max(int(rate * args.trial_seconds), 1)
        if maxCount:
            count = min(count, maxCount)  # REGISTER: no more calls than unique users
        if prepare:
            prepare()
        try:
            if not server.start():
                failure["why"] = f"server did not start: {server.logTail(3).strip()}"
                return TrialResult(rate=rate, count=count, failed=count, note="no server")
            if readyTimes is not None:
                readyTimes.append(server.readySeconds)
            result = runner.run(scenario, server.port, rate, count)
            if not server.alive():
                failure["why"] = f"server exited ({server.exitCode()}) during the trial"
                result.note = "server exited"
            return result
        finally:
            server.stop()

    return search.RateSearch(trial, label, start, maxTrials=args.max_trials,
                             abort=lambda: failure["why"])


def compare(sipdSearch, kamailioSearch, deadline):
    """Runs both searches, alternating trials; returns {"sipd": ..., "kamailio": ...}."""
    searches = [found for found in (sipdSearch, kamailioSearch) if found is not None]
    search.runInterleaved(searches, deadline)
    return {"sipd": sipdSearch.result if sipdSearch else None,
            "kamailio": kamailioSearch.result}


def measureMemory(sipd, runner, scenario, bindings, rate, settleSeconds):
    """Line 4: VmRSS of a fresh sipd before and after `bindings` unique REGISTERs."""
    if not sipd.start():
        sipd.stop()
        return {"text": "sipd did not start: " + sipd.logTail(3).strip()}
    try:
        before = procs.vmRssKiB(sipd.pid)
        result = runner.run(scenario, sipd.port, rate, bindings)
        # Let the finished server transactions end (Timer J = 64*T1, RFC 3261 17.2.2) so the
        # figure is bindings, not transactions still waiting for retransmissions.
        time.sleep(settleSeconds)
        after = procs.vmRssKiB(sipd.pid)
        status = sipd.reloadStatus()
    finally:
        sipd.stop()
    # sipd's own count (STATUS= after SIGHUP) when it gave one: a binding whose 200 was lost
    # on the way back still takes memory.
    match = re.search(r"(\d+) bindings", status or "")
    bound = int(match.group(1)) if match else result.successful
    if not bound or before is None or after is None:
        return {"text": f"no bindings made ({result.note or 'sipd exited'})"}
    perHundredK = (after - before) * 100000 / bound
    return {"beforeKiB": before, "afterKiB": after, "bindings": bound,
            "answered": result.successful, "perHundredThousandKiB": perHundredK,
            "sipdStatus": status,
            "text": f"{perHundredK / 1024:.1f} MiB (VmRSS {before / 1024:.1f} -> "
                    f"{after / 1024:.1f} MiB for {bound:,} bindings; {result.successful:,} "
                    f"REGISTERs answered 200 at {rate:,}/s; sipd STATUS after SIGHUP: "
                    f"{status or 'none'})"}


def main():
    args = parseArgs()
    procs.installCleanup()
    lines = [line for line in args.lines.split(",") if line]
    unknown = [line for line in lines if line not in LINES]
    if unknown:
        sys.exit("bench: unknown line(s) " + ",".join(unknown) + "; choose from " + ",".join(LINES))
    sipdPath = checkTools(os.path.abspath(args.sipd) if args.sipd else "", lines)
    if not 1 <= args.memory_calls <= 60000:
        sys.exit("bench: --memory-calls must be 1 to 60,000 (sipd holds at most 65,536 calls)")
    if not 0 <= args.replication_calls_held <= 60000:
        sys.exit("bench: --replication-calls-held must be 0 to 60,000")
    if min(args.replication_register_rate, args.replication_call_rate,
           args.replication_repeats, args.replication_memory_rate) < 1 \
            or args.replication_seconds <= 0 or args.replication_bindings < 0:
        sys.exit("bench: the --replication-* rates, repeats and seconds must be positive")
    workDir = tempfile.mkdtemp(prefix="sipha-bench-")
    startedAt = datetime.datetime.now(datetime.timezone.utc)
    bench = Bench(args, sipdPath, workDir)
    results = bench.results
    try:
        bench.run(lines)
    finally:
        procs.stopAll()
        if args.keep:
            print(f"bench: logs, configs and SIPp traces kept in {workDir}", file=sys.stderr)
        else:
            shutil.rmtree(workDir, ignore_errors=True)
    niceness = f" (nice {os.environ['BENCH_NICE']})" if os.environ.get("BENCH_NICE") else ""
    header = [
        f"sipha bench, {startedAt:%Y-%m-%d %H:%M} UTC, "
        f"sipd = {sipdPath or 'not measured'}",
        f"server on CPU 0, SIPp on CPU 1{niceness}, UDP on 127.0.0.1; Kamailio "
        f"{args.kamailio_children} UDP worker(s); trials of <= {args.trial_seconds:g} s",
        "a rate passes when < 0.1% of its calls fail, and SIPp sends and the server answers >= 90% "
        "of it",
    ]
    print(report.formatTable(results, header))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(_jsonable(results), out, indent=2, default=str)


class Bench:
    """Runs the selected lines; each line fills results[line] (see report.formatTable)."""

    def __init__(self, args, sipdPath, workDir):
        self.args_ = args
        self.sipdPath_ = sipdPath
        self.workDir_ = workDir
        self.runner_ = SippRunner(workDir=os.path.join(workDir, "sipp"))
        os.makedirs(self.runner_.workDir)
        self.usersCsv_ = os.path.join(workDir, "users.csv")
        configs.writeUsersCsv(self.usersCsv_, max(args.users, args.memory_bindings,
                                                  args.replication_bindings,
                                                  self.replicationRegisters_()))
        self.results = {}
        self.deadline_ = time.monotonic() + args.budget_seconds
        self.searchesLeft_ = 0
        self.uasPort_ = procs.freeUdpTcpPort()  # the calls lines' gateway (SIPp UAS)
        self.certs_ = None  # the pair's CA and node certificates, made once per run

    def replicationRegisters_(self):
        """REGISTERs of one fixed-rate run of lines 7 and 8 (each for another AOR)."""
        return int(self.args_.replication_register_rate * self.args_.replication_seconds)

    def run(self, lines):
        self.searchesLeft_ = sum(line in SEARCH_LINES for line in lines)
        for line in lines:
            try:
                getattr(self, "line_" + line.replace("-", "_"))()
            except Exception:  # a bench bug must not hide the other lines' figures
                traceback.print_exc()
                self.results[line + "-error"] = True
            finally:
                procs.stopAll()
                if line in SEARCH_LINES:
                    self.searchesLeft_ -= 1

    def lineDeadline_(self):
        """This search line's share of the budget: the time left over the search lines still
        to run (this one included), so a line that converges early leaves its time to the
        next ones."""
        now = time.monotonic()
        return now + max(self.deadline_ - now, 0) / max(self.searchesLeft_, 1)

    def kamailio_(self, cfg, **kw):
        return Kamailio(self.workDir_, os.path.join(KAMAILIO_CFG, cfg),
                        children=self.args_.kamailio_children, **kw)

    def sipd_(self, persistent, users=None, extra=None, sections=None):
        if not self.sipdPath_:
            return None
        writer = configs.sipdConfigWriter(self.args_.users if users is None else users,
                                          persistent, extra=extra, sections=sections)
        return Sipd(self.workDir_, self.sipdPath_, writer)

    def useRegister_(self):
        self.runner_.use(injectionFile=self.usersCsv_, keys={"expires": 3600},
                         recvTimeoutS=4.0)
        return os.path.join(SCENARIOS, "register.xml")

    def useCalls_(self, pauseMs, retransmit=False):
        """SIPp UAC -> server -> SIPp UAS on self.uasPort_, both SIPps on CPU 1. A call waits
        at most 4 s for the INVITE's 200 and 4 s for the BYE's (scenarios/call_uac.xml)."""
        self.runner_.use(recvTimeoutS=8.0, service=CALLED_NUMBER, pauseMs=pauseMs,
                         retransmit=retransmit,
                         uasScenario=os.path.join(SCENARIOS, "call_uas.xml"),
                         uasPort=self.uasPort_)
        return os.path.join(SCENARIOS, "call_uac.xml")

    def sipdCalls_(self, extra=None):
        """sipd routing CALLED_NUMBER to the UAS through a Trunk DN (prefix 9), no Extensions."""
        return self.sipd_(False, users=0, extra=extra, sections={"dn:gw": {
            "type": "Trunk", "prefix": "9", "contact": f"127.0.0.1:{self.uasPort_}"}})

    def line_options(self):
        print("1 OPTIONS", file=sys.stderr)
        runner = self.runner_
        runner.use(recvTimeoutS=2.0)
        scenario = os.path.join(SCENARIOS, "options.xml")
        sipd = self.sipd_(False)
        self.results["options"] = compare(
            sipd and freshServerSearch(sipd, runner, scenario, "sipd", 10000, self.args_),
            freshServerSearch(self.kamailio_("options.cfg"), runner, scenario, "Kamailio",
                              10000, self.args_),
            self.lineDeadline_())

    def line_register(self):
        users = self.args_.users
        print(f"2 REGISTER, in memory, {users:,} users", file=sys.stderr)
        scenario = self.useRegister_()
        ready = []
        sipd = self.sipd_(False)
        line = compare(
            sipd and freshServerSearch(sipd, self.runner_, scenario, "sipd", 5000, self.args_,
                                       maxCount=users, readyTimes=ready),
            freshServerSearch(self.kamailio_("registrar-mem.cfg"), self.runner_, scenario,
                              "Kamailio", 5000, self.args_, maxCount=users),
            self.lineDeadline_())
        line["suffix"] = f" ({users:,} DNs)"
        self.results["register"] = line
        if ready:
            self.results["load"] = {
                "dns": users, "seconds": ready,
                "text": f"median {statistics.median(ready):.3f} s, max {max(ready):.3f} s "
                        f"over {len(ready)} starts"}

    def line_persistent(self):
        template = os.path.join(self.workDir_, "location-template.sqlite")
        journal = configs.createKamailioLocationDb(template)
        dbPath = os.path.join(self.workDir_, "location.sqlite")
        print(f"3 REGISTER, persistent (Kamailio SQLite journal {journal})", file=sys.stderr)
        scenario = self.useRegister_()
        users = self.args_.users
        sipd = self.sipd_(True)
        kamailio = self.kamailio_("registrar-sqlite.cfg",
                                  defines={"BENCH_DBURL": "sqlite://" + dbPath})
        line = compare(
            sipd and freshServerSearch(sipd, self.runner_, scenario, "sipd", 2000, self.args_,
                                       maxCount=users),
            freshServerSearch(kamailio, self.runner_, scenario, "Kamailio", 200, self.args_,
                              prepare=lambda: configs.copyDb(template, dbPath),
                              maxCount=users),
            self.lineDeadline_())
        line["suffix"] = f" (Kamailio: SQLite {journal})"
        self.results["persistent"] = line

    def line_memory(self):
        if not self.sipdPath_:
            self.results["memory"] = {"text": "n/a (no sipd)"}
            return
        bindings = self.args_.memory_bindings
        best = self.results.get("register", {}).get("sipd")
        rate = min(max(int(best.bestRate * 0.5), 1000), 10000) if best and best.best else 5000
        print(f"4 sipd memory, {bindings:,} bindings at {rate}/s", file=sys.stderr)
        scenario = self.useRegister_()
        # T1 = 10 ms: a finished transaction lives 64*T1 = 0.64 s instead of 32 s, so at most
        # rate * 0.64 of them coexist with the bindings while they are made.
        t1 = 10
        sipd = self.sipd_(False, users=max(self.args_.users, bindings),
                          extra={"sip-timer-t1": t1})
        self.results["memory"] = measureMemory(sipd, self.runner_, scenario, bindings, rate,
                                               settleSeconds=64 * t1 / 1000 + 2)

    def line_calls(self):
        print("5 calls (INVITE/100/180/200/ACK/BYE/200), sipd B2BUA vs Kamailio tm+rr proxy",
              file=sys.stderr)
        scenario = self.useCalls_(pauseMs=0)
        sipd = self.sipdCalls_()
        kamailio = self.kamailio_("proxy-tmrr.cfg",
                                  defines={"BENCH_GATEWAY": f"127.0.0.1:{self.uasPort_}"})
        line = compare(
            sipd and freshServerSearch(sipd, self.runner_, scenario, "sipd", 5000, self.args_),
            freshServerSearch(kamailio, self.runner_, scenario, "Kamailio", 2500, self.args_),
            self.lineDeadline_())
        line["suffix"] = " (sipd: B2BUA, 2 dialogs; Kamailio: tm+rr proxy)"
        self.results["calls"] = line

    def line_callmemory(self):
        if not self.sipdPath_:
            self.results["callmemory"] = {"text": "n/a (no sipd)"}
            return
        calls = self.args_.memory_calls
        best = self.results.get("calls", {}).get("sipd")
        rate = min(max(int(best.bestRate * 0.5), 200), 1000) if best and best.best else 1000
        print(f"6 sipd memory, {calls:,} established calls at {rate}/s", file=sys.stderr)
        phases = []
        for t1 in (10, None):  # the calls alone; with their INVITE transactions (default T1)
            settle = 64 * t1 / 1000 + 2 if t1 else 0
            # Each call stays up (the UAC pauses after its ACK) until all are placed and read;
            # the UAC retransmits and answers the 2xx retransmissions of T1 = 10 ms as a
            # phone does (failures are not what this line measures).
            scenario = self.useCalls_(pauseMs=int((calls / rate + settle + 60) * 1000),
                                      retransmit=True)
            sipd = self.sipdCalls_(extra={"sip-timer-t1": t1} if t1 else None)
            phases.append(callmemory.measure(sipd, self.runner_, scenario, calls, rate, settle))
            procs.stopAll()
        self.results["callmemory"] = callmemory.combine(*phases)

    def pair_(self, writerFor):
        """A sipd pair (lib/pair.py): primary on CPU 0, backup on CPU 1 with SIPp."""
        if self.certs_ is None:
            self.certs_ = pair.makeCertificates(os.path.join(self.workDir_, "pair-certs"))
        return pair.SipdPair(self.workDir_, self.sipdPath_, writerFor, self.certs_,
                             primaryCpu=0, backupCpu=1)

    def replicationLine_(self, key, scenario, rate, count, writerFor, kamailio, anchor):
        """Lines 7-9: `repeats` fixed-rate runs of a fresh pair and of a fresh Kamailio,
        alternating."""
        args = self.args_
        sipdPair = self.pair_(writerFor) if self.sipdPath_ else None
        line = replication.compareRuns(
            sipdPair and (lambda: replication.pairRun(sipdPair, self.runner_, scenario, rate,
                                                      count)),
            lambda: replication.kamailioRun(kamailio, self.runner_, scenario, rate, count),
            args.replication_repeats, log=lambda text: print(text, file=sys.stderr,
                                                             flush=True))
        line.update(rate=rate, seconds=args.replication_seconds,
                    repeats=args.replication_repeats, anchor=anchor)
        self.results[key] = line
        return sipdPair

    def replicationRegister_(self, key, persistent):
        args = self.args_
        rate, count = args.replication_register_rate, self.replicationRegisters_()
        users = max(args.users, count, args.replication_bindings)
        print(f"{7 if not persistent else 8} REGISTER with synchronous replication, "
              f"{'persistent' if persistent else 'in memory'}, {rate:,}/s x {count:,} unique "
              f"AORs, {users:,} DNs", file=sys.stderr)
        scenario = self.useRegister_()

        def writerFor(ha):
            return configs.sipdConfigWriter(users, persistent, logLevel="notice", ha=ha)

        return self.replicationLine_(
            key, scenario, rate, count, writerFor, self.kamailio_("registrar-mem.cfg"),
            "(Kamailio: registrar in memory, no replication)"), scenario

    def line_replication_register(self):
        sipdPair, scenario = self.replicationRegister_("replication-register", False)
        bindings, rate = self.args_.replication_bindings, self.args_.replication_memory_rate
        if sipdPair and bindings:
            print(f"7 backup memory, {bindings:,} bindings at {rate:,}/s", file=sys.stderr)
            self.results["replication-register"]["memory"] = replication.backupBindingMemory(
                sipdPair, self.runner_, scenario, bindings, rate)

    def line_replication_persistent(self):
        self.replicationRegister_("replication-persistent", True)

    def line_replication_calls(self):
        args = self.args_
        rate = args.replication_call_rate
        count = max(int(rate * args.replication_seconds), 1)
        print(f"9 calls with call replication, {rate:,}/s x {count:,}", file=sys.stderr)
        scenario = self.useCalls_(pauseMs=0)
        trunk = {"dn:gw": {"type": "Trunk", "prefix": "9",
                           "contact": f"127.0.0.1:{self.uasPort_}"}}

        def writerFor(ha):
            return configs.sipdConfigWriter(0, False, logLevel="notice", sections=trunk, ha=ha)

        kamailio = self.kamailio_("proxy-tmrr.cfg",
                                  defines={"BENCH_GATEWAY": f"127.0.0.1:{self.uasPort_}"})
        sipdPair = self.replicationLine_("replication-calls", scenario, rate, count, writerFor,
                                         kamailio, "(sipd: B2BUA; Kamailio: tm+rr proxy)")
        calls = args.replication_calls_held
        if sipdPair and calls:
            holdRate = min(1000, max(rate * 5, 100))
            print(f"9 backup memory, {calls:,} calls held, placed at {holdRate:,}/s",
                  file=sys.stderr)
            scenario = self.useCalls_(pauseMs=int((calls / holdRate + 60) * 1000),
                                      retransmit=True)
            self.results["replication-calls"]["memory"] = replication.backupCallMemory(
                sipdPair, self.runner_, scenario, calls, holdRate)


def _jsonable(results):
    def searchJson(found):
        if found is None:
            return None
        return {"best": found.bestRate, "stop": found.stopReason,
                "trials": [{"rate": r.rate, "count": r.count, "ok": r.successful,
                            "achieved": round(r.achieved), "pass": passed, "why": why}
                           for r, passed, why in found.trials]}

    out = {}
    for key, value in results.items():
        if key in SEARCH_LINES:
            out[key] = {side: searchJson(value[side]) for side in ("sipd", "kamailio")}
        else:
            out[key] = value
    return out


if __name__ == "__main__":
    main()
