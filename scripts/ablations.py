#!/usr/bin/env python3
"""Earned points: each stage's tests must fail for a reference solution that
lacks that stage's feature. A negative control, run by CI (ctest -L ablation).

The reference solution has switches that take one feature out of it
(RAFTLAB_ABLATE, raft/ablation.h). For every ablation in ABLATIONS below,
this runs each test it must fail as its own process under sim at the
grader's default seeds (1, 2, 3), until one seed fails: a test that passes
every seed would earn its points in a grade without the feature, and the
control fails. Tests known to pass legitimately without the feature are
listed with the reason (and in the README's table); they are not run.

    scripts/ablations.py --build-dir build               # every ablation
    scripts/ablations.py --build-dir build --ablation persistence
    scripts/ablations.py --list                          # the table

Exit status: 0 if every must-fail test failed, 1 if one passed every seed,
2 on a usage error (unknown ablation, a selector matching no test).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gtestrun  # noqa: E402  (needs the path above)

DEFAULT_SEEDS = (1, 2, 3)
NO_CRASH = "no server crashes or restarts: nothing needs to survive one"
NO_SNAPSHOT_CODE = ("a rule about what a Raft must NOT install, which a "
                    "Raft that installs nothing keeps")


@dataclasses.dataclass
class Ablation:
    """One RAFTLAB_ABLATE value, the tests it must fail (gtestrun selectors:
    stages, suites or filters) and those that may pass without the feature,
    with the reason."""
    name: str
    must_fail: list[str]
    may_pass: dict[str, str] = dataclasses.field(default_factory=dict)


ABLATIONS = [
    Ablation("persistence", ["2C"], {
        "Raft2C.UnreliableAgree": NO_CRASH,
        "Raft2C.Figure8Unreliable": NO_CRASH + " (peers are only "
                                    "disconnected)",
    }),
    Ablation("snapshots", ["2D"], {
        "RaftRules2D.OlderSnapshotIgnored": NO_SNAPSHOT_CODE,
        "RaftRules2D.StaleTermInstallSnapshotRejectedWithoutResettingTimer":
            NO_SNAPSHOT_CODE,
    }),
    # A Raft with only 2A and 2B: no persistence and no snapshot code.
    Ablation("persistence,snapshots", ["2C", "2D"], {
        "Raft2C.UnreliableAgree": NO_CRASH,
        "Raft2C.Figure8Unreliable": NO_CRASH + " (peers are only "
                                    "disconnected)",
        "RaftRules2D.OlderSnapshotIgnored": NO_SNAPSHOT_CODE,
        "RaftRules2D.StaleTermInstallSnapshotRejectedWithoutResettingTimer":
            NO_SNAPSHOT_CODE,
    }),
    # Fast backup is a hint, not a rule: only the test that needs it to
    # catch up within its limits must fail.
    Ablation("fast_backup", ["Raft2C.Figure8Unreliable"]),
    Ablation("fixed_election_timeout", ["Raft2A.InitialElection"]),
    Ablation("duplicate_detection", ["3A", "4B"], {
        "KV3A.Basic": "reliable network, no crash: no request is retried",
        "KV3A.Speed": "reliable network, no crash: no request is retried",
        "KV3A.Concurrent": "reliable network, no crash: no request is "
                           "retried",
        "KV3A.OnePartition": "its operations either commit once or time out "
                             "in the minority; none is retried after it "
                             "executed",
        "KV3A.PersistOneClient": "a retry after a restart happens only if a "
                                 "reply is lost in the crash, which is rare",
        "KV3A.PersistConcurrent": "a retry after a restart happens only if a "
                                  "reply is lost in the crash, which is rare",
        "KVStrict3A.OverwrittenEntryIsNotAcknowledged": "checks what a "
            "leader acknowledges, not how often an op executes",
        "ShardKVStrict4B.OpAcceptedBeforeMoveIsNotAppliedAfterIt": "checks "
            "ownership at apply time; its op is never retried",
        **{f"ShardKV4B.{t}": "reliable network: a request is retried only "
                             "after a wrong-group reply, before it executed"
           for t in ("StaticShards", "JoinLeave", "Snapshot", "MissChange",
                     "Concurrent2", "Challenge1Delete", "Challenge2Unaffected",
                     "Challenge2Partial")},
    }),
    Ablation("kv_snapshots", ["3B"]),
    Ablation("shard_migration", ["4B"], {
        "ShardKV4B.StaticShards": "no configuration change moves a shard "
                                  "between live groups with data",
        "ShardKV4B.Challenge2Unaffected": "checks only the shards that do "
                                          "not move",
    }),
    # Challenge 1 is the only test of deletion.
    Ablation("shard_deletion", ["ShardKV4B.Challenge1Delete"]),
]


def by_name(name: str) -> Ablation:
    for a in ABLATIONS:
        if a.name == name:
            return a
    raise ValueError(f"unknown ablation {name!r}; known: "
                     f"{', '.join(a.name for a in ABLATIONS)}")


def planned_tests(ablation: Ablation, tests: dict[str, Path]) -> list[str]:
    """The tests `ablation` must fail: its selectors' tests, minus may_pass.
    Raises ValueError for a selector, or a may_pass entry, that names no
    test (a renamed test must not silently drop out of the control)."""
    chosen = gtestrun.select(tests, ablation.must_fail)
    for t in ablation.may_pass:
        if t not in tests:
            raise ValueError(f"{ablation.name}: may_pass names {t!r}, which "
                             f"no binary holds")
    return [t for t in chosen if t not in ablation.may_pass]


def check(ablation: Ablation, tests: dict[str, Path], seeds: list[int],
          jobs: int, timeout: float, out=sys.stdout) -> list[str]:
    """Runs the control for one ablation and prints a line per test.
    Returns the tests that passed every seed (the control's failures)."""
    plan = planned_tests(ablation, tests)
    env = {"RAFTLAB_ABLATE": ablation.name}
    # Seeds in order, one at a time per test: most die at seed 1.
    pending = {t: list(seeds) for t in plan}
    killed: dict[str, gtestrun.Result] = {}
    passed: dict[str, int] = {t: 0 for t in plan}
    start = time.monotonic()

    def next_run(test: str) -> gtestrun.Run:
        return gtestrun.Run(test, tests[test], "sim", pending[test].pop(0),
                            timeout=timeout, env=env)

    with gtestrun.Pool(jobs) as pool:
        pool.submit(next_run(t) for t in plan)

        def on_result(r: gtestrun.Result) -> None:
            t = r.run.test
            if r.status == "pass":
                passed[t] += 1
                if pending[t]:
                    pool.submit([next_run(t)])
            elif r.status == "skipped":
                passed[t] = -1  # a skip is not a failure either
            else:
                killed[t] = r

        pool.run_all(on_result)

    survivors = []
    print(f"== RAFTLAB_ABLATE={ablation.name}: {len(plan)} tests must fail "
          f"(seeds {','.join(map(str, seeds))})", file=out)
    for t in plan:
        if t in killed:
            r = killed[t]
            reason = r.reason.splitlines()[0] if r.reason else r.status
            print(f"  ok     {t}: {r.status} at seed {r.run.seed}: "
                  f"{reason[:100]}", file=out)
        else:
            survivors.append(t)
            word = "skipped" if passed[t] < 0 else "passed every seed"
            print(f"  PASSED {t}: {word} without {ablation.name}; its points "
                  f"are not earned by the feature", file=out)
    for t, why in ablation.may_pass.items():
        print(f"  (may pass) {t}: {why}", file=out)
    print(f"  {len(plan) - len(survivors)}/{len(plan)} failed as they must, "
          f"{gtestrun.fmt_duration(time.monotonic() - start)}", file=out)
    return survivors


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", type=Path, default=Path("build"),
                   help="the build holding the test binaries (default build)")
    p.add_argument("--ablation", action="append", default=[],
                   help="run only this ablation (repeatable)")
    p.add_argument("--seeds", default=",".join(map(str, DEFAULT_SEEDS)),
                   help="comma-separated sim seeds (default 1,2,3)")
    p.add_argument("-j", "--jobs", type=int, default=1)
    p.add_argument("--timeout", type=float, default=300,
                   help="wall seconds per run (default 300)")
    p.add_argument("--list", action="store_true",
                   help="print the table of ablations and exit")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        chosen = ([by_name(n) for n in args.ablation] if args.ablation
                  else ABLATIONS)
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError as e:
        print(f"ablations: {e}", file=sys.stderr)
        return 2
    if args.list:
        for a in chosen:
            print(f"{a.name}: must fail {', '.join(a.must_fail)}")
            for t, why in a.may_pass.items():
                print(f"    may pass {t}: {why}")
        return 0
    binaries = gtestrun.find_binaries(args.build_dir)
    if not binaries:
        print(f"ablations: no test binaries in {args.build_dir}/tests (build "
              f"first: make build)", file=sys.stderr)
        return 2
    tests = gtestrun.discover(binaries)
    failed = False
    for a in chosen:
        try:
            survivors = check(a, tests, seeds, args.jobs, args.timeout)
        except ValueError as e:
            print(f"ablations: {e}", file=sys.stderr)
            return 2
        failed = failed or bool(survivors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
