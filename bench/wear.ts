/**
 * `npm run bench:wear` — SD-card wear: bytes the gateway process causes to be written to storage
 * (/proc/PID/io write_bytes: pages dirtied, so 4 KiB granularity, what the card sees before its own
 * erase-block amplification) per million readings, for a few loads and `flush_interval_ms` /
 * file-size settings. A real `wharf run` child on the compiled build, capture dir on disk (not
 * tmpfs). Filesystem journal writes (jbd2) are not attributed to the process and come on top.
 *
 *   npm run bench:wear -- [--seconds 30]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBuilt, startGateway, writeSimConfig } from './gateway-proc.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '30' } } });
const seconds = Number(values.seconds);

interface Case {
  boards: number;
  readers: number;
  hz: number;
  flushMs: number;
  fileBytes?: number;
}

const CASES: Case[] = [
  { boards: 1, readers: 3, hz: 10, flushMs: 1000 },
  { boards: 1, readers: 3, hz: 10, flushMs: 5000 },
  { boards: 1, readers: 3, hz: 10, flushMs: 10_000 },
  { boards: 10, readers: 10, hz: 100, flushMs: 1000 },
  { boards: 10, readers: 10, hz: 100, flushMs: 5000 },
  { boards: 10, readers: 10, hz: 100, flushMs: 1000, fileBytes: 1 << 20 },
];

ensureBuilt();
const out: string[] = [
  '| boards × readers × Hz | readings/s | flush_interval_ms | file size limit | written per M readings | written per hour |',
  '|---|---|---|---|---|---|',
];
for (const c of CASES) {
  const dir = mkdtempSync(path.join('/var/tmp', 'wharf-bench-wear-'));
  try {
    const config = await writeSimConfig({
      dir,
      ...c,
      ...(c.fileBytes === undefined ? {} : { fileBytes: c.fileBytes }),
    });
    const gw = await startGateway(config);
    await new Promise((r) => setTimeout(r, 3000)); // settle: boards online, first files open
    const w0 = gw.writeBytes();
    const r0 = await gw.readings();
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const w1 = gw.writeBytes();
    const r1 = await gw.readings();
    const dt = (Date.now() - t0) / 1000;
    await gw.stop();
    const perM = ((w1 - w0) / (r1 - r0)) * 1e6;
    const perHour = ((w1 - w0) / dt) * 3600;
    const mb = (b: number) => `${(b / 1e6).toFixed(b < 1e7 ? 2 : 0)} MB`;
    out.push(
      `| ${c.boards} × ${c.readers} × ${c.hz} | ${((r1 - r0) / dt).toFixed(0)} | ${c.flushMs} | ${c.fileBytes === undefined ? 'default' : `${c.fileBytes / (1 << 20)} MiB`} | ${mb(perM)} | ${mb(perHour)} |`,
    );
    process.stderr.write(`${out[out.length - 1]}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
process.stdout.write(
  `Node ${process.version}, ${os.cpus().length} CPUs, ${seconds} s per case\n${out.join('\n')}\n`,
);
