// Runs one read-only SQL statement against a SQLite store and streams the rows as JSON lines on
// stdout. A separate process so the parent can enforce the statement timeout with SIGKILL
// (better-sqlite3 cannot interrupt a running statement). Input: one JSON line on stdin.
import { createRequire } from 'node:module';

// the same driver choice as sqlite-driver.ts: better-sqlite3 13 (`better-sqlite3-napi`) on Node ≥ 22,
// 12 on Node 20
const Database = createRequire(import.meta.url)(
  Number(process.versions.node.split('.')[0]) >= 22 && ['x64', 'arm64'].includes(process.arch)
    ? 'better-sqlite3-napi'
    : 'better-sqlite3',
);

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
  let cfg;
  try {
    cfg = JSON.parse(input);
  } catch {
    out({ error: 'bad input', refused: false });
    return;
  }
  let db;
  let stmt;
  try {
    db = new Database(cfg.path, { readonly: true, fileMustExist: true });
    db.pragma('query_only = ON');
    stmt = db.prepare(cfg.sql);
  } catch (err) {
    out({ error: String(err && err.message ? err.message : err), refused: false });
    return;
  }
  if (!stmt.readonly || !stmt.reader) {
    out({ error: 'SQLite reports that the statement does not only read data', refused: true });
    return;
  }
  // authorizer-like check on the compiled program: no writes, and the key table is off limits
  try {
    const guarded = new Set(
      db
        .prepare(
          "SELECT rootpage FROM sqlite_schema WHERE (tbl_name = 'api_keys' OR tbl_name LIKE 'fleet\\_%' ESCAPE '\\') AND rootpage > 0",
        )
        .all()
        .map((r) => r.rootpage),
    );
    for (const op of db.prepare(`EXPLAIN ${cfg.sql}`).all()) {
      if (op.opcode === 'OpenWrite') {
        out({ error: 'the statement would write', refused: true });
        return;
      }
      if (op.opcode === 'OpenRead' && guarded.has(op.p2)) {
        out({
          error:
            'the api_keys and fleet_* tables are not readable through SQL; query the readings view',
          refused: true,
        });
        return;
      }
    }
  } catch (err) {
    out({ error: String(err && err.message ? err.message : err), refused: false });
    return;
  }
  out({ columns: stmt.columns().map((c) => c.name) });
  void stream(stmt, cfg, out);
});

// Rows go out in batches and wait while the pipe is full (stdout writes to a pipe are asynchronous:
// without waiting, a statement that yields rows faster than the parent reads them would buffer
// without bound here).
async function stream(stmt, cfg, out) {
  stmt.raw(true);
  let batch = [];
  let n = 0;
  let truncated = false;
  const drained = () => new Promise((resolve) => process.stdout.once('drain', resolve));
  const flush = async (rows) => {
    if (!process.stdout.write(JSON.stringify({ rows }) + '\n')) await drained();
  };
  try {
    for (const row of stmt.iterate()) {
      if (n >= cfg.maxRows) {
        truncated = true;
        break;
      }
      batch.push(
        row.map((v) =>
          Buffer.isBuffer(v) ? v.toString('base64') : typeof v === 'bigint' ? Number(v) : v,
        ),
      );
      n++;
      if (batch.length >= cfg.batchSize) {
        const b = batch;
        batch = [];
        await flush(b);
      }
    }
  } catch (err) {
    if (batch.length > 0) await flush(batch);
    out({ error: String(err && err.message ? err.message : err), refused: false });
    return;
  }
  if (batch.length > 0) await flush(batch);
  out({ done: true, rows: n, truncated });
}
