import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCaptureFile } from '../../src/capture/file-format.js';
import { DirSyncTarget } from '../../src/sync/dir-target.js';
import { HttpSyncTarget } from '../../src/sync/http-target.js';
import { MemorySyncTarget } from '../../src/sync/memory-target.js';
import { startCloud } from '../cloud/cloud-helper.js';
import { item, syncTargetContract } from './target-contract.js';

syncTargetContract('wharf cloud over HTTP', async () => {
  const cloud = await startCloud('sqlite');
  const { key } = await cloud.store.createKey('machine-a');
  return {
    target: new HttpSyncTarget({ url: cloud.url, apiKey: key, timeoutMs: 5000 }),
    async stored(fileId) {
      const n = await cloud.store.openSql(
        `SELECT count(*) FROM readings WHERE file_id = '${fileId}'`,
        { timeoutMs: 5000, maxRows: 1 },
      );
      let c = 0;
      for await (const b of n.batches) c = Number(b[0]![0]);
      return c === 0 ? null : c;
    },
    breakIt: () => cloud.stopServer(),
    cleanup: () => cloud.close(),
  };
});

syncTargetContract('directory', async () => {
  const root = mkdtempSync(join(tmpdir(), 'wharf-dir-target-'));
  let dir = root;
  return {
    target: {
      get description() {
        return `directory ${dir}`;
      },
      upload: (i) => new DirSyncTarget(dir).upload(i),
      close: async () => undefined,
    },
    async stored(fileId) {
      const p = join(dir, 'machine-a', `${fileId}.capture`);
      if (!existsSync(p)) return null;
      return decodeCaptureFile(await readFile(p)).records.length;
    },
    breakIt: async () => {
      dir = join(root, 'not-mounted');
    },
    cleanup: async () => rmSync(root, { recursive: true, force: true }),
  };
});

syncTargetContract('memory fake', async () => {
  const t = new MemorySyncTarget();
  return {
    target: t,
    stored: async (id) => t.files.get(id)?.records ?? null,
    breakIt: async () => {
      t.offline = true;
    },
    cleanup: async () => undefined,
  };
});

describe('HTTP target against the cloud', () => {
  it('says SYNC_AUTH for a wrong key and for a key of another machine, SYNC_REJECTED for a damaged file', async () => {
    const cloud = await startCloud('sqlite');
    try {
      const { key } = await cloud.store.createKey('machine-a');
      await expect(
        new HttpSyncTarget({
          url: cloud.url,
          apiKey: 'wharf_000000000000_wrongwrongwrongwrongwrong',
        }).upload(item(2)),
      ).rejects.toMatchObject({ code: 'SYNC_AUTH' });
      const t = new HttpSyncTarget({ url: cloud.url, apiKey: key });
      await expect(t.upload(item(2, 'machine-b'))).rejects.toMatchObject({
        code: 'SYNC_AUTH',
        message: expect.stringContaining("machine 'machine-b'"),
      });
      const good = item(5);
      const cut = good.bytes.subarray(0, good.bytes.length - 3);
      await expect(
        t.upload({ ...good, bytes: cut, sha256: createHash('sha256').update(cut).digest('hex') }),
      ).rejects.toMatchObject({
        code: 'SYNC_REJECTED',
        message: expect.stringContaining('truncated'),
      });
      expect((await cloud.store.totals()).records).toBe(0);
    } finally {
      await cloud.close();
    }
  });

  it('writes directory uploads completely (no temp files left)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'wharf-dir-target-'));
    const t = new DirSyncTarget(root);
    const i = item(3);
    await t.upload(i);
    expect(readdirSync(join(root, 'machine-a'))).toEqual([`${i.fileId}.capture`]);
    rmSync(root, { recursive: true, force: true });
  });
});
