/** A live rate change leaves a zero-length rate_change record in the changed entry's stream only. */
import { describe, expect, it } from 'vitest';
import { markRateChanges } from '../../src/app/rate-marks.js';
import { MemoryCaptureStore } from '../../src/capture/memory-store.js';
import { parseConfig, type CapturePlan } from '../../src/config/index.js';

function plan(pressHz: number, ovenHz: number, extra: Record<string, unknown>[] = []): CapturePlan {
  const remote = (name: string, hz: number) => ({
    name,
    address: `sim://${name}`,
    components: [
      { name: `${name}-b`, type: 'board', attributes: { analogs: [{ name: 'A1', pin: '34' }] } },
    ],
    service_configs: [
      {
        type: 'data_manager',
        attributes: {
          capture_methods: [
            {
              name: `rdk:component:board/${name}-b`,
              method: 'Analogs',
              capture_frequency_hz: hz,
              additional_params: { reader_name: 'A1' },
            },
          ],
        },
      },
    ],
  });
  const r = parseConfig(
    JSON.stringify({ remotes: [remote('press', pressHz), remote('oven', ovenHz), ...extra] }),
    { sourcePath: '/cfg/m.json', env: {}, hostname: 'gw' },
  );
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.plan;
}

describe('rate change marks', () => {
  it('marks the changed entry at the change, with old and new rate; nothing else', async () => {
    const store = new MemoryCaptureStore();
    const changes = markRateChanges(store, plan(2, 1), plan(5, 1), 1_000, 'machine.json changed');
    expect(changes.map((c) => [c.entry.key, c.from, c.to])).toEqual([
      ['press/board/press-b/Analogs/A1', 2, 5],
    ]);
    const files = store.files();
    expect(files).toHaveLength(1);
    expect(files[0]!.header.meta).toMatchObject({
      machine: 'gw',
      component_name: 'press-b',
      method_name: 'Analogs',
    });
    expect(files[0]!.records).toEqual([
      {
        kind: 'gap',
        reason: 'rate_change',
        start: 1_000,
        end: 1_000,
        count: 0,
        detail: 'capture_frequency_hz 2 → 5 (machine.json changed)',
      },
    ]);
    // same rates, an added entry, or a method switched off: no mark
    expect(markRateChanges(store, plan(5, 1), plan(5, 1), 2_000, 'x')).toEqual([]);
    expect(markRateChanges(store, plan(5, 1), plan(5, 0), 2_000, 'x')).toEqual([]);
    await store.close();
  });
});
