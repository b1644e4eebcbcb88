/**
 * Config reader (src/config/jsonc.ts + schema validation + resolution): any text gives a result
 * (a plan or issues), never an exception; every text strict JSON accepts is read to the same value;
 * a value at a secret path is never printed in any issue, whatever its type.
 */
import fc from 'fast-check';
import { parseJsonc } from '../../src/config/jsonc.js';
import { parseConfig, type LoadResult } from '../../src/config/load.js';
import {
  fail,
  mutated,
  rawBytes,
  repeated,
  sameJson,
  utf8,
  type FuzzTarget,
  HEAVY,
  NORMAL,
} from '../core.js';

export type ConfigInput =
  { kind: 'text'; text: string } | { kind: 'secret'; text: string; secret: string };

const ENV = { HOME: '/home/fuzz' } as NodeJS.ProcessEnv;

function load(text: string): LoadResult {
  return parseConfig(text, {
    sourcePath: '/cfg/machine.json',
    env: ENV,
    hostname: 'fuzz-host',
    readPart: () => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    },
  });
}

/** A marker no message would contain by chance. */
const marker = fc.integer({ min: 100_000, max: 999_999 }).map((n) => `7${n}3${n}`);

/** A config with a secret (of a wrong or right type) at one of the secret paths. */
const withSecret = fc
  .tuple(
    marker,
    fc.constantFrom('remote', 'api_key', 'password', 'tls', 'token', 'url', 'urlsync'),
    fc.constantFrom('number', 'string', 'array', 'object', 'word', 'badnum'),
  )
  .map(([m, where, shape]) => {
    const v =
      shape === 'number'
        ? m
        : shape === 'string'
          ? `"${m}"`
          : shape === 'array'
            ? `[${m}]`
            : shape === 'object'
              ? `{"x": ${m}}`
              : shape === 'word'
                ? `x${m}`
                : `0${m}`;
    const remote = (extra: string) =>
      `{"name": "b", "address": "mqtt://b", ${extra} "components": [{"name": "e", "type": "board", "attributes": {"pins": [1]}}]}`;
    let text: string;
    switch (where) {
      case 'remote':
        text = `{"remotes": [${remote(`"secret": ${v},`)}]}`;
        break;
      case 'api_key':
        text = `{"wharf": {"sync": {"url": "http://c:1", "api_key": ${v}}}}`;
        break;
      case 'password':
        text = `{"wharf": {"broker": {"url": "mqtt://b:1", "username": "u", "password": ${v}}}}`;
        break;
      case 'tls':
        text = `{"wharf": {"broker": {"tls": {"cert": "c", "key": ${v}}}}}`;
        break;
      case 'token':
        text = `{"services": [{"type": "data_manager", "attributes": {"auth_token": ${v}, "sync_interval_mins": -1}}]}`;
        break;
      case 'url':
        text = `{"wharf": {"broker": {"url": "gopher://user:${m}@host:1"}}}`;
        break;
      default:
        text = `{"wharf": {"sync": {"url": "ftp://u:${m}@c:1/x", "api_key": "k"}}}`;
    }
    return { kind: 'secret' as const, text, secret: String(m) };
  });

const jsonText = fc
  .tuple(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(undefined, 0, 1, 2, '\t'))
  .map(([v, indent]) => JSON.stringify(v, null, indent));

export const config: FuzzTarget<ConfigInput> = {
  name: 'config-reader',
  slow: true,
  about:
    'parseConfig (JSONC reader, schema, resolution) on any text; strict JSON reads the same; secrets never in issues',
  arbitrary: (corpus) =>
    fc.oneof(
      {
        weight: 3 * NORMAL,
        arbitrary: mutated(corpus).map((b) => ({ kind: 'text' as const, text: utf8(b) })),
      },
      { weight: 2 * NORMAL, arbitrary: jsonText.map((text) => ({ kind: 'text' as const, text })) },
      { weight: 2 * NORMAL, arbitrary: withSecret },
      {
        weight: 1 * NORMAL,
        arbitrary: rawBytes().map((b) => ({ kind: 'text' as const, text: utf8(b) })),
      },
      {
        weight: 1 * NORMAL,
        arbitrary: fc.string({ maxLength: 40 }).map((text) => ({ kind: 'text' as const, text })),
      },
      {
        weight: HEAVY,
        // many values, then many duplicate keys: finds per-duplicate scans of everything read
        arbitrary: fc
          .tuple(fc.integer({ min: 1000, max: 30_000 }), fc.integer({ min: 1000, max: 30_000 }))
          .map(([a, b]) => ({
            kind: 'text' as const,
            text: `{"big": [${'1,'.repeat(a)}1], ${'"k": [1],'.repeat(b)} "z": 0}`,
          })),
      },
      {
        weight: HEAVY,
        // a very long name quoted in a message: finds quadratic message post-processing
        arbitrary: fc
          .tuple(fc.integer({ min: 20_000, max: 80_000 }), fc.constantFrom('a', 'x://', 'a@', ':/'))
          .map(([n, unit]) => {
            const name = JSON.stringify(unit.repeat(Math.ceil(n / unit.length)));
            return {
              kind: 'text' as const,
              text: `{"components": [{"name": ${name}, "type": "board"}, {"name": ${name}, "type": "board"}]}`,
            };
          }),
      },
      {
        weight: HEAVY,
        arbitrary: repeated([
          '[',
          '{"a":1,',
          '{"a":',
          '"a":1,"a":2,',
          '/*',
          '//\n',
          '1,',
          '"\\u',
        ]).map((s) => ({ kind: 'text' as const, text: `{"x": ${s.slice(0, 60_000)}` })),
      },
    ),
  fromBytes: (b) => ({ kind: 'text', text: utf8(b) }),
  check(inp) {
    const r = load(inp.text);
    for (const i of r.issues)
      if (typeof i.message !== 'string' || typeof i.path !== 'string')
        fail('an issue without message/path');
    if (r.ok !== !r.issues.some((i) => i.severity === 'error'))
      fail('ok disagrees with the errors');
    if (inp.kind === 'secret') {
      const printed = JSON.stringify(r.issues);
      if (printed.includes(inp.secret)) fail(`a secret was printed: ${printed.slice(0, 400)}`);
      return;
    }
    let strict: unknown;
    try {
      strict = JSON.parse(inp.text);
    } catch {
      return;
    }
    const p = parseJsonc(inp.text);
    if (!p.ok) {
      if (/nesting deeper|out of range/.test(p.error.message)) return;
      fail(`strict JSON refused: ${p.error.message}`);
    }
    if (!sameJson(p.value, strict)) fail('strict JSON read to a different value');
  },
};
