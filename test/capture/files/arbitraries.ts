/** fast-check generators and fixtures for capture files. */
import fc from 'fast-check';
import type { CaptureMeta, CaptureRecord } from '../../../src/shared/record.js';
import type { CaptureHeader } from '../../../src/capture/file-format.js';

const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/);
const time = fc.double({ min: 1.6e12, max: 2.0e12, noNaN: true });
// -0 is stored as 0 (CBOR integer encoding), documented in docs/capture-files.md
const num = fc.double({ noNaN: true, min: -1e9, max: 1e9 }).map((x) => (Object.is(x, -0) ? 0 : x));

export const analogData = fc.dictionary(
  name,
  fc.record({
    value: fc.integer({ min: 0, max: 65535 }),
    min_range: num,
    max_range: num,
    step_size: num,
  }),
  { minKeys: 1, maxKeys: 4 },
);
export const gpioData = fc.dictionary(name, fc.record({ high: fc.boolean() }), {
  minKeys: 1,
  maxKeys: 4,
});

export const reading: fc.Arbitrary<CaptureRecord> = fc.record({
  kind: fc.constant('reading' as const),
  time_requested: time,
  time_received: time,
  data: fc.oneof(analogData, gpioData),
});

export const gap: fc.Arbitrary<CaptureRecord> = fc.record(
  {
    kind: fc.constant('gap' as const),
    reason: fc.constantFrom(
      'read_error',
      'timeout',
      'board_offline',
      'missed_ticks',
      'disk_quota',
      'recovery_truncated' as const,
    ),
    start: time,
    end: time,
    count: fc.nat(100000),
    detail: fc.string({ maxLength: 40, unit: 'binary' }),
  },
  { requiredKeys: ['kind', 'reason', 'start', 'end', 'count'] },
);

export const record = fc.oneof({ arbitrary: reading, weight: 4 }, { arbitrary: gap, weight: 1 });

export const meta: fc.Arbitrary<CaptureMeta> = fc.record({
  part_id: fc.string({ maxLength: 12, unit: 'binary' }),
  machine: fc.string({ maxLength: 12, unit: 'grapheme' }),
  component_type: name,
  component_name: name,
  method_name: fc.constantFrom('Analogs', 'Gpio', 'Gpios'),
  additional_parameters: fc.dictionary(
    name,
    fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean()),
  ),
  tags: fc.array(fc.string({ maxLength: 8, unit: 'grapheme' }), { maxLength: 3 }),
});

export const header: fc.Arbitrary<CaptureHeader> = fc.record({
  version: fc.constant(1 as const),
  file_id: fc.uuid(),
  created_ms: fc.integer({ min: 1.6e12, max: 2.0e12 }),
  meta,
});

export const fixedMeta: CaptureMeta = {
  part_id: 'part-1',
  machine: 'gw-1',
  component_type: 'board',
  component_name: 'my-esp32',
  method_name: 'Analogs',
  additional_parameters: { reader_name: 'A1' },
  tags: ['line-3'],
};

export function analogReading(i: number, t0 = Date.UTC(2026, 0, 1)): CaptureRecord {
  return {
    kind: 'reading',
    time_requested: t0 + i * 10,
    time_received: t0 + i * 10 + 1.25,
    data: { A1: { value: i % 4096, min_range: 0, max_range: 3.3, step_size: 3.3 / 4096 } },
  };
}
