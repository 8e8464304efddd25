"""Unit tests of the calls lines' logic (lines 5 and 6): the established-calls watch, SIPp's
-trace_counts and UAS statistics, the runner's per-line setup, the sipd config sections, the
per-line budget, bounded waits. Run: python3 -m unittest discover -s bench/tests (no SIPp,
Kamailio or sipd needed)."""

import os
import sys
import tempfile
import time
import types
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import bench  # noqa: E402
import callmemory  # noqa: E402
import configs  # noqa: E402
import procs  # noqa: E402
import report  # noqa: E402
import search  # noqa: E402
from sipp import SippRunner, TrialResult, _lastCounts, _readPeerStats  # noqa: E402


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class EstablishedWatchTest(unittest.TestCase):
    def test_up_when_every_call_is_in_the_pause_then_settled(self):
        clock = FakeClock()
        watch = callmemory.EstablishedWatch(1000, settleSeconds=2.64, clock=clock)
        self.assertIsNone(watch.update({}))
        self.assertIsNone(watch.update({"INVITE_Sent": 1000, "Pause_Sessions": 999}))
        clock.now += 1
        self.assertEqual(watch.update({"INVITE_Sent": 1000, "Pause_Sessions": 1000}), "up")
        clock.now += 2.6
        self.assertIsNone(watch.update({"Pause_Sessions": 1000}))
        clock.now += 0.1
        self.assertEqual(watch.update({"Pause_Sessions": 1000}), "settled")
        self.assertIsNone(watch.update({"Pause_Sessions": 1000}))  # once only
        self.assertEqual(watch.established, 1000)

    def test_failed_calls_measure_the_ones_up_after_a_stall(self):
        clock = FakeClock()
        watch = callmemory.EstablishedWatch(1000, settleSeconds=0, stallSeconds=10, clock=clock)
        self.assertIsNone(watch.update({"INVITE_Sent": 900, "Pause_Sessions": 890}))
        clock.now += 20  # stalled, but not every INVITE is sent yet: keep waiting
        self.assertIsNone(watch.update({"INVITE_Sent": 900, "Pause_Sessions": 890}))
        self.assertIsNone(watch.update({"INVITE_Sent": 1000, "Pause_Sessions": 985}))
        clock.now += 9.9
        self.assertIsNone(watch.update({"INVITE_Sent": 1000, "Pause_Sessions": 985}))
        clock.now += 0.2
        self.assertEqual(watch.update({"INVITE_Sent": 1000, "Pause_Sessions": 985}), "up")
        self.assertEqual(watch.update({"INVITE_Sent": 1000, "Pause_Sessions": 985}), "settled")
        self.assertEqual(watch.established, 985)

    def test_summary_scales_to_a_thousand_calls_up(self):
        result = callmemory.summarize({"before": 1000, "settled": 6000}, 2000, 2000, 500, True)
        self.assertEqual(result["perThousandKiB"], 2500)
        self.assertIn("2.44 MiB", result["text"])
        self.assertIn("not measured", callmemory.summarize({"before": 1}, 0, 10, 5, True)["text"])
        self.assertIn("exited", callmemory.summarize({}, 5, 10, 5, False)["text"])


class SippFilesTest(unittest.TestCase):
    def test_counts_row_by_message_name(self):
        with tempfile.TemporaryDirectory() as stem:
            self.assertEqual(_lastCounts(stem), {})
            with open(os.path.join(stem, "call_uac_123_counts.csv"), "w") as csv:
                csv.write("CurrentTime;ElapsedTime;0_INVITE_Sent;3_200_Recv;4_ACK_Sent;"
                          "5_Pause_Sessions;7_200_Recv;\n")
                csv.write("t;e;10;9;9;9;0;\n")
                csv.write("t;e;20;19;19;18;1;\n")
            counts = _lastCounts(stem)
        self.assertEqual(counts["INVITE_Sent"], 20)
        self.assertEqual(counts["Pause_Sessions"], 18)
        self.assertEqual(counts["200_Recv"], 19)  # the first step of that name

    def test_calls_the_uas_did_not_complete_fail(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "uas-stat.csv")
            with open(path, "w") as csv:
                csv.write("StartTime;SuccessfulCall(C);FailedCall(C);\n")
                csv.write("x;2990;10;\n")
            result = TrialResult(rate=1000, count=3000, successful=3000, created=3000,
                                 elapsed=3.0)
            _readPeerStats(path, result)
            self.assertEqual((result.peerSuccessful, result.failed, result.peerMissing),
                             (2990, 10, 10))
            passed, reason = search.verdict(result, 0.001, 0.9)
            self.assertFalse(passed)
            self.assertIn("10 ended at the UAC but not at the UAS", reason)
            missing = TrialResult(rate=10, count=30, successful=30)
            _readPeerStats(os.path.join(tmp, "absent.csv"), missing)
            self.assertEqual(missing.failed, 30)

    def test_runner_setup_does_not_leak_between_lines(self):
        runner = SippRunner(workDir="/nonexistent")
        runner.use(uasScenario="uas.xml", uasPort=5, service="9", pauseMs=7, retransmit=True,
                   keys={"a": 1})
        runner.use(recvTimeoutS=2.0)
        self.assertEqual((runner.uasScenario, runner.uasPort, runner.service, runner.pauseMs,
                          runner.retransmit, runner.keys, runner.recvTimeoutS),
                         ("", 0, "", 0, False, {}, 2.0))
        self.assertEqual(runner.workDir, "/nonexistent")
        with self.assertRaises(AttributeError):
            runner.use(noSuchField=1)


class ConfigTest(unittest.TestCase):
    def test_trunk_section_and_transaction_table(self):
        writer = configs.sipdConfigWriter(0, False, extra={"sip-timer-t1": 10},
                                          sections={"dn:gw": {"type": "Trunk", "prefix": "9",
                                                              "contact": "127.0.0.1:5070"}})
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "sipd.ini")
            writer(path, 5060, tmp)
            with open(path) as ini:
                text = ini.read()
        self.assertIn("sip-max-transactions = 1000000\nsip-timer-t1 = 10\n", text)
        self.assertIn("\ntrusted-networks = 127.0.0.0/8, ::1/128\n", text)
        self.assertIn("\n[dn:gw]\ntype = Trunk\nprefix = 9\ncontact = 127.0.0.1:5070\n", text)
        self.assertNotIn("type = Extension", text)
        overridden = configs.sipdConfigWriter(0, False, extra={"sip-max-transactions": 5})
        with tempfile.TemporaryDirectory() as tmp:
            overridden(os.path.join(tmp, "sipd.ini"), 5060, tmp)
            with open(os.path.join(tmp, "sipd.ini")) as ini:
                self.assertEqual(ini.read().count("sip-max-transactions"), 1)


class BudgetTest(unittest.TestCase):
    def test_each_search_line_gets_its_share_of_what_is_left(self):
        now = time.monotonic()
        state = types.SimpleNamespace(deadline_=now + 400, searchesLeft_=4)
        self.assertAlmostEqual(bench.Bench.lineDeadline_(state) - now, 100, delta=1)
        state.searchesLeft_ = 1
        self.assertAlmostEqual(bench.Bench.lineDeadline_(state) - now, 400, delta=1)
        state.deadline_ = now - 10  # used up: no time, never negative
        self.assertLessEqual(bench.Bench.lineDeadline_(state), time.monotonic())


class ReportTest(unittest.TestCase):
    def test_calls_row_and_goal(self):
        def found(rate):
            result = search.SearchResult()
            result.best = TrialResult(rate=rate, count=rate * 3, successful=rate * 3,
                                      created=rate * 3, elapsed=3.0)
            result.trials = [(result.best, True, "ok")]
            return result

        table = report.formatTable({"calls": {"sipd": found(8000), "kamailio": found(4000),
                                              "suffix": " (b2bua)"}}, [])
        self.assertIn("5 calls /s, INVITE..BYE (b2bua)", table)
        self.assertIn("2.00  (goal >= 1: met)", table)
        low = report.formatTable({"calls": {"sipd": found(3000), "kamailio": found(4000)}}, [])
        self.assertIn("0.75  (goal >= 1: not shown)", low)


class WaitBoundedTest(unittest.TestCase):
    def test_stops_when_told_and_reports_exit_and_cpu(self):
        started = time.monotonic()
        proc = procs.start(["sleep", "30"])
        ticks = []
        code, stopped, _ = procs.waitBounded(proc, 20, onTick=lambda: ticks.append(1) or
                                             len(ticks) > 3)
        self.assertTrue(stopped)
        self.assertLess(time.monotonic() - started, 5)
        self.assertNotEqual(code, 0)
        self.assertNotIn(proc.pid, procs._groups)
        code, stopped, cpu = procs.run(["python3", "-c", "sum(range(3000000))"], timeout=20)
        self.assertEqual((code, stopped), (0, False))
        self.assertGreater(cpu, 0)
        code, stopped, _ = procs.run(["sleep", "30"], timeout=0.1)
        self.assertTrue(stopped)


if __name__ == "__main__":
    unittest.main()
