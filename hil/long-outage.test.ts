/**
 * Acceptance: a serial cable pulled for 10 s — longer than the link timeout, so the gateway declares
 * the board offline and re-handshakes when it is back. The emulated ESP32 (firmware bundle) keeps
 * its batches in its backlog meanwhile; they must reach the capture files with their board-clock
 * times, and only what truly was lost may be a gap (no span both delivered and marked lost).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Gateway } from '../src/app/gateway.js';
import { parseConfig } from '../src/config/index.js';
import type { CapturePlan } from '../src/config/plan.js';
import { nullLogger } from '../src/shared/logger.js';
import { type AnalogValue, type ViamRow } from '../src/shared/record.js';
import { capturedRows } from '../test/helpers/captured.js';
import { lateProbe } from './host-load.js';
import { requireTool } from '../test/helpers/system-tool.js';
import { ptyPair } from '../src/emulator/pty.js';
import { EmulatedBoard } from '../src/emulator/board.js';
import { bundleFor } from './emulator/bundle.js';
import { PtySerial } from '../src/emulator/serial-binding.js';
import { EMULATED_INPUTS } from './targets.js';

const hasSocat = requireTool(
  'socat',
  'the long-outage test wires an emulated ESP32 to the gateway over a pty pair',
);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HZ = 50;
const PERIOD = 1000 / HZ;

interface Gap {
  reason: string;
  start: number;
  end: number;
  count: number;
}

interface Run {
  readings: ViamRow[];
  gaps: Gap[];
  statuses: string[];
  pulledAt: number;
  restoredAt: number;
  /** share of timers the host itself ran a period late during the pull (host-load.ts) */
  hostLate: number;
}

async function run(pullMs: number): Promise<Run> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-long-outage-'));
  const pty = await ptyPair();
  let board: EmulatedBoard | undefined;
  try {
    board = new EmulatedBoard({
      code: await bundleFor({ transport: 'serial', boardId: 'esp-serial' }),
      serial: await PtySerial.open(pty.a),
      ...EMULATED_INPUTS,
    }).start();
    const config = JSON.stringify({
      wharf: { machine: 'hil-gw', part_id: 'hil-main' },
      services: [{ name: 'data_manager', type: 'data_manager', attributes: { capture_dir: dir } }],
      components: [],
      remotes: [
        {
          name: 'esp-serial',
          address: `serial://${pty.b}?baud=115200`,
          components: [
            {
              name: 'serial-esp32',
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
                    name: 'rdk:component:board/serial-esp32',
                    method: 'Analogs',
                    capture_frequency_hz: HZ,
                    additional_params: { A1: '' },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    const parsed = parseConfig(config, {
      sourcePath: 'hil-long-outage.json',
      env: { HOME: dir, WHARF_HOME: dir },
    });
    if (!parsed.ok) throw new Error(`config does not load: ${JSON.stringify(parsed.issues)}`);
    const plan: CapturePlan = {
      ...parsed.plan,
      gateway: { ...parsed.plan.gateway, http: null, sync: null },
      dataManager: {
        ...parsed.plan.dataManager,
        capture_dir: dir,
        flush_interval_ms: 200,
        maximum_capture_file_age_ms: 500,
      },
    };
    const gw = await Gateway.start({ plan, logger: nullLogger, http: null });
    const statuses: string[] = [];
    const until = Date.now() + 30_000;
    while (
      Date.now() < until &&
      !(gw.engine.status().length === 1 && gw.engine.status().every((e) => e.online))
    )
      await sleep(100);
    expect(gw.engine.status().every((e) => e.online)).toBe(true);
    await sleep(1500); // deliberate: a stretch of ordinary capture before the pull
    const pulledAt = Date.now();
    const probe = lateProbe(PERIOD);
    board.pullLink();
    // bounded: wait for the gateway to declare the link down, then keep the cable out for pullMs in all
    const end = pulledAt + pullMs;
    while (Date.now() < end) {
      const online = gw.engine.status().every((e) => e.online);
      if (statuses[statuses.length - 1] !== (online ? 'online' : 'offline'))
        statuses.push(online ? 'online' : 'offline');
      await sleep(100);
    }
    board.restoreLink();
    const restoredAt = Date.now();
    const hostLate = probe().lateFraction;
    const back = Date.now() + 20_000;
    while (Date.now() < back && !gw.engine.status().every((e) => e.online)) await sleep(100);
    statuses.push(gw.engine.status().every((e) => e.online) ? 'online' : 'offline');
    // the backlog drains oldest first: once a reading sampled after the restore is in the finished
    // files (age 500 ms), everything sampled during the pull was delivered before it
    const drained = Date.now() + 60_000;
    while (
      !(await capturedRows(dir)).some(
        (x) => x.kind === 'reading' && x.time_requested > restoredAt + 1000,
      )
    ) {
      if (Date.now() > drained) throw new Error('the backlog never drained into the files');
      await sleep(200);
    }
    await gw.stop();
    expect(board.errors.map(String)).toEqual([]);
    const rows = await capturedRows(dir);
    const readings = rows.filter((r) => r.kind === 'reading');
    const gaps = rows
      .filter((r) => r.kind === 'gap')
      .map((g) => {
        const d = g.data as { reason: string; end: number; count: number };
        return { reason: d.reason, start: g.time_requested, end: d.end, count: d.count };
      });
    return { readings, gaps, statuses, pulledAt, restoredAt, hostLate };
  } finally {
    await board?.stop();
    await pty.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!hasSocat)(
  'acceptance: a 13 s serial cable pull (longer than the link timeout), end to end',
  () => {
    let r: Run;
    beforeAll(async () => {
      r = await run(13_000);
    }, 90_000);

    const rel = (t: number) => (t - r.pulledAt).toFixed(0);
    const gapList = () =>
      r.gaps.map((g) => `${g.reason}@${rel(g.start)}..${rel(g.end)}(${g.count})`).join(' ') ||
      'none';

    it('the gateway declared the board offline during the pull and had it back online afterwards', () => {
      expect(r.statuses).toContain('offline');
      expect(r.statuses[r.statuses.length - 1]).toBe('online');
    });

    it('samples the board took while the cable was out reach the capture files, on the 20 ms grid', () => {
      const during = r.readings.filter(
        (x) => x.time_requested > r.pulledAt + 200 && x.time_requested < r.restoredAt - 200,
      );
      const lostInside = r.gaps
        .filter((g) => g.end > r.pulledAt + 200 && g.start < r.restoredAt - 200)
        .reduce(
          (n, g) =>
            n +
            Math.min(
              g.count,
              Math.round(
                (Math.min(g.end, r.restoredAt - 200) - Math.max(g.start, r.pulledAt + 200)) /
                  PERIOD,
              ) + 1,
            ),
          0,
        );
      const expected = (r.restoredAt - r.pulledAt - 400) / PERIOD;
      process.stdout.write(
        `[long outage] ${during.length} readings sampled during the ${r.restoredAt - r.pulledAt} ms pull reached the files (expected ~${expected.toFixed(0)}); gaps: ${gapList()}\n`,
      );
      // the board's backlog holds a 10 s outage at 50 Hz: (nearly) everything arrives, and what did
      // not is a gap the board reported (backlog_overflow, or missed_ticks when a busy machine
      // starves the emulated board), never a board_offline: readings + reported instants account
      // for the window
      expect(during.length + lostInside, gapList()).toBeGreaterThan(expected * 0.97);
      expect(
        r.gaps.filter(
          (g) =>
            g.reason === 'board_offline' &&
            g.end > r.pulledAt + 200 &&
            g.start < r.restoredAt - 200,
        ),
        gapList(),
      ).toEqual([]);
      // at least 90 % are readings; fewer only where the host itself ran that share of timers a
      // period late (the emulated board, in this process, misses what the host misses)
      expect(
        during.length,
        `host ran ${(100 * r.hostLate).toFixed(1)} % of ${PERIOD} ms timers a period late; ${gapList()}`,
      ).toBeGreaterThan(expected * (1 - Math.max(0.1, 2 * r.hostLate + 0.03)));
      for (const x of during) expect((x.data as Record<string, AnalogValue>).A1?.value).toBe(2048);
      // board-clock times: consecutive samples 20 ms apart (a whole number of periods across a reported gap)
      for (let i = 1; i < r.readings.length; i++) {
        const d =
          (r.readings[i] as ViamRow).time_requested - (r.readings[i - 1] as ViamRow).time_requested;
        expect(
          d,
          `readings ${rel((r.readings[i - 1] as ViamRow).time_requested)}→${rel((r.readings[i] as ViamRow).time_requested)}`,
        ).toBeGreaterThan(PERIOD / 2);
        expect(Math.abs(d - PERIOD * Math.round(d / PERIOD))).toBeLessThan(5);
      }
      // a sample is received after it was taken; backlog samples arrive after the cable is back
      for (const x of during) expect(x.time_received).toBeGreaterThan(x.time_requested - 5);
    });

    it('gap accounting: no gap overlaps a delivered reading, every hole between readings is covered, no board_offline for kept samples', () => {
      const t = r.readings.map((x) => x.time_requested);
      for (const g of r.gaps) {
        const inside = t.filter((x) => x >= g.start - 1 && x <= g.end + 1);
        expect(
          inside.length,
          `${g.reason} ${rel(g.start)}..${rel(g.end)} overlaps ${inside.length} delivered readings (gaps: ${gapList()})`,
        ).toBe(0);
      }
      for (let i = 1; i < t.length; i++) {
        const a = t[i - 1] as number;
        const b = t[i] as number;
        if (b - a < 1.5 * PERIOD) continue;
        const missing = Math.round((b - a) / PERIOD) - 1;
        const covered = r.gaps
          .filter((g) => g.start > a && g.end < b)
          .reduce((n, g) => n + g.count, 0);
        expect(covered, `hole ${rel(a)}→${rel(b)} (${missing} samples) vs gaps ${gapList()}`).toBe(
          missing,
        );
      }
      const offline = r.gaps.filter(
        (g) => g.reason === 'board_offline' && g.end > r.pulledAt && g.start < r.restoredAt,
      );
      expect(offline, gapList()).toEqual([]);
    });
  },
);
