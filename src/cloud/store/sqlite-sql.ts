/**
 * Read-only SQL on the SQLite store: the statement runs in a child process on a read-only
 * connection (query_only, SQLite's own statement-readonly check), streamed back as JSON lines. The
 * statement timeout is enforced by killing the child, which works even inside one long step.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WharfError } from '../../shared/errors.js';
import { checkReadOnlySql, refused } from '../sql-guard.js';
import type { SqlOptions, SqlStream } from './contract.js';

const CHILD = fileURLToPath(new URL('./sqlite-sql-child.mjs', import.meta.url));

/** Default memory cap of the SQL child process (SQLite's own heap limit is not enforced in this build). */
export const SQL_CHILD_MAX_RSS = 256 * 1024 * 1024;

/** Resident memory of a process in bytes (Linux /proc), or null where unknown. */
function rssOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

type Msg =
  | { columns: string[] }
  | { rows: unknown[][] }
  | { error: string; refused: boolean }
  | { done: true; rows: number; truncated: boolean };

export async function openSqliteSql(
  path: string,
  sql: string,
  opts: SqlOptions,
): Promise<SqlStream> {
  const text = checkReadOnlySql(sql);
  const child = spawn(process.execPath, [CHILD], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(
    JSON.stringify({ path, sql: text, maxRows: opts.maxRows, batchSize: opts.batchSize ?? 500 }),
  );
  let timedOut = false;
  const arm = (ms: number): NodeJS.Timeout =>
    setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, ms);
  // the child's start-up (a new node process) does not count against the statement timeout
  let timer = arm(opts.timeoutMs + 15_000);
  // memory: a statement that builds a huge value (group_concat over an endless CTE) is stopped
  // at the cap, checked every 100 ms (Linux; elsewhere only the timeout bounds it)
  const maxRss = opts.maxMemoryBytes ?? SQL_CHILD_MAX_RSS;
  let overMemory = false;
  const memWatch = setInterval(() => {
    const rss = rssOf(child.pid);
    if (rss !== null && rss > maxRss) {
      overMemory = true;
      child.kill('SIGKILL');
    }
  }, 100);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

  async function* messages(): AsyncGenerator<Msg> {
    let buf = '';
    for await (const chunk of child.stdout) {
      buf += (chunk as Buffer).toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        yield JSON.parse(line) as Msg;
      }
    }
  }
  const failure = (m: { error: string; refused: boolean }): WharfError =>
    m.refused ? refused(m.error) : new WharfError('CLOUD_BAD_REQUEST', `SQL failed: ${m.error}`);
  const timeoutError = (): WharfError =>
    overMemory
      ? new WharfError(
          'CLOUD_SQL_REFUSED',
          `SQL statement stopped: it used more than ${Math.round(maxRss / 1048576)} MB of memory; narrow the query`,
        )
      : new WharfError(
          'CLOUD_SQL_REFUSED',
          `SQL statement timeout: stopped after ${opts.timeoutMs} ms; narrow the query (time range, LIMIT) or use an export`,
        );

  const it = messages();
  const finish = async (): Promise<void> => {
    clearTimeout(timer);
    clearInterval(memWatch);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    // unread output would hold the pipes open: drop it
    child.stdout.destroy();
    child.stderr.destroy();
  };
  const first = await it.next();
  if (first.done === true) {
    await finish();
    if (timedOut || overMemory) throw timeoutError();
    throw new WharfError(
      'CLOUD_STORE',
      `SQL runner ended without an answer: ${stderr.trim().slice(-300)}`,
    );
  }
  const head = first.value;
  if ('error' in head) {
    await finish();
    throw failure(head);
  }
  if (!('columns' in head)) {
    await finish();
    throw new WharfError('CLOUD_STORE', 'SQL runner answered out of order');
  }
  clearTimeout(timer);
  timer = arm(opts.timeoutMs);
  async function* batches(): AsyncGenerator<unknown[][]> {
    try {
      for (;;) {
        const n = await it.next();
        if (n.done === true) {
          if (timedOut || overMemory) throw timeoutError();
          throw new WharfError(
            'CLOUD_STORE',
            `SQL runner stopped unexpectedly: ${stderr.trim().slice(-300)}`,
          );
        }
        const m = n.value;
        if ('error' in m) throw failure(m);
        if ('done' in m) return;
        if ('rows' in m) yield m.rows;
      }
    } finally {
      await finish();
    }
  }
  return { columns: head.columns, batches: batches(), cancel: finish };
}
