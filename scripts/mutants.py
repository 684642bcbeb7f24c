#!/usr/bin/env python3
"""Mutation testing of the kit's own graded suites: do they catch known bugs?

Each mutant is a patch in tests/mutants/ that plants one classic student bug
in the reference solution. For every mutant the script applies the patch to
a scratch copy of the tree, rebuilds only the test binaries whose stages the
patched files affect (raft/ -> 2A-2D, kvraft/ -> 3A-3B, shardctrler/ ->
4A-4B, shardkv/ -> 4B), runs every test of those stages' suites (graded,
rule and strict suites alike: any suite whose name ends in the stage) under
sim, one process per test and seed, and restores the patched files. A
mutant is killed by its first failing run (--all: every run goes, and every
killing test is reported); it survives if every run passes.

    scripts/mutants.py                      # every mutant, sim seeds 1,2,3
    scripts/mutants.py vote 'kv-*'          # mutants whose name matches
    scripts/mutants.py --stage 2C --all     # 2C's mutants, every killer
    scripts/mutants.py --tests RaftRules2B  # only these tests (a selector
                                            # as for stress.py: stage,
                                            # suite or gtest filter)
    scripts/mutants.py --fuzz raft-apply    # LAB_FUZZ=1: other schedules
    scripts/mutants.py --list               # the mutants; do they apply?
    make mutants ARGS='--stage 4B'

The scratch copy (--scratch, default $RAFTLAB_MUTANTS_DIR or
$TMPDIR/raftlab-mutants) is refreshed from the tree at every start and keeps
its build folder, so rebuilds are incremental; it also remembers each
mutant's last killer, which then runs first. Kills are checked at the end:
each killing (test, seed) must pass on the unmutated tree (--no-verify
skips this). Statuses: killed; SURVIVED; equivalent (survived, and its
header argues why no test can kill it); stale (the patch no longer applies:
regenerate it); build error (a bad mutant); invalid (its killing test fails
without the mutant too). Exit status: 0 if every mutant was killed or is
equivalent, 1 otherwise, 2 on a usage error, 130 if interrupted.

A mutant file is a unified diff (`patch -p1`, paths a/... b/...) after a
header of '#' lines:

    # bug: RequestVote grants a vote without persisting votedFor, so a peer
    #   that restarts can vote twice in one term.
    # stage: 2C
    # equivalent: <why no test can tell>     (rare; only if true)
"""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gtestrun  # noqa: E402  (needs the path above)
from scratch_tree import Builder, build_errors, sync_tree  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
RAFT_STAGES = ("2A", "2B", "2C", "2D")
# Which stages' suites a change under each folder can affect, most specific
# folder first. A file elsewhere (labrpc/, tests/) affects every stage.
AREAS = (("shardctrler/", ("4A", "4B")), ("shardkv/", ("4B",)),
         ("kvraft/", ("3A", "3B")), ("raft/", RAFT_STAGES))
STATE = "raftlab-mutants.json"  # in the scratch build folder: last killers


@dataclasses.dataclass
class Mutant:
    name: str
    path: Path
    stage: str
    bug: str
    equivalent: str  # the argument, or "" if not equivalent
    files: list[str]  # paths the patch changes, relative to the tree


@dataclasses.dataclass
class Outcome:
    mutant: Mutant
    status: str = "SURVIVED"
    killers: list[gtestrun.Result] = dataclasses.field(default_factory=list)
    detail: list[str] = dataclasses.field(default_factory=list)
    build_s: float = 0.0  # not counting wait_s
    wait_s: float = 0.0  # for the build lock
    test_s: float = 0.0
    runs: int = 0


def parse_mutant(path: Path) -> Mutant:
    """Reads a mutant's header and the files its diff touches. Raises
    ValueError naming the file when the header or the diff is malformed."""
    fields: dict[str, str] = {}
    key = None
    files: list[str] = []
    in_header = True
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(("--- ", "diff ")):
            in_header = False
        if in_header:
            # '# key: text', continued on lines indented past the '#'.
            m = re.match(r"^# ?([a-z]+):\s*(.*)$", line)
            if m:
                key = m.group(1)
                fields[key] = m.group(2).strip()
            elif re.match(r"^#\s\s+\S", line) and key:
                fields[key] += " " + line[1:].strip()
            elif line.strip() and not line.startswith("#"):
                raise ValueError(f"{path}:{n}: header lines start with '#'")
        elif line.startswith("+++ "):
            target = line[4:].split("\t", 1)[0].strip()
            rel = target.split("/", 1)[1] if "/" in target else ""
            if not rel or rel.startswith("/") or ".." in Path(rel).parts:
                raise ValueError(f"{path}:{n}: expected '+++ b/<path>'")
            files.append(rel)
    if not files:
        raise ValueError(f"{path}: no '+++ b/<file>' line: not a diff")
    stage = fields.get("stage", "").upper()
    if not gtestrun.STAGE_RE.match(stage):
        raise ValueError(f"{path}: the header needs '# stage: <2A..4B>'")
    if not fields.get("bug"):
        raise ValueError(f"{path}: the header needs '# bug: <what is wrong>'")
    return Mutant(path.stem, path, stage, fields["bug"],
                  fields.get("equivalent", ""), files)


def load_mutants(folder: Path) -> list[Mutant]:
    return [parse_mutant(p) for p in sorted(Path(folder).glob("*.patch"))]


def choose(mutants: list[Mutant], patterns: list[str],
           stages: list[str]) -> list[Mutant]:
    """Mutants whose name matches a pattern (a glob, or a substring when it
    has no wildcard) and whose stage is in `stages` (if any given)."""
    import fnmatch
    out = []
    for m in mutants:
        if stages and m.stage not in stages:
            continue
        if patterns and not any(
                fnmatch.fnmatchcase(m.name, p) if any(c in p for c in "*?[")
                else p in m.name for p in patterns):
            continue
        out.append(m)
    return out


def stages_of(files: list[str]) -> list[str]:
    """The stages whose suites a change to `files` can affect."""
    every = [f"{n}{c}" for n in "234" for c in "ABCD"]
    found: set[str] = set()
    for f in files:
        area = next((st for d, st in AREAS if f.startswith(d)), None)
        found.update(area if area is not None else every)
    return sorted(found, key=lambda s: (s[0], s[1]))


def patch(mutant: Mutant, tree: Path, dry_run: bool,
          reverse: bool = False) -> tuple[bool, list[str]]:
    """Runs patch(1) on `tree`; returns (applied, problems). Context must
    match exactly (--fuzz=0): a shifted hunk applies, a changed one is
    stale. Problems name the file and hunk, e.g. 'raft/raft.cc: Hunk #2
    FAILED at 431.'"""
    cmd = ["patch", "-p1", "--batch", "--fuzz=0", "--no-backup-if-mismatch",
           "-r", "-", "-d", str(tree), "-i", str(mutant.path.resolve())]
    cmd.append("--reverse" if reverse else "--forward")
    if dry_run:
        cmd.append("--dry-run")
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError as e:
        return False, [f"cannot run patch: {e}"]
    problems = []
    current = "?"
    for line in (p.stdout + p.stderr).splitlines():
        m = re.match(r"^(?:checking|patching) file (.*)$", line)
        if m:
            current = m.group(1).strip()
        elif re.search(r"FAILED|can't find|Reversed|No such|malformed|"
                       r"Only garbage", line):
            problems.append(f"{current}: {line.strip()}")
    if p.returncode != 0 and not problems:
        problems.append(f"patch exit {p.returncode}: "
                        f"{(p.stdout + p.stderr).strip()[-300:]}")
    return p.returncode == 0, problems


# ---------------------------------------------------------------------------
# Running one mutant.


class Session:
    """What every mutant shares: the scratch tree, the builder, the tests
    found in it (test -> binary), and the options."""

    def __init__(self, args, builder: Builder, where: dict[str, Path],
                 hints: dict[str, list]):
        self.args = args
        self.builder = builder
        self.tree = builder.tree
        self.where = where
        self.hints = hints

    def tests_for(self, stages: list[str], first: str) -> list[str]:
        tests = [t for t in self.where if gtestrun.stage_of(t) in stages]
        # The mutant's own stage first: its tests are the likeliest killers.
        return sorted(tests, key=lambda t: gtestrun.stage_of(t) != first)

    def runs_for(self, m: Mutant, tests: list[str]) -> list[gtestrun.Run]:
        timeout = self.args.timeout if self.args.timeout > 0 else None
        runs = [gtestrun.Run(t, self.where[t], "sim", seed, timeout=timeout,
                             fuzz=self.args.fuzz)
                for seed in self.args.seed_list for t in tests]
        hint = self.hints.get(m.name)
        if hint:  # last time's killer goes first
            runs.sort(key=lambda r: [r.test, r.seed] != hint)
        return runs

    def run_tests(self, runs: list[gtestrun.Run],
                  out: Outcome) -> None:
        with gtestrun.Pool(self.args.jobs) as pool:
            pool.submit(runs)

            def on_result(r: gtestrun.Result) -> None:
                if r.status == "cancelled":
                    return
                out.runs += 1
                if r.ok:
                    return
                if r.status == "missing":
                    out.detail.append(f"{r.run.test}: {r.reason}")
                    return
                out.killers.append(r)
                if not self.args.all:
                    pool.cancel()

            pool.run_all(on_result)

    def run(self, m: Mutant) -> Outcome:
        out = Outcome(m)
        applies, problems = patch(m, self.tree, dry_run=True)
        if not applies:
            out.status, out.detail = "stale", problems
            return out
        originals = {f: ((self.tree / f).read_bytes()
                         if (self.tree / f).is_file() else None)
                     for f in m.files}
        try:
            applied, problems = patch(m, self.tree, dry_run=False)
            if not applied:
                out.status, out.detail = "stale", problems
                return out
            stages = stages_of(m.files)
            tests = self.tests_for(stages, m.stage)
            if not tests:
                out.status = "no tests"
                out.detail = [f"no test of stage(s) {','.join(stages)} "
                              f"in the build"]
                return out
            targets = sorted({self.where[t].name for t in tests})
            start, waited = time.monotonic(), self.builder.waited
            ok, output = self.builder.build(targets)
            out.wait_s = self.builder.waited - waited
            out.build_s = time.monotonic() - start - out.wait_s
            if not ok:
                out.status, out.detail = "build error", build_errors(output)
                return out
            start = time.monotonic()
            self.run_tests(self.runs_for(m, tests), out)
            out.test_s = time.monotonic() - start
            if out.killers:
                out.status = "killed"
            elif m.equivalent:
                out.status = "equivalent"
        finally:
            restore(self.tree, originals)
        return out


def restore(tree: Path, originals: dict[str, bytes | None]) -> None:
    """Puts back the files a mutant changed (a fresh mtime, so the next
    build recompiles them) and checks that they are back."""
    for rel, data in originals.items():
        p = tree / rel
        if data is None:
            p.unlink(missing_ok=True)
        else:
            p.write_bytes(data)
        if (p.read_bytes() if p.exists() else None) != data:
            raise RuntimeError(f"could not restore {p}")


def verify(session: Session, outcomes: list[Outcome]) -> None:
    """Reruns every killing (test, seed) on the unmutated tree: a kill
    counts only if that run passes there. Mutants left with no valid
    killer become 'invalid'."""
    pairs = {(r.run.test, r.run.seed) for o in outcomes for r in o.killers}
    if not pairs:
        return
    w = session.where
    ok, output = session.builder.build(sorted({w[t].name for t, _ in pairs}))
    if not ok:
        raise RuntimeError("the unmutated tree does not build:\n" +
                           "\n".join(build_errors(output)))
    timeout = session.args.timeout if session.args.timeout > 0 else None
    runs = [gtestrun.Run(t, w[t], "sim", s, timeout=timeout,
                         fuzz=session.args.fuzz)
            for t, s in sorted(pairs)]
    bad: dict[tuple[str, int], str] = {}

    def on_result(r: gtestrun.Result) -> None:
        if not r.ok:
            bad[(r.run.test, r.run.seed)] = f"{r.status}: {r.reason}"

    with gtestrun.Pool(session.args.jobs) as pool:
        pool.submit(runs)
        pool.run_all(on_result)
    print(f"verify: {len(pairs) - len(bad)}/{len(pairs)} killing runs pass "
          f"without their mutant")
    for o in outcomes:
        for r in list(o.killers):
            why = bad.get((r.run.test, r.run.seed))
            if why is not None:
                o.killers.remove(r)
                o.detail.append(f"{r.run.test} s{r.run.seed} fails without "
                                f"the mutant too: {why}")
        if o.status == "killed" and not o.killers:
            o.status = "invalid"


# ---------------------------------------------------------------------------
# Reporting.


def killed_by(o: Outcome) -> str:
    """'Raft2C.Persist2 s1' or, with several, 'Raft2C.Persist2 s1,2; ...'."""
    seeds: dict[str, list[int]] = {}
    for r in o.killers:
        seeds.setdefault(r.run.test, []).append(r.run.seed)
    return "; ".join(f"{t} s{','.join(map(str, sorted(s)))}"
                     for t, s in seeds.items())


def print_table(outcomes: list[Outcome], elapsed: float) -> None:
    fmt = gtestrun.fmt_duration
    rows = [["mutant", "stage", "status", "killed by", "time"]]
    for o in outcomes:
        how = killed_by(o) if o.killers else (
            f"{o.runs} runs passed" if o.status in ("SURVIVED", "equivalent")
            else "")
        rows.append([o.mutant.name, o.mutant.stage, o.status, how,
                     fmt(o.build_s + o.test_s)])
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " +
              r[4])
    for o in outcomes:
        if o.status != "killed" or o.detail:
            for line in ([f"bug: {o.mutant.bug}"] if o.status == "SURVIVED"
                         else []) + o.detail:
                print(f"  {o.mutant.name}: {line}")
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    killed = counts.get("killed", 0)
    scored = killed + counts.get("SURVIVED", 0)
    score = f"{killed}/{scored} ({100 * killed // scored}%)" if scored else "-"
    print(f"mutants: {len(outcomes)}: " +
          ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) +
          f"; score {score}; total {fmt(elapsed)}")


def line_for(o: Outcome) -> str:
    fmt = gtestrun.fmt_duration
    times = f"build {fmt(o.build_s)}, tests {fmt(o.test_s)}"
    if o.wait_s >= 1:
        times += f", waited {fmt(o.wait_s)} for the build lock"
    if o.status == "killed":
        first = o.killers[0]
        why = f": {first.status}: {first.reason}" if first.reason else ""
        return (f"killed by {killed_by(o)} ({times}){why}")[:300]
    if o.status in ("SURVIVED", "equivalent"):
        return f"{o.status}: {o.runs} runs passed ({times})"
    return f"{o.status}: " + "; ".join(o.detail)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def parse_seeds(text: str) -> list[int]:
    seeds: list[int] = []
    for part in text.split(","):
        a, _, b = part.strip().partition("-")
        seeds.extend(range(int(a), int(b or a) + 1))
    if not seeds:
        raise ValueError("no seed")
    return seeds


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Mutation testing of the graded suites (see the "
                    "docstring of scripts/mutants.py).")
    p.add_argument("patterns", nargs="*",
                   help="mutant names (globs, or substrings)")
    p.add_argument("--stage", action="append", default=[],
                   help="only the mutants of these stages (2C or 2C,2D)")
    p.add_argument("--list", action="store_true",
                   help="list the mutants and whether each still applies "
                        "to the tree (exit 1 if one is stale)")
    p.add_argument("--all", action="store_true",
                   help="do not stop a mutant at its first kill")
    p.add_argument("--seeds", default="1,2,3",
                   help="sim seeds, e.g. 1,2,3 or 1-5 (default 1,2,3)")
    p.add_argument("--fuzz", action="store_true",
                   help="run with LAB_FUZZ=1 (a random ready task runs, "
                        "not the oldest): other interleavings per seed")
    p.add_argument("-j", "--jobs", type=int, default=2,
                   help="parallel test processes and build jobs (default 2)")
    p.add_argument("--timeout", type=float, default=300,
                   help="wall-time limit per run in seconds (default 300; "
                        "a run over it kills the mutant)")
    p.add_argument("--tests", action="append", default=[],
                   help="run only these tests (stage, suite or gtest "
                        "filter); default every test of the stages")
    p.add_argument("--no-verify", action="store_true",
                   help="do not rerun the killing tests without the mutant")
    p.add_argument("--scratch", type=Path,
                   default=Path(os.environ.get("RAFTLAB_MUTANTS_DIR") or
                                Path(tempfile.gettempdir()) /
                                "raftlab-mutants"),
                   help="scratch copy of the tree (default "
                        "$RAFTLAB_MUTANTS_DIR or $TMPDIR/raftlab-mutants)")
    p.add_argument("--source", type=Path, default=REPO,
                   help="the tree to mutate (default this repository)")
    p.add_argument("--mutants-dir", type=Path, default=None,
                   help="folder of *.patch (default <source>/tests/mutants)")
    p.add_argument("--build-lock", default=os.environ.get(
                   "RAFTLAB_BUILD_LOCK"),
                   help="hold this file's lock (flock) while building "
                        "(default $RAFTLAB_BUILD_LOCK, none)")
    p.add_argument("--build-cmd", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    try:
        args.seed_list = parse_seeds(args.seeds)
    except ValueError:
        p.error(f"--seeds: expected e.g. 1,2,3 or 1-5, not {args.seeds!r}")
    args.stages = sorted({s.strip().upper() for a in args.stage
                          for s in a.split(",") if s.strip()})
    if any(not gtestrun.STAGE_RE.match(s) for s in args.stages):
        p.error(f"not a stage in {args.stages} (stages look like 2A, 3B)")
    if args.jobs < 1:
        p.error("--jobs must be at least 1")
    args.mutants_dir = args.mutants_dir or args.source / "tests" / "mutants"
    return args


def list_mutants(args, mutants: list[Mutant]) -> int:
    stale = 0
    width = max(len(m.name) for m in mutants)
    for m in mutants:
        ok, problems = patch(m, args.source, dry_run=True)
        stale += not ok
        state = ("equivalent" if m.equivalent else "applies") if ok \
            else "STALE"
        print(f"{m.name:{width}}  {m.stage}  {state:10}  {', '.join(m.files)}")
        print(f"    {m.bug}")
        for line in problems:
            print(f"    {line}")
    print(f"{len(mutants)} mutants, {stale} stale")
    return 1 if stale else 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        mutants = choose(load_mutants(args.mutants_dir), args.patterns,
                         args.stages)
    except (OSError, ValueError) as e:
        print(f"mutants: {e}", file=sys.stderr)
        return 2
    if not mutants:
        print(f"mutants: no mutant in {args.mutants_dir} matches",
              file=sys.stderr)
        return 2
    if args.list:
        return list_mutants(args, mutants)

    start = time.monotonic()
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, _raise_interrupt)
    tree = args.scratch.resolve()
    try:
        written = sync_tree(args.source, tree)
    except (OSError, ValueError) as e:
        print(f"mutants: {e}", file=sys.stderr)
        return 2
    print(f"mutants: scratch tree {tree} ({len(written)} files refreshed)")
    builder = Builder(tree, args.jobs, args.build_lock, args.build_cmd)
    ok, output = builder.configure()
    if ok:
        ok, output = builder.build(builder.initial_targets())
    if not ok:
        print("mutants: the unmutated tree does not build:\n" +
              "\n".join(build_errors(output, 20)), file=sys.stderr)
        return 2
    errors: list[str] = []
    found = gtestrun.discover(gtestrun.find_binaries(builder.build_dir),
                              errors)
    for e in errors:
        print(f"mutants: warning: {e}", file=sys.stderr)
    where = {t: b for t, b in found.items() if gtestrun.stage_of(t)}
    if args.tests:
        try:
            where = {t: where[t] for t in gtestrun.select(where, args.tests)}
        except ValueError as e:
            print(f"mutants: --tests: {e}", file=sys.stderr)
            return 2
    state_file = builder.build_dir / STATE
    try:
        hints = json.loads(state_file.read_text())
    except (OSError, ValueError):
        hints = {}
    suites = sorted({t.split(".")[0] for t in where})
    print(f"mutants: {len(mutants)} mutants; {len(where)} tests in "
          f"{', '.join(suites)}; sim{' (fuzz)' if args.fuzz else ''} seeds "
          f"{','.join(map(str, args.seed_list))}; {args.jobs} parallel")
    sys.stdout.flush()

    session = Session(args, builder, where, hints)
    outcomes: list[Outcome] = []
    interrupted = False
    try:
        for i, m in enumerate(mutants, 1):
            print(f"[{i}/{len(mutants)}] {m.name} ({m.stage}) ...",
                  end=" ", flush=True)
            o = session.run(m)
            outcomes.append(o)
            print(line_for(o), flush=True)
            if o.killers:
                hints[m.name] = [o.killers[0].run.test,
                                 o.killers[0].run.seed]
        if not args.no_verify:
            verify(session, outcomes)
    except KeyboardInterrupt:
        interrupted = True
    except RuntimeError as e:
        print(f"\nmutants: {e}", file=sys.stderr)
        return 2
    if builder.build_dir.is_dir():
        state_file.write_text(json.dumps(hints, indent=1, sort_keys=True))
    print()
    print_table(outcomes, time.monotonic() - start)
    for o in outcomes:
        if o.status == "killed" and o.mutant.equivalent:
            print(f"mutants: warning: {o.mutant.name} is marked equivalent "
                  f"but {killed_by(o)} kills it: fix its header")
    if interrupted:
        print("mutants: interrupted; the table is partial (files restored)")
        return 130
    # With --tests, a mutant none of the chosen tests can reach is fine.
    good = all(o.status in ("killed", "equivalent") or
               (o.status == "no tests" and args.tests) for o in outcomes)
    return 0 if good else 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:  # e.g. | head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
