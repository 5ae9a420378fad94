"use strict";
// Zhibiao review page: everything below works from the JSON blob in #data; nothing is fetched.
const DATA = JSON.parse(document.getElementById("data").textContent);
const COLS = DATA.columns, C = Object.fromEntries(COLS.map((c, i) => [c, i]));
const RECORDS = DATA.records;
const BY_ID = new Map(RECORDS.map(r => [r[C.record_id], r]));
const BY_SENTENCE = new Map();
for (const r of RECORDS) {
  const k = r[C.sentence_id];
  if (!BY_SENTENCE.has(k)) BY_SENTENCE.set(k, []);
  BY_SENTENCE.get(k).push(r);
}
const P = Object.fromEntries(DATA.panel_columns.map((c, i) => [c, i]));
const SHOWN = ["indicator", "value", "unit", "stage", "year", "kind", "region", "confidence", "extractor", "quote"];
const FILTERS = ["indicator", "region", "year", "stage", "kind", "extractor"];
const PAGE_SIZE = 50;
const NONE = "(none)";
const state = { sort: "confidence", dir: 1, page: 0, selected: null, rows: RECORDS };
const $ = id => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}
const show = v => (v === null || v === undefined) ? NONE : String(v);
function cmp(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return a < b ? -1 : 1;
}

// Filters ---------------------------------------------------------------------------------------
function fillFilters() {
  for (const f of FILTERS) {
    const sel = $("f-" + f);
    const values = [...new Set(RECORDS.map(r => show(r[C[f]])))].sort((a, b) => a.localeCompare(b, "zh"));
    sel.append(el("option", { value: "", text: "all" }));
    for (const v of values) sel.append(el("option", { value: v, text: v }));
    sel.addEventListener("change", () => { state.page = 0; apply(); });
  }
  $("f-conf").addEventListener("input", () => { state.page = 0; apply(); });
  $("f-q").addEventListener("input", () => { state.page = 0; apply(); });
  $("reset").addEventListener("click", () => {
    for (const f of FILTERS) $("f-" + f).value = "";
    $("f-conf").value = "1"; $("f-q").value = ""; state.page = 0; apply();
  });
}
function current() {
  const f = {};
  for (const k of FILTERS) if ($("f-" + k).value !== "") f[k] = $("f-" + k).value;
  const conf = parseFloat($("f-conf").value);
  return { f, conf: isNaN(conf) ? 1 : conf, q: $("f-q").value.trim() };
}
function apply() {
  const { f, conf, q } = current();
  state.rows = RECORDS.filter(r => {
    for (const [k, v] of Object.entries(f)) if (show(r[C[k]]) !== v) return false;
    if (conf < 1 && !(r[C.confidence] !== null && r[C.confidence] <= conf)) return false;
    if (q && !(r[C.quote] || "").includes(q)) return false;
    return true;
  });
  const i = C[state.sort], d = state.dir;
  state.rows = state.rows.slice().sort((a, b) => d * cmp(a[i], b[i]) || cmp(a[C.record_id], b[C.record_id]));
  renderTable(); renderSql(); renderCharts();
}

// The SQL for zhibiao query ---------------------------------------------------------------------
const lit = v => "'" + String(v).replace(/'/g, "''") + "'";
function renderSql() {
  const { f, conf, q } = current();
  const where = [];
  for (const [k, v] of Object.entries(f)) {
    if (v === NONE) where.push(`${k} IS NULL`);
    else where.push(k === "year" ? `${k} = ${Number(v)}` : `${k} = ${lit(v)}`);
  }
  if (conf < 1) where.push(`confidence <= ${conf}`);
  if (q) where.push(`quote LIKE ${lit("%" + q + "%")}`);
  const dir = state.dir > 0 ? "" : " DESC";
  $("sql").textContent = "SELECT record_id, " + SHOWN.join(", ") + "\nFROM indicators" +
    (where.length ? "\nWHERE " + where.join("\n  AND ") : "") + `\nORDER BY ${state.sort}${dir}, record_id`;
}

// Records table ---------------------------------------------------------------------------------
function renderHead() {
  const tr = document.querySelector("#records thead tr");
  tr.replaceChildren(...SHOWN.map(c => {
    const th = el("th", { text: c, "data-col": c });
    if (c === state.sort) th.className = state.dir > 0 ? "sorted-asc" : "sorted-desc";
    th.addEventListener("click", () => {
      state.dir = state.sort === c ? -state.dir : 1; state.sort = c; state.page = 0; renderHead(); apply();
    });
    return th;
  }));
}
function renderTable() {
  const pages = Math.max(1, Math.ceil(state.rows.length / PAGE_SIZE));
  state.page = Math.min(state.page, pages - 1);
  const rows = state.rows.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE);
  $("records").tBodies[0].replaceChildren(...rows.map(r => {
    const tr = el("tr", { "data-id": r[C.record_id] });
    if (r[C.record_id] === state.selected) tr.className = "selected";
    for (const c of SHOWN) {
      let v = r[C[c]];
      if (c === "confidence" && v !== null) v = v.toFixed(3);
      tr.append(el("td", { text: show(v), class: c === "quote" || c === "region" ? c : (typeof r[C[c]] === "number" ? "num" : "") }));
    }
    tr.addEventListener("click", () => select(r[C.record_id]));
    return tr;
  }));
  $("page").textContent = `page ${state.page + 1} of ${pages}`;
  $("count").textContent = `${state.rows.length} of ${RECORDS.length} records`;
}

// The selected record ---------------------------------------------------------------------------
function hoverText(r) {
  return [`code: ${r[C.indicator]}`, `value: ${r[C.value]} ${show(r[C.unit])}`, `stage: ${show(r[C.stage])}`,
    `year: ${show(r[C.year])} (${show(r[C.year_basis])})`, `region: ${show(r[C.region])} ${show(r[C.region_code])}`,
    `confidence: ${r[C.confidence] === null ? NONE : r[C.confidence].toFixed(3)}`, `extractor: ${show(r[C.extractor])}`,
    `rule_id: ${show(r[C.rule_id])}`].join("\n");
}
function select(id) {
  const r = BY_ID.get(id);
  if (!r) return;
  state.selected = id;
  for (const tr of document.querySelectorAll("#records tbody tr"))
    tr.classList.toggle("selected", tr.dataset.id === id);
  const s = DATA.sentences[r[C.sentence_id]] || { text: r[C.quote] || "", start: r[C.start], prev: "", next: "" };
  const doc = DATA.documents[r[C.doc_id]] || {};
  const sentence = el("div", { class: "sentence" });
  sentence.append(el("span", { class: "context", text: s.prev || "" }));
  // Every value of the sentence, left to right; an overlapping one is skipped.
  const marks = (BY_SENTENCE.get(r[C.sentence_id]) || []).slice()
    .sort((a, b) => a[C.start] - b[C.start] || cmp(a[C.record_id], b[C.record_id]));
  let at = 0;
  for (const m of marks) {
    const a = m[C.start] - s.start, b = m[C.end] - s.start;
    if (a < at || b > s.text.length || a < 0) continue;
    sentence.append(s.text.slice(at, a));
    sentence.append(el("mark", { class: "val" + (m[C.record_id] === id ? " current" : ""), title: hoverText(m),
      "data-id": m[C.record_id], onclick: () => select(m[C.record_id]) }, s.text.slice(a, b)));
    at = b;
  }
  sentence.append(s.text.slice(at));
  sentence.append(el("span", { class: "context", text: s.next || "" }));
  const meta = el("dl", { class: "meta" });
  const add = (k, v) => meta.append(el("dt", { text: k }), el("dd", { text: show(v), "data-field": k }));
  add("title", doc.title); add("source", doc.source); add("path", doc.path);
  add("code", r[C.indicator]); add("value", `${r[C.value]} ${show(r[C.unit])}`); add("stage", r[C.stage]);
  add("year", r[C.year] === null ? null : `${r[C.year]} (${show(r[C.year_basis])})`); add("kind", r[C.kind]);
  add("region", `${show(r[C.region])} ${show(r[C.region_code])}`);
  add("confidence", r[C.confidence] === null ? null : r[C.confidence].toFixed(3));
  add("extractor", r[C.extractor]); add("rule_id", r[C.rule_id]);
  add("raw offsets", `${r[C.raw_start]}–${r[C.raw_end]} (clean ${r[C.start]}–${r[C.end]})`);
  add("heading", s.heading); add("record_id", id);
  $("detail").replaceChildren(el("h2", { text: `${r[C.indicator]} = ${r[C.value]} ${show(r[C.unit])}` }),
    sentence, meta, el("pre", { id: "record-sql", text: `SELECT * FROM indicators WHERE record_id = ${lit(id)}` }));
  renderCharts();
}

// Charts (hand-written SVG) ---------------------------------------------------------------------
const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
function chartIndicator() {
  const f = $("f-indicator").value;
  if (f) return f;
  if (state.selected) return BY_ID.get(state.selected)[C.indicator];
  return state.rows.length ? state.rows[0][C.indicator] : null;
}
function renderCharts() {
  const ind = chartIndicator();
  $("chart-indicator").textContent = show(ind);
  const cells = DATA.panel.filter(p => p[P.indicator] === ind);
  // Value by year: one line per region (and stage, kind, unit when there are several).
  const series = new Map();
  for (const p of cells) {
    const key = [p[P.region], p[P.stage], p[P.kind], p[P.unit]].map(show).join(" · ");
    if (!series.has(key)) series.set(key, []);
    series.get(key).push([p[P.year], p[P.value], p[P.conflict]]);
  }
  const chart = $("chart");
  chart.replaceChildren();
  if (!cells.length) { chart.append(el("p", { class: "hint", text: "No panel rows for this indicator." })); }
  else {
    const years = cells.map(p => p[P.year]), values = cells.map(p => p[P.value]);
    let y0 = Math.min(...years), y1 = Math.max(...years), v0 = Math.min(0, ...values), v1 = Math.max(...values);
    y0 -= 0.5; y1 += 0.5; if (v0 === v1) v1 = v0 + 1;
    const W = 640, H = 260, L = 60, R = 20, T = 10, B = 30;
    const x = y => L + (y - y0) / (y1 - y0) * (W - L - R), yv = v => H - B - (v - v0) / (v1 - v0) * (H - T - B);
    const g = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `value by year of ${ind}` });
    g.append(svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#999" }), svg("line", { x1: L, y1: T, x2: L, y2: H - B, stroke: "#999" }));
    for (let y = Math.ceil(y0); y <= Math.floor(y1); y += Math.max(1, Math.ceil((y1 - y0) / 10)))
      g.append(svg("text", { x: x(y), y: H - B + 14, "text-anchor": "middle" }, String(y)));
    for (const v of [v0, (v0 + v1) / 2, v1])
      g.append(svg("text", { x: L - 4, y: yv(v) + 4, "text-anchor": "end" }, new Intl.NumberFormat("en", { notation: "compact", maximumSignificantDigits: 3 }).format(v)));
    const legend = el("div", { class: "hint" });
    [...series.keys()].sort().forEach((key, i) => {
      const pts = series.get(key).sort((a, b) => a[0] - b[0]), color = PALETTE[i % PALETTE.length];
      if (pts.length > 1) g.append(svg("polyline", { points: pts.map(p => `${x(p[0])},${yv(p[1])}`).join(" "), fill: "none", stroke: color }));
      for (const p of pts) {
        const c = svg("circle", { cx: x(p[0]), cy: yv(p[1]), r: p[2] ? 5 : 3.5, fill: p[2] ? "#fff" : color, stroke: color, "stroke-width": 2 });
        c.append(svg("title", {}, `${key}\n${p[0]}: ${p[1]}${p[2] ? " (conflict)" : ""}`));
        g.append(c);
      }
      legend.append(el("span", { style: `color:${color}`, text: `● ${key}  ` }));
    });
    chart.append(g, legend, el("p", { class: "hint", text: "Hollow points: the panel cell's records conflict." }));
  }
  // Coverage: records of the indicator per region × year (records, so unplaced/undated show too).
  const recs = RECORDS.filter(r => r[C.indicator] === ind);
  const regions = [...new Set(recs.map(r => show(r[C.region])))].sort((a, b) => a.localeCompare(b, "zh"));
  const ys = [...new Set(recs.map(r => show(r[C.year])))].sort();
  const count = new Map();
  for (const r of recs) { const k = show(r[C.region]) + "|" + show(r[C.year]); count.set(k, (count.get(k) || 0) + 1); }
  const max = Math.max(1, ...count.values());
  const cw = 44, ch = 18, lw = 200, th = 20;
  const cov = svg("svg", { width: lw + cw * ys.length + 10, height: th + ch * regions.length + 4, role: "img", "aria-label": "coverage" });
  ys.forEach((y, j) => cov.append(svg("text", { x: lw + j * cw + cw / 2, y: 14, "text-anchor": "middle" }, y)));
  regions.forEach((reg, i) => {
    cov.append(svg("text", { x: lw - 4, y: th + i * ch + 13, "text-anchor": "end" }, reg.length > 16 ? reg.slice(-16) : reg));
    ys.forEach((y, j) => {
      const n = count.get(reg + "|" + y) || 0;
      const rect = svg("rect", { x: lw + j * cw + 1, y: th + i * ch + 1, width: cw - 2, height: ch - 2,
        fill: n ? `rgba(31,119,180,${0.2 + 0.8 * n / max})` : "#f2f2f2" });
      rect.append(svg("title", {}, `${reg} ${y}: ${n} records`));
      cov.append(rect);
      if (n) cov.append(svg("text", { x: lw + j * cw + cw / 2, y: th + i * ch + 13, "text-anchor": "middle" }, String(n)));
    });
  });
  $("coverage").replaceChildren(cov);
}

// Panel conflicts -------------------------------------------------------------------------------
function renderConflicts() {
  const list = $("conflict-list");
  const rows = DATA.panel.filter(p => p[P.conflict]);
  if (!rows.length) { list.append(el("p", { class: "hint", text: "No conflicts in the panel." })); return; }
  for (const p of rows) {
    const box = el("div", { class: "conflict" });
    box.append(el("strong", { text: `${show(p[P.region])} ${p[P.year]} ${p[P.indicator]} ${show(p[P.stage])} ${p[P.kind]}: ` }),
      `chosen ${p[P.value]} ${show(p[P.unit])} (${p[P.n_records]} records, ${p[P.n_documents]} documents)`);
    const ul = el("ul");
    for (const id of p[P.record_ids]) {
      const r = BY_ID.get(id);
      if (!r) continue;
      ul.append(el("li", {}, el("a", { text: `${r[C.value]} ${show(r[C.unit])}`, onclick: () => select(id) }),
        ` ${DATA.documents[r[C.doc_id]] ? DATA.documents[r[C.doc_id]].source : ""} · ${r[C.quote] || ""}`));
    }
    box.append(ul);
    list.append(box);
  }
}

$("prev").addEventListener("click", () => { state.page = Math.max(0, state.page - 1); renderTable(); });
$("next").addEventListener("click", () => { state.page += 1; renderTable(); });
fillFilters(); renderHead(); renderConflicts(); apply();
