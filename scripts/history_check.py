"""Reading and checking the histories that `raftkv workload` writes (the
text format of linearizability/text_format.h), for scripts/nemesis.py:

    ops, faults = read_history(Path("run/history-0.txt"))
    merged = merge_histories([ops0, ops1], faults)   # lines for lincheck
    problems = check_durability(all_ops, {"k0": "w0.1.3;w1.0.9;"})

check_durability is the "no acknowledged write is lost" check: the workload
writes a value used nowhere else in every Put and Append, each ending in
';', so a key's final value is the sequence of writes that made it. The
first token may be a Put (which replaced everything before it); every other
token must be an Append. What must hold, with P the Put the value starts
with (if it does):

  - every token was written to that key, once;
  - no acknowledged Put called after P returned (it would have replaced P);
    if the value does not start with a Put, no acknowledged Put at all;
  - every acknowledged Append called after P returned is in the value (all
    of them if there is no P);
  - acknowledged Appends are in real-time order: if A returned before B was
    called, A's token comes first.

A pending write (its client gave up waiting) may or may not be there. This
is weaker than lincheck's check of the whole history, and meant to be: it
names the lost write, which is what a learner needs to see first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "0": "\0"}


class HistoryError(Exception):
    pass


@dataclass
class Op:
    client: int
    call: int
    ret: int | None          # None: pending
    kind: str                # get, put, append
    key: str
    value: str
    output: str | None       # None: never seen ("?")
    source: str = ""         # file:line, for messages

    @property
    def pending(self) -> bool:
        return self.ret is None


@dataclass
class Fault:
    start: int
    end: int | None
    label: str


def _tokens(line: str) -> list[tuple[str, bool]]:
    """(text, quoted) for each token of a line, up to a # comment."""
    out = []
    i = 0
    while i < len(line):
        c = line[i]
        if c.isspace():
            i += 1
            continue
        if c == "#":
            break
        if c == '"':
            i += 1
            s = []
            while True:
                if i >= len(line):
                    raise HistoryError("unterminated quoted string")
                c = line[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\":
                    e = line[i + 1:i + 2]
                    if e == "x":
                        s.append(chr(int(line[i + 2:i + 4], 16)))
                        i += 4
                        continue
                    if e not in _ESCAPES:
                        raise HistoryError(f"unknown escape \\{e}")
                    s.append(_ESCAPES[e])
                    i += 2
                    continue
                s.append(c)
                i += 1
            out.append(("".join(s), True))
        else:
            j = i
            while j < len(line) and not line[j].isspace():
                j += 1
            out.append((line[i:j], False))
            i = j
    return out


def _string(tok: tuple[str, bool]) -> str:
    text, quoted = tok
    return "" if (text == "-" and not quoted) else text


def read_history(path: Path) -> tuple[list[Op], list[Fault]]:
    ops, faults = [], []
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        where = f"{path}:{lineno}"
        try:
            t = _tokens(line)
            if not t or t[0] == ("unit", False):
                continue
            if t[0] == ("fault", False):
                faults.append(Fault(int(t[1][0]), None if t[2][0] == "-"
                                    else int(t[2][0]), t[3][0]))
                continue
            if len(t) != 7:
                raise HistoryError(f"{len(t)} fields, expected 7")
            out = None if t[6] == ("?", False) else _string(t[6])
            ops.append(Op(int(t[0][0]), int(t[1][0]),
                          None if t[2] == ("-", False) else int(t[2][0]),
                          t[3][0], _string(t[4]), _string(t[5]), out, where))
        except (HistoryError, ValueError, IndexError) as e:
            raise HistoryError(f"{where}: {e}") from None
    return ops, faults


def _quote(s: str) -> str:
    if not s:
        return "-"
    if s in ("-", "?") or s[0] == "#" or any(
            c.isspace() or c in '"\\' or ord(c) < 0x20 for c in s):
        return '"' + "".join(
            "\\" + {"\n": "n", "\t": "t", "\r": "r", "\0": "0"}.get(c, c)
            if c in '"\\\n\t\r\0' else c for c in s) + '"'
    return s


def format_op(op: Op) -> str:
    ret = "-" if op.ret is None else str(op.ret)
    value = "-" if op.kind == "get" else _quote(op.value)
    out = "?" if op.output is None else (
        _quote(op.output) if op.kind == "get" else "-")
    return f"{op.client} {op.call} {ret} {op.kind} {_quote(op.key)} " \
           f"{value} {out}"


def merge_histories(histories: list[list[Op]], faults: list[Fault],
                    extra: list[Op] = ()) -> str:
    """One history text of several processes' histories (their clients
    renumbered so that they stay apart: process i's client c becomes
    i*1000+c), the faults and `extra` operations (kept as they are)."""
    lines = ["# merged by scripts/nemesis.py: client call return op key "
             "value output", "unit ns"]
    for f in faults:
        end = "-" if f.end is None else str(f.end)
        label = _quote(f.label) if f.label else "-"
        lines.append(f"fault {f.start} {end} {label}")
    for i, ops in enumerate(histories):
        for op in ops:
            lines.append(format_op(Op(i * 1000 + op.client, op.call, op.ret,
                                      op.kind, op.key, op.value, op.output)))
    lines.extend(format_op(op) for op in extra)
    return "\n".join(lines) + "\n"


@dataclass
class KeyReport:
    key: str
    tokens: int = 0
    acked_writes: int = 0
    problems: list[str] = field(default_factory=list)


def _split_tokens(value: str) -> list[str]:
    if not value:
        return []
    parts = value.split(";")
    if parts[-1] != "":
        return [p + ";" for p in parts[:-1]] + [parts[-1]]  # a torn tail
    return [p + ";" for p in parts[:-1]]


def _describe(op: Op) -> str:
    return f"{op.kind} {op.value!r} ({op.source})"


def check_durability(ops: list[Op], final: dict[str, str]) -> list[KeyReport]:
    """One report per key of `final` (the values read after the restart of
    every node); a report with problems is a lost or misplaced write."""
    writes: dict[str, dict[str, Op]] = {}
    for op in ops:
        if op.kind != "get":
            writes.setdefault(op.key, {})[op.value] = op
    reports = []
    for key, value in sorted(final.items()):
        rep = KeyReport(key)
        reports.append(rep)
        by_token = writes.get(key, {})
        tokens = _split_tokens(value)
        rep.tokens = len(tokens)
        acked = [w for w in by_token.values() if not w.pending]
        rep.acked_writes = len(acked)
        seen = set()
        for pos, tok in enumerate(tokens):
            w = by_token.get(tok)
            if w is None:
                rep.problems.append(f"the value holds {tok!r}, which no "
                                    f"client wrote to {key}")
            elif tok in seen:
                rep.problems.append(f"the value holds {tok!r} twice: "
                                    f"{_describe(w)} took effect twice")
            elif pos > 0 and w.kind == "put":
                rep.problems.append(f"{_describe(w)} is in the middle of the "
                                    "value, where only appends can be")
            seen.add(tok)
        first = by_token.get(tokens[0]) if tokens else None
        base = first if first is not None and first.kind == "put" else None
        after = -1 if base is None else (
            float("inf") if base.pending else base.ret)
        lost = []
        for w in sorted(acked, key=lambda w: w.call):
            if w is base or w.call <= after:
                continue  # before P returned: P may have replaced it
            if w.kind == "put" or w.value not in seen:
                lost.append(w)
        if lost:
            shown = "; ".join(_describe(w) for w in lost[:3])
            more = f" and {len(lost) - 3} more" if len(lost) > 3 else ""
            start = (f"starts with the put {base.value!r} ({base.source})"
                     if base else "starts with no put")
            if not tokens:
                start = "is empty"
            rep.problems.append(
                f"{len(lost)} acknowledged writes that must be in the value "
                f"are not (the value {start}): {shown}{more}")
        # Real-time order of the acknowledged appends that are there.
        index = {tok: i for i, tok in enumerate(tokens)}
        present = sorted((w for w in acked if w.kind == "append"
                          and w.value in index), key=lambda w: index[w.value])
        rep.problems.extend(_order_problems(present))
        if len(rep.problems) > 6:
            rep.problems = rep.problems[:6] + [
                f"... and {len(rep.problems) - 6} more problems"]
    return reports


def _order_problems(present: list[Op]) -> list[str]:
    """present: acknowledged appends in value order. A later token must not
    have returned before an earlier one was called."""
    problems = []
    # min_ret[i]: the op of the earliest return among present[i:].
    earliest = None
    suffix = [None] * len(present)
    for i in range(len(present) - 1, -1, -1):
        if earliest is None or present[i].ret < earliest.ret:
            earliest = present[i]
        suffix[i] = earliest
    for i in range(len(present) - 1):
        later = suffix[i + 1]
        if later.ret < present[i].call:
            problems.append(f"{_describe(later)} returned before "
                            f"{_describe(present[i])} was called, yet "
                            "comes after it in the value")
            break
    return problems
