/**
 * Writes the starting corpus of every target into fuzz/corpus/<target>/ (run once; the files are
 * kept in the repo and grow with every crash found: put the input under the target's folder).
 *   node --import tsx fuzz/make-corpus.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeCaptureFile, type CaptureHeader } from '../src/capture/file-format.js';
import type { CaptureRecord } from '../src/shared/record.js';
import { CORPUS, ROOT } from './core.js';

function put(target: string, name: string, data: string | Uint8Array): void {
  const dir = path.join(CORPUS, target);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), data);
}

const frames: Record<string, object> = {
  hi: { t: 'hi', v: 1, bid: 'esp-1', fw: '0.3.0', clk: 12345.5, id: 1, caps: { hz: 200, st: 1 } },
  ok: { t: 'ok', id: 2, a: [['A1', 0, 3.3, 0.0008]], p: ['27'] },
  err: { t: 'err', id: 3, code: 'unknown_reader', msg: 'no A9' },
  val: { t: 'val', id: 4, clk: 13000.25, v: [2048, 1] },
  pong: { t: 'pong', id: 5, g: 1700000000000, clk: 13001 },
  b: { t: 'b', k: '1.0', s: 7, t0: 13100, dt: 10, v: [[100], [101], [102]] },
  b2: {
    t: 'b',
    k: '1.1',
    s: 0,
    t0: 13100,
    dt: 20,
    v: [
      [1, 0],
      [0, 1],
    ],
  },
  gap: { t: 'gap', why: 'backlog_overflow', n: 40, t0: 13000, t1: 13400, k: '1.0' },
  unknown: { t: 'log', msg: 'hello' },
};
for (const [k, f] of Object.entries(frames)) {
  put('protocol-decoder', `${k}.json`, JSON.stringify(f));
  put('mqtt-payload', `${k}.json`, JSON.stringify(f));
}
put(
  'serial-framer',
  'lines.txt',
  Object.values(frames)
    .map((f) => JSON.stringify(f))
    .join('\n') + '\n',
);
put('serial-framer', 'crlf.txt', 'a\r\nb\r\n\r\n\nc');
put('serial-framer', 'overlong.txt', `${'x'.repeat(200)}\nshort\n${'y'.repeat(70)}`);

const header: CaptureHeader = {
  version: 1,
  file_id: 'f1',
  created_ms: 1_700_000_000_000,
  meta: {
    part_id: 'p',
    machine: 'm',
    component_type: 'board',
    component_name: 'my-esp32',
    method_name: 'Analogs',
    additional_parameters: { reader_name: 'A1' },
    tags: ['t'],
  },
};
const reading = (i: number): CaptureRecord => ({
  kind: 'reading',
  time_requested: 1_700_000_000_000 + i * 100,
  time_received: 1_700_000_000_001 + i * 100,
  data: { A1: { value: 1000 + i, min_range: 0, max_range: 3.3, step_size: 0.0008 } },
});
const gap: CaptureRecord = {
  kind: 'gap',
  reason: 'board_offline',
  start: 1_700_000_000_500,
  end: 1_700_000_001_000,
  count: 5,
  detail: 'link down',
};
const files: Record<string, Uint8Array> = {
  'empty.capture': encodeCaptureFile(header, []),
  'readings.capture': encodeCaptureFile(header, [reading(0), reading(1), reading(2)]),
  'gap.capture': encodeCaptureFile(header, [reading(0), gap, reading(6)]),
};
const full = files['readings.capture']!;
files['torn.capture'] = full.subarray(0, full.length - 5);
for (const [k, b] of Object.entries(files)) {
  for (const t of ['capture-file', 'capture-recovery', 'ingest-body']) put(t, k, b);
}

for (const dir of ['/work/shared/seeds/configs', path.join(ROOT, 'examples')]) {
  if (!fs.existsSync(dir)) continue;
  for (const f of fs.readdirSync(dir)) put('config-reader', f, fs.readFileSync(path.join(dir, f)));
}
put('config-reader', 'comments.jsonc', '{\n  // c\n  "a": [1, 2,], /* x */ "a": {"b": null}\n}\n');

const queries = [
  'SELECT * FROM readings LIMIT 5',
  "SELECT component_name, count(*) FROM readings WHERE method_name = 'Analogs' GROUP BY 1",
  'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c LIMIT 10',
  'select \'a;b\', "col" from t -- trailing; note',
  'EXPLAIN QUERY PLAN SELECT 1',
  'VALUES (1), (2)',
  'DELETE FROM readings',
  "SELECT 1; ATTACH 'x' AS y",
];
queries.forEach((q, i) => put('sql-guard', `q${i}.sql`, q));
process.stdout.write(`corpus written under ${CORPUS}\n`);
