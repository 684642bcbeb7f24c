"""Tests of scripts/traceview.py: the column layout on a sample log (a
golden file), topic filters, colours, and lines passed through."""

import io
import unittest

import tools_testutil as tu

import traceview

SAMPLE = tu.DATA / "sample_trace.log"
GOLDEN = tu.DATA / "sample_trace.w80.txt"


def view(*args, stdin=""):
    out = io.StringIO()
    rc = traceview.main(list(args), stdin=io.StringIO(stdin), stdout=out)
    return rc, out.getvalue()


class ParseTest(unittest.TestCase):

    def test_trace_line(self):
        ev = traceview.parse("001234.567 vote     S2 grant vote to S0 in "
                             "term 3\n")
        self.assertEqual((ev.time, ev.topic, ev.peer, ev.message),
                         ("001234.567", "vote", 2, "grant vote to S0 in "
                                                   "term 3"))

    def test_no_peer_and_long_topic(self):
        ev = traceview.parse("000001.000 snapshotx -- hello")
        self.assertEqual((ev.topic, ev.peer, ev.message),
                         ("snapshotx", None, "hello"))

    def test_other_lines(self):
        self.assertIsNone(traceview.parse("Test (2A): initial election ..."))
        self.assertIsNone(traceview.parse("[ RUN      ] Raft2A.X"))


class LayoutTest(unittest.TestCase):

    def test_columns_match_golden(self):
        rc, out = view(str(SAMPLE), "-w", "80")
        self.assertEqual(rc, 0)
        self.assertEqual(out, GOLDEN.read_text())

    def test_peer_columns(self):
        _, out = view(str(SAMPLE), "-w", "80")
        lines = out.splitlines()
        header = lines[2]
        col = {p: header.index(f"S{p}") for p in range(3)}
        self.assertEqual(col[1] - col[0], col[2] - col[1])  # equal widths
        grant0 = next(l for l in lines if l.startswith("000312.420"))
        grant2 = next(l for l in lines if l.startswith("000312.421"))
        self.assertEqual(grant0.index("grant"), col[0])
        self.assertEqual(grant2.index("grant"), col[2])
        leader = next(l for l in lines if l.startswith("000312.425 leader"))
        self.assertEqual(leader.index("leader for"), col[1])
        # Harness events (no peer) start at the first column and span all.
        drop = next(l for l in lines if l.startswith("000350.100"))
        self.assertEqual(drop.index("end 6a1f"), col[0])
        self.assertIn("dropped", drop)
        # Long messages wrap inside their own column.
        i = lines.index(next(l for l in lines if l.startswith("000811.002")))
        self.assertEqual(lines[i + 1].index("term 2"), col[2])
        self.assertTrue(all(len(l) <= 80 for l in lines))

    def test_other_lines_pass_through(self):
        _, out = view(str(SAMPLE), "-w", "80")
        self.assertIn("  ... Passed --   4.6  3  128   30492    0\n", out)
        self.assertTrue(out.startswith("[ RUN      ] Raft2A.ReElection\n"))

    def test_stdin_and_more_peers_than_announced(self):
        text = ("000001.000 vote     S0 a\n"
                "000002.000 vote     S4 b\n")
        _, out = view("-p", "2", "-w", "60", stdin=text)
        headers = [l for l in out.splitlines() if l.startswith("time")]
        self.assertEqual(len(headers), 2)  # re-drawn for S4
        self.assertIn("S4", headers[1])


class FilterAndColorTest(unittest.TestCase):

    def test_only(self):
        _, out = view(str(SAMPLE), "--only", "vote,leader", "--no-columns")
        topics = {traceview.parse(l).topic for l in out.splitlines()
                  if traceview.parse(l)}
        self.assertEqual(topics, {"vote", "leader"})
        self.assertIn("Test (2A): election after network failure", out)

    def test_ignore(self):
        _, out = view(str(SAMPLE), "-x", "vote,drop,test", "--no-columns")
        topics = {traceview.parse(l).topic for l in out.splitlines()
                  if traceview.parse(l)}
        self.assertEqual(topics, {"election", "leader"})

    def test_no_color_when_not_a_tty(self):
        _, out = view(str(SAMPLE))
        self.assertNotIn("\x1b[", out)

    def test_color_forced(self):
        _, out = view(str(SAMPLE), "--color", "-w", "80")
        self.assertIn(traceview.TOPIC_COLORS["vote"] + "vote", out)
        self.assertIn(traceview.TOPIC_COLORS["leader"] + "leader", out)

    def test_unknown_topics_get_a_stable_colour(self):
        self.assertEqual(traceview.topic_color("shardmove"),
                         traceview.topic_color("shardmove"))
        self.assertIn(traceview.topic_color("shardmove"), traceview.PALETTE)

    def test_missing_file(self):
        rc, _ = view(str(tu.DATA / "no-such-file.log"))
        self.assertEqual(rc, 2)


if __name__ == "__main__":
    unittest.main()
