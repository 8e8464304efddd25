"""Real softphones from Debian, headless, registered to a real sipd (issue 10): baresip 1.0
(`baresip-core`, driven by its ctrl_tcp module: netstring JSON commands and events) and
linphone 5.1 (`linphone-cli`'s linphone-daemon, driven on its standard input, events read from
its standard output), plus a packet capture (tcpdump on `lo`) of the phones' RTP to check the
media direction.

Neither phone needs a sound card or X:
- baresip's audio source is `ausine` (a 440 Hz tone; baresip resamples its 48 kHz stereo to
  the codec); `audio_player none` names no loaded module, so it plays nothing;
- linphone has no sound card at all (mediastreamer's void source and sink) and plays a WAV file
  made with python `wave` into each call with `incall-player-start` every time the call's
  streams (re)start (StreamsRunning), so it sends RTP.

Both phones use PCMU only, an RTP port range of their own (`MediaPorts`), and write a SIP trace
(baresip `-s` on stdout, linphone's log file) that `explain()` shows when a test fails.
Every wait is a bounded poll on the phone's own events; every process is stopped by its pid."""

import json
import math
import os
import queue
import random
import re
import select
import signal
import socket
import struct
import subprocess
import threading
import time
import wave

from . import net

PCMU = 0


def make_tone(path, seconds=90, rate=8000, freq=440.0):
    """A mono 16-bit WAV tone (python `wave`): linphone's audio source."""
    if os.path.exists(path):
        return path
    one = bytearray()
    period = int(rate)  # one second, repeated (a whole number of cycles at 440 Hz)
    for i in range(period):
        one += struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate)))
    tmp = path + ".tmp"
    with wave.open(tmp, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(one) * seconds)
    os.replace(tmp, path)
    return path


def free_sip_pair():
    """A port P free for UDP and TCP with P+1 free for TCP (baresip listens for TLS on P+1)."""
    for _ in range(50):
        port = net.free_udp_tcp_port()
        if port < 65535 and not net.port_bound(port + 1, kind=socket.SOCK_STREAM):
            return port
    raise RuntimeError("no free SIP port pair")


class MediaPorts:
    """Blocks of UDP ports for the phones' RTP/RTCP, inside one range that the capture filters
    on: block(n) -> (low, high), every port of it free when allocated."""

    BLOCK = 10

    def __init__(self, blocks=8):
        for _ in range(100):
            base = random.randrange(20000, 60000 - blocks * self.BLOCK, 2)
            if all(not net.port_bound(p) for p in range(base, base + blocks * self.BLOCK)):
                self.low, self.high = base, base + blocks * self.BLOCK - 1
                self.next = base
                return
        raise RuntimeError("no free range of UDP ports for RTP")

    def block(self):
        if self.next + self.BLOCK - 1 > self.high:
            raise RuntimeError("RTP port blocks exhausted")
        low = self.next
        self.next += self.BLOCK
        return low, low + self.BLOCK - 1


def start_sipd(sipd, option="trusted-networks"):
    """Starts a harness.sipd.Sipd; a sipd from before call authentication (issue 10 item 5)
    refuses [TServer] trusted-networks as an unknown option: it is started again without it
    (such a sipd challenges no INVITE anyway). Returns the sipd."""
    try:
        return sipd.start()
    except AssertionError as e:
        if f"'TServer.{option}': unknown option" not in str(e):
            raise
    del sipd.sections["TServer"][option]
    return sipd.start()


# ---- RTP capture ---------------------------------------------------------------------------

class RtpCapture:
    """tcpdump on `lo` (packet-buffered pcap file) of UDP in the media port range; parsed here
    (pcap, Ethernet-framed loopback, IPv4, UDP) into RTP packets (version 2, not RTCP, not
    STUN) with their time and ports."""

    def __init__(self, workdir, ports):
        self.workdir = str(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.path = os.path.join(self.workdir, "rtp.pcap")
        self.stderr_path = os.path.join(self.workdir, "tcpdump.stderr")
        self.ports = ports
        self.proc = None
        self._offset = 0
        self._packets = []  # (time, src_port, dst_port)
        self._linktype = None

    def start(self, timeout=10):
        stderr = open(self.stderr_path, "wb")
        try:
            self.proc = subprocess.Popen(
                ["tcpdump", "-i", "lo", "-n", "-U", "--immediate-mode", "-s", "96",
                 "-w", self.path, f"udp and portrange {self.ports.low}-{self.ports.high}"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
        finally:
            stderr.close()
        net.wait_for(lambda: self.proc.poll() is not None or "listening on" in self._stderr(),
                     timeout, interval=0.05, what="tcpdump listening")
        if self.proc.poll() is not None:
            raise AssertionError(f"tcpdump exited {self.proc.returncode}: {self._stderr()}")
        return self

    def _stderr(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def _read(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self._offset)
                data = f.read()
        except OSError:
            return
        pos = 0
        if self._offset == 0:
            if len(data) < 24:
                return
            magic = struct.unpack("<I", data[:4])[0]
            if magic not in (0xA1B2C3D4, 0xA1B23C4D):
                raise AssertionError(f"unexpected pcap magic {magic:#x}")
            self._nano = magic == 0xA1B23C4D
            self._linktype = struct.unpack("<I", data[20:24])[0]
            pos = 24
        while pos + 16 <= len(data):
            sec, frac, incl, _ = struct.unpack("<IIII", data[pos:pos + 16])
            if pos + 16 + incl > len(data):
                break
            frame = data[pos + 16:pos + 16 + incl]
            pos += 16 + incl
            stamp = sec + frac / (1e9 if self._nano else 1e6)
            self._parse(stamp, frame)
        self._offset += pos

    def _parse(self, stamp, frame):
        if self._linktype == 1:  # Ethernet (Linux lo)
            if len(frame) < 14 or frame[12:14] != b"\x08\x00":
                return
            ip = frame[14:]
        elif self._linktype == 113:  # Linux cooked
            ip = frame[16:]
        elif self._linktype in (0, 108):  # null/loop
            ip = frame[4:]
        else:
            ip = frame
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
            return
        ihl = (ip[0] & 0x0F) * 4
        udp = ip[ihl:]
        if len(udp) < 8 + 12:
            return
        src, dst = struct.unpack("!HH", udp[:4])
        payload = udp[8:]
        if payload[0] >> 6 != 2:
            return  # not RTP/RTCP (STUN starts with 00)
        if 72 <= (payload[1] & 0x7F) <= 76:
            return  # RTCP (PT 200-204)
        self._packets.append((stamp, src, dst))

    def count(self, src_range, dst_range, since, until=None):
        """RTP packets from a port in src_range (low, high) to one in dst_range, sent in
        [since, until)."""
        self._read()
        until = until if until is not None else float("inf")
        return sum(1 for t, s, d in self._packets
                   if since <= t < until and src_range[0] <= s <= src_range[1]
                   and dst_range[0] <= d <= dst_range[1])

    def flows(self, since, until=None):
        """{(src_port, dst_port): count} of RTP sent in [since, until) (for messages)."""
        self._read()
        until = until if until is not None else float("inf")
        out = {}
        for t, s, d in self._packets:
            if since <= t < until:
                out[(s, d)] = out.get((s, d), 0) + 1
        return out


# ---- common ------------------------------------------------------------------------------

class Softphone:
    """What both phones share: the process, an event list with a condition, bounded waits."""

    kind = "phone"

    def __init__(self, workdir, name, user, password, sipd, transport, rtp_ports):
        self.workdir = str(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.name = name
        self.user = user
        self.password = password
        self.sipd = sipd
        self.transport = transport.lower()
        self.rtp = rtp_ports
        self.proc = None
        self.events = []
        self.cond = threading.Condition()
        self.log_path = os.path.join(self.workdir, "sip.log")

    # sipd's address for this phone's transport, and a URI of a user there
    @property
    def server(self):
        if self.transport == "tls":
            return self.sipd.host, self.sipd.tls_port
        return self.sipd.host, self.sipd.port

    def uri(self, user):
        """sip:user@sipd:port;transport=<this phone's transport> (what the phone dials)."""
        host, port = self.server
        return f"sip:{user}@{host}:{port};transport={self.transport}"

    def _add_event(self, event):
        with self.cond:
            event["_time"] = time.time()
            self.events.append(event)
            self.cond.notify_all()

    def mark(self):
        """An index into the events: wait_event(since=mark) sees only later events."""
        with self.cond:
            return len(self.events)

    def wait_event(self, predicate, timeout, since=0, what="event"):
        """The first event at index >= since satisfying predicate; AssertionError after timeout
        (with the events seen and the log tail)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for ev in self.events[since:]:
                    if predicate(ev):
                        return ev
                left = deadline - time.monotonic()
                if left <= 0 or not self.alive():
                    break
                self.cond.wait(min(left, 0.2))
        raise AssertionError(
            f"{self.name}: no {what} within {timeout}s (process "
            f"{'alive' if self.alive() else 'exited %s' % self.proc.returncode}); events since "
            f"{since}: {self.describe(since)}")

    def describe(self, since=0):
        with self.cond:
            return [self._short(ev) for ev in self.events[since:]]

    def _short(self, ev):
        return ev

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self, tail=6000):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-tail:]
        except OSError:
            return ""

    def sip_trace(self):
        """The SIP messages this phone sent and received, from its own trace, in order:
        [{"dir": "sent"|"recv", "transport": "UDP"|"TCP"|"TLS", "conn": a connection id,
          "peer": "host:port", "first": start line, "head": header text, "inbound": True when
          on a connection sipd opened toward the phone}]."""
        raise NotImplementedError

    def sent(self, method=None, transport=None):
        """Requests this phone sent (start lines), optionally of one method / transport."""
        return [m for m in self.sip_trace() if m["dir"] == "sent"
                and not m["first"].startswith("SIP/2.0")
                and (method is None or m["first"].split(" ", 1)[0] == method)
                and (transport is None or m["transport"] == transport.upper())]

    def received(self, method=None):
        return [m for m in self.sip_trace() if m["dir"] == "recv"
                and (method is None or m["first"].split(" ", 1)[0] == method)]

    def off_transport(self):
        """Messages exchanged over another transport than the phone's (e.g. the UDP fallback
        of in-dialog requests on a TLS call)."""
        return [f"{m['dir']} {m['transport']} {m['first']}" for m in self.sip_trace()
                if m["transport"] != self.transport.upper()]

    def trace_summary(self):
        lines = []
        for m in self.sip_trace():
            arrow = "->" if m["dir"] == "sent" else "<-"
            extra = " (connection opened by sipd)" if m.get("inbound") else ""
            lines.append(f"  {arrow} {m['transport']} {m['peer']} [{m['conn']}] "
                         f"{m['first']}{extra}")
        return "\n".join(lines)

    def explain(self, tail=6000):
        return f"---- {self.name} ({self.kind} {self.user}/{self.transport}) log tail:\n" + \
            self.log(tail)

    def _stop_process(self, grace=3):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


# ---- baresip -----------------------------------------------------------------------------

class Baresip(Softphone):
    """baresip 1.0 in its own config dir (config + accounts): ctrl_tcp on a local port for
    commands ({"command","params","token"} netstrings; responses carry the token) and events
    (REGISTER_OK, CALL_INCOMING, CALL_ESTABLISHED, CALL_CLOSED, CALL_DTMF_START, ...).

    It listens for SIP on sip_port (UDP and TCP) and sip_port+1 (TLS, with no certificate: it
    accepts no inbound TLS, like a phone). The account's URI names sipd with the transport, so
    REGISTER and calls go to sipd over it. answermode: manual (answer()) or auto."""

    kind = "baresip"

    def __init__(self, workdir, name, user, password, sipd, transport, rtp_ports,
                 answermode="manual", ca_file=None):
        super().__init__(workdir, name, user, password, sipd, transport, rtp_ports)
        self.answermode = answermode
        self.ca_file = ca_file
        self.sip_port = free_sip_pair()
        self.ctrl_port = net.free_tcp_port()
        self.sock = None
        self._buf = b""
        self._responses = {}
        self._token = 0
        self._lock = threading.Lock()
        self._reader = None

    def write_config(self):
        lines = [
            "poll_method\t\tepoll",
            "call_local_timeout\t60",
            "call_max_calls\t\t4",
            f"sip_listen\t\t127.0.0.1:{self.sip_port}",
            "audio_player\t\tnone,none",
            "audio_alert\t\tnone,none",
            "audio_source\t\tausine,440",
            "ausrc_srate\t\t48000",
            "ausrc_channels\t\t2",
            "audio_buffer\t\t20-160",
            f"rtp_ports\t\t{self.rtp[0]}-{self.rtp[1]}",
            "rtcp_mux\t\tno",
            "jitter_buffer_delay\t5-10",
            "rtp_stats\t\tno",
            "module_path\t\t/usr/lib/baresip/modules",
            "module\t\t\tg711.so",
            "module\t\t\tausine.so",
            "module\t\t\tctrl_tcp.so",
            "module_tmp\t\tuuid.so",
            "module_tmp\t\taccount.so",
            "module_app\t\tmenu.so",
            f"ctrl_tcp_listen\t\t127.0.0.1:{self.ctrl_port}",
        ]
        if self.ca_file:
            lines.insert(4, f"sip_cafile\t\t{self.ca_file}")
        with open(os.path.join(self.workdir, "config"), "w") as f:
            f.write("\n".join(lines) + "\n")
        # No account at start (it would register before ctrl_tcp is up): start() adds it
        # with `uanew`, so its REGISTER_OK is an event the harness sees.
        with open(os.path.join(self.workdir, "accounts"), "w") as f:
            f.write("")
        with open(os.path.join(self.workdir, "contacts"), "w") as f:
            f.write("")

    def start(self, timeout=10):
        self.write_config()
        log = open(self.log_path, "wb")
        try:
            self.proc = subprocess.Popen(["baresip", "-f", self.workdir, "-s"],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         cwd=self.workdir)
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", self.ctrl_port), 1)
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"{self.name}: baresip ctrl_tcp not up\n"
                                         f"{self.log()}") from None
                time.sleep(0.05)
        self.sock.settimeout(None)
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        self._registering = self.mark()
        self.command("uanew", self.account())
        return self

    def account(self):
        host, port = self.server
        return (f"<sip:{self.user}@{host}:{port};transport={self.transport}>"
                f";auth_pass={self.password};answermode={self.answermode};regint=600"
                ";audio_codecs=pcmu;mwi=no")

    def _read_loop(self):
        sock = self.sock
        while True:
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                with self.cond:
                    self.cond.notify_all()
                return
            self._buf += data
            while True:
                colon = self._buf.find(b":")
                if colon < 0:
                    break
                try:
                    size = int(self._buf[:colon])
                except ValueError:
                    self._buf = b""
                    break
                if len(self._buf) < colon + 1 + size + 1:
                    break
                payload = self._buf[colon + 1:colon + 1 + size]
                self._buf = self._buf[colon + 1 + size + 1:]
                try:
                    msg = json.loads(payload.decode("utf-8", "replace"))
                except ValueError:
                    continue
                if msg.get("response"):
                    with self.cond:
                        self._responses[msg.get("token")] = msg
                        self.cond.notify_all()
                elif msg.get("event"):
                    self._add_event(msg)

    def command(self, cmd, params="", timeout=5):
        """Runs a menu command (dial, accept, hangup, hold, resume, transfer, ...); returns the
        response dict; AssertionError when it is not ok or does not come."""
        with self._lock:
            self._token += 1
            token = f"t{self._token}"
        data = json.dumps({"command": cmd, "params": params, "token": token}).encode()
        self.sock.sendall(str(len(data)).encode() + b":" + data + b",")
        deadline = time.monotonic() + timeout
        with self.cond:
            while token not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0 or not self.alive():
                    raise AssertionError(f"{self.name}: no response to {cmd} {params}")
                self.cond.wait(min(left, 0.2))
            resp = self._responses.pop(token)
        if not resp.get("ok"):
            raise AssertionError(f"{self.name}: {cmd} {params} failed: {resp}")
        return resp

    def _short(self, ev):
        return (ev.get("type"), ev.get("param"), ev.get("id"))

    TRACE = re.compile(r"^(?:\x1b\[[0-9;]*m)?(UDP|TCP|TLS) (\S+:\d+) -> (\S+:\d+)\s*$")

    def sip_trace(self):
        """From baresip's -s trace: "TLS 127.0.0.1:a -> 127.0.0.1:b" then the message."""
        server_ports = {str(self.sipd.port), str(self.sipd.tls_port)}
        own_ports = {str(self.sip_port), str(self.sip_port + 1)}
        try:
            with open(self.log_path, errors="replace") as f:
                lines = f.read().split("\n")
        except OSError:
            return []
        out = []
        i = 0
        while i < len(lines):
            m = self.TRACE.match(lines[i])
            i += 1
            if not m:
                continue
            transport, src, dst = m.groups()
            head = []
            while i < len(lines) and lines[i].strip() and not lines[i].startswith("\x1b"):
                head.append(lines[i].rstrip("\r"))
                i += 1
            if not head:
                continue
            src_port, dst_port = src.rsplit(":", 1)[1], dst.rsplit(":", 1)[1]
            if dst_port in server_ports:
                direction, peer, local = "sent", dst, src
            elif src_port in server_ports:
                direction, peer, local = "recv", src, dst
            elif dst_port in own_ports:
                direction, peer, local = "recv", src, dst
            else:
                direction, peer, local = "sent", dst, src
            inbound = transport != "UDP" and local.rsplit(":", 1)[1] in own_ports
            out.append({"dir": direction, "transport": transport, "peer": peer,
                        "conn": f"{transport} {local}<->{peer}", "first": head[0],
                        "head": "\n".join(head), "inbound": inbound})
        return out

    # ---- SIP ---------------------------------------------------------------------------

    def register(self, timeout=8):
        """Waits for REGISTER_OK (the account registers at start); fails on REGISTER_FAIL."""
        ev = self.wait_event(lambda e: e.get("type") in ("REGISTER_OK", "REGISTER_FAIL"),
                             timeout, self._registering, what="REGISTER_OK")
        assert ev["type"] == "REGISTER_OK", f"{self.name}: {ev}\n{self.log()}"
        return ev

    def dial(self, uri):
        """Starts a call; returns the mark to wait on its events. (baresip adds its account's
        ;transport= to the Request-URI itself: not given twice.)"""
        since = self.mark()
        self.command("dial", uri.replace(f";transport={self.transport}", ""))
        return since

    def wait_incoming(self, timeout=8, since=0):
        return self.wait_event(lambda e: e.get("type") == "CALL_INCOMING", timeout, since,
                               what="CALL_INCOMING")

    def answer(self, timeout=8, since=0):
        self.wait_incoming(timeout, since)
        self.command("accept")

    def wait_established(self, timeout=8, since=0):
        return self.wait_event(lambda e: e.get("type") == "CALL_ESTABLISHED", timeout, since,
                               what="CALL_ESTABLISHED")

    def wait_closed(self, timeout=8, since=0):
        return self.wait_event(lambda e: e.get("type") == "CALL_CLOSED", timeout, since,
                               what="CALL_CLOSED")

    def hangup(self):
        self.command("hangup")

    def hold(self):
        self.command("hold")

    def resume(self):
        self.command("resume")

    def transfer(self, uri):
        """Blind transfer (REFER) of the current call to uri. baresip 1.0 has no attended
        transfer (no command sends a REFER with Replaces)."""
        self.command("transfer", uri)

    def wait_dtmf(self, digit, timeout=8, since=0):
        return self.wait_event(lambda e: e.get("type") == "CALL_DTMF_START"
                               and str(e.get("param", "")).startswith(digit), timeout, since,
                               what=f"DTMF {digit}")

    def calls(self):
        """Open calls (CALL_ESTABLISHED/INCOMING/RINGING minus CALL_CLOSED, by call id)."""
        open_calls = {}
        with self.cond:
            for ev in self.events:
                t, cid = ev.get("type"), ev.get("id")
                if t in ("CALL_INCOMING", "CALL_RINGING", "CALL_PROGRESS", "CALL_ESTABLISHED"):
                    open_calls[cid] = t
                elif t == "CALL_CLOSED":
                    open_calls.pop(cid, None)
        return open_calls

    def stop(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self._stop_process()


# ---- linphone ----------------------------------------------------------------------------

class Linphone(Softphone):
    """linphone-daemon 5.1 with a linphonerc of its own (HOME in its work dir), commands on its
    standard input, responses ("Status: Ok|Error" + "Key: value" lines) and events
    ("Event-type: call-state-changed", "Event: LinphoneCall...", "Id: N") on its standard
    output.

    The account (proxy_0/auth_info_0) registers at start and routes every out-of-dialog request
    to sipd (reg_route), as a phone with an outbound proxy does. listen: whether it accepts
    inbound connections for TCP (sip_tcp_port a free port, or -2: LC_SIP_TRANSPORT_DONTBIND,
    client connections only). It never accepts inbound TLS (sip_tls_port -2, no certificate);
    only the transport of the test is enabled. DTMF goes as SIP INFO (use_info=1,
    use_rfc2833=0)."""

    kind = "linphone"
    PROMPT = "daemon-linphone>"
    KEY = re.compile(r"^([A-Z][A-Za-z0-9 -]*): ?(.*)$")

    def __init__(self, workdir, name, user, password, sipd, transport, rtp_ports, tone,
                 listen=True, ca_file=None, auto_answer=False):
        super().__init__(workdir, name, user, password, sipd, transport, rtp_ports)
        self.tone = tone
        self.listen = listen
        self.ca_file = ca_file
        self.auto_answer = auto_answer
        self.sip_port = net.free_udp_tcp_port()
        self.rc = os.path.join(self.workdir, "linphonerc")
        self._responses = queue.Queue()
        self._cmd_lock = threading.Lock()
        self._plays = queue.Queue()
        self._stop = False
        self._threads = []

    def write_config(self):
        udp = self.sip_port if self.transport == "udp" else 0
        tcp = (self.sip_port if self.listen else -2) if self.transport == "tcp" else 0
        host, port = self.server
        proxy = f"sip:{host}:{port};transport={self.transport}"
        text = f"""[sip]
sip_port={udp}
sip_tcp_port={tcp}
sip_tls_port={-2 if self.transport == "tls" else 0}
use_info=1
use_rfc2833=0
root_ca={self.ca_file or ""}
verify_server_certs={1 if self.ca_file else 0}
verify_server_cn=0
guess_hostname=0
ping_with_options=0
inc_timeout=60
in_call_timeout=0
register_only_when_network_is_up=0
default_proxy=0
auto_net_state_mon=1
media_encryption=none

[proxy_0]
reg_proxy=<{proxy}>
reg_route=<{proxy};lr>
reg_identity="{self.user}" <sip:{self.user}@{host}>
reg_expires=600
reg_sendregister=1
publish=0
dial_escape_plus=0
realm={host}

[auth_info_0]
username={self.user}
userid={self.user}
passwd={self.password}
realm={host}

[rtp]
audio_rtp_port={self.rtp[0]}-{self.rtp[1]}
nortp_timeout=60
audio_adaptive_jitt_comp_enabled=1

[video]
enabled=0
capture=0
display=0
automatically_initiate=0
automatically_accept=0

[sound]
echocancellation=0

[misc]
max_calls=4
history_max_size=0

[storage]
uri={os.path.join(self.workdir, "linphone.db")}

[net]
firewall_policy=0
"""
        with open(self.rc, "w") as f:
            f.write(text)

    def start(self, timeout=10):
        self.write_config()
        env = dict(os.environ, HOME=self.workdir, TERM="dumb")
        args = ["linphone-daemon", "--config", self.rc, "--log", self.log_path,
                "--disable-stats-events"]
        if self.auto_answer:
            args.append("--auto-answer")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, cwd=self.workdir, env=env)
        for target in (self._read_loop, self._play_loop):
            t = threading.Thread(target=target, daemon=True)
            t.start()
            self._threads.append(t)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.command("version", timeout=max(0.5, deadline - time.monotonic()))
                break
            except AssertionError:
                if not self.alive() or time.monotonic() > deadline:
                    raise
        self.command("audio-codec-disable ALL")
        self.command(f"audio-codec-enable {PCMU}")
        return self

    # ---- the daemon's output -----------------------------------------------------------

    def _read_loop(self):
        fd = self.proc.stdout.fileno()
        buf = b""
        current = None
        while True:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                if current is not None:
                    self._deliver(current)
                    current = None
                if self.proc.poll() is not None:
                    break
                continue
            data = os.read(fd, 65536)
            if not data:
                break
            buf += data
            *lines, buf = buf.split(b"\n")
            for raw in lines:
                line = raw.decode("utf-8", "replace").rstrip("\r")
                while line.startswith(self.PROMPT):
                    line = line[len(self.PROMPT):]
                if line.startswith("Status:") or line.startswith("Event-type:"):
                    if current is not None:
                        self._deliver(current)
                    kind = "response" if line.startswith("Status:") else "event"
                    current = {"kind": kind, "head": line.split(":", 1)[1].strip(),
                               "fields": []}
                    continue
                m = self.KEY.match(line)
                if m and current is not None:
                    current["fields"].append((m.group(1), m.group(2).strip()))
        if current is not None:
            self._deliver(current)
        with self.cond:
            self.cond.notify_all()
        self._responses.put(None)

    def _deliver(self, msg):
        fields = {}
        for k, v in msg["fields"]:
            fields.setdefault(k, v)
        msg["data"] = fields
        if msg["kind"] == "response":
            self._responses.put(msg)
            return
        ev = {"type": msg["head"], **fields}
        if ev.get("Event") == "LinphoneCallStreamsRunning" and ev.get("Id"):
            self._plays.put(ev["Id"])
        self._add_event(ev)

    def _play_loop(self):
        """Plays the tone into a call each time its streams (re)start: no sound card, so this is
        what makes linphone send RTP."""
        while not self._stop:
            try:
                call_id = self._plays.get(timeout=0.2)
            except queue.Empty:
                if not self.alive():
                    return
                continue
            try:
                self.command(f"incall-player-stop {call_id}", check=False, timeout=3)
                self.command(f"incall-player-start {self.tone} {call_id}", check=False,
                             timeout=3)
            except AssertionError:
                pass

    def command(self, line, timeout=5, check=True):
        """Sends one command; returns the response {"head": "Ok"|"Error", "data": {...},
        "fields": [...]}; AssertionError on Error (check) or no response in time."""
        with self._cmd_lock:
            if not self.alive():
                raise AssertionError(f"{self.name}: linphone-daemon exited "
                                     f"{self.proc.returncode}\n{self.log(3000)}")
            while True:  # drop a late response of a command that timed out
                try:
                    self._responses.get_nowait()
                except queue.Empty:
                    break
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
            try:
                resp = self._responses.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"{self.name}: no response to {line!r}") from None
        if resp is None:
            raise AssertionError(f"{self.name}: linphone-daemon exited during {line!r}")
        if check and resp["head"] != "Ok":
            raise AssertionError(f"{self.name}: {line!r} -> {resp['head']} {resp['data']}")
        return resp

    def _short(self, ev):
        return (ev.get("Event") or ev.get("type"), ev.get("Id"))

    SENT = re.compile(r"channel \[(0x[0-9a-f]+)\]: message sent to \[(UDP|TCP|TLS)://"
                      r"([^\]]+)\]")
    RECV = re.compile(r"channel \[(0x[0-9a-f]+)\]: received \[\d+\] new bytes from "
                      r"\[(UDP|TCP|TLS)://([^\]]+)\]")
    STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3} ")

    def sip_trace(self):
        """From linphone's log (belle-sip): "channel [0x..]: message sent to [TLS://h:p]" or
        "received [n] new bytes from [...]", then the message. The channel is the connection
        (a channel sipd opened toward the phone shows as one the phone never sent on first)."""
        try:
            with open(self.log_path, errors="replace") as f:
                lines = f.read().split("\n")
        except OSError:
            return []
        out = []
        first_dir = {}
        i = 0
        while i < len(lines):
            line = lines[i]
            i += 1
            m = self.SENT.search(line) or self.RECV.search(line)
            if not m:
                continue
            direction = "sent" if m.re is self.SENT else "recv"
            channel, transport, peer = m.groups()
            head = []
            while i < len(lines) and lines[i].strip() and not self.STAMP.match(lines[i]):
                head.append(lines[i].rstrip("\r"))
                i += 1
            if not head or not (head[0].startswith("SIP/2.0") or "SIP/2.0" in head[0]):
                continue
            first_dir.setdefault(channel, direction)
            inbound = transport != "UDP" and first_dir[channel] == "recv"
            out.append({"dir": direction, "transport": transport, "peer": peer,
                        "conn": f"{transport} channel {channel}", "first": head[0],
                        "head": "\n".join(head), "inbound": inbound})
        return out

    # error lines of a phone with no sound card, database or ringtone files: not SIP
    NOISE = ("alsa", "soundcard", "bctbx_file_open", "database", "db_file", "Parser opening",
             "no player", "ToneManager", "Could not find a suitable")

    def errors(self):
        """belle-sip/liblinphone error lines of the log (e.g. "no listening point")."""
        try:
            with open(self.log_path, errors="replace") as f:
                return [line for line in f if "-error-" in line
                        and not any(noise in line for noise in self.NOISE)]
        except OSError:
            return []

    # ---- SIP ---------------------------------------------------------------------------

    def register(self, timeout=10):
        """Bounded poll of register-status until the account is LinphoneRegistrationOk."""
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            resp = self.command("register-status ALL", check=False)
            states = [v for k, v in resp["fields"] if k == "State"]
            state = states[0] if states else None
            if state == "LinphoneRegistrationOk":
                return state
            if state == "LinphoneRegistrationFailed":
                break
            time.sleep(0.1)
        raise AssertionError(f"{self.name}: registration {state}\n{self.log(4000)}")

    def _call_event(self, names, since, timeout, call_id=None, what=None):
        names = (names,) if isinstance(names, str) else tuple(names)
        return self.wait_event(
            lambda e: e.get("Event") in names and (call_id is None or e.get("Id") == call_id),
            timeout, since, what=what or "/".join(names))

    def dial(self, uri):
        """Starts a call; returns the mark to wait on its events (the call's Id is in them)."""
        since = self.mark()
        resp = self.command(f"call {uri}")
        self.last_call = resp["data"].get("Id")
        return since

    def wait_incoming(self, timeout=8, since=0):
        return self._call_event("LinphoneCallIncomingReceived", since, timeout)

    def answer(self, timeout=8, since=0):
        ev = self.wait_incoming(timeout, since)
        self.command(f"answer {ev['Id']}")
        return ev["Id"]

    def wait_established(self, timeout=8, since=0, call_id=None):
        return self._call_event("LinphoneCallStreamsRunning", since, timeout, call_id,
                                what="StreamsRunning")

    def wait_closed(self, timeout=8, since=0, call_id=None):
        return self._call_event(("LinphoneCallEnd", "LinphoneCallError",
                                 "LinphoneCallReleased"), since, timeout, call_id,
                                what="call End")

    def hangup(self, call_id=None):
        self.command("terminate" + (f" {call_id}" if call_id else ""))

    def hold(self, call_id=None, timeout=8):
        """call-pause (re-INVITE a=sendonly); waits for LinphoneCallPaused."""
        since = self.mark()
        self.command("call-pause" + (f" {call_id}" if call_id else ""))
        return self._call_event("LinphoneCallPaused", since, timeout, call_id)

    def resume(self, call_id, timeout=8):
        """call-resume; waits for StreamsRunning."""
        since = self.mark()
        self.command(f"call-resume {call_id}")
        return self.wait_established(timeout, since, call_id)

    def send_dtmf(self, digit):
        """DTMF on the current call, as SIP INFO (use_info=1)."""
        self.command(f"dtmf {digit}")

    def transfer(self, call_id, to):
        """Blind transfer of call_id to a URI, or attended (to = the Id of the consultation
        call: REFER with Replaces)."""
        self.command(f"call-transfer {call_id} {to}")

    def calls(self):
        """{Id: last state} of calls not ended (from the events)."""
        out = {}
        with self.cond:
            for ev in self.events:
                if ev.get("type") != "call-state-changed" or not ev.get("Id"):
                    continue
                if ev.get("Event") in ("LinphoneCallEnd", "LinphoneCallReleased",
                                       "LinphoneCallError"):
                    out.pop(ev["Id"], None)
                else:
                    out[ev["Id"]] = ev.get("Event")
        return out

    def stop(self):
        self._stop = True
        if self.alive():
            try:
                self.proc.stdin.write(b"quit\n")
                self.proc.stdin.flush()
            except OSError:
                pass
        self._stop_process(grace=3)
        for stream in (self.proc.stdin, self.proc.stdout) if self.proc else ():
            try:
                stream.close()
            except OSError:
                pass


# ---- a set of phones for one test --------------------------------------------------------

class Phones:
    """The phones (and the RTP capture) of one test, all stopped by stop_all() at teardown.

    sipd: a started harness.sipd.Sipd (TLS on); its generated certificate is the phones' CA."""

    def __init__(self, tmp_path, sipd, tone):
        self.tmp_path = tmp_path
        self.sipd = sipd
        self.tone = tone
        self.made = []
        self.ports = MediaPorts()
        self.capture = None
        self.ca_file = os.path.join(sipd.data_dir, "tls", "sipd.crt")

    def start_capture(self):
        self.capture = RtpCapture(self.tmp_path / "capture", self.ports).start()
        return self.capture

    def baresip(self, user, password, transport, **kwargs):
        phone = Baresip(self.tmp_path / f"baresip-{user}-{len(self.made)}",
                        f"baresip {user}", user, password, self.sipd, transport,
                        self.ports.block(), ca_file=self.ca_file, **kwargs)
        self.made.append(phone)
        return phone.start()

    def linphone(self, user, password, transport, **kwargs):
        phone = Linphone(self.tmp_path / f"linphone-{user}-{len(self.made)}",
                         f"linphone {user}", user, password, self.sipd, transport,
                         self.ports.block(), self.tone, ca_file=self.ca_file, **kwargs)
        self.made.append(phone)
        return phone.start()

    def explain(self):
        return "\n".join(p.explain() for p in self.made)

    def summary(self):
        """Each phone's SIP exchanges with sipd (start lines, transport, connection), and
        linphone's error lines: what a failing test prints."""
        out = []
        for p in self.made:
            out.append(f"==== {p.name} ({p.kind}, {p.transport}); events: {p.describe()}")
            out.append(p.trace_summary())
            if isinstance(p, Linphone):
                out.extend("  ! " + e.strip()[:300] for e in p.errors()[-15:])
        return "\n".join(out)

    def stop_all(self):
        for phone in self.made:
            try:
                phone.stop()
            except Exception:  # noqa: BLE001 - teardown goes on with the others
                if phone.proc is not None and phone.proc.poll() is None:
                    phone.proc.kill()
        if self.capture is not None:
            self.capture.stop()


# ---- media checks ------------------------------------------------------------------------

def wait_two_way(capture, a, b, since, timeout=6, packets=15):
    """Waits until RTP flows both ways between phones a and b (each sent >= packets to the
    other's RTP range since `since`); AssertionError with the flows seen otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        ab = capture.count(a.rtp, b.rtp, since)
        ba = capture.count(b.rtp, a.rtp, since)
        if ab >= packets and ba >= packets:
            return ab, ba
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"RTP not two-way between {a.name} {a.rtp} and {b.name} {b.rtp} within "
                f"{timeout}s: {a.name}->{b.name} {ab}, {b.name}->{a.name} {ba}; all flows "
                f"since: {capture.flows(since)}")
        time.sleep(0.2)


def directions_during(capture, a, b, start, seconds):
    """RTP packets (a->b, b->a) sent in [start, start+seconds), waiting until that window has
    passed (bounded: a window of a check that something does NOT flow)."""
    end = start + seconds
    while time.time() < end + 0.3:
        time.sleep(0.1)
    return capture.count(a.rtp, b.rtp, start, end), capture.count(b.rtp, a.rtp, start, end)
