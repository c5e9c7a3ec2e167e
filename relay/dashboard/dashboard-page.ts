// The operator's dashboard page (`GET /dashboard`), kept as a string so it ships inside `dist/`
// with the relay: no build step, no files to copy. It polls `/dashboard/data` every second and
// keeps the charts' history itself (seeded from the relay's last two minutes of samples). Every
// name and log text is put on the page as text, never as HTML (player names are the players').

/** The dashboard's HTML (with its script and style inline; uPlot comes from `/dashboard/uplot.*`). */
export const DASHBOARD_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tessera relay — dashboard</title>
<link rel="stylesheet" href="/dashboard/uplot.css">
<style>
  :root { --bg: #f4f5f7; --card: #fff; --ink: #1d2430; --muted: #6b7480; --line: #e2e5ea; --relay: #b3b8bf; --ok: #2e9d5b; --warn: #d9822b; --bad: #cf3c3c; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
  header { display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: baseline; padding: 10px 16px; background: #1d2430; color: #fff; }
  header h1 { font-size: 16px; margin: 0 8px 0 0; font-weight: 600; }
  header .kv { color: #c9d1dc; }
  header .kv b { color: #fff; font-weight: 600; }
  #status { margin-left: auto; font-size: 12px; }
  #status.bad { color: #ff9b9b; }
  main { display: grid; grid-template-columns: minmax(380px, 470px) 1fr; gap: 12px; padding: 12px 16px; }
  .card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; min-width: 0; }
  .card h2 { font-size: 13px; margin: 0 0 8px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; }
  .wide { grid-column: 1 / -1; }
  #map { display: block; width: 100%; height: auto; }
  #legend { display: flex; flex-wrap: wrap; gap: 4px 12px; margin-top: 8px; }
  .sw { display: inline-block; width: 12px; height: 12px; border-radius: 3px; vertical-align: -2px; margin-right: 5px; border: 1px solid rgba(0,0,0,.15); }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { color: var(--muted); font-weight: 600; font-size: 12px; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .chip { display: inline-block; padding: 0 6px; margin: 1px 3px 1px 0; border-radius: 9px; font-size: 11px; border: 1px solid var(--line); white-space: nowrap; }
  .chip.p2p { background: #e3f5ea; border-color: #a9dbbd; }
  .chip.relay { background: #fdeedd; border-color: #f0c48f; }
  .chip.connecting, .chip.none { background: #f0f1f3; color: var(--muted); }
  .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 10px; }
  .chart h3 { font-size: 12px; margin: 0 0 2px; font-weight: 600; }
  .chart .now { float: right; font-weight: 600; font-variant-numeric: tabular-nums; }
  .chart .keys { font-size: 11px; color: var(--muted); margin: 0 0 2px; min-height: 15px; }
  .chart .keys span { margin-right: 10px; white-space: nowrap; }
  .chart .keys i { display: inline-block; width: 14px; height: 0; border-top: 2px solid; vertical-align: 3px; margin-right: 4px; }
  .chart .keys i.dash { border-top-style: dashed; }
  .log .detail { color: #3d4652; margin: 2px 0 0 62px; }
  .cols { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 12px; }
  .log { font: 12px/1.35 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; max-height: 260px; overflow: auto; }
  .log div { padding: 3px 0; border-bottom: 1px dashed var(--line); word-break: break-word; }
  .log .t { color: var(--muted); margin-right: 6px; }
  .log .error .m { color: var(--bad); font-weight: 600; }
  .log .warn .m { color: var(--warn); font-weight: 600; }
  .muted { color: var(--muted); }
  .empty { color: var(--muted); font-style: italic; }
</style>
</head>
<body data-players="0" data-tiles="0" data-players-with-tile="0" data-charts="loading" data-polls="0">
<header>
  <h1>Tessera relay</h1>
  <span class="kv">world <b id="h-world">…</b></span>
  <span class="kv">tick <b id="h-tick">…</b></span>
  <span class="kv">sim tick <b id="h-sim">…</b></span>
  <span class="kv">players <b id="h-players">…</b></span>
  <span class="kv">tiles <b id="h-tiles">…</b></span>
  <span class="kv">authority <b id="h-authority">…</b></span>
  <span class="kv">auth <b id="h-auth">…</b></span>
  <span class="kv">up <b id="h-up">…</b></span>
  <span id="status">connecting…</span>
</header>
<main>
  <section class="card" id="map-card">
    <h2>Tile map</h2>
    <canvas id="map" width="440" height="440"></canvas>
    <div id="legend"></div>
    <div class="muted" style="margin-top:6px;font-size:12px">Top-down (x → right, z ↓), one square per tile, coloured by its owner; eN is the lease epoch; a dot with an initial is a player's avatar.</div>
  </section>
  <section class="card" id="players-card">
    <h2>Players</h2>
    <table id="players"><thead><tr><th></th><th>Name</th><th class="num">Peer</th><th>Role</th><th>Avatar tile</th><th class="num">Tiles</th><th>Paths to other players</th><th class="num">Joined</th></tr></thead><tbody></tbody></table>
    <div class="cols" style="margin-top:12px">
      <div><h2>Audit windows</h2><table id="audit"><tbody></tbody></table></div>
      <div><h2>Leases &amp; traffic</h2><table id="totals"><tbody></tbody></table></div>
    </div>
  </section>
  <section class="card wide">
    <h2>Live</h2>
    <div class="charts" id="charts"></div>
  </section>
  <section class="card">
    <h2>Refusals by reason</h2>
    <table id="refusals"><tbody></tbody></table>
    <h2 style="margin-top:10px">Connections closed by reason</h2>
    <table id="closed"><tbody></tbody></table>
    <h2 style="margin-top:10px">Incidents by reason</h2>
    <table id="incident-counts"><tbody></tbody></table>
  </section>
  <section class="card">
    <h2>Incidents (newest first)</h2>
    <div class="log" id="incidents"></div>
    <h2 style="margin-top:10px">Recent refusals</h2>
    <div class="log" id="refusal-log"></div>
  </section>
  <section class="card">
    <h2>Recent events (joins, leaves, handoffs, takeovers, incidents)</h2>
    <div class="log" id="events"></div>
  </section>
  <section class="card">
    <h2>Slow relay ticks (over 100 ms)</h2>
    <div class="log" id="slow-ticks"></div>
  </section>
</main>
<script src="/dashboard/uplot.js"></script>
<script>
"use strict";
(function () {
  var base = location.pathname.replace(/\/+$/, "") + "/";
  var token = new URLSearchParams(location.search).get("token");
  var headers = token ? { authorization: "Bearer " + token } : {};
  var PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#17becf", "#f032e6", "#9ab820", "#469990", "#9a6324", "#800000", "#000075"];
  var RELAY = "#b3b8bf";
  var MAX_POINTS = 600;
  var polls = 0;

  function colourOf(peer) { return peer === 0 ? RELAY : PALETTE[(peer - 1) % PALETTE.length]; }
  function $(id) { return document.getElementById(id); }
  function el(tag, props, children) {
    var e = document.createElement(tag);
    if (props) for (var k in props) {
      if (k === "text") e.textContent = props[k];
      else if (k === "cls") e.className = props[k];
      else if (k === "style") e.setAttribute("style", props[k]);
      else e.setAttribute(k, props[k]);
    }
    if (children) for (var i = 0; i < children.length; i++) if (children[i] != null) e.appendChild(typeof children[i] === "string" ? document.createTextNode(children[i]) : children[i]);
    return e;
  }
  function replace(node, children) { node.replaceChildren.apply(node, children); }
  function fmtAge(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  }
  function fmtTime(t) { var d = new Date(t); return d.toTimeString().slice(0, 8); }
  function fmtNum(v) { return typeof v === "number" ? (Math.abs(v) >= 1e6 ? (v / 1e6).toFixed(1) + " M" : Math.abs(v) >= 1e4 ? (v / 1e3).toFixed(1) + " k" : String(Math.round(v * 100) / 100)) : String(v); }
  function tileText(t) { return t ? t.x + "," + t.y + "," + t.z : "—"; }

  // ---- charts (uPlot) ----------------------------------------------------------------------
  var CHARTS = [
    { id: "tps", title: "Relay ticks / s", series: [{ key: "ticksPerSecond", label: "ticks/s", stroke: "#4363d8" }] },
    { id: "cpu", title: "Process CPU, % of one core", series: [{ key: "cpuPercent", label: "CPU %", stroke: "#e6194b" }] },
    { id: "leases", title: "Leases, handoffs & takeovers / min", series: [{ key: "leasesPerMinute", label: "leases", stroke: "#3cb44b" }, { key: "handoffsPerMinute", label: "handoffs", stroke: "#f58231", dash: [6, 4] }, { key: "takeoversPerMinute", label: "takeovers", stroke: "#911eb4" }] },
    { id: "audit", title: "Audit windows / min", series: [{ key: "auditWindowsPerMinute", label: "seen", stroke: "#469990" }, { key: "auditsPerMinute", label: "audited", stroke: "#4363d8", dash: [6, 4] }, { key: "auditMismatchesPerMinute", label: "mismatched", stroke: "#cf3c3c" }] },
    { id: "refused", title: "Refusals / min", series: [{ key: "refusalsPerMinute", label: "refused", stroke: "#9a6324" }] },
  ];
  var hist = { t: [] };
  CHARTS.forEach(function (c) { c.series.forEach(function (s) { hist[s.key] = []; }); });
  var lastT = 0;
  function pushRates(r) {
    if (!r || r.t <= lastT) return;
    lastT = r.t;
    hist.t.push(r.t / 1000);
    CHARTS.forEach(function (c) { c.series.forEach(function (s) { hist[s.key].push(r[s.key]); }); });
    if (hist.t.length > MAX_POINTS) for (var k in hist) hist[k].shift();
  }
  var plots = [];
  function makeCharts() {
    var box = $("charts");
    var haveUplot = typeof window.uPlot === "function";
    document.body.dataset.charts = haveUplot ? "ready" : "missing";
    CHARTS.forEach(function (c) {
      var now = el("span", { cls: "now", text: "—" });
      var target = el("div");
      var keys = el("div", { cls: "keys" }, c.series.length > 1 ? c.series.map(function (s) { return el("span", null, [el("i", { cls: s.dash ? "dash" : "", style: "border-color:" + s.stroke }), s.label]); }) : [el("span", { text: "last " + Math.round(MAX_POINTS / 60) + " min" })]);
      box.appendChild(el("div", { cls: "chart", id: "chart-" + c.id }, [el("h3", null, [c.title, now]), keys, target]));
      c.now = now;
      if (!haveUplot) { target.appendChild(el("div", { cls: "empty", text: "uPlot did not load" })); return; }
      var width = Math.max(260, Math.floor(target.getBoundingClientRect().width || 300));
      var opts = {
        width: width, height: 150,
        legend: { show: false },
        cursor: { show: true, points: { show: false } },
        scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.15)]; } } },
        axes: [{ size: 28, font: "11px system-ui" }, { size: 42, font: "11px system-ui" }],
        series: [{}].concat(c.series.map(function (s) { return { label: s.label, stroke: s.stroke, width: 1.5, dash: s.dash, fill: c.series.length === 1 ? s.stroke + "22" : undefined, points: { show: false } }; })),
      };
      c.plot = new window.uPlot(opts, [[]].concat(c.series.map(function () { return []; })), target);
      plots.push(c);
    });
    window.addEventListener("resize", function () {
      plots.forEach(function (c) { var w = Math.max(260, Math.floor(c.plot.root.parentNode.getBoundingClientRect().width)); c.plot.setSize({ width: w, height: 150 }); });
    });
  }
  function drawCharts(rates) {
    CHARTS.forEach(function (c) {
      if (rates) c.now.textContent = c.series.map(function (s) { return fmtNum(rates[s.key]); }).join(" / ");
      if (c.plot) c.plot.setData([hist.t].concat(c.series.map(function (s) { return hist[s.key]; })));
    });
  }

  // ---- tile map ----------------------------------------------------------------------------
  function drawMap(snap) {
    var canvas = $("map");
    var cssW = canvas.parentNode.getBoundingClientRect().width - 24 || 440;
    cssW = Math.max(240, Math.min(640, Math.floor(cssW)));
    var dpr = window.devicePixelRatio || 1;
    var cells = {};
    var minX = Infinity, maxX = -Infinity, minZ = Infinity, maxZ = -Infinity;
    function cover(x, z) { if (x < minX) minX = x; if (x > maxX) maxX = x; if (z < minZ) minZ = z; if (z > maxZ) maxZ = z; }
    snap.tiles.forEach(function (t) { var k = t.x + "," + t.z; (cells[k] = cells[k] || []).push(t); cover(t.x, t.z); });
    snap.players.forEach(function (p) { if (p.avatarTile) cover(p.avatarTile.x, p.avatarTile.z); });
    if (minX === Infinity) { minX = maxX = minZ = maxZ = 0; }
    var nx = maxX - minX + 1, nz = maxZ - minZ + 1;
    var pad = 26;
    var cell = Math.max(14, Math.min(96, Math.floor((cssW - pad - 4) / Math.max(nx, nz))));
    var w = pad + nx * cell + 4, h = pad + nz * cell + 4;
    canvas.style.width = w + "px"; canvas.style.height = h + "px";
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    var g = canvas.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    g.font = "11px system-ui, sans-serif";
    g.fillStyle = "#6b7480"; g.textAlign = "center"; g.textBaseline = "middle";
    var step = Math.max(1, Math.ceil(22 / cell));
    for (var x = minX; x <= maxX; x += step) g.fillText(String(x), pad + (x - minX + 0.5) * cell, pad / 2);
    g.textAlign = "right";
    for (var z = minZ; z <= maxZ; z += step) g.fillText(String(z), pad - 5, pad + (z - minZ + 0.5) * cell);
    var names = {};
    snap.players.forEach(function (p) { names[p.peer] = p.name; });
    Object.keys(cells).forEach(function (k) {
      var list = cells[k].sort(function (a, b) { return a.y - b.y; });
      var cx = pad + (list[0].x - minX) * cell, cz = pad + (list[0].z - minZ) * cell;
      var part = (cell - 2) / list.length;
      list.forEach(function (t, i) {
        g.fillStyle = colourOf(t.owner);
        g.globalAlpha = t.owner === 0 ? 1 : 0.85;
        g.fillRect(cx + 1, cz + 1 + i * part, cell - 2, part);
      });
      g.globalAlpha = 1;
      g.strokeStyle = "rgba(0,0,0,.25)"; g.lineWidth = 1;
      g.strokeRect(cx + 1.5, cz + 1.5, cell - 3, cell - 3);
      if (cell >= 44) {
        g.fillStyle = "rgba(0,0,0,.65)"; g.textAlign = "left"; g.textBaseline = "top"; g.font = "10px system-ui, sans-serif";
        g.fillText(list[0].x + "," + list[0].z + (list.length > 1 ? " (" + list.length + " y)" : ""), cx + 4, cz + 4);
        g.textBaseline = "bottom";
        g.fillText("e" + list.map(function (t) { return t.epoch; }).join("/"), cx + 4, cz + cell - 3);
      }
    });
    // Avatars: a dot in the player's colour, with its initial, in its avatar's tile.
    var byCell = {};
    snap.players.forEach(function (p) { if (p.avatarTile) { var k = p.avatarTile.x + "," + p.avatarTile.z; (byCell[k] = byCell[k] || []).push(p); } });
    Object.keys(byCell).forEach(function (k) {
      var list = byCell[k], t = list[0].avatarTile;
      var r = Math.max(5, Math.min(11, cell / (2.4 * Math.max(2, Math.ceil(Math.sqrt(list.length))))));
      var per = Math.max(1, Math.ceil(Math.sqrt(list.length)));
      list.forEach(function (p, i) {
        var col = i % per, row = Math.floor(i / per);
        var gx = pad + (t.x - minX) * cell + cell / 2 + (col - (per - 1) / 2) * r * 2.3;
        var gz = pad + (t.z - minZ) * cell + cell / 2 + (row - (Math.ceil(list.length / per) - 1) / 2) * r * 2.3;
        g.beginPath(); g.arc(gx, gz, r, 0, Math.PI * 2);
        g.fillStyle = colourOf(p.peer); g.fill();
        g.lineWidth = 2; g.strokeStyle = "#fff"; g.stroke();
        g.fillStyle = "#fff"; g.textAlign = "center"; g.textBaseline = "middle"; g.font = "bold " + Math.round(r * 1.1) + "px system-ui, sans-serif";
        g.fillText((p.name || "?").charAt(0).toUpperCase(), gx, gz + 0.5);
      });
    });
    var owners = {};
    snap.tiles.forEach(function (t) { owners[t.owner] = (owners[t.owner] || 0) + 1; });
    var items = [el("span", null, [el("span", { cls: "sw", style: "background:" + RELAY }), "relay (" + (owners[0] || 0) + ")"])];
    snap.players.forEach(function (p) {
      items.push(el("span", null, [el("span", { cls: "sw", style: "background:" + colourOf(p.peer) }), p.name + " #" + p.peer + " (" + (owners[p.peer] || 0) + ")"]));
    });
    Object.keys(owners).forEach(function (o) { if (o !== "0" && names[o] === undefined) items.push(el("span", null, [el("span", { cls: "sw", style: "background:" + colourOf(Number(o)) }), "peer #" + o + " (left)"])); });
    replace($("legend"), items);
  }

  // ---- tables and logs ---------------------------------------------------------------------
  function drawPlayers(snap) {
    var names = {};
    snap.players.forEach(function (p) { names[p.peer] = p.name; });
    var rows = snap.players.map(function (p) {
      var chips = p.paths.filter(function (q) { return q.path !== "none"; }).map(function (q) {
        return el("span", { cls: "chip " + q.path, title: q.relayedMessages + " messages relayed" }, [(names[q.peer] || "#" + q.peer) + ": " + q.path]);
      });
      if (chips.length === 0) chips = [el("span", { cls: "muted", text: p.paths.length ? "no links needed" : "alone" })];
      return el("tr", { "data-peer": String(p.peer), "data-avatar-tile": p.avatarTile ? tileText(p.avatarTile) : "" }, [
        el("td", null, [el("span", { cls: "sw", style: "background:" + colourOf(p.peer) })]),
        el("td", { text: p.name }),
        el("td", { cls: "num", text: String(p.peer) }),
        el("td", { text: p.role || "?" }),
        el("td", { title: p.avatarTileFrom === "relay" ? "from the relay's simulation" : p.avatarTileFrom === "pose" ? "from the player's last pose" : "" }, [tileText(p.avatarTile), p.avatarTileFrom === "pose" ? el("span", { cls: "muted", text: " (pose)" }) : null]),
        el("td", { cls: "num", text: String(p.tiles) }),
        el("td", null, chips),
        el("td", { cls: "num", text: fmtAge(snap.time - p.joinedAt) }),
      ]);
    });
    if (rows.length === 0) rows = [el("tr", null, [el("td", { colspan: "8", cls: "empty", text: "no players connected" })])];
    replace($("players").tBodies[0], rows);
  }
  function kvTable(id, pairs) {
    replace($(id).tBodies[0], pairs.map(function (p) { return el("tr", null, [el("td", { text: p[0] }), el("td", { cls: "num", text: fmtNum(p[1]) })]); }));
  }
  function countTable(id, counts) {
    var rows = counts.slice().sort(function (a, b) { return b.count - a.count; }).map(function (c) { return el("tr", null, [el("td", { text: c.reason }), el("td", { cls: "num", text: fmtNum(c.count) })]); });
    if (rows.length === 0) rows = [el("tr", null, [el("td", { cls: "empty", text: "none" })])];
    replace($(id).tBodies[0], rows);
  }
  var playerNames = {};
  function logLines(id, lines, limit) {
    var box = $(id);
    var shown = lines.slice(-limit).reverse().map(function (l) {
      var f = l.fields;
      if (l.msg === "incident") {
        // reason, offender, tile, window, tiles taken; then the evidence in the relay's words.
        var who = "peer #" + f.peer + (playerNames[f.peer] !== undefined ? " (" + playerNames[f.peer] + ")" : "");
        var head = " " + f.reason + " — " + who + ", tile " + f.tile + ", ticks " + f.fromTick + "–" + f.toTick + ", " + f.tiles + " tile(s) taken" + (f.resumedFromTick != null ? ", resumed from tick " + f.resumedFromTick : "");
        return el("div", { cls: l.level }, [el("span", { cls: "t", text: fmtTime(l.at) }), el("span", { cls: "m", text: "incident" }), head, el("div", { cls: "detail", text: String(f.detail == null ? "" : f.detail) })]);
      }
      var parts = Object.keys(f).map(function (k) { return k + "=" + (typeof f[k] === "string" ? JSON.stringify(f[k]) : String(f[k])); });
      return el("div", { cls: l.level }, [el("span", { cls: "t", text: fmtTime(l.at) }), el("span", { cls: "m", text: l.msg }), " " + parts.join(" ")]);
    });
    if (shown.length === 0) shown = [el("div", { cls: "empty", text: "none yet" })];
    replace(box, shown);
  }
  function render(snap) {
    if (Object.keys(playerNames).length > 1000) playerNames = {};
    snap.events.forEach(function (l) { if (l.msg === "join" && typeof l.fields.peer === "number") playerNames[l.fields.peer] = String(l.fields.name); });
    snap.players.forEach(function (p) { playerNames[p.peer] = p.name; });
    $("h-world").textContent = snap.world;
    $("h-tick").textContent = String(snap.tick);
    $("h-sim").textContent = String(snap.simTick) + (snap.tick - snap.simTick > 2 ? " (" + (snap.tick - snap.simTick) + " behind)" : "");
    $("h-players").textContent = String(snap.players.length);
    $("h-tiles").textContent = String(snap.tiles.length);
    $("h-authority").textContent = snap.authority;
    $("h-auth").textContent = snap.auth;
    $("h-up").textContent = fmtAge(snap.time - snap.startedAt);
    drawMap(snap);
    drawPlayers(snap);
    var a = snap.audit;
    kvTable("audit", [["windows seen", a.windowsSeen], ["audited", a.audits], ["passed", a.passed], ["mismatched", a.mismatches], ["pending", a.pending], ["state requests", a.requests], ["unanswered", a.unanswered], ["ticks re-executed", a.auditedTicks], ["auditor CPU, s", a.cpuMs / 1000]]);
    var t = snap.totals, r = snap.rates || {};
    kvTable("totals", [["leases granted", t.leasesGranted], ["leases revoked", t.leasesRevoked], ["handoffs", t.handoffs], ["handoff timeouts", t.handoffTimeouts], ["takeovers", t.takeovers], ["messages in / s", r.messagesInPerSecond || 0], ["messages out / s", r.messagesOutPerSecond || 0], ["relayed messages", t.relayedMessages], ["relayed pairs", t.relayedPairs], ["relay's entities", t.relayEntities]]);
    countTable("refusals", snap.refusals);
    countTable("closed", snap.closed);
    countTable("incident-counts", snap.incidentsByReason);
    logLines("incidents", snap.incidents, 50);
    logLines("refusal-log", snap.refusalLog, 50);
    logLines("events", snap.events, 80);
    logLines("slow-ticks", snap.slowTicks, 30);
    pushRates(snap.rates);
    drawCharts(snap.rates);
    var body = document.body.dataset;
    body.players = String(snap.players.length);
    body.tiles = String(snap.tiles.length);
    body.playersWithTile = String(snap.players.filter(function (p) { return p.avatarTile; }).length);
    body.polls = String(++polls);
  }

  function poll(first) {
    fetch(base + "data" + (first ? "?history=1" : ""), { headers: headers, cache: "no-store" })
      .then(function (res) {
        if (!res.ok) return res.text().then(function (t) { throw new Error(res.status + " " + t.trim()); });
        return res.json();
      })
      .then(function (snap) {
        if (first && snap.series) snap.series.forEach(pushRates);
        render(snap);
        var s = $("status"); s.className = ""; s.textContent = "updated " + fmtTime(snap.time);
        setTimeout(function () { poll(false); }, 1000);
      })
      .catch(function (e) {
        var s = $("status"); s.className = "bad"; s.textContent = String(e.message || e);
        setTimeout(function () { poll(first); }, 2000);
      });
  }
  makeCharts();
  poll(true);
})();
</script>
</body>
</html>
`;
