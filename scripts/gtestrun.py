"""Shared machinery of the stress runner and the grader: find the GoogleTest
binaries of a build, resolve stage names and gtest filters to test names, and
run single tests as parallel child processes with a time limit each.

Standard library only. One child process runs exactly one test with one seed
(`LAB_RUNTIME=... LAB_SEED=... <binary> --gtest_filter=<test>`), so that a
crash or a hang costs one run, never a whole suite, and every run has its own
log and its own replay command.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import fnmatch
import os
import re
import select as select_module  # select() below is ours
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable

# A stage name as used by the Makefile and the graded suites: 2A, 3B, 4A...
STAGE_RE = re.compile(r"^\d[A-Z]$")
# The suite of a graded test ends with its stage: Raft2C, KV3A, ShardKV4B.
SUITE_STAGE_RE = re.compile(r"(\d[A-Z])$")
REPLAY_RE = re.compile(r"^replay: (.*\S)\s*$", re.M)
GTEST_PASSED_RE = re.compile(r"^\[  PASSED  \] (\d+) tests?", re.M)
GTEST_SKIPPED_RE = re.compile(r"^\[  SKIPPED \] (\d+) tests?", re.M)
WORLD_H = Path(__file__).resolve().parent.parent / "labrpc" / "world.h"
SCHEDULE_VERSION_RE = re.compile(
    r"^inline constexpr int kSimScheduleVersion = (\d+);", re.M)


def sim_schedule_version() -> int | None:
    """labrpc::kSimScheduleVersion as the source states it, for the replay
    lines of runs that died before printing their own; None if unknown."""
    try:
        m = SCHEDULE_VERSION_RE.search(WORLD_H.read_text())
    except OSError:
        return None
    return int(m.group(1)) if m else None


def stage_of(test: str) -> str | None:
    """The stage of a test ("Raft2C.Figure8" -> "2C"), None if not graded."""
    m = SUITE_STAGE_RE.search(test.split(".", 1)[0])
    return m.group(1) if m else None


def find_binaries(build_dir: Path) -> list[Path]:
    """The GoogleTest binaries of a build: the executables tests/*_test."""
    tests_dir = Path(build_dir) / "tests"
    if not tests_dir.is_dir():
        return []
    return sorted(p for p in tests_dir.iterdir()
                  if p.name.endswith("_test") and p.is_file() and
                  os.access(p, os.X_OK))


def parse_test_list(text: str) -> list[str]:
    """Parses `--gtest_list_tests` output into "Suite.Name" strings."""
    tests = []
    suite = None
    for line in text.splitlines():
        line = line.split("#", 1)[0].rstrip()  # drop "# GetParam() = ..."
        if not line:
            continue
        if not line.startswith(" "):
            suite = line.strip()
            if suite.endswith("."):
                suite = suite[:-1]
        elif suite is not None:
            name = line.strip()
            if "DISABLED_" not in f"{suite}.{name}":
                tests.append(f"{suite}.{name}")
    return tests


def list_tests(binary: Path) -> list[str]:
    """The tests a binary holds, in file order. Raises RuntimeError if the
    binary cannot list them (e.g. it crashes at start-up)."""
    try:
        out = subprocess.run([str(binary), "--gtest_list_tests"],
                             capture_output=True, text=True, timeout=60,
                             check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise RuntimeError(f"{binary}: cannot list tests: {e}") from e
    if out.returncode != 0:
        raise RuntimeError(f"{binary}: --gtest_list_tests failed "
                           f"(exit {out.returncode}): {out.stderr.strip()}")
    return parse_test_list(out.stdout)


def discover(binaries: Iterable[Path],
             errors: list[str] | None = None) -> dict[str, Path]:
    """Maps every test name to the binary that holds it (first one wins).
    Binaries are listed in parallel. A binary that cannot list its tests is
    skipped, with a message appended to `errors` (raised if None)."""
    binaries = list(binaries)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
        futures = [ex.submit(list_tests, b) for b in binaries]
    found: dict[str, Path] = {}
    for b, f in zip(binaries, futures):
        try:
            tests = f.result()
        except RuntimeError as e:
            if errors is None:
                raise
            errors.append(str(e))
            continue
        for t in tests:
            found.setdefault(t, b)
    return found


def _filter_matches(test: str, gtest_filter: str) -> bool:
    """gtest filter semantics: 'pos1:pos2-neg1:neg2', with * and ? wildcards."""
    pos, _, neg = gtest_filter.partition("-")
    pos_pats = [p for p in pos.split(":") if p] or ["*"]
    neg_pats = [p for p in neg.split(":") if p]
    return (any(fnmatch.fnmatchcase(test, p) for p in pos_pats) and
            not any(fnmatch.fnmatchcase(test, p) for p in neg_pats))


def select(all_tests: Iterable[str], selectors: Iterable[str]) -> list[str]:
    """Tests matching any selector, in discovery order. A selector is a stage
    name (2C: every test of suites ending in 2C), a suite name (Raft2C), or a
    gtest filter (Raft2C.Figure8, 'Raft2C.*', 'Raft2*-Raft2D.*'). Raises
    ValueError naming a selector that matches nothing."""
    all_tests = list(all_tests)
    chosen: set[str] = set()
    for sel in selectors:
        if STAGE_RE.match(sel):
            hits = [t for t in all_tests if stage_of(t) == sel]
        elif "." not in sel and not any(c in sel for c in "*?:-"):
            hits = [t for t in all_tests if t.split(".", 1)[0] == sel]
        else:
            hits = [t for t in all_tests if _filter_matches(t, sel)]
        if not hits:
            raise ValueError(f"no test matches {sel!r}")
        chosen.update(hits)
    return [t for t in all_tests if t in chosen]


@dataclasses.dataclass
class Run:
    """One child process: one test, one runtime, one seed."""
    test: str
    binary: Path
    runtime: str  # "sim" or "real"
    seed: int
    fuzz: bool = False
    timeout: float | None = None  # wall seconds; None = no limit
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    tag: object = None  # free for the caller (e.g. an index)

    def command(self) -> list[str]:
        return [str(self.binary), f"--gtest_filter={self.test}"]

    def run_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.env)
        env["LAB_RUNTIME"] = self.runtime
        env["LAB_SEED"] = str(self.seed)
        if self.fuzz:
            env["LAB_FUZZ"] = "1"
        else:
            env.pop("LAB_FUZZ", None)
        # Colour codes would only clutter the kept logs.
        env.setdefault("GTEST_COLOR", "no")
        return env

    def replay_command(self) -> str:
        """The command that replays this run (the binary prints the same one
        when a test fails; this is for runs that died before printing it)."""
        parts = [f"LAB_RUNTIME={self.runtime}", f"LAB_SEED={self.seed}"]
        if self.fuzz:
            parts.append("LAB_FUZZ=1")
        version = sim_schedule_version() if self.runtime == "sim" else None
        if version is not None and "LAB_SCHEDULE_VERSION" not in self.env:
            parts.append(f"LAB_SCHEDULE_VERSION={version}")
        for k, v in sorted(self.env.items()):
            parts.append(f"{k}={shlex.quote(v)}")
        return " ".join(parts + [shlex.quote(c) for c in self.command()])


@dataclasses.dataclass
class Result:
    """How a run ended. status is one of: pass, fail, crash, timeout,
    skipped, missing (the filter matched no test), cancelled (stopped by the
    runner before it finished)."""
    run: Run
    status: str
    seconds: float
    returncode: int | None
    output: str
    reason: str = ""  # one line: the first of message
    replay: str = ""
    message: str = ""  # why it failed, whole (failure_message), or reason
    warnings: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("pass", "skipped")


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return f"signal {num}"


# A gtest failure's header line: "tests/raft_2a_test.cc:42: Failure" (or
# "unknown file: Failure" for an exception gtest caught itself).
FAILURE_RE = re.compile(r"^(?:(?P<file>\S.*?):(?P<line>\d+)|unknown file): "
                        r"Failure$")
# Lines that end a failure's message: gtest's own, and the test glue's
# replay line with its note.
MESSAGE_END_RE = re.compile(r"^(\[[ =A-Z-]{10}\]|replay: |  \(real runs "
                            r"are not deterministic)")
SANITIZER_SUMMARY_RE = re.compile(r"^SUMMARY: \w*Sanitizer: .*")
WARNING_RE = re.compile(r"^\s*(warning: .*\S)")
# How much of a message the grader and the stress runner show: a line
# longer than LINE_CAP keeps its head and its tail (where a MisuseError
# gives its advice); a message longer than LINES_CAP keeps its first and
# last lines. The whole output is in the run's log.
LINE_CAP = 600
LINE_HEAD, LINE_TAIL = 360, 200
LINES_CAP = 40
LINES_HEAD, LINES_TAIL = 30, 8


def repo_path(path: str) -> str:
    """A source path as the build spelled it ("../tests/x.cc", or absolute),
    relative to the repository when it is inside it."""
    root = str(WORLD_H.parent.parent) + os.sep
    if path.startswith(root):
        return path[len(root):]
    while path.startswith("../"):
        path = path[3:]
    return path


def _cap_line(line: str) -> str:
    if len(line) <= LINE_CAP:
        return line
    left = len(line) - LINE_HEAD - LINE_TAIL
    return (f"{line[:LINE_HEAD]} [... {left} characters left out ...] "
            f"{line[-LINE_TAIL:]}")


def cap_message(lines: list[str]) -> list[str]:
    """Lines of a message, capped (LINE_CAP, LINES_CAP) for display."""
    lines = [_cap_line(l) for l in lines]
    if len(lines) > LINES_CAP:
        left = len(lines) - LINES_HEAD - LINES_TAIL
        lines = (lines[:LINES_HEAD] + [f"[... {left} lines left out ...]"] +
                 lines[-LINES_TAIL:])
    return lines


def _sanitizer_summaries(lines: list[str]) -> list[str]:
    """The sanitizers' "SUMMARY: ThreadSanitizer: data race file:line in f"
    lines, paths made relative to the repository, each once."""
    out: list[str] = []
    for line in lines:
        m = SANITIZER_SUMMARY_RE.match(line.strip())
        if m:
            text = re.sub(r"(?<=\s)(/\S+|\.\./\S+)",
                          lambda p: repo_path(p.group(1)), m.group(0))
            if text not in out:
                out.append(text)
    return out


def _gtest_failures(lines: list[str]) -> list[list[str]]:
    """Every gtest failure in the output, as its message lines, the first
    prefixed with the failure's file:line (gtest's "Failed" dropped)."""
    failures = []
    for i, line in enumerate(lines):
        m = FAILURE_RE.match(line.strip())
        if not m:
            continue
        body = []
        for msg in lines[i + 1:]:
            if MESSAGE_END_RE.match(msg) or FAILURE_RE.match(msg.strip()):
                break
            body.append(msg.rstrip())
        if body and body[0].strip() == "Failed":
            body = body[1:]
        while body and not body[-1].strip():
            body.pop()
        while body and not body[0].strip():
            body.pop(0)
        if not body:
            body = ["(no message)"]
        if m.group("file"):
            where = f"{repo_path(m.group('file'))}:{m.group('line')}"
            body[0] = f"{where}: {body[0].strip()}"
        failures.append(body)
    return failures


def _terminate_message(lines: list[str],
                       sanitizer_line: bool = True) -> list[str]:
    """An uncaught exception's "terminate called ..." and its what(), whole
    (what() may span lines), or (sanitizer_line) a sanitizer's first report
    line."""
    for i, line in enumerate(lines):
        if line.startswith("terminate called"):
            rest = lines[i + 1:]
            if rest and rest[0].strip().startswith("what():"):
                what = [rest[0].strip()[7:].strip()]
                for more in rest[1:]:
                    if not more.strip() or MESSAGE_END_RE.match(more):
                        break
                    what.append(more.rstrip())
                return [f"{line.strip()}: {what[0]}"] + what[1:]
            return [line.strip()]
    for line in lines:
        if sanitizer_line and "Sanitizer" in line:
            return [line.strip()]
    return []


def failure_message(output: str) -> str:
    """Why a test failed, from its output, whole but capped for display
    (cap_message): the first gtest failure with its file:line and every
    line of its message, or an uncaught exception's what(); then any
    sanitizer SUMMARY lines. Several lines when the message has several."""
    lines = output.splitlines()
    failures = _gtest_failures(lines)
    summaries = _sanitizer_summaries(lines)
    if failures:
        msg = list(failures[0])
        if len(failures) > 1:
            msg.append(f"(and {len(failures) - 1} more failure(s) in the "
                       f"log)")
    else:
        msg = _terminate_message(lines, sanitizer_line=not summaries)
    if summaries:
        # A sanitizer's report is the cause; a failure after it, an effect.
        msg = summaries + [l for l in msg if l not in summaries]
    if not msg:
        tail = [l.strip() for l in lines if l.strip()]
        msg = tail[-1:]
    return "\n".join(cap_message(msg))


def failure_reason(output: str) -> str:
    """A one-line summary of why a test failed: the first line of
    failure_message (with the failure's file:line)."""
    return failure_message(output).split("\n", 1)[0]


def warnings_in(output: str) -> list[str]:
    """The "warning: ..." lines a run printed (e.g. "warning: term changed
    even though there were no failures"), each once, in order."""
    out: list[str] = []
    for line in output.splitlines():
        m = WARNING_RE.match(line)
        if m and _cap_line(m.group(1)) not in out:
            out.append(_cap_line(m.group(1)))
    return out


def classify(run: Run, returncode: int | None, output: str,
             timed_out: bool) -> tuple[str, str]:
    """(status, reason) of a finished run; the reason is failure_message's,
    so it may span lines (Result.reason holds its first)."""
    if timed_out:
        return "timeout", f"killed after the {run.timeout:g} s time limit"
    if returncode is not None and returncode < 0:
        why = failure_message(output)
        sig = _signal_name(-returncode)
        return "crash", f"{sig}: {why}" if why else sig
    if returncode == 0:
        m = GTEST_PASSED_RE.search(output)
        s = GTEST_SKIPPED_RE.search(output)
        if s and int(s.group(1)) > 0:
            return "skipped", "skipped"
        if m and int(m.group(1)) == 0:
            return "missing", f"the binary has no test {run.test}"
        return "pass", ""
    if "[  FAILED  ]" in output:
        return "fail", failure_message(output)
    return "crash", f"exit status {returncode}: {failure_message(output)}"


class Pool:
    """Runs Runs as child processes, at most `jobs` at a time.

    Each child gets its own session (so a Ctrl-C at the terminal reaches only
    the runner, which then stops the children itself) and writes stdout and
    stderr into one temporary file (no pipe to fill up). Call poll() in a loop
    or use run_all(); use it as a context manager so that children are
    killed if the caller fails."""

    def __init__(self, jobs: int):
        self.jobs = max(1, jobs)
        self.queue: list[Run] = []
        self.running: list[tuple[Run, subprocess.Popen, float, object]] = []

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc) -> None:
        # Whatever ends the caller (an error, a closed pipe), no child may
        # outlive it: they run in their own sessions, so nobody else would
        # stop them.
        self.cancel()

    def submit(self, runs: Iterable[Run]) -> None:
        self.queue.extend(runs)

    @property
    def idle(self) -> bool:
        return not self.queue and not self.running

    def _start(self, run: Run) -> None:
        log = tempfile.TemporaryFile(mode="w+b", prefix="raftlab-run-")
        proc = subprocess.Popen(run.command(), env=run.run_env(),
                                stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL,
                                start_new_session=True)
        self.running.append((run, proc, time.monotonic(), log))

    @staticmethod
    def _kill(proc: subprocess.Popen) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()

    @staticmethod
    def _read(log) -> str:
        log.seek(0)
        data = log.read()
        log.close()
        return data.decode("utf-8", errors="replace")

    def poll(self) -> list[Result]:
        """Starts queued runs while slots are free; returns the runs that ended
        since the last call."""
        done: list[Result] = []
        still = []
        now = time.monotonic()
        for run, proc, start, log in self.running:
            rc = proc.poll()
            timed_out = False
            late = run.timeout is not None and now - start > run.timeout
            if rc is None and late:
                self._kill(proc)
                rc, timed_out = proc.returncode, True
            if rc is None:
                still.append((run, proc, start, log))
                continue
            output = self._read(log)
            status, message = classify(run, rc, output, timed_out)
            m = REPLAY_RE.search(output)
            replay = m.group(1) if m else run.replay_command()
            done.append(Result(run, status, now - start, rc, output,
                               message.split("\n", 1)[0], replay, message,
                               warnings_in(output)))
        self.running = still
        while self.queue and len(self.running) < self.jobs:
            self._start(self.queue.pop(0))
        return done

    def drop(self, predicate: Callable[[Run], bool]) -> int:
        """Removes queued (not yet started) runs for which predicate holds;
        returns how many. Running ones are left to finish."""
        before = len(self.queue)
        self.queue = [r for r in self.queue if not predicate(r)]
        return before - len(self.queue)

    def cancel(self) -> list[Result]:
        """Drops the queue and kills every running child (Ctrl-C, first
        failure). Returns the killed runs as 'cancelled' results."""
        self.queue.clear()
        out = []
        now = time.monotonic()
        for run, proc, start, log in self.running:
            self._kill(proc)
            out.append(Result(run, "cancelled", now - start, proc.returncode,
                              self._read(log), "stopped by the runner",
                              message="stopped by the runner"))
        self.running = []
        return out

    def run_all(self, on_result: Callable[[Result], None],
                tick: Callable[[], None] | None = None,
                interval: float = 0.05) -> None:
        """Polls until everything ran, calling on_result per finished run and
        tick after every poll. Exceptions (e.g. KeyboardInterrupt) propagate;
        the caller decides whether to cancel()."""
        while not self.idle:
            for r in self.poll():
                on_result(r)
            if tick:
                tick()
            if not self.idle:
                self.wait(interval)

    def wait(self, timeout: float) -> None:
        """Sleeps until a running child exits or `timeout` seconds pass.
        Most sim runs take milliseconds: a fixed sleep between polls would
        cost a sweep more than its tests."""
        fds = []
        try:
            for _, proc, _, _ in self.running:
                fds.append(os.pidfd_open(proc.pid))
        except (AttributeError, OSError):  # no pidfd (old kernel or Python)
            for fd in fds:
                os.close(fd)
            time.sleep(timeout)
            return
        try:
            select_module.select(fds, [], [], timeout)
        finally:
            for fd in fds:
                os.close(fd)


def fmt_duration(seconds: float) -> str:
    """1m05s / 12.3s / 0.41s: short, for tables and ETAs."""
    if seconds >= 3600:
        return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"
    if seconds >= 60:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    if seconds >= 10:
        return f"{seconds:.1f}s"
    return f"{seconds:.2f}s"


# tests/CMakeLists.txt: target stage_<S> builds the binaries holding stage
# S's suites and what they link; `stages` builds every stage.
ALL_STAGES_TARGET = "stages"


def stage_target(stage: str) -> str:
    return f"stage_{stage}"


def targets_for(selectors: Iterable[str]) -> list[str]:
    """The CMake targets that build every test the selectors (as for
    select()) can match: stage_<S> for a stage, a suite ending in a stage,
    or a filter whose every positive pattern names such a suite; [] (the
    whole build) when one may match a test of no stage, e.g. 'Runtime.*'."""
    stages: list[str] = []
    for sel in selectors:
        if STAGE_RE.match(sel):
            found = [sel]
        else:
            pos = sel.partition("-")[0]
            suites = [p.split(".", 1)[0] for p in pos.split(":") if p]
            found = [stage_of(s) if not any(c in s for c in "*?") else None
                     for s in suites] or [None]
        if None in found:
            return []
        stages += [s for s in found if s not in stages]
    return [stage_target(s) for s in stages]


class BuildError(Exception):
    """A build that could not run or failed; str() says what to do."""


def ensure_built(build_dir: Path, source_dir: Path, targets: list[str],
                 jobs: int = 2, sanitize: str = "") -> None:
    """Configures build_dir if it has not been, then builds `targets` ([]:
    everything), so that no binary runs older than its sources. Refuses a
    folder that exists but is not a CMake build (e.g. copied binaries).
    Raises BuildError."""
    build_dir = Path(build_dir)
    if (build_dir.is_dir() and any(build_dir.iterdir()) and
            not (build_dir / "CMakeCache.txt").exists()):
        raise BuildError(f"{build_dir} is not a CMake build folder (no "
                         f"CMakeCache.txt), so it cannot be brought up to "
                         f"date; pass --no-build to run its binaries as they "
                         f"are")
    try:
        cmake_build(build_dir, source_dir, targets, jobs=jobs,
                    sanitize=sanitize)
    except (OSError, subprocess.CalledProcessError) as e:
        raise BuildError(f"build failed: {e}") from e


def _ninja_program(build_dir: Path) -> str | None:
    try:
        cache = (Path(build_dir) / "CMakeCache.txt").read_text()
        m = re.search(r"^CMAKE_MAKE_PROGRAM:\w+=(.+)$", cache, re.M)
        if m and os.access(m.group(1), os.X_OK):
            return m.group(1)
    except OSError:
        pass
    return shutil.which("ninja") or shutil.which("ninja-build")


# The steps of a ninja dry run that make a binary out of date. Others (the
# runtime-rule check, a custom target with no output) run on every build.
_STALE_STEP_RE = re.compile(r"^\[\d+/\d+\] ((Building|Linking|Generating|"
                            r"Re-running CMake)\b.*)$", re.M)


def stale_binaries(build_dir: Path,
                   binaries: Iterable[Path]) -> list[tuple[Path, list[str]]]:
    """The binaries that ninja would rebuild (their sources, or something
    they link, changed since), each with the steps a dry run (`ninja -n`)
    lists for it. Raises BuildError if the folder is not a Ninja build, so
    that up to date or not cannot be told."""
    build_dir = Path(build_dir)
    ninja = _ninja_program(build_dir)
    if not (build_dir / "build.ninja").exists() or ninja is None:
        raise BuildError(f"cannot tell whether the binaries in {build_dir} "
                         f"are up to date: not a Ninja build folder (no "
                         f"build.ninja{'' if ninja else ', no ninja'})")
    stale = []
    for b in binaries:
        target = str(Path(b).resolve().relative_to(build_dir.resolve()))
        try:
            out = subprocess.run([ninja, "-C", str(build_dir), "-n", target],
                                 capture_output=True, text=True, timeout=120,
                                 check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise BuildError(f"ninja -n {target}: {e}") from e
        if out.returncode != 0:
            stale.append((Path(b), [out.stdout.strip() or out.stderr.strip()
                                    or f"ninja exit {out.returncode}"]))
            continue
        steps = [m.group(1) for m in _STALE_STEP_RE.finditer(out.stdout)]
        if steps:
            stale.append((Path(b), steps))
    return stale


def stale_message(tool: str, build_dir: Path,
                  stale: list[tuple[Path, list[str]]],
                  targets: list[str]) -> str:
    """What a tool run with --no-build says before refusing stale binaries:
    which, why, and the command that brings them up to date."""
    lines = []
    for b, steps in stale:
        shown = "; ".join(steps[:3]) + (f"; and {len(steps) - 3} more"
                                        if len(steps) > 3 else "")
        lines.append(f"{tool}: {b} is older than its sources: ninja would "
                     f"run {len(steps)} step(s): {shown}")
    cmd = " ".join(["cmake", "--build", str(build_dir)] +
                   [f"--target {t}" for t in targets])
    lines.append(f"{tool}: not running stale binaries; build them first "
                 f"({cmd}), or run without --no-build, which builds them")
    return "\n".join(lines)


def cmake_build(build_dir: Path, source_dir: Path, targets: list[str],
                jobs: int = 2, sanitize: str = "",
                werror: bool = False) -> None:
    """Configures (if needed) and builds `targets` in build_dir, the way the
    Makefile does. Raises subprocess.CalledProcessError on failure."""
    build_dir = Path(build_dir)
    if not (build_dir / "CMakeCache.txt").exists() or sanitize:
        cmd = ["cmake", "-S", str(source_dir), "-B", str(build_dir),
               "-G", "Ninja",
               "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
               f"-DRAFTLAB_WERROR={'ON' if werror else 'OFF'}"]
        if sanitize:
            cmd.append(f"-DRAFTLAB_SANITIZE={sanitize}")
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    cmd = ["cmake", "--build", str(build_dir), "-j", str(jobs)]
    for t in targets:
        cmd += ["--target", t]
    subprocess.run(cmd, check=True)
