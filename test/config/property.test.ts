/**
 * Property: a valid config survives serialise → load unchanged. A random machine (remotes, boards,
 * readers, pins, capture methods in either spelling, tags, settings) is written as JSON (compact, or
 * indented with comments), loaded, and the plan must say exactly what the model says — the same plan
 * whichever way it was serialised.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseConfig, type CapturePlan, type PlanEntry } from '../../src/config/index.js';

interface MethodModel {
  method: 'Analogs' | 'Gpio';
  readers: string[];
  hz: number;
  spelling: 'named' | 'bare';
  alias: boolean; // write Gpio as Gpios
  prefixed: boolean; // remote: prefix on the name
  tags: string[];
}

interface RemoteModel {
  name: string;
  transport: 'sim' | 'serial' | 'mqtt' | 'firmata';
  analogs: string[];
  pins: string[];
  methods: MethodModel[];
}

interface Model {
  tags: string[];
  sync_interval_mins: number;
  flush_interval_ms: number;
  remotes: RemoteModel[];
}

const tag = fc.constantFrom('a', 'b', 'line-3', 'night', 'ü-tag');
const hz = fc.double({ min: 0.001, max: 1000, noNaN: true, noDefaultInfinity: true });

const remoteArb = (name: string): fc.Arbitrary<RemoteModel> =>
  fc
    .record({
      transport: fc.constantFrom(
        'sim' as const,
        'serial' as const,
        'mqtt' as const,
        'firmata' as const,
      ),
      analogs: fc.uniqueArray(fc.constantFrom('A0', 'A1', 'A2', 'A10', 'temp', 'soil'), {
        minLength: 1,
        maxLength: 4,
      }),
      pins: fc.uniqueArray(fc.constantFrom('2', '4', '13', '27', '33'), {
        minLength: 1,
        maxLength: 4,
      }),
    })
    .chain((hw) => {
      const method = fc.oneof(
        fc.record({
          method: fc.constant('Analogs' as const),
          readers: fc.subarray(hw.analogs, { minLength: 1 }),
        }),
        fc.record({
          method: fc.constant('Gpio' as const),
          readers: fc.subarray(hw.pins, { minLength: 1 }),
        }),
      );
      const full = fc.record({
        m: method,
        hz,
        named: fc.boolean(),
        alias: fc.boolean(),
        prefixed: fc.boolean(),
        tags: fc.uniqueArray(tag, { maxLength: 3 }),
      });
      return fc
        .uniqueArray(full, {
          maxLength: 5,
          selector: (x) => `${x.m.method}/${[...x.m.readers].sort().join(',')}`,
        })
        .map((ms) => ({
          name,
          ...hw,
          methods: ms.map((x): MethodModel => ({
            method: x.m.method,
            readers: x.m.readers,
            hz: x.hz,
            spelling: x.named && x.m.readers.length === 1 ? 'named' : 'bare',
            alias: x.alias && x.m.method === 'Gpio',
            prefixed: x.prefixed,
            tags: x.tags,
          })),
        }));
    });

const modelArb: fc.Arbitrary<Model> = fc.record({
  tags: fc.uniqueArray(tag, { maxLength: 3 }),
  sync_interval_mins: fc.double({ min: 0.01, max: 1440, noNaN: true, noDefaultInfinity: true }),
  flush_interval_ms: fc.integer({ min: 1, max: 60_000 }),
  remotes: fc
    .uniqueArray(fc.constantFrom('esp-1', 'esp-2', 'shelf', 'north'), { maxLength: 3 })
    .chain((names) => fc.tuple(...names.map(remoteArb))),
});

const ADDRESS = {
  sim: (n: string) => `sim://${n}?wave=saw`,
  serial: () => 'serial:///dev/ttyUSB0?baud=115200',
  mqtt: (n: string) => `mqtt://${n}`,
  firmata: () => 'firmata:///dev/ttyACM0?baud=57600',
};

function toConfig(m: Model): unknown {
  return {
    services: [
      {
        name: 'data_manager',
        type: 'data_manager',
        attributes: {
          tags: m.tags,
          sync_interval_mins: m.sync_interval_mins,
          flush_interval_ms: m.flush_interval_ms,
          capture_dir: '',
        },
      },
    ],
    components: [],
    remotes: m.remotes.map((r) => ({
      name: r.name,
      address: ADDRESS[r.transport](r.name),
      secret: `s-${r.name}`,
      components: [
        {
          name: `${r.name}-board`,
          type: 'board',
          attributes: {
            pins: r.pins.map((p) => (Number(p) % 2 === 0 ? Number(p) : p)),
            analogs: r.analogs.map((a, i) => ({ name: a, pin: String(30 + i) })),
          },
        },
      ],
      service_configs: [
        {
          type: 'data_manager',
          attributes: {
            capture_methods: r.methods.map((x) => ({
              name: `${x.prefixed ? `${r.name}:` : ''}rdk:component:board/${r.name}-board`,
              method: x.alias ? 'Gpios' : x.method,
              capture_frequency_hz: x.hz,
              additional_params:
                x.spelling === 'named'
                  ? { [x.method === 'Analogs' ? 'reader_name' : 'pin_name']: x.readers[0] }
                  : Object.fromEntries(x.readers.map((k) => [k, ''])),
              tags: x.tags,
            })),
          },
        },
      ],
    })),
  };
}

function expectedEntries(m: Model): Omit<PlanEntry, 'additional_params'>[] {
  return m.remotes.flatMap((r) =>
    r.methods.map((x) => {
      const readers = [...x.readers].sort(
        (a, b) => a.localeCompare(b, 'en', { numeric: true }) || (a < b ? -1 : 1),
      );
      return {
        key: `${r.name}/board/${r.name}-board/${x.method}/${readers.join(',')}`,
        boardId: r.name,
        component_type: 'board',
        component_name: `${r.name}-board`,
        resource: `rdk:component:board/${r.name}-board`,
        method: x.method,
        readers,
        hz: x.hz,
        tags: [...new Set([...m.tags, ...x.tags])],
        supported: true,
      };
    }),
  );
}

/** Serialises with an indent and a comment before every line that starts a key. */
function withComments(v: unknown, indent: number): string {
  return JSON.stringify(v, null, indent)
    .split('\n')
    .map((l, i) => (/^\s*"/.test(l) ? `${i % 3 === 0 ? '// note\n' : '/* note */ '}${l}` : l))
    .join('\n');
}

const load = (text: string) =>
  parseConfig(text, { sourcePath: '/cfg/m.jsonc', env: { HOME: '/h' }, hostname: 'h' });

function plan(text: string): CapturePlan {
  const r = load(text);
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return r.plan;
}

describe('config property: serialise → load', () => {
  it('a valid config loads to exactly the plan its model describes, however it is serialised', () => {
    fc.assert(
      fc.property(modelArb, fc.integer({ min: 0, max: 4 }), (m, indent) => {
        const cfg = toConfig(m);
        const compact = plan(JSON.stringify(cfg));
        const commented = plan(withComments(cfg, indent));
        expect(commented).toEqual(compact);
        expect(compact.entries.map(({ additional_params: _a, ...e }) => e)).toEqual(
          expectedEntries(m),
        );
        expect(
          compact.boards.map((b) => [
            b.id,
            b.transport,
            b.components[0]?.hardware.pins.slice().sort(),
            b.components[0]?.hardware.analogs.map((a) => a.name),
          ]),
        ).toEqual(m.remotes.map((r) => [r.name, r.transport, [...r.pins].sort(), r.analogs]));
        expect(compact.dataManager).toMatchObject({
          tags: m.tags,
          sync_interval_mins: m.sync_interval_mins,
          flush_interval_ms: m.flush_interval_ms,
          capture_dir: '/h/.wharf/capture',
        });
        expect(compact.warnings).toEqual([]);
        // The plan itself is plain data: it survives a JSON round trip unchanged.
        expect(JSON.parse(JSON.stringify(compact))).toEqual(compact);
      }),
      { numRuns: 200 },
    );
  });
});

describe('config property: never throws on bad input', () => {
  const VALID = JSON.stringify(
    toConfig({
      tags: ['a'],
      sync_interval_mins: 1,
      flush_interval_ms: 1000,
      remotes: [
        {
          name: 'esp-1',
          transport: 'sim',
          analogs: ['A1'],
          pins: ['27'],
          methods: [
            {
              method: 'Analogs',
              readers: ['A1'],
              hz: 1,
              spelling: 'named',
              alias: false,
              prefixed: false,
              tags: [],
            },
          ],
        },
      ],
    }),
    null,
    2,
  );

  it('any JSON value in any section gives a result with located errors, never an exception', () => {
    const shapes = [
      (v: unknown) => v,
      (v: unknown) => ({ remotes: v }),
      (v: unknown) => ({ components: v }),
      (v: unknown) => ({ services: [{ type: 'data_manager', attributes: v }] }),
      (v: unknown) => ({ wharf: v }),
      (v: unknown) => ({
        remotes: [
          {
            name: 'r',
            address: 'sim://r',
            components: v,
            service_configs: [{ type: 'data_manager', attributes: { capture_methods: [v] } }],
          },
        ],
      }),
      (v: unknown) => ({
        remotes: [
          {
            name: 'r',
            address: 'sim://r',
            service_configs: [
              {
                type: 'data_manager',
                attributes: {
                  capture_methods: [
                    {
                      name: 'rdk:component:board/b',
                      method: 'Analogs',
                      capture_frequency_hz: 1,
                      additional_params: v,
                    },
                  ],
                },
              },
            ],
          },
        ],
      }),
    ];
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: shapes.length - 1 }), (v, i) => {
        const r = load(JSON.stringify(shapes[i]!(v)));
        if (!r.ok) expect(r.issues.some((x) => x.severity === 'error')).toBe(true);
        for (const x of r.issues) expect(typeof x.path).toBe('string');
      }),
      { numRuns: 500 },
    );
  });

  it('a config damaged at any single character is loaded or reported, with lines inside the file', () => {
    const lines = VALID.split('\n').length;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: VALID.length - 1 }),
        fc.constantFrom('', '"', '{', ']', ',', '-', 'x', '/'),
        (at, ch) => {
          const r = load(VALID.slice(0, at) + ch + VALID.slice(at + 1));
          for (const x of r.issues) {
            if (x.line === undefined) continue;
            expect(x.line).toBeGreaterThanOrEqual(1);
            expect(x.line).toBeLessThanOrEqual(lines);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
