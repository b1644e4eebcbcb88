/**
 * Child process for store-crash.test.ts: appends readings numbered 0,1,2,… (in time_requested)
 * under component `argv[3]`, calls flush() every 20 ms and prints `durable N` once a flush that
 * covers the first N readings has resolved. The parent SIGKILLs it at a random moment.
 */
import { FileCaptureStore } from '../../../src/capture/file-store.js';
import { realClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';

const [dir, name] = [process.argv[2]!, process.argv[3]!];
const store = new FileCaptureStore({
  dir,
  clock: realClock,
  logger: nullLogger,
  settings: {
    flush_interval_ms: 1000,
    maximum_capture_file_size_bytes: 8192,
    maximum_capture_file_age_ms: 60_000,
  },
});
const meta = {
  part_id: 'p',
  machine: 'm',
  component_type: 'board',
  component_name: name,
  method_name: 'Analogs',
  additional_parameters: {},
  tags: [],
};
let n = 0;
setInterval(() => {
  for (let i = 0; i < 200; i++, n++) {
    store.append('k', meta, {
      kind: 'reading',
      time_requested: n,
      time_received: n,
      data: { A1: { value: n % 4096, min_range: 0, max_range: 3.3, step_size: 0.001 } },
    });
  }
}, 2);
setInterval(() => {
  const covered = n;
  store.flush().then(
    () => process.stdout.write(`durable ${covered}\n`),
    (err: unknown) => process.stdout.write(`error ${String(err)}\n`),
  );
}, 20);
