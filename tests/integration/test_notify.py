"""sd_notify (sd_notify(3)): READY=1 (the fixture waits for it), STATUS= with the role,
RELOADING=1 then READY=1 around a reload, WATCHDOG=1 when WATCHDOG_USEC is set; SIGTERM is a
clean stop (exit 0)."""

import re
import signal


def statuses(lines):
    return [line[7:] for line in lines if line.startswith("STATUS=")]


def test_status_reports_role_and_follows_set_role(make_sipd):
    sipd = make_sipd(ha_mode="pair").start()
    sipd.wait_bus_name()
    assert sipd.wait_notify(statuses, 5), "no STATUS= after start"
    assert "backup" in sipd.statuses[-1].lower(), sipd.statuses
    ok, out = sipd.set_role("primary", 1)
    assert ok, out
    assert sipd.wait_notify(lambda lines: statuses(lines) and "primary" in statuses(
        lines)[-1].lower(), 5), f"no STATUS= naming the primary role: {sipd.statuses}"


def test_reload_is_notified(make_sipd):
    sipd = make_sipd().start()
    count = len(sipd.notify_lines)
    sipd.sighup()

    def reloaded(lines):
        new = lines[count:]
        return "RELOADING=1" in new and "READY=1" in new[new.index("RELOADING=1"):]

    assert sipd.wait_notify(reloaded, 10), f"no RELOADING=1/READY=1: {sipd.notify_lines}"


def test_watchdog_pings_when_enabled(make_sipd):
    sipd = make_sipd(env={"WATCHDOG_USEC": "400000"}).start()
    assert sipd.wait_notify(lambda lines: lines.count("WATCHDOG=1") >= 3, 5), sipd.notify_lines


def test_sigterm_is_a_clean_stop(make_sipd):
    sipd = make_sipd().start()
    assert sipd.stop() == 0, sipd.stderr()
    # The datagram was sent before exit; the reader thread may still be picking it up.
    assert sipd.wait_notify(lambda lines: "STOPPING=1" in lines, 5), sipd.notify_lines


def test_sigint_is_a_clean_stop(make_sipd):
    sipd = make_sipd().start()
    sipd.proc.send_signal(signal.SIGINT)
    assert sipd.proc.wait(10) == 0, sipd.stderr()


def test_status_follows_the_binding_count(make_sipd):
    """STATUS= names the bindings: after 3 REGISTERs a STATUS= with 3 arrives (rate-limited
    updates are fine: 10 s bound)."""
    sipd = make_sipd(extensions=("7001", "7002", "7003")).start()
    c = sipd.udp()
    try:
        for user in ("7001", "7002", "7003"):
            r = sipd.register(c, user, contact=f"<sip:{user}@127.0.0.1:{c.local[1]}>",
                              expires=600, call_id=f"{user}@t")
            assert r is not None and r.code == 200, r
    finally:
        c.close()

    def shows_three(lines):
        return [s for s in statuses(lines) if re.search(r"\b3 binding", s)]

    assert sipd.wait_notify(shows_three, 10), f"STATUS= not updated: {sipd.statuses}"
