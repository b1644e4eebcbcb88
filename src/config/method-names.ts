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

/** Natural order: A2 before A10, pin 4 before 27. */
const collator = new Intl.Collator('en', { numeric: true });
export function compareNames(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The closest name when it is close enough to be a typo (edit distance ≤ 1/3 of the length). */
export function nearName(s: string, candidates: readonly string[]): string | undefined {
  if (s.length > 64) return undefined;
  const near = closest(s, candidates, 1)[0];
  if (near === undefined) return undefined;
  const d = editDistance(s.toLowerCase(), near.toLowerCase());
  return d <= Math.max(2, Math.floor(near.length / 3)) ? near : undefined;
}
