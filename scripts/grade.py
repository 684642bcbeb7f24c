#!/usr/bin/env python3
"""Grader: run the graded suites and print a score table.

Every graded test (tests/points.tsv, plus any test of a stage suite such as
Raft2C that the table forgot, worth 0) runs as its own child process,
several in parallel. Under sim it runs once per seed (default seeds 1, 2, 3:
a grade is fast and reproducible); under real once (the originals' real-time
conditions). A test scores its points only if every run passes, under every
runtime asked for; after a failure its remaining runs are skipped.

    scripts/grade.py                      # every built stage, sim, 3 seeds
    scripts/grade.py --stage 2A           # one stage (or 2A,2B)
    scripts/grade.py --runtime real       # real runtime, one run per test
    scripts/grade.py --runtime both       # both; a test must pass in both
    make grade STAGE=2A RUNTIME=both SEEDS=5

Stages whose tests are not in the build at all are listed as not built and
left out of the total. Exit status: 0 if every graded test passed, 1 if any
failed or is missing, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gtestrun  # noqa: E402  (needs the path above)

REPO = Path(__file__).resolve().parent.parent


STRICT = "strict"


def read_points(path: Path) -> dict[str, int]:
    """test -> points, in table order (see read_table)."""
    return read_table(path)[0]


def read_table(path: Path) -> tuple[dict[str, int], set[str]]:
    """test -> points, in table order, and the tests of the strictness
    suites (a third column 'strict'): points beyond the originals', shown
    and totalled apart. '#' lines, blank lines and the 'test<TAB>points'
    header are skipped. Raises ValueError with file:line on a malformed
    row."""
    points: dict[str, int] = {}
    strict: set[str] = set()
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cells = line.split("\t") if "\t" in line else line.split()
            if cells[0] == "test":
                continue
            if (len(cells) not in (2, 3) or
                    not re.fullmatch(r"\d+", cells[1]) or
                    gtestrun.stage_of(cells[0]) is None or
                    cells[2:] not in ([], [STRICT])):
                raise ValueError(f"{path}:{n}: expected '<Suite><stage>.<Name>"
                                 f"<TAB><points>[<TAB>{STRICT}]', got "
                                 f"{line!r}")
            if cells[0] in points:
                raise ValueError(f"{path}:{n}: {cells[0]} listed twice")
            points[cells[0]] = int(cells[1])
            if cells[2:] == [STRICT]:
                strict.add(cells[0])
    return points, strict


def stage_key(stage: str) -> tuple[int, str]:
    return int(stage[:-1]), stage[-1]


class TestGrade:
    """The runs of one test: per runtime, how many passed, the first
    failure, and whether runs are still outstanding."""

    def __init__(self, test: str, points: int, binary: Path | None,
                 in_table: bool, strict: bool = False):
        self.test = test
        self.strict = strict
        self.stage = gtestrun.stage_of(test)
        self.points = points
        self.binary = binary
        self.in_table = in_table
        self.expected: dict[str, int] = {}  # runtime -> runs planned
        self.passed: collections.Counter[str] = collections.Counter()
        self.failure: dict[str, gtestrun.Result] = {}
        self.finished: collections.Counter[str] = collections.Counter()
        self.seconds: dict[str, list[float]] = collections.defaultdict(list)

    def add(self, result: gtestrun.Result) -> None:
        rt = result.run.runtime
        self.finished[rt] += 1
        self.seconds[rt].append(result.seconds)
        if result.ok:
            self.passed[rt] += 1
        elif rt not in self.failure:
            self.failure[rt] = result

    def done(self, runtime: str) -> bool:
        return (runtime in self.failure or
                self.finished[runtime] >= self.expected.get(runtime, 0))

    def all_done(self) -> bool:
        return all(self.done(rt) for rt in self.expected)

    @property
    def ok(self) -> bool:
        return (self.binary is not None and not self.failure and
                all(self.passed[rt] == n for rt, n in self.expected.items()))

    def cell(self, runtime: str) -> str:
        if self.binary is None:
            return "missing"
        if runtime in self.failure:
            r = self.failure[runtime]
            word = "FAIL" if r.status == "fail" else r.status.upper()
            return f"{word} s{r.run.seed}"
        n = self.expected.get(runtime, 0)
        if self.finished[runtime] < n:
            return "-"
        return f"ok {self.passed[runtime]}/{n}"

    def score(self) -> int:
        return self.points if self.ok else 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Run the graded suites and print a score table.")
    p.add_argument("--stage", action="append", default=[],
                   help="stage(s) to grade, e.g. 2A or 2A,2B (default: all "
                        "built)")
    p.add_argument("--runtime", default="sim",
                   help="sim, real, or both (sim,real) (default sim)")
    p.add_argument("--seeds", type=int, default=3,
                   help="sim: runs per test, seeds seed-base.. (default 3)")
    p.add_argument("--seed-base", type=int, default=1,
                   help="first seed (default 1)")
    p.add_argument("--real-runs", type=int, default=1,
                   help="real: runs per test (default 1)")
    p.add_argument("-j", "--jobs", type=int, default=2,
                   help="parallel processes (default 2)")
    p.add_argument("--timeout", type=float, default=300,
                   help="wall-time limit per run in seconds (default 300)")
    p.add_argument("--build-dir", type=Path, default=REPO / "build",
                   help="build folder with tests/*_test (default build)")
    p.add_argument("--points", type=Path, default=REPO / "tests/points.tsv",
                   help="points table (default tests/points.tsv)")
    p.add_argument("--no-color", action="store_true", help="no colours")
    args = p.parse_args(argv)
    rts = args.runtime.replace("both", "sim,real").split(",")
    args.runtimes = [r for r in ("sim", "real") if r in rts]
    if not args.runtimes or any(r not in ("sim", "real") for r in rts):
        p.error(f"--runtime must be sim, real or both, not {args.runtime!r}")
    stages = {s.strip().upper() for arg in args.stage
              for s in arg.split(",") if s.strip()}
    for s in stages:
        if not gtestrun.STAGE_RE.match(s):
            p.error(f"not a stage: {s!r} (stages look like 2A, 3B)")
    args.stages = sorted(stages, key=stage_key)
    if args.seeds < 1 or args.real_runs < 1 or args.jobs < 1:
        p.error("--seeds, --real-runs and --jobs must be at least 1")
    return args


def plan(args, points: dict[str, int], where: dict[str, Path],
         strict: set[str] = frozenset()):
    """The tests to grade, by stage (the originals' first, then the
    strictness suites'), and the stages with no test built."""
    grades: dict[str, list[TestGrade]] = collections.defaultdict(list)
    for test, pts in sorted(points.items(), key=lambda kv: kv[0] in strict):
        grades[gtestrun.stage_of(test)].append(
            TestGrade(test, pts, where.get(test), True, test in strict))
    for test, binary in where.items():
        stage = gtestrun.stage_of(test)
        if stage is not None and test not in points:
            grades[stage].append(TestGrade(test, 0, binary, False))
    wanted = args.stages or sorted(grades, key=stage_key)
    chosen: dict[str, list[TestGrade]] = {}
    absent: list[str] = []
    for stage in wanted:
        tests = grades.get(stage, [])
        if not any(g.binary for g in tests):
            absent.append(stage)
        else:
            chosen[stage] = tests
    return chosen, absent


def make_runs(args, chosen: dict[str, list[TestGrade]]) -> list[gtestrun.Run]:
    runs = []
    timeout = args.timeout if args.timeout > 0 else None
    # Real runs first: they are long but mostly idle, so the CPU-bound sim
    # runs fill the gaps. Seed-major, so that after a failure the test's
    # later seeds are still queued and can be skipped.
    for rt in sorted(args.runtimes, key=lambda r: r != "real"):
        count = args.seeds if rt == "sim" else args.real_runs
        for g in (g for tests in chosen.values() for g in tests):
            g.expected[rt] = count if g.binary else 0
        for i in range(count):
            for tests in chosen.values():
                for g in tests:
                    if g.binary:
                        runs.append(gtestrun.Run(g.test, g.binary, rt,
                                                 args.seed_base + i,
                                                 timeout=timeout, tag=g))
    return runs


def table(chosen, runtimes, color: bool,
          strict_totals: list[int] | None = None
          ) -> tuple[list[str], int, int]:
    """The score table lines, the score and the maximum of the originals'
    tests. The strictness suites' tests are subtotalled per stage and in a
    total of their own; their score and maximum go into strict_totals."""
    rows = [["test"] + runtimes + ["points"]]
    total = maximum = strict_got = strict_top = 0
    marks = []  # per row: None, "ok", "bad", "sum"

    def subtotal(label: str, got: int, top: int) -> None:
        rows.append([label] + [""] * len(runtimes) + [f"{got}/{top}"])
        marks.append("sum")

    for stage, tests in chosen.items():
        sums = {False: [0, 0], True: [0, 0]}  # strict? -> [got, top]
        for g in tests:
            if g.strict and not any(x.strict for x in tests[:tests.index(g)]):
                subtotal(f"stage {stage}", *sums[False])
            rows.append([g.test + ("" if g.in_table else " (no points)")] +
                        [g.cell(rt) for rt in runtimes] +
                        [f"{g.score()}/{g.points}"])
            marks.append("ok" if g.ok else "bad")
            sums[g.strict][0] += g.score()
            sums[g.strict][1] += g.points
        if any(g.strict for g in tests):
            subtotal(f"stage {stage} strictness", *sums[True])
        else:
            subtotal(f"stage {stage}", *sums[False])
        total += sums[False][0]
        maximum += sums[False][1]
        strict_got += sums[True][0]
        strict_top += sums[True][1]
    rows.append(["total"] + [""] * len(runtimes) + [f"{total}/{maximum}"])
    marks.append("sum")
    if strict_top:
        rows.append(["strictness suites (beyond the originals)"] +
                    [""] * len(runtimes) + [f"{strict_got}/{strict_top}"])
        marks.append("sum")
    if strict_totals is not None:
        strict_totals[:] = [strict_got, strict_top]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, r in enumerate(rows):
        line = "  ".join([r[0].ljust(widths[0])] +
                         [c.ljust(w) for c, w in zip(r[1:-1], widths[1:-1])] +
                         [r[-1].rjust(widths[-1])])
        mark = marks[n - 1] if n else "head"
        if mark in ("sum", "head"):
            if mark == "sum" and r[0] == "total":
                lines.append("-" * len(line))
            if color:
                line = f"\x1b[1m{line}\x1b[0m"
        elif color and mark == "bad":
            line = f"\x1b[31m{line}\x1b[0m"
        lines.append(line)
    return lines, total, maximum


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    color = (not args.no_color and "NO_COLOR" not in os.environ and
             sys.stdout.isatty())
    try:
        points, strict = read_table(args.points)
    except (OSError, ValueError) as e:
        print(f"grade: {e}", file=sys.stderr)
        return 2
    binaries = gtestrun.find_binaries(args.build_dir)
    if not binaries:
        print(f"grade: no test binaries in {args.build_dir}/tests (build "
              f"first: make build)", file=sys.stderr)
        return 2
    errors: list[str] = []
    where = gtestrun.discover(binaries, errors)
    for e in errors:
        print(f"grade: warning: {e}", file=sys.stderr)
    chosen, absent = plan(args, points, where, strict)
    if args.stages and absent:
        print(f"grade: stage(s) {', '.join(absent)} not in the build "
              f"({args.build_dir})", file=sys.stderr)
        return 2
    if not chosen:
        print("grade: no graded test in the build", file=sys.stderr)
        return 2
    runs = make_runs(args, chosen)
    n_tests = sum(len(t) for t in chosen.values())
    how = []
    if "sim" in args.runtimes:
        seeds = range(args.seed_base, args.seed_base + args.seeds)
        how.append(f"sim seeds {','.join(map(str, seeds))}")
    if "real" in args.runtimes:
        how.append(f"real {args.real_runs} run(s)")
    print(f"grade: {n_tests} tests in stage(s) {' '.join(chosen)}; "
          f"{'; '.join(how)}; {args.jobs} parallel")
    for g in (g for t in chosen.values() for g in t):
        if not g.in_table:
            print(f"grade: warning: {g.test} is not in {args.points} "
                  f"(graded for 0 points)")
    sys.stdout.flush()

    with gtestrun.Pool(args.jobs) as pool:
        return run_grade(args, pool, runs, chosen, absent, color)


def run_grade(args, pool: gtestrun.Pool, runs: list[gtestrun.Run],
              chosen: dict[str, list[TestGrade]], absent: list[str],
              color: bool) -> int:
    start = time.monotonic()
    pool.submit(runs)
    reported: set[str] = set()

    def on_result(result: gtestrun.Result) -> None:
        g: TestGrade = result.run.tag
        g.add(result)
        rt = result.run.runtime
        if not result.ok and g.done(rt):
            pool.drop(lambda r: r.tag is g and r.runtime == rt)
        if g.all_done() and g.test not in reported:
            reported.add(g.test)
            cells = ", ".join(f"{rt} {g.cell(rt)}" for rt in args.runtimes)
            word = "ok  " if g.ok else "FAIL"
            if color:
                word = (f"\x1b[32m{word}\x1b[0m" if g.ok else
                        f"\x1b[31;1m{word}\x1b[0m")
            secs = max(max(v) for v in g.seconds.values())
            print(f"{word} {g.test} ({cells}; "
                  f"{gtestrun.fmt_duration(secs)})")
            for rt, r in g.failure.items():
                print(f"     {r.reason}\n     replay: {r.replay}")
            sys.stdout.flush()

    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, _raise_interrupt)
    interrupted = False
    try:
        pool.run_all(on_result)
    except KeyboardInterrupt:
        pool.cancel()
        interrupted = True

    strict_totals: list[int] = []
    lines, total, maximum = table(chosen, args.runtimes, color, strict_totals)
    print()
    print("\n".join(lines))
    for stage in absent:
        print(f"(stage {stage}: not built yet, not graded)")
    elapsed = gtestrun.fmt_duration(time.monotonic() - start)
    all_ok = all(g.ok for t in chosen.values() for g in t)
    if interrupted:
        print(f"grade: interrupted after {elapsed}; the table is partial")
        return 130
    extra = ""
    if strict_totals and strict_totals[1]:
        extra = (f" (strictness suites: {strict_totals[0]}/"
                 f"{strict_totals[1]} more)")
    print(f"grade: {total}/{maximum} points{extra} in {elapsed}"
          + ("" if all_ok else "; some tests failed (see above)"))
    return 0 if all_ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:  # e.g. | head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
