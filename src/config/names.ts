/**
 * Fully qualified resource names: `[remote:]namespace:component:type/name`,
 * e.g. `rdk:component:board/my-esp32` or `esp-home:rdk:component:board/my-esp32`.
 */
export interface ResourceName {
  /** Remote prefix (`esp-home`), undefined when absent. Nested remotes are joined with ':'. */
  remote?: string;
  namespace: string;
  /** 'component' or 'service'. */
  kind: string;
  type: string;
  name: string;
}

export function parseResourceName(s: string): ResourceName | undefined {
  const slash = s.indexOf('/');
  if (slash <= 0 || slash === s.length - 1) return undefined;
  const api = s.slice(0, slash).split(':');
  const name = s.slice(slash + 1);
  if (api.length < 3 || api.some((p) => p === '')) return undefined;
  const [namespace, kind, type] = api.slice(-3) as [string, string, string];
  if (kind !== 'component' && kind !== 'service') return undefined;
  const out: ResourceName = { namespace, kind, type, name };
  if (api.length > 3) out.remote = api.slice(0, -3).join(':');
  return out;
}

export function formatResourceName(
  r: Omit<ResourceName, 'remote'> & { remote?: string | undefined },
): string {
  const base = `${r.namespace}:${r.kind}:${r.type}/${r.name}`;
  return r.remote === undefined ? base : `${r.remote}:${base}`;
}

/** Levenshtein distance, bounded input (names are short). */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

/** The candidates closest to `s` (ties kept), at most `max`. */
export function closest(s: string, candidates: readonly string[], max = 3): string[] {
  const scored = [...new Set(candidates)].map((c) => ({
    c,
    d: editDistance(s.toLowerCase(), c.toLowerCase()),
  }));
  scored.sort((x, y) => x.d - y.d || x.c.localeCompare(y.c));
  return scored.slice(0, max).map((x) => x.c);
}
