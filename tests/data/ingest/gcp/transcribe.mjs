#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// transcribe.mjs - a naive, independent transcription of GCP VPC Flow Logs
// LogEntry lines into the expected normalized NDJSON, written from
// formats.md §D and docs/formats/gcp.md (NOT from flowsift's code; never run
// by the tests: its output was checked by hand and committed as
// <file>.expected.ndjson).  usage: node transcribe.mjs FILE
import fs from 'node:fs';
const file = process.argv[2];
const raw = fs.readFileSync(file, 'utf8');
let off = 0;
const known = new Set(['connection', 'reporter', 'start_time', 'end_time', 'bytes_sent', 'packets_sent',
  'disposition', 'drop_reason', 'src_instance', 'dest_instance', 'src_vpc', 'dest_vpc']);
const secs = (t) => Math.floor(Date.parse(t.replace(/\.\d+Z$/, 'Z')) / 1000);
for (const line of raw.split('\n')) {
  const here = off; off += Buffer.byteLength(line) + 1;
  if (!line.trim()) continue;
  const e = JSON.parse(line), p = e.jsonPayload, c = p.connection;
  const side = p.reporter.startsWith('SRC') ? 'src' : 'dest';
  const inst = p[side + '_instance'] || {}, vpc = p[side + '_vpc'] || {};
  const logProj = e.logName.split('/')[1];
  const r = { cloud: 'gcp', source_format: 'gcp-vpc' };
  r.account_id = inst.project_id || vpc.project_id || logProj;
  r.account = logProj;
  if (inst.region || vpc.subnetwork_region) r.region = inst.region || vpc.subnetwork_region;
  if (inst.zone) r.az_id = inst.zone;
  if (vpc.vpc_name) r.vpc_id = vpc.vpc_name;
  r.subnet_id = vpc.subnetwork_name || e.resource.labels.subnetwork_name;
  if (inst.vm_name) r.instance_id = inst.vm_name;
  r.srcaddr = c.src_ip; r.dstaddr = c.dest_ip; r.srcport = c.src_port; r.dstport = c.dest_port;
  r.protocol = c.protocol; r.type = c.src_ip.includes(':') ? 'IPv6' : 'IPv4';
  r.bytes = Number(p.bytes_sent); r.packets = Number(p.packets_sent);
  r.start = secs(p.start_time); r.end = secs(p.end_time);
  r.action = p.disposition === 'DROPPED' ? 'REJECT' : 'ACCEPT';
  if (p.disposition === 'DROPPED') r.reject_reason = p.drop_reason;
  r.flow_direction = side === 'src' ? 'egress' : 'ingress';
  r.direction_source = 'given';
  const extra = {};
  for (const [k, v] of Object.entries(p)) if (!known.has(k)) extra[k] = v;
  if (Object.keys(extra).length) r.extra = JSON.stringify(extra);
  r.source_object = file; r.source_offset = here;
  console.log(JSON.stringify(r));
}
