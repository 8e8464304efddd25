"""Unit tests of the replication lines' logic (lines 7-9): /proc/PID/stat parsing and the
µs/op arithmetic, the pair's [ha] options and D-Bus/ss parsing, a run's validity, the medians
over repeats, the backup's memory scaling and the report rows. Run:
python3 -m unittest discover -s bench/tests (or pytest bench/tests); no SIPp, Kamailio or sipd
needed."""

import os
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import bench  # noqa: E402
import configs  # noqa: E402
import pair  # noqa: E402
import procs  # noqa: E402
import replication  # noqa: E402
import report  # noqa: E402
from notify import NotifySocket  # noqa: E402


class CpuTest(unittest.TestCase):
    def test_stat_fields_count_from_the_last_parenthesis(self):
        # comm "(a) b)" holds a space and a ')'; pgrp = 4242, utime = 300, stime = 45.
        line = ("1234 ((a) b)) S 1 4242 4242 0 -1 4194560 100 0 0 0 300 45 0 0 20 0 3 0 "
                "100 1000 50 18446744073709551615")
        self.assertEqual(procs.parseStat(line), (4242, 345))

    def test_micros_per_operation(self):
        # 30 ticks of 10 ms over 20,000 REGISTERs = 15 µs each.
        self.assertAlmostEqual(procs.microsPerOp(1000, 1030, 20000, clockTicks=100), 15.0)
        self.assertAlmostEqual(procs.microsPerOp(0, 1, 1, clockTicks=100), 10000.0)
        self.assertIsNone(procs.microsPerOp(1000, 1030, 0))
        self.assertIsNone(procs.microsPerOp(None, 1030, 10))

    def test_own_process_and_group(self):
        self.assertIsNotNone(procs.cpuTicks(os.getpid()))
        self.assertGreaterEqual(procs.cpuTicks(os.getpgrp(), group=True),
                                procs.cpuTicks(os.getpid()) if os.getpgrp() == os.getpid()
                                else 0)
        self.assertIsNone(procs.cpuTicks(2 ** 22 + 12345))  # above pid_max: no such process


class NotifyReaderTest(unittest.TestCase):
    def test_a_sender_never_blocks_and_lines_stay_in_order(self):
        with tempfile.TemporaryDirectory() as tmp:
            notify = NotifySocket(os.path.join(tmp, "notify.sock"))
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as child:
                child.settimeout(5)  # blocking, like sd_notify(); the kernel queues only 10
                child.sendto(b"READY=1", notify.path)
                for i in range(200):
                    child.sendto(f"STATUS=primary, {i} bindings".encode(), notify.path)
            deadline = time.monotonic() + 5
            self.assertIsNotNone(notify.waitFor("READY=1", deadline))
            found = notify.waitForPrefix("STATUS=primary, 199 ", deadline)
            self.assertIsNotNone(found)
            self.assertEqual(len(notify.messages()), 201)
            notify.drain()
            self.assertIsNone(notify.waitForPrefix("STATUS=", time.monotonic() + 0.2))
            notify.close()


class PairConfigTest(unittest.TestCase):
    CERTS = {"ca": "/c/ca.crt", "a": ("/c/a.crt", "/c/a.key"), "b": ("/c/b.crt", "/c/b.key")}

    def test_ha_section_of_a_node(self):
        ha = pair.haOptions("b", self.CERTS, 41002, 41001)
        writer = configs.sipdConfigWriter(2, False, ha=ha)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "sipd.ini")
            writer(path, 5060, tmp)
            with open(path) as ini:
                text = ini.read()
        self.assertIn("\n[ha]\nmode = pair\nnode-id = b\npeer-address = 127.0.0.1\n"
                      "replication-address = 127.0.0.1\nreplication-port = 41002\n"
                      "peer-replication-port = 41001\ncertificate = /c/b.crt\n"
                      "private-key = /c/b.key\nca = /c/ca.crt\n", text)
        self.assertEqual(text.count("type = Extension"), 2)
        with tempfile.TemporaryDirectory() as tmp:
            configs.sipdConfigWriter(0, False)(os.path.join(tmp, "s.ini"), 5060, tmp)
            with open(os.path.join(tmp, "s.ini")) as ini:
                self.assertIn("\n[ha]\nmode = standalone\n", ini.read())

    def test_counters_and_link_bytes(self):
        counters = pair.parseCounters('{"type":"a{st}","data":{"replication.head":4000,'
                                      '"replication.lag_p99_us":512}}')
        self.assertEqual(counters, {"replication.head": 4000, "replication.lag_p99_us": 512})
        ss = ("0 0 127.0.0.1:41001 127.0.0.1:51234\n\t cubic wscale:7,7 rto:201 "
              "bytes_sent:123456 bytes_acked:123457 bytes_received:9876 segs_out:10\n")
        self.assertEqual(pair.parseBytesSent(ss), 123456)
        self.assertIsNone(pair.parseBytesSent(""))


def pairRun(primaryUs, backupUs, unsynced=0, applied=20000, passed=True, lagP99=512):
    run = {"rate": 2000, "count": 20000, "ok": 20000, "passed": passed,
           "verdict": "ok" if passed else "30/20000 failed", "sippCpu": 0.1, "alive": True,
           "primaryUs": primaryUs, "backupUs": backupUs, "published": 20000, "head": 20000,
           "applied": applied, "recordsApplied": applied, "recordsSent": applied,
           "syncWaits": 20000, "syncAcked": 20000 - unsynced, "unsynced": unsynced,
           "degraded": 1 if unsynced else 0, "lagP50Us": 128, "lagP99Us": lagP99,
           "frameBytesPerOp": 140.0, "recordBytesPerOp": 125.0, "tlsBytesPerOp": 150.0}
    run["valid"] = replication.validity(run)
    return run


class RunTest(unittest.TestCase):
    def test_validity(self):
        self.assertEqual(pairRun(10, 3)["valid"], "")
        self.assertIn("20,000 answers without the backup's ack (degraded 1x)",
                      pairRun(10, 3, unsynced=20000)["valid"])
        self.assertIn("the backup applied 0 of 20,000 records",
                      pairRun(10, 3, applied=0)["valid"])
        self.assertIn("a sipd exited", replication.validity({"alive": False}))
        self.assertEqual(replication.validity({"noCounters": ["primary", "primary"]}),
                         "no D-Bus Counters from the primary (busctl failed or timed out)")

    def test_medians_over_the_valid_runs(self):
        kamailio = [{"rate": 2000, "count": 20000, "ok": 20000, "passed": True, "verdict": "ok",
                     "sippCpu": 0.1, "us": us} for us in (20.0, 22.0, 40.0)]
        line = replication.summarize(
            [pairRun(10, 3), pairRun(12, 5, lagP99=1024), pairRun(50, 50, unsynced=5)],
            kamailio)
        self.assertEqual((line["primaryUs"], line["backupUs"], line["sumUs"]), (11, 4, 15))
        self.assertEqual(line["kamailioUs"], 22.0)
        self.assertEqual(line["lagP99Us"], 768)
        self.assertEqual((line["validRuns"], line["pairMeasured"], line["unsynced"]), (2, 3, 5))
        self.assertEqual(len(line["problems"]), 1)
        # No valid run: the figures come from all runs, and the problems say why.
        broken = replication.summarize([pairRun(30, 0, applied=0)], kamailio[:1])
        self.assertEqual(broken["primaryUs"], 30)
        self.assertIn("the backup applied 0", broken["problems"][0])

    def test_goods_are_bounded_by_the_gateway(self):
        result = bench.TrialResult(rate=200, count=2000, successful=2000, peerSuccessful=1990)
        self.assertEqual(replication.goodOperations(result), 1990)
        result.peerSuccessful = -1  # no UAS (REGISTER)
        self.assertEqual(replication.goodOperations(result), 2000)

    def test_backup_memory_scaled_by_what_the_backup_holds(self):
        summary = replication.memorySummary(40000, 60000, 50000, 50000, 100000, "bindings", "x")
        self.assertEqual(summary["perKiB"], 40000)
        self.assertIn("39.06 MiB", summary["text"])
        self.assertIn("not measured: the backup holds 0 of the primary's 100,000 bindings",
                      replication.memorySummary(1, 1, 0, 100000, 100000, "bindings",
                                                "x")["text"])
        self.assertIn("BEHIND", replication.memorySummary(1000, 2000, 500, 1000, 1000, "calls",
                                                          "x", caughtUp=False)["text"])


class ReportTest(unittest.TestCase):
    def line(self, primary, kamailio, problems=()):
        return {"rate": 2000, "seconds": 10, "repeats": 3, "primaryUs": primary,
                "backupUs": 4.0, "sumUs": primary + 4.0, "kamailioUs": kamailio,
                "pairMeasured": 3, "validRuns": 3, "lagP50Us": 128, "lagP99Us": 512,
                "frameBytesPerOp": 140.0, "tlsBytesPerOp": 150.0, "recordBytesPerOp": 125.0,
                "syncWaits": 60000, "syncAcked": 60000, "unsynced": 0, "published": 60000,
                "recordsApplied": 60000, "problems": list(problems), "anchor": "(K: mem)"}

    def test_rows_ratios_and_goal(self):
        text = "\n".join(report.formatReplication({
            "replication-register": self.line(9.0, 12.0),
            "replication-calls": self.line(150.0, 100.0),
            "replication-persistent": self.line(30.0, 12.0, problems=["the backup applied 0"])}))
        self.assertIn("median of 3 run(s) of 10 s", text)
        register = next(row for row in text.splitlines() if row.startswith("7 REGISTER"))
        self.assertIn("0.75  1.08  (goal primary/K <= 1: met) (K: mem)", register)
        calls = next(row for row in text.splitlines() if row.startswith("9 calls"))
        self.assertIn("1.50  1.54  (goal primary/K <= 1: not met)", calls)
        persistent = next(row for row in text.splitlines() if row.startswith("8 REGISTER"))
        self.assertIn("2.50  2.83  (K: mem)", persistent)
        self.assertIn("8 NOT VALID: the backup applied 0", text)
        self.assertIn("7 replication: lag p50 128 µs, p99 512 µs; per binding on the HA link "
                      "140 B of frames", text)
        self.assertIn("9 replication: lag p50 128 µs, p99 512 µs; per call", text)
        self.assertEqual(report.formatReplication({}), [])

    def test_every_line_has_its_method(self):
        for line in report.LINES:
            self.assertTrue(hasattr(bench.Bench, "line_" + line.replace("-", "_")), line)


if __name__ == "__main__":
    unittest.main()
