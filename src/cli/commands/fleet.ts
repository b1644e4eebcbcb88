/**
 * `wharf cloud fragments …`, `wharf cloud machines …`, `wharf cloud admin-key create` (docs/fleet.md).
 * Fragment and machine commands talk to the cloud API with a fleet admin key; admin-key opens the
 * store directly (like `wharf cloud keys`).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from '../args.js';
import type { CliContext } from '../context.js';
import { WharfError } from '../../shared/errors.js';
import { parseJsonc } from '../../config/jsonc.js';
import { FleetClient, type MachineState } from '../../cloud/fleet/client.js';
import { openFleetStore } from '../../cloud/fleet/open.js';
import { openCloudStore } from '../../cloud/open-store.js';
import type { RetentionEvent, RetentionPolicy } from '../../cloud/retention/contract.js';
import { describeEvent } from '../../cloud/retention/plugin.js';

export const FLEET_USAGE = `usage: wharf cloud fragments create ID --file FILE [--name TEXT]   a new fragment (revision 1)
       wharf cloud fragments update ID --file FILE                 save a new revision
       wharf cloud fragments tag ID TAG REVISION                   point a tag at a revision (moves it)
       wharf cloud fragments show ID [--version REVISION|TAG]      the config of a revision (secrets masked)
       wharf cloud fragments history ID [--limit N]                revisions, newest first, with their tags
       wharf cloud fragments list
       wharf cloud machines [list]                                 desired vs applied per machine
       wharf cloud machines set-config NAME --file FILE            the machine's config (fragments, fragment_mods, …)
       wharf cloud machines show NAME                              its config, desired and applied revisions
       wharf cloud machines set-retention NAME --days N | --off    keep N days of the machine's data in the cloud
       wharf cloud machines retention [--limit N]                  retention policies and what they removed
       wharf cloud admin-key create [--label TEXT] [--db FILE | --pg URL]   a key that may change fleet config
cloud:   --url URL (default $WHARF_CLOUD_URL or http://127.0.0.1:8080) --key KEY (default $WHARF_API_KEY; an admin key)`;

const OPTIONS = {
  file: { type: 'string', short: 'f' },
  name: { type: 'string' },
  version: { type: 'string' },
  limit: { type: 'string' },
  label: { type: 'string' },
  db: { type: 'string' },
  pg: { type: 'string' },
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
  days: { type: 'string' },
  off: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type V = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string;
};

function client(v: V, env: NodeJS.ProcessEnv): FleetClient {
  const url = v.url ?? env.WHARF_CLOUD_URL ?? 'http://127.0.0.1:8080';
  const key = v.key ?? env.WHARF_API_KEY;
  if (key === undefined || key === '')
    throw new WharfError(
      'USAGE',
      'no API key: pass --key KEY or set WHARF_API_KEY (a fleet admin key: wharf cloud admin-key create)',
    );
  return new FleetClient(url, key);
}

async function readDoc(
  file: string | undefined,
  ctx: CliContext,
): Promise<Record<string, unknown>> {
  if (file === undefined) throw new WharfError('USAGE', `give --file FILE\n${FLEET_USAGE}`);
  const text = await readFile(path.resolve(ctx.cwd, file), 'utf8').catch(
    (err: NodeJS.ErrnoException) => {
      throw new WharfError('USAGE', `cannot read ${file} (${err.code ?? err.message})`);
    },
  );
  const r = parseJsonc(text);
  if (!r.ok)
    throw new WharfError(
      'CONFIG_PARSE',
      `${file}:${r.error.line}:${r.error.column}: ${r.error.message}`,
    );
  if (typeof r.value !== 'object' || r.value === null || Array.isArray(r.value))
    throw new WharfError('CONFIG_INVALID', `${file}: the config must be a JSON object`);
  return r.value as Record<string, unknown>;
}

/** Secrets (remote `secret`, `api_key`, `password`) are never printed. */
export function maskSecrets(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(maskSecrets);
  if (typeof x === 'object' && x !== null)
    return Object.fromEntries(
      Object.entries(x).map(([k, v]) => [
        k,
        /^(secret|api_key|password|wifi_password)$/i.test(k) && typeof v === 'string'
          ? '***'
          : maskSecrets(v),
      ]),
    );
  return x;
}

const iso = (ms: number | null | undefined) => (ms == null ? '-' : new Date(ms).toISOString());

function retentionDays(v: V): number | null {
  if (v.off === true && v.days === undefined) return null;
  const days = Number(v.days);
  if (v.off === true || v.days === undefined || !Number.isInteger(days) || days < 1)
    throw new WharfError('USAGE', `give --days N (a whole number ≥ 1) or --off\n${FLEET_USAGE}`);
  return days;
}

export function retentionText(policies: RetentionPolicy[], events: RetentionEvent[]): string {
  const lines = [
    policies.length === 0
      ? 'no retention policies: every machine keeps its data for ever'
      : 'retention policies:',
    ...policies.map((p) => `  ${p.machine}  ${p.days} days  (set ${iso(p.updated_ms)})`),
    events.length === 0
      ? 'nothing removed by retention yet'
      : 'removed by retention (newest first):',
    ...events.map((e) => `  ${iso(e.at_ms)}  ${describeEvent(e)}`),
  ];
  return `${lines.join('\n')}\n`;
}

export function machinesTable(machines: MachineState[]): string {
  const rows = machines.map((m) => {
    const d = m.desired;
    const a = m.applied;
    const rev = (r: { config_revision: number; fragments: { id: string; revision: number }[] }) =>
      [`r${r.config_revision}`, ...r.fragments.map((f) => `${f.id}@${f.revision}`)].join(' ');
    return [
      m.machine,
      d === null
        ? '(no config)'
        : d.problems.length > 0
          ? `r${d.config_revision} UNRESOLVED`
          : rev(d),
      a === null ? '(never reported)' : `${rev(a)}${a.status === 'rejected' ? ' REJECTED' : ''}`,
      a?.plan_hash ?? '-',
      a === null ? '-' : iso(a.applied_ms),
      m.in_sync ? 'yes' : 'NO',
      a?.error ?? '',
    ];
  });
  const head = ['machine', 'desired', 'applied', 'plan hash', 'applied at', 'in sync', 'error'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n') + '\n';
}

export async function fleetCli(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS, FLEET_USAGE);
  const v = values as V;
  if (v.help === true) {
    ctx.stdout.write(`${FLEET_USAGE}\n`);
    return 0;
  }
  const [group, sub, a1, a2, a3] = positionals;
  const out = (x: unknown) => ctx.stdout.write(`${JSON.stringify(x, null, 2)}\n`);
  if (group === 'admin-key') {
    if (sub !== 'create') throw new WharfError('USAGE', FLEET_USAGE);
    const o = { db: v.db, pg: v.pg, env: ctx.env, cwd: ctx.cwd };
    const store = await openCloudStore(o);
    const fleet = await openFleetStore(o);
    try {
      const { info, key } = await store.createKey(null, v.label ?? 'fleet admin');
      await fleet.grantAdmin(info.id);
      ctx.stdout.write(`${key}\n`);
      ctx.stderr.write(
        `fleet admin key ${info.id} created (reads data, writes fragments and machine configs); it is shown only this once\n`,
      );
      return 0;
    } finally {
      await fleet.close();
      await store.close();
    }
  }
  const c = client(v, ctx.env);
  if (group === 'fragments') {
    switch (sub) {
      case 'create': {
        if (a1 === undefined) throw new WharfError('USAGE', `give the fragment id\n${FLEET_USAGE}`);
        const r = await c.createFragment(a1, v.name ?? a1, await readDoc(v.file, ctx));
        ctx.stdout.write(`fragment ${r.fragment.id} created at revision ${r.revision}\n`);
        return 0;
      }
      case 'update': {
        if (a1 === undefined) throw new WharfError('USAGE', `give the fragment id\n${FLEET_USAGE}`);
        const r = await c.updateFragment(a1, await readDoc(v.file, ctx));
        ctx.stdout.write(`fragment ${r.id} saved as revision ${r.revision}\n`);
        return 0;
      }
      case 'tag': {
        const rev = Number(a3);
        if (a1 === undefined || a2 === undefined || !Number.isInteger(rev) || rev < 1)
          throw new WharfError('USAGE', `give ID TAG REVISION\n${FLEET_USAGE}`);
        const r = await c.tagFragment(a1, a2, rev);
        ctx.stdout.write(`fragment ${r.id}: tag ${r.tag} → revision ${r.revision}\n`);
        return 0;
      }
      case 'show': {
        if (a1 === undefined) throw new WharfError('USAGE', `give the fragment id\n${FLEET_USAGE}`);
        const r = await c.fragment(a1, v.version);
        out({ ...r, config: maskSecrets(r.config) });
        return 0;
      }
      case 'history': {
        if (a1 === undefined) throw new WharfError('USAGE', `give the fragment id\n${FLEET_USAGE}`);
        const r = await c.history(a1, Number(v.limit ?? 20) || 20);
        ctx.stdout.write(
          `fragment ${r.fragment.id} (${r.fragment.name}), latest revision ${r.fragment.head}\n`,
        );
        for (const x of r.revisions)
          ctx.stdout.write(
            `  r${x.revision}  ${iso(x.created_ms)}  by ${x.author ?? '-'}${x.tags.length ? `  tags: ${x.tags.join(', ')}` : ''}\n`,
          );
        return 0;
      }
      case 'list':
      case undefined: {
        const r = (await c.listFragments()).fragments;
        for (const f of r)
          ctx.stdout.write(
            `${f.id}  r${f.head}  ${Object.entries(f.tags)
              .map(([t, n]) => `${t}=r${n}`)
              .join(' ')}  ${f.name}\n`,
          );
        if (r.length === 0) ctx.stdout.write('no fragments\n');
        return 0;
      }
    }
  }
  if (group === 'machines') {
    switch (sub) {
      case 'set-config': {
        if (a1 === undefined)
          throw new WharfError('USAGE', `give the machine name\n${FLEET_USAGE}`);
        const r = await c.setMachineConfig(a1, await readDoc(v.file, ctx));
        ctx.stdout.write(`machine ${r.machine}: config revision ${r.revision} saved\n`);
        return 0;
      }
      case 'show': {
        if (a1 === undefined)
          throw new WharfError('USAGE', `give the machine name\n${FLEET_USAGE}`);
        const r = await c.machine(a1);
        out({ ...r, config: maskSecrets(r.config) });
        return 0;
      }
      case 'set-retention': {
        if (a1 === undefined)
          throw new WharfError('USAGE', `give the machine name\n${FLEET_USAGE}`);
        const days = retentionDays(v);
        const r = await c.setRetention(a1, days);
        ctx.stdout.write(
          r.retention_policy === null
            ? `machine ${r.machine}: no retention policy, its data is kept for ever\n`
            : `machine ${r.machine}: retention_policy ${r.retention_policy.days} days (older data is removed within the hour)\n`,
        );
        return 0;
      }
      case 'retention': {
        const r = await c.retention(v.limit === undefined ? 100 : Number(v.limit));
        if (v.json === true) out(r);
        else ctx.stdout.write(retentionText(r.policies, r.events));
        return 0;
      }
      case 'list':
      case undefined: {
        const r = await c.machines();
        if (v.json === true) out(r);
        else
          ctx.stdout.write(r.machines.length === 0 ? 'no machines\n' : machinesTable(r.machines));
        return 0;
      }
    }
  }
  throw new WharfError('USAGE', FLEET_USAGE);
}
