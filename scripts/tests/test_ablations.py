"""Tests of scripts/ablations.py: which tests a control runs, a test that
fails at a later seed counts as failing, a test that passes every seed
fails the control, and names that match nothing are usage errors (with the
fake binary, whose tests fail for known seeds)."""

import io
import unittest

import tools_testutil as tu

import ablations
import gtestrun


class AblationsTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tu.TempDir()
        self.addCleanup(self.tmp.cleanup)
        build = tu.fake_build(self.tmp.path)
        self.tests = gtestrun.discover(gtestrun.find_binaries(build))
        self.build = build

    def check(self, ablation, seeds=(1, 2, 3)):
        out = io.StringIO()
        survivors = ablations.check(ablation, self.tests, list(seeds), 2, 60,
                                    out=out)
        return survivors, out.getvalue()

    def test_plan_leaves_out_may_pass(self):
        a = ablations.Ablation("x", ["2A", "Fake2B.AlwaysFails"],
                               {"Fake2A.Pass": "why"})
        self.assertEqual(ablations.planned_tests(a, self.tests),
                         ["Fake2A.Flaky", "Fake2B.AlwaysFails"])

    def test_failure_at_a_later_seed_counts(self):
        # Fake2A.Flaky fails only at seed 3 (seed % 7 == 3).
        survivors, out = self.check(
            ablations.Ablation("x", ["Fake2A.Flaky", "Fake2B.AlwaysFails"]))
        self.assertEqual(survivors, [])
        self.assertIn("Fake2A.Flaky: fail at seed 3", out)
        self.assertIn("Fake2B.AlwaysFails: fail at seed 1", out)
        self.assertIn("2/2 failed as they must", out)

    def test_a_test_passing_every_seed_fails_the_control(self):
        survivors, out = self.check(
            ablations.Ablation("x", ["Fake2A.Flaky", "Fake2A.Pass"]),
            seeds=(1, 2))
        self.assertEqual(survivors, ["Fake2A.Pass", "Fake2A.Flaky"])
        self.assertIn("PASSED Fake2A.Pass: passed every seed", out)

    def test_names_that_match_nothing_are_errors(self):
        with self.assertRaisesRegex(ValueError, "no test matches"):
            ablations.planned_tests(ablations.Ablation("x", ["Nope9Z.X"]),
                                    self.tests)
        with self.assertRaisesRegex(ValueError, "may_pass names"):
            ablations.planned_tests(
                ablations.Ablation("x", ["2A"], {"Fake2A.Gone": "renamed"}),
                self.tests)

    def test_command_line(self):
        r = tu.run_tool("ablations.py", "--build-dir", str(self.build),
                        "--ablation", "no_such_feature")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown ablation 'no_such_feature'", r.stderr)
        r = tu.run_tool("ablations.py", "--list")
        self.assertEqual(r.returncode, 0)
        self.assertIn("persistence: must fail 2C", r.stdout)

    def test_every_ablation_is_a_raft_switch(self):
        path = tu.REPO / "raft" / "ablation.h"
        if not path.exists():
            self.skipTest("no raft/ablation.h: the student handout has no "
                          "ablation switches")
        header = path.read_text()
        for a in ablations.ABLATIONS:
            for name in a.name.split(","):
                self.assertIn(f'"{name}"', header, a.name)


if __name__ == "__main__":
    unittest.main()
