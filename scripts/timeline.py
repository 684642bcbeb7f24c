#!/usr/bin/env python3
"""Timeline: draws a raftlab debug trace as one self-contained HTML page.

    LAB_DEBUG=all LAB_DEBUG_FILE=run.trace LAB_SEED=7 \\
        build/tests/raft_test --gtest_filter=Raft2A.ReElection
    scripts/timeline.py run.trace -o run.html

The page has one lane per peer: its role over time (follower, candidate,
leader; down while crashed) with the term on each span, and its log's last
index and commit index as step lines, with snapshots marked. The faults the
harness injected (partitions with their sides, crashes and restarts,
unreliable and long-reordering periods) share the time axis, as do the
RPCs (arrows from sender to receiver, filterable by kind) and, for kvraft
and shardkv, the clerks' operations (bars from call to return, one lane per
client) and configuration changes. Zoom with the wheel, pan by dragging,
hover anything for its trace line. A test run with LAB_TIMELINE=1 writes
this page itself when it fails (tests/timeline_hook.h).

What the page can draw depends on what was traced; it says what is
missing. The harness traces its own view of each peer (topic "state", from
the Status() it polls every 10 ms), so the lanes work for any Raft. A Raft
that traces its own role changes gets exact spans instead, from lines worded
like these (LAB_TRACE(topic, me, ...)):

    term      term 3 -> 4
    election  start election for term 4 ...
    leader    leader for term 4 ...       step down in term 4
    log       append from S2 ...          reject prev ...  (a leader heard)
    log       log now (0, 12] ...         start: append index 12 ...
    commit    commit 10 -> 12 ...
    snapshot  snapshot through 9 ...      install snapshot through 9 ...

A trace holding several worlds
(a whole test binary's trace) is cut to one: --world N, else the first that
failed, else the last.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timeline_trace import (  # noqa: E402  (the path above)
    CANDIDATE, DOWN, FOLLOWER, LEADER, Trace, choose_world, parse,
    split_worlds)

ASSETS = Path(__file__).resolve().parent / "timeline"


def _state_candidates(tr: Trace, peer: int, events: list[tuple]) -> list:
    """Observed terms a peer campaigned in: a RequestVote it sent makes its
    next observed term (the one it ran for) a candidate's, from the send."""
    sends = tr.rv_sends.get(peer, [])
    if not sends:
        return events
    out = list(events)
    k = 0
    for t in sends:
        while k < len(events) and events[k][0] < t:
            k += 1
        nxt = next((e for e in events[k:] if e[1] != DOWN), None)
        if nxt is not None and nxt[1] == FOLLOWER and nxt[2] >= 0:
            out.append((t, CANDIDATE, nxt[2], nxt[3]))
    out.sort(key=lambda e: e[0])
    # An observation of the same term while still not leader keeps the
    # candidate's colour: the harness cannot see a candidate give up.
    kept, role = [], None
    for e in out:
        if (role is not None and role[1] == CANDIDATE and e[1] == FOLLOWER
                and e[2] == role[2]):
            continue
        kept.append(e)
        role = e
    return kept


def spans(tr: Trace, peer: int) -> list[list]:
    """[t0, t1, role, term, ln] per span of one peer's role."""
    if peer in tr.own_roles:
        events = sorted(tr.roles.get(peer, []), key=lambda e: e[0])
    else:
        events = sorted(tr.state_roles.get(peer, []), key=lambda e: e[0])
        events = _state_candidates(tr, peer, events)
    out: list[list] = []
    term = 0
    for t, role, tm, ln in events:
        # A restart has no term of its own: it goes on with the last one.
        if tm < 0:
            tm = term if role != DOWN else -1
        else:
            term = tm
        if out and out[-1][2] == role and out[-1][3] == tm:
            continue
        if out:
            out[-1][1] = t
        out.append([t, None, role, tm, ln])
    if out:
        out[-1][1] = max(tr.end_us, out[-1][0])
    return [s for s in out if s[1] > s[0] or s is out[-1]]


def _role_at(spans_of: list[list], t: int) -> list | None:
    for s in spans_of:
        if s[0] <= t < s[1]:
            return s
    return None


def end_lost_campaigns(tr: Trace, by_peer: dict[int, list]) -> None:
    """A candidate that hears from its term's leader is a follower from
    then on, though its term does not change, so nothing traces it. It is
    seen here: its Raft's own line about the leader's AppendEntries, or
    the delivery of one sent by a peer then leading in that term."""
    heard = {p: list(v) for p, v in tr.heard.items()}
    for r in tr.rpcs.values():
        if r["k"] != "AppendEntries" or r["d"] is None or r["f"] is None:
            continue
        s = _role_at(by_peer.get(r["f"], []), r["s"])
        if s is not None and s[2] == LEADER:
            # r["ln"]: the send's line, then the delivery's.
            heard.setdefault(r["to"], []).append([r["d"], r["ln"][1], s[3]])
    for p, spans_of in by_peer.items():
        events = sorted(heard.get(p, []))
        out = []
        for s in spans_of:
            h = None
            if s[2] == CANDIDATE:
                h = next((e for e in events if s[0] < e[0] < s[1] and
                          (len(e) < 3 or e[2] == s[3])), None)
            if h is None:
                out.append(s)
            else:
                out += [[s[0], h[0], CANDIDATE, s[3], s[4]],
                        [h[0], s[1], FOLLOWER, s[3], h[1]]]
        by_peer[p] = out


def _lane_order(key: str) -> tuple:
    group, peer = key.split(".")
    return (group != "ctrler", int(group) if group.isdigit() else 0,
            int(peer))


def model(tr: Trace, title: str) -> dict:
    notes = []
    labels = {}
    if tr.group_lanes:
        # shardkv: lanes per group server; down while shut down.
        peers = sorted(tr.group_lanes, key=_lane_order)
        labels = dict(tr.group_lanes)
        by_peer = {p: [[a, b, DOWN, -1, ln] for a, b, ln in
                       tr.down.get(p, [])] for p in peers}
        notes.append("shardkv: one lane per server of each group, with its "
                     "configuration number; roles are not drawn, since "
                     "Raft's lines do not say which group wrote them")
    else:
        peers = sorted(tr.peers)
        by_peer = {p: spans(tr, p) for p in peers}
        end_lost_campaigns(tr, by_peer)
    if not tr.group_lanes and not any(p in tr.own_roles for p in peers):
        if tr.state_roles:
            notes.append("roles and terms: the harness's observations "
                         "(every 10 ms); candidates inferred from "
                         "RequestVote sends")
        else:
            notes.append("roles and terms: not traced (topics state, or "
                         "term/election/leader)")
    drops = [d for d in tr.drops if d[1] is not None]
    if not tr.rpcs:
        notes.append("RPCs: not traced (topic rpc)" +
                     (f"; {len(drops)} dropped messages marked"
                      if drops else ""))
    if not tr.series and not tr.group_lanes:
        notes.append("log and commit indexes: not traced (topic state)")
    rpc_cols: dict[str, list] = {k: [] for k in
                                 ("k", "f", "to", "s", "d", "r", "x", "ln")}
    kinds: list[str] = []
    # By send time: the page finds the calls in view by binary search.
    for call in sorted(tr.rpcs, key=lambda c: (tr.rpcs[c]["s"], c)):
        r = tr.rpcs[call]
        if r["f"] is None or r["to"] is None:
            continue  # e.g. a clerk's call: no lane to start from
        if r["k"] not in kinds:
            kinds.append(r["k"])
        rpc_cols["k"].append(kinds.index(r["k"]))
        rpc_cols["f"].append(r["f"])
        rpc_cols["to"].append(r["to"])
        rpc_cols["s"].append(r["s"])
        rpc_cols["d"].append(r["d"] if r["d"] is not None else -1)
        rpc_cols["r"].append(r["r"] if r["r"] is not None else -1)
        rpc_cols["x"].append(r["lost"][0] if r["lost"] else -1)
        rpc_cols["ln"].append(r["ln"])
    series = {}
    for (peer, name), pts in tr.series.items():
        dedup = []
        for p in sorted(pts, key=lambda x: x[0]):
            if name == "shard" or not dedup or dedup[-1][1] != p[1]:
                dedup.append(p)
        series.setdefault(str(peer), {})[name] = dedup
    return {
        "title": title or "; ".join(tr.titles) or "raftlab trace",
        "header": tr.header,
        "end": tr.end_us,
        "peers": peers,
        "labels": labels,
        "spans": {str(p): v for p, v in by_peer.items()},
        "series": series,
        "down": {str(p): v for p, v in tr.down.items()},
        "cut": {str(p): v for p, v in tr.disconnected.items()},
        "bands": sorted(tr.bands, key=lambda b: b[0]),
        "marks": sorted(tr.marks, key=lambda m: m[0]),
        "rpcKinds": kinds,
        "rpcs": rpc_cols,
        "drops": drops,
        "ops": sorted(tr.ops, key=lambda o: (o[0], o[1])),
        "notes": notes,
        "failed": tr.failed,
        "lines": tr.lines,
    }


def render(data: dict) -> str:
    """The page: the template with its CSS, script and data inlined."""
    page = (ASSETS / "page.html").read_text()
    css = (ASSETS / "page.css").read_text()
    js = (ASSETS / "page.js").read_text()
    blob = json.dumps(data, separators=(",", ":"))
    # Inside a <script> element only "</" can end it early.
    blob = blob.replace("</", "<\\/")
    return (page.replace("/*CSS*/", css)
            .replace("/*TITLE*/", _html_escape(data["title"]))
            .replace("/*DATA*/", blob)
            .replace("/*JS*/", js))


def _html_escape(s: str) -> str:
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def write_page(text: str, output: Path, title: str = "",
               world: int | None = None) -> tuple[dict, int, int]:
    """Draws the trace `text` into the page `output`; returns the page's
    data, the index of the world drawn and the number of worlds. Raises
    ValueError if the text holds no trace line or no such world."""
    worlds = split_worlds(text)
    if not worlds:
        raise ValueError("no trace lines (was it run with LAB_DEBUG=all?)")
    lines = choose_world(worlds, world)
    data = model(parse(lines), title)
    Path(output).write_text(render(data))
    return data, worlds.index(lines), len(worlds)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        description="Draw a raftlab debug trace (LAB_DEBUG=all) as one "
                    "self-contained HTML timeline page.")
    p.add_argument("trace", help="the trace file ('-' for stdin)")
    p.add_argument("-o", "--output", required=True,
                   help="the HTML page to write")
    p.add_argument("--title", default="",
                   help="the page's title (default: the test's 'begin' "
                        "lines)")
    p.add_argument("--world", type=int, default=None,
                   help="which world of a trace holding several (0-based; "
                        "default: the first that failed, else the last)")
    p.add_argument("--quiet", action="store_true",
                   help="print nothing on success")
    args = p.parse_args(argv)
    text = (sys.stdin.read() if args.trace == "-" else
            Path(args.trace).read_text(errors="replace"))
    try:
        data, index, count = write_page(text, Path(args.output), args.title,
                                        args.world)
    except ValueError as e:
        print(f"timeline: {args.trace}: {e}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"timeline: wrote {args.output} ({len(data['lines'])} trace "
              f"lines, {len(data['peers'])} lanes, {len(data['rpcs']['k'])} "
              f"RPCs, {len(data['ops'])} client operations"
              + (f"; world {index} of {count}" if count > 1 else "") + ")")
        for note in data["notes"]:
            print(f"timeline: note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
