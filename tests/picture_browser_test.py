#!/usr/bin/env python3
"""The HTML picture in a real browser: headless Chromium loads the picture
of a history, the test clicks every bar (at its top-left corner, where the
step badge of a hovered bar sits, at its centre and near its right end)
and requires the side panel to show that operation; every bar's label must
fit in the bar. Talks to Chromium over the DevTools protocol on a pipe
(--remote-debugging-pipe), so it needs no port and no websocket.

  picture_browser_test.py LINCHECK HISTORY [SCREENSHOT.png]

Exit status 0 pass, 1 fail, 77 skipped: no Chromium on this machine (ctest
reports that as skipped, with the reason in the output).
"""

import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")


def find_browser():
    env = os.environ.get("CHROMIUM")
    if env:
        return env if shutil.which(env) else None
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


class Cdp:
    """A DevTools protocol client over Chromium's debugging pipe: messages
    are JSON texts ended by a NUL byte; Chromium reads fd 3, writes fd 4."""

    def __init__(self, to_browser, from_browser):
        self.out = to_browser
        self.inp = from_browser
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from the browser")
            ready, _, _ = select.select([self.inp], [], [], left)
            if ready:
                chunk = os.read(self.inp, 1 << 16)
                if not chunk:
                    raise EOFError("the browser closed its debugging pipe")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=20):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.out, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method, session, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method and e.get("sessionId") == session:
                    return self.events.pop(i)
            self.events.append(self._read_message(deadline))


def launch(browser, profile):
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()

    def child_fds():
        # to_r and from_w may themselves be 3 or 4: move them out of the way.
        r, w = os.dup(to_r), os.dup(from_w)
        os.dup2(r, 3)
        os.dup2(w, 4)

    args = [browser, "--headless", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--hide-scrollbars",
            "--window-size=1400,900", "--remote-debugging-pipe",
            "--user-data-dir=" + profile, "about:blank"]
    log = open(os.path.join(profile, "browser.log"), "wb")
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=log, preexec_fn=child_fds,
                            pass_fds=(3, 4, to_r, from_w))
    os.close(to_r)
    os.close(from_w)
    return proc, Cdp(to_w, from_r)


# Runs in the page: the bar of op (p, i) scrolled into view, and the box of
# what shows of it (a bar wider than its timeline's view is cut at the view's
# edges, and the sticky client labels cover the view's left end).
BAR_BOX = """(() => {
  const g = document.querySelector('g.op[data-p="%d"][data-i="%d"]');
  g.scrollIntoView({block: "center", inline: "center"});
  const r = g.querySelector("rect.bar").getBoundingClientRect();
  const view = g.closest(".scroll").getBoundingClientRect();
  const labels = g.closest(".strip").querySelector("svg.labels")
      .getBoundingClientRect();
  const x0 = Math.max(r.left, labels.right), x1 = Math.min(r.right, view.right);
  const y0 = Math.max(r.top, 0), y1 = Math.min(r.bottom, window.innerHeight);
  return JSON.stringify({x: x0, y: y0, w: x1 - x0, h: y1 - y0});
})()"""

# What the panel must say for op (p, i), from the page's data.
EXPECTED = """(() => {
  const P = DATA.parts[%d];
  return (P.key === "" ? "history" : "key '" + P.key + "'") + ": " +
      P.ops[%d][3];
})()"""

PANEL = 'document.querySelector("#panel h2").textContent'

# Every bar whose label is missing or wider than its clip.
BAD_LABELS = """JSON.stringify([...document.querySelectorAll("g.op")].flatMap(g => {
  const clip = g.querySelector("svg");
  const room = clip.width.baseVal.value;
  const t = clip.querySelector("text");
  const label = t ? t.textContent : "";
  const width = t ? t.getComputedTextLength() : 0;
  if (width > room + 0.5 || (label === "" && room >= 8)) {
    return [{p: g.dataset.p, i: g.dataset.i, label: label, width: width,
             room: room}];
  }
  return [];
}))"""


def evaluate(cdp, session, expr):
    r = cdp.call("Runtime.evaluate",
                 {"expression": expr, "returnByValue": True}, session)
    if "exceptionDetails" in r:
        raise RuntimeError(f"page script failed: {r['exceptionDetails']}")
    return r["result"].get("value")


def mouse(cdp, session, kind, x, y):
    params = {"type": kind, "x": x, "y": y, "button": "left",
              "clickCount": 1}
    if kind == "mouseMoved":
        params["button"] = "none"
    cdp.call("Input.dispatchMouseEvent", params, session)


def run(browser, lincheck, history, screenshot):
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        page = os.path.join(tmp, "picture.html")
        subprocess.run([lincheck, "--html", page, history], check=False,
                       stdout=subprocess.DEVNULL)
        if not os.path.exists(page):
            return [f"lincheck wrote no picture of {history}"]
        proc, cdp = launch(browser, tmp)
        try:
            target = cdp.call("Target.createTarget", {"url": "about:blank"})
            session = cdp.call("Target.attachToTarget",
                               {"targetId": target["targetId"],
                                "flatten": True})["sessionId"]
            cdp.call("Page.enable", {}, session)
            cdp.call("Page.navigate", {"url": "file://" + page}, session)
            cdp.wait_event("Page.loadEventFired", session)

            bad = json.loads(evaluate(cdp, session, BAD_LABELS))
            for b in bad[:10]:
                failures.append(f"op {b['p']}/{b['i']}: label {b['label']!r} "
                                f"is {b['width']:.1f} px in {b['room']:.1f} px")
            ops = json.loads(evaluate(cdp, session, "JSON.stringify("
                                      "DATA.parts.map(P => P.ops.length))"))
            clicks = 0
            for p, n in enumerate(ops):
                for i in range(n):
                    box = json.loads(evaluate(cdp, session, BAR_BOX % (p, i)))
                    want = evaluate(cdp, session, EXPECTED % (p, i))
                    x, y, w, h = box["x"], box["y"], box["w"], box["h"]
                    points = {"top-left corner": (x + 3, y + 3),
                              "centre": (x + w / 2, y + h / 2),
                              "right end": (x + w - 3, y + h / 2)}
                    for where, (px, py) in points.items():
                        # Hover first: that draws the step badges.
                        mouse(cdp, session, "mouseMoved", px, py)
                        mouse(cdp, session, "mousePressed", px, py)
                        mouse(cdp, session, "mouseReleased", px, py)
                        clicks += 1
                        got = evaluate(cdp, session, PANEL)
                        if got != want:
                            failures.append(
                                f"click on the {where} of op {p}/{i} "
                                f"({w:.0f} px wide): panel shows {got!r}, "
                                f"expected {want!r}")
            print(f"{sum(ops)} bars, {clicks} clicks, "
                  f"{len(bad)} labels that do not fit")
            if screenshot:
                evaluate(cdp, session, "window.scrollTo(0, 0)")
                shot = cdp.call("Page.captureScreenshot", {}, session)
                with open(screenshot, "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
                print(f"wrote {screenshot}")
        except (TimeoutError, EOFError, RuntimeError) as e:
            log = open(os.path.join(tmp, "browser.log"), "rb").read()
            failures.append(f"{e}; browser log:\n"
                            + log.decode(errors="replace")[-2000:])
        finally:
            try:
                cdp.call("Browser.close", timeout=5)
                proc.wait(timeout=10)
            except (TimeoutError, EOFError, RuntimeError, OSError,
                    subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
    return failures


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__)
        return 2
    browser = find_browser()
    if not browser:
        print("SKIPPED: no Chromium found (looked for $CHROMIUM, then "
              + ", ".join(BROWSERS) + " on PATH); install Debian's chromium "
              "to run the picture's browser test")
        return SKIP
    print(f"browser: {browser}")
    failures = run(browser, sys.argv[1], sys.argv[2],
                   sys.argv[3] if len(sys.argv) == 4 else None)
    for f in failures[:40]:
        print("FAIL:", f)
    if len(failures) > 40:
        print(f"... and {len(failures) - 40} more")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
