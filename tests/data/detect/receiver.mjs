// SPDX-License-Identifier: Apache-2.0
// receiver.mjs - a local notification receiver for tests/detect/sinks.t.sh:
//   node receiver.mjs http|udp|tcp PORTFILE LOGFILE [FAIL_FIRST_N]
// listens on 127.0.0.1 (port 0), writes the port to PORTFILE, appends one
// JSON line per received request/message to LOGFILE ({status, body} for
// HTTP, {msg} for syslog), answers HTTP 500 to the first FAIL_FIRST_N
// requests and 200 after, and exits by itself after 60 s at most.
import fs from 'node:fs';
import http from 'node:http';
import dgram from 'node:dgram';
import net from 'node:net';

const [kind, portFile, logFile, failFirst = '0'] = process.argv.slice(2);
let fails = Number(failFirst);
const log = (o) => fs.appendFileSync(logFile, JSON.stringify(o) + '\n');
setTimeout(() => process.exit(0), 60000).unref();
const ready = (port) => fs.writeFileSync(portFile, String(port));

if (kind === 'http') {
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const status = fails > 0 ? 500 : 200;
      if (fails > 0) fails--;
      log({ status, method: req.method, url: req.url, type: req.headers['content-type'], body });
      res.writeHead(status);
      res.end(status === 200 ? 'ok' : 'try again');
    });
  });
  srv.listen(0, '127.0.0.1', () => ready(srv.address().port));
} else if (kind === 'udp') {
  const s = dgram.createSocket('udp4');
  s.on('message', (m) => log({ msg: m.toString('utf8') }));
  s.bind(0, '127.0.0.1', () => ready(s.address().port));
} else if (kind === 'tcp') {
  const srv = net.createServer((c) => {
    let buf = '';
    c.on('data', (d) => {
      buf += d.toString('utf8');
      // RFC 6587 octet counting: "LEN SP MSG"
      for (;;) {
        const sp = buf.indexOf(' ');
        if (sp < 0) break;
        const len = Number(buf.slice(0, sp));
        if (!(len > 0) || buf.length < sp + 1 + len) break;
        log({ msg: buf.slice(sp + 1, sp + 1 + len), framed: true });
        buf = buf.slice(sp + 1 + len);
      }
    });
  });
  srv.listen(0, '127.0.0.1', () => ready(srv.address().port));
}
