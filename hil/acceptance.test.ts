/**
 * Acceptance: the gateway as a user runs it (src/app Gateway with its default serial and MQTT
 * transports and its own embedded broker) captures end to end from two emulated ESP32s running the built firmware bundle
 * — one over a pty pair, one over MQTT — into capture files with the right values and rates.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway } from '../src/app/gateway.js';
import { parseConfig } from '../src/config/index.js';
import { periodMs, type CapturePlan } from '../src/config/plan.js';
import { nullLogger } from '../src/shared/logger.js';
import { type AnalogValue, type GpioValue, type ViamRow } from '../src/shared/record.js';
import { capturedRows } from '../test/helpers/captured.js';
import { waitFor } from '../test/helpers/wait.js';
import { lateProbe } from './host-load.js';
import { requireTool } from '../test/helpers/system-tool.js';
import { ptyPair } from '../src/emulator/pty.js';
import { EmulatedBoard } from '../src/emulator/board.js';
import { bundleFor } from './emulator/bundle.js';
import { PtySerial } from '../src/emulator/serial-binding.js';
import { EMULATED_INPUTS } from './targets.js';

const hasSocat = requireTool(
  'socat',
  'the acceptance test wires an emulated ESP32 to the gateway over a pty pair',
);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How long the main acceptance run captures once both boards are online. */
const CAPTURE_MS = 5000;

function config(ptyPath: string, secret: string, captureDir: string): string {
  const board = (name: string) => ({
    name,
    type: 'board',
    attributes: {
      pins: [27, 26],
      analogs: [
        { name: 'A1', pin: '34' },
        { name: 'A3', pin: '32' },
      ],
    },
  });
  const methods = (name: string, hz: number) => [
    {
      name: `rdk:component:board/${name}`,
      method: 'Analogs',
      capture_frequency_hz: hz,
      additional_params: { A1: '', A3: '' },
    },
    {
      name: `rdk:component:board/${name}`,
      method: 'Gpio',
      capture_frequency_hz: 1,
      additional_params: { pin_name: '27' },
    },
  ];
  return JSON.stringify({
    wharf: { machine: 'hil-gw', part_id: 'hil-main' },
    services: [
      {
        name: 'data_manager',
        type: 'data_manager',
        attributes: { capture_dir: captureDir, tags: ['hil'] },
      },
    ],
    components: [],
    remotes: [
      {
        name: 'esp-serial',
        address: `serial://${ptyPath}?baud=115200`,
        components: [board('serial-esp32')],
        service_configs: [
          { type: 'data_manager', attributes: { capture_methods: methods('serial-esp32', 50) } },
        ],
      },
      {
        name: 'esp-mqtt',
        address: 'mqtt://esp-mqtt',
        secret,
        components: [board('mqtt-esp32')],
        service_configs: [
          { type: 'data_manager', attributes: { capture_methods: methods('mqtt-esp32', 20) } },
        ],
      },
    ],
  });
}

interface Run {
  rows: ViamRow[];
  pulledAt: number;
  restoredAt: number;
  boards: EmulatedBoard[];
  /** share of 20 ms timers the host itself ran a period late during the capture (host-load.ts) */
  hostLate: number;
  cleanup(): Promise<void>;
}

/** The gateway as a user runs it (default transports, its own embedded broker) with two emulated ESP32s. */
async function capture(o: { captureMs: number; pullSerialMs?: number }): Promise<Run> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-acceptance-'));
  const pty = await ptyPair();
  const boards: EmulatedBoard[] = [];
  const cleanup = async () => {
    for (const b of boards) await b.stop();
    await pty.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const secret = `s-${Math.random().toString(36).slice(2)}`;
    boards.push(
      new EmulatedBoard({
        code: await bundleFor({ transport: 'serial', boardId: 'esp-serial' }),
        serial: await PtySerial.open(pty.a),
        ...EMULATED_INPUTS,
      }).start(),
    );
    const parsed = parseConfig(config(pty.b, secret, dir), {
      sourcePath: 'hil-acceptance.json',
      env: { HOME: dir, WHARF_HOME: dir },
    });
    if (!parsed.ok)
      throw new Error(`acceptance config does not load: ${JSON.stringify(parsed.issues)}`);
    const plan: CapturePlan = {
      ...parsed.plan,
      gateway: {
        ...parsed.plan.gateway,
        http: null,
        sync: null,
        broker: { mode: 'embedded', host: '127.0.0.1', port: 0 },
      },
      dataManager: {
        ...parsed.plan.dataManager,
        capture_dir: dir,
        flush_interval_ms: 200,
        maximum_capture_file_age_ms: 500,
      },
    };
    const gw = await Gateway.start({ plan, logger: nullLogger, http: null });
    const broker = gw.broker?.embedded();
    if (!broker)
      throw new Error('the gateway did not start its embedded MQTT broker for the mqtt:// remote');
    boards.push(
      new EmulatedBoard({
        code: await bundleFor({
          transport: 'mqtt',
          boardId: 'esp-mqtt',
          mqttHost: '127.0.0.1',
          mqttPort: broker.port,
          secret,
        }),
        ...EMULATED_INPUTS,
      }).start(),
    );
    // both boards online (bounded), then capture
    const until = Date.now() + 30_000;
    while (
      Date.now() < until &&
      !(gw.engine.status().length === 4 && gw.engine.status().every((e) => e.online))
    )
      await sleep(100);
    expect(
      gw.engine.status().map((e) => `${e.key} ${e.mode} ${e.online ? 'online' : 'offline'}`),
    ).toEqual(gw.engine.status().map((e) => `${e.key} ${e.mode} online`));
    let pulledAt = 0;
    let restoredAt = 0;
    const probe = lateProbe(20);
    if (o.pullSerialMs) {
      // the serial board streams (a second of readings) before the cable is pulled
      const serialReadings = gw.metrics.counter('wharf_readings_total', '');
      await waitFor(
        () => serialReadings.get({ board: 'esp-serial', method: 'Analogs' }) >= 50,
        30_000,
        'a second of serial readings before the pull',
      );
      pulledAt = Date.now();
      (boards[0] as EmulatedBoard).pullLink();
      await sleep(o.pullSerialMs);
      (boards[0] as EmulatedBoard).restoreLink();
      restoredAt = Date.now();
    }
    await sleep(o.captureMs); // deliberate: the capture window
    const hostLate = probe().lateFraction;
    await gw.stop();
    for (const b of boards) expect(b.errors.map(String)).toEqual([]);
    return { rows: await capturedRows(dir), pulledAt, restoredAt, boards, hostLate, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

const reasons = (rows: ViamRow[]) =>
  [
    ...new Set(
      rows.map(
        (g) =>
          `${(g.data as { reason: string }).reason} (${(g.data as { detail?: string }).detail ?? ''})`,
      ),
    ),
  ].join(', ') || 'none';

/** Holes between consecutive readings (one period apart expected) that no gap record covers. */
function unaccounted(
  readings: ViamRow[],
  gaps: ViamRow[],
  period: number,
  origin: number,
): string[] {
  const holes: string[] = [];
  for (let i = 1; i < readings.length; i++) {
    const a = readings[i - 1] as ViamRow;
    const b = readings[i] as ViamRow;
    if (Math.abs(b.time_requested - a.time_requested - period) < 2) continue;
    const covered = gaps.some(
      (g) => g.time_requested >= a.time_requested - 1 && g.time_requested <= b.time_requested + 1,
    );
    if (!covered)
      holes.push(
        `${(a.time_requested - origin).toFixed(0)}→${(b.time_requested - origin).toFixed(0)}`,
      );
  }
  return holes;
}

describe.skipIf(!hasSocat)(
  'acceptance: gateway captures from two emulated ESP32s running the firmware bundle',
  () => {
    let run: Run | undefined;
    beforeAll(async () => {
      run = await capture({ captureMs: CAPTURE_MS });
    }, 60_000);
    afterAll(async () => {
      await run?.cleanup();
    });

    for (const [component, hz] of [
      ['serial-esp32', 50],
      ['mqtt-esp32', 20],
    ] as const) {
      it(`${component}: Analogs at ${hz} Hz streamed into capture files with the fixture values, every instant accounted`, () => {
        const rows = (run as Run).rows;
        const mine = rows.filter(
          (r) => r.component_name === component && r.method_name === 'Analogs',
        );
        const readings = mine.filter((r) => r.kind === 'reading');
        const gaps = mine.filter((r) => r.kind === 'gap');
        // Not a raw count (a busy machine starts the window later or runs the emulator slower):
        // the window must be a real one, and every scheduled instant in it is accounted below.
        expect(
          readings.length,
          `${component}: ${readings.length} readings, gaps: ${reasons(gaps)}`,
        ).toBeGreaterThan(hz);
        for (const r of readings) {
          const d = r.data as Record<string, AnalogValue>;
          expect(d.A1).toEqual({ value: 2048, min_range: 0, max_range: 3.3, step_size: 0.000806 });
          expect((d.A3 as AnalogValue).value).toBeGreaterThanOrEqual(0);
          expect((d.A3 as AnalogValue).value).toBeLessThanOrEqual(4095);
          expect(r.machine).toBe('hil-gw');
          expect(r.tags).toContain('hil');
        }
        const first = readings[0] as ViamRow;
        expect(
          unaccounted(readings, gaps, periodMs(hz), first.time_requested),
          `gaps: ${reasons(gaps)}`,
        ).toEqual([]);
        // Accounting over the window [first reading, last reading]: readings + instants the gap
        // records report = the instants the plan scheduled (within 1 %, at least 2 instants, for
        // ticks on the window's edges), the window covers at least half the capture time, the
        // rate is the plan's within 3 % and at most 15 % of the instants are gaps.
        const last = readings[readings.length - 1] as ViamRow;
        const span = last.time_requested - first.time_requested;
        const scheduled = Math.round(span / periodMs(hz)) + 1;
        const lost = gaps
          .filter(
            (g) =>
              g.time_requested >= first.time_requested && g.time_requested <= last.time_requested,
          )
          .reduce((n, g) => n + (g.data as { count: number }).count, 0);
        const rate = ((readings.length + lost - 1) * 1000) / span;
        process.stdout.write(
          `[acceptance ${component}] ${readings.length} readings + ${lost} in ${gaps.length} gap records (${reasons(gaps)}) = ${readings.length + lost} of ${scheduled} scheduled instants, rate ${rate.toFixed(2)} Hz over ${(span / 1000).toFixed(1)} s\n`,
        );
        expect(span).toBeGreaterThanOrEqual(CAPTURE_MS / 2);
        expect(Math.abs(readings.length + lost - scheduled)).toBeLessThanOrEqual(
          Math.max(2, scheduled * 0.01),
        );
        expect(Math.abs(rate - hz) / hz).toBeLessThan(0.03);
        // at most 15 % of the instants are gaps; more only where the host itself ran that share of
        // timers a period late (the emulated board, in this process, misses what the host misses)
        expect(
          lost / (readings.length + lost),
          `host ran ${(100 * (run as Run).hostLate).toFixed(1)} % of 20 ms timers a period late`,
        ).toBeLessThan(Math.max(0.15, (run as Run).hostLate * 2 + 0.03));
        // time_received is after time_requested and close to it (board clock mapped to gateway time)
        for (const r of readings) expect(r.time_received - r.time_requested).toBeGreaterThan(-5);
        const lag = readings.map((r) => r.time_received - r.time_requested).sort((x, y) => x - y);
        expect(lag[Math.floor(lag.length / 2)] as number).toBeLessThan(300);
      });

      it(`${component}: Gpio polled at 1 Hz reads pin 27 high`, () => {
        const g = (run as Run).rows.filter(
          (r) => r.component_name === component && r.method_name === 'Gpio' && r.kind === 'reading',
        );
        expect(g.length).toBeGreaterThanOrEqual(3);
        for (const r of g) expect(r.data).toEqual({ '27': { high: true } as GpioValue });
      });
    }
  },
);

describe.skipIf(!hasSocat)('acceptance: a 3.5 s serial cable pull, end to end', () => {
  let run: Run | undefined;
  beforeAll(async () => {
    run = await capture({ captureMs: 4000, pullSerialMs: 3500 });
  }, 60_000);
  afterAll(async () => {
    await run?.cleanup();
  });

  it('the wait between the handshake and the first streamed batch is board_starting, not blamed on the board', () => {
    const { rows } = run as Run;
    for (const component of ['serial-esp32', 'mqtt-esp32']) {
      const mine = rows.filter(
        (r) => r.component_name === component && r.method_name === 'Analogs',
      );
      const first = mine.find((r) => r.kind === 'reading') as ViamRow;
      const early = mine.filter(
        (r) => r.kind === 'gap' && r.time_requested <= first.time_requested + 1000,
      );
      expect(
        early.filter((g) => (g.data as { detail?: string }).detail === 'board did not sample'),
        `${component} gaps around the start: ${reasons(early)}`,
      ).toEqual([]);
      for (const g of early)
        expect(['board_offline', 'board_starting', 'missed_ticks']).toContain(
          (g.data as { reason: string }).reason,
        );
    }
  });

  it('the board keeps its batches while the gateway is silent and they reach the capture files: no instant unaccounted, none lost', () => {
    const { rows, pulledAt, restoredAt, hostLate } = run as Run;
    const analogs = rows.filter(
      (r) => r.component_name === 'serial-esp32' && r.method_name === 'Analogs',
    );
    const readings = analogs.filter((r) => r.kind === 'reading');
    const gaps = analogs.filter((r) => r.kind === 'gap');
    const gapList = gaps
      .map(
        (g) =>
          `${(g.data as { reason: string }).reason}@${(g.time_requested - pulledAt).toFixed(0)}..${((g.data as { end: number }).end - pulledAt).toFixed(0)}`,
      )
      .join(' ');
    expect(
      unaccounted(readings, gaps, 20, pulledAt),
      `holes in ms from the pull (restored at +${restoredAt - pulledAt}); gaps: ${gapList}; ${reasons(gaps)}`,
    ).toEqual([]);
    const during = readings.filter(
      (r) => r.time_requested > pulledAt + 200 && r.time_requested < restoredAt - 200,
    );
    // every gap that reaches into the pull or after it (a start-up gap that ended before the pull,
    // e.g. board_starting on a slow start, is not a loss the pull caused)
    const lostSincePull = gaps.filter(
      (g) =>
        (g.data as { end: number }).end >= pulledAt &&
        (g.data as { reason: string }).reason !== 'missed_ticks',
    );
    process.stdout.write(
      `[acceptance pull] ${during.length} readings sampled while the cable was out reached the files; losses other than missed ticks: ${lostSincePull.length ? gapList : 'none'}\n`,
    );
    expect(
      lostSincePull.map((g) => (g.data as { reason: string }).reason),
      `gaps: ${gapList}; ${reasons(lostSincePull)}`,
    ).toEqual([]);
    // Accounting while the cable was out: the readings plus the instants the board could not sample
    // (missed_ticks on a busy host, each a gap instant on the 20 ms grid) are the scheduled ones.
    const inPull = (t: number) => t > pulledAt + 200 && t < restoredAt - 200;
    let missedDuring = 0;
    for (const g of gaps) {
      const d = g.data as { reason: string; end: number; count: number };
      if (d.reason !== 'missed_ticks') continue;
      const step = d.count > 1 ? (d.end - g.time_requested) / (d.count - 1) : 0;
      for (let k = 0; k < d.count; k++) if (inPull(g.time_requested + k * step)) missedDuring++;
    }
    const scheduledDuring = (restoredAt - pulledAt - 400) / 20;
    expect(
      during.length + missedDuring,
      `${during.length} readings + ${missedDuring} missed instants`,
    ).toBeGreaterThan(scheduledDuring * 0.97);
    expect(
      missedDuring / scheduledDuring,
      `host ran ${(100 * hostLate).toFixed(1)} % of 20 ms timers a period late`,
    ).toBeLessThan(Math.max(0.15, hostLate * 2 + 0.03));
  });
});
