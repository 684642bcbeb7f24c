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
                         "tests/raft_config.cc:431: expected one leader, got "
                         "none")

    def test_whole_multi_line_message_located_at_the_test(self):
        out = ("[ RUN      ] KV3A.Basic\n"
               "../tests/kv_3a_test.cc:42: Failure\nFailed\n"
               "get wrong value, key 0, wanted:\nx 0 0 yx 0 1 y\n, got\n"
               "\n"
               "replay: LAB_RUNTIME=sim LAB_SEED=1 kv_test\n"
               "[  FAILED  ] KV3A.Basic (5000 ms)\n")
        self.assertEqual(gtestrun.failure_message(out),
                         "tests/kv_3a_test.cc:42: get wrong value, key 0, "
                         "wanted:\nx 0 0 yx 0 1 y\n, got")
        self.assertEqual(gtestrun.failure_reason(out),
                         "tests/kv_3a_test.cc:42: get wrong value, key 0, "
                         "wanted:")
        absolute = out.replace("../", str(tu.REPO) + "/")
        self.assertEqual(gtestrun.failure_message(absolute),
                         gtestrun.failure_message(out))

    def test_long_lines_keep_their_advice(self):
        advice = "call it from a task started with labrpc::Go instead"
        long_value = "x 0 %d y" * 2000
        out = ("tests/t.cc:7: Failure\nFailed\n"
               f"Mutex 'raft' locked twice by task 3 {'.' * 400} {advice}\n"
               f"{long_value}\n" + "".join(f"line {i}\n" for i in range(60)) +
               "[  FAILED  ] T2A.X (1 ms)\n")
        msg = gtestrun.failure_message(out).split("\n")
        self.assertTrue(msg[0].endswith(advice), msg[0])
        self.assertLessEqual(max(len(l) for l in msg), gtestrun.LINE_CAP + 60)
        self.assertIn("characters left out", msg[1])
        self.assertEqual(len(msg), gtestrun.LINES_HEAD +
                         gtestrun.LINES_TAIL + 1)
        self.assertIn("lines left out", msg[gtestrun.LINES_HEAD])
        self.assertEqual(msg[-1], "line 59")

    def test_exception_in_the_test_body_and_more_failures(self):
        out = ("unknown file: Failure\n"
               "C++ exception with description \"boom\" thrown in the test "
               "body.\n"
               "tests/t.cc:9: Failure\nFailed\nsecond\n"
               "[  FAILED  ] T2A.X (1 ms)\n")
        self.assertEqual(gtestrun.failure_message(out),
                         "C++ exception with description \"boom\" thrown in "
                         "the test body.\n(and 1 more failure(s) in the log)")

    def test_sanitizer_summary_with_file_and_line(self):
        out = ("[ RUN      ] Raft2A.InitialElection\n"
               "==================\n"
               "WARNING: ThreadSanitizer: data race (pid=4242)\n"
               "  Write of size 4 at 0x7b04 by thread T3:\n"
               f"    #0 raft::Raft::Tick() {tu.REPO}/raft/raft.cc:212 (x+0x1)\n"
               "SUMMARY: ThreadSanitizer: data race "
               f"{tu.REPO}/raft/raft.cc:212 in raft::Raft::Tick()\n"
               "==================\n")
        self.assertEqual(gtestrun.failure_reason(out),
                         "SUMMARY: ThreadSanitizer: data race "
                         "raft/raft.cc:212 in raft::Raft::Tick()")

    def test_warnings(self):
        out = ("Test (2A): initial election ...\n"
               "warning: term changed even though there were no failures\n"
               "  ... Passed --\n"
               "warning: term changed even though there were no failures\n"
               "labrpc: WARNING: LAB_SCHEDULE_VERSION=1, but ...\n")
        self.assertEqual(gtestrun.warnings_in(out),
                         ["warning: term changed even though there were no "
                          "failures"])

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
        self.assertEqual(r.reason, "tests/fake_test.cc:42: expected one "
                                   "leader, got none (seed 10)")
        self.assertEqual(r.message, r.reason)
        self.assertEqual(r.replay, f"LAB_RUNTIME=sim LAB_SEED=10 {self.binary}"
                                   f" --gtest_filter=Fake2A.Flaky")

    def test_crash_gets_a_constructed_replay(self):
        r = self.run_one("Fake2B.Crash", 5, runtime="real")
        self.assertEqual(r.status, "crash")
        self.assertTrue(r.reason.startswith("SIGABRT"), r.reason)
        self.assertEqual(r.replay, f"LAB_RUNTIME=real LAB_SEED=5 {self.binary}"
                                   f" --gtest_filter=Fake2B.Crash")

    def test_constructed_sim_replay_carries_the_schedule_version(self):
        version = gtestrun.sim_schedule_version()
        self.assertIsNotNone(version, "kSimScheduleVersion not found in "
                             "labrpc/world.h")
        r = self.run_one("Fake2B.Crash", 5)
        self.assertEqual(r.status, "crash")
        self.assertEqual(r.replay,
                         f"LAB_RUNTIME=sim LAB_SEED=5 "
                         f"LAB_SCHEDULE_VERSION={version} "
                         f"{self.binary} --gtest_filter=Fake2B.Crash")

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
