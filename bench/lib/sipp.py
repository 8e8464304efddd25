"""One bounded SIPp trial and what its -trace_stat CSV says about it."""

import dataclasses
import os

import procs

SIPP = os.environ.get("BENCH_SIPP", "sipp")


@dataclasses.dataclass
class TrialResult:
    rate: int  # target calls per second (-r)
    count: int  # calls asked for (-m)
    successful: int = 0
    created: int = 0  # calls SIPp started
    noAnswer: int = 0  # calls failed by the receive timeout
    otherAnswer: int = 0  # calls failed by an answer other than 200 (e.g. 503)
    failed: int = 0  # count - successful: failures, timeouts and calls never started
    elapsed: float = 0.0  # seconds, SIPp start to its last statistics line
    timedOut: bool = False
    exitCode: int = -1
    note: str = ""
    recvTimeoutS: float = 0.0  # the scenario's recv timeout
    cpuSeconds: float = 0.0  # CPU time SIPp used

    @property
    def clientLoad(self):
        """SIPp's CPU use while it was sending: near 1.0 means the client was the limit."""
        return self.cpuSeconds / self.sendSeconds if self.sendSeconds > 0 else 0.0

    @property
    def sendSeconds(self):
        """Time from SIPp's start to the last answer: when a call failed, SIPp waited one
        receive timeout after the last request before it could stop; that wait is not counted."""
        if self.noAnswer and self.elapsed > self.recvTimeoutS:
            return self.elapsed - self.recvTimeoutS
        return self.elapsed

    @property
    def achieved(self):
        """Calls completed per second, answered or failed, from SIPp's start to the last
        answer: below the target rate when the server fell behind (answers queued up) or when
        SIPp could not send that fast (then clientLoad is near 1)."""
        return self.created / self.sendSeconds if self.sendSeconds > 0 else 0.0

    @property
    def failureRatio(self):
        return self.failed / self.count if self.count else 1.0


@dataclasses.dataclass
class SippRunner:
    workDir: str
    cpu: int = 1
    host: str = "127.0.0.1"
    retransmit: bool = False  # False: -nr, a lost request is a failed call
    injectionFile: str = ""
    keys: dict = dataclasses.field(default_factory=dict)
    recvTimeoutS: float = 4.0  # the longest recv timeout in the scenario
    serial_: int = 0

    def run(self, scenario, port, rate, count):
        """Sends `count` calls at `rate`/s; bounded to count/rate + recvTimeoutS + 10 s."""
        self.serial_ += 1
        stem = os.path.join(self.workDir, f"sipp-{self.serial_:03d}")
        statFile = stem + "-stat.csv"
        duration = count / rate
        argv = ["taskset", "-c", str(self.cpu), SIPP, f"{self.host}:{port}",
                "-sf", scenario, "-i", self.host, "-p", "0",
                "-r", str(rate), "-m", str(count),
                "-l", str(int(rate * (self.recvTimeoutS + 1)) + 100),
                "-buff_size", "4194304", "-nostdin",
                "-trace_stat", "-stf", statFile, "-fd", "1",
                "-trace_screen", "-screen_file", stem + "-screen.txt",
                "-timeout", f"{int(duration + self.recvTimeoutS + 5)}s"]
        if not self.retransmit:
            argv.append("-nr")
        if self.injectionFile:
            argv += ["-inf", self.injectionFile]
        for key, value in self.keys.items():
            argv += ["-key", key, str(value)]
        with open(stem + "-out.txt", "wb") as out:
            code, timedOut, cpuSeconds = procs.run(argv, timeout=duration + self.recvTimeoutS + 10,
                                       stdout=out, stderr=out, cwd=self.workDir)
        result = TrialResult(rate=rate, count=count, timedOut=timedOut, exitCode=code,
                             recvTimeoutS=self.recvTimeoutS, cpuSeconds=cpuSeconds)
        _readStats(statFile, result)
        return result


def _readStats(path, result):
    """Fills successful/failed/elapsed from the last row of SIPp's -trace_stat CSV."""
    try:
        with open(path, encoding="latin-1") as csv:
            rows = [line.rstrip("\n").split(";") for line in csv if line.strip()]
    except OSError:
        rows = []
    if len(rows) < 2:
        result.failed = result.count
        result.note = "no SIPp statistics"
        return
    header, last = rows[0], rows[-1]
    column = {name: i for i, name in enumerate(header)}

    def field(name):
        return last[column[name]] if name in column and column[name] < len(last) else ""

    result.successful = int(field("SuccessfulCall(C)") or 0)
    result.created = int(field("TotalCallCreated") or 0)
    result.noAnswer = int(field("FailedTimeoutOnRecv(C)") or 0)
    result.otherAnswer = int(field("FailedUnexpectedMessage(C)") or 0)
    result.failed = max(result.count - result.successful, 0)
    start = _epoch(field("StartTime"))
    current = _epoch(field("CurrentTime"))
    if start is not None and current is not None:
        result.elapsed = max(current - start, 0.0)


def _epoch(cell):
    """SIPp writes a time as "date<TAB>time<TAB>unix-time"; returns the last part."""
    try:
        return float(cell.split("\t")[-1])
    except ValueError:
        return None
