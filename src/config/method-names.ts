/**
 * The capture method vocabulary: the methods wharf captures from boards, the ones Viam's data
 * manager knows, their aliases, and the key that makes a plan entry unique.
 */
import { closest, editDistance } from './names.js';

export const SUPPORTED_METHODS = ['Analogs', 'Gpio'] as const;
/** Accepted spellings of a method → its name (`Gpios` is read as `Gpio`). */
export const METHOD_ALIASES: Record<string, string> = { Gpios: 'Gpio' };

/**
 * Capture methods Viam's data manager knows (per resource API). A method in this list that wharf
 * does not capture (ReadImage, Readings, …) is listed with a warning; a method in neither list is a
 * typo or an invention: an error with the closest name.
 */
export const VIAM_METHODS = [
  'Analogs',
  'Gpios',
  'Gpio',
  'ReadImage',
  'GetImages',
  'NextPointCloud',
  'Readings',
  'Position',
  'Orientation',
  'LinearVelocity',
  'AngularVelocity',
  'LinearAcceleration',
  'CompassHeading',
  'Properties',
  'Voltage',
  'Current',
  'Power',
  'TicksCount',
  'IsPowered',
  'EndPosition',
  'JointPositions',
  'Lengths',
  'DoCommand',
  'CaptureAllFromCamera',
  'PointCloudMap',
  'Poses',
] as const;

export function entryKey(
  boardId: string,
  type: string,
  name: string,
  method: string,
  readers: readonly string[],
): string {
  return `${boardId}/${type}/${name}/${method}/${readers.join(',')}`;
}

/**
 * Natural order: A2 before A10, pin 4 before 27 — ICU's (`Intl.Collator('en', {numeric: true})`),
 * then code units. Names of letters and digits only (A1, pin27, temp) are ordered here the same
 * way without ICU: the collator touches ~2 MB of ICU data in the node executable, resident in the
 * gateway for as long as it runs (docs/benchmarks.md). test/config/names-order.test.ts checks the
 * two agree; any other name goes to the collator, made on first use.
 */
let collator: Intl.Collator | undefined;
export function compareNames(a: string, b: string): number {
  const fast = compareAlnum(a, b);
  if (fast !== undefined) return fast;
  collator ??= new Intl.Collator('en', { numeric: true });
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

const ALNUM = /^[A-Za-z0-9]{0,64}$/;
const TOKENS = /[0-9]+|[A-Za-z]/g;

/**
 * ICU's en/numeric order for strings of ASCII letters and digits, or undefined for anything else
 * (or a digit run past 15 digits). Primary: digit runs by value (leading zeros ignored) before
 * letters, letters case-blind; then case, lower before upper, at the first letter that differs;
 * then code units.
 */
export function compareAlnum(a: string, b: string): number | undefined {
  if (!ALNUM.test(a) || !ALNUM.test(b)) return undefined;
  const ta = a.match(TOKENS) ?? [];
  const tb = b.match(TOKENS) ?? [];
  let caseOrder = 0;
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i]!;
    const y = tb[i]!;
    const dx = x.charCodeAt(0) <= 57;
    const dy = y.charCodeAt(0) <= 57;
    if (dx !== dy) return dx ? -1 : 1;
    if (dx) {
      if (x.length > 15 || y.length > 15) return undefined;
      const d = Number(x) - Number(y);
      if (d !== 0) return d < 0 ? -1 : 1;
      continue;
    }
    const lx = x.toLowerCase();
    const ly = y.toLowerCase();
    if (lx !== ly) return lx < ly ? -1 : 1;
    if (caseOrder === 0 && x !== y) caseOrder = x === lx ? -1 : 1;
  }
  if (ta.length !== tb.length) return ta.length < tb.length ? -1 : 1;
  if (caseOrder !== 0) return caseOrder;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The closest name when it is close enough to be a typo (edit distance ≤ 1/3 of the length). */
export function nearName(s: string, candidates: readonly string[]): string | undefined {
  if (s.length > 64) return undefined;
  const near = closest(s, candidates, 1)[0];
  if (near === undefined) return undefined;
  const d = editDistance(s.toLowerCase(), near.toLowerCase());
  return d <= Math.max(2, Math.floor(near.length / 3)) ? near : undefined;
}
