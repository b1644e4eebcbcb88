/**
 * Fleet API (docs/fleet.md), registered as a cloud plugin so the server's deny-by-default hook
 * guards every route (a key is checked before any body is read). Permissions on top of that:
 *
 *   fragments (all routes), machine config writes and raw reads   → a fleet admin key
 *   GET  machines/:machine/config (long-poll), POST …/report      → that machine's key (admin may read)
 *   GET  machines (desired vs applied, no configs)                → any key
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { WharfError } from '../../shared/errors.js';
import type { KeyInfo } from '../store/contract.js';
import type { CloudContext, CloudPlugin } from '../context.js';
import type { FleetStore, MachineReport } from './contract.js';
import { resolveMachineDocument } from '../../config/fragments.js';
import { desiredConfig, fragmentLookup, type DesiredConfig } from './desired.js';
import { ChangeHub } from './hub.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MACHINE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const TAG = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;
const MAX_WAIT_MS = 30_000;
const LIST_LIMIT = 500;

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

function param(req: FastifyRequest, name: string, re: RegExp, what: string): string {
  const v = (req.params as Record<string, string>)[name] ?? '';
  if (!re.test(v))
    throw new WharfError(
      'CLOUD_BAD_REQUEST',
      `${what} "${v.slice(0, 80)}" is not valid (letters, digits, . _ - ; at most ${what === 'machine' ? 128 : 64})`,
    );
  return v;
}

function configBody(req: FastifyRequest, what: string): Record<string, unknown> {
  const b = req.body as { config?: unknown } | undefined;
  if (!isObject(b) || !isObject(b.config))
    throw new WharfError('CLOUD_BAD_REQUEST', `send JSON {"config": {…}} with the ${what}`);
  for (const k of ['components', 'services', 'remotes'])
    if (b.config[k] !== undefined && !Array.isArray(b.config[k]))
      throw new WharfError('CLOUD_BAD_REQUEST', `${what}: "${k}" must be a list`);
  return b.config;
}

function str(x: unknown, max: number): string {
  return String(x).slice(0, max);
}

/** The public view of a desired config (no config body). */
function desiredSummary(d: DesiredConfig) {
  return {
    etag: d.etag,
    config_revision: d.config_revision,
    fragments: d.fragments,
    problems: d.problems,
  };
}

/** The two routes a gateway calls with its machine key (each checks the machine itself). */
const MACHINE_KEY = { config: { machineKey: true as const } };

export function fleetPlugin(fleet: FleetStore, hub = new ChangeHub()): CloudPlugin {
  return async (app: FastifyInstance, ctx: CloudContext) => {
    const aborts = new Set<AbortController>();
    app.addHook('onClose', async () => {
      for (const a of aborts) a.abort();
    });
    const key = (req: FastifyRequest): KeyInfo => req.wharfKey!;
    const requireAdmin = async (req: FastifyRequest): Promise<KeyInfo> => {
      const k = key(req);
      if (!(await fleet.isAdmin(k.id)))
        throw new WharfError(
          'CLOUD_FORBIDDEN',
          `key ${k.id} may not change fleet config: use a fleet admin key ('wharf cloud admin-key create')`,
        );
      return k;
    };
    const requireMachine = async (req: FastifyRequest, machine: string): Promise<void> => {
      const k = key(req);
      if (k.machine === machine || (await fleet.isAdmin(k.id))) return;
      throw new WharfError(
        'CLOUD_FORBIDDEN',
        `key ${k.id} ${k.machine === null ? 'is read-only' : `belongs to machine '${k.machine}'`} and cannot read the config of machine '${machine}'`,
      );
    };

    // ---- fragments (admin)
    app.get('/api/v1/fleet/fragments', async (req) => {
      await requireAdmin(req);
      return { fragments: await fleet.listFragments(LIST_LIMIT) };
    });
    app.post('/api/v1/fleet/fragments', async (req, reply) => {
      const k = await requireAdmin(req);
      const config = configBody(req, 'fragment');
      const b = req.body as { id?: unknown; name?: unknown };
      const id = typeof b.id === 'string' ? b.id : undefined;
      if (id === undefined || !ID.test(id))
        throw new WharfError(
          'CLOUD_BAD_REQUEST',
          'give the fragment an "id" (letters, digits, . _ - ; at most 64)',
        );
      const name = typeof b.name === 'string' ? str(b.name, 200) : id;
      const info = await fleet.createFragment(id, name, config, k.id);
      hub.notify();
      return reply.code(201).send({ fragment: info, revision: 1 });
    });
    app.put('/api/v1/fleet/fragments/:id', async (req) => {
      const k = await requireAdmin(req);
      const id = param(req, 'id', ID, 'fragment id');
      const revision = await fleet.updateFragment(id, configBody(req, 'fragment'), k.id);
      hub.notify();
      return { id, revision };
    });
    app.put('/api/v1/fleet/fragments/:id/tags/:tag', async (req) => {
      await requireAdmin(req);
      const id = param(req, 'id', ID, 'fragment id');
      const tag = param(req, 'tag', TAG, 'tag');
      const r = (req.body as { revision?: unknown } | undefined)?.revision;
      if (typeof r !== 'number' || !Number.isInteger(r) || r < 1)
        throw new WharfError('CLOUD_BAD_REQUEST', 'send JSON {"revision": N}');
      await fleet.tagFragment(id, tag, r);
      hub.notify();
      return { id, tag, revision: r };
    });
    app.get('/api/v1/fleet/fragments/:id', async (req) => {
      await requireAdmin(req);
      const id = param(req, 'id', ID, 'fragment id');
      const info = await fleet.fragment(id);
      if (info === null) throw new WharfError('CLOUD_NOT_FOUND', `fragment "${id}" does not exist`);
      const v = (req.query as { version?: string }).version;
      let revision = info.head;
      if (v !== undefined && v !== '') {
        if (/^\d{1,10}$/.test(v)) revision = Number(v);
        else if (info.tags[v] !== undefined) revision = info.tags[v];
        else throw new WharfError('CLOUD_NOT_FOUND', `fragment "${id}" has no tag "${str(v, 64)}"`);
      }
      const rev = await fleet.revision(id, revision);
      if (rev === null)
        throw new WharfError('CLOUD_NOT_FOUND', `fragment "${id}" has no revision ${revision}`);
      return {
        fragment: info,
        revision: rev.revision,
        created_ms: rev.created_ms,
        config: rev.config,
      };
    });
    app.get('/api/v1/fleet/fragments/:id/history', async (req) => {
      await requireAdmin(req);
      const id = param(req, 'id', ID, 'fragment id');
      const info = await fleet.fragment(id);
      if (info === null) throw new WharfError('CLOUD_NOT_FOUND', `fragment "${id}" does not exist`);
      const lim = Math.min(
        100,
        Math.max(1, Number((req.query as { limit?: string }).limit ?? 20) || 20),
      );
      const revs = await fleet.history(id, lim);
      return {
        fragment: info,
        revisions: revs.map((r) => ({
          revision: r.revision,
          created_ms: r.created_ms,
          author: r.author,
          tags: Object.entries(info.tags)
            .filter(([, n]) => n === r.revision)
            .map(([t]) => t),
          config: r.config,
        })),
      };
    });

    // ---- machines
    app.get('/api/v1/fleet/machines', async () => {
      const [configs, reports] = await Promise.all([
        fleet.listMachineConfigs(LIST_LIMIT),
        fleet.reports(LIST_LIMIT),
      ]);
      const byMachine = new Map(reports.map((r) => [r.machine, r]));
      const names = [...new Set([...configs.map((c) => c.machine), ...byMachine.keys()])].sort();
      const machines = [];
      for (const m of names.slice(0, LIST_LIMIT)) {
        const d = await desiredConfig(fleet, m);
        const applied = byMachine.get(m) ?? null;
        machines.push({
          machine: m,
          desired: d === null ? null : desiredSummary(d),
          applied,
          in_sync: d !== null && applied?.status === 'applied' && applied.etag === d.etag,
        });
      }
      return { machines };
    });
    app.get('/api/v1/fleet/machines/:machine', async (req) => {
      await requireAdmin(req);
      const machine = param(req, 'machine', MACHINE, 'machine');
      const row = await fleet.machineConfig(machine);
      const d = await desiredConfig(fleet, machine);
      const applied = (await fleet.reports(LIST_LIMIT)).find((r) => r.machine === machine) ?? null;
      if (row === null && applied === null)
        throw new WharfError('CLOUD_NOT_FOUND', `machine '${machine}' has no config in the cloud`);
      return {
        machine,
        revision: row?.revision ?? null,
        updated_ms: row?.updated_ms ?? null,
        config: row?.config ?? null,
        desired: d === null ? null : desiredSummary(d),
        applied,
      };
    });
    app.put('/api/v1/fleet/machines/:machine/config', async (req) => {
      const k = await requireAdmin(req);
      const machine = param(req, 'machine', MACHINE, 'machine');
      const config = configBody(req, 'machine config');
      // refuse what cannot be resolved now (unknown fragment, tag or revision; bad mod path)
      const check = await resolveMachineDocument(config, fragmentLookup(fleet));
      if (!check.ok)
        throw new WharfError(
          'CLOUD_BAD_REQUEST',
          `the machine config does not resolve: ${check.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
          { details: { problems: check.problems } },
        );
      const revision = await fleet.setMachineConfig(machine, config, k.id);
      hub.notify();
      return { machine, revision, fragments: check.fragments };
    });
    app.get('/api/v1/fleet/machines/:machine/config', MACHINE_KEY, async (req, reply) => {
      const machine = param(req, 'machine', MACHINE, 'machine');
      await requireMachine(req, machine);
      const q = req.query as { etag?: string; wait_ms?: string };
      const etag = q.etag ?? '';
      const wait = Math.min(MAX_WAIT_MS, Math.max(0, Number(q.wait_ms ?? 0) || 0));
      const deadline = Date.now() + wait;
      const abort = new AbortController();
      aborts.add(abort);
      const onClose = () => abort.abort();
      req.raw.socket.once('close', onClose);
      try {
        let seq = await hub.seq(() => fleet.seq());
        let d = await desiredConfig(fleet, machine);
        while (d !== null && d.etag === etag && Date.now() < deadline && !abort.signal.aborted) {
          // wake on a write in this replica at once, else look at the shared counter twice a second
          await hub.wait(Math.min(500, deadline - Date.now()), abort.signal);
          const s = await hub.seq(() => fleet.seq());
          if (s !== seq) {
            seq = s;
            d = await desiredConfig(fleet, machine);
          }
        }
        if (d === null)
          throw new WharfError(
            'CLOUD_NOT_FOUND',
            `machine '${machine}' has no config in the cloud: wharf cloud machines set-config ${machine} FILE`,
          );
        if (d.etag === etag) return reply.code(204).send();
        return d;
      } finally {
        aborts.delete(abort);
        req.raw.socket.off('close', onClose);
      }
    });
    app.post('/api/v1/fleet/machines/:machine/report', MACHINE_KEY, async (req) => {
      const machine = param(req, 'machine', MACHINE, 'machine');
      const k = key(req);
      if (k.machine !== machine)
        throw new WharfError(
          'CLOUD_FORBIDDEN',
          `only machine '${machine}''s own key may report what it applied (key ${k.id})`,
        );
      const b = req.body as Record<string, unknown> | undefined;
      if (!isObject(b) || (b.status !== 'applied' && b.status !== 'rejected'))
        throw new WharfError('CLOUD_BAD_REQUEST', 'send JSON {"status": "applied"|"rejected", …}');
      const frags = Array.isArray(b.fragments) ? b.fragments.slice(0, 100) : [];
      const issues = Array.isArray(b.issues) ? b.issues.slice(0, 200) : [];
      const report: MachineReport = {
        machine,
        reported_ms: Date.now(),
        status: b.status,
        etag: str(b.etag ?? '', 64),
        config_revision: Number.isInteger(b.config_revision) ? (b.config_revision as number) : 0,
        fragments: frags.filter(isObject).map((f) => ({
          id: str(f.id, 64),
          revision: Number.isInteger(f.revision) ? (f.revision as number) : 0,
        })),
        plan_hash: typeof b.plan_hash === 'string' ? str(b.plan_hash, 64) : null,
        applied_ms: typeof b.applied_ms === 'number' ? b.applied_ms : Date.now(),
        error: typeof b.error === 'string' ? str(b.error, 2000) : null,
        issues: issues.filter(isObject).map((i) => ({
          severity: str(i.severity ?? 'error', 10),
          path: str(i.path ?? '', 300),
          message: str(i.message ?? '', 1000),
        })),
      };
      await fleet.report(report);
      ctx.logger.info(
        { machine, status: report.status, etag: report.etag, plan_hash: report.plan_hash },
        'gateway reported its config',
      );
      return { ok: true };
    });
  };
}
