"""SIPp peers in the background (phones, gateways) and their message traces, parsed.

A test starts a SIPp UAS with SippPeer, makes the call with sipp.run, then reads what the
peer received (SIPp -trace_msg) as Message objects to check headers and bodies."""

import os
import subprocess

from . import net, sip, sipp

TRACE_SEPARATOR = "-" * 47


class Message:
    """A request or response from a trace: first line, headers (long lower-case names), body."""

    def __init__(self, direction, text):
        self.direction = direction  # "sent" or "received"
        self.text = text
        head, _, self.body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.first_line = lines[0]
        parts = self.first_line.split(" ", 2)
        if parts[0].upper().startswith("SIP/2.0"):
            self.code, self.method = int(parts[1]), None
        else:
            self.code, self.method = None, parts[0]
        self.uri = parts[1] if self.method and len(parts) > 1 else None
        self.headers = sip.parse_headers(lines[1:])

    def all(self, name):
        return [v for n, v in self.headers if n == name.lower()]

    def get(self, name):
        values = self.all(name)
        return values[0] if values else None

    @property
    def cseq(self):
        """(number, method) of the CSeq header."""
        number, _, method = (self.get("cseq") or "0 ?").partition(" ")
        return int(number), method.strip()

    def __repr__(self):
        return f"<{self.direction} {self.first_line}>"


def parse_trace(text):
    """SIPp's -trace_msg file as a list of Message, in order."""
    out = []
    for block in text.split(TRACE_SEPARATOR):
        lines = [line.rstrip("\r") for line in block.split("\n")]
        if len(lines) < 3:
            continue
        if " message sent " in lines[1]:
            direction = "sent"
        elif " message received " in lines[1]:
            direction = "received"
        else:
            continue
        # The file is read with universal newlines: rebuild the message with CRLF.
        out.append(Message(direction, "\r\n".join(lines[2:]).strip("\r\n")))
    return out


class SippPeer:
    """SIPp running a scenario in the background on its own port (a UAS, or a UAC that a test
    lets run while it looks at sipd).

    server: where SIPp sends (its requests; responses go back to the request's source).
    options: the rest of sipp.command's (keys, extra, calls, trace_msg, transport).
    prefix: a command the SIPp line is run under (e.g. `ip netns exec NAME`); bound: how to
    tell that SIPp has bound its port (default: SIPp's pid holds the UDP port here)."""

    def __init__(self, scenario, server, workdir, *, port=None, timeout=40, prefix=(),
                 bound=None, **options):
        self.workdir = str(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.timeout = timeout
        # A port picked here can be taken by a parallel test before SIPp binds it: SIPp then
        # exits with "Address already in use" and another port is tried (bounded).
        for attempt in range(1 if port else 5):
            self.early_output = None  # (stdout, stderr) of a SIPp that exited while starting
            self.port = port or net.free_udp_tcp_port()
            self.cmd, self.name = sipp.command(scenario, server, self.workdir, port=self.port,
                                               timeout=timeout, **options)
            self.proc = subprocess.Popen(list(prefix) + self.cmd, cwd=self.workdir,
                                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True)
            if self._wait_bound(bound) or port:
                return
            self.early_output = self.proc.communicate()
            if sipp.BIND_FAILED not in self.early_output[1]:
                return  # exited for another reason: finish() reports it to the test

    def _wait_bound(self, bound):
        """Bounded poll until SIPp has bound its socket (a peer sending earlier would get an
        ICMP port unreachable); False when SIPp exited first."""
        held = bound or (lambda p: net.udp_port_held_by(self.proc.pid, p))
        try:
            net.wait_for(lambda: held(self.port) or self.proc.poll() is not None, 5,
                         what=f"sipp bound to {self.port}")
        except AssertionError:
            self.stop()
            raise
        return self.proc.poll() is None

    @property
    def address(self):
        return ("127.0.0.1", self.port)

    def finish(self, timeout=None):
        """Waits for SIPp's end (killed after timeout); returns a sipp.SippResult."""
        if self.early_output:
            out, err = self.early_output
        else:
            try:
                out, err = self.proc.communicate(timeout=timeout or self.timeout)
            except subprocess.TimeoutExpired:
                self.stop()
                out, err = self.proc.communicate()
        result = sipp.SippResult(self.proc, self.cmd, self.workdir, self.name)
        result.stdout, result.stderr = out, err
        return result

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def trace(self):
        return sipp.SippResult(self.proc, self.cmd, self.workdir, self.name).file_text(
            "_messages.log")

    def messages(self, direction=None):
        return [m for m in parse_trace(self.trace())
                if direction is None or m.direction == direction]

    def received(self, method=None, code=None):
        """Messages this peer received: requests of method, or responses with code."""
        return [m for m in self.messages("received")
                if (method is None or m.method == method) and (code is None or m.code == code)]


def trace_of(result):
    """The parsed -trace_msg messages of a finished sipp.run (a SippResult)."""
    return parse_trace(result.file_text("_messages.log"))


class SippPeers:
    """The SIPp peers of one test (the `sipp_peers` fixture): each in its own work directory
    under tmp_path, every one stopped by stop_all() at teardown."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.made = []

    def start(self, scenario, server, **kwargs):
        """A SippPeer (its keyword arguments) in tmp_path/peer<N>."""
        peer = SippPeer(scenario, server, self.tmp_path / f"peer{len(self.made)}", **kwargs)
        self.made.append(peer)
        return peer

    def stop_all(self):
        for peer in self.made:
            peer.stop()
