"""Tests of scripts/history_check.py: reading and merging `raftkv workload`
histories, and the nemesis test's lost-write check on hand-made histories,
each broken in one way. When CTest passes the build folder
(RAFTLAB_BUILD_DIR), the merged text is also read by the real lincheck."""

import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import history_check as hc  # noqa: E402


def put(v, call, ret, key="k"):
    return hc.Op(0, call, ret, "put", key, v, "", f"put@{call}")


def app(v, call, ret, key="k"):
    return hc.Op(1, call, ret, "append", key, v, "", f"append@{call}")


def problems(ops, final):
    return [p for r in hc.check_durability(ops, final) for p in r.problems]


class DurabilityTest(unittest.TestCase):

    def test_every_acknowledged_write_present_passes(self):
        ops = [put("p;", 0, 10), app("a;", 20, 30), app("b;", 40, 50)]
        self.assertEqual(problems(ops, {"k": "p;a;b;"}), [])

    def test_lost_append_is_named(self):
        ops = [put("p;", 0, 10), app("a;", 20, 30), app("b;", 40, 50)]
        got = problems(ops, {"k": "p;a;"})
        self.assertEqual(len(got), 1)
        self.assertIn("1 acknowledged writes", got[0])
        self.assertIn("'b;'", got[0])

    def test_lost_put_is_named(self):
        ops = [put("p;", 0, 10), put("q;", 20, 30)]
        got = problems(ops, {"k": "p;"})
        self.assertEqual(len(got), 1)
        self.assertIn("'q;'", got[0])
        self.assertIn("starts with the put 'p;'", got[0])

    def test_empty_value_loses_everything(self):
        ops = [app("a;", 0, 10), app("b;", 20, 30)]
        got = problems(ops, {"k": ""})
        self.assertEqual(len(got), 1)
        self.assertIn("2 acknowledged writes", got[0])
        self.assertIn("is empty", got[0])

    def test_writes_before_the_put_returned_may_be_gone(self):
        # a overlaps p (called before p returned): p may have replaced it.
        ops = [app("a;", 0, 30), put("p;", 5, 10), app("b;", 40, 50)]
        self.assertEqual(problems(ops, {"k": "p;b;"}), [])

    def test_pending_writes_may_or_may_not_be_there(self):
        ops = [put("p;", 0, 10), app("a;", 20, None), app("b;", 40, 50)]
        self.assertEqual(problems(ops, {"k": "p;b;"}), [])
        self.assertEqual(problems(ops, {"k": "p;a;b;"}), [])
        # A pending put that took effect last replaces everything.
        ops2 = [put("p;", 0, 10), app("b;", 40, 50), put("q;", 45, None)]
        self.assertEqual(problems(ops2, {"k": "q;"}), [])

    def test_duplicate_and_foreign_tokens(self):
        ops = [put("p;", 0, 10), app("a;", 20, 30)]
        got = problems(ops, {"k": "p;a;a;"})
        self.assertTrue(any("twice" in p for p in got), got)
        got = problems(ops, {"k": "p;a;z;"})
        self.assertTrue(any("no client wrote" in p for p in got), got)
        got = problems(ops, {"k": "a;p;"})
        self.assertTrue(any("in the middle" in p for p in got), got)

    def test_real_time_order_of_appends(self):
        ops = [put("p;", 0, 10), app("a;", 20, 30), app("b;", 40, 50)]
        got = problems(ops, {"k": "p;b;a;"})
        self.assertEqual(len(got), 1)
        self.assertIn("returned before", got[0])
        # Overlapping appends may land in either order.
        ops = [put("p;", 0, 10), app("a;", 20, 45), app("b;", 40, 50)]
        self.assertEqual(problems(ops, {"k": "p;b;a;"}), [])

    def test_keys_are_checked_apart(self):
        ops = [app("a;", 0, 10, key="x"), app("b;", 0, 10, key="y")]
        reports = hc.check_durability(ops, {"x": "a;", "y": ""})
        self.assertEqual([(r.key, bool(r.problems)) for r in reports],
                         [("x", False), ("y", True)])


class FormatTest(unittest.TestCase):

    def test_read_merge_read_round_trip(self):
        text = ("# comment\nunit ns\n"
                '0 10 20 put k "a b" -\n'
                "1 15 25 get k - \"a b\"\n"
                "2 30 - append k x; ?\n"
                "3 31 - get k - ?\n"
                "0 40 50 get \"-\" - -\n")
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "h.txt"
            p.write_text(text)
            ops, _ = hc.read_history(p)
            self.assertEqual([o.kind for o in ops],
                             ["put", "get", "append", "get", "get"])
            self.assertEqual(ops[0].value, "a b")
            self.assertEqual(ops[1].output, "a b")
            self.assertTrue(ops[2].pending)
            self.assertIsNone(ops[3].output)
            self.assertEqual(ops[4].key, "-")
            self.assertEqual(ops[4].output, "")
            merged = hc.merge_histories(
                [ops, ops[:1]], [hc.Fault(12, None, "kill -9 1")],
                [hc.Op(900000, 60, 70, "get", "k", "", "a b")])
            m = Path(d) / "m.txt"
            m.write_text(merged)
            again, faults = hc.read_history(m)
            self.assertEqual(len(again), 7)
            self.assertEqual(again[5].client, 1000)  # process 1, client 0
            self.assertEqual(again[4].key, "-")
            self.assertEqual(faults[0].label, "kill -9 1")
            build = os.environ.get("RAFTLAB_BUILD_DIR")
            lincheck = Path(build or "-") / "linearizability" / "lincheck"
            if build and lincheck.exists():
                r = subprocess.run([str(lincheck), str(m)],
                                   capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_bad_lines_name_the_file_and_line(self):
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "h.txt"
            p.write_text("unit ns\n0 10 x put k v -\n")
            with self.assertRaisesRegex(hc.HistoryError, r"h\.txt:2"):
                hc.read_history(p)


if __name__ == "__main__":
    unittest.main()
