/** `wharf config check FILE` and `wharf config explain FILE [--json]`. */
import * as path from 'node:path';
import type { CliCommand, CliContext } from '../context.js';
import { parse } from '../args.js';
import { WharfError } from '../../shared/errors.js';
import {
  DEFAULT_COLUMNS,
  cameraOf,
  formatBytesPerSecond,
  explainJson,
  explainPlan,
  formatIssue,
  loadConfigFile,
  type ConfigIssue,
  type ExplainColumn,
} from '../../config/index.js';
import { linkBudget, type LinkBudget } from '../../boards/link-budget.js';

const USAGE = `usage: wharf config check FILE     validate a machine config; prints every problem, exits 1 on any error
       wharf config explain FILE   print the resolved capture plan (add --json for machine-readable output)`;

function printIssues(
  issues: readonly ConfigIssue[],
  file: string,
  out: NodeJS.WritableStream,
): void {
  for (const i of issues) out.write(formatIssue(i, file) + '\n');
}

function counts(issues: readonly ConfigIssue[]): { errors: number; warnings: number } {
  const errors = issues.filter((i) => i.severity === 'error').length;
  return { errors, warnings: issues.length - errors };
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/**
 * The boards layer's column: how full the entry's board link is (link budget); for a camera reached
 * over the network (a remote's IP camera or wharf gateway), the bytes/s its images need there.
 */
function linkColumn(budget: LinkBudget[]): ExplainColumn {
  const by = new Map(budget.map((b) => [b.board, b]));
  return {
    header: 'link',
    align: 'right',
    value: ({ row, entry, plan }) => {
      if (row.scheduled && cameraOf(plan.cameras, entry)?.remote !== undefined)
        return `${formatBytesPerSecond(row.bytes_per_s)} net`;
      const b = by.get(row.board);
      if (b === undefined || !Number.isFinite(b.capacity)) return '-';
      return `${Math.round(b.ratio * 100)}%${b.level === 'over' ? ' OVER' : b.level === 'warn' ? ' !' : ''}`;
    },
  };
}

function printBudget(budget: LinkBudget[], out: NodeJS.WritableStream): number {
  const bad = budget.filter((b) => b.level !== 'ok');
  for (const b of bad)
    out.write(`${b.level === 'over' ? 'error' : 'warning'}: link budget: ${b.message}\n`);
  return budget.filter((b) => b.level === 'over').length;
}

export const command: CliCommand = {
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parse(
      args,
      { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      USAGE,
    );
    if (values.help === true) {
      ctx.stdout.write(USAGE + '\n');
      return 0;
    }
    const [sub, file, ...extra] = positionals;
    if ((sub !== 'check' && sub !== 'explain') || file === undefined || extra.length > 0) {
      throw new WharfError(
        'USAGE',
        sub === undefined ? USAGE : `expected 'check FILE' or 'explain FILE'\n${USAGE}`,
      );
    }
    const abs = path.resolve(ctx.cwd, file);
    const result = await loadConfigFile(abs, { env: ctx.env });
    const { errors, warnings } = counts(result.issues);

    if (sub === 'check') {
      printIssues(result.issues, file, errors > 0 ? ctx.stderr : ctx.stdout);
      if (!result.ok) {
        ctx.stderr.write(
          `${file}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}; fix the errors above (nothing would start)\n`,
        );
        return 1;
      }
      const p = result.plan;
      if (printBudget(linkBudget(p), ctx.stderr) > 0) {
        ctx.stderr.write(
          `${file}: the plan does not fit its board links (see above); the gateway would refuse to start\n`,
        );
        return 1;
      }
      const captured = p.entries.filter((e) => e.supported).length;
      ctx.stdout.write(
        `${file}: OK, ${plural(p.boards.length, 'board')}, ${plural(p.entries.length, 'capture entry', 'capture entries')} (${captured} captured), ${plural(warnings, 'warning')}\n`,
      );
      return 0;
    }

    if (!result.ok) {
      printIssues(result.issues, file, ctx.stderr);
      ctx.stderr.write(
        `${file}: ${plural(errors, 'error')}; nothing to explain until they are fixed (run: wharf config check ${file})\n`,
      );
      return 1;
    }
    const budget = linkBudget(result.plan);
    if (values.json === true) {
      ctx.stdout.write(
        JSON.stringify(
          {
            ...explainJson(result.plan),
            link_budget: budget.map((b) => ({
              ...b,
              capacity: Number.isFinite(b.capacity) ? b.capacity : null,
            })),
          },
          null,
          2,
        ) + '\n',
      );
    } else {
      ctx.stdout.write(
        explainPlan(result.plan, { columns: [...DEFAULT_COLUMNS, linkColumn(budget)] }),
      );
      const over = printBudget(budget, ctx.stdout);
      if (over > 0) {
        ctx.stdout.write(
          `\n${plural(over, 'board link')} cannot carry this plan; the gateway would refuse to start\n`,
        );
        return 1;
      }
      if (warnings > 0)
        ctx.stdout.write(
          `\n${plural(warnings, 'warning')}; run 'wharf config check ${file}' to see them\n`,
        );
    }
    return 0;
  },
};
