/** Fragment resolution (Viam semantics): versions, tags, $set/$unset mods, conflicts. */
import { describe, expect, it } from 'vitest';
import {
  resolveMachineDocument,
  type FragmentLookup,
  type FragmentRevisionDoc,
} from '../../src/config/fragments.js';
import { parseConfig } from '../../src/config/index.js';

const remote = (hz: number) => ({
  name: 'esp-home',
  address: 'sim://esp-home',
  components: [
    { name: 'b', type: 'board', attributes: { analogs: [{ name: 'A1', pin: '34' }], pins: [27] } },
  ],
  service_configs: [
    {
      type: 'data_manager',
      attributes: {
        capture_methods: [
          {
            name: 'rdk:component:board/b',
            method: 'Analogs',
            capture_frequency_hz: hz,
            additional_params: { reader_name: 'A1' },
          },
        ],
      },
    },
  ],
});

/** Fragment "sensors": revision 1 at 1 Hz, revision 2 at 5 Hz; tag stable → 1. */
const revisions: Record<string, FragmentRevisionDoc[]> = {
  sensors: [
    { id: 'sensors', revision: 1, config: { remotes: [remote(1)] } },
    {
      id: 'sensors',
      revision: 2,
      config: { remotes: [remote(5)], components: [{ name: 'spare', type: 'board' }] },
    },
  ],
};
const tags: Record<string, Record<string, number>> = { sensors: { stable: 1 } };
const lookup: FragmentLookup = async (id, version) => {
  const revs = revisions[id];
  if (revs === undefined) return { missing: `fragment "${id}" does not exist` };
  const n =
    version === undefined
      ? revs.length
      : typeof version === 'number' || /^\d+$/.test(version)
        ? Number(version)
        : tags[id]?.[version];
  const r = revs.find((x) => x.revision === n);
  return r ?? { missing: `no version ${String(version)}` };
};

const hzOf = (doc: Record<string, unknown>) => {
  const r = parseConfig(JSON.stringify(doc), { sourcePath: '/cfg/m.json', env: {}, hostname: 'h' });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.plan.entries.map((e) => e.hz);
};

describe('fragments', () => {
  it('no version = latest revision; a number = that revision; a tag = its revision', async () => {
    const latest = await resolveMachineDocument({ fragments: [{ id: 'sensors' }] }, lookup);
    if (!latest.ok) throw new Error('unresolved');
    expect(latest.fragments).toEqual([{ id: 'sensors', version: undefined, revision: 2 }]);
    expect(hzOf(latest.document)).toEqual([5]);
    const pinned = await resolveMachineDocument(
      { fragments: [{ id: 'sensors', version: '1' }] },
      lookup,
    );
    expect(pinned.ok && pinned.fragments[0]?.revision).toBe(1);
    const tagged = await resolveMachineDocument(
      { fragments: [{ id: 'sensors', version: 'stable' }] },
      lookup,
    );
    if (!tagged.ok) throw new Error('unresolved');
    expect(hzOf(tagged.document)).toEqual([1]);
    expect(tagged.document).not.toHaveProperty('fragments');
  });

  it('$set changes one machine’s rate by resource name; $unset removes a resource', async () => {
    const r = await resolveMachineDocument(
      {
        fragments: [{ id: 'sensors' }],
        fragment_mods: [
          {
            fragment_id: 'sensors',
            mods: [
              {
                $set: {
                  'remotes.esp-home.service_configs.0.attributes.capture_methods.0.capture_frequency_hz': 10,
                },
              },
              { $unset: { 'components.spare': '' } },
            ],
          },
        ],
      },
      lookup,
    );
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(hzOf(r.document)).toEqual([10]);
    expect(r.document.components ?? []).toEqual([]);
    // the stored fragment is untouched
    expect(revisions.sensors?.[1]?.config.components).toHaveLength(1);
  });

  it('merges the machine’s own resources with the fragment’s; a name defined twice is a problem', async () => {
    const ok = await resolveMachineDocument(
      {
        fragments: ['sensors'],
        services: [{ name: 'data_manager', type: 'data_manager', attributes: { tags: ['x'] } }],
      },
      lookup,
    );
    expect(ok.ok && (ok.document.services as unknown[]).length).toBe(1);
    const dup = await resolveMachineDocument(
      { fragments: [{ id: 'sensors' }], remotes: [{ name: 'esp-home', address: 'sim://x' }] },
      lookup,
    );
    expect(dup.ok).toBe(false);
    expect(!dup.ok && dup.problems[0]?.message).toBe(
      'fragment "sensors" defines remote "esp-home", which the machine defines too',
    );
  });

  it('says what is wrong: unknown fragment, unknown tag, bad mod path, mods for an unused fragment', async () => {
    const r = await resolveMachineDocument(
      {
        fragments: [{ id: 'nope' }, { id: 'sensors', version: 'beta' }],
        fragment_mods: [{ fragment_id: 'other', mods: [{ $set: { 'remotes.x.y': 1 } }] }],
      },
      lookup,
    );
    expect(!r.ok && r.problems.map((p) => p.path)).toEqual([
      'fragments[0]',
      'fragments[1]',
      'fragment_mods',
    ]);
    const bad = await resolveMachineDocument(
      {
        fragments: [{ id: 'sensors' }],
        fragment_mods: [
          {
            fragment_id: 'sensors',
            mods: [{ $set: { 'remotes.ghost.service_configs': [] } }, { $push: {} }],
          },
        ],
      },
      lookup,
    );
    expect(!bad.ok && bad.problems.map((p) => p.message)).toEqual([
      '"$push" is not a supported mod (use $set or $unset with an object of paths)',
    ]);
    const ghost = await resolveMachineDocument(
      {
        fragments: [{ id: 'sensors' }],
        fragment_mods: [
          { fragment_id: 'sensors', mods: [{ $set: { 'remotes.ghost.service_configs': [] } }] },
        ],
      },
      lookup,
    );
    expect(!ghost.ok && ghost.problems[0]?.message).toMatch(
      /"remotes.ghost" does not exist in the fragment/,
    );
    const proto = await resolveMachineDocument(
      {
        fragments: [{ id: 'sensors' }],
        fragment_mods: [{ fragment_id: 'sensors', mods: [{ $set: { '__proto__.polluted': 1 } }] }],
      },
      lookup,
    );
    expect(proto.ok).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
