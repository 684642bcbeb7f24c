"""Tests of scripts/gtestrun.py: test discovery, selectors, and how the
process pool runs, classifies and times out runs (with the fake binary)."""

import unittest

import tools_testutil as tu

import gtestrun

LISTING = """\
Raft2A.
  InitialElection
  ReElection
Raft2C.
  Figure8
  DISABLED_Slow
Runtime.
  SleepAdvancesTime
Param/Codec.
  RoundTrip/0  # GetParam() = 1
"""


class DiscoveryTest(unittest.TestCase):

    def test_parse_test_list(self):
        self.assertEqual(
            gtestrun.parse_test_list(LISTING),
            ["Raft2A.InitialElection", "Raft2A.ReElection", "Raft2C.Figure8",
             "Runtime.SleepAdvancesTime", "Param/Codec.RoundTrip/0"])

    def test_stage_of(self):
        self.assertEqual(gtestrun.stage_of("Raft2C.Figure8"), "2C")
        self.assertEqual(gtestrun.stage_of("ShardKV4B.JoinLeave"), "4B")
        self.assertIsNone(gtestrun.stage_of("Runtime.Sleep"))
        self.assertIsNone(gtestrun.stage_of("RaftLog.Slice"))

    def test_select(self):
        tests = gtestrun.parse_test_list(LISTING)
        self.assertEqual(gtestrun.select(tests, ["2A"]),
                         ["Raft2A.InitialElection", "Raft2A.ReElection"])
        self.assertEqual(gtestrun.select(tests, ["Raft2C"]),
                         ["Raft2C.Figure8"])
        self.assertEqual(gtestrun.select(tests, ["Raft2*-*ReElection"]),
                         ["Raft2A.InitialElection", "Raft2C.Figure8"])
        self.assertEqual(
            gtestrun.select(tests, ["Runtime.*:Raft2C.Figure8", "2A"]),
            ["Raft2A.InitialElection", "Raft2A.ReElection", "Raft2C.Figure8",
             "Runtime.SleepAdvancesTime"])
        with self.assertRaisesRegex(ValueError, "2D"):
            gtestrun.select(tests, ["2D"])

    def test_discover_fake_binary(self):
        tmp = tu.TempDir()
        self.addCleanup(tmp.cleanup)
        build = tu.fake_build(tmp.path)
        binaries = gtestrun.find_binaries(build)
        self.assertEqual([b.name for b in binaries], ["fake_test"])
        where = gtestrun.discover(binaries)
        self.assertIn("Fake2A.Flaky", where)
        self.assertIn("Tool.Plain", where)


class FailureReasonTest(unittest.TestCase):

    def test_gtest_failure_message(self):
        out = ("[ RUN      ] Raft2A.ReElection\n"
               "tests/raft_config.cc:431: Failure\nFailed\n"
               "expected one leader, got none\n"
               "[  FAILED  ] Raft2A.ReElection (5000 ms)\n")
        self.assertEqual(gtestrun.failure_reason(out),
                         "expected one leader, got none")

    def test_crash_message(self):
        out = "terminate called after throwing an instance of 'x'\n"
        self.assertIn("terminate called", gtestrun.failure_reason(out))
        out += "  what():  Mutex 'm' locked twice\n"
        self.assertEqual(gtestrun.failure_reason(out),
                         "terminate called after throwing an instance of 'x': "
                         "Mutex 'm' locked twice")


class PoolTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tu.TempDir()
        self.addCleanup(self.tmp.cleanup)
        self.binary = tu.fake_build(self.tmp.path) / "tests" / "fake_test"

    def run_one(self, test, seed, timeout=None, runtime="sim"):
        pool = gtestrun.Pool(2)
        pool.submit([gtestrun.Run(test, self.binary, runtime, seed,
                                  timeout=timeout)])
        results = []
        pool.run_all(results.append)
        self.assertEqual(len(results), 1)
        return results[0]

    def test_pass(self):
        r = self.run_one("Fake2A.Pass", 1)
        self.assertEqual(r.status, "pass")
        self.assertTrue(r.ok)

    def test_fail_keeps_printed_replay(self):
        r = self.run_one("Fake2A.Flaky", 10)
        self.assertEqual(r.status, "fail")
        self.assertEqual(r.reason, "expected one leader, got none (seed 10)")
        self.assertEqual(r.replay, f"LAB_RUNTIME=sim LAB_SEED=10 {self.binary}"
                                   f" --gtest_filter=Fake2A.Flaky")

    def test_crash_gets_a_constructed_replay(self):
        r = self.run_one("Fake2B.Crash", 5, runtime="real")
        self.assertEqual(r.status, "crash")
        self.assertTrue(r.reason.startswith("SIGABRT"), r.reason)
        self.assertEqual(r.replay, f"LAB_RUNTIME=real LAB_SEED=5 {self.binary}"
                                   f" --gtest_filter=Fake2B.Crash")

    def test_timeout_kills(self):
        r = self.run_one("Fake2B.Hang", 4, timeout=1)
        self.assertEqual(r.status, "timeout")
        self.assertLess(r.seconds, 10)

    def test_unknown_test_is_missing(self):
        r = self.run_one("Fake2A.NoSuchTest", 1)
        self.assertEqual(r.status, "missing")

    def test_parallel_and_drop(self):
        pool = gtestrun.Pool(2)
        runs = [gtestrun.Run("Fake2A.Pass", self.binary, "sim", s)
                for s in range(1, 7)]
        pool.submit(runs)
        pool.poll()  # starts two
        self.assertEqual(len(pool.running), 2)
        self.assertEqual(pool.drop(lambda r: r.seed > 4), 2)
        results = []
        pool.run_all(results.append)
        self.assertEqual(sorted(r.run.seed for r in results), [1, 2, 3, 4])


if __name__ == "__main__":
    unittest.main()
