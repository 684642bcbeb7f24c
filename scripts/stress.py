#!/usr/bin/env python3
"""Stress runner: run tests or whole stages many times and keep the failures.

Each run is one child process running one test with one seed. Under sim the
runs sweep seeds (consecutive from --seed, or random with --random-seeds), so
every failure is reproducible from its printed replay command. Under real the
same number of runs go out as parallel processes of the built binary; the
seed still fixes the random draws, not the OS scheduler.

    scripts/stress.py 2C -n 200                 # 8 tests x 200 seeds, sim
    scripts/stress.py Raft2C.Figure8 -n 50 --runtime real -j 4
    scripts/stress.py 2A 2B -n 20 --sanitize thread     # sim, TSan build
    scripts/stress.py 2A -n 20 --sanitize thread --runtime real
    scripts/stress.py 2A -n 20 --sanitize address       # sim, ASan build
    make stress T=2C N=200

While it runs, a table shows per test the runs done, failures and the mean,
spread (standard deviation) and maximum of the wall time, with an overall
progress line and ETA. Ctrl-C stops cleanly and prints the table so far.
Each failure's message is printed whole (long lines and long messages
capped; the full output is kept in the output folder) with its replay
command; a "warning: ..." line is printed the first time a test prints it.

It first builds what it runs (the stage targets, e.g. stage_2C, when every
selector names stages or their suites; else everything), so no binary runs
older than its sources; with --no-build it builds nothing and refuses a
binary that ninja would rebuild. Exit status: 0 if every run passed, 1 if
any failed, 130 if interrupted before any failure, 2 on a usage or build
error.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import shutil
import signal
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gtestrun  # noqa: E402  (needs the path above)
import timeline  # noqa: E402  (needs the path above)

REPO = Path(__file__).resolve().parent.parent
SANITIZER_BUILD = {"thread": "build-tsan", "address": "build-asan"}
MAX_LISTED = 20  # replay commands repeated in the closing summary


class TestStats:
    """Wall times and failures of one test's finished runs."""

    def __init__(self, name: str):
        self.name = name
        self.times: list[float] = []
        self.failures = 0

    def add(self, result: gtestrun.Result) -> None:
        self.times.append(result.seconds)
        if not result.ok:
            self.failures += 1

    @property
    def runs(self) -> int:
        return len(self.times)

    def row(self) -> list[str]:
        if not self.times:
            return [self.name, "0", "0", "-", "-", "-"]
        sd = statistics.pstdev(self.times) if len(self.times) > 1 else 0.0
        f = gtestrun.fmt_duration
        return [self.name, str(self.runs), str(self.failures),
                f(statistics.fmean(self.times)), f(sd), f(max(self.times))]


HEADER = ["test", "runs", "fails", "mean", "sd", "max"]


def format_table(stats: list[TestStats], limit: int | None = None,
                 color: bool = False, width: int | None = None) -> list[str]:
    """The per-test table as lines. With `limit`, at most that many test rows
    (failing tests first) and a line saying how many were left out; with
    `width`, every line cut to that many characters (a live display must
    not wrap, or redrawing in place goes wrong)."""
    shown = stats
    hidden = 0
    if limit is not None and len(stats) > limit:
        keep = sorted(stats, key=lambda s: s.failures == 0)[:max(limit - 1, 1)]
        shown = [s for s in stats if s in keep]
        hidden = len(stats) - len(shown)
    rows = [HEADER] + [s.row() for s in shown]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    lines = []
    for n, r in enumerate(rows):
        cells = [r[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(r[1:], widths[1:])]
        line = "  ".join(cells)[:width]
        if color and n == 0:
            line = f"\x1b[1m{line}\x1b[0m"
        elif color and r[2] not in ("0", "-"):
            line = f"\x1b[31m{line}\x1b[0m"
        lines.append(line)
    if hidden:
        lines.append(f"... and {hidden} more tests without failures"[:width])
    return lines


class Display:
    """Prints events (failures) as they happen and keeps the table and a
    progress line at the bottom of the terminal, redrawn in place. When the
    output is not a terminal, prints a progress line now and then instead."""

    def __init__(self, stats: list[TestStats], total: int, live: bool,
                 color: bool, out=sys.stdout):
        self.stats = stats
        self.total = total
        self.live = live
        self.color = color
        self.out = out
        self.start = time.monotonic()
        self.done = 0
        self.failed = 0
        self.running = 0
        self.drawn = 0  # lines of the live region on screen
        self.last_draw = 0.0
        self.last_plain = self.start

    def progress_line(self, width: int | None = None) -> str:
        elapsed = time.monotonic() - self.start
        if self.done:
            eta = gtestrun.fmt_duration(elapsed / self.done *
                                        (self.total - self.done))
        else:
            eta = "?"
        bar_width = 20
        filled = bar_width * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (bar_width - filled)
        line = (f"[{bar}] {self.done}/{self.total} runs, {self.failed} failed,"
                f" {self.running} running, "
                f"{gtestrun.fmt_duration(elapsed)} elapsed, ETA {eta}")
        line = line[:width]
        if self.color and self.failed:
            line = f"\x1b[31m{line}\x1b[0m"
        return line

    def _clear(self) -> None:
        if self.live and self.drawn:
            self.out.write(f"\x1b[{self.drawn}F\x1b[J")
            self.drawn = 0

    def _draw(self) -> None:
        size = shutil.get_terminal_size((100, 40))
        width = max(size.columns - 1, 20)
        lines = format_table(self.stats, limit=max(size.lines - 4, 3),
                             color=self.color, width=width)
        lines.append(self.progress_line(width))
        self.out.write("\n".join(lines) + "\n")
        self.drawn = len(lines)
        self.last_draw = time.monotonic()

    def event(self, text: str) -> None:
        self._clear()
        self.out.write(text.rstrip("\n") + "\n")
        if self.live:
            self._draw()
        self.out.flush()

    def refresh(self) -> None:
        now = time.monotonic()
        if self.live:
            if now - self.last_draw >= 0.25:
                self._clear()
                self._draw()
                self.out.flush()
        elif now - self.last_plain >= 30:
            self.out.write(self.progress_line() + "\n")
            self.out.flush()
            self.last_plain = now

    def finish(self, note: str = "") -> None:
        self._clear()
        self.out.write("\n".join(format_table(self.stats, color=self.color)) +
                       "\n")
        self.out.write(self.progress_line() + "\n")
        if note:
            self.out.write(note + "\n")
        self.out.flush()


def make_seeds(n: int, start: int, rand: bool) -> list[int]:
    if rand:
        rng = random.SystemRandom()
        return [rng.getrandbits(63) for _ in range(n)]
    return list(range(start, start + n))


def save_log(out_dir: Path, result: gtestrun.Result) -> Path:
    """Writes a run's full output, headed by how it ended, into out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    r = result.run
    path = out_dir / f"{r.test}.{r.runtime}.seed{r.seed}.log"
    lines = (result.message or result.reason).split("\n")
    header = (f"# {result.status}: {lines[0]}\n" +
              "".join(f"#   {l}\n" for l in lines[1:]) +
              f"# time: {result.seconds:.2f}s  exit: {result.returncode}\n"
              f"# replay: {result.replay}\n\n")
    path.write_text(header + result.output)
    return path


def save_timeline(log: Path) -> Path | None:
    """The timeline page of a failure's traced log (--debug), beside it."""
    page = log.with_suffix(".html")
    try:
        timeline.write_page(log.read_text(errors="replace"), page,
                            title=log.stem)
    except (ValueError, OSError):
        return None  # e.g. the run died before it traced anything
    return page


def describe_failure(result: gtestrun.Result, log: Path,
                     color: bool, page: Path | None = None) -> str:
    r = result.run
    tag = result.status.upper()
    if color:
        tag = f"\x1b[31;1m{tag}\x1b[0m"
    lines = (result.message or result.reason).split("\n")
    more = "".join(f"    {l}\n" for l in lines[1:] + result.warnings)
    return (f"{tag} {r.test} ({r.runtime}, seed {r.seed}, "
            f"{gtestrun.fmt_duration(result.seconds)}): {lines[0]}\n"
            f"{more}"
            f"  log:    {log}\n"
            f"  replay: {result.replay}"
            + (f"\n  info: wrote timeline to {page}" if page else ""))


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Run tests or stages many times; keep and replay "
                    "failures.",
        epilog="Selectors: a stage (2C), a suite (Raft2C), or a gtest "
               "filter (Raft2C.Figure8, 'Raft2C.*:Raft2D.*', "
               "'Raft2*-Raft2D.*').")
    p.add_argument("tests", nargs="+", help="stages, suites or gtest filters")
    p.add_argument("-n", "--runs", type=int, default=10,
                   help="runs per test (default 10)")
    p.add_argument("-j", "--jobs", type=int, default=2,
                   help="parallel processes (default 2)")
    p.add_argument("--runtime", choices=["sim", "real"], default=None,
                   help="runtime (default sim)")
    p.add_argument("--seed", type=int, default=1,
                   help="first seed of a consecutive sweep (default 1)")
    p.add_argument("--random-seeds", action="store_true",
                   help="draw random seeds instead of consecutive ones")
    p.add_argument("--fuzz", action="store_true",
                   help="sim: LAB_FUZZ=1 (random ready task, not FIFO)")
    p.add_argument("--timeout", type=float, default=300,
                   help="wall-time limit per run in seconds (default 300; "
                        "0 = none)")
    p.add_argument("-x", "--stop-on-failure", action="store_true",
                   help="stop at the first failure")
    p.add_argument("--sanitize", choices=["thread", "address"],
                   help="build and use build-tsan/ or build-asan/ (either "
                        "runtime; under sim each task is its own TSan "
                        "fiber, so a race between tasks is reported at "
                        "every seed where both accesses happen)")
    p.add_argument("--build-dir", type=Path, default=None,
                   help="build folder with tests/*_test (default build)")
    p.add_argument("--build", action="store_true",
                   help="build what runs first (the default; kept for old "
                        "command lines)")
    p.add_argument("--no-build", action="store_true",
                   help="build nothing; refuse binaries older than their "
                        "sources")
    p.add_argument("--out", type=Path, default=None,
                   help="folder for failure logs (default "
                        "<build>/stress-logs/<date-time>)")
    p.add_argument("--keep-all", action="store_true",
                   help="keep the output of passing runs too")
    p.add_argument("--debug", metavar="TOPICS",
                   help="set LAB_DEBUG=TOPICS for the runs (traces in the "
                        "logs, and each failure's timeline page beside its "
                        "log; all topics draw the most)")
    p.add_argument("--no-color", action="store_true",
                   help="no colours (also when NO_COLOR is set)")
    p.add_argument("--plain", action="store_true",
                   help="no live table; progress lines only")
    args = p.parse_args(argv)
    if args.runs < 1 or args.jobs < 1:
        p.error("--runs and --jobs must be at least 1")
    if args.sanitize:
        if args.no_build:
            p.error("--sanitize builds its own folder; it cannot be used "
                    "with --no-build")
        if args.build_dir is None:
            args.build_dir = REPO / SANITIZER_BUILD[args.sanitize]
    args.runtime = args.runtime or "sim"
    if args.build_dir is None:
        args.build_dir = REPO / "build"
    if args.out is None:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        args.out = args.build_dir / "stress-logs" / stamp
    return args


def sanitizer_env(sanitize: str | None) -> dict[str, str]:
    env = {}
    if sanitize == "thread":
        env["TSAN_OPTIONS"] = os.environ.get("TSAN_OPTIONS",
                                             "halt_on_error=1")
    elif sanitize == "address":
        env["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS",
                                             "detect_leaks=1")
        env["UBSAN_OPTIONS"] = os.environ.get("UBSAN_OPTIONS",
                                              "print_stacktrace=1")
    return env


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    targets = gtestrun.targets_for(args.tests)
    if not args.no_build:
        print(f"stress: building {' '.join(targets) or 'everything'} in "
              f"{args.build_dir}", flush=True)
        try:
            gtestrun.ensure_built(args.build_dir, REPO, targets,
                                  jobs=min(args.jobs, os.cpu_count() or 2),
                                  sanitize=args.sanitize or "")
        except gtestrun.BuildError as e:
            print(f"stress: {e}", file=sys.stderr)
            return 2
    binaries = gtestrun.find_binaries(args.build_dir)
    if not binaries:
        print(f"stress: no test binaries in {args.build_dir}/tests "
              f"(build first: make build, or pass --build)", file=sys.stderr)
        return 2
    errors: list[str] = []
    where = gtestrun.discover(binaries, errors)
    for e in errors:
        print(f"stress: warning: {e}", file=sys.stderr)
    try:
        tests = gtestrun.select(where, args.tests)
    except ValueError as e:
        print(f"stress: {e}", file=sys.stderr)
        return 2
    if args.no_build:
        try:
            stale = gtestrun.stale_binaries(args.build_dir,
                                            sorted({where[t] for t in tests}))
        except gtestrun.BuildError as e:
            print(f"stress: note: {e}", file=sys.stderr)
            stale = []
        if stale:
            print(gtestrun.stale_message("stress", args.build_dir, stale,
                                         targets), file=sys.stderr)
            return 2

    env = sanitizer_env(args.sanitize)
    if args.debug:
        env["LAB_DEBUG"] = args.debug
    seeds = make_seeds(args.runs, args.seed, args.random_seeds)
    timeout = args.timeout if args.timeout > 0 else None
    # Seed-major order: every test advances together, so the table and the
    # ETA are meaningful early and --stop-on-failure sees every test soon.
    runs = [gtestrun.Run(t, where[t], args.runtime, s, fuzz=args.fuzz,
                         timeout=timeout, env=env)
            for s in seeds for t in tests]

    color = (not args.no_color and "NO_COLOR" not in os.environ and
             sys.stdout.isatty())
    live = sys.stdout.isatty() and not args.plain
    stats = {t: TestStats(t) for t in tests}
    display = Display(list(stats.values()), len(runs), live, color)
    seed_desc = ("random seeds" if args.random_seeds else
                 f"seeds {seeds[0]}..{seeds[-1]}")
    print(f"stress: {len(tests)} test(s) x {args.runs} runs = {len(runs)} "
          f"runs, {args.runtime} runtime, {seed_desc}, {args.jobs} parallel"
          + (f", {args.sanitize} sanitizer" if args.sanitize else ""))
    sys.stdout.flush()

    with gtestrun.Pool(args.jobs) as pool:
        return run_stress(args, pool, runs, stats, display, color)


def run_stress(args, pool: gtestrun.Pool, runs: list[gtestrun.Run],
               stats: dict[str, TestStats], display: Display,
               color: bool) -> int:
    pool.submit(runs)
    failures: list[gtestrun.Result] = []
    stopped = ""
    warned: set[tuple[str, str]] = set()  # (test, warning) already shown

    def on_result(result: gtestrun.Result) -> None:
        stats[result.run.test].add(result)
        display.done += 1
        r = result.run
        if not result.ok:
            failures.append(result)
            display.failed += 1
            log = save_log(args.out, result)
            page = save_timeline(log) if args.debug else None
            display.event(describe_failure(result, log, color, page))
        else:
            if args.keep_all:
                save_log(args.out / "passed", result)
            for w in result.warnings:
                if (r.test, w) not in warned:
                    display.event(f"{r.test} ({r.runtime}, seed {r.seed}): "
                                  f"{w}")
        warned.update((r.test, w) for w in result.warnings)

    def tick() -> None:
        display.running = len(pool.running)
        display.refresh()

    # SIGTERM (e.g. from a CI timeout) stops as cleanly as Ctrl-C.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, _raise_interrupt)
    try:
        while not pool.idle:
            for r in pool.poll():
                on_result(r)
                if failures and args.stop_on_failure and not stopped:
                    stopped = "stopped at the first failure"
                    pool.cancel()
            tick()
            if not pool.idle:
                pool.wait(0.05)
    except KeyboardInterrupt:
        stopped = "interrupted"
        pool.cancel()
    display.running = 0
    notes = [f"stress: {stopped}"] if stopped else []
    if failures:
        notes.append(f"stress: {len(failures)} failed run(s); logs in "
                     f"{args.out}/")
        notes += [f"  {f.replay}" for f in failures[:MAX_LISTED]]
        if len(failures) > MAX_LISTED:
            notes.append(f"  ... {len(failures) - MAX_LISTED} more in the "
                         f"logs")
    elif not stopped:
        notes.append("stress: all runs passed")
    display.finish("\n".join(notes))
    if failures:
        return 1
    return 130 if stopped == "interrupted" else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:  # e.g. | head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
