/**
 * Runs one target in this process: the corpus first, then `runs` generated inputs from `seed`.
 * Used by the worker processes of `npm run fuzz` and by the smoke test in `npm test`.
 */
import fc from 'fast-check';
import { readCorpus, type FuzzTarget } from './core.js';

export interface FuzzResult {
  target: string;
  inputs: number;
  corpus: number;
  ms: number;
  /** Slowest single input (ms). */
  slowestMs: number;
  failure?: { message: string; counterexample: string; seed: number; path?: string };
}

class Hang extends Error {}

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x instanceof Uint8Array ? { hex: Buffer.from(x).toString('hex') } : x,
  ).slice(0, 4000);
}

export async function fuzzOne(
  t: FuzzTarget<unknown>,
  opts: {
    runs: number;
    seed: number;
    chunk?: number;
    /** Called every ~2 s with the number of inputs run so far (a heartbeat for the watchdog). */
    onProgress?: (done: number) => void;
  },
): Promise<FuzzResult> {
  const corpus = readCorpus(t.name);
  const bound = t.timeBoundMs ?? 2000;
  let slowest = 0;
  const started = performance.now();
  // The bound is on this process's CPU time, so other processes on a loaded machine do not turn
  // a slow moment into a "hang"; a loop that never ends still burns CPU and is caught.
  let seen = 0;
  let beat = Date.now();
  const timed = async (input: unknown) => {
    seen++;
    if (opts.onProgress !== undefined && Date.now() - beat > 2000) {
      beat = Date.now();
      opts.onProgress(seen);
    }
    const c0 = process.cpuUsage();
    await t.check(input as never);
    const c = process.cpuUsage(c0);
    const dt = (c.user + c.system) / 1000;
    if (dt > slowest) slowest = dt;
    if (dt > bound) throw new Hang(`one input took ${dt.toFixed(0)} ms of CPU (bound ${bound} ms)`);
  };
  const result = (extra: Partial<FuzzResult>, inputs: number): FuzzResult => ({
    target: t.name,
    inputs,
    corpus: corpus.length,
    ms: Math.round(performance.now() - started),
    slowestMs: Math.round(slowest * 10) / 10,
    ...extra,
  });
  for (const [i, b] of corpus.entries()) {
    try {
      await timed(t.fromBytes(b));
    } catch (err) {
      return result(
        {
          failure: {
            message: `corpus entry ${i}: ${(err as Error).stack ?? String(err)}`,
            counterexample: show(b),
            seed: opts.seed,
          },
        },
        i,
      );
    }
  }
  const arb = t.arbitrary(corpus);
  const chunk = opts.chunk ?? 20_000;
  let done = 0;
  while (done < opts.runs) {
    const n = Math.min(chunk, opts.runs - done);
    const seed = (opts.seed + done) | 0;
    const out = await fc.check(fc.asyncProperty(arb, timed), {
      numRuns: n,
      seed,
      endOnFailure: true,
    });
    if (out.failed) {
      const err = out.errorInstance as Error | undefined;
      return result(
        {
          failure: {
            message: err?.stack ?? String(out.errorInstance),
            counterexample: show(out.counterexample?.[0]),
            seed,
            ...(out.counterexamplePath === null ? {} : { path: out.counterexamplePath }),
          },
        },
        done + out.numRuns,
      );
    }
    done += n;
  }
  return result({}, done + corpus.length);
}
