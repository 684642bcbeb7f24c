"""Tests of scripts/stress.py, run as a child process against the fake
binary (whose tests fail, crash or hang for known seeds), plus one run of a
real test binary when CTest passes the build folder."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

import tools_testutil as tu


class StressTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tu.TempDir()
        self.addCleanup(self.tmp.cleanup)
        self.build = tu.fake_build(self.tmp.path)
        self.out = self.tmp.path / "logs"

    def stress(self, *args, env=None, timeout=120):
        # The fake build is no CMake folder: nothing to build.
        return tu.run_tool("stress.py", *args, "--build-dir", str(self.build),
                           "--out", str(self.out), "--no-build", env=env,
                           timeout=timeout)

    def test_finds_failures_keeps_logs_and_replays_them(self):
        r = self.stress("Fake2A", "-n", "10")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        # Fake2A.Flaky fails for seeds with seed % 7 == 3: 3 and 10.
        self.assertIn("FAIL Fake2A.Flaky (sim, seed 3,", r.stdout)
        self.assertIn("FAIL Fake2A.Flaky (sim, seed 10,", r.stdout)
        self.assertRegex(r.stdout, r"Fake2A\.Flaky +10 +2 ")
        self.assertRegex(r.stdout, r"Fake2A\.Pass +10 +0 ")
        self.assertEqual(sorted(p.name for p in self.out.iterdir()),
                         ["Fake2A.Flaky.sim.seed10.log",
                          "Fake2A.Flaky.sim.seed3.log"])
        log = (self.out / "Fake2A.Flaky.sim.seed3.log").read_text()
        self.assertIn("expected one leader, got none (seed 3)", log)

        replay = re.search(r"replay: (LAB_RUNTIME=sim LAB_SEED=3 .*)",
                           r.stdout).group(1)
        again = subprocess.run(["bash", "-c", replay], capture_output=True,
                               text=True, timeout=60)
        self.assertEqual(again.returncode, 1)
        self.assertIn("expected one leader, got none (seed 3)", again.stdout)

    def test_failure_forced_by_environment(self):
        r = self.stress("Fake2A.Pass", "-n", "3",
                        env={"FAKE_FAIL": "Fake2A.Pass"})
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout.count("FAIL Fake2A.Pass"), 3)
        self.assertIn("3 failed run(s)", r.stdout)

    def test_all_pass_exits_zero_and_keep_all(self):
        r = self.stress("Fake2A.Pass", "Tool.Plain", "-n", "3", "--keep-all")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("all runs passed", r.stdout)
        self.assertIn("6/6 runs, 0 failed", r.stdout)
        self.assertEqual(len(list((self.out / "passed").iterdir())), 6)

    def test_stop_on_first_failure(self):
        r = self.stress("Fake2A.Flaky", "-n", "50", "-j", "1", "-x")
        self.assertEqual(r.returncode, 1)
        self.assertIn("stopped at the first failure", r.stdout)
        m = re.search(r"Fake2A\.Flaky +(\d+) +1 ", r.stdout)
        self.assertIsNotNone(m, r.stdout)
        self.assertLessEqual(int(m.group(1)), 4)

    def test_time_limit_per_run(self):
        r = self.stress("Fake2B.Hang", "-n", "5", "--timeout", "1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("TIMEOUT Fake2B.Hang (sim, seed 4,", r.stdout)
        self.assertIn("1 s time limit", r.stdout)

    def test_crash_and_real_runtime(self):
        r = self.stress("Fake2B.Crash", "-n", "2", "--runtime", "real")
        self.assertEqual(r.returncode, 1)
        self.assertIn("CRASH Fake2B.Crash (real, seed 1,", r.stdout)
        self.assertIn("LAB_RUNTIME=real LAB_SEED=1 ", r.stdout)

    def test_random_seeds_and_fuzz(self):
        r = self.stress("Fake2A.Pass", "-n", "2", "--random-seeds", "--fuzz")
        self.assertEqual(r.returncode, 0)
        self.assertIn("random seeds", r.stdout)

    def test_whole_message_sanitizer_summary_and_warnings(self):
        message = self.tmp.path / "message.txt"
        message.write_text("get wrong value, key 0, wanted:\nx 0 0 y\n, got\n"
                           "x 1 0 y\n")
        r = self.stress("Fake2A.Pass", "-n", "2",
                        env={"FAKE_FAIL": "Fake2A.Pass",
                             "FAKE_MESSAGE": str(message)})
        self.assertIn("(sim, seed 1, ", r.stdout)
        self.assertIn("): tests/fake_test.cc:42: get wrong value, key 0, "
                      "wanted:\n    x 0 0 y\n    , got\n    x 1 0 y\n"
                      "  log:    ", r.stdout)
        log = (self.out / "Fake2A.Pass.sim.seed1.log").read_text()
        self.assertTrue(log.startswith(
            "# fail: tests/fake_test.cc:42: get wrong value, key 0, wanted:\n"
            "#   x 0 0 y\n#   , got\n#   x 1 0 y\n# time: "), log[:300])

        r = self.stress("Fake2B.Crash", "-n", "1", "--runtime", "real",
                        env={"FAKE_TSAN": "1"})
        self.assertIn("CRASH Fake2B.Crash (real, seed 1, ", r.stdout)
        self.assertIn("): exit status 66: SUMMARY: ThreadSanitizer: data race "
                      "raft/raft.cc:212 in raft::Raft::Ticker()\n", r.stdout)

        # One process, so that seed 1 finishes first and is the run whose
        # warning is shown (with two, either may finish first).
        r = self.stress("Fake2A.Pass", "-n", "3", "-j", "1", env={
            "FAKE_WARNING": "warning: term changed even though there were no "
                            "failures"})
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout.count("warning: term changed"), 1, r.stdout)
        self.assertIn("Fake2A.Pass (sim, seed 1): warning: term changed",
                      r.stdout)

    @unittest.skipUnless(shutil.which("ninja"), "needs ninja")
    def test_no_build_refuses_a_stale_binary(self):
        # A Ninja build of one binary from one source.
        build = self.tmp.path / "ninja-build"
        (build / "tests").mkdir(parents=True)
        binary = build / "tests" / "fake_test"
        binary.write_text((self.build / "tests" / "fake_test").read_text())
        binary.chmod(0o755)
        (build / "src.cc").write_text("// the source\n")
        (build / "build.ninja").write_text(
            "rule link\n  command = touch tests/fake_test\n"
            "  description = Linking CXX executable tests/fake_test\n"
            "build tests/fake_test: link src.cc\n")
        subprocess.run(["ninja", "-C", str(build)], check=True,
                       capture_output=True)

        def stress():
            return tu.run_tool("stress.py", "Fake2A.Pass", "-n", "1",
                               "--no-build", "--build-dir", str(build),
                               "--out", str(self.out))
        r = stress()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        later = time.time() + 10
        os.utime(build / "src.cc", (later, later))  # an edit
        r = stress()
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn(f"stress: {binary} is older than its sources: ninja "
                      f"would run 1 step(s): Linking CXX executable "
                      f"tests/fake_test", r.stderr)
        self.assertIn(f"(cmake --build {build} --target stage_2A)", r.stderr)

    def test_usage_errors(self):
        r = self.stress("NoSuch.Test")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no test matches", r.stderr)
        # A sanitizer build is its own folder, which --no-build cannot check.
        r = self.stress("2A", "--sanitize", "thread", "--runtime", "sim")
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot be used with --no-build", r.stderr)

    def test_ctrl_c_stops_cleanly_and_prints_the_table(self):
        env = dict(os.environ, FAKE_SLOW_SECONDS="60")
        proc = subprocess.Popen(
            [sys.executable, str(tu.SCRIPTS / "stress.py"), "Fake2B.Slow",
             "Fake2A.Pass", "-n", "10", "--build-dir", str(self.build),
             "--out", str(self.out), "--no-build"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env)
        time.sleep(3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 130, out + err)
        self.assertIn("stress: interrupted", out)
        self.assertRegex(out, r"test +runs +fails +mean +sd +max")
        # No child is left behind.
        time.sleep(0.5)
        ours = str(self.build)
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().decode(errors="replace")
            except OSError:
                continue
            self.assertNotIn(ours, cmd, f"process {pid} survived: {cmd}")


class TimelineTest(unittest.TestCase):
    """--debug: a failure's traced log gets its timeline page beside it."""

    def test_page_beside_a_traced_log_only(self):
        import stress
        with tempfile.TemporaryDirectory() as tmp:
            log = Path(tmp) / "Raft2A.X.sim.seed1.log"
            log.write_text("# fail: x\n[ RUN      ] Raft2A.X\n"
                           "000010.000 test     S0 crash\n"
                           "000020.000 test     -- FAIL x.cc:1: lost\n")
            self.assertEqual(stress.save_timeline(log),
                             log.with_suffix(".html"))
            self.assertIn("const DATA", log.with_suffix(".html").read_text())
            # Negative control: a log with no trace lines gets no page.
            log.write_text("# fail: x\n[ RUN      ] Raft2A.X\n")
            log.with_suffix(".html").unlink()
            self.assertIsNone(stress.save_timeline(log))
            self.assertFalse(log.with_suffix(".html").exists())


@unittest.skipUnless(tu.real_build(), "RAFTLAB_BUILD_DIR not set (CTest "
                     "sets it)")
class RealBinaryTest(unittest.TestCase):

    def test_runtime_test_sweep_and_replays(self):
        # Judges the runner, not the runtime: every run is accounted for,
        # the exit status matches the failures, and each failure's replay
        # command fails again when run by hand.
        tmp = tu.TempDir()
        self.addCleanup(tmp.cleanup)
        r = tu.run_tool("stress.py", "Runtime.*", "-n", "1", "--build-dir",
                        str(tu.real_build()), "--out", str(tmp.path),
                        "--no-build", timeout=600)
        if r.returncode == 2 and "older than its sources" in r.stderr:
            self.skipTest("runtime_test is being rebuilt: " + r.stderr)
        m = re.search(r"\] (\d+)/(\d+) runs, (\d+) failed", r.stdout)
        self.assertIsNotNone(m, r.stdout + r.stderr)
        self.assertEqual(m.group(1), m.group(2))
        failed = int(m.group(3))
        self.assertEqual(r.returncode, 1 if failed else 0)
        replays = re.findall(r"^  replay: (.*)$", r.stdout, re.M)
        self.assertEqual(len(replays), failed)
        for cmd in replays[:3]:
            again = subprocess.run(["bash", "-c", cmd], capture_output=True,
                                   timeout=300)
            self.assertNotEqual(again.returncode, 0, cmd)

if __name__ == "__main__":
    unittest.main()
