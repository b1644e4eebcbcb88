/**
 * A validated machine config → CapturePlan: boards (remotes and local board components), their
 * hardware, and one PlanEntry per resource, method and reader set. Every problem is collected.
 *
 * The steps, in order (each in its own module):
 *   1. services → the data_manager settings (resolve-data-manager.ts)
 *   2. the wharf section → gateway settings, machine and part id (settings.ts)
 *   3. the machine's own components and their capture methods (resolve-local.ts)
 *   4. remotes → boards, their parts, cameras and board sensors (resolve-remotes.ts, remote-parts.ts)
 *   5. the remotes' capture methods, resolved to a component on some remote (remote-methods.ts,
 *      remote-target.ts)
 */
import { checkCameraRates } from './cameras.js';
import * as path from 'node:path';
import type { CapturePlan } from './plan.js';
import type { IssueList } from './issues.js';
import { checkLenient, topSchema, wharfSchema, check } from './schema.js';
import { resolveGateway, type PathContext } from './settings.js';
import { readComponents } from './components.js';
import { newResolveState, type ResolveOptions } from './resolve-state.js';
import { resolveDataManagerService } from './resolve-data-manager.js';
import { resolveLocalComponents } from './resolve-local.js';
import { resolveRemotes } from './resolve-remotes.js';
import { resolveRemoteMethods } from './remote-methods.js';

export type { ResolveOptions } from './resolve-state.js';
export { envPartConfig } from './remote-parts.js';

/** Resolves a parsed document. Returns the plan when there are no errors. */
export function resolveDocument(
  doc: unknown,
  issues: IssueList,
  opts: ResolveOptions,
): CapturePlan | undefined {
  const top = check(topSchema, doc, '', issues);
  if (top === undefined) return undefined;
  const pctx: PathContext = { env: opts.env, baseDir: path.dirname(path.resolve(opts.sourcePath)) };

  const dataManager = resolveDataManagerService(top.services ?? [], pctx, issues);

  const wharf =
    top.wharf === undefined ? undefined : checkLenient(wharfSchema, top.wharf, 'wharf', issues);
  const gateway = resolveGateway(wharf, pctx, issues);
  const machine = wharf?.machine ?? opts.hostname;
  const part_id = wharf?.part_id ?? machine;

  const st = newResolveState(issues, opts, pctx, dataManager.tags);
  resolveLocalComponents(readComponents(top.components ?? [], 'components', issues), st);
  const remotes = resolveRemotes(top.remotes ?? [], st);
  resolveRemoteMethods(remotes, st);
  checkCameraRates(st.cameras, st.entries, st.ectx.used, issues);

  if (issues.hasErrors) return undefined;
  const { boards, entries, off, cameras, sensors } = st;
  return {
    gateway,
    machine,
    part_id,
    dataManager,
    boards,
    entries,
    off,
    warnings: issues.items.filter((i) => i.severity === 'warning'),
    ...(cameras.length > 0 ? { cameras } : {}),
    ...(sensors.length > 0 ? { sensors } : {}),
  };
}
