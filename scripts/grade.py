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

It first builds what it grades (CMake target stage_2A for --stage 2A,
`stages` for all; configuring the folder if needed), so no binary runs
older than its sources; with --no-build it builds nothing and refuses a
binary that ninja would rebuild. Stages whose tests are not in the build at
all are listed as not built and left out of the total.

Besides the table it writes machine-readable results: a Gradescope-style
results.json (--json, default <build>/grade-results.json) and JUnit XML
(--junit, default <build>/grade-junit.xml); '' writes none. Exit status: 0
if every graded test passed, 1 if any failed or is missing, 2 on a usage or
build error.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import signal
import sys
import time
import xml.etree.ElementTree as ET
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
        # "warning: ..." line -> runtime -> the seeds of the runs that
        # printed it.
        self.warnings: dict[str, dict[str, list[int]]] = {}

    def add(self, result: gtestrun.Result) -> None:
        rt = result.run.runtime
        self.finished[rt] += 1
        self.seconds[rt].append(result.seconds)
        for w in result.warnings:
            self.warnings.setdefault(w, {}).setdefault(rt, []).append(
                result.run.seed)
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

    def report_lines(self) -> list[str]:
        """Each failure whole (message, then replay command), then the
        warnings with the runs that printed them."""
        lines = []
        for r in self.failure.values():
            msg = (r.message or r.reason or r.status).split("\n")
            lines += [msg[0]] + [f"  {l}" for l in msg[1:]]
            lines.append(f"replay: {r.replay}")
        for w, runs in self.warnings.items():
            where = "; ".join(
                f"{rt} seed{'s' if len(seeds) > 1 else ''} "
                f"{', '.join(map(str, sorted(seeds)))}"
                for rt, seeds in runs.items())
            lines.append(f"{w} ({where})")
        return lines

    def outcome(self, runtime: str) -> str:
        """How the runs under one runtime went, in words."""
        n = self.expected.get(runtime, 0)
        if runtime in self.failure:
            r = self.failure[runtime]
            return (f"{runtime}: {r.status} at seed {r.run.seed}; "
                    f"{self.passed[runtime]} of {n} runs passed")
        if self.finished[runtime] < n:
            return (f"{runtime}: not finished ({self.finished[runtime]} of "
                    f"{n} runs)")
        return f"{runtime}: passed {self.passed[runtime]} of {n} runs"

    def seconds_total(self) -> float:
        return sum(sum(v) for v in self.seconds.values())


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
    p.add_argument("--no-build", action="store_true",
                   help="build nothing; refuse binaries older than their "
                        "sources (default: build the stages' targets first)")
    p.add_argument("--json", metavar="FILE", default=None,
                   help="Gradescope-style results (default "
                        "<build>/grade-results.json; '' for none)")
    p.add_argument("--junit", metavar="FILE", default=None,
                   help="JUnit XML results (default <build>/grade-junit.xml;"
                        " '' for none)")
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
    args.json = Path(args.json) if args.json else (
        None if args.json == "" else args.build_dir / "grade-results.json")
    args.junit = Path(args.junit) if args.junit else (
        None if args.junit == "" else args.build_dir / "grade-junit.xml")
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
    targets = ([gtestrun.stage_target(s) for s in args.stages] or
               [gtestrun.ALL_STAGES_TARGET])
    if not args.no_build:
        print(f"grade: building {' '.join(targets)} in {args.build_dir}",
              flush=True)
        try:
            gtestrun.ensure_built(args.build_dir, REPO, targets,
                                  jobs=min(args.jobs, os.cpu_count() or 2))
        except gtestrun.BuildError as e:
            return grade_error(args, str(e))
    binaries = gtestrun.find_binaries(args.build_dir)
    if not binaries:
        return grade_error(args, f"no test binaries in {args.build_dir}/tests"
                                 f" (build first: make build)")
    errors: list[str] = []
    where = gtestrun.discover(binaries, errors)
    for e in errors:
        print(f"grade: warning: {e}", file=sys.stderr)
    chosen, absent = plan(args, points, where, strict)
    if args.stages and absent:
        return grade_error(args, f"stage(s) {', '.join(absent)} not in the "
                                 f"build ({args.build_dir})")
    if not chosen:
        return grade_error(args, "no graded test in the build")
    if args.no_build:
        used = sorted({g.binary for t in chosen.values() for g in t
                       if g.binary})
        try:
            stale = gtestrun.stale_binaries(args.build_dir, used)
        except gtestrun.BuildError as e:
            print(f"grade: note: {e}", file=sys.stderr)
            stale = []
        if stale:
            return grade_error(args, gtestrun.stale_message(
                "grade", args.build_dir, stale, targets).removeprefix(
                    "grade: "))
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
            for line in g.report_lines():
                print(f"     {line}")
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
    seconds = time.monotonic() - start
    elapsed = gtestrun.fmt_duration(seconds)
    all_ok = all(g.ok for t in chosen.values() for g in t)
    extra = ""
    if strict_totals and strict_totals[1]:
        extra = (f" (strictness suites: {strict_totals[0]}/"
                 f"{strict_totals[1]} more)")
    if interrupted:
        summary = f"grade: interrupted after {elapsed}; the table is partial"
    else:
        summary = (f"grade: {total}/{maximum} points{extra} in {elapsed}" +
                   ("" if all_ok else "; some tests failed (see above)"))
    results = Results(chosen, args.runtimes, absent, total, maximum,
                      strict_totals or [0, 0], seconds, summary,
                      complete=not interrupted)
    written = write_results(args, results)
    print(summary)
    if written:
        print(f"grade: results in {', '.join(map(str, written))}")
    if interrupted:
        return 130
    return 0 if all_ok else 1


# ---------------------------------------------------------------------------
# Machine-readable results: Gradescope's results.json and JUnit XML.

class Results:
    """What a grade found, for the result files."""

    def __init__(self, chosen, runtimes, absent, total, maximum,
                 strict_totals, seconds, summary, complete=True):
        self.chosen = chosen
        self.runtimes = runtimes
        self.absent = absent
        self.total = total
        self.maximum = maximum
        self.strict_score, self.strict_max = strict_totals
        self.seconds = seconds
        self.summary = summary
        self.complete = complete

    def grades(self):
        return [g for tests in self.chosen.values() for g in tests]


def test_status(g: TestGrade, complete: bool) -> str:
    """passed, failed, or error (a crash, a time-out, a test missing from
    the build), or skipped (the grade was interrupted before it ran)."""
    if g.ok:
        return "passed"
    if g.binary is None:
        return "error"
    if g.failure:
        first = next(iter(g.failure.values()))
        return "failed" if first.status == "fail" else "error"
    return "skipped" if not complete else "failed"


def test_output(g: TestGrade, runtimes: list[str]) -> str:
    """A test's outcome in words: per runtime how its runs went, then each
    failure's whole message and replay command, then warnings."""
    if g.binary is None:
        lines = ["missing: no test binary in the build holds this test"]
    else:
        lines = [g.outcome(rt) for rt in runtimes]
    if not g.in_table:
        lines.append("not in the points table: graded for 0 points")
    return "\n".join(lines + g.report_lines())


def results_json(r: Results) -> dict:
    """Gradescope's results.json: the score of the originals' tests (the
    strictness suites' points are in extra_data, and per test), and per
    test its points, status and output. Strictness tests carry the tag
    "strict"; every test carries its stage as a tag."""
    tests = []
    for g in r.grades():
        tags = [g.stage] + (["strict"] if g.strict else [])
        tests.append({
            "name": g.test,
            "score": g.score(),
            "max_score": g.points,
            "status": "passed" if g.ok else "failed",
            "output": test_output(g, r.runtimes),
            "tags": tags,
            "visibility": "visible",
            "extra_data": {
                "stage": g.stage,
                "strict": g.strict,
                "result": test_status(g, r.complete),
                "in_points_table": g.in_table,
                "seconds": round(g.seconds_total(), 3),
            },
        })
    return {
        "score": r.total,
        "max_score": r.maximum,
        "execution_time": round(r.seconds, 3),
        "output": r.summary,
        "visibility": "visible",
        "extra_data": {
            "stages": list(r.chosen),
            "not_built": r.absent,
            "runtimes": r.runtimes,
            "strict_score": r.strict_score,
            "strict_max_score": r.strict_max,
            "complete": r.complete,
        },
        "tests": tests,
    }


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xml_text(text: str) -> str:
    # Control characters (e.g. a stray colour code) are not allowed in XML.
    return _XML_ILLEGAL.sub("?", text)


def results_junit(r: Results) -> ET.ElementTree:
    """JUnit XML: a <testsuite> per stage, a <testcase> per test (classname
    = the suite, e.g. Raft2A) with properties points, max_points, strict;
    <failure> for a failed check, <error> for a crash, time-out or missing
    test, <skipped> for a test an interrupted grade did not finish. The
    element's message is the failure's first line, its text the output."""
    root = ET.Element("testsuites", name="raftlab grade")
    counts = collections.Counter()
    for stage, tests in r.chosen.items():
        suite = ET.SubElement(root, "testsuite", name=f"stage {stage}")
        c = collections.Counter()
        for g in tests:
            suite_name, _, name = g.test.partition(".")
            case = ET.SubElement(suite, "testcase", name=name,
                                 classname=suite_name,
                                 time=f"{g.seconds_total():.3f}")
            props = ET.SubElement(case, "properties")
            for k, v in (("points", g.score()), ("max_points", g.points),
                         ("strict", str(g.strict).lower()),
                         ("stage", stage)):
                ET.SubElement(props, "property", name=k, value=str(v))
            status = test_status(g, r.complete)
            output = _xml_text(test_output(g, r.runtimes))
            first = next(iter(g.failure.values()), None)
            message = _xml_text(first.reason if first else output
                                .split("\n", 1)[0])
            if status == "failed":
                el = ET.SubElement(case, "failure", message=message,
                                   type=first.status if first else "fail")
                el.text = output
            elif status == "error":
                el = ET.SubElement(case, "error", message=message,
                                   type=first.status if first else "missing")
                el.text = output
            elif status == "skipped":
                ET.SubElement(case, "skipped", message=message)
            elif g.warnings:
                ET.SubElement(case, "system-out").text = output
            c["tests"] += 1
            c[{"failed": "failures", "error": "errors",
               "skipped": "skipped"}.get(status, "passed")] += 1
            c["time"] += g.seconds_total()
        for k in ("tests", "failures", "errors", "skipped"):
            suite.set(k, str(c[k]))
        suite.set("time", f"{c['time']:.3f}")
        sprops = ET.Element("properties")
        got = sum(g.score() for g in tests if not g.strict)
        top = sum(g.points for g in tests if not g.strict)
        for k, v in (("score", got), ("max_score", top)):
            ET.SubElement(sprops, "property", name=k, value=str(v))
        suite.insert(0, sprops)
        counts.update(c)
    for k in ("tests", "failures", "errors", "skipped"):
        root.set(k, str(counts[k]))
    root.set("time", f"{r.seconds:.3f}")
    ET.indent(root)
    return ET.ElementTree(root)


def _write_atomically(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        write(f)
    os.replace(tmp, path)


def write_results(args, results: Results) -> list[Path]:
    """Writes the result files asked for; returns their paths."""
    written = []
    try:
        if args.json:
            data = json.dumps(results_json(results), indent=2) + "\n"
            _write_atomically(args.json, lambda f: f.write(data.encode()))
            written.append(args.json)
        if args.junit:
            tree = results_junit(results)
            _write_atomically(args.junit, lambda f: tree.write(
                f, encoding="utf-8", xml_declaration=True))
            written.append(args.junit)
    except OSError as e:
        print(f"grade: cannot write results: {e}", file=sys.stderr)
    return written


def grade_error(args, message: str) -> int:
    """A grade that could not run (build failure, nothing built): says so,
    and writes result files that say so with a score of 0, so that an
    autograder shows the reason rather than no results. Returns 2."""
    print(f"grade: {message}", file=sys.stderr)
    results = Results({}, args.runtimes, [], 0, 0, [0, 0], 0.0,
                      f"grade: {message}", complete=False)
    write_results(args, results)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:  # e.g. | head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
