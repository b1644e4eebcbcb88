/** One suite for every FleetStore (SQLite and PostgreSQL): revisions, tags, machine configs, reports, admins. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FleetStore, MachineReport } from '../../src/cloud/fleet/contract.js';
import { isWharfError } from '../../src/shared/errors.js';

export function fleetStoreContract(
  name: string,
  open: () => Promise<{ store: FleetStore; cleanup: () => Promise<void> }>,
): void {
  describe(`fleet store contract: ${name}`, () => {
    let store: FleetStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await open());
    });
    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    const cfg = (hz: number) => ({
      remotes: [{ name: 'esp', address: 'sim://esp', service_configs: [{ hz }] }],
    });

    it('every save is a new revision; old revisions stay readable; history is newest first and bounded', async () => {
      const s0 = await store.seq();
      const info = await store.createFragment('sensors', 'Line sensors', cfg(1), 'k1');
      expect(info).toMatchObject({ id: 'sensors', name: 'Line sensors', head: 1, tags: {} });
      expect(await store.updateFragment('sensors', cfg(2), 'k1')).toBe(2);
      expect(await store.updateFragment('sensors', cfg(5), 'k2')).toBe(3);
      expect((await store.fragment('sensors'))?.head).toBe(3);
      expect((await store.revision('sensors', 1))?.config).toEqual(cfg(1));
      expect(await store.revision('sensors', 3)).toMatchObject({ config: cfg(5), author: 'k2' });
      expect(await store.revision('sensors', 4)).toBeNull();
      expect((await store.history('sensors', 2)).map((r) => r.revision)).toEqual([3, 2]);
      expect(await store.seq()).toBeGreaterThanOrEqual(s0 + 3);
      await expect(store.createFragment('sensors', 'again', cfg(1), null)).rejects.toSatisfy((e) =>
        isWharfError(e, 'CLOUD_BAD_REQUEST'),
      );
      await expect(store.updateFragment('nope', cfg(1), null)).rejects.toSatisfy((e) =>
        isWharfError(e, 'CLOUD_NOT_FOUND'),
      );
      expect(await store.fragment('nope')).toBeNull();
      expect((await store.listFragments(10)).map((f) => f.id)).toEqual(['sensors']);
    });

    it('tags name one revision and move', async () => {
      await store.createFragment('f', 'f', cfg(1), null);
      await store.updateFragment('f', cfg(2), null);
      await store.tagFragment('f', 'stable', 1);
      await store.tagFragment('f', 'canary', 2);
      expect((await store.fragment('f'))?.tags).toEqual({ canary: 2, stable: 1 });
      const s = await store.seq();
      await store.tagFragment('f', 'stable', 2);
      expect((await store.fragment('f'))?.tags).toEqual({ canary: 2, stable: 2 });
      expect(await store.seq()).toBeGreaterThan(s);
      await expect(store.tagFragment('f', 'stable', 9)).rejects.toSatisfy((e) =>
        isWharfError(e, 'CLOUD_NOT_FOUND'),
      );
    });

    it('machine configs have revisions; the list gives each machine its latest', async () => {
      expect(await store.machineConfig('m1')).toBeNull();
      expect(await store.setMachineConfig('m1', { fragments: [{ id: 'f' }] }, 'k')).toBe(1);
      expect(
        await store.setMachineConfig('m1', { fragments: [{ id: 'f', version: 'stable' }] }, 'k'),
      ).toBe(2);
      expect(await store.setMachineConfig('m2', { components: [] }, null)).toBe(1);
      expect(await store.machineConfig('m1')).toMatchObject({
        machine: 'm1',
        revision: 2,
        config: { fragments: [{ id: 'f', version: 'stable' }] },
      });
      expect((await store.listMachineConfigs(10)).map((m) => [m.machine, m.revision])).toEqual([
        ['m1', 2],
        ['m2', 1],
      ]);
      expect((await store.listMachineConfigs(1)).length).toBe(1);
    });

    it('keeps the latest report per machine', async () => {
      const rep = (status: 'applied' | 'rejected', etag: string): MachineReport => ({
        machine: 'm1',
        reported_ms: 1,
        status,
        etag,
        config_revision: 2,
        fragments: [{ id: 'f', revision: 3 }],
        plan_hash: status === 'applied' ? 'abc' : null,
        applied_ms: 2,
        error: null,
        issues: status === 'rejected' ? [{ severity: 'error', path: 'x', message: 'bad' }] : [],
      });
      await store.report(rep('applied', 'e1'));
      await store.report(rep('rejected', 'e2'));
      expect(await store.reports(10)).toEqual([rep('rejected', 'e2')]);
    });

    it('admin grants', async () => {
      expect(await store.isAdmin('abc')).toBe(false);
      await store.grantAdmin('abc');
      await store.grantAdmin('abc');
      expect(await store.isAdmin('abc')).toBe(true);
    });
  });
}
