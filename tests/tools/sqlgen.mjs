#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// sqlgen.mjs - the differential test's seeded generators and comparer.
//   node sqlgen.mjs data SEED N          NDJSON rows for mkdataset (stdout)
//   node sqlgen.mjs queries SEED N       N random queries, one per line
//   node sqlgen.mjs compare HOME QUERIES FLOWSIFT_JSONL
// `compare` runs every query on DuckDB (one process, 2 threads) over
// HOME/data/**/*.parquet with hive_partitioning and compares the rows with
// flowsift's (tests/tools/qbatch output): order-sensitive when the query has
// ORDER BY (every output column is an ORDER BY key, so ties are identical
// rows), as sorted multisets otherwise.  Numbers compare with a relative
// tolerance of 1e-9 (sums of integers are exact; avg/double arithmetic may
// round differently).  Prints "PASS diff/N" or "FAIL diff/N: query ..." lines.
// Only constructs whose semantics are the same in Trino and DuckDB are
// generated (no integer division, no Trino-only functions).
import { createRequire } from 'node:module';
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(root, 'package.json'));

function rng(seed) { // mulberry32
  let a = seed >>> 0;
  return () => { a = (a + 0x6D2B79F5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}
const argv = process.argv.slice(2);
const mode = argv[0];

const CLOUDS = ['aws', 'azure', 'gcp'];
const ACCTS = { aws: ['111111111111', '222222222222'], azure: ['sub-a', 'sub-b'], gcp: ['proj-1'] };
const REGIONS = { aws: ['us-east-1', 'eu-west-1'], azure: ['westeurope'], gcp: ['us-central1', 'europe-west1'] };
const DAYS = ['2024-05-01', '2024-05-02', '2024-05-03', '2024-05-04'];
const COUNTRIES = ['US', 'DE', 'NL', 'IE', 'CN', 'BR', null];
const RULES = ['allow-web', 'deny-all', 'UserRule_Ssh', null];

if (mode === 'data') {
  const r = rng(Number(argv[1])); const n = Number(argv[2]);
  const pick = a => a[Math.floor(r() * a.length)];
  const out = [];
  for (let i = 0; i < n; i++) {
    const cloud = pick(CLOUDS), day = pick(DAYS);
    const base = Date.parse(day + 'T00:00:00Z') / 1000;
    const start = base + Math.floor(r() * 86000);
    const nul = () => r() < 0.05;
    const row = {
      cloud, account: pick(ACCTS[cloud]), region: pick(REGIONS[cloud]), date: day,
      srcaddr: nul() ? null : `10.${Math.floor(r() * 3)}.${Math.floor(r() * 4)}.${Math.floor(r() * 20)}`,
      dstaddr: nul() ? null : (r() < 0.5 ? `10.0.0.${Math.floor(r() * 30)}` : `${Math.floor(r() * 200) + 20}.${Math.floor(r() * 5)}.1.${Math.floor(r() * 9)}`),
      srcport: nul() ? null : Math.floor(r() * 65536), dstport: nul() ? null : pick([22, 53, 80, 443, 3389, 5432, 8080]),
      protocol: nul() ? null : pick([6, 6, 6, 17, 1]), packets: nul() ? null : Math.floor(r() * 1000),
      bytes: nul() ? null : Math.floor(r() * 1e6), start, end: start + Math.floor(r() * 120),
      action: nul() ? null : (r() < 0.8 ? 'ACCEPT' : 'REJECT'), log_status: r() < 0.97 ? 'OK' : 'NODATA',
      dst_country: pick(COUNTRIES), flow_direction: pick(['ingress', 'egress', null]), rule: pick(RULES),
    };
    out.push(JSON.stringify(Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null))));
  }
  process.stdout.write(out.join('\n') + '\n');
} else if (mode === 'queries') {
  const r = rng(Number(argv[1])); const n = Number(argv[2]);
  const pick = a => a[Math.floor(r() * a.length)];
  const INT = ['srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', '"end"'];
  const STR = ['cloud', 'account', 'region', 'srcaddr', 'dstaddr', 'action', 'log_status', 'dst_country', 'flow_direction', 'rule'];
  const strConst = c => `'${pick({ cloud: CLOUDS, account: ['111111111111', 'sub-a', 'proj-1'], region: ['us-east-1', 'westeurope', 'us-central1'], action: ['ACCEPT', 'REJECT'], log_status: ['OK', 'NODATA'], dst_country: ['US', 'DE', 'CN'], flow_direction: ['ingress', 'egress'], rule: ['allow-web', 'deny-all'] }[c] || ['10.0.0.1', '10.1.2.3', '10.2'])}'`;
  const intConst = c => ({ srcport: Math.floor(r() * 65536), dstport: pick([22, 80, 443, 3389]), protocol: pick([1, 6, 17]), packets: Math.floor(r() * 1000), bytes: Math.floor(r() * 1e6), start: 1714521600 + Math.floor(r() * 345600), '"end"': 1714521600 + Math.floor(r() * 345600) }[c]);
  function pred(d = 0) {
    const k = Math.floor(r() * (d > 1 ? 7 : 10));
    if (k === 0) { const c = pick(INT); return `${c} ${pick(['=', '<>', '<', '<=', '>', '>='])} ${intConst(c)}`; }
    if (k === 1) { const c = pick(STR); return `${c} ${pick(['=', '<>'])} ${strConst(c)}`; }
    if (k === 2) { const c = pick([...INT, ...STR]); return `${c} IS ${r() < 0.5 ? 'NOT ' : ''}NULL`; }
    if (k === 3) { const c = pick(INT); const a = intConst(c), b = intConst(c); return `${c} ${r() < 0.3 ? 'NOT ' : ''}BETWEEN ${Math.min(a, b)} AND ${Math.max(a, b)}`; }
    if (k === 4) { const c = pick(['dstport', 'protocol']); const items = [intConst(c), intConst(c)]; if (r() < 0.2) items.push('NULL'); return `${c} ${r() < 0.3 ? 'NOT ' : ''}IN (${items.join(', ')})`; }
    if (k === 5) { const c = pick(['srcaddr', 'dstaddr', 'region', 'rule']); return `${c} ${r() < 0.3 ? 'NOT ' : ''}LIKE '${pick(['10.0.%', '%1%', 'us-%', '%-%', '_0.%', 'allow%'])}'`; }
    if (k === 6) return `date ${pick(['=', '>=', '<', '<>'])} DATE '${pick(DAYS)}'`;
    if (k === 7) return `(${pred(d + 1)} AND ${pred(d + 1)})`;
    if (k === 8) return `(${pred(d + 1)} OR ${pred(d + 1)})`;
    return `NOT (${pred(d + 1)})`;
  }
  function scalar() {
    const k = Math.floor(r() * 10);
    if (k < 3) return pick([...INT, ...STR, 'date']);
    if (k === 3) { const c = pick(INT); return `${c} ${pick(['+', '-', '*'])} ${Math.floor(r() * 10) + 1}`; }
    if (k === 4) return `${pick(['lower', 'upper', 'length'])}(${pick(STR)})`;
    if (k === 5) return `substr(${pick(STR)}, ${Math.floor(r() * 4) + 1}, ${Math.floor(r() * 5) + 1})`;
    if (k === 6) { const c = pick(INT); return `coalesce(${c}, ${Math.floor(r() * 100)})`; }
    if (k === 7) return `CASE WHEN ${pred(2)} THEN ${pick(INT)} ELSE ${Math.floor(r() * 100)} END`;
    if (k === 8) return `abs(${pick(INT)} - ${intConst('bytes')})`;
    return `${pick(STR)} || '-' || ${pick(STR)}`;
  }
  function agg() {
    const k = Math.floor(r() * 8);
    if (k === 0) return 'count(*)';
    if (k === 1) return `count(${pick([...INT, ...STR])})`;
    if (k === 2) return `sum(${pick(INT)})`;
    if (k === 3) return `${pick(['min', 'max'])}(${pick([...INT, ...STR, 'date'])})`;
    if (k === 4) return `avg(${pick(INT)})`;
    if (k === 5) return `count(DISTINCT ${pick([...INT, ...STR])})`;
    if (k === 6) return `sum(CASE WHEN ${pred(2)} THEN 1 ELSE 0 END)`;
    return `max(${scalar()})`;
  }
  const qs = [];
  for (let i = 0; i < n; i++) {
    const where = r() < 0.7 ? ` WHERE ${pred()}` : '';
    let sel, tail = '', cols;
    if (r() < 0.55) {
      const nk = Math.floor(r() * 3);
      const keys = []; for (let j = 0; j < nk; j++) keys.push(scalar());
      const aggs = []; for (let j = 0, m = 1 + Math.floor(r() * 3); j < m; j++) aggs.push(agg());
      cols = [...keys, ...aggs];
      sel = `SELECT ${cols.map((c, j) => `${c} AS c${j}`).join(', ')} FROM flows${where}`;
      if (nk) tail += ` GROUP BY ${keys.map((_, j) => j + 1).join(', ')}`;
      if (r() < 0.25) tail += ` HAVING count(*) > ${Math.floor(r() * 5)}`;
    } else {
      cols = []; for (let j = 0, m = 1 + Math.floor(r() * 4); j < m; j++) cols.push(scalar());
      sel = `SELECT ${r() < 0.2 ? 'DISTINCT ' : ''}${cols.map((c, j) => `${c} AS c${j}`).join(', ')} FROM flows${where}`;
    }
    if (r() < 0.6) {
      tail += ` ORDER BY ${cols.map((_, j) => `${j + 1} ${r() < 0.5 ? 'ASC' : 'DESC'} NULLS ${r() < 0.5 ? 'FIRST' : 'LAST'}`).join(', ')}`;
      if (r() < 0.6) tail += ` LIMIT ${1 + Math.floor(r() * 20)}`;
    }
    qs.push(sel + tail);
  }
  process.stdout.write(qs.join('\n') + '\n');
} else if (mode === 'compare') {
  const [, home, qfile, flfile] = argv;
  const qs = fs.readFileSync(qfile, 'utf8').split('\n').filter(Boolean);
  const fl = fs.readFileSync(flfile, 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l));
  const { DuckDBInstance } = require('@duckdb/node-api');
  const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
  const con = await inst.connect();
  await con.run(`CREATE TABLE flows AS SELECT * FROM read_parquet('${home}/data/**/*.parquet', hive_partitioning=true, union_by_name=true, hive_types={'cloud':VARCHAR,'account':VARCHAR,'region':VARCHAR,'date':DATE})`);
  const norm = v => {
    if (v === null || v === undefined) return null;
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    return typeof v === 'object' || typeof v === 'bigint' ? v.toString() : String(v);
  };
  const same = (a, b) => {
    if (a === null || b === null) return a === b;
    if (a === b) return true;
    const x = Number(a), y = Number(b);
    if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(x) && Number.isFinite(y))
      return Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
    return false;
  };
  const key = row => JSON.stringify(row.map(v => (v !== null && v.trim() !== '' && Number.isFinite(Number(v))) ? Number(v) : v));
  let bad = 0;
  for (let i = 0; i < qs.length; i++) {
    const q = qs[i];
    let d;
    try { d = (await con.runAndReadAll(q)).getRows().map(r => r.map(norm)); } catch (e) { d = { error: String(e.message).split('\n')[0] }; }
    const f = fl[i] || { error: 'missing flowsift result' };
    let ok = false, why = '';
    if (d.error || f.error) { why = `duckdb: ${d.error || 'ok'}; flowsift: ${f.error || 'ok'}`; }
    else {
      let a = f.rows, b = d;
      if (!/ORDER BY/i.test(q)) { a = [...a].sort((x, y) => key(x) < key(y) ? -1 : 1); b = [...b].sort((x, y) => key(x) < key(y) ? -1 : 1); }
      ok = a.length === b.length && a.every((row, j) => row.length === b[j].length && row.every((v, k) => same(v, b[j][k])));
      if (!ok) why = `flowsift ${JSON.stringify(a.slice(0, 3))} (${a.length} rows) duckdb ${JSON.stringify(b.slice(0, 3))} (${b.length} rows)`;
    }
    if (ok) console.log(`PASS diff/${i + 1}`);
    else { bad++; console.log(`FAIL diff/${i + 1}: ${q} -- ${why.slice(0, 600)}`); }
  }
  process.exit(0);
} else {
  console.error('usage: sqlgen.mjs data|queries|compare ...'); process.exit(2);
}
