#!/usr/bin/env python3
"""The timeline page in a real browser: scripts/timeline.py draws traces of
testdata/timeline/ (and a generated 30 s churn of 5 peers), headless
Chromium loads each page, and the test reads what the page reports it drew
(window.TIMELINE_REPORT) and hovers a span, a fault and an operation,
checking the tooltip's text. Uses the DevTools-pipe client of
picture_browser_test.py.

  timeline_browser_test.py TRACE_DIR [--screenshot PNG] [--trace FILE...]

--screenshot writes the split-vote page (the README's picture); --trace
also loads the pages of other traces and prints their sizes and load
times (for measuring a real churn run). Exit status 0 pass, 1 fail, 77
skipped: no Chromium on this machine (ctest reports that as skipped, with
the reason in the output).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import picture_browser_test as cdp_util  # noqa: E402  (the path above)

TIMELINE = HERE.parent / "scripts" / "timeline.py"
LOAD_LIMIT_S = 3.0  # the bound for a 30 s churn run
REPORT = "JSON.stringify(window.TIMELINE_REPORT || null)"
RAFT_OWN_TOPICS = re.compile(r"^\d+\.\d{3} (election|leader|term|vote|log|"
                             r"commit|persist|apply|snapshot) ")


def churn_trace(seed: int = 1, peers: int = 5, seconds: int = 30) -> str:
    """A trace shaped like an unreliable churn run: leaders come and go,
    peers crash and restart, heartbeats and appends to every peer, a tenth
    of the messages lost. Only the kit's own topics (test, state, rpc,
    drop), as a student's Raft would give."""
    rnd = random.Random(seed)
    out = ["# world: runtime=sim seed=%d schedule=2 sim_latency_us=5000 "
           "fuzz=0" % seed]
    names = {}

    def line(us, topic, peer, msg):
        p = "--" if peer is None else "S%d" % peer
        out.append("%06d.%03d %-8s %s %s" % (us // 1000, us % 1000, topic, p,
                                             msg))

    line(0, "test", None, "make_config n=%d unreliable=1 snapshot=0" % peers)
    for i in range(peers):
        names[i] = ["e%d_%d" % (i, j) for j in range(peers)]
        line(0, "test", i, "ends " + " ".join(names[i]))
        line(0, "test", i, "start (restart from 0 state bytes)")
    term, leader, log, commit = 1, 0, 0, 0
    down: set[int] = set()
    call = 0
    for t in range(0, seconds * 1_000_000, 10_000):
        if t % 1_500_000 == 0 and t:
            victim = rnd.randrange(peers)
            if victim in down:
                down.discard(victim)
                line(t, "test", victim, "start (restart)")
            elif len(down) < 2:
                down.add(victim)
                line(t, "test", victim, "crash")
            term += 1
            leader = rnd.choice([p for p in range(peers) if p not in down])
        if t % 20_000 == 0:
            log += 1
        for i in range(peers):
            if i in down:
                continue
            lead = "leader" if i == leader else "not-leader"
            commit = max(commit, log - 2)
            line(t, "state", i, "term %d %s log %d commit %d applied %d "
                 "snapshot 0" % (term, lead, log, commit, commit))
        if t % 20_000 == 0:
            for j in range(peers):
                if j == leader:
                    continue
                call += 1
                line(t, "rpc", None, "#%d send Raft.AppendEntries from end "
                     "%s to %d" % (call, names[leader][j], j))
                if j in down or rnd.random() < 0.1:
                    line(t + 27_000, "rpc", None, "#%d lost: request dropped"
                         % call)
                    continue
                line(t + 5_000, "rpc", None, "#%d deliver" % call)
                line(t + 10_000, "rpc", None, "#%d reply" % call)
    line(seconds * 1_000_000, "test", None, "cleanup")
    out.sort(key=lambda s: s.split(" ", 1)[0] if s[0] != "#" else "")
    return "\n".join(out) + "\n"


class Browser:
    """One headless Chromium, one tab, for all the pages."""

    def __init__(self, path: str, profile: str):
        self.profile = profile
        self.proc, self.cdp = cdp_util.launch(path, profile)
        target = self.cdp.call("Target.createTarget", {"url": "about:blank"})
        self.session = self.cdp.call(
            "Target.attachToTarget",
            {"targetId": target["targetId"], "flatten": True})["sessionId"]
        self.cdp.call("Page.enable", {}, self.session)

    def load(self, page: Path) -> float:
        """Loads the page; the seconds from navigating to the load event."""
        start = time.monotonic()
        self.cdp.call("Page.navigate", {"url": page.as_uri()}, self.session)
        self.cdp.wait_event("Page.loadEventFired", self.session, timeout=60)
        return time.monotonic() - start

    def eval(self, expr: str):
        return cdp_util.evaluate(self.cdp, self.session, expr)

    def frame(self) -> None:
        """Waits for the page's next animation frame (its redraw)."""
        self.cdp.call("Runtime.evaluate", {
            "expression": "new Promise(r => requestAnimationFrame(() => "
                          "r(1)))", "awaitPromise": True}, self.session)

    def report(self) -> dict:
        return json.loads(self.eval(REPORT) or "null") or {}

    def hover(self, x: float, y: float) -> str:
        cdp_util.mouse(self.cdp, self.session, "mouseMoved", x, y)
        return self.eval("TL.tip()")

    def screenshot(self, path: Path) -> None:
        shot = self.cdp.call("Page.captureScreenshot", {}, self.session)
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        try:
            self.cdp.call("Browser.close", timeout=5)
            self.proc.wait(timeout=10)
        except (TimeoutError, EOFError, RuntimeError, OSError,
                subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


def draw(trace: Path, page: Path) -> None:
    subprocess.run([sys.executable, str(TIMELINE), str(trace), "-o",
                    str(page), "--quiet"], check=True)


def span_tip(b: Browser, peer: int, k: int) -> str:
    pt = json.loads(b.eval(f"JSON.stringify(TL.spanPoint({peer}, {k}))"))
    return b.hover(pt["x"], pt["y"])


def check_split_vote(b: Browser, page: Path, fails: list[str],
                     student: bool) -> None:
    what = "split vote" + (" (harness view only)" if student else "")
    b.load(page)
    r = b.report()
    if r.get("lanes") != ["S0", "S1", "S2"]:
        fails.append(f"{what}: lanes {r.get('lanes')}, expected S0-S2")
    roles = r.get("roles", {})
    if roles.get("candidate", 0) < 3 * 10 or roles.get("leader", 0):
        fails.append(f"{what}: drew {roles}; expected >= 30 candidate spans "
                     f"(every peer, every term) and no leader")
    if r.get("marks", {}).get("fail") != 1:
        fails.append(f"{what}: FAIL mark not drawn: {r.get('marks')}")
    tip = span_tip(b, 1, 3)
    own = "start election for term 3" if not student else "state    S1 term 3"
    if "S1 candidate, term 3" not in tip or own not in tip:
        fails.append(f"{what}: hovering S1's 4th span shows {tip!r}; "
                     f"expected 'S1 candidate, term 3' and {own!r}")
    # Negative control: the time axis has nothing to show.
    tip = b.hover(300, 5 + b.eval("canvas.getBoundingClientRect().top"))
    if tip:
        fails.append(f"{what}: hovering the axis shows {tip!r}")


def check_untraced(b: Browser, page: Path, fails: list[str]) -> None:
    """Negative control: without any role lines there are no role spans to
    invent, and the page says what is missing."""
    b.load(page)
    r = b.report()
    notes = b.eval("document.getElementById('notes').textContent")
    if r.get("roles", {}).get("candidate") or r.get("roles", {}).get("leader"):
        fails.append(f"untraced roles: page drew {r.get('roles')}")
    if "not traced" not in notes:
        fails.append(f"untraced roles: notes say {notes!r}")


def check_reelection(b: Browser, page: Path, fails: list[str]) -> None:
    b.load(page)
    r = b.report()
    want = {"{0,1} | {2}", "{2} | {0} | {1}", "{1,2} | {0}"}
    if not want <= set(r.get("bandsDrawn", [])):
        fails.append(f"reelection: partitions drawn {r.get('bandsDrawn')}, "
                     f"expected {sorted(want)}")
    if r.get("roles", {}).get("leader", 0) < 3:
        fails.append(f"reelection: leader spans {r.get('roles')}")
    arrows = r.get("arrowsDrawn", 0)
    if arrows < 50:
        fails.append(f"reelection: {arrows} RPC arrows drawn")
    # Hovering an arrow shows its trace lines, from send to reply. Zoomed
    # in, so that no other arrow is as close.
    b.eval("TL.zoomTo(960e3, 1010e3)")
    n = b.report().get("arrowsDrawn", 0)
    tips = [b.hover(**json.loads(b.eval(
        f"JSON.stringify(TL.arrowPoint({j}))"))) for j in range(n)]
    if not n or not all(re.search(r"#\d+ send Raft\.\w+ from end", t) and
                        " deliver" in t for t in tips):
        fails.append(f"reelection: hovering the {n} arrows of 960-1010 ms "
                     f"shows {tips[:3]}")
    b.eval("TL.zoomTo(0, DATA.end)")
    # Filtering by kind: RequestVote off leaves fewer arrows.
    b.eval("(() => { const c = document.querySelector("
           "'input[data-kind=RequestVote]'); c.click(); })()")
    b.eval("TL.zoomTo(...TL.report.view)")
    fewer = b.report().get("arrowsDrawn", 0)
    if not 0 < fewer < arrows:
        fails.append(f"reelection: RequestVote filtered off: {fewer} arrows "
                     f"of {arrows}")
    pt = json.loads(b.eval("JSON.stringify(TL.bandPoint(0, 0))"))
    tip = b.hover(pt["x"], pt["y"])
    if "{0,1} | {2}" not in tip or "S2 disconnect" not in tip:
        fails.append(f"reelection: hovering the first partition shows "
                     f"{tip!r}")


def check_kv(b: Browser, page: Path, fails: list[str]) -> None:
    b.load(page)
    r = b.report()
    if r.get("clientLanes") != ["checks"] or r.get("opsDrawn", 0) != 9:
        fails.append(f"kv: client lanes {r.get('clientLanes')}, "
                     f"{r.get('opsDrawn')} operations drawn (expected 9)")
    if "{0,2,3} | {4,1}" not in r.get("bandsDrawn", []):
        fails.append(f"kv: partition not drawn: {r.get('bandsDrawn')}")
    pt = json.loads(b.eval("JSON.stringify(TL.opPoint(1))"))
    tip = b.hover(pt["x"], pt["y"])
    if 'put "1" "14"' not in tip or "called" not in tip:
        fails.append(f"kv: hovering the second operation shows {tip!r}")


def show_all_rpcs(b: Browser) -> dict:
    """Turns every RPC kind on and draws the whole run."""
    b.eval("document.querySelectorAll('input[data-kind]').forEach(c => "
           "{ if (!c.checked) c.click(); })")
    b.eval("TL.zoomTo(0, DATA.end)")
    r = b.report()
    return {"all_rpcs_draw_ms": r.get("drawMs"),
            "rpcs_in_view": r.get("rpcsInView"),
            "aggregated": r.get("aggregated")}


def check_scale(b: Browser, page: Path, fails: list[str]) -> dict:
    took = b.load(page)
    r = b.report()
    out = {"load_s": took, "first_draw_ms": r.get("firstDrawMs"),
           "bytes": page.stat().st_size}
    if took > LOAD_LIMIT_S:
        fails.append(f"churn: the page took {took:.2f} s to load "
                     f"(limit {LOAD_LIMIT_S} s)")
    if r.get("lanes") != [f"S{i}" for i in range(5)]:
        fails.append(f"churn: lanes {r.get('lanes')}")
    if r.get("rpcsInView") != 0:
        fails.append(f"churn: {r.get('rpcsInView')} RPCs shown at first; "
                     f"with this many they start hidden")
    out.update(show_all_rpcs(b))
    if not out["aggregated"]:
        fails.append("churn: every RPC of the run drawn one by one")
    # The wheel zooms in around the mouse; a drag pans.
    c = json.loads(b.eval("JSON.stringify(TL.spanPoint(0, 0))"))
    b.cdp.call("Input.dispatchMouseEvent",
               {"type": "mouseWheel", "x": 700, "y": c["y"], "deltaX": 0,
                "deltaY": -100}, b.session)
    b.frame()
    v0 = b.report()["view"]
    for kind, px in (("mousePressed", 700), ("mouseMoved", 500),
                     ("mouseReleased", 500)):
        b.cdp.call("Input.dispatchMouseEvent",
                   {"type": kind, "x": px, "y": c["y"], "button": "left",
                    "clickCount": 1}, b.session)
    b.frame()
    v1 = b.report()["view"]
    if not v0[1] - v0[0] < 0.9 * 30e6 or not v1[0] > v0[0]:
        fails.append(f"churn: wheel and drag: view {v0} then {v1}")
    # Redraws stay fast: zoom to a second, then pan.
    b.eval("TL.zoomTo(10e6, 11e6)")
    zoomed = b.report()
    b.eval("TL.zoomTo(10.5e6, 11.5e6)")
    out["redraw_ms"] = max(zoomed.get("drawMs", 0), b.report()["drawMs"])
    if out["redraw_ms"] > 200:
        fails.append(f"churn: a redraw took {out['redraw_ms']:.0f} ms")
    if zoomed.get("aggregated") or not zoomed.get("arrowsDrawn"):
        fails.append(f"churn: zoomed to 1 s, expected arrows: {zoomed}")
    return out


def run(browser: str, data: Path, screenshot: Path | None,
        extra: list[Path]) -> list[str]:
    fails: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        split = data / "split-vote.trace"
        student = tmp / "student.trace"
        student.write_text("".join(
            line for line in split.read_text().splitlines(keepends=True)
            if not RAFT_OWN_TOPICS.match(line)))
        untraced = tmp / "untraced.trace"
        untraced.write_text("".join(
            line for line in student.read_text().splitlines(keepends=True)
            if " state " not in line and " rpc " not in line))
        churn = tmp / "churn.trace"
        churn.write_text(churn_trace())
        pages = {}
        for trace in [split, student, untraced, data / "reelection.trace",
                      data / "kv-partition.trace", churn, *extra]:
            pages[trace] = tmp / (trace.stem + ".html")
            draw(trace, pages[trace])
        b = Browser(browser, str(tmp))
        try:
            check_split_vote(b, pages[split], fails, student=False)
            if screenshot:
                b.load(pages[split])
                b.screenshot(screenshot)
                print(f"wrote {screenshot}")
            check_split_vote(b, pages[student], fails, student=True)
            check_untraced(b, pages[untraced], fails)
            check_reelection(b, pages[data / "reelection.trace"], fails)
            check_kv(b, pages[data / "kv-partition.trace"], fails)
            m = check_scale(b, pages[churn], fails)
            print(f"churn (generated, 5 peers, 30 s, "
                  f"{churn.read_text().count(chr(10))} lines): page "
                  f"{m['bytes'] / 1e6:.1f} MB, loaded in {m['load_s']:.2f} s "
                  f"(first draw {m['first_draw_ms']:.0f} ms), redraw "
                  f"{m['redraw_ms']:.0f} ms, all RPCs drawn in "
                  f"{m['all_rpcs_draw_ms']:.0f} ms")
            for trace in extra:
                took = b.load(pages[trace])
                r = b.report()
                a = show_all_rpcs(b)
                print(f"{trace}: {trace.read_text().count(chr(10))} lines, "
                      f"page {pages[trace].stat().st_size / 1e6:.1f} MB, "
                      f"loaded in {took:.2f} s (first draw "
                      f"{r.get('firstDrawMs', 0):.0f} ms); all "
                      f"{a['rpcs_in_view']} RPCs on: drawn in "
                      f"{a['all_rpcs_draw_ms']:.0f} ms, aggregated: "
                      f"{a['aggregated']}")
        except (TimeoutError, EOFError, RuntimeError) as e:
            log = (tmp / "browser.log").read_bytes()
            fails.append(f"{e}; browser log:\n"
                         + log.decode(errors="replace")[-2000:])
        finally:
            b.close()
    return fails


def main() -> int:
    p = argparse.ArgumentParser(
        description="Check the timeline page in headless Chromium.")
    p.add_argument("data", type=Path, help="testdata/timeline")
    p.add_argument("--screenshot", type=Path,
                   help="write the split-vote page's picture here")
    p.add_argument("--trace", type=Path, nargs="*", default=[],
                   help="also load these traces' pages; print their load "
                        "times")
    args = p.parse_args()
    browser = cdp_util.find_browser()
    if not browser:
        print("SKIPPED: no Chromium found (looked for $CHROMIUM, then "
              + ", ".join(cdp_util.BROWSERS) + " on PATH); install Debian's "
              "chromium to run the timeline's browser test")
        return cdp_util.SKIP
    print(f"browser: {browser}")
    fails = run(browser, args.data, args.screenshot, args.trace)
    for f in fails:
        print("FAIL:", f)
    print("FAILED" if fails else "passed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
