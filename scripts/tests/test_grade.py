"""Tests of scripts/grade.py: the points table, scoring over seeds and
runtimes, the score table and the exit status (with the fake binary)."""

import json
import re
import unittest
import xml.etree.ElementTree as ET

import tools_testutil as tu

import gtestrun
import grade

POINTS = """\
# comment
test\tpoints
Fake2A.Pass\t5
Fake2A.Flaky\t5
Fake2B.Slow\t2
Fake2B.Crash\t3
Fake3A.NotBuilt\t4
"""


class PointsTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tu.TempDir()
        self.addCleanup(self.tmp.cleanup)

    def write(self, text):
        p = self.tmp.path / "points.tsv"
        p.write_text(text)
        return p

    def test_read(self):
        pts = grade.read_points(self.write(POINTS))
        self.assertEqual(list(pts.items())[:2],
                         [("Fake2A.Pass", 5), ("Fake2A.Flaky", 5)])

    def test_errors_name_the_line(self):
        with self.assertRaisesRegex(ValueError, r"points.tsv:2:"):
            grade.read_points(self.write("test\tpoints\nRaft2A.X\tfive\n"))
        with self.assertRaisesRegex(ValueError, r"points.tsv:1:"):
            grade.read_points(self.write("Runtime.Sleep\t3\n"))
        with self.assertRaisesRegex(ValueError, r"points.tsv:1:"):
            grade.read_points(self.write("Raft2A.X\t1\tbonus\n"))
        self.assertEqual(grade.read_table(self.write("Raft2A.X\t1\tstrict\n"
                                                     "Raft2A.Y\t2\n")),
                         ({"Raft2A.X": 1, "Raft2A.Y": 2}, {"Raft2A.X"}))
        with self.assertRaisesRegex(ValueError, "twice"):
            grade.read_points(self.write("Raft2A.X\t1\nRaft2A.X\t2\n"))

    def test_repository_table(self):
        pts = grade.read_points(tu.REPO / "tests" / "points.tsv")
        _, strict = grade.read_table(tu.REPO / "tests" / "points.tsv")
        self.assertEqual(sum(p for t, p in pts.items() if t not in strict),
                         300)
        raft = {t: p for t, p in pts.items() if t.startswith("Raft2")}
        self.assertEqual(sum(raft.values()), 100)
        self.assertEqual({gtestrun.stage_of(t) for t in raft},
                         {"2A", "2B", "2C", "2D"})
        self.assertEqual(len(raft), 28)  # the 2023 Raft test set


class GradeRunTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tu.TempDir()
        self.addCleanup(self.tmp.cleanup)
        self.build = tu.fake_build(self.tmp.path)
        self.points = self.tmp.path / "points.tsv"
        self.points.write_text(POINTS)

    def grade(self, *args, env=None):
        # The fake build is no CMake folder: nothing to build.
        return tu.run_tool("grade.py", "--build-dir", str(self.build),
                           "--points", str(self.points), "--no-build", *args,
                           env=env, timeout=300)

    def row(self, out, test):
        m = re.search(rf"^{re.escape(test)}(?= ).*$", out, re.M)
        self.assertIsNotNone(m, f"{test} not in\n{out}")
        return m.group(0)

    def test_scores_only_when_every_seed_passes(self):
        # Seeds 1..4: Flaky fails at seed 3, Crash aborts at seed 1.
        r = self.grade("--seeds", "4", "--stage", "2A,2B", "--timeout", "3")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        out = r.stdout
        self.assertRegex(self.row(out, "Fake2A.Pass"), r"ok 4/4 +5/5$")
        self.assertRegex(self.row(out, "Fake2A.Flaky"), r"FAIL s3 +0/5$")
        self.assertRegex(self.row(out, "Fake2B.Crash"), r"CRASH s1 +0/3$")
        self.assertRegex(self.row(out, "Fake2B.Slow"), r"ok 4/4 +2/2$")
        self.assertRegex(self.row(out, "stage 2A"), r"5/10$")
        self.assertRegex(self.row(out, "stage 2B"), r"2/5$")
        self.assertRegex(self.row(out, "total"), r"7/15$")
        # A test nobody gave points to is graded for 0 and flagged.
        self.assertIn("Fake2B.AlwaysFails is not in", out)
        self.assertRegex(self.row(out, "Fake2B.AlwaysFails (no points)"),
                         r"0/0$")
        self.assertIn("replay: LAB_RUNTIME=sim LAB_SEED=3 ", out)
        self.assertIn("grade: 7/15 points", out)

    def test_all_pass_exit_zero_and_not_built_stage(self):
        self.points.write_text("Fake2A.Pass\t5\nFake3A.Later\t4\n")
        r = self.grade("--seeds", "2", "--stage", "2A")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(self.row(r.stdout, "total"), r"5/5$")
        r = self.grade("--seeds", "1", "--stage", "3A")
        self.assertEqual(r.returncode, 2)
        self.assertIn("not in the build", r.stderr)

    def test_default_grades_every_built_stage(self):
        self.points.write_text("Fake2A.Pass\t5\nFake3A.Later\t4\n")
        r = self.grade("--seeds", "1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("stage 3A: not built yet", r.stdout)
        self.assertIn("stage 2B", r.stdout)

    def test_both_runtimes(self):
        self.points.write_text("Fake2A.Pass\t5\nFake2A.Flaky\t5\n")
        r = self.grade("--stage", "2A", "--runtime", "both", "--seeds", "3")
        out = r.stdout
        self.assertEqual(r.returncode, 1)
        self.assertRegex(out, r"(?m)^test +sim +real +points")
        self.assertRegex(self.row(out, "Fake2A.Pass"),
                         r"ok 3/3 +ok 1/1 +5/5$")
        # Failing under one runtime (sim seed 3) loses the points.
        self.assertRegex(self.row(out, "Fake2A.Flaky"),
                         r"FAIL s3 +ok 1/1 +0/5$")

    def test_missing_test_of_a_built_stage_fails(self):
        self.points.write_text("Fake2A.Pass\t5\nFake2A.Gone\t5\n")
        r = self.grade("--stage", "2A", "--seeds", "1")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(self.row(r.stdout, "Fake2A.Gone"), r"missing +0/5$")
        self.assertRegex(self.row(r.stdout, "total"), r"5/10$")

    def test_strictness_suites_are_totalled_apart(self):
        self.points.write_text("Fake2A.Pass\t5\nFake2A.Flaky\t3\tstrict\n"
                               "Fake2B.Slow\t2\n")
        r = self.grade("--seeds", "3", "--stage", "2A,2B")
        out = r.stdout
        self.assertEqual(r.returncode, 1, out)
        self.assertRegex(self.row(out, "stage 2A"), r"5/5$")
        self.assertRegex(self.row(out, "stage 2A strictness"), r"0/3$")
        self.assertRegex(self.row(out, "total"), r"7/7$")
        self.assertRegex(self.row(out, "strictness suites"), r"0/3$")
        self.assertIn("grade: 7/7 points (strictness suites: 0/3 more)", out)
        # The originals' subtotal comes before the strictness tests.
        self.assertLess(out.index("stage 2A "), out.index("Fake2A.Flaky  "))

    def test_whole_message_and_warnings(self):
        self.points.write_text("Fake2A.Pass\t5\nFake2A.Flaky\t5\n")
        message = self.tmp.path / "message.txt"
        advice = "hold no Mutex across a Call: unlock it first"
        message.write_text("get wrong value, key 0, wanted:\nx 0 0 y\n, got\n"
                           f"x 1 0 y\nMutex 'raft' {'-' * 300} {advice}\n")
        r = self.grade("--seeds", "3", "--stage", "2A",
                       env={"FAKE_MESSAGE": str(message),
                            "FAKE_WARNING": "warning: term changed even "
                                            "though there were no failures"})
        out = r.stdout
        self.assertEqual(r.returncode, 1, out + r.stderr)
        self.assertIn("     tests/fake_test.cc:42: get wrong value, key 0, "
                      "wanted:\n       x 0 0 y\n       , got\n       x 1 0 y\n"
                      "       Mutex 'raft' ", out)
        self.assertIn(f"{advice}\n     replay: LAB_RUNTIME=sim LAB_SEED=3 ",
                      out)
        self.assertIn("     warning: term changed even though there were no "
                      "failures (sim seeds 1, 2, 3)", out)

    def test_sanitizer_summary_in_the_reason(self):
        self.points.write_text("Fake2B.Crash\t3\n")
        r = self.grade("--seeds", "1", "--stage", "2B", "--runtime", "real",
                       env={"FAKE_TSAN": "1"})
        self.assertIn("     exit status 66: SUMMARY: ThreadSanitizer: data "
                      "race raft/raft.cc:212 in raft::Raft::Ticker()",
                      r.stdout)

    def test_results_json_and_junit(self):
        self.points.write_text("Fake2A.Pass\t5\nFake2A.Flaky\t4\n"
                               "Fake2B.Crash\t3\tstrict\nFake2B.Gone\t2\n")
        js = self.tmp.path / "out" / "results.json"
        xml = self.tmp.path / "out" / "junit.xml"
        r = self.grade("--seeds", "3", "--stage", "2A,2B", "--json", str(js),
                       "--junit", str(xml))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"grade: results in {js}, {xml}", r.stdout)
        data = json.loads(js.read_text())
        self.assertEqual((data["score"], data["max_score"]), (5, 11))
        self.assertEqual(data["extra_data"]["strict_score"], 0)
        self.assertEqual(data["extra_data"]["strict_max_score"], 3)
        tests = {t["name"]: t for t in data["tests"]}
        self.assertEqual(tests["Fake2A.Pass"]["status"], "passed")
        self.assertEqual(tests["Fake2A.Pass"]["score"], 5)
        self.assertEqual(tests["Fake2A.Pass"]["tags"], ["2A"])
        self.assertEqual(tests["Fake2A.Pass"]["output"],
                         "sim: passed 3 of 3 runs")
        flaky = tests["Fake2A.Flaky"]
        self.assertEqual((flaky["status"], flaky["score"],
                          flaky["max_score"]), ("failed", 0, 4))
        self.assertIn("tests/fake_test.cc:42: expected one leader, got none "
                      "(seed 3)", flaky["output"])
        self.assertIn("replay: LAB_RUNTIME=sim LAB_SEED=3 ", flaky["output"])
        crash = tests["Fake2B.Crash"]
        self.assertEqual(crash["tags"], ["2B", "strict"])
        self.assertEqual(crash["extra_data"]["result"], "error")
        self.assertIn("SIGABRT", crash["output"])
        self.assertEqual(tests["Fake2B.Gone"]["extra_data"]["result"],
                         "error")
        self.assertIn("not in the points table",
                      tests["Fake2B.AlwaysFails"]["output"])

        root = ET.parse(xml).getroot()
        self.assertEqual(root.tag, "testsuites")
        suites = {s.get("name"): s for s in root.findall("testsuite")}
        self.assertEqual(sorted(suites), ["stage 2A", "stage 2B"])
        self.assertEqual(suites["stage 2A"].get("failures"), "1")
        cases = {f"{c.get('classname')}.{c.get('name')}": c
                 for c in root.iter("testcase")}
        failure = cases["Fake2A.Flaky"].find("failure")
        self.assertEqual(failure.get("message"), "tests/fake_test.cc:42: "
                         "expected one leader, got none (seed 3)")
        self.assertIn("replay: ", failure.text)
        self.assertIsNone(cases["Fake2A.Pass"].find("failure"))
        self.assertEqual(cases["Fake2B.Crash"].find("error").get("type"),
                         "crash")
        props = {p.get("name"): p.get("value")
                 for p in cases["Fake2B.Crash"].iter("property")}
        self.assertEqual(props["strict"], "true")
        self.assertEqual(props["max_points"], "3")

    def test_results_default_to_the_build_folder(self):
        self.points.write_text("Fake2A.Pass\t5\n")
        r = self.grade("--seeds", "1", "--stage", "2A")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        data = json.loads((self.build / "grade-results.json").read_text())
        self.assertEqual(data["score"], 5)
        ET.parse(self.build / "grade-junit.xml")
        r = self.grade("--seeds", "1", "--stage", "3A")  # a usage error
        self.assertEqual(r.returncode, 2)
        data = json.loads((self.build / "grade-results.json").read_text())
        self.assertEqual(data["score"], 0)
        self.assertIn("not in the build", data["output"])

    def test_builds_unless_told_not_to(self):
        self.points.write_text("Fake2A.Pass\t5\n")
        r = tu.run_tool("grade.py", "--build-dir", str(self.build),
                        "--points", str(self.points), "--stage", "2A")
        self.assertEqual(r.returncode, 2)
        self.assertIn("is not a CMake build folder", r.stderr)
        self.assertIn("--no-build", r.stderr)

    def test_bad_arguments(self):
        self.assertEqual(self.grade("--stage", "2Z9").returncode, 2)
        self.assertEqual(self.grade("--runtime", "fast").returncode, 2)


if __name__ == "__main__":
    unittest.main()
