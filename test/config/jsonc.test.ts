/** The tolerant JSON reader: comments, duplicate keys, trailing commas, positions, syntax errors. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseJsonc } from '../../src/config/jsonc.js';

function ok(text: string) {
  const r = parseJsonc(text);
  if (!r.ok)
    throw new Error(
      `unexpected syntax error: ${r.error.message} at ${r.error.line}:${r.error.column}`,
    );
  return r;
}

describe('parseJsonc', () => {
  it('skips line and block comments, also inside arrays and before keys', () => {
    const r = ok(
      '// head\n{ /* a */ "a": [1, // one\n 2 /* two */], "s": "// not a comment /* nor this */" }\n// tail',
    );
    expect(r.value).toEqual({ a: [1, 2], s: '// not a comment /* nor this */' });
    expect(r.notices).toEqual([]);
  });

  it('keeps the last duplicate key and warns with key, path and line', () => {
    const r = ok('{\n "x": {\n  "k": 1,\n  "k": {"deep": 2}\n }\n}');
    expect(r.value).toEqual({ x: { k: { deep: 2 } } });
    expect(r.notices).toEqual([
      {
        kind: 'duplicate-key',
        path: 'x.k',
        message: 'duplicate key "k" (also on line 3); the last one (line 4) wins',
        hint: 'remove one of the two "k" entries',
        line: 4,
        column: 3,
      },
    ]);
    expect(r.positions.get('x.k.deep')?.line).toBe(4);
  });

  it('tolerates trailing commas with a warning naming the line', () => {
    const r = ok('{\n "a": [1, 2,],\n "b": 3,\n}');
    expect(r.value).toEqual({ a: [1, 2], b: 3 });
    expect(r.notices.map((n) => [n.kind, n.path, n.line])).toEqual([
      ['trailing-comma', 'a', 2],
      ['trailing-comma', '', 3],
    ]);
  });

  it('records the line of every path, quoting keys that are not identifiers', () => {
    const r = ok(
      '{\n "params": {\n  "27": "",\n  "reader_name": "A1"\n },\n "list": [\n  {"n": 1}\n ]\n}',
    );
    expect(r.positions.get('params["27"]')).toEqual({ line: 3, column: 3 });
    expect(r.positions.get('params.reader_name')?.line).toBe(4);
    expect(r.positions.get('list[0].n')?.line).toBe(7);
  });

  it('keeps "__proto__" as a plain key', () => {
    const r = ok('{"__proto__": {"polluted": true}}');
    expect(Object.keys(r.value as object)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(r.value)).toBe(Object.prototype);
  });

  it.each([
    ['{"a": 1 "b": 2}', 1, 9, /comma is probably missing/],
    ['{"a": 01}', 1, 7, /no leading zeros/],
    ['{"a": "x\ny"}', 1, 9, /cannot span lines/],
    ['{"a": "\\q"}', 1, 8, /valid escapes/],
    ['{a: 1}', 1, 2, /double-quoted/],
    ['{"a": 1} {"b": 2}', 1, 10, /one JSON object/],
    ['{"a": [1, 2}', 1, 12, /the array opened on line 1 is not closed: add \] before this \}/],
    ['{"a": {"b": 1]', 1, 14, /add \} before this \]/],
    ['{"a": 1 /* open', 1, 9, /close the comment/],
    ['{"a": NaN}', 1, 7, /literals are true, false and null/],
    ['{"a":', 1, 6, /cut short/],
  ])('%j → syntax error at %i:%i', (text, line, column, hint) => {
    const r = parseJsonc(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect([r.error.line, r.error.column]).toEqual([line, column]);
    expect(r.error.hint).toMatch(hint);
  });

  it('refuses absurd nesting instead of overflowing the stack', () => {
    const r = parseJsonc('['.repeat(100_000));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/nesting deeper than/);
  });
});

/** JSON values without -0 (JSON.stringify writes it as 0). */
const jsonValue = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);

describe('parseJsonc properties', () => {
  it('reads back anything JSON.stringify writes, at any indentation', () => {
    fc.assert(
      fc.property(jsonValue, fc.constantFrom(0, 1, 2, 4, '\t'), (v, indent) => {
        const r = parseJsonc(JSON.stringify({ v }, null, indent));
        expect(r.ok && r.value).toEqual({ v });
        expect(r.notices).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('ignores comments placed at any whitespace position', () => {
    fc.assert(
      fc.property(
        jsonValue,
        fc.array(fc.constantFrom('// c\n', '/* c */', '/**/', '/* a\n b */', '\n'), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.integer(),
        (v, comments, seed) => {
          const text = JSON.stringify({ v }, null, 1);
          // Insert comments only between tokens: at line starts (outside strings, since JSON.stringify
          // with an indent puts every token on its own line and never a raw newline in a string).
          const lines = text.split('\n');
          let k = Math.abs(seed);
          const out = lines.map((l, i) => {
            const c = comments[(k++ + i) % comments.length]!;
            return i % 2 === 0 ? c + l : l;
          });
          const r = parseJsonc(out.join('\n'));
          expect(r.ok && r.value).toEqual({ v });
        },
      ),
      { numRuns: 200 },
    );
  });
});
