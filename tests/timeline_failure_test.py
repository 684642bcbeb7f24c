#!/usr/bin/env python3
"""LAB_TIMELINE=1 on a failing sim test: the test writes its timeline page
and prints its path right after the replay line, and the page shows what
went wrong. Run on a Raft broken on purpose so that its election timeout
has no random spread (split votes for ever; the CTest entry sets that up):

  timeline_failure_test.py RAFT_TEST [--env NAME=VALUE...]
      [--filter Raft2A.InitialElection] [--seed 1]

Checks:
- the failure: non-zero exit, "info: wrote timeline to PATH" on the line
  after "replay: ...", PATH and its .trace beside it in LAB_TIMELINE_DIR;
- the page: 3 lanes, every peer a candidate in the same terms, nobody ever
  leader, the FAIL marked;
- nothing changed by it: the same seed without LAB_TIMELINE fails with the
  same message, and its LAB_DEBUG=all trace equals the page's trace byte
  for byte (same schedule hash);
- negative controls: a passing test writes no page under LAB_TIMELINE=1
  (but does under LAB_TIMELINE=all), and LAB_TIMELINE=yes is refused.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path


def run(binary: str, test: str, seed: int, env: dict[str, str]):
    full = dict(os.environ, LAB_RUNTIME="sim", LAB_SEED=str(seed))
    for k in ("LAB_DEBUG", "LAB_DEBUG_FILE", "LAB_TIMELINE",
              "LAB_TIMELINE_DIR"):
        full.pop(k, None)
    full.update(env)
    p = subprocess.run([binary, f"--gtest_filter={test}"], env=full,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=300)
    return p.returncode, p.stdout


def failure_message(out: str) -> list[str]:
    """The failure's lines: from "...: Failure" up to the FAILED line."""
    lines = out.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.endswith(
        ": Failure")), None)
    if start is None:
        return []
    end = next(i for i in range(start, len(lines))
               if lines[i].startswith(("[  FAILED", "replay:")))
    return lines[start:end]


def page_data(path: Path) -> dict:
    m = re.search(r"const DATA = (.*);\n</script>", path.read_text())
    return json.loads(m.group(1))


def check_page(data: dict, fails: list[str]) -> None:
    if data["peers"] != [0, 1, 2]:
        fails.append(f"page: lanes {data['peers']}, expected S0-S2")
    terms = {}
    for p, spans in data["spans"].items():
        roles = [s[2] for s in spans]
        if 2 in roles:
            fails.append(f"page: S{p} is drawn as a leader")
        terms[p] = {s[3] for s in spans if s[2] == 1}
    shared = set.intersection(*terms.values()) if terms else set()
    if len(shared) < 5:
        fails.append(f"page: peers ran together in terms {sorted(shared)}; "
                     f"a split vote every term expected: {terms}")
    if not any(m[1] == "fail" for m in data["marks"]):
        fails.append("page: the failure is not marked")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary", help="the raft_test binary")
    ap.add_argument("--env", action="append", default=[],
                   help="NAME=VALUE for the broken runs")
    ap.add_argument("--filter", default="Raft2A.InitialElection")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    broken = dict(e.split("=", 1) for e in args.env)
    fails: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rc, out = run(args.binary, args.filter, args.seed,
                      dict(broken, LAB_TIMELINE="1", LAB_TIMELINE_DIR=str(tmp),
                           LAB_DEBUG="all",
                           LAB_DEBUG_FILE=str(tmp / "forwarded.log")))
        lines = out.splitlines()
        replay = next((i for i, ln in enumerate(lines)
                       if ln.startswith("replay: ")), None)
        info = next((ln for ln in lines
                     if ln.startswith("info: wrote timeline to ")), "")
        page = Path(info[len("info: wrote timeline to "):])
        if rc == 0 or replay is None:
            fails.append(f"the broken Raft passed {args.filter} (exit {rc})")
        elif replay + 1 >= len(lines) or lines[replay + 1] != info or not info:
            fails.append("expected 'info: wrote timeline to PATH' right "
                         "after the replay line:\n" + "\n".join(lines[-12:]))
        elif page.parent != tmp or not page.is_file() or \
                not page.with_suffix(".trace").is_file():
            fails.append(f"no page and trace at {page} in {tmp}")
        else:
            print(f"{info} ({page.stat().st_size} bytes)")
            n = len(fails)
            check_page(page_data(page), fails)
            if len(fails) > n:
                fails.append("the broken run failed with: " +
                             " / ".join(failure_message(out)))
            # The same run without the timeline: same failure, same trace.
            rc2, out2 = run(args.binary, args.filter, args.seed, broken)
            if failure_message(out2) != failure_message(out) or rc2 == 0:
                fails.append(f"without LAB_TIMELINE the run differs: "
                             f"{failure_message(out2)} vs "
                             f"{failure_message(out)}")
            plain = tmp / "plain.log"
            run(args.binary, args.filter, args.seed,
                dict(broken, LAB_DEBUG="all", LAB_DEBUG_FILE=str(plain)))
            traced = page.with_suffix(".trace").read_bytes()
            if plain.read_bytes() != traced:
                fails.append("the page's trace differs from a LAB_DEBUG=all "
                             "run of the same seed")
            if (tmp / "forwarded.log").read_bytes() != traced:
                fails.append("LAB_DEBUG's own file did not get the trace")
        # Negative controls.
        for mode, want in (("1", 0), ("all", 1)):
            d = tmp / f"pass-{mode}"
            d.mkdir()
            rc, out = run(args.binary, args.filter, args.seed,
                          {"LAB_TIMELINE": mode, "LAB_TIMELINE_DIR": str(d)})
            got = len(list(d.glob("*.html")))
            if rc != 0 or got != want or ("info: wrote timeline" in out) != \
                    bool(want):
                fails.append(f"passing run, LAB_TIMELINE={mode}: exit {rc}, "
                             f"{got} page(s), expected {want}")
        rc, out = run(args.binary, args.filter, args.seed,
                      {"LAB_TIMELINE": "yes"})
        if rc == 0 or "LAB_TIMELINE='yes'" not in out:
            fails.append(f"LAB_TIMELINE=yes accepted (exit {rc})")
    for f in fails:
        print("FAIL:", f)
    print("FAILED" if fails else "passed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
