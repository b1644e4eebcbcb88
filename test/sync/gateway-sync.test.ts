/** The gateway's sync follows the plan: no target → nothing; a target added by live reload → sync. */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/shared/clock.js';
import { nullLogger } from '../../src/shared/logger.js';
import { Metrics } from '../../src/shared/metrics.js';
import { GatewaySync } from '../../src/sync/gateway-sync.js';
import { STATUS_FILE } from '../../src/sync/status-file.js';
import { meta, readings } from '../cloud/fixtures.js';
import { writeCaptureFile } from './capture-dir.js';
import { simPlan } from './gateway-plan.js';

describe('GatewaySync', () => {
  it('starts only with a target, follows live changes of target, interval and sync_disabled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-gwsync-'));
    const out = mkdtempSync(join(tmpdir(), 'wharf-gwsync-out-'));
    try {
      const clock = new FakeClock();
      const gs = new GatewaySync({
        captureDir: dir,
        clock,
        logger: nullLogger,
        metrics: new Metrics(),
      });
      const plan = simPlan(dir);
      gs.apply(plan);
      expect(gs.status()).toBeNull();
      expect(existsSync(join(dir, STATUS_FILE))).toBe(false);

      writeCaptureFile(dir, meta({ machine: 'demo-gateway' }), readings(5));
      const disabled = {
        ...plan,
        dataManager: { ...plan.dataManager, sync_disabled: true, sync_interval_mins: 1 },
        gateway: { ...plan.gateway, sync: { kind: 'dir' as const, path: out } },
      };
      gs.apply(disabled);
      expect(gs.status()).toMatchObject({
        target: `directory ${out}`,
        interval_ms: 60_000,
        disabled: true,
      });
      expect(await gs.syncNow()).toMatchObject({ uploaded: 0, remaining: 1 });

      gs.apply({ ...disabled, dataManager: { ...disabled.dataManager, sync_disabled: false } });
      expect(await gs.syncNow()).toMatchObject({ uploaded: 1, remaining: 0 });
      expect(readdirSync(join(out, 'demo-gateway'))).toHaveLength(1);
      await gs.stop();
      expect(clock.pending()).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  });
});
