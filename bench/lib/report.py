"""The table bench/run.sh prints: one row per measured line, then what limited each search."""

LINES = ("options", "register", "persistent", "memory", "calls", "callmemory")
GOALS = {"persistent": 10, "calls": 1.0}  # sipd/Kamailio ratios the issues ask for


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
    for row in rows:
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
    for key in LINES:
        if results.get(key + "-error"):
            out.append(f"line {key}: the bench itself failed (traceback on stderr)")
    out.append("")
    out.append("What bounded each result (the lowest failing rate above the best pass; "
               "'>=' in the table: SIPp was the limit):")
    out.extend(notes)
    return "\n".join(out)
