#!/usr/bin/env python3
"""Handout generator: turn the kit (with its reference solution) into the
student tree, and check that the result is a sound starting point.

The solution lives in marked regions of the C++ files under raft/, kvraft/,
shardctrler/ and shardkv/:

        // SOLUTION BEGIN
        return {current_term_, role_ == Role::kLeader};
        // SOLUTION END
        //@ // Your code here (2A).
        //@ return {0, false};

The handout drops every line of a region, and turns each `//@ <text>` line
(inside or next to a region) into its indentation plus <text>; everything
else is copied as is. Markers must be balanced and must not nest; an error
names file:line. tests/ may be marked the same way, for the kit's checks of
the reference solution's own behaviour. In Markdown files,
`<!-- SOLUTION BEGIN -->` ... `<!-- SOLUTION END -->` drops instructor-only
text the same way, and so do `# SOLUTION BEGIN` ... `# SOLUTION END` lines
in a Makefile or CMakeLists.txt.

    scripts/make_handout.py --out ../handout     # write the student tree
    scripts/make_handout.py --lint               # check the markers and
                                                 # what the handout says
    scripts/make_handout.py --check --stages 2A  # build it in a temp folder
                                                 # and check it (CI does)

The tree is the repository's `git ls-files` (add --untracked for files not
yet committed; a folder that is not a git checkout is walked instead),
minus the instructors' files (INSTRUCTOR_ONLY: .ci/, this script, the
ablation and mutation tools) and the files of the solution alone (first
line `// SOLUTION FILE`, under raft/, kvraft/, shardctrler/, shardkv/
or tests/). Its
README.md is scripts/handout_readme.md, the students' own README.

What the handout says is checked (--lint, --check, and after --out): no
text that gives away the reference solution or the instructors' tools
(LEAK_PHRASES), and no path to a file the handout lacks (see
path_problems). --check also builds the handout with warnings as errors,
runs its runtime and labrpc tests (both runtimes; they must pass), then
runs every graded test of the chosen stages under both runtimes: each must
fail, within the 120 s limit, with a failure message, and without crashing
or hanging the binary, also when a whole stage runs in one process.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gtestrun  # noqa: E402  (needs the path above)

REPO = Path(__file__).resolve().parent.parent
SOLUTION_DIRS = ("raft/", "kvraft/", "shardctrler/", "shardkv/")
# Folders whose C++ files may hold solution regions and solution files:
# the solution's, and tests/ for kit tests of the reference's own behaviour.
MARKED_DIRS = SOLUTION_DIRS + ("tests/",)
CPP_SUFFIXES = (".h", ".cc", ".cpp", ".hpp")
README_TEMPLATE = "scripts/handout_readme.md"
# Files and folders (prefixes) the handout leaves out: the instructors' CI,
# tools that only make sense next to the reference solution (this script
# writes the handout; the ablations and mutants plant bugs in the reference,
# and the mutants' patches quote it), and the README template, which is the
# handout's README.md.
INSTRUCTOR_ONLY = (
    ".ci/",
    "scripts/make_handout.py",
    "scripts/tests/test_make_handout.py",
    "scripts/ablations.py",
    "scripts/tests/test_ablations.py",
    "scripts/mutants.py",
    "scripts/nemesis_control.py",
    "scripts/scratch_tree.py",
    "scripts/tests/test_mutants.py",
    "scripts/tests/test_scratch_tree.py",
    "tests/mutants/",
    README_TEMPLATE,
)
# Files whose '#' comment lines may hold solution markers.
HASH_FILES = ("Makefile", "CMakeLists.txt")
# Go's per-test limit (config.go checkTimeout), in wall seconds here.
TEST_TIME_LIMIT = 120
# The kit's own tests that must pass in the handout.
KIT_BINARIES = ("runtime_test", "labrpc_test")

CPP_BEGIN = re.compile(r"^\s*// SOLUTION BEGIN\b")
CPP_END = re.compile(r"^\s*// SOLUTION END\b")
CPP_STUDENT = re.compile(r"^(\s*)//@(?: (.*)|)$")
# A file of the reference solution only (e.g. raft/ablation.h): the handout
# leaves it out. Its first line is this marker; it may only be included from
# inside solution regions.
CPP_SOLUTION_FILE = "// SOLUTION FILE"
MD_BEGIN = re.compile(r"^\s*<!-- SOLUTION BEGIN\b.*-->\s*$")
MD_END = re.compile(r"^\s*<!-- SOLUTION END\b.*-->\s*$")
HASH_BEGIN = re.compile(r"^\s*# SOLUTION BEGIN\b")
HASH_END = re.compile(r"^\s*# SOLUTION END\b")
# A comment that starts like a marker but does not match the exact form
# (prose that only mentions the markers is fine).
CPP_NEAR_MISS = re.compile(r"^\s*//+\s*SOLUTION[ _-]*(BEGIN|END)", re.I)
MD_NEAR_MISS = re.compile(r"^\s*<!--\s*SOLUTION[ _-]*(BEGIN|END)", re.I)
HASH_NEAR_MISS = re.compile(r"^\s*#+\s*SOLUTION[ _-]*(BEGIN|END)", re.I)
STYLES = {  # begin, end, near miss, the marker to suggest
    "cpp": (CPP_BEGIN, CPP_END, CPP_NEAR_MISS, "// SOLUTION BEGIN"),
    "md": (MD_BEGIN, MD_END, MD_NEAR_MISS, "<!-- SOLUTION BEGIN -->"),
    "hash": (HASH_BEGIN, HASH_END, HASH_NEAR_MISS, "# SOLUTION BEGIN"),
}


class MarkerError(Exception):
    """A malformed solution region; str() is 'file:line: what'."""


def strip_solution(text: str, path: str, markdown: bool = False,
                   style: str | None = None) -> str:
    """The student version of one file's text; `style` is cpp (the
    default), md (as markdown=True) or hash. Raises MarkerError."""
    style = style or ("md" if markdown else "cpp")
    begin, end, near_miss, want = STYLES[style]
    out: list[str] = []
    opened = 0  # line of the open region's BEGIN, 0 if none
    # A region dropped between two blank lines would leave two in a row
    # (clang-format keeps at most one): skip the second.
    skip_blank = False
    lines = text.split("\n")
    for n, line in enumerate(lines, 1):
        if skip_blank and not line.strip() and not opened:
            skip_blank = False
            continue
        if not begin.match(line) and not end.match(line):
            skip_blank = False
        if begin.match(line):
            if opened:
                raise MarkerError(f"{path}:{n}: SOLUTION BEGIN inside the "
                                  f"region opened at line {opened} (regions "
                                  f"do not nest)")
            opened = n
            continue
        if end.match(line):
            if not opened:
                raise MarkerError(f"{path}:{n}: SOLUTION END without a "
                                  f"SOLUTION BEGIN")
            opened = 0
            skip_blank = not out or not out[-1].strip()
            continue
        if near_miss.match(line):
            raise MarkerError(f"{path}:{n}: malformed marker {line.strip()!r}"
                              f" (write it alone on its line, as {want!r} "
                              f"or its END twin)")
        student = CPP_STUDENT.match(line) if style == "cpp" else None
        if student:
            body = student.group(2) or ""
            out.append(student.group(1) + body if body else "")
        elif not opened:
            out.append(line)
    if opened:
        raise MarkerError(f"{path}:{opened}: SOLUTION BEGIN never closed "
                          f"(no SOLUTION END before the end of the file)")
    return "\n".join(out)


def tracked_files(repo: Path, untracked: bool) -> list[str]:
    """The repository's files (relative paths) that exist on disk: git's
    list in a git checkout, else every file of the folder (walk_files)."""
    try:
        top = subprocess.run(["git", "-C", str(repo), "rev-parse",
                              "--show-toplevel"], capture_output=True,
                             text=True)
    except OSError:
        return walk_files(repo)
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != \
            repo.resolve():
        return walk_files(repo)
    cmd = ["git", "-C", str(repo), "ls-files", "-z", "--cached"]
    if untracked:
        cmd += ["--others", "--exclude-standard"]
    out = subprocess.run(cmd, capture_output=True, check=True).stdout
    files = sorted({f for f in out.decode().split("\0") if f})
    return [f for f in files if (repo / f).is_file()]


# What walk_files skips, as the kit's .gitignore does: build and handout
# folders at the top, caches and editor files anywhere.
WALK_SKIP_TOP = re.compile(r"^(build.*|handout.*|\.git)$")
WALK_SKIP = re.compile(r"^(__pycache__|.*\.swp|.*\.pyc)$")


def walk_files(root: Path) -> list[str]:
    """Every file under `root` (relative paths, sorted), for a folder that
    is not a git checkout (an unpacked handout, a copied tree)."""
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        top = Path(dirpath) == root
        dirnames[:] = [d for d in dirnames if not WALK_SKIP.match(d) and
                       not (top and WALK_SKIP_TOP.match(d))]
        for name in filenames:
            if not WALK_SKIP.match(name):
                path = Path(dirpath) / name
                if path.is_file():
                    files.append(path.relative_to(root).as_posix())
    return sorted(files)


def in_marked_dir(rel: str) -> bool:
    return rel.startswith(MARKED_DIRS)


def is_instructor_only(rel: str) -> bool:
    return rel.startswith(INSTRUCTOR_ONLY)


def is_solution_file(repo: Path, rel: str) -> bool:
    """True for a file the handout leaves out (CPP_SOLUTION_FILE)."""
    if not (in_marked_dir(rel) and rel.endswith(CPP_SUFFIXES)):
        return False
    with open(repo / rel, encoding="utf-8") as f:
        return f.readline().startswith(CPP_SOLUTION_FILE)


def transform(repo: Path, rel: str) -> str | None:
    """The handout text of a file, or None to copy its bytes unchanged."""
    if rel.endswith(CPP_SUFFIXES):
        text = (repo / rel).read_text(encoding="utf-8")
        if in_marked_dir(rel):
            return strip_solution(text, rel)
        for n, line in enumerate(text.split("\n"), 1):
            if CPP_BEGIN.match(line) or CPP_END.match(line):
                raise MarkerError(f"{rel}:{n}: solution marker outside "
                                  f"{', '.join(MARKED_DIRS)} (only those "
                                  f"are stripped)")
        return None
    if rel.endswith(".md") and not rel.startswith("scripts/tests/"):
        return strip_solution((repo / rel).read_text(encoding="utf-8"), rel,
                              style="md")
    if Path(rel).name in HASH_FILES:
        return strip_solution((repo / rel).read_text(encoding="utf-8"), rel,
                              style="hash")
    return None


def lint(repo: Path, files: list[str]) -> tuple[list[str], int]:
    """Every marker error in the tree, and the number of regions."""
    errors = []
    regions = 0
    for rel in files:
        try:
            transform(repo, rel)
        except MarkerError as e:
            errors.append(str(e))
        except UnicodeDecodeError:
            continue
        if rel.endswith(CPP_SUFFIXES) and in_marked_dir(rel):
            regions += sum(1 for l in (repo / rel).read_text().split("\n")
                           if CPP_BEGIN.match(l))
    return errors, regions


def write_handout(repo: Path, out: Path, untracked: bool = False,
                  force: bool = False) -> list[str]:
    """Writes the student tree into `out`; returns the files written.
    Raises MarkerError (nothing is written then) or FileExistsError."""
    files = handout_files(repo, untracked)
    texts: dict[str, str | None] = {f: transform(repo, f) for f in files}
    out = out.resolve()
    if out == repo.resolve() or out in repo.resolve().parents:
        raise FileExistsError(f"refusing to write the handout over {out}, "
                              f"which holds the repository")
    if out.exists():
        if not force and any(out.iterdir()):
            raise FileExistsError(f"{out} exists and is not empty (use "
                                  f"--force, or make handout ARGS=--force, "
                                  f"to replace it)")
        shutil.rmtree(out)
    for rel in files:
        dst = out / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if texts[rel] is None:
            shutil.copyfile(repo / rel, dst)
        else:
            dst.write_text(texts[rel], encoding="utf-8")
        shutil.copymode(repo / rel, dst)
    readme = repo / README_TEMPLATE
    if readme.exists():
        # The students' README replaces the kit's (the instructors' manual).
        (out / "README.md").write_text(
            strip_solution(readme.read_text(encoding="utf-8"),
                           README_TEMPLATE, style="md"), encoding="utf-8")
        if "README.md" not in files:
            files.append("README.md")
    return files


def handout_files(repo: Path, untracked: bool = False) -> list[str]:
    """The files of the kit that go into the handout (relative paths)."""
    return [f for f in tracked_files(repo, untracked)
            if not is_instructor_only(f) and not is_solution_file(repo, f)]


# --------------------------------------------------------------------------
# What the handout says: no reference design, no dangling paths.

# Text that gives away the reference solution or names the instructors'
# tools, which the handout lacks. Each: pattern, what it is.
LEAK_PHRASES = (
    (re.compile(r"reference solution|\bthe reference\b|\breference(?:'s|"
                r" raft| kv| server| clerk| design| implementation)\b",
                re.I), "describes the reference solution"),
    (re.compile(r"SOLUTION (?:BEGIN|END|FILE)"), "a solution marker left over"),
    (re.compile(r"RAFTLAB_ABLATE|\bablat(?:e|ed|ion|ions)\b", re.I),
     "the ablation switches (instructors only)"),
    (re.compile(r"\bmutants?\b", re.I),
     "the mutation tests (instructors only)"),
    (re.compile(r"make_handout|\bmake handout\b", re.I),
     "the handout generator (instructors only)"),
    (re.compile(r"(?:^|[\s`'\"(])\.ci/"), "the instructors' CI"),
)
# Third-party data, checked by its own tests; its README cites its sources.
CONTENT_SKIP = ("testdata/",)
# The tools' tests, whose fixtures make up files (a fake binary's output).
PATH_SKIP = ("scripts/tests/",)
# A path-like token: a/b[/c...] (or a trailing-slash folder, or ../x),
# not inside a longer path, URL or variable ($TMPDIR/x, ${DIR}/x, ~/x).
PATH_TOKEN = re.compile(r"(?<![\w$/.~{}:@%+-])((?:\.\.?/)*[\w.*+-]+"
                        r"(?:/[\w.*+-]+)*/?)(?![\w/])")
# A bare document name the handout must have (README.md, NOTES.md).
BARE_NAME = re.compile(r"(?<![\w$/.~{}:@%+-])([A-Z][\w-]*\.md)(?![\w/.])")
# Top folders whose paths are not the repository's: build output, and the
# Go lab's own tree (src/raft/config.go) that comments cite for origin.
FOREIGN_ROOTS = ("build", "build-tsan", "build-asan", "src")
# Roots that no handout has but a kit's text might still cite.
MISSING_ROOTS = ("spec", "shared", ".ci")


def path_problems(tree: Path, rel: str, text: str, have: set[str],
                  roots: set[str], names: set[str]) -> list[str]:
    """Paths in `text` (file `rel` of the handout in `tree`) that the
    handout lacks: a token whose first folder is one of the handout's (or a
    kit-only one such as spec/ or .ci/) must exist, a ../ token leaves the
    tree, and a bare file name (NOTES.md) must be some file's name."""
    out = []
    for n, line in enumerate(text.split("\n"), 1):
        for m in PATH_TOKEN.finditer(line):
            token = m.group(1).rstrip(".")
            if "/" not in token or token.endswith(".go"):
                continue  # not a path, or the Go lab's own file
            up = token.startswith("../")
            while token.startswith(("./", "../")):
                token = token.split("/", 1)[1]
            first = token.split("/")[0]
            if not token or first in FOREIGN_ROOTS:
                continue  # "../" from build/, or build output
            cited = m.group(1).rstrip(".")
            if up and (first not in roots or first in MISSING_ROOTS):
                out.append(f"{rel}:{n}: path {cited!r} is outside the "
                           f"handout")
                continue
            if up or first not in roots:
                continue  # ../tests/x.cc: a source as the build spells it
            path = token.rstrip("/")
            last = path.split("/")[-1]
            if any(c in path for c in "*?["):
                found = any(tree.glob(path))
            else:
                found = path in have or (tree / path).exists()
            # A missing name without an extension is often a built file
            # (tests/raft_test); a folder is cited with its slash.
            named = "." in last or token.endswith("/") or \
                first in MISSING_ROOTS
            if not found and named:
                out.append(f"{rel}:{n}: path {cited!r} is not in the "
                           f"handout")
        for m in BARE_NAME.finditer(line):
            name = m.group(1)
            if name not in names:
                out.append(f"{rel}:{n}: file {name!r} is not in the "
                           f"handout")
    return out


def content_problems(tree: Path) -> list[str]:
    """What a student must not read in the handout written in `tree`:
    'file:line: what' for each leaked phrase (LEAK_PHRASES) and each path
    the handout lacks (path_problems)."""
    files = walk_files(tree)
    have = set(files)
    roots = {f.split("/")[0] for f in files} | set(MISSING_ROOTS)
    roots |= {f.split("/")[0] for f in INSTRUCTOR_ONLY}
    names = {Path(f).name for f in files}
    problems = []
    for rel in files:
        if rel.startswith(CONTENT_SKIP):
            continue
        try:
            text = (tree / rel).read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for n, line in enumerate(text.split("\n"), 1):
            for pattern, what in LEAK_PHRASES:
                m = pattern.search(line)
                if m:
                    problems.append(f"{rel}:{n}: {m.group(0).strip()!r}: "
                                    f"{what}")
        if not rel.startswith(PATH_SKIP):
            problems += path_problems(tree, rel, text, have, roots, names)
    return problems


def check_content(repo: Path, untracked: bool) -> list[str]:
    """content_problems of the handout of `repo`, written to a temp folder.
    Raises MarkerError."""
    with tempfile.TemporaryDirectory(prefix="raftlab-handout-lint-") as tmp:
        tree = Path(tmp) / "handout"
        write_handout(repo, tree, untracked=untracked)
        return content_problems(tree)


# --------------------------------------------------------------------------
# --check: build the handout and check what a student will see.


class Checker:
    """Collects pass/fail lines of the handout check."""

    def __init__(self):
        self.problems: list[str] = []

    def ok(self, what: str) -> None:
        print(f"  ok    {what}", flush=True)

    def bad(self, what: str) -> None:
        print(f"  FAIL  {what}", flush=True)
        self.problems.append(what)


def build_handout(tree: Path, jobs: int, log: Path) -> bool:
    """Configures and builds every target with warnings as errors; the
    output goes to `log`. True if it built without any warning."""
    env = dict(os.environ)
    # Relative paths in ccache's hash, so a handout in a fresh temp folder
    # still hits the cache of the last one.
    env["CCACHE_BASEDIR"] = str(tree)
    env["CCACHE_NOHASHDIR"] = "true"
    build = tree / "build"
    with open(log, "w") as f:
        for cmd in (["cmake", "-S", str(tree), "-B", str(build), "-G", "Ninja",
                     "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                     "-DRAFTLAB_WERROR=ON"],
                    ["cmake", "--build", str(build), "-j", str(jobs)]):
            f.write("$ " + " ".join(cmd) + "\n")
            f.flush()
            r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT,
                               env=env, cwd=tree)
            if r.returncode != 0:
                return False
    return "warning:" not in log.read_text(errors="replace")


FAILED_TEST_RE = re.compile(r"^\[  FAILED  \] ([\w/]+\.[\w/]+)", re.M)


def run_kit_tests(tree: Path, jobs: int, check: Checker) -> None:
    """The runtime and fabric tests must pass, under both runtimes. No
    retries: a flaky kit test is a bug to fix, not to hide."""
    runs = []
    for name in KIT_BINARIES:
        binary = tree / "build" / "tests" / name
        if not binary.exists():
            check.bad(f"{name} was not built")
            continue
        runs += [gtestrun.Run("*", binary, rt, 1, timeout=600, tag=name)
                 for rt in ("sim", "real")]
    results: list[gtestrun.Result] = []
    with gtestrun.Pool(jobs) as pool:
        pool.submit(runs)
        pool.run_all(results.append)
    for r in sorted(results, key=lambda r: (r.run.tag, r.run.runtime)):
        what = f"{r.run.tag} under {r.run.runtime}"
        m = gtestrun.GTEST_PASSED_RE.search(r.output)
        if r.status == "pass" and m:
            check.ok(f"{what}: {m.group(1)} tests passed")
            continue
        failed = sorted(set(FAILED_TEST_RE.findall(r.output)))
        check.bad(f"{what}: {r.status} (exit {r.returncode}); failed: "
                  f"{', '.join(failed) or r.reason}")


def run_graded(tree: Path, stages: list[str], runtimes: list[str],
               jobs: int, check: Checker) -> None:
    """Every graded test of `stages` must fail cleanly under each runtime:
    gtest FAILED, exit status 1, a failure message, within the time limit;
    and a whole stage in one process too (a failed test must leave the
    binary fit to run the next one)."""
    binaries = gtestrun.find_binaries(tree / "build")
    try:
        where = gtestrun.discover(binaries)
        tests = gtestrun.select(where, stages)
    except (RuntimeError, ValueError) as e:
        check.bad(f"graded tests: {e}")
        return
    runs = [gtestrun.Run(t, where[t], rt, 1, timeout=TEST_TIME_LIMIT)
            for rt in runtimes for t in tests]
    # A stage's tests can live in several binaries (Raft2A in raft_test,
    # RaftRules2A in raft_rules_test): one process per binary.
    for rt in runtimes:
        for stage in stages:
            in_stage = [t for t in tests if gtestrun.stage_of(t) == stage]
            for binary in sorted({where[t] for t in in_stage}):
                group = [t for t in in_stage if where[t] == binary]
                runs.append(gtestrun.Run(
                    ":".join(group), binary, rt, 1,
                    timeout=TEST_TIME_LIMIT * len(group),
                    tag=(stage, group)))
    results: list[gtestrun.Result] = []
    with gtestrun.Pool(jobs) as pool:
        pool.submit(runs)
        pool.run_all(results.append)
    results.sort(key=lambda r: (runs.index(r.run)))
    for r in results:
        secs = gtestrun.fmt_duration(r.seconds)
        what = f"{r.run.test} ({r.run.runtime})"
        if r.run.tag is not None:
            stage, group = r.run.tag
            failed = set(FAILED_TEST_RE.findall(r.output))
            what = (f"stage {stage} in one process ({r.run.binary.name}, "
                    f"{r.run.runtime})")
            if r.returncode == 1 and failed >= set(group):
                check.ok(f"{what}: all {len(group)} fail, exit 1, in {secs}")
            else:
                check.bad(f"{what}: {r.status} (exit {r.returncode}, "
                          f"{len(failed)} of {len(group)} reported failed): "
                          f"{r.reason}")
        elif r.status == "fail" and r.returncode == 1 and r.reason:
            check.ok(f"{what} fails in {secs}: {r.reason}")
        elif r.status == "fail":
            check.bad(f"{what} fails without a message "
                      f"(exit {r.returncode})")
        elif r.status == "pass":
            check.bad(f"{what} passes without a solution")
        else:
            check.bad(f"{what}: {r.status} ({r.reason}) after {secs}; "
                      f"replay in the handout: {r.replay}")


def check_handout(repo: Path, stages: list[str], runtimes: list[str],
                  untracked: bool, jobs: int, keep: bool) -> int:
    start = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="raftlab-handout-"))
    tree = tmp / "handout"
    check = Checker()
    try:
        print(f"handout check: writing the handout into {tree}", flush=True)
        files = write_handout(repo, tree, untracked=untracked)
        check.ok(f"handout written ({len(files)} files)")
        leaks = content_problems(tree)
        for problem in leaks:
            check.bad(problem)
        if not leaks:
            check.ok("handout text: no reference design, no missing paths")
        log = tmp / "build.log"
        print("handout check: building it (warnings are errors)", flush=True)
        if build_handout(tree, jobs, log):
            check.ok("handout builds without warnings")
        else:
            tail = log.read_text(errors="replace").splitlines()[-40:]
            print("\n".join("    " + l for l in tail))
            check.bad(f"handout does not build cleanly (log: {log})")
            keep = True
            return 1
        print("handout check: the kit's own tests must pass", flush=True)
        run_kit_tests(tree, jobs, check)
        print(f"handout check: graded tests of {', '.join(stages)} must fail "
              f"cleanly ({', '.join(runtimes)})", flush=True)
        run_graded(tree, stages, runtimes, jobs, check)
    except MarkerError as e:
        check.bad(str(e))
    finally:
        elapsed = gtestrun.fmt_duration(time.monotonic() - start)
        if check.problems:
            keep = True
        if keep:
            print(f"handout check: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        verdict = ("passed" if not check.problems else
                   f"FAILED ({len(check.problems)} problem(s))")
        print(f"handout check: {verdict} in {elapsed}")
    return 1 if check.problems else 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Write or check the student handout.")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--out", type=Path, help="write the handout here")
    mode.add_argument("--lint", action="store_true",
                      help="check the solution markers and the handout's "
                           "text (no build)")
    mode.add_argument("--check", action="store_true",
                      help="build the handout in a temp folder and check it")
    p.add_argument("--stages", default="2A",
                   help="--check: stages whose graded tests must fail "
                        "cleanly (default 2A; e.g. 2A,2B,2C,2D)")
    p.add_argument("--runtimes", default="both",
                   help="--check: runtimes for the graded tests: sim, real "
                        "or both (default both)")
    p.add_argument("--untracked", action="store_true",
                   help="include files git does not track yet (not ignored "
                        "ones)")
    p.add_argument("--force", action="store_true",
                   help="--out: replace an existing non-empty folder")
    p.add_argument("--keep", action="store_true",
                   help="--check: keep the temp folder")
    p.add_argument("-j", "--jobs", type=int, default=2,
                   help="build and test parallelism (default 2)")
    p.add_argument("--repo", type=Path, default=REPO, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    repo = args.repo.resolve()
    if args.lint:
        errors, regions = lint(repo, tracked_files(repo, args.untracked))
        for e in errors:
            print(e, file=sys.stderr)
        if errors:
            return 1
        print(f"make_handout: {regions} solution regions, markers ok")
        problems = check_content(repo, args.untracked)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print(f"make_handout: the handout's text has {len(problems)} "
                  f"problem(s)", file=sys.stderr)
            return 1
        print("make_handout: handout text ok (no reference design, no "
              "missing paths)")
        return 0
    if args.check:
        stages = [s.strip().upper() for s in args.stages.split(",")
                  if s.strip()]
        runtimes = [r for r in ("sim", "real")
                    if r in args.runtimes.replace("both", "sim,real")]
        return check_handout(repo, stages, runtimes, args.untracked,
                             args.jobs, args.keep)
    try:
        files = write_handout(repo, args.out, args.untracked, args.force)
    except (MarkerError, FileExistsError) as e:
        print(f"make_handout: {e}", file=sys.stderr)
        return 1
    print(f"make_handout: wrote {len(files)} files to {args.out}")
    problems = content_problems(args.out)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"make_handout: the handout's text has {len(problems)} "
              f"problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
