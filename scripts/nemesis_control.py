#!/usr/bin/env python3
"""The nemesis test's negative controls (instructors only; the handout
leaves this file out): scripts/nemesis.py run against servers with one
feature of Raft or the KV service switched off (RAFTLAB_ABLATE, see
raft/ablation.h) must FAIL, for the reason that feature explains. A control
that passes means the nemesis test cannot see that bug.

    scripts/nemesis_control.py                         # persistence (~20 s)
    scripts/nemesis_control.py --ablation duplicate_detection
    scripts/nemesis_control.py --ablation persistence,duplicate_detection

  persistence          Raft saves nothing: the restart of every node must
                       lose acknowledged writes (the lost-write check).
  duplicate_detection  a retried append is applied twice: lincheck must
                       find the history not linearizable. It needs a retry
                       of an append that had taken effect (a leader killed
                       or paused after committing, before replying), which
                       timing decides as much as the seed: this control
                       uses six rounds of a seed that has caught it in
                       every run so far, and is not part of ctest.

Exit status: 0 if every control failed as expected, 1 if one passed or
failed for another reason, 2 on bad usage.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NEMESIS = Path(__file__).resolve().parent / "nemesis.py"

# Per ablation: nemesis arguments, and text its failure must contain.
CONTROLS = {
    "persistence": (["--seed", "5", "--rounds", "2"],
                    "acknowledged writes lost after the restart"),
    "duplicate_detection": (["--seed", "3", "--rounds", "6"],
                            "the history is not linearizable"),
}


def run_control(ablation: str, build_dir: Path) -> bool:
    args, expected = CONTROLS[ablation]
    # The failing run keeps its folder; an expected failure needs none.
    out = Path(tempfile.mkdtemp(prefix="nemesis-control-", dir=build_dir))
    cmd = [sys.executable, str(NEMESIS), "--build-dir", str(build_dir),
           "--out", str(out), *args]
    env = dict(os.environ, RAFTLAB_ABLATE=ablation)
    print(f"nemesis_control: RAFTLAB_ABLATE={ablation} {' '.join(cmd)}",
          flush=True)
    start = time.monotonic()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True,
                       timeout=600)
    took = time.monotonic() - start
    if r.returncode == 1 and expected in r.stderr:
        first = next(line for line in r.stderr.splitlines()
                     if "FAIL" in line)
        print(f"nemesis_control: {ablation}: failed as it must ({took:.0f} "
              f"s): {first}")
        shutil.rmtree(out, ignore_errors=True)
        return True
    print(r.stdout + r.stderr, file=sys.stderr)
    why = ("passed" if r.returncode == 0 else
           f"exited {r.returncode} without '{expected}'")
    print(f"nemesis_control: {ablation}: the nemesis test {why}; it must "
          "fail on these broken servers", file=sys.stderr)
    return False


def main() -> int:
    p = argparse.ArgumentParser(
        description="The nemesis test's negative controls (see the "
                    "docstring at the top of this file).")
    p.add_argument("--build-dir", type=Path, default=Path("build"))
    p.add_argument("--ablation", default="persistence",
                   help="comma-separated: " + ", ".join(CONTROLS))
    a = p.parse_args()
    names = a.ablation.split(",")
    unknown = [n for n in names if n not in CONTROLS]
    if unknown:
        p.error(f"no control for {unknown}; known: {', '.join(CONTROLS)}")
    ok = all([run_control(n, a.build_dir) for n in names])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
