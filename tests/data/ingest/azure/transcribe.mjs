#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// transcribe.mjs - a deliberately naive, independent transcription of Azure
// flow-log fixtures into the expected normalized NDJSON, written from
// formats.md §B and docs/formats/azure.md (NOT from flowsift's code, and
// never run by the tests: its output was checked by hand and committed as
// <file>.expected.ndjson).  usage: node transcribe.mjs FILE > FILE.expected.ndjson
// It uses JSON.parse on the whole document (or per line for one-record-per-
// line files) and finds each tuple's byte offset with a sequential search
// for "<tuple>" in the raw bytes.
import fs from 'node:fs';

const file = process.argv[2];
const raw = fs.readFileSync(file);
const text = raw.toString('utf8');
let records;
try {
  const d = JSON.parse(text);
  records = d.records ? d.records : [d];
} catch {
  records = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}
let searchFrom = 0;
const seg = (id, name) => {
  if (!id) return null;
  const p = id.split('/');
  for (let i = 0; i < p.length - 1; i++) if (p[i].toLowerCase() === name.toLowerCase() && p[i + 1]) return p[i + 1];
  return null;
};
const mac = (m) => {
  if (m == null) return null;
  const s = m.replace(/[-:]/g, '').toUpperCase();
  return /^[0-9A-F]{12}$/.test(s) ? s : m.toUpperCase();
};
const ruleName = (r) => r.replace(/_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, '');
const out = [];
function emit(rec, kind, rule, acl, m, t) {
  const needle = Buffer.from(`"${t}"`);
  const off = raw.indexOf(needle, searchFrom);
  searchFrom = off + needle.length;
  const f = t.split(',');
  const ts = Number(f[0]);
  const sec = ts >= 1e11 ? Math.floor(ts / 1000) : ts;
  const row = {};
  const vnet = kind === 'vnet';
  const mainId = vnet ? rec.flowLogResourceID : rec.resourceId;
  const sub = seg(rec.targetResourceID, 'subscriptions') || seg(mainId, 'subscriptions');
  row.cloud = 'azure';
  if (sub) { row.account = sub.toLowerCase(); row.account_id = sub.toLowerCase(); }
  const rg = seg(rec.targetResourceID, 'resourceGroups') || seg(mainId, 'resourceGroups');
  if (rg) row.resource_group = rg;
  if (mainId) row.resource_id = mainId;
  if (vnet) {
    if (acl != null) row.acl = acl;
    const vn = seg(rec.targetResourceID, 'virtualNetworks');
    if (vn) row.vpc_id = vn;
    const sn = seg(rec.targetResourceID, 'subnets');
    if (sn) row.subnet_id = sn;
    const nw = seg(rec.flowLogResourceID, 'networkWatchers');
    if (nw && /^networkwatcher_/i.test(nw)) row.region = nw.slice(15).toLowerCase();
  } else {
    const nsg = seg(mainId, 'networkSecurityGroups');
    if (nsg) row.acl = nsg;
  }
  const im = mac(m != null ? m : rec.macAddress);
  if (im) row.interface_id = im;
  if (rule != null) { row.rule = rule; row.rule_name = ruleName(rule); }
  row.srcaddr = f[1]; row.dstaddr = f[2];
  row.type = f[1].includes(':') ? 'IPv6' : 'IPv4';
  if (f[3] !== '') row.srcport = Number(f[3]);
  if (f[4] !== '') row.dstport = Number(f[4]);
  row.protocol = f[5] === 'T' ? 6 : f[5] === 'U' ? 17 : Number(f[5]);
  row.flow_direction = f[6] === 'I' ? 'ingress' : 'egress';
  row.direction_source = 'given';
  row.start = sec; row.end = sec;
  let state = null, ctr = null;
  if (vnet) {
    state = f[7]; row.action = state === 'D' ? 'REJECT' : 'ACCEPT';
    row.encryption = f[8]; ctr = f.slice(9, 13);
    row.source_format = 'azure-vnet';
  } else {
    row.action = f[7] === 'A' ? 'ACCEPT' : 'REJECT';
    if (f.length === 13) { state = f[8]; ctr = f.slice(9, 13); row.source_format = 'azure-nsg-v2'; }
    else row.source_format = 'azure-nsg-v1';
  }
  if (state) row.flow_state = state;
  if (ctr) {
    const names = ['packets', 'bytes', 'packets_rev', 'bytes_rev'];
    ctr.forEach((v, i) => {
      if (v === '') return;
      if ((state === 'B' || state === 'D') && Number(v) === 0) return;
      row[names[i]] = Number(v);
    });
  }
  row.source_object = file;
  row.source_offset = off;
  out.push(JSON.stringify(row));
}
for (const rec of records) {
  if (rec.properties) {
    for (const r of rec.properties.flows || [])
      for (const g of r.flows || [])
        for (const t of g.flowTuples || []) emit(rec, 'nsg', r.rule, null, g.mac, t);
  } else if (rec.flowRecords) {
    for (const a of rec.flowRecords.flows || [])
      for (const g of a.flowGroups || [])
        for (const t of g.flowTuples || []) emit(rec, 'vnet', g.rule, a.aclID, null, t);
  }
}
process.stdout.write(out.map((l) => l + '\n').join(''));
