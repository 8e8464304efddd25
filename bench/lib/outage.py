"""What one fault cost the client, from the prober's records (bench/lib/prober.py), and the
statistics over many faults. Pure functions: bench/tests/test_failover.py checks them.

A record is (seq, sentNs, answeredNs or None, node). The prober gives its two kinds of probe
alternate numbers from one counter (`step` = 2), so between two answered probes of one kind
(seq p < n) exactly (n - p) / step - 1 probes of that kind were sent and not answered, whether
their "lost" line is written yet or not (it is written only when the probe expires)."""

import dataclasses
import statistics

STEP = 2
LEAD_NS = 5_000_000  # a probe sent this long before the fault may already have been lost by it
TAIL_NS = 50_000_000  # silent this long at the window's end: not (or no longer) recovered


@dataclasses.dataclass
class Outage:
    recovered: bool
    gapMs: float  # the last answer before the outage -> the first answer after it
    recoveryMs: float  # the fault -> that first answer (None: no answer before the window ended)
    lost: int  # probes of the outage that got no answer
    lostAfter: int  # probes lost after the first answer, within the window (flapping, ARP)
    before: str  # the node that answered before (X-Sipha-Serving; "-" when unnamed)
    after: str
    answers: int  # answered probes in the window

    def describe(self):
        if not self.recovered:
            return f"no answer after the fault for {self.gapMs:.0f} ms ({self.lost} lost)"
        text = (f"gap {self.gapMs:.1f} ms, fault->answer {self.recoveryMs:.1f} ms, "
                f"{self.lost} lost, {self.before}->{self.after}")
        if self.lostAfter:
            text += f", {self.lostAfter} more lost after the first answer"
        return text


def analyse(records, faultNs, endNs, step=STEP, leadNs=LEAD_NS):
    """The outage of the fault at faultNs, from the records of probes sent up to endNs: the
    longest silence between two answered probes (consecutive in send order) of which the later
    was sent after the fault (minus leadNs). No answered probe sent after the fault: not
    recovered, the silence runs from the last answer to endNs."""
    answered = sorted((r for r in records if r[2] is not None and r[1] <= endNs),
                      key=lambda r: r[0])
    before = [r for r in answered if r[1] < faultNs - leadNs]
    if not before:
        raise ValueError("no answered probe before the fault: nothing to measure from")
    pairs = [(p, n) for p, n in zip(answered, answered[1:]) if n[1] >= faultNs - leadNs]
    sentAfter = [r for r in records if r[1] >= faultNs - leadNs and r[1] <= endNs]
    if not any(n[1] >= faultNs for _, n in pairs):  # no probe sent after the fault answered
        last = answered[-1]
        lost = len([r for r in sentAfter if r[0] > last[0]])
        return Outage(False, (endNs - last[2]) / 1e6, None, lost, 0, last[3], "", 0)
    worst = max(pairs, key=lambda pair: pair[1][2] - pair[0][2])
    p, n = worst
    last = answered[-1]
    tail = endNs - last[2]
    if tail > max(n[2] - p[2], TAIL_NS):  # answered for a moment, then silent to the end
        lost = len([r for r in sentAfter if r[0] > last[0]])
        return Outage(False, tail / 1e6, None, lost, 0, last[3], "", 0)
    lost = (n[0] - p[0]) // step - 1
    if lost > 0:
        recovery = (n[2] - faultNs) / 1e6
    else:  # nothing lost: the first answer to a probe sent after the fault
        first = min((pair[1] for pair in pairs if pair[1][1] >= faultNs), default=n,
                    key=lambda r: r[0])
        recovery = (first[2] - faultNs) / 1e6
    lostAfter = sum((b[0] - a[0]) // step - 1 for a, b in pairs if a[0] >= n[0])
    return Outage(True, (n[2] - p[2]) / 1e6, recovery, lost, lostAfter, p[3], n[3],
                  len([r for r in answered if r[1] >= faultNs - leadNs]))


def steadySince(records, sinceNs, probes, step=STEP):
    """True when the newest `probes` probes sent after sinceNs were all answered (seq numbers
    without a hole): the service is back and stays."""
    seqs = sorted(r[0] for r in records if r[2] is not None and r[1] >= sinceNs)
    if len(seqs) < probes:
        return False
    tail = seqs[-probes:]
    return tail[-1] - tail[0] == (probes - 1) * step


def summary(values):
    """{"n", "median", "max", "min"} of the numbers given (None values left out)."""
    values = [v for v in values if v is not None]
    if not values:
        return {"n": 0, "median": None, "max": None, "min": None}
    return {"n": len(values), "median": statistics.median(values), "max": max(values),
            "min": min(values)}


def formatMs(value):
    if value is None:
        return "n/a"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    if value >= 100:
        return f"{value:.0f} ms"
    return f"{value:.1f} ms"


def ratio(numerator, denominator):
    """numerator/denominator as text ('n/a' when either is missing or 0)."""
    if numerator is None or not denominator:
        return "n/a"
    value = numerator / denominator
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"
