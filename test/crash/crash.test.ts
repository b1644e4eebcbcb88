/**
 * Crash test: a real child gateway (`node bin/wharf.mjs run`) capturing two sim boards at 100 Hz
 * (one streamed, one polled) is SIGKILLed at random moments 25 times: 20 while capturing and every
 * 5th during start-up/recovery. After each restart every finished file must decode cleanly; at the end (after
 * one clean run) no `.prog` is left, nothing went to failed/, the readings lost per kill are within
 * what flush_interval_ms allows, and every hole in the data is covered by gap records.
 * Seed: WHARF_CRASH_SEED (printed on failure).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyse, killCycles, readAll, startGateway, writeCrashConfig } from './crash-harness.js';

const HZ = 100;
const FLUSH_MS = 200;
const BATCH_MS = 20;
/** Readings a kill may cost: one flush interval plus the flush itself (write + fsync) and the sim's batch in flight. */
const MAX_LOSS_MS = FLUSH_MS + BATCH_MS + 300;

describe('crash safety (real child process, SIGKILL)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const seed = Number(process.env.WHARF_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

  it(`survives 25 SIGKILLs at random moments without unreadable files or unaccounted loss (seed ${seed})`, async () => {
    const captureDir = path.join(dir, 'capture');
    const configFile = await writeCrashConfig({
      dir,
      hz: HZ,
      flushMs: FLUSH_MS,
      batchMs: BATCH_MS,
    });
    const unreadableAfterRestart: string[] = [];
    const kills = await killCycles({
      configFile,
      captureDir,
      kills: 25,
      seed,
      earlyEvery: 5,
      minRunMs: 50,
      maxRunMs: 600,
      onRestart: (i, bad) => unreadableAfterRestart.push(...bad.map((b) => `restart ${i}: ${b}`)),
    });
    expect(kills.length).toBe(25);
    expect(kills.filter((k) => k.capturing).length).toBeGreaterThanOrEqual(20);
    expect(unreadableAfterRestart).toEqual([]);

    // One clean run: recovers the last kill's files and records the downtime, then stops cleanly.
    const last = startGateway(configFile, ['--duration', '0.5']);
    const ex = await last.exited;
    expect(ex.code, last.output()).toBe(0);

    const { streams, progFiles, failed, unreadable } = await readAll(captureDir);
    expect(progFiles).toEqual([]);
    expect(failed).toEqual([]);
    expect(unreadable).toEqual([]);
    expect([...streams.keys()].sort()).toEqual(['polled-board/Gpio', 'streamed-board/Analogs']);
    const report = analyse(streams, kills, HZ);
    for (const s of report) {
      const ctx = `${s.key} (seed ${seed}): ${JSON.stringify({ lost: s.lostPerKill, gaps: s.gapsByReason, uncovered: s.uncovered.slice(0, 3).map((u) => ({ ...u, len: u.to - u.from })), kills })}`;
      expect(s.readings, ctx).toBeGreaterThan(200);
      expect(s.duplicates, ctx).toBe(0);
      expect(s.lostPerKill.length, ctx).toBeGreaterThanOrEqual(19);
      expect(Math.max(...s.lostPerKill), ctx).toBeLessThanOrEqual((MAX_LOSS_MS * HZ) / 1000);
      expect(s.uncovered, ctx).toEqual([]);
      // One capture_stopped gap per restart; a run killed before its first flush is covered by the next one's gap.
      expect(s.gapsByReason.capture_stopped ?? 0, ctx).toBeGreaterThanOrEqual(6);
    }
  }, 120_000);
});
