// SPDX-License-Identifier: Apache-2.0
// app.js - the dashboard's script.  Fetches the JSON API (docs/api.md) with
// the time range and the cloud/account filter (every panel uses them) and an
// optional bearer token, then draws:
//   traffic over time (ECharts stacked areas: bytes and flows per hour,
//   accepted vs rejected), top talkers (bar + table), denied flows by rule
//   (bar + table), egress by destination country (d3-geo choropleth of the
//   world-atlas countries; our ISO alpha-2 codes are mapped to world-atlas's
//   numeric ids by vendor/iso3166.json, generated at build time from Debian's
//   iso-codes), flow types (pie + table), findings (severity, evidence,
//   suppress/resolve) and a read-only query console with CSV download.
// Security: every string from the API comes from logs and is untrusted.  It
// reaches the DOM only through textContent / attribute setters, and ECharts
// tooltips (which ECharts renders as HTML) go through esc().  No inline
// script or style, no eval: the page runs under CSP default-src 'self'.
'use strict';

const $ = (sel) => document.querySelector(sel);
const state = { extent: null, charts: {}, world: null, iso: null, lastQuery: null, gen: 0 };

// ---- helpers ---------------------------------------------------------------

// HTML escaping for the few places a library renders HTML (chart tooltips).
function esc(v) {
  return String(v).replace(/[&<>"'`=\/]/g, (ch) => '&#' + ch.charCodeAt(0) + ';');
}

function fmtInt(n) {
  return n === null || n === undefined ? 'NULL' : Number(n).toLocaleString('en-US');
}

function fmtBytes(n) {
  if (n === null || n === undefined) return 'NULL';
  const u = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let v = Number(n), i = 0;
  while (Math.abs(v) >= 1000 && i < u.length - 1) { v /= 1000; i++; }
  return (i ? v.toFixed(1) : String(v)) + ' ' + u[i];
}

function isoDay(sec) { return new Date(sec * 1000).toISOString().slice(0, 10); }
function isoTime(sec) { return sec ? new Date(sec * 1000).toISOString().replace('.000Z', 'Z') : ''; }

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function headers() {
  const t = $('#filters [name=token]').value;
  return t ? { Authorization: 'Bearer ' + t } : {};
}

async function api(path, opts) {
  const r = await fetch(path, Object.assign({ headers: headers() }, opts || {}));
  let j;
  try {
    j = await r.json();
  } catch (e) {
    throw new Error(path + ': HTTP ' + r.status);
  }
  if (j && j.error) throw new Error(path.split('?')[0] + ': ' + j.error);
  return j;
}

// A result {columns, rows} as a table; numeric columns right-aligned and
// formatted; `fmt` maps a column name to a formatter.
// max: show at most that many rows, then one "N more" row.
function fillTable(table, res, fmt, max) {
  table.replaceChildren();
  const hr = document.createElement('tr');
  for (const c of res.columns) hr.appendChild(el('th', c));
  table.appendChild(hr);
  if (!res.rows.length) {
    const tr = document.createElement('tr');
    const td = el('td', 'no rows', 'empty');
    td.colSpan = res.columns.length;
    tr.appendChild(td);
    table.appendChild(tr);
    return;
  }
  const shown = max && res.rows.length > max ? res.rows.slice(0, max) : res.rows;
  for (const row of shown) {
    const tr = document.createElement('tr');
    row.forEach((v, i) => {
      const f = fmt && fmt[res.columns[i]];
      const td = el('td', f ? f(v) : v === null ? 'NULL' : typeof v === 'number' ? fmtInt(v) : String(v));
      if (typeof v === 'number') td.className = 'num';
      tr.appendChild(td);
    });
    table.appendChild(tr);
  }
  if (shown.length < res.rows.length) {
    const tr = document.createElement('tr');
    const td = el('td', `${fmtInt(res.rows.length - shown.length)} more (flowsift health lists all)`, 'empty more');
    td.colSpan = res.columns.length;
    tr.appendChild(td);
    table.appendChild(tr);
  }
}

function chart(id) {
  if (typeof echarts === 'undefined') return null; // vendor files missing: tables only
  const node = document.getElementById(id);
  if (!state.charts[id]) state.charts[id] = echarts.init(node, null, { renderer: 'canvas' });
  return state.charts[id];
}

// ECharts tooltip settings shared by every chart.  The position is a
// function (a point, not a word like 'top'): ECharts draws its tooltip arrow
// as a <div style=...> only for word positions, and an inline style
// attribute is exactly what the CSP (style-src 'self') refuses.
function tip(trigger, formatter) {
  return { trigger, formatter, position: (pt) => [pt[0] + 14, pt[1] + 14] };
}

// Tooltip text for ECharts, escaped: ECharts inserts it as HTML.
function tipItem(p, fmt) {
  const name = p.name !== undefined ? p.name : '';
  const series = p.seriesName && p.seriesName !== name && !/^series/.test(p.seriesName) ? esc(p.seriesName) + ': ' : '';
  const v = Array.isArray(p.value) ? p.value[p.value.length - 1] : p.value;
  return series + esc(name) + ' <b>' + esc(fmt(v)) + '</b>';
}
function tipAxis(params, fmt) {
  const list = Array.isArray(params) ? params : [params];
  if (!list.length) return '';
  const head = esc(list[0].axisValueLabel !== undefined ? list[0].axisValueLabel : list[0].name);
  return head + '<br>' + list.map((p) => esc(p.seriesName) + ': <b>' + esc(fmt(Array.isArray(p.value) ? p.value[1] : p.value)) + '</b>').join('<br>');
}

// ---- filters ---------------------------------------------------------------

function filterParams() {
  const p = new URLSearchParams();
  const f = $('#filters [name=from]').value, t = $('#filters [name=to]').value;
  if (f) p.set('from', f);
  if (t) p.set('to', isoDay(Date.parse(t + 'T00:00:00Z') / 1000 + 86400)); // inclusive day -> exclusive bound
  for (const k of ['cloud', 'account']) {
    const v = $('#filters [name=' + k + ']').value;
    if (v) p.set(k, v);
  }
  return p;
}

function rangeSeconds() {
  const f = $('#filters [name=from]').value, t = $('#filters [name=to]').value;
  return {
    from: f ? Date.parse(f + 'T00:00:00Z') / 1000 : -Infinity,
    to: t ? Date.parse(t + 'T00:00:00Z') / 1000 + 86400 : Infinity,
  };
}

function applyPreset() {
  const preset = $('#filters [name=preset]').value;
  const from = $('#filters [name=from]'), to = $('#filters [name=to]');
  if (preset === 'custom' || !state.extent) return;
  if (preset === 'all') {
    from.value = '';
    to.value = '';
  } else {
    const last = state.extent.max;
    const days = preset === 'day' ? 1 : 7;
    from.value = isoDay(last - (days - 1) * 86400);
    to.value = isoDay(last);
  }
}

async function loadFilterChoices() {
  const res = await api('/api/query', {
    method: 'POST',
    body: 'SELECT cloud, account, min(start) AS first, max(start) AS last, count(*) AS flows FROM flows GROUP BY 1, 2 ORDER BY 1, 2',
  });
  const cloudSel = $('#filters [name=cloud]'), acctSel = $('#filters [name=account]');
  const clouds = new Set();
  let min = Infinity, max = -Infinity;
  const accounts = [];
  for (const [cloud, account, first, last] of res.rows) {
    if (cloud) clouds.add(cloud);
    if (account) accounts.push([cloud, account]);
    if (first !== null && first < min) min = first;
    if (last !== null && last > max) max = last;
  }
  state.extent = Number.isFinite(min) ? { min, max } : null;
  state.accounts = accounts;
  for (const c of clouds) {
    const o = el('option', c);
    o.value = c;
    cloudSel.appendChild(o);
  }
  fillAccounts();
}

function fillAccounts() {
  const cloud = $('#filters [name=cloud]').value;
  const sel = $('#filters [name=account]');
  const keep = sel.value;
  sel.replaceChildren(Object.assign(el('option', 'all'), { value: '' }));
  for (const [c, a] of state.accounts || []) {
    if (cloud && c !== cloud) continue;
    const o = el('option', cloud ? a : c + ' / ' + a);
    o.value = a;
    sel.appendChild(o);
  }
  sel.value = [...sel.options].some((o) => o.value === keep) ? keep : '';
}

function showRange() {
  const f = $('#filters [name=from]').value, t = $('#filters [name=to]').value;
  const c = $('#filters [name=cloud]').value, a = $('#filters [name=account]').value;
  let s = 'showing ' + (f || t ? (f || 'start') + ' .. ' + (t || 'end') + ' (UTC days, inclusive)' : 'all data');
  if (state.extent) s += '; data spans ' + isoTime(state.extent.min) + ' .. ' + isoTime(state.extent.max);
  if (c) s += '; cloud ' + c;
  if (a) s += '; account ' + a;
  $('#range-label').textContent = s;
}

// ---- panels ----------------------------------------------------------------

async function panelTraffic(q) {
  const res = await api('/api/traffic?' + q);
  const hours = [...new Set(res.rows.map((r) => r[0]))].sort((a, b) => a - b);
  const actions = [...new Set(res.rows.map((r) => r[1] === null ? 'NULL' : r[1]))].sort();
  const totals = new Map(actions.map((a) => [a, { bytes: 0, flows: 0 }]));
  const idx = new Map(hours.map((h, i) => [h, i]));
  const bytes = new Map(actions.map((a) => [a, hours.map(() => 0)]));
  const flows = new Map(actions.map((a) => [a, hours.map(() => 0)]));
  for (const [hour, action, b, f] of res.rows) {
    const a = action === null ? 'NULL' : action;
    bytes.get(a)[idx.get(hour)] = b || 0;
    flows.get(a)[idx.get(hour)] = f || 0;
    totals.get(a).bytes += b || 0;
    totals.get(a).flows += f || 0;
  }
  const colors = { ACCEPT: '#2e86c1', REJECT: '#c0392b', NULL: '#95a5a6' };
  const labels = hours.map((h) => isoTime(h).slice(5, 16).replace('T', ' '));
  const draw = (id, data, fmt, title) => {
    const ch = chart(id);
    if (!ch) return;
    ch.setOption({
      title: { text: title, top: 0, left: 0, textStyle: { fontSize: 12 } },
      tooltip: tip('axis', (p) => tipAxis(p, fmt)),
      legend: { data: actions, top: 0, right: 0 },
      grid: { left: 70, right: 10, top: 30, bottom: 30 },
      xAxis: { type: 'category', data: labels, boundaryGap: false },
      yAxis: { type: 'value', axisLabel: { formatter: fmt } },
      series: actions.map((a) => ({
        name: a, type: 'line', stack: 'all', areaStyle: {}, symbol: 'none',
        itemStyle: { color: colors[a] || '#8e44ad' }, data: data.get(a),
      })),
    }, true);
  };
  draw('traffic-bytes-chart', bytes, fmtBytes, 'bytes per hour');
  draw('traffic-flows-chart', flows, fmtInt, 'flows per hour');
  fillTable($('#traffic-table'), {
    columns: ['action', 'bytes', 'flows'],
    rows: actions.map((a) => [a, totals.get(a).bytes, totals.get(a).flows]),
  });
}

function barPanel(chartId, res, nameCol, valCol, fmt, color) {
  const ch = chart(chartId);
  if (!ch) return;
  const rows = res.rows.slice(0, 15).reverse();
  ch.setOption({
    tooltip: tip('item', (p) => tipItem(p, fmt)),
    grid: { left: 130, right: 20, top: 10, bottom: 25 },
    xAxis: { type: 'value', axisLabel: { formatter: fmt } },
    yAxis: { type: 'category', data: rows.map((r) => String(r[nameCol] === null ? 'NULL' : r[nameCol])),
             axisLabel: { width: 120, overflow: 'truncate' } },
    series: [{ type: 'bar', data: rows.map((r) => r[valCol]), itemStyle: { color } }],
  }, true);
}

async function panelTopTalkers(q) {
  const res = await api('/api/top-talkers?' + q + '&limit=20');
  barPanel('top-talkers-chart', res, 0, 1, fmtBytes, '#2e86c1');
  fillTable($('#top-talkers-table'), res);
}

async function panelDenied(q) {
  const res = await api('/api/denied-by-rule?' + q + '&limit=20');
  res.rows = res.rows.map((r) => [r[0] === '' ? '(no rule)' : r[0], r[1], r[2]]);
  barPanel('denied-chart', res, 0, 1, fmtInt, '#c0392b');
  fillTable($('#denied-table'), res);
}

async function panelFlowTypes(q) {
  const res = await api('/api/flow-types?' + q);
  const ch = chart('flow-types-chart');
  if (ch) {
    ch.setOption({
      tooltip: tip('item', (p) => tipItem(p, fmtInt) + ' (' + esc(p.percent) + '%)'),
      series: [{ type: 'pie', radius: ['35%', '70%'],
                 data: res.rows.map((r) => ({ name: r[0] === '' ? '(none)' : String(r[0]), value: r[1] })) }],
    }, true);
  }
  fillTable($('#flow-types-table'), res);
}

// Seconds as "3d 4h", "2h 5m", "40s".
function fmtDuration(s) {
  if (s === null || s === undefined) return 'NULL';
  s = Number(s);
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d) return d + 'd ' + h + 'h';
  if (h) return h + 'h ' + m + 'm';
  if (m) return m + 'm';
  return s + 's';
}

const SILENT_ROWS = 25; // silent interfaces shown (a generated or broken fleet has thousands)
// Pipeline health (GET /api/health, the `flowsift health` report): the range
// of the filters; the server ignores cloud/account for this panel.
async function panelHealth(q) {
  const j = await api('/api/health?' + q);
  const t = { newest_end: isoTime, last_seen: isoTime, delay_s: fmtDuration, silent_for_s: fmtDuration };
  fillTable($('#health-newest'), j.newest, t);
  fillTable($('#health-silent'), j.silent, t, SILENT_ROWS);
  fillTable($('#health-log-status'), j.log_status);
  fillTable($('#health-rejects'), j.rejects);
}

async function loadWorld() {
  if (state.world) return state.world;
  if (typeof d3 === 'undefined' || typeof topojson === 'undefined') return null;
  const [topo, iso] = await Promise.all([
    fetch('/vendor/countries-110m.json').then((r) => r.json()),
    fetch('/vendor/iso3166.json').then((r) => r.json()),
  ]);
  state.iso = iso.countries;
  state.world = topojson.feature(topo, topo.objects.countries);
  return state.world;
}

const SVGNS = 'http://www.w3.org/2000/svg';

async function panelEgress(q) {
  const res = await api('/api/egress-by-country?' + q + '&limit=300');
  const world = await loadWorld();
  const iso = state.iso || {};
  const byNumeric = new Map(); // world-atlas numeric id -> [alpha2, bytes, flows]
  for (const [cc, bytes, flows] of res.rows)
    if (cc && iso[cc]) byNumeric.set(iso[cc].numeric, [cc, bytes, flows]);
  const box = $('#map');
  box.replaceChildren();
  if (world) {
    const w = box.clientWidth || 900, h = box.clientHeight || 420;
    const projection = d3.geoNaturalEarth1().fitSize([w, h], { type: 'Sphere' });
    const path = d3.geoPath(projection);
    const svg = document.createElementNS(SVGNS, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'egress bytes by destination country');
    const sphere = document.createElementNS(SVGNS, 'path');
    sphere.setAttribute('d', path({ type: 'Sphere' }));
    sphere.setAttribute('class', 'sphere');
    svg.appendChild(sphere);
    const vals = [...byNumeric.values()].map((v) => Math.max(1, v[1] || 0));
    const lo = Math.log(Math.min(...vals, 1e18)), hi = Math.log(Math.max(...vals, 1));
    for (const f of world.features) {
      const p = document.createElementNS(SVGNS, 'path');
      p.setAttribute('d', path(f) || '');
      const hit = f.id ? byNumeric.get(f.id) : undefined;
      const title = document.createElementNS(SVGNS, 'title');
      if (hit) {
        // log scale over the data's own range: light to dark blue
        const t = hi > lo ? 0.15 + 0.85 * (Math.log(Math.max(1, hit[1] || 0)) - lo) / (hi - lo) : 1;
        const c = (a, b) => Math.round(a + (b - a) * t);
        p.setAttribute('fill', 'rgb(' + c(198, 8) + ',' + c(219, 48) + ',' + c(239, 107) + ')');
        p.setAttribute('class', 'country shaded');
        p.setAttribute('data-iso', hit[0]);
        title.textContent = (iso[hit[0]] ? iso[hit[0]].name : hit[0]) + ' (' + hit[0] + '): ' +
          fmtBytes(hit[1]) + ', ' + fmtInt(hit[2]) + ' flows';
      } else {
        p.setAttribute('class', 'country');
        title.textContent = f.properties && f.properties.name ? f.properties.name : '';
      }
      p.appendChild(title);
      svg.appendChild(p);
    }
    box.appendChild(svg);
  } else {
    box.appendChild(el('p', 'map unavailable (vendor files missing: run make deps)', 'empty'));
  }
  fillTable($('#egress-table'), {
    columns: ['country', 'name', 'bytes', 'flows'],
    rows: res.rows.map(([cc, b, f]) => [cc === '' ? '(unknown)' : cc, cc && iso[cc] ? iso[cc].name : '', b, f]),
  });
}

// ---- findings --------------------------------------------------------------

const SEV = ['?', 'info', 'low', 'medium', 'high', 'critical'];

async function panelFindings() {
  const all = $('#findings-all').checked;
  // the server applies the range and the cloud/account filter (docs/api.md)
  const p = filterParams();
  p.set('limit', '1000');
  if (!all) p.set('status', 'open');
  const j = await api('/api/findings?' + p.toString());
  const { from, to } = rangeSeconds();
  const list = j.findings.filter((f) => f.last_seen >= from && f.first_seen < to);
  const table = $('#findings-table');
  table.replaceChildren();
  const cols = ['id', 'severity', 'status', 'rule', 'title', 'entity', 'count', 'first_seen', 'last_seen', ''];
  const hr = document.createElement('tr');
  for (const c of cols) hr.appendChild(el('th', c));
  table.appendChild(hr);
  if (!list.length) {
    const tr = document.createElement('tr');
    const td = el('td', 'no findings in this range', 'empty');
    td.colSpan = cols.length;
    tr.appendChild(td);
    table.appendChild(tr);
  }
  for (const f of list) {
    const tr = document.createElement('tr');
    tr.dataset.id = String(f.id);
    tr.className = 'finding st-' + (/^[a-z]+$/.test(f.status) ? f.status : 'x');
    tr.appendChild(el('td', f.id, 'num'));
    const sevName = SEV[f.severity] || String(f.severity);
    const sev = el('td');
    sev.appendChild(el('span', sevName, 'sev sev-' + (SEV[f.severity] || 'info')));
    tr.appendChild(sev);
    tr.appendChild(el('td', f.status, 'status'));
    tr.appendChild(el('td', f.rule));
    tr.appendChild(el('td', f.title, 'wrap'));
    tr.appendChild(el('td', f.entity, 'wrap'));
    tr.appendChild(el('td', fmtInt(f.count), 'num'));
    tr.appendChild(el('td', isoTime(f.first_seen)));
    tr.appendChild(el('td', isoTime(f.last_seen)));
    const td = el('td');
    const ev = el('button', 'evidence');
    ev.type = 'button';
    ev.className = 'evidence-btn';
    ev.addEventListener('click', () => toggleEvidence(tr, f.id, cols.length));
    td.appendChild(ev);
    for (const action of ['suppress', 'resolve']) {
      const b = el('button', action);
      b.type = 'button';
      b.className = action + '-btn';
      b.disabled = f.status !== 'open';
      b.addEventListener('click', () => setFindingStatus(f.id, action));
      td.appendChild(b);
    }
    tr.appendChild(td);
    table.appendChild(tr);
  }
}

async function toggleEvidence(tr, id, span) {
  const next = tr.nextElementSibling;
  if (next && next.classList.contains('evidence')) {
    next.remove();
    return;
  }
  const row = document.createElement('tr');
  row.className = 'evidence';
  row.dataset.for = String(id);
  const td = el('td');
  td.colSpan = span;
  row.appendChild(td);
  tr.after(row);
  try {
    const f = await api('/api/findings/' + encodeURIComponent(id));
    td.appendChild(el('p', 'ATT&CK: ' + (f.attack || '-') + ' | buckets: ' + f.buckets +
      (f.status_reason ? ' | status reason: ' + f.status_reason : '')));
    let ev = [];
    try { ev = JSON.parse(f.evidence || '[]'); } catch (e) { ev = []; }
    if (!Array.isArray(ev) || !ev.length) {
      td.appendChild(el('p', 'no evidence rows stored', 'empty'));
      return;
    }
    const colsSet = [];
    for (const r of ev) for (const k of Object.keys(r || {})) if (!colsSet.includes(k)) colsSet.push(k);
    const t = el('table', null, 'data');
    fillTable(t, { columns: colsSet, rows: ev.map((r) => colsSet.map((k) => (r && k in r ? r[k] : null))) });
    td.appendChild(t);
  } catch (e) {
    td.appendChild(el('p', String(e.message || e), 'empty'));
  }
}

async function setFindingStatus(id, action) {
  try {
    await api('/api/findings/' + encodeURIComponent(id) + '/' + action, { method: 'POST' });
    $('#status').textContent = '';
  } catch (e) {
    $('#status').textContent = String(e.message || e);
  }
  await panelFindings();
}

// ---- query console ---------------------------------------------------------

function csvCell(v) {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = "'" + s; // no formulas in spreadsheets
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

async function runQuery(ev) {
  ev.preventDefault();
  const sql = $('#console [name=q]').value;
  const info = $('#query-info');
  const t0 = performance.now();
  try {
    const res = await api('/api/query', { method: 'POST', body: sql });
    state.lastQuery = res;
    fillTable($('#query-table'), res);
    info.textContent = res.rows.length + ' rows in ' + Math.round(performance.now() - t0) + ' ms';
    $('#csv').disabled = false;
  } catch (e) {
    state.lastQuery = null;
    $('#query-table').replaceChildren();
    info.textContent = String(e.message || e);
    $('#csv').disabled = true;
  }
}

function downloadCsv() {
  const res = state.lastQuery;
  if (!res) return;
  const lines = [res.columns.map(csvCell).join(',')];
  for (const r of res.rows) lines.push(r.map(csvCell).join(','));
  const blob = new Blob([lines.join('\r\n') + '\r\n'], { type: 'text/csv' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = 'flowsift-query.csv';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---- main ------------------------------------------------------------------

async function load() {
  const gen = ++state.gen;
  document.body.dataset.ready = '0';
  $('#status').textContent = '';
  if (!state.accounts) // first load failed (e.g. the token was missing): try again
    await loadFilterChoices().catch(() => {});
  showRange();
  const q = filterParams().toString();
  const errors = [];
  const panels = [panelTraffic(q), panelTopTalkers(q), panelDenied(q), panelEgress(q), panelFlowTypes(q), panelHealth(q), panelFindings()];
  for (const r of await Promise.allSettled(panels))
    if (r.status === 'rejected') errors.push(String(r.reason && r.reason.message ? r.reason.message : r.reason));
  if (gen !== state.gen) return;
  $('#status').textContent = errors.join('; ');
  document.body.dataset.ready = String(gen);
}

document.addEventListener('DOMContentLoaded', async () => {
  $('#filters').addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  $('#filters [name=preset]').addEventListener('change', () => { applyPreset(); load(); });
  for (const n of ['from', 'to'])
    $('#filters [name=' + n + ']').addEventListener('change', () => { $('#filters [name=preset]').value = 'custom'; load(); });
  $('#filters [name=cloud]').addEventListener('change', () => { fillAccounts(); load(); });
  $('#filters [name=account]').addEventListener('change', load);
  $('#findings-all').addEventListener('change', () => panelFindings().catch((e) => { $('#status').textContent = String(e.message || e); }));
  $('#console').addEventListener('submit', runQuery);
  $('#csv').addEventListener('click', downloadCsv);
  // `flowsift serve` may print a URL with #token=T: take it and drop it from
  // the address bar (the fragment never reaches the server or its logs).
  const m = /^#token=([A-Za-z0-9._:-]{16,255})$/.exec(location.hash);
  if (m) {
    $('#filters [name=token]').value = m[1];
    history.replaceState(null, '', location.pathname + location.search);
  }
  window.addEventListener('resize', () => { for (const c of Object.values(state.charts)) c.resize(); });
  try {
    await loadFilterChoices();
  } catch (e) {
    $('#status').textContent = String(e.message || e);
  }
  load();
});
