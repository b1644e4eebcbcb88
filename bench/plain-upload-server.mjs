// The baseline for bench/sync.ts: a bare node:http server that takes a POSTed body and answers
// 200, optionally after writing it to a file and fsyncing it ("durable"). Prints its URL.
import { createServer } from 'node:http';
import { openSync, writeSync, fsyncSync, closeSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const durable = process.argv.includes('--durable');
const dir = mkdtempSync(join(tmpdir(), 'wharf-plain-'));
let n = 0;
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (durable) {
      const fd = openSync(join(dir, `f${n++}`), 'w');
      writeSync(fd, body);
      fsyncSync(fd);
      closeSync(fd);
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`{"status":"stored","records":0,"bytes":${body.length}}`);
  });
});
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(`listening http://127.0.0.1:${server.address().port}\n`),
);
process.on('SIGTERM', () =>
  server.close(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }),
);
