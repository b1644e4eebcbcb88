/**
 * MQTT benchmark (not a test): N simulated boards (a separate load process) × R analog readers × Hz,
 * through the gateway's embedded aedes broker (in-process bus), the capture engine and real capture
 * files (fsync'd every flush). Per step: readings/s offered and captured, loss (gap readings and
 * offered − captured), gateway CPU-seconds per million readings, peak RSS of the gateway process.
 *
 *   node --import tsx bench/mqtt.ts [secondsPerStep=8] [boards=50] [readers=10] [samplesPerMessage]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gateway } from '../src/app/gateway.js';
import { parseConfig } from '../src/config/index.js';
import { nullLogger } from '../src/shared/logger.js';
import { metricSum, mqttRemotes, startLoad, windowedGapReasons } from './boards/mqtt-fleet.js';

const secs = Number(process.argv[2] ?? 8);
const N = Number(process.argv[3] ?? 50);
const R = Number(process.argv[4] ?? 10);
/** Samples per batch message (readings per message = R × this); default the firmware's batching. */
const SPM = process.argv[5] === undefined ? undefined : Number(process.argv[5]);
const STEPS = [20, 100, 200, 400];

function plan(dir: string, hz: number) {
  const text = JSON.stringify({
    wharf: { machine: 'bench', part_id: 'bench', http: null },
    services: [{ name: 'dm', type: 'data_manager', attributes: { capture_dir: dir } }],
    components: [],
    remotes: mqttRemotes(N, R, hz),
  });
  const r = parseConfig(text, {
    sourcePath: join(dir, 'm.json'),
    env: { HOME: dir, WHARF_HOME: dir },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues.slice(0, 3)));
  return {
    ...r.plan,
    gateway: {
      ...r.plan.gateway,
      http: null,
      sync: null,
      broker: { mode: 'embedded' as const, host: '127.0.0.1', port: 0 },
    },
  };
}

async function step(hz: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-bench-mqtt-'));
  const gw = await Gateway.start({ plan: plan(dir, hz), logger: nullLogger, http: null });
  const url = gw.broker!.embedded()!.url;
  const load = await startLoad({
    url,
    boards: N,
    ...(SPM === undefined ? {} : { samplesPerMessage: SPM }),
  });
  await new Promise((r) => setTimeout(r, 3000)); // boards handshake, plans pushed, streams steady
  const m0 = await gw.metrics.render();
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  let rss = 0;
  const rssTimer = setInterval(() => (rss = Math.max(rss, process.memoryUsage().rss)), 250);
  await new Promise((r) => setTimeout(r, secs * 1000));
  const c1 = process.cpuUsage(c0);
  const elapsed = (performance.now() - w0) / 1000;
  const m1 = await gw.metrics.render();
  clearInterval(rssTimer);
  await load.stop();
  const records = metricSum(m1, 'wharf_readings_total') - metricSum(m0, 'wharf_readings_total');
  const gapReadings =
    metricSum(m1, 'wharf_gap_readings_total') - metricSum(m0, 'wharf_gap_readings_total');
  const online = metricSum(m1, 'wharf_board_online');
  const reasons = windowedGapReasons(m0, m1);
  await gw.stop();
  rmSync(dir, { recursive: true, force: true });
  const readings = (records * R) / elapsed;
  const offered = N * R * hz;
  const cpu = (c1.user + c1.system) / 1e6;
  const cpuPerM = cpu / ((records * R) / 1e6);
  return `| ${N} × ${R} × ${hz} Hz | ${offered} | ${readings.toFixed(0)} | ${online}/${N} | ${gapReadings}${reasons === '' ? '' : ` (${reasons})`} | ${((cpu / elapsed) * 100).toFixed(0)}% | ${cpuPerM.toFixed(2)} | ${(rss / 1e6).toFixed(0)} MB |`;
}

async function main(): Promise<void> {
  const rows = [
    '| boards × readers × Hz | offered readings/s | captured readings/s | boards online | gap readings in the window (by reason) | gateway CPU | CPU-s per M readings | peak RSS |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const hz of STEPS) {
    process.stderr.write(`mqtt: ${N} boards × ${R} readers × ${hz} Hz for ${secs} s …\n`);
    rows.push(await step(hz));
    process.stderr.write(rows[rows.length - 1] + '\n');
  }
  process.stdout.write(
    `mqtt bench (${secs} s per step, embedded aedes, capture engine + capture files)\n${rows.join('\n')}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
