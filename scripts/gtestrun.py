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
import shlex
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
    reason: str = ""
    replay: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("pass", "skipped")


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return f"signal {num}"


def failure_reason(output: str) -> str:
    """A one-line summary of why a test failed, from its gtest output: the
    first message after a "Failure" line (skipping gtest's "Failed")."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if re.search(r"(^|: )Failure$", line.strip()):
            for msg in lines[i + 1:i + 8]:
                msg = msg.strip()
                if msg and msg != "Failed" and not msg.startswith("["):
                    return msg[:200]
    for i, line in enumerate(lines):
        if line.startswith("terminate called") or "Sanitizer" in line:
            what = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if what.startswith("what():"):
                return f"{line.strip()}: {what[7:].strip()}"[:200]
            return line.strip()[:200]
    tail = [l.strip() for l in lines if l.strip()]
    return tail[-1][:200] if tail else ""


def classify(run: Run, returncode: int | None, output: str,
             timed_out: bool) -> tuple[str, str]:
    """(status, reason) of a finished run."""
    if timed_out:
        return "timeout", f"killed after the {run.timeout:g} s time limit"
    if returncode is not None and returncode < 0:
        why = failure_reason(output)
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
        return "fail", failure_reason(output)
    return "crash", f"exit status {returncode}: {failure_reason(output)}"


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
            status, reason = classify(run, rc, output, timed_out)
            m = REPLAY_RE.search(output)
            replay = m.group(1) if m else run.replay_command()
            done.append(Result(run, status, now - start, rc, output, reason,
                               replay))
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
                              self._read(log), "stopped by the runner"))
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
                time.sleep(interval)


def fmt_duration(seconds: float) -> str:
    """1m05s / 12.3s / 0.41s: short, for tables and ETAs."""
    if seconds >= 3600:
        return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"
    if seconds >= 60:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    if seconds >= 10:
        return f"{seconds:.1f}s"
    return f"{seconds:.2f}s"


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
