"""Unit tests of the failover bench's own logic (bench/lib/outage.py, prober.py, keepalived.py):
the outage read from the prober's records, the answer parser, keepalived's state lines. No root,
no lab: python3 -m unittest discover bench/tests."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import keepalived  # noqa: E402
import outage  # noqa: E402
import prober  # noqa: E402

MS = 1_000_000


def probes(kindOffset, start, count, answered, node="a", latency=0.1):
    """Records of one kind: seq = 2 * i + kindOffset, sent every 1 ms from `start` ms;
    answered(i) says whether probe i got an answer (latency ms later)."""
    out = []
    for i in range(count):
        sent = int((start + i) * MS)
        ok = answered(i)
        out.append((2 * i + kindOffset, sent, int(sent + latency * MS) if ok else None,
                    node(i) if callable(node) else node))
    return out


class OutageTest(unittest.TestCase):
    def test_a_gap_is_the_silence_between_the_last_answer_before_and_the_first_after(self):
        # fault at 1000 ms; probes 1000..1039 lost; 1040 answered by b
        records = probes(1, 0, 2000, lambda i: not 1000 <= i < 1040,
                         node=lambda i: "a" if i < 1000 else "b")
        o = outage.analyse(records, 1000 * MS, 2000 * MS)
        self.assertTrue(o.recovered)
        self.assertAlmostEqual(o.gapMs, 41.0, places=3)  # answer 999.1 -> 1040.1
        self.assertAlmostEqual(o.recoveryMs, 40.1, places=3)
        self.assertEqual((o.lost, o.lostAfter, o.before, o.after), (40, 0, "a", "b"))

    def test_lost_probes_not_yet_written_count_from_the_sequence_numbers(self):
        records = [r for r in probes(1, 0, 2000, lambda i: not 1000 <= i < 1040)
                   if r[2] is not None]  # the "lost" lines come only when probes expire
        self.assertEqual(outage.analyse(records, 1000 * MS, 2000 * MS).lost, 40)

    def test_an_outage_that_starts_after_the_fault_is_found(self):
        # a switchover: the drain starts 9 ms after the command
        records = probes(2, 0, 2000, lambda i: not 1009 <= i < 1029)
        o = outage.analyse(records, 1000 * MS, 2000 * MS)
        self.assertAlmostEqual(o.gapMs, 21.0, places=3)
        self.assertAlmostEqual(o.recoveryMs, 29.1, places=3)
        self.assertEqual(o.lost, 20)

    def test_no_answer_after_the_fault_is_not_recovered(self):
        records = probes(1, 0, 1500, lambda i: i < 1000)
        o = outage.analyse(records, 1000 * MS, 1500 * MS)
        self.assertFalse(o.recovered)
        self.assertIsNone(o.recoveryMs)
        self.assertAlmostEqual(o.gapMs, 500.9, places=3)  # 999.1 -> the window's end

    def test_answers_only_to_probes_sent_before_the_fault_are_not_a_recovery(self):
        # answers to probes sent 1-3 ms before the fault (within the lead) and none after
        records = probes(1, 0, 1500, lambda i: i < 1000)
        self.assertFalse(outage.analyse(records, 1002 * MS, 1500 * MS).recovered)

    def test_answers_that_stop_soon_after_the_fault_are_not_a_recovery(self):
        # the HA stack killed: the dying node answered 2 ms more, then nothing to the end
        records = probes(1, 0, 3000, lambda i: i < 1002)
        o = outage.analyse(records, 1000 * MS, 3000 * MS)
        self.assertFalse(o.recovered)
        self.assertAlmostEqual(o.gapMs, 1998.9, places=3)

    def test_losses_after_the_first_answer_are_counted_apart(self):
        # back at 1050, lost again 1200..1209 (ARP flapping back to the old holder)
        records = probes(1, 0, 2000, lambda i: not (1000 <= i < 1050 or 1200 <= i < 1210))
        o = outage.analyse(records, 1000 * MS, 2000 * MS)
        self.assertEqual((o.lost, o.lostAfter), (50, 10))

    def test_no_loss_reports_the_first_answer_after_the_fault(self):
        records = probes(1, 0, 2000, lambda i: True)
        o = outage.analyse(records, 1000 * MS, 2000 * MS)
        self.assertEqual(o.lost, 0)
        self.assertAlmostEqual(o.gapMs, 1.0, places=3)
        self.assertAlmostEqual(o.recoveryMs, 0.1, places=3)

    def test_nothing_answered_before_the_fault_is_an_error(self):
        with self.assertRaises(ValueError):
            outage.analyse(probes(1, 1000, 10, lambda i: True), 1000 * MS, 1010 * MS)

    def test_steady_means_the_newest_probes_all_answered(self):
        records = probes(1, 0, 1000, lambda i: i != 800)
        self.assertTrue(outage.steadySince(records, 0, 150))
        self.assertFalse(outage.steadySince(records, 0, 250))
        self.assertFalse(outage.steadySince(records, 990 * MS, 150))  # too few yet

    def test_summary_and_ratio(self):
        s = outage.summary([30.0, None, 10.0, 20.0])
        self.assertEqual((s["n"], s["median"], s["max"]), (3, 20.0, 30.0))
        self.assertEqual(outage.ratio(45.0, 3000.0), "0.015")
        self.assertEqual(outage.ratio(45.0, 90.0), "0.50")
        self.assertEqual(outage.ratio(None, 90.0), "n/a")
        self.assertEqual(outage.formatMs(2800.0), "2.80 s")


class ProberTest(unittest.TestCase):
    def test_an_answer_names_its_probe_and_the_serving_node(self):
        answer = (b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.50:4000;branch=z9hG4bKfp17\r\n"
                  b"Call-ID: fp17@192.0.2.50\r\nX-Sipha-Serving: node=b;epoch=4\r\n\r\n")
        self.assertEqual(prober.parseAnswer(answer), (17, "b"))
        self.assertEqual(prober.parseAnswer(answer.replace(b"X-Sipha-Serving: node=b;epoch=4\r\n",
                                                           b"")), (17, "-"))
        self.assertIsNone(prober.parseAnswer(answer.replace(b"200 OK", b"503 Busy")))
        self.assertIsNone(prober.parseAnswer(b"OPTIONS sip:x SIP/2.0\r\nCall-ID: fp1@x\r\n"))

    def test_the_request_carries_the_sequence_number(self):
        text = prober.request(42, "192.0.2.10", 5060, "192.0.2.50", 4000).decode()
        self.assertIn("Call-ID: fp42@192.0.2.50\r\n", text)
        self.assertIn("branch=z9hG4bKfp42", text)
        self.assertTrue(text.endswith("\r\n\r\n"))

    def test_the_feed_reads_what_was_written_so_far(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "p.txt")
            feed = prober.Feed(path)
            self.assertEqual(feed.records("f"), [])
            with open(path, "w") as f:
                f.write("f 1 100 200 a\nx 2 100 - -\nf 3 1")
            self.assertEqual(feed.records("f"), [(1, 100, 200, "a")])
            self.assertEqual(feed.records("x"), [(2, 100, None, "-")])
            with open(path, "a") as f:
                f.write("01 250 b\n")
            self.assertEqual(feed.records("f", 101), [(3, 101, 250, "b")])


class KeepalivedTest(unittest.TestCase):
    def test_state_lines_in_order(self):
        log = ("Tue Dec  8 01:18:50 2026: (VI_1) Entering BACKUP STATE (init)\n"
               "Tue Dec  8 01:18:53 2026: (VI_1) Entering MASTER STATE\n"
               "Tue Dec  8 01:18:54 2026: (VI_1) entering FAULT state (tracked script)\n"
               "Tue Dec  8 01:18:54 2026: (VI_1) Entering FAULT STATE\n")
        self.assertEqual([s for _, s in keepalived.parseStates(log)],
                         ["BACKUP", "MASTER", "FAULT", "FAULT"])

    def test_vrrp_timing(self):
        self.assertAlmostEqual(keepalived.masterDownSeconds(1.0), 3.21875)
        self.assertAlmostEqual(keepalived.skewSeconds(0.1), 0.021875)

    def test_the_configuration_tracks_the_responder(self):
        text = keepalived.config("a", 0.1, "/x/ka-responder-a.ini")
        self.assertIn("advert_int 0.1\n", text)
        self.assertIn("vrrp_version 3", text)
        self.assertIn('script "/usr/bin/pgrep -f /x/ka-responder-a.ini"', text)


if __name__ == "__main__":
    unittest.main()
