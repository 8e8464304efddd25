"""The torture corpus (tests/data/torture): messages and their expected outcome."""

import os
import re

NO_ANSWER = {"drop", "dropped", "none", "no-answer", "noanswer", "ignore", "silent", "-"}


class Case:
    def __init__(self, path, valid, code=None, reason=None):
        self.path = path
        self.name = os.path.basename(path)
        self.valid = valid
        self.code = code  # expected status for an invalid message; None: no answer
        self.reason = reason  # substring of the reason phrase, or None
        with open(path, "rb") as f:
            self.data = f.read()

    @property
    def is_request(self):
        return not self.data.lstrip().startswith(b"SIP/")

    @property
    def method(self):
        return self.data.lstrip().split(b" ", 1)[0].decode("ascii", "replace")

    def __repr__(self):
        return f"{'valid' if self.valid else 'invalid'}/{self.name}"


def parse_expected(path):
    """{file name: (code or None, reason substring or None)} from expected.txt.

    Accepted line forms (comments start with #): "NAME CODE [REASON...]", "NAME: CODE REASON",
    "NAME drop"; REASON may be quoted."""
    out = {}
    with open(path, errors="replace") as f:
        for line in f:
            line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
            if not line:
                continue
            m = re.match(r'^(\S+?):?\s+(.*)$', line)
            if not m:
                continue
            name, rest = os.path.basename(m.group(1)), m.group(2).strip()
            if rest.split()[0].lower() in NO_ANSWER:
                out[name] = (None, None)
                continue
            cm = re.match(r'^(\d{3})\s*(.*)$', rest)
            if not cm:
                continue
            reason = cm.group(2).strip().strip('"').strip() or None
            out[name] = (int(cm.group(1)), reason)
    return out


def load(root):
    expected = parse_expected(os.path.join(root, "expected.txt"))
    cases = []
    for kind in ("valid", "invalid"):
        folder = os.path.join(root, kind)
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".sip"):
                continue
            code, reason = expected.get(name, (None, None)) if kind == "invalid" else (None, None)
            case = Case(os.path.join(folder, name), kind == "valid", code, reason)
            case.listed = name in expected
            cases.append(case)
    return cases


_VIA = re.compile(rb"^((?:Via|v)[ \t]*:[ \t]*SIP[ \t]*/[ \t]*2\.0[ \t]*/[ \t]*UDP[ \t]+)"
                  rb"([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(?=[ \t;,\r\n])",
                  re.IGNORECASE | re.MULTILINE)


def route_to(data, local):
    """The message with its first Via sent-by (when well formed) replaced by local, so a UDP
    response comes back to the test (RFC 3261 section 18.2.2); None if no Via matched."""
    head_end = data.find(b"\r\n\r\n")
    head_end = len(data) if head_end < 0 else head_end
    m = _VIA.search(data, 0, head_end)
    if not m:
        return None
    return data[:m.start(2)] + f"{local[0]}:{local[1]}".encode() + data[m.end():]
