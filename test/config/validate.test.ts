/**
 * config/validate.ts replaces zod in the config schemas (zod cost the gateway ~5 MB of memory).
 * zod 4 is the oracle here: the same schema written with both builders must accept and reject the
 * same values, return the same data (unknown keys kept, absent optional keys absent) and report
 * the same issues (code, path, expected type, bound), which is what config/schema.ts turns into
 * wharf's messages. Values are random JSON biased towards the shapes a config has.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z as zod } from 'zod';
import { z } from '../../src/config/validate.js';
import { parseConfig } from '../../src/config/index.js';

type Builder = typeof z;

// The same definitions as config/schema.ts uses, over either builder.
function schemas(b: Builder) {
  const pinLike = b.union([b.string().min(1), b.number().int().nonnegative()]);
  const port = b.number().int().min(0).max(65535);
  return {
    pinLike,
    dm: b.looseObject({
      capture_dir: b.string().optional(),
      sync_interval_mins: b.number().positive().optional(),
      sync_disabled: b.boolean().optional(),
      tags: b.array(b.string()).nullish(),
      maximum_capture_file_size_bytes: b.number().int().positive().optional(),
      disk_usage_deletion_threshold: b.number().min(0).max(1).optional(),
      delete_every_nth_when_disk_full: b.number().int().min(1).optional(),
      capture_dir_max_bytes: b.number().int().nonnegative().nullish(),
    }),
    component: b.looseObject({
      name: b.string().min(1),
      type: b.string().min(1).optional(),
      attributes: b.record(b.string(), b.unknown()).nullish(),
      service_configs: b.array(b.unknown()).nullish(),
    }),
    board: b.looseObject({
      address: b.string().min(1).optional(),
      pins: b.array(pinLike).nullish(),
      analogs: b.array(b.looseObject({ name: b.string().min(1), pin: pinLike })).nullish(),
    }),
    wharf: b.looseObject({
      machine: b.string().min(1).optional(),
      broker: b
        .looseObject({
          port: port.optional(),
          tls: b.looseObject({ cert: b.string().min(1), key: b.string().min(1) }).optional(),
        })
        .optional(),
      http: b
        .union([
          b.looseObject({ host: b.string().min(1).optional(), port: port.optional() }),
          b.null(),
          b.literal(false),
        ])
        .optional(),
    }),
  };
}

const ours = schemas(z);
const theirs = schemas(zod as unknown as Builder);

const leaf = fc.oneof(
  fc.constantFrom(null, true, false, '', 'x', 'line-3', 0, 1, -1, 1.5, -0.5, 0.25, 65535, 65536),
  fc.constantFrom(2 ** 53, -(2 ** 53), 1e300),
  fc.string({ maxLength: 4 }),
  fc.integer({ min: -10, max: 70000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const keys = fc.constantFrom(
  'name',
  'type',
  'attributes',
  'service_configs',
  'address',
  'pins',
  'analogs',
  'pin',
  'machine',
  'broker',
  'port',
  'tls',
  'cert',
  'key',
  'http',
  'host',
  'capture_dir',
  'sync_interval_mins',
  'sync_disabled',
  'tags',
  'maximum_capture_file_size_bytes',
  'disk_usage_deletion_threshold',
  'delete_every_nth_when_disk_full',
  'capture_dir_max_bytes',
  'extra',
);
const { value: json } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(keys, tie('value'), { maxKeys: 5 }),
  ),
}));

function outcome(s: { safeParse(v: unknown): unknown }, v: unknown) {
  const r = s.safeParse(v) as
    | { success: true; data: unknown }
    | { success: false; error: { issues: Record<string, unknown>[] } };
  if (r.success) return { ok: true, data: r.data };
  return {
    ok: false,
    issues: r.error.issues.map((i) => ({
      code: i.code,
      path: i.path,
      expected: i.expected,
      origin: i.origin,
      minimum: i.minimum === undefined ? undefined : Number(i.minimum),
      maximum: i.maximum === undefined ? undefined : Number(i.maximum),
      inclusive: i.inclusive,
    })),
  };
}

describe('config/validate.ts agrees with zod 4', () => {
  for (const name of Object.keys(ours) as (keyof typeof ours)[]) {
    it(`${name}: same verdict, data and issues on random values`, () => {
      fc.assert(
        fc.property(json, (v) => {
          expect(outcome(ours[name], v)).toEqual(outcome(theirs[name], v));
        }),
        { numRuns: 1500 },
      );
    });
  }

  it('keeps unknown keys, leaves absent optional keys out, and a __proto__ key is only data', () => {
    const v = JSON.parse('{"name":"b","extra":{"a":1},"__proto__":{"polluted":true}}') as unknown;
    const r = ours.component.safeParse(v);
    expect(r.success).toBe(true);
    const data = (r as { data: Record<string, unknown> }).data;
    expect(Object.keys(data)).toEqual(['name', 'extra', '__proto__']);
    expect('type' in data).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
  });

  it("a config's messages come out of the new validator as before", () => {
    const r = parseConfig(
      JSON.stringify({
        wharf: { http: { port: 70000 }, broker: { port: 1.5 } },
        services: [
          {
            name: 'data_manager',
            type: 'data_manager',
            attributes: { flush_interval_ms: -1, tags: 'x', capture_dir_max_bytes: null },
          },
        ],
        components: [{ name: '', type: 'board' }, { type: 'board' }],
      }),
      { sourcePath: '/nonexistent/machine.json', hostname: 'test' },
    );
    const msgs = r.issues.map((i) => `${i.path}: ${i.message}`);
    expect(msgs).toEqual(
      expect.arrayContaining([
        'wharf.http.port: must be at most 65535 (found 70000)',
        'wharf.broker.port: must be a whole number (found 1.5)',
        'services[0].attributes.flush_interval_ms: must be greater than 0 (found -1)',
        'services[0].attributes.tags: expected an array, found the string "x"',
        'components[0].name: must not be empty',
        'components[1].name: name is required (a string)',
      ]),
    );
  });
});
