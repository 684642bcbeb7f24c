"""Tests of scripts/mutants.py on a fake tree: its "build" (a shell command
given with --build-cmd) turns raft/bug.txt into the fake test binary's
FAKE_FAIL, so a mutant that writes a test name there makes that test fail,
as a planted bug would. Plus a check that the repository's own mutants
still apply to the tree."""

import os
import re
import sys
import unittest

import tools_testutil as tu

import mutants
import scratch_tree

# The fake build: "compiles" raft/bug.txt into build/tests/fake_test, a
# wrapper that runs fake_gtest.py with FAKE_FAIL set to the file's text; a
# bug.txt of "syntax error" does not build.
BUILD = f"""\
set -e
bug=$(head -n 1 raft/bug.txt)
if [ "$bug" = "syntax error" ]; then
  echo "raft/bug.txt:1: error: expected ';'" >&2; exit 1
fi
mkdir -p build/tests
printf '#!/bin/sh\\nFAKE_FAIL=%s exec {sys.executable} {tu.FAKE} "$@"\\n' \
  "$bug" > build/tests/fake_test
chmod +x build/tests/fake_test
"""

HEADER = "# bug: {bug}\n#   (a fake)\n# stage: {stage}\n"


def diff(path, old, new, context=("keep me",)):
    """A unified diff of one hunk changing line `old` to `new`, with the
    context lines after it."""
    ctx = "".join(f" {c}\n" for c in context)
    n = 1 + len(context)
    return (f"--- a/{path}\n+++ b/{path}\n@@ -1,{n} +1,{n} @@\n"
            f"-{old}\n+{new}\n{ctx}")


class MutantsRunTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tu.TempDir()
        self.addCleanup(self.tmp.cleanup)
        self.src = self.tmp.path / "src"
        (self.src / "raft").mkdir(parents=True)
        (self.src / "raft" / "bug.txt").write_text("none\nkeep me\n")
        (self.src / "raft" / "other.txt").write_text("x\nkeep me\n")
        self.mdir = self.tmp.path / "mutants"
        self.mdir.mkdir()
        self.scratch = self.tmp.path / "scratch"
        self.build = self.tmp.path / "build.sh"
        self.build.write_text(BUILD)

    def mutant(self, name, body, stage="2A", extra=""):
        text = HEADER.format(bug=f"the {name} bug", stage=stage) + extra
        (self.mdir / f"{name}.patch").write_text(text + body)

    def run_tool(self, *args):
        return tu.run_tool("mutants.py", "--source", str(self.src),
                           "--scratch", str(self.scratch), "--mutants-dir",
                           str(self.mdir), "--build-cmd", f"sh {self.build}",
                           "--tests", "Fake2A.Pass:Fake2B.Slow", *args,
                           timeout=300)

    def row(self, out, name):
        m = re.search(rf"^{re.escape(name)} .*$", out, re.M)
        self.assertIsNotNone(m, f"{name} not in\n{out}")
        return m.group(0)

    def test_killed_survived_stale_and_restored(self):
        # Run in name order: "a-killed" plants a bug; "b-survives" runs
        # after it and survives only if the bug was taken out again (and
        # the binary rebuilt).
        self.mutant("a-killed", diff("raft/bug.txt", "none", "Fake2A.Pass"))
        self.mutant("b-survives", diff("raft/other.txt", "x", "y"))
        self.mutant("c-stale", diff("raft/bug.txt", "absent", "Fake2A.Pass"))
        self.mutant("d-broken", diff("raft/bug.txt", "none", "syntax error"))
        self.mutant("e-equivalent", diff("raft/other.txt", "x", "z"),
                    extra="# equivalent: nothing reads other.txt\n")
        r = self.run_tool("--seeds", "1,2")
        out = r.stdout
        self.assertEqual(r.returncode, 1, out + r.stderr)
        self.assertRegex(self.row(out, "a-killed"),
                         r"2A +killed +Fake2A\.Pass s1 ")
        self.assertRegex(self.row(out, "b-survives"),
                         r"SURVIVED +4 runs passed")
        self.assertRegex(self.row(out, "c-stale"), r"stale")
        self.assertIn("c-stale: raft/bug.txt: Hunk #1 FAILED at 1.", out)
        self.assertRegex(self.row(out, "d-broken"), r"build error")
        self.assertIn("d-broken: raft/bug.txt:1: error: expected ';'", out)
        self.assertRegex(self.row(out, "e-equivalent"), r"equivalent")
        self.assertIn("verify: 1/1 killing runs pass without their mutant",
                      out)
        self.assertIn("score 1/2 (50%)", out)
        # Every mutated file is back, with no patch leftovers.
        tree = self.scratch
        self.assertEqual((tree / "raft" / "bug.txt").read_text(),
                         "none\nkeep me\n")
        self.assertEqual((tree / "raft" / "other.txt").read_text(),
                         "x\nkeep me\n")
        self.assertEqual(sorted(p.name for p in (tree / "raft").iterdir()),
                         ["bug.txt", "other.txt"])

    def test_all_reports_every_killer_and_exit_zero(self):
        self.mutant("killed", diff("raft/bug.txt", "none", "Fake2A.Pass"))
        r = self.run_tool("--seeds", "1-3", "--all")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(self.row(r.stdout, "killed"),
                         r"killed +Fake2A\.Pass s1,2,3 ")
        self.assertIn("verify: 3/3 killing runs pass", r.stdout)
        # A second run refreshes the scratch copy and starts with the
        # killer the first run found.
        (self.src / "raft" / "new.txt").write_text("new\n")
        r = self.run_tool("--seeds", "1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("(1 files refreshed)", r.stdout)

    def test_list_and_selection(self):
        self.mutant("raft-one", diff("raft/bug.txt", "none", "Fake2A.Pass"))
        self.mutant("kv-two", diff("raft/bug.txt", "gone", "Fake2A.Pass"),
                    stage="3A")
        r = self.run_tool("--list")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertRegex(self.row(r.stdout, "raft-one"), r"2A +applies")
        self.assertRegex(self.row(r.stdout, "kv-two"), r"3A +STALE")
        self.assertIn("the raft-one bug (a fake)", r.stdout)
        r = self.run_tool("--list", "raft-")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("kv-two", r.stdout)
        r = self.run_tool("--list", "--stage", "3A")
        self.assertIn("kv-two", r.stdout)
        self.assertNotIn("raft-one", r.stdout)
        self.assertEqual(self.run_tool("nothing-matches").returncode, 2)

    def test_refuses_a_foreign_scratch_folder(self):
        self.mutant("one", diff("raft/bug.txt", "none", "Fake2A.Pass"))
        self.scratch.mkdir()
        (self.scratch / "precious.txt").write_text("mine")
        r = self.run_tool()
        self.assertEqual(r.returncode, 2)
        self.assertIn("not a scratch copy", r.stderr)
        self.assertTrue((self.scratch / "precious.txt").exists())


class ScratchTreeTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tu.TempDir()
        self.addCleanup(self.tmp.cleanup)
        self.src = self.tmp.path / "src"
        for rel in ("a.txt", "raft/b.cc", "build/x.o", ".git/HEAD",
                    "raft/__pycache__/c.pyc"):
            (self.src / rel).parent.mkdir(parents=True, exist_ok=True)
            (self.src / rel).write_text(rel)
        self.dst = self.tmp.path / "scratch"

    def test_copies_only_changes_and_keeps_its_build(self):
        written = scratch_tree.sync_tree(self.src, self.dst)
        self.assertEqual(sorted(written), ["a.txt", "raft/b.cc"])
        (self.dst / "build").mkdir()
        (self.dst / "build" / "keep.o").write_text("object")
        old = self.dst / "raft" / "b.cc"
        os.utime(old, (1, 1))
        (self.src / "a.txt").write_text("changed")
        (self.src / "raft" / "b.cc").unlink()
        (self.dst / "raft" / "extra.h").write_text("stray")
        self.assertEqual(scratch_tree.sync_tree(self.src, self.dst),
                         ["a.txt"])
        self.assertEqual((self.dst / "a.txt").read_text(), "changed")
        self.assertFalse((self.dst / "raft" / "b.cc").exists())
        self.assertFalse((self.dst / "raft" / "extra.h").exists())
        self.assertTrue((self.dst / "build" / "keep.o").exists())
        self.assertFalse((self.dst / ".git").exists())

    def test_rewritten_file_gets_a_fresh_mtime(self):
        scratch_tree.sync_tree(self.src, self.dst)
        f = self.dst / "a.txt"
        f.write_text("mutated")
        os.utime(f, (1, 1))
        scratch_tree.sync_tree(self.src, self.dst)
        self.assertEqual(f.read_text(), "a.txt")
        self.assertGreater(f.stat().st_mtime, 1)

    def test_refuses_unsafe_folders(self):
        with self.assertRaisesRegex(ValueError, "outside"):
            scratch_tree.sync_tree(self.src, self.src / "raft" / "s")
        self.dst.mkdir()
        (self.dst / "mine").write_text("x")
        with self.assertRaisesRegex(ValueError, "not a scratch copy"):
            scratch_tree.sync_tree(self.src, self.dst)


class MutantFilesTest(unittest.TestCase):

    def test_header_parsing(self):
        tmp = tu.TempDir()
        self.addCleanup(tmp.cleanup)
        p = tmp.path / "x.patch"
        p.write_text("# bug: one\n#   two\n# stage: 2c\n# equivalent: why\n"
                     + diff("raft/raft.cc", "a", "b"))
        m = mutants.parse_mutant(p)
        self.assertEqual((m.name, m.stage, m.bug, m.equivalent, m.files),
                         ("x", "2C", "one two", "why", ["raft/raft.cc"]))
        p.write_text("# bug: one\n" + diff("raft/raft.cc", "a", "b"))
        with self.assertRaisesRegex(ValueError, "stage"):
            mutants.parse_mutant(p)
        p.write_text("# stage: 2A\n# bug: x\n")
        with self.assertRaisesRegex(ValueError, "not a diff"):
            mutants.parse_mutant(p)

    def test_stages_of_files(self):
        self.assertEqual(mutants.stages_of(["raft/raft.cc"]),
                         ["2A", "2B", "2C", "2D"])
        self.assertEqual(mutants.stages_of(["shardctrler/server.cc"]),
                         ["4A", "4B"])
        self.assertEqual(mutants.stages_of(["shardkv/server.cc",
                                            "kvraft/server.cc"]),
                         ["3A", "3B", "4B"])
        self.assertEqual(len(mutants.stages_of(["labrpc/network.cc"])), 12)

    @unittest.skipUnless(list((tu.REPO / "tests" / "mutants").glob("*.patch"))
                         and (tu.REPO / "raft" / "raft.cc").exists() and
                         "SOLUTION BEGIN" in
                         (tu.REPO / "raft" / "raft.cc").read_text(),
                         "no mutants, or not the reference solution")
    def test_repository_mutants_apply(self):
        ms = mutants.load_mutants(tu.REPO / "tests" / "mutants")
        self.assertGreaterEqual(len(ms), 25)
        stale = []
        for m in ms:
            ok, problems = mutants.patch(m, tu.REPO, dry_run=True)
            if not ok:
                stale.append(f"{m.name}: {problems}")
        self.assertEqual(stale, [], "regenerate these mutants")


if __name__ == "__main__":
    unittest.main()
