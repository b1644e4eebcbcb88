/** A worker process of `npm run fuzz`: one target; progress and the result as JSON lines on stdout. */
import { targetByName } from './targets/index.js';
import { fuzzOne } from './fuzz-one.js';
import { closeMqttFuzz } from './targets/mqtt.js';

const [name, runs, seed] = process.argv.slice(2);
const t = targetByName(name ?? '');
const res = await fuzzOne(t, {
  runs: Number(runs),
  seed: Number(seed),
  onProgress: (done) => process.stdout.write(`${JSON.stringify({ progress: done })}\n`),
});
await closeMqttFuzz();
process.stdout.write(`${JSON.stringify({ result: res })}\n`);
process.exit(res.failure === undefined ? 0 : 1);
