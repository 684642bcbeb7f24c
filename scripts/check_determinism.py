#!/usr/bin/env python3
"""Cross-process determinism check of the sim runtime.

Runs every graded test (suites Raft2A..2D, KV3A/3B, ShardCtrler4A,
ShardKV4B) under sim with one seed, twice, in separate processes whose
environments differ in ways that move heap and stack addresses and change
how the allocator reuses memory:

    A  address-space randomisation off (setarch -R), the environment as is
    B  randomisation on, a 64 KiB padding variable, MALLOC_PERTURB_,
       MALLOC_ARENA_MAX=1, MALLOC_TOP_PAD_ and the glibc tcache disabled

and requires byte-identical traces (LAB_DEBUG=all; each world's trace ends
with the scheduler's hash of every task switch) and identical test output
(gtest's wall-clock times aside). A difference means some choice the sim
makes depends on an address (iterating a pointer-keyed or unordered
container, sorting by pointer) or on the environment, so a seed would not
replay on another machine. The first differing line is printed.

    scripts/check_determinism.py                  # build/, seed 1
    scripts/check_determinism.py --seed 7 --build-dir build -j 2
    scripts/check_determinism.py --filter 'Raft2C.*'
    scripts/check_determinism.py --expect-stages 2A,2B,2C,2D,3A,3B,4A,4B

One process per test binary and variant runs all of that binary's graded
tests. Traces are hashed as they are compared and deleted afterwards
(--keep DIR keeps them). Exit status: 0 identical, 1 a difference, 2 an
error (no binaries, a run that crashed or timed out).
"""

from __future__ import annotations

import argparse
import hashlib
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

# gtest's wall-clock times, the only part of a sim test's output that is
# allowed to differ between two runs.
WALL_TIME_RE = re.compile(r" \(\d+ ms( total)?\)")
# The history pictures the KV harnesses write take mkstemp names
# (stem-XXXXXX.html), which differ from process to process by design.
TEMP_HTML_RE = re.compile(r"-[A-Za-z0-9]{6}\.html\b")
# A run of one binary's graded tests takes about 10 s on this machine.
DEFAULT_TIMEOUT = 600


def variants() -> dict[str, tuple[list[str], dict[str, str]]]:
    """name -> (command prefix, environment changes)."""
    setarch = shutil.which("setarch")
    prefix_a = [setarch, "-R"] if setarch else []
    b_env = {
        "RAFTLAB_DETERMINISM_PADDING": "x" * 65536,
        "MALLOC_PERTURB_": "165",
        "MALLOC_ARENA_MAX": "1",
        "MALLOC_TOP_PAD_": str(1 << 20),
        "GLIBC_TUNABLES": "glibc.malloc.tcache_count=0",
    }
    return {"A": (prefix_a, {}), "B": ([], b_env)}


def graded_tests(build_dir: Path,
                 pattern: str | None) -> dict[Path, list[str]]:
    """binary -> its graded tests (in file order), optionally filtered."""
    binaries = gtestrun.find_binaries(build_dir)
    if not binaries:
        raise SystemExit(f"check_determinism: no test binaries in "
                         f"{build_dir}/tests (build first)")
    found = gtestrun.discover(binaries)
    tests = [t for t in found if gtestrun.stage_of(t)]
    if pattern:
        tests = gtestrun.select(tests, [pattern])
    by_binary: dict[Path, list[str]] = {}
    for t in tests:
        by_binary.setdefault(found[t], []).append(t)
    return by_binary


def start(binary: Path, tests: list[str], seed: int, variant: str,
          workdir: Path) -> tuple[subprocess.Popen, Path, Path, float]:
    prefix, changes = variants()[variant]
    env = dict(os.environ)
    for k in ("LAB_FUZZ", "LAB_DEBUG_FILE", "LAB_SCHEDULE_VERSION"):
        env.pop(k, None)
    env.update(changes)
    env.update({"LAB_RUNTIME": "sim", "LAB_SEED": str(seed),
                "LAB_DEBUG": "all", "GTEST_COLOR": "no"})
    trace = workdir / f"{binary.name}.{variant}.trace"
    out = workdir / f"{binary.name}.{variant}.out"
    env["LAB_DEBUG_FILE"] = str(trace)
    cmd = prefix + [str(binary), "--gtest_filter=" + ":".join(tests)]
    with open(out, "wb") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log,
                                stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    return proc, trace, out, time.monotonic()


def first_difference(a: Path,
                     b: Path) -> tuple[int, str, str, int, str] | None:
    """(line number, line of a, line of b, worlds begun so far, the last
    harness line before it), or None if the files are identical. Reads both
    once, line by line."""
    worlds, context = 0, ""
    with open(a, "rb") as fa, open(b, "rb") as fb:
        n = 0
        while True:
            la, lb = fa.readline(), fb.readline()
            n += 1
            if la != lb:
                return (n, la.decode(errors="replace").rstrip("\n"),
                        lb.decode(errors="replace").rstrip("\n"), worlds,
                        context)
            if not la:
                return None
            if la.startswith(b"# world:"):
                worlds += 1
                context = ""
            elif b" test     " in la:
                context = la.decode(errors="replace").rstrip("\n")


def digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def normalized_output(path: Path) -> list[str]:
    text = path.read_text(errors="replace")
    return [TEMP_HTML_RE.sub("-XXXXXX.html", WALL_TIME_RE.sub("", line))
            for line in text.splitlines()]


def compare(binary: Path, tests: list[str],
            runs: dict[str, tuple[int, Path, Path]]) -> bool:
    """Prints the comparison of one binary's two runs; True if identical."""
    (rc_a, trace_a, out_a), (rc_b, trace_b, out_b) = runs["A"], runs["B"]
    same = True
    if rc_a != rc_b:
        print(f"  exit status differs: A {rc_a}, B {rc_b}")
        same = False
    for p in (trace_a, trace_b):
        if not p.exists():
            p.touch()
    diff = first_difference(trace_a, trace_b)
    if diff:
        line, la, lb, worlds, context = diff
        # Each graded test runs one world, in the order they were given.
        test = tests[worlds - 1] if 0 < worlds <= len(tests) else "?"
        print(f"  traces differ at line {line}, in world {worlds} ({test})" +
              (f", after\n      {context}" if context else "") +
              f"\n    A: {la}\n    B: {lb}")
        same = False
    oa, ob = normalized_output(out_a), normalized_output(out_b)
    if oa != ob:
        i = next((k for k, (x, y) in enumerate(zip(oa, ob)) if x != y),
                 min(len(oa), len(ob)))
        print(f"  test output differs at line {i + 1}:\n"
              f"    A: {oa[i] if i < len(oa) else '(end)'}\n"
              f"    B: {ob[i] if i < len(ob) else '(end)'}")
        same = False
    if rc_a != 0 and rc_a == rc_b:
        print(f"  note: the tests failed (exit {rc_a}), the same way in both "
              f"runs; see {out_a.name}")
    return same


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Run every graded sim test in two differently set-up "
        "processes and require identical traces.")
    ap.add_argument("--build-dir", type=Path, default=Path("build"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-j", "--jobs", type=int, default=2,
                    help="processes at a time (default 2)")
    ap.add_argument("--filter", help="only these graded tests (a stage, "
                    "suite or gtest filter, as for stress.py)")
    ap.add_argument("--expect-stages", metavar="2A,2B,...",
                    help="fail unless every one of these stages has tests "
                    "(so a binary missing from the build cannot shrink the "
                    "check unnoticed)")
    ap.add_argument("--keep", type=Path, metavar="DIR",
                    help="keep traces and outputs in DIR")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                    help="wall seconds per process (default %(default)s)")
    args = ap.parse_args(argv)

    by_binary = graded_tests(args.build_dir, args.filter)
    if not by_binary:
        print("check_determinism: no graded tests found", file=sys.stderr)
        return 2
    if args.expect_stages:
        have = {gtestrun.stage_of(t) for ts in by_binary.values() for t in ts}
        missing = [st for st in args.expect_stages.split(",")
                   if st and st not in have]
        if missing:
            print(f"check_determinism: no tests for stage(s) "
                  f"{', '.join(missing)} in {args.build_dir}",
                  file=sys.stderr)
            return 2
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        workdir = args.keep
        tmp = None
    else:
        tmp = tempfile.TemporaryDirectory(prefix="raftlab-det-")
        workdir = Path(tmp.name)

    began = time.monotonic()
    pending = [(b, v) for b in by_binary for v in ("A", "B")]
    running: list[tuple[Path, str, subprocess.Popen, Path, Path, float]] = []
    finished: dict[Path, dict[str, tuple[int, Path, Path]]] = {}
    errors: list[str] = []
    try:
        while pending or running:
            while pending and len(running) < max(1, args.jobs):
                b, v = pending.pop(0)
                running.append((b, v) + start(b, by_binary[b], args.seed, v,
                                              workdir))
            still = []
            for b, v, proc, trace, out, t0 in running:
                rc = proc.poll()
                if rc is None and time.monotonic() - t0 > args.timeout:
                    proc.kill()
                    proc.wait()
                    errors.append(f"{b.name} ({v}): killed after "
                                  f"{args.timeout:g} s")
                    rc = proc.returncode
                if rc is None:
                    still.append((b, v, proc, trace, out, t0))
                    continue
                if rc < 0:
                    errors.append(f"{b.name} ({v}): died of signal {-rc}; "
                                  f"see {out}")
                finished.setdefault(b, {})[v] = (rc, trace, out)
            running = still
            time.sleep(0.05)

        identical = True
        for b, tests in by_binary.items():
            runs = finished[b]
            size = runs["A"][1].stat().st_size if runs["A"][1].exists() else 0
            print(f"{b.name}: {len(tests)} graded tests, seed {args.seed}, "
                  f"trace {size / 1e6:.1f} MB, sha256 "
                  f"{digest(runs['A'][1]) if size else '-'}")
            if not compare(b, tests, runs):
                identical = False
        total = sum(len(t) for t in by_binary.values())
        print(f"{'identical' if identical else 'DIFFERENT'}: {total} graded "
              f"tests, 2 processes each, {time.monotonic() - began:.1f} s")
        for e in errors:
            print(f"error: {e}", file=sys.stderr)
        if not identical:
            print("The same seed ran differently in two processes. Either a "
                  "sim choice depends on addresses or the environment "
                  "(iteration over a pointer-keyed or unordered container, a "
                  "sort by pointer), or memory is read after it was freed or "
                  "before it was written (run B fills such memory with "
                  "MALLOC_PERTURB_'s byte). Look near the first difference.")
            return 1
        return 2 if errors else 0
    finally:
        for _, _, proc, _, _, _ in running:
            proc.kill()
            proc.wait()
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
