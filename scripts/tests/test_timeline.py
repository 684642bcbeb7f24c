"""Tests of scripts/timeline.py's reading of a trace, on small hand-made
traces: role spans from the harness's observations and from a Raft's own
lines, candidates inferred from RequestVote sends and ended by a leader's
AppendEntries, partitions with their sides, crashes, faults, RPCs, client
operations, the choice of world, and the page being self-contained. The
page in a browser is tests/timeline_browser_test.py's."""

import contextlib
import io
import json
import re
import tempfile
import unittest
from pathlib import Path

import tools_testutil as tu

import timeline

F, C, L, X = (timeline.FOLLOWER, timeline.CANDIDATE, timeline.LEADER,
              timeline.DOWN)
DATA = tu.REPO / "testdata" / "timeline"


def trace(text: str) -> timeline.Trace:
    return timeline.parse([ln.strip() for ln in text.strip().splitlines()])


def state(t: str, peer: int, term: int, leader: bool = False,
          log: int = 0, commit: int = 0, snap: int = 0) -> str:
    return (f"{t} state    S{peer} term {term} "
            f"{'leader' if leader else 'not-leader'} log {log} commit "
            f"{commit} applied {commit} snapshot {snap}")


ENDS = """
000000.000 test     S0 ends a00 a01 a02
000000.000 test     S1 ends a10 a11 a12
000000.000 test     S2 ends a20 a21 a22
"""


def roles(tr, peer):
    """(start, role, term) of each span of `peer`, as the page gets them."""
    m = timeline.model(tr, "")
    return [(s[0], s[2], s[3]) for s in m["spans"][str(peer)]]


class RolesFromObservations(unittest.TestCase):
    """A Raft that traces nothing: the harness's state lines."""

    def test_follower_then_leader(self):
        tr = trace(ENDS + "\n".join([
            state("000010.000", 0, 0), state("000300.000", 0, 1),
            state("000310.000", 0, 1, leader=True),
            "000500.000 test     -- cleanup"]))
        self.assertEqual(roles(tr, 0), [(10000, F, 0), (300000, F, 1),
                                        (310000, L, 1)])

    def test_requestvote_send_makes_the_next_term_a_candidates(self):
        tr = trace(ENDS + "\n".join([
            state("000010.000", 0, 0),
            "000295.000 rpc      -- #1 send Raft.RequestVote from end a01 "
            "to 1",
            state("000300.000", 0, 1),
            state("000320.000", 0, 1, leader=True)]))
        self.assertEqual(roles(tr, 0), [(10000, F, 0), (295000, C, 1),
                                        (320000, L, 1)])

    def test_no_requestvote_no_candidate(self):
        # Negative control for the inference above.
        tr = trace(ENDS + state("000010.000", 0, 0) + "\n" +
                   state("000300.000", 0, 1))
        self.assertNotIn(C, [r for _, r, _ in roles(tr, 0)])

    def test_candidate_that_hears_from_the_leader_is_a_follower(self):
        tr = trace(ENDS + "\n".join([
            state("000010.000", 0, 0), state("000010.000", 1, 0),
            "000290.000 rpc      -- #1 send Raft.RequestVote from end a01 "
            "to 1",
            "000291.000 rpc      -- #2 send Raft.RequestVote from end a10 "
            "to 0",
            state("000300.000", 0, 1), state("000300.000", 1, 1),
            state("000310.000", 0, 1, leader=True),
            "000315.000 rpc      -- #3 send Raft.AppendEntries from end a01 "
            "to 1",
            "000320.000 rpc      -- #3 deliver",
            "000400.000 test     -- cleanup"]))
        self.assertEqual(roles(tr, 1), [(10000, F, 0), (291000, C, 1),
                                        (320000, F, 1)])


class RolesFromTheRaft(unittest.TestCase):
    """A Raft that traces its roles (the docstring's wording) wins over the
    harness's observations, which lag by up to 10 ms."""

    def test_own_lines(self):
        tr = trace("""
            000000.000 test     S0 start (restart from 0 state bytes)
            000100.000 election S0 start election for term 1 (last log 0/0)
            000105.000 state    S0 term 1 not-leader log 0 commit 0 """
            """applied 0 snapshot 0
            000110.000 leader   S0 leader for term 1 (log (0, 0])
            000200.000 term     S0 term 1 -> 2
            000200.000 leader   S0 step down in term 2
            000300.000 leader   S0 killed in term 2
        """)
        self.assertEqual(roles(tr, 0), [(0, F, 0), (100000, C, 1),
                                        (110000, L, 1), (200000, F, 2)])

    def test_log_line_ends_a_lost_campaign(self):
        tr = trace("""
            000100.000 election S1 start election for term 4 (last log 0/0)
            000120.000 log      S1 append from S0: log now (0, 3]
            000200.000 test     -- cleanup
        """)
        self.assertEqual(roles(tr, 1), [(100000, C, 4), (120000, F, 4)])


class Faults(unittest.TestCase):

    def test_disconnects_are_partitions_with_sides(self):
        tr = trace(ENDS + """
            000100.000 test     S2 disconnect
            000200.000 test     S0 disconnect
            000300.000 test     S2 connect
            000300.000 test     S0 connect
            000400.000 test     -- cleanup
        """)
        self.assertEqual([(b[0], b[1], b[3]) for b in tr.bands],
                         [(100000, 200000, "{0,1} | {2}"),
                          (200000, 300000, "{1} | {0} | {2}")])
        self.assertEqual(tr.disconnected[2][0][:2], [100000, 300000])

    def test_kv_partition_and_heal(self):
        tr = trace("""
            000010.000 test     -- partition [0,2,3] [4,1]
            000020.000 test     -- connect all
            000030.000 test     -- partition [0,1,2,3,4] []
        """)
        self.assertEqual([(b[0], b[1], b[3]) for b in tr.bands],
                         [(10000, 20000, "{0,2,3} | {4,1}")])

    def test_crash_and_restart(self):
        tr = trace(ENDS + """
            000000.000 test     S1 crash
            000000.000 test     S1 start (restart from 0 state bytes)
            000100.000 test     S1 crash
            000250.000 test     S1 start (restart from 80 state bytes)
            000300.000 test     -- cleanup
        """)
        self.assertEqual(tr.down[1], [[100000, 250000, 5]])
        self.assertIn((100000, X, -1), roles(tr, 1))
        self.assertEqual([m[1] for m in tr.marks], ["restart", "end"])

    def test_unreliable_and_reordering(self):
        tr = trace("""
            000000.000 test     -- make_config n=5 unreliable=1 snapshot=0
            000050.000 test     -- long reordering on
            000070.000 test     -- unreliable off
            000090.000 test     -- cleanup
        """)
        self.assertEqual(sorted((b[2], b[0], b[1]) for b in tr.bands),
                         [("reorder", 50000, 90000),
                          ("unreliable", 0, 70000)])

    def test_fail_and_config_marks(self):
        tr = trace("""
            000010.000 test     -- join 100 101
            000030.000 test     -- FAIL tests/x.cc:1: lost
        """)
        self.assertTrue(tr.failed)
        self.assertEqual([m[1] for m in tr.marks], ["config", "fail"])

    def test_shardkv_lanes_per_group_server(self):
        tr = trace("""
            000000.000 test     -- start server-100-1 (0 state bytes)
            000010.000 shardkv  S1 G100 now in config 2
            000012.000 shardkv  S1 G101 now in config 2
            000015.000 shardkv  S1 G100 config 2: installed shard 3 (4 keys)
            000020.000 test     -- shutdown server-100-1
            000030.000 ctrler   S0 applied Join seq 1 at index 1: OK, latest #2
            000040.000 term     S1 term 1 -> 2
        """)
        m = timeline.model(tr, "")
        self.assertEqual(m["peers"], ["ctrler.0", "100.1", "101.1"])
        self.assertEqual(m["labels"]["100.1"], "G100 S1")
        self.assertEqual([p[:2] for p in m["series"]["100.1"]["config"]],
                         [[10000, 2]])
        self.assertEqual(m["series"]["100.1"]["shard"][0][1], 3)
        # Down from the shutdown; no roles, since S1's Raft is ambiguous.
        self.assertEqual([s[:3] for s in m["spans"]["100.1"]],
                         [[20000, 40000, X]])
        self.assertEqual(m["spans"]["101.1"], [])


class Rpcs(unittest.TestCase):

    def test_send_deliver_reply_and_loss(self):
        tr = trace(ENDS + """
            000010.000 rpc      -- #1 send Raft.AppendEntries from end a12 to 2
            000015.000 rpc      -- #1 deliver
            000020.000 rpc      -- #1 reply
            000030.000 rpc      -- #2 send Raft.RequestVote from end a20 """
            """to 0 unreachable
            000090.000 rpc      -- #2 lost: unreachable
            000095.000 rpc      -- #3 send KVServer.Get from end zz to 1
        """)
        r = timeline.model(tr, "")["rpcs"]
        self.assertEqual((r["f"], r["to"], r["s"], r["d"], r["r"], r["x"]),
                         ([1, 2], [2, 0], [10000, 30000], [15000, -1],
                          [20000, -1], [-1, 90000]))
        # The clerk's call has no sender lane and is left out.
        self.assertEqual(len(r["k"]), 2)

    def test_dropped_message_is_placed_by_its_end(self):
        tr = trace(ENDS + "000010.000 drop     -- end a21: request "
                   "Raft.AppendEntries dropped")
        self.assertEqual(tr.drops, [[10000, 2, 1, "AppendEntries", 3]])


class Operations(unittest.TestCase):

    def test_ops_of_the_kv_harness(self):
        tr = timeline.parse((DATA / "kv-partition.trace").read_text()
                            .splitlines())
        self.assertEqual(len(tr.ops), 9)
        self.assertEqual(tr.ops[0][:4], [-1, 0, 370150, 'put "1" "13"'])
        self.assertEqual(tr.ops[2][3], 'get "1" -> "14"')


class Worlds(unittest.TestCase):

    def test_first_failed_world_else_last(self):
        text = ("# world: runtime=sim seed=1\n000001.000 test     -- a\n"
                "# world: runtime=sim seed=2\n000001.000 test     -- FAIL x\n"
                "# world: runtime=sim seed=3\n000001.000 test     -- c\n")
        worlds = timeline.split_worlds(text)
        self.assertEqual(len(worlds), 3)
        self.assertIn("seed=2", timeline.choose_world(worlds, None)[0])
        self.assertIn("seed=3", timeline.choose_world(worlds[2:], None)[0])
        with self.assertRaises(ValueError):
            timeline.choose_world(worlds, 3)


class Page(unittest.TestCase):

    def write(self, text: str) -> tuple[int, str, str]:
        with tempfile.TemporaryDirectory() as tmp:
            src, out = Path(tmp) / "t.trace", Path(tmp) / "t.html"
            src.write_text(text)
            err = io.StringIO()
            with contextlib.redirect_stderr(err), \
                    contextlib.redirect_stdout(io.StringIO()):
                rc = timeline.main([str(src), "-o", str(out)])
            return rc, out.read_text() if out.exists() else "", err.getvalue()

    def test_self_contained_and_escaped(self):
        rc, page, _ = self.write(
            (DATA / "split-vote.trace").read_text() +
            "009999.000 test     -- FAIL x: </script><b>\n")
        self.assertEqual(rc, 0)
        self.assertNotRegex(page, r"(src|href)=|https?://")
        self.assertEqual(page.count("</script>"), 2)
        blob = re.search(r"const DATA = (.*);\n</script>", page).group(1)
        data = json.loads(blob)
        self.assertEqual(data["peers"], [0, 1, 2])
        self.assertIn("</script><b>", "".join(data["lines"]))

    def test_says_what_is_not_traced(self):
        data = timeline.model(trace(ENDS), "")
        self.assertEqual(len(data["notes"]), 3)
        full = timeline.model(timeline.parse(
            (DATA / "reelection.trace").read_text().splitlines()), "")
        self.assertEqual(full["notes"], [])

    def test_no_trace_lines(self):
        rc, page, err = self.write("[ RUN      ] Raft2A.X\n")
        self.assertEqual((rc, page), (1, ""))
        self.assertIn("no trace lines", err)


if __name__ == "__main__":
    unittest.main()
