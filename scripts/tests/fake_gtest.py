#!/usr/bin/env python3
"""A stand-in for a raftlab GoogleTest binary, for the tools' own tests.

It understands --gtest_list_tests and --gtest_filter=A.B:C.* (no negative
patterns), reads LAB_RUNTIME / LAB_SEED / LAB_FUZZ like the real binaries,
prints gtest-style output, and on failure prints the same `replay:` line as
tests/test_main.cc. Its tests fail, crash or hang for known seeds:

  Fake2A.Pass      always passes
  Fake2A.Flaky     fails when LAB_SEED % 7 == 3
  Fake2B.Crash     aborts (SIGABRT) when LAB_SEED % 4 == 1
  Fake2B.Hang      sleeps for an hour when LAB_SEED % 5 == 4
  Fake2B.Slow      passes after FAKE_SLOW_SECONDS (default 0.3) seconds
  Fake2B.AlwaysFails  always fails
  Tool.Plain       passes (not a graded suite)

FAKE_FAIL=<test> makes that test fail for every seed. FAKE_MESSAGE=<file>
makes failures print that file as their message (it may span lines);
FAKE_WARNING=<line> makes every test print that line; FAKE_TSAN=1 makes
Fake2B.Crash end as ThreadSanitizer does (a report, exit status 66).
With LAB_DEBUG and LAB_DEBUG_FILE set it writes a trace there, a world per
test; FAKE_TRACE_ADDRESS=1 puts an object's address in it, the
nondeterminism scripts/check_determinism.py must catch.
"""

import fnmatch
import os
import sys
import time

TESTS = {
    "Fake2A": ["Pass", "Flaky"],
    "Fake2B": ["Crash", "Hang", "Slow", "AlwaysFails"],
    "Tool": ["Plain"],
}


def fails(test: str, seed: int) -> bool:
    if os.environ.get("FAKE_FAIL") == test:
        return True
    if test == "Fake2A.Flaky":
        return seed % 7 == 3
    return test == "Fake2B.AlwaysFails"


def main() -> int:
    args = sys.argv[1:]
    if "--gtest_list_tests" in args:
        for suite, names in TESTS.items():
            print(f"{suite}.")
            for n in names:
                print(f"  {n}")
        return 0
    filt = next((a.split("=", 1)[1] for a in args
                 if a.startswith("--gtest_filter=")), None)
    every = [f"{s}.{n}" for s, names in TESTS.items() for n in names]
    pats = (filt or "*").split(":")
    chosen = [t for t in every if any(fnmatch.fnmatchcase(t, p) for p in pats)]
    runtime = os.environ.get("LAB_RUNTIME", "sim")
    seed = int(os.environ.get("LAB_SEED", "1"))
    fuzz = " LAB_FUZZ=1" if os.environ.get("LAB_FUZZ") == "1" else ""
    print("Running main() from fake_gtest.py")
    print(f"[==========] Running {len(chosen)} tests from 1 test suite.")
    failed = []
    trace_path = os.environ.get("LAB_DEBUG_FILE")
    trace = (open(trace_path, "w") if trace_path and
             os.environ.get("LAB_DEBUG") else None)
    for test in chosen:
        print(f"[ RUN      ] {test}")
        if trace:
            trace.write(f"# world: runtime={runtime} seed={seed}\n"
                        f"000000.000 test     -- make_config {test}\n")
            if os.environ.get("FAKE_TRACE_ADDRESS") == "1":
                trace.write(f"000001.000 test     -- at {id(object()):x}\n")
            trace.flush()
        stage = test.split(".")[0][-2:]
        print(f"Test ({stage}): {test} ...")
        sys.stdout.flush()
        if os.environ.get("FAKE_WARNING"):
            print(os.environ["FAKE_WARNING"])
        if (test == "Fake2B.Crash" and seed % 4 == 1 and
                os.environ.get("FAKE_TSAN") == "1"):
            print("==================\n"
                  "WARNING: ThreadSanitizer: data race (pid=4242)\n"
                  "  Write of size 4 at 0x7b0400000010 by thread T2:\n"
                  "    #0 raft::Raft::Ticker() ../raft/raft.cc:212 (fake+0x1)\n"
                  "SUMMARY: ThreadSanitizer: data race ../raft/raft.cc:212 "
                  "in raft::Raft::Ticker()\n"
                  "==================")
            sys.stdout.flush()
            os._exit(66)
        if test == "Fake2B.Crash" and seed % 4 == 1:
            print("terminate called after throwing an instance of 'boom'")
            sys.stdout.flush()
            os.abort()
        if test == "Fake2B.Hang" and seed % 5 == 4:
            time.sleep(3600)
        if test == "Fake2B.Slow":
            time.sleep(float(os.environ.get("FAKE_SLOW_SECONDS", "0.3")))
        if fails(test, seed):
            print("tests/fake_test.cc:42: Failure")
            print("Failed")
            if os.environ.get("FAKE_MESSAGE"):
                with open(os.environ["FAKE_MESSAGE"]) as f:
                    print(f.read().rstrip("\n"))
            else:
                print(f"expected one leader, got none (seed {seed})")
            print(f"replay: LAB_RUNTIME={runtime} LAB_SEED={seed}{fuzz} "
                  f"{sys.argv[0]} --gtest_filter={test}")
            print(f"[  FAILED  ] {test} (5 ms)")
            failed.append(test)
        else:
            print("  ... Passed --   0.1  3   10    1000    0")
            print(f"[       OK ] {test} (5 ms)")
    print(f"[==========] {len(chosen)} tests from 1 test suite ran.")
    print(f"[  PASSED  ] {len(chosen) - len(failed)} tests.")
    for t in failed:
        print(f"[  FAILED  ] {t}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
