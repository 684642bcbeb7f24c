// The picture's page: layout, styles and the script that draws one SVG
// timeline per partition from the data the writer substitutes (see
// html_writer.cc for the data's shape). Self-contained: no network access.
#include "linearizability/html_page.h"

namespace linearizability {
namespace html_internal {

const char kPage[] = R"PAGE(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>@@TITLE@@</title>
<style>
body { font: 13px/1.4 system-ui, sans-serif; margin: 0; color: #222; }
header { padding: 8px 16px; background: #f3f3f3; border-bottom: 1px solid #ccc;
         position: sticky; top: 0; z-index: 5; margin-right: 380px; }
header h1 { font-size: 16px; margin: 0 0 4px; }
#summary { margin: 0; }
#failures, #fault-list { display: none; }
.Ok { color: #1b7f2a; } .Illegal { color: #c62828; } .Unknown { color: #b26a00; }
main { margin-right: 380px; padding: 4px 16px 40px; }
#panel { position: fixed; right: 0; top: 0; bottom: 0; width: 380px;
         overflow: auto; border-left: 1px solid #ccc; background: #fafafa;
         padding: 8px 12px; box-sizing: border-box; }
#panel h2 { font-size: 14px; margin: 6px 0; }
#panel ol { padding-left: 32px; margin: 4px 0; font: 12px monospace; }
#panel li { cursor: pointer; padding: 1px 2px; }
#panel li.cur { background: #bbdefb; }
#panel li .st { color: #555; }
#panel .init { font: 12px monospace; margin: 4px 0 0 8px; }
#panel .failnext { color: #c62828; font: 12px monospace; margin: 4px 0 0 8px; }
section.part h2 { font-size: 14px; margin: 14px 0 4px; }
.scroll { overflow-x: auto; border: 1px solid #ddd; background: #fff; }
.strip { display: flex; width: max-content; }
svg.labels { position: sticky; left: 0; background: #fff; z-index: 2;
             border-right: 1px solid #ddd; }
svg text { font: 11px monospace; }
.rowlabel { fill: #444; }
.rowline { stroke: #eee; }
.op { cursor: pointer; }
.op rect.bar { stroke: #666; stroke-width: 1; }
.op.lin rect.bar { fill: #c8e6c9; }
.op.notlin rect.bar { fill: #eeeeee; }
.op.fail rect.bar { fill: #ef9a9a; stroke: #b71c1c; stroke-width: 2.5; }
.op.pending rect.bar { stroke-dasharray: 5 3; }
.op.dim { opacity: 0.3; }
.op.sel rect.bar { stroke: #0d47a1; stroke-width: 3; }
.lp circle { fill: #1565c0; } .lp text { fill: #fff; font-size: 9px; }
/* The step badges sit on the bars: clicks and hovers go to the bar. */
.lp { pointer-events: none; }
.fault rect { fill: #ff9800; opacity: 0.14; }
.fault line { stroke: #e65100; stroke-width: 1.5; stroke-dasharray: 4 3; }
.fault text { fill: #bf360c; }
.axis text { fill: #666; font-size: 10px; } .axis line { stroke: #bbb; }
#tip { position: fixed; pointer-events: none; background: #fffde7;
       border: 1px solid #999; padding: 4px 6px; font: 12px monospace;
       white-space: pre-wrap; display: none; z-index: 10; max-width: 560px; }
.legend .sw { display: inline-block; width: 14px; height: 10px;
              border: 1px solid #666; margin: 0 3px 0 10px; vertical-align: middle; }
</style>
</head>
<body>
<header>
<h1>@@TITLE@@</h1>
@@SUMMARY@@
<div>
<span class="legend">
<span class="sw" style="background:#c8e6c9"></span>in the longest linearizable prefix
<span class="sw" style="background:#eee"></span>not linearized
<span class="sw" style="background:#ef9a9a;border:2px solid #b71c1c"></span>cannot be linearized
<span class="sw" style="border-style:dashed"></span>never returned
<span class="sw" style="background:#ffe0b2"></span>fault
</span>
&nbsp; time axis:
<label><input type="radio" name="axis" value="order" checked> event order</label>
<label><input type="radio" name="axis" value="real"> real time</label>
&nbsp; <a href="#" id="jump">[ jump to first error ]</a>
</div>
</header>
<main id="parts"><noscript>The picture needs JavaScript; the summary above
lists the failures.</noscript></main>
<div id="panel"></div>
<div id="tip"></div>
<script>
const DATA = @@DATA@@;
</script>
<script>
"use strict";
const NS = "http://www.w3.org/2000/svg";
const LEFT = 12, LABELS = 78, ROW = 26, BAR = 18, LANE = 15, STEP = 26, AXIS = 22;
let axisMode = "order";
let pinned = null;  // {p, i}: the op whose linearization the panel shows
const views = [];   // per partition: {g: op groups, lp: marker layer, x}

function el(tag, attrs, parent, text) {
  const e = document.createElementNS(NS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function h(tag, attrs, parent, text) {
  const e = document.createElement(tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
// Times are relative to DATA.base (shown with a "+" unless it is 0).
function fmtTime(t) {
  if (!DATA.tps) return "#" + t;
  const s = t / DATA.tps;
  return (DATA.base === "0" ? "" : "+") +
      (Math.abs(s) >= 100 ? s.toFixed(3) : s.toFixed(6)) + " s";
}
function faultTime(f) {
  return f[1] === f[0] ? fmtTime(f[0]) :
      fmtTime(f[0]) + " \u2013 " + (f[1] === null ? "end" : fmtTime(f[1]));
}
function partName(p) {
  const P = DATA.parts[p];
  return P.key === "" ? "history" : "key '" + P.key + "'";
}
// Steps of partial k of partition p as [{op, state}].
function partial(p, k) {
  const a = DATA.parts[p].partials[k] || [];
  const out = [];
  for (let i = 0; i < a.length; i += 2) out.push({op: a[i], state: DATA.states[a[i + 1]]});
  return out;
}
// The operations of the longest linearizable prefix, per partition.
const inLongest = DATA.parts.map((P, p) => new Set(partial(p, 0).map(s => s.op)));
function opClass(p, i) {
  const P = DATA.parts[p];
  const op = P.ops[i];
  let c = "op";
  if (i === P.fail) c += " fail";
  else if (inLongest[p].has(i)) c += " lin";
  else c += " notlin";
  if (op[2] === null) c += " pending";
  return c;
}

// Maps times to x for one partition, in the current axis mode.
function makeScale(P) {
  const pts = [];
  for (const op of P.ops) { pts.push(op[1]); if (op[2] !== null) pts.push(op[2]); }
  for (const f of DATA.faults) { pts.push(f[0]); if (f[1] !== null) pts.push(f[1]); }
  pts.sort((a, b) => a - b);
  const uniq = pts.filter((t, i) => i === 0 || t !== pts[i - 1]);
  if (uniq.length === 0) uniq.push(0);
  if (axisMode === "order") {
    const rank = new Map();
    uniq.forEach((t, i) => rank.set(t, i));
    const end = LEFT + (uniq.length + 1) * STEP;
    return {x: t => t === null ? end : LEFT + rank.get(t) * STEP + STEP / 2,
            end: end, width: end + STEP, ticks: uniq.filter((t, i) => i % 8 === 0)};
  }
  const t0 = uniq[0], t1 = uniq[uniq.length - 1];
  const w = Math.max(900, uniq.length * 9);
  const span = Math.max(1, t1 - t0);
  const end = LEFT + w + 2 * STEP;
  const ticks = [];
  for (let k = 0; k <= 10; k++) ticks.push(Math.round(t0 + span * k / 10));
  return {x: t => t === null ? end : LEFT + (t - t0) / span * w + STEP / 2,
          end: end, width: end + STEP, ticks: ticks};
}

// The width of one character of the bars' font (monospace, see the CSS).
const CHAR_W = (() => {
  const c = document.createElement("canvas").getContext("2d");
  c.font = "11px monospace";
  return c.measureText("0123456789").width / 10 || 6.7;
})();

// The most informative label of an operation that fits in `room` pixels,
// so that no bar shows a word cut in the middle ("appe"). Descriptions of
// the form "name(args) -> result" (both models') shorten to, in turn:
// "append('k', 'x 1 y')", "append x 1 y" (the partition's key is in the
// heading), "a x 1 y", "a x…", "append", "a", and nothing. The hover tip
// and the panel always show the full description.
function barLabel(P, desc, room) {
  const fits = s => s.length * CHAR_W <= room;
  if (fits(desc)) return desc;
  const m = /^([A-Za-z_]\w*)\((.*)\)(?:\s*->\s*(.*))?$/.exec(desc);
  if (!m) {
    const n = Math.floor(room / CHAR_W) - 1;
    return n >= 2 ? desc.slice(0, n) + "\u2026" : "";
  }
  const name = m[1], initial = name[0];
  let args = m[2];
  const key = "'" + P.key + "'";
  if (P.key !== "" && (args === key || args.startsWith(key + ", "))) {
    args = args.slice(key.length + 2);
  }
  const bare = v => /^'[^']+'$/.test(v) ? v.slice(1, -1) : v;  // '' stays
  const parts = args === "" ? [] : [args.split(", ").map(bare).join(",")];
  if (m[3] !== undefined) parts.push("\u2192" + bare(m[3]));
  const value = parts.join(" ");
  if (value === "") return fits(name) ? name : fits(initial) ? initial : "";
  for (const s of [name + " " + value, initial + " " + value]) {
    if (fits(s)) return s;
  }
  const n = Math.floor(room / CHAR_W) - initial.length - 2;  // " " and "…"
  if (n >= 2) return initial + " " + value.slice(0, n).trimEnd() + "\u2026";
  return fits(name) ? name : fits(initial) ? initial : "";
}

// Greedy lanes so that fault labels do not overlap.
function faultLanes(sc) {
  const lanes = [];
  return DATA.faults.map(f => {
    const x0 = sc.x(f[0]);
    const x1 = Math.max(f[1] === null ? sc.end : sc.x(f[1]), x0 + 7 * f[2].length + 8);
    let l = 0;
    while (l < lanes.length && lanes[l] > x0) l++;
    lanes[l] = x1;
    return l;
  });
}

function drawPartition(p, container) {
  const P = DATA.parts[p];
  const sc = makeScale(P);
  const clients = [...new Set(P.ops.map(o => o[0]))].sort((a, b) => a - b);
  const row = new Map(clients.map((c, i) => [c, i]));
  const lanes = faultLanes(sc);
  const nl = DATA.faults.length ? Math.max(...lanes) + 1 : 0;
  const top = nl * LANE + 6;
  const height = top + clients.length * ROW + AXIS;
  const strip = h("div", {class: "strip"}, container);
  const labels = el("svg", {class: "labels", width: LABELS, height: height}, strip);
  const svg = el("svg", {width: sc.width, height: height}, strip);
  // Faults: a band (or a line for an instant) across the rows, label on top.
  // A fault with no end lasted to the end of the history.
  DATA.faults.forEach((f, k) => {
    const g = el("g", {class: "fault"}, svg);
    const x0 = sc.x(f[0]);
    if (f[1] === f[0]) {
      el("line", {x1: x0, x2: x0, y1: lanes[k] * LANE + 2, y2: height - AXIS}, g);
    } else {
      const x1 = f[1] === null ? sc.end : sc.x(f[1]);
      el("rect", {x: x0, y: lanes[k] * LANE + 2, width: Math.max(2, x1 - x0),
                  height: height - AXIS - lanes[k] * LANE - 2}, g);
    }
    el("text", {x: x0 + 3, y: lanes[k] * LANE + 12}, g, f[2]);
    el("title", {}, g, f[2] + "\n" + faultTime(f));
  });
  clients.forEach((c, i) => {
    const y = top + i * ROW;
    el("line", {class: "rowline", x1: 0, x2: sc.width, y1: y + ROW, y2: y + ROW}, svg);
    el("line", {class: "rowline", x1: 0, x2: LABELS, y1: y + ROW, y2: y + ROW}, labels);
    el("text", {class: "rowlabel", x: 6, y: y + ROW / 2 + 4}, labels, "client " + c);
  });
  const groups = [];
  P.ops.forEach((op, i) => {
    const x0 = sc.x(op[1]), x1 = op[2] === null ? sc.end : sc.x(op[2]);
    const w = Math.max(6, x1 - x0);
    const y = top + row.get(op[0]) * ROW + (ROW - BAR) / 2;
    const g = el("g", {class: opClass(p, i), "data-p": p, "data-i": i}, svg);
    el("rect", {class: "bar", x: x0, y: y, width: w, height: BAR, rx: 3}, g);
    const clip = el("svg", {x: x0 + 2, y: y, width: Math.max(0, w - 4), height: BAR}, g);
    const label = barLabel(P, op[3], w - 4);
    if (label !== "") el("text", {class: "label", x: 0, y: BAR / 2 + 4}, clip, label);
    g.addEventListener("mouseenter", ev => { showTip(ev, p, i); highlight(p, i); });
    g.addEventListener("mousemove", ev => moveTip(ev));
    g.addEventListener("mouseleave", () => { hideTip(); restore(); });
    g.addEventListener("click", ev => { ev.stopPropagation(); pin(p, i); });
    groups.push(g);
  });
  const lp = el("g", {class: "lp"}, svg);
  const ax = el("g", {class: "axis"}, svg);
  const ya = height - AXIS + 4;
  el("line", {x1: LEFT, x2: sc.end, y1: ya, y2: ya}, ax);
  for (const t of sc.ticks) {
    el("line", {x1: sc.x(t), x2: sc.x(t), y1: ya, y2: ya + 4}, ax);
    el("text", {x: sc.x(t) + 2, y: ya + 14}, ax, fmtTime(t));
  }
  svg.addEventListener("click", () => pin(null));
  views[p] = {groups: groups, lp: lp, ops: P.ops, x: sc.x, end: sc.end, top: top, row: row};
}

function render() {
  const main = document.getElementById("parts");
  main.textContent = "";
  DATA.parts.forEach((P, p) => {
    const s = h("section", {class: "part", id: "part" + p}, main);
    const h2 = h("h2", {}, s, "Partition " + (p + 1) + " of " + DATA.parts.length + ": " + partName(p) + " \u2014 ");
    h("span", {class: P.result}, h2, P.result);
    const longest = P.partials.length ? P.partials[0].length / 2 : 0;
    h2.appendChild(document.createTextNode(" \u00b7 " + P.ops.length + " operations, longest linearizable prefix " + longest));
    drawPartition(p, h("div", {class: "scroll"}, s));
  });
  if (pinned) pin(pinned.p, pinned.i); else pin(null);
}

// The partial linearization shown for op i: the longest one containing it,
// or for the op that cannot be linearized, the longest prefix before it.
function partialOf(p, i) {
  const P = DATA.parts[p];
  return i === P.fail && P.partials.length ? 0 : P.ops[i][5];
}

// Marks the linearization containing op i of partition p on the picture.
function highlight(p, i) {
  clearMarks();
  const P = DATA.parts[p];
  const k = partialOf(p, i);
  const v = views[p];
  if (k < 0) { v.groups[i].classList.add("sel"); return; }
  const steps = partial(p, k);
  const inSeq = new Map(steps.map((s, n) => [s.op, n]));
  v.groups.forEach((g, j) => { if (!inSeq.has(j) && j !== P.fail) g.classList.add("dim"); });
  v.groups[i].classList.add("sel");
  steps.forEach((s, n) => {
    const op = v.ops[s.op];
    // On the bar's top-left corner, half outside it, so that it hides
    // little of the label.
    const x = v.x(op[1]) + 2;
    const y = v.top + v.row.get(op[0]) * ROW + (ROW - BAR) / 2;
    const g = el("g", {}, v.lp);
    el("circle", {cx: x, cy: y, r: 7}, g);
    el("text", {x: x, y: y + 3, "text-anchor": "middle"}, g, String(n + 1));
  });
}
function clearMarks() {
  for (const v of views) {
    if (!v) continue;
    v.lp.textContent = "";
    for (const g of v.groups) g.classList.remove("dim", "sel");
  }
}
function restore() {
  if (pinned) highlight(pinned.p, pinned.i); else clearMarks();
}

function describeOp(p, i) {
  const op = DATA.parts[p].ops[i];
  return op[3];
}
function pin(p, i) {
  const panel = document.getElementById("panel");
  panel.textContent = "";
  if (p === null || p === undefined) {
    pinned = null;
    clearMarks();
    h("h2", {}, panel, "Summary");
    h("div", {}, panel, "Verdict: " + DATA.result + ". Click an operation to see the " +
      "linearization it belongs to and the state after each step.");
    const ul = h("ul", {}, panel);
    DATA.parts.forEach((P, q) => {
      const li = h("li", {}, ul);
      const a = h("a", {href: "#part" + q}, li, partName(q));
      li.appendChild(document.createTextNode(": "));
      h("span", {class: P.result}, li, P.result);
      li.appendChild(document.createTextNode(" (" + P.ops.length + " ops)"));
      if (P.fail >= 0) {
        li.appendChild(document.createTextNode(" \u2014 cannot linearize " + describeOp(q, P.fail)));
      }
      a.addEventListener("click", () => {});
    });
    if (DATA.faults.length) {
      h("h2", {}, panel, "Faults");
      const fl = h("ul", {}, panel);
      for (const f of DATA.faults) {
        h("li", {}, fl, faultTime(f) + ": " + f[2]);
      }
    }
    return;
  }
  pinned = {p: p, i: i};
  highlight(p, i);
  const P = DATA.parts[p];
  const op = P.ops[i];
  h("h2", {}, panel, partName(p) + ": " + op[3]);
  h("div", {}, panel, "client " + op[0] + ", called " + fmtTime(op[1]) + ", " +
    (op[2] === null ? "never returned" : "returned " + fmtTime(op[2])) +
    " (history #" + op[4] + ")");
  const k = partialOf(p, i);
  if (i === P.fail) {
    h("div", {class: "failnext"}, panel, "\u2717 This operation cannot be " +
      "linearized after the longest linearizable prefix below (and neither " +
      "can any other operation that could go next).");
  } else if (k < 0) {
    h("div", {}, panel, "The search never linearized this operation.");
  }
  const steps = k < 0 ? [] : partial(p, k);
  const what = P.result === "Ok" ? "Linearization" :
      i === P.fail || k === 0 ? "Longest linearizable prefix" :
      "Longest partial linearization containing it";
  if (k >= 0) h("h2", {}, panel, what + " (" + steps.length + " of " + P.ops.length + " operations)");
  if (k >= 0) {
    h("div", {class: "init"}, panel, "initial state: " + DATA.states[P.init]);
    const ol = h("ol", {}, panel);
    steps.forEach(s => {
      const li = h("li", {class: s.op === i ? "cur" : ""}, ol);
      li.appendChild(document.createTextNode(describeOp(p, s.op) + " "));
      h("span", {class: "st"}, li, "\u2192 " + s.state);
      li.addEventListener("click", () => pin(p, s.op));
    });
  }
  if (k === 0 && P.fail >= 0) {
    h("div", {class: "failnext"}, panel,
      "\u2717 next, cannot be linearized: " + describeOp(p, P.fail));
  }
  const back = h("a", {href: "#"}, h("div", {style: "margin-top:8px"}, panel), "back to summary");
  back.addEventListener("click", ev => { ev.preventDefault(); pin(null); });
}

const tip = document.getElementById("tip");
function showTip(ev, p, i) {
  const P = DATA.parts[p];
  const op = P.ops[i];
  let s = op[3] + "\nclient " + op[0] + "\ncall   " + fmtTime(op[1]) +
      "\nreturn " + (op[2] === null ? "never" : fmtTime(op[2]));
  if (i === P.fail) s += "\nCANNOT BE LINEARIZED after the longest prefix";
  if (op[5] >= 0) {
    const steps = partial(p, op[5]);
    const n = steps.findIndex(x => x.op === i);
    s += "\nstep " + (n + 1) + " of a " + steps.length + "-step linearization" +
         "\nstate after: " + steps[n].state;
  } else {
    s += "\nnever linearized";
  }
  tip.textContent = s;
  tip.style.display = "block";
  moveTip(ev);
}
function moveTip(ev) {
  const x = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
  tip.style.left = Math.max(0, x) + "px";
  tip.style.top = (ev.clientY + 16) + "px";
}
function hideTip() { tip.style.display = "none"; }

document.querySelectorAll("input[name=axis]").forEach(r =>
  r.addEventListener("change", () => { axisMode = r.value; render(); }));
function jumpToFirstError() {
  const p = DATA.parts.findIndex(P => P.fail >= 0);
  if (p < 0) return;
  pin(p, DATA.parts[p].fail);
  views[p].groups[DATA.parts[p].fail].scrollIntoView({block: "center", inline: "center"});
}
document.getElementById("jump").addEventListener("click", ev => {
  ev.preventDefault();
  jumpToFirstError();
});
render();
// A failing history opens at its first error.
jumpToFirstError();
</script>
</body>
</html>
)PAGE";

}  // namespace html_internal
}  // namespace linearizability
