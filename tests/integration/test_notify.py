"""sd_notify (sd_notify(3)): READY=1 (the fixture waits for it), STATUS= with the role and
bindings, WATCHDOG=1 when WATCHDOG_USEC is set; SIGTERM is a clean stop (exit 0)."""

from harness import net


def test_status_reports_role_and_follows_set_role(make_sipd):
    sipd = make_sipd(ha_mode="pair").start()
    sipd.wait_bus_name()
    net.wait_for(lambda: sipd.poll_notify(0.05) or sipd.statuses, 5, what="a STATUS=")
    sipd.poll_notify(0)
    assert "backup" in sipd.statuses[-1].lower(), sipd.statuses
    ok, out = sipd.set_role("primary", 1)
    assert ok, out

    def primary_status():
        sipd.poll_notify(0.05)
        return sipd.statuses and "primary" in sipd.statuses[-1].lower()

    net.wait_for(primary_status, 5, what="STATUS= naming the primary role")


def test_watchdog_pings_when_enabled(make_sipd):
    sipd = make_sipd(env={"WATCHDOG_USEC": "400000"}).start()

    def pings():
        sipd.poll_notify(0.05)
        return sipd.watchdogs >= 3

    net.wait_for(pings, 5, what="three WATCHDOG=1 pings")


def test_sigterm_is_a_clean_stop(make_sipd):
    sipd = make_sipd().start()
    assert sipd.stop() == 0, sipd.stderr()
