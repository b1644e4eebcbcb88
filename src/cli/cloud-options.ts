/** Options shared by `wharf query` and `wharf cloud export`: where the cloud is, the key, filters. */
import { WharfError } from '../shared/errors.js';
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
         --kind reading|gap --from TIME --to TIME (ms epoch or ISO 8601) --tags a,b (any of)
cloud:   --url URL (default $WHARF_CLOUD_URL or http://127.0.0.1:8080) --key KEY (default $WHARF_API_KEY)`;

type V = Record<string, string | boolean | undefined>;

export function filterFromOptions(v: V): ReadingFilter {
  return parseFilter({
    machine: v.machine,
    part_id: v['part-id'],
    component_type: v['component-type'],
    component_name: v['component-name'],
    method: v.method,
    kind: v.kind,
    from: v.from,
    to: v.to,
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
