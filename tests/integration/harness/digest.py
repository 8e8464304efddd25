"""HTTP digest for SIP (RFC 3261 section 22.4, RFC 7616, RFC 8760: SHA-256 and MD5)."""

import hashlib
import os
import re

HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


def parse_challenge(value):
    """'Digest realm="x", nonce="y", algorithm=SHA-256, qop="auth"' -> dict."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        raise ValueError(f"not a digest challenge: {value}")
    params = {}
    for m in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]+)', rest):
        params[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2)
    params.setdefault("algorithm", "MD5")
    return params


def authorization(challenge, method, uri, user, password, nc=1, cnonce=None):
    """The Authorization header value answering challenge (a parse_challenge dict)."""
    algorithm = challenge.get("algorithm", "MD5")
    h = HASHES[algorithm.upper()]

    def hexh(s):
        return h(s.encode()).hexdigest()

    realm, nonce = challenge["realm"], challenge["nonce"]
    ha1 = hexh(f"{user}:{realm}:{password}")
    ha2 = hexh(f"{method}:{uri}")
    qops = [q.strip() for q in challenge.get("qop", "").split(",") if q.strip()]
    parts = [f'username="{user}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"',
             f"algorithm={algorithm}"]
    if "auth" in qops:
        cnonce = cnonce or os.urandom(8).hex()
        ncs = f"{nc:08x}"
        response = hexh(f"{ha1}:{nonce}:{ncs}:{cnonce}:auth:{ha2}")
        parts += [f"qop=auth", f"nc={ncs}", f'cnonce="{cnonce}"']
    else:
        response = hexh(f"{ha1}:{nonce}:{ha2}")
    parts.append(f'response="{response}"')
    if "opaque" in challenge:
        parts.append(f'opaque="{challenge["opaque"]}"')
    return "Digest " + ", ".join(parts)
