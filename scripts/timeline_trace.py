"""Reading a raftlab debug trace for scripts/timeline.py: the events of
one world (roles, indexes, faults, RPCs, client operations), by topic and
wording; timeline.py's docstring lists the lines it understands.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from traceview import TRACE_RE  # noqa: E402  (the path above)

FOLLOWER, CANDIDATE, LEADER, DOWN = 0, 1, 2, 3
# Topics through which a Raft reports its own role changes.
ROLE_TOPICS = {"term", "election", "leader"}

STATE_RE = re.compile(r"term (\d+) (leader|not-leader) log (\d+) commit (\d+)"
                      r" applied (\d+) snapshot (\d+)")
SEND_RE = re.compile(r"#(\d+) send (\S+) from end (\S+) to (\S+)")
RPC_RE = re.compile(r"#(\d+) (deliver|reply|lost: (.*))$")
DROP_RE = re.compile(r"end (\S+): (?:request (\S+) dropped|reply to (\S+) "
                     r"dropped|(\S+) to dead server)")
OP_RE = re.compile(r"C(-?\d+) call (\d+\.\d{3}) (.*)$")


class Trace:
    """The events of one world, gathered for the page."""

    def __init__(self) -> None:
        self.lines: list[str] = []  # the trace lines, for the tooltips
        self.header = ""
        self.peers: set[int] = set()
        self.end_us = 0
        self.roles: dict[int, list[tuple]] = {}  # peer -> (t, role, term, ln)
        self.state_roles: dict[int, list[tuple]] = {}
        self.own_roles: set[int] = set()  # peers whose Raft traces roles
        # (lane, log|commit|snap|config|shard) -> [[t, value, ln], ...]
        self.series: dict[tuple, list] = {}
        self.down: dict[int, list] = {}  # peer -> [[t0, t1, ln]]
        self.disconnected: dict[int, list] = {}
        self.bands: list[list] = []  # [t0, t1, kind, label, ln]
        self.marks: list[list] = []  # [t, kind, label, ln]
        self.ends: dict[str, tuple[int, int]] = {}  # end -> (from, to)
        self.rpcs: dict[int, dict] = {}
        self.rv_sends: dict[int, list[int]] = {}  # peer -> RequestVote times
        # peer -> [t, ln]: its Raft says it took a leader's AppendEntries.
        self.heard: dict[int, list] = {}
        self.drops: list[list] = []  # [t, from, to, kind, ln]
        self.ops: list[list] = []  # [client, call, ret, label, ln]
        self.titles: list[str] = []
        self.group_lanes: dict[str, str] = {}  # shardkv: key -> label
        self.failed = False
        self._open: dict[str, list] = {}  # open bands by key
        self._down_since: dict[int, list] = {}
        self._cut: dict[int, list] = {}


def micros(stamp: str) -> int:
    """A trace time "<ms>.<us>" in microseconds."""
    ms, us = stamp.split(".")
    return int(ms) * 1000 + int(us)


def split_worlds(text: str) -> list[list[str]]:
    """The lines of each world ("# world:" starts one); lines before the
    first header form a world of their own if they hold trace lines."""
    worlds: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.startswith("# world:"):
            worlds.append([])
        worlds[-1].append(line)
    return [w for w in worlds if any(TRACE_RE.match(x) for x in w)]


def choose_world(worlds: list[list[str]], index: int | None) -> list[str]:
    if index is not None:
        if not 0 <= index < len(worlds):
            raise ValueError(f"--world {index}: the trace has {len(worlds)} "
                             f"world(s)")
        return worlds[index]
    for w in worlds:
        if any(" test     -- FAIL " in x or " test -- FAIL " in x for x in w):
            return w
    return worlds[-1]


def _role(tr: Trace, table: dict, peer: int, t: int, role: int, term: int,
          ln: int) -> None:
    table.setdefault(peer, []).append((t, role, term, ln))


def _band_open(tr: Trace, key: str, t: int, kind: str, label: str,
               ln: int) -> None:
    _band_close(tr, key, t)
    tr._open[key] = [t, None, kind, label, ln]


def _band_close(tr: Trace, key: str, t: int) -> None:
    b = tr._open.pop(key, None)
    if b is not None:
        b[1] = t
        if b[1] > b[0]:
            tr.bands.append(b)


def _partition_label(tr: Trace) -> str:
    """The sides of the network while some peers are cut off (the Raft
    harness disconnects a peer from everyone)."""
    cut = sorted(tr._cut)
    rest = sorted(p for p in tr.peers if p not in tr._cut)
    sides = ["{" + ",".join(map(str, rest)) + "}"] if rest else []
    return " | ".join(sides + ["{%d}" % p for p in cut])


def _connectivity(tr: Trace, t: int, ln: int) -> None:
    if tr._cut:
        _band_open(tr, "partition", t, "partition", _partition_label(tr), ln)
    else:
        _band_close(tr, "partition", t)


def _harness(tr: Trace, t: int, peer: int | None, msg: str, ln: int) -> None:
    """The test harness's lines (topic test)."""
    if peer is not None:
        if msg.startswith("ends "):
            for j, name in enumerate(msg[5:].split()):
                tr.ends[name] = (peer, j)
        elif msg == "disconnect":
            tr._cut[peer] = [t, ln]
            _connectivity(tr, t, ln)
        elif msg == "connect":
            since = tr._cut.pop(peer, None)
            if since is not None and t > since[0]:
                tr.disconnected.setdefault(peer, []).append(
                    [since[0], t, since[1]])
            _connectivity(tr, t, ln)
        elif msg in ("crash", "shutdown server"):
            tr._down_since.setdefault(peer, [t, ln])
            _role(tr, tr.roles, peer, t, DOWN, -1, ln)
            _role(tr, tr.state_roles, peer, t, DOWN, -1, ln)
        elif msg.startswith("start"):
            since = tr._down_since.pop(peer, None)
            if since is not None and t > since[0]:
                tr.down.setdefault(peer, []).append([since[0], t, since[1]])
                tr.marks.append([t, "restart", f"S{peer} restarts", ln])
            _role(tr, tr.roles, peer, t, FOLLOWER, -1, ln)
            _role(tr, tr.state_roles, peer, t, FOLLOWER, -1, ln)
        return
    if msg.startswith("FAIL "):
        tr.failed = True
        tr.marks.append([t, "fail", msg, ln])
    elif msg.startswith("begin "):
        tr.titles.append(msg[6:])
        tr.marks.append([t, "begin", msg[6:], ln])
    elif msg.startswith("make_config") and "unreliable=1" in msg:
        _band_open(tr, "unreliable", t, "unreliable", "unreliable network",
                   ln)
    elif msg in ("unreliable on", "unreliable off"):
        if msg.endswith("on"):
            _band_open(tr, "unreliable", t, "unreliable",
                       "unreliable network", ln)
        else:
            _band_close(tr, "unreliable", t)
    elif msg in ("long reordering on", "long reordering off"):
        if msg.endswith("on"):
            _band_open(tr, "reorder", t, "reorder", "long reordering", ln)
        else:
            _band_close(tr, "reorder", t)
    elif msg.startswith("partition "):
        sides = re.findall(r"\[([^\]]*)\]", msg)
        label = " | ".join("{" + s + "}" for s in sides)
        if all(sides):
            _band_open(tr, "partition", t, "partition", label, ln)
        else:
            _band_close(tr, "partition", t)
    elif msg == "connect all":
        _band_close(tr, "partition", t)
    elif re.match(r"(join|leave|move) ", msg):
        tr.marks.append([t, "config", msg, ln])
    elif re.match(r"(shutdown|start) server-\d+-\d+", msg):
        m = re.match(r"(shutdown|start) server-(\d+)-(\d+)", msg)
        key = f"{m.group(2)}.{m.group(3)}"
        if m.group(1) == "shutdown":
            tr._down_since.setdefault(key, [t, ln])
        else:
            since = tr._down_since.pop(key, None)
            if since is not None and t > since[0]:
                tr.down.setdefault(key, []).append([since[0], t, since[1]])
    elif msg == "cleanup":
        tr.marks.append([t, "end", "cleanup", ln])


def _own_role(tr: Trace, t: int, peer: int, topic: str, msg: str,
              ln: int) -> None:
    """A Raft's own role lines (the wording in the module's docstring)."""
    m = None
    if topic == "term":
        m = re.match(r"term \d+ -> (\d+)", msg)
        role = FOLLOWER
    elif topic == "election":
        m = re.match(r"start election for term (\d+)", msg)
        role = CANDIDATE
    elif topic == "leader":
        m = re.match(r"leader for term (\d+)", msg)
        role = LEADER
        if not m:
            m = re.match(r"step down in term (\d+)", msg)
            role = FOLLOWER
    if m:
        tr.own_roles.add(peer)
        _role(tr, tr.roles, peer, t, role, int(m.group(1)), ln)


def _series(tr: Trace, peer: int, name: str, t: int, v: int, ln: int) -> None:
    tr.series.setdefault((peer, name), []).append([t, v, ln])


def _raft_indexes(tr: Trace, t: int, peer: int, topic: str, msg: str,
                  ln: int) -> None:
    """Log and commit indexes from a Raft's own lines, where it traces
    them (the wording in the module's docstring)."""
    m = re.search(r"commit \d+ -> (\d+)", msg) if topic == "commit" else None
    if m:
        _series(tr, peer, "commit", t, int(m.group(1)), ln)
    if topic == "log" and re.match(r"(append from|reject prev)", msg):
        tr.heard.setdefault(peer, []).append([t, ln])
    if topic == "log":
        m = re.search(r"log now \(\d+, (\d+)\]", msg) or re.match(
            r"start: append index (\d+)", msg)
        if m:
            _series(tr, peer, "log", t, int(m.group(1)), ln)
    if topic == "snapshot":
        m = re.search(r"(?:snapshot through|install snapshot through) (\d+)",
                      msg)
        if m and not msg.startswith("ignore"):
            _series(tr, peer, "snap", t, int(m.group(1)), ln)


def _rpc(tr: Trace, t: int, msg: str, ln: int) -> None:
    m = SEND_RE.match(msg)
    if m:
        call, meth, end, to = m.groups()
        kind = meth.rsplit(".", 1)[-1]
        src, dst = tr.ends.get(end, (None, None))
        if dst is None and to.isdigit():
            dst = int(to)
        tr.rpcs[int(call)] = {"k": kind, "f": src, "to": dst, "s": t,
                              "d": None, "r": None, "lost": None, "ln": [ln]}
        if kind == "RequestVote" and src is not None:
            tr.rv_sends.setdefault(src, []).append(t)
        return
    m = RPC_RE.match(msg)
    if m and int(m.group(1)) in tr.rpcs:
        r = tr.rpcs[int(m.group(1))]
        r["ln"].append(ln)
        if m.group(2) == "deliver":
            r["d"] = t
        elif m.group(2) == "reply":
            r["r"] = t
        else:
            r["lost"] = [t, m.group(3)]


def _drop(tr: Trace, t: int, msg: str, ln: int) -> None:
    m = DROP_RE.match(msg)
    if m:
        src, dst = tr.ends.get(m.group(1), (None, None))
        meth = m.group(2) or m.group(3) or m.group(4) or ""
        tr.drops.append([t, src, dst, meth.rsplit(".", 1)[-1], ln])


def _op(tr: Trace, t: int, msg: str, ln: int) -> None:
    m = OP_RE.match(msg)
    if m:
        tr.ops.append([int(m.group(1)), micros(m.group(2)), t, m.group(3),
                       ln])


def _service(tr: Trace, t: int, peer: int, topic: str, msg: str,
             ln: int) -> None:
    """shardkv's configuration changes and shard moves, and the shard
    controller's latest configuration, where traced: lanes of their own,
    one per server of each group ("G100 S0"), since a Raft's lines do not
    say which group's Raft wrote them."""
    m = re.match(r"G(\d+) (.*)", msg) if topic == "shardkv" else None
    if m:
        key = f"{m.group(1)}.{peer}"
        tr.group_lanes[key] = f"G{m.group(1)} S{peer}"
        c = re.match(r"now in config (\d+)", m.group(2))
        if c:
            _series(tr, key, "config", t, int(c.group(1)), ln)
        c = re.match(r"config \d+: (installed|deleted) shard (\d+)",
                     m.group(2))
        if c:
            tr.series.setdefault((key, "shard"), []).append(
                [t, int(c.group(2)), ln, c.group(1) == "installed"])
    m = re.search(r"latest #(\d+)", msg) if topic == "ctrler" else None
    if m:
        key = f"ctrler.{peer}"
        tr.group_lanes[key] = f"ctrler S{peer}"
        _series(tr, key, "config", t, int(m.group(1)), ln)


def parse(lines: list[str]) -> Trace:
    tr = Trace()
    for line in lines:
        if line.startswith("# world:"):
            tr.header = line[2:]
            continue
        m = TRACE_RE.match(line)
        if not m:
            continue
        t = micros(m.group(1))
        topic, peer, msg = m.group(2), m.group(3), m.group(4)
        peer = int(peer) if peer is not None else None
        ln = len(tr.lines)
        tr.lines.append(line)
        tr.end_us = max(tr.end_us, t)
        if peer is not None and topic not in ("op",):
            tr.peers.add(peer)
        if topic == "test":
            _harness(tr, t, peer, msg, ln)
        elif topic == "rpc":
            _rpc(tr, t, msg, ln)
        elif topic == "drop":
            _drop(tr, t, msg, ln)
        elif topic == "op":
            _op(tr, t, msg, ln)
        elif topic == "state" and peer is not None:
            s = STATE_RE.match(msg)
            if s:
                term, lead, log, commit, _, snap = s.groups()
                _role(tr, tr.state_roles, peer, t,
                      LEADER if lead == "leader" else FOLLOWER, int(term), ln)
                _series(tr, peer, "log", t, int(log), ln)
                _series(tr, peer, "commit", t, int(commit), ln)
                _series(tr, peer, "snap", t, int(snap), ln)
        elif peer is not None:
            if topic in ROLE_TOPICS:
                _own_role(tr, t, peer, topic, msg, ln)
            _raft_indexes(tr, t, peer, topic, msg, ln)
            _service(tr, t, peer, topic, msg, ln)
    for key in list(tr._open):
        _band_close(tr, key, tr.end_us)
    for peer, (t0, ln) in tr._down_since.items():
        if tr.end_us > t0:
            tr.down.setdefault(peer, []).append([t0, tr.end_us, ln])
    for peer, (t0, ln) in tr._cut.items():
        if tr.end_us > t0:
            tr.disconnected.setdefault(peer, []).append([t0, tr.end_us, ln])
    return tr


