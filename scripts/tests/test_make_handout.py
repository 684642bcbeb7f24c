"""Tests of scripts/make_handout.py: stripping solution regions, marker
errors with file:line, writing a handout from a small git repository (and
from a plain folder), the check of what the handout says, and the markers
and handout text of this repository itself."""

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

    def test_markdown_unbalanced(self):
        with self.assertRaisesRegex(mh.MarkerError,
                                    "README.md:2: SOLUTION BEGIN never"):
            mh.strip_solution("a\n<!-- SOLUTION BEGIN -->\nstaff\n",
                              "README.md", markdown=True)
        with self.assertRaisesRegex(mh.MarkerError,
                                    "README.md:2: SOLUTION END without"):
            mh.strip_solution("a\n<!-- SOLUTION END -->\n", "README.md",
                              markdown=True)

    def test_hash_comments(self):
        text = ("all:\n# SOLUTION BEGIN\nhandout:\n\tmake_handout\n"
                "# SOLUTION END\nclean:\n")
        self.assertEqual(mh.strip_solution(text, "Makefile", style="hash"),
                         "all:\nclean:\n")
        with self.assertRaisesRegex(mh.MarkerError, "Makefile:1: malformed"):
            mh.strip_solution("#SOLUTION BEGIN\n", "Makefile", style="hash")


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
            "scripts/handout_readme.md": "# Student intro\nSee "
                                         "`raft/raft.cc`.\n",
            "scripts/run.sh": "#!/bin/sh\necho hi\n",
            "scripts/ablations.py": "# instructors only\n",
            "scripts/make_handout.py": "# instructors only\n",
            "tests/mutants/raft-x.patch": "--- a/raft/raft.cc\n",
            "tests/kill_test.cc": "// SOLUTION FILE: the reference's own\n",
            "tests/t_test.cc": "int t;\n// SOLUTION BEGIN\nint kit;\n"
                               "// SOLUTION END\n//@ int student;\n",
            "tests/CMakeLists.txt": "add(t)\n# SOLUTION BEGIN\nadd(kill)\n"
                                    "# SOLUTION END\n",
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
        # The students' README alone, not followed by the kit's.
        self.assertEqual((out / "README.md").read_text(),
                         "# Student intro\nSee `raft/raft.cc`.\n")
        self.assertTrue(os.access(out / "scripts/run.sh", os.X_OK))
        # Instructor-only files, and kit-only tests and their CMake lines.
        for gone in ("scripts/ablations.py", "scripts/make_handout.py",
                     "scripts/handout_readme.md", "tests/mutants",
                     "tests/kill_test.cc"):
            self.assertFalse((out / gone).exists(), gone)
        self.assertEqual((out / "tests/t_test.cc").read_text(),
                         "int t;\nint student;\n")
        self.assertEqual((out / "tests/CMakeLists.txt").read_text(),
                         "add(t)\n")

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
        # A SOLUTION FILE marker outside the marked folders stays, and the
        # text check would report it (test_lint_reports_leaks).
        git(self.repo, "rm", "-q", "-f", "labrpc/other.h")
        out = self.tmp.path / "h2"
        r = tu.run_tool("make_handout.py", "--out", str(out), "--repo",
                        str(self.repo))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("wrote 6 files", r.stdout)
        r = tu.run_tool("make_handout.py", "--out", str(out), "--repo",
                        str(self.repo))
        self.assertEqual(r.returncode, 1)
        self.assertIn("--force", r.stderr)

    def test_lint_reports_leaks(self):
        r = tu.run_tool("make_handout.py", "--lint", "--repo", str(self.repo))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("markers ok", r.stdout)
        self.assertIn("labrpc/other.h:1: 'SOLUTION FILE': a solution marker "
                      "left over", r.stderr)
        self.assertIn("1 problem(s)", r.stderr)
        # --out writes the handout, then reports the same.
        r = tu.run_tool("make_handout.py", "--out", str(self.tmp.path / "h"),
                        "--repo", str(self.repo))
        self.assertEqual(r.returncode, 1)
        self.assertIn("labrpc/other.h:1:", r.stderr)

    def test_plain_folder(self):
        # Not a git checkout (an unpacked handout): every file but build
        # folders and caches.
        plain = self.tmp.path / "plain"
        mh.write_handout(self.repo, plain)
        (plain / "labrpc/other.h").unlink()  # as in test_command_line
        (plain / "build/tests").mkdir(parents=True)
        (plain / "build/tests/raft_test").write_text("binary")
        (plain / "raft/__pycache__").mkdir()
        (plain / "raft/__pycache__/x.pyc").write_text("")
        files = mh.tracked_files(plain, untracked=False)
        self.assertIn("raft/raft.cc", files)
        self.assertIn("README.md", files)
        self.assertFalse([f for f in files if "build" in f or "pyc" in f],
                         files)
        r = tu.run_tool("make_handout.py", "--lint", "--repo", str(plain))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("0 solution regions, markers ok", r.stdout)


class ContentTest(unittest.TestCase):
    """What the handout says: leaked phrases and missing paths, each with a
    failing example."""

    def setUp(self):
        self.tmp = tu.TempDir()
        self.addCleanup(self.tmp.cleanup)
        self.tree = self.tmp.path
        for rel in ("raft/raft.h", "raft/raft.cc", "tests/raft_config.h",
                    "scripts/traceview.py", "testdata/lin/README.md"):
            (self.tree / rel).parent.mkdir(parents=True, exist_ok=True)
            (self.tree / rel).write_text("ok\n")

    def problems(self, rel, text):
        path = self.tree / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        old = path.read_text() if path.exists() else None
        path.write_text(text)
        try:
            return mh.content_problems(self.tree)
        finally:
            if old is None:
                path.unlink()
            else:
                path.write_text(old)

    def assert_problem(self, rel, text, *want):
        got = self.problems(rel, text)
        self.assertEqual(len(got), len(want), got)
        for line, w in zip(got, want):
            self.assertIn(w, line)

    def test_clean(self):
        text = ("See `raft/raft.h`, tests/raft_config.h, `tests/raft_*`,\n"
                "`labrpc/`-free `build/tests/raft_test`, Go's "
                "src/raft/config.go,\n`<boost/serialization/level.hpp>`, "
                "README.md, https://github.com/a/b.md,\n$TMPDIR/x.html, "
                "\"../\" and \"../tests/raft_config.h\" from build/.\n"
                "A reference to the paper.\n")
        self.assertEqual(self.problems("README.md", text), [])

    def test_reference_design(self):
        self.assert_problem(
            "README.md", "x\nThe reference solution works like this:\n",
            "README.md:2: 'The reference': describes the reference")
        self.assert_problem(
            "README.md", "as in a reference solution\n",
            "README.md:1: 'reference solution': describes the reference")
        self.assert_problem(
            "raft/raft.h", "// The reference Raft closes the channel.\n",
            "raft/raft.h:1: 'The reference'")

    def test_marker_left_over(self):
        self.assert_problem("scripts/traceview.py",
                            "# SOLUTION BEGIN\nx = 1\n# SOLUTION END\n",
                            "scripts/traceview.py:1: 'SOLUTION BEGIN': a "
                            "solution marker left over",
                            "scripts/traceview.py:3: 'SOLUTION END'")

    def test_instructor_tools(self):
        self.assert_problem("Makefile", "x:\n\tRAFTLAB_ABLATE=persistence "
                            "make test\n", "Makefile:2: 'RAFTLAB_ABLATE'")
        self.assert_problem("Makefile", "# see the ablation table\n",
                            "'ablation': the ablation switches")
        self.assert_problem("Makefile", "# make handout OUT=x\n",
                            "'make handout': the handout generator")
        self.assert_problem("Makefile", "# make mutants\n",
                            "'mutants': the mutation tests")
        self.assert_problem("Makefile", "# as .ci/run does\n",
                            "'.ci/': the instructors' CI",
                            "path '.ci/run' is not in the handout")

    def test_missing_paths(self):
        self.assert_problem("README.md", "See raft/ablation.h.\n",
                            "README.md:1: 'ablation'",
                            "README.md:1: path 'raft/ablation.h' is not in "
                            "the handout")
        self.assert_problem("raft/raft.cc", "// see spec/notes.md\n",
                            "raft/raft.cc:1: path 'spec/notes.md' is not")
        self.assert_problem("raft/raft.cc", "// ../elsewhere/data/lin\n",
                            "path '../elsewhere/data/lin' is outside the "
                            "handout")
        self.assert_problem("README.md", "Read NOTES.md first.\n",
                            "README.md:1: file 'NOTES.md' is not in the "
                            "handout")
        self.assert_problem("README.md", "The `tests/mutants/` folder.\n",
                            "'mutants'", "path 'tests/mutants/' is not")
        self.assert_problem("README.md", "Run `scripts/stress.py`.\n",
                            "path 'scripts/stress.py' is not in the handout")

    def test_third_party_data_is_not_checked(self):
        self.assertEqual(self.problems("testdata/lin/README.md",
                                       "From ../porcupine/the reference.\n"),
                         [])


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
        self.assertIn("FAIL  stage 2B in one process (fake_test, sim): "
                      "crash", text)
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

    def test_markers_and_handout_text(self):
        r = tu.run_tool("make_handout.py", "--lint", "--untracked")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("markers ok", r.stdout)
        self.assertIn("handout text ok", r.stdout)


if __name__ == "__main__":
    unittest.main()
