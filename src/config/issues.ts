/** Collects every config problem with its JSON path, a hint and (when known) the source line. */
import type { ConfigIssue } from './plan.js';
import type { SourcePos } from './jsonc.js';
import { hideUserinfoIn } from '../shared/secrets.js';

export class IssueList {
  constructor(
    private readonly positions: Map<string, SourcePos> = new Map(),
    /** The file these paths and lines refer to when it is not the main config (a part_config file). */
    private readonly file?: string,
    /** Shared with the list this one was derived from (see `forFile`). */
    readonly items: ConfigIssue[] = [],
  ) {}

  /** A list for another file (a part_config) whose issues land in this same list. */
  forFile(positions: Map<string, SourcePos>, file: string): IssueList {
    return new IssueList(positions, file, this.items);
  }

  error(path: string, message: string, hint?: string): void {
    this.add('error', path, message, hint);
  }

  warn(path: string, message: string, hint?: string): void {
    this.add('warning', path, message, hint);
  }

  add(
    severity: ConfigIssue['severity'],
    path: string,
    message: string,
    hint?: string,
    line?: number,
  ): void {
    // A URL quoted in a message never shows its userinfo (user:password@).
    const issue: ConfigIssue = { severity, path, message: hideUserinfoIn(message) };
    if (this.file !== undefined) issue.file = this.file;
    if (hint !== undefined) issue.hint = hideUserinfoIn(hint);
    const at = line ?? this.lineOf(path);
    if (at !== undefined) issue.line = at;
    this.items.push(issue);
  }

  /** The line of a path, or of its nearest ancestor that has one. */
  lineOf(path: string): number | undefined {
    let p = path;
    for (;;) {
      const pos = this.positions.get(p);
      if (pos !== undefined) return pos.line;
      if (p === '') return undefined;
      const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      p = cut <= 0 ? '' : p.slice(0, cut);
    }
  }

  get hasErrors(): boolean {
    return this.items.some((i) => i.severity === 'error');
  }
}

/** Errors first, then warnings; each group by line (unknown lines last), stable otherwise. */
export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  const rank = (i: ConfigIssue) => (i.severity === 'error' ? 0 : 1);
  return issues
    .map((issue, idx) => ({ issue, idx }))
    .sort(
      (a, b) =>
        rank(a.issue) - rank(b.issue) ||
        (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) ||
        a.idx - b.idx,
    )
    .map((x) => x.issue);
}

/** One issue as the CLI prints it: `error   line 30  remotes[0].…name: message\n        hint: …`. */
export function formatIssue(issue: ConfigIssue, mainFile?: string): string {
  const file = issue.file ?? mainFile;
  const where =
    issue.line !== undefined
      ? `${file ?? ''}${file !== undefined ? ':' : 'line '}${issue.line}`
      : (file ?? '');
  const sev = issue.severity === 'error' ? 'error  ' : 'warning';
  const head = `${sev} ${where ? `${where}  ` : ''}${issue.path || '(top level)'}: ${issue.message}`;
  return issue.hint === undefined ? head : `${head}\n        hint: ${issue.hint}`;
}
