/** The one sync target suite, run against the cloud over HTTP, a directory and the memory fake. */
import { createHash, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SyncTarget, UploadItem } from '../../src/sync/target.js';
import { captureFile, meta, readings } from '../cloud/fixtures.js';

export interface TargetHarness {
  target: SyncTarget;
  /** Records the target holds for this file id (null when it has no such file). */
  stored(fileId: string): Promise<number | null>;
  /** Makes the target unreachable (cloud down, disk unmounted, ...). */
  breakIt(): Promise<void>;
  cleanup(): Promise<void>;
}

export function item(n = 20, machine = 'machine-a'): UploadItem {
  const f = captureFile(meta({ machine }), readings(n), randomUUID());
  return {
    fileId: f.fileId,
    bytes: f.bytes,
    sha256: createHash('sha256').update(f.bytes).digest('hex'),
    machine,
    records: n,
  };
}

export function syncTargetContract(name: string, make: () => Promise<TargetHarness>): void {
  describe(`sync target contract: ${name}`, () => {
    let h: TargetHarness;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(async () => {
      await h.target.close();
      await h.cleanup();
    });

    it('stores a file and acknowledges it with its record count', async () => {
      const it1 = item(20);
      expect(await h.target.upload(it1)).toEqual({ status: 'stored', records: 20 });
      expect(await h.stored(it1.fileId)).toBe(20);
    });

    it('answers already_stored for a repeated upload and keeps one copy', async () => {
      const it1 = item(7);
      await h.target.upload(it1);
      expect(await h.target.upload(it1)).toEqual({ status: 'already_stored', records: 7 });
      expect(await h.stored(it1.fileId)).toBe(7);
    });

    it('rejects a reused file id with other content', async () => {
      const a = item(3);
      await h.target.upload(a);
      const b = item(4);
      await expect(
        h.target.upload({
          ...b,
          fileId: a.fileId,
          bytes: captureFile(meta(), readings(4), a.fileId, 1).bytes,
          sha256: createHash('sha256')
            .update(captureFile(meta(), readings(4), a.fileId, 1).bytes)
            .digest('hex'),
        }),
      ).rejects.toMatchObject({ code: 'SYNC_REJECTED' });
      expect(await h.stored(a.fileId)).toBe(3);
    });

    it('says unreachable (not rejected) when the target is down', async () => {
      await h.breakIt();
      await expect(h.target.upload(item(2))).rejects.toMatchObject({ code: 'SYNC_UNREACHABLE' });
    });

    it('has a description without secrets', () => {
      expect(h.target.description).not.toMatch(/wharf_[0-9a-f]{12}_/);
    });
  });
}
