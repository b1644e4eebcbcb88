/**
 * Schemas for Viam machine JSON as wharf reads it (written with validate.ts, zod 4's API subset). Objects are loose: unknown keys are kept and
 * ignored (Viam configs carry many keys wharf has no use for). Each piece is validated on its own
 * (`check`) so one bad component does not hide the problems of the others.
 */
import { z, type Infer, type Schema } from './validate.js';
import type { IssueList } from './issues.js';
import { pathOf } from './path.js';
import { isSecretPath } from '../shared/secrets.js';

const nonNegative = z.number().nonnegative();
const pinLike = z.union([z.string().min(1), z.number().int().nonnegative()]);
const port = z.number().int().min(0).max(65535);

export const topSchema = z.looseObject({
  components: z.array(z.unknown()).optional(),
  services: z.array(z.unknown()).optional(),
  remotes: z.array(z.unknown()).optional(),
  wharf: z.unknown().optional(),
});

export const serviceSchema = z.looseObject({
  name: z.string().optional(),
  type: z.string().optional(),
  api: z.string().optional(),
  attributes: z.record(z.string(), z.unknown()).nullish(),
});

export const dataManagerAttributesSchema = z.looseObject({
  capture_dir: z.string().optional(),
  sync_interval_mins: z.number().positive().optional(),
  sync_disabled: z.boolean().optional(),
  capture_disabled: z.boolean().optional(),
  tags: z.array(z.string()).nullish(),
  maximum_capture_file_size_bytes: z.number().int().positive().optional(),
  disk_usage_deletion_threshold: z.number().min(0).max(1).optional(),
  capture_dir_deletion_threshold: z.number().min(0).max(1).optional(),
  delete_every_nth_when_disk_full: z.number().int().min(1).optional(),
  flush_interval_ms: z.number().positive().optional(),
  capture_dir_max_bytes: z.number().int().nonnegative().nullish(),
  maximum_capture_file_age_ms: z.number().positive().optional(),
  disk_budget_interval_ms: z.number().positive().optional(),
});
export type DataManagerAttributes = Infer<typeof dataManagerAttributesSchema>;

export const componentSchema = z.looseObject({
  name: z.string().min(1),
  type: z.string().min(1).optional(),
  api: z.string().min(1).optional(),
  model: z.string().optional(),
  namespace: z.string().optional(),
  attributes: z.record(z.string(), z.unknown()).nullish(),
  service_configs: z.array(z.unknown()).nullish(),
});
export type ComponentConfig = Infer<typeof componentSchema>;

export const boardAttributesSchema = z.looseObject({
  /** wharf: how to reach a local board component (a transport URL). */
  address: z.string().min(1).optional(),
  pins: z.array(pinLike).nullish(),
  analogs: z.array(z.looseObject({ name: z.string().min(1), pin: pinLike })).nullish(),
});

export const remoteSchema = z.looseObject({
  name: z.string().min(1),
  address: z.string().min(1),
  secret: z.string().optional(),
  components: z.array(z.unknown()).nullish(),
  part_config: z.string().min(1).optional(),
  service_configs: z.array(z.unknown()).nullish(),
});
export type RemoteConfig = Infer<typeof remoteSchema>;

export const serviceConfigSchema = z.looseObject({
  type: z.string(),
  attributes: z.looseObject({ capture_methods: z.array(z.unknown()).nullish() }).nullish(),
});

export const captureMethodSchema = z.looseObject({
  method: z.string().min(1),
  capture_frequency_hz: nonNegative.nullish(),
  additional_params: z.record(z.string(), z.unknown()).nullish(),
  disabled: z.boolean().optional(),
  tags: z.array(z.string()).nullish(),
  name: z.string().min(1).optional(),
});
export type CaptureMethodConfig = Infer<typeof captureMethodSchema>;

export const partFileSchema = z.looseObject({ components: z.array(z.unknown()).nullish() });

export const wharfSchema = z.looseObject({
  machine: z.string().min(1).optional(),
  part_id: z.string().min(1).optional(),
  broker: z
    .looseObject({
      host: z.string().min(1).optional(),
      port: port.optional(),
      tls: z.looseObject({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
      url: z.string().min(1).optional(),
      username: z.string().optional(),
      password: z.string().optional(),
    })
    .optional(),
  sync: z
    .looseObject({
      url: z.string().min(1).optional(),
      api_key: z.string().optional(),
      dir: z.string().min(1).optional(),
    })
    .nullish(),
  http: z
    .union([
      z.looseObject({ host: z.string().min(1).optional(), port: port.optional() }),
      z.null(),
      z.literal(false),
    ])
    .optional(),
  /** Serve this gateway's local cameras to other wharf gateways (docs/cameras.md). */
  serve_cameras: z.looseObject({ secret: z.string() }).nullish(),
});
export type WharfSection = Infer<typeof wharfSchema>;

/** What a field is for, shown as the hint of a type/range error on that field. */
const FIELD_HINTS: Record<string, string> = {
  capture_frequency_hz: 'readings per second, e.g. 1 or 0.5 (0 turns the method off)',
  sync_interval_mins: 'minutes between syncs, e.g. 0.1 (the default) or 5',
  maximum_capture_file_size_bytes: 'bytes, e.g. 262144 (256 KiB, the default)',
  disk_usage_deletion_threshold: 'a fraction of the disk between 0 and 1, e.g. 0.9',
  capture_dir_deletion_threshold: 'a fraction between 0 and 1, e.g. 0.5',
  delete_every_nth_when_disk_full: 'a whole number ≥ 1, e.g. 5',
  flush_interval_ms: 'milliseconds between flushes to disk, e.g. 1000',
  capture_dir_max_bytes: 'an absolute quota in bytes, or null for none',
  disk_budget_interval_ms: 'milliseconds between disk budget checks, e.g. 10000',
  tags: 'a list of strings, e.g. ["line-3", "night-shift"]',
  name: 'a non-empty string',
  method: 'a capture method such as "Analogs" or "Gpio"',
  address: 'a transport URL such as sim://line1, serial:///dev/ttyUSB0?baud=115200 or mqtt://esp-1',
  port: 'a TCP port 0..65535 (0 picks a free one)',
  pins: 'GPIO pin names or numbers, e.g. [27, "13"]',
  additional_params: 'an object, e.g. {"reader_name": "A1"}',
};

/** Where the expected shape is described, for errors on fields without a specific hint. */
function shapeHint(p: string): string {
  if (p === '')
    return 'a machine config is one JSON object: {"components": [...], "services": [...], "remotes": [...]}';
  const section = /^(components|services|remotes|wharf)/.exec(p)?.[1];
  const where: Record<string, string> = {
    components: 'components (e.g. {"name": "my-esp32", "type": "board", "attributes": {...}})',
    services: 'the data_manager service',
    remotes: 'remotes and capture methods',
    wharf: 'the wharf section',
  };
  return `see docs/config.md, ${section === undefined ? 'the reference' : `the part on ${where[section]}`}`;
}

const HIDDEN = '(value hidden)';

/** What was found, for messages; at a secret path only its kind: `a number (value hidden)`. */
function kindOf(v: unknown, secret = false): string {
  if (v === null) return 'null';
  if (secret) {
    if (Array.isArray(v)) return 'an array';
    if (typeof v === 'object') return 'an object';
    return `${article(typeof v)} ${HIDDEN}`;
  }
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string')
    return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${String(v)}`;
}

/**
 * A found value for a message: numbers and booleans as they are, strings quoted and cut, anything
 * else by kind. Never `String(object)`: a config object with a key "toString" makes that throw
 * (found by fuzzing).
 */
function printable(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || v === undefined) return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  return kindOf(v);
}

function valueAt(root: unknown, keys: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of keys) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function article(t: string): string {
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

/**
 * Validates `value` against `schema`; on failure records every issue under `path` and returns
 * undefined. The messages are wharf's own: what was found, what was expected.
 */
export function check<S extends Schema<unknown>>(
  schema: S,
  value: unknown,
  path: string,
  issues: IssueList,
): Infer<S> | undefined {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  for (const zi of r.error.issues) {
    const p = pathOf(path, zi.path);
    const secret = isSecretPath(p);
    const got = valueAt(value, zi.path);
    // The found value as printed: never the value itself at a secret path.
    const shown = secret ? HIDDEN : printable(got);
    const field = String(zi.path[zi.path.length - 1] ?? '');
    const hint = FIELD_HINTS[field] ?? shapeHint(p);
    let message: string;
    switch (zi.code) {
      case 'invalid_type':
        if (zi.expected === 'int' && typeof got === 'number')
          message = `must be a whole number (found ${shown})`;
        else if (got === undefined)
          message = `${field || 'value'} is required (${article(String(zi.expected))})`;
        else message = `expected ${article(String(zi.expected))}, found ${kindOf(got, secret)}`;
        break;
      case 'too_small': {
        const min = Number(zi.minimum);
        if (zi.origin === 'number' && min === 0)
          message = zi.inclusive
            ? `must not be negative (found ${shown})`
            : `must be greater than 0 (found ${shown})`;
        else if (zi.origin === 'number')
          message = `must be ${zi.inclusive ? 'at least' : 'greater than'} ${min} (found ${shown})`;
        else if (zi.origin === 'string') message = 'must not be empty';
        else message = zi.message;
        break;
      }
      case 'too_big':
        message =
          zi.origin === 'number'
            ? `must be at most ${String(zi.maximum)} (found ${shown})`
            : zi.message;
        break;
      case 'invalid_union':
        message = `has the wrong shape (found ${kindOf(got, secret)})`;
        break;
      default:
        message = zi.message;
    }
    issues.error(p, message, hint);
  }
  return undefined;
}

/**
 * Like `check`, but when only some top-level fields of an object are wrong, records their errors
 * and goes on with the object without them, so the problems nested in its other fields are found in
 * the same pass. (The plan is not produced anyway: an error was recorded.)
 */
export function checkLenient<S extends Schema<unknown>>(
  schema: S,
  value: unknown,
  path: string,
  issues: IssueList,
): Infer<S> | undefined {
  const strict = check(schema, value, path, issues);
  if (strict !== undefined || value === null || typeof value !== 'object' || Array.isArray(value))
    return strict;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const bad = new Set(r.error.issues.map((i) => i.path[0]).filter((k) => k !== undefined));
  const rest = Object.fromEntries(Object.entries(value).filter(([k]) => !bad.has(k)));
  const again = schema.safeParse(rest);
  return again.success ? again.data : undefined;
}
