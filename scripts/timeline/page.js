// The timeline page's drawing and interaction (scripts/timeline.py inlines
// it). One canvas, redrawn whole on every zoom or pan: a run of tens of
// thousands of events stays fast because only what is in view is drawn,
// and RPCs too many to draw one by one are drawn as a density strip.
"use strict";
(() => {
  const T0 = performance.now();
  const D = DATA;
  const ROLE = ["follower", "candidate", "leader", "down"];
  const ROLE_FILL = ["#cfd8e3", "#f0a830", "#2e8b57", "#555"];
  const ROLE_TEXT = ["#234", "#222", "#fff", "#fff"];
  const KIND_COLOR = {RequestVote: "#d9822b", AppendEntries: "#3b6fb6",
                      InstallSnapshot: "#8e44ad"};
  const MAX_ARROWS = 2500;  // beyond this many in view: a density strip
  const DEFAULT_ARROWS = 1500;  // beyond this many in all: hidden at first
  const GUTTER = 64, AXIS = 26, BAND = 18, LANE = 70, OPLANE = 16;
  const canvas = document.getElementById("canvas");
  const ctx = canvas.getContext("2d");
  const tip = document.getElementById("tip");
  const end = Math.max(D.end, 1);
  let t0 = 0, t1 = end;  // the view, microseconds
  let width = 0, height = 0;

  const peers = D.peers;
  const clients = [...new Set(D.ops.map(o => o[0]))].sort((a, b) => a - b);
  const opsByClient = new Map(clients.map(c => [c, []]));
  for (const o of D.ops) opsByClient.get(o[0]).push(o);
  const bandRows = [["partition"], ["unreliable", "reorder"]];
  const bands =
      bandRows.map(kinds => D.bands.filter(b => kinds.includes(b[2])));
  let maxIndex = 1, maxConfig = 1;
  for (const p of Object.values(D.series)) {
    for (const name of ["log", "commit"]) {
      for (const pt of p[name] || []) maxIndex = Math.max(maxIndex, pt[1]);
    }
    for (const pt of p.config || []) maxConfig = Math.max(maxConfig, pt[1]);
  }
  const laneLabel = p => (D.labels && D.labels[p]) || "S" + p;
  const SERIES = [["commit", "#2e8b57"], ["log", "#3b6fb6"],
                  ["config", "#e67e22"]];
  const R = D.rpcs;
  const nRpc = R.k.length;
  const kindOn = D.rpcKinds.map(() => nRpc <= DEFAULT_ARROWS);
  let dropsOn = D.drops.length <= DEFAULT_ARROWS;
  const report = {};

  // Layout, top to bottom: time axis, fault rows, one lane per peer, one
  // thin lane per client.
  const bandY = AXIS;
  const laneY0 = AXIS + BAND * bandRows.length + 6;
  const laneOf = new Map(peers.map((p, i) => [p, laneY0 + i * LANE]));
  const opY0 = laneY0 + peers.length * LANE + (clients.length ? 8 : 0);
  const opLaneOf = new Map(clients.map((c, i) => [c, opY0 + i * OPLANE]));
  const totalH = opY0 + clients.length * OPLANE + 10;

  const x = t => GUTTER + (t - t0) / (t1 - t0) * (width - GUTTER - 8);
  const tAt = px => t0 + (px - GUTTER) / (width - GUTTER - 8) * (t1 - t0);
  const fmt = us => Math.abs(us) >= 1e6 ? (us / 1e6).toFixed(3) + " s" :
      (us / 1e3).toFixed(1) + " ms";

  // The first index whose value of key(i) is >= t, for sorted columns.
  function lower(n, key, t) {
    let lo = 0, hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (key(mid) < t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  function resize() {
    width = document.getElementById("view").clientWidth || 1200;
    height = totalH;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }

  function axis() {
    const span = t1 - t0;
    const base = Math.pow(10, Math.floor(Math.log10(span / 10)));
    const step = [1, 2, 5, 10].map(m => m * base).find(s => span / s <= 10);
    ctx.fillStyle = "#444";
    ctx.strokeStyle = "#eee";
    ctx.font = "11px system-ui";
    ctx.textBaseline = "top";
    ctx.textAlign = "center";
    for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
      const px = x(t);
      ctx.beginPath();
      ctx.moveTo(px, AXIS - 4);
      ctx.lineTo(px, totalH);
      ctx.stroke();
      ctx.fillText(fmt(t), px, 6);
    }
    ctx.textAlign = "left";
  }

  function label(text, px, y, room, color) {
    if (room < 14) return;
    ctx.fillStyle = color;
    let s = text;
    while (s.length > 1 && ctx.measureText(s).width > room - 4) {
      s = s.slice(0, -2) + "\u2026";
      if (s.length <= 2) return;
    }
    ctx.fillText(s, px + 2, y);
  }

  function clipX(a, b) {
    return [Math.max(x(a), GUTTER), Math.min(x(b), width - 8)];
  }

  function drawBands() {
    ctx.font = "11px system-ui";
    ctx.textBaseline = "middle";
    const fills = {partition: "#f6c6c6", unreliable: "#f8e4a8",
                   reorder: "#e4d4f4"};
    bandRows.forEach((row, r) => {
      const y = bandY + r * BAND;
      ctx.fillStyle = "#666";
      ctx.fillText(r === 0 ? "network" : "faults", 4, y + BAND / 2);
      for (const b of bands[r]) {
        if (b[1] < t0 || b[0] > t1) continue;
        const [a, c] = clipX(b[0], b[1]);
        ctx.fillStyle = fills[b[2]] || "#ddd";
        ctx.fillRect(a, y + 2, Math.max(c - a, 1), BAND - 4);
        label(b[3], a, y + BAND / 2, c - a, "#333");
        report.bandsDrawn.push(b[3]);
      }
    });
  }

  function drawLane(p) {
    const y = laneOf.get(p);
    ctx.fillStyle = "#222";
    ctx.font = "bold 13px system-ui";
    ctx.textBaseline = "middle";
    const name = laneLabel(p);
    if (name.length > 6) ctx.font = "bold 11px system-ui";
    ctx.fillText(name, 4, y + 14);
    ctx.font = "10px system-ui";
    const ser = D.series[p] || {};
    let ly = y + 34;
    for (const [sname, color] of [...SERIES].reverse()) {
      if (!ser[sname]) continue;
      ctx.fillStyle = color;
      ctx.fillText(sname, 8, ly);
      ly += 12;
    }
    ctx.strokeStyle = "#e4e4e4";
    ctx.beginPath();
    ctx.moveTo(GUTTER, y + LANE - 2);
    ctx.lineTo(width - 8, y + LANE - 2);
    ctx.stroke();
    for (const c of D.cut[p] || []) {  // cut off from the others
      if (c[1] < t0 || c[0] > t1) continue;
      const [a, b] = clipX(c[0], c[1]);
      ctx.fillStyle = "rgba(220, 60, 60, .10)";
      ctx.fillRect(a, y, b - a, LANE - 3);
      ctx.fillStyle = "#c0392b";
      ctx.fillRect(a, y + 24, b - a, 2);
    }
    ctx.font = "11px system-ui";
    const S = D.spans[p] || [];
    let k = lower(S.length, i => S[i][1], t0);
    for (; k < S.length && S[k][0] <= t1; k++) {
      const s = S[k];
      const [a, b] = clipX(s[0], s[1]);
      ctx.fillStyle = ROLE_FILL[s[2]];
      ctx.fillRect(a, y + 4, Math.max(b - a, 1), 18);
      let text = s[2] === 3 ? "down" : "T" + s[3] +
          (s[2] === 0 ? "" : " " + ROLE[s[2]]);
      // The term matters more than the role's name, which the colour says.
      if (s[2] !== 3 && ctx.measureText(text).width > b - a - 4) {
        text = "T" + s[3];
      }
      label(text, a, y + 13, b - a, ROLE_TEXT[s[2]]);
      report.spansDrawn++;
      report.roles[ROLE[s[2]]] = (report.roles[ROLE[s[2]]] || 0) + 1;
    }
    for (const [name, color] of SERIES) {
      const pts = ser[name] || [];
      if (!pts.length) continue;
      const top = name === "config" ? maxConfig : maxIndex;
      const vy = v => y + 62 - v / top * 34;
      ctx.strokeStyle = color;
      ctx.lineWidth = name === "commit" ? 2 : 1.2;
      ctx.beginPath();
      let i = Math.max(lower(pts.length, j => pts[j][0], t0) - 1, 0);
      ctx.moveTo(Math.max(x(pts[i][0]), GUTTER), vy(pts[i][1]));
      for (i++; i < pts.length && pts[i - 1][0] <= t1; i++) {
        const px = Math.min(x(pts[i][0]), width - 8);
        ctx.lineTo(px, vy(pts[i - 1][1]));
        ctx.lineTo(px, vy(pts[i][1]));
      }
      if (i >= pts.length) ctx.lineTo(Math.min(x(end), width - 8),
                                      vy(pts[pts.length - 1][1]));
      ctx.stroke();
      ctx.lineWidth = 1;
      report.stepLines++;
    }
    for (const sh of ser.shard || []) {  // shard moves: in green, out red
      if (sh[0] < t0 || sh[0] > t1) continue;
      ctx.fillStyle = sh[3] ? "#16a085" : "#c0392b";
      ctx.fillRect(x(sh[0]) - 1, y + 58, 3, 8);
      report.shardMovesDrawn = (report.shardMovesDrawn || 0) + 1;
    }
    const vy = v => y + 62 - v / maxIndex * 34;
    const snaps = ser.snap || [];
    ctx.fillStyle = "#8e44ad";
    for (const s of snaps) {
      if (s[1] === 0 || s[0] < t0 || s[0] > t1) continue;
      const px = x(s[0]), py = vy(s[1]);
      ctx.beginPath();
      ctx.moveTo(px, py - 6);
      ctx.lineTo(px - 4, py + 1);
      ctx.lineTo(px + 4, py + 1);
      ctx.fill();
      report.snapshotsDrawn++;
    }
  }

  function drawMarks() {
    const colors = {fail: "#d00", config: "#e67e22", shard: "#16a085",
                    restart: "#777", begin: "#aaa", end: "#aaa"};
    for (const m of D.marks) {
      if (m[0] < t0 || m[0] > t1) continue;
      const px = x(m[0]);
      ctx.strokeStyle = colors[m[1]] || "#999";
      ctx.lineWidth = m[1] === "fail" ? 2 : 1;
      ctx.setLineDash(m[1] === "fail" ? [] : [3, 3]);
      ctx.beginPath();
      ctx.moveTo(px, AXIS);
      ctx.lineTo(px, totalH);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.lineWidth = 1;
      if (m[1] === "fail" || m[1] === "config") {
        ctx.textBaseline = "top";
        ctx.fillStyle = colors[m[1]];
        ctx.font = "bold 11px system-ui";
        const text = m[1] === "fail" ? "FAIL" : m[2];
        const w = ctx.measureText(text).width;
        // Near the right edge the label goes on the line's left.
        ctx.fillText(text, px + 3 + w > width - 8 ? px - 3 - w : px + 3,
                     AXIS + 2);
      }
      report.marks[m[1]] = (report.marks[m[1]] || 0) + 1;
    }
  }

  const mid = p => laneOf.get(p) + 13;
  let drawnArrows = [];  // [rpc index, x0, y0, x1, y1] for hovering

  function drawRpcs() {
    drawnArrows = [];
    const lo = lower(nRpc, i => R.s[i], t0 - 2e6);
    const hi = lower(nRpc, i => R.s[i], t1 + 1);
    let inView = 0;
    for (let i = lo; i < hi; i++) {
      if (!kindOn[R.k[i]]) continue;
      if ((R.d[i] >= 0 ? R.d[i] : R.s[i]) >= t0) inView++;
    }
    report.rpcsInView = inView;
    report.aggregated = inView > MAX_ARROWS;
    if (inView > MAX_ARROWS) {
      // A density strip per sender: how many calls left it per pixel.
      const counts = new Map(peers.map(p => [p, new Float32Array(width)]));
      for (let i = lo; i < hi; i++) {
        if (!kindOn[R.k[i]] || R.s[i] < t0) continue;
        const c = counts.get(R.f[i]);
        if (c) c[Math.floor(x(R.s[i]))]++;
      }
      for (const [p, c] of counts) {
        const y = laneOf.get(p) + 22;
        for (let px = GUTTER; px < width; px++) {
          if (!c[px]) continue;
          ctx.fillStyle = `rgba(59, 111, 182, ${Math.min(.2 + c[px] / 6, 1)})`;
          ctx.fillRect(px, y, 1, 3);
        }
      }
      setStatus(`${inView} RPCs in view: drawn as density under each ` +
                `sender's role bar; zoom in to see arrows`);
      return;
    }
    for (let i = lo; i < hi; i++) {
      if (!kindOn[R.k[i]]) continue;
      // Never delivered (unreachable, or the request was lost): a stub
      // towards the receiver, crossed out, at the send time.
      const lost = R.d[i] < 0;
      if ((lost ? R.s[i] : R.d[i]) < t0) continue;
      const x0 = x(R.s[i]), y0 = mid(R.f[i]);
      const yTo = mid(R.to[i]);
      const x1 = lost ? x0 + 8 : x(R.d[i]);
      const y1 = lost ? y0 + Math.sign(yTo - y0) * 14 : yTo;
      ctx.strokeStyle = KIND_COLOR[D.rpcKinds[R.k[i]]] || "#666";
      ctx.globalAlpha = .75;
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1, y1);
      ctx.stroke();
      const a = Math.atan2(y1 - y0, x1 - x0);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.beginPath();
      ctx.moveTo(x1, y1);
      ctx.lineTo(x1 - 6 * Math.cos(a - .4), y1 - 6 * Math.sin(a - .4));
      ctx.lineTo(x1 - 6 * Math.cos(a + .4), y1 - 6 * Math.sin(a + .4));
      ctx.fill();
      if (R.x[i] >= 0) {  // lost: before delivery, or its reply
        ctx.strokeStyle = "#d00";
        ctx.beginPath();
        ctx.moveTo(x1 - 3, y1 - 3); ctx.lineTo(x1 + 3, y1 + 3);
        ctx.moveTo(x1 + 3, y1 - 3); ctx.lineTo(x1 - 3, y1 + 3);
        ctx.stroke();
      }
      ctx.globalAlpha = 1;
      drawnArrows.push([i, x0, y0, x1, y1]);
    }
  }

  function drawDrops() {
    if (!dropsOn) return;
    ctx.strokeStyle = "#d00";
    let n = 0;
    for (const d of D.drops) {
      if (d[0] < t0 || d[0] > t1 || !laneOf.has(d[1])) continue;
      const px = x(d[0]), py = laneOf.get(d[1]) + 25;
      ctx.beginPath();
      ctx.moveTo(px - 2, py - 2); ctx.lineTo(px + 2, py + 2);
      ctx.moveTo(px + 2, py - 2); ctx.lineTo(px - 2, py + 2);
      ctx.stroke();
      n++;
    }
    report.dropsDrawn = n;
  }

  function opKind(label) {
    return label.startsWith("get") ? "#5b8fd6" : "#e59a4b";
  }

  function drawOps() {
    ctx.font = "10px system-ui";
    ctx.textBaseline = "middle";
    for (const c of clients) {
      const y = opLaneOf.get(c);
      ctx.fillStyle = "#444";
      ctx.fillText(c < 0 ? "checks" : "C" + c, 8, y + OPLANE / 2);
      const ops = opsByClient.get(c);
      let k = lower(ops.length, i => ops[i][2], t0);
      for (; k < ops.length && ops[k][1] <= t1; k++) {
        const o = ops[k];
        const [a, b] = clipX(o[1], o[2]);
        ctx.fillStyle = opKind(o[3]);
        ctx.fillRect(a, y + 2, Math.max(b - a, 1.5), OPLANE - 4);
        label(o[3], a, y + OPLANE / 2, b - a, "#fff");
        report.opsDrawn++;
      }
    }
  }

  function setStatus(s) {
    document.getElementById("status").textContent = s;
  }

  function draw() {
    const start = performance.now();
    Object.assign(report, {spansDrawn: 0, roles: {}, stepLines: 0,
                           snapshotsDrawn: 0, bandsDrawn: [], marks: {},
                           opsDrawn: 0, dropsDrawn: 0});
    setStatus("");
    ctx.clearRect(0, 0, width, height);
    axis();
    drawBands();
    for (const p of peers) drawLane(p);
    drawOps();
    drawRpcs();
    drawDrops();
    drawMarks();
    report.arrowsDrawn = drawnArrows.length;
    report.lanes = peers.map(laneLabel);
    report.clientLanes = clients.map(c => (c < 0 ? "checks" : "C" + c));
    report.view = [t0, t1];
    report.drawMs = performance.now() - start;
    document.getElementById("range").textContent =
        `view ${fmt(t0)} \u2013 ${fmt(t1)} of ${fmt(end)}`;
    document.getElementById("report").textContent = JSON.stringify(report);
  }

  let pending = false;
  function redraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  }

  function zoom(factor, px) {
    const c = px === undefined ? (t0 + t1) / 2 : tAt(px);
    let span = Math.min(Math.max((t1 - t0) * factor, 50), end * 1.05);
    t0 = c - (c - t0) * span / (t1 - t0);
    t1 = t0 + span;
    clampView();
    redraw();
  }

  function clampView() {
    const span = t1 - t0;
    if (t0 < 0) { t0 = 0; t1 = span; }
    if (t1 > end * 1.05) { t1 = end * 1.05; t0 = Math.max(t1 - span, 0); }
  }

  // Hover: what is under the mouse, as its trace line(s).
  function hit(px, py) {
    const t = tAt(px);
    const eps = (t1 - t0) / width * 3;
    for (const m of D.marks) {
      if (Math.abs(m[0] - t) < eps && py > AXIS) return [m[3]];
    }
    for (let r = 0; r < bandRows.length; r++) {
      const y = bandY + r * BAND;
      if (py >= y && py < y + BAND) {
        const b = bands[r].find(b => b[0] <= t && t <= b[1]);
        return b ? [b[3] + " (" + fmt(b[0]) + " \u2013 " + fmt(b[1]) + ")",
                    b[4]] : null;
      }
    }
    let best = null, bestD = 5;
    for (const [i, x0, y0, x1, y1] of drawnArrows) {
      const dx = x1 - x0, dy = y1 - y0;
      const u = Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) /
                                        (dx * dx + dy * dy || 1)));
      const d = Math.hypot(x0 + u * dx - px, y0 + u * dy - py);
      if (d < bestD) { bestD = d; best = i; }
    }
    if (best !== null) return R.ln[best];
    for (const p of peers) {
      const y = laneOf.get(p);
      if (py < y || py >= y + LANE) continue;
      if (py < y + 23) {
        const S = D.spans[p] || [];
        const s = S.find(s => s[0] <= t && t < s[1]) ||
            (S.length && t >= S[S.length - 1][0] ? S[S.length - 1] : null);
        if (!s) return null;
        const what = s[2] === 3 ? "down" : ROLE[s[2]] + ", term " + s[3];
        return [`${laneLabel(p)} ${what}, ${fmt(s[0])} \u2013 ${fmt(s[1])}`,
                s[4]];
      }
      const ser = D.series[p] || {};
      const out = [];
      for (const name of ["log", "commit", "snap", "config", "shard"]) {
        const pts = ser[name] || [];
        const k = lower(pts.length, j => pts[j][0], t + 1) - 1;
        if (k >= 0) out.push(pts[k][2]);
      }
      return out.length ? [...new Set(out)] : null;
    }
    for (const c of clients) {
      const y = opLaneOf.get(c);
      if (py < y || py >= y + OPLANE) continue;
      const o =
          opsByClient.get(c).find(o => o[1] - eps <= t && t <= o[2] + eps);
      return o ? [`C${c} ${o[3]}: called ${fmt(o[1])}, returned ${fmt(o[2])}`,
                  o[4]] : null;
    }
    return null;
  }

  function showTip(ev) {
    const r = canvas.getBoundingClientRect();
    const h = hit(ev.clientX - r.left, ev.clientY - r.top);
    if (!h) { tip.hidden = true; return; }
    tip.textContent = h.map(v => typeof v === "number" ? D.lines[v] : v)
        .join("\n");
    tip.hidden = false;
    const left = Math.min(ev.clientX + 12, window.innerWidth - 740);
    tip.style.left = Math.max(left, 4) + "px";
    tip.style.top = (ev.clientY + 14) + "px";
  }

  let drag = null;
  canvas.addEventListener("mousedown", ev => {
    drag = {x: ev.clientX, t0, t1};
    canvas.classList.add("dragging");
  });
  window.addEventListener("mouseup", () => {
    drag = null;
    canvas.classList.remove("dragging");
  });
  window.addEventListener("mousemove", ev => {
    if (drag) {
      const dt = (ev.clientX - drag.x) / (width - GUTTER - 8) * (t1 - t0);
      t0 = drag.t0 - dt;
      t1 = drag.t1 - dt;
      clampView();
      redraw();
      tip.hidden = true;
    } else if (ev.target === canvas) {
      showTip(ev);
    } else {
      tip.hidden = true;
    }
  });
  canvas.addEventListener("wheel", ev => {
    ev.preventDefault();
    const r = canvas.getBoundingClientRect();
    zoom(ev.deltaY > 0 ? 1.25 : 0.8, ev.clientX - r.left);
  }, {passive: false});
  document.getElementById("zoom-in").onclick = () => zoom(0.5);
  document.getElementById("zoom-out").onclick = () => zoom(2);
  document.getElementById("fit").onclick = () => {
    t0 = 0;
    t1 = end;
    redraw();
  };
  window.addEventListener("resize", () => { resize(); redraw(); });

  // Header: what fixes the run, what is not traced, the RPC filters.
  document.getElementById("sub").textContent =
      (D.header || "") + ` \u2014 ${peers.length} peers, ${fmt(end)}, ` +
      `${D.lines.length} trace lines, ${nRpc} RPCs, ${D.ops.length} ` +
      `client operations` + (D.failed ? " \u2014 FAILED" : "");
  const notes = document.getElementById("notes");
  for (const n of D.notes) {
    const div = document.createElement("div");
    div.textContent = n;
    notes.appendChild(div);
  }
  const kinds = document.getElementById("kinds");
  D.rpcKinds.forEach((k, i) => {
    const n = R.k.filter(v => v === i).length;
    const lab = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = kindOn[i];
    box.dataset.kind = k;
    box.onchange = () => { kindOn[i] = box.checked; redraw(); };
    lab.append(box, ` ${k} (${n})`);
    lab.style.color = KIND_COLOR[k] || "#444";
    kinds.appendChild(lab);
  });
  const drops = document.getElementById("show-drops");
  drops.checked = dropsOn;
  drops.parentNode.lastChild.textContent =
      ` dropped messages (${D.drops.length})`;
  drops.onchange = () => { dropsOn = drops.checked; redraw(); };
  const legend = document.getElementById("legend");
  const items = ROLE.map((r, i) => [r, ROLE_FILL[i]]).concat(
      [["partition", "#f6c6c6"], ["unreliable", "#f8e4a8"],
       ["long reordering", "#e4d4f4"], ["cut off", "#c0392b"],
       ["snapshot", "#8e44ad"], ["get", "#5b8fd6"],
       ["put/append", "#e59a4b"]]);
  for (const [name, color] of items) {
    const sw = document.createElement("span");
    sw.className = "sw";
    sw.style.background = color;
    legend.append(sw, name);
  }

  // For tests and for a student's console: the view and where a span is.
  window.TL = {
    report,
    zoomTo(a, b) { t0 = a; t1 = b; draw(); },
    spanPoint(p, k) {
      const s = D.spans[p][k];
      const [a, b] = clipX(s[0], s[1]);
      const r = canvas.getBoundingClientRect();
      return {x: r.left + (a + b) / 2, y: r.top + laneOf.get(p) + 13};
    },
    // The centre of the k-th client operation's bar, of the k-th fault.
    opPoint(k) {
      const o = D.ops[k];
      const [a, b] = clipX(o[1], o[2]);
      const r = canvas.getBoundingClientRect();
      return {x: r.left + (a + b) / 2,
              y: r.top + opLaneOf.get(o[0]) + OPLANE / 2};
    },
    bandPoint(row, k) {
      const b = bands[row][k];
      const [a, c] = clipX(b[0], b[1]);
      const r = canvas.getBoundingClientRect();
      return {x: r.left + (a + c) / 2,
              y: r.top + bandY + row * BAND + BAND / 2};
    },
    // The middle of the j-th RPC arrow drawn.
    arrowPoint(j) {
      const [, x0, y0, x1, y1] = drawnArrows[j];
      const r = canvas.getBoundingClientRect();
      return {x: r.left + (x0 + x1) / 2, y: r.top + (y0 + y1) / 2};
    },
    tip: () => (tip.hidden ? "" : tip.textContent),
  };
  window.TIMELINE_REPORT = report;
  resize();
  draw();
  report.firstDrawMs = performance.now() - T0;
  document.getElementById("report").textContent = JSON.stringify(report);
})();
