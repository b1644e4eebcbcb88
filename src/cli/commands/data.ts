/** `wharf data ls|cat|stats [DIR]`: inspect the capture directory without any cloud. */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { CliCommand, CliContext } from '../context.js';
import { parse } from '../args.js';
import { WharfError } from '../../shared/errors.js';
import { toViamRow } from '../../shared/record.js';
import {
  collectStats,
  inspectFile,
  isProblem,
  listAllCaptureFiles,
  type FileInfo,
} from '../../capture/inspect.js';
import { FAILED_DIR } from '../../capture/files.js';

const USAGE = `usage: wharf data ls [DIR] [--json]       list capture files: state, records, bytes, time span
       wharf data cat [DIR|FILE…]             print records as JSON lines (Viam-shaped rows)
            [--component NAME] [--method NAME] [--kind reading|gap] [--limit N]
       wharf data stats [DIR] [--json]        readings per component (with lateness: time_received − time_requested), gaps by reason; exits 1 if a file outside failed/ is unreadable
DIR defaults to capture_dir of --config FILE, else $WHARF_HOME/capture, else ~/.wharf/capture.`;

const OPTIONS = {
  json: { type: 'boolean' },
  config: { type: 'string', short: 'c' },
  component: { type: 'string' },
  method: { type: 'string' },
  kind: { type: 'string' },
  limit: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function defaultDir(ctx: CliContext, config: string | undefined): Promise<string> {
  const cfg = await import('../../config/index.js');
  if (config !== undefined) {
    const res = await cfg.loadConfigFile(path.resolve(ctx.cwd, config), { env: ctx.env });
    if (!res.ok)
      throw new WharfError(
        'CONFIG_INVALID',
        `${config} has errors; run 'wharf config check ${config}', or pass the capture directory instead`,
      );
    return res.plan.dataManager.capture_dir;
  }
  return cfg.defaultCaptureDir({ env: ctx.env, baseDir: ctx.cwd });
}

function iso(t: number | null): string {
  return t === null ? '-' : new Date(t).toISOString();
}

/** Thrown when the reader of stdout went away (`wharf data cat | head`): stop quietly. */
class OutputClosed extends Error {}
const closedOutputs = new WeakSet<object>();

/** Write and wait for drain so large outputs do not pile up in memory. */
async function out(ctx: CliContext, text: string): Promise<void> {
  if (closedOutputs.has(ctx.stdout)) throw new OutputClosed();
  if (ctx.stdout.write(text)) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      ctx.stdout.off('drain', done);
      ctx.stdout.off('close', done);
      ctx.stdout.off('error', done);
      resolve();
    };
    ctx.stdout.on('drain', done);
    ctx.stdout.on('close', done);
    ctx.stdout.on('error', done);
  });
  if (closedOutputs.has(ctx.stdout)) throw new OutputClosed();
}

async function ls(ctx: CliContext, dir: string, json: boolean): Promise<number> {
  const files = await listAllCaptureFiles(dir);
  const infos: FileInfo[] = [];
  for (const f of files) infos.push(await inspectFile(dir, f));
  if (json) {
    for (const i of infos) {
      const { header, ...rest } = i;
      await out(
        ctx,
        JSON.stringify({
          ...rest,
          file_id: header?.file_id ?? null,
          first: i.first,
          last: i.last,
        }) + '\n',
      );
    }
  } else {
    const rows = infos.map((i) => [
      i.state,
      String(i.records),
      String(i.bytes),
      iso(i.first),
      iso(i.last),
      i.rel + (i.problem !== null ? `  (${i.problem})` : ''),
    ]);
    const head = ['STATE', 'RECORDS', 'BYTES', 'FIRST', 'LAST', 'PATH'];
    const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
    for (const r of [head, ...rows])
      await out(
        ctx,
        r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c]!))).join('  ') + '\n',
      );
    const total = infos.reduce((a, i) => a + i.bytes, 0);
    await out(ctx, `${infos.length} file(s), ${total} bytes in ${dir}\n`);
  }
  return infos.some(isProblem) ? 1 : 0;
}

async function cat(
  ctx: CliContext,
  dir: string,
  targets: string[],
  v: { component?: string; method?: string; kind?: string; limit?: string },
): Promise<number> {
  if (v.kind !== undefined && v.kind !== 'reading' && v.kind !== 'gap')
    throw new WharfError('USAGE', `--kind must be 'reading' or 'gap', not '${v.kind}'\n${USAGE}`);
  const limit = v.limit === undefined ? Infinity : Number(v.limit);
  if (!(limit >= 0))
    throw new WharfError('USAGE', `--limit must be a number ≥ 0, not '${v.limit}'\n${USAGE}`);
  let files: string[] = [];
  for (const t of targets) {
    const st = await fsp.stat(t);
    // a directory lists everything but failed/ (name failed/ itself to see those)
    if (st.isDirectory())
      files.push(
        ...(await listAllCaptureFiles(t)).filter(
          (f) =>
            path.relative(t, f).split(path.sep)[0] !== FAILED_DIR ||
            path.basename(t) === FAILED_DIR,
        ),
      );
    else files.push(t);
  }
  files = [...new Set(files)];
  let printed = 0;
  let bad = 0;
  for (const f of files) {
    if (printed >= limit) break;
    const lines: string[] = [];
    const info = await inspectFile(dir, f, (rec, h) => {
      if (printed + lines.length >= limit) return;
      if (v.component !== undefined && h.meta.component_name !== v.component) return;
      if (v.method !== undefined && h.meta.method_name !== v.method) return;
      if (v.kind !== undefined && rec.kind !== v.kind) return;
      lines.push(JSON.stringify(toViamRow(h.meta, rec)));
    });
    if (lines.length > 0) await out(ctx, lines.join('\n') + '\n');
    printed += lines.length;
    if (isProblem(info)) {
      bad++;
      ctx.stderr.write(`wharf data cat: ${f}: ${info.problem}\n`);
    }
  }
  return bad > 0 ? 1 : 0;
}

/** time_received − time_requested (polled: poll lateness; streamed: delivery delay), "avg/max" ms. */
function late(l: { mean: number; max: number } | null): string {
  return l === null ? '-' : `${l.mean.toFixed(1)}/${l.max.toFixed(1)}`;
}

async function stats(ctx: CliContext, dir: string, json: boolean): Promise<number> {
  const progress = ctx.isTTY
    ? (done: number, total: number) =>
        done % 200 === 0 && ctx.stderr.write(`\rreading ${done}/${total} files…`)
    : undefined;
  const s = await collectStats(dir, progress);
  if (progress !== undefined) ctx.stderr.write('\r\x1b[K');
  if (json) {
    await out(
      ctx,
      JSON.stringify(
        {
          dir,
          ...s,
          problems: s.problems.map((p) => ({ path: p.path, state: p.state, problem: p.problem })),
          interrupted: s.interrupted.map((p) => ({ path: p.path, problem: p.problem })),
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    const f = s.files;
    await out(
      ctx,
      `${dir}\nfiles: ${f.finished} finished, ${f.writing} being written, ${f.failed} in failed/, ${f.damaged} damaged, ${f.unreadable} unreadable; ${s.bytes} bytes; ${s.readings} readings\n\n`,
    );
    await out(
      ctx,
      'COMPONENT                                 FILES  READINGS  GAPS  MISSING  LATE ms avg/max  FIRST                     LAST\n',
    );
    for (const c of s.components) {
      await out(
        ctx,
        `${c.component.padEnd(40)}  ${String(c.files).padStart(5)}  ${String(c.readings).padStart(8)}  ${String(c.gaps).padStart(4)}  ${String(c.missing).padStart(7)}  ${late(c.lateMs).padStart(15)}  ${iso(c.first).padEnd(24)}  ${iso(c.last)}\n`,
      );
    }
    await out(ctx, s.gapsByReason.length === 0 ? '\nno gaps\n' : '\ngaps by reason:\n');
    for (const g of s.gapsByReason)
      await out(
        ctx,
        `  ${g.reason.padEnd(20)} ${g.records} gap record(s), ${g.missing} reading(s) missing\n`,
      );
  }
  for (const p of s.interrupted) ctx.stderr.write(`note: ${p.path}: ${p.problem}\n`);
  // files in failed/ were set aside (by recovery or sync) with a .reason.txt, their loss accounted
  // by gap records: listed, but not an error; a damaged file anywhere else is
  const setAside = s.problems.filter((p) => p.state === 'failed');
  const bad = s.problems.filter((p) => p.state !== 'failed');
  for (const p of setAside)
    ctx.stderr.write(`set aside: ${p.path}: ${p.problem} (see ${p.path}.reason.txt)\n`);
  for (const p of bad) ctx.stderr.write(`unreadable: ${p.path}: ${p.problem}\n`);
  if (bad.length > 0) {
    ctx.stderr.write(
      `${bad.length} file(s) cannot be read completely; a .capture outside failed/ should never be damaged (disk fault?): keep a copy and report it\n`,
    );
    return 1;
  }
  return 0;
}

export const command: CliCommand = {
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parse(args, OPTIONS, USAGE);
    if (values.help === true) {
      ctx.stdout.write(USAGE + '\n');
      return 0;
    }
    const [sub, ...rest] = positionals;
    if (sub !== 'ls' && sub !== 'cat' && sub !== 'stats')
      throw new WharfError(
        'USAGE',
        sub === undefined ? USAGE : `unknown subcommand '${sub}'\n${USAGE}`,
      );
    if (sub !== 'cat' && rest.length > 1)
      throw new WharfError('USAGE', `'wharf data ${sub}' takes one DIR\n${USAGE}`);
    const targets =
      rest.length > 0
        ? rest.map((r) => path.resolve(ctx.cwd, r))
        : [await defaultDir(ctx, values.config)];
    for (const t of targets) {
      try {
        await fsp.stat(t);
      } catch {
        throw new WharfError(
          'USAGE',
          `${t} does not exist; pass the capture directory (capture_dir in the config, default ~/.wharf/capture)`,
        );
      }
    }
    const first = targets[0]!;
    const dir = (await fsp.stat(first)).isDirectory() ? first : path.dirname(first);
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED')
        closedOutputs.add(ctx.stdout);
    };
    ctx.stdout.on('error', onError);
    try {
      if (sub === 'ls') return await ls(ctx, dir, values.json === true);
      if (sub === 'stats') return await stats(ctx, dir, values.json === true);
      return await cat(ctx, dir, targets, values);
    } catch (err) {
      if (err instanceof OutputClosed) return 0;
      throw err;
    } finally {
      ctx.stdout.off('error', onError);
    }
  },
};
