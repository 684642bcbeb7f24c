"""Tests of scripts/bench.py: the Go figures file and its errors, the
"... Passed --" lines, the round-trip JSON, one measured run (CPU time and
peak RSS), and whole runs as a child process against a fake build
(fake_bench_gtest.py as the test binary and as labrpc_bench)."""

import json
import os
import signal
import subprocess
import sys
import time
import unittest

import tools_testutil as tu

import bench
import gtestrun

FAKE = tu.HERE / "fake_bench_gtest.py"

POINTS = """\
test\tpoints
Fake2B.Backup\t5
Fake2B.Burn\t5
Fake3A.Basic\t3
Fake3A.Speed\t3
Fake3A.Flaky\t3
Fake4A.Plain\t10
FakeRules2B.Strict\t1\tstrict
"""

GO = """\
# Go figures for the tests.
#
# Source: measured by hand,
# for the tests.
#
# more comment
stage\ttest\tmetric\tvalue\tgo_name
2B\tFake2B.Backup\twall_s\t10\tTestBackup2B
2B\tFake2B.Backup\trpcs\t100\tTestBackup2B
3A\tFake3A.Basic+Fake3A.Speed\tops\t15\tTestBasic3A+TestSpeed3A
3A\tFake3A.Basic+Fake3A.Speed\twall_s\t100\tTestBasic3A+TestSpeed3A
2B-3A\ttotal\twall_s\t0.001\tgo test -run 2B|3A
labrpc\tCallRoundTrip\trtt_us_min\t27.5\tTestBenchmark
labrpc\tCallRoundTrip\trtt_us_max\t33.7\tTestBenchmark
"""


def install(src, dst):
    # This interpreter, not `env python3` (see tools_testutil.fake_build).
    body = src.read_text().split("\n", 1)[1]
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(f"#!{sys.executable}\n{body}")
    dst.chmod(0o755)


class GoFiguresTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tu.TempDir()
        self.addCleanup(self.tmp.cleanup)

    def write(self, text):
        p = self.tmp.path / "go.tsv"
        p.write_text(text)
        return p

    def test_repository_file(self):
        path = tu.REPO / "bench" / "go_figures.tsv"
        figures, source = bench.read_go_figures(path)
        self.assertTrue(source.startswith(
            "Measured on the project's 2-core CI machine (Debian 12), Go "
            "1.19 with the 2023 6.5840 staff test files"), source)
        self.assertTrue(source.endswith("2026-11 (issue #12)."), source)
        got = {(f.stage, f.test, f.metric): f.value for f in figures}
        self.assertEqual(got[("2A-2D", "total", "wall_s")], 279.7)
        self.assertEqual(got[("2A-2D", "total", "cpu_s")], 16.6)
        self.assertEqual(got[("2A-2D", "total", "rss_mb")], 133)
        self.assertEqual(got[("2B", "Raft2B.Backup", "wall_s")], 5.5)
        self.assertEqual(got[("2C", "Raft2C.Figure8Unreliable", "rpcs")],
                         3170)
        self.assertEqual(got[("2D", "Raft2D.SnapshotInstallUnreliable",
                              "wall_s")], 32.7)
        group = "KV3A.Basic+KV3A.Speed+KV3A.Concurrent"
        self.assertEqual(got[("3A", group, "ops")], 4244)
        self.assertEqual(got[("labrpc", "CallRoundTrip", "rtt_us_min")],
                         27.5)
        self.assertEqual(got[("labrpc", "CallRoundTrip", "rtt_us_max")],
                         33.7)
        self.assertEqual(len(figures), 16)
        # Every test it names is a graded test of the points table.
        import grade
        points, strict = grade.read_table(tu.REPO / "tests" / "points.tsv")
        bench.check_go_tests(figures, set(points) - strict, path)

    def test_test_file(self):
        figures, source = bench.read_go_figures(self.write(GO))
        self.assertEqual(source, "measured by hand, for the tests.")
        self.assertEqual(figures[2].tests, ["Fake3A.Basic", "Fake3A.Speed"])
        known = ["2A", "2B", "2C", "2D", "3A", "3B"]
        self.assertEqual(bench.stages_of("2B-3A", known),
                         ["2B", "2C", "2D", "3A"])
        self.assertEqual(bench.stages_of("3B", known), ["3B"])

    def test_errors_name_the_line(self):
        head = "stage\ttest\tmetric\tvalue\tgo_name\n"
        cases = [
            ("2B\tRaft2B.Backup\twall_s\t5.5\n", r"go.tsv:2: expected 5 "
             r"tab-separated cells"),
            ("2B Raft2B.Backup wall_s 5.5 TestBackup2B\n", r"go.tsv:2: "
             r"expected 5"),
            ("2B\tRaft2B.Backup\twall\t5.5\tTestBackup2B\n",
             r"go.tsv:2: unknown metric 'wall'"),
            ("2B\tRaft2B.Backup\twall_s\tfast\tTestBackup2B\n",
             r"go.tsv:2: value 'fast' is not a number"),
            ("2B\tRaft2B.Backup\twall_s\t-1\tTestBackup2B\n",
             r"go.tsv:2: value '-1'"),
            ("2B\tRaft2B.Backup\twall_s\tnan\tTestBackup2B\n",
             r"go.tsv:2: value 'nan'"),
            ("2B\tRaft2C.Persist2\twall_s\t1\tTestPersist22C\n",
             r"go.tsv:2: test 'Raft2C.Persist2' is not a test of stage 2B"),
            ("2B\tRaft2B.Backup\twall_s\t1\t\n", r"go.tsv:2: empty go_name"),
            ("2A-2D-3A\ttotal\twall_s\t1\tall\n",
             r"go.tsv:2: stage '2A-2D-3A' is not a stage"),
            ("2D-2A\ttotal\twall_s\t1\tall\n", r"go.tsv:2: stage range"),
            ("2A-2D\tRaft2B.Backup\twall_s\t1\tx\n",
             r"go.tsv:2: a range of stages takes test 'total'"),
            ("2B\tRaft2B.Backup\trtt_us_min\t1\tx\n",
             r"go.tsv:2: unknown metric 'rtt_us_min'"),
            ("labrpc\tCallRoundTrip\twall_s\t1\tx\n",
             r"go.tsv:2: metric 'wall_s': a labrpc figure"),
            ("labrpc\tEcho\trtt_us_min\t1\tx\n", r"go.tsv:2: test 'Echo'"),
            ("3A\tKV3A.Basic+KV3A.Basic\tops\t1\tx\n",
             r"go.tsv:2: a test is listed twice"),
            ("2B\tRaft2B.Backup\twall_s\t1\tx\n# c\n"
             "2B\tRaft2B.Backup\twall_s\t2\tx\n",
             r"go.tsv:4: wall_s of 2B Raft2B.Backup given twice \(first on "
             r"line 2\)"),
            ("labrpc\tCallRoundTrip\trtt_us_min\t1\tx\n",
             r"go.tsv: the labrpc round trip needs both"),
        ]
        for row, want in cases:
            with self.subTest(row=row):
                with self.assertRaisesRegex(ValueError, want):
                    bench.read_go_figures(self.write(head + row))

    def test_unknown_test_names_the_line(self):
        path = self.write("2B\tRaft2B.Backupp\twall_s\t1\tx\n")
        figures, _ = bench.read_go_figures(path)
        with self.assertRaisesRegex(ValueError, r"go.tsv:1: Raft2B.Backupp "
                                                r"is not a graded test"):
            bench.check_go_tests(figures, {"Raft2B.Backup"}, path)


class ParseTest(unittest.TestCase):

    def test_passed_lines(self):
        raft = "Test (2B): x ...\n  ... Passed --   5.5  5 1456  111560  102\n"
        self.assertEqual(bench.passed_figures(raft),
                         {"test_s": 5.5, "peers": 5, "rpcs": 1456,
                          "bytes": 111560, "commits": 102})
        kv = ("  ... Passed --  15.1  5 40000  900\nTest: part 2\n"
              "  ... Passed --   1.0  3   100   10\n")
        self.assertEqual(bench.passed_figures(kv),
                         {"test_s": 16.1, "peers": 5, "rpcs": 40100,
                          "ops": 910})
        self.assertEqual(bench.passed_figures("  ... Passed\n"), {})
        self.assertEqual(bench.passed_figures("  ... Passed --  1 2 x 4\n"),
                         {})

    def test_round_trip_json(self):
        text = json.dumps({"benchmarks": [
            {"name": "BM_CallRoundTrip/real/real_time", "run_type":
             "iteration", "real_time": 17.5, "time_unit": "us"},
            {"name": "BM_CallRoundTrip/real/real_time", "run_type":
             "iteration", "real_time": 18.5, "time_unit": "us"},
            {"name": "BM_CallRoundTrip/real/real_time_mean", "run_type":
             "aggregate", "real_time": 99, "time_unit": "us"},
            {"name": "BM_CallRoundTrip/sim/real_time", "real_time": 1600,
             "time_unit": "ns"},
            {"name": "BM_CodecRoundTrip/1", "real_time": 5,
             "time_unit": "ns"},
        ]})
        self.assertEqual(bench.parse_rpc_bench(text),
                         {"real": 18.0, "sim": 1.6})
        with self.assertRaisesRegex(ValueError, "no CallRoundTrip result"):
            bench.parse_rpc_bench('{"benchmarks": []}')
        with self.assertRaisesRegex(ValueError, "not Google Benchmark JSON"):
            bench.parse_rpc_bench("Running labrpc_bench\n")
        with self.assertRaisesRegex(ValueError, "known unit"):
            bench.parse_rpc_bench(json.dumps({"benchmarks": [
                {"name": "BM_CallRoundTrip/sim", "real_time": 1,
                 "time_unit": "years"}]}))


class MeasureTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tu.TempDir()
        self.addCleanup(self.tmp.cleanup)
        self.binary = self.tmp.path / "fake_test"
        install(FAKE, self.binary)

    def test_cpu_time_and_peak_rss_of_the_child(self):
        m = bench.measure(gtestrun.Run(
            "Fake2B.Burn", self.binary, "real", 1,
            env={"FAKE_BURN_CPU": "0.4", "FAKE_BURN_MB": "80"}))
        self.assertEqual(m.status, "pass", m.reason)
        self.assertGreaterEqual(m.cpu_s, 0.35)
        self.assertGreaterEqual(m.wall_s, m.cpu_s * 0.9)
        self.assertGreaterEqual(m.rss_mb, 80)
        # Not this script's memory: a small test is small.
        self.assertLess(m.rss_mb, 200)
        self.assertEqual(m.figures["rpcs"], 10)

    def test_failure_and_timeout(self):
        m = bench.measure(gtestrun.Run("Fake3A.Flaky", self.binary, "sim", 2))
        self.assertEqual(m.status, "fail")
        self.assertIn("get wrong value (seed 2)", m.reason)
        self.assertIn("LAB_SEED=2", m.replay)
        self.assertEqual(m.figures, {})
        m = bench.measure(gtestrun.Run("Fake3A.Speed", self.binary, "sim", 1,
                                       timeout=0.5,
                                       env={"FAKE_SIM_SLEEP": "30"}))
        self.assertEqual(m.status, "timeout")
        self.assertLess(m.wall_s, 10)


class BenchRunTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tu.TempDir()
        self.addCleanup(self.tmp.cleanup)
        self.build = self.tmp.path / "build"
        install(FAKE, self.build / "tests" / "fake_test")
        install(FAKE, self.build / "bench" / "labrpc_bench")
        self.points = self.tmp.path / "points.tsv"
        self.points.write_text(POINTS)
        self.go = self.tmp.path / "go.tsv"
        self.go.write_text(GO)
        self.json = self.tmp.path / "out" / "bench.json"

    def bench(self, *args, env=None):
        # The fake build is no CMake folder: nothing to build.
        return tu.run_tool("bench.py", "--build-dir", str(self.build),
                           "--points", str(self.points), "--go-figures",
                           str(self.go), "--no-build", "--rpc-min-time",
                           "0.01", *args, env=env, timeout=300)

    @staticmethod
    def row(text, label):
        """The cells of the table row that starts with label."""
        for line in text.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if line.startswith("|") and cells[0] == label:
                return cells
        raise AssertionError(f"no row {label!r} in:\n{text}")

    @staticmethod
    def header(text, first):
        for line in text.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if line.startswith("|") and cells[0] == first:
                return cells
        raise AssertionError(f"no header {first!r}")

    def test_stage_tables_go_figures_goals_and_json(self):
        r = self.bench("--seeds", "2", "--json", str(self.json),
                       "--sim-goal", "1", env={"FAKE_SIM_SLEEP": "1.5"})
        out = r.stdout
        # Fake3A.Flaky fails under sim at seed 2.
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("FAIL Fake3A.Flaky (sim seed 2, fail): "
                      "tests/fake_test.cc:7: get wrong value (seed 2)",
                      r.stderr)
        self.assertIn("replay: LAB_RUNTIME=sim LAB_SEED=2", r.stderr)
        self.assertIn("[6/6] Fake4A.Plain", r.stderr)
        for stage in ("2B", "3A", "4A"):
            self.assertIn(f"### Stage {stage}", out)
        self.assertNotIn("Strict", out)  # the strictness suites: not here
        self.assertNotIn("Tool.Plain", out)

        h = self.header(out, "test")
        self.assertEqual(h[:4], ["test", "real wall s", "Go s", "wall/Go"])
        self.assertEqual(len(set(h)), len(h))
        backup = dict(zip(h, self.row(out, "Fake2B.Backup")))
        self.assertEqual(backup["Go s"], "10.00")
        self.assertEqual(backup["Go RPCs"], "100")
        self.assertEqual(backup["RPCs/Go"], "2.00")
        self.assertEqual(backup["RPCs (real)"], "200")
        self.assertEqual(backup["bytes"], "123456")
        self.assertEqual(backup["goal"], "over: RPCs 2.00x Go > 1.5x")
        self.assertLess(float(backup["wall/Go"]), 0.5)
        burn = dict(zip(h, self.row(out, "Fake2B.Burn")))
        self.assertGreaterEqual(float(burn["CPU s"]), 0.25)
        self.assertGreaterEqual(float(burn["peak RSS MB"]), 40)
        self.assertEqual(burn["goal"], "")

        lines = out.split("### Stage 3A", 1)[1]
        h3 = self.header(lines, "test")
        basic = dict(zip(h3, self.row(lines, "Fake3A.Basic")))
        self.assertEqual(basic["ops"], "30")  # two parts, added up
        self.assertEqual(basic["RPCs (real)"], "800")
        self.assertEqual(basic["goal"], "ok")  # the sim goal
        speed = dict(zip(h3, self.row(lines, "Fake3A.Speed")))
        self.assertRegex(speed["goal"], r"^over: sim \d+\.\d\d s > 1 s$")
        flaky = dict(zip(h3, self.row(lines, "Fake3A.Flaky")))
        self.assertEqual(flaky["sim s/seed mean"], "FAIL")
        self.assertNotEqual(flaky["real wall s"], "FAIL")
        group = dict(zip(h3, self.row(lines, "Fake3A.{Basic,Speed}")))
        self.assertEqual(group["ops"], "1030")
        self.assertEqual(group["Go ops"], "15")
        self.assertEqual(group["ops/Go"], "68.67")
        self.assertEqual(group["goal"], "ok")  # wall 100 s in Go
        stage = dict(zip(h3, self.row(lines, "stage 3A")))
        self.assertEqual(stage["sim s/seed mean"], "FAIL")

        plain = self.row(out.split("### Stage 4A", 1)[1], "Fake4A.Plain")
        self.assertNotIn("FAIL", plain)
        totals = out.split("### Totals", 1)[1]
        rng = self.row(totals, "stages 2B-3A")
        self.assertIn("over: wall", rng[-1])
        self.assertIn("0.9x", rng[-1])
        self.row(totals, "stages 2B, 3A, 4A")

        rtt = out.split("### labrpc", 1)[1]
        real = self.row(rtt, "real runtime")
        self.assertEqual(real[1:4], ["10.00", "27.5-33.7", "0.30-0.36"])
        self.assertEqual(real[4], "ok")
        self.assertIn("Go figures (", out)
        self.assertIn("measured by hand, for the tests.", out)
        self.assertIn("Goals (issue #12)", out)
        self.assertIn("load average", out)

        data = json.loads(self.json.read_text())
        self.assertFalse(data["all_passed"])
        self.assertEqual(data["labrpc_round_trip_us"],
                         {"real": 10.0, "sim": 2.0})
        t = data["stages"]["2B"]["tests"][0]
        self.assertEqual(t["test"], "Fake2B.Backup")
        self.assertEqual([m["seed"] for m in t["sim"]], [1, 2])
        self.assertEqual([m["rpcs"] for m in t["sim"]], [101, 102])
        self.assertEqual(t["summary"]["rpcs"], 200)
        self.assertEqual(data["stages"]["3A"]["graded_tests"], 3)
        over = {(c["row"], c["metric"]) for c in data["checks"]
                if c.get("mark") == "over"}
        self.assertEqual(over, {("Fake2B.Backup", "rpcs"),
                                ("Fake3A.Speed", "sim_max"),
                                ("stages 2B-3A", "wall_s")})
        self.assertEqual(len(data["over"]), 3)

    def test_filter_skip_and_check(self):
        r = self.bench("--stages", "2b", "--filter", "*.Backup",
                       "--skip-sim", "--json", str(self.json))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("sim", self.header(r.stdout, "test"))
        self.row(r.stdout, "stage 2B (1 of 2 tests)")
        self.assertNotIn("Burn", r.stdout)
        self.assertNotIn("### Stage 3A", r.stdout)
        self.assertIn("2B-3A: Go's total not compared, only 1 of its 5 "
                      "tests ran", r.stdout)
        self.assertIn("1 figure(s) miss their goal: Fake2B.Backup RPCs "
                      "2.00x Go > 1.5x", r.stderr)
        r = self.bench("--stages", "2B", "--filter", "*.Backup",
                       "--skip-sim", "--skip-rpc", "--check")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertNotIn("### labrpc", r.stdout)
        # Without real runs the counts come from sim.
        r = self.bench("--stages", "2B", "--filter", "*.Backup",
                       "--skip-real", "--skip-rpc", "--seeds", "1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        h = self.header(r.stdout, "test")
        self.assertNotIn("real wall s", h)
        cells = dict(zip(h, self.row(r.stdout, "Fake2B.Backup")))
        self.assertEqual(cells["RPCs (sim)"], "101")
        # Only the round trip.
        r = self.bench("--skip-real", "--skip-sim")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("### Stage", r.stdout)
        self.row(r.stdout, "sim runtime")

    def test_usage_and_data_errors(self):
        cases = [
            (["--stages", "5A"], r"unknown stage '5A' \(graded stages: 2B, "
                                 r"3A, 4A\)"),
            (["--stages", "2B", "--filter", "Nope.*"],
             r"--filter: no test matches 'Nope\.\*' among the graded tests "
             r"of stage\(s\) 2B"),
            (["--seeds", "0"], r"must be at least 1"),
            (["--skip-real", "--skip-sim", "--skip-rpc"], r"nothing to "
                                                          r"measure"),
        ]
        for args, want in cases:
            with self.subTest(args=args):
                r = self.bench(*args)
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                self.assertRegex(r.stderr, want)
        self.go.write_text(GO + "2B\tFake2B.Burn\twall_s\tslow\tx\n")
        r = self.bench()
        self.assertEqual(r.returncode, 2)
        self.assertIn("go.tsv:15: value 'slow' is not a number", r.stderr)
        self.go.write_text("2B\tFake2B.Gone\twall_s\t1\tx\n")
        r = self.bench()
        self.assertEqual(r.returncode, 2)
        self.assertIn("go.tsv:1: Fake2B.Gone is not a graded test", r.stderr)
        self.go.write_text(GO)
        self.points.write_text(POINTS + "Fake2B.NotBuilt\t1\n")
        r = self.bench("--stages", "2B")
        self.assertEqual(r.returncode, 2)
        self.assertIn("1 graded test(s) not in the build", r.stderr)
        self.assertIn("Fake2B.NotBuilt", r.stderr)
        self.points.write_text(POINTS)
        r = self.bench("--stages", "2B", env={"FAKE_RTT_FAIL": "1"},)
        self.assertEqual(r.returncode, 2)
        self.assertIn("exit status 1: labrpc_bench: boom", r.stderr)
        (self.build / "bench" / "labrpc_bench").unlink()
        r = self.bench("--stages", "2B")
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, r"no .*labrpc_bench \(build it: cmake "
                                   r"--build .* --target labrpc_bench")
        r = tu.run_tool("bench.py", "--build-dir",
                        str(self.tmp.path / "nothing"), "--no-build")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no build folder", r.stderr)
        # Without --no-build it must build, and copied binaries cannot be.
        r = tu.run_tool("bench.py", "--build-dir", str(self.build),
                        "--points", str(self.points), "--go-figures",
                        str(self.go), "--stages", "2B")
        self.assertEqual(r.returncode, 2)
        self.assertIn("is not a CMake build folder", r.stderr)

    def test_interrupt_prints_what_was_measured(self):
        env = dict(os.environ, FAKE_SIM_SLEEP="60")
        proc = subprocess.Popen(
            [sys.executable, str(tu.SCRIPTS / "bench.py"), "--build-dir",
             str(self.build), "--points", str(self.points), "--go-figures",
             str(self.go), "--no-build", "--stages", "3A", "--filter",
             "Fake3A.Basic:Fake3A.Speed", "--skip-real", "--skip-rpc",
             "--seeds", "1"], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=env)
        self.addCleanup(proc.kill)
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if "[1/2] Fake3A.Basic" in line:
                break
        time.sleep(0.5)  # Fake3A.Speed is running now
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, rest = proc.communicate(timeout=30)
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual(proc.returncode, 130, "".join(seen) + rest)
        self.assertIn("interrupted", rest)
        self.assertIn("interrupted: only what was measured", out)
        cells = self.row(out, "Fake3A.Basic")
        self.assertRegex(cells[1], r"^\d+\.\d\d$")

    def test_help(self):
        r = tu.run_tool("bench.py", "--help")
        self.assertEqual(r.returncode, 0)
        for opt in ("--stages", "--filter", "--seeds", "--real-runs",
                    "--skip-real", "--skip-sim", "--build-dir", "--json",
                    "--no-build"):
            self.assertIn(opt, r.stdout)


class RealBuildTest(unittest.TestCase):
    """One sim run of a real test, when CTest passes the build folder: the
    harness's "... Passed --" line must still parse."""

    def test_real_binary(self):
        build = tu.real_build()
        if build is None or not (build / "tests" / "raft_test").exists():
            self.skipTest("no build folder with raft_test")
        r = tu.run_tool("bench.py", "--build-dir", str(build), "--no-build",
                        "--stages", "2B", "--filter", "Raft2B.BasicAgree",
                        "--skip-real", "--skip-rpc", "--seeds", "1")
        if r.returncode == 2 and "older than its sources" in r.stderr:
            self.skipTest("raft_test is being rebuilt")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        cells = BenchRunTest.row(r.stdout, "Raft2B.BasicAgree")
        h = BenchRunTest.header(r.stdout, "test")
        row = dict(zip(h, cells))
        self.assertGreater(int(row["RPCs (sim)"]), 0)
        self.assertGreater(int(row["bytes"]), 0)


if __name__ == "__main__":
    unittest.main()
