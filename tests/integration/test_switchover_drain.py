"""Switchover drain (docs/replication.md, "Switchover drain" and "Who serves"), on the real pair
of test_replication.py (harness/pair.py: two sipds in a network namespace of their own behind an
nftables BIG-IP stand-in, a private bus each).

- A primary of a pair names itself in every OPTIONS 200: X-Sipha-Serving: node=<node-id>;
  epoch=<epoch> (stateless and through a transaction); a new epoch changes it; a standalone
  sipd sends none.
- StopTakingTransactions(timeout_ms) on the primary answers once the backup acknowledged every
  record; from then on a new request is dropped unanswered (switchover.dropped_requests) while a
  retransmission of a transaction under way is still answered. After SetRole(backup) on A and
  SetRole(primary, epoch + 1) on B the client's retransmission of the dropped REGISTER is
  answered by B and the binding is there. ResumeTakingTransactions undoes the stop. A backup
  refuses the call (NotPrimary), a primary without a backup answers NoBackup at once; with the
  backup paused (SIGSTOP) the answer waits until it runs again, or ends with DrainTimeout (still
  stopped)."""

import concurrent.futures

from conftest import sipd_only
from harness import net, pair as pair_mod, sip
from test_replication import certs, make_pair  # noqa: F401 (fixtures)

pytestmark = sipd_only

URI = f"sip:{pair_mod.VIP}:{pair_mod.SIP_PORT}"


def serving(resp):
    """The X-Sipha-Serving value of a response, or None."""
    return resp.get("x-sipha-serving")


def options_via_vip(p, to_tag=False):
    """An OPTIONS to the service address: stateless, or (to_tag) in a dialog, through a server
    transaction."""
    c = p.udp()
    try:
        req = sip.request("OPTIONS", URI, "UDP", c.local)
        if to_tag:
            req = req.replace(f"To: <sip:probe@{pair_mod.VIP}>".encode(),
                              f"To: <sip:probe@{pair_mod.VIP}>;tag=dialog".encode())
        return c.exchange(req, timeout=3.0)
    finally:
        c.close()


def register_request(client, user):
    return sip.request("REGISTER", URI, "UDP", client.local, user=user,
                       contact=f"<sip:{user}@127.0.0.1:{client.local[1]}>")


def stop_taking(node, timeout_ms):
    """StopTakingTransactions: (ok, dbus-send output with the error name on failure)."""
    return node.call_raw("StopTakingTransactions", f"uint32:{timeout_ms}")


def resume_taking(node):
    return node.call_raw("ResumeTakingTransactions")


def taking(node):
    return bool(node.get_property("TakingTransactions"))


def dropped(node):
    return node.counter("switchover.dropped_requests")


def final_response(client, data, timeout=3.0):
    """Sends `data` and returns its first final response (matched by Call-ID), or None."""
    return client.exchange(data, timeout=timeout)


def test_primary_options_name_the_node_and_epoch(make_pair):
    p = make_pair().start(epoch=1)
    for to_tag in (False, True):
        r = options_via_vip(p, to_tag)
        assert r is not None and r.code == 200, r
        assert serving(r) == "node=sipd-a;epoch=1", r.headers
    # A higher epoch while primary: the next answer says so.
    ok, out = p.a.set_role("primary", 4)
    assert ok, out
    for to_tag in (False, True):
        r = options_via_vip(p, to_tag)
        assert r is not None and r.code == 200, r
        assert serving(r) == "node=sipd-a;epoch=4", r.headers
    assert p.a.counter("options.rx") >= 4


def test_standalone_options_have_no_serving_header(sipd):
    r = sipd.options()
    assert r is not None and r.code == 200, r
    assert serving(r) is None, r.headers
    ok, out = sipd.set_role("primary", 3)
    assert ok, out
    r = sipd.options()
    assert r is not None and r.code == 200 and serving(r) is None, r and r.headers


def test_drained_switchover_loses_no_register(make_pair):
    p = make_pair().start(epoch=1)
    assert taking(p.a) and not taking(p.b)
    c = p.udp()
    try:
        before_stop = register_request(c, "7301")
        r = final_response(c, before_stop)
        assert r is not None and r.code == 200, r

        ok, out = stop_taking(p.a, 2000)
        assert ok, out
        assert not taking(p.a)
        counters = p.a.replication_counters()
        assert counters["replication.acked_seq"] == counters["replication.head"], counters
        # A transaction that exists still answers its retransmission; the service address still
        # answers OPTIONS and says who serves it.
        r = final_response(c, before_stop)
        assert r is not None and r.code == 200, r
        r = options_via_vip(p)
        assert r is not None and serving(r) == "node=sipd-a;epoch=1", r

        # A new REGISTER: dropped by A, unanswered.
        register_rx, answered = p.a.counter("register.rx"), p.a.counter("responses.2xx")
        during_stop = register_request(c, "7302")
        c.send(during_stop)
        net.wait_for(lambda: dropped(p.a) >= 1, 5, what="A dropping the new REGISTER")
        assert p.a.counter("register.rx") == register_rx
        assert p.a.counter("responses.2xx") == answered
        assert c.recv(0.05) is None  # nothing came back: it was dropped, not answered

        # The switchover: A backup, the VIP to B, B primary at the next epoch.
        ok, out = p.a.set_role("backup", 2)
        assert ok, out
        p.set_target("b")
        p.promote("b", 2)
        assert taking(p.b) and not taking(p.a)

        # The client retransmits (same branch, same bytes): B answers and holds the binding.
        r = final_response(c, during_stop)
        assert r is not None and r.code == 200, f"{r}\n{p.explain()}"
        assert p.b.counter("register.rx") >= 1
        assert p.a.counter("responses.2xx") == answered
    finally:
        c.close()
    results = p.query_all(["7301", "7302"])
    assert all(r is not None and r.code == 200 and r.contacts() for r in results.values()), \
        {u: r and r.contacts() for u, r in results.items()}
    r = options_via_vip(p)
    assert r is not None and serving(r) == "node=sipd-b;epoch=2", r
    # A follows B as backup; its counter kept the drop.
    p.a.wait_ready(True)
    assert dropped(p.a) >= 1


def test_resume_and_refusals(make_pair):
    p = make_pair().start(epoch=1)
    # Only a primary stops taking transactions.
    ok, out = stop_taking(p.b, 1000)
    assert not ok and "org.sipha.Sipd1.NotPrimary" in out, out
    assert taking(p.a)

    ok, out = stop_taking(p.a, 1000)
    assert ok, out
    c = p.udp()
    try:
        req = register_request(c, "7311")
        c.send(req)
        net.wait_for(lambda: dropped(p.a) >= 1, 5, what="A dropping the REGISTER")
        # Abandoned switchover: A takes transactions again; the retransmission is answered.
        ok, out = resume_taking(p.a)
        assert ok, out
        assert taking(p.a)
        r = final_response(c, req)
        assert r is not None and r.code == 200, r
        # A second Resume changes nothing.
        ok, out = resume_taking(p.a)
        assert ok, out
    finally:
        c.close()

    # SetRole(primary) of the current role and epoch ends a stop too.
    ok, out = stop_taking(p.a, 1000)
    assert ok, out
    assert not taking(p.a)
    ok, out = p.a.set_role("primary", 1)
    assert ok, out
    assert taking(p.a)

    # No backup: NoBackup at once, and nothing changes.
    assert p.b.stop() == 0, p.b.stderr()[-3000:]
    net.wait_for(lambda: p.a.state() in ("degraded", "connecting"), 10, interval=0.05,
                 what="A without its backup")
    ok, out = stop_taking(p.a, 1000)
    assert not ok and "org.sipha.Sipd1.NoBackup" in out, out
    assert taking(p.a)
    r = p.register("7312")
    assert r is not None and r.code == 200, r


def unacknowledged(node):
    """The primary published a record its backup has not acknowledged yet."""
    counters = node.replication_counters()
    return counters["replication.head"] > counters["replication.acked_seq"]


def test_the_drain_answers_when_the_backup_has_acknowledged(make_pair):
    p = make_pair().start(epoch=1)
    c = p.udp()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            # B stopped (SIGSTOP: the link stays up for 3 s) while a REGISTER's record waits for
            # its acknowledgement: the drain cannot end before B runs again.
            p.b.pause()
            c.send(register_request(c, "7321"))
            net.wait_for(lambda: unacknowledged(p.a), 5, what="a record B has not acknowledged")
            pending = pool.submit(stop_taking, p.a, 10000)
            net.wait_for(lambda: not taking(p.a), 5, what="A stopped taking transactions")
            assert not pending.done()
            p.b.resume()
            ok, out = pending.result(timeout=15)
            assert ok, out
        counters = p.a.replication_counters()
        assert counters["replication.acked_seq"] == counters["replication.head"], counters
        assert not taking(p.a)
        # The REGISTER under way was answered (after B's ack, or degraded without it).
        r = next((resp for resp in c.responses(3.0) if resp.code >= 200), None)
        assert r is not None and r.code == 200, r
    finally:
        c.close()
        if p.b.stopped:
            p.b.resume()


def test_a_silent_backup_makes_the_drain_time_out(make_pair):
    p = make_pair().start(epoch=1)
    p.b.pause()  # SIGSTOP: the link stays up (for 3 s), nothing is acknowledged
    c = p.udp()
    try:
        # A REGISTER under way: its record waits for B's acknowledgement.
        c.send(register_request(c, "7331"))
        net.wait_for(lambda: unacknowledged(p.a), 5, what="a record B has not acknowledged")
        ok, out = stop_taking(p.a, 300)
        assert not ok and "org.sipha.Sipd1.DrainTimeout" in out, out
        # Still stopped after the timeout; the REGISTER under way got its answer all the same
        # (degraded: answered without the backup).
        assert not taking(p.a)
        r = next((resp for resp in c.responses(3.0) if resp.code >= 200), None)
        assert r is not None and r.code == 200, r
        c.send(register_request(c, "7332"))
        net.wait_for(lambda: dropped(p.a) >= 1, 5, what="A dropping a new REGISTER")
    finally:
        c.close()
        p.b.resume()
    ok, out = resume_taking(p.a)
    assert ok, out
    assert taking(p.a)
    p.a.wait_state("streaming")
    r = p.register("7333")
    assert r is not None and r.code == 200, r
