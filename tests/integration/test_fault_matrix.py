"""The fault matrix (issue 11 §7), `make drill`: the appliance pair of `make run` (tools/pairlab,
BIG-IP mode: client, BIG-IP stand-in with its UDP SIP monitor, nodes a and b each with
dbus-daemon, sipd, sipha-netcfg and sipha-agent, all real) under SIPp load through the VIP, one
fault per test, each on a lab of its own (prefix fm<pid>-<case>).

The load (harness/drill.py): two SIPp phones registered with digest (7002, 7003), ten calls
from 7001 established and held (five to 7002, hung up later by the caller; five to 7003, hung up
later by the callee: each SIPp call waits for the test's command on SIPp's 3PCC twin socket),
a REGISTER load at 100/s (a new AOR each time) running from before the fault until the pair
has settled again, a REGISTER query through the VIP every 50 ms, and both nodes' roles read all
the time. Before a fault that can take the primary away the backup must be ready and hold every
call (calls are replicated asynchronously: a call lost to replication lag would not be the
fault's doing).

After each fault, unless its docstring says otherwise:
- the pair settles: exactly one primary (the agents' Role and the sipds' Role on both nodes
  agree), the backup's sipd at the primary's epoch and ready for switchover, the BIG-IP's pool
  pointing at the primary;
- every registration acknowledged (200) before the fault is still bound (queried through the
  VIP, with the very Contact SIPp registered), and so is every one acknowledged afterwards;
- every call established before the fault is hung up through the VIP, half by the caller and
  half by the callee, each BYE answered 200 and received by the other side.

The table is printed at the end of the module and written to <build>/drill/fault_matrix.txt
($SIPHA_DRILL_DIR overrides), each case's logs (agents, sipds, netcfg, BIG-IP monitor, SIPp,
the roles seen) next to it in <case>/. Per fault: outcome (pass; FAIL; xfail: a known product
bug, marked below, still failing); primary before->after; "one primary": from the fault to the
last role change of either agent (their transition history) once the pair ended with exactly
one primary, 0 when the same primary served throughout; "1st answer": from the fault to the
first answer through the VIP to a request sent once the fault was in place; "VIP gap": the
longest time without any answer through the VIP (the BIG-IP's monitor needs its timeout,
0.8 s here, to mark a primary that stopped answering down); registrations acknowledged before
the fault kept; calls hung up. Needs root, SIPp, nftables, conntrack."""

import contextlib
import os
import shutil
import subprocess
import time

import pytest

from conftest import sipd_binary
from harness import drill as drill_mod
from harness.drill import Drill, now, properties, read_roles, describe_roles, wait_for
from pairlab import Lab

MONITOR_INTERVAL = 0.2
MONITOR_TIMEOUT = 0.8
SECTIONS = {
    # A short start-up wait: the lab's agents start a fraction of a second apart.
    "ha": {"startup-wait-ms": 500},
    # The REGISTER load registers AORs that are not Extension DNs.
    "TServer": {"registrar-accept-unknown": "true"},
}
RESULTS = []

def bin_dir():
    return os.path.dirname(os.path.abspath(sipd_binary()))


@pytest.fixture(scope="module", autouse=True)
def table(request):
    """Prints the results table when the module ends and writes it under the report dir."""
    RESULTS.clear()
    yield
    if not RESULTS:
        return
    text = drill_mod.format_table(sorted(RESULTS, key=lambda r: int(r["key"])))
    directory = drill_mod.report_dir()
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "fault_matrix.txt")
    with open(path, "w") as f:
        f.write(text)
    lines = ["", f"fault matrix ({path}):", *text.rstrip("\n").split("\n")]
    plugins = request.config.pluginmanager
    reporter, capture = plugins.getplugin("terminalreporter"), plugins.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        for line in lines:
            if reporter is not None:
                reporter.write_line(line)
            else:
                print(line)


@pytest.fixture
def make_drill(request):
    """make_drill(key, title, **Lab kwargs) -> a Drill on a started lab. At teardown the case's
    row goes to the table, its logs to <report dir>/<key>/, and the lab is stopped (every
    process, namespace and file), also when the test failed."""
    if os.geteuid() != 0:
        pytest.skip("the pair lab needs root")
    missing = [t for t in ("sipp", "nft", "conntrack", "busctl") if not shutil.which(t)]
    if missing:
        pytest.fail(f"needs {', '.join(missing)} (make deps installs them)")
    made = []

    def make(key, title, **kwargs):
        sections = {s: dict(o) for s, o in SECTIONS.items()}
        for section, options in kwargs.pop("sections", {}).items():
            sections.setdefault(section, {}).update(options)
        lab = Lab(bin_dir(), agent=os.environ.get("SIPHA_AGENT"),
                  prefix=f"fm{os.getpid() % 100000}-{key}", monitor_interval=MONITOR_INTERVAL,
                  monitor_timeout=MONITOR_TIMEOUT, sections=sections, **kwargs)
        entry = {"lab": lab, "drill": None, "started": now()}
        made.append(entry)
        lab.start(timeout=60)
        if not lab.agent:
            pytest.fail(f"sipha-agent not found ({lab.agent_wanted}): set SIPHA_AGENT")
        entry["drill"] = Drill(lab, key, title,
                               log_dir=os.path.join(drill_mod.report_dir(), key))
        return entry["drill"]

    yield make
    problems = []
    for entry in made:
        lab, d = entry["lab"], entry["drill"]
        if d is not None:
            d.close()
            d.result["run"] = now() - entry["started"]
            if d.result["outcome"] == "running":
                d.result["outcome"] = "FAIL"
                d.note("the test stopped before its end (see pytest's output)")
            known = request.node.get_closest_marker("xfail")
            if known is not None and d.result["outcome"] == "FAIL":
                d.result["outcome"] = "xfail"
                d.note("known " + known.kwargs.get("reason", "bug"))
        with_logs = d.log_dir if d is not None else None
        if with_logs:
            drill_mod.save_logs(lab, with_logs)
            with open(os.path.join(with_logs, "roles.log"), "w") as f:
                f.write("roles seen (seconds from the fault)\n")
                f.write("\n".join(d.watcher.changes(d.t_fault)) + "\n")
        stopped = lab.stop()
        if stopped:
            problems += stopped
            if d is not None:
                d.result["outcome"] = "FAIL"
                d.note("Lab.stop(): " + " / ".join(p.split("\n")[0] for p in stopped))
        if d is not None:
            RESULTS.append(d.result)
    assert not problems, "\n".join(problems)


# ---- shared steps --------------------------------------------------------------------------

def prepare(d, calls=True):
    """Observers, phones, the REGISTER load (200 acknowledged), the held calls, the backup
    ready and holding every call; returns (primary, backup) names."""
    d.start_observers()
    d.start_phones()
    d.start_register_load()
    if calls:
        d.start_calls()
        return d.wait_replicated()
    return d.wait_backup_ready()


def note_transitions(d):
    """The agents' transitions since the fault, in the case's notes (why it went as it went),
    with their times from the fault."""
    for node in d.lab.nodes.values():
        steps = [f"{f}->{t} ({r}) {at:+.3f} s" for f, t, r, _, at in
                 drill_mod.history(node, d.wall_fault) if r != "peer-alive"]
        if steps:
            d.note(f"agent {node.name}: " + ", ".join(steps[-6:]))


def conclude(d, *, t0=None, wall0=None, may_lose=(), must_lose=(), single_primary=True):
    """The end of every case: the pair settled, calls hung up, the load stopped, registrations
    queried, timings taken (from t0 / wall0, default the fault); the assertions last, so the
    table has the numbers even when one fails. must_lose: registrations expected lost;
    may_lose: either; single_primary: two sipds primary at once after t0 is a failure."""
    try:
        d.wait_settled(timeout=20)
    finally:
        note_transitions(d)
    hung, established = d.hang_up()
    d.result["calls"] = f"{hung}/{d.calls}"
    d.stop_load()
    kept, total, unexpected, missing = d.check_registrations(may_lose=set(may_lose) |
                                                             set(must_lose))
    d.timings(t0, wall0)
    both = d.watcher.max_primaries(t0 if t0 is not None else d.t_fault)
    if both > 1:
        d.note(f"two sipds primary at once seen after the {'heal' if t0 else 'fault'}")
    lost_expected = [u for u in must_lose if u in missing]
    if must_lose:
        d.note(f"{len(lost_expected)}/{len(must_lose)} registrations acknowledged by the "
               f"demoted side during the split lost (expected: all)")
    all_kept, all_acked = d.result["regs_all"]
    if all_kept != all_acked:
        d.note(f"registrations kept overall {all_kept}/{all_acked}")
    problems = []
    if established != d.calls:
        problems.append(f"{established} of {d.calls} calls established before the fault")
    if hung != d.calls:
        problems.append(f"calls hung up {hung}/{d.calls} "
                        f"({d.result.get('calls_detail')}, SIPp exits {d.result['sipp_exit']})")
    if kept != total:
        problems.append(f"registrations acknowledged before the fault kept {kept}/{total}")
    if unexpected:
        problems.append(f"{len(unexpected)} acknowledged registrations missing: "
                        f"{sorted(unexpected)[:10]}")
    if len(lost_expected) != len(must_lose):
        kept_split = sorted(set(must_lose) - set(missing))
        problems.append(f"{len(kept_split)} registrations taken by the demoted side during the "
                        f"split still bound (expected lost): {kept_split[:10]}")
    if single_primary and both > 1:
        problems.append("two sipds were primary at once after the fault")
    d.result["outcome"] = "pass" if not problems else "FAIL"
    for p in problems:
        d.note("FAILED: " + p)
    assert not problems, "; ".join(problems) + d.explain()


def split_brain_seen(roles):
    return all(r.agent_role == "primary" and r.sipd_role == "primary" for r in roles.values())


# ---- the faults ----------------------------------------------------------------------------

def test_01_kill_sipd_on_the_primary(make_drill):
    """1. kill -9 of the primary's sipd: its agent sees it leave the bus at once, demotes and
    says `failing`; the backup promotes (peer-failing) with every binding and call. The lab
    then starts the killed sipd again (systemd's Restart=always) and its agent makes it a
    backup of the new epoch."""
    d = make_drill("1", "1 kill -9 sipd on the primary")
    primary, _ = prepare(d)
    p = d.lab.node(primary)
    d.fault(lambda: p.kill("sipd"))
    d.wait_one_primary(timeout=10, exclude=(primary,))
    p.start_process("sipd")
    conclude(d)


def test_02_sigstop_sipd_on_the_primary(make_drill):
    """2. SIGSTOP of the primary's sipd (hung: on the bus, answering nothing): its agent's ping
    goes unanswered for two dead intervals, it demotes and says `failing`; the backup promotes.
    Once the BIG-IP points at the new primary the old sipd gets SIGCONT: it handles the
    SetRole(backup) waiting for it and follows the new primary."""
    d = make_drill("2", "2 SIGSTOP sipd on the primary")
    primary, _ = prepare(d)
    p = d.lab.node(primary)
    d.fault(lambda: p.pause("sipd"))
    new = d.wait_one_primary(timeout=10, exclude=(primary,))
    d.lab.bigip.wait_target(new, 10)
    p.resume("sipd")
    conclude(d)


def test_03_kill_agent_on_the_primary(make_drill):
    """3. kill -9 of the primary's agent; the lab starts it again (systemd's Restart=always).
    docs/ha-agent.md, "An agent that dies while its sipd serves": the peer falls silent, but its
    service address probe sees the orphaned primary's sipd serve, so it does not promote (its
    history: service-address-served); the restarted agent boots as backup, SetRole(backup)
    frees the role, and exactly one primary follows (whichever the tie-break or the silence
    picks) with every binding and call."""
    d = make_drill("3", "3 kill -9 the primary's agent")
    primary, backup = prepare(d)
    p, b = d.lab.node(primary), d.lab.node(backup)
    d.fault(lambda: p.kill("agent"))
    try:
        wait_for(lambda: "service-address-served" in drill_mod.reasons(b, d.wall_fault), 5,
                 interval=0.05, what="the backup giving up: the orphaned primary serves")
    except AssertionError as e:
        raise AssertionError(f"{e}{d.explain()}") from None
    roles = read_roles(d.lab)
    assert roles[primary].sipd_role == "primary" and roles[backup].sipd_role == "backup", \
        describe_roles(roles) + d.explain()
    p.start_process("agent")
    conclude(d)


def test_04_ha_link_cut(make_drill):
    """4. The HA link cut (silent loss both ways): heartbeats go on over the service network,
    so nobody promotes; replication is cut, so the primary answers REGISTERs without the
    backup's acknowledgement (degraded) and the backup is not ready. Once that is seen the link
    comes back: the backup catches up (resume or snapshot) and every registration, also those
    acknowledged while degraded, is bound."""
    d = make_drill("4", "4 HA link cut")
    primary, backup = prepare(d)
    p = d.lab.node(primary)
    d.fault(d.lab.cut_ha_link)

    def ha_path_dead():
        paths = p.agent_property("PeerPaths") or []
        return {path: alive for path, alive, _ in paths}.get("ha-link") is False

    try:
        wait_for(ha_path_dead, 5, interval=0.05, what="the primary's agent: HA link path dead")
        wait_for(lambda: properties(p, drill_mod.SIPD, "ReplicationState") == ["degraded"], 10,
                 interval=0.05, what="the primary degraded (REGISTERs not acknowledged)")
    except AssertionError as e:
        raise AssertionError(f"{e}{d.explain()}") from None
    d.lab.restore_ha_link()
    conclude(d)
    assert d.watcher.primaries_seen(d.t_fault) == [primary]


def test_05_service_link_cut_on_the_primary(make_drill):
    """5. The primary's service link cut (silent drop on its svc0): the BIG-IP's monitor no
    longer reaches it and it loses its witness while the backup, still heard over the HA link,
    reaches its own: it hands over (witness-lost, or monitor-lost after the monitor timeout:
    probe awareness), the backup promotes (peer-handed-over) and the BIG-IP marks it up once it
    answers the monitor. Then the link comes back and the old primary stays a backup."""
    d = make_drill("5", "5 primary's service link cut")
    primary, _ = prepare(d)
    d.fault(lambda: d.lab.cut_service_link(primary))
    new = d.wait_one_primary(timeout=10, exclude=(primary,))
    d.lab.bigip.wait_target(new, 10)
    d.lab.restore_service_link(primary)
    conclude(d)


def test_06_both_links_of_the_primary_cut(make_drill):
    """6. Both links of the primary cut (the HA link and its service link): it reaches neither
    its witness nor its peer and demotes (isolated); the backup hears nobody, reaches its
    witness, finds nobody serving the peer's service address, promotes (peer-silent). Then both
    links come back: the old primary hears a primary of a higher epoch and stays a backup.
    Two sipds primary at once for a moment is tolerated here (noted in the table): the cut-off
    primary gives up the role about when the backup takes it (docs/ha-agent.md, witness dead
    interval = dead interval), and nobody reaches it meanwhile."""
    d = make_drill("6", "6 both links of the primary cut")
    primary, _ = prepare(d)

    def cut():
        d.lab.cut_ha_link()
        d.lab.cut_service_link(primary)

    d.fault(cut)
    new = d.wait_one_primary(timeout=10, exclude=(primary,))
    d.lab.bigip.wait_target(new, 10)
    d.lab.restore_service_link(primary)
    d.lab.restore_ha_link()
    conclude(d, single_primary=False)


def test_07_simultaneous_start_of_both_nodes(make_drill):
    """7. Both nodes start at the same instant (power back after an outage of both): under the
    REGISTER load both nodes' sipd and agent are killed (-9) and then started together, sipds
    first, then both agents at once. The first heartbeat exchange decides (tie-break: the higher
    epoch, then the lower node id); exactly one primary, and the registrations acknowledged
    before the outage are still bound: the registrar is persistent (its 200 waits for the
    commit) and the primary's journal is the one that counts.

    Different from the other cases: no call survives both sipds dying (calls are not
    persisted), so the held calls are set up after the start, and hung up as in every case;
    times are from the start of the processes."""
    d = make_drill("7", "7 simultaneous start of both nodes")
    prepare(d, calls=False)
    nodes = list(d.lab.nodes.values())

    def power_loss():
        for node in nodes:
            node.kill("agent")
        for node in nodes:
            node.kill("sipd")

    d.fault(power_loss)
    t_start, wall_start = now(), time.time()
    for which in ("sipd", "agent"):
        for node in nodes:
            node.start_process(which, wait=False)
        for node in nodes:
            ready = (lambda n=node: "org.sipha.Agent1" in n.bus.names()) if which == "agent" \
                else (lambda n=node: "READY=1" in n.process("sipd").notify_lines)
            node.process(which).wait_ready(30, ready)
    d.wait_one_primary(timeout=15)
    d.start_calls()
    d.wait_replicated()
    conclude(d, t0=t_start, wall0=wall_start)


def test_08_switchover_under_load(make_drill):
    """8. A switchover under load (`siphactl switchover`, org.sipha.Agent1.Switchover on the
    primary): the primary drains (new requests dropped, their retransmissions reach the new
    primary), demotes, the backup promotes with epoch + 1; siphactl returns once it did. Nothing
    is lost."""
    d = make_drill("8", "8 switchover under load")
    primary, backup = prepare(d)
    p = d.lab.node(primary)
    siphactl = os.path.join(bin_dir(), "siphactl")
    answer = {}

    def switchover():
        if os.access(siphactl, os.X_OK):
            r = subprocess.run([siphactl, "--bus", p.bus_address, "switchover"],
                               capture_output=True, text=True, timeout=20)
            answer["ok"], answer["out"] = r.returncode == 0, (r.stdout + r.stderr).strip()
        else:
            answer["ok"], answer["out"] = p.switchover()

    d.fault(switchover, instant=False)
    assert answer["ok"], f"switchover refused or failed: {answer['out']}{d.explain()}"
    d.wait_one_primary(timeout=10, exclude=(primary,))
    conclude(d)


def test_09_backup_restarted_under_load(make_drill):
    """9. The backup restarted under load (its agent, sipd and sipha-netcfg stopped with
    SIGTERM, then started again in boot order): the primary never changes; while the backup is
    away REGISTERs are answered at once (no backup to wait for); the restarted backup takes a
    snapshot and is ready again, holding every binding and call."""
    d = make_drill("9", "9 backup restarted under load")
    primary, backup = prepare(d)
    b = d.lab.node(backup)

    def restart_backup():
        for which in ("agent", "sipd", "netcfg"):
            b.stop_process(which)
        for which in ("netcfg", "sipd", "agent"):
            b.start_process(which)

    d.fault(restart_backup, instant=False)
    conclude(d)
    assert d.watcher.primaries_seen(d.t_fault) == [primary], d.explain()


def test_10_partition_healed_with_two_primaries(make_drill):
    """10. A partition healed with two primaries: both heartbeat paths cut (the HA link, and the
    service network between the nodes, which also blinds the service address probe: the
    OPTIONS to the peer's sip-interface cross the same bridge) while both nodes still reach the
    BIG-IP. The backup hears nobody, reaches its witness, sees nobody serve the peer's address
    and promotes with epoch + 1: two primaries (docs/ha-agent.md, "Heartbeats lost on both
    paths and the probe blind"). The BIG-IP keeps its target (both members answer), so clients
    still reach the old primary, which answers REGISTERs without its backup (degraded).

    Then the partition heals: the old primary hears a primary of a higher epoch and demotes at
    once (higher-epoch-seen), the BIG-IP moves to the new primary once the old one stops
    answering its monitor, and the old primary follows the new one (snapshot).

    Expected, and asserted: exactly one primary, the new one (higher epoch); every registration
    acknowledged before the split is bound, and so is every call; every registration the old
    primary acknowledged during the split is lost (the new primary never saw it, the demoted
    side takes the new primary's snapshot); those answered between the heal and the BIG-IP's
    move may be either; those after are bound. Times are from the heal."""
    d = make_drill("10", "10 partition healed, two primaries")
    primary, backup = prepare(d)

    def split():
        d.lab.cut_ha_link()
        d.lab.cut_service_path()

    d.fault(split)
    d.wait_roles(split_brain_seen, 10, "both nodes primary")
    d.note(f"split brain reached {(now() - d.t_fault) * 1000:.0f} ms after the cut: both "
           "agents and sipds primary")
    # Acknowledged until the second primary exists: by the old primary, with or without its
    # backup's acknowledgement (the cut is not instant for a REGISTER under way): either.
    at_split = set(d.load.registered())
    # Then some REGISTERs acknowledged by the old primary alone (what it will lose).
    d.load.wait_registered(len(at_split) + 20, 10)
    split_acked = set(d.load.registered())
    t_heal, wall_heal = now(), time.time()
    d.lab.restore_ha_link()
    d.lab.restore_service_path()
    new = d.wait_one_primary(timeout=10)
    d.lab.bigip.wait_target(new, 10)
    moved_acked = set(d.load.registered())
    must_lose = split_acked - at_split
    may_lose = (at_split - set(d.pre_fault)) | (moved_acked - split_acked)
    assert new == backup, f"the old primary {primary} stayed primary{d.explain()}"
    conclude(d, t0=t_heal, wall0=wall_heal, may_lose=may_lose, must_lose=must_lose,
             single_primary=False)
