/**
 * Nothing a board delivered is lost across reconnects and gateway restarts (issue 17), end to end:
 * the gateway runs as a real child process (`wharf run`) with its embedded broker; emulated ESP32s
 * run the compiled firmware bundles — three over MQTT, three over pty serial lines — and stream A1
 * at 20 Hz. Phase 1 pulls all links at once and restores them after 0.5 s, 3 s and 10 s (per
 * transport) while the gateway runs. Phase 2 kills the gateway (SIGKILL) for 10 s while the boards
 * keep sampling, then starts it again on the same capture directory. The 10 s boards have little
 * memory, so their backlogs overflow in both phases.
 *
 * For every board: each sample it sent is in the capture files exactly once, nothing is invented,
 * and the only gaps are the board's own backlog_overflow (with its count) and instants nobody
 * sampled (missed_ticks); no board_offline, capture_stopped or sequence_gap for what it kept.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViamRow } from '../src/shared/record.js';
import { capturedRows } from '../test/helpers/captured.js';
import { requireTool } from '../test/helpers/system-tool.js';
import type { GatewayProcess } from './bench/gateway-process.js';
import {
  account,
  expectedOverflow,
  framesAndGaps,
  holesCovered,
  overlaps,
  sampleTimes,
  type Accounting,
} from './reconnect-check.js';
import {
  rigGatewayConfig,
  startRigGateway,
  startTalliedBoards,
  stopRig,
  untilStreaming,
  type TalliedRig,
} from './rig.js';

const hasSocat = requireTool(
  'socat',
  'the reconnect test wires an emulated ESP32 to the gateway over a pty pair',
);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HZ = 20;
const PERIOD = 1000 / HZ;
const KILL_MS = 10_000;

interface Rig extends TalliedRig {
  pullMs: number;
  /** Espruino variables free (the backlog gets half): small = the backlog overflows in 10 s */
  freeVars?: number;
  pulledAt?: number;
  restoredAt?: number;
}

const RIGS: Rig[] = [
  { id: 'mq-05', transport: 'mqtt', pullMs: 500 },
  { id: 'mq-3', transport: 'mqtt', pullMs: 3000 },
  { id: 'mq-10', transport: 'mqtt', pullMs: 10_000, freeVars: 1000 },
  { id: 'ser-05', transport: 'serial', pullMs: 500 },
  { id: 'ser-3', transport: 'serial', pullMs: 3000 },
  { id: 'ser-10', transport: 'serial', pullMs: 10_000, freeVars: 1000 },
];

const config = (dir: string, brokerPort: number, httpPort: number, secret: string) =>
  rigGatewayConfig({ dir, brokerPort, httpPort, secret, rigs: RIGS, hz: HZ });

interface Result {
  rows: ViamRow[];
  metrics: string;
  phase1: { from: number; to: number };
  phase2: { from: number; to: number; killedAt: number; restartedAt: number };
  stopAt: number;
}

describe.skipIf(!hasSocat)('reconnects and gateway restarts lose nothing a board sent', () => {
  let dir: string;
  let gw: GatewayProcess | undefined;
  let r: Result;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-reconnect-'));
    const g = await startRigGateway(dir, RIGS, config);
    gw = g.gw;
    const { httpPort } = g;
    await startTalliedBoards(RIGS, g);
    const t0 = Date.now();
    await untilStreaming(RIGS, t0 + 1500, 'every board streaming');

    // Phase 1: pull all links at once, restore after each board's pull length.
    const pullAt = Date.now();
    for (const rig of RIGS) {
      if (rig.freeVars !== undefined) rig.board!.setFreeMemory(rig.freeVars);
      rig.pulledAt = Date.now();
      rig.board!.pullLink();
    }
    await Promise.all(
      RIGS.map(async (rig) => {
        await sleep(rig.pulledAt! + rig.pullMs - Date.now()); // deliberate: the pull length
        rig.board!.restoreLink();
        rig.restoredAt = Date.now();
      }),
    );
    const lastRestore = Math.max(...RIGS.map((x) => x.restoredAt!));
    await untilStreaming(
      RIGS,
      lastRestore,
      'every board drained its backlog after the pulls',
      30_000,
    );
    const phase1 = { from: pullAt - 1000, to: Date.now() };

    // Phase 2: kill the gateway for 10 s while the boards keep sampling, then start it again.
    await sleep(1000); // deliberate: a second of ordinary capture between the phases
    const killedAt = Date.now();
    await gw.kill('SIGKILL');
    await sleep(KILL_MS); // deliberate: the outage
    gw = g.restart();
    const restartedAt = Date.now();
    await untilStreaming(
      RIGS,
      restartedAt + 500,
      'every board drained its backlog into the restarted gateway',
    );
    await sleep(1500); // deliberate: live capture after the drain, before the window closes
    const phase2 = { from: killedAt - 1000, to: Date.now(), killedAt, restartedAt };
    const metrics = await fetch(`http://127.0.0.1:${httpPort}/metrics`).then((x) => x.text());
    const stopAt = Date.now();
    await gw.kill('SIGTERM');
    const rows = await capturedRows(path.join(dir, 'capture'));
    r = { rows, metrics, phase1, phase2, stopAt };
  }, 150_000);

  afterAll(async () => {
    await stopRig(gw, RIGS, dir);
  });

  const of = (rig: Rig) => {
    const { frames, gaps } = framesAndGaps(r.rows, `${rig.id}-board`);
    return { frames, readings: frames.map((x) => x.t), gaps, sent: rig.tally!.samples() };
  };
  const line = (rig: Rig, phase: string, a: Accounting) =>
    `[reconnect] ${rig.id} ${phase}: board sent ${a.sent}, captured ${a.captured} (invented ${a.invented}, duplicates ${a.duplicates}, lost ${a.lost}, evicted after sending ${a.lostEvicted}; clock map error up to ${a.mapErrorMs.toFixed(1)} ms); gaps ${JSON.stringify(a.gaps)}\n`;

  for (const rig of RIGS) {
    it(`${rig.id} (${rig.transport}, ${rig.pullMs / 1000} s pull, then a ${KILL_MS / 1000} s gateway kill): every sample it sent captured exactly once, only its own evictions as gaps`, () => {
      const { frames, readings, gaps, sent } = of(rig);
      const first = Math.min(...readings);
      // the whole run: from the first second of capture to just before the final stop
      const whole = { from: first + 1000, to: r.stopAt - 1000 };
      const p1 = account(
        { from: Math.max(r.phase1.from, whole.from), to: r.phase1.to },
        frames,
        gaps,
        sent,
        PERIOD,
      );
      const p2 = account(
        { from: r.phase2.from, to: Math.min(r.phase2.to, r.stopAt - 1000) },
        frames,
        gaps,
        sent,
        PERIOD,
      );
      const all = account(whole, frames, gaps, sent, PERIOD);
      process.stdout.write(line(rig, `pull ${rig.pullMs} ms`, p1));
      process.stdout.write(line(rig, `gateway killed ${KILL_MS} ms`, p2));
      const gapText = `${all.examples.join('; ')} gaps: ${JSON.stringify(gaps.filter((g) => g.end >= whole.from))}`;
      expect(all.invented, gapText).toBe(0);
      expect(all.duplicates, gapText).toBe(0);
      expect(all.lost, gapText).toBe(0);
      // the phases happened and the board delivered through them
      const took = (a: Accounting) => a.sent + (a.gaps.backlog_overflow ?? 0);
      expect(took(p1)).toBeGreaterThan(((rig.pullMs + 1000) / PERIOD) * 0.9);
      expect(took(p2)).toBeGreaterThan((KILL_MS / PERIOD) * 0.9);
      // only what the board evicted (with its own count) and what nobody sampled
      for (const reason of Object.keys(all.gaps))
        expect(['backlog_overflow', 'missed_ticks'], gapText).toContain(reason);
      const reports = rig.tally!.evicted().filter((e) => e.to >= whole.from && e.from <= whole.to);
      const reported = reports.reduce((n, e) => n + e.n, 0);
      expect(all.gaps.backlog_overflow ?? 0, gapText).toBe(
        expectedOverflow(reports, sampleTimes(frames, sent, PERIOD), gaps, PERIOD),
      );
      if (rig.freeVars !== undefined) expect(reported).toBeGreaterThan(0);
      else expect(reported).toBe(0);
      // no instant is both delivered and marked lost
      expect(overlaps(readings, gaps)).toEqual([]);
      // every hole between readings has its gap records
      const inWhole = readings.filter((t) => t >= whole.from && t <= whole.to);
      expect(holesCovered(inWhole, gaps, PERIOD)).toEqual([]);
      // and the values are the fixture's (1.65 V on A1 → 2048)
      const values = r.rows
        .filter((x) => x.component_name === `${rig.id}-board` && x.kind === 'reading')
        .map((x) => (x.data as { A1?: { value: number } }).A1?.value);
      expect(new Set(values)).toEqual(new Set([2048]));
    });
  }

  it('no board frame was dropped unrouted, and /metrics says so by reason', () => {
    expect(r.metrics).toMatch(/wharf_mqtt_unrouted_frames\{reason="not_attached"\} 0/);
    expect(r.metrics).toMatch(/wharf_mqtt_unrouted_frames\{reason="hold_overflow"\} 0/);
  });

  it('every gap record runs forward in time', () => {
    for (const g of r.rows.filter((x) => x.kind === 'gap'))
      expect((g.data as { end: number }).end).toBeGreaterThanOrEqual(g.time_requested);
  });
});
