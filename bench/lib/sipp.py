"""One bounded SIPp trial (a UAC, and for calls a UAS beside it) and what their -trace_stat
CSVs say about it."""

import dataclasses
import glob
import os
import time

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
    timedOut: bool = False  # stopped by the bench: its time bound, or run(until=...)
    exitCode: int = -1
    note: str = ""
    recvTimeoutS: float = 0.0  # the scenario's recv timeout
    cpuSeconds: float = 0.0  # CPU time SIPp used
    serverDrops: int = 0  # datagrams the kernel dropped at the server's UDP socket
    clientDrops: int = 0  # ... at SIPp's sockets (answers SIPp could not read in time)
    peerSuccessful: int = -1  # calls the UAS (the called gateway) completed; -1: no UAS

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
    def peerMissing(self):
        """Calls the UAC completed that the UAS did not (a B2BUA answers the caller's BYE
        itself): they count as failed too."""
        return max(self.successful - self.peerSuccessful, 0) if self.peerSuccessful >= 0 else 0

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
    recvTimeoutS: float = 4.0  # the longest a call waits for answers (all its recvs together)
    service: str = ""  # -s: the Request-URI user part (the dialled number)
    pauseMs: int = 0  # -d: how long a <pause/> without milliseconds lasts
    uasScenario: str = ""  # calls: a SIPp UAS on uasPort, same CPU, started for every trial
    uasPort: int = 0
    serial_: int = 0

    def use(self, **fields):
        """Sets up the next line's trials: the fields given, every other scenario field back
        to its default (a line never inherits the UAS or the users file of the one before)."""
        for field in dataclasses.fields(self):
            if field.name not in ("workDir", "cpu", "host", "serial_"):
                default = (field.default_factory() if field.default_factory is not
                           dataclasses.MISSING else field.default)
                setattr(self, field.name, default)
        for name, value in fields.items():
            if not hasattr(self, name):
                raise AttributeError(name)
            setattr(self, name, value)

    def run(self, scenario, port, rate, count, until=None):
        """Sends `count` calls at `rate`/s; bounded to count/rate + the pause + recvTimeoutS +
        10 s. With a UAS, its completed calls, CPU time and socket drops count with the UAC's
        (both share CPU 1). until(counts), when given, sees the UAC's -trace_counts row (message
        name -> count, e.g. "Pause_Sessions") every 0.25 s and stops the trial by returning
        True."""
        self.serial_ += 1
        stem = os.path.join(self.workDir, f"sipp-{self.serial_:03d}")
        os.makedirs(stem)
        statFile = os.path.join(stem, "uac-stat.csv")
        duration = count / rate
        bound = duration + self.pauseMs / 1000 + self.recvTimeoutS
        concurrent = min(count, int(rate * (self.recvTimeoutS + 1 + self.pauseMs / 1000)))
        clientPort = procs.freeUdpTcpPort(self.host)
        argv = [SIPP, f"{self.host}:{port}",
                "-sf", scenario, "-i", self.host, "-p", str(clientPort),
                "-r", str(rate), "-m", str(count), "-l", str(concurrent + 100),
                "-buff_size", os.environ.get("BENCH_SIPP_BUFFER", "4194304"), "-nostdin",
                "-trace_stat", "-stf", statFile, "-fd", "1",
                "-trace_screen", "-screen_file", os.path.join(stem, "uac-screen.txt"),
                "-timeout", f"{int(bound + 5)}s"]
        if not self.retransmit:
            argv.append("-nr")
        if self.injectionFile:
            argv += ["-inf", self.injectionFile]
        if self.service:
            argv += ["-s", self.service]
        if self.pauseMs:
            argv += ["-d", str(self.pauseMs)]
        if until:
            argv.append("-trace_counts")
        for key, value in self.keys.items():
            argv += ["-key", key, str(value)]
        argv = procs.pinned(self.cpu, argv)
        watched = [port, clientPort] + ([self.uasPort] if self.uasScenario else [])
        baseline = procs.udpDrops([port])[port]
        peak = dict.fromkeys(watched, 0)
        peak[port] = baseline
        nextCount = [0.0]

        def tick():  # the counters vanish with the sockets: keep the highest seen
            for where, drops in procs.udpDrops(watched).items():
                peak[where] = max(peak[where], drops)
            if until and time.monotonic() >= nextCount[0]:
                nextCount[0] = time.monotonic() + 0.25
                return until(_lastCounts(stem))
            return False

        uas = self.startUas_(stem, count) if self.uasScenario else None
        if uas is False:
            return TrialResult(rate=rate, count=count, failed=count, note="the UAS did not start")
        with open(os.path.join(stem, "uac-out.txt"), "wb") as out:
            code, timedOut, cpuSeconds = procs.run(
                argv, timeout=bound + 10, stdout=out, stderr=out, cwd=stem, onTick=tick)
        if uas is not None:
            # It exits by itself after `count` calls. A call still open at the UAS once the
            # UAC is done has failed (an INVITE the server lost, a missing ACK or BYE): after
            # 2 s it is stopped (SIGTERM: SIPp writes its final statistics row then).
            cpuSeconds += procs.waitBounded(uas, 0 if timedOut else 2.0)[2]
        tick()
        result = TrialResult(rate=rate, count=count, timedOut=timedOut, exitCode=code,
                             recvTimeoutS=self.recvTimeoutS, cpuSeconds=cpuSeconds,
                             serverDrops=peak[port] - baseline,
                             clientDrops=sum(peak[p] for p in watched if p != port))
        _readStats(statFile, result)
        if uas is not None:
            _readPeerStats(os.path.join(stem, "uas-stat.csv"), result)
        return result

    def startUas_(self, stem, count):
        """The called side: answers every INVITE, ends after `count` calls. It retransmits
        and absorbs retransmissions as a gateway does (the servers retransmit an INVITE with
        no provisional after T1): only the UAC runs -nr. Returns the process, or False."""
        argv = procs.pinned(self.cpu, [
            SIPP, "-sf", self.uasScenario, "-i", self.host, "-p", str(self.uasPort),
            "-m", str(count), "-buff_size", os.environ.get("BENCH_SIPP_BUFFER", "4194304"),
            "-nostdin", "-trace_stat", "-stf", os.path.join(stem, "uas-stat.csv"), "-fd", "1",
            "-trace_err"])
        with open(os.path.join(stem, "uas-out.txt"), "wb") as out:
            proc = procs.start(argv, stdout=out, stderr=out, cwd=stem)
        if procs.waitUdpBound(self.uasPort, time.monotonic() + 10,
                              lambda: proc.poll() is None):
            return proc
        procs.stop(proc)
        return False


def _readPeerStats(path, result):
    """The UAS's completed calls (last row of its -trace_stat CSV); they bound the trial's
    successful calls: a call is good only when both ends completed it."""
    rows = _readRows(path)
    if len(rows) < 2:
        result.peerSuccessful = 0
    else:
        column = {name: i for i, name in enumerate(rows[0])}
        index = column.get("SuccessfulCall(C)", len(rows[-1]))
        try:
            result.peerSuccessful = int(rows[-1][index]) if index < len(rows[-1]) else 0
        except ValueError:
            result.peerSuccessful = 0
    result.failed = max(result.failed, result.count - min(result.successful,
                                                          result.peerSuccessful))


def _lastCounts(stem):
    """The last row of the UAC's -trace_counts CSV as {"ACK_Sent": n, "200_Recv": n, ...}
    (the step number dropped; a message name seen at two steps keeps the first); {} before
    SIPp wrote one. SIPp names the file <scenario>_<pid>_counts.csv in its cwd (`stem`)."""
    files = glob.glob(os.path.join(stem, "*_counts.csv"))
    rows = _readRows(files[0]) if files else []
    if len(rows) < 2:
        return {}
    counts = {}
    for name, cell in zip(rows[0], rows[-1]):
        step, _, message = name.partition("_")
        if step.isdigit() and message not in counts:
            try:
                counts[message] = int(cell)
            except ValueError:
                pass
    return counts


def _readRows(path):
    try:
        with open(path, encoding="latin-1") as csv:
            return [line.rstrip("\n").split(";") for line in csv if line.strip()]
    except OSError:
        return []


def _readStats(path, result):
    """Fills the counts from the last row of SIPp's -trace_stat CSV (-fd 1: a row a second
    and one at the end), and the send/answer durations by interpolating between rows."""
    rows = _readRows(path)
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
