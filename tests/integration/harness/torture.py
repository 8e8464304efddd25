"""The torture corpus (tests/data/torture): messages and their expected outcome."""

import os
import re


class Case:
    def __init__(self, path, valid, expectation=None):
        self.path = path
        self.name = os.path.basename(path)
        self.valid = valid
        self.listed = expectation is not None
        outcome, status, transports, reason = expectation or ("respond", None, "any", None)
        self.code = status if outcome == "respond" else None  # None: no answer expected
        self.reason = reason
        self.transports = transports  # "any" or "udp" (datagram framing only)
        with open(path, "rb") as f:
            self.data = f.read()

    @property
    def is_request(self):
        return not self.data.lstrip().upper().startswith(b"SIP/")

    @property
    def method(self):
        return self.data.lstrip().split(b" ", 1)[0].decode("ascii", "replace")

    def runs_over(self, transport):
        return self.transports == "any" or self.transports == transport

    def __repr__(self):
        return f"{'valid' if self.valid else 'invalid'}/{self.name}"


def parse_expected(path):
    """expected.txt: "file outcome status transports reason-substring" per line, # comments.

    Returns {file: (outcome, status or None, transports, reason or None)}."""
    out = {}
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            fields = line.split(None, 4)
            if len(fields) < 4:
                raise ValueError(f"{path}: bad line {line!r}")
            name, outcome, status, transports = fields[:4]
            if outcome not in ("respond", "drop") or transports not in ("any", "udp"):
                raise ValueError(f"{path}: bad line {line!r}")
            reason = fields[4].strip() if len(fields) > 4 else None
            out[name] = (outcome, int(status) if status.isdigit() else None, transports, reason)
    return out


def load(root):
    expected = parse_expected(os.path.join(root, "expected.txt"))
    cases = []
    for kind in ("valid", "invalid"):
        folder = os.path.join(root, kind)
        for name in sorted(os.listdir(folder)):
            if name.endswith(".sip"):
                cases.append(Case(os.path.join(folder, name), kind == "valid",
                                  expected.get(name) if kind == "invalid" else None))
    return cases


# The first Via's sent-protocol and sent-by (RFC 3261 section 20.42), whitespace tolerated.
_HOST = rb"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?"
_V6 = rb"\[[0-9A-Fa-f:.]+\]"
_TOKEN = rb"[A-Za-z0-9.!%*_+`'~-]+"


def _via(host):
    return re.compile(rb"^((?:Via|v)[ \t]*:[ \t]*SIP[ \t]*/[ \t]*2\.0[ \t]*/[ \t]*)(" + _TOKEN +
                      rb")([ \t]+)(" + host + rb")([ \t]*:[ \t]*[0-9]{1,5})?(?=[ \t;,\r\n])",
                      re.IGNORECASE | re.MULTILINE)


_VIA_PLAIN = _via(_HOST)
_VIA_ANY = _via(_HOST + rb"|" + _V6)


def route_to(data, transport, local, ipv6_too=False):
    """The message with its first Via's protocol (any token, RFC 3261 section 25.1) and
    sent-by replaced by the test's transport and socket,
    so the response comes back to it (RFC 3261 section 18.2.2); None when no well-formed
    first Via was found. ipv6_too also rewrites a bracketed IPv6 sent-by (valid messages
    only: in invalid ones the reference itself may be the error)."""
    head_end = data.find(b"\r\n\r\n")
    head_end = len(data) if head_end < 0 else head_end
    regex = _VIA_ANY if ipv6_too else _VIA_PLAIN
    first = re.search(rb"^(?:Via|v)[ \t]*:", data[:head_end], re.IGNORECASE | re.MULTILINE)
    if not first:
        return None
    m = regex.match(data, first.start(), head_end)
    if not m:
        return None
    sent_by = f"{local[0]}:{local[1]}".encode()
    return (data[:m.start(2)] + transport.encode() + m.group(3) + sent_by + data[m.end():])
