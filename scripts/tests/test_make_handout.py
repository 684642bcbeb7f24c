"""Tests of scripts/make_handout.py: stripping solution regions, marker
errors with file:line, writing a handout from a small git repository, and
the markers of this repository itself."""

import contextlib
import io
import os
import subprocess
import unittest

import tools_testutil as tu

import make_handout as mh

SOLVED = """\
int Raft::Term() {
  labrpc::MutexLock l(mu_);
  // SOLUTION BEGIN
  return current_term_;
  // SOLUTION END
  //@ // Your code here (2A).
  //@ return 0;
}

class Raft {
  // SOLUTION BEGIN
  int current_term_ = 0;
  //@ // Your state here.
  //@
  // SOLUTION END
};
"""

STUDENT = """\
int Raft::Term() {
  labrpc::MutexLock l(mu_);
  // Your code here (2A).
  return 0;
}

class Raft {
  // Your state here.

};
"""


class StripTest(unittest.TestCase):

    def test_regions_replaced_by_student_text(self):
        self.assertEqual(mh.strip_solution(SOLVED, "raft/raft.cc"), STUDENT)

    def test_text_outside_regions_is_kept(self):
        text = "a\n  b // SOLUTION is mentioned here\nc\n"
        self.assertEqual(mh.strip_solution(text, "x.cc"), text)

    def test_no_double_blank_line_where_a_region_was(self):
        text = ("a\n\n// SOLUTION BEGIN\nint f();\n// SOLUTION END\n\nb\n"
                "\n// SOLUTION BEGIN\nx\n// SOLUTION END\n//@ y\n\nc\n")
        self.assertEqual(mh.strip_solution(text, "x.cc"),
                         "a\n\nb\n\ny\n\nc\n")

    def test_marker_labels_allowed(self):
        text = "// SOLUTION BEGIN 2A\nx\n// SOLUTION END 2A\ny\n"
        self.assertEqual(mh.strip_solution(text, "x.cc"), "y\n")

    def assert_error(self, text, where, what):
        with self.assertRaises(mh.MarkerError) as cm:
            mh.strip_solution(text, "raft/raft.cc")
        self.assertTrue(str(cm.exception).startswith(f"raft/raft.cc:{where}:"),
                        str(cm.exception))
        self.assertIn(what, str(cm.exception))

    def test_nested(self):
        self.assert_error("a\n// SOLUTION BEGIN\n  // SOLUTION BEGIN\n"
                          "// SOLUTION END\n// SOLUTION END\n", 3,
                          "opened at line 2")

    def test_end_without_begin(self):
        self.assert_error("a\nb\n  // SOLUTION END\n", 3, "without")

    def test_unclosed(self):
        self.assert_error("a\n// SOLUTION BEGIN\nb\n", 2, "never closed")

    def test_malformed(self):
        self.assert_error("a\n//SOLUTION BEGIN\n", 2, "malformed")
        self.assert_error("a\nb\n  // SOLUTION_END\n", 3, "malformed")
        self.assert_error("a\n// solution begin\n", 2, "malformed")

    def test_prose_about_markers_is_fine(self):
        text = "// Regions end at a // SOLUTION END line.\n"
        self.assertEqual(mh.strip_solution(text, "x.cc"), text)

    def test_markdown(self):
        text = ("# Kit\nfor all\n<!-- SOLUTION BEGIN -->\nmake handout\n"
                "<!-- SOLUTION END -->\nmore\nWrite `// SOLUTION BEGIN`.\n"
                "`<!-- SOLUTION BEGIN -->` and `<!-- SOLUTION END -->`.\n")
        self.assertEqual(mh.strip_solution(text, "README.md", markdown=True),
                         "# Kit\nfor all\nmore\n" + text.split("more\n")[1])
        with self.assertRaisesRegex(mh.MarkerError, "README.md:2: malformed"):
            mh.strip_solution("a\n<!-- SOLUTION-END -->\n", "README.md",
                              markdown=True)


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True,
                   capture_output=True)


class WriteHandoutTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tu.TempDir()
        self.addCleanup(self.tmp.cleanup)
        repo = self.repo = self.tmp.path / "repo"
        files = {
            "raft/raft.cc": SOLVED,
            "raft/ablation.h": "// SOLUTION FILE: left out.\nint x;\n",
            "labrpc/other.h": "// SOLUTION FILE (only solution dirs)\n",
            "labrpc/net.cc": "int net = 1;\n  //@ stays a comment here\n",
            "README.md": "# raftlab\nall\n<!-- SOLUTION BEGIN -->\nstaff\n"
                         "<!-- SOLUTION END -->\n",
            "scripts/handout_readme.md": "# Student intro\n",
            "scripts/run.sh": "#!/bin/sh\necho hi\n",
            ".ci/run": "#!/bin/sh\nmake test\n",
        }
        for rel, text in files.items():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            (repo / rel).write_text(text)
        os.chmod(repo / "scripts/run.sh", 0o755)
        git(repo, "init", "-q")
        git(repo, "add", ".")
        (repo / "raft/new.cc").write_text("// not committed yet\n")

    def test_writes_student_tree(self):
        out = self.tmp.path / "handout"
        files = mh.write_handout(self.repo, out)
        self.assertNotIn(".ci/run", files)
        self.assertNotIn("raft/ablation.h", files)
        self.assertFalse((out / "raft/ablation.h").exists())
        self.assertTrue((out / "labrpc/other.h").exists())
        self.assertFalse((out / ".ci").exists())
        self.assertFalse((out / ".git").exists())
        self.assertFalse((out / "raft/new.cc").exists())  # untracked
        self.assertEqual((out / "raft/raft.cc").read_text(), STUDENT)
        self.assertEqual((out / "labrpc/net.cc").read_text(),
                         "int net = 1;\n  //@ stays a comment here\n")
        self.assertEqual((out / "README.md").read_text(),
                         "# Student intro\n\n# raftlab\nall\n")
        self.assertTrue(os.access(out / "scripts/run.sh", os.X_OK))

    def test_untracked_and_existing_folder(self):
        out = self.tmp.path / "handout"
        mh.write_handout(self.repo, out, untracked=True)
        self.assertTrue((out / "raft/new.cc").exists())
        with self.assertRaises(FileExistsError):
            mh.write_handout(self.repo, out)
        mh.write_handout(self.repo, out, force=True)
        self.assertFalse((out / "raft/new.cc").exists())
        with self.assertRaises(FileExistsError):
            mh.write_handout(self.repo, self.tmp.path, force=True)

    def test_marker_error_writes_nothing(self):
        (self.repo / "raft/raft.cc").write_text("// SOLUTION BEGIN\nx\n")
        out = self.tmp.path / "handout"
        with self.assertRaisesRegex(mh.MarkerError, "raft/raft.cc:1:"):
            mh.write_handout(self.repo, out)
        self.assertFalse(out.exists())

    def test_marker_outside_solution_dirs(self):
        (self.repo / "labrpc/net.cc").write_text("// SOLUTION BEGIN\n"
                                                 "// SOLUTION END\n")
        with self.assertRaisesRegex(mh.MarkerError, "labrpc/net.cc:1: "
                                    "solution marker outside"):
            mh.write_handout(self.repo, self.tmp.path / "handout")

    def test_command_line(self):
        out = self.tmp.path / "h2"
        r = tu.run_tool("make_handout.py", "--out", str(out), "--repo",
                        str(self.repo))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("wrote 6 files", r.stdout)
        r = tu.run_tool("make_handout.py", "--out", str(out), "--repo",
                        str(self.repo))
        self.assertEqual(r.returncode, 1)
        self.assertIn("--force", r.stderr)


class CheckGradedTest(unittest.TestCase):
    """The --check verdicts on the graded tests, with the fake binary."""

    def test_verdicts(self):
        tmp = tu.TempDir()
        self.addCleanup(tmp.cleanup)
        tu.fake_build(tmp.path)  # tmp/build/tests/fake_test
        check = mh.Checker()
        with contextlib.redirect_stdout(io.StringIO()) as out:
            mh.run_graded(tmp.path, ["2B"], ["sim"], 2, check)
        text = out.getvalue()
        self.assertIn("ok    Fake2B.AlwaysFails (sim) fails in", text)
        self.assertIn("FAIL  Fake2B.Crash (sim): crash (SIGABRT", text)
        self.assertIn("FAIL  Fake2B.Slow (sim) passes without a solution",
                      text)
        self.assertIn("FAIL  stage 2B in one process (sim): crash", text)
        self.assertEqual(len(check.problems), 4)  # Crash, Hang, Slow, stage


class CheckKitTestsTest(unittest.TestCase):

    def test_failures_are_named(self):
        tmp = tu.TempDir()
        self.addCleanup(tmp.cleanup)
        build = tu.fake_build(tmp.path)
        (build / "tests" / "fake_test").rename(build / "tests/runtime_test")
        check = mh.Checker()
        old = os.environ.get("FAKE_FAIL")
        os.environ["FAKE_FAIL"] = "Fake2A.Pass"
        try:
            with contextlib.redirect_stdout(io.StringIO()) as out:
                mh.run_kit_tests(tmp.path, 2, check)
        finally:
            if old is None:
                del os.environ["FAKE_FAIL"]
            else:
                os.environ["FAKE_FAIL"] = old
        text = out.getvalue()
        self.assertIn("FAIL  labrpc_test was not built", text)
        # Seed 1 makes Fake2B.Crash abort the binary: a crash, no retry.
        self.assertIn("FAIL  runtime_test under real: crash (exit -6); "
                      "failed: Fake2A.Pass", text)
        self.assertIn("FAIL  runtime_test under sim: crash", text)
        self.assertEqual(len(check.problems), 3)


class ThisRepositoryTest(unittest.TestCase):

    def test_markers_are_well_formed(self):
        r = tu.run_tool("make_handout.py", "--lint", "--untracked")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("markers ok", r.stdout)


if __name__ == "__main__":
    unittest.main()
