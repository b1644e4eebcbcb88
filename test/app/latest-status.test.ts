/**
 * "Latest capture" on the machine: the gateway's /status and `wharf status` show, per board and
 * method, the latest reading (time and value), configured and achieved Hz, backlog, last sync and
 * the last error (the latest gap with its reason).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Gateway } from '../../src/app/gateway.js';
import type { GatewayStatusDoc } from '../../src/app/status.js';
import { main } from '../../src/cli/main.js';
import { parseConfig } from '../../src/config/index.js';
import { LatestReadings } from '../../src/capture/latest.js';
import { nullLogger } from '../../src/shared/logger.js';
import type { CaptureRecord } from '../../src/shared/record.js';
import { captureContext } from '../helpers/cli.js';

function remote(
  name: string,
  address: string,
  comp: string,
  method: string,
  hz: number,
  p: object,
) {
  return {
    name,
    address,
    components: [
      {
        name: comp,
        type: 'board',
        attributes: { pins: [27], analogs: [{ name: 'A1', pin: '34' }] },
      },
    ],
    service_configs: [
      {
        type: 'data_manager',
        attributes: {
          capture_methods: [
            {
              name: `rdk:component:board/${comp}`,
              method,
              capture_frequency_hz: hz,
              additional_params: p,
            },
          ],
        },
      },
    ],
  };
}

let dir: string;
let gw: Gateway | undefined;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-latest-'));
});
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function waitFor<T>(what: string, f: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('latest capture', () => {
  it('/status and wharf status show latest reading, configured and achieved Hz and the last error per board and method', async () => {
    const cfg = {
      wharf: { machine: 'latest-test', http: { host: '127.0.0.1', port: 0 } },
      services: [
        {
          name: 'data_manager',
          type: 'data_manager',
          attributes: { capture_dir: path.join(dir, 'capture'), flush_interval_ms: 200 },
        },
      ],
      remotes: [
        remote('s1', 'sim://s1?wave=saw&period=1000&bms=50', 'streamed-board', 'Analogs', 20, {
          A1: '',
        }),
        remote('p1', 'sim://p1?stream=0&fail=0.3&seed=7', 'polled-board', 'Gpio', 10, {
          '27': '',
        }),
      ],
    };
    const r = parseConfig(JSON.stringify(cfg), { sourcePath: path.join(dir, 'gw.json'), env: {} });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    gw = await Gateway.start({ plan: r.plan, logger: nullLogger });
    const url = gw.httpUrl!;
    const status = async (): Promise<GatewayStatusDoc> =>
      (await (await fetch(`${url}/status`)).json()) as GatewayStatusDoc;

    // wait until both entries have a measured rate and the failing board has logged a gap
    const doc = await waitFor('achieved rates and a read error', async () => {
      const d = await status();
      const ok =
        d.entries.length === 2 &&
        d.entries.every((e) => e.achieved_hz !== null && e.achieved_hz > 0 && e.latest !== null) &&
        d.entries.some((e) => e.last_error !== null);
      return ok ? d : undefined;
    });
    const s1 = doc.entries.find((e) => e.board === 's1')!;
    const p1 = doc.entries.find((e) => e.board === 'p1')!;
    expect(s1).toMatchObject({ component: 'streamed-board', method: 'Analogs', configured_hz: 20 });
    expect(p1).toMatchObject({ component: 'polled-board', method: 'Gpio', configured_hz: 10 });
    // achieved: measured, never above what was asked for by more than a batch's worth
    expect(s1.achieved_hz!).toBeLessThanOrEqual(20 * 1.5);
    expect(p1.achieved_hz!).toBeLessThanOrEqual(10 * 1.5);
    expect(Date.parse(s1.latest!.time)).toBeGreaterThan(Date.parse(doc.started_at) - 1);
    expect(s1.latest!.value).toHaveProperty('A1.value');
    expect(p1.latest!.value).toHaveProperty('27.high');
    expect(p1.last_error).toMatchObject({ reason: 'read_error' });
    expect(doc.backlog).toHaveProperty('pending_records');
    expect(doc).toHaveProperty('last_sync', null);

    const ctx = captureContext({ ...process.env }, dir);
    const code = await main(['status', '--gateway', url, '--dir', path.join(dir, 'capture')], ctx);
    expect([0, 3]).toContain(code);
    const out = ctx.out();
    expect(out).toMatch(/latest capture \(gateway latest-test/);
    expect(out).toMatch(
      /s1\/streamed-board +Analogs +20 +[\d.]+ +\d{4}-\d\d-\d\dT[\d:.]+Z \([\d.]+ m?s ago\) +A1=[\d.]+/,
    );
    expect(out).toMatch(/p1\/polled-board +Gpio +10 .*27=[01] +read_error/);
    expect(out).toMatch(/last sync +never/);

    const json = captureContext({ ...process.env }, dir);
    await main(['status', '--gateway', url, '--dir', path.join(dir, 'capture'), '--json'], json);
    const parsed = JSON.parse(json.out()) as { latest: GatewayStatusDoc; backlog: unknown };
    expect(parsed.latest.entries).toHaveLength(2);
    expect(parsed.backlog).toBeDefined();
  }, 40_000);

  it('wharf status says when no gateway answers', async () => {
    const ctx = captureContext({ ...process.env }, dir);
    await main(['status', '--gateway', 'http://127.0.0.1:9', '--dir', dir], ctx);
    expect(ctx.out()).toMatch(/latest capture: no gateway answering at http:\/\/127\.0\.0\.1:9/);
  });

  it('achieved Hz counts complete seconds of sample times; the latest reading is the newest sample', () => {
    let now = 100_000;
    const seen: CaptureRecord[] = [];
    const tap = new LatestReadings({ append: (_k, _m, r) => seen.push(r) }, () => now);
    const meta = {
      part_id: 'p',
      machine: 'm',
      component_type: 'board',
      component_name: 'b',
      method_name: 'Analogs',
      additional_parameters: {},
      tags: [],
    };
    const reading = (t: number, v: number): CaptureRecord => ({
      kind: 'reading',
      time_requested: t,
      time_received: t + 5,
      data: { A1: { value: v, min_range: 0, max_range: 4095, step_size: 1 } },
    });
    expect(tap.of('k').achieved_hz).toBe(null);
    tap.append('k', meta, reading(100_000, 0)); // first seen at 100.0 s
    for (let t = 100_000; t < 104_000; t += 40) tap.append('k', meta, reading(t, t));
    tap.append('k', meta, reading(103_000, -1)); // late, older sample: not the latest
    now = 104_000;
    const l = tap.of('k');
    expect(l.achieved_hz).toBe(25.5); // 102 samples in the 4 complete seconds [100 s, 104 s)
    expect(l.latest).toMatchObject({ time_ms: 103_960 });
    expect(seen).toHaveLength(102); // every record went through to the store
    tap.append('k', meta, { kind: 'gap', reason: 'timeout', start: 1, end: 2, count: 1 });
    expect(tap.of('k').last_gap).toMatchObject({ reason: 'timeout', count: 1 });
  });
});
