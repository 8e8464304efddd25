"""Checking registrations in bulk: the AORs a SIPp load saw answered 200, and a pipelined
query REGISTER for each (test_persistence, test_replication)."""

import os
import re

from . import sip


def registered_in_log(path):
    """{aor user: expires} for every REGISTERED line SIPp's register_load.xml logged."""
    out = {}
    if os.path.exists(path):
        with open(path, errors="replace") as f:
            for m in re.finditer(r"REGISTERED (\S+) (\d+)", f.read()):
                out[m.group(1)] = m.group(2)
    return out


def query_all(client, server, users, batch=100, timeout=5.0):
    """A REGISTER without Contact for each user through `client` (a harness.sip UdpClient,
    closed here) to `server` ("host:port"), pipelined; {user: Response or None}."""
    results = {}
    try:
        for start in range(0, len(users), batch):
            pending = {}
            for user in users[start:start + batch]:
                cid = f"verify-{user}-{sip.token()}"
                pending[cid] = user
                client.send(sip.request("REGISTER", f"sip:{server}", "UDP", client.local,
                                        user=user, call_id=cid))
            for resp in client.responses(timeout):
                user = pending.pop(resp.get("call-id"), None)
                if user is not None:
                    results[user] = resp
                if not pending:
                    break
            for user in pending.values():
                results[user] = None
    finally:
        client.close()
    return results
