// SPDX-License-Identifier: Apache-2.0
// app.js - the dashboard's script: fetches the JSON API (docs/api.md) with
// the filters and an optional bearer token, and renders the results as
// tables with textContent only (every value from logs is untrusted).
'use strict';

const views = ['traffic', 'top-talkers', 'denied-by-rule', 'egress-by-country', 'flow-types'];

function headers() {
  const t = document.querySelector('#filters [name=token]').value;
  return t ? { Authorization: 'Bearer ' + t } : {};
}

function params() {
  const p = new URLSearchParams();
  for (const k of ['from', 'to', 'cloud', 'account']) {
    const v = document.querySelector('#filters [name=' + k + ']').value.trim();
    if (v) p.set(k, v);
  }
  return p.toString();
}

function table(target, res) {
  const el = document.getElementById(target);
  el.replaceChildren();
  if (res.error) {
    const p = document.createElement('p');
    p.textContent = 'error: ' + res.error;
    el.appendChild(p);
    return;
  }
  const t = document.createElement('table');
  const hr = document.createElement('tr');
  for (const c of res.columns) {
    const th = document.createElement('th');
    th.textContent = c;
    hr.appendChild(th);
  }
  t.appendChild(hr);
  for (const row of res.rows) {
    const tr = document.createElement('tr');
    for (const v of row) {
      const td = document.createElement('td');
      if (typeof v === 'number') td.className = 'num';
      td.textContent = v === null ? 'NULL' : String(v);
      tr.appendChild(td);
    }
    t.appendChild(tr);
  }
  el.appendChild(t);
}

async function load() {
  const status = document.getElementById('status');
  status.textContent = '';
  const q = params();
  for (const v of views) {
    try {
      const r = await fetch('/api/' + v + (q ? '?' + q : ''), { headers: headers() });
      table(v, await r.json());
    } catch (e) {
      status.textContent = String(e);
    }
  }
  try {
    await loadFindings();
  } catch (e) {
    status.textContent = String(e);
  }
}

async function setStatus(id, action) {
  const r = await fetch('/api/findings/' + encodeURIComponent(id) + '/' + action,
                        { method: 'POST', headers: headers() });
  const j = await r.json();
  document.getElementById('status').textContent = j.error ? 'error: ' + j.error : '';
  loadFindings();
}

async function loadFindings() {
  const el = document.getElementById('findings');
  el.replaceChildren();
  const r = await fetch('/api/findings', { headers: headers() });
  const j = await r.json();
  if (j.error) {
    el.textContent = 'error: ' + j.error;
    return;
  }
  const t = document.createElement('table');
  const cols = ['id', 'severity', 'status', 'rule', 'title', 'entity', 'count', 'last_seen'];
  const hr = document.createElement('tr');
  for (const c of cols.concat([''])) {
    const th = document.createElement('th');
    th.textContent = c;
    hr.appendChild(th);
  }
  t.appendChild(hr);
  for (const f of j.findings) {
    const tr = document.createElement('tr');
    for (const c of cols) {
      const td = document.createElement('td');
      td.textContent = c === 'last_seen' ? new Date(f[c] * 1000).toISOString() : String(f[c]);
      tr.appendChild(td);
    }
    const td = document.createElement('td');
    for (const action of ['suppress', 'resolve']) {
      const b = document.createElement('button');
      b.textContent = action;
      b.addEventListener('click', () => setStatus(f.id, action));
      td.appendChild(b);
    }
    tr.appendChild(td);
    t.appendChild(tr);
  }
  el.appendChild(t);
}

async function runQuery(ev) {
  ev.preventDefault();
  const sql = document.querySelector('#console [name=q]').value;
  const r = await fetch('/api/query', { method: 'POST', headers: headers(), body: sql });
  table('query', await r.json());
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('filters').addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  document.getElementById('console').addEventListener('submit', runQuery);
  load();
});
