/**
 * Exactly-once effect under SIGKILL: a real child process (`wharf sync now`) is killed at random
 * moments while it syncs a backlog to a real cloud, ≥ 10 times, then run to completion. The cloud
 * must hold every record once: none lost, none duplicated, no file left behind.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listFinishedFiles } from '../../src/capture/files.js';
import { startCloud, type TestCloud } from '../cloud/cloud-helper.js';
import { meta, readings } from '../cloud/fixtures.js';
import { pgUser } from '../cloud/pg-helper.js';
import { writeCaptureFile } from './capture-dir.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/wharf.mjs');
const FILES = 600; // enough backlog that 10 kills land mid-sync even when a busy machine is slow to kill
const PER_FILE = 20;
const KILLS = 10;
const user = await pgUser();

async function sqlCount(cloud: TestCloud, sql: string): Promise<number> {
  const s = await cloud.store.openSql(sql, { timeoutMs: 10_000, maxRows: 1 });
  let n = -1;
  for await (const b of s.batches) n = Number(b[0]![0]);
  return n;
}

for (const [name, kind] of [
  ['SQLite', 'sqlite'],
  ['PostgreSQL', user === null ? null : { pgUser: user }],
] as const) {
  describe.skipIf(kind === null)(`sync killed with SIGKILL (${name})`, () => {
    let dir: string;
    let cloud: TestCloud;
    beforeEach(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'wharf-sync-crash-'));
      cloud = await startCloud(kind!);
    });
    afterEach(async () => {
      await cloud.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it(`never duplicates or loses a record across ${KILLS} kills`, async () => {
      const { key } = await cloud.store.createKey('machine-a');
      const ids = new Set<string>();
      for (let i = 0; i < FILES; i++) {
        ids.add(
          writeCaptureFile(
            dir,
            meta({ component_name: `esp-${i % 3}` }),
            readings(PER_FILE, Date.UTC(2026, 0, 1) + i * 10_000, 100, i * 1000),
            Date.UTC(2026, 0, 1) + i * 10_000,
          ).fileId,
        );
      }
      const args = [
        BIN,
        'sync',
        'now',
        '--dir',
        dir,
        '--url',
        cloud.url,
        '--key',
        key,
        '--concurrency',
        '2',
      ];
      let killedMidSync = 0;
      for (let round = 0; round < KILLS * 3 && killedMidSync < KILLS; round++) {
        const before = (await listFinishedFiles(dir)).length;
        if (before === 0) break;
        const child = spawn(process.execPath, args, { stdio: 'ignore' });
        const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
        let exitedEarly = false;
        void exited.then(() => (exitedEarly = true));
        // wait until this run has shipped at least one file, then kill at a random moment
        const t0 = Date.now();
        while (
          !exitedEarly &&
          Date.now() - t0 < 20_000 &&
          (await listFinishedFiles(dir)).length === before
        )
          await new Promise((r) => setTimeout(r, 5));
        await new Promise((r) => setTimeout(r, Math.random() * 60));
        if (!exitedEarly) {
          child.kill('SIGKILL');
          killedMidSync++;
        }
        await exited;
      }
      expect(killedMidSync).toBeGreaterThanOrEqual(KILLS);
      // one last run to the end
      const code = await new Promise<number | null>((resolve) =>
        spawn(process.execPath, args, { stdio: 'ignore' }).once('exit', (c) => resolve(c)),
      );
      expect(code).toBe(0);
      expect(await listFinishedFiles(dir)).toHaveLength(0);
      expect(await cloud.store.totals()).toEqual({ files: FILES, records: FILES * PER_FILE });
      expect(
        await sqlCount(
          cloud,
          'SELECT count(*) FROM (SELECT DISTINCT file_id, record_index FROM readings) AS d',
        ),
      ).toBe(FILES * PER_FILE);
      expect(await sqlCount(cloud, 'SELECT count(DISTINCT file_id) FROM readings')).toBe(FILES);
      // every value arrived: a0 runs base..base+19 per file, so the sum is known
      const want = [...Array(FILES).keys()].reduce(
        (s, i) => s + PER_FILE * i * 1000 + (PER_FILE * (PER_FILE - 1)) / 2,
        0,
      );
      const sumSql =
        cloud.store.kind === 'sqlite'
          ? "SELECT sum(json_extract(data, '$.a0.value')) FROM readings"
          : "SELECT sum((data->'a0'->>'value')::bigint) FROM readings";
      expect(await sqlCount(cloud, sumSql)).toBe(want);
      expect(ids.size).toBe(FILES);
    }, 180_000);
  });
}
