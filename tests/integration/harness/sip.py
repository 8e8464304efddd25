"""Minimal SIP request building, response parsing and UDP/TCP/TLS exchanges."""

import os
import socket
import ssl
import time

COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact",
           "l": "content-length", "k": "supported", "c": "content-type", "s": "subject",
           "e": "content-encoding"}


def token():
    return os.urandom(6).hex()


def parse_headers(lines):
    """Header lines as [(lower-case long name, value)], folded lines joined (RFC 3261 7.3.1)."""
    headers = []
    for line in lines:
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip())
            continue
        name, _, value = line.partition(":")
        name = name.strip().lower()
        headers.append((COMPACT.get(name, name), value.strip()))
    return headers


class Response:
    def __init__(self, raw):
        self.raw = raw
        text = raw.decode("utf-8", "replace")
        head, _, self.body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.status_line = lines[0]
        parts = self.status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].upper().startswith("SIP/2.0"):
            raise ValueError(f"not a SIP response: {self.status_line!r}")
        self.code = int(parts[1])
        self.reason = parts[2] if len(parts) > 2 else ""
        self.headers = parse_headers(lines[1:])

    def all(self, name):
        return [v for n, v in self.headers if n == name.lower()]

    def get(self, name):
        values = self.all(name)
        return values[0] if values else None

    def contacts(self):
        """Every Contact value, comma-separated lists split (URIs in <> kept whole)."""
        out = []
        for value in self.all("contact"):
            depth, start = 0, 0
            for i, ch in enumerate(value):
                if ch == "<":
                    depth += 1
                elif ch == ">":
                    depth -= 1
                elif ch == "," and depth == 0:
                    out.append(value[start:i].strip())
                    start = i + 1
            out.append(value[start:].strip())
        return [c for c in out if c]

    def __repr__(self):
        return f"<Response {self.code} {self.reason}>"


def request(method, uri, transport, local, *, user="probe", to_user=None, call_id=None,
            cseq=1, extra=(), body=b"", contact=None):
    """Builds a request; local = (ip, port) of the sending socket."""
    branch = "z9hG4bK" + token()
    call_id = call_id or token() + "@test"
    to_user = to_user or user
    # The AOR domain: the Request-URI host without port or parameters.
    host = uri.split("@")[-1] if "@" in uri else uri[4:]
    host = host.split(";")[0].rsplit(":", 1)[0]
    lines = [
        f"{method} {uri} SIP/2.0",
        f"Via: SIP/2.0/{transport.upper()} {local[0]}:{local[1]};branch={branch};rport",
        "Max-Forwards: 70",
        f"From: <sip:{user}@{host}>;tag={token()}",
        f"To: <sip:{to_user}@{host}>",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} {method}",
    ]
    if contact:
        lines.append(f"Contact: {contact}")
    lines.extend(extra)
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def call_id_of(raw):
    for line in raw.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() in (b"call-id", b"i"):
            return value.strip().decode("utf-8", "replace")
    return None


class Client:
    """What UdpClient and StreamClient share: send(), recv(timeout) -> bytes, or None (timeout)
    or b"" (connection closed)."""

    def responses(self, timeout):
        """The responses received (parsed; anything else skipped) until timeout has passed,
        nothing arrived in time or the connection closed."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            raw = self.recv(left)
            if not raw:
                return
            try:
                resp = Response(raw)
            except ValueError:
                continue
            yield resp

    def exchange(self, data, timeout=3.0, final=True):
        """Sends data; returns the first (final if asked) response with the same Call-ID."""
        cid = call_id_of(data)
        self.send(data)
        for resp in self.responses(timeout):
            if cid is not None and resp.get("call-id") != cid:
                continue
            if final and resp.code < 200:
                continue
            return resp
        return None


class UdpClient(Client):
    def __init__(self, server, host="127.0.0.1"):
        self.server = server
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.local = self.sock.getsockname()
        self.transport = "UDP"

    def send(self, data):
        self.sock.sendto(data, self.server)

    def recv(self, timeout):
        """Next datagram (bytes) or None after timeout."""
        self.sock.settimeout(timeout)
        try:
            data, _ = self.sock.recvfrom(70000)
            return data
        except socket.timeout:
            return None

    def close(self):
        self.sock.close()


class StreamClient(Client):
    """SIP over a TCP or TLS connection; frames messages by Content-Length."""

    def __init__(self, server, tls_context=None, timeout=3.0, server_hostname=None):
        raw = socket.create_connection(server, timeout=timeout)
        if tls_context is not None:
            self.sock = tls_context.wrap_socket(raw, server_hostname=server_hostname)
            self.transport = "TLS"
        else:
            self.sock = raw
            self.transport = "TCP"
        self.local = self.sock.getsockname()
        self.buffer = b""

    def send(self, data):
        self.sock.sendall(data)

    def _frame(self):
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        length = 0
        for line in self.buffer[:end].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() in (b"content-length", b"l"):
                try:
                    length = int(value.strip())
                except ValueError:
                    length = 0
        total = end + 4 + length
        if len(self.buffer) < total:
            return None
        msg, self.buffer = self.buffer[:total], self.buffer[total:]
        return msg

    def recv(self, timeout):
        """Next complete message, b'' when the peer closed, None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            # Skip CRLF keep-alives (RFC 5626 section 3.5.1).
            self.buffer = self.buffer.lstrip(b"\r\n")
            msg = self._frame()
            if msg is not None:
                return msg
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, ssl.SSLWantReadError):
                return None
            except (ConnectionResetError, ssl.SSLError):
                return b""
            if not chunk:
                return b""
            self.buffer += chunk

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def insecure_tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def verifying_tls_context(ca_file):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=ca_file)
    ctx.check_hostname = True
    return ctx
