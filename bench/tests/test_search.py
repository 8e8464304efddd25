"""Unit tests of the bench's own logic: the rate search against a simulated server, the verdict
rules, the SIPp statistics parser and the notify socket. Run: python3 -m unittest discover
bench/tests (no SIPp, Kamailio or sipd needed)."""

import os
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import report  # noqa: E402
import search  # noqa: E402
from notify import NotifySocket  # noqa: E402
from sipp import TrialResult, _readStats  # noqa: E402


def simulatedServer(capacity, log):
    """trial(rate): every call answered up to `capacity`/s, 5% of the excess lost above it."""

    def trial(rate):
        log.append(rate)
        count = rate * 3
        lost = 0 if rate <= capacity else max(int((rate - capacity) * 3 * 0.05), 1)
        return TrialResult(rate=rate, count=count, successful=count - lost, failed=lost,
                           created=count, elapsed=3.0, recvTimeoutS=2.0)

    return trial


class SearchTest(unittest.TestCase):
    def test_finds_capacity_within_precision(self):
        for capacity in (230, 7300, 41000):
            log = []
            found = search.runInterleaved(
                [search.RateSearch(simulatedServer(capacity, log), "sim", 5000, maxTrials=20)])[0]
            self.assertLessEqual(found.bestRate, capacity, log)
            self.assertGreaterEqual(found.bestRate, capacity * 0.85, log)
            self.assertEqual(found.stopReason, "converged", log)

    def test_trial_budget_is_a_hard_bound(self):
        log = []
        search.runInterleaved([search.RateSearch(simulatedServer(10**6, log), "sim", 100,
                                                 maxTrials=4, maxRate=10**9)])
        self.assertEqual(len(log), 4)

    def test_a_failure_is_retried_once(self):
        answers = iter([100, 100, 0])  # lost calls of the successive trials

        def trial(rate):
            lost = next(answers, 0)
            return TrialResult(rate=rate, count=3000, successful=3000 - lost, failed=lost,
                               created=3000, elapsed=3.0)

        rs = search.RateSearch(trial, "sim", 1000, maxTrials=3)
        rs.step()
        self.assertEqual(rs.rate_, 1000)  # same rate again: one retry
        rs.step()
        self.assertEqual(rs.rate_, 500)  # failed twice: now lower
        rs.step()
        self.assertEqual(rs.result.bestRate, 500)
        self.assertEqual([r.rate for r, _, _ in rs.result.trials], [1000, 1000, 500])

    def test_interleaving_alternates_servers(self):
        order = []

        def tagged(name):
            def trial(rate):
                order.append(name)
                return TrialResult(rate=rate, count=3, successful=3, created=3, elapsed=3.0)
            return trial

        search.runInterleaved([search.RateSearch(tagged("a"), "a", 100, maxTrials=3),
                               search.RateSearch(tagged("b"), "b", 100, maxTrials=3)])
        self.assertEqual(order, ["a", "b"] * 3)

    def test_time_budget_stops_every_search(self):
        log = []
        found = search.runInterleaved(
            [search.RateSearch(simulatedServer(10**6, log), "sim", 100)],
            deadline=time.monotonic() - 1)[0]
        self.assertEqual(log, [])
        self.assertIn("time budget", found.stopReason)

    def test_dead_server_stops_the_search(self):
        log = []
        found = search.runInterleaved([search.RateSearch(simulatedServer(10**6, log), "sim",
                                                         100, abort=lambda: "server exited")])[0]
        self.assertEqual(len(log), 1)
        self.assertEqual(found.stopReason, "server exited")


class VerdictTest(unittest.TestCase):
    def test_rules(self):
        ok = TrialResult(rate=1000, count=3000, successful=3000, created=3000, elapsed=3.0)
        self.assertTrue(search.verdict(ok, 0.001, 0.9)[0])
        lossy = TrialResult(rate=1000, count=3000, successful=2997, failed=3, created=3000,
                            elapsed=3.0)
        self.assertFalse(search.verdict(lossy, 0.001, 0.9)[0])  # 0.1% is already too many
        slow = TrialResult(rate=1000, count=3000, successful=3000, created=3000, elapsed=4.0,
                           sendSeconds=3.0)
        passed, reason = search.verdict(slow, 0.001, 0.9)
        self.assertFalse(passed)
        self.assertIn("fell behind", reason)
        busyClient = TrialResult(rate=1000, count=3000, successful=3000, created=3000,
                                 elapsed=4.0, sendSeconds=3.0, cpuSeconds=3.9)
        self.assertIn("client-bound", search.verdict(busyClient, 0.001, 0.9)[1])

    def test_answers_lost_at_the_client_make_it_client_bound(self):
        lost = TrialResult(rate=1000, count=3000, successful=2900, failed=100, noAnswer=100,
                           created=3000, elapsed=3.0, clientDrops=100)
        passed, reason = search.verdict(lost, 0.001, 0.9)
        self.assertFalse(passed)
        self.assertIn("client-bound", reason)
        serverSide = TrialResult(rate=1000, count=3000, successful=2900, failed=100,
                                 noAnswer=100, created=3000, elapsed=3.0, serverDrops=100)
        self.assertFalse(serverSide.clientBound)
        both = TrialResult(rate=1000, count=3000, successful=2900, failed=100, noAnswer=100,
                           created=3000, elapsed=3.0, sendSeconds=4.0, serverDrops=100)
        self.assertFalse(both.clientBound)  # a slow sender does not excuse a dropping server
        self.assertIn("server socket dropped 100", search.verdict(serverSide, 0.001, 0.9)[1])

    def test_a_slow_sender_is_not_blamed_on_the_server(self):
        result = TrialResult(rate=1000, count=3000, successful=3000, created=3000,
                             elapsed=4.0, sendSeconds=4.0, answerSeconds=4.0)
        passed, reason = search.verdict(result, 0.001, 0.9)
        self.assertFalse(passed)
        self.assertIn("SIPp sent only 750/s", reason)
        self.assertTrue(result.clientBound)


class StatsTest(unittest.TestCase):
    def test_reads_counts_and_interpolates_durations(self):
        header = ("StartTime;LastResetTime;CurrentTime;TargetRate;TotalCallCreated;"
                  "SuccessfulCall(C);FailedCall(C);FailedTimeoutOnRecv(C);\n")
        row = ("2026-11-26\t05:43:17.000000\t1000.0;x;2026-11-26\t05:43:17.000000\t{};"
               "20000;{};{};{};{};\n")
        lines = [row.format(1000.0, 0, 0, 0, 0), row.format(1001.0, 20000, 19000, 0, 0),
                 row.format(1002.0, 40000, 39000, 0, 0), row.format(1003.0, 60000, 59000, 0, 0),
                 row.format(1004.0, 60000, 59990, 0, 0), row.format(1006.0, 60000, 59990, 10, 7)]
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as csv:
            csv.write(header + "".join(lines))
        result = TrialResult(rate=20000, count=60000)
        _readStats(csv.name, result)
        os.unlink(csv.name)
        self.assertEqual((result.successful, result.failed, result.created), (59990, 10, 60000))
        self.assertEqual(result.noAnswer, 7)
        self.assertAlmostEqual(result.elapsed, 6.0)
        self.assertAlmostEqual(result.sendSeconds, 3.0)  # the timeout tail is not sending
        self.assertAlmostEqual(result.answerSeconds, 4.0)
        self.assertAlmostEqual(result.offered, 20000.0)

    def test_missing_file_fails_every_call(self):
        result = TrialResult(rate=10, count=30)
        _readStats("/nonexistent/stat.csv", result)
        self.assertEqual(result.failed, 30)
        self.assertEqual(result.failureRatio, 1.0)


class ReportTest(unittest.TestCase):
    def searchWith(self, best, failing):
        found = search.SearchResult()
        found.best = TrialResult(rate=best, count=best * 3, successful=best * 3,
                                 created=best * 3, elapsed=3.0)
        found.trials = [(found.best, True, "ok"), (failing, False, "x")]
        return found

    def test_lower_bounds_and_ratio(self):
        serverLimited = TrialResult(rate=12000, count=36000, successful=35000, failed=1000,
                                    created=36000, elapsed=3.0, serverDrops=1000)
        clientLimited = TrialResult(rate=70000, count=210000, successful=200000, failed=10000,
                                    created=210000, elapsed=3.0, clientDrops=10000)
        results = {"persistent": {"sipd": self.searchWith(60000, clientLimited),
                                  "kamailio": self.searchWith(10000, serverLimited)}}
        table = report.formatTable(results, [])
        self.assertIn(">=60,000", table)
        self.assertIn("  10,000  ", table)
        self.assertIn(">=6.00  (goal >= 10: not shown)", table)


class NotifyTest(unittest.TestCase):
    def test_ready_and_status(self):
        with tempfile.TemporaryDirectory() as tmp:
            notify = NotifySocket(os.path.join(tmp, "notify.sock"))
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as child:
                child.sendto(b"STATUS=backup\nREADY=1", notify.path)
                child.sendto(b"STATUS=primary, 7 bindings", notify.path)
            deadline = time.monotonic() + 5
            self.assertIsNotNone(notify.waitFor("READY=1", deadline))
            found = notify.waitForPrefix("STATUS=", deadline)
            self.assertEqual(found[1], "STATUS=primary, 7 bindings")
            self.assertIsNone(notify.waitFor("READY=1", time.monotonic() + 0.1))
            notify.close()
            self.assertFalse(os.path.exists(os.path.join(tmp, "notify.sock")))


if __name__ == "__main__":
    unittest.main()
