/** `wharf config check FILE` and `wharf config explain FILE [--json]`. */
import * as path from 'node:path';
import type { CliCommand, CliContext } from '../context.js';
import { parse } from '../args.js';
import { WharfError } from '../../shared/errors.js';
import { explainJson, explainPlan, formatIssue, loadConfigFile, type ConfigIssue } from '../../config/index.js';

const USAGE = `usage: wharf config check FILE     validate a machine config; prints every problem, exits 1 on any error
       wharf config explain FILE   print the resolved capture plan (add --json for machine-readable output)`;

function printIssues(issues: readonly ConfigIssue[], file: string, out: NodeJS.WritableStream): void {
  for (const i of issues) out.write(formatIssue(i, file) + '\n');
}

function counts(issues: readonly ConfigIssue[]): { errors: number; warnings: number } {
  const errors = issues.filter((i) => i.severity === 'error').length;
  return { errors, warnings: issues.length - errors };
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

export const command: CliCommand = {
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parse(args, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, USAGE);
    if (values.help === true) {
      ctx.stdout.write(USAGE + '\n');
      return 0;
    }
    const [sub, file, ...extra] = positionals;
    if ((sub !== 'check' && sub !== 'explain') || file === undefined || extra.length > 0) {
      throw new WharfError('USAGE', sub === undefined ? USAGE : `expected 'check FILE' or 'explain FILE'\n${USAGE}`);
    }
    const abs = path.resolve(ctx.cwd, file);
    const result = await loadConfigFile(abs, { env: ctx.env });
    const { errors, warnings } = counts(result.issues);

    if (sub === 'check') {
      printIssues(result.issues, file, errors > 0 ? ctx.stderr : ctx.stdout);
      if (!result.ok) {
        ctx.stderr.write(`${file}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}; fix the errors above (nothing would start)\n`);
        return 1;
      }
      const p = result.plan;
      const captured = p.entries.filter((e) => e.supported).length;
      ctx.stdout.write(`${file}: OK, ${plural(p.boards.length, 'board')}, ${plural(p.entries.length, 'capture entry', 'capture entries')} (${captured} captured), ${plural(warnings, 'warning')}\n`);
      return 0;
    }

    if (!result.ok) {
      printIssues(result.issues, file, ctx.stderr);
      ctx.stderr.write(`${file}: ${plural(errors, 'error')}; nothing to explain until they are fixed (run: wharf config check ${file})\n`);
      return 1;
    }
    if (values.json === true) {
      ctx.stdout.write(JSON.stringify(explainJson(result.plan), null, 2) + '\n');
    } else {
      ctx.stdout.write(explainPlan(result.plan));
      if (warnings > 0) ctx.stdout.write(`\n${plural(warnings, 'warning')}; run 'wharf config check ${file}' to see them\n`);
    }
    return 0;
  },
};
