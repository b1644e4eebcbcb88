/**
 * Reader names are sorted in natural order (A2 before A10). config/methods.ts orders names of
 * ASCII letters and digits itself instead of through ICU (which costs the gateway ~2 MB of
 * resident memory); ICU's collator is the oracle: both must give the same order.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareAlnum, compareNames } from '../../src/config/methods.js';

const icu = new Intl.Collator('en', { numeric: true });
const oracle = (a: string, b: string): number =>
  Math.sign(icu.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0));

const alnum = fc
  .array(fc.constantFrom('a', 'A', 'b', 'B', 'z', 'Z', '0', '1', '2', '9', '10', '007', '27'), {
    maxLength: 6,
  })
  .map((xs) => xs.join(''));

describe('natural order of names', () => {
  it('letters and digits: the same order as ICU (en, numeric), without ICU', () => {
    fc.assert(
      fc.property(alnum, alnum, (a, b) => {
        const fast = compareAlnum(a, b);
        // only a digit run past 15 digits is left to the collator
        if (!/[0-9]{16}/.test(a + ' ' + b)) expect(fast).not.toBeUndefined();
        if (fast !== undefined) expect(Math.sign(fast)).toBe(oracle(a, b));
        expect(Math.sign(compareNames(a, b))).toBe(oracle(a, b));
      }),
      { numRuns: 20000 },
    );
  });

  it('any other name: the same order as ICU (through the collator)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), alnum, (a, b) => {
        expect(Math.sign(compareNames(a, b))).toBe(oracle(a, b));
        expect(Math.sign(compareNames(b, a))).toBe(oracle(b, a));
      }),
      { numRuns: 5000 },
    );
  });

  it('sorts readers as a user expects', () => {
    const names = ['A10', 'a2', 'A2', 'temp', 'A1', '27', '4', 'pin_3', 'B'];
    expect([...names].sort(compareNames)).toEqual([
      '4',
      '27',
      'A1',
      'a2',
      'A2',
      'A10',
      'B',
      'pin_3',
      'temp',
    ]);
  });
});
