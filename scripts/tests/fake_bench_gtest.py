#!/usr/bin/env python3
"""A stand-in for raftlab's test binaries and labrpc_bench, for the tests of
scripts/bench.py.

Run under a name ending in labrpc_bench it prints Google Benchmark JSON for
BM_CallRoundTrip/real and /sim (FAKE_RTT_REAL_NS, FAKE_RTT_SIM_NS: the real
time per call in ns; default 10000 and 2000); FAKE_RTT_FAIL=1 makes it exit
with status 1. Otherwise it is a GoogleTest binary that understands
--gtest_list_tests and --gtest_filter=A.B (one test), reads LAB_RUNTIME and
LAB_SEED, and prints the harnesses' "... Passed --" lines:

  Fake2B.Backup   Raft-style line; 200 RPCs under real, 100 + seed under sim
  Fake2B.Burn     burns FAKE_BURN_CPU (default 0.3) s of CPU holding
                  FAKE_BURN_MB (default 40) MB
  Fake3A.Basic    KV-style, two parts (ops 10 and 20)
  Fake3A.Speed    KV-style; under sim sleeps FAKE_SIM_SLEEP (default 0) s
  Fake3A.Flaky    fails under sim at seed 2
  Fake4A.Plain    prints "  ... Passed" without figures
  FakeRules2B.Strict  a strictness-suite test
  Tool.Plain      not a graded test
"""

import json
import os
import sys
import time

TESTS = {
    "Fake2B": ["Backup", "Burn"],
    "Fake3A": ["Basic", "Speed", "Flaky"],
    "Fake4A": ["Plain"],
    "FakeRules2B": ["Strict"],
    "Tool": ["Plain"],
}


def labrpc_bench() -> int:
    if os.environ.get("FAKE_RTT_FAIL") == "1":
        print("labrpc_bench: boom", file=sys.stderr)
        return 1
    if not any(a == "--benchmark_format=json" for a in sys.argv[1:]):
        print("fake labrpc_bench: expected --benchmark_format=json",
              file=sys.stderr)
        return 2
    rows = []
    for rt, default in (("real", 10000), ("sim", 2000)):
        ns = float(os.environ.get(f"FAKE_RTT_{rt.upper()}_NS", default))
        rows.append({"name": f"BM_CallRoundTrip/{rt}/real_time",
                     "run_type": "iteration", "iterations": 1000,
                     "real_time": ns, "cpu_time": ns / 2,
                     "time_unit": "ns"})
    print(json.dumps({"context": {"num_cpus": 2}, "benchmarks": rows},
                     indent=2))
    return 0


def run_test(test: str, runtime: str, seed: int) -> bool:
    """Runs one fake test; False if it fails."""
    if test == "Fake2B.Backup":
        if runtime == "real":
            time.sleep(0.05)
        rpcs = 200 if runtime == "real" else 100 + seed
        print(f"  ... Passed --   1.5  5 {rpcs:4d}  123456  102")
    elif test == "Fake2B.Burn":
        hold = bytearray(int(float(os.environ.get("FAKE_BURN_MB", "40")) *
                             2**20))
        for i in range(0, len(hold), 4096):  # make the pages resident
            hold[i] = 1
        end = time.process_time() + float(os.environ.get("FAKE_BURN_CPU",
                                                         "0.3"))
        while time.process_time() < end:
            pass
        # Still held: the peak is read while the process runs.
        time.sleep(0.1)
        print(f"  ... Passed --   0.3  3   10    1000    {len(hold) % 7}")
    elif test == "Fake3A.Basic":
        print("Test: one client (3A) ...")
        print("  ... Passed --   1.0  5   300   10")
        print("Test: one client, part 2 (3A) ...")
        print("  ... Passed --   2.0  5   500   20")
    elif test == "Fake3A.Speed":
        if runtime == "sim":
            time.sleep(float(os.environ.get("FAKE_SIM_SLEEP", "0")))
        print("  ... Passed --   0.5  3  1000 1000")
    elif test == "Fake3A.Flaky":
        if runtime == "sim" and seed == 2:
            print("tests/fake_test.cc:7: Failure")
            print("Failed")
            print(f"get wrong value (seed {seed})")
            print(f"replay: LAB_RUNTIME={runtime} LAB_SEED={seed} "
                  f"{sys.argv[0]} --gtest_filter={test}")
            return False
        print("  ... Passed --   1.0  5   100   50")
    elif test == "Fake4A.Plain":
        print("Test: Basic leave/join ...")
        print("  ... Passed")
    return True


def main() -> int:
    if os.path.basename(sys.argv[0]).endswith("labrpc_bench"):
        return labrpc_bench()
    args = sys.argv[1:]
    if "--gtest_list_tests" in args:
        for suite, names in TESTS.items():
            print(f"{suite}.")
            for n in names:
                print(f"  {n}")
        return 0
    filt = next((a.split("=", 1)[1] for a in args
                 if a.startswith("--gtest_filter=")), "")
    every = [f"{s}.{n}" for s, names in TESTS.items() for n in names]
    chosen = [t for t in every if t == filt]
    runtime = os.environ.get("LAB_RUNTIME", "sim")
    seed = int(os.environ.get("LAB_SEED", "1"))
    print(f"[==========] Running {len(chosen)} tests from 1 test suite.")
    failed = []
    for test in chosen:
        print(f"[ RUN      ] {test}")
        if run_test(test, runtime, seed):
            print(f"[       OK ] {test} (5 ms)")
        else:
            print(f"[  FAILED  ] {test} (5 ms)")
            failed.append(test)
    print(f"[==========] {len(chosen)} tests from 1 test suite ran.")
    print(f"[  PASSED  ] {len(chosen) - len(failed)} tests.")
    for t in failed:
        print(f"[  FAILED  ] {t}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
