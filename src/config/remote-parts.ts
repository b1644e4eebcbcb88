/**
 * A remote's components: given inline (`remotes[].components`), in its `part_config` file, or in the
 * part file named for it by `WHARF_REMOTE_PARTS`.
 */
import * as path from 'node:path';
import type { IssueList } from './issues.js';
import type { PathContext } from './settings.js';
import type { ResolveOptions } from './resolve-state.js';
import { parseJsonc } from './jsonc.js';
import { joinPath } from './path.js';
import { check, partFileSchema, type RemoteConfig } from './schema.js';
import { readComponents, type KnownComponent } from './components.js';

/** `WHARF_REMOTE_PARTS` = `name=path[,name=path…]` → the path for remote `name` (relative to the working directory). */
export function envPartConfig(env: NodeJS.ProcessEnv, name: string): string | undefined {
  for (const item of (env.WHARF_REMOTE_PARTS ?? '').split(',')) {
    const eq = item.indexOf('=');
    if (eq > 0 && item.slice(0, eq).trim() === name) return item.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** The remote's components: inline `components`, or the `components` of its `part_config` file. */
export function remoteComponents(
  r: RemoteConfig,
  p: string,
  issues: IssueList,
  opts: ResolveOptions,
  pctx: PathContext,
): KnownComponent[] | undefined {
  const inline = r.components ?? undefined;
  if (inline !== undefined && r.part_config !== undefined) {
    issues.error(
      p,
      `remote "${r.name}" has both "components" and "part_config"`,
      'give its board config in one place',
    );
    return undefined;
  }
  if (inline !== undefined) return readComponents(inline, joinPath(p, 'components'), issues);
  // WHARF_REMOTE_PARTS="esp-home=./esp32-board-part.json,…" gives a remote's part config without
  // editing the machine config (a Viam config names its remotes' parts by cloud address only).
  const fromEnv = r.part_config === undefined ? envPartConfig(opts.env, r.name) : undefined;
  const partConfig = r.part_config ?? fromEnv;
  if (partConfig === undefined) return undefined;
  const file =
    fromEnv !== undefined ? path.resolve(partConfig) : path.resolve(pctx.baseDir, partConfig);
  const partPath = joinPath(p, 'part_config');
  let text: string;
  try {
    text = opts.readPart(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    issues.error(
      partPath,
      `cannot read part config ${file}${code ? ` (${code})` : ''}`,
      'the path is relative to this config file; check that the file exists and is readable',
    );
    return undefined;
  }
  const parsed = parseJsonc(text);
  const partIssues = issues.forFile(parsed.positions, file);
  for (const n of parsed.notices) partIssues.add('warning', n.path, n.message, n.hint, n.line);
  if (!parsed.ok) {
    const e = parsed.error;
    partIssues.add(
      'error',
      e.path,
      `syntax error at ${e.line}:${e.column}: ${e.message}`,
      e.hint,
      e.line,
    );
    issues.error(
      partPath,
      `part config ${file} cannot be read (see the error above)`,
      'fix the syntax error in the part config',
    );
    return undefined;
  }
  const doc = check(partFileSchema, parsed.value, '', partIssues);
  if (doc === undefined) return undefined;
  const comps = readComponents(doc.components ?? [], 'components', partIssues);
  if (!comps.some((c) => c.hardware !== undefined || c.type === 'camera')) {
    partIssues.warn(
      'components',
      `part config of remote "${r.name}" has no board component`,
      'a remote board part lists its board as {"name": "my-esp32", "type": "board", "attributes": {"pins": [...], "analogs": [...]}}',
    );
  }
  return comps;
}
