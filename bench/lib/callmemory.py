"""Line 6: sipd's resident memory per 1,000 established calls.

A fresh sipd routes the calls through its Trunk DN to a SIPp UAS; the SIPp UAC places N calls
and pauses after each ACK (longer than placing all of them and settling takes), so N calls are
up at once. VmRSS is read before the first call and once the calls are up; then the trial is
cut short (SIPp and sipd stopped). "Up" is SIPp's own gauge: the calls sitting in the pause
after their ACK (-trace_counts "Pause_Sessions").

Two phases, each on a fresh sipd:
* calls: sip-timer-t1 = 10 ms, read 64 x T1 + 2 s after the calls are up, so the INVITE
  transactions (RFC 6026 Timers L and M = 64 x T1) ended long before and only the calls
  remain. (The heap keeps memory freed, so at the default T1 a later reading would still
  show the transactions.)
* with transactions: the default T1 (500 ms), read as soon as the calls are up: the calls
  plus the INVITE server and client transactions each keeps for 32 s, what a burst of N new
  calls costs.
"""

import time

import procs


class EstablishedWatch:
    """Reads the UAC's -trace_counts rows ({"INVITE_Sent": n, "Pause_Sessions": n, ...}) and
    says when the calls are up and when they have settled. update() returns "up" once (all
    `calls` in the pause after their ACK, or every INVITE sent and that number unchanged for
    `stallSeconds`: some calls failed, measure the ones that are up), then "settled" once,
    `settleSeconds` after "up" (at once when 0); otherwise None. `established` is the number
    of calls up at the last update."""

    def __init__(self, calls, settleSeconds, stallSeconds=10.0, clock=time.monotonic):
        self.calls_, self.settle_, self.stall_, self.clock_ = (calls, settleSeconds,
                                                               stallSeconds, clock)
        self.established = 0
        self.changedAt_ = clock()
        self.upAt = None
        self.settled = False

    def update(self, counts):
        now = self.clock_()
        established = counts.get("Pause_Sessions", 0)
        if established != self.established:
            self.established, self.changedAt_ = established, now
        if self.upAt is None:
            allSent = counts.get("INVITE_Sent", 0) >= self.calls_
            if established >= self.calls_ or (allSent and now - self.changedAt_ >= self.stall_):
                self.upAt = now
                return "up"
            return None
        if not self.settled and now >= self.upAt + self.settle_:
            self.settled = True
            return "settled"
        return None


def measure(sipd, runner, scenario, calls, rate, settleSeconds):
    """One phase: VmRSS of a fresh sipd before the calls and `settleSeconds` after `calls`
    calls are up (at `rate`/s); returns the figures and a "text"."""
    if not sipd.start():
        sipd.stop()
        return {"text": "sipd did not start: " + sipd.logTail(3).strip()}
    watch = EstablishedWatch(calls, settleSeconds)
    rss = {"before": procs.vmRssKiB(sipd.pid)}

    def until(counts):
        event = watch.update(counts)
        if event == "up" and settleSeconds <= 0:
            event = watch.update(counts)  # "settled" at once
        if event == "settled":
            rss["settled"] = procs.vmRssKiB(sipd.pid)
        return event == "settled" or not sipd.alive()

    try:
        result = runner.run(scenario, sipd.port, rate, calls, until=until)
        alive = sipd.alive()
    finally:
        sipd.stop()
    return summarize(rss, watch.established, calls, rate, alive, result.note)


def summarize(rss, established, calls, rate, alive, note=""):
    """A phase's figures from its VmRSS readings in KiB ({"before", "settled"})."""
    before, settled = rss.get("before"), rss.get("settled")
    if not alive:
        return {"text": f"sipd exited with {established:,} calls up"}
    if not established or None in (before, settled):
        return {"text": f"{established:,} of {calls:,} calls up, not measured "
                        f"({note or 'SIPp ended first'})"}
    perThousand = (settled - before) * 1000 / established
    return {"beforeKiB": before, "afterKiB": settled, "calls": established, "asked": calls,
            "rate": rate, "perThousandKiB": perThousand,
            "text": f"{perThousand / 1024:.2f} MiB (VmRSS {before / 1024:.1f} -> "
                    f"{settled / 1024:.1f} MiB with {established:,} of {calls:,} calls up, "
                    f"placed at {rate:,}/s)"}


def combine(calls, withTransactions):
    """Line 6's result from its two phases (see the module's docstring)."""
    return {"calls": calls, "withTransactions": withTransactions,
            "text": f"{calls['text']} [sip-timer-t1 = 10 ms, read 2.6 s after: the calls "
                    f"alone]; with their INVITE transactions [default T1, RFC 6026 Timers L/M "
                    f"keep them 32 s]: {withTransactions['text']}"}
