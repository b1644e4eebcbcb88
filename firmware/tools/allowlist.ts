/**
 * The only free identifiers a firmware bundle may reference. ES5 built-ins that Espruino and
 * JerryScript 2.x (es5.1 profile) both have, plus the Espruino hardware API. Anything else (Map,
 * Set, Promise, Symbol, Buffer, window, …) fails the build.
 */
export const ES5_GLOBALS = [
  'Object',
  'Array',
  'String',
  'Number',
  'Boolean',
  'Function',
  'Math',
  'JSON',
  'RegExp',
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'parseInt',
  'parseFloat',
  'isNaN',
  'isFinite',
  'NaN',
  'Infinity',
  'undefined',
] as const;

export const ESPRUINO_GLOBALS = [
  'analogRead',
  'digitalRead',
  'pinMode',
  'setWatch',
  'clearWatch',
  'setInterval',
  'setTimeout',
  'clearInterval',
  'clearTimeout',
  'getTime',
  'Serial1',
  'Serial2',
  'USB',
  'LoopbackA',
  'E',
] as const;

/** Present on some hosts only: every use must sit behind a `typeof X` check in the same function. */
export const GUARDED_GLOBALS = ['process', 'console', 'require', 'ESP32'] as const;

/** Serial objects a build may name with `--serial`. */
export const SERIAL_PORTS = ['Serial1', 'Serial2', 'USB'] as const;

export const ALLOWED_GLOBALS: ReadonlySet<string> = new Set<string>([
  ...ES5_GLOBALS,
  ...ESPRUINO_GLOBALS,
  ...GUARDED_GLOBALS,
]);
