/**
 * A short run of every fuzz target (fuzz/targets): its corpus plus 2,000 generated inputs, with
 * the same properties and per-input time bound as `npm run fuzz` (which runs 1,000,000 each).
 * The seed changes every run; a failure prints it (rerun with WHARF_FUZZ_SEED=<seed>).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TARGETS } from '../../fuzz/targets/index.js';
import { fuzzOne } from '../../fuzz/fuzz-one.js';
import { closeMqttFuzz } from '../../fuzz/targets/mqtt.js';

const RUNS = Number(process.env.WHARF_FUZZ_RUNS ?? 2000);
const SEED = Number(process.env.WHARF_FUZZ_SEED ?? Date.now() % 2 ** 31);

afterAll(() => closeMqttFuzz());

describe(`fuzz smoke (seed ${SEED})`, () => {
  it.each(TARGETS.map((t) => [t.name, t] as const))(
    '%s: corpus + generated inputs, no crash, no hang',
    async (_name, t) => {
      const runs = Math.max(100, Math.round(RUNS / (t.costFactor ?? 1)));
      const r = await fuzzOne(t, { runs, seed: SEED });
      expect(r.failure, JSON.stringify(r.failure, null, 1)?.slice(0, 3000)).toBeUndefined();
      expect(r.inputs).toBeGreaterThanOrEqual(runs);
      expect(r.corpus).toBeGreaterThan(0);
    },
    120_000,
  );
});
