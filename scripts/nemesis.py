#!/usr/bin/env python3
"""The nemesis test: a 5-node raftkv cluster of real processes on 127.0.0.1
under load while a seeded schedule of faults kills, pauses and partitions
its servers; then every acknowledged write must still be there after a
restart of every node, and the clients' merged history must be
linearizable.

    scripts/nemesis.py                      # ~1 minute (ctest Deploy.Nemesis)
    scripts/nemesis.py --rounds 20          # longer (make nemesis)
    scripts/nemesis.py --seed 42            # replay a schedule
    scripts/nemesis.py --keep --out /tmp/n  # keep the run folder on success

What a run does:
  1. starts the cluster (scripts/cluster.py, ports the kernel picked, so
     parallel runs do not collide; --maxraftstate small, so snapshots
     happen) and waits for a leader;
  2. starts --workloads `raftkv workload` processes (--clients clerks each,
     on --keys keys), each recording its own history file;
  3. plays the schedule: per round one fault, held 1.5-4 s, then healed,
     then 1-2 s to settle: kill -9 one or two nodes and restart them, kill
     the leader, SIGSTOP/SIGCONT the leader, cut the leader off in a
     minority, or split the nodes 2/3 at random. At most two nodes are down
     at a time, so a majority is always up: every round must see at least
     one operation complete (availability);
  4. ends the workloads (SIGTERM, so that their histories are complete),
     kills every node with SIGKILL and starts them all again on their
     data;
  5. reads every key (raftkv get) and checks that no acknowledged write was
     lost (scripts/history_check.py);
  6. merges the histories, with the final reads and the faults, and checks
     them with lincheck; on a violation it writes lincheck's HTML picture
     into the run folder and names it.

The schedule comes from the seed alone (printed first; --seed replays it):
the kinds, durations and random picks. Which process a pick lands on
depends on who leads at that moment ("the leader", "the 2nd of the
followers"), so a replay makes the same faults in the same roles, not
necessarily on the same node ids.

Everything started (servers, workloads) is stopped by pid on success,
failure, Ctrl-C or SIGTERM. Exit status: 0 pass, 1 a check failed, 2 bad
usage or a setup problem (binaries missing, the cluster did not start).

The servers inherit this script's environment.
"""

from __future__ import annotations

import argparse
import atexit
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cluster as cl  # noqa: E402
import history_check as hc  # noqa: E402

NODES = 5
# How long the whole run may take before it gives up (the CTest timeout is
# 300 s; this leaves room to clean up).
DEFAULT_DEADLINE_S = 270
LINCHECK_TIMEOUT_S = 60
# Below the transport's 3 s call timeout, so that a clerk stuck on a paused
# leader gives up: the histories then hold operations of unknown outcome
# (pending), which the checks must handle.
OP_TIMEOUT_S = 2


class Failure(Exception):
    """A check failed: the system under test is wrong."""


class SetupError(Exception):
    """The test could not run: not a verdict on the system."""


@dataclass
class Round:
    kind: str        # see KINDS
    hold: float      # seconds the fault lasts
    settle: float    # seconds after healing, before the next round
    picks: list      # random numbers that choose nodes at run time

    def describe(self) -> str:
        return f"{self.kind} for {self.hold:.1f} s, settle {self.settle:.1f} s"


KINDS = ["kill-one", "kill-two", "kill-leader", "pause-leader",
         "partition-leader-minority", "partition-random"]


def make_schedule(seed: int, rounds: int) -> list[Round]:
    rng = random.Random(seed)
    out = []
    for _ in range(rounds):
        out.append(Round(rng.choice(KINDS), round(rng.uniform(1.5, 4.0), 1),
                         round(rng.uniform(1.0, 2.0), 1),
                         [rng.random() for _ in range(4)]))
    return out


def _pick(candidates: list[int], r: float) -> int:
    return sorted(candidates)[int(r * len(candidates))]


class Run:
    def __init__(self, a: argparse.Namespace, run_dir: Path):
        self.a = a
        self.dir = run_dir
        self.cluster: cl.Cluster | None = None
        self.workloads: list[subprocess.Popen] = []
        self.faults: list[hc.Fault] = []
        self.round_windows: list[tuple[int, int, str]] = []
        self.deadline = time.monotonic() + a.deadline
        self.keys = [f"k{i}" for i in range(a.keys)]

    # -- bounds and cleanup ---------------------------------------------------

    def check_deadline(self, what: str) -> None:
        if time.monotonic() > self.deadline:
            raise SetupError(f"the run passed its {self.a.deadline} s limit "
                             f"({what}); the machine may be overloaded")

    def cleanup(self) -> None:
        for p in self.workloads:
            if p.poll() is None:
                p.kill()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.workloads = []
        if self.cluster is not None:
            self.cluster.stop()
            self.cluster = None

    def sleep(self, seconds: float) -> None:
        self.check_deadline("sleeping")
        time.sleep(seconds)

    # -- the phases -----------------------------------------------------------

    def start_cluster(self) -> None:
        for attempt in range(3):
            ports = cl.free_ports(NODES)
            self.cluster = cl.Cluster.create(
                self.dir / "cluster", NODES, ports, self.a.build_dir,
                self.a.maxraftstate)
            try:
                self.cluster.binary("raftkv")
                self.cluster.start_all()
                self.cluster.wait_ready()
                break
            except cl.ClusterError as e:
                self.cluster.stop()
                # Another program may have taken a port between our probe
                # and the servers' bind: try other ports.
                if attempt == 2 or "in use" not in str(e):
                    raise SetupError(str(e))
        leader = self.cluster.leader(wait=15)
        if leader is None:
            raise Failure("no leader within 15 s of the start")
        print(f"nemesis: cluster up on ports "
              f"{[n['port'] for n in self.cluster.nodes]}, leader {leader}")

    def start_workloads(self, duration: float) -> None:
        servers = ",".join(self.cluster.addresses())
        raftkv = str(self.cluster.binary("raftkv"))
        for i in range(self.a.workloads):
            cmd = [raftkv, "--servers", servers, "workload",
                   "--clients", str(self.a.clients), "--keys",
                   str(self.a.keys), "--duration", f"{duration:.1f}",
                   "--record", str(self.dir / f"history-{i}.txt"),
                   "--tag", f"w{i}", "--op-timeout", str(OP_TIMEOUT_S)]
            log = open(self.dir / f"workload-{i}.log", "wb")
            self.workloads.append(subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True))
            log.close()

    def fault(self, start: int, label: str) -> None:
        self.faults.append(hc.Fault(start, time.monotonic_ns(), label))

    def play(self, schedule: list[Round]) -> None:
        c = self.cluster
        for n, rnd in enumerate(schedule, 1):
            self.check_deadline(f"round {n}")
            leader = c.leader(wait=10)
            if leader is None:
                raise Failure(f"round {n}: no leader within 10 s before the "
                              "fault (the previous round's heal did not "
                              "restore the service)")
            everyone = list(range(NODES))
            followers = [i for i in everyone if i != leader]
            start = time.monotonic_ns()
            label = ""
            if rnd.kind in ("kill-one", "kill-two", "kill-leader"):
                if rnd.kind == "kill-leader":
                    victims = [leader]
                else:
                    pool = list(everyone)
                    victims = []
                    for r in rnd.picks[:1 if rnd.kind == "kill-one" else 2]:
                        v = _pick(pool, r)
                        pool.remove(v)
                        victims.append(v)
                label = f"kill -9 {','.join(map(str, sorted(victims)))}"
                print(f"nemesis: round {n}: {label} (leader {leader}); "
                      f"{rnd.describe()}")
                for v in victims:
                    c.kill(v)
                self.sleep(rnd.hold)
                for v in victims:
                    c.restart(v)
            elif rnd.kind == "pause-leader":
                label = f"SIGSTOP {leader} (leader)"
                print(f"nemesis: round {n}: {label}; {rnd.describe()}")
                c.pause(leader)
                self.sleep(rnd.hold)
                c.resume(leader)
            else:
                if rnd.kind == "partition-leader-minority":
                    minority = [leader, _pick(followers, rnd.picks[0])]
                else:
                    pool = list(everyone)
                    minority = []
                    for r in rnd.picks[:2]:
                        v = _pick(pool, r)
                        pool.remove(v)
                        minority.append(v)
                majority = [i for i in everyone if i not in minority]
                groups = [sorted(minority), majority]
                label = "partition " + " | ".join(
                    ",".join(map(str, g)) for g in groups)
                print(f"nemesis: round {n}: {label} (leader {leader}); "
                      f"{rnd.describe()}")
                c.partition(groups)
                self.sleep(rnd.hold)
                c.heal()
            self.fault(start, label)
            self.sleep(rnd.settle)
            self.round_windows.append((start, time.monotonic_ns(),
                                       f"round {n} ({label})"))

    def wait_workloads(self, timeout: float) -> list[list[hc.Op]]:
        """Ends the workloads (SIGTERM: each finishes or gives up on the
        operations in flight, so its history is complete) and reads their
        histories."""
        for p in self.workloads:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for i, p in enumerate(self.workloads):
            left = max(0.1, deadline - time.monotonic())
            try:
                rc = p.wait(timeout=left)
            except subprocess.TimeoutExpired:
                raise Failure(f"workload {i} did not end within "
                              f"{timeout:.0f} s of SIGTERM (a clerk "
                              "operation that no timeout bounds?)")
            out = (self.dir / f"workload-{i}.log").read_text().strip()
            last = out.splitlines()[-1] if out else "(no output)"
            print(f"nemesis: workload {i}: {last}")
            if rc != 0:
                raise Failure(f"workload {i} exited with status {rc}: {out}")
        self.workloads = []
        return [hc.read_history(self.dir / f"history-{i}.txt")[0]
                for i in range(self.a.workloads)]

    def check_availability(self, ops: list[hc.Op]) -> None:
        rets = sorted(op.ret for op in ops if not op.pending)
        for start, end, label in self.round_windows:
            done = sum(1 for r in rets if start <= r <= end)
            if done == 0:
                raise Failure(f"no operation completed during {label}: with "
                              "a majority up the service must stay "
                              "available")

    def restart_all(self) -> None:
        c = self.cluster
        start = time.monotonic_ns()
        for i in range(NODES):
            if c.running(i):
                c.kill(i)
        c.start_all()
        c.wait_ready()
        self.faults.append(hc.Fault(start, time.monotonic_ns(),
                                    "kill -9 all, start all"))
        leader = c.leader(wait=15)
        if leader is None:
            raise Failure("no leader within 15 s of restarting every node")
        print(f"nemesis: every node killed and restarted on its data; "
              f"leader {leader}")

    def final_reads(self) -> tuple[dict[str, str], list[hc.Op]]:
        values, ops = {}, []
        servers = ",".join(self.cluster.addresses())
        for n, key in enumerate(self.keys):
            call = time.monotonic_ns()
            r = self.cluster.raftkv("--servers", servers, "--timeout", "20",
                                    "get", key, timeout=40)
            ret = time.monotonic_ns()
            if r.returncode != 0:
                raise Failure(f"final read of {key} failed after the "
                              f"restart: {r.stderr.strip()}")
            values[key] = r.stdout[:-1] if r.stdout.endswith("\n") \
                else r.stdout
            ops.append(hc.Op(900000 + n, call, ret, "get", key, "",
                             values[key], "final read"))
        return values, ops

    def lincheck(self, merged: Path) -> None:
        exe = Path(self.a.build_dir) / "linearizability" / "lincheck"
        r = subprocess.run([str(exe), "--timeout", str(LINCHECK_TIMEOUT_S),
                            str(merged)], capture_output=True, text=True,
                           timeout=LINCHECK_TIMEOUT_S * 3)
        print("nemesis: lincheck: " + r.stdout.strip().replace(
            "\n", "\nnemesis: lincheck: "))
        if r.returncode == 0:
            return
        if r.returncode == 1:
            html = self.dir / "violation.html"
            subprocess.run([str(exe), "--timeout", str(LINCHECK_TIMEOUT_S),
                            "--html", str(html), str(merged)],
                           capture_output=True, timeout=LINCHECK_TIMEOUT_S * 3)
            raise Failure(f"the history is not linearizable: see {html} "
                          f"(history {merged})")
        raise Failure(f"lincheck gave no verdict (exit {r.returncode}): "
                      f"{r.stderr.strip()} (history {merged})")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description="The nemesis test of a raftkv cluster (see the docstring "
                    "at the top of this file).")
    p.add_argument("--build-dir", type=Path, default=Path("build"))
    p.add_argument("--seed", type=int, default=None,
                   help="the fault schedule's seed (default: a fresh one)")
    p.add_argument("--rounds", type=int, default=10,
                   help="faults to inject (default 10)")
    p.add_argument("--workloads", type=int, default=3,
                   help="client processes (default 3)")
    p.add_argument("--clients", type=int, default=2,
                   help="clerks per client process (default 2)")
    # 12 keys, not 3: a key with several thousand operations, some of them
    # pending, once made the checker give up at its memory limit.
    p.add_argument("--keys", type=int, default=12,
                   help="keys (default 12)")
    p.add_argument("--maxraftstate", type=int, default=2000,
                   help="the servers' snapshot threshold (default 2000)")
    p.add_argument("--out", type=Path, default=None,
                   help="where run folders go (default BUILD/nemesis)")
    p.add_argument("--keep", action="store_true",
                   help="keep the run folder after a pass too")
    p.add_argument("--deadline", type=float, default=None,
                   help="give up after this many seconds (default "
                        f"{DEFAULT_DEADLINE_S}, more with many rounds)")
    a = p.parse_args(argv)
    for name in ("rounds", "workloads", "clients", "keys"):
        if getattr(a, name) < 1:
            p.error(f"--{name} must be at least 1")
    if a.seed is None:
        a.seed = random.SystemRandom().randrange(1, 1 << 31)
    schedule = make_schedule(a.seed, a.rounds)
    fault_time = sum(r.hold + r.settle for r in schedule)
    if a.deadline is None:
        a.deadline = max(DEFAULT_DEADLINE_S, 120 + 4 * fault_time)
    out = a.out if a.out is not None else a.build_dir / "nemesis"
    run_dir = (out / f"seed-{a.seed}-{os.getpid()}").resolve()
    run_dir.mkdir(parents=True, exist_ok=True)

    print(f"nemesis: seed {a.seed} (replay: scripts/nemesis.py --seed "
          f"{a.seed} --rounds {a.rounds}); run folder {run_dir}")
    for n, rnd in enumerate(schedule, 1):
        print(f"nemesis: schedule {n}: {rnd.describe()}")

    run = Run(a, run_dir)
    atexit.register(run.cleanup)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    # SIGINT too: a shell starts a background job with SIGINT ignored, and
    # Python then installs no KeyboardInterrupt handler of its own.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    started = time.monotonic()
    try:
        run.start_cluster()
        # The workloads run through the faults and a little after them; the
        # duration is only a backstop, wait_workloads ends them.
        run.start_workloads(3 * fault_time + 60)
        run.sleep(1.5)
        run.play(schedule)
        run.sleep(1.0)
        histories = run.wait_workloads(timeout=30)
        all_ops = [op for h in histories for op in h]
        completed = sum(1 for op in all_ops if not op.pending)
        pending = len(all_ops) - completed
        print(f"nemesis: {completed} operations completed, {pending} with "
              "unknown outcome")
        run.check_availability(all_ops)
        run.restart_all()
        final, final_ops = run.final_reads()
        merged = run_dir / "history.txt"
        merged.write_text(hc.merge_histories(histories, run.faults,
                                             final_ops))
        reports = hc.check_durability(all_ops, final)
        problems = [f"{r.key}: {p}" for r in reports for p in r.problems]
        for r in reports:
            print(f"nemesis: {r.key}: final value has {r.tokens} writes; "
                  f"{r.acked_writes} acknowledged writes to it in all")
        if problems:
            raise Failure("acknowledged writes lost after the restart of "
                          "every node:\n  " + "\n  ".join(problems))
        print("nemesis: no acknowledged write lost")
        run.lincheck(merged)
    except Failure as e:
        run.cleanup()
        print(f"nemesis: FAIL (seed {a.seed}): {e}\nnemesis: logs and "
              f"histories in {run_dir}", file=sys.stderr)
        return 1
    except (SetupError, cl.ClusterError, hc.HistoryError) as e:
        run.cleanup()
        print(f"nemesis: ERROR (seed {a.seed}): {e}\nnemesis: logs in "
              f"{run_dir}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        run.cleanup()
        print(f"nemesis: interrupted; everything started was stopped; logs "
              f"in {run_dir}", file=sys.stderr)
        return 130
    run.cleanup()
    print(f"nemesis: PASS (seed {a.seed}, {a.rounds} rounds, "
          f"{time.monotonic() - started:.0f} s)")
    if not a.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
