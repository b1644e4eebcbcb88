/**
 * Fragments, Viam-style: a fragment is a reusable piece of machine config (`components`,
 * `services`, `remotes` with their `service_configs`). A machine config lists
 *
 *   "fragments": [{"id": "sensors", "version": "stable"}],          // version: revision, tag, or absent = latest
 *   "fragment_mods": [{"fragment_id": "sensors",
 *                      "mods": [{"$set": {"remotes.esp-home.service_configs.0.attributes.capture_methods.0.capture_frequency_hz": 5}},
 *                               {"$unset": {"components.spare": ""}}]}]
 *
 * `resolveMachineDocument` turns that into one plain machine document (what `parseConfig` reads):
 * each fragment at its chosen revision, its mods applied, its resources appended to the machine's
 * own. Pure: the fragment revisions come from a lookup the caller gives (the cloud's store).
 *
 * Mod paths are dot-separated. Under `components`, `services` and `remotes` the next segment is
 * the resource's `name` (or an index); below that, object keys and array indices as usual.
 */

export interface FragmentRef {
  id: string;
  /** A revision number (as number or digits) or a tag; absent = the latest revision. */
  version?: string | number;
}

export interface FragmentRevisionDoc {
  id: string;
  revision: number;
  config: Record<string, unknown>;
}

/** What a lookup answers: the revision, or why there is none (unknown fragment, tag, revision). */
export type FragmentLookup = (
  id: string,
  version: string | number | undefined,
) => Promise<FragmentRevisionDoc | { missing: string }>;

export interface AppliedFragment {
  id: string;
  /** As the machine config asked for it (undefined = latest). */
  version: string | number | undefined;
  revision: number;
}

export interface ResolveProblem {
  path: string;
  message: string;
}

export type ResolvedMachine =
  | { ok: true; document: Record<string, unknown>; fragments: AppliedFragment[] }
  | { ok: false; problems: ResolveProblem[] };

const RESOURCE_LISTS = ['components', 'services', 'remotes'] as const;
/** Top-level keys of a fragment that are merged into the machine (others are ignored). */
export const FRAGMENT_KEYS: readonly string[] = RESOURCE_LISTS;
const MAX_FRAGMENTS = 100;

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/** `"3"`/`3` → 3; other strings are tags. */
export function parseVersion(v: string | number | undefined): number | string | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v === 'number') return v;
  return /^[1-9]\d{0,9}$/.test(v) ? Number(v) : v;
}

export async function resolveMachineDocument(
  machineDoc: Record<string, unknown>,
  lookup: FragmentLookup,
): Promise<ResolvedMachine> {
  const problems: ResolveProblem[] = [];
  const refs = readRefs(machineDoc.fragments, problems);
  const mods = readMods(machineDoc.fragment_mods, problems);
  if (problems.length > 0) return { ok: false, problems };
  const out: Record<string, unknown> = structuredClone(machineDoc);
  delete out.fragments;
  delete out.fragment_mods;
  const owner = new Map<string, string>(); // "components/name" → who defines it
  for (const list of RESOURCE_LISTS) {
    const items = out[list];
    if (items === undefined) continue;
    if (!Array.isArray(items)) continue; // parseConfig reports the shape
    for (const it of items)
      if (isObject(it) && typeof it.name === 'string')
        owner.set(`${list}/${it.name}`, 'the machine');
  }
  const applied: AppliedFragment[] = [];
  for (const [i, ref] of refs.entries()) {
    const got = await lookup(ref.id, ref.version);
    if ('missing' in got) {
      problems.push({ path: `fragments[${i}]`, message: got.missing });
      continue;
    }
    const frag = structuredClone(got.config);
    for (const m of mods.get(ref.id) ?? []) {
      const err = applyMod(frag, m.op, m.path, m.value);
      if (err !== undefined)
        problems.push({
          path: m.where,
          message: `fragment "${ref.id}" (revision ${got.revision}): ${err}`,
        });
    }
    for (const list of RESOURCE_LISTS) {
      const items = frag[list];
      if (items === undefined) continue;
      if (!Array.isArray(items)) {
        problems.push({
          path: `fragments[${i}]`,
          message: `fragment "${ref.id}" (revision ${got.revision}): "${list}" is not a list`,
        });
        continue;
      }
      for (const it of items) {
        const name = isObject(it) && typeof it.name === 'string' ? it.name : undefined;
        if (name !== undefined) {
          const prev = owner.get(`${list}/${name}`);
          if (prev !== undefined) {
            problems.push({
              path: `fragments[${i}]`,
              message: `fragment "${ref.id}" defines ${list.slice(0, -1)} "${name}", which ${prev} defines too`,
            });
            continue;
          }
          owner.set(`${list}/${name}`, `fragment "${ref.id}"`);
        }
        const target = (out[list] ??= []) as unknown[];
        target.push(it);
      }
    }
    applied.push({ id: ref.id, version: ref.version, revision: got.revision });
  }
  for (const id of mods.keys())
    if (!refs.some((r) => r.id === id))
      problems.push({
        path: 'fragment_mods',
        message: `mods for fragment "${id}", which the machine does not use`,
      });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, document: out, fragments: applied };
}

function readRefs(raw: unknown, problems: ResolveProblem[]): FragmentRef[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.push({ path: 'fragments', message: 'must be a list of {"id": …, "version": …}' });
    return [];
  }
  if (raw.length > MAX_FRAGMENTS)
    problems.push({ path: 'fragments', message: `more than ${MAX_FRAGMENTS} fragments` });
  const seen = new Set<string>();
  const out: FragmentRef[] = [];
  raw.forEach((r, i) => {
    // Viam also accepts a bare id string
    const ref = typeof r === 'string' ? { id: r } : r;
    if (!isObject(ref) || typeof ref.id !== 'string' || ref.id === '') {
      problems.push({ path: `fragments[${i}]`, message: 'needs an "id"' });
      return;
    }
    const v = ref.version;
    if (
      v !== undefined &&
      typeof v !== 'string' &&
      !(typeof v === 'number' && Number.isInteger(v) && v > 0)
    ) {
      problems.push({
        path: `fragments[${i}].version`,
        message: 'must be a revision number or a tag name',
      });
      return;
    }
    if (seen.has(ref.id)) {
      problems.push({ path: `fragments[${i}]`, message: `fragment "${ref.id}" is listed twice` });
      return;
    }
    seen.add(ref.id);
    out.push(v === undefined ? { id: ref.id } : { id: ref.id, version: v as string | number });
  });
  return out;
}

interface Mod {
  op: '$set' | '$unset';
  path: string;
  value: unknown;
  where: string;
}

function readMods(raw: unknown, problems: ResolveProblem[]): Map<string, Mod[]> {
  const out = new Map<string, Mod[]>();
  if (raw === undefined) return out;
  if (!Array.isArray(raw)) {
    problems.push({
      path: 'fragment_mods',
      message: 'must be a list of {"fragment_id": …, "mods": [{"$set": {…}}, {"$unset": {…}}]}',
    });
    return out;
  }
  raw.forEach((fm, i) => {
    const at = `fragment_mods[${i}]`;
    if (!isObject(fm) || typeof fm.fragment_id !== 'string' || !Array.isArray(fm.mods)) {
      problems.push({ path: at, message: 'needs "fragment_id" and a "mods" list' });
      return;
    }
    const list = out.get(fm.fragment_id) ?? [];
    fm.mods.forEach((m, j) => {
      const where = `${at}.mods[${j}]`;
      if (!isObject(m)) {
        problems.push({
          path: where,
          message: 'a mod is {"$set": {path: value}} or {"$unset": {path: ""}}',
        });
        return;
      }
      for (const [op, body] of Object.entries(m)) {
        if ((op !== '$set' && op !== '$unset') || !isObject(body)) {
          problems.push({
            path: where,
            message: `"${op}" is not a supported mod (use $set or $unset with an object of paths)`,
          });
          continue;
        }
        for (const [p, value] of Object.entries(body)) list.push({ op, path: p, value, where });
      }
    });
    out.set(fm.fragment_id, list);
  });
  return out;
}

/** Applies one mod to `doc` in place; returns why it could not, or undefined. */
export function applyMod(
  doc: Record<string, unknown>,
  op: '$set' | '$unset',
  modPath: string,
  value: unknown,
): string | undefined {
  const segs = modPath.split('.');
  if (segs.some((s) => s === '') || segs.length === 0) return `mod path "${modPath}" is malformed`;
  if (segs.some((s) => s === '__proto__' || s === 'constructor' || s === 'prototype'))
    return `mod path "${modPath}" is not allowed`;
  let node: unknown = doc;
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i]!;
    const byName = i === 1 && (RESOURCE_LISTS as readonly string[]).includes(segs[0]!);
    const next = child(node, seg, byName);
    if (next === undefined) {
      if (op === '$unset') return undefined; // nothing to remove
      if (isObject(node) && !byName) {
        node[seg] = {};
        node = node[seg];
        continue;
      }
      return `mod path "${modPath}": "${segs.slice(0, i + 1).join('.')}" does not exist in the fragment`;
    }
    node = next;
  }
  const last = segs[segs.length - 1]!;
  if (Array.isArray(node)) {
    const idx =
      segs.length === 2 && (RESOURCE_LISTS as readonly string[]).includes(segs[0]!)
        ? node.findIndex((x) => isObject(x) && x.name === last)
        : /^\d+$/.test(last)
          ? Number(last)
          : -1;
    if (idx < 0 || idx > node.length || (op === '$unset' && idx >= node.length)) {
      if (op === '$unset') return undefined;
      return `mod path "${modPath}": no element "${last}"`;
    }
    if (op === '$unset') node.splice(idx, 1);
    else node[idx] = value;
    return undefined;
  }
  if (!isObject(node)) return `mod path "${modPath}": cannot set a key on a ${typeof node}`;
  if (op === '$unset') delete node[last];
  else node[last] = value;
  return undefined;
}

function child(node: unknown, seg: string, byName: boolean): unknown {
  if (Array.isArray(node)) {
    if (byName) {
      const found = node.find((x) => isObject(x) && x.name === seg);
      if (found !== undefined) return found;
    }
    return /^\d+$/.test(seg) ? node[Number(seg)] : undefined;
  }
  if (isObject(node))
    return Object.prototype.hasOwnProperty.call(node, seg) ? node[seg] : undefined;
  return undefined;
}
