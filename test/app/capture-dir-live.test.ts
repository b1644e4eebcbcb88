/**
 * issue 14, item 5: `capture_dir` changes live (in-process gateway, real files, real sim boards, a
 * real directory sync target):
 *  - new data goes to the new dir at once; the old dir's open files are finished there (readable);
 *  - the old dir keeps syncing until it is empty; /status and /metrics show both while it drains;
 *  - a restart while the old dir still holds data keeps draining it (the list is in the new dir);
 *  - every reading reaches the target exactly once, and every hole in a stream has a gap record;
 *  - a dir inside the current one, or one another gateway holds, is refused and the plan stays.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Gateway } from '../../src/app/gateway.js';
import { DRAINING_FILE, writeDraining } from '../../src/capture/draining.js';
import { writeCheckpoint } from '../../src/capture/checkpoint.js';
import { metaFor } from '../../src/capture/engine-plan.js';
import { FileCaptureStore } from '../../src/capture/file-store.js';
import { realClock } from '../../src/shared/clock.js';
import { decodeCaptureFile, FINISHED_SUFFIX } from '../../src/capture/file-format.js';
import { walkCaptureDir } from '../../src/capture/files.js';
import type { CapturePlan } from '../../src/config/plan.js';
import { isWharfError } from '../../src/shared/errors.js';
import { nullLogger } from '../../src/shared/logger.js';
import type { CaptureRecord, GapRecord, ReadingRecord } from '../../src/shared/record.js';
import { board, entry, plan } from '../capture/engine/helpers.js';
import { waitFor } from '../helpers/wait.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-capdir-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const e1 = entry('b1', 'Analogs', ['A1'], 20);
const e2 = entry('b1', 'Gpio', ['27'], 4);

function planIn(dir: string, target: string, syncDisabled: boolean): CapturePlan {
  const p = plan([board('b1')], [e1, e2], {
    capture_dir: dir,
    flush_interval_ms: 100,
    maximum_capture_file_age_ms: 300,
    sync_disabled: syncDisabled,
    sync_interval_mins: 0.005, // 300 ms
  });
  return {
    ...p,
    gateway: { ...p.gateway, sync: { kind: 'dir', path: target }, http: null },
  };
}

async function recordsIn(dir: string, suffixes = [FINISHED_SUFFIX]) {
  const out: { file: string; meta: string; rec: CaptureRecord }[] = [];
  for (const f of await walkCaptureDir(dir, suffixes)) {
    const bytes = await fsp.readFile(f.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null; // synced (and removed) meanwhile
      throw err;
    });
    if (bytes === null) continue;
    const d = decodeCaptureFile(bytes);
    // a finished file is whole; an open one may be read while a write is under way
    if (f.path.endsWith(FINISHED_SUFFIX)) expect(d.torn, f.path).toBeNull();
    for (const rec of d.records)
      out.push({ file: f.path, meta: `${d.header.meta.method_name}`, rec });
  }
  return out;
}

const exists = (p: string) =>
  fsp.access(p).then(
    () => true,
    () => false,
  );

/**
 * Per stream: no reading twice, and every tick between two readings further apart than 1.5
 * periods lies inside a gap record of that stream.
 */
function checkStream(recs: CaptureRecord[], periodMs: number, what: string): number {
  const readings = recs.filter((r): r is ReadingRecord => r.kind === 'reading');
  const gaps = recs.filter((r): r is GapRecord => r.kind === 'gap' && r.count > 0);
  const times = readings.map((r) => r.time_requested).sort((a, b) => a - b);
  expect(new Set(times).size, `${what}: a reading stored twice`).toBe(times.length);
  for (let i = 1; i < times.length; i++) {
    const a = times[i - 1]!;
    const b = times[i]!;
    if (b - a <= 1.5 * periodMs) continue;
    for (let t = a + periodMs; t <= b - periodMs / 2; t += periodMs) {
      const covered = gaps.some((g) => g.start - periodMs / 2 <= t && t <= g.end + periodMs / 2);
      expect(covered, `${what}: tick ${t} between ${a} and ${b} has neither reading nor gap`).toBe(
        true,
      );
    }
  }
  return times.length;
}

describe('capture_dir changes live', () => {
  it('new data goes to the new dir at once; the old dir drains until empty, across a restart; every reading synced once, every hole a gap', async () => {
    const A = path.join(tmp, 'A');
    const B = path.join(tmp, 'B');
    const T = path.join(tmp, 'target');
    await fsp.mkdir(T);
    // sync disabled at first, so the old dir still holds data after the switch
    const gw = await Gateway.start({
      plan: planIn(A, T, true),
      logger: nullLogger,
      http: { host: '127.0.0.1', port: 0 },
      drainCheckMs: 50,
    });
    await waitFor(
      async () => (await walkCaptureDir(A, [FINISHED_SUFFIX])).length >= 4,
      15_000,
      'finished files in the first capture dir',
    );
    const switchAt = Date.now();
    await gw.applyPlan(planIn(B, T, true));
    expect(gw.captureDir).toBe(B);
    // at once: a reading captured after the switch is durable in B within a couple of flushes
    await waitFor(
      async () =>
        (await recordsIn(B, ['.prog', FINISHED_SUFFIX])).some(
          (r) => r.rec.kind === 'reading' && r.rec.time_requested >= switchAt,
        ),
      3000,
      'a reading after the switch on disk in the new dir',
    );
    // the old dir's open files were finished there (no .prog left, every file readable), and
    // nothing new is written there
    await waitFor(
      async () => (await walkCaptureDir(A, ['.prog'])).length === 0,
      5000,
      'the open files of the old dir finished',
    );
    const inA = await recordsIn(A);
    const lastInA = Math.max(
      ...inA.map((r) => (r.rec.kind === 'reading' ? r.rec.time_requested : 0)),
    );
    expect(lastInA).toBeGreaterThan(0);
    const filesA = (await walkCaptureDir(A, [FINISHED_SUFFIX])).length;

    // /status and /metrics show both while the old dir holds data
    await waitFor(() => gw.status().draining[0]?.files != null, 5000, 'the draining dir measured');
    const st = (await (await fetch(`${gw.httpUrl}/status`)).json()) as {
      capture_dir: string;
      draining: { dir: string; files: number; state: string }[];
    };
    expect(st.capture_dir).toBe(B);
    expect(st.draining).toEqual([
      expect.objectContaining({ dir: A, files: filesA, state: 'disabled' }),
    ]);
    const metrics = await (await fetch(`${gw.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^wharf_capture_dirs_draining 1$/m);
    expect(metrics).toMatch(new RegExp(`^wharf_capture_draining_files ${filesA}$`, 'm'));

    await waitFor(
      async () => (await walkCaptureDir(B, [FINISHED_SUFFIX])).length >= 4,
      15_000,
      'finished files in the new capture dir',
    );
    // restart while A still holds data: the list of draining dirs is in B, so A keeps draining
    await gw.stop();
    expect(JSON.parse(await fsp.readFile(path.join(B, DRAINING_FILE), 'utf8'))).toMatchObject({
      dirs: [{ dir: A }],
    });
    expect((await walkCaptureDir(A, [FINISHED_SUFFIX])).length).toBe(filesA);
    const restartAt = Date.now();
    const gw2 = await Gateway.start({
      plan: planIn(B, T, true),
      logger: nullLogger,
      drainCheckMs: 50,
    });
    expect(gw2.status().draining.map((d) => d.dir)).toEqual([A]);
    // sync on: A drains to empty and is no longer shown; B syncs too
    await waitFor(
      () => gw2.store.stats().durable > 20,
      10_000,
      'capture going on after the restart',
    );
    await gw2.applyPlan(planIn(B, T, false));
    await waitFor(
      () => gw2.status().draining.length === 0,
      20_000,
      'the old dir drained and dropped',
    );
    expect(await walkCaptureDir(A, [FINISHED_SUFFIX, '.prog'])).toEqual([]);
    expect(await exists(path.join(B, DRAINING_FILE))).toBe(false);
    // the lock on A is released once it is drained
    expect(await exists(path.join(A, '.wharf-lock'))).toBe(false);
    await waitFor(
      async () => (await walkCaptureDir(B, [FINISHED_SUFFIX])).length === 0,
      20_000,
      'the new dir synced',
    );
    await gw2.stop();

    // everything captured is in the target or still in B (the files the stop finished): once each
    const all = [...(await recordsIn(T)), ...(await recordsIn(B))];
    const analog = all.filter((r) => r.meta === 'Analogs').map((r) => r.rec);
    const gpio = all.filter((r) => r.meta === 'Gpio').map((r) => r.rec);
    const nA = checkStream(analog, 50, 'Analogs');
    checkStream(gpio, 250, 'Gpio');
    // the readings A held are all in the target
    const synced = new Set(
      (await recordsIn(T))
        .filter((r) => r.meta === 'Analogs' && r.rec.kind === 'reading')
        .map((r) => (r.rec as ReadingRecord).time_requested),
    );
    for (const r of inA)
      if (r.meta === 'Analogs' && r.rec.kind === 'reading')
        expect(synced.has(r.rec.time_requested)).toBe(true);
    // readings from before the switch, between it and the restart, and after the restart
    const times = analog.flatMap((r) => (r.kind === 'reading' ? [r.time_requested] : []));
    expect(times.filter((t) => t < switchAt).length).toBeGreaterThan(5);
    expect(times.filter((t) => t >= switchAt && t < restartAt).length).toBeGreaterThan(5);
    expect(times.filter((t) => t > restartAt).length).toBeGreaterThan(5);
    expect(nA).toBe(times.length);
    // the restart's hole (if the readings around it are further apart than 1.5 periods) has a gap
    // record (checkStream checked every tick) with the restart's reason: capture_stopped, or
    // board_offline for the part the streaming board was not back yet
    const sorted = [...times].sort((a, b) => a - b);
    const after = sorted.findIndex((t) => t > restartAt);
    const [holeFrom, holeTo] = [sorted[after - 1]!, sorted[after]!];
    if (holeTo - holeFrom > 1.5 * 50) {
      const restartGaps = analog.filter(
        (r): r is GapRecord => r.kind === 'gap' && r.end > holeFrom && r.start < holeTo,
      );
      expect(
        restartGaps.some((g) => g.reason === 'capture_stopped' || g.reason === 'board_offline'),
        `hole ${holeFrom}..${holeTo}: ${JSON.stringify(restartGaps)}`,
      ).toBe(true);
    }
    // the switch itself left no hole: readings on both sides of it, 50 ms apart
    const around = analog
      .filter((r): r is ReadingRecord => r.kind === 'reading')
      .map((r) => r.time_requested)
      .filter((t) => Math.abs(t - switchAt) < 500 && t < restartAt - 500)
      .sort((a, b) => a - b);
    expect(around.length).toBeGreaterThan(5);
    // a tick without a reading there is only one the scheduler missed on a busy machine
    for (let i = 1; i < around.length; i++) {
      const [a, b] = [around[i - 1]!, around[i]!];
      if (b - a <= 75) continue;
      const why = analog
        .filter((r): r is GapRecord => r.kind === 'gap' && r.end > a && r.start < b)
        .map((g) => g.reason);
      expect(
        why.length > 0 && why.every((r) => r === 'missed_ticks'),
        `a hole at the switch ${a}..${b}: ${why.join()}`,
      ).toBe(true);
    }
  }, 90_000);

  it('refuses a dir inside the current one or one another gateway holds; the running plan stays', async () => {
    const C = path.join(tmp, 'C');
    const D = path.join(tmp, 'D');
    const T = path.join(tmp, 'target2');
    await fsp.mkdir(T);
    const gw = await Gateway.start({ plan: planIn(C, T, true), logger: nullLogger });
    const other = await Gateway.start({ plan: planIn(D, T, true), logger: nullLogger });
    try {
      const inside = await gw.applyPlan(planIn(path.join(C, 'sub'), T, true)).catch((e) => e);
      expect(isWharfError(inside, 'CONFIG_INVALID')).toBe(true);
      expect(String(inside.message)).toMatch(/is inside/);
      const taken = await gw.applyPlan(planIn(D, T, true)).catch((e) => e);
      expect(isWharfError(taken, 'CAPTURE_LOCKED')).toBe(true);
      expect(gw.captureDir).toBe(C);
      expect(gw.status().draining).toEqual([]);
      // still capturing into C
      const before = gw.store.stats().durable;
      await waitFor(() => gw.store.stats().durable > before, 5000, 'capture going on in C');
    } finally {
      await other.stop();
      await gw.stop();
    }
  }, 30_000);

  it('a crash right at a switch: at the next start the old dir is recovered and drained, and the hole after its last record is a capture_stopped gap', async () => {
    const A = path.join(tmp, 'crashA');
    const B = path.join(tmp, 'crashB');
    const T = path.join(tmp, 'target3');
    await fsp.mkdir(T);
    await fsp.mkdir(B);
    // what a crash just after the switch leaves: in A an open .prog with the last readings and a
    // checkpoint a little behind them; in B only the list naming A (written before the switch)
    const p = planIn(B, T, false);
    const meta = metaFor(p, e2);
    const last = Date.now() - 5000;
    const writer = new FileCaptureStore({
      dir: A,
      settings: p.dataManager,
      clock: realClock,
      logger: nullLogger,
    });
    for (let i = 8; i >= 0; i--)
      writer.append(e2.key, meta, {
        kind: 'reading',
        time_requested: last - i * 250,
        time_received: last - i * 250 + 3,
        data: { '27': { high: i % 2 === 0 } },
      });
    await writer.flush(); // durable, still .prog (the writer is abandoned, as by SIGKILL)
    expect((await walkCaptureDir(A, ['.prog'])).length).toBe(1);
    await writeCheckpoint(A, new Map([[e2.key, last - 1000]]), last);
    await writeDraining(B, [{ dir: A, since_ms: last }]);

    const gw = await Gateway.start({ plan: p, logger: nullLogger, drainCheckMs: 50 });
    try {
      // A was recovered (its .prog finished, readable) and is drained into the target
      expect(gw.recovery?.recovered ?? []).toEqual([]); // B itself had nothing to recover
      await waitFor(
        () => gw.status().draining.length === 0,
        20_000,
        'the old dir drained after the restart',
      );
      expect(await walkCaptureDir(A, [FINISHED_SUFFIX, '.prog'])).toEqual([]);
      const synced = (await recordsIn(T)).filter((r) => r.meta === 'Gpio');
      const got = synced.flatMap((r) => (r.rec.kind === 'reading' ? [r.rec.time_requested] : []));
      for (let i = 0; i <= 8; i++) expect(got).toContain(last - i * 250);
      // the downtime starts after A's last durable record (newer than B's missing checkpoint)
      await waitFor(
        async () =>
          [...(await recordsIn(T)), ...(await recordsIn(B, ['.prog', FINISHED_SUFFIX]))].some(
            (r) => r.rec.kind === 'gap' && r.rec.reason === 'capture_stopped',
          ),
        10_000,
        'the capture_stopped gap',
      );
    } finally {
      await gw.stop();
      await writer.close().catch(() => undefined);
    }
    const all = [...(await recordsIn(T)), ...(await recordsIn(B))].filter((r) => r.meta === 'Gpio');
    const stopped = all
      .map((r) => r.rec)
      .filter((r): r is GapRecord => r.kind === 'gap' && r.reason === 'capture_stopped');
    expect(stopped).toHaveLength(1);
    expect(stopped[0]!.start).toBe(last + 250);
    checkStream(
      all.map((r) => r.rec),
      250,
      'Gpio across the crash',
    );
  }, 60_000);
});
