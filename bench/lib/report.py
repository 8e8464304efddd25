"""The table bench/run.sh prints: one row per measured line, then what limited each search."""

LINES = ("options", "register", "persistent", "memory", "calls", "callmemory",
         "replication-register", "replication-persistent", "replication-calls")
GOALS = {"persistent": 10, "calls": 1.0}  # sipd/Kamailio ratios the issues ask for
# Replication lines (issue 9): the primary's CPU per operation over Kamailio's, at most.
REPLICATION_ROWS = (
    ("replication-register", "7 REGISTER, unique AORs, in memory, sync replication", 1.0,
     "binding"),
    ("replication-persistent", "8 REGISTER, unique AORs, persistent, sync replication", None,
     "binding"),
    ("replication-calls", "9 calls, INVITE..BYE, call replication", 1.0, "call"),
)


def _limiting(search):
    """The lowest failing trial above the best pass, or None."""
    above = [item for item in search.trials
             if not item[1] and (search.best is None or item[0].rate > search.best.rate)]
    return min(above, key=lambda item: item[0].rate) if above else None


def _rate(search):
    if search is None:
        return "n/a"
    if search.best is None:
        return "0"
    # ">=": the next rate up failed because SIPp could not keep up, not the server.
    return f"{'>=' if _clientBound(search) else ''}{search.bestRate:,}"


def _limit(search):
    """Why the search stopped above its best rate: the first failing trial above it."""
    if search is None:
        return "not run"
    limiting = _limiting(search)
    if limiting is not None:
        result, _, reason = limiting
        text = f"{result.rate:,}/s failed: {reason}"
        if result.note:
            text += f" [{result.note}]"
    else:
        text = "no failing rate found"
    if search.best is not None:
        text += f"; SIPp CPU at the best rate {search.best.clientLoad:.0%}"
    if search.stopReason and search.stopReason != "converged":
        text += f"; stopped: {search.stopReason}"
    return text


def _clientBound(search):
    limiting = _limiting(search)
    return limiting is not None and limiting[0].clientBound


def _ratio(sipd, kamailio):
    """sipd/Kamailio; '>=' when only sipd's figure is a lower bound, '<=' when only
    Kamailio's is, '~' when both are."""
    if sipd is None or kamailio is None or not kamailio.bestRate:
        return "n/a"
    bound = {(True, False): ">=", (False, True): "<=", (True, True): "~"}.get(
        (_clientBound(sipd), _clientBound(kamailio)), "")
    return f"{bound}{sipd.bestRate / kamailio.bestRate:.2f}"


def formatTable(results, header):
    """results: dict filled by bench.py (see there); header: lines printed first."""
    rows = [("line", "sipd", "Kamailio", "sipd/Kamailio")]
    notes = []
    for key, title in (("options", "1 OPTIONS answered /s"),
                       ("register", "2 REGISTER /s, unique AORs, in memory"),
                       ("persistent", "3 REGISTER /s, unique AORs, persistent"),
                       ("calls", "5 calls /s, INVITE..BYE")):
        line = results.get(key)
        if line is None:
            continue
        ratio = _ratio(line["sipd"], line["kamailio"])
        goal = GOALS.get(key)
        if goal and ratio != "n/a":
            met = float(ratio.lstrip(">=<~")) >= goal and not ratio.startswith(("<", "~"))
            ratio += f"  (goal >= {goal:g}: " + ("met" if met else "not shown") + ")"
        rows.append((title + line.get("suffix", ""), _rate(line["sipd"]),
                     _rate(line["kamailio"]), ratio))
        for side in ("sipd", "kamailio"):
            notes.append(f"  {key} {side}: {_limit(line[side])}")
    width = [max(len(row[i]) for row in rows) for i in range(4)]
    out = list(header)
    out.append("")
    for row in rows if len(rows) > 1 else []:  # no search line ran: no table
        out.append(f"{row[0]:<{width[0]}}  {row[1]:>{width[1]}}  {row[2]:>{width[2]}}  {row[3]}")
    load = results.get("load")
    if load:
        out.append(f"  sipd config load, {load['dns']:,} DNs, exec -> READY=1: " + load["text"])
    memory = results.get("memory")
    if memory:
        out.append("4 sipd VmRSS per 100,000 bindings: " + memory["text"])
    callMemory = results.get("callmemory")
    if callMemory:
        out.append("6 sipd VmRSS per 1,000 established calls: " + callMemory["text"])
    replicationRows = formatReplication(results)
    out.extend(replicationRows[1:] if replicationRows and out[-1] == "" else replicationRows)
    for key in LINES:
        if results.get(key + "-error"):
            out.append(f"line {key}: the bench itself failed (traceback on stderr)")
    if notes:
        out.append("")
        out.append("What bounded each result (the lowest failing rate above the best pass; "
                   "'>=' in the table: SIPp was the limit):")
        out.extend(notes)
    return "\n".join(out)


def _number(value, digits=1):
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _over(numerator, denominator):
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def formatReplication(results):
    """Lines 7-9: CPU per operation at a fixed rate of the primary and the backup against
    Kamailio's (median over the repeats), the replication figures, the backup's memory."""
    present = [row for row in REPLICATION_ROWS if results.get(row[0])]
    if not present:
        return []
    first = results[present[0][0]]
    out = ["", f"Replication at fixed rates: CPU per operation = utime + stime (/proc/PID/stat) "
               f"over one SIPp run / operations that succeeded, median of "
               f"{first.get('repeats', 1)} run(s) of {first.get('seconds', 0):g} s each; "
               f"primary on CPU 0, backup on CPU 1 (with SIPp), Kamailio on CPU 0 (all its "
               f"processes counted)"]
    rows = [("line", "rate", "primary", "backup", "sum", "Kamailio", "primary/K", "sum/K"),
            ("", "", "µs/op", "µs/op", "µs/op", "µs/op", "", "")]
    notes = []
    for key, title, goal, unit in present:
        line = results[key]
        primaryRatio = _over(line.get("primaryUs"), line.get("kamailioUs"))
        sumRatio = _over(line.get("sumUs"), line.get("kamailioUs"))
        tail = line.get("anchor", "")
        if goal is not None and primaryRatio is not None:
            met = primaryRatio <= goal and not line.get("problems")
            tail = (f"(goal primary/K <= {goal:g}: "
                    + ("met" if met else "not met" if primaryRatio > goal else "not shown")
                    + ")" + (" " + tail if tail else ""))
        rows.append((title, f"{line.get('rate', 0):,}/s", _number(line.get("primaryUs")),
                     _number(line.get("backupUs")), _number(line.get("sumUs")),
                     _number(line.get("kamailioUs")), _number(primaryRatio, 2),
                     _number(sumRatio, 2) + ("  " + tail if tail else "")))
        label = title.split(" ", 1)[0]
        if line.get("pairMeasured"):
            notes.append(
                f"  {label} replication: lag p50 {_number(line.get('lagP50Us'), 0)} µs, p99 "
                f"{_number(line.get('lagP99Us'), 0)} µs; per {unit} on the HA link "
                f"{_number(line.get('frameBytesPerOp'), 0)} B of frames "
                f"(replication.bytes_out), {_number(line.get('tlsBytesPerOp'), 0)} B of TLS "
                f"(TCP payload), records {_number(line.get('recordBytesPerOp'), 0)} B; "
                f"{line.get('syncWaits', 0):,} sync waits, {line.get('syncAcked', 0):,} acked, "
                f"unsynced answers {line.get('unsynced', 0):,}; backup applied "
                f"{line.get('recordsApplied', 0):,} of {line.get('published', 0):,} records "
                f"({line.get('validRuns', 0)} of {line.get('pairMeasured', 0)} runs valid)")
        memory = line.get("memory")
        if memory:
            scale = "100,000 bindings" if unit == "binding" else "1,000 calls"
            notes.append(f"  {label} backup VmRSS per {scale}: {memory['text']}")
        for problem in line.get("problems", []):
            notes.append(f"  {label} NOT VALID: {problem}")
    width = [max(len(row[i]) for row in rows) for i in range(7)]
    for row in rows:
        out.append(f"{row[0]:<{width[0]}}  " + "  ".join(
            f"{cell:>{width[i + 1]}}" for i, cell in enumerate(row[1:7])) + f"  {row[7]}")
    out.extend(notes)
    return out
