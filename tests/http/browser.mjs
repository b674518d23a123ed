// SPDX-License-Identifier: Apache-2.0
// browser.mjs - the dashboard in a real browser: Debian's chromium driven by
// npm playwright-core (headless, no sandbox, no network besides loopback).
//   node browser.mjs main BASE_URL SHOT.png      generated dataset with findings
//   node browser.mjs hostile BASE_URL SHOT.png   crafted dataset with hostile strings
// Environment: FL (flowsift binary) and FLOWSIFT_HOME (the dataset the server
// serves) for the oracle queries.  Prints "PASS browser/<name>" or
// "FAIL browser/<name>: why" lines (tests/lib.sh format); a watchdog closes
// the browser and exits after 150 s.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const [mode, base, shot] = process.argv.slice(2);
let failed = 0;
const pass = (n) => console.log(`PASS browser/${mode}_${n}`);
const fail = (n, why) => { failed++; console.log(`FAIL browser/${mode}_${n}: ${String(why).replace(/\s+/g, ' ').slice(0, 800)}`); };
const eq = (n, got, want) => {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  if (g === w) pass(n); else fail(n, `got ${g.slice(0, 400)} want ${w.slice(0, 400)}`);
};
const ok = (n, cond, why) => (cond ? pass(n) : fail(n, why || 'condition false'));

// The oracle: the same question through `flowsift query` (CSV, header dropped).
function sql(q) {
  const out = execFileSync(process.env.FL, ['query', '--format', 'csv', q], { encoding: 'utf8', env: process.env });
  return out.trim().split('\n').slice(1).filter((l) => l.length).map((l) => l.split(','));
}
const num = (s) => (s === '' || s === 'NULL' ? null : Number(String(s).replace(/,/g, '')));

const browser = await chromium.launch({
  executablePath: process.env.FL_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--no-first-run'],
});
const watchdog = setTimeout(async () => {
  fail('watchdog', 'browser test took over 150 s');
  await browser.close().catch(() => {});
  process.exit(1);
}, 150000);

const consoleErrors = [];
const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
const page = await ctx.newPage();
page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(m.type() + ': ' + m.text()); });
page.on('pageerror', (e) => consoleErrors.push('pageerror: ' + e.message));
// CSP violations are recorded by the page itself (an init script runs
// before the page's own scripts and is not subject to its CSP).
await page.addInitScript(() => {
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
});
// Any request leaving loopback is a failure (no internet at run time).
const offsite = [];
page.on('request', (r) => { if (!/^(http:\/\/127\.0\.0\.1:|blob:|data:)/.test(r.url())) offsite.push(r.url()); });

async function ready(prev) {
  await page.waitForFunction((p) => document.body.dataset.ready && document.body.dataset.ready !== '0' &&
    document.body.dataset.ready !== p, prev || '', { timeout: 60000 });
  return page.evaluate(() => document.body.dataset.ready);
}
// A table's body rows as arrays of cell text.
const tableRows = (sel) => page.$$eval(sel + ' tr', (trs) => trs.slice(1).map((tr) => [...tr.children].map((td) => td.textContent)));
async function apiJson(path) {
  return page.evaluate(async (p) => (await fetch(p)).json(), path);
}

try {
  const t0 = Date.now();
  await page.goto(base + '/', { waitUntil: 'load' });
  let gen = await ready();
  pass('loaded');
  console.log(`# page ready in ${Date.now() - t0} ms`);
  eq('status_empty', await page.textContent('#status'), '');

  if (mode === 'main') {
    // ---- traffic: totals per action (DOM) = the chart series = SQL
    const traffic = (await tableRows('#traffic-table')).map((r) => [r[0], num(r[1]), num(r[2])]);
    const wantT = sql("SELECT coalesce(action, 'NULL') AS a, coalesce(sum(bytes), 0), count(*) FROM flows GROUP BY 1 ORDER BY 1")
      .map((r) => [r[0], num(r[1]), num(r[2])]);
    eq('traffic_totals_vs_sql', traffic, wantT);
    const series = await page.evaluate(() => {
      const o = echarts.getInstanceByDom(document.getElementById('traffic-flows-chart')).getOption();
      return o.series.map((s) => [s.name, s.data.reduce((a, b) => a + b, 0)]);
    });
    eq('traffic_chart_flows', series, wantT.map((r) => [r[0], r[2]]));
    const hoursApi = await apiJson('/api/traffic');
    const nHours = new Set(hoursApi.rows.map((r) => r[0])).size;
    eq('traffic_chart_hours', await page.evaluate(() =>
      echarts.getInstanceByDom(document.getElementById('traffic-bytes-chart')).getOption().xAxis[0].data.length), nHours);
    ok('traffic_hours_many', nHours >= 20, `only ${nHours} hours`);

    // ---- top talkers, denied by rule, flow types: DOM = API = SQL
    const top = (await tableRows('#top-talkers-table')).map((r) => [r[0], num(r[1]), num(r[2])]);
    const topApi = await apiJson('/api/top-talkers?limit=20');
    eq('top_talkers_vs_api', top, topApi.rows);
    eq('top_talkers_vs_sql', top, sql('SELECT srcaddr, sum(bytes) AS b, count(*) FROM flows GROUP BY srcaddr ORDER BY b DESC, srcaddr LIMIT 20')
      .map((r) => [r[0], num(r[1]), num(r[2])]));
    const barN = await page.evaluate(() => echarts.getInstanceByDom(document.getElementById('top-talkers-chart')).getOption().series[0].data.length);
    eq('top_talkers_bars', barN, Math.min(15, top.length));

    const denied = (await tableRows('#denied-table')).map((r) => [r[0] === '(no rule)' ? '' : r[0], num(r[1]), num(r[2])]);
    eq('denied_vs_sql', denied, sql("SELECT coalesce(rule_name, rule, '') AS r, count(*) AS f, sum(bytes) FROM flows WHERE action = 'REJECT' GROUP BY 1 ORDER BY f DESC, r LIMIT 20")
      .map((r) => [r[0], num(r[1]), num(r[2])]));
    ok('denied_nonempty', denied.length > 0, 'no denied rows');

    const ft = (await tableRows('#flow-types-table')).map((r) => [r[0], num(r[1]), num(r[2])]);
    eq('flow_types_vs_sql', ft, sql("SELECT coalesce(flow_type, '') AS t, count(*) AS f, sum(bytes) FROM flows GROUP BY 1 ORDER BY f DESC, t")
      .map((r) => [r[0], num(r[1]), num(r[2])]));

    // ---- pipeline health: the panel's tables = /api/health for the page's range
    const hq = await page.evaluate(() => filterParams().toString());
    const health = await apiJson('/api/health?' + hq);
    const ls = (await tableRows('#health-log-status')).map((r) => [r[0], r[1], r[2], num(r[3])]);
    eq('health_log_status_vs_api', ls, health.log_status.rows);
    ok('health_log_status_nonempty', ls.length > 0, 'no log status rows');
    const nw = (await tableRows('#health-newest')).map((r) => [r[0], r[1], r[2] === 'NULL' ? null : r[2], Date.parse(r[3]) / 1000]);
    eq('health_newest_vs_api', nw, health.newest.rows.map((r) => [r[0], r[1], r[2], r[3]]));
    ok('health_newest_nonempty', nw.length > 0, 'no newest rows');
    // at most 25 silent interfaces are listed, then one "N more" row
    const silent = await tableRows('#health-silent');
    const nsil = health.silent.rows.length;
    eq('health_silent_rows', silent.filter((r) => r.length > 1).length, Math.min(nsil, 25));
    eq('health_silent_more', silent.filter((r) => r.length === 1 && /more/.test(r[0])).map((r) => r[0]),
      nsil > 25 ? [`${(nsil - 25).toLocaleString('en-US')} more (flowsift health lists all)`] : []);
    ok('health_silent_premise', nsil > 25, `only ${nsil} silent interfaces: the cap is not exercised`);
    eq('health_log_status_vs_sql', ls.map((r) => [r[2], r[3]]).reduce((m, [k, v]) => (m[k] = (m[k] || 0) + v, m), {}),
      Object.fromEntries(sql(`SELECT coalesce(log_status, '') AS s, count(*) FROM flows WHERE start >= ${health.from} AND start < ${health.to} GROUP BY 1 ORDER BY 1`).map((r) => [r[0], num(r[1])])));

    // ---- egress map: the shaded countries are exactly the data's countries
    const eg = (await tableRows('#egress-table')).map((r) => [r[0], num(r[2]), num(r[3])]);
    const wantEg = sql("SELECT coalesce(dst_country, '') AS c, sum(bytes) AS b, count(*) FROM flows WHERE dst_scope = 'public' GROUP BY 1 ORDER BY b DESC, c LIMIT 300")
      .map((r) => [r[0] === '' ? '(unknown)' : r[0], num(r[1]), num(r[2])]);
    eq('egress_table_vs_sql', eg, wantEg);
    const iso = await apiJson('/vendor/iso3166.json');
    const shaded = (await page.$$eval('#map path.shaded', (ps) => ps.map((p) => p.getAttribute('data-iso')))).sort();
    const atlasIds = new Set(await page.evaluate(async () => {
      const t = await (await fetch('/vendor/countries-110m.json')).json();
      return t.objects.countries.geometries.map((g) => g.id).filter(Boolean);
    }));
    const wantShaded = [...new Set(wantEg.map((r) => r[0]).filter((c) => iso.countries[c] && atlasIds.has(iso.countries[c].numeric)))].sort();
    eq('map_shaded_countries', shaded, wantShaded);
    // shaded means painted: the computed fill of each shaded country is its
    // data colour (not the no-data grey), and the unshaded ones are grey
    const fills = await page.$$eval('#map path.country', (ps) => ps.map((p) => [p.getAttribute('data-iso') || '', getComputedStyle(p).fill]));
    const grey = 'rgb(227, 231, 236)';
    const badShaded = fills.filter(([iso, f]) => iso && (f === grey || !/^rgb/.test(f)));
    const painted = fills.filter(([iso, f]) => iso && f !== grey).length;
    ok('map_shaded_painted', badShaded.length === 0 && painted === shaded.length, JSON.stringify(badShaded.slice(0, 5)));
    ok('map_unshaded_grey', fills.filter(([iso, f]) => !iso && f !== grey).length === 0);
    ok('map_scale_varies', new Set(fills.filter(([iso]) => iso).map(([, f]) => f)).size >= 3, 'fewer than 3 colours');
    ok('map_many_countries', shaded.length >= 10, `only ${shaded.length} shaded`);
    const us = await page.$eval('#map path[data-iso=US] title', (t) => t.textContent).catch(() => '');
    ok('map_tooltip_us', /United States.*\(US\)/.test(us), us);
    const ncountry = await page.$$eval('#map path.country', (ps) => ps.length);
    ok('map_drawn', ncountry > 150, `${ncountry} country paths`);

    // ---- findings: open list = API; evidence; suppress through the button
    const apiF = (await apiJson('/api/findings?status=open&limit=1000')).findings;
    const domF = await page.$$eval('#findings-table tr.finding', (trs) => trs.map((tr) => Number(tr.dataset.id)));
    eq('findings_vs_api', domF, apiF.map((f) => f.id));
    ok('findings_nonempty', domF.length > 0, 'no findings shown');
    const sevText = await page.$$eval('#findings-table tr.finding td:nth-child(2)', (tds) => tds.map((t) => t.textContent));
    eq('findings_severity', sevText, apiF.map((f) => ['?', 'info', 'low', 'medium', 'high', 'critical'][f.severity]));
    const fid = domF[0];
    await page.click(`#findings-table tr[data-id="${fid}"] .evidence-btn`);
    await page.waitForSelector(`#findings-table tr.evidence[data-for="${fid}"] table, #findings-table tr.evidence[data-for="${fid}"] p.empty`, { timeout: 10000 });
    const evRows = await page.$$eval(`#findings-table tr.evidence[data-for="${fid}"] table tr`, (t) => t.length);
    ok('finding_evidence_rows', evRows >= 2, `${evRows} evidence table rows`);
    await page.click(`#findings-table tr[data-id="${fid}"] .suppress-btn`);
    await page.waitForFunction((id) => !document.querySelector(`#findings-table tr[data-id="${id}"]`), fid, { timeout: 10000 });
    const after = await apiJson('/api/findings/' + fid);
    eq('finding_suppressed_api', after.status, 'suppressed');
    eq('finding_suppressed_reason', after.status_reason, 'dashboard');
    fs.writeFileSync(process.env.FL_TMP + '/suppressed.id', String(fid));
    await page.check('#findings-all');
    await page.waitForSelector(`#findings-table tr[data-id="${fid}"].st-suppressed`, { timeout: 10000 });
    pass('finding_suppressed_shown');
    await page.uncheck('#findings-all');

    // ---- query console: results table + CSV download (client-side Blob)
    const q = "SELECT dstport, count(*) AS flows, min(srcaddr) AS s FROM flows WHERE action = 'REJECT' GROUP BY 1 ORDER BY flows DESC, dstport LIMIT 7";
    await page.fill('#console [name=q]', q);
    await page.click('#console button[type=submit]');
    await page.waitForFunction(() => /rows in/.test(document.getElementById('query-info').textContent), null, { timeout: 20000 });
    const qr = (await tableRows('#query-table')).map((r) => [num(r[0]), num(r[1]), r[2]]);
    eq('console_vs_sql', qr, sql(q).map((r) => [num(r[0]), num(r[1]), r[2]]));
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 10000 }), page.click('#csv')]);
    const csvPath = await dl.path();
    const csv = fs.readFileSync(csvPath, 'utf8').replace(/\r\n/g, '\n');
    const want = execFileSync(process.env.FL, ['query', '--format', 'csv', q], { encoding: 'utf8', env: process.env });
    eq('console_csv_download', csv, want);
    eq('console_csv_name', dl.suggestedFilename(), 'flowsift-query.csv');

    // ---- filters: one account, one day: every panel follows
    const acct = sql('SELECT account, count(*) AS n FROM flows GROUP BY 1 ORDER BY n DESC, account LIMIT 1')[0][0];
    const lastDay = sql("SELECT max(start) FROM flows")[0][0];
    await page.selectOption('#filters [name=cloud]', 'aws');
    await page.selectOption('#filters [name=account]', acct);
    gen = await ready(gen);
    const day0 = new Date(Number(lastDay) * 1000).toISOString().slice(0, 10);
    await page.fill('#filters [name=from]', day0);
    await page.fill('#filters [name=to]', day0);
    await page.click('#filters button[type=submit]');
    gen = await ready(gen);
    const d0 = Date.parse(day0 + 'T00:00:00Z') / 1000;
    const W = `start >= ${d0} AND start < ${d0 + 86400} AND cloud = 'aws' AND account = '${acct}'`;
    const tf = (await tableRows('#traffic-table')).map((r) => [r[0], num(r[1]), num(r[2])]);
    eq('filter_traffic_vs_sql', tf, sql(`SELECT coalesce(action, 'NULL') AS a, coalesce(sum(bytes), 0), count(*) FROM flows WHERE ${W} GROUP BY 1 ORDER BY 1`)
      .map((r) => [r[0], num(r[1]), num(r[2])]));
    const tt = (await tableRows('#top-talkers-table')).map((r) => [r[0], num(r[1]), num(r[2])]);
    eq('filter_top_talkers_vs_sql', tt, sql(`SELECT srcaddr, sum(bytes) AS b, count(*) FROM flows WHERE ${W} GROUP BY srcaddr ORDER BY b DESC, srcaddr LIMIT 20`)
      .map((r) => [r[0], num(r[1]), num(r[2])]));
    const fe = (await tableRows('#egress-table')).map((r) => [r[0], num(r[2]), num(r[3])]);
    eq('filter_egress_vs_sql', fe, sql(`SELECT coalesce(dst_country, '') AS c, sum(bytes) AS b, count(*) FROM flows WHERE ${W} AND dst_scope = 'public' GROUP BY 1 ORDER BY b DESC, c LIMIT 300`)
      .map((r) => [r[0] === '' ? '(unknown)' : r[0], num(r[1]), num(r[2])]));
    ok('filter_label', /account/.test(await page.textContent('#range-label')));
    // the findings list follows the cloud/account filter too (the server decides, docs/api.md)
    const fq = new URLSearchParams({ status: 'open', limit: '1000', cloud: 'aws', account: acct, from: String(d0), to: String(d0 + 86400) });
    const apiFF = (await apiJson('/api/findings?' + fq.toString())).findings;
    const domFF = await page.$$eval('#findings-table tr.finding', (trs) => trs.map((tr) => Number(tr.dataset.id)));
    eq('filter_findings_vs_api', domFF, apiFF.map((f) => f.id));
    // tooltips everywhere (escaped HTML, no inline styles: CSP)
    for (const id of ['traffic-bytes-chart', 'top-talkers-chart', 'denied-chart', 'flow-types-chart', 'map']) {
      const b = await page.locator('#' + id).boundingBox();
      for (const [fx, fy] of [[0.5, 0.5], [0.7, 0.4], [0.3, 0.6]]) await page.mouse.move(b.x + b.width * fx, b.y + b.height * fy);
      await page.waitForTimeout(150);
    }
    // back to everything for the screenshot
    await page.selectOption('#filters [name=cloud]', '');
    await page.selectOption('#filters [name=account]', '');
    await page.selectOption('#filters [name=preset]', 'all');
    gen = await ready(gen);
    await page.waitForTimeout(300);
  } else {
    // ---- hostile strings render as text and run nothing
    const HOSTILE = '<img src=x onerror="window.__pwned=1">';
    const denied = await tableRows('#denied-table');
    ok('hostile_rule_text', denied.some((r) => r[0] === HOSTILE), JSON.stringify(denied));
    const titles = await page.$$eval('#findings-table tr.finding td:nth-child(5)', (tds) => tds.map((t) => t.textContent));
    ok('hostile_finding_title_text', titles.includes(HOSTILE), JSON.stringify(titles));
    const ent = await page.$$eval('#findings-table tr.finding td:nth-child(6)', (tds) => tds.map((t) => t.textContent));
    ok('hostile_finding_entity_text', ent.some((e) => e.includes(HOSTILE)), JSON.stringify(ent));
    const fid = await page.$eval('#findings-table tr.finding', (tr) => tr.dataset.id);
    await page.click(`#findings-table tr[data-id="${fid}"] .evidence-btn`);
    await page.waitForSelector(`#findings-table tr.evidence[data-for="${fid}"] table`, { timeout: 10000 });
    const evText = await page.textContent(`#findings-table tr.evidence[data-for="${fid}"]`);
    ok('hostile_evidence_text', evText.includes(HOSTILE), evText.slice(0, 300));
    // a chart tooltip over the hostile bar: escaped text, no element
    await page.evaluate(() => {
      const c = echarts.getInstanceByDom(document.getElementById('denied-chart'));
      const n = c.getOption().series[0].data.length;
      for (let i = 0; i < n; i++) c.dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: i });
    });
    await page.waitForTimeout(500);
    const tip = await page.evaluate(() => [...document.querySelectorAll('#denied-chart div')].map((d) => d.textContent).join('|'));
    ok('hostile_tooltip_text', tip.includes('onerror'), tip.slice(0, 300));
    // the console echoes hostile cells as text too
    await page.fill('#console [name=q]', 'SELECT rule_name FROM flows');
    await page.click('#console button[type=submit]');
    await page.waitForFunction(() => /rows in/.test(document.getElementById('query-info').textContent), null, { timeout: 20000 });
    ok('hostile_console_text', (await tableRows('#query-table')).some((r) => r[0] === HOSTILE));
    await page.waitForTimeout(300);
    eq('hostile_no_script_ran', await page.evaluate(() => window.__pwned === undefined), true);
    eq('hostile_no_img', await page.$$eval('img', (i) => i.length), 0);
  }

  eq('no_console_errors', consoleErrors, []);
  eq('no_csp_violations', await page.evaluate(() => window.__csp), []);
  eq('no_offsite_requests', offsite, []);
  await page.screenshot({ path: shot, fullPage: true });
  ok('screenshot', fs.statSync(shot).size > 20000, 'screenshot too small');
} catch (e) {
  fail('exception', e && e.stack ? e.stack : e);
} finally {
  clearTimeout(watchdog);
  await browser.close().catch(() => {});
}
process.exit(failed ? 1 : 0);
