"""Persistent registrar (internal-registrar-persistent): every REGISTER answered 200 survives
a SIGKILL of sipd in the middle of a REGISTER load and a restart on the same data-dir."""

import os
import subprocess
import time

from harness import net, registrations, sipp

AORS = [str(n) for n in range(8000, 10000)]  # 2,000 Extension DNs


def query_all(sipd, users, batch=100, timeout=5.0):
    return registrations.query_all(sipd.udp(), f"{sipd.host}:{sipd.port}", users, batch, timeout)


def test_bindings_survive_sigkill_under_register_load(make_sipd, tmp_path):
    dns = {aor: {"type": "Extension"} for aor in AORS}
    sipd = make_sipd(dns=dns, extensions=()).start()
    sipd.wait_bus_name()
    workdir = tmp_path / "sipp"
    csv = sipp.write_csv(tmp_path / "aors.csv", [[a] for a in AORS])
    log = os.path.join(tmp_path, "registered.log")
    sipp_port = net.free_udp_tcp_port()
    cmd, _ = sipp.command("register_load.xml", sipd.address, workdir, transport="u1",
                          calls=len(AORS), rate=400, inf=str(csv), port=sipp_port,
                          trace_msg=False, timeout=90,
                          extra=["-trace_logs", "-log_file", log])
    load = subprocess.Popen(cmd, cwd=workdir, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # Kill once a quarter of the AORs are bound, while SIPp is still sending.
        net.wait_for(lambda: int(sipd.get_property("Bindings")) >= len(AORS) // 4, 60,
                     interval=0.01, what="a quarter of the AORs bound")
        assert load.poll() is None, "SIPp finished before the kill: raise the load"
        sipd.kill()
        load.wait(90)
    finally:
        if load.poll() is None:
            load.kill()
            load.wait(10)
    registered = registrations.registered_in_log(log)
    # Bindings counts bindings accepted in memory; their 200s wait for the group commit, so at
    # the kill some of the quarter are not yet acknowledged (nor promised): allow for them.
    assert len(registered) >= len(AORS) // 8, f"only {len(registered)} 200s logged by SIPp"
    assert len(registered) < len(AORS), "every REGISTER succeeded: the kill came too late"

    print(f"SIGKILL after {len(registered)} of {len(AORS)} REGISTERs were answered 200")
    sipd.start(write=False)
    sipd.wait_bus_name()
    results = query_all(sipd, sorted(registered))
    lost = []
    for user, call_number in registered.items():
        resp = results.get(user)
        want = f"sip:{user}@127.0.0.1:{sipp_port};load={call_number}"
        if resp is None or resp.code != 200 or not any(want in c for c in resp.contacts()):
            lost.append((user, resp and resp.code, resp and resp.contacts()))
    assert not lost, f"{len(lost)} of {len(registered)} acknowledged bindings lost: {lost[:10]}"
    assert int(sipd.get_property("Bindings")) >= len(registered)


def wait_until_wall_clock(deadline):
    """Expiry is defined by wall-clock time: wait until it has passed (bounded by deadline)."""
    net.wait_for(lambda: time.time() > deadline, deadline - time.time() + 5, interval=0.05,
                 what="the expiry time")


def test_binding_expires_and_is_not_restored_after_expiry(make_sipd):
    sipd = make_sipd(tserver={"registrar-min-expires": 1}).start()
    sipd.wait_bus_name()
    c = sipd.udp()
    try:
        r = sipd.register(c, "7001", contact=f"<sip:7001@127.0.0.1:{c.local[1]}>", expires=2)
        assert r is not None and r.code == 200, r
        keep = sipd.register(c, "7002", contact=f"<sip:7002@127.0.0.1:{c.local[1]}>",
                             expires=3600, call_id="keep@t")
        assert keep is not None and keep.code == 200, keep
        # The expiry timer removes the binding while sipd runs (RFC 3261 section 10.3 step 8).
        net.wait_for(lambda: int(sipd.get_property("Bindings")) == 1, 10,
                     what="the 2 s binding expired")
        q = sipd.register(c, "7001", call_id="q1@t")
        assert q is not None and q.code == 200 and q.contacts() == [], q and q.raw
        # A binding that expires while sipd is down is not restored; a live one is.
        r = sipd.register(c, "7001", contact=f"<sip:7001@127.0.0.1:{c.local[1]}>", expires=2,
                          call_id="again@t")
        assert r is not None and r.code == 200, r
        expiry = time.time() + 2
        assert sipd.stop() == 0
        wait_until_wall_clock(expiry + 0.5)
        sipd.start(write=False)
        sipd.wait_bus_name()
        q = sipd.register(c, "7001", call_id="q2@t")
        assert q is not None and q.code == 200 and q.contacts() == [], q and q.raw
        q = sipd.register(c, "7002", call_id="q3@t")
        assert q is not None and any(f":{c.local[1]}" in x for x in q.contacts()), q and q.raw
        assert int(sipd.get_property("Bindings")) == 1
    finally:
        c.close()


def test_not_persistent_when_disabled(make_sipd):
    """internal-registrar-persistent = false: bindings live in memory only."""
    sipd = make_sipd(tserver={"internal-registrar-persistent": "false"}).start()
    c = sipd.udp()
    try:
        r = sipd.register(c, "7001", contact=f"<sip:7001@127.0.0.1:{c.local[1]}>", expires=600)
        assert r is not None and r.code == 200, r
        assert sipd.stop() == 0
        assert not os.path.exists(os.path.join(sipd.data_dir, "registrar.sqlite"))
        sipd.start(write=False)
        q = sipd.register(c, "7001", call_id="after@t")
        assert q is not None and q.code == 200 and q.contacts() == [], q and q.raw
    finally:
        c.close()


def test_persistent_across_clean_restart(make_sipd):
    sipd = make_sipd().start()
    c = sipd.tcp()
    try:
        contact = f"<sip:7001@127.0.0.1:{c.local[1]};transport=tcp>"
        r = sipd.register(c, "7001", contact=contact, expires=600)
        assert r is not None and r.code == 200, r
    finally:
        c.close()
    assert sipd.stop() == 0
    assert os.path.exists(os.path.join(sipd.data_dir, "registrar.sqlite"))
    sipd.start(write=False)
    u = sipd.udp()
    try:
        q = sipd.register(u, "7001", call_id="after@t")
        assert q is not None and any(f":{c.local[1]};transport=tcp" in x for x in q.contacts()), \
            q and q.raw
    finally:
        u.close()
