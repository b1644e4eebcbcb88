/** `wharf query [filters] [--limit N] [--order asc|desc] [--sql Q] [--export FMT --out FILE] [--json]`. */
import { parse } from '../args.js';
import type { CliCommand } from '../context.js';
import { WharfError } from '../../shared/errors.js';
import {
  CLIENT_OPTIONS,
  clientFromOptions,
  FILTER_OPTIONS,
  FILTER_USAGE,
  filterFromOptions,
} from '../cloud-options.js';
import { runExport } from './cloud.js';

const USAGE = `usage: wharf query [filters] [--limit N] [--order desc|asc] [--json]   rows from the cloud
       wharf query --sql "SELECT … FROM readings …" [--limit N] [--json]     read-only SQL
       wharf query [filters | --sql Q] --export csv|jsonl|parquet --out FILE  streamed export with progress
${FILTER_USAGE}`;

const cell = (v: unknown): string =>
  v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);

export const command: CliCommand = {
  async run(args, ctx) {
    const { values } = parse(
      args,
      {
        ...FILTER_OPTIONS,
        ...CLIENT_OPTIONS,
        limit: { type: 'string' },
        order: { type: 'string' },
        sql: { type: 'string' },
        export: { type: 'string' },
        out: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      USAGE,
    );
    if (values.help === true) {
      ctx.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (values.export !== undefined) return runExport({ ...values, format: values.export }, ctx);
    const client = clientFromOptions(values, ctx.env);
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (typeof values.sql === 'string') {
      const r = await client.sql(values.sql, limit);
      if (values.json === true) ctx.stdout.write(`${JSON.stringify(r)}\n`);
      else {
        ctx.stdout.write(`${r.columns.join('\t')}\n`);
        for (const row of r.rows) ctx.stdout.write(`${row.map(cell).join('\t')}\n`);
        if (r.truncated)
          ctx.stderr.write(`(stopped at ${limit} rows: raise --limit or use --export)\n`);
      }
      if (r.error !== undefined) throw new WharfError('CLOUD_BAD_REQUEST', r.error.message);
      return 0;
    }
    const order = values.order ?? 'desc';
    if (order !== 'asc' && order !== 'desc')
      throw new WharfError('USAGE', `--order is asc or desc\n${USAGE}`);
    const page = await client.readings(filterFromOptions(values), { limit, order });
    if (values.json === true) for (const r of page.rows) ctx.stdout.write(`${JSON.stringify(r)}\n`);
    else {
      for (const r of page.rows) {
        ctx.stdout.write(
          `${new Date(r.time_received).toISOString()}  ${r.machine}/${r.component_name} ${r.method_name} ${r.kind === 'gap' ? 'GAP ' : ''}${JSON.stringify(r.data)}\n`,
        );
      }
      if (page.next_cursor !== null)
        ctx.stderr.write(`(more rows: raise --limit, narrow --from/--to, or --export)\n`);
    }
    return 0;
  },
};
