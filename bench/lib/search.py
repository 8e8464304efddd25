"""Finds the highest call rate a server sustains: a doubling ramp, then bisection.

A trial passes when fewer than `maxFailureRatio` of its calls failed AND SIPp sent AND the server
answered at `minAchievedRatio` of the target rate or more.
"""

import dataclasses
import sys
import time


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
    client = ""
    if result.clientBound:
        client = (f"; client-bound: SIPp's socket dropped {result.clientDrops} answers, "
                  f"SIPp CPU {result.clientLoad:.0%}, SIPp sent {result.offered:.0f}/s")
    if result.failureRatio >= maxFailureRatio:
        peer = (f", {result.peerMissing} ended at the UAC but not at the UAS"
                if result.peerMissing else "")
        return False, (f"{result.failed}/{result.count} failed: {result.noAnswer} unanswered "
                       f"(server socket dropped {result.serverDrops}), {result.otherAnswer} "
                       f"not 200{peer}{client}")
    if result.offered < minAchievedRatio * result.rate:
        return False, (f"SIPp sent only {result.offered:.0f}/s, SIPp CPU "
                       f"{result.clientLoad:.0%}" + ("" if result.clientBound else
                                                     " (the server's socket dropped too)"))
    if result.achieved < minAchievedRatio * result.rate:
        return False, f"only {result.achieved:.0f}/s answered: server fell behind{client}"
    return True, "ok"


class RateSearch:
    """One server's search, advanced one trial at a time by step(), so that the sipd and
    Kamailio searches can alternate and see the same background load on the shared CPUs.

    trial(rate) -> TrialResult. abort() returns a reason to stop (e.g. the server died)."""

    def __init__(self, trial, label, start, minRate=50, maxRate=200000, precision=0.08,
                 maxTrials=11, maxFailureRatio=0.001, minAchievedRatio=0.9, abort=lambda: ""):
        self.trial_, self.label_, self.abort_ = trial, label, abort
        self.minRate_, self.maxRate_, self.precision_ = minRate, maxRate, precision
        self.maxTrials_ = maxTrials
        self.maxFailureRatio_, self.minAchievedRatio_ = maxFailureRatio, minAchievedRatio
        self.result = SearchResult()
        self.low_, self.high_ = None, None  # highest passing rate, lowest failing rate
        self.rate_ = _nice(start)
        self.retried_ = False
        self.done = False

    def step(self):
        """Runs one trial and chooses the next rate (or finishes)."""
        search = self.result
        rate = self.rate_
        result = self.trial_(rate)
        passed, reason = verdict(result, self.maxFailureRatio_, self.minAchievedRatio_)
        search.trials.append((result, passed, reason))
        print(f"  {self.label_}: {rate:>7}/s x {result.count:<7} -> {result.successful:>7} ok, "
              f"{result.achieved:7.0f}/s answered, SIPp CPU {result.clientLoad:4.0%}, "
              f"{'PASS' if passed else 'FAIL'} ({reason})", file=sys.stderr, flush=True)
        stop = self.abort_()
        if stop:
            return self.finish_(stop)
        # The CPUs are shared (another job may take the server's or SIPp's CPU for a moment):
        # a failure gets one second chance at the same rate before the search believes it.
        if not passed and not self.retried_:
            self.retried_ = True
            return self.budget_()
        self.retried_ = False
        if passed:
            self.low_ = rate
            if search.best is None or rate > search.best.rate:
                search.best = result
        else:
            self.high_ = rate if self.high_ is None else min(self.high_, rate)
        if self.low_ is None:
            if rate <= self.minRate_:
                return self.finish_(f"fails even at {rate}/s")
            self.rate_ = _nice(max(rate // 2, self.minRate_))
        elif self.high_ is None:
            if rate >= self.maxRate_:
                return self.finish_(f"passes at the bench's maximum {self.maxRate_}/s")
            self.rate_ = _nice(min(rate * 2, self.maxRate_))
        else:
            nextRate = _nice((self.low_ + self.high_) // 2)
            if self.high_ <= self.low_ * (1 + self.precision_) or nextRate in (self.low_,
                                                                                 self.high_):
                return self.finish_("converged")
            self.rate_ = nextRate
        return self.budget_()

    def budget_(self):
        if len(self.result.trials) >= self.maxTrials_:
            self.finish_("trial budget used")

    def finish_(self, reason):
        self.result.stopReason = reason
        self.done = True


def runInterleaved(searches, deadline=None):
    """Steps the searches in turn until all are done or time.monotonic() passes `deadline`
    (the whole bench's time budget); returns their SearchResults."""
    while not all(search.done for search in searches):
        for search in searches:
            if search.done:
                continue
            if deadline is not None and time.monotonic() >= deadline:
                search.finish_("the bench's time budget is used up")
                continue
            search.step()
    return [search.result for search in searches]


def _nice(rate):
    """Rounds to two significant digits so the table reads easily."""
    rate = max(int(rate), 1)
    magnitude = 10 ** max(len(str(rate)) - 2, 0)
    return max(round(rate / magnitude) * magnitude, 1)
