/** JSON paths as printed in issues: `remotes[0].service_configs[1].attributes.capture_methods[2].name`. */

const IDENT = /^[A-Za-z_$][\w$-]*$/;

/** Appends a key or index to a JSON path. Keys that are not identifiers are quoted: `additional_params["27"]`. */
export function joinPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (IDENT.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

/** Joins a list of keys/indices (e.g. a schema issue path) onto a base path. */
export function pathOf(base: string, keys: readonly PropertyKey[]): string {
  let p = base;
  for (const k of keys) p = joinPath(p, typeof k === 'number' ? k : String(k));
  return p;
}
