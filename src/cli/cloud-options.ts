/** Options shared by `wharf query` and `wharf cloud export`: where the cloud is, the key, filters. */
import { WharfError } from '../shared/errors.js';
import { parseTimeSpec, TIME_FORMS } from '../shared/time-spec.js';
import { CloudClient } from '../cloud/client.js';
import { parseFilter } from '../cloud/filters.js';
import type { ReadingFilter } from '../cloud/store/contract.js';

export const FILTER_OPTIONS = {
  machine: { type: 'string' },
  'part-id': { type: 'string' },
  'component-type': { type: 'string' },
  'component-name': { type: 'string' },
  method: { type: 'string' },
  kind: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  tags: { type: 'string' },
} as const;

export const CLIENT_OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
} as const;

export const FILTER_USAGE = `filters: --machine M[,M2] --part-id P --component-type T --component-name C --method Analogs|Gpio
         --kind reading|gap --from TIME --to TIME --tags a,b (any of)
         TIME: ms epoch, ISO 8601, now, or relative to now: -1h, -30m, -7d (--from -1h = the last hour)
cloud:   --url URL (default $WHARF_CLOUD_URL or http://127.0.0.1:8080) --key KEY (default $WHARF_API_KEY)`;

type V = Record<string, string | boolean | undefined>;

/** A time flag as ms epoch; a bad value is a usage error naming the flag and the forms it takes. */
function timeFlag(v: V, name: 'from' | 'to', now: number): string | undefined {
  const raw = v[name];
  if (raw === undefined || raw === '' || typeof raw !== 'string') return undefined;
  const t = parseTimeSpec(raw, now);
  if (!t.ok)
    throw new WharfError(
      'USAGE',
      `--${name} ${JSON.stringify(raw.slice(0, 40))} is not a time (${t.reason}): give ${TIME_FORMS}`,
    );
  return String(t.ms);
}

export function filterFromOptions(v: V, now = Date.now()): ReadingFilter {
  const from = timeFlag(v, 'from', now);
  const to = timeFlag(v, 'to', now);
  if (from !== undefined && to !== undefined && Number(from) > Number(to))
    throw new WharfError(
      'USAGE',
      `--from (${new Date(Number(from)).toISOString()}) is after --to (${new Date(Number(to)).toISOString()})`,
    );
  return parseFilter({
    machine: v.machine,
    part_id: v['part-id'],
    component_type: v['component-type'],
    component_name: v['component-name'],
    method: v.method,
    kind: v.kind,
    from,
    to,
    tags: v.tags,
  });
}

export function clientFromOptions(v: V, env: NodeJS.ProcessEnv): CloudClient {
  const url = (v.url as string | undefined) ?? env.WHARF_CLOUD_URL ?? 'http://127.0.0.1:8080';
  const key = (v.key as string | undefined) ?? env.WHARF_API_KEY;
  if (key === undefined || key === '') {
    throw new WharfError(
      'USAGE',
      'no API key: pass --key KEY or set WHARF_API_KEY (create one with `wharf cloud keys create --read-only`)',
    );
  }
  return new CloudClient(url, key);
}
