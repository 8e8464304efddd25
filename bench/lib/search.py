"""Finds the highest call rate a server sustains: a doubling ramp, then bisection.

A trial passes when fewer than `maxFailureRatio` of its calls failed AND the calls completed at
`minAchievedRatio` of the target rate or more (else answers queued up: the server fell behind).
"""

import dataclasses
import sys


@dataclasses.dataclass
class SearchResult:
    best: object = None  # the passing TrialResult with the highest target rate
    trials: list = dataclasses.field(default_factory=list)  # (TrialResult, passed, reason)
    stopReason: str = ""

    @property
    def bestRate(self):
        return self.best.rate if self.best else 0


def verdict(result, maxFailureRatio, minAchievedRatio):
    """(passed, reason) for one trial."""
    clientBound = result.clientLoad >= 0.85
    client = f", SIPp CPU {result.clientLoad:.0%}: client-bound" if clientBound else ""
    if result.failureRatio >= maxFailureRatio:
        return False, f"{result.failed}/{result.count} failed{client}"
    if result.achieved < minAchievedRatio * result.rate:
        return False, (f"only {result.achieved:.0f}/s completed"
                       + (client if clientBound else ": server fell behind"))
    return True, "ok"


def findMaxRate(trial, label, start, minRate=50, maxRate=200000, precision=0.08, maxTrials=11,
                maxFailureRatio=0.001, minAchievedRatio=0.9, abort=lambda: ""):
    """trial(rate) -> TrialResult. abort() returns a reason to stop (e.g. the server died)."""
    search = SearchResult()
    low, high = None, None  # highest passing rate, lowest failing rate
    rate = _nice(start)
    while len(search.trials) < maxTrials:
        for attempt in (1, 2):
            result = trial(rate)
            passed, reason = verdict(result, maxFailureRatio, minAchievedRatio)
            search.trials.append((result, passed, reason))
            print(f"  {label}: {rate:>7}/s x {result.count:<7} -> {result.successful:>7} ok, "
                  f"{result.achieved:7.0f}/s done, SIPp CPU {result.clientLoad:4.0%}, "
                  f"{'PASS' if passed else 'FAIL'} ({reason})", file=sys.stderr, flush=True)
            # The CPUs are shared: a marginal failure (< 1% lost) gets one second chance.
            if passed or result.failureRatio >= 0.01 or abort() or attempt == 2:
                break
        stop = abort()
        if stop:
            search.stopReason = stop
            break
        if passed:
            low = rate
            if search.best is None or rate > search.best.rate:
                search.best = result
        else:
            high = rate if high is None else min(high, rate)
        if low is None:
            if rate <= minRate:
                search.stopReason = f"fails even at {rate}/s"
                break
            rate = _nice(max(rate // 2, minRate))
        elif high is None:
            if rate >= maxRate:
                search.stopReason = f"passes at the bench's maximum {maxRate}/s"
                break
            rate = _nice(min(rate * 2, maxRate))
        else:
            if high <= low * (1 + precision):
                search.stopReason = "converged"
                break
            rate = _nice((low + high) // 2)
            if rate in (low, high):
                search.stopReason = "converged"
                break
    else:
        search.stopReason = "trial budget used"
    return search


def _nice(rate):
    """Rounds to two significant digits so the table reads easily."""
    rate = max(int(rate), 1)
    magnitude = 10 ** max(len(str(rate)) - 2, 0)
    return max(round(rate / magnitude) * magnitude, 1)
