"""Hot standby replication (issue 9, docs/replication.md): two sipds in a network namespace of
the test's own behind a BIG-IP stand-in (nftables DNAT of the VIP to the primary, SNAT of the
nodes' SIP to the VIP; harness/pair.py). The primary streams registrar bindings, confirmed
calls and trunk health to the backup over mutually authenticated TLS 1.3; the backup takes
over after a kill -9 of the primary: the VIP moves to it (conntrack flushed) and SetRole makes
it primary with a higher epoch. SIPp and python clients talk to the VIP only.

SIPHA_REPL_AORS (default 2000) and SIPHA_REPL_CALLS (default 20) raise the load."""

import os
import shutil
import struct
import socket
import time

import pytest

from conftest import sipd_binary, sipd_only
from harness import net, pair as pair_mod, sip

pytestmark = sipd_only

AORS = int(os.environ.get("SIPHA_REPL_AORS", "2000"))
CALLS = int(os.environ.get("SIPHA_REPL_CALLS", "20"))


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return pair_mod.PairCerts(tmp_path_factory.mktemp("pair-certs"))


@pytest.fixture
def make_pair(tmp_path, certs):
    """Factory: make_pair(**Pair kwargs) -> a Pair (not started). At teardown every process is
    stopped, the namespace deleted, and each sipd still running must exit 0 on SIGTERM."""
    # Missing capabilities fail: `make deps` installs every tool, and CI runs as root.
    if os.geteuid() != 0:
        pytest.fail("needs root (network namespace, nftables)")
    missing = [tool for tool in ("ip", "nft", "conntrack", "sipp", "ss") if not shutil.which(tool)]
    if missing:
        pytest.fail(f"needs {', '.join(missing)} (make deps installs them)")
    made = []

    def make(**kwargs):
        assert not made, "one pair per test (one namespace)"
        p = pair_mod.Pair(sipd_binary(), tmp_path / "pair", certs, **kwargs)
        made.append(p)
        return p

    yield make
    failures = []
    for p in made:
        failures += p.close()
    assert not failures, "\n".join(failures)


def check_bindings(p, node, load, registered):
    """Every AOR SIPp got a 200 for is bound at `node` (queried through the VIP) with the
    contact SIPp registered."""
    results = p.query_all(sorted(registered))
    lost = []
    for user, call_number in registered.items():
        resp = results.get(user)
        want = load.contact(user, call_number)
        if resp is None or resp.code != 200 or not any(want in c for c in resp.contacts()):
            lost.append((user, resp and resp.code, resp and resp.contacts()))
    assert not lost, (f"{len(lost)} of {len(registered)} acknowledged bindings missing on "
                      f"{node.name}: {lost[:10]}\n{p.explain()}")
    assert int(node.get_property("Bindings")) >= len(registered)


def wait_caught_up(node, timeout=20):
    """The primary's stream is acknowledged by the backup up to its head."""
    def caught_up():
        c = node.replication_counters()
        return c["replication.head"] > 0 and c["replication.acked_seq"] >= c["replication.head"]

    try:
        net.wait_for(caught_up, timeout, interval=0.05, what="backup acked the head")
    except AssertionError as e:
        raise AssertionError(f"{e}; {node.describe()}") from None


def wait_load(p, load, bindings, timeout=60):
    """Until A holds `bindings` bindings (the load under way); fails with SIPp's output when
    SIPp ended without getting there."""
    net.wait_for(lambda: int(p.a.get_property("Bindings")) >= bindings or not load.running(),
                 timeout, interval=0.02, what=f"{bindings} bindings on A")
    if not load.running() and int(p.a.get_property("Bindings")) < bindings:
        raise AssertionError(f"SIPp ended with {len(load.registered())} 200s\n"
                             f"{p.explain(load)}")


def test_registrations_survive_kill_of_primary(make_pair):
    phones = ["7101", "7102", "7103"]
    p = make_pair(extensions=("7001", *phones)).start()
    assert p.b.ready() and p.a.state() == "streaming", p.explain()
    # Phones whose contact is a live SIPp UAS, called after the switchover.
    uas = p.sipp_peer("call_uas.xml", calls=len(phones), timeout=90)
    for phone in phones:
        r = p.register(phone, contact=f"<sip:{phone}@127.0.0.1:{uas.port}>")
        assert r is not None and r.code == 200, r
    users = [str(300000 + i) for i in range(AORS)]
    load = p.register_load(users, rate=500, timeout=60 + AORS // 100)
    # kill -9 of the primary while SIPp still sends: every 200 it saw waited for B's ack.
    wait_load(p, load, len(phones) + AORS * 3 // 4)
    counters_a = p.a.replication_counters()
    still_sending = load.running()
    p.fail_over(epoch=2)
    code = load.wait()
    registered = load.registered()
    print(f"kill -9 of A {'during' if still_sending else 'after'} the load; SIPp exit {code}, "
          f"{len(registered)} of {AORS} REGISTERs answered 200; A before the kill: "
          f"{counters_a}")
    assert len(registered) >= AORS * 3 // 4, f"only {len(registered)} 200s\n{p.explain(load)}"
    assert p.b.get_property("Role") == "primary"
    check_bindings(p, p.b, load, registered)
    # The 200s waited for the backup's ack (synchronous REGISTER).
    assert counters_a["replication.sync_acked"] > 0, counters_a

    # The phones' bindings came across too: calls through the VIP reach the UAS.
    callers = [p.sipp_peer("call_uac.xml", keys={"caller": "7001"}, extra=("-s", phone),
                           timeout=30) for phone in phones]
    results = [c.finish() for c in callers]
    callee = uas.finish(timeout=30)
    assert all(r.returncode == 0 for r in results + [callee]), p.explain(*results, callee)
    uris = {m.uri for m in uas.received(method="INVITE")}
    assert uris == {f"sip:{ph}@127.0.0.1:{uas.port}" for ph in phones}, uris


def test_calls_survive_kill_of_primary(make_pair):
    n_caller = CALLS // 2           # hung up by the caller after the switchover
    n_callee = CALLS - n_caller     # hung up by the callee
    rate = max(10, min(100, CALLS))
    # The conversation outlasts setting up every call, replication and the failover.
    talk_ms = 5000 + 1000 * max(n_caller, n_callee) // rate
    timeout = talk_ms // 1000 + 60
    p = make_pair(extensions=("7001", "7002", "7003", "7004")).start()
    long = ("-d", str(talk_ms))
    uas_wait = p.sipp_peer("call_uas.xml", calls=n_caller, timeout=timeout)
    uas_bye = p.sipp_peer("repl_uas_bye_later.xml", calls=n_callee, timeout=timeout, extra=long)
    uas_hold = p.sipp_peer("repl_uas_hold_resume.xml", calls=1, timeout=timeout)
    for phone, uas in (("7002", uas_wait), ("7003", uas_bye), ("7004", uas_hold)):
        r = p.register(phone, contact=f"<sip:{phone}@127.0.0.1:{uas.port}>")
        assert r is not None and r.code == 200, r
    uac_bye = p.sipp_peer("repl_uac_bye_later.xml", calls=n_caller, rate=rate, timeout=timeout,
                          keys={"caller": "7001"}, extra=("-s", "7002", *long))
    uac_wait = p.sipp_peer("call_uac_wait_bye.xml", calls=n_callee, rate=rate, timeout=timeout,
                           keys={"caller": "7001"}, extra=("-s", "7003"))
    uac_hold = p.sipp_peer("repl_uac_hold_resume.xml", calls=1, timeout=timeout,
                           keys={"caller": "7001"}, extra=("-s", "7004", *long))
    total = CALLS + 1
    started = time.monotonic()
    try:
        net.wait_for(lambda: p.b.counter("replication.call_replicas") == total,
                     max(10, talk_ms / 1000 - 2), interval=0.05,
                     what=f"{total} call replicas on B")
    except AssertionError as e:
        raise AssertionError(f"{e}: {p.b.counter('replication.call_replicas')}; A ActiveCalls "
                             f"{p.a.get_property('ActiveCalls')}\n{p.explain()}") from None
    active_a = int(p.a.get_property("ActiveCalls"))
    p.fail_over(epoch=2)
    print(f"{total} calls replicated {time.monotonic() - started:.2f} s after the UACs started; "
          f"A had {active_a} active; switchover done "
          f"{time.monotonic() - started:.2f} s in (conversation {talk_ms} ms)")
    everyone = [uac_bye, uac_wait, uac_hold, uas_wait, uas_bye, uas_hold]
    results = [peer.finish() for peer in everyone]
    assert all(r.returncode == 0 for r in results), p.explain(*results)
    # Each side got its 200 to its BYE, the far side got the BYE.
    assert len(uas_wait.received(method="BYE")) == n_caller
    assert len([m for m in uac_bye.received(code=200) if m.cseq[1] == "BYE"]) == n_caller
    assert len(uac_wait.received(method="BYE")) == n_callee
    assert len([m for m in uas_bye.received(code=200) if m.cseq[1] == "BYE"]) == n_callee
    # Hold and resume after the switchover: 200 with SDP for both re-INVITEs.
    answers = {m.cseq[0]: m for m in uac_hold.received(code=200) if m.cseq[1] == "INVITE"}
    assert 2 in answers and 3 in answers, answers
    assert "a=recvonly" in answers[2].body and "m=audio" in answers[2].body, answers[2].text
    assert "a=sendrecv" in answers[3].body and "m=audio" in answers[3].body, answers[3].text
    net.wait_for(lambda: int(p.b.get_property("ActiveCalls")) == 0, 10, interval=0.1,
                 what="no active call left on B")


def test_ringing_call_answered_after_switchover(make_pair):
    """A call still ringing when the primary dies is answered after the switchover: the callee's
    200 reaches the new primary through the VIP and completes the call to the caller."""
    ring_ms = 6000
    timeout = ring_ms // 1000 + 40
    p = make_pair(extensions=("7001", "7002")).start()
    uas = p.sipp_peer("repl_uas_ring_late.xml", calls=1, timeout=timeout,
                      extra=("-d", str(ring_ms)))
    r = p.register("7002", contact=f"<sip:7002@127.0.0.1:{uas.port}>")
    assert r is not None and r.code == 200, r
    uac = p.sipp_peer("call_uac_wait_bye.xml", calls=1, timeout=timeout,
                      keys={"caller": "7001"}, extra=("-s", "7002"))
    started = time.monotonic()
    # The ringing call reaches B as a replica (the 180 was relayed to the caller).
    net.wait_for(lambda: p.b.counter("replication.call_replicas") == 1, ring_ms / 1000 - 2,
                 interval=0.05, what="the ringing call's replica on B")
    assert int(p.a.get_property("ActiveCalls")) == 1
    p.fail_over(epoch=2)
    assert time.monotonic() - started < ring_ms / 1000, "the callee answered before the switch"
    results = [peer.finish() for peer in (uac, uas)]
    assert all(r.returncode == 0 for r in results), p.explain(*results)
    # The caller got the 200 (from B) and the callee's BYE; the callee got the ACK and its 200.
    assert [m for m in uac.received(code=200) if m.cseq[1] == "INVITE"]
    assert len(uac.received(method="BYE")) == 1
    assert [m for m in uas.received(code=200) if m.cseq[1] == "BYE"]
    net.wait_for(lambda: int(p.b.get_property("ActiveCalls")) == 0, 10, interval=0.1,
                 what="no active call left on B")


def test_tcp_phone_is_reached_through_its_contact_after_switchover(make_pair):
    """A phone registered over TCP loses its connection with the old primary; the new primary
    reaches it through its registered Contact (connection ids are per node, the replicated
    binding carries none) and accepts its re-registration at once."""
    p = make_pair(extensions=("7001", "7002")).start()
    with p.ns.entered():
        phone = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        phone.bind(("127.0.0.1", 0))
        phone.listen(4)
        reg = sip.StreamClient(p.vip)
    port = phone.getsockname()[1]
    contact = f"<sip:7002@127.0.0.1:{port};transport=tcp>"
    uri = f"sip:{pair_mod.VIP}:{pair_mod.SIP_PORT}"
    call_id = "tcp-phone-reg"
    try:
        r = reg.exchange(sip.request("REGISTER", uri, "TCP", reg.local, user="7002",
                                     call_id=call_id, contact=contact))
        assert r is not None and r.code == 200, r
        net.wait_for(lambda: p.b.counter("registrar.bindings") == 1, 5, interval=0.05,
                     what="the TCP binding on B")
        p.fail_over(epoch=2)
        promoted = time.monotonic()
        # A call to 7002 through the new primary: B connects to the phone's Contact.
        with p.ns.entered():
            caller = sip.UdpClient(p.vip)
        try:
            caller.send(sip.request("INVITE", f"sip:7002@{pair_mod.VIP}:{pair_mod.SIP_PORT}",
                                    "UDP", caller.local, user="7001", to_user="7002",
                                    contact=f"<sip:7001@127.0.0.1:{caller.local[1]}>"))
            phone.settimeout(5)
            conn, _ = phone.accept()
            reached = time.monotonic() - promoted
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                assert chunk, "the connection closed before the INVITE"
                data += chunk
            head = data.split(b"\r\n\r\n", 1)[0].decode()
            assert head.startswith("INVITE sip:7002@127.0.0.1:"), head
            # The phone is busy: 486 goes back on the connection B opened.
            lines = head.split("\r\n")
            keep = [l for l in lines[1:] if l.split(":", 1)[0].lower() in
                    ("via", "from", "to", "call-id", "cseq")]
            keep = [l + ";tag=busy" if l.lower().startswith("to:") else l for l in keep]
            conn.sendall(("SIP/2.0 486 Busy Here\r\n" + "\r\n".join(keep) +
                          "\r\nContent-Length: 0\r\n\r\n").encode())
            final = None
            for resp in caller.responses(10):
                if resp.code >= 200:
                    final = resp
                    break
            assert final is not None and final.code == 486, final
            conn.close()
        finally:
            caller.close()
        print(f"TCP phone reached through its Contact {reached * 1000:.0f} ms after the promotion")
        # Its re-registration over a new connection is answered at once.
        with p.ns.entered():
            again = sip.StreamClient(p.vip)
        try:
            r = again.exchange(sip.request("REGISTER", uri, "TCP", again.local, user="7002",
                                           call_id=call_id, cseq=2, contact=contact))
            assert r is not None and r.code == 200, r
        finally:
            again.close()
    finally:
        reg.close()
        phone.close()


def test_link_flap_resumes_without_snapshot(make_pair):
    p = make_pair().start()
    users = [str(400000 + i) for i in range(1500)]
    load = p.register_load(users, rate=250, timeout=60)
    wait_load(p, load, 250)
    before = p.a.replication_counters()
    assert load.running(), "the load ended before the flap: raise it"
    p.cut_link()
    try:
        p.b.wait_ready(False, timeout=10)
        redials = p.b.counter("replication.connections_opened")
        cut = time.monotonic()
        # Cut for about a second, and at least one redial of B was refused meanwhile.
        net.wait_for(lambda: time.monotonic() - cut >= 1.0 and
                     p.b.counter("replication.connections_opened") > redials, 10,
                     interval=0.05, what="a refused redial of B")
        assert not p.b.ready()
    finally:
        p.restore_link()
    p.b.wait_ready(True, timeout=20)
    after = p.a.replication_counters()
    assert after["replication.resumes"] > before["replication.resumes"], (before, after)
    assert after["replication.snapshots_sent"] == before["replication.snapshots_sent"], \
        (before, after)
    assert after["replication.degraded"] > before["replication.degraded"], (before, after)
    code = load.wait()
    registered = load.registered()
    assert len(registered) == len(users), \
        f"SIPp exit {code}: {len(registered)} 200s\n{p.explain(load)}"
    wait_caught_up(p.a)
    p.fail_over(epoch=2)
    check_bindings(p, p.b, load, registered)


def test_degraded_when_backup_away(make_pair):
    p = make_pair().start()
    c = p.udp()
    try:
        port = c.local[1]

        def register(user):
            t = time.monotonic()
            r = p.register(user, contact=f"<sip:{user}@127.0.0.1:{port}>")
            return r, time.monotonic() - t

        r, _ = register("500000")
        assert r is not None and r.code == 200, r
        before = p.a.replication_counters()
        assert before["replication.sync_acked"] > 0, before
        assert p.a.state() == "streaming"
        p.b.pause()
        r, took = register("500001")
        assert r is not None and r.code == 200 and took < 1.0, (r, took)
        p.a.wait_state("degraded", timeout=5)
        # Degraded: answered at once, without waiting for the backup.
        for i in range(5):
            r, took = register(f"50001{i}")
            assert r is not None and r.code == 200 and took < 0.25, (r, took)
        after = p.a.replication_counters()
        assert after["replication.unsynced_answers"] > before["replication.unsynced_answers"], \
            after
        assert after["replication.degraded"] > before["replication.degraded"], after
        assert "degraded" in p.a.stderr(), p.a.stderr()[-3000:]
        p.b.resume()
        p.a.wait_state("streaming", timeout=20)
        p.b.wait_ready(True, timeout=20)
        synced = p.a.counter("replication.sync_acked")
        r, _ = register("500020")
        assert r is not None and r.code == 200, r
        assert p.a.counter("replication.sync_acked") > synced, p.a.describe()
    finally:
        c.close()
    wait_caught_up(p.a)
    p.fail_over(epoch=2)
    results = p.query_all(["500000", "500001", "500010", "500014", "500020"])
    assert all(r is not None and r.code == 200 and r.contacts() for r in results.values()), \
        {u: r and r.contacts() for u, r in results.items()}


def test_backup_restart_needs_snapshot(make_pair):
    p = make_pair().start()
    users = [str(600000 + i) for i in range(800)]
    load = p.register_load(users, rate=100, timeout=60)
    wait_load(p, load, 100)
    snapshots = p.a.counter("replication.snapshots_sent")
    assert p.b.stop() == 0, p.b.stderr()[-3000:]
    p.b.start_node(write=False)
    assert load.running(), "the load ended before B came back: raise it"
    assert not p.b.ready()
    assert p.b.counter("replication.snapshots_applied") == 0
    ok, out = p.b.set_role("backup", 1)
    assert ok, out

    def ready_only_after_snapshot():
        if not p.b.ready():
            return False
        applied = p.b.counter("replication.snapshots_applied")
        assert applied >= 1, f"ready without a snapshot: {p.b.describe()}"
        return True

    net.wait_for(ready_only_after_snapshot, 20, interval=0.02, what="B ready again")
    assert p.a.counter("replication.snapshots_sent") > snapshots, p.a.describe()
    code = load.wait()
    registered = load.registered()
    assert len(registered) == len(users), \
        f"SIPp exit {code}: {len(registered)} 200s\n{p.explain(load)}"
    wait_caught_up(p.a)
    p.fail_over(epoch=2)
    check_bindings(p, p.b, load, registered)


def test_refusals(make_pair, certs):
    rogue_cert, rogue_key = certs.rogue
    p = make_pair(node_ha={"b": {"certificate": rogue_cert, "private-key": rogue_key}})
    p.start(wait_ready=False)

    # B's certificate is not signed by the pair CA: A refuses every handshake.
    def refusals():
        c = p.a.replication_counters()
        return c["replication.refused.certificate"] + c["replication.refused.handshake"]

    base = refusals()  # A dialled B while it was a backup itself
    net.wait_for(lambda: refusals() >= base + 2, 15, interval=0.1,
                 what="A refusing B's certificate twice")
    assert not p.b.ready() and p.b.state() != "streaming", p.b.describe()
    assert p.a.counter("replication.refused.certificate") > 0, p.a.describe()

    # A valid certificate but a lower epoch: refused as stale.
    assert p.b.stop() == 0
    p.b.sections["ha"].update({"certificate": certs.node["b"][0],
                               "private-key": certs.node["b"][1]})
    p.b.start_node()
    ok, out = p.b.set_role("backup", 0)
    assert ok, out

    def stale():
        return (p.a.counter("replication.refused.stale_epoch") +
                p.b.counter("replication.refused.stale_epoch"))

    stale_base = stale()
    net.wait_for(lambda: stale() > stale_base, 15, interval=0.1,
                 what="the stale epoch refused (A or B)")
    assert not p.b.ready(), p.b.describe()
    # The same node at the pair's epoch is accepted: it was only the epoch.
    ok, out = p.b.set_role("backup", 1)
    assert ok, out
    p.b.wait_ready(True, timeout=20)

    def refused(counter, what, payload=b"", **link):
        """A raw pair-CA link to A sends `payload`; A closes it and counts `counter`."""
        before = p.a.counter(counter)
        conn = p.raw_link(p.a, **link)
        try:
            if payload:
                conn.sendall(payload)
            assert pair_mod.closed_by_peer(conn), f"{what}: the link was not closed"
        finally:
            conn.close()
        net.wait_for(lambda: p.a.counter(counter) > before, 5, what=counter)

    # A certificate of the pair CA on a host that is not the peer is refused.
    refused("replication.refused.not_peer", "a link from another host", source="127.0.0.1")
    # A client of the pair CA sending a frame that does not decode is disconnected.
    refused("replication.refused.garbled", "a garbled frame", struct.pack(">I", 5) + b"junk!")
    # A length prefix over the limit is disconnected before any body arrives.
    refused("replication.refused.oversized", "an oversized frame",
            struct.pack(">I", 0x7FFFFFFF) + b"x" * 16)
    # The real backup follows the primary again afterwards.
    p.b.wait_ready(True, timeout=20)
