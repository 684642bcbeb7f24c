#!/usr/bin/env python3
"""Trace viewer: lays a raftlab debug trace out with one column per peer.

Reads trace lines as labrpc/trace.h writes them,

    001234.567 vote     S2 grant vote to S0 in term 3
    001240.000 test     -- disconnect S1 ...

and prints each event in its peer's column, wrapped to the column width, with
its topic coloured. Events of no peer (`--`: the fabric, the test harness)
span the whole width. Lines that are not trace lines (gtest output, the test
summary lines) pass through unchanged.

    LAB_DEBUG=all LAB_SEED=7 ./build/tests/raft_test \\
        --gtest_filter=Raft2A.ReElection 2>&1 | scripts/traceview.py
    scripts/traceview.py trace.log --only vote,leader,test
    scripts/traceview.py trace.log --ignore log,drop | less -R

Colours are on when the output is a terminal (--color forces them,
--no-color or NO_COLOR turns them off). With files the number of columns is
the highest peer seen plus one; reading a pipe without --peers reads all the
input first, so that the columns are known before the first line.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import textwrap
import zlib
from typing import Iterable, Iterator, TextIO

# <ms>.<us> <topic, padded to 8> S<peer>|-- <message>
TRACE_RE = re.compile(r"^(\d+\.\d{3}) (\S+) +(?:S(\d+)|--) (.*)$")

RESET = "\x1b[0m"
DIM = "\x1b[2m"
# Topics of the kit (raft/, labrpc/, tests/, kvraft/) get fixed colours so
# that the same topic looks the same in every trace; others hash into
# PALETTE.
TOPIC_COLORS = {
    "election": "\x1b[93m",  # bright yellow
    "vote": "\x1b[33m",  # yellow
    "leader": "\x1b[1;35m",  # bold magenta
    "term": "\x1b[35m",  # magenta
    "log": "\x1b[34m",  # blue
    "commit": "\x1b[32m",  # green
    "apply": "\x1b[92m",  # bright green
    "persist": "\x1b[36m",  # cyan
    "snapshot": "\x1b[96m",  # bright cyan
    "client": "\x1b[94m",  # bright blue
    "kv": "\x1b[94m",  # bright blue
    "drop": "\x1b[31m",  # red
    "test": "\x1b[1;97m",  # bold white
}
PALETTE = ["\x1b[91m", "\x1b[95m", "\x1b[90m", "\x1b[37m", "\x1b[1;33m",
           "\x1b[1;36m", "\x1b[1;32m", "\x1b[1;34m"]

TIME_WIDTH = 10  # 001234.567
TOPIC_WIDTH = 8
GUTTER = TIME_WIDTH + 1 + TOPIC_WIDTH + 1


def topic_color(topic: str) -> str:
    if topic in TOPIC_COLORS:
        return TOPIC_COLORS[topic]
    return PALETTE[zlib.crc32(topic.encode()) % len(PALETTE)]


class Event:
    """One parsed trace line."""

    __slots__ = ("time", "topic", "peer", "message")

    def __init__(self, time: str, topic: str, peer: int | None, message: str):
        self.time = time
        self.topic = topic
        self.peer = peer  # None: no peer ("--")
        self.message = message


def parse(line: str) -> Event | None:
    """The event of a trace line, None for any other line."""
    m = TRACE_RE.match(line.rstrip("\n"))
    if not m:
        return None
    peer = int(m.group(3)) if m.group(3) is not None else None
    return Event(m.group(1), m.group(2), peer, m.group(4))


def topic_set(text: str | None) -> set[str] | None:
    if not text:
        return None
    return {t.strip() for t in text.split(",") if t.strip()}


class Viewer:
    """Formats events into columns. Call render(line) per input line; it
    returns the output lines (maybe none, when filtered out)."""

    def __init__(self, peers: int, width: int, color: bool,
                 only: set[str] | None = None,
                 ignore: set[str] | None = None, columns: bool = True):
        self.peers = max(peers, 1)
        self.width = width
        self.color = color
        self.only = only
        self.ignore = ignore or set()
        self.columns = columns
        self.header_due = columns

    def col_width(self) -> int:
        return max((self.width - GUTTER) // self.peers, 8)

    def header(self) -> list[str]:
        cw = self.col_width()
        cells = "".join(f"S{p}".ljust(cw) for p in range(self.peers))
        line = ("time".ljust(TIME_WIDTH) + " " + "topic".ljust(TOPIC_WIDTH) +
                " " + cells).rstrip()
        rule = "-" * min(len(line), self.width)
        if self.color:
            return [f"\x1b[1m{line}{RESET}", f"{DIM}{rule}{RESET}"]
        return [line, rule]

    def wanted(self, ev: Event) -> bool:
        if self.only is not None and ev.topic not in self.only:
            return False
        return ev.topic not in self.ignore

    def _paint(self, text: str, code: str) -> str:
        return f"{code}{text}{RESET}" if self.color and text else text

    def format_event(self, ev: Event) -> list[str]:
        topic = ev.topic.ljust(TOPIC_WIDTH)
        code = topic_color(ev.topic)
        if not self.columns:
            peer = "--" if ev.peer is None else f"S{ev.peer}"
            return [f"{self._paint(ev.time, DIM)} {self._paint(topic, code)} "
                    f"{peer} {self._paint(ev.message, code)}"]
        if ev.peer is None:
            indent, width = 0, self.width - GUTTER
        else:
            cw = self.col_width()
            indent, width = ev.peer * cw, cw - 1
        chunks = textwrap.wrap(ev.message, width=max(width, 4),
                               break_long_words=True,
                               break_on_hyphens=False) or [""]
        out = []
        for i, chunk in enumerate(chunks):
            if i == 0:
                left = (self._paint(ev.time, DIM) + " " +
                        self._paint(topic, code) + " ")
            else:
                left = " " * GUTTER
            out.append((left + " " * indent +
                        self._paint(chunk, code)).rstrip())
        return out

    def render(self, line: str) -> list[str]:
        ev = parse(line)
        if ev is None:
            return [line.rstrip("\n")]
        if not self.wanted(ev):
            return []
        out = []
        if self.columns and ev.peer is not None and ev.peer >= self.peers:
            # A peer beyond the columns (streaming without enough --peers):
            # widen the layout and say so with a fresh header.
            self.peers = ev.peer + 1
            self.header_due = True
        if self.header_due:
            out += self.header()
            self.header_due = False
        return out + self.format_event(ev)


def max_peer(lines: Iterable[str]) -> int:
    """The highest peer number in the trace lines, -1 if none."""
    best = -1
    for line in lines:
        ev = parse(line)
        if ev is not None and ev.peer is not None:
            best = max(best, ev.peer)
    return best


def read_inputs(paths: list[str], stdin: TextIO) -> list[str]:
    lines: list[str] = []
    for p in paths or ["-"]:
        if p == "-":
            lines.extend(stdin)
        else:
            with open(p, encoding="utf-8", errors="replace") as f:
                lines.extend(f)
    return lines


def stream_inputs(paths: list[str], stdin: TextIO) -> Iterator[str]:
    for p in paths or ["-"]:
        if p == "-":
            yield from stdin
        else:
            with open(p, encoding="utf-8", errors="replace") as f:
                yield from f


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Show a raftlab trace with one column per peer.")
    p.add_argument("files", nargs="*", help="trace files (default: stdin)")
    p.add_argument("-o", "--only", metavar="TOPICS",
                   help="show only these topics (comma-separated)")
    p.add_argument("-x", "--ignore", metavar="TOPICS",
                   help="hide these topics (comma-separated)")
    p.add_argument("-p", "--peers", type=int,
                   help="number of peer columns (default: from the input); "
                        "with it, stdin is shown as it arrives")
    p.add_argument("-w", "--width", type=int,
                   help="output width (default: the terminal's, else 160)")
    p.add_argument("--no-columns", action="store_true",
                   help="one line per event, coloured and filtered only")
    color = p.add_mutually_exclusive_group()
    color.add_argument("--color", action="store_true",
                       help="colours even when not writing to a terminal")
    color.add_argument("--no-color", action="store_true", help="no colours")
    return p.parse_args(argv)


def main(argv: list[str], stdin: TextIO = sys.stdin,
         stdout: TextIO = sys.stdout) -> int:
    args = parse_args(argv)
    tty = stdout.isatty()
    if args.color:
        color = True
    else:
        color = tty and not args.no_color and "NO_COLOR" not in os.environ
    width = args.width or (shutil.get_terminal_size().columns if tty else 160)
    try:
        if args.peers is not None:
            lines: Iterable[str] = stream_inputs(args.files, stdin)
            peers = args.peers
        else:
            lines = read_inputs(args.files, stdin)
            peers = max_peer(lines) + 1
    except OSError as e:
        print(f"traceview: {e}", file=sys.stderr)
        return 2
    viewer = Viewer(peers, width, color, topic_set(args.only),
                    topic_set(args.ignore), columns=not args.no_columns)
    try:
        for line in lines:
            for out in viewer.render(line):
                stdout.write(out + "\n")
        stdout.flush()
    except BrokenPipeError:  # e.g. | head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
