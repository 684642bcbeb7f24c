#!/usr/bin/env python3
"""The runtime rule, checked: lab code (raft/, kvraft/, shardctrler/,
shardkv/) does all
its concurrency, time and randomness through labrpc/runtime.h.

Lists every use of a thread, lock, condition variable, sleep, clock or
random source of the standard library (or of POSIX) in the lab's C++
files, with file:line:column and the runtime call to use instead:

    raft/raft.cc:88:3: std::thread: use labrpc::Go(name, fn), a task the
        runtime schedules    (one line)

Comments and string literals are ignored, and so are `#include` lines
(std::lock_guard and std::unique_lock over a labrpc::Mutex need <mutex>
and are fine). A line that must keep such a use anyway (a process-wide
debug counter touched outside any world, say) says why in a comment with
`runtime-rule: allow`, e.g. `std::mutex m;  // runtime-rule: allow (...)`.

    scripts/check_runtime_rule.py                # the lab folders
    scripts/check_runtime_rule.py --root DIR     # of another tree
    scripts/check_runtime_rule.py FILE...        # just these files

Every build runs it: a CMake step that the lab libraries wait for, so
`make build`, `make grade`, `make stress` and a plain `cmake --build` all
check, and a violation stops the build before anything compiles.

It fails the build (exit status 1) instead of warning, because each of
these calls breaks the sim runtime far from its cause. A std::mutex, a
condition variable or sleep_for blocks the one OS thread that every sim
task shares: the test hangs, or the runtime's watchdog aborts it much
later. A std::thread calls the runtime from outside any task: a
MisuseError, or a race under the real runtime. A wall clock or rand()
makes a seed stop replaying. A warning scrolls away in the build output;
an error names the line at once. Exit status: 0 if none, 1 if any use was
found, 2 on a usage error (a missing file or folder).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LAB_DIRS = ("raft", "kvraft", "shardctrler", "shardkv")
CPP_SUFFIXES = (".h", ".cc", ".cpp", ".hpp")
ALLOW = "runtime-rule: allow"

# (pattern, what to use instead), over code with comments, strings and
# #include lines blanked out.
_NOT_MEMBER = r"(?<![\w.>])"  # not obj.name or p->name
_NOW = "labrpc::Now(), the world's clock (virtual under sim)"
_RAND = "labrpc::RandInt(n) or labrpc::RandUint64(), from the world's seed"
RULES = [
    (r"\bstd::j?thread\b|\bpthread_create\b",
     "labrpc::Go(name, fn), a task the runtime schedules"),
    (r"\bstd::async\b",
     "labrpc::Go(name, fn), with a labrpc::Channel for the result"),
    (r"\bstd::(?:recursive_|timed_|recursive_timed_|shared_|shared_timed_)?"
     r"mutex\b", "labrpc::Mutex, held with labrpc::MutexLock"),
    (r"\bstd::condition_variable(?:_any)?\b",
     "labrpc::CondVar, waited on with its labrpc::Mutex held"),
    (r"(?:\bstd::)?\bthis_thread::sleep_(?:for|until)\b|" + _NOT_MEMBER +
     r"\b(?:usleep|nanosleep)\s*\(", "labrpc::Sleep(duration)"),
    (r"(?:\bstd::)?\bthis_thread::yield\b",
     "a wait that blocks: labrpc::CondVar, labrpc::Channel or "
     "labrpc::Sleep"),
    (r"\b(?:system|steady|high_resolution|utc|tai|gps|file)_clock\s*::\s*"
     r"now\b", _NOW),
    (_NOT_MEMBER + r"\b(?:gettimeofday|clock_gettime)\s*\(", _NOW),
    (_NOT_MEMBER + r"(?:\bstd::)?\btime\s*\(\s*(?:nullptr|NULL|0)?\s*\)",
     _NOW),
    (_NOT_MEMBER + r"(?:\bstd::)?\bs?rand\s*\(", _RAND),
    (r"(?:\bstd::)?\brandom_device\b", _RAND),
]
RULES = [(re.compile(p), instead) for p, instead in RULES]


def code_only(text: str) -> str:
    """`text` with comments, string and character literals and #include
    lines replaced by spaces, newlines kept, so that columns and line
    numbers still match."""
    out = list(text)
    i, n = 0, len(text)

    def blank(a: int, b: int) -> None:
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    line_start = True
    while i < n:
        c = text[i]
        if line_start:
            m = re.match(r"[ \t]*#[ \t]*include\b[^\n]*", text[i:])
            if m:
                blank(i, i + m.end())
                i += m.end()
                continue
        line_start = c == "\n"
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            blank(i, j)
            i = j
        elif c == '"' and i > 0 and text[i - 1] == "R" and (
                i < 2 or not (text[i - 2].isalnum() or text[i - 2] == "_") or
                text[max(0, i - 3):i - 1] in ("u8",) or
                text[i - 2] in "uUL"):
            m = re.match(r'"([^()\\\s]{0,16})\(', text[i:])
            if not m:
                i += 1
                continue
            end = text.find(")" + m.group(1) + '"', i + m.end())
            j = n if end < 0 else end + len(m.group(1)) + 2
            blank(i, j)
            i = j
        elif c == '"' or (c == "'" and not (
                i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_"))):
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            blank(i, j + 1)
            i = j + 1
        else:
            i += 1
    return "".join(out)


def check_text(text: str, rel: str) -> list[str]:
    """'file:line:col: what: use instead' for each use in one file."""
    found = []
    original = text.split("\n")
    for n, line in enumerate(code_only(text).split("\n"), 1):
        if ALLOW in original[n - 1]:
            continue
        hits = []
        for pattern, instead in RULES:
            for m in pattern.finditer(line):
                token = re.sub(r"\s+", "", m.group(0))
                if token.endswith("("):
                    token += ")"
                elif token.endswith("::now"):
                    token += "()"
                hits.append((m.start(), token, instead))
        for col, token, instead in sorted(hits):
            found.append(f"{rel}:{n}:{col + 1}: {token}: use {instead}")
    return found


def lab_files(root: Path) -> list[Path]:
    files = []
    for d in LAB_DIRS:
        if (root / d).is_dir():
            files += [p for p in (root / d).rglob("*")
                      if p.suffix in CPP_SUFFIXES and p.is_file()]
    return sorted(files)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        description="List uses of std threads, locks, sleeps, clocks and "
                    "random sources in the lab's code (raft/, kvraft/, "
                    "shardctrler/, shardkv/), with the labrpc runtime call to use "
                    "instead.")
    p.add_argument("files", nargs="*", type=Path,
                   help="files to check (default: the lab folders of "
                        "--root)")
    p.add_argument("--root", type=Path, default=REPO,
                   help="the tree whose lab folders to "
                        "check (default: this repository)")
    args = p.parse_args(argv)
    root = args.root.resolve()
    if args.files:
        files = [f.resolve() for f in args.files]
    else:
        if not any((root / d).is_dir() for d in LAB_DIRS):
            print(f"check_runtime_rule: {root} has none of "
                  f"{', '.join(LAB_DIRS)}", file=sys.stderr)
            return 2
        files = lab_files(root)
    found = []
    for f in files:
        try:
            text = f.read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            print(f"check_runtime_rule: {e}", file=sys.stderr)
            return 2
        try:
            rel = f.relative_to(root).as_posix()
        except ValueError:
            rel = str(f)
        found += check_text(text, rel)
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(f"check_runtime_rule: {len(found)} use(s) of the standard "
              f"library's threads, locks, sleeps, clocks or random sources "
              f"in lab code. Under the sim runtime every task is a fiber on "
              f"one OS thread, with a virtual clock and one seed: use "
              f"labrpc/runtime.h instead (README.md, \"The runtime rule\"). "
              f"A line that must keep one says why in a comment with "
              f"'{ALLOW}'.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
