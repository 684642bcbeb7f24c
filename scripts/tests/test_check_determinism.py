"""Tests of scripts/check_determinism.py with the fake binary: identical
traces pass, and an address in the trace (what iterating a pointer-keyed
container leaks into a schedule) is caught and located."""

import unittest

import tools_testutil as tu


class CheckDeterminismTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tu.TempDir()
        self.build = tu.fake_build(self.tmp.path)

    def tearDown(self):
        self.tmp.cleanup()

    def check(self, **env):
        return tu.run_tool("check_determinism.py", "--build-dir",
                           str(self.build), "--seed", "2", "--filter", "2A",
                           env=env)

    def test_identical_traces_pass(self):
        r = self.check()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("fake_test: 2 graded tests, seed 2", r.stdout)
        self.assertIn("identical: 2 graded tests, 2 processes each", r.stdout)

    def test_an_address_in_the_trace_is_caught(self):
        r = self.check(FAKE_TRACE_ADDRESS="1")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("traces differ at line 3, in world 1 (Fake2A.Pass)",
                      r.stdout)
        self.assertIn("DIFFERENT", r.stdout)

    def test_picture_names_are_normalized(self):
        import check_determinism as cd
        out = self.tmp.path / "out.txt"
        out.write_text("info: wrote /tmp/kvraft-history-a1B2c3.html\n"
                       "[       OK ] Fake2A.Pass (12 ms)\n")
        self.assertEqual(cd.normalized_output(out),
                         ["info: wrote /tmp/kvraft-history-XXXXXX.html",
                          "[       OK ] Fake2A.Pass"])

    def test_only_graded_tests_run(self):
        r = tu.run_tool("check_determinism.py", "--build-dir",
                        str(self.build), "--filter", "Tool.Plain")
        self.assertNotEqual(r.returncode, 0)


if __name__ == "__main__":
    unittest.main()
