/** Text or file → LoadResult: the capture plan, or every problem found. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CapturePlan, ConfigIssue } from './plan.js';
import { IssueList, sortIssues } from './issues.js';
import { parseJsonc } from './jsonc.js';
import { resolveDocument } from './resolve.js';

/** `files`: every file read (the config and its part_config files), for watching. */
export type LoadResult =
  | { ok: true; plan: CapturePlan; issues: ConfigIssue[]; files?: string[] }
  | { ok: false; issues: ConfigIssue[]; files?: string[] };

export interface ParseOptions {
  /** Path of the config file; relative paths in the config (part_config, capture_dir) are resolved against its directory. */
  sourcePath: string;
  /** Environment for WHARF_HOME, WHARF_API_KEY and HOME (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Default machine name when the config has no wharf.machine (default os.hostname()). */
  hostname?: string;
  /** Reads a part_config file (default fs.readFileSync as UTF-8). */
  readPart?: (absPath: string) => string;
}

/** Parses and resolves a config text. Never throws for a bad config: problems are in `issues`. */
export function parseConfig(text: string, opts: ParseOptions): LoadResult {
  const parsed = parseJsonc(text);
  const issues = new IssueList(parsed.positions);
  for (const n of parsed.notices) issues.add('warning', n.path, n.message, n.hint, n.line);
  if (!parsed.ok) {
    const e = parsed.error;
    issues.add(
      'error',
      e.path,
      `syntax error at ${e.line}:${e.column}: ${e.message}`,
      e.hint,
      e.line,
    );
    return { ok: false, issues: sortIssues(issues.items) };
  }
  const files = [path.resolve(opts.sourcePath)];
  const read = opts.readPart ?? ((p: string) => fs.readFileSync(p, 'utf8'));
  const plan = resolveDocument(parsed.value, issues, {
    sourcePath: opts.sourcePath,
    env: opts.env ?? process.env,
    hostname: opts.hostname ?? os.hostname(),
    readPart: (p) => {
      files.push(p);
      return read(p);
    },
  });
  const sorted = sortIssues(issues.items);
  if (plan === undefined) return { ok: false, issues: sorted, files };
  plan.warnings = sorted.filter((i) => i.severity === 'warning');
  return { ok: true, plan, issues: sorted, files };
}

/** Reads and resolves a config file. A missing or unreadable file is an error issue, not a throw. */
export async function loadConfigFile(
  file: string,
  opts: { env?: NodeJS.ProcessEnv; hostname?: string } = {},
): Promise<LoadResult> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint =
      code === 'ENOENT'
        ? `check the path (resolved to ${path.resolve(file)})`
        : code === 'EISDIR'
          ? 'give the config file, not its directory'
          : 'check the file permissions';
    return {
      ok: false,
      issues: [
        {
          severity: 'error',
          path: '',
          message: `cannot read ${file}${code ? ` (${code})` : ''}`,
          hint,
        },
      ],
    };
  }
  const popts: ParseOptions = { sourcePath: file };
  if (opts.env !== undefined) popts.env = opts.env;
  if (opts.hostname !== undefined) popts.hostname = opts.hostname;
  return parseConfig(text, popts);
}
