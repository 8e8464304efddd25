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
    sendSeconds: float = 0.0  # SIPp start to the last call started (0: use elapsed)
    answerSeconds: float = 0.0  # SIPp start to the last 200 received (0: use elapsed)
    timedOut: bool = False
    exitCode: int = -1
    note: str = ""
    recvTimeoutS: float = 0.0  # the scenario's recv timeout
    cpuSeconds: float = 0.0  # CPU time SIPp used
    serverDrops: int = 0  # datagrams the kernel dropped at the server's UDP socket
    clientDrops: int = 0  # ... at SIPp's socket (answers SIPp could not read in time)

    @property
    def offered(self):
        """Calls SIPp started per second: below the target when SIPp could not keep up."""
        seconds = self.sendSeconds or self.elapsed
        return self.created / seconds if seconds > 0 else 0.0

    @property
    def achieved(self):
        """Calls answered 200 per second, SIPp's start to the last 200: below the target when
        the server fell behind (answers queued up)."""
        seconds = self.answerSeconds or self.elapsed
        return self.successful / seconds if seconds > 0 else 0.0

    @property
    def clientLoad(self):
        """SIPp's CPU use while it sent and received: near 1.0, the client was the limit."""
        seconds = max(self.sendSeconds, self.answerSeconds) or self.elapsed
        return self.cpuSeconds / seconds if seconds > 0 else 0.0

    @property
    def clientBound(self):
        """SIPp, not the server, was the limit: it lost answers, saturated its CPU or could not
        send at the rate, while the server's socket dropped less than SIPp's."""
        if self.serverDrops > 0.001 * self.count and self.serverDrops >= self.clientDrops:
            return False
        return (self.clientDrops > 0.001 * self.count or self.clientLoad >= 0.85
                or (self.created > 0 and self.offered < 0.9 * self.rate))

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
        clientPort = procs.freeUdpTcpPort(self.host)
        argv = [SIPP, f"{self.host}:{port}",
                "-sf", scenario, "-i", self.host, "-p", str(clientPort),
                "-r", str(rate), "-m", str(count),
                "-l", str(int(rate * (self.recvTimeoutS + 1)) + 100),
                "-buff_size", os.environ.get("BENCH_SIPP_BUFFER", "4194304"), "-nostdin",
                "-trace_stat", "-stf", statFile, "-fd", "1",
                "-trace_screen", "-screen_file", stem + "-screen.txt",
                "-timeout", f"{int(duration + self.recvTimeoutS + 5)}s"]
        if not self.retransmit:
            argv.append("-nr")
        if self.injectionFile:
            argv += ["-inf", self.injectionFile]
        for key, value in self.keys.items():
            argv += ["-key", key, str(value)]
        argv = procs.pinned(self.cpu, argv)
        baseline = procs.udpDrops([port])[port]
        peak = {port: baseline, clientPort: 0}

        def watchDrops():  # the counters vanish with the sockets: keep the highest seen
            for where, drops in procs.udpDrops([port, clientPort]).items():
                peak[where] = max(peak[where], drops)

        with open(stem + "-out.txt", "wb") as out:
            code, timedOut, cpuSeconds = procs.run(
                argv, timeout=duration + self.recvTimeoutS + 10, stdout=out, stderr=out,
                cwd=self.workDir, onTick=watchDrops)
        watchDrops()
        result = TrialResult(rate=rate, count=count, timedOut=timedOut, exitCode=code,
                             recvTimeoutS=self.recvTimeoutS, cpuSeconds=cpuSeconds,
                             serverDrops=peak[port] - baseline, clientDrops=peak[clientPort])
        _readStats(statFile, result)
        return result


def _readStats(path, result):
    """Fills the counts from the last row of SIPp's -trace_stat CSV (-fd 1: a row a second
    and one at the end), and the send/answer durations by interpolating between rows."""
    try:
        with open(path, encoding="latin-1") as csv:
            rows = [line.rstrip("\n").split(";") for line in csv if line.strip()]
    except OSError:
        rows = []
    if len(rows) < 2:
        result.failed = result.count
        result.note = "no SIPp statistics"
        return
    column = {name: i for i, name in enumerate(rows[0])}

    def field(row, name):
        return row[column[name]] if name in column and column[name] < len(row) else ""

    def number(row, name):
        try:
            return int(field(row, name) or 0)
        except ValueError:
            return 0

    data, last = rows[1:], rows[-1]
    result.successful = number(last, "SuccessfulCall(C)")
    result.created = number(last, "TotalCallCreated")
    result.failed = max(result.count - result.successful, 0)
    result.noAnswer = number(last, "FailedTimeoutOnRecv(C)")
    result.otherAnswer = number(last, "FailedUnexpectedMessage(C)")
    start = _epoch(field(last, "StartTime"))
    if start is None:
        return
    points = [(_epoch(field(row, "CurrentTime")), number(row, "TotalCallCreated"),
               number(row, "SuccessfulCall(C)")) for row in data]
    points = [(t - start, created, ok) for t, created, ok in points if t is not None]
    if not points:
        return
    result.elapsed = max(points[-1][0], 0.0)
    result.sendSeconds = _reach(points, 1, result.created)
    result.answerSeconds = _reach(points, 2, result.successful)


def _reach(points, index, target):
    """When the counter points[*][index] reached `target`, interpolated linearly inside the
    statistics period where it did (calls are sent evenly within a period)."""
    previousTime, previousValue = 0.0, 0
    for point in points:
        time, value = point[0], point[index]
        if value >= target:
            if value == previousValue:
                return time
            share = (target - previousValue) / (value - previousValue)
            return previousTime + share * (time - previousTime)
        previousTime, previousValue = time, value
    return points[-1][0]


def _epoch(cell):
    """SIPp writes a time as "date<TAB>time<TAB>unix-time"; returns the last part."""
    try:
        return float(cell.split("\t")[-1])
    except ValueError:
        return None
