#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// duck.mjs - the independent oracle: run SQL on DuckDB (@duckdb/node-api,
// installed by tools/deps.sh into node_modules) and print the rows of the
// last statement as CSV (header first unless --no-header).
//   node tests/tools/duck.mjs [--threads N] [--no-header] [--json] "SQL; SQL" ...
// --json prints the rows as one JSON array (BigInt as numbers or strings).
// Exit: 0 ok, 1 SQL error (message on stderr), 2 usage.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(root, 'package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');

let threads = null, header = true, json = false;
const sqls = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--threads') threads = argv[++i];
  else if (a === '--no-header') header = false;
  else if (a === '--json') json = true;
  else if (a === '-') sqls.push(require('node:fs').readFileSync(0, 'utf8'));
  else sqls.push(a);
}
if (!sqls.length) { console.error('usage: duck.mjs [--threads N] [--no-header] [--json] SQL...'); process.exit(2); }

function cell(v) {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'object' && v.toString ? v.toString() : String(v);
  if (/[",\n\r]/.test(s)) s = '"' + s.replace(/"/g, '""') + '"';
  return s;
}
function jsonVal(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER)) ? Number(v) : v.toString();
  if (typeof v === 'object') return v.toString();
  return v;
}
try {
  const opts = threads ? { threads: String(threads) } : {};
  const inst = await DuckDBInstance.create(':memory:', opts);
  const con = await inst.connect();
  let last = null;
  for (const s of sqls) {
    for (const stmt of s.split(/;\s*(?=(?:[^']*'[^']*')*[^']*$)/).map(x => x.trim()).filter(Boolean)) {
      last = await con.runAndReadAll(stmt);
    }
  }
  if (last) {
    const cols = last.columnNames();
    const rows = last.getRows();
    if (json) {
      process.stdout.write(JSON.stringify(rows.map(r => Object.fromEntries(cols.map((c, i) => [c, jsonVal(r[i])])))) + '\n');
    } else {
      const out = [];
      if (header) out.push(cols.map(cell).join(','));
      for (const r of rows) out.push(r.map(cell).join(','));
      process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
    }
  }
} catch (e) {
  console.error(String(e && e.message || e));
  process.exit(1);
}
