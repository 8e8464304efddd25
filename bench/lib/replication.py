"""The replication lines (issue 9, section 5): CPU per operation of a sipd pair with
synchronous replication, at fixed rates, against Kamailio in the same run; replication lag,
bytes per operation on the HA link, the backup's memory per 100,000 bindings and per 1,000
calls.

CPU per operation is utime + stime of /proc/PID/stat (clock ticks; for Kamailio the sum over
its process group: main, workers, timers) read just before and just after one fixed-rate SIPp
run, divided by the operations that succeeded (REGISTERs answered 200; calls completed at the
UAC and the UAS). Each repeat starts a fresh pair (and a fresh Kamailio): every REGISTER makes a
new binding, the lag histogram and counters start at zero. sipd's and Kamailio's runs
alternate, so both see the same background load. The figures are the medians over the
repeats.
"""

import statistics
import time

import callmemory
import procs
import search


def goodOperations(result):
    """Operations that count: the UAC's successes, bounded by the UAS's for calls."""
    if result.peerSuccessful >= 0:
        return min(result.successful, result.peerSuccessful)
    return result.successful


def delta(before, after, name):
    return after.get(name, 0) - before.get(name, 0)


def median(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def ratio(numerator, denominator):
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def pairRun(pair, runner, scenario, rate, count):
    """One fixed-rate run against a fresh, ready pair: CPU per operation of the primary and
    of the backup, and what the replication counters say about it. The counters are read over
    D-Bus before the CPU readings and after them, so that D-Bus work is not counted."""
    if not pair.start():
        why = pair.why
        pair.stop()
        return {"error": f"the pair did not start: {why}"}
    try:
        before = (pair.counters("a"), pair.counters("b"))
        linkBefore = pair.linkBytesSent()
        ticks = (procs.cpuTicks(pair.primary.pid), procs.cpuTicks(pair.backup.pid))
        result = runner.run(scenario, pair.port, rate, count)
        ticksAfter = (procs.cpuTicks(pair.primary.pid), procs.cpuTicks(pair.backup.pid))
        alive = pair.primary.alive() and pair.backup.alive()
        linkAfter = pair.linkBytesSent()
        # The backup should already hold everything (REGISTER: each 200 waited for its ack;
        # calls: applied within a round trip); the wait only bounds a lagging one.
        after, caughtUp = pair.waitFor(
            lambda primary, backup: backup.get("replication.applied_seq", -1)
            >= primary.get("replication.head", 0), timeout=5.0)
        state = pair.describe() if not caughtUp else ""
        tails = pair.logTails(8)
    finally:
        pair.stop()
    ops = goodOperations(result)
    primaryBefore, backupBefore = before
    primaryAfter, backupAfter = after
    passed, why = search.verdict(result, 0.001, 0.9)
    run = {
        "rate": rate, "count": count, "ok": ops, "passed": passed, "verdict": why,
        "sippCpu": result.clientLoad, "alive": alive,
        "primaryUs": procs.microsPerOp(ticks[0], ticksAfter[0], ops),
        "backupUs": procs.microsPerOp(ticks[1], ticksAfter[1], ops),
        "published": delta(primaryBefore, primaryAfter, "replication.published"),
        "head": primaryAfter.get("replication.head", 0),
        "applied": backupAfter.get("replication.applied_seq", 0),
        "recordsApplied": delta(backupBefore, backupAfter, "replication.records_applied"),
        "recordsSent": delta(primaryBefore, primaryAfter, "replication.records_sent"),
        "syncWaits": delta(primaryBefore, primaryAfter, "replication.sync_waits"),
        "syncAcked": delta(primaryBefore, primaryAfter, "replication.sync_acked"),
        "unsynced": delta(primaryBefore, primaryAfter, "replication.unsynced_answers"),
        "degraded": delta(primaryBefore, primaryAfter, "replication.degraded"),
        "lagP50Us": primaryAfter.get("replication.lag_p50_us"),
        "lagP99Us": primaryAfter.get("replication.lag_p99_us"),
        "lagSamples": primaryAfter.get("replication.lag_samples"),
        "callReplicas": backupAfter.get("replication.call_replicas"),
        "frameBytesPerOp": ratio(delta(primaryBefore, primaryAfter, "replication.bytes_out"),
                                 ops),
        "recordBytesPerOp": ratio(delta(primaryBefore, primaryAfter,
                                        "replication.published_bytes"), ops),
        "tlsBytesPerOp": (ratio(linkAfter - linkBefore, ops)
                          if None not in (linkBefore, linkAfter) else None),
        "caughtUp": caughtUp, "state": state,
        "noCounters": [name for name, seen in (("primary", primaryBefore),
                                               ("backup", backupBefore),
                                               ("primary", primaryAfter),
                                               ("backup", backupAfter)) if not seen],
        "primaryLog": tails.get("a", ""), "backupLog": tails.get("b", ""),
    }
    run["valid"] = validity(run)
    return run


def validity(run):
    """"" when the run measured synchronous replication, else why not: a REGISTER answered
    without the backup's ack (degraded), records the backup never applied, a sipd that
    exited."""
    problems = []
    if not run.get("alive", True):
        problems.append("a sipd exited")
    if run.get("noCounters"):
        problems.append("no D-Bus Counters from the " + " and the ".join(
            sorted(set(run["noCounters"]))) + " (busctl failed or timed out)")
    if run.get("unsynced"):
        problems.append(f"{run['unsynced']:,} answers without the backup's ack "
                        f"(degraded {run.get('degraded', 0)}x)")
    if run.get("published") and run.get("applied", 0) < run.get("head", 0):
        problems.append(f"the backup applied {run.get('recordsApplied', 0):,} of "
                        f"{run['published']:,} records (applied seq {run.get('applied', 0):,}, "
                        f"primary head {run.get('head', 0):,}; records sent "
                        f"{run.get('recordsSent', 0):,})")
    return "; ".join(problems)


def kamailioRun(kamailio, runner, scenario, rate, count):
    """The same fixed-rate run against a fresh Kamailio: CPU per operation of its process
    group."""
    if not kamailio.start():
        tail = kamailio.logTail(3).strip()
        kamailio.stop()
        return {"error": f"Kamailio did not start: {tail}"}
    try:
        before = procs.cpuTicks(kamailio.pid, group=True)
        result = runner.run(scenario, kamailio.port, rate, count)
        after = procs.cpuTicks(kamailio.pid, group=True)
    finally:
        kamailio.stop()
    ops = goodOperations(result)
    passed, why = search.verdict(result, 0.001, 0.9)
    return {"rate": rate, "count": count, "ok": ops, "passed": passed, "verdict": why,
            "sippCpu": result.clientLoad, "us": procs.microsPerOp(before, after, ops)}


def compareRuns(pairTrial, kamailioTrial, repeats, log=print):
    """Alternates `repeats` pair runs and Kamailio runs (pairTrial None: Kamailio only);
    returns the line's result (see summarize)."""
    pairRuns, kamailioRuns = [], []
    for repeat in range(repeats):
        if pairTrial:
            run = pairTrial()
            pairRuns.append(run)
            log("  sipd pair: " + describeRun(run, repeat))
        run = kamailioTrial()
        kamailioRuns.append(run)
        log("  Kamailio:  " + describeRun(run, repeat))
    return summarize(pairRuns, kamailioRuns)


def describeRun(run, repeat):
    if "error" in run:
        return f"#{repeat + 1}: {run['error']}"
    text = (f"#{repeat + 1}: {run['rate']:,}/s x {run['count']:,} -> {run['ok']:,} ok, "
            f"SIPp CPU {run['sippCpu']:.0%}, {'PASS' if run['passed'] else 'FAIL'} "
            f"({run['verdict']}); ")
    if "us" in run:
        return text + f"{_us(run['us'])} µs/op"
    text += f"primary {_us(run['primaryUs'])} µs/op, backup {_us(run['backupUs'])} µs/op"
    if run.get("valid"):
        text += f"; NOT SYNCHRONOUS: {run['valid']}"
        if run.get("state"):
            text += f"; {run['state']}"
    return text


def summarize(pairRuns, kamailioRuns):
    """Medians over the runs that passed and (sipd) replicated synchronously; when none did,
    over all runs, and the line says so."""
    good = [run for run in pairRuns if "error" not in run]
    valid = [run for run in good if run["passed"] and not run["valid"]]
    used = valid or good
    kamailioGood = [run for run in kamailioRuns if "error" not in run]
    kamailioUsed = [run for run in kamailioGood if run["passed"]] or kamailioGood
    out = {"pairRuns": pairRuns, "kamailioRuns": kamailioRuns,
           "validRuns": len(valid), "pairMeasured": len(good),
           "kamailioUs": median(run["us"] for run in kamailioUsed),
           "kamailioPassed": sum(run["passed"] for run in kamailioGood)}
    for key in ("primaryUs", "backupUs", "lagP50Us", "lagP99Us", "frameBytesPerOp",
                "recordBytesPerOp", "tlsBytesPerOp"):
        out[key] = median(run.get(key) for run in used)
    if out["primaryUs"] is not None and out["backupUs"] is not None:
        out["sumUs"] = out["primaryUs"] + out["backupUs"]
    else:
        out["sumUs"] = None
    for key in ("unsynced", "syncWaits", "syncAcked", "published", "recordsApplied", "ok",
                "count"):
        out[key] = sum(run.get(key, 0) for run in good)
    out["problems"] = sorted({run["valid"] for run in good if run["valid"]}
                             | {run["error"] for run in pairRuns if "error" in run}
                             | {f"Kamailio: {run['error']}" for run in kamailioRuns
                                if "error" in run}
                             | {f"sipd run failed: {run['verdict']}" for run in good
                                if not run["passed"]}
                             | {f"Kamailio run failed: {run['verdict']}" for run in kamailioGood
                                if not run["passed"]})
    return out


def backupBindingMemory(pair, runner, scenario, bindings, rate):
    """The backup's VmRSS before and after `bindings` unique REGISTERs to the primary, read
    once the backup holds as many bindings as the primary (at most 60 s after SIPp ended, 5 s
    without progress);
    scaled to 100,000 with the backup's own count (registrar.bindings)."""
    if not pair.start():
        why = pair.why
        pair.stop()
        return {"text": f"the pair did not start: {why}"}
    try:
        before = procs.vmRssKiB(pair.backup.pid)
        result = runner.run(scenario, pair.port, rate, bindings)
        (primary, backup), held = pair.waitFor(
            lambda p, b: b.get("registrar.bindings", -1) >= p.get("registrar.bindings", 0),
            timeout=60.0, interval=0.5,
            progress=lambda p, b: b.get("registrar.bindings"), stallSeconds=5.0)
        after = procs.vmRssKiB(pair.backup.pid)
    finally:
        pair.stop()
    made = primary.get("registrar.bindings", result.successful)
    return memorySummary(before, after, backup.get("registrar.bindings", 0), made,
                         100000, "bindings",
                         f"{result.successful:,} REGISTERs answered 200 at {rate:,}/s; "
                         f"unsynced answers {primary.get('replication.unsynced_answers', 0):,}",
                         caughtUp=held)


def backupCallMemory(pair, runner, scenario, calls, rate):
    """The backup's VmRSS before the first call and once `calls` calls are up at the primary
    (SIPp's pause gauge, lib/callmemory.py) and the backup's call replicas stopped growing
    (2 s unchanged, or equal to the calls up); scaled to 1,000 with the backup's own count
    (replication.call_replicas)."""
    if not pair.start():
        why = pair.why
        pair.stop()
        return {"text": f"the pair did not start: {why}"}
    watch = callmemory.EstablishedWatch(calls, settleSeconds=0)
    seen = {"replicas": 0, "changedAt": None, "before": procs.vmRssKiB(pair.backup.pid)}

    def until(counts):
        if watch.upAt is None:
            watch.update(counts)
            if watch.upAt is None:
                return not (pair.primary.alive() and pair.backup.alive())
        replicas = pair.counters("b").get("replication.call_replicas", 0)
        now = time.monotonic()
        if replicas != seen["replicas"] or seen["changedAt"] is None:
            seen["replicas"], seen["changedAt"] = replicas, now
        if replicas >= watch.established or now - seen["changedAt"] >= 2.0:
            seen["after"] = procs.vmRssKiB(pair.backup.pid)
            seen["primaryCalls"] = pair.counters("a").get("calls.active", 0)
            return True
        return not (pair.primary.alive() and pair.backup.alive())

    try:
        runner.run(scenario, pair.port, rate, calls, until=until)
    finally:
        pair.stop()
    if "after" not in seen:
        return {"text": f"{watch.established:,} of {calls:,} calls up; not measured (SIPp "
                        f"ended first or a sipd exited)"}
    return memorySummary(seen["before"], seen["after"], seen["replicas"], watch.established,
                         1000, "calls",
                         f"{watch.established:,} of {calls:,} calls up at the primary "
                         f"(calls.active {seen.get('primaryCalls', 0):,}), placed at {rate:,}/s",
                         caughtUp=seen["replicas"] >= watch.established)


def memorySummary(beforeKiB, afterKiB, held, made, per, what, detail, caughtUp=True):
    """VmRSS growth of the backup per `per` items it holds (`held`, its own count), of `made`
    at the primary."""
    if beforeKiB is None or afterKiB is None:
        return {"text": "the backup exited"}
    if not held:
        return {"held": 0, "made": made, "beforeKiB": beforeKiB, "afterKiB": afterKiB,
                "text": f"not measured: the backup holds 0 of the primary's {made:,} {what} "
                        f"(VmRSS {beforeKiB / 1024:.1f} -> {afterKiB / 1024:.1f} MiB; "
                        f"{detail})"}
    perKiB = (afterKiB - beforeKiB) * per / held
    behind = "" if caughtUp else f", the backup BEHIND the primary's {made:,}"
    return {"held": held, "made": made, "beforeKiB": beforeKiB, "afterKiB": afterKiB,
            "perKiB": perKiB,
            "text": f"{perKiB / 1024:.2f} MiB (backup VmRSS {beforeKiB / 1024:.1f} -> "
                    f"{afterKiB / 1024:.1f} MiB holding {held:,} {what}{behind}; {detail})"}


def _us(value):
    return "n/a" if value is None else f"{value:.1f}"
