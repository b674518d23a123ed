#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// ndjson_cmp.mjs - compare an actual NDJSON output to an expected one,
// field by field, for the golden parser tests.
//   node tests/tools/ndjson_cmp.mjs EXPECTED.ndjson ACTUAL.ndjson [--ignore k1,k2]
// Rules, per line (the files must have the same number of non-empty lines):
//  - every key of the expected object must be present in the actual object
//    with an equal value (expected null = actual null or absent);
//  - every key of the actual object that the expected one does not name must
//    be null or absent (so an expected file lists every non-NULL column);
//  - numbers are compared exactly on their text, 64-bit safe (integers via
//    BigInt; 9223372036854775807 != 9223372036854775806), strings by value,
//    arrays/objects recursively.
// --ignore drops keys from both sides (e.g. a path that differs per machine).
// Prints one line per difference ("line 3: field srcport: expected 443, got 80")
// and exits 1 if there is any; 0 if equal; 2 on usage or JSON errors.
import fs from 'node:fs';

// A small JSON parser that keeps numbers as {$num: 'raw text'}.
function parse(text, where) {
  let i = 0;
  const err = (m) => { throw new Error(`${where}: ${m} at char ${i}`); };
  const ws = () => { while (i < text.length && ' \t\r\n'.includes(text[i])) i++; };
  function value() {
    ws();
    const c = text[i];
    if (c === '{') {
      i++; const o = {}; ws();
      if (text[i] === '}') { i++; return o; }
      for (;;) {
        ws(); if (text[i] !== '"') err('expected a key');
        const k = str(); ws();
        if (text[i] !== ':') err('expected :'); i++;
        o[k] = value(); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return o; }
        err('expected , or }');
      }
    }
    if (c === '[') {
      i++; const a = []; ws();
      if (text[i] === ']') { i++; return a; }
      for (;;) {
        a.push(value()); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return a; }
        err('expected , or ]');
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('null', i)) { i += 4; return null; }
    const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) err('unexpected character');
    i += m[0].length;
    return { $num: m[0] };
  }
  function str() {
    const start = i; i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) err('unterminated string');
    i++;
    return JSON.parse(text.slice(start, i));
  }
  const v = value(); ws();
  if (i !== text.length) err('trailing characters');
  return v;
}

function numKey(raw) {
  if (/^-?\d+$/.test(raw)) return 'i' + BigInt(raw).toString();
  return 'f' + String(Number(raw));
}

function show(v) {
  if (v === undefined) return '(absent)';
  return JSON.stringify(v, (k, x) => (x && typeof x === 'object' && '$num' in x ? `#${x.$num}` : x))
    .replace(/"#(-?[\d.eE+-]+)"/g, '$1');
}

function equal(a, b) {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === null || b === null) return a === b;
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  if ('$num' in a || '$num' in b) return '$num' in a && '$num' in b && numKey(a.$num) === numKey(b.$num);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((x, k) => equal(x, b[k]));
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (!equal(a[k], b[k])) return false;
  return true;
}

const args = process.argv.slice(2);
const files = [];
let ignore = new Set();
for (let k = 0; k < args.length; k++) {
  if (args[k] === '--ignore') ignore = new Set((args[++k] || '').split(',').filter(Boolean));
  else files.push(args[k]);
}
if (files.length !== 2) {
  console.error('usage: ndjson_cmp.mjs EXPECTED ACTUAL [--ignore k1,k2]');
  process.exit(2);
}
let exp, act;
try {
  const load = (f) => fs.readFileSync(f, 'utf8').split('\n').map((l, n) => [l, n + 1])
    .filter(([l]) => l.trim() !== '').map(([l, n]) => parse(l, `${f}:${n}`));
  exp = load(files[0]);
  act = load(files[1]);
} catch (e) {
  console.error(e.message);
  process.exit(2);
}
const diffs = [];
if (exp.length !== act.length) diffs.push(`line count: expected ${exp.length}, got ${act.length}`);
for (let n = 0; n < Math.min(exp.length, act.length); n++) {
  const e = exp[n], a = act[n];
  for (const k of Object.keys(e)) {
    if (ignore.has(k)) continue;
    if (!equal(e[k], a[k])) diffs.push(`line ${n + 1}: field ${k}: expected ${show(e[k])}, got ${show(a[k])}`);
  }
  for (const k of Object.keys(a)) {
    if (ignore.has(k) || k in e) continue;
    if (a[k] !== null) diffs.push(`line ${n + 1}: field ${k}: expected null/absent, got ${show(a[k])}`);
  }
}
for (const d of diffs.slice(0, 50)) console.log(d);
if (diffs.length > 50) console.log(`... ${diffs.length - 50} more differences`);
process.exit(diffs.length ? 1 : 0);
