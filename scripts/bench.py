#!/usr/bin/env python3
"""Benchmark table: raftlab's graded tests against the Go labs' figures.

For every graded test of the stages asked for (tests/points.tsv, the
originals' tests; not the strictness suites) it measures, one child process
per run and one run at a time:

  - real runtime (--real-runs runs, default 1): wall time, CPU time
    (user + sys of the test process, from os.wait4) and peak RSS;
  - sim runtime (--seeds seeds, default 3): wall time per seed, mean and
    slowest;
  - the RPCs, RPC bytes (2A-2D) and clerk operations (3A-3B) the test
    prints on its "  ... Passed --" line (real runs; sim if --skip-real);

then labrpc's round trip per runtime (build/bench/labrpc_bench, benchmark
CallRoundTrip). It prints one Markdown table per stage, a totals table and
the round-trip table. Next to each figure the Go labs have one for
(bench/go_figures.tsv) it puts Go's figure and the ratio raftlab/Go, and
every row with a goal of issue #12 is marked ok or over:

    scripts/bench.py                        # every graded stage
    scripts/bench.py --stages 2A,2B --seeds 1 --real-runs 3
    scripts/bench.py --filter 'Raft2B.*' --skip-sim --skip-rpc
    scripts/bench.py --json build/bench.json > bench.md
    make bench [STAGE=2B] [SEEDS=3] [ARGS='--json out.json']

Progress goes to stderr, the tables to stdout. Real-runtime figures are
only comparable on a quiet machine: the load average is printed with them.
It first builds what it measures (the stage_<S> targets and labrpc_bench;
configuring the folder if needed); with --no-build it builds nothing and
refuses binaries older than their sources. Exit status: 0 if every run
passed (with --check: and every goal is met), 1 otherwise, 2 on a usage,
data or build error, 130 if interrupted (after printing what it measured).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import math
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gtestrun  # noqa: E402  (needs the path above)
import grade  # noqa: E402  (the points table's reader)

REPO = Path(__file__).resolve().parent.parent
GO_FIGURES = REPO / "bench" / "go_figures.tsv"
RPC_BENCH = Path("bench") / "labrpc_bench"  # inside the build folder
RPC_BENCH_TARGET = "labrpc_bench"
RPC_BENCH_FILTER = "CallRoundTrip"

# ---------------------------------------------------------------------------
# The goals of issue #12. A goal on a ratio compares raftlab / Go; the sim
# goal is an absolute wall time per seed (the slowest seed of a test).

WALL_GOAL = 1.0          # real wall time, per test or group of tests
TOTAL_WALL_GOAL = 0.9    # real wall time of a stage or range total
RPCS_GOAL = 1.5          # RPCs a test counts
RTT_GOAL = 0.5           # labrpc round trip, against Go's fastest run
SIM_GOAL_S = 3.0         # sim wall seconds per seed ...
SIM_GOAL_STAGES = ("3A", "3B", "4A", "4B")  # ... in the KV stages



def goals_note(sim_goal: float = SIM_GOAL_S) -> str:
    """The goals, in words, for the tables' footnote."""
    return (
        f"Goals (issue #12): real wall time at most {WALL_GOAL:g}x Go per "
        f"test or group of tests, at most {TOTAL_WALL_GOAL:g}x Go for a "
        f"stage total (2A-2D); RPCs at most {RPCS_GOAL:g}x Go; labrpc round "
        f"trip at most {RTT_GOAL:g}x Go's fastest run; under sim at most "
        f"{sim_goal:g} s of wall time per seed (the slowest seed) for each "
        f"test of {', '.join(SIM_GOAL_STAGES)}. A row is ok if it meets "
        f"every goal that applies to it, over if it misses one (named in "
        f"the goal column). CPU, memory, bytes and ops have no goal; their "
        f"ratio is shown for information.")


# ---------------------------------------------------------------------------
# The Go figures (bench/go_figures.tsv).

GO_HEADER = ["stage", "test", "metric", "value", "go_name"]
TEST_METRICS = ("wall_s", "cpu_s", "rss_mb", "rpcs", "bytes", "ops")
RTT_METRICS = ("rtt_us_min", "rtt_us_max")
LABRPC = "labrpc"
TOTAL = "total"
RANGE_RE = re.compile(r"^(\d[A-Z])-(\d[A-Z])$")


@dataclasses.dataclass
class GoFigure:
    """One row of the Go figures: `stage` is a stage, a range (2A-2D) or
    labrpc; `tests` the gtest names the figure covers ([] for a total or
    the labrpc benchmark)."""
    stage: str
    test: str
    metric: str
    value: float
    go_name: str
    line: int
    tests: list[str] = dataclasses.field(default_factory=list)


def stages_of(key: str, known: list[str]) -> list[str]:
    """The stages of `known` a stage column covers: "2B" -> [2B], "2A-2D"
    -> [2A, 2B, 2C, 2D] (every one between, by number then letter)."""
    m = RANGE_RE.match(key)
    if not m:
        return [s for s in known if s == key]
    lo, hi = grade.stage_key(m.group(1)), grade.stage_key(m.group(2))
    return [s for s in known if lo <= grade.stage_key(s) <= hi]


def read_go_figures(path: Path) -> tuple[list[GoFigure], str]:
    """The figures of a Go figures file and its source (the comment lines
    from "Source:" to the first blank comment line). Raises ValueError
    naming file:line for a malformed row: not five tab-separated cells, an
    unknown metric, a value that is no number >= 0, a test of another
    stage, a figure given twice."""
    figures: list[GoFigure] = []
    seen: dict[tuple[str, str, str], int] = {}
    source: list[str] = []
    in_source = False
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not UTF-8 text ({e.reason} at byte "
                         f"{e.start})") from e
    for n, raw in enumerate(lines, 1):
        line = raw.rstrip("\r")
        stripped = line.strip()
        if stripped.startswith("#"):
            text = stripped[1:].strip()
            if text.startswith("Source:"):
                in_source, text = True, text[len("Source:"):].strip()
            elif not text:
                in_source = False
            if in_source and text:
                source.append(text)
            continue
        if not stripped:
            continue

        def bad(why: str) -> ValueError:
            return ValueError(f"{path}:{n}: {why}: {line!r}")

        cells = line.split("\t")
        if cells == GO_HEADER:
            continue
        if len(cells) != len(GO_HEADER):
            raise bad(f"expected {len(GO_HEADER)} tab-separated cells "
                      f"({', '.join(GO_HEADER)}), got {len(cells)}")
        stage, test, metric, value, go_name = (c.strip() for c in cells)
        if not go_name:
            raise bad("empty go_name")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or number < 0:
            raise bad(f"value {value!r} is not a number >= 0")
        tests: list[str] = []
        if stage == LABRPC:
            if metric not in RTT_METRICS:
                raise bad(f"metric {metric!r}: a labrpc figure is one of "
                          f"{', '.join(RTT_METRICS)}")
            if test != RPC_BENCH_FILTER:
                raise bad(f"test {test!r}: the labrpc benchmark is "
                          f"{RPC_BENCH_FILTER}")
        else:
            if metric not in TEST_METRICS:
                raise bad(f"unknown metric {metric!r} (one of "
                          f"{', '.join(TEST_METRICS + RTT_METRICS)}; "
                          f"{', '.join(RTT_METRICS)} for labrpc only)")
            m = RANGE_RE.match(stage)
            if m:
                if grade.stage_key(m.group(1)) >= grade.stage_key(m.group(2)):
                    raise bad(f"stage range {stage!r} is empty or one stage")
                if test != TOTAL:
                    raise bad(f"a range of stages takes test {TOTAL!r}, "
                              f"not {test!r}")
            elif not gtestrun.STAGE_RE.match(stage):
                raise bad(f"stage {stage!r} is not a stage (2B), a range "
                          f"(2A-2D) or {LABRPC}")
            elif test != TOTAL:
                tests = test.split("+")
                for t in tests:
                    if gtestrun.stage_of(t) != stage or t.count(".") != 1:
                        raise bad(f"test {t!r} is not a test of stage "
                                  f"{stage} (Suite{stage}.Name)")
                if len(set(tests)) != len(tests):
                    raise bad("a test is listed twice in the group")
        k = (stage, test, metric)
        if k in seen:
            raise bad(f"{metric} of {stage} {test} given twice (first on "
                      f"line {seen[k]})")
        seen[k] = n
        figures.append(GoFigure(stage, test, metric, number, go_name, n,
                                tests))
    rtt = {f.metric for f in figures if f.stage == LABRPC}
    if rtt and rtt != set(RTT_METRICS):
        raise ValueError(f"{path}: the labrpc round trip needs both "
                         f"{' and '.join(RTT_METRICS)}")
    return figures, " ".join(source)


def check_go_tests(figures: list[GoFigure], graded: set[str],
                   path: Path) -> None:
    """Raises ValueError naming file:line for a figure about a test that is
    not a graded test of the points table (a typo would drop it)."""
    for f in figures:
        for t in f.tests:
            if t not in graded:
                raise ValueError(f"{path}:{f.line}: {t} is not a graded test "
                                 f"(not in the points table)")


# ---------------------------------------------------------------------------
# Measuring one run.

# "  ... Passed --   3.1  3  112   31234   10": time, peers, then the Raft
# harness's rpcs, bytes, commits or the KV harness's rpcs, ops.
PASSED_RE = re.compile(r"^\s*\.\.\. Passed --\s+(.*\S)\s*$", re.M)
PASSED_FIELDS = {5: ("test_s", "peers", "rpcs", "bytes", "commits"),
                 4: ("test_s", "peers", "rpcs", "ops")}


def passed_figures(output: str) -> dict[str, float]:
    """The figures of a test's "... Passed --" lines, summed over the parts
    of a test that has several (peers: the largest); {} if it prints none
    with figures (the shard tests print "... Passed" alone)."""
    out: dict[str, float] = {}
    for m in PASSED_RE.finditer(output):
        cells = m.group(1).split()
        names = PASSED_FIELDS.get(len(cells))
        if names is None:
            continue
        try:
            values = [float(c) for c in cells]
        except ValueError:
            continue
        for k, v in zip(names, values):
            out[k] = max(out.get(k, 0), v) if k == "peers" else (
                out.get(k, 0) + v)
    return out


@dataclasses.dataclass
class Measure:
    """One run of one test: how it ended and what it cost."""
    runtime: str
    seed: int
    status: str
    wall_s: float
    cpu_s: float
    rss_mb: float
    figures: dict[str, float]
    reason: str = ""
    replay: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "pass"

    def to_json(self) -> dict:
        d = {"runtime": self.runtime, "seed": self.seed,
             "status": self.status, "wall_s": round(self.wall_s, 4),
             "cpu_s": round(self.cpu_s, 4), "rss_mb": round(self.rss_mb, 2)}
        d.update({k: v for k, v in self.figures.items()})
        if self.reason:
            d["reason"] = self.reason
            d["replay"] = self.replay
        return d


class PeakRss:
    """The peak RSS of a running child, VmHWM of /proc/<pid>/status read
    every POLL_S seconds until stop(). Not ru_maxrss: Linux carries the
    high-water mark of the memory a process had before exec into it, so a
    child forked from this script reports at least the script's own RSS
    (/bin/true shows some 14 MB). What a child allocates in its last
    POLL_S seconds can be missed."""

    POLL_S = 0.02
    HWM_RE = re.compile(rb"^VmHWM:\s+(\d+) kB", re.M)

    def __init__(self, pid: int):
        self.path = f"/proc/{pid}/status"
        self.kib: int | None = None
        self._stop = threading.Event()
        self._read()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            with open(self.path, "rb") as f:
                m = self.HWM_RE.search(f.read())
        except OSError:
            return
        if m:  # a zombie has no memory lines
            self.kib = max(self.kib or 0, int(m.group(1)))

    def _poll(self) -> None:
        while not self._stop.wait(self.POLL_S):
            self._read()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def measure(run: gtestrun.Run) -> Measure:
    """Runs one test process and waits for it with os.wait4, for its CPU
    time (user + sys), with its peak RSS from PeakRss. A run past
    run.timeout is killed (status timeout)."""
    with tempfile.TemporaryFile(prefix="raftlab-bench-") as log:
        start = time.monotonic()
        proc = subprocess.Popen(run.command(), env=run.run_env(), stdout=log,
                                stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL,
                                start_new_session=True)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

        timer = threading.Timer(run.timeout, kill) if run.timeout else None
        if timer:
            timer.daemon = True
            timer.start()
        peak = PeakRss(proc.pid)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            kill()
            proc.wait()
            raise
        finally:
            peak.stop()
            if timer:
                timer.cancel()
        wall = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        output = log.read().decode("utf-8", errors="replace")
    state, message = gtestrun.classify(run, proc.returncode, output,
                                       timed_out.is_set())
    m = gtestrun.REPLAY_RE.search(output)
    # ru_maxrss (KiB) only if /proc could not be read: it counts this
    # script's own memory too (see PeakRss).
    rss_kib = peak.kib if peak.kib is not None else usage.ru_maxrss
    return Measure(run.runtime, run.seed, state, wall,
                   usage.ru_utime + usage.ru_stime, rss_kib / 1024,
                   passed_figures(output) if state == "pass" else {},
                   message.split("\n", 1)[0],
                   m.group(1) if m else run.replay_command())


# ---------------------------------------------------------------------------
# What was measured, per test and summed.

def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


class TestBench:
    """The runs of one test under both runtimes."""

    def __init__(self, test: str, binary: Path):
        self.test = test
        self.stage = gtestrun.stage_of(test)
        self.binary = binary
        self.real: list[Measure] = []
        self.sim: list[Measure] = []

    def failed(self, runtime: str) -> bool:
        return any(not m.ok for m in getattr(self, runtime))

    def _real(self, key: str) -> float | None:
        if not self.real or self.failed("real"):
            return None
        return _mean([getattr(m, key) for m in self.real])

    def value(self, metric: str) -> float | None:
        """A figure of this test (None if not measured or a run failed):
        wall_s, cpu_s (real, mean over runs), rss_mb (real, largest),
        sim_mean, sim_max (sim wall per seed), and the Passed line's rpcs,
        bytes, ops, test_s (real runs' mean, or sim's without real runs)."""
        if metric in ("wall_s", "cpu_s"):
            return self._real(metric)
        if metric == "rss_mb":
            ok = self.real and not self.failed("real")
            return max(m.rss_mb for m in self.real) if ok else None
        if metric in ("sim_mean", "sim_max"):
            if not self.sim or self.failed("sim"):
                return None
            walls = [m.wall_s for m in self.sim]
            return _mean(walls) if metric == "sim_mean" else max(walls)
        runs = self.real or self.sim
        if not runs or any(not m.ok for m in runs):
            return None
        values = [m.figures[metric] for m in runs if metric in m.figures]
        return _mean(values) if len(values) == len(runs) else None


class Aggregate:
    """Tests measured together: a stage, a range of stages, a group of a Go
    figure. Times and counts add up; peak RSS is the largest. `complete`
    is False if some of the tests it stands for were not measured."""

    def __init__(self, label: str, benches: list[TestBench],
                 wanted: int, kind: str):
        self.label = label
        self.benches = benches
        self.wanted = wanted
        self.kind = kind  # "stage", "range", "group", "all"

    @property
    def complete(self) -> bool:
        return len(self.benches) == self.wanted

    def value(self, metric: str) -> float | None:
        values = [b.value(metric) for b in self.benches]
        if not values or any(v is None for v in values):
            # Counts a harness does not print (shard tests) stay blank.
            return None
        return max(values) if metric == "rss_mb" else sum(values)

    def failed(self, runtime: str) -> bool:
        return any(b.failed(runtime) for b in self.benches)


# ---------------------------------------------------------------------------
# Comparing with Go, and the goals.

@dataclasses.dataclass
class Check:
    """One figure against Go's and/or a goal."""
    what: str       # the row: test, group or stage label
    metric: str
    value: float | None
    go: GoFigure | None = None
    go_max: float | None = None  # rtt: Go's slowest run
    goal: float | None = None    # the limit: ratio, or seconds for sim
    goal_kind: str = ""          # "ratio" or "abs"

    @property
    def ratio(self) -> float | None:
        if self.value is None or self.go is None or self.go.value <= 0:
            return None
        return self.value / self.go.value

    @property
    def mark(self) -> str:
        """ok, over, or '' (no goal, or nothing to compare)."""
        if self.goal is None or self.value is None:
            return ""
        x = self.ratio if self.goal_kind == "ratio" else self.value
        if x is None:
            return ""
        return "ok" if x <= self.goal + 1e-9 else "over"

    def why(self) -> str:
        name = METRIC_WORDS.get(self.metric, self.metric)
        if self.goal_kind == "ratio":
            return f"{name} {self.ratio:.2f}x Go > {self.goal:g}x"
        return f"{name} {self.value:.2f} s > {self.goal:g} s"

    def to_json(self) -> dict:
        d = {"row": self.what, "metric": self.metric,
             "value": None if self.value is None else round(self.value, 4)}
        if self.go is not None:
            d["go"] = self.go.value
            d["go_name"] = self.go.go_name
            if self.go_max is not None:
                d["go_max"] = self.go_max
            d["ratio"] = (None if self.ratio is None else
                          round(self.ratio, 4))
        if self.goal is not None:
            d["goal"] = (f"<= {self.goal:g}x Go" if self.goal_kind == "ratio"
                         else f"<= {self.goal:g} s")
            d["mark"] = self.mark
        return d


METRIC_WORDS = {"wall_s": "wall", "cpu_s": "CPU", "rss_mb": "RSS",
                "rpcs": "RPCs", "bytes": "bytes", "ops": "ops",
                "sim_max": "sim", "rtt_us": "round trip"}


def goal_for(metric: str, kind: str) -> float | None:
    """The ratio goal of a Go-compared figure (None: shown, no goal)."""
    if metric == "wall_s":
        return TOTAL_WALL_GOAL if kind in ("stage", "range") else WALL_GOAL
    if metric == "rpcs":
        return RPCS_GOAL
    return None


def row_checks(what: str, row, kind: str, stage: str | None,
               go: dict[str, GoFigure],
               sim_goal: float = SIM_GOAL_S) -> list[Check]:
    """The checks of one table row (a TestBench or an Aggregate): one per
    Go figure it has, plus the sim goal of a KV stage's test."""
    checks = []
    for metric, fig in go.items():
        g = goal_for(metric, kind)
        checks.append(Check(what, metric, row.value(metric), fig, goal=g,
                            goal_kind="ratio" if g is not None else ""))
    if kind == "test" and stage in SIM_GOAL_STAGES:
        v = row.value("sim_max")
        if v is not None:
            checks.append(Check(what, "sim_max", v, goal=sim_goal,
                                goal_kind="abs"))
    return checks


def goal_cell(checks: list[Check]) -> str:
    marks = [c for c in checks if c.mark]
    if not marks:
        return ""
    over = [c for c in marks if c.mark == "over"]
    if not over:
        return "ok"
    return "over: " + "; ".join(c.why() for c in over)


# ---------------------------------------------------------------------------
# Tables.

def fmt_s(v: float | None) -> str:
    if v is None:
        return ""
    return f"{v:.1f}" if v >= 100 else f"{v:.2f}"


def fmt_n(v: float | None) -> str:
    if v is None:
        return ""
    return f"{v:.0f}" if v >= 100 or v == int(v) else f"{v:.1f}"


def fmt_ratio(r: float | None) -> str:
    return "" if r is None else f"{r:.2f}"


def md_table(header: list[str], rows: list[list[str]],
             right: list[bool]) -> list[str]:
    """A Markdown table, padded so that it reads as text too."""
    widths = [max(len(r[i]) for r in [header] + rows)
              for i in range(len(header))]
    widths = [max(w, 3) for w in widths]

    def line(cells):
        return "| " + " | ".join(
            c.rjust(w) if r else c.ljust(w)
            for c, w, r in zip(cells, widths, right)) + " |"

    sep = "|" + "|".join(("-" * (w + 1) + ":") if r else ("-" * (w + 2))
                         for w, r in zip(widths, right)) + "|"
    return [line(header), sep] + [line(r) for r in rows]


@dataclasses.dataclass
class Column:
    header: str
    metric: str
    fmt: object  # callable: float | None -> str
    go: bool = False  # followed by Go and raftlab/Go columns

    @property
    def go_headers(self) -> list[str]:
        """The Go figure's column and the ratio's: "Go s", "wall/Go"."""
        unit = {"wall_s": "s", "cpu_s": "CPU s", "rss_mb": "MB"}.get(
            self.metric, METRIC_WORDS.get(self.metric, self.metric))
        return [f"Go {unit}", f"{METRIC_WORDS[self.metric]}/Go"]


def group_label(tests: list[str]) -> str:
    """KV3A.Basic+KV3A.Speed -> KV3A.{Basic,Speed}."""
    suites = {t.split(".", 1)[0] for t in tests}
    if len(suites) == 1:
        names = ",".join(t.split(".", 1)[1] for t in tests)
        return f"{suites.pop()}.{{{names}}}"
    return " + ".join(tests)


class Report:
    """Everything measured, with the Go figures; renders the tables and
    the JSON."""

    def __init__(self, args, benches: dict[str, list[TestBench]],
                 graded: dict[str, list[str]], figures: list[GoFigure],
                 source: str, rtt: dict[str, float] | None):
        self.args = args
        self.benches = benches  # stage -> measured tests, in table order
        self.graded = graded    # stage -> every graded test of the stage
        self.figures = figures
        self.source = source
        self.rtt = rtt
        self.checks: list[Check] = []
        self.notes: list[str] = []
        self._seen: set[tuple[str, str]] = set()
        self.figures_runtime = ("real" if not args.skip_real else "sim")
        self.interrupted = False

    def _keep(self, checks: list[Check]) -> None:
        """Adds checks to self.checks, each row's figure once (a stage's
        total is in its stage's table and in the totals)."""
        for c in checks:
            k = (c.what.split(" (", 1)[0], c.metric)
            if k not in self._seen:
                self._seen.add(k)
                self.checks.append(c)

    def _go(self, stage: str, test: str) -> dict[str, GoFigure]:
        return {f.metric: f for f in self.figures
                if f.stage == stage and f.test == test}

    def columns(self, go_metrics: set[str], have: set[str]) -> list[Column]:
        cols = []
        if not self.args.skip_real:
            cols += [Column("real wall s", "wall_s", fmt_s),
                     Column("CPU s", "cpu_s", fmt_s),
                     Column("peak RSS MB", "rss_mb", fmt_n)]
        if not self.args.skip_sim:
            cols += [Column("sim s/seed mean", "sim_mean", fmt_s),
                     Column("sim max", "sim_max", fmt_s)]
        rt = self.figures_runtime
        cols += [Column(f"RPCs ({rt})", "rpcs", fmt_n),
                 Column("bytes", "bytes", fmt_n),
                 Column("ops", "ops", fmt_n)]
        for c in cols:
            c.go = c.metric in go_metrics
        # Counts no row has (bytes outside 2A-2D, ops outside 3A-3B) are
        # left out, unless Go has one.
        return [c for c in cols
                if c.metric not in ("rpcs", "bytes", "ops") or
                c.metric in have or c.go]

    def table(self, rows: list[tuple[str, object, str, str | None,
                                     dict[str, GoFigure]]],
              first: str) -> list[str]:
        """rows: (label, TestBench or Aggregate, kind, stage, Go figures)."""
        go_metrics = {m for r in rows for m in r[4]}
        have = {m for r in rows for m in ("rpcs", "bytes", "ops")
                if r[1].value(m) is not None}
        cols = self.columns(go_metrics, have)
        header, right = [first], [False]
        for c in cols:
            header.append(c.header)
            right.append(True)
            if c.go:
                header += c.go_headers
                right += [True, True]
        header.append("goal")
        right.append(False)
        out = []
        for label, row, kind, stage, go in rows:
            checks = row_checks(label, row, kind, stage, go,
                                self.args.sim_goal)
            self._keep(checks)
            cells = [label]
            for c in cols:
                v = row.value(c.metric)
                cell = c.fmt(v)
                if v is None:
                    rt = ("sim" if c.metric.startswith("sim") else
                          "real" if c.metric in ("wall_s", "cpu_s",
                                                 "rss_mb") else
                          self.figures_runtime)
                    if row.failed(rt):
                        cell = "FAIL"
                cells.append(cell)
                if c.go:
                    fig = go.get(c.metric)
                    ratio = (v / fig.value if fig and v is not None and
                             fig.value > 0 else None)
                    cells += [c.fmt(fig.value) if fig else "",
                              fmt_ratio(ratio)]
            cells.append(goal_cell(checks))
            out.append(cells)
        return md_table(header, out, right)

    def stage_rows(self, stage: str):
        rows = []
        benches = self.benches[stage]
        by_name = {b.test: b for b in benches}
        for b in benches:
            rows.append((b.test, b, "test", stage, self._go(stage, b.test)))
        agg = Aggregate(f"stage {stage}", benches,
                        len(self.graded[stage]), "stage")
        label = agg.label
        go = self._go(stage, TOTAL)
        if not agg.complete:
            label += f" ({len(benches)} of {agg.wanted} tests)"
            if go:
                self.notes.append(f"stage {stage}: Go's total not compared, "
                                  f"only {len(benches)} of {agg.wanted} "
                                  f"tests ran")
            go = {}
        rows.append((label, agg, "stage", stage, go))
        groups: dict[str, list[GoFigure]] = {}
        for f in self.figures:
            if f.stage == stage and f.tests and len(f.tests) > 1:
                groups.setdefault(f.test, []).append(f)
        for key, figs in groups.items():
            tests = figs[0].tests
            found = [by_name[t] for t in tests if t in by_name]
            if len(found) < len(tests):
                missing = [t for t in tests if t not in by_name]
                self.notes.append(f"{group_label(tests)}: Go's figure not "
                                  f"compared, {', '.join(missing)} did not "
                                  f"run")
                continue
            rows.append((group_label(tests),
                         Aggregate(key, found, len(tests), "group"),
                         "group", stage, {f.metric: f for f in figs}))
        return rows

    def totals_rows(self):
        rows = []
        ran = list(self.benches)
        for stage in ran:
            agg = Aggregate(f"stage {stage}", self.benches[stage],
                            len(self.graded[stage]), "stage")
            label = agg.label + ("" if agg.complete else
                                 f" ({len(agg.benches)} of {agg.wanted})")
            rows.append((label, agg, "stage", stage,
                         self._go(stage, TOTAL) if agg.complete else {}))
        ranges = sorted({f.stage for f in self.figures
                         if RANGE_RE.match(f.stage)}, key=lambda s:
                        grade.stage_key(s.split("-")[0]))
        for key in ranges:
            stages = stages_of(key, list(self.graded))
            benches = [b for s in stages for b in self.benches.get(s, [])]
            wanted = sum(len(self.graded[s]) for s in stages)
            if not benches:
                continue
            if len(benches) < wanted:
                self.notes.append(f"{key}: Go's total not compared, only "
                                  f"{len(benches)} of its {wanted} tests ran")
                continue
            rows.append((f"stages {key}", Aggregate(key, benches, wanted,
                                                    "range"),
                         "range", None, self._go(key, TOTAL)))
        if len(ran) > 1:
            every = [b for s in ran for b in self.benches[s]]
            rows.append((f"stages {', '.join(ran)}",
                         Aggregate("all", every, len(every), "all"), "all",
                         None, {}))
        return rows

    def rtt_lines(self) -> list[str]:
        figs = {f.metric: f for f in self.figures if f.stage == LABRPC}
        lo, hi = figs.get("rtt_us_min"), figs.get("rtt_us_max")
        header = ["labrpc round trip", "us per call"]
        right = [False, True]
        if lo:
            header += ["Go us", "round trip/Go"]
            right += [True, True]
        header.append("goal")
        right.append(False)
        rows = []
        for rt, us in self.rtt.items():
            cells = [f"{rt} runtime", f"{us:.2f}"]
            check = Check(f"labrpc {rt}", "rtt_us", us, lo,
                          go_max=hi.value if hi else None,
                          goal=RTT_GOAL if lo else None,
                          goal_kind="ratio" if lo else "")
            self._keep([check])
            if lo:
                # Against Go's slowest and fastest run: the goal takes the
                # fastest.
                r_hi = us / hi.value if hi and hi.value > 0 else None
                cells += [f"{lo.value:g}-{hi.value:g}" if hi else
                          f"{lo.value:g}",
                          (f"{fmt_ratio(r_hi)}-" if r_hi is not None
                           else "") + fmt_ratio(check.ratio)]
            cells.append(goal_cell([check]))
            rows.append(cells)
        return md_table(header, rows, right)

    def render(self) -> str:
        self.checks, self.notes, self._seen = [], [], set()
        out = []
        for stage in self.benches:
            out += [f"### Stage {stage}", ""]
            out += self.table(self.stage_rows(stage), "test")
            out.append("")
        if self.benches:
            out += ["### Totals", ""]
            out += self.table(self.totals_rows(), "stages")
            out.append("")
        if self.rtt:
            out += ["### labrpc", ""]
            out += self.rtt_lines()
            out.append("")
        if self.interrupted:
            self.notes.insert(0, "interrupted: only what was measured "
                                 "before is shown")
        out += [f"- {n}" for n in self.notes]
        out += self.footnotes()
        return "\n".join(out).rstrip("\n") + "\n"

    def footnotes(self) -> list[str]:
        a = self.args
        how = []
        if not a.skip_real:
            how.append(f"real runtime: {a.real_runs} run(s) per test, one "
                       f"process each, one at a time (wall and CPU: mean; "
                       f"RSS: largest)")
        if not a.skip_sim:
            seeds = (f"seed {a.seed_base}" if a.seeds == 1 else
                     f"seeds {a.seed_base}..{a.seed_base + a.seeds - 1}")
            how.append(f"sim runtime: {seeds}, wall seconds per seed")
        how.append(f"RPCs, bytes and ops: the test's own '... Passed --' "
                   f"figures ({self.figures_runtime} runs)")
        if self.rtt:
            how.append(f"labrpc: {RPC_BENCH_TARGET} --benchmark_filter="
                       f"{RPC_BENCH_FILTER}, real time per call")
        lines = ["", "How: " + "; ".join(how) + ".", "",
                 goals_note(self.args.sim_goal)]
        if self.source:
            lines += ["", f"Go figures ({self.args.go_figures_label}): "
                          f"{self.source}"]
        lines += ["", f"Machine: {socket.gethostname()}, {os.cpu_count()} "
                      f"CPUs, load average {self.args.load_before} before, "
                      f"{self.args.load_after} after; {self.args.date}."]
        return lines

    def ok(self) -> bool:
        return not any(b.failed(rt) for bs in self.benches.values()
                       for b in bs for rt in ("real", "sim"))

    def over(self) -> list[Check]:
        return [c for c in self.checks if c.mark == "over"]

    def to_json(self) -> dict:
        stages = {}
        for stage, benches in self.benches.items():
            tests = []
            for b in benches:
                tests.append({
                    "test": b.test, "binary": str(b.binary),
                    "real": [m.to_json() for m in b.real],
                    "sim": [m.to_json() for m in b.sim],
                    "summary": {k: (None if b.value(k) is None else
                                    round(b.value(k), 4))
                                for k in ("wall_s", "cpu_s", "rss_mb",
                                          "sim_mean", "sim_max", "rpcs",
                                          "bytes", "ops", "test_s")},
                })
            stages[stage] = {"tests": tests,
                             "graded_tests": len(self.graded[stage])}
        a = self.args
        return {
            "date": a.date,
            "host": socket.gethostname(),
            "cpus": os.cpu_count(),
            "load_average": {"before": a.load_before, "after": a.load_after},
            "options": {"stages": list(self.benches), "filter": a.filter,
                        "seeds": None if a.skip_sim else a.seeds,
                        "seed_base": a.seed_base,
                        "real_runs": None if a.skip_real else a.real_runs,
                        "rpc_benchmark": not a.skip_rpc},
            "go_figures": {"file": a.go_figures_label,
                           "source": self.source},
            "goals": goals_note(a.sim_goal),
            "stages": stages,
            "labrpc_round_trip_us": self.rtt,
            "checks": [c.to_json() for c in self.checks],
            "all_passed": self.ok(),
            "complete": not self.interrupted,
            "over": [f"{c.what}: {c.why()}" for c in self.over()],
            "notes": self.notes,
        }


# ---------------------------------------------------------------------------
# labrpc's round trip.

UNIT_US = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}
RTT_NAME_RE = re.compile(r"CallRoundTrip/(\w+)")


def parse_rpc_bench(text: str) -> dict[str, float]:
    """runtime -> microseconds per call, from Google Benchmark's JSON
    (iteration rows; several repetitions: their mean). Raises ValueError."""
    try:
        data = json.loads(text)
        rows = data["benchmarks"]
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"not Google Benchmark JSON output ({e})") from e
    found: dict[str, list[float]] = {}
    for r in rows:
        if not isinstance(r, dict) or r.get("run_type", "iteration") != \
                "iteration":
            continue
        m = RTT_NAME_RE.search(str(r.get("name", "")))
        if not m or r.get("error_occurred"):
            continue
        try:
            us = float(r["real_time"]) * UNIT_US[r.get("time_unit", "ns")]
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"benchmark {r.get('name')}: no real_time in a "
                             f"known unit ({e})") from e
        found.setdefault(m.group(1), []).append(us)
    if not found:
        raise ValueError(f"no {RPC_BENCH_FILTER} result in the output")
    return {rt: statistics.fmean(v) for rt, v in found.items()}


def run_rpc_bench(binary: Path, min_time: str,
                  timeout: float | None) -> dict[str, float]:
    """Runs labrpc_bench for the round trip. Raises RuntimeError."""
    cmd = [str(binary), "--benchmark_format=json",
           f"--benchmark_filter={RPC_BENCH_FILTER}",
           f"--benchmark_min_time={min_time}"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True,
                             timeout=timeout, check=False,
                             stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise RuntimeError(f"{binary}: {e}") from e
    if out.returncode != 0:
        tail = (out.stderr.strip() or out.stdout.strip()).splitlines()[-3:]
        raise RuntimeError(f"{' '.join(cmd)}: exit status {out.returncode}"
                           f": {' / '.join(tail)}")
    try:
        return parse_rpc_bench(out.stdout)
    except ValueError as e:
        raise RuntimeError(f"{' '.join(cmd)}: {e}") from e


# ---------------------------------------------------------------------------
# The command line.

def parse_args(argv: list[str],
               graded_stages: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Measure the graded tests (real and sim runtime) and "
                    "labrpc's round trip, and print Markdown tables next to "
                    "the Go labs' figures, with the goals of issue #12.",
        epilog="Progress goes to stderr, the tables to stdout. Exit status: "
               "0 if every run passed (and, with --check, every goal is "
               "met), 1 otherwise, 2 on a usage, data or build error, 130 "
               "if interrupted (the tables then show what was measured).")
    p.add_argument("--stages", action="append", default=[],
                   help="stage(s) to measure, e.g. 2A or 2A,2B (default: "
                        f"every graded stage, {','.join(graded_stages)})")
    p.add_argument("--filter", default=None, metavar="GTEST_FILTER",
                   help="only the tests of those stages matching this gtest "
                        "filter, e.g. 'Raft2B.*:KV3A.Basic' or '*-*Churn'")
    p.add_argument("--seeds", type=int, default=3,
                   help="sim: runs per test, seeds seed-base.. (default 3)")
    p.add_argument("--seed-base", type=int, default=1,
                   help="sim: first seed (default 1); real runs use it too")
    p.add_argument("--real-runs", type=int, default=1,
                   help="real: runs per test (default 1)")
    p.add_argument("--skip-real", action="store_true",
                   help="no real-runtime runs")
    p.add_argument("--skip-sim", action="store_true",
                   help="no sim-runtime runs")
    p.add_argument("--skip-rpc", action="store_true",
                   help="no labrpc round-trip benchmark")
    p.add_argument("--rpc-min-time", default="1", metavar="SECONDS",
                   help="labrpc_bench --benchmark_min_time (default 1)")
    p.add_argument("--timeout", type=float, default=300,
                   help="wall-time limit per run in seconds, 0 for none "
                        "(default 300)")
    p.add_argument("--build-dir", type=Path, default=REPO / "build",
                   help="build folder (default build)")
    p.add_argument("--no-build", action="store_true",
                   help="build nothing; refuse binaries older than their "
                        "sources (default: build the stages' targets and "
                        "labrpc_bench first)")
    p.add_argument("-j", "--jobs", type=int, default=2,
                   help="parallel build jobs (the runs are always one at a "
                        "time; default 2)")
    p.add_argument("--json", type=Path, default=None, metavar="PATH",
                   help="also write every run and comparison as JSON there")
    p.add_argument("--go-figures", type=Path, default=GO_FIGURES,
                   metavar="TSV", help="the Go labs' figures (default "
                                       "bench/go_figures.tsv)")
    p.add_argument("--points", type=Path, default=REPO / "tests/points.tsv",
                   help="points table listing the graded tests (default "
                        "tests/points.tsv)")
    p.add_argument("--sim-goal", type=float, default=SIM_GOAL_S,
                   metavar="SECONDS",
                   help=f"the sim goal: wall seconds per seed for a test of "
                        f"{', '.join(SIM_GOAL_STAGES)} (default "
                        f"{SIM_GOAL_S:g}, issue #12's)")
    p.add_argument("--check", action="store_true",
                   help="exit 1 if a goal is missed too")
    args = p.parse_args(argv)
    stages = {s.strip().upper() for arg in args.stages
              for s in arg.split(",") if s.strip()}
    for s in sorted(stages):
        if s not in graded_stages:
            p.error(f"unknown stage {s!r} (graded stages: "
                    f"{', '.join(graded_stages)})")
    args.stages = sorted(stages, key=grade.stage_key) or graded_stages
    if args.seeds < 1 or args.real_runs < 1 or args.jobs < 1:
        p.error("--seeds, --real-runs and --jobs must be at least 1")
    if args.skip_real and args.skip_sim and args.skip_rpc:
        p.error("--skip-real, --skip-sim and --skip-rpc together leave "
                "nothing to measure")
    return args


def points_arg(argv: list[str]) -> Path:
    """The --points argument, before the full parse (it names the stages
    that --stages may take)."""
    for i, a in enumerate(argv):
        if a == "--points" and i + 1 < len(argv):
            return Path(argv[i + 1])
        if a.startswith("--points="):
            return Path(a.split("=", 1)[1])
    return REPO / "tests/points.tsv"


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def err(msg: str) -> int:
    print(f"bench: {msg}", file=sys.stderr)
    return 2


def progress(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    points_path = points_arg(argv)
    try:
        points, strict = grade.read_table(points_path)
    except (OSError, ValueError) as e:
        return err(str(e))
    graded: dict[str, list[str]] = {}
    for t in points:
        if t not in strict:
            graded.setdefault(gtestrun.stage_of(t), []).append(t)
    graded = dict(sorted(graded.items(), key=lambda kv:
                         grade.stage_key(kv[0])))
    args = parse_args(argv, list(graded))
    try:
        figures, source = read_go_figures(args.go_figures)
        check_go_tests(figures, {t for ts in graded.values() for t in ts},
                       args.go_figures)
    except OSError as e:
        return err(f"cannot read the Go figures: {e}")
    except ValueError as e:
        return err(str(e))
    try:
        args.go_figures_label = str(args.go_figures.resolve()
                                    .relative_to(REPO))
    except ValueError:
        args.go_figures_label = str(args.go_figures)

    measure_tests = not (args.skip_real and args.skip_sim)
    targets = ([gtestrun.stage_target(s) for s in args.stages]
               if measure_tests else [])
    if not args.skip_rpc:
        targets.append(RPC_BENCH_TARGET)
    if args.no_build:
        if not args.build_dir.is_dir():
            return err(f"no build folder {args.build_dir} (build first: make "
                       f"build, or run without --no-build)")
    else:
        progress(f"building {' '.join(targets)} in {args.build_dir}")
        try:
            gtestrun.ensure_built(args.build_dir, REPO, targets,
                                  jobs=args.jobs)
        except gtestrun.BuildError as e:
            return err(str(e))

    binaries = gtestrun.find_binaries(args.build_dir)
    if measure_tests and not binaries:
        return err(f"no test binaries in {args.build_dir}/tests (build "
                   f"first: make build, or run without --no-build)")
    errors: list[str] = []
    where = gtestrun.discover(binaries, errors) if measure_tests else {}
    for e in errors:
        progress(f"warning: {e}")
    chosen: dict[str, list[str]] = {}
    if measure_tests:
        wanted = [t for s in args.stages for t in graded[s]]
        if args.filter:
            try:
                wanted = gtestrun.select(wanted, [args.filter])
            except ValueError as e:
                return err(f"--filter: {e} among the graded tests of stage(s)"
                           f" {', '.join(args.stages)}")
        missing = [t for t in wanted if t not in where]
        if missing:
            shown = ", ".join(missing[:5]) + (
                f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            return err(f"{len(missing)} graded test(s) not in the build "
                       f"({args.build_dir}): {shown} (build them: cmake "
                       f"--build {args.build_dir} --target "
                       f"{' --target '.join(targets)})")
        for t in wanted:
            chosen.setdefault(gtestrun.stage_of(t), []).append(t)
    rpc_bench = args.build_dir / RPC_BENCH
    if not args.skip_rpc and not (rpc_bench.is_file() and
                                  os.access(rpc_bench, os.X_OK)):
        return err(f"no {rpc_bench} (build it: cmake --build "
                   f"{args.build_dir} --target {RPC_BENCH_TARGET}; or pass "
                   f"--skip-rpc)")
    if args.no_build:
        used = sorted({where[t] for ts in chosen.values() for t in ts})
        if not args.skip_rpc:
            used.append(rpc_bench)
        try:
            stale = gtestrun.stale_binaries(args.build_dir, used)
        except gtestrun.BuildError as e:
            progress(f"note: {e}")
            stale = []
        if stale:
            return err(gtestrun.stale_message(
                "bench", args.build_dir, stale, targets).removeprefix(
                    "bench: "))

    args.date = datetime.datetime.now().astimezone().isoformat(
        timespec="seconds")
    args.load_before = _load()
    try:
        if args.load_before != "unknown" and \
                float(args.load_before.split()[0]) > 1.0:
            progress(f"note: load average {args.load_before}: real-runtime "
                     f"figures are comparable only on a quiet machine")
    except ValueError:
        pass
    signal.signal(signal.SIGTERM, _raise_interrupt)
    benches: dict[str, list[TestBench]] = {}
    rtt: dict[str, float] = {}
    interrupted = False
    try:
        run_all(args, chosen, where, rpc_bench, benches, rtt)
    except KeyboardInterrupt:
        progress("interrupted: the tables show what was measured")
        interrupted = True
    except RuntimeError as e:
        return err(str(e))
    args.load_after = _load()
    report = Report(args, benches, graded, figures, source, rtt or None)
    if interrupted:
        report.interrupted = True
    text = report.render()
    sys.stdout.write(text)
    sys.stdout.flush()
    if args.json:
        try:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(report.to_json(), indent=2) +
                                 "\n")
            progress(f"results in {args.json}")
        except OSError as e:
            return err(f"cannot write {args.json}: {e}")
    failed = not report.ok()
    over = report.over()
    if failed:
        progress("some runs failed (FAIL in the tables; their replay "
                 "commands are above)")
    if over:
        progress(f"{len(over)} figure(s) miss their goal: " +
                 "; ".join(f"{c.what} {c.why()}" for c in over))
    if interrupted:
        return 130
    return 1 if failed or (args.check and over) else 0


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def run_all(args, chosen: dict[str, list[str]], where: dict[str, Path],
            rpc_bench: Path, benches: dict[str, list[TestBench]],
            rtt: dict[str, float]) -> None:
    """Runs every measurement, one process at a time, printing progress,
    into `benches` (stage -> tests) and `rtt` (runtime -> microseconds),
    so that an interrupted run keeps what it measured."""
    timeout = args.timeout if args.timeout > 0 else None
    total = sum(len(ts) for ts in chosen.values())
    n = 0
    start = time.monotonic()
    for stage, tests in chosen.items():
        for test in tests:
            n += 1
            b = TestBench(test, where[test])
            benches.setdefault(stage, []).append(b)
            plan = ([] if args.skip_real else
                    [("real", args.seed_base + i)
                     for i in range(args.real_runs)]) + \
                   ([] if args.skip_sim else
                    [("sim", args.seed_base + i) for i in range(args.seeds)])
            for rt, seed in plan:
                m = measure(gtestrun.Run(test, b.binary, rt, seed,
                                         timeout=timeout))
                getattr(b, rt).append(m)
                if not m.ok:
                    progress(f"FAIL {test} ({rt} seed {seed}, {m.status}): "
                             f"{m.reason}")
                    progress(f"     replay: {m.replay}")
            parts = []
            if b.real:
                parts.append(f"real {fmt_s(b.value('wall_s')) or 'FAIL'} s"
                             f" (CPU {fmt_s(b.value('cpu_s')) or '-'} s, "
                             f"{fmt_n(b.value('rss_mb')) or '-'} MB)")
            if b.sim:
                parts.append(f"sim {fmt_s(b.value('sim_mean')) or 'FAIL'}"
                             f"/{fmt_s(b.value('sim_max')) or '-'} s")
            progress(f"[{n}/{total}] {test}: {', '.join(parts)} "
                     f"({gtestrun.fmt_duration(time.monotonic() - start)})")
    if not args.skip_rpc:
        progress(f"labrpc round trip ({rpc_bench.name} --benchmark_filter="
                 f"{RPC_BENCH_FILTER})")
        rtt.update(run_rpc_bench(rpc_bench, args.rpc_min_time, timeout))
        progress("round trip: " + ", ".join(f"{rt} {us:.2f} us"
                                            for rt, us in rtt.items()))


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:  # e.g. | head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
