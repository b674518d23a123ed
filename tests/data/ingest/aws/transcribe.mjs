#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// transcribe.mjs - the typing aid used ONCE to write the *.expected.ndjson
// files of this folder; the tests never run it.  It is deliberately NOT the
// C parser: a few lines that zip the documented field names (formats.md
// A.2/A.8: the header line, the manifest's format, or the default v2 list)
// with the space-separated tokens of each line, '-' -> null, the documented
// INT columns as numbers, and the lineage/cloud columns of PRODUCT.md.
// Every expected file was then read and checked by hand against the fixture
// and formats.md (rejected annotation lines, NODATA rows, TGW source_format,
// 64-bit values, IPv6, the non-ASCII subnet id).
//   node transcribe.mjs FILE [FORMAT]  > FILE.expected.ndjson
import fs from 'node:fs';
import zlib from 'node:zlib';
import path from 'node:path';

const INTS = new Set(['version', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end',
  'tcp_flags', 'traffic_path', 'encryption_status', 'packets_lost_no_route', 'packets_lost_blackhole',
  'packets_lost_mtu_exceeded', 'packets_lost_ttl_expired']);
const TGW = /^(resource_type|tgw_|packets_lost_)/;
const V2 = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const TGWD = 'version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region flow-direction pkt-src-aws-service pkt-dst-aws-service';

const [file, fmtArg] = process.argv.slice(2);
let buf = fs.readFileSync(file);
if (buf[0] === 0x1f && buf[1] === 0x8b) buf = zlib.gunzipSync(buf);
const text = buf.toString('latin1'); // byte offsets = char offsets
const names = (s) => s.replace(/\$\{([^}]*)\}/g, '$1').trim().split(/[ ,]+/).map((n) => n.replace(/-/g, '_'));
let layout = fmtArg && fmtArg !== '-' ? names(fmtArg === 'default' ? V2 : fmtArg === 'tgw-default' ? TGWD : fmtArg) : null;
let csv = false;
const out = [];

function row(tokens, offset) {
  const o = {};
  layout.forEach((n, k) => { const v = tokens[k]; o[n] = v === '-' ? null : INTS.has(n) ? `#${v}` : Buffer.from(v, 'latin1').toString('utf8'); });
  o.cloud = 'aws';
  o.account = o.account_id ?? null;
  o.source_format = layout.some((n) => TGW.test(n)) ? 'aws-tgw' : 'aws-vpc';
  o.source_object = path.basename(file);
  o.source_offset = `#${offset}`;
  for (const k of Object.keys(o)) if (o[k] === null) delete o[k];
  out.push(JSON.stringify(o).replace(/"#(-?\d+)"/g, '$1'));
}

function line(l, offset) {
  l = l.replace(/\r$/, '');
  if (l.trim() === '') return;
  const sep = csv ? ',' : / +/;
  const isHeader = /^[a-zA-Z]/.test(l) && l.trim().split(/[ ,]+/).every((t) => /^[a-z][a-z0-9_-]*$/.test(t));
  if (isHeader) { csv = l.includes(',') && !l.includes(' '); layout = names(l); return; }
  const t = l.trim().split(sep);
  if (!layout && t.length === 14 && t[0] === '2') layout = names(V2);
  if (!layout || t.length !== layout.length) return; // a reject
  row(t, offset);
}

if (text.trimStart().startsWith('{')) {
  // concatenated JSON documents; find each one by brace depth
  let depth = 0, inStr = false, esc = false, start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inStr) { if (esc) esc = false; else if (c === '\\') esc = true; else if (c === '"') inStr = false; continue; }
    if (c === '"') inStr = true;
    else if (c === '{') { if (depth++ === 0) start = i; }
    else if (c === '}' && --depth === 0) {
      const raw = text.slice(start, i + 1);
      const doc = JSON.parse(raw);
      const msgs = [];
      if (doc.messageType === 'CONTROL_MESSAGE') continue;
      if (Array.isArray(doc.logEvents)) for (const e of doc.logEvents) msgs.push(e.message);
      if (typeof doc.message === 'string') msgs.push(doc.message);
      let from = start;
      for (const m of msgs) {
        const at = text.indexOf(JSON.stringify(m), from) + 1;
        from = at;
        if (!layout && m.split(/ +/).length === 14) layout = names(V2);
        row(m.trim().split(/ +/), at);
      }
      if (typeof doc.data === 'string') {
        const m = JSON.parse(Buffer.from(doc.data, 'base64').toString('utf8')).message;
        if (!layout) layout = names(V2);
        row(m.trim().split(/ +/), text.indexOf(doc.data, start)); // offset of the data string
      }
    }
  }
} else {
  let off = 0;
  for (const l of text.split('\n')) { line(l, off); off += l.length + 1; }
}
if (out.length) console.log(out.join('\n'));
